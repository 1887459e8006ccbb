//! junkan's own management of footprints (製品カーボンフットプリント) under `/api/v1/footprints`:
//! publish, supersede, read, list and share, with problem+json errors. Footprints are written and
//! shown as PACT v3 JSON; the PACT host routes themselves are in `handlers::pact`. Also the PACT
//! partner registry and the outbox of PACT events (`/api/v1/pact/...`).

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use junkan_footprint::FootprintFilter;
use junkan_model::access::{Grant, GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::facility::Visibility;
use junkan_model::ids::{FootprintId, OrganizationId};
use junkan_model::page::{PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use junkan_model::Violation;
use junkan_store::{NewPactPartner, PactOutboxEntry, PactPartner, StoredFootprint};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, Valid};
use crate::handlers::path_id;
use crate::AppState;

/// A footprint to publish: PACT v3 JSON and who may read it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFootprint {
    /// The footprint as a PACT v3.0 `ProductFootprint` (decimals as strings).
    #[schema(value_type = Object)]
    pub footprint: Value,
    /// `public` (every member and anonymous readers) or `restricted` (default: the owner,
    /// holders of a grant of kind `footprint`, auditors).
    #[serde(default)]
    pub visibility: Visibility,
}

/// A footprint replacing another: PACT v3 JSON with a new id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FootprintSuccessor {
    /// The new footprint as a PACT v3.0 `ProductFootprint`; `precedingPfIds` is completed.
    #[schema(value_type = Object)]
    pub footprint: Value,
}

/// A footprint as stored, shown as PACT v3 JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct FootprintRecord {
    /// The footprint as a PACT v3.0 `ProductFootprint`.
    #[schema(value_type = Object)]
    pub footprint: Value,
    /// The publishing organization.
    pub owner_organization_id: OrganizationId,
    /// Who may read it.
    pub visibility: Visibility,
    /// The footprint that replaced this one.
    pub superseded_by: Option<FootprintId>,
    /// When the node stored it.
    #[serde(with = "time::serde::rfc3339")]
    pub stored_at: OffsetDateTime,
}

crate::list_schema!(FootprintList, FootprintRecord);

fn record_of(stored: StoredFootprint) -> ApiResult<FootprintRecord> {
    let footprint = junkan_footprint::pact::to_v3(&stored.footprint).map_err(|violations| {
        ApiError::internal(&format!(
            "stored footprint {} has no v3 view: {violations:?}",
            stored.footprint.id
        ))
    })?;
    Ok(FootprintRecord {
        footprint,
        owner_organization_id: stored.owner_organization_id,
        visibility: stored.visibility,
        superseded_by: stored.superseded_by,
        stored_at: stored.stored_at,
    })
}

