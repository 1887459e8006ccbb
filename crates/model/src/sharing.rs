//! Data sovereignty (データ主権): access requests (アクセス申請) and their decisions, dataset offers
//! (データセットの提供) published in the catalog, and grants written as ODRL 2.2 policies.
//!
//! A request asks an owner for a scope (kind of record, named records or a class, access level,
//! purpose, end date, optionally a number of reads). The owner approves it as asked, narrows it
//! (approves less: never more, which [`narrowed_scope`] checks field by field) or refuses it with
//! a reason; the requester may withdraw it while it is pending. An approval or narrowing creates
//! an ordinary grant, so the one read rule (`access::read_basis` and the store's `access.rs`)
//! applies to it like to any other grant.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::access::{check_terms, Grant, GrantLevel, Grantee, RecordClass, RecordKind};
use crate::ids::{AccessRequestId, DatasetOfferId, GrantId, OrganizationId};
use crate::validation::{check_text, Violation, Violations};

/// Where an access request stands. `revoked` and `expired` are those of the grant an approval
/// created; the stored state stays `approved` or `narrowed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// 審査中 / waiting for the owner.
    Pending,
    /// 承認 / granted as asked.
    Approved,
    /// 縮小承認 / granted with a narrower scope.
    Narrowed,
    /// 却下 / refused, with a reason.
    Refused,
    /// 取下げ / withdrawn by the requester.
    Withdrawn,
    /// 取消し / the resulting grant was revoked.
    Revoked,
    /// 期限切れ / the resulting grant expired.
    Expired,
}

