//! Stored inputs and results of the regional and national indicators: material-flow records
//! (物質フロー), stored indicator values (指標値) and targets (目標値); the scopes they belong to
//! (`nation:JP`, `region:<local-government code>`, ...) and fiscal-year periods (年度).
//!
//! The kinds of material-flow record are exactly the input names of the indicators that take flow
//! data (`jp-material-flow`, `municipal-recycling-rate`, `cmu`), so that stored records feed
//! [`crate::compute`] unchanged. Each request type is checked completely here (every problem with
//! its JSON pointer); the store keeps what passes, with its owner, visibility and versions (a
//! correction is a new version; the old one stays readable, marked superseded).

use junkan_model::facility::Visibility;
use junkan_model::ids::{IndicatorTargetId, IndicatorValueId, MaterialFlowId, OrganizationId};
use junkan_model::japan::local_government;
use junkan_model::validation::{check_text, check_url, Violation, Violations};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::ToSchema;

use crate::input::{decimal_of, tonnes_per};
use crate::targets::Direction;

/// Where a material-flow record is read (`GET`), for links in provenance.
pub const MATERIAL_FLOWS_PATH: &str = "/api/v1/material-flows";
/// Where a stored indicator value is read.
pub const INDICATOR_VALUES_PATH: &str = "/api/v1/indicator-values";
/// Where an indicator target is read.
pub const INDICATOR_TARGETS_PATH: &str = "/api/v1/indicator-targets";

/// The one nation junkan knows regions of (its local-government table is Japan's).
pub const NATION_JAPAN: &str = "JP";

/// Earliest and latest fiscal year accepted anywhere.
pub const FISCAL_YEARS: std::ops::RangeInclusive<i64> = 1900..=2200;

// ---------------------------------------------------------------------------------------------
// Kinds of material-flow record

/// What a kind of record measures, which decides its units and range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// A mass: zero or more, in any unit of mass junkan converts (g, kg, t, kt, 万t, Mt, 億t).
    Mass,
    /// A mass balance that may be negative (domestic material consumption of a net exporter).
    MassBalance,
    /// Real GDP in trillion yen (兆円), more than zero.
    TrillionYen,
    /// A number of persons, more than zero.
    Persons,
}

impl Quantity {
    /// The units a record of this quantity may be given in (masses: any unit `tonnes_per` knows).
    pub fn units(self) -> &'static [&'static str] {
        match self {
            Quantity::Mass | Quantity::MassBalance => &["t", "kg", "g", "kt", "万t", "Mt", "億t"],
            Quantity::TrillionYen => &["兆円", "trillion JPY"],
            Quantity::Persons => &["persons", "人"],
        }
    }

    /// Whether `unit` is a unit of this quantity.
    pub fn admits_unit(self, unit: &str) -> bool {
        match self {
            Quantity::Mass | Quantity::MassBalance => tonnes_per(unit).is_some(),
            Quantity::TrillionYen | Quantity::Persons => self.units().contains(&unit),
        }
    }

    fn check_amount(self, amount: Decimal) -> Result<(), String> {
        match self {
            Quantity::Mass if amount < Decimal::ZERO => Err(format!("a mass must not be negative, got {amount}")),
            Quantity::TrillionYen | Quantity::Persons if amount <= Decimal::ZERO => {
                Err(format!("must be more than 0, got {amount}"))
            }
            Quantity::Persons if !amount.fract().is_zero() => {
                Err(format!("a number of persons is a whole number, got {amount}"))
            }
            _ => Ok(()),
        }
    }
}

/// A kind of material-flow record: the input of one indicator it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlowKind {
    /// The input's name, used as the record's `kind` (`natural_resource_input`).
    pub name: &'static str,
    /// The indicator it is an input of.
    pub indicator: &'static str,
    /// 日本語の名称.
    pub title_ja: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// What it measures.
    pub quantity: Quantity,
    /// Whether the indicator needs it for every value (all inputs of the municipal recycling
    /// rate and of the CMU); the material-flow indicators each need only some flows.
    pub required: bool,
}

const fn kind(
    name: &'static str,
    indicator: &'static str,
    title_ja: &'static str,
    title_en: &'static str,
    quantity: Quantity,
) -> FlowKind {
    FlowKind {
        name,
        indicator,
        title_ja,
        title_en,
        quantity,
        // Only Japan's material-flow indicators compute each value from the flows it has.
        required: !matches!(indicator.as_bytes(), b"jp-material-flow"),
    }
}

