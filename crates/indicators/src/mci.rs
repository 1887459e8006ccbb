//! Material Circularity Indicator (マテリアル循環性指標, MCI) of the Ellen MacArthur Foundation,
//! for one product and mass-weighted for a company's products.
//!
//! V = M(1 − F_R − F_U − F_S); W0 = M(1 − C_R − C_U − C_C − C_E); W_C = M(1 − E_C)C_R;
//! W_F = M(1 − E_F)F_R / E_F; W = W0 + (W_F + W_C)/2; LFI = (V + W) / (2M + (W_F − W_C)/2);
//! X = (L/L_av)(U/U_av); F(X) = 0.9/X; MCI = max(0, 1 − LFI·F(X)).
//! The 2015 methodology has no sustained-production feedstock (F_S) and no composting (C_C) or
//! energy-recovery (C_E) collection; the 2019 methodology adds them. Shares are fractions (0–1).

use junkan_model::validation::Violations;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::input::{Inputs, Kind};
use crate::{IndicatorInfo, Outcome};

/// The product-level MCI.
pub const INFO: IndicatorInfo = IndicatorInfo {
    name: "mci",
    title_ja: "マテリアル循環性指標（製品）",
    title_en: "Material Circularity Indicator (product)",
    level: "product",
    methodology: "Ellen MacArthur Foundation MCI, 2019 methodology (2015 on request)",
};

/// The company-level, mass-weighted MCI.
pub const COMPANY_INFO: IndicatorInfo = IndicatorInfo {
    name: "company-mci",
    title_ja: "マテリアル循環性指標（企業、質量加重）",
    title_en: "Material Circularity Indicator (company, mass-weighted)",
    level: "organization",
    methodology: "Ellen MacArthur Foundation MCI, company level weighted by product mass, 2019 methodology",
};

const FORMULA: &str = "V = M(1-F_R-F_U-F_S); W0 = M(1-C_R-C_U-C_C-C_E); W_C = M(1-E_C)C_R; W_F = M(1-E_F)F_R/E_F; W = W0+(W_F+W_C)/2; LFI = (V+W)/(2M+(W_F-W_C)/2); X = (L/L_av)(U/U_av); F(X) = 0.9/X; MCI = max(0, 1-LFI*F(X))";
const SOURCE: &str = "Ellen MacArthur Foundation, Circularity Indicators: An Approach to Measuring Circularity, Methodology (2015; 2019 revision)";

const KEYS: &[&str] = &[
    "version", "M", "F_R", "F_U", "F_S", "C_R", "C_U", "C_C", "C_E", "E_F", "E_C", "L_ratio", "U_ratio", "L", "L_av",
    "U", "U_av",
];

/// The figures of one product's MCI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductMci {
    /// Product mass M.
    pub mass: Decimal,
    /// Virgin feedstock V.
    pub virgin: Decimal,
    /// Unrecoverable waste W.
    pub waste: Decimal,
    /// Linear Flow Index.
    pub lfi: Decimal,
    /// Utility X.
    pub utility: Decimal,
    /// 1 − LFI·F(X) before clamping at 0.
    pub unclamped: Decimal,
    /// The MCI.
    pub mci: Decimal,
}

