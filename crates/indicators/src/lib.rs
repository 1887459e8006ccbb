//! Circularity indicators (循環性指標) and recycled-content accounting as pure functions.
//!
//! Every indicator takes one input object (field names as in `testdata/indicators/cases.json`),
//! checks it completely (every problem at once, each with its JSON pointer), and returns a
//! [`Computation`]: the values under the names of that file's `expected` objects, and the
//! provenance of each ratio (numerator, denominator, formula, methodology version, what was not
//! computable and why). A value that cannot be computed (a missing input, a zero denominator) is
//! `null` with a reason in [`Provenance::not_computable`], never 0 or NaN.
//!
//! Arithmetic is exact (`rust_decimal`); values are rounded only when they are presented: shares
//! and ratios to [`SHARE_DECIMAL_PLACES`] (6) decimal places, half to even ([`presented_share`]),
//! other values to 10 decimal places when they become JSON numbers ([`number`]). Numerators and
//! denominators are presented exact.
//!
//! No IO, no async: the store gathers inputs from events, passports and material-flow records;
//! this crate decides what they mean.

pub mod battery;
pub mod cases;
pub mod cti;
pub mod custody;
pub mod flows;
pub mod input;
pub mod ledger;
pub mod mass_balance;
pub mod mci;
pub mod organization;
pub mod product;
pub mod records;
pub mod regional;
pub mod rolling_window;
pub mod targets;

use std::collections::BTreeMap;

use junkan_model::validation::{Violation, Violations};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

/// An indicator junkan computes: its stable name (used in URLs and on the command line), titles
/// in Japanese and English, and its methodology version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndicatorInfo {
    /// The stable name (`mci`, `jp-material-flow`, ...).
    pub name: &'static str,
    /// 日本語の名称.
    pub title_ja: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The level the indicator is meant for: product, organization, region or nation.
    pub level: &'static str,
    /// Methodology and version applied (recorded with every result).
    pub methodology: &'static str,
}

/// Every indicator, in documentation order.
pub const INDICATORS: &[IndicatorInfo] = &[
    mci::INFO,
    mci::COMPANY_INFO,
    product::RECYCLED_CONTENT_INFO,
    product::RECYCLABILITY_INFO,
    cti::INFO,
    flows::JP_MATERIAL_FLOW_INFO,
    flows::MUNICIPAL_RECYCLING_RATE_INFO,
    flows::CMU_INFO,
    battery::INFO,
    mass_balance::INFO,
];

/// The indicator named `name`.
pub fn indicator(name: &str) -> Option<&'static IndicatorInfo> {
    INDICATORS.iter().find(|info| info.name == name)
}

/// Why a computation was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ComputeError {
    /// No indicator has this name.
    UnknownIndicator(String),
    /// The inputs are invalid (every problem, each with its JSON pointer), or a claim is refused.
    Invalid(Vec<Violation>),
}

impl std::fmt::Display for ComputeError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ComputeError::UnknownIndicator(name) => write!(
                formatter,
                "no indicator is named {name:?} (known: {})",
                INDICATORS.iter().map(|info| info.name).collect::<Vec<_>>().join(", ")
            ),
            ComputeError::Invalid(violations) => {
                let parts: Vec<String> = violations
                    .iter()
                    .map(|violation| format!("{}: {}", violation.path, violation.message))
                    .collect();
                write!(formatter, "invalid inputs: {}", parts.join("; "))
            }
        }
    }
}

impl std::error::Error for ComputeError {}

/// Computes the indicator `name` from `input`.
pub fn compute(name: &str, input: &Value) -> Result<Computation, ComputeError> {
    let info = indicator(name).ok_or_else(|| ComputeError::UnknownIndicator(name.to_owned()))?;
    let mut violations = Violations::new();
    let computed = match info.name {
        "mci" => mci::compute(input, &mut violations),
        "company-mci" => mci::compute_company(input, &mut violations),
        "recycled-content" => product::compute_recycled_content(input, &mut violations),
        "recyclability" => product::compute_recyclability(input, &mut violations),
        "cti" => cti::compute(input, &mut violations),
        "jp-material-flow" => flows::compute_jp_material_flow(input, &mut violations),
        "municipal-recycling-rate" => flows::compute_municipal_recycling_rate(input, &mut violations),
        "cmu" => flows::compute_cmu(input, &mut violations),
        "battery-recycled-content" => battery::compute(input, &mut violations),
        "mass-balance" => mass_balance::compute(input, &mut violations),
        other => unreachable!("indicator {other} is listed but not dispatched"),
    };
    match (computed, violations.into_result()) {
        (Some(result), Ok(())) => Ok(Computation {
            indicator: info.name,
            methodology: result.methodology.unwrap_or(info.methodology),
            result: result.values,
            provenance: Provenance {
                formula: result.formula,
                ratios: result.ratios,
                inputs: input.clone(),
                not_computable: result.not_computable,
                notes: result.notes,
                source: result.source,
            },
        }),
        (_, Err(violations)) => Err(ComputeError::Invalid(violations)),
        (None, Ok(())) => unreachable!("an indicator returned nothing without saying why"),
    }
}

