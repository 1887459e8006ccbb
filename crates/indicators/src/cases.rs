//! The worked-case file format (`testdata/indicators/cases.json`): sections of cases, each with
//! `inputs`, `expected` values and a tolerance. Read here once so that the library's tests, the
//! HTTP tests and the command-line tests run the very same cases.

use serde_json::Value;

/// One worked case.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkedCase {
    /// The file's section (`material_circularity_indicator`).
    pub section: String,
    /// The case id (`M3`).
    pub id: String,
    /// The indicator it exercises.
    pub indicator: &'static str,
    /// The input object, with the case's `unit` and `fiscal_year` folded in.
    pub inputs: Value,
    /// The expected values by result name.
    pub expected: serde_json::Map<String, Value>,
    /// The allowed absolute difference for numbers.
    pub tolerance: f64,
}

/// The indicator a case id exercises; `None` for an id this reader does not know.
fn indicator_of(case_id: &str) -> Option<&'static str> {
    Some(match case_id {
        "J1" | "J2" => "jp-material-flow",
        "J6" => "municipal-recycling-rate",
        id if id.starts_with("MB") => "mass-balance",
        id if id.starts_with('M') => "mci",
        id if id.starts_with('E') => "cmu",
        id if id.starts_with('B') => "battery-recycled-content",
        _ => return None,
    })
}

/// Every case of the file; an error names a case this reader cannot place.
pub fn worked_cases(file: &Value) -> Result<Vec<WorkedCase>, String> {
    let mut cases = Vec::new();
    let sections = file.as_object().ok_or("the case file is not an object")?;
    for (section, body) in sections {
        let Some(items) = body.get("cases").and_then(Value::as_array) else {
            continue;
        };
        for case in items {
            let id = case["id"].as_str().ok_or(format!("a case in {section} has no id"))?;
            let indicator = indicator_of(id).ok_or(format!("case {id} has no indicator assigned"))?;
            let mut inputs = case["inputs"].clone();
            // Material-flow cases give their unit and year beside the inputs.
            for key in ["unit", "fiscal_year"] {
                if let Some(value) = case.get(key) {
                    inputs[key] = value.clone();
                }
            }
            let tolerance = ["tolerance", "tolerance_pct_points", "tolerance_mt"]
                .iter()
                .find_map(|key| case.get(*key).and_then(Value::as_f64))
                .unwrap_or(1e-9);
            cases.push(WorkedCase {
                section: section.clone(),
                id: id.to_owned(),
                indicator,
                inputs,
                expected: case["expected"].as_object().cloned().unwrap_or_default(),
                tolerance,
            });
        }
    }
    Ok(cases)
}

/// Checks a computed `result` object against the case: numbers within the tolerance, booleans
/// equal; text expectations (the chain-of-custody case states its rules in words) are skipped
/// and counted. Returns how many values were compared, or the first mismatch.
pub fn check_result(case: &WorkedCase, result: &Value) -> Result<usize, String> {
    let number = |value: &Value| match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    };
    let mut compared = 0;
    for (key, expected) in &case.expected {
        let actual = &result[key];
        match expected {
            Value::Bool(_) if actual == expected => {}
            Value::Bool(_) => return Err(format!("{} {key}: expected {expected}, computed {actual}", case.id)),
            Value::Number(_) => {
                let expected = number(expected).unwrap_or(f64::NAN);
                let computed = number(actual).ok_or(format!("{} {key}: {actual} is not a number", case.id))?;
                if (expected - computed).abs() > case.tolerance {
                    return Err(format!(
                        "{} {key}: expected {expected} ± {}, computed {computed}",
                        case.id, case.tolerance
                    ));
                }
            }
            Value::String(_) => continue,
            other => return Err(format!("{} {key}: unexpected expectation {other}", case.id)),
        }
        compared += 1;
    }
    Ok(compared)
}
