-- Device control (issue 14): session lifetime and refresh tokens, administrator approval, remote wipe.

-- When an access token stops working (NULL: never). Tokens of clients that asked for a refresh token expire
-- after [devices] access_token_lifetime_s; every token of a session ends at its session_lifetime_s.
ALTER TABLE access_tokens ADD COLUMN expires_ts BIGINT;

-- One live refresh token per session (client-server API: refreshing access tokens); used once, then
-- replaced together with its access token. Stored as SHA-256 like the access tokens.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    access_token_hash TEXT NOT NULL,
    session_expires_ts BIGINT,
    created_ts BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_device ON refresh_tokens (user_id, device_id);

-- 1: may use the server; 0: waits for an administrator's approval ([devices] require_approval).
ALTER TABLE devices ADD COLUMN approved BIGINT NOT NULL DEFAULT 1;

-- Remotely wiped devices, kept for ever: the device ID never signs in again. The device itself is deleted
-- at once (tokens, keys, queues); its org.chancery.wipe message was queued at message_pos.
CREATE TABLE device_wipes (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    reason TEXT NOT NULL,
    wiped_ts BIGINT NOT NULL,
    message_pos BIGINT NOT NULL,
    acknowledged_ts BIGINT,
    PRIMARY KEY (user_id, device_id)
);

-- The revoked access tokens of wiped devices (SHA-256): they get 401 with "org.chancery.wiped": true, and
-- /sync with one of them delivers the wipe message until the device has acknowledged it.
CREATE TABLE wiped_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL
);
