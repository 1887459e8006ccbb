//! Conformity certificates (適合性証明) through the HTTP API: only certification bodies issue,
//! never about their own records nor about records they may not read (404), every problem with
//! its pointer; readers and audit; revocation; schemes as data; and the bad input of issue 9
//! that concerns certificates: a revoked certificate, an expired one, one signed by a
//! non-certifier's key, a changed byte.

mod support;

use axum::http::{header, StatusCode};
use serde_json::{json, Value};
use time::Duration;

use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, Role};
use junkan_store::ManualClock;

use tower::ServiceExt;

use support::{error_paths, Reply, TestApp};

fn problem(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE].to_str().expect("ascii"),
        "application/problem+json"
    );
}

/// A certification body on the test node, with a member's token.
async fn certifier(app: &TestApp) -> (junkan_model::ids::OrganizationId, String) {
    let mut organization = support::company("日本循環認証", "0000000000000", &[CycleRole::Certifier]);
    organization.corporate_number = None;
    let id = app
        .store
        .create_organization(&Actor::system(), organization)
        .await
        .expect("certifier")
        .id;
    (id, app.client_token(id, &[Role::Member]).await)
}

async fn passport(app: &TestApp, token: &str, identifier: &str, visibility: &str) -> String {
    let reply = app
        .post(
            "/api/v1/passports",
            token,
            json!({"identifier": identifier, "granularity": "batch", "profile": "plastics", "visibility": visibility,
                   "data": junkan_passport::builtin::example("plastics")}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn recycled(passport: &str) -> Value {
    json!({
        "scheme": "recycled_content",
        "subject": {"kind": "passport", "id": passport},
        "claim": {"type": "recycled_content", "material": "PP", "recycled_share_pct": "62.5",
                  "pre_consumer_pct": "12.5", "post_consumer_pct": "50", "method": "mass_balance_credit"},
        "valid_from": "2026-01-01T00:00:00+09:00",
        "valid_until": "2099-01-01T00:00:00+09:00",
        "reference_number": "JCC-RC-0001",
        "evidence": "ledger examined",
    })
}

#[tokio::test]
async fn only_certifiers_issue_about_records_they_may_read_and_every_problem_is_named() {
    let app = TestApp::new().await;
    let (_, certifier_token) = certifier(&app).await;
    let public = passport(&app, &app.token_a, "urn:example:pellets:public", "public").await;
    let restricted = passport(&app, &app.token_a, "urn:example:pellets:restricted", "restricted").await;

    // A manufacturer is no certification body.
    problem(
        &app.post("/api/v1/certificates", &app.token_b, recycled(&public)).await,
        StatusCode::FORBIDDEN,
    );
    // A record the certifier may not read is not found, as an unknown one.
    let hidden = app
        .post("/api/v1/certificates", &certifier_token, recycled(&restricted))
        .await;
    problem(&hidden, StatusCode::NOT_FOUND);
    let unknown = app
        .post(
            "/api/v1/certificates",
            &certifier_token,
            recycled("0190b4d2-0000-7000-8000-000000000001"),
        )
        .await;
    problem(&unknown, StatusCode::NOT_FOUND);
    assert_eq!(hidden.body["title"], unknown.body["title"]);

    // Every problem at once, each with its pointer.
    let mut broken = recycled(&public);
    broken["subject"]["kind"] = json!("facility");
    broken["claim"]["pre_consumer_pct"] = json!("30");
    broken["valid_until"] = json!("2025-01-01T00:00:00Z");
    broken["reference_number"] = json!(" ");
    let reply = app.post("/api/v1/certificates", &certifier_token, broken).await;
    problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_paths(&reply.body),
        [
            "/subject/kind",
            "/claim/post_consumer_pct",
            "/valid_until",
            "/reference_number"
        ]
    );
    let mut wrong_claim = recycled(&public);
    wrong_claim["claim"] = json!({"type": "cfp", "value": "12.5", "unit": "kgCO2e", "declared_unit": "kg",
                                  "standard": "ISO 14067:2018"});
    let reply = app.post("/api/v1/certificates", &certifier_token, wrong_claim).await;
    problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&reply.body), ["/claim/type"]);
    let mut unknown_scheme = recycled(&public);
    unknown_scheme["scheme"] = json!("no_such_scheme");
    let reply = app.post("/api/v1/certificates", &certifier_token, unknown_scheme).await;
    problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&reply.body)[0], "/scheme");
    // Unknown fields and numbers where exact decimals belong are refused by the schema.
    let mut extra = recycled(&public);
    extra["claim"]["recycled_share_pct"] = json!(62.5);
    extra["surprise"] = json!(true);
    let reply = app.post("/api/v1/certificates", &certifier_token, extra).await;
    assert!(
        reply.status == StatusCode::UNPROCESSABLE_ENTITY || reply.status == StatusCode::BAD_REQUEST,
        "{}",
        reply.body
    );
    // Nothing was stored by any refused request.
    let listed = app.get("/api/v1/certificates", &certifier_token).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["items"], json!([]));
}

