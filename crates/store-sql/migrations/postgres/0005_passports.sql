-- Product and material passports (issue 4): profiles as data, passports with an immutable
-- version history, and the public material index used by search.

CREATE TABLE passport_profiles (
    code TEXT NOT NULL,
    version TEXT NOT NULL,
    -- major * 10^12 + minor * 10^6 + patch: the newest version sorts last.
    version_rank BIGINT NOT NULL,
    industry TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE passports (
    id TEXT PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    granularity TEXT NOT NULL,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    profile TEXT NOT NULL,
    status TEXT NOT NULL,
    visibility TEXT NOT NULL,
    latest_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX passports_owner ON passports (owner_organization_id, id);
CREATE INDEX passports_profile ON passports (profile, id);

-- Every version as it was written; never changed or deleted.
CREATE TABLE passport_versions (
    passport_id TEXT NOT NULL REFERENCES passports (id),
    version BIGINT NOT NULL,
    profile_version TEXT NOT NULL,
    status TEXT NOT NULL,
    visibility TEXT NOT NULL,
    data TEXT NOT NULL,
    links TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (passport_id, version)
);
CREATE FUNCTION passport_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'passport versions are immutable';
END;
$$;
CREATE TRIGGER passport_versions_no_change BEFORE UPDATE OR DELETE ON passport_versions
    FOR EACH ROW EXECUTE FUNCTION passport_versions_immutable();

-- Material names from the public material fields of each passport's latest version.
CREATE TABLE passport_materials (
    passport_id TEXT NOT NULL REFERENCES passports (id),
    material TEXT NOT NULL,
    PRIMARY KEY (material, passport_id)
);
CREATE INDEX passport_materials_passport ON passport_materials (passport_id);
