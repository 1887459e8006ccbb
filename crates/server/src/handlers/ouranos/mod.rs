//! The Ouranos-compatible API (Ouranos Ecosystem data transaction system API 3.0.0,
//! `testdata/ouranos/openapi.yaml`), mounted under `/ouranos`: the OpenAPI file has no `servers`
//! entry, so its paths are relative to the server base, which for junkan is `{base_url}/ouranos`
//! (junkan's own `/auth/login` and `/api/v1` live at the root).
//!
//! One route per path; the operation is chosen by `dataTarget` (unknown targets are 400). Every
//! response carries `X-Track` (the request id); errors are `{code, message, detail}` with the
//! reference's codes and messages. Requests need the `apiKey` header (a live junkan API key of
//! any organization: it identifies the calling application) and, except for `/auth/login` and
//! `/auth/refresh`, `Authorization: Bearer <accessToken>` from `/ouranos/auth/login`, which
//! names the operator (a junkan user of that organization). Access decisions are the store's.

pub(crate) mod json;

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use junkan_auth::password::hash_password;
use junkan_auth::secret::digest;
use junkan_auth::AccessClaims;
use junkan_footprint::ouranos::parse_write;
use junkan_model::ids::{FacilityId, OrganizationId};
use junkan_model::ouranos::{
    CfpResponseStatus, NewTradeRequest, PartFilter, PartsStructureWrite, StatusChange, StatusFilter, StatusTarget,
    TradeFilter,
};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, PrincipalKind};
use junkan_store::StoreError;

use crate::AppState;
use json::{
    certification_json, operator_json, part_json, plant_json, read_certification, read_operator, read_part, read_plant,
    status_json, trade_json, Fields, PartRole,
};

/// Largest `limit` and default page size of the reference.
const MAX_LIMIT: u32 = 100;
/// Most trace ids in one `traceIds`.
const MAX_TRACE_IDS: usize = 50;
/// Most operator ids in one `operatorIds`.
const MAX_OPERATOR_IDS: usize = 100;
/// Lifetime of refresh tokens.
const REFRESH_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;

/// The routes of the Ouranos API, to be nested under `/ouranos`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/authInfo", get(get_auth_info).put(put_auth_info))
        .route(
            "/api/v1/datatransport",
            get(get_data_transport)
                .put(put_data_transport)
                .delete(delete_data_transport),
        )
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/change", post(change_password))
        .fallback(endpoint_not_found)
        .method_not_allowed_fallback(endpoint_not_found)
        .layer(middleware::from_fn(track))
}

