//! PACT views of a footprint: the JSON of the Technical Specifications for PCF Data Exchange
//! **v3.0.0** (and v2.3.0 for partners on `/2/`), both ways.
//!
//! Pinned sources (read, not copied): the v3 data model of `wbcsd/data-exchange-protocol`
//! `spec/v3/openapi.yaml` (the revision with `pcfExcludingBiogenicUptake`, matching the JSON
//! Schema of `wbcsd/pact-conformance-test-service` `src/schemas/v3_0_schema.ts`), and v2.3 from
//! `wbcsd/pact-openapi` `pact-openapi-2.3.0.yaml`. Parsing implements those schemas' rules
//! (required properties, types, decimal-string patterns and their signs, enumerations, URN and UUID
//! formats, `minItems`/`uniqueItems`, at most one geography) and reports every violation with
//! its JSON pointer into the document; the model's own rules ([`Footprint::validate`]) follow.
//!
//! Errata (where the published schema and its prose disagree, the prose wins):
//! - `PositiveNonZeroDecimal`'s pattern `^[+]?(\d*[1-9]\d*)(\.\d+)?|(0+\.\d*[1-9]\d*)$` lacks
//!   grouping, so it accepts e.g. `"1.5abc"`; a decimal string greater than zero is required.
//! - v3's `crossSectoralStandards` enumeration omits `PAS2050`, which its prose allows, and the
//!   prose requires accepting values of later revisions: any non-blank value is read, while the
//!   v3 view writes only values of the enumeration plus `PAS2050` (others are reported).
//! - The v3 document keeps the at-most-one-geography rule in prose only (its `oneOf` is commented
//!   out); the conformance schema enforces it, and so does junkan.
//!
//! Meaning of the values: v2.3 states emissions per one unit of measurement and
//! `unitaryProductAmount` separately; v3 states them per declared unit (`declaredUnitAmount` units,
//! ADR 0036). The model follows v3, so reading v2.3 multiplies by the amount (exact) and writing
//! v2.3 divides by it (exact when the amount is 1 or divides the values; otherwise 28 digits).

use junkan_model::ids::FootprintId;
use junkan_model::validation::{Violation, Violations};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::decimal::{literal, to_json_number, Sign};
use crate::model::*;
use crate::reader::{parse_uuid, Reader};

/// The PACT version of the v3 view.
pub const SPEC_VERSION_V3: &str = "3.0.0";
/// The PACT version of the v2 view.
pub const SPEC_VERSION_V2: &str = "2.3.0";

/// v3's `crossSectoralStandards` values junkan writes.
pub const CROSS_SECTORAL_STANDARDS_V3: [&str; 9] = [
    "ISO14067",
    "ISO14083",
    "ISO14040-44",
    "GHGP-Product",
    "PEF",
    "PACT-1.0",
    "PACT-2.0",
    "PACT-3.0",
    "PAS2050",
];
/// v2.3's `crossSectoralStandards` values.
pub const CROSS_SECTORAL_STANDARDS_V2: [&str; 10] = [
    "ISO14067",
    "ISO14083",
    "ISO14040-44",
    "GHGP-Product",
    "PEF",
    "PACT-1.0",
    "PACT-2.0",
    "PACT-2.1",
    "PACT-2.2",
    "PACT-2.3",
];
/// v2.3's deprecated `crossSectoralStandardsUsed` values and the current standard each names.
const STANDARDS_USED_V2: [(&str, &str); 3] = [
    ("GHG Protocol Product standard", "GHGP-Product"),
    ("ISO Standard 14067", "ISO14067"),
    ("ISO Standard 14044", "ISO14040-44"),
];
/// v2.3's `biogenicAccountingMethodology` values.
const BIOGENIC_METHODOLOGIES_V2: [&str; 4] = ["PEF", "ISO", "GHGP", "Quantis"];
/// The classification URN prefix of UN CPC codes (v3 examples), used to derive v2.3's `productCategoryCpc`.
const CPC_URN_PREFIX: &str = "urn:pact:productclassification:un-cpc:";

/// Which PACT version a document follows, from its `specVersion` (`2.x` or `3.x`).
pub fn spec_major(document: &Value) -> Option<u64> {
    let version = document.get("specVersion")?.as_str()?;
    version.split('.').next()?.parse().ok()
}

/// Reads a PACT document of either version (by its `specVersion`) into the model.
pub fn from_pact(document: &Value) -> Result<Footprint, Vec<Violation>> {
    match spec_major(document) {
        Some(2) => from_v2(document),
        Some(3) => from_v3(document),
        _ => Err(vec![Violation::new(
            "/specVersion",
            "must be a PACT version 2.x or 3.x such as \"3.0.0\"",
        )]),
    }
}

fn check_spec_version(text: &str) -> Result<(), String> {
    let (core, date) = match text.split_once('-') {
        Some((core, date)) => (core, Some(date)),
        None => (text, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    let valid = parts.len() == 3
        && parts.iter().all(|part| digits(part))
        && date.is_none_or(|date| date.len() == 8 && digits(date));
    if valid {
        Ok(())
    } else {
        Err(format!("{text:?} is not a version such as \"3.0.0\""))
    }
}

fn check_ar(text: &str) -> Result<(), String> {
    let valid = text
        .strip_prefix("AR")
        .is_some_and(|number| !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()));
    if valid {
        Ok(())
    } else {
        Err(format!("{text:?} is not of the form AR6"))
    }
}

fn non_blank(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        Err("must not be blank".to_owned())
    } else {
        Ok(())
    }
}

/// The geography properties: at most one may be present.
fn read_geography(pcf: &Reader<'_>, violations: &mut Violations) -> Option<Geography> {
    let present: Vec<&str> = [
        "geographyRegionOrSubregion",
        "geographyCountry",
        "geographyCountrySubdivision",
    ]
    .into_iter()
    .filter(|key| pcf.object.contains_key(*key))
    .collect();
    if present.len() > 1 {
        for key in &present[1..] {
            violations.push(
                pcf.at(key),
                format!("only one geography may be given, but {} are", present.join(", ")),
            );
        }
        return None;
    }
    let geography = match present.first() {
        None => Geography::Global,
        Some(&"geographyRegionOrSubregion") => {
            Geography::RegionOrSubregion(pcf.one_of("geographyRegionOrSubregion", &UN_REGIONS, true, violations)?)
        }
        Some(&"geographyCountry") => Geography::Country(pcf.string("geographyCountry", true, violations)?),
        Some(_) => Geography::CountrySubdivision(pcf.string("geographyCountrySubdivision", true, violations)?),
    };
    if let Some((key, _)) = geography.pact_property() {
        if let Err(message) = geography.check() {
            violations.push(pcf.at(key), message);
            return None;
        }
    }
    Some(geography)
}

fn read_rules(pcf: &Reader<'_>, violations: &mut Violations) -> Option<Vec<SectorRule>> {
    let Some(value) = pcf.raw("productOrSectorSpecificRules", false, violations) else {
        return Some(Vec::new());
    };
    let Some(items) = value.as_array() else {
        violations.push(pcf.at("productOrSectorSpecificRules"), "must be an array");
        return None;
    };
    if items.is_empty() {
        violations.push(
            pcf.at("productOrSectorSpecificRules"),
            "must be left out rather than empty",
        );
    }
    let mut rules = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("{}/{index}", pcf.at("productOrSectorSpecificRules"));
        let Some(rule) = Reader::new(item, &pointer, violations) else {
            continue;
        };
        let operator = rule
            .one_of("operator", &["PEF", "EPD International", "Other"], true, violations)
            .and_then(|text| RuleOperator::parse(&text));
        let rule_names = rule.strings("ruleNames", true, true, true, non_blank, violations);
        let other_operator_name = rule.non_empty_string("otherOperatorName", false, violations);
        if let (Some(operator), Some(rule_names)) = (operator, rule_names) {
            rules.push(SectorRule {
                operator,
                rule_names,
                other_operator_name,
            });
        }
    }
    Some(rules)
}

