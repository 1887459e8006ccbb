//! Named EPCIS queries and their subscriptions (EPCIS 2.0 REST binding, `/queries`): a query is
//! kept by name for the organization that made it; a subscription delivers its new results to a
//! webhook, whenever events are captured (`stream`) or on a schedule (cron-like fields).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{OrganizationId, SubscriptionId};
use crate::principal::PrincipalKind;
use crate::validation::Violation;

/// A named query of an organization.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NamedQuery {
    /// Its name, unique within the organization.
    pub name: String,
    /// The query parameters, as the binding's query language writes them
    /// (e.g. `{"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping"]}`).
    #[schema(value_type = Object)]
    pub query: serde_json::Value,
    /// When it was made.
    #[serde(rename = "createdAt", with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Organization that made it.
    #[serde(skip)]
    pub owner_organization_id: Option<OrganizationId>,
}

/// A query name: 1 to 100 letters, digits, `-`, `_` or `.` (it appears in URLs).
pub fn check_query_name(name: &str) -> Result<(), Violation> {
    let fits = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte));
    if fits {
        Ok(())
    } else {
        Err(Violation::new(
            "/name",
            "must be 1 to 100 letters, digits, '-', '_' or '.'",
        ))
    }
}

/// Which field one value of a cron-like schedule constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Unit {
    const ALL: [Unit; 6] = [
        Unit::Second,
        Unit::Minute,
        Unit::Hour,
        Unit::DayOfMonth,
        Unit::Month,
        Unit::DayOfWeek,
    ];

    fn name(self) -> &'static str {
        match self {
            Unit::Second => "second",
            Unit::Minute => "minute",
            Unit::Hour => "hour",
            Unit::DayOfMonth => "dayOfMonth",
            Unit::Month => "month",
            Unit::DayOfWeek => "dayOfWeek",
        }
    }

    fn range(self) -> (u32, u32) {
        match self {
            Unit::Second | Unit::Minute => (0, 59),
            Unit::Hour => (0, 23),
            Unit::DayOfMonth => (1, 31),
            Unit::Month => (1, 12),
            Unit::DayOfWeek => (1, 7),
        }
    }

    fn of(self, time: OffsetDateTime) -> u32 {
        match self {
            Unit::Second => u32::from(time.second()),
            Unit::Minute => u32::from(time.minute()),
            Unit::Hour => u32::from(time.hour()),
            Unit::DayOfMonth => u32::from(time.day()),
            Unit::Month => u32::from(u8::from(time.month())),
            Unit::DayOfWeek => u32::from(time.weekday().number_from_monday()),
        }
    }
}

/// A query schedule as the binding writes it: `second`, `minute`, `hour`, `dayOfMonth`, `month`
/// and `dayOfWeek` (1 = Monday), each a comma list of numbers, ranges `a-b` or `[a-b]`, `*`, and
/// steps `a/n` or `*/n`. Fields finer than the finest one given default to their first value
/// (so `{"hour": "1", "minute": "5"}` fires once a day at 01:05:00); coarser ones to any value.
/// Times are UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// Seconds, 0-59.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<String>,
    /// Minutes, 0-59.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute: Option<String>,
    /// Hours, 0-23.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<String>,
    /// Days of the month, 1-31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<String>,
    /// Months, 1-12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// Days of the week, 1 (Monday) - 7 (Sunday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<String>,
}

impl Schedule {
    fn field(&self, unit: Unit) -> Option<&str> {
        match unit {
            Unit::Second => self.second.as_deref(),
            Unit::Minute => self.minute.as_deref(),
            Unit::Hour => self.hour.as_deref(),
            Unit::DayOfMonth => self.day_of_month.as_deref(),
            Unit::Month => self.month.as_deref(),
            Unit::DayOfWeek => self.day_of_week.as_deref(),
        }
    }

    /// Every problem of the schedule, with its JSON pointer under `base`.
    pub fn check(&self, base: &str) -> Vec<Violation> {
        let mut problems = Vec::new();
        if Unit::ALL.iter().all(|unit| self.field(*unit).is_none()) {
            problems.push(Violation::new(
                base,
                "names no field; give at least one of second, minute, hour, dayOfMonth, month, dayOfWeek",
            ));
        }
        for unit in Unit::ALL {
            if let Some(text) = self.field(unit) {
                if let Err(message) = allowed(text, unit) {
                    problems.push(Violation::new(format!("{base}/{}", unit.name()), message));
                }
            }
        }
        problems
    }

