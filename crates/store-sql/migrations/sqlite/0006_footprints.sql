-- Product carbon footprints (issue 5): each footprint stored once as the junkan model's JSON,
-- immutable once published except for the one transition Active -> Deprecated; the values PACT
-- lists filter on, as index rows; the PACT partners this node calls back and notifies, and the
-- durable outbox of the PACT events it sends.

CREATE TABLE footprints (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL,
    visibility TEXT NOT NULL,
    -- The effective validity period (microseconds), for validOn / validAfter / validBefore.
    validity_start BIGINT NOT NULL,
    validity_end BIGINT NOT NULL,
    -- The model's JSON (junkan_footprint::Footprint), exact decimals as strings.
    document TEXT NOT NULL,
    superseded_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX footprints_owner ON footprints (owner_organization_id, id);
CREATE INDEX footprints_visibility ON footprints (visibility, id);

-- A footprint changes only from Active to Deprecated; it is never deleted.
CREATE TRIGGER footprints_immutable BEFORE UPDATE ON footprints
WHEN NOT (OLD.status = 'Active' AND NEW.status = 'Deprecated' AND OLD.id = NEW.id
          AND OLD.owner_organization_id = NEW.owner_organization_id)
BEGIN
    SELECT RAISE(ABORT, 'footprints are immutable once published: supersede them');
END;
CREATE TRIGGER footprints_no_delete BEFORE DELETE ON footprints
BEGIN
    SELECT RAISE(ABORT, 'footprints are immutable once published: supersede them');
END;

-- The values list filters select on: kind 'product' (productIds), 'company' (companyIds),
-- 'classification' (productClassifications), 'geography' (the code, and a subdivision's country).
CREATE TABLE footprint_keys (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    footprint_id TEXT NOT NULL REFERENCES footprints (id),
    PRIMARY KEY (kind, value, footprint_id)
) WITHOUT ROWID;
CREATE INDEX footprint_keys_footprint ON footprint_keys (footprint_id);

-- PACT partners (node configuration, by node administrators): the local organization whose
-- OAuth clients the partner uses here, the partner's host (the allow-list for callbacks), how
-- this node authenticates there, and whether the partner is notified of published footprints.
CREATE TABLE pact_partners (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    host TEXT NOT NULL,
    token_endpoint TEXT,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    notify_published BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, host)
);

-- PACT events to send, kept until delivered or given up (3 days of exponential backoff).
CREATE TABLE pact_outbox (
    id TEXT PRIMARY KEY,
    -- Makes enqueuing idempotent, e.g. 'fulfil:<partner>:<request event id>'.
    dedupe_key TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL REFERENCES pact_partners (id),
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT,
    gave_up_at BIGINT
);
CREATE INDEX pact_outbox_due ON pact_outbox (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
