//! The `mass-balance` computation: a period's inputs (as totals, or lot by lot) through a
//! chain-of-custody [`Ledger`], the share every output may carry under the rolling-average
//! method, the credits of the credit method, and the claims asked for, each accepted with the
//! input lots that back it or refused.

use junkan_model::validation::Violations;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::input::{Inputs, Kind};
use crate::ledger::{Category, ClaimRequest, CustodyModel, InputLot, Ledger};
use crate::{number, IndicatorInfo, Outcome, PERCENT};

/// The mass-balance computation.
pub const INFO: IndicatorInfo = IndicatorInfo {
    name: "mass-balance",
    title_ja: "マスバランス方式による再生材含有の配分（平均比率法・クレジット法）",
    title_en: "Mass-balance recycled-content accounting (rolling average and credit methods)",
    level: "facility, period",
    methodology: "ISO 22095:2020 chain of custody; mass balance by rolling average percentage and by credit method with conversion factor; junkan 1",
};

/// A period `from/to` of ISO dates (`2025-04-01/2026-03-31`), checked to end on or after it starts.
pub fn parse_period(text: &str) -> Result<(String, String), String> {
    let Some((from, to)) = text.split_once('/') else {
        return Err(format!(
            "must be <from>/<to> with ISO dates such as 2025-04-01/2026-03-31, got {text:?}"
        ));
    };
    for date in [from, to] {
        check_date(date)?;
    }
    if to < from {
        return Err(format!("ends ({to}) before it starts ({from})"));
    }
    Ok((from.to_owned(), to.to_owned()))
}

