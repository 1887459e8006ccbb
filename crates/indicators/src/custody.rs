//! The chain-of-custody ledger (CoC 台帳) as stored records: one ledger per facility, material
//! and period, its input lots (with their recycled share split pre-/post-consumer and where the
//! share comes from), the input lots whose share is unknown, and the claims made for output lots
//! with the input lots and credits backing each. Everything the store decides about a ledger is
//! decided here, by replaying the stored entries through [`crate::ledger::Ledger`]:
//!
//! - **Never overdrawn, never counted twice.** A claim is accepted only when the ledger, with
//!   every stored input and every live claim applied, can back it; an input lot enters one
//!   ledger of a facility and material once.
//! - **Claims are immutable.** A correction is a reversal (逆仕訳) that gives the credits back,
//!   followed by a new claim for the output lot.
//! - **Period boundaries (期間).** Inputs and claims are dated; both must fall within the
//!   ledger's period (dates in Japan Standard Time, UTC+09:00). ISO 22095 leaves the credit
//!   period to the scheme. By default credits never carry over: those left when a ledger is
//!   closed lapse (失効). A credit-method ledger may state a carry-over rule (繰越し,
//!   [`CarryOverRule`]): once it is closed, the ledger of the next period (same facility,
//!   material and model, starting the next day) takes its unused credits as carried-over
//!   entries, one per period the credits were made in, traced to it ([`plan_carry_over`]);
//!   credits older than the rule's expiry lapse then.
//! - **Unknown shares are never 0.** An input lot whose recycled share is unknown is recorded as
//!   missing: it gives no credits, and while it is unresolved the share-based models (identity
//!   preserved, segregated, controlled blending, rolling average) refuse claims, since the
//!   share of the blend is not known.
//!
//! - **Per material (材料別).** A facility keeps one ledger per material and period; together
//!   they are its multi-material account. A lot counts in a material's ledger with that
//!   material's part of it: lot mass × the material's mass fraction (質量分率), given with the
//!   input, on import, by the upstream claim for the lot or by its passport's composition
//!   ([`fraction_from_passport`]); a lot without one is taken as the material itself. Each
//!   material has its own shares (pre-/post-consumer) and its own credits, so one material's
//!   credits never back another's claims.
//!
//! Inputs can be read from EPCIS TransformationEvents at the facility ([`plan_import`]), with
//! each lot's share taken from an upstream claim for it or from its passport
//! ([`share_from_passport`]).

use std::collections::{BTreeMap, HashMap};

use junkan_model::event::{CapturedEvent, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::ids::{FacilityId, LedgerClaimId, LedgerId, LedgerInputId, OrganizationId, PassportId};
use junkan_model::validation::{check_text, Violation, Violations};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::{OffsetDateTime, UtcOffset};
use utoipa::ToSchema;

use crate::input::{decimal_of, tonnes_per};
use crate::ledger::{Backing, Category, Claim, ClaimRequest, CustodyModel, InputLot, Ledger, LedgerError};
use crate::mass_balance::{check_date, parse_period};
use crate::records::{decimal_schema, optional_decimal_schema};
use crate::rolling_window::{rolling_window_share, RollingWindow, RollingWindowShare};
use crate::PERCENT;

/// Where ledgers are read.
pub const LEDGERS_PATH: &str = "/api/v1/ledgers";

/// The offset in which ledger dates are days: Japan Standard Time (日本標準時).
pub const LEDGER_OFFSET: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("+09:00 is a valid offset"),
};

/// The rule junkan applies at period boundaries, stated with every ledger read.
pub const PERIOD_RULE: &str = "inputs and claims must be dated within the ledger's period (dates in UTC+09:00); credits never carry over to another period: those left when the ledger is closed lapse";

/// The period rule of a ledger whose credits carry over.
pub const CARRY_OVER_RULE: &str = "inputs and claims must be dated within the ledger's period (dates in UTC+09:00); credits left when the ledger is closed may be carried into the ledger of the next period (same facility, material and model, starting the next day) as entries traced to the period that made them, and lapse when they are older than the ledger's expiry or are not carried";

/// How a ledger's unused credits pass into the next period (繰越し).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryOverRule {
    /// Credits lapse once they are this many periods older than the period that made them
    /// (1: they may be used in the next period only); absent: they never expire.
    #[serde(default)]
    pub expires_after_periods: Option<u32>,
}

/// A period asked of stored ledgers: ISO dates `<from>/<to>`, or fiscal years (年度, April to
/// March) `2026` or `2025/2026`, as ISO dates.
pub fn parse_ledger_period(text: &str) -> Result<(String, String), String> {
    if text.contains('-') {
        return parse_period(text);
    }
    let years = crate::records::FiscalYears::parse(text)
        .map_err(|message| format!("{message}; or give ISO dates <from>/<to> such as 2026-04-01/2027-03-31"))?;
    Ok((format!("{:04}-04-01", years.from), format!("{:04}-03-31", years.to + 1)))
}

/// The day (in UTC+09:00) of a time, as `YYYY-MM-DD`.
pub fn ledger_date(time: OffsetDateTime) -> String {
    let date = time.to_offset(LEDGER_OFFSET).date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// The material a ledger accounts for: lower case, with the chemical symbols of the battery
/// metals of Regulation (EU) 2023/1542 Art. 8 written out (`Co` → `cobalt`).
pub fn normalize_material(text: &str) -> Result<String, String> {
    check_text(text, 100)?;
    let lower = text.trim().to_lowercase();
    let name = match lower.as_str() {
        "co" => "cobalt",
        "li" => "lithium",
        "ni" => "nickel",
        "pb" => "lead",
        "al" => "aluminium",
        "aluminum" => "aluminium",
        other => other,
    };
    Ok(name.to_owned())
}

/// The canonical form of a lot identifier: GS1 identifiers (EPC URNs, Digital Links) as
/// canonical Digital Links, so that a lot named in an event, a passport and a claim is one lot;
/// other names as given.
pub fn canonical_lot(text: &str) -> Result<String, String> {
    check_text(text, 500)?;
    let text = text.trim();
    if text.starts_with("urn:epc:") || text.starts_with("https://") || text.starts_with("http://") {
        junkan_model::passport::canonical_link(text)
    } else {
        Ok(text.to_owned())
    }
}

/// Tonnes per unit of the UN/CEFACT Rec 20 codes of mass EPCIS quantities use, besides the
/// symbols `tonnes_per` knows.
fn tonnes_per_code(unit: &str) -> Option<Decimal> {
    match unit {
        "KGM" => Some(Decimal::new(1, 3)),
        "TNE" => Some(Decimal::ONE),
        "GRM" => Some(Decimal::new(1, 6)),
        "KTN" => Some(Decimal::new(1_000, 0)),
        "LBR" => Some(Decimal::new(45_359_237, 11)),
        _ => None,
    }
}

/// Tonnes per `unit` in a ledger: a unit of mass, or one the ledger gives a conversion for.
pub fn tonnes_per_unit(unit: &str, conversions: &BTreeMap<String, Decimal>) -> Option<Decimal> {
    tonnes_per(unit)
        .or_else(|| tonnes_per_code(unit))
        .or_else(|| conversions.get(unit).copied())
}

fn unit_error(unit: &str, conversions: &BTreeMap<String, Decimal>) -> String {
    let given: Vec<&str> = conversions.keys().map(String::as_str).collect();
    format!(
        "{unit:?} has no conversion to tonnes in this ledger: units of mass (t, kg, g, KGM, TNE, GRM, ...) convert, others only through the ledger's unit_conversions ({}); mixed units without a conversion are refused",
        if given.is_empty() { "none given".to_owned() } else { given.join(", ") }
    )
}

fn read_decimal(violations: &mut Violations, path: &str, value: &Value) -> Option<Decimal> {
    match decimal_of(value) {
        Ok(decimal) => Some(decimal),
        Err(message) => {
            violations.push(path, message);
            None
        }
    }
}

fn read_mass(violations: &mut Violations, path: &str, value: &Value) -> Option<Decimal> {
    let mass = read_decimal(violations, path, value)?;
    if mass < Decimal::ZERO {
        violations.push(path, format!("a mass must not be negative, got {mass}"));
        return None;
    }
    Some(mass)
}

fn read_percent(violations: &mut Violations, path: &str, value: &Value) -> Option<Decimal> {
    let share = read_decimal(violations, path, value)?;
    if share < Decimal::ZERO || share > PERCENT {
        violations.push(path, format!("a share must lie between 0 and 100 %, got {share}"));
        return None;
    }
    Some(share)
}

/// Reads a mass fraction (質量分率) of a material in a lot: more than 0, at most 1.
fn read_fraction(violations: &mut Violations, path: &str, value: &Value) -> Option<Decimal> {
    let fraction = read_decimal(violations, path, value)?;
    if fraction <= Decimal::ZERO || fraction > Decimal::ONE {
        violations.push(
            path,
            format!("a material's mass fraction in a lot must be more than 0 and at most 1, got {fraction}"),
        );
        return None;
    }
    Some(fraction)
}

fn read_date(violations: &mut Violations, path: &str, date: &str, ledger: &LedgerRecord) {
    match check_date(date) {
        Err(message) => violations.push(path, message),
        Ok(()) if !ledger.contains(date) => violations.push(
            path,
            format!(
                "{date} lies outside the ledger's period {}/{}; {}",
                ledger.period_from,
                ledger.period_to,
                ledger.period_rule()
            ),
        ),
        Ok(()) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Ledgers

/// A ledger to open: one facility, material and period under one chain-of-custody model.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLedger {
    /// The facility (施設) whose inputs and outputs the ledger accounts for; a facility of the
    /// caller's organization.
    pub facility_id: FacilityId,
    /// The material (材料) accounted for, e.g. `cobalt` (or `Co`), `lithium`, `nickel`, `lead`,
    /// `polypropylene`, `aluminium`. One ledger per material: a battery plant keeps one for each
    /// metal.
    pub material: String,
    /// The chain-of-custody model (ISO 22095): `identity_preserved`, `segregated`,
    /// `controlled_blending`, `mass_balance_rolling_average`, `mass_balance_credit` or
    /// `book_and_claim`.
    pub model: String,
    /// The period (期間) `<from>/<to>` of ISO dates, both days included, e.g.
    /// `2026-04-01/2027-03-31`.
    pub period: String,
    /// Output per unit of input (歩留まり, more than 0; default 1): recycled input × factor gives
    /// the credits (not applied to book-and-claim certificates).
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub conversion_factor: Option<Value>,
    /// Tonnes per unit for units that are not units of mass (e.g. `{"LTR": "0.00092"}`); inputs
    /// in any other unit are refused.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub unit_conversions: BTreeMap<String, Value>,
    /// `restricted` (default: the owner, holders of a grant of kind `ledger`, auditors) or
    /// `public`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// A remark (e.g. the certification scheme).
    #[serde(default)]
    pub note: Option<String>,
    /// Whether unused credits carry into the next period, and when they expire (only under
    /// `mass_balance_credit` and `book_and_claim`); absent: they lapse when the ledger closes.
    #[serde(default)]
    pub carry_over: Option<CarryOverRule>,
    /// Under `mass_balance_rolling_average` only: average the inputs over this many
    /// consecutive periods (移動平均), this ledger's included, instead of its own period;
    /// absent: its own period only.
    #[serde(default)]
    pub rolling_window: Option<RollingWindow>,
}

/// A ledger request that passed its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedLedger {
    /// Normalised material name.
    pub material: String,
    /// The model.
    pub model: CustodyModel,
    /// First day.
    pub period_from: String,
    /// Last day.
    pub period_to: String,
    /// Conversion factor.
    pub conversion_factor: Decimal,
    /// Tonnes per non-mass unit.
    pub unit_conversions: BTreeMap<String, Decimal>,
    /// The carry-over rule.
    pub carry_over: Option<CarryOverRule>,
    /// The rolling window.
    pub rolling_window: Option<RollingWindow>,
}

impl NewLedger {
    /// Checks every rule; every problem with its pointer.
    pub fn check(&self) -> Result<CheckedLedger, Vec<Violation>> {
        let mut violations = Violations::new();
        let material = match normalize_material(&self.material) {
            Ok(material) => Some(material),
            Err(message) => {
                violations.push("/material", message);
                None
            }
        };
        let model = CustodyModel::parse(&self.model);
        if model.is_none() {
            violations.push(
                "/model",
                format!(
                    "{:?} is not a chain-of-custody model: expected one of {}",
                    self.model,
                    CustodyModel::ALL
                        .iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let period = match parse_period(&self.period) {
            Ok(period) => Some(period),
            Err(message) => {
                violations.push("/period", message);
                None
            }
        };
        let conversion_factor = match &self.conversion_factor {
            None => Some(Decimal::ONE),
            Some(value) => match read_decimal(&mut violations, "/conversion_factor", value) {
                Some(factor) if factor <= Decimal::ZERO => {
                    violations.push(
                        "/conversion_factor",
                        format!("must be more than 0 (output per unit of input), got {factor}"),
                    );
                    None
                }
                other => other,
            },
        };
        let mut unit_conversions = BTreeMap::new();
        for (unit, value) in &self.unit_conversions {
            let path = format!("/unit_conversions/{}", unit.replace('~', "~0").replace('/', "~1"));
            if tonnes_per(unit).is_some() || tonnes_per_code(unit).is_some() {
                violations.push(
                    path,
                    format!("{unit:?} is a unit of mass; its conversion to tonnes is fixed"),
                );
                continue;
            }
            if let Err(message) = check_text(unit, 20) {
                violations.push(path, format!("the unit {message}"));
                continue;
            }
            match read_decimal(&mut violations, &path, value) {
                Some(factor) if factor <= Decimal::ZERO => {
                    violations.push(path, format!("tonnes per {unit} must be more than 0, got {factor}"));
                }
                Some(factor) => {
                    unit_conversions.insert(unit.clone(), factor);
                }
                None => {}
            }
        }
        if let Some(note) = &self.note {
            violations.check("/note", check_text(note, 2_000));
        }
        if let Some(rule) = &self.carry_over {
            if rule.expires_after_periods == Some(0) {
                violations.push(
                    "/carry_over/expires_after_periods",
                    "must be 1 or more (1: the credits may be used in the next period only); leave carry_over out for credits that lapse at closing",
                );
            }
            if model.is_some_and(|model| !carries_over(model)) {
                violations.push(
                    "/carry_over",
                    format!(
                        "only credits carry over (mass_balance_credit, book_and_claim); under {} a claim's share is that of the period's own inputs",
                        self.model
                    ),
                );
            }
        }
        if let Some(window) = &self.rolling_window {
            window.check(model, "/rolling_window", &mut violations);
        }
        violations.into_result()?;
        let (period_from, period_to) = period.expect("no violation, so the period was read");
        Ok(CheckedLedger {
            material: material.expect("no violation"),
            model: model.expect("no violation"),
            period_from,
            period_to,
            conversion_factor: conversion_factor.expect("no violation"),
            unit_conversions,
            carry_over: self.carry_over,
            rolling_window: self.rolling_window.clone(),
        })
    }
}

/// A stored ledger (the head of its entries).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerRecord {
    /// Its id.
    pub id: LedgerId,
    /// The organization that keeps it (the facility's).
    pub owner_organization_id: OrganizationId,
    /// The facility.
    pub facility_id: FacilityId,
    /// The material accounted for.
    pub material: String,
    /// The chain-of-custody model.
    pub model: CustodyModel,
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period (included).
    pub period_to: String,
    /// Output per unit of input.
    #[schema(value_type = String)]
    pub conversion_factor: Decimal,
    /// Tonnes per non-mass unit.
    #[schema(value_type = BTreeMap<String, String>)]
    pub unit_conversions: BTreeMap<String, Decimal>,
    /// `restricted` or `public`.
    pub visibility: Visibility,
    /// A remark.
    pub note: Option<String>,
    /// Whether unused credits carry into the next period (none: they lapse at closing).
    pub carry_over: Option<CarryOverRule>,
    /// The window of periods its outputs' share is averaged over (rolling average only; none:
    /// its own period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_window: Option<RollingWindow>,
    /// When it was closed (締め): no entries after; credits left lapse unless carried over.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// When it was opened.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who opened it (principal id).
    pub created_by: String,
}

impl LedgerRecord {
    /// The rule the ledger applies at its period's boundaries.
    pub fn period_rule(&self) -> &'static str {
        if self.carry_over.is_some() {
            CARRY_OVER_RULE
        } else {
            PERIOD_RULE
        }
    }

    /// Whether the day `date` (`YYYY-MM-DD`) lies in the period.
    pub fn contains(&self, date: &str) -> bool {
        self.period_from.as_str() <= date && date <= self.period_to.as_str()
    }

    /// Where to read it.
    pub fn href(&self) -> String {
        format!("{LEDGERS_PATH}/{}", self.id)
    }
}

// ---------------------------------------------------------------------------------------------
// Shares and inputs

/// The recycled share of a lot (再生材比率), split pre-/post-consumer where known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Share {
    /// Recycled share, 0–100 % (presented to 6 decimal places, rounded half to even).
    #[schema(value_type = String)]
    #[serde(serialize_with = "crate::share_text")]
    pub recycled_share_pct: Decimal,
    /// Of which pre-consumer (プレコンシューマ), when known.
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "crate::optional_share_text")]
    pub pre_consumer_pct: Option<Decimal>,
    /// Of which post-consumer (ポストコンシューマ), when known.
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "crate::optional_share_text")]
    pub post_consumer_pct: Option<Decimal>,
}

