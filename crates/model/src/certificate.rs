//! Conformity certificates (適合性証明): a certification body (認証機関, an organization with the
//! certifier role) states that another organization's passport, footprint or facility satisfies
//! a scheme, with the certified claim, a validity period and its own reference number. Schemes
//! are data (code, labels in both languages, which claim they certify and about which kinds of
//! record), so that a node can add one without a release; what a claim must contain is decided
//! here, per claim type.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{CertificateId, OrganizationId};
use crate::validation::{check_text, Violation, Violations};

/// The kinds of record a conformity certificate can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A product or material passport (a version of it).
    Passport,
    /// A product carbon footprint.
    Footprint,
    /// A facility or plant.
    Facility,
}

impl SubjectKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SubjectKind; 3] = [SubjectKind::Passport, SubjectKind::Footprint, SubjectKind::Facility];

    /// The stable text form used in storage and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Passport => "passport",
            SubjectKind::Footprint => "footprint",
            SubjectKind::Facility => "facility",
        }
    }

    /// Reads the text form.
    pub fn parse(text: &str) -> Option<SubjectKind> {
        SubjectKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What kind of claim a scheme certifies; decides which fields a claim must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimType {
    /// 再生材含有率: the recycled share of a material, split pre-/post-consumer.
    RecycledContent,
    /// 環境配慮設計: eco-design criteria met by a product category.
    EcoDesign,
    /// CFP 検証: a verified carbon footprint value under a standard.
    Cfp,
    /// CoC 認証: a chain-of-custody model operated for a material.
    ChainOfCustody,
}

impl ClaimType {
    /// Every claim type.
    pub const ALL: [ClaimType; 4] = [
        ClaimType::RecycledContent,
        ClaimType::EcoDesign,
        ClaimType::Cfp,
        ClaimType::ChainOfCustody,
    ];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimType::RecycledContent => "recycled_content",
            ClaimType::EcoDesign => "eco_design",
            ClaimType::Cfp => "cfp",
            ClaimType::ChainOfCustody => "chain_of_custody",
        }
    }

    /// Reads the text form.
    pub fn parse(text: &str) -> Option<ClaimType> {
        ClaimType::ALL.into_iter().find(|claim| claim.as_str() == text)
    }
}

/// A certification scheme (認証制度) as stored: the four shipped ones are written by migration
/// 0026; node administrators add more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateScheme {
    /// Code: 2-60 lower-case letters, digits and underscores, e.g. `recycled_content`.
    pub code: String,
    /// Japanese name.
    pub label_ja: String,
    /// English name.
    pub label_en: String,
    /// The claim it certifies.
    pub claim_type: ClaimType,
    /// The kinds of record it certifies (at least one).
    pub subject_kinds: Vec<SubjectKind>,
}

impl CertificateScheme {
    /// Checks every rule and returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/code", crate::access::check_scheme_code(&self.code));
        violations.check("/label_ja", check_text(&self.label_ja, 200));
        violations.check("/label_en", check_text(&self.label_en, 200));
        if self.subject_kinds.is_empty() {
            violations.push("/subject_kinds", "name at least one kind of record");
        }
        for (index, kind) in self.subject_kinds.iter().enumerate() {
            if self.subject_kinds[..index].contains(kind) {
                violations.push(format!("/subject_kinds/{index}"), format!("{kind} is listed twice"));
            }
        }
        violations.into_result()
    }

    /// The label in `language` (`ja` or anything else for English).
    pub fn label(&self, language: &str) -> &str {
        if language == "ja" {
            &self.label_ja
        } else {
            &self.label_en
        }
    }
}

/// The shipped schemes: code, Japanese and English names, claim type, subject kinds.
pub const SHIPPED_SCHEMES: [(&str, &str, &str, ClaimType, &[SubjectKind]); 4] = [
    (
        "recycled_content",
        "再生材含有率認証",
        "Recycled-content certification",
        ClaimType::RecycledContent,
        &[SubjectKind::Passport],
    ),
    (
        "eco_design",
        "資源有効利用促進法 環境配慮設計認定",
        "Eco-design certification (Resource Effective Utilization Promotion Act)",
        ClaimType::EcoDesign,
        &[SubjectKind::Passport],
    ),
    (
        "cfp_verification",
        "CFP検証",
        "CFP verification",
        ClaimType::Cfp,
        &[SubjectKind::Footprint, SubjectKind::Passport],
    ),
    (
        "chain_of_custody",
        "CoC認証",
        "Chain-of-custody certification",
        ClaimType::ChainOfCustody,
        &[SubjectKind::Facility],
    ),
];

/// The chain-of-custody models of ISO 22095:2020 a CoC claim may name (the ledger's names).
pub const CUSTODY_MODELS: [&str; 6] = [
    "identity_preserved",
    "segregated",
    "controlled_blending",
    "mass_balance_rolling_average",
    "mass_balance_credit",
    "book_and_claim",
];

