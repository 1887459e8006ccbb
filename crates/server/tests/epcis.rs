//! The EPCIS REST binding end to end through the router: every valid OpenEPCIS document (JSON and
//! XML) is captured and read back equal in meaning (same CBV event hash), invalid ones are refused
//! without a trace, and queries, duplicates, conflicts, limits and access rules behave.

mod support;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use support::{Reply, TestApp};

fn testdata(folder: &str, extension: &str) -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../epcis/testdata/openepcis")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|found| found == extension))
        .collect();
    files.sort();
    files
}

/// Valid documents junkan refuses or cannot compare, with the reasons given in
/// `crates/epcis/tests/conformance.rs`.
const NOT_ROUND_TRIPPED: [&str; 3] = [
    "Combination_of_different_event",
    "SensorData_with_combined_events",
    "JumbledFieldsOrder",
];

async fn post_document(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>, token: &str) -> support::Reply {
    app.send(
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Captures `path` and checks each event reads back with the hash it was sent with.
async fn round_trip(path: &Path, content_type: &str) -> Result<usize, String> {
    let app = TestApp::new().await;
    let body = std::fs::read(path).expect("read");
    let reply = post_document(&app, "/epcis/capture", content_type, body.clone(), &app.token_a).await;
    if reply.status != StatusCode::ACCEPTED {
        return Err(format!("capture answered {}: {}", reply.status, reply.body));
    }
    let location = reply.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let job = app.get(&location, &app.token_a).await;
    if job.body["success"] != json!(true) {
        return Err(format!("job failed: {}", job.body));
    }
    let document = if content_type.contains("xml") {
        junkan_epcis::document_from_xml(std::str::from_utf8(&body).expect("utf-8")).expect("valid XML")
    } else {
        serde_json::from_slice(&body).expect("json")
    };
    let namespaces = junkan_epcis::Namespaces::from_context(document.get("@context"));
    let events = junkan_epcis::capture::events_of(&document);
    for (_, event) in &events {
        let sent_hash = junkan_epcis::event_hash(event, &namespaces);
        let event_id = event
            .get("eventID")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| sent_hash.clone());
        // The single-event resource answers a query document; read it as JSON-LD with Digital
        // Links (the default), as JSON-LD with EPC URNs, and as XML.
        let path = format!("/epcis/events/{}", percent_encode(&event_id));
        for (accept, epc_format) in [
            ("application/ld+json", "Always_GS1_Digital_Link"),
            ("application/json", "Always_EPC_URN"),
            ("application/xml", "No_Preference"),
        ] {
            let read = app
                .get_with(
                    &path,
                    &app.token_a,
                    &[("accept", accept), ("gs1-epc-format", epc_format)],
                )
                .await;
            if read.status != StatusCode::OK {
                return Err(format!("{event_id} ({accept}): {} {}", read.status, read.body));
            }
            let document = if accept == "application/xml" {
                let xml = read.body.as_str().unwrap_or_default();
                junkan_epcis::document_from_xml(xml)
                    .map_err(|problems| format!("{event_id}: XML answer unreadable: {problems:?}\n{xml}"))?
            } else {
                read.body.clone()
            };
            let read_event = &document["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
            let mut read_namespaces = junkan_epcis::Namespaces::from_context(document.get("@context"));
            read_namespaces.add_nested_contexts(read_event);
            let read_hash = junkan_epcis::event_hash(read_event, &read_namespaces);
            if read_hash != sent_hash {
                return Err(format!(
                    "{event_id} ({accept}, {epc_format}): read back differently\n  sent {}\n  read {}",
                    junkan_epcis::pre_hash(event, &namespaces),
                    junkan_epcis::pre_hash(read_event, &read_namespaces)
                ));
            }
        }
    }
    let all = app.get("/epcis/events?perPage=500", &app.token_a).await;
    let stored = all.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    Ok(stored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_valid_document_round_trips_in_both_syntaxes() {
    let mut failures = Vec::new();
    let mut documents = 0;
    for (folder, extension, content_type) in [
        ("JSON/Capture/Documents", "json", "application/ld+json"),
        ("XML/Capture/Documents", "xml", "application/xml"),
    ] {
        for path in testdata(folder, extension) {
            if NOT_ROUND_TRIPPED
                .iter()
                .any(|name| path.file_stem().is_some_and(|stem| stem == *name))
            {
                continue;
            }
            documents += 1;
            if let Err(failure) = round_trip(&path, content_type).await {
                failures.push(format!("{}: {failure}", path.display()));
            }
        }
    }
    assert!(documents >= 65, "only {documents} documents");
    assert!(
        failures.is_empty(),
        "{} of {documents} documents did not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn invalid_documents_are_refused_and_leave_nothing() {
    let app = TestApp::new().await;
    let mut accepted = Vec::new();
    for (folder, extension, content_type) in [
        ("JSON/Capture/Invalid", "json", "application/json"),
        ("XML/Capture/Invalid", "xml", "application/xml"),
    ] {
        for path in testdata(folder, extension) {
            let reply = post_document(
                &app,
                "/epcis/capture",
                content_type,
                std::fs::read(&path).expect("read"),
                &app.token_a,
            )
            .await;
            if reply.status != StatusCode::BAD_REQUEST || reply.body["type"] != "epcisException:ValidationException" {
                accepted.push(format!("{}: {} {}", path.display(), reply.status, reply.body));
            }
            assert!(reply.headers.contains_key("gs1-epcis-version"));
        }
    }
    assert!(accepted.is_empty(), "{accepted:?}");
    let events = app.get("/epcis/events", &app.token_a).await;
    assert_eq!(
        events.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"],
        json!([])
    );
    let jobs = app.get("/epcis/capture", &app.token_a).await;
    assert_eq!(jobs.body, json!([]), "a refused document creates no job");
}

/// A single event as POST /epcis/events takes it: with its own @context.
fn standalone(mut event: Value) -> Value {
    event["@context"] = json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"jk": "https://junkan.example/voc/"}]);
    event
}

fn document(events: Vec<Value>) -> Value {
    json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"jk": "https://junkan.example/voc/"}],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
           "epcisBody": {"eventList": events}})
}

