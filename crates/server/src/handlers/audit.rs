//! The audit log.

use axum::extract::{OriginalUri, State};
use axum::response::Response;

use junkan_model::audit::{AuditEntry, AuditFilter};

use crate::error::ApiResult;
use crate::extract::{Caller, QueryMap};
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(AuditList, AuditEntry);

/// Reads the audit log: who read or changed which record, when, under which grant and why.
/// Organization administrators see entries about their organization's records; auditors and
/// node administrators see everything.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(
        ("owner_organization_id" = Option<String>, Query, description = "Only records of this owner"),
        ("record_id" = Option<String>, Query, description = "Only this record"),
        ("action" = Option<String>, Query, description = "read, create, update or revoke"),
        ("grant_id" = Option<String>, Query, description = "Only reads under this grant"),
        ("actor_organization_id" = Option<String>, Query, description = "Only entries of this (reading) organization"),
        ("from" = Option<String>, Query, description = "Only entries at or after this time (RFC 3339)"),
        ("until" = Option<String>, Query, description = "Only entries before this time (RFC 3339)"),
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Entries, oldest first", body = AuditList)))]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let filter = AuditFilter {
        owner_organization_id: query.parsed("owner_organization_id", "an organization id"),
        record_id: query.text("record_id"),
        action: query.enumerated("action"),
        grant_id: query.parsed("grant_id", "a grant id"),
        actor_organization_id: query.parsed("actor_organization_id", "an organization id"),
        from: query.checked("from", rfc3339),
        until: query.checked("until", rfc3339),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(&uri, state.store.list_audit(actor, &filter, &page).await?))
}

/// Parses an RFC 3339 time of a query parameter.
fn rfc3339(value: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("{value:?} is not an RFC 3339 time, e.g. 2026-04-01T00:00:00+09:00"))
}
