-- Field scopes (項目の範囲, issue 10): the fields of each record a grant covers and the fields an
-- access request asks for, as a JSON array of JSON Pointers (`junkan_model::field_scope`). A row
-- only for grants and requests that name fields; none means every field the level shows. Separate
-- tables keep the logged content of earlier grants and requests unchanged: the log digests them
-- as optional parts (`log::record_parts`).
CREATE TABLE grant_fields (
    grant_id TEXT PRIMARY KEY REFERENCES grants (id),
    fields TEXT NOT NULL
);

CREATE TABLE access_request_fields (
    access_request_id TEXT PRIMARY KEY REFERENCES access_requests (id),
    fields TEXT NOT NULL
);