impl RequestState {
    /// The stable text form used in storage and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Narrowed => "narrowed",
            RequestState::Refused => "refused",
            RequestState::Withdrawn => "withdrawn",
            RequestState::Revoked => "revoked",
            RequestState::Expired => "expired",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<RequestState> {
        [
            RequestState::Pending,
            RequestState::Approved,
            RequestState::Narrowed,
            RequestState::Refused,
            RequestState::Withdrawn,
            RequestState::Revoked,
            RequestState::Expired,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// The scope a request asks for or a decision grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccessScope {
    /// Which kind of record.
    pub record_kind: RecordKind,
    /// Which records; every record of the kind (or of the class) when absent.
    pub record_ids: Option<Vec<String>>,
    /// Only records of this class.
    pub record_class: Option<RecordClass>,
    /// How much of each record.
    pub level: GrantLevel,
    /// Until when.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// At most this many record reads; unlimited when absent.
    pub max_reads: Option<u64>,
    /// Only these fields of each record (JSON Pointers, `field_scope`); every field the level
    /// shows when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

/// A request for access to another organization's records.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccessRequest {
    /// The organization whose records are asked for.
    pub owner_organization_id: OrganizationId,
    /// The dataset offer the request answers, if any: the scope must stay within it.
    #[serde(default)]
    pub offer_id: Option<DatasetOfferId>,
    /// Which kind of record (a kind grants may cover).
    pub record_kind: RecordKind,
    /// Which records (1-1000 ids); every record of the kind (or class) when absent.
    #[serde(default)]
    pub record_ids: Option<Vec<String>>,
    /// Only records of this class.
    #[serde(default)]
    pub record_class: Option<RecordClass>,
    /// How much of each record.
    pub level: GrantLevel,
    /// What the data is for, up to 200 characters; the grant enforces it (`Junkan-Purpose`).
    pub purpose: String,
    /// Until when, in the future.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// At most this many record reads (1 to 1,000,000,000).
    #[serde(default)]
    pub max_reads: Option<u64>,
    /// A note to the owner, up to 2000 characters.
    #[serde(default)]
    pub message: Option<String>,
    /// Only these fields of each record: top-level member names or JSON Pointers (1-100, kept as
    /// pointers); passports and events only. Every field the level shows when absent.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

impl NewAccessRequest {
    /// Checks every rule the request alone decides and returns every violation.
    pub fn validate(&self, requester: OrganizationId, now: OffsetDateTime) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        if self.owner_organization_id == requester {
            violations.push(
                "/owner_organization_id",
                "an organization already reads its own records; a request goes to another organization",
            );
        }
        if !self.record_kind.is_grantable() {
            violations.push(
                "/record_kind",
                format!("{} records are not shared through grants", self.record_kind.as_str()),
            );
        }
        check_record_ids(&mut violations, self.record_ids.as_deref());
        violations.check("/purpose", check_text(&self.purpose, 200));
        if self.expires_at <= now {
            violations.push("/expires_at", "must be in the future");
        }
        if let Some(message) = &self.message {
            violations.check("/message", check_text(message, 2000));
        }
        check_terms(
            &mut violations,
            self.record_kind,
            self.record_class.as_ref(),
            self.max_reads,
        );
        crate::field_scope::check_fields(&mut violations, "/fields", self.record_kind, self.fields.as_deref());
        violations.into_result()
    }

    /// The scope asked for (fields in their pointer form).
    pub fn scope(&self) -> AccessScope {
        AccessScope {
            record_kind: self.record_kind,
            record_ids: self.record_ids.clone(),
            record_class: self.record_class.clone(),
            level: self.level,
            expires_at: self.expires_at,
            max_reads: self.max_reads,
            fields: self.fields.as_deref().map(crate::field_scope::normalized_fields),
        }
    }
}

fn check_record_ids(violations: &mut Violations, ids: Option<&[String]>) {
    if let Some(ids) = ids {
        if ids.is_empty() || ids.len() > 1000 {
            violations.push(
                "/record_ids",
                "must list 1 to 1000 ids, or be left out to cover every record of the kind",
            );
        }
        for (index, id) in ids.iter().enumerate() {
            if id.trim().is_empty() || id.len() > 512 {
                violations.push(
                    format!("/record_ids/{index}"),
                    "must be a record id of 1-512 characters",
                );
            }
        }
    }
}

/// An access request with its decision.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AccessRequest {
    /// Identifier.
    pub id: AccessRequestId,
    /// The organization asking.
    pub requester_organization_id: OrganizationId,
    /// The organization asked.
    pub owner_organization_id: OrganizationId,
    /// The dataset offer the request answers.
    pub offer_id: Option<DatasetOfferId>,
    /// The scope asked for.
    pub requested: AccessScope,
    /// What the data is for.
    pub purpose: String,
    /// The requester's note.
    pub message: Option<String>,
    /// Where the request stands now (`revoked` / `expired` follow the resulting grant).
    pub state: RequestState,
    /// Who asked (principal id).
    pub requested_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who decided or withdrew (principal id).
    pub decided_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// The owner's reason (refusal, or why it was narrowed).
    pub reason: Option<String>,
    /// The scope granted (approved or narrowed).
    pub granted: Option<AccessScope>,
    /// The grant the decision created.
    pub grant_id: Option<GrantId>,
}

/// A narrower approval: each member given replaces the asked one and must not widen it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Narrowing {
    /// Fewer records: a subset of the ids asked for, or named records when every record (of the
    /// class) was asked for.
    #[serde(default)]
    pub record_ids: Option<Vec<String>>,
    /// A lower level.
    #[serde(default)]
    pub level: Option<GrantLevel>,
    /// An earlier end.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Fewer reads.
    #[serde(default)]
    pub max_reads: Option<u64>,
    /// Fewer fields: each one asked for or under one asked for (a member of an object asked
    /// for), or any fields when every field was asked for.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Why, up to 2000 characters (shown to the requester).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A refusal.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Why, 1-2000 characters (shown to the requester).
    pub reason: String,
}

impl Refusal {
    /// Checks the reason.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/reason", check_text(&self.reason, 2000));
        violations.into_result()
    }
}

