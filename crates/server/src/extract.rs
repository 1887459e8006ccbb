//! Request extractors: who is calling ([`Caller`]), a validated JSON body ([`Valid`]) and query
//! parameters that report every problem at once ([`QueryMap`]).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use junkan_auth::secret::{constant_time_eq, digest};
use junkan_model::page::{PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_model::{Violation, Violations};

use crate::error::ApiError;
use crate::AppState;

/// Name of the session cookie of the web interface.
pub const SESSION_COOKIE: &str = "junkan_session";
/// Header carrying the CSRF token on unsafe requests authenticated by the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Header carrying why the caller reads, recorded in the audit log.
pub const PURPOSE_HEADER: &str = "junkan-purpose";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Bearer JWT from `/auth/token`.
    Token,
    /// Bearer API key.
    ApiKey,
    /// Session cookie of the web interface.
    Session,
    /// Nothing.
    Anonymous,
    /// An RFC 9421 signature of a peer node's organization (federation routes only).
    Signature,
}

/// The authenticated caller of a request; anonymous when no credentials were sent. Invalid
/// credentials are refused with 401 rather than treated as anonymous, except the cookie of a
/// session that has ended on a read (GET, HEAD, OPTIONS): browsers keep such cookies, and the
/// public may read what it may.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The actor handed to the store.
    pub actor: Actor,
    /// How it authenticated.
    pub method: AuthMethod,
}

impl Caller {
    /// The actor, or 401 when anonymous.
    pub fn signed_in(&self) -> Result<&Actor, ApiError> {
        if self.method == AuthMethod::Anonymous {
            Err(ApiError::unauthorized("sign in or send a bearer token"))
        } else {
            Ok(&self.actor)
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let (mut actor, method) = authenticate(parts, state).await?;
        actor.purpose = header_text(&parts.headers, PURPOSE_HEADER).map(|purpose| purpose.chars().take(200).collect());
        actor.request_id = header_text(&parts.headers, "x-request-id");
        Ok(Caller { actor, method })
    }
}

/// A header's value as text; UTF-8 is accepted (e.g. a purpose written in Japanese).
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| String::from_utf8(value.as_bytes().to_vec()).ok())
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<(Actor, AuthMethod), ApiError> {
    if let Some(authorization) = header_text(&parts.headers, header::AUTHORIZATION.as_str()) {
        let Some(credential) = authorization.strip_prefix("Bearer ").map(str::trim) else {
            return Err(ApiError::unauthorized(
                "the Authorization header must be 'Bearer <token>'",
            ));
        };
        if credential.starts_with("jk_") {
            return api_key_actor(state, credential)
                .await
                .map(|actor| (actor, AuthMethod::ApiKey));
        }
        return token_actor(state, credential)
            .await
            .map(|actor| (actor, AuthMethod::Token));
    }
    if let Some(session) = cookie(&parts.headers, SESSION_COOKIE) {
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let Some((record, user)) = state.store.session(&digest(&session)).await? else {
            // A browser keeps the cookie of a session that has ended: it reads what the public
            // may (a consumer scanning a QR code gets the page, not a 401), and a write that
            // relied on the session is refused.
            if unsafe_method {
                return Err(ApiError::unauthorized("the session has ended; sign in again"));
            }
            return Ok((Actor::anonymous(), AuthMethod::Anonymous));
        };
        if unsafe_method {
            let sent = header_text(&parts.headers, CSRF_HEADER).unwrap_or_default();
            if !constant_time_eq(&sent, &record.csrf_token) {
                return Err(ApiError::forbidden(format!(
                    "requests signed in by cookie must send the session's CSRF token in {CSRF_HEADER}"
                )));
            }
        }
        let actor = Actor {
            kind: PrincipalKind::User,
            principal_id: user.id.to_string(),
            organization_id: Some(user.organization_id),
            roles: user.roles,
            purpose: None,
            request_id: None,
            grant: None,
        };
        return Ok((actor, AuthMethod::Session));
    }
    Ok((Actor::anonymous(), AuthMethod::Anonymous))
}

