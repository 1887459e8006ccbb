//! Chain-of-custody ledgers (CoC 台帳, ISO 22095) under `/api/v1/ledgers`: open a ledger for a
//! facility, material and period; enter inputs by hand or import them from the facility's
//! TransformationEvents; make claims for output lots (refused when the ledger cannot back them);
//! reverse a claim; close the period; read the ledger with its balance; trace a claim to the
//! inputs, events, passports and upstream claims behind it. Every decision is the store's.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use junkan_indicators::custody::{
    normalize_material, CarryOverReport, ClaimTrace, ImportLedgerInputs, ImportReport, LedgerClaim, LedgerFilter,
    LedgerInput, LedgerRecord, LedgerView, NewCarryOver, NewLedger, NewLedgerClaim, NewLedgerInput, ReverseClaim,
    LEDGERS_PATH,
};
use junkan_indicators::mass_balance::parse_period;
use junkan_model::ids::{LedgerClaimId, LedgerId};

use crate::error::ApiResult;
use crate::extract::{Caller, QueryMap, Valid, ValidOrDefault};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(LedgerList, LedgerRecord);

fn created<T: Serialize>(record: &T, location: String) -> Response {
    let mut response = (StatusCode::CREATED, Json(record)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn ids(ledger: &str, claim: Option<&str>) -> ApiResult<(LedgerId, Option<LedgerClaimId>)> {
    let ledger = path_id(ledger, "ledger")?;
    let claim = claim.map(|claim| path_id(claim, "ledger claim")).transpose()?;
    Ok((ledger, claim))
}

/// Opens a ledger (CoC 台帳) for a facility of the caller's organization, one material and one
/// period, under one chain-of-custody model (identity preserved, segregated, controlled
/// blending, mass balance by rolling average or by credits, book and claim) with its conversion
/// factor. Restricted by default.
#[utoipa::path(post, path = "/api/v1/ledgers", tag = "indicators", request_body = NewLedger, security(("bearer" = [])),
    responses((status = 201, description = "Opened", body = LedgerRecord),
              (status = 409, description = "A ledger of the facility and material covers part of the period", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (unknown model, period ending before it starts, conversion factor not above 0, not a facility of yours, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewLedger>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let ledger = state.store.create_ledger(actor, new).await?;
    Ok(created(&ledger, ledger.href()))
}

/// Lists the ledgers the caller may read.
#[utoipa::path(get, path = "/api/v1/ledgers", tag = "indicators",
    params(
        ("facility_id" = Option<String>, Query, description = "Only this facility's"),
        ("material" = Option<String>, Query, description = "Only this material (cobalt, Co, pp, ...)"),
        ("owner" = Option<String>, Query, description = "Only this organization's"),
        ("period" = Option<String>, Query, description = "Only ledgers whose period lies within <from>/<to> (ISO dates)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of ledgers", body = LedgerList),
              (status = 422, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_ledgers(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = LedgerFilter {
        facility_id: query.parsed("facility_id", "a facility id"),
        material: query.checked("material", normalize_material),
        owner: query.parsed("owner", "an organization id"),
        within: query.checked("period", parse_period),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_ledgers(&caller.actor, &filter, &page).await?,
    ))
}

/// Reads a ledger with its inputs, missing shares, claims (reversed ones marked) and balance:
/// credits, claimed, remaining, lapsed once closed, the rolling average share (null while a
/// share is unknown), and the period rule applied.
#[utoipa::path(get, path = "/api/v1/ledgers/{id}", tag = "indicators",
    params(("id" = String, Path, description = "Ledger id")),
    responses((status = 200, description = "The ledger", body = LedgerView),
              (status = 404, description = "No such ledger that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<LedgerView>> {
    let (id, _) = ids(&id, None)?;
    Ok(Json(state.store.get_ledger(&caller.actor, id).await?))
}

/// Enters an input lot by hand with its mass, unit and recycled share (pre-/post-consumer
/// parts), dated within the period; or gives the share of a lot an import recorded as missing.
/// 409 when the lot is already an input of a ledger of the facility and material (counted
/// once) or the ledger is closed.
#[utoipa::path(post, path = "/api/v1/ledgers/{id}/inputs", tag = "indicators", request_body = NewLedgerInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Ledger id")),
    responses((status = 201, description = "Entered", body = LedgerInput),
              (status = 404, description = "No such ledger that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "The lot is already counted, or the ledger is closed", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (share outside 0-100 %, negative mass, unit without a conversion, date outside the period, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn add_ledger_input(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(input): Valid<NewLedgerInput>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let (id, _) = ids(&id, None)?;
    let input = state.store.add_ledger_input(actor, id, input).await?;
    Ok(created(&input, format!("{LEDGERS_PATH}/{id}")))
}

/// Imports the inputs of the facility's TransformationEvents in the period (at its GLN as
/// readPoint or bizLocation) that the caller may read: each `inputQuantityList` lot with its
/// quantity in tonnes and its recycled share from an upstream claim for the lot or from its
/// passport. Lots of unknown share are recorded as missing (never counted as 0); the output
/// lots are listed for claims. Importing again enters nothing twice. Each lot counts with the
/// ledger's material in it (lot mass × mass fraction): the optional body's `material_fractions`
/// (explicit conversions), else the fraction of the lot's upstream claim or its passport's
/// composition, else the whole lot; a composite lot whose part is not known is missing. 422
/// (nothing entered) when a quantity's unit has no conversion or a fraction names a lot the
/// events do not enter.
#[utoipa::path(post, path = "/api/v1/ledgers/{id}/inputs/import-events", tag = "indicators", request_body(content = Option<ImportLedgerInputs>, description = "Optional: explicit material fractions per input lot"), security(("bearer" = [])),
    params(("id" = String, Path, description = "Ledger id")),
    responses((status = 200, description = "What was entered, already entered and missing, and the ledger after", body = ImportReport),
              (status = 404, description = "No such ledger that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "The ledger is closed", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Mixed units without a conversion, a fraction outside (0, 1] or for a lot the events do not enter, or the facility has no GLN", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn import_ledger_inputs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidOrDefault(request): ValidOrDefault<ImportLedgerInputs>,
) -> ApiResult<Json<ImportReport>> {
    let actor = caller.signed_in()?;
    let (id, _) = ids(&id, None)?;
    Ok(Json(state.store.import_ledger_inputs(actor, id, request).await?))
}

/// Makes a claim (再生材含有の主張) for an output lot: its mass and the recycled share it
/// carries, optionally the input lots to draw on. Refused with 409 and a precise problem when
/// the ledger cannot back it: more than the credits left, input lots already spent by other
/// claims (double counting), a share above what the model allows, unknown shares under a
/// share-based model, or an output lot already claimed.
#[utoipa::path(post, path = "/api/v1/ledgers/{id}/claims", tag = "indicators", request_body = NewLedgerClaim, security(("bearer" = [])),
    params(("id" = String, Path, description = "Ledger id")),
    responses((status = 201, description = "The claim with its backing", body = LedgerClaim),
              (status = 404, description = "No such ledger that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Over-claim, double counting, share above the model's, output lot already claimed, ledger closed", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (share outside 0-100 %, negative mass, unknown input lot named, date outside the period, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn claim_from_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(claim): Valid<NewLedgerClaim>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let (id, _) = ids(&id, None)?;
    let claim = state.store.claim_from_ledger(actor, id, claim).await?;
    Ok(created(&claim, claim.href()))
}

/// Reverses a claim (逆仕訳): claims are immutable, so a correction is this reversal, which
/// gives the credits back, followed by a new claim.
#[utoipa::path(post, path = "/api/v1/ledgers/{id}/claims/{claim_id}/reversal", tag = "indicators", request_body = ReverseClaim, security(("bearer" = [])),
    params(("id" = String, Path, description = "Ledger id"), ("claim_id" = String, Path, description = "Claim id")),
    responses((status = 201, description = "The claim, marked reversed", body = LedgerClaim),
              (status = 404, description = "No such ledger or claim that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Reversed already, or the ledger is closed", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn reverse_ledger_claim(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, claim)): Path<(String, String)>,
    Valid(reversal): Valid<ReverseClaim>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let (id, claim) = ids(&id, Some(&claim))?;
    let claim = claim.expect("asked for");
    let reversed = state.store.reverse_ledger_claim(actor, id, claim, reversal).await?;
    Ok(created(&reversed, reversed.href()))
}

/// Carries the unused credits of the previous period's closed ledger into this one (繰越し),
/// under the previous ledger's carry-over rule: one entry per period that made the credits,
/// each traced to it; credits older than the rule's expiry lapse. 409 (nothing written) when the
/// previous ledger is still open, states no carry-over rule or was carried already; 422 when it
/// is not the previous period's ledger of the same facility, material and model.
#[utoipa::path(post, path = "/api/v1/ledgers/{id}/carry-over", tag = "indicators", request_body = NewCarryOver, security(("bearer" = [])),
    params(("id" = String, Path, description = "Ledger id (the next period's)")),
    responses((status = 200, description = "The entries carried over, the credits that lapsed, and both ledgers after", body = CarryOverReport),
              (status = 404, description = "No such ledger that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "The previous ledger is open, states no carry-over rule or was carried already; this ledger is closed", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Not the previous period's ledger of the same facility, material and model", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn carry_over_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(request): Valid<NewCarryOver>,
) -> ApiResult<Json<CarryOverReport>> {
    let actor = caller.signed_in()?;
    let (id, _) = ids(&id, None)?;
    Ok(Json(state.store.carry_over_ledger(actor, id, request).await?))
}

/// Closes the ledger's period (締め): no entries after; the credits left lapse, unless the
/// ledger states a carry-over rule and the next period's ledger takes them.
#[utoipa::path(post, path = "/api/v1/ledgers/{id}/close", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ledger id")),
    responses((status = 200, description = "The closed ledger with its lapsed credits", body = LedgerView),
              (status = 404, description = "No such ledger that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Closed already", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn close_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<LedgerView>> {
    let actor = caller.signed_in()?;
    let (id, _) = ids(&id, None)?;
    Ok(Json(state.store.close_ledger(actor, id).await?))
}

/// Traces a claim to the input lots that back it, with the credits from each and links to the
/// events they entered in and the passports or upstream claims their shares come from.
#[utoipa::path(get, path = "/api/v1/ledgers/{id}/claims/{claim_id}/trace", tag = "indicators",
    params(("id" = String, Path, description = "Ledger id"), ("claim_id" = String, Path, description = "Claim id")),
    responses((status = 200, description = "The claim and its inputs", body = ClaimTrace),
              (status = 404, description = "No such ledger or claim that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn trace_ledger_claim(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, claim)): Path<(String, String)>,
) -> ApiResult<Json<ClaimTrace>> {
    let (id, claim) = ids(&id, Some(&claim))?;
    Ok(Json(
        state
            .store
            .trace_ledger_claim(&caller.actor, id, claim.expect("asked for"))
            .await?,
    ))
}
