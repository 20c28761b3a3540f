-- Issue 16 conformance, second part: content reports and short-lived tokens. On PostgreSQL a report's ID
-- becomes a 64-bit identity column (015_conformance.postgres.sql); on SQLite INTEGER PRIMARY KEY is one.

-- Reports of events, rooms and users (client-server API: reporting content), read by administrators
-- (GET /_synapse/admin/v1/event_reports). room_id is NULL for a report of a user; event_id only for an event.
CREATE TABLE content_reports (
    id INTEGER PRIMARY KEY,
    received_ts BIGINT NOT NULL,
    room_id TEXT,
    event_id TEXT,
    user_id TEXT NOT NULL,
    target_user_id TEXT,
    reason TEXT,
    score BIGINT
);
CREATE INDEX content_reports_received ON content_reports (received_ts);

-- OpenID tokens (another server asks who holds one) and single-use login tokens (m.login.token). Only the
-- SHA-256 of each token is kept, as for access tokens. `kind` is "openid" or "login".
CREATE TABLE short_lived_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_ts BIGINT NOT NULL
);
CREATE INDEX short_lived_tokens_expiry ON short_lived_tokens (expires_ts);
