//! HTTP tests of the junkan API through the real router (no socket).

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use junkan_auth::{AccessClaims, Keyring};
use junkan_model::principal::{PrincipalKind, Role};
use support::{error_paths, TestApp, ISSUER};

#[tokio::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::new().await;
    let reply = app.call("GET", "/healthz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers.contains_key("x-request-id"));
    let reply = app.call("GET", "/readyz", None, None).await;
    assert_eq!(
        (reply.status, reply.body["backend"].as_str()),
        (StatusCode::OK, Some("sqlite"))
    );
    let reply = app
        .send(
            Request::get("/healthz")
                .header("x-request-id", "trace-me")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(reply.headers["x-request-id"], "trace-me");
    let missing = app.call("GET", "/api/v1/nothing-here", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.headers[header::CONTENT_TYPE], "application/problem+json");
    let wrong_method = app.call("DELETE", "/api/v1/organizations", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["type"], "urn:junkan:problem:method-not-allowed");
}

#[tokio::test]
async fn me_names_the_caller_and_its_organization() {
    let app = TestApp::new().await;
    let reply = app.get("/api/v1/me", &app.token_a).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["organization"]["id"], app.a.to_string());
    assert_eq!(reply.body["principal_kind"], "client");
    assert_eq!(reply.body["roles"], json!(["org_admin", "member"]));
    let anonymous = app.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers.contains_key(header::WWW_AUTHENTICATE));
}

