-- Roll-up speed (issue 5), part three: structure lines that say whether the part they lead to has
-- lines, and that hold the record a roll-up reads of them.
--
-- 1. `rollup_target_lines`: whether the part a line leads to in the roll-up (`rollup_target`) has
-- structure lines of its own. A roll-up reads the graph level by level, each level's lines by
-- their parents; without this it also asked for the lines of every part of the last level, the
-- leaves (8,889 of the 10,000 parts of the benchmark tree), to find none. The writes that change
-- a line's target or a part's structure set it in their transaction
-- (`ouranos::rollup::refresh_lines`), like the other roll-up columns of migration 0014; a line
-- written without it says 1 (ask).
--
-- 2. `rollup_record`: the line as a roll-up reads it, its fields joined by '|' (parent, position,
-- target, 't' when the target is a supplier's part read through a trade, amount, unit, 'l' when
-- the target has lines, the target's operator, its CFP's roll-up line). A stored generated
-- column: the database keeps it equal to the columns whoever writes them, and a roll-up
-- aggregates it without building it from ten columns per line each time.
--
-- SQLite adds a stored generated column only to a new table: the lines are copied into one (in
-- key order, WITHOUT ROWID as before), which then takes the old one's name, indexes and the
-- change-counting triggers of migration 0038.
CREATE TABLE ouranos_parts_structures_0039 (
    parent_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    child_trace_id TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    position BIGINT NOT NULL,
    amount_required TEXT,
    amount_required_unit TEXT,
    rollup_target TEXT NOT NULL REFERENCES ouranos_parts (trace_id),
    rollup_operator TEXT NOT NULL REFERENCES organizations (id),
    rollup_input TEXT,
    rollup_target_lines BIGINT NOT NULL DEFAULT 1,
    rollup_record TEXT GENERATED ALWAYS AS (
        parent_trace_id || '|' || CAST(position AS TEXT) || '|' || rollup_target || '|'
        || CASE WHEN rollup_target = child_trace_id THEN '' ELSE 't' END || '|'
        || COALESCE(amount_required, '') || '|' || COALESCE(amount_required_unit, '') || '|'
        || CASE WHEN rollup_target_lines = 0 THEN '' ELSE 'l' END || '|'
        || rollup_operator || '|' || COALESCE(rollup_input, '')
    ) STORED,
    PRIMARY KEY (parent_trace_id, child_trace_id)
) WITHOUT ROWID;
INSERT INTO ouranos_parts_structures_0039 (parent_trace_id, child_trace_id, position, amount_required,
    amount_required_unit, rollup_target, rollup_operator, rollup_input, rollup_target_lines)
SELECT s.parent_trace_id, s.child_trace_id, s.position, s.amount_required, s.amount_required_unit, s.rollup_target,
    s.rollup_operator, s.rollup_input,
    CASE WHEN EXISTS (SELECT 1 FROM ouranos_parts_structures x WHERE x.parent_trace_id = s.rollup_target) THEN 1 ELSE 0 END
FROM ouranos_parts_structures s ORDER BY s.parent_trace_id, s.child_trace_id;
DROP TABLE ouranos_parts_structures;
ALTER TABLE ouranos_parts_structures_0039 RENAME TO ouranos_parts_structures;
CREATE INDEX ouranos_parts_structures_child ON ouranos_parts_structures (child_trace_id);
CREATE INDEX ouranos_parts_structures_target ON ouranos_parts_structures (rollup_target);

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
