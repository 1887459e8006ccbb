//! The one footprint model (製品カーボンフットプリント / product carbon footprint), stored once; PACT
//! and Ouranos are views of it ([`crate::pact`], [`crate::ouranos`]).
//!
//! Conventions:
//! - Every emission and carbon-content value is an exact decimal **per declared unit**, where the
//!   declared unit is `declared_unit_amount` × `declared_unit` (the PACT v3 meaning; a 12 liter
//!   bottle has amount 12 and values per bottle). [`Footprint::per_unit_of_measurement`] gives the
//!   intensity per one liter, kilogram, ... (the PACT v2 and Ouranos meaning).
//! - Field names of the JSON form are PACT v3's where the concept is the same, and the JSON
//!   pointers of every [`Violation`] name that PACT v3 field (`/pcf/declaredUnitAmount`), so that a
//!   report about a stored footprint and one about a PACT document read alike. junkan's own fields
//!   (the Ouranos stage split, v2.3-only fields) are named in the same style.
//! - A footprint is immutable once published: a change is a new footprint naming its predecessors
//!   ([`supersede`]).

use std::collections::BTreeSet;
use std::fmt;

use junkan_model::ids::FootprintId;
use junkan_model::validation::{check_text, Violation, Violations};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::decimal::{self, literal};

/// The unit of measurement of a declared unit (PACT `declaredUnitOfMeasurement`, Ouranos
/// `amountRequiredUnit`; 宣言単位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DeclaredUnit {
    /// リットル / liter.
    #[serde(rename = "liter")]
    Liter,
    /// キログラム / kilogram.
    #[serde(rename = "kilogram")]
    Kilogram,
    /// 立方メートル / cubic meter.
    #[serde(rename = "cubic meter")]
    CubicMeter,
    /// キロワット時 / kilowatt hour.
    #[serde(rename = "kilowatt hour")]
    KilowattHour,
    /// メガジュール / megajoule.
    #[serde(rename = "megajoule")]
    Megajoule,
    /// トンキロ / ton kilometer.
    #[serde(rename = "ton kilometer")]
    TonKilometer,
    /// 平方メートル / square meter.
    #[serde(rename = "square meter")]
    SquareMeter,
    /// 個 / piece (PACT v3; Ouranos `unit`).
    #[serde(rename = "piece")]
    Piece,
    /// 時間 / hour (PACT v3, services).
    #[serde(rename = "hour")]
    Hour,
    /// メガビット秒 / megabit second (PACT v3, data transfer).
    #[serde(rename = "megabit second")]
    MegabitSecond,
}

impl DeclaredUnit {
    /// Every unit, in PACT v3 order.
    pub const ALL: [DeclaredUnit; 10] = [
        DeclaredUnit::Liter,
        DeclaredUnit::Kilogram,
        DeclaredUnit::CubicMeter,
        DeclaredUnit::KilowattHour,
        DeclaredUnit::Megajoule,
        DeclaredUnit::TonKilometer,
        DeclaredUnit::SquareMeter,
        DeclaredUnit::Piece,
        DeclaredUnit::Hour,
        DeclaredUnit::MegabitSecond,
    ];

    /// The PACT v3 text (`"cubic meter"`).
    pub fn pact_name(self) -> &'static str {
        match self {
            DeclaredUnit::Liter => "liter",
            DeclaredUnit::Kilogram => "kilogram",
            DeclaredUnit::CubicMeter => "cubic meter",
            DeclaredUnit::KilowattHour => "kilowatt hour",
            DeclaredUnit::Megajoule => "megajoule",
            DeclaredUnit::TonKilometer => "ton kilometer",
            DeclaredUnit::SquareMeter => "square meter",
            DeclaredUnit::Piece => "piece",
            DeclaredUnit::Hour => "hour",
            DeclaredUnit::MegabitSecond => "megabit second",
        }
    }

    /// Parses the PACT v3 text.
    pub fn from_pact_name(text: &str) -> Option<DeclaredUnit> {
        DeclaredUnit::ALL.into_iter().find(|unit| unit.pact_name() == text)
    }

    /// Whether PACT v2.3 knows the unit (it has no piece, hour or megabit second).
    pub fn in_pact_v2(self) -> bool {
        !matches!(
            self,
            DeclaredUnit::Piece | DeclaredUnit::Hour | DeclaredUnit::MegabitSecond
        )
    }

    /// The Ouranos text (`"cubic-meter"`, piece is `"unit"`); `None` for units Ouranos lacks.
    pub fn ouranos_name(self) -> Option<&'static str> {
        Some(match self {
            DeclaredUnit::Liter => "liter",
            DeclaredUnit::Kilogram => "kilogram",
            DeclaredUnit::CubicMeter => "cubic-meter",
            DeclaredUnit::KilowattHour => "kilowatt-hour",
            DeclaredUnit::Megajoule => "megajoule",
            DeclaredUnit::TonKilometer => "ton-kilometer",
            DeclaredUnit::SquareMeter => "square-meter",
            DeclaredUnit::Piece => "unit",
            DeclaredUnit::Hour | DeclaredUnit::MegabitSecond => return None,
        })
    }

    /// Parses the Ouranos text.
    pub fn from_ouranos_name(text: &str) -> Option<DeclaredUnit> {
        DeclaredUnit::ALL
            .into_iter()
            .find(|unit| unit.ouranos_name() == Some(text))
    }
}

impl fmt::Display for DeclaredUnit {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.pact_name())
    }
}

/// Life-cycle status of a footprint (PACT `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FootprintStatus {
    /// 有効 / the current version, to be used.
    Active,
    /// 廃止 / superseded by a newer footprint, not to be used.
    Deprecated,
}

impl FootprintStatus {
    /// The PACT text.
    pub fn as_str(self) -> &'static str {
        match self {
            FootprintStatus::Active => "Active",
            FootprintStatus::Deprecated => "Deprecated",
        }
    }
}

/// The UN geographic regions and subregions PACT allows in `geographyRegionOrSubregion`.
pub const UN_REGIONS: [&str; 22] = [
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
];

