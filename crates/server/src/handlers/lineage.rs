//! Lineage (トレース): the graph of objects and events behind or ahead of an identifier.

use axum::extract::State;
use axum::Json;

use junkan_trace::{Direction, Lineage, Tracer};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap};
use crate::AppState;

/// Deepest trace a request may ask for.
pub const MAX_DEPTH: u32 = 32;
/// Depth when the request does not say.
pub const DEFAULT_DEPTH: u32 = 8;

/// Traces an EPC, an EPC class, a lot or a Digital Link backward (where it came from), forward
/// (where it went) or both, through transformations and aggregations across organizations and
/// recycling loops. Events the caller may not read appear as "withheld" nodes naming their
/// organization; backward traces give the mass share of each source.
#[utoipa::path(get, path = "/api/v1/lineage", tag = "lineage",
    params(
        ("id" = String, Query, description = "EPC URN, EPC class or pattern, or GS1 Digital Link"),
        ("direction" = Option<String>, Query, description = "backward (default), forward or both"),
        ("depth" = Option<u32>, Query, description = "Steps to follow, 1-32 (default 8)"),
    ),
    responses((status = 200, description = "The lineage graph", body = Lineage),
              (status = 422, description = "Bad parameters", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_lineage(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryMap,
) -> ApiResult<Json<Lineage>> {
    let id = query.text("id");
    let direction = query.enumerated("direction").unwrap_or(Direction::Backward);
    let depth = query.parsed::<u32>("depth", "a whole number").unwrap_or(DEFAULT_DEPTH);
    let mut problems = Vec::new();
    if id.as_deref().is_none_or(str::is_empty) {
        problems.push(junkan_model::Violation::new(
            "?id",
            "is required: an EPC URN, EPC class or GS1 Digital Link",
        ));
    }
    if !(1..=MAX_DEPTH).contains(&depth) {
        problems.push(junkan_model::Violation::new(
            "?depth",
            format!("must be between 1 and {MAX_DEPTH}"),
        ));
    }
    query.finish()?;
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let root = junkan_epcis::canonical_identifier(id.as_deref().unwrap_or_default());
    let mut tracer = Tracer::new(&root, direction, depth);
    while let Some(wanted) = tracer.wanted() {
        let events = state
            .store
            .lineage_events(&caller.actor, &wanted, &tracer.known_events())
            .await?;
        tracer.feed(events);
    }
    Ok(Json(tracer.finish()))
}
