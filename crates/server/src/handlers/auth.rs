//! Authentication: OAuth 2.0 client credentials (`/auth/token`), discovery and JWKS, password
//! sign-in with a session cookie and CSRF token for the web interface, and `/api/v1/me`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use junkan_auth::password::{dummy_hash, verify_password};
use junkan_auth::secret::{constant_time_eq, digest, generate_secret};
use junkan_auth::AccessClaims;
use junkan_model::ids::{ClientId, OrganizationId};
use junkan_model::organization::Organization;
use junkan_model::principal::{PrincipalKind, Role, User};
use junkan_store::{SessionRecord, UserLogin};

use crate::error::{ApiError, ApiResult};
use crate::extract::{cookie, parse_json, AuthMethod, Caller, SESSION_COOKIE};
use crate::AppState;

/// An OAuth 2.0 error response (RFC 6749 section 5.2), the standard's own shape on its route.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"junkan\""),
        );
    }
    response
}

/// A successful token response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT access token (EdDSA).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Granted scope: the client's roles, space-separated.
    pub scope: String,
}

/// Issues an access token for an OAuth client (client credentials grant, RFC 6749 section 4.4).
/// Credentials come in HTTP Basic or in the form body; the body is form-encoded or JSON.
#[utoipa::path(post, path = "/auth/token", tag = "auth",
    request_body(content_type = "application/x-www-form-urlencoded", description = "grant_type=client_credentials, optionally client_id and client_secret"),
    responses(
        (status = 200, description = "Access token", body = TokenResponse),
        (status = 400, description = "RFC 6749 error, e.g. unsupported_grant_type"),
        (status = 401, description = "RFC 6749 invalid_client"),
    ))]
pub async fn issue_token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match token_request_fields(&headers, &body) {
        Ok(form) => form,
        Err(description) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &description),
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            )
        }
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
    }
    let basic = basic_credentials(&headers);
    let (client_id, client_secret) = match (basic, form.get("client_id"), form.get("client_secret")) {
        (Some(Ok(pair)), None, None) => pair,
        (Some(Err(())), _, _) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "the Basic credentials are malformed",
            )
        }
        (Some(Ok(_)), _, _) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "send client credentials either in Basic or in the body, not both",
            )
        }
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        (None, _, _) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication is required",
            )
        }
    };
    let client = match client_id.parse::<ClientId>() {
        Ok(id) => match state.store.client_login(id).await {
            Ok(client) => client,
            Err(error) => return ApiError::from(error).into_response(),
        },
        Err(_) => None,
    };
    let secret_digest = digest(&client_secret);
    let Some((client, _)) =
        client.filter(|(client, hash)| client.revoked_at.is_none() && constant_time_eq(hash, &secret_digest))
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    };
    let roles = client.roles.clone();
    let scope = roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(" ");
    let token = issue(
        &state,
        PrincipalKind::Client,
        &client.id.to_string(),
        client.organization_id,
        roles,
        &scope,
    );
    let mut response = Json(TokenResponse {
        access_token: token,
        token_type: "Bearer".to_owned(),
        expires_in: state.settings.token_lifetime.as_secs(),
        scope,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn issue(
    state: &AppState,
    kind: PrincipalKind,
    subject: &str,
    organization: OrganizationId,
    roles: Vec<Role>,
    scope: &str,
) -> String {
    let now = state.store.now().unix_timestamp();
    let lifetime = i64::try_from(state.settings.token_lifetime.as_secs()).unwrap_or(3600);
    state.keys().sign(&AccessClaims {
        iss: state.settings.issuer.clone(),
        sub: subject.to_owned(),
        aud: state.settings.issuer.clone(),
        exp: now + lifetime,
        nbf: now,
        iat: now,
        jti: uuid::Uuid::new_v4().to_string(),
        principal_kind: kind,
        org: organization,
        roles,
        scope: scope.to_owned(),
    })
}

fn token_request_fields(headers: &HeaderMap, body: &[u8]) -> Result<std::collections::HashMap<String, String>, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        let value: std::collections::HashMap<String, Value> =
            serde_json::from_slice(body).map_err(|error| format!("the body is not a JSON object: {error}"))?;
        Ok(value
            .into_iter()
            .filter_map(|(key, value)| value.as_str().map(|text| (key, text.to_owned())))
            .collect())
    } else {
        serde_urlencoded::from_bytes(body).map_err(|error| format!("the body is not form-encoded: {error}"))
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    Some((|| {
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).map_err(|_| ())?).map_err(|_| ())?;
        let (id, secret) = decoded.split_once(':').ok_or(())?;
        // RFC 6749 section 2.3.1: both parts are form-encoded before Basic encoding.
        let unescape = |text: &str| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={text}"))
                .ok()
                .and_then(|mut pairs| pairs.pop())
                .map(|(_, value)| value)
        };
        Ok((unescape(id).ok_or(())?, unescape(secret).ok_or(())?))
    })())
}

