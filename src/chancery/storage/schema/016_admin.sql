-- The Synapse-compatible admin API (issue 11): blocked rooms, background room deletions, media protected
-- from quarantine, and accounts erased at deactivation.

-- Rooms an administrator blocked: nobody on this server may join them, or be invited, until unblocked.
CREATE TABLE blocked_rooms (
    room_id TEXT PRIMARY KEY,
    blocked_by TEXT NOT NULL,
    blocked_ts BIGINT NOT NULL
);

-- Room deletions run in the background; their progress and outcome stay queryable (delete_status).
-- `result` is the JSON "shutdown_room" object: kicked users, failed kicks, aliases, the replacement room.
CREATE TABLE room_deletions (
    delete_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    result TEXT NOT NULL,
    created_ts BIGINT NOT NULL
);
CREATE INDEX room_deletions_room ON room_deletions (room_id, created_ts);

-- A purged room keeps its row, so that its ID is never reused, but its history is gone and it is not listed.
ALTER TABLE rooms ADD COLUMN purged_ts BIGINT;

-- Media an administrator protected: it cannot be quarantined.
ALTER TABLE media ADD COLUMN safe_from_quarantine BIGINT NOT NULL DEFAULT 0;

-- Deactivated with erasure (GDPR): shown as erased to administrators.
ALTER TABLE users ADD COLUMN erased BIGINT NOT NULL DEFAULT 0;