/// Checks an ISO date `YYYY-MM-DD` (a real day of the calendar).
pub fn check_date(date: &str) -> Result<(), String> {
    let parts: Vec<&str> = date.split('-').collect();
    let valid = match parts.as_slice() {
        [year, month, day] if year.len() == 4 && month.len() == 2 && day.len() == 2 => {
            let number = |part: &str| part.parse::<u32>().ok();
            match (number(year), number(month), number(day)) {
                (Some(year), Some(month), Some(day)) => {
                    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
                    let days = match month {
                        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                        4 | 6 | 9 | 11 => 30,
                        2 if leap => 29,
                        2 => 28,
                        _ => 0,
                    };
                    (1..=days).contains(&day)
                }
                _ => false,
            }
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(format!("{date:?} is not a date of the form YYYY-MM-DD"))
    }
}

/// Computes the mass balance of one period.
pub(crate) fn compute(input: &Value, violations: &mut Violations) -> Option<Outcome> {
    let inputs = Inputs::new(
        input,
        "",
        &[
            "facility",
            "material",
            "period",
            "model",
            "period_inputs_t",
            "input_lots",
            "period_outputs_t",
            "conversion_factor",
            "claims",
        ],
        violations,
    )?;
    if let Some(period) = inputs.raw("period") {
        match period.as_str().map(parse_period) {
            Some(Ok(_)) => {}
            Some(Err(message)) => violations.push(inputs.at("period"), message),
            None => violations.push(inputs.at("period"), "must be a string <from>/<to>"),
        }
    }
    let model_names: Vec<&'static str> = CustodyModel::ALL.iter().map(|(name, _)| *name).collect();
    let model = inputs
        .choice("model", &model_names, violations)
        .and_then(CustodyModel::parse)
        .unwrap_or(CustodyModel::MassBalanceCredit);
    let conversion_factor = inputs
        .optional("conversion_factor", Kind::Positive, violations)
        .unwrap_or(Decimal::ONE);
    let outputs_t = inputs.optional("period_outputs_t", Kind::Mass, violations);
    let lots = read_lots(&inputs, violations);
    let claims = read_claims(&inputs, violations);
    if !violations.is_empty() {
        return None;
    }

    let mut ledger = Ledger::new(model, conversion_factor);
    for (pointer, lot) in lots {
        if let Err(error) = ledger.add_input(lot) {
            violations.push(pointer, error.to_string());
        }
    }
    let input_t = ledger.input_t();
    if let Some(outputs_t) = outputs_t {
        if outputs_t > input_t * conversion_factor {
            violations.push(
                inputs.at("period_outputs_t"),
                format!(
                    "{} t of outputs is more than the inputs ({} t) times the conversion factor ({}) allow",
                    outputs_t.normalize(),
                    input_t.normalize(),
                    conversion_factor.normalize()
                ),
            );
        }
    }
    let mut outcome = Outcome::new(
        "rolling average share = recycled input / total input; credits = recycled input × conversion factor; a claim of m t at s % needs m × s / 100 t of credits",
        "ISO 22095:2020, Chain of custody — General terminology and models, clause 5.6 (mass balance)",
    );
    let recycled_t = ledger.recycled_input_t();
    let average = outcome.ratio(
        "rolling_average_share_pct",
        recycled_t,
        input_t,
        PERCENT,
        "recycled input mass / total input mass",
    );
    for (pointer, request) in claims {
        if let Err(error) = ledger.claim(request) {
            violations.push(pointer, error.to_string());
        }
    }
    if !violations.is_empty() {
        return None;
    }
    let category_credits = |category: Category| -> Decimal {
        ledger
            .claims()
            .iter()
            .flat_map(|claim| &claim.backing)
            .filter(|backing| backing.category == category)
            .map(|backing| backing.credits_t)
            .sum()
    };
    outcome.set_value("model", json!(model));
    outcome.set_value(
        "rolling_average",
        json!({
            "share_pct": average.map(number).unwrap_or(Value::Null),
            "rule": "every output lot of the period may claim this share",
        }),
    );
    let credits_t = ledger.credits_t();
    outcome.set_value(
        "credit_method",
        json!({
            "credits_t": number(credits_t),
            "claimed_t": number(ledger.claimed_t()),
            "remaining_t": number(ledger.remaining_t()),
            "claimed_pre_consumer_t": number(category_credits(Category::PreConsumer)),
            "claimed_post_consumer_t": number(category_credits(Category::PostConsumer)),
            "rule": "outputs may be claimed as recycled up to the credits; claims never exceed them",
        }),
    );
    outcome.set("input_t", input_t);
    outcome.set("recycled_input_t", recycled_t);
    outcome.set("conversion_factor", conversion_factor);
    outcome.set_value(
        "claims",
        serde_json::to_value(ledger.claims()).expect("claims serialise"),
    );
    Some(outcome)
}

/// The inputs as lots: `input_lots`, or `period_inputs_t` `{recycled, virgin}` as two lots.
fn read_lots(inputs: &Inputs<'_>, violations: &mut Violations) -> Vec<(String, InputLot)> {
    let mut lots = Vec::new();
    match (inputs.raw("period_inputs_t"), inputs.raw("input_lots")) {
        (Some(_), Some(_)) => violations.push(
            inputs.at("input_lots"),
            "give either period_inputs_t or input_lots, not both",
        ),
        (Some(totals), None) => {
            let Some(totals) = Inputs::new(
                totals,
                &inputs.at("period_inputs_t"),
                &["recycled", "virgin", "pre_consumer", "post_consumer"],
                violations,
            ) else {
                return lots;
            };
            for (key, share, category) in [
                ("recycled", PERCENT, Category::Unspecified),
                ("pre_consumer", PERCENT, Category::PreConsumer),
                ("post_consumer", PERCENT, Category::PostConsumer),
                ("virgin", Decimal::ZERO, Category::Unspecified),
            ] {
                if let Some(mass) = totals.optional(key, Kind::Mass, violations) {
                    lots.push((
                        totals.at(key),
                        InputLot {
                            lot: format!("period_inputs_t/{key}"),
                            mass_t: mass,
                            recycled_share_pct: share,
                            category,
                        },
                    ));
                }
            }
        }
        (None, Some(_)) => {
            for (pointer, value) in inputs.array("input_lots", true, violations) {
                let Some(lot) = Inputs::new(
                    value,
                    &pointer,
                    &["lot", "mass_t", "recycled_share_pct", "category"],
                    violations,
                ) else {
                    continue;
                };
                let name = lot.text("lot", violations);
                let mass = lot.decimal("mass_t", Kind::Mass, violations);
                let share = lot.decimal("recycled_share_pct", Kind::Percent, violations);
                let category = match lot.choice("category", &["pre_consumer", "post_consumer"], violations) {
                    Some("pre_consumer") => Category::PreConsumer,
                    Some(_) => Category::PostConsumer,
                    None => Category::Unspecified,
                };
                if let (Some(name), Some(mass), Some(share)) = (name, mass, share) {
                    lots.push((
                        pointer,
                        InputLot {
                            lot: name.to_owned(),
                            mass_t: mass,
                            recycled_share_pct: share,
                            category,
                        },
                    ));
                }
            }
        }
        (None, None) => violations.push(inputs.at("period_inputs_t"), "is required (or input_lots)"),
    }
    lots
}

/// The claims asked for.
fn read_claims(inputs: &Inputs<'_>, violations: &mut Violations) -> Vec<(String, ClaimRequest)> {
    let mut claims = Vec::new();
    for (pointer, value) in inputs.array("claims", false, violations) {
        let Some(claim) = Inputs::new(
            value,
            &pointer,
            &["output_lot", "mass_t", "recycled_share_pct", "backed_by"],
            violations,
        ) else {
            continue;
        };
        let output_lot = claim.text("output_lot", violations);
        let mass = claim.decimal("mass_t", Kind::Mass, violations);
        let share = claim.decimal("recycled_share_pct", Kind::Percent, violations);
        let mut backed_by = Vec::new();
        for (lot_pointer, lot) in claim.array("backed_by", false, violations) {
            match lot.as_str() {
                Some(lot) => backed_by.push(lot.to_owned()),
                None => violations.push(lot_pointer, "must be an input lot's id"),
            }
        }
        if let (Some(output_lot), Some(mass), Some(share)) = (output_lot, mass, share) {
            claims.push((
                pointer,
                ClaimRequest {
                    output_lot: output_lot.to_owned(),
                    mass_t: mass,
                    recycled_share_pct: share,
                    backed_by,
                },
            ));
        }
    }
    claims
}
