//! Data sovereignty over HTTP (issue 10): access requests and their decisions, the bad input of
//! the issue (records that do not exist or are not offered, narrowings that widen, expired and
//! revoked grants), the enforced purpose and read limit, standing rules, grants as ODRL policies,
//! the owner's audit filters, and the DCAT catalog validated against the Dataspace Protocol
//! 2025-1 schemas. A revoked grant stops access at once on every route that serves the data.

mod support;

use axum::http::StatusCode;
use serde_json::{json, Value};

use junkan_model::access::AccessLevel;
use junkan_passport::builtin::{documents, example};
use junkan_passport::Profile;

use support::{error_paths, TestApp};

fn interested_data() -> Value {
    let document = documents()
        .into_iter()
        .find(|document| document["code"] == "battery")
        .expect("shipped");
    let data = example("battery").expect("battery example");
    Profile::compile(&document)
        .expect("compiles")
        .view(&data, AccessLevel::LegitimateInterest)
        .data
}

async fn battery_passport_of_a(app: &TestApp, identifier: &str) -> String {
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": identifier, "granularity": "item", "profile": "battery",
                   "data": example("battery").expect("battery example")}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"].as_str().expect("id").to_owned()
}

const PURPOSE: [(&str, &str); 1] = [("junkan-purpose", "dismantling")];

/// What B sees of the passport on every route that serves it: (route, data).
async fn passport_views(app: &TestApp, id: &str) -> Vec<(String, Value)> {
    let mut views = Vec::new();
    let single = app
        .get_with(&format!("/api/v1/passports/{id}"), &app.token_b, &PURPOSE)
        .await;
    views.push(("get".to_owned(), single.body["data"].clone()));
    let list = app
        .get_with("/api/v1/passports?profile=battery", &app.token_b, &PURPOSE)
        .await;
    views.push(("list".to_owned(), list.body["items"][0]["data"].clone()));
    let export = app
        .get_with(
            "/api/v1/passports/export?format=jsonl&profile=battery",
            &app.token_b,
            &PURPOSE,
        )
        .await;
    views.push(("export".to_owned(), export.body["data"].clone()));
    views
}

