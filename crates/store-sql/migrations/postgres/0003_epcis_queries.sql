-- Named EPCIS queries and their subscriptions.

CREATE TABLE epcis_queries (
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner_organization_id, name)
);

CREATE TABLE epcis_subscriptions (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL,
    query_name TEXT NOT NULL,
    subscriber_kind TEXT NOT NULL,
    subscriber_id TEXT NOT NULL,
    dest TEXT NOT NULL,
    signature_token TEXT,
    initial_record_time BIGINT NOT NULL,
    stream BIGINT NOT NULL,
    schedule TEXT,
    report_if_empty BIGINT NOT NULL,
    epc_format TEXT,
    created_at BIGINT NOT NULL,
    last_notified_at BIGINT,
    last_error TEXT,
    delivered_up_to TEXT,
    FOREIGN KEY (owner_organization_id, query_name) REFERENCES epcis_queries (owner_organization_id, name)
);
CREATE INDEX epcis_subscriptions_query ON epcis_subscriptions (owner_organization_id, query_name, id);
