//! Organization scopes of `GET /api/v1/indicators/{name}` (issue 6): the WBCSD CTI and the
//! company MCI of an organization computed from the events at its facilities, the passports and
//! ledgers of its lots and what later events did with its outputs, with provenance; bad scopes
//! and periods as problem+json; an organization the caller may not see, events withheld from
//! it, and quantities in units without a conversion reported as not computable, never as 0.

mod support;

use axum::http::{header, StatusCode};
use serde_json::{json, Value};

use support::{error_paths, TestApp};

/// A's plant and B's recycling plant.
const A_GLN: &str = "4512345000011";
const A_READ_POINT: &str = "urn:epc:id:sgln:4512345.00001.0";
const B_GLN: &str = "4598765000015";
const B_READ_POINT: &str = "urn:epc:id:sgln:4598765.00001.0";
const FLAKES: &str = "urn:epc:class:lgtin:4512345.012345.FLAKE-1";
const VIRGIN: &str = "urn:epc:class:lgtin:4512345.012345.VIRGIN-1";
const BLEND: &str = "urn:epc:class:lgtin:4512345.012345.BLEND-1";
const PELLETS: &str = "urn:epc:class:lgtin:4512345.012345.PELLET-1";
const SCRAP: &str = "urn:epc:class:lgtin:4512345.012345.SCRAP-1";
const REGRANULATE: &str = "urn:epc:class:lgtin:4598765.012345.REGRIND-1";
const PERIOD: &str = "2026-04-01/2027-03-31";