/// The scope a narrowing grants, or every way in which it would widen the request (each with its
/// JSON pointer into the narrowing). Something must be narrower: a narrowing that changes nothing
/// is an approval.
pub fn narrowed_scope(
    asked: &AccessScope,
    narrowing: &Narrowing,
    now: OffsetDateTime,
) -> Result<AccessScope, Vec<Violation>> {
    let mut violations = Violations::new();
    let mut scope = asked.clone();
    let mut narrower = false;
    if let Some(ids) = &narrowing.record_ids {
        check_record_ids(&mut violations, Some(ids));
        if let Some(asked_ids) = &asked.record_ids {
            for (index, id) in ids.iter().enumerate() {
                if !asked_ids.contains(id) {
                    violations.push(
                        format!("/record_ids/{index}"),
                        format!("{id} was not asked for: a narrowing keeps a subset of the records asked for"),
                    );
                }
            }
            let mut distinct = ids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            narrower |= distinct.len() < asked_ids.len();
        } else {
            narrower = true;
        }
        scope.record_ids = Some(ids.clone());
    }
    if let Some(level) = narrowing.level {
        if level > asked.level {
            violations.push(
                "/level",
                format!(
                    "{} is wider than the {} asked for",
                    level.as_str(),
                    asked.level.as_str()
                ),
            );
        }
        narrower |= level < asked.level;
        scope.level = level;
    }
    if let Some(expires_at) = narrowing.expires_at {
        if expires_at > asked.expires_at {
            violations.push("/expires_at", "must not be later than the end asked for");
        }
        if expires_at <= now {
            violations.push("/expires_at", "must be in the future");
        }
        narrower |= expires_at < asked.expires_at;
        scope.expires_at = expires_at;
    }
    if let Some(max_reads) = narrowing.max_reads {
        check_terms(&mut violations, asked.record_kind, None, Some(max_reads));
        match asked.max_reads {
            Some(asked_reads) if max_reads > asked_reads => violations.push(
                "/max_reads",
                format!("{max_reads} reads is more than the {asked_reads} asked for"),
            ),
            Some(asked_reads) => narrower |= max_reads < asked_reads,
            None => narrower = true,
        }
        scope.max_reads = Some(max_reads);
    }
    if let Some(fields) = &narrowing.fields {
        let before = violations.len();
        crate::field_scope::check_fields(&mut violations, "/fields", asked.record_kind, Some(fields));
        if violations.len() == before {
            let kept = crate::field_scope::normalized_fields(fields);
            match &asked.fields {
                Some(asked_fields) => {
                    for (index, field) in fields.iter().enumerate() {
                        let pointer = crate::field_scope::normalize_field(field).unwrap_or_default();
                        if !crate::field_scope::within(&pointer, asked_fields) {
                            violations.push(
                                format!("/fields/{index}"),
                                format!(
                                    "{field} was not asked for: a narrowing keeps fields asked for, or members of them"
                                ),
                            );
                        }
                    }
                    narrower |= kept != *asked_fields;
                }
                None => narrower = true,
            }
            scope.fields = Some(kept);
        }
    }
    if let Some(reason) = &narrowing.reason {
        violations.check("/reason", check_text(reason, 2000));
    }
    if violations.is_empty() && !narrower {
        violations.push(
            "",
            "the narrowing grants exactly what was asked for: approve the request instead",
        );
    }
    violations.into_result().map(|()| scope)
}

/// A dataset an organization offers in the node's catalog (DCAT 3 `dcat:Dataset` with an ODRL
/// `odrl:Offer`): a kind of record (optionally a class), the level and terms under which others
/// may request it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DatasetOffer {
    /// Identifier.
    pub id: DatasetOfferId,
    /// The offering organization.
    pub owner_organization_id: OrganizationId,
    /// Title in Japanese.
    pub title_ja: String,
    /// Title in English.
    pub title_en: String,
    /// Description in Japanese.
    pub description_ja: String,
    /// Description in English.
    pub description_en: String,
    /// The kind of record offered.
    pub record_kind: RecordKind,
    /// Only records of this class.
    pub record_class: Option<RecordClass>,
    /// The highest level a request may ask for.
    pub level: GrantLevel,
    /// The purpose the offer is made for; requests must name it when set.
    pub purpose: Option<String>,
    /// The longest grant, in days, the owner gives under the offer.
    pub max_duration_days: Option<u32>,
    /// Listed in the catalog for anonymous readers too (else only for signed-in ones).
    pub public: bool,
    /// Who created it (principal id).
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was withdrawn from the catalog.
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
    /// Only these fields of each record (JSON Pointers); requests under the offer stay within
    /// them. Every field the level shows when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