/// The certified claim, by claim type. Numbers are exact decimals (JSON strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CertifiedClaim {
    /// 再生材含有率: `recycled_share_pct` of `material` is recycled, of which
    /// `pre_consumer_pct` + `post_consumer_pct` (they add up to it).
    RecycledContent {
        /// The material, e.g. `PP` or `cobalt`.
        material: String,
        /// Recycled share of the material, percent (0-100).
        #[schema(value_type = String)]
        recycled_share_pct: Decimal,
        /// Pre-consumer part, percent of the material.
        #[schema(value_type = String)]
        pre_consumer_pct: Decimal,
        /// Post-consumer part, percent of the material.
        #[schema(value_type = String)]
        post_consumer_pct: Decimal,
        /// How the share was established, e.g. `mass_balance_credit` (ISO 22095 model).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
    },
    /// 環境配慮設計: the product meets the named design criteria of the Resource Effective
    /// Utilization Promotion Act's certification for its product category.
    EcoDesign {
        /// The designated product category, e.g. `家電 / home appliance`.
        product_category: String,
        /// The criteria met (at least one), e.g. `解体容易性 / ease of disassembly`.
        criteria: Vec<String>,
    },
    /// CFP 検証: the footprint's value was verified under `standard`.
    Cfp {
        /// The verified value, per declared unit.
        #[schema(value_type = String)]
        value: Decimal,
        /// Unit of the value, `kgCO2e`.
        unit: String,
        /// The declared unit, e.g. `kWh` or `kg`.
        declared_unit: String,
        /// The standard verified against, e.g. `ISO 14067:2018`.
        standard: String,
    },
    /// CoC 認証: the facility operates the chain-of-custody model for the material.
    ChainOfCustody {
        /// ISO 22095 model, one of [`CUSTODY_MODELS`].
        model: String,
        /// The material.
        material: String,
    },
}

impl CertifiedClaim {
    /// The claim's type.
    pub fn claim_type(&self) -> ClaimType {
        match self {
            CertifiedClaim::RecycledContent { .. } => ClaimType::RecycledContent,
            CertifiedClaim::EcoDesign { .. } => ClaimType::EcoDesign,
            CertifiedClaim::Cfp { .. } => ClaimType::Cfp,
            CertifiedClaim::ChainOfCustody { .. } => ClaimType::ChainOfCustody,
        }
    }

    /// Checks the claim's own rules; paths are under `/claim`.
    fn validate_into(&self, violations: &mut Violations) {
        let percent = |value: &Decimal| (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(value);
        match self {
            CertifiedClaim::RecycledContent {
                material,
                recycled_share_pct,
                pre_consumer_pct,
                post_consumer_pct,
                method,
            } => {
                violations.check("/claim/material", check_text(material, 100));
                for (path, value) in [
                    ("/claim/recycled_share_pct", recycled_share_pct),
                    ("/claim/pre_consumer_pct", pre_consumer_pct),
                    ("/claim/post_consumer_pct", post_consumer_pct),
                ] {
                    if !percent(value) {
                        violations.push(path, "must be a percentage from 0 to 100");
                    }
                }
                if pre_consumer_pct + post_consumer_pct != *recycled_share_pct {
                    violations.push(
                        "/claim/post_consumer_pct",
                        format!(
                            "pre-consumer ({pre_consumer_pct}) and post-consumer ({post_consumer_pct}) must add up to the recycled share ({recycled_share_pct})"
                        ),
                    );
                }
                if let Some(method) = method {
                    violations.check("/claim/method", check_text(method, 100));
                }
            }
            CertifiedClaim::EcoDesign {
                product_category,
                criteria,
            } => {
                violations.check("/claim/product_category", check_text(product_category, 200));
                if criteria.is_empty() {
                    violations.push("/claim/criteria", "name at least one criterion met");
                }
                for (index, criterion) in criteria.iter().enumerate() {
                    violations.check(&format!("/claim/criteria/{index}"), check_text(criterion, 200));
                }
            }
            CertifiedClaim::Cfp {
                value,
                unit,
                declared_unit,
                standard,
            } => {
                if value.is_sign_negative() {
                    violations.push("/claim/value", "a carbon footprint is not negative");
                }
                if unit != "kgCO2e" {
                    violations.push("/claim/unit", "must be kgCO2e");
                }
                violations.check("/claim/declared_unit", check_text(declared_unit, 40));
                violations.check("/claim/standard", check_text(standard, 100));
            }
            CertifiedClaim::ChainOfCustody { model, material } => {
                if !CUSTODY_MODELS.contains(&model.as_str()) {
                    violations.push(
                        "/claim/model",
                        format!("must be one of the ISO 22095 models: {}", CUSTODY_MODELS.join(", ")),
                    );
                }
                violations.check("/claim/material", check_text(material, 100));
            }
        }
    }
}

/// The record a certificate is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateSubject {
    /// Kind of record.
    pub kind: SubjectKind,
    /// Its id.
    pub id: String,
    /// For passports: the version certified (default: the current one when issued).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// A request to issue a conformity certificate.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    /// Scheme code (see `GET /api/v1/certificate-schemes`).
    pub scheme: String,
    /// The record certified.
    pub subject: CertificateSubject,
    /// The certified claim; its `type` must be the scheme's claim type.
    pub claim: CertifiedClaim,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
    /// End of validity, after the start.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    /// The certification body's own reference number (認証番号).
    pub reference_number: String,
    /// Evidence notes: audits, documents examined.
    #[serde(default)]
    pub evidence: Option<String>,
}

