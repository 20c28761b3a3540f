-- Issue 16 conformance: guest accounts; the full-text search index is engine-specific
-- (006_conformance.sqlite.sql: FTS5; 006_conformance.postgres.sql: tsvector with a GIN index).

-- Guests (client-server API: guest access) use a subset of the API until they register properly.
ALTER TABLE users ADD COLUMN is_guest BIGINT NOT NULL DEFAULT 0;
