//! Lineage (トレース): the graph of objects and events behind or ahead of an identifier.

use axum::extract::State;
use axum::Json;

use junkan_model::principal::Actor;
use junkan_store::{Store, StoreResult};
use junkan_trace::{Direction, Lineage, LineageEvent, Tracer};

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
    let mut lineage = trace(
        state.store.as_ref(),
        &caller.actor,
        id.as_deref().unwrap_or_default(),
        direction,
        depth,
    )
    .await?;
    // The lineage continues on peer nodes where its origins (backward) or destinations
    // (forward) are unknown here.
    crate::federation::extend_lineage(&state, &caller.actor, &mut lineage).await?;
    Ok(Json(lineage))
}

/// The lineage of `identifier` (any form; traced canonical) as `actor` may see it: the tracer
/// asks, the store answers with the events touching each level (marking those the actor may not
/// read, auditing reads under grants). The API and the web application's explorer both trace
/// here.
pub async fn trace(
    store: &dyn Store,
    actor: &Actor,
    identifier: &str,
    direction: Direction,
    depth: u32,
) -> StoreResult<Lineage> {
    Ok(trace_with_events(store, actor, identifier, direction, depth).await?.0)
}

/// [`trace`], also handing back every event the store answered (readable ones and withheld ones
/// as the store marked them), for views that need more of them than the graph shows (the
/// material flows of the web application).
pub async fn trace_with_events(
    store: &dyn Store,
    actor: &Actor,
    identifier: &str,
    direction: Direction,
    depth: u32,
) -> StoreResult<(Lineage, Vec<LineageEvent>)> {
    let root = junkan_epcis::canonical_identifier(identifier);
    let mut tracer = Tracer::new(&root, direction, depth);
    let mut answered: Vec<LineageEvent> = Vec::new();
    while let Some(wanted) = tracer.wanted() {
        let events = store.lineage_events(actor, &wanted, &tracer.known_events()).await?;
        answered.extend(events.iter().cloned());
        tracer.feed(events);
    }
    let mut seen = std::collections::HashSet::new();
    answered.retain(|event| seen.insert(event.event_id.clone()));
    Ok((tracer.finish(), answered))
}
