//! Data sovereignty routes (issue 10): access requests (アクセス申請) and their decisions, grants
//! as ODRL policies, standing rules (常設ルール), dataset offers and the node's DCAT catalog.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use junkan_model::access::{Grant, Grantee, NewGrant, RecordKind};
use junkan_model::page::PageRequest;
use junkan_model::principal::Actor;
use junkan_model::sharing::{
    dataset_urn, grant_policy, offer_policy, organization_urn, AccessRequest, DatasetOffer, Narrowing,
    NewAccessRequest, NewDatasetOffer, Refusal, POLICY_CONTEXT,
};
use junkan_store::{GrantDirection, RequestDirection};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(AccessRequestList, AccessRequest);
crate::list_schema!(DatasetOfferList, DatasetOffer);

/// Asks another organization for access to its records (members of the requesting organization).
#[utoipa::path(post, path = "/api/v1/access-requests", tag = "access-requests", request_body = NewAccessRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "Requested (pending)", body = AccessRequest),
              (status = 422, description = "Invalid, or names records the owner neither publishes nor offers", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_access_request(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewAccessRequest>,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    let actor = caller.signed_in()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_access_request(actor, new).await?),
    ))
}

/// Lists requests made to the caller's organization (`direction=incoming`, default) or by it
/// (`outgoing`), optionally in one state.
#[utoipa::path(get, path = "/api/v1/access-requests", tag = "access-requests", params(
        ("direction" = Option<String>, Query, description = "incoming (default) or outgoing"),
        ("state" = Option<String>, Query, description = "pending, approved, narrowed, refused, withdrawn, revoked or expired"),
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Requests", body = AccessRequestList)))]
pub async fn list_access_requests(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let direction = query.enumerated("direction").unwrap_or(RequestDirection::Incoming);
    let request_state = query.enumerated("state");
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state
            .store
            .list_access_requests(actor, direction, request_state, &page)
            .await?,
    ))
}

/// Reads a request the caller's organization made or received.
#[utoipa::path(get, path = "/api/v1/access-requests/{id}", tag = "access-requests",
    params(("id" = String, Path, description = "Access request id")),
    security(("bearer" = [])), responses((status = 200, description = "The request", body = AccessRequest)))]
pub async fn get_access_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AccessRequest>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .get_access_request(actor, path_id(&id, "access request")?)
            .await?,
    ))
}

/// Approves a pending request as asked and creates its grant (the owner's administrators).
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/approve", tag = "access-requests",
    params(("id" = String, Path, description = "Access request id")), security(("bearer" = [])),
    responses((status = 200, description = "Approved", body = AccessRequest),
              (status = 409, description = "Not pending", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn approve_access_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AccessRequest>> {
    let actor = caller.signed_in()?;
    let request = state
        .store
        .approve_access_request(actor, path_id(&id, "access request")?)
        .await?;
    // A request a contract negotiation made: the agreement (or termination) goes to the consumer.
    crate::dsp::routes::after_decision(&state, actor, request.id).await;
    Ok(Json(request))
}

/// Approves a pending request with a narrower scope (fewer records, lower level, earlier end,
/// fewer reads); anything wider is refused with 422 and the pointer of what widens.
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/narrow", tag = "access-requests", request_body = Narrowing,
    params(("id" = String, Path, description = "Access request id")), security(("bearer" = [])),
    responses((status = 200, description = "Approved with the narrower scope", body = AccessRequest),
              (status = 422, description = "The narrowing widens the request", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn narrow_access_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(narrowing): Valid<Narrowing>,
) -> ApiResult<Json<AccessRequest>> {
    let actor = caller.signed_in()?;
    let request = state
        .store
        .narrow_access_request(actor, path_id(&id, "access request")?, narrowing)
        .await?;
    // A request a contract negotiation made: the agreement (or termination) goes to the consumer.
    crate::dsp::routes::after_decision(&state, actor, request.id).await;
    Ok(Json(request))
}

/// Refuses a pending request with a reason (the owner's administrators).
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/refuse", tag = "access-requests", request_body = Refusal,
    params(("id" = String, Path, description = "Access request id")), security(("bearer" = [])),
    responses((status = 200, description = "Refused", body = AccessRequest)))]
pub async fn refuse_access_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(refusal): Valid<Refusal>,
) -> ApiResult<Json<AccessRequest>> {
    let actor = caller.signed_in()?;
    let request = state
        .store
        .refuse_access_request(actor, path_id(&id, "access request")?, refusal)
        .await?;
    // A request a contract negotiation made: the agreement (or termination) goes to the consumer.
    crate::dsp::routes::after_decision(&state, actor, request.id).await;
    Ok(Json(request))
}

/// Withdraws a pending request (the requester).
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/withdraw", tag = "access-requests",
    params(("id" = String, Path, description = "Access request id")), security(("bearer" = [])),
    responses((status = 200, description = "Withdrawn", body = AccessRequest)))]
