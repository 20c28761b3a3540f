-- Pushers (client-server API: push notifications) and the durable queue of notifications they deliver.

CREATE TABLE pushers (
    pusher_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT,
    app_id TEXT NOT NULL,
    pushkey TEXT NOT NULL,
    kind TEXT NOT NULL,
    app_display_name TEXT NOT NULL,
    device_display_name TEXT NOT NULL,
    profile_tag TEXT,
    lang TEXT NOT NULL,
    data TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    -- Delivery lease: the process delivering this pusher's queue until then (one at a time, in order).
    claimed_until BIGINT NOT NULL DEFAULT 0,
    -- Backoff after failed deliveries: the queue waits until retry_at (its notifications go in order).
    failures BIGINT NOT NULL DEFAULT 0,
    retry_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (user_id, app_id, pushkey)
);
CREATE INDEX pushers_key ON pushers (app_id, pushkey);

-- One row per (pusher, event) still to deliver, written off the send path by the fan-out step.
CREATE TABLE push_queue (
    pusher_id TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    room_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    highlight BIGINT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (pusher_id, stream_pos)
);

-- How far the event stream has been fanned out into push_queue. Starts at the present: history is not pushed.
CREATE TABLE push_progress (
    name TEXT PRIMARY KEY,
    stream_pos BIGINT NOT NULL
);
INSERT INTO push_progress (name, stream_pos) SELECT 'fanout', value FROM stream_counters WHERE name = 'main';
