-- Chain-of-custody ledgers (CoC 台帳, ISO 22095) per facility, material and period (issue 6).
-- Entries are append-only: inputs, missing shares, claims, their backing and reversals refuse
-- UPDATE and DELETE; a ledger row changes only its revision (each write of an entry raises it,
-- which serialises writers on the ledger) and, once, closed_at. The unique indexes count an input
-- lot once per facility and material, and give an output lot one claim per revision.

CREATE TABLE ledgers (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    material TEXT NOT NULL,
    model TEXT NOT NULL,
    -- ISO dates, both days included.
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    -- Exact decimal text; JSON object of unit -> tonnes per unit (decimal text).
    conversion_factor TEXT NOT NULL,
    unit_conversions TEXT NOT NULL,
    visibility TEXT NOT NULL,
    note TEXT,
    revision BIGINT NOT NULL,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (period_from <= period_to)
);
CREATE UNIQUE INDEX ledgers_period ON ledgers (facility_id, material, period_from);
CREATE INDEX ledgers_owner ON ledgers (owner_organization_id, id);

CREATE TABLE ledger_inputs (
    id TEXT PRIMARY KEY,
    ledger_id TEXT NOT NULL REFERENCES ledgers (id),
    facility_id TEXT NOT NULL,
    material TEXT NOT NULL,
    seq BIGINT NOT NULL,
    lot TEXT NOT NULL,
    mass TEXT NOT NULL,
    unit TEXT NOT NULL,
    mass_t TEXT NOT NULL,
    recycled_share_pct TEXT NOT NULL,
    pre_consumer_pct TEXT,
    post_consumer_pct TEXT,
    credits_t TEXT NOT NULL,
    received_on TEXT NOT NULL,
    -- JSON: where the share comes from (declared, passport, upstream claim).
    share_source TEXT NOT NULL,
    -- JSON array of eventIDs.
    event_ids TEXT NOT NULL,
    evidence TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_inputs_lot ON ledger_inputs (ledger_id, lot);
CREATE UNIQUE INDEX ledger_inputs_once ON ledger_inputs (facility_id, material, lot);
CREATE UNIQUE INDEX ledger_inputs_seq ON ledger_inputs (ledger_id, seq);

CREATE TABLE ledger_missing_shares (
    ledger_id TEXT NOT NULL REFERENCES ledgers (id),
    lot TEXT NOT NULL,
    mass TEXT,
    unit TEXT,
    mass_t TEXT,
    received_on TEXT NOT NULL,
    event_ids TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ledger_id, lot)
);

CREATE TABLE ledger_claims (
    id TEXT PRIMARY KEY,
    ledger_id TEXT NOT NULL REFERENCES ledgers (id),
    facility_id TEXT NOT NULL,
    material TEXT NOT NULL,
    seq BIGINT NOT NULL,
    output_lot TEXT NOT NULL,
    revision BIGINT NOT NULL,
    mass TEXT NOT NULL,
    unit TEXT NOT NULL,
    mass_t TEXT NOT NULL,
    recycled_share_pct TEXT NOT NULL,
    credits_t TEXT NOT NULL,
    pre_consumer_t TEXT NOT NULL,
    post_consumer_t TEXT NOT NULL,
    unspecified_t TEXT NOT NULL,
    claimed_on TEXT NOT NULL,
    event_id TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_claims_output ON ledger_claims (facility_id, material, output_lot, revision);
CREATE UNIQUE INDEX ledger_claims_seq ON ledger_claims (ledger_id, seq);
CREATE INDEX ledger_claims_lot ON ledger_claims (output_lot, material);

CREATE TABLE ledger_claim_backings (
    claim_id TEXT NOT NULL REFERENCES ledger_claims (id),
    input_id TEXT NOT NULL REFERENCES ledger_inputs (id),
    position BIGINT NOT NULL,
    credits_t TEXT NOT NULL,
    pre_consumer_t TEXT,
    post_consumer_t TEXT,
    PRIMARY KEY (claim_id, input_id)
);
CREATE INDEX ledger_claim_backings_input ON ledger_claim_backings (input_id);

CREATE TABLE ledger_claim_reversals (
    claim_id TEXT PRIMARY KEY REFERENCES ledger_claims (id),
    ledger_id TEXT NOT NULL REFERENCES ledgers (id),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TRIGGER ledgers_immutable BEFORE UPDATE ON ledgers
WHEN NOT (NEW.id = OLD.id AND NEW.owner_organization_id = OLD.owner_organization_id
          AND NEW.facility_id = OLD.facility_id AND NEW.material = OLD.material AND NEW.model = OLD.model
          AND NEW.period_from = OLD.period_from AND NEW.period_to = OLD.period_to
          AND NEW.conversion_factor = OLD.conversion_factor AND NEW.unit_conversions = OLD.unit_conversions
          AND NEW.visibility = OLD.visibility AND NEW.note IS OLD.note
          AND NEW.created_at = OLD.created_at AND NEW.created_by = OLD.created_by
          AND NEW.revision > OLD.revision AND OLD.closed_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'a ledger changes only by its entries and by being closed once');
END;
CREATE TRIGGER ledgers_no_delete BEFORE DELETE ON ledgers
BEGIN
    SELECT RAISE(ABORT, 'ledgers are never deleted');
END;
CREATE TRIGGER ledger_inputs_immutable BEFORE UPDATE ON ledger_inputs
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are immutable');
END;
CREATE TRIGGER ledger_inputs_no_delete BEFORE DELETE ON ledger_inputs
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are immutable');
END;
CREATE TRIGGER ledger_missing_shares_immutable BEFORE UPDATE ON ledger_missing_shares
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are immutable');
END;
CREATE TRIGGER ledger_missing_shares_no_delete BEFORE DELETE ON ledger_missing_shares
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are immutable');
END;
CREATE TRIGGER ledger_claims_immutable BEFORE UPDATE ON ledger_claims
BEGIN
    SELECT RAISE(ABORT, 'claims are immutable: reverse them');
END;
CREATE TRIGGER ledger_claims_no_delete BEFORE DELETE ON ledger_claims
BEGIN
    SELECT RAISE(ABORT, 'claims are immutable: reverse them');
END;
CREATE TRIGGER ledger_claim_backings_immutable BEFORE UPDATE ON ledger_claim_backings
BEGIN
    SELECT RAISE(ABORT, 'claims are immutable: reverse them');
END;
CREATE TRIGGER ledger_claim_backings_no_delete BEFORE DELETE ON ledger_claim_backings
BEGIN
    SELECT RAISE(ABORT, 'claims are immutable: reverse them');
END;
CREATE TRIGGER ledger_claim_reversals_immutable BEFORE UPDATE ON ledger_claim_reversals
BEGIN
    SELECT RAISE(ABORT, 'reversals are immutable');
END;
CREATE TRIGGER ledger_claim_reversals_no_delete BEFORE DELETE ON ledger_claim_reversals
BEGIN
    SELECT RAISE(ABORT, 'reversals are immutable');
END;