/// Copies the request id into `X-Track` on every response.
async fn track(request: Request, next: Next) -> Response {
    let request_id = request.headers().get("x-request-id").cloned();
    let mut response = next.run(request).await;
    if let Some(request_id) = request_id {
        response.headers_mut().insert("x-track", request_id);
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Which subsystem an error comes from (`[auth]`, `[dataspace]`), as in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    Auth,
    Dataspace,
}

/// What an error's `detail` names: who called, what and when.
#[derive(Debug, Clone)]
struct Context {
    system: System,
    data_target: String,
    method: Method,
    operator: Option<OrganizationId>,
    now: OffsetDateTime,
}

impl Context {
    fn new(state: &AppState, system: System, method: Method, data_target: &str) -> Context {
        Context {
            system,
            data_target: data_target.to_owned(),
            method,
            operator: None,
            now: state.store.now(),
        }
    }

    /// An Ouranos error body `{code, message, detail}`.
    fn error(&self, status: StatusCode, message: impl Into<String>) -> Response {
        let system = match (self.system, status) {
            // Authentication failures are the user authentication system's on every path.
            (_, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => "auth",
            (System::Auth, _) => "auth",
            (System::Dataspace, _) => "dataspace",
        };
        let kind = match status {
            StatusCode::BAD_REQUEST => "BadRequest",
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::FORBIDDEN => "AccessDenied",
            StatusCode::NOT_FOUND => "NotFound",
            StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
            _ => "InternalServerError",
        };
        let system = if status == StatusCode::NOT_FOUND {
            "dataspace"
        } else {
            system
        };
        let time_stamp = self
            .now
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(self.now.millisecond() as u32 * 1_000_000)
            .unwrap_or(self.now)
            .format(&Rfc3339)
            .unwrap_or_default();
        let detail = format!(
            "id: {}, timeStamp: {time_stamp}, dataTarget: {}, method: {}",
            self.operator.map(|id| id.to_string()).unwrap_or_default(),
            self.data_target,
            self.method
        );
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"code": format!("[{system}] {kind}"), "message": message.into(), "detail": detail}).to_string(),
        )
            .into_response()
    }

    fn bad_request(&self, message: impl Into<String>) -> Response {
        self.error(StatusCode::BAD_REQUEST, message)
    }

    fn invalid_body(&self, problem: impl std::fmt::Display) -> Response {
        self.bad_request(format!("Validation failed, {problem}"))
    }

    fn store(&self, error: StoreError) -> Response {
        match error {
            StoreError::NotFound { kind, id } => self.error(
                StatusCode::NOT_FOUND,
                format!("Not Found, {} {id} does not exist or is not visible", kind.as_str()),
            ),
            StoreError::Forbidden { reason } => self.error(
                StatusCode::FORBIDDEN,
                format!("You do not have the necessary privileges ({reason})"),
            ),
            StoreError::Invalid(violations) => {
                let text = violations
                    .iter()
                    .map(|violation| {
                        if violation
                            .message
                            .starts_with(&format!("{}:", field_of(&violation.path)))
                        {
                            violation.message.clone()
                        } else {
                            format!("{}: {}", field_of(&violation.path), violation.message)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                self.invalid_body(text)
            }
            StoreError::Conflict { message, .. } => self.bad_request(message),
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "storage error on the Ouranos API");
                self.error(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected error occurred")
            }
        }
    }
}

/// A JSON pointer as the reference names fields (`/childrenPartsModel/0/plantId` →
/// `childrenPartsModel[0].plantId`; query parameters keep their `?`).
fn field_of(pointer: &str) -> String {
    let mut name = String::new();
    for segment in pointer
        .trim_start_matches('/')
        .split('/')
        .filter(|segment| !segment.is_empty())
    {
        if segment.chars().all(|character| character.is_ascii_digit()) {
            name.push_str(&format!("[{segment}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(segment);
        }
    }
    if name.is_empty() {
        "body".to_owned()
    } else {
        name
    }
}

async fn endpoint_not_found(State(state): State<AppState>, method: Method, uri: axum::http::Uri) -> Response {
    let data_target = query_pairs(uri.query().unwrap_or_default())
        .ok()
        .and_then(|pairs| pairs.get("dataTarget").cloned())
        .unwrap_or_default();
    Context::new(&state, System::Dataspace, method, &data_target).error(StatusCode::NOT_FOUND, "Endpoint Not Found")
}

// ---------------------------------------------------------------------------------------------
// Query parameters

fn query_pairs(query: &str) -> Result<BTreeMap<String, String>, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|error| format!("the query string is malformed: {error}"))?;
    let mut map = BTreeMap::new();
    for (name, value) in pairs {
        if map.insert(name.clone(), value).is_some() {
            return Err(format!("{name}: given more than once"));
        }
    }
    Ok(map)
}

/// The query parameters of one request; every parameter must be read, or it is refused.
struct Query {
    params: BTreeMap<String, String>,
}

impl Query {
    fn take(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }

    fn uuid(&mut self, name: &str) -> Result<Option<Uuid>, String> {
        self.take(name)
            .map(|value| Uuid::parse_str(&value).map_err(|_| format!("{name}: {value:?} is not a UUID")))
            .transpose()
    }

    fn required_uuid(&mut self, name: &str) -> Result<Uuid, String> {
        self.uuid(name)?.ok_or_else(|| format!("{name}: is required"))
    }

    fn uuid_list(&mut self, name: &str, maximum: usize) -> Result<Option<Vec<Uuid>>, String> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = value
            .split(',')
            .map(|item| Uuid::parse_str(item.trim()).map_err(|_| format!("{name}: {item:?} is not a UUID")))
            .collect::<Result<_, _>>()?;
        if ids.len() > maximum {
            return Err(format!("{name}: at most {maximum} ids can be given, got {}", ids.len()));
        }
        Ok(Some(ids))
    }

    /// `limit` (1 to 100, default 100) and `after` (a UUID).
    fn page(&mut self) -> Result<PageRequest, String> {
        let limit = match self.take("limit") {
            None => MAX_LIMIT,
            Some(value) => match value.parse::<u32>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
                _ => return Err(format!("limit: must be a whole number between 1 and {MAX_LIMIT}")),
            },
        };
        let after = self.uuid("after")?.map(|id| id.to_string());
        Ok(PageRequest { after, limit })
    }

    fn finish(self) -> Result<(), String> {
        match self.params.keys().next() {
            Some(name) => Err(format!("{name}: Unexpected query parameter")),
            None => Ok(()),
        }
    }
}

