//! Organizations (participants, 参加者): companies, industry associations, municipalities,
//! universities and research institutes, related organizations and government bodies.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::identifiers::{check_corporate_number, check_gln, check_gs1_company_prefix, check_lei};
use crate::ids::OrganizationId;
use crate::industry::check_industry_code;
use crate::japan::{check_local_government, check_prefecture_code, local_government};
use crate::validation::{check_text, check_url, Violation, Violations};

/// What kind of participant an organization is (参加者の種別).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationType {
    /// 企業 / company; its size is given by `company_size`.
    Company,
    /// 業界団体 / industry association.
    IndustryAssociation,
    /// 地方公共団体 / municipality or prefecture; carries its local-government code.
    Municipality,
    /// 大学・研究機関 / university or research institute.
    UniversityOrResearchInstitute,
    /// 関係機関 / related organization.
    RelatedOrganization,
    /// 政府機関 / government body.
    GovernmentBody,
}

impl OrganizationType {
    /// The stable text form used in storage and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationType::Company => "company",
            OrganizationType::IndustryAssociation => "industry_association",
            OrganizationType::Municipality => "municipality",
            OrganizationType::UniversityOrResearchInstitute => "university_or_research_institute",
            OrganizationType::RelatedOrganization => "related_organization",
            OrganizationType::GovernmentBody => "government_body",
        }
    }
}

/// Size class of a company (企業規模).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompanySize {
    /// 大企業 / large enterprise.
    Large,
    /// 中小企業 / small and medium-sized enterprise.
    Sme,
    /// 小規模事業者 / small business.
    Small,
}

impl CompanySize {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            CompanySize::Large => "large",
            CompanySize::Sme => "sme",
            CompanySize::Small => "small",
        }
    }
}

/// A role an organization plays in the circulation of resources (循環における役割).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CycleRole {
    /// 製造事業者 / manufacturer.
    Manufacturer,
    /// 流通・販売事業者 / distributor or retailer.
    Distributor,
    /// 利用者 / user.
    User,
    /// 回収事業者 / collector.
    Collector,
    /// 解体・選別事業者 / dismantler or sorter.
    DismantlerSorter,
    /// リサイクル事業者 / recycler.
    Recycler,
    /// 再生材製造事業者 / recycled-material producer.
    RecycledMaterialProducer,
    /// 認証機関 / certifier.
    Certifier,
}

