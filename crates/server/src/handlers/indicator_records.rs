//! Indicators over stored data: values computed for a region or nation from the material-flow
//! records the caller may read (`GET /api/v1/indicators/{name}?scope=&period=`), stored
//! indicator values (指標値, `/api/v1/indicator-values`) and targets (目標値,
//! `/api/v1/indicator-targets`), and the time series of stored values with the gap to each
//! target (`GET /api/v1/indicators/{name}/series`).

use std::future::Future;

use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use junkan_indicators::custody::{
    canonical_lot, facility_mass_balance, parse_ledger_period, product_battery_check, LedgerFilter,
};
use junkan_indicators::records::{
    flow_kinds_of, FiscalYears, IndicatorTarget, IndicatorTargetCorrection, IndicatorTargetFilter, IndicatorValue,
    IndicatorValueCorrection, IndicatorValueFilter, MaterialFlowFilter, NewIndicatorTarget, NewIndicatorValue, Scope,
    ScopeKind, INDICATOR_TARGETS_PATH, INDICATOR_VALUES_PATH,
};
use junkan_indicators::regional::{compute_from_records, series, supported_scopes, ScopeComputation, Series};
use junkan_indicators::{Computation, ComputeError, IndicatorInfo, INDICATORS};
use junkan_model::access::AccessLevel;
use junkan_model::ids::{FacilityId, IndicatorTargetId, IndicatorValueId, OrganizationId, PassportId};
use junkan_model::page::{Page, PageRequest, MAX_PAGE_SIZE};
use junkan_model::passport::PassportRead;
use junkan_model::principal::Actor;
use junkan_model::validation::Violation;
use junkan_passport::inputs::{fill, MissingSource, SourceUse};
use junkan_store::{Store, StoreResult};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::organization_indicators::{organization_indicator, ORGANIZATION_INDICATORS};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(IndicatorValueList, IndicatorValue);
crate::list_schema!(IndicatorTargetList, IndicatorTarget);

