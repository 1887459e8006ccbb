-- Field scopes of dataset offers (issue 10): the only fields of each record an offer shares, as a
-- JSON array of JSON Pointers; requests under the offer stay within them. A separate table keeps
-- the logged content of earlier offers unchanged (an optional part in `log::record_parts`).
CREATE TABLE dataset_offer_fields (
    offer_id TEXT PRIMARY KEY REFERENCES dataset_offers (id),
    fields TEXT NOT NULL
);
