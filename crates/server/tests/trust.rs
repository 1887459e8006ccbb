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
