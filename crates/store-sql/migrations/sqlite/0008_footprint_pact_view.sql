-- PACT listing speed (issue 5): each footprint's PACT v3.0 JSON, rendered once when it is
-- written (and again when it is deprecated, the one change a footprint allows), so that
-- `GET /3/footprints` passes the stored text on instead of parsing and rendering every footprint
-- of a page. NULL for footprints stored before this migration and for those PACT v3 cannot
-- express; those are rendered from `document` when read. Readers still select through the
-- access rule and audit their reads: only the rendering is cached.
ALTER TABLE footprints ADD COLUMN pact_v3 TEXT;
