//! The indicators that take flow data, computed from stored material-flow records (物質フロー) for
//! a region or nation and each fiscal year of a period, and the time series of stored indicator
//! values; both with the gap to every target of the scope.
//!
//! The store hands over the records the caller may read; this module decides which record feeds
//! which input, builds the input object [`crate::compute`] takes (the very function of `POST
//! /api/v1/indicators/{name}`), and says for every value where it came from: the records used
//! (with their links), the inputs missing (named, with the reason, never 0), the numerators and
//! denominators, and the methodology.

use std::collections::{BTreeMap, BTreeSet};

use junkan_model::ids::{IndicatorTargetId, IndicatorValueId, MaterialFlowId, OrganizationId};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::input::{decimal_of, tonnes_per};
use crate::records::{
    flow_kinds_of, outputs_of, FiscalYears, FlowKind, IndicatorTarget, IndicatorValue, MaterialFlow, Quantity, Scope,
    ScopeKind, INDICATOR_TARGETS_PATH, INDICATOR_VALUES_PATH, MATERIAL_FLOWS_PATH,
};
use crate::targets::Direction;
use crate::{ComputeError, IndicatorInfo, NotComputable, Ratio};

/// The scope kinds `indicator` is computed for from stored data: region and nation for the
/// indicators that take flow data (from material-flow records, here), facility for
/// `mass-balance` and product for `battery-recycled-content` (from the stored chain-of-custody
/// ledgers, `crate::custody`), none for the others.
pub fn supported_scopes(indicator: &str) -> &'static [ScopeKind] {
    match indicator {
        "mass-balance" => &[ScopeKind::Facility],
        "battery-recycled-content" => &[ScopeKind::Product],
        "cti" | "company-mci" => &[ScopeKind::Organization],
        _ if flow_kinds_of(indicator).is_empty() => &[],
        _ => &[ScopeKind::Region, ScopeKind::Nation],
    }
}

/// A record that fed an input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordUse {
    /// The input it fed (the record's kind).
    pub input: &'static str,
    /// The record version used.
    pub record_id: MaterialFlowId,
    /// Where to read it.
    pub href: String,
    /// Its amount, as recorded.
    pub amount: Decimal,
    /// Its unit, as recorded.
    pub unit: String,
    /// Who entered it.
    pub owner_organization_id: OrganizationId,
    /// Where the figure is published (出典).
    pub source: String,
    /// A link to the publication.
    pub source_url: Option<String>,
    /// The record's version.
    pub version: i64,
}

/// An input with no record to feed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingInput {
    /// The input (a kind of material-flow record).
    pub input: &'static str,
    /// 日本語の名称.
    pub title_ja: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Why it is missing.
    pub reason: String,
    /// Links to the records that could not be told apart, when several organizations recorded
    /// the flow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
}

/// The gap of a value to one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetGap {
    /// The output.
    pub output: String,
    /// The target version.
    pub target_id: IndicatorTargetId,
    /// Where to read it.
    pub href: String,
    /// The fiscal year the target is for.
    pub target_fiscal_year: i32,
    /// The target value.
    pub target_value: Decimal,
    /// Its unit.
    pub unit: String,
    /// Which way the output improves.
    pub direction: Direction,
    /// The value compared, when computable.
    pub value: Option<Decimal>,
    /// value − target, when the value is computable.
    pub difference: Option<Decimal>,
    /// Whether the value meets the target, when computable.
    pub met: Option<bool>,
    /// Why there is no gap, when the value is not computable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One fiscal year of a computation from records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodResult {
    /// The fiscal year (年度).
    pub fiscal_year: i32,
    /// The values by output name; null when not computable (see `not_computable`).
    pub result: Map<String, Value>,
    /// For each ratio: its numerator and denominator, exact.
    pub ratios: BTreeMap<String, Ratio>,
    /// The formula, when the indicator was computed.
    pub formula: Option<&'static str>,
    /// The input object given to the indicator (as `POST /api/v1/indicators/{name}` takes it).
    pub inputs: Value,
    /// The records behind the inputs.
    pub records: Vec<RecordUse>,
    /// The inputs without a record.
    pub missing: Vec<MissingInput>,
    /// The values that could not be computed, each with the reason.
    pub not_computable: Vec<NotComputable>,
    /// Remarks (unit conversions, the balance between flows).
    pub notes: Vec<String>,
    /// The gap of each value to each target of the scope.
    pub gaps: Vec<TargetGap>,
}