async fn plant(app: &TestApp, token: &str, gln: &str) -> String {
    let reply = app
        .post(
            "/api/v1/facilities",
            token,
            json!({"name_ja": "工場", "name_en": "Plant", "facility_type": "recycling_plant",
                   "local_government_code": "232114", "gln": gln, "visibility": "restricted"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn list(lots: &[(&str, &str, &str)]) -> Vec<Value> {
    lots.iter()
        .map(|(class, quantity, uom)| {
            json!({"epcClass": class, "quantity": quantity.parse::<f64>().expect("number"), "uom": uom})
        })
        .collect()
}

fn transformation(
    day: u32,
    read_point: &str,
    step: &str,
    inputs: &[(&str, &str, &str)],
    outputs: &[(&str, &str, &str)],
) -> Value {
    json!({"type": "TransformationEvent", "eventTime": format!("2026-05-{day:02}T10:00:00+09:00"),
           "eventTimeZoneOffset": "+09:00", "bizStep": step, "readPoint": {"id": read_point},
           "inputQuantityList": list(inputs), "outputQuantityList": list(outputs)})
}

fn object_event(day: u32, read_point: &str, step: &str, lots: &[(&str, &str, &str)]) -> Value {
    json!({"type": "ObjectEvent", "action": "OBSERVE", "eventTime": format!("2026-05-{day:02}T09:00:00+09:00"),
           "eventTimeZoneOffset": "+09:00", "bizStep": step, "readPoint": {"id": read_point},
           "quantityList": list(lots)})
}

async fn capture(app: &TestApp, token: &str, events: Vec<Value>) {
    let document = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                                       {"jkcbv": "urn:junkan:cbv:"}],
                          "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-31T00:00:00Z",
                          "epcisBody": {"eventList": events}});
    let reply = app.post("/epcis/capture", token, document).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let location = reply.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let job = app.get(&location, token).await;
    assert_eq!(job.body["success"], json!(true), "{}", job.body);
}

/// A plastics passport of `lot` (public) stating its recycled content, and its recyclable share
/// when given.
async fn passport(app: &TestApp, lot: &str, recycled: (u32, u32), recyclable: Option<u32>) {
    let mut data = junkan_passport::builtin::example("plastics").expect("example");
    data["recycledContent"] = json!({"preConsumer": recycled.0, "postConsumer": recycled.1,
                                     "total": recycled.0 + recycled.1, "claimBasis": "third-party verified"});
    match recyclable {
        Some(share) => data["recyclability"] = json!({"share": share, "basis": "mono-material"}),
        None => {
            data.as_object_mut().expect("object").remove("recyclability");
        }
    }
    let reply = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": lot, "granularity": "batch", "profile": "plastics", "visibility": "public", "data": data}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or_else(|| panic!("a number, got {value}"))
}

/// `value` is `expected` as presented: shares to 6 decimal places, half to even.
fn close(value: &Value, expected: f64) {
    assert!((number(value) - expected).abs() <= 5e-7, "{value} ≠ {expected}");
}

/// A compounds 1 t of flakes (received and consumed: one flow) and 1 t of virgin resin into a
/// blend it turns into pellets and scrap in the same period; B recycles 450 kg of the pellets and
/// burns the scrap. The hand computation:
///
/// - inflow: flakes 1.0 t at 100 % recycled (10 % pre-, 90 % post-consumer, their passport) +
///   virgin 1.0 t at 0 % (its passport) = 2.0 t, circular 1.0 t → 50 %;
/// - the blend (1.9 t) is made and used again inside A: internal, no flow;
/// - outflow: pellets 1.8 t (recyclable 80 % by their passport; 0.45 t recycled by B) + scrap
///   0.1 t (no passport; burnt with energy recovery by B: not circular) = 1.9 t, circular 0.45 t
///   → 0.45 / 1.9 = 23.684210526 %; the pellets' cti input is potential 0.8, actual recovery
///   0.45 / (1.8 × 0.8) = 0.3125;
/// - circularity (1.0 + 0.45) / (2.0 + 1.9) = 37.179487179 %.
async fn compounding_scenario(app: &TestApp) {
    plant(app, &app.token_a, A_GLN).await;
    plant(app, &app.token_b, B_GLN).await;
    passport(app, FLAKES, (10, 90), None).await;
    passport(app, VIRGIN, (0, 0), None).await;
    passport(app, PELLETS, (5, 45), Some(80)).await;
    capture(
        app,
        &app.token_a,
        vec![
            object_event(2, A_READ_POINT, "receiving", &[(FLAKES, "1000", "KGM")]),
            transformation(
                3,
                A_READ_POINT,
                "commissioning",
                &[(FLAKES, "1000", "KGM"), (VIRGIN, "1", "TNE")],
                &[(BLEND, "1900", "KGM")],
            ),
            transformation(
                4,
                A_READ_POINT,
                "commissioning",
                &[(BLEND, "1900", "KGM")],
                &[(PELLETS, "1800", "KGM"), (SCRAP, "100", "KGM")],
            ),
        ],
    )
    .await;
    capture(
        app,
        &app.token_b,
        vec![
            transformation(
                20,
                B_READ_POINT,
                "jkcbv:BizStep-material_recycling",
                &[(PELLETS, "450", "KGM")],
                &[(REGRANULATE, "440", "KGM")],
            ),
            object_event(
                21,
                B_READ_POINT,
                "jkcbv:BizStep-energy_recovery",
                &[(SCRAP, "100", "KGM")],
            ),
        ],
    )
    .await;
}

async fn grant_events(app: &TestApp, from_token: &str, to: &str) -> String {
    let grant = app
        .post(
            "/api/v1/grants",
            from_token,
            json!({"grantee": {"type": "organization", "organization_id": to}, "record_kind": "event",
                   "level": "legitimate_interest", "purpose": "再資源化の証明", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    grant.body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_organizations_cti_is_computed_from_its_events_with_provenance() {
    let app = TestApp::new().await;
    compounding_scenario(&app).await;
    let path = format!("/api/v1/indicators/cti?scope=organization:{}&period={PERIOD}", app.a);

    // Before B shares its events, what became of A's outputs is withheld from A: the outflow
    // values are not computable (never 0), the inflow is.
    let before = app.get(&path, &app.token_a).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert_eq!(before.body["computable"], false);
    close(&before.body["result"]["circular_inflow_pct"], 50.0);
    assert_eq!(before.body["result"]["circular_outflow_pct"], Value::Null);
    assert_eq!(before.body["result"]["circularity_pct"], Value::Null);
    let missing = before.body["missing"].as_array().expect("missing");
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing.iter().all(|entry| entry["flow"] == "outflow"
        && entry["reason"]
            .as_str()
            .expect("reason")
            .contains("withheld from you (B株式会社)")));

    let grant = grant_events(&app, &app.token_b, &app.a.to_string()).await;
    let reply = app.get(&path, &app.token_a).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["computable"], true, "{body}");
    assert_eq!(body["scope"], format!("organization:{}", app.a));
    assert_eq!(body["organization"]["href"], format!("/api/v1/organizations/{}", app.a));
    assert_eq!(body["period"]["from"], "2026-04-01");
    assert_eq!(body["facilities"][0]["gln"], A_GLN);
    let result = &body["result"];
    close(&result["circular_inflow_pct"], 50.0);
    close(&result["circular_outflow_pct"], 0.45 / 1.9 * 100.0);
    close(&result["circularity_pct"], 1.45 / 3.9 * 100.0);
    close(&result["inflow_mass"], 2.0);
    close(&result["outflow_mass"], 1.9);
    assert_eq!(result["unit"], "t");
    // Numerators and denominators.
    let ratios = &body["computation"]["provenance"]["ratios"];
    let exact = |value: &Value| value.as_str().expect("decimal text").parse::<f64>().expect("decimal");
    assert_eq!(
        (
            exact(&ratios["circularity_pct"]["numerator"]),
            exact(&ratios["circularity_pct"]["denominator"])
        ),
        (1.45, 3.9)
    );

    // Inflows with their sources and events; the blend is internal.
    let inflows = body["inflows"].as_array().expect("inflows");
    assert_eq!(inflows.len(), 2);
    let flakes = &inflows[0];
    assert!(
        flakes["lot"].as_str().expect("lot").ends_with("/10/FLAKE-1"),
        "{flakes}"
    );
    assert_eq!(flakes["mass_t"], "1");
    assert_eq!(
        flakes["events"].as_array().expect("events").len(),
        2,
        "receipt and consumption"
    );
    assert_eq!(flakes["source"]["kind"], "passport");
    assert_eq!(flakes["source"]["pointer"], "/recycledContent");
    assert_eq!(flakes["share"]["post_consumer_pct"], "90");
    let event = flakes["events"][0]["href"].as_str().expect("href");
    assert_eq!(app.get(event, &app.token_a).await.status, StatusCode::OK);
    assert_eq!(
        app.get(flakes["source"]["href"].as_str().expect("href"), &app.token_a)
            .await
            .status,
        StatusCode::OK
    );
    assert!(body["internal"][0]["lot"]
        .as_str()
        .expect("lot")
        .ends_with("/10/BLEND-1"));
    assert_eq!(body["internal"][0]["mass_t"], "1.9");

    // Outflows: recovery potential from the pellets' passport, fate from B's events.
    let outflows = body["outflows"].as_array().expect("outflows");
    let pellets = &outflows[0];
    assert_eq!(pellets["recovery_potential_pct"], "80");
    assert_eq!(pellets["fate"]["recovered_t"], "0.45");
    assert_eq!(pellets["fate"]["routes"], json!({"recycling": "0.45"}));
    assert_eq!(pellets["fate"]["events"][0]["step"], "material_recycling");
    let scrap = &outflows[1];
    assert_eq!(scrap["recovery_potential_pct"], Value::Null);
    assert!(scrap["potential_unknown"]
        .as_str()
        .expect("why")
        .contains("no passport"));
    assert_eq!(scrap["fate"]["routes"], json!({"energy_recovery": "0.1"}));
    assert_eq!(body["input"]["outflows"][0]["recovery_potential"], "0.8");
    assert_eq!(body["input"]["outflows"][0]["actual_recovery"], "0.3125");

    // ISO 59020-style shares.
    let inflow_shares = &body["flow_shares"]["inflow"]["values"];
    close(&inflow_shares["recycled_pct"], 50.0);
    close(&inflow_shares["pre_consumer_pct"], 5.0);
    close(&inflow_shares["post_consumer_pct"], 45.0);
    close(&inflow_shares["non_circular_pct"], 50.0);
    let outflow_shares = &body["flow_shares"]["outflow"]["values"];
    close(&outflow_shares["recycling_pct"], 0.45 / 1.9 * 100.0);
    close(&outflow_shares["energy_recovery_pct"], 0.1 / 1.9 * 100.0);
    close(&outflow_shares["not_recorded_pct"], 1.35 / 1.9 * 100.0);
    assert_eq!(
        outflow_shares["recovery_potential_pct"],
        Value::Null,
        "the scrap states none"
    );

    // The input reproduces the computation through the route that takes inputs.
    let again = app
        .post("/api/v1/indicators/cti", &app.token_a, body["input"].clone())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["result"], body["computation"]["result"]);

    // A read B's events under B's grant, and B sees that in its audit log.
    let audit = app
        .get(
            &format!("/api/v1/audit?action=read&owner_organization_id={}", app.b),
            &app.token_b,
        )
        .await;
    let entries = audit.body["items"].as_array().expect("items");
    assert!(
        entries.iter().any(|entry| entry["grant_id"] == grant.as_str()
            && entry["actor_organization_id"] == app.a.to_string()
            && entry["record_kind"] == "event"),
        "{entries:?}"
    );
}

#[tokio::test]
async fn organization_scopes_refuse_bad_scopes_and_periods() {
    let app = TestApp::new().await;
    let cases = [
        (
            "scope=organization:not-a-uuid&period=2026",
            StatusCode::UNPROCESSABLE_ENTITY,
            "?scope",
        ),
        ("scope=organization", StatusCode::UNPROCESSABLE_ENTITY, "?scope"),
        (
            "scope=organization:{a}&period=2026-04-01/2026-03-31",
            StatusCode::UNPROCESSABLE_ENTITY,
            "?period",
        ),
        ("scope=organization:{a}", StatusCode::UNPROCESSABLE_ENTITY, "?period"),
        (
            "scope=organization:{a}&period=2026-13-01/2027-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "?period",
        ),
    ];
    for (query, status, path) in cases {
        let query = query.replace("{a}", &app.a.to_string());
        let reply = app.get(&format!("/api/v1/indicators/cti?{query}"), &app.token_a).await;
        assert_eq!(reply.status, status, "{query}: {}", reply.body);
        assert_eq!(
            reply.headers[header::CONTENT_TYPE].to_str().expect("ascii"),
            "application/problem+json"
        );
        assert!(
            error_paths(&reply.body).contains(&path.to_owned()),
            "{query}: {}",
            reply.body
        );
    }
    let ends_before = app
        .get(
            &format!(
                "/api/v1/indicators/cti?scope=organization:{}&period=2026-04-01/2026-03-31",
                app.a
            ),
            &app.token_a,
        )
        .await;
    assert!(ends_before.body.to_string().contains("before it starts"));
    // An organization that does not exist, and an indicator not computed for organizations.
    let unknown = app
        .get(
            &format!(
                "/api/v1/indicators/cti?scope=organization:{}&period=2026",
                uuid::Uuid::new_v4()
            ),
            &app.token_a,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let unsupported = app
        .get(
            &format!("/api/v1/indicators/cmu?scope=organization:{}&period=2026", app.a),
            &app.token_a,
        )
        .await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST, "{}", unsupported.body);
}

#[tokio::test]
async fn another_organization_sees_only_what_it_may_read() {
    let app = TestApp::new().await;
    compounding_scenario(&app).await;
    let path = format!("/api/v1/indicators/cti?scope=organization:{}&period=2026", app.a);

    // B cannot read A's (restricted) facility: nothing of A's flows is known to B.
    let hidden = app.get(&path, &app.token_b).await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.body);
    assert_eq!(hidden.body["computable"], false);
    assert_eq!(hidden.body["facilities"], json!([]));
    assert_eq!(hidden.body["inflows"], json!([]));
    for output in ["circular_inflow_pct", "circular_outflow_pct", "circularity_pct"] {
        assert_eq!(hidden.body["result"][output], Value::Null, "{output}");
    }
    assert!(hidden.body["not_computable"][0]["reason"]
        .as_str()
        .expect("reason")
        .contains("no facility of the organization that you may read"));

    // With A's facilities shared but not its events, the events are listed as withheld (by
    // owner and count, nothing of their content) and still nothing is computed.
    let facility_grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b.to_string()}, "record_kind": "facility",
                   "level": "legitimate_interest", "purpose": "取引先評価", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(facility_grant.status, StatusCode::CREATED, "{}", facility_grant.body);
    let withheld = app.get(&path, &app.token_b).await;
    assert_eq!(withheld.body["facilities"][0]["gln"], A_GLN, "{}", withheld.body);
    assert_eq!(
        withheld.body["withheld"],
        json!([{"owner_organization_id": app.a.to_string(), "owner_name": "A株式会社", "events": 3}])
    );
    assert_eq!(withheld.body["inflows"], json!([]));
    assert_eq!(withheld.body["result"]["circular_inflow_pct"], Value::Null);
    assert!(!withheld.body.to_string().contains("FLAKE-1"), "{}", withheld.body);

    // With A's events shared too, B computes what A computes for itself (B's own events show
    // the pellets' fate), and A sees the reads in its audit log.
    let event_grant = grant_events(&app, &app.token_a, &app.b.to_string()).await;
    let shared = app.get(&path, &app.token_b).await;
    assert_eq!(shared.body["computable"], true, "{}", shared.body);
    close(&shared.body["result"]["circularity_pct"], 1.45 / 3.9 * 100.0);
    let audit = app
        .get(
            &format!("/api/v1/audit?action=read&owner_organization_id={}", app.a),
            &app.token_a,
        )
        .await;
    let entries = audit.body["items"].as_array().expect("items");
    for (kind, grant) in [("facility", &facility_grant.body["id"]), ("event", &json!(event_grant))] {
        assert!(
            entries.iter().any(|entry| entry["record_kind"] == kind
                && entry["grant_id"] == *grant
                && entry["actor_organization_id"] == app.b.to_string()),
            "{kind} read audited: {entries:?}"
        );
    }
}