async fn api_key_actor(state: &AppState, key: &str) -> Result<Actor, ApiError> {
    let Some(api_key) = state.store.api_key_login(&digest(key)).await? else {
        return Err(ApiError::unauthorized("unknown API key"));
    };
    let now = state.store.now();
    if api_key.revoked_at.is_some() || api_key.expires_at.is_some_and(|expires_at| expires_at <= now) {
        return Err(ApiError::unauthorized("the API key has been revoked or has expired"));
    }
    Ok(Actor {
        kind: PrincipalKind::ApiKey,
        principal_id: api_key.id.to_string(),
        organization_id: Some(api_key.organization_id),
        roles: api_key.roles,
        purpose: None,
        request_id: None,
        grant: None,
    })
}

async fn token_actor(state: &AppState, token: &str) -> Result<Actor, ApiError> {
    verified_token_actor(state, token)
        .await
        .map_err(|problem| match problem {
            TokenProblem::Expired => ApiError::unauthorized(junkan_auth::TokenError::Expired.to_string()),
            TokenProblem::Invalid(message) => ApiError::unauthorized(message),
            TokenProblem::Store(error) => ApiError::from(error),
        })
}

/// Why a bearer access token was refused, for routes that answer in a standard's own error shape
/// (PACT tells an expired token from others).
#[derive(Debug)]
pub enum TokenProblem {
    /// Valid once, expired now.
    Expired,
    /// Forged, malformed, for another node, or of a revoked client.
    Invalid(String),
    /// The store failed while checking the client.
    Store(junkan_store::StoreError),
}

/// The actor of a bearer access token issued by `/auth/token`.
pub async fn verified_token_actor(state: &AppState, token: &str) -> Result<Actor, TokenProblem> {
    let claims = match state.keys().verify(token, &state.settings.issuer, state.store.now()) {
        Ok(claims) => claims,
        Err(junkan_auth::TokenError::Expired) => return Err(TokenProblem::Expired),
        Err(error) => return Err(TokenProblem::Invalid(error.to_string())),
    };
    // A revoked client's tokens stop working at once, not when they expire.
    if claims.principal_kind == PrincipalKind::Client {
        let id = claims
            .sub
            .parse()
            .map_err(|_| TokenProblem::Invalid("the token names an unknown client".to_owned()))?;
        match state.store.client_login(id).await.map_err(TokenProblem::Store)? {
            Some((client, _)) if client.revoked_at.is_none() => {}
            _ => {
                return Err(TokenProblem::Invalid(
                    "the client of this token has been revoked".to_owned(),
                ))
            }
        }
    }
    Ok(Actor {
        kind: claims.principal_kind,
        principal_id: claims.sub,
        organization_id: Some(claims.org),
        roles: claims.roles,
        purpose: None,
        request_id: None,
        grant: None,
    })
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A JSON body checked against the JSON Schema of `T` (generated from the Rust type, the same one
/// the OpenAPI document shows), so that every violation is reported at once with its JSON
/// pointer, then deserialized.
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<T: DeserializeOwned + ToSchema> FromRequest<AppState> for Valid<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Valid<T>, ApiError> {
        valid_json(request, state).await.map(|(valid, _)| Valid(valid))
    }
}

/// [`Valid`] that also keeps the body's JSON as sent (e.g. to forward it to a peer node).
#[derive(Debug)]
pub struct ValidValue<T>(pub T, pub serde_json::Value);

impl<T: DeserializeOwned + ToSchema> FromRequest<AppState> for ValidValue<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<ValidValue<T>, ApiError> {
        valid_json(request, state)
            .await
            .map(|(valid, value)| ValidValue(valid, value))
    }
}

async fn valid_json<T: DeserializeOwned + ToSchema>(
    request: Request,
    state: &AppState,
) -> Result<(T, serde_json::Value), ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| {
            let media_type = media_type.trim().to_ascii_lowercase();
            media_type == "application/json" || media_type.ends_with("+json")
        });
    if !is_json {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(state.settings.body_limit)
        } else {
            ApiError::malformed(rejection.body_text())
        }
    })?;
    let value = parse_json(&bytes)?;
    state.schemas.check(&T::name(), &value)?;
    // The schema check above leaves only errors it cannot express (e.g. date formats).
    let kept = value.clone();
    serde_path_to_error::deserialize(value)
        .map(|valid| (valid, kept))
        .map_err(|error| {
            let path = error
                .path()
                .iter()
                .map(|segment| format!("/{segment}"))
                .collect::<String>();
            ApiError::invalid(vec![Violation::new(path, error.into_inner().to_string())])
        })
}