#[tokio::test]
async fn a_certifier_cannot_certify_its_own_record() {
    let app = TestApp::new().await;
    let (certifier_id, certifier_token) = certifier(&app).await;
    let admin = app.client_token(certifier_id, &[Role::OrgAdmin, Role::Member]).await;
    let own = passport(&app, &admin, "urn:example:pellets:own", "public").await;
    let reply = app.post("/api/v1/certificates", &certifier_token, recycled(&own)).await;
    problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&reply.body), ["/subject/id"]);
}

#[tokio::test]
async fn schemes_are_data_that_node_administrators_extend() {
    let app = TestApp::new().await;
    let reply = app.call("GET", "/api/v1/certificate-schemes", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let codes: Vec<&str> = reply
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(|scheme| scheme["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        ["cfp_verification", "chain_of_custody", "eco_design", "recycled_content"]
    );
    assert_eq!(reply.body[3]["label_ja"], "再生材含有率認証");
    let scheme = json!({"code": "battery_recycled_content", "label_ja": "電池再生材含有率認証",
                        "label_en": "Battery recycled-content certification", "claim_type": "recycled_content",
                        "subject_kinds": ["passport"]});
    problem(
        &app.post("/api/v1/certificate-schemes", &app.token_a, scheme.clone())
            .await,
        StatusCode::FORBIDDEN,
    );
    let created = app
        .post("/api/v1/certificate-schemes", &app.token_node_admin, scheme.clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    problem(
        &app.post("/api/v1/certificate-schemes", &app.token_node_admin, scheme)
            .await,
        StatusCode::CONFLICT,
    );
    let bad = app
        .post(
            "/api/v1/certificate-schemes",
            &app.token_node_admin,
            json!({"code": "Bad Code", "label_ja": " ", "label_en": "x", "claim_type": "cfp", "subject_kinds": []}),
        )
        .await;
    problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&bad.body), ["/code", "/label_ja", "/subject_kinds"]);
}

#[tokio::test]
async fn list_filters_go_together() {
    let app = TestApp::new().await;
    let reply = app
        .get("/api/v1/certificates?subject_kind=passport", &app.token_a)
        .await;
    problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&reply.body), ["?subject_id"]);
    let reply = app
        .get("/api/v1/certificates?subject_kind=ship&subject_id=1", &app.token_a)
        .await;
    problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The JSON payload of a compact JWS.
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("a compact JWS");
    serde_json::from_slice(&junkan_credential::jose::base64url_decode(part).expect("base64url")).expect("json")
}