/// Geographical scope (地理的範囲): global, or exactly one of region, country or subdivision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Geography {
    /// 全世界 / no geography given.
    Global,
    /// A UN region or subregion (`geographyRegionOrSubregion`, one of [`UN_REGIONS`]).
    RegionOrSubregion(String),
    /// 国 / ISO 3166-1 alpha-2 country code (`geographyCountry`, e.g. `JP`).
    Country(String),
    /// 地方区分 / ISO 3166-2 subdivision code (`geographyCountrySubdivision`, e.g. `JP-13`).
    CountrySubdivision(String),
}

impl Geography {
    /// The PACT property this geography is written to, with its value; `None` for global.
    pub fn pact_property(&self) -> Option<(&'static str, &str)> {
        match self {
            Geography::Global => None,
            Geography::RegionOrSubregion(value) => Some(("geographyRegionOrSubregion", value)),
            Geography::Country(value) => Some(("geographyCountry", value)),
            Geography::CountrySubdivision(value) => Some(("geographyCountrySubdivision", value)),
        }
    }

    /// Checks the value against PACT's enumeration or pattern.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Geography::Global => Ok(()),
            Geography::RegionOrSubregion(value) => {
                if UN_REGIONS.contains(&value.as_str()) {
                    Ok(())
                } else {
                    Err(format!("{value:?} is not a UN region or subregion"))
                }
            }
            Geography::Country(value) => check_country_code(value),
            Geography::CountrySubdivision(value) => {
                let valid = value.split_once('-').is_some_and(|(country, subdivision)| {
                    check_country_code(country).is_ok()
                        && (1..=3).contains(&subdivision.len())
                        && subdivision
                            .bytes()
                            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
                });
                if valid {
                    Ok(())
                } else {
                    Err(format!(
                        "{value:?} is not an ISO 3166-2 subdivision code such as \"JP-13\""
                    ))
                }
            }
        }
    }
}

fn check_country_code(value: &str) -> Result<(), String> {
    if value.len() == 2 && value.bytes().all(|byte| byte.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not an ISO 3166-1 alpha-2 country code such as \"JP\""
        ))
    }
}

/// The operator of product or sector specific rules (PACT `ProductOrSectorSpecificRule.operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleOperator {
    /// EU Product Environmental Footprint.
    #[serde(rename = "PEF")]
    Pef,
    /// EPD International.
    #[serde(rename = "EPD International")]
    EpdInternational,
    /// Another operator, named in `other_operator_name`.
    #[serde(rename = "Other")]
    Other,
}

impl RuleOperator {
    /// The PACT text.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOperator::Pef => "PEF",
            RuleOperator::EpdInternational => "EPD International",
            RuleOperator::Other => "Other",
        }
    }

    /// Parses the PACT text.
    pub fn parse(text: &str) -> Option<RuleOperator> {
        [RuleOperator::Pef, RuleOperator::EpdInternational, RuleOperator::Other]
            .into_iter()
            .find(|operator| operator.as_str() == text)
    }
}

/// Product or sector specific rules followed (製品別算定ルール, e.g. a PCR or PEFCR).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SectorRule {
    /// Who publishes the rules.
    pub operator: RuleOperator,
    /// Names of the rules (non-empty, unique).
    pub rule_names: Vec<String>,
    /// The operator's name when `operator` is Other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_operator_name: Option<String>,
}

/// A secondary emission factor database used (二次データ出典, e.g. ecoinvent 3.9.1, IDEA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmissionFactorSource {
    /// Database name.
    pub name: String,
    /// Database version.
    pub version: String,
}

/// The CCU calculation approach (PACT v3 `ccuCalculationApproach`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CcuApproach {
    /// Cut-off.
    #[serde(rename = "Cut-off")]
    CutOff,
    /// Credit.
    #[serde(rename = "Credit")]
    Credit,
}

impl CcuApproach {
    /// The PACT text.
    pub fn as_str(self) -> &'static str {
        match self {
            CcuApproach::CutOff => "Cut-off",
            CcuApproach::Credit => "Credit",
        }
    }
}

/// Data-quality ratings (データ品質評価 / DQR), each between 1 and 5 in PACT v3 (1 is best).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataQualityIndicators {
    /// 技術的代表性 / technological representativeness (TeR).
    #[serde(with = "decimal::text", rename = "technologicalDQR")]
    pub technological: Decimal,
    /// 地理的代表性 / geographical representativeness (GeR).
    #[serde(with = "decimal::text", rename = "geographicalDQR")]
    pub geographical: Decimal,
    /// 時間的代表性 / temporal representativeness (TiR).
    #[serde(with = "decimal::text", rename = "temporalDQR")]
    pub temporal: Decimal,
    /// PACT v2.3 only: share of the PCF covered by the assessment, percent.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub coverage_percent: Option<Decimal>,
    /// PACT v2.3 only: completeness rating.
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "completenessDQR"
    )]
    pub completeness: Option<Decimal>,
    /// PACT v2.3 only: reliability rating.
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "reliabilityDQR"
    )]
    pub reliability: Option<Decimal>,
}

/// Verification (検証 / assurance) of the footprint (PACT v3 `verification`, v2.3 `assurance`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// What was verified: v3 `PCF calculation model`, `PCF program`, `product level`; a footprint
    /// imported from v2.3 keeps its v2.3 value (`corporate level`, `product line`, `PCF system`),
    /// which the v3 view leaves out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    /// The independent third party (検証機関).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// When the verification was completed.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub completed_at: Option<OffsetDateTime>,
    /// The standard verified against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_name: Option<String>,
    /// Comments on the verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// PACT v2.3 only: `limited` or `reasonable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// PACT v2.3 only: `Gate-to-Gate` or `Cradle-to-Gate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
}

/// The v3 verification coverages.
pub const VERIFICATION_COVERAGES_V3: [&str; 3] = ["PCF calculation model", "PCF program", "product level"];
/// The v2.3 assurance coverages.
pub const VERIFICATION_COVERAGES_V2: [&str; 4] = ["corporate level", "product line", "PCF system", "product level"];

