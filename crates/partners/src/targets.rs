//! Targets (目標) in the categories and questions of each submission format, every one also in
//! structured form (indicator, scope, baseline year and value, target value and unit, target
//! year) so that it can be compared with data; projects (プロジェクト) of universities, research
//! institutes and related organizations; and follow-ups (フォローアップ) with their achievement
//! band, progress status and current state, flagged when the band contradicts the values.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use junkan_indicators::records::{outputs_of, Scope};
use junkan_indicators::regional::supported_scopes;
use junkan_model::ids::{FollowUpId, MembershipId, OrganizationId, PartnerTargetId};
use junkan_model::validation::{check_text, check_url};
use junkan_model::{Violation, Violations};

use crate::{iso_date, AchievementBand, ProgressStatus, SubmissionFormat, TargetCategory};

/// The longest target content (目標内容), note or description (characters).
pub const MAX_CONTENT_CHARS: usize = 1000;
/// The longest project title, indicator or scope name (characters).
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest unit (characters).
pub const MAX_UNIT_CHARS: usize = 40;
/// The longest summary of a project's results (成果概要, "about 400 characters").
pub const MAX_SUMMARY_CHARS: usize = 400;
/// The latest target year accepted.
pub const LAST_TARGET_YEAR: i32 = 2100;
/// The earliest baseline year accepted.
pub const FIRST_BASELINE_YEAR: i32 = 1990;

/// A target in structured form (定量目標), comparable with data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantitative {
    /// The indicator (指標), e.g. `再生材利用率 / recycled-material use rate`.
    pub indicator: String,
    /// What it covers (対象範囲), e.g. `国内で販売する家電製品 / appliances sold in Japan`.
    pub scope: String,
    /// Baseline year (基準年).
    pub baseline_year: i32,
    /// Baseline value (基準値).
    #[schema(schema_with = junkan_indicators::records::decimal_schema)]
    pub baseline_value: Decimal,
    /// Target value (目標値); it differs from the baseline (a reduction target lies below it).
    #[schema(schema_with = junkan_indicators::records::decimal_schema)]
    pub target_value: Decimal,
    /// Unit of the baseline and target values (単位), e.g. `%`, `t-CO2e`, `g/人日`, `億円`.
    pub unit: String,
    /// Target year (目標年), the deadline (期限); not in the past.
    pub target_year: i32,
}

impl Quantitative {
    /// How far `value` has come from the baseline toward the target, in percent (negative when
    /// it went the other way).
    pub fn share_achieved(&self, value: Decimal) -> Option<Decimal> {
        let way = self.target_value - self.baseline_value;
        if way.is_zero() {
            return None;
        }
        ((value - self.baseline_value) * Decimal::ONE_HUNDRED)
            .checked_div(way)
            .map(|share| share.round_dp(1))
    }

    /// The achievement band `value` falls in.
    pub fn band_of(&self, value: Decimal) -> Option<AchievementBand> {
        self.share_achieved(value).map(AchievementBand::of_percent)
    }

    /// Whether the target asks for a decrease (a reduction target).
    pub fn is_reduction(&self) -> bool {
        self.target_value < self.baseline_value
    }
}

/// A project (プロジェクト) of a university, research institute or related organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Title (プロジェクト名), at most 200 characters.
    pub title: String,
    /// Start date (開始日).
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub start_date: Date,
    /// End date (終了日), or the planned end (終了予定日) when `end_date_planned`.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub end_date: Date,
    /// Whether the end date is planned (予定) rather than fixed.
    #[serde(default)]
    pub end_date_planned: bool,
}

/// A target linked to an indicator the platform computes (計測値との比較), e.g. a
/// municipality's recycling rate `municipal-recycling-rate` / `recycling_rate_pct` of
/// `region:401005`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkedIndicator {
    /// The platform indicator (`GET /api/v1/indicators`).
    pub indicator: String,
    /// Its output compared with the target.
    pub output: String,
    /// The scope it is computed for (`region:<local-government code>`, `nation:JP`).
    pub scope: String,
}

