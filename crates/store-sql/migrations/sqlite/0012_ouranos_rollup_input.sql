-- Roll-up speed (issue 5): what the multi-tier roll-up reads of a part's CFP (declared unit and
-- amount, total, ratings, primary data share and the Ouranos stage split; `PartFootprint`), as
-- one short line written with the CFP, so that rolling up 10,000 parts reads a line per part
-- instead of parsing each footprint's whole JSON. The footprint it comes from is immutable
-- (a rewrite links a new one and writes its line too). NULL for CFPs written before this
-- migration; those are read from `footprints.document`.
ALTER TABLE ouranos_cfps ADD COLUMN rollup_input TEXT;
