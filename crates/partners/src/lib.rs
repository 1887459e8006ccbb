//! Circular Partners (サーキュラーパートナーズ, CPs) as pure rules: who may be a member and which
//! submission format (提出様式) applies to it, the categories and questions of each format, the
//! achievement bands (達成度) and progress statuses (進捗状況) of follow-ups (フォローアップ), the
//! overdue rules the secretariat (事務局) watches, statistics of the members, and the CSV import of
//! targets.
//!
//! **Architecture invariant:** pure computation, no IO. The store keeps the records and decides
//! who may read or change them; everything here is a function of its arguments (today's date is
//! always an argument, never read from a clock).

pub mod import;
pub mod membership;
pub mod progress;
pub mod targets;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use junkan_model::organization::{CompanySize, Organization, OrganizationType};

/// A text in Japanese and English, `(ja, en)`.
pub type Label = (&'static str, &'static str);

/// The kind of member, as the partnership counts its members (会員種別).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberType {
    /// 企業（大企業）/ company, large enterprise.
    LargeCompany,
    /// 企業（中小企業）/ company, small and medium-sized enterprise.
    SmeCompany,
    /// 企業（小規模事業者）/ company, small business.
    SmallCompany,
    /// 業界団体 / industry association.
    IndustryAssociation,
    /// 地方公共団体 / municipality or prefecture.
    Municipality,
    /// 大学・研究機関 / university or research institute.
    UniversityOrResearchInstitute,
    /// 関係機関 / related organization.
    RelatedOrganization,
}

impl MemberType {
    /// Every member type, in the order the secretariat's tables list them.
    pub const ALL: [MemberType; 7] = [
        MemberType::LargeCompany,
        MemberType::SmeCompany,
        MemberType::SmallCompany,
        MemberType::IndustryAssociation,
        MemberType::Municipality,
        MemberType::UniversityOrResearchInstitute,
        MemberType::RelatedOrganization,
    ];

    /// The member type of an organization of the directory, or why it cannot apply: government
    /// bodies take part in the partnership as observers, not as members, and a company needs its
    /// size class.
    pub fn of(organization: &Organization) -> Result<MemberType, String> {
        match (organization.organization_type, organization.company_size) {
            (OrganizationType::Company, Some(CompanySize::Large)) => Ok(MemberType::LargeCompany),
            (OrganizationType::Company, Some(CompanySize::Sme)) => Ok(MemberType::SmeCompany),
            (OrganizationType::Company, Some(CompanySize::Small)) => Ok(MemberType::SmallCompany),
            (OrganizationType::Company, None) => Err(
                "a company applies with its size class (company_size: large, sme or small) in the directory".to_owned(),
            ),
            (OrganizationType::IndustryAssociation, _) => Ok(MemberType::IndustryAssociation),
            (OrganizationType::Municipality, _) => Ok(MemberType::Municipality),
            (OrganizationType::UniversityOrResearchInstitute, _) => Ok(MemberType::UniversityOrResearchInstitute),
            (OrganizationType::RelatedOrganization, _) => Ok(MemberType::RelatedOrganization),
            (OrganizationType::GovernmentBody, _) => Err(
                "government bodies take part in the Circular Partners as observers (オブザーバー), not as members"
                    .to_owned(),
            ),
        }
    }

    /// The stable text form used in storage and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::LargeCompany => "large_company",
            MemberType::SmeCompany => "sme_company",
            MemberType::SmallCompany => "small_company",
            MemberType::IndustryAssociation => "industry_association",
            MemberType::Municipality => "municipality",
            MemberType::UniversityOrResearchInstitute => "university_or_research_institute",
            MemberType::RelatedOrganization => "related_organization",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<MemberType> {
        MemberType::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The name in Japanese and English.
    pub fn label(self) -> Label {
        match self {
            MemberType::LargeCompany => ("企業（大企業）", "Company (large enterprise)"),
            MemberType::SmeCompany => ("企業（中小企業）", "Company (SME)"),
            MemberType::SmallCompany => ("企業（小規模事業者）", "Company (small business)"),
            MemberType::IndustryAssociation => ("業界団体", "Industry association"),
            MemberType::Municipality => ("地方公共団体", "Municipality"),
            MemberType::UniversityOrResearchInstitute => ("大学・研究機関", "University or research institute"),
            MemberType::RelatedOrganization => ("関係機関", "Related organization"),
        }
    }

    /// The company size class, for companies.
    pub fn size_class(self) -> Option<CompanySize> {
        match self {
            MemberType::LargeCompany => Some(CompanySize::Large),
            MemberType::SmeCompany => Some(CompanySize::Sme),
            MemberType::SmallCompany => Some(CompanySize::Small),
            _ => None,
        }
    }

    /// The submission format the member fills in.
    pub fn format(self) -> SubmissionFormat {
        match self {
            MemberType::LargeCompany
            | MemberType::SmeCompany
            | MemberType::SmallCompany
            | MemberType::IndustryAssociation => SubmissionFormat::Business,
            MemberType::Municipality => SubmissionFormat::Municipality,
            MemberType::UniversityOrResearchInstitute | MemberType::RelatedOrganization => SubmissionFormat::Projects,
        }
    }
}

/// The three submission formats (提出様式) of the partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionFormat {
    /// 企業・業界団体向け: targets in resource circulation, economic impact, environmental impact;
    /// follow-up every year.
    Business,
    /// 地方公共団体向け: targets in resource circulation, social impact, environmental impact;
    /// follow-up on the municipality's own schedule.
    Municipality,
    /// 大学・研究機関・関係機関向け: projects (title, start, end or planned end, publication).
    Projects,
}

