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

-- 2. Structure lines that carry what the roll-up reads through them. Per line the roll-up needs
-- the part the line leads to (`rollup_target`): the component itself when it has a CFP of its
-- own, else the supplier's part of the trade answered last for it, else the component (which
-- the roll-up then reports missing); that part's operator (`rollup_operator`); and its CFP's
-- roll-up line (`rollup_input`, migration 0012: NULL without a CFP, '?' for a CFP written
-- without its line). The roll-up decided and looked these up per line on every read (five
-- searches a line); now the writes that change them (a structure, a CFP, a trade) set them in
-- their transaction (`ouranos::rollup::refresh_lines`, the same expressions as below) and the
-- roll-up reads each level's lines alone.
-- The lines are stored in key order (WITHOUT ROWID), so that a parent's lines are one range.
CREATE TABLE ouranos_parts_structures_rollup (
    parent_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    child_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    position BIGINT NOT NULL,
    amount_required TEXT,
    amount_required_unit TEXT,
    rollup_target TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    rollup_operator TEXT NOT NULL REFERENCES organizations (id),
    rollup_input TEXT,
    PRIMARY KEY (parent_trace_id, child_trace_id)
) WITHOUT ROWID;
INSERT INTO ouranos_parts_structures_rollup (parent_trace_id, child_trace_id, position, amount_required,
    amount_required_unit, rollup_target, rollup_operator, rollup_input)
SELECT s.parent_trace_id, s.child_trace_id, s.position, s.amount_required, s.amount_required_unit, s.target,
    p.organization_id, CASE WHEN c.trace_id IS NULL THEN NULL ELSE COALESCE(c.rollup_input, '?') END
FROM (SELECT s.*, CASE
        WHEN EXISTS (SELECT 1 FROM ouranos_cfps o WHERE o.trace_id = s.child_trace_id) THEN s.child_trace_id
        ELSE COALESCE((SELECT t.upstream_trace_id FROM ouranos_trades t WHERE t.downstream_trace_id = s.child_trace_id
            AND t.cfp_response_status = 'COMPLETED' AND t.upstream_trace_id IS NOT NULL
            ORDER BY t.updated_at DESC, t.trade_id DESC LIMIT 1), s.child_trace_id) END AS target
    FROM ouranos_parts_structures s) s
JOIN ouranos_parts p ON p.trace_id = s.target
LEFT JOIN ouranos_cfps c ON c.trace_id = s.target;
DROP TABLE ouranos_parts_structures;
ALTER TABLE ouranos_parts_structures_rollup RENAME TO ouranos_parts_structures;
CREATE INDEX ouranos_parts_structures_child ON ouranos_parts_structures (child_trace_id);
CREATE INDEX ouranos_parts_structures_target ON ouranos_parts_structures (rollup_target);
