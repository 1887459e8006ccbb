-- Dataspace Protocol 2025-1 (issue 10): transfer processes (データ転送), provider and consumer side.
-- Provider side: `token_digest` is the SHA-256 of the short-lived pull token (the token itself is
-- never stored). Consumer side: `endpoint` and `endpoint_token` are the data address the provider
-- started the transfer with (the token is a secret: left out of the log's digest).
CREATE TABLE dsp_transfers (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    counterparty_organization_id TEXT REFERENCES organizations (id),
    negotiation_id TEXT NOT NULL REFERENCES dsp_negotiations (id),
    agreement_id TEXT NOT NULL,
    peer_pid TEXT,
    format TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    token_digest TEXT,
    token_expires_at BIGINT,
    endpoint TEXT,
    endpoint_token TEXT,
    reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dsp_transfers_organization ON dsp_transfers (organization_id, id);
CREATE INDEX dsp_transfers_counterparty ON dsp_transfers (counterparty_organization_id, id);
CREATE INDEX dsp_transfers_negotiation ON dsp_transfers (negotiation_id);