/// A new dataset offer of the caller's organization.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDatasetOffer {
    /// Title in Japanese, 1-200 characters.
    pub title_ja: String,
    /// Title in English, 1-200 characters.
    pub title_en: String,
    /// Description in Japanese, 1-2000 characters.
    pub description_ja: String,
    /// Description in English, 1-2000 characters.
    pub description_en: String,
    /// The kind of record offered (a kind grants may cover).
    pub record_kind: RecordKind,
    /// Only records of this class.
    #[serde(default)]
    pub record_class: Option<RecordClass>,
    /// The highest level a request may ask for.
    pub level: GrantLevel,
    /// The purpose the offer is made for.
    #[serde(default)]
    pub purpose: Option<String>,
    /// The longest grant in days (1-3650).
    #[serde(default)]
    pub max_duration_days: Option<u32>,
    /// Listed for anonymous readers too (default false).
    #[serde(default)]
    pub public: bool,
    /// Only these fields of each record: top-level member names or JSON Pointers (1-100, kept as
    /// pointers); passports and events only. Every field the level shows when absent.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

impl NewDatasetOffer {
    /// Checks every rule and returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/title_ja", check_text(&self.title_ja, 200));
        violations.check("/title_en", check_text(&self.title_en, 200));
        violations.check("/description_ja", check_text(&self.description_ja, 2000));
        violations.check("/description_en", check_text(&self.description_en, 2000));
        if !self.record_kind.is_grantable() {
            violations.push(
                "/record_kind",
                format!("{} records are not shared through grants", self.record_kind.as_str()),
            );
        }
        if let Some(purpose) = &self.purpose {
            violations.check("/purpose", check_text(purpose, 200));
        }
        if let Some(days) = self.max_duration_days {
            if !(1..=3650).contains(&days) {
                violations.push("/max_duration_days", "must be 1 to 3650 days");
            }
        }
        check_terms(&mut violations, self.record_kind, self.record_class.as_ref(), None);
        crate::field_scope::check_fields(&mut violations, "/fields", self.record_kind, self.fields.as_deref());
        violations.into_result()
    }
}

/// Checks that a request stays within the offer it names; every violation with its pointer into
/// the request.
pub fn check_within_offer(offer: &DatasetOffer, request: &NewAccessRequest, now: OffsetDateTime) -> Vec<Violation> {
    let mut violations = Violations::new();
    if offer.owner_organization_id != request.owner_organization_id {
        violations.push("/offer_id", "the offer is not one of the owner's");
    }
    if offer.record_kind != request.record_kind {
        violations.push(
            "/record_kind",
            format!("the offer covers {} records", offer.record_kind.as_str()),
        );
    }
    if let Some(class) = &offer.record_class {
        if request.record_class.as_ref() != Some(class) && request.record_ids.is_none() {
            violations.push(
                "/record_class",
                format!("the offer covers only the class {}", class.to_stored()),
            );
        }
    }
    if request.level > offer.level {
        violations.push("/level", format!("the offer gives at most {}", offer.level.as_str()));
    }
    if let Some(purpose) = &offer.purpose {
        if &request.purpose != purpose {
            violations.push("/purpose", format!("the offer is made for the purpose {purpose:?}"));
        }
    }
    if let Some(days) = offer.max_duration_days {
        if request.expires_at > now + time::Duration::days(i64::from(days)) {
            violations.push("/expires_at", format!("the offer gives grants of at most {days} days"));
        }
    }
    if offer.withdrawn_at.is_some() {
        violations.push("/offer_id", "the offer was withdrawn");
    }
    // Fields asked for must be the offer's or members of them; a request naming none takes the
    // offer's (`offered_scope`).
    if let (Some(offered), Some(asked)) = (&offer.fields, &request.fields) {
        for (index, field) in asked.iter().enumerate() {
            let within = crate::field_scope::normalize_field(field)
                .is_ok_and(|pointer| crate::field_scope::within(&pointer, offered));
            if !within {
                violations.push(
                    format!("/fields/{index}"),
                    format!("the offer shares only the fields {}", offered.join(", ")),
                );
            }
        }
    }
    violations.into_result().err().unwrap_or_default()
}

