//! Circularity indicators (循環性指標) computed from inputs the caller supplies, so that any figure
//! can be reproduced: the same pure functions as `junkan indicator`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderMap};
use axum::Json;
use junkan_indicators::{ComputeError, IndicatorInfo, INDICATORS};

use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;

/// Lists the indicators junkan computes, with their methodology versions.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators",
    responses((status = 200, description = "Indicators: name, Japanese and English titles, level, methodology")))]
pub async fn list_indicators() -> Json<&'static [IndicatorInfo]> {
    Json(INDICATORS)
}

/// Computes an indicator from the inputs in the body (field names as in the documented cases)
/// and answers the values with their provenance: numerators, denominators, formula,
/// methodology version and what could not be computed.
#[utoipa::path(post, path = "/api/v1/indicators/{name}", tag = "indicators",
    params(("name" = String, Path, description = "mci, company-mci, recycled-content, recyclability, cti, jp-material-flow, municipal-recycling-rate, cmu, battery-recycled-content or mass-balance")),
    request_body(content = serde_json::Value, description = "The indicator's inputs", content_type = "application/json"),
    responses(
        (status = 200, description = "The values and their provenance"),
        (status = 404, description = "No indicator has this name", body = crate::error::Problem),
        (status = 422, description = "Invalid inputs, every problem with its JSON pointer; or a refused claim", body = crate::error::Problem),
    ))]
pub async fn compute_indicator(
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<junkan_indicators::Computation>> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    let input = parse_json(&body)?;
    junkan_indicators::compute(&name, &input)
        .map(Json)
        .map_err(|error| match error {
            ComputeError::UnknownIndicator(_) => ApiError::not_found(error.to_string()),
            ComputeError::Invalid(violations) => ApiError::invalid(violations),
        })
}