/// Every kind of material-flow record, by indicator, in the order of the indicators' inputs.
pub const FLOW_KINDS: &[FlowKind] = &[
    kind(
        "natural_resource_input",
        "jp-material-flow",
        "天然資源等投入量",
        "natural resource input",
        Quantity::Mass,
    ),
    kind(
        "circular_use",
        "jp-material-flow",
        "循環利用量",
        "circular use",
        Quantity::Mass,
    ),
    kind(
        "waste_generation",
        "jp-material-flow",
        "廃棄物等発生量",
        "waste generation",
        Quantity::Mass,
    ),
    kind(
        "reduction",
        "jp-material-flow",
        "減量化量",
        "reduction by treatment",
        Quantity::Mass,
    ),
    kind(
        "final_disposal",
        "jp-material-flow",
        "最終処分量",
        "final disposal",
        Quantity::Mass,
    ),
    kind(
        "natural_return",
        "jp-material-flow",
        "自然還元量",
        "natural return",
        Quantity::Mass,
    ),
    kind(
        "real_gdp_trillion_yen",
        "jp-material-flow",
        "実質国内総生産",
        "real GDP",
        Quantity::TrillionYen,
    ),
    kind(
        "population",
        "jp-material-flow",
        "人口",
        "population",
        Quantity::Persons,
    ),
    kind(
        "direct_recycling",
        "municipal-recycling-rate",
        "直接資源化量",
        "direct recycling",
        Quantity::Mass,
    ),
    kind(
        "recycling_after_treatment",
        "municipal-recycling-rate",
        "中間処理後再生利用量",
        "recycling after intermediate treatment",
        Quantity::Mass,
    ),
    kind(
        "group_collection",
        "municipal-recycling-rate",
        "集団回収量",
        "group collection",
        Quantity::Mass,
    ),
    kind(
        "total_treated",
        "municipal-recycling-rate",
        "ごみの総処理量",
        "total waste treated",
        Quantity::Mass,
    ),
    kind(
        "DMC",
        "cmu",
        "国内物質消費量",
        "domestic material consumption (DMC)",
        Quantity::MassBalance,
    ),
    kind(
        "RCV_O",
        "cmu",
        "回収量（エネルギー回収・埋戻しを除く）",
        "recovery excluding energy recovery and backfilling (RCV_O)",
        Quantity::Mass,
    ),
    kind(
        "IMP_w",
        "cmu",
        "回収向け廃棄物の輸入量",
        "waste imported for recovery (IMP_w)",
        Quantity::Mass,
    ),
    kind(
        "EXP_w",
        "cmu",
        "回収向け廃棄物の輸出量",
        "waste exported for recovery (EXP_w)",
        Quantity::Mass,
    ),
];

/// The kind of record named `name`.
pub fn flow_kind(name: &str) -> Option<&'static FlowKind> {
    FLOW_KINDS.iter().find(|kind| kind.name == name)
}

/// The kinds of record that are inputs of `indicator`, in input order (empty for an indicator
/// that takes no flow data).
pub fn flow_kinds_of(indicator: &str) -> Vec<&'static FlowKind> {
    FLOW_KINDS.iter().filter(|kind| kind.indicator == indicator).collect()
}

// ---------------------------------------------------------------------------------------------
// Scopes and periods

/// What a scope (`<kind>:<id>`) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// A product (its identifier).
    Product,
    /// An organization (its id).
    Organization,
    /// A facility (its id).
    Facility,
    /// A prefecture or municipality (its six-digit local-government code, 地方公共団体コード).
    Region,
    /// A nation (`JP`).
    Nation,
}

impl ScopeKind {
    /// Every kind, in the order of the API's documentation.
    pub const ALL: [ScopeKind; 5] = [
        ScopeKind::Product,
        ScopeKind::Organization,
        ScopeKind::Facility,
        ScopeKind::Region,
        ScopeKind::Nation,
    ];

    /// The text form used in scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Product => "product",
            ScopeKind::Organization => "organization",
            ScopeKind::Facility => "facility",
            ScopeKind::Region => "region",
            ScopeKind::Nation => "nation",
        }
    }
}

/// A scope an indicator is computed or stored for: a kind and an id (`region:131016`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// What it names.
    pub kind: ScopeKind,
    /// The id within the kind.
    pub id: String,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.kind.as_str(), self.id)
    }
}

impl Scope {
    /// Parses `<kind>:<id>`, checking the id of region and nation scopes against Japan's
    /// local-government table and organization and facility ids as UUIDs.
    pub fn parse(text: &str) -> Result<Scope, String> {
        let Some((kind, id)) = text.split_once(':') else {
            return Err(format!(
                "must be <kind>:<id> with kind one of product, organization, facility, region, nation (e.g. nation:JP, region:131016), got {text:?}"
            ));
        };
        let Some(kind) = ScopeKind::ALL.into_iter().find(|candidate| candidate.as_str() == kind) else {
            return Err(format!(
                "{kind:?} is not a scope kind: expected product, organization, facility, region or nation"
            ));
        };
        match kind {
            ScopeKind::Nation => check_nation(id)?,
            ScopeKind::Region => check_region_code(id)?,
            ScopeKind::Organization | ScopeKind::Facility => {
                if uuid::Uuid::parse_str(id).is_err() {
                    return Err(format!("an {} scope names its id (a UUID), got {id:?}", kind.as_str()));
                }
            }
            ScopeKind::Product => check_text(id, 500).map_err(|message| format!("the product id {message}"))?,
        }
        Ok(Scope {
            kind,
            id: id.to_owned(),
        })
    }

    /// The scope of the region a material-flow record names (`JP` or a local-government code).
    pub fn of_region(region: &str) -> Scope {
        if region == NATION_JAPAN {
            Scope {
                kind: ScopeKind::Nation,
                id: region.to_owned(),
            }
        } else {
            Scope {
                kind: ScopeKind::Region,
                id: region.to_owned(),
            }
        }
    }

    /// The `region` of the material-flow records of this scope, for region and nation scopes.
    pub fn region(&self) -> Option<&str> {
        matches!(self.kind, ScopeKind::Region | ScopeKind::Nation).then_some(self.id.as_str())
    }

    /// The Japanese name of a region or nation scope (日本, 東京都, 千代田区, ...).
    pub fn name_ja(&self) -> Option<&'static str> {
        match self.kind {
            ScopeKind::Nation => Some("日本"),
            ScopeKind::Region => local_government(&self.id).map(|(_, name)| name),
            _ => None,
        }
    }
}

fn check_nation(id: &str) -> Result<(), String> {
    if id == NATION_JAPAN {
        Ok(())
    } else {
        Err(format!("{id:?} is not a nation junkan keeps regions of: use JP (日本)"))
    }
}

