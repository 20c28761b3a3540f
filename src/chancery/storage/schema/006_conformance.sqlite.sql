-- Server-side search (client-server API: server side search), SQLite: an FTS5 index whose rowid is the
-- event's stream position; `key` is what was indexed (content.body, content.name or content.topic).
-- unicode61 without stemming or folding accents: institutions write in many languages, and the same words
-- must match on both engines (PostgreSQL's 'simple' configuration does neither).
CREATE VIRTUAL TABLE event_search USING fts5(text, key UNINDEXED, tokenize = 'unicode61 remove_diacritics 0');

INSERT INTO event_search (rowid, text, key)
SELECT stream_pos, json_extract(json, '$.content.body'), 'content.body' FROM events
WHERE type = 'm.room.message' AND redacted = 0 AND json_type(json, '$.content.body') = 'text';

INSERT INTO event_search (rowid, text, key)
SELECT stream_pos, json_extract(json, '$.content.name'), 'content.name' FROM events
WHERE type = 'm.room.name' AND state_key = '' AND redacted = 0 AND json_type(json, '$.content.name') = 'text';

INSERT INTO event_search (rowid, text, key)
SELECT stream_pos, json_extract(json, '$.content.topic'), 'content.topic' FROM events
WHERE type = 'm.room.topic' AND state_key = '' AND redacted = 0 AND json_type(json, '$.content.topic') = 'text';