impl CycleRole {
    /// Every role, in declaration order.
    pub const ALL: [CycleRole; 8] = [
        CycleRole::Manufacturer,
        CycleRole::Distributor,
        CycleRole::User,
        CycleRole::Collector,
        CycleRole::DismantlerSorter,
        CycleRole::Recycler,
        CycleRole::RecycledMaterialProducer,
        CycleRole::Certifier,
    ];

    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleRole::Manufacturer => "manufacturer",
            CycleRole::Distributor => "distributor",
            CycleRole::User => "user",
            CycleRole::Collector => "collector",
            CycleRole::DismantlerSorter => "dismantler_sorter",
            CycleRole::Recycler => "recycler",
            CycleRole::RecycledMaterialProducer => "recycled_material_producer",
            CycleRole::Certifier => "certifier",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<CycleRole> {
        CycleRole::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// An organization as stored and shown. Its directory entry is public: every field here may be
/// read by anyone, the organization's restricted data lives in its own records.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Organization {
    /// Identifier.
    pub id: OrganizationId,
    /// Name in Japanese (名称).
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
    /// Kind of participant.
    pub organization_type: OrganizationType,
    /// Size class, for companies only.
    pub company_size: Option<CompanySize>,
    /// Japanese corporate number (法人番号), 13 digits.
    pub corporate_number: Option<String>,
    /// Legal Entity Identifier (ISO 17442).
    pub lei: Option<String>,
    /// GS1 company prefix.
    pub gs1_company_prefix: Option<String>,
    /// GS1 Global Location Number of the legal entity.
    pub gln: Option<String>,
    /// Local-government code (地方公共団体コード), for municipalities.
    pub local_government_code: Option<String>,
    /// Two-digit prefecture code of the head office (本社所在地).
    pub prefecture_code: Option<String>,
    /// Industries the organization works in (codes from `/api/v1/industries`).
    pub industries: Vec<String>,
    /// Roles in the cycle.
    pub roles: Vec<CycleRole>,
    /// Public web site.
    pub website: Option<String>,
    /// When the organization was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A request to register an organization.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// Name in Japanese (名称), 1-200 characters.
    pub name_ja: String,
    /// Name in English, 1-200 characters.
    pub name_en: String,
    /// Kind of participant.
    pub organization_type: OrganizationType,
    /// Size class; required for companies, absent otherwise.
    #[serde(default)]
    pub company_size: Option<CompanySize>,
    /// Japanese corporate number (法人番号): 13 digits with its check digit.
    #[serde(default)]
    pub corporate_number: Option<String>,
    /// Legal Entity Identifier (ISO 17442).
    #[serde(default)]
    pub lei: Option<String>,
    /// GS1 company prefix, 4-12 digits.
    #[serde(default)]
    pub gs1_company_prefix: Option<String>,
    /// GS1 Global Location Number, 13 digits with check digit.
    #[serde(default)]
    pub gln: Option<String>,
    /// Six-digit local-government code; required for municipalities.
    #[serde(default)]
    pub local_government_code: Option<String>,
    /// Two-digit prefecture code (01-47). For municipalities it follows from the local-government code.
    #[serde(default)]
    pub prefecture_code: Option<String>,
    /// Industry codes.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Roles in the cycle.
    #[serde(default)]
    pub roles: Vec<CycleRole>,
    /// Public web site (http or https URL).
    #[serde(default)]
    pub website: Option<String>,
}

/// A partial update of an organization (JSON merge patch: an absent field stays, `null` clears).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// New Japanese name.
    #[serde(default)]
    pub name_ja: Option<String>,
    /// New English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// New size class (companies only).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<CompanySize>)]
    pub company_size: Option<Option<CompanySize>>,
    /// New corporate number, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub corporate_number: Option<Option<String>>,
    /// New LEI, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub lei: Option<Option<String>>,
    /// New GS1 company prefix, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub gs1_company_prefix: Option<Option<String>>,
    /// New GLN, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub gln: Option<Option<String>>,
    /// New local-government code, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub local_government_code: Option<Option<String>>,
    /// New prefecture code, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub prefecture_code: Option<Option<String>>,
    /// Replaces the industries.
    #[serde(default)]
    pub industries: Option<Vec<String>>,
    /// Replaces the roles in the cycle.
    #[serde(default)]
    pub roles: Option<Vec<CycleRole>>,
    /// New web site, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
}

