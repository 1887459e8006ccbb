//! Reading an indicator's input object: exact decimals from JSON numbers or decimal strings, the
//! range each kind of value must lie in, units of mass, and strict keys (a misspelt input name is
//! an error, not a silently missing value). Every problem is collected with its JSON pointer.

use std::str::FromStr;

use junkan_model::validation::{escape_segment, Violations};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// What a numeric input may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A mass or amount: zero or more.
    Mass,
    /// A share as a fraction, 0 to 1 (0–100 %).
    Fraction,
    /// A share in percent, 0 to 100.
    Percent,
    /// More than zero (a ratio such as lifetime / average lifetime, an efficiency).
    Positive,
}

impl Kind {
    fn check(self, value: Decimal) -> Result<(), String> {
        let ok = match self {
            Kind::Mass => value >= Decimal::ZERO,
            Kind::Fraction => (Decimal::ZERO..=Decimal::ONE).contains(&value),
            Kind::Percent => (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&value),
            Kind::Positive => value > Decimal::ZERO,
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            Kind::Mass => format!("must not be negative, got {value}"),
            Kind::Fraction => format!("is a share as a fraction and must lie between 0 and 1 (0–100 %), got {value}"),
            Kind::Percent => format!("is a share in percent and must lie between 0 and 100, got {value}"),
            Kind::Positive => format!("must be more than 0, got {value}"),
        })
    }
}

/// Parses a decimal from a JSON number (`12.5`, `1e-6`) or a decimal string (`"12.5"`).
pub fn decimal_of(value: &Value) -> Result<Decimal, String> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        other => {
            return Err(format!(
                "must be a number or a decimal string, got {}",
                kind_name(other)
            ))
        }
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("must be a number or a decimal string such as \"12.5\", got {text:?}"))
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One input object at a JSON pointer.
pub struct Inputs<'a> {
    object: &'a Map<String, Value>,
    pointer: String,
}

impl<'a> Inputs<'a> {
    /// Reads `value` as an object whose keys must all be in `allowed`; `None` (with a violation)
    /// when it is not an object.
    pub fn new(value: &'a Value, pointer: &str, allowed: &[&str], violations: &mut Violations) -> Option<Inputs<'a>> {
        let Some(object) = value.as_object() else {
            violations.push(pointer, format!("must be an object, got {}", kind_name(value)));
            return None;
        };
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                violations.push(
                    format!("{pointer}/{}", escape_segment(key)),
                    format!(
                        "is not an input of this indicator (expected one of: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(Inputs {
            object,
            pointer: pointer.to_owned(),
        })
    }

    /// The pointer of `key`.
    pub fn at(&self, key: &str) -> String {
        format!("{}/{}", self.pointer, escape_segment(key))
    }

    /// Whether `key` is present and not null.
    pub fn has(&self, key: &str) -> bool {
        self.object.get(key).is_some_and(|value| !value.is_null())
    }

    /// The raw value of `key`, `None` when absent or null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|value| !value.is_null())
    }

    /// A required decimal of `kind`.
    pub fn decimal(&self, key: &str, kind: Kind, violations: &mut Violations) -> Option<Decimal> {
        if !self.has(key) {
            violations.push(self.at(key), "is required");
            return None;
        }
        self.optional(key, kind, violations)
    }

    /// An optional decimal of `kind` (`None` when absent, null or invalid).
    pub fn optional(&self, key: &str, kind: Kind, violations: &mut Violations) -> Option<Decimal> {
        let value = self.raw(key)?;
        match decimal_of(value).and_then(|decimal| kind.check(decimal).map(|()| decimal)) {
            Ok(decimal) => Some(decimal),
            Err(message) => {
                violations.push(self.at(key), message);
                None
            }
        }
    }

