//! The rolling window of a mass-balance ledger under the rolling-average percentage method
//! (ISO 22095:2020 mass balance, 平均比率法の移動平均): the share its outputs may claim is the
//! recycled share of the inputs over a window of consecutive periods (e.g. the last 12 monthly
//! ledgers), not of its own period only.
//!
//! - **The window is a chain of ledgers.** A ledger of the same facility, material and model
//!   whose period ends the day before the next one starts is the period before it, as for the
//!   credit carry-over. The ledger names its window's size (`periods`, its own period included)
//!   and, optionally, the ledgers of the earlier periods; otherwise they are found by that chain.
//! - **A missing period is never filled.** When no ledger ends the day before a period of the
//!   window starts, the window is reported short (`short`, with what is missing) and its share is
//!   that of the periods found; the earlier periods beyond the gap do not count.
//! - **Unknown shares are never 0.** An input lot of any period of the window whose share is
//!   unknown leaves the window's share not computable, as in a single period.
//! - **Never overdrawn.** A claim may carry the window's share, but the recycled material it
//!   draws still comes from the credits of its own period's inputs: the ledger is never
//!   overdrawn, whatever the share of earlier periods.

use junkan_model::ids::LedgerId;
use junkan_model::validation::{Violation, Violations};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::custody::{unresolved, LedgerRecord, LedgerView};
use crate::ledger::CustodyModel;
use crate::PERCENT;

/// The rule stated with every window.
pub const ROLLING_WINDOW_RULE: &str = "the share claimed on outputs is Σ recycled input / Σ input over the window's consecutive periods (this ledger's included; a ledger of the same facility, material and model ending the day before a period starts is the period before it); a missing earlier period is reported and never filled; the credits drawn still come from this period's inputs";

/// A rolling-average ledger's window (移動平均の期間).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollingWindow {
    /// How many consecutive periods the average covers, this ledger's included: 1 or more
    /// (12 with monthly ledgers: the last 12 months).
    pub periods: u32,
    /// The ledgers of the earlier periods, when named: of the same facility, material and
    /// model, each ending before this ledger starts; absent: the ledgers found by the chain of
    /// periods (each ending the day before the next starts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledgers: Vec<LedgerId>,
}

impl RollingWindow {
    /// Checks the window alone (the size, the number and repetition of named ledgers) for a
    /// ledger under `model`; `path` is the window's pointer in the request.
    pub fn check(&self, model: Option<CustodyModel>, path: &str, violations: &mut Violations) {
        if model.is_some_and(|model| model != CustodyModel::MassBalanceRollingAverage) {
            violations.push(
                path,
                "only a mass_balance_rolling_average ledger averages over a window of periods",
            );
        }
        if self.periods < 1 {
            violations.push(
                format!("{path}/periods"),
                "must be 1 or more: the number of consecutive periods averaged, this ledger's included",
            );
        } else if self.ledgers.len() >= self.periods as usize {
            violations.push(
                format!("{path}/ledgers"),
                format!(
                    "names {} ledger(s), but a window of {} period(s) has room for {} before this ledger's",
                    self.ledgers.len(),
                    self.periods,
                    self.periods - 1
                ),
            );
        }
        for (index, ledger) in self.ledgers.iter().enumerate() {
            if self.ledgers[..index].contains(ledger) {
                violations.push(
                    format!("{path}/ledgers/{index}"),
                    format!("names /api/v1/ledgers/{ledger} again: periods of a window cannot overlap"),
                );
            }
        }
    }
}

/// Checks the ledgers a window names against the ledger that names it: each must exist (be
/// readable by its keeper), keep the same facility, material and model, end before the ledger
/// starts, and not overlap another named one. `named[i]` is the ledger found for
/// `window.ledgers[i]`, `None` when none is found. Every problem is returned with its pointer.
pub fn check_window_ledgers(
    ledger: &LedgerRecord,
    window: &RollingWindow,
    named: &[Option<LedgerRecord>],
    path: &str,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (index, (id, found)) in window.ledgers.iter().zip(named).enumerate() {
        let pointer = format!("{path}/ledgers/{index}");
        let Some(found) = found else {
            violations.push(Violation::new(
                pointer,
                format!("no ledger of your organization has the id {id}"),
            ));
            continue;
        };
        let mut problems = Vec::new();
        if found.facility_id != ledger.facility_id {
            problems.push(format!(
                "it keeps facility {}, not this ledger's facility {}",
                found.facility_id, ledger.facility_id
            ));
        }
        if found.material != ledger.material {
            problems.push(format!(
                "it keeps {}, not this ledger's {}",
                found.material, ledger.material
            ));
        }
        if found.model != ledger.model {
            problems.push(format!(
                "it is kept under {}, not {}",
                found.model.as_str(),
                ledger.model.as_str()
            ));
        }
        if found.period_to >= ledger.period_from {
            problems.push(format!(
                "its period {}/{} overlaps or follows this ledger's {}/{}: a window counts earlier periods only",
                found.period_from, found.period_to, ledger.period_from, ledger.period_to
            ));
        }
        for (other_index, other) in named[..index].iter().enumerate() {
            let Some(other) = other else { continue };
            if other.id != found.id && other.period_from <= found.period_to && found.period_from <= other.period_to {
                problems.push(format!(
                    "its period {}/{} overlaps that of {path}/ledgers/{other_index} ({}/{})",
                    found.period_from, found.period_to, other.period_from, other.period_to
                ));
            }
        }
        if !problems.is_empty() {
            violations.push(Violation::new(
                pointer,
                format!("{} cannot be in this window: {}", found.href(), problems.join("; ")),
            ));
        }
    }
    violations
}