impl Share {
    /// The category the pure ledger carries for a lot of this share.
    fn category(&self) -> Category {
        match (self.pre_consumer_pct, self.post_consumer_pct) {
            (Some(pre), Some(post)) if pre.is_zero() && !post.is_zero() => Category::PostConsumer,
            (Some(pre), Some(post)) if post.is_zero() && !pre.is_zero() => Category::PreConsumer,
            _ => Category::Unspecified,
        }
    }

    /// `credits` of this lot split into pre- and post-consumer parts, when the split is known.
    fn split(&self, credits: Decimal) -> (Option<Decimal>, Option<Decimal>) {
        match (self.pre_consumer_pct, self.post_consumer_pct) {
            (Some(pre), Some(post)) if !(pre + post).is_zero() => {
                let pre_part = credits * pre / (pre + post);
                (Some(pre_part), Some(credits - pre_part))
            }
            _ => (None, None),
        }
    }

    /// Reads a share given as a total and/or its pre-/post-consumer parts: each 0–100 %, the
    /// parts summing to the total when all are given.
    pub fn read(
        total: Option<&Value>,
        pre: Option<&Value>,
        post: Option<&Value>,
        violations: &mut Violations,
    ) -> Option<Share> {
        let before = violations.len();
        let total = total.and_then(|value| read_percent(violations, "/recycled_share_pct", value));
        let pre = pre.and_then(|value| read_percent(violations, "/pre_consumer_pct", value));
        let post = post.and_then(|value| read_percent(violations, "/post_consumer_pct", value));
        if violations.len() > before {
            return None;
        }
        let recycled = match (total, pre, post) {
            (Some(total), Some(pre), Some(post)) if pre + post != total => {
                violations.push(
                    "/recycled_share_pct",
                    format!(
                        "pre_consumer_pct + post_consumer_pct = {} must equal recycled_share_pct ({total})",
                        pre + post
                    ),
                );
                return None;
            }
            (Some(total), _, _) => total,
            (None, Some(pre), Some(post)) if pre + post > PERCENT => {
                violations.push(
                    "/post_consumer_pct",
                    format!(
                        "pre_consumer_pct + post_consumer_pct = {} is more than 100 %",
                        pre + post
                    ),
                );
                return None;
            }
            (None, Some(pre), Some(post)) => pre + post,
            (None, _, _) => {
                violations.push(
                    "/recycled_share_pct",
                    "give recycled_share_pct, or both pre_consumer_pct and post_consumer_pct (a lot's share is never taken as 0 when unknown)",
                );
                return None;
            }
        };
        let (pre, post) = match (pre, post) {
            (Some(pre), Some(post)) => (Some(pre), Some(post)),
            (Some(pre), None) if pre <= recycled => (Some(pre), Some(recycled - pre)),
            (None, Some(post)) if post <= recycled => (Some(recycled - post), Some(post)),
            (None, None) => (None, None),
            _ => {
                violations.push(
                    "/recycled_share_pct",
                    "a pre- or post-consumer part is more than the recycled share",
                );
                return None;
            }
        };
        Some(Share {
            recycled_share_pct: recycled,
            pre_consumer_pct: pre,
            post_consumer_pct: post,
        })
    }
}

/// Where an input lot's recycled share comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShareSource {
    /// Declared by the ledger's keeper when entering the lot (with its evidence).
    Declared,
    /// Read from the lot's passport (製品パスポート).
    Passport {
        /// The passport.
        passport_id: PassportId,
        /// Its identifier.
        identifier: String,
        /// Its profile.
        profile: String,
        /// The field read.
        pointer: String,
    },
    /// A claim made for the lot in an upstream ledger (claims chain across companies).
    Claim {
        /// The upstream ledger.
        ledger_id: LedgerId,
        /// The claim.
        claim_id: LedgerClaimId,
        /// Who made it.
        owner_organization_id: OrganizationId,
    },
    /// Unused credits carried over from the ledger of the previous period (繰越し); the entry's
    /// mass is the credits, already converted.
    CarriedOver {
        /// The ledger of the previous period they were carried from.
        from_ledger_id: LedgerId,
        /// The ledger of the period that made them.
        origin_ledger_id: LedgerId,
        /// That period's first day.
        origin_period_from: String,
        /// How many periods after that period this one is (1: the next).
        age: u32,
    },
}

impl ShareSource {
    /// A link to the record the share was read from.
    pub fn href(&self) -> Option<String> {
        match self {
            ShareSource::Declared => None,
            ShareSource::Passport { passport_id, .. } => Some(format!("/api/v1/passports/{passport_id}")),
            ShareSource::Claim {
                ledger_id, claim_id, ..
            } => Some(format!("{LEDGERS_PATH}/{ledger_id}/claims/{claim_id}/trace")),
            ShareSource::CarriedOver { from_ledger_id, .. } => Some(format!("{LEDGERS_PATH}/{from_ledger_id}")),
        }
    }
}

/// Where the mass fraction (質量分率) of the ledger's material in a lot comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FractionSource {
    /// Nothing states a fraction: the lot is taken as the material itself (fraction 1).
    WholeLot,
    /// Given by the ledger's keeper, with the input or on import (an explicit conversion).
    Declared,
    /// Read from the composition the lot's passport states.
    Passport {
        /// The passport.
        passport_id: PassportId,
        /// Its identifier.
        identifier: String,
        /// Its profile.
        profile: String,
        /// The fields read.
        pointer: String,
    },
    /// The fraction stated by the upstream claim made for the lot.
    Claim {
        /// The upstream ledger.
        ledger_id: LedgerId,
        /// The claim.
        claim_id: LedgerClaimId,
    },
}

impl FractionSource {
    /// A link to the record the fraction was read from.
    pub fn href(&self) -> Option<String> {
        match self {
            FractionSource::WholeLot | FractionSource::Declared => None,
            FractionSource::Passport { passport_id, .. } => Some(format!("/api/v1/passports/{passport_id}")),
            FractionSource::Claim { ledger_id, claim_id } => {
                Some(format!("{LEDGERS_PATH}/{ledger_id}/claims/{claim_id}/trace"))
            }
        }
    }
}

/// The mass fraction of the ledger's material in a lot, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialFraction {
    /// The fraction, more than 0 and at most 1.
    pub fraction: Decimal,
    /// Where it comes from.
    pub source: FractionSource,
}

impl MaterialFraction {
    /// The lot taken as the material itself.
    pub fn whole_lot() -> MaterialFraction {
        MaterialFraction {
            fraction: Decimal::ONE,
            source: FractionSource::WholeLot,
        }
    }
}

/// An input lot to enter by hand (or the share of a lot the events left unknown).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLedgerInput {
    /// The lot (an EPC class, lot Digital Link or any id).
    pub lot: String,
    /// Its mass, exact, zero or more.
    #[schema(schema_with = decimal_schema)]
    pub mass: Value,
    /// Its unit: a unit of mass (t, kg, g, KGM, TNE, ...) or one of the ledger's
    /// `unit_conversions`.
    pub unit: String,
    /// The mass fraction (質量分率) of the ledger's material in the lot, more than 0 and at
    /// most 1 (e.g. `0.14` for the cobalt in black mass); default 1, the lot is the material.
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub material_fraction: Option<Value>,
    /// Its recycled share, 0–100 % (or give the two parts).
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub recycled_share_pct: Option<Value>,
    /// Pre-consumer part, 0–100 %.
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub pre_consumer_pct: Option<Value>,
    /// Post-consumer part, 0–100 %.
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub post_consumer_pct: Option<Value>,
    /// The day it entered the process, within the ledger's period.
    pub received_on: String,
    /// What backs the declared share (a certificate, a supplier's declaration).
    #[serde(default)]
    pub evidence: Option<String>,
}

/// An input ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedInput {
    /// Canonical lot.
    pub lot: String,
    /// Mass as given.
    pub mass: Decimal,
    /// Unit as given.
    pub unit: String,
    /// Mass in tonnes.
    pub mass_t: Decimal,
    /// The material's mass fraction in the lot.
    pub fraction: MaterialFraction,
    /// Share.
    pub share: Share,
    /// Day.
    pub received_on: String,
    /// Where the share comes from.
    pub source: ShareSource,
    /// Events it entered in.
    pub event_ids: Vec<String>,
    /// Evidence.
    pub evidence: Option<String>,
}

impl NewLedgerInput {
    /// Checks the input against its ledger; every problem with its pointer.
    pub fn check(&self, ledger: &LedgerRecord) -> Result<CheckedInput, Vec<Violation>> {
        let mut violations = Violations::new();
        let lot = match canonical_lot(&self.lot) {
            Ok(lot) => Some(lot),
            Err(message) => {
                violations.push("/lot", message);
                None
            }
        };
        let mass = read_mass(&mut violations, "/mass", &self.mass);
        let per = tonnes_per_unit(&self.unit, &ledger.unit_conversions);
        if per.is_none() {
            violations.push("/unit", unit_error(&self.unit, &ledger.unit_conversions));
        }
        let fraction = self
            .material_fraction
            .as_ref()
            .map(|value| read_fraction(&mut violations, "/material_fraction", value));
        let share = Share::read(
            self.recycled_share_pct.as_ref(),
            self.pre_consumer_pct.as_ref(),
            self.post_consumer_pct.as_ref(),
            &mut violations,
        );
        read_date(&mut violations, "/received_on", &self.received_on, ledger);
        if let Some(evidence) = &self.evidence {
            violations.check("/evidence", check_text(evidence, 2_000));
        }
        violations.into_result()?;
        let mass = mass.expect("no violation");
        Ok(CheckedInput {
            lot: lot.expect("no violation"),
            mass,
            unit: self.unit.clone(),
            mass_t: (mass * per.expect("no violation")).normalize(),
            fraction: match fraction {
                None => MaterialFraction::whole_lot(),
                Some(fraction) => MaterialFraction {
                    fraction: fraction.expect("no violation"),
                    source: FractionSource::Declared,
                },
            },
            share: share.expect("no violation"),
            received_on: self.received_on.clone(),
            source: ShareSource::Declared,
            event_ids: Vec::new(),
            evidence: self.evidence.clone(),
        })
    }
}

impl CheckedInput {
    /// The input as stored in the ledger of `record`: the material's mass in the lot and the
    /// credits it gives.
    pub fn into_input(
        self,
        record: &LedgerRecord,
        id: LedgerInputId,
        created_at: OffsetDateTime,
        created_by: String,
    ) -> LedgerInput {
        let material_t = (self.mass_t * self.fraction.fraction).normalize();
        // Carried-over credits were converted in the period that made them.
        let credits_t = if matches!(self.source, ShareSource::CarriedOver { .. }) {
            (material_t * self.share.recycled_share_pct / PERCENT).normalize()
        } else {
            credits_of(record, material_t, &self.share)
        };
        LedgerInput {
            id,
            ledger_id: record.id,
            credits_t,
            lot: self.lot,
            mass: self.mass,
            unit: self.unit,
            mass_t: self.mass_t,
            material_fraction: self.fraction.fraction,
            fraction_source: self.fraction.source,
            material_t,
            share: self.share,
            received_on: self.received_on,
            share_source: self.source,
            event_ids: self.event_ids,
            evidence: self.evidence,
            created_at,
            created_by,
        }
    }
}

/// An input lot as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerInput {
    /// Its id.
    pub id: LedgerInputId,
    /// The ledger.
    pub ledger_id: LedgerId,
    /// The lot, canonical.
    pub lot: String,
    /// Mass as given.
    #[schema(value_type = String)]
    pub mass: Decimal,
    /// Unit as given.
    pub unit: String,
    /// Mass in tonnes.
    #[schema(value_type = String)]
    pub mass_t: Decimal,
    /// The mass fraction (質量分率) of the ledger's material in the lot.
    #[schema(value_type = String)]
    pub material_fraction: Decimal,
    /// Where the fraction comes from.
    pub fraction_source: FractionSource,
    /// The material's mass in the lot: mass × fraction, in tonnes.
    #[schema(value_type = String)]
    pub material_t: Decimal,
    /// Its recycled share (of the material).
    pub share: Share,
    /// Recycled material × conversion factor (book and claim: × 1), in tonnes.
    #[schema(value_type = String)]
    pub credits_t: Decimal,
    /// The day it entered the process.
    pub received_on: String,
    /// Where the share comes from.
    pub share_source: ShareSource,
    /// The TransformationEvents it entered in (eventIDs), when read from events.
    pub event_ids: Vec<String>,
    /// What backs a declared share.
    pub evidence: Option<String>,
    /// When it was entered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who entered it.
    pub created_by: String,
}

impl LedgerInput {
    /// Whether the entry is credits carried over from the previous period (no input of this one).
    pub fn is_carried_over(&self) -> bool {
        matches!(self.share_source, ShareSource::CarriedOver { .. })
    }
}