impl LinkedIndicator {
    /// Every problem of the link: the indicator must be computed by the platform from stored
    /// records for the scope's kind, and the output must be one of its outputs.
    pub fn check(&self, violations: &mut Violations, path: &str) {
        let outputs = outputs_of(&self.indicator);
        if junkan_indicators::indicator(&self.indicator).is_none() || outputs.is_empty() {
            violations.push(
                format!("{path}/indicator"),
                format!(
                    "{:?} is not an indicator the platform computes from stored records; link one of jp-material-flow, municipal-recycling-rate, cmu",
                    self.indicator
                ),
            );
            return;
        }
        if !outputs.iter().any(|spec| spec.output == self.output) {
            violations.push(
                format!("{path}/output"),
                format!(
                    "{} has no output {:?} (outputs: {})",
                    self.indicator,
                    self.output,
                    outputs.iter().map(|spec| spec.output).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        match Scope::parse(&self.scope) {
            Err(message) => violations.push(format!("{path}/scope"), message),
            Ok(scope) if !supported_scopes(&self.indicator).contains(&scope.kind) => violations.push(
                format!("{path}/scope"),
                format!("{} is not computed for {} scopes", self.indicator, scope.kind.as_str()),
            ),
            Ok(_) => {}
        }
    }
}

/// A target as a member submits it (提出), in the questions of its format.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSubmission {
    /// The categories (several may be chosen) — companies and industry associations:
    /// resource_circulation, economic_impact, environmental_impact; municipalities:
    /// resource_circulation, social_impact, environmental_impact; projects: none.
    #[serde(default)]
    pub categories: Vec<TargetCategory>,
    /// The target's content (目標内容), at most 1,000 characters; required except for projects
    /// (where it is an optional description).
    #[serde(default)]
    pub content: Option<String>,
    /// The target in structured form; required except for projects.
    #[serde(default)]
    pub quantitative: Option<Quantitative>,
    /// The project; required for (and only for) universities, research institutes and related
    /// organizations.
    #[serde(default)]
    pub project: Option<Project>,
    /// The page where the target is published (掲載先URL).
    #[serde(default)]
    pub publication_url: Option<String>,
    /// The platform indicator the target is measured with, if any.
    #[serde(default)]
    pub linked_indicator: Option<LinkedIndicator>,
}

impl TargetSubmission {
    /// Every problem of the submission in `format`, submitted on `today`.
    pub fn check(&self, format: SubmissionFormat, today: Date) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        self.check_into(&mut violations, "", format, today);
        violations.into_result()
    }

    /// [`TargetSubmission::check`] into `violations`, every path under `prefix`.
    pub fn check_into(&self, violations: &mut Violations, prefix: &str, format: SubmissionFormat, today: Date) {
        let allowed = format.categories();
        if format == SubmissionFormat::Projects {
            if !self.categories.is_empty() {
                violations.push(
                    format!("{prefix}/categories"),
                    "universities, research institutes and related organizations submit projects, without categories",
                );
            }
        } else if self.categories.is_empty() {
            violations.push(
                format!("{prefix}/categories"),
                format!("choose at least one category: {}", category_list(allowed)),
            );
        }
        for (index, category) in self.categories.iter().enumerate() {
            if format != SubmissionFormat::Projects && !allowed.contains(category) {
                violations.push(
                    format!("{prefix}/categories/{index}"),
                    format!(
                        "{} ({}) is not a category of the {}; choose from {}",
                        category.as_str(),
                        category.label().0,
                        format.label().1.to_lowercase(),
                        category_list(allowed)
                    ),
                );
            } else if self.categories[..index].contains(category) {
                violations.push(
                    format!("{prefix}/categories/{index}"),
                    format!("{} is chosen twice", category.as_str()),
                );
            }
        }
        match (&self.content, format) {
            (Some(content), _) => {
                violations.check(&format!("{prefix}/content"), check_text(content, MAX_CONTENT_CHARS))
            }
            (None, SubmissionFormat::Projects) => {}
            (None, _) => violations.push(
                format!("{prefix}/content"),
                "the target's content (目標内容) is required",
            ),
        }
        match (&self.quantitative, format) {
            (Some(_), SubmissionFormat::Projects) => violations.push(
                format!("{prefix}/quantitative"),
                "projects have no quantitative target; give the project instead",
            ),
            (Some(quantitative), _) => check_quantitative(violations, &format!("{prefix}/quantitative"), quantitative, today),
            (None, SubmissionFormat::Projects) => {}
            (None, _) => violations.push(
                format!("{prefix}/quantitative"),
                "the target in structured form (indicator, scope, baseline year and value, target value and unit, target year) is required",
            ),
        }
        match (&self.project, format) {
            (Some(project), SubmissionFormat::Projects) => {
                check_project(violations, &format!("{prefix}/project"), project)
            }
            (Some(_), _) => violations.push(
                format!("{prefix}/project"),
                "only universities, research institutes and related organizations submit projects",
            ),
            (None, SubmissionFormat::Projects) => violations.push(
                format!("{prefix}/project"),
                "the project (title, start date, end date or planned end) is required",
            ),
            (None, _) => {}
        }
        if let Some(url) = &self.publication_url {
            violations.check(&format!("{prefix}/publication_url"), check_url(url));
        }
        if let Some(link) = &self.linked_indicator {
            if format == SubmissionFormat::Projects {
                violations.push(
                    format!("{prefix}/linked_indicator"),
                    "projects are not measured with an indicator",
                );
            } else {
                link.check(violations, &format!("{prefix}/linked_indicator"));
            }
        }
    }
}

fn category_list(categories: &[TargetCategory]) -> String {
    categories
        .iter()
        .map(|category| format!("{} ({})", category.as_str(), category.label().0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_quantitative(violations: &mut Violations, path: &str, target: &Quantitative, today: Date) {
    violations.check(
        &format!("{path}/indicator"),
        check_text(&target.indicator, MAX_TITLE_CHARS),
    );
    violations.check(&format!("{path}/scope"), check_text(&target.scope, MAX_TITLE_CHARS));
    violations.check(&format!("{path}/unit"), check_text(&target.unit, MAX_UNIT_CHARS));
    let this_year = today.year();
    if target.target_year < this_year {
        violations.push(
            format!("{path}/target_year"),
            format!(
                "the target year {} is in the past; a target is set for {this_year} or later",
                target.target_year
            ),
        );
    } else if target.target_year > LAST_TARGET_YEAR {
        violations.push(
            format!("{path}/target_year"),
            format!("must be {LAST_TARGET_YEAR} or earlier, got {}", target.target_year),
        );
    }
    if !(FIRST_BASELINE_YEAR..=this_year).contains(&target.baseline_year) {
        violations.push(
            format!("{path}/baseline_year"),
            format!(
                "must be a year from {FIRST_BASELINE_YEAR} to {this_year}, got {}",
                target.baseline_year
            ),
        );
    } else if target.baseline_year >= target.target_year {
        violations.push(
            format!("{path}/baseline_year"),
            format!(
                "must come before the target year {}, got {}",
                target.target_year, target.baseline_year
            ),
        );
    }
    if target.target_value == target.baseline_value {
        violations.push(
            format!("{path}/target_value"),
            "equals the baseline value: a target is a change from the baseline (below it for a reduction)",
        );
    }
}

fn check_project(violations: &mut Violations, path: &str, project: &Project) {
    violations.check(&format!("{path}/title"), check_text(&project.title, MAX_TITLE_CHARS));
    if project.end_date < project.start_date {
        violations.push(
            format!("{path}/end_date"),
            format!(
                "must not be before the start date {}",
                iso_date::format(project.start_date)
            ),
        );
    }
}

/// A target as stored: one version of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartnerTarget {
    /// Identifier, the same for every version.
    pub id: PartnerTargetId,
    /// Version, from 1; an edit is the next version, re-submitted to the secretariat.
    pub version: i64,
    /// Whether this is the current version.
    pub current: bool,
    /// The member organization (owner).
    pub organization_id: OrganizationId,
    /// Its membership.
    pub membership_id: MembershipId,
    /// The submission format it was submitted in.
    pub format: SubmissionFormat,
    /// What was submitted.
    #[serde(flatten)]
    pub submission: TargetSubmission,
    /// When this version was submitted (提出日時).
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    /// Whether the target is on the public member page (the member publishes).
    pub published: bool,
}

/// A follow-up report (フォローアップ) on one target for one fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSubmission {
    /// The fiscal year reported on (年度); not in the future.
    pub fiscal_year: i32,
    /// Quantitative targets: the achievement band (達成度).
    #[serde(default)]
    pub achievement_band: Option<AchievementBand>,
    /// Quantitative targets: the progress status (進捗状況).
    #[serde(default)]
    pub progress_status: Option<ProgressStatus>,
    /// Targets not yet met: the current value (現状値), in the target's unit.
    #[serde(default)]
    #[schema(schema_with = junkan_indicators::records::optional_decimal_schema)]
    pub current_value: Option<Decimal>,
    /// The year of the current value.
    #[serde(default)]
    pub current_year: Option<i32>,
    /// Remarks on the state of the target, at most 1,000 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// Projects: a summary of the results (成果概要), at most 400 characters.
    #[serde(default)]
    pub results_summary: Option<String>,
    /// Where the progress is published (掲載先URL).
    #[serde(default)]
    pub publication_url: Option<String>,
}

/// Something about a follow-up the secretariat should look at; stored with it, never a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpFlag {
    /// `band_contradicts_value`, `achieved_without_value`, `status_contradicts_band`.
    pub code: String,
    /// What contradicts what.
    pub message: String,
}

impl FollowUpSubmission {
    /// Every problem of a follow-up on `target` (current version), reported on `today`; when it
    /// passes, the flags (contradictions the secretariat should see).
    pub fn check(&self, target: &PartnerTarget, today: Date) -> Result<Vec<FollowUpFlag>, Vec<Violation>> {
        let mut violations = Violations::new();
        let this_year = today.year();
        if !(2000..=this_year).contains(&self.fiscal_year) {
            violations.push(
                "/fiscal_year",
                format!(
                    "must be a fiscal year from 2000 to {this_year} (a follow-up reports on the past), got {}",
                    self.fiscal_year
                ),
            );
        }
        if let Some(note) = &self.note {
            violations.check("/note", check_text(note, MAX_CONTENT_CHARS));
        }
        if let Some(url) = &self.publication_url {
            violations.check("/publication_url", check_url(url));
        }
        match &target.submission.quantitative {
            None => {
                match &self.results_summary {
                    Some(summary) => violations.check("/results_summary", check_text(summary, MAX_SUMMARY_CHARS)),
                    None => violations.push(
                        "/results_summary",
                        "a project's follow-up gives a summary of its results (成果概要)",
                    ),
                }
                for (field, given) in [
                    ("achievement_band", self.achievement_band.is_some()),
                    ("progress_status", self.progress_status.is_some()),
                    ("current_value", self.current_value.is_some()),
                    ("current_year", self.current_year.is_some()),
                ] {
                    if given {
                        violations.push(
                            format!("/{field}"),
                            "a project's follow-up gives its results summary and link, not an achievement band or values",
                        );
                    }
                }
            }
            Some(quantitative) => {
                if self.results_summary.is_some() {
                    violations.push(
                        "/results_summary",
                        "only project follow-ups give a results summary; give the achievement band and current state",
                    );
                }
                if self.achievement_band.is_none() {
                    violations.push(
                        "/achievement_band",
                        "the achievement band (達成度) is required: 0-19, 20-39, 40-59, 60-79, 80-99 or 100",
                    );
                }
                if self.progress_status.is_none() {
                    violations.push("/progress_status", "the progress status (進捗状況) is required: not_on_plan, partly_on_plan, mostly_on_plan or on_plan");
                }
                let achieved = self.achievement_band == Some(AchievementBand::Achieved);
                if !achieved {
                    if self.current_value.is_none() {
                        violations.push(
                            "/current_value",
                            "a target not yet met reports its current value (現状値)",
                        );
                    }
                    if self.current_year.is_none() {
                        violations.push(
                            "/current_year",
                            "a target not yet met reports the year of its current value",
                        );
                    }
                }
                if let Some(year) = self.current_year {
                    if !(quantitative.baseline_year..=this_year).contains(&year) {
                        violations.push(
                            "/current_year",
                            format!(
                                "must lie between the baseline year {} and {this_year}, got {year}",
                                quantitative.baseline_year
                            ),
                        );
                    }
                }
            }
        }
        violations.into_result()?;
        Ok(self.flags(target))
    }

