//! Access control: access levels, grants and the certifications grants may name.
//!
//! The rule, stated once here and applied by every store backend in the same place for every kind
//! of record: a record is readable by its owner organization; by anyone if it is public; by a
//! holder of an unexpired, unrevoked grant of its owner that covers it; and by auditors. Reads that
//! rely on a grant or on the auditor role are audited.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{AccessRequestId, CertificationId, DatasetOfferId, GrantId, OrganizationId};
use crate::organization::CycleRole;
use crate::principal::{Actor, Role};
use crate::validation::{check_text, Violation, Violations};

/// How much of a record a reader may see, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// 一般公開 / what anyone may see.
    Public,
    /// 正当な利益を有する者 / parties with a legitimate interest (e.g. recyclers, repairers).
    LegitimateInterest,
    /// 当局 / authorities and auditors.
    Authority,
    /// 所有者 / the owning organization, and holders of a full grant.
    Owner,
}

/// The level a grant gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantLevel {
    /// Fields marked for parties with a legitimate interest.
    LegitimateInterest,
    /// Everything the owner sees.
    Full,
}

impl GrantLevel {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantLevel::LegitimateInterest => "legitimate_interest",
            GrantLevel::Full => "full",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<GrantLevel> {
        [GrantLevel::LegitimateInterest, GrantLevel::Full]
            .into_iter()
            .find(|level| level.as_str() == text)
    }

    /// The access level this grant gives.
    pub fn access_level(self) -> AccessLevel {
        match self {
            GrantLevel::LegitimateInterest => AccessLevel::LegitimateInterest,
            GrantLevel::Full => AccessLevel::Owner,
        }
    }
}

/// The kinds of record access control covers. Later capabilities (passports, events, footprints)
/// add their kinds here and reuse the same grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// An organization's directory entry (public).
    Organization,
    /// A facility or plant.
    Facility,
    /// A user account.
    User,
    /// An OAuth client credential.
    Client,
    /// An API key.
    ApiKey,
    /// An access grant.
    Grant,
    /// A certification.
    Certification,
    /// An industry code.
    Industry,
    /// An EPCIS event.
    Event,
    /// An EPCIS capture job.
    Capture,
    /// A named EPCIS query.
    Query,
    /// An EPCIS query subscription.
    Subscription,
    /// A product or material passport.
    Passport,
    /// A passport profile.
    Profile,
    /// A product carbon footprint (CFP).
    Footprint,
    /// A PACT partner of the node (its host, credentials and notifications).
    PactPartner,
    /// An Ouranos part (部品) with its structure, CFP and CFP certifications.
    OuranosPart,
    /// An Ouranos trade (取引関係) with its request status.
    OuranosTrade,
    /// A material-flow record (物質フロー) of a region and fiscal year.
    MaterialFlow,
    /// A stored indicator value (指標値) of a scope and fiscal year.
    IndicatorValue,
    /// An indicator target (目標値) of a scope.
    IndicatorTarget,
    /// A chain-of-custody ledger (CoC 台帳) with its inputs and claims.
    Ledger,
    /// A Circular Partners membership or application (サーキュラーパートナーズ会員).
    PartnerMembership,
    /// A Circular Partners target (CPs 目標), all its versions.
    PartnerTarget,
    /// A follow-up report (フォローアップ) on a Circular Partners target.
    PartnerFollowUp,
    /// The node's designation of the Circular Partners secretariat (事務局).
    PartnerSecretariat,
    /// A conformity certificate (適合性証明) about a passport, footprint or facility.
    Certificate,
    /// A certification scheme (認証制度) conformity certificates can name.
    CertificateScheme,
    /// An Ed25519 signing key (署名鍵) of the node or of an organization; its secret is never
    /// part of what the log commits to.
    SigningKey,
    /// A verifiable credential (検証可能なクレデンシャル) an organization issued, with its
    /// revocation status-list entry.
    Credential,
    /// An access request (アクセス申請) and its decision.
    AccessRequest,
    /// A dataset offer (データセットの提供) published in the catalog.
    DatasetOffer,
    /// A Dataspace Protocol contract negotiation (契約交渉), provider or consumer side.
    DspNegotiation,
    /// A Dataspace Protocol transfer process (データ転送), provider or consumer side.
    DspTransfer,
    /// A peer node (連携ノード) registered for federation.
    Peer,
    /// An access request sent to a peer node, with the peer's last answer.
    RemoteRequest,
    /// A record received from a peer node with the provider's credential.
    ReceivedRecord,
}

