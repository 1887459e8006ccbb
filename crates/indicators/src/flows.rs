//! Regional and national material-flow indicators: Japan's material-flow indicators of the
//! Fundamental Plan for Establishing a Sound Material-Cycle Society (循環型社会形成推進基本計画の
//! 物質フロー指標), the municipal waste recycling rate (一般廃棄物のリサイクル率) and Eurostat's
//! circular material use rate (CMU).

use junkan_model::validation::Violations;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::input::{tonnes_per, Inputs, Kind};
use crate::{IndicatorInfo, Outcome, PERCENT};

/// Japan's material-flow indicators.
pub const JP_MATERIAL_FLOW_INFO: IndicatorInfo = IndicatorInfo {
    name: "jp-material-flow",
    title_ja: "物質フロー指標（資源生産性・入口側/出口側の循環利用率・最終処分量）",
    title_en: "Japan's material-flow indicators (resource productivity, inlet-side and outlet-side circular use rates, final disposal)",
    level: "region, nation",
    methodology: "Fundamental Plan for Establishing a Sound Material-Cycle Society, material-flow indicators (4th plan 2018, 5th plan 2024 definitions)",
};

/// The municipal waste recycling rate.
pub const MUNICIPAL_RECYCLING_RATE_INFO: IndicatorInfo = IndicatorInfo {
    name: "municipal-recycling-rate",
    title_ja: "一般廃棄物のリサイクル率",
    title_en: "Municipal waste recycling rate",
    level: "region (municipality, prefecture), nation",
    methodology: "Ministry of the Environment, 一般廃棄物処理実態調査 definition: (direct recycling + recycling after intermediate treatment + group collection) / (total treated + group collection)",
};

/// Eurostat's circular material use rate.
pub const CMU_INFO: IndicatorInfo = IndicatorInfo {
    name: "cmu",
    title_ja: "循環資源利用率（Eurostat CMU）",
    title_en: "Circular material use rate (Eurostat CMU)",
    level: "region, nation",
    methodology: "Eurostat env_ac_cur metadata: CMU = U / (DMC + U), U = RCV_O - IMP_w + EXP_w",
};

/// The mass unit of a material-flow input (`unit`, default Mt), as tonnes per unit.
fn unit_factor(inputs: &Inputs<'_>, default: &str, violations: &mut Violations) -> (String, Decimal) {
    let unit = match inputs.raw("unit") {
        None => default.to_owned(),
        Some(Value::String(unit)) => unit.clone(),
        Some(other) => {
            violations.push(
                inputs.at("unit"),
                format!("must be a unit of mass such as \"Mt\", got {other}"),
            );
            return (default.to_owned(), Decimal::ONE);
        }
    };
    match tonnes_per(&unit) {
        Some(factor) => (unit, factor),
        None => {
            violations.push(
                inputs.at("unit"),
                format!("{unit:?} is not a unit of mass junkan converts (g, kg, t, kt, 10^4 t (万t), Mt, 億t)"),
            );
            (unit, Decimal::ONE)
        }
    }
}

/// Japan's material-flow indicators from natural resource input (天然資源等投入量), circular use
/// (循環利用量), waste generation (廃棄物等発生量), reduction by treatment (減量化量), final
/// disposal (最終処分量), natural return (自然還元量), real GDP and population.
pub(crate) fn compute_jp_material_flow(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(
        input,
        "",
        &[
            "fiscal_year",
            "region",
            "unit",
            "natural_resource_input",
            "circular_use",
            "waste_generation",
            "reduction",
            "final_disposal",
            "natural_return",
            "real_gdp_trillion_yen",
            "population",
        ],
        violations,
    )?;
    let (unit, tonnes) = unit_factor(&inputs, "Mt", violations);
    let mass = |key: &str, violations: &mut Violations| inputs.optional(key, Kind::Mass, violations);
    let natural_resource_input = mass("natural_resource_input", violations);
    let circular_use = mass("circular_use", violations);
    let waste_generation = mass("waste_generation", violations);
    let reduction = mass("reduction", violations);
    let final_disposal = mass("final_disposal", violations);
    let natural_return = mass("natural_return", violations);
    let gdp = inputs.optional("real_gdp_trillion_yen", Kind::Positive, violations);
    let population = inputs.optional("population", Kind::Positive, violations);
    if let Some(year) = inputs.raw("fiscal_year") {
        if year.as_u64().is_none_or(|year| !(1900..=2200).contains(&year)) {
            violations.push(
                inputs.at("fiscal_year"),
                format!("must be a fiscal year such as 2019, got {year}"),
            );
        }
    }

    let mut outcome = Outcome::new(
        "resource productivity = real GDP / natural resource input; inlet-side circular use rate = circular use / (circular use + natural resource input); outlet-side circular use rate = circular use / waste generation; balance gap = waste generation - (circular use + reduction + final disposal + natural return)",
        "Ministry of the Environment, Fundamental Plan for Establishing a Sound Material-Cycle Society and its progress reviews (material-flow indicators)",
    );
    outcome.set_value("unit", Value::from(unit.clone()));
    let needs = |names: &[&str]| format!("needs {}", names.join(" and "));
    match (circular_use, natural_resource_input) {
        (Some(circular), Some(natural)) => {
            outcome.ratio(
                "inlet_circular_use_rate_pct",
                circular,
                circular + natural,
                PERCENT,
                "circular use / (circular use + natural resource input)",
            );
        }
        _ => outcome.missing(
            "inlet_circular_use_rate_pct",
            needs(&["circular_use", "natural_resource_input"]),
        ),
    }
    match (circular_use, waste_generation) {
        (Some(circular), Some(waste)) => {
            outcome.ratio(
                "outlet_circular_use_rate_pct",
                circular,
                waste,
                PERCENT,
                "circular use / waste generation",
            );
        }
        _ => outcome.missing(
            "outlet_circular_use_rate_pct",
            needs(&["circular_use", "waste_generation"]),
        ),
    }
    let million = Decimal::new(1_000_000, 0);
    match (
        waste_generation,
        circular_use,
        reduction,
        final_disposal,
        natural_return,
    ) {
        (Some(waste), Some(circular), Some(reduction), Some(disposal), Some(natural)) => {
            let gap = waste - (circular + reduction + disposal + natural);
            outcome.set("balance_gap_mt", gap * tonnes / million);
            outcome.note(format!(
                "balance: waste generation {waste} {unit} = circular use {circular} + reduction {reduction} + final disposal {disposal} + natural return {natural} + gap {gap}"
            ));
        }
        _ => outcome.missing(
            "balance_gap_mt",
            needs(&[
                "waste_generation",
                "circular_use",
                "reduction",
                "final_disposal",
                "natural_return",
            ]),
        ),
    }
    match final_disposal {
        Some(disposal) => outcome.set("final_disposal_mt", disposal * tonnes / million),
        None => outcome.missing("final_disposal_mt", needs(&["final_disposal"])),
    }
    // 万円/t: yen per tonne / 10,000.
    match (gdp, natural_resource_input) {
        (Some(gdp), Some(natural)) => {
            let yen = gdp * Decimal::new(1_000_000_000_000, 0);
            let natural_tonnes = natural * tonnes;
            outcome.ratio(
                "resource_productivity_man_yen_per_t",
                yen / Decimal::new(10_000, 0),
                natural_tonnes,
                Decimal::ONE,
                "real GDP in 万円 / natural resource input in t",
            );
        }
        _ => outcome.missing(
            "resource_productivity_man_yen_per_t",
            needs(&["real_gdp_trillion_yen", "natural_resource_input"]),
        ),
    }
    if let Some(population) = population {
        let per_capita = |value: Option<Decimal>| value.map(|value| value * tonnes / population);
        for (name, value) in [
            (
                "natural_resource_input_per_capita_t",
                per_capita(natural_resource_input),
            ),
            ("final_disposal_per_capita_t", per_capita(final_disposal)),
            ("waste_generation_per_capita_t", per_capita(waste_generation)),
        ] {
            match value {
                Some(value) => outcome.set(name, value),
                None => outcome.missing(name, "the flow is not given"),
            }
        }
    }
    Some(outcome)
}