/// An indicator computed from records for a scope, per fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeComputation {
    /// The indicator.
    pub indicator: &'static str,
    /// 日本語の名称.
    pub title_ja: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The methodology and version applied.
    pub methodology: &'static str,
    /// The scope (`nation:JP`).
    pub scope: String,
    /// The scope's name (日本, 東京都, ...).
    pub scope_name_ja: Option<&'static str>,
    /// The fiscal years asked for.
    pub period: FiscalYears,
    /// One entry per fiscal year, in order.
    pub periods: Vec<PeriodResult>,
    /// The targets of the scope the gaps are measured to.
    pub targets: Vec<IndicatorTarget>,
}

/// Computes `info` for `scope` and every fiscal year of `period` from `records` (the current
/// records of the scope's region that the caller may read; others are ignored), with the gap
/// to each of `targets` that is for this indicator and scope.
pub fn compute_from_records(
    info: &IndicatorInfo,
    scope: &Scope,
    period: FiscalYears,
    records: &[MaterialFlow],
    targets: &[IndicatorTarget],
) -> ScopeComputation {
    let targets = targets_of(info.name, scope, targets);
    let kinds = flow_kinds_of(info.name);
    let periods = period
        .years()
        .map(|year| {
            let mut period = compute_year(info, scope, year, &kinds, records);
            period.gaps = gaps(&period.result, &targets, Some(&period.not_computable));
            period
        })
        .collect();
    ScopeComputation {
        indicator: info.name,
        title_ja: info.title_ja,
        title_en: info.title_en,
        methodology: info.methodology,
        scope: scope.to_string(),
        scope_name_ja: scope.name_ja(),
        period,
        periods,
        targets,
    }
}

/// The current targets among `targets` for `indicator` and `scope`, by output and year.
fn targets_of(indicator: &str, scope: &Scope, targets: &[IndicatorTarget]) -> Vec<IndicatorTarget> {
    let scope = scope.to_string();
    let mut chosen: Vec<IndicatorTarget> = targets
        .iter()
        .filter(|target| target.indicator == indicator && target.scope == scope && target.superseded_by.is_none())
        .cloned()
        .collect();
    chosen.sort_by(|a, b| (&a.output, a.target_fiscal_year, a.id).cmp(&(&b.output, b.target_fiscal_year, b.id)));
    chosen
}