impl RecordKind {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Organization => "organization",
            RecordKind::Facility => "facility",
            RecordKind::User => "user",
            RecordKind::Client => "client",
            RecordKind::ApiKey => "api_key",
            RecordKind::Grant => "grant",
            RecordKind::Certification => "certification",
            RecordKind::Industry => "industry",
            RecordKind::Event => "event",
            RecordKind::Capture => "capture",
            RecordKind::Query => "query",
            RecordKind::Subscription => "subscription",
            RecordKind::Passport => "passport",
            RecordKind::Profile => "profile",
            RecordKind::Footprint => "footprint",
            RecordKind::PactPartner => "pact_partner",
            RecordKind::OuranosPart => "ouranos_part",
            RecordKind::OuranosTrade => "ouranos_trade",
            RecordKind::MaterialFlow => "material_flow",
            RecordKind::IndicatorValue => "indicator_value",
            RecordKind::IndicatorTarget => "indicator_target",
            RecordKind::Ledger => "ledger",
            RecordKind::PartnerMembership => "partner_membership",
            RecordKind::PartnerTarget => "partner_target",
            RecordKind::PartnerFollowUp => "partner_follow_up",
            RecordKind::PartnerSecretariat => "partner_secretariat",
            RecordKind::Certificate => "certificate",
            RecordKind::CertificateScheme => "certificate_scheme",
            RecordKind::SigningKey => "signing_key",
            RecordKind::Credential => "credential",
            RecordKind::AccessRequest => "access_request",
            RecordKind::DatasetOffer => "dataset_offer",
            RecordKind::DspNegotiation => "dsp_negotiation",
            RecordKind::DspTransfer => "dsp_transfer",
            RecordKind::Peer => "peer",
            RecordKind::RemoteRequest => "remote_request",
            RecordKind::ReceivedRecord => "received_record",
        }
    }

    /// The kinds a grant may cover: records holding an organization's own data.
    pub fn is_grantable(self) -> bool {
        matches!(
            self,
            RecordKind::Facility
                | RecordKind::Event
                | RecordKind::Passport
                | RecordKind::Footprint
                | RecordKind::MaterialFlow
                | RecordKind::IndicatorValue
                | RecordKind::IndicatorTarget
                | RecordKind::Ledger
        )
    }
}

/// Who a grant is given to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Grantee {
    /// One organization.
    Organization {
        /// The organization.
        organization_id: OrganizationId,
    },
    /// Every organization playing a role in the cycle, e.g. all recyclers.
    Role {
        /// The role.
        role: CycleRole,
    },
    /// Every organization holding a valid certification of a scheme.
    Certification {
        /// The certification scheme, e.g. `recycled_content`.
        scheme: String,
    },
    /// Every organization that plays `role` AND holds a valid certification of `scheme` (a
    /// standing rule's combined grantee, e.g. every certified recycler).
    RoleWithCertification {
        /// The role.
        role: CycleRole,
        /// The certification scheme.
        scheme: String,
    },
}

impl Grantee {
    /// The stored pair (kind, value).
    pub fn to_parts(&self) -> (&'static str, String) {
        match self {
            Grantee::Organization { organization_id } => ("organization", organization_id.to_string()),
            Grantee::Role { role } => ("role", role.as_str().to_owned()),
            Grantee::Certification { scheme } => ("certification", scheme.clone()),
            Grantee::RoleWithCertification { role, scheme } => {
                ("role_certification", format!("{}:{scheme}", role.as_str()))
            }
        }
    }

    /// Rebuilds a grantee from its stored pair.
    pub fn from_parts(kind: &str, value: &str) -> Option<Grantee> {
        match kind {
            "organization" => value
                .parse()
                .ok()
                .map(|organization_id| Grantee::Organization { organization_id }),
            "role" => CycleRole::parse(value).map(|role| Grantee::Role { role }),
            "certification" => Some(Grantee::Certification {
                scheme: value.to_owned(),
            }),
            "role_certification" => {
                let (role, scheme) = value.split_once(':')?;
                Some(Grantee::RoleWithCertification {
                    role: CycleRole::parse(role)?,
                    scheme: scheme.to_owned(),
                })
            }
            _ => None,
        }
    }
}