impl SubmissionFormat {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionFormat::Business => "business",
            SubmissionFormat::Municipality => "municipality",
            SubmissionFormat::Projects => "projects",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<SubmissionFormat> {
        [
            SubmissionFormat::Business,
            SubmissionFormat::Municipality,
            SubmissionFormat::Projects,
        ]
        .into_iter()
        .find(|format| format.as_str() == text)
    }

    /// The target categories of the format (none for projects).
    pub fn categories(self) -> &'static [TargetCategory] {
        match self {
            SubmissionFormat::Business => &[
                TargetCategory::ResourceCirculation,
                TargetCategory::EconomicImpact,
                TargetCategory::EnvironmentalImpact,
            ],
            SubmissionFormat::Municipality => &[
                TargetCategory::ResourceCirculation,
                TargetCategory::SocialImpact,
                TargetCategory::EnvironmentalImpact,
            ],
            SubmissionFormat::Projects => &[],
        }
    }

    /// The name in Japanese and English.
    pub fn label(self) -> Label {
        match self {
            SubmissionFormat::Business => (
                "企業・業界団体向け様式",
                "Format for companies and industry associations",
            ),
            SubmissionFormat::Municipality => ("地方公共団体向け様式", "Format for municipalities"),
            SubmissionFormat::Projects => (
                "大学・研究機関・関係機関向け様式（プロジェクト）",
                "Format for universities, research institutes and related organizations (projects)",
            ),
        }
    }
}

/// A category of targets (目標の分類). Several may be chosen for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetCategory {
    /// 資源循環 / resource circulation (e.g. eco-design rate, recycled-material use rate,
    /// recycling rate, daily waste per resident, final disposal of industrial waste).
    ResourceCirculation,
    /// 経済インパクト / economic impact (e.g. sales of circular-economy business); companies and
    /// industry associations.
    EconomicImpact,
    /// 社会インパクト / social impact (e.g. jobs created); municipalities.
    SocialImpact,
    /// 環境インパクト / environmental impact (e.g. GHG reduction, water consumption reduction).
    EnvironmentalImpact,
}

impl TargetCategory {
    /// Every category.
    pub const ALL: [TargetCategory; 4] = [
        TargetCategory::ResourceCirculation,
        TargetCategory::EconomicImpact,
        TargetCategory::SocialImpact,
        TargetCategory::EnvironmentalImpact,
    ];

    /// The stable text form used in storage and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetCategory::ResourceCirculation => "resource_circulation",
            TargetCategory::EconomicImpact => "economic_impact",
            TargetCategory::SocialImpact => "social_impact",
            TargetCategory::EnvironmentalImpact => "environmental_impact",
        }
    }

    /// Parses the stable text form or the Japanese name.
    pub fn parse(text: &str) -> Option<TargetCategory> {
        TargetCategory::ALL
            .into_iter()
            .find(|category| category.as_str() == text || category.label().0 == text)
    }

    /// The name in Japanese and English.
    pub fn label(self) -> Label {
        match self {
            TargetCategory::ResourceCirculation => ("資源循環", "Resource circulation"),
            TargetCategory::EconomicImpact => ("経済インパクト", "Economic impact"),
            TargetCategory::SocialImpact => ("社会インパクト", "Social impact"),
            TargetCategory::EnvironmentalImpact => ("環境インパクト", "Environmental impact"),
        }
    }
}

/// A working group of the partnership (ワーキンググループ) a member may take part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkingGroup {
    /// ビジョン・ロードマップ検討WG / vision and roadmap.
    VisionRoadmap,
    /// CE情報流通プラットフォーム構築WG / circular-economy information platform.
    InformationPlatform,
    /// 地域循環モデル構築WG / regional circulation models.
    RegionalCirculation,
}