/// Checks the region of a material-flow record: `JP`, or the six-digit local-government code
/// (地方公共団体コード) of a prefecture or municipality.
pub fn check_record_region(region: &str) -> Result<(), String> {
    if region == NATION_JAPAN {
        return Ok(());
    }
    check_region_code(region)
}

fn check_region_code(code: &str) -> Result<(), String> {
    junkan_model::identifiers::check_local_government_code(code)?;
    if local_government(code).is_none() {
        return Err(format!(
            "{code:?} is no prefecture or municipality in the local-government table (a prefecture is named by its code such as 130001 for 東京都, a municipality such as 131016 for 千代田区)"
        ));
    }
    Ok(())
}

/// Checks a fiscal year (年度).
pub fn check_fiscal_year(year: i64) -> Result<(), String> {
    if FISCAL_YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "must be a fiscal year (年度) from {} to {}, got {year}",
            FISCAL_YEARS.start(),
            FISCAL_YEARS.end()
        ))
    }
}

/// A run of fiscal years, both ends included (`2015/2022`, or one year `2019`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct FiscalYears {
    /// The first fiscal year.
    pub from: i32,
    /// The last fiscal year.
    pub to: i32,
}

impl FiscalYears {
    /// Parses `<from>/<to>` or `<year>`; the period must not end before it starts.
    pub fn parse(text: &str) -> Result<FiscalYears, String> {
        let (from, to) = text.split_once('/').unwrap_or((text, text));
        let year = |part: &str| -> Result<i32, String> {
            let value: i64 = part.trim().parse().map_err(|_| {
                format!("must be fiscal years <from>/<to> such as 2015/2022, or one year such as 2019, got {text:?}")
            })?;
            check_fiscal_year(value)?;
            i32::try_from(value).map_err(|_| format!("{value} is out of range"))
        };
        let (from, to) = (year(from)?, year(to)?);
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        Ok(FiscalYears { from, to })
    }

    /// Each fiscal year of the run, in order.
    pub fn years(self) -> impl Iterator<Item = i32> {
        self.from..=self.to
    }

    /// Whether `year` lies in the run.
    pub fn contains(self, year: i32) -> bool {
        (self.from..=self.to).contains(&year)
    }
}

// ---------------------------------------------------------------------------------------------
// Decimals in request bodies

/// The schema of an exact decimal given as a JSON number or a decimal string (`"1912.5"`).
pub fn decimal_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Number, Type::String]))
        .description(Some(
            "An exact decimal: a JSON number or a decimal string such as \"1912.5\"",
        ))
        .build()
}

/// [`decimal_schema`] that may also be null.
pub fn optional_decimal_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Number, Type::String, Type::Null]))
        .description(Some(
            "An exact decimal: a JSON number or a decimal string such as \"1912.5\"",
        ))
        .build()
}

fn decimal_at(violations: &mut Violations, path: &str, value: &Value) -> Option<Decimal> {
    match decimal_of(value) {
        Ok(decimal) => Some(decimal),
        Err(message) => {
            violations.push(path, message);
            None
        }
    }
}

fn check_common(violations: &mut Violations, source: &str, source_url: Option<&str>, note: Option<&str>) {
    violations.check("/source", check_text(source, 1_000));
    if let Some(url) = source_url {
        violations.check("/source_url", check_url(url));
    }
    if let Some(note) = note {
        violations.check("/note", check_text(note, 2_000));
    }
}

/// Checks the reason given for a correction (訂正理由).
pub fn check_correction_reason(reason: &str) -> Result<(), Vec<Violation>> {
    check_text(reason, 1_000).map_err(|message| vec![Violation::new("/reason", message)])
}

