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
);

CREATE TABLE audit_record_set_members (
    set_id TEXT NOT NULL REFERENCES audit_record_sets (id),
    record_id TEXT NOT NULL,
    PRIMARY KEY (set_id, record_id)
);
-- Which sets hold a record (the audit listing's record filter).
CREATE INDEX audit_record_set_members_record ON audit_record_set_members (record_id, set_id);

CREATE FUNCTION audit_record_sets_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit record sets are append-only';
END;
$$;
CREATE TRIGGER audit_record_sets_no_update BEFORE UPDATE OR DELETE ON audit_record_sets
    FOR EACH ROW EXECUTE FUNCTION audit_record_sets_append_only();
CREATE TRIGGER audit_record_sets_no_truncate BEFORE TRUNCATE ON audit_record_sets
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_sets_append_only();
CREATE TRIGGER audit_record_set_members_no_update BEFORE UPDATE OR DELETE ON audit_record_set_members
    FOR EACH ROW EXECUTE FUNCTION audit_record_sets_append_only();
CREATE TRIGGER audit_record_set_members_no_truncate BEFORE TRUNCATE ON audit_record_set_members
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_sets_append_only();

ALTER TABLE audit_log ALTER COLUMN record_id DROP NOT NULL;
ALTER TABLE audit_log ADD COLUMN record_set_id TEXT REFERENCES audit_record_sets (id);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_record_or_set CHECK ((record_id IS NULL) <> (record_set_id IS NULL));
CREATE INDEX audit_log_record_set ON audit_log (record_set_id) WHERE record_set_id IS NOT NULL;

-- 2. Structure lines that carry what the roll-up reads through them. Per line the roll-up needs
-- the part the line leads to (`rollup_target`): the component itself when it has a CFP of its
-- own, else the supplier's part of the trade answered last for it, else the component (which
-- the roll-up then reports missing); that part's operator (`rollup_operator`); and its CFP's
-- roll-up line (`rollup_input`, migration 0012: NULL without a CFP, '?' for a CFP written
-- without its line). The roll-up decided and looked these up per line on every read (five
-- searches a line); now the writes that change them (a structure, a CFP, a trade) set them in
-- their transaction (`ouranos::rollup::refresh_lines`, the same expressions as below) and the
-- roll-up reads each level's lines alone.
ALTER TABLE ouranos_parts_structures
    ADD COLUMN rollup_target TEXT REFERENCES ouranos_parts (trace_id),
    ADD COLUMN rollup_operator TEXT REFERENCES organizations (id),
    ADD COLUMN rollup_input TEXT;
UPDATE ouranos_parts_structures AS s SET rollup_target = CASE
        WHEN EXISTS (SELECT 1 FROM ouranos_cfps o WHERE o.trace_id = s.child_trace_id) THEN s.child_trace_id
        ELSE COALESCE((SELECT t.upstream_trace_id FROM ouranos_trades t WHERE t.downstream_trace_id = s.child_trace_id
            AND t.cfp_response_status = 'COMPLETED' AND t.upstream_trace_id IS NOT NULL
            ORDER BY t.updated_at DESC, t.trade_id DESC LIMIT 1), s.child_trace_id) END;
UPDATE ouranos_parts_structures AS s SET
    rollup_operator = (SELECT p.organization_id FROM ouranos_parts p WHERE p.trace_id = s.rollup_target),
    rollup_input = (SELECT COALESCE(c.rollup_input, '?') FROM ouranos_cfps c WHERE c.trace_id = s.rollup_target);
ALTER TABLE ouranos_parts_structures ALTER COLUMN rollup_target SET NOT NULL, ALTER COLUMN rollup_operator SET NOT NULL;
CREATE INDEX ouranos_parts_structures_target ON ouranos_parts_structures (rollup_target);