/// Ratings of one stage as Ouranos records them (`dqrValue`): each may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageRatings {
    /// 技術的代表性 / TeR.
    #[serde(default, with = "decimal::option_text")]
    pub technological: Option<Decimal>,
    /// 地理的代表性 / GeR.
    #[serde(default, with = "decimal::option_text")]
    pub geographical: Option<Decimal>,
    /// 時間的代表性 / TiR.
    #[serde(default, with = "decimal::option_text")]
    pub temporal: Option<Decimal>,
}

/// Emissions of one life-cycle stage, split the Ouranos way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageEmissions {
    /// 自社由来排出量 / own emissions of the stage (kgCO2e per declared unit).
    #[serde(with = "decimal::text")]
    pub own: Decimal,
    /// 部品由来排出量 / emissions of purchased components and materials in the stage, as declared
    /// by this company (components linked in the parts structure are added by the roll-up).
    #[serde(with = "decimal::text")]
    pub components: Decimal,
    /// The stage's data-quality ratings (Ouranos `dqrValue` of `preProcessing` / `mainProcessing`).
    #[serde(default)]
    pub ratings: StageRatings,
}

impl StageEmissions {
    /// Own plus component emissions.
    pub fn total(&self) -> Decimal {
        self.own + self.components
    }
}

/// The Ouranos four rows: pre-processing and main production, each own and components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageBreakdown {
    /// 原材料取得及び前処理段階 / raw-material acquisition and pre-processing
    /// (`preProduction`, `preComponent`).
    pub pre_production: StageEmissions,
    /// 主な製造段階 / main production (`mainProduction`, `mainComponent`).
    pub main_production: StageEmissions,
}

impl StageBreakdown {
    /// The sum of the four rows.
    pub fn total(&self) -> Decimal {
        self.pre_production.total() + self.main_production.total()
    }
}

/// The carbon footprint proper (PACT `pcf`). Values are per declared unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CarbonFootprint {
    /// The unit of measurement of the declared unit.
    #[serde(rename = "declaredUnitOfMeasurement")]
    pub declared_unit: DeclaredUnit,
    /// How many units the declared unit (the product) contains; > 0.
    #[serde(with = "decimal::text")]
    pub declared_unit_amount: Decimal,
    /// Mass in kg of the declared unit without packaging; 0 when not relevant. Required by v3;
    /// absent for footprints imported from v2.3.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub product_mass_per_declared_unit: Option<Decimal>,
    /// 算定対象期間の開始 / start (inclusive) of the reference period.
    #[serde(with = "time::serde::rfc3339")]
    pub reference_period_start: OffsetDateTime,
    /// 算定対象期間の終了 / end (exclusive) of the reference period.
    #[serde(with = "time::serde::rfc3339")]
    pub reference_period_end: OffsetDateTime,
    /// Geographical scope.
    pub geography: Geography,
    /// Description of the processes in the boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_processes_description: Option<String>,
    /// PCF excluding biogenic CO2 uptake (v2.3 `pCfExcludingBiogenic`), kgCO2e.
    #[serde(with = "decimal::text")]
    pub pcf_excluding_biogenic_uptake: Decimal,
    /// PCF including biogenic CO2 uptake (v2.3 `pCfIncludingBiogenic`), kgCO2e. Required by v3.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub pcf_including_biogenic_uptake: Option<Decimal>,
    /// Fossil GHG emissions, kgCO2e, >= 0.
    #[serde(with = "decimal::text")]
    pub fossil_ghg_emissions: Decimal,
    /// Fossil carbon content, kgC, >= 0.
    #[serde(with = "decimal::text")]
    pub fossil_carbon_content: Decimal,
    /// Biogenic carbon content, kgC, >= 0 (required by v2.3).
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub biogenic_carbon_content: Option<Decimal>,
    /// Recycled carbon content, kgC, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub recycled_carbon_content: Option<Decimal>,
    /// Land use change emissions, kgCO2e, >= 0 (v2.3 `dLucGhgEmissions`).
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub land_use_change_ghg_emissions: Option<Decimal>,
    /// Land carbon leakage (placeholder in v3), kgCO2e, >= 0 (v2.3 `iLucGhgEmissions`).
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub land_carbon_leakage: Option<Decimal>,
    /// Fossil emissions due to land management, kgCO2e, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub land_management_fossil_ghg_emissions: Option<Decimal>,
    /// Biogenic CO2 emissions of land management, kgCO2e, >= 0.
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "landManagementBiogenicCO2Emissions"
    )]
    pub land_management_biogenic_co2_emissions: Option<Decimal>,
    /// Biogenic CO2 removals of land management, kgCO2e, <= 0.
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "landManagementBiogenicCO2Removals"
    )]
    pub land_management_biogenic_co2_removals: Option<Decimal>,
    /// Biogenic CO2 uptake, kgCO2e, <= 0 (v2.3 `biogenicCarbonWithdrawal`).
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "biogenicCO2Uptake"
    )]
    pub biogenic_co2_uptake: Option<Decimal>,
    /// Biogenic non-CO2 emissions, kgCO2e, >= 0 (v2.3 `otherBiogenicGhgEmissions`).
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "biogenicNonCO2Emissions"
    )]
    pub biogenic_non_co2_emissions: Option<Decimal>,
    /// PACT v2.3 only: land management GHG emissions, kgCO2e, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub land_management_ghg_emissions: Option<Decimal>,
    /// Agricultural land occupied, (m2·year), >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub land_area_occupation: Option<Decimal>,
    /// Aircraft transport emissions, kgCO2e, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub aircraft_ghg_emissions: Option<Decimal>,
    /// Whether packaging emissions are inside the boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging_emissions_included: Option<bool>,
    /// Packaging emissions, kgCO2e, >= 0; only when packaging is included.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub packaging_ghg_emissions: Option<Decimal>,
    /// Biogenic carbon content of the packaging, kgC, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub packaging_biogenic_carbon_content: Option<Decimal>,
    /// Outbound logistics emissions, kgCO2e, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub outbound_logistics_ghg_emissions: Option<Decimal>,
    /// Origin of captured CO2 (CCU / CCS).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "technologicalCO2CaptureOrigin"
    )]
    pub technological_co2_capture_origin: Option<String>,
    /// Technological CO2 removals, kgCO2e, >= 0.
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "technologicalCO2Removals"
    )]
    pub technological_co2_removals: Option<Decimal>,
    /// Whether CCS takes place inside the boundary.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ccsTechnologicalCO2CaptureIncluded"
    )]
    pub ccs_technological_co2_capture_included: Option<bool>,
    /// CO2 captured by CCS, kgCO2e, <= 0.
    #[serde(
        default,
        with = "decimal::option_text",
        skip_serializing_if = "Option::is_none",
        rename = "ccsTechnologicalCO2Capture"
    )]
    pub ccs_technological_co2_capture: Option<Decimal>,
    /// Carbon captured by CCU in the product, kgC, >= 0.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub ccu_carbon_content: Option<Decimal>,
    /// CCU calculation approach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccu_calculation_approach: Option<CcuApproach>,
    /// URL certifying CCU credits (credit approach only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccu_credit_certification: Option<String>,
    /// IPCC assessment reports of the characterization factors (`AR6`, ...), non-empty, unique.
    pub ipcc_characterization_factors: Vec<String>,
    /// 算定基準 / cross-sectoral standards used (`ISO14067`, `GHGP-Product`, `PACT-3.0`, ...),
    /// non-empty, unique. Values later PACT revisions add are accepted, as v3 requires.
    pub cross_sectoral_standards: Vec<String>,
    /// Product or sector specific rules followed (may be empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_or_sector_specific_rules: Vec<SectorRule>,
    /// PACT v2.3 only: `PEF`, `ISO`, `GHGP` or `Quantis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biogenic_accounting_methodology: Option<String>,
    /// Secondary emission factor databases used (empty when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_emission_factor_sources: Vec<EmissionFactorSource>,
    /// カットオフ / share of emissions exempted, percent, 0–100.
    #[serde(with = "decimal::text")]
    pub exempted_emissions_percent: Decimal,
    /// Why emissions were exempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempted_emissions_description: Option<String>,
    /// 配分 / allocation rules applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_rules_description: Option<String>,
    /// PACT v2.3 only: uncertainty assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty_assessment_description: Option<String>,
    /// 一次データ比率 / primary data share of `pcf_excluding_biogenic_uptake`, percent, 0–100.
    #[serde(default, with = "decimal::option_text", skip_serializing_if = "Option::is_none")]
    pub primary_data_share: Option<Decimal>,
    /// Data-quality indicators of the whole footprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dqi: Option<DataQualityIndicators>,
    /// 検証 / verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// The Ouranos stage split of `pcf_excluding_biogenic_uptake` (junkan field; absent for
    /// footprints imported from PACT without one). When present, its four rows sum to
    /// `pcf_excluding_biogenic_uptake`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<StageBreakdown>,
}

