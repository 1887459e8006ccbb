//! Reading a JSON object field by field, recording every problem with its JSON pointer: the
//! building block of the PACT and Ouranos parsers, so that each reports all problems at once.

use junkan_model::validation::{escape_segment, Violations};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::decimal::{self, Sign};
use crate::model::check_urn;

/// A JSON object being read at `pointer`.
pub struct Reader<'a> {
    /// The object.
    pub object: &'a Map<String, Value>,
    /// Its pointer.
    pub pointer: String,
}

impl<'a> Reader<'a> {
    /// Reads `value` at `pointer` as an object; records a violation when it is not one.
    pub fn new(value: &'a Value, pointer: &str, violations: &mut Violations) -> Option<Reader<'a>> {
        match value.as_object() {
            Some(object) => Some(Reader {
                object,
                pointer: pointer.to_owned(),
            }),
            None => {
                violations.push(pointer, "must be an object");
                None
            }
        }
    }

    /// The pointer of `key`.
    pub fn at(&self, key: &str) -> String {
        format!("{}/{}", self.pointer, escape_segment(key))
    }

    /// The raw value of `key`; records "is required" when `required` and absent. JSON null is a
    /// value like any other here (PACT has no nullable fields), so typed readers refuse it.
    pub fn raw(&self, key: &str, required: bool, violations: &mut Violations) -> Option<&'a Value> {
        match self.object.get(key) {
            Some(value) => Some(value),
            None => {
                if required {
                    violations.push(self.at(key), "is required");
                }
                None
            }
        }
    }

    /// A string.
    pub fn string(&self, key: &str, required: bool, violations: &mut Violations) -> Option<String> {
        let value = self.raw(key, required, violations)?;
        match value.as_str() {
            Some(text) => Some(text.to_owned()),
            None => {
                violations.push(self.at(key), "must be a string");
                None
            }
        }
    }

    /// A string with at least one character.
    pub fn non_empty_string(&self, key: &str, required: bool, violations: &mut Violations) -> Option<String> {
        let text = self.string(key, required, violations)?;
        if text.is_empty() {
            violations.push(self.at(key), "must not be empty");
            return None;
        }
        Some(text)
    }

    /// A boolean.
    pub fn boolean(&self, key: &str, required: bool, violations: &mut Violations) -> Option<bool> {
        let value = self.raw(key, required, violations)?;
        match value.as_bool() {
            Some(flag) => Some(flag),
            None => {
                violations.push(self.at(key), "must be true or false");
                None
            }
        }
    }

    /// A PACT decimal string with a sign constraint.
    pub fn decimal_string(
        &self,
        key: &str,
        sign: Sign,
        required: bool,
        violations: &mut Violations,
    ) -> Option<Decimal> {
        let value = self.raw(key, required, violations)?;
        let Some(text) = value.as_str() else {
            violations.push(
                self.at(key),
                "must be a decimal string such as \"1.5\" (not a JSON number)",
            );
            return None;
        };
        match decimal::parse_signed(text, sign) {
            Ok(value) => Some(value),
            Err(message) => {
                violations.push(self.at(key), message);
                None
            }
        }
    }

    /// A JSON number kept as an exact decimal, within `minimum..=maximum`.
    pub fn number(
        &self,
        key: &str,
        minimum: Decimal,
        maximum: Decimal,
        required: bool,
        violations: &mut Violations,
    ) -> Option<Decimal> {
        let value = self.raw(key, required, violations)?;
        let Some(number) = value.as_number() else {
            violations.push(self.at(key), "must be a number");
            return None;
        };
        match decimal::from_json_number(number) {
            Ok(value) if value >= minimum && value <= maximum => Some(value),
            Ok(value) => {
                violations.push(
                    self.at(key),
                    format!("must be between {minimum} and {maximum}, got {value}"),
                );
                None
            }
            Err(message) => {
                violations.push(self.at(key), message);
                None
            }
        }
    }

    /// An RFC 3339 date-time.
    pub fn date_time(&self, key: &str, required: bool, violations: &mut Violations) -> Option<OffsetDateTime> {
        let text = self.string(key, required, violations)?;
        match OffsetDateTime::parse(&text, &Rfc3339) {
            Ok(moment) => Some(moment),
            Err(_) => {
                violations.push(
                    self.at(key),
                    format!("{text:?} is not an RFC 3339 date-time such as 2025-01-01T00:00:00Z"),
                );
                None
            }
        }
    }

    /// A UUID in its hyphenated form.
    pub fn uuid(&self, key: &str, required: bool, violations: &mut Violations) -> Option<Uuid> {
        let text = self.string(key, required, violations)?;
        parse_uuid(&text)
            .map_err(|message| violations.push(self.at(key), message))
            .ok()
    }

    /// An array of strings: non-empty when `min_one`, unique when `unique`; `check` is applied to
    /// each item.
    pub fn strings(
        &self,
        key: &str,
        required: bool,
        min_one: bool,
        unique: bool,
        check: impl Fn(&str) -> Result<(), String>,
        violations: &mut Violations,
    ) -> Option<Vec<String>> {
        let value = self.raw(key, required, violations)?;
        let Some(items) = value.as_array() else {
            violations.push(self.at(key), "must be an array");
            return None;
        };
        if min_one && items.is_empty() {
            violations.push(self.at(key), "must list at least one value");
        }
        let mut result = Vec::with_capacity(items.len());
        let mut valid = true;
        for (index, item) in items.iter().enumerate() {
            let pointer = format!("{}/{index}", self.at(key));
            match item.as_str() {
                Some(text) => {
                    if let Err(message) = check(text) {
                        violations.push(pointer, message);
                        valid = false;
                    } else if unique && result.iter().any(|seen: &String| seen == text) {
                        violations.push(pointer, format!("{text:?} is listed twice"));
                        valid = false;
                    } else {
                        result.push(text.to_owned());
                    }
                }
                None => {
                    violations.push(pointer, "must be a string");
                    valid = false;
                }
            }
        }
        valid.then_some(result)
    }

    /// An array of URNs (PACT `Urn`: `^([uU][rR][nN]):`), non-empty and unique.
    pub fn urns(&self, key: &str, required: bool, violations: &mut Violations) -> Option<Vec<String>> {
        self.strings(key, required, true, true, check_urn, violations)
    }

    /// One of `allowed`.
    pub fn one_of(&self, key: &str, allowed: &[&str], required: bool, violations: &mut Violations) -> Option<String> {
        let text = self.string(key, required, violations)?;
        if allowed.contains(&text.as_str()) {
            Some(text)
        } else {
            violations.push(self.at(key), format!("{text:?} is not one of {allowed:?}"));
            None
        }
    }
}

/// Parses a hyphenated UUID (URNs and other forms are refused, as PACT and Ouranos ids are plain UUIDs).
pub fn parse_uuid(text: &str) -> Result<Uuid, String> {
    if text.len() != 36 {
        return Err(format!(
            "{text:?} is not a UUID such as \"f4b1225a-bd44-4c8e-861d-079e4e1dfd69\""
        ));
    }
    Uuid::parse_str(text)
        .map_err(|_| format!("{text:?} is not a UUID such as \"f4b1225a-bd44-4c8e-861d-079e4e1dfd69\""))
}