    /// The contradictions between the declared band, status and values.
    pub fn flags(&self, target: &PartnerTarget) -> Vec<FollowUpFlag> {
        let mut flags = Vec::new();
        let (Some(quantitative), Some(band)) = (&target.submission.quantitative, self.achievement_band) else {
            return flags;
        };
        if let Some(value) = self.current_value {
            if let (Some(share), Some(suggested)) = (quantitative.share_achieved(value), quantitative.band_of(value)) {
                if suggested != band {
                    flags.push(FollowUpFlag {
                        code: "band_contradicts_value".to_owned(),
                        message: format!(
                            "declared band {} but the current value {} {} is {share} % of the way from the baseline {} to the target {} ({})",
                            band.display(),
                            value,
                            quantitative.unit,
                            quantitative.baseline_value,
                            quantitative.target_value,
                            suggested.display()
                        ),
                    });
                }
            }
        } else if band == AchievementBand::Achieved {
            flags.push(FollowUpFlag {
                code: "achieved_without_value".to_owned(),
                message: "declared achieved (100 %) without the value reached".to_owned(),
            });
        }
        if band == AchievementBand::Achieved && self.progress_status == Some(ProgressStatus::NotOnPlan) {
            flags.push(FollowUpFlag {
                code: "status_contradicts_band".to_owned(),
                message: "declared achieved (100 %) but not on plan (計画通りでない)".to_owned(),
            });
        }
        flags
    }
}

/// A follow-up as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FollowUp {
    /// Identifier.
    pub id: FollowUpId,
    /// The member organization (owner).
    pub organization_id: OrganizationId,
    /// The target reported on.
    pub target_id: PartnerTargetId,
    /// The target version reported on.
    pub target_version: i64,
    /// What was reported.
    #[serde(flatten)]
    pub submission: FollowUpSubmission,
    /// How far the current value has come toward the target, in percent (against target, 目標比).
    #[schema(schema_with = junkan_indicators::records::optional_decimal_schema)]
    pub share_achieved: Option<Decimal>,
    /// Contradictions found when it was submitted.
    pub flags: Vec<FollowUpFlag>,
    /// When it was submitted.
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn recycling_rate() -> Quantitative {
        Quantitative {
            indicator: "再生材利用率 / recycled-material use rate".to_owned(),
            scope: "家電製品".to_owned(),
            baseline_year: 2022,
            baseline_value: Decimal::from(10),
            target_value: Decimal::from(30),
            unit: "%".to_owned(),
            target_year: 2030,
        }
    }

