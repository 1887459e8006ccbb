//! Circularity indicators through the HTTP API: every worked case of
//! `testdata/indicators/cases.json` computed by `POST /api/v1/indicators/{name}` with the
//! expected values, and bad input answered as problem+json.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use junkan_indicators::cases::{check_result, worked_cases};
use serde_json::{json, Value};

use support::{error_paths, TestApp};

fn cases_file() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/indicators/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("cases.json")).expect("valid JSON")
}

#[tokio::test]
async fn every_worked_case_through_the_api() {
    let app = TestApp::new().await;
    let cases = worked_cases(&cases_file()).expect("cases placed");
    for case in &cases {
        let reply = app
            .call(
                "POST",
                &format!("/api/v1/indicators/{}", case.indicator),
                None,
                Some(case.inputs.clone()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", case.id, reply.body);
        check_result(case, &reply.body["result"]).unwrap_or_else(|mismatch| panic!("{mismatch}"));
        assert_eq!(reply.body["indicator"], case.indicator);
        assert!(reply.body["methodology"].as_str().is_some_and(|text| !text.is_empty()));
        assert_eq!(
            reply.body["provenance"]["inputs"], case.inputs,
            "{}: inputs echoed",
            case.id
        );
    }
    let list = app.call("GET", "/api/v1/indicators", None, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let names: Vec<&str> = list
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|info| info["name"].as_str())
        .collect();
    for case in &cases {
        assert!(names.contains(&case.indicator), "{} listed", case.indicator);
    }
}

#[tokio::test]
async fn bad_input_is_a_problem() {
    let app = TestApp::new().await;
    let unknown = app
        .call("POST", "/api/v1/indicators/circularity", None, Some(json!({})))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body["detail"]
        .as_str()
        .expect("detail")
        .contains("no indicator is named \"circularity\""));

    let invalid = app
        .call(
            "POST",
            "/api/v1/indicators/mass-balance",
            None,
            Some(json!({"period": "2026-03-31/2025-04-01", "period_inputs_t": {"recycled": -1, "virgin": 9}})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.body);
    assert_eq!(error_paths(&invalid.body), ["/period", "/period_inputs_t/recycled"]);

    let over_claim = app
        .call(
            "POST",
            "/api/v1/indicators/mass-balance",
            None,
            Some(json!({"period_inputs_t": {"recycled": 100, "virgin": 900},
                        "claims": [{"output_lot": "A", "mass_t": 101, "recycled_share_pct": 100}]})),
        )
        .await;
    assert_eq!(over_claim.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&over_claim.body), ["/claims/0"]);

    let truncated = app
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/indicators/cmu")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"DMC\": 6000,"))
                .expect("request"),
        )
        .await;
    assert_eq!(truncated.status, StatusCode::BAD_REQUEST);
    let text = app
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/indicators/cmu")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("{}"))
                .expect("request"),
        )
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// `POST /api/v1/indicators/mass-balance` with the earlier periods' inputs (ISO 22095
/// rolling-average percentage method over a window of consecutive periods). Hand computation:
/// January 10 t at 20 % (2 t recycled), February 20 t at 5 % (1 t), March 10 t at 50 % (5 t);
/// the window of three periods ending with March: (5 + 1 + 2) / 40 = 20 %. A claim of 10 t at
/// 20 % draws 2 t of March's own 5 t of credits; at 25 % it is above the window's share and
/// refused, though March alone (50 %) would allow it.
#[tokio::test]
async fn mass_balance_over_a_rolling_window_of_given_periods() {
    let app = TestApp::new().await;
    let input = |share: u32| {
        json!({"model": "mass_balance_rolling_average", "period": "2026-03-01/2026-03-31",
               "input_lots": [{"lot": "march", "mass_t": 10, "recycled_share_pct": 50}],
               "rolling_window": {"periods": 3, "earlier_periods": [
                   {"period": "2026-02-01/2026-02-28", "input_lots": [{"lot": "february", "mass_t": 20, "recycled_share_pct": 5}]},
                   {"period": "2026-01-01/2026-01-31", "period_inputs_t": {"recycled": 2, "virgin": 8}}]},
               "claims": [{"output_lot": "march-out", "mass_t": 10, "recycled_share_pct": share}]})
    };
    let accepted = app
        .call("POST", "/api/v1/indicators/mass-balance", None, Some(input(20)))
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let result = &accepted.body["result"];
    assert_eq!(result["rolling_window"]["share_pct"], json!(20.0));
    assert_eq!(result["rolling_window"]["periods"], json!(3));
    assert_eq!(result["rolling_window"]["used"].as_array().map(Vec::len), Some(3));
    assert_eq!(result["rolling_average"]["share_pct"], json!(50.0));
    assert_eq!(result["claims"][0]["credits_t"], json!("2"));
    assert_eq!(result["credit_method"]["remaining_t"], json!(3.0));
    assert_eq!(
        accepted.body["provenance"]["ratios"]["rolling_window_share_pct"],
        json!({"numerator": "8", "denominator": "40", "meaning": "recycled input mass / total input mass over the window's consecutive periods"})
    );

    let above = app
        .call("POST", "/api/v1/indicators/mass-balance", None, Some(input(25)))
        .await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", above.body);
    assert_eq!(error_paths(&above.body), ["/claims/0"]);

    // Bad windows: a precise pointer for each problem, nothing computed.
    let mut bad = input(20);
    bad["rolling_window"]["earlier_periods"][0]["period"] = json!("2026-02-15/2026-03-10");
    bad["rolling_window"]["earlier_periods"][1] = json!({"period": "2026-01-01/2026-01-31",
        "input_lots": [{"lot": "x", "mass_t": 1, "recycled_share_pct": 120}]});
    let refused = app
        .call("POST", "/api/v1/indicators/mass-balance", None, Some(bad))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(
        refused
            .headers
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().expect("ascii")),
        Some("application/problem+json")
    );
    assert_eq!(
        error_paths(&refused.body),
        [
            "/rolling_window/earlier_periods/0/period",
            "/rolling_window/earlier_periods/1/input_lots/0/recycled_share_pct"
        ]
    );
    let credit = app
        .call(
            "POST",
            "/api/v1/indicators/mass-balance",
            None,
            Some(
                json!({"model": "mass_balance_credit", "period_inputs_t": {"recycled": 1, "virgin": 9},
                        "rolling_window": {"periods": "two"}}),
            ),
        )
        .await;
    assert_eq!(credit.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", credit.body);
    assert_eq!(
        error_paths(&credit.body),
        ["/rolling_window", "/period", "/rolling_window/periods"]
    );
}

