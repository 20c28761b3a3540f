-- Core schema: accounts, rooms, events, the stream counter and per-user state.
-- Written once for SQLite and PostgreSQL: TEXT and BIGINT only, flags as 0/1 integers.

CREATE TABLE stream_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO stream_counters (name, value) VALUES ('main', 0);

CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    password_hash TEXT,
    is_admin BIGINT NOT NULL DEFAULT 0,
    deactivated BIGINT NOT NULL DEFAULT 0,
    created_ts BIGINT NOT NULL,
    displayname TEXT,
    avatar_url TEXT
);

CREATE TABLE devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    display_name TEXT,
    created_ts BIGINT NOT NULL,
    last_seen_ts BIGINT,
    last_seen_ip TEXT,
    PRIMARY KEY (user_id, device_id)
);

-- Only a SHA-256 of each access token is stored: a database leak does not leak sessions.
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_ts BIGINT NOT NULL
);
CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);

CREATE TABLE registration_tokens (
    token TEXT PRIMARY KEY,
    uses_allowed BIGINT,
    pending BIGINT NOT NULL DEFAULT 0,
    completed BIGINT NOT NULL DEFAULT 0,
    expiry_ts BIGINT,
    created_ts BIGINT NOT NULL
);

CREATE TABLE uia_sessions (
    session_id TEXT PRIMARY KEY,
    created_ts BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    user_id TEXT,
    completed TEXT NOT NULL,
    params TEXT NOT NULL
);

CREATE TABLE rooms (
    room_id TEXT PRIMARY KEY,
    room_version TEXT NOT NULL,
    creator TEXT NOT NULL,
    is_public BIGINT NOT NULL DEFAULT 0,
    created_ts BIGINT NOT NULL,
    last_event_id TEXT,
    last_depth BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE events (
    stream_pos BIGINT PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT,
    sender TEXT NOT NULL,
    origin_server_ts BIGINT NOT NULL,
    relates_to TEXT,
    rel_type TEXT,
    redacted BIGINT NOT NULL DEFAULT 0,
    json TEXT NOT NULL
);
CREATE INDEX events_room_pos ON events (room_id, stream_pos);
CREATE INDEX events_state_history ON events (room_id, type, state_key, stream_pos);
CREATE INDEX events_relations ON events (relates_to, rel_type, stream_pos);

CREATE TABLE current_state (
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    membership TEXT,
    PRIMARY KEY (room_id, type, state_key)
);
CREATE INDEX current_state_user_membership ON current_state (state_key, membership);

-- Membership changes of local users in the order they happened, for /sync's room lists.
CREATE TABLE membership_changes (
    stream_pos BIGINT NOT NULL,
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    membership TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (user_id, stream_pos)
);

CREATE TABLE event_txns (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
);

CREATE TABLE redactions (
    event_id TEXT PRIMARY KEY,
    redaction_id TEXT NOT NULL
);

CREATE TABLE room_aliases (
    alias TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    creator TEXT NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);

CREATE TABLE forgotten_rooms (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);

CREATE TABLE account_data (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    content TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_stream ON account_data (user_id, stream_pos);

CREATE TABLE receipts (
    room_id TEXT NOT NULL,
    receipt_type TEXT NOT NULL,
    user_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_stream_pos BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_stream ON receipts (room_id, stream_pos);

CREATE TABLE typing (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_ts BIGINT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX typing_stream ON typing (room_id, stream_pos);

CREATE TABLE presence (
    user_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    status_msg TEXT,
    last_active_ts BIGINT NOT NULL,
    stream_pos BIGINT NOT NULL
);
CREATE INDEX presence_stream ON presence (stream_pos);

CREATE TABLE filters (
    user_id TEXT NOT NULL,
    filter_id BIGINT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (user_id, filter_id)
);

CREATE TABLE push_rules (
    user_id TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

CREATE INDEX event_txns_event ON event_txns (event_id);
