-- Material-flow records (物質フロー), stored indicator values (指標値) and targets (目標値) (issue 6).
-- Each row is one version: a correction inserts the next version and marks the old one
-- superseded (the one change a trigger allows); nothing is deleted. An organization has at most
-- one current version per key (the partial unique indexes).

CREATE TABLE material_flows (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    visibility TEXT NOT NULL,
    -- 'JP' or a six-digit local-government code.
    region TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    -- An input name of the indicators that take flow data (natural_resource_input, DMC, ...).
    kind TEXT NOT NULL,
    -- Exact decimal text.
    amount TEXT NOT NULL,
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    source_url TEXT,
    note TEXT,
    version BIGINT NOT NULL,
    supersedes TEXT REFERENCES material_flows (id),
    superseded_by TEXT,
    correction_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX material_flows_current ON material_flows (owner_organization_id, region, fiscal_year, kind)
    WHERE superseded_by IS NULL;
CREATE INDEX material_flows_region ON material_flows (region, fiscal_year, kind);
CREATE INDEX material_flows_owner ON material_flows (owner_organization_id, id);

CREATE TABLE indicator_values (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    visibility TEXT NOT NULL,
    indicator TEXT NOT NULL,
    -- '<kind>:<id>', e.g. 'nation:JP', 'region:131016'.
    scope TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    -- JSON: the values by output name.
    result TEXT NOT NULL,
    methodology TEXT NOT NULL,
    -- JSON, as given.
    provenance TEXT,
    source TEXT NOT NULL,
    source_url TEXT,
    note TEXT,
    version BIGINT NOT NULL,
    supersedes TEXT REFERENCES indicator_values (id),
    superseded_by TEXT,
    correction_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX indicator_values_current ON indicator_values (owner_organization_id, indicator, scope, fiscal_year)
    WHERE superseded_by IS NULL;
CREATE INDEX indicator_values_scope ON indicator_values (indicator, scope, fiscal_year);
CREATE INDEX indicator_values_owner ON indicator_values (owner_organization_id, id);

CREATE TABLE indicator_targets (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    visibility TEXT NOT NULL,
    indicator TEXT NOT NULL,
    output TEXT NOT NULL,
    scope TEXT NOT NULL,
    target_fiscal_year BIGINT NOT NULL,
    target_value TEXT NOT NULL,
    unit TEXT NOT NULL,
    -- 'at_least' or 'at_most'.
    direction TEXT NOT NULL,
    baseline_fiscal_year BIGINT,
    baseline_value TEXT,
    source TEXT NOT NULL,
    source_url TEXT,
    note TEXT,
    version BIGINT NOT NULL,
    supersedes TEXT REFERENCES indicator_targets (id),
    superseded_by TEXT,
    correction_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX indicator_targets_current
    ON indicator_targets (owner_organization_id, indicator, output, scope, target_fiscal_year)
    WHERE superseded_by IS NULL;
CREATE INDEX indicator_targets_scope ON indicator_targets (indicator, scope, output);
CREATE INDEX indicator_targets_owner ON indicator_targets (owner_organization_id, id);

-- One function for the three tables: the only change allowed is marking the current version
-- superseded (every other column as it was); nothing is deleted.
CREATE FUNCTION indicator_records_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.superseded_by IS NULL AND NEW.superseded_by IS NOT NULL
       AND (to_jsonb(NEW) - 'superseded_by') = (to_jsonb(OLD) - 'superseded_by') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% rows are immutable: correct them with a new version', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER material_flows_immutable BEFORE UPDATE OR DELETE ON material_flows
    FOR EACH ROW EXECUTE FUNCTION indicator_records_immutable();
CREATE TRIGGER indicator_values_immutable BEFORE UPDATE OR DELETE ON indicator_values
    FOR EACH ROW EXECUTE FUNCTION indicator_records_immutable();
CREATE TRIGGER indicator_targets_immutable BEFORE UPDATE OR DELETE ON indicator_targets
    FOR EACH ROW EXECUTE FUNCTION indicator_records_immutable();
