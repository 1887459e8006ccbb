//! Membership (会員): an organization applies (入会申請), the secretariat approves with a join
//! date (入会日) or rejects with a reason, and a member may withdraw (退会). Members choose their
//! working groups, whether their targets are published on the node, and (municipalities) how
//! often they report.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use junkan_model::ids::{MembershipId, OrganizationId};
use junkan_model::validation::check_text;
use junkan_model::{Violation, Violations};

use crate::{iso_date, MemberType, SubmissionFormat, WorkingGroup};

/// The earliest join date accepted: the year the partnership was founded (2023).
pub const FOUNDED: Date = time::macros::date!(2023 - 01 - 01);

/// The longest note, reason or free text of a membership (characters).
pub const MAX_NOTE_CHARS: usize = 1000;

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// 審査中 / applied, awaiting the secretariat's review.
    Applied,
    /// 会員 / approved: a member since its join date.
    Approved,
    /// 不承認 / rejected, with the secretariat's reason.
    Rejected,
    /// 退会 / withdrawn.
    Withdrawn,
}

impl MembershipStatus {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipStatus::Applied => "applied",
            MembershipStatus::Approved => "approved",
            MembershipStatus::Rejected => "rejected",
            MembershipStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<MembershipStatus> {
        [
            MembershipStatus::Applied,
            MembershipStatus::Approved,
            MembershipStatus::Rejected,
            MembershipStatus::Withdrawn,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// The name in Japanese and English.
    pub fn label(self) -> crate::Label {
        match self {
            MembershipStatus::Applied => ("審査中", "Under review"),
            MembershipStatus::Approved => ("会員", "Member"),
            MembershipStatus::Rejected => ("不承認", "Rejected"),
            MembershipStatus::Withdrawn => ("退会", "Withdrawn"),
        }
    }

    /// Whether a membership in this state blocks a new application (one open application or
    /// membership per organization).
    pub fn is_open(self) -> bool {
        matches!(self, MembershipStatus::Applied | MembershipStatus::Approved)
    }
}

/// An application for membership by the caller's organization.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// Why the organization joins, what it plans (申請理由), at most 1,000 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// Working groups it wants to take part in.
    #[serde(default)]
    pub working_groups: Vec<WorkingGroup>,
    /// Whether its targets and progress are published on the node's public member page
    /// (公開する); it can change this later.
    #[serde(default)]
    pub publish: bool,
    /// Municipalities only: how often they report follow-ups, in months (1-60, default 12).
    #[serde(default)]
    pub follow_up_interval_months: Option<u32>,
}

impl NewApplication {
    /// Every problem of the application of a member of `member_type`.
    pub fn check(&self, member_type: MemberType) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        if let Some(note) = &self.note {
            violations.check("/note", check_text(note, MAX_NOTE_CHARS));
        }
        check_working_groups(&mut violations, &self.working_groups);
        check_interval(&mut violations, member_type, self.follow_up_interval_months);
        violations.into_result()
    }
}

fn check_working_groups(violations: &mut Violations, groups: &[WorkingGroup]) {
    for (index, group) in groups.iter().enumerate() {
        if groups[..index].contains(group) {
            violations.push(
                format!("/working_groups/{index}"),
                format!("{} is listed twice", group.as_str()),
            );
        }
    }
}

fn check_interval(violations: &mut Violations, member_type: MemberType, months: Option<u32>) {
    match months {
        Some(_) if member_type.format() != SubmissionFormat::Municipality => violations.push(
            "/follow_up_interval_months",
            "only municipalities set their own follow-up schedule; companies and industry associations report every year, universities, research institutes and related organizations when a project ends",
        ),
        Some(months) if !(1..=60).contains(&months) => violations.push(
            "/follow_up_interval_months",
            format!("must be between 1 and 60 months, got {months}"),
        ),
        _ => {}
    }
}

/// The secretariat's decision on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 承認 / approve.
    Approve,
    /// 不承認 / reject.
    Reject,
}

/// The secretariat's review of an application.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Approve or reject.
    pub decision: Decision,
    /// The reason; required when rejecting, at most 1,000 characters.
    #[serde(default)]
    pub reason: Option<String>,
    /// Approval only: the join date (入会日), default today; not in the future. It may precede
    /// the application on this node: members that joined on paper forms keep their join date.
    #[serde(default, with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub join_date: Option<Date>,
}

impl Review {
    /// Every problem of the review of an application, decided on `today`.
    pub fn check(&self, today: Date) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        match (&self.decision, &self.reason) {
            (Decision::Reject, None) => violations.push("/reason", "a rejection needs its reason (不承認の理由)"),
            (_, Some(reason)) => violations.check("/reason", check_text(reason, MAX_NOTE_CHARS)),
            _ => {}
        }
        if let Some(join_date) = self.join_date {
            if self.decision == Decision::Reject {
                violations.push("/join_date", "a rejected application has no join date");
            } else if join_date > today {
                violations.push(
                    "/join_date",
                    format!("must not be in the future (today is {})", iso_date::format(today)),
                );
            } else if join_date < FOUNDED {
                violations.push(
                    "/join_date",
                    format!(
                        "must not be before the partnership was founded ({})",
                        iso_date::format(FOUNDED)
                    ),
                );
            }
        }
        violations.into_result()
    }
}

