//! What the secretariat (事務局) watches: who is overdue (未提出), the members counted by type,
//! size class and prefecture, and the measured progress of targets linked to platform
//! indicators.
//!
//! The rules, each with today's date as an argument:
//! - **Targets**: every member sets its targets within a year of joining; a member with no
//!   target one year after its join date is overdue from that day on.
//! - **Follow-up, companies and industry associations**: every fiscal year (April to March)
//!   from the one they joined in, reported by the end of the following June; a member with
//!   targets and no follow-up for a completed fiscal year is overdue from 1 July (the oldest
//!   such year is listed).
//! - **Follow-up, municipalities**: on their own schedule, the interval they chose (12 months if
//!   they chose none), counted the same way.
//! - **Projects** (universities, research institutes, related organizations): a project whose
//!   end date has passed reports its results within three months; overdue after that without a
//!   follow-up on it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use junkan_model::ids::{OrganizationId, PartnerTargetId};
use junkan_model::organization::CompanySize;

use crate::membership::{Membership, MembershipStatus};
use crate::targets::{FollowUp, PartnerTarget};
use crate::{iso_date, months_after, one_year_after, AchievementBand, MemberType, SubmissionFormat};

/// Japan's offset: report dates are Japanese dates.
const JST: time::UtcOffset = match time::UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => time::UtcOffset::UTC,
};

/// How long after its end date a project reports its results (months).
pub const PROJECT_RESULTS_MONTHS: u32 = 3;
/// The follow-up interval of municipalities that chose none (months).
pub const YEARLY: u32 = 12;

/// The Japanese fiscal year (年度, April to March) of `day`.
pub fn fiscal_year_of(day: Date) -> i32 {
    if u8::from(day.month()) >= 4 {
        day.year()
    } else {
        day.year() - 1
    }
}

/// When the follow-up of fiscal year `year` is due (30 June after it ends).
pub fn follow_up_due(year: i32) -> Date {
    Date::from_calendar_date(year + 1, time::Month::June, 30).unwrap_or(Date::MAX)
}

/// What a member owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverdueKind {
    /// 目標未提出 / no targets within a year of joining.
    Targets,
    /// フォローアップ未提出 / follow-up overdue.
    FollowUp,
    /// プロジェクト成果未報告 / a finished project's results not reported.
    ProjectResults,
}

impl OverdueKind {
    /// The name in Japanese and English.
    pub fn label(self) -> crate::Label {
        match self {
            OverdueKind::Targets => ("目標未提出（入会後1年以内）", "No targets within a year of joining"),
            OverdueKind::FollowUp => ("フォローアップ未提出", "Follow-up overdue"),
            OverdueKind::ProjectResults => ("プロジェクト成果未報告", "Project results not reported"),
        }
    }
}

/// One overdue item of a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Overdue {
    /// The member.
    pub organization_id: OrganizationId,
    /// Its name in Japanese.
    pub organization_name_ja: String,
    /// Its name in English.
    pub organization_name_en: String,
    /// Its type.
    pub member_type: MemberType,
    /// What it owes.
    pub kind: OverdueKind,
    /// When it was due.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    /// Days past the due date.
    pub days_overdue: i64,
    /// The project, for project results.
    pub target_id: Option<PartnerTargetId>,
    /// The fiscal year whose follow-up is missing, for companies and industry associations.
    pub fiscal_year: Option<i32>,
}

/// What the overdue rules need to know about one member.
#[derive(Debug, Clone, Copy)]
pub struct MemberRecords<'a> {
    /// The membership.
    pub membership: &'a Membership,
    /// Its current targets.
    pub targets: &'a [PartnerTarget],
    /// Its follow-ups.
    pub follow_ups: &'a [FollowUp],
}