/// An access grant: the owner lets a grantee read some of its records at a level until a time.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Grant {
    /// Identifier.
    pub id: GrantId,
    /// The organization whose records are shared.
    pub owner_organization_id: OrganizationId,
    /// Who may read.
    pub grantee: Grantee,
    /// Which kind of record.
    pub record_kind: RecordKind,
    /// Which records: these ids, or every record of the kind when absent.
    pub record_ids: Option<Vec<String>>,
    /// How much may be read.
    pub level: GrantLevel,
    /// What the grant is for.
    pub purpose: Option<String>,
    /// When the grant ends by itself.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Who created it (principal id).
    pub created_by: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Only records of this class (passports of a profile, events of a product class).
    pub record_class: Option<RecordClass>,
    /// At most this many record reads under the grant, then it covers nothing more.
    pub max_reads: Option<u64>,
    /// Record reads made under the grant so far (counted only when `max_reads` is set).
    pub reads_used: u64,
    /// Whether `purpose` is a constraint: reads under the grant must name it in `Junkan-Purpose`.
    pub enforce_purpose: bool,
    /// The access request (アクセス申請) the grant answers, when it came from one.
    pub access_request_id: Option<AccessRequestId>,
    /// The dataset offer the grant was given under, when one was named.
    pub offer_id: Option<DatasetOfferId>,
    /// Only these fields of each record (JSON Pointers, `field_scope`); every field the level
    /// shows when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

impl Grant {
    /// Whether the grant is in force at `now`.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A request to grant access to the caller organization's records.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    /// Who may read.
    pub grantee: Grantee,
    /// Which kind of record.
    pub record_kind: RecordKind,
    /// Which records (1-1000 ids); every record of the kind when absent.
    #[serde(default)]
    pub record_ids: Option<Vec<String>>,
    /// How much may be read.
    pub level: GrantLevel,
    /// What the grant is for, up to 200 characters.
    #[serde(default)]
    pub purpose: Option<String>,
    /// When the grant ends by itself: required, in the future.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Only records of this class; every record of the kind (or the named ones) when absent.
    #[serde(default)]
    pub record_class: Option<RecordClass>,
    /// At most this many record reads (1 to 1,000,000,000); unlimited when absent.
    #[serde(default)]
    pub max_reads: Option<u64>,
    /// Makes `purpose` a constraint (ODRL `purpose`): reads must carry it in `Junkan-Purpose`.
    #[serde(default)]
    pub enforce_purpose: bool,
    /// Only these fields of each record: top-level member names or JSON Pointers (1-100, stored
    /// as pointers); passports and events only. Every field the level shows when absent.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

impl NewGrant {
    /// Checks every rule and returns every violation.
    pub fn validate(&self, owner: OrganizationId, now: OffsetDateTime) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        if !self.record_kind.is_grantable() {
            violations.push(
                "/record_kind",
                format!("{} records are not shared through grants", self.record_kind.as_str()),
            );
        }
        if let Some(ids) = &self.record_ids {
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
        match &self.grantee {
            Grantee::Organization { organization_id } if *organization_id == owner => violations.push(
                "/grantee/organization_id",
                "an organization already reads its own records",
            ),
            Grantee::Certification { scheme } | Grantee::RoleWithCertification { scheme, .. } => {
                violations.check("/grantee/scheme", check_scheme_code(scheme))
            }
            Grantee::Organization { .. } | Grantee::Role { .. } => {}
        }
        if let Some(purpose) = &self.purpose {
            violations.check("/purpose", check_text(purpose, 200));
        }
        if self.enforce_purpose && self.purpose.is_none() {
            violations.push(
                "/purpose",
                "a purpose to enforce is required when enforce_purpose is true",
            );
        }
        if self.expires_at <= now {
            violations.push("/expires_at", "must be in the future");
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
}

/// A certification: a certifier states that an organization satisfies a scheme until a date.
/// Grants may name a scheme, so that e.g. every certified recycler can read dismantling data.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Certification {
    /// Identifier.
    pub id: CertificationId,
    /// The certifying organization (holds the certifier role).
    pub certifier_organization_id: OrganizationId,
    /// The certified organization.
    pub subject_organization_id: OrganizationId,
    /// Scheme code, e.g. `recycled_content` or `eco_design`.
    pub scheme: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A request to record a certification.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertification {
    /// The certified organization.
    pub subject_organization_id: OrganizationId,
    /// Scheme code: 2-60 lower-case letters, digits and underscores.
    pub scheme: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
    /// End of validity, after the start.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
}

impl NewCertification {
    /// Checks every rule and returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/scheme", check_scheme_code(&self.scheme));
        if self.valid_until <= self.valid_from {
            violations.push("/valid_until", "must be after valid_from");
        }
        violations.into_result()
    }
}

/// Checks a record class against the kind it restricts and a read limit; shared by grants,
/// access requests and dataset offers.
pub fn check_terms(violations: &mut Violations, kind: RecordKind, class: Option<&RecordClass>, max_reads: Option<u64>) {
    if let Some(class) = class {
        if class.record_kind() != kind {
            violations.push(
                "/record_class",
                format!(
                    "a {} class restricts {} records, not {}",
                    class.kind_name(),
                    class.record_kind().as_str(),
                    kind.as_str()
                ),
            );
        }
        violations.check("/record_class", class.check());
    }
    if let Some(max_reads) = max_reads {
        if !(1..=MAX_READS).contains(&max_reads) {
            violations.push("/max_reads", format!("must be 1 to {MAX_READS}"));
        }
    }
}

/// The largest read limit a grant may carry.
pub const MAX_READS: u64 = 1_000_000_000;

/// The stored form of [`RecordClass::Facilities`].
pub const FACILITIES_CLASS: &str = "facilities:own";

/// A class of records a grant, request or offer may be restricted to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordClass {
    /// Passports of one profile (e.g. `battery`, `home_appliance`).
    Profile {
        /// The profile code.
        profile: String,
    },
    /// EPCIS events that name an instance, lot or class of one product (GTIN-14): every
    /// identifier under `https://id.gs1.org/01/<gtin>`.
    ProductClass {
        /// The GTIN, 14 digits with a valid check digit.
        gtin: String,
    },
    /// The lineage through the owner's facilities (自社拠点を通るトレース): EPCIS events that
    /// happened at one of the owner's facilities, i.e. whose readPoint or bizLocation is the
    /// facility's GLN (`https://id.gs1.org/414/<gln>`) or a sub-location under it
    /// (`…/414/<gln>/254/<extension>`). Facilities registered later are covered from then on;
    /// events elsewhere, and at facilities without a GLN, are not.
    Facilities {},
}

impl RecordClass {
    /// The kind of record the class restricts.
    pub fn record_kind(&self) -> RecordKind {
        match self {
            RecordClass::Profile { .. } => RecordKind::Passport,
            RecordClass::ProductClass { .. } | RecordClass::Facilities {} => RecordKind::Event,
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            RecordClass::Profile { .. } => "profile",
            RecordClass::ProductClass { .. } => "product_class",
            RecordClass::Facilities {} => "facilities",
        }
    }

