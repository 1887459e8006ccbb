//! Trust services over HTTP (issue 9): DID documents and JWK sets match the stored keys, key
//! rotation, issuing as an organization with a revocation status-list entry, credentials of every
//! kind of record, revocation, and `POST /api/v1/verify` on good and bad credentials.

mod support;

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{json, Value};

use junkan_credential::{verify_vc_jwt, CheckName, DidDocument, VerificationContext};
use junkan_model::principal::Actor;
use junkan_server::trust;
use support::TestApp;

const HOST_DID: &str = "did:web:junkan.test";

fn organization_did(organization: impl std::fmt::Display) -> String {
    format!("{HOST_DID}:organizations:{organization}")
}

#[tokio::test]
async fn the_node_did_document_names_the_node_keys_that_sign_tree_heads() {
    let app = TestApp::new().await;
    let reply = app.call("GET", "/.well-known/did.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/did+json");
    let document = DidDocument::parse(&reply.body, HOST_DID).expect("a valid DID document");
    let node_keys = app.store.signing_keys().await.expect("keys");
    assert_eq!(document.verification_methods.len(), node_keys.len());
    // The tree head's key_id is the fragment of a verification method of the node.
    let head = app
        .post("/api/v1/log/tree-heads", &app.token_node_admin, json!({}))
        .await;
    assert_eq!(head.status, StatusCode::CREATED, "{}", head.body);
    let kid = format!("{HOST_DID}#{}", head.body["key_id"].as_str().expect("key id"));
    assert!(
        document.verification_methods.iter().any(|method| method.id == kid),
        "{kid}"
    );
    // A rotation of the node's key (`junkan admin rotate-key --node`, possibly by another
    // process on the same database) takes effect at the next reload, without a restart: the
    // new key signs tree heads and tokens, and the retired one still verifies its tokens.
    let old_key = head.body["key_id"].as_str().expect("key id").to_owned();
    let token_before = app.token_node_admin.clone();
    let rotated = app
        .store
        .rotate_key(&Actor::system(), junkan_store::KeyOwner::Node)
        .await
        .expect("rotated");
    let new_key = rotated
        .iter()
        .find(|key| key.retired_at.is_none())
        .expect("a key in use")
        .kid
        .clone();
    assert_ne!(new_key, old_key);
    app.state.reload_keys().await.expect("reloaded");
    let head = app.post("/api/v1/log/tree-heads", &token_before, json!({})).await;
    assert_eq!(
        head.status,
        StatusCode::CREATED,
        "the old key's token still verifies: {}",
        head.body
    );
    assert_eq!(head.body["key_id"], json!(new_key));
    let fresh = app.state.keys().sign(&serde_json::json!({"probe": true}));
    let header: Value = serde_json::from_slice(
        &junkan_credential::jose::base64url_decode(fresh.split('.').next().expect("header")).expect("base64url"),
    )
    .expect("json");
    assert_eq!(header["kid"], json!(new_key));
    // Credentials the node states are signed with the new key too.
    let profile = app.get("/api/v1/credentials/industry/batteries", &app.token_a).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    let header: Value = serde_json::from_slice(
        &junkan_credential::jose::base64url_decode(
            profile.body["credential"]
                .as_str()
                .expect("jwt")
                .split('.')
                .next()
                .expect("header"),
        )
        .expect("base64url"),
    )
    .expect("json");
    assert_eq!(header["kid"], json!(format!("{HOST_DID}#{new_key}")));
}

