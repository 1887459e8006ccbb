//! Tenant isolation over every route: organization B cannot read or change organization A's
//! restricted records through any route; auditors can read them, and each such read is audited.
//! The route table below is checked against the OpenAPI document, so a new route without an
//! isolation case fails this test.

mod support;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{json, Value};

use support::TestApp;

struct Case {
    method: &'static str,
    /// Path template as in the OpenAPI document.
    template: &'static str,
    /// Path with A's ids filled in.
    path: String,
    body: Option<Value>,
    /// Statuses B may get (never a success that leaks or changes A's data).
    refused_with: &'static [StatusCode],
}

/// Routes that only serve public data or the caller's own, with why.
const PUBLIC: [(&str, &str, &str); 75] = [
    (
        "get",
        "/.well-known/junkan-log/sth",
        "the newest signed tree head: a root hash, no record",
    ),
    (
        "get",
        "/.well-known/junkan-log/tree-heads",
        "signed tree heads: root hashes, no record",
    ),
    (
        "get",
        "/.well-known/junkan-log/consistency",
        "hashes between two public tree heads",
    ),
    (
        "get",
        "/api/v1/partners/secretariat",
        "which organization is the partnership's secretariat",
    ),
    (
        "post",
        "/api/v1/partners/memberships",
        "applies for the caller's own organization (tests/partners.rs)",
    ),
    (
        "post",
        "/api/v1/partners/targets",
        "submits a target of the caller's own organization (tests/partners.rs)",
    ),
    (
        "post",
        "/api/v1/partners/targets/import",
        "imports targets of the caller's own organization (tests/partners.rs)",
    ),
    ("get", "/api/v1/indicators", "the list of indicators junkan computes"),
    (
        "post",
        "/api/v1/indicators/{name}",
        "computes from the inputs in the body only; reads no stored data",
    ),
    ("get", "/healthz", "liveness"),
    ("get", "/readyz", "readiness"),
    ("get", "/.well-known/openid-configuration", "discovery"),
    ("get", "/.well-known/jwks.json", "public keys"),
    ("get", "/.well-known/did.json", "the node's DID document: public keys"),
    (
        "get",
        "/organizations/{id}/did.json",
        "an organization's DID document: public keys",
    ),
    ("get", "/organizations/{id}/jwks.json", "an organization's public keys"),
    (
        "get",
        "/credentials/status/{organization}",
        "a revocation status list: bits, published for every verifier",
    ),
    (
        "post",
        "/api/v1/verify",
        "verifies the body's credential; its record is read with the caller's actor (tests/trust.rs)",
    ),
    ("post", "/auth/token", "credentials of the caller's own client"),
    ("post", "/auth/login", "the caller's own password"),
    ("post", "/auth/logout", "the caller's own session"),
    ("get", "/api/v1/me", "the caller's own identity"),
    ("get", "/api/v1/openapi.json", "the API description"),
    ("get", "/api/v1/prefectures", "public reference data"),
    ("get", "/api/v1/municipalities", "public reference data"),
    ("get", "/api/v1/industries", "public reference data"),
    ("get", "/api/v1/certifications", "certifications are public statements"),
    (
        "get",
        "/api/v1/certificate-schemes",
        "certification schemes are public reference data",
    ),
    ("get", "/voc/junkan-cbv.jsonld", "the published circular vocabulary"),
    ("get", "/voc/junkan-cbv-context.jsonld", "the published JSON-LD context"),
    (
        "post",
        "/api/v1/facilities",
        "creates a facility of the caller's own organization (checked below)",
    ),
    (
        "post",
        "/epcis/capture",
        "captures events for the caller's own organization (checked in tests/epcis.rs)",
    ),
    (
        "post",
        "/epcis/events",
        "captures an event for the caller's own organization (checked in tests/epcis.rs)",
    ),
    ("get", "/epcis", "the list of EPCIS resources"),
    ("get", "/api/v1/profiles", "passport profiles are public documents"),
    (
        "get",
        "/api/v1/profiles/{code}",
        "passport profiles are public documents",
    ),
    (
        "post",
        "/api/v1/passports",
        "creates a passport of the caller's own organization (tests/passports.rs)",
    ),
    (
        "post",
        "/api/v1/passports/import",
        "imports passports of the caller's own organization; another's identifiers are refused (tests/passports.rs)",
    ),
    ("get", "/.well-known/gs1resolver", "the resolver description"),
    (
        "post",
        "/api/v1/footprints",
        "publishes a footprint of the caller's own organization (tests/pact.rs)",
    ),
    (
        "get",
        "/epcis/{resource}/{value}",
        "the names of a value's sub-resources",
    ),
    (
        "post",
        "/epcis/queries",
        "keeps a query for the caller's own organization (checked in tests/queries.rs)",
    ),
    (
        "post",
        "/api/v1/material-flows",
        "enters a material-flow record of the caller's own organization (tests/material_flows.rs)",
    ),
    (
        "post",
        "/api/v1/material-flows/import",
        "imports material-flow records of the caller's own organization (tests/material_flows.rs)",
    ),
    (
        "post",
        "/api/v1/indicator-values",
        "stores an indicator value of the caller's own organization (tests/material_flows.rs)",
    ),
    (
        "post",
        "/api/v1/indicator-targets",
        "stores a target of the caller's own organization (tests/material_flows.rs)",
    ),
    (
        "get",
        "/catalog",
        "the catalog describes offers (public ones anonymously); the data stays behind grants (tests/access_requests.rs)",
    ),
    (
        "get",
        "/catalog/datasets/{id}",
        "one offer's description; the data stays behind grants (tests/access_requests.rs)",
    ),
    (
        "get",
        "/api/v1/dataset-offers",
        "offer descriptions, as the catalog shows them (tests/access_requests.rs)",
    ),
    (
        "get",
        "/api/v1/dataset-offers/{id}",
        "one offer's description, as the catalog shows it (tests/access_requests.rs)",
    ),
    (
        "post",
        "/api/v1/dataset-offers",
        "offers the caller's own organization's records (tests/access_requests.rs)",
    ),
    (
        "post",
        "/api/v1/access-requests",
        "asks in the name of the caller's own organization (tests/access_requests.rs)",
    ),
    (
        "get",
        "/api/v1/access-requests",
        "the caller's own organization's requests, made or received (tests/access_requests.rs)",
    ),
    (
        "get",
        "/api/v1/standing-rules",
        "the caller's own organization's standing rules",
    ),
    (
        "post",
        "/api/v1/standing-rules",
        "sets a rule over the caller's own organization's records (tests/access_requests.rs)",
    ),
    (
        "get",
        "/.well-known/dspace-version",
        "the protocol versions the node speaks",
    ),
    (
        "post",
        "/dsp/catalog/request",
        "the catalog as /catalog: offer descriptions, public ones anonymously (tests/dsp.rs)",
    ),
    (
        "get",
        "/dsp/catalog/datasets/{id}",
        "one offer's description, as /catalog/datasets/{id}",
    ),
    (
        "post",
        "/dsp/negotiations/request",
        "negotiates in the name of the caller's own organization on offers it may see (tests/dsp.rs)",
    ),
    (
        "post",
        "/dsp/transfers/request",
        "only under an agreement in force that the caller's own organization holds; another organization's agreement is 400 (tests/dsp.rs)",
    ),
    (
        "get",
        "/api/v1/dsp/negotiations",
        "the caller's own organization's negotiations",
    ),
    (
        "get",
        "/api/v1/dsp/transfers",
        "the caller's own organization's transfers",
    ),
    (
        "post",
        "/api/v1/dsp/negotiations",
        "negotiates in the name of the caller's own organization",
    ),
    (
        "get",
        "/api/v1/peers",
        "the node's registered peer nodes: node-level facts, no organization's data",
    ),
    (
        "get",
        "/api/v1/peers/{id}",
        "one registered peer node: node-level facts, no organization's data",
    ),
    (
        "post",
        "/api/v1/peers/{id}/catalog",
        "fetches a peer's catalog signed as the caller's own organization (cli/tests/federation.rs)",
    ),
    (
        "post",
        "/api/v1/remote-requests",
        "sends a request in the name of the caller's own organization (cli/tests/federation.rs)",
    ),
    (
        "get",
        "/api/v1/remote-requests",
        "the caller's own organization's requests to peers",
    ),
    (
        "get",
        "/api/v1/received-records",
        "the records the caller's own organization received",
    ),
    (
        "get",
        "/federation/v1/catalog",
        "signed requests of peers' organizations only (unsigned: 401); the catalog as the local route shows it (cli/tests/federation.rs)",
    ),
    (
        "post",
        "/federation/v1/access-requests",
        "signed requests of peers' organizations only (unsigned: 401); asks in the signer's own name (cli/tests/federation.rs)",
    ),
    (
        "get",
        "/federation/v1/credentials/{kind}/{id}",
        "signed requests of peers' organizations only (unsigned: 401); the local read rule with the signer as reader (cli/tests/federation.rs)",
    ),
    (
        "get",
        "/api/v1/ouranos-remote-supplies",
        "the links of the caller's own organization's parts to suppliers on peer nodes",
    ),
    (
        "get",
        "/federation/v1/lineage",
        "signed requests of peers' organizations only (unsigned: 401); the local read rule with the signer as reader (cli/tests/federation.rs)",
    ),
    (
        "get",
        "/federation/v1/grants",
        "signed requests of peers' organizations only (unsigned: 401); the signer's own received grants (cli/tests/federation.rs)",
    ),
];

