//! The organization directory.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use junkan_model::organization::{NewOrganization, Organization, OrganizationFilter, OrganizationPatch};

use crate::error::ApiResult;
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(OrganizationList, Organization);

/// Lists organizations (public directory), filtered and paged.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    params(
        ("organization_type" = Option<String>, Query, description = "company, industry_association, municipality, university_or_research_institute, related_organization, government_body"),
        ("prefecture" = Option<String>, Query, description = "Two-digit prefecture code"),
        ("role" = Option<String>, Query, description = "Role in the cycle, e.g. recycler"),
        ("industry" = Option<String>, Query, description = "Industry code"),
        ("q" = Option<String>, Query, description = "Text in the Japanese or English name"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of organizations", body = OrganizationList),
              (status = 422, description = "Bad parameters", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_organizations(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = OrganizationFilter {
        organization_type: query.enumerated("organization_type"),
        prefecture_code: query.text("prefecture"),
        role: query.enumerated("role"),
        industry: query.text("industry"),
        name_contains: query.text("q"),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(&uri, state.store.list_organizations(&filter, &page).await?))
}

/// Registers an organization (node administrators).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = NewOrganization,
    security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Organization),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Duplicate corporate number, LEI or GLN", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewOrganization>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let actor = caller.signed_in()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_organization(actor, new).await?),
    ))
}

/// Reads an organization's directory entry.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, description = "The organization", body = Organization),
              (status = 404, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_organization(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Organization>> {
    Ok(Json(state.store.get_organization(path_id(&id, "organization")?).await?))
}

/// Changes an organization (JSON merge patch; its administrators or a node administrator).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = String, Path, description = "Organization id")),
    request_body = OrganizationPatch, security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = Organization),
              (status = 403, description = "Not an administrator of it", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_organization(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(patch): Valid<OrganizationPatch>,
) -> ApiResult<Json<Organization>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .update_organization(actor, path_id(&id, "organization")?, &patch)
            .await?,
    ))
}
