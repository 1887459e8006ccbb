//! The PACT host system (Technical Specifications for PCF Data Exchange): v3.0 at `/3/...` and
//! v2.3 at `/2/...` for partners that have not moved. `/auth/token` and the OpenID configuration
//! are the node's own (`handlers::auth`).
//!
//! These routes answer in PACT's own error shape `{"code", "message"}` (not problem+json):
//! `BadRequest` 400, `NotImplemented` 400, `AccessDenied` 403, `TokenExpired` 401 (and 401 with
//! `BadRequest` for a missing, forged or malformed token), `NotFound` 404 (v2: `NoSuchFootprint`),
//! `InternalError` 500. Every request authenticates first, before its query or body is read.
//!
//! Pagination: `limit` (1-100, default 100) and a `Link: <...>; rel="next"` on the node's
//! configured public base URL whose only parameter, `page`, is a token signed with the node's
//! keys naming the caller's organization, the filters, the position and an expiry an hour away.
//! A page link can be called again and stays valid for that hour (PACT asks for 180 s).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use junkan_footprint::events::{self, EventError, IncomingEvent};
use junkan_footprint::{Footprint, FootprintFilter};
use junkan_model::ids::{FootprintId, OrganizationId};
use junkan_model::page::PageRequest;
use junkan_model::principal::Actor;
use junkan_store::{url_host, OutgoingPactEvent, StoreError};

use crate::extract::{verified_token_actor, TokenProblem};
use crate::AppState;

/// Largest `limit` a caller may ask for.
pub const MAX_LIMIT: u32 = 100;
/// How long a page link stays valid.
pub const PAGE_LINK_LIFETIME: time::Duration = time::Duration::hours(1);
/// Most footprints one `RequestCreatedEvent` is answered with.
pub const MAX_REQUEST_RESULTS: usize = 1_000;

/// Which PACT version a route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PactVersion {
    /// v2.3 at `/2/`.
    V2,
    /// v3.0 at `/3/`.
    V3,
}

impl PactVersion {
    /// The path prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            PactVersion::V2 => "/2",
            PactVersion::V3 => "/3",
        }
    }

    /// The footprint's JSON in this version.
    pub fn render(self, footprint: &Footprint) -> Result<Value, Vec<junkan_model::Violation>> {
        match self {
            PactVersion::V2 => junkan_footprint::pact::to_v2(footprint),
            PactVersion::V3 => junkan_footprint::pact::to_v3(footprint),
        }
    }

    fn not_found_code(self) -> &'static str {
        match self {
            PactVersion::V2 => "NoSuchFootprint",
            PactVersion::V3 => "NotFound",
        }
    }

    /// The event type names this version uses for answers.
    fn answer_types(self) -> (&'static str, &'static str) {
        match self {
            PactVersion::V2 => (
                "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1",
                "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1",
            ),
            PactVersion::V3 => (events::REQUEST_FULFILLED, events::REQUEST_REJECTED),
        }
    }
}

/// A PACT error response.
#[derive(Debug)]
pub struct PactError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl PactError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> PactError {
        PactError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> PactError {
        PactError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    fn from_violations(violations: &[junkan_model::Violation]) -> PactError {
        let message = violations
            .iter()
            .map(|violation| format!("{}: {}", violation.path, violation.message))
            .collect::<Vec<_>>()
            .join("; ");
        PactError::bad_request(message)
    }

    fn internal(error: &dyn std::fmt::Display) -> PactError {
        tracing::error!(%error, "PACT request failed");
        PactError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "An internal or unexpected error has occurred",
        )
    }

    fn from_store(error: StoreError, version: PactVersion) -> PactError {
        match error {
            StoreError::NotFound { .. } => PactError::new(
                StatusCode::NOT_FOUND,
                version.not_found_code(),
                "The specified footprint does not exist",
            ),
            StoreError::Forbidden { reason } => PactError::new(StatusCode::FORBIDDEN, "AccessDenied", reason),
            StoreError::Invalid(violations) => PactError::from_violations(&violations),
            StoreError::Conflict { message, .. } => PactError::bad_request(message),
            StoreError::Unavailable(error) => PactError::internal(&error),
        }
    }
}

impl IntoResponse for PactError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "code": self.code, "message": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"junkan\", error=\"invalid_token\""),
            );
        }
        response
    }
}

