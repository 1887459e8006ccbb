-- Conformity certificates (適合性証明, issue 9): certification schemes as data and the
-- certificates certifiers issue about another organization's passport, footprint or facility,
-- each with its signed credential (vc+jwt). Organization-level `certifications` (0001) stay as
-- they are: they gate grants; a certificate is about one record.

CREATE TABLE certificate_schemes (
    code TEXT PRIMARY KEY,
    label_ja TEXT NOT NULL,
    label_en TEXT NOT NULL,
    -- recycled_content | eco_design | cfp | chain_of_custody
    claim_type TEXT NOT NULL,
    -- Comma-separated subject kinds: passport, footprint, facility.
    subject_kinds TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The shipped schemes are written by `SqlStore::migrate` (logged, as the seed industries).

CREATE TABLE conformity_certificates (
    id TEXT PRIMARY KEY,
    certifier_organization_id TEXT NOT NULL REFERENCES organizations (id),
    scheme TEXT NOT NULL REFERENCES certificate_schemes (code),
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    -- Passports: the version certified.
    subject_version BIGINT,
    subject_owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- JSON: the certified claim, decimals as strings.
    claim TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    reference_number TEXT NOT NULL,
    evidence TEXT,
    -- The vc+jwt (compact JWS) the certifier signed, and its id.
    credential TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revocation_reason TEXT
);
CREATE INDEX conformity_certificates_subject ON conformity_certificates (subject_kind, subject_id);
CREATE INDEX conformity_certificates_certifier ON conformity_certificates (certifier_organization_id, id);

-- A certificate never changes except its one revocation.
CREATE TRIGGER conformity_certificates_immutable BEFORE UPDATE ON conformity_certificates
WHEN NOT (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL AND NEW.revocation_reason IS NOT NULL
          AND NEW.id = OLD.id AND NEW.certifier_organization_id = OLD.certifier_organization_id
          AND NEW.scheme = OLD.scheme AND NEW.subject_kind = OLD.subject_kind AND NEW.subject_id = OLD.subject_id
          AND NEW.subject_version IS OLD.subject_version
          AND NEW.subject_owner_organization_id = OLD.subject_owner_organization_id AND NEW.claim = OLD.claim
          AND NEW.valid_from = OLD.valid_from AND NEW.valid_until = OLD.valid_until
          AND NEW.reference_number = OLD.reference_number AND NEW.evidence IS OLD.evidence
          AND NEW.credential = OLD.credential AND NEW.credential_id = OLD.credential_id
          AND NEW.issued_at = OLD.issued_at)
BEGIN
    SELECT RAISE(ABORT, 'conformity certificates are immutable: they can only be revoked, once');
END;
CREATE TRIGGER conformity_certificates_no_delete BEFORE DELETE ON conformity_certificates
BEGIN
    SELECT RAISE(ABORT, 'conformity certificates are immutable: they can only be revoked, once');
END;