    /// The stored text form: `profile:<code>`, `gtin:<14 digits>` or `facilities:own`.
    pub fn to_stored(&self) -> String {
        match self {
            RecordClass::Profile { profile } => format!("profile:{profile}"),
            RecordClass::ProductClass { gtin } => format!("gtin:{gtin}"),
            RecordClass::Facilities {} => FACILITIES_CLASS.to_owned(),
        }
    }

    /// Parses the stored text form.
    pub fn from_stored(text: &str) -> Option<RecordClass> {
        match text.split_once(':')? {
            ("profile", profile) => Some(RecordClass::Profile {
                profile: profile.to_owned(),
            }),
            ("gtin", gtin) => Some(RecordClass::ProductClass { gtin: gtin.to_owned() }),
            ("facilities", "own") => Some(RecordClass::Facilities {}),
            _ => None,
        }
    }

    /// Checks the class's value.
    pub fn check(&self) -> Result<(), String> {
        match self {
            RecordClass::Profile { profile } => {
                let well_formed = (1..=60).contains(&profile.len())
                    && profile
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
                if well_formed {
                    Ok(())
                } else {
                    Err("a profile code is 1-60 lower-case letters, digits, '_' and '-'".to_owned())
                }
            }
            RecordClass::ProductClass { gtin } => {
                if gtin.len() == 14 && gtin.chars().all(|c| c.is_ascii_digit()) && gtin_check_digit_ok(gtin) {
                    Ok(())
                } else {
                    Err(format!("{gtin:?} is not a GTIN-14 with a valid check digit"))
                }
            }
            RecordClass::Facilities {} => Ok(()),
        }
    }
}

/// The GS1 mod-10 check digit of a GTIN-14.
fn gtin_check_digit_ok(gtin: &str) -> bool {
    let digits: Vec<u32> = gtin.chars().filter_map(|c| c.to_digit(10)).collect();
    let Some((check, body)) = digits.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(position, digit)| if position % 2 == 0 { digit * 3 } else { *digit })
        .sum();
    (10 - sum % 10) % 10 == *check
}

/// Checks a scheme code (certifications, grants by certification and certificate schemes).
pub fn check_scheme_code(scheme: &str) -> Result<(), String> {
    let well_formed = (2..=60).contains(&scheme.len())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(())
    } else {
        Err("a scheme code is 2-60 lower-case letters, digits and underscores".to_owned())
    }
}

/// Why a read was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBasis {
    /// The record is public.
    Public,
    /// The reader's organization owns it.
    Owner,
    /// A grant of the owner covers it.
    Grant(GrantId, GrantLevel),
    /// The reader is an auditor.
    Auditor,
}