#[tokio::test]
async fn a_request_approved_opens_every_route_and_revocation_closes_them_at_once() {
    let app = TestApp::new().await;
    let passport = battery_passport_of_a(&app, "https://id.gs1.org/01/04912345000019/21/AR1").await;
    let interested = interested_data();

    // Bad input: a request to oneself, records that do not exist.
    let to_self = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            json!({"owner_organization_id": app.b, "record_kind": "passport", "level": "legitimate_interest",
                   "purpose": "dismantling", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(to_self.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&to_self.body), ["/owner_organization_id"]);
    let missing = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            json!({"owner_organization_id": app.a, "record_kind": "passport", "record_ids": ["00000000-0000-4000-8000-000000000000"],
                   "level": "legitimate_interest", "purpose": "dismantling", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&missing.body), ["/record_ids/0"]);

    let request = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            json!({"owner_organization_id": app.a, "record_kind": "passport", "record_ids": [passport],
                   "level": "legitimate_interest", "purpose": "dismantling", "expires_at": "2099-01-01T00:00:00Z",
                   "message": "解体計画のため / for our dismantling plan"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    assert_eq!(request.body["state"], "pending");
    let request_id = request.body["id"].as_str().expect("id").to_owned();
    let incoming = app
        .get("/api/v1/access-requests?direction=incoming&state=pending", &app.token_a)
        .await;
    assert_eq!(incoming.body["items"][0]["id"], request_id.as_str());

    // Only the owner's administrators decide; a narrowing that widens is refused with pointers.
    let by_member = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/approve"),
            &app.token_a_member,
            json!({}),
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let wider = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/narrow"),
            &app.token_a,
            json!({"level": "full", "expires_at": "2100-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(wider.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wider.body);
    assert_eq!(error_paths(&wider.body), ["/level", "/expires_at"]);

    // Before approval B sees the public view everywhere.
    for (route, data) in passport_views(&app, &passport).await {
        assert_ne!(data, interested, "{route} before approval");
    }
    let approved = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/approve"),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["state"], "approved");
    let grant_id = approved.body["grant_id"].as_str().expect("grant").to_owned();
    let again = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/approve"),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // The grant enforces its purpose: without `Junkan-Purpose: dismantling`, the public view.
    for (route, data) in passport_views(&app, &passport).await {
        assert_eq!(data, interested, "{route} under the grant");
    }
    let without_purpose = app.get(&format!("/api/v1/passports/{passport}"), &app.token_b).await;
    assert_ne!(without_purpose.body["data"], interested);
    let other_purpose = app
        .get_with(
            &format!("/api/v1/passports/{passport}"),
            &app.token_b,
            &[("junkan-purpose", "marketing")],
        )
        .await;
    assert_ne!(other_purpose.body["data"], interested);

    // The grant as an ODRL agreement.
    let policy = app
        .get(&format!("/api/v1/grants/{grant_id}/policy"), &app.token_b)
        .await;
    assert_eq!(policy.status, StatusCode::OK);
    assert_eq!(policy.body["@type"], "Agreement");
    assert_eq!(policy.body["assignee"], format!("urn:junkan:organization:{}", app.b));
    assert_eq!(
        policy.body["permission"][0]["constraint"][0],
        json!({"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "dismantling"})
    );

    // The owner's audit names the reader, the grant and the purpose; filters narrow it.
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?action=read&grant_id={grant_id}&actor_organization_id={}&record_id={passport}",
                app.b
            ),
            &app.token_a,
        )
        .await;
    let entries = audit.body["items"].as_array().expect("entries");
    assert!(!entries.is_empty());
    assert!(entries
        .iter()
        .all(|entry| entry["grant_id"] == grant_id.as_str() && entry["purpose"] == "dismantling"));
    let future = app
        .get(
            &format!("/api/v1/audit?grant_id={grant_id}&from=2098-01-01T00:00:00Z"),
            &app.token_a,
        )
        .await;
    assert_eq!(future.body["items"], json!([]));
    let bad_time = app.get("/api/v1/audit?from=yesterday", &app.token_a).await;
    assert_eq!(bad_time.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Revocation stops every route at once, and the request shows it.
    let revoked = app
        .post(&format!("/api/v1/grants/{grant_id}/revoke"), &app.token_a, json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    for (route, data) in passport_views(&app, &passport).await {
        assert_ne!(data, interested, "{route} after revocation");
    }
    let state = app
        .get(&format!("/api/v1/access-requests/{request_id}"), &app.token_b)
        .await;
    assert_eq!(state.body["state"], "revoked");
    let revoked_list = app
        .get("/api/v1/access-requests?direction=outgoing&state=revoked", &app.token_b)
        .await;
    assert_eq!(revoked_list.body["items"][0]["id"], request_id.as_str());
}

#[tokio::test]
async fn restricted_records_need_an_offer_and_a_read_limit_is_enforced() {
    let app = TestApp::new().await;
    let facility = app.facility_of_a("restricted").await;
    // A restricted record that is not offered is refused exactly like one that does not exist.
    let ask = |ids: Vec<String>, offer: Option<String>| {
        json!({"owner_organization_id": app.a, "record_kind": "facility", "record_ids": ids, "offer_id": offer,
               "level": "legitimate_interest", "purpose": "collection planning", "expires_at": "2099-01-01T00:00:00Z"})
    };
    let hidden = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            ask(vec![facility.clone()], None),
        )
        .await;
    let absent = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            ask(vec!["00000000-0000-4000-8000-000000000000".to_owned()], None),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        hidden.body["errors"][0]["message"]
            .as_str()
            .map(|message| message.replace(&facility, "ID")),
        absent.body["errors"][0]["message"]
            .as_str()
            .map(|message| message.replace("00000000-0000-4000-8000-000000000000", "ID")),
        "no difference between hidden and absent records"
    );

    let offer = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "回収拠点", "title_en": "Collection points", "description_ja": "回収拠点の所在地",
                   "description_en": "Where we collect", "record_kind": "facility", "level": "legitimate_interest"}),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer_id = offer.body["id"].as_str().expect("id").to_owned();
    // An offer bounds the level.
    let too_much = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            json!({"owner_organization_id": app.a, "record_kind": "facility", "offer_id": offer_id,
                   "level": "full", "purpose": "collection planning", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(error_paths(&too_much.body), ["/level"]);
    let request = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            ask(vec![facility.clone()], Some(offer_id.clone())),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let request_id = request.body["id"].as_str().expect("id");

    // Narrowed to two reads.
    let narrowed = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/narrow"),
            &app.token_a,
            json!({"max_reads": 2, "reason": "two look-ups are enough"}),
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.body);
    assert_eq!(narrowed.body["state"], "narrowed");
    assert_eq!(narrowed.body["granted"]["max_reads"], 2);
    let path = format!("/api/v1/facilities/{facility}");
    let purpose = [("junkan-purpose", "collection planning")];
    for _ in 0..2 {
        assert_eq!(app.get_with(&path, &app.token_b, &purpose).await.status, StatusCode::OK);
    }
    assert_eq!(
        app.get_with(&path, &app.token_b, &purpose).await.status,
        StatusCode::NOT_FOUND,
        "the third read is beyond the limit"
    );
    let grant_id = narrowed.body["grant_id"].as_str().expect("grant");
    let grant = app.get(&format!("/api/v1/grants/{grant_id}"), &app.token_a).await;
    assert_eq!(
        (grant.body["reads_used"].clone(), grant.body["max_reads"].clone()),
        (json!(2), json!(2))
    );
    let policy = app
        .get(&format!("/api/v1/grants/{grant_id}/policy"), &app.token_a)
        .await;
    assert_eq!(policy.body["target"], format!("urn:uuid:{offer_id}"));
}

#[tokio::test]
async fn refusal_withdrawal_and_standing_rules() {
    let app = TestApp::new().await;
    let ask = json!({"owner_organization_id": app.a, "record_kind": "passport", "level": "full",
                     "purpose": "recycling", "expires_at": "2099-01-01T00:00:00Z"});
    let first = app.post("/api/v1/access-requests", &app.token_b, ask.clone()).await;
    let first_id = first.body["id"].as_str().expect("id");
    let no_reason = app
        .post(
            &format!("/api/v1/access-requests/{first_id}/refuse"),
            &app.token_a,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(error_paths(&no_reason.body), ["/reason"]);
    let refused = app
        .post(
            &format!("/api/v1/access-requests/{first_id}/refuse"),
            &app.token_a,
            json!({"reason": "全件は出せません / not all of them"}),
        )
        .await;
    assert_eq!(refused.body["state"], "refused");
    let second = app.post("/api/v1/access-requests", &app.token_b, ask).await;
    let second_id = second.body["id"].as_str().expect("id");
    // Only the requester withdraws.
    assert_eq!(
        app.post(
            &format!("/api/v1/access-requests/{second_id}/withdraw"),
            &app.token_a,
            json!({})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let withdrawn = app
        .post(
            &format!("/api/v1/access-requests/{second_id}/withdraw"),
            &app.token_b,
            json!({}),
        )
        .await;
    assert_eq!(withdrawn.body["state"], "withdrawn");
    let late = app
        .post(
            &format!("/api/v1/access-requests/{second_id}/approve"),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);

    // A standing rule names a class of organizations, never one.
    let one = app
        .post(
            "/api/v1/standing-rules",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "passport",
                   "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(error_paths(&one.body), ["/grantee/type"]);
    let rule = app
        .post(
            "/api/v1/standing-rules",
            &app.token_a,
            json!({"grantee": {"type": "role_with_certification", "role": "recycler", "scheme": "dismantling_cert"},
                   "record_kind": "passport", "record_class": {"type": "profile", "profile": "battery"},
                   "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let rules = app.get("/api/v1/standing-rules", &app.token_a).await;
    assert_eq!(rules.body["items"][0]["id"], rule.body["id"]);
    // A class must fit the kind.
    let wrong_class = app
        .post(
            "/api/v1/standing-rules",
            &app.token_a,
            json!({"grantee": {"type": "role", "role": "recycler"}, "record_kind": "facility",
                   "record_class": {"type": "product_class", "gtin": "04912345000019"},
                   "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(error_paths(&wrong_class.body), ["/record_class"]);
}

/// Resolves the Dataspace Protocol's schema ids to the copies in `testdata/dsp`.
struct DspSchemas;

impl jsonschema::Retrieve for DspSchemas {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri
            .as_str()
            .strip_prefix("https://w3id.org/dspace/2025/1/")
            .ok_or("not a Dataspace Protocol schema")?;
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/dsp")
            .join(path);
        Ok(serde_json::from_str(&std::fs::read_to_string(file)?)?)
    }
}

fn dsp_validator(schema: &str) -> jsonschema::Validator {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/dsp")
        .join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("schema")).expect("json");
    jsonschema::options()
        .with_retriever(DspSchemas)
        .build(&schema)
        .expect("the DSP schema compiles")
}

#[tokio::test]
async fn the_catalog_is_a_dsp_catalog_with_public_entries_for_everyone() {
    let app = TestApp::new().await;
    let catalog_schema = dsp_validator("catalog/catalog-schema.json");
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dsp/catalog/example/catalog.json"),
        )
        .expect("example"),
    )
    .expect("json");
    assert!(
        catalog_schema.is_valid(&example),
        "the validator accepts the DSP example"
    );
    assert!(
        !catalog_schema.is_valid(&json!({"@type": "Catalog"})),
        "and refuses a bare object"
    );

    let offer = |public: bool, title: &str| {
        json!({"title_ja": title, "title_en": title, "description_ja": "説明", "description_en": "About it",
               "record_kind": "passport", "record_class": {"type": "profile", "profile": "battery"},
               "level": "legitimate_interest", "purpose": "dismantling", "max_duration_days": 365, "public": public})
    };
    let public = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            offer(true, "公開の電池パスポート"),
        )
        .await;
    assert_eq!(public.status, StatusCode::CREATED, "{}", public.body);
    let members_only = app
        .post("/api/v1/dataset-offers", &app.token_a, offer(false, "会員向け"))
        .await;
    let by_member = app
        .post("/api/v1/dataset-offers", &app.token_a_member, offer(true, "x"))
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let invalid = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "", "title_en": "t", "description_ja": "d", "description_en": "d",
                   "record_kind": "user", "level": "full", "max_duration_days": 0}),
        )
        .await;
    assert_eq!(
        error_paths(&invalid.body),
        ["/title_ja", "/record_kind", "/max_duration_days"]
    );

    let anonymous = app.call("GET", "/catalog", None, None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(anonymous.headers["content-type"], "application/ld+json");
    let errors: Vec<String> = catalog_schema
        .iter_errors(&anonymous.body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let datasets = anonymous.body["dataset"].as_array().expect("datasets");
    assert_eq!(datasets.len(), 1, "only the public offer anonymously");
    let dataset = &datasets[0];
    assert_eq!(dataset["hasPolicy"][0]["@type"], "Offer");
    assert_eq!(
        dataset["hasPolicy"][0]["@id"],
        format!("urn:junkan:offer:{}", public.body["id"].as_str().expect("id"))
    );
    let signed_in = app.get("/catalog", &app.token_b).await;
    assert_eq!(signed_in.body["dataset"].as_array().map(Vec::len), Some(2));
    assert!(catalog_schema.is_valid(&signed_in.body));

    let dataset_schema = dsp_validator("catalog/dataset-schema.json");
    let members_only_id = members_only.body["id"].as_str().expect("id");
    let one = app
        .get(&format!("/catalog/datasets/{members_only_id}"), &app.token_b)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(dataset_schema.is_valid(&one.body), "{}", one.body);
    assert_eq!(
        app.call("GET", &format!("/catalog/datasets/{members_only_id}"), None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Withdrawn offers leave the catalog.
    app.post(
        &format!("/api/v1/dataset-offers/{members_only_id}/withdraw"),
        &app.token_a,
        json!({}),
    )
    .await;
    let after = app.get("/catalog", &app.token_b).await;
    assert_eq!(after.body["dataset"].as_array().map(Vec::len), Some(1));
}

/// Field scopes (項目の範囲): B asks for three fields of A's battery passport; A's narrowing that
/// adds a field is refused with problem+json at that field and writes nothing; A narrows to two
/// fields (one a member of a field asked for). Every route that serves the passport (the read,
/// the listing, the bulk export) returns exactly those fields, the grant's ODRL policy carries
/// them as a `junkan:field` constraint, and revocation stops every route at once. An event grant
/// limited to fields serves the event with those members only on the EPCIS route.
#[tokio::test]
async fn a_grant_of_some_fields_serves_only_those_fields_on_every_route() {
    let app = TestApp::new().await;
    let passport = battery_passport_of_a(&app, "https://id.gs1.org/01/04912345000019/21/FIELDS").await;
    let data = example("battery").expect("battery example");
    let request = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            json!({"owner_organization_id": app.a, "record_kind": "passport", "record_ids": [passport],
                   "level": "legitimate_interest", "purpose": "dismantling", "expires_at": "2099-01-01T00:00:00Z",
                   "fields": ["Circularity", "/GeneralProductInformation/batteryCategory", "Labeling"]}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    assert_eq!(
        request.body["requested"]["fields"],
        json!([
            "/Circularity",
            "/GeneralProductInformation/batteryCategory",
            "/Labeling"
        ])
    );
    let request_id = request.body["id"].as_str().expect("id").to_owned();
    let wider = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/narrow"),
            &app.token_a,
            json!({"fields": ["/Circularity", "/MaterialComposition"]}),
        )
        .await;
    assert_eq!(wider.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wider.body);
    assert_eq!(
        wider
            .headers
            .get("content-type")
            .map(|value| value.to_str().unwrap_or_default()),
        Some("application/problem+json")
    );
    assert_eq!(error_paths(&wider.body), ["/fields/1"]);
    let unchanged = app
        .get(&format!("/api/v1/access-requests/{request_id}"), &app.token_a)
        .await;
    assert_eq!(unchanged.body["state"], "pending", "{}", unchanged.body);
    assert!(unchanged.body["grant_id"].is_null());

    let narrowed = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/narrow"),
            &app.token_a,
            json!({"fields": ["/Circularity/dismantlingAndRemovalInformation", "/GeneralProductInformation/batteryCategory"],
                   "reason": "解体情報のみ / dismantling information only"}),
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.body);
    assert_eq!(narrowed.body["state"], "narrowed");
    let grant_id = narrowed.body["grant_id"].as_str().expect("grant").to_owned();
    let expected = json!({
        "Circularity": {"dismantlingAndRemovalInformation": data["Circularity"]["dismantlingAndRemovalInformation"].clone()},
        "GeneralProductInformation": {"batteryCategory": data["GeneralProductInformation"]["batteryCategory"].clone()},
    });
    for (route, served) in passport_views(&app, &passport).await {
        assert_eq!(served, expected, "{route} serves only the granted fields");
    }
    let policy = app
        .get(&format!("/api/v1/grants/{grant_id}/policy"), &app.token_a)
        .await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.body);
    let field_constraint = json!({"leftOperand": "junkan:field", "operator": "isAnyOf",
        "rightOperand": ["/Circularity/dismantlingAndRemovalInformation", "/GeneralProductInformation/batteryCategory"]});
    assert!(
        policy.body["permission"][0]["constraint"]
            .as_array()
            .expect("constraints")
            .contains(&field_constraint),
        "{}",
        policy.body
    );

    // An event grant of two members: the EPCIS route serves the event with those only.
    let event_id = "urn:uuid:7e7e7e7e-0000-4000-8000-0000000f1e1d";
    let captured = app
        .post(
            "/epcis/events",
            &app.token_a,
            json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "ObjectEvent", "eventID": event_id, "eventTime": "2026-05-01T09:00:00+09:00",
                   "eventTimeZoneOffset": "+09:00", "epcList": ["urn:epc:id:sgtin:4912345.000001.F1"],
                   "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit"}),
        )
        .await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    let event_grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "event",
                   "level": "full", "expires_at": "2099-01-01T00:00:00Z", "fields": ["bizStep", "disposition"]}),
        )
        .await;
    assert_eq!(event_grant.status, StatusCode::CREATED, "{}", event_grant.body);
    let event_path = format!("/epcis/events/{}", event_id.replace(':', "%3A"));
    let event = app.get(&event_path, &app.token_b).await;
    assert_eq!(event.status, StatusCode::OK, "{}", event.body);
    let text = event.body.to_string();
    assert!(text.contains("shipping") && text.contains("in_transit"), "{text}");
    assert!(!text.contains("F1") && !text.contains("OBSERVE"), "{text}");
    // The trimmed event names the members withheld, so that nobody takes it (or its eventID's
    // hash) for the whole event.
    let served = &event.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
    assert!(served.get("epcList").is_none(), "{served}");
    assert_eq!(
        served["urn:junkan:withheld"],
        json!(["/action", "/epcList"]),
        "{served}"
    );

    // Revocation stops every route at once.
    for grant in [grant_id.as_str(), event_grant.body["id"].as_str().expect("id")] {
        let revoked = app
            .post(&format!("/api/v1/grants/{grant}/revoke"), &app.token_a, json!({}))
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    }
    for (route, served) in passport_views(&app, &passport).await {
        assert_ne!(served, expected, "{route} after revocation");
        assert!(
            served
                .get("Circularity")
                .is_none_or(|circularity| circularity.get("dismantlingAndRemovalInformation").is_none()),
            "{route} after revocation: {served}"
        );
    }
    assert_eq!(app.get(&event_path, &app.token_b).await.status, StatusCode::NOT_FOUND);
}

/// An offer of some fields: the DCAT catalog shows them as the offer's `junkan:field` constraint
/// (still valid against the Dataspace Protocol's dataset schema); a request under the offer that
/// names no fields asks for the offer's, one that names a field outside them is refused at it.
#[tokio::test]
async fn an_offer_of_some_fields_bounds_the_requests_made_under_it() {
    let app = TestApp::new().await;
    let offer = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "解体情報", "title_en": "Dismantling", "description_ja": "電池の解体情報",
                   "description_en": "Battery dismantling information", "record_kind": "passport",
                   "record_class": {"type": "profile", "profile": "battery"}, "level": "legitimate_interest",
                   "public": true, "fields": ["/Circularity/dismantlingAndRemovalInformation", "Labeling"]}),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer_id = offer.body["id"].as_str().expect("id").to_owned();
    let pointers = json!(["/Circularity/dismantlingAndRemovalInformation", "/Labeling"]);
    assert_eq!(offer.body["fields"], pointers);
    let one = app.get(&format!("/catalog/datasets/{offer_id}"), &app.token_b).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert!(
        dsp_validator("catalog/dataset-schema.json").is_valid(&one.body),
        "{}",
        one.body
    );
    assert!(
        one.body["hasPolicy"][0]["permission"][0]["constraint"]
            .as_array()
            .expect("constraints")
            .contains(&json!({"leftOperand": "junkan:field", "operator": "isAnyOf", "rightOperand": pointers})),
        "{}",
        one.body
    );
    let ask = |fields: Option<Value>| {
        let mut body = json!({"owner_organization_id": app.a, "offer_id": offer_id, "record_kind": "passport",
                              "record_class": {"type": "profile", "profile": "battery"},
                              "level": "legitimate_interest", "purpose": "dismantling", "expires_at": "2099-01-01T00:00:00Z"});
        if let Some(fields) = fields {
            body["fields"] = fields;
        }
        body
    };
    let outside = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            ask(Some(json!(["/Labeling/labels", "/MaterialComposition"]))),
        )
        .await;
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", outside.body);
    assert_eq!(error_paths(&outside.body), ["/fields/1"]);
    let inherited = app.post("/api/v1/access-requests", &app.token_b, ask(None)).await;
    assert_eq!(inherited.status, StatusCode::CREATED, "{}", inherited.body);
    assert_eq!(inherited.body["requested"]["fields"], pointers);
    let within = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            ask(Some(json!(["/Labeling/labels"]))),
        )
        .await;
    assert_eq!(within.status, StatusCode::CREATED, "{}", within.body);
    assert_eq!(within.body["requested"]["fields"], json!(["/Labeling/labels"]));
    // A standing rule carries fields like any grant.
    let rule = app
        .post(
            "/api/v1/standing-rules",
            &app.token_a,
            json!({"grantee": {"type": "role", "role": "recycler"}, "record_kind": "passport", "level": "legitimate_interest",
                   "expires_at": "2099-01-01T00:00:00Z", "fields": ["Circularity"]}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    assert_eq!(rule.body["fields"], json!(["/Circularity"]));
}

/// Query filters do not probe withheld members: B holds a grant of A's events limited to
/// `bizStep`; an EPCIS query filtering on bizStep finds A's event, while one filtering on a
/// member B is not shown (action, disposition, readPoint, an EPC, a quantity) finds nothing,
/// even with the stored value, so B cannot test what it is not shown. A's own query matches.
#[tokio::test]
async fn query_filters_on_withheld_members_do_not_match() {
    let app = TestApp::new().await;
    let captured = app
        .post(
            "/epcis/events",
            &app.token_a,
            json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "ObjectEvent", "eventID": "urn:uuid:7e7e7e7e-0000-4000-8000-00000000f17e",
                   "eventTime": "2026-05-01T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                   "epcList": ["urn:epc:id:sgtin:4912345.000001.P1"],
                   "quantityList": [{"epcClass": "urn:epc:class:lgtin:4912345.000001.L1", "quantity": 40, "uom": "KGM"}],
                   "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                   "readPoint": {"id": "urn:epc:id:sgln:4512345.00001.0"}}),
        )
        .await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    let grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "event",
                   "level": "full", "expires_at": "2099-01-01T00:00:00Z", "fields": ["bizStep"]}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    let found = |token: String, filter: &'static str| {
        let app = &app;
        async move {
            let reply = app.get(&format!("/epcis/events?{filter}"), &token).await;
            assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.body);
            reply.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                .as_array()
                .map_or(0, Vec::len)
        }
    };
    assert_eq!(found(app.token_b.clone(), "EQ_bizStep=shipping").await, 1);
    for filter in [
        "EQ_action=OBSERVE",
        "EQ_disposition=in_transit",
        "EQ_readPoint=urn:epc:id:sgln:4512345.00001.0",
        "WD_readPoint=urn:epc:id:sgln:4512345.00001.0",
        "MATCH_epc=urn:epc:id:sgtin:4912345.000001.P1",
        "MATCH_anyEPC=urn:epc:id:sgtin:4912345.000001.P1",
        "MATCH_epcClass=urn:epc:class:lgtin:4912345.000001.L1",
        "GE_quantity=10",
        "EQ_bizStep=shipping&EQ_disposition=in_transit",
    ] {
        assert_eq!(
            found(app.token_b.clone(), filter).await,
            0,
            "{filter} probes a withheld member"
        );
        assert_eq!(
            found(app.token_a.clone(), filter).await,
            1,
            "{filter} matches for the owner"
        );
    }
}

