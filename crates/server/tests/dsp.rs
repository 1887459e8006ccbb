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

/// Negotiates an offer of A's records of `kind` as B (agreed in A's inbox, verified by B),
/// starts an HttpData-PULL transfer and returns the data route's path, its token and the grant.
async fn agreed_transfer(app: &TestApp, kind: &str, callback: &str, received: &Received) -> (String, String, String) {
    let offer = json!({"title_ja": "記録", "title_en": "Records", "description_ja": "記録", "description_en": "Records",
                       "record_kind": kind, "level": "full", "purpose": "planning", "max_duration_days": 90, "public": false});
    agreed_transfer_of(app, kind, offer, callback, received).await
}

/// [`agreed_transfer`] of the offer `offer`.
async fn agreed_transfer_of(
    app: &TestApp,
    kind: &str,
    offer: Value,
    callback: &str,
    received: &Received,
) -> (String, String, String) {
    agreed_transfer_deciding(app, kind, offer, callback, received, ("approve", json!({}))).await
}

/// [`agreed_transfer_of`] with the owner's decision in its inbox: `("approve", {})` or
/// `("narrow", narrowing)`.
async fn agreed_transfer_deciding(
    app: &TestApp,
    kind: &str,
    offer: Value,
    callback: &str,
    received: &Received,
    (decision, body): (&str, Value),
) -> (String, String, String) {
    let offer = app.post("/api/v1/dataset-offers", &app.token_a, offer).await;
    assert_eq!(offer.status, StatusCode::CREATED, "{kind}: {}", offer.body);
    let offer_id = offer.body["id"].as_str().expect("id").to_owned();
    let consumer_pid = format!("urn:uuid:{kind}-negotiation");
    let requested = app
        .post(
            "/dsp/negotiations/request",
            &app.token_b,
            request_message(&consumer_pid, &offer_id, callback),
        )
        .await;
    assert_eq!(requested.status, StatusCode::CREATED, "{kind}: {}", requested.body);
    let provider_pid = requested.body["providerPid"].as_str().expect("pid").to_owned();
    let inbox = app
        .get("/api/v1/access-requests?direction=incoming&state=pending", &app.token_a)
        .await;
    let request_id = inbox.body["items"][0]["id"].as_str().expect("pending").to_owned();
    let approved = app
        .post(
            &format!("/api/v1/access-requests/{request_id}/{decision}"),
            &app.token_a,
            body,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{kind}: {}", approved.body);
    let agreement = message_at(received, &format!("/dsp/negotiations/{consumer_pid}/agreement")).await;
    let agreement_id = agreement["agreement"]["@id"].as_str().expect("agreement").to_owned();
    poll_state(app, &provider_pid, &app.token_b, "AGREED").await;
    let verified = app
        .post(
            &format!("/dsp/negotiations/{provider_pid}/agreement/verification"),
            &app.token_b,
            verification(&provider_pid, &consumer_pid),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{kind}: {}", verified.body);
    poll_state(app, &provider_pid, &app.token_b, "FINALIZED").await;
    let transfer_pid = format!("urn:uuid:{kind}-transfer");
    let transfer = app
        .post(
            "/dsp/transfers/request",
            &app.token_b,
            json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "TransferRequestMessage",
                   "consumerPid": transfer_pid, "agreementId": agreement_id, "format": "HttpData-PULL",
                   "callbackAddress": callback}),
        )
        .await;
    assert_eq!(transfer.status, StatusCode::CREATED, "{kind}: {}", transfer.body);
    let start = message_at(received, &format!("/dsp/transfers/{transfer_pid}/start")).await;
    let endpoint = start["dataAddress"]["endpoint"].as_str().expect("endpoint");
    let token = start["dataAddress"]["endpointProperties"][0]["value"]
        .as_str()
        .expect("token")
        .to_owned();
    let path = endpoint.strip_prefix(ISSUER).expect("on this node").to_owned();
    (path, token, agreement_id.trim_start_matches("urn:uuid:").to_owned())
}

