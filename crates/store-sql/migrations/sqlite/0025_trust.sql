-- Trust services (トラストサービス, issue 9): the signing keys of organizations beside the node's,
-- with rotation, and the verifiable credentials organizations issue with their revocation
-- status-list entries (store-sql/src/trust.rs, docs/trust.md).

-- One table of Ed25519 keys: the node's (organization_id NULL: access tokens, log tree heads,
-- the node's DID document) and each organization's (its credentials, its DID document). A
-- rotation gives the keys in use a retirement time and adds a new key; retired keys stay, so
-- what they signed before their retirement still verifies. `public_key` (base64url) is what
-- the tamper-evident log commits to; the secret never is.
ALTER TABLE signing_keys ADD COLUMN organization_id TEXT REFERENCES organizations (id);
ALTER TABLE signing_keys ADD COLUMN public_key TEXT;
ALTER TABLE signing_keys ADD COLUMN retired_at BIGINT;
CREATE INDEX signing_keys_owner ON signing_keys (organization_id, created_at);
CREATE TRIGGER signing_keys_retire_only BEFORE UPDATE ON signing_keys
WHEN NOT (OLD.kid = NEW.kid AND OLD.secret = NEW.secret AND OLD.created_at = NEW.created_at
          AND OLD.organization_id IS NEW.organization_id
          AND (OLD.public_key IS NULL OR OLD.public_key = NEW.public_key)
          AND (OLD.retired_at IS NULL OR OLD.retired_at = NEW.retired_at))
BEGIN
    SELECT RAISE(ABORT, 'signing keys change only by retirement');
END;
CREATE TRIGGER signing_keys_no_delete BEFORE DELETE ON signing_keys
BEGIN
    SELECT RAISE(ABORT, 'signing keys are kept: retire them');
END;

-- Whether the keys stored before this migration have been given their public key and their
-- leaf of the log (once, by `SqlStore::migrate`).
ALTER TABLE log_state ADD COLUMN keys_backfilled BIGINT NOT NULL DEFAULT 0;

-- Every credential an organization issued: what it is about (record kind, id, version), the key
-- that signed it, its index in the issuer's revocation status list (a Bitstring Status List of
-- 131,072 entries, indexes drawn at random so that an index says nothing about the order of
-- issue), and its revocation. `credential` keeps the signed form where it is part of a record
-- (the signature of an EPCIS capture); exports are signed on request and not kept.
CREATE TABLE issued_credentials (
    id TEXT PRIMARY KEY,
    issuer_organization_id TEXT NOT NULL REFERENCES organizations (id),
    status_index BIGINT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_version BIGINT,
    key_id TEXT NOT NULL REFERENCES signing_keys (kid),
    issued_at BIGINT NOT NULL,
    valid_until BIGINT,
    credential TEXT,
    revoked_at BIGINT,
    UNIQUE (issuer_organization_id, status_index)
);
CREATE INDEX issued_credentials_record ON issued_credentials (record_kind, record_id);
CREATE TRIGGER issued_credentials_revoke_only BEFORE UPDATE ON issued_credentials
WHEN NOT (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL AND OLD.id = NEW.id
          AND OLD.issuer_organization_id = NEW.issuer_organization_id
          AND OLD.status_index = NEW.status_index AND OLD.record_kind = NEW.record_kind
          AND OLD.record_id = NEW.record_id AND OLD.record_version IS NEW.record_version
          AND OLD.key_id = NEW.key_id AND OLD.issued_at = NEW.issued_at
          AND OLD.valid_until IS NEW.valid_until AND OLD.credential IS NEW.credential)
BEGIN
    SELECT RAISE(ABORT, 'issued credentials change only by revocation');
END;
CREATE TRIGGER issued_credentials_no_delete BEFORE DELETE ON issued_credentials
BEGIN
    SELECT RAISE(ABORT, 'issued credentials are kept: revoke them');
END;