#[tokio::test]
async fn quantities_without_a_conversion_leave_their_side_not_computable() {
    let app = TestApp::new().await;
    plant(&app, &app.token_a, A_GLN).await;
    passport(&app, FLAKES, (0, 100), None).await;
    passport(&app, VIRGIN, (0, 0), None).await;
    // The virgin resin is given in litres: mixed units without a conversion.
    capture(
        &app,
        &app.token_a,
        vec![transformation(
            3,
            A_READ_POINT,
            "commissioning",
            &[(FLAKES, "500", "KGM"), (VIRGIN, "600", "LTR")],
            &[(PELLETS, "1", "TNE")],
        )],
    )
    .await;
    let reply = app
        .get(
            &format!("/api/v1/indicators/cti?scope=organization:{}&period=2026", app.a),
            &app.token_a,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["result"]["circular_inflow_pct"], Value::Null, "{body}");
    assert_eq!(body["result"]["circularity_pct"], Value::Null);
    // The outflow does not depend on the litres: no later event recovered the pellets.
    close(&body["result"]["circular_outflow_pct"], 0.0);
    let missing = &body["missing"][0];
    assert_eq!(missing["flow"], "inflow");
    assert!(missing["lot"].as_str().expect("lot").ends_with("/10/VIRGIN-1"));
    assert!(
        missing["reason"]
            .as_str()
            .expect("reason")
            .contains("mixed units without a conversion"),
        "{missing}"
    );
    assert!(body["not_computable"]
        .as_array()
        .expect("list")
        .iter()
        .any(|entry| entry["output"] == "circular_inflow_pct"));
}