    /// Whether the schedule fires in any whole second after `after` (a Unix second) up to and
    /// including the second of `now`: what a loop that wakes now and then has to ask.
    pub fn fires_between(&self, after: i64, now: OffsetDateTime) -> bool {
        (after + 1..=now.unix_timestamp())
            .filter_map(|second| OffsetDateTime::from_unix_timestamp(second).ok())
            .any(|second| self.fires_at(second))
    }

    /// Whether the schedule fires in the second of `time` (UTC).
    pub fn fires_at(&self, time: OffsetDateTime) -> bool {
        let time = time.to_offset(time::UtcOffset::UTC);
        let finest = Unit::ALL.iter().position(|unit| self.field(*unit).is_some());
        Unit::ALL.iter().enumerate().all(|(index, unit)| {
            let value = unit.of(time);
            match self.field(*unit) {
                Some(text) => allowed(text, *unit).is_ok_and(|values| values.contains(&value)),
                None if finest.is_some_and(|finest| index < finest) => value == unit.range().0,
                None => true,
            }
        })
    }
}

/// The values a field allows, or why it is malformed.
fn allowed(text: &str, unit: Unit) -> Result<Vec<u32>, String> {
    let (low, high) = unit.range();
    let number = |part: &str| -> Result<u32, String> {
        part.trim()
            .parse::<u32>()
            .ok()
            .filter(|value| (low..=high).contains(value))
            .ok_or_else(|| format!("{part:?} is not a number from {low} to {high}"))
    };
    let mut values = Vec::new();
    for element in text.split(',') {
        let element = element.trim();
        let (span, step) = match element.split_once('/') {
            Some((span, step)) => (
                span,
                step.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|step| *step > 0)
                    .ok_or_else(|| format!("{step:?} is not a positive step"))?,
            ),
            None => (element, 1),
        };
        let span = span.trim().trim_start_matches('[').trim_end_matches(']');
        let (from, to) = if span == "*" {
            (low, high)
        } else if let Some((from, to)) = span.split_once('-') {
            (number(from)?, number(to)?)
        } else if element.contains('/') {
            (number(span)?, high)
        } else {
            let value = number(span)?;
            (value, value)
        };
        if from > to {
            return Err(format!("{element:?} runs backwards"));
        }
        values.extend((from..=to).step_by(step as usize));
    }
    Ok(values)
}

/// What a new subscription asks for (the binding's request body).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSubscription {
    /// The webhook URL (http or https) the results are POSTed to.
    pub dest: String,
    /// Secret the results are signed with (`GS1-Signature: sha256=<HMAC-SHA256 hex of the body>`).
    #[serde(default)]
    pub signature_token: Option<String>,
    /// Only events recorded at or after this time; defaults to the subscription's creation.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub initial_record_time: Option<OffsetDateTime>,
    /// Report as soon as matching events are captured.
    #[serde(default)]
    pub stream: bool,
    /// Report on this schedule instead.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Also report (an empty document) when a scheduled run finds nothing.
    #[serde(default)]
    pub report_if_empty: bool,
    /// How EPCs are written in the reports (`GS1-EPC-Format`).
    #[serde(default)]
    pub epc_format: Option<String>,
}

impl NewSubscription {
    /// Every problem of the request.
    pub fn check(&self) -> Vec<Violation> {
        let mut problems = Vec::new();
        let scheme_ok = self.dest.starts_with("https://") || self.dest.starts_with("http://");
        if !scheme_ok || self.dest.len() > 2000 || self.dest.contains(char::is_whitespace) {
            problems.push(Violation::new(
                "/dest",
                "must be an http or https URL of at most 2000 characters",
            ));
        }
        match (&self.schedule, self.stream) {
            (Some(_), true) => problems.push(Violation::new("/stream", "stream and schedule exclude each other")),
            (None, false) => problems.push(Violation::new(
                "/stream",
                "set stream to true or give a schedule, so the repository knows when to report",
            )),
            (Some(schedule), false) => problems.extend(schedule.check("/schedule")),
            (None, true) => {}
        }
        if self.stream && self.report_if_empty {
            problems.push(Violation::new(
                "/reportIfEmpty",
                "only applies to scheduled subscriptions",
            ));
        }
        if let Some(format) = &self.epc_format {
            if !EPC_FORMATS.contains(&format.as_str()) {
                problems.push(Violation::new(
                    "/epcFormat",
                    format!("must be one of {}", EPC_FORMATS.join(", ")),
                ));
            }
        }
        if self
            .signature_token
            .as_ref()
            .is_some_and(|token| token.is_empty() || token.len() > 500)
        {
            problems.push(Violation::new("/signatureToken", "must be 1 to 500 characters"));
        }
        problems
    }
}

