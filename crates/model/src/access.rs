//! Access control: access levels, grants and the certifications grants may name.
//!
//! The rule, stated once here and applied by every store backend in the same place for every kind
//! of record: a record is readable by its owner organization; by anyone if it is public; by a
//! holder of an unexpired, unrevoked grant of its owner that covers it; and by auditors. Reads that
//! rely on a grant or on the auditor role are audited.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{CertificationId, GrantId, OrganizationId};
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
}

impl Grantee {
    /// The stored pair (kind, value).
    pub fn to_parts(&self) -> (&'static str, String) {
        match self {
            Grantee::Organization { organization_id } => ("organization", organization_id.to_string()),
            Grantee::Role { role } => ("role", role.as_str().to_owned()),
            Grantee::Certification { scheme } => ("certification", scheme.clone()),
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
            Grantee::Certification { scheme } => violations.check("/grantee/scheme", check_scheme_code(scheme)),
            _ => {}
        }
        if let Some(purpose) = &self.purpose {
            violations.check("/purpose", check_text(purpose, 200));
        }
        if self.expires_at <= now {
            violations.push("/expires_at", "must be in the future");
        }
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