/// The caller of a PACT route: a bearer access token from `/auth/token`.
async fn pact_actor(state: &AppState, headers: &HeaderMap) -> Result<Actor, PactError> {
    let unauthorized = |message: String| PactError::new(StatusCode::UNAUTHORIZED, "BadRequest", message);
    let Some(authorization) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) else {
        return Err(unauthorized(
            "a bearer access token from /auth/token is required".to_owned(),
        ));
    };
    let Some(token) = authorization.strip_prefix("Bearer ").map(str::trim) else {
        return Err(unauthorized(
            "the Authorization header must be 'Bearer <token>'".to_owned(),
        ));
    };
    let mut actor = verified_token_actor(state, token)
        .await
        .map_err(|problem| match problem {
            TokenProblem::Expired => PactError::new(
                StatusCode::UNAUTHORIZED,
                "TokenExpired",
                "The specified access token has expired",
            ),
            TokenProblem::Invalid(message) => unauthorized(message),
            TokenProblem::Store(error) => PactError::internal(&error),
        })?;
    actor.purpose = Some("PACT data exchange".to_owned());
    actor.request_id = headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    Ok(actor)
}

/// What a page link carries, signed.
#[derive(Debug, Serialize, Deserialize)]
struct PageClaims {
    /// Marks the token as a page link (an access token has no such claim).
    pact_page: PactVersion,
    /// The organization of the caller that got the link.
    org: OrganizationId,
    filter: FootprintFilter,
    after: String,
    limit: u32,
    exp: i64,
}

