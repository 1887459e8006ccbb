//! Circular Partners (サーキュラーパートナーズ) under `/api/v1/partners`: the secretariat's
//! designation, applications and their review, targets in each member type's format (versioned,
//! importable from CSV), follow-ups, measured progress of targets linked to platform indicators,
//! and the secretariat's views (statistics, overdue list, export as CSV or xlsx).
//!
//! Every read and write is one or a few store calls with the caller's actor; what a caller sees
//! in the statistics, the overdue list and the export is what the store lets it read (the
//! secretariat and auditors everything, others their own and published members' records).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, UtcOffset};
use utoipa::ToSchema;

use junkan_indicators::records::{FiscalYears, Scope};
use junkan_model::ids::{MembershipId, OrganizationId, PartnerTargetId};
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_partners::membership::{
    Membership, MembershipSettings, MembershipStatus, NewApplication, Review, Withdrawal,
};
use junkan_partners::progress::{overdue, statistics, MeasuredProgress, MemberRecords, MemberStatistics, Overdue};
use junkan_partners::targets::{FollowUp, FollowUpSubmission, PartnerTarget, TargetSubmission};
use junkan_partners::{import, iso_date, FollowUpFilter, MembershipFilter, Secretariat, TargetCategory, TargetFilter};
use junkan_store::{Store, StoreResult};

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_json, Caller, QueryMap, Valid};
use crate::handlers::indicator_records::scope_computation;
use crate::handlers::path_id;
use crate::AppState;

/// Where the partnership's resources live.
pub const PARTNERS_PATH: &str = "/api/v1/partners";

/// Japan's offset: the partnership's dates are Japanese dates.
const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Today in Japan by the store's clock (the date the store checks submissions on).
pub fn today(store: &dyn Store) -> Date {
    store.now().to_offset(JST).date()
}

fn created<T: Serialize>(body: &T, location: String) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The organization to designate as the secretariat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretariatDesignation {
    /// The secretariat organization (事務局).
    pub organization_id: OrganizationId,
}