/// A product carbon footprint (製品カーボンフットプリント).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Footprint {
    /// Identifier (PACT `id`, UUID).
    pub id: FootprintId,
    /// Earlier versions this footprint replaces (PACT `precedingPfIds`), oldest first.
    #[serde(default, rename = "precedingPfIds", skip_serializing_if = "Vec::is_empty")]
    pub preceding_ids: Vec<FootprintId>,
    /// When the footprint was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// PACT v2.3 `updated`: when the status last changed (set by [`supersede`]).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated: Option<OffsetDateTime>,
    /// Active or deprecated.
    pub status: FootprintStatus,
    /// PACT v2.3 `statusComment`: why the status is what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_comment: Option<String>,
    /// 有効期間の開始 / start of the validity period (default: reference period end).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub validity_period_start: Option<OffsetDateTime>,
    /// 有効期間の終了 / end of the validity period (default: reference period end + 3 years).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub validity_period_end: Option<OffsetDateTime>,
    /// 事業者名 / name of the data owner.
    pub company_name: String,
    /// Identifiers of the data owner, URNs (e.g. `urn:jp:houjin-bangou:...`), non-empty, unique.
    pub company_ids: Vec<String>,
    /// 製品説明 / description of the product.
    pub product_description: String,
    /// Identifiers of the product, URNs (GTIN, part numbers, Ouranos trace ids), non-empty, unique.
    pub product_ids: Vec<String>,
    /// 製品分類 / product classifications, URNs (e.g. `urn:pact:productclassification:un-cpc:4642`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_classifications: Vec<String>,
    /// PACT v2.3 `productCategoryCpc`: UN CPC code (also derived from a `un-cpc` classification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_category_cpc: Option<String>,
    /// 製品名 / the product's trade name.
    pub product_name_company: String,
    /// Comment on the calculation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The carbon footprint.
    pub pcf: CarbonFootprint,
    /// PACT data model extensions, kept as received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<serde_json::Value>,
}

/// Length limit of free texts, generous but bounded.
const TEXT_LIMIT: usize = 10_000;

impl Footprint {
    /// The validity period in force: as given, or by PACT's default from the reference period
    /// end to three years later.
    pub fn effective_validity(&self) -> (OffsetDateTime, OffsetDateTime) {
        let start = self.validity_period_start.unwrap_or(self.pcf.reference_period_end);
        let end = self
            .validity_period_end
            .unwrap_or_else(|| add_years(self.pcf.reference_period_end, 3));
        (start, end)
    }

    /// The PCF (excluding biogenic uptake) per one unit of measurement (kgCO2e per kilogram, per
    /// piece, ...): the PACT v2 and Ouranos meaning. Exact when the division is (always when the
    /// declared unit amount is 1).
    pub fn per_unit_of_measurement(&self) -> Decimal {
        self.pcf.pcf_excluding_biogenic_uptake / self.pcf.declared_unit_amount
    }

