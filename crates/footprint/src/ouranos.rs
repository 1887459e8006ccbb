//! The Ouranos CFP view (`dataTarget=cfp`, `traceability.CfpModel` of the Ouranos data
//! transaction system OpenAPI 3.0.0 in `testdata/ouranos/openapi.yaml`): the four rows a company
//! writes for its part (前処理自社由来 / 製造自社由来 / 前処理部品由来 / 製造部品由来排出量, with the
//! DQR of each stage), the totals rows it reads back, and the response rows a buyer sees of its
//! supplier's part. Field names, enumerations and nullability follow the OpenAPI file exactly.
//!
//! Values are per one unit of measurement (`kgCO2e/kilogram`, `kgCO2e/unit`), with at most five
//! decimals and at most 99999.99999: rows written from the model are rounded up at the sixth
//! decimal, as the API asks of its clients; a write with more decimals is refused.

use junkan_model::ids::FootprintId;
use junkan_model::validation::{Violation, Violations};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::decimal::{fraction_digits, literal, to_json_number};
use crate::model::*;
use crate::reader::Reader;
use crate::rollup::Rollup;

/// Ouranos `cfpType`: which of the CFP rows a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CfpType {
    /// 前処理自社由来排出量 / own pre-processing emissions.
    PreProduction,
    /// 製造自社由来排出量 / own main-production emissions.
    MainProduction,
    /// 前処理部品由来排出量 / component pre-processing emissions.
    PreComponent,
    /// 製造部品由来排出量 / component main-production emissions.
    MainComponent,
    /// 前処理自社由来排出量（合計）.
    PreProductionTotal,
    /// 主な製造自社由来排出量（合計）.
    MainProductionTotal,
    /// 前処理部品由来排出量（合計）.
    PreComponentTotal,
    /// 主な製造部品由来排出量（合計）.
    MainComponentTotal,
    /// 前処理部品由来排出量（回答）/ the supplier's answer, pre-processing.
    PreProductionResponse,
    /// 主な製造部品由来排出量（回答）/ the supplier's answer, main production.
    MainProductionResponse,
}

impl CfpType {
    /// Every type, in the OpenAPI file's order.
    pub const ALL: [CfpType; 10] = [
        CfpType::PreProduction,
        CfpType::MainProduction,
        CfpType::PreComponent,
        CfpType::MainComponent,
        CfpType::PreProductionTotal,
        CfpType::MainProductionTotal,
        CfpType::PreComponentTotal,
        CfpType::MainComponentTotal,
        CfpType::PreProductionResponse,
        CfpType::MainProductionResponse,
    ];
    /// The four types a write carries.
    pub const WRITTEN: [CfpType; 4] = [
        CfpType::PreProduction,
        CfpType::MainProduction,
        CfpType::PreComponent,
        CfpType::MainComponent,
    ];

    /// The Ouranos text.
    pub fn as_str(self) -> &'static str {
        match self {
            CfpType::PreProduction => "preProduction",
            CfpType::MainProduction => "mainProduction",
            CfpType::PreComponent => "preComponent",
            CfpType::MainComponent => "mainComponent",
            CfpType::PreProductionTotal => "preProductionTotal",
            CfpType::MainProductionTotal => "mainProductionTotal",
            CfpType::PreComponentTotal => "preComponentTotal",
            CfpType::MainComponentTotal => "mainComponentTotal",
            CfpType::PreProductionResponse => "preProductionResponse",
            CfpType::MainProductionResponse => "mainProductionResponse",
        }
    }

    /// Parses the Ouranos text.
    pub fn parse(text: &str) -> Option<CfpType> {
        CfpType::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The `dqrType` that goes with this row.
    pub fn dqr_type(self) -> DqrType {
        match self {
            CfpType::PreProduction | CfpType::PreComponent => DqrType::PreProcessing,
            CfpType::MainProduction | CfpType::MainComponent => DqrType::MainProcessing,
            CfpType::PreProductionTotal | CfpType::PreComponentTotal => DqrType::PreProcessingTotal,
            CfpType::MainProductionTotal | CfpType::MainComponentTotal => DqrType::MainProcessingTotal,
            CfpType::PreProductionResponse => DqrType::PreProcessingResponse,
            CfpType::MainProductionResponse => DqrType::MainProcessingResponse,
        }
    }
}

/// Ouranos `dqrType`: the stage a DQR belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DqrType {
    /// 前処理工程.
    PreProcessing,
    /// 製造工程.
    MainProcessing,
    /// 前処理工程の合計.
    PreProcessingTotal,
    /// 製造工程の合計.
    MainProcessingTotal,
    /// 川上の前処理工程.
    PreProcessingResponse,
    /// 川上の製造工程.
    MainProcessingResponse,
}

impl DqrType {
    /// Every type, in the OpenAPI file's order.
    pub const ALL: [DqrType; 6] = [
        DqrType::PreProcessing,
        DqrType::MainProcessing,
        DqrType::PreProcessingTotal,
        DqrType::MainProcessingTotal,
        DqrType::PreProcessingResponse,
        DqrType::MainProcessingResponse,
    ];

