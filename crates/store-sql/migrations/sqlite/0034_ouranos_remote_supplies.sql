-- Parts bought from an organization of a peer node (ノード間の調達, issue 10 item 4): the buyer's
-- part, the peer, the supplier organization's DID and the supplier's part on its node. The CFP
-- roll-up asks that peer for the supplier's rolled-up value of the part (signed, under the
-- supplier's grant) instead of a local trade's answer. Part of the buyer's part record in the
-- tamper-evident log.
CREATE TABLE ouranos_remote_supplies (
    trace_id TEXT PRIMARY KEY REFERENCES ouranos_parts (trace_id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    peer_id TEXT NOT NULL REFERENCES peers (id),
    supplier_did TEXT NOT NULL,
    supplier_trace_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ouranos_remote_supplies_organization ON ouranos_remote_supplies (organization_id, trace_id);
