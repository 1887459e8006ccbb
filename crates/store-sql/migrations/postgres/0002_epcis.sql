-- EPCIS events and capture jobs (PostgreSQL).

CREATE TABLE epcis_captures (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    success BIGINT NOT NULL,
    error_behaviour TEXT NOT NULL,
    errors TEXT NOT NULL,
    captured_count BIGINT NOT NULL,
    duplicate_count BIGINT NOT NULL
);
CREATE INDEX epcis_captures_owner ON epcis_captures (owner_organization_id, id);

CREATE TABLE epcis_events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_hash TEXT NOT NULL UNIQUE,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    capture_id TEXT NOT NULL REFERENCES epcis_captures (id),
    visibility TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    record_time BIGINT NOT NULL,
    action TEXT,
    biz_step TEXT,
    disposition TEXT,
    read_point TEXT,
    biz_location TEXT,
    body TEXT NOT NULL,
    context TEXT NOT NULL
);
CREATE INDEX epcis_events_time ON epcis_events (event_time);
CREATE INDEX epcis_events_record_time ON epcis_events (record_time);
CREATE INDEX epcis_events_biz_step ON epcis_events (biz_step);
CREATE INDEX epcis_events_owner ON epcis_events (owner_organization_id, seq);

CREATE TABLE epcis_event_identifiers (
    value TEXT NOT NULL,
    role TEXT NOT NULL,
    event_seq BIGINT NOT NULL REFERENCES epcis_events (seq),
    quantity TEXT,
    uom TEXT,
    PRIMARY KEY (value, role, event_seq)
);
CREATE INDEX epcis_event_identifiers_event ON epcis_event_identifiers (event_seq);
