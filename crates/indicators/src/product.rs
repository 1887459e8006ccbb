//! Product-level shares: recycled content (再生材含有率, split pre-consumer / post-consumer and
//! per material) and the recyclable share of a product's mass (リサイクル可能率).

use std::collections::BTreeMap;

use junkan_model::validation::Violations;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::input::{flows, Inputs, Kind};
use crate::{share_number, IndicatorInfo, Outcome, PERCENT};

/// A product's recycled content.
pub const RECYCLED_CONTENT_INFO: IndicatorInfo = IndicatorInfo {
    name: "recycled-content",
    title_ja: "再生材含有率（製品）",
    title_en: "Recycled content (product)",
    level: "product",
    methodology: "ISO 14021:2016 7.8 recycled content: pre-consumer and post-consumer material as a share of product mass; junkan 1",
};

/// A product's recyclable share.
pub const RECYCLABILITY_INFO: IndicatorInfo = IndicatorInfo {
    name: "recyclability",
    title_ja: "リサイクル可能率（製品）",
    title_en: "Recyclable share (product)",
    level: "product",
    methodology: "share of product mass in components declared recyclable in practice and at scale; junkan 1",
};

/// Recycled content from `components` (`mass`, `unit`, `material`, and the `pre_consumer_share`
/// and `post_consumer_share` fractions of each).
pub(crate) fn compute_recycled_content(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(input, "", &["product", "components"], violations)?;
    let mut unit = None;
    let components = flows(
        &inputs,
        "components",
        &["material", "pre_consumer_share", "post_consumer_share"],
        &mut unit,
        violations,
        |component, violations| {
            let material = component.text("material", violations)?.to_owned();
            let pre = component
                .optional("pre_consumer_share", Kind::Fraction, violations)
                .unwrap_or_default();
            let post = component
                .optional("post_consumer_share", Kind::Fraction, violations)
                .unwrap_or_default();
            if pre + post > Decimal::ONE {
                violations.push(
                    component.at("pre_consumer_share"),
                    "pre-consumer and post-consumer shares together must not exceed 1",
                );
                return None;
            }
            Some((material, pre, post))
        },
    );
    if !violations.is_empty() {
        return None;
    }
    let mut total = Decimal::ZERO;
    let mut pre_consumer = Decimal::ZERO;
    let mut post_consumer = Decimal::ZERO;
    let mut by_material: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for component in &components {
        let (material, pre, post) = &component.value;
        total += component.mass;
        pre_consumer += component.mass * pre;
        post_consumer += component.mass * post;
        let entry = by_material.entry(material.clone()).or_default();
        entry.0 += component.mass * (pre + post);
        entry.1 += component.mass;
    }
    let mut outcome = Outcome::new(
        "recycled content = sum(mass * (pre-consumer + post-consumer share)) / sum(mass)",
        "ISO 14021:2016, 7.8 (recycled content)",
    );
    outcome.set_value(
        "unit",
        Value::from(unit.map(|(unit, _)| unit).unwrap_or_else(|| "t".to_owned())),
    );
    outcome.set("mass", total);
    outcome.ratio(
        "recycled_content_pct",
        pre_consumer + post_consumer,
        total,
        PERCENT,
        "recycled mass / product mass",
    );
    outcome.ratio(
        "pre_consumer_pct",
        pre_consumer,
        total,
        PERCENT,
        "pre-consumer recycled mass / product mass",
    );
    outcome.ratio(
        "post_consumer_pct",
        post_consumer,
        total,
        PERCENT,
        "post-consumer recycled mass / product mass",
    );
    let materials: Map<String, Value> = by_material
        .into_iter()
        .map(|(material, (recycled, mass))| {
            let share = if mass.is_zero() {
                Value::Null
            } else {
                share_number(recycled / mass * PERCENT)
            };
            (material, share)
        })
        .collect();
    outcome.set_value("by_material_pct", Value::Object(materials));
    Some(outcome)
}

/// The recyclable share from `components` (`mass`, `unit`, and either `recyclable`, true or
/// false, or `recyclable_share`, the recyclable fraction 0–1 of the component as a passport
/// states it).
pub(crate) fn compute_recyclability(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(input, "", &["product", "components"], violations)?;
    let mut unit = None;
    let components = flows(
        &inputs,
        "components",
        &["recyclable", "recyclable_share"],
        &mut unit,
        violations,
        |component, violations| match (component.raw("recyclable"), component.has("recyclable_share")) {
            (Some(_), true) => {
                violations.push(
                    component.at("recyclable"),
                    "give either recyclable or recyclable_share, not both",
                );
                None
            }
            (None, true) => component.decimal("recyclable_share", Kind::Fraction, violations),
            (Some(Value::Bool(recyclable)), false) => Some(if *recyclable { Decimal::ONE } else { Decimal::ZERO }),
            (Some(other), false) => {
                violations.push(
                    component.at("recyclable"),
                    format!("must be true or false, got {other}"),
                );
                None
            }
            (None, false) => {
                violations.push(
                    component.at("recyclable"),
                    "is required (or recyclable_share, a fraction 0-1)",
                );
                None
            }
        },
    );
    if !violations.is_empty() {
        return None;
    }
    let total: Decimal = components.iter().map(|component| component.mass).sum();
    let recyclable: Decimal = components
        .iter()
        .map(|component| component.mass * component.value)
        .sum();
    let mut outcome = Outcome::new(
        "recyclable share = sum(mass * recyclable share (1 or 0 for recyclable true or false)) / product mass",
        "junkan methodology 1",
    );
    outcome.ratio(
        "recyclability_pct",
        recyclable,
        total,
        PERCENT,
        "mass of recyclable components / product mass",
    );
    Some(outcome)
}