/// The designated secretariat.
#[utoipa::path(get, path = "/api/v1/partners/secretariat", tag = "partners",
    responses((status = 200, description = "The secretariat", body = Secretariat),
              (status = 404, description = "None designated", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_secretariat(State(state): State<AppState>) -> ApiResult<Json<Secretariat>> {
    state
        .store
        .partner_secretariat()
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no Circular Partners secretariat is designated on this node"))
}

/// Designates the secretariat organization (node administrators); its members then review
/// applications and read every member's records (audited).
#[utoipa::path(put, path = "/api/v1/partners/secretariat", tag = "partners", request_body = SecretariatDesignation, security(("bearer" = [])),
    responses((status = 200, description = "Designated", body = Secretariat),
              (status = 403, description = "Not a node administrator", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn put_secretariat(
    State(state): State<AppState>,
    caller: Caller,
    Valid(designation): Valid<SecretariatDesignation>,
) -> ApiResult<Json<Secretariat>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .designate_partner_secretariat(actor, designation.organization_id)
            .await?,
    ))
}

/// The caller's organization applies for membership (its administrators). 409 while it has an
/// open application or membership; 422 for government bodies (observers) and companies without
/// a size class.
#[utoipa::path(post, path = "/api/v1/partners/memberships", tag = "partners", request_body = NewApplication, security(("bearer" = [])),
    responses((status = 201, description = "Applied; awaiting the secretariat's review", body = Membership),
              (status = 403, description = "Not an administrator of an organization", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "An open application or membership exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn apply_for_membership(
    State(state): State<AppState>,
    caller: Caller,
    Valid(application): Valid<NewApplication>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let membership = state.store.apply_for_membership(actor, application).await?;
    let location = format!("{PARTNERS_PATH}/memberships/{}", membership.id);
    Ok(created(&membership, location))
}

/// The memberships and applications the caller may read (the secretariat all of them).
#[utoipa::path(get, path = "/api/v1/partners/memberships", tag = "partners",
    params(("status" = Option<String>, Query, description = "applied, approved, rejected or withdrawn"),
           ("organization" = Option<String>, Query, description = "Only this organization's")),
    responses((status = 200, description = "Memberships in application order", body = [Membership]),
              (status = 422, description = "A bad parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_memberships(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryMap,
) -> ApiResult<Json<Vec<Membership>>> {
    let filter = MembershipFilter {
        status: query.checked("status", |text| {
            MembershipStatus::parse(text).ok_or_else(|| "must be applied, approved, rejected or withdrawn".to_owned())
        }),
        organization: query.parsed("organization", "an organization id"),
    };
    query.finish()?;
    Ok(Json(state.store.list_memberships(&caller.actor, &filter).await?))
}

/// A membership the caller may read.
#[utoipa::path(get, path = "/api/v1/partners/memberships/{id}", tag = "partners", params(("id" = String, Path, description = "Membership id")),
    responses((status = 200, description = "The membership", body = Membership),
              (status = 404, description = "No such membership that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_membership(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Membership>> {
    let id: MembershipId = path_id(&id, "membership")?;
    Ok(Json(state.store.get_membership(&caller.actor, id).await?))
}

/// The member changes its working groups, publication and (municipalities) follow-up schedule.
#[utoipa::path(patch, path = "/api/v1/partners/memberships/{id}", tag = "partners", request_body = MembershipSettings, security(("bearer" = [])),
    params(("id" = String, Path, description = "Membership id")),
    responses((status = 200, description = "Changed", body = Membership),
              (status = 403, description = "Not the member's administrator", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_membership(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(settings): Valid<MembershipSettings>,
) -> ApiResult<Json<Membership>> {
    let actor = caller.signed_in()?;
    let id: MembershipId = path_id(&id, "membership")?;
    Ok(Json(state.store.update_membership(actor, id, settings).await?))
}

/// The secretariat approves (join date, default today) or rejects (with a reason) an
/// application.
#[utoipa::path(post, path = "/api/v1/partners/memberships/{id}/review", tag = "partners", request_body = Review, security(("bearer" = [])),
    params(("id" = String, Path, description = "Membership id")),
    responses((status = 200, description = "Decided", body = Membership),
              (status = 403, description = "Not the secretariat", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Decided already", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (a rejection without its reason, a join date in the future)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn review_membership(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(review): Valid<Review>,
) -> ApiResult<Json<Membership>> {
    let actor = caller.signed_in()?;
    let id: MembershipId = path_id(&id, "membership")?;
    Ok(Json(state.store.review_membership(actor, id, review).await?))
}

/// The member withdraws (退会) its application or membership.
#[utoipa::path(post, path = "/api/v1/partners/memberships/{id}/withdraw", tag = "partners", request_body = Withdrawal, security(("bearer" = [])),
    params(("id" = String, Path, description = "Membership id")),
    responses((status = 200, description = "Withdrawn", body = Membership),
              (status = 403, description = "Not the member's administrator", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Not open", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn withdraw_membership(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(withdrawal): Valid<Withdrawal>,
) -> ApiResult<Json<Membership>> {
    let actor = caller.signed_in()?;
    let id: MembershipId = path_id(&id, "membership")?;
    Ok(Json(state.store.withdraw_membership(actor, id, withdrawal).await?))
}

/// An approved member submits a target in its format: companies and industry associations
/// choose among resource_circulation (資源循環), economic_impact (経済インパクト) and
/// environmental_impact (環境インパクト); municipalities among resource_circulation,
/// social_impact (社会インパクト) and environmental_impact; universities, research institutes
/// and related organizations submit projects. Every target other than a project also in
/// structured form.
#[utoipa::path(post, path = "/api/v1/partners/targets", tag = "partners", request_body = TargetSubmission, security(("bearer" = [])),
    responses((status = 201, description = "Submitted (version 1)", body = PartnerTarget),
              (status = 403, description = "Not an approved member", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid: every problem with its pointer (a category of another format, a target year in the past, texts too long, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn submit_target(
    State(state): State<AppState>,
    caller: Caller,
    Valid(submission): Valid<TargetSubmission>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let target = state.store.submit_partner_target(actor, submission).await?;
    let location = format!("{PARTNERS_PATH}/targets/{}", target.id);
    Ok(created(&target, location))
}

/// What an import stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetImport {
    /// How many targets were stored.
    pub count: usize,
    /// The targets, in the order of the file.
    pub items: Vec<PartnerTarget>,
}

/// Imports targets, all or nothing: a JSON array of submissions, or CSV (`text/csv`, columns in
/// `docs/partners.md`). Every problem of every row is reported (`/rows/<line>/<column>` for CSV,
/// `/<index>/...` for JSON) and then nothing is stored.
#[utoipa::path(post, path = "/api/v1/partners/targets/import", tag = "partners", security(("bearer" = [])),
    request_body(content = String, description = "A JSON array of TargetSubmission, or CSV", content_type = "text/csv"),
    responses((status = 201, description = "Every target stored", body = TargetImport),
              (status = 403, description = "Not an approved member", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 415, description = "Neither JSON nor CSV", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Broken rows, each by its line; nothing stored", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn import_targets(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let submissions = match media_type.as_str() {
        "text/csv" => {
            let text = std::str::from_utf8(&body).map_err(|_| ApiError::malformed("the CSV file is not UTF-8 text"))?;
            let membership = own_membership(state.store.as_ref(), actor).await?;
            import::read_targets(text, membership.format, today(state.store.as_ref())).map_err(ApiError::invalid)?
        }
        "application/json" => {
            let value = parse_json(&body)?;
            let items = value
                .as_array()
                .ok_or_else(|| ApiError::invalid(vec![Violation::new("", "must be a JSON array of targets")]))?;
            let mut submissions = Vec::with_capacity(items.len());
            let mut violations = Vec::new();
            for (index, item) in items.iter().enumerate() {
                match serde_path_to_error::deserialize::<_, TargetSubmission>(item.clone()) {
                    Ok(submission) => submissions.push(submission),
                    Err(error) => {
                        let path: String = error.path().iter().map(|segment| format!("/{segment}")).collect();
                        violations.push(Violation::new(
                            format!("/{index}{path}"),
                            error.into_inner().to_string(),
                        ));
                    }
                }
            }
            if !violations.is_empty() {
                return Err(ApiError::invalid(violations));
            }
            submissions
        }
        _ => return Err(ApiError::unsupported_media_type("text/csv or application/json")),
    };
    let items = state.store.import_partner_targets(actor, submissions).await?;
    Ok((
        StatusCode::CREATED,
        Json(TargetImport {
            count: items.len(),
            items,
        }),
    )
        .into_response())
}

/// The caller's open membership, for reading a CSV file in its format.
async fn own_membership(store: &dyn Store, actor: &Actor) -> ApiResult<Membership> {
    let organization = actor
        .organization_id
        .ok_or_else(|| ApiError::forbidden("only members of a Circular Partners member import its targets"))?;
    store
        .list_memberships(
            actor,
            &MembershipFilter {
                status: Some(MembershipStatus::Approved),
                organization: Some(organization),
            },
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::forbidden("your organization is not an approved Circular Partners member"))
}

fn parse_category(text: &str) -> Result<TargetCategory, String> {
    TargetCategory::parse(text).ok_or_else(|| {
        "must be resource_circulation, economic_impact, social_impact or environmental_impact".to_owned()
    })
}

/// The current targets the caller may read.
#[utoipa::path(get, path = "/api/v1/partners/targets", tag = "partners",
    params(("organization" = Option<String>, Query, description = "Only this organization's"),
           ("category" = Option<String>, Query, description = "Only targets in this category")),
    responses((status = 200, description = "Targets by organization", body = [PartnerTarget]),
              (status = 422, description = "A bad parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_targets(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryMap,
) -> ApiResult<Json<Vec<PartnerTarget>>> {
    let filter = TargetFilter {
        organization: query.parsed("organization", "an organization id"),
        category: query.checked("category", parse_category),
    };
    query.finish()?;
    Ok(Json(state.store.list_partner_targets(&caller.actor, &filter).await?))
}

/// A target: its current version, or `?version=`.
#[utoipa::path(get, path = "/api/v1/partners/targets/{id}", tag = "partners",
    params(("id" = String, Path, description = "Target id"), ("version" = Option<i64>, Query, description = "A version (default: the current one)")),
    responses((status = 200, description = "The target", body = PartnerTarget),
              (status = 404, description = "No such target that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_target(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Json<PartnerTarget>> {
    let id: PartnerTargetId = path_id(&id, "target")?;
    let version = query.parsed("version", "a version number");
    query.finish()?;
    Ok(Json(state.store.get_partner_target(&caller.actor, id, version).await?))
}

/// Edits a target: the body is the whole target as it should be; it becomes the next version,
/// re-submitted to the secretariat (the earlier versions stay readable).
#[utoipa::path(put, path = "/api/v1/partners/targets/{id}", tag = "partners", request_body = TargetSubmission, security(("bearer" = [])),
    params(("id" = String, Path, description = "Target id")),
    responses((status = 200, description = "The new version", body = PartnerTarget),
              (status = 403, description = "Another organization's target", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such target that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn edit_target(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(submission): Valid<TargetSubmission>,
) -> ApiResult<Json<PartnerTarget>> {
    let actor = caller.signed_in()?;
    let id: PartnerTargetId = path_id(&id, "target")?;
    Ok(Json(state.store.edit_partner_target(actor, id, submission).await?))
}

/// Every version of a target, oldest first.
#[utoipa::path(get, path = "/api/v1/partners/targets/{id}/versions", tag = "partners", params(("id" = String, Path, description = "Target id")),
    responses((status = 200, description = "The versions", body = [PartnerTarget]),
              (status = 404, description = "No such target that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_target_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PartnerTarget>>> {
    let id: PartnerTargetId = path_id(&id, "target")?;
    Ok(Json(state.store.list_partner_target_versions(&caller.actor, id).await?))
}

/// Reports progress on a target for a fiscal year: achievement band (0-19 ... 100), progress
/// status (計画通りでない / 一部計画通り / おおよそ計画通り / 計画通り), the current value when
/// not yet met; for projects a summary of the results (at most 400 characters). A band that
/// contradicts the values is accepted and flagged for the secretariat.
#[utoipa::path(post, path = "/api/v1/partners/targets/{id}/follow-ups", tag = "partners", request_body = FollowUpSubmission, security(("bearer" = [])),
    params(("id" = String, Path, description = "Target id")),
    responses((status = 201, description = "Stored, with its flags", body = FollowUp),
              (status = 403, description = "Another organization's target", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such target", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "A follow-up for this fiscal year exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn submit_follow_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(submission): Valid<FollowUpSubmission>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let id: PartnerTargetId = path_id(&id, "target")?;
    let follow_up = state.store.submit_follow_up(actor, id, submission).await?;
    let location = format!("{PARTNERS_PATH}/follow-ups?target={id}");
    Ok(created(&follow_up, location))
}

/// The follow-ups the caller may read.
#[utoipa::path(get, path = "/api/v1/partners/follow-ups", tag = "partners",
    params(("organization" = Option<String>, Query, description = "Only this organization's"),
           ("target" = Option<String>, Query, description = "Only those on this target")),
    responses((status = 200, description = "Follow-ups, oldest first", body = [FollowUp])))]
pub async fn list_follow_ups(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryMap,
) -> ApiResult<Json<Vec<FollowUp>>> {
    let filter = FollowUpFilter {
        organization: query.parsed("organization", "an organization id"),
        target: query.parsed("target", "a target id"),
    };
    query.finish()?;
    Ok(Json(state.store.list_follow_ups(&caller.actor, &filter).await?))
}

/// The measured progress of a target linked to a platform indicator: the value the platform
/// computes from stored records (the same computation as `GET /api/v1/indicators/{name}`) next
/// to the member's declared value and band, with the band the computed value suggests. `None`
/// when the target is not linked.
pub async fn measured_progress(
    store: &dyn Store,
    actor: &Actor,
    target: &PartnerTarget,
    follow_ups: &[FollowUp],
) -> StoreResult<Option<MeasuredProgress>> {
    let (Some(link), Some(quantitative)) = (&target.submission.linked_indicator, &target.submission.quantitative)
    else {
        return Ok(None);
    };
    let (Some(info), Ok(scope)) = (junkan_indicators::indicator(&link.indicator), Scope::parse(&link.scope)) else {
        return Ok(None);
    };
    let this_year = today(store).year();
    let period = FiscalYears {
        from: quantitative.baseline_year,
        to: this_year,
    };
    let computation = scope_computation(store, actor, info, &scope, period, None).await?;
    let latest = computation.periods.iter().rev().find_map(|period| {
        period
            .result
            .get(&link.output)
            .filter(|value| !value.is_null())
            .and_then(|value| value.to_string().parse::<Decimal>().ok())
            .map(|value| (period.fiscal_year, value))
    });
    let reason = match latest {
        Some(_) => None,
        None => Some(
            computation
                .periods
                .last()
                .and_then(|period| period.not_computable.first())
                .map(|missing| missing.reason.clone())
                .unwrap_or_else(|| "no records to compute it from".to_owned()),
        ),
    };
    let declared = follow_ups
        .iter()
        .filter(|follow_up| follow_up.target_id == target.id)
        .max_by_key(|follow_up| (follow_up.submission.fiscal_year, follow_up.submitted_at));
    Ok(Some(MeasuredProgress {
        fiscal_year: latest.map_or(this_year, |(year, _)| year),
        computed_value: latest.map(|(_, value)| value.round_dp(2)),
        not_computed_reason: reason,
        computed_share: latest.and_then(|(_, value)| quantitative.share_achieved(value)),
        suggested_band: latest.and_then(|(_, value)| quantitative.band_of(value)),
        declared_value: declared.and_then(|follow_up| follow_up.submission.current_value),
        declared_band: declared.and_then(|follow_up| follow_up.submission.achievement_band),
        computation_href: format!(
            "/api/v1/indicators/{}?scope={}&period={}/{}",
            link.indicator, link.scope, period.from, period.to
        ),
    }))
}

/// A target with its follow-ups and measured progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetProgress {
    /// The target.
    pub target: PartnerTarget,
    /// Its follow-ups, oldest first.
    pub follow_ups: Vec<FollowUp>,
    /// The computed value next to the declared one, when the target is linked to an indicator.
    pub measured: Option<MeasuredProgress>,
}

/// A target's progress: its follow-ups and, when linked to a platform indicator, the computed
/// value next to the declared one with the suggested band.
#[utoipa::path(get, path = "/api/v1/partners/targets/{id}/progress", tag = "partners", params(("id" = String, Path, description = "Target id")),
    responses((status = 200, description = "The progress", body = TargetProgress),
              (status = 404, description = "No such target that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_target_progress(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TargetProgress>> {
    let id: PartnerTargetId = path_id(&id, "target")?;
    let store = state.store.as_ref();
    let target = store.get_partner_target(&caller.actor, id, None).await?;
    let follow_ups = store
        .list_follow_ups(
            &caller.actor,
            &FollowUpFilter {
                target: Some(id),
                ..FollowUpFilter::default()
            },
        )
        .await?;
    let measured = measured_progress(store, &caller.actor, &target, &follow_ups).await?;
    Ok(Json(TargetProgress {
        target,
        follow_ups,
        measured,
    }))
}

/// What the caller may see of the partnership at once: memberships, current targets and
/// follow-ups, as the store lets it read them (three store calls).
#[derive(Debug, Clone)]
pub struct Overview {
    /// The memberships.
    pub memberships: Vec<Membership>,
    /// The current targets.
    pub targets: Vec<PartnerTarget>,
    /// The follow-ups.
    pub follow_ups: Vec<FollowUp>,
}

impl Overview {
    /// Reads what `actor` may see.
    pub async fn read(store: &dyn Store, actor: &Actor) -> StoreResult<Overview> {
        Ok(Overview {
            memberships: store.list_memberships(actor, &MembershipFilter::default()).await?,
            targets: store.list_partner_targets(actor, &TargetFilter::default()).await?,
            follow_ups: store.list_follow_ups(actor, &FollowUpFilter::default()).await?,
        })
    }

    /// Everything overdue on `today`, most overdue first.
    pub fn overdue(&self, today: Date) -> Vec<Overdue> {
        let mut owed: Vec<Overdue> = self
            .memberships
            .iter()
            .flat_map(|membership| {
                let targets: Vec<PartnerTarget> = self
                    .targets
                    .iter()
                    .filter(|target| target.membership_id == membership.id)
                    .cloned()
                    .collect();
                let follow_ups: Vec<FollowUp> = self
                    .follow_ups
                    .iter()
                    .filter(|follow_up| targets.iter().any(|target| target.id == follow_up.target_id))
                    .cloned()
                    .collect();
                overdue(
                    MemberRecords {
                        membership,
                        targets: &targets,
                        follow_ups: &follow_ups,
                    },
                    today,
                )
            })
            .collect();
        owed.sort_by(|a, b| {
            b.days_overdue
                .cmp(&a.days_overdue)
                .then_with(|| a.organization_name_ja.cmp(&b.organization_name_ja))
        });
        owed
    }

    /// The rows of the export: one per target and category (projects under `project`), sorted
    /// by category and member.
    pub fn export_rows(&self) -> Vec<ExportRow<'_>> {
        let mut rows = Vec::new();
        for target in &self.targets {
            let Some(membership) = self
                .memberships
                .iter()
                .find(|membership| membership.id == target.membership_id)
            else {
                continue;
            };
            if target.submission.categories.is_empty() {
                rows.push(ExportRow {
                    category: None,
                    membership,
                    target,
                });
            }
            for category in &target.submission.categories {
                rows.push(ExportRow {
                    category: Some(*category),
                    membership,
                    target,
                });
            }
        }
        rows.sort_by(|a, b| {
            (
                a.category.is_none(),
                a.category,
                &a.membership.organization_name_ja,
                a.target.id,
            )
                .cmp(&(
                    b.category.is_none(),
                    b.category,
                    &b.membership.organization_name_ja,
                    b.target.id,
                ))
        });
        rows
    }
}

/// One row of the export.
#[derive(Debug, Clone, Copy)]
pub struct ExportRow<'a> {
    /// The category (none for projects).
    pub category: Option<TargetCategory>,
    /// The member.
    pub membership: &'a Membership,
    /// The target.
    pub target: &'a PartnerTarget,
}

/// The export's header, in Japanese and English.
pub const EXPORT_HEADER: [&str; 21] = [
    "分類 / category",
    "会員 / member",
    "会員種別 / member type",
    "都道府県 / prefecture",
    "目標ID / target id",
    "版 / version",
    "目標内容 / content",
    "指標 / indicator",
    "対象範囲 / scope",
    "基準年 / baseline year",
    "基準値 / baseline value",
    "目標値 / target value",
    "単位 / unit",
    "目標年 / target year",
    "プロジェクト名 / project title",
    "開始日 / start date",
    "終了日 / end date",
    "終了予定 / end planned",
    "掲載先URL / publication URL",
    "提出日時 / submitted at",
    "公開 / published",
];

impl ExportRow<'_> {
    /// The cells, in the order of [`EXPORT_HEADER`].
    pub fn cells(&self) -> Vec<String> {
        let submission = &self.target.submission;
        let quantitative = submission.quantitative.as_ref();
        let project = submission.project.as_ref();
        vec![
            self.category.map_or_else(
                || "プロジェクト / project".to_owned(),
                |category| format!("{} / {}", category.label().0, category.label().1),
            ),
            self.membership.organization_name_ja.clone(),
            self.membership.member_type.label().0.to_owned(),
            self.membership.prefecture_code.clone().unwrap_or_default(),
            self.target.id.to_string(),
            self.target.version.to_string(),
            submission.content.clone().unwrap_or_default(),
            quantitative.map(|it| it.indicator.clone()).unwrap_or_default(),
            quantitative.map(|it| it.scope.clone()).unwrap_or_default(),
            quantitative.map(|it| it.baseline_year.to_string()).unwrap_or_default(),
            quantitative.map(|it| it.baseline_value.to_string()).unwrap_or_default(),
            quantitative.map(|it| it.target_value.to_string()).unwrap_or_default(),
            quantitative.map(|it| it.unit.clone()).unwrap_or_default(),
            quantitative.map(|it| it.target_year.to_string()).unwrap_or_default(),
            project.map(|it| it.title.clone()).unwrap_or_default(),
            project.map(|it| iso_date::format(it.start_date)).unwrap_or_default(),
            project.map(|it| iso_date::format(it.end_date)).unwrap_or_default(),
            project.map(|it| it.end_date_planned.to_string()).unwrap_or_default(),
            submission.publication_url.clone().unwrap_or_default(),
            self.target
                .submitted_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            self.target.published.to_string(),
        ]
    }
}

/// The statistics and the overdue list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretariatView {
    /// The date the overdue list is computed for (today in Japan).
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// The members counted.
    pub statistics: MemberStatistics,
    /// Current targets by category.
    pub targets_by_category: Vec<junkan_partners::progress::Count>,
    /// Follow-ups whose band contradicts their values.
    pub flagged_follow_ups: usize,
    /// Everything overdue, most overdue first.
    pub overdue: Vec<Overdue>,
}

/// Builds the secretariat's view from an overview.
pub fn secretariat_view(overview: &Overview, today: Date) -> SecretariatView {
    let targets_by_category = TargetCategory::ALL
        .into_iter()
        .map(|category| junkan_partners::progress::Count {
            key: category.as_str().to_owned(),
            count: overview
                .targets
                .iter()
                .filter(|target| target.submission.categories.contains(&category))
                .count() as u64,
        })
        .chain(std::iter::once(junkan_partners::progress::Count {
            key: "project".to_owned(),
            count: overview
                .targets
                .iter()
                .filter(|target| target.submission.project.is_some())
                .count() as u64,
        }))
        .collect();
    SecretariatView {
        as_of: today,
        statistics: statistics(&overview.memberships),
        targets_by_category,
        flagged_follow_ups: overview
            .follow_ups
            .iter()
            .filter(|follow_up| !follow_up.flags.is_empty())
            .count(),
        overdue: overview.overdue(today),
    }
}

/// The members counted by type, size class and prefecture, targets by category, and who is
/// overdue — over what the caller may read (the secretariat and auditors: everything).
#[utoipa::path(get, path = "/api/v1/partners/secretariat/overview", tag = "partners",
    responses((status = 200, description = "Statistics and the overdue list", body = SecretariatView)))]
pub async fn get_secretariat_view(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SecretariatView>> {
    let store = state.store.as_ref();
    let overview = Overview::read(store, &caller.actor).await?;
    Ok(Json(secretariat_view(&overview, today(store))))
}

/// The CSV text of the export (UTF-8 with a byte-order mark, so that spreadsheet programs read
/// the Japanese correctly).
pub fn export_csv(overview: &Overview) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut write = || -> Result<(), csv::Error> {
        writer.write_record(EXPORT_HEADER)?;
        for row in overview.export_rows() {
            writer.write_record(row.cells())?;
        }
        writer.flush()?;
        Ok(())
    };
    write().expect("writing CSV into memory cannot fail");
    writer.into_inner().unwrap_or_default()
}

/// The xlsx workbook of the export.
pub fn export_xlsx(overview: &Overview) -> Vec<u8> {
    let mut rows: Vec<Vec<String>> = vec![EXPORT_HEADER.iter().map(|cell| (*cell).to_owned()).collect()];
    rows.extend(overview.export_rows().iter().map(ExportRow::cells));
    crate::xlsx::workbook("targets", &rows)
}

/// Every current target the caller may read, one row per category (projects last), as CSV
/// (`?format=csv`, default) or Excel (`?format=xlsx`).
#[utoipa::path(get, path = "/api/v1/partners/targets/export", tag = "partners",
    params(("format" = Option<String>, Query, description = "csv (default) or xlsx")),
    responses((status = 200, description = "The export", content_type = "text/csv"),
              (status = 422, description = "Unknown format", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn export_targets(State(state): State<AppState>, caller: Caller, mut query: QueryMap) -> ApiResult<Response> {
    let format = query
        .checked("format", |text| match text {
            "csv" | "xlsx" => Ok(text.to_owned()),
            _ => Err("must be csv or xlsx".to_owned()),
        })
        .unwrap_or_else(|| "csv".to_owned());
    query.finish()?;
    let overview = Overview::read(state.store.as_ref(), &caller.actor).await?;
    Ok(export_response(&overview, &format))
}

/// The export of `overview` in `format` (`csv` or `xlsx`) as a download.
pub fn export_response(overview: &Overview, format: &str) -> Response {
    let (body, content_type) = if format == "xlsx" {
        (
            export_xlsx(overview),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        (export_csv(overview), "text/csv; charset=utf-8")
    };
    let disposition = format!("attachment; filename=\"cps-targets.{format}\"");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
