-- Personal clearances (issue 12), set by a security officer. Caveats: a JSON list of strings. A clearance
-- past expires_ts counts as none; the expiry sweep then removes its holder from every classified room and
-- marks the row handled (so each expiry is acted on once, by whichever server process sees it first).
CREATE TABLE clearances (
    user_id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    caveats TEXT NOT NULL,
    expires_ts BIGINT,
    set_by TEXT NOT NULL,
    set_ts BIGINT NOT NULL,
    expiry_handled BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX clearances_pending_expiry ON clearances (expires_ts) WHERE expiry_handled = 0;

-- Devices an administrator accredited to receive rooms above [classification] accredited_devices_above.
-- An accreditation holds for the device's sessions at the time (their token hashes): whoever signs in
-- again under the same device ID, with a password alone, is not thereby accredited.
CREATE TABLE device_accreditations (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    accredited_by TEXT NOT NULL,
    accredited_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, token_hash)
);

-- Each classified room's current marking, written with its org.chancery.classification event, so that
-- "which of these rooms are classified" is one indexed query (sync, media, sweeps).
CREATE TABLE room_classifications (
    room_id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    caveats TEXT NOT NULL
);

-- A file inherits the marking of every classified room an event referencing it was sent in.
CREATE TABLE media_classifications (
    media_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    level TEXT NOT NULL,
    caveats TEXT NOT NULL,
    PRIMARY KEY (media_id, room_id)
);
