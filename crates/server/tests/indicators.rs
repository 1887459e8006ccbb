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
