-- A counter of the changes to what a CFP roll-up reads (parts, their structure lines, their CFPs
-- and those CFPs' footprints), and which parts each change touched, so that a process may keep
-- the supply graphs it read and use one again while no part of it has changed
-- (`ouranos/rollup.rs`, `GraphCache`). Triggers count every change in its own transaction,
-- whichever code or process makes it. A structure line counts as a change of its parent part;
-- a footprint's as a change of the parts whose CFP it is. Changes more than 100,000 counts old
-- are pruned: a graph kept longer than that is read again.
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

CREATE TRIGGER ouranos_parts_moved_insert AFTER INSERT ON ouranos_parts
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, NEW.trace_id FROM ouranos_graph_generation WHERE id = 1;
END;
CREATE TRIGGER ouranos_parts_moved_update AFTER UPDATE ON ouranos_parts
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, OLD.trace_id FROM ouranos_graph_generation WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, NEW.trace_id FROM ouranos_graph_generation WHERE id = 1;
END;
CREATE TRIGGER ouranos_parts_moved_delete AFTER DELETE ON ouranos_parts
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, OLD.trace_id FROM ouranos_graph_generation WHERE id = 1;
END;

CREATE TRIGGER ouranos_parts_structures_moved_insert AFTER INSERT ON ouranos_parts_structures
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, NEW.parent_trace_id FROM ouranos_graph_generation WHERE id = 1;
END;
CREATE TRIGGER ouranos_parts_structures_moved_update AFTER UPDATE ON ouranos_parts_structures
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, OLD.parent_trace_id FROM ouranos_graph_generation WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, NEW.parent_trace_id FROM ouranos_graph_generation WHERE id = 1;
END;
CREATE TRIGGER ouranos_parts_structures_moved_delete AFTER DELETE ON ouranos_parts_structures
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, OLD.parent_trace_id FROM ouranos_graph_generation WHERE id = 1;
END;

CREATE TRIGGER ouranos_cfps_moved_insert AFTER INSERT ON ouranos_cfps
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, NEW.trace_id FROM ouranos_graph_generation WHERE id = 1;
END;
CREATE TRIGGER ouranos_cfps_moved_update AFTER UPDATE ON ouranos_cfps
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, OLD.trace_id FROM ouranos_graph_generation WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, NEW.trace_id FROM ouranos_graph_generation WHERE id = 1;
END;
CREATE TRIGGER ouranos_cfps_moved_delete AFTER DELETE ON ouranos_cfps
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes SELECT generation, OLD.trace_id FROM ouranos_graph_generation WHERE id = 1;
END;

CREATE TRIGGER footprints_moved_update AFTER UPDATE ON footprints
BEGIN
    UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1;
    INSERT INTO ouranos_graph_changes
        SELECT g.generation, c.trace_id FROM ouranos_graph_generation g, ouranos_cfps c
        WHERE g.id = 1 AND c.footprint_id IN (OLD.id, NEW.id);
END;

-- Pruning, once per 1,000 counts.
CREATE TRIGGER ouranos_graph_changes_pruned AFTER UPDATE ON ouranos_graph_generation
WHEN NEW.generation <> OLD.generation AND NEW.generation % 1000 = 0
BEGIN
    DELETE FROM ouranos_graph_changes WHERE generation <= NEW.generation - 100000;
    UPDATE ouranos_graph_generation SET pruned_through = NEW.generation - 100000 WHERE id = 1;
END;