/// The scope a request under `offer` asks for: the request's own, with the offer's fields when
/// the request names none (an offer of some fields never grants more).
pub fn offered_scope(offer: Option<&DatasetOffer>, request: &NewAccessRequest) -> AccessScope {
    let mut scope = request.scope();
    if scope.fields.is_none() {
        scope.fields = offer.and_then(|offer| offer.fields.clone());
    }
    scope
}

/// The URN of an organization in policies and catalogs.
pub fn organization_urn(id: OrganizationId) -> String {
    format!("urn:junkan:organization:{id}")
}

/// The URN of a grantee (ODRL `assignee`: a party, or a party collection for classes).
pub fn grantee_urn(grantee: &Grantee) -> String {
    match grantee {
        Grantee::Organization { organization_id } => organization_urn(*organization_id),
        Grantee::Role { role } => format!("urn:junkan:role:{}", role.as_str()),
        Grantee::Certification { scheme } => format!("urn:junkan:certification:{scheme}"),
        Grantee::RoleWithCertification { role, scheme } => {
            format!("urn:junkan:role:{}:certification:{scheme}", role.as_str())
        }
    }
}

/// The id of an offer's ODRL policy, which a contract negotiation names.
pub fn offer_policy_id(id: DatasetOfferId) -> String {
    format!("urn:junkan:offer:{id}")
}

/// The id of a dataset in the catalog.
pub fn dataset_urn(id: DatasetOfferId) -> String {
    format!("urn:uuid:{id}")
}

/// The JSON-LD `@context` of junkan's policies and catalog: the Dataspace Protocol 2025-1 context
/// (which brings DCAT, DCT and ODRL) and junkan's own terms.
pub const POLICY_CONTEXT: [&str; 2] = [
    "https://w3id.org/dspace/2025/1/context.jsonld",
    "https://w3id.org/junkan/odrl-profile/v1/context.jsonld",
];

fn date_time(value: OffsetDateTime) -> String {
    value.format(&Rfc3339).unwrap_or_default()
}

/// The ODRL action of a level: the full record is `odrl:use`, the fields for parties with a
/// legitimate interest `odrl:read` (a narrower action).
fn action_of(level: GrantLevel) -> &'static str {
    match level {
        GrantLevel::Full => "odrl:use",
        GrantLevel::LegitimateInterest => "odrl:read",
    }
}

/// The constraint of a policy limited to some fields (項目の範囲): `junkan:field isAnyOf
/// [pointers]`. A constraint of the permission rather than a refinement of the target, because
/// the Dataspace Protocol's `Agreement` schema requires `target` to be an IRI string.
pub fn fields_constraint(fields: &[String]) -> Value {
    json!({"leftOperand": "junkan:field", "operator": "isAnyOf", "rightOperand": fields})
}

fn class_constraint(class: &RecordClass) -> Value {
    json!({"leftOperand": "junkan:recordClass", "operator": "eq", "rightOperand": class.to_stored()})
}