/// A body as text (the status list credential is `application/vc+jwt`).
async fn text_of(app: &TestApp, path: &str) -> String {
    let response = app
        .router
        .clone()
        .oneshot(
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn certificates_verify_until_revoked_or_expired_and_forgeries_do_not() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid"));
    let app = TestApp::with_clock(clock.clone()).await;
    let (certifier_id, certifier_token) = certifier(&app).await;
    let public = passport(&app, &app.token_a, "urn:example:pellets:verified", "public").await;
    let mut request = recycled(&public);
    let now = time::OffsetDateTime::now_utc();
    let format = time::format_description::well_known::Rfc3339;
    request["valid_from"] = json!((now - Duration::days(1)).format(&format).expect("time"));
    request["valid_until"] = json!((now + Duration::days(30)).format(&format).expect("time"));
    let issued = app.post("/api/v1/certificates", &certifier_token, request).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let id = issued.body["id"].as_str().expect("id").to_owned();
    let jwt = issued.body["credential"].as_str().expect("credential").to_owned();

    // The credential: a VC 2.0 conformity credential of the certifier, with a status entry.
    let credential = payload(&jwt);
    assert_eq!(
        credential["type"],
        json!(["VerifiableCredential", "DigitalConformityCredential"])
    );
    assert_eq!(
        credential["issuer"],
        format!("did:web:junkan.test:organizations:{certifier_id}")
    );
    assert_eq!(credential["credentialSubject"]["claim"]["recycled_share_pct"], "62.5");
    assert_eq!(credential["credentialSubject"]["assessedRecord"]["id"], public);
    assert_eq!(credential["credentialStatus"]["type"], "BitstringStatusListEntry");
    assert_eq!(
        text_of(&app, &format!("/api/v1/certificates/{id}/credential")).await,
        jwt
    );

    // Valid: through the certificate route and through the trust services' verify.
    let verification = app
        .call("GET", &format!("/api/v1/certificates/{id}/verification"), None, None)
        .await;
    assert_eq!(verification.status, StatusCode::OK, "{}", verification.body);
    assert_eq!(verification.body["status"], "valid", "{}", verification.body);
    let verified = app
        .post("/api/v1/verify", &app.token_b, json!({"credential": jwt}))
        .await;
    assert_eq!(verified.body["verified"], true, "{}", verified.body);

    // A changed byte: the signature no longer verifies.
    let mut changed = jwt.clone().into_bytes();
    let position = jwt.find('.').expect("dot") + 10;
    changed[position] = if changed[position] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).expect("ascii");
    let reader = Actor::anonymous();
    let outcome = junkan_server::certificates::verify_certificate_credential(&app.state, &reader, &changed).await;
    assert!(
        matches!(outcome.status.as_str(), "invalid" | "not_verified"),
        "{outcome:?}"
    );
    let outcome = junkan_server::certificates::verify_certificate_credential(&app.state, &reader, &jwt).await;
    assert_eq!(outcome.status, "valid", "{outcome:?}");

    // A "certificate" with the same content signed by a non-certifier's key (A's): the signature
    // is A's own and verifies, but A is no certification body and this is not the certificate.
    let forger = Actor {
        kind: junkan_model::principal::PrincipalKind::Client,
        principal_id: "forger".to_owned(),
        organization_id: Some(app.a),
        roles: vec![Role::OrgAdmin, Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let forged = junkan_server::trust::issue(
        &app.state,
        &forger,
        app.a,
        junkan_server::trust::Issue {
            record_kind: "certificate".to_owned(),
            record_id: id.clone(),
            record_version: None,
            types: vec!["DigitalConformityCredential".to_owned()],
            subject: credential["credentialSubject"].clone(),
            valid_until: Some(now + Duration::days(30)),
            keep_signed: false,
        },
    )
    .await
    .expect("A signs what it likes with its own key");
    let outcome = junkan_server::certificates::verify_certificate_credential(&app.state, &reader, &forged.jwt).await;
    assert_eq!(outcome.status, "invalid", "{outcome:?}");
    assert!(
        outcome
            .reason
            .as_deref()
            .is_some_and(|reason| reason.starts_with("issuer:")),
        "{outcome:?}"
    );

    // Revoked: by the certification body only, with a reason; its status-list bit is set.
    problem(
        &app.post(
            &format!("/api/v1/certificates/{id}/revoke"),
            &app.token_a,
            json!({"reason": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    problem(
        &app.post(
            &format!("/api/v1/certificates/{id}/revoke"),
            &certifier_token,
            json!({"reason": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let revoked = app
        .post(
            &format!("/api/v1/certificates/{id}/revoke"),
            &certifier_token,
            json!({"reason": "nonconformity at the surveillance audit"}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(
        revoked.body["revocation_reason"],
        "nonconformity at the surveillance audit"
    );
    problem(
        &app.post(
            &format!("/api/v1/certificates/{id}/revoke"),
            &certifier_token,
            json!({"reason": "again"}),
        )
        .await,
        StatusCode::CONFLICT,
    );
    let verification = app
        .call("GET", &format!("/api/v1/certificates/{id}/verification"), None, None)
        .await;
    assert_eq!(verification.body["status"], "revoked", "{}", verification.body);
    let list_url = credential["credentialStatus"]["statusListCredential"]
        .as_str()
        .expect("url");
    let list_jwt = text_of(&app, list_url.trim_start_matches(support::ISSUER)).await;
    let encoded = payload(&list_jwt)["credentialSubject"]["encodedList"]
        .as_str()
        .expect("encodedList")
        .to_owned();
    let bits = junkan_credential::StatusList::decode(&encoded).expect("decodes");
    let index: u64 = credential["credentialStatus"]["statusListIndex"]
        .as_str()
        .expect("index")
        .parse()
        .expect("number");
    assert_eq!(bits.get(index), Some(true), "the certificate's bit is set");

    // Expired: a second certificate, verified after its validity period.
    let mut second = recycled(&public);
    second["valid_from"] = json!((now - Duration::days(1)).format(&format).expect("time"));
    second["valid_until"] = json!((now + Duration::days(10)).format(&format).expect("time"));
    second["reference_number"] = json!("JCC-RC-0002");
    let issued = app.post("/api/v1/certificates", &certifier_token, second).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let second_id: junkan_model::ids::CertificateId = issued.body["id"].as_str().expect("id").parse().expect("uuid");
    clock.advance(Duration::days(11));
    let certificate = app
        .store
        .get_certificate(&Actor::anonymous(), second_id)
        .await
        .expect("public");
    let outcome = junkan_server::certificates::verify_certificate(&app.state, &certificate).await;
    assert_eq!(outcome.status, "expired", "{outcome:?}");
}