fn read_sources(pcf: &Reader<'_>, violations: &mut Violations) -> Vec<EmissionFactorSource> {
    let Some(value) = pcf.raw("secondaryEmissionFactorSources", false, violations) else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        violations.push(pcf.at("secondaryEmissionFactorSources"), "must be an array");
        return Vec::new();
    };
    if items.is_empty() {
        violations.push(
            pcf.at("secondaryEmissionFactorSources"),
            "must be left out when no secondary data was used",
        );
    }
    let mut sources = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("{}/{index}", pcf.at("secondaryEmissionFactorSources"));
        let Some(source) = Reader::new(item, &pointer, violations) else {
            continue;
        };
        let name = source.non_empty_string("name", true, violations);
        let version = source.non_empty_string("version", true, violations);
        if let (Some(name), Some(version)) = (name, version) {
            sources.push(EmissionFactorSource { name, version });
        }
    }
    sources
}

fn read_preceding(document: &Reader<'_>, violations: &mut Violations) -> Vec<FootprintId> {
    let ids = document
        .strings(
            "precedingPfIds",
            false,
            true,
            true,
            |text| parse_uuid(text).map(|_| ()),
            violations,
        )
        .unwrap_or_default();
    ids.iter()
        .filter_map(|text| parse_uuid(text).ok())
        .map(FootprintId)
        .collect()
}

fn read_extensions(document: &Reader<'_>, violations: &mut Violations) -> Vec<Value> {
    match document.raw("extensions", false, violations) {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            violations.push(document.at("extensions"), "must be an array");
            Vec::new()
        }
    }
}

/// Reads a PACT v3 `ProductFootprint`; every problem is reported with its pointer.
pub fn from_v3(document: &Value) -> Result<Footprint, Vec<Violation>> {
    let mut violations = Violations::new();
    let Some(root) = Reader::new(document, "", &mut violations) else {
        return Err(violations.into_result().expect_err("a violation was recorded"));
    };
    let v = &mut violations;
    let id = root.uuid("id", true, v);
    if let Some(version) = root.string("specVersion", true, v) {
        v.check("/specVersion", check_spec_version(&version));
    }
    let preceding_ids = read_preceding(&root, v);
    let created = root.date_time("created", true, v);
    let status = root.one_of("status", &["Active", "Deprecated"], true, v);
    let validity_period_start = root.date_time("validityPeriodStart", false, v);
    let validity_period_end = root.date_time("validityPeriodEnd", false, v);
    let company_name = root.non_empty_string("companyName", true, v);
    let company_ids = root.urns("companyIds", true, v);
    let product_description = root.string("productDescription", true, v);
    let product_ids = root.urns("productIds", true, v);
    let product_classifications = root.urns("productClassifications", false, v).unwrap_or_default();
    let product_name_company = root.non_empty_string("productNameCompany", true, v);
    let comment = root.string("comment", false, v);
    let extensions = read_extensions(&root, v);
    let pcf = root
        .raw("pcf", true, v)
        .and_then(|pcf| Reader::new(pcf, "/pcf", v))
        .and_then(|pcf| read_v3_pcf(&pcf, v));
    let footprint = match (
        id,
        created,
        status,
        company_name,
        company_ids,
        product_description,
        product_ids,
        product_name_company,
        pcf,
    ) {
        (
            Some(id),
            Some(created),
            Some(status),
            Some(company_name),
            Some(company_ids),
            Some(product_description),
            Some(product_ids),
            Some(product_name_company),
            Some(pcf),
        ) => Footprint {
            id: FootprintId(id),
            preceding_ids,
            created,
            updated: None,
            status: if status == "Active" {
                FootprintStatus::Active
            } else {
                FootprintStatus::Deprecated
            },
            status_comment: None,
            validity_period_start,
            validity_period_end,
            company_name,
            company_ids,
            product_description,
            product_ids,
            product_category_cpc: cpc_of(&product_classifications),
            product_classifications,
            product_name_company,
            comment,
            pcf,
            extensions,
        },
        _ => return Err(violations.into_result().expect_err("a missing value was reported")),
    };
    violations.into_result()?;
    footprint.validate()?;
    Ok(footprint)
}

fn read_v3_pcf(pcf: &Reader<'_>, v: &mut Violations) -> Option<CarbonFootprint> {
    use Sign::{Any, NegativeOrZero as Neg, PositiveNonZero, PositiveOrZero as Pos};
    let declared_unit = pcf
        .one_of(
            "declaredUnitOfMeasurement",
            &DeclaredUnit::ALL.map(DeclaredUnit::pact_name),
            true,
            v,
        )
        .and_then(|text| DeclaredUnit::from_pact_name(&text));
    let declared_unit_amount = pcf.decimal_string("declaredUnitAmount", PositiveNonZero, true, v);
    let product_mass = pcf.decimal_string("productMassPerDeclaredUnit", Any, true, v);
    let reference_period_start = pcf.date_time("referencePeriodStart", true, v);
    let reference_period_end = pcf.date_time("referencePeriodEnd", true, v);
    let geography = read_geography(pcf, v);
    let excluding = pcf.decimal_string("pcfExcludingBiogenicUptake", Any, true, v);
    let including = pcf.decimal_string("pcfIncludingBiogenicUptake", Any, true, v);
    let fossil = pcf.decimal_string("fossilGhgEmissions", Pos, true, v);
    let fossil_carbon = pcf.decimal_string("fossilCarbonContent", Pos, true, v);
    let ipcc = pcf.strings("ipccCharacterizationFactors", true, true, true, check_ar, v);
    let standards = pcf.strings("crossSectoralStandards", true, true, true, non_blank, v);
    let exempted = pcf.decimal_string("exemptedEmissionsPercent", Any, true, v);
    let rules = read_rules(pcf, v);
    let secondary_emission_factor_sources = read_sources(pcf, v);
    let ccu_calculation_approach = pcf
        .one_of("ccuCalculationApproach", &["Cut-off", "Credit"], false, v)
        .map(|text| {
            if text == "Credit" {
                CcuApproach::Credit
            } else {
                CcuApproach::CutOff
            }
        });
    let dqi = pcf
        .raw("dqi", false, v)
        .and_then(|dqi| Reader::new(dqi, "/pcf/dqi", v))
        .and_then(|dqi| {
            let technological = dqi.decimal_string("technologicalDQR", Any, true, v);
            let geographical = dqi.decimal_string("geographicalDQR", Any, true, v);
            let temporal = dqi.decimal_string("temporalDQR", Any, true, v);
            Some(DataQualityIndicators {
                technological: technological?,
                geographical: geographical?,
                temporal: temporal?,
                coverage_percent: None,
                completeness: None,
                reliability: None,
            })
        });
    let verification = pcf
        .raw("verification", false, v)
        .and_then(|value| Reader::new(value, "/pcf/verification", v))
        .map(|verification| Verification {
            coverage: verification.one_of("coverage", &VERIFICATION_COVERAGES_V3, false, v),
            provider_name: verification.string("providerName", false, v),
            completed_at: verification.date_time("completedAt", false, v),
            standard_name: verification.string("standardName", false, v),
            comments: verification.string("comments", false, v),
            level: None,
            boundary: None,
        });
    let optional = |key: &str, sign: Sign, v: &mut Violations| pcf.decimal_string(key, sign, false, v);
    let boundary_processes_description = pcf.string("boundaryProcessesDescription", false, v);
    let biogenic_carbon_content = optional("biogenicCarbonContent", Pos, v);
    let recycled_carbon_content = optional("recycledCarbonContent", Pos, v);
    let land_use_change_ghg_emissions = optional("landUseChangeGhgEmissions", Pos, v);
    let land_carbon_leakage = optional("landCarbonLeakage", Pos, v);
    let land_management_fossil_ghg_emissions = optional("landManagementFossilGhgEmissions", Pos, v);
    let land_management_biogenic_co2_emissions = optional("landManagementBiogenicCO2Emissions", Pos, v);
    let land_management_biogenic_co2_removals = optional("landManagementBiogenicCO2Removals", Neg, v);
    let biogenic_co2_uptake = optional("biogenicCO2Uptake", Neg, v);
    let biogenic_non_co2_emissions = optional("biogenicNonCO2Emissions", Pos, v);
    let land_area_occupation = optional("landAreaOccupation", Pos, v);
    let aircraft_ghg_emissions = optional("aircraftGhgEmissions", Pos, v);
    let packaging_emissions_included = pcf.boolean("packagingEmissionsIncluded", false, v);
    let packaging_ghg_emissions = optional("packagingGhgEmissions", Pos, v);
    let packaging_biogenic_carbon_content = optional("packagingBiogenicCarbonContent", Pos, v);
    let outbound_logistics_ghg_emissions = optional("outboundLogisticsGhgEmissions", Pos, v);
    let technological_co2_capture_origin = pcf.string("technologicalCO2CaptureOrigin", false, v);
    let technological_co2_removals = optional("technologicalCO2Removals", Pos, v);
    let ccs_technological_co2_capture_included = pcf.boolean("ccsTechnologicalCO2CaptureIncluded", false, v);
    let ccs_technological_co2_capture = optional("ccsTechnologicalCO2Capture", Neg, v);
    let ccu_carbon_content = optional("ccuCarbonContent", Pos, v);
    let ccu_credit_certification = pcf.string("ccuCreditCertification", false, v);
    let exempted_emissions_description = pcf.string("exemptedEmissionsDescription", false, v);
    let allocation_rules_description = pcf.string("allocationRulesDescription", false, v);
    let primary_data_share = optional("primaryDataShare", Any, v);
    Some(CarbonFootprint {
        declared_unit: declared_unit?,
        declared_unit_amount: declared_unit_amount?,
        product_mass_per_declared_unit: Some(product_mass?),
        reference_period_start: reference_period_start?,
        reference_period_end: reference_period_end?,
        geography: geography?,
        boundary_processes_description,
        pcf_excluding_biogenic_uptake: excluding?,
        pcf_including_biogenic_uptake: Some(including?),
        fossil_ghg_emissions: fossil?,
        fossil_carbon_content: fossil_carbon?,
        biogenic_carbon_content,
        recycled_carbon_content,
        land_use_change_ghg_emissions,
        land_carbon_leakage,
        land_management_fossil_ghg_emissions,
        land_management_biogenic_co2_emissions,
        land_management_biogenic_co2_removals,
        biogenic_co2_uptake,
        biogenic_non_co2_emissions,
        land_management_ghg_emissions: None,
        land_area_occupation,
        aircraft_ghg_emissions,
        packaging_emissions_included,
        packaging_ghg_emissions,
        packaging_biogenic_carbon_content,
        outbound_logistics_ghg_emissions,
        technological_co2_capture_origin,
        technological_co2_removals,
        ccs_technological_co2_capture_included,
        ccs_technological_co2_capture,
        ccu_carbon_content,
        ccu_calculation_approach,
        ccu_credit_certification,
        ipcc_characterization_factors: ipcc?,
        cross_sectoral_standards: standards?,
        product_or_sector_specific_rules: rules?,
        biogenic_accounting_methodology: None,
        secondary_emission_factor_sources,
        exempted_emissions_percent: exempted?,
        exempted_emissions_description,
        allocation_rules_description,
        uncertainty_assessment_description: None,
        primary_data_share,
        dqi,
        verification,
        stages: None,
    })
}