/// The municipal waste recycling rate (リサイクル率).
pub(crate) fn compute_municipal_recycling_rate(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(
        input,
        "",
        &[
            "fiscal_year",
            "region",
            "unit",
            "direct_recycling",
            "recycling_after_treatment",
            "group_collection",
            "total_treated",
        ],
        violations,
    )?;
    let (_unit, _tonnes) = unit_factor(&inputs, "t", violations);
    let direct = inputs.decimal("direct_recycling", Kind::Mass, violations);
    let after_treatment = inputs.decimal("recycling_after_treatment", Kind::Mass, violations);
    let group = inputs.decimal("group_collection", Kind::Mass, violations);
    let treated = inputs.decimal("total_treated", Kind::Mass, violations);
    let (direct, after_treatment, group, treated) = (direct?, after_treatment?, group?, treated?);
    if direct + after_treatment > treated {
        violations.push(
            inputs.at("total_treated"),
            "must be at least direct recycling plus recycling after treatment (both are part of the waste treated)",
        );
        return None;
    }
    let mut outcome = Outcome::new(
        "recycling rate = (direct_recycling + recycling_after_treatment + group_collection) / (total_treated + group_collection)",
        "Ministry of the Environment, 一般廃棄物処理実態調査 (municipal solid waste survey)",
    );
    outcome.ratio(
        "recycling_rate_pct",
        direct + after_treatment + group,
        treated + group,
        PERCENT,
        "recycled (direct, after treatment, group collection) / (total treated + group collection)",
    );
    Some(outcome)
}

/// Eurostat's circular material use rate.
pub(crate) fn compute_cmu(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(
        input,
        "",
        &["year", "area", "unit", "DMC", "RCV_O", "IMP_w", "EXP_w"],
        violations,
    )?;
    let (_unit, _tonnes) = unit_factor(&inputs, "t", violations);
    // Domestic material consumption can be negative for a net exporter of materials; it is an
    // accounting balance, not a mass, so only the waste flows must be zero or more.
    let consumption = match inputs.raw("DMC") {
        Some(value) => match crate::input::decimal_of(value) {
            Ok(value) => Some(value),
            Err(message) => {
                violations.push(inputs.at("DMC"), message);
                None
            }
        },
        None => {
            violations.push(inputs.at("DMC"), "is required");
            None
        }
    };
    let recovered = inputs.decimal("RCV_O", Kind::Mass, violations);
    let imported = inputs.decimal("IMP_w", Kind::Mass, violations);
    let exported = inputs.decimal("EXP_w", Kind::Mass, violations);
    let (consumption, recovered, imported, exported) = (consumption?, recovered?, imported?, exported?);
    let circular = recovered - imported + exported;
    let mut outcome = Outcome::new(
        "CMU = U / (DMC + U); U = RCV_O - IMP_w + EXP_w",
        "Eurostat, Circular material use rate (env_ac_cur), methodology and metadata",
    );
    outcome.set("U", circular);
    outcome.ratio(
        "CMU_pct",
        circular,
        consumption + circular,
        PERCENT,
        "circular use of materials U / (domestic material consumption + U)",
    );
    if circular < Decimal::ZERO {
        outcome.note("U is negative: more waste was imported for recovery than recovered domestically");
    }
    Some(outcome)
}