    /// The Ouranos text.
    pub fn as_str(self) -> &'static str {
        match self {
            DqrType::PreProcessing => "preProcessing",
            DqrType::MainProcessing => "mainProcessing",
            DqrType::PreProcessingTotal => "preProcessingTotal",
            DqrType::MainProcessingTotal => "mainProcessingTotal",
            DqrType::PreProcessingResponse => "preProcessingResponse",
            DqrType::MainProcessingResponse => "mainProcessingResponse",
        }
    }

    /// Parses the Ouranos text.
    pub fn parse(text: &str) -> Option<DqrType> {
        DqrType::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// The Ouranos `ghgDeclaredUnit` of a unit (`kgCO2e/kilogram`); `None` for units Ouranos lacks.
pub fn ghg_declared_unit(unit: DeclaredUnit) -> Option<String> {
    unit.ouranos_name().map(|name| format!("kgCO2e/{name}"))
}

/// Parses an Ouranos `ghgDeclaredUnit`.
pub fn parse_ghg_declared_unit(text: &str) -> Option<DeclaredUnit> {
    text.strip_prefix("kgCO2e/").and_then(DeclaredUnit::from_ouranos_name)
}

/// One `CfpModel` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfpRow {
    /// `cfpId` (null when creating, and in response rows).
    pub cfp_id: Option<Uuid>,
    /// `traceId`: the part.
    pub trace_id: Uuid,
    /// `ghgEmission`, kgCO2e per unit (null when the supplier withholds it).
    pub ghg_emission: Option<Decimal>,
    /// `ghgDeclaredUnit`.
    pub unit: DeclaredUnit,
    /// `cfpType`.
    pub cfp_type: CfpType,
    /// `dqrType`.
    pub dqr_type: DqrType,
    /// `dqrValue` (`TeR`, `GeR`, `TiR`, each nullable).
    pub dqr_value: StageRatings,
}

impl CfpRow {
    /// The row as Ouranos JSON.
    pub fn to_json(&self) -> Value {
        let number = |value: Option<Decimal>| value.map_or(Value::Null, to_json_number);
        json!({
            "cfpId": self.cfp_id.map(|id| id.to_string()),
            "traceId": self.trace_id.to_string(),
            "ghgEmission": number(self.ghg_emission),
            "ghgDeclaredUnit": ghg_declared_unit(self.unit),
            "cfpType": self.cfp_type.as_str(),
            "dqrType": self.dqr_type.as_str(),
            "dqrValue": {
                "TeR": number(self.dqr_value.technological),
                "GeR": number(self.dqr_value.geographical),
                "TiR": number(self.dqr_value.temporal),
            },
        })
    }
}

/// A checked CFP write (`PUT /api/v1/datatransport?dataTarget=cfp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfpWrite {
    /// The CFP to update; `None` creates one.
    pub cfp_id: Option<Uuid>,
    /// The part.
    pub trace_id: Uuid,
    /// The unit of the values.
    pub unit: DeclaredUnit,
    /// The four rows with their stage DQRs, per one unit.
    pub stages: StageBreakdown,
}

fn ouranos_maximum() -> Decimal {
    literal("99999.99999")
}