/// Deserializes a field that is present (possibly `null`) as `Some(value)`, so that `None` means
/// "absent" in merge-patch documents.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl NewOrganization {
    /// Checks every rule and returns every violation. Industry codes are checked for form here and
    /// for existence by the store.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/name_ja", check_text(&self.name_ja, 200));
        violations.check("/name_en", check_text(&self.name_en, 200));
        match (self.organization_type, self.company_size) {
            (OrganizationType::Company, None) => {
                violations.push("/company_size", "is required for a company: large, sme or small")
            }
            (OrganizationType::Company, Some(_)) | (_, None) => {}
            (other, Some(_)) => violations.push(
                "/company_size",
                format!(
                    "applies to companies only, not to an organization of type {}",
                    other.as_str()
                ),
            ),
        }
        check_optional(
            &mut violations,
            "/corporate_number",
            &self.corporate_number,
            check_corporate_number,
        );
        check_optional(&mut violations, "/lei", &self.lei, check_lei);
        check_optional(
            &mut violations,
            "/gs1_company_prefix",
            &self.gs1_company_prefix,
            check_gs1_company_prefix,
        );
        check_optional(&mut violations, "/gln", &self.gln, check_gln);
        check_optional(
            &mut violations,
            "/prefecture_code",
            &self.prefecture_code,
            check_prefecture_code,
        );
        check_optional(&mut violations, "/website", &self.website, check_url);
        match (&self.organization_type, &self.local_government_code) {
            (OrganizationType::Municipality, None) => violations.push(
                "/local_government_code",
                "is required for a municipality: its six-digit local-government code (地方公共団体コード)",
            ),
            (_, Some(code)) => check_local_government(&mut violations, code, self.prefecture_code.as_deref()),
            (_, None) => {}
        }
        for (index, code) in self.industries.iter().enumerate() {
            violations.check(&format!("/industries/{index}"), check_industry_code(code));
        }
        check_unique(&mut violations, "/industries", &self.industries);
        check_unique(&mut violations, "/roles", &self.roles);
        violations.into_result()
    }

    /// The prefecture to store: the one given, or the one the local-government code implies.
    pub fn effective_prefecture_code(&self) -> Option<String> {
        self.prefecture_code.clone().or_else(|| {
            let code = self.local_government_code.as_deref()?;
            local_government(code).map(|(prefecture, _)| prefecture.to_owned())
        })
    }
}

impl Organization {
    /// Applies `patch`, returning the updated organization or every violation. The result is
    /// validated as a whole, so a patch cannot leave the organization inconsistent.
    pub fn patched(&self, patch: &OrganizationPatch, now: OffsetDateTime) -> Result<Organization, Vec<Violation>> {
        fn pick<T: Clone>(current: &Option<T>, change: &Option<Option<T>>) -> Option<T> {
            match change {
                Some(value) => value.clone(),
                None => current.clone(),
            }
        }
        let candidate = NewOrganization {
            name_ja: patch.name_ja.clone().unwrap_or_else(|| self.name_ja.clone()),
            name_en: patch.name_en.clone().unwrap_or_else(|| self.name_en.clone()),
            organization_type: self.organization_type,
            company_size: pick(&self.company_size, &patch.company_size),
            corporate_number: pick(&self.corporate_number, &patch.corporate_number),
            lei: pick(&self.lei, &patch.lei),
            gs1_company_prefix: pick(&self.gs1_company_prefix, &patch.gs1_company_prefix),
            gln: pick(&self.gln, &patch.gln),
            local_government_code: pick(&self.local_government_code, &patch.local_government_code),
            prefecture_code: pick(&self.prefecture_code, &patch.prefecture_code),
            industries: patch.industries.clone().unwrap_or_else(|| self.industries.clone()),
            roles: patch.roles.clone().unwrap_or_else(|| self.roles.clone()),
            website: pick(&self.website, &patch.website),
        };
        candidate.validate()?;
        Ok(Organization::from_new(self.id, candidate, self.created_at, now))
    }

    /// Builds the stored form of a validated registration.
    pub fn from_new(
        id: OrganizationId,
        new: NewOrganization,
        created_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    ) -> Organization {
        let prefecture_code = new.effective_prefecture_code();
        let mut roles = new.roles;
        roles.sort();
        Organization {
            id,
            name_ja: new.name_ja.trim().to_owned(),
            name_en: new.name_en.trim().to_owned(),
            organization_type: new.organization_type,
            company_size: new.company_size,
            corporate_number: new.corporate_number,
            lei: new.lei,
            gs1_company_prefix: new.gs1_company_prefix,
            gln: new.gln,
            local_government_code: new.local_government_code,
            prefecture_code,
            industries: new.industries,
            roles,
            website: new.website,
            created_at,
            updated_at,
        }
    }
}

/// Filters for the organization directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationFilter {
    /// Only organizations of this type.
    pub organization_type: Option<OrganizationType>,
    /// Only organizations in this prefecture.
    pub prefecture_code: Option<String>,
    /// Only organizations playing this role.
    pub role: Option<CycleRole>,
    /// Only organizations in this industry.
    pub industry: Option<String>,
    /// Only organizations whose Japanese or English name contains this text.
    pub name_contains: Option<String>,
}