/// Prefixes every violation's path with `prefix` (`/record`, `/3`).
pub fn under(prefix: &str, violations: Vec<Violation>) -> Vec<Violation> {
    violations
        .into_iter()
        .map(|violation| Violation::new(format!("{prefix}{}", violation.path), violation.message))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Material-flow records

/// A material-flow record to store: one flow of one region in one fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaterialFlow {
    /// `JP` (the nation), or the six-digit local-government code (地方公共団体コード) of a
    /// prefecture (`130001`) or municipality (`131016`).
    pub region: String,
    /// The fiscal year (年度).
    pub fiscal_year: i64,
    /// The flow: an input name of `jp-material-flow` (`natural_resource_input`, `circular_use`,
    /// `waste_generation`, `reduction`, `final_disposal`, `natural_return`,
    /// `real_gdp_trillion_yen`, `population`), `municipal-recycling-rate` (`direct_recycling`,
    /// `recycling_after_treatment`, `group_collection`, `total_treated`) or `cmu` (`DMC`,
    /// `RCV_O`, `IMP_w`, `EXP_w`).
    pub kind: String,
    /// The amount, exact.
    #[schema(schema_with = decimal_schema)]
    pub amount: Value,
    /// Its unit: a unit of mass (t, kg, g, kt, 万t, Mt, 億t) for flows, 兆円 (or `trillion JPY`)
    /// for real GDP, `persons` (or 人) for population.
    pub unit: String,
    /// Where the figure is published (出典).
    pub source: String,
    /// A link to the publication.
    #[serde(default)]
    pub source_url: Option<String>,
    /// A remark.
    #[serde(default)]
    pub note: Option<String>,
    /// `public` or `restricted` (the default for a new record; a correction keeps the
    /// visibility of the record it corrects unless it says otherwise).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

impl NewMaterialFlow {
    /// Checks every rule; returns the exact amount.
    pub fn check(&self) -> Result<Decimal, Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/region", check_record_region(&self.region));
        violations.check("/fiscal_year", check_fiscal_year(self.fiscal_year));
        let kind = flow_kind(&self.kind);
        if kind.is_none() {
            violations.push(
                "/kind",
                format!(
                    "{:?} is not a kind of material-flow record: expected one of {}",
                    self.kind,
                    FLOW_KINDS.iter().map(|kind| kind.name).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        let amount = decimal_at(&mut violations, "/amount", &self.amount);
        if let Some(kind) = kind {
            if let Some(amount) = amount {
                violations.check("/amount", kind.quantity.check_amount(amount));
            }
            if !kind.quantity.admits_unit(&self.unit) {
                violations.push(
                    "/unit",
                    format!(
                        "{:?} is not a unit of {} ({}): expected one of {}",
                        self.unit,
                        kind.name,
                        kind.title_en,
                        kind.quantity.units().join(", ")
                    ),
                );
            }
        }
        check_common(
            &mut violations,
            &self.source,
            self.source_url.as_deref(),
            self.note.as_deref(),
        );
        violations.into_result()?;
        Ok(amount.expect("no violation, so the amount was read"))
    }
}

/// A material-flow record as stored: one version of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MaterialFlow {
    /// This version's id.
    pub id: MaterialFlowId,
    /// The organization that entered it.
    pub owner_organization_id: OrganizationId,
    /// Who may read it: `public` (everyone) or `restricted` (the owner, holders of a grant of kind
    /// `material_flow`, auditors; reads under grants or as auditor are audited).
    pub visibility: Visibility,
    /// `JP` or a local-government code.
    pub region: String,
    /// The fiscal year (年度).
    pub fiscal_year: i32,
    /// The flow (an indicator input name).
    pub kind: String,
    /// The amount, as an exact decimal string.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// Its unit.
    pub unit: String,
    /// Where the figure is published (出典).
    pub source: String,
    /// A link to the publication.
    pub source_url: Option<String>,
    /// A remark.
    pub note: Option<String>,
    /// 1 for a first entry, one more for each correction.
    pub version: i64,
    /// The version this one corrects.
    pub supersedes: Option<MaterialFlowId>,
    /// The version that corrected this one (then this one is no longer used in computations).
    pub superseded_by: Option<MaterialFlowId>,
    /// Why this version corrects the previous one (訂正理由).
    pub correction_reason: Option<String>,
    /// When it was stored.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who stored it (principal id).
    pub created_by: String,
}

/// A correction of a material-flow record: the record as it should be, and why.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialFlowCorrection {
    /// Why (訂正理由).
    pub reason: String,
    /// The corrected record, whole.
    pub record: NewMaterialFlow,
}

/// Which material-flow records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaterialFlowFilter {
    /// Only this region (`JP` or a local-government code).
    pub region: Option<String>,
    /// Only these fiscal years.
    pub fiscal_years: Option<FiscalYears>,
    /// Only these kinds (any when empty).
    pub kinds: Vec<String>,
    /// Only records of this organization.
    pub owner: Option<OrganizationId>,
    /// Also the versions that were corrected.
    pub include_superseded: bool,
}

// ---------------------------------------------------------------------------------------------
// Outputs of the flow indicators: units, ranges and the direction in which each improves

/// The range a stored value or target of an output must lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputRange {
    /// A share in percent: 0 to 100.
    Percent,
    /// Zero or more.
    NonNegative,
    /// Any value (a balance gap, a net flow).
    Any,
}

/// One output of an indicator whose outputs junkan knows for storing and targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSpec {
    /// The indicator.
    pub indicator: &'static str,
    /// The result's name for the value.
    pub output: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Its range.
    pub range: OutputRange,
    /// The direction it improves in, when it has one.
    pub direction: Option<Direction>,
}

const fn output(
    indicator: &'static str,
    output: &'static str,
    unit: &'static str,
    range: OutputRange,
    direction: Option<Direction>,
) -> OutputSpec {
    OutputSpec {
        indicator,
        output,
        unit,
        range,
        direction,
    }
}

/// The outputs of the indicators computed from material-flow records.
pub const FLOW_OUTPUTS: &[OutputSpec] = &[
    output(
        "jp-material-flow",
        "resource_productivity_man_yen_per_t",
        "万円/t",
        OutputRange::NonNegative,
        Some(Direction::AtLeast),
    ),
    output(
        "jp-material-flow",
        "inlet_circular_use_rate_pct",
        "%",
        OutputRange::Percent,
        Some(Direction::AtLeast),
    ),
    output(
        "jp-material-flow",
        "outlet_circular_use_rate_pct",
        "%",
        OutputRange::Percent,
        Some(Direction::AtLeast),
    ),
    output(
        "jp-material-flow",
        "final_disposal_mt",
        "Mt",
        OutputRange::NonNegative,
        Some(Direction::AtMost),
    ),
    output("jp-material-flow", "balance_gap_mt", "Mt", OutputRange::Any, None),
    output(
        "jp-material-flow",
        "natural_resource_input_per_capita_t",
        "t",
        OutputRange::NonNegative,
        Some(Direction::AtMost),
    ),
    output(
        "jp-material-flow",
        "final_disposal_per_capita_t",
        "t",
        OutputRange::NonNegative,
        Some(Direction::AtMost),
    ),
    output(
        "jp-material-flow",
        "waste_generation_per_capita_t",
        "t",
        OutputRange::NonNegative,
        Some(Direction::AtMost),
    ),
    output(
        "municipal-recycling-rate",
        "recycling_rate_pct",
        "%",
        OutputRange::Percent,
        Some(Direction::AtLeast),
    ),
    output("cmu", "U", "t", OutputRange::Any, Some(Direction::AtLeast)),
    output("cmu", "CMU_pct", "%", OutputRange::Percent, Some(Direction::AtLeast)),
];

