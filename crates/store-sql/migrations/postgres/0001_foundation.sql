-- Foundation schema (PostgreSQL). Times are microseconds since the Unix epoch (BIGINT), so that the
-- same SQL compares them in both backends; ids are UUID text.

CREATE TABLE industries (
    code TEXT PRIMARY KEY,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    organization_type TEXT NOT NULL,
    company_size TEXT,
    corporate_number TEXT,
    lei TEXT,
    gs1_company_prefix TEXT,
    gln TEXT,
    local_government_code TEXT,
    prefecture_code TEXT,
    website TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organizations_corporate_number ON organizations (corporate_number) WHERE corporate_number IS NOT NULL;
CREATE UNIQUE INDEX organizations_lei ON organizations (lei) WHERE lei IS NOT NULL;
CREATE UNIQUE INDEX organizations_gln ON organizations (gln) WHERE gln IS NOT NULL;
CREATE INDEX organizations_prefecture ON organizations (prefecture_code);

CREATE TABLE organization_industries (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    industry_code TEXT NOT NULL REFERENCES industries (code),
    PRIMARY KEY (organization_id, industry_code)
);
CREATE INDEX organization_industries_code ON organization_industries (industry_code);

CREATE TABLE organization_roles (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    PRIMARY KEY (organization_id, role)
);
CREATE INDEX organization_roles_role ON organization_roles (role);

CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    facility_type TEXT NOT NULL,
    gln TEXT,
    ouranos_plant_id TEXT,
    prefecture_code TEXT,
    local_government_code TEXT,
    address TEXT,
    visibility TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX facilities_organization ON facilities (organization_id);
CREATE UNIQUE INDEX facilities_gln ON facilities (gln) WHERE gln IS NOT NULL;
CREATE UNIQUE INDEX facilities_plant_id ON facilities (organization_id, ouranos_plant_id) WHERE ouranos_plant_id IS NOT NULL;

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    locale TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX clients_organization ON clients (organization_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    roles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    grantee_kind TEXT NOT NULL,
    grantee_value TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    all_records BIGINT NOT NULL,
    level TEXT NOT NULL,
    level_rank BIGINT NOT NULL,
    purpose TEXT,
    expires_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX grants_owner_kind ON grants (owner_organization_id, record_kind);
CREATE INDEX grants_grantee ON grants (grantee_kind, grantee_value);

CREATE TABLE grant_records (
    grant_id TEXT NOT NULL REFERENCES grants (id),
    record_id TEXT NOT NULL,
    PRIMARY KEY (grant_id, record_id)
);

CREATE TABLE certifications (
    id TEXT PRIMARY KEY,
    certifier_organization_id TEXT NOT NULL REFERENCES organizations (id),
    subject_organization_id TEXT NOT NULL REFERENCES organizations (id),
    scheme TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX certifications_subject ON certifications (subject_organization_id, scheme);

CREATE TABLE audit_log (
    sequence BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_organization_id TEXT,
    action TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    owner_organization_id TEXT,
    grant_id TEXT,
    purpose TEXT,
    request_id TEXT
);
CREATE INDEX audit_log_owner ON audit_log (owner_organization_id, sequence);
CREATE INDEX audit_log_record ON audit_log (record_id);

-- The audit log is append-only: the database itself refuses to change or remove an entry.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