/// An input lot whose recycled share (or mass) is not known: it gives no credits, and is never
/// counted as 0 % recycled.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MissingShare {
    /// The lot.
    pub lot: String,
    /// Mass as the events give it (none for an EPC entered without quantity).
    #[schema(value_type = Option<String>)]
    pub mass: Option<Decimal>,
    /// Its unit.
    pub unit: Option<String>,
    /// Mass in tonnes.
    #[schema(value_type = Option<String>)]
    pub mass_t: Option<Decimal>,
    /// The day it entered the process.
    pub received_on: String,
    /// The events it entered in.
    pub event_ids: Vec<String>,
    /// Why the share is unknown.
    pub reason: String,
    /// Whether an input has since been entered for the lot (with a share).
    pub resolved: bool,
}

// ---------------------------------------------------------------------------------------------
// Claims

/// A claim to make for an output lot (再生材含有の主張).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLedgerClaim {
    /// The output lot.
    pub output_lot: String,
    /// Its mass, exact, zero or more.
    #[schema(schema_with = decimal_schema)]
    pub mass: Value,
    /// Its unit (as for inputs).
    pub unit: String,
    /// The mass fraction (質量分率) of the ledger's material in the output lot, more than 0 and
    /// at most 1 (e.g. the cobalt in cathode material); default 1. The claim is about that
    /// material: its recycled share of the material's mass (lot mass × fraction).
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub material_fraction: Option<Value>,
    /// The recycled share claimed, 0–100 % of the material in the lot.
    #[schema(schema_with = decimal_schema)]
    pub recycled_share_pct: Value,
    /// Input lots to draw the credits from, in order (identity preserved: exactly one); empty
    /// for any, in the order entered.
    #[serde(default)]
    pub backed_by: Vec<String>,
    /// The day the output lot was made, within the ledger's period.
    pub claimed_on: String,
    /// The event that made the output lot (eventID), for the trace.
    #[serde(default)]
    pub event_id: Option<String>,
}

/// A claim that passed its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedClaim {
    /// Canonical output lot.
    pub output_lot: String,
    /// Mass as given.
    pub mass: Decimal,
    /// Unit as given.
    pub unit: String,
    /// Mass in tonnes.
    pub mass_t: Decimal,
    /// The material's mass fraction in the lot.
    pub material_fraction: Decimal,
    /// The material's mass in the lot, in tonnes.
    pub material_t: Decimal,
    /// Share claimed.
    pub recycled_share_pct: Decimal,
    /// Canonical lots named.
    pub backed_by: Vec<String>,
    /// Day.
    pub claimed_on: String,
    /// Event.
    pub event_id: Option<String>,
}

impl NewLedgerClaim {
    /// Checks the claim against its ledger (not yet against its balance).
    pub fn check(&self, ledger: &LedgerRecord) -> Result<CheckedClaim, Vec<Violation>> {
        let mut violations = Violations::new();
        let output_lot = match canonical_lot(&self.output_lot) {
            Ok(lot) => Some(lot),
            Err(message) => {
                violations.push("/output_lot", message);
                None
            }
        };
        let mass = read_mass(&mut violations, "/mass", &self.mass);
        let per = tonnes_per_unit(&self.unit, &ledger.unit_conversions);
        if per.is_none() {
            violations.push("/unit", unit_error(&self.unit, &ledger.unit_conversions));
        }
        let share = read_percent(&mut violations, "/recycled_share_pct", &self.recycled_share_pct);
        let fraction = match &self.material_fraction {
            None => Some(Decimal::ONE),
            Some(value) => read_fraction(&mut violations, "/material_fraction", value),
        };
        let mut backed_by = Vec::new();
        for (index, lot) in self.backed_by.iter().enumerate() {
            match canonical_lot(lot) {
                Ok(lot) if backed_by.contains(&lot) => {
                    violations.push(format!("/backed_by/{index}"), "names the same input lot twice")
                }
                Ok(lot) => backed_by.push(lot),
                Err(message) => violations.push(format!("/backed_by/{index}"), message),
            }
        }
        read_date(&mut violations, "/claimed_on", &self.claimed_on, ledger);
        if let Some(event_id) = &self.event_id {
            violations.check("/event_id", check_text(event_id, 500));
        }
        violations.into_result()?;
        let mass = mass.expect("no violation");
        let mass_t = (mass * per.expect("no violation")).normalize();
        let material_fraction = fraction.expect("no violation");
        Ok(CheckedClaim {
            output_lot: output_lot.expect("no violation"),
            mass,
            unit: self.unit.clone(),
            mass_t,
            material_fraction,
            material_t: (mass_t * material_fraction).normalize(),
            recycled_share_pct: share.expect("no violation"),
            backed_by,
            claimed_on: self.claimed_on.clone(),
            event_id: self.event_id.clone(),
        })
    }
}

/// The credits one input lot gives to one claim.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClaimBacking {
    /// The input entry.
    pub input_id: LedgerInputId,
    /// Its lot.
    pub lot: String,
    /// Credits drawn, in tonnes of recycled material.
    #[schema(value_type = String)]
    pub credits_t: Decimal,
    /// Of which pre-consumer, when the lot's split is known.
    #[schema(value_type = Option<String>)]
    pub pre_consumer_t: Option<Decimal>,
    /// Of which post-consumer, when the lot's split is known.
    #[schema(value_type = Option<String>)]
    pub post_consumer_t: Option<Decimal>,
}

/// The reversal of a claim (逆仕訳): its credits return to the ledger; the claim stays, marked.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClaimReversal {
    /// Why.
    pub reason: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub reversed_at: OffsetDateTime,
    /// Who (principal id).
    pub reversed_by: String,
}

/// A request to reverse a claim.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseClaim {
    /// Why (訂正理由).
    pub reason: String,
}

/// A claim as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerClaim {
    /// Its id.
    pub id: LedgerClaimId,
    /// The ledger.
    pub ledger_id: LedgerId,
    /// The output lot.
    pub output_lot: String,
    /// 0 for the first claim of the lot at the facility and material, one more after each
    /// reversal.
    pub revision: i64,
    /// Mass as given.
    #[schema(value_type = String)]
    pub mass: Decimal,
    /// Unit as given.
    pub unit: String,
    /// Mass in tonnes.
    #[schema(value_type = String)]
    pub mass_t: Decimal,
    /// The mass fraction (質量分率) of the ledger's material in the output lot.
    #[schema(value_type = String)]
    pub material_fraction: Decimal,
    /// The material's mass in the output lot: mass × fraction, in tonnes.
    #[schema(value_type = String)]
    pub material_t: Decimal,
    /// The recycled share claimed, of the material.
    #[schema(value_type = String)]
    pub recycled_share_pct: Decimal,
    /// Credits drawn: material mass × share, in tonnes.
    #[schema(value_type = String)]
    pub credits_t: Decimal,
    /// Of which from pre-consumer material.
    #[schema(value_type = String)]
    pub pre_consumer_t: Decimal,
    /// Of which from post-consumer material.
    #[schema(value_type = String)]
    pub post_consumer_t: Decimal,
    /// Of which from lots whose split is not known.
    #[schema(value_type = String)]
    pub unspecified_t: Decimal,
    /// The input lots that back it.
    pub backing: Vec<ClaimBacking>,
    /// The day the output lot was made.
    pub claimed_on: String,
    /// The event that made it.
    pub event_id: Option<String>,
    /// Its reversal, if reversed.
    pub reversal: Option<ClaimReversal>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who made it.
    pub created_by: String,
}

impl LedgerClaim {
    /// The share this claim passes on to its output lot downstream.
    pub fn share(&self) -> Share {
        let split_known = self.unspecified_t.is_zero() && !self.material_t.is_zero();
        Share {
            recycled_share_pct: self.recycled_share_pct,
            pre_consumer_pct: split_known.then(|| (self.pre_consumer_t / self.material_t * PERCENT).normalize()),
            post_consumer_pct: split_known.then(|| (self.post_consumer_t / self.material_t * PERCENT).normalize()),
        }
    }

    /// Where to trace it.
    pub fn href(&self) -> String {
        format!("{LEDGERS_PATH}/{}/claims/{}/trace", self.ledger_id, self.id)
    }
}

/// A claim the ledger can back: the credits and the lots they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct DecidedClaim {
    /// Credits drawn.
    pub credits_t: Decimal,
    /// The backing, per input.
    pub backing: Vec<ClaimBacking>,
    /// Pre-consumer credits.
    pub pre_consumer_t: Decimal,
    /// Post-consumer credits.
    pub post_consumer_t: Decimal,
    /// Credits of unknown split.
    pub unspecified_t: Decimal,
}

/// Why a claim was refused: the pointer of the field and a precise message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRefused {
    /// Whether the refusal is about the ledger's state (overdrawn, counted twice: a conflict)
    /// rather than the request itself.
    pub conflict: bool,
    /// Field pointer.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The ledger of `record` with every input and every live (not reversed) claim applied.
pub fn replay(record: &LedgerRecord, inputs: &[LedgerInput], claims: &[LedgerClaim]) -> Result<Ledger, LedgerError> {
    let mut ledger = Ledger::new(record.model, record.conversion_factor);
    for input in inputs {
        if input.is_carried_over() {
            ledger.add_carried(&input.lot, input.credits_t, input.share.category())?;
            continue;
        }
        // The ledger accounts for its material: each lot with the material's part of it.
        ledger.add_input(InputLot {
            lot: input.lot.clone(),
            mass_t: input.material_t,
            recycled_share_pct: input.share.recycled_share_pct,
            category: input.share.category(),
        })?;
    }
    for claim in claims.iter().filter(|claim| claim.reversal.is_none()) {
        ledger.record(Claim {
            output_lot: claim.output_lot.clone(),
            mass_t: claim.material_t,
            recycled_share_pct: claim.recycled_share_pct,
            credits_t: claim.credits_t,
            backing: claim
                .backing
                .iter()
                .map(|backing| Backing {
                    lot: backing.lot.clone(),
                    credits_t: backing.credits_t,
                    category: Category::Unspecified,
                })
                .collect(),
        })?;
    }
    Ok(ledger)
}

/// The credits an input of `material_t` tonnes of the ledger's material gives in a ledger of
/// `record`.
pub fn credits_of(record: &LedgerRecord, material_t: Decimal, share: &Share) -> Decimal {
    let recycled = material_t * share.recycled_share_pct / PERCENT;
    let credits = if record.model == CustodyModel::BookAndClaim {
        recycled
    } else {
        recycled * record.conversion_factor
    };
    credits.normalize()
}

/// The missing shares not resolved by an input since.
pub fn unresolved(missing: &[MissingShare]) -> Vec<&MissingShare> {
    missing.iter().filter(|missing| !missing.resolved).collect()
}

/// Whether a ledger under `model` may carry its unused credits into the next period: only the
/// credit-based models, whose claims draw credits rather than the period's own share.
fn carries_over(model: CustodyModel) -> bool {
    matches!(model, CustodyModel::MassBalanceCredit | CustodyModel::BookAndClaim)
}

/// Whether claims under `model` may be made while some input shares are unknown: only the
/// credit-based models, where an unknown lot simply gives no credits.
fn claims_despite_unknown_shares(model: CustodyModel) -> bool {
    matches!(model, CustodyModel::MassBalanceCredit | CustodyModel::BookAndClaim)
}

/// Decides `request` against the stored ledger: accepted with its backing, or refused with a
/// precise reason. Nothing is changed here; the store writes an accepted claim.
pub fn decide_claim(
    record: &LedgerRecord,
    inputs: &[LedgerInput],
    missing: &[MissingShare],
    claims: &[LedgerClaim],
    request: &CheckedClaim,
    window: Option<&RollingWindowShare>,
) -> Result<DecidedClaim, ClaimRefused> {
    let conflict = |path: &str, message: String| ClaimRefused {
        conflict: true,
        path: path.to_owned(),
        message,
    };
    if let Some(existing) = claims
        .iter()
        .find(|claim| claim.reversal.is_none() && claim.output_lot == request.output_lot)
    {
        return Err(conflict(
            "/output_lot",
            format!(
                "output lot {:?} already has a claim in this ledger ({}); claims are immutable: reverse it to correct it",
                request.output_lot,
                existing.href()
            ),
        ));
    }
    let open = unresolved(missing);
    if !open.is_empty() && !claims_despite_unknown_shares(record.model) {
        let lots: Vec<&str> = open.iter().map(|missing| missing.lot.as_str()).collect();
        return Err(conflict(
            "/recycled_share_pct",
            format!(
                "the recycled share of {} input lot(s) is unknown ({}); under {} the share of the blend is not known until they are entered with their shares",
                lots.len(),
                lots.join(", "),
                record.model.as_str()
            ),
        ));
    }
    let mut ledger = replay(record, inputs, claims).map_err(|error| {
        conflict(
            "",
            format!("the stored ledger does not replay ({error}); no claim is accepted on it"),
        )
    })?;
    // Under a rolling window the share outputs may carry is the window's, never the period's
    // own when the window's is not known.
    if record.rolling_window.is_some() {
        let share = window.and_then(|window| window.share_pct);
        let Some(share) = share else {
            let reasons = window
                .map(|window| window.not_computable.join("; "))
                .unwrap_or_else(|| "the window was not computed".to_owned());
            return Err(conflict(
                "/recycled_share_pct",
                format!(
                    "the share of the ledger's rolling window is not computable ({reasons}), so no claim can be backed"
                ),
            ));
        };
        ledger.allow_share(share);
    }
    let accepted = ledger
        .claim(ClaimRequest {
            output_lot: request.output_lot.clone(),
            mass_t: request.material_t,
            recycled_share_pct: request.recycled_share_pct,
            backed_by: request.backed_by.clone(),
        })
        .map_err(|error| match &error {
            LedgerError::UnknownLot { lot } => ClaimRefused {
                conflict: false,
                path: format!(
                    "/backed_by/{}",
                    request
                        .backed_by
                        .iter()
                        .position(|named| named == lot)
                        .unwrap_or_default()
                ),
                message: error.to_string(),
            },
            LedgerError::NotOneLot { .. } => ClaimRefused {
                conflict: false,
                path: "/backed_by".to_owned(),
                message: error.to_string(),
            },
            LedgerError::Overdrawn { .. } if !request.backed_by.is_empty() => conflict("/backed_by", error.to_string()),
            LedgerError::Overdrawn { .. } => conflict("/mass", error.to_string()),
            _ => conflict("/recycled_share_pct", error.to_string()),
        })?
        .clone();
    let mut decided = DecidedClaim {
        credits_t: accepted.credits_t.normalize(),
        backing: Vec::new(),
        pre_consumer_t: Decimal::ZERO,
        post_consumer_t: Decimal::ZERO,
        unspecified_t: Decimal::ZERO,
    };
    for backing in accepted.backing {
        let input = inputs
            .iter()
            .find(|input| input.lot == backing.lot)
            .expect("the ledger draws only on its inputs");
        let (pre, post) = input.share.split(backing.credits_t);
        match (pre, post) {
            (Some(pre), Some(post)) => {
                decided.pre_consumer_t += pre;
                decided.post_consumer_t += post;
            }
            _ => decided.unspecified_t += backing.credits_t,
        }
        decided.backing.push(ClaimBacking {
            input_id: input.id,
            lot: backing.lot,
            credits_t: backing.credits_t.normalize(),
            pre_consumer_t: pre.map(|value| value.normalize()),
            post_consumer_t: post.map(|value| value.normalize()),
        });
    }
    decided.pre_consumer_t = decided.pre_consumer_t.normalize();
    decided.post_consumer_t = decided.post_consumer_t.normalize();
    decided.unspecified_t = decided.unspecified_t.normalize();
    Ok(decided)
}