/// Reads a CFP write: exactly the four rows preProduction, mainProduction, preComponent and
/// mainComponent, once each, with the same `cfpId`, `traceId` and `ghgDeclaredUnit`, each with
/// the `dqrType` of its stage, and the same `dqrValue` on both rows of a stage. Every problem is
/// reported with its pointer (`/2/cfpType`).
pub fn parse_write(body: &Value) -> Result<CfpWrite, Vec<Violation>> {
    let mut violations = Violations::new();
    let Some(items) = body.as_array() else {
        return Err(vec![Violation::new("", "must be an array of four CfpModel rows")]);
    };
    if items.len() != 4 {
        violations.push(
            "",
            format!(
                "must have exactly four rows (preProduction, mainProduction, preComponent, mainComponent), got {}",
                items.len()
            ),
        );
    }
    let mut rows: Vec<(usize, CfpRow)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if let Some(row) = read_row(item, &format!("/{index}"), &mut violations) {
            rows.push((index, row));
        }
    }
    let mut seen: Vec<CfpType> = Vec::new();
    for (index, row) in &rows {
        if !CfpType::WRITTEN.contains(&row.cfp_type) {
            violations.push(
                format!("/{index}/cfpType"),
                format!(
                    "{} cannot be written; a write has preProduction, mainProduction, preComponent and mainComponent",
                    row.cfp_type.as_str()
                ),
            );
        } else if seen.contains(&row.cfp_type) {
            violations.push(
                format!("/{index}/cfpType"),
                format!("{} is given twice", row.cfp_type.as_str()),
            );
        } else {
            seen.push(row.cfp_type);
        }
        if row.dqr_type != row.cfp_type.dqr_type() {
            violations.push(
                format!("/{index}/dqrType"),
                format!(
                    "must be {} for {}",
                    row.cfp_type.dqr_type().as_str(),
                    row.cfp_type.as_str()
                ),
            );
        }
        if row.ghg_emission.is_none() {
            violations.push(
                format!("/{index}/ghgEmission"),
                "must be a number (0 when there is nothing to register)",
            );
        }
    }
    let missing: Vec<&str> = CfpType::WRITTEN
        .iter()
        .filter(|kind| !seen.contains(kind))
        .map(|kind| kind.as_str())
        .collect();
    if !missing.is_empty() && items.len() == 4 && rows.len() == 4 {
        violations.push("", format!("is missing the rows {}", missing.join(", ")));
    }
    if let Some((_, first)) = rows.first() {
        for (index, row) in &rows[1..] {
            if row.cfp_id != first.cfp_id {
                violations.push(format!("/{index}/cfpId"), "must be the same in every row");
            }
            if row.trace_id != first.trace_id {
                violations.push(format!("/{index}/traceId"), "must be the same in every row");
            }
            if row.unit != first.unit {
                violations.push(format!("/{index}/ghgDeclaredUnit"), "must be the same in every row");
            }
        }
        for dqr_type in [DqrType::PreProcessing, DqrType::MainProcessing] {
            let mut stage_rows = rows
                .iter()
                .filter(|(_, row)| row.dqr_type == dqr_type && row.cfp_type.dqr_type() == dqr_type);
            if let Some((_, reference)) = stage_rows.next() {
                for (index, row) in stage_rows {
                    if row.dqr_value != reference.dqr_value {
                        violations.push(
                            format!("/{index}/dqrValue"),
                            format!("must equal the other {} row's", dqr_type.as_str()),
                        );
                    }
                }
            }
        }
    }
    violations.into_result()?;
    let value = |kind: CfpType| {
        rows.iter()
            .find(|(_, row)| row.cfp_type == kind)
            .expect("all four rows were checked")
            .1
            .clone()
    };
    let (pre, main, pre_component, main_component) = (
        value(CfpType::PreProduction),
        value(CfpType::MainProduction),
        value(CfpType::PreComponent),
        value(CfpType::MainComponent),
    );
    Ok(CfpWrite {
        cfp_id: pre.cfp_id,
        trace_id: pre.trace_id,
        unit: pre.unit,
        stages: StageBreakdown {
            pre_production: StageEmissions {
                own: pre.ghg_emission.unwrap_or_default(),
                components: pre_component.ghg_emission.unwrap_or_default(),
                ratings: pre.dqr_value,
            },
            main_production: StageEmissions {
                own: main.ghg_emission.unwrap_or_default(),
                components: main_component.ghg_emission.unwrap_or_default(),
                ratings: main.dqr_value,
            },
        },
    })
}

/// A nullable Ouranos number with at most five decimals, 0 to 99999.99999.
fn nullable_number(reader: &Reader<'_>, key: &str, violations: &mut Violations) -> Option<Option<Decimal>> {
    match reader.raw(key, true, violations)? {
        Value::Null => Some(None),
        _ => {
            let value = reader.number(key, Decimal::ZERO, ouranos_maximum(), true, violations)?;
            if fraction_digits(value) > 5 {
                violations.push(reader.at(key), "must have at most five decimals (round the sixth up)");
                return None;
            }
            Some(Some(value))
        }
    }
}

fn read_row(item: &Value, pointer: &str, violations: &mut Violations) -> Option<CfpRow> {
    let row = Reader::new(item, pointer, violations)?;
    let cfp_id = match row.raw("cfpId", true, violations) {
        Some(Value::Null) => Some(None),
        Some(_) => row.uuid("cfpId", true, violations).map(Some),
        None => None,
    };
    let trace_id = row.uuid("traceId", true, violations);
    let ghg_emission = nullable_number(&row, "ghgEmission", violations);
    let units: Vec<String> = DeclaredUnit::ALL.into_iter().filter_map(ghg_declared_unit).collect();
    let unit_names: Vec<&str> = units.iter().map(String::as_str).collect();
    let unit = row
        .one_of("ghgDeclaredUnit", &unit_names, true, violations)
        .and_then(|text| parse_ghg_declared_unit(&text));
    let cfp_type = row
        .one_of("cfpType", &CfpType::ALL.map(CfpType::as_str), true, violations)
        .and_then(|text| CfpType::parse(&text));
    let dqr_type = row
        .one_of("dqrType", &DqrType::ALL.map(DqrType::as_str), true, violations)
        .and_then(|text| DqrType::parse(&text));
    let dqr_value = row
        .raw("dqrValue", true, violations)
        .and_then(|value| Reader::new(value, &row.at("dqrValue"), violations))
        .and_then(|dqr| {
            let technological = nullable_number(&dqr, "TeR", violations);
            let geographical = nullable_number(&dqr, "GeR", violations);
            let temporal = nullable_number(&dqr, "TiR", violations);
            Some(StageRatings {
                technological: technological?,
                geographical: geographical?,
                temporal: temporal?,
            })
        });
    Some(CfpRow {
        cfp_id: cfp_id?,
        trace_id: trace_id?,
        ghg_emission: ghg_emission?,
        unit: unit?,
        cfp_type: cfp_type?,
        dqr_type: dqr_type?,
        dqr_value: dqr_value?,
    })
}