    /// Checks every rule of the model and reports every violation, each with the JSON pointer of
    /// the PACT v3 field concerned (junkan fields under `/pcf/stages`).
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        self.check_identity(&mut violations);
        check_carbon_footprint(&self.pcf, &mut violations);
        let reference_end = self.pcf.reference_period_end;
        if let Some(start) = self.validity_period_start {
            if start < reference_end {
                violations.push(
                    "/validityPeriodStart",
                    "must not be before the reference period end (pcf/referencePeriodEnd)",
                );
            }
        }
        if let Some(end) = self.validity_period_end {
            let (start, _) = self.effective_validity();
            if end <= start {
                violations.push("/validityPeriodEnd", "must be after the start of the validity period");
            }
            if end > add_years(reference_end, 3) {
                violations.push(
                    "/validityPeriodEnd",
                    "must be at most three years after the reference period end",
                );
            }
        }
        violations.into_result()
    }

    fn check_identity(&self, violations: &mut Violations) {
        let mut seen = BTreeSet::new();
        for (index, preceding) in self.preceding_ids.iter().enumerate() {
            if *preceding == self.id {
                violations.push(format!("/precedingPfIds/{index}"), "a footprint cannot precede itself");
            }
            if !seen.insert(*preceding) {
                violations.push(format!("/precedingPfIds/{index}"), "is listed twice");
            }
        }
        if let Some(updated) = self.updated {
            if updated < self.created {
                violations.push("/updated", "must not be before created");
            }
        }
        if let Some(comment) = &self.status_comment {
            violations.check("/statusComment", check_optional_text(comment));
        }
        violations.check("/companyName", check_text(&self.company_name, 1_000));
        check_urns("/companyIds", &self.company_ids, true, violations);
        if self.product_description.chars().count() > TEXT_LIMIT {
            violations.push(
                "/productDescription",
                format!("must be at most {TEXT_LIMIT} characters"),
            );
        }
        check_urns("/productIds", &self.product_ids, true, violations);
        check_urns(
            "/productClassifications",
            &self.product_classifications,
            false,
            violations,
        );
        if let Some(cpc) = &self.product_category_cpc {
            violations.check("/productCategoryCpc", check_text(cpc, 100));
        }
        violations.check("/productNameCompany", check_text(&self.product_name_company, 1_000));
        if let Some(comment) = &self.comment {
            violations.check("/comment", check_optional_text(comment));
        }
        for (index, extension) in self.extensions.iter().enumerate() {
            let pointer = format!("/extensions/{index}");
            match extension.as_object() {
                None => violations.push(pointer, "must be an object"),
                Some(object) => {
                    for required in ["specVersion", "dataSchema", "data"] {
                        if !object.contains_key(required) {
                            violations.push(format!("{pointer}/{required}"), "is required");
                        }
                    }
                    if object.get("data").is_some_and(|data| !data.is_object()) {
                        violations.push(format!("{pointer}/data"), "must be an object");
                    }
                }
            }
        }
    }
}