/// A profile whose recycled-content template reads a share that only grant holders see.
fn guarded_profile() -> Value {
    json!({"code": "guarded_resin", "version": "1.0.0", "industry": "plastics",
        "name": {"ja": "樹脂", "en": "Resin"}, "description": {"ja": "試験用", "en": "for tests"},
        "granularities": ["batch"], "default_access": "public",
        "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": {"name": {"type": "string"}, "mass": {"type": "number"}, "post": {"type": "number"}}},
        "fields": [
            {"pointer": "/name", "access": "public", "information": "composition", "label": {"ja": "名称", "en": "Name"}},
            {"pointer": "/mass", "access": "public", "information": "availability", "label": {"ja": "質量", "en": "Mass"}, "unit": "kg"},
            {"pointer": "/post", "access": "legitimate_interest", "information": "environmental_value", "label": {"ja": "再生材", "en": "Recycled"}, "unit": "%"}],
        "indicators": {"recycled-content": {"product": {"$from": "/name"},
            "components": [{"material": {"$from": "/name"}, "mass": {"$from": "/mass"}, "unit": {"$value": "kg"},
                            "post_consumer_share": {"$from": "/post", "$scale": "0.01"}}]}}})
}

#[tokio::test]
async fn a_products_indicator_is_computed_from_its_passport_as_the_reader_may_see_it() {
    let app = TestApp::new().await;
    let data = junkan_passport::builtin::example("plastics").expect("plastics example");
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/10/PP-2026-01", "granularity": "batch",
                   "profile": "plastics", "data": data, "visibility": "public"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/indicators/recycled-content?scope=product:{id}");

    // The shipped plastics profile maps its lot mass and pre-/post-consumer percentages.
    let reply = app.get(&path, &app.token_b).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["computable"], true);
    assert_eq!(body["passport"]["profile_version"], "1.2.0");
    assert_eq!(body["passport"]["href"], format!("/api/v1/passports/{id}?version=1"));
    let result = &body["computation"]["result"];
    assert_eq!(
        (
            result["recycled_content_pct"].as_f64(),
            result["pre_consumer_pct"].as_f64(),
            result["post_consumer_pct"].as_f64()
        ),
        (Some(98.0), Some(10.0), Some(88.0)),
        "{body}"
    );
    assert_eq!(body["input"]["components"][0]["post_consumer_share"], "0.88");
    assert!(body["sources"]
        .as_array()
        .expect("sources")
        .contains(&json!({"input": "/components/0/mass", "source": "/quantity/lotMass"})));
    // The input reproduces the figure through the route that takes inputs.
    let again = app
        .post(
            "/api/v1/indicators/recycled-content",
            &app.token_b,
            body["input"].clone(),
        )
        .await;
    assert_eq!(again.body["result"], body["computation"]["result"]);

    // A value withheld from the reader makes the indicator not computable, never 0.
    let registered = app
        .post("/api/v1/profiles", &app.token_node_admin, guarded_profile())
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
    let guarded = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/10/GR-1", "granularity": "batch", "profile": "guarded_resin",
                   "data": {"name": "PP", "mass": 500, "post": 30}, "visibility": "public"}),
        )
        .await;
    assert_eq!(guarded.status, StatusCode::CREATED, "{}", guarded.body);
    let guarded_path = format!(
        "/api/v1/indicators/recycled-content?scope=product:{}",
        guarded.body["id"].as_str().expect("id")
    );
    let outsider = app.get(&guarded_path, &app.token_b).await;
    assert_eq!(outsider.status, StatusCode::OK, "{}", outsider.body);
    assert_eq!(outsider.body["computable"], false);
    assert_eq!(outsider.body["computation"], Value::Null);
    assert_eq!(
        outsider.body["missing"],
        json!([{"input": "/components/0/post_consumer_share", "source": "/post", "reason": "withheld"}])
    );
    let owner = app.get(&guarded_path, &app.token_a).await;
    assert_eq!(
        owner.body["computation"]["result"]["recycled_content_pct"].as_f64(),
        Some(30.0),
        "{}",
        owner.body
    );

    // Bad requests: a period (a product is one passport version), a version elsewhere, a scope
    // that is no passport id, an unknown passport, a profile without a template.
    let with_period = app.get(&format!("{path}&period=2024"), &app.token_b).await;
    assert_eq!(
        with_period.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        with_period.body
    );
    assert_eq!(error_paths(&with_period.body), ["?period"]);
    let version_elsewhere = app
        .get(
            "/api/v1/indicators/jp-material-flow?scope=nation:JP&period=2000&version=1",
            &app.token_b,
        )
        .await;
    assert_eq!(error_paths(&version_elsewhere.body), ["?version"]);
    let not_uuid = app
        .get("/api/v1/indicators/recycled-content?scope=product:PP-1", &app.token_b)
        .await;
    assert_eq!(
        (not_uuid.status, error_paths(&not_uuid.body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["?scope".to_owned()])
    );
    // The passport's identifier in another form (the EPC URN of its Digital Link) names it too.
    let by_identifier = app
        .get(
            "/api/v1/indicators/recycled-content?scope=product:urn:epc:class:lgtin:4912345.000001.PP-2026-01",
            &app.token_b,
        )
        .await;
    assert_eq!(by_identifier.status, StatusCode::OK, "{}", by_identifier.body);
    assert_eq!(by_identifier.body["passport"]["id"], id.as_str());
    let unknown = app
        .get(
            &format!(
                "/api/v1/indicators/recycled-content?scope=product:{}",
                uuid::Uuid::new_v4()
            ),
            &app.token_b,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let no_template = app
        .get(&format!("/api/v1/indicators/mci?scope=product:{id}"), &app.token_b)
        .await;
    assert_eq!(no_template.status, StatusCode::BAD_REQUEST, "{}", no_template.body);
    assert!(no_template.body["detail"]
        .as_str()
        .expect("detail")
        .contains("declares: recyclability, recycled-content"));
    let old_version = app.get(&format!("{path}&version=7"), &app.token_b).await;
    assert_eq!(old_version.status, StatusCode::NOT_FOUND, "{}", old_version.body);
}

/// The shipped home appliance profile (1.1.0) declares the `mci` template: the example
/// refrigerator's MCI from its passport, checked against the hand computation (M = 88 kg,
/// F_R = 0.08, F_U = 0, C_R = 0.66, C_U = 0, E_C = 0.80, E_F = 0.90, L/L_av = 15/13, U = U_av):
/// V = 80.96; W0 = 29.92; W_C = 11.616; W_F = 0.782; W = 36.119; LFI = 117.079 / 170.583 =
/// 0.68635; F(X) = 0.9 / 1.15385 = 0.78; MCI = 1 − 0.53535 = 0.46465.
#[tokio::test]
async fn a_refrigerators_mci_is_computed_from_its_passport() {
    let app = TestApp::new().await;
    let data = junkan_passport::builtin::example("home_appliance").expect("home appliance example");
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/21/MCI-1", "granularity": "item",
                   "profile": "home_appliance", "data": data, "visibility": "public"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let reply = app
        .get(&format!("/api/v1/indicators/mci?scope=product:{id}"), &app.token_b)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["computable"], true, "{body}");
    assert_eq!(body["passport"]["profile_version"], "1.1.0");
    let result = &body["computation"]["result"];
    let mci = result["MCI"]
        .as_f64()
        .or_else(|| result["mci"].as_f64())
        .expect("an MCI value");
    assert!((mci - 0.46465).abs() < 0.0001, "{body}");
    assert_eq!(body["input"]["F_R"], "0.08", "{body}");
    // The same input through the route that takes inputs gives the same figure.
    let again = app
        .post("/api/v1/indicators/mci", &app.token_b, body["input"].clone())
        .await;
    assert_eq!(again.body["result"], body["computation"]["result"]);
}
