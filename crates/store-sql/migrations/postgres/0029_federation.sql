-- Federation between junkan nodes (issue 10 item 4): peer nodes, organizations of peers known by
-- their DID, the nonces of signed requests (replay protection), access requests sent to peers and
-- the records received from them with their credentials.
CREATE TABLE peers (
    id TEXT PRIMARY KEY,
    base_url TEXT NOT NULL UNIQUE,
    did TEXT NOT NULL UNIQUE,
    did_document TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- An organization of a peer: a row of the directory (so that grants, requests and audit entries
-- name it like a local one) linked to its DID here.
CREATE TABLE remote_organizations (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
    did TEXT NOT NULL UNIQUE,
    peer_id TEXT NOT NULL REFERENCES peers (id),
    created_at BIGINT NOT NULL
);

-- Nonces of accepted signed requests, kept until the signature expires: a second request with the
-- same key and nonce is a replay.
CREATE TABLE federation_nonces (
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX federation_nonces_expiry ON federation_nonces (expires_at);

CREATE TABLE remote_requests (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    peer_id TEXT NOT NULL REFERENCES peers (id),
    provider_did TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    grant_id TEXT,
    remote TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX remote_requests_organization ON remote_requests (organization_id, id);

CREATE TABLE received_records (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    peer_id TEXT NOT NULL REFERENCES peers (id),
    remote_request_id TEXT REFERENCES remote_requests (id),
    provider_did TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_version BIGINT,
    grant_id TEXT,
    credential TEXT NOT NULL,
    credential_id TEXT,
    issuer_key_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    verified_at BIGINT NOT NULL
);
CREATE INDEX received_records_organization ON received_records (organization_id, id);
