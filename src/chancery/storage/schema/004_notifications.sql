-- Unread counts without parsing events: each event records at insert whether it notifies the room's
-- members (events.notifies, 0/1) and whom it mentions (event_mentions), per the default push rules
-- (events/notifications.py). /sync counts rows instead of loading and scanning event bodies.

ALTER TABLE events ADD COLUMN notifies BIGINT NOT NULL DEFAULT 0;

-- "Notifying events in room R after position P": an index range scan that also covers the sender and
-- redaction checks, so counting reads no table rows.
CREATE INDEX events_room_notifies ON events (room_id, notifies, stream_pos, sender, redacted);

-- One row per user an event mentions (content.m.mentions.user_ids), or '@room' for a room mention.
CREATE TABLE event_mentions (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id, stream_pos)
);

-- Backfill for events stored before this migration. It has to be portable SQL (no JSON functions are
-- shared by both engines), so it matches the compact JSON the server writes; new events are classified
-- exactly, in Python, at insert.
UPDATE events SET notifies = 1
WHERE type IN ('m.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite', 'm.poll.start')
    AND (rel_type IS NULL OR rel_type <> 'm.replace')
    AND json NOT LIKE '%"msgtype":"m.notice"%';

INSERT INTO event_mentions (room_id, user_id, stream_pos)
SELECT DISTINCT e.room_id, m.user_id, e.stream_pos
FROM events e JOIN membership_changes m ON m.room_id = e.room_id
WHERE e.state_key IS NULL AND e.type <> 'm.room.member'
    AND e.json LIKE '%"m.mentions":{%' AND e.json NOT LIKE '%"msgtype":"m.notice"%'
    AND e.json LIKE '%"' || m.user_id || '"%' AND e.sender <> m.user_id;

INSERT INTO event_mentions (room_id, user_id, stream_pos)
SELECT room_id, '@room', stream_pos FROM events
WHERE state_key IS NULL AND type <> 'm.room.member'
    AND json LIKE '%"m.mentions":{%"room":true%' AND json NOT LIKE '%"msgtype":"m.notice"%';