pub async fn withdraw_access_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AccessRequest>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .withdraw_access_request(actor, path_id(&id, "access request")?)
            .await?,
    ))
}

/// A grant as an ODRL 2.2 policy (JSON-LD `Agreement`: assigner, assignee, target, permission
/// with purpose, time and count constraints).
#[utoipa::path(get, path = "/api/v1/grants/{id}/policy", tag = "grants",
    params(("id" = String, Path, description = "Grant id")), security(("bearer" = [])),
    responses((status = 200, description = "The ODRL policy", content_type = "application/ld+json", body = Object)))]
pub async fn get_grant_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let grant = state.store.get_grant(actor, path_id(&id, "grant")?).await?;
    Ok(json_ld(grant_policy(&grant)))
}

/// Lists the standing rules (常設ルール) of the caller's organization: its grants to a class of
/// organizations (a role, a certification scheme, or both).
#[utoipa::path(get, path = "/api/v1/standing-rules", tag = "grants", params(
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Standing rules", body = crate::handlers::grants::GrantList)))]
pub async fn list_standing_rules(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_grants(actor, GrantDirection::Standing, &page).await?,
    ))
}

/// Sets a standing rule: a grant to every organization with a role, a certification, or both
/// (`role_with_certification`), e.g. "every certified recycler may read the dismantling fields
/// of my appliance passports". Revoked like any grant.
#[utoipa::path(post, path = "/api/v1/standing-rules", tag = "grants", request_body = NewGrant, security(("bearer" = [])),
    responses((status = 201, description = "Set", body = Grant),
              (status = 422, description = "Invalid (e.g. a single organization as grantee)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_standing_rule(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewGrant>,
) -> ApiResult<(StatusCode, Json<Grant>)> {
    let actor = caller.signed_in()?;
    if let Grantee::Organization { .. } = new.grantee {
        return Err(ApiError::invalid(vec![junkan_model::Violation::new(
            "/grantee/type",
            "a standing rule names a class of organizations (role, certification or role_with_certification); grant one organization through /api/v1/grants",
        )]));
    }
    Ok((StatusCode::CREATED, Json(state.store.create_grant(actor, new).await?)))
}

/// Lists the dataset offers the caller may see (public ones anonymously).
#[utoipa::path(get, path = "/api/v1/dataset-offers", tag = "catalog", params(
        ("owner_organization_id" = Option<String>, Query, description = "Only offers of this organization"),
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses((status = 200, description = "Offers", body = DatasetOfferList)))]
pub async fn list_dataset_offers(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let owner = query.parsed("owner_organization_id", "an organization id");
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_dataset_offers(&caller.actor, owner, &page).await?,
    ))
}

/// Publishes a dataset offer of the caller's organization in the catalog (its administrators).
#[utoipa::path(post, path = "/api/v1/dataset-offers", tag = "catalog", request_body = NewDatasetOffer, security(("bearer" = [])),
    responses((status = 201, description = "Published", body = DatasetOffer),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_dataset_offer(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewDatasetOffer>,
) -> ApiResult<(StatusCode, Json<DatasetOffer>)> {
    let actor = caller.signed_in()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_dataset_offer(actor, new).await?),
    ))
}

/// Reads an offer the caller may see.
#[utoipa::path(get, path = "/api/v1/dataset-offers/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Offer id")),
    responses((status = 200, description = "The offer", body = DatasetOffer)))]
pub async fn get_dataset_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DatasetOffer>> {
    Ok(Json(
        state
            .store
            .get_dataset_offer(&caller.actor, path_id(&id, "offer")?)
            .await?,
    ))
}

/// Withdraws an offer from the catalog (the owner's administrators).
#[utoipa::path(post, path = "/api/v1/dataset-offers/{id}/withdraw", tag = "catalog",
    params(("id" = String, Path, description = "Offer id")), security(("bearer" = [])),
    responses((status = 200, description = "Withdrawn", body = DatasetOffer)))]
pub async fn withdraw_dataset_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DatasetOffer>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .withdraw_dataset_offer(actor, path_id(&id, "offer")?)
            .await?,
    ))
}

/// The node's W3C DCAT 3 catalog (JSON-LD, in the shape of a Dataspace Protocol 2025-1 catalog):
/// the datasets its organizations offer, each with its ODRL offer and the API routes that serve
/// it. Public offers anonymously, the rest to signed-in callers.
#[utoipa::path(get, path = "/catalog", tag = "catalog",
    responses((status = 200, description = "The catalog", content_type = "application/ld+json", body = Object)))]
pub async fn get_catalog(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let offers = visible_offers(&state, &caller.actor).await?;
    Ok(json_ld(catalog(&state.settings.issuer, &offers)))
}

