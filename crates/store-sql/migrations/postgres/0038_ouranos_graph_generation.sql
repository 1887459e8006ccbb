-- A counter of the changes to what a CFP roll-up reads (parts, their structure lines, their CFPs
-- and those CFPs' footprints), so that a process may keep the supply graphs it read and use one
-- again as long as the counter has not moved (`ouranos/rollup.rs`, `GraphCache`). Triggers bump
-- it in the transaction of every change, whichever code or process makes it.
--
-- The triggers are deferred to the commit: the counter's row is then the last lock a transaction
-- takes, held only while it commits, so transactions that change these tables in different
-- orders cannot deadlock on it, and a reader never sees the counter move before the change.
CREATE TABLE ouranos_graph_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO ouranos_graph_generation (id, generation) VALUES (1, 0);

-- Once per transaction however many rows it changed: a transaction-local setting remembers it.
CREATE FUNCTION ouranos_graph_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('junkan.ouranos_graph_moved', true) IS DISTINCT FROM txid_current()::text THEN
        UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
        PERFORM set_config('junkan.ouranos_graph_moved', txid_current()::text, true);
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
CREATE CONSTRAINT TRIGGER footprints_moved AFTER UPDATE OR DELETE ON footprints
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ouranos_graph_moved();
