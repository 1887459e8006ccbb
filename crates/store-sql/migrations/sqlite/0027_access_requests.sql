-- Data sovereignty (issue 10): grant terms, read counters and access requests (アクセス申請).

-- What grants made from this migration on carry beyond their first columns: a record class,
-- a read limit, whether the purpose is enforced, and where the grant came from. A separate table
-- (one row per grant made since) keeps the logged content of earlier grants unchanged: the log
-- digests this table as an optional part of a grant (`log::record_parts`).
CREATE TABLE grant_terms (
    grant_id TEXT PRIMARY KEY REFERENCES grants (id),
    -- `profile:<code>` or `gtin:<GTIN-14>`.
    record_class TEXT,
    max_reads BIGINT,
    enforce_purpose BIGINT NOT NULL,
    access_request_id TEXT,
    offer_id TEXT
);

-- The read counter of a grant with a read limit: bookkeeping of reads (each also in the audit
-- log), not a change of the grant, so it is not logged. Incremented in the transaction that
-- audits the reads, under the limit, by one conditional UPDATE (atomic on both engines).
CREATE TABLE grant_reads (
    grant_id TEXT PRIMARY KEY REFERENCES grants (id),
    max_reads BIGINT NOT NULL,
    reads_used BIGINT NOT NULL
);

CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    requester_organization_id TEXT NOT NULL REFERENCES organizations (id),
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    offer_id TEXT,
    record_kind TEXT NOT NULL,
    -- JSON array of ids, or NULL for every record of the kind (or class).
    record_ids TEXT,
    record_class TEXT,
    level TEXT NOT NULL,
    purpose TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_reads BIGINT,
    message TEXT,
    -- pending, approved, narrowed, refused, withdrawn.
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    reason TEXT,
    -- The scope granted, as JSON (`AccessScope`).
    granted TEXT,
    grant_id TEXT REFERENCES grants (id)
);
CREATE INDEX access_requests_owner ON access_requests (owner_organization_id, id);
CREATE INDEX access_requests_requester ON access_requests (requester_organization_id, id);
