-- Data sovereignty (issue 10): dataset offers (データセットの提供), the node's DCAT catalog entries.
CREATE TABLE dataset_offers (
    id TEXT PRIMARY KEY,
    owner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    description_ja TEXT NOT NULL,
    description_en TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_class TEXT,
    level TEXT NOT NULL,
    purpose TEXT,
    max_duration_days BIGINT,
    public BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX dataset_offers_owner ON dataset_offers (owner_organization_id, id);
