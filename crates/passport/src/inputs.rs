//! Indicator inputs from passport data (指標の入力), declared by profiles as data.
//!
//! A profile may say, for an indicator, how its input object is built from a passport's data
//! (`"indicators": {"recycled-content": <template>}`), so that
//! `GET /api/v1/indicators/{name}?scope=product:<passport>` can compute the indicator for any
//! industry without code for that industry. A template is the input object itself, in which:
//!
//! - `{"$from": "/pointer"}` takes the value at that pointer of the data (relative to the
//!   element of the enclosing `$each`, if any), optionally times `"$scale"` (a decimal, e.g.
//!   `"0.01"` to turn a percentage into a fraction; the result is an exact decimal string);
//! - `{"$each": "/pointer", "$item": <template>}` inside an array stands for one item per
//!   element of the array at that pointer;
//! - `{"$value": x}` is `x` as it is (for constants such as a unit);
//! - any other object, array or scalar is itself, its members filled in turn.
//!
//! Filling reads the reader's view of the passport: a value that is withheld from the reader or
//! absent is reported as missing (with which), never taken as 0, and the indicator is then not
//! computed at all.

use std::str::FromStr;

use junkan_model::validation::{Violation, Violations};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::profile::parse_pointer;

/// An input value taken from the passport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SourceUse {
    /// Where it went in the input object (JSON pointer).
    pub input: String,
    /// Where it was read in the passport's data (JSON pointer).
    pub source: String,
}

/// An input value the passport did not give this reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MissingSource {
    /// Where it would have gone in the input object.
    pub input: String,
    /// Where it was looked for in the passport's data.
    pub source: String,
    /// Why it is missing: `withheld` (the reader's access level does not cover it) or `absent`.
    pub reason: &'static str,
}

/// An input object built from a passport.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Filled {
    /// The input object, as `POST /api/v1/indicators/{name}` takes it.
    pub input: Value,
    /// Every value taken from the data.
    pub sources: Vec<SourceUse>,
    /// Every value the reader could not be given.
    pub missing: Vec<MissingSource>,
}

const DIRECTIVES: [&str; 5] = ["$from", "$scale", "$each", "$item", "$value"];

/// Checks a template's form (profiles are checked when registered): pointers, scales, and that
/// `$each` appears only inside arrays and with an `$item`. Violations are at `at` and below.
pub fn check_template(template: &Value, at: &str, violations: &mut Violations) {
    match template {
        Value::Object(members) if members.keys().any(|key| key.starts_with('$')) => {
            for key in members.keys() {
                if !DIRECTIVES.contains(&key.as_str()) {
                    violations.push(
                        format!("{at}/{}", escape(key)),
                        format!("is not a template directive (one of {})", DIRECTIVES.join(", ")),
                    );
                }
            }
            if let Some(pointer) = members.get("$from") {
                check_pointer(pointer, &format!("{at}/$from"), violations);
                if let Some(scale) = members.get("$scale") {
                    if decimal(scale).is_none() {
                        violations.push(format!("{at}/$scale"), "must be a decimal number");
                    }
                }
                for other in ["$each", "$item", "$value"] {
                    if members.contains_key(other) {
                        violations.push(format!("{at}/{other}"), "cannot be combined with $from");
                    }
                }
            } else if members.contains_key("$each") {
                violations.push(format!("{at}/$each"), "may only be an element of an array");
            } else if members.contains_key("$value") {
                if members.len() > 1 {
                    violations.push(at.to_owned(), "$value stands alone");
                }
            } else {
                violations.push(at.to_owned(), "a directive object needs $from or $value");
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                check_template(member, &format!("{at}/{}", escape(key)), violations);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let here = format!("{at}/{index}");
                match item.as_object().filter(|members| members.contains_key("$each")) {
                    Some(members) => {
                        check_pointer(&members["$each"], &format!("{here}/$each"), violations);
                        for key in members.keys().filter(|key| !["$each", "$item"].contains(&key.as_str())) {
                            violations.push(format!("{here}/{}", escape(key)), "$each takes only $item besides");
                        }
                        match members.get("$item") {
                            Some(inner) => check_template(inner, &format!("{here}/$item"), violations),
                            None => violations.push(here.clone(), "$each needs an $item template"),
                        }
                    }
                    None => check_template(item, &here, violations),
                }
            }
        }
        _ => {}
    }
}