/// Reads the query: `dataTarget` and the rest.
fn read_query(uri: &axum::http::Uri) -> Result<(String, Query), String> {
    let mut params = query_pairs(uri.query().unwrap_or_default())?;
    let data_target = params
        .remove("dataTarget")
        .ok_or_else(|| "dataTarget: Unexpected query parameter".to_owned())?;
    Ok((data_target, Query { params }))
}

// ---------------------------------------------------------------------------------------------
// Authentication

/// Checks the `apiKey` header: a live junkan API key.
async fn check_api_key(state: &AppState, headers: &HeaderMap, context: &Context) -> Result<(), Response> {
    let Some(key) = headers.get("apikey").and_then(|value| value.to_str().ok()) else {
        return Err(context.error(StatusCode::FORBIDDEN, "You do not have the necessary privileges"));
    };
    let api_key = state
        .store
        .api_key_login(&digest(key))
        .await
        .map_err(|error| context.store(error))?;
    let now = state.store.now();
    match api_key {
        Some(api_key)
            if api_key.revoked_at.is_none() && api_key.expires_at.is_none_or(|expires_at| expires_at > now) =>
        {
            Ok(())
        }
        _ => Err(context.error(StatusCode::FORBIDDEN, "Invalid key")),
    }
}

/// The operator's actor from the `apiKey` and Bearer headers.
async fn authenticate(state: &AppState, headers: &HeaderMap, context: &mut Context) -> Result<Actor, Response> {
    check_api_key(state, headers, context).await?;
    let Some(authorization) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) else {
        return Err(context.error(StatusCode::UNAUTHORIZED, "Authentication required"));
    };
    let Some(token) = authorization.strip_prefix("Bearer ").map(str::trim) else {
        return Err(context.error(StatusCode::UNAUTHORIZED, "Invalid or expired token"));
    };
    let claims = state
        .keys()
        .verify(token, &state.settings.issuer, state.store.now())
        .map_err(|_| context.error(StatusCode::UNAUTHORIZED, "Invalid or expired token"))?;
    context.operator = Some(claims.org);
    Ok(Actor {
        kind: claims.principal_kind,
        principal_id: claims.sub,
        organization_id: Some(claims.org),
        roles: claims.roles,
        purpose: headers
            .get(crate::extract::PURPOSE_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(|purpose| purpose.chars().take(200).collect()),
        request_id: headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    })
}

fn refresh_audience(state: &AppState) -> String {
    format!("{}/ouranos/refresh", state.settings.issuer)
}

fn sign(state: &AppState, audience: &str, lifetime: i64, user: &junkan_model::principal::User) -> String {
    let now = state.store.now().unix_timestamp();
    state.keys().sign(&AccessClaims {
        iss: audience.to_owned(),
        sub: user.id.to_string(),
        aud: audience.to_owned(),
        exp: now + lifetime,
        nbf: now,
        iat: now,
        jti: Uuid::new_v4().to_string(),
        principal_kind: PrincipalKind::User,
        org: user.organization_id,
        roles: user.roles.clone(),
        scope: String::new(),
    })
}

fn access_token(state: &AppState, user: &junkan_model::principal::User) -> String {
    let lifetime = i64::try_from(state.settings.token_lifetime.as_secs()).unwrap_or(3600);
    sign(state, &state.settings.issuer, lifetime, user)
}

#[expect(
    clippy::result_large_err,
    reason = "the error is the finished Ouranos error response, returned at once by every handler"
)]
fn body_json(body: &Bytes, context: &Context) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|error| context.invalid_body(error))
}