// ---------------------------------------------------------------------------------------------
// Reading a ledger

/// A ledger's balance (残高).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Balance {
    /// Mass of the ledger's material in every input with a known share (lot mass × the
    /// material's fraction), in tonnes.
    #[schema(value_type = String)]
    pub input_t: Decimal,
    /// Mass of those input lots themselves, in tonnes.
    #[schema(value_type = String)]
    pub lot_input_t: Decimal,
    /// Recycled material in those inputs.
    #[schema(value_type = String)]
    pub recycled_input_t: Decimal,
    /// Mass of the inputs whose share is unknown (listed in `missing_shares`); none of it is
    /// counted as recycled or as virgin.
    #[schema(value_type = String)]
    pub unknown_share_t: Decimal,
    /// Credits given by the inputs, carried-over credits included.
    #[schema(value_type = String)]
    pub credits_t: Decimal,
    /// Of which carried over from the previous period (繰越し).
    #[schema(value_type = String)]
    pub carried_in_t: Decimal,
    /// Credits carried out of this (closed) ledger into the next period's.
    #[schema(value_type = String)]
    pub carried_out_t: Decimal,
    /// Credits drawn by live claims.
    #[schema(value_type = String)]
    pub claimed_t: Decimal,
    /// Credits left.
    #[schema(value_type = String)]
    pub remaining_t: Decimal,
    /// Credits that lapsed: left when the ledger was closed and not carried over.
    #[schema(value_type = Option<String>)]
    pub lapsed_t: Option<Decimal>,
    /// The rolling average share of the inputs (平均比率), null when not computable
    /// (presented to 6 decimal places).
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "crate::optional_share_text")]
    pub rolling_average_share_pct: Option<Decimal>,
    /// Why something is not computable.
    pub not_computable: Vec<String>,
    /// The period rule applied.
    pub period_rule: &'static str,
}

/// A ledger with its entries and balance.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerView {
    /// The ledger.
    pub ledger: LedgerRecord,
    /// The balance.
    pub balance: Balance,
    /// Inputs in entry order.
    pub inputs: Vec<LedgerInput>,
    /// Input lots whose share is (or was) unknown.
    pub missing_shares: Vec<MissingShare>,
    /// Claims in order, reversed ones included (marked).
    pub claims: Vec<LedgerClaim>,
    /// Under a rolling window: the periods averaged and the share outputs may claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_window: Option<RollingWindowShare>,
}

impl LedgerView {
    /// The view of stored entries: the balance computed by replaying them.
    pub fn new(
        ledger: LedgerRecord,
        inputs: Vec<LedgerInput>,
        missing_shares: Vec<MissingShare>,
        claims: Vec<LedgerClaim>,
    ) -> LedgerView {
        let mut not_computable = Vec::new();
        let own = || inputs.iter().filter(|input| !input.is_carried_over());
        let input_t: Decimal = own().map(|input| input.material_t).sum();
        let lot_input_t: Decimal = own().map(|input| input.mass_t).sum();
        let recycled_input_t: Decimal = own()
            .map(|input| input.material_t * input.share.recycled_share_pct / PERCENT)
            .sum();
        let carried_in_t: Decimal = inputs
            .iter()
            .filter(|input| input.is_carried_over())
            .map(|input| input.credits_t)
            .sum();
        let open = unresolved(&missing_shares);
        let unknown_share_t: Decimal = open.iter().filter_map(|missing| missing.mass_t).sum();
        if open.iter().any(|missing| missing.mass_t.is_none()) {
            not_computable.push("unknown_share_t: some input lots entered without a quantity".to_owned());
        }
        let credits_t: Decimal = inputs.iter().map(|input| input.credits_t).sum();
        let claimed_t: Decimal = claims
            .iter()
            .filter(|claim| claim.reversal.is_none())
            .map(|claim| claim.credits_t)
            .sum();
        let rolling_average_share_pct = if !open.is_empty() {
            not_computable.push(format!(
                "rolling_average_share_pct: the recycled share of {} input lot(s) is unknown",
                open.len()
            ));
            None
        } else if input_t.is_zero() {
            not_computable.push("rolling_average_share_pct: the ledger has no input mass".to_owned());
            None
        } else {
            Some(recycled_input_t / input_t * PERCENT)
        };
        let remaining_t = (credits_t - claimed_t).normalize();
        let balance = Balance {
            input_t: input_t.normalize(),
            lot_input_t: lot_input_t.normalize(),
            recycled_input_t: recycled_input_t.normalize(),
            unknown_share_t: unknown_share_t.normalize(),
            credits_t: credits_t.normalize(),
            carried_in_t: carried_in_t.normalize(),
            carried_out_t: Decimal::ZERO,
            claimed_t: claimed_t.normalize(),
            remaining_t,
            lapsed_t: ledger.closed_at.map(|_| remaining_t),
            rolling_average_share_pct: rolling_average_share_pct.map(|value| value.normalize()),
            not_computable,
            period_rule: ledger.period_rule(),
        };
        LedgerView {
            ledger,
            balance,
            inputs,
            missing_shares,
            claims,
            rolling_window: None,
        }
    }
}

impl LedgerView {
    /// The view of a closed ledger `carried_out_t` of whose credits the next period's ledger
    /// took: they did not lapse.
    pub fn with_carried_out(mut self, carried_out_t: Decimal) -> LedgerView {
        self.balance.carried_out_t = carried_out_t.normalize();
        self.balance.lapsed_t = self.balance.lapsed_t.map(|left| (left - carried_out_t).normalize());
        self
    }

    /// The view with its rolling window computed over `earlier` (see
    /// [`rolling_window_share`]); unchanged for a ledger without a window.
    pub fn with_window(mut self, earlier: &[LedgerView]) -> LedgerView {
        self.rolling_window = rolling_window_share(&self, earlier);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Carry-over between periods (繰越し)

/// Asks the ledger of the next period to take the unused credits of the previous one.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCarryOver {
    /// The closed ledger of the previous period (same facility, material and model, ending the
    /// day before this one starts).
    pub from_ledger_id: LedgerId,
}

/// Credits that lapsed at a carry-over because they were older than the rule allows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LapsedCredits {
    /// The ledger of the period that made them.
    pub origin_ledger_id: LedgerId,
    /// That period's first day.
    pub origin_period_from: String,
    /// How many periods old they would have been.
    pub age: u32,
    /// The credits, in tonnes.
    #[schema(value_type = String)]
    pub credits_t: Decimal,
}

/// What a carry-over enters: one entry per period the credits were made in, and what lapsed.
#[derive(Debug, Clone, PartialEq)]
pub struct CarryOverPlan {
    /// The entries for the next period's ledger.
    pub entries: Vec<CheckedInput>,
    /// Credits too old to carry.
    pub lapsed: Vec<LapsedCredits>,
}

/// What a carry-over did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CarryOverReport {
    /// The ledger the credits came from, after the carry-over.
    pub from: LedgerView,
    /// The entries made, each traceable to the ledger and period its credits come from.
    pub carried: Vec<LedgerInput>,
    /// Credits that lapsed instead (older than the rule allows).
    pub lapsed: Vec<LapsedCredits>,
    /// The ledger that took them, after the carry-over.
    pub ledger: LedgerView,
}

/// The day after `date` (`YYYY-MM-DD`).
fn next_day(date: &str) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, &format).ok()?.next_day()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    ))
}

/// The unused credits of `previous` (closed) that the ledger `next` takes under `previous`'s
/// carry-over rule: per period that made them, their remaining credits (split pre-/post-
/// consumer where every lot's split is known), one period older; those older than the rule's
/// expiry lapse. Refused, with the field and a precise reason, when `next` is not the next
/// period's ledger of the same facility, material and model, or `previous` is open, states no
/// carry-over, or its entries no longer replay.
pub fn plan_carry_over(previous: &LedgerView, next: &LedgerRecord) -> Result<CarryOverPlan, ClaimRefused> {
    let refused = |conflict: bool, message: String| ClaimRefused {
        conflict,
        path: "/from_ledger_id".to_owned(),
        message,
    };
    let from = &previous.ledger;
    if from.id == next.id {
        return Err(refused(false, "a ledger cannot carry credits into itself".to_owned()));
    }
    if (from.facility_id, &from.material, from.model) != (next.facility_id, &next.material, next.model) {
        return Err(refused(
            false,
            format!(
                "{} keeps {} under {} at facility {}; credits carry only into the same facility, material and model ({} under {} at {})",
                from.href(),
                from.material,
                from.model.as_str(),
                from.facility_id,
                next.material,
                next.model.as_str(),
                next.facility_id
            ),
        ));
    }
    if next_day(&from.period_to).as_deref() != Some(next.period_from.as_str()) {
        return Err(refused(
            false,
            format!(
                "{} ends on {}, and this ledger starts on {}: credits carry only into the period that starts the next day",
                from.href(),
                from.period_to,
                next.period_from
            ),
        ));
    }
    let Some(rule) = from.carry_over else {
        return Err(refused(
            true,
            format!(
                "{} states no carry-over rule: its credits lapse when it is closed ({PERIOD_RULE})",
                from.href()
            ),
        ));
    };
    if from.closed_at.is_none() {
        return Err(refused(
            true,
            format!(
                "{} is still open: close it (POST {}/close) before carrying its credits over",
                from.href(),
                from.href()
            ),
        ));
    }
    let ledger = replay(from, &previous.inputs, &previous.claims)
        .map_err(|error| refused(true, format!("{} does not replay ({error})", from.href())))?;
    // Per period of origin: (origin ledger, its first day, age here, credits, pre, post, split known).
    let mut origins: Vec<(LedgerId, String, u32, Decimal, Decimal, Decimal, bool)> = Vec::new();
    for input in &previous.inputs {
        let remaining = ledger.remaining_of(&input.lot).unwrap_or_default();
        if remaining.is_zero() {
            continue;
        }
        let (origin, origin_from, age) = match &input.share_source {
            ShareSource::CarriedOver {
                origin_ledger_id,
                origin_period_from,
                age,
                ..
            } => (*origin_ledger_id, origin_period_from.clone(), age + 1),
            _ => (from.id, from.period_from.clone(), 1),
        };
        let (pre, post) = input.share.split(remaining);
        match origins.iter_mut().find(|entry| entry.0 == origin) {
            Some(entry) => {
                entry.3 += remaining;
                entry.4 += pre.unwrap_or_default();
                entry.5 += post.unwrap_or_default();
                entry.6 &= pre.is_some();
            }
            None => origins.push((
                origin,
                origin_from,
                age,
                remaining,
                pre.unwrap_or_default(),
                post.unwrap_or_default(),
                pre.is_some(),
            )),
        }
    }
    let mut plan = CarryOverPlan {
        entries: Vec::new(),
        lapsed: Vec::new(),
    };
    for (origin, origin_from, age, credits, pre, post, split_known) in origins {
        if rule.expires_after_periods.is_some_and(|limit| age > limit) {
            plan.lapsed.push(LapsedCredits {
                origin_ledger_id: origin,
                origin_period_from: origin_from,
                age,
                credits_t: credits.normalize(),
            });
            continue;
        }
        let credits = credits.normalize();
        plan.entries.push(CheckedInput {
            lot: format!("carried-over:{origin}:into:{}", next.id),
            mass: credits,
            unit: "t".to_owned(),
            mass_t: credits,
            fraction: MaterialFraction::whole_lot(),
            share: Share {
                recycled_share_pct: PERCENT,
                pre_consumer_pct: split_known.then(|| (pre / credits * PERCENT).normalize()),
                post_consumer_pct: split_known.then(|| (post / credits * PERCENT).normalize()),
            },
            received_on: next.period_from.clone(),
            evidence: Some(format!(
                "unused credits of {} made in the period from {origin_from}, carried over from {}",
                format_args!("{LEDGERS_PATH}/{origin}"),
                from.href()
            )),
            source: ShareSource::CarriedOver {
                from_ledger_id: from.id,
                origin_ledger_id: origin,
                origin_period_from: origin_from,
                age,
            },
            event_ids: Vec::new(),
        });
    }
    Ok(plan)
}

/// A link in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TraceLink {
    /// What it is: `event`, `passport`, `upstream_claim`.
    pub rel: &'static str,
    /// Where to read it.
    pub href: String,
}

/// One input behind a claim.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TracedInput {
    /// The credits it gives the claim.
    pub backing: ClaimBacking,
    /// The input entry.
    pub input: LedgerInput,
    /// The events and passports or upstream claims behind it.
    pub links: Vec<TraceLink>,
}

/// A claim traced to the inputs that back it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClaimTrace {
    /// The ledger.
    pub ledger: LedgerRecord,
    /// The claim.
    pub claim: LedgerClaim,
    /// The inputs behind it.
    pub inputs: Vec<TracedInput>,
    /// Links to the output lot's event.
    pub links: Vec<TraceLink>,
}

/// The link to an event by its eventID.
pub fn event_href(event_id: &str) -> String {
    format!("/epcis/events/{}", percent_encode_path(event_id))
}

