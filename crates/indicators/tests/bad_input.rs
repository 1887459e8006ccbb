//! Bad input for every indicator: each refused with the pointer and a plain message, and values
//! that cannot be computed reported as such (null with a reason), never as 0 or NaN.

use expect_test::{expect, Expect};
use junkan_indicators::compute;
use serde_json::{json, Value};

fn check(name: &str, input: Value, expected: Expect) {
    let outcome = match compute(name, &input) {
        Ok(computation) => format!(
            "ok {} not_computable={}",
            Value::Object(computation.result),
            serde_json::to_string(&computation.provenance.not_computable).expect("serialises")
        ),
        Err(error) => error.to_string(),
    };
    expected.assert_eq(&outcome);
}

#[test]
fn shares_outside_0_to_100_percent() {
    check(
        "mci",
        json!({"M": 1, "F_R": 1.2, "F_U": 0, "C_R": -0.1, "C_U": 0, "E_F": 1, "E_C": 1, "L_ratio": 1, "U_ratio": 1}),
        expect![[
            r#"invalid inputs: /F_R: is a share as a fraction and must lie between 0 and 1 (0–100 %), got 1.2; /C_R: is a share as a fraction and must lie between 0 and 1 (0–100 %), got -0.1"#
        ]],
    );
    check(
        "battery-recycled-content",
        json!({"metal": "lead", "recycled_share_pct": 140}),
        expect![[
            r#"invalid inputs: /recycled_share_pct: is a share in percent and must lie between 0 and 100, got 140"#
        ]],
    );
    check(
        "mci",
        json!({"M": 1, "F_R": 0.6, "F_U": 0.6, "C_R": 0, "C_U": 0, "L_ratio": 1, "U_ratio": 1}),
        expect!["invalid inputs: /F_R: F_R + F_U + F_S must not exceed 1 (100 % of the feedstock); /E_F: is required"],
    );
}