fn check_carbon_footprint(pcf: &CarbonFootprint, violations: &mut Violations) {
    use crate::decimal::Sign;
    if pcf.declared_unit_amount <= Decimal::ZERO {
        violations.push("/pcf/declaredUnitAmount", "must be more than zero");
    }
    if pcf.reference_period_end <= pcf.reference_period_start {
        violations.push("/pcf/referencePeriodEnd", "must be after referencePeriodStart");
    }
    if let Some((property, _)) = pcf.geography.pact_property() {
        violations.check(&format!("/pcf/{property}"), pcf.geography.check());
    }
    let signed: [(&str, Option<Decimal>, Sign); 24] = [
        (
            "productMassPerDeclaredUnit",
            pcf.product_mass_per_declared_unit,
            Sign::PositiveOrZero,
        ),
        (
            "fossilGhgEmissions",
            Some(pcf.fossil_ghg_emissions),
            Sign::PositiveOrZero,
        ),
        (
            "fossilCarbonContent",
            Some(pcf.fossil_carbon_content),
            Sign::PositiveOrZero,
        ),
        (
            "biogenicCarbonContent",
            pcf.biogenic_carbon_content,
            Sign::PositiveOrZero,
        ),
        (
            "recycledCarbonContent",
            pcf.recycled_carbon_content,
            Sign::PositiveOrZero,
        ),
        (
            "landUseChangeGhgEmissions",
            pcf.land_use_change_ghg_emissions,
            Sign::PositiveOrZero,
        ),
        ("landCarbonLeakage", pcf.land_carbon_leakage, Sign::PositiveOrZero),
        (
            "landManagementFossilGhgEmissions",
            pcf.land_management_fossil_ghg_emissions,
            Sign::PositiveOrZero,
        ),
        (
            "landManagementBiogenicCO2Emissions",
            pcf.land_management_biogenic_co2_emissions,
            Sign::PositiveOrZero,
        ),
        (
            "landManagementBiogenicCO2Removals",
            pcf.land_management_biogenic_co2_removals,
            Sign::NegativeOrZero,
        ),
        ("biogenicCO2Uptake", pcf.biogenic_co2_uptake, Sign::NegativeOrZero),
        (
            "biogenicNonCO2Emissions",
            pcf.biogenic_non_co2_emissions,
            Sign::PositiveOrZero,
        ),
        (
            "landManagementGhgEmissions",
            pcf.land_management_ghg_emissions,
            Sign::PositiveOrZero,
        ),
        ("landAreaOccupation", pcf.land_area_occupation, Sign::PositiveOrZero),
        ("aircraftGhgEmissions", pcf.aircraft_ghg_emissions, Sign::PositiveOrZero),
        (
            "packagingGhgEmissions",
            pcf.packaging_ghg_emissions,
            Sign::PositiveOrZero,
        ),
        (
            "packagingBiogenicCarbonContent",
            pcf.packaging_biogenic_carbon_content,
            Sign::PositiveOrZero,
        ),
        (
            "outboundLogisticsGhgEmissions",
            pcf.outbound_logistics_ghg_emissions,
            Sign::PositiveOrZero,
        ),
        (
            "technologicalCO2Removals",
            pcf.technological_co2_removals,
            Sign::PositiveOrZero,
        ),
        (
            "ccsTechnologicalCO2Capture",
            pcf.ccs_technological_co2_capture,
            Sign::NegativeOrZero,
        ),
        ("ccuCarbonContent", pcf.ccu_carbon_content, Sign::PositiveOrZero),
        (
            "exemptedEmissionsPercent",
            Some(pcf.exempted_emissions_percent),
            Sign::PositiveOrZero,
        ),
        ("primaryDataShare", pcf.primary_data_share, Sign::PositiveOrZero),
        (
            "pcfIncludingBiogenicUptake",
            pcf.pcf_including_biogenic_uptake,
            Sign::Any,
        ),
    ];
    for (property, value, sign) in signed {
        if let Some(value) = value {
            if !sign.admits(value) {
                violations.push(
                    format!("/pcf/{property}"),
                    format!("must be {}, got {value}", sign.requirement()),
                );
            }
        }
    }
    let hundred = Decimal::ONE_HUNDRED;
    for (property, value) in [
        ("exemptedEmissionsPercent", Some(pcf.exempted_emissions_percent)),
        ("primaryDataShare", pcf.primary_data_share),
    ] {
        if value.is_some_and(|value| value > hundred) {
            violations.push(format!("/pcf/{property}"), "is a percentage and must be at most 100");
        }
    }
    if pcf.packaging_emissions_included == Some(false) && pcf.packaging_ghg_emissions.is_some() {
        violations.push(
            "/pcf/packagingGhgEmissions",
            "must be absent when packagingEmissionsIncluded is false",
        );
    }
    if pcf.ccs_technological_co2_capture_included == Some(false) {
        for (property, present) in [
            (
                "ccsTechnologicalCO2Capture",
                pcf.ccs_technological_co2_capture.is_some(),
            ),
            ("technologicalCO2Removals", pcf.technological_co2_removals.is_some()),
            (
                "technologicalCO2CaptureOrigin",
                pcf.technological_co2_capture_origin.is_some(),
            ),
        ] {
            if present {
                violations.push(
                    format!("/pcf/{property}"),
                    "must be absent when ccsTechnologicalCO2CaptureIncluded is false",
                );
            }
        }
    }
    if let Some(url) = &pcf.ccu_credit_certification {
        violations.check("/pcf/ccuCreditCertification", junkan_model::validation::check_url(url));
    }
    check_unique_nonempty(
        "/pcf/ipccCharacterizationFactors",
        &pcf.ipcc_characterization_factors,
        violations,
    );
    for (index, factor) in pcf.ipcc_characterization_factors.iter().enumerate() {
        let valid = factor
            .strip_prefix("AR")
            .is_some_and(|number| !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()));
        if !valid {
            violations.push(
                format!("/pcf/ipccCharacterizationFactors/{index}"),
                format!("{factor:?} is not of the form AR6"),
            );
        }
    }
    check_unique_nonempty("/pcf/crossSectoralStandards", &pcf.cross_sectoral_standards, violations);
    for (index, standard) in pcf.cross_sectoral_standards.iter().enumerate() {
        violations.check(
            &format!("/pcf/crossSectoralStandards/{index}"),
            check_text(standard, 100),
        );
    }
    for (index, rule) in pcf.product_or_sector_specific_rules.iter().enumerate() {
        let pointer = format!("/pcf/productOrSectorSpecificRules/{index}");
        check_unique_nonempty(&format!("{pointer}/ruleNames"), &rule.rule_names, violations);
        for (name_index, name) in rule.rule_names.iter().enumerate() {
            violations.check(&format!("{pointer}/ruleNames/{name_index}"), check_text(name, 1_000));
        }
        match (&rule.operator, &rule.other_operator_name) {
            (RuleOperator::Other, None) => violations.push(
                format!("{pointer}/otherOperatorName"),
                "is required when the operator is Other",
            ),
            (_, Some(name)) => violations.check(&format!("{pointer}/otherOperatorName"), check_text(name, 1_000)),
            _ => {}
        }
    }
    for (index, source) in pcf.secondary_emission_factor_sources.iter().enumerate() {
        let pointer = format!("/pcf/secondaryEmissionFactorSources/{index}");
        violations.check(&format!("{pointer}/name"), check_text(&source.name, 1_000));
        violations.check(&format!("{pointer}/version"), check_text(&source.version, 1_000));
    }
    if let Some(dqi) = &pcf.dqi {
        let (one, five) = (Decimal::ONE, literal("5"));
        for (property, value) in [
            ("technologicalDQR", Some(dqi.technological)),
            ("geographicalDQR", Some(dqi.geographical)),
            ("temporalDQR", Some(dqi.temporal)),
            ("completenessDQR", dqi.completeness),
            ("reliabilityDQR", dqi.reliability),
        ] {
            if value.is_some_and(|value| value < one || value > five) {
                violations.push(format!("/pcf/dqi/{property}"), "must be between 1 and 5");
            }
        }
        if dqi
            .coverage_percent
            .is_some_and(|value| value < Decimal::ZERO || value > hundred)
        {
            violations.push("/pcf/dqi/coveragePercent", "is a percentage between 0 and 100");
        }
    }
    if let Some(verification) = &pcf.verification {
        if let Some(coverage) = &verification.coverage {
            if !VERIFICATION_COVERAGES_V3.contains(&coverage.as_str())
                && !VERIFICATION_COVERAGES_V2.contains(&coverage.as_str())
            {
                violations.push(
                    "/pcf/verification/coverage",
                    format!("must be one of {VERIFICATION_COVERAGES_V3:?}"),
                );
            }
        }
        if let Some(name) = &verification.provider_name {
            violations.check("/pcf/verification/providerName", check_text(name, 1_000));
        }
    }
    if let Some(stages) = &pcf.stages {
        check_stages(stages, pcf.pcf_excluding_biogenic_uptake, violations);
    }
}