/// Everything `member` owes on `today` (nothing unless it is an approved member).
pub fn overdue(member: MemberRecords<'_>, today: Date) -> Vec<Overdue> {
    let membership = member.membership;
    let (MembershipStatus::Approved, Some(joined)) = (membership.status, membership.joined_on) else {
        return Vec::new();
    };
    let item = |kind, due: Date, target_id, fiscal_year| Overdue {
        organization_id: membership.organization_id,
        organization_name_ja: membership.organization_name_ja.clone(),
        organization_name_en: membership.organization_name_en.clone(),
        member_type: membership.member_type,
        kind,
        due,
        days_overdue: (today - due).whole_days(),
        target_id,
        fiscal_year,
    };
    let mut owed = Vec::new();
    if member.targets.is_empty() {
        let due = one_year_after(joined);
        if today > due {
            owed.push(item(OverdueKind::Targets, due, None, None));
        }
        return owed;
    }
    match membership.format {
        SubmissionFormat::Business => {
            let missing = (fiscal_year_of(joined)..fiscal_year_of(today)).find(|year| {
                today > follow_up_due(*year)
                    && !member
                        .follow_ups
                        .iter()
                        .any(|follow_up| follow_up.submission.fiscal_year == *year)
            });
            if let Some(year) = missing {
                owed.push(item(OverdueKind::FollowUp, follow_up_due(year), None, Some(year)));
            }
        }
        SubmissionFormat::Municipality => {
            let months = membership.follow_up_interval_months.unwrap_or(YEARLY);
            let last_report = member
                .follow_ups
                .iter()
                .map(|follow_up| follow_up.submitted_at.to_offset(JST).date())
                .max()
                .map_or(joined, |last| last.max(joined));
            let due = months_after(last_report, months);
            if today > due {
                owed.push(item(OverdueKind::FollowUp, due, None, None));
            }
        }
        SubmissionFormat::Projects => {
            for target in member.targets {
                let Some(project) = &target.submission.project else {
                    continue;
                };
                let reported = member
                    .follow_ups
                    .iter()
                    .any(|follow_up| follow_up.target_id == target.id);
                let due = months_after(project.end_date, PROJECT_RESULTS_MONTHS);
                if !reported && today > due {
                    owed.push(item(OverdueKind::ProjectResults, due, Some(target.id), None));
                }
            }
        }
    }
    owed
}

/// The members counted (会員統計): approved members only, plus the open applications and the
/// withdrawals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberStatistics {
    /// Approved members.
    pub members: u64,
    /// Applications awaiting review.
    pub applications: u64,
    /// Members that withdrew.
    pub withdrawn: u64,
    /// Members by type, every type listed (zero included).
    pub by_type: Vec<Count>,
    /// Companies by size class: large, sme, small.
    pub by_size: Vec<Count>,
    /// Members by prefecture code of the head office (`unknown` when not recorded), in code
    /// order.
    pub by_prefecture: Vec<Count>,
    /// Members by submission format.
    pub by_format: Vec<Count>,
}

/// One count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Count {
    /// What is counted (a member type, size class, prefecture code or format).
    pub key: String,
    /// How many.
    pub count: u64,
}

/// Counts `memberships`.
pub fn statistics(memberships: &[Membership]) -> MemberStatistics {
    let approved: Vec<&Membership> = memberships
        .iter()
        .filter(|membership| membership.status == MembershipStatus::Approved)
        .collect();
    let count_of = |status| {
        memberships
            .iter()
            .filter(|membership| membership.status == status)
            .count() as u64
    };
    let by_type = MemberType::ALL
        .into_iter()
        .map(|kind| Count {
            key: kind.as_str().to_owned(),
            count: approved
                .iter()
                .filter(|membership| membership.member_type == kind)
                .count() as u64,
        })
        .collect();
    let by_size = [CompanySize::Large, CompanySize::Sme, CompanySize::Small]
        .into_iter()
        .map(|size| Count {
            key: size.as_str().to_owned(),
            count: approved
                .iter()
                .filter(|membership| membership.member_type.size_class() == Some(size))
                .count() as u64,
        })
        .collect();
    let mut prefectures: BTreeMap<String, u64> = BTreeMap::new();
    for membership in &approved {
        let key = membership
            .prefecture_code
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        *prefectures.entry(key).or_default() += 1;
    }
    let by_format = [
        SubmissionFormat::Business,
        SubmissionFormat::Municipality,
        SubmissionFormat::Projects,
    ]
    .into_iter()
    .map(|format| Count {
        key: format.as_str().to_owned(),
        count: approved.iter().filter(|membership| membership.format == format).count() as u64,
    })
    .collect();
    MemberStatistics {
        members: approved.len() as u64,
        applications: count_of(MembershipStatus::Applied),
        withdrawn: count_of(MembershipStatus::Withdrawn),
        by_type,
        by_size,
        by_prefecture: prefectures
            .into_iter()
            .map(|(key, count)| Count { key, count })
            .collect(),
        by_format,
    }
}