fn percent_encode_path(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Traces claim `claim` of `view` to its inputs.
pub fn trace_claim(view: &LedgerView, claim: &LedgerClaim) -> ClaimTrace {
    let inputs = claim
        .backing
        .iter()
        .filter_map(|backing| {
            let input = view.inputs.iter().find(|input| input.id == backing.input_id)?;
            let mut links: Vec<TraceLink> = input
                .event_ids
                .iter()
                .map(|event_id| TraceLink {
                    rel: "event",
                    href: event_href(event_id),
                })
                .collect();
            if let Some(href) = input.share_source.href() {
                let rel = match input.share_source {
                    ShareSource::Claim { .. } => "upstream_claim",
                    ShareSource::CarriedOver { .. } => "carried_over_from",
                    _ => "passport",
                };
                links.push(TraceLink { rel, href });
            }
            if let Some(href) = input.fraction_source.href() {
                if !links.iter().any(|link| link.href == href) {
                    let rel = match input.fraction_source {
                        FractionSource::Claim { .. } => "upstream_claim",
                        _ => "passport",
                    };
                    links.push(TraceLink { rel, href });
                }
            }
            Some(TracedInput {
                backing: backing.clone(),
                input: input.clone(),
                links,
            })
        })
        .collect();
    ClaimTrace {
        ledger: view.ledger.clone(),
        claim: claim.clone(),
        inputs,
        links: claim
            .event_id
            .iter()
            .map(|event_id| TraceLink {
                rel: "event",
                href: event_href(event_id),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Shares from passports

/// Why a passport gives no value at `pointer`: withheld from the reader, or not stated.
fn withheld_note(withheld: &[String], pointer: &str) -> String {
    if withheld
        .iter()
        .any(|hidden| pointer.starts_with(hidden.as_str()) || hidden.starts_with(pointer))
    {
        format!("the passport withholds {pointer} from you")
    } else {
        format!("the passport states no recycled content at {pointer}")
    }
}

/// The recycled share of `material` a passport states, or why none can be read: the battery
/// profile's per-material `Circularity/recycledContent` entries (Battery Pass), or a
/// `recycledContent` object (`preConsumer`, `postConsumer`, `total`) or number of the other
/// profiles.
pub fn share_from_passport(data: &Value, withheld: &[String], material: &str) -> Result<(Share, String), String> {
    if let Some(entries) = data.pointer("/Circularity/recycledContent").and_then(Value::as_array) {
        let pointer = "/Circularity/recycledContent";
        for (index, entry) in entries.iter().enumerate() {
            let name = entry
                .get("recycledMaterial")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if normalize_material(name).as_deref() == Ok(material) {
                let mut violations = Violations::new();
                let pre = entry
                    .get("preConsumerShare")
                    .map(|value| read_percent(&mut violations, "", value));
                let post = entry
                    .get("postConsumerShare")
                    .map(|value| read_percent(&mut violations, "", value));
                return match (pre.flatten(), post.flatten()) {
                    (Some(pre), Some(post)) if pre + post <= PERCENT => Ok((
                        Share {
                            recycled_share_pct: pre + post,
                            pre_consumer_pct: Some(pre),
                            post_consumer_pct: Some(post),
                        },
                        format!("{pointer}/{index}"),
                    )),
                    _ => Err(format!(
                        "{pointer}/{index} does not give both preConsumerShare and postConsumerShare within 0-100 %"
                    )),
                };
            }
        }
        return Err(format!("the passport's {pointer} names no entry for {material}"));
    }
    if data.pointer("/Circularity").is_some() || withheld.iter().any(|hidden| hidden.starts_with("/Circularity")) {
        return Err(withheld_note(withheld, "/Circularity/recycledContent"));
    }
    lot_share_from_passport(data, withheld)
}

/// The recycled share of a whole lot a passport states: its `recycledContent` object
/// (`preConsumer`, `postConsumer`, `total`) or number, or why none can be read. A battery
/// passport states recycled content per metal (`Circularity/recycledContent`): the battery's
/// share is then [`battery_share_from_passport`].
pub fn lot_share_from_passport(data: &Value, withheld: &[String]) -> Result<(Share, String), String> {
    if data.pointer("/Circularity").is_some() || withheld.iter().any(|hidden| hidden.starts_with("/Circularity")) {
        return battery_share_from_passport(data, withheld);
    }
    match data.get("recycledContent") {
        Some(Value::Object(fields)) => {
            let mut violations = Violations::new();
            let part = |key: &str, violations: &mut Violations| {
                fields.get(key).and_then(|value| read_percent(violations, "", value))
            };
            let pre = part("preConsumer", &mut violations);
            let post = part("postConsumer", &mut violations);
            let total = part("total", &mut violations);
            let share = match (total, pre, post) {
                (Some(total), Some(pre), Some(post)) if pre + post == total => Some((total, Some(pre), Some(post))),
                (Some(total), Some(_), Some(_)) => {
                    return Err(format!(
                        "/recycledContent: preConsumer + postConsumer does not equal total ({total})"
                    ))
                }
                (None, Some(pre), Some(post)) if pre + post <= PERCENT => Some((pre + post, Some(pre), Some(post))),
                (Some(total), _, _) => Some((total, None, None)),
                _ => None,
            };
            share
                .map(|(total, pre, post)| {
                    (
                        Share {
                            recycled_share_pct: total,
                            pre_consumer_pct: pre,
                            post_consumer_pct: post,
                        },
                        "/recycledContent".to_owned(),
                    )
                })
                .ok_or_else(|| "/recycledContent gives neither total nor both parts within 0-100 %".to_owned())
        }
        Some(value @ Value::Number(_)) => {
            let mut violations = Violations::new();
            read_percent(&mut violations, "", value)
                .map(|total| {
                    (
                        Share {
                            recycled_share_pct: total,
                            pre_consumer_pct: None,
                            post_consumer_pct: None,
                        },
                        "/recycledContent".to_owned(),
                    )
                })
                .ok_or_else(|| "/recycledContent is not a share within 0-100 %".to_owned())
        }
        _ => Err(withheld_note(withheld, "/recycledContent")),
    }
}

/// The recycled share of a whole battery from its passport's per-metal recycled content: the
/// recycled mass is Σ over the metals of `Circularity/recycledContent` of the metal's mass in
/// the battery (its `MaterialComposition/batteryMaterials` entries, [`fraction_from_passport`])
/// × the metal's recycled share (pre- + post-consumer), over the battery's mass
/// (`GeneralProductInformation/batteryMass`). The battery passport states recycled content for
/// these metals only (Regulation (EU) 2023/1542 Art. 8), so the battery's other materials are
/// credited no recycled content. A metal whose share or mass in the battery is not stated (or
/// is withheld) makes the whole share unknown, never 0.
pub fn battery_share_from_passport(data: &Value, withheld: &[String]) -> Result<(Share, String), String> {
    let pointer = "/Circularity/recycledContent";
    let Some(entries) = data.pointer(pointer).and_then(Value::as_array) else {
        return Err(format!(
            "the battery passport states recycled content per metal, and {}",
            withheld_note(withheld, pointer)
        ));
    };
    if entries.is_empty() {
        return Err(format!("the battery passport's {pointer} names no metal"));
    }
    let (mut recycled, mut pre_total, mut post_total) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut used = Vec::new();
    let mut missing = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let name = entry
            .get("recycledMaterial")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Ok(metal) = normalize_material(name) else {
            missing.push(format!("{pointer}/{index} names no material"));
            continue;
        };
        let mut violations = Violations::new();
        let pre = entry
            .get("preConsumerShare")
            .and_then(|value| read_percent(&mut violations, "", value));
        let post = entry
            .get("postConsumerShare")
            .and_then(|value| read_percent(&mut violations, "", value));
        let (Some(pre), Some(post)) = (pre, post) else {
            missing.push(format!(
                "{pointer}/{index} ({metal}) does not give both preConsumerShare and postConsumerShare within 0-100 %"
            ));
            continue;
        };
        if pre + post > PERCENT {
            missing.push(format!(
                "{pointer}/{index} ({metal}): the shares sum to more than 100 %"
            ));
            continue;
        }
        match fraction_from_passport(data, withheld, &metal) {
            Ok(Some((fraction, from))) => {
                pre_total += fraction * pre;
                post_total += fraction * post;
                recycled += fraction * (pre + post);
                used.push(format!("{pointer}/{index} × ({from})"));
            }
            Ok(None) => missing.push(format!("the mass of {metal} in the battery is not stated")),
            Err(reason) => missing.push(format!("the mass of {metal} in the battery is not known: {reason}")),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "the battery passport states recycled content per metal, and the battery's share cannot be computed: {}",
            missing.join("; ")
        ));
    }
    Ok((
        Share {
            recycled_share_pct: recycled.normalize(),
            pre_consumer_pct: Some(pre_total.normalize()),
            post_consumer_pct: Some(post_total.normalize()),
        },
        used.join(" + "),
    ))
}

/// The CAS registry numbers of the battery metals of Art. 8, as Battery Pass material entries
/// name them (`batteryMaterialIdentifier`).
const BATTERY_METAL_CAS: [(&str, &str); 4] = [
    ("cobalt", "7440-48-4"),
    ("lithium", "7439-93-2"),
    ("nickel", "7440-02-0"),
    ("lead", "7439-92-1"),
];

/// Why a passport gives no composition at `pointer`: withheld from the reader, or not stated.
fn composition_note(withheld: &[String], pointer: &str) -> String {
    if withheld
        .iter()
        .any(|hidden| pointer.starts_with(hidden.as_str()) || hidden.starts_with(pointer))
    {
        format!("the passport withholds {pointer} from you")
    } else {
        format!("the passport states nothing at {pointer}")
    }
}

/// The mass fraction (質量分率) of `material` in a lot that its passport's composition states:
/// `Ok(Some((fraction, pointers)))`; `Ok(None)` when the passport states no composition that
/// could name it (the lot is then taken as the material itself); `Err(reason)` when the
/// passport describes a composite product whose composition does not give the material's part
/// (a battery whose materials do not name the metal, or withhold it): such a lot is never taken
/// as the pure material.
///
/// Battery profile: the `MaterialComposition/batteryMaterials` entries that name the material
/// (by CAS number or name) summed, over `GeneralProductInformation/batteryMass`. Metal profile:
/// the `chemicalComposition` entry of the element, `massPercent` / 100; the lot's own `metal`
/// (its base, e.g. `aluminium`), which the composition does not list, is the whole lot.
pub fn fraction_from_passport(
    data: &Value,
    withheld: &[String],
    material: &str,
) -> Result<Option<(Decimal, String)>, String> {
    let is_battery = data.pointer("/MaterialComposition").is_some()
        || data.pointer("/GeneralProductInformation").is_some()
        || withheld.iter().any(|hidden| hidden.starts_with("/MaterialComposition"));
    if is_battery {
        let pointer = "/MaterialComposition/batteryMaterials";
        let Some(entries) = data.pointer(pointer).and_then(Value::as_array) else {
            return Err(composition_note(withheld, pointer));
        };
        let cas = BATTERY_METAL_CAS
            .iter()
            .find(|(name, _)| *name == material)
            .map(|(_, cas)| *cas);
        let mut mass = Decimal::ZERO;
        let mut used = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let identifier = entry.get("batteryMaterialIdentifier").and_then(Value::as_str);
            let name = entry
                .get("batteryMaterialName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let names_it = (cas.is_some() && identifier == cas) || normalize_material(name).as_deref() == Ok(material);
            if !names_it {
                continue;
            }
            let Some(Ok(part)) = entry.get("batteryMaterialMass").map(decimal_of) else {
                let mass_pointer = format!("{pointer}/{index}/batteryMaterialMass");
                return Err(
                    if withheld
                        .iter()
                        .any(|hidden| mass_pointer.starts_with(hidden.as_str()) || hidden.starts_with(&mass_pointer))
                    {
                        format!("the passport withholds {mass_pointer} ({material}) from you")
                    } else {
                        format!("{pointer}/{index} names {material} without a batteryMaterialMass")
                    },
                );
            };
            mass += part;
            used.push(format!("{pointer}/{index}/batteryMaterialMass"));
        }
        if used.is_empty() {
            return Err(format!(
                "the passport's {pointer} names no entry for {material} (by name or CAS number), so its part of the battery is not known; give its material_fractions on import"
            ));
        }
        let total_pointer = "/GeneralProductInformation/batteryMass";
        let total = match data.pointer(total_pointer).map(decimal_of) {
            Some(Ok(total)) if total > Decimal::ZERO => total,
            _ => return Err(composition_note(withheld, total_pointer)),
        };
        if mass > total {
            return Err(format!(
                "the passport's {material} entries ({}) weigh more than the battery ({total_pointer})",
                used.join(", ")
            ));
        }
        used.push(total_pointer.to_owned());
        return Ok(Some(((mass / total).normalize(), used.join(", "))));
    }
    if withheld.iter().any(|hidden| hidden.starts_with("/chemicalComposition")) {
        return Err(composition_note(withheld, "/chemicalComposition"));
    }
    if let Some(entries) = data.get("chemicalComposition").and_then(Value::as_array) {
        for (index, entry) in entries.iter().enumerate() {
            let element = entry.get("element").and_then(Value::as_str).unwrap_or_default();
            if normalize_material(element).as_deref() != Ok(material) {
                continue;
            }
            let pointer = format!("/chemicalComposition/{index}/massPercent");
            return match entry.get("massPercent").map(decimal_of) {
                Some(Ok(percent)) if percent > Decimal::ZERO && percent <= PERCENT => {
                    Ok(Some(((percent / PERCENT).normalize(), pointer)))
                }
                _ => Err(format!("{pointer} is not a share within 0-100 %")),
            };
        }
        // The base metal of a grade is not listed among its elements: the lot is that metal.
        let base = data.get("metal").and_then(Value::as_str).unwrap_or_default();
        if !base
            .split('_')
            .any(|word| normalize_material(word).as_deref() == Ok(material))
        {
            return Err(format!(
                "the passport's /chemicalComposition names no entry for {material}, and the lot is {base:?}, so its part of the lot is not known; give its material_fractions on import"
            ));
        }
    }
    Ok(None)
}

/// Asks an import from events for explicit conversions: the mass fraction of the ledger's
/// material per input lot (a compound's metal content), used instead of what passports or
/// upstream claims state.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportLedgerInputs {
    /// Input lot → mass fraction (質量分率) of the ledger's material in it, more than 0 and at
    /// most 1 (e.g. `{"urn:epc:class:lgtin:4569951.110050.BM-01": "0.14"}`). Every lot named
    /// must be an input of the facility's events in the period.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub material_fractions: BTreeMap<String, Value>,
}

impl ImportLedgerInputs {
    /// The fractions by canonical lot; every problem with its pointer.
    pub fn check(&self) -> Result<BTreeMap<String, Decimal>, Vec<Violation>> {
        let mut violations = Violations::new();
        let mut fractions = BTreeMap::new();
        for (lot, value) in &self.material_fractions {
            let path = format!("/material_fractions/{}", lot.replace('~', "~0").replace('/', "~1"));
            let canonical = match canonical_lot(lot) {
                Ok(canonical) => canonical,
                Err(message) => {
                    violations.push(path, message);
                    continue;
                }
            };
            if let Some(fraction) = read_fraction(&mut violations, &path, value) {
                if fractions.insert(canonical, fraction).is_some() {
                    violations.push(path, "names a lot another key already names");
                }
            }
        }
        violations.into_result()?;
        Ok(fractions)
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs from traceability events

/// What the store found about an input lot's share.
#[derive(Debug, Clone, PartialEq)]
pub enum ShareLookup {
    /// A share, and where it comes from.
    Found(Share, ShareSource),
    /// No share, and why.
    Unknown(String),
}

/// An output lot the events show leaving the facility in the period (a candidate for a claim).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ObservedOutput {
    /// The lot.
    pub lot: String,
    /// Mass as the event gives it.
    #[schema(value_type = Option<String>)]
    pub mass: Option<Decimal>,
    /// Its unit.
    pub unit: Option<String>,
    /// The event.
    pub event_id: String,
    /// The day.
    pub produced_on: String,
}

/// What reading the events gives: inputs to enter, lots whose share is unknown, and outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    /// Inputs with a known share.
    pub inputs: Vec<CheckedInput>,
    /// Inputs whose share or mass is unknown.
    pub missing: Vec<MissingShare>,
    /// Outputs seen.
    pub outputs: Vec<ObservedOutput>,
    /// The events read.
    pub events: Vec<String>,
}

/// Whether `event` is a TransformationEvent at one of `locations` (its bizLocation or
/// readPoint) on a day of the ledger's period.
pub fn is_ledger_event(record: &LedgerRecord, locations: &[String], event: &CapturedEvent) -> bool {
    let at = |place: &Option<String>| place.as_ref().is_some_and(|place| locations.contains(place));
    event.event_type == "TransformationEvent"
        && (at(&event.biz_location) || at(&event.read_point))
        && record.contains(&ledger_date(event.event_time))
}

/// The input lots of the ledger's events, whose shares the store looks up.
pub fn input_lots(record: &LedgerRecord, locations: &[String], events: &[CapturedEvent]) -> Vec<String> {
    let mut lots = Vec::new();
    for event in events.iter().filter(|event| is_ledger_event(record, locations, event)) {
        for identifier in &event.identifiers {
            if identifier.role == IdentifierRole::InputQuantity && !lots.contains(&identifier.value) {
                lots.push(identifier.value.clone());
            }
        }
    }
    lots
}

/// Builds the ledger's inputs from its TransformationEvents: each `inputQuantityList` lot with
/// its quantity in tonnes (several events' quantities of one lot summed) and its share from
/// `shares`; lots of unknown share and `inputEPCList` EPCs (no quantity) as missing; the
/// `outputQuantityList` lots as outputs. Refused, with every offending lot named, when a
/// quantity is in a unit the ledger cannot convert (mixed units without a conversion).
///
/// Each lot counts with the ledger's material in it: its mass × the material's fraction from
/// `declared` (the import's explicit conversions), else `fractions` (what the lot's upstream
/// claim or passport states: `Err` when a composite lot's part is unknown, which makes the lot
/// missing), else the lot is the material itself. A declared fraction for a lot that is not an
/// input of the events is refused.
pub fn plan_import(
    record: &LedgerRecord,
    locations: &[String],
    events: &[CapturedEvent],
    shares: &HashMap<String, ShareLookup>,
    fractions: &HashMap<String, Result<MaterialFraction, String>>,
    declared: &BTreeMap<String, Decimal>,
) -> Result<ImportPlan, Vec<Violation>> {
    let mut violations = Violations::new();
    // Per lot, in first-seen order: (mass in t, first unit, first day, events).
    let mut entered: Vec<(String, Decimal, String, String, Vec<String>)> = Vec::new();
    let mut unquantified: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut outputs = Vec::new();
    let mut used = Vec::new();
    for event in events.iter().filter(|event| is_ledger_event(record, locations, event)) {
        let day = ledger_date(event.event_time);
        used.push(event.event_id.clone());
        for identifier in &event.identifiers {
            match identifier.role {
                IdentifierRole::InputQuantity => {
                    let unit = identifier.uom.clone().unwrap_or_default();
                    let path = format!("/events/{}/inputQuantityList", event.event_id);
                    let Some(quantity) = identifier.quantity.as_deref() else {
                        unquantified.push((identifier.value.clone(), day.clone(), vec![event.event_id.clone()]));
                        continue;
                    };
                    let quantity = match quantity
                        .parse::<Decimal>()
                        .or_else(|_| Decimal::from_scientific(quantity))
                    {
                        Ok(quantity) if quantity >= Decimal::ZERO => quantity,
                        _ => {
                            violations.push(
                                path,
                                format!(
                                    "lot {}: quantity {quantity:?} is not a mass of zero or more",
                                    identifier.value
                                ),
                            );
                            continue;
                        }
                    };
                    let per = if unit.is_empty() {
                        None
                    } else {
                        tonnes_per_unit(&unit, &record.unit_conversions)
                    };
                    let Some(per) = per else {
                        let message = if unit.is_empty() {
                            format!(
                                "lot {} has a quantity without a unit (a count of items); the ledger counts mass, and a count has no conversion to tonnes",
                                identifier.value
                            )
                        } else {
                            format!(
                                "lot {}: {}",
                                identifier.value,
                                unit_error(&unit, &record.unit_conversions)
                            )
                        };
                        violations.push(path, message);
                        continue;
                    };
                    match entered.iter_mut().find(|(lot, ..)| *lot == identifier.value) {
                        Some((_, mass_t, _, _, event_ids)) => {
                            *mass_t += quantity * per;
                            if !event_ids.contains(&event.event_id) {
                                event_ids.push(event.event_id.clone());
                            }
                        }
                        None => entered.push((
                            identifier.value.clone(),
                            quantity * per,
                            unit,
                            day.clone(),
                            vec![event.event_id.clone()],
                        )),
                    }
                }
                IdentifierRole::Input => {
                    unquantified.push((identifier.value.clone(), day.clone(), vec![event.event_id.clone()]))
                }
                IdentifierRole::OutputQuantity => outputs.push(ObservedOutput {
                    lot: identifier.value.clone(),
                    mass: identifier
                        .quantity
                        .as_deref()
                        .and_then(|quantity| quantity.parse().ok()),
                    unit: identifier.uom.clone(),
                    event_id: event.event_id.clone(),
                    produced_on: day.clone(),
                }),
                _ => {}
            }
        }
    }
    for lot in declared.keys() {
        if !entered.iter().any(|(entered_lot, ..)| entered_lot == lot) {
            violations.push(
                format!("/material_fractions/{}", lot.replace('~', "~0").replace('/', "~1")),
                format!(
                    "lot {lot} is not an input (inputQuantityList) of the facility's TransformationEvents in the ledger's period"
                ),
            );
        }
    }
    violations.into_result()?;
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for (lot, mass_t, unit, day, event_ids) in entered {
        // The quantity as the events gave it, in their first unit.
        let per = tonnes_per_unit(&unit, &record.unit_conversions).expect("converted above");
        let mass = mass_t / per;
        let fraction = match (declared.get(&lot), fractions.get(&lot)) {
            (Some(fraction), _) => Ok(MaterialFraction {
                fraction: *fraction,
                source: FractionSource::Declared,
            }),
            (None, Some(found)) => found.clone(),
            (None, None) => Ok(MaterialFraction::whole_lot()),
        };
        let fraction = match fraction {
            Ok(fraction) => fraction,
            Err(reason) => {
                missing.push(MissingShare {
                    lot,
                    mass: Some(mass),
                    unit: Some(unit),
                    mass_t: Some(mass_t),
                    received_on: day,
                    event_ids,
                    reason: format!("the {} in the lot is not known: {reason}", record.material),
                    resolved: false,
                });
                continue;
            }
        };
        match shares.get(&lot) {
            Some(ShareLookup::Found(share, source)) => inputs.push(CheckedInput {
                lot,
                mass,
                unit,
                mass_t,
                fraction,
                share: *share,
                received_on: day,
                source: source.clone(),
                event_ids,
                evidence: None,
            }),
            Some(ShareLookup::Unknown(reason)) => missing.push(MissingShare {
                lot,
                mass: Some(mass),
                unit: Some(unit),
                mass_t: Some(mass_t),
                received_on: day,
                event_ids,
                reason: reason.clone(),
                resolved: false,
            }),
            None => missing.push(MissingShare {
                lot,
                mass: Some(mass),
                unit: Some(unit),
                mass_t: Some(mass_t),
                received_on: day,
                event_ids,
                reason: "no passport or upstream claim states its recycled share".to_owned(),
                resolved: false,
            }),
        }
    }
    for (lot, day, event_ids) in unquantified {
        if missing.iter().any(|missing: &MissingShare| missing.lot == lot) {
            continue;
        }
        missing.push(MissingShare {
            lot,
            mass: None,
            unit: None,
            mass_t: None,
            received_on: day,
            event_ids,
            reason: "entered without a quantity (an EPC of inputEPCList, or a quantity without mass); enter it with its mass and share".to_owned(),
            resolved: false,
        });
    }
    Ok(ImportPlan {
        inputs,
        missing,
        outputs,
        events: used,
    })
}

/// A lot an import left alone because it is already an input.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlreadyEntered {
    /// The lot.
    pub lot: String,
    /// The ledger it is an input of.
    pub ledger_id: LedgerId,
}

/// Which ledgers to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// Only this facility's.
    pub facility_id: Option<FacilityId>,
    /// Only this material (normalised).
    pub material: Option<String>,
    /// Only this organization's.
    pub owner: Option<OrganizationId>,
    /// Only ledgers whose period lies within `from/to` (ISO dates).
    pub within: Option<(String, String)>,
}

