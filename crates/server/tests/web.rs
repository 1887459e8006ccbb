//! The web application through the real router: every page's status in both languages, the
//! language switch remembered by cookie and as the user's preference, sign-in, sign-out and
//! session expiry, CSRF refusals, security headers, escaping of user data, and access control:
//! the workspace shows what the store lets the user read, and reads under grants are audited.

mod support;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use junkan_auth::password::hash_password;
use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::audit::AuditFilter;
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_model::page::PageRequest;
use junkan_model::passport::{Granularity, LifecycleStatus, NewPassport, Passport};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_store::{ManualClock, NewUserRecord};
use support::TestApp;

const PASSWORD: &str = "correct horse battery staple";
const HOSTILE: &str = "<script>alert('x')</script>";

/// A page as a browser gets it.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The CSRF token of the page's forms.
    fn form_token(&self) -> String {
        let start = self
            .text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("the page has a form: {}", self.text))
            + "name=\"csrf\" value=\"".len();
        self.text[start..].split('"').next().expect("a quoted value").to_owned()
    }
}

/// A browser: keeps the cookies the node sets and sends them back.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookies: BTreeMap::new(),
        }
    }

    async fn send(&mut self, builder: axum::http::request::Builder, body: Body) -> Page {
        let mut builder = builder;
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            builder = builder.header(header::COOKIE, cookie);
        }
        let response = self
            .app
            .router
            .clone()
            .oneshot(builder.body(body).expect("request"))
            .await
            .expect("infallible");
        for set_cookie in response.headers().get_all(header::SET_COOKIE) {
            let text = set_cookie.to_str().expect("ascii cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Page {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[]).await
    }

    async fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let mut builder = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(builder, Body::from(body)).await
    }

    /// Signs in through the form, as a person would.
    async fn sign_in(&mut self, username: &str) -> Page {
        let form = self.get("/app/sign-in").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        let token = form.form_token();
        let signed_in = self
            .post(
                "/app/sign-in",
                &[
                    ("csrf", &token),
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/app"),
                ],
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.text);
        signed_in
    }
}

async fn user(
    app: &TestApp,
    organization: OrganizationId,
    username: &str,
    roles: &[Role],
) -> junkan_model::principal::User {
    app.store
        .create_user(
            &Actor::system(),
            organization,
            NewUserRecord {
                username: username.to_owned(),
                display_name: format!("{username} さん"),
                password_hash: hash_password(PASSWORD),
                roles: roles.to_vec(),
                locale: "ja".to_owned(),
            },
        )
        .await
        .expect("user")
}

/// A form's fields as sent.
type Fields<'a> = Vec<(&'a str, &'a str)>;

