//! Lineage across two organizations and a recycling step: what each may see, withheld parts,
//! mass shares, and what a grant changes.

mod support;

use axum::http::StatusCode;
use serde_json::{json, Value};

use support::TestApp;

const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
const WASTE_1: &str = "urn:epc:class:lgtin:4512345.099999.WASTE-1";
const WASTE_2: &str = "urn:epc:class:lgtin:4512345.099999.WASTE-2";
const PELLETS: &str = "urn:epc:class:lgtin:4512345.088888.PELLET-1";
const VIRGIN: &str = "urn:epc:class:lgtin:4512345.077777.VIRGIN-1";
const COMPOUND: &str = "urn:epc:class:lgtin:4512345.066666.COMPOUND-1";

fn transformation(id: &str, inputs: &[(&str, u32)], outputs: &[(&str, u32)], step: &str) -> Value {
    let list = |entries: &[(&str, u32)]| -> Vec<Value> {
        entries
            .iter()
            .map(|(class, kilograms)| json!({"epcClass": class, "quantity": kilograms, "uom": "KGM"}))
            .collect()
    };
    json!({"@context": [CONTEXT, {"jkcbv": "urn:junkan:cbv:"}], "type": "TransformationEvent", "eventID": id,
           "eventTime": "2026-06-01T10:00:00+09:00", "eventTimeZoneOffset": "+09:00",
           "inputQuantityList": list(inputs), "outputQuantityList": list(outputs), "bizStep": step})
}