/// OpenID Provider metadata for the token endpoint (discovery, for PACT and other partners).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "auth", responses((status = 200, description = "Discovery document")))]
pub async fn openid_configuration(State(state): State<AppState>) -> Json<Value> {
    let issuer = &state.settings.issuer;
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/auth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_signing_alg_values_supported": ["EdDSA"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "scopes_supported": Role::ALL.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
    }))
}

/// The public keys that verify this node's tokens.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth", responses((status = 200, description = "JSON Web Key Set")))]
pub async fn jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.keys().jwks())
}

/// A password sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Sign-in name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The result of signing in.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// The signed-in user.
    pub user: User,
    /// Send this in `X-CSRF-Token` on every unsafe request made with the session cookie.
    pub csrf_token: String,
    /// When the session ends.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
}

/// Signs a user in with a password; sets the `junkan_session` cookie (HttpOnly, SameSite=Lax).
/// Accepts JSON or a form.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in", body = LoginResponse),
    (status = 401, description = "Wrong name or password", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed sign-ins for this name (Retry-After)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let request: LoginRequest = if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(&body)
            .map_err(|error| ApiError::malformed(format!("the form is malformed: {error}")))?
    } else {
        let value = parse_json(&body)?;
        state.schemas.check("LoginRequest", &value)?;
        serde_json::from_value(value).map_err(|error| ApiError::malformed(error.to_string()))?
    };
    let Some(login) = check_password(&state, &request.username, &request.password).await? else {
        return Err(ApiError::unauthorized("wrong user name or password"));
    };
    let (session_value, session) = start_session(&state, &login.user).await?;
    let cookie = session_cookie(&state, &session_value);
    let (csrf_token, expires_at) = (session.csrf_token, session.expires_at);
    let mut response = Json(LoginResponse {
        user: login.user,
        csrf_token,
        expires_at,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|error| ApiError::internal(&error))?,
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The account of `username` when `password` is its password; `None` otherwise. A name without
/// an account is checked against a dummy hash, so that timing does not reveal which names exist.
/// Password sign-in of the API and of the web interface both come here.
///
/// A name that failed too often is refused with 429 before its password is checked
/// ([`crate::sign_in_throttle`]).
pub async fn check_password(state: &AppState, username: &str, password: &str) -> ApiResult<Option<UserLogin>> {
    let now = state.store.now();
    state
        .sign_in_throttle
        .check(username, now)
        .map_err(ApiError::too_many_attempts)?;
    let login = state.store.user_login(username).await?;
    let hash = login
        .as_ref()
        .map_or(dummy_hash(), |login| login.password_hash.as_str());
    let password_matches = verify_password(password, hash);
    let login = login.filter(|_| password_matches);
    if login.is_some() {
        state.sign_in_throttle.succeeded(username);
    } else {
        state.sign_in_throttle.failed(username, now);
    }
    Ok(login)
}

/// Starts a browser session of `user` for the configured lifetime: the cookie value (only its
/// digest is stored) and the stored session with its CSRF token.
pub async fn start_session(state: &AppState, user: &User) -> ApiResult<(String, SessionRecord)> {
    let session_value = generate_secret();
    let lifetime = time::Duration::try_from(state.settings.session_lifetime).unwrap_or(time::Duration::hours(8));
    let session = SessionRecord {
        id_hash: digest(&session_value),
        user_id: user.id,
        csrf_token: generate_secret(),
        expires_at: state.store.now() + lifetime,
    };
    state.store.create_session(&session).await?;
    Ok((session_value, session))
}

/// The `Set-Cookie` value of a new session: HttpOnly, SameSite=Lax, `Secure` when the node is
/// served over TLS, kept as long as the session lives.
pub fn session_cookie(state: &AppState, session_value: &str) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={session_value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        state.settings.session_lifetime.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn ended_session_cookie(secure_cookies: bool) -> String {
    let secure = if secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// Ends the web session (needs the CSRF token like every unsafe cookie request).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> ApiResult<Response> {
    if caller.method == AuthMethod::Session {
        if let Some(session) = cookie(&headers, SESSION_COOKIE) {
            state.store.delete_session(&digest(&session)).await?;
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&ended_session_cookie(state.settings.secure_cookies))
            .map_err(|error| ApiError::internal(&error))?,
    );
    Ok(response)
}

/// The caller's identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Kind of principal.
    pub principal_kind: PrincipalKind,
    /// Principal id.
    pub principal_id: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// The organization the caller acts for.
    pub organization: Organization,
}

/// Who the caller is: principal, roles and organization.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = []), ("cookie" = [])), responses(
    (status = 200, description = "The caller", body = Me),
    (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn get_me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let actor = caller.signed_in()?;
    let organization_id = actor
        .organization_id
        .ok_or_else(|| ApiError::unauthorized("the credentials name no organization"))?;
    let organization = state.store.get_organization(organization_id).await?;
    Ok(Json(Me {
        principal_kind: actor.kind,
        principal_id: actor.principal_id.clone(),
        roles: actor.roles.clone(),
        organization,
    }))
}