fn check_pointer(pointer: &Value, at: &str, violations: &mut Violations) {
    match pointer.as_str().map(parse_pointer) {
        Some(Ok(_)) => {}
        Some(Err(message)) => violations.push(at.to_owned(), message),
        None => violations.push(at.to_owned(), "must be a JSON pointer string"),
    }
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => Decimal::from_str(&number.to_string())
            .or_else(|_| Decimal::from_scientific(&number.to_string()))
            .ok(),
        Value::String(text) => Decimal::from_str(text.trim()).ok(),
        _ => None,
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Builds the input object of `template` from `data` (the reader's view), where `withheld`
/// lists the pointers of the data left out for this reader. A template must have passed
/// [`check_template`].
pub fn fill(template: &Value, data: &Value, withheld: &[String]) -> Filled {
    let mut filled = Filled {
        input: Value::Null,
        sources: Vec::new(),
        missing: Vec::new(),
    };
    filled.input = fill_at(template, data, "", "", withheld, &mut filled).unwrap_or(Value::Null);
    filled
}

/// Fills `template` with `base` as the data pointer that `$from` is relative to, `at` being
/// where the result goes in the input. `None` leaves the member out.
fn fill_at(
    template: &Value,
    data: &Value,
    base: &str,
    at: &str,
    withheld: &[String],
    filled: &mut Filled,
) -> Option<Value> {
    match template {
        Value::Object(members) if members.contains_key("$value") => members.get("$value").cloned(),
        Value::Object(members) if members.contains_key("$from") => {
            let source = format!("{base}{}", members["$from"].as_str().unwrap_or(""));
            let value = data.pointer(&source).filter(|value| !value.is_null());
            let Some(value) = value else {
                filled.missing.push(missing(at.to_owned(), source, withheld));
                return None;
            };
            filled.sources.push(SourceUse {
                input: at.to_owned(),
                source,
            });
            match members.get("$scale").and_then(decimal) {
                Some(scale) => match decimal(value) {
                    Some(number) => Some(Value::String((number * scale).normalize().to_string())),
                    // Not a number: the indicator's own check reports it, at `at`.
                    None => Some(value.clone()),
                },
                None => Some(value.clone()),
            }
        }
        Value::Object(members) => {
            let mut result = Map::new();
            for (key, member) in members {
                if let Some(value) = fill_at(member, data, base, &format!("{at}/{}", escape(key)), withheld, filled) {
                    result.insert(key.clone(), value);
                }
            }
            Some(Value::Object(result))
        }
        Value::Array(items) => {
            let mut result = Vec::new();
            for item in items {
                match item.as_object().filter(|members| members.contains_key("$each")) {
                    Some(members) => {
                        let list = format!("{base}{}", members["$each"].as_str().unwrap_or(""));
                        let elements = data.pointer(&list).and_then(Value::as_array).map_or(0, Vec::len);
                        if elements == 0 && data.pointer(&list).is_none() {
                            filled
                                .missing
                                .push(missing(format!("{at}/{}", result.len()), list.clone(), withheld));
                        }
                        for element in 0..elements {
                            let here = format!("{at}/{}", result.len());
                            if let Some(value) = fill_at(
                                &members["$item"],
                                data,
                                &format!("{list}/{element}"),
                                &here,
                                withheld,
                                filled,
                            ) {
                                result.push(value);
                            }
                        }
                    }
                    None => {
                        let here = format!("{at}/{}", result.len());
                        if let Some(value) = fill_at(item, data, base, &here, withheld, filled) {
                            result.push(value);
                        }
                    }
                }
            }
            Some(Value::Array(result))
        }
        other => Some(other.clone()),
    }
}

/// An input not given: withheld when `source` is, or lies under, a pointer left out for the reader.
fn missing(input: String, source: String, withheld: &[String]) -> MissingSource {
    let hidden = withheld
        .iter()
        .any(|pointer| source == *pointer || source.starts_with(&format!("{pointer}/")));
    MissingSource {
        input,
        source,
        reason: if hidden { "withheld" } else { "absent" },
    }
}

/// Checks every template of a profile's `indicators` member, with violations under
/// `/indicators/<name>`.
pub fn check_templates(templates: &std::collections::BTreeMap<String, Value>) -> Vec<Violation> {
    let mut violations = Violations::new();
    for (name, template) in templates {
        let at = format!("/indicators/{}", escape(name));
        if !name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
            || name.is_empty()
        {
            violations.push(
                at.clone(),
                "an indicator name is lower-case letters, digits and hyphens",
            );
        }
        if !template.is_object() {
            violations.push(at.clone(), "a template is an input object");
        }
        check_template(template, &at, &mut violations);
    }
    violations.into_result().err().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Value {
        json!({"product": {"$from": "/name"},
               "components": [
                   {"$each": "/parts", "$item": {"material": {"$from": "/material"}, "mass": {"$from": "/mass"}, "unit": {"$value": "kg"},
                                                 "post_consumer_share": {"$from": "/recycled", "$scale": "0.01"}}},
                   {"material": "frame", "mass": {"$from": "/frameMass"}, "unit": "kg"}]})
    }

    #[test]
    fn a_template_takes_values_from_the_data_and_scales_them_exactly() {
        let data = json!({"name": "cleaner", "frameMass": 2.5,
                          "parts": [{"material": "PP", "mass": 1.2, "recycled": 40}, {"material": "ABS", "mass": "0.3", "recycled": 12.5}]});
        let filled = fill(&template(), &data, &[]);
        assert_eq!(
            filled.input,
            json!({"product": "cleaner", "components": [
                {"material": "PP", "mass": 1.2, "unit": "kg", "post_consumer_share": "0.4"},
                {"material": "ABS", "mass": "0.3", "unit": "kg", "post_consumer_share": "0.125"},
                {"material": "frame", "mass": 2.5, "unit": "kg"}]})
        );
        assert!(filled.missing.is_empty());
        assert_eq!(filled.sources.len(), 8);
        assert!(filled.sources.contains(&SourceUse {
            input: "/components/1/post_consumer_share".into(),
            source: "/parts/1/recycled".into()
        }));
    }

    #[test]
    fn withheld_and_absent_values_are_reported_not_zeroed() {
        let data = json!({"name": "cleaner", "parts": [{"material": "PP", "mass": 1.2}]});
        let filled = fill(&template(), &data, &["/frameMass".to_owned()]);
        assert_eq!(
            filled.missing,
            vec![
                MissingSource {
                    input: "/components/0/post_consumer_share".into(),
                    source: "/parts/0/recycled".into(),
                    reason: "absent"
                },
                MissingSource {
                    input: "/components/1/mass".into(),
                    source: "/frameMass".into(),
                    reason: "withheld"
                },
            ]
        );
        assert_eq!(filled.input["components"][0].get("post_consumer_share"), None);
    }

    #[test]
    fn malformed_templates_are_refused_with_their_places() {
        let templates = std::collections::BTreeMap::from([(
            "recycled-content".to_owned(),
            json!({"a": {"$from": "no-slash"}, "b": {"$from": "/x", "$scale": "ten"}, "c": {"$each": "/x"},
                   "d": [{"$each": "/x"}], "e": {"$form": "/x"}}),
        )]);
        let violations = check_templates(&templates);
        let places: Vec<&str> = violations.iter().map(|violation| violation.path.as_str()).collect();
        assert_eq!(
            places,
            vec![
                "/indicators/recycled-content/a/$from",
                "/indicators/recycled-content/b/$scale",
                "/indicators/recycled-content/c/$each",
                "/indicators/recycled-content/d/0",
                "/indicators/recycled-content/e/$form",
                "/indicators/recycled-content/e"
            ]
        );
    }
}