fn compute_year(
    info: &IndicatorInfo,
    scope: &Scope,
    year: i32,
    kinds: &[&'static FlowKind],
    records: &[MaterialFlow],
) -> PeriodResult {
    let region = scope.region().unwrap_or_default();
    let mut chosen: Vec<(&'static FlowKind, &MaterialFlow)> = Vec::new();
    let mut missing = Vec::new();
    for kind in kinds {
        let found: Vec<&MaterialFlow> = records
            .iter()
            .filter(|record| {
                record.fiscal_year == year
                    && record.kind == kind.name
                    && record.region == region
                    && record.superseded_by.is_none()
            })
            .collect();
        match found.as_slice() {
            [] => missing.push(MissingInput {
                input: kind.name,
                title_ja: kind.title_ja,
                title_en: kind.title_en,
                reason: format!(
                    "no {} record ({}, {}) for {scope} in fiscal year {year} that you may read",
                    kind.name, kind.title_en, kind.title_ja
                ),
                candidates: Vec::new(),
            }),
            [record] => chosen.push((kind, record)),
            several => missing.push(MissingInput {
                input: kind.name,
                title_ja: kind.title_ja,
                title_en: kind.title_en,
                reason: format!(
                    "{} organizations recorded {} for {scope} in fiscal year {year}; choose one with ?owner=<organization id>",
                    several.len(),
                    kind.name
                ),
                candidates: several.iter().map(|record| href(MATERIAL_FLOWS_PATH, record.id)).collect(),
            }),
        }
    }

    // Masses go in as recorded when they share one unit, else in tonnes.
    let mass_units: BTreeSet<&str> = chosen
        .iter()
        .filter(|(kind, _)| matches!(kind.quantity, Quantity::Mass | Quantity::MassBalance))
        .map(|(_, record)| record.unit.as_str())
        .collect();
    let common_unit = match mass_units.len() {
        1 => mass_units.iter().next().map(|unit| (*unit).to_owned()),
        0 => None,
        _ => Some("t".to_owned()),
    };
    let mut notes = Vec::new();
    if mass_units.len() > 1 {
        notes.push(format!(
            "the records are in {}; every mass was converted to t",
            mass_units.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut input = Map::new();
    if info.name == "cmu" {
        input.insert("year".to_owned(), Value::from(year));
        input.insert("area".to_owned(), Value::from(region));
    } else {
        input.insert("fiscal_year".to_owned(), Value::from(year));
        input.insert("region".to_owned(), Value::from(region));
    }
    if let Some(unit) = &common_unit {
        input.insert("unit".to_owned(), Value::from(unit.clone()));
    }
    let mut uses = Vec::new();
    for (kind, record) in &chosen {
        let amount = match (&common_unit, kind.quantity) {
            (Some(unit), Quantity::Mass | Quantity::MassBalance) if *unit != record.unit => {
                record.amount * tonnes_per(&record.unit).unwrap_or(Decimal::ONE)
            }
            _ => record.amount,
        };
        input.insert(kind.name.to_owned(), Value::String(amount.normalize().to_string()));
        uses.push(RecordUse {
            input: kind.name,
            record_id: record.id,
            href: href(MATERIAL_FLOWS_PATH, record.id),
            amount: record.amount,
            unit: record.unit.clone(),
            owner_organization_id: record.owner_organization_id,
            source: record.source.clone(),
            source_url: record.source_url.clone(),
            version: record.version,
        });
    }
    let inputs = Value::Object(input);
    let mut period = PeriodResult {
        fiscal_year: year,
        result: Map::new(),
        ratios: BTreeMap::new(),
        formula: None,
        inputs: inputs.clone(),
        records: uses,
        missing,
        not_computable: Vec::new(),
        notes,
        gaps: Vec::new(),
    };

    let required_missing: Vec<&str> = period
        .missing
        .iter()
        .filter(|missing| kinds.iter().any(|kind| kind.name == missing.input && kind.required))
        .map(|missing| missing.input)
        .collect();
    if !required_missing.is_empty() {
        let reason = format!(
            "missing data: {} (see missing); {} needs every input",
            required_missing.join(", "),
            info.name
        );
        nothing_computable(&mut period, info.name, &reason);
        return period;
    }
    match crate::compute(info.name, &inputs) {
        Ok(computation) => {
            period.result = computation.result;
            period.ratios = computation.provenance.ratios;
            period.formula = Some(computation.provenance.formula);
            period.not_computable = computation.provenance.not_computable;
            period.notes.extend(computation.provenance.notes);
        }
        Err(ComputeError::Invalid(violations)) => {
            let reason = format!(
                "the records do not fit together: {}",
                violations
                    .iter()
                    .map(|violation| format!("{}: {}", violation.path, violation.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            nothing_computable(&mut period, info.name, &reason);
        }
        Err(ComputeError::UnknownIndicator(name)) => {
            nothing_computable(&mut period, info.name, &format!("no indicator is named {name:?}"));
        }
    }
    period
}

/// Marks every output of `indicator` as not computable for `reason`.
fn nothing_computable(period: &mut PeriodResult, indicator: &str, reason: &str) {
    for spec in outputs_of(indicator) {
        // Per-capita values exist only with a population; they are not promised otherwise.
        if spec.output.ends_with("_per_capita_t") {
            continue;
        }
        period.result.insert(spec.output.to_owned(), Value::Null);
        period.not_computable.push(NotComputable {
            output: spec.output.to_owned(),
            reason: reason.to_owned(),
        });
    }
}

fn href(path: &str, id: impl std::fmt::Display) -> String {
    format!("{path}/{id}")
}

/// The gap of each value of `result` to each of `targets` for its output. A value that is not
/// computable has no gap; the reason is taken from `not_computable` when given.
fn gaps(
    result: &Map<String, Value>,
    targets: &[IndicatorTarget],
    not_computable: Option<&[NotComputable]>,
) -> Vec<TargetGap> {
    targets
        .iter()
        .map(|target| {
            let value = result
                .get(&target.output)
                .filter(|value| !value.is_null())
                .and_then(|value| decimal_of(value).ok());
            let gap = value.map(|value| crate::targets::gap(value, target.target_value, target.direction));
            let reason = match value {
                Some(_) => None,
                None => Some(
                    not_computable
                        .and_then(|entries| entries.iter().find(|entry| entry.output == target.output))
                        .map(|entry| format!("{} is not computable: {}", target.output, entry.reason))
                        .unwrap_or_else(|| format!("no value of {} for this fiscal year", target.output)),
                ),
            };
            TargetGap {
                output: target.output.clone(),
                target_id: target.id,
                href: href(INDICATOR_TARGETS_PATH, target.id),
                target_fiscal_year: target.target_fiscal_year,
                target_value: target.target_value,
                unit: target.unit.clone(),
                direction: target.direction,
                value,
                difference: gap.as_ref().map(|gap| gap.difference),
                met: gap.map(|gap| gap.met),
                reason,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Time series of stored values

/// A stored value in a time series, with its gaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesValue {
    /// The stored value.
    pub id: IndicatorValueId,
    /// Where to read it.
    pub href: String,
    /// Who stored it.
    pub owner_organization_id: OrganizationId,
    /// The values by output name.
    pub result: Map<String, Value>,
    /// The methodology and version applied.
    pub methodology: String,
    /// Where the value is published or who computed it (出典).
    pub source: String,
    /// The stored value's version.
    pub version: i64,
    /// The gap of each value to each target of the scope.
    pub gaps: Vec<TargetGap>,
}

/// One fiscal year of a time series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPeriod {
    /// The fiscal year (年度).
    pub fiscal_year: i32,
    /// The stored values for it (one per organization that stored one; none when nobody did).
    pub values: Vec<SeriesValue>,
}

/// The time series of an indicator's stored values for a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// The indicator.
    pub indicator: &'static str,
    /// 日本語の名称.
    pub title_ja: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The scope.
    pub scope: String,
    /// The scope's name (日本, 東京都, ...).
    pub scope_name_ja: Option<&'static str>,
    /// The fiscal years asked for.
    pub period: FiscalYears,
    /// One entry per fiscal year, in order.
    pub periods: Vec<SeriesPeriod>,
    /// The targets of the scope the gaps are measured to.
    pub targets: Vec<IndicatorTarget>,
}

/// The time series of `values` (current stored values the caller may read) of `info` for
/// `scope` over `period`, with the gap of every value to each of `targets`.
pub fn series(
    info: &IndicatorInfo,
    scope: &Scope,
    period: FiscalYears,
    values: &[IndicatorValue],
    targets: &[IndicatorTarget],
) -> Series {
    let targets = targets_of(info.name, scope, targets);
    let scope_text = scope.to_string();
    let periods = period
        .years()
        .map(|year| SeriesPeriod {
            fiscal_year: year,
            values: values
                .iter()
                .filter(|value| {
                    value.indicator == info.name
                        && value.scope == scope_text
                        && value.fiscal_year == year
                        && value.superseded_by.is_none()
                })
                .map(|value| SeriesValue {
                    id: value.id,
                    href: href(INDICATOR_VALUES_PATH, value.id),
                    owner_organization_id: value.owner_organization_id,
                    result: value.result.clone(),
                    methodology: value.methodology.clone(),
                    source: value.source.clone(),
                    version: value.version,
                    gaps: gaps(&value.result, &targets, None),
                })
                .collect(),
        })
        .collect();
    Series {
        indicator: info.name,
        title_ja: info.title_ja,
        title_en: info.title_en,
        scope: scope_text,
        scope_name_ja: scope.name_ja(),
        period,
        periods,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use junkan_model::facility::Visibility;
    use serde_json::json;

    fn owner(name: &str) -> OrganizationId {
        OrganizationId::derived(name)
    }

    fn record(owner_name: &str, region: &str, year: i32, kind: &str, amount: &str, unit: &str) -> MaterialFlow {
        MaterialFlow {
            id: MaterialFlowId::derived(&format!("{owner_name}{region}{year}{kind}")),
            owner_organization_id: owner(owner_name),
            visibility: Visibility::Public,
            region: region.to_owned(),
            fiscal_year: year,
            kind: kind.to_owned(),
            amount: amount.parse().expect("decimal"),
            unit: unit.to_owned(),
            source: "test".to_owned(),
            source_url: None,
            note: None,
            version: 1,
            supersedes: None,
            superseded_by: None,
            correction_reason: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: "test".to_owned(),
        }
    }

    fn target(output: &str, year: i32, value: i64, direction: Direction) -> IndicatorTarget {
        IndicatorTarget {
            id: IndicatorTargetId::derived(&format!("{output}{year}")),
            owner_organization_id: owner("state"),
            visibility: Visibility::Public,
            indicator: "jp-material-flow".to_owned(),
            output: output.to_owned(),
            scope: "nation:JP".to_owned(),
            target_fiscal_year: year,
            target_value: Decimal::from(value),
            unit: "%".to_owned(),
            direction,
            baseline_fiscal_year: None,
            baseline_value: None,
            source: "plan".to_owned(),
            source_url: None,
            note: None,
            version: 1,
            supersedes: None,
            superseded_by: None,
            correction_reason: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: "test".to_owned(),
        }
    }

    fn info(name: &str) -> &'static IndicatorInfo {
        crate::indicator(name).expect("known")
    }

    #[test]
    fn japan_fy2000_from_records_with_gaps_and_missing_years() {
        let records = vec![
            record("state", "JP", 2000, "natural_resource_input", "1912", "Mt"),
            record("state", "JP", 2000, "circular_use", "218", "Mt"),
            // In 万t: converted, so the rate is the same as with 600 Mt.
            record("state", "JP", 2000, "waste_generation", "60000", "万t"),
            record("state", "131016", 2000, "circular_use", "999", "Mt"),
        ];
        let targets = vec![
            target("inlet_circular_use_rate_pct", 2025, 18, Direction::AtLeast),
            target("final_disposal_mt", 2025, 13, Direction::AtMost),
        ];
        let scope = Scope::parse("nation:JP").expect("scope");
        let computed = compute_from_records(
            info("jp-material-flow"),
            &scope,
            FiscalYears { from: 2000, to: 2001 },
            &records,
            &targets,
        );
        let fy2000 = &computed.periods[0];
        assert_eq!(fy2000.result["inlet_circular_use_rate_pct"], json!(10.234742));
        assert_eq!(fy2000.result["outlet_circular_use_rate_pct"], json!(36.333333));
        assert_eq!(fy2000.inputs["unit"], "t");
        assert_eq!(fy2000.inputs["natural_resource_input"], "1912000000");
        assert_eq!(fy2000.records.len(), 3);
        assert_eq!(
            fy2000.missing.iter().map(|missing| missing.input).collect::<Vec<_>>(),
            [
                "reduction",
                "final_disposal",
                "natural_return",
                "real_gdp_trillion_yen",
                "population"
            ]
        );
        assert_eq!(fy2000.result["final_disposal_mt"], Value::Null);
        let inlet_gap = &fy2000.gaps[1];
        assert_eq!(inlet_gap.output, "inlet_circular_use_rate_pct");
        assert_eq!(inlet_gap.met, Some(false));
        assert!(inlet_gap
            .difference
            .is_some_and(|difference| difference < Decimal::from(-7)));
        let disposal_gap = &fy2000.gaps[0];
        assert_eq!((disposal_gap.difference, disposal_gap.met), (None, None));
        assert!(disposal_gap
            .reason
            .as_deref()
            .is_some_and(|reason| reason.contains("needs final_disposal")));
        // FY2001 has no records: every value is null, never 0.
        let fy2001 = &computed.periods[1];
        assert_eq!(fy2001.records, []);
        assert!(
            fy2001
                .result
                .iter()
                .filter(|(name, _)| *name != "unit")
                .all(|(_, value)| value.is_null()),
            "{:?}",
            fy2001.result
        );
        assert_eq!(fy2001.missing.len(), 8);
    }

    #[test]
    fn municipal_rate_needs_every_input_and_owners_must_be_told_apart() {
        let city = "401005";
        let mut records = vec![
            record("city", city, 2014, "direct_recycling", "208", "万t"),
            record("city", city, 2014, "recycling_after_treatment", "455", "万t"),
            record("city", city, 2014, "group_collection", "250", "万t"),
            record("city", city, 2014, "total_treated", "4184", "万t"),
            record("city", city, 2015, "direct_recycling", "208", "万t"),
            record("city", city, 2015, "recycling_after_treatment", "455", "万t"),
            record("city", city, 2015, "group_collection", "250", "万t"),
            record("city", city, 2016, "direct_recycling", "500", "t"),
            record("city", city, 2016, "recycling_after_treatment", "600", "t"),
            record("city", city, 2016, "group_collection", "0", "t"),
            record("city", city, 2016, "total_treated", "1000", "t"),
        ];
        let scope = Scope::parse(&format!("region:{city}")).expect("scope");
        let info = info("municipal-recycling-rate");
        let computed = compute_from_records(info, &scope, FiscalYears { from: 2014, to: 2016 }, &records, &[]);
        assert_eq!(computed.periods[0].result["recycling_rate_pct"], json!(20.590889));
        let fy2015 = &computed.periods[1];
        assert_eq!(fy2015.result["recycling_rate_pct"], Value::Null);
        assert!(fy2015.not_computable[0].reason.contains("missing data: total_treated"));
        // Recycled more than was treated: the records contradict each other.
        let fy2016 = &computed.periods[2];
        assert_eq!(fy2016.result["recycling_rate_pct"], Value::Null);
        assert!(fy2016.not_computable[0].reason.contains("/total_treated"));

        records.push(record("other", city, 2014, "total_treated", "4000", "万t"));
        let computed = compute_from_records(info, &scope, FiscalYears { from: 2014, to: 2014 }, &records, &[]);
        let fy2014 = &computed.periods[0];
        assert_eq!(fy2014.result["recycling_rate_pct"], Value::Null);
        assert_eq!(fy2014.missing[0].candidates.len(), 2);
    }

    #[test]
    fn cmu_zero_denominator_is_not_computable() {
        let records = vec![
            record("state", "JP", 2022, "DMC", "-780", "t"),
            record("state", "JP", 2022, "RCV_O", "800", "t"),
            record("state", "JP", 2022, "IMP_w", "60", "t"),
            record("state", "JP", 2022, "EXP_w", "40", "t"),
        ];
        let scope = Scope::parse("nation:JP").expect("scope");
        let computed = compute_from_records(info("cmu"), &scope, FiscalYears { from: 2022, to: 2022 }, &records, &[]);
        let fy2022 = &computed.periods[0];
        assert_eq!(fy2022.result["U"], json!(780.0));
        assert_eq!(fy2022.result["CMU_pct"], Value::Null);
        assert!(fy2022.not_computable[0].reason.contains("denominator"));
        assert_eq!(fy2022.inputs["year"], 2022);
    }

    #[test]
    fn series_with_gaps() {
        let value = IndicatorValue {
            id: IndicatorValueId::derived("fy2019"),
            owner_organization_id: owner("state"),
            visibility: Visibility::Public,
            indicator: "jp-material-flow".to_owned(),
            scope: "nation:JP".to_owned(),
            fiscal_year: 2019,
            result: json!({"inlet_circular_use_rate_pct": 15.7})
                .as_object()
                .cloned()
                .expect("object"),
            methodology: "m".to_owned(),
            provenance: None,
            source: "review".to_owned(),
            source_url: None,
            note: None,
            version: 1,
            supersedes: None,
            superseded_by: None,
            correction_reason: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            created_by: "test".to_owned(),
        };
        let targets = [
            target("inlet_circular_use_rate_pct", 2025, 18, Direction::AtLeast),
            target("inlet_circular_use_rate_pct", 2030, 19, Direction::AtLeast),
        ];
        let scope = Scope::parse("nation:JP").expect("scope");
        let series = series(
            info("jp-material-flow"),
            &scope,
            FiscalYears { from: 2018, to: 2019 },
            &[value],
            &targets,
        );
        assert_eq!(series.periods[0].values, []);
        let gaps = &series.periods[1].values[0].gaps;
        assert_eq!(
            gaps.iter().map(|gap| gap.difference).collect::<Vec<_>>(),
            [
                Some("-2.3".parse().expect("decimal")),
                Some("-3.3".parse().expect("decimal"))
            ]
        );
    }
}