/// A member's withdrawal (退会届).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Why, at most 1,000 characters.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Withdrawal {
    /// Every problem of the withdrawal.
    pub fn check(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        if let Some(reason) = &self.reason {
            violations.check("/reason", check_text(reason, MAX_NOTE_CHARS));
        }
        violations.into_result()
    }
}

/// What a member changes about its membership (JSON merge patch: absent fields stay).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipSettings {
    /// The working groups it takes part in, all of them.
    #[serde(default)]
    pub working_groups: Option<Vec<WorkingGroup>>,
    /// Whether its targets and progress are on the public member page.
    #[serde(default)]
    pub publish: Option<bool>,
    /// Municipalities only: the follow-up interval in months (1-60).
    #[serde(default)]
    pub follow_up_interval_months: Option<u32>,
}

impl MembershipSettings {
    /// Every problem of the settings of a member of `member_type`.
    pub fn check(&self, member_type: MemberType) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        if let Some(groups) = &self.working_groups {
            check_working_groups(&mut violations, groups);
        }
        check_interval(&mut violations, member_type, self.follow_up_interval_months);
        violations.into_result()
    }
}

/// A membership or application as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Membership {
    /// Identifier.
    pub id: MembershipId,
    /// The applying organization (the owner of this record).
    pub organization_id: OrganizationId,
    /// Its name in Japanese.
    pub organization_name_ja: String,
    /// Its name in English.
    pub organization_name_en: String,
    /// Its member type, fixed when it applied.
    pub member_type: MemberType,
    /// The submission format that follows from it.
    pub format: SubmissionFormat,
    /// Prefecture code of its head office (01-47), when known.
    pub prefecture_code: Option<String>,
    /// Where the membership stands.
    pub status: MembershipStatus,
    /// When it applied.
    #[serde(with = "time::serde::rfc3339")]
    pub applied_at: OffsetDateTime,
    /// Its note.
    pub note: Option<String>,
    /// Working groups.
    pub working_groups: Vec<WorkingGroup>,
    /// Whether its targets and progress are public.
    pub publish: bool,
    /// Municipalities: the follow-up interval in months.
    pub follow_up_interval_months: Option<u32>,
    /// When the secretariat decided.
    #[serde(with = "time::serde::rfc3339::option")]
    pub reviewed_at: Option<OffsetDateTime>,
    /// The secretariat's reason (always given for rejections).
    pub review_reason: Option<String>,
    /// Join date (入会日), once approved.
    #[serde(with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub joined_on: Option<Date>,
    /// Withdrawal date (退会日).
    #[serde(with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub withdrawn_on: Option<Date>,
    /// Why it withdrew.
    pub withdrawal_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_rejection_needs_a_reason_and_a_join_date_lies_between_founding_and_today() {
        let review = |decision, reason: Option<&str>, join_date| Review {
            decision,
            reason: reason.map(str::to_owned),
            join_date,
        };
        let today = date!(2026 - 05 - 01);
        let problems = |review: Review| {
            review
                .check(today)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|violation| format!("{} {}", violation.path, violation.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            problems(review(Decision::Reject, None, None)),
            ["/reason a rejection needs its reason (不承認の理由)"]
        );
        assert!(problems(review(Decision::Approve, None, Some(date!(2026 - 04 - 15)))).is_empty());
        assert_eq!(
            problems(review(Decision::Approve, None, Some(date!(2026 - 06 - 01)))),
            ["/join_date must not be in the future (today is 2026-05-01)"]
        );
        assert_eq!(
            problems(review(Decision::Approve, None, Some(date!(2022 - 03 - 01)))),
            ["/join_date must not be before the partnership was founded (2023-01-01)"]
        );
        let long = "あ".repeat(1001);
        assert_eq!(
            problems(review(Decision::Reject, Some(&long), None)),
            ["/reason must be at most 1000 characters, got 1001"]
        );
    }

    #[test]
    fn only_municipalities_choose_their_schedule() {
        let application = NewApplication {
            follow_up_interval_months: Some(24),
            working_groups: vec![WorkingGroup::VisionRoadmap, WorkingGroup::VisionRoadmap],
            ..NewApplication::default()
        };
        assert!(application.check(MemberType::Municipality).is_err());
        let paths: Vec<String> = application
            .check(MemberType::LargeCompany)
            .expect_err("two problems")
            .into_iter()
            .map(|violation| violation.path)
            .collect();
        assert_eq!(paths, ["/working_groups/1", "/follow_up_interval_months"]);
        let fine = NewApplication {
            follow_up_interval_months: Some(24),
            ..NewApplication::default()
        };
        assert!(fine.check(MemberType::Municipality).is_ok());
    }
}
