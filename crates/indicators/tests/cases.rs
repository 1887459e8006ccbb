//! Every worked case of `testdata/indicators/cases.json` (published figures and hand-computed
//! cases) through [`junkan_indicators::compute`], and the embedded targets and minimum shares
//! against the same file.

use junkan_indicators::battery::Metal;
use junkan_indicators::cases::{check_result, worked_cases};
use junkan_indicators::{compute, targets};
use rust_decimal::prelude::ToPrimitive;
use serde_json::{json, Value};

fn cases_file() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/indicators/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("testdata/indicators/cases.json")).expect("valid JSON")
}

/// Every case's `expected` values, within the case's tolerance.
#[test]
fn every_worked_case_is_reproduced() {
    let cases = worked_cases(&cases_file()).expect("every case is placed");
    let mut compared = 0;
    for case in &cases {
        let computation = compute(case.indicator, &case.inputs)
            .unwrap_or_else(|error| panic!("{} {}: {error}", case.section, case.id));
        assert_eq!(computation.indicator, case.indicator);
        assert!(!computation.methodology.is_empty());
        let result = serde_json::to_value(&computation).expect("serialises")["result"].clone();
        compared += check_result(case, &result).unwrap_or_else(|mismatch| panic!("{mismatch}; result {result}"));
    }
    assert_eq!(cases.len(), 11, "cases in the file");
    assert!(compared >= 20, "only {compared} values compared");
}

/// MB1 in numbers: rolling average 10 % for every output lot; credits of 100 t that claims can
/// never exceed.
#[test]
fn mass_balance_case_in_numbers() {
    let file = cases_file();
    let case = &file["chain_of_custody"]["cases"][0];
    assert_eq!(case["id"], "MB1");
    let mut inputs = case["inputs"].clone();
    let computation = compute("mass-balance", &inputs).expect("MB1 computes");
    assert_eq!(computation.result["rolling_average"]["share_pct"], json!(10.0));
    assert_eq!(computation.result["credit_method"]["credits_t"], json!(100.0));

    inputs["claims"] = json!([
        {"output_lot": "out-1", "mass_t": 60, "recycled_share_pct": 100},
        {"output_lot": "out-2", "mass_t": 40, "recycled_share_pct": 100},
    ]);
    let computation = compute("mass-balance", &inputs).expect("100 t of claims fit 100 t of credits");
    assert_eq!(computation.result["credit_method"]["remaining_t"], json!(0.0));
    assert_eq!(
        computation.result["claims"][1]["backing"][0]["lot"],
        json!("period_inputs_t/recycled")
    );

    inputs["claims"][1]["mass_t"] = json!(41);
    let refused = compute("mass-balance", &inputs).expect_err("41 t more than the 40 t left");
    expect_test::expect![[r#"invalid inputs: /claims/1: the claim for output lot "out-2" needs 41 t of recycled credits but only 40 t are left"#]]
        .assert_eq(&refused.to_string());
}

/// The national targets junkan embeds are those of the file.
#[test]
fn national_targets_match_the_plans() {
    let file = cases_file();
    let embedded = targets::japan_national_targets();
    let mut compared = 0;
    for plan in file["japan_material_flow"]["targets"].as_array().expect("targets") {
        let year = plan["target_fiscal_year"].as_u64().expect("year");
        for (key, value) in plan.as_object().expect("object") {
            let Some(expected) = value.as_f64().filter(|_| key != "target_fiscal_year") else {
                continue;
            };
            let target = embedded
                .iter()
                .find(|target| u64::from(target.fiscal_year) == year && target.output == key)
                .unwrap_or_else(|| panic!("no embedded target {key} for FY{year}"));
            assert_eq!(target.value.to_f64(), Some(expected), "{key} FY{year}");
            compared += 1;
        }
    }
    assert_eq!(compared, embedded.len());
}

/// The Regulation's minimum shares junkan embeds are those of the file.
#[test]
fn battery_minimum_shares_match_the_regulation() {
    let file = cases_file();
    let shares = &file["eu_battery_recycled_content"]["minimum_shares_pct"];
    for (name, metal) in Metal::ALL {
        let (from_2031, from_2036) = metal.minimum_shares_pct();
        assert_eq!(from_2031.to_f64(), shares[name]["2031"].as_f64(), "{name} 2031");
        assert_eq!(from_2036.to_f64(), shares[name]["2036"].as_f64(), "{name} 2036");
    }
}
