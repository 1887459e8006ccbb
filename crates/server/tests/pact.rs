//! The PACT host system and client (issue 5 parts 2-3) over the real router: tokens, the v3 and
//! v2.3 footprint routes with every filter, pagination links, PACT errors, events with answers
//! and notifications delivered through the outbox to a partner served on 127.0.0.1, and the
//! client fetching a partner with discovery, pages, retries and a validation report.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use time::macros::datetime;
use tower::ServiceExt;

use junkan_auth::secret::{digest, generate_secret};
use junkan_footprint::fixtures::cell_footprint;
use junkan_footprint::model::Geography;
use junkan_footprint::pact::to_v3;
use junkan_model::ids::{FootprintId, OrganizationId};
use junkan_model::organization::{CompanySize, CycleRole, NewOrganization, OrganizationType};
use junkan_model::principal::{Actor, NewCredential, Role};
use junkan_server::pact_client::PactClient;
use junkan_server::pact_delivery::{deliver_due, PartnerClients};
use junkan_server::{router, AppState, Settings};
use junkan_store::{ManualClock, Store};

/// A node on a manual clock, with organizations A (data owner) and B (buyer) and a node admin.
struct Node {
    router: Router,
    state: AppState,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    a: OrganizationId,
    b: OrganizationId,
    admin: OrganizationId,
    directory: std::path::PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

fn company(name: &str, corporate_number: Option<&str>) -> NewOrganization {
    NewOrganization {
        name_ja: format!("{name}株式会社"),
        name_en: format!("{name} Co."),
        organization_type: OrganizationType::Company,
        company_size: Some(CompanySize::Large),
        corporate_number: corporate_number.map(str::to_owned),
        lei: None,
        gs1_company_prefix: None,
        gln: None,
        local_government_code: None,
        prefecture_code: Some("23".to_owned()),
        industries: vec!["batteries".to_owned()],
        roles: vec![CycleRole::Manufacturer],
        website: None,
    }
}

impl Node {
    async fn new(issuer: &str) -> Node {
        let directory =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-pact-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&directory).expect("temp dir");
        let url = format!("sqlite://{}", directory.join("junkan.db").display());
        let clock = ManualClock::new(datetime!(2026-04-01 09:00 UTC));
        let store = junkan_store_sql::open(&url, clock.clone()).await.expect("open");
        store.migrate().await.expect("migrate");
        let store: Arc<dyn Store> = Arc::new(store);
        let state = AppState::new(store.clone(), Settings::new(issuer))
            .await
            .expect("state");
        let system = Actor::system();
        let a = store
            .create_organization(&system, company("排出元", Some("7000012050002")))
            .await
            .expect("A")
            .id;
        let b = store
            .create_organization(&system, company("購買先", Some("2010001008774")))
            .await
            .expect("B")
            .id;
        let admin = store
            .create_organization(&system, company("運営", None))
            .await
            .expect("admin")
            .id;
        Node {
            router: router(state.clone()),
            state,
            store,
            clock,
            a,
            b,
            admin,
            directory,
        }
    }

    async fn client(&self, organization: OrganizationId, roles: &[Role]) -> (String, String) {
        let secret = generate_secret();
        let new = NewCredential {
            name: "pact".to_owned(),
            roles: roles.to_vec(),
            expires_at: None,
        };
        let client = self
            .store
            .create_client(&Actor::system(), organization, &new, &digest(&secret))
            .await
            .expect("client");
        (client.id.to_string(), secret)
    }