impl WorkingGroup {
    /// Every working group.
    pub const ALL: [WorkingGroup; 3] = [
        WorkingGroup::VisionRoadmap,
        WorkingGroup::InformationPlatform,
        WorkingGroup::RegionalCirculation,
    ];

    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkingGroup::VisionRoadmap => "vision_roadmap",
            WorkingGroup::InformationPlatform => "information_platform",
            WorkingGroup::RegionalCirculation => "regional_circulation",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<WorkingGroup> {
        WorkingGroup::ALL.into_iter().find(|group| group.as_str() == text)
    }

    /// The name in Japanese and English.
    pub fn label(self) -> Label {
        match self {
            WorkingGroup::VisionRoadmap => ("ビジョン・ロードマップ検討WG", "Vision and roadmap WG"),
            WorkingGroup::InformationPlatform => (
                "CE情報流通プラットフォーム構築WG",
                "Circular-economy information platform WG",
            ),
            WorkingGroup::RegionalCirculation => ("地域循環モデル構築WG", "Regional circulation models WG"),
        }
    }
}

/// The achievement band of a follow-up (達成度): how far from the baseline toward the target
/// value the member has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum AchievementBand {
    /// 0-19 %.
    #[serde(rename = "0-19")]
    Below20,
    /// 20-39 %.
    #[serde(rename = "20-39")]
    From20,
    /// 40-59 %.
    #[serde(rename = "40-59")]
    From40,
    /// 60-79 %.
    #[serde(rename = "60-79")]
    From60,
    /// 80-99 %.
    #[serde(rename = "80-99")]
    From80,
    /// 100 %: achieved (達成).
    #[serde(rename = "100")]
    Achieved,
}

impl AchievementBand {
    /// Every band, lowest first.
    pub const ALL: [AchievementBand; 6] = [
        AchievementBand::Below20,
        AchievementBand::From20,
        AchievementBand::From40,
        AchievementBand::From60,
        AchievementBand::From80,
        AchievementBand::Achieved,
    ];

    /// The stable text form (`0-19` ... `100`).
    pub fn as_str(self) -> &'static str {
        match self {
            AchievementBand::Below20 => "0-19",
            AchievementBand::From20 => "20-39",
            AchievementBand::From40 => "40-59",
            AchievementBand::From60 => "60-79",
            AchievementBand::From80 => "80-99",
            AchievementBand::Achieved => "100",
        }
    }

    /// Parses the stable text form (a trailing `%` is accepted).
    pub fn parse(text: &str) -> Option<AchievementBand> {
        let text = text.trim().trim_end_matches('%').trim();
        AchievementBand::ALL.into_iter().find(|band| band.as_str() == text)
    }

    /// The band a share of the way to the target (in percent) falls in: below 0 counts as 0-19 %,
    /// 100 % and more as achieved.
    pub fn of_percent(percent: rust_decimal::Decimal) -> AchievementBand {
        let bands = [
            (20, AchievementBand::Below20),
            (40, AchievementBand::From20),
            (60, AchievementBand::From40),
            (80, AchievementBand::From60),
            (100, AchievementBand::From80),
        ];
        bands
            .into_iter()
            .find(|(limit, _)| percent < rust_decimal::Decimal::from(*limit))
            .map_or(AchievementBand::Achieved, |(_, band)| band)
    }

    /// The band as shown (`0-19 %`, `100 %`).
    pub fn display(self) -> String {
        format!("{} %", self.as_str())
    }
}

/// The progress status of a follow-up (進捗状況).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgressStatus {
    /// 計画通りでない / not on plan.
    NotOnPlan,
    /// 一部計画通り / partly on plan.
    PartlyOnPlan,
    /// おおよそ計画通り / mostly on plan.
    MostlyOnPlan,
    /// 計画通り / on plan.
    OnPlan,
}

impl ProgressStatus {
    /// Every status, worst first.
    pub const ALL: [ProgressStatus; 4] = [
        ProgressStatus::NotOnPlan,
        ProgressStatus::PartlyOnPlan,
        ProgressStatus::MostlyOnPlan,
        ProgressStatus::OnPlan,
    ];

    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressStatus::NotOnPlan => "not_on_plan",
            ProgressStatus::PartlyOnPlan => "partly_on_plan",
            ProgressStatus::MostlyOnPlan => "mostly_on_plan",
            ProgressStatus::OnPlan => "on_plan",
        }
    }

    /// Parses the stable text form or the Japanese name.
    pub fn parse(text: &str) -> Option<ProgressStatus> {
        ProgressStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text || status.label().0 == text)
    }

    /// The name in Japanese and English.
    pub fn label(self) -> Label {
        match self {
            ProgressStatus::NotOnPlan => ("計画通りでない", "Not on plan"),
            ProgressStatus::PartlyOnPlan => ("一部計画通り", "Partly on plan"),
            ProgressStatus::MostlyOnPlan => ("おおよそ計画通り", "Mostly on plan"),
            ProgressStatus::OnPlan => ("計画通り", "On plan"),
        }
    }
}

