-- Media repository (issue 4): one row per mxc:// media ID. The bytes live on disk, content-addressed
-- by sha256 (several rows may share one file); thumbnails are cached on disk beside them.
CREATE TABLE media (
    media_id TEXT PRIMARY KEY,
    uploader TEXT NOT NULL,
    content_type TEXT,
    size BIGINT,
    sha256 TEXT,
    upload_name TEXT,
    created_ts BIGINT NOT NULL,
    -- NULL while an ID made by POST /create waits for its upload; pending rows expire at expires_ts.
    uploaded_ts BIGINT,
    expires_ts BIGINT,
    quarantined BIGINT NOT NULL DEFAULT 0,
    quarantined_by TEXT
);
CREATE INDEX media_uploader ON media (uploader);
CREATE INDEX media_sha256 ON media (sha256);
CREATE INDEX media_created ON media (created_ts);