fn nodes_of(lineage: &Value, kind: &str) -> Vec<String> {
    lineage["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|node| node["kind"] == kind)
        .map(|node| {
            node["identifier"]
                .as_str()
                .or(node["organization_name"].as_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

fn shares(lineage: &Value) -> Vec<(String, String)> {
    lineage["shares"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|share| {
            (
                share["identifier"].as_str().unwrap_or("").to_owned(),
                share["share"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn canonical(id: &str) -> String {
    junkan_epcis::canonical_identifier(id)
}

#[tokio::test]
async fn traces_cross_organizations_with_withheld_parts_and_shares() {
    let app = TestApp::new().await;
    // B recycles two waste lots into pellets; A compounds the pellets with virgin resin.
    let recycle = transformation(
        "urn:uuid:dddddddd-0000-4000-8000-000000000001",
        &[(WASTE_1, 600), (WASTE_2, 400)],
        &[(PELLETS, 820)],
        "jkcbv:BizStep-material_recycling",
    );
    assert_eq!(
        app.post("/epcis/events", &app.token_b, recycle).await.status,
        StatusCode::CREATED
    );
    let compound = transformation(
        "urn:uuid:dddddddd-0000-4000-8000-000000000002",
        &[(PELLETS, 300), (VIRGIN, 700)],
        &[(COMPOUND, 1000)],
        "commissioning",
    );
    assert_eq!(
        app.post("/epcis/events", &app.token_a, compound).await.status,
        StatusCode::CREATED
    );

    let path = format!("/api/v1/lineage?id={COMPOUND}&direction=backward&depth=8");
    let lineage = app.get(&path, &app.token_a).await;
    assert_eq!(lineage.status, StatusCode::OK, "{}", lineage.body);
    assert_eq!(lineage.body["root"], canonical(COMPOUND));
    let mut objects = nodes_of(&lineage.body, "object");
    objects.sort();
    let mut expected = vec![canonical(COMPOUND), canonical(PELLETS), canonical(VIRGIN)];
    expected.sort();
    assert_eq!(objects, expected, "the waste lots are known only through B's event");
    assert_eq!(nodes_of(&lineage.body, "withheld_event"), vec!["B株式会社".to_owned()]);
    assert_eq!(
        nodes_of(&lineage.body, "withheld_object").len(),
        2,
        "two inputs, not named"
    );
    let text = lineage.body.to_string();
    assert!(
        // The withheld quantity, as a JSON string: a bare "600" may occur in a random UUID.
        !text.contains("WASTE") && !text.contains("dddddddd-0000-4000-8000-000000000001") && !text.contains("\"600\""),
        "{text}"
    );
    let mut expected_shares = vec![
        (canonical(PELLETS), "0.3".to_owned()),
        (canonical(VIRGIN), "0.7".to_owned()),
    ];
    expected_shares.sort();
    assert_eq!(shares(&lineage.body), expected_shares);

    // B shares its events with A: the trace reaches the waste, with shares.
    let grant = app
        .post("/api/v1/grants", &app.token_b, json!({
            "grantee": {"type": "organization", "organization_id": app.a.to_string()}, "record_kind": "event",
            "level": "legitimate_interest", "purpose": "再生材含有率の確認 / recycled content", "expires_at": "2099-01-01T00:00:00Z"
        }))
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    let lineage = app.get(&path, &app.token_a).await;
    assert!(nodes_of(&lineage.body, "withheld_event").is_empty());
    let found: Vec<(String, String)> = shares(&lineage.body);
    assert!(
        found.contains(&(canonical(WASTE_1), "0.18".to_owned()))
            && found.contains(&(canonical(WASTE_2), "0.12".to_owned())),
        "{found:?}"
    );
    let audit = app
        .get(
            "/api/v1/audit?action=read&record_id=urn:uuid:dddddddd-0000-4000-8000-000000000001",
            &app.token_b,
        )
        .await;
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(1),
        "B sees that A traced through its event"
    );

    // Forward from a waste lot, as B: its pellets, then A's compounding, withheld.
    let forward = app
        .get(&format!("/api/v1/lineage?id={WASTE_1}&direction=forward"), &app.token_b)
        .await;
    assert!(nodes_of(&forward.body, "object").contains(&canonical(PELLETS)));
    assert_eq!(nodes_of(&forward.body, "withheld_event"), vec!["A株式会社".to_owned()]);

    // Depth bounds the trace.
    let shallow = app
        .get(&format!("/api/v1/lineage?id={COMPOUND}&depth=1"), &app.token_a)
        .await;
    assert_eq!(shallow.body["truncated"], true);
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let app = TestApp::new().await;
    let reply = app
        .get("/api/v1/lineage?depth=0&direction=sideways&colour=red", &app.token_a)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut paths = support::error_paths(&reply.body);
    paths.sort();
    assert_eq!(paths, vec!["?colour", "?direction"]);
    let reply = app.get("/api/v1/lineage?depth=0", &app.token_a).await;
    let mut paths = support::error_paths(&reply.body);
    paths.sort();
    assert_eq!(paths, vec!["?depth", "?id"]);
    let unknown = app
        .get("/api/v1/lineage?id=urn:epc:id:sgtin:4512345.012345.404", &app.token_a)
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        unknown.body["nodes"],
        json!([]),
        "an identifier nobody recorded has no lineage"
    );
}

/// The demo's recycled lots trace back to their sources, with withheld nodes for members that gave
/// no access.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_lots_trace_back_to_their_sources() {
    let app = TestApp::new().await;
    let credentials = junkan_demo::load(app.store.as_ref(), 1, support::ISSUER)
        .await
        .expect("demo loads");
    let token_of = |slug: &str| {
        let login = credentials
            .organizations
            .iter()
            .find(|login| login.slug == slug)
            .expect("slug");
        (login.client_id.clone(), login.client_secret.clone())
    };
    let example = |key: &str| credentials.examples[key].as_str().expect("example").to_owned();
    let trace = |token: String, id: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/lineage?id={}", id.replace('#', "%23")), &token)
                .await
                .body
        }
    };
    let (client, secret) = token_of("cathode");
    let cathode = app.client_token_with(&client, &secret).await;
    let cobalt = trace(cathode, example("recovered_cobalt_lot")).await;
    let objects = nodes_of(&cobalt, "object");
    assert!(
        objects.iter().any(|id| id.ends_with("/10/BM2026-01")),
        "through the refinery (granted) to the black mass: {objects:?}"
    );
    let withheld = nodes_of(&cobalt, "withheld_event");
    // Nobody upstream of the refinery shared with the cathode maker: every step up to the cells is withheld.
    for organization in [
        "ブラックマス再生株式会社",
        "常陸解体工業株式会社",
        "みらい電池パック株式会社",
        "東海セルテック株式会社",
    ] {
        assert!(
            withheld.contains(&organization.to_owned()),
            "{organization} in {withheld:?}"
        );
    }
    assert!(
        !nodes_of(&cobalt, "withheld_object").is_empty(),
        "the battery pack is known only through withheld steps"
    );

    let (client, secret) = token_of("pellet");
    let pellet = trace(
        app.client_token_with(&client, &secret).await,
        example("recycled_pellet_lot"),
    )
    .await;
    assert!(nodes_of(&pellet, "object")
        .iter()
        .any(|id| id.ends_with("/10/PP-FLAKE-07")));
    let withheld = nodes_of(&pellet, "withheld_event");
    assert!(
        withheld.contains(&"関西家電リサイクルセンター株式会社".to_owned())
            && withheld.contains(&"やまと家電株式会社".to_owned()),
        "{withheld:?}"
    );
    assert!(
        !nodes_of(&pellet, "withheld_object").is_empty(),
        "the refrigerator is known only through withheld steps"
    );

    let (client, secret) = token_of("aluminium");
    let billet = trace(
        app.client_token_with(&client, &secret).await,
        example("remelted_billet_lot"),
    )
    .await;
    assert!(nodes_of(&billet, "object")
        .iter()
        .any(|id| id.ends_with("/10/AL-2026-10")));
    let withheld = nodes_of(&billet, "withheld_event");
    assert!(
        !withheld.is_empty() && withheld.iter().all(|name| name == "博多金属スクラップ株式会社"),
        "{withheld:?}"
    );
    let scrap = nodes_of(&billet, "object")
        .into_iter()
        .find(|id| id.ends_with("/10/AL-2026-10"))
        .expect("scrap lot");
    assert_eq!(
        shares(&billet),
        vec![(scrap, "1".to_owned())],
        "the billet is all remelted scrap"
    );
}

/// A transformation at a place (its readPoint, an SGLN).
fn transformation_at(id: &str, input: &str, output: &str, place: &str) -> Value {
    let mut event = transformation(id, &[(input, 100)], &[(output, 90)], "jkcbv:BizStep-material_recycling");
    event["readPoint"] = json!({"id": place});
    event
}

#[tokio::test]
async fn a_grant_of_the_lineage_through_its_facilities_shows_only_events_at_them() {
    let app = TestApp::new().await;
    // A's plant has the GLN 4512345000011; 4512345000028 is a place A has not registered.
    let plant = app
        .post(
            "/api/v1/facilities",
            &app.token_a,
            json!({"name_ja": "再生工場", "name_en": "Recycling plant", "facility_type": "plant", "gln": "4512345000011",
                   "local_government_code": "232114", "address": "愛知県豊田市1-1", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(plant.status, StatusCode::CREATED, "{}", plant.body);
    let at_plant = "urn:uuid:dddddddd-0000-4000-8000-0000000000f1";
    let at_dock = "urn:uuid:dddddddd-0000-4000-8000-0000000000f2";
    let elsewhere = "urn:uuid:dddddddd-0000-4000-8000-0000000000f3";
    for event in [
        transformation_at(at_plant, WASTE_1, PELLETS, "urn:epc:id:sgln:4512345.00001.0"),
        // A sub-location (dock 7) of the plant.
        transformation_at(at_dock, PELLETS, COMPOUND, "urn:epc:id:sgln:4512345.00001.7"),
        transformation_at(elsewhere, COMPOUND, VIRGIN, "urn:epc:id:sgln:4512345.00002.0"),
    ] {
        let captured = app.post("/epcis/events", &app.token_a, event).await;
        assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    }
    let lineage_path = format!("/api/v1/lineage?id={}&direction=backward&depth=8", canonical(VIRGIN));
    let query_path = "/epcis/events?perPage=100";
    let listed = |body: &Value, id: &str| body.to_string().contains(id);

    // Before the grant: everything withheld, nothing listed.
    let lineage = app.get(&lineage_path, &app.token_b).await;
    assert_eq!(lineage.status, StatusCode::OK, "{}", lineage.body);
    assert!(nodes_of(&lineage.body, "event").is_empty(), "{}", lineage.body);
    let query = app.get(query_path, &app.token_b).await;
    assert_eq!(query.status, StatusCode::OK, "{}", query.body);
    assert!(![at_plant, at_dock, elsewhere].iter().any(|id| listed(&query.body, id)));

    // A class that does not fit the kind is refused.
    let wrong = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "passport",
                   "record_class": {"type": "facilities"}, "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(support::error_paths(&wrong.body), ["/record_class"], "{}", wrong.body);

    // The lineage through A's facilities: the events at the plant and its dock, not the other.
    let grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "event",
                   "record_class": {"type": "facilities"}, "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    assert_eq!(grant.body["record_class"], json!({"type": "facilities"}));
    let lineage = app.get(&lineage_path, &app.token_b).await;
    let events: Vec<Value> = lineage.body["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|node| node["kind"] == "event")
        .map(|node| node["event_id"].clone())
        .collect();
    assert!(
        events.contains(&json!(at_plant)) && events.contains(&json!(at_dock)),
        "{}",
        lineage.body
    );
    assert!(!events.contains(&json!(elsewhere)), "{}", lineage.body);
    assert_eq!(nodes_of(&lineage.body, "withheld_event").len(), 1, "{}", lineage.body);
    let query = app.get(query_path, &app.token_b).await;
    assert!(
        listed(&query.body, at_plant) && listed(&query.body, at_dock),
        "{}",
        query.body
    );
    assert!(!listed(&query.body, elsewhere), "{}", query.body);
    let single = app.get(&format!("/epcis/events/{elsewhere}"), &app.token_b).await;
    assert_eq!(single.status, StatusCode::NOT_FOUND, "{}", single.body);
    // The reads are audited for A under the grant.
    let grant_id = grant.body["id"].as_str().expect("id");
    let audit = app
        .get(&format!("/api/v1/audit?grant_id={grant_id}"), &app.token_a)
        .await;
    assert!(listed(&audit.body, at_plant), "{}", audit.body);

    // Revoked: nothing again.
    let revoked = app
        .post(&format!("/api/v1/grants/{grant_id}/revoke"), &app.token_a, json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let query = app.get(query_path, &app.token_b).await;
    assert!(![at_plant, at_dock, elsewhere].iter().any(|id| listed(&query.body, id)));
    let lineage = app.get(&lineage_path, &app.token_b).await;
    assert!(nodes_of(&lineage.body, "event").is_empty(), "{}", lineage.body);
}

/// A grant of events that hides the inputs: B's lineage of the compound shows A's compounding
/// event (its outputs granted) but does not connect through the hidden inputs, and a forward
/// lineage from an input does not find the event at all; with every field granted it does.
#[tokio::test]
async fn a_lineage_does_not_connect_through_a_member_the_grant_hides() {
    let app = TestApp::new().await;
    let made = app
        .post(
            "/epcis/events",
            &app.token_a,
            transformation(
                "urn:uuid:1f1f1f1f-0000-4000-8000-00000000f1e1",
                &[(PELLETS, 60), (VIRGIN, 40)],
                &[(COMPOUND, 100)],
                "commissioning",
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let grant = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "event",
                   "level": "full", "expires_at": "2099-01-01T00:00:00Z", "fields": ["outputQuantityList"]}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
    let backward = app
        .get(
            &format!("/api/v1/lineage?id={COMPOUND}&direction=backward&depth=8"),
            &app.token_b,
        )
        .await;
    assert_eq!(backward.status, StatusCode::OK, "{}", backward.body);
    assert_eq!(nodes_of(&backward.body, "event").len(), 1, "{}", backward.body);
    let text = backward.body.to_string();
    assert!(!text.contains("PELLET-1") && !text.contains("VIRGIN-1"), "{text}");
    assert!(
        backward.body["edges"]
            .as_array()
            .is_some_and(|edges| edges.iter().all(|edge| edge["relation"] != "input")),
        "{text}"
    );
    assert!(nodes_of(&backward.body, "withheld_object").is_empty(), "{text}");
    let forward = app
        .get(
            &format!("/api/v1/lineage?id={PELLETS}&direction=forward&depth=8"),
            &app.token_b,
        )
        .await;
    assert_eq!(forward.status, StatusCode::OK, "{}", forward.body);
    assert!(nodes_of(&forward.body, "event").is_empty(), "{}", forward.body);
    assert!(!forward.body.to_string().contains("COMPOUND-1"), "{}", forward.body);

    // A second grant of every field: the inputs connect.
    let whole = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": app.b}, "record_kind": "event",
                   "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(whole.status, StatusCode::CREATED, "{}", whole.body);
    let backward = app
        .get(
            &format!("/api/v1/lineage?id={COMPOUND}&direction=backward&depth=8"),
            &app.token_b,
        )
        .await;
    let text = backward.body.to_string();
    assert!(text.contains("PELLET-1") && text.contains("VIRGIN-1"), "{text}");
}