/// Reads one product's MCI inputs at `pointer`, records its figures in `outcome` when given, and
/// returns them.
fn product(
    value: &Value,
    pointer: &str,
    keys: &[&str],
    violations: &mut Violations,
    outcome: Option<&mut Outcome>,
) -> Option<ProductMci> {
    let inputs = Inputs::new(value, pointer, keys, violations)?;
    let before = violations.len();
    let version = inputs
        .choice("version", &["2015", "2019"], violations)
        .unwrap_or("2019");
    let mass = inputs.decimal("M", Kind::Positive, violations);
    let fraction =
        |key: &str, violations: &mut Violations| inputs.optional(key, Kind::Fraction, violations).unwrap_or_default();
    let required_fraction =
        |key: &str, violations: &mut Violations| inputs.decimal(key, Kind::Fraction, violations).unwrap_or_default();
    let recycled_feedstock = required_fraction("F_R", violations);
    let reused_feedstock = required_fraction("F_U", violations);
    let sustained_feedstock = fraction("F_S", violations);
    let recycled_collection = required_fraction("C_R", violations);
    let reused_collection = required_fraction("C_U", violations);
    let composted = fraction("C_C", violations);
    let energy_recovered = fraction("C_E", violations);
    if version == "2015" {
        for key in ["F_S", "C_C", "C_E"] {
            if inputs.has(key) && !fraction(key, &mut Violations::new()).is_zero() {
                violations.push(inputs.at(key), "is not part of the 2015 methodology (use version 2019)");
            }
        }
    }
    if recycled_feedstock + reused_feedstock + sustained_feedstock > Decimal::ONE {
        violations.push(
            inputs.at("F_R"),
            "F_R + F_U + F_S must not exceed 1 (100 % of the feedstock)",
        );
    }
    if recycled_collection + reused_collection + composted + energy_recovered > Decimal::ONE {
        violations.push(
            inputs.at("C_R"),
            "C_R + C_U + C_C + C_E must not exceed 1 (100 % of the product at end of use)",
        );
    }
    // Efficiencies only matter when the corresponding fraction does; an efficiency of 0 with
    // recycled feedstock would mean infinite waste and is refused.
    let efficiency = |key: &str, share: Decimal, violations: &mut Violations| -> Option<Decimal> {
        if share.is_zero() {
            return Some(inputs.optional(key, Kind::Fraction, violations).unwrap_or(Decimal::ONE));
        }
        let value = inputs.decimal(key, Kind::Fraction, violations)?;
        if value.is_zero() {
            violations.push(
                inputs.at(key),
                "must be more than 0 when the recycled fraction is more than 0",
            );
            return None;
        }
        Some(value)
    };
    let feedstock_efficiency = efficiency("E_F", recycled_feedstock, violations);
    let collection_efficiency = efficiency("E_C", recycled_collection, violations);
    let utility = utility(&inputs, violations);
    if violations.len() > before {
        return None;
    }
    let (mass, feedstock_efficiency, collection_efficiency, utility) =
        (mass?, feedstock_efficiency?, collection_efficiency?, utility?);

    let virgin = mass * (Decimal::ONE - recycled_feedstock - reused_feedstock - sustained_feedstock);
    let waste_direct = mass * (Decimal::ONE - recycled_collection - reused_collection - composted - energy_recovered);
    let waste_collection = mass * (Decimal::ONE - collection_efficiency) * recycled_collection;
    let waste_feedstock = mass * (Decimal::ONE - feedstock_efficiency) * recycled_feedstock / feedstock_efficiency;
    let two = Decimal::TWO;
    let waste = waste_direct + (waste_feedstock + waste_collection) / two;
    let lfi = (virgin + waste) / (two * mass + (waste_feedstock - waste_collection) / two);
    let factor = Decimal::new(9, 1) / utility;
    let unclamped = Decimal::ONE - lfi * factor;
    let mci = unclamped.max(Decimal::ZERO);
    if let Some(outcome) = outcome {
        outcome.set("V", virgin);
        outcome.set("W0", waste_direct);
        outcome.set("W_F", waste_feedstock);
        outcome.set("W_C", waste_collection);
        outcome.set("W", waste);
        outcome.ratios.insert(
            "LFI".to_owned(),
            crate::Ratio {
                numerator: virgin + waste,
                denominator: two * mass + (waste_feedstock - waste_collection) / two,
                meaning: "virgin feedstock plus unrecoverable waste / 2M + (W_F - W_C)/2",
            },
        );
        outcome.set_share("LFI", lfi);
        outcome.set("X", utility);
        outcome.set("F_X", factor);
        outcome.set_share("MCI", mci);
        if unclamped < Decimal::ZERO {
            outcome.note(format!(
                "1 - LFI*F(X) = {} is below 0; the MCI is clamped to 0",
                unclamped.round_dp(10).normalize()
            ));
        }
        if version == "2015" {
            outcome.methodology("Ellen MacArthur Foundation MCI, 2015 methodology");
        }
    }
    Some(ProductMci {
        mass,
        virgin,
        waste,
        lfi,
        utility,
        unclamped,
        mci,
    })
}

