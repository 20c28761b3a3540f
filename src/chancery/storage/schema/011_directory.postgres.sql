-- Who changed what in the directory, and when (`actor` is a user ID or 'cli'/'server:<job>').
CREATE TABLE directory_history (
    change_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX directory_history_subject ON directory_history (subject, change_id);