/// Rounds up at the sixth decimal, as Ouranos asks (第6位を切り上げ).
fn ouranos_value(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(5, RoundingStrategy::ToPositiveInfinity)
        .normalize()
}

fn check_unit(unit: DeclaredUnit, violations: &mut Violations) {
    if unit.ouranos_name().is_none() {
        violations.push(
            "/pcf/declaredUnitOfMeasurement",
            format!("Ouranos has no unit for {unit}"),
        );
    }
}

fn check_range(values: &[(CfpType, Decimal)], violations: &mut Violations) {
    for (kind, value) in values {
        if *value < Decimal::ZERO || *value > ouranos_maximum() {
            violations.push(
                format!("/{}", kind.as_str()),
                format!("{value} is outside Ouranos' range 0 to 99999.99999"),
            );
        }
    }
}

/// The four rows of a footprint as its owner reads them, per one unit of measurement. Refused when
/// the footprint has no stage split, a unit Ouranos lacks, or values beyond Ouranos' range.
pub fn rows(footprint: &Footprint, trace_id: Uuid, cfp_id: Uuid) -> Result<Vec<CfpRow>, Vec<Violation>> {
    let mut violations = Violations::new();
    let pcf = &footprint.pcf;
    check_unit(pcf.declared_unit, &mut violations);
    let Some(stages) = &pcf.stages else {
        violations.push(
            "/pcf/stages",
            "the footprint has no Ouranos stage split (it was imported from PACT)",
        );
        return Err(violations.into_result().expect_err("a violation was recorded"));
    };
    let per_unit = |value: Decimal| ouranos_value(value / pcf.declared_unit_amount);
    let values = [
        (CfpType::PreProduction, per_unit(stages.pre_production.own)),
        (CfpType::MainProduction, per_unit(stages.main_production.own)),
        (CfpType::PreComponent, per_unit(stages.pre_production.components)),
        (CfpType::MainComponent, per_unit(stages.main_production.components)),
    ];
    check_range(&values, &mut violations);
    violations.into_result()?;
    Ok(values
        .into_iter()
        .map(|(cfp_type, value)| CfpRow {
            cfp_id: Some(cfp_id),
            trace_id,
            ghg_emission: Some(value),
            unit: pcf.declared_unit,
            cfp_type,
            dqr_type: cfp_type.dqr_type(),
            dqr_value: if cfp_type.dqr_type() == DqrType::PreProcessing {
                stages.pre_production.ratings.clone()
            } else {
                stages.main_production.ratings.clone()
            },
        })
        .collect())
}

fn weighted(rollup: &Rollup) -> StageRatings {
    StageRatings {
        technological: rollup.ratings.technological.map(ouranos_value),
        geographical: rollup.ratings.geographical.map(ouranos_value),
        temporal: rollup.ratings.temporal.map(ouranos_value),
    }
}

/// The totals rows (`preProductionTotal` ...) of a rolled-up part: own rows as written, component
/// rows with every linked supplier's answer times its required amount. The DQR of both stages is
/// the emission-weighted mean of the whole roll-up. Refused when part of the roll-up has no stage
/// split (footprints imported from PACT), which Ouranos cannot show.
pub fn total_rows(rollup: &Rollup, trace_id: Uuid, cfp_id: Uuid) -> Result<Vec<CfpRow>, Vec<Violation>> {
    let mut violations = Violations::new();
    let Some(unit) = rollup.unit else {
        return Err(vec![Violation::new("", "the part has no footprint of its own yet")]);
    };
    check_unit(unit, &mut violations);
    if rollup.stages.unstaged != Decimal::ZERO {
        violations.push(
            "/unstaged",
            format!(
                "{} kgCO2e come from footprints without a stage split",
                rollup.stages.unstaged
            ),
        );
    }
    let stages = &rollup.stages;
    let values = [
        (CfpType::PreProductionTotal, ouranos_value(stages.pre_production_own)),
        (CfpType::MainProductionTotal, ouranos_value(stages.main_production_own)),
        (
            CfpType::PreComponentTotal,
            ouranos_value(stages.pre_production_components),
        ),
        (
            CfpType::MainComponentTotal,
            ouranos_value(stages.main_production_components),
        ),
    ];
    check_range(&values, &mut violations);
    violations.into_result()?;
    let ratings = weighted(rollup);
    Ok(values
        .into_iter()
        .map(|(cfp_type, value)| CfpRow {
            cfp_id: Some(cfp_id),
            trace_id,
            ghg_emission: Some(value),
            unit,
            cfp_type,
            dqr_type: cfp_type.dqr_type(),
            dqr_value: ratings.clone(),
        })
        .collect())
}

