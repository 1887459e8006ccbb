//! A revoked grant stops all access at once, on every route that serves the granted data
//! (issue 10, "Done when"). Organization A grants B full access to each kind of record grants
//! cover (`RecordKind::is_grantable`); B reads each of A's restricted records through every route
//! in [`ROUTES`] (REST API, EPCIS query and resource endpoints, lineage, PACT v2 and v3,
//! credentials export, the resolver, the organization CTI computed from facility events, the web
//! application's pages, the lineage page among them); A revokes the grants; the very
//! next request on every route refuses or omits the records. Nothing is cached between the two
//! (authenticated reads always go through the store).
//!
//! The route table is checked against the grantable kinds: a kind without a route fails the test.
//! The Ouranos-compatible routes (`/ouranos/...`) are not listed: they serve Ouranos parts and
//! trades, which grants do not cover (each party sees its own and what a trade names).

mod support;

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use junkan_auth::password::hash_password;
use junkan_footprint::fixtures::cell_footprint;
use junkan_footprint::pact::to_v3;
use junkan_model::access::RecordKind;
use junkan_model::ids::FootprintId;
use junkan_model::principal::{Actor, Role};
use junkan_store::NewUserRecord;
use support::TestApp;

/// Who reads: B's API client (bearer token) or a user of B signed in to the web application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Api,
    Web,
}

/// One route that serves granted records: the kind it serves, the path (placeholders in braces
/// are the ids of A's records of the test), how B calls it, and why it is listed.
struct Route {
    kind: RecordKind,
    path: &'static str,
    via: Via,
    why: &'static str,
}