fn actor_of(organization: OrganizationId) -> Actor {
    Actor {
        kind: PrincipalKind::Client,
        principal_id: "web-test".to_owned(),
        organization_id: Some(organization),
        roles: vec![Role::OrgAdmin, Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    }
}

async fn passport(
    app: &TestApp,
    owner: OrganizationId,
    identifier: &str,
    name: &str,
    visibility: Visibility,
) -> Passport {
    let mut data = junkan_passport::builtin::example("home_appliance").expect("shipped example");
    data["modelNumber"] = Value::String(name.to_owned());
    app.store
        .create_passport(
            &actor_of(owner),
            NewPassport {
                identifier: identifier.to_owned(),
                granularity: Granularity::Model,
                profile: "home_appliance".to_owned(),
                status: LifecycleStatus::InUse,
                visibility,
                data,
                links: vec![],
                note: None,
            },
        )
        .await
        .expect("passport")
}

async fn app_with_profiles(app: TestApp) -> TestApp {
    for document in junkan_passport::builtin::documents() {
        app.store
            .register_profile(&Actor::system(), document)
            .await
            .expect("shipped profiles register");
    }
    app
}

#[tokio::test]
async fn pages_carry_strict_security_headers_and_embedded_assets() {
    let app = TestApp::new().await;
    let mut browser = Browser::new(&app);
    let root = browser.get("/").await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.header("location"), "/app");

    let home = browser.get("/app").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(home.header("content-language"), "ja");
    let csp = home.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));
    assert_eq!(home.header("x-frame-options"), "DENY");
    assert_eq!(home.header("x-content-type-options"), "nosniff");
    assert_eq!(home.header("cache-control"), "no-store");
    assert!(
        home.header("strict-transport-security").is_empty(),
        "no HSTS without TLS"
    );
    // Japanese by default, with landmarks, a skip link and the switch to English.
    let html = &home.text;
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"ja\">"), "{html}");
    assert!(html.contains("<a class=\"skip\" href=\"#main\">本文へ移動</a>"));
    assert!(html.contains("<main id=\"main\" tabindex=\"-1\">"));
    assert!(html.contains("<header class=\"topbar\">") && html.contains("<nav aria-label=\"メインメニュー\">"));
    assert!(html.contains("lang=\"en\">English</button>"));
    // No inline script or style, nothing from another origin.
    assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains(" style="));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external URL: {html}"
    );
    assert!(html.contains("<script src=\"/app/assets/app.js?v="));

    for (name, content_type, fragment) in [
        ("app.css", "text/css; charset=utf-8", ".skip"),
        ("app.js", "text/javascript; charset=utf-8", "addCopyButtons"),
        ("logo.svg", "image/svg+xml", "<svg"),
    ] {
        let asset = browser.get(&format!("/app/assets/{name}?v=1")).await;
        assert_eq!(asset.status, StatusCode::OK, "{name}");
        assert_eq!(asset.header("content-type"), content_type);
        assert!(asset.header("cache-control").contains("immutable"));
        assert!(asset.text.contains(fragment), "{name}");
        assert_eq!(
            asset.header("content-security-policy"),
            home.header("content-security-policy")
        );
    }
    assert_eq!(
        browser.get("/app/assets/secrets.txt").await.status,
        StatusCode::NOT_FOUND
    );
    let missing = browser.get("/app/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("見つかりません"));
    // The API keeps its own answers.
    let api = browser.get("/api/v1/no-such-resource").await;
    assert_eq!(api.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_come_back() {
    let app = TestApp::new().await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    let mut browser = Browser::new(&app);
    for path in [
        "/app/passports",
        "/app/events",
        "/app/footprints",
        "/app/grants",
        "/app/requests",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        let expected = format!("/app/sign-in?next={}", path.replace('/', "%2F"));
        assert_eq!(page.header("location"), expected);
    }
    let form = browser
        .get("/app/sign-in?next=%2Fapp%2Fgrants%3Fdirection%3Dreceived")
        .await;
    assert!(form.text.contains("autocomplete=\"current-password\""));
    assert!(form.text.contains("<label for=\"username\">ユーザー名</label>"));
    let token = form.form_token();
    let signed_in = browser
        .post(
            "/app/sign-in",
            &[
                ("csrf", &token),
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/app/grants?direction=received"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.header("location"), "/app/grants?direction=received");
    let session_cookie = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("junkan_session="))
        .expect("a session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    assert!(!session_cookie.contains("Secure"), "not over plain HTTP");
    let grants = browser.get("/app/grants?direction=received").await;
    assert_eq!(grants.status, StatusCode::OK);
    assert!(grants.text.contains("alice さん"));

    // A next that leaves the application is not followed.
    let mut other = Browser::new(&app);
    let form = other.get("/app/sign-in").await;
    let away = other
        .post(
            "/app/sign-in",
            &[
                ("csrf", &form.form_token()),
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "//evil.example/app"),
            ],
        )
        .await;
    assert_eq!(away.header("location"), "/app");
}

#[tokio::test]
async fn wrong_passwords_and_forged_forms_are_refused() {
    let app = TestApp::new().await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/app/sign-in").await;
    let token = form.form_token();
    let wrong = browser
        .post(
            "/app/sign-in",
            &[
                ("csrf", &token),
                ("username", "alice"),
                ("password", "guess"),
                ("next", "/app"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("ユーザー名またはパスワードが正しくありません。"));
    assert!(wrong.text.contains("value=\"alice\""), "the name is kept");
    assert!(!browser.cookies.contains_key("junkan_session"));

    // Without the form's token, with another token, or from another site: refused.
    let no_token = browser
        .post(
            "/app/sign-in",
            &[("csrf", ""), ("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.text.contains("フォームを受け付けられません"));
    let forged = browser
        .post(
            "/app/sign-in",
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let cross_site = browser
        .post_with(
            "/app/sign-in",
            &[("csrf", &token), ("username", "alice"), ("password", PASSWORD)],
            &[("origin", "https://evil.example"), ("host", "junkan.test")],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let fetch_metadata = browser
        .post_with(
            "/app/sign-in",
            &[("csrf", &token), ("username", "alice"), ("password", PASSWORD)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(fetch_metadata.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("junkan_session"));
    // A browser without the form cookie cannot replay a token it saw elsewhere.
    let mut stranger = Browser::new(&app);
    let replayed = stranger
        .post(
            "/app/sign-in",
            &[("csrf", &token), ("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(replayed.status, StatusCode::FORBIDDEN);
    // The same site is fine.
    let same_site = browser
        .post_with(
            "/app/sign-in",
            &[("csrf", &token), ("username", "alice"), ("password", PASSWORD)],
            &[
                ("origin", "http://junkan.test"),
                ("host", "junkan.test"),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    assert_eq!(same_site.status, StatusCode::SEE_OTHER, "{}", same_site.text);

    // Signed in, forms carry the session's token; the sign-in form's token no longer works.
    let home = browser.get("/app").await;
    let session_token = home.form_token();
    assert_ne!(session_token, token);
    let stale = browser.post("/app/sign-out", &[("csrf", &token)]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/app/passports").await.status,
        StatusCode::OK,
        "still signed in"
    );
    let out = browser.post("/app/sign-out", &[("csrf", &session_token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.header("location"), "/app/sign-in?signed_out=1");
    assert!(!browser.cookies.contains_key("junkan_session"));
    assert!(browser
        .get("/app/sign-in?signed_out=1")
        .await
        .text
        .contains("サインアウトしました。"));
    assert_eq!(browser.get("/app/passports").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_expire_and_the_page_says_so() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let app = TestApp::with_clock(clock.clone()).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let home = browser.get("/app").await;
    assert!(
        home.text.contains("data-session-ends=\""),
        "the script may warn before the end"
    );
    clock.advance(time::Duration::hours(9));
    let ended = browser.get("/app/events?type=ObjectEvent").await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ended.header("location"),
        "/app/sign-in?next=%2Fapp%2Fevents%3Ftype%3DObjectEvent&ended=1"
    );
    assert!(
        !browser.cookies.contains_key("junkan_session"),
        "the dead cookie is removed"
    );
    let form = browser.get(ended.header("location")).await;
    assert!(form.text.contains("セッションが終了しました。"));
}

#[tokio::test]
async fn the_language_switch_is_remembered_by_cookie_and_as_the_user_s_preference() {
    let app = TestApp::new().await;
    let alice = user(&app, app.a, "alice", &[Role::Member]).await;
    let mut browser = Browser::new(&app);
    // Signed out: the cookie remembers the choice.
    let home = browser.get("/app/indicators").await;
    let switched = browser
        .post(
            "/app/language",
            &[
                ("csrf", &home.form_token()),
                ("lang", "en"),
                ("next", "/app/indicators"),
            ],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.header("location"), "/app/indicators");
    let english = browser.get("/app").await;
    assert!(english.text.contains("<html lang=\"en\">"));
    assert_eq!(english.header("content-language"), "en");
    assert!(english.text.contains("Skip to main content"));
    assert!(english.text.contains("lang=\"ja\">日本語</button>"));
    // Signing in makes the browser's choice the user's preference.
    browser.sign_in("alice").await;
    let stored = app.store.user_by_id(alice.id).await.expect("user").expect("exists");
    assert_eq!(stored.locale, "en");
    assert!(browser.get("/app").await.text.contains("Workspace"));
    // Another browser, which never chose, follows the user's preference once signed in.
    let mut phone = Browser::new(&app);
    assert!(phone.get("/app").await.text.contains("<html lang=\"ja\">"));
    phone.sign_in("alice").await;
    let page = phone.get("/app/passports").await;
    assert!(page.text.contains("<html lang=\"en\">"), "{}", page.text);
    // Switching back while signed in changes the preference.
    let back = phone
        .post(
            "/app/language",
            &[("csrf", &page.form_token()), ("lang", "ja"), ("next", "/app/passports")],
        )
        .await;
    assert_eq!(back.header("location"), "/app/passports");
    assert_eq!(
        app.store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("exists")
            .locale,
        "ja"
    );
    assert!(
        browser.get("/app").await.text.contains("<html lang=\"ja\">"),
        "every browser of the user"
    );
    // Unknown languages and missing tokens change nothing.
    let token = phone.get("/app").await.form_token();
    let unknown = phone.post("/app/language", &[("csrf", &token), ("lang", "fr")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let forged = phone.post("/app/language", &[("csrf", "x"), ("lang", "en")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("exists")
            .locale,
        "ja"
    );
}

#[tokio::test]
async fn the_workspace_shows_what_the_store_lets_the_user_read_and_audits_grants() {
    let app = app_with_profiles(TestApp::new().await).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    let own = passport(
        &app,
        app.a,
        "https://id.gs1.org/01/04912345000019",
        HOSTILE,
        Visibility::Restricted,
    )
    .await;
    let b_secret = passport(
        &app,
        app.b,
        "https://id.gs1.org/01/09506000134352",
        "B-SECRET-FRIDGE",
        Visibility::Restricted,
    )
    .await;
    passport(
        &app,
        app.b,
        "https://id.gs1.org/01/09506000134369",
        "B-PUBLIC-FRIDGE",
        Visibility::Public,
    )
    .await;
    let mut browser = Browser::new(&app);
    browser.sign_in("alice").await;

    let mine = browser.get("/app/passports").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.text.contains(&format!("/app/passports/{}", own.id)));
    assert!(
        mine.text.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
        "escaped: {}",
        mine.text
    );
    assert!(!mine.text.contains(HOSTILE));
    assert!(
        !mine.text.contains("B-PUBLIC-FRIDGE"),
        "only the organization's own by default"
    );

    let all = browser.get("/app/passports?owner=all").await;
    assert!(all.text.contains("B-PUBLIC-FRIDGE"), "public passports of others");
    assert!(
        !all.text.contains("B-SECRET-FRIDGE"),
        "never another's restricted passport"
    );
    assert!(!all.text.contains(&b_secret.id.to_string()));
    let by_identifier = browser
        .get("/app/passports?owner=all&identifier=https%3A%2F%2Fid.gs1.org%2F01%2F095060001343")
        .await;
    assert!(by_identifier.text.contains("B-PUBLIC-FRIDGE") && !by_identifier.text.contains(HOSTILE));

    // B shares its passports with A: they appear, and the read is audited as under the grant.
    let grant = app
        .store
        .create_grant(
            &actor_of(app.b),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: app.a },
                record_kind: RecordKind::Passport,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("修理のため".to_owned()),
                expires_at: app.store.now() + time::Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    let shared = browser.get("/app/passports?owner=all").await;
    assert!(shared.text.contains("B-SECRET-FRIDGE"), "readable under the grant");
    let audit = app
        .store
        .list_audit(&actor_of(app.b), &AuditFilter::default(), &PageRequest::first(200))
        .await
        .expect("audit of B");
    assert!(
        audit
            .items
            .iter()
            .any(|entry| entry.record_id == b_secret.id.to_string()
                && entry.grant_id == Some(grant.id)
                && entry.actor_organization_id == Some(app.a)),
        "the web read is audited like the API's"
    );
    let received = browser.get("/app/grants?direction=received").await;
    assert!(received.text.contains("修理のため") && received.text.contains("B株式会社"));
    assert!(received.text.contains("製品・素材パスポート"));

    // Pages: one entry per row, a next page when there are more.
    for index in 0..30 {
        passport(
            &app,
            app.a,
            &format!("https://id.gs1.org/01/04912346{index:05}{}", check_digit(index)),
            &format!("FRIDGE-{index:02}"),
            Visibility::Public,
        )
        .await;
    }
    let first = browser.get("/app/passports").await;
    let next = first
        .text
        .split("href=\"")
        .filter_map(|part| part.split('"').next())
        .find(|href| href.starts_with("/app/passports?cursor="))
        .expect("a next page link")
        .replace("&amp;", "&");
    let second = browser.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    let rows = |page: &Page| page.text.matches("<tr><td data-label=").count();
    assert_eq!(rows(&first) + rows(&second), 31);
    assert!(second.text.contains("最初のページ"));
    let broken = browser.get("/app/passports?cursor=%%%").await;
    assert_eq!(broken.status, StatusCode::OK);
}

/// The GS1 check digit of GTIN-14 `04912346` followed by `index` in five digits.
fn check_digit(index: usize) -> u32 {
    let body = format!("04912346{index:05}");
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(position, digit)| {
            let digit = digit.to_digit(10).expect("digit");
            if position % 2 == 0 {
                digit * 3
            } else {
                digit
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[tokio::test]
async fn grants_are_revoked_by_administrators_through_a_protected_form() {
    let app = TestApp::new().await;
    user(&app, app.a, "admin-a", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.a, "member-a", &[Role::Member]).await;
    let grant = app
        .store
        .create_grant(
            &actor_of(app.a),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: app.b },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::Full,
                purpose: Some("<b>引取り</b>".to_owned()),
                expires_at: app.store.now() + time::Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    let mut member = Browser::new(&app);
    member.sign_in("member-a").await;
    let list = member.get("/app/grants").await;
    assert!(list.text.contains("&lt;b&gt;引取り&lt;/b&gt;"));
    assert!(!list.text.contains("/revoke"), "members see no revoke button");
    let refused = member
        .post(
            &format!("/app/grants/{}/revoke", grant.id),
            &[("csrf", &list.form_token())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "the store refuses members");

    let mut admin = Browser::new(&app);
    admin.sign_in("admin-a").await;
    let list = admin.get("/app/grants").await;
    assert!(list.text.contains(&format!("/app/grants/{}/revoke", grant.id)));
    let path = format!("/app/grants/{}/revoke", grant.id);
    assert_eq!(
        admin.post(&path, &[("csrf", "forged")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.post(&path, &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let still = app.store.get_grant(&actor_of(app.a), grant.id).await.expect("grant");
    assert!(still.revoked_at.is_none(), "a refused form changes nothing");
    let done = admin.post(&path, &[("csrf", &list.form_token())]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = admin.get(done.header("location")).await;
    assert!(after.text.contains("共有を取り消しました。") && after.text.contains("取消済み"));
    let revoked = app.store.get_grant(&actor_of(app.a), grant.id).await.expect("grant");
    assert!(revoked.revoked_at.is_some());
}

#[tokio::test]
async fn every_workspace_page_answers_in_both_languages() {
    let app = app_with_profiles(TestApp::new().await).await;
    user(&app, app.a, "alice", &[Role::OrgAdmin, Role::Member]).await;
    passport(
        &app,
        app.a,
        "https://id.gs1.org/01/04912345000019",
        "FRIDGE",
        Visibility::Public,
    )
    .await;
    // One event and one footprint of A, through the API.
    let capture = app
        .post(
            "/epcis/capture",
            &app.token_a,
            json!({
                "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
                "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
                "epcisBody": {"eventList": [{
                    "type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                    "epcList": ["urn:epc:id:sgtin:4912345.000001.WEB1"], "action": "OBSERVE",
                    "bizStep": "shipping"
                }]}
            }),
        )
        .await;
    assert_eq!(capture.status, StatusCode::ACCEPTED, "{}", capture.body);
    let mut browser = Browser::new(&app);
    browser.sign_in("alice").await;
    let pages = [
        ("/app", "ワークスペース", "workspace"),
        (
            "/app/passports",
            "製品・素材パスポート",
            "Product and material passports",
        ),
        ("/app/events", "トレーサビリティイベント", "Traceability events"),
        (
            "/app/footprints",
            "カーボンフットプリント（CFP）",
            "Carbon footprints (CFP)",
        ),
        ("/app/grants", "共有設定（グラント）", "Grants"),
        ("/app/requests", "アクセス申請", "Access requests"),
        ("/app/trade-requests", "CFP の取引依頼", "CFP trade requests"),
        ("/app/catalog", "データカタログ", "Data catalog"),
        ("/app/audit", "所有者の監査", "Owner's audit"),
        ("/app/peers", "連携ノード", "Peer nodes"),
        ("/app/received", "受信データ", "Received records"),
        ("/app/dataspace", "データスペース", "Dataspace"),
    ];
    for (path, japanese, _) in pages {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert!(page.text.contains(japanese), "{path}");
        assert!(
            page.text.contains("aria-current=\"page\"") || path == "/app/trade-requests" || path == "/app",
            "{path}"
        );
    }
    let passports = browser.get("/app/passports").await;
    assert!(
        passports
            .text
            .contains("<option value=\"home_appliance\">家電4品目（家電リサイクル法）</option>"),
        "profiles by their name in the page's language: {}",
        passports.text
    );
    let events = browser.get("/app/events").await;
    assert!(events.text.contains("2026年1月5日 10:00 JST"), "{}", events.text);
    assert!(events.text.contains("出荷"));
    assert!(events
        .text
        .contains("/app/lineage?id=https%3A%2F%2Fid.gs1.org%2F01%2F04912345000019%2F21%2FWEB1"));
    let filtered = browser.get("/app/events?type=AggregationEvent").await;
    assert!(!filtered.text.contains("2026年1月5日"));
    let by_step = browser
        .get("/app/events?step=shipping&from=2026-01-05&to=2026-01-05")
        .await;
    assert!(by_step.text.contains("2026年1月5日"), "{}", by_step.text);
    assert!(!browser
        .get("/app/events?step=collecting")
        .await
        .text
        .contains("2026年1月5日"));
    assert!(!browser
        .get("/app/events?from=2026-01-06")
        .await
        .text
        .contains("2026年1月5日"));
    let by_epc = browser
        .get("/app/events?epc=urn%3Aepc%3Aid%3Asgtin%3A4912345.000001.WEB1")
        .await;
    assert!(by_epc.text.contains("2026年1月5日"));
    assert!(!browser
        .get("/app/events?epc=urn%3Aepc%3Aid%3Asgtin%3A4912345.000001.OTHER")
        .await
        .text
        .contains("2026年1月5日"));
    let bad = browser.get("/app/events?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("日付は YYYY-MM-DD で入力してください。"));

    let token = browser.get("/app").await.form_token();
    browser.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    for (path, _, english) in pages {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.text.contains("<html lang=\"en\">") && page.text.contains(english),
            "{path}"
        );
    }
    let events = browser.get("/app/events").await;
    assert!(events.text.contains("5 Jan 2026, 10:00 JST") && events.text.contains("shipping"));
}

/// A value of a legitimate-interest field of the home appliance example (its serial number).
const RESTRICTED_VALUE: &str = "1204-0088731";

#[tokio::test]
async fn the_full_passport_page_shows_versions_certifications_and_verification_to_entitled_users() {
    let app = app_with_profiles(TestApp::new().await).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    user(&app, app.b, "bob", &[Role::Member]).await;
    let public = passport(
        &app,
        app.a,
        "https://id.gs1.org/01/04912345000019",
        HOSTILE,
        Visibility::Public,
    )
    .await;
    let secret = passport(
        &app,
        app.a,
        "https://id.gs1.org/01/09506000134352",
        "A-SECRET",
        Visibility::Restricted,
    )
    .await;
    app.store
        .update_passport(
            &actor_of(app.a),
            public.id,
            junkan_model::passport::PassportUpdate {
                status: Some(LifecycleStatus::Repaired),
                visibility: None,
                data: None,
                links: None,
                note: Some("冷媒を交換 <修理>".to_owned()),
                base_version: None,
            },
        )
        .await
        .expect("second version");
    // A certifier certifies A.
    let mut certifier = support::company(
        "認証",
        "9000012010004",
        &[junkan_model::organization::CycleRole::Certifier],
    );
    certifier.industries = vec![];
    let certifier = app
        .store
        .create_organization(&Actor::system(), certifier)
        .await
        .expect("certifier")
        .id;
    app.store
        .create_certification(
            &actor_of(certifier),
            junkan_model::access::NewCertification {
                subject_organization_id: app.a,
                scheme: "recycled_content".to_owned(),
                valid_from: app.store.now() - time::Duration::days(1),
                valid_until: app.store.now() + time::Duration::days(365),
            },
        )
        .await
        .expect("certification");

    let path = format!("/app/passports/{}", public.id);
    let mut anonymous = Browser::new(&app);
    assert_eq!(anonymous.get(&path).await.status, StatusCode::SEE_OTHER);

    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let page = alice.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let html = &page.text;
    assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;") && !html.contains(HOSTILE));
    assert!(html.contains("状態: <span>修理済み</span>"), "the newest version");
    assert!(html.contains(RESTRICTED_VALUE), "the owner sees restricted fields");
    assert!(html.contains("版の履歴") && html.contains("冷媒を交換 &lt;修理&gt;"));
    assert!(html.contains(&format!("/app/passports/{}?version=1", public.id)));
    assert!(html.contains("検証状況") && html.contains("home_appliance"));
    // The passport's signed credential is exported on request, signed with the owner's key;
    // the owner's members see how many were issued for the version shown.
    assert!(html.contains("電子署名") && html.contains("この版の署名付き資格情報"));
    assert!(
        html.contains(&format!("/api/v1/credentials/passport/{}?version=2", public.id)),
        "{html}"
    );
    assert!(html.contains(&format!("did:web:junkan.test:organizations:{}", app.a)));
    assert!(html.contains("この版の発行済み資格情報: 0 件（うち取消 0 件）"));
    assert!(html.contains("recycled_content") && html.contains("認証株式会社") && html.contains(">有効<"));
    assert!(html.contains("閲覧レベル</dt><dd>所有者</dd>"));
    assert!(
        html.contains("http://junkan.test/01/04912345000019"),
        "the public page and QR target"
    );
    assert!(html.contains("/app/lineage?id=https%3A%2F%2Fid.gs1.org%2F01%2F04912345000019"));
    assert!(html.contains("<svg"), "the QR code");
    let older = alice.get(&format!("{path}?version=1")).await;
    assert!(older.text.contains("古い版を表示しています。") && older.text.contains("状態: <span>使用中</span>"));
    assert_eq!(
        alice.get(&format!("{path}?version=9")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice.get("/app/passports/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );

    // Another organization: the public passport at the public level, the restricted one not at all.
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let seen_by_b = bob.get(&path).await;
    assert_eq!(seen_by_b.status, StatusCode::OK);
    assert!(!seen_by_b.text.contains(RESTRICTED_VALUE));
    assert!(seen_by_b.text.contains("この閲覧レベル（一般公開）では"));
    let hidden = bob.get(&format!("/app/passports/{}", secret.id)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert!(!hidden.text.contains("A-SECRET"));

    // English: labels, dates, and the verification in English.
    let token = alice.get("/app").await.form_token();
    alice.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    let english = alice.get(&path).await;
    assert!(english.text.contains("Status: <span>Repaired</span>") && english.text.contains("Versions"));
    assert!(english.text.contains("Verification status") && english.text.contains("JST"));
}

#[tokio::test]
async fn the_public_qr_page_is_the_same_rendering_under_the_same_policy() {
    let app = app_with_profiles(TestApp::new().await).await;
    passport(
        &app,
        app.a,
        "https://id.gs1.org/01/04912345000019",
        "NR-F47K2",
        Visibility::Public,
    )
    .await;
    let mut phone = Browser::new(&app);
    let page = phone
        .send(
            Request::get("/01/04912345000019/21/ANY").header(header::ACCEPT, "text/html"),
            Body::empty(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-security-policy").contains("default-src 'none'"));
    assert!(page
        .text
        .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(page.text.contains("<a class=\"skip\" href=\"#main\">"));
    let main = page
        .text
        .split("<main ")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("a main landmark");
    assert!(
        main.contains("id=\"main\"") && main.contains("tabindex=\"-1\""),
        "{main}"
    );
    assert!(page.text.contains("<header class=\"passport\">") && page.text.contains("NR-F47K2"));
    assert!(!page.text.contains(RESTRICTED_VALUE));
    assert!(page.text.contains("/app/assets/app.css?v="));
}

#[tokio::test]
async fn the_indicators_dashboard_draws_national_values_targets_and_their_provenance() {
    let app = app_with_profiles(TestApp::new().await).await;
    junkan_demo::national::load(app.store.as_ref(), &actor_of(app.authority))
        .await
        .expect("Japan's published figures");
    let mut visitor = Browser::new(&app);
    let page = visitor.get("/app/indicators").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let html = &page.text;
    // The default view: Japan's inlet-side circular use rate, FY2000 computed from the
    // published flows (218 / (218 + 1912) = 10.23 %), FY2019 as published, the national targets.
    assert!(html.contains("入口側循環利用率"), "{html}");
    assert!(html.contains("<svg class=\"chart\" id=\"indicator-chart\""));
    assert!(
        html.contains("算定値 2000: 10.234742 %"),
        "computed point as presented (6 decimal places)"
    );
    assert!(html.contains("公表値 2019: 15.7 %"), "the published FY2019 value");
    assert!(html.contains("10.23 %"), "the table rounds for reading");
    assert!(html.contains("2000年度") && html.contains("2019年度"));
    assert!(
        html.contains("≥ 18 %") || html.contains("≥ 19 %"),
        "a national target: {html}"
    );
    // Provenance: the formula, numerator and denominator, the records with their sources.
    assert!(html.contains("算定根拠"));
    assert!(html.contains("218 / 2,130"), "numerator / denominator");
    assert!(
        html.contains("循環利用量 / (循環利用量 + 天然資源等投入量)"),
        "the formula in Japanese on a Japanese page"
    );
    assert!(
        html.contains("第四次循環型社会形成推進基本計画") || html.contains("第五次循環型社会形成推進基本計画"),
        "the national plans of the targets named in Japanese"
    );
    assert!(html.contains("natural_resource_input") && html.contains("1,912 Mt"));
    assert!(html.contains("循環型社会形成推進基本計画"), "the published source");
    assert!(html.contains("/api/v1/material-flows/"), "each record links to itself");
    assert!(html.contains("目標値") && html.contains("以上を目指す"));

    // Another output, another scope kind, English.
    let final_disposal = visitor
        .get("/app/indicators?indicator=jp-material-flow&scope=nation%3AJP&from=2000&to=2030&output=final_disposal_mt")
        .await;
    assert!(final_disposal.text.contains("最終処分量") && final_disposal.text.contains("56 Mt"));
    assert!(final_disposal.text.contains("aria-current=\"page\">最終処分量"));
    let token = visitor.get("/app").await.form_token();
    visitor.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    let english = visitor.get("/app/indicators").await;
    assert!(english.text.contains("inlet-side circular use rate (入口側循環利用率)"));
    assert!(english.text.contains("FY2000") && english.text.contains("Provenance"));
    assert!(english
        .text
        .contains("circular use / (circular use + natural resource input)"));
    let organization = visitor
        .get(&format!(
            "/app/indicators?indicator=jp-material-flow&scope=organization%3A{}",
            app.a
        ))
        .await;
    assert_eq!(organization.status, StatusCode::OK);
    assert!(organization.text.contains("Not computed for this scope yet"));
    let wrong = visitor
        .get("/app/indicators?scope=planet%3AEarth&from=2030&to=2000")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("is not a scope kind") && wrong.text.contains("before it starts"));
    visitor.post("/app/language", &[("csrf", &token), ("lang", "ja")]).await;
    let wrong = visitor.get("/app/indicators?scope=planet%3AEarth").await;
    assert!(
        wrong.text.contains("範囲は「種類:ID」の形で入力してください"),
        "{}",
        wrong.text
    );
}

#[tokio::test]
async fn product_indicators_are_computed_from_the_passport_as_the_user_may_see_it() {
    let app = app_with_profiles(TestApp::new().await).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    let data = junkan_passport::builtin::example("plastics").expect("shipped example");
    let lot = app
        .store
        .create_passport(
            &actor_of(app.a),
            NewPassport {
                identifier: "https://id.gs1.org/01/04912345000019/10/LOT1".to_owned(),
                granularity: Granularity::Batch,
                profile: "plastics".to_owned(),
                status: LifecycleStatus::Original,
                visibility: Visibility::Restricted,
                data,
                links: vec![],
                note: None,
            },
        )
        .await
        .expect("plastics lot");
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let passport_page = alice.get(&format!("/app/passports/{}", lot.id)).await;
    let link = format!(
        "/app/indicators?indicator=recycled-content&amp;scope=product%3A{}",
        lot.id
    );
    assert!(passport_page.text.contains(&link), "{}", passport_page.text);
    let page = alice.get(&link.replace("&amp;", "&")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("再生材含有率") && page.text.contains("パスポートから読んだデータ"));
    assert!(page.text.contains(&format!("/app/passports/{}", lot.id)));
    // Another organization does not get the restricted lot through the dashboard either.
    user(&app, app.b, "bob", &[Role::Member]).await;
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let refused = bob.get(&link.replace("&amp;", "&")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

fn transformation(id: &str, inputs: &[(&str, u32)], outputs: &[(&str, u32)], step: &str) -> Value {
    let list = |entries: &[(&str, u32)]| -> Vec<Value> {
        entries
            .iter()
            .map(|(class, kilograms)| json!({"epcClass": class, "quantity": kilograms, "uom": "KGM"}))
            .collect()
    };
    json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"jkcbv": "urn:junkan:cbv:"}],
           "type": "TransformationEvent", "eventID": id,
           "eventTime": "2026-06-01T10:00:00+09:00", "eventTimeZoneOffset": "+09:00",
           "inputQuantityList": list(inputs), "outputQuantityList": list(outputs), "bizStep": step})
}

#[tokio::test]
async fn the_lineage_explorer_draws_the_graph_with_withheld_steps_shown_as_such() {
    const WASTE: &str = "urn:epc:class:lgtin:4512345.099999.WASTE-1";
    const PELLETS: &str = "urn:epc:class:lgtin:4512345.088888.PELLET-1";
    const VIRGIN: &str = "urn:epc:class:lgtin:4512345.077777.VIRGIN-1";
    const COMPOUND: &str = "urn:epc:class:lgtin:4512345.066666.COMPOUND-1";
    let app = TestApp::new().await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    // B recycles waste into pellets (shared with nobody); A compounds pellets with virgin resin.
    let recycle = transformation(
        "urn:uuid:dddddddd-0000-4000-8000-000000000001",
        &[(WASTE, 1000)],
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

    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let empty = alice.get("/app/lineage").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("識別子を入力してトレースします"));
    let path = format!(
        "/app/lineage?{}",
        serde_urlencoded::to_string([("id", COMPOUND)]).expect("query")
    );
    let page = alice.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let html = &page.text;
    assert!(html.contains("<svg class=\"lineage\""), "{html}");
    assert!(
        html.contains("非公開の工程") && html.contains("B株式会社"),
        "withheld, naming its organization"
    );
    assert!(html.contains("node withheld"), "drawn dashed");
    assert!(!html.contains("WASTE"), "nothing of the withheld step leaks");
    assert!(html.contains("原料の構成（質量比）") && html.contains("30 %") && html.contains("70 %"));
    assert!(
        html.contains("1,000 KGM") || html.contains("700 KGM"),
        "quantities on the edges"
    );
    assert!(
        html.contains("data-node=\"object:"),
        "object nodes are links for the keyboard"
    );
    assert!(
        html.contains(&format!("/app/lineage?id={}", "https%3A%2F%2Fid.gs1.org%2F01%2F"))
            || html.contains("/app/lineage?id=urn")
    );
    let forward = alice
        .get(&format!(
            "/app/lineage?{}",
            serde_urlencoded::to_string([("id", PELLETS), ("direction", "forward")]).expect("query")
        ))
        .await;
    assert!(
        forward.text.contains("4512345.066666") || forward.text.contains("COMPOUND"),
        "{}",
        forward.text
    );

    // Anonymous visitors trace through public events only: nothing here is public.
    let mut anonymous = Browser::new(&app);
    let public = anonymous.get(&path).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.text.contains("閲覧できるイベントはありません") || public.text.contains("非公開の工程"));
    assert!(!public.text.contains("VIRGIN"));
}

fn located(mut event: Value, location: &str, day: u32) -> Value {
    event["readPoint"] = json!({"id": location});
    event["eventTime"] = Value::String(format!("2026-06-{day:02}T10:00:00+09:00"));
    event
}

#[tokio::test]
async fn the_sankey_view_draws_flows_between_stages_with_withheld_steps_and_lists_what_is_behind_a_flow() {
    const WASTE: &str = "urn:epc:class:lgtin:4512345.099999.WASTE-2";
    const SORTED: &str = "urn:epc:class:lgtin:4512345.055555.SORTED-2";
    const PELLETS: &str = "urn:epc:class:lgtin:4512345.088888.PELLET-2";
    const VIRGIN: &str = "urn:epc:class:lgtin:4512345.077777.VIRGIN-2";
    const COMPOUND: &str = "urn:epc:class:lgtin:4512345.066666.COMPOUND-2";
    const PLANT: &str = "urn:epc:id:sgln:4512345.00001.0";
    let app = TestApp::new().await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    // A's plant in Aichi (prefecture 23), where A collects, sorts and compounds.
    let plant = app
        .post(
            "/api/v1/facilities",
            &app.token_a,
            json!({"name_ja": "豊田工場", "name_en": "Toyota plant", "facility_type": "plant", "gln": "4512345000011",
                   "local_government_code": "232114", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(plant.status, StatusCode::CREATED, "{}", plant.body);
    let collect = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "ObjectEvent", "eventID": "urn:uuid:eeeeeeee-0000-4000-8000-000000000001", "action": "ADD",
        "eventTime": "2026-06-01T10:00:00+09:00", "eventTimeZoneOffset": "+09:00", "bizStep": "collecting",
        "quantityList": [{"epcClass": WASTE, "quantity": 1000, "uom": "KGM"}]});
    let sort = transformation(
        "urn:uuid:eeeeeeee-0000-4000-8000-000000000002",
        &[(WASTE, 1000)],
        &[(SORTED, 900)],
        "jkcbv:BizStep-sorting",
    );
    let compound = transformation(
        "urn:uuid:eeeeeeee-0000-4000-8000-000000000004",
        &[(PELLETS, 300), (VIRGIN, 700)],
        &[(COMPOUND, 1000)],
        "commissioning",
    );
    for event in [
        located(collect, PLANT, 1),
        located(sort, PLANT, 2),
        located(compound, PLANT, 20),
    ] {
        assert_eq!(
            app.post("/epcis/events", &app.token_a, event).await.status,
            StatusCode::CREATED
        );
    }
    // B recycles the sorted lot into pellets and shares it with nobody.
    let recycle = transformation(
        "urn:uuid:eeeeeeee-0000-4000-8000-000000000003",
        &[(SORTED, 900)],
        &[(PELLETS, 820)],
        "jkcbv:BizStep-material_recycling",
    );
    assert_eq!(
        app.post(
            "/epcis/events",
            &app.token_b,
            located(recycle, "urn:epc:id:sgln:4598765.00001.0", 10)
        )
        .await
        .status,
        StatusCode::CREATED
    );

    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let empty = alice.get("/app/flows").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("識別子を入力してください"));
    assert!(empty.text.contains("aria-current=\"page\">物質フロー"), "in the menu");
    let query = serde_urlencoded::to_string([("id", WASTE)]).expect("query");
    let page = alice.get(&format!("/app/flows?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let html = &page.text;
    assert!(html.contains("<svg class=\"sankey\""), "{html}");
    for stage in [
        "回収",
        "解体・選別・前処理",
        "生産",
        "非公開の工程（B株式会社）",
        "範囲外・記録なし（投入元）",
    ] {
        assert!(html.contains(stage), "stage {stage}: {html}");
    }
    assert!(!html.contains(">再資源化<"), "B's step is withheld, not named");
    assert!(html.contains("class=\"flow withheld\""), "withheld flows drawn as such");
    assert!(html.contains("1,000 kg") && html.contains("700 kg") && html.contains("300 kg"));
    // The page carries random tokens (CSRF, nonces) that may hold the digits "820"; B's
    // quantity would show as an amount, a text node or an attribute value.
    for leak in ["820 kg", "820&nbsp;kg", ">820<", "\"820\"", "820 KGM"] {
        assert!(!html.contains(leak), "nothing of B's quantities leaks: {leak}");
    }
    // A flow is a link to the lots and events behind it.
    let link = "flow=collection%7Esorting";
    assert!(html.contains(link), "{html}");
    let details = alice.get(&format!("/app/flows?{query}&{link}")).await;
    assert!(details.text.contains("この流れの内訳"), "{}", details.text);
    assert!(details.text.contains("4512345.099999.WASTE-2") || details.text.contains("099999"));
    assert!(
        details.text.contains("eeeeeeee-0000-4000-8000-000000000002"),
        "the event it reached"
    );
    // Into B's withheld step: the lot is named (A recorded it), B's event is not.
    let into_withheld = alice
        .get(&format!("/app/flows?{query}&flow=sorting%7Ewithheld-{}", app.b))
        .await;
    assert!(
        into_withheld.text.contains("非公開の工程 · B株式会社"),
        "{}",
        into_withheld.text
    );
    assert!(!into_withheld.text.contains("eeeeeeee-0000-4000-8000-000000000003"));

    // A region keeps the events at the region's facilities the user may see: Aichi has A's
    // plant, Tokyo has nothing.
    let aichi = alice.get(&format!("/app/flows?{query}&region=23")).await;
    assert!(aichi.text.contains("<svg class=\"sankey\""));
    assert!(
        !aichi.text.contains("非公開の工程（B株式会社）"),
        "B's step is elsewhere"
    );
    let tokyo = alice.get(&format!("/app/flows?{query}&region=13")).await;
    assert!(tokyo.text.contains("閲覧できる流れはありません"));
    // A period keeps the events of its days (in Japan time).
    let june_first = alice
        .get(&format!("/app/flows?{query}&from=2026-06-01&until=2026-06-02"))
        .await;
    assert!(june_first.text.contains(">解体・選別・前処理<") && !june_first.text.contains(">生産<"));
    let bad = alice.get(&format!("/app/flows?{query}&from=June")).await;
    assert!(bad.text.contains("YYYY-MM-DD"));

    // Under a grant from B, A sees the recycling step, and the read is audited.
    let grant = app
        .store
        .create_grant(
            &actor_of(app.b),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: app.a },
                record_kind: RecordKind::Event,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再生材の確認".to_owned()),
                expires_at: app.store.now() + time::Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    let english = alice
        .post(
            "/app/language",
            &[("csrf", &page.form_token()), ("lang", "en"), ("next", "/app")],
        )
        .await;
    assert_eq!(english.status, StatusCode::SEE_OTHER);
    let shared = alice.get(&format!("/app/flows?{query}")).await;
    assert!(
        shared.text.contains(">Recycling<") && shared.text.contains("900 kg"),
        "{}",
        shared.text
    );
    assert!(!shared.text.contains("Withheld by"));
    let audit = app
        .store
        .list_audit(&actor_of(app.b), &AuditFilter::default(), &PageRequest::first(200))
        .await
        .expect("audit of B");
    assert!(audit
        .items
        .iter()
        .any(|entry| entry.grant_id == Some(grant.id) && entry.actor_organization_id == Some(app.a)));

    // Signed-out visitors see public events only: none here.
    let mut anonymous = Browser::new(&app);
    let public = anonymous.get(&format!("/app/flows?{query}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        !public.text.contains("1,000 kg") && !public.text.contains(">回収<"),
        "{}",
        public.text
    );
}

/// A passport's data as the generated form sends it: a field per value, arrays as JSON.
fn form_fields(data: &Value, pointer: &str, fields: &mut Vec<(String, String)>) {
    match data {
        Value::Object(members) => {
            for (name, member) in members {
                form_fields(member, &format!("{pointer}/{name}"), fields);
            }
        }
        Value::String(text) => fields.push((format!("data{pointer}"), text.clone())),
        Value::Array(_) => fields.push((format!("data{pointer}"), data.to_string())),
        other => fields.push((format!("data{pointer}"), other.to_string())),
    }
}

#[tokio::test]
async fn passports_are_created_and_edited_through_forms_generated_from_the_profile_with_problems_next_to_fields() {
    let app = app_with_profiles(TestApp::new().await).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    user(&app, app.b, "bob", &[Role::OrgAdmin]).await;
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let list = alice.get("/app/passports").await;
    assert!(list.text.contains("href=\"/app/passports/new\""));
    let choose = alice.get("/app/passports/new").await;
    assert_eq!(choose.status, StatusCode::OK);
    assert!(choose.text.contains("value=\"home_appliance\""), "{}", choose.text);
    let form = alice.get("/app/passports/new?profile=home_appliance").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    for name in [
        "data/modelNumber",
        "data/manufacturer/corporateNumber",
        "data/manufactureYear",
        "data/category",
    ] {
        assert!(form.text.contains(&format!("name=\"{name}\"")), "field {name}");
    }
    assert!(
        form.text.contains("<fieldset id=\"field.manufacturer\""),
        "objects are fieldsets"
    );
    let token = form.form_token();

    // Problems: a bad identifier, a year that is no number, a corporate number of the wrong form,
    // and the category missing; each shown next to its field, all listed at the top.
    let refused = alice
        .post(
            "/app/passports/new?profile=home_appliance",
            &[
                ("csrf", &token),
                ("identifier", "not-an-identifier"),
                ("granularity", "model"),
                ("status", "original"),
                ("visibility", "public"),
                ("data/modelNumber", "NR-TEST-1"),
                ("data/manufactureYear", "twenty"),
                ("data/manufacturer/name", "A株式会社"),
                ("data/manufacturer/corporateNumber", "12"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text);
    let html = &refused.text;
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert!(html.contains("&quot;twenty&quot; は数値ではありません"), "{html}");
    let year_field = html.find("id=\"field.manufactureYear\"").expect("the year field");
    let year_error = html.find("id=\"field.manufactureYear-error\"").expect("its message");
    assert!(
        year_error > year_field && year_error - year_field < 400,
        "the message is next to its field"
    );
    assert!(html.contains("value=\"twenty\""), "what was typed is shown again");
    assert!(html.contains("aria-invalid=\"true\""));
    // Once the typing problems are fixed, the store's validation (the API's) speaks.
    let checked = alice
        .post(
            "/app/passports/new?profile=home_appliance",
            &[
                ("csrf", &token),
                ("identifier", "https://id.gs1.org/01/04512345000776"),
                ("granularity", "model"),
                ("status", "original"),
                ("visibility", "public"),
                ("data/modelNumber", "NR-TEST-1"),
                ("data/manufactureYear", "2024"),
                ("data/manufacturer/name", "A株式会社"),
                ("data/manufacturer/corporateNumber", "12"),
            ],
        )
        .await;
    let html = &checked.text;
    assert!(
        html.contains("id=\"field.category-error\""),
        "a missing member at its own field: {html}"
    );
    assert!(html.contains("入力が必要です"));
    assert!(
        html.contains("id=\"field.manufacturer.corporateNumber-error\""),
        "{html}"
    );
    assert!(html.contains("形式が違います（パターン"));

    // Fixed: the whole shipped example, through the form.
    let mut data = junkan_passport::builtin::example("home_appliance").expect("shipped example");
    data["modelNumber"] = Value::String("NR-FORM-1".to_owned());
    let mut fields = vec![
        ("csrf".to_owned(), token.clone()),
        (
            "identifier".to_owned(),
            "https://id.gs1.org/01/04512345000776".to_owned(),
        ),
        ("granularity".to_owned(), "model".to_owned()),
        ("status".to_owned(), "original".to_owned()),
        ("visibility".to_owned(), "public".to_owned()),
    ];
    form_fields(&data, "", &mut fields);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let created = alice.post("/app/passports/new?profile=home_appliance", &pairs).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let location = created.header("location").to_owned();
    assert!(location.ends_with("?saved=1"));
    let page = alice.get(&location).await;
    assert!(page.text.contains("保存しました") && page.text.contains("NR-FORM-1"));
    let passport_path = location.trim_end_matches("?saved=1").to_owned();
    let stored = app
        .store
        .find_passport(
            &actor_of(app.a),
            &["https://id.gs1.org/01/04512345000776".to_owned()],
            junkan_model::passport::PassportRead::default(),
        )
        .await
        .expect("stored");
    assert_eq!(
        stored.data, data,
        "the form's data is the example's, typed by the schema"
    );

    // Edit: the form is filled with the newest version and writes the next one.
    let edit = alice.get(&format!("{passport_path}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text);
    assert!(edit.text.contains("value=\"NR-FORM-1\""));
    let mut fields = vec![
        ("csrf".to_owned(), token.clone()),
        ("base_version".to_owned(), "1".to_owned()),
        ("status".to_owned(), "in_use".to_owned()),
        ("visibility".to_owned(), "public".to_owned()),
    ];
    data["modelNumber"] = Value::String("NR-FORM-2".to_owned());
    form_fields(&data, "", &mut fields);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let edited = alice.post(&format!("{passport_path}/edit"), &pairs).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.text);
    let again = alice.post(&format!("{passport_path}/edit"), &pairs).await;
    assert!(
        again.text.contains("新しい版が保存されました"),
        "a stale base version is a conflict"
    );
    let newest = app
        .store
        .get_passport(
            &actor_of(app.a),
            stored.id,
            junkan_model::passport::PassportRead::default(),
        )
        .await
        .expect("newest");
    assert_eq!(
        (newest.latest_version, newest.data["modelNumber"].as_str()),
        (2, Some("NR-FORM-2"))
    );

    // In English, the messages are English.
    let english = alice
        .post("/app/language", &[("csrf", &token), ("lang", "en"), ("next", "/app")])
        .await;
    assert_eq!(english.status, StatusCode::SEE_OTHER);
    let refused = alice
        .post(
            "/app/passports/new?profile=home_appliance",
            &[
                ("csrf", &token),
                ("identifier", "https://id.gs1.org/01/04512345000783"),
                ("data/modelNumber", "X"),
            ],
        )
        .await;
    assert!(refused.text.contains("This field is required."), "{}", refused.text);

    // Another organization cannot edit it, and forms without the token are refused.
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let foreign = bob.get(&format!("{passport_path}/edit")).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let forged = alice
        .post(
            "/app/passports/new?profile=home_appliance",
            &[("csrf", "forged"), ("identifier", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// A multipart form as a browser sends it: the fields, then the file.
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &str) -> (String, String) {
    let boundary = "----junkan-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Browser<'_> {
    async fn upload(&mut self, path: &str, fields: &[(&str, &str)], file_name: &str, file: &str) -> Page {
        let (content_type, body) = multipart(fields, file_name, file);
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, content_type),
            Body::from(body),
        )
        .await
    }
}

#[tokio::test]
async fn files_of_events_and_footprints_are_imported_with_a_report_of_every_problem_and_its_place() {
    let app = TestApp::new().await;
    user(&app, app.a, "alice", &[Role::OrgAdmin, Role::Member]).await;
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let page = alice.get("/app/upload").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("enctype=\"multipart/form-data\"") && page.text.contains("data-upload"));
    let token = page.form_token();
    let csrf = [("csrf", token.as_str())];

    // Unreadable JSON: its line and column.
    let broken = alice
        .upload(
            "/app/upload/events",
            &csrf,
            "events.json",
            "{\n  \"type\": \"EPCISDocument\",\n  oops\n}",
        )
        .await;
    assert_eq!(broken.status, StatusCode::OK, "{}", broken.text);
    assert!(broken.text.contains("3 行 3 列"), "{}", broken.text);
    assert!(broken.text.contains("何も登録していません"));

    // An invalid event: every problem with its pointer in the file.
    let event = |id: &str, time: &str| {
        json!({"type": "ObjectEvent", "eventID": id, "action": "OBSERVE", "eventTime": time,
               "eventTimeZoneOffset": "+09:00", "epcList": ["urn:epc:id:sgtin:4512345.012345.UP1"], "bizStep": "shipping"})
    };
    let document = |events: Vec<Value>| {
        json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
               "schemaVersion": "2.0", "creationDate": "2026-06-01T00:00:00Z", "epcisBody": {"eventList": events}})
        .to_string()
    };
    let invalid = alice
        .upload(
            "/app/upload/events",
            &csrf,
            "events.json",
            &document(vec![
                event(
                    "urn:uuid:abababab-0000-4000-8000-000000000001",
                    "2026-06-01T10:00:00+09:00",
                ),
                event("urn:uuid:abababab-0000-4000-8000-000000000002", "yesterday"),
            ]),
        )
        .await;
    assert!(invalid.text.contains("/epcisBody/eventList/1"), "{}", invalid.text);
    assert!(invalid.text.contains("class=\"responsive problems\""));
    assert_eq!(
        app.get(
            "/epcis/events/urn:uuid:abababab-0000-4000-8000-000000000001",
            &app.token_a
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "nothing stored"
    );
    // A valid document is captured like POST /epcis/capture; sending it again skips duplicates.
    let valid = document(vec![
        event(
            "urn:uuid:abababab-0000-4000-8000-000000000001",
            "2026-06-01T10:00:00+09:00",
        ),
        event(
            "urn:uuid:abababab-0000-4000-8000-000000000003",
            "2026-06-02T10:00:00+09:00",
        ),
    ]);
    let stored = alice.upload("/app/upload/events", &csrf, "events.json", &valid).await;
    assert!(stored.text.contains("イベント 2 件を登録しました"), "{}", stored.text);
    assert_eq!(
        app.get(
            "/epcis/events/urn:uuid:abababab-0000-4000-8000-000000000003",
            &app.token_a
        )
        .await
        .status,
        StatusCode::OK
    );
    let again = alice.upload("/app/upload/events", &csrf, "events.json", &valid).await;
    assert!(
        again
            .text
            .contains("イベント 0 件を登録しました（登録済みのため省いたもの 2 件）"),
        "{}",
        again.text
    );

    // Footprints: one bad member reported at its place in the list, nothing stored; then all.
    let good = junkan_footprint::pact::to_v3(&junkan_footprint::fixtures::cell_footprint()).expect("v3");
    let mut bad = good.clone();
    bad["id"] = Value::String("not-a-uuid".to_owned());
    let refused = alice
        .upload(
            "/app/upload/footprints",
            &csrf,
            "footprints.json",
            &json!({"data": [good, bad]}).to_string(),
        )
        .await;
    assert!(refused.text.contains("/data/1/id"), "{}", refused.text);
    assert!(refused.text.contains("何も登録していません"));
    let published = alice
        .upload(
            "/app/upload/footprints",
            &csrf,
            "footprints.json",
            &json!([good]).to_string(),
        )
        .await;
    assert!(
        published.text.contains("カーボンフットプリント 1 件を登録しました"),
        "{}",
        published.text
    );
    let list = alice.get("/app/footprints").await;
    assert!(list
        .text
        .contains(good["productIds"][0].as_str().expect("a product id")));
    let twice = alice
        .upload("/app/upload/footprints", &csrf, "footprints.json", &good.to_string())
        .await;
    assert!(twice.text.contains("すでに登録されています"), "{}", twice.text);

    // The form's token is required, and signed-out visitors are sent to sign in.
    let forged = alice
        .upload("/app/upload/events", &[("csrf", "forged")], "events.json", &valid)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A file over the node's body limit is refused as too large, in the page's language.
    let limit = app.state.settings.body_limit;
    let huge = " ".repeat(limit + 1);
    let too_large = alice.upload("/app/upload/events", &csrf, "events.json", &huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", too_large.text);
    assert!(too_large.text.contains("ファイルが大きすぎます"), "{}", too_large.text);
    let mut anonymous = Browser::new(&app);
    assert_eq!(anonymous.get("/app/upload").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_dashboard_computes_an_organization_s_cti_from_its_facilities_events_as_the_api_does() {
    let app = TestApp::new().await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    let plant = app
        .post(
            "/api/v1/facilities",
            &app.token_a,
            json!({"name_ja": "豊田工場", "name_en": "Toyota plant", "facility_type": "plant", "gln": "4512345000011",
                   "local_government_code": "232114", "visibility": "restricted"}),
        )
        .await;
    assert_eq!(plant.status, StatusCode::CREATED, "{}", plant.body);
    let make = transformation(
        "urn:uuid:cdcdcdcd-0000-4000-8000-000000000001",
        &[("urn:epc:class:lgtin:4512345.077777.VIRGIN-3", 700)],
        &[("urn:epc:class:lgtin:4512345.066666.COMPOUND-3", 690)],
        "commissioning",
    );
    assert_eq!(
        app.post(
            "/epcis/events",
            &app.token_a,
            located(make, "urn:epc:id:sgln:4512345.00001.0", 5)
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let home = alice.get("/app").await;
    let link = format!("/app/indicators?indicator=cti&amp;scope=organization:{}", app.a);
    assert!(
        home.text.contains(&link),
        "the workspace links to the organization's CTI"
    );
    let path = format!(
        "/app/indicators?indicator=cti&scope=organization:{}&from=2026&to=2026",
        app.a
    );
    let page = alice.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("A株式会社") && page.text.contains("投入（インフロー）"),
        "{}",
        page.text
    );
    assert!(page.text.contains("VIRGIN-3"), "the inflow lot: {}", page.text);
    // The same numbers as the API.
    let api = app
        .get(
            &format!(
                "/api/v1/indicators/cti?scope=organization:{}&period=2026-04-01/2027-03-31",
                app.a
            ),
            &app.token_a,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    for (output, value) in api.body["result"].as_object().expect("result") {
        assert!(page.text.contains(&format!("<code>{output}</code>")), "{output}");
        if let Some(number) = value.as_str() {
            assert!(
                page.text.contains(number) || page.text.contains(&number.replace(".0", "")),
                "{output} {number}"
            );
        }
    }
    // Another organization's reader sees the events withheld, named by their owner.
    user(&app, app.b, "bob", &[Role::Member]).await;
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let withheld = bob.get(&path).await;
    assert_eq!(withheld.status, StatusCode::OK);
    assert!(!withheld.text.contains("VIRGIN-3"), "nothing of A's events leaks to B");
}

#[tokio::test]
async fn administrators_see_organizations_accounts_credentials_and_profiles_and_revoke_clients() {
    let app = app_with_profiles(TestApp::new().await).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    user(&app, app.a, "ada", &[Role::OrgAdmin]).await;
    let (client_id, secret) = app.client(app.a, &[Role::Member]).await;
    let client_token = app.client_token_with(&client_id, &secret).await;
    assert_eq!(app.get("/api/v1/passports", &client_token).await.status, StatusCode::OK);

    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let home = alice.get("/app").await;
    assert!(
        !home.text.contains("href=\"/app/admin\""),
        "members have no administration menu"
    );
    assert_eq!(alice.get("/app/admin").await.status, StatusCode::FORBIDDEN);

    let mut ada = Browser::new(&app);
    ada.sign_in("ada").await;
    let page = ada.get("/app/admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("href=\"/app/admin\""));
    for text in [
        "A株式会社",
        "B株式会社",
        "<code>alice</code>",
        &client_id,
        "home_appliance",
        "<td data-label=\"役割\">メンバー</td>",
        "<td data-label=\"種別\">企業</td>",
        "クライアント ID（client_id）",
    ] {
        assert!(page.text.contains(text), "{text}: {}", page.text);
    }
    assert!(
        !page.text.contains(">member<") && !page.text.contains(">company<"),
        "no code on a Japanese page"
    );
    let searched = ada.get("/app/admin?name=B%E6%A0%AA").await;
    assert!(
        searched.text.contains("<td data-label=\"名称\">B株式会社</td>")
            && !searched.text.contains("<td data-label=\"名称\">A株式会社</td>"),
        "{}",
        searched.text
    );
    // Another organization's accounts are not listed to A's administrator.
    let other = ada.get(&format!("/app/admin?organization={}", app.b)).await;
    assert!(other.text.contains("権限がありません"), "{}", other.text);
    // Revoking a client through the protected form: its tokens stop working.
    let revoked = ada
        .post(
            &format!("/app/admin/clients/{client_id}/revoke"),
            &[("csrf", &page.form_token()), ("organization", &app.a.to_string())],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.text);
    assert_eq!(
        app.get("/api/v1/passports", &client_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let after = ada.get(revoked.header("location")).await;
    assert!(after.text.contains("取り消しました") && after.text.contains("取消済み"));
    let forged = ada
        .post(
            &format!("/app/admin/clients/{client_id}/revoke"),
            &[("csrf", "forged"), ("organization", "")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// Circular Partners through the pages, one member of each submission format (company in
/// Japanese, municipality in English, university in both): apply, approval by the secretariat
/// on its page, a target in the format's form (a refused one shown again with its problems), a
/// follow-up (a contradicting band flagged on the target's page), the CSV import with its report,
/// and the public member page.
#[tokio::test]
async fn each_member_type_applies_submits_targets_and_follow_ups_through_the_pages() {
    let app = TestApp::new().await;
    let office = app
        .store
        .create_organization(
            &Actor::system(),
            junkan_model::organization::NewOrganization {
                organization_type: junkan_model::organization::OrganizationType::RelatedOrganization,
                company_size: None,
                corporate_number: None,
                ..support::company("事務局", "", &[])
            },
        )
        .await
        .expect("office")
        .id;
    app.store
        .designate_partner_secretariat(&Actor::system(), office)
        .await
        .expect("designated");
    user(&app, office, "secretariat", &[Role::Member]).await;
    let mut other_types = Vec::new();
    for (name, kind, code) in [
        (
            "北九州市",
            junkan_model::organization::OrganizationType::Municipality,
            Some("401005"),
        ),
        (
            "循環大学",
            junkan_model::organization::OrganizationType::UniversityOrResearchInstitute,
            None,
        ),
    ] {
        let id = app
            .store
            .create_organization(
                &Actor::system(),
                junkan_model::organization::NewOrganization {
                    organization_type: kind,
                    company_size: None,
                    corporate_number: None,
                    local_government_code: code.map(str::to_owned),
                    prefecture_code: if code.is_some() { None } else { Some("13".to_owned()) },
                    ..support::company(name, "", &[])
                },
            )
            .await
            .expect("organization")
            .id;
        other_types.push(id);
    }
    user(&app, app.a, "maker", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, other_types[0], "city", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, other_types[1], "campus", &[Role::OrgAdmin, Role::Member]).await;
    let year = time::OffsetDateTime::now_utc().year();
    let target_year = (year + 4).to_string();
    let last_year = (year - 1).to_string();

    let mut secretariat = Browser::new(&app);
    secretariat.sign_in("secretariat").await;
    for (username, organization, english) in [
        ("maker", app.a, false),
        ("city", other_types[0], true),
        ("campus", other_types[1], false),
    ] {
        let mut browser = Browser::new(&app);
        browser.sign_in(username).await;
        if english {
            let token = browser.get("/app").await.form_token();
            browser.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
        }
        let home = browser.get("/app/partners").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.text);
        assert!(home.text.contains(if english {
            "Apply for membership"
        } else {
            "入会を申請する"
        }));
        let applied = browser
            .post(
                "/app/partners/apply",
                &[
                    ("csrf", &home.form_token()),
                    ("note", "デモ"),
                    ("working_group", "vision_roadmap"),
                    ("publish", "true"),
                ],
            )
            .await;
        assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text);
        let office_page = secretariat.get("/app/partners/secretariat").await;
        assert_eq!(office_page.status, StatusCode::OK, "{}", office_page.text);
        assert!(office_page.text.contains("審査待ちの申請"));
        let membership = app
            .store
            .list_memberships(
                &Actor {
                    roles: vec![Role::Auditor],
                    ..Actor::system()
                },
                &junkan_partners::MembershipFilter {
                    organization: Some(organization),
                    ..junkan_partners::MembershipFilter::default()
                },
            )
            .await
            .expect("memberships")
            .pop()
            .expect("applied");
        // Only the secretariat reviews: the applicant's own try is refused.
        let own_review = browser
            .post(
                &format!("/app/partners/memberships/{}/review", membership.id),
                &[("csrf", &home.form_token()), ("decision", "approve")],
            )
            .await;
        assert_eq!(own_review.status, StatusCode::FORBIDDEN);
        let approved = secretariat
            .post(
                &format!("/app/partners/memberships/{}/review", membership.id),
                &[("csrf", &office_page.form_token()), ("decision", "approve")],
            )
            .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);

        let form = browser.get("/app/partners/targets/new").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        let token = form.form_token();
        let (refused_fields, good_fields): (Fields, Fields) = match username {
            "campus" => {
                assert!(form.text.contains("プロジェクト名"));
                (
                    vec![
                        ("csrf", &token),
                        ("project_title", "実証"),
                        ("start_date", "2025-04-01"),
                        ("end_date", "2024-03-31"),
                    ],
                    vec![
                        ("csrf", &token),
                        ("project_title", "電池の直接再生"),
                        ("start_date", "2024-04-01"),
                        ("end_date", "2025-03-31"),
                        ("publication_url", "https://example.ac.jp/p"),
                    ],
                )
            }
            _ => {
                let (allowed, foreign) = if username == "city" {
                    assert!(form.text.contains("Social impact") && !form.text.contains("Economic impact"));
                    ("social_impact", "economic_impact")
                } else {
                    assert!(form.text.contains("経済インパクト") && !form.text.contains("社会インパクト"));
                    ("economic_impact", "social_impact")
                };
                let quantitative = [
                    ("content", "2030年度までに30%"),
                    ("indicator", "再生材利用率"),
                    ("scope", "全製品"),
                    ("baseline_year", "2022"),
                    ("baseline_value", "10"),
                    ("target_value", "30"),
                    ("unit", "%"),
                ];
                let mut refused = vec![
                    ("csrf", token.as_str()),
                    ("categories", foreign),
                    ("target_year", "2020"),
                ];
                refused.extend(quantitative);
                let mut good = vec![
                    ("csrf", token.as_str()),
                    ("categories", "resource_circulation"),
                    ("categories", allowed),
                    ("target_year", target_year.as_str()),
                ];
                good.extend(quantitative);
                (refused, good)
            }
        };
        let refused = browser.post("/app/partners/targets/new", &refused_fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("role=\"alert\""));
        if username == "campus" {
            assert!(
                refused.text.contains("must not be before the start date"),
                "{}",
                refused.text
            );
        } else {
            assert!(
                refused.text.contains("is in the past") && refused.text.contains("is not a category"),
                "{}",
                refused.text
            );
        }
        let saved = browser.post("/app/partners/targets/new", &good_fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
        let location = saved.header("location").to_owned();
        let target_page = browser.get(&location).await;
        assert_eq!(target_page.status, StatusCode::OK, "{}", target_page.text);
        let target_path = location.split('?').next().expect("path").to_owned();
        let token = target_page.form_token();
        let report: Vec<(&str, &str)> = if username == "campus" {
            vec![
                ("csrf", &token),
                ("fiscal_year", "2024"),
                ("results_summary", "正極材を直接再生し、容量の95%を回復した。"),
            ]
        } else {
            vec![
                ("csrf", &token),
                ("fiscal_year", &last_year),
                ("achievement_band", "80-99"),
                ("progress_status", "on_plan"),
                ("current_value", "12"),
                ("current_year", &last_year),
            ]
        };
        let reported = browser.post(&format!("{target_path}/follow-ups"), &report).await;
        assert_eq!(reported.status, StatusCode::SEE_OTHER, "{}", reported.text);
        let target_page = browser.get(&target_path).await;
        if username == "campus" {
            assert!(target_page.text.contains("容量の95%を回復した"));
        } else {
            assert!(target_page.text.contains("class=\"flag\""), "{}", target_page.text);
        }
        // The public member page (the member publishes).
        let public = Browser::new(&app)
            .get(&format!("/app/partners/members/{organization}"))
            .await;
        assert_eq!(public.status, StatusCode::OK, "{}", public.text);
        assert!(public.text.contains(if username == "campus" {
            "電池の直接再生"
        } else {
            "2030年度までに30%"
        }));
    }

    // The CSV import reports broken rows by line and imports nothing.
    let mut maker = Browser::new(&app);
    maker.sign_in("maker").await;
    let home = maker.get("/app/partners").await;
    let csv = format!(
        "categories,content,indicator,scope,baseline_year,baseline_value,target_value,unit,target_year,publication_url\n資源循環,行,指標,範囲,2022,1,2,t,{target_year},\n社会インパクト,行,指標,範囲,2022,1,2,t,{target_year},\n"
    );
    let report = maker
        .upload(
            "/app/partners/import",
            &[("csrf", &home.form_token())],
            "targets.csv",
            &csv,
        )
        .await;
    assert_eq!(report.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", report.text);
    assert!(report.text.contains("/rows/3/categories/0"), "{}", report.text);
    let targets = app
        .store
        .list_partner_targets(
            &Actor::system(),
            &junkan_partners::TargetFilter {
                organization: Some(app.a),
                ..junkan_partners::TargetFilter::default()
            },
        )
        .await
        .expect("targets");
    assert_eq!(targets.len(), 1, "the target of the form only: nothing was imported");

    // The secretariat's page: statistics in tables and charts, in both languages.
    let office_page = secretariat.get("/app/partners/secretariat").await;
    assert!(
        office_page.text.contains("members-by-prefecture") && office_page.text.contains("福岡県"),
        "{}",
        office_page.text
    );
    let token = office_page.form_token();
    secretariat
        .post("/app/language", &[("csrf", &token), ("lang", "en")])
        .await;
    let english = secretariat.get("/app/partners/secretariat").await;
    assert!(
        english.text.contains("By prefecture") && english.text.contains("Fukuoka"),
        "{}",
        english.text
    );
}

#[tokio::test]
async fn certification_bodies_issue_and_revoke_certificates_that_passport_pages_show_with_their_status() {
    let app = app_with_profiles(TestApp::new().await).await;
    let mut certifier_org = support::company(
        "日本循環認証",
        "0000000000000",
        &[junkan_model::organization::CycleRole::Certifier],
    );
    certifier_org.corporate_number = None;
    let certifier = app
        .store
        .create_organization(&Actor::system(), certifier_org)
        .await
        .expect("certifier")
        .id;
    user(&app, certifier, "carol", &[Role::Member]).await;
    user(&app, app.a, "alice", &[Role::OrgAdmin, Role::Member]).await;
    let fridge = passport(
        &app,
        app.a,
        "https://id.gs1.org/01/04912345000019",
        "FRIDGE",
        Visibility::Public,
    )
    .await;
    let fridge_id = fridge.id.to_string();

    let mut carol = Browser::new(&app);
    carol.sign_in("carol").await;
    let page = carol.get("/app/certificates").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("適合性証明を発行する") && page.text.contains("aria-current=\"page\""));
    let token = page.form_token();
    let valid: Vec<(&str, &str)> = vec![
        ("csrf", &token),
        ("scheme", "eco_design"),
        ("subject_kind", "passport"),
        ("subject_id", &fridge_id),
        ("valid_from", "2026-01-01"),
        ("valid_until", "2098-12-31"),
        ("reference_number", "JCC-ED-0001"),
        ("evidence", HOSTILE),
        ("claim_product_category", "家電（冷蔵庫）"),
        ("claim_criteria", "解体容易性\n再生プラスチック利用"),
    ];
    // A forged form changes nothing.
    let mut forged = valid.clone();
    forged[0] = ("csrf", "forged");
    let refused = carol.post("/app/certificates", &forged).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    // Problems next to their fields, the form kept.
    let mut broken = valid.clone();
    broken.retain(|(name, _)| *name != "claim_product_category");
    broken.push(("valid_from", "yesterday"));
    broken.retain(|(name, value)| !(*name == "valid_from" && *value == "2026-01-01"));
    let reply = carol.post("/app/certificates", &broken).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    assert!(reply.text.contains("id=\"field-valid_from-problem\""), "{}", reply.text);
    assert!(reply.text.contains("id=\"field-claim_product_category-problem\""));
    assert!(reply.text.contains("JCC-ED-0001"), "the form keeps what was entered");
    assert!(!reply.text.contains(HOSTILE), "every value is escaped");
    let issued = carol.post("/app/certificates", &valid).await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.text);
    let page = carol.get("/app/certificates?issued=1").await;
    assert!(page.text.contains("発行しました。"));
    assert!(page.text.contains("署名有効"), "{}", page.text);
    assert!(page
        .text
        .contains("環境配慮設計（家電（冷蔵庫））: 解体容易性、再生プラスチック利用"));

    // The owner's passport page and the public page show the certificate and its status.
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let passport_page = alice.get(&format!("/app/passports/{fridge_id}")).await;
    assert_eq!(passport_page.status, StatusCode::OK);
    assert!(passport_page.text.contains("適合性証明（第三者認証）"));
    assert!(passport_page.text.contains("日本循環認証株式会社") && passport_page.text.contains("署名有効"));
    let public_page = Browser::new(&app).get("/01/04912345000019").await;
    assert_eq!(public_page.status, StatusCode::OK);
    assert!(public_page.text.contains("署名有効"), "{}", public_page.text);
    let own_page = alice.get("/app/certificates").await;
    assert!(own_page.text.contains("認証機関の役割を持つ組織だけです") && own_page.text.contains("JCC-ED-0001"));

    // Revoked through the form: every page says so.
    let certificate_id = app
        .store
        .list_certificates(
            &actor_of(app.a),
            &junkan_model::certificate::CertificateFilter::default(),
            &PageRequest::first(10),
        )
        .await
        .expect("list")
        .items[0]
        .id
        .to_string();
    let token = carol.get("/app/certificates").await.form_token();
    let revoked = carol
        .post(
            &format!("/app/certificates/{certificate_id}/revoke"),
            &[("csrf", &token), ("reason", "定期監査で不適合")],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.text);
    let page = carol.get("/app/certificates?revoked=1").await;
    assert!(page.text.contains("取り消しました。") && page.text.contains("定期監査で不適合"));
    let passport_page = alice.get(&format!("/app/passports/{fridge_id}")).await;
    assert!(passport_page.text.contains("取消済み"), "{}", passport_page.text);
    // The owner cannot revoke a certifier's certificate.
    let token = alice.get("/app/certificates").await.form_token();
    let refused = alice
        .post(
            &format!("/app/certificates/{certificate_id}/revoke"),
            &[("csrf", &token), ("reason", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // English.
    let token = carol.get("/app").await.form_token();
    carol.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    let english = carol.get("/app/certificates").await;
    assert!(english.text.contains("<html lang=\"en\">") && english.text.contains("Issue a conformity certificate"));
    assert!(english.text.contains("Revoked"));
}

/// The id in a redirect to `/app/requests/{id}?done=...`.
fn request_id_of(location: &str) -> String {
    location
        .trim_start_matches("/app/requests/")
        .split('?')
        .next()
        .expect("an id")
        .to_owned()
}

#[tokio::test]
async fn access_requests_are_sent_approved_narrowed_refused_and_withdrawn_through_the_inbox() {
    let app = TestApp::new().await;
    user(&app, app.a, "admin-a", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.a, "member-a", &[Role::Member]).await;
    user(&app, app.b, "bob", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.authority, "carol", &[Role::OrgAdmin, Role::Member]).await;
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/21/WEBREQ", "granularity": "item",
                   "profile": "battery", "data": junkan_passport::builtin::example("battery").expect("example")}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let passport = created.body["id"].as_str().expect("id").to_owned();

    // B asks for the dismantling fields of A's battery passport, through the form.
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let form = bob.get("/app/requests/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("新しいアクセス申請"));
    let token = form.form_token();
    let owner = app.a.to_string();
    let request_fields = |purpose: &'static str, reads: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("owner", owner.clone()),
            ("record_kind", "passport".to_owned()),
            ("record_ids", passport.clone()),
            ("level", "legitimate_interest".to_owned()),
            ("purpose", purpose.to_owned()),
            ("expires_at", "2099-03-31".to_owned()),
            ("max_reads", reads.to_owned()),
            ("message", "解体計画のため".to_owned()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>, token: &str| {
        let mut fields: Vec<(&str, String)> = fields;
        fields.push(("csrf", token.to_owned()));
        fields
    };
    // Without the CSRF token, refused and nothing created.
    let fields = request_fields("dismantling", "10");
    let borrowed: Fields = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let forged = bob.post("/app/requests/new", &borrowed).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token: refused");
    let mut forged_fields = borrowed.clone();
    forged_fields.push(("csrf", "forged"));
    assert_eq!(
        bob.post("/app/requests/new", &forged_fields).await.status,
        StatusCode::FORBIDDEN
    );
    let none = app
        .get("/api/v1/access-requests?direction=outgoing", &app.token_b)
        .await;
    assert_eq!(none.body["items"], json!([]), "a refused form changes nothing");
    // A purpose left empty: the form again with the problem next to the field.
    let fields = send(request_fields("", "10"), &token);
    let borrowed: Fields = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let empty = bob.post("/app/requests/new", &borrowed).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.text);
    assert!(empty.text.contains("id=\"purpose-problem\""), "{}", empty.text);
    assert!(empty.text.contains("利用目的を 1〜200 文字で入力してください"));
    assert!(empty.text.contains("解体計画のため"), "the values sent are kept");
    let fields = send(request_fields("dismantling", "10"), &token);
    let borrowed: Fields = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let sent = bob.post("/app/requests/new", &borrowed).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let first = request_id_of(sent.header("location"));
    let shown = bob.get(sent.header("location")).await;
    assert!(shown.text.contains("アクセス申請を送信しました。") && shown.text.contains("審査中"));
    assert!(shown.text.contains("/withdraw"), "the requester may withdraw it");
    let outgoing = bob.get("/app/requests?direction=outgoing").await;
    assert!(outgoing.text.contains(&format!("/app/requests/{first}")));

    // The owner's inbox: pending first; members see it but do not decide.
    let mut member = Browser::new(&app);
    member.sign_in("member-a").await;
    let page = member.get(&format!("/app/requests/{first}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("/approve") && page.text.contains("判断できるのは組織の管理者です。"));
    let refused = member
        .post(
            &format!("/app/requests/{first}/approve"),
            &[("csrf", &page.form_token())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // An organization the request is not addressed to cannot see or decide it.
    let mut carol = Browser::new(&app);
    carol.sign_in("carol").await;
    assert_eq!(
        carol.get(&format!("/app/requests/{first}")).await.status,
        StatusCode::NOT_FOUND
    );
    let carol_token = carol.get("/app/requests").await.form_token();
    let foreign = carol
        .post(&format!("/app/requests/{first}/approve"), &[("csrf", &carol_token)])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let mut admin = Browser::new(&app);
    admin.sign_in("admin-a").await;
    let inbox = admin.get("/app/requests").await;
    assert!(inbox.text.contains("審査中") && inbox.text.contains(&format!("/app/requests/{first}")));
    let decide = admin.get(&format!("/app/requests/{first}")).await;
    assert!(decide.text.contains("/narrow") && decide.text.contains("/refuse"));
    assert!(
        decide.text.contains("value=\"2099-03-31\""),
        "the narrowing form is pre-filled"
    );
    let admin_token = decide.form_token();
    let narrow_path = format!("/app/requests/{first}/narrow");
    // A narrowing that widens (more reads, a later end) is refused next to each field.
    let wider = admin
        .post(
            &narrow_path,
            &[
                ("csrf", &admin_token),
                ("record_id", &passport),
                ("level", "legitimate_interest"),
                ("expires_at", "2100-01-01"),
                ("max_reads", "20"),
            ],
        )
        .await;
    assert_eq!(wider.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wider.text);
    assert!(wider.text.contains("id=\"narrow-reads-problem\"") && wider.text.contains("id=\"narrow-until-problem\""));
    assert!(wider.text.contains("value=\"20\""), "the values sent are shown again");
    let still = app.get(&format!("/api/v1/access-requests/{first}"), &app.token_a).await;
    assert_eq!(still.body["state"], "pending", "a refused narrowing changes nothing");
    let narrowed = admin
        .post(
            &narrow_path,
            &[
                ("csrf", &admin_token),
                ("record_id", &passport),
                ("level", "legitimate_interest"),
                ("expires_at", "2099-03-31"),
                ("max_reads", "5"),
                ("reason", "まず5回まで"),
            ],
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::SEE_OTHER, "{}", narrowed.text);
    let after = admin.get(narrowed.header("location")).await;
    assert!(after.text.contains("縮小して承認し、許諾を作成しました。") && after.text.contains("縮小承認"));
    let decided = app.get(&format!("/api/v1/access-requests/{first}"), &app.token_a).await;
    assert_eq!(decided.body["granted"]["max_reads"], 5);
    let grant = decided.body["grant_id"].as_str().expect("grant").to_owned();
    let twice = admin
        .post(&format!("/app/requests/{first}/approve"), &[("csrf", &admin_token)])
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // The grant with its terms, its origin and its ODRL policy; B reads, A's audit shows it.
    let grants = admin.get("/app/grants").await;
    assert!(
        grants.text.contains("0 / 5") && grants.text.contains("目的を強制"),
        "{}",
        grants.text
    );
    assert!(grants.text.contains(&format!("/app/requests/{first}")));
    assert!(grants.text.contains(&format!("/api/v1/grants/{grant}/policy")));
    let policy = bob.get(&format!("/api/v1/grants/{grant}/policy")).await;
    assert_eq!(policy.status, StatusCode::OK, "the session reads the policy");
    let read = app
        .get_with(
            &format!("/api/v1/passports/{passport}"),
            &app.token_b,
            &[("junkan-purpose", "dismantling")],
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let received = bob.get("/app/grants?direction=received").await;
    assert!(received.text.contains("1 / 5"), "{}", received.text);
    let audit = admin.get("/app/audit").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert!(audit.text.contains(&passport) && audit.text.contains("dismantling") && audit.text.contains(&grant));
    let by_grant = admin.get(&format!("/app/audit?grant={grant}&reader={}", app.b)).await;
    assert!(by_grant.text.contains(&passport));
    let other_reader = admin.get(&format!("/app/audit?reader={}", app.authority)).await;
    assert!(!other_reader.text.contains(&passport));
    let later = admin.get("/app/audit?from=2098-01-01").await;
    assert!(!later.text.contains(&passport));
    let bad = admin.get("/app/audit?from=yesterday&grant=nonsense").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"audit-from-problem\"") && bad.text.contains("id=\"audit-grant-problem\""));
    assert_eq!(member.get("/app/audit").await.status, StatusCode::FORBIDDEN);

    // A second request is refused (a reason is required), a third withdrawn by B.
    let fields = send(request_fields("collection", "3"), &token);
    let borrowed: Fields = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let second = request_id_of(bob.post("/app/requests/new", &borrowed).await.header("location"));
    // Pending requests come first in the inbox, before older decided ones.
    let inbox = admin.get("/app/requests").await;
    let place = |id: &str| inbox.text.find(&format!("/app/requests/{id}\"")).expect("listed");
    assert!(place(&second) < place(&first), "pending first: {}", inbox.text);
    let refuse_path = format!("/app/requests/{second}/refuse");
    let no_reason = admin
        .post(&refuse_path, &[("csrf", &admin_token), ("reason", "")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text.contains("id=\"refuse-reason-problem\""));
    let refused = admin
        .post(&refuse_path, &[("csrf", &admin_token), ("reason", "目的が不明確です")])
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let seen = bob.get(&format!("/app/requests/{second}")).await;
    assert!(seen.text.contains("却下") && seen.text.contains("目的が不明確です"));
    let fields = send(request_fields("recycling", "3"), &token);
    let borrowed: Fields = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let third = request_id_of(bob.post("/app/requests/new", &borrowed).await.header("location"));
    let withdrawn = bob
        .post(&format!("/app/requests/{third}/withdraw"), &[("csrf", &token)])
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert!(bob
        .get(withdrawn.header("location"))
        .await
        .text
        .contains("申請を取り下げました。"));
    let refused_only = admin.get("/app/requests?state=refused").await;
    assert!(refused_only.text.contains(&second) && !refused_only.text.contains(&third));

    // In English.
    let english = bob.get("/app/requests?direction=outgoing").await;
    bob.post("/app/language", &[("csrf", &english.form_token()), ("lang", "en")])
        .await;
    let english = bob.get(&format!("/app/requests/{second}")).await;
    assert!(english.text.contains("Access request:") && english.text.contains("refused"));
    let english = bob.get("/app/requests/new").await;
    assert!(english.text.contains("New access request") && english.text.contains("Purpose"));
}

#[tokio::test]
async fn the_catalog_offers_datasets_and_standing_rules_are_set_on_the_grants_page() {
    let app = TestApp::new().await;
    user(&app, app.a, "admin-a", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.a, "member-a", &[Role::Member]).await;
    user(&app, app.b, "bob", &[Role::OrgAdmin, Role::Member]).await;
    let mut admin = Browser::new(&app);
    admin.sign_in("admin-a").await;
    let catalog = admin.get("/app/catalog").await;
    assert_eq!(catalog.status, StatusCode::OK, "{}", catalog.text);
    assert!(catalog.text.contains("データカタログ") && catalog.text.contains("データセットを提供する"));
    let token = catalog.form_token();
    let offer_fields = |title: &'static str, gtin: &'static str| {
        vec![
            ("title_ja", title),
            ("title_en", "Battery passports for dismantlers"),
            ("description_ja", "電池パスポートの解体情報"),
            ("description_en", "Dismantling fields of battery passports"),
            ("record_kind", "passport"),
            ("class_type", "profile"),
            ("class_value", gtin),
            ("level", "legitimate_interest"),
            ("purpose", "dismantling"),
            ("max_duration_days", "365"),
        ]
    };
    let mut bad = offer_fields("", "Battery!");
    bad.push(("csrf", &token));
    let refused = admin.post("/app/catalog/offers", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(
        refused.text.contains("id=\"offer-title-ja-problem\"") && refused.text.contains("id=\"offer-class-problem\"")
    );
    let mut good = offer_fields("電池パスポート（解体事業者向け）", "battery");
    good.push(("csrf", &token));
    // Only the Circularity fields (項目の範囲).
    good.push(("fields", "Circularity"));
    let published = admin.post("/app/catalog/offers", &good).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER, "{}", published.text);
    let offers = app.get("/api/v1/dataset-offers", &app.token_a).await;
    let offer = offers.body["items"][0]["id"].as_str().expect("offer").to_owned();
    assert!(admin
        .get(published.header("location"))
        .await
        .text
        .contains("データセットの提供を公開しました。"));

    // B sees it with a "request access" button that opens the form pre-filled.
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let seen = bob.get("/app/catalog").await;
    assert!(seen.text.contains("電池パスポート（解体事業者向け）"));
    assert!(seen.text.contains(&format!("/app/requests/new?offer={offer}")));
    let form = bob.get(&format!("/app/requests/new?offer={offer}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains(&format!("<option value=\"{offer}\" selected")),
        "{}",
        form.text
    );
    assert!(form.text.contains("value=\"dismantling\"") && form.text.contains("value=\"battery\""));
    assert!(
        seen.text.contains("<code>/Circularity</code>"),
        "the offer's fields: {}",
        seen.text
    );
    assert!(
        form.text.contains(">/Circularity</textarea>"),
        "the request takes the offer's fields: {}",
        form.text
    );
    let requested = bob
        .post(
            "/app/requests/new",
            &[
                ("csrf", &form.form_token()),
                ("offer_id", &offer),
                ("record_kind", "passport"),
                ("class_type", "profile"),
                ("class_value", "battery"),
                ("level", "full"),
                ("purpose", "dismantling"),
                ("expires_at", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(requested.status, StatusCode::UNPROCESSABLE_ENTITY, "beyond the offer");
    assert!(requested.text.contains("id=\"level-problem\"") && requested.text.contains("id=\"until-problem\""));

    // Members do not withdraw offers; administrators do.
    let mut member = Browser::new(&app);
    member.sign_in("member-a").await;
    let member_page = member.get("/app/catalog").await;
    assert!(!member_page.text.contains("/withdraw"));
    let path = format!("/app/catalog/offers/{offer}/withdraw");
    assert_eq!(
        member.post(&path, &[("csrf", &member_page.form_token())]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.post(&path, &[("csrf", &form.form_token())]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.post(&path, &[]).await.status, StatusCode::FORBIDDEN);
    let done = admin.post(&path, &[("csrf", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(!bob
        .get("/app/catalog")
        .await
        .text
        .contains("電池パスポート（解体事業者向け）"));

    // Standing rules: listed and set on the grants page.
    let rules = admin.get("/app/grants?direction=standing").await;
    assert!(rules.text.contains("常設ルールを設定する"), "{}", rules.text);
    let no_end = admin
        .post(
            "/app/grants/standing-rules",
            &[
                ("csrf", &token),
                ("grantee_type", "role_with_certification"),
                ("role", "recycler"),
                ("scheme", "dismantling"),
                ("record_kind", "passport"),
                ("level", "legitimate_interest"),
                ("expires_at", ""),
            ],
        )
        .await;
    assert_eq!(no_end.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_end.text.contains("id=\"rule-until-problem\""));
    let set = admin
        .post(
            "/app/grants/standing-rules",
            &[
                ("csrf", &token),
                ("grantee_type", "role_with_certification"),
                ("role", "recycler"),
                ("scheme", "dismantling"),
                ("record_kind", "passport"),
                ("class_type", "profile"),
                ("class_value", "battery"),
                ("level", "legitimate_interest"),
                ("purpose", "dismantling"),
                ("enforce_purpose", "1"),
                ("expires_at", "2099-12-31"),
                ("fields", "Circularity"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text);
    let listed = admin.get(set.header("location")).await;
    assert!(listed.text.contains("常設ルールを設定しました。"));
    assert!(
        listed
            .text
            .contains("認証「dismantling」を保有するすべてのリサイクル事業者"),
        "{}",
        listed.text
    );
    let api = app.get("/api/v1/standing-rules", &app.token_a).await;
    assert_eq!(api.body["items"][0]["grantee"]["type"], "role_with_certification");
    assert_eq!(
        api.body["items"][0]["fields"],
        json!(["/Circularity"]),
        "the rule's fields"
    );
    let member_rules = member.get("/app/grants?direction=standing").await;
    assert!(
        !member_rules.text.contains("常設ルールを設定する"),
        "members see no form"
    );
    let by_member = member
        .post(
            "/app/grants/standing-rules",
            &[
                ("csrf", &member_rules.form_token()),
                ("grantee_type", "role"),
                ("role", "recycler"),
                ("record_kind", "facility"),
                ("level", "full"),
                ("expires_at", "2099-12-31"),
            ],
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);

    // In English.
    admin.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    let english = admin.get("/app/catalog").await;
    assert!(english.text.contains("Data catalog") && english.text.contains("Offer a dataset"));
    let english = admin.get("/app/grants?direction=standing").await;
    assert!(english.text.contains("every recycler holding the certification"));
    let english = admin.get("/app/audit").await;
    assert!(english.text.contains("Owner's audit"));
}

#[tokio::test]
async fn administrators_create_organizations_accounts_and_client_credentials_through_forms() {
    let app = TestApp::new().await;
    user(&app, app.a, "ada", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.a, "alice", &[Role::Member]).await;
    user(&app, app.authority, "nadia", &[Role::NodeAdmin]).await;

    // Node administrators register organizations; problems come back next to their fields.
    let mut nadia = Browser::new(&app);
    nadia.sign_in("nadia").await;
    let page = nadia.get("/app/admin").await;
    assert!(page.text.contains("組織を登録する"), "{}", page.text);
    let token = page.form_token();
    let bad = nadia
        .post(
            "/app/admin/organizations",
            &[
                ("csrf", &token),
                ("name_ja", ""),
                ("name_en", "Recycler"),
                ("organization_type", "company"),
                ("corporate_number", "123"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text.contains("id=\"organization-name_ja-problem\"")
            && bad.text.contains("id=\"organization-corporate_number-problem\"")
    );
    assert!(bad.text.contains("value=\"Recycler\""), "the values sent are kept");
    let created = nadia
        .post(
            "/app/admin/organizations",
            &[
                ("csrf", &token),
                ("name_ja", "循環リサイクル株式会社"),
                ("name_en", "Junkan Recycling K.K."),
                ("organization_type", "company"),
                ("company_size", "sme"),
                ("role", "recycler"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let shown = nadia.get(created.header("location")).await;
    assert!(shown.text.contains("組織を登録しました。") && shown.text.contains("循環リサイクル株式会社"));

    // Organization administrators do not register organizations, but create their accounts.
    let mut ada = Browser::new(&app);
    ada.sign_in("ada").await;
    let page = ada.get("/app/admin").await;
    assert!(!page.text.contains("組織を登録する") && page.text.contains("アカウントを作成する"));
    let token = page.form_token();
    let refused = ada
        .post(
            "/app/admin/organizations",
            &[
                ("csrf", &token),
                ("name_ja", "乗っ取り"),
                ("name_en", "Takeover"),
                ("organization_type", "company"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let a = app.a.to_string();
    let short = ada
        .post(
            "/app/admin/users",
            &[
                ("csrf", &token),
                ("organization", &a),
                ("username", "bea"),
                ("display_name", "Bea"),
                ("password", "short"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains("id=\"user-password-problem\"") && !short.text.contains("value=\"short\""));
    let node_role = ada
        .post(
            "/app/admin/users",
            &[
                ("csrf", &token),
                ("organization", &a),
                ("username", "bea"),
                ("display_name", "Bea"),
                ("password", PASSWORD),
                ("role", "node_admin"),
            ],
        )
        .await;
    assert_eq!(
        node_role.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only node administrators give it"
    );
    assert!(node_role.text.contains("id=\"user-roles-problem\""));
    let made = ada
        .post(
            "/app/admin/users",
            &[
                ("csrf", &token),
                ("organization", &a),
                ("username", "bea"),
                ("display_name", "Bea"),
                ("password", PASSWORD),
                ("role", "member"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    assert!(ada.get(made.header("location")).await.text.contains("<code>bea</code>"));
    let mut bea = Browser::new(&app);
    bea.sign_in("bea").await;
    assert!(
        bea.get("/app").await.text.contains("<html lang=\"en\">"),
        "the new account signs in"
    );
    let taken = ada
        .post(
            "/app/admin/users",
            &[
                ("csrf", &token),
                ("organization", &a),
                ("username", "bea"),
                ("display_name", "Bea"),
                ("password", PASSWORD),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text.contains("id=\"user-username-problem\""));
    let foreign = ada
        .post(
            "/app/admin/users",
            &[
                ("csrf", &token),
                ("organization", &app.b.to_string()),
                ("username", "mole"),
                ("display_name", "Mole"),
                ("password", PASSWORD),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);

    // A client credential: its secret is shown once, in the answer, and works.
    let issued = ada
        .post(
            "/app/admin/clients",
            &[
                ("csrf", &token),
                ("organization", &a),
                ("name", "ERP 連携"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    assert_eq!(issued.header("cache-control"), "no-store");
    let value_of = |id: &str| {
        let start = issued.text.find(&format!("id=\"{id}\">")).expect("shown") + id.len() + 6;
        issued.text[start..].split('<').next().expect("text").to_owned()
    };
    let (client_id, secret) = (value_of("created-client-id"), value_of("created-client-secret"));
    let client_token = app.client_token_with(&client_id, &secret).await;
    assert_eq!(app.get("/api/v1/passports", &client_token).await.status, StatusCode::OK);
    assert!(!ada.get("/app/admin").await.text.contains(&secret), "never shown again");
    let unnamed = ada
        .post(
            "/app/admin/clients",
            &[("csrf", &token), ("organization", &a), ("name", "")],
        )
        .await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unnamed.text.contains("id=\"client-name-problem\""));
    let forged = ada
        .post(
            "/app/admin/clients",
            &[("csrf", "forged"), ("organization", &a), ("name", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Members have none of it.
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let member_token = alice.get("/app").await.form_token();
    let by_member = alice
        .post(
            "/app/admin/clients",
            &[("csrf", &member_token), ("organization", &a), ("name", "x")],
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_sign_in_page_says_when_a_name_is_locked_after_failed_attempts() {
    let app = TestApp::new().await;
    user(&app, app.a, "takahashi", &[Role::Member]).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/app/sign-in").await;
    let token = form.form_token();
    let attempt = |password: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("username", "takahashi".to_owned()),
            ("password", password.to_owned()),
            ("next", "/app".to_owned()),
        ]
    };
    for _ in 0..5 {
        let fields = attempt("not the password");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let wrong = browser.post("/app/sign-in", &fields).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.text.contains("ユーザー名またはパスワードが正しくありません。"));
    }
    let fields = attempt(PASSWORD);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let locked = browser.post("/app/sign-in", &fields).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.text);
    assert!(locked.text.contains("サインインの失敗が続いたため"), "{}", locked.text);
}

/// A loopback URL where nothing listens: a peer node that is down.
fn dead_peer_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn peers_received_records_and_dataspace_pages_show_federation_to_its_organization_only() {
    let app = TestApp::new().await;
    user(&app, app.a, "noda", &[Role::NodeAdmin]).await;
    user(&app, app.a, "alice", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.b, "bob", &[Role::OrgAdmin, Role::Member]).await;

    // The node administrator registers peers through the form: the API's rules, next to the field.
    let mut noda = Browser::new(&app);
    noda.sign_in("noda").await;
    let peers = noda.get("/app/peers").await;
    assert_eq!(peers.status, StatusCode::OK, "{}", peers.text);
    assert!(peers.text.contains("連携ノードを登録する") && peers.text.contains("登録された連携ノードはありません。"));
    let token = peers.form_token();
    let plain_http = noda
        .post(
            "/app/peers",
            &[("csrf", &token), ("base_url", "http://junkan.example.jp")],
        )
        .await;
    assert_eq!(plain_http.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        plain_http.text.contains("id=\"peer-base-url-problem\""),
        "{}",
        plain_http.text
    );
    assert!(plain_http.text.contains("https:// の URL を入力してください"));
    assert!(plain_http.text.contains("aria-describedby=\"peer-base-url-problem\""));
    let not_a_url = noda
        .post("/app/peers", &[("csrf", &token), ("base_url", "junkan.example.jp")])
        .await;
    assert_eq!(not_a_url.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_a_url
        .text
        .contains("https://ホスト名[:ポート] の形の URL を入力してください。"));
    let down_url = dead_peer_url();
    let down = noda
        .post("/app/peers", &[("csrf", &token), ("base_url", &down_url)])
        .await;
    assert_eq!(down.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        down.text
            .contains("連携ノードに接続できないか、応答が正しくありません。"),
        "{}",
        down.text
    );
    assert!(
        down.text.contains(&format!("value=\"{down_url}\"")),
        "what was entered is kept"
    );
    assert!(
        app.store.list_peers().await.expect("peers").is_empty(),
        "nothing was registered"
    );
    let forged = noda
        .post(
            "/app/peers",
            &[("csrf", "forged"), ("base_url", "https://junkan.example.jp")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let switch = noda.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    let english = noda
        .post(
            "/app/peers",
            &[("csrf", &token), ("base_url", "http://junkan.example.jp")],
        )
        .await;
    assert!(english.text.contains("<html lang=\"en\">") && english.text.contains("must use https"));

    // A peer that is down, a request A sent to it (approved) and a record A received from it.
    let peer_did = format!("did:web:{}", down_url.trim_start_matches("http://").replace(':', "%3A"));
    let provider_did = format!("{peer_did}:organizations:0193a000-0000-7000-8000-00000000beef");
    let peer = app
        .store
        .create_peer(&Actor::system(), &down_url, &peer_did, &json!({"id": peer_did, "verificationMethod": [
            {"id": format!("{peer_did}#node-1"), "type": "JsonWebKey", "controller": peer_did},
            {"id": format!("{peer_did}#node-0"), "type": "JsonWebKey", "controller": peer_did, "revoked": "2026-01-01T00:00:00Z"}
        ]}))
        .await
        .expect("peer");
    let actor_a = actor_of(app.a);
    let request = app
        .store
        .create_remote_request(
            &actor_a,
            peer.id,
            &provider_did,
            "remote-1",
            &json!({"record_kind": "passport", "record_ids": ["PASS-1"], "purpose": "リサイクル"}),
            &json!({"id": "remote-1", "state": "pending"}),
            "pending",
        )
        .await
        .expect("remote request");
    app.store
        .update_remote_request(
            &actor_a,
            request.id,
            "approved",
            Some("grant-on-peer"),
            &json!({"id": "remote-1", "state": "approved"}),
        )
        .await
        .expect("approved");
    let received = app
        .store
        .create_received_record(
            &actor_a,
            junkan_model::federation::NewReceivedRecord {
                peer_id: peer.id,
                remote_request_id: Some(request.id),
                provider_did: provider_did.clone(),
                record_kind: "passport".to_owned(),
                record_id: "PASS-1".to_owned(),
                record_version: Some(3),
                grant_id: Some("grant-on-peer".to_owned()),
                credential: "eyJhbGciOiJFZERTQSJ9.e30.c2ln".to_owned(),
                credential_id: Some("urn:uuid:cred-1".to_owned()),
                issuer_key_id: format!("{provider_did}#k-01"),
                subject: json!({"recordId": "PASS-1", "recordKind": "passport", "content": {"data": {"lotNumber": "LOT-7"}}}),
                verified_at: time::OffsetDateTime::now_utc(),
            },
        )
        .await
        .expect("received record");
    let negotiation = app
        .store
        .dsp_create_consumer_negotiation(
            &actor_a,
            &format!("{down_url}/dsp"),
            "urn:junkan:offer:x",
            None,
            Some("credential"),
            None,
        )
        .await
        .expect("negotiation");

    // A member of A sees the peers with their keys, and no registration form.
    let mut alice = Browser::new(&app);
    alice.sign_in("alice").await;
    let peers = alice.get("/app/peers").await;
    assert_eq!(peers.status, StatusCode::OK);
    assert!(peers.text.contains(&down_url) && peers.text.contains(&peer_did));
    assert!(peers.text.contains("node-1") && peers.text.contains("有効") && peers.text.contains("失効"));
    assert!(peers.text.contains("連携ノードの登録はノード管理者が行います。"));
    assert!(!peers.text.contains("action=\"/app/peers\""));
    let token = peers.form_token();
    let by_member = alice
        .post(
            "/app/peers",
            &[("csrf", &token), ("base_url", "https://junkan.example.jp")],
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);

    // The peer's catalog: the peer is down, the page says so.
    let catalog = alice.get(&format!("/app/peers/{}/catalog", peer.id)).await;
    assert_eq!(catalog.status, StatusCode::OK, "{}", catalog.text);
    assert!(catalog.text.contains("連携ノードに接続できないか") && catalog.text.contains(&peer_did));
    // A remote request: its own problems next to its fields, then the peer's being down.
    let owner = "0193a000-0000-7000-8000-00000000beef";
    let bad = alice
        .post(
            &format!("/app/peers/{}/requests", peer.id),
            &[
                ("csrf", &token),
                ("offer_id", "0193a000-0000-7000-8000-0000000000ff"),
                ("owner_organization_id", owner),
                ("record_kind", "passport"),
                ("level", "full"),
                ("purpose", ""),
                ("expires_at", "next week"),
                ("max_reads", "many"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text.contains("日付は YYYY-MM-DD") || bad.text.contains("enter the date as YYYY-MM-DD"),
        "{}",
        bad.text
    );
    let good_fields = [
        ("csrf", token.as_str()),
        ("offer_id", "0193a000-0000-7000-8000-0000000000ff"),
        ("owner_organization_id", owner),
        ("record_kind", "passport"),
        ("record_ids", "PASS-2"),
        ("level", "full"),
        ("purpose", "リサイクル"),
        ("expires_at", "2099-12-31"),
    ];
    let sent = alice
        .post(&format!("/app/peers/{}/requests", peer.id), &good_fields)
        .await;
    assert_eq!(sent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sent.text.contains("連携ノードに接続できないか"), "{}", sent.text);
    assert_eq!(
        app.store.list_remote_requests(&actor_a).await.expect("requests").len(),
        1,
        "nothing was kept"
    );

    // Received records: shown with their provenance; the provider is down, so the page says
    // the record could not be verified again, and is not an error page.
    let page = alice.get("/app/received").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for shown in [
        provider_did.as_str(),
        "PASS-1",
        "grant-on-peer",
        "承認",
        "リサイクル",
        "確認できません",
        "一部の提供者のノードに接続できない",
        "取得する（Pull）",
    ] {
        assert!(page.text.contains(shown), "{shown}: {}", page.text);
    }
    let detail = alice.get(&format!("/app/received/{}", received.id)).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert!(
        detail.text.contains("lotNumber") && detail.text.contains("LOT-7") && detail.text.contains("urn:uuid:cred-1")
    );
    assert!(detail.text.contains("クレデンシャルの内容"));
    // The pull: the provider is down, the page says so and nothing is received.
    let pulled = alice
        .post(
            &format!("/app/received/requests/{}/pull", request.id),
            &[("csrf", &token)],
        )
        .await;
    assert!(pulled.text.contains("連携ノードに接続できないか"), "{}", pulled.text);
    assert!(pulled.text.contains("受信データ"), "the page, not an error page");
    let refreshed = alice
        .post(
            &format!("/app/received/requests/{}/refresh", request.id),
            &[("csrf", &token)],
        )
        .await;
    assert!(refreshed.text.contains("連携ノードに接続できないか"));
    let forged = alice
        .post(
            &format!("/app/received/requests/{}/pull", request.id),
            &[("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .list_received_records(&actor_a, None)
            .await
            .expect("records")
            .len(),
        1
    );
    // The Dataspace Protocol's negotiations of A.
    let dataspace = alice.get("/app/dataspace").await;
    assert_eq!(dataspace.status, StatusCode::OK);
    assert!(dataspace.text.contains("申請済み（REQUESTED）") && dataspace.text.contains("urn:junkan:offer:x"));
    assert!(dataspace.text.contains("利用側"));
    // The same pages in English.
    alice.post("/app/language", &[("csrf", &token), ("lang", "en")]).await;
    let page = alice.get("/app/received").await;
    assert!(page.text.contains("<html lang=\"en\">") && page.text.contains("Could not check"));
    assert!(page.text.contains("The peer node cannot be reached"));
    let detail = alice.get(&format!("/app/received/{}", received.id)).await;
    assert!(detail.text.contains("The credential&#39;s claims") || detail.text.contains("The credential's claims"));
    let dataspace = alice.get("/app/dataspace").await;
    assert!(dataspace.text.contains("REQUESTED (申請済み)") && dataspace.text.contains("consumer"));
    let peers = alice.get("/app/peers").await;
    assert!(peers.text.contains("in service") && peers.text.contains("retired"));

    // A member of another organization sees nothing of A's.
    let mut bob = Browser::new(&app);
    bob.sign_in("bob").await;
    let page = bob.get("/app/received").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("PASS-1") && !page.text.contains(&provider_did) && !page.text.contains("リサイクル"));
    assert_eq!(
        bob.get(&format!("/app/received/{}", received.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let bob_token = page.form_token();
    let stolen = bob
        .post(
            &format!("/app/received/requests/{}/pull", request.id),
            &[("csrf", &bob_token)],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    let dataspace = bob.get("/app/dataspace").await;
    assert!(
        !dataspace.text.contains("urn:junkan:offer:x"),
        "{}",
        negotiation.offer_id
    );
    // Anonymous visitors are sent to sign in.
    let mut anonymous = Browser::new(&app);
    for path in ["/app/peers", "/app/received", "/app/dataspace"] {
        assert_eq!(anonymous.get(path).await.status, StatusCode::SEE_OTHER, "{path}");
    }
}

/// Field scopes (項目の範囲) in the web application: the new-request form sends fields (one a
/// line), the request page shows them, the narrowing form is pre-filled with them, a narrowing
/// that adds a field is refused next to the fields box and changes nothing, a narrowing to fewer
/// fields makes a grant whose fields the grants page shows.
#[tokio::test]
async fn access_requests_name_fields_and_the_owner_narrows_them_in_the_inbox() {
    let app = TestApp::new().await;
    user(&app, app.a, "fields-admin", &[Role::OrgAdmin, Role::Member]).await;
    user(&app, app.b, "fields-bob", &[Role::OrgAdmin, Role::Member]).await;
    let created = app
        .post(
            "/api/v1/passports",
            &app.token_a,
            json!({"identifier": "https://id.gs1.org/01/04912345000019/21/WEBFIELDS", "granularity": "item",
                   "profile": "battery", "data": junkan_passport::builtin::example("battery").expect("example")}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let passport = created.body["id"].as_str().expect("id").to_owned();
    let mut bob = Browser::new(&app);
    bob.sign_in("fields-bob").await;
    let form = bob.get("/app/requests/new").await;
    assert!(form.text.contains("項目（1行に1つ）"), "{}", form.text);
    let token = form.form_token();
    let owner = app.a.to_string();
    let sent = bob
        .post(
            "/app/requests/new",
            &[
                ("csrf", token.as_str()),
                ("owner", owner.as_str()),
                ("record_kind", "passport"),
                ("record_ids", passport.as_str()),
                ("level", "legitimate_interest"),
                ("purpose", "dismantling"),
                ("expires_at", "2099-03-31"),
                ("fields", "Circularity\n/Labeling"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let id = request_id_of(sent.header("location"));
    let asked = app.get(&format!("/api/v1/access-requests/{id}"), &app.token_b).await;
    assert_eq!(asked.body["requested"]["fields"], json!(["/Circularity", "/Labeling"]));

    let mut admin = Browser::new(&app);
    admin.sign_in("fields-admin").await;
    let decide = admin.get(&format!("/app/requests/{id}")).await;
    assert!(decide.text.contains("<code>/Circularity</code>"), "{}", decide.text);
    assert!(
        decide.text.contains("/Circularity\n/Labeling"),
        "the narrowing form is pre-filled: {}",
        decide.text
    );
    let admin_token = decide.form_token();
    let narrow_path = format!("/app/requests/{id}/narrow");
    let wider = admin
        .post(
            &narrow_path,
            &[
                ("csrf", admin_token.as_str()),
                ("record_id", passport.as_str()),
                ("level", "legitimate_interest"),
                ("expires_at", "2099-03-31"),
                ("fields", "/Circularity\n/MaterialComposition"),
            ],
        )
        .await;
    assert_eq!(wider.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wider.text);
    assert!(wider.text.contains("id=\"narrow-fields-problem\""), "{}", wider.text);
    assert!(wider.text.contains("項目は 1 行に 1 つ"), "{}", wider.text);
    let still = app.get(&format!("/api/v1/access-requests/{id}"), &app.token_a).await;
    assert_eq!(still.body["state"], "pending", "a refused narrowing changes nothing");
    let narrowed = admin
        .post(
            &narrow_path,
            &[
                ("csrf", admin_token.as_str()),
                ("record_id", passport.as_str()),
                ("level", "legitimate_interest"),
                ("expires_at", "2099-03-31"),
                ("fields", "/Circularity/dismantlingAndRemovalInformation"),
            ],
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::SEE_OTHER, "{}", narrowed.text);
    let decided = app.get(&format!("/api/v1/access-requests/{id}"), &app.token_a).await;
    assert_eq!(
        decided.body["granted"]["fields"],
        json!(["/Circularity/dismantlingAndRemovalInformation"])
    );
    let grants = admin.get("/app/grants").await;
    assert!(
        grants
            .text
            .contains("<code>/Circularity/dismantlingAndRemovalInformation</code>"),
        "{}",
        grants.text
    );
    let switched = admin
        .post(
            "/app/language",
            &[("csrf", admin_token.as_str()), ("lang", "en"), ("next", "/app/grants")],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.text);
    let english = admin.get("/app/grants").await;
    assert!(english.text.contains("Fields: <code>"), "{}", english.text);
}

/// Parts bought on peer nodes (ノード間の調達, `/app/remote-supplies`): a member who writes links
/// the organization's part to a supplier's part on a registered peer through the form (a DID not
/// of that peer and a part that is not the organization's are refused next to their fields,
/// nothing written), sees the link, removes it; another organization sees none of it and cannot
/// remove it; the page is in Japanese and English.
#[tokio::test]
async fn remote_supplies_are_linked_listed_and_removed_through_the_page() {
    let app = TestApp::new().await;
    let writer = user(&app, app.a, "supplies-writer", &[Role::Member]).await;
    user(&app, app.b, "supplies-other", &[Role::OrgAdmin, Role::Member]).await;
    let peer = app
        .store
        .create_peer(
            &Actor::system(),
            "https://peer.invalid",
            "did:web:peer.invalid",
            &json!({"id": "did:web:peer.invalid"}),
        )
        .await
        .expect("peer");
    let actor_a = Actor {
        kind: junkan_model::principal::PrincipalKind::User,
        principal_id: writer.id.to_string(),
        organization_id: Some(app.a),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let plant = app
        .store
        .put_ouranos_plant(
            &actor_a,
            junkan_model::ouranos::PlantWrite {
                plant_id: None,
                operator_id: app.a,
                open_plant_id: "web-supplies-000001".to_owned(),
                plant_name: "第一工場".to_owned(),
                plant_address: "愛知県豊田市1-1".to_owned(),
                global_plant_id: None,
            },
        )
        .await
        .expect("plant");
    let part = app
        .store
        .put_ouranos_part(
            &actor_a,
            junkan_model::ouranos::PartWrite {
                trace_id: None,
                part: junkan_model::ouranos::Part {
                    trace_id: uuid::Uuid::nil(),
                    operator_id: app.a,
                    plant_id: plant.plant_id,
                    parts_name: "CELL-BOUGHT".to_owned(),
                    support_parts_name: None,
                    terminated: false,
                    amount_required: None,
                    amount_required_unit: None,
                    parts_label_name: None,
                    parts_add_info: [None, None, None],
                },
            },
        )
        .await
        .expect("part")
        .trace_id
        .to_string();
    let supplier_part = "0193a000-0000-7000-8000-00000000cafe";
    let supplier_did = "did:web:peer.invalid:organizations:0193a000-0000-7000-8000-00000000beef";
    let peer_id = peer.id.to_string();

    let mut browser = Browser::new(&app);
    browser.sign_in("supplies-writer").await;
    let page = browser.get("/app/remote-supplies").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("ノード間の調達") && page.text.contains("他ノードの部品に結び付けた部品はありません。"));
    assert!(browser
        .get("/app/peers")
        .await
        .text
        .contains("href=\"/app/remote-supplies\""));
    let token = page.form_token();
    // Without the token: refused.
    let forged = browser
        .post(
            "/app/remote-supplies",
            &[
                ("trace_id", part.as_str()),
                ("peer_id", peer_id.as_str()),
                ("supplier_did", supplier_did),
                ("supplier_trace_id", supplier_part),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A DID of another node: next to the field, nothing written.
    let wrong_did = browser
        .post(
            "/app/remote-supplies",
            &[
                ("csrf", token.as_str()),
                ("trace_id", part.as_str()),
                ("peer_id", peer_id.as_str()),
                ("supplier_did", "did:web:elsewhere.invalid:organizations:x"),
                ("supplier_trace_id", supplier_part),
            ],
        )
        .await;
    assert_eq!(wrong_did.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong_did.text);
    assert!(
        wrong_did.text.contains("id=\"supply-did-problem\""),
        "{}",
        wrong_did.text
    );
    assert!(
        wrong_did.text.contains("did:web:elsewhere.invalid"),
        "the values sent are kept"
    );
    // A part that is not the organization's (and a malformed trace id): next to their fields.
    let not_ours = browser
        .post(
            "/app/remote-supplies",
            &[
                ("csrf", token.as_str()),
                ("trace_id", "0193a000-0000-7000-8000-000000000000"),
                ("peer_id", peer_id.as_str()),
                ("supplier_did", supplier_did),
                ("supplier_trace_id", "not-a-uuid"),
            ],
        )
        .await;
    assert_eq!(not_ours.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_ours.text);
    assert!(
        not_ours.text.contains("id=\"supply-supplier-part-problem\""),
        "{}",
        not_ours.text
    );
    let listed = app.get("/api/v1/ouranos-remote-supplies", &app.token_a).await;
    assert_eq!(listed.body["items"], json!([]), "refused forms write nothing");
    let unknown_part = browser
        .post(
            "/app/remote-supplies",
            &[
                ("csrf", token.as_str()),
                ("trace_id", "0193a000-0000-7000-8000-000000000000"),
                ("peer_id", peer_id.as_str()),
                ("supplier_did", supplier_did),
                ("supplier_trace_id", supplier_part),
            ],
        )
        .await;
    assert_eq!(
        unknown_part.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown_part.text
    );
    assert!(
        unknown_part.text.contains("id=\"supply-part-problem\""),
        "{}",
        unknown_part.text
    );

    let linked = browser
        .post(
            "/app/remote-supplies",
            &[
                ("csrf", token.as_str()),
                ("trace_id", part.as_str()),
                ("peer_id", peer_id.as_str()),
                ("supplier_did", supplier_did),
                ("supplier_trace_id", supplier_part),
            ],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.text);
    let shown = browser.get(linked.header("location")).await;
    assert!(shown.text.contains("部品を結び付けました。"), "{}", shown.text);
    assert!(
        shown.text.contains(&part) && shown.text.contains(supplier_did) && shown.text.contains("https://peer.invalid")
    );
    let listed = app.get("/api/v1/ouranos-remote-supplies", &app.token_a).await;
    assert_eq!(
        listed.body["items"][0]["supplier_trace_id"], supplier_part,
        "{}",
        listed.body
    );

    // Another organization sees none of it and cannot remove it.
    let mut other = Browser::new(&app);
    other.sign_in("supplies-other").await;
    let theirs = other.get("/app/remote-supplies").await;
    assert!(!theirs.text.contains(&part), "{}", theirs.text);
    let removal = other
        .post(
            &format!("/app/remote-supplies/{part}/delete"),
            &[("csrf", theirs.form_token().as_str())],
        )
        .await;
    assert_eq!(removal.status, StatusCode::NOT_FOUND);

    // English, then the owner removes the link.
    let switched = browser
        .post(
            "/app/language",
            &[
                ("csrf", token.as_str()),
                ("lang", "en"),
                ("next", "/app/remote-supplies"),
            ],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let english = browser.get("/app/remote-supplies").await;
    assert!(
        english.text.contains("Parts bought on peer nodes") && english.text.contains("Remove the link"),
        "{}",
        english.text
    );
    let removed = browser
        .post(
            &format!("/app/remote-supplies/{part}/delete"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text);
    let listed = app.get("/api/v1/ouranos-remote-supplies", &app.token_a).await;
    assert_eq!(listed.body["items"], json!([]));
}
