-- Per-material accounting in chain-of-custody ledgers (issue 6): a lot counts in a material's
-- ledger with that material's part of it, lot mass × the material's mass fraction (質量分率),
-- and a claim is about the material in its output lot. The fraction of an input comes from the
-- keeper (with the input or on import), the lot's upstream claim or its passport's
-- composition, or is 1 when nothing states one (the lot is the material itself: every entry
-- written before this migration). The material's mass is computed from mass_t × fraction when
-- read, so no existing row changes (entries are append-only).
ALTER TABLE ledger_inputs ADD COLUMN material_fraction TEXT NOT NULL DEFAULT '1';
ALTER TABLE ledger_inputs ADD COLUMN fraction_source TEXT NOT NULL DEFAULT '{"kind":"whole_lot"}';
ALTER TABLE ledger_claims ADD COLUMN material_fraction TEXT NOT NULL DEFAULT '1';