impl NewCertificate {
    /// Checks every rule that needs no stored data except the scheme (`None` when the code
    /// names no scheme) and returns every violation.
    pub fn validate(&self, scheme: Option<&CertificateScheme>) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        match scheme {
            None => violations.push("/scheme", format!("no certification scheme {:?}", self.scheme)),
            Some(scheme) => {
                if !scheme.subject_kinds.contains(&self.subject.kind) {
                    let kinds: Vec<&str> = scheme.subject_kinds.iter().map(|kind| kind.as_str()).collect();
                    violations.push(
                        "/subject/kind",
                        format!("scheme {} certifies {} records", scheme.code, kinds.join(" or ")),
                    );
                }
                if scheme.claim_type != self.claim.claim_type() {
                    violations.push(
                        "/claim/type",
                        format!("scheme {} certifies {} claims", scheme.code, scheme.claim_type.as_str()),
                    );
                }
            }
        }
        if self.subject.id.trim().is_empty() || self.subject.id.len() > 200 {
            violations.push("/subject/id", "must be a record id of 1-200 characters");
        }
        match (self.subject.kind, self.subject.version) {
            (SubjectKind::Passport, Some(version)) if version < 1 => {
                violations.push("/subject/version", "versions start at 1")
            }
            (SubjectKind::Footprint | SubjectKind::Facility, Some(_)) => {
                violations.push("/subject/version", "only passports have versions")
            }
            _ => {}
        }
        self.claim.validate_into(&mut violations);
        if self.valid_until <= self.valid_from {
            violations.push("/valid_until", "must be after valid_from");
        }
        violations.check("/reference_number", check_text(&self.reference_number, 100));
        if let Some(evidence) = &self.evidence {
            let count = evidence.chars().count();
            if evidence.trim().is_empty() || count > 4000 {
                violations.push("/evidence", "must be 1-4000 characters when given");
            }
        }
        violations.into_result()
    }
}

/// A conformity certificate as stored: what was certified and the signed credential.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Certificate {
    /// Identifier.
    pub id: CertificateId,
    /// The certification body.
    pub certifier_organization_id: OrganizationId,
    /// Scheme code.
    pub scheme: String,
    /// The record certified (passports: with the version).
    pub subject: CertificateSubject,
    /// The organization that owns the record certified.
    pub subject_owner_organization_id: OrganizationId,
    /// The certified claim.
    pub claim: CertifiedClaim,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    /// The certification body's reference number.
    pub reference_number: String,
    /// Evidence notes.
    pub evidence: Option<String>,
    /// The certificate as a W3C Verifiable Credential 2.0 secured as `vc+jwt` (compact JWS),
    /// signed by the certifier.
    pub credential: String,
    /// The credential's id (`urn:uuid:...`), which the certifier's status list tracks.
    pub credential_id: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
}

impl Certificate {
    /// Whether it is in force at `now`: not revoked and within its validity period.
    pub fn in_force(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.valid_from <= now && now < self.valid_until
    }
}

/// A request to revoke a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateRevocation {
    /// Why (1-500 characters), e.g. the audit finding.
    pub reason: String,
}

impl CertificateRevocation {
    /// Checks the reason.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/reason", check_text(&self.reason, 500));
        violations.into_result()
    }
}

/// A certificate request the store has checked, ready to be signed: the certificate's id (which
/// the credential names), the scheme, the subject with its version resolved and its owner. The
/// server signs the credential from it and hands both back to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateDraft {
    /// The id the certificate will have.
    pub id: CertificateId,
    /// The certification body (the actor's organization).
    pub certifier_organization_id: OrganizationId,
    /// The scheme.
    pub scheme: CertificateScheme,
    /// The subject; a passport's version is the one certified.
    pub subject: CertificateSubject,
    /// Owner of the subject record.
    pub subject_owner_organization_id: OrganizationId,
    /// The request as checked.
    pub request: NewCertificate,
}

