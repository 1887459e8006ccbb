//! Passports and profiles through the HTTP API: every route and export shows each caller exactly
//! its level's fields; versions, diffs, exports, bulk import and export, and bad input.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use junkan_model::access::AccessLevel;
use junkan_passport::builtin::{documents, example};
use junkan_passport::Profile;

use support::{error_paths, TestApp};

fn battery(identifier: &str) -> Value {
    json!({"identifier": identifier, "granularity": "item", "profile": "battery",
           "data": example("battery").expect("battery example")})
}

fn view(code: &str, level: AccessLevel) -> junkan_passport::View {
    view_of(code, &example(code).expect("example"), level)
}

fn view_of(code: &str, data: &Value, level: AccessLevel) -> junkan_passport::View {
    let document = documents()
        .into_iter()
        .find(|document| document["code"] == code)
        .expect("shipped");
    Profile::compile(&document).expect("compiles").view(data, level)
}

async fn send_text(app: &TestApp, path: &str, token: &str, media_type: &str, body: String) -> support::Reply {
    app.send(
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, media_type)
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn every_route_shows_each_caller_exactly_its_fields() {
    let app = TestApp::new().await;
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            battery("https://example.jp/01/04912345000019/21/EV-0001"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert!(created.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .ends_with(&id));
    assert_eq!(
        created.body["identifier"],
        "https://id.gs1.org/01/04912345000019/21/EV-0001"
    );

    let public = view("battery", AccessLevel::Public);
    let authority = view("battery", AccessLevel::Authority);
    let owner = view("battery", AccessLevel::Owner);
    let path = format!("/api/v1/passports/{id}");
    let anonymous = app.call("GET", &path, None, None).await;
    assert_eq!(anonymous.body["data"], public.data);
    assert_eq!(anonymous.body["access_level"], "public");
    assert_eq!(anonymous.body["withheld"], json!(public.withheld));
    assert_eq!(app.get(&path, &app.token_b).await.body["data"], public.data);
    assert_eq!(app.get(&path, &app.token_auditor).await.body["data"], authority.data);
    assert_eq!(app.get(&path, &app.token_a_member).await.body["data"], owner.data);

    // Lists, exports and bulk exports filter the same way.
    let listed = app.call("GET", "/api/v1/passports?profile=battery", None, None).await;
    assert_eq!(listed.body["items"][0]["data"], public.data);
    let exported = app
        .call("GET", &format!("{path}/export?format=batterypass"), None, None)
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    for (aspect, value) in exported.body.as_object().expect("aspects") {
        assert_eq!(value, &public.data[aspect], "{aspect}");
    }
    let untp = app.call("GET", &format!("{path}/export?format=untp"), None, None).await;
    assert_eq!(untp.headers[header::CONTENT_TYPE], "application/ld+json");
    assert_eq!(
        untp.body["credentialSubject"]["product"]["characteristics"]["data"],
        public.data
    );
    assert_eq!(
        untp.body["@context"][1],
        "https://test.uncefact.org/vocabulary/untp/dpp/0.6.0/"
    );
    assert_eq!(untp.body["credentialSubject"]["product"]["serialNumber"], "EV-0001");
    assert_eq!(untp.body["credentialSubject"]["granularityLevel"], "item");
    let lines = app
        .call(
            "GET",
            "/api/v1/passports/export?format=jsonl&profile=battery",
            None,
            None,
        )
        .await;
    // One line of JSON Lines is a JSON document, which the test client has parsed already.
    let line = &lines.body;
    assert_eq!(line["data"], public.data);
    // A restricted value never appears in the public CSV.
    let csv = app
        .call("GET", "/api/v1/passports/export?format=csv&profile=battery", None, None)
        .await;
    let csv_text = csv.body.as_str().expect("csv");
    for pointer in &public.withheld {
        assert!(
            !csv_text
                .lines()
                .next()
                .expect("header")
                .split(',')
                .any(|column| column.starts_with(pointer.as_str())),
            "{pointer} in the public CSV"
        );
    }

    // A higher view than one's own is refused; a lower one is given.
    assert_eq!(
        app.get(&format!("{path}?view=owner"), &app.token_b).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("{path}?view=public"), &app.token_a).await.body["data"],
        public.data
    );

    // A new version; history and diff over the caller's views.
    let mut data = example("battery").expect("example");
    data["GeneralProductInformation"]["batteryMass"] = json!(480.0);
    data["PerformanceAndDurability"]["batteryCondition"]["numberOfFullCycles"]["numberOfFullCyclesValue"] = json!(999);
    let changed = app
        .call(
            "PATCH",
            &path,
            Some(&app.token_a),
            Some(json!({"data": data, "status": "in_use", "note": "点検 / inspection", "base_version": 1})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["version"], 2);
    let stale = app
        .call(
            "PATCH",
            &path,
            Some(&app.token_a),
            Some(json!({"status": "waste", "base_version": 1})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let versions = app.call("GET", &format!("{path}/versions"), None, None).await;
    assert_eq!(versions.body.as_array().map(Vec::len), Some(2));
    let owner_diff = app.get(&format!("{path}/diff?from=1"), &app.token_a).await;
    assert_eq!(owner_diff.headers[header::CONTENT_TYPE], "application/json-patch+json");
    let paths: Vec<&str> = owner_diff
        .body
        .as_array()
        .expect("patch")
        .iter()
        .filter_map(|operation| operation["path"].as_str())
        .collect();
    assert!(paths.contains(&"/status"));
    assert!(paths.contains(&"/data/GeneralProductInformation/batteryMass"));
    let public_diff = app.call("GET", &format!("{path}/diff?from=1&to=2"), None, None).await;
    let public_paths: Vec<&str> = public_diff
        .body
        .as_array()
        .expect("patch")
        .iter()
        .filter_map(|operation| operation["path"].as_str())
        .collect();
    for pointer in &public.withheld {
        assert!(
            !public_paths
                .iter()
                .any(|path| path.starts_with(&format!("/data{pointer}"))),
            "diff leaks {pointer}"
        );
    }
    let old = app.call("GET", &format!("{path}?version=1"), None, None).await;
    assert_eq!(
        (old.body["version"].clone(), old.body["status"].clone()),
        (json!(1), json!("original"))
    );

    // A grant opens the legitimate-interest fields to B on every route.
    let grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b},
            "record_kind": "passport", "record_ids": [id], "level": "legitimate_interest",
            "purpose": "解体計画 / dismantling plan", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    let interested = view_of("battery", &data, AccessLevel::LegitimateInterest);
    assert_ne!(interested.data, view_of("battery", &data, AccessLevel::Public).data);
    let granted = app.get(&path, &app.token_b).await;
    assert_eq!(
        (granted.body["access_level"].clone(), &granted.body["data"]),
        (json!("legitimate_interest"), &interested.data)
    );
    assert_eq!(
        app.get("/api/v1/passports?profile=battery", &app.token_b).await.body["items"][0]["data"],
        interested.data
    );
    let granted_export = app
        .get(&format!("{path}/export?format=batterypass"), &app.token_b)
        .await;
    for (aspect, value) in granted_export.body.as_object().expect("aspects") {
        assert_eq!(value, &interested.data[aspect], "{aspect}");
    }
    let granted_untp = app.get(&format!("{path}/export?format=untp"), &app.token_b).await;
    assert_eq!(
        granted_untp.body["credentialSubject"]["product"]["characteristics"]["data"],
        interested.data
    );
    let granted_lines = app
        .get("/api/v1/passports/export?format=jsonl&profile=battery", &app.token_b)
        .await;
    assert_eq!(granted_lines.body["data"], interested.data);
    let audit = app
        .get(&format!("/api/v1/audit?record_id={id}&action=read"), &app.token_a)
        .await;
    assert!(
        audit.body["items"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|entry| entry["grant_id"] == grant.body["id"]),
        "{}",
        audit.body
    );

    // Writes are the owner's.
    let foreign = app
        .call("PATCH", &path, Some(&app.token_b), Some(json!({"status": "waste"})))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let anonymous_write = app.call("PATCH", &path, None, Some(json!({"status": "waste"}))).await;
    assert_eq!(anonymous_write.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_passports_are_refused_with_pointers_and_change_nothing() {
    let app = TestApp::new().await;
    let mut data = example("plastics").expect("example");
    data["meltFlowRate"] = json!("very high");
    let bad = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000018/10/L1",
            "granularity": "item", "profile": "plastics", "data": data}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let paths = error_paths(&bad.body);
    assert!(paths.contains(&"/identifier".to_owned()), "{paths:?}");
    assert!(
        paths.iter().any(|path| path.starts_with("/data/meltFlowRate")),
        "{paths:?}"
    );
    let unknown = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "urn:example:x", "granularity": "batch", "profile": "nope", "data": {}}),
        )
        .await;
    assert_eq!(error_paths(&unknown.body), ["/profile"]);
    for (uri, why) in [
        ("https://id.gs1.org/01/04912345000018/10/L1", "check digit"),
        ("https://id.gs1.org/01/04912345000019/21/S1/10/L1", "order"),
        ("https://id.gs1.org/01/04912345000019/10/L%0A1", "character"),
    ] {
        let reply = app
            .post(
                "/api/v1/passports",
                &app.token_a,
                json!({"identifier": uri, "granularity": "batch", "profile": "plastics", "data": example("plastics")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {}", reply.body);
        assert_eq!(error_paths(&reply.body), ["/identifier"], "{why}");
    }
    let listed = app.get("/api/v1/passports", &app.token_a).await;
    assert_eq!(listed.body["items"], json!([]));
    let not_schema = app
        .post("/api/v1/profiles", &app.token_node_admin, json!({"code": "x1", "version": "1.0.0", "industry": "plastics",
            "name": {"ja": "x", "en": "x"}, "description": {"ja": "x", "en": "x"}, "granularities": ["batch"], "default_access": "owner",
            "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"a": {"minimum": "zero"}}},
            "fields": []}))
        .await;
    assert_eq!(
        not_schema.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        not_schema.body
    );
    assert_eq!(error_paths(&not_schema.body), ["/schema/properties/a/minimum"]);
    let by_member = app.post("/api/v1/profiles", &app.token_a, json!({})).await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.call("GET", "/api/v1/profiles", None, None)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(9)
    );
    assert_eq!(
        app.call("GET", "/api/v1/profiles/battery", None, None).await.body["version"],
        "1.2.0"
    );
}

#[tokio::test]
async fn bulk_import_and_export_round_trip_in_json_lines_and_csv() {
    let app = TestApp::new().await;
    let lines: String = (1..=3)
        .map(|lot| {
            json!({"identifier": format!("https://id.gs1.org/01/04912345000019/10/PP-{lot}"), "granularity": "batch",
                   "profile": "plastics", "data": example("plastics")})
            .to_string()
                + "\n"
        })
        .collect();
    let dry = send_text(
        &app,
        "/api/v1/passports/import?dry_run=true",
        &app.token_a,
        "application/x-ndjson",
        lines.clone(),
    )
    .await;
    assert_eq!(
        dry.body,
        json!({"created": 3, "updated": 0, "unchanged": 0, "dry_run": true})
    );
    assert_eq!(
        app.get("/api/v1/passports", &app.token_a).await.body["items"],
        json!([])
    );
    let bad = format!("{lines}{{\"identifier\": 5}}\nnot json\n");
    let refused = send_text(
        &app,
        "/api/v1/passports/import",
        &app.token_a,
        "application/x-ndjson",
        bad,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&refused.body), ["/3/identifier", "/4"]);
    let imported = send_text(
        &app,
        "/api/v1/passports/import",
        &app.token_a,
        "application/x-ndjson",
        lines,
    )
    .await;
    assert_eq!(imported.body["created"], 3, "{}", imported.body);

    // The owner's JSON Lines export imports again unchanged; its CSV export too.
    let exported = app.get("/api/v1/passports/export?format=jsonl", &app.token_a).await;
    let text = exported.body.as_str().expect("jsonl").to_owned();
    assert_eq!(text.lines().count(), 3);
    let again = send_text(
        &app,
        "/api/v1/passports/import",
        &app.token_a,
        "application/x-ndjson",
        text,
    )
    .await;
    assert_eq!(again.body["unchanged"], 3, "{}", again.body);
    let csv = app
        .get("/api/v1/passports/export?format=csv&profile=plastics", &app.token_a)
        .await;
    let csv_text = csv.body.as_str().expect("csv").to_owned();
    assert!(csv_text.starts_with("identifier,granularity,profile,status,visibility,note,links,/"));
    let from_csv = send_text(
        &app,
        "/api/v1/passports/import",
        &app.token_a,
        "text/csv",
        csv_text.clone(),
    )
    .await;
    assert_eq!(from_csv.body["unchanged"], 3, "{}", from_csv.body);
    // A changed cell makes a new version; a cell of the wrong type is named.
    let edited = csv_text.replacen(",original,", ",in_use,", 1);
    let versioned = send_text(&app, "/api/v1/passports/import", &app.token_a, "text/csv", edited).await;
    assert_eq!(
        (versioned.body["updated"].clone(), versioned.body["unchanged"].clone()),
        (json!(1), json!(2))
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = header
        .iter()
        .position(|name| name == "/density/value")
        .expect("density column");
    let mut rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("row")).collect();
    let mut first: Vec<String> = rows[0].iter().map(str::to_owned).collect();
    first[column] = "heavy".to_owned();
    rows[0] = csv::StringRecord::from(first);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).expect("write");
    rows.iter().for_each(|row| writer.write_record(row).expect("write"));
    let broken = String::from_utf8(writer.into_inner().expect("flush")).expect("utf-8");
    let refused = send_text(&app, "/api/v1/passports/import", &app.token_a, "text/csv", broken).await;
    assert_eq!(
        error_paths(&refused.body),
        ["/0/data/density/value"],
        "{}",
        refused.body
    );
    let wrong_type = send_text(
        &app,
        "/api/v1/passports/import",
        &app.token_a,
        "text/plain",
        String::new(),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let other = send_text(&app, "/api/v1/passports/import", &app.token_b, "text/csv", csv_text).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another organization cannot version A's passports"
    );
}

/// The demo battery passport, exported as its owner sees it, is valid against every Battery Pass
/// v1.2 aspect schema; the public sees less; its history has the three demo versions.
#[tokio::test]
async fn the_demo_battery_passport_exports_valid_battery_pass_data() {
    let app = TestApp::new().await;
    let credentials = junkan_demo::load(app.store.as_ref(), 0, "http://127.0.0.1")
        .await
        .expect("demo");
    let id = credentials.examples["battery_passport_id"]
        .as_str()
        .expect("battery passport id")
        .to_owned();
    let link = credentials.examples["battery_passport_digital_link"]
        .as_str()
        .expect("digital link");
    assert!(
        link.starts_with("https://id.gs1.org/01/") && link.contains("/21/"),
        "{link}"
    );
    let packmaker: junkan_model::ids::OrganizationId = credentials.examples["packmaker_organization_id"]
        .as_str()
        .expect("packmaker")
        .parse()
        .expect("id");
    let token = app
        .client_token(packmaker, &[junkan_model::principal::Role::Member])
        .await;
    let exported = app
        .get(&format!("/api/v1/passports/{id}/export?format=batterypass"), &token)
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    for (aspect, file) in junkan_passport::export::BATTERY_PASS_ASPECTS {
        let path = format!("{}/../../testdata/batterypass/{file}", env!("CARGO_MANIFEST_DIR"));
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
        let validator = jsonschema::options().build(&schema).expect("compiles");
        let errors: Vec<String> = validator
            .iter_errors(&exported.body[aspect])
            .map(|error| error.to_string())
            .collect();
        assert!(errors.is_empty(), "{aspect}: {errors:?}");
    }
    let public = app
        .call(
            "GET",
            &format!("/api/v1/passports/{id}/export?format=batterypass"),
            None,
            None,
        )
        .await;
    assert_ne!(
        public.body, exported.body,
        "the public export leaves restricted attributes out"
    );
    let versions = app
        .call("GET", &format!("/api/v1/passports/{id}/versions"), None, None)
        .await;
    let statuses: Vec<&str> = versions
        .body
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|version| version["status"].as_str())
        .collect();
    assert_eq!(statuses, ["original", "in_use", "waste"]);
}

/// A change made through the API shows at once in the resolver's public JSON view, which is
/// cached between requests.
#[tokio::test]
async fn api_writes_refresh_the_resolvers_cached_views() {
    let app = TestApp::new().await;
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            battery("https://id.gs1.org/01/04912345000019/21/CACHE-1"),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let resolve = || async {
        app.send(
            Request::get("/01/04912345000019/21/CACHE-1")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await
    };
    let before = resolve().await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let before_text = before.body.to_string();
    assert!(before_text.contains("original"), "{before_text}");
    let changed = app
        .call(
            "PATCH",
            &format!("/api/v1/passports/{id}"),
            Some(&app.token_a),
            Some(json!({"status": "repurposed"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let after = resolve().await.body.to_string();
    assert!(
        after.contains("repurposed") && !after.contains("\"original\""),
        "{after}"
    );
}
