//! EPCIS resources, named queries and subscriptions (webhook and WebSocket) through the HTTP API.

mod support;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use support::{error_paths, TestApp};

fn event(id: &str, serial: &str, step: &str, kilograms: f64) -> Value {
    json!({"type": "ObjectEvent", "eventID": id, "eventTime": "2026-05-01T09:00:00.000+09:00", "eventTimeZoneOffset": "+09:00",
           "epcList": [format!("urn:epc:id:sgtin:4512345.012345.{serial}")], "action": "OBSERVE", "bizStep": step,
           "readPoint": {"id": "urn:epc:id:sgln:4512345.00001.0"},
           "quantityList": [{"epcClass": "urn:epc:class:lgtin:4512345.012345.L1", "quantity": kilograms, "uom": "KGM"}],
           "jk:grade": "A"})
}

async fn capture(app: &TestApp, events: Vec<Value>, token: &str) {
    let document = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"jk": "https://junkan.example/voc/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
        "epcisBody": {"eventList": events}});
    let reply = app
        .send(
            Request::post("/epcis/capture")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/ld+json")
                .body(Body::from(document.to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
}

fn event_ids(body: &Value) -> Vec<String> {
    body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|event| event["eventID"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn resources_list_only_what_the_caller_may_see() {
    let app = TestApp::new().await;
    capture(&app, vec![event("urn:uuid:a-1", "1", "shipping", 10.0)], &app.token_a).await;
    capture(&app, vec![event("urn:uuid:b-1", "2", "receiving", 5.0)], &app.token_b).await;

    let top = app.get("/epcis", &app.token_a).await;
    assert!(top.body["member"]
        .as_array()
        .expect("members")
        .contains(&json!("eventTypes")));
    let types = app.get("/epcis/eventTypes", &app.token_a).await;
    assert_eq!(types.body["member"].as_array().map(Vec::len), Some(5));

    let epcs = app.get("/epcis/epcs", &app.token_a).await;
    assert_eq!(epcs.status, StatusCode::OK, "{}", epcs.body);
    assert_eq!(
        epcs.body["member"],
        json!(["https://id.gs1.org/01/04512345123451/21/1"]),
        "B's EPC is not listed to A"
    );
    let steps = app.get("/epcis/bizSteps", &app.token_b).await;
    assert_eq!(
        steps.body["member"],
        json!(["https://ref.gs1.org/cbv/BizStep-receiving"])
    );

    let sub = app
        .get("/epcis/epcs/urn:epc:id:sgtin:4512345.012345.1", &app.token_a)
        .await;
    assert_eq!(sub.body["member"], json!(["events"]));
    let by_epc = app
        .get("/epcis/epcs/urn:epc:id:sgtin:4512345.012345.1/events", &app.token_a)
        .await;
    assert_eq!(event_ids(&by_epc.body), vec!["urn:uuid:a-1"]);
    let by_epc_other = app
        .get("/epcis/epcs/urn:epc:id:sgtin:4512345.012345.1/events", &app.token_b)
        .await;
    assert!(event_ids(&by_epc_other.body).is_empty(), "B may not read A's event");
    let by_type = app
        .get("/epcis/eventTypes/ObjectEvent/events?EQ_bizStep=shipping", &app.token_a)
        .await;
    assert_eq!(event_ids(&by_type.body), vec!["urn:uuid:a-1"]);

    let unknown = app.get("/epcis/colours", &app.token_a).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["type"], "epcisException:NoSuchResourceException");
    let unknown_type = app.get("/epcis/eventTypes/MagicEvent", &app.token_a).await;
    assert_eq!(unknown_type.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn filters_order_and_limits_apply() {
    let app = TestApp::new().await;
    let mut late = event("urn:uuid:a-late", "3", "shipping", 30.0);
    late["eventTime"] = json!("2026-06-01T09:00:00.000+09:00");
    let mut corrected = event("urn:uuid:a-err", "4", "shipping", 1.0);
    corrected["errorDeclaration"] = json!({"declarationTime": "2026-05-02T00:00:00Z", "reason": "incorrect_data"});
    capture(
        &app,
        vec![
            event("urn:uuid:a-1", "1", "shipping", 10.0),
            late,
            corrected,
            event("urn:uuid:a-2", "2", "receiving", 20.0),
        ],
        &app.token_a,
    )
    .await;
    let ids = |path: &'static str| {
        let app = &app;
        async move { event_ids(&app.get(path, &app.token_a).await.body) }
    };
    assert_eq!(
        ids("/epcis/events?GE_quantity=15").await,
        vec!["urn:uuid:a-late", "urn:uuid:a-2"]
    );
    assert_eq!(
        ids("/epcis/events?EQ_errorReason=incorrect_data").await,
        vec!["urn:uuid:a-err"]
    );
    assert_eq!(
        ids("/epcis/events?EXISTS_errorDeclaration=true").await,
        vec!["urn:uuid:a-err"]
    );
    assert_eq!(
        ids("/epcis/events?EQ_https%3A%2F%2Fjunkan.example%2Fvoc%2F%23grade=A&EQ_bizStep=receiving").await,
        vec!["urn:uuid:a-2"]
    );
    assert!(ids("/epcis/events?EQ_https%3A%2F%2Fjunkan.example%2Fvoc%2F%23grade=B")
        .await
        .is_empty());
    let newest = ids("/epcis/events?orderBy=eventTime&orderDirection=DESC&eventCountLimit=1").await;
    assert_eq!(newest, vec!["urn:uuid:a-late"]);

    // eventCountLimit holds across pages.
    let first = app.get("/epcis/events?eventCountLimit=3&perPage=2", &app.token_a).await;
    assert_eq!(event_ids(&first.body).len(), 2);
    let link = first.headers[header::LINK].to_str().expect("link").to_owned();
    let next = link.trim_start_matches('<').split('>').next().expect("url").to_owned();
    let second = app.get(&next, &app.token_a).await;
    assert_eq!(event_ids(&second.body).len(), 1);
    assert!(second.headers.get(header::LINK).is_none());

    let too_many = app.get("/epcis/events?maxEventCount=2", &app.token_a).await;
    assert_eq!(too_many.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_many.body["type"], "epcisException:QueryTooLargeException");
    let bad = app
        .get("/epcis/events?orderBy=colour&GT_quantity=lots", &app.token_a)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_paths(&bad.body), vec!["?orderBy", "?GT_quantity"]);

    let xml = app
        .get_with(
            "/epcis/events?EQ_bizStep=receiving",
            &app.token_a,
            &[("accept", "application/xml")],
        )
        .await;
    assert_eq!(xml.headers[header::CONTENT_TYPE], "application/xml");
    let read = junkan_epcis::document_from_xml(xml.body.as_str().expect("text")).expect("our XML reads back");
    assert_eq!(event_ids(&read), vec!["urn:uuid:a-2"]);
    let urn = app
        .get_with(
            "/epcis/events?EQ_bizStep=receiving",
            &app.token_a,
            &[("gs1-epc-format", "Always_EPC_URN")],
        )
        .await;
    assert_eq!(
        urn.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["epcList"][0],
        "urn:epc:id:sgtin:4512345.012345.2"
    );
    let link = app.get("/epcis/events?EQ_bizStep=receiving", &app.token_a).await;
    assert_eq!(
        link.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["epcList"][0],
        "https://id.gs1.org/01/04512345123451/21/2",
        "Digital Link is the default"
    );
    let refused = app
        .get_with("/epcis/events", &app.token_a, &[("accept", "text/csv")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn named_queries_belong_to_their_organization() {
    let app = TestApp::new().await;
    capture(
        &app,
        vec![
            event("urn:uuid:a-1", "1", "shipping", 10.0),
            event("urn:uuid:a-2", "2", "receiving", 20.0),
        ],
        &app.token_a,
    )
    .await;
    let created = app
        .post(
            "/epcis/queries",
            &app.token_a,
            json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"], "eventType": ["ObjectEvent"]}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers[header::LOCATION], "/epcis/queries/shipped");
    let again = app
        .post("/epcis/queries", &app.token_a, json!({"name": "shipped", "query": {}}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["type"], "epcisException:ResourceAlreadyExistsException");
    let invalid = app
        .post(
            "/epcis/queries",
            &app.token_a,
            json!({"name": "bad name!", "query": {"EQ_colour": ["red"]}, "extra": 1}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_paths(&invalid.body), vec!["/name", "/query/EQ_colour", "/extra"]);

    let results = app.get("/epcis/queries/shipped/events", &app.token_a).await;
    assert_eq!(event_ids(&results.body), vec!["urn:uuid:a-1"]);
    assert_eq!(results.body["epcisBody"]["queryResults"]["queryName"], "shipped");
    let listed = app.get("/epcis/queries", &app.token_a).await;
    assert_eq!(listed.body[0]["name"], "shipped");
    assert_eq!(app.get("/epcis/queries", &app.token_b).await.body, json!([]));
    assert_eq!(
        app.get("/epcis/queries/shipped", &app.token_b).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/epcis/queries/shipped/events", &app.token_b).await.status,
        StatusCode::NOT_FOUND
    );

    let deleted = app
        .call("DELETE", "/epcis/queries/shipped", Some(&app.token_a), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/epcis/queries/shipped", &app.token_a).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A webhook receiver on 127.0.0.1 that forwards each POST (headers, body) to a channel.
async fn webhook() -> (String, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sender = sender.clone();
            async move {
                let _ = sender.send((headers, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/hook"), receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_subscriptions_deliver_signed_reports_with_the_subscribers_rights() {
    let app = TestApp::new().await;
    junkan_server::delivery::spawn(app.state.clone());
    let (dest, mut received) = webhook().await;
    app.post(
        "/epcis/queries",
        &app.token_a,
        json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}}),
    )
    .await;
    let invalid = app
        .post(
            "/epcis/queries/shipped/subscriptions",
            &app.token_a,
            json!({"dest": dest}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_paths(&invalid.body), vec!["/stream"]);
    let subscribed = app
        .post(
            "/epcis/queries/shipped/subscriptions",
            &app.token_a,
            json!({"dest": dest, "signatureToken": "s3cret", "stream": true}),
        )
        .await;
    assert_eq!(subscribed.status, StatusCode::CREATED, "{}", subscribed.body);
    assert!(
        subscribed.body.get("signatureToken").is_none(),
        "the secret is never shown"
    );
    let location = subscribed.headers[header::LOCATION].to_str().expect("ascii").to_owned();

    // B's shipping event matches the query but A may not read it; A's receiving event does not match.
    capture(&app, vec![event("urn:uuid:b-1", "9", "shipping", 1.0)], &app.token_b).await;
    capture(
        &app,
        vec![
            event("urn:uuid:a-1", "1", "shipping", 10.0),
            event("urn:uuid:a-2", "2", "receiving", 20.0),
        ],
        &app.token_a,
    )
    .await;
    let (headers, body) = tokio::time::timeout(Duration::from_secs(15), received.recv())
        .await
        .expect("a report within 15 s")
        .expect("report");
    let expected = junkan_server::delivery::signature("s3cret", &body);
    assert_eq!(headers["gs1-signature"], expected.as_str());
    let report: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(event_ids(&report), vec!["urn:uuid:a-1"]);

    // Reported events are not sent again; the next capture brings only the new event.
    capture(&app, vec![event("urn:uuid:a-3", "3", "shipping", 5.0)], &app.token_a).await;
    let (_, body) = tokio::time::timeout(Duration::from_secs(15), received.recv())
        .await
        .expect("a second report")
        .expect("report");
    assert_eq!(
        event_ids(&serde_json::from_slice(&body).expect("JSON")),
        vec!["urn:uuid:a-3"]
    );
    let shown = app.get(&location, &app.token_a).await;
    assert!(shown.body["lastNotifiedAt"].is_string(), "{}", shown.body);

    let removed = app.call("DELETE", &location, Some(&app.token_a), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&location, &app.token_a).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_webhooks_are_reported_and_retried() {
    let app = TestApp::new().await;
    junkan_server::delivery::spawn(app.state.clone());
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dest = format!("http://{}/hook", closed.local_addr().expect("address"));
    drop(closed);
    app.post("/epcis/queries", &app.token_a, json!({"name": "all", "query": {}}))
        .await;
    let subscribed = app
        .post(
            "/epcis/queries/all/subscriptions",
            &app.token_a,
            json!({"dest": dest, "stream": true}),
        )
        .await;
    let location = subscribed.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    capture(&app, vec![event("urn:uuid:a-1", "1", "shipping", 10.0)], &app.token_a).await;
    let mut error = Value::Null;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        error = app.get(&location, &app.token_a).await.body["lastError"].clone();
        if error.is_string() {
            break;
        }
    }
    assert!(
        error.as_str().is_some_and(|text| text.contains("could not be reached")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_stream_new_events() {
    let app = TestApp::new().await;
    app.post(
        "/epcis/queries",
        &app.token_a,
        json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}}),
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{address}/epcis/queries/shipped/events?stream=true"
    ))
    .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", app.token_a).parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket handshake");

    // Without the upgrade, subscription parameters are not query parameters.
    let refused = app.get("/epcis/queries/shipped/events?stream=true", &app.token_a).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    capture(
        &app,
        vec![
            event("urn:uuid:a-1", "1", "shipping", 10.0),
            event("urn:uuid:a-2", "2", "receiving", 20.0),
        ],
        &app.token_a,
    )
    .await;
    let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
        .await
        .expect("a message within 15 s")
        .expect("open")
        .expect("message");
    let report: Value = serde_json::from_str(message.to_text().expect("text")).expect("JSON");
    assert_eq!(event_ids(&report), vec!["urn:uuid:a-1"]);
    socket.close(None).await.expect("close");
}