    fn business_target() -> TargetSubmission {
        TargetSubmission {
            categories: vec![TargetCategory::ResourceCirculation, TargetCategory::EnvironmentalImpact],
            content: Some("2030年度までに再生プラスチック利用率30%".to_owned()),
            quantitative: Some(recycling_rate()),
            project: None,
            publication_url: Some("https://example.com/ce".to_owned()),
            linked_indicator: None,
        }
    }

    fn paths(result: Result<(), Vec<Violation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|violation| format!("{}: {}", violation.path, violation.message))
            .collect()
    }

    const TODAY: Date = date!(2026 - 11 - 23);

    #[test]
    fn each_format_takes_its_own_questions() {
        assert!(business_target().check(SubmissionFormat::Business, TODAY).is_ok());
        expect_test::expect![[r#"
            [
                "/categories/0: economic_impact (経済インパクト) is not a category of the format for municipalities; choose from resource_circulation (資源循環), social_impact (社会インパクト), environmental_impact (環境インパクト)",
            ]
        "#]]
        .assert_debug_eq(&paths(
            TargetSubmission {
                categories: vec![TargetCategory::EconomicImpact],
                ..business_target()
            }
            .check(SubmissionFormat::Municipality, TODAY),
        ));
        expect_test::expect![[r#"
            [
                "/categories: universities, research institutes and related organizations submit projects, without categories",
                "/quantitative: projects have no quantitative target; give the project instead",
                "/project: the project (title, start date, end date or planned end) is required",
            ]
        "#]]
        .assert_debug_eq(&paths(business_target().check(SubmissionFormat::Projects, TODAY)));
        let project = TargetSubmission {
            project: Some(Project {
                title: "廃プラスチックのケミカルリサイクル実証".to_owned(),
                start_date: date!(2025 - 04 - 01),
                end_date: date!(2028 - 03 - 31),
                end_date_planned: true,
            }),
            ..TargetSubmission::default()
        };
        assert!(project.check(SubmissionFormat::Projects, TODAY).is_ok());
        expect_test::expect![[r#"
            [
                "/categories: choose at least one category: resource_circulation (資源循環), economic_impact (経済インパクト), environmental_impact (環境インパクト)",
                "/content: the target's content (目標内容) is required",
                "/quantitative: the target in structured form (indicator, scope, baseline year and value, target value and unit, target year) is required",
                "/project: only universities, research institutes and related organizations submit projects",
            ]
        "#]]
        .assert_debug_eq(&paths(project.check(SubmissionFormat::Business, TODAY)));
    }

    #[test]
    fn past_years_long_texts_and_links_are_refused() {
        let mut target = business_target();
        let quantitative = target.quantitative.as_mut().expect("set");
        quantitative.target_year = 2025;
        quantitative.baseline_year = 2026;
        target.content = Some("x".repeat(1001));
        target.publication_url = Some("ftp://example.com".to_owned());
        target.linked_indicator = Some(LinkedIndicator {
            indicator: "municipal-recycling-rate".to_owned(),
            output: "recycling_rate".to_owned(),
            scope: "organization:0190a5e0-0000-7000-8000-000000000000".to_owned(),
        });
        expect_test::expect![[r#"
            [
                "/content: must be at most 1000 characters, got 1001",
                "/quantitative/target_year: the target year 2025 is in the past; a target is set for 2026 or later",
                "/quantitative/baseline_year: must come before the target year 2025, got 2026",
                "/publication_url: must be an http:// or https:// URL",
                "/linked_indicator/output: municipal-recycling-rate has no output \"recycling_rate\" (outputs: recycling_rate_pct)",
                "/linked_indicator/scope: municipal-recycling-rate is not computed for organization scopes",
            ]
        "#]]
        .assert_debug_eq(&paths(target.check(SubmissionFormat::Business, TODAY)));
    }

    fn stored(submission: TargetSubmission) -> PartnerTarget {
        PartnerTarget {
            id: PartnerTargetId::derived("t"),
            version: 1,
            current: true,
            organization_id: OrganizationId::derived("o"),
            membership_id: MembershipId::derived("m"),
            format: SubmissionFormat::Business,
            submission,
            submitted_at: datetime!(2026-01-01 0:00 UTC),
            published: false,
        }
    }

    #[test]
    fn follow_ups_are_flagged_when_the_band_contradicts_the_value() {
        let target = stored(business_target());
        let follow_up = FollowUpSubmission {
            fiscal_year: 2025,
            achievement_band: Some(AchievementBand::From80),
            progress_status: Some(ProgressStatus::OnPlan),
            current_value: Some(Decimal::from(14)),
            current_year: Some(2025),
            ..FollowUpSubmission::default()
        };
        let flags = follow_up.check(&target, TODAY).expect("accepted, flagged");
        expect_test::expect![[r#"
            [
                FollowUpFlag {
                    code: "band_contradicts_value",
                    message: "declared band 80-99 % but the current value 14 % is 20 % of the way from the baseline 10 to the target 30 (20-39 %)",
                },
            ]
        "#]]
        .assert_debug_eq(&flags);
        let honest = FollowUpSubmission {
            achievement_band: Some(AchievementBand::From20),
            ..follow_up.clone()
        };
        assert!(honest.check(&target, TODAY).expect("accepted").is_empty());
        // A reduction target: from 100 down to 60; 90 is a quarter of the way.
        let mut reduction = business_target();
        let quantitative = reduction.quantitative.as_mut().expect("set");
        (quantitative.baseline_value, quantitative.target_value) = (Decimal::from(100), Decimal::from(60));
        let reduction = stored(reduction);
        assert_eq!(
            reduction
                .submission
                .quantitative
                .as_ref()
                .and_then(|q| q.band_of(Decimal::from(90))),
            Some(AchievementBand::From20)
        );
        expect_test::expect![[r#"
            [
                "/fiscal_year: must be a fiscal year from 2000 to 2026 (a follow-up reports on the past), got 2027",
                "/results_summary: only project follow-ups give a results summary; give the achievement band and current state",
                "/progress_status: the progress status (進捗状況) is required: not_on_plan, partly_on_plan, mostly_on_plan or on_plan",
                "/current_value: a target not yet met reports its current value (現状値)",
            ]
        "#]]
        .assert_debug_eq(&paths(
            FollowUpSubmission {
                fiscal_year: 2027,
                progress_status: None,
                current_value: None,
                results_summary: Some("成果".to_owned()),
                ..follow_up
            }
            .check(&reduction, TODAY)
            .map(|_| ()),
        ));
    }

    #[test]
    fn project_follow_ups_give_a_summary_of_at_most_400_characters() {
        let project = stored(TargetSubmission {
            project: Some(Project {
                title: "実証".to_owned(),
                start_date: date!(2024 - 04 - 01),
                end_date: date!(2026 - 03 - 31),
                end_date_planned: false,
            }),
            ..TargetSubmission::default()
        });
        let summary = |text: String| FollowUpSubmission {
            fiscal_year: 2025,
            results_summary: Some(text),
            ..FollowUpSubmission::default()
        };
        assert!(summary("成".repeat(400)).check(&project, TODAY).is_ok());
        expect_test::expect![[r#"
            [
                "/results_summary: must be at most 400 characters, got 401",
            ]
        "#]]
        .assert_debug_eq(&paths(summary("成".repeat(401)).check(&project, TODAY).map(|_| ())));
    }
}
