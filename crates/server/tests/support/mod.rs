//! A test node: the real router over a fresh SQLite store, two companies A and B, an authority
//! with an auditor, and a node administrator, each with a token obtained through `/auth/token`.

#![allow(dead_code, missing_docs)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use junkan_auth::secret::{digest, generate_secret};
use junkan_model::ids::OrganizationId;
use junkan_model::organization::{CompanySize, CycleRole, NewOrganization, OrganizationType};
use junkan_model::principal::{Actor, NewCredential, Role};
use junkan_server::{router, AppState, Settings};
use junkan_store::{Store, SystemClock};

pub const ISSUER: &str = "http://junkan.test";

pub struct TestApp {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub state: AppState,
    pub a: OrganizationId,
    pub b: OrganizationId,
    pub authority: OrganizationId,
    pub token_a: String,
    pub token_b: String,
    pub token_a_member: String,
    pub token_auditor: String,
    pub token_node_admin: String,
    /// The SQLite database's directory, removed when the app is dropped.
    pub directory: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Open connections keep the files alive until they close; the names go now.
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

pub fn company(name: &str, corporate_number: &str, roles: &[CycleRole]) -> NewOrganization {
    NewOrganization {
        name_ja: format!("{name}株式会社"),
        name_en: format!("{name} Co."),
        organization_type: OrganizationType::Company,
        company_size: Some(CompanySize::Large),
        corporate_number: Some(corporate_number.to_owned()),
        lei: None,
        gs1_company_prefix: None,
        gln: None,
        local_government_code: None,
        prefecture_code: Some("23".to_owned()),
        industries: vec!["batteries".to_owned()],
        roles: roles.to_vec(),
        website: None,
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_clock(Arc::new(SystemClock)).await
    }

    /// A test node whose store reads the time from `clock` (tests of expiry).
    pub async fn with_clock(clock: Arc<dyn junkan_store::Clock>) -> TestApp {
        let directory =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-api-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&directory).expect("temp dir");
        let url = format!("sqlite://{}", directory.join("junkan.db").display());
        let store = junkan_store_sql::open(&url, clock).await.expect("open");
        store.migrate().await.expect("migrate");
        let store: Arc<dyn Store> = Arc::new(store);
        let state = AppState::new(store.clone(), Settings::new(ISSUER))
            .await
            .expect("state");
        let router = router(state.clone());
        let system = Actor::system();
        let a = store
            .create_organization(&system, company("A", "7000012050002", &[CycleRole::Manufacturer]))
            .await
            .expect("A")
            .id;
        let b = store
            .create_organization(&system, company("B", "2010001008774", &[CycleRole::Recycler]))
            .await
            .expect("B")
            .id;
        let mut authority_org = company("監督", "3000012010001", &[]);
        authority_org.organization_type = OrganizationType::GovernmentBody;
        authority_org.company_size = None;
        let authority = store
            .create_organization(&system, authority_org)
            .await
            .expect("authority")
            .id;
        let mut app = TestApp {
            router,
            store,
            state,
            a,
            b,
            authority,
            token_a: String::new(),
            token_b: String::new(),
            token_a_member: String::new(),
            token_auditor: String::new(),
            token_node_admin: String::new(),
            directory,
        };
        app.token_a = app.client_token(a, &[Role::OrgAdmin, Role::Member]).await;
        app.token_a_member = app.client_token(a, &[Role::Member]).await;
        app.token_b = app.client_token(b, &[Role::OrgAdmin, Role::Member]).await;
        app.token_auditor = app.client_token(authority, &[Role::Auditor]).await;
        app.token_node_admin = app.client_token(authority, &[Role::NodeAdmin]).await;
        app
    }

    /// Creates a client with `roles` and gets a token for it through `/auth/token`.
    pub async fn client_token(&self, organization: OrganizationId, roles: &[Role]) -> String {
        let (client_id, secret) = self.client(organization, roles).await;
        let reply = self
            .send(
                Request::post("/auth/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
                    )))
                    .expect("request"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().expect("token").to_owned()
    }

    /// A token for an existing client.
    pub async fn client_token_with(&self, client_id: &str, secret: &str) -> String {
        let reply = self
            .send(
                Request::post("/auth/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
                    )))
                    .expect("request"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn client(&self, organization: OrganizationId, roles: &[Role]) -> (String, String) {
        let secret = generate_secret();
        let new = NewCredential {
            name: "test".to_owned(),
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

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
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

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None).await
    }

    /// GET with extra request headers (Accept, GS1-EPC-Format, ...).
    pub async fn get_with(&self, path: &str, token: &str, headers: &[(&str, &str)]) -> Reply {
        let mut builder = Request::builder()
            .method("GET")
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::empty()).expect("request")).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("POST", path, Some(token), Some(body)).await
    }

    /// Creates a facility of A through the API.
    pub async fn facility_of_a(&self, visibility: &str) -> String {
        let reply = self
            .post(
                "/api/v1/facilities",
                &self.token_a,
                json!({
                    "name_ja": "豊田工場", "name_en": "Toyota plant", "facility_type": "plant",
                    "local_government_code": "232114", "address": "愛知県豊田市1-1", "visibility": visibility
                }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().expect("id").to_owned()
    }
}

/// The paths of every violation in a problem document.
pub fn error_paths(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| error["path"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}
