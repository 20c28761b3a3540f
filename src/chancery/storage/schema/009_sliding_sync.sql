-- Simplified sliding sync (MSC4186): per-connection state, so that a restart or another worker continues a
-- connection and an incremental response carries only what changed.
-- A connection is (user, device, conn_id); `conn_key` is random and part of every `pos` it hands out, so a
-- `pos` of a replaced connection is unknown rather than misread.
CREATE TABLE sliding_sync_connections (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    conn_id TEXT NOT NULL,
    conn_key TEXT NOT NULL UNIQUE,
    next_pos BIGINT NOT NULL,
    -- The latest `pos` a request came with: the client has processed that response and no older one counts.
    max_requested_pos BIGINT NOT NULL DEFAULT 0,
    last_used_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, conn_id)
);
CREATE INDEX sliding_sync_connections_idle ON sliding_sync_connections (last_used_ts);

-- Each `pos` handed out, the `pos` of the request it answered (`parent`) and the stream position its response
-- was built up to. Only the latest `pos` the client used and the answers to it are kept: several answers to
-- one `pos` (a retry, a cancelled request) coexist until the client's next request shows which it processed.
CREATE TABLE sliding_sync_positions (
    conn_key TEXT NOT NULL,
    pos BIGINT NOT NULL,
    parent BIGINT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (conn_key, pos)
);

-- What a response (`pos`) sent of a room: everything up to stream position `sent_upto`, with this timeline
-- limit and required_state. The room's state at a `pos` is its row of that `pos`, or else its row with the
-- greatest pos at or below the `pos`'s parent.
CREATE TABLE sliding_sync_rooms (
    conn_key TEXT NOT NULL,
    room_id TEXT NOT NULL,
    pos BIGINT NOT NULL,
    sent_upto BIGINT NOT NULL,
    timeline_limit BIGINT NOT NULL,
    required_state TEXT NOT NULL,
    PRIMARY KEY (conn_key, room_id, pos)
);
