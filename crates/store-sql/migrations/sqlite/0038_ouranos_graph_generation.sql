-- A counter of the changes to what a CFP roll-up reads (parts, their structure lines, their CFPs
-- and those CFPs' footprints), so that a process may keep the supply graphs it read and use one
-- again as long as the counter has not moved (`ouranos/rollup.rs`, `GraphCache`). Triggers bump
-- it in the transaction of every change, whichever code or process makes it.
CREATE TABLE ouranos_graph_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO ouranos_graph_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER ouranos_parts_moved_insert AFTER INSERT ON ouranos_parts
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER ouranos_parts_moved_update AFTER UPDATE ON ouranos_parts
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER ouranos_parts_moved_delete AFTER DELETE ON ouranos_parts
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER ouranos_parts_structures_moved_insert AFTER INSERT ON ouranos_parts_structures
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER ouranos_parts_structures_moved_update AFTER UPDATE ON ouranos_parts_structures
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER ouranos_parts_structures_moved_delete AFTER DELETE ON ouranos_parts_structures
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER ouranos_cfps_moved_insert AFTER INSERT ON ouranos_cfps
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER ouranos_cfps_moved_update AFTER UPDATE ON ouranos_cfps
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER ouranos_cfps_moved_delete AFTER DELETE ON ouranos_cfps
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER footprints_moved_update AFTER UPDATE ON footprints
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER footprints_moved_delete AFTER DELETE ON footprints
BEGIN UPDATE ouranos_graph_generation SET generation = generation + 1 WHERE id = 1; END;