fn cpc_of(classifications: &[String]) -> Option<String> {
    classifications.iter().find_map(|urn| {
        let prefix = urn.get(..CPC_URN_PREFIX.len())?;
        prefix
            .eq_ignore_ascii_case(CPC_URN_PREFIX)
            .then(|| urn[CPC_URN_PREFIX.len()..].to_owned())
    })
}

fn decimal_text(value: Decimal) -> Value {
    Value::String(value.to_string())
}

fn insert_decimal(object: &mut Map<String, Value>, key: &str, value: Option<Decimal>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), decimal_text(value));
    }
}

fn insert_text(object: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), Value::String(value.clone()));
    }
}

fn rfc3339(moment: time::OffsetDateTime) -> Value {
    Value::String(
        moment
            .format(&time::format_description::well_known::Rfc3339)
            .expect("stored times are formattable"),
    )
}

/// The PACT v3 `ProductFootprint` of a footprint. Refused (with the v3 pointers of what is
/// missing) when the footprint lacks what v3 requires, as footprints imported from v2.3 may.
pub fn to_v3(footprint: &Footprint) -> Result<Value, Vec<Violation>> {
    let mut violations = Violations::new();
    let pcf = &footprint.pcf;
    if pcf.product_mass_per_declared_unit.is_none() {
        violations.push(
            "/pcf/productMassPerDeclaredUnit",
            "is required by PACT v3 (0 when the mass is not relevant)",
        );
    }
    if pcf.pcf_including_biogenic_uptake.is_none() {
        violations.push("/pcf/pcfIncludingBiogenicUptake", "is required by PACT v3");
    }
    for (index, standard) in pcf.cross_sectoral_standards.iter().enumerate() {
        if !CROSS_SECTORAL_STANDARDS_V3.contains(&standard.as_str()) {
            violations.push(
                format!("/pcf/crossSectoralStandards/{index}"),
                format!("{standard:?} is not a PACT v3 standard"),
            );
        }
    }
    violations.into_result()?;
    let mut document = Map::new();
    document.insert("id".to_owned(), json!(footprint.id.to_string()));
    document.insert("specVersion".to_owned(), json!(SPEC_VERSION_V3));
    if !footprint.preceding_ids.is_empty() {
        document.insert(
            "precedingPfIds".to_owned(),
            json!(footprint
                .preceding_ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()),
        );
    }
    document.insert("created".to_owned(), rfc3339(footprint.created));
    document.insert("status".to_owned(), json!(footprint.status.as_str()));
    if let Some(start) = footprint.validity_period_start {
        document.insert("validityPeriodStart".to_owned(), rfc3339(start));
    }
    if let Some(end) = footprint.validity_period_end {
        document.insert("validityPeriodEnd".to_owned(), rfc3339(end));
    }
    document.insert("companyName".to_owned(), json!(footprint.company_name));
    document.insert("companyIds".to_owned(), json!(footprint.company_ids));
    document.insert("productDescription".to_owned(), json!(footprint.product_description));
    document.insert("productIds".to_owned(), json!(footprint.product_ids));
    if !footprint.product_classifications.is_empty() {
        document.insert(
            "productClassifications".to_owned(),
            json!(footprint.product_classifications),
        );
    }
    document.insert("productNameCompany".to_owned(), json!(footprint.product_name_company));
    insert_text(&mut document, "comment", &footprint.comment);

    let mut carbon = Map::new();
    carbon.insert(
        "declaredUnitOfMeasurement".to_owned(),
        json!(pcf.declared_unit.pact_name()),
    );
    carbon.insert("declaredUnitAmount".to_owned(), decimal_text(pcf.declared_unit_amount));
    insert_decimal(
        &mut carbon,
        "productMassPerDeclaredUnit",
        pcf.product_mass_per_declared_unit,
    );
    carbon.insert("referencePeriodStart".to_owned(), rfc3339(pcf.reference_period_start));
    carbon.insert("referencePeriodEnd".to_owned(), rfc3339(pcf.reference_period_end));
    if let Some((key, value)) = pcf.geography.pact_property() {
        carbon.insert(key.to_owned(), json!(value));
    }
    insert_text(
        &mut carbon,
        "boundaryProcessesDescription",
        &pcf.boundary_processes_description,
    );
    carbon.insert(
        "pcfExcludingBiogenicUptake".to_owned(),
        decimal_text(pcf.pcf_excluding_biogenic_uptake),
    );
    insert_decimal(
        &mut carbon,
        "pcfIncludingBiogenicUptake",
        pcf.pcf_including_biogenic_uptake,
    );
    carbon.insert("fossilGhgEmissions".to_owned(), decimal_text(pcf.fossil_ghg_emissions));
    carbon.insert(
        "fossilCarbonContent".to_owned(),
        decimal_text(pcf.fossil_carbon_content),
    );
    for (key, value) in [
        ("biogenicCarbonContent", pcf.biogenic_carbon_content),
        ("recycledCarbonContent", pcf.recycled_carbon_content),
        ("landUseChangeGhgEmissions", pcf.land_use_change_ghg_emissions),
        ("landCarbonLeakage", pcf.land_carbon_leakage),
        (
            "landManagementFossilGhgEmissions",
            pcf.land_management_fossil_ghg_emissions,
        ),
        (
            "landManagementBiogenicCO2Emissions",
            pcf.land_management_biogenic_co2_emissions,
        ),
        (
            "landManagementBiogenicCO2Removals",
            pcf.land_management_biogenic_co2_removals,
        ),
        ("biogenicCO2Uptake", pcf.biogenic_co2_uptake),
        ("biogenicNonCO2Emissions", pcf.biogenic_non_co2_emissions),
        ("landAreaOccupation", pcf.land_area_occupation),
        ("aircraftGhgEmissions", pcf.aircraft_ghg_emissions),
    ] {
        insert_decimal(&mut carbon, key, value);
    }
    if let Some(included) = pcf.packaging_emissions_included {
        carbon.insert("packagingEmissionsIncluded".to_owned(), json!(included));
    }
    insert_decimal(&mut carbon, "packagingGhgEmissions", pcf.packaging_ghg_emissions);
    insert_decimal(
        &mut carbon,
        "packagingBiogenicCarbonContent",
        pcf.packaging_biogenic_carbon_content,
    );
    insert_decimal(
        &mut carbon,
        "outboundLogisticsGhgEmissions",
        pcf.outbound_logistics_ghg_emissions,
    );
    insert_text(
        &mut carbon,
        "technologicalCO2CaptureOrigin",
        &pcf.technological_co2_capture_origin,
    );
    insert_decimal(&mut carbon, "technologicalCO2Removals", pcf.technological_co2_removals);
    if let Some(included) = pcf.ccs_technological_co2_capture_included {
        carbon.insert("ccsTechnologicalCO2CaptureIncluded".to_owned(), json!(included));
    }
    insert_decimal(
        &mut carbon,
        "ccsTechnologicalCO2Capture",
        pcf.ccs_technological_co2_capture,
    );
    insert_decimal(&mut carbon, "ccuCarbonContent", pcf.ccu_carbon_content);
    if let Some(approach) = pcf.ccu_calculation_approach {
        carbon.insert("ccuCalculationApproach".to_owned(), json!(approach.as_str()));
    }
    insert_text(&mut carbon, "ccuCreditCertification", &pcf.ccu_credit_certification);
    carbon.insert(
        "ipccCharacterizationFactors".to_owned(),
        json!(pcf.ipcc_characterization_factors),
    );
    carbon.insert("crossSectoralStandards".to_owned(), json!(pcf.cross_sectoral_standards));
    if !pcf.product_or_sector_specific_rules.is_empty() {
        carbon.insert(
            "productOrSectorSpecificRules".to_owned(),
            rules_json(&pcf.product_or_sector_specific_rules),
        );
    }
    carbon.insert(
        "exemptedEmissionsPercent".to_owned(),
        decimal_text(pcf.exempted_emissions_percent),
    );
    insert_text(
        &mut carbon,
        "exemptedEmissionsDescription",
        &pcf.exempted_emissions_description,
    );
    insert_text(
        &mut carbon,
        "allocationRulesDescription",
        &pcf.allocation_rules_description,
    );
    if !pcf.secondary_emission_factor_sources.is_empty() {
        carbon.insert(
            "secondaryEmissionFactorSources".to_owned(),
            sources_json(&pcf.secondary_emission_factor_sources),
        );
    }
    insert_decimal(&mut carbon, "primaryDataShare", pcf.primary_data_share);
    if let Some(dqi) = &pcf.dqi {
        carbon.insert(
            "dqi".to_owned(),
            json!({
                "technologicalDQR": dqi.technological.to_string(),
                "geographicalDQR": dqi.geographical.to_string(),
                "temporalDQR": dqi.temporal.to_string(),
            }),
        );
    }
    if let Some(verification) = &pcf.verification {
        let mut object = Map::new();
        if let Some(coverage) = verification
            .coverage
            .as_ref()
            .filter(|coverage| VERIFICATION_COVERAGES_V3.contains(&coverage.as_str()))
        {
            object.insert("coverage".to_owned(), json!(coverage));
        }
        insert_text(&mut object, "providerName", &verification.provider_name);
        if let Some(completed) = verification.completed_at {
            object.insert("completedAt".to_owned(), rfc3339(completed));
        }
        insert_text(&mut object, "standardName", &verification.standard_name);
        insert_text(&mut object, "comments", &verification.comments);
        carbon.insert("verification".to_owned(), Value::Object(object));
    }
    document.insert("pcf".to_owned(), Value::Object(carbon));
    if !footprint.extensions.is_empty() {
        document.insert("extensions".to_owned(), Value::Array(footprint.extensions.clone()));
    }
    Ok(Value::Object(document))
}