/// Outputs that are texts, not values (the unit the material flows were given in).
const TEXT_OUTPUTS: &[(&str, &str)] = &[("jp-material-flow", "unit")];

/// The spec of `output` of `indicator`, when junkan knows that indicator's outputs.
pub fn output_spec(indicator: &str, output: &str) -> Option<&'static OutputSpec> {
    FLOW_OUTPUTS
        .iter()
        .find(|spec| spec.indicator == indicator && spec.output == output)
}

/// The outputs of `indicator`, when junkan knows them (the flow indicators); empty otherwise.
pub fn outputs_of(indicator: &str) -> Vec<&'static OutputSpec> {
    FLOW_OUTPUTS.iter().filter(|spec| spec.indicator == indicator).collect()
}

/// Checks that `value` lies in the range of `output` (a share named `*_pct` lies in 0–100 for
/// any indicator).
fn check_output_value(indicator: &str, output: &str, value: Decimal) -> Result<(), String> {
    let range = match output_spec(indicator, output) {
        Some(spec) => spec.range,
        None if output.ends_with("_pct") => OutputRange::Percent,
        None => OutputRange::Any,
    };
    match range {
        OutputRange::Percent if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&value) => Err(format!(
            "is a share in percent and must lie between 0 and 100, got {value}"
        )),
        OutputRange::NonNegative if value < Decimal::ZERO => Err(format!("must not be negative, got {value}")),
        _ => Ok(()),
    }
}