fn created(record: &FootprintRecord, id: FootprintId) -> Response {
    let mut response = (StatusCode::CREATED, Json(record)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/footprints/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Reads PACT v3 JSON, reporting violations under `/footprint`.
fn footprint_from(document: &Value) -> ApiResult<junkan_footprint::Footprint> {
    junkan_footprint::pact::from_v3(document).map_err(|violations| {
        ApiError::invalid(
            violations
                .into_iter()
                .map(|violation| Violation::new(format!("/footprint{}", violation.path), violation.message))
                .collect(),
        )
    })
}

/// Publishes a footprint of the caller's organization. Subscribed PACT partners that may read it
/// are notified.
#[utoipa::path(post, path = "/api/v1/footprints", tag = "footprints", request_body = NewFootprint, security(("bearer" = [])),
    responses((status = 201, description = "Published", body = FootprintRecord),
              (status = 409, description = "A footprint with this id exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (each violation with its JSON pointer)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_footprint(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewFootprint>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let footprint = footprint_from(&new.footprint)?;
    let id = footprint.id;
    let stored = state.store.create_footprint(actor, footprint, new.visibility).await?;
    state.pact_outbox_wake.notify_one();
    super::credentials::sign_written(&state, actor, "footprint", id.to_string(), None).await;
    Ok(created(&record_of(stored)?, id))
}

/// Replaces a footprint: the old one becomes `Deprecated` and the new one names it in
/// `precedingPfIds`, in one write. Returns the new footprint.
#[utoipa::path(post, path = "/api/v1/footprints/{id}/supersede", tag = "footprints", request_body = FootprintSuccessor, security(("bearer" = [])),
    params(("id" = String, Path, description = "The footprint to replace")),
    responses((status = 201, description = "The new footprint", body = FootprintRecord),
              (status = 404, description = "No such footprint that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already deprecated", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn supersede_footprint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(successor): Valid<FootprintSuccessor>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let old: FootprintId = path_id(&id, "footprint")?;
    let footprint = footprint_from(&successor.footprint)?;
    let new_id = footprint.id;
    let stored = state.store.supersede_footprint(actor, old, footprint).await?;
    state.pact_outbox_wake.notify_one();
    super::credentials::sign_written(&state, actor, "footprint", new_id.to_string(), None).await;
    Ok(created(&record_of(stored)?, new_id))
}

/// Reads a footprint the caller may see (audited when read under a grant).
#[utoipa::path(get, path = "/api/v1/footprints/{id}", tag = "footprints",
    params(("id" = String, Path, description = "Footprint id")),
    responses((status = 200, description = "The footprint", body = FootprintRecord),
              (status = 404, description = "No such footprint that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_footprint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<FootprintRecord>> {
    let id: FootprintId = path_id(&id, "footprint")?;
    Ok(Json(record_of(state.store.get_footprint(&caller.actor, id).await?)?))
}

/// Lists the footprints the caller may read, with the PACT criteria (repeat a parameter for OR).
#[utoipa::path(get, path = "/api/v1/footprints", tag = "footprints",
    params(
        ("productId" = Option<String>, Query, description = "A product id (URN); repeat for OR"),
        ("companyId" = Option<String>, Query, description = "A company id (URN)"),
        ("geography" = Option<String>, Query, description = "A UN region, ISO 3166-1 country or ISO 3166-2 subdivision"),
        ("classification" = Option<String>, Query, description = "A product classification (URN)"),
        ("validOn" = Option<String>, Query, description = "Valid on this RFC 3339 time"),
        ("validAfter" = Option<String>, Query, description = "Validity starting after this time"),
        ("validBefore" = Option<String>, Query, description = "Validity ending before this time"),
        ("status" = Option<String>, Query, description = "Active or Deprecated"),
        ("owner" = Option<String>, Query, description = "Only this owner organization"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of footprints", body = FootprintList),
              (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_footprints(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|error| ApiError::malformed(format!("the query string is malformed: {error}")))?;
    let mut criteria = Vec::new();
    let mut violations = Vec::new();
    let mut owner = None;
    let mut page = PageRequest::first(DEFAULT_PAGE_SIZE);
    for (name, value) in pairs {
        match name.as_str() {
            "owner" => match value.parse::<OrganizationId>() {
                Ok(id) => owner = Some(id),
                Err(_) => violations.push(Violation::new("?owner", "must be an organization id")),
            },
            "limit" => match value.parse::<u32>() {
                Ok(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => page.limit = limit,
                _ => violations.push(Violation::new(
                    "?limit",
                    format!("must be an integer from 1 to {MAX_PAGE_SIZE}"),
                )),
            },
            "cursor" => match URL_SAFE_NO_PAD
                .decode(&value)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
            {
                Some(after) => page.after = Some(after),
                None => violations.push(Violation::new("?cursor", "is not a cursor of this list")),
            },
            _ => criteria.push((name, value)),
        }
    }
    let filter = match FootprintFilter::from_criteria(&criteria) {
        Ok(filter) => Some(filter),
        Err(found) => {
            violations.extend(found);
            None
        }
    };
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    let mut filter = filter.expect("violations reported above");
    filter.owner = owner;
    let found = state.store.list_footprints(&caller.actor, &filter, &page).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for stored in found.items {
        items.push(record_of(stored)?);
    }
    Ok(crate::paging::paged(
        &uri,
        junkan_model::page::Page {
            items,
            next_after: found.next_after,
        },
    ))
}

/// Sharing a footprint with one organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareFootprint {
    /// The organization that may read the footprint (its PACT clients too).
    pub organization_id: OrganizationId,
    /// Until when (default: one year).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Why, recorded in the grant.
    #[serde(default)]
    pub purpose: Option<String>,
}

/// Shares one footprint with one organization: a grant of kind `footprint` naming it (the
/// owner's administrators). Reads under it are audited.
#[utoipa::path(post, path = "/api/v1/footprints/{id}/share", tag = "footprints", request_body = ShareFootprint, security(("bearer" = [])),
    params(("id" = String, Path, description = "Footprint id")),
    responses((status = 201, description = "The grant", body = Grant),
              (status = 403, description = "Not an administrator of the owner", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such footprint that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn share_footprint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(share): Valid<ShareFootprint>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let id: FootprintId = path_id(&id, "footprint")?;
    // Reading it first keeps footprints the caller may not see unseen.
    state.store.get_footprint(actor, id).await?;
    let grant = state
        .store
        .create_grant(
            actor,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization {
                    organization_id: share.organization_id,
                },
                record_kind: RecordKind::Footprint,
                record_ids: Some(vec![id.to_string()]),
                level: GrantLevel::Full,
                purpose: share.purpose,
                expires_at: share
                    .expires_at
                    .unwrap_or_else(|| state.store.now() + time::Duration::days(365)),
                fields: None,
            },
        )
        .await?;
    state.pact_outbox_wake.notify_one();
    Ok((StatusCode::CREATED, Json(grant)).into_response())
}

/// Registers a PACT partner (node administrators): the host answers and notifications may go
/// to, and the credentials this node uses there.
#[utoipa::path(post, path = "/api/v1/pact/partners", tag = "footprints", request_body = NewPactPartner, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = PactPartner),
              (status = 403, description = "Not a node administrator", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_pact_partner(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewPactPartner>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let partner = state.store.create_pact_partner(actor, new).await?;
    Ok((StatusCode::CREATED, Json(partner)).into_response())
}

/// The registered PACT partners (node administrators and auditors).
#[utoipa::path(get, path = "/api/v1/pact/partners", tag = "footprints", security(("bearer" = [])),
    responses((status = 200, description = "The partners", body = Vec<PactPartner>)))]
pub async fn list_pact_partners(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<PactPartner>>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.list_pact_partners(actor).await?))
}

crate::list_schema!(PactOutboxList, PactOutboxEntry);

/// The PACT events sent or waiting for the partners of the caller's organization, newest first.
#[utoipa::path(get, path = "/api/v1/pact/outbox", tag = "footprints", security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
           ("cursor" = Option<String>, Query, description = "Cursor from the previous page")),
    responses((status = 200, description = "A page of outbox events", body = PactOutboxList)))]
pub async fn list_pact_outbox(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: crate::extract::QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let page = query.page();
    query.finish()?;
    Ok(crate::paging::paged(
        &uri,
        state.store.list_pact_outbox(actor, &page).await?,
    ))
}
