//! Exact decimals as they travel: PACT's decimal strings (`^[+-]?\d+(\.\d+)?$`), and the serde
//! form the model uses (a JSON string, never a binary float).

use std::str::FromStr;

use rust_decimal::Decimal;

/// The sign constraint of a PACT decimal type (`Decimal`, `PositiveOrZeroDecimal`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Any value (`Decimal`).
    Any,
    /// `>= 0` (`PositiveOrZeroDecimal`).
    PositiveOrZero,
    /// `> 0` (`PositiveNonZeroDecimal`).
    PositiveNonZero,
    /// `<= 0` (`NegativeOrZeroDecimal`).
    NegativeOrZero,
}

impl Sign {
    /// Whether `value` satisfies the constraint.
    pub fn admits(self, value: Decimal) -> bool {
        match self {
            Sign::Any => true,
            Sign::PositiveOrZero => value >= Decimal::ZERO,
            Sign::PositiveNonZero => value > Decimal::ZERO,
            Sign::NegativeOrZero => value <= Decimal::ZERO,
        }
    }

    /// What the constraint requires, for messages.
    pub fn requirement(self) -> &'static str {
        match self {
            Sign::Any => "any decimal",
            Sign::PositiveOrZero => "zero or more",
            Sign::PositiveNonZero => "more than zero",
            Sign::NegativeOrZero => "zero or less",
        }
    }
}

/// Parses a PACT decimal string: optional sign, digits, optional fraction; no exponent, no blank,
/// no leading or trailing dot. Values beyond 28 significant digits are refused rather than rounded.
pub fn parse_decimal_text(text: &str) -> Result<Decimal, String> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits_only = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    if !digits_only(whole) || fraction.is_some_and(|fraction| !digits_only(fraction)) {
        return Err(format!(
            "must be a decimal string such as \"12.5\" (digits, optional sign and fraction), got {text:?}"
        ));
    }
    let normalized = text.strip_prefix('+').unwrap_or(text);
    Decimal::from_str_exact(normalized).map_err(|_| format!("{text:?} has more digits than can be kept exactly (28)"))
}

/// Parses a PACT decimal string and checks its sign constraint.
pub fn parse_signed(text: &str, sign: Sign) -> Result<Decimal, String> {
    let value = parse_decimal_text(text)?;
    if sign.admits(value) {
        Ok(value)
    } else {
        Err(format!("must be {}, got {text}", sign.requirement()))
    }
}

/// The exact decimal of a JSON number, through its shortest text form. JSON numbers appear only
/// where a standard prescribes them (Ouranos, PACT v2 percentages); the value is never used as a
/// float, and numbers whose text is not an exact decimal (exponents beyond range) are refused.
pub fn from_json_number(number: &serde_json::Number) -> Result<Decimal, String> {
    let text = number.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("{text} cannot be kept as an exact decimal"))
}

/// A JSON number for a decimal, for the standards that carry numbers. The value is written with its
/// exact digits; `serde_json` keeps at most 17 significant digits of a number, so callers round to
/// the precision their standard allows first (Ouranos: five decimals).
pub fn to_json_number(value: Decimal) -> serde_json::Value {
    let text = value.normalize().to_string();
    serde_json::Value::from_str(&text).expect("the text of a decimal is a JSON number")
}

/// The number of digits after the decimal point, ignoring trailing zeros.
pub fn fraction_digits(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Serde for a model decimal as a JSON string (`"12.50"`), scale kept as written.
pub mod text {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the decimal as a string.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal string (numbers are refused: they may already have lost digits).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_decimal_text(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde for an optional model decimal as a JSON string or null.
pub mod option_text {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the decimal as a string, or null.
    pub fn serialize<S: Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a decimal string or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => super::parse_decimal_text(&text)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// A decimal from a literal known to be valid (tables, tests).
pub fn literal(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal literals in the code are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_follow_the_pact_pattern() {
        assert_eq!(
            parse_decimal_text("12.50").map(|value| value.to_string()),
            Ok("12.50".to_owned())
        );
        assert_eq!(
            parse_decimal_text("+3").map(|value| value.to_string()),
            Ok("3".to_owned())
        );
        assert_eq!(
            parse_decimal_text("-0.001").map(|value| value.to_string()),
            Ok("-0.001".to_owned())
        );
        for bad in ["", "1.", ".5", "1e3", "1,5", " 1", "--1", "+-1", "NaN", "0x10", "１"] {
            assert!(parse_decimal_text(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(parse_decimal_text("123456789012345678901234567890.5").is_err());
    }

    #[test]
    fn signs_are_checked() {
        assert!(parse_signed("0", Sign::PositiveOrZero).is_ok());
        assert!(parse_signed("0.0", Sign::PositiveNonZero).is_err());
        assert!(parse_signed("0.01", Sign::PositiveNonZero).is_ok());
        assert!(parse_signed("-1", Sign::PositiveOrZero).is_err());
        assert!(parse_signed("1", Sign::NegativeOrZero).is_err());
        assert!(parse_signed("-0.5", Sign::NegativeOrZero).is_ok());
    }

    #[test]
    fn json_numbers_round_trip_through_their_text() {
        let number: serde_json::Number = serde_json::from_str("1.12345").expect("number");
        assert_eq!(
            from_json_number(&number).map(|value| value.to_string()),
            Ok("1.12345".to_owned())
        );
        assert_eq!(to_json_number(literal("99999.99999")).to_string(), "99999.99999");
        assert_eq!(to_json_number(literal("2.50")).to_string(), "2.5");
        assert_eq!(to_json_number(literal("0")).to_string(), "0");
    }
}