/// Ouranos keeps values from 0 to 99999.99999 with five decimals.
fn ouranos_range(value: Decimal) -> bool {
    value >= Decimal::ZERO && value <= literal("99999.99999")
}

fn check_stages(stages: &StageBreakdown, total: Decimal, violations: &mut Violations) {
    for (stage_name, stage) in [
        ("preProduction", &stages.pre_production),
        ("mainProduction", &stages.main_production),
    ] {
        let pointer = format!("/pcf/stages/{stage_name}");
        for (field, value) in [("own", stage.own), ("components", stage.components)] {
            if value < Decimal::ZERO {
                violations.push(format!("{pointer}/{field}"), "must be zero or more");
            }
        }
        for (field, value) in [
            ("technological", stage.ratings.technological),
            ("geographical", stage.ratings.geographical),
            ("temporal", stage.ratings.temporal),
        ] {
            if value.is_some_and(|value| !ouranos_range(value)) {
                violations.push(
                    format!("{pointer}/ratings/{field}"),
                    "must be between 0 and 99999.99999",
                );
            }
        }
    }
    if stages.total() != total {
        violations.push(
            "/pcf/stages",
            format!(
                "the four stage rows sum to {}, but pcfExcludingBiogenicUptake is {total}",
                stages.total()
            ),
        );
    }
}

fn check_optional_text(value: &str) -> Result<(), String> {
    if value.chars().count() > TEXT_LIMIT {
        return Err(format!("must be at most {TEXT_LIMIT} characters"));
    }
    Ok(())
}

fn check_unique_nonempty(pointer: &str, values: &[String], violations: &mut Violations) {
    if values.is_empty() {
        violations.push(pointer, "must list at least one value");
    }
    let mut seen = BTreeSet::new();
    for (index, value) in values.iter().enumerate() {
        if !seen.insert(value.as_str()) {
            violations.push(format!("{pointer}/{index}"), format!("{value:?} is listed twice"));
        }
    }
}

/// Checks a URN as PACT does (`^[uU][rR][nN]:`), and that something follows the prefix.
pub fn check_urn(value: &str) -> Result<(), String> {
    let has_prefix = value.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("urn:"));
    if !has_prefix || value.len() < 6 || value.chars().any(char::is_whitespace) {
        return Err(format!("{value:?} is not a URN (urn:<namespace>:<identifier>)"));
    }
    Ok(())
}

fn check_urns(pointer: &str, values: &[String], required: bool, violations: &mut Violations) {
    if required || !values.is_empty() {
        check_unique_nonempty(pointer, values, violations);
    }
    for (index, value) in values.iter().enumerate() {
        violations.check(&format!("{pointer}/{index}"), check_urn(value));
    }
}

/// `moment` plus `years` calendar years (29 February becomes 28 February when needed).
pub fn add_years(moment: OffsetDateTime, years: i32) -> OffsetDateTime {
    let date = moment.date();
    let year = date.year() + years;
    let shifted = date
        .replace_year(year)
        .or_else(|_| date.replace_day(28).and_then(|date| date.replace_year(year)))
        .unwrap_or(date);
    moment.replace_date(shifted)
}

/// Why a footprint cannot supersede another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupersedeError {
    /// The old footprint is already deprecated.
    AlreadyDeprecated {
        /// Its id.
        id: FootprintId,
    },
    /// The new footprint reuses the old one's id (a change needs a new id).
    SameId,
    /// The new footprint is not active.
    NotActive,
    /// The two footprints belong to different data owners (no company id in common).
    DifferentOwner,
}

impl fmt::Display for SupersedeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupersedeError::AlreadyDeprecated { id } => write!(formatter, "footprint {id} is already deprecated"),
            SupersedeError::SameId => formatter.write_str("a changed footprint needs a new id"),
            SupersedeError::NotActive => formatter.write_str("the new footprint must be active"),
            SupersedeError::DifferentOwner => {
                formatter.write_str("the new footprint must share a company id with the one it replaces")
            }
        }
    }
}

impl std::error::Error for SupersedeError {}