fn created(body: Value) -> Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The start every `dataTarget` route shares: the query read (its problems answered in the
/// shape of the route's system and method), the error context, and the authenticated caller.
async fn begin(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    system: System,
    method: Method,
) -> Result<(String, Query, Context, Actor), Response> {
    let (data_target, query) = read_query(uri).map_err(|problem| {
        Context::new(state, system, method.clone(), "").bad_request(format!("Invalid request parameters, {problem}"))
    })?;
    let mut context = Context::new(state, system, method, &data_target);
    let actor = authenticate(state, headers, &mut context).await?;
    Ok((data_target, query, context, actor))
}

/// `POST /auth/login`: a junkan user (`operatorAccountId` = user name) signs in; the answer is
/// an access token (the node's JWT) and a refresh token.
async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let context = Context::new(&state, System::Auth, Method::POST, "");
    if let Err(response) = check_api_key(&state, &headers, &context).await {
        return response;
    }
    let value = match body_json(&body, &context) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let credentials = Fields::of(&value, "").and_then(|fields| {
        Ok((
            fields.string("operatorAccountId", 1, 256)?,
            fields.string("accountPassword", 1, 256)?,
        ))
    });
    let (account, password) = match credentials {
        Ok(pair) => pair,
        Err(problem) => return context.invalid_body(problem),
    };
    // The same password check and throttle as the node's own sign-in.
    let login = match crate::handlers::auth::check_password(&state, &account, &password).await {
        Ok(login) => login,
        Err(error) if error.status() == StatusCode::TOO_MANY_REQUESTS => {
            return context.error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed sign-ins; try again later",
            );
        }
        Err(_) => return context.store(StoreError::Unavailable("the account store".into())),
    };
    let Some(login) = login else {
        return context.error(StatusCode::UNAUTHORIZED, "Invalid credentials");
    };
    created(json!({
        "accessToken": access_token(&state, &login.user),
        "refreshToken": sign(&state, &refresh_audience(&state), REFRESH_LIFETIME_SECONDS, &login.user),
    }))
}

/// `POST /auth/refresh`: a new access token for a refresh token of a user that still exists.
async fn refresh(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let context = Context::new(&state, System::Auth, Method::POST, "");
    if let Err(response) = check_api_key(&state, &headers, &context).await {
        return response;
    }
    let value = match body_json(&body, &context) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let token = match Fields::of(&value, "").and_then(|fields| fields.string("refreshToken", 1, 4096)) {
        Ok(token) => token,
        Err(problem) => return context.invalid_body(problem),
    };
    let invalid = || context.error(StatusCode::UNAUTHORIZED, "Invalid or expired token");
    let Ok(claims) = state
        .keys()
        .verify(&token, &refresh_audience(&state), state.store.now())
    else {
        return invalid();
    };
    let Ok(user_id) = claims.sub.parse() else {
        return invalid();
    };
    match state.store.user_by_id(user_id).await {
        Ok(Some(user)) => created(json!({"accessToken": access_token(&state, &user)})),
        Ok(None) => invalid(),
        Err(error) => context.store(error),
    }
}

/// `POST /auth/change`: the signed-in user's new password (8-20 characters of
/// `[a-zA-Z0-9!@#$%^&*()]`).
async fn change_password(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut context = Context::new(&state, System::Auth, Method::POST, "");
    let actor = match authenticate(&state, &headers, &mut context).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let value = match body_json(&body, &context) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let password = match Fields::of(&value, "").and_then(|fields| fields.string("newPassword", 8, 20)) {
        Ok(password) => password,
        Err(problem) => return context.invalid_body(problem),
    };
    if !password
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "!@#$%^&*()".contains(character))
    {
        return context.invalid_body("newPassword: must be in a valid format.");
    }
    let hash = hash_password(&password);
    match state.store.change_own_password(&actor, &hash).await {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(error) => context.store(error),
    }
}

// ---------------------------------------------------------------------------------------------
// authInfo

async fn get_auth_info(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let (data_target, mut query, context, actor) = match begin(&state, &headers, &uri, System::Auth, Method::GET).await
    {
        Ok(begun) => begun,
        Err(response) => return response,
    };
    let result = match data_target.as_str() {
        "operator" => get_operator(&state, &actor, &mut query, &context).await,
        "plant" => match query.finish() {
            Ok(()) => state
                .store
                .list_ouranos_plants(&actor)
                .await
                .map(|plants| ok(Value::Array(plants.iter().map(plant_json).collect())))
                .map_err(|error| context.store(error)),
            Err(problem) => Err(context.bad_request(format!("Invalid request parameters, {problem}"))),
        },
        _ => Err(context.bad_request("Invalid request parameters, dataTarget: Unexpected query parameter")),
    };
    result.unwrap_or_else(|response| response)
}