impl ReadBasis {
    /// Whether this read must be recorded in the audit log.
    pub fn is_audited(self) -> bool {
        matches!(self, ReadBasis::Grant(..) | ReadBasis::Auditor)
    }

    /// The access level this basis gives.
    pub fn access_level(self) -> AccessLevel {
        match self {
            ReadBasis::Public => AccessLevel::Public,
            ReadBasis::Owner => AccessLevel::Owner,
            ReadBasis::Grant(_, level) => level.access_level(),
            ReadBasis::Auditor => AccessLevel::Authority,
        }
    }
}

/// Decides whether `actor` may read a record of `owner` with `visibility`, given the best grant
/// (if any) the store found for it. Owner beats grant beats auditor beats public, so that an
/// owner's own reads are not audited and an auditor holding a grant is audited under the grant.
pub fn read_basis(
    actor: &Actor,
    owner: OrganizationId,
    is_public: bool,
    best_grant: Option<(GrantId, GrantLevel)>,
) -> Option<ReadBasis> {
    if actor.belongs_to(owner) {
        Some(ReadBasis::Owner)
    } else if let Some((grant, level)) = best_grant {
        Some(ReadBasis::Grant(grant, level))
    } else if actor.has_role(Role::Auditor) {
        Some(ReadBasis::Auditor)
    } else if is_public {
        Some(ReadBasis::Public)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::PrincipalKind;

    #[test]
    fn record_classes_round_trip_through_their_stored_form_and_json() {
        for class in [
            RecordClass::Profile {
                profile: "battery".to_owned(),
            },
            RecordClass::ProductClass {
                gtin: "04912345000019".to_owned(),
            },
            RecordClass::Facilities {},
        ] {
            assert_eq!(RecordClass::from_stored(&class.to_stored()), Some(class.clone()));
            let json = serde_json::to_value(&class).expect("json");
            assert_eq!(serde_json::from_value::<RecordClass>(json).expect("parses"), class);
        }
        assert_eq!(
            serde_json::to_value(RecordClass::Facilities {}).expect("json"),
            serde_json::json!({"type": "facilities"})
        );
        assert_eq!(RecordClass::Facilities {}.record_kind(), RecordKind::Event);
        assert_eq!(RecordClass::from_stored("facilities:other"), None);
        assert!(serde_json::from_value::<RecordClass>(serde_json::json!({"type": "facilities", "gln": "1"})).is_err());
    }

    fn actor(organization: &str, roles: &[Role]) -> Actor {
        Actor {
            kind: PrincipalKind::User,
            principal_id: "u".to_owned(),
            organization_id: Some(OrganizationId::derived(organization)),
            roles: roles.to_vec(),
            purpose: None,
            request_id: None,
        }
    }

    #[test]
    fn read_rules() {
        let owner = OrganizationId::derived("a");
        let grant = Some((GrantId::derived("g"), GrantLevel::LegitimateInterest));
        let member_a = actor("a", &[Role::Member]);
        let member_b = actor("b", &[Role::Member]);
        let auditor = actor("c", &[Role::Auditor]);
        let node_admin = actor("d", &[Role::NodeAdmin]);
        assert_eq!(read_basis(&member_a, owner, false, None), Some(ReadBasis::Owner));
        assert_eq!(read_basis(&member_b, owner, false, None), None);
        assert_eq!(read_basis(&member_b, owner, true, None), Some(ReadBasis::Public));
        assert!(matches!(
            read_basis(&member_b, owner, false, grant),
            Some(ReadBasis::Grant(..))
        ));
        assert_eq!(read_basis(&auditor, owner, false, None), Some(ReadBasis::Auditor));
        assert_eq!(read_basis(&node_admin, owner, false, None), None);
        assert_eq!(read_basis(&Actor::anonymous(), owner, false, None), None);
        assert!(read_basis(&auditor, owner, true, None).is_some_and(ReadBasis::is_audited));
    }

    #[test]
    fn role_assignment() {
        let org = OrganizationId::derived("a");
        let admin = actor("a", &[Role::OrgAdmin]);
        assert_eq!(admin.check_can_assign(org, &[Role::Member, Role::OrgAdmin]), Ok(()));
        assert!(admin.check_can_assign(org, &[Role::Auditor]).is_err());
        assert!(admin
            .check_can_assign(OrganizationId::derived("b"), &[Role::Member])
            .is_err());
        assert!(actor("a", &[Role::Member])
            .check_can_assign(org, &[Role::Member])
            .is_err());
        assert_eq!(Actor::system().check_can_assign(org, &[Role::Auditor]), Ok(()));
    }
}