    /// A required text.
    pub fn text(&self, key: &str, violations: &mut Violations) -> Option<&'a str> {
        match self.raw(key) {
            Some(Value::String(text)) if !text.trim().is_empty() => Some(text),
            Some(Value::String(_)) => {
                violations.push(self.at(key), "must not be blank");
                None
            }
            Some(other) => {
                violations.push(self.at(key), format!("must be a string, got {}", kind_name(other)));
                None
            }
            None => {
                violations.push(self.at(key), "is required");
                None
            }
        }
    }

    /// An optional text that must be one of `allowed`.
    pub fn choice(&self, key: &str, allowed: &[&'static str], violations: &mut Violations) -> Option<&'static str> {
        let value = self.raw(key)?;
        let found = value
            .as_str()
            .and_then(|text| allowed.iter().find(|candidate| **candidate == text));
        if found.is_none() {
            violations.push(
                self.at(key),
                format!("must be one of {}, got {value}", allowed.join(", ")),
            );
        }
        found.copied()
    }

    /// The elements of an array input with their pointers (empty, with a violation, when `key` is
    /// not an array; empty when absent and not `required`).
    pub fn array(&self, key: &str, required: bool, violations: &mut Violations) -> Vec<(String, &'a Value)> {
        match self.raw(key) {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (format!("{}/{index}", self.at(key)), item))
                .collect(),
            Some(other) => {
                violations.push(self.at(key), format!("must be an array, got {}", kind_name(other)));
                Vec::new()
            }
            None => {
                if required {
                    violations.push(self.at(key), "is required");
                }
                Vec::new()
            }
        }
    }
}

/// A unit of mass, by its factor to tonnes; `None` for a unit that is not a mass.
pub fn tonnes_per(unit: &str) -> Option<Decimal> {
    let factor = match unit.trim() {
        "g" => Decimal::new(1, 6),
        "kg" => Decimal::new(1, 3),
        "t" => Decimal::ONE,
        "kt" => Decimal::new(1_000, 0),
        "10^4 t" | "10^4 t (万t)" | "万t" | "万トン" => Decimal::new(10_000, 0),
        "Mt" => Decimal::new(1_000_000, 0),
        "億t" | "10^8 t" => Decimal::new(100_000_000, 0),
        _ => return None,
    };
    Some(factor)
}

/// One flow of a list: its mass in the list's common unit and what else was read from it.
pub struct Flow<T> {
    /// The mass, in tonnes when given in a unit of mass, else in the list's one unit.
    pub mass: Decimal,
    /// What `read` made of the flow's other fields.
    pub value: T,
}

/// Reads the flows under `key` of `inputs` (each `{name, mass, unit, ...extra}`), converting
/// masses to tonnes. A unit that is not a mass must be the one every flow (across calls sharing
/// `common_unit`) uses: mixing it with another needs a conversion junkan does not have.
pub fn flows<T>(
    inputs: &Inputs<'_>,
    key: &str,
    extra_keys: &[&str],
    common_unit: &mut Option<(String, String)>,
    violations: &mut Violations,
    read: impl Fn(&Inputs<'_>, &mut Violations) -> Option<T>,
) -> Vec<Flow<T>> {
    let mut allowed = vec!["name", "mass", "unit"];
    allowed.extend_from_slice(extra_keys);
    let mut result = Vec::new();
    for (pointer, item) in inputs.array(key, true, violations) {
        let Some(flow) = Inputs::new(item, &pointer, &allowed, violations) else {
            continue;
        };
        let mass = flow.decimal("mass", Kind::Mass, violations);
        let unit = flow.text("unit", violations).map(str::to_owned);
        let value = read(&flow, violations);
        let (Some(mass), Some(unit), Some(value)) = (mass, unit, value) else {
            continue;
        };
        let (mass, unit_key) = match tonnes_per(&unit) {
            Some(factor) => (mass * factor, "t".to_owned()),
            None => (mass, unit.clone()),
        };
        match common_unit {
            None => *common_unit = Some((unit_key, flow.at("unit"))),
            Some((first, first_pointer)) if *first != unit_key => {
                violations.push(
                    flow.at("unit"),
                    format!("mixed units without a conversion: {unit:?} here, {first:?} at {first_pointer}; express every flow in one unit or in units of mass"),
                );
                continue;
            }
            Some(_) => {}
        }
        result.push(Flow { mass, value });
    }
    result
}
