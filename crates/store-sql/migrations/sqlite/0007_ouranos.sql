-- The Ouranos data transaction records (issue 5): operators and plants are organizations and
-- facilities, so only their Ouranos-only attributes are kept here; parts with deterministic trace
-- ids, two-level parts structures, trades with their request status, CFP certification metadata,
-- and the CFP of each part (its footprint).

CREATE TABLE ouranos_operators (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
    address TEXT NOT NULL,
    global_operator_id TEXT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ouranos_operators_global_id ON ouranos_operators (global_operator_id) WHERE global_operator_id IS NOT NULL;

CREATE TABLE ouranos_plants (
    facility_id TEXT PRIMARY KEY REFERENCES facilities (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    global_plant_id TEXT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ouranos_plants_global_id ON ouranos_plants (organization_id, global_plant_id) WHERE global_plant_id IS NOT NULL;

CREATE TABLE ouranos_parts (
    trace_id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    plant_id TEXT NOT NULL REFERENCES facilities (id),
    parts_name TEXT NOT NULL,
    support_parts_name TEXT,
    terminated BIGINT NOT NULL,
    -- The amount last written with the part (decimal text); structures keep their own per line.
    amount_required TEXT,
    amount_required_unit TEXT,
    parts_label_name TEXT,
    parts_add_info1 TEXT,
    parts_add_info2 TEXT,
    parts_add_info3 TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ouranos_parts_owner ON ouranos_parts (organization_id, parts_name, trace_id);

CREATE TABLE ouranos_parts_structures (
    parent_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    child_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    position BIGINT NOT NULL,
    amount_required TEXT,
    amount_required_unit TEXT,
    PRIMARY KEY (parent_trace_id, child_trace_id)
);
CREATE INDEX ouranos_parts_structures_child ON ouranos_parts_structures (child_trace_id);

CREATE TABLE ouranos_trades (
    trade_id TEXT PRIMARY KEY,
    status_id TEXT NOT NULL UNIQUE,
    downstream_organization_id TEXT NOT NULL REFERENCES organizations (id),
    downstream_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    upstream_organization_id TEXT NOT NULL REFERENCES organizations (id),
    upstream_trace_id TEXT REFERENCES ouranos_parts (trace_id),
    request_type TEXT NOT NULL,
    message TEXT,
    reply_message TEXT,
    cfp_response_status TEXT NOT NULL,
    response_due_date TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ouranos_trades_downstream ON ouranos_trades (downstream_organization_id, created_at, trade_id);
CREATE INDEX ouranos_trades_upstream ON ouranos_trades (upstream_organization_id, created_at, trade_id);
CREATE INDEX ouranos_trades_downstream_trace ON ouranos_trades (downstream_trace_id);
CREATE INDEX ouranos_trades_upstream_trace ON ouranos_trades (upstream_trace_id);

CREATE TABLE ouranos_cfp_certifications (
    id TEXT PRIMARY KEY,
    trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    description TEXT,
    -- cfpCertificationFileInfo as JSON text.
    files TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ouranos_cfp_certifications_trace ON ouranos_cfp_certifications (trace_id, id);

-- The CFP of a part: its current footprint (migration 0006, the one footprint model) under a cfpId
-- that stays the same when the part's CFP is rewritten (a rewrite supersedes the footprint).
CREATE TABLE ouranos_cfps (
    trace_id TEXT PRIMARY KEY REFERENCES ouranos_parts (trace_id),
    cfp_id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    footprint_id TEXT NOT NULL REFERENCES footprints (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
