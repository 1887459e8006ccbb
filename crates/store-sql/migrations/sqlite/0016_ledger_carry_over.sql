-- Credit carry-over between ledger periods (繰越し, issue 6). A ledger may state a carry-over
-- rule (JSON: {"expires_after_periods": n} or {}; NULL: credits lapse at closing). Carried
-- credits enter the next period's ledger as input entries whose share source names the ledger
-- they came from and the period that made them; carried_from_ledger_id finds what left a closed
-- ledger. The head trigger lists its columns, so it is written again with the new one.
ALTER TABLE ledgers ADD COLUMN carry_over TEXT;
ALTER TABLE ledger_inputs ADD COLUMN carried_from_ledger_id TEXT REFERENCES ledgers (id);
CREATE INDEX ledger_inputs_carried_from ON ledger_inputs (carried_from_ledger_id);

DROP TRIGGER ledgers_immutable;
CREATE TRIGGER ledgers_immutable BEFORE UPDATE ON ledgers
WHEN NOT (NEW.id = OLD.id AND NEW.owner_organization_id = OLD.owner_organization_id
          AND NEW.facility_id = OLD.facility_id AND NEW.material = OLD.material AND NEW.model = OLD.model
          AND NEW.period_from = OLD.period_from AND NEW.period_to = OLD.period_to
          AND NEW.conversion_factor = OLD.conversion_factor AND NEW.unit_conversions = OLD.unit_conversions
          AND NEW.visibility = OLD.visibility AND NEW.note IS OLD.note AND NEW.carry_over IS OLD.carry_over
          AND NEW.created_at = OLD.created_at AND NEW.created_by = OLD.created_by
          AND NEW.revision > OLD.revision AND OLD.closed_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'a ledger changes only by its entries and by being closed once');
END;