fn check_output_name(violations: &mut Violations, path: &str, indicator: &str, output: &str) {
    let known = outputs_of(indicator);
    if !known.is_empty() {
        let is_text = TEXT_OUTPUTS.contains(&(indicator, output));
        if !is_text && !known.iter().any(|spec| spec.output == output) {
            violations.push(
                path,
                format!(
                    "{output:?} is not an output of {indicator}: expected one of {}",
                    known.iter().map(|spec| spec.output).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    } else if output.is_empty() || output.len() > 80 || !output.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        violations.push(
            path,
            format!("{output:?} is not an output name (1-80 letters, digits and underscores)"),
        );
    }
}

fn check_indicator(violations: &mut Violations, indicator: &str) -> bool {
    if crate::indicator(indicator).is_some() {
        return true;
    }
    violations.push(
        "/indicator",
        format!(
            "no indicator is named {indicator:?} (known: {})",
            crate::INDICATORS
                .iter()
                .map(|info| info.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    false
}

// ---------------------------------------------------------------------------------------------
// Stored indicator values

/// An indicator value to store: the result of one computation for a scope and fiscal year, with
/// how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndicatorValue {
    /// The indicator (`jp-material-flow`).
    pub indicator: String,
    /// The scope (`nation:JP`, `region:131016`, `organization:<id>`, ...).
    pub scope: String,
    /// The fiscal year (年度) the value is for.
    pub fiscal_year: i64,
    /// The values by output name (as in the indicator's `result`): numbers or decimal strings, or
    /// null for a value that was not computable. Shares in percent lie in 0–100.
    #[schema(value_type = Object)]
    pub result: Map<String, Value>,
    /// The methodology and version applied (default: the indicator's current one).
    #[serde(default)]
    pub methodology: Option<String>,
    /// How the value was computed (e.g. the `provenance` of a computation), kept as given.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub provenance: Option<Value>,
    /// Where the value is published or who computed it (出典).
    pub source: String,
    /// A link to the publication.
    #[serde(default)]
    pub source_url: Option<String>,
    /// A remark.
    #[serde(default)]
    pub note: Option<String>,
    /// `public` or `restricted` (default for a new value).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

impl NewIndicatorValue {
    /// Checks every rule; returns the scope in canonical form and the methodology to store.
    pub fn check(&self) -> Result<(Scope, String), Vec<Violation>> {
        let mut violations = Violations::new();
        let known = check_indicator(&mut violations, &self.indicator);
        let scope = match Scope::parse(&self.scope) {
            Ok(scope) => Some(scope),
            Err(message) => {
                violations.push("/scope", message);
                None
            }
        };
        violations.check("/fiscal_year", check_fiscal_year(self.fiscal_year));
        if self.result.is_empty() {
            violations.push("/result", "must name at least one value");
        }
        if known {
            for (name, value) in &self.result {
                let path = format!("/result/{}", junkan_model::validation::escape_segment(name));
                check_output_name(&mut violations, &path, &self.indicator, name);
                let numeric = output_spec(&self.indicator, name).is_some() || name.ends_with("_pct");
                match value {
                    Value::Null => {}
                    Value::Number(_) | Value::String(_) if numeric || value.is_number() => {
                        if let Some(decimal) = decimal_at(&mut violations, &path, value) {
                            violations.check(&path, check_output_value(&self.indicator, name, decimal));
                        }
                    }
                    _ if numeric => {
                        violations.push(&path, "must be a number, a decimal string, or null when not computable")
                    }
                    // Outputs junkan does not know the type of (objects of mass-balance, texts
                    // of a classification) are kept as given.
                    _ => {}
                }
            }
        }
        if let Some(methodology) = &self.methodology {
            violations.check("/methodology", check_text(methodology, 1_000));
        }
        if let Some(provenance) = &self.provenance {
            if !provenance.is_object() {
                violations.push("/provenance", "must be an object");
            }
        }
        check_common(
            &mut violations,
            &self.source,
            self.source_url.as_deref(),
            self.note.as_deref(),
        );
        violations.into_result()?;
        let methodology = self.methodology.clone().unwrap_or_else(|| {
            crate::indicator(&self.indicator)
                .map(|info| info.methodology.to_owned())
                .unwrap_or_default()
        });
        Ok((scope.expect("no violation, so the scope was read"), methodology))
    }
}

/// A stored indicator value: one version of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorValue {
    /// This version's id.
    pub id: IndicatorValueId,
    /// The organization that stored it.
    pub owner_organization_id: OrganizationId,
    /// Who may read it.
    pub visibility: Visibility,
    /// The indicator.
    pub indicator: String,
    /// The scope (`nation:JP`).
    pub scope: String,
    /// The fiscal year (年度).
    pub fiscal_year: i32,
    /// The values by output name.
    #[schema(value_type = Object)]
    pub result: Map<String, Value>,
    /// The methodology and version applied.
    pub methodology: String,
    /// How the value was computed, as given.
    #[schema(value_type = Option<Object>)]
    pub provenance: Option<Value>,
    /// Where the value is published or who computed it (出典).
    pub source: String,
    /// A link to the publication.
    pub source_url: Option<String>,
    /// A remark.
    pub note: Option<String>,
    /// 1 for a first entry, one more for each correction.
    pub version: i64,
    /// The version this one corrects.
    pub supersedes: Option<IndicatorValueId>,
    /// The version that corrected this one.
    pub superseded_by: Option<IndicatorValueId>,
    /// Why this version corrects the previous one.
    pub correction_reason: Option<String>,
    /// When it was stored.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who stored it (principal id).
    pub created_by: String,
}

/// A correction of a stored indicator value.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorValueCorrection {
    /// Why (訂正理由).
    pub reason: String,
    /// The corrected value, whole.
    pub record: NewIndicatorValue,
}

/// Which indicator values to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorValueFilter {
    /// Only this indicator.
    pub indicator: Option<String>,
    /// Only this scope (canonical form).
    pub scope: Option<String>,
    /// Only these fiscal years.
    pub fiscal_years: Option<FiscalYears>,
    /// Only values of this organization.
    pub owner: Option<OrganizationId>,
    /// Also the versions that were corrected.
    pub include_superseded: bool,
}

// ---------------------------------------------------------------------------------------------
// Targets

/// A target (目標値) for one output of an indicator in a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndicatorTarget {
    /// The indicator (`jp-material-flow`).
    pub indicator: String,
    /// The result's name for the value (`inlet_circular_use_rate_pct`).
    pub output: String,
    /// The scope (`nation:JP`, `region:131016`, `organization:<id>`, ...).
    pub scope: String,
    /// The fiscal year the target is for.
    pub target_fiscal_year: i64,
    /// The target value.
    #[schema(schema_with = decimal_schema)]
    pub target_value: Value,
    /// The unit of the target value: the output's own (`%`, `Mt`, `万円/t`, `t`).
    pub unit: String,
    /// `at_least` (higher is better) or `at_most` (lower is better); for the outputs of the flow
    /// indicators it follows from the output when left out.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// The baseline fiscal year (基準年度).
    #[serde(default)]
    pub baseline_fiscal_year: Option<i64>,
    /// The value in the baseline year.
    #[serde(default)]
    #[schema(schema_with = optional_decimal_schema)]
    pub baseline_value: Option<Value>,
    /// Who set the target and where (e.g. the 5th Fundamental Plan, 2024).
    pub source: String,
    /// A link to the publication.
    #[serde(default)]
    pub source_url: Option<String>,
    /// A remark.
    #[serde(default)]
    pub note: Option<String>,
    /// `public` or `restricted` (default for a new target).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// A target's checked values: scope, target value, direction and baseline value.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedTarget {
    /// The scope in canonical form.
    pub scope: Scope,
    /// The target value.
    pub target_value: Decimal,
    /// Which way the output improves.
    pub direction: Direction,
    /// The baseline value, when given.
    pub baseline_value: Option<Decimal>,
}

impl NewIndicatorTarget {
    /// Checks every rule.
    pub fn check(&self) -> Result<CheckedTarget, Vec<Violation>> {
        let mut violations = Violations::new();
        let known = check_indicator(&mut violations, &self.indicator);
        if known {
            check_output_name(&mut violations, "/output", &self.indicator, &self.output);
        }
        let scope = match Scope::parse(&self.scope) {
            Ok(scope) => Some(scope),
            Err(message) => {
                violations.push("/scope", message);
                None
            }
        };
        violations.check("/target_fiscal_year", check_fiscal_year(self.target_fiscal_year));
        let spec = output_spec(&self.indicator, &self.output);
        let target_value = decimal_at(&mut violations, "/target_value", &self.target_value);
        if let Some(value) = target_value {
            violations.check(
                "/target_value",
                check_output_value(&self.indicator, &self.output, value),
            );
        }
        violations.check("/unit", check_text(&self.unit, 40));
        if let Some(spec) = spec {
            if self.unit != spec.unit {
                violations.push(
                    "/unit",
                    format!(
                        "mixed units without a conversion: {} is in {:?}, the target in {:?}",
                        spec.output, spec.unit, self.unit
                    ),
                );
            }
        }
        let direction = self.direction.or(spec.and_then(|spec| spec.direction));
        if direction.is_none() {
            violations.push(
                "/direction",
                "is required for this output: at_least (higher is better) or at_most (lower is better)",
            );
        }
        let baseline_value = match (&self.baseline_fiscal_year, &self.baseline_value) {
            (Some(year), Some(value)) => {
                violations.check("/baseline_fiscal_year", check_fiscal_year(*year));
                if *year > self.target_fiscal_year {
                    violations.push(
                        "/baseline_fiscal_year",
                        format!(
                            "the baseline ({year}) comes after the target year ({})",
                            self.target_fiscal_year
                        ),
                    );
                }
                let decimal = decimal_at(&mut violations, "/baseline_value", value);
                if let Some(decimal) = decimal {
                    violations.check(
                        "/baseline_value",
                        check_output_value(&self.indicator, &self.output, decimal),
                    );
                }
                decimal
            }
            (None, None) => None,
            (Some(_), None) => {
                violations.push("/baseline_value", "is required with a baseline fiscal year");
                None
            }
            (None, Some(_)) => {
                violations.push("/baseline_fiscal_year", "is required with a baseline value");
                None
            }
        };
        check_common(
            &mut violations,
            &self.source,
            self.source_url.as_deref(),
            self.note.as_deref(),
        );
        violations.into_result()?;
        Ok(CheckedTarget {
            scope: scope.expect("no violation, so the scope was read"),
            target_value: target_value.expect("no violation, so the value was read"),
            direction: direction.expect("no violation, so the direction is known"),
            baseline_value,
        })
    }
}

/// A target as stored: one version of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorTarget {
    /// This version's id.
    pub id: IndicatorTargetId,
    /// The organization that stored it.
    pub owner_organization_id: OrganizationId,
    /// Who may read it.
    pub visibility: Visibility,
    /// The indicator.
    pub indicator: String,
    /// The output the target is for.
    pub output: String,
    /// The scope (`nation:JP`).
    pub scope: String,
    /// The fiscal year the target is for.
    pub target_fiscal_year: i32,
    /// The target value, as an exact decimal string.
    #[schema(value_type = String)]
    pub target_value: Decimal,
    /// Its unit.
    pub unit: String,
    /// Which way the output improves.
    pub direction: Direction,
    /// The baseline fiscal year (基準年度).
    pub baseline_fiscal_year: Option<i32>,
    /// The value in the baseline year.
    #[schema(value_type = Option<String>)]
    pub baseline_value: Option<Decimal>,
    /// Who set the target and where.
    pub source: String,
    /// A link to the publication.
    pub source_url: Option<String>,
    /// A remark.
    pub note: Option<String>,
    /// 1 for a first entry, one more for each correction.
    pub version: i64,
    /// The version this one corrects.
    pub supersedes: Option<IndicatorTargetId>,
    /// The version that corrected this one.
    pub superseded_by: Option<IndicatorTargetId>,
    /// Why this version corrects the previous one.
    pub correction_reason: Option<String>,
    /// When it was stored.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who stored it (principal id).
    pub created_by: String,
}

