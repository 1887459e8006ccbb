//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process is alive")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready to serve"),
    (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json")
))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<(StatusCode, Json<Value>)> {
    state.store.ping().await.map_err(|_| ApiError::unavailable())?;
    Ok((
        StatusCode::OK,
        Json(json!({ "status": "ready", "backend": format!("{:?}", state.store.backend()).to_lowercase() })),
    ))
}
