-- Compact EPCIS storage (PostgreSQL). Each event used to enter three indexes with random keys
-- (eventID text, hash text, identifier value). Now:
--   * the hash is the event's only random key, stored as its 32-byte digest (`hash_key`);
--     a hash that is not `ni:///sha-256;<64 lowercase hex>?ver=CBV2.0` keeps its text in
--     `hash_text` and its UTF-8 bytes as the key;
--   * `event_id` is stored only when it is not the event's hash, under a partial unique index;
--   * identifier values are interned once in `epcis_identifiers` (integer key, byte-order
--     collation "C": no strcoll, and LIKE prefixes can use the index), and the event-identifier
--     links are keyed by (identifier, role, event);
--   * a document's @context is stored once per capture (`epcis_contexts`), not per event.
-- Sequence numbers come from sequences the capture reserves in blocks, so inserts need no
-- RETURNING. The views `epcis_events` and `epcis_event_identifiers` keep the former columns.

CREATE TABLE epcis_contexts (
    id BIGSERIAL PRIMARY KEY,
    context TEXT NOT NULL
);

CREATE SEQUENCE epcis_event_seq;
CREATE TABLE epcis_event_records (
    seq BIGINT PRIMARY KEY DEFAULT nextval('epcis_event_seq'),
    hash_key BYTEA NOT NULL UNIQUE,
    hash_text TEXT,
    event_id TEXT,
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
    context_id BIGINT NOT NULL REFERENCES epcis_contexts (id)
);
ALTER SEQUENCE epcis_event_seq OWNED BY epcis_event_records.seq;
CREATE UNIQUE INDEX epcis_event_records_event_id ON epcis_event_records (event_id) WHERE event_id IS NOT NULL;

CREATE SEQUENCE epcis_identifier_seq;
CREATE TABLE epcis_identifiers (
    id BIGINT PRIMARY KEY DEFAULT nextval('epcis_identifier_seq'),
    value TEXT COLLATE "C" NOT NULL UNIQUE
);
ALTER SEQUENCE epcis_identifier_seq OWNED BY epcis_identifiers.id;

CREATE TABLE epcis_event_links (
    identifier_id BIGINT NOT NULL REFERENCES epcis_identifiers (id),
    role TEXT NOT NULL,
    event_seq BIGINT NOT NULL REFERENCES epcis_event_records (seq),
    quantity TEXT,
    uom TEXT,
    PRIMARY KEY (identifier_id, role, event_seq)
);

-- Existing events move over: one row per distinct context, hashes to digests where canonical.
INSERT INTO epcis_contexts (context)
SELECT context FROM epcis_events GROUP BY context ORDER BY MIN(seq);
CREATE INDEX epcis_contexts_migration ON epcis_contexts (md5(context));

INSERT INTO epcis_event_records (seq, hash_key, hash_text, event_id, owner_organization_id, capture_id, visibility, event_type,
    event_time, record_time, action, biz_step, disposition, read_point, biz_location, body, context_id)
SELECT e.seq,
    CASE WHEN e.canonical THEN decode(substr(e.event_hash, 15, 64), 'hex') ELSE convert_to(e.event_hash, 'UTF8') END,
    CASE WHEN e.canonical THEN NULL ELSE e.event_hash END,
    CASE WHEN e.id = e.event_hash THEN NULL ELSE e.id END,
    e.owner_organization_id, e.capture_id, e.visibility, e.event_type, e.event_time, e.record_time, e.action, e.biz_step,
    e.disposition, e.read_point, e.biz_location, e.body,
    (SELECT c.id FROM epcis_contexts c WHERE md5(c.context) = md5(e.context) AND c.context = e.context)
FROM (
    SELECT *, event_hash ~ '^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$' AS canonical FROM epcis_events
) e;
SELECT setval('epcis_event_seq', GREATEST((SELECT MAX(seq) FROM epcis_event_records), 1), (SELECT MAX(seq) FROM epcis_event_records) IS NOT NULL);

INSERT INTO epcis_identifiers (value)
SELECT value FROM epcis_event_identifiers GROUP BY value ORDER BY MIN(event_seq), value;

INSERT INTO epcis_event_links (identifier_id, role, event_seq, quantity, uom)
SELECT v.id, i.role, i.event_seq, i.quantity, i.uom
FROM epcis_event_identifiers i JOIN epcis_identifiers v ON v.value = i.value;

DROP TABLE epcis_event_identifiers;
DROP TABLE epcis_events;
DROP INDEX epcis_contexts_migration;

CREATE INDEX epcis_event_records_time ON epcis_event_records (event_time);
CREATE INDEX epcis_event_records_record_time ON epcis_event_records (record_time);
CREATE INDEX epcis_event_records_biz_step ON epcis_event_records (biz_step);
CREATE INDEX epcis_event_records_owner ON epcis_event_records (owner_organization_id, seq);
CREATE INDEX epcis_event_links_event ON epcis_event_links (event_seq);

-- The events as the queries read them: `id` and `event_hash` as text again.
CREATE VIEW epcis_events AS
SELECT e.seq,
    COALESCE(e.event_id, e.hash_text, 'ni:///sha-256;' || encode(e.hash_key, 'hex') || '?ver=CBV2.0') AS id,
    COALESCE(e.hash_text, 'ni:///sha-256;' || encode(e.hash_key, 'hex') || '?ver=CBV2.0') AS event_hash,
    e.event_id AS given_event_id, e.hash_key,
    e.owner_organization_id, e.capture_id, e.visibility, e.event_type, e.event_time, e.record_time, e.action, e.biz_step,
    e.disposition, e.read_point, e.biz_location, e.body, e.context_id
FROM epcis_event_records e;

CREATE VIEW epcis_event_identifiers AS
SELECT v.value, l.role, l.event_seq, l.quantity, l.uom
FROM epcis_event_links l JOIN epcis_identifiers v ON v.id = l.identifier_id;
