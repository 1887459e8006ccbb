//! Access grants and certifications.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use junkan_model::access::{Certification, Grant, NewCertification, NewGrant};
use junkan_store::GrantDirection;

use crate::error::ApiResult;
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(GrantList, Grant);
crate::list_schema!(CertificationList, Certification);

/// Lists grants the caller's organization gave (`direction=given`, default) or holds (`received`).
#[utoipa::path(get, path = "/api/v1/grants", tag = "grants", params(
        ("direction" = Option<String>, Query, description = "given (default) or received"),
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Grants", body = GrantList)))]
pub async fn list_grants(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let direction = query.enumerated("direction").unwrap_or(GrantDirection::Given);
    let page = query.page();
    query.finish()?;
    Ok(paged(&uri, state.store.list_grants(actor, direction, &page).await?))
}

/// Grants access to records of the caller's organization (its administrators).
#[utoipa::path(post, path = "/api/v1/grants", tag = "grants", request_body = NewGrant, security(("bearer" = [])),
    responses((status = 201, description = "Granted", body = Grant),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_grant(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewGrant>,
) -> ApiResult<(StatusCode, Json<Grant>)> {
    let actor = caller.signed_in()?;
    Ok((StatusCode::CREATED, Json(state.store.create_grant(actor, new).await?)))
}

/// Reads a grant given by or applying to the caller's organization.
#[utoipa::path(get, path = "/api/v1/grants/{id}", tag = "grants", params(("id" = String, Path, description = "Grant id")),
    security(("bearer" = [])), responses((status = 200, description = "The grant", body = Grant)))]
pub async fn get_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Grant>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.get_grant(actor, path_id(&id, "grant")?).await?))
}

/// Revokes a grant at once.
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "grants", params(("id" = String, Path, description = "Grant id")),
    security(("bearer" = [])), responses((status = 200, description = "Revoked", body = Grant)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Grant>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.revoke_grant(actor, path_id(&id, "grant")?).await?))
}

/// Lists certifications (public), optionally of one organization.
#[utoipa::path(get, path = "/api/v1/certifications", tag = "grants", params(
        ("subject_organization_id" = Option<String>, Query, description = "Only certifications of this organization"),
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses((status = 200, description = "Certifications", body = CertificationList)))]
pub async fn list_certifications(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let subject = query.parsed("subject_organization_id", "an organization id");
    let page = query.page();
    query.finish()?;
    Ok(paged(&uri, state.store.list_certifications(subject, &page).await?))
}

/// Records a certification of another organization (organizations with the certifier role).
#[utoipa::path(post, path = "/api/v1/certifications", tag = "grants", request_body = NewCertification, security(("bearer" = [])),
    responses((status = 201, description = "Recorded", body = Certification)))]
pub async fn create_certification(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewCertification>,
) -> ApiResult<(StatusCode, Json<Certification>)> {
    let actor = caller.signed_in()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_certification(actor, new).await?),
    ))
}

/// Revokes a certification (its certifier).
#[utoipa::path(post, path = "/api/v1/certifications/{id}/revoke", tag = "grants", params(("id" = String, Path, description = "Certification id")),
    security(("bearer" = [])), responses((status = 200, description = "Revoked", body = Certification)))]
pub async fn revoke_certification(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Certification>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .revoke_certification(actor, path_id(&id, "certification")?)
            .await?,
    ))
}