fn shipping(id: &str, serial: &str) -> Value {
    json!({"type": "ObjectEvent", "eventID": id, "eventTime": "2026-05-01T09:00:00.000+09:00", "eventTimeZoneOffset": "+09:00",
           "epcList": [format!("urn:epc:id:sgtin:4512345.012345.{serial}")], "action": "OBSERVE", "bizStep": "shipping",
           "disposition": "in_transit", "readPoint": {"id": "urn:epc:id:sgln:4512345.00001.0"}, "jk:lot": "L-1"})
}

async fn capture_json(app: &TestApp, value: &Value, token: &str) -> support::Reply {
    post_document(
        app,
        "/epcis/capture",
        "application/ld+json",
        value.to_string().into_bytes(),
        token,
    )
    .await
}

#[tokio::test]
async fn bad_input_gets_precise_answers() {
    let app = TestApp::new().await;
    let truncated = post_document(
        &app,
        "/epcis/capture",
        "application/json",
        b"{\"type\": \"EPCISDoc".to_vec(),
        &app.token_a,
    )
    .await;
    assert_eq!(
        (truncated.status, truncated.body["type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("epcisException:ValidationException"))
    );
    assert!(truncated.body["detail"].as_str().expect("detail").contains("line 1"));

    let mut wrong_digit = shipping("urn:uuid:aaaaaaaa-0000-4000-8000-000000000001", "1");
    wrong_digit["epcList"] = json!(["https://id.gs1.org/01/04512345123458/21/1"]);
    let reply = capture_json(&app, &document(vec![wrong_digit]), &app.token_a).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errors"][0]["path"], "/epcisBody/eventList/0/epcList/0");
    assert!(reply.body["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("check digit"));

    let mut unknown_type = shipping("urn:uuid:aaaaaaaa-0000-4000-8000-000000000002", "2");
    unknown_type["type"] = json!("RecyclingEvent");
    let reply = capture_json(&app, &document(vec![unknown_type]), &app.token_a).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    let mut wrong_context = document(vec![shipping("urn:uuid:aaaaaaaa-0000-4000-8000-000000000003", "3")]);
    wrong_context["@context"] = json!("https://example.com/not-epcis.jsonld");
    assert_eq!(
        capture_json(&app, &wrong_context, &app.token_a).await.status,
        StatusCode::BAD_REQUEST
    );

    let version = app
        .send(
            Request::post("/epcis/capture")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token_a))
                .header(header::CONTENT_TYPE, "application/json")
                .header("GS1-EPCIS-Version", "1.2")
                .body(Body::from(document(vec![]).to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(version.status, StatusCode::NOT_ACCEPTABLE);

    // A 50 MB document is refused before it is read, with the limit in the answer.
    let huge = vec![b' '; 50 * 1024 * 1024];
    let reply = post_document(&app, "/epcis/capture", "application/json", huge, &app.token_a).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body["detail"].as_str().expect("detail").contains("limit"));

    let anonymous = app
        .send(
            Request::post("/epcis/capture")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(document(vec![]).to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(
        (anonymous.status, anonymous.body["type"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("epcisException:SecurityException"))
    );

    let events = app.get("/epcis/events", &app.token_a).await;
    assert_eq!(
        events.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"],
        json!([]),
        "nothing was stored"
    );
}

#[tokio::test]
async fn duplicates_conflicts_queries_and_isolation() {
    let app = TestApp::new().await;
    let first = document(vec![
        shipping("urn:uuid:bbbbbbbb-0000-4000-8000-000000000001", "100"),
        shipping("urn:uuid:bbbbbbbb-0000-4000-8000-000000000002", "101"),
    ]);
    let reply = capture_json(&app, &first, &app.token_a).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    assert!(reply.headers[header::LOCATION]
        .to_str()
        .expect("ascii")
        .starts_with("/epcis/capture/"));
    assert_eq!(reply.headers["gs1-epcis-version"], "2.0.0");
    assert_eq!(reply.body["capturedCount"], 2);

    let again = capture_json(&app, &first, &app.token_a).await;
    assert_eq!(
        (
            again.body["capturedCount"].as_u64(),
            again.body["duplicateCount"].as_u64()
        ),
        (Some(0), Some(2)),
        "not stored twice"
    );

    // The same eventID with other content: rejected, nothing changes.
    let mut changed = shipping("urn:uuid:bbbbbbbb-0000-4000-8000-000000000001", "100");
    changed["disposition"] = json!("damaged");
    let conflict = capture_json(
        &app,
        &document(vec![
            shipping("urn:uuid:bbbbbbbb-0000-4000-8000-000000000003", "102"),
            changed.clone(),
        ]),
        &app.token_a,
    )
    .await;
    let job = app
        .get(
            conflict.headers[header::LOCATION].to_str().expect("ascii"),
            &app.token_a,
        )
        .await;
    assert_eq!(job.body["success"], false);
    assert_eq!(job.body["errors"][0]["path"], "/epcisBody/eventList/1/eventID");
    let single = post_document(
        &app,
        "/epcis/events",
        "application/json",
        standalone(changed).to_string().into_bytes(),
        &app.token_a,
    )
    .await;
    assert_eq!(single.status, StatusCode::BAD_REQUEST);
    let count = |reply: &support::Reply| {
        reply.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    assert_eq!(count(&app.get("/epcis/events", &app.token_a).await), 2);

    // A single event through POST /epcis/events.
    let single_event = standalone(shipping("urn:uuid:bbbbbbbb-0000-4000-8000-000000000004", "103"));
    let created = post_document(
        &app,
        "/epcis/events",
        "application/json",
        single_event.to_string().into_bytes(),
        &app.token_a,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let location = created.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let read = app.get(&location, &app.token_a).await;
    let event = Reply {
        body: read.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0].clone(),
        ..read
    };
    assert_eq!(event.body["eventID"], "urn:uuid:bbbbbbbb-0000-4000-8000-000000000004");
    assert_eq!(
        event.body["eventTime"], "2026-05-01T09:00:00.000+09:00",
        "the offset is kept as sent"
    );
    assert!(event.body["@context"].to_string().contains("junkan.example"));

    // Queries, in either identifier form.
    let by_urn = app
        .get(
            "/epcis/events?MATCH_epc=urn:epc:id:sgtin:4512345.012345.100",
            &app.token_a,
        )
        .await;
    assert_eq!(count(&by_urn), 1);
    let by_link = app
        .get(
            "/epcis/events?MATCH_epc=https%3A%2F%2Fid.gs1.org%2F01%2F04512345123451%2F21%2F101",
            &app.token_a,
        )
        .await;
    assert_eq!(count(&by_link), 1);
    let by_class = app
        .get(
            "/epcis/events?MATCH_epc=urn:epc:idpat:sgtin:4512345.012345.*&EQ_bizStep=shipping",
            &app.token_a,
        )
        .await;
    assert_eq!(count(&by_class), 3);
    let paged = app.get("/epcis/events?perPage=2", &app.token_a).await;
    assert_eq!(count(&paged), 2);
    let link = paged.headers[header::LINK].to_str().expect("ascii").to_owned();
    let next = &link[1..link.find('>').expect("bracket")];
    assert_eq!(count(&app.get(next, &app.token_a).await), 1);
    let bad = app.get("/epcis/events?EQ_colour=red&perPage=0", &app.token_a).await;
    assert_eq!(
        (bad.status, bad.body["type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("epcisException:QueryParameterException"))
    );
    assert_eq!(bad.body["errors"].as_array().map(Vec::len), Some(2));

    // Other organizations see nothing; auditors see everything, audited.
    assert_eq!(app.get(&location, &app.token_b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app.get("/epcis/events", &app.token_b).await), 0);
    assert_eq!(count(&app.call("GET", "/epcis/events", None, None).await), 0);
    let capture_id = reply.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    assert_eq!(app.get(&capture_id, &app.token_b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app.get("/epcis/events", &app.token_auditor).await), 3);
    let audit = app.get("/api/v1/audit?action=read", &app.token_a).await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(3));
}