fn rules_json(rules: &[SectorRule]) -> Value {
    Value::Array(
        rules
            .iter()
            .map(|rule| {
                let mut object = Map::new();
                object.insert("operator".to_owned(), json!(rule.operator.as_str()));
                object.insert("ruleNames".to_owned(), json!(rule.rule_names));
                insert_text(&mut object, "otherOperatorName", &rule.other_operator_name);
                Value::Object(object)
            })
            .collect(),
    )
}

fn sources_json(sources: &[EmissionFactorSource]) -> Value {
    Value::Array(
        sources
            .iter()
            .map(|source| json!({"name": source.name, "version": source.version}))
            .collect(),
    )
}

/// v2.3 names of the PACT v3 pointers the model reports, for reports about a v2.3 document.
const V2_POINTERS: [(&str, &str); 8] = [
    ("/pcf/declaredUnitOfMeasurement", "/pcf/declaredUnit"),
    ("/pcf/declaredUnitAmount", "/pcf/unitaryProductAmount"),
    ("/pcf/pcfExcludingBiogenicUptake", "/pcf/pCfExcludingBiogenic"),
    ("/pcf/pcfIncludingBiogenicUptake", "/pcf/pCfIncludingBiogenic"),
    ("/pcf/landUseChangeGhgEmissions", "/pcf/dLucGhgEmissions"),
    ("/pcf/landCarbonLeakage", "/pcf/iLucGhgEmissions"),
    ("/pcf/biogenicCO2Uptake", "/pcf/biogenicCarbonWithdrawal"),
    ("/pcf/biogenicNonCO2Emissions", "/pcf/otherBiogenicGhgEmissions"),
];

fn to_v2_pointer(violation: Violation) -> Violation {
    let path = V2_POINTERS
        .iter()
        .find(|(v3, _)| violation.path == *v3 || violation.path.starts_with(&format!("{v3}/")))
        .map(|(v3, v2)| format!("{v2}{}", &violation.path[v3.len()..]))
        .unwrap_or(violation.path.clone())
        .replace("/pcf/verification", "/pcf/assurance")
        .replace(
            "/pcf/ipccCharacterizationFactors",
            "/pcf/ipccCharacterizationFactorsSources",
        );
    Violation::new(path, violation.message)
}