/// One dataset of the catalog (DSP `Dataset`).
#[utoipa::path(get, path = "/catalog/datasets/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Offer id (or the dataset's urn:uuid:)")),
    responses((status = 200, description = "The dataset", content_type = "application/ld+json", body = Object)))]
pub async fn get_catalog_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = id.strip_prefix("urn:uuid:").unwrap_or(&id);
    let offer = state
        .store
        .get_dataset_offer(&caller.actor, path_id(id, "dataset")?)
        .await?;
    if offer.withdrawn_at.is_some() {
        return Err(ApiError::not_found("the dataset was withdrawn from the catalog"));
    }
    let mut dataset = dataset(&state.settings.issuer, &offer);
    dataset["@context"] = json!(POLICY_CONTEXT);
    Ok(json_ld(dataset))
}

/// Every offer the actor may see that is not withdrawn, page after page.
pub async fn visible_offers(state: &AppState, actor: &Actor) -> ApiResult<Vec<DatasetOffer>> {
    let mut offers = Vec::new();
    let mut page = PageRequest {
        after: None,
        limit: 100,
    };
    loop {
        let found = state.store.list_dataset_offers(actor, None, &page).await?;
        offers.extend(found.items.into_iter().filter(|offer| offer.withdrawn_at.is_none()));
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(offers),
        }
    }
}

fn json_ld(value: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/ld+json")], Json(value)).into_response()
}

/// The catalog document of `offers` on the node at `issuer`.
pub fn catalog(issuer: &str, offers: &[DatasetOffer]) -> Value {
    let mut catalog = json!({
        "@context": POLICY_CONTEXT,
        "@id": format!("{issuer}/catalog"),
        "@type": "Catalog",
        "participantId": issuer,
        "dct:title": [
            {"@value": "junkan ノードのデータカタログ", "@language": "ja"},
            {"@value": "junkan node data catalog", "@language": "en"}
        ],
        "service": [service(issuer), protocol_service(issuer)],
    });
    if !offers.is_empty() {
        catalog["dataset"] = offers.iter().map(|offer| dataset(issuer, offer)).collect();
    }
    catalog
}

fn service(issuer: &str) -> Value {
    json!({
        "@id": format!("{issuer}/api/v1"),
        "@type": "DataService",
        "endpointURL": format!("{issuer}/api/v1"),
        "endpointDescription": format!("{issuer}/api/v1/openapi.json"),
    })
}

/// The node's Dataspace Protocol endpoint (`dspace:DataService`): the base of the protocol's
/// HTTPS binding, as `/.well-known/dspace-version` names it.
fn protocol_service(issuer: &str) -> Value {
    json!({
        "@id": format!("{issuer}{}", junkan_model::dsp::BASE_PATH),
        "@type": "DataService",
        "endpointURL": format!("{issuer}{}", junkan_model::dsp::BASE_PATH),
        "endpointDescription": "dspace:connector",
        "dct:conformsTo": format!("https://w3id.org/dspace/{}", junkan_model::dsp::PROTOCOL_VERSION),
    })
}

/// The routes that serve records of a kind (relative to the node).
pub fn routes_of(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Passport => &["/api/v1/passports", "/api/v1/passports/export"],
        RecordKind::Event => &["/epcis/events", "/api/v1/lineage"],
        RecordKind::Footprint => &["/api/v1/footprints", "/3/footprints"],
        RecordKind::Facility => &["/api/v1/facilities"],
        RecordKind::MaterialFlow => &["/api/v1/material-flows"],
        RecordKind::IndicatorValue => &["/api/v1/indicator-values"],
        RecordKind::IndicatorTarget => &["/api/v1/indicator-targets"],
        RecordKind::Ledger => &["/api/v1/ledgers"],
        _ => &[],
    }
}

/// One offer as a DCAT dataset with its ODRL offer and a distribution per serving route.
pub fn dataset(issuer: &str, offer: &DatasetOffer) -> Value {
    let distributions: Vec<Value> = routes_of(offer.record_kind)
        .iter()
        .map(|route| {
            json!({
                "@type": "Distribution",
                "format": "application/json",
                "accessService": format!("{issuer}/api/v1"),
                "dcat:accessURL": format!("{issuer}{route}"),
            })
        })
        .collect();
    json!({
        "@id": dataset_urn(offer.id),
        "@type": "Dataset",
        "dct:title": [
            {"@value": offer.title_ja, "@language": "ja"},
            {"@value": offer.title_en, "@language": "en"}
        ],
        "dct:description": [
            {"@value": offer.description_ja, "@language": "ja"},
            {"@value": offer.description_en, "@language": "en"}
        ],
        "dct:publisher": organization_urn(offer.owner_organization_id),
        "dct:issued": offer.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "junkan:recordKind": offer.record_kind.as_str(),
        "junkan:accessRequests": format!("{issuer}/api/v1/access-requests"),
        "hasPolicy": [offer_policy(offer)],
        "distribution": distributions,
    })
}