/// X from `L_ratio` and `U_ratio`, or from L, L_av, U, U_av (each pair one way or the other).
fn utility(inputs: &Inputs<'_>, violations: &mut Violations) -> Option<Decimal> {
    let ratio = |ratio_key: &str, value_key: &str, average_key: &str, violations: &mut Violations| {
        if inputs.has(ratio_key) {
            if inputs.has(value_key) || inputs.has(average_key) {
                violations.push(
                    inputs.at(ratio_key),
                    format!("give either {ratio_key} or {value_key} and {average_key}, not both"),
                );
            }
            return inputs.decimal(ratio_key, Kind::Positive, violations);
        }
        if inputs.has(value_key) || inputs.has(average_key) {
            let value = inputs.decimal(value_key, Kind::Positive, violations)?;
            let average = inputs.decimal(average_key, Kind::Positive, violations)?;
            return Some(value / average);
        }
        violations.push(
            inputs.at(ratio_key),
            format!("is required (or {value_key} and {average_key})"),
        );
        None
    };
    let lifetime = ratio("L_ratio", "L", "L_av", violations);
    let intensity = ratio("U_ratio", "U", "U_av", violations);
    Some(lifetime? * intensity?)
}

/// The product MCI from its inputs.
pub(crate) fn compute(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let mut outcome = Outcome::new(FORMULA, SOURCE);
    product(input, "", KEYS, violations, Some(&mut outcome))?;
    Some(outcome)
}

/// The company MCI: Σ(M_i·MCI_i) / ΣM_i over `products` (each the inputs of a product MCI, or
/// `{"M": ..., "MCI": ...}` for an MCI computed elsewhere).
pub(crate) fn compute_company(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(input, "", &["products", "version"], violations)?;
    let version = inputs.choice("version", &["2015", "2019"], violations);
    let mut product_keys = KEYS.to_vec();
    product_keys.extend(["name", "MCI"]);
    let mut weighted = Decimal::ZERO;
    let mut total_mass = Decimal::ZERO;
    let mut figures = Vec::new();
    let products = inputs.array("products", true, violations);
    if products.is_empty() && inputs.has("products") {
        violations.push(inputs.at("products"), "must name at least one product");
    }
    for (pointer, value) in products {
        let given = value.get("MCI").filter(|mci| !mci.is_null());
        let (mass, mci) = if let Some(given) = given {
            let Some(product) = Inputs::new(value, &pointer, &["name", "M", "MCI"], violations) else {
                continue;
            };
            let mass = product.decimal("M", Kind::Positive, violations);
            let mci = match crate::input::decimal_of(given) {
                Ok(mci) if (Decimal::ZERO..=Decimal::ONE).contains(&mci) => Some(mci),
                Ok(mci) => {
                    violations.push(product.at("MCI"), format!("must lie between 0 and 1, got {mci}"));
                    None
                }
                Err(message) => {
                    violations.push(product.at("MCI"), message);
                    None
                }
            };
            match (mass, mci) {
                (Some(mass), Some(mci)) => (mass, mci),
                _ => continue,
            }
        } else {
            let mut with_version = value.clone();
            if let (Some(version), Some(object)) = (version, with_version.as_object_mut()) {
                object.entry("version").or_insert_with(|| Value::from(version));
            }
            let Some(figure) = product(&with_version, &pointer, &product_keys, violations, None) else {
                continue;
            };
            (figure.mass, figure.mci)
        };
        weighted += mass * mci;
        total_mass += mass;
        figures.push(serde_json::json!({
            "name": value.get("name").cloned().unwrap_or(Value::Null),
            "M": crate::number(mass),
            "MCI": crate::share_number(mci),
        }));
    }
    let mut outcome = Outcome::new("MCI_company = sum(M_i * MCI_i) / sum(M_i)", SOURCE);
    outcome.ratio(
        "MCI",
        weighted,
        total_mass,
        Decimal::ONE,
        "mass-weighted product MCIs / total product mass",
    );
    outcome.set("M", total_mass);
    outcome.set_value("products", Value::Array(figures));
    if version == Some("2015") {
        outcome.methodology("Ellen MacArthur Foundation MCI, company level weighted by product mass, 2015 methodology");
    }
    Some(outcome)
}
