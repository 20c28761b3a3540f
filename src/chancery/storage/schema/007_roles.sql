-- Institution roles beyond server administration: a security officer manages clearances, lowers a room's
-- classification and handles spillage, but is not thereby a server administrator (and vice versa).
CREATE TABLE user_roles (
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- External accounts (Tchap's model: partners outside the institution) have fewer rights; set by the
-- directory or an administrator.
ALTER TABLE users ADD COLUMN is_external BIGINT NOT NULL DEFAULT 0;