/// A correction of a target.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorTargetCorrection {
    /// Why (訂正理由).
    pub reason: String,
    /// The corrected target, whole.
    pub record: NewIndicatorTarget,
}

/// Which targets to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorTargetFilter {
    /// Only this indicator.
    pub indicator: Option<String>,
    /// Only this output.
    pub output: Option<String>,
    /// Only this scope (canonical form).
    pub scope: Option<String>,
    /// Only targets of this organization.
    pub owner: Option<OrganizationId>,
    /// Also the versions that were corrected.
    pub include_superseded: bool,
}

/// Japan's national targets of `targets::japan_national_targets` as targets to store for
/// `nation:JP` (the demo loads them).
pub fn japan_national_target_records() -> Vec<NewIndicatorTarget> {
    crate::targets::japan_national_targets()
        .into_iter()
        .map(|target| NewIndicatorTarget {
            indicator: target.indicator.to_owned(),
            output: target.output.to_owned(),
            scope: format!("nation:{NATION_JAPAN}"),
            target_fiscal_year: i64::from(target.fiscal_year),
            target_value: Value::String(target.value.to_string()),
            unit: output_spec(target.indicator, target.output)
                .map(|spec| spec.unit.to_owned())
                .unwrap_or_default(),
            direction: Some(target.direction),
            baseline_fiscal_year: None,
            baseline_value: None,
            source: target.set_by.to_owned(),
            source_url: None,
            note: None,
            visibility: Some(Visibility::Public),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(result: Result<impl std::fmt::Debug, Vec<Violation>>) -> Vec<String> {
        match result {
            Ok(value) => panic!("expected violations, got {value:?}"),
            Err(violations) => violations.into_iter().map(|violation| violation.path).collect(),
        }
    }

    fn flow(value: Value) -> NewMaterialFlow {
        serde_json::from_value(value).expect("the shape of a record")
    }

    #[test]
    fn scopes() {
        assert_eq!(
            Scope::parse("nation:JP").map(|scope| scope.to_string()),
            Ok("nation:JP".to_owned())
        );
        assert_eq!(
            Scope::parse("region:131016").map(|scope| scope.name_ja()),
            Ok(Some("千代田区"))
        );
        assert_eq!(
            Scope::parse("region:130001").map(|scope| scope.name_ja()),
            Ok(Some("東京都"))
        );
        for bad in [
            "nation:FR",
            "region:131017",
            "region:999999",
            "region:13",
            "planet:earth",
            "JP",
            "organization:x",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad} refused");
        }
        assert_eq!(Scope::of_region("JP").kind, ScopeKind::Nation);
        assert_eq!(Scope::of_region("131016").to_string(), "region:131016");
    }

    #[test]
    fn every_local_government_of_the_table_is_a_region() {
        let prefectures = junkan_model::japan::prefectures();
        assert_eq!(prefectures.len(), 47);
        for code in prefectures
            .iter()
            .map(|prefecture| prefecture.local_government_code.as_str())
            .chain(
                junkan_model::japan::municipalities()
                    .iter()
                    .map(|municipality| municipality.local_government_code.as_str()),
            )
        {
            assert_eq!(check_record_region(code), Ok(()), "{code}");
            assert!(Scope::parse(&format!("region:{code}")).is_ok_and(|scope| scope.name_ja().is_some()));
        }
    }

    #[test]
    fn periods() {
        assert_eq!(
            FiscalYears::parse("2015/2022"),
            Ok(FiscalYears { from: 2015, to: 2022 })
        );
        assert_eq!(FiscalYears::parse("2019"), Ok(FiscalYears { from: 2019, to: 2019 }));
        assert_eq!(
            FiscalYears::parse("2022/2015"),
            Err("the period ends (2015) before it starts (2022)".to_owned())
        );
        for bad in ["", "2015/", "fy2019", "1800/2000", "2015/2022/2023"] {
            assert!(FiscalYears::parse(bad).is_err(), "{bad:?} refused");
        }
    }

    #[test]
    fn material_flow_rules() {
        let good = flow(
            json!({"region": "JP", "fiscal_year": 2000, "kind": "natural_resource_input",
                               "amount": "1912", "unit": "Mt", "source": "1st Fundamental Plan"}),
        );
        assert_eq!(good.check(), Ok(Decimal::from(1912)));
        let balance = flow(json!({"region": "131016", "fiscal_year": 2022, "kind": "DMC",
                                  "amount": -5, "unit": "t", "source": "x"}));
        assert_eq!(balance.check(), Ok(Decimal::from(-5)));
        let bad = flow(json!({"region": "131017", "fiscal_year": 1800, "kind": "circular_use",
                              "amount": -1, "unit": "m3", "source": " ", "source_url": "ftp://x"}));
        assert_eq!(
            paths(bad.check()),
            ["/region", "/fiscal_year", "/amount", "/unit", "/source", "/source_url"]
        );
        let unknown = flow(json!({"region": "JP", "fiscal_year": 2000, "kind": "circular use",
                                  "amount": "lots", "unit": "t", "source": "x"}));
        assert_eq!(paths(unknown.check()), ["/kind", "/amount"]);
        let persons = flow(json!({"region": "JP", "fiscal_year": 2000, "kind": "population",
                                  "amount": 1.5, "unit": "t", "source": "x"}));
        assert_eq!(paths(persons.check()), ["/amount", "/unit"]);
    }

    #[test]
    fn every_flow_kind_is_an_input_of_its_indicator() {
        // A record of each kind, fed alone, is accepted by the indicator's input reader (no
        // "is not an input of this indicator" violation).
        for kind in FLOW_KINDS {
            let input = json!({ kind.name: 1 });
            let refused = match crate::compute(kind.indicator, &input) {
                Ok(_) => Vec::new(),
                Err(crate::ComputeError::Invalid(violations)) => violations,
                Err(other) => panic!("{other}"),
            };
            assert!(
                refused
                    .iter()
                    .all(|violation| !violation.message.contains("is not an input")),
                "{}: {refused:?}",
                kind.name
            );
        }
    }

    #[test]
    fn values_and_targets() {
        let value: NewIndicatorValue = serde_json::from_value(json!({
            "indicator": "jp-material-flow", "scope": "nation:JP", "fiscal_year": 2019, "source": "review",
            "result": {"inlet_circular_use_rate_pct": 15.7, "final_disposal_mt": "13.04", "balance_gap_mt": null}
        }))
        .expect("shape");
        let (scope, methodology) = value.check().expect("valid");
        assert_eq!(scope.to_string(), "nation:JP");
        assert!(methodology.contains("Fundamental Plan"));
        let bad: NewIndicatorValue = serde_json::from_value(json!({
            "indicator": "jp-material-flow", "scope": "nation:JP", "fiscal_year": 2019, "source": "review",
            "result": {"inlet_circular_use_rate_pct": 115.7, "final_disposal_mt": -1, "circularity": 3, "outlet_circular_use_rate_pct": true}
        }))
        .expect("shape");
        assert_eq!(
            paths(bad.check()),
            [
                "/result/circularity",
                "/result/final_disposal_mt",
                "/result/inlet_circular_use_rate_pct",
                "/result/outlet_circular_use_rate_pct"
            ]
        );
        let target: NewIndicatorTarget = serde_json::from_value(json!({
            "indicator": "jp-material-flow", "output": "final_disposal_mt", "scope": "nation:JP",
            "target_fiscal_year": 2030, "target_value": 11, "unit": "Mt", "source": "5th plan",
            "baseline_fiscal_year": 2019, "baseline_value": "13.04"
        }))
        .expect("shape");
        let checked = target.check().expect("valid");
        assert_eq!(checked.direction, Direction::AtMost);
        let bad: NewIndicatorTarget = serde_json::from_value(json!({
            "indicator": "jp-material-flow", "output": "inlet_circular_use_rate_pct", "scope": "region:1",
            "target_fiscal_year": 2030, "target_value": 120, "unit": "Mt", "source": "x",
            "baseline_fiscal_year": 2031
        }))
        .expect("shape");
        assert_eq!(
            paths(bad.check()),
            ["/scope", "/target_value", "/unit", "/baseline_value"]
        );
        for target in japan_national_target_records() {
            assert!(target.check().is_ok(), "{target:?}");
        }
    }
}