/// One period of a window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WindowPeriod {
    /// The period's ledger.
    pub ledger_id: LedgerId,
    /// Where to read it.
    pub href: String,
    /// First day.
    pub period_from: String,
    /// Last day.
    pub period_to: String,
    /// Mass of the material in its inputs of known share, in tonnes.
    #[schema(value_type = String)]
    pub input_t: Decimal,
    /// Recycled material in them, in tonnes.
    #[schema(value_type = String)]
    pub recycled_input_t: Decimal,
    /// Input lots of the period whose share is unknown.
    pub unknown_share_lots: usize,
}

/// A ledger's window and the share its outputs may claim (移動平均比率).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RollingWindowShare {
    /// The periods the window asks for, this ledger's included.
    pub periods: u32,
    /// The periods found, this ledger's first, then each earlier one.
    pub used: Vec<WindowPeriod>,
    /// The earlier periods not found, and named ledgers left out of the chain.
    pub missing: Vec<String>,
    /// Whether fewer periods than asked for were found.
    pub short: bool,
    /// Σ input over the periods found, in tonnes.
    #[schema(value_type = String)]
    pub input_t: Decimal,
    /// Σ recycled input over them, in tonnes.
    #[schema(value_type = String)]
    pub recycled_input_t: Decimal,
    /// The share outputs may claim: recycled input / input × 100; null when not computable
    /// (presented to 6 decimal places; claims are checked against the exact value).
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "crate::optional_share_text")]
    pub share_pct: Option<Decimal>,
    /// Why the share is not computable.
    pub not_computable: Vec<String>,
    /// The rule applied.
    pub rule: &'static str,
}

/// The day before `date` (`YYYY-MM-DD`).
fn previous_day(date: &str) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, &format).ok()?.previous_day()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    ))
}

fn period_of(view: &LedgerView) -> WindowPeriod {
    WindowPeriod {
        ledger_id: view.ledger.id,
        href: view.ledger.href(),
        period_from: view.ledger.period_from.clone(),
        period_to: view.ledger.period_to.clone(),
        input_t: view.balance.input_t,
        recycled_input_t: view.balance.recycled_input_t,
        unknown_share_lots: unresolved(&view.missing_shares).len(),
    }
}

/// Where the chain of a window's periods breaks: no period ends on `ends_on`, the day before the
/// earliest period found starts, and `periods` periods of the window are missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainGap {
    /// The day no candidate period ends on.
    pub ends_on: String,
    /// How many earlier periods the window still lacks.
    pub periods: usize,
}

/// The earlier periods of a window of `periods` consecutive periods (its own included) whose own
/// period starts on `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodChain {
    /// Indexes into the candidates, latest first: the one ending the day before `start`, then
    /// the one ending the day before that one starts, and so on.
    pub found: Vec<usize>,
    /// Where the chain breaks before the window is full, if it does.
    pub gap: Option<ChainGap>,
}

/// Follows the chain of consecutive periods back from the period starting `start` (ISO dates
/// `YYYY-MM-DD`), through `candidates` (`(first day, last day)` of each earlier period), until the
/// window has `periods` periods or no candidate ends the day before the earliest found starts.
/// The one rule of both the stored ledgers' windows and `POST /api/v1/indicators/mass-balance`:
/// a missing period is reported, never filled, and periods beyond a gap do not count.
pub fn chain_of_periods(start: &str, periods: u32, candidates: &[(&str, &str)]) -> PeriodChain {
    let mut found = Vec::new();
    let mut start = start.to_owned();
    while found.len() + 1 < periods as usize {
        let expected_end = previous_day(&start).unwrap_or_default();
        match candidates.iter().position(|(_, last)| *last == expected_end.as_str()) {
            Some(index) if !found.contains(&index) => {
                found.push(index);
                start = candidates[index].0.to_owned();
            }
            _ => {
                let missing = periods as usize - 1 - found.len();
                return PeriodChain {
                    found,
                    gap: Some(ChainGap {
                        ends_on: expected_end,
                        periods: missing,
                    }),
                };
            }
        }
    }
    PeriodChain { found, gap: None }
}