#[tokio::test]
async fn organization_b_cannot_reach_organization_a_through_any_route() {
    let app = TestApp::new().await;
    let secret_facility = app.facility_of_a("restricted").await;
    let grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({
                "grantee": {"type": "organization", "organization_id": app.authority.to_string()},
                "record_kind": "facility", "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"
            }),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    let grant_id = grant.body["id"].as_str().expect("id").to_owned();
    let request = app
        .post(
            "/api/v1/access-requests",
            &app.token_a,
            json!({"owner_organization_id": app.authority.to_string(), "record_kind": "facility",
                   "level": "legitimate_interest", "purpose": "isolation", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let request_id = request.body["id"].as_str().expect("id").to_owned();
    let offer = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "施設", "title_en": "Facilities", "description_ja": "施設の一覧",
                   "description_en": "Our facilities", "record_kind": "facility", "level": "full"}),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer_id = offer.body["id"].as_str().expect("id").to_owned();
    // A contract negotiation on A's offer by another organization (the authority), and a
    // consumer negotiation of A: B is no party to either.
    let authority_member = app.client_token(app.authority, &[support_role()]).await;
    let dsp_context = json!(["https://w3id.org/dspace/2025/1/context.jsonld"]);
    let negotiation = app
        .post(
            "/dsp/negotiations/request",
            &authority_member,
            json!({"@context": dsp_context, "@type": "ContractRequestMessage", "consumerPid": "urn:uuid:isolation-consumer",
                   "offer": {"@type": "Offer", "@id": format!("urn:junkan:offer:{offer_id}"), "permission": [{"action": "use"}]},
                   "callbackAddress": "http://127.0.0.1:9/dsp"}),
        )
        .await;
    assert_eq!(negotiation.status, StatusCode::CREATED, "{}", negotiation.body);
    let negotiation_pid = negotiation.body["providerPid"].as_str().expect("pid").to_owned();
    let consumer_negotiation = app
        .store
        .dsp_create_consumer_negotiation(
            &junkan_model::principal::Actor {
                kind: junkan_model::principal::PrincipalKind::ApiKey,
                principal_id: "isolation".to_owned(),
                organization_id: Some(app.a),
                roles: vec![support_role()],
                purpose: None,
                request_id: None,
                grant: None,
            },
            "http://127.0.0.1:9/dsp",
            "urn:junkan:offer:remote",
            None,
            Some("jk_remote"),
            None,
        )
        .await
        .expect("consumer negotiation")
        .id;
    // No transfer of A exists that B could name; these ids name none (the routes' party checks
    // are shown with real transfers in tests/dsp.rs and the store contract).
    let transfer_pid = "urn:uuid:0190a0a0-0000-7000-8000-00000000dddd";
    let transfer_id = "0190a0a0-0000-7000-8000-00000000dddd";
    let (client_id, _) = app.client(app.a, &[support_role()]).await;
    let key = app
        .post(
            &format!("/api/v1/organizations/{}/api-keys", app.a),
            &app.token_a,
            json!({"name": "k"}),
        )
        .await;
    let key_id = key.body["api_key"]["id"].as_str().expect("id").to_owned();
    let event = serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "ObjectEvent", "eventID": "urn:uuid:cccccccc-0000-4000-8000-000000000001",
        "eventTime": "2026-05-01T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
        "epcList": ["urn:epc:id:sgtin:4512345.012345.9"], "action": "OBSERVE"
    });
    let captured = app.post("/epcis/events", &app.token_a, event).await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    let event_path = captured.headers["location"].to_str().expect("ascii").to_owned();
    let job = app.post("/epcis/capture", &app.token_a, serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
        "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
        "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-05-01T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
            "epcList": ["urn:epc:id:sgtin:4512345.012345.10"], "action": "OBSERVE"}]}
    })).await;
    let job_path = job.headers["location"].to_str().expect("ascii").to_owned();
    let query = app
        .post(
            "/epcis/queries",
            &app.token_a,
            json!({"name": "a-secret-query", "query": {"EQ_bizStep": ["shipping"]}}),
        )
        .await;
    assert_eq!(query.status, StatusCode::CREATED, "{}", query.body);
    let subscription = app
        .post(
            "/epcis/queries/a-secret-query/subscriptions",
            &app.token_a,
            json!({"dest": "https://client.example.com/hook", "stream": true}),
        )
        .await;
    let subscription_path = subscription.headers["location"].to_str().expect("ascii").to_owned();
    for document in junkan_passport::builtin::documents() {
        app.store
            .register_profile(&junkan_model::principal::Actor::system(), document)
            .await
            .expect("shipped profiles register");
    }
    let secret_passport = app
        .store
        .create_passport(
            &junkan_model::principal::Actor {
                kind: junkan_model::principal::PrincipalKind::Client,
                principal_id: "isolation".to_owned(),
                organization_id: Some(app.a),
                roles: vec![junkan_model::principal::Role::Member],
                purpose: None,
                request_id: None,
                grant: None,
            },
            junkan_model::passport::NewPassport {
                identifier: "https://id.gs1.org/01/04912345000019".to_owned(),
                granularity: junkan_model::passport::Granularity::Model,
                profile: "home_appliance".to_owned(),
                status: junkan_model::passport::LifecycleStatus::Original,
                visibility: junkan_model::facility::Visibility::Restricted,
                data: junkan_passport::builtin::example("home_appliance").expect("example"),
                links: vec![],
                note: None,
            },
        )
        .await
        .expect("restricted passport of A");
    let a = app.a.to_string();
    let forbidden_or_hidden: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
    let facility_patch = json!({"name_en": "taken over", "visibility": "public"});
    let passport = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "urn:example:secret-pellets:cccccccc", "granularity": "batch", "profile": "plastics",
                   "visibility": "restricted", "data": junkan_passport::builtin::example("plastics")}),
        )
        .await;
    assert_eq!(passport.status, StatusCode::CREATED, "{}", passport.body);
    let passport = passport.body["id"].as_str().expect("id").to_owned();
    // A certification body certifies A's restricted passport, which A let it read.
    let mut certifier_org = support::company(
        "認証",
        "1234567890123",
        &[junkan_model::organization::CycleRole::Certifier],
    );
    certifier_org.corporate_number = None;
    let certifier = app
        .store
        .create_organization(&junkan_model::principal::Actor::system(), certifier_org)
        .await
        .expect("certifier")
        .id;
    let certifier_token = app.client_token(certifier, &[support_role()]).await;
    let shared = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": certifier.to_string()},
                   "record_kind": "passport", "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let certificate_request = json!({
        "scheme": "recycled_content", "subject": {"kind": "passport", "id": passport},
        "claim": {"type": "recycled_content", "material": "PP", "recycled_share_pct": "40",
                  "pre_consumer_pct": "0", "post_consumer_pct": "40"},
        "valid_from": "2026-04-01T00:00:00Z", "valid_until": "2099-04-01T00:00:00Z", "reference_number": "ISO-1"});
    let certificate = app
        .post("/api/v1/certificates", &certifier_token, certificate_request.clone())
        .await;
    assert_eq!(certificate.status, StatusCode::CREATED, "{}", certificate.body);
    let certificate_id = certificate.body["id"].as_str().expect("id").to_owned();
    // A is a member that does not publish, with a target; A's own organization is the
    // secretariat here, so that it can approve itself.
    let designated = app
        .call(
            "PUT",
            "/api/v1/partners/secretariat",
            Some(&app.token_node_admin),
            Some(json!({"organization_id": a})),
        )
        .await;
    assert_eq!(designated.status, StatusCode::OK, "{}", designated.body);
    let applied = app
        .post("/api/v1/partners/memberships", &app.token_a, json!({"publish": false}))
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.body);
    let membership = applied.body["id"].as_str().expect("id").to_owned();
    let approved = app
        .post(
            &format!("/api/v1/partners/memberships/{membership}/review"),
            &app.token_a,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let target_year = time::OffsetDateTime::now_utc().year() + 4;
    let partner_target = json!({"categories": ["resource_circulation"], "content": "cccccccc 再生材利用率30%",
        "quantitative": {"indicator": "再生材利用率", "scope": "全製品", "baseline_year": 2022, "baseline_value": 10,
                         "target_value": "30", "unit": "%", "target_year": target_year}});
    let target = app
        .post("/api/v1/partners/targets", &app.token_a, partner_target.clone())
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
    let partner_target_id = target.body["id"].as_str().expect("id").to_owned();
    let follow_up = json!({"fiscal_year": 2025, "achievement_band": "20-39", "progress_status": "on_plan"});
    // Federation: A's request to a peer and a record A received from it.
    let peer = app
        .store
        .create_peer(
            &junkan_model::principal::Actor::system(),
            "https://peer.invalid",
            "did:web:peer.invalid",
            &json!({"id": "did:web:peer.invalid"}),
        )
        .await
        .expect("peer");
    let actor_a = junkan_model::principal::Actor {
        kind: junkan_model::principal::PrincipalKind::User,
        principal_id: "isolation".to_owned(),
        organization_id: Some(app.a),
        roles: vec![
            junkan_model::principal::Role::OrgAdmin,
            junkan_model::principal::Role::Member,
        ],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let remote_request = app
        .store
        .create_remote_request(
            &actor_a,
            peer.id,
            "did:web:peer.invalid:organizations:x",
            "remote-1",
            &json!({"record_kind": "passport", "record_ids": ["p"], "purpose": "isolation"}),
            &json!({"id": "remote-1", "state": "pending"}),
            "pending",
        )
        .await
        .expect("remote request");
    let received = app
        .store
        .create_received_record(
            &actor_a,
            junkan_model::federation::NewReceivedRecord {
                peer_id: peer.id,
                remote_request_id: Some(remote_request.id),
                provider_did: "did:web:peer.invalid:organizations:x".to_owned(),
                record_kind: "passport".to_owned(),
                record_id: "p".to_owned(),
                record_version: Some(1),
                grant_id: None,
                credential: "a.b.c".to_owned(),
                credential_id: None,
                issuer_key_id: "did:web:peer.invalid:organizations:x#k".to_owned(),
                subject: json!({"recordId": "p"}),
                verified_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await
        .expect("received record");
    // A part of A bought from a peer's organization: B can neither link nor unlink it.
    let plant_a = app
        .store
        .put_ouranos_plant(
            &actor_a,
            junkan_model::ouranos::PlantWrite {
                plant_id: None,
                operator_id: app.a,
                open_plant_id: "isolation-plant-000001".to_owned(),
                plant_name: "第一工場".to_owned(),
                plant_address: "愛知県豊田市1-1".to_owned(),
                global_plant_id: None,
            },
        )
        .await
        .expect("plant");
    let part_a = app
        .store
        .put_ouranos_part(
            &actor_a,
            junkan_model::ouranos::PartWrite {
                trace_id: None,
                part: junkan_model::ouranos::Part {
                    trace_id: uuid::Uuid::nil(),
                    operator_id: app.a,
                    plant_id: plant_a.plant_id,
                    parts_name: "CELL".to_owned(),
                    support_parts_name: None,
                    terminated: false,
                    amount_required: None,
                    amount_required_unit: None,
                    parts_label_name: None,
                    parts_add_info: [None, None, None],
                },
            },
        )
        .await
        .expect("part")
        .trace_id;
    let link = json!({"peer_id": peer.id, "supplier_did": "did:web:peer.invalid:organizations:x",
                      "supplier_trace_id": uuid::Uuid::nil()});
    app.store
        .put_ouranos_remote_supply(&actor_a, part_a, &serde_json::from_value(link.clone()).expect("link"))
        .await
        .expect("A links its part");
    let mut cases = vec![
        Case {
            method: "put",
            template: "/api/v1/ouranos-remote-supplies/{trace_id}",
            path: format!("/api/v1/ouranos-remote-supplies/{part_a}"),
            body: Some(link.clone()),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "delete",
            template: "/api/v1/ouranos-remote-supplies/{trace_id}",
            path: format!("/api/v1/ouranos-remote-supplies/{part_a}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/federation/v1/grants/{id}/records",
            path: format!("/federation/v1/grants/{grant_id}/records"),
            body: None,
            refused_with: &[StatusCode::UNAUTHORIZED],
        },
        Case {
            method: "get",
            template: "/federation/v1/ouranos/cfp-rollup/{trace_id}",
            path: format!("/federation/v1/ouranos/cfp-rollup/{part_a}"),
            body: None,
            refused_with: &[StatusCode::UNAUTHORIZED],
        },
        Case {
            method: "post",
            template: "/api/v1/peers",
            path: "/api/v1/peers".to_owned(),
            body: Some(json!({"base_url": "https://other.invalid"})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/api/v1/remote-requests/{id}",
            path: format!("/api/v1/remote-requests/{}", remote_request.id),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/remote-requests/{id}/refresh",
            path: format!("/api/v1/remote-requests/{}/refresh", remote_request.id),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/remote-requests/{id}/pull",
            path: format!("/api/v1/remote-requests/{}/pull", remote_request.id),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/federation/v1/access-requests/{id}",
            path: format!("/federation/v1/access-requests/{request_id}"),
            body: None,
            refused_with: &[StatusCode::UNAUTHORIZED],
        },
        Case {
            method: "get",
            template: "/api/v1/received-records/{id}",
            path: format!("/api/v1/received-records/{}", received.id),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/certificates",
            path: "/api/v1/certificates".to_owned(),
            body: Some(certificate_request),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/api/v1/certificates/{id}",
            path: format!("/api/v1/certificates/{certificate_id}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/certificates/{id}/credential",
            path: format!("/api/v1/certificates/{certificate_id}/credential"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/certificates/{id}/verification",
            path: format!("/api/v1/certificates/{certificate_id}/verification"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/certificates/{id}/revoke",
            path: format!("/api/v1/certificates/{certificate_id}/revoke"),
            body: Some(json!({"reason": "taken over"})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/certificate-schemes",
            path: "/api/v1/certificate-schemes".to_owned(),
            body: Some(
                json!({"code": "taken_over", "label_ja": "乗っ取り", "label_en": "Taken over",
                              "claim_type": "cfp", "subject_kinds": ["footprint"]}),
            ),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/api/v1/log/inclusion",
            path: format!("/api/v1/log/inclusion?kind=passport&id={passport}"),
            body: None,
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "get",
            template: "/api/v1/log/verification",
            path: "/api/v1/log/verification".to_owned(),
            body: None,
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/log/tree-heads",
            path: "/api/v1/log/tree-heads".to_owned(),
            body: None,
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "put",
            template: "/api/v1/partners/secretariat",
            path: "/api/v1/partners/secretariat".to_owned(),
            body: Some(json!({"organization_id": a})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/api/v1/partners/memberships/{id}",
            path: format!("/api/v1/partners/memberships/{membership}"),
            body: None,
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "patch",
            template: "/api/v1/partners/memberships/{id}",
            path: format!("/api/v1/partners/memberships/{membership}"),
            body: Some(json!({"publish": true})),
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "post",
            template: "/api/v1/partners/memberships/{id}/review",
            path: format!("/api/v1/partners/memberships/{membership}/review"),
            body: Some(json!({"decision": "reject", "reason": "taken over"})),
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "post",
            template: "/api/v1/partners/memberships/{id}/withdraw",
            path: format!("/api/v1/partners/memberships/{membership}/withdraw"),
            body: Some(json!({})),
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "get",
            template: "/api/v1/partners/targets/{id}",
            path: format!("/api/v1/partners/targets/{partner_target_id}"),
            body: None,
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "put",
            template: "/api/v1/partners/targets/{id}",
            path: format!("/api/v1/partners/targets/{partner_target_id}"),
            body: Some(partner_target),
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "get",
            template: "/api/v1/partners/targets/{id}/versions",
            path: format!("/api/v1/partners/targets/{partner_target_id}/versions"),
            body: None,
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "get",
            template: "/api/v1/partners/targets/{id}/progress",
            path: format!("/api/v1/partners/targets/{partner_target_id}/progress"),
            body: None,
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "post",
            template: "/api/v1/partners/targets/{id}/follow-ups",
            path: format!("/api/v1/partners/targets/{partner_target_id}/follow-ups"),
            body: Some(follow_up),
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "get",
            template: "/01/{gtin}",
            path: "/01/04912345000019/21/S1?format=jsonld".to_owned(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/passports/{id}/qr",
            path: format!("/api/v1/passports/{}/qr", secret_passport.id),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/facilities/{id}",
            path: format!("/api/v1/facilities/{secret_facility}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "patch",
            template: "/api/v1/facilities/{id}",
            path: format!("/api/v1/facilities/{secret_facility}"),
            body: Some(facility_patch),
            refused_with: forbidden_or_hidden,
        },
        Case {
            method: "patch",
            template: "/api/v1/organizations/{id}",
            path: format!("/api/v1/organizations/{a}"),
            body: Some(json!({"name_en": "Hijacked"})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/organizations",
            path: "/api/v1/organizations".to_owned(),
            body: Some(
                json!({"name_ja": "偽", "name_en": "Fake", "organization_type": "company", "company_size": "small"}),
            ),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/api/v1/organizations/{id}/users",
            path: format!("/api/v1/organizations/{a}/users"),
            body: None,
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/organizations/{id}/users",
            path: format!("/api/v1/organizations/{a}/users"),
            body: Some(json!({"username": "mole", "display_name": "mole", "password": "a very long password"})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/api/v1/organizations/{id}/clients",
            path: format!("/api/v1/organizations/{a}/clients"),
            body: None,
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/organizations/{id}/clients",
            path: format!("/api/v1/organizations/{a}/clients"),
            body: Some(json!({"name": "mole"})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/clients/{id}/revoke",
            path: format!("/api/v1/clients/{client_id}/revoke"),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/organizations/{id}/api-keys",
            path: format!("/api/v1/organizations/{a}/api-keys"),
            body: None,
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/organizations/{id}/api-keys",
            path: format!("/api/v1/organizations/{a}/api-keys"),
            body: Some(json!({"name": "mole"})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/api-keys/{id}/revoke",
            path: format!("/api/v1/api-keys/{key_id}/revoke"),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/grants/{id}",
            path: format!("/api/v1/grants/{grant_id}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/grants/{id}/revoke",
            path: format!("/api/v1/grants/{grant_id}/revoke"),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/grants/{id}/policy",
            path: format!("/api/v1/grants/{grant_id}/policy"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/access-requests/{id}",
            path: format!("/api/v1/access-requests/{request_id}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/access-requests/{id}/approve",
            path: format!("/api/v1/access-requests/{request_id}/approve"),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/access-requests/{id}/narrow",
            path: format!("/api/v1/access-requests/{request_id}/narrow"),
            body: Some(json!({"level": "legitimate_interest"})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/access-requests/{id}/refuse",
            path: format!("/api/v1/access-requests/{request_id}/refuse"),
            body: Some(json!({"reason": "no"})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/access-requests/{id}/withdraw",
            path: format!("/api/v1/access-requests/{request_id}/withdraw"),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/dataset-offers/{id}/withdraw",
            path: format!("/api/v1/dataset-offers/{offer_id}/withdraw"),
            body: Some(json!({})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/grants",
            path: "/api/v1/grants".to_owned(),
            body: Some(
                json!({"grantee": {"type": "organization", "organization_id": app.b.to_string()}, "record_kind": "facility", "record_ids": [secret_facility.clone()], "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
            ),
            refused_with: &[StatusCode::UNPROCESSABLE_ENTITY],
        },
        Case {
            method: "post",
            template: "/api/v1/certifications",
            path: "/api/v1/certifications".to_owned(),
            body: Some(
                json!({"subject_organization_id": app.b.to_string(), "scheme": "recycled_content", "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}),
            ),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "post",
            template: "/api/v1/certifications/{id}/revoke",
            path: format!("/api/v1/certifications/{}/revoke", uuid::Uuid::nil()),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/epcis/events/{eventID}",
            path: event_path.clone(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/epcis/capture/{captureID}",
            path: job_path.clone(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/epcis/queries/{queryName}",
            path: "/epcis/queries/a-secret-query".to_owned(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "delete",
            template: "/epcis/queries/{queryName}",
            path: "/epcis/queries/a-secret-query".to_owned(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/epcis/queries/{queryName}/events",
            path: "/epcis/queries/a-secret-query/events".to_owned(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/epcis/queries/{queryName}/subscriptions",
            path: "/epcis/queries/a-secret-query/subscriptions".to_owned(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/epcis/queries/{queryName}/subscriptions",
            path: "/epcis/queries/a-secret-query/subscriptions".to_owned(),
            body: Some(json!({"dest": "https://b.example.com/hook", "stream": true})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/epcis/queries/{queryName}/subscriptions/{subscriptionID}",
            path: subscription_path.clone(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "delete",
            template: "/epcis/queries/{queryName}/subscriptions/{subscriptionID}",
            path: subscription_path.clone(),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/industries",
            path: "/api/v1/industries".to_owned(),
            body: Some(json!({"code": "moles", "name_ja": "x", "name_en": "x"})),
            refused_with: &[StatusCode::FORBIDDEN],
        },
        Case {
            method: "get",
            template: "/dsp/negotiations/{pid}",
            path: format!("/dsp/negotiations/{negotiation_pid}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/negotiations/{pid}/request",
            path: format!("/dsp/negotiations/{negotiation_pid}/request"),
            body: Some(
                json!({"@context": dsp_context, "@type": "ContractRequestMessage", "providerPid": negotiation_pid,
                "consumerPid": "urn:uuid:isolation-consumer",
                "offer": {"@type": "Offer", "@id": format!("urn:junkan:offer:{offer_id}"), "permission": [{"action": "use"}]}}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/negotiations/{pid}/events",
            path: format!("/dsp/negotiations/{negotiation_pid}/events"),
            body: Some(
                json!({"@context": dsp_context, "@type": "ContractNegotiationEventMessage", "providerPid": negotiation_pid,
                "consumerPid": "urn:uuid:isolation-consumer", "eventType": "ACCEPTED"}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/negotiations/{pid}/agreement/verification",
            path: format!("/dsp/negotiations/{negotiation_pid}/agreement/verification"),
            body: Some(
                json!({"@context": dsp_context, "@type": "ContractAgreementVerificationMessage", "providerPid": negotiation_pid,
                "consumerPid": "urn:uuid:isolation-consumer"}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/negotiations/{pid}/termination",
            path: format!("/dsp/negotiations/{negotiation_pid}/termination"),
            body: Some(
                json!({"@context": dsp_context, "@type": "ContractNegotiationTerminationMessage", "providerPid": negotiation_pid,
                "consumerPid": "urn:uuid:isolation-consumer", "code": "x", "reason": ["x"]}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/negotiations/{pid}/offers",
            path: format!("/dsp/negotiations/{negotiation_pid}/offers"),
            body: Some(
                json!({"@context": dsp_context, "@type": "ContractOfferMessage", "providerPid": "urn:uuid:x",
                "consumerPid": negotiation_pid, "offer": {"@type": "Offer", "@id": "urn:x", "target": "urn:y", "permission": [{"action": "use"}]}}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/negotiations/{pid}/agreement",
            path: format!("/dsp/negotiations/{negotiation_pid}/agreement"),
            body: Some(
                json!({"@context": dsp_context, "@type": "ContractAgreementMessage", "providerPid": "urn:uuid:x",
                "consumerPid": negotiation_pid, "agreement": {"@id": "urn:a", "@type": "Agreement", "target": "urn:t",
                "assigner": "urn:p", "assignee": "urn:c", "permission": [{"action": "use"}]}}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/dsp/transfers/{pid}",
            path: format!("/dsp/transfers/{transfer_pid}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/transfers/{pid}/start",
            path: format!("/dsp/transfers/{transfer_pid}/start"),
            body: Some(
                json!({"@context": dsp_context, "@type": "TransferStartMessage", "providerPid": "urn:uuid:x",
                "consumerPid": transfer_pid, "dataAddress": {"@type": "DataAddress", "endpointType": "x", "endpoint": "http://x",
                "endpointProperties": [{"@type": "EndpointProperty", "name": "authorization", "value": "t"}]}}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/transfers/{pid}/completion",
            path: format!("/dsp/transfers/{transfer_pid}/completion"),
            body: Some(
                json!({"@context": dsp_context, "@type": "TransferCompletionMessage", "providerPid": transfer_pid, "consumerPid": "urn:uuid:c"}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/transfers/{pid}/suspension",
            path: format!("/dsp/transfers/{transfer_pid}/suspension"),
            body: Some(
                json!({"@context": dsp_context, "@type": "TransferSuspensionMessage", "providerPid": transfer_pid, "consumerPid": "urn:uuid:c"}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/dsp/transfers/{pid}/termination",
            path: format!("/dsp/transfers/{transfer_pid}/termination"),
            body: Some(
                json!({"@context": dsp_context, "@type": "TransferTerminationMessage", "providerPid": transfer_pid, "consumerPid": "urn:uuid:c"}),
            ),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/dsp/transfers/{pid}/data",
            path: format!("/dsp/transfers/{transfer_pid}/data"),
            body: None,
            refused_with: &[StatusCode::UNAUTHORIZED],
        },
        Case {
            method: "get",
            template: "/api/v1/dsp/negotiations/{id}",
            path: format!("/api/v1/dsp/negotiations/{consumer_negotiation}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/dsp/transfers",
            path: "/api/v1/dsp/transfers".to_owned(),
            body: Some(json!({"negotiation_id": consumer_negotiation.to_string()})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/dsp/transfers/{id}",
            path: format!("/api/v1/dsp/transfers/{transfer_id}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "get",
            template: "/api/v1/dsp/transfers/{id}/data",
            path: format!("/api/v1/dsp/transfers/{transfer_id}/data"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        },
        Case {
            method: "post",
            template: "/api/v1/dsp/transfers/{id}/complete",
            path: format!("/api/v1/dsp/transfers/{transfer_id}/complete"),
            body: Some(json!({})),
            refused_with: &[StatusCode::NOT_FOUND],
        },
    ];
    // Listing routes answer B, but never with A's restricted records.
    for (method, template, suffix, body) in [
        ("get", "/api/v1/passports/{id}", "", None),
        ("patch", "/api/v1/passports/{id}", "", Some(json!({"status": "waste"}))),
        ("get", "/api/v1/passports/{id}/versions", "/versions", None),
        ("get", "/api/v1/passports/{id}/diff", "/diff?from=1", None),
        ("get", "/api/v1/passports/{id}/export", "/export?format=untp", None),
    ] {
        cases.push(Case {
            method,
            template,
            path: format!("/api/v1/passports/{passport}{suffix}"),
            body,
            refused_with: &[StatusCode::NOT_FOUND],
        });
    }
    // A restricted footprint of A (its product id carries the marker the listings look for).
    let mut footprint = junkan_footprint::fixtures::cell_footprint();
    footprint.product_ids = vec!["urn:junkan:part:cccccccc".to_owned()];
    let footprint_id = footprint.id;
    let document = junkan_footprint::pact::to_v3(&footprint).expect("v3");
    let published = app
        .post(
            "/api/v1/footprints",
            &app.token_a,
            json!({"footprint": document, "visibility": "restricted"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.body);
    let mut successor = footprint.clone();
    successor.id = junkan_model::ids::FootprintId::derived("taken over");
    let successor = junkan_footprint::pact::to_v3(&successor).expect("v3");
    for (method, template, suffix, body) in [
        ("get", "/api/v1/footprints/{id}", "", None),
        (
            "post",
            "/api/v1/footprints/{id}/supersede",
            "/supersede",
            Some(json!({"footprint": successor})),
        ),
        (
            "post",
            "/api/v1/footprints/{id}/share",
            "/share",
            Some(json!({"organization_id": app.b})),
        ),
    ] {
        cases.push(Case {
            method,
            template,
            path: format!("/api/v1/footprints/{footprint_id}{suffix}"),
            body,
            refused_with: &[StatusCode::NOT_FOUND],
        });
    }
    cases.push(Case {
        method: "post",
        template: "/api/v1/pact/partners",
        path: "/api/v1/pact/partners".to_owned(),
        body: Some(
            json!({"organization_id": app.b, "name": "takeover", "base_url": "https://evil.example",
                          "client_id": "x", "client_secret": "y", "notify_published": true}),
        ),
        refused_with: &[StatusCode::FORBIDDEN],
    });
    cases.push(Case {
        method: "get",
        template: "/api/v1/pact/partners",
        path: "/api/v1/pact/partners".to_owned(),
        body: None,
        refused_with: &[StatusCode::FORBIDDEN],
    });
    cases.push(Case {
        method: "post",
        template: "/api/v1/profiles",
        path: "/api/v1/profiles".to_owned(),
        body: Some(json!({"code": "takeover"})),
        refused_with: &[StatusCode::FORBIDDEN],
    });
    // A restricted material-flow record, indicator value and target of A (sources carry the
    // marker the listings look for).
    let flow = app
        .post(
            "/api/v1/material-flows",
            &app.token_a,
            json!({"region": "232114", "fiscal_year": 2014, "kind": "total_treated", "amount": 41840, "unit": "t",
                   "source": "cccccccc survey", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(flow.status, StatusCode::CREATED, "{}", flow.body);
    let value = app
        .post(
            "/api/v1/indicator-values",
            &app.token_a,
            json!({"indicator": "cmu", "scope": "region:232114", "fiscal_year": 2014, "result": {"CMU_pct": 12},
                   "source": "cccccccc computation", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(value.status, StatusCode::CREATED, "{}", value.body);
    let target = app
        .post(
            "/api/v1/indicator-targets",
            &app.token_a,
            json!({"indicator": "cmu", "output": "CMU_pct", "scope": "region:232114", "target_fiscal_year": 2030,
                   "target_value": 20, "unit": "%", "source": "cccccccc plan", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
    for (collection, created, correction) in [
        (
            "material-flows",
            &flow,
            json!({"reason": "takeover", "record": {"region": "232114", "fiscal_year": 2014, "kind": "total_treated",
                   "amount": 1, "unit": "t", "source": "b"}}),
        ),
        (
            "indicator-values",
            &value,
            json!({"reason": "takeover", "record": {"indicator": "cmu", "scope": "region:232114", "fiscal_year": 2014,
                   "result": {"CMU_pct": 99}, "source": "b"}}),
        ),
        (
            "indicator-targets",
            &target,
            json!({"reason": "takeover", "record": {"indicator": "cmu", "output": "CMU_pct", "scope": "region:232114",
                   "target_fiscal_year": 2030, "target_value": 1, "unit": "%", "source": "b"}}),
        ),
    ] {
        let id = created.body["id"].as_str().expect("id");
        let (get_template, correct_template): (&'static str, &'static str) = match collection {
            "material-flows" => ("/api/v1/material-flows/{id}", "/api/v1/material-flows/{id}/corrections"),
            "indicator-values" => (
                "/api/v1/indicator-values/{id}",
                "/api/v1/indicator-values/{id}/corrections",
            ),
            _ => (
                "/api/v1/indicator-targets/{id}",
                "/api/v1/indicator-targets/{id}/corrections",
            ),
        };
        cases.push(Case {
            method: "get",
            template: get_template,
            path: format!("/api/v1/{collection}/{id}"),
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        });
        cases.push(Case {
            method: "post",
            template: correct_template,
            path: format!("/api/v1/{collection}/{id}/corrections"),
            body: Some(correction),
            refused_with: &[StatusCode::NOT_FOUND],
        });
    }
    // A restricted chain-of-custody ledger of A with an input and a claim (the note and the
    // output lot carry the marker).
    let ledger_facility = app.facility_of_a("restricted").await;
    let ledger = app
        .post(
            "/api/v1/ledgers",
            &app.token_a,
            json!({"facility_id": ledger_facility, "material": "cobalt", "model": "mass_balance_credit",
                   "period": "2026-04-01/2027-03-31", "note": "cccccccc ledger"}),
        )
        .await;
    assert_eq!(ledger.status, StatusCode::CREATED, "{}", ledger.body);
    let ledger_id = ledger.body["id"].as_str().expect("id").to_owned();
    let entered = app
        .post(
            &format!("/api/v1/ledgers/{ledger_id}/inputs"),
            &app.token_a,
            json!({"lot": "recovered", "mass": 40, "unit": "kg", "recycled_share_pct": 100, "received_on": "2026-05-01"}),
        )
        .await;
    assert_eq!(entered.status, StatusCode::CREATED, "{}", entered.body);
    let ledger_claim = app
        .post(
            &format!("/api/v1/ledgers/{ledger_id}/claims"),
            &app.token_a,
            json!({"output_lot": "cathode-lot-9", "mass": 200, "unit": "kg", "recycled_share_pct": 10,
                   "claimed_on": "2026-05-02"}),
        )
        .await;
    assert_eq!(ledger_claim.status, StatusCode::CREATED, "{}", ledger_claim.body);
    let ledger_claim_id = ledger_claim.body["id"].as_str().expect("id").to_owned();
    cases.push(Case {
        method: "post",
        template: "/api/v1/ledgers",
        path: "/api/v1/ledgers".to_owned(),
        body: Some(
            json!({"facility_id": ledger_facility, "material": "cobalt", "model": "mass_balance_credit",
                          "period": "2027-04-01/2028-03-31"}),
        ),
        refused_with: &[StatusCode::UNPROCESSABLE_ENTITY],
    });
    for (method, template, suffix, body) in [
        ("get", "/api/v1/ledgers/{id}", String::new(), None),
        (
            "post",
            "/api/v1/ledgers/{id}/inputs",
            "/inputs".to_owned(),
            Some(
                json!({"lot": "takeover", "mass": 1, "unit": "t", "recycled_share_pct": 100, "received_on": "2026-05-01"}),
            ),
        ),
        (
            "post",
            "/api/v1/ledgers/{id}/inputs/import-events",
            "/inputs/import-events".to_owned(),
            Some(json!({})),
        ),
        (
            "post",
            "/api/v1/ledgers/{id}/claims",
            "/claims".to_owned(),
            Some(
                json!({"output_lot": "takeover", "mass": 1, "unit": "kg", "recycled_share_pct": 1, "claimed_on": "2026-05-02"}),
            ),
        ),
        (
            "post",
            "/api/v1/ledgers/{id}/claims/{claim_id}/reversal",
            format!("/claims/{ledger_claim_id}/reversal"),
            Some(json!({"reason": "takeover"})),
        ),
        (
            "get",
            "/api/v1/ledgers/{id}/claims/{claim_id}/trace",
            format!("/claims/{ledger_claim_id}/trace"),
            None,
        ),
        (
            "post",
            "/api/v1/ledgers/{id}/close",
            "/close".to_owned(),
            Some(json!({})),
        ),
        (
            "post",
            "/api/v1/ledgers/{id}/carry-over",
            "/carry-over".to_owned(),
            Some(json!({"from_ledger_id": ledger_id})),
        ),
    ] {
        cases.push(Case {
            method,
            template,
            path: format!("/api/v1/ledgers/{ledger_id}{suffix}"),
            body,
            refused_with: &[StatusCode::NOT_FOUND],
        });
    }
    // Credentials of A's restricted records are not issued to B; A's keys and credentials are
    // A's administrators' (tests/trust.rs shows the same for every kind of record).
    let exported = app
        .get(&format!("/api/v1/credentials/passport/{passport}"), &app.token_a)
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    let credential_id = exported.body["id"].as_str().expect("id").to_owned();
    for path in [
        format!("/api/v1/credentials/passport/{passport}"),
        format!("/api/v1/credentials/footprint/{footprint_id}"),
        format!("/api/v1/credentials/facility/{secret_facility}"),
        format!("/api/v1/credentials/ledger_claim/{ledger_claim_id}?ledger={ledger_id}"),
        format!("/api/v1/credentials/partner_target/{partner_target_id}"),
    ] {
        cases.push(Case {
            method: "get",
            template: "/api/v1/credentials/{kind}/{id}",
            path,
            body: None,
            refused_with: &[StatusCode::NOT_FOUND],
        });
    }
    cases.push(Case {
        method: "post",
        template: "/api/v1/credentials/{id}/revoke",
        path: format!("/api/v1/credentials/{credential_id}/revoke"),
        body: Some(json!({})),
        refused_with: &[StatusCode::NOT_FOUND],
    });
    cases.push(Case {
        method: "get",
        template: "/epcis/capture/{captureID}/credential",
        path: format!("{job_path}/credential"),
        body: None,
        refused_with: &[StatusCode::NOT_FOUND],
    });
    cases.push(Case {
        method: "post",
        template: "/api/v1/organizations/{id}/keys/rotate",
        path: format!("/api/v1/organizations/{a}/keys/rotate"),
        body: Some(json!({})),
        refused_with: &[StatusCode::FORBIDDEN],
    });
    let listings = [
        ("get", "/api/v1/footprints", "/api/v1/footprints".to_owned()),
        ("get", "/api/v1/pact/outbox", "/api/v1/pact/outbox".to_owned()),
        ("get", "/api/v1/passports", "/api/v1/passports".to_owned()),
        (
            "get",
            "/api/v1/passports/export",
            "/api/v1/passports/export?format=jsonl".to_owned(),
        ),
        (
            "get",
            "/api/v1/facilities",
            format!("/api/v1/facilities?organization_id={a}"),
        ),
        ("get", "/api/v1/grants", "/api/v1/grants?direction=received".to_owned()),
        (
            "get",
            "/api/v1/audit",
            format!("/api/v1/audit?owner_organization_id={a}"),
        ),
        ("get", "/api/v1/organizations", "/api/v1/organizations".to_owned()),
        (
            "get",
            "/api/v1/organizations/{id}",
            format!("/api/v1/organizations/{a}"),
        ),
        (
            "get",
            "/epcis/events",
            "/epcis/events?MATCH_anyEPC=urn:epc:id:sgtin:4512345.012345.9".to_owned(),
        ),
        ("get", "/epcis/capture", "/epcis/capture".to_owned()),
        ("get", "/epcis/queries", "/epcis/queries".to_owned()),
        ("get", "/epcis/{resource}", "/epcis/epcs".to_owned()),
        (
            "get",
            "/epcis/{resource}/{value}/events",
            "/epcis/epcs/urn:epc:id:sgtin:4512345.012345.9/events".to_owned(),
        ),
        (
            "get",
            "/api/v1/lineage",
            "/api/v1/lineage?id=urn:epc:id:sgtin:4512345.012345.9&direction=both".to_owned(),
        ),
        (
            "get",
            "/api/v1/material-flows",
            "/api/v1/material-flows?include_superseded=true".to_owned(),
        ),
        (
            "get",
            "/api/v1/indicator-values",
            "/api/v1/indicator-values?include_superseded=true".to_owned(),
        ),
        (
            "get",
            "/api/v1/indicator-targets",
            "/api/v1/indicator-targets?include_superseded=true".to_owned(),
        ),
        (
            "get",
            "/api/v1/indicators/{name}",
            "/api/v1/indicators/municipal-recycling-rate?scope=region:232114&period=2014".to_owned(),
        ),
        (
            "get",
            "/api/v1/indicators/{name}/series",
            "/api/v1/indicators/cmu/series?scope=region:232114&period=2014/2030".to_owned(),
        ),
        ("get", "/api/v1/ledgers", "/api/v1/ledgers".to_owned()),
        (
            "get",
            "/api/v1/partners/memberships",
            "/api/v1/partners/memberships".to_owned(),
        ),
        ("get", "/api/v1/partners/targets", "/api/v1/partners/targets".to_owned()),
        (
            "get",
            "/api/v1/partners/follow-ups",
            "/api/v1/partners/follow-ups".to_owned(),
        ),
        (
            "get",
            "/api/v1/partners/targets/export",
            "/api/v1/partners/targets/export?format=csv".to_owned(),
        ),
        (
            "get",
            "/api/v1/partners/secretariat/overview",
            "/api/v1/partners/secretariat/overview".to_owned(),
        ),
        ("get", "/api/v1/certificates", "/api/v1/certificates".to_owned()),
        (
            "get",
            "/api/v1/certificates",
            format!("/api/v1/certificates?subject_kind=passport&subject_id={passport}"),
        ),
        (
            "get",
            "/api/v1/certificates",
            format!("/api/v1/certificates?certifier={certifier}"),
        ),
        (
            "get",
            "/api/v1/indicators/{name}",
            format!("/api/v1/indicators/mass-balance?scope=facility:{ledger_facility}&period=2026"),
        ),
        (
            "get",
            "/api/v1/indicators/{name}",
            "/api/v1/indicators/battery-recycled-content?scope=product:cathode-lot-9&period=2026".to_owned(),
        ),
    ];

    let documented = documented_routes();
    let mut covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|case| (case.method.to_owned(), case.template.to_owned()))
        .collect();
    covered.extend(
        listings
            .iter()
            .map(|(method, template, _)| ((*method).to_owned(), (*template).to_owned())),
    );
    covered.extend(
        PUBLIC
            .iter()
            .map(|(method, template, _)| ((*method).to_owned(), (*template).to_owned())),
    );
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "routes without an isolation case: {missing:?}");

    for case in &cases {
        let reply = app
            .call(
                &case.method.to_uppercase(),
                &case.path,
                Some(&app.token_b),
                case.body.clone(),
            )
            .await;
        assert!(
            case.refused_with.contains(&reply.status),
            "{} {} gave {} {}",
            case.method,
            case.path,
            reply.status,
            reply.body
        );
        let anonymous = app
            .call(&case.method.to_uppercase(), &case.path, None, case.body.clone())
            .await;
        assert!(
            anonymous.status == StatusCode::UNAUTHORIZED || case.refused_with.contains(&anonymous.status),
            "anonymous {} {} gave {}",
            case.method,
            case.path,
            anonymous.status
        );
    }
    for (_, _, path) in &listings {
        let reply = app.get(path, &app.token_b).await;
        let text = reply.body.to_string();
        assert!(
            !text.contains(&secret_facility)
                && !text.contains(&grant_id)
                && !text.contains("cccccccc")
                && !text.contains("a-secret-query")
                // The EPC is named by the lineage request itself; only the EPC list must not show it.
                && (path != "/epcis/epcs" || !text.contains("04512345123451/21/9"))
                && !text.contains(job_path.trim_start_matches("/epcis/capture/"))
                && !text.contains(&certificate_id),
            "{path} leaked A's records: {text}"
        );
    }

    // The owner sees the marker in the listings of issue 6, so their check above can fail.
    for (_, template, path) in &listings {
        if template.starts_with("/api/v1/material-flows")
            || template.starts_with("/api/v1/ledgers")
            || template.starts_with("/api/v1/indicator-")
            || template.starts_with("/api/v1/indicators/{name}")
        {
            let reply = app.get(path, &app.token_a).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
            assert!(reply.body.to_string().contains("cccccccc"), "{path}: {}", reply.body);
        }
    }

    // Creating a facility always creates it for the caller's own organization.
    let created = app
        .post(
            "/api/v1/facilities",
            &app.token_b,
            json!({"name_ja": "B工場", "name_en": "B plant", "facility_type": "plant"}),
        )
        .await;
    assert_eq!(created.body["organization_id"], app.b.to_string());

    // Nothing of A changed.
    let facility = app
        .get(&format!("/api/v1/facilities/{secret_facility}"), &app.token_a)
        .await;
    assert_eq!(
        (facility.body["name_en"].as_str(), facility.body["visibility"].as_str()),
        (Some("Toyota plant"), Some("restricted"))
    );
    assert_eq!(
        app.get(&format!("/api/v1/organizations/{a}"), &app.token_a).await.body["name_en"],
        "A Co."
    );
    assert_eq!(
        app.get(&format!("/api/v1/grants/{grant_id}"), &app.token_a).await.body["revoked_at"],
        Value::Null
    );
    let users = app.get(&format!("/api/v1/organizations/{a}/users"), &app.token_a).await;
    assert_eq!(users.body["items"], json!([]));
}

fn support_role() -> junkan_model::principal::Role {
    junkan_model::principal::Role::Member
}

#[tokio::test]
async fn auditors_read_everything_and_every_read_is_audited() {
    let app = TestApp::new().await;
    let facility = app.facility_of_a("restricted").await;
    let reply = app
        .send(
            axum::http::Request::get(format!("/api/v1/facilities/{facility}"))
                .header("authorization", format!("Bearer {}", app.token_auditor))
                .header("junkan-purpose", "法令に基づく調査 / statutory inspection")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let request_id = reply.headers["x-request-id"].to_str().expect("ascii").to_owned();
    let listed = app
        .get(
            &format!("/api/v1/facilities?organization_id={}", app.a),
            &app.token_auditor,
        )
        .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.get(&format!("/api/v1/organizations/{}/users", app.a), &app.token_auditor)
            .await
            .status,
        StatusCode::OK
    );
    // Auditors read; they do not write.
    let patch = app
        .call(
            "PATCH",
            &format!("/api/v1/facilities/{facility}"),
            Some(&app.token_auditor),
            Some(json!({"name_en": "x"})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::FORBIDDEN);

    let audit = app
        .get(&format!("/api/v1/audit?action=read&record_id={facility}"), &app.token_a)
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let entries = audit.body["items"].as_array().expect("items");
    assert_eq!(
        entries.len(),
        3,
        "get, list, and the read behind the refused patch: {entries:?}"
    );
    assert_eq!(entries[0]["actor_organization_id"], app.authority.to_string());
    assert_eq!(
        entries[0]["purpose"], "法令に基づく調査 / statutory inspection",
        "{entries:?}"
    );
    assert_eq!(entries[0]["request_id"], request_id.as_str());
    // B's administrator sees nothing of A's audit trail; A's plain member may not read it.
    let b_view = app.get("/api/v1/audit", &app.token_b).await;
    assert!(b_view.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|entry| entry["owner_organization_id"] == app.b.to_string()));
    assert_eq!(
        app.get("/api/v1/audit", &app.token_a_member).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn grants_open_exactly_their_scope() {
    let app = TestApp::new().await;
    let shared = app.facility_of_a("restricted").await;
    let private = app.facility_of_a("restricted").await;
    assert_eq!(
        app.get(&format!("/api/v1/facilities/{shared}"), &app.token_b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let member_grant = app
        .post("/api/v1/grants", &app.token_a_member, json!({"grantee": {"type": "role", "role": "recycler"}, "record_kind": "facility", "level": "full", "expires_at": "2099-01-01T00:00:00Z"}))
        .await;
    assert_eq!(member_grant.status, StatusCode::FORBIDDEN, "members do not grant");
    let bad = app
        .post("/api/v1/grants", &app.token_a, json!({"grantee": {"type": "role", "role": "recycler"}, "record_kind": "user", "level": "full", "expires_at": "2000-01-01T00:00:00Z"}))
        .await;
    assert_eq!(error_paths_sorted(&bad.body), vec!["/expires_at", "/record_kind"]);
    let grant = app
        .post("/api/v1/grants", &app.token_a, json!({
            "grantee": {"type": "role", "role": "recycler"}, "record_kind": "facility", "record_ids": [shared.clone()],
            "level": "legitimate_interest", "purpose": "解体 / dismantling", "expires_at": "2099-01-01T00:00:00Z"
        }))
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    assert_eq!(
        app.get(&format!("/api/v1/facilities/{shared}"), &app.token_b)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/facilities/{private}"), &app.token_b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let received = app.get("/api/v1/grants?direction=received", &app.token_b).await;
    assert_eq!(received.body["items"].as_array().map(Vec::len), Some(1));
    let id = grant.body["id"].as_str().expect("id");
    assert_eq!(
        app.post(&format!("/api/v1/grants/{id}/revoke"), &app.token_a, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/facilities/{shared}"), &app.token_b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

fn error_paths_sorted(body: &Value) -> Vec<String> {
    let mut paths = support::error_paths(body);
    paths.sort();
    paths
}

/// Every (method, path) of the OpenAPI document.
fn documented_routes() -> BTreeSet<(String, String)> {
    let document = serde_json::to_value(junkan_server::openapi::document()).expect("serializes");
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.clone(), path.clone()));
            }
        }
    }
    routes
}