#[test]
fn negative_masses() {
    check(
        "municipal-recycling-rate",
        json!({"direct_recycling": -1, "recycling_after_treatment": 455, "group_collection": 250, "total_treated": 4184}),
        expect![[r#"invalid inputs: /direct_recycling: must not be negative, got -1"#]],
    );
    check(
        "cti",
        json!({"inflows": [{"mass": -5, "unit": "t", "recycled_share": 0.5}], "outflows": []}),
        expect![[r#"invalid inputs: /inflows/0/mass: must not be negative, got -5"#]],
    );
}

#[test]
fn missing_denominators_are_not_computable() {
    check(
        "jp-material-flow",
        json!({"unit": "Mt", "natural_resource_input": 1912, "circular_use": 218}),
        expect![[
            r#"ok {"balance_gap_mt":null,"final_disposal_mt":null,"inlet_circular_use_rate_pct":10.234742,"outlet_circular_use_rate_pct":null,"resource_productivity_man_yen_per_t":null,"unit":"Mt"} not_computable=[{"output":"outlet_circular_use_rate_pct","reason":"needs circular_use and waste_generation"},{"output":"balance_gap_mt","reason":"needs waste_generation and circular_use and reduction and final_disposal and natural_return"},{"output":"final_disposal_mt","reason":"needs final_disposal"},{"output":"resource_productivity_man_yen_per_t","reason":"needs real_gdp_trillion_yen and natural_resource_input"}]"#
        ]],
    );
    check(
        "cti",
        json!({"inflows": [], "outflows": [{"mass": 10, "unit": "kg", "recovery_potential": 0.5, "actual_recovery": 0.5}]}),
        expect![[
            r#"ok {"circular_inflow_pct":null,"circular_outflow_pct":25.0,"circularity_pct":25.0,"inflow_mass":0.0,"outflow_mass":0.01,"unit":"t"} not_computable=[{"output":"circular_inflow_pct","reason":"the denominator (circular inflow mass / total inflow mass) is 0"}]"#
        ]],
    );
}

#[test]
fn periods_that_end_before_they_start() {
    check(
        "mass-balance",
        json!({"period": "2026-03-31/2025-04-01", "period_inputs_t": {"recycled": 1, "virgin": 9}}),
        expect![[r#"invalid inputs: /period: ends (2025-04-01) before it starts (2026-03-31)"#]],
    );
    check(
        "mass-balance",
        json!({"period": "2025-02-30/2025-03-31", "period_inputs_t": {"recycled": 1, "virgin": 9}}),
        expect![[r#"invalid inputs: /period: "2025-02-30" is not a date of the form YYYY-MM-DD"#]],
    );
}

#[test]
fn mixed_units_without_a_conversion() {
    check(
        "cti",
        json!({
            "inflows": [{"mass": 5, "unit": "kg", "recycled_share": 0.5}, {"mass": 2, "unit": "m3", "recycled_share": 0}],
            "outflows": []
        }),
        expect![[
            r#"invalid inputs: /inflows/1/unit: mixed units without a conversion: "m3" here, "t" at /inflows/0/unit; express every flow in one unit or in units of mass"#
        ]],
    );
    // Units of mass convert: 5 kg and 0.005 t are the same.
    check(
        "recycled-content",
        json!({"components": [
            {"material": "PP", "mass": 5, "unit": "kg", "post_consumer_share": 1},
            {"material": "PP", "mass": 0.005, "unit": "t", "pre_consumer_share": 0}
        ]}),
        expect![[
            r#"ok {"by_material_pct":{"PP":50.0},"mass":0.01,"post_consumer_pct":50.0,"pre_consumer_pct":0.0,"recycled_content_pct":50.0,"unit":"t"} not_computable=[]"#
        ]],
    );
}

#[test]
fn over_claims_and_double_counting_are_refused() {
    let lots = json!([
        {"lot": "urn:epc:class:lgtin:4912345.000001.PELLET-R1", "mass_t": 30, "recycled_share_pct": 100, "category": "post_consumer"},
        {"lot": "urn:epc:class:lgtin:4912345.000002.VIRGIN-1", "mass_t": 70, "recycled_share_pct": 0}
    ]);
    check(
        "mass-balance",
        json!({"input_lots": lots, "claims": [{"output_lot": "out-A", "mass_t": 31, "recycled_share_pct": 100}]}),
        expect![[
            r#"invalid inputs: /claims/0: the claim for output lot "out-A" needs 31 t of recycled credits but only 30 t are left"#
        ]],
    );
    check(
        "mass-balance",
        json!({"input_lots": lots, "claims": [
            {"output_lot": "out-A", "mass_t": 30, "recycled_share_pct": 100, "backed_by": ["urn:epc:class:lgtin:4912345.000001.PELLET-R1"]},
            {"output_lot": "out-B", "mass_t": 10, "recycled_share_pct": 50, "backed_by": ["urn:epc:class:lgtin:4912345.000001.PELLET-R1"]}
        ]}),
        expect![[
            r#"invalid inputs: /claims/1: the claim for output lot "out-B" needs 5 t of recycled credits but only 0 t are left; the input lots it names already back the claims for out-A (double counting is refused)"#
        ]],
    );
    check(
        "mass-balance",
        json!({"input_lots": [
            {"lot": "L1", "mass_t": 10, "recycled_share_pct": 100},
            {"lot": "L1", "mass_t": 10, "recycled_share_pct": 100}
        ]}),
        expect![[
            r#"invalid inputs: /input_lots/1: input lot "L1" is entered twice; its recycled material would be counted twice"#
        ]],
    );
}

#[test]
fn unknown_names_and_inputs() {
    check(
        "circularity",
        json!({}),
        expect![[
            r#"no indicator is named "circularity" (known: mci, company-mci, recycled-content, recyclability, cti, jp-material-flow, municipal-recycling-rate, cmu, battery-recycled-content, mass-balance)"#
        ]],
    );
    check(
        "cmu",
        json!({"DMC": 6000, "RCV_0": 800, "IMP_w": 60, "EXP_w": 40}),
        expect![[
            r#"invalid inputs: /RCV_0: is not an input of this indicator (expected one of: year, area, unit, DMC, RCV_O, IMP_w, EXP_w); /RCV_O: is required"#
        ]],
    );
}

#[test]
fn mci_versions_and_company_weighting() {
    check(
        "mci",
        json!({"version": "2015", "M": 1, "F_R": 0, "F_U": 0, "F_S": 0.2, "C_R": 0, "C_U": 0, "L_ratio": 1, "U_ratio": 1}),
        expect![[r#"invalid inputs: /F_S: is not part of the 2015 methodology (use version 2019)"#]],
    );
    // Two products: 3 kg at MCI 0.1 (linear) and 1 kg fully circular: (0.3 + 1) / 4 = 0.325.
    check(
        "company-mci",
        json!({"products": [
            {"name": "linear", "M": 3, "F_R": 0, "F_U": 0, "C_R": 0, "C_U": 0, "L_ratio": 1, "U_ratio": 1},
            {"name": "circular", "M": 1, "MCI": 1}
        ]}),
        expect![[
            r#"ok {"M":4.0,"MCI":0.325,"products":[{"M":3.0,"MCI":0.1,"name":"linear"},{"M":1.0,"MCI":1.0,"name":"circular"}]} not_computable=[]"#
        ]],
    );
}

/// A rolling window given to `mass-balance` is checked like a stored ledger's: only under the
/// rolling-average model, with this period, a size of 1 or more, room for the earlier periods
/// given, each of them earlier than this period and overlapping no other, and their lots checked
/// like the period's (pointers into `earlier_periods`).
#[test]
fn a_rolling_window_with_bad_periods() {
    check(
        "mass-balance",
        json!({"model": "mass_balance_credit", "period_inputs_t": {"recycled": 1, "virgin": 9},
               "rolling_window": {"periods": 0, "earlier_periods": [{"period": "2026-02-01/2026-02-28", "period_inputs_t": {"recycled": 1}}]}}),
        expect![[
            r#"invalid inputs: /rolling_window: only the mass_balance_rolling_average model averages over a window of periods, not mass_balance_credit; /period: is required with rolling_window: the window is the chain of periods ending the day before this one starts; /rolling_window/periods: must be a whole number from 1 to 1000: the number of consecutive periods averaged, this one included"#
        ]],
    );
    check(
        "mass-balance",
        json!({"model": "mass_balance_rolling_average", "period": "2026-03-01/2026-03-31",
               "period_inputs_t": {"recycled": 1, "virgin": 9},
               "rolling_window": {"periods": 3, "earlier_periods": [
                   {"period": "2026-02-01/2026-03-05", "period_inputs_t": {"recycled": 1}},
                   {"period": "2026-01-01/2026-01-31", "input_lots": [{"lot": "a", "mass_t": -1, "recycled_share_pct": 20}]},
                   {"period": "2026-01-15/2026-02-10", "period_inputs_t": {"virgin": 2}},
                   {"period": "2026-01-31/2026-01-01"}]}}),
        expect!["invalid inputs: /rolling_window/earlier_periods: gives 4 earlier period(s), but a window of 3 period(s) has room for 2 before this one; /rolling_window/earlier_periods/0/period: 2026-02-01/2026-03-05 overlaps or follows this period 2026-03-01/2026-03-31: a window counts earlier periods only; /rolling_window/earlier_periods/1/input_lots/0/mass_t: must not be negative, got -1; /rolling_window/earlier_periods/2/period: 2026-01-15/2026-02-10 overlaps 2026-01-01/2026-01-31 (/rolling_window/earlier_periods/1): periods of a window cannot overlap; /rolling_window/earlier_periods/3/period: ends (2026-01-01) before it starts (2026-01-31); /rolling_window/earlier_periods/3/period_inputs_t: is required (or input_lots)"],
    );
}