/// The window of `current` over `earlier` (the views the store found: the named ledgers, or the
/// ledgers of the same facility, material and model that end before `current` starts), or
/// `None` when `current` declares no window. Pure; see the module's rules.
pub fn rolling_window_share(current: &LedgerView, earlier: &[LedgerView]) -> Option<RollingWindowShare> {
    let window = current.ledger.rolling_window.as_ref()?;
    let head = &current.ledger;
    let candidates: Vec<&LedgerView> = earlier
        .iter()
        .filter(|view| {
            view.ledger.id != head.id
                && (view.ledger.facility_id, &view.ledger.material, view.ledger.model)
                    == (head.facility_id, &head.material, head.model)
                && (window.ledgers.is_empty() || window.ledgers.contains(&view.ledger.id))
        })
        .collect();
    let mut used = vec![period_of(current)];
    let mut missing = Vec::new();
    let days: Vec<(&str, &str)> = candidates
        .iter()
        .map(|view| (view.ledger.period_from.as_str(), view.ledger.period_to.as_str()))
        .collect();
    let chain = chain_of_periods(&head.period_from, window.periods, &days);
    used.extend(chain.found.iter().map(|index| period_of(candidates[*index])));
    if let Some(gap) = chain.gap {
        missing.push(format!(
            "no {} ledger of {} under {} at facility {} ends on {}: {} earlier period(s) of the window are missing and not counted",
            if window.ledgers.is_empty() { "readable" } else { "named" },
            head.material,
            head.model.as_str(),
            head.facility_id,
            gap.ends_on,
            gap.periods
        ));
    }
    for view in &candidates {
        if !window.ledgers.is_empty() && !used.iter().any(|period| period.ledger_id == view.ledger.id) {
            missing.push(format!(
                "{} ({}/{}) is named but not counted: the chain of periods breaks before it",
                view.ledger.href(),
                view.ledger.period_from,
                view.ledger.period_to
            ));
        }
    }
    let input_t: Decimal = used.iter().map(|period| period.input_t).sum();
    let recycled_input_t: Decimal = used.iter().map(|period| period.recycled_input_t).sum();
    let mut not_computable: Vec<String> = used
        .iter()
        .filter(|period| period.unknown_share_lots > 0)
        .map(|period| {
            format!(
                "the recycled share of {} input lot(s) of {} ({}/{}) is unknown",
                period.unknown_share_lots, period.href, period.period_from, period.period_to
            )
        })
        .collect();
    if input_t.is_zero() {
        not_computable.push("the window's periods have no input mass".to_owned());
    }
    let share_pct = not_computable
        .is_empty()
        .then(|| (recycled_input_t / input_t * PERCENT).normalize());
    Some(RollingWindowShare {
        periods: window.periods,
        short: used.len() < window.periods as usize,
        used,
        missing,
        input_t: input_t.normalize(),
        recycled_input_t: recycled_input_t.normalize(),
        share_pct,
        not_computable,
        rule: ROLLING_WINDOW_RULE,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use junkan_model::facility::Visibility;
    use junkan_model::ids::{FacilityId, LedgerInputId, OrganizationId};
    use serde_json::json;
    use time::OffsetDateTime;

    use super::*;
    use crate::custody::{decide_claim, MissingShare, NewLedgerClaim, NewLedgerInput};

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("a test decimal")
    }

    fn ledger(name: &str, period: (&str, &str), window: Option<RollingWindow>) -> LedgerRecord {
        LedgerRecord {
            id: LedgerId::derived(name),
            owner_organization_id: OrganizationId::derived("owner"),
            facility_id: FacilityId::derived("plant"),
            material: "polypropylene".to_owned(),
            model: CustodyModel::MassBalanceRollingAverage,
            period_from: period.0.to_owned(),
            period_to: period.1.to_owned(),
            conversion_factor: Decimal::ONE,
            unit_conversions: BTreeMap::new(),
            visibility: Visibility::Restricted,
            note: None,
            carry_over: None,
            rolling_window: window,
            closed_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        }
    }

    /// A view of `record` with one input lot of `mass` t at `share` %.
    fn view(record: LedgerRecord, mass: u32, share: u32) -> LedgerView {
        let checked = serde_json::from_value::<NewLedgerInput>(json!({
            "lot": format!("{}-lot", record.period_from), "mass": mass, "unit": "t",
            "recycled_share_pct": share, "received_on": record.period_from}))
        .expect("an input")
        .check(&record)
        .expect("valid");
        let input = checked.into_input(
            &record,
            LedgerInputId::derived(&record.period_from),
            OffsetDateTime::UNIX_EPOCH,
            "tester".to_owned(),
        );
        LedgerView::new(record, vec![input], Vec::new(), Vec::new())
    }

    fn window(periods: u32, ledgers: &[&str]) -> Option<RollingWindow> {
        Some(RollingWindow {
            periods,
            ledgers: ledgers.iter().map(|name| LedgerId::derived(name)).collect(),
        })
    }

    const JANUARY: (&str, &str) = ("2026-01-01", "2026-01-31");
    const FEBRUARY: (&str, &str) = ("2026-02-01", "2026-02-28");
    const MARCH: (&str, &str) = ("2026-03-01", "2026-03-31");

    /// Monthly ledgers. Hand computation:
    /// January 10 t at 20 % → 2 t recycled; February 20 t at 5 % → 1 t; March 10 t at 50 % → 5 t.
    /// March over 3 periods: (5 + 1 + 2) / (10 + 20 + 10) = 8 / 40 = 20 % (its own period: 50 %).
    /// Over 4 periods, December 2025 has no ledger: the window is short, its share 20 % over the
    /// three periods found. Without February, the chain breaks after March: 5 / 10 = 50 %, and
    /// January does not count.
    #[test]
    fn the_window_averages_consecutive_periods_and_reports_what_is_missing() {
        let january = view(ledger("january", JANUARY, None), 10, 20);
        let february = view(ledger("february", FEBRUARY, None), 20, 5);
        let march = |periods, named: &[&str]| view(ledger("march", MARCH, window(periods, named)), 10, 50);
        let earlier = [january.clone(), february.clone()];

        let three = rolling_window_share(&march(3, &[]), &earlier).expect("a window");
        assert_eq!(
            (three.share_pct, three.input_t, three.recycled_input_t, three.short),
            (Some(decimal("20")), decimal("40"), decimal("8"), false)
        );
        let used: Vec<&str> = three.used.iter().map(|period| period.period_from.as_str()).collect();
        assert_eq!(used, ["2026-03-01", "2026-02-01", "2026-01-01"]);
        assert!(three.missing.is_empty());

        let four = rolling_window_share(&march(4, &[]), &earlier).expect("a window");
        assert_eq!((four.share_pct, four.short), (Some(decimal("20")), true));
        assert_eq!(four.missing.len(), 1);
        assert!(
            four.missing[0].contains("ends on 2025-12-31: 1 earlier period(s)"),
            "{:?}",
            four.missing
        );

        let gap = rolling_window_share(&march(3, &[]), std::slice::from_ref(&january)).expect("a window");
        assert_eq!(
            (gap.share_pct, gap.used.len(), gap.short),
            (Some(decimal("50")), 1, true)
        );
        assert!(
            gap.missing[0].contains("ends on 2026-02-28: 2 earlier period(s)"),
            "{:?}",
            gap.missing
        );

        // Named ledgers: only those count; a named one past a break is reported, not counted.
        let named = rolling_window_share(&march(3, &["january"]), &earlier).expect("a window");
        assert_eq!((named.share_pct, named.used.len()), (Some(decimal("50")), 1));
        assert_eq!(named.missing.len(), 2, "{:?}", named.missing);
        assert!(
            named.missing[1].contains("is named but not counted"),
            "{:?}",
            named.missing
        );

        // One period: the ledger's own average.
        let own = rolling_window_share(&march(1, &[]), &earlier).expect("a window");
        assert_eq!((own.share_pct, own.short), (Some(decimal("50")), false));
        // No window: nothing.
        assert_eq!(rolling_window_share(&february, &earlier), None);
    }

    /// An unknown share in any period of the window makes the window's share not computable.
    #[test]
    fn an_unknown_share_in_the_window_is_never_zero() {
        let mut february = view(ledger("february", FEBRUARY, None), 20, 5);
        february.missing_shares.push(MissingShare {
            lot: "unknown".to_owned(),
            mass: None,
            unit: None,
            mass_t: None,
            received_on: "2026-02-02".to_owned(),
            event_ids: Vec::new(),
            reason: "no passport".to_owned(),
            resolved: false,
        });
        let march = view(ledger("march", MARCH, window(2, &[])), 10, 50);
        let share = rolling_window_share(&march, &[february]).expect("a window");
        assert_eq!(share.share_pct, None);
        assert!(
            share.not_computable[0].contains("1 input lot(s) of /api/v1/ledgers/"),
            "{:?}",
            share.not_computable
        );
    }

    /// Claims carry the window's share, drawing credits of their own period only.
    /// February over January and February: (1 + 2) / (20 + 10) = 10 %; February's own credits
    /// are 1 t. 10 t at 10 % draws 1 t: accepted. 10 t at 11 % is above the window's share; a
    /// further 20 t at 10 % would need 2 t more of February's credits, of which none is left.
    #[test]
    fn claims_carry_the_window_share_and_never_overdraw() {
        let january = view(ledger("january", JANUARY, None), 10, 20);
        let february = view(ledger("february", FEBRUARY, window(2, &[])), 20, 5).with_window(&[january]);
        let share = february.rolling_window.clone().expect("a window");
        assert_eq!(share.share_pct, Some(decimal("10")));
        let claim = |lot: &str, mass: u32, pct: u32| {
            serde_json::from_value::<NewLedgerClaim>(json!({"output_lot": lot, "mass": mass, "unit": "t",
                "recycled_share_pct": pct, "claimed_on": "2026-02-20"}))
            .expect("a claim")
            .check(&february.ledger)
            .expect("valid")
        };
        let decide = |request, claims: &[crate::custody::LedgerClaim]| {
            decide_claim(
                &february.ledger,
                &february.inputs,
                &february.missing_shares,
                claims,
                &request,
                Some(&share),
            )
        };
        let above = decide(claim("above", 10, 11), &[]).expect_err("above the window's share");
        assert!(above.message.contains("at most 10 %"), "{}", above.message);
        let accepted = decide(claim("first", 10, 10), &[]).expect("within the window's share");
        assert_eq!(accepted.credits_t, decimal("1"));
        // Without the window computed, nothing is backed.
        let unknown = decide_claim(
            &february.ledger,
            &february.inputs,
            &[],
            &[],
            &claim("first", 10, 10),
            None,
        )
        .expect_err("no window");
        assert!(unknown.message.contains("not computable"), "{}", unknown.message);
        // The own period (5 %) would not allow 10 %: the window does.
        let own = view(ledger("february", FEBRUARY, None), 20, 5);
        let refused =
            decide_claim(&own.ledger, &own.inputs, &[], &[], &claim("first", 10, 10), None).expect_err("5 % only");
        assert!(refused.message.contains("at most 5 %"), "{}", refused.message);
        // Never overdrawn: 20 t at 10 % needs 2 t, February has 1 t of credits.
        let over = decide(claim("big", 20, 10), &[]).expect_err("overdrawn");
        assert!(over.message.contains("2"), "{}", over.message);
    }

    /// The named ledgers of a window are checked against the ledger that names it.
    #[test]
    fn a_window_names_earlier_ledgers_of_the_same_facility_material_and_model() {
        let march = ledger(
            "march",
            MARCH,
            window(4, &["other plant", "other material", "later", "january"]),
        );
        let mut other_plant = ledger("other plant", FEBRUARY, None);
        other_plant.facility_id = FacilityId::derived("elsewhere");
        let mut other_material = ledger("other material", FEBRUARY, None);
        other_material.material = "polyethylene".to_owned();
        other_material.model = CustodyModel::MassBalanceCredit;
        let later = ledger("later", ("2026-03-15", "2026-04-30"), None);
        let january = ledger("january", ("2026-01-01", "2026-02-10"), None);
        let named = [Some(other_plant), Some(other_material), Some(later), Some(january)];
        let window = march.rolling_window.clone().expect("a window");
        let violations = check_window_ledgers(&march, &window, &named, "/rolling_window");
        let described: Vec<String> = violations
            .iter()
            .map(|violation| format!("{}: {}", violation.path, violation.message))
            .collect();
        assert_eq!(described.len(), 4, "{described:#?}");
        assert!(described[0].starts_with("/rolling_window/ledgers/0") && described[0].contains("it keeps facility"));
        assert!(described[1]
            .contains("it keeps polyethylene, not this ledger's polypropylene; it is kept under mass_balance_credit"));
        assert!(described[2].contains("overlaps or follows this ledger's 2026-03-01/2026-03-31"));
        assert!(
            described[3].contains("overlaps that of /rolling_window/ledgers/0"),
            "{}",
            described[3]
        );
        let missing = check_window_ledgers(&march, &window, &[None, None, None, None], "/rolling_window");
        assert!(missing[0].message.contains("no ledger of your organization has the id"));
    }
}