#[tokio::test]
async fn bad_input_is_refused_precisely_and_writes_nothing() {
    let app = TestApp::new().await;
    let count = |body: &Value| body["items"].as_array().map(Vec::len).unwrap_or(0);
    let before = count(
        &app.call("GET", "/api/v1/organizations?limit=500", None, None)
            .await
            .body,
    );

    // Malformed JSON.
    let reply = app
        .send(
            Request::post("/api/v1/organizations")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token_node_admin))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"name_ja\": "))
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(
        reply.body["detail"].as_str().expect("detail").contains("line 1"),
        "{}",
        reply.body
    );

    // Wrong types, missing fields, unknown enum values, unknown fields: all reported at once.
    let reply = app
        .post(
            "/api/v1/organizations",
            &app.token_node_admin,
            json!({"name_ja": 7, "organization_type": "bank", "colour": "red", "roles": ["smelter"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let mut paths = error_paths(&reply.body);
    paths.sort();
    assert_eq!(
        paths,
        vec!["/colour", "/name_en", "/name_ja", "/organization_type", "/roles/0"]
    );

    // Domain rules: corporate number check digit, company size, prefecture.
    let reply = app
        .post(
            "/api/v1/organizations",
            &app.token_node_admin,
            json!({
                "name_ja": "株式会社X", "name_en": "X", "organization_type": "company",
                "corporate_number": "7000012050003", "prefecture_code": "48", "gln": "4512345000012"
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(
        error_paths(&reply.body),
        vec!["/company_size", "/corporate_number", "/gln", "/prefecture_code"]
    );

    // Oversize body.
    let huge = json!({"name_ja": "x".repeat(11 * 1024 * 1024)});
    let reply = app.post("/api/v1/organizations", &app.token_node_admin, huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["type"], "urn:junkan:problem:too-large");

    // Wrong media type.
    let reply = app
        .send(
            Request::post("/api/v1/organizations")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token_node_admin))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("{}"))
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Bad query parameters.
    let reply = app
        .call(
            "GET",
            "/api/v1/organizations?limit=0&organization_type=bank&colour=red&cursor=%%%",
            None,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let mut paths = error_paths(&reply.body);
    paths.sort();
    assert_eq!(paths, vec!["?colour", "?cursor", "?limit", "?organization_type"]);

    // Duplicate corporate number.
    let reply = app
        .post("/api/v1/organizations", &app.token_node_admin, json!({
            "name_ja": "重複", "name_en": "Dup", "organization_type": "company", "company_size": "small", "corporate_number": "7000012050002"
        }))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(error_paths(&reply.body), vec!["/corporate_number"]);

    // Facility with a bad plant id and an unknown municipality.
    let reply = app
        .post("/api/v1/facilities", &app.token_a, json!({
            "name_ja": "工場", "name_en": "Plant", "facility_type": "plant", "ouranos_plant_id": "PLANT-ABC", "local_government_code": "131017"
        }))
        .await;
    assert_eq!(
        error_paths(&reply.body),
        vec!["/ouranos_plant_id", "/local_government_code"]
    );

    let after = count(
        &app.call("GET", "/api/v1/organizations?limit=500", None, None)
            .await
            .body,
    );
    assert_eq!(before, after, "no rejected request wrote anything");
    assert_eq!(count(&app.get("/api/v1/facilities", &app.token_a).await.body), 0);

    // A valid request goes through.
    let reply = app
        .post("/api/v1/organizations", &app.token_node_admin, json!({
            "name_ja": "千代田区", "name_en": "Chiyoda City", "organization_type": "municipality", "local_government_code": "131016"
        }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["prefecture_code"], "13");
}

#[tokio::test]
async fn expired_forged_and_malformed_tokens_are_refused() {
    let app = TestApp::new().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |exp: i64, issuer: &str| AccessClaims {
        iss: issuer.to_owned(),
        sub: "someone".to_owned(),
        aud: issuer.to_owned(),
        exp,
        nbf: now - 7200,
        iat: now - 7200,
        jti: "x".to_owned(),
        principal_kind: PrincipalKind::User,
        org: app.a,
        roles: vec![Role::OrgAdmin, Role::Auditor],
        scope: String::new(),
    };
    let (kid, secret) = Keyring::generate_secret();
    let foreign = Keyring::from_secrets([(kid.as_str(), secret.as_str())]).expect("key");
    let cases = [
        ("expired", app.state.keys().sign(&claims(now - 3600, ISSUER))),
        ("forged by another key", foreign.sign(&claims(now + 3600, ISSUER))),
        (
            "for another audience",
            app.state.keys().sign(&claims(now + 3600, "https://elsewhere")),
        ),
        ("garbage", "not.a.token".to_owned()),
        ("unknown API key", "jk_nothing".to_owned()),
    ];
    for (what, token) in cases {
        let reply = app.get("/api/v1/me", &token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {}", reply.body);
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{what}"
        );
    }
    let tampered = {
        let token = app.state.keys().sign(&claims(now + 3600, ISSUER));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        parts.join(".")
    };
    assert_eq!(app.get("/api/v1/me", &tampered).await.status, StatusCode::UNAUTHORIZED);
    let basic = app
        .send(
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, "Basic Zm9vOmJhcg==")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_endpoint_speaks_oauth() {
    let app = TestApp::new().await;
    let (client_id, secret) = app.client(app.a, &[Role::Member]).await;
    let form = |body: String| {
        Request::post("/auth/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
    };
    let basic = base64_basic(&client_id, &secret);
    let anonymous = app
        .send(form("grant_type=client_credentials".to_owned()).expect("request"))
        .await;
    assert_eq!(
        (anonymous.status, anonymous.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let ok = app
        .send(
            Request::post("/auth/token")
                .header(header::AUTHORIZATION, basic.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("grant_type=client_credentials"))
                .expect("request"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(ok.body["token_type"], "Bearer");
    let wrong_secret = app
        .send(
            form(format!(
                "grant_type=client_credentials&client_id={client_id}&client_secret=nope"
            ))
            .expect("request"),
        )
        .await;
    assert_eq!(wrong_secret.body["error"], "invalid_client");
    let wrong_grant = app
        .send(
            form(format!(
                "grant_type=password&client_id={client_id}&client_secret={secret}"
            ))
            .expect("request"),
        )
        .await;
    assert_eq!(
        (wrong_grant.status, wrong_grant.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );

    // Revoking the client stops its live tokens at once.
    let token = ok.body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let revoked = app
        .post(&format!("/api/v1/clients/{client_id}/revoke"), &app.token_a, json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let again = app
        .send(
            form(format!(
                "grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
            ))
            .expect("request"),
        )
        .await;
    assert_eq!(again.body["error"], "invalid_client");

    let discovery = app.call("GET", "/.well-known/openid-configuration", None, None).await;
    assert_eq!(discovery.body["token_endpoint"], format!("{ISSUER}/auth/token"));
    let jwks = app.call("GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks.body["keys"][0]["kty"], "OKP");
}

fn base64_basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

#[tokio::test]
async fn api_keys_authenticate_scripts_until_revoked() {
    let app = TestApp::new().await;
    let created = app
        .post(
            &format!("/api/v1/organizations/{}/api-keys", app.a),
            &app.token_a,
            json!({"name": "nightly export"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let key = created.body["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("jk_"));
    let me = app.get("/api/v1/me", &key).await;
    assert_eq!(
        (me.status, me.body["principal_kind"].as_str()),
        (StatusCode::OK, Some("api_key"))
    );
    let listed = app
        .get(&format!("/api/v1/organizations/{}/api-keys", app.a), &app.token_a)
        .await;
    assert!(
        listed.body.to_string().find(&key).is_none(),
        "the key itself is never listed"
    );
    let id = created.body["api_key"]["id"].as_str().expect("id");
    assert_eq!(
        app.post(&format!("/api/v1/api-keys/{id}/revoke"), &app.token_b, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("/api/v1/api-keys/{id}/revoke"), &app.token_a, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/me", &key).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_sign_in_uses_a_session_cookie_with_csrf_protection() {
    let app = TestApp::new().await;
    let created = app
        .post(
            &format!("/api/v1/organizations/{}/users", app.a),
            &app.token_a,
            json!({"username": "yamada", "display_name": "山田", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.body.get("password").is_none() && created.body.get("password_hash").is_none());
    let short = app
        .post(
            &format!("/api/v1/organizations/{}/users", app.a),
            &app.token_a,
            json!({"username": "x!", "display_name": "x", "password": "short"}),
        )
        .await;
    assert_eq!(error_paths(&short.body), vec!["/username", "/password"]);

    let wrong = app
        .call(
            "POST",
            "/auth/login",
            None,
            Some(json!({"username": "yamada", "password": "wrong password!"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let login = app
        .send(
            Request::post("/auth/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("username=yamada&password=correct+horse+battery"))
                .expect("request"),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let set_cookie = login.headers[header::SET_COOKIE].to_str().expect("ascii").to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let cookie = set_cookie.split(';').next().expect("pair").to_owned();
    let csrf = login.body["csrf_token"].as_str().expect("csrf").to_owned();
    let with_cookie = |method: &str, uri: &str, csrf: Option<&str>, body: Option<Value>| {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, cookie.clone());
        if let Some(csrf) = csrf {
            builder = builder.header("x-csrf-token", csrf);
        }
        match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request")
    };
    let me = app.send(with_cookie("GET", "/api/v1/me", None, None)).await;
    assert_eq!(
        (me.status, me.body["principal_kind"].as_str()),
        (StatusCode::OK, Some("user"))
    );
    let facility = json!({"name_ja": "工場", "name_en": "Plant", "facility_type": "plant"});
    let no_csrf = app
        .send(with_cookie("POST", "/api/v1/facilities", None, Some(facility.clone())))
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let bad_csrf = app
        .send(with_cookie(
            "POST",
            "/api/v1/facilities",
            Some("guess"),
            Some(facility.clone()),
        ))
        .await;
    assert_eq!(bad_csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/facilities", &app.token_a).await.body["items"],
        json!([])
    );
    let with_csrf = app
        .send(with_cookie("POST", "/api/v1/facilities", Some(&csrf), Some(facility)))
        .await;
    assert_eq!(with_csrf.status, StatusCode::CREATED, "{}", with_csrf.body);
    let logout = app.send(with_cookie("POST", "/auth/logout", Some(&csrf), None)).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(with_cookie("GET", "/api/v1/me", None, None)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn lists_are_cursor_paged_with_link_headers() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        app.facility_of_a("restricted").await;
    }
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/facilities?limit=2&facility_type=plant".to_owned());
    while let Some(uri) = next.take() {
        let reply = app.get(&uri, &app.token_a).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        for item in reply.body["items"].as_array().expect("items") {
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        if let Some(link) = reply.headers.get(header::LINK) {
            let link = link.to_str().expect("ascii");
            assert!(
                link.ends_with("; rel=\"next\"") && link.contains("facility_type=plant"),
                "{link}"
            );
            next = Some(link[1..link.find('>').expect("bracket")].to_owned());
            assert!(reply.body["next_cursor"].is_string());
        }
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn reference_data_and_industries() {
    let app = TestApp::new().await;
    let vocabulary = app.call("GET", "/voc/junkan-cbv.jsonld", None, None).await;
    assert_eq!(vocabulary.headers[header::CONTENT_TYPE], "application/ld+json");
    assert!(vocabulary.body.to_string().contains("マテリアルリサイクル"));
    let context = app.call("GET", "/voc/junkan-cbv-context.jsonld", None, None).await;
    assert_eq!(context.body["@context"]["jkcbv"], "urn:junkan:cbv:");
    let prefectures = app.call("GET", "/api/v1/prefectures", None, None).await;
    assert_eq!(prefectures.body.as_array().map(Vec::len), Some(47));
    let tokyo = app
        .call("GET", "/api/v1/municipalities?prefecture=13", None, None)
        .await;
    assert!(tokyo
        .body
        .as_array()
        .expect("list")
        .iter()
        .any(|m| m["name_ja"] == "千代田区"));
    assert_eq!(
        app.call("GET", "/api/v1/municipalities?prefecture=99", None, None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let industry = json!({"code": "solar_panels", "name_ja": "太陽光パネル", "name_en": "Solar panels"});
    assert_eq!(
        app.post("/api/v1/industries", &app.token_a, industry.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/industries", &app.token_node_admin, industry)
            .await
            .status,
        StatusCode::CREATED
    );
    let listed = app.call("GET", "/api/v1/industries", None, None).await;
    assert!(listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .any(|i| i["code"] == "solar_panels"));
}

#[test]
fn openapi_document_is_current() {
    let document = serde_json::to_string_pretty(&junkan_server::openapi::document()).expect("serializes");
    expect_test::expect_file!["../../../docs/openapi.json"].assert_eq(&format!("{document}\n"));
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_name_before_its_password_is_checked() {
    let clock = junkan_store::ManualClock::new(time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid"));
    let app = TestApp::with_clock(clock.clone()).await;
    let created = app
        .post(
            &format!("/api/v1/organizations/{}/users", app.a),
            &app.token_a,
            json!({"username": "suzuki", "display_name": "鈴木", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let attempt = |password: &'static str| {
        app.call(
            "POST",
            "/auth/login",
            None,
            Some(json!({"username": "suzuki", "password": password})),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password!").await.status, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused, with Retry-After, before it is checked.
    let locked = attempt("correct horse battery").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
    assert_eq!(locked.headers["retry-after"], "30");
    assert_eq!(locked.body["type"], "urn:junkan:problem:too-many-attempts");
    // A name without an account is throttled the same way (nothing tells them apart).
    for _ in 0..5 {
        let reply = app
            .call(
                "POST",
                "/auth/login",
                None,
                Some(json!({"username": "nobody", "password": "x1234567"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let nobody = app
        .call(
            "POST",
            "/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "x1234567"})),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::TOO_MANY_REQUESTS);
    // After the lock, the right password signs in and clears the failures.
    clock.advance(time::Duration::seconds(31));
    let signed_in = attempt("correct horse battery").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(attempt("wrong password!").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("correct horse battery").await.status, StatusCode::OK);
}