/// What a buyer is shown of its supplier's part (`preProductionResponse`,
/// `mainProductionResponse`, `cfpId` null): the supplier's rolled-up totals per stage, or nulls
/// where the supplier withholds the values or the ratings (the OpenAPI examples `requestCfpNull`
/// and `requestDqrNull`). `trace_id` is the buyer's own part linked to the supplier's.
pub fn response_rows(
    rollup: &Rollup,
    trace_id: Uuid,
    disclose_emissions: bool,
    disclose_ratings: bool,
) -> Result<Vec<CfpRow>, Vec<Violation>> {
    let mut violations = Violations::new();
    let Some(unit) = rollup.unit else {
        return Err(vec![Violation::new("", "the supplier's part has no footprint yet")]);
    };
    check_unit(unit, &mut violations);
    if rollup.stages.unstaged != Decimal::ZERO && disclose_emissions {
        violations.push(
            "/unstaged",
            format!(
                "{} kgCO2e come from footprints without a stage split",
                rollup.stages.unstaged
            ),
        );
    }
    let stages = &rollup.stages;
    let values = [
        (
            CfpType::PreProductionResponse,
            ouranos_value(stages.pre_production_own + stages.pre_production_components),
        ),
        (
            CfpType::MainProductionResponse,
            ouranos_value(stages.main_production_own + stages.main_production_components),
        ),
    ];
    if disclose_emissions {
        check_range(&values, &mut violations);
    }
    violations.into_result()?;
    let ratings = if disclose_ratings {
        weighted(rollup)
    } else {
        StageRatings::default()
    };
    Ok(values
        .into_iter()
        .map(|(cfp_type, value)| CfpRow {
            cfp_id: None,
            trace_id,
            ghg_emission: disclose_emissions.then_some(value),
            unit,
            cfp_type,
            dqr_type: cfp_type.dqr_type(),
            dqr_value: ratings.clone(),
        })
        .collect())
}

/// What a footprint needs beyond the four rows, which an Ouranos write does not carry: who made
/// the part and the PACT-required facts of the calculation. The storage layer fills it from the
/// operator, plant and part records and the company's calculation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FootprintContext {
    /// The new footprint's id.
    pub id: FootprintId,
    /// When it is created.
    pub created: OffsetDateTime,
    /// 事業者名.
    pub company_name: String,
    /// Company URNs (e.g. `urn:jp:houjin-bangou:...`).
    pub company_ids: Vec<String>,
    /// Product URNs (e.g. `urn:ouranos:trace-id:<traceId>`).
    pub product_ids: Vec<String>,
    /// 部品名称.
    pub product_name_company: String,
    /// 製品説明.
    pub product_description: String,
    /// 算定対象期間.
    pub reference_period_start: OffsetDateTime,
    /// End (exclusive) of the reference period.
    pub reference_period_end: OffsetDateTime,
    /// Geography (e.g. the plant's country).
    pub geography: Geography,
    /// Fossil share of the emissions per unit (kgCO2e); Ouranos does not split it.
    pub fossil_ghg_emissions: Decimal,
    /// Fossil carbon content per unit (kgC).
    pub fossil_carbon_content: Decimal,
    /// Mass per unit in kg (0 when not relevant).
    pub product_mass_per_declared_unit: Decimal,
    /// IPCC reports of the characterization factors (`AR6`).
    pub ipcc_characterization_factors: Vec<String>,
    /// Standards followed (`ISO14067`, ...).
    pub cross_sectoral_standards: Vec<String>,
    /// Share of exempted emissions, percent.
    pub exempted_emissions_percent: Decimal,
}