/// A target's declared progress next to the value the platform computes for its linked
/// indicator (計測された進捗).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MeasuredProgress {
    /// The fiscal year of the computed value.
    pub fiscal_year: i32,
    /// The value the platform computed, when it could.
    #[schema(schema_with = junkan_indicators::records::optional_decimal_schema)]
    pub computed_value: Option<Decimal>,
    /// Why not, when it could not.
    pub not_computed_reason: Option<String>,
    /// How far the computed value has come toward the target, in percent.
    #[schema(schema_with = junkan_indicators::records::optional_decimal_schema)]
    pub computed_share: Option<Decimal>,
    /// The band the computed value suggests.
    pub suggested_band: Option<AchievementBand>,
    /// The member's latest declared value, when it reported one.
    #[schema(schema_with = junkan_indicators::records::optional_decimal_schema)]
    pub declared_value: Option<Decimal>,
    /// The member's latest declared band.
    pub declared_band: Option<AchievementBand>,
    /// Where the computation can be read (with its provenance).
    pub computation_href: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::{FollowUpSubmission, Project, Quantitative, TargetSubmission};
    use junkan_model::ids::{FollowUpId, MembershipId};
    use time::macros::{date, datetime};
    use time::OffsetDateTime;

    fn membership(kind: MemberType, joined: Date) -> Membership {
        Membership {
            id: MembershipId::derived(kind.as_str()),
            organization_id: OrganizationId::derived(kind.as_str()),
            organization_name_ja: "会員".to_owned(),
            organization_name_en: "Member".to_owned(),
            member_type: kind,
            format: kind.format(),
            prefecture_code: Some("40".to_owned()),
            status: MembershipStatus::Approved,
            applied_at: datetime!(2024-01-01 0:00 UTC),
            note: None,
            working_groups: vec![],
            publish: false,
            follow_up_interval_months: None,
            reviewed_at: None,
            review_reason: None,
            joined_on: Some(joined),
            withdrawn_on: None,
            withdrawal_reason: None,
        }
    }

    fn target(membership: &Membership, at: OffsetDateTime, project_end: Option<Date>) -> PartnerTarget {
        PartnerTarget {
            id: PartnerTargetId::generate(),
            version: 1,
            current: true,
            organization_id: membership.organization_id,
            membership_id: membership.id,
            format: membership.format,
            submission: TargetSubmission {
                quantitative: project_end.is_none().then(|| Quantitative {
                    indicator: "i".to_owned(),
                    scope: "s".to_owned(),
                    baseline_year: 2020,
                    baseline_value: Decimal::ZERO,
                    target_value: Decimal::ONE,
                    unit: "%".to_owned(),
                    target_year: 2030,
                }),
                project: project_end.map(|end| Project {
                    title: "p".to_owned(),
                    start_date: date!(2020 - 01 - 01),
                    end_date: end,
                    end_date_planned: false,
                }),
                ..TargetSubmission::default()
            },
            submitted_at: at,
            published: false,
        }
    }

    fn follow_up(target: &PartnerTarget, at: OffsetDateTime) -> FollowUp {
        FollowUp {
            id: FollowUpId::generate(),
            organization_id: target.organization_id,
            target_id: target.id,
            target_version: 1,
            submission: FollowUpSubmission::default(),
            share_achieved: None,
            flags: vec![],
            submitted_at: at,
        }
    }

    fn kinds(member: MemberRecords<'_>, today: Date) -> Vec<(OverdueKind, String, i64)> {
        overdue(member, today)
            .into_iter()
            .map(|item| (item.kind, iso_date::format(item.due), item.days_overdue))
            .collect()
    }

    #[test]
    fn targets_are_due_a_year_after_joining() {
        let member = membership(MemberType::SmeCompany, date!(2025 - 04 - 01));
        let records = MemberRecords {
            membership: &member,
            targets: &[],
            follow_ups: &[],
        };
        assert!(kinds(records, date!(2026 - 04 - 01)).is_empty());
        assert_eq!(
            kinds(records, date!(2026 - 04 - 11)),
            [(OverdueKind::Targets, "2026-04-01".to_owned(), 10)]
        );
        let applied = Membership {
            status: MembershipStatus::Applied,
            ..member.clone()
        };
        assert!(overdue(
            MemberRecords {
                membership: &applied,
                ..records
            },
            date!(2030 - 01 - 01)
        )
        .is_empty());
    }

    #[test]
    fn companies_report_each_fiscal_year_municipalities_on_their_schedule() {
        // Joined in FY2024; FY2024's follow-up is due on 30 June 2025.
        let company = membership(MemberType::LargeCompany, date!(2024 - 06 - 01));
        let targets = [target(&company, datetime!(2024-06-01 0:00 UTC), None)];
        let records = MemberRecords {
            membership: &company,
            targets: &targets,
            follow_ups: &[],
        };
        assert!(kinds(records, date!(2025 - 06 - 30)).is_empty());
        assert_eq!(
            kinds(records, date!(2025 - 07 - 01)),
            [(OverdueKind::FollowUp, "2025-06-30".to_owned(), 1)]
        );
        let mut fy2024 = follow_up(&targets[0], datetime!(2025-05-01 0:00 UTC));
        fy2024.submission.fiscal_year = 2024;
        let reports = [fy2024];
        let records = MemberRecords {
            follow_ups: &reports,
            ..records
        };
        assert!(kinds(records, date!(2026 - 06 - 30)).is_empty());
        assert_eq!(
            overdue(records, date!(2026 - 07 - 02))
                .iter()
                .map(|item| (item.fiscal_year, iso_date::format(item.due)))
                .collect::<Vec<_>>(),
            [(Some(2025), "2026-06-30".to_owned())]
        );
        let city = Membership {
            follow_up_interval_months: Some(24),
            ..membership(MemberType::Municipality, date!(2024 - 06 - 01))
        };
        let records = MemberRecords {
            membership: &city,
            targets: &targets,
            follow_ups: &[],
        };
        assert!(kinds(records, date!(2026 - 06 - 01)).is_empty());
        assert_eq!(
            kinds(records, date!(2026 - 06 - 02)),
            [(OverdueKind::FollowUp, "2026-06-01".to_owned(), 1)]
        );
    }

    #[test]
    fn finished_projects_report_their_results_within_three_months() {
        let university = membership(MemberType::UniversityOrResearchInstitute, date!(2024 - 04 - 01));
        let finished = target(&university, datetime!(2024-05-01 0:00 UTC), Some(date!(2026 - 03 - 31)));
        let running = target(&university, datetime!(2024-05-01 0:00 UTC), Some(date!(2028 - 03 - 31)));
        let targets = [finished.clone(), running];
        let records = MemberRecords {
            membership: &university,
            targets: &targets,
            follow_ups: &[],
        };
        assert_eq!(
            kinds(records, date!(2026 - 07 - 01)),
            [(OverdueKind::ProjectResults, "2026-06-30".to_owned(), 1)]
        );
        let reports = [follow_up(&finished, datetime!(2026-06-01 0:00 UTC))];
        assert!(kinds(
            MemberRecords {
                follow_ups: &reports,
                ..records
            },
            date!(2026 - 07 - 01)
        )
        .is_empty());
    }

    #[test]
    fn statistics_count_approved_members_by_type_size_and_prefecture() {
        let mut members = vec![
            membership(MemberType::LargeCompany, date!(2025 - 01 - 01)),
            membership(MemberType::SmallCompany, date!(2025 - 01 - 01)),
            Membership {
                prefecture_code: Some("13".to_owned()),
                ..membership(MemberType::Municipality, date!(2025 - 01 - 01))
            },
        ];
        members.push(Membership {
            status: MembershipStatus::Applied,
            ..membership(MemberType::SmeCompany, date!(2025 - 01 - 01))
        });
        let counted = statistics(&members);
        assert_eq!((counted.members, counted.applications, counted.withdrawn), (3, 1, 0));
        let pairs = |counts: &[Count]| {
            counts
                .iter()
                .map(|count| format!("{}={}", count.key, count.count))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(pairs(&counted.by_size), "large=1 sme=0 small=1");
        assert_eq!(pairs(&counted.by_prefecture), "13=1 40=2");
        assert_eq!(
            pairs(&counted.by_type),
            "large_company=1 sme_company=0 small_company=1 industry_association=0 municipality=1 university_or_research_institute=0 related_organization=0"
        );
    }
}