/// Every route that serves records a grant may open. `{passport}`, `{event}`, ... are A's
/// restricted records; the marker looked for in each answer is that record's id (or, for routes
/// that show a record without its id, its own marker, see `marker_of`).
const ROUTES: &[Route] = &[
    // Passports (製品パスポート).
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/passports/{passport}",
        via: Via::Api,
        why: "one passport",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/passports?profile=battery",
        via: Via::Api,
        why: "the list with filters",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/passports/export?format=jsonl&profile=battery",
        via: Via::Api,
        why: "the bulk export",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/passports/{passport}/versions",
        via: Via::Api,
        why: "its version history",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/passports/{passport}/export?format=untp",
        via: Via::Api,
        why: "the UNTP export of one passport",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/passports/{passport}/qr",
        via: Via::Api,
        why: "its QR code (answers only when readable)",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/credentials/passport/{passport}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/01/04912345000019/21/REVOKE1?format=jsonld",
        via: Via::Api,
        why: "the GS1 Digital Link resolver (authenticated callers are never cached)",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/app/passports/{passport}",
        via: Via::Web,
        why: "the full passport page",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/app/passports?owner=all",
        via: Via::Web,
        why: "the passports list page",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/certificates/{certificate}",
        via: Via::Api,
        why: "a conformity certificate about the passport",
    },
    Route {
        kind: RecordKind::Passport,
        path: "/api/v1/certificates/{certificate}/credential",
        via: Via::Api,
        why: "the certificate's credential",
    },
    // EPCIS events (トレーサビリティイベント).
    Route {
        kind: RecordKind::Event,
        path: "/epcis/events/{event}",
        via: Via::Api,
        why: "one event (EPCIS REST binding)",
    },
    Route {
        kind: RecordKind::Event,
        path: "/epcis/events?EQ_bizStep=shipping",
        via: Via::Api,
        why: "the events query",
    },
    Route {
        kind: RecordKind::Event,
        path: "/epcis/epcs/urn:epc:id:sgtin:4912345.000001.REVOKE1/events",
        via: Via::Api,
        why: "the EPC resource endpoint",
    },
    Route {
        kind: RecordKind::Event,
        path: "/epcis/queries/b-shipping/events",
        via: Via::Api,
        why: "a named query of B's (EPCIS query interface)",
    },
    Route {
        kind: RecordKind::Event,
        path: "/epcis/bizSteps/shipping/events",
        via: Via::Api,
        why: "the business-step resource endpoint",
    },
    Route {
        kind: RecordKind::Event,
        path: "/api/v1/lineage?id=urn:epc:id:sgtin:4912345.000001.REVOKE1&direction=both",
        via: Via::Api,
        why: "lineage through the event",
    },
    Route {
        kind: RecordKind::Event,
        path: "/api/v1/credentials/event/{event}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    Route {
        kind: RecordKind::Event,
        path: "/app/events?owner=all",
        via: Via::Web,
        why: "the events list page",
    },
    Route {
        kind: RecordKind::Event,
        path: "/api/v1/indicators/cti?scope=organization:{organization_a}&period=2026",
        via: Via::Api,
        why: "the organization's CTI (循環指標) computed from the events at its facilities",
    },
    Route {
        kind: RecordKind::Event,
        path: "/app/lineage?id=urn:epc:id:sgtin:4912345.000001.REVOKE1&direction=both",
        via: Via::Web,
        why: "the web lineage page (トレース)",
    },
    // Footprints (CFP).
    Route {
        kind: RecordKind::Footprint,
        path: "/api/v1/footprints/{footprint}",
        via: Via::Api,
        why: "one footprint",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/api/v1/footprints",
        via: Via::Api,
        why: "the list",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/3/footprints/{footprint}",
        via: Via::Api,
        why: "PACT v3, one footprint",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/3/footprints",
        via: Via::Api,
        why: "PACT v3 list",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/2/footprints/{footprint}",
        via: Via::Api,
        why: "PACT v2, one footprint",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/2/footprints",
        via: Via::Api,
        why: "PACT v2 list",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/api/v1/credentials/footprint/{footprint}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    Route {
        kind: RecordKind::Footprint,
        path: "/app/footprints?owner=all",
        via: Via::Web,
        why: "the footprints list page",
    },
    // Facilities (事業所).
    Route {
        kind: RecordKind::Facility,
        path: "/api/v1/facilities/{facility}",
        via: Via::Api,
        why: "one facility",
    },
    Route {
        kind: RecordKind::Facility,
        path: "/api/v1/facilities",
        via: Via::Api,
        why: "the list",
    },
    Route {
        kind: RecordKind::Facility,
        path: "/api/v1/credentials/facility/{facility}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    // Material flows (物質フロー).
    Route {
        kind: RecordKind::MaterialFlow,
        path: "/api/v1/material-flows/{material_flow}",
        via: Via::Api,
        why: "one record",
    },
    Route {
        kind: RecordKind::MaterialFlow,
        path: "/api/v1/material-flows?region=232114",
        via: Via::Api,
        why: "the list",
    },
    Route {
        kind: RecordKind::MaterialFlow,
        path: "/api/v1/credentials/material_flow/{material_flow}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    Route {
        kind: RecordKind::MaterialFlow,
        path: "/api/v1/indicators/municipal-recycling-rate?scope=region:232114&period=2014",
        via: Via::Api,
        why: "an indicator computed from the records (its provenance names them)",
    },
    // Indicator values (指標値).
    Route {
        kind: RecordKind::IndicatorValue,
        path: "/api/v1/indicator-values/{indicator_value}",
        via: Via::Api,
        why: "one value",
    },
    Route {
        kind: RecordKind::IndicatorValue,
        path: "/api/v1/indicator-values?scope=region:232114",
        via: Via::Api,
        why: "the list",
    },
    Route {
        kind: RecordKind::IndicatorValue,
        path: "/api/v1/credentials/indicator_value/{indicator_value}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    // Indicator targets (目標値).
    Route {
        kind: RecordKind::IndicatorTarget,
        path: "/api/v1/indicator-targets/{indicator_target}",
        via: Via::Api,
        why: "one target",
    },
    Route {
        kind: RecordKind::IndicatorTarget,
        path: "/api/v1/indicator-targets?scope=region:232114",
        via: Via::Api,
        why: "the list",
    },
    Route {
        kind: RecordKind::IndicatorTarget,
        path: "/api/v1/credentials/indicator_target/{indicator_target}",
        via: Via::Api,
        why: "the verifiable credential export",
    },
    // Chain-of-custody ledgers (CoC 台帳).
    Route {
        kind: RecordKind::Ledger,
        path: "/api/v1/ledgers/{ledger}",
        via: Via::Api,
        why: "one ledger",
    },
    Route {
        kind: RecordKind::Ledger,
        path: "/api/v1/ledgers",
        via: Via::Api,
        why: "the list",
    },
];

/// Every kind of record a grant may cover.
const ALL_KINDS: [RecordKind; 8] = [
    RecordKind::Facility,
    RecordKind::Event,
    RecordKind::Passport,
    RecordKind::Footprint,
    RecordKind::MaterialFlow,
    RecordKind::IndicatorValue,
    RecordKind::IndicatorTarget,
    RecordKind::Ledger,
];

#[test]
fn every_grantable_kind_has_routes_in_the_table() {
    // Every kind the model names; `in_table` below matches them without a wildcard, so a new
    // kind does not compile until someone decides whether grants cover it.
    use RecordKind::*;
    let every_kind = [
        Organization,
        Facility,
        User,
        Client,
        ApiKey,
        Grant,
        Certification,
        Industry,
        Event,
        Capture,
        Query,
        Subscription,
        Passport,
        Profile,
        Footprint,
        PactPartner,
        OuranosPart,
        OuranosTrade,
        MaterialFlow,
        IndicatorValue,
        IndicatorTarget,
        Ledger,
        PartnerMembership,
        PartnerTarget,
        PartnerFollowUp,
        PartnerSecretariat,
        Certificate,
        CertificateScheme,
        SigningKey,
        Credential,
        AccessRequest,
        DatasetOffer,
        DspNegotiation,
        DspTransfer,
        Peer,
        RemoteRequest,
        ReceivedRecord,
    ];
    let in_table = |kind: RecordKind| match kind {
        Facility | Event | Passport | Footprint | MaterialFlow | IndicatorValue | IndicatorTarget | Ledger => true,
        Organization | User | Client | ApiKey | Grant | Certification | Industry | Capture | Query | Subscription
        | Profile | PactPartner | OuranosPart | OuranosTrade | PartnerMembership | PartnerTarget | PartnerFollowUp
        | PartnerSecretariat | Certificate | CertificateScheme | SigningKey | Credential | AccessRequest
        | DatasetOffer | DspNegotiation | DspTransfer | Peer | RemoteRequest | ReceivedRecord => false,
    };
    let mut grantable = Vec::new();
    for kind in every_kind {
        assert_eq!(
            kind.is_grantable(),
            in_table(kind),
            "{kind:?}: grants cover it exactly when the revocation table lists it"
        );
        if kind.is_grantable() {
            grantable.push(kind);
        }
    }
    for kind in ALL_KINDS {
        assert!(kind.is_grantable(), "{kind:?} is listed but not grantable");
    }
    for kind in grantable {
        assert!(
            ALL_KINDS.contains(&kind),
            "{kind:?} is grantable: list it in ALL_KINDS and ROUTES"
        );
    }
    for kind in ALL_KINDS {
        assert!(
            ROUTES.iter().any(|route| route.kind == kind),
            "{kind:?} is grantable but no route serving it is listed"
        );
    }
    for route in ROUTES {
        assert!(!route.why.is_empty(), "{}", route.path);
    }
}

/// The text that shows a route served the record, for routes whose answer does not carry the
/// record's own marker (see the test: ids for passports, sources and notes for the others).
fn answer_marker(path: &str) -> Option<&'static str> {
    match path {
        // The history lists versions without the passport's id.
        "/api/v1/passports/{passport}/versions" => Some("\"version\":1"),
        // The QR code is an image of the passport's Digital Link.
        "/api/v1/passports/{passport}/qr" => Some("<svg"),
        // The list pages show what the records are, not their ids.
        "/app/events?owner=all" => Some("REVOKE1"),
        "/app/footprints?owner=all" => Some("Cell 50Ah"),
        // A certificate carries its reference number; its credential is a signed token (a JWT).
        "/api/v1/certificates/{certificate}" => Some("REV-CERT-1"),
        "/api/v1/certificates/{certificate}/credential" => Some("eyJ"),
        // The organization's CTI names the lots of its flows, not event ids.
        "/api/v1/indicators/cti?scope=organization:{organization_a}&period=2026" => Some("REVCTI-1"),
        _ => None,
    }
}

const PASSWORD: &str = "correct horse battery staple";

/// What B gets from a route: the status and the body as text.
async fn read(app: &TestApp, route: &Route, path: &str, session: &str) -> (StatusCode, String) {
    let mut request = Request::get(path);
    request = match route.via {
        Via::Api => request.header(header::AUTHORIZATION, format!("Bearer {}", app.token_b)),
        Via::Web => request.header(header::COOKIE, format!("junkan_session={session}")),
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_revoked_grant_stops_every_route_that_serves_the_granted_records_at_once() {
    let app = TestApp::new().await;
    for document in junkan_passport::builtin::documents() {
        // Registered already by some fixtures; a second registration is refused, which is fine.
        let _ = app.store.register_profile(&Actor::system(), document).await;
    }
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut markers: HashMap<RecordKind, String> = HashMap::new();

    // A's restricted records, one of each grantable kind.
    let passport = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/21/REVOKE1", "granularity": "item",
                   "profile": "battery", "visibility": "restricted",
                   "data": junkan_passport::builtin::example("battery").expect("example")}),
        )
        .await;
    assert_eq!(passport.status, StatusCode::CREATED, "{}", passport.body);
    ids.insert("passport", passport.body["id"].as_str().expect("id").to_owned());
    markers.insert(RecordKind::Passport, ids["passport"].clone());

    // A certification body certifies the passport, which A let it read.
    let mut certifier_org = support::company(
        "認証機関",
        "1234567890123",
        &[junkan_model::organization::CycleRole::Certifier],
    );
    certifier_org.corporate_number = None;
    let certifier = app
        .store
        .create_organization(&Actor::system(), certifier_org)
        .await
        .expect("certifier")
        .id;
    let certifier_token = app.client_token(certifier, &[Role::OrgAdmin, Role::Member]).await;
    let shared = app
        .post(
            "/api/v1/grants",
            &app.token_a,
            json!({"grantee": {"type": "organization", "organization_id": certifier.to_string()},
                   "record_kind": "passport", "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let certificate = app
        .post(
            "/api/v1/certificates",
            &certifier_token,
            json!({"scheme": "recycled_content", "subject": {"kind": "passport", "id": ids["passport"]},
                   "claim": {"type": "recycled_content", "material": "Co", "recycled_share_pct": "16",
                             "pre_consumer_pct": "0", "post_consumer_pct": "16"},
                   "valid_from": "2026-04-01T00:00:00Z", "valid_until": "2099-04-01T00:00:00Z",
                   "reference_number": "REV-CERT-1"}),
        )
        .await;
    assert_eq!(certificate.status, StatusCode::CREATED, "{}", certificate.body);
    ids.insert("certificate", certificate.body["id"].as_str().expect("id").to_owned());

    let event_id = "urn:uuid:7e7e7e7e-0000-4000-8000-00000000ae01";
    let captured = app
        .post(
            "/epcis/events",
            &app.token_a,
            json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "ObjectEvent", "eventID": event_id, "eventTime": "2026-05-01T09:00:00+09:00",
                   "eventTimeZoneOffset": "+09:00", "epcList": ["urn:epc:id:sgtin:4912345.000001.REVOKE1"],
                   "action": "OBSERVE", "bizStep": "shipping"}),
        )
        .await;
    assert_eq!(captured.status, StatusCode::CREATED, "{}", captured.body);
    ids.insert("event", event_id.to_owned());
    markers.insert(RecordKind::Event, "00000000ae01".to_owned());

    let mut footprint = cell_footprint();
    footprint.id = FootprintId::derived("revocation");
    footprint.pcf.declared_unit = junkan_footprint::DeclaredUnit::Kilogram;
    let published = app
        .post(
            "/api/v1/footprints",
            &app.token_a,
            json!({"footprint": to_v3(&footprint).expect("v3"), "visibility": "restricted"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.body);
    ids.insert("footprint", footprint.id.to_string());
    markers.insert(RecordKind::Footprint, footprint.id.to_string());

    let facility = app.facility_of_a("restricted").await;
    markers.insert(RecordKind::Facility, facility.clone());
    ids.insert("facility", facility.clone());

    // A plant of A with a GLN and a receiving event there: the flows of A's organization CTI.
    let plant = app
        .post(
            "/api/v1/facilities",
            &app.token_a,
            json!({"name_ja": "再生工場", "name_en": "Recycling plant", "facility_type": "recycling_plant",
                   "local_government_code": "232114", "gln": "4512345000011", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(plant.status, StatusCode::CREATED, "{}", plant.body);
    let received = app
        .post(
            "/epcis/events",
            &app.token_a,
            json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "ObjectEvent", "eventTime": "2026-05-02T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                   "action": "OBSERVE", "bizStep": "receiving", "readPoint": {"id": "urn:epc:id:sgln:4512345.00001.0"},
                   "quantityList": [{"epcClass": "urn:epc:class:lgtin:4512345.012345.REVCTI-1", "quantity": 1000, "uom": "KGM"}]}),
        )
        .await;
    assert_eq!(received.status, StatusCode::CREATED, "{}", received.body);
    ids.insert("organization_a", app.a.to_string());

    let flow = app
        .post(
            "/api/v1/material-flows",
            &app.token_a,
            json!({"region": "232114", "fiscal_year": 2014, "kind": "total_treated", "amount": 41840, "unit": "t",
                   "source": "revocation survey", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(flow.status, StatusCode::CREATED, "{}", flow.body);
    ids.insert("material_flow", flow.body["id"].as_str().expect("id").to_owned());
    markers.insert(RecordKind::MaterialFlow, "revocation survey".to_owned());
    let value = app
        .post(
            "/api/v1/indicator-values",
            &app.token_a,
            json!({"indicator": "cmu", "scope": "region:232114", "fiscal_year": 2014, "result": {"CMU_pct": 12},
                   "source": "revocation computation", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(value.status, StatusCode::CREATED, "{}", value.body);
    ids.insert("indicator_value", value.body["id"].as_str().expect("id").to_owned());
    markers.insert(RecordKind::IndicatorValue, "revocation computation".to_owned());
    let target = app
        .post(
            "/api/v1/indicator-targets",
            &app.token_a,
            json!({"indicator": "cmu", "output": "CMU_pct", "scope": "region:232114", "target_fiscal_year": 2030,
                   "target_value": 20, "unit": "%", "source": "revocation plan", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
    ids.insert("indicator_target", target.body["id"].as_str().expect("id").to_owned());
    markers.insert(RecordKind::IndicatorTarget, "revocation plan".to_owned());
    let ledger = app
        .post(
            "/api/v1/ledgers",
            &app.token_a,
            json!({"facility_id": facility, "material": "cobalt", "model": "mass_balance_credit",
                   "period": "2026-04-01/2027-03-31", "note": "revocation ledger"}),
        )
        .await;
    assert_eq!(ledger.status, StatusCode::CREATED, "{}", ledger.body);
    ids.insert("ledger", ledger.body["id"].as_str().expect("id").to_owned());
    markers.insert(RecordKind::Ledger, "revocation ledger".to_owned());

    // B keeps a named EPCIS query of its own over shipping events.
    let query = app
        .post(
            "/epcis/queries",
            &app.token_b,
            json!({"name": "b-shipping", "query": {"EQ_bizStep": ["shipping"]}}),
        )
        .await;
    assert_eq!(query.status, StatusCode::CREATED, "{}", query.body);

    // A user of B signed in to the web application.
    app.store
        .create_user(
            &Actor::system(),
            app.b,
            NewUserRecord {
                username: "reader-b".to_owned(),
                display_name: "reader".to_owned(),
                password_hash: hash_password(PASSWORD),
                roles: vec![Role::Member],
                locale: "ja".to_owned(),
            },
        )
        .await
        .expect("user");
    let login = app
        .send(
            Request::post("/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"username": "reader-b", "password": PASSWORD}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let session = login.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("junkan_session="))
        .expect("a session cookie")
        .to_owned();

    let path_of = |route: &Route| {
        let mut path = route.path.to_owned();
        for (name, id) in &ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        assert!(!path.contains('{'), "{}: a placeholder without a record", route.path);
        path
    };
    let sees = |status: StatusCode, body: &str, route: &Route| {
        let marker = answer_marker(route.path).map_or_else(|| markers[&route.kind].clone(), str::to_owned);
        status.is_success() && body.contains(&marker)
    };

    // Before any grant B sees none of it (the markers are A's restricted data only).
    let mut problems = Vec::new();
    for route in ROUTES {
        let (status, body) = read(&app, route, &path_of(route), &session).await;
        if sees(status, &body, route) {
            problems.push(format!(
                "{} ({}) serves A's record without a grant: {status} {body}",
                route.path, route.why
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // A grants B full access to each kind; B reads through every route.
    let mut grants = Vec::new();
    for kind in ALL_KINDS {
        let grant = app
            .post(
                "/api/v1/grants",
                &app.token_a,
                json!({"grantee": {"type": "organization", "organization_id": app.b.to_string()},
                       "record_kind": kind.as_str(), "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::CREATED, "{}", grant.body);
        grants.push(grant.body["id"].as_str().expect("id").to_owned());
    }
    for route in ROUTES {
        let (status, body) = read(&app, route, &path_of(route), &session).await;
        if !sees(status, &body, route) {
            problems.push(format!(
                "{} ({}) does not serve the granted record: {status} {body}",
                route.path, route.why
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // A revokes; the next request on every route refuses or omits the records.
    for grant in &grants {
        let revoked = app
            .post(&format!("/api/v1/grants/{grant}/revoke"), &app.token_a, json!({}))
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    }
    for route in ROUTES {
        let (status, body) = read(&app, route, &path_of(route), &session).await;
        if sees(status, &body, route) {
            problems.push(format!(
                "{} ({}) still serves the record after revocation: {status} {body}",
                route.path, route.why
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