/// A profile whose passports give the inputs of a product MCI.
fn mci_profile() -> Value {
    json!({"code": "mci_resin", "version": "1.0.0", "industry": "plastics",
        "name": {"ja": "樹脂製品", "en": "Resin product"}, "description": {"ja": "試験用", "en": "for tests"},
        "granularities": ["batch"], "default_access": "public",
        "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": {"mass": {"type": "number"}, "recycled": {"type": "number"}, "collected": {"type": "number"}}},
        "fields": [
            {"pointer": "/mass", "access": "public", "information": "availability", "label": {"ja": "質量", "en": "Mass"}, "unit": "kg"},
            {"pointer": "/recycled", "access": "public", "information": "environmental_value", "label": {"ja": "再生材", "en": "Recycled"}, "unit": "%"},
            {"pointer": "/collected", "access": "legitimate_interest", "information": "environmental_value", "label": {"ja": "回収率", "en": "Collected"}, "unit": "%"}],
        "indicators": {"mci": {"M": {"$from": "/mass"}, "F_R": {"$from": "/recycled", "$scale": "0.01"}, "F_U": {"$value": 0},
            "C_R": {"$from": "/collected", "$scale": "0.01"}, "C_U": {"$value": 0}, "E_F": {"$value": 1}, "E_C": {"$value": 1},
            "L_ratio": {"$value": 1}, "U_ratio": {"$value": 1}}}})
}