/// A request body that may be left out: without a body (no `Content-Type`, no content) it is
/// `T::default()`; with one, it is read and checked exactly as [`Valid`] reads it.
pub struct ValidOrDefault<T>(pub T);

impl<T: DeserializeOwned + ToSchema + Default> FromRequest<AppState> for ValidOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<ValidOrDefault<T>, ApiError> {
        let no_content_type = request.headers().get(header::CONTENT_TYPE).is_none();
        let no_content = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_none_or(|length| length.trim() == "0");
        if no_content_type && no_content {
            return Ok(ValidOrDefault(T::default()));
        }
        Valid::<T>::from_request(request, state)
            .await
            .map(|Valid(value)| ValidOrDefault(value))
    }
}

/// Parses JSON text, reporting syntax errors with their position.
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|error| {
        ApiError::malformed(format!(
            "the body is not valid JSON: {error} (line {}, column {})",
            error.line(),
            error.column()
        ))
    })
}

/// Query parameters, read one by one so that every problem is reported, and unknown names refused.
#[derive(Debug)]
pub struct QueryMap {
    params: BTreeMap<String, String>,
    violations: Violations,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<QueryMap, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|error| ApiError::malformed(format!("the query string is malformed: {error}")))?;
        let mut params = BTreeMap::new();
        let mut violations = Violations::new();
        for (name, value) in pairs {
            if params.insert(name.clone(), value).is_some() {
                violations.push(format!("?{name}"), "is given more than once");
            }
        }
        Ok(QueryMap { params, violations })
    }
}

impl QueryMap {
    /// A text parameter.
    pub fn text(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }

    /// A parameter parsed as a serde enum value, e.g. `?organization_type=company`.
    pub fn enumerated<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let value = self.params.remove(name)?;
        match serde_json::from_value(serde_json::Value::String(value.clone())) {
            Ok(parsed) => Some(parsed),
            Err(_) => {
                self.violations
                    .push(format!("?{name}"), format!("{value:?} is not an accepted value"));
                None
            }
        }
    }

    /// A parameter parsed with `FromStr`.
    pub fn parsed<T: std::str::FromStr>(&mut self, name: &str, expected: &str) -> Option<T> {
        let value = self.params.remove(name)?;
        match value.parse() {
            Ok(parsed) => Some(parsed),
            Err(_) => {
                self.violations
                    .push(format!("?{name}"), format!("{value:?} is not {expected}"));
                None
            }
        }
    }

    /// A parameter read by `parse`, whose error message is reported as is.
    pub fn checked<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.params.remove(name)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.violations.push(format!("?{name}"), message);
                None
            }
        }
    }

    /// A parameter that must be given, read by `parse`.
    pub fn required<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        if !self.params.contains_key(name) {
            self.violations.push(format!("?{name}"), "is required");
            return None;
        }
        self.checked(name, parse)
    }

    /// The page asked for with `?limit=` (1-500, default 50) and `?cursor=`.
    pub fn page(&mut self) -> PageRequest {
        let limit = self
            .parsed::<u32>("limit", "a whole number")
            .unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            self.violations
                .push("?limit", format!("must be between 1 and {MAX_PAGE_SIZE}"));
        }
        let after = self.params.remove("cursor").and_then(|cursor| {
            match URL_SAFE_NO_PAD
                .decode(&cursor)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
            {
                Some(after) => Some(after),
                None => {
                    self.violations.push("?cursor", "is not a cursor this API returned");
                    None
                }
            }
        });
        PageRequest {
            after,
            limit: limit.clamp(1, MAX_PAGE_SIZE),
        }
    }

    /// Fails with every problem found, including parameters nobody read.
    pub fn finish(mut self) -> Result<(), ApiError> {
        for name in self.params.keys() {
            self.violations
                .push(format!("?{name}"), "is not a parameter of this resource");
        }
        self.violations.into_result().map_err(ApiError::invalid)
    }
}

/// Whether `actor` holds `role`, or 403.
pub fn require_role(actor: &Actor, role: Role) -> Result<(), ApiError> {
    if actor.has_role(role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("this needs the role {}", role.as_str())))
    }
}