#[tokio::test]
async fn organization_keys_are_made_on_first_issue_published_and_rotated() {
    let app = TestApp::new().await;
    let did = organization_did(app.a);
    let empty = app
        .call("GET", &format!("/organizations/{}/did.json", app.a), None, None)
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["verificationMethod"], json!([]));
    let unknown = app
        .call(
            "GET",
            "/organizations/00000000-0000-4000-8000-000000000000/did.json",
            None,
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let no_list = app
        .call("GET", &format!("/credentials/status/{}", app.a), None, None)
        .await;
    assert_eq!(no_list.status, StatusCode::NOT_FOUND);

    let issued = issue_test_credential(&app).await;
    let document = app
        .call("GET", &format!("/organizations/{}/did.json", app.a), None, None)
        .await;
    let document = DidDocument::parse(&document.body, &did).expect("valid");
    assert_eq!(document.verification_methods.len(), 1);
    let jwks = app
        .call("GET", &format!("/organizations/{}/jwks.json", app.a), None, None)
        .await;
    assert_eq!(jwks.body["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(jwks.body["keys"][0]["kid"], json!(document.verification_methods[0].id));

    // It verifies offline from the DID document and the published status list.
    let status = status_lists(&app).await;
    let report = verify_vc_jwt(
        &issued.jwt,
        &VerificationContext::new(&document, app.store.now()).with_status_lists(&status),
    );
    assert!(report.valid, "{report:?}");

    // Rotation: only the organization's administrators (or node administrators).
    let path = format!("/api/v1/organizations/{}/keys/rotate", app.a);
    assert_eq!(
        app.post(&path, &app.token_b, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&path, &app.token_a_member, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let rotated = app.post(&path, &app.token_a, json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_eq!(rotated.body["did"], json!(did));
    let keys = rotated.body["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2);
    assert!(keys[0]["retired_at"].is_null());
    assert!(!keys[1]["retired_at"].is_null());
    assert!(keys.iter().all(|key| key.get("secret").is_none()));
    let document = app
        .call("GET", &format!("/organizations/{}/did.json", app.a), None, None)
        .await;
    assert!(
        document.body["verificationMethod"][1]["revoked"].is_string(),
        "{}",
        document.body
    );
    let document = DidDocument::parse(&document.body, &did).expect("valid");
    // What the retired key signed before its retirement still verifies.
    let report = verify_vc_jwt(
        &issued.jwt,
        &VerificationContext::new(&document, app.store.now()).with_status_lists(&status),
    );
    assert!(report.valid, "{report:?}");
    // The next credential is signed by the new key.
    let next = issue_test_credential(&app).await;
    assert_eq!(next.entry.key_id, keys[0]["kid"].as_str().expect("kid"));
    assert_ne!(next.entry.status_index, issued.entry.status_index);
    let log = app.store.verify_log(&Actor::system()).await.expect("log");
    assert!(log.divergences.is_empty(), "{log:?}");
}

async fn issue_test_credential(app: &TestApp) -> trust::Issued {
    trust::issue(
        &app.state,
        &Actor::system(),
        app.a,
        trust::Issue {
            record_kind: "test".to_owned(),
            record_id: "1".to_owned(),
            record_version: None,
            types: vec!["TestCredential".to_owned()],
            subject: json!({"id": "urn:example:1", "claim": "value"}),
            valid_until: None,
            keep_signed: false,
        },
    )
    .await
    .expect("issued")
}

async fn status_lists(app: &TestApp) -> HashMap<String, String> {
    let mut lists = HashMap::new();
    for organization in [app.a, app.b] {
        let path = format!("/credentials/status/{organization}");
        let reply = app.call("GET", &path, None, None).await;
        if reply.status == StatusCode::OK {
            lists.insert(
                format!("{}{path}", support::ISSUER),
                reply.body.as_str().expect("a compact JWS").to_owned(),
            );
        }
    }
    lists
}

#[tokio::test]
async fn revocation_sets_the_bit_of_the_issuers_status_list() {
    let app = TestApp::new().await;
    let issued = issue_test_credential(&app).await;
    let id = &issued.entry.id;
    let path = format!("/api/v1/credentials/{id}/revoke");
    assert_eq!(
        app.post(&path, &app.token_b, json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&path, &app.token_a_member, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let revoked = app.post(&path, &app.token_a, json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert!(revoked.body["revoked_at"].is_string());
    let document = app
        .call("GET", &format!("/organizations/{}/did.json", app.a), None, None)
        .await;
    let document = DidDocument::parse(&document.body, &organization_did(app.a)).expect("valid");
    let status = status_lists(&app).await;
    let report = verify_vc_jwt(
        &issued.jwt,
        &VerificationContext::new(&document, app.store.now()).with_status_lists(&status),
    );
    assert!(!report.valid);
    assert!(report.failure(CheckName::Status).is_some(), "{report:?}");
    let _: &Value = &revoked.body;
}

/// Records of every kind, owned by A (a certification by a certifier about A), as
/// `(kind, export path, issuer)`.
async fn records_of_every_kind(app: &TestApp) -> Vec<(&'static str, String, junkan_model::ids::OrganizationId)> {
    use junkan_model::organization::CycleRole;
    let a = app.a.to_string();
    let mut records = Vec::new();
    let passport = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "urn:example:trust-pellets:1", "granularity": "batch", "profile": "plastics",
                   "visibility": "restricted", "data": junkan_passport::builtin::example("plastics")}),
        )
        .await;
    assert_eq!(passport.status, StatusCode::CREATED, "{}", passport.body);
    let passport = passport.body["id"].as_str().expect("id").to_owned();
    records.push(("passport", format!("/api/v1/credentials/passport/{passport}"), app.a));
    let footprint = junkan_footprint::fixtures::cell_footprint();
    let published = app
        .post(
            "/api/v1/footprints",
            &app.token_a,
            json!({"footprint": junkan_footprint::pact::to_v3(&footprint).expect("v3"), "visibility": "restricted"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.body);
    records.push((
        "footprint",
        format!("/api/v1/credentials/footprint/{}", footprint.id),
        app.a,
    ));
    let event = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "ObjectEvent", "eventID": "urn:uuid:dddddddd-0000-4000-8000-000000000001",
        "eventTime": "2026-05-01T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
        "epcList": ["urn:epc:id:sgtin:4512345.012345.9"], "action": "OBSERVE"
    });
    let captured = app.post("/epcis/events", &app.token_a, event).await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    records.push((
        "event",
        "/api/v1/credentials/event/urn:uuid:dddddddd-0000-4000-8000-000000000001".to_owned(),
        app.a,
    ));
    for (collection, kind, body) in [
        (
            "material-flows",
            "material_flow",
            json!({"region": "232114", "fiscal_year": 2014, "kind": "total_treated", "amount": 41840, "unit": "t",
                   "source": "survey", "visibility": "restricted"}),
        ),
        (
            "indicator-values",
            "indicator_value",
            json!({"indicator": "cmu", "scope": "region:232114", "fiscal_year": 2014, "result": {"CMU_pct": 12},
                   "source": "computation", "visibility": "restricted"}),
        ),
        (
            "indicator-targets",
            "indicator_target",
            json!({"indicator": "cmu", "output": "CMU_pct", "scope": "region:232114", "target_fiscal_year": 2030,
                   "target_value": 20, "unit": "%", "source": "plan", "visibility": "restricted"}),
        ),
    ] {
        let created = app.post(&format!("/api/v1/{collection}"), &app.token_a, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.body["id"].as_str().expect("id");
        records.push((kind, format!("/api/v1/credentials/{kind}/{id}"), app.a));
    }
    let facility = app.facility_of_a("restricted").await;
    records.push(("facility", format!("/api/v1/credentials/facility/{facility}"), app.a));
    let ledger = app
        .post(
            "/api/v1/ledgers",
            &app.token_a,
            json!({"facility_id": facility, "material": "cobalt", "model": "mass_balance_credit",
                   "period": "2026-04-01/2027-03-31"}),
        )
        .await;
    assert_eq!(ledger.status, StatusCode::CREATED, "{}", ledger.body);
    let ledger = ledger.body["id"].as_str().expect("id").to_owned();
    let input = app
        .post(
            &format!("/api/v1/ledgers/{ledger}/inputs"),
            &app.token_a,
            json!({"lot": "recovered", "mass": 40, "unit": "kg", "recycled_share_pct": 100, "received_on": "2026-05-01"}),
        )
        .await;
    assert_eq!(input.status, StatusCode::CREATED, "{}", input.body);
    let claim = app
        .post(
            &format!("/api/v1/ledgers/{ledger}/claims"),
            &app.token_a,
            json!({"output_lot": "cathode-lot-9", "mass": 200, "unit": "kg", "recycled_share_pct": 10,
                   "claimed_on": "2026-05-02"}),
        )
        .await;
    assert_eq!(claim.status, StatusCode::CREATED, "{}", claim.body);
    let claim = claim.body["id"].as_str().expect("id");
    records.push((
        "ledger_claim",
        format!("/api/v1/credentials/ledger_claim/{claim}?ledger={ledger}"),
        app.a,
    ));
    records.push(("ledger", format!("/api/v1/credentials/ledger/{ledger}"), app.a));
    let jobs = app.get("/epcis/capture", &app.token_a).await;
    let capture = jobs.body[0]["captureID"].as_str().expect("the event's capture job");
    records.push(("capture", format!("/api/v1/credentials/capture/{capture}"), app.a));
    let grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b.to_string()},
                   "record_kind": "facility", "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    let grant = grant.body["id"].as_str().expect("id");
    records.push(("grant", format!("/api/v1/credentials/grant/{grant}"), app.a));
    let offer = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "回収拠点", "title_en": "Collection points", "description_ja": "回収拠点の所在地",
                   "description_en": "Where we collect", "record_kind": "facility", "level": "legitimate_interest"}),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer = offer.body["id"].as_str().expect("id").to_owned();
    records.push((
        "dataset_offer",
        format!("/api/v1/credentials/dataset_offer/{offer}"),
        app.a,
    ));
    // B's request to A, read (and exported) by A, the owner it asks: B stated it.
    let request = app
        .post(
            "/api/v1/access-requests",
            &app.token_b,
            json!({"owner_organization_id": app.a, "record_kind": "facility", "offer_id": offer,
                   "level": "legitimate_interest", "purpose": "collection planning", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let request = request.body["id"].as_str().expect("id");
    records.push((
        "access_request",
        format!("/api/v1/credentials/access_request/{request}"),
        app.b,
    ));
    records.push(("organization", format!("/api/v1/credentials/organization/{a}"), app.a));
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
    let membership = applied.body["id"].as_str().expect("id");
    let approved = app
        .post(
            &format!("/api/v1/partners/memberships/{membership}/review"),
            &app.token_a,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let target_year = time::OffsetDateTime::now_utc().year() + 4;
    let target = app
        .post(
            "/api/v1/partners/targets",
            &app.token_a,
            json!({"categories": ["resource_circulation"], "content": "再生材利用率30%",
                   "quantitative": {"indicator": "再生材利用率", "scope": "全製品", "baseline_year": 2022, "baseline_value": 10,
                                    "target_value": "30", "unit": "%", "target_year": target_year}}),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
    let target = target.body["id"].as_str().expect("id");
    records.push((
        "partner_target",
        format!("/api/v1/credentials/partner_target/{target}"),
        app.a,
    ));
    let certifier = app
        .store
        .create_organization(
            &Actor::system(),
            support::company("認証機関", "1000012010003", &[CycleRole::Certifier]),
        )
        .await
        .expect("certifier")
        .id;
    let certifier_token = app
        .client_token(certifier, &[junkan_model::principal::Role::OrgAdmin])
        .await;
    let certification = app
        .post(
            "/api/v1/certifications",
            &certifier_token,
            json!({"subject_organization_id": a, "scheme": "recycled_content",
                   "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(certification.status, StatusCode::CREATED, "{}", certification.body);
    let certification = certification.body["id"].as_str().expect("id");
    records.push((
        "certification",
        format!("/api/v1/credentials/certification/{certification}"),
        certifier,
    ));
    records.push((
        "partner_membership",
        format!("/api/v1/credentials/partner_membership/{membership}"),
        app.a,
    ));
    let follow_up = app
        .post(
            &format!("/api/v1/partners/targets/{target}/follow-ups"),
            &app.token_a,
            json!({"fiscal_year": target_year - 5, "achievement_band": "20-39", "progress_status": "on_plan",
                   "current_value": 15, "current_year": target_year - 5}),
        )
        .await;
    assert_eq!(follow_up.status, StatusCode::CREATED, "{}", follow_up.body);
    let follow_up = follow_up.body["id"].as_str().expect("id");
    records.push((
        "partner_follow_up",
        format!("/api/v1/credentials/partner_follow_up/{follow_up}"),
        app.a,
    ));
    let query = app
        .post(
            "/epcis/queries",
            &app.token_a,
            json!({"name": "trust-shipments", "query": {"EQ_bizStep": ["shipping"]}}),
        )
        .await;
    assert_eq!(query.status, StatusCode::CREATED, "{}", query.body);
    records.push((
        "named_query",
        "/api/v1/credentials/named_query/trust-shipments".to_owned(),
        app.a,
    ));
    let subscription = app
        .post(
            "/epcis/queries/trust-shipments/subscriptions",
            &app.token_a,
            json!({"dest": "https://client.example.com/hook", "stream": true}),
        )
        .await;
    assert_eq!(subscription.status, StatusCode::CREATED, "{}", subscription.body);
    let subscription = subscription.body["subscriptionID"].as_str().expect("id");
    records.push((
        "subscription",
        format!("/api/v1/credentials/subscription/{subscription}?query=trust-shipments"),
        app.a,
    ));
    // Ouranos: a part of A with a component, and A's trade request for it to B.
    let actor_a = junkan_model::principal::Actor {
        kind: junkan_model::principal::PrincipalKind::User,
        principal_id: "trust".to_owned(),
        organization_id: Some(app.a),
        roles: vec![
            junkan_model::principal::Role::OrgAdmin,
            junkan_model::principal::Role::Member,
        ],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let part = |name: &str| junkan_model::ouranos::PartWrite {
        trace_id: None,
        part: junkan_model::ouranos::Part {
            trace_id: uuid::Uuid::nil(),
            operator_id: app.a,
            plant_id: facility.parse().expect("facility id"),
            parts_name: name.to_owned(),
            support_parts_name: None,
            terminated: false,
            amount_required: None,
            amount_required_unit: Some(junkan_model::ouranos::AmountUnit::Kilogram),
            parts_label_name: None,
            parts_add_info: [None, None, None],
        },
    };
    let mut cell = part("cell");
    cell.part.amount_required = Some(rust_decimal::Decimal::from(2));
    let structure = app
        .store
        .put_parts_structure(
            &actor_a,
            junkan_model::ouranos::PartsStructureWrite {
                parent: part("module"),
                children: vec![cell],
            },
        )
        .await
        .expect("parts structure");
    let cell = structure.children[0].trace_id;
    records.push((
        "ouranos_part",
        format!("/api/v1/credentials/ouranos_part/{cell}"),
        app.a,
    ));
    let trade = app
        .store
        .create_trade_request(
            &actor_a,
            junkan_model::ouranos::NewTradeRequest {
                downstream_operator_id: app.a,
                downstream_trace_id: cell,
                upstream_operator_id: app.b,
                message: Some("CFP please".to_owned()),
                response_due_date: time::macros::date!(2099 - 01 - 01),
            },
        )
        .await
        .expect("trade request");
    records.push((
        "ouranos_trade",
        format!("/api/v1/credentials/ouranos_trade/{}", trade.status.trade_id),
        app.a,
    ));
    // Federation: A's request to a peer, a record A received from it, and A's DSP negotiation
    // and transfer as a consumer.
    let peer = app
        .store
        .create_peer(
            &Actor::system(),
            "https://peer.invalid",
            "did:web:peer.invalid",
            &json!({"id": "did:web:peer.invalid"}),
        )
        .await
        .expect("peer");
    let remote_request = app
        .store
        .create_remote_request(
            &actor_a,
            peer.id,
            "did:web:peer.invalid:organizations:x",
            "remote-1",
            &json!({"record_kind": "passport", "record_ids": ["p"], "purpose": "trust"}),
            &json!({"id": "remote-1", "state": "pending"}),
            "pending",
        )
        .await
        .expect("remote request");
    records.push((
        "remote_request",
        format!("/api/v1/credentials/remote_request/{}", remote_request.id),
        app.a,
    ));
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
                verified_at: app.store.now(),
            },
        )
        .await
        .expect("received record");
    records.push((
        "received_record",
        format!("/api/v1/credentials/received_record/{}", received.id),
        app.a,
    ));
    let negotiation = app
        .store
        .dsp_create_consumer_negotiation(
            &actor_a,
            "http://127.0.0.1:9/dsp",
            "urn:junkan:offer:remote",
            None,
            Some("jk_remote"),
            None,
        )
        .await
        .expect("consumer negotiation");
    records.push((
        "dsp_negotiation",
        format!("/api/v1/credentials/dsp_negotiation/{}", negotiation.id),
        app.a,
    ));
    // Accounts and trust material of A, never with their secrets.
    let user = app
        .post(
            &format!("/api/v1/organizations/{a}/users"),
            &app.token_a,
            json!({"username": "trust-user", "display_name": "信頼", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
    records.push((
        "user",
        format!("/api/v1/credentials/user/{}", user.body["id"].as_str().expect("id")),
        app.a,
    ));
    let (client_id, client_secret) = app.client(app.a, &[junkan_model::principal::Role::Member]).await;
    records.push(("client", format!("/api/v1/credentials/client/{client_id}"), app.a));
    let key = app
        .post(
            &format!("/api/v1/organizations/{a}/api-keys"),
            &app.token_a,
            json!({"name": "k"}),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
    let api_key_secret = key.body["key"].as_str().unwrap_or_default().to_owned();
    records.push((
        "api_key",
        format!(
            "/api/v1/credentials/api_key/{}",
            key.body["api_key"]["id"].as_str().expect("id")
        ),
        app.a,
    ));
    let passport_credential = app.get(&records[0].1, &app.token_a).await;
    assert_eq!(
        passport_credential.status,
        StatusCode::OK,
        "{}",
        passport_credential.body
    );
    records.push((
        "credential",
        format!(
            "/api/v1/credentials/credential/{}",
            passport_credential.body["id"].as_str().expect("id")
        ),
        app.a,
    ));
    let keys = app
        .store
        .trust_keys(junkan_store::KeyOwner::Organization(app.a))
        .await
        .expect("keys");
    records.push((
        "signing_key",
        format!("/api/v1/credentials/signing_key/{}", keys[0].kid),
        app.a,
    ));
    // A conformity certificate by the certifier about A's passport, which A let it read.
    let shared = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": certifier.to_string()},
                   "record_kind": "passport", "level": "legitimate_interest", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let certificate = app
        .post(
            "/api/v1/certificates",
            &certifier_token,
            json!({"scheme": "recycled_content", "subject": {"kind": "passport", "id": passport},
                   "claim": {"type": "recycled_content", "material": "PP", "recycled_share_pct": "40",
                             "pre_consumer_pct": "0", "post_consumer_pct": "40"},
                   "valid_from": "2026-04-01T00:00:00Z", "valid_until": "2099-04-01T00:00:00Z", "reference_number": "T-1"}),
        )
        .await;
    assert_eq!(certificate.status, StatusCode::CREATED, "{}", certificate.body);
    records.push((
        "certificate",
        format!(
            "/api/v1/credentials/certificate/{}",
            certificate.body["id"].as_str().expect("id")
        ),
        certifier,
    ));
    SECRETS.with(|secrets| {
        secrets.borrow_mut().extend([client_secret, api_key_secret]);
    });
    records
}

thread_local! {
    /// Secrets made by [`records_of_every_kind`]: no exported credential may contain them.
    static SECRETS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The node's own configuration, stated by the node: `(kind, export path)`.
async fn node_records(app: &TestApp) -> Vec<(&'static str, String)> {
    let peers = app.store.list_peers().await.expect("peers");
    let peer = peers.first().expect("the peer of records_of_every_kind");
    // A PACT partner is node configuration (node administrators register it for an
    // organization; it holds the client secret the node uses at the partner).
    let partner = app
        .post(
            "/api/v1/pact/partners",
            &app.token_node_admin,
            json!({"organization_id": app.a, "name": "Partner", "base_url": "https://pact.partner.example",
                   "client_id": "x", "client_secret": "never-exported", "notify_published": false}),
        )
        .await;
    assert_eq!(partner.status, StatusCode::CREATED, "{}", partner.body);
    let partner = partner.body["id"].as_str().expect("id");
    vec![
        ("pact_partner", format!("/api/v1/credentials/pact_partner/{partner}")),
        ("peer", format!("/api/v1/credentials/peer/{}", peer.id)),
        ("profile", "/api/v1/credentials/profile/plastics".to_owned()),
        ("industry", "/api/v1/credentials/industry/batteries".to_owned()),
        (
            "certificate_scheme",
            "/api/v1/credentials/certificate_scheme/recycled_content".to_owned(),
        ),
        (
            "partner_secretariat",
            format!("/api/v1/credentials/partner_secretariat/{}", app.a),
        ),
    ]
}

async fn verify(app: &TestApp, token: Option<&str>, credential: &str) -> Value {
    let reply = app
        .call("POST", "/api/v1/verify", token, Some(json!({"credential": credential})))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

#[tokio::test]
async fn every_kind_of_record_exports_a_credential_that_verifies() {
    let app = TestApp::new().await;
    let records = records_of_every_kind(&app).await;
    let mut kinds = Vec::new();
    let secrets: Vec<String> = SECRETS.with(|secrets| secrets.borrow().clone());
    for (kind, path, issuer) in &records {
        let reply = app.get(path, &app.token_a).await;
        assert_eq!(reply.status, StatusCode::OK, "{kind}: {}", reply.body);
        for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
            assert!(
                !reply.body.to_string().contains(secret.as_str()),
                "{kind} leaks a secret"
            );
        }
        assert!(!reply.body.to_string().contains("password"), "{kind}");
        let payload = &reply.body["payload"];
        assert_eq!(payload["issuer"], json!(organization_did(issuer)), "{kind}");
        assert_eq!(payload["credentialSubject"]["recordKind"], json!(kind));
        assert!(
            payload["credentialSubject"]["log"]["leafIndex"].is_u64(),
            "{kind}: {payload}"
        );
        assert_eq!(payload["credentialStatus"]["type"], "BitstringStatusListEntry");
        let report = verify(
            &app,
            Some(&app.token_a),
            reply.body["credential"].as_str().expect("jwt"),
        )
        .await;
        assert_eq!(report["verified"], json!(true), "{kind}: {report}");
        assert_eq!(check(&report, "record")["outcome"], "passed", "{kind}");
        // Offline: the issuer's published DID document and status list are enough.
        let did = organization_did(issuer);
        let document = app
            .call("GET", &format!("/organizations/{issuer}/did.json"), None, None)
            .await;
        let document = DidDocument::parse(&document.body, &did).expect("valid");
        let mut lists = HashMap::new();
        let list_path = format!("/credentials/status/{issuer}");
        let list = app.call("GET", &list_path, None, None).await;
        lists.insert(
            format!("{}{list_path}", support::ISSUER),
            list.body.as_str().expect("jws").to_owned(),
        );
        let offline = verify_vc_jwt(
            reply.body["credential"].as_str().expect("jwt"),
            &VerificationContext::new(&document, app.store.now()).with_status_lists(&lists),
        );
        assert!(offline.valid, "{kind}: {offline:?}");
        kinds.push(*kind);
    }
    // The node's configuration: issued by the node's DID, with no status entry (nothing of an
    // organization's list may speak for the node); offline, the node's DID document suffices.
    let node_document = app.call("GET", "/.well-known/did.json", None, None).await;
    let node_did = node_document.body["id"].as_str().expect("the node's DID").to_owned();
    let node_document = DidDocument::parse(&node_document.body, &node_did).expect("valid");
    let node_records = node_records(&app).await;
    for (kind, path) in &node_records {
        let kind = *kind;
        let reply = app.get(path, &app.token_node_admin).await;
        assert_eq!(reply.status, StatusCode::OK, "{kind}: {}", reply.body);
        let payload = &reply.body["payload"];
        assert_eq!(payload["issuer"], json!(node_did), "{kind}");
        assert_eq!(payload["credentialSubject"]["recordKind"], json!(kind));
        assert!(payload.get("credentialStatus").is_none(), "{kind}: {payload}");
        assert!(reply.body["status_list_index"].is_null(), "{kind}");
        let credential = reply.body["credential"].as_str().expect("jwt");
        let report = verify(&app, Some(&app.token_node_admin), credential).await;
        assert_eq!(report["verified"], json!(true), "{kind}: {report}");
        assert_eq!(check(&report, "record")["outcome"], "passed", "{kind}");
        let offline = verify_vc_jwt(credential, &VerificationContext::new(&node_document, app.store.now()));
        assert!(offline.valid, "{kind}: {offline:?}");
        kinds.push(kind);
    }
    // A subscription's credential omits what deliveries change; a PACT partner's, its secret.
    let (_, pact_path) = node_records
        .iter()
        .find(|(kind, _)| *kind == "pact_partner")
        .expect("partner");
    let pact = app.get(pact_path, &app.token_node_admin).await;
    assert!(!pact.body["credential"].as_str().expect("jwt").is_empty());
    assert!(
        !pact.body["payload"].to_string().contains("never-exported"),
        "{}",
        pact.body
    );
    assert_eq!(app.get(pact_path, &app.token_a).await.status, StatusCode::FORBIDDEN);
    // The DSP transfer's credential is shown in tests/dsp.rs, where a real transfer is made.
    kinds.push("dsp_transfer");
    kinds.sort_unstable();
    let mut expected = junkan_server::handlers::credentials::CREDENTIAL_KINDS.to_vec();
    expected.sort_unstable();
    assert_eq!(kinds, expected);
    // B may read none of A's restricted records: no credential (404, as a read), and B's
    // verification of A's credential does not compare what B may not read.
    let (_, passport_path, _) = &records[0];
    assert_eq!(app.get(passport_path, &app.token_b).await.status, StatusCode::NOT_FOUND);
    let exported = app.get(passport_path, &app.token_a).await;
    let report = verify(
        &app,
        Some(&app.token_b),
        exported.body["credential"].as_str().expect("jwt"),
    )
    .await;
    assert_eq!(report["verified"], json!(false), "{report}");
    assert_eq!(check(&report, "signature")["outcome"], "passed");
    assert_eq!(check(&report, "record")["outcome"], "skipped");
    // Unknown kinds and ids.
    assert_eq!(
        app.get("/api/v1/credentials/lease/1", &app.token_a).await.status,
        StatusCode::NOT_FOUND
    );
    let bad = app.get(&format!("{passport_path}?format=xml"), &app.token_a).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let log = app.store.verify_log(&Actor::system()).await.expect("log");
    assert!(log.divergences.is_empty(), "{log:?}");
}

/// Signs `credential` with a stored key of `organization` (as a forger holding the key would).
async fn sign_with(
    app: &TestApp,
    organization: junkan_model::ids::OrganizationId,
    key_index: usize,
    credential: &Value,
    issued_at: time::OffsetDateTime,
) -> String {
    let keys = app
        .store
        .trust_keys(junkan_store::KeyOwner::Organization(organization))
        .await
        .expect("keys");
    let key = trust::issuer_key(&organization_did(organization), &keys[key_index]).expect("key");
    junkan_credential::issue_vc_jwt(credential, &key, issued_at).expect("signed")
}

/// A `vc+jwt` signed by hand with A's current key, whatever its payload says.
async fn forge(app: &TestApp, organization: junkan_model::ids::OrganizationId, payload: &Value) -> String {
    use base64::Engine as _;
    use ed25519_dalek::Signer as _;
    let keys = app
        .store
        .trust_keys(junkan_store::KeyOwner::Organization(organization))
        .await
        .expect("keys");
    let seed: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(&keys[0].secret)
        .expect("base64")
        .try_into()
        .expect("32 bytes");
    let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc",
                        "kid": format!("{}#{}", organization_did(organization), keys[0].kid)});
    let input = format!(
        "{}.{}",
        junkan_credential::jose::base64url_encode(header.to_string().as_bytes()),
        junkan_credential::jose::base64url_encode(payload.to_string().as_bytes())
    );
    let signature = ed25519_dalek::SigningKey::from_bytes(&seed).sign(input.as_bytes());
    format!(
        "{input}.{}",
        junkan_credential::jose::base64url_encode(&signature.to_bytes())
    )
}

#[tokio::test]
async fn verify_reports_every_bad_credential() {
    let clock = junkan_store::ManualClock::new(time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid"));
    let app = TestApp::with_clock(clock.clone()).await;
    let passport = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "urn:example:trust-pellets:2", "granularity": "batch", "profile": "plastics",
                   "visibility": "public", "data": junkan_passport::builtin::example("plastics")}),
        )
        .await;
    assert_eq!(passport.status, StatusCode::CREATED, "{}", passport.body);
    let passport_id = passport.body["id"].as_str().expect("id").to_owned();
    let exported = app
        .get(&format!("/api/v1/credentials/passport/{passport_id}"), &app.token_a)
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    let good = exported.body["credential"].as_str().expect("jwt").to_owned();
    let payload = exported.body["payload"].clone();

    // Good, for anyone (a public passport: the anonymous public compares its public view).
    let report = verify(&app, Some(&app.token_a), &good).await;
    assert_eq!(report["verified"], json!(true), "{report}");
    let public = app
        .get(
            &format!("/api/v1/credentials/passport/{passport_id}?view=public"),
            &app.token_a,
        )
        .await;
    assert_eq!(public.body["payload"]["credentialSubject"]["accessLevel"], "public");
    let report = verify(&app, None, public.body["credential"].as_str().expect("jwt")).await;
    assert_eq!(report["verified"], json!(true), "{report}");

    // Not a credential at all: 400.
    for junk in ["hello", "a.b.c"] {
        let reply = app
            .call("POST", "/api/v1/verify", None, Some(json!({"credential": junk})))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{junk}: {}", reply.body);
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    let missing = app.call("POST", "/api/v1/verify", None, Some(json!({}))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);

    // A changed byte in the payload.
    let parts: Vec<&str> = good.split('.').collect();
    let claims = junkan_credential::jose::base64url_decode(parts[1]).expect("payload");
    let text = String::from_utf8(claims).expect("utf-8");
    assert!(text.contains("RePP-BK-H15"));
    let claims = text.replacen("RePP-BK-H15", "RePP-BK-H16", 1).into_bytes();
    let changed = format!(
        "{}.{}.{}",
        parts[0],
        junkan_credential::jose::base64url_encode(&claims),
        parts[2]
    );
    let report = verify(&app, Some(&app.token_a), &changed).await;
    assert_eq!(report["verified"], json!(false));
    assert!(
        [
            check(&report, "signature")["outcome"].clone(),
            check(&report, "format")["outcome"].clone()
        ]
        .contains(&json!("failed")),
        "{report}"
    );

    // A wrong issuer: signed with A's key, claiming to be B (signed by hand: the issuing code
    // refuses to make it).
    let mut forged = payload.clone();
    forged["issuer"] = json!(organization_did(app.b));
    let forged = forge(&app, app.a, &forged).await;
    let report = verify(&app, Some(&app.token_a), &forged).await;
    assert_eq!(report["verified"], json!(false));
    assert_eq!(check(&report, "issuer")["outcome"], "failed", "{report}");

    // Not yet valid.
    let mut early = payload.clone();
    early.as_object_mut().expect("object").remove("iat");
    early["validFrom"] = json!("2099-01-01T00:00:00Z");
    let early = sign_with(&app, app.a, 0, &early, app.store.now()).await;
    let report = verify(&app, Some(&app.token_a), &early).await;
    assert_eq!(check(&report, "validity_period")["outcome"], "failed", "{report}");

    // Expired: issued valid for an hour, verified two hours later.
    let expiring = trust::issue(
        &app.state,
        &Actor::system(),
        app.a,
        trust::Issue {
            record_kind: "test".to_owned(),
            record_id: "expiring".to_owned(),
            record_version: None,
            types: vec!["TestCredential".to_owned()],
            subject: json!({"id": "urn:example:expiring"}),
            valid_until: Some(app.store.now() + time::Duration::hours(1)),
            keep_signed: false,
        },
    )
    .await
    .expect("issued");
    assert_eq!(verify(&app, None, &expiring.jwt).await["verified"], json!(true));

    // A superseded passport version still matches its version; the newest says what changed.
    let mut data = junkan_passport::builtin::example("plastics").expect("example");
    data["grade"] = json!("RePP-BK-H16");
    let updated = app
        .call(
            "PATCH",
            &format!("/api/v1/passports/{passport_id}"),
            Some(&app.token_a),
            Some(json!({"data": data, "note": "regraded"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], json!(2));
    let report = verify(&app, Some(&app.token_a), &good).await;
    assert_eq!(report["verified"], json!(true), "version 1 still matches: {report}");
    let newest = app
        .get(&format!("/api/v1/credentials/passport/{passport_id}"), &app.token_a)
        .await;
    assert_eq!(newest.body["payload"]["credentialSubject"]["recordVersion"], json!(2));
    assert_eq!(
        newest.body["payload"]["credentialSubject"]["content"]["data"]["grade"],
        json!("RePP-BK-H16")
    );
    // A record changed since: a facility renamed.
    let facility = app.facility_of_a("public").await;
    let facility_credential = app
        .get(&format!("/api/v1/credentials/facility/{facility}"), &app.token_a)
        .await;
    let facility_credential = facility_credential.body["credential"].as_str().expect("jwt").to_owned();
    let patched = app
        .call(
            "PATCH",
            &format!("/api/v1/facilities/{facility}"),
            Some(&app.token_a),
            Some(json!({"name_en": "renamed plant"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let report = verify(&app, Some(&app.token_a), &facility_credential).await;
    assert_eq!(report["verified"], json!(false));
    assert_eq!(check(&report, "record")["outcome"], "failed", "{report}");
    assert_eq!(check(&report, "record")["code"], "record_changed");
    assert_eq!(check(&report, "signature")["outcome"], "passed");

    // Revoked.
    let revoked = app
        .post(
            &format!(
                "/api/v1/credentials/{}/revoke",
                exported.body["id"].as_str().expect("id")
            ),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let report = verify(&app, Some(&app.token_a), &good).await;
    assert_eq!(report["verified"], json!(false));
    assert_eq!(check(&report, "status")["outcome"], "failed", "{report}");

    // A rotated-out key used after its retirement.
    clock.advance(time::Duration::minutes(1));
    let rotated = app
        .post(
            &format!("/api/v1/organizations/{}/keys/rotate", app.a),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    // Signed before the rotation: still valid.
    assert_eq!(
        verify(
            &app,
            Some(&app.token_a),
            public.body["credential"].as_str().expect("jwt")
        )
        .await["verified"],
        json!(true)
    );
    clock.advance(time::Duration::minutes(5));
    let mut late = payload.clone();
    late.as_object_mut().expect("object").remove("iat");
    late["validFrom"] = json!(junkan_credential::vc::format_time(app.store.now()));
    let late = sign_with(&app, app.a, 1, &late, app.store.now()).await;
    let report = verify(&app, Some(&app.token_a), &late).await;
    assert_eq!(report["verified"], json!(false));
    assert_eq!(check(&report, "key_validity")["outcome"], "failed", "{report}");

    // Expired, two hours on.
    clock.advance(time::Duration::hours(2));
    let report = verify(&app, None, &expiring.jwt).await;
    assert_eq!(check(&report, "validity_period")["outcome"], "failed", "{report}");
}

#[tokio::test]
async fn sd_jwt_exports_disclose_chosen_fields() {
    let app = TestApp::new().await;
    let passport = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "urn:example:trust-pellets:3", "granularity": "batch", "profile": "plastics",
                   "visibility": "public", "data": junkan_passport::builtin::example("plastics")}),
        )
        .await;
    let passport_id = passport.body["id"].as_str().expect("id").to_owned();
    let exported = app
        .get(
            &format!("/api/v1/credentials/passport/{passport_id}?format=sd-jwt"),
            &app.token_a,
        )
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    assert_eq!(exported.body["format"], "dc+sd-jwt");
    let sd_jwt = exported.body["credential"].as_str().expect("sd-jwt");
    // Reveal only the identifier of the content.
    let presented = junkan_credential::present(sd_jwt, &["/content/identifier"]).expect("presented");
    let report = verify(&app, Some(&app.token_a), &presented).await;
    assert_eq!(report["verified"], json!(true), "{report}");
    let disclosed = &report["credential"]["content"];
    assert!(disclosed.get("identifier").is_some(), "{disclosed}");
    assert!(disclosed.get("data").is_none(), "{disclosed}");
    assert_eq!(check(&report, "status")["outcome"], "passed", "{report}");
    // The issuer revokes it: every presentation of it now fails the status check.
    let credential_id = exported.body["id"].as_str().expect("id");
    let revoked = app
        .post(
            &format!("/api/v1/credentials/{credential_id}/revoke"),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let report = verify(&app, Some(&app.token_a), &presented).await;
    assert_eq!(report["verified"], json!(false), "{report}");
    assert_eq!(check(&report, "status")["code"], "revoked", "{report}");
    // A pointer naming nothing is refused.
    let bad = app
        .get(
            &format!("/api/v1/credentials/passport/{passport_id}?format=sd-jwt&disclose=/content/nothing"),
            &app.token_a,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
}

#[tokio::test]
async fn captures_are_signed_over_the_merkle_root_of_their_events() {
    let app = TestApp::new().await;
    let job = app
        .post(
            "/epcis/capture",
            &app.token_a,
            json!({
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
                "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
                "epcisBody": {"eventList": [
                    {"type": "ObjectEvent", "eventID": "urn:uuid:eeeeeeee-0000-4000-8000-000000000001",
                     "eventTime": "2026-05-01T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                     "epcList": ["urn:epc:id:sgtin:4512345.012345.21"], "action": "OBSERVE"},
                    {"type": "ObjectEvent", "eventID": "urn:uuid:eeeeeeee-0000-4000-8000-000000000002",
                     "eventTime": "2026-05-01T10:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                     "epcList": ["urn:epc:id:sgtin:4512345.012345.22"], "action": "OBSERVE"}]}
            }),
        )
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.body);
    let location = job.headers["location"].to_str().expect("ascii").to_owned();
    let signed = app.get(&format!("{location}/credential"), &app.token_a).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let credential = signed.body["credential"].as_str().expect("jwt");
    let report = verify(&app, Some(&app.token_a), credential).await;
    assert_eq!(report["verified"], json!(true), "{report}");
    let subject = &report["credential"]["credentialSubject"];
    assert_eq!(subject["eventCount"], json!(2));
    assert_eq!(report["issuer"], json!(organization_did(app.a)));
    // Each event's path in its capture leads to the signed root.
    for event in [
        "urn:uuid:eeeeeeee-0000-4000-8000-000000000001",
        "urn:uuid:eeeeeeee-0000-4000-8000-000000000002",
    ] {
        let inclusion = app
            .get(&format!("/api/v1/log/inclusion?kind=event&id={event}"), &app.token_a)
            .await;
        assert_eq!(inclusion.status, StatusCode::OK, "{}", inclusion.body);
        assert_eq!(
            inclusion.body["event"]["root_hash"], subject["eventsRoot"],
            "{}",
            inclusion.body
        );
    }
    // B neither reads the job nor its signature.
    assert_eq!(
        app.get(&format!("{location}/credential"), &app.token_b).await.status,
        StatusCode::NOT_FOUND
    );
    // A node that does not sign captures stores them unsigned.
    let mut settings = junkan_server::Settings::new(support::ISSUER);
    settings.sign_captures = false;
    let unsigned_state = junkan_server::AppState::new(app.store.clone(), settings)
        .await
        .expect("state");
    let router = junkan_server::router(unsigned_state);
    let response = tower::ServiceExt::oneshot(
        router,
        axum::http::Request::post("/epcis/events")
            .header("authorization", format!("Bearer {}", app.token_a))
            .header("content-type", "application/ld+json")
            .body(axum::body::Body::from(
                json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                       "type": "ObjectEvent", "eventTime": "2026-05-02T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                       "epcList": ["urn:epc:id:sgtin:4512345.012345.23"], "action": "OBSERVE"})
                .to_string(),
            ))
            .expect("request"),
    )
    .await
    .expect("infallible");
    assert_eq!(response.status(), StatusCode::CREATED);
    let jobs = app.get("/epcis/capture", &app.token_a).await;
    let newest = jobs.body.as_array().and_then(|jobs| jobs.last()).expect("jobs")["captureID"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.get(&format!("/epcis/capture/{newest}/credential"), &app.token_a)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
