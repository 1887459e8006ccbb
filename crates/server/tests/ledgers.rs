//! Chain-of-custody ledgers (CoC 台帳) through the HTTP API: every route, every bad input of
//! issue 6 that concerns the ledger (shares outside 0-100 %, negative masses, periods ending
//! before they start, mixed units without a conversion, over-claims, double counting) as
//! problem+json, inputs imported from captured TransformationEvents with shares from passports,
//! and the stored-ledger scopes of `GET /api/v1/indicators/{name}`.

mod support;

use axum::http::{header, StatusCode};
use serde_json::{json, Value};

use support::{error_paths, Reply, TestApp};

const GLN: &str = "4512345000011";
const READ_POINT: &str = "urn:epc:id:sgln:4512345.00001.0";
const FLAKES: &str = "urn:epc:class:lgtin:4512345.012345.FLAKE-1";
const VIRGIN: &str = "urn:epc:class:lgtin:4512345.012345.VIRGIN-1";
const OIL: &str = "urn:epc:class:lgtin:4512345.012345.OIL-1";
const PELLETS: &str = "urn:epc:class:lgtin:4512345.012345.PELLET-1";
const CATHODE: &str = "https://id.gs1.org/01/04512345123451/10/NMC-1";

fn problem(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE].to_str().expect("ascii"),
        "application/problem+json"
    );
}

