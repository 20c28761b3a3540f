-- End-to-end encryption: device and cross-signing keys, signatures, device-list changes, to-device
-- messages and server-side key backups. TEXT and BIGINT only, flags as 0/1 integers.

-- The device keys as the device signed them (its own signature included).
CREATE TABLE e2e_device_keys (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

-- `seq` orders keys by upload call: they are handed out oldest upload first.
CREATE TABLE e2e_one_time_keys (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    key_id TEXT NOT NULL,
    json TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, algorithm, key_id)
);
CREATE INDEX e2e_one_time_keys_order ON e2e_one_time_keys (user_id, device_id, algorithm, seq);

CREATE TABLE e2e_fallback_keys (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    key_id TEXT NOT NULL,
    json TEXT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, device_id, algorithm)
);

-- key_type: master, self_signing or user_signing; public_key is the unpadded base64 ed25519 key.
CREATE TABLE e2e_cross_signing_keys (
    user_id TEXT NOT NULL,
    key_type TEXT NOT NULL,
    public_key TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (user_id, key_type)
);

-- Signatures uploaded later through /keys/signatures/upload. target_key is a device ID or a
-- cross-signing public key of target_user; signer_key_id is e.g. "ed25519:<public key>".
CREATE TABLE e2e_signatures (
    target_user TEXT NOT NULL,
    target_key TEXT NOT NULL,
    signer_user TEXT NOT NULL,
    signer_key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (target_user, target_key, signer_user, signer_key_id)
);

-- A user's devices or cross-signing keys changed at stream_pos. observer '' means everyone who
-- shares a room with the user; otherwise only that user is told (signatures by a user-signing key).
CREATE TABLE e2e_device_list_changes (
    stream_pos BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    observer TEXT NOT NULL,
    PRIMARY KEY (stream_pos, user_id, observer)
);

-- Pending to-device messages; a message is deleted once the device acknowledged its position.
CREATE TABLE e2e_to_device (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    sender TEXT NOT NULL,
    type TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, stream_pos)
);

-- For a /sync response with next_batch token_pos, the highest message position it delivered: a later
-- sync from that token acknowledges only up to there, so messages left out by the cap stay queued.
CREATE TABLE e2e_to_device_acks (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    token_pos BIGINT NOT NULL,
    delivered_upto BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, token_pos)
);

CREATE TABLE e2e_to_device_txns (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
);

CREATE TABLE e2e_backup_versions (
    user_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    algorithm TEXT NOT NULL,
    auth_data TEXT NOT NULL,
    etag BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, version)
);

CREATE TABLE e2e_backup_keys (
    user_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    room_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    first_message_index BIGINT NOT NULL,
    forwarded_count BIGINT NOT NULL,
    is_verified BIGINT NOT NULL,
    session_data TEXT NOT NULL,
    PRIMARY KEY (user_id, version, room_id, session_id)
);

-- Who joined or left a room in a window, for device_lists.changed / left.
CREATE INDEX membership_changes_room_pos ON membership_changes (room_id, stream_pos);