/// The values of `GS1-EPC-Format`.
pub const EPC_FORMATS: [&str; 4] = [
    "No_Preference",
    "Always_GS1_Digital_Link",
    "Always_EPC_URN",
    "Never_Translates",
];

/// A subscription as the binding shows it (the secret is never shown).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Id.
    #[serde(rename = "subscriptionID")]
    #[schema(value_type = String)]
    pub id: SubscriptionId,
    /// The named query.
    pub query_name: String,
    /// The webhook URL.
    pub dest: String,
    /// Whether results are signed.
    pub signed: bool,
    /// Events recorded from this time on are reported.
    #[serde(with = "time::serde::rfc3339")]
    pub initial_record_time: OffsetDateTime,
    /// Streaming subscription.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// Scheduled subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Report empty scheduled runs too.
    pub report_if_empty: bool,
    /// EPC form of the reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epc_format: Option<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last time the webhook answered 2xx.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_notified_at: Option<OffsetDateTime>,
    /// The last delivery failure, if the webhook has not answered 2xx since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The organization whose query it is.
    #[serde(skip)]
    pub owner_organization_id: Option<OrganizationId>,
    /// Who subscribed: results are read with their rights at delivery time.
    #[serde(skip)]
    pub subscriber: Option<(PrincipalKind, String)>,
    /// Delivery position: the capture-order position of the last event reported.
    #[serde(skip)]
    pub delivered_up_to: Option<String>,
    /// The secret.
    #[serde(skip)]
    pub signature_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn schedule(json: serde_json::Value) -> Schedule {
        serde_json::from_value(json).expect("schedule")
    }

    #[test]
    fn finer_fields_default_to_their_first_value() {
        let daily = schedule(serde_json::json!({"hour": "1", "minute": "5"}));
        assert!(daily.check("/schedule").is_empty());
        assert!(daily.fires_at(datetime!(2026-11-22 01:05:00 UTC)));
        assert!(!daily.fires_at(datetime!(2026-11-22 01:05:01 UTC)));
        assert!(!daily.fires_at(datetime!(2026-11-22 02:05:00 UTC)));
        assert!(
            daily.fires_at(datetime!(2026-11-22 10:05:00 +09:00)),
            "times compare in UTC"
        );
    }

    #[test]
    fn lists_ranges_and_steps() {
        let every_30s = schedule(serde_json::json!({"second": "0/30"}));
        assert!(every_30s.fires_at(datetime!(2026-11-22 13:00:30 UTC)));
        assert!(!every_30s.fires_at(datetime!(2026-11-22 13:00:31 UTC)));
        let weekdays = schedule(serde_json::json!({"hour": "[8-9],17", "dayOfWeek": "1-5"}));
        // 2026-11-22 is a Sunday, the 23rd a Monday.
        assert!(!weekdays.fires_at(datetime!(2026-11-22 08:00:00 UTC)));
        assert!(weekdays.fires_at(datetime!(2026-11-23 17:00:00 UTC)));
        assert!(!weekdays.fires_at(datetime!(2026-11-23 10:00:00 UTC)));
    }

    #[test]
    fn malformed_schedules_name_the_field() {
        let problems = schedule(serde_json::json!({"minute": "61", "hour": "5-2"})).check("/schedule");
        let paths: Vec<&str> = problems.iter().map(|problem| problem.path.as_str()).collect();
        assert_eq!(paths, vec!["/schedule/minute", "/schedule/hour"]);
        assert_eq!(Schedule::default().check("/schedule").len(), 1);
    }

    #[test]
    fn subscriptions_need_stream_or_schedule() {
        let base = NewSubscription {
            dest: "https://client.example.com/hook".to_owned(),
            signature_token: None,
            initial_record_time: None,
            stream: false,
            schedule: None,
            report_if_empty: false,
            epc_format: None,
        };
        assert_eq!(base.check()[0].path, "/stream");
        let stream = NewSubscription {
            stream: true,
            ..base.clone()
        };
        assert!(stream.check().is_empty());
        let bad = NewSubscription {
            dest: "ftp://x".to_owned(),
            epc_format: Some("Sometimes".to_owned()),
            ..stream
        };
        let paths: Vec<String> = bad.check().into_iter().map(|problem| problem.path).collect();
        assert_eq!(paths, vec!["/dest", "/epcFormat"]);
    }
}