async fn get_operator(
    state: &AppState,
    actor: &Actor,
    query: &mut Query,
    context: &Context,
) -> Result<Response, Response> {
    let params = |problem: String| context.bad_request(format!("Invalid request parameters, {problem}"));
    let open_operator_id = query.take("openOperatorId");
    let operator_ids = query.uuid_list("operatorIds", MAX_OPERATOR_IDS).map_err(params)?;
    std::mem::replace(
        query,
        Query {
            params: BTreeMap::new(),
        },
    )
    .finish()
    .map_err(params)?;
    match (open_operator_id, operator_ids) {
        (Some(_), Some(_)) => {
            Err(context
                .bad_request("Invalid request parameters, only one of operatorIds and openOperatorId can be set."))
        }
        (None, Some(ids)) => {
            let ids: Vec<OrganizationId> = ids.into_iter().map(OrganizationId).collect();
            let operators = state
                .store
                .ouranos_operators(actor, &ids)
                .await
                .map_err(|error| context.store(error))?;
            Ok(ok(Value::Array(operators.iter().map(operator_json).collect())))
        }
        (Some(open_id), None) => state
            .store
            .ouranos_operator_by_open_id(actor, &open_id)
            .await
            .map(|operator| ok(operator_json(&operator)))
            .map_err(|error| context.store(error)),
        (None, None) => {
            let own = actor.organization_id.unwrap_or(OrganizationId(Uuid::nil()));
            state
                .store
                .ouranos_operator(actor, own)
                .await
                .map(|operator| ok(operator_json(&operator)))
                .map_err(|error| context.store(error))
        }
    }
}