    /// A token through `/auth/token` with HTTP Basic, as PACT partners get it.
    async fn token(&self, organization: OrganizationId, roles: &[Role]) -> String {
        let (id, secret) = self.client(organization, roles).await;
        let reply = self
            .send(
                Request::post("/auth/token")
                    .header(
                        header::AUTHORIZATION,
                        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
                    )
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("grant_type=client_credentials"))
                    .expect("request"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().expect("token").to_owned()
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        Reply { status, headers, body }
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(
            Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }

    async fn post_event(&self, version: u8, token: Option<&str>, content_type: &str, body: String) -> Reply {
        let mut request = Request::post(format!("/{version}/events")).header(header::CONTENT_TYPE, content_type);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body)).expect("request")).await
    }

    /// Publishes a footprint of A through the management API.
    async fn publish(&self, token: &str, footprint: &junkan_footprint::Footprint, visibility: &str) {
        let reply = self
            .post(
                "/api/v1/footprints",
                token,
                json!({"footprint": to_v3(footprint).expect("v3"), "visibility": visibility}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

fn footprint(name: &str, product: &str, geography: Geography) -> junkan_footprint::Footprint {
    let mut footprint = cell_footprint();
    footprint.id = FootprintId::derived(name);
    footprint.product_ids = vec![format!("urn:junkan:part:{product}")];
    footprint.pcf.geography = geography;
    // Kilograms, which PACT v2.3 also has (its units lack "piece").
    footprint.pcf.declared_unit = junkan_footprint::DeclaredUnit::Kilogram;
    footprint
}

fn ids(reply: &Reply) -> Vec<String> {
    let mut ids: Vec<String> = reply.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn id_of(name: &str) -> String {
    FootprintId::derived(name).to_string()
}

fn sorted(mut names: Vec<&str>) -> Vec<String> {
    names.sort();
    let mut ids: Vec<String> = names.into_iter().map(id_of).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pact_v3_lists_filters_pages_and_refuses_bad_input() {
    let node = Node::new("https://junkan.test").await;
    let token_a = node.token(node.a, &[Role::OrgAdmin, Role::Member]).await;
    let token_b = node.token(node.b, &[Role::Member]).await;
    let tokyo = footprint("tokyo", "cell", Geography::CountrySubdivision("JP-13".to_owned()));
    let japan = footprint("japan", "cell", Geography::Country("JP".to_owned()));
    let europe = footprint(
        "europe",
        "pack",
        Geography::RegionOrSubregion("Western Europe".to_owned()),
    );
    let germany = footprint("germany", "module", Geography::Country("DE".to_owned()));
    let secret = footprint("secret", "cell", Geography::Country("JP".to_owned()));
    for public in [&tokyo, &japan, &europe, &germany] {
        node.publish(&token_a, public, "public").await;
    }
    node.publish(&token_a, &secret, "restricted").await;

    // Every exposed footprint reads back as valid PACT v3 with decimals as strings.
    let all = node.get("/3/footprints", &token_b).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(
        ids(&all),
        sorted(vec!["tokyo", "japan", "europe", "germany"]),
        "B cannot see the restricted one"
    );
    for item in all.body["data"].as_array().expect("data") {
        junkan_footprint::pact::from_v3(item).expect("every served footprint is valid v3");
        assert!(item["pcf"]["pcfExcludingBiogenicUptake"].is_string());
        assert_eq!(item["specVersion"], "3.0.0");
    }
    assert_eq!(ids(&node.get("/3/footprints", &token_a).await).len(), 5);

    // Filters: OR within a parameter, AND across, empty values ignored, geography by subdivision.
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "productId=urn:junkan:part:pack&productId=urn:junkan:part:module",
            vec!["europe", "germany"],
        ),
        ("productId=urn:junkan:part:cell&geography=JP-13", vec!["tokyo"]),
        ("geography=JP", vec!["tokyo", "japan"]),
        ("geography=Western%20Europe&geography=DE", vec!["europe", "germany"]),
        ("productId=&geography=", vec!["tokyo", "japan", "europe", "germany"]),
        ("status=Active", vec!["tokyo", "japan", "europe", "germany"]),
        ("status=Deprecated", vec![]),
        ("status=Bogus", vec![]),
        (
            "companyId=urn:jp:houjin-bangou:1234567890123&classification=urn:pact:productclassification:un-cpc:46410",
            vec!["tokyo", "japan", "europe", "germany"],
        ),
        ("classification=urn:none", vec![]),
        (
            "validOn=2025-06-01T00:00:00Z",
            vec!["tokyo", "japan", "europe", "germany"],
        ),
        ("validBefore=2025-06-01T00:00:00Z", vec![]),
    ];
    for (query, expected) in cases {
        let reply = node.get(&format!("/3/footprints?{query}"), &token_b).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
        assert_eq!(ids(&reply), sorted(expected), "{query}");
    }

    // Pages: an absolute link on the public base URL that keeps the filters, can be called
    // again, and still works three minutes later.
    let first = node.get("/3/footprints?limit=1&geography=JP", &token_b).await;
    assert_eq!(first.body["data"].as_array().expect("data").len(), 1);
    let link = first.headers[header::LINK].to_str().expect("link").to_owned();
    assert!(
        link.starts_with("<https://junkan.test/3/footprints?page=") && link.ends_with(">; rel=\"next\""),
        "{link}"
    );
    let next = link
        .trim_start_matches("<https://junkan.test")
        .split('>')
        .next()
        .expect("path")
        .to_owned();
    node.clock.advance(time::Duration::minutes(3));
    let second = node.get(&next, &token_b).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(
        second.headers.get(header::LINK).is_none(),
        "two Japanese footprints: the second page is the last"
    );
    assert_eq!(
        node.get(&next, &token_b).await.body,
        second.body,
        "a page link can be called again"
    );
    let mut both = ids(&first);
    both.extend(ids(&second));
    both.sort();
    assert_eq!(both, sorted(vec!["tokyo", "japan"]));
    // A page link belongs to the caller's organization.
    let other = node.get(&next, &token_a).await;
    assert_eq!(
        (other.status, other.body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("BadRequest"))
    );

    // Bad input gets PACT's error shape.
    for query in [
        "limit=101",
        "limit=0",
        "limit=ten",
        "validOn=2025-13-01",
        "validAfter=yesterday",
        "colour=red",
        "page=forged",
    ] {
        let reply = node.get(&format!("/3/footprints?{query}"), &token_b).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.body["code"], "BadRequest", "{query}");
        assert!(reply.body["message"].is_string());
    }
    let odata = node
        .get("/2/footprints?$filter=productIds/any(p:p%20eq%20'x')", &token_b)
        .await;
    assert_eq!(
        (odata.status, odata.body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("NotImplemented"))
    );

    // GetFootprint.
    let one = node.get(&format!("/3/footprints/{}", tokyo.id), &token_b).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["data"]["id"], tokyo.id.to_string());
    let missing = node
        .get(&format!("/3/footprints/{}", FootprintId::derived("missing")), &token_b)
        .await;
    assert_eq!(
        (missing.status, missing.body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("NotFound"))
    );
    let hidden = node.get(&format!("/3/footprints/{}", secret.id), &token_b).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "restricted and not shared");
    let urn = node
        .get(&format!("/3/footprints/urn:uuid:{}", tokyo.id), &token_b)
        .await;
    assert_eq!(
        (urn.status, urn.body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("BadRequest"))
    );
    let v2_missing = node
        .get(&format!("/2/footprints/{}", FootprintId::derived("missing")), &token_b)
        .await;
    assert_eq!(v2_missing.body["code"], "NoSuchFootprint");

    // v2.3 for partners that have not moved: the same footprints in the v2.3 shape.
    let v2 = node.get("/2/footprints?geography=DE", &token_b).await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.body);
    assert_eq!(v2.body["data"][0]["specVersion"], "2.3.0");
    junkan_footprint::pact::from_v2(&v2.body["data"][0]).expect("valid v2.3");

    // Sharing opens the restricted footprint to B; the read is audited.
    let shared = node
        .post(
            &format!("/api/v1/footprints/{}/share", secret.id),
            &token_a,
            json!({"organization_id": node.b, "purpose": "PACT"}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    assert_eq!(
        node.get(&format!("/3/footprints/{}", secret.id), &token_b).await.status,
        StatusCode::OK
    );

    // Tokens: none, forged, expired; no redirects on API paths.
    let none = node
        .send(Request::get("/3/footprints").body(Body::empty()).expect("request"))
        .await;
    assert_eq!(
        (none.status, none.body["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("BadRequest"))
    );
    let mut forged = token_b.clone();
    forged.pop();
    forged.push(if token_b.ends_with('A') { 'B' } else { 'A' });
    let forged_reply = node.get("/3/footprints", &forged).await;
    assert_eq!(forged_reply.status, StatusCode::UNAUTHORIZED);
    let other_node = Node::new("https://junkan.test").await;
    let foreign = other_node.token(other_node.b, &[Role::Member]).await;
    assert_eq!(
        node.get("/3/footprints", &foreign).await.status,
        StatusCode::UNAUTHORIZED,
        "signed by another node's key"
    );
    let trailing = node.get("/3/footprints/", &token_b).await;
    assert!(!trailing.status.is_redirection(), "{}", trailing.status);
    node.clock.advance(time::Duration::hours(2));
    let expired = node.get("/3/footprints", &token_b).await;
    assert_eq!(
        (expired.status, expired.body["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("TokenExpired"))
    );
    let fresh = node.token(node.b, &[Role::Member]).await;
    let stale_page = node.get(&next, &fresh).await;
    assert_eq!(
        stale_page.status,
        StatusCode::BAD_REQUEST,
        "page links expire after an hour"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn footprint_management_refuses_bad_footprints_and_supersedes() {
    let node = Node::new("https://junkan.test").await;
    let token_a = node.token(node.a, &[Role::OrgAdmin, Role::Member]).await;
    let token_b = node.token(node.b, &[Role::Member]).await;
    let good = to_v3(&footprint("managed", "cell", Geography::Country("JP".to_owned()))).expect("v3");
    let broken = |pointer: &str, value: Value| {
        let mut document = good.clone();
        *document.pointer_mut(pointer).expect("pointer exists") = value;
        document
    };
    let mut two_geographies = good.clone();
    two_geographies["pcf"]["geographyRegionOrSubregion"] = json!("Eastern Asia");
    let cases = vec![
        (
            broken("/pcf/pcfExcludingBiogenicUptake", json!("1.5abc")),
            "/footprint/pcf/pcfExcludingBiogenicUptake",
        ),
        (
            broken("/pcf/fossilGhgEmissions", json!("-3")),
            "/footprint/pcf/fossilGhgEmissions",
        ),
        (
            broken("/pcf/referencePeriodStart", json!("2025-02-30T00:00:00Z")),
            "/footprint/pcf/referencePeriodStart",
        ),
        (
            broken("/id", json!(format!("urn:uuid:{}", FootprintId::derived("managed")))),
            "/footprint/id",
        ),
        (two_geographies, "/footprint/pcf"),
    ];
    for (document, pointer) in cases {
        let reply = node
            .post("/api/v1/footprints", &token_a, json!({"footprint": document}))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pointer}: {}",
            reply.body
        );
        assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
        let paths: Vec<&str> = reply.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|error| error["path"].as_str().expect("path"))
            .collect();
        assert!(
            paths.iter().any(|path| path.starts_with(pointer)),
            "{pointer} not in {paths:?}"
        );
    }
    let created = node
        .post("/api/v1/footprints", &token_a, json!({"footprint": good}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let repeated = node
        .post("/api/v1/footprints", &token_a, json!({"footprint": good}))
        .await;
    assert_eq!(repeated.status, StatusCode::CONFLICT);

    // Supersede: a new footprint naming the old, the old deprecated.
    let mut successor = footprint("managed-2", "cell", Geography::Country("JP".to_owned()));
    successor.comment = Some("recalculated".to_owned());
    let old = FootprintId::derived("managed");
    let path = format!("/api/v1/footprints/{old}/supersede");
    let by_b = node
        .post(&path, &token_b, json!({"footprint": to_v3(&successor).expect("v3")}))
        .await;
    assert_eq!(by_b.status, StatusCode::NOT_FOUND, "B cannot see it");
    let replaced = node
        .post(&path, &token_a, json!({"footprint": to_v3(&successor).expect("v3")}))
        .await;
    assert_eq!(replaced.status, StatusCode::CREATED, "{}", replaced.body);
    assert_eq!(replaced.body["footprint"]["precedingPfIds"], json!([old.to_string()]));
    let deprecated = node.get(&format!("/api/v1/footprints/{old}"), &token_a).await;
    assert_eq!(deprecated.body["footprint"]["status"], "Deprecated");
    assert_eq!(deprecated.body["superseded_by"], successor.id.to_string());
    let again = node
        .post(&path, &token_a, json!({"footprint": to_v3(&successor).expect("v3")}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let listed = node.get("/api/v1/footprints?status=Deprecated", &token_a).await;
    assert_eq!(listed.body["items"].as_array().expect("items").len(), 1);
    let bad_query = node.get("/api/v1/footprints?validOn=never", &token_a).await;
    assert_eq!(bad_query.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// What the partner served on 127.0.0.1 saw.
#[derive(Default)]
struct PartnerLog {
    token_requests: Vec<String>,
    events: Vec<(String, Value)>,
    failures_left: usize,
}

type SharedLog = Arc<Mutex<PartnerLog>>;

async fn partner_token(State(log): State<SharedLog>, headers: HeaderMap) -> axum::response::Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    log.lock().expect("log").token_requests.push(authorization.clone());
    if authorization != format!("Basic {}", STANDARD.encode("junkan-node:partner-secret")) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    Json(json!({"access_token": "partner-token", "token_type": "Bearer"})).into_response()
}

async fn partner_events(State(log): State<SharedLog>, headers: HeaderMap, body: String) -> StatusCode {
    let mut log = log.lock().expect("log");
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    log.events.push((authorization, event));
    if log.failures_left > 0 {
        log.failures_left -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::OK
}

/// A PACT partner on 127.0.0.1 with discovery, a token endpoint and an events endpoint.
async fn partner_server() -> (SocketAddr, SharedLog) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let log: SharedLog = Arc::default();
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(json!({"token_endpoint": format!("http://{address}/oauth/token")})) }),
        )
        .route("/oauth/token", post(partner_token))
        .route("/3/events", post(partner_events))
        .with_state(log.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("partner serves");
    });
    (address, log)
}

fn request_event(id: &str, source: &str, data: Value) -> String {
    json!({"specversion": "1.0", "id": id, "source": source, "time": "2026-04-01T09:00:00Z",
           "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3", "data": data})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_answered_through_the_outbox_with_retries_only_to_allowed_hosts() {
    let node = Node::new("https://junkan.test").await;
    let (partner, log) = partner_server().await;
    let (evil, evil_log) = partner_server().await;
    let token_a = node.token(node.a, &[Role::OrgAdmin, Role::Member]).await;
    let token_b = node.token(node.b, &[Role::Member]).await;
    let token_admin = node.token(node.admin, &[Role::NodeAdmin]).await;
    let japan = footprint("answered", "cell", Geography::Country("JP".to_owned()));
    node.publish(&token_a, &japan, "public").await;

    let registration = json!({"organization_id": node.b, "name": "B's PACT host", "base_url": format!("http://{partner}"),
                              "client_id": "junkan-node", "client_secret": "partner-secret"});
    assert_eq!(
        node.post("/api/v1/pact/partners", &token_b, registration.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let registered = node.post("/api/v1/pact/partners", &token_admin, registration).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
    assert!(
        registered.body.get("client_secret").is_none(),
        "secrets are never shown"
    );

    // Authentication comes before the body is read.
    let anonymous = node
        .post_event(3, None, "application/cloudevents+json", "not json".to_owned())
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // A request is answered 200 at once; repeating its id changes nothing.
    let source = format!("//{partner}/pact");
    let request = request_event(
        "request-1",
        &source,
        json!({"productId": ["urn:junkan:part:cell"], "comment": "please"}),
    );
    for _ in 0..2 {
        let reply = node
            .post_event(
                3,
                Some(&token_b),
                "application/cloudevents+json; charset=UTF-8",
                request.clone(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    assert!(
        log.lock().expect("log").events.is_empty(),
        "answers leave through the outbox, later"
    );
    let outbox = node.get("/api/v1/pact/outbox", &token_b).await;
    assert_eq!(
        outbox.body["items"].as_array().expect("items").len(),
        1,
        "{}",
        outbox.body
    );

    // Criteria that cannot be read are rejected later, by an event.
    let bad = request_event("request-2", &source, json!({"validOn": "someday"}));
    assert_eq!(
        node.post_event(3, Some(&token_b), "application/cloudevents+json", bad)
            .await
            .status,
        StatusCode::OK
    );

    // A source that is not an allow-listed partner host of B is refused, and never called.
    let elsewhere = request_event("request-3", &format!("http://{evil}/pact"), json!({}));
    let refused = node
        .post_event(3, Some(&token_b), "application/cloudevents+json", elsewhere)
        .await;
    assert_eq!(
        (refused.status, refused.body["code"].clone()),
        (StatusCode::FORBIDDEN, json!("AccessDenied"))
    );
    let by_a = request_event("request-4", &source, json!({}));
    let not_a_partner_of_a = node
        .post_event(3, Some(&token_a), "application/cloudevents+json", by_a)
        .await;
    assert_eq!(
        not_a_partner_of_a.status,
        StatusCode::FORBIDDEN,
        "the host is B's partner, not A's"
    );

    // The partner fails the first delivery: the sender backs off, then delivers.
    log.lock().expect("log").failures_left = 1;
    let mut clients = PartnerClients::default();
    assert_eq!(deliver_due(&node.state, &mut clients).await.expect("round"), 2);
    assert_eq!(
        deliver_due(&node.state, &mut clients).await.expect("round"),
        0,
        "the failed one waits"
    );
    node.clock.advance(time::Duration::seconds(2));
    // The failed one is due again. Under load a second delivery of the first round may also have
    // failed in transport (it then never reached the partner's log, and is retried the same way):
    // rounds go on, past each back-off, until nothing is due.
    let mut retried_rounds = Vec::new();
    loop {
        let delivered = deliver_due(&node.state, &mut clients).await.expect("round");
        if delivered == 0 {
            break;
        }
        retried_rounds.push(delivered);
        assert!(retried_rounds.len() < 5, "deliveries keep failing: {retried_rounds:?}");
        node.clock.advance(time::Duration::minutes(10));
    }
    assert!(
        retried_rounds.first().is_some_and(|&first| first >= 1),
        "{retried_rounds:?}"
    );
    let outbox = node.get("/api/v1/pact/outbox", &token_b).await;
    let items = outbox.body["items"].as_array().expect("items");
    assert!(
        items.len() == 2 && items.iter().all(|item| !item["delivered_at"].is_null()),
        "all delivered: {}",
        outbox.body
    );
    let log = log.lock().expect("log");
    assert_eq!(
        log.token_requests.len(),
        1,
        "one token, discovered through the OpenID configuration"
    );
    assert!(log
        .events
        .iter()
        .all(|(authorization, _)| authorization == "Bearer partner-token"));
    let delivered: Vec<&Value> = log.events.iter().map(|(_, event)| event).collect();
    // Two answers, the one the partner failed twice (a delivery lost in transport is not here).
    assert_eq!(delivered.len(), 3, "{delivered:?}");
    let answer = |request: &str| {
        delivered
            .iter()
            .rev()
            .find(|event| event["data"]["requestEventId"] == request)
            .copied()
            .expect("answered")
    };
    let fulfilled = answer("request-1");
    assert_eq!(
        fulfilled["type"],
        "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3"
    );
    assert_eq!(fulfilled["source"], "//junkan.test");
    assert_eq!(fulfilled["data"]["pfs"][0]["id"], japan.id.to_string());
    junkan_footprint::pact::from_v3(&fulfilled["data"]["pfs"][0]).expect("valid v3");
    let retried: Vec<&&Value> = delivered
        .iter()
        .filter(|event| event["id"] == fulfilled["id"])
        .collect();
    let rejected = answer("request-2");
    assert_eq!(
        rejected["type"],
        "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"
    );
    assert_eq!(rejected["data"]["error"]["code"], "BadRequest");
    assert!(
        retried.len() + delivered.iter().filter(|event| event["id"] == rejected["id"]).count() == 3,
        "the retry kept its event id"
    );
    assert!(evil_log.lock().expect("log").events.is_empty() && evil_log.lock().expect("log").token_requests.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_checked_and_publishing_notifies_subscribed_partners() {
    let node = Node::new("https://junkan.test").await;
    let (partner, log) = partner_server().await;
    let token_a = node.token(node.a, &[Role::OrgAdmin, Role::Member]).await;
    let token_b = node.token(node.b, &[Role::Member]).await;
    let token_admin = node.token(node.admin, &[Role::NodeAdmin]).await;
    let source = format!("//{partner}");
    let published = |ids: Value| {
        json!({"specversion": "1.0", "id": "published-1", "source": source, "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3", "data": {"pfIds": ids}}).to_string()
    };
    let unknown = node
        .post_event(
            3,
            Some(&token_b),
            "application/cloudevents+json",
            published(json!([FootprintId::derived("never").to_string()])),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::OK, "unknown ids are fine: {}", unknown.body);
    for ids in [
        json!(["not-a-uuid"]),
        json!([format!("urn:uuid:{}", FootprintId::derived("x"))]),
        json!([]),
    ] {
        let reply = node
            .post_event(
                3,
                Some(&token_b),
                "application/cloudevents+json",
                published(ids.clone()),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("BadRequest")),
            "{ids}"
        );
    }
    let other_type =
        json!({"specversion": "1.0", "id": "x", "source": source, "type": "com.example.Ping", "data": {}}).to_string();
    let not_implemented = node
        .post_event(3, Some(&token_b), "application/cloudevents+json", other_type)
        .await;
    assert_eq!(
        (not_implemented.status, not_implemented.body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("NotImplemented"))
    );
    let wrong_media = node
        .post_event(3, Some(&token_b), "text/plain", published(json!([])))
        .await;
    assert_eq!(wrong_media.status, StatusCode::BAD_REQUEST);
    let not_json = node
        .post_event(3, Some(&token_b), "application/cloudevents+json", "{".to_owned())
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);

    // B's partner host subscribes to notifications.
    let registration = json!({"organization_id": node.b, "name": "B", "base_url": format!("http://{partner}"),
                              "token_endpoint": format!("http://{partner}/oauth/token"),
                              "client_id": "junkan-node", "client_secret": "partner-secret", "notify_published": true});
    assert_eq!(
        node.post("/api/v1/pact/partners", &token_admin, registration)
            .await
            .status,
        StatusCode::CREATED
    );
    let hidden = footprint("hidden", "cell", Geography::Global);
    node.publish(&token_a, &hidden, "restricted").await;
    let visible = footprint("visible", "cell", Geography::Global);
    node.publish(&token_a, &visible, "public").await;
    let mut successor = footprint("visible-2", "cell", Geography::Global);
    successor.comment = Some("corrected".to_owned());
    let replaced = node
        .post(
            &format!("/api/v1/footprints/{}/supersede", visible.id),
            &token_a,
            json!({"footprint": to_v3(&successor).expect("v3")}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::CREATED, "{}", replaced.body);
    let mut clients = PartnerClients::default();
    assert_eq!(deliver_due(&node.state, &mut clients).await.expect("round"), 2);
    let log = log.lock().expect("log");
    let notified: Vec<Value> = log
        .events
        .iter()
        .map(|(_, event)| event["data"]["pfIds"].clone())
        .collect();
    // The ids of one event are in id order.
    let mut both = vec![successor.id.to_string(), visible.id.to_string()];
    both.sort();
    assert_eq!(
        notified,
        vec![json!([visible.id.to_string()]), json!(both)],
        "the restricted footprint B may not read is not announced; the supersede names both"
    );
    assert!(log
        .events
        .iter()
        .all(|(_, event)| event["type"] == "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"));
}

/// Fails the first `failures` requests to `/3/footprints` with 503, as a busy partner might.
async fn flaky(
    State(failures): State<Arc<AtomicUsize>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_list = request.uri().path().ends_with("/footprints");
    if is_list
        && failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
            .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    next.run(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_fetches_a_partner_with_discovery_pages_retries_and_a_report() {
    // The partner is a junkan node served on 127.0.0.1, its public base URL that address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let node = Node::new(&format!("http://{address}")).await;
    let token_a = node.token(node.a, &[Role::OrgAdmin, Role::Member]).await;
    for index in 0..5 {
        node.publish(
            &token_a,
            &footprint(&format!("fetched-{index}"), "cell", Geography::Country("JP".to_owned())),
            "public",
        )
        .await;
    }
    let failures = Arc::new(AtomicUsize::new(1));
    let app = node
        .router
        .clone()
        .layer(axum::middleware::from_fn_with_state(failures.clone(), flaky));
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("node serves");
    });
    let (client_id, secret) = node.client(node.b, &[Role::Member]).await;
    let base = format!("http://{address}");
    let (v3, v2, endpoint) = tokio::task::spawn_blocking(move || {
        let mut client = PactClient::new(&base, None, &client_id, &secret);
        client.retry_delay = std::time::Duration::from_millis(10);
        let limit = [("limit".to_owned(), "2".to_owned())];
        let v3 = client.fetch_footprints(3, &limit).expect("v3 fetch");
        let v2 = client.fetch_footprints(2, &limit).expect("v2 fetch");
        (v3, v2, client.token_endpoint.clone())
    })
    .await
    .expect("client thread");
    assert_eq!(endpoint, Some(format!("http://{address}/auth/token")), "discovered");
    assert_eq!(failures.load(Ordering::SeqCst), 0, "the 503 was retried");
    for report in [&v3, &v2] {
        assert_eq!(
            (report.fetched, report.valid_count, report.pages),
            (5, 5, 3),
            "version {}",
            report.version
        );
        assert!(report.invalid.is_empty());
    }
    let mut fetched: Vec<String> = v3.valid.iter().map(|footprint| footprint.id.to_string()).collect();
    fetched.sort();
    let mut expected: Vec<String> = (0..5).map(|index| id_of(&format!("fetched-{index}"))).collect();
    expected.sort();
    assert_eq!(fetched, expected);
    // v2.3 says less than v3 (no DQI, fewer standards), but the values are the same.
    let same = v3
        .valid
        .iter()
        .find(|footprint| footprint.id == v2.valid[0].id)
        .expect("same footprint");
    assert_eq!(
        v2.valid[0].pcf.pcf_excluding_biogenic_uptake,
        same.pcf.pcf_excluding_biogenic_uptake
    );
    assert_eq!(v2.valid[0].product_ids, same.product_ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reports_invalid_footprints_of_a_partner() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let good = to_v3(&footprint("good", "cell", Geography::Country("JP".to_owned()))).expect("v3");
    let mut bad = good.clone();
    bad["id"] = json!("urn:uuid:0d3f6f2e-8c4e-4b7a-9f5e-1c2d3e4f5a6b");
    bad["pcf"]["fossilGhgEmissions"] = json!("-1");
    bad["pcf"]["geographyRegionOrSubregion"] = json!("Eastern Asia");
    let listing = json!({"data": [good, bad]});
    let app = Router::new()
        .route(
            "/auth/token",
            post(|| async { Json(json!({"access_token": "t", "token_type": "Bearer"})) }),
        )
        .route("/3/footprints", get(move || async move { Json(listing) }));
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serves");
    });
    let base = format!("http://{address}");
    let report =
        tokio::task::spawn_blocking(move || PactClient::new(&base, None, "id", "secret").fetch_footprints(3, &[]))
            .await
            .expect("thread")
            .expect("fetch");
    assert_eq!((report.fetched, report.valid_count, report.invalid.len()), (2, 1, 1));
    let paths: Vec<&str> = report.invalid[0]
        .violations
        .iter()
        .map(|violation| violation.path.as_str())
        .collect();
    assert!(
        paths.contains(&"/id") && paths.contains(&"/pcf/fossilGhgEmissions"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|path| path.starts_with("/pcf/geography")), "{paths:?}");
}
