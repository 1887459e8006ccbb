-- A counter of the changes to what a CFP roll-up reads (parts, their structure lines, their CFPs
-- and those CFPs' footprints), and which parts each change touched, so that a process may keep
-- the supply graphs it read and use one again while no part of it has changed
-- (`ouranos/rollup.rs`, `GraphCache`). Triggers count every change in its own transaction,
-- whichever code or process makes it. A structure line counts as a change of its parent part;
-- a footprint's as a change of the parts whose CFP it is. Changes more than 100,000 counts old
-- are pruned: a graph kept longer than that is read again.
--
-- The triggers are deferred to the commit and count once per transaction: the counter's row is
-- then the last lock a transaction takes, held only while it commits, so transactions that
-- change these tables in different orders cannot deadlock on it, and the count and the changed
-- parts become visible together with the change.
CREATE TABLE ouranos_graph_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL,
    -- The changes counted up to here are no longer listed.
    pruned_through BIGINT NOT NULL
);
INSERT INTO ouranos_graph_generation (id, generation, pruned_through) VALUES (1, 0, 0);

CREATE TABLE ouranos_graph_changes (
    generation BIGINT NOT NULL,
    trace_id TEXT NOT NULL
);
CREATE INDEX ouranos_graph_changes_generation ON ouranos_graph_changes (generation);
-- The parts whose CFP a footprint is (the footprints trigger below).
CREATE INDEX ouranos_cfps_footprint ON ouranos_cfps (footprint_id);

-- This transaction's count: taken at its first change, remembered in a transaction-local setting.
CREATE FUNCTION ouranos_graph_generation_now() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    remembered TEXT := current_setting('junkan.ouranos_graph_generation', true);
    counted BIGINT;
BEGIN
    IF remembered IS NOT NULL AND remembered <> '' AND split_part(remembered, ':', 1) = txid_current()::text THEN
        RETURN split_part(remembered, ':', 2)::BIGINT;
    END IF;
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation INTO counted;
    PERFORM set_config('junkan.ouranos_graph_generation', txid_current()::text || ':' || counted::text, true);
    IF counted % 1000 = 0 THEN
        DELETE FROM ouranos_graph_changes WHERE generation <= counted - 100000;
        UPDATE ouranos_graph_generation SET pruned_through = counted - 100000 WHERE id = 1;
    END IF;
    RETURN counted;
END;
$$;

CREATE FUNCTION ouranos_graph_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted BIGINT := ouranos_graph_generation_now();
BEGIN
    IF TG_TABLE_NAME = 'ouranos_parts_structures' THEN
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO ouranos_graph_changes VALUES (counted, OLD.parent_trace_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO ouranos_graph_changes VALUES (counted, NEW.parent_trace_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'footprints' THEN
        INSERT INTO ouranos_graph_changes
            SELECT counted, c.trace_id FROM ouranos_cfps c WHERE c.footprint_id IN (OLD.id, NEW.id);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO ouranos_graph_changes VALUES (counted, OLD.trace_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO ouranos_graph_changes VALUES (counted, NEW.trace_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ouranos_parts_moved AFTER INSERT OR UPDATE OR DELETE ON ouranos_parts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ouranos_graph_moved();
CREATE CONSTRAINT TRIGGER ouranos_parts_structures_moved AFTER INSERT OR UPDATE OR DELETE ON ouranos_parts_structures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ouranos_graph_moved();
CREATE CONSTRAINT TRIGGER ouranos_cfps_moved AFTER INSERT OR UPDATE OR DELETE ON ouranos_cfps
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ouranos_graph_moved();
CREATE CONSTRAINT TRIGGER footprints_moved AFTER UPDATE ON footprints
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ouranos_graph_moved();