async fn put_auth_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    let (data_target, query, context, actor) = match begin(&state, &headers, &uri, System::Auth, Method::PUT).await {
        Ok(begun) => begun,
        Err(response) => return response,
    };
    if !matches!(data_target.as_str(), "operator" | "plant") {
        return context.bad_request("Invalid request parameters, dataTarget: Unexpected query parameter");
    }
    if let Err(problem) = query.finish() {
        return context.bad_request(format!("Invalid request parameters, {problem}"));
    }
    let value = match body_json(&body, &context) {
        Ok(value) => value,
        Err(response) => return response,
    };
    if data_target == "operator" {
        let update = match read_operator(&value) {
            Ok(update) => update,
            Err(problem) => return context.invalid_body(problem),
        };
        match state.store.update_ouranos_operator(&actor, update).await {
            Ok(operator) => created(operator_json(&operator)),
            Err(error) => context.store(error),
        }
    } else {
        let write = match read_plant(&value) {
            Ok(write) => write,
            Err(problem) => return context.invalid_body(problem),
        };
        match state.store.put_ouranos_plant(&actor, write).await {
            Ok(plant) => created(plant_json(&plant)),
            Err(error) => context.store(error),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// datatransport

/// The `Link` header of a page that has a next one: this request's URL with `after` moved on.
fn link_to_next(
    state: &AppState,
    data_target: &str,
    extra: &[(&str, String)],
    page: &PageRequest,
    next: &Option<String>,
) -> Option<HeaderValue> {
    let next = next.as_ref()?;
    let mut pairs: Vec<(&str, String)> = vec![("dataTarget", data_target.to_owned())];
    pairs.extend(extra.iter().cloned());
    pairs.push(("limit", page.limit.to_string()));
    pairs.push(("after", next.clone()));
    let query = serde_urlencoded::to_string(&pairs).ok()?;
    HeaderValue::from_str(&format!(
        "<{}/ouranos/api/v1/datatransport?{query}>; rel=\"next\"",
        state.settings.issuer
    ))
    .ok()
}

fn paged(items: Vec<Value>, link: Option<HeaderValue>) -> Response {
    let mut response = ok(Value::Array(items));
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

async fn get_data_transport(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let (data_target, query, context, actor) = match begin(&state, &headers, &uri, System::Dataspace, Method::GET).await
    {
        Ok(begun) => begun,
        Err(response) => return response,
    };
    get_target(&state, &actor, &data_target, query, &context)
        .await
        .unwrap_or_else(|response| response)
}

async fn get_target(
    state: &AppState,
    actor: &Actor,
    data_target: &str,
    mut query: Query,
    context: &Context,
) -> Result<Response, Response> {
    let params = |problem: String| context.bad_request(format!("Invalid request parameters, {problem}"));
    let store = |error| context.store(error);
    match data_target {
        "cfp" => {
            let trace_ids = query
                .uuid_list("traceIds", MAX_TRACE_IDS)
                .map_err(params)?
                .ok_or_else(|| params("traceIds: is required".to_owned()))?;
            query.finish().map_err(params)?;
            let mut rows = state.store.ouranos_cfp_rows(actor, &trace_ids).await.map_err(store)?;
            // Totals of parts with suppliers on peer nodes ask the peers, as cfpRollup does.
            crate::federation::ouranos_cfp_totals_with_peers(state, actor, &mut rows)
                .await
                .map_err(store)?;
            Ok(ok(Value::Array(rows.iter().map(|row| row.to_json()).collect())))
        }
        "cfpCertification" => {
            let trace_id = query.required_uuid("traceId").map_err(params)?;
            query.finish().map_err(params)?;
            let certifications = state
                .store
                .list_cfp_certifications(actor, trace_id)
                .await
                .map_err(store)?;
            Ok(ok(Value::Array(
                certifications.iter().map(certification_json).collect(),
            )))
        }
        "cfpRollup" => {
            let trace_id = query.required_uuid("traceId").map_err(params)?;
            query.finish().map_err(params)?;
            // Continued on peer nodes for parts bought from their organizations (issue 10).
            let rolled = crate::federation::ouranos_rollup(state, actor, trace_id)
                .await
                .map_err(store)?;
            Ok(ok(serde_json::to_value(&rolled).unwrap_or(Value::Null)))
        }
        "parts" => {
            let page = query.page().map_err(params)?;
            let mut extra = Vec::new();
            let trace_id = query.uuid("traceId").map_err(params)?;
            let parts_name = query.take("partsName");
            let plant_id = query.uuid("plantId").map_err(params)?.map(FacilityId);
            let parents_only = match query.take("parentFlag").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => return Err(params(format!("parentFlag: {other:?} is not true or false"))),
            };
            query.finish().map_err(params)?;
            if let Some(id) = trace_id {
                extra.push(("traceId", id.to_string()));
            }
            if let Some(name) = &parts_name {
                extra.push(("partsName", name.clone()));
            }
            if let Some(plant) = plant_id {
                extra.push(("plantId", plant.to_string()));
            }
            if parents_only {
                extra.push(("parentFlag", "true".to_owned()));
            }
            let filter = PartFilter {
                trace_id,
                parts_name,
                plant_id,
                parents_only,
            };
            let found = state
                .store
                .list_ouranos_parts(actor, &filter, &page)
                .await
                .map_err(store)?;
            let link = link_to_next(state, "parts", &extra, &page, &found.next_after);
            Ok(paged(found.items.iter().map(json::part_json).collect(), link))
        }
        "partsStructure" => {
            let trace_id = query.required_uuid("traceId").map_err(params)?;
            query.finish().map_err(params)?;
            let structure = state.store.get_parts_structure(actor, trace_id).await.map_err(store)?;
            Ok(ok(json!({
                "parentPartsModel": part_json(&structure.parent),
                "childrenPartsModel": structure.children.iter().map(part_json).collect::<Vec<_>>(),
            })))
        }
        "status" => {
            let page = query.page().map_err(params)?;
            let target = match query.take("statusTarget").as_deref() {
                None => None,
                Some("REQUEST") => Some(StatusTarget::Request),
                Some("RESPONSE") => Some(StatusTarget::Response),
                Some(other) => return Err(params(format!("statusTarget: cannot be allowed '{other}'"))),
            };
            let status_id = query.uuid("statusId").map_err(params)?;
            let trace_id = query.uuid("traceId").map_err(params)?;
            query.finish().map_err(params)?;
            if target == Some(StatusTarget::Request) && status_id.is_some() {
                return Err(params("statusId: cannot be used with statusTarget=REQUEST".to_owned()));
            }
            if trace_id.is_some() && target != Some(StatusTarget::Request) {
                return Err(params("traceId: can be used only with statusTarget=REQUEST".to_owned()));
            }
            let mut extra = Vec::new();
            if let Some(target) = target {
                extra.push((
                    "statusTarget",
                    match target {
                        StatusTarget::Request => "REQUEST".to_owned(),
                        StatusTarget::Response => "RESPONSE".to_owned(),
                    },
                ));
            }
            if let Some(id) = status_id {
                extra.push(("statusId", id.to_string()));
            }
            if let Some(id) = trace_id {
                extra.push(("traceId", id.to_string()));
            }
            let filter = StatusFilter {
                target,
                status_id,
                trace_id,
            };
            let found = state
                .store
                .list_trade_statuses(actor, &filter, &page)
                .await
                .map_err(store)?;
            let link = link_to_next(state, "status", &extra, &page, &found.next_after);
            Ok(paged(found.items.iter().map(status_json).collect(), link))
        }
        "tradeRequest" => {
            let page = query.page().map_err(params)?;
            let trace_ids = query.uuid_list("traceIds", MAX_TRACE_IDS).map_err(params)?;
            query.finish().map_err(params)?;
            let filter = TradeFilter {
                downstream_trace_ids: trace_ids.unwrap_or_default(),
            };
            let found: Page<_> = state
                .store
                .list_trade_requests(actor, &filter, &page)
                .await
                .map_err(store)?;
            let link = link_to_next(state, "tradeRequest", &[], &page, &found.next_after);
            Ok(paged(found.items.iter().map(trade_json).collect(), link))
        }
        "tradeResponse" => {
            let page = query.page().map_err(params)?;
            query.finish().map_err(params)?;
            let found = state.store.list_trade_responses(actor, &page).await.map_err(store)?;
            let link = link_to_next(state, "tradeResponse", &[], &page, &found.next_after);
            Ok(paged(
                found
                    .items
                    .iter()
                    .map(|item| {
                        json!({
                            "tradeModel": trade_json(&item.trade),
                            "statusModel": status_json(&item.status),
                            "partsModel": part_json(&item.part),
                        })
                    })
                    .collect(),
                link,
            ))
        }
        _ => Err(context.bad_request("Invalid request parameters, dataTarget: Unexpected query parameter")),
    }
}

async fn put_data_transport(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    let (data_target, query, context, actor) = match begin(&state, &headers, &uri, System::Dataspace, Method::PUT).await
    {
        Ok(begun) => begun,
        Err(response) => return response,
    };
    put_target(&state, &actor, &data_target, query, &body, &context)
        .await
        .unwrap_or_else(|response| response)
}

async fn put_target(
    state: &AppState,
    actor: &Actor,
    data_target: &str,
    mut query: Query,
    body: &Bytes,
    context: &Context,
) -> Result<Response, Response> {
    let params = |problem: String| context.bad_request(format!("Invalid request parameters, {problem}"));
    let store = |error| context.store(error);
    let known = [
        "cfp",
        "cfpCertification",
        "parts",
        "partsStructure",
        "status",
        "tradeRequest",
        "tradeResponse",
    ];
    if !known.contains(&data_target) {
        return Err(params("dataTarget: Unexpected query parameter".to_owned()));
    }
    if data_target == "tradeResponse" {
        let trade_id = query.required_uuid("tradeId").map_err(params)?;
        let trace_id = query.required_uuid("traceId").map_err(params)?;
        query.finish().map_err(params)?;
        let trade = state
            .store
            .answer_trade(actor, trade_id, trace_id)
            .await
            .map_err(store)?;
        return Ok(created(trade_json(&trade)));
    }
    query.finish().map_err(params)?;
    let value = body_json(body, context)?;
    let invalid = |problem: String| context.invalid_body(problem);
    match data_target {
        "cfp" => {
            let write = parse_write(&value).map_err(|violations| context.store(StoreError::Invalid(violations)))?;
            let rows = state.store.put_ouranos_cfp(actor, write).await.map_err(store)?;
            Ok(created(Value::Array(rows.iter().map(|row| row.to_json()).collect())))
        }
        "cfpCertification" => {
            let write = read_certification(&value).map_err(invalid)?;
            let certification = state.store.put_cfp_certification(actor, write).await.map_err(store)?;
            Ok(created(certification_json(&certification)))
        }
        "parts" => {
            let write = read_part(&value, "", PartRole::Single).map_err(invalid)?;
            let part = state.store.put_ouranos_part(actor, write).await.map_err(store)?;
            Ok(created(part_json(&part)))
        }
        "partsStructure" => {
            let fields = Fields::of(&value, "").map_err(invalid)?;
            let parent_value = value.get("parentPartsModel").unwrap_or(&Value::Null);
            if parent_value.is_null() {
                return Err(invalid("parentPartsModel: cannot be blank.".to_owned()));
            }
            let parent = read_part(parent_value, "parentPartsModel", PartRole::Parent).map_err(invalid)?;
            let children_values = fields.array("childrenPartsModel").map_err(invalid)?;
            if children_values.len() > 50 {
                return Err(invalid(
                    "childrenPartsModel: the length must be no more than 50.".to_owned(),
                ));
            }
            let children = children_values
                .iter()
                .enumerate()
                .map(|(index, child)| read_part(child, &format!("childrenPartsModel[{index}]"), PartRole::Child))
                .collect::<Result<Vec<_>, _>>()
                .map_err(invalid)?;
            let structure = state
                .store
                .put_parts_structure(actor, PartsStructureWrite { parent, children })
                .await
                .map_err(store)?;
            Ok(created(json!({
                "parentPartsModel": part_json(&structure.parent),
                "childrenPartsModel": structure.children.iter().map(part_json).collect::<Vec<_>>(),
            })))
        }
        "status" => {
            let fields = Fields::of(&value, "").map_err(invalid)?;
            let status_id = fields.uuid("statusId").map_err(invalid)?;
            let reply_message = fields.opt_string("replyMessage", 1000).map_err(invalid)?;
            fields.opt_string("message", 1000).map_err(invalid)?;
            let request_status = fields.object("requestStatus").map_err(invalid)?;
            let status = request_status
                .opt_enum("cfpResponseStatus", CfpResponseStatus::parse)
                .map_err(invalid)?
                .ok_or_else(|| invalid("requestStatus.cfpResponseStatus: cannot be blank.".to_owned()))?;
            request_status
                .opt_enum("tradeTreeStatus", junkan_model::ouranos::TradeTreeStatus::parse)
                .map_err(invalid)?
                .ok_or_else(|| invalid("requestStatus.tradeTreeStatus: cannot be blank.".to_owned()))?;
            let change = match status {
                CfpResponseStatus::Cancel => StatusChange::Cancel,
                CfpResponseStatus::Reject => StatusChange::Reject { reply_message },
                other => {
                    return Err(invalid(format!(
                        "requestStatus.cfpResponseStatus: cannot be allowed '{}'.",
                        other.as_str()
                    )))
                }
            };
            state
                .store
                .change_trade_status(actor, status_id, change)
                .await
                .map_err(store)?;
            Ok(StatusCode::CREATED.into_response())
        }
        "tradeRequest" => {
            let fields = Fields::of(&value, "").map_err(invalid)?;
            let trade = fields.object("tradeModel").map_err(invalid)?;
            let status = fields.object("statusModel").map_err(invalid)?;
            let downstream_operator_id = OrganizationId(trade.uuid("downstreamOperatorId").map_err(invalid)?);
            let downstream_trace_id = trade.uuid("downstreamTraceId").map_err(invalid)?;
            // The OpenAPI file's own example spells it `upsreamOperatorId`; both are accepted.
            let upstream = if trade.has("upstreamOperatorId") {
                trade.uuid("upstreamOperatorId")
            } else {
                trade
                    .uuid("upsreamOperatorId")
                    .map_err(|_| "tradeModel.upstreamOperatorId: cannot be blank.".to_owned())
            }
            .map_err(invalid)?;
            if trade.opt_uuid("tradeId").map_err(invalid)?.is_some()
                || trade.opt_uuid("upstreamTraceId").map_err(invalid)?.is_some()
            {
                return Err(invalid(
                    "tradeModel: tradeId and upstreamTraceId must be null when a request is made.".to_owned(),
                ));
            }
            let message = status.opt_string("message", 1000).map_err(invalid)?;
            status.opt_string("replyMessage", 1000).map_err(invalid)?;
            status
                .opt_enum("requestType", |text| (text == "CFP").then_some(()))
                .map_err(invalid)?;
            let due = status
                .opt_date("responseDueDate")
                .map_err(invalid)?
                .ok_or_else(|| invalid("statusModel.responseDueDate: must be a valid date.".to_owned()))?;
            let request = state
                .store
                .create_trade_request(
                    actor,
                    NewTradeRequest {
                        downstream_operator_id,
                        downstream_trace_id,
                        upstream_operator_id: OrganizationId(upstream),
                        message,
                        response_due_date: due,
                    },
                )
                .await
                .map_err(store)?;
            Ok(created(json!({
                "statusModel": status_json(&request.status),
                "tradeModel": trade_json(&request.trade),
            })))
        }
        _ => Err(params("dataTarget: Unexpected query parameter".to_owned())),
    }
}

async fn delete_data_transport(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let (data_target, mut query, context, actor) =
        match begin(&state, &headers, &uri, System::Dataspace, Method::DELETE).await {
            Ok(begun) => begun,
            Err(response) => return response,
        };
    if data_target != "parts" {
        return context.bad_request("Invalid request parameters, dataTarget: Unexpected query parameter");
    }
    let trace_id = match query
        .required_uuid("traceId")
        .and_then(|id| query.finish().map(|()| id))
    {
        Ok(id) => id,
        Err(problem) => return context.bad_request(format!("Invalid request parameters, {problem}")),
    };
    match state.store.delete_ouranos_part(&actor, trace_id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => context.store(error),
    }
}