/// A reader holding two live grants of some fields each reads their union on every route, and
/// each read is audited under both grants; a member kept in part is listed by the pointers hidden
/// under it. Events too: two grants of one member each serve both members.
#[tokio::test]
async fn two_grants_of_some_fields_serve_their_union_and_audit_both() {
    let app = TestApp::new().await;
    let passport = battery_passport_of_a(&app, "https://id.gs1.org/01/04912345000019/21/UNION").await;
    let data = example("battery").expect("battery example");
    let mut grants = Vec::new();
    for fields in [
        json!(["/Circularity/dismantlingAndRemovalInformation"]),
        json!(["/GeneralProductInformation/batteryCategory"]),
    ] {
        let grant = app
            .post(
                "/api/v1/grants",
                &app.token_a,
                json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "passport",
                       "record_ids": [passport], "level": "legitimate_interest",
                       "expires_at": "2099-01-01T00:00:00Z", "fields": fields}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
        grants.push(grant.body["id"].as_str().expect("id").to_owned());
    }
    let expected = json!({
        "Circularity": {"dismantlingAndRemovalInformation": data["Circularity"]["dismantlingAndRemovalInformation"].clone()},
        "GeneralProductInformation": {"batteryCategory": data["GeneralProductInformation"]["batteryCategory"].clone()},
    });
    for (route, served) in passport_views(&app, &passport).await {
        assert_eq!(served, expected, "{route} serves the union of both grants' fields");
    }
    let single = app
        .get_with(&format!("/api/v1/passports/{passport}"), &app.token_b, &PURPOSE)
        .await;
    let withheld = single.body["withheld"].as_array().expect("withheld").clone();
    assert!(
        withheld.contains(&json!("/Circularity/sparePartSources")),
        "{withheld:?}"
    );
    assert!(!withheld.contains(&json!("/Circularity")), "{withheld:?}");
    for grant in &grants {
        let audit = app
            .get(&format!("/api/v1/audit?grant_id={grant}&action=read"), &app.token_a)
            .await;
        assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
        assert!(
            audit.body["items"]
                .as_array()
                .is_some_and(|entries| entries.iter().any(|entry| entry["record_id"] == passport.as_str())),
            "the read names grant {grant}: {}",
            audit.body
        );
    }

    let event_id = "urn:uuid:7e7e7e7e-0000-4000-8000-00000000a11d";
    let captured = app
        .post(
            "/epcis/events",
            &app.token_a,
            json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "ObjectEvent", "eventID": event_id, "eventTime": "2026-05-01T09:00:00+09:00",
                   "eventTimeZoneOffset": "+09:00", "epcList": ["urn:epc:id:sgtin:4912345.000001.U1"],
                   "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit"}),
        )
        .await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    for member in ["bizStep", "disposition"] {
        let grant = app
            .post(
                "/api/v1/grants",
                &app.token_a,
                json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "event",
                       "level": "full", "expires_at": "2099-01-01T00:00:00Z", "fields": [member]}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    }
    let event = app
        .get(&format!("/epcis/events/{}", event_id.replace(':', "%3A")), &app.token_b)
        .await;
    assert_eq!(event.status, StatusCode::OK, "{}", event.body);
    let served = &event.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
    let text = served.to_string();
    assert!(text.contains("shipping") && text.contains("in_transit"), "{text}");
    assert_eq!(
        served["urn:junkan:withheld"],
        json!(["/action", "/epcList"]),
        "{served}"
    );
}
