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
ALTER TABLE ouranos_parts_structures ADD COLUMN rollup_target_lines BIGINT NOT NULL DEFAULT 1;
ALTER TABLE ouranos_parts_structures ADD COLUMN rollup_record TEXT GENERATED ALWAYS AS (
    parent_trace_id || '|' || CAST(position AS TEXT) || '|' || rollup_target || '|'
    || CASE WHEN rollup_target = child_trace_id THEN '' ELSE 't' END || '|'
    || COALESCE(amount_required, '') || '|' || COALESCE(amount_required_unit, '') || '|'
    || CASE WHEN rollup_target_lines = 0 THEN '' ELSE 'l' END || '|'
    || rollup_operator || '|' || COALESCE(rollup_input, '')
) STORED;
-- Last: the change-counting triggers (migration 0038) are deferred, and a table with pending
-- trigger events cannot be altered.
UPDATE ouranos_parts_structures AS s SET rollup_target_lines =
    CASE WHEN EXISTS (SELECT 1 FROM ouranos_parts_structures x WHERE x.parent_trace_id = s.rollup_target) THEN 1 ELSE 0 END;
