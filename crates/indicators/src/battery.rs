//! Recycled content of batteries against the minimum shares of Regulation (EU) 2023/1542, Art. 8
//! (電池規則の再生材含有率): cobalt, lithium and nickel over the active materials, lead over the whole
//! battery; per battery model, year and manufacturing plant.

use junkan_model::validation::Violations;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::input::{Inputs, Kind};
use crate::{IndicatorInfo, Outcome, PERCENT};

/// The battery recycled-content check.
pub const INFO: IndicatorInfo = IndicatorInfo {
    name: "battery-recycled-content",
    title_ja: "電池の再生材含有率（EU電池規則 第8条）",
    title_en: "Battery recycled content (Regulation (EU) 2023/1542, Art. 8)",
    level: "product (battery model, year, plant)",
    methodology:
        "Regulation (EU) 2023/1542, Art. 8(2) and 8(3) minimum shares (from 18 August 2031 and 18 August 2036)",
};

/// A metal the Regulation sets minimum recycled shares for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metal {
    /// コバルト.
    Cobalt,
    /// リチウム.
    Lithium,
    /// ニッケル.
    Nickel,
    /// 鉛.
    Lead,
}

impl Metal {
    /// Every metal, with its input name.
    pub const ALL: [(&'static str, Metal); 4] = [
        ("cobalt", Metal::Cobalt),
        ("lithium", Metal::Lithium),
        ("nickel", Metal::Nickel),
        ("lead", Metal::Lead),
    ];

    /// The minimum recycled shares in percent from 2031 and from 2036 (Art. 8(2)(a)–(d), 8(3)).
    pub fn minimum_shares_pct(self) -> (Decimal, Decimal) {
        let (from_2031, from_2036) = match self {
            Metal::Cobalt => (16, 26),
            Metal::Lithium => (6, 12),
            Metal::Nickel => (6, 15),
            Metal::Lead => (85, 85),
        };
        (Decimal::from(from_2031), Decimal::from(from_2036))
    }
}

/// The recycled share of one metal and whether it meets the 2031 and 2036 minimums: from
/// `mass_in_active_material_kg` (or `metal_mass_kg` for lead, over the whole battery) and
/// `recovered_kg` (optionally split into `manufacturing_waste_kg` and `post_consumer_kg`), or from
/// a declared `recycled_share_pct`.
pub(crate) fn compute(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(
        input,
        "",
        &[
            "metal",
            "battery_model",
            "plant",
            "year",
            "mass_in_active_material_kg",
            "metal_mass_kg",
            "recovered_kg",
            "manufacturing_waste_kg",
            "post_consumer_kg",
            "recycled_share_pct",
        ],
        violations,
    )?;
    let metal_name = inputs.text("metal", violations);
    let metal = metal_name.and_then(|name| {
        let found = Metal::ALL
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, metal)| *metal);
        if found.is_none() {
            violations.push(
                inputs.at("metal"),
                format!("must be one of cobalt, lithium, nickel, lead, got {name:?}"),
            );
        }
        found
    });
    let mut outcome = Outcome::new(
        "share = recovered metal / metal in the active material (lead: in the battery); meets_YYYY = share >= minimum share from YYYY",
        "Regulation (EU) 2023/1542 of 12 July 2023 concerning batteries and waste batteries, Article 8",
    );
    let declared = inputs.optional("recycled_share_pct", Kind::Percent, violations);
    let mass_key = match (inputs.has("mass_in_active_material_kg"), inputs.has("metal_mass_kg")) {
        (true, true) => {
            violations.push(
                inputs.at("metal_mass_kg"),
                "give either mass_in_active_material_kg or metal_mass_kg, not both",
            );
            None
        }
        (true, false) => Some("mass_in_active_material_kg"),
        (false, true) => Some("metal_mass_kg"),
        (false, false) => None,
    };
    let masses = match (mass_key, declared) {
        (Some(_), Some(_)) => {
            violations.push(
                inputs.at("recycled_share_pct"),
                "give either the masses or a declared share, not both",
            );
            None
        }
        (Some(mass_key), None) => {
            let total = inputs.decimal(mass_key, Kind::Mass, violations);
            let recovered = inputs.decimal("recovered_kg", Kind::Mass, violations);
            let manufacturing = inputs.optional("manufacturing_waste_kg", Kind::Mass, violations);
            let post_consumer = inputs.optional("post_consumer_kg", Kind::Mass, violations);
            match (total, recovered) {
                (Some(total), Some(recovered)) if recovered > total => {
                    violations.push(
                        inputs.at("recovered_kg"),
                        format!(
                            "{recovered} kg recovered is more than the {total} kg of {} in the battery",
                            metal_name.unwrap_or("metal")
                        ),
                    );
                    None
                }
                (Some(total), Some(recovered)) => {
                    if let (Some(manufacturing), Some(post_consumer)) = (manufacturing, post_consumer) {
                        if manufacturing + post_consumer != recovered {
                            violations.push(inputs.at("recovered_kg"), format!("manufacturing_waste_kg + post_consumer_kg = {} must equal recovered_kg ({recovered})", manufacturing + post_consumer));
                        }
                    }
                    Some((total, recovered, manufacturing, post_consumer))
                }
                _ => None,
            }
        }
        (None, Some(_)) => None,
        (None, None) if inputs.has("recycled_share_pct") => None,
        (None, None) => {
            violations.push(
                "",
                "give mass_in_active_material_kg (metal_mass_kg for lead) and recovered_kg, or recycled_share_pct",
            );
            None
        }
    };
    let metal = metal?;
    if !violations.is_empty() {
        return None;
    }
    let share = match (masses, declared) {
        (Some((total, recovered, manufacturing, post_consumer)), _) => {
            let share = outcome.ratio(
                "share_pct",
                recovered,
                total,
                PERCENT,
                "recovered metal / metal in the battery's active material (lead: whole battery)",
            );
            if let Some(manufacturing) = manufacturing {
                outcome.ratio(
                    "manufacturing_waste_share_pct",
                    manufacturing,
                    total,
                    PERCENT,
                    "metal recovered from manufacturing waste / metal in the battery",
                );
            }
            if let Some(post_consumer) = post_consumer {
                outcome.ratio(
                    "post_consumer_share_pct",
                    post_consumer,
                    total,
                    PERCENT,
                    "metal recovered from post-consumer waste / metal in the battery",
                );
            }
            share.map(|share| (share, Some((total, recovered))))
        }
        (None, Some(declared)) => {
            outcome.set("share_pct", declared);
            outcome.note("the share is as declared; no masses were given to check it against");
            Some((declared, None))
        }
        (None, None) => None,
    };
    let (minimum_2031, minimum_2036) = metal.minimum_shares_pct();
    outcome.set("minimum_2031_pct", minimum_2031);
    outcome.set("minimum_2036_pct", minimum_2036);
    match share {
        Some((share, masses)) => {
            for (year, minimum) in [("2031", minimum_2031), ("2036", minimum_2036)] {
                outcome.set_value(&format!("meets_{year}"), Value::Bool(share >= minimum));
                if let Some((total, recovered)) = masses {
                    let shortfall = (total * minimum / PERCENT - recovered).max(Decimal::ZERO);
                    outcome.set(&format!("shortfall_{year}_kg"), shortfall);
                }
            }
        }
        None => {
            outcome.missing("meets_2031", "the share is not computable");
            outcome.missing("meets_2036", "the share is not computable");
        }
    }
    Some(outcome)
}