/// The credential signed for a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCertificate {
    /// The `vc+jwt` (compact JWS).
    pub credential: String,
    /// The credential's `id`.
    pub credential_id: String,
}

/// Which certificates to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateFilter {
    /// About this record (kind and id).
    pub subject: Option<(SubjectKind, String)>,
    /// Issued by this certifier.
    pub certifier: Option<OrganizationId>,
    /// Of this scheme.
    pub scheme: Option<String>,
    /// About records of this organization.
    pub subject_owner: Option<OrganizationId>,
}

impl FromStr for SubjectKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SubjectKind::parse(text).ok_or_else(|| format!("must be passport, footprint or facility, got {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn scheme() -> CertificateScheme {
        CertificateScheme {
            code: "recycled_content".into(),
            label_ja: "再生材含有率認証".into(),
            label_en: "Recycled-content certification".into(),
            claim_type: ClaimType::RecycledContent,
            subject_kinds: vec![SubjectKind::Passport],
        }
    }

    fn new_certificate(claim: serde_json::Value) -> NewCertificate {
        serde_json::from_value(serde_json::json!({
            "scheme": "recycled_content",
            "subject": {"kind": "passport", "id": "0190b4d2-0000-7000-8000-000000000001"},
            "claim": claim,
            "valid_from": "2026-04-01T00:00:00Z",
            "valid_until": "2027-04-01T00:00:00Z",
            "reference_number": "RC-2026-0001",
        }))
        .expect("well-formed request")
    }

    fn paths(result: Result<(), Vec<Violation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|violation| format!("{} {}", violation.path, violation.message))
            .collect()
    }

    #[test]
    fn a_recycled_content_claim_whose_parts_add_up_is_valid() {
        let certificate = new_certificate(serde_json::json!({"type": "recycled_content", "material": "PP",
            "recycled_share_pct": "62.5", "pre_consumer_pct": "12.5", "post_consumer_pct": "50"}));
        assert_eq!(paths(certificate.validate(Some(&scheme()))), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let mut certificate = new_certificate(serde_json::json!({"type": "recycled_content", "material": " ",
            "recycled_share_pct": "120", "pre_consumer_pct": "10", "post_consumer_pct": "50"}));
        certificate.subject.version = Some(0);
        certificate.valid_until = datetime!(2026-01-01 0:00 UTC);
        certificate.reference_number = String::new();
        expect_test::expect![[r#"
            [
                "/subject/version versions start at 1",
                "/claim/material must not be blank",
                "/claim/recycled_share_pct must be a percentage from 0 to 100",
                "/claim/post_consumer_pct pre-consumer (10) and post-consumer (50) must add up to the recycled share (120)",
                "/valid_until must be after valid_from",
                "/reference_number must not be blank",
            ]
        "#]]
        .assert_debug_eq(&paths(certificate.validate(Some(&scheme()))));
    }

    #[test]
    fn the_claim_and_subject_must_fit_the_scheme() {
        let mut certificate = new_certificate(serde_json::json!({"type": "cfp", "value": "-1", "unit": "kg",
            "declared_unit": "kWh", "standard": "ISO 14067:2018"}));
        certificate.subject.kind = SubjectKind::Facility;
        certificate.subject.version = Some(2);
        expect_test::expect![[r#"
            [
                "/subject/kind scheme recycled_content certifies passport records",
                "/claim/type scheme recycled_content certifies recycled_content claims",
                "/subject/version only passports have versions",
                "/claim/value a carbon footprint is not negative",
                "/claim/unit must be kgCO2e",
            ]
        "#]]
        .assert_debug_eq(&paths(certificate.validate(Some(&scheme()))));
        assert_eq!(
            paths(certificate.validate(None))[0],
            "/scheme no certification scheme \"recycled_content\""
        );
    }

    #[test]
    fn a_custody_model_must_be_one_of_iso_22095() {
        let mut violations = Violations::new();
        CertifiedClaim::ChainOfCustody {
            model: "magic".into(),
            material: "PP".into(),
        }
        .validate_into(&mut violations);
        assert_eq!(violations.len(), 1);
    }

    #[test]
    fn schemes_need_labels_and_kinds() {
        let scheme = CertificateScheme {
            code: "Bad Code".into(),
            label_ja: String::new(),
            label_en: "x".into(),
            claim_type: ClaimType::Cfp,
            subject_kinds: vec![SubjectKind::Footprint, SubjectKind::Footprint],
        };
        expect_test::expect![[r#"
            [
                "/code a scheme code is 2-60 lower-case letters, digits and underscores",
                "/label_ja must not be blank",
                "/subject_kinds/1 footprint is listed twice",
            ]
        "#]]
        .assert_debug_eq(&paths(scheme.validate()));
    }
}
