-- Dataspace Protocol 2025-1 (issue 10): contract negotiations (契約交渉), provider and consumer side.
-- Provider side: the consumer organization is a member of this node and the negotiation is
-- decided through its access request; the grant made at finalization has the agreement's id.
-- Consumer side: `address` is the provider's protocol base URL and `peer_credential` the bearer
-- credential the provider issued (a secret: left out of the log's digest).
CREATE TABLE dsp_negotiations (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    counterparty_organization_id TEXT REFERENCES organizations (id),
    peer_pid TEXT,
    offer_id TEXT NOT NULL,
    dataset TEXT,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    access_request_id TEXT REFERENCES access_requests (id),
    agreement_id TEXT,
    agreement TEXT,
    reason TEXT,
    peer_credential TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dsp_negotiations_organization ON dsp_negotiations (organization_id, id);
CREATE INDEX dsp_negotiations_counterparty ON dsp_negotiations (counterparty_organization_id, id);
CREATE UNIQUE INDEX dsp_negotiations_request ON dsp_negotiations (access_request_id);
CREATE INDEX dsp_negotiations_agreement ON dsp_negotiations (agreement_id);
