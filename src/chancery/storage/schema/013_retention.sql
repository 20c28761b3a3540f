-- Retention, legal hold and spillage (issue 14).

-- A room ('room', room ID) or a person ('user', user ID) under legal hold: nothing of theirs is purged.
CREATE TABLE legal_holds (
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    placed_by TEXT NOT NULL,
    reason TEXT,
    placed_ts BIGINT NOT NULL,
    PRIMARY KEY (kind, target)
);

-- Delivery records for spillage: the stream position each device has been sent /sync responses up to
-- (a high-water mark, written in batches, not per request), and who downloaded which media.
CREATE TABLE device_sync_marks (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    synced_upto BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

CREATE TABLE media_downloads (
    media_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    first_ts BIGINT NOT NULL,
    PRIMARY KEY (media_id, user_id, device_id)
);

-- Spillage operations: which event, who marked it, and the recipients found (JSON), kept for the record.
CREATE TABLE spillages (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    marked_by TEXT NOT NULL,
    marked_ts BIGINT NOT NULL,
    recipients TEXT NOT NULL
);

-- Retention policies set by administrators at run time (they take precedence over [retention] in
-- chancery.toml): per classification level, '' for rooms without a classification. Days; 0: none.
CREATE TABLE retention_policies (
    level TEXT PRIMARY KEY,
    default_days BIGINT NOT NULL,
    max_days BIGINT NOT NULL,
    set_by TEXT NOT NULL,
    set_ts BIGINT NOT NULL
);
