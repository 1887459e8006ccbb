//! WBCSD Circular Transition Indicators (CTI, 循環移行指標) at company level: % circular inflow,
//! % circular outflow (recovery potential × actual recovery), and % circularity as their
//! mass-weighted average. Flows may come in any mass unit; other units are accepted only when
//! every flow uses the same one, since mixing them needs a conversion junkan does not have.

use junkan_model::validation::Violations;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::input::{flows, Flow, Inputs, Kind};
use crate::{IndicatorInfo, Outcome, PERCENT};

/// The company-level CTI.
pub const INFO: IndicatorInfo = IndicatorInfo {
    name: "cti",
    title_ja: "循環移行指標（WBCSD CTI：循環インフロー・循環アウトフロー・循環率）",
    title_en: "Circular Transition Indicators (WBCSD CTI: circular inflow, circular outflow, circularity)",
    level: "organization, facility",
    methodology: "WBCSD Circular Transition Indicators v4.0 (2023), material circularity module",
};

/// The CTI from `inflows` (`mass`, `unit`, and the `recycled_share`, `reused_share` and
/// `renewable_share` fractions) and `outflows` (`mass`, `unit`, `recovery_potential`,
/// `actual_recovery` fractions).
pub(crate) fn compute(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(
        input,
        "",
        &["organization", "period", "inflows", "outflows"],
        violations,
    )?;
    let mut unit = None;
    let inflows = flows(
        &inputs,
        "inflows",
        &["recycled_share", "reused_share", "renewable_share"],
        &mut unit,
        violations,
        |flow, violations| {
            let share = |key: &str, violations: &mut Violations| {
                flow.optional(key, Kind::Fraction, violations).unwrap_or_default()
            };
            let total = share("recycled_share", violations)
                + share("reused_share", violations)
                + share("renewable_share", violations);
            if total > Decimal::ONE {
                violations.push(
                    flow.at("recycled_share"),
                    "recycled, reused and renewable shares together must not exceed 1",
                );
                return None;
            }
            Some(total)
        },
    );
    let outflows = flows(
        &inputs,
        "outflows",
        &["recovery_potential", "actual_recovery"],
        &mut unit,
        violations,
        |flow, violations| {
            let potential = flow.decimal("recovery_potential", Kind::Fraction, violations)?;
            let actual = flow.decimal("actual_recovery", Kind::Fraction, violations)?;
            Some(potential * actual)
        },
    );
    if !violations.is_empty() {
        return None;
    }
    let sum = |flows: &[Flow<Decimal>]| -> (Decimal, Decimal) {
        flows
            .iter()
            .fold((Decimal::ZERO, Decimal::ZERO), |(circular, total), flow| {
                (circular + flow.mass * flow.value, total + flow.mass)
            })
    };
    let (circular_in, mass_in) = sum(&inflows);
    let (circular_out, mass_out) = sum(&outflows);
    let mut outcome = Outcome::new(
        "% circular inflow = sum(mass * (recycled + reused + renewable share)) / sum(inflow mass); % circular outflow = sum(mass * recovery potential * actual recovery) / sum(outflow mass); % circularity = (circular inflow + circular outflow) / (inflow mass + outflow mass)",
        "WBCSD, Circular Transition Indicators v4.0 (2023)",
    );
    outcome.set_value(
        "unit",
        Value::from(unit.map(|(unit, _)| unit).unwrap_or_else(|| "t".to_owned())),
    );
    outcome.set("inflow_mass", mass_in);
    outcome.set("outflow_mass", mass_out);
    outcome.ratio(
        "circular_inflow_pct",
        circular_in,
        mass_in,
        PERCENT,
        "circular inflow mass / total inflow mass",
    );
    outcome.ratio(
        "circular_outflow_pct",
        circular_out,
        mass_out,
        PERCENT,
        "recovered outflow mass / total outflow mass",
    );
    outcome.ratio(
        "circularity_pct",
        circular_in + circular_out,
        mass_in + mass_out,
        PERCENT,
        "circular inflow and outflow mass / total inflow and outflow mass",
    );
    Some(outcome)
}