/// ISO 8601 calendar dates (`2026-04-01`) in JSON.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::macros::format_description;
    use time::Date;

    const FORMAT: &[time::format_description::FormatItem<'static>] = format_description!("[year]-[month]-[day]");

    /// Parses `2026-04-01`.
    pub fn parse(text: &str) -> Result<Date, String> {
        Date::parse(text.trim(), FORMAT).map_err(|_| format!("must be a date YYYY-MM-DD, got {text:?}"))
    }

    /// Writes `2026-04-01`.
    pub fn format(date: Date) -> String {
        date.format(FORMAT).expect("a calendar date always formats")
    }

    /// Serializes a date.
    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*date))
    }

    /// Deserializes a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Optional dates.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::Date;

        /// Serializes an optional date.
        pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => serializer.serialize_str(&super::format(*date)),
                None => serializer.serialize_none(),
            }
        }

        /// Deserializes an optional date.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
            let text = Option::<String>::deserialize(deserializer)?;
            text.map(|text| super::parse(&text).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// The date one year after `day` (29 February goes to 28 February).
pub fn one_year_after(day: time::Date) -> time::Date {
    months_after(day, 12)
}

/// The date `months` calendar months after `day`, on the same day of the month or the month's
/// last day.
pub fn months_after(day: time::Date, months: u32) -> time::Date {
    let index = i64::from(day.year()) * 12 + i64::from(u8::from(day.month())) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).unwrap_or(i32::MAX);
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).expect("1..=12")).expect("1..=12");
    let last = month.length(year);
    time::Date::from_calendar_date(year, month, day.day().min(last)).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use time::macros::date;

    #[test]
    fn bands_cover_the_way_to_the_target() {
        let band = |value: i64| AchievementBand::of_percent(Decimal::from(value)).as_str();
        assert_eq!(
            [-5, 0, 19, 20, 39, 40, 59, 60, 79, 80, 99, 100, 130].map(band),
            [
                "0-19", "0-19", "0-19", "20-39", "20-39", "40-59", "40-59", "60-79", "60-79", "80-99", "80-99", "100",
                "100"
            ]
        );
        assert_eq!(
            AchievementBand::of_percent(Decimal::new(9999, 2)),
            AchievementBand::From80
        );
        assert_eq!(AchievementBand::parse("100 %"), Some(AchievementBand::Achieved));
        assert_eq!(AchievementBand::parse("20-39%"), Some(AchievementBand::From20));
        assert_eq!(AchievementBand::parse("50"), None);
    }

    #[test]
    fn each_member_type_has_its_format_and_categories() {
        assert_eq!(
            MemberType::IndustryAssociation.format().categories(),
            &[
                TargetCategory::ResourceCirculation,
                TargetCategory::EconomicImpact,
                TargetCategory::EnvironmentalImpact
            ]
        );
        assert!(MemberType::Municipality
            .format()
            .categories()
            .contains(&TargetCategory::SocialImpact));
        assert!(!MemberType::SmallCompany
            .format()
            .categories()
            .contains(&TargetCategory::SocialImpact));
        assert!(MemberType::RelatedOrganization.format().categories().is_empty());
        assert_eq!(
            TargetCategory::parse("社会インパクト"),
            Some(TargetCategory::SocialImpact)
        );
    }

    #[test]
    fn a_year_later_keeps_the_day_or_takes_the_months_last() {
        assert_eq!(one_year_after(date!(2025 - 04 - 01)), date!(2026 - 04 - 01));
        assert_eq!(one_year_after(date!(2024 - 02 - 29)), date!(2025 - 02 - 28));
        assert_eq!(months_after(date!(2025 - 11 - 30), 3), date!(2026 - 02 - 28));
    }
}

/// The organization the node designated as the Circular Partners secretariat (事務局). Its
/// members (organization administrators and members) review applications and read every
/// membership, target and follow-up (audited, as an auditor's reads are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Secretariat {
    /// The secretariat organization.
    pub organization_id: junkan_model::ids::OrganizationId,
    /// When the node administrator designated it.
    #[serde(with = "time::serde::rfc3339")]
    pub designated_at: time::OffsetDateTime,
}

/// Which memberships to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipFilter {
    /// Only these states.
    pub status: Option<membership::MembershipStatus>,
    /// Only this organization's.
    pub organization: Option<junkan_model::ids::OrganizationId>,
}

/// Which targets to list (current versions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFilter {
    /// Only this organization's.
    pub organization: Option<junkan_model::ids::OrganizationId>,
    /// Only targets in this category.
    pub category: Option<TargetCategory>,
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpFilter {
    /// Only this organization's.
    pub organization: Option<junkan_model::ids::OrganizationId>,
    /// Only those on this target.
    pub target: Option<junkan_model::ids::PartnerTargetId>,
}