/// The pure transition of an update (更新): `new` replaces `old`. Returns `old` deprecated (status,
/// `updated` = `at`, a status comment naming its successor) and `new` with `old` and all of
/// `old`'s predecessors in front of its own `precedingPfIds` (PACT: the ids of all past versions).
pub fn supersede(
    old: &Footprint,
    new: Footprint,
    at: OffsetDateTime,
) -> Result<(Footprint, Footprint), SupersedeError> {
    if old.status == FootprintStatus::Deprecated {
        return Err(SupersedeError::AlreadyDeprecated { id: old.id });
    }
    if old.id == new.id {
        return Err(SupersedeError::SameId);
    }
    if new.status != FootprintStatus::Active {
        return Err(SupersedeError::NotActive);
    }
    if !old
        .company_ids
        .iter()
        .any(|id| new.company_ids.iter().any(|other| other.eq_ignore_ascii_case(id)))
    {
        return Err(SupersedeError::DifferentOwner);
    }
    let mut deprecated = old.clone();
    deprecated.status = FootprintStatus::Deprecated;
    deprecated.updated = Some(at);
    deprecated.status_comment = Some(format!("Superseded by {}.", new.id));
    let mut successor = new;
    let mut preceding: Vec<FootprintId> = old.preceding_ids.clone();
    preceding.push(old.id);
    for id in std::mem::take(&mut successor.preceding_ids) {
        if !preceding.contains(&id) {
            preceding.push(id);
        }
    }
    successor.preceding_ids = preceding;
    Ok((deprecated, successor))
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};
    use time::macros::datetime;

    use super::*;
    use crate::fixtures::cell_footprint;

    fn check(footprint: &Footprint, expected: Expect) {
        let report = match footprint.validate() {
            Ok(()) => "ok".to_owned(),
            Err(violations) => violations
                .iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        expected.assert_eq(&report);
    }

    #[test]
    fn the_sample_footprint_is_valid() {
        check(&cell_footprint(), expect!["ok"]);
    }

    #[test]
    fn every_violation_is_reported_with_its_pointer() {
        let mut footprint = cell_footprint();
        footprint.preceding_ids = vec![footprint.id, FootprintId::derived("a"), FootprintId::derived("a")];
        footprint.company_ids = vec!["JP1234".to_owned()];
        footprint.product_ids = Vec::new();
        footprint.product_name_company = " ".to_owned();
        footprint.validity_period_start = Some(datetime!(2024-06-01 00:00 UTC));
        footprint.validity_period_end = Some(datetime!(2029-01-01 00:00 UTC));
        let pcf = &mut footprint.pcf;
        pcf.declared_unit_amount = literal("0");
        pcf.reference_period_end = pcf.reference_period_start;
        pcf.geography = Geography::CountrySubdivision("Tokyo".to_owned());
        pcf.fossil_ghg_emissions = literal("-1");
        pcf.biogenic_co2_uptake = Some(literal("2"));
        pcf.exempted_emissions_percent = literal("101");
        pcf.packaging_ghg_emissions = Some(literal("0.2"));
        pcf.ipcc_characterization_factors = vec!["AR6".to_owned(), "IPCC6".to_owned(), "AR6".to_owned()];
        pcf.cross_sectoral_standards = Vec::new();
        pcf.product_or_sector_specific_rules = vec![SectorRule {
            operator: RuleOperator::Other,
            rule_names: Vec::new(),
            other_operator_name: None,
        }];
        if let Some(dqi) = &mut pcf.dqi {
            dqi.temporal = literal("5.5");
        }
        if let Some(stages) = &mut pcf.stages {
            stages.main_production.own = literal("-2.5");
        }
        check(
            &footprint,
            expect![[r#"
                /precedingPfIds/0: a footprint cannot precede itself
                /precedingPfIds/2: is listed twice
                /companyIds/0: "JP1234" is not a URN (urn:<namespace>:<identifier>)
                /productIds: must list at least one value
                /productNameCompany: must not be blank
                /pcf/declaredUnitAmount: must be more than zero
                /pcf/referencePeriodEnd: must be after referencePeriodStart
                /pcf/geographyCountrySubdivision: "Tokyo" is not an ISO 3166-2 subdivision code such as "JP-13"
                /pcf/fossilGhgEmissions: must be zero or more, got -1
                /pcf/biogenicCO2Uptake: must be zero or less, got 2
                /pcf/exemptedEmissionsPercent: is a percentage and must be at most 100
                /pcf/packagingGhgEmissions: must be absent when packagingEmissionsIncluded is false
                /pcf/ipccCharacterizationFactors/2: "AR6" is listed twice
                /pcf/ipccCharacterizationFactors/1: "IPCC6" is not of the form AR6
                /pcf/crossSectoralStandards: must list at least one value
                /pcf/productOrSectorSpecificRules/0/ruleNames: must list at least one value
                /pcf/productOrSectorSpecificRules/0/otherOperatorName: is required when the operator is Other
                /pcf/dqi/temporalDQR: must be between 1 and 5
                /pcf/stages/mainProduction/own: must be zero or more
                /pcf/stages: the four stage rows sum to 7.5, but pcfExcludingBiogenicUptake is 12.5
                /validityPeriodEnd: must be at most three years after the reference period end"#]],
        );
    }

    #[test]
    fn validity_defaults_to_three_years_after_the_reference_period() {
        let footprint = cell_footprint();
        assert_eq!(
            footprint.effective_validity(),
            (datetime!(2025-01-01 00:00 UTC), datetime!(2028-01-01 00:00 UTC))
        );
        assert_eq!(
            add_years(datetime!(2024-02-29 12:00 UTC), 3),
            datetime!(2027-02-28 12:00 UTC)
        );
    }

    #[test]
    fn the_json_form_keeps_decimals_as_strings_and_reads_back() {
        let footprint = cell_footprint();
        let json = serde_json::to_value(&footprint).expect("serializes");
        assert_eq!(json["pcf"]["pcfExcludingBiogenicUptake"], "12.5");
        assert_eq!(json["pcf"]["declaredUnitOfMeasurement"], "piece");
        assert_eq!(json["pcf"]["stages"]["preProduction"]["components"], "8");
        let back: Footprint = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, footprint);
        let mut with_number = serde_json::to_value(&footprint).expect("serializes");
        with_number["pcf"]["fossilGhgEmissions"] = serde_json::json!(12.4);
        assert!(
            serde_json::from_value::<Footprint>(with_number).is_err(),
            "numbers are not decimals"
        );
    }

    #[test]
    fn supersede_deprecates_the_old_and_chains_the_predecessors() {
        let mut old = cell_footprint();
        old.preceding_ids = vec![FootprintId::derived("first")];
        let mut new = cell_footprint();
        new.id = FootprintId::derived("cell-2");
        new.pcf.pcf_excluding_biogenic_uptake = literal("11");
        let at = datetime!(2025-05-01 00:00 UTC);
        let (deprecated, successor) = supersede(&old, new.clone(), at).expect("supersedes");
        assert_eq!(deprecated.status, FootprintStatus::Deprecated);
        assert_eq!(deprecated.updated, Some(at));
        assert_eq!(deprecated.pcf, old.pcf, "content of the old footprint is unchanged");
        assert_eq!(successor.preceding_ids, vec![FootprintId::derived("first"), old.id]);
        assert_eq!(
            supersede(&deprecated, new.clone(), at),
            Err(SupersedeError::AlreadyDeprecated { id: old.id })
        );
        assert_eq!(supersede(&old, old.clone(), at), Err(SupersedeError::SameId));
        let mut stranger = new.clone();
        stranger.company_ids = vec!["urn:jp:houjin-bangou:9999999999999".to_owned()];
        assert_eq!(supersede(&old, stranger, at), Err(SupersedeError::DifferentOwner));
        let mut inactive = new;
        inactive.status = FootprintStatus::Deprecated;
        assert_eq!(supersede(&old, inactive, at), Err(SupersedeError::NotActive));
    }
}
