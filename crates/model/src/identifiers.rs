//! Validation of the public identifiers organizations and facilities carry: the Japanese corporate
//! number (法人番号), GS1 keys (GLN, company prefix), the LEI, the local-government code
//! (地方公共団体コード) and the Ouranos open plant id.
//!
//! Each check returns `Err(message)` with a sentence a user can act on.

/// Checks a Japanese corporate number (法人番号): 13 digits, the first being a check digit over the
/// other twelve (National Tax Agency rule: `9 - (Σ Pn × Qn mod 9)`, Pn counted from the right,
/// Qn = 1 for odd n and 2 for even n).
pub fn check_corporate_number(value: &str) -> Result<(), String> {
    let digits = ascii_digits(value, 13, "a corporate number (法人番号)")?;
    let weighted_sum: u32 = digits[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| digit * if index % 2 == 0 { 1 } else { 2 })
        .sum();
    let expected = 9 - weighted_sum % 9;
    if digits[0] != expected {
        return Err(format!(
            "corporate number check digit is {} but the other digits require {expected}",
            digits[0]
        ));
    }
    Ok(())
}

/// Checks a GS1 Global Location Number: 13 digits with a valid GS1 check digit (AI 414 of the
/// GS1 syntax dictionary).
pub fn check_gln(value: &str) -> Result<(), String> {
    junkan_gs1::dictionary::validate("414", value)
}

/// Checks a GS1 company prefix: 4 to 12 digits (the length GS1 allocated; GS1 Japan prefixes
/// start with 45 or 49, but prefixes of every GS1 member organization are accepted).
pub fn check_gs1_company_prefix(value: &str) -> Result<(), String> {
    if !(4..=12).contains(&value.len()) || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("a GS1 company prefix is 4 to 12 digits".to_owned());
    }
    Ok(())
}

/// Checks a Legal Entity Identifier (ISO 17442): 18 upper-case alphanumerics and 2 check digits,
/// valid under ISO 7064 MOD 97-10.
pub fn check_lei(value: &str) -> Result<(), String> {
    let bytes = value.as_bytes();
    if bytes.len() != 20
        || !bytes
            .iter()
            .all(|byte| byte.is_ascii_digit() || byte.is_ascii_uppercase())
    {
        return Err("an LEI is 20 characters: upper-case letters and digits".to_owned());
    }
    if !bytes[18..].iter().all(u8::is_ascii_digit) {
        return Err("the last two characters of an LEI are check digits".to_owned());
    }
    let remainder = bytes.iter().fold(0u32, |remainder, byte| {
        let value = if byte.is_ascii_digit() {
            u32::from(byte - b'0')
        } else {
            u32::from(byte - b'A') + 10
        };
        if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        }
    });
    if remainder != 1 {
        return Err("LEI check digits do not match (ISO 7064 MOD 97-10)".to_owned());
    }
    Ok(())
}

/// The check digit of a local-government code (全国地方公共団体コード) over its first five digits:
/// weights 6, 5, 4, 3, 2; `11 - (sum mod 11)`, where 10 becomes 0 and 11 becomes 1.
pub fn local_government_check_digit(body: &[u32]) -> u32 {
    let sum: u32 = body
        .iter()
        .zip([6, 5, 4, 3, 2])
        .map(|(digit, weight)| digit * weight)
        .sum();
    (11 - sum % 11) % 10
}

/// Checks the form of a six-digit local-government code (check digit included). Whether the code
/// names an existing municipality is checked by [`crate::japan::municipality`].
pub fn check_local_government_code(value: &str) -> Result<(), String> {
    let digits = ascii_digits(value, 6, "a local-government code (地方公共団体コード)")?;
    let expected = local_government_check_digit(&digits[..5]);
    if digits[5] != expected {
        return Err(format!(
            "local-government code check digit is {} but should be {expected}",
            digits[5]
        ));
    }
    Ok(())
}