/// `GET /3/footprints` (Action ListFootprints).
pub async fn list_footprints_v3(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    list_footprints(&state, &headers, query.as_deref(), PactVersion::V3)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /2/footprints` (v2.3 Action ListFootprints).
pub async fn list_footprints_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    list_footprints(&state, &headers, query.as_deref(), PactVersion::V2)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn list_footprints(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    version: PactVersion,
) -> Result<Response, PactError> {
    let actor = pact_actor(state, headers).await?;
    let organization = actor
        .organization_id
        .ok_or_else(|| PactError::new(StatusCode::FORBIDDEN, "AccessDenied", "the token names no organization"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|error| PactError::bad_request(format!("the query string is malformed: {error}")))?;
    let (filter, page) = match pairs.iter().find(|(name, _)| name == "page") {
        Some((_, token)) => {
            let claims: PageClaims = state
                .keys()
                .verify_signature(token)
                .map_err(|_| PactError::bad_request("the page link is not valid"))?;
            if claims.exp < state.store.now().unix_timestamp() {
                return Err(PactError::bad_request("the page link has expired; list again"));
            }
            if claims.org != organization || claims.pact_page != version {
                return Err(PactError::bad_request(
                    "the page link was made for another caller or version",
                ));
            }
            (
                claims.filter,
                PageRequest {
                    after: Some(claims.after),
                    limit: claims.limit,
                },
            )
        }
        None => first_page(&pairs)?,
    };
    let (mut response, next_after) = match version {
        PactVersion::V3 => {
            // The v3 JSON was rendered when each footprint was written: the page is the stored
            // texts joined, not parsed and rendered again.
            let found = state
                .store
                .list_footprints_pact_v3(&actor, &filter, &page)
                .await
                .map_err(|error| PactError::from_store(error, version))?;
            (data_envelope(&found.items), found.next_after)
        }
        PactVersion::V2 => {
            let found = state
                .store
                .list_footprints(&actor, &filter, &page)
                .await
                .map_err(|error| PactError::from_store(error, version))?;
            let data = render_all(found.items.iter().map(|stored| &stored.footprint), version);
            (Json(json!({ "data": data })).into_response(), found.next_after)
        }
    };
    if let Some(after) = next_after {
        let claims = PageClaims {
            pact_page: version,
            org: organization,
            filter,
            after,
            limit: page.limit,
            exp: (state.store.now() + PAGE_LINK_LIFETIME).unix_timestamp(),
        };
        let token = state.keys().sign(&claims);
        let link = format!(
            "<{}{}/footprints?page={token}>; rel=\"next\"",
            state.settings.issuer,
            version.prefix()
        );
        let value = HeaderValue::from_str(&link).map_err(|error| PactError::internal(&error))?;
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// The filter and first page of a list request's parameters.
fn first_page(pairs: &[(String, String)]) -> Result<(FootprintFilter, PageRequest), PactError> {
    let mut limit = MAX_LIMIT;
    let mut criteria = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "limit" if value.trim().is_empty() => {}
            "limit" => {
                limit = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| {
                        PactError::bad_request(format!("limit must be an integer from 1 to {MAX_LIMIT}, not {value:?}"))
                    })?;
            }
            "$filter" => {
                return Err(PactError::new(
                    StatusCode::BAD_REQUEST,
                    "NotImplemented",
                    "the OData $filter of PACT 2.x is deprecated and not implemented; use the v3 criteria",
                ))
            }
            _ => criteria.push((name.clone(), value.clone())),
        }
    }
    let filter =
        FootprintFilter::from_criteria(&criteria).map_err(|violations| PactError::from_violations(&violations))?;
    Ok((filter, PageRequest { after: None, limit }))
}

/// The `{"data": [...]}` answer of stored v3 texts, leaving out (and logging) footprints v3
/// cannot express, as [`render_all`] does.
fn data_envelope(items: &[junkan_store::PactFootprintText]) -> Response {
    let mut body = String::with_capacity(
        items
            .iter()
            .map(|item| item.json.as_ref().map_or(0, String::len) + 1)
            .sum::<usize>()
            + 12,
    );
    body.push_str("{\"data\":[");
    let mut first = true;
    for item in items {
        let Some(json) = &item.json else {
            tracing::warn!(id = %item.id, version = ?PactVersion::V3, "footprint left out: not expressible in this PACT version");
            continue;
        };
        if !first {
            body.push(',');
        }
        first = false;
        body.push_str(json);
    }
    body.push_str("]}");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Renders footprints in `version`, leaving out (and logging) any that version cannot express,
/// so that every footprint served is valid against its schema.
fn render_all<'a>(footprints: impl Iterator<Item = &'a Footprint>, version: PactVersion) -> Vec<Value> {
    footprints
        .filter_map(|footprint| match version.render(footprint) {
            Ok(value) => Some(value),
            Err(violations) => {
                tracing::warn!(id = %footprint.id, ?violations, ?version, "footprint left out: not expressible in this PACT version");
                None
            }
        })
        .collect()
}

/// `GET /3/footprints/{id}` (Action GetFootprint).
pub async fn get_footprint_v3(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    get_footprint(&state, &headers, &id, PactVersion::V3)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /2/footprints/{id}` (v2.3 Action GetFootprint).
pub async fn get_footprint_v2(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    get_footprint(&state, &headers, &id, PactVersion::V2)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn get_footprint(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    version: PactVersion,
) -> Result<Response, PactError> {
    let actor = pact_actor(state, headers).await?;
    let id = parse_footprint_id(id)?;
    let stored = state
        .store
        .get_footprint(&actor, id)
        .await
        .map_err(|error| PactError::from_store(error, version))?;
    let data = version.render(&stored.footprint).map_err(|violations| {
        tracing::warn!(%id, ?violations, ?version, "footprint not expressible in this PACT version");
        PactError::new(
            StatusCode::NOT_FOUND,
            version.not_found_code(),
            "The specified footprint cannot be expressed in this PACT version",
        )
    })?;
    Ok(Json(json!({ "data": data })).into_response())
}

/// A footprint id as PACT writes it: a hyphenated UUID, nothing else (no URN).
fn parse_footprint_id(text: &str) -> Result<FootprintId, PactError> {
    let valid = text.len() == 36 && text.bytes().filter(|byte| *byte == b'-').count() == 4;
    valid
        .then(|| text.parse::<FootprintId>().ok())
        .flatten()
        .ok_or_else(|| PactError::bad_request(format!("{text:?} is not a footprint id (a UUID)")))
}

/// `POST /3/events` (Action Events, CloudEvents structured mode).
pub async fn post_events_v3(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    post_events(&state, &headers, &body, PactVersion::V3)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /2/events` (v2.3 Action Events).
pub async fn post_events_v2(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    post_events(&state, &headers, &body, PactVersion::V2)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn post_events(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    version: PactVersion,
) -> Result<Response, PactError> {
    // Authenticate before looking at the body.
    let actor = pact_actor(state, headers).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if content_type != "application/cloudevents+json" && content_type != "application/json" {
        return Err(PactError::bad_request(
            "events are CloudEvents in structured mode: Content-Type application/cloudevents+json",
        ));
    }
    let event: Value = serde_json::from_slice(body)
        .map_err(|error| PactError::bad_request(format!("the body is not JSON: {error}")))?;
    let parsed = events::parse_event(&event).map_err(|error| match error {
        EventError::Invalid(violations) => PactError::from_violations(&violations),
        EventError::UnknownType(event_type) => PactError::new(
            StatusCode::BAD_REQUEST,
            "NotImplemented",
            format!("events of type {event_type:?} are not implemented"),
        ),
    })?;
    match parsed {
        IncomingEvent::RequestCreated { id, source, criteria } => {
            accept_request(state, &actor, &id, &source, criteria, version).await?;
        }
        IncomingEvent::Published { id, footprint_ids, .. } => {
            // Ids this node does not know are fine: the partner tells what it has published.
            tracing::info!(event = %id, count = footprint_ids.len(), organization = ?actor.organization_id, "PACT PublishedEvent received");
        }
        IncomingEvent::Response { id, event_type, .. } => {
            tracing::info!(event = %id, event_type, organization = ?actor.organization_id, "PACT answer received");
        }
    }
    Ok(StatusCode::OK.into_response())
}

/// Accepts a `RequestCreatedEvent`: checks that its `source` is an allow-listed host of a partner
/// of the caller's organization, answers it now from the footprints the caller may read, and
/// puts the answer in the outbox (once per request event id) for the sender to deliver.
async fn accept_request(
    state: &AppState,
    actor: &Actor,
    request_id: &str,
    source: &str,
    criteria: Result<FootprintFilter, Vec<junkan_model::Violation>>,
    version: PactVersion,
) -> Result<(), PactError> {
    let host = url_host(source)
        .ok_or_else(|| PactError::bad_request(format!("source {source:?} is not //host/path or an http(s) URL")))?;
    let partner = state
        .store
        .pact_partner_at(actor, &host)
        .await
        .map_err(|error| PactError::from_store(error, version))?
        .ok_or_else(|| {
            PactError::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!("{host} is not an allow-listed partner host of your organization: answers are sent only there"),
            )
        })?;
    let (fulfilled_type, rejected_type) = version.answer_types();
    let answer_id = uuid::Uuid::now_v7().to_string();
    let mut answer = match criteria {
        Err(violations) => {
            let message = violations
                .iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("; ");
            let mut event = events::rejected(&answer_id, request_id, "BadRequest", &message);
            event["type"] = json!(rejected_type);
            event
        }
        Ok(filter) => match matching_footprints(state, actor, &filter, version).await? {
            Some(footprints) => {
                let mut event = events::fulfilled(&answer_id, request_id, footprints);
                event["type"] = json!(fulfilled_type);
                event
            }
            None => {
                let mut event = events::rejected(
                    &answer_id,
                    request_id,
                    "BadRequest",
                    &format!("more than {MAX_REQUEST_RESULTS} footprints match: narrow the request"),
                );
                event["type"] = json!(rejected_type);
                event
            }
        },
    };
    if answer["type"] == json!(rejected_type) {
        tracing::info!(request = %request_id, "PACT request rejected");
    }
    answer["time"] = json!(state
        .store
        .now()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|error| PactError::internal(&error))?);
    let queued = state
        .store
        .enqueue_pact_event(
            actor,
            OutgoingPactEvent {
                dedupe_key: format!("answer:{}:{request_id}", partner.id),
                partner_id: partner.id,
                event: answer,
            },
        )
        .await
        .map_err(|error| PactError::from_store(error, version))?;
    if queued {
        state.pact_outbox_wake.notify_one();
    }
    Ok(())
}

/// The footprints `actor` may read that match, rendered; `None` when there are too many.
async fn matching_footprints(
    state: &AppState,
    actor: &Actor,
    filter: &FootprintFilter,
    version: PactVersion,
) -> Result<Option<Vec<Value>>, PactError> {
    let mut page = PageRequest {
        after: None,
        limit: MAX_LIMIT,
    };
    let mut footprints = Vec::new();
    loop {
        let found = state
            .store
            .list_footprints(actor, filter, &page)
            .await
            .map_err(|error| PactError::from_store(error, version))?;
        footprints.extend(render_all(found.items.iter().map(|stored| &stored.footprint), version));
        if footprints.len() > MAX_REQUEST_RESULTS {
            return Ok(None);
        }
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(Some(footprints)),
        }
    }
}