async fn plant(app: &TestApp, gln: Option<&str>) -> String {
    let reply = app
        .post(
            "/api/v1/facilities",
            &app.token_a,
            json!({"name_ja": "再生工場", "name_en": "Recycling plant", "facility_type": "recycling_plant",
                   "local_government_code": "232114", "gln": gln, "visibility": "restricted"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().expect("id").to_owned()
}

async fn open(app: &TestApp, body: Value) -> String {
    let reply = app.post("/api/v1/ledgers", &app.token_a, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn transformation(day: u32, inputs: &[(&str, &str, &str)], outputs: &[(&str, &str, &str)]) -> Value {
    let list = |lots: &[(&str, &str, &str)]| -> Vec<Value> {
        lots.iter()
            .map(|(class, quantity, uom)| json!({"epcClass": class, "quantity": quantity.parse::<f64>().expect("number"), "uom": uom}))
            .collect()
    };
    json!({"type": "TransformationEvent", "eventTime": format!("2026-05-{day:02}T10:00:00+09:00"),
           "eventTimeZoneOffset": "+09:00", "bizStep": "commissioning", "readPoint": {"id": READ_POINT},
           "inputQuantityList": list(inputs), "outputQuantityList": list(outputs)})
}

async fn capture(app: &TestApp, events: Vec<Value>) {
    let document = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                          "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-31T00:00:00Z",
                          "epcisBody": {"eventList": events}});
    let reply = app.post("/epcis/capture", &app.token_a, document).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let location = reply.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let job = app.get(&location, &app.token_a).await;
    assert_eq!(job.body["success"], json!(true), "{}", job.body);
}

#[tokio::test]
async fn ledgers_refuse_bad_input_and_over_claims_with_problems() {
    let app = TestApp::new().await;
    let facility = plant(&app, None).await;

    // Periods that end before they start, unknown models, factors not above 0.
    let bad = app
        .post(
            "/api/v1/ledgers",
            &app.token_a,
            json!({"facility_id": facility, "material": "pp", "model": "mass_balance", "period": "2026-04-01/2026-03-31",
                   "conversion_factor": 0}),
        )
        .await;
    problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&bad.body), ["/model", "/period", "/conversion_factor"]);
    assert!(bad.body.to_string().contains("before it starts"), "{}", bad.body);
    let anonymous = app
        .call(
            "POST",
            "/api/v1/ledgers",
            None,
            Some(json!({"facility_id": facility, "material": "pp", "model": "segregated", "period": "2026-04-01/2027-03-31"})),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let id = open(
        &app,
        json!({"facility_id": facility, "material": "pp", "model": "mass_balance_credit", "period": "2026-04-01/2027-03-31",
               "conversion_factor": "0.9", "note": "ISCC PLUS"}),
    )
    .await;
    let inputs = format!("/api/v1/ledgers/{id}/inputs");
    // Shares outside 0-100 %, negative masses, dates outside the period.
    let bad = app
        .post(
            &inputs,
            &app.token_a,
            json!({"lot": "r1", "mass": -1, "unit": "t", "pre_consumer_pct": -5, "post_consumer_pct": 120,
                   "received_on": "2027-04-01"}),
        )
        .await;
    problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_paths(&bad.body),
        ["/mass", "/pre_consumer_pct", "/post_consumer_pct", "/received_on"]
    );
    // Mixed units without a conversion.
    let litres = app
        .post(
            &inputs,
            &app.token_a,
            json!({"lot": "r1", "mass": 10, "unit": "LTR", "recycled_share_pct": 100, "received_on": "2026-05-01"}),
        )
        .await;
    problem(&litres, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(litres.body["detail"]
        .as_str()
        .expect("detail")
        .contains("mixed units without a conversion"));
    for (lot, mass, share) in [("r1", "60", 100), ("v1", "900", 0)] {
        let entered = app
            .post(
                &inputs,
                &app.token_a,
                json!({"lot": lot, "mass": mass, "unit": "t", "recycled_share_pct": share, "received_on": "2026-05-01"}),
            )
            .await;
        assert_eq!(entered.status, StatusCode::CREATED, "{}", entered.body);
    }
    let twice = app
        .post(
            &inputs,
            &app.token_a,
            json!({"lot": "r1", "mass": 60, "unit": "t", "recycled_share_pct": 100, "received_on": "2026-05-02"}),
        )
        .await;
    problem(&twice, StatusCode::CONFLICT);

    // 54 t of credits: an over-claim is refused with a precise problem, and changes nothing.
    let claims = format!("/api/v1/ledgers/{id}/claims");
    let before = app.get(&format!("/api/v1/ledgers/{id}"), &app.token_a).await;
    let over = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "out-1", "mass": 60, "unit": "t", "recycled_share_pct": 100, "claimed_on": "2026-06-01"}),
        )
        .await;
    problem(&over, StatusCode::CONFLICT);
    assert_eq!(
        over.body["detail"],
        "the claim for output lot \"out-1\" needs 60 t of recycled credits but only 54 t are left"
    );
    assert_eq!(error_paths(&over.body), ["/mass"]);
    assert_eq!(
        app.get(&format!("/api/v1/ledgers/{id}"), &app.token_a).await.body,
        before.body
    );
    let bad = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "out-1", "mass": -2, "unit": "t", "recycled_share_pct": 140, "claimed_on": "2026-03-31"}),
        )
        .await;
    assert_eq!(error_paths(&bad.body), ["/mass", "/recycled_share_pct", "/claimed_on"]);
    let first = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "out-1", "mass": "54000", "unit": "kg", "recycled_share_pct": 100, "backed_by": ["r1"],
                   "claimed_on": "2026-06-01"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["credits_t"], "54");
    // Double counting: the same input lot in a second claim.
    let double = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "out-2", "mass": 1, "unit": "t", "recycled_share_pct": 10, "backed_by": ["r1"],
                   "claimed_on": "2026-06-02"}),
        )
        .await;
    problem(&double, StatusCode::CONFLICT);
    assert!(
        double.body["detail"]
            .as_str()
            .expect("detail")
            .contains("already back the claims for out-1 (double counting is refused)"),
        "{}",
        double.body
    );
    let unknown = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "out-3", "mass": 1, "unit": "t", "recycled_share_pct": 0, "backed_by": ["nope"],
                   "claimed_on": "2026-06-02"}),
        )
        .await;
    problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&unknown.body), ["/backed_by/0"]);

    // Trace, reversal (immutable claims), listing, closing.
    let claim_id = first.body["id"].as_str().expect("id");
    let trace = app
        .get(&format!("/api/v1/ledgers/{id}/claims/{claim_id}/trace"), &app.token_a)
        .await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.body);
    assert_eq!(trace.body["inputs"][0]["input"]["lot"], "r1");
    let reversal = format!("/api/v1/ledgers/{id}/claims/{claim_id}/reversal");
    assert_eq!(
        app.post(&reversal, &app.token_a, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let reversed = app
        .post(&reversal, &app.token_a, json!({"reason": "質量の誤り / wrong mass"}))
        .await;
    assert_eq!(reversed.status, StatusCode::CREATED, "{}", reversed.body);
    assert_eq!(reversed.body["reversal"]["reason"], "質量の誤り / wrong mass");
    problem(
        &app.post(&reversal, &app.token_a, json!({"reason": "again"})).await,
        StatusCode::CONFLICT,
    );
    let listed = app
        .get(
            &format!("/api/v1/ledgers?facility_id={facility}&material=PP"),
            &app.token_a,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );
    assert_eq!(
        app.get("/api/v1/ledgers?period=2027-01-01/2026-01-01", &app.token_a)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let closed = app
        .post(&format!("/api/v1/ledgers/{id}/close"), &app.token_a, json!({}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert_eq!(closed.body["balance"]["lapsed_t"], "54", "{}", closed.body["balance"]);
    problem(
        &app.post(&format!("/api/v1/ledgers/{id}/close"), &app.token_a, json!({}))
            .await,
        StatusCode::CONFLICT,
    );
    // Another organization sees none of it.
    assert_eq!(
        app.get(&format!("/api/v1/ledgers/{id}"), &app.token_b).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn inputs_from_events_and_stored_indicators() {
    let app = TestApp::new().await;
    let facility = plant(&app, Some(GLN)).await;
    // B's flakes passport states 98 % recycled (10 pre-, 88 post-consumer), public.
    let passport = app
        .post(
            "/api/v1/passports",
            &app.token_b,
            json!({"identifier": FLAKES, "granularity": "batch", "profile": "plastics", "visibility": "public",
                   "data": junkan_passport::builtin::example("plastics").expect("example")}),
        )
        .await;
    assert_eq!(passport.status, StatusCode::CREATED, "{}", passport.body);
    capture(
        &app,
        vec![transformation(
            10,
            &[(FLAKES, "1000", "KGM"), (VIRGIN, "1", "TNE")],
            &[(PELLETS, "1900", "KGM")],
        )],
    )
    .await;
    let id = open(
        &app,
        json!({"facility_id": facility, "material": "polypropylene", "model": "mass_balance_rolling_average",
               "period": "2026-04-01/2027-03-31", "note": "pellets"}),
    )
    .await;
    // Explicit material fractions are checked, and a refused import enters nothing.
    for (fractions, path) in [
        (
            json!({FLAKES: 2}),
            "/material_fractions/urn:epc:class:lgtin:4512345.012345.FLAKE-1",
        ),
        (json!({"NOT-AN-INPUT": "0.5"}), "/material_fractions/NOT-AN-INPUT"),
    ] {
        let refused = app
            .post(
                &format!("/api/v1/ledgers/{id}/inputs/import-events"),
                &app.token_a,
                json!({"material_fractions": fractions}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["path"], path, "{}", refused.body);
    }
    let untouched = app.get(&format!("/api/v1/ledgers/{id}"), &app.token_a).await;
    assert_eq!(untouched.body["inputs"], json!([]), "{}", untouched.body);
    // A ledger cannot carry its credits into itself; the request body is checked.
    let itself = app
        .post(
            &format!("/api/v1/ledgers/{id}/carry-over"),
            &app.token_a,
            json!({"from_ledger_id": id}),
        )
        .await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", itself.body);
    assert_eq!(itself.body["errors"][0]["path"], "/from_ledger_id");
    let shapeless = app
        .post(
            &format!("/api/v1/ledgers/{id}/carry-over"),
            &app.token_a,
            json!({"from": id}),
        )
        .await;
    assert_eq!(shapeless.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", shapeless.body);
    let imported = app
        .post(
            &format!("/api/v1/ledgers/{id}/inputs/import-events"),
            &app.token_a,
            json!({}),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert_eq!(imported.body["entered"][0]["fraction_source"]["kind"], "whole_lot");
    assert_eq!(imported.body["entered"][0]["share"]["recycled_share_pct"], "98");
    assert_eq!(imported.body["entered"][0]["share_source"]["kind"], "passport");
    assert_eq!(
        imported.body["missing_shares"][0]["lot"],
        "https://id.gs1.org/01/04512345123451/10/VIRGIN-1"
    );
    assert_eq!(
        imported.body["outputs"][0]["lot"],
        "https://id.gs1.org/01/04512345123451/10/PELLET-1"
    );
    assert_eq!(
        imported.body["ledger"]["balance"]["rolling_average_share_pct"],
        Value::Null
    );
    // B may not import into A's ledger.
    assert_eq!(
        app.post(
            &format!("/api/v1/ledgers/{id}/inputs/import-events"),
            &app.token_b,
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let virgin = app
        .post(
            &format!("/api/v1/ledgers/{id}/inputs"),
            &app.token_a,
            json!({"lot": VIRGIN, "mass": 1000, "unit": "kg", "recycled_share_pct": 0, "received_on": "2026-05-10",
                   "evidence": "virgin PP / バージンPP"}),
        )
        .await;
    assert_eq!(virgin.status, StatusCode::CREATED, "{}", virgin.body);
    let claim = app
        .post(
            &format!("/api/v1/ledgers/{id}/claims"),
            &app.token_a,
            json!({"output_lot": PELLETS, "mass": 1900, "unit": "KGM", "recycled_share_pct": 49, "claimed_on": "2026-05-10"}),
        )
        .await;
    assert_eq!(claim.status, StatusCode::CREATED, "{}", claim.body);
    let claim_id = claim.body["id"].as_str().expect("id");
    let trace = app
        .get(&format!("/api/v1/ledgers/{id}/claims/{claim_id}/trace"), &app.token_a)
        .await;
    let links: Vec<&str> = trace.body["inputs"][0]["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|link| link["href"].as_str().expect("href"))
        .collect();
    assert!(links[0].starts_with("/epcis/events/"), "{links:?}");
    assert_eq!(
        app.get(links[0], &app.token_a).await.status,
        StatusCode::OK,
        "{links:?}"
    );
    assert_eq!(
        links[1],
        format!("/api/v1/passports/{}", passport.body["id"].as_str().expect("id"))
    );

    // The stored ledger answers GET /api/v1/indicators/mass-balance for the facility.
    let computed = app
        .get(
            &format!("/api/v1/indicators/mass-balance?scope=facility:{facility}&period=2026"),
            &app.token_a,
        )
        .await;
    assert_eq!(computed.status, StatusCode::OK, "{}", computed.body);
    assert_eq!(computed.body["period"], "2026-04-01/2027-03-31");
    let result = &computed.body["result"]["polypropylene 2026-04-01/2027-03-31"];
    assert_eq!(result["rolling_average_share_pct"].as_f64(), Some(49.0), "{result}");
    assert_eq!(
        computed.body["ledgers"][0]["claims"][0]["output_lot"],
        "https://id.gs1.org/01/04512345123451/10/PELLET-1"
    );
    let others = app
        .get(
            &format!("/api/v1/indicators/mass-balance?scope=facility:{facility}&period=2026"),
            &app.token_b,
        )
        .await;
    assert_eq!(others.body["ledgers"], json!([]));
    assert!(others.body["not_computable"][0]
        .as_str()
        .expect("reason")
        .contains("no ledger"));
    let unsupported = app
        .get(
            "/api/v1/indicators/mass-balance?scope=region:232114&period=2026",
            &app.token_a,
        )
        .await;
    problem(&unsupported, StatusCode::BAD_REQUEST);
    assert!(unsupported.body["detail"]
        .as_str()
        .expect("detail")
        .contains("supported scopes for mass-balance: facility"));
    let backwards = app
        .get(
            &format!("/api/v1/indicators/mass-balance?scope=facility:{facility}&period=2027-01-01/2026-01-01"),
            &app.token_a,
        )
        .await;
    problem(&backwards, StatusCode::UNPROCESSABLE_ENTITY);

    // A quantity in litres without a conversion refuses the import.
    let tank = plant(&app, Some("4512345000028")).await;
    let mut oil = transformation(
        12,
        &[(OIL, "500", "LTR")],
        &[("urn:epc:class:lgtin:4512345.012345.FUEL-1", "400", "KGM")],
    );
    oil["readPoint"] = json!({"id": "urn:epc:id:sgln:4512345.00002.0"});
    capture(&app, vec![oil]).await;
    let litres = open(
        &app,
        json!({"facility_id": tank, "material": "oil", "model": "mass_balance_credit", "period": "2026-04-01/2027-03-31"}),
    )
    .await;
    let refused = app
        .post(
            &format!("/api/v1/ledgers/{litres}/inputs/import-events"),
            &app.token_a,
            json!({}),
        )
        .await;
    problem(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.to_string().contains("mixed units without a conversion"),
        "{}",
        refused.body
    );

    // A cobalt claim for a cathode lot, checked against the battery Regulation's minimums.
    let cobalt = open(
        &app,
        json!({"facility_id": facility, "material": "Co", "model": "mass_balance_credit", "period": "2026-04-01/2027-03-31"}),
    )
    .await;
    for (lot, share, pre, post) in [("recovered-co", 100, 20, 80), ("mined-co", 0, 0, 0)] {
        let entered = app
            .post(
                &format!("/api/v1/ledgers/{cobalt}/inputs"),
                &app.token_a,
                json!({"lot": lot, "mass": if share == 100 { 40 } else { 160 }, "unit": "kg", "recycled_share_pct": share,
                       "pre_consumer_pct": pre, "post_consumer_pct": post, "received_on": "2026-06-01"}),
            )
            .await;
        assert_eq!(entered.status, StatusCode::CREATED, "{}", entered.body);
    }
    let cathode = app
        .post(
            &format!("/api/v1/ledgers/{cobalt}/claims"),
            &app.token_a,
            json!({"output_lot": CATHODE, "mass": 200, "unit": "kg", "recycled_share_pct": 20, "claimed_on": "2026-06-02"}),
        )
        .await;
    assert_eq!(cathode.status, StatusCode::CREATED, "{}", cathode.body);
    let battery = app
        .get(
            &format!("/api/v1/indicators/battery-recycled-content?scope=product:{CATHODE}&period=2026"),
            &app.token_a,
        )
        .await;
    assert_eq!(battery.status, StatusCode::OK, "{}", battery.body);
    let computed = &battery.body["results"][0]["computation"]["result"];
    assert_eq!(
        (
            computed["share_pct"].as_f64(),
            computed["meets_2031"].clone(),
            computed["meets_2036"].clone()
        ),
        (Some(20.0), json!(true), json!(false)),
        "{}",
        battery.body
    );
    assert_eq!(computed["post_consumer_share_pct"].as_f64(), Some(16.0));
    let hidden = app
        .get(
            &format!("/api/v1/indicators/battery-recycled-content?scope=product:{CATHODE}&period=2026"),
            &app.token_b,
        )
        .await;
    assert_eq!(hidden.body["results"], json!([]));
}

/// A rolling-average ledger's window (移動平均) over HTTP: bad windows refused with a precise
/// problem and nothing written (fewer than 1 period, a ledger of another facility or material,
/// a later or repeated period), the window's share read with the ledger, and claims held to it.
/// Hand computation: April 10 t at 20 % and May 20 t at 5 % give 2 + 1 = 3 t recycled of 30 t;
/// June 10 t at 50 % adds 5 t: (3 + 5) / 40 = 20 %, while June alone is 50 %.
#[tokio::test]
async fn rolling_windows_average_consecutive_periods_and_refuse_bad_windows() {
    let app = TestApp::new().await;
    let facility = plant(&app, None).await;
    let other_facility = plant(&app, None).await;
    let model = "mass_balance_rolling_average";
    let month = |facility: &str, material: &str, period: &str| json!({"facility_id": facility, "material": material, "model": model, "period": period});
    let april = open(&app, month(&facility, "pp", "2026-04-01/2026-04-30")).await;
    let may = open(&app, month(&facility, "pp", "2026-05-01/2026-05-31")).await;
    let elsewhere = open(&app, month(&other_facility, "pp", "2026-05-01/2026-05-31")).await;
    let other_material = open(&app, month(&facility, "pe", "2026-05-01/2026-05-31")).await;
    for (ledger, day, mass, share) in [(&april, "2026-04-10", 10, 20), (&may, "2026-05-10", 20, 5)] {
        let reply = app
            .post(
                &format!("/api/v1/ledgers/{ledger}/inputs"),
                &app.token_a,
                json!({"lot": format!("lot-{day}"), "mass": mass, "unit": "t", "recycled_share_pct": share, "received_on": day}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let june = |window: Value| {
        let mut body = month(&facility, "pp", "2026-06-01/2026-06-30");
        body["rolling_window"] = window;
        body
    };
    let refused = [
        (
            json!({"periods": 0}),
            vec!["/rolling_window/periods"],
            "must be 1 or more",
        ),
        (
            json!({"periods": 3, "ledgers": [elsewhere, other_material]}),
            vec!["/rolling_window/ledgers/0", "/rolling_window/ledgers/1"],
            "not this ledger's facility",
        ),
        (
            json!({"periods": 3, "ledgers": [may, may]}),
            vec!["/rolling_window/ledgers/1"],
            "periods of a window cannot overlap",
        ),
        (
            json!({"periods": 2, "ledgers": [april, may]}),
            vec!["/rolling_window/ledgers"],
            "has room for 1 before",
        ),
    ];
    for (window, paths, message) in refused {
        let reply = app.post("/api/v1/ledgers", &app.token_a, june(window.clone())).await;
        problem(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_paths(&reply.body), paths, "{window}: {}", reply.body);
        assert!(reply.body.to_string().contains(message), "{window}: {}", reply.body);
    }
    let credit = app
        .post(
            "/api/v1/ledgers",
            &app.token_a,
            json!({"facility_id": facility, "material": "pe", "model": "mass_balance_credit",
                   "period": "2026-06-01/2026-06-30", "rolling_window": {"periods": 3}}),
        )
        .await;
    problem(&credit, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&credit.body), ["/rolling_window"]);
    let listed = app
        .get(&format!("/api/v1/ledgers?facility_id={facility}"), &app.token_a)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(
        listed.body["items"].as_array().expect("items").len(),
        3,
        "refused windows wrote nothing: {}",
        listed.body
    );

    let june_id = open(&app, june(json!({"periods": 3}))).await;
    let reply = app
        .post(
            &format!("/api/v1/ledgers/{june_id}/inputs"),
            &app.token_a,
            json!({"lot": "lot-june", "mass": 10, "unit": "t", "recycled_share_pct": 50, "received_on": "2026-06-10"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let view = app.get(&format!("/api/v1/ledgers/{june_id}"), &app.token_a).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["ledger"]["rolling_window"], json!({"periods": 3}));
    let window = &view.body["rolling_window"];
    assert_eq!(
        (
            &window["share_pct"],
            &window["input_t"],
            &window["recycled_input_t"],
            &window["short"]
        ),
        (&json!("20"), &json!("40"), &json!("8"), &json!(false)),
        "{window}"
    );
    let used: Vec<&str> = window["used"]
        .as_array()
        .expect("used")
        .iter()
        .map(|period| period["period_from"].as_str().expect("day"))
        .collect();
    assert_eq!(used, ["2026-06-01", "2026-05-01", "2026-04-01"]);
    assert_eq!(view.body["balance"]["rolling_average_share_pct"], json!("50"));

    let claims = format!("/api/v1/ledgers/{june_id}/claims");
    let above = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "o-above", "mass": 4, "unit": "t", "recycled_share_pct": 30, "claimed_on": "2026-06-20"}),
        )
        .await;
    problem(&above, StatusCode::CONFLICT);
    assert!(
        above.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 20 %"),
        "{}",
        above.body
    );
    let accepted = app
        .post(
            &claims,
            &app.token_a,
            json!({"output_lot": "o-1", "mass": 10, "unit": "t", "recycled_share_pct": 20, "claimed_on": "2026-06-20"}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    assert_eq!(accepted.body["credits_t"], json!("2"));
    // The facility's mass balance shows the window with the ledger.
    let balance = app
        .get(
            &format!("/api/v1/indicators/mass-balance?scope=facility:{facility}&period=2026-06-01/2026-06-30"),
            &app.token_a,
        )
        .await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    let june_figures = &balance.body["result"]["pp 2026-06-01/2026-06-30"];
    assert_eq!(
        june_figures["rolling_window"]["share_pct"].as_f64(),
        Some(20.0),
        "{}",
        balance.body
    );
    assert_eq!(june_figures["rolling_window"]["periods_used"], json!(3));
}