/// Checks an Ouranos open plant id (事業所識別子): 6 to 26 characters whose last six are digits.
pub fn check_ouranos_plant_id(value: &str) -> Result<(), String> {
    let count = value.chars().count();
    if !(6..=26).contains(&count) {
        return Err(format!("an Ouranos plant id is 6 to 26 characters, got {count}"));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("an Ouranos plant id contains no spaces or control characters".to_owned());
    }
    if !value.chars().rev().take(6).all(|c| c.is_ascii_digit()) {
        return Err("the last 6 characters of an Ouranos plant id must be digits".to_owned());
    }
    Ok(())
}

fn ascii_digits(value: &str, length: usize, what: &str) -> Result<Vec<u32>, String> {
    if value.len() != length || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("{what} is exactly {length} ASCII digits"));
    }
    Ok(value.bytes().map(|byte| u32::from(byte - b'0')).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(checker: fn(&str) -> Result<(), String>, inputs: &[&str], expected: Expect) {
        let actual: Vec<String> = inputs
            .iter()
            .map(|input| format!("{input:?}: {}", checker(input).err().unwrap_or_else(|| "ok".to_owned())))
            .collect();
        expected.assert_eq(&actual.join("\n"));
    }

    #[test]
    fn corporate_numbers() {
        // 7000012050002 is the National Tax Agency's own corporate number.
        check(
            check_corporate_number,
            &[
                "7000012050002",
                "8000012050002",
                "700001205000",
                "70000120500０2",
                "1234567890123",
            ],
            expect![[r#"
                "7000012050002": ok
                "8000012050002": corporate number check digit is 8 but the other digits require 7
                "700001205000": a corporate number (法人番号) is exactly 13 ASCII digits
                "70000120500０2": a corporate number (法人番号) is exactly 13 ASCII digits
                "1234567890123": corporate number check digit is 1 but the other digits require 9"#]],
        );
    }

    #[test]
    fn glns() {
        check(
            check_gln,
            &["4512345000011", "4512345000012", "451234500001"],
            expect![[r#"
                "4512345000011": ok
                "4512345000012": (414) LOC No. "4512345000012": check digit should be 1
                "451234500001": (414) LOC No. "451234500001" is too short"#]],
        );
    }

    #[test]
    fn leis() {
        // 5493001KJTIIGC8Y1R12 is Bloomberg Finance L.P.'s LEI.
        check(
            check_lei,
            &[
                "5493001KJTIIGC8Y1R12",
                "5493001KJTIIGC8Y1R13",
                "5493001kjtiigc8y1r12",
                "5493001KJTIIGC8Y1RAB",
            ],
            expect![[r#"
                "5493001KJTIIGC8Y1R12": ok
                "5493001KJTIIGC8Y1R13": LEI check digits do not match (ISO 7064 MOD 97-10)
                "5493001kjtiigc8y1r12": an LEI is 20 characters: upper-case letters and digits
                "5493001KJTIIGC8Y1RAB": the last two characters of an LEI are check digits"#]],
        );
    }

    #[test]
    fn plant_ids() {
        check(
            check_ouranos_plant_id,
            &[
                "9876543210987123456",
                "A12345",
                "AB1234",
                "12345",
                "X23456789012345678901234567",
                "工場-000001",
            ],
            expect![[r#"
                "9876543210987123456": ok
                "A12345": the last 6 characters of an Ouranos plant id must be digits
                "AB1234": the last 6 characters of an Ouranos plant id must be digits
                "12345": an Ouranos plant id is 6 to 26 characters, got 5
                "X23456789012345678901234567": an Ouranos plant id is 6 to 26 characters, got 27
                "工場-000001": ok"#]],
        );
    }

    #[test]
    fn company_prefixes() {
        check(
            check_gs1_company_prefix,
            &["4512345", "451", "4512345678901", "45a2345"],
            expect![[r#"
                "4512345": ok
                "451": a GS1 company prefix is 4 to 12 digits
                "4512345678901": a GS1 company prefix is 4 to 12 digits
                "45a2345": a GS1 company prefix is 4 to 12 digits"#]],
        );
    }
}