/// What an import from events did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    /// The events read (eventIDs).
    pub events: Vec<String>,
    /// Inputs entered now.
    pub entered: Vec<LedgerInput>,
    /// Lots already entered (by an earlier import or by hand, in this ledger or another of the
    /// facility and material: a lot counts once), left as they are.
    pub already_entered: Vec<AlreadyEntered>,
    /// Lots whose share (or mass) is unknown: recorded as missing, never counted as 0.
    pub missing_shares: Vec<MissingShare>,
    /// Output lots the events show, for claims.
    pub outputs: Vec<ObservedOutput>,
    /// The ledger after the import.
    pub ledger: LedgerView,
}

// ---------------------------------------------------------------------------------------------
// Indicators from stored ledgers

/// A ledger's part of a facility's mass balance.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LedgerSummary {
    /// Where to read the ledger.
    pub href: String,
    /// The ledger.
    pub ledger: LedgerRecord,
    /// Its balance.
    pub balance: Balance,
    /// Its live claims, each with where to trace it.
    #[schema(value_type = Vec<Object>)]
    pub claims: Vec<Value>,
}

/// `mass-balance` for a facility and period from its stored ledgers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FacilityMassBalance {
    /// `mass-balance`.
    pub indicator: &'static str,
    /// The methodology.
    pub methodology: &'static str,
    /// The scope (`facility:<id>`).
    pub scope: String,
    /// The period asked for.
    pub period: String,
    /// The values per material.
    #[schema(value_type = Object)]
    pub result: Value,
    /// The ledgers used (every ledger of the facility the caller may read whose period lies
    /// within the period asked for).
    pub ledgers: Vec<LedgerSummary>,
    /// What could not be computed, and why.
    pub not_computable: Vec<String>,
}

/// `mass-balance` for `scope` over `period` from `views`.
pub fn facility_mass_balance(scope: &str, period: &str, views: &[LedgerView]) -> FacilityMassBalance {
    let mut per_material: BTreeMap<String, Value> = BTreeMap::new();
    let mut not_computable = Vec::new();
    let mut ledgers = Vec::new();
    for view in views {
        let live: Vec<&LedgerClaim> = view.claims.iter().filter(|claim| claim.reversal.is_none()).collect();
        let balance = &view.balance;
        let mut figures = json!({
            "material": view.ledger.material,
            "model": view.ledger.model,
            "rolling_average_share_pct": balance.rolling_average_share_pct.map(crate::number),
            "material_input_t": crate::number(balance.input_t),
            "lot_input_t": crate::number(balance.lot_input_t),
            "credits_t": crate::number(balance.credits_t),
            "claimed_t": crate::number(balance.claimed_t),
            "remaining_t": crate::number(balance.remaining_t),
            "lapsed_t": balance.lapsed_t.map(crate::number),
            "claimed_pre_consumer_t": crate::number(live.iter().map(|claim| claim.pre_consumer_t).sum()),
            "claimed_post_consumer_t": crate::number(live.iter().map(|claim| claim.post_consumer_t).sum()),
            "unknown_share_t": crate::number(balance.unknown_share_t),
        });
        // A rolling-average ledger's window: the share its outputs may claim.
        if let (Some(window), Some(fields)) = (&view.rolling_window, figures.as_object_mut()) {
            fields.insert(
                "rolling_window".to_owned(),
                json!({"periods": window.periods, "periods_used": window.used.len(), "short": window.short,
                       "share_pct": window.share_pct.map(crate::number), "missing": window.missing}),
            );
        }
        per_material.insert(
            format!(
                "{} {}/{}",
                view.ledger.material, view.ledger.period_from, view.ledger.period_to
            ),
            figures,
        );
        not_computable.extend(
            balance
                .not_computable
                .iter()
                .map(|reason| format!("{} ({}): {reason}", view.ledger.material, view.ledger.href())),
        );
        ledgers.push(LedgerSummary {
            href: view.ledger.href(),
            ledger: view.ledger.clone(),
            balance: balance.clone(),
            claims: live
                .iter()
                .map(|claim| {
                    json!({"output_lot": claim.output_lot, "mass_t": claim.mass_t, "material_fraction": claim.material_fraction, "material_t": claim.material_t, "recycled_share_pct": claim.recycled_share_pct,
                           "credits_t": claim.credits_t, "backed_by": claim.backing.iter().map(|backing| &backing.lot).collect::<Vec<_>>(),
                           "trace": claim.href()})
                })
                .collect(),
        });
    }
    if views.is_empty() {
        not_computable.push(
            "no ledger of this facility that you may read lies within the period; open one with POST /api/v1/ledgers"
                .to_owned(),
        );
    }
    FacilityMassBalance {
        indicator: crate::mass_balance::INFO.name,
        methodology: crate::mass_balance::INFO.methodology,
        scope: scope.to_owned(),
        period: period.to_owned(),
        result: json!(per_material),
        ledgers,
        not_computable,
    }
}

/// `battery-recycled-content` for a product from the live claims made for it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProductBatteryCheck {
    /// `battery-recycled-content`.
    pub indicator: &'static str,
    /// The scope (`product:<identifier>`).
    pub scope: String,
    /// Per claim of a battery metal: the Art. 8 computation over the claim's masses.
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<Value>,
    /// What could not be computed, and why.
    pub not_computable: Vec<String>,
}

