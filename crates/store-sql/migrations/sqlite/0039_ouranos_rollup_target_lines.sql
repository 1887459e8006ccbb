-- Whether the part a structure line leads to in the roll-up (`rollup_target`) has structure
-- lines of its own. A roll-up reads the graph level by level, each level's lines by their
-- parents; without this it also asked for the lines of every part of the last level, the
-- leaves (8,889 of the 10,000 parts of the benchmark tree), to find none. The writes that change
-- a line's target or a part's structure set it in their transaction
-- (`ouranos::rollup::refresh_lines`), like the other roll-up columns of migration 0014.
ALTER TABLE ouranos_parts_structures ADD COLUMN rollup_target_lines BIGINT NOT NULL DEFAULT 1;
UPDATE ouranos_parts_structures AS s SET rollup_target_lines =
    CASE WHEN EXISTS (SELECT 1 FROM ouranos_parts_structures x WHERE x.parent_trace_id = s.rollup_target) THEN 1 ELSE 0 END;
