-- The tamper-evident audit log (issue 13). Entries form one hash chain: each entry's `hash` is SHA-256 over
-- the canonical JSON of its fields and `prev_hash`, the hash of the entry before it. `seq` has no gaps: it is
-- taken from `audit_tail` while that row is locked by the writing transaction, never from a sequence (a
-- rolled-back transaction would leave a hole no verifier could tell from a deletion).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    ts BIGINT NOT NULL,
    actor_user TEXT,
    actor_device TEXT,
    actor_ip TEXT,
    via TEXT NOT NULL,
    job TEXT,
    action TEXT NOT NULL,
    target TEXT,
    outcome TEXT NOT NULL,
    reason TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_user, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target, seq);
CREATE INDEX audit_log_ts ON audit_log (ts);

-- The chain's end (the last entry's seq and hash) and its start: `anchor_seq`/`anchor_hash` are the entry
-- before the oldest kept one (seq 0 and the genesis hash until retention prunes up to a checkpoint).
CREATE TABLE audit_tail (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    anchor_seq BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL
);
INSERT INTO audit_tail (id, seq, hash, anchor_seq, anchor_hash) VALUES
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
     0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Signed checkpoints: `signed` is the canonical JSON {server_name, seq, hash, ts, signatures}; with the
-- public key it proves the chain up to `seq` ended in `hash` when it was signed.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    ts BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signed TEXT NOT NULL
);