/// The data route serves every kind a grant may cover, not only facilities and passports: for
/// each, the transfer's data holds A's restricted record, the read is audited under the
/// agreement's grant, and the revoked grant stops the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_route_serves_every_grantable_kind() {
    let app = TestApp::new().await;
    let (callback, received) = callback_listener().await;
    let event_id = "urn:uuid:7e7e7e7e-0000-4000-8000-00000000d5e1";
    let captured = app
        .post(
            "/epcis/events",
            &app.token_a,
            json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "ObjectEvent", "eventID": event_id, "eventTime": "2026-05-01T09:00:00+09:00",
                   "eventTimeZoneOffset": "+09:00", "epcList": ["urn:epc:id:sgtin:4912345.000001.DSP1"],
                   "action": "OBSERVE", "bizStep": "shipping"}),
        )
        .await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    let mut footprint = junkan_footprint::fixtures::cell_footprint();
    footprint.id = junkan_model::ids::FootprintId::derived("dsp-data");
    footprint.pcf.declared_unit = junkan_footprint::DeclaredUnit::Kilogram;
    let published = app
        .post(
            "/api/v1/footprints",
            &app.token_a,
            json!({"footprint": junkan_footprint::pact::to_v3(&footprint).expect("v3"), "visibility": "restricted"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.body);
    let flow = app
        .post(
            "/api/v1/material-flows",
            &app.token_a,
            json!({"region": "232114", "fiscal_year": 2014, "kind": "total_treated", "amount": 41840, "unit": "t",
                   "source": "dsp flow survey", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(flow.status, StatusCode::CREATED, "{}", flow.body);
    let value = app
        .post(
            "/api/v1/indicator-values",
            &app.token_a,
            json!({"indicator": "cmu", "scope": "region:232114", "fiscal_year": 2014, "result": {"CMU_pct": 12},
                   "source": "dsp computation", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(value.status, StatusCode::CREATED, "{}", value.body);
    let target = app
        .post(
            "/api/v1/indicator-targets",
            &app.token_a,
            json!({"indicator": "cmu", "output": "CMU_pct", "scope": "region:232114", "target_fiscal_year": 2030,
                   "target_value": 20, "unit": "%", "source": "dsp plan", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
    let facility = app.facility_of_a("restricted").await;
    let ledger = app
        .post(
            "/api/v1/ledgers",
            &app.token_a,
            json!({"facility_id": facility, "material": "cobalt", "model": "mass_balance_credit",
                   "period": "2026-04-01/2027-03-31", "note": "dsp ledger"}),
        )
        .await;
    assert_eq!(ledger.status, StatusCode::CREATED, "{}", ledger.body);

    for (kind, marker) in [
        ("event", event_id.to_owned()),
        ("footprint", footprint.id.to_string()),
        ("material_flow", "dsp flow survey".to_owned()),
        ("indicator_value", "dsp computation".to_owned()),
        ("indicator_target", "dsp plan".to_owned()),
        ("ledger", "dsp ledger".to_owned()),
    ] {
        let (path, token, grant_id) = agreed_transfer(&app, kind, &callback, &received).await;
        let data = app.get(&path, &token).await;
        assert_eq!(data.status, StatusCode::OK, "{kind}: {}", data.body);
        assert_eq!(data.body["recordKind"], kind);
        assert_eq!(
            data.body["items"].as_array().map(Vec::len),
            Some(1),
            "{kind}: {}",
            data.body
        );
        assert!(
            data.body["items"].to_string().contains(&marker),
            "{kind}: {}",
            data.body
        );
        let audit = app
            .get(&format!("/api/v1/audit?grant_id={grant_id}&action=read"), &app.token_a)
            .await;
        assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
        assert!(
            !audit.body["items"].as_array().expect("items").is_empty(),
            "{kind}: the read is audited under the agreement's grant"
        );
        // Listing what the grant covers is audited too: one `list` entry per pull, naming the
        // grant and the consumer.
        let listed = app
            .get(&format!("/api/v1/audit?grant_id={grant_id}&action=list"), &app.token_a)
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let entries = listed.body["items"].as_array().expect("items");
        assert_eq!(entries.len(), 1, "{kind}: {}", listed.body);
        assert_eq!(entries[0]["record_kind"], "grant", "{}", listed.body);
        assert_eq!(entries[0]["record_id"], grant_id.as_str(), "{}", listed.body);
        assert_eq!(
            entries[0]["actor_organization_id"],
            app.b.to_string().as_str(),
            "{}",
            listed.body
        );
        let revoked = app
            .post(&format!("/api/v1/grants/{grant_id}/revoke"), &app.token_a, json!({}))
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
        let after = app.get(&path, &token).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{kind}: {}", after.body);
    }
}

/// What the fake peer node received: (path, headers, body).
type PeerLog = Arc<Mutex<Vec<(String, Vec<(String, String)>, Value)>>>;

/// A peer junkan node on a loopback port, as far as the protocol needs it: the DID documents of
/// two of its organizations (the provider P and another, Q), a catalog in which P publishes one
/// offer, a contract and transfer request endpoint, and a recorder of every message it gets.
async fn peer_node(
    provider: &ed25519_dalek::SigningKey,
    other: &ed25519_dalek::SigningKey,
) -> (String, String, PeerLog) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let did = junkan_server::federation::expected_peer_did(&url);
    let document = |id: &str, key: &ed25519_dalek::SigningKey| {
        let organization = format!("{did}:organizations:{id}");
        junkan_credential::DidDocument::new(
            &organization,
            vec![junkan_credential::VerificationMethod {
                id: format!("{organization}#k1"),
                controller: organization.clone(),
                public_key: key.verifying_key(),
                valid_from: None,
                retired_at: None,
            }],
        )
        .to_json()
    };
    let documents = Arc::new(vec![
        ("/organizations/p/did.json".to_owned(), document("p", provider)),
        ("/organizations/q/did.json".to_owned(), document("q", other)),
    ]);
    let log: PeerLog = Arc::default();
    let recorded = log.clone();
    let app = axum::Router::new().fallback(
        move |method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (recorded, documents) = (recorded.clone(), documents.clone());
            async move {
                let path = uri.path().to_owned();
                if method == axum::http::Method::GET {
                    return match documents.iter().find(|(at, _)| *at == path) {
                        Some((_, document)) => (StatusCode::OK, axum::Json(document.clone())),
                        None => (StatusCode::NOT_FOUND, axum::Json(Value::Null)),
                    };
                }
                let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let headers = headers
                    .iter()
                    .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
                    .collect();
                recorded.lock().expect("lock").push((path.clone(), headers, value.clone()));
                let context = json!(["https://w3id.org/dspace/2025/1/context.jsonld"]);
                match path.as_str() {
                    "/dsp/catalog/request" => (
                        StatusCode::OK,
                        axum::Json(json!({
                            "@context": context, "@id": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57", "@type": "Catalog",
                            "participantId": "urn:junkan:peer",
                            "dataset": [{
                                "@id": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88", "@type": "Dataset",
                                "dct:publisher": "urn:junkan:organization:p",
                                "hasPolicy": [{"@id": "urn:junkan:offer:peer-offer", "@type": "Offer", "permission": [{"action": "use"}]}],
                                "distribution": [{"@type": "Distribution", "format": "HttpData-PULL", "accessService": "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77"}]
                            }]
                        })),
                    ),
                    "/dsp/negotiations/request" => (
                        StatusCode::CREATED,
                        axum::Json(json!({"@context": context, "@type": "ContractNegotiation",
                            "providerPid": "urn:uuid:0190a0a0-0000-7000-8000-00000000feed",
                            "consumerPid": value["consumerPid"], "state": "REQUESTED"})),
                    ),
                    "/dsp/transfers/request" => (
                        StatusCode::CREATED,
                        axum::Json(json!({"@context": context, "@type": "TransferProcess",
                            "providerPid": "urn:uuid:0190a0a0-0000-7000-8000-00000000beef",
                            "consumerPid": value["consumerPid"], "state": "REQUESTED"})),
                    ),
                    _ => (StatusCode::OK, axum::Json(Value::Null)),
                }
            }
        },
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, did, log)
}

/// Waits for the peer to receive a message on `path`; its headers and body.
async fn peer_message(log: &PeerLog, path: &str) -> (Vec<(String, String)>, Value) {
    for _ in 0..200 {
        if let Some((_, headers, body)) = log.lock().expect("lock").iter().find(|(at, _, _)| at == path) {
            return (headers.clone(), body.clone());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the peer never received {path}: {:?}", log.lock().expect("lock"));
}

/// Checks that a message the node sent to the peer at `target` is signed per RFC 9421 by A's
/// current key (from A's DID document on the node) over the method, the target and the body's
/// digest, and carries no bearer credential.
async fn assert_signed_by_a(app: &TestApp, headers: &[(String, String)], target: &str, body: &Value) {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    assert!(
        header("authorization").is_none(),
        "a signed message carries no bearer credential"
    );
    let (input, signature) = (
        header("signature-input").expect("Signature-Input"),
        header("signature").expect("Signature"),
    );
    let received = junkan_credential::http_signature::parse_signatures(&input, &signature).expect("parses");
    let keyid = received[0].params.text("keyid").expect("keyid").to_owned();
    let a_did = format!("did:web:junkan.test:organizations:{}", app.a);
    assert!(keyid.starts_with(&format!("{a_did}#")), "{keyid}");
    let document = app
        .call("GET", &format!("/organizations/{}/did.json", app.a), None, None)
        .await;
    let document = junkan_credential::DidDocument::parse(&document.body, &a_did).expect("A's DID document");
    let key = document
        .verification_methods
        .iter()
        .find(|method| method.id == keyid)
        .expect("A's key");
    let message = junkan_credential::http_signature::RequestMessage {
        method: "POST",
        target_uri: target,
        headers,
    };
    assert_eq!(
        junkan_credential::http_signature::verify(&key.public_key, &message, &received[0]),
        Ok(())
    );
    let digest = header("content-digest").expect("Content-Digest");
    let sent: Value = body.clone();
    assert_eq!(
        junkan_credential::http_signature::check_content_digest(&digest, sent.to_string().as_bytes()),
        Ok(())
    );
}

/// A request to the node signed per RFC 9421 by `key` (`keyid`), as a peer organization signs.
fn signed_request(
    app: &TestApp,
    key: &ed25519_dalek::SigningKey,
    keyid: &str,
    path: &str,
    body: &Value,
) -> (Vec<(String, String)>, String) {
    let text = body.to_string();
    let headers = junkan_server::federation::signed_headers(
        key,
        keyid,
        "POST",
        &format!("{ISSUER}{path}"),
        Some(text.as_bytes()),
        None,
        app.store.now().unix_timestamp(),
    )
    .expect("signed");
    (headers, text)
}

async fn send_with(app: &TestApp, path: &str, headers: &[(String, String)], body: &str) -> support::Reply {
    let mut builder = axum::http::Request::builder().method("POST").uri(path);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        builder = builder.header("content-type", "application/json");
    }
    app.send(builder.body(axum::body::Body::from(body.to_owned())).expect("request"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_with_a_registered_peer_are_signed_and_unsigned_forged_or_replayed_callbacks_are_refused() {
    let app = TestApp::new().await;
    let provider_key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let (peer_url, peer_did, log) = peer_node(&provider_key, &other_key).await;
    app.store
        .create_peer(
            &junkan_model::principal::Actor::system(),
            &peer_url,
            &peer_did,
            &json!({"id": peer_did}),
        )
        .await
        .expect("peer");
    let provider_keyid = format!("{peer_did}:organizations:p#k1");
    let other_keyid = format!("{peer_did}:organizations:q#k1");

    // An unregistered provider still needs its bearer credential; a registered one does not.
    let unregistered = app
        .post(
            "/api/v1/dsp/negotiations",
            &app.token_a,
            json!({"provider": "http://127.0.0.1:9/dsp", "offer_id": "urn:junkan:offer:x"}),
        )
        .await;
    assert_eq!(
        unregistered.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unregistered.body
    );
    assert_eq!(
        support::error_paths(&unregistered.body),
        vec!["/credential"],
        "{}",
        unregistered.body
    );

    // A negotiates with the peer's organization P: the catalog request and the contract request
    // go out signed by A's key, without a bearer credential.
    let created = app
        .post(
            "/api/v1/dsp/negotiations",
            &app.token_a,
            json!({"provider": format!("{peer_url}/dsp"), "offer_id": "urn:junkan:offer:peer-offer"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let negotiation_id = created.body["id"].as_str().expect("id").to_owned();
    let consumer_pid = format!("urn:uuid:{negotiation_id}");
    let provider_pid = "urn:uuid:0190a0a0-0000-7000-8000-00000000feed";
    for path in ["/dsp/catalog/request", "/dsp/negotiations/request"] {
        let (headers, body) = peer_message(&log, path).await;
        assert_signed_by_a(&app, &headers, &format!("{peer_url}{path}"), &body).await;
    }

    let agreement_path = format!("/dsp/negotiations/{consumer_pid}/agreement");
    let agreement = json!({
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "ContractAgreementMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "agreement": {
            "@id": "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44", "@type": "Agreement",
            "target": "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88", "timestamp": "2026-01-01T01:00:00Z",
            "assigner": "urn:junkan:organization:p", "assignee": format!("urn:junkan:organization:{}", app.a),
            "permission": [{"action": "use"}]
        }
    });
    let state_of = || async {
        app.get(&format!("/api/v1/dsp/negotiations/{negotiation_id}"), &app.token_a)
            .await
            .body["state"]
            .clone()
    };

    // An unsigned callback: anyone who guessed the ids. Refused in the protocol's shape.
    let unsigned = app.call("POST", &agreement_path, None, Some(agreement.clone())).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED, "{}", unsigned.body);
    assert_eq!(unsigned.body["@type"], "ContractNegotiationError");
    assert_eq!(validate("ContractNegotiationError", &unsigned.body), Ok(()));
    assert!(unsigned.body["reason"][0]
        .as_str()
        .expect("reason")
        .contains("signed per RFC 9421"));
    assert_eq!(state_of().await, "REQUESTED");

    // Signed by another organization of the same peer: its key is valid, but it is not the
    // provider of this negotiation.
    let (headers, text) = signed_request(&app, &other_key, &other_keyid, &agreement_path, &agreement);
    let forged = send_with(&app, &agreement_path, &headers, &text).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{}", forged.body);
    assert_eq!(forged.body["@type"], "ContractNegotiationError");
    assert_eq!(state_of().await, "REQUESTED");

    // Claiming P's key id but signed with Q's key: the signature does not verify.
    let (headers, text) = signed_request(&app, &other_key, &provider_keyid, &agreement_path, &agreement);
    let wrong_key = send_with(&app, &agreement_path, &headers, &text).await;
    assert_eq!(wrong_key.status, StatusCode::UNAUTHORIZED, "{}", wrong_key.body);
    assert_eq!(wrong_key.body["code"], "SIGNATURE_REFUSED");
    assert!(wrong_key.body["reason"][0]
        .as_str()
        .expect("reason")
        .contains("does not verify"));
    assert_eq!(state_of().await, "REQUESTED");

    // A signed body that was changed on the way: the digest no longer matches.
    let (headers, _) = signed_request(&app, &provider_key, &provider_keyid, &agreement_path, &agreement);
    let mut changed = agreement.clone();
    changed["agreement"]["assignee"] = json!("urn:junkan:organization:someone-else");
    let tampered = send_with(&app, &agreement_path, &headers, &changed.to_string()).await;
    assert_eq!(tampered.status, StatusCode::UNAUTHORIZED, "{}", tampered.body);
    assert_eq!(state_of().await, "REQUESTED");

    // Signed by P: accepted; the consumer verifies at once, signed again.
    let (headers, text) = signed_request(&app, &provider_key, &provider_keyid, &agreement_path, &agreement);
    let accepted = send_with(&app, &agreement_path, &headers, &text).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let verification_path = format!("/dsp/negotiations/{provider_pid}/agreement/verification");
    let (headers_sent, body_sent) = peer_message(&log, &verification_path).await;
    assert_signed_by_a(
        &app,
        &headers_sent,
        &format!("{peer_url}{verification_path}"),
        &body_sent,
    )
    .await;
    assert_eq!(state_of().await, "VERIFIED");

    // The same signed request again: a replay, refused although its signature is valid.
    let replayed = send_with(&app, &agreement_path, &headers, &text).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "{}", replayed.body);
    assert!(replayed.body["reason"][0]
        .as_str()
        .expect("reason")
        .contains("replayed"));

    // P finalizes; A asks for a transfer (signed), and P's start callback must be signed too.
    let events_path = format!("/dsp/negotiations/{consumer_pid}/events");
    let finalized = json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "ContractNegotiationEventMessage",
                           "providerPid": provider_pid, "consumerPid": consumer_pid, "eventType": "FINALIZED"});
    let unsigned = app.call("POST", &events_path, None, Some(finalized.clone())).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED, "{}", unsigned.body);
    let (headers, text) = signed_request(&app, &provider_key, &provider_keyid, &events_path, &finalized);
    assert_eq!(
        send_with(&app, &events_path, &headers, &text).await.status,
        StatusCode::OK
    );
    assert_eq!(state_of().await, "FINALIZED");
    let transfer = app
        .post(
            "/api/v1/dsp/transfers",
            &app.token_a,
            json!({"negotiation_id": negotiation_id}),
        )
        .await;
    assert_eq!(transfer.status, StatusCode::CREATED, "{}", transfer.body);
    let (headers_sent, body_sent) = peer_message(&log, "/dsp/transfers/request").await;
    assert_signed_by_a(
        &app,
        &headers_sent,
        &format!("{peer_url}/dsp/transfers/request"),
        &body_sent,
    )
    .await;
    let transfer_id = transfer.body["id"].as_str().expect("id").to_owned();
    let start_path = format!("/dsp/transfers/urn:uuid:{transfer_id}/start");
    let start = json!({
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "TransferStartMessage",
        "providerPid": "urn:uuid:0190a0a0-0000-7000-8000-00000000beef", "consumerPid": format!("urn:uuid:{transfer_id}"),
        "dataAddress": {"@type": "DataAddress", "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
            "endpoint": "http://attacker.example/data",
            "endpointProperties": [{"@type": "EndpointProperty", "name": "authorization", "value": "stolen"}]}
    });
    let unsigned = app.call("POST", &start_path, None, Some(start.clone())).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED, "{}", unsigned.body);
    assert_eq!(unsigned.body["@type"], "TransferError");
    let (headers, text) = signed_request(&app, &other_key, &other_keyid, &start_path, &start);
    let forged = send_with(&app, &start_path, &headers, &text).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{}", forged.body);
    let still = app
        .get(&format!("/api/v1/dsp/transfers/{transfer_id}"), &app.token_a)
        .await;
    assert_eq!(still.body["state"], "REQUESTED", "{}", still.body);
    assert!(still.body["endpoint"].is_null(), "a forged start sets no data address");
    let (headers, text) = signed_request(&app, &provider_key, &provider_keyid, &start_path, &start);
    assert_eq!(
        send_with(&app, &start_path, &headers, &text).await.status,
        StatusCode::OK
    );
    let started = app
        .get(&format!("/api/v1/dsp/transfers/{transfer_id}"), &app.token_a)
        .await;
    assert_eq!(started.body["state"], "STARTED", "{}", started.body);

    // The provider side: P asks A's node for a contract on a public offer, signed; A's node
    // answers, and its agreement to P's callback is signed by A.
    let offer = app
        .post(
            "/api/v1/dataset-offers",
            &app.token_a,
            json!({"title_ja": "工場", "title_en": "Plants", "description_ja": "工場の記録", "description_en": "Plant records",
                   "record_kind": "facility", "level": "full", "public": true}),
        )
        .await;
    let offer_id = offer.body["id"].as_str().expect("id").to_owned();
    let request = request_message("urn:uuid:p-consumer", &offer_id, &format!("{peer_url}/dsp"));
    let (headers, text) = signed_request(
        &app,
        &provider_key,
        &provider_keyid,
        "/dsp/negotiations/request",
        &request,
    );
    let requested = send_with(&app, "/dsp/negotiations/request", &headers, &text).await;
    assert_eq!(requested.status, StatusCode::CREATED, "{}", requested.body);
    let path = "/dsp/negotiations/urn:uuid:p-consumer/agreement";
    let (headers_sent, body_sent) = peer_message(&log, path).await;
    assert_signed_by_a(&app, &headers_sent, &format!("{peer_url}{path}"), &body_sent).await;
    // The same contract request replayed: refused.
    let replayed = send_with(&app, "/dsp/negotiations/request", &headers, &text).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "{}", replayed.body);
    assert_eq!(replayed.body["@type"], "ContractNegotiationError");
}

/// The data route serves what the agreement's grant covers, not what the consumer may read
/// otherwise: under an agreement on A's battery passports, B gets the battery passport only,
/// although a separate grant and publication let it read A's plastics passports too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_route_serves_only_what_the_agreement_covers() {
    let app = TestApp::new().await;
    let (callback, received) = callback_listener().await;
    let passport = |profile: &str, identifier: &str, visibility: &str| {
        let granularity = if identifier.contains("/21/") { "item" } else { "batch" };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../passport/profiles/examples/{profile}.json"));
        let data: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json");
        json!({"identifier": identifier, "granularity": granularity, "profile": profile, "visibility": visibility, "data": data})
    };
    let mut ids = Vec::new();
    for (profile, identifier, visibility) in [
        (
            "battery",
            "https://id.gs1.org/01/04912345000019/21/DSP-BAT",
            "restricted",
        ),
        (
            "plastics",
            "https://id.gs1.org/01/04912345000019/10/DSP-PLA",
            "restricted",
        ),
        ("plastics", "https://id.gs1.org/01/04912345000019/10/DSP-PUB", "public"),
    ] {
        let created = app
            .post(
                "/api/v1/passports",
                &app.token_a,
                passport(profile, identifier, visibility),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{profile}: {}", created.body);
        ids.push(created.body["id"].as_str().expect("id").to_owned());
    }
    let other_grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "passport",
                   "record_ids": [ids[1]], "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(other_grant.status, StatusCode::CREATED, "{}", other_grant.body);
    let offer = json!({"title_ja": "電池", "title_en": "Batteries", "description_ja": "電池パスポート", "description_en": "Battery passports",
                       "record_kind": "passport", "record_class": {"type": "profile", "profile": "battery"},
                       "level": "full", "purpose": "planning", "max_duration_days": 90, "public": false});
    let (path, token, _) = agreed_transfer_of(&app, "passport", offer, &callback, &received).await;
    let data = app.get(&path, &token).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    let served: Vec<&str> = data.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["id"].as_str())
        .collect();
    assert_eq!(served, [ids[0].as_str()], "{}", data.body);
}

/// The data route reads a passport at the agreement's level: B holds a full grant on A's battery
/// passport, then agrees on a legitimate-interest offer of battery passports; the transfer serves
/// the passport at legitimate interest (the owner-only fields withheld), not at B's strongest
/// level, while B's own REST read still shows the full passport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_route_reads_a_passport_at_the_agreements_level() {
    let app = TestApp::new().await;
    let (callback, received) = callback_listener().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../passport/profiles/examples/battery.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json");
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/21/DSP-LEVEL", "granularity": "item",
                   "profile": "battery", "visibility": "restricted", "data": data}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let full = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "passport",
                   "record_ids": [id], "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(full.status, StatusCode::CREATED, "{}", full.body);
    let offer = json!({"title_ja": "電池", "title_en": "Batteries", "description_ja": "解体情報", "description_en": "Dismantling",
                       "record_kind": "passport", "record_class": {"type": "profile", "profile": "battery"},
                       "level": "legitimate_interest", "purpose": "planning", "max_duration_days": 90, "public": false});
    let (path, token, _) = agreed_transfer_of(&app, "passport", offer, &callback, &received).await;
    let served = app.get(&path, &token).await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.body);
    let item = &served.body["items"][0];
    assert_eq!(item["id"], id.as_str(), "{}", served.body);
    assert_eq!(item["access_level"], "legitimate_interest", "{}", served.body);
    assert!(
        !item["withheld"].as_array().expect("withheld").is_empty(),
        "the owner-only fields are left out: {item}"
    );
    let own_read = app.get(&format!("/api/v1/passports/{id}"), &app.token_b).await;
    assert_eq!(own_read.status, StatusCode::OK, "{}", own_read.body);
    assert_eq!(own_read.body["access_level"], "owner", "{}", own_read.body);
    assert_ne!(own_read.body["data"], item["data"]);
}

/// Field scopes over the Dataspace Protocol: the owner narrows the negotiation's request to two
/// fields in its inbox; the agreement's policy carries them as a `junkan:field` constraint (valid
/// against the protocol's schema), and
/// the data route serves the passport with those fields only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_route_serves_only_the_agreed_fields() {
    let app = TestApp::new().await;
    let (callback, received) = callback_listener().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../passport/profiles/examples/plastics.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json");
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/10/DSP-FIELDS", "granularity": "batch",
                   "profile": "plastics", "visibility": "restricted", "data": data}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let offer = json!({"title_ja": "樹脂", "title_en": "Plastics", "description_ja": "再生樹脂", "description_en": "Recycled plastics",
                       "record_kind": "passport", "record_class": {"type": "profile", "profile": "plastics"},
                       "level": "full", "purpose": "planning", "max_duration_days": 90, "public": false});
    let narrowing = ("narrow", json!({"fields": ["lotNumber", "/contaminants/ash"]}));
    let (path, token, grant_id) =
        agreed_transfer_deciding(&app, "passport", offer, &callback, &received, narrowing).await;
    let agreement = message_at(&received, "/dsp/negotiations/urn:uuid:passport-negotiation/agreement").await;
    assert!(
        agreement["agreement"]["permission"][0]["constraint"]
            .as_array()
            .expect("constraints")
            .contains(&json!({"leftOperand": "junkan:field", "operator": "isAnyOf",
                              "rightOperand": ["/contaminants/ash", "/lotNumber"]})),
        "{agreement}"
    );
    let served = app.get(&path, &token).await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.body);
    assert_eq!(
        served.body["items"][0]["data"],
        json!({"lotNumber": data["lotNumber"].clone(), "contaminants": {"ash": data["contaminants"]["ash"].clone()}}),
        "{}",
        served.body
    );
    let revoked = app
        .post(&format!("/api/v1/grants/{grant_id}/revoke"), &app.token_a, json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(app.get(&path, &token).await.status, StatusCode::UNAUTHORIZED);
}
