-- Each room's current join rule and history visibility on its row, so that "users in public rooms" (the
-- user directory's default scope) is a join instead of a parse of every room's state.
ALTER TABLE rooms ADD COLUMN join_rule TEXT;
ALTER TABLE rooms ADD COLUMN history_visibility TEXT;

-- Backfill from the current state. Portable SQL has no shared JSON functions, so it matches the compact
-- JSON the server writes (as 004 does); new events set the columns exactly, at insert.
UPDATE rooms SET join_rule = (
    SELECT CASE
        WHEN e.json LIKE '%"join_rule":"public"%' THEN 'public'
        WHEN e.json LIKE '%"join_rule":"knock_restricted"%' THEN 'knock_restricted'
        WHEN e.json LIKE '%"join_rule":"restricted"%' THEN 'restricted'
        WHEN e.json LIKE '%"join_rule":"knock"%' THEN 'knock'
        WHEN e.json LIKE '%"join_rule":"invite"%' THEN 'invite'
        WHEN e.json LIKE '%"join_rule":"private"%' THEN 'private'
    END
    FROM current_state c JOIN events e ON e.event_id = c.event_id
    WHERE c.room_id = rooms.room_id AND c.type = 'm.room.join_rules' AND c.state_key = ''
);

UPDATE rooms SET history_visibility = (
    SELECT CASE
        WHEN e.json LIKE '%"history_visibility":"world_readable"%' THEN 'world_readable'
        WHEN e.json LIKE '%"history_visibility":"shared"%' THEN 'shared'
        WHEN e.json LIKE '%"history_visibility":"invited"%' THEN 'invited'
        WHEN e.json LIKE '%"history_visibility":"joined"%' THEN 'joined'
    END
    FROM current_state c JOIN events e ON e.event_id = c.event_id
    WHERE c.room_id = rooms.room_id AND c.type = 'm.room.history_visibility' AND c.state_key = ''
);
