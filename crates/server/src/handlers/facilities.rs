//! Facilities and plants: restricted records.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use junkan_model::facility::{Facility, FacilityFilter, FacilityPatch, NewFacility};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(FacilityList, Facility);

/// Lists the facilities the caller may see: its own, public ones, those shared with it by a grant
/// (audited), and all for auditors (audited).
#[utoipa::path(get, path = "/api/v1/facilities", tag = "facilities",
    params(
        ("organization_id" = Option<String>, Query, description = "Only this organization's facilities"),
        ("facility_type" = Option<String>, Query, description = "e.g. recycling_plant"),
        ("prefecture" = Option<String>, Query, description = "Two-digit prefecture code"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of facilities", body = FacilityList)))]
pub async fn list_facilities(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = FacilityFilter {
        organization_id: query.parsed("organization_id", "an organization id"),
        facility_type: query.enumerated("facility_type"),
        prefecture_code: query.text("prefecture"),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_facilities(&caller.actor, &filter, &page).await?,
    ))
}

/// Registers a facility of the caller's organization.
#[utoipa::path(post, path = "/api/v1/facilities", tag = "facilities", request_body = NewFacility, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Facility),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_facility(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewFacility>,
) -> ApiResult<(StatusCode, Json<Facility>)> {
    let actor = caller.signed_in()?;
    let organization = actor
        .organization_id
        .ok_or_else(|| ApiError::forbidden("only members of an organization register facilities"))?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_facility(actor, organization, new).await?),
    ))
}

/// Reads a facility the caller may see.
#[utoipa::path(get, path = "/api/v1/facilities/{id}", tag = "facilities", params(("id" = String, Path, description = "Facility id")),
    responses((status = 200, description = "The facility", body = Facility),
              (status = 404, description = "No such facility that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_facility(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Facility>> {
    Ok(Json(
        state
            .store
            .get_facility(&caller.actor, path_id(&id, "facility")?)
            .await?,
    ))
}

/// Changes a facility of the caller's organization (JSON merge patch).
#[utoipa::path(patch, path = "/api/v1/facilities/{id}", tag = "facilities", params(("id" = String, Path, description = "Facility id")),
    request_body = FacilityPatch, security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = Facility)))]
pub async fn update_facility(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(patch): Valid<FacilityPatch>,
) -> ApiResult<Json<Facility>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .update_facility(actor, path_id(&id, "facility")?, &patch)
            .await?,
    ))
}