/// The result of one indicator computation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Computation {
    /// The indicator's name.
    pub indicator: &'static str,
    /// The methodology and version applied.
    pub methodology: &'static str,
    /// The values, under the names of the `expected` objects of `cases.json` (null when not
    /// computable).
    pub result: Map<String, Value>,
    /// How the values were computed.
    pub provenance: Provenance,
}

/// How a computation's values came about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The formula, in the notation of the source.
    pub formula: &'static str,
    /// For each ratio in the result: its numerator and denominator.
    pub ratios: BTreeMap<String, Ratio>,
    /// The inputs as given.
    pub inputs: Value,
    /// The values that could not be computed, each with the reason.
    pub not_computable: Vec<NotComputable>,
    /// Remarks on the computation (clamping, defaults applied).
    pub notes: Vec<String>,
    /// Where the method is published.
    pub source: &'static str,
}

/// The numerator and denominator of a ratio, as exact decimals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// The numerator, with what it sums (exact).
    #[serde(serialize_with = "exact_decimal")]
    pub numerator: Decimal,
    /// The denominator, with what it sums (exact).
    #[serde(serialize_with = "exact_decimal")]
    pub denominator: Decimal,
    /// What the numerator and denominator are, in words.
    pub meaning: &'static str,
}

/// A value left out of the result, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotComputable {
    /// The result's name for the value.
    pub output: String,
    /// Why it could not be computed.
    pub reason: String,
}

/// What an indicator module hands back: values, ratios and remarks.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    values: Map<String, Value>,
    ratios: BTreeMap<String, Ratio>,
    not_computable: Vec<NotComputable>,
    notes: Vec<String>,
    formula: &'static str,
    source: &'static str,
    methodology: Option<&'static str>,
}

impl Outcome {
    pub(crate) fn new(formula: &'static str, source: &'static str) -> Outcome {
        Outcome {
            formula,
            source,
            ..Outcome::default()
        }
    }

    /// Sets a decimal value.
    pub(crate) fn set(&mut self, name: &str, value: Decimal) {
        self.values.insert(name.to_owned(), number(value));
    }

    /// Sets a share or ratio, presented by [`presented_share`].
    pub(crate) fn set_share(&mut self, name: &str, value: Decimal) {
        self.values.insert(name.to_owned(), share_number(value));
    }

    /// Sets any JSON value.
    pub(crate) fn set_value(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_owned(), value);
    }

    /// Marks `name` as not computable (null) because of `reason`.
    pub(crate) fn missing(&mut self, name: &str, reason: impl Into<String>) {
        self.values.insert(name.to_owned(), Value::Null);
        self.not_computable.push(NotComputable {
            output: name.to_owned(),
            reason: reason.into(),
        });
    }

    /// Sets `name` to `numerator / denominator × scale` and records the ratio; not computable
    /// when the denominator is 0.
    pub(crate) fn ratio(
        &mut self,
        name: &str,
        numerator: Decimal,
        denominator: Decimal,
        scale: Decimal,
        meaning: &'static str,
    ) -> Option<Decimal> {
        self.ratios.insert(
            name.to_owned(),
            Ratio {
                numerator,
                denominator,
                meaning,
            },
        );
        if denominator.is_zero() {
            self.missing(name, format!("the denominator ({meaning}) is 0"));
            return None;
        }
        let value = numerator / denominator * scale;
        self.values.insert(name.to_owned(), share_number(value));
        Some(value)
    }

    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub(crate) fn methodology(&mut self, methodology: &'static str) {
        self.methodology = Some(methodology);
    }
}

/// Decimal places of shares and ratios (percentages, fractions 0–1, MCI) in every output: the API,
/// the command line and the demo. Values are computed and kept exact; only their presentation
/// is rounded, half to even (banker's rounding), with trailing zeros dropped.
pub const SHARE_DECIMAL_PLACES: u32 = 6;

/// A share or ratio as presented: rounded to [`SHARE_DECIMAL_PLACES`], half to even.
pub fn presented_share(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(
            SHARE_DECIMAL_PLACES,
            rust_decimal::RoundingStrategy::MidpointNearestEven,
        )
        .normalize()
}

/// A share or ratio as a JSON number, rounded by [`presented_share`].
pub fn share_number(value: Decimal) -> Value {
    let rounded = presented_share(value);
    rounded
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(rounded.to_string()))
}

/// Serialises a share or ratio as a decimal string rounded by [`presented_share`] (for
/// `#[serde(serialize_with)]`).
pub fn share_text<S: serde::Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&presented_share(*value).to_string())
}

/// Serialises an optional share or ratio like [`share_text`], `null` when absent.
pub fn optional_share_text<S: serde::Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => share_text(value, serializer),
        None => serializer.serialize_none(),
    }
}

/// Serialises an exact decimal (a mass, a numerator) as its decimal string without trailing
/// zeros.
fn exact_decimal<S: serde::Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.normalize().to_string())
}

/// A decimal as a JSON number, rounded to 10 decimal places.
pub fn number(value: Decimal) -> Value {
    let rounded = value.round_dp(10).normalize();
    rounded
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(rounded.to_string()))
}

/// 100, for percentages.
pub(crate) const PERCENT: Decimal = Decimal::ONE_HUNDRED;
