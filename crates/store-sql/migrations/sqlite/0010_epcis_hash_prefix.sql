-- The event hash index holds the first 8 bytes of each hash key instead of all 32 (SQLite only).
--
-- The hash is the only random key an event has: each new event enters the hash index at a
-- random place, so every captured document dirtied (and wrote to the WAL) a page of that index
-- per event until the index was much larger than a document: three quarters of the pages a
-- 1,000-event document wrote at 100,000 stored events. An index of 8-byte prefixes is about a
-- third of the size, so a document's inserts meet on fewer pages. The full key stays in the row:
-- duplicates are found through the prefix and then compared in full (`capture_sqlite.rs`,
-- `events::event_id_condition`); the capture's write transaction makes that check and the insert
-- one step for every writer of the file.
--
-- SQLite cannot drop the index of a column's UNIQUE constraint, so the table is rebuilt with the
-- same columns and rows. Dropping a table that rows of `epcis_event_links` reference fails while
-- foreign keys are enforced (and they cannot be switched off inside the migration's transaction),
-- so the links are set aside meanwhile and put back unchanged.

CREATE TEMP TABLE epcis_event_links_aside AS SELECT * FROM epcis_event_links;
DELETE FROM epcis_event_links;

CREATE TABLE epcis_event_records_rebuilt (
    seq INTEGER PRIMARY KEY,
    hash_key BLOB NOT NULL,
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

INSERT INTO epcis_event_records_rebuilt (seq, hash_key, hash_text, event_id, owner_organization_id, capture_id, visibility,
    event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, body, context_id)
SELECT seq, hash_key, hash_text, event_id, owner_organization_id, capture_id, visibility,
    event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, body, context_id
FROM epcis_event_records ORDER BY seq;

DROP VIEW epcis_events;
DROP TABLE epcis_event_records;
ALTER TABLE epcis_event_records_rebuilt RENAME TO epcis_event_records;

CREATE INDEX epcis_event_records_hash ON epcis_event_records (substr(hash_key, 1, 8));
CREATE UNIQUE INDEX epcis_event_records_event_id ON epcis_event_records (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX epcis_event_records_time ON epcis_event_records (event_time);
CREATE INDEX epcis_event_records_record_time ON epcis_event_records (record_time);
CREATE INDEX epcis_event_records_biz_step ON epcis_event_records (biz_step);
CREATE INDEX epcis_event_records_owner ON epcis_event_records (owner_organization_id, seq);

CREATE VIEW epcis_events AS
SELECT e.seq,
    COALESCE(e.event_id, e.hash_text, 'ni:///sha-256;' || lower(hex(e.hash_key)) || '?ver=CBV2.0') AS id,
    COALESCE(e.hash_text, 'ni:///sha-256;' || lower(hex(e.hash_key)) || '?ver=CBV2.0') AS event_hash,
    e.event_id AS given_event_id, e.hash_key,
    e.owner_organization_id, e.capture_id, e.visibility, e.event_type, e.event_time, e.record_time, e.action, e.biz_step,
    e.disposition, e.read_point, e.biz_location, e.body, e.context_id
FROM epcis_event_records e;

INSERT INTO epcis_event_links (identifier_id, role, event_seq, quantity, uom)
SELECT identifier_id, role, event_seq, quantity, uom FROM epcis_event_links_aside ORDER BY identifier_id, role, event_seq;
DROP TABLE epcis_event_links_aside;
