-- The tamper-evident log (改ざん検知可能な記録, issue 9): one leaf per write of the store, in the
-- same transaction as the write (store-sql/src/log.rs). A leaf names the record written (kind
-- and id), what was done, the digest of the record's stored content after the write, and the
-- leaf hash of the leaf before it (a hash chain); `leaf_hash` is SHA-256(0x00 || encoded leaf)
-- (junkan_translog::Leaf), the leaves of the RFC 6962 / RFC 9162 Merkle tree.
CREATE TABLE log_leaves (
    leaf_index BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL,
    digest BYTEA NOT NULL,
    previous_hash BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL,
    -- Who owns the record: decides who is given its inclusion proof. Not part of the leaf.
    owner_organization_id TEXT
);
-- The latest leaf of a record, for verification and inclusion proofs.
CREATE INDEX log_leaves_record ON log_leaves (record_kind, record_id, leaf_index);

-- The log's end: the next leaf index and the hash of the last leaf. Every append updates this one
-- row, which serialises appends (a row lock held to the commit). `backfilled` says whether the
-- records stored before this migration have been given their leaves (once, by
-- `SqlStore::migrate`).
CREATE TABLE log_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    last_hash BYTEA NOT NULL,
    backfilled BIGINT NOT NULL
);
INSERT INTO log_state (id, size, last_hash, backfilled) VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0);

-- Signed tree heads: size, time (milliseconds), root hash and the Ed25519 signature of the
-- node key `key_id` over junkan_translog::TreeHead::signed_bytes.
CREATE TABLE log_tree_heads (
    sequence BIGSERIAL PRIMARY KEY,
    tree_size BIGINT NOT NULL,
    signed_at BIGINT NOT NULL,
    root_hash BYTEA NOT NULL,
    key_id TEXT NOT NULL,
    signature BYTEA NOT NULL
);
