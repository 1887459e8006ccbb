//! The GS1 Digital Link resolver through the real router: content negotiation, link types and
//! redirects, the linkset, errors, CORS, fallback from item to model, the passport page in both
//! languages with hostile data escaped, restricted fields, QR codes and the public view cache.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use junkan_model::passport::{Granularity, NewPassport, Passport};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use support::TestApp;

const MODEL: &str = "https://id.gs1.org/01/04912345000019";
const ITEM: &str = "https://id.gs1.org/01/04912345000019/21/ITEM1";
const HOSTILE: &str = "<script>alert('x')</script>";
/// A value of a legitimate-interest field of the home appliance example (its serial number).
const RESTRICTED_VALUE: &str = "1204-0088731";

struct Fixture {
    app: TestApp,
    model: Passport,
    item: Passport,
    secret: Passport,
}

fn actor_of(organization: junkan_model::ids::OrganizationId) -> Actor {
    Actor {
        kind: PrincipalKind::Client,
        principal_id: "resolver-test".to_owned(),
        organization_id: Some(organization),
        roles: vec![Role::OrgAdmin, Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    }
}

fn new_passport(identifier: &str, granularity: Granularity, model_number: &str) -> NewPassport {
    let mut data = junkan_passport::builtin::example("home_appliance").expect("shipped example");
    data["modelNumber"] = Value::String(model_number.to_owned());
    NewPassport {
        identifier: identifier.to_owned(),
        granularity,
        profile: "home_appliance".to_owned(),
        status: junkan_model::passport::LifecycleStatus::InUse,
        visibility: junkan_model::facility::Visibility::Public,
        data,
        links: vec![],
        note: None,
    }
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    for document in junkan_passport::builtin::documents() {
        app.store
            .register_profile(&Actor::system(), document)
            .await
            .expect("shipped profiles register");
    }
    let a = actor_of(app.a);
    let model = app
        .store
        .create_passport(&a, new_passport(MODEL, Granularity::Model, HOSTILE))
        .await
        .expect("model passport");
    let item = app
        .store
        .create_passport(&a, new_passport(ITEM, Granularity::Item, "NR-ITEM"))
        .await
        .expect("item passport");
    let mut secret = new_passport("https://id.gs1.org/01/09506000134352", Granularity::Model, "SECRET-1");
    secret.visibility = junkan_model::facility::Visibility::Restricted;
    let secret = app
        .store
        .create_passport(&a, secret)
        .await
        .expect("restricted passport");
    Fixture {
        app,
        model,
        item,
        secret,
    }
}

struct Raw {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
    bytes: Vec<u8>,
}

async fn request(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(builder.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    Raw {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Raw {
    request(app, "GET", path, headers).await
}

fn json(raw: &Raw) -> Value {
    serde_json::from_str(&raw.text).unwrap_or_else(|error| panic!("{error}: {}", raw.text))
}

fn header<'a>(raw: &'a Raw, name: &str) -> &'a str {
    raw.headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn content_negotiation_gives_json_ld_to_machines_and_the_page_to_people() {
    let Fixture { app, model, .. } = fixture().await;
    let reply = get(&app, "/01/04912345000019", &[("accept", "application/ld+json")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(header(&reply, "content-type"), "application/ld+json");
    assert_eq!(header(&reply, "vary"), "Accept, Accept-Language");
    assert_eq!(header(&reply, "access-control-allow-origin"), "*");
    let body = json(&reply);
    assert_eq!(body["@id"], MODEL);
    assert_eq!(body["@type"], "Product");
    assert_eq!(body["@context"]["@vocab"], "https://gs1.org/voc/");
    assert_eq!(body["passportId"], model.id.to_string());
    assert_eq!(body["accessLevel"], "public");
    assert_eq!(body["statusLabel"]["ja"], "使用中");
    assert!(body.get("requestedIdentifier").is_none());
    let plain = get(&app, "/01/04912345000019", &[("accept", "application/json")]).await;
    assert_eq!(header(&plain, "content-type"), "application/json");
    assert_eq!(json(&plain)["@id"], MODEL);

    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for accept in [browser, "*/*"] {
        let page = get(&app, "/01/04912345000019", &[("accept", accept)]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
        assert!(page.text.contains("<html lang=\"ja\">"));
    }
    let missing_accept = get(&app, "/01/04912345000019", &[]).await;
    assert!(missing_accept.text.starts_with("<!DOCTYPE html>"));
    // A browser still holding the cookie of a session that has ended gets the public page.
    let stale = get(
        &app,
        "/01/04912345000019",
        &[("accept", browser), ("cookie", "junkan_session=ended-long-ago")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK, "{}", stale.text);
    assert!(stale.text.starts_with("<!DOCTYPE html>"));
    let refused = get(&app, "/01/04912345000019", &[("accept", "image/png")]).await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    let linkset = get(&app, "/01/04912345000019", &[("accept", "application/linkset+json")]).await;
    assert_eq!(header(&linkset, "content-type"), "application/linkset+json");
    assert!(json(&linkset)["linkset"].is_array());
    // ?format= overrides Accept (the linkset's own targets use it).
    let forced = get(&app, "/01/04912345000019?format=jsonld", &[("accept", "text/html")]).await;
    assert_eq!(header(&forced, "content-type"), "application/ld+json");
    let bad = get(&app, "/01/04912345000019?format=xml", &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_page_reads_in_japanese_or_english_and_escapes_hostile_data() {
    let Fixture { app, .. } = fixture().await;
    let page = get(&app, "/01/04912345000019", &[("accept", "text/html")]).await;
    let html = &page.text;
    assert_eq!(header(&page, "content-language"), "ja");
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    // The node's own embedded stylesheet, no inline style, no script of any origin, under the
    // web application's Content-Security-Policy.
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/app/assets/app.css?v="));
    assert!(!html.contains("<style") && !html.contains(" style="));
    assert!(!html.contains("<script"), "no script of any origin: {html}");
    assert!(header(&page, "content-security-policy").contains("script-src 'self'"));
    assert!(!header(&page, "content-security-policy").contains("unsafe-inline"));
    assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
    assert!(!html.contains(HOSTILE));
    assert!(html.contains("家電"), "the profile's Japanese name");
    assert!(html.contains("状態: <span>使用中</span>"));
    for item in [
        "識別・基本情報",
        "組成・含有化学物質",
        "環境価値",
        "残存価値",
        "廃棄物情報",
    ] {
        assert!(html.contains(item), "{item} section missing");
    }
    assert!(html.contains("製品質量"), "a field label in Japanese");
    assert!(html.contains("88 kg"), "value with its unit");
    assert!(html.contains("この閲覧レベル（一般公開）では"), "the withheld line");
    assert!(html.contains("<svg"), "the QR code inline");
    assert!(html.contains("hreflang=\"en\""), "a visible switch to English");
    assert!(html.contains("?linkType=linkset") && html.contains("export?format=untp"));
    assert!(html.contains("/epcis/events?MATCH_anyEPC="));

    let english = get(&app, "/01/04912345000019?lang=en", &[("accept", "text/html")]).await;
    assert!(english.text.contains("<html lang=\"en\">"));
    assert!(english.text.contains("Status: <span>In use</span>"));
    assert!(english.text.contains("Product mass"));
    assert!(english.text.contains("Environmental value"));
    assert!(english.text.contains("At this access level (public)"));
    assert!(english.text.contains("&lt;script&gt;"));
    let by_header = get(
        &app,
        "/01/04912345000019",
        &[("accept", "text/html"), ("accept-language", "en-US,en;q=0.9")],
    )
    .await;
    assert!(by_header.text.contains("<html lang=\"en\">"));
    let bad_lang = get(&app, "/01/04912345000019?lang=fr", &[]).await;
    assert_eq!(bad_lang.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_linkset_has_typed_links_and_exactly_one_default() {
    let Fixture { app, model, .. } = fixture().await;
    for path in ["/01/04912345000019?linkType=linkset", "/01/04912345000019?linkType=all"] {
        let reply = get(&app, path, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(header(&reply, "content-type"), "application/linkset+json");
        let body = json(&reply);
        let sets = body["linkset"].as_array().expect("linkset");
        assert_eq!(sets.len(), 1);
        let set = &sets[0];
        assert_eq!(set["anchor"], MODEL);
        let defaults = set["https://gs1.org/voc/defaultLink"].as_array().expect("default link");
        assert_eq!(defaults.len(), 1, "exactly one default link");
        assert_eq!(
            defaults[0]["href"],
            format!("{}/01/04912345000019?format=html", support::ISSUER)
        );
        let pip = set["https://gs1.org/voc/pip"].as_array().expect("pip");
        let languages: Vec<&Value> = pip.iter().map(|link| &link["hreflang"][0]).collect();
        assert_eq!(languages, ["ja", "en"]);
        assert!(pip
            .iter()
            .all(|link| link["title"].is_string() && link["type"] == "text/html"));
        let untp = &set["https://test.uncefact.org/vocabulary/linkTypes/dpp"][0];
        assert_eq!(
            untp["href"],
            format!("{}/api/v1/passports/{}/export?format=untp", support::ISSUER, model.id)
        );
        assert!(set["https://gs1.org/voc/sustainabilityInfo"][0]["href"].is_string());
        assert!(set["https://gs1.org/voc/certificationInfo"][0]["href"].is_string());
        assert_eq!(
            set["https://gs1.org/voc/traceability"][0]["href"],
            format!(
                "{}/epcis/events?MATCH_anyEPC=https%3A%2F%2Fid.gs1.org%2F01%2F04912345000019",
                support::ISSUER
            )
        );
        let masterdata = &set["https://gs1.org/voc/masterData"][0];
        assert_eq!(masterdata["type"], "application/ld+json");
    }
}

#[tokio::test]
async fn link_types_redirect_with_the_query_passed_on() {
    let Fixture { app, .. } = fixture().await;
    let reply = get(&app, "/01/04912345000019?linkType=gs1:pip&lang=en&campaign=spring", &[]).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT, "{}", reply.text);
    let location = header(&reply, "location");
    assert!(
        location.starts_with(&format!("{}/01/04912345000019?", support::ISSUER)),
        "{location}"
    );
    assert!(location.contains("lang=en") && location.contains("campaign=spring") && location.contains("format=html"));
    assert!(!location.contains("linkType"), "{location}");
    assert!(!location.contains("lang=ja"), "the request's language wins: {location}");
    let full = get(
        &app,
        "/01/04912345000019?linkType=https%3A%2F%2Fgs1.org%2Fvoc%2FmasterData",
        &[],
    )
    .await;
    assert_eq!(full.status, StatusCode::TEMPORARY_REDIRECT);
    assert!(header(&full, "location").ends_with("?format=jsonld"));
    let dpp = get(&app, "/01/04912345000019?linkType=untp:dpp&17=261231", &[]).await;
    assert_eq!(dpp.status, StatusCode::TEMPORARY_REDIRECT);
    assert!(header(&dpp, "location").contains("/export?format=untp&17=261231"));
    let following = get(&app, header(&full, "location").trim_start_matches(support::ISSUER), &[]).await;
    assert_eq!(header(&following, "content-type"), "application/ld+json");
    let unknown = get(&app, "/01/04912345000019?linkType=gs1:epil", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(header(&unknown, "content-type"), "application/problem+json");
}

#[tokio::test]
async fn malformed_digital_links_are_400_and_unknown_ones_404() {
    let Fixture { app, .. } = fixture().await;
    for (path, fragment) in [
        ("/01/04912345000018", "check digit"),
        ("/01/04912345000019/21/S1/10/L1", "order"),
        ("/01/04912345000019/10/A%20B", ""),
        ("/01/04912345000019/10", "value"),
        ("/00/106141412345678900", "check digit"),
        ("/8003/ABC", ""),
    ] {
        let reply = get(&app, path, &[("accept", "text/html")]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}: {}", reply.text);
        assert_eq!(header(&reply, "content-type"), "application/problem+json", "{path}");
        assert_eq!(header(&reply, "access-control-allow-origin"), "*");
        let body = json(&reply);
        assert_eq!(body["type"], "urn:junkan:problem:digital-link");
        assert!(
            body["detail"].as_str().expect("detail").contains(fragment),
            "{path}: {body}"
        );
    }
    let unknown = get(&app, "/01/04912345000026", &[("accept", "application/json")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    assert_eq!(header(&unknown, "content-type"), "application/problem+json");
    // Other routes are not the resolver's: AIs that are no primary key, and the API.
    assert_eq!(get(&app, "/10/ABC", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/healthz", &[]).await.status, StatusCode::OK);
    assert_eq!(get(&app, "/api/v1/me", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn head_options_cors_and_the_resolver_description() {
    let Fixture { app, .. } = fixture().await;
    let head = request(&app, "HEAD", "/01/04912345000019", &[("accept", "application/json")]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.bytes.is_empty());
    assert_eq!(header(&head, "content-type"), "application/json");
    assert_eq!(header(&head, "access-control-allow-origin"), "*");
    let preflight = request(
        &app,
        "OPTIONS",
        "/01/04912345000019/21/ITEM1",
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    assert!(header(&preflight, "access-control-allow-methods").contains("HEAD"));
    assert!(header(&preflight, "access-control-allow-headers").contains("Accept"));
    assert!(header(&preflight, "access-control-expose-headers").contains("Link"));

    let description = get(&app, "/.well-known/gs1resolver", &[]).await;
    assert_eq!(description.status, StatusCode::OK);
    let body = json(&description);
    assert_eq!(body["resolverRoot"], support::ISSUER);
    let keys: Vec<&str> = body["supportedPrimaryKeys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for key in [
        "00", "01", "414", "417", "8003", "8004", "8006", "8010", "8013", "8017", "8018", "253", "255", "401", "402",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    assert_eq!(body["supportedLinkType"][0]["prefix"], "gs1:");
    assert_eq!(body["linkTypeDefaultCanBeLinkset"], false);
    // The other well-known documents stay where they were.
    assert_eq!(get(&app, "/.well-known/jwks.json", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn items_fall_back_to_their_model_and_say_which_passport_answered() {
    let Fixture { app, item, .. } = fixture().await;
    let own = get(&app, "/01/04912345000019/21/ITEM1", &[("accept", "application/json")]).await;
    assert_eq!(json(&own)["@id"], ITEM);
    assert_eq!(json(&own)["passportId"], item.id.to_string());
    let other = get(&app, "/01/04912345000019/21/OTHER", &[("accept", "application/json")]).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
    let body = json(&other);
    assert_eq!(body["@id"], MODEL);
    assert_eq!(
        body["requestedIdentifier"],
        "https://id.gs1.org/01/04912345000019/21/OTHER"
    );
    assert!(header(&other, "link").contains(&format!(
        "<{}/01/04912345000019>; rel=\"urn:junkan:passport:matched\"",
        support::ISSUER
    )));
    assert!(header(&other, "link").contains("rel=\"linkset\""));
    // A batch URI that has no batch passport, through the convenience names of Digital Link 1.1.
    let alias = get(
        &app,
        "/gtin/4912345000019/lot/L9/ser/OTHER",
        &[("accept", "application/json")],
    )
    .await;
    assert_eq!(alias.status, StatusCode::OK, "{}", alias.text);
    assert_eq!(json(&alias)["@id"], MODEL);
    let page = get(&app, "/01/04912345000019/21/OTHER", &[("accept", "text/html")]).await;
    assert!(page.text.contains("製品モデルのパスポートを表示しています"));
    let linkset = get(&app, "/01/04912345000019/21/OTHER?linkType=linkset", &[]).await;
    assert_eq!(
        json(&linkset)["linkset"][0]["anchor"],
        "https://id.gs1.org/01/04912345000019/21/OTHER"
    );
}

#[tokio::test]
async fn restricted_values_stay_out_of_public_views_while_the_owner_sees_them() {
    let Fixture { app, secret, .. } = fixture().await;
    let path = "/01/04912345000019/21/ITEM1";
    let public_json = get(&app, path, &[("accept", "application/json")]).await;
    let public_page = get(&app, path, &[("accept", "text/html")]).await;
    let public_linkset = get(&app, &format!("{path}?linkType=linkset"), &[]).await;
    for reply in [&public_json, &public_page, &public_linkset] {
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            !reply.text.contains(RESTRICTED_VALUE),
            "restricted value leaked: {}",
            reply.text
        );
        assert!(!reply.text.contains("cyclopentane"));
    }
    let withheld = json(&public_json)["withheld"].clone();
    assert!(withheld
        .as_array()
        .expect("withheld")
        .contains(&Value::from("/serialNumber")));
    assert!(
        public_page.text.contains("製造番号") || public_page.text.contains("シリアル"),
        "withheld field named"
    );
    assert_eq!(header(&public_json, "cache-control"), "public, max-age=60");

    let bearer = format!("Bearer {}", app.token_a);
    let owner = get(
        &app,
        path,
        &[("accept", "application/json"), ("authorization", &bearer)],
    )
    .await;
    assert_eq!(owner.status, StatusCode::OK);
    assert!(owner.text.contains(RESTRICTED_VALUE));
    assert_eq!(json(&owner)["accessLevel"], "owner");
    assert_eq!(header(&owner, "cache-control"), "private, no-store");
    let owner_page = get(&app, path, &[("accept", "text/html"), ("authorization", &bearer)]).await;
    assert!(owner_page.text.contains(RESTRICTED_VALUE));
    // The public view is still public after the owner's read (the cache holds anonymous views only).
    let again = get(&app, path, &[("accept", "application/json")]).await;
    assert!(!again.text.contains(RESTRICTED_VALUE));

    // A restricted passport: 404 to anyone but its owner, as if it did not exist.
    let hidden = "/01/09506000134352";
    assert_eq!(get(&app, hidden, &[]).await.status, StatusCode::NOT_FOUND);
    let other_org = format!("Bearer {}", app.token_b);
    assert_eq!(
        get(&app, hidden, &[("authorization", &other_org)]).await.status,
        StatusCode::NOT_FOUND
    );
    let mine = get(
        &app,
        hidden,
        &[("accept", "application/json"), ("authorization", &bearer)],
    )
    .await;
    assert_eq!(json(&mine)["passportId"], secret.id.to_string());
    let bad_token = get(&app, hidden, &[("authorization", "Bearer nonsense")]).await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn qr_codes_decode_to_the_canonical_digital_link() {
    let Fixture { app, model, secret, .. } = fixture().await;
    let png = get(
        &app,
        &format!("/api/v1/passports/{}/qr?format=png&size=300", model.id),
        &[],
    )
    .await;
    assert_eq!(png.status, StatusCode::OK, "{}", png.text);
    assert_eq!(header(&png, "content-type"), "image/png");
    let decoder = png::Decoder::new(std::io::Cursor::new(png.bytes.clone()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert!(info.width <= 300 && info.width >= 150);
    let (width, height) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().expect("decodes");
    assert_eq!(text, MODEL);

    let resolver_png = get(
        &app,
        &format!("/api/v1/passports/{}/qr?format=png&target=resolver", model.id),
        &[],
    )
    .await;
    let decoder = png::Decoder::new(std::io::Cursor::new(resolver_png.bytes.clone()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    let width = info.width as usize;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, info.height as usize, |x, y| pixels[y * width + x]);
    let (_, text) = image.detect_grids()[0].decode().expect("decodes");
    assert_eq!(text, format!("{}/01/04912345000019", support::ISSUER));

    let svg = get(&app, &format!("/api/v1/passports/{}/qr", model.id), &[]).await;
    assert_eq!(header(&svg, "content-type"), "image/svg+xml");
    assert!(svg.text.contains("<svg") && svg.text.contains("width=\""));
    for bad in ["size=10", "size=99999", "format=gif", "size=abc", "colour=red"] {
        let reply = get(&app, &format!("/api/v1/passports/{}/qr?{bad}", model.id), &[]).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.text);
        assert_eq!(header(&reply, "content-type"), "application/problem+json");
    }
    let hidden = get(&app, &format!("/api/v1/passports/{}/qr", secret.id), &[]).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let bearer = format!("Bearer {}", app.token_a);
    let owned = get(
        &app,
        &format!("/api/v1/passports/{}/qr", secret.id),
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(owned.status, StatusCode::OK);
}

#[tokio::test]
async fn writes_through_this_process_invalidate_cached_public_views() {
    let Fixture { app, .. } = fixture().await;
    let path = "/01/04912345000019/21/NEW";
    let before = get(&app, path, &[("accept", "application/json")]).await;
    assert_eq!(json(&before)["@id"], MODEL);
    assert!(!app.state.resolver.views.is_empty());
    let created = app
        .store
        .create_passport(
            &actor_of(app.a),
            new_passport(
                "https://id.gs1.org/01/04912345000019/21/NEW",
                Granularity::Item,
                "NR-NEW",
            ),
        )
        .await
        .expect("item passport");
    // Still the cached model view until the write handler's hook runs.
    let cached = get(&app, path, &[("accept", "application/json")]).await;
    assert_eq!(json(&cached)["@id"], MODEL);
    app.state.resolver.views.invalidate(&created.identifier);
    let after = get(&app, path, &[("accept", "application/json")]).await;
    assert_eq!(json(&after)["@id"], created.identifier);
}

/// The public page shows whether the passport version's own signature verifies: signed when
/// written through the API, revoked once its owner revokes it, "does not verify" when the
/// credential kept for the version states other data, and "not verified" when the version was
/// never signed.
#[tokio::test]
async fn the_page_shows_the_verification_of_the_passports_own_signature() {
    let Fixture { app, model, item, .. } = fixture().await;
    let signed_identifier = "https://id.gs1.org/01/04912345000026";
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            serde_json::json!({"identifier": signed_identifier, "granularity": "model", "profile": "home_appliance",
                               "visibility": "public", "data": new_passport(signed_identifier, Granularity::Model, "SIGNED-1").data}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let page = |language: &'static str| {
        let app = &app;
        async move {
            let path = format!("/01/04912345000026?lang={language}");
            get(app, &path, &[("accept", "text/html")]).await.text
        }
    };
    assert!(page("ja").await.contains("署名有効"), "signed when written");
    assert!(page("en").await.contains("Signature valid"));

    // The owner revokes the version's credential: the page says so (once its cache is cleared).
    let kept = app
        .store
        .kept_credential("passport", &id, Some(1))
        .await
        .expect("read")
        .expect("the version was signed when written");
    let revoked = app
        .post(
            &format!("/api/v1/credentials/{}/revoke", kept.id),
            &app.token_a,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    app.state.passport_written(signed_identifier);
    let after = page("ja").await;
    assert!(after.contains("取消済み"), "revoked");
    assert!(!after.contains("署名有効"));

    // A version written straight into the store was never signed.
    let unsigned = get(&app, "/01/04912345000019?lang=en", &[("accept", "text/html")]).await;
    assert!(unsigned.text.contains("Not verified"), "{}", unsigned.text);
    assert!(unsigned.text.contains("not signed when it was written"));

    // A credential kept for the item's version that states other data does not verify.
    let mut forged = serde_json::to_value(&item).expect("json");
    forged["data"]["modelNumber"] = Value::String("SOMETHING-ELSE".to_owned());
    let subject = serde_json::json!({
        "id": format!("{}/api/v1/credentials/passport/{}?version=1", support::ISSUER, item.id),
        "type": "JunkanRecord", "recordKind": "passport", "recordId": item.id.to_string(), "recordVersion": 1,
        "content": forged,
    });
    junkan_server::trust::issue(
        &app.state,
        &Actor::system(),
        app.a,
        junkan_server::trust::Issue {
            record_kind: "passport".to_owned(),
            record_id: item.id.to_string(),
            record_version: Some(1),
            types: vec![junkan_server::trust::RECORD_CREDENTIAL_TYPE.to_owned()],
            subject,
            valid_until: None,
            keep_signed: true,
        },
    )
    .await
    .expect("issued");
    let forged_page = get(&app, "/01/04912345000019/21/ITEM1?lang=en", &[("accept", "text/html")]).await;
    assert!(forged_page.text.contains("Does not verify"), "{}", forged_page.text);
    assert!(forged_page.text.contains("not the data the owner signed"));
    // The model's page is unaffected.
    assert_eq!(model.version, 1);
}