/// The ODRL 2.2 policy of a grant: an `Agreement` between the owner (assigner) and the grantee
/// (assignee) with one permission whose constraints are the grant's terms: purpose (when
/// enforced), end (`odrl:dateTime lteq`), read count (`odrl:count lteq`), record class and
/// fields (`junkan:field isAnyOf`).
/// `target` names the offer's dataset when the grant came from one, else the owner's records of
/// the kind (`urn:junkan:records:<owner>:<kind>`), with the named record ids in `junkan:recordIds`.
pub fn grant_policy(grant: &Grant) -> Value {
    let mut constraints = Vec::new();
    if grant.enforce_purpose {
        if let Some(purpose) = &grant.purpose {
            constraints.push(json!({"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": purpose}));
        }
    }
    constraints.push(json!({"leftOperand": "odrl:dateTime", "operator": "lteq",
        "rightOperand": {"@value": date_time(grant.expires_at), "@type": "xsd:dateTime"}}));
    if let Some(max_reads) = grant.max_reads {
        constraints.push(json!({"leftOperand": "odrl:count", "operator": "lteq",
            "rightOperand": {"@value": max_reads.to_string(), "@type": "xsd:integer"}}));
    }
    if let Some(class) = &grant.record_class {
        constraints.push(class_constraint(class));
    }
    if let Some(fields) = &grant.fields {
        constraints.push(fields_constraint(fields));
    }
    let target = match grant.offer_id {
        Some(offer) => dataset_urn(offer),
        None => format!(
            "urn:junkan:records:{}:{}",
            grant.owner_organization_id,
            grant.record_kind.as_str()
        ),
    };

    let mut policy = json!({
        "@context": POLICY_CONTEXT,
        "@id": format!("urn:uuid:{}", grant.id),
        "@type": "Agreement",
        "profile": "https://w3id.org/junkan/odrl-profile/v1",
        "target": target,
        "assigner": organization_urn(grant.owner_organization_id),
        "assignee": grantee_urn(&grant.grantee),
        "timestamp": date_time(grant.created_at),
        "permission": [{"action": action_of(grant.level), "constraint": constraints}],
        "junkan:recordKind": grant.record_kind.as_str(),
        "junkan:level": grant.level.as_str(),
        "junkan:state": if grant.revoked_at.is_some() { "revoked" } else { "granted" },
    });
    if let Some(ids) = &grant.record_ids {
        policy["junkan:recordIds"] = json!(ids);
    }
    if let Some(revoked_at) = grant.revoked_at {
        policy["junkan:revokedAt"] = json!(date_time(revoked_at));
    }
    policy
}

