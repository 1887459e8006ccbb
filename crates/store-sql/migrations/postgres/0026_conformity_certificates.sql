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
CREATE FUNCTION conformity_certificates_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
       AND NEW.revocation_reason IS NOT NULL
       AND (to_jsonb(NEW) - 'revoked_at' - 'revocation_reason') = (to_jsonb(OLD) - 'revoked_at' - 'revocation_reason') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'conformity certificates are immutable: they can only be revoked, once';
END;
$$;
CREATE TRIGGER conformity_certificates_immutable BEFORE UPDATE OR DELETE ON conformity_certificates
    FOR EACH ROW EXECUTE FUNCTION conformity_certificates_immutable();
