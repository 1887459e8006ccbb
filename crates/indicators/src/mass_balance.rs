//! The `mass-balance` computation: a period's inputs (as totals, or lot by lot) through a
//! chain-of-custody [`Ledger`], the share every output may carry under the rolling-average
//! method, the credits of the credit method, and the claims asked for, each accepted with the
//! input lots that back it or refused.

use junkan_model::validation::Violations;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::input::{Inputs, Kind};
use crate::ledger::{Category, ClaimRequest, CustodyModel, InputLot, Ledger};
use crate::rolling_window::chain_of_periods;
use crate::{number, IndicatorInfo, Outcome, PERCENT};

/// The mass-balance computation.
pub const INFO: IndicatorInfo = IndicatorInfo {
    name: "mass-balance",
    title_ja: "マスバランス方式による再生材含有の配分（平均比率法・クレジット法）",
    title_en: "Mass-balance recycled-content accounting (rolling average and credit methods)",
    level: "facility, period",
    methodology: "ISO 22095:2020 chain of custody; mass balance by rolling average percentage and by credit method with conversion factor; junkan 1",
};

/// The rule of a window given to `POST /api/v1/indicators/mass-balance` (that of stored ledgers'
/// windows, [`crate::rolling_window::ROLLING_WINDOW_RULE`], over given periods).
pub const GIVEN_WINDOW_RULE: &str = "the share claimed on outputs is Σ recycled input / Σ input over the window's consecutive periods (this one included; a given period ending the day before a period starts is the period before it); a missing earlier period is reported and never filled; the credits drawn still come from this period's inputs";

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
            "rolling_window",
        ],
        violations,
    )?;
    let mut period = None;
    if let Some(given) = inputs.raw("period") {
        match given.as_str().map(parse_period) {
            Some(Ok(days)) => period = Some(days),
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
    let window = read_window(&inputs, model, period.as_ref(), violations);
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
    let window_share = window.map(|window| {
        let own_period = period.clone().expect("a window is read only with the period");
        window_share(window, own_period, input_t, recycled_t, &mut outcome)
    });
    if let Some(Some(share_pct)) = window_share {
        ledger.allow_share(share_pct);
    }
    for (pointer, request) in claims {
        if window_share == Some(None) {
            violations.push(
                pointer,
                "the rolling window's share is not computable (its periods have no input mass), so no share can be claimed",
            );
            continue;
        }
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
            "rule": if window_share.is_some() {
                "the share of this period's own inputs; with a rolling_window, claims may carry the window's share (rolling_window.share_pct) instead"
            } else {
                "every output lot of the period may claim this share"
            },
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

/// An earlier period of a rolling window, as given: its days and its inputs through a ledger of
/// their own (so that its lots are checked like the period's).
struct EarlierPeriod {
    pointer: String,
    from: String,
    to: String,
    input_t: Decimal,
    recycled_input_t: Decimal,
}

/// The window asked for: its size and the earlier periods given.
struct Window {
    periods: u32,
    earlier: Vec<EarlierPeriod>,
}

/// Reads `rolling_window` `{periods, earlier_periods: [{period, period_inputs_t | input_lots}]}`
/// (ISO 22095 rolling-average percentage method over consecutive periods, 移動平均), checked
/// like a stored ledger's window: only under `mass_balance_rolling_average`, with this period
/// given, `periods` ≥ 1, at most `periods` − 1 earlier periods, each ending before this period
/// starts and overlapping no other.
fn read_window(
    inputs: &Inputs<'_>,
    model: CustodyModel,
    period: Option<&(String, String)>,
    violations: &mut Violations,
) -> Option<Window> {
    let value = inputs.raw("rolling_window")?;
    let pointer = inputs.at("rolling_window");
    let window = Inputs::new(value, &pointer, &["periods", "earlier_periods"], violations)?;
    if model != CustodyModel::MassBalanceRollingAverage {
        violations.push(
            &pointer,
            format!(
                "only the mass_balance_rolling_average model averages over a window of periods, not {}",
                model.as_str()
            ),
        );
    }
    if period.is_none() && !inputs.has("period") {
        violations.push(
            inputs.at("period"),
            "is required with rolling_window: the window is the chain of periods ending the day before this one starts",
        );
    }
    let periods = match window.decimal("periods", Kind::Mass, violations) {
        Some(count) if count >= Decimal::ONE && count.fract().is_zero() && count <= Decimal::from(1000) => {
            count.to_u32()
        }
        Some(_) => {
            violations.push(
                window.at("periods"),
                "must be a whole number from 1 to 1000: the number of consecutive periods averaged, this one included",
            );
            None
        }
        None => None,
    };
    let mut earlier: Vec<EarlierPeriod> = Vec::new();
    let given = window.array("earlier_periods", false, violations);
    if let Some(periods) = periods {
        if given.len() >= periods as usize {
            violations.push(
                window.at("earlier_periods"),
                format!(
                    "gives {} earlier period(s), but a window of {periods} period(s) has room for {} before this one",
                    given.len(),
                    periods - 1
                ),
            );
        }
    }
    for (item_pointer, item) in given {
        let Some(entry) = Inputs::new(
            item,
            &item_pointer,
            &["period", "period_inputs_t", "input_lots"],
            violations,
        ) else {
            continue;
        };
        let days = match entry.raw("period").map(|value| value.as_str().map(parse_period)) {
            None => {
                violations.push(
                    entry.at("period"),
                    "is required: the earlier period's first and last day",
                );
                None
            }
            Some(None) => {
                violations.push(entry.at("period"), "must be a string <from>/<to>");
                None
            }
            Some(Some(Err(message))) => {
                violations.push(entry.at("period"), message);
                None
            }
            Some(Some(Ok(days))) => Some(days),
        };
        let lots = read_lots(&entry, violations);
        let mut ledger = Ledger::new(CustodyModel::MassBalanceRollingAverage, Decimal::ONE);
        for (lot_pointer, lot) in lots {
            if let Err(error) = ledger.add_input(lot) {
                violations.push(lot_pointer, error.to_string());
            }
        }
        let Some((from, to)) = days else { continue };
        if let Some((own_from, own_to)) = period {
            if to >= *own_from {
                violations.push(
                    entry.at("period"),
                    format!(
                        "{from}/{to} overlaps or follows this period {own_from}/{own_to}: a window counts earlier periods only"
                    ),
                );
                continue;
            }
        }
        if let Some(other) = earlier.iter().find(|other| other.from <= to && from <= other.to) {
            violations.push(
                entry.at("period"),
                format!(
                    "{from}/{to} overlaps {}/{} ({}): periods of a window cannot overlap",
                    other.from, other.to, other.pointer
                ),
            );
            continue;
        }
        earlier.push(EarlierPeriod {
            pointer: item_pointer,
            from,
            to,
            input_t: ledger.input_t(),
            recycled_input_t: ledger.recycled_input_t(),
        });
    }
    Some(Window {
        periods: periods.unwrap_or(1),
        earlier,
    })
}

/// The window's share through [`chain_of_periods`] (the rule of stored ledgers' windows), set in
/// `outcome` as `rolling_window` with the periods used and missing; `None` when not computable.
fn window_share(
    window: Window,
    (from, to): (String, String),
    input_t: Decimal,
    recycled_t: Decimal,
    outcome: &mut Outcome,
) -> Option<Decimal> {
    let days: Vec<(&str, &str)> = window
        .earlier
        .iter()
        .map(|period| (period.from.as_str(), period.to.as_str()))
        .collect();
    let chain = chain_of_periods(&from, window.periods, &days);
    let mut used = vec![json!({"period": format!("{from}/{to}"), "input_t": number(input_t),
                               "recycled_input_t": number(recycled_t)})];
    let (mut window_input_t, mut window_recycled_t) = (input_t, recycled_t);
    for index in &chain.found {
        let period = &window.earlier[*index];
        window_input_t += period.input_t;
        window_recycled_t += period.recycled_input_t;
        used.push(
            json!({"period": format!("{}/{}", period.from, period.to), "given_at": period.pointer,
                         "input_t": number(period.input_t), "recycled_input_t": number(period.recycled_input_t)}),
        );
    }
    let mut missing: Vec<String> = Vec::new();
    if let Some(gap) = &chain.gap {
        missing.push(format!(
            "no period given ends on {}: {} earlier period(s) of the window are missing and not counted",
            gap.ends_on, gap.periods
        ));
    }
    for (index, period) in window.earlier.iter().enumerate() {
        if !chain.found.contains(&index) {
            missing.push(format!(
                "{} ({}/{}) is given but not counted: the chain of periods breaks before it",
                period.pointer, period.from, period.to
            ));
        }
    }
    let share = outcome.ratio(
        "rolling_window_share_pct",
        window_recycled_t,
        window_input_t,
        PERCENT,
        "recycled input mass / total input mass over the window's consecutive periods",
    );
    outcome.set_value(
        "rolling_window",
        json!({
            "periods": window.periods,
            "used": used,
            "missing": missing,
            "short": used.len() < window.periods as usize,
            "input_t": number(window_input_t),
            "recycled_input_t": number(window_recycled_t),
            "share_pct": share.map(number).unwrap_or(Value::Null),
            "rule": GIVEN_WINDOW_RULE,
        }),
    );
    share
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    /// Monthly periods. Hand computation: January 10 t at 20 % (2 t recycled), February 20 t at
    /// 5 % (1 t), March 10 t at 50 % (5 t). March over three periods: (5 + 1 + 2) / 40 = 20 %.
    /// A claim on 10 t of March's output at 20 % needs 2 t of March's own 5 t of credits:
    /// accepted, 3 t left. At 21 % it is above the window's share: refused, though March's own
    /// average (50 %) would allow it. Over four periods, December is missing: the window is
    /// short, reported, and its share is that of the three periods given.
    #[test]
    fn a_rolling_window_over_given_periods() {
        let input = |periods: u32, share: u32| {
            json!({
                "model": "mass_balance_rolling_average", "period": "2026-03-01/2026-03-31",
                "input_lots": [{"lot": "march", "mass_t": 10, "recycled_share_pct": 50}],
                "rolling_window": {"periods": periods, "earlier_periods": [
                    {"period": "2026-01-01/2026-01-31", "input_lots": [{"lot": "january", "mass_t": 10, "recycled_share_pct": 20}]},
                    {"period": "2026-02-01/2026-02-28", "period_inputs_t": {"recycled": 1, "virgin": 19}}]},
                "claims": [{"output_lot": "out", "mass_t": 10, "recycled_share_pct": share}]})
        };
        let computed = crate::compute("mass-balance", &input(3, 20)).expect("within the window's share");
        let window = &computed.result["rolling_window"];
        assert_eq!(window["share_pct"], json!(20.0));
        assert_eq!(
            (window["input_t"].clone(), window["short"].clone()),
            (json!(40.0), json!(false))
        );
        let used: Vec<&Value> = window["used"]
            .as_array()
            .expect("used")
            .iter()
            .map(|period| &period["period"])
            .collect();
        assert_eq!(
            used,
            [
                "2026-03-01/2026-03-31",
                "2026-02-01/2026-02-28",
                "2026-01-01/2026-01-31"
            ]
        );
        assert_eq!(computed.result["rolling_average"]["share_pct"], json!(50.0));
        assert_eq!(computed.result["credit_method"]["remaining_t"], json!(3.0));
        assert_eq!(
            computed.provenance.ratios["rolling_window_share_pct"]
                .numerator
                .to_string(),
            "8"
        );

        let refused = crate::compute("mass-balance", &input(3, 21)).expect_err("above the window's share");
        assert!(refused.to_string().contains("/claims/0"), "{refused}");
        assert!(refused.to_string().contains("20"), "{refused}");

        let short = crate::compute("mass-balance", &input(4, 20)).expect("short window");
        let window = &short.result["rolling_window"];
        assert_eq!(
            (window["short"].clone(), window["share_pct"].clone()),
            (json!(true), json!(20.0))
        );
        assert!(
            window["missing"][0]
                .as_str()
                .expect("missing")
                .contains("ends on 2025-12-31: 1 earlier period(s)"),
            "{window}"
        );
    }
}