#[tokio::test]
async fn the_company_mci_weights_each_products_mci_by_the_mass_put_out() {
    let app = TestApp::new().await;
    plant(&app, &app.token_a, A_GLN).await;
    let registered = app.post("/api/v1/profiles", &app.token_node_admin, mci_profile()).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
    // Product MCIs (E_F = E_C = 1, X = 1): LFI = (V + W0) / 2M, MCI = 1 - 0.9 LFI.
    // Pellets: F_R 0.5, C_R 0.5 → LFI 0.5, MCI 0.55. Scrap: F_R 0, C_R 0 → LFI 1, MCI 0.1.
    for (lot, recycled, collected) in [(PELLETS, 50, 50), (SCRAP, 0, 0)] {
        let reply = app
            .post(
                "/api/v1/passports",
                &app.token_a,
                json!({"identifier": lot, "granularity": "batch", "profile": "mci_resin", "visibility": "public",
                       "data": {"mass": 1000, "recycled": recycled, "collected": collected}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    capture(
        &app,
        &app.token_a,
        vec![transformation(
            3,
            A_READ_POINT,
            "commissioning",
            &[(FLAKES, "2", "TNE")],
            &[(PELLETS, "1500", "KGM"), (SCRAP, "500", "KGM")],
        )],
    )
    .await;
    let path = format!(
        "/api/v1/indicators/company-mci?scope=organization:{}&period=2026",
        app.a
    );
    let owner = app.get(&path, &app.token_a).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
    assert_eq!(owner.body["computable"], true, "{}", owner.body);
    // (1.5 × 0.55 + 0.5 × 0.1) / 2.0 = 0.4375.
    close(&owner.body["result"]["MCI"], 0.4375);
    assert_eq!(
        owner.body["input"]["products"][0],
        json!({"name": owner.body["products"][0]["lot"], "M": "1.5", "MCI": "0.55"})
    );
    assert!(owner.body["products"][0]["passport"]["href"]
        .as_str()
        .expect("href")
        .starts_with("/api/v1/passports/"));

    // Another organization allowed to read A's facility and events, but not the collection
    // rate (legitimate interest) in the passports: not computable, with the reason.
    for kind in ["facility", "event"] {
        let grant = app
            .post(
                "/api/v1/grants",
                &app.token_a,
                json!({"grantee": {"type": "organization", "organization_id": app.b.to_string()}, "record_kind": kind,
                       "level": "legitimate_interest", "purpose": "評価", "expires_at": "2099-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    }
    let outsider = app.get(&path, &app.token_b).await;
    assert_eq!(outsider.status, StatusCode::OK, "{}", outsider.body);
    assert_eq!(outsider.body["result"]["MCI"], Value::Null, "{}", outsider.body);
    assert!(outsider.body["missing"][0]["reason"]
        .as_str()
        .expect("reason")
        .contains("/collected (withheld)"));
}

/// An item's recycled share comes from its own passport, else from its product model's (the
/// class of its identifier, here the vehicle's GTIN), and the answer says which passport stated
/// it (`source.basis`, as `mass_from.basis` says which one weighed it). A receives two vehicles
/// of one model (no quantities: each is weighed by a passport). Hand computation: the model's
/// passport states 1,850 kg and 15.18 % recycled (3.9 % pre-, 11.28 % post-consumer); V1 has no
/// passport of its own, so it is 1.85 t at 15.18 % (model); V2's own passport states 1,850 kg at
/// 20 % (item). Circular inflow (1.85 × 15.18 + 1.85 × 20) / 3.7 = 17.59 %.
#[tokio::test]
async fn an_items_recycled_share_falls_back_to_its_models_passport() {
    const MODEL: &str = "https://id.gs1.org/01/04512345123451";
    let app = TestApp::new().await;
    plant(&app, &app.token_a, A_GLN).await;
    let mut model = junkan_passport::builtin::example("vehicle").expect("the shipped vehicle example");
    model.as_object_mut().expect("object").remove("item");
    model["recycledContent"] = json!({"total": 15.18, "preConsumer": 3.9, "postConsumer": 11.28, "source": "declared"});
    let mut own = junkan_passport::builtin::example("vehicle").expect("the shipped vehicle example");
    own["recycledContent"] = json!({"total": 20, "preConsumer": 5, "postConsumer": 15, "source": "declared"});
    for (identifier, granularity, data) in [
        (MODEL.to_owned(), "model", model),
        (format!("{MODEL}/21/V2"), "item", own),
    ] {
        let reply = app
            .post(
                "/api/v1/passports",
                &app.token_b,
                json!({"identifier": identifier, "granularity": granularity, "profile": "vehicle",
                       "visibility": "public", "data": data}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    capture(
        &app,
        &app.token_a,
        vec![
            json!({"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-05-02T09:00:00+09:00",
                    "eventTimeZoneOffset": "+09:00", "bizStep": "receiving", "readPoint": {"id": A_READ_POINT},
                    "epcList": [format!("{MODEL}/21/V1"), format!("{MODEL}/21/V2")]}),
        ],
    )
    .await;
    let reply = app
        .get(
            &format!("/api/v1/indicators/cti?scope=organization:{}&period=2026", app.a),
            &app.token_a,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["result"]["circular_inflow_pct"], json!(17.59), "{body}");
    let inflows = body["inflows"].as_array().expect("inflows");
    let described: Vec<(String, Value, Value, Value)> = inflows
        .iter()
        .map(|inflow| {
            (
                inflow["lot"]
                    .as_str()
                    .expect("lot")
                    .rsplit('/')
                    .next()
                    .expect("serial")
                    .to_owned(),
                inflow["share"]["recycled_share_pct"].clone(),
                inflow["source"]["basis"].clone(),
                inflow["mass_from"]["basis"].clone(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("V1".to_owned(), json!("15.18"), json!("model"), json!("model")),
            ("V2".to_owned(), json!("20"), json!("item"), json!("item")),
        ]
    );
    assert_eq!(inflows[0]["source"]["kind"], "passport");
    assert!(inflows[0]["source"]["href"]
        .as_str()
        .expect("href")
        .starts_with("/api/v1/passports/"));
    assert_eq!(inflows[0]["source"]["pointer"], "/recycledContent");
}
