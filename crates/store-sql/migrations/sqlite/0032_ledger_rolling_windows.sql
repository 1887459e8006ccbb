-- The rolling window of a mass-balance ledger under the rolling-average method (移動平均,
-- issue 6): the number of consecutive periods its outputs' share is averaged over (its own
-- included) and the ledgers of the earlier periods it names (a JSON array of ids; [] when they
-- are found by the chain of periods). A side table, so that the head's columns, its trigger and
-- the digests of ledgers logged before stay as they were; written once with the ledger.
CREATE TABLE ledger_rolling_windows (
    ledger_id TEXT PRIMARY KEY REFERENCES ledgers (id),
    periods INTEGER NOT NULL CHECK (periods >= 1),
    ledgers TEXT NOT NULL
);

CREATE TRIGGER ledger_rolling_windows_no_update BEFORE UPDATE ON ledger_rolling_windows
BEGIN
    SELECT RAISE(ABORT, 'ledger_rolling_windows rows are immutable: a window is fixed when its ledger is opened');
END;
CREATE TRIGGER ledger_rolling_windows_no_delete BEFORE DELETE ON ledger_rolling_windows
BEGIN
    SELECT RAISE(ABORT, 'ledger_rolling_windows rows are immutable: a window is fixed when its ledger is opened');
END;