/// Reads a PACT v2.3 `ProductFootprint`, converting its per-unit values to per declared unit.
pub fn from_v2(document: &Value) -> Result<Footprint, Vec<Violation>> {
    let mut violations = Violations::new();
    let Some(root) = Reader::new(document, "", &mut violations) else {
        return Err(violations.into_result().expect_err("a violation was recorded"));
    };
    let v = &mut violations;
    let id = root.uuid("id", true, v);
    if let Some(version) = root.string("specVersion", true, v) {
        v.check("/specVersion", check_spec_version(&version));
    }
    let preceding_ids = read_preceding(&root, v);
    let _version = root.number("version", Decimal::ZERO, Decimal::from(i32::MAX), true, v);
    let created = root.date_time("created", true, v);
    let updated = root.date_time("updated", false, v);
    let status = root.one_of("status", &["Active", "Deprecated"], true, v);
    let status_comment = root.string("statusComment", false, v);
    let validity_period_start = root.date_time("validityPeriodStart", false, v);
    let validity_period_end = root.date_time("validityPeriodEnd", false, v);
    let comment = root.string("comment", true, v);
    let company_name = root.non_empty_string("companyName", true, v);
    let company_ids = root.urns("companyIds", true, v);
    let product_description = root.string("productDescription", true, v);
    let product_ids = root.urns("productIds", true, v);
    let product_category_cpc = root.non_empty_string("productCategoryCpc", true, v);
    let product_classifications = root.urns("productClassifications", false, v).unwrap_or_default();
    let product_name_company = root.non_empty_string("productNameCompany", true, v);
    let extensions = read_extensions(&root, v);
    let pcf = root
        .raw("pcf", true, v)
        .and_then(|pcf| Reader::new(pcf, "/pcf", v))
        .and_then(|pcf| read_v2_pcf(&pcf, v));
    let footprint = match (
        id,
        created,
        status,
        company_name,
        company_ids,
        product_description,
        product_ids,
        product_name_company,
        pcf,
    ) {
        (
            Some(id),
            Some(created),
            Some(status),
            Some(company_name),
            Some(company_ids),
            Some(product_description),
            Some(product_ids),
            Some(product_name_company),
            Some(pcf),
        ) => Footprint {
            id: FootprintId(id),
            preceding_ids,
            created,
            updated,
            status: if status == "Active" {
                FootprintStatus::Active
            } else {
                FootprintStatus::Deprecated
            },
            status_comment,
            validity_period_start,
            validity_period_end,
            company_name,
            company_ids,
            product_description,
            product_ids,
            product_classifications,
            product_category_cpc,
            product_name_company,
            comment: comment.filter(|comment| !comment.is_empty()),
            pcf,
            extensions,
        },
        _ => return Err(violations.into_result().expect_err("a missing value was reported")),
    };
    violations.into_result()?;
    footprint
        .validate()
        .map_err(|violations| violations.into_iter().map(to_v2_pointer).collect::<Vec<_>>())?;
    Ok(footprint)
}

fn read_v2_pcf(pcf: &Reader<'_>, v: &mut Violations) -> Option<CarbonFootprint> {
    use Sign::{Any, NegativeOrZero as Neg, PositiveNonZero, PositiveOrZero as Pos};
    let v2_units: Vec<&str> = DeclaredUnit::ALL
        .into_iter()
        .filter(|unit| unit.in_pact_v2())
        .map(DeclaredUnit::pact_name)
        .collect();
    let declared_unit = pcf
        .one_of("declaredUnit", &v2_units, true, v)
        .and_then(|text| DeclaredUnit::from_pact_name(&text));
    let amount = pcf.decimal_string("unitaryProductAmount", PositiveNonZero, true, v);
    // v2.3 values are per one unit of measurement; the model's are per declared unit.
    let scaled = |value: Option<Decimal>| match (value, amount) {
        (Some(value), Some(amount)) => Some(value * amount),
        _ => None,
    };
    let optional = |key: &str, sign: Sign, v: &mut Violations| scaled(pcf.decimal_string(key, sign, false, v));
    let excluding = scaled(pcf.decimal_string("pCfExcludingBiogenic", Pos, true, v));
    let including = optional("pCfIncludingBiogenic", Any, v);
    let fossil = scaled(pcf.decimal_string("fossilGhgEmissions", Pos, true, v));
    let fossil_carbon = scaled(pcf.decimal_string("fossilCarbonContent", Pos, true, v));
    let biogenic_carbon = scaled(pcf.decimal_string("biogenicCarbonContent", Pos, true, v));
    let _characterization = pcf.one_of("characterizationFactors", &["AR6", "AR5"], true, v);
    let ipcc = pcf.strings("ipccCharacterizationFactorsSources", true, true, true, check_ar, v);
    let standards_used = pcf.strings(
        "crossSectoralStandardsUsed",
        true,
        true,
        true,
        |text| {
            if STANDARDS_USED_V2.iter().any(|(old, _)| *old == text) {
                Ok(())
            } else {
                Err(format!(
                    "{text:?} is not one of {:?}",
                    STANDARDS_USED_V2.map(|(old, _)| old)
                ))
            }
        },
        v,
    );
    let standards = pcf.strings(
        "crossSectoralStandards",
        false,
        true,
        true,
        |text| {
            if CROSS_SECTORAL_STANDARDS_V2.contains(&text) {
                Ok(())
            } else {
                Err(format!("{text:?} is not one of {CROSS_SECTORAL_STANDARDS_V2:?}"))
            }
        },
        v,
    );
    let rules = read_rules(pcf, v);
    let biogenic_accounting_methodology =
        pcf.one_of("biogenicAccountingMethodology", &BIOGENIC_METHODOLOGIES_V2, false, v);
    let boundary = pcf.string("boundaryProcessesDescription", true, v);
    let reference_period_start = pcf.date_time("referencePeriodStart", true, v);
    let reference_period_end = pcf.date_time("referencePeriodEnd", true, v);
    let geography = read_geography(pcf, v);
    let secondary_emission_factor_sources = read_sources(pcf, v);
    let exempted = pcf.number("exemptedEmissionsPercent", Decimal::ZERO, literal("5"), true, v);
    let exempted_description = pcf.string("exemptedEmissionsDescription", true, v);
    let packaging_included = pcf.boolean("packagingEmissionsIncluded", true, v);
    let primary_data_share = pcf.number("primaryDataShare", Decimal::ZERO, Decimal::ONE_HUNDRED, false, v);
    let dqi = pcf
        .raw("dqi", false, v)
        .and_then(|dqi| Reader::new(dqi, "/pcf/dqi", v))
        .and_then(|dqi| {
            let rating = |key: &str, v: &mut Violations| dqi.number(key, Decimal::ONE, literal("3"), true, v);
            let coverage = dqi.number("coveragePercent", Decimal::ZERO, Decimal::ONE_HUNDRED, true, v);
            let technological = rating("technologicalDQR", v);
            let temporal = rating("temporalDQR", v);
            let geographical = rating("geographicalDQR", v);
            let completeness = rating("completenessDQR", v);
            let reliability = rating("reliabilityDQR", v);
            Some(DataQualityIndicators {
                technological: technological?,
                geographical: geographical?,
                temporal: temporal?,
                coverage_percent: Some(coverage?),
                completeness: Some(completeness?),
                reliability: Some(reliability?),
            })
        });
    let verification = pcf
        .raw("assurance", false, v)
        .and_then(|value| Reader::new(value, "/pcf/assurance", v))
        .and_then(|assurance| {
            let assured = assurance.boolean("assurance", true, v);
            let provider_name = assurance.string("providerName", true, v);
            let verification = Verification {
                coverage: assurance.one_of("coverage", &VERIFICATION_COVERAGES_V2, false, v),
                provider_name,
                completed_at: assurance.date_time("completedAt", false, v),
                standard_name: assurance.string("standardName", false, v),
                comments: assurance.string("comments", false, v),
                level: assurance.one_of("level", &["limited", "reasonable"], false, v),
                boundary: assurance.one_of("boundary", &["Gate-to-Gate", "Cradle-to-Gate"], false, v),
            };
            // `assurance: false` states that the footprint was not assured: nothing to keep.
            (assured? && verification.provider_name.is_some()).then_some(verification)
        });
    let mut cross_sectoral_standards: Vec<String> = standards.clone().unwrap_or_default();
    for used in standards_used.clone().unwrap_or_default() {
        if let Some((_, current)) = STANDARDS_USED_V2.iter().find(|(old, _)| *old == used) {
            if !cross_sectoral_standards.iter().any(|standard| standard == current) {
                cross_sectoral_standards.push((*current).to_owned());
            }
        }
    }
    let land_use_change_ghg_emissions = optional("dLucGhgEmissions", Pos, v);
    let land_carbon_leakage = optional("iLucGhgEmissions", Pos, v);
    let biogenic_co2_uptake = optional("biogenicCarbonWithdrawal", Neg, v);
    let biogenic_non_co2_emissions = optional("otherBiogenicGhgEmissions", Pos, v);
    let land_management_ghg_emissions = optional("landManagementGhgEmissions", Pos, v);
    let aircraft_ghg_emissions = optional("aircraftGhgEmissions", Pos, v);
    let packaging_ghg_emissions = optional("packagingGhgEmissions", Pos, v);
    let allocation_rules_description = pcf.string("allocationRulesDescription", false, v);
    let uncertainty_assessment_description = pcf.string("uncertaintyAssessmentDescription", false, v);
    standards_used?;
    Some(CarbonFootprint {
        declared_unit: declared_unit?,
        declared_unit_amount: amount?,
        product_mass_per_declared_unit: None,
        reference_period_start: reference_period_start?,
        reference_period_end: reference_period_end?,
        geography: geography?,
        boundary_processes_description: boundary.filter(|text| !text.is_empty()),
        pcf_excluding_biogenic_uptake: excluding?,
        pcf_including_biogenic_uptake: including,
        fossil_ghg_emissions: fossil?,
        fossil_carbon_content: fossil_carbon?,
        biogenic_carbon_content: Some(biogenic_carbon?),
        recycled_carbon_content: None,
        land_use_change_ghg_emissions,
        land_carbon_leakage,
        land_management_fossil_ghg_emissions: None,
        land_management_biogenic_co2_emissions: None,
        land_management_biogenic_co2_removals: None,
        biogenic_co2_uptake,
        biogenic_non_co2_emissions,
        land_management_ghg_emissions,
        land_area_occupation: None,
        aircraft_ghg_emissions,
        packaging_emissions_included: Some(packaging_included?),
        packaging_ghg_emissions,
        packaging_biogenic_carbon_content: None,
        outbound_logistics_ghg_emissions: None,
        technological_co2_capture_origin: None,
        technological_co2_removals: None,
        ccs_technological_co2_capture_included: None,
        ccs_technological_co2_capture: None,
        ccu_carbon_content: None,
        ccu_calculation_approach: None,
        ccu_credit_certification: None,
        ipcc_characterization_factors: ipcc?,
        cross_sectoral_standards,
        product_or_sector_specific_rules: rules?,
        biogenic_accounting_methodology,
        secondary_emission_factor_sources,
        exempted_emissions_percent: exempted?,
        exempted_emissions_description: exempted_description.filter(|text| !text.is_empty()),
        allocation_rules_description,
        uncertainty_assessment_description,
        primary_data_share,
        dqi,
        verification,
        stages: None,
    })
}

