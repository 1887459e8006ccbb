-- Roll-up speed (issue 5), part two: the audit of reads in batches, and structure lines that
-- know the part they lead to.
--
-- 1. Audited reads in batches. A request that reads several restricted records of one owner
-- under one basis (a roll-up reading 10,000 suppliers' parts, a page of a listing) writes one
-- `audit_log` entry for them that names its set of records instead of one entry per record.
-- A set is stored once, under the SHA-256 of its record ids (sorted, distinct), with one row per
-- member; entries of later requests that read the same records name the same set, so a
-- repeated roll-up writes one entry per owner and no member rows. Sets and members are
-- append-only like the log. An entry names exactly one record or exactly one set.

CREATE TABLE audit_record_sets (
    -- Lower-case hex SHA-256 of the members' ids, sorted and distinct, each as its length in
    -- bytes (8 bytes, little-endian) followed by its UTF-8 bytes.
    id TEXT PRIMARY KEY,
    record_count BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_record_set_members (
    set_id TEXT NOT NULL REFERENCES audit_record_sets (id),
    record_id TEXT NOT NULL,
    PRIMARY KEY (set_id, record_id)
) WITHOUT ROWID;
-- Which sets hold a record (the audit listing's record filter); the key's set id comes with it.
CREATE INDEX audit_record_set_members_record ON audit_record_set_members (record_id);

CREATE TRIGGER audit_record_sets_no_update BEFORE UPDATE ON audit_record_sets
BEGIN
    SELECT RAISE(ABORT, 'audit record sets are append-only');
END;
CREATE TRIGGER audit_record_sets_no_delete BEFORE DELETE ON audit_record_sets
BEGIN
    SELECT RAISE(ABORT, 'audit record sets are append-only');
END;
CREATE TRIGGER audit_record_set_members_no_update BEFORE UPDATE ON audit_record_set_members
BEGIN
    SELECT RAISE(ABORT, 'audit record sets are append-only');
END;
CREATE TRIGGER audit_record_set_members_no_delete BEFORE DELETE ON audit_record_set_members
BEGIN
    SELECT RAISE(ABORT, 'audit record sets are append-only');
END;

-- SQLite cannot drop NOT NULL from `record_id`: the log is copied into a new table with the
-- same sequence numbers (AUTOINCREMENT continues after the highest), then renamed.
CREATE TABLE audit_log_sets (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_organization_id TEXT,
    action TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT,
    owner_organization_id TEXT,
    grant_id TEXT,
    purpose TEXT,
    request_id TEXT,
    record_set_id TEXT REFERENCES audit_record_sets (id),
    CHECK ((record_id IS NULL) <> (record_set_id IS NULL))
);
INSERT INTO audit_log_sets (sequence, at, actor_kind, actor_id, actor_organization_id, action, record_kind, record_id,
    owner_organization_id, grant_id, purpose, request_id)
SELECT sequence, at, actor_kind, actor_id, actor_organization_id, action, record_kind, record_id,
    owner_organization_id, grant_id, purpose, request_id
FROM audit_log ORDER BY sequence;
DROP TABLE audit_log;
ALTER TABLE audit_log_sets RENAME TO audit_log;
CREATE INDEX audit_log_owner ON audit_log (owner_organization_id, sequence);
CREATE INDEX audit_log_record ON audit_log (record_id);
CREATE INDEX audit_log_record_set ON audit_log (record_set_id) WHERE record_set_id IS NOT NULL;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- 2. The part each structure line leads to in the roll-up (`rollup_target`): the component
-- itself when it has a CFP of its own, else the supplier's part of the trade answered last for
-- it, else the component (which the roll-up then reports missing). It is what the roll-up
-- decided per line on every read, by three look-ups; now the writes that change it (a structure,
-- a CFP, a trade) set it in their transaction (`ouranos::rollup::refresh_targets`, the same
-- expression as below), and the roll-up reads the lines through a covering index and, with one
-- more search, what it needs of each target's CFP.
ALTER TABLE ouranos_parts_structures ADD COLUMN rollup_target TEXT;
UPDATE ouranos_parts_structures AS s SET rollup_target = CASE
    WHEN EXISTS (SELECT 1 FROM ouranos_cfps o WHERE o.trace_id = s.child_trace_id) THEN s.child_trace_id
    ELSE COALESCE((SELECT t.upstream_trace_id FROM ouranos_trades t WHERE t.downstream_trace_id = s.child_trace_id
        AND t.cfp_response_status = 'COMPLETED' AND t.upstream_trace_id IS NOT NULL
        ORDER BY t.updated_at DESC, t.trade_id DESC LIMIT 1), s.child_trace_id) END;
CREATE INDEX ouranos_parts_structures_rollup ON ouranos_parts_structures
    (parent_trace_id, position, rollup_target, child_trace_id, amount_required, amount_required_unit);
-- A CFP is looked up by its part's trace id, for the operator and the roll-up line: stored in
-- that key's order (WITHOUT ROWID), one B-tree search finds them; as a rowid table the key's
-- index was searched and then the table (PostgreSQL has a covering index instead).
CREATE TABLE ouranos_cfps_by_part (
    trace_id TEXT PRIMARY KEY REFERENCES ouranos_parts (trace_id),
    cfp_id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    footprint_id TEXT NOT NULL REFERENCES footprints (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    rollup_input TEXT
) WITHOUT ROWID;
INSERT INTO ouranos_cfps_by_part (trace_id, cfp_id, organization_id, footprint_id, created_at, updated_at, rollup_input)
SELECT trace_id, cfp_id, organization_id, footprint_id, created_at, updated_at, rollup_input FROM ouranos_cfps;
DROP TABLE ouranos_cfps;
ALTER TABLE ouranos_cfps_by_part RENAME TO ouranos_cfps;
