-- Server-side search (client-server API: server side search), PostgreSQL: a tsvector per indexed event
-- with a GIN index; `key` is what was indexed (content.body, content.name or content.topic). The 'simple'
-- configuration (no stemming) matches what SQLite's unicode61 tokenizer finds.
CREATE TABLE event_search (
    stream_pos BIGINT PRIMARY KEY,
    key TEXT NOT NULL,
    vector TSVECTOR NOT NULL
);
CREATE INDEX event_search_vector ON event_search USING GIN (vector);

INSERT INTO event_search (stream_pos, key, vector)
SELECT stream_pos, 'content.body', to_tsvector('simple', CAST(json AS JSONB) -> 'content' ->> 'body') FROM events
WHERE type = 'm.room.message' AND redacted = 0 AND jsonb_typeof(CAST(json AS JSONB) -> 'content' -> 'body') = 'string';

INSERT INTO event_search (stream_pos, key, vector)
SELECT stream_pos, 'content.name', to_tsvector('simple', CAST(json AS JSONB) -> 'content' ->> 'name') FROM events
WHERE type = 'm.room.name' AND state_key = '' AND redacted = 0
AND jsonb_typeof(CAST(json AS JSONB) -> 'content' -> 'name') = 'string';

INSERT INTO event_search (stream_pos, key, vector)
SELECT stream_pos, 'content.topic', to_tsvector('simple', CAST(json AS JSONB) -> 'content' ->> 'topic') FROM events
WHERE type = 'm.room.topic' AND state_key = '' AND redacted = 0
AND jsonb_typeof(CAST(json AS JSONB) -> 'content' -> 'topic') = 'string';