/// The model footprint of an Ouranos write: the four rows become the stage split (declared unit
/// amount 1, as Ouranos values are per unit), their sum the PCF. Checked with
/// [`Footprint::validate`].
///
/// 一次データ比率 / primary data share: the own rows (自社由来, preProduction and mainProduction)
/// are the company's own process data, which PACT counts as primary data; the component rows a
/// company types in (部品由来) are taken as secondary data, since what suppliers answer through
/// trades reaches the roll-up through their own footprints instead. The share is the own rows'
/// part of the total in percent (six decimals), none when the total is zero.
pub fn footprint_from_write(write: &CfpWrite, context: FootprintContext) -> Result<Footprint, Vec<Violation>> {
    let total = write.stages.total();
    let own = write.stages.pre_production.own + write.stages.main_production.own;
    let primary_data_share =
        (total > Decimal::ZERO).then(|| (own * Decimal::ONE_HUNDRED / total).round_dp(6).normalize());
    let footprint = Footprint {
        id: context.id,
        preceding_ids: Vec::new(),
        created: context.created,
        updated: None,
        status: FootprintStatus::Active,
        status_comment: None,
        validity_period_start: None,
        validity_period_end: None,
        company_name: context.company_name,
        company_ids: context.company_ids,
        product_description: context.product_description,
        product_ids: context.product_ids,
        product_classifications: Vec::new(),
        product_category_cpc: None,
        product_name_company: context.product_name_company,
        comment: None,
        pcf: CarbonFootprint {
            declared_unit: write.unit,
            declared_unit_amount: Decimal::ONE,
            product_mass_per_declared_unit: Some(context.product_mass_per_declared_unit),
            reference_period_start: context.reference_period_start,
            reference_period_end: context.reference_period_end,
            geography: context.geography,
            boundary_processes_description: None,
            pcf_excluding_biogenic_uptake: total,
            pcf_including_biogenic_uptake: Some(total),
            fossil_ghg_emissions: context.fossil_ghg_emissions,
            fossil_carbon_content: context.fossil_carbon_content,
            biogenic_carbon_content: None,
            recycled_carbon_content: None,
            land_use_change_ghg_emissions: None,
            land_carbon_leakage: None,
            land_management_fossil_ghg_emissions: None,
            land_management_biogenic_co2_emissions: None,
            land_management_biogenic_co2_removals: None,
            biogenic_co2_uptake: None,
            biogenic_non_co2_emissions: None,
            land_management_ghg_emissions: None,
            land_area_occupation: None,
            aircraft_ghg_emissions: None,
            packaging_emissions_included: None,
            packaging_ghg_emissions: None,
            packaging_biogenic_carbon_content: None,
            outbound_logistics_ghg_emissions: None,
            technological_co2_capture_origin: None,
            technological_co2_removals: None,
            ccs_technological_co2_capture_included: None,
            ccs_technological_co2_capture: None,
            ccu_carbon_content: None,
            ccu_calculation_approach: None,
            ccu_credit_certification: None,
            ipcc_characterization_factors: context.ipcc_characterization_factors,
            cross_sectoral_standards: context.cross_sectoral_standards,
            product_or_sector_specific_rules: Vec::new(),
            biogenic_accounting_methodology: None,
            secondary_emission_factor_sources: Vec::new(),
            exempted_emissions_percent: context.exempted_emissions_percent,
            exempted_emissions_description: None,
            allocation_rules_description: None,
            uncertainty_assessment_description: None,
            primary_data_share,
            dqi: None,
            verification: None,
            stages: Some(write.stages.clone()),
        },
        extensions: Vec::new(),
    };
    footprint.validate()?;
    Ok(footprint)
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};
    use time::macros::datetime;

    use super::*;
    use crate::rollup::{rollup, Component, Part, PartFootprint, SupplyGraph};

    const TRACE: &str = "d9a38406-cae2-4679-b052-15a75f5531f6";

    /// The `create` example of `PUT /api/v1/datatransport?dataTarget=cfp` in the OpenAPI file.
    fn create_example() -> Value {
        let row = |cfp_type: &str, dqr_type: &str, emission: Value, ratings: [Value; 3]| {
            json!({
                "cfpId": null, "traceId": TRACE, "ghgEmission": emission, "ghgDeclaredUnit": "kgCO2e/kilogram",
                "cfpType": cfp_type, "dqrType": dqr_type,
                "dqrValue": {"TeR": ratings[0], "GeR": ratings[1], "TiR": ratings[2]},
            })
        };
        json!([
            row(
                "preProduction",
                "preProcessing",
                json!(1.5),
                [json!(2.1), json!(2.2), json!(2.3)]
            ),
            row(
                "mainProduction",
                "mainProcessing",
                json!(0.5),
                [json!(3.1), json!(3.2), json!(3.3)]
            ),
            row(
                "preComponent",
                "preProcessing",
                json!(0),
                [json!(2.1), json!(2.2), json!(2.3)]
            ),
            row(
                "mainComponent",
                "mainProcessing",
                json!(0),
                [json!(3.1), json!(3.2), json!(3.3)]
            ),
        ])
    }

    fn check(body: &Value, expected: Expect) {
        let report = match parse_write(body) {
            Ok(_) => "ok".to_owned(),
            Err(violations) => violations
                .iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        expected.assert_eq(&report);
    }

    fn context() -> FootprintContext {
        FootprintContext {
            id: FootprintId::derived("ouranos"),
            created: datetime!(2025-04-01 00:00 UTC),
            company_name: "A社".to_owned(),
            company_ids: vec!["urn:jp:houjin-bangou:1234567890123".to_owned()],
            product_ids: vec![format!("urn:ouranos:trace-id:{TRACE}")],
            product_name_company: "PartsA".to_owned(),
            product_description: String::new(),
            reference_period_start: datetime!(2024-01-01 00:00 UTC),
            reference_period_end: datetime!(2025-01-01 00:00 UTC),
            geography: Geography::Country("JP".to_owned()),
            fossil_ghg_emissions: literal("2"),
            fossil_carbon_content: literal("0"),
            product_mass_per_declared_unit: literal("1"),
            ipcc_characterization_factors: vec!["AR6".to_owned()],
            cross_sectoral_standards: vec!["ISO14067".to_owned()],
            exempted_emissions_percent: literal("0"),
        }
    }

    #[test]
    fn own_rows_are_the_primary_data_share_of_a_write() {
        let share = |values: [Value; 4]| {
            let mut body = create_example();
            for (row, value) in body.as_array_mut().expect("rows").iter_mut().zip(values) {
                row["ghgEmission"] = value;
            }
            let write = parse_write(&body).expect("accepted");
            footprint_from_write(&write, context())
                .expect("valid")
                .pcf
                .primary_data_share
                .map(|share| share.to_string())
        };
        // Own 1.5 + 0.5 of 2: all primary.
        assert_eq!(
            share([json!(1.5), json!(0.5), json!(0), json!(0)]),
            Some("100".to_owned())
        );
        // Own 1 of 4 (typed component rows 2 + 1 are secondary).
        assert_eq!(share([json!(0), json!(1), json!(2), json!(1)]), Some("25".to_owned()));
        // Own 1 of 3, to six decimals.
        assert_eq!(
            share([json!(1), json!(0), json!(2), json!(0)]),
            Some("33.333333".to_owned())
        );
        // Nothing emitted: no share.
        assert_eq!(share([json!(0), json!(0), json!(0), json!(0)]), None);
    }

    #[test]
    fn the_openapi_create_example_is_accepted_and_answered_in_shape() {
        let write = parse_write(&create_example()).expect("accepted");
        assert_eq!(write.cfp_id, None);
        assert_eq!(write.unit, DeclaredUnit::Kilogram);
        assert_eq!(write.stages.pre_production.own, literal("1.5"));
        assert_eq!(write.stages.main_production.own, literal("0.5"));
        assert_eq!(write.stages.main_production.ratings.temporal, Some(literal("3.3")));
        let footprint = footprint_from_write(&write, context()).expect("valid footprint");
        assert_eq!(footprint.pcf.pcf_excluding_biogenic_uptake, literal("2.0"));
        let cfp_id = Uuid::parse_str("d9a38406-cae2-4679-b052-15a75f5531c5").expect("uuid");
        let answer: Vec<Value> = rows(&footprint, write.trace_id, cfp_id)
            .expect("rows")
            .iter()
            .map(CfpRow::to_json)
            .collect();
        let mut expected = create_example();
        for row in expected.as_array_mut().expect("array") {
            row["cfpId"] = json!(cfp_id.to_string());
        }
        assert_eq!(
            Value::Array(answer),
            expected,
            "the 201 answer is the request with the issued cfpId"
        );
    }

    #[test]
    fn a_write_with_three_rows_or_a_repeated_type_is_refused() {
        let mut three = create_example();
        three.as_array_mut().expect("array").pop();
        check(
            &three,
            expect![
                "\
                : must have exactly four rows (preProduction, mainProduction, preComponent, mainComponent), got 3"
            ],
        );
        let mut repeated = create_example();
        repeated[3]["cfpType"] = json!("preComponent");
        repeated[3]["dqrType"] = json!("preProcessing");
        repeated[3]["dqrValue"] = json!({"TeR": 2.1, "GeR": 2.2, "TiR": 2.3});
        check(
            &repeated,
            expect![[r#"
                /3/cfpType: preComponent is given twice
                : is missing the rows mainComponent"#]],
        );
        let mut total = create_example();
        total[0]["cfpType"] = json!("preProductionTotal");
        total[0]["dqrType"] = json!("preProcessingTotal");
        check(
            &total,
            expect![[r#"
                /0/cfpType: preProductionTotal cannot be written; a write has preProduction, mainProduction, preComponent and mainComponent
                : is missing the rows preProduction"#]],
        );
    }

    #[test]
    fn every_row_problem_is_reported_with_its_pointer() {
        let mut body = create_example();
        body[3]["ghgEmission"] = json!(1.123456);
        body[1]["ghgEmission"] = json!(null);
        body[1]["traceId"] = json!("d9a38406-cae2-4679-b052-15a75f5531f7");
        body[2]["ghgEmission"] = json!(100000);
        body[2]["dqrType"] = json!("mainProcessing");
        body[3]["ghgDeclaredUnit"] = json!("kgCO2e/unit");
        body[3]["dqrValue"]["TiR"] = json!(-1);
        body[3]["cfpId"] = json!("urn:uuid:d9a38406-cae2-4679-b052-15a75f5531c5");
        check(
            &body,
            expect![[r#"
                /2/ghgEmission: must be between 0 and 99999.99999, got 100000
                /3/cfpId: "urn:uuid:d9a38406-cae2-4679-b052-15a75f5531c5" is not a UUID such as "f4b1225a-bd44-4c8e-861d-079e4e1dfd69"
                /3/ghgEmission: must have at most five decimals (round the sixth up)
                /3/dqrValue/TiR: must be between 0 and 99999.99999, got -1
                /1/ghgEmission: must be a number (0 when there is nothing to register)
                /1/traceId: must be the same in every row"#]],
        );
        check(
            &json!({"cfpId": null}),
            expect![": must be an array of four CfpModel rows"],
        );
        let mut ratings = create_example();
        ratings[2]["dqrValue"]["TeR"] = json!(9);
        ratings[2]["dqrType"] = json!("mainProcessing");
        check(&ratings, expect!["/2/dqrType: must be preProcessing for preComponent"]);
        let mut differing = create_example();
        differing[2]["dqrValue"]["TeR"] = json!(9);
        check(
            &differing,
            expect!["/2/dqrValue: must equal the other preProcessing row's"],
        );
    }

    fn supplier_rollup(share_ratings: bool) -> Rollup {
        let write = parse_write(&create_example()).expect("accepted");
        let supplier = footprint_from_write(&write, context()).expect("valid");
        let mut buyer_footprint = PartFootprint::from(&supplier);
        buyer_footprint.unit = DeclaredUnit::Piece;
        if !share_ratings {
            buyer_footprint.stages.as_mut().expect("stages").pre_production.ratings = StageRatings::default();
        }
        let parts = vec![
            Part {
                id: "buyer".to_owned(),
                organization: "B".to_owned(),
                footprint: Some(buyer_footprint),
                components: vec![Component {
                    part: "supplier".to_owned(),
                    amount: literal("3"),
                    unit: DeclaredUnit::Kilogram,
                }],
            },
            Part {
                id: "supplier".to_owned(),
                organization: "A".to_owned(),
                footprint: Some(PartFootprint::from(&supplier)),
                components: Vec::new(),
            },
        ];
        rollup(&SupplyGraph::new(parts).expect("graph"), "buyer").expect("rolls up")
    }

    #[test]
    fn totals_add_the_suppliers_answers_times_their_amounts() {
        let result = supplier_rollup(true);
        let trace = Uuid::parse_str(TRACE).expect("uuid");
        let totals: Vec<Value> = total_rows(&result, trace, trace)
            .expect("rows")
            .iter()
            .map(CfpRow::to_json)
            .collect();
        let summary: Vec<String> = totals
            .iter()
            .map(|row| format!("{} {} {}", row["cfpType"], row["ghgEmission"], row["dqrType"]))
            .collect();
        // Own 1.5 + 0.5; components 3 kg × (1.5 pre, 0.5 main).
        assert_eq!(
            summary,
            vec![
                "\"preProductionTotal\" 1.5 \"preProcessingTotal\"",
                "\"mainProductionTotal\" 0.5 \"mainProcessingTotal\"",
                "\"preComponentTotal\" 4.5 \"preProcessingTotal\"",
                "\"mainComponentTotal\" 1.5 \"mainProcessingTotal\"",
            ]
        );
        assert_eq!(totals[0]["ghgDeclaredUnit"], "kgCO2e/unit");
        // TeR: (1.5 × 2.1 + 0.5 × 3.1) × 4 / 8 = 2.35.
        assert_eq!(totals[0]["dqrValue"]["TeR"], json!(2.35));
    }

    #[test]
    fn responses_show_the_supplier_total_or_nulls() {
        let result = supplier_rollup(true);
        let trace = Uuid::parse_str(TRACE).expect("uuid");
        let shown = response_rows(&result, trace, true, true).expect("rows");
        assert_eq!(shown[0].to_json()["ghgEmission"], json!(6), "1.5 + 4.5");
        assert_eq!(shown[1].to_json()["ghgEmission"], json!(2));
        assert_eq!(shown[0].to_json()["cfpId"], Value::Null);
        let withheld = response_rows(&result, trace, false, false).expect("rows");
        let json = withheld[1].to_json();
        assert_eq!(json["cfpType"], "mainProductionResponse");
        assert_eq!(json["dqrType"], "mainProcessingResponse");
        assert_eq!(json["ghgEmission"], Value::Null);
        assert_eq!(json["dqrValue"], json!({"TeR": null, "GeR": null, "TiR": null}));
        let partial = supplier_rollup(false);
        assert!(
            partial.ratings.technological.is_some(),
            "main-stage ratings still weigh in"
        );
    }

    #[test]
    fn rows_round_up_at_the_sixth_decimal_and_refuse_missing_stages() {
        let write = parse_write(&create_example()).expect("accepted");
        let mut footprint = footprint_from_write(&write, context()).expect("valid");
        footprint.pcf.declared_unit_amount = literal("3");
        let trace = Uuid::parse_str(TRACE).expect("uuid");
        let rows = rows(&footprint, trace, trace).expect("rows");
        assert_eq!(rows[0].ghg_emission, Some(literal("0.5")));
        assert_eq!(
            rows[1].ghg_emission,
            Some(literal("0.16667")),
            "0.5 / 3 = 0.1666…, rounded up"
        );
        footprint.pcf.stages = None;
        footprint.pcf.declared_unit = DeclaredUnit::Hour;
        let violations = super::rows(&footprint, trace, trace).expect_err("refused");
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].path, "/pcf/declaredUnitOfMeasurement");
    }

    #[test]
    fn units_map_both_ways() {
        for unit in DeclaredUnit::ALL {
            if let Some(text) = ghg_declared_unit(unit) {
                assert_eq!(parse_ghg_declared_unit(&text), Some(unit));
            }
        }
        assert_eq!(ghg_declared_unit(DeclaredUnit::Piece).as_deref(), Some("kgCO2e/unit"));
        assert_eq!(
            ghg_declared_unit(DeclaredUnit::CubicMeter).as_deref(),
            Some("kgCO2e/cubic-meter")
        );
        assert_eq!(parse_ghg_declared_unit("kgCO2e/gram"), None);
    }
}
