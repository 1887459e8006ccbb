//! The Dataspace Protocol 2025-1 over HTTP (issue 10, item 4), provider side: version
//! discovery, catalog request, contract negotiation decided through the owner's inbox, the
//! agreement and finalization sent to the consumer's callback (a real listener on a loopback
//! port), the transfer's data address and pull token, and the bad input: no credentials, messages
//! that break the schema, unknown process ids, messages in the wrong state, another
//! organization's process, and a revoked agreement after which the token stops working.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};

use junkan_server::dsp::schemas::validate;

use support::{TestApp, ISSUER};

/// Messages the provider sent to the consumer's callback: (path, body).
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A consumer's callback endpoint on a loopback port that records every message it receives.
async fn callback_listener() -> (String, Received) {
    let received: Received = Arc::default();
    let recorded = received.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
        let recorded = recorded.clone();
        async move {
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            recorded.lock().expect("lock").push((uri.path().to_owned(), value));
            StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/dsp"), received)
}

/// Waits for a message on `path` at the callback.
async fn message_at(received: &Received, path: &str) -> Value {
    for _ in 0..200 {
        if let Some((_, body)) = received.lock().expect("lock").iter().find(|(at, _)| at == path) {
            return body.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no message arrived at {path}: {:?}", received.lock().expect("lock"));
}

fn request_message(consumer_pid: &str, offer_id: &str, callback: &str) -> Value {
    json!({
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "ContractRequestMessage",
        "consumerPid": consumer_pid,
        "offer": {"@type": "Offer", "@id": format!("urn:junkan:offer:{offer_id}"), "permission": [{"action": "use"}]},
        "callbackAddress": callback,
    })
}

fn verification(provider_pid: &str, consumer_pid: &str) -> Value {
    json!({
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "ContractAgreementVerificationMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
    })
}

async fn poll_state(app: &TestApp, pid: &str, token: &str, state: &str) -> Value {
    for _ in 0..200 {
        let reply = app.get(&format!("/dsp/negotiations/{pid}"), token).await;
        if reply.body["state"] == state {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the negotiation {pid} never reached {state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negotiation_agreed_in_the_inbox_leads_to_a_transfer_that_stops_with_the_grant() {
    let app = TestApp::new().await;
    let (callback, received) = callback_listener().await;

    // Discovery.
    let versions = app.call("GET", "/.well-known/dspace-version", None, None).await;
    assert_eq!(versions.status, StatusCode::OK);
    assert_eq!(validate("VersionResponse", &versions.body), Ok(()));
    assert_eq!(versions.body["protocolVersions"][0]["path"], "/dsp");

    let plant = app.facility_of_a("restricted").await;
    let offer = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "工場", "title_en": "Plants", "description_ja": "工場の記録", "description_en": "Plant records",
                   "record_kind": "facility", "level": "full", "purpose": "planning", "max_duration_days": 90, "public": false}),
        )
        .await;
    assert_eq!(offer.status, StatusCode::CREATED, "{}", offer.body);
    let offer_id = offer.body["id"].as_str().expect("id").to_owned();

    // The catalog: members-only offers for signed-in callers, valid as a DSP Catalog.
    let catalog_request =
        json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage"});
    let anonymous = app
        .call("POST", "/dsp/catalog/request", None, Some(catalog_request.clone()))
        .await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(validate("Catalog", &anonymous.body), Ok(()));
    assert!(anonymous.body.get("dataset").is_none());
    assert_eq!(anonymous.body["service"][1]["endpointURL"], format!("{ISSUER}/dsp"));
    let catalog = app.post("/dsp/catalog/request", &app.token_b, catalog_request).await;
    assert_eq!(validate("Catalog", &catalog.body), Ok(()));
    assert_eq!(
        catalog.body["dataset"][0]["hasPolicy"][0]["@id"],
        format!("urn:junkan:offer:{offer_id}")
    );
    let broken = app
        .post(
            "/dsp/catalog/request",
            &app.token_b,
            json!({"@type": "CatalogRequestMessage"}),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.body["@type"], "CatalogError");
    assert_eq!(broken.body["reason"][0], "/@context: is required");

    // Contract request: credentials required; the schema's location in every refusal.
    let consumer_pid = "urn:uuid:7c3fba7e-0000-4000-8000-000000000001";
    let unauthenticated = app
        .call(
            "POST",
            "/dsp/negotiations/request",
            None,
            Some(request_message(consumer_pid, &offer_id, &callback)),
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthenticated.body["@type"], "ContractNegotiationError");
    assert_eq!(validate("ContractNegotiationError", &unauthenticated.body), Ok(()));
    let mut missing = request_message(consumer_pid, &offer_id, &callback);
    missing.as_object_mut().expect("object").remove("consumerPid");
    let invalid = app.post("/dsp/negotiations/request", &app.token_b, missing).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.body["reason"], json!(["/consumerPid: is required"]));
    let unknown_offer = app
        .post(
            "/dsp/negotiations/request",
            &app.token_b,
            request_message(consumer_pid, "0190a0a0-0000-7000-8000-000000000000", &callback),
        )
        .await;
    assert_eq!(unknown_offer.status, StatusCode::NOT_FOUND, "{}", unknown_offer.body);
    let requested = app
        .post(
            "/dsp/negotiations/request",
            &app.token_b,
            request_message(consumer_pid, &offer_id, &callback),
        )
        .await;
    assert_eq!(requested.status, StatusCode::CREATED, "{}", requested.body);
    assert_eq!(validate("ContractNegotiation", &requested.body), Ok(()));
    assert_eq!(requested.body["state"], "REQUESTED");
    assert_eq!(requested.body["consumerPid"], consumer_pid);
    let provider_pid = requested.body["providerPid"].as_str().expect("pid").to_owned();

    // Another organization does not see it; unknown process ids are 404.
    let stranger = app
        .get(&format!("/dsp/negotiations/{provider_pid}"), &app.token_auditor)
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let unknown = app
        .post(
            "/dsp/negotiations/urn:uuid:0190a0a0-0000-7000-8000-000000000000/agreement/verification",
            &app.token_b,
            verification("urn:uuid:0190a0a0-0000-7000-8000-000000000000", consumer_pid),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Verification before the agreement: the state refuses it (400).
    let early = app
        .post(
            &format!("/dsp/negotiations/{provider_pid}/agreement/verification"),
            &app.token_b,
            verification(&provider_pid, consumer_pid),
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST, "{}", early.body);
    assert_eq!(early.body["code"], "INVALID_STATE_TRANSITION");
    assert_eq!(early.body["providerPid"], provider_pid);
    // A message whose ids do not name the path's process.
    let mismatched = app
        .post(
            &format!("/dsp/negotiations/{provider_pid}/agreement/verification"),
            &app.token_b,
            verification("urn:uuid:other", consumer_pid),
        )
        .await;
    assert_eq!(mismatched.status, StatusCode::BAD_REQUEST);

    // The owner agrees in its inbox: the agreement goes to the consumer's callback.
    let inbox = app
        .get("/api/v1/access-requests?direction=incoming&state=pending", &app.token_a)
        .await;
    let request_id = inbox.body["items"][0]["id"]
        .as_str()
        .expect("a pending request")
        .to_owned();
    let approved = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/approve"),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let agreement = message_at(&received, &format!("/dsp/negotiations/{consumer_pid}/agreement")).await;
    assert_eq!(validate("ContractAgreementMessage", &agreement), Ok(()));
    assert_eq!(agreement["providerPid"], provider_pid);
    let agreement_id = agreement["agreement"]["@id"].as_str().expect("agreement id").to_owned();
    assert_eq!(agreement["agreement"]["target"], format!("urn:uuid:{offer_id}"));
    poll_state(&app, &provider_pid, &app.token_b, "AGREED").await;

    // No transfer before finalization.
    let transfer_request = |agreement_id: &str, consumer_pid: &str| {
        json!({
            "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
            "@type": "TransferRequestMessage",
            "consumerPid": consumer_pid,
            "agreementId": agreement_id,
            "format": "HttpData-PULL",
            "callbackAddress": callback,
        })
    };
    let too_early = app
        .post(
            "/dsp/transfers/request",
            &app.token_b,
            transfer_request(&agreement_id, "urn:uuid:t0"),
        )
        .await;
    assert_eq!(too_early.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_early.body["@type"], "TransferError");

    // The consumer verifies: finalized, the grant made, the consumer told.
    let verified = app
        .post(
            &format!("/dsp/negotiations/{provider_pid}/agreement/verification"),
            &app.token_b,
            verification(&provider_pid, consumer_pid),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    let finalized = message_at(&received, &format!("/dsp/negotiations/{consumer_pid}/events")).await;
    assert_eq!(validate("ContractNegotiationEventMessage", &finalized), Ok(()));
    assert_eq!(finalized["eventType"], "FINALIZED");
    poll_state(&app, &provider_pid, &app.token_b, "FINALIZED").await;
    let grant_id = agreement_id.trim_start_matches("urn:uuid:").to_owned();
    let policy = app
        .get(&format!("/api/v1/grants/{grant_id}/policy"), &app.token_a)
        .await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.body);
    // Terminating a finalized negotiation: the state refuses it.
    let late_termination = app
        .post(
            &format!("/dsp/negotiations/{provider_pid}/termination"),
            &app.token_b,
            json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "ContractNegotiationTerminationMessage",
                   "providerPid": provider_pid, "consumerPid": consumer_pid, "code": "x", "reason": ["changed plans"]}),
        )
        .await;
    assert_eq!(late_termination.status, StatusCode::BAD_REQUEST);

    // Transfer: the data address and its token arrive at the callback.
    let transfer_pid = "urn:uuid:7c3fba7e-0000-4000-8000-0000000000t1";
    let unauthenticated = app
        .call(
            "POST",
            "/dsp/transfers/request",
            None,
            Some(transfer_request(&agreement_id, transfer_pid)),
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let other_org = app
        .post(
            "/dsp/transfers/request",
            &app.token_auditor,
            transfer_request(&agreement_id, transfer_pid),
        )
        .await;
    assert_eq!(other_org.status, StatusCode::BAD_REQUEST);
    let transfer = app
        .post(
            "/dsp/transfers/request",
            &app.token_b,
            transfer_request(&agreement_id, transfer_pid),
        )
        .await;
    assert_eq!(transfer.status, StatusCode::CREATED, "{}", transfer.body);
    assert_eq!(validate("TransferProcess", &transfer.body), Ok(()));
    let start = message_at(&received, &format!("/dsp/transfers/{transfer_pid}/start")).await;
    assert_eq!(validate("TransferStartMessage", &start), Ok(()));
    let endpoint = start["dataAddress"]["endpoint"].as_str().expect("endpoint").to_owned();
    let token = start["dataAddress"]["endpointProperties"][0]["value"]
        .as_str()
        .expect("token")
        .to_owned();
    let path = endpoint.strip_prefix(ISSUER).expect("on this node").to_owned();
    let data = app.get(&path, &token).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    assert_eq!(data.body["items"][0]["id"], plant);
    // The provider states the transfer in a credential of its own (issue 9), which verifies.
    let transfers = app.get("/api/v1/dsp/transfers", &app.token_a).await;
    assert_eq!(transfers.status, StatusCode::OK, "{}", transfers.body);
    let transfer_id = transfers.body["items"][0]["id"]
        .as_str()
        .expect("transfer id")
        .to_owned();
    let exported = app
        .get(&format!("/api/v1/credentials/dsp_transfer/{transfer_id}"), &app.token_a)
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    assert_eq!(
        exported.body["payload"]["credentialSubject"]["content"]["id"],
        json!(transfer_id)
    );
    let report = app
        .post(
            "/api/v1/verify",
            &app.token_a,
            json!({"credential": exported.body["credential"]}),
        )
        .await;
    assert_eq!(report.body["verified"], json!(true), "{}", report.body);
    // Another organization that is no party to it gets no credential of it.
    let third_party = app
        .client_token(app.authority, &[junkan_model::principal::Role::OrgAdmin])
        .await;
    let third = app
        .get(&format!("/api/v1/credentials/dsp_transfer/{transfer_id}"), &third_party)
        .await;
    assert_eq!(third.status, StatusCode::NOT_FOUND, "{}", third.body);
    // The owner's audit names the agreement as the grant of the read.
    let audit = app
        .get(
            &format!("/api/v1/audit?record_id={plant}&grant_id={grant_id}"),
            &app.token_a,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(!audit.body["items"].as_array().expect("items").is_empty());
    let no_token = app.call("GET", &path, None, None).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.body["@type"], "TransferError");
    let wrong_token = app.get(&path, "jkt_wrong").await;
    assert_eq!(wrong_token.status, StatusCode::UNAUTHORIZED);

    // Revoking the agreement's grant stops the token at once.
    let revoked = app
        .post(&format!("/api/v1/grants/{grant_id}/revoke"), &app.token_a, json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let after_revocation = app.get(&path, &token).await;
    assert_eq!(after_revocation.status, StatusCode::UNAUTHORIZED);
    let new_transfer = app
        .post(
            "/dsp/transfers/request",
            &app.token_b,
            transfer_request(&agreement_id, "urn:uuid:t2"),
        )
        .await;
    assert_eq!(new_transfer.status, StatusCode::BAD_REQUEST);

    // Completion, then a suspension in the wrong state.
    let transfer_provider_pid = transfer.body["providerPid"].as_str().expect("pid").to_owned();
    let completion = json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "TransferCompletionMessage",
                            "providerPid": transfer_provider_pid, "consumerPid": transfer_pid});
    let completed = app
        .post(
            &format!("/dsp/transfers/{transfer_provider_pid}/completion"),
            &app.token_b,
            completion,
        )
        .await;
    assert_eq!(completed.status, StatusCode::OK, "{}", completed.body);
    let suspension = json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "TransferSuspensionMessage",
                            "providerPid": transfer_provider_pid, "consumerPid": transfer_pid, "code": "1", "reason": ["pause"]});
    let suspended = app
        .post(
            &format!("/dsp/transfers/{transfer_provider_pid}/suspension"),
            &app.token_b,
            suspension,
        )
        .await;
    assert_eq!(suspended.status, StatusCode::BAD_REQUEST);
    assert_eq!(suspended.body["code"], "INVALID_STATE_TRANSITION");
    let process = app
        .get(&format!("/dsp/transfers/{transfer_provider_pid}"), &app.token_b)
        .await;
    assert_eq!(process.body["state"], "COMPLETED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_offer_agrees_by_itself_and_a_refusal_terminates() {
    let app = TestApp::new().await;
    let (callback, received) = callback_listener().await;
    let offer = |public: bool| {
        json!({"title_ja": "工場", "title_en": "Plants", "description_ja": "工場の記録", "description_en": "Plant records",
               "record_kind": "facility", "level": "full", "public": public})
    };
    let public = app.post("/api/v1/dataset-offers", &app.token_a, offer(true)).await;
    let public_id = public.body["id"].as_str().expect("id").to_owned();
    let requested = app
        .post(
            "/dsp/negotiations/request",
            &app.token_b,
            request_message("urn:uuid:c-public", &public_id, &callback),
        )
        .await;
    assert_eq!(requested.status, StatusCode::CREATED, "{}", requested.body);
    let agreement = message_at(&received, "/dsp/negotiations/urn:uuid:c-public/agreement").await;
    assert_eq!(validate("ContractAgreementMessage", &agreement), Ok(()));

    let members_only = app.post("/api/v1/dataset-offers", &app.token_a, offer(false)).await;
    let members_only_id = members_only.body["id"].as_str().expect("id").to_owned();
    let requested = app
        .post(
            "/dsp/negotiations/request",
            &app.token_b,
            request_message("urn:uuid:c-refused", &members_only_id, &callback),
        )
        .await;
    let provider_pid = requested.body["providerPid"].as_str().expect("pid").to_owned();
    let inbox = app
        .get("/api/v1/access-requests?direction=incoming&state=pending", &app.token_a)
        .await;
    let request_id = inbox.body["items"][0]["id"].as_str().expect("pending").to_owned();
    let refused = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/refuse"),
            &app.token_a,
            json!({"reason": "not for now"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    let termination = message_at(&received, "/dsp/negotiations/urn:uuid:c-refused/termination").await;
    assert_eq!(validate("ContractNegotiationTerminationMessage", &termination), Ok(()));
    assert_eq!(termination["reason"], json!(["not for now"]));
    poll_state(&app, &provider_pid, &app.token_b, "TERMINATED").await;
}
