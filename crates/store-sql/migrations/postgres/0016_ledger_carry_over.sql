-- Credit carry-over between ledger periods (繰越し, issue 6). A ledger may state a carry-over
-- rule (JSON: {"expires_after_periods": n} or {}; NULL: credits lapse at closing). Carried
-- credits enter the next period's ledger as input entries whose share source names the ledger
-- they came from and the period that made them; carried_from_ledger_id finds what left a closed
-- ledger. The head trigger of 0011 compares every column but revision and closed_at, so the new
-- column is covered.
ALTER TABLE ledgers ADD COLUMN carry_over TEXT;
ALTER TABLE ledger_inputs ADD COLUMN carried_from_ledger_id TEXT REFERENCES ledgers (id);
CREATE INDEX ledger_inputs_carried_from ON ledger_inputs (carried_from_ledger_id);