/// The ODRL `Offer` of a dataset offer, as the catalog's `hasPolicy` carries it (no `target`: the
/// dataset that holds it is the target, as the Dataspace Protocol asks). Its `@id` is what an
/// access request or contract negotiation names.
pub fn offer_policy(offer: &DatasetOffer) -> Value {
    let mut constraints = Vec::new();
    if let Some(purpose) = &offer.purpose {
        constraints.push(json!({"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": purpose}));
    }
    if let Some(days) = offer.max_duration_days {
        constraints.push(json!({"leftOperand": "odrl:elapsedTime", "operator": "lteq",
            "rightOperand": {"@value": format!("P{days}D"), "@type": "xsd:duration"}}));
    }
    if let Some(class) = &offer.record_class {
        constraints.push(class_constraint(class));
    }
    if let Some(fields) = &offer.fields {
        constraints.push(fields_constraint(fields));
    }
    let mut permission = json!({"action": action_of(offer.level)});
    if !constraints.is_empty() {
        permission["constraint"] = Value::Array(constraints);
    }
    json!({
        "@id": offer_policy_id(offer.id),
        "@type": "Offer",
        "assigner": organization_urn(offer.owner_organization_id),
        "permission": [permission],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(ids: Option<&[&str]>, level: GrantLevel, max_reads: Option<u64>) -> AccessScope {
        AccessScope {
            record_kind: RecordKind::Passport,
            record_ids: ids.map(|ids| ids.iter().map(|id| (*id).to_owned()).collect()),
            record_class: None,
            level,
            expires_at: OffsetDateTime::UNIX_EPOCH + time::Duration::days(400),
            max_reads,
            fields: Some(vec!["/a".to_owned(), "/b".to_owned()]),
        }
    }

    fn pointers(result: Result<AccessScope, Vec<Violation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|violation| violation.path)
            .collect()
    }

    #[test]
    fn narrowing_never_widens() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let asked = scope(Some(&["a", "b"]), GrantLevel::LegitimateInterest, Some(10));
        let widen = Narrowing {
            record_ids: Some(vec!["a".to_owned(), "c".to_owned()]),
            level: Some(GrantLevel::Full),
            expires_at: Some(asked.expires_at + time::Duration::days(1)),
            max_reads: Some(11),
            fields: Some(vec!["a".to_owned(), "/c".to_owned()]),
            reason: None,
        };
        assert_eq!(
            pointers(narrowed_scope(&asked, &widen, now)),
            ["/record_ids/1", "/level", "/expires_at", "/max_reads", "/fields/1"]
        );
        // A member of a field asked for is narrower; the same fields in another spelling are not.
        let member = Narrowing {
            fields: Some(vec!["/a/x".to_owned()]),
            ..Narrowing::default()
        };
        assert_eq!(
            narrowed_scope(&asked, &member, now).expect("a member narrows").fields,
            Some(vec!["/a/x".to_owned()])
        );
        let respelled = Narrowing {
            fields: Some(vec!["b".to_owned(), "/a".to_owned()]),
            ..Narrowing::default()
        };
        assert_eq!(pointers(narrowed_scope(&asked, &respelled, now)), [""]);
        let same = Narrowing {
            level: Some(GrantLevel::LegitimateInterest),
            ..Narrowing::default()
        };
        assert_eq!(pointers(narrowed_scope(&asked, &same, now)), [""]);
        let fewer = Narrowing {
            record_ids: Some(vec!["a".to_owned()]),
            max_reads: Some(3),
            ..Narrowing::default()
        };
        let granted = narrowed_scope(&asked, &fewer, now).expect("a subset narrows");
        assert_eq!(granted.record_ids, Some(vec!["a".to_owned()]));
        assert_eq!(granted.max_reads, Some(3));
        // Naming records when every record was asked for, or limiting unlimited reads, narrows.
        let all = scope(None, GrantLevel::Full, None);
        assert!(narrowed_scope(&all, &fewer, now).is_ok());
        let past = Narrowing {
            expires_at: Some(now - time::Duration::days(1)),
            ..Narrowing::default()
        };
        assert_eq!(pointers(narrowed_scope(&all, &past, now)), ["/expires_at"]);
    }

    #[test]
    fn grant_as_odrl_agreement() {
        let grant = Grant {
            id: GrantId::derived("g"),
            owner_organization_id: OrganizationId::derived("owner"),
            grantee: Grantee::Organization {
                organization_id: OrganizationId::derived("reader"),
            },
            record_kind: RecordKind::Passport,
            record_ids: None,
            level: GrantLevel::LegitimateInterest,
            purpose: Some("dismantling".to_owned()),
            expires_at: OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 60),
            created_by: "u".to_owned(),
            created_at: OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 56),
            revoked_at: None,
            record_class: Some(RecordClass::Profile {
                profile: "battery".to_owned(),
            }),
            max_reads: Some(5),
            reads_used: 0,
            enforce_purpose: true,
            access_request_id: None,
            offer_id: None,
            fields: Some(vec!["/dismantling".to_owned()]),
        };
        let policy = grant_policy(&grant);
        assert_eq!(policy["@type"], "Agreement");
        assert_eq!(policy["permission"][0]["action"], "odrl:read");
        let constraints = policy["permission"][0]["constraint"]
            .as_array()
            .expect("constraints")
            .iter()
            .map(|constraint| {
                format!(
                    "{} {} {}",
                    constraint["leftOperand"].as_str().unwrap_or_default(),
                    constraint["operator"].as_str().unwrap_or_default(),
                    constraint["rightOperand"]
                )
            })
            .collect::<Vec<_>>();
        expect_test::expect![[r#"
            [
                "odrl:purpose eq \"dismantling\"",
                "odrl:dateTime lteq {\"@type\":\"xsd:dateTime\",\"@value\":\"2029-12-17T00:00:00Z\"}",
                "odrl:count lteq {\"@type\":\"xsd:integer\",\"@value\":\"5\"}",
                "junkan:recordClass eq \"profile:battery\"",
                "junkan:field isAnyOf [\"/dismantling\"]",
            ]
        "#]]
        .assert_debug_eq(&constraints);
    }
}
