//! Reference data: industries, prefectures and municipalities.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use junkan_model::industry::Industry;
use junkan_model::japan::{municipalities, prefectures, Municipality, Prefecture};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::AppState;

/// Lists the industries organizations can name.
#[utoipa::path(get, path = "/api/v1/industries", tag = "reference", responses((status = 200, description = "Industries", body = Vec<Industry>)))]
pub async fn list_industries(State(state): State<AppState>) -> ApiResult<Json<Vec<Industry>>> {
    Ok(Json(state.store.list_industries().await?))
}

/// Adds an industry (node administrators): new industries are data, not code.
#[utoipa::path(post, path = "/api/v1/industries", tag = "reference", request_body = Industry, security(("bearer" = [])),
    responses((status = 201, description = "Added", body = Industry)))]
pub async fn create_industry(
    State(state): State<AppState>,
    caller: Caller,
    Valid(industry): Valid<Industry>,
) -> ApiResult<(StatusCode, Json<Industry>)> {
    let actor = caller.signed_in()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_industry(actor, industry).await?),
    ))
}

/// Lists Japan's 47 prefectures.
#[utoipa::path(get, path = "/api/v1/prefectures", tag = "reference", responses((status = 200, description = "Prefectures", body = Vec<Prefecture>)))]
pub async fn list_prefectures() -> Json<&'static [Prefecture]> {
    Json(prefectures())
}

/// Lists municipalities with their local-government codes, optionally of one prefecture.
#[utoipa::path(get, path = "/api/v1/municipalities", tag = "reference",
    params(("prefecture" = Option<String>, Query, description = "Two-digit prefecture code")),
    responses((status = 200, description = "Municipalities", body = Vec<Municipality>)))]
pub async fn list_municipalities(mut query: QueryMap) -> ApiResult<Json<Vec<&'static Municipality>>> {
    let prefecture = query.text("prefecture");
    query.finish()?;
    if let Some(code) = &prefecture {
        junkan_model::japan::check_prefecture_code(code)
            .map_err(|message| ApiError::invalid(vec![junkan_model::Violation::new("?prefecture", message)]))?;
    }
    Ok(Json(
        municipalities()
            .iter()
            .filter(|municipality| {
                prefecture
                    .as_ref()
                    .is_none_or(|code| municipality.prefecture_code == *code)
            })
            .collect(),
    ))
}

fn json_ld(text: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/ld+json")], text).into_response()
}

/// The junkan circular business vocabulary (循環ビジネス語彙), JSON-LD with Japanese and English labels.
#[utoipa::path(get, path = "/voc/junkan-cbv.jsonld", tag = "reference", responses((status = 200, description = "The vocabulary (JSON-LD)")))]
pub async fn get_vocabulary() -> axum::response::Response {
    json_ld(junkan_epcis::vocabulary::VOCABULARY_JSONLD)
}

/// The JSON-LD context declaring the `jkcbv` prefix of the circular vocabulary.
#[utoipa::path(get, path = "/voc/junkan-cbv-context.jsonld", tag = "reference", responses((status = 200, description = "The context (JSON-LD)")))]
pub async fn get_vocabulary_context() -> axum::response::Response {
    json_ld(junkan_epcis::vocabulary::CONTEXT_JSONLD)
}