/// The PACT v2.3 `ProductFootprint` of a footprint: values per one unit of measurement,
/// percentages and ratings as JSON numbers. Refused, with the v2.3 pointers, when the footprint
/// cannot be said in v2.3 (a unit v2.3 lacks, no standard v2.3 names, more than 5 % exempted, no
/// CPC code, no biogenic carbon content or packaging flag, DQRs beyond v2.3's 1–3 scale).
pub fn to_v2(footprint: &Footprint) -> Result<Value, Vec<Violation>> {
    let mut violations = Violations::new();
    let pcf = &footprint.pcf;
    if !pcf.declared_unit.in_pact_v2() {
        violations.push(
            "/pcf/declaredUnit",
            format!("PACT v2.3 has no declared unit {:?}", pcf.declared_unit.pact_name()),
        );
    }
    let standards_used: Vec<&str> = STANDARDS_USED_V2
        .iter()
        .filter(|(_, current)| pcf.cross_sectoral_standards.iter().any(|standard| standard == current))
        .map(|(old, _)| *old)
        .collect();
    if standards_used.is_empty() {
        violations.push(
            "/pcf/crossSectoralStandardsUsed",
            "PACT v2.3 needs GHGP-Product, ISO14067 or ISO14040-44 among the standards",
        );
    }
    let standards: Vec<&str> = pcf
        .cross_sectoral_standards
        .iter()
        .map(String::as_str)
        .filter(|standard| CROSS_SECTORAL_STANDARDS_V2.contains(standard))
        .collect();
    let characterization = ["AR6", "AR5"]
        .into_iter()
        .find(|report| pcf.ipcc_characterization_factors.iter().any(|factor| factor == report));
    if characterization.is_none() {
        violations.push(
            "/pcf/characterizationFactors",
            "PACT v2.3 needs AR5 or AR6 characterization factors",
        );
    }
    if pcf.exempted_emissions_percent > literal("5") {
        violations.push(
            "/pcf/exemptedEmissionsPercent",
            "PACT v2.3 allows at most 5 % exempted emissions",
        );
    }
    let cpc = footprint
        .product_category_cpc
        .clone()
        .or_else(|| cpc_of(&footprint.product_classifications));
    if cpc.is_none() {
        violations.push(
            "/productCategoryCpc",
            "PACT v2.3 needs a UN CPC code (productCategoryCpc or a un-cpc classification)",
        );
    }
    if pcf.biogenic_carbon_content.is_none() {
        violations.push("/pcf/biogenicCarbonContent", "is required by PACT v2.3");
    }
    if pcf.packaging_emissions_included.is_none() {
        violations.push("/pcf/packagingEmissionsIncluded", "is required by PACT v2.3");
    }
    violations.into_result()?;
    let per_unit = |value: Decimal| (value / pcf.declared_unit_amount).normalize();
    let mut document = Map::new();
    document.insert("id".to_owned(), json!(footprint.id.to_string()));
    document.insert("specVersion".to_owned(), json!(SPEC_VERSION_V2));
    if !footprint.preceding_ids.is_empty() {
        document.insert(
            "precedingPfIds".to_owned(),
            json!(footprint
                .preceding_ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()),
        );
    }
    document.insert("version".to_owned(), json!(footprint.preceding_ids.len() + 1));
    document.insert("created".to_owned(), rfc3339(footprint.created));
    if let Some(updated) = footprint.updated {
        document.insert("updated".to_owned(), rfc3339(updated));
    }
    document.insert("status".to_owned(), json!(footprint.status.as_str()));
    insert_text(&mut document, "statusComment", &footprint.status_comment);
    if let Some(start) = footprint.validity_period_start {
        document.insert("validityPeriodStart".to_owned(), rfc3339(start));
    }
    if let Some(end) = footprint.validity_period_end {
        document.insert("validityPeriodEnd".to_owned(), rfc3339(end));
    }
    document.insert("companyName".to_owned(), json!(footprint.company_name));
    document.insert("companyIds".to_owned(), json!(footprint.company_ids));
    document.insert("productDescription".to_owned(), json!(footprint.product_description));
    document.insert("productIds".to_owned(), json!(footprint.product_ids));
    document.insert("productCategoryCpc".to_owned(), json!(cpc));
    if !footprint.product_classifications.is_empty() {
        document.insert(
            "productClassifications".to_owned(),
            json!(footprint.product_classifications),
        );
    }
    document.insert("productNameCompany".to_owned(), json!(footprint.product_name_company));
    document.insert(
        "comment".to_owned(),
        json!(footprint.comment.clone().unwrap_or_default()),
    );

    let mut carbon = Map::new();
    carbon.insert("declaredUnit".to_owned(), json!(pcf.declared_unit.pact_name()));
    carbon.insert(
        "unitaryProductAmount".to_owned(),
        decimal_text(pcf.declared_unit_amount),
    );
    carbon.insert(
        "pCfExcludingBiogenic".to_owned(),
        decimal_text(per_unit(pcf.pcf_excluding_biogenic_uptake)),
    );
    insert_decimal(
        &mut carbon,
        "pCfIncludingBiogenic",
        pcf.pcf_including_biogenic_uptake.map(per_unit),
    );
    carbon.insert(
        "fossilGhgEmissions".to_owned(),
        decimal_text(per_unit(pcf.fossil_ghg_emissions)),
    );
    carbon.insert(
        "fossilCarbonContent".to_owned(),
        decimal_text(per_unit(pcf.fossil_carbon_content)),
    );
    insert_decimal(
        &mut carbon,
        "biogenicCarbonContent",
        pcf.biogenic_carbon_content.map(per_unit),
    );
    for (key, value) in [
        ("dLucGhgEmissions", pcf.land_use_change_ghg_emissions),
        ("landManagementGhgEmissions", pcf.land_management_ghg_emissions),
        ("otherBiogenicGhgEmissions", pcf.biogenic_non_co2_emissions),
        ("iLucGhgEmissions", pcf.land_carbon_leakage),
        ("biogenicCarbonWithdrawal", pcf.biogenic_co2_uptake),
        ("aircraftGhgEmissions", pcf.aircraft_ghg_emissions),
    ] {
        insert_decimal(&mut carbon, key, value.map(per_unit));
    }
    carbon.insert("characterizationFactors".to_owned(), json!(characterization));
    carbon.insert(
        "ipccCharacterizationFactorsSources".to_owned(),
        json!(pcf.ipcc_characterization_factors),
    );
    carbon.insert("crossSectoralStandardsUsed".to_owned(), json!(standards_used));
    if !standards.is_empty() {
        carbon.insert("crossSectoralStandards".to_owned(), json!(standards));
    }
    if !pcf.product_or_sector_specific_rules.is_empty() {
        carbon.insert(
            "productOrSectorSpecificRules".to_owned(),
            rules_json(&pcf.product_or_sector_specific_rules),
        );
    }
    insert_text(
        &mut carbon,
        "biogenicAccountingMethodology",
        &pcf.biogenic_accounting_methodology,
    );
    carbon.insert(
        "boundaryProcessesDescription".to_owned(),
        json!(pcf.boundary_processes_description.clone().unwrap_or_default()),
    );
    carbon.insert("referencePeriodStart".to_owned(), rfc3339(pcf.reference_period_start));
    carbon.insert("referencePeriodEnd".to_owned(), rfc3339(pcf.reference_period_end));
    if let Some((key, value)) = pcf.geography.pact_property() {
        carbon.insert(key.to_owned(), json!(value));
    }
    if !pcf.secondary_emission_factor_sources.is_empty() {
        carbon.insert(
            "secondaryEmissionFactorSources".to_owned(),
            sources_json(&pcf.secondary_emission_factor_sources),
        );
    }
    carbon.insert(
        "exemptedEmissionsPercent".to_owned(),
        to_json_number(pcf.exempted_emissions_percent),
    );
    carbon.insert(
        "exemptedEmissionsDescription".to_owned(),
        json!(pcf.exempted_emissions_description.clone().unwrap_or_default()),
    );
    carbon.insert(
        "packagingEmissionsIncluded".to_owned(),
        json!(pcf.packaging_emissions_included),
    );
    insert_decimal(
        &mut carbon,
        "packagingGhgEmissions",
        pcf.packaging_ghg_emissions.map(per_unit),
    );
    insert_text(
        &mut carbon,
        "allocationRulesDescription",
        &pcf.allocation_rules_description,
    );
    insert_text(
        &mut carbon,
        "uncertaintyAssessmentDescription",
        &pcf.uncertainty_assessment_description,
    );
    if let Some(share) = pcf.primary_data_share {
        carbon.insert("primaryDataShare".to_owned(), to_json_number(share));
    }
    // v2.3's DQI has five ratings on a 1–3 scale and a coverage: written only when all are known.
    if let Some(dqi) = &pcf.dqi {
        let three = literal("3");
        let ratings = [
            Some(dqi.technological),
            Some(dqi.temporal),
            Some(dqi.geographical),
            dqi.completeness,
            dqi.reliability,
        ];
        if let (Some(coverage), true) = (
            dqi.coverage_percent,
            ratings
                .iter()
                .all(|rating| rating.is_some_and(|rating| rating <= three)),
        ) {
            carbon.insert(
                "dqi".to_owned(),
                json!({
                    "coveragePercent": to_json_number(coverage),
                    "technologicalDQR": to_json_number(dqi.technological),
                    "temporalDQR": to_json_number(dqi.temporal),
                    "geographicalDQR": to_json_number(dqi.geographical),
                    "completenessDQR": ratings[3].map(to_json_number),
                    "reliabilityDQR": ratings[4].map(to_json_number),
                }),
            );
        }
    }
    if let Some(verification) = pcf
        .verification
        .as_ref()
        .filter(|verification| verification.provider_name.is_some())
    {
        let mut object = Map::new();
        object.insert("assurance".to_owned(), json!(true));
        if let Some(coverage) = verification
            .coverage
            .as_ref()
            .filter(|coverage| VERIFICATION_COVERAGES_V2.contains(&coverage.as_str()))
        {
            object.insert("coverage".to_owned(), json!(coverage));
        }
        insert_text(&mut object, "level", &verification.level);
        insert_text(&mut object, "boundary", &verification.boundary);
        insert_text(&mut object, "providerName", &verification.provider_name);
        if let Some(completed) = verification.completed_at {
            object.insert("completedAt".to_owned(), rfc3339(completed));
        }
        insert_text(&mut object, "standardName", &verification.standard_name);
        insert_text(&mut object, "comments", &verification.comments);
        carbon.insert("assurance".to_owned(), Value::Object(object));
    }
    document.insert("pcf".to_owned(), Value::Object(carbon));
    if !footprint.extensions.is_empty() {
        document.insert("extensions".to_owned(), Value::Array(footprint.extensions.clone()));
    }
    Ok(Value::Object(document))
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::fixtures::cell_footprint;

    fn report(result: Result<Footprint, Vec<Violation>>) -> String {
        match result {
            Ok(_) => "ok".to_owned(),
            Err(violations) => violations
                .iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn check(document: &Value, expected: Expect) {
        expected.assert_eq(&report(from_pact(document)));
    }

    /// The sample as PACT knows it: no Ouranos stages, CPC derived from the classification.
    fn pact_sample() -> Footprint {
        let mut footprint = cell_footprint();
        footprint.pcf.stages = None;
        footprint.product_category_cpc = Some("46410".to_owned());
        footprint
    }

    #[test]
    fn v3_round_trips_and_keeps_decimals_as_strings() {
        let footprint = pact_sample();
        let document = to_v3(&cell_footprint()).expect("v3");
        assert_eq!(document["specVersion"], "3.0.0");
        assert_eq!(document["pcf"]["pcfExcludingBiogenicUptake"], "12.5");
        assert_eq!(document["pcf"]["geographyCountry"], "JP");
        assert_eq!(document["pcf"]["dqi"]["temporalDQR"], "2.3");
        assert!(
            document["pcf"].get("stages").is_none(),
            "junkan fields stay out of PACT"
        );
        assert_eq!(from_v3(&document), Ok(footprint));
    }

    #[test]
    fn v3_bad_input_is_reported_field_by_field() {
        let mut document = to_v3(&cell_footprint()).expect("v3");
        document["id"] = json!("urn:uuid:f4b1225a-bd44-4c8e-861d-079e4e1dfd69");
        document["created"] = json!("2025-04-01");
        document["companyIds"] = json!([
            "urn:jp:houjin-bangou:1234567890123",
            "urn:jp:houjin-bangou:1234567890123"
        ]);
        document["productIds"] = json!(["cell-50ah"]);
        document["status"] = json!("Retired");
        let pcf = &mut document["pcf"];
        pcf["declaredUnitAmount"] = json!("0");
        pcf["pcfExcludingBiogenicUptake"] = json!(12.5);
        pcf["fossilGhgEmissions"] = json!("-1");
        pcf["fossilCarbonContent"] = json!("1e3");
        pcf["biogenicCO2Uptake"] = json!("3");
        pcf["geographyRegionOrSubregion"] = json!("Eastern Asia");
        pcf["declaredUnitOfMeasurement"] = json!("gram");
        pcf["ipccCharacterizationFactors"] = json!([]);
        pcf.as_object_mut().expect("object").remove("exemptedEmissionsPercent");
        check(
            &document,
            expect![[r#"
                /id: "urn:uuid:f4b1225a-bd44-4c8e-861d-079e4e1dfd69" is not a UUID such as "f4b1225a-bd44-4c8e-861d-079e4e1dfd69"
                /created: "2025-04-01" is not an RFC 3339 date-time such as 2025-01-01T00:00:00Z
                /status: "Retired" is not one of ["Active", "Deprecated"]
                /companyIds/1: "urn:jp:houjin-bangou:1234567890123" is listed twice
                /productIds/0: "cell-50ah" is not a URN (urn:<namespace>:<identifier>)
                /pcf/declaredUnitOfMeasurement: "gram" is not one of ["liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule", "ton kilometer", "square meter", "piece", "hour", "megabit second"]
                /pcf/declaredUnitAmount: must be more than zero, got 0
                /pcf/geographyCountry: only one geography may be given, but geographyRegionOrSubregion, geographyCountry are
                /pcf/pcfExcludingBiogenicUptake: must be a decimal string such as "1.5" (not a JSON number)
                /pcf/fossilGhgEmissions: must be zero or more, got -1
                /pcf/fossilCarbonContent: must be a decimal string such as "12.5" (digits, optional sign and fraction), got "1e3"
                /pcf/ipccCharacterizationFactors: must list at least one value
                /pcf/exemptedEmissionsPercent: is required
                /pcf/biogenicCO2Uptake: must be zero or less, got 3"#]],
        );
    }

    #[test]
    fn v3_semantic_rules_follow_the_schema_rules() {
        let mut document = to_v3(&cell_footprint()).expect("v3");
        document["validityPeriodStart"] = json!("2024-06-01T00:00:00Z");
        document["pcf"]["primaryDataShare"] = json!("120");
        document["pcf"]["dqi"]["technologicalDQR"] = json!("0.5");
        check(
            &document,
            expect![[r#"
                /pcf/primaryDataShare: is a percentage and must be at most 100
                /pcf/dqi/technologicalDQR: must be between 1 and 5
                /validityPeriodStart: must not be before the reference period end (pcf/referencePeriodEnd)"#]],
        );
    }

    #[test]
    fn spec_versions_are_dispatched() {
        check(
            &json!({"specVersion": "4.0.0"}),
            expect![[r#"/specVersion: must be a PACT version 2.x or 3.x such as "3.0.0""#]],
        );
        check(
            &json!([]),
            expect![[r#"/specVersion: must be a PACT version 2.x or 3.x such as "3.0.0""#]],
        );
        let mut document = to_v3(&cell_footprint()).expect("v3");
        document["specVersion"] = json!("3.0");
        assert!(
            report(from_pact(&document)).contains("must be a PACT version")
                || report(from_v3(&document)).contains("/specVersion")
        );
    }

    #[test]
    fn v2_states_values_per_unit_and_reads_back_per_declared_unit() {
        let mut footprint = pact_sample();
        footprint.pcf.declared_unit = DeclaredUnit::Kilogram;
        footprint.pcf.declared_unit_amount = literal("12");
        footprint.pcf.pcf_excluding_biogenic_uptake = literal("18");
        footprint.pcf.pcf_including_biogenic_uptake = Some(literal("18"));
        footprint.pcf.fossil_ghg_emissions = literal("6");
        footprint.pcf.biogenic_co2_uptake = Some(literal("-1.2"));
        footprint.pcf.dqi = None;
        let document = to_v2(&footprint).expect("v2");
        assert_eq!(document["specVersion"], "2.3.0");
        assert_eq!(document["pcf"]["declaredUnit"], "kilogram");
        assert_eq!(document["pcf"]["unitaryProductAmount"], "12");
        assert_eq!(document["pcf"]["pCfExcludingBiogenic"], "1.5");
        assert_eq!(document["pcf"]["fossilGhgEmissions"], "0.5");
        assert_eq!(document["pcf"]["biogenicCarbonWithdrawal"], "-0.1");
        assert_eq!(document["pcf"]["exemptedEmissionsPercent"], json!(0.5));
        assert_eq!(document["pcf"]["primaryDataShare"], json!(40));
        assert_eq!(
            document["pcf"]["crossSectoralStandardsUsed"],
            json!(["ISO Standard 14067"])
        );
        assert_eq!(document["pcf"]["characterizationFactors"], "AR6");
        assert_eq!(document["productCategoryCpc"], "46410");
        assert_eq!(document["version"], 1);
        let back = from_v2(&document).expect("reads back");
        assert_eq!(back.pcf.pcf_excluding_biogenic_uptake, literal("18"));
        assert_eq!(back.pcf.fossil_ghg_emissions, literal("6"));
        assert_eq!(back.pcf.biogenic_co2_uptake, Some(literal("-1.2")));
        assert_eq!(
            back.pcf.product_mass_per_declared_unit, None,
            "v2.3 has no product mass"
        );
        assert_eq!(
            to_v3(&back).map(|_| ()),
            Err(vec![Violation::new(
                "/pcf/productMassPerDeclaredUnit",
                "is required by PACT v3 (0 when the mass is not relevant)"
            )])
        );
    }

    #[test]
    fn v2_refuses_what_it_cannot_say() {
        let mut footprint = cell_footprint();
        footprint.product_classifications.clear();
        footprint.pcf.cross_sectoral_standards = vec!["PEF".to_owned()];
        footprint.pcf.exempted_emissions_percent = literal("6");
        footprint.pcf.biogenic_carbon_content = None;
        let report = match to_v2(&footprint) {
            Ok(_) => "ok".to_owned(),
            Err(violations) => violations
                .iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        expect![[r#"
            /pcf/declaredUnit: PACT v2.3 has no declared unit "piece"
            /pcf/crossSectoralStandardsUsed: PACT v2.3 needs GHGP-Product, ISO14067 or ISO14040-44 among the standards
            /pcf/exemptedEmissionsPercent: PACT v2.3 allows at most 5 % exempted emissions
            /productCategoryCpc: PACT v2.3 needs a UN CPC code (productCategoryCpc or a un-cpc classification)
            /pcf/biogenicCarbonContent: is required by PACT v2.3"#]]
        .assert_eq(&report);
    }

    #[test]
    fn v2_bad_input_uses_v2_pointers() {
        let mut footprint = pact_sample();
        footprint.pcf.declared_unit = DeclaredUnit::Kilogram;
        footprint.pcf.dqi = None;
        let mut document = to_v2(&footprint).expect("v2");
        document["pcf"]["exemptedEmissionsPercent"] = json!(7);
        document["pcf"]["primaryDataShare"] = json!("40");
        document["pcf"]["pCfExcludingBiogenic"] = json!("-3");
        document["pcf"]["biogenicCarbonWithdrawal"] = json!("2");
        document["pcf"]["dqi"] = json!({"coveragePercent": 80, "technologicalDQR": 4, "temporalDQR": 2, "geographicalDQR": 2, "completenessDQR": 2});
        document.as_object_mut().expect("object").remove("version");
        check(
            &document,
            expect![[r#"
                /version: is required
                /pcf/pCfExcludingBiogenic: must be zero or more, got -3
                /pcf/exemptedEmissionsPercent: must be between 0 and 5, got 7
                /pcf/primaryDataShare: must be a number
                /pcf/dqi/technologicalDQR: must be between 1 and 3, got 4
                /pcf/dqi/reliabilityDQR: is required
                /pcf/biogenicCarbonWithdrawal: must be zero or less, got 2"#]],
        );
    }
}