fn check_optional(
    violations: &mut Violations,
    path: &str,
    value: &Option<String>,
    check: fn(&str) -> Result<(), String>,
) {
    if let Some(value) = value {
        violations.check(path, check(value));
    }
}

fn check_unique<T: PartialEq + std::fmt::Debug>(violations: &mut Violations, path: &str, values: &[T]) {
    for (index, value) in values.iter().enumerate() {
        if values[..index].contains(value) {
            violations.push(format!("{path}/{index}"), format!("{value:?} is listed twice"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn company() -> NewOrganization {
        serde_json::from_value(serde_json::json!({
            "name_ja": "株式会社テスト", "name_en": "Test K.K.", "organization_type": "company",
            "company_size": "sme", "corporate_number": "7000012050002"
        }))
        .expect("valid fixture")
    }

    #[test]
    fn a_valid_company_passes() {
        assert_eq!(company().validate(), Ok(()));
    }

    #[test]
    fn every_violation_is_reported() {
        let mut organization = company();
        organization.name_ja = " ".to_owned();
        organization.company_size = None;
        organization.corporate_number = Some("7000012050003".to_owned());
        organization.lei = Some("XYZ".to_owned());
        organization.prefecture_code = Some("99".to_owned());
        organization.local_government_code = Some("131017".to_owned());
        organization.industries = vec!["batteries".to_owned(), "Bad Code".to_owned(), "batteries".to_owned()];
        let violations = organization.validate().expect_err("invalid");
        let lines: Vec<String> = violations
            .iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect();
        expect![[r#"
            /name_ja: must not be blank
            /company_size: is required for a company: large, sme or small
            /corporate_number: corporate number check digit is 7 but the other digits require 6
            /lei: an LEI is 20 characters: upper-case letters and digits
            /prefecture_code: unknown prefecture code "99": expected 01 (Hokkaido) to 47 (Okinawa)
            /local_government_code: local-government code check digit is 7 but should be 6
            /industries/1: industry codes are 2-40 lower-case letters, digits and underscores, starting with a letter
            /industries/2: "batteries" is listed twice"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn municipality_rules() {
        let municipality: NewOrganization = serde_json::from_value(serde_json::json!({
            "name_ja": "千代田区", "name_en": "Chiyoda City", "organization_type": "municipality",
            "local_government_code": "131016", "company_size": "large", "prefecture_code": "14"
        }))
        .expect("valid fixture");
        let lines: Vec<String> = municipality
            .validate()
            .expect_err("invalid")
            .iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect();
        expect![[r#"
            /company_size: applies to companies only, not to an organization of type municipality
            /prefecture_code: is 14, but local-government code 131016 (千代田区) lies in prefecture 13"#]]
        .assert_eq(&lines.join("\n"));
        let fixed = NewOrganization {
            company_size: None,
            prefecture_code: None,
            ..municipality
        };
        assert_eq!(fixed.validate(), Ok(()));
        assert_eq!(fixed.effective_prefecture_code().as_deref(), Some("13"));
    }

    #[test]
    fn patches_distinguish_absent_from_null() {
        let organization = Organization::from_new(
            OrganizationId::derived("x"),
            NewOrganization {
                lei: Some("5493001KJTIIGC8Y1R12".to_owned()),
                ..company()
            },
            OffsetDateTime::UNIX_EPOCH,
            OffsetDateTime::UNIX_EPOCH,
        );
        let patch: OrganizationPatch =
            serde_json::from_value(serde_json::json!({"lei": null, "name_en": "Renamed"})).expect("patch");
        let patched = organization
            .patched(&patch, OffsetDateTime::UNIX_EPOCH)
            .expect("valid patch");
        assert_eq!(patched.lei, None);
        assert_eq!(patched.name_en, "Renamed");
        assert_eq!(patched.corporate_number, organization.corporate_number);
    }
}