/// Checks every live claim made for the product (its identifier) for a battery metal against
/// the Art. 8 minimums, one result per metal: the claim's material mass (lot mass × the metal's
/// fraction) is the metal in the product and its credits the recovered metal (pre-consumer
/// credits as manufacturing waste).
pub fn product_battery_check(scope: &str, claims: &[(LedgerRecord, LedgerClaim)]) -> ProductBatteryCheck {
    let mut results = Vec::new();
    let mut not_computable = Vec::new();
    for (ledger, claim) in claims {
        if !crate::battery::Metal::ALL
            .iter()
            .any(|(name, _)| *name == ledger.material)
        {
            not_computable.push(format!(
                "the claim {} is for {}, which Art. 8 sets no minimum for",
                claim.href(),
                ledger.material
            ));
            continue;
        }
        let kilograms = |tonnes: Decimal| (tonnes * Decimal::ONE_THOUSAND).normalize().to_string();
        let mut input = json!({
            "metal": ledger.material,
            "mass_in_active_material_kg": kilograms(claim.material_t),
            "recovered_kg": kilograms(claim.credits_t),
        });
        if ledger.material == "lead" {
            input["metal_mass_kg"] = input["mass_in_active_material_kg"].take();
            input
                .as_object_mut()
                .map(|fields| fields.remove("mass_in_active_material_kg"));
        }
        if claim.unspecified_t.is_zero() {
            input["manufacturing_waste_kg"] = json!(kilograms(claim.pre_consumer_t));
            input["post_consumer_kg"] = json!(kilograms(claim.post_consumer_t));
        }
        match crate::compute(crate::battery::INFO.name, &input) {
            Ok(computation) => results.push(json!({
                "claim": claim.href(),
                "ledger": ledger,
                "material": ledger.material,
                "output_lot": claim.output_lot,
                "computation": computation,
            })),
            Err(error) => not_computable.push(format!("{}: {error}", claim.href())),
        }
    }
    if claims.is_empty() {
        not_computable.push("no live claim that you may read names this product as its output lot".to_owned());
    }
    ProductBatteryCheck {
        indicator: crate::battery::INFO.name,
        scope: scope.to_owned(),
        results,
        not_computable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use junkan_model::event::EventIdentifier;

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("a test decimal")
    }

    fn record(model: CustodyModel) -> LedgerRecord {
        LedgerRecord {
            id: LedgerId::derived("test"),
            owner_organization_id: OrganizationId::derived("owner"),
            facility_id: FacilityId::derived("plant"),
            material: "cobalt".to_owned(),
            model,
            period_from: "2026-04-01".to_owned(),
            period_to: "2027-03-31".to_owned(),
            conversion_factor: Decimal::ONE,
            unit_conversions: BTreeMap::new(),
            visibility: Visibility::Restricted,
            note: None,
            carry_over: None,
            rolling_window: None,
            closed_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        }
    }

    fn stored(record: &LedgerRecord, checked: CheckedInput) -> LedgerInput {
        let id = LedgerInputId::derived(&checked.lot);
        checked.into_input(record, id, OffsetDateTime::UNIX_EPOCH, "tester".to_owned())
    }

    fn input(value: Value) -> NewLedgerInput {
        serde_json::from_value(value).expect("an input")
    }

    fn paths(result: Result<impl std::fmt::Debug, Vec<Violation>>) -> Vec<String> {
        result
            .expect_err("refused")
            .into_iter()
            .map(|violation| violation.path)
            .collect()
    }

    #[test]
    fn inputs_refuse_bad_shares_masses_units_and_dates() {
        let ledger = record(CustodyModel::MassBalanceCredit);
        assert_eq!(
            paths(
                input(json!({"lot": "a", "mass": -1, "unit": "kg", "recycled_share_pct": 101,
                             "received_on": "2026-03-31"}))
                .check(&ledger)
            ),
            ["/mass", "/recycled_share_pct", "/received_on"]
        );
        assert_eq!(
            paths(input(json!({"lot": "a", "mass": 1, "unit": "LTR", "received_on": "2026-04-01"})).check(&ledger)),
            ["/unit", "/recycled_share_pct"]
        );
        assert_eq!(
            paths(
                input(
                    json!({"lot": "a", "mass": 1, "unit": "t", "recycled_share_pct": 50, "pre_consumer_pct": 10,
                             "post_consumer_pct": 30, "received_on": "2026-04-01"})
                )
                .check(&ledger)
            ),
            ["/recycled_share_pct"]
        );
        let checked = input(
            json!({"lot": "urn:epc:class:lgtin:4512345.012345.L1", "mass": "250", "unit": "KGM",
                                   "pre_consumer_pct": 10, "post_consumer_pct": 30, "received_on": "2027-03-31"}),
        )
        .check(&ledger)
        .expect("valid");
        assert_eq!(checked.lot, "https://id.gs1.org/01/04512345123451/10/L1");
        assert_eq!(
            (checked.mass_t, checked.share.recycled_share_pct),
            (decimal("0.25"), decimal("40"))
        );
        let bad = NewLedger {
            facility_id: FacilityId::derived("plant"),
            material: " ".to_owned(),
            model: "mass_balance".to_owned(),
            period: "2026-04-01/2026-03-31".to_owned(),
            conversion_factor: Some(json!(0)),
            unit_conversions: BTreeMap::from([("kg".to_owned(), json!(1)), ("LTR".to_owned(), json!(-1))]),
            visibility: None,
            note: None,
            carry_over: Some(CarryOverRule {
                expires_after_periods: Some(0),
            }),
            rolling_window: Some(RollingWindow {
                periods: 0,
                ledgers: Vec::new(),
            }),
        };
        assert_eq!(
            paths(bad.check()),
            [
                "/material",
                "/model",
                "/period",
                "/conversion_factor",
                "/unit_conversions/LTR",
                "/unit_conversions/kg",
                "/carry_over/expires_after_periods",
                "/rolling_window/periods"
            ]
        );
        // Share-based models take the period's own blend: no credits to carry.
        let averaged = NewLedger {
            material: "pp".to_owned(),
            model: "mass_balance_rolling_average".to_owned(),
            period: "2026-04-01/2027-03-31".to_owned(),
            conversion_factor: None,
            unit_conversions: BTreeMap::new(),
            carry_over: Some(CarryOverRule {
                expires_after_periods: None,
            }),
            rolling_window: None,
            ..bad
        };
        assert_eq!(paths(averaged.check()), ["/carry_over"]);
        // A window names at most periods - 1 earlier ledgers, each once.
        let twice = LedgerId::derived("march");
        let windowed = NewLedger {
            carry_over: None,
            rolling_window: Some(RollingWindow {
                periods: 2,
                ledgers: vec![twice, twice],
            }),
            ..averaged
        };
        assert_eq!(
            paths(windowed.check()),
            ["/rolling_window/ledgers", "/rolling_window/ledgers/1"]
        );
        // Only the rolling-average method averages over a window.
        let credit = NewLedger {
            model: "mass_balance_credit".to_owned(),
            rolling_window: Some(RollingWindow {
                periods: 12,
                ledgers: Vec::new(),
            }),
            ..windowed
        };
        assert_eq!(paths(credit.check()), ["/rolling_window"]);
    }

    #[test]
    fn claims_are_decided_on_the_replayed_ledger() {
        let ledger = record(CustodyModel::MassBalanceCredit);
        let recycled = stored(
            &ledger,
            input(
                json!({"lot": "r", "mass": 10, "unit": "t", "pre_consumer_pct": 25, "post_consumer_pct": 75,
                         "received_on": "2026-05-01"}),
            )
            .check(&ledger)
            .expect("valid"),
        );
        let claim = |lot: &str, mass: &str, backed_by: &[&str]| {
            serde_json::from_value::<NewLedgerClaim>(json!({"output_lot": lot, "mass": mass, "unit": "t",
                "recycled_share_pct": 100, "backed_by": backed_by, "claimed_on": "2026-06-01"}))
            .expect("a claim")
            .check(&ledger)
            .expect("valid")
        };
        let decided = decide_claim(
            &ledger,
            std::slice::from_ref(&recycled),
            &[],
            &[],
            &claim("o1", "8", &[]),
            None,
        )
        .expect("8 of 10 t");
        assert_eq!(
            (decided.pre_consumer_t, decided.post_consumer_t),
            (decimal("2"), decimal("6"))
        );
        let first = LedgerClaim {
            id: LedgerClaimId::derived("o1"),
            ledger_id: ledger.id,
            output_lot: "o1".to_owned(),
            revision: 0,
            mass: decimal("8"),
            unit: "t".to_owned(),
            mass_t: decimal("8"),
            material_fraction: Decimal::ONE,
            material_t: decimal("8"),
            recycled_share_pct: decimal("100"),
            credits_t: decided.credits_t,
            pre_consumer_t: decided.pre_consumer_t,
            post_consumer_t: decided.post_consumer_t,
            unspecified_t: decided.unspecified_t,
            backing: decided.backing,
            claimed_on: "2026-06-01".to_owned(),
            event_id: None,
            reversal: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        };
        let over = decide_claim(
            &ledger,
            std::slice::from_ref(&recycled),
            &[],
            std::slice::from_ref(&first),
            &claim("o2", "3", &[]),
            None,
        )
        .expect_err("2 t left");
        assert!(
            over.conflict
                && over
                    .message
                    .contains("needs 3 t of recycled credits but only 2 t are left"),
            "{over:?}"
        );
        let again = decide_claim(
            &ledger,
            std::slice::from_ref(&recycled),
            &[],
            std::slice::from_ref(&first),
            &claim("o1", "1", &[]),
            None,
        )
        .expect_err("o1 is claimed");
        assert_eq!(again.path, "/output_lot");
        let mut reversed = first.clone();
        reversed.reversal = Some(ClaimReversal {
            reason: "wrong mass".to_owned(),
            reversed_at: OffsetDateTime::UNIX_EPOCH,
            reversed_by: "tester".to_owned(),
        });
        decide_claim(
            &ledger,
            std::slice::from_ref(&recycled),
            &[],
            &[reversed],
            &claim("o1", "10", &["r"]),
            None,
        )
        .expect("a reversal gives the credits back");
        let unknown = MissingShare {
            lot: "v".to_owned(),
            mass: Some(decimal("5")),
            unit: Some("t".to_owned()),
            mass_t: Some(decimal("5")),
            received_on: "2026-05-02".to_owned(),
            event_ids: Vec::new(),
            reason: "no passport".to_owned(),
            resolved: false,
        };
        let average = record(CustodyModel::MassBalanceRollingAverage);
        let blocked = decide_claim(
            &average,
            std::slice::from_ref(&recycled),
            std::slice::from_ref(&unknown),
            &[],
            &claim("o3", "1", &[]),
            None,
        )
        .expect_err("share of the blend unknown");
        assert!(blocked.message.contains("is unknown (v)"), "{blocked:?}");
        decide_claim(
            &ledger,
            std::slice::from_ref(&recycled),
            std::slice::from_ref(&unknown),
            &[],
            &claim("o3", "1", &[]),
            None,
        )
        .expect("credits are known whatever the unknown lots hold");
        let view = LedgerView::new(average, vec![recycled], vec![unknown], Vec::new());
        assert_eq!(view.balance.rolling_average_share_pct, None);
        assert_eq!(view.balance.unknown_share_t, decimal("5"));
    }

    #[test]
    fn passports_give_shares_per_material() {
        let battery = json!({"Circularity": {"recycledContent": [
            {"recycledMaterial": "Cobalt", "preConsumerShare": 6.0, "postConsumerShare": 10.5}]}});
        let (share, pointer) = share_from_passport(&battery, &[], "cobalt").expect("cobalt entry");
        assert_eq!(
            (share.recycled_share_pct, pointer.as_str()),
            (decimal("16.5"), "/Circularity/recycledContent/0")
        );
        assert!(share_from_passport(&battery, &[], "lithium")
            .expect_err("no lithium entry")
            .contains("no entry for lithium"));
        let plastics = json!({"recycledContent": {"preConsumer": 10, "postConsumer": 88, "total": 98}});
        assert_eq!(
            share_from_passport(&plastics, &[], "polypropylene")
                .expect("object")
                .0
                .post_consumer_pct,
            Some(decimal("88"))
        );
        assert!(share_from_passport(&json!({}), &["/recycledContent".to_owned()], "pp")
            .expect_err("hidden")
            .contains("withholds"));
    }

    #[test]
    fn events_give_inputs_missing_shares_and_unit_errors() {
        let ledger = record(CustodyModel::MassBalanceCredit);
        let location = "https://id.gs1.org/414/4512345000016".to_owned();
        let event = |id: &str, identifiers: Vec<EventIdentifier>| CapturedEvent {
            event_id: id.to_owned(),
            event_hash: id.to_owned(),
            event_type: "TransformationEvent".to_owned(),
            event_time: time::macros::datetime!(2026-05-01 01:00 UTC),
            action: None,
            biz_step: None,
            disposition: None,
            read_point: Some(location.clone()),
            biz_location: None,
            identifiers,
            body: json!({}),
            context: json!([]),
        };
        let lot = |role, value: &str, quantity: Option<&str>, uom: Option<&str>| EventIdentifier {
            role,
            value: value.to_owned(),
            quantity: quantity.map(str::to_owned),
            uom: uom.map(str::to_owned),
        };
        let events = vec![
            event(
                "e1",
                vec![
                    lot(IdentifierRole::InputQuantity, "r", Some("40"), Some("KGM")),
                    lot(IdentifierRole::InputQuantity, "v", Some("160"), Some("KGM")),
                    lot(IdentifierRole::OutputQuantity, "o", Some("200"), Some("KGM")),
                ],
            ),
            event(
                "e2",
                vec![lot(IdentifierRole::InputQuantity, "r", Some("0.01"), Some("TNE"))],
            ),
        ];
        assert_eq!(
            input_lots(&ledger, std::slice::from_ref(&location), &events),
            ["r", "v"]
        );
        let shares = HashMap::from([(
            "r".to_owned(),
            ShareLookup::Found(
                Share {
                    recycled_share_pct: PERCENT,
                    pre_consumer_pct: Some(Decimal::ZERO),
                    post_consumer_pct: Some(PERCENT),
                },
                ShareSource::Declared,
            ),
        )]);
        let no_fractions = HashMap::new();
        let declared = BTreeMap::new();
        let plan = plan_import(
            &ledger,
            std::slice::from_ref(&location),
            &events,
            &shares,
            &no_fractions,
            &declared,
        )
        .expect("all in kg or t");
        assert_eq!(plan.inputs.len(), 1);
        assert_eq!(
            (plan.inputs[0].mass_t, plan.inputs[0].mass),
            (decimal("0.05"), decimal("50"))
        );
        assert_eq!(plan.inputs[0].event_ids, ["e1", "e2"]);
        assert_eq!(plan.missing[0].lot, "v");
        assert_eq!(plan.missing[0].mass_t, Some(decimal("0.16")));
        assert_eq!(plan.outputs[0].lot, "o");
        let litres = vec![event(
            "e3",
            vec![lot(IdentifierRole::InputQuantity, "oil", Some("5"), Some("LTR"))],
        )];
        let refused = plan_import(
            &ledger,
            std::slice::from_ref(&location),
            &litres,
            &shares,
            &no_fractions,
            &declared,
        )
        .expect_err("no conversion");
        assert!(
            refused[0].message.contains("mixed units without a conversion"),
            "{refused:?}"
        );
        let elsewhere = plan_import(
            &ledger,
            &["https://id.gs1.org/414/0000000000000".to_owned()],
            &litres,
            &shares,
            &no_fractions,
            &declared,
        )
        .expect("events elsewhere are not read");
        assert!(elsewhere.events.is_empty());
    }

    fn stored_claim(ledger: &LedgerRecord, checked: CheckedClaim, decided: DecidedClaim) -> LedgerClaim {
        LedgerClaim {
            id: LedgerClaimId::derived(&checked.output_lot),
            ledger_id: ledger.id,
            output_lot: checked.output_lot,
            revision: 0,
            mass: checked.mass,
            unit: checked.unit,
            mass_t: checked.mass_t,
            material_fraction: checked.material_fraction,
            material_t: checked.material_t,
            recycled_share_pct: checked.recycled_share_pct,
            credits_t: decided.credits_t,
            pre_consumer_t: decided.pre_consumer_t,
            post_consumer_t: decided.post_consumer_t,
            unspecified_t: decided.unspecified_t,
            backing: decided.backing,
            claimed_on: checked.claimed_on,
            event_id: None,
            reversal: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        }
    }

    #[test]
    fn a_lot_counts_with_its_materials_part_and_each_material_keeps_its_own_credits() {
        let cobalt = record(CustodyModel::MassBalanceCredit);
        let mut nickel = record(CustodyModel::MassBalanceCredit);
        nickel.id = LedgerId::derived("nickel");
        nickel.material = "nickel".to_owned();
        // 310 kg of black mass: 14 % cobalt, 20 % nickel, all post-consumer.
        let black_mass = |ledger: &LedgerRecord, fraction: &str| {
            stored(
                ledger,
                input(
                    json!({"lot": "bm", "mass": 310, "unit": "kg", "material_fraction": fraction,
                             "pre_consumer_pct": 0, "post_consumer_pct": 100, "received_on": "2026-05-01"}),
                )
                .check(ledger)
                .expect("valid"),
            )
        };
        let cobalt_input = black_mass(&cobalt, "0.14");
        let nickel_input = black_mass(&nickel, "0.2");
        assert_eq!(
            (
                cobalt_input.material_t,
                cobalt_input.credits_t,
                cobalt_input.fraction_source.clone()
            ),
            (decimal("0.0434"), decimal("0.0434"), FractionSource::Declared)
        );
        assert_eq!(nickel_input.credits_t, decimal("0.062"));
        let claim = |ledger: &LedgerRecord, lot: &str, mass: &str, fraction: &str| {
            serde_json::from_value::<NewLedgerClaim>(json!({"output_lot": lot, "mass": mass, "unit": "t",
                "material_fraction": fraction, "recycled_share_pct": 100, "claimed_on": "2026-06-01"}))
            .expect("a claim")
            .check(ledger)
            .expect("valid")
        };
        // 80 kg of cathode material, half of it cobalt: 40 kg of recycled cobalt of 43.4 kg.
        let first = claim(&cobalt, "cam", "0.08", "0.5");
        assert_eq!(first.material_t, decimal("0.04"));
        let decided = decide_claim(&cobalt, std::slice::from_ref(&cobalt_input), &[], &[], &first, None).expect("fits");
        assert_eq!(
            (decided.credits_t, decided.post_consumer_t),
            (decimal("0.04"), decimal("0.04"))
        );
        let made = stored_claim(&cobalt, first, decided);
        assert_eq!(
            made.share().post_consumer_pct,
            Some(decimal("100")),
            "a share of the cobalt"
        );
        // 3.4 kg of cobalt credits are left; the nickel credits cannot back a cobalt claim.
        let refused = decide_claim(
            &cobalt,
            std::slice::from_ref(&cobalt_input),
            &[],
            std::slice::from_ref(&made),
            &claim(&cobalt, "cam-2", "0.01", "0.5"),
            None,
        )
        .expect_err("5 kg of cobalt needed");
        assert!(
            refused.conflict
                && refused
                    .message
                    .contains("needs 0.005 t of recycled credits but only 0.0034 t are left"),
            "{refused:?}"
        );
        let nickel_claim = decide_claim(
            &nickel,
            std::slice::from_ref(&nickel_input),
            &[],
            &[],
            &claim(&nickel, "cam", "0.124", "0.5"),
            None,
        )
        .expect("the nickel's own credits");
        assert_eq!(nickel_claim.credits_t, decimal("0.062"));

        // The rolling average is over the material, not over the lots' mass.
        let average = record(CustodyModel::MassBalanceRollingAverage);
        let inputs = [("rich", "0.1", 100), ("poor", "0.9", 0)].map(|(lot, fraction, share)| {
            stored(
                &average,
                input(
                    json!({"lot": lot, "mass": 1, "unit": "t", "material_fraction": fraction,
                             "recycled_share_pct": share, "received_on": "2026-05-01"}),
                )
                .check(&average)
                .expect("valid"),
            )
        });
        let view = LedgerView::new(average.clone(), inputs.to_vec(), Vec::new(), Vec::new());
        assert_eq!(
            (
                view.balance.input_t,
                view.balance.lot_input_t,
                view.balance.rolling_average_share_pct
            ),
            (Decimal::ONE, decimal("2"), Some(decimal("10")))
        );
        let above = decide_claim(&average, &inputs, &[], &[], &claim(&average, "o", "1", "1"), None);
        assert!(above.expect_err("above 10 %").message.contains("at most 10 %"));
    }

    #[test]
    fn fractions_are_read_from_passport_compositions() {
        let battery = json!({
            "GeneralProductInformation": {"batteryMass": 480},
            "MaterialComposition": {"batteryMaterials": [
                {"batteryMaterialIdentifier": "7440-48-4", "batteryMaterialName": "Cobalt metal", "batteryMaterialMass": 9.6},
                {"batteryMaterialIdentifier": "x", "batteryMaterialName": "Co", "batteryMaterialMass": 2.4},
                {"batteryMaterialIdentifier": "7782-42-5", "batteryMaterialName": "Graphite", "batteryMaterialMass": 74}]}});
        let (fraction, pointer) = fraction_from_passport(&battery, &[], "cobalt")
            .expect("stated")
            .expect("cobalt entries");
        assert_eq!(fraction, decimal("0.025"));
        assert!(pointer.contains("/batteryMaterials/0/batteryMaterialMass"), "{pointer}");
        assert!(pointer.contains("/batteryMaterials/1/batteryMaterialMass"), "{pointer}");
        assert!(fraction_from_passport(&battery, &[], "lithium")
            .expect_err("a battery is not lithium")
            .contains("names no entry for lithium"));
        let hidden = json!({"GeneralProductInformation": {"batteryMass": 480}});
        assert!(
            fraction_from_passport(&hidden, &["/MaterialComposition".to_owned()], "cobalt")
                .expect_err("withheld")
                .contains("withholds")
        );
        let steel = json!({"metal": "carbon_steel",
            "chemicalComposition": [{"element": "C", "massPercent": 0.24}, {"element": "Ni", "massPercent": 0.08}]});
        assert_eq!(
            fraction_from_passport(&steel, &[], "nickel").expect("stated"),
            Some((decimal("0.0008"), "/chemicalComposition/1/massPercent".to_owned()))
        );
        assert_eq!(fraction_from_passport(&steel, &[], "steel"), Ok(None), "the base metal");
        assert!(
            fraction_from_passport(&json!({}), &["/chemicalComposition".to_owned()], "nickel")
                .expect_err("withheld, so not known")
                .contains("withholds")
        );
        assert!(fraction_from_passport(&steel, &[], "cobalt")
            .expect_err("steel is not cobalt")
            .contains("names no entry for cobalt"));
        assert_eq!(
            fraction_from_passport(&json!({"recycledContent": 50}), &[], "polypropylene"),
            Ok(None)
        );
    }

    /// A battery's share from per-metal recycled content. Hand computation for a 480 kg battery
    /// with 12 kg of cobalt (16 % pre-, 0 % post-consumer recycled) and 6 kg of lithium (0 % pre-,
    /// 6 % post-consumer) in its composition: recycled mass = 12 × 0.16 + 6 × 0.06 = 1.92 + 0.36
    /// = 2.28 kg, 2.28 / 480 = 0.475 % of the battery; pre-consumer 1.92 / 480 = 0.4 %,
    /// post-consumer 0.36 / 480 = 0.075 %. A metal whose mass the composition does not give makes
    /// the share unknown, never 0.
    #[test]
    fn a_batterys_share_is_its_metals_recycled_mass_over_its_mass() {
        let battery = json!({
            "GeneralProductInformation": {"batteryMass": 480},
            "MaterialComposition": {"batteryMaterials": [
                {"batteryMaterialIdentifier": "7440-48-4", "batteryMaterialName": "Cobalt", "batteryMaterialMass": 12},
                {"batteryMaterialIdentifier": "7439-93-2", "batteryMaterialName": "Lithium", "batteryMaterialMass": 6},
                {"batteryMaterialIdentifier": "7782-42-5", "batteryMaterialName": "Graphite", "batteryMaterialMass": 74}]},
            "Circularity": {"recycledContent": [
                {"recycledMaterial": "Cobalt", "preConsumerShare": 16, "postConsumerShare": 0},
                {"recycledMaterial": "Lithium", "preConsumerShare": 0, "postConsumerShare": 6}]}});
        let (share, pointer) = lot_share_from_passport(&battery, &[]).expect("computable");
        assert_eq!(
            share,
            Share {
                recycled_share_pct: decimal("0.475"),
                pre_consumer_pct: Some(decimal("0.4")),
                post_consumer_pct: Some(decimal("0.075")),
            }
        );
        assert!(pointer.contains("/Circularity/recycledContent/1 × (/MaterialComposition/batteryMaterials/1/batteryMaterialMass, /GeneralProductInformation/batteryMass)"), "{pointer}");
        let mut nickel = battery.clone();
        nickel["Circularity"]["recycledContent"]
            .as_array_mut()
            .expect("array")
            .push(json!({"recycledMaterial": "Nickel", "preConsumerShare": 0, "postConsumerShare": 5}));
        let reason = lot_share_from_passport(&nickel, &[]).expect_err("nickel's mass is not stated");
        assert!(
            reason.contains("the mass of nickel in the battery is not known"),
            "{reason}"
        );
        let hidden = lot_share_from_passport(&json!({}), &["/Circularity".to_owned()]).expect_err("withheld");
        assert!(hidden.contains("withholds /Circularity/recycledContent"), "{hidden}");
    }

    #[test]
    fn imports_take_declared_claimed_or_passport_fractions() {
        let ledger = record(CustodyModel::MassBalanceCredit);
        let location = "https://id.gs1.org/414/4512345000016".to_owned();
        let quantity = |value: &str, kilograms: &str| EventIdentifier {
            role: IdentifierRole::InputQuantity,
            value: value.to_owned(),
            quantity: Some(kilograms.to_owned()),
            uom: Some("KGM".to_owned()),
        };
        let events = vec![CapturedEvent {
            event_id: "e1".to_owned(),
            event_hash: "e1".to_owned(),
            event_type: "TransformationEvent".to_owned(),
            event_time: time::macros::datetime!(2026-05-01 01:00 UTC),
            action: None,
            biz_step: None,
            disposition: None,
            read_point: Some(location.clone()),
            biz_location: None,
            identifiers: vec![quantity("bm", "310"), quantity("pack", "480"), quantity("salt", "100")],
            body: json!({}),
            context: json!([]),
        }];
        let share = ShareLookup::Found(
            Share {
                recycled_share_pct: PERCENT,
                pre_consumer_pct: None,
                post_consumer_pct: None,
            },
            ShareSource::Declared,
        );
        let shares = HashMap::from([
            ("bm".to_owned(), share.clone()),
            ("pack".to_owned(), share.clone()),
            ("salt".to_owned(), share),
        ]);
        let fractions = HashMap::from([
            (
                "bm".to_owned(),
                Ok(MaterialFraction {
                    fraction: decimal("0.5"),
                    source: FractionSource::WholeLot,
                }),
            ),
            ("pack".to_owned(), Err("the passport names no cobalt".to_owned())),
        ]);
        let declared = ImportLedgerInputs {
            material_fractions: BTreeMap::from([("bm".to_owned(), json!("0.14"))]),
        }
        .check()
        .expect("valid");
        let plan = plan_import(
            &ledger,
            std::slice::from_ref(&location),
            &events,
            &shares,
            &fractions,
            &declared,
        )
        .expect("planned");
        let entered: Vec<(&str, Decimal, &FractionSource)> = plan
            .inputs
            .iter()
            .map(|input| (input.lot.as_str(), input.fraction.fraction, &input.fraction.source))
            .collect();
        assert_eq!(
            entered,
            [
                ("bm", decimal("0.14"), &FractionSource::Declared),
                ("salt", Decimal::ONE, &FractionSource::WholeLot)
            ],
            "the declared conversion wins; a lot nothing describes is the material"
        );
        assert_eq!(plan.missing.len(), 1);
        assert!(
            plan.missing[0]
                .reason
                .contains("the cobalt in the lot is not known: the passport names no cobalt"),
            "{:?}",
            plan.missing[0]
        );
        let stranger = ImportLedgerInputs {
            material_fractions: BTreeMap::from([("other".to_owned(), json!(0.5))]),
        }
        .check()
        .expect("valid alone");
        assert_eq!(
            paths(plan_import(
                &ledger,
                std::slice::from_ref(&location),
                &events,
                &shares,
                &fractions,
                &stranger
            )),
            ["/material_fractions/other"]
        );
        assert_eq!(
            paths(
                ImportLedgerInputs {
                    material_fractions: BTreeMap::from([("a".to_owned(), json!(0)), ("b/c".to_owned(), json!("1.5"))]),
                }
                .check()
            ),
            ["/material_fractions/a", "/material_fractions/b~1c"]
        );
    }

    #[test]
    fn unused_credits_carry_over_by_period_of_origin_and_expire() {
        let mut first = record(CustodyModel::MassBalanceCredit);
        first.carry_over = Some(CarryOverRule {
            expires_after_periods: Some(2),
        });
        first.conversion_factor = decimal("0.5");
        let own = stored(
            &first,
            input(
                json!({"lot": "r", "mass": 10, "unit": "t", "pre_consumer_pct": 25, "post_consumer_pct": 75,
                         "received_on": "2026-05-01"}),
            )
            .check(&first)
            .expect("valid"),
        );
        let mut next = record(CustodyModel::MassBalanceCredit);
        next.id = LedgerId::derived("next");
        next.period_from = "2027-04-01".to_owned();
        next.period_to = "2028-03-31".to_owned();
        let open = LedgerView::new(first.clone(), vec![own.clone()], Vec::new(), Vec::new());
        let refused = plan_carry_over(&open, &next).expect_err("still open");
        assert!(
            refused.conflict && refused.message.contains("is still open"),
            "{refused:?}"
        );
        first.closed_at = Some(OffsetDateTime::UNIX_EPOCH);
        let closed = LedgerView::new(first.clone(), vec![own], Vec::new(), Vec::new());
        let mut late = next.clone();
        late.period_from = "2027-04-02".to_owned();
        assert!(plan_carry_over(&closed, &late)
            .expect_err("a day is missing")
            .message
            .contains("starts the next day"));
        let plan = plan_carry_over(&closed, &next).expect("carried");
        // 10 t × 100 % × 0.5 = 5 t of credits, carried as they are (not converted again).
        let entry = plan.entries[0].clone();
        assert_eq!(
            (
                entry.mass_t,
                entry.share.pre_consumer_pct,
                entry.share.post_consumer_pct
            ),
            (decimal("5"), Some(decimal("25")), Some(decimal("75")))
        );
        let carried = entry.into_input(
            &next,
            LedgerInputId::derived("c"),
            OffsetDateTime::UNIX_EPOCH,
            "t".to_owned(),
        );
        assert_eq!(carried.credits_t, decimal("5"));
        // In the next period: drawn like any input, outside its input mass; 2 t claimed.
        let claim = serde_json::from_value::<NewLedgerClaim>(json!({"output_lot": "o", "mass": 2, "unit": "t",
            "recycled_share_pct": 100, "claimed_on": "2027-05-01"}))
        .expect("a claim")
        .check(&next)
        .expect("valid");
        let decided = decide_claim(&next, std::slice::from_ref(&carried), &[], &[], &claim, None).expect("2 of 5 t");
        assert_eq!(decided.pre_consumer_t, decimal("0.5"));
        let made = stored_claim(&next, claim, decided);
        next.closed_at = Some(OffsetDateTime::UNIX_EPOCH);
        next.carry_over = first.carry_over;
        let second = LedgerView::new(next.clone(), vec![carried], Vec::new(), vec![made]);
        assert_eq!(
            (
                second.balance.input_t,
                second.balance.carried_in_t,
                second.balance.remaining_t
            ),
            (Decimal::ZERO, decimal("5"), decimal("3"))
        );
        // Carried again, the credits are two periods old: still within the expiry of 2 ...
        let mut third = record(CustodyModel::MassBalanceCredit);
        third.id = LedgerId::derived("third");
        third.period_from = "2028-04-01".to_owned();
        third.period_to = "2029-03-31".to_owned();
        let plan = plan_carry_over(&second, &third).expect("carried");
        assert!(plan.lapsed.is_empty());
        assert!(matches!(
            plan.entries[0].source,
            ShareSource::CarriedOver { age: 2, origin_ledger_id, .. } if origin_ledger_id == first.id
        ));
        // ... and lapse at a third carry.
        let mut strict = second.clone();
        strict.ledger.carry_over = Some(CarryOverRule {
            expires_after_periods: Some(1),
        });
        let plan = plan_carry_over(&strict, &third).expect("planned");
        assert!(plan.entries.is_empty());
        assert_eq!((plan.lapsed[0].age, plan.lapsed[0].credits_t), (2, decimal("3")));
    }
}