/// 201 with the stored record and its `Location`.
fn created<T: Serialize>(record: &T, location: String) -> Response {
    let mut response = (StatusCode::CREATED, Json(record)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn known_indicator(name: &str) -> ApiResult<&'static IndicatorInfo> {
    junkan_indicators::indicator(name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no indicator is named {name:?} (known: {})",
            INDICATORS.iter().map(|info| info.name).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// Every item of a paged listing, read page by page.
pub(crate) async fn every_page<T, Fetch, Pending>(mut fetch: Fetch) -> StoreResult<Vec<T>>
where
    Fetch: FnMut(PageRequest) -> Pending,
    Pending: Future<Output = StoreResult<Page<T>>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(MAX_PAGE_SIZE);
    loop {
        let found = fetch(page.clone()).await?;
        items.extend(found.items);
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(items),
        }
    }
}

/// The current targets the actor may read for `indicator` and `scope`.
async fn targets_for(
    store: &dyn Store,
    actor: &Actor,
    indicator: &str,
    scope: &Scope,
) -> StoreResult<Vec<IndicatorTarget>> {
    let filter = IndicatorTargetFilter {
        indicator: Some(indicator.to_owned()),
        scope: Some(scope.to_string()),
        ..IndicatorTargetFilter::default()
    };
    every_page(|page| {
        let filter = &filter;
        async move { store.list_indicator_targets(actor, filter, &page).await }
    })
    .await
}

fn scope_kinds(kinds: &[ScopeKind]) -> String {
    if kinds.is_empty() {
        return "none yet".to_owned();
    }
    kinds.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(", ")
}

/// Computes an indicator for a scope from the stored data the caller may read, with its
/// provenance. Regions and nations (`jp-material-flow`, `municipal-recycling-rate`, `cmu`): per
/// fiscal year from the material-flow records, with the values, their numerators and
/// denominators, the input object, the records used (with links), the inputs without a record
/// (never taken as 0), the methodology, and the gap to every target of the scope. A facility
/// (`mass-balance`): from its chain-of-custody ledgers whose period lies within the period asked
/// (balance, rolling average share, credits, live claims with links to trace them). A product
/// and `battery-recycled-content`: each live claim of a battery metal made for the product's
/// identifier in the period, checked against the Regulation (EU) 2023/1542 Art. 8 minimums for
/// 2031 and 2036. A product and any other indicator whose input the passport's profile declares
/// a template for (e.g. `recycled-content` for plastics and metal lots): computed from the
/// passport's data as the caller may see it (`?version=` picks a version; no period; a withheld
/// or absent input makes it not computable, never 0). An organization and `cti` or
/// `company-mci`: from the events at the locations of its facilities that the caller may read in
/// the period (ISO dates or fiscal years, required), the inflows' recycled shares from passports
/// and ledgers, the outputs' recovery potential and MCI from their passports and their fate from
/// later events; with the flows used (links to events, passports, ledgers), the flows missing
/// and why, events withheld from the caller (by owner), ISO 59020-style flow shares and the
/// input that reproduces the computation. Other scopes and indicators answer 400 naming what is
/// supported.
#[utoipa::path(get, path = "/api/v1/indicators/{name}", tag = "indicators",
    params(
        ("name" = String, Path, description = "jp-material-flow, municipal-recycling-rate, cmu, mass-balance, battery-recycled-content, cti, company-mci, or for a passport what its profile declares (e.g. recycled-content)"),
        ("scope" = String, Query, description = "nation:JP, region:<six-digit local-government code> (e.g. region:131016), facility:<id> (mass-balance), organization:<id> (cti, company-mci), product:<identifier> (battery-recycled-content) or product:<passport id or identifier> (indicators the passport's profile declares)"),
        ("period" = Option<String>, Query, description = "Fiscal years <from>/<to> (2015/2022) or one year (2019); for facility, organization and battery product scopes also ISO dates <from>/<to> (days in UTC+09:00); refused for passport computations"),
        ("version" = Option<i64>, Query, description = "Passport computations: the passport version to read (default: the newest)"),
        ("owner" = Option<String>, Query, description = "Only records of this organization (when several organizations recorded the same flow; region and nation scopes)"),
    ),
    responses((status = 200, description = "The values with provenance (per fiscal year with gaps to targets; per ledger; per claim; for a passport, the input built from it, the data used and what was missing; for an organization, its flows with their sources, what was missing or withheld, flow shares and the input)"),
              (status = 400, description = "The indicator is not computed for this kind of scope (yet); the detail names the supported scopes", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No indicator has this name, the passport (version) does not exist or is not readable, or the organization does not exist", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "A missing or malformed scope or period, an unknown region, a period ending before it starts, a period for a product or a version for a region", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_indicator_for_scope(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let info = known_indicator(&name)?;
    let scope = query.required("scope", Scope::parse);
    // Ledger and organization scopes take ISO dates or fiscal years; the flow indicators fiscal
    // years.
    let from_ledgers = scope.as_ref().is_some_and(|scope| {
        matches!(
            (info.name, scope.kind),
            ("mass-balance", ScopeKind::Facility) | ("battery-recycled-content", ScopeKind::Product)
        )
    });
    let from_events = scope
        .as_ref()
        .is_some_and(|scope| scope.kind == ScopeKind::Organization && ORGANIZATION_INDICATORS.contains(&info.name));
    if from_ledgers || from_events {
        let period = query.required("period", parse_ledger_period);
        query.finish()?;
        let (scope, period) = (scope.expect("reported above"), period.expect("reported above"));
        if from_events {
            let answer = organization_indicator(state.store.as_ref(), &caller.actor, info, &scope, period).await?;
            return Ok(Json(answer).into_response());
        }
        return ledger_indicator(&state, &caller.actor, info, &scope, period).await;
    }
    let product = scope.as_ref().is_some_and(|scope| scope.kind == ScopeKind::Product);
    let period = if product {
        query.checked("period", |_| {
            Err::<FiscalYears, _>("a product scope is computed from one passport version: give ?version=<n> (default: the newest) instead of a period".to_owned())
        })
    } else {
        query.required("period", FiscalYears::parse)
    };
    let version = if product {
        query.parsed::<i64>("version", "a passport version number")
    } else {
        query.checked("version", |_| {
            Err::<i64, _>("applies to product scopes only".to_owned())
        })
    };
    let owner = query.parsed("owner", "an organization id");
    query.finish()?;
    let scope = scope.expect("reported above");
    if product {
        return Ok(Json(product_indicator(&state, &caller.actor, info, &scope.id, version).await?).into_response());
    }
    let period = period.expect("reported above");
    let supported = supported_scopes(info.name);
    if !supported.contains(&scope.kind) {
        return Err(ApiError::unsupported_scope(format!(
            "{} is not computed from stored data for {} scopes yet (supported scopes for {}: {}); POST /api/v1/indicators/{} computes it from given inputs",
            info.name,
            scope.kind.as_str(),
            info.name,
            scope_kinds(supported),
            info.name
        )));
    }
    let computation = scope_computation(state.store.as_ref(), &caller.actor, info, &scope, period, owner).await?;
    Ok(Json(computation).into_response())
}

/// `info` for a region or nation scope over `period`, computed from the current material-flow
/// records `actor` may read (only `owner`'s when given), with the gaps to the scope's targets.
/// The API and the web dashboard compute here.
pub(crate) async fn scope_computation(
    store: &dyn Store,
    actor: &Actor,
    info: &'static IndicatorInfo,
    scope: &Scope,
    period: FiscalYears,
    owner: Option<OrganizationId>,
) -> StoreResult<ScopeComputation> {
    let filter = MaterialFlowFilter {
        region: scope.region().map(str::to_owned),
        fiscal_years: Some(period),
        kinds: flow_kinds_of(info.name)
            .iter()
            .map(|kind| kind.name.to_owned())
            .collect(),
        owner,
        include_superseded: false,
    };
    let records = every_page(|page| {
        let filter = &filter;
        async move { store.list_material_flows(actor, filter, &page).await }
    })
    .await?;
    let targets = targets_for(store, actor, info.name, scope).await?;
    Ok(compute_from_records(info, scope, period, &records, &targets))
}

/// The passport a product-scope computation read.
#[derive(Debug, Serialize)]
pub struct PassportSource {
    /// Its internal id.
    pub id: PassportId,
    /// Its global identifier.
    pub identifier: String,
    /// Its profile and the profile version its data was checked against.
    pub profile: String,
    /// The profile version.
    pub profile_version: String,
    /// The version read.
    pub version: i64,
    /// Where to read that version.
    pub href: String,
    /// The access level the reader was given (what it may see decides what could be used).
    pub access_level: AccessLevel,
}

/// An indicator computed for one product from its passport, as the caller may see it.
#[derive(Debug, Serialize)]
pub struct ProductComputation {
    /// The indicator.
    pub indicator: &'static str,
    /// Its methodology and version.
    pub methodology: &'static str,
    /// `product:<passport id>`.
    pub scope: String,
    /// The passport read.
    pub passport: PassportSource,
    /// The input object built from the passport by its profile's template (posting it to
    /// `POST /api/v1/indicators/{name}` gives the same result).
    pub input: serde_json::Value,
    /// Which data pointer fed which input.
    pub sources: Vec<SourceUse>,
    /// The inputs the passport does not give this reader (withheld or absent): when any is
    /// missing the indicator is not computed, never computed as if it were 0.
    pub missing: Vec<MissingSource>,
    /// Whether the values could be computed.
    pub computable: bool,
    /// The values and their provenance, when computable.
    pub computation: Option<Computation>,
    /// Why the passport's values could not be used, when they do not pass the indicator's checks.
    pub problems: Vec<Violation>,
}

/// Computes `info` for the product whose passport is `id`, from the passport's data as `actor`
/// may read it (restricted reads are audited by the store) through the input template its
/// profile declares for the indicator.
pub(crate) async fn product_indicator(
    state: &AppState,
    actor: &Actor,
    info: &'static IndicatorInfo,
    id: &str,
    version: Option<i64>,
) -> ApiResult<ProductComputation> {
    let store = state.store.as_ref();
    let read = PassportRead { version, view: None };
    // The passport's id, or its identifier (an EPC URN or a GS1 Digital Link URI, any form).
    let passport = match id.parse::<PassportId>() {
        Ok(passport_id) => store.get_passport(actor, passport_id, read).await?,
        Err(_) => {
            let identifier = junkan_model::passport::canonical_link(id).map_err(|message| {
                ApiError::invalid(vec![Violation::new(
                    "?scope",
                    format!("a product scope is product:<passport id or identifier>: {message}"),
                )])
            })?;
            store.find_passport(actor, &[identifier], read).await?
        }
    };
    let passport_id = passport.id;
    let profile = store
        .get_profile(&passport.profile, Some(&passport.profile_version))
        .await?;
    let templates = profile
        .document
        .get("indicators")
        .and_then(serde_json::Value::as_object);
    let Some(template) = templates.and_then(|templates| templates.get(info.name)) else {
        let declared = templates
            .map(|templates| templates.keys().cloned().collect::<Vec<_>>().join(", "))
            .filter(|names| !names.is_empty())
            .unwrap_or_else(|| "none".to_owned());
        return Err(ApiError::unsupported_scope(format!(
            "profile {} {} declares no input for {} from its passports (it declares: {declared}); POST /api/v1/indicators/{} computes it from given inputs",
            passport.profile, passport.profile_version, info.name, info.name
        )));
    };
    let filled = fill(template, &passport.data, &passport.withheld);
    let (computation, problems) = if filled.missing.is_empty() {
        match junkan_indicators::compute(info.name, &filled.input) {
            Ok(computation) => (Some(computation), Vec::new()),
            Err(ComputeError::Invalid(violations)) => (None, violations),
            Err(error @ ComputeError::UnknownIndicator(_)) => return Err(ApiError::internal(&error)),
        }
    } else {
        (None, Vec::new())
    };
    Ok(ProductComputation {
        indicator: info.name,
        methodology: info.methodology,
        scope: format!("product:{passport_id}"),
        passport: PassportSource {
            id: passport.id,
            href: format!("/api/v1/passports/{}?version={}", passport.id, passport.version),
            identifier: passport.identifier,
            profile: passport.profile,
            profile_version: passport.profile_version,
            version: passport.version,
            access_level: passport.access_level,
        },
        input: filled.input,
        sources: filled.sources,
        missing: filled.missing,
        computable: computation.is_some(),
        computation,
        problems,
    })
}

/// `mass-balance` of a facility or `battery-recycled-content` of a product, from the stored
/// ledgers the caller may read.
async fn ledger_indicator(
    state: &AppState,
    actor: &Actor,
    info: &IndicatorInfo,
    scope: &Scope,
    (from, to): (String, String),
) -> ApiResult<Response> {
    let store = state.store.as_ref();
    let period = format!("{from}/{to}");
    if info.name == "mass-balance" {
        let facility: FacilityId = scope.id.parse().map_err(|_| {
            ApiError::invalid(vec![junkan_model::Violation::new(
                "?scope",
                "a facility scope names the facility's id",
            )])
        })?;
        let filter = LedgerFilter {
            facility_id: Some(facility),
            within: Some((from, to)),
            ..LedgerFilter::default()
        };
        let ledgers = every_page(|page| {
            let filter = &filter;
            async move { store.list_ledgers(actor, filter, &page).await }
        })
        .await?;
        let mut views = Vec::with_capacity(ledgers.len());
        for ledger in ledgers {
            views.push(store.get_ledger(actor, ledger.id).await?);
        }
        return Ok(Json(facility_mass_balance(&scope.to_string(), &period, &views)).into_response());
    }
    let lot = canonical_lot(&scope.id)
        .map_err(|message| ApiError::invalid(vec![junkan_model::Violation::new("?scope", message)]))?;
    let claims: Vec<_> = store
        .ledger_claims_for_lots(actor, &[lot], None)
        .await?
        .into_iter()
        .filter(|(_, claim)| from.as_str() <= claim.claimed_on.as_str() && claim.claimed_on.as_str() <= to.as_str())
        .collect();
    Ok(Json(product_battery_check(&scope.to_string(), &claims)).into_response())
}

/// The time series of an indicator's stored values for a scope: per fiscal year of the period,
/// every current value the caller may read (with its link, source and methodology) and its gap
/// to each target of the scope.
#[utoipa::path(get, path = "/api/v1/indicators/{name}/series", tag = "indicators",
    params(
        ("name" = String, Path, description = "The indicator"),
        ("scope" = String, Query, description = "nation:JP, region:<code>, organization:<id>, facility:<id> or product:<id>"),
        ("period" = String, Query, description = "Fiscal years <from>/<to> (2015/2022) or one year"),
    ),
    responses((status = 200, description = "Stored values per fiscal year with gaps to targets"),
              (status = 404, description = "No indicator has this name", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "A missing or malformed scope or period", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_indicator_series(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Json<Series>> {
    let info = known_indicator(&name)?;
    let scope = query.required("scope", Scope::parse);
    let period = query.required("period", FiscalYears::parse);
    query.finish()?;
    let (scope, period) = (scope.expect("reported above"), period.expect("reported above"));
    Ok(Json(
        stored_series(state.store.as_ref(), &caller.actor, info, &scope, period).await?,
    ))
}

/// The time series of `info`'s current stored values that `actor` may read for `scope` over
/// `period`, with the gap of each to the scope's targets (the API's and the dashboard's).
pub(crate) async fn stored_series(
    store: &dyn Store,
    actor: &Actor,
    info: &'static IndicatorInfo,
    scope: &Scope,
    period: FiscalYears,
) -> StoreResult<Series> {
    let filter = IndicatorValueFilter {
        indicator: Some(info.name.to_owned()),
        scope: Some(scope.to_string()),
        fiscal_years: Some(period),
        ..IndicatorValueFilter::default()
    };
    let values = every_page(|page| {
        let filter = &filter;
        async move { store.list_indicator_values(actor, filter, &page).await }
    })
    .await?;
    let targets = targets_for(store, actor, info.name, scope).await?;
    Ok(series(info, scope, period, &values, &targets))
}

// ---------------------------------------------------------------------------------------------
// Stored indicator values

/// Stores an indicator value of the caller's organization for a scope and fiscal year: the
/// `result` of a computation (or published figures), its methodology and provenance. 409 when
/// the organization has a current value for the same indicator, scope and year: correct it.
#[utoipa::path(post, path = "/api/v1/indicator-values", tag = "indicators", request_body = NewIndicatorValue, security(("bearer" = [])),
    responses((status = 201, description = "Stored (version 1)", body = IndicatorValue),
              (status = 409, description = "A current value with this key exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (unknown indicator or output, shares outside 0-100 %, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_indicator_value(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewIndicatorValue>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let value = state.store.create_indicator_value(actor, new).await?;
    Ok(created(&value, format!("{INDICATOR_VALUES_PATH}/{}", value.id)))
}

/// Corrects a stored value: the next version, the old one marked superseded.
#[utoipa::path(post, path = "/api/v1/indicator-values/{id}/corrections", tag = "indicators", request_body = IndicatorValueCorrection, security(("bearer" = [])),
    params(("id" = String, Path, description = "The current version's id")),
    responses((status = 201, description = "The new version", body = IndicatorValue),
              (status = 404, description = "No such value that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already corrected", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn correct_indicator_value(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(correction): Valid<IndicatorValueCorrection>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let id: IndicatorValueId = path_id(&id, "indicator value")?;
    let value = state.store.correct_indicator_value(actor, id, correction).await?;
    Ok(created(&value, format!("{INDICATOR_VALUES_PATH}/{}", value.id)))
}

/// Reads a stored value the caller may see.
#[utoipa::path(get, path = "/api/v1/indicator-values/{id}", tag = "indicators",
    params(("id" = String, Path, description = "Value version id")),
    responses((status = 200, description = "The value", body = IndicatorValue),
              (status = 404, description = "No such value that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_indicator_value(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IndicatorValue>> {
    let id: IndicatorValueId = path_id(&id, "indicator value")?;
    Ok(Json(state.store.get_indicator_value(&caller.actor, id).await?))
}

/// Lists the stored values the caller may read.
#[utoipa::path(get, path = "/api/v1/indicator-values", tag = "indicators",
    params(
        ("indicator" = Option<String>, Query, description = "Only this indicator"),
        ("scope" = Option<String>, Query, description = "Only this scope (nation:JP, region:131016, ...)"),
        ("fiscal_year" = Option<String>, Query, description = "A fiscal year (2019) or years (2015/2022)"),
        ("owner" = Option<String>, Query, description = "Only values of this organization"),
        ("include_superseded" = Option<bool>, Query, description = "Also corrected versions"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of values", body = IndicatorValueList),
              (status = 422, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_indicator_values(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = IndicatorValueFilter {
        indicator: query.checked("indicator", indicator_name),
        scope: query.checked("scope", |scope| Scope::parse(scope).map(|scope| scope.to_string())),
        fiscal_years: query.checked("fiscal_year", FiscalYears::parse),
        owner: query.parsed("owner", "an organization id"),
        include_superseded: query.parsed("include_superseded", "true or false").unwrap_or(false),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_indicator_values(&caller.actor, &filter, &page).await?,
    ))
}

fn indicator_name(name: &str) -> Result<String, String> {
    junkan_indicators::indicator(name)
        .map(|info| info.name.to_owned())
        .ok_or_else(|| format!("no indicator is named {name:?}"))
}

// ---------------------------------------------------------------------------------------------
// Targets

/// Stores a target (目標値) of the caller's organization for one output of an indicator in a
/// scope: target value and unit (the output's own), target fiscal year, optional baseline year
/// and value, and direction (derived for the outputs of the flow indicators).
#[utoipa::path(post, path = "/api/v1/indicator-targets", tag = "indicators", request_body = NewIndicatorTarget, security(("bearer" = [])),
    responses((status = 201, description = "Stored (version 1)", body = IndicatorTarget),
              (status = 409, description = "A current target with this key exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (unknown output, unit other than the output's, share outside 0-100 %, baseline after the target year, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_indicator_target(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewIndicatorTarget>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let target = state.store.create_indicator_target(actor, new).await?;
    Ok(created(&target, format!("{INDICATOR_TARGETS_PATH}/{}", target.id)))
}

/// Corrects a target: the next version, the old one marked superseded.
#[utoipa::path(post, path = "/api/v1/indicator-targets/{id}/corrections", tag = "indicators", request_body = IndicatorTargetCorrection, security(("bearer" = [])),
    params(("id" = String, Path, description = "The current version's id")),
    responses((status = 201, description = "The new version", body = IndicatorTarget),
              (status = 404, description = "No such target that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already corrected", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn correct_indicator_target(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(correction): Valid<IndicatorTargetCorrection>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let id: IndicatorTargetId = path_id(&id, "indicator target")?;
    let target = state.store.correct_indicator_target(actor, id, correction).await?;
    Ok(created(&target, format!("{INDICATOR_TARGETS_PATH}/{}", target.id)))
}

/// Reads a target the caller may see.
#[utoipa::path(get, path = "/api/v1/indicator-targets/{id}", tag = "indicators",
    params(("id" = String, Path, description = "Target version id")),
    responses((status = 200, description = "The target", body = IndicatorTarget),
              (status = 404, description = "No such target that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_indicator_target(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IndicatorTarget>> {
    let id: IndicatorTargetId = path_id(&id, "indicator target")?;
    Ok(Json(state.store.get_indicator_target(&caller.actor, id).await?))
}

/// Lists the targets the caller may read.
#[utoipa::path(get, path = "/api/v1/indicator-targets", tag = "indicators",
    params(
        ("indicator" = Option<String>, Query, description = "Only this indicator"),
        ("output" = Option<String>, Query, description = "Only this output"),
        ("scope" = Option<String>, Query, description = "Only this scope (nation:JP, ...)"),
        ("owner" = Option<String>, Query, description = "Only targets of this organization"),
        ("include_superseded" = Option<bool>, Query, description = "Also corrected versions"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of targets", body = IndicatorTargetList),
              (status = 422, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_indicator_targets(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = IndicatorTargetFilter {
        indicator: query.checked("indicator", indicator_name),
        output: query.text("output"),
        scope: query.checked("scope", |scope| Scope::parse(scope).map(|scope| scope.to_string())),
        owner: query.parsed("owner", "an organization id"),
        include_superseded: query.parsed("include_superseded", "true or false").unwrap_or(false),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state
            .store
            .list_indicator_targets(&caller.actor, &filter, &page)
            .await?,
    ))
}
