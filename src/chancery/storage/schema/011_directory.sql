-- The institution's directory (issue 11): organisations (nested by path), the people in them, and the
-- history of every change. Accounts stay in `users`; a person row says what the directory knows about one.

-- An organisation's key is its path from the top, segments joined by '/': "Ministry of Finance/Budget".
CREATE TABLE directory_organisations (
    path TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_path TEXT,
    created_ts BIGINT NOT NULL
);

-- `source` names what manages the person ('csv', 'ldap', 'admin'): a sync only deactivates the people
-- its own source provisioned. The clearance columns belong to the classification feature.
CREATE TABLE directory_people (
    user_id TEXT PRIMARY KEY,
    display_name TEXT,
    organisation TEXT,
    position TEXT,
    email TEXT,
    phone TEXT,
    source TEXT NOT NULL,
    clearance_level TEXT,
    clearance_caveats TEXT,
    clearance_expires_ts BIGINT,
    updated_ts BIGINT NOT NULL
);
CREATE INDEX directory_people_source ON directory_people (source);

-- Account lifecycle: when the account expires (NULL: never) and the terms of use version it accepted.
ALTER TABLE users ADD COLUMN expires_ts BIGINT;
ALTER TABLE users ADD COLUMN terms_version TEXT;
