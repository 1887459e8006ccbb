//! EPC URNs (GS1 EPC Tag Data Standard 2.x, pure identities and the class-level forms used in
//! EPCIS) and their conversion to and from GS1 Digital Link.

use crate::digital_link::{percent_decode, DigitalLink};
use crate::{check_digit, digits_of, IdentifierError};

fn error(urn: &str, problem: &str) -> IdentifierError {
    IdentifierError::new(format!("{urn:?}: {problem}"))
}

/// Characters of GS1 AI values that an EPC URN must percent-escape (TDS section 6).
const URN_ESCAPED: &[u8] = b"\"%&/<>?#";

fn urn_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        if URN_ESCAPED.contains(&byte) {
            escaped.push_str(&format!("%{byte:02X}"));
        } else {
            escaped.push(char::from(byte));
        }
    }
    escaped
}

fn numeric<'a>(urn: &str, part: &'a str, what: &str) -> Result<&'a str, IdentifierError> {
    if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(error(urn, &format!("the {what} must be digits")));
    }
    Ok(part)
}

/// `digits` followed by its GS1 check digit.
fn with_check_digit(digits: &str) -> String {
    format!("{digits}{}", check_digit(&digits_of(digits)))
}

/// Converts an EPC URN into its Digital Link form.
pub fn to_digital_link(urn: &str) -> Result<DigitalLink, IdentifierError> {
    // A pattern (urn:epc:idpat:<scheme>:...*) names the class of its pure identities: the key
    // without the serial part.
    let mut pattern = false;
    let (scheme, body) = if let Some(body) = urn.strip_prefix("urn:epc:id:") {
        body.split_once(':').ok_or_else(|| error(urn, "missing scheme"))?
    } else if let Some(body) = urn.strip_prefix("urn:epc:class:lgtin:") {
        ("lgtin", body)
    } else if let Some(body) = urn.strip_prefix("urn:epc:idpat:") {
        let (scheme, body) = body.split_once(':').ok_or_else(|| error(urn, "missing scheme"))?;
        if !body.ends_with(".*") || !matches!(scheme, "sgtin" | "grai" | "gdti" | "sgcn" | "cpi" | "itip") {
            return Err(error(
                urn,
                "supported patterns are sgtin, grai, gdti, sgcn, cpi and itip ending in .*",
            ));
        }
        pattern = true;
        (scheme, body)
    } else {
        return Err(error(
            urn,
            "not a supported EPC URN (urn:epc:id:..., urn:epc:class:lgtin:..., urn:epc:idpat:sgtin:...)",
        ));
    };
    const SCHEMES: [&str; 16] = [
        "sgtin", "lgtin", "sscc", "sgln", "pgln", "grai", "giai", "gsrn", "gsrnp", "gdti", "sgcn", "ginc", "gsin",
        "cpi", "itip", "upui",
    ];
    if !SCHEMES.contains(&scheme) {
        return Err(error(urn, &format!("the EPC scheme {scheme:?} is not supported")));
    }
    let parts: Vec<&str> = body.split('.').collect();
    let expect_parts = |count: usize| {
        if parts.len() == count {
            Ok(())
        } else {
            Err(error(urn, &format!("a {scheme} URN has {count} dot-separated parts")))
        }
    };
    let company_prefix = numeric(urn, parts.first().copied().unwrap_or(""), "company prefix")?;
    // A reference may be empty when the company prefix alone fills the key (e.g. a 12-digit
    // prefix in a GDTI or a PGLN).
    let fixed = |reference: &str, total: usize, what: &str| -> Result<String, IdentifierError> {
        let reference = if reference.is_empty() && company_prefix.len() == total.min(12) {
            reference
        } else {
            numeric(urn, reference, what)?
        };
        if company_prefix.len() + reference.len() != total {
            return Err(error(
                urn,
                &format!("company prefix and {what} must have {total} digits together"),
            ));
        }
        Ok(format!("{company_prefix}{reference}"))
    };
    let gtin = |indicator_item: &str| -> Result<String, IdentifierError> {
        fixed(indicator_item, 13, "indicator and item reference")?;
        let (indicator, item) = indicator_item.split_at(1);
        Ok(with_check_digit(&format!("{indicator}{company_prefix}{item}")))
    };
    let pair = |ai: &str, value: String| (ai.to_owned(), value);
    // The serial part of a key; empty for a pattern, which names the class.
    let serial = |index: usize| {
        if pattern {
            Ok(String::new())
        } else {
            percent_decode(parts[index])
        }
    };
    let pairs = match scheme {
        "sgtin" if pattern => {
            expect_parts(3)?;
            vec![pair("01", gtin(parts[1])?)]
        }
        "sgtin" => {
            expect_parts(3)?;
            vec![pair("01", gtin(parts[1])?), pair("21", percent_decode(parts[2])?)]
        }
        "lgtin" => {
            expect_parts(3)?;
            vec![pair("01", gtin(parts[1])?), pair("10", percent_decode(parts[2])?)]
        }
        "sscc" => {
            expect_parts(2)?;
            fixed(parts[1], 17, "extension and serial reference")?;
            let (extension, serial) = parts[1].split_at(1);
            vec![pair(
                "00",
                with_check_digit(&format!("{extension}{company_prefix}{serial}")),
            )]
        }
        "sgln" => {
            expect_parts(3)?;
            let gln = with_check_digit(&fixed(parts[1], 12, "location reference")?);
            let mut pairs = vec![pair("414", gln)];
            if parts[2] != "0" {
                pairs.push(pair("254", percent_decode(parts[2])?));
            }
            pairs
        }
        "pgln" => {
            expect_parts(2)?;
            vec![pair("417", with_check_digit(&fixed(parts[1], 12, "party reference")?))]
        }
        "grai" => {
            expect_parts(3)?;
            let key = with_check_digit(&fixed(parts[1], 12, "asset type")?);
            vec![pair("8003", format!("0{key}{}", serial(2)?))]
        }
        "giai" => {
            expect_parts(2)?;
            vec![pair("8004", format!("{company_prefix}{}", percent_decode(parts[1])?))]
        }
        "gsrn" | "gsrnp" => {
            expect_parts(2)?;
            let key = with_check_digit(&fixed(parts[1], 17, "service reference")?);
            vec![pair(if scheme == "gsrn" { "8018" } else { "8017" }, key)]
        }
        "gdti" | "sgcn" => {
            expect_parts(3)?;
            let key = with_check_digit(&fixed(parts[1], 12, "document type")?);
            vec![pair(
                if scheme == "gdti" { "253" } else { "255" },
                format!("{key}{}", serial(2)?),
            )]
        }
        "ginc" => {
            expect_parts(2)?;
            vec![pair("401", format!("{company_prefix}{}", percent_decode(parts[1])?))]
        }
        "gsin" => {
            expect_parts(2)?;
            vec![pair(
                "402",
                with_check_digit(&fixed(parts[1], 16, "shipper reference")?),
            )]
        }
        "itip" => {
            expect_parts(5)?;
            let piece_total = format!(
                "{}{}",
                numeric(urn, parts[2], "piece number")?,
                numeric(urn, parts[3], "total count")?
            );
            let mut pairs = vec![pair("8006", format!("{}{piece_total}", gtin(parts[1])?))];
            if !pattern {
                pairs.push(pair("21", percent_decode(parts[4])?));
            }
            pairs
        }
        "upui" => {
            expect_parts(3)?;
            vec![pair("01", gtin(parts[1])?), pair("235", percent_decode(parts[2])?)]
        }
        "cpi" => {
            expect_parts(3)?;
            let mut pairs = vec![pair("8010", format!("{company_prefix}{}", percent_decode(parts[1])?))];
            if !pattern {
                pairs.push(pair("8011", parts[2].to_owned()));
            }
            pairs
        }
        other => unreachable!("scheme {other:?} was checked against SCHEMES"),
    };
    DigitalLink::from_pairs(pairs).map_err(|problem| error(urn, &problem.0))
}

/// Converts a Digital Link into an EPC URN, given the length of the GS1 company prefix (which a
/// Digital Link does not carry). Returns `None` when the key has no EPC form or the length does
/// not fit the key.
pub fn from_digital_link(link: &DigitalLink, company_prefix_length: usize) -> Option<String> {
    let length = company_prefix_length;
    if !(4..=12).contains(&length) {
        return None;
    }
    let (ai, value) = (&link.primary.0, &link.primary.1);
    let qualifiers: Vec<&str> = link.qualifiers.iter().map(|(ai, _)| ai.as_str()).collect();
    let urn = match (ai.as_str(), qualifiers.as_slice()) {
        ("01", rest) => {
            let (indicator, company_prefix, item) =
                (&value[0..1], value.get(1..1 + length)?, value.get(1 + length..13)?);
            match rest {
                ["21"] => format!(
                    "urn:epc:id:sgtin:{company_prefix}.{indicator}{item}.{}",
                    urn_escape(link.qualifier("21")?)
                ),
                ["10"] => format!(
                    "urn:epc:class:lgtin:{company_prefix}.{indicator}{item}.{}",
                    urn_escape(link.qualifier("10")?)
                ),
                ["235"] => format!(
                    "urn:epc:id:upui:{company_prefix}.{indicator}{item}.{}",
                    urn_escape(link.qualifier("235")?)
                ),
                [] => format!("urn:epc:idpat:sgtin:{company_prefix}.{indicator}{item}.*"),
                _ => return None,
            }
        }
        ("8006", ["21"]) => format!(
            "urn:epc:id:itip:{}.{}{}.{}.{}.{}",
            value.get(1..1 + length)?,
            &value[0..1],
            value.get(1 + length..13)?,
            value.get(14..16)?,
            value.get(16..18)?,
            urn_escape(link.qualifier("21")?)
        ),
        ("00", []) => format!(
            "urn:epc:id:sscc:{}.{}{}",
            value.get(1..1 + length)?,
            &value[0..1],
            value.get(1 + length..17)?
        ),
        ("414", rest) => {
            let extension = match rest {
                [] => "0".to_owned(),
                ["254"] => urn_escape(link.qualifier("254")?),
                _ => return None,
            };
            format!(
                "urn:epc:id:sgln:{}.{}.{extension}",
                value.get(..length)?,
                value.get(length..12)?
            )
        }
        ("417", []) => format!("urn:epc:id:pgln:{}.{}", value.get(..length)?, value.get(length..12)?),
        ("8003", []) => {
            let serial = value.get(14..).filter(|serial| !serial.is_empty())?;
            format!(
                "urn:epc:id:grai:{}.{}.{}",
                value.get(1..1 + length)?,
                value.get(1 + length..13)?,
                urn_escape(serial)
            )
        }
        ("8004", []) => format!(
            "urn:epc:id:giai:{}.{}",
            value.get(..length)?,
            urn_escape(value.get(length..)?)
        ),
        ("8018" | "8017", []) => {
            let scheme = if ai == "8018" { "gsrn" } else { "gsrnp" };
            format!(
                "urn:epc:id:{scheme}:{}.{}",
                value.get(..length)?,
                value.get(length..17)?
            )
        }
        ("253" | "255", []) => {
            let scheme = if ai == "253" { "gdti" } else { "sgcn" };
            let serial = value.get(13..).filter(|serial| !serial.is_empty())?;
            format!(
                "urn:epc:id:{scheme}:{}.{}.{}",
                value.get(..length)?,
                value.get(length..12)?,
                urn_escape(serial)
            )
        }
        ("401", []) => format!(
            "urn:epc:id:ginc:{}.{}",
            value.get(..length)?,
            urn_escape(value.get(length..)?)
        ),
        ("402", []) => format!("urn:epc:id:gsin:{}.{}", value.get(..length)?, value.get(length..16)?),
        ("8010", ["8011"]) => format!(
            "urn:epc:id:cpi:{}.{}.{}",
            value.get(..length)?,
            urn_escape(value.get(length..)?),
            link.qualifier("8011")?
        ),
        _ => return None,
    };
    // A prefix length that splits a key where the TDS forbids (e.g. an empty reference) gives no URN.
    to_digital_link(&urn)
        .ok()
        .filter(|round_trip| round_trip.canonical() == link.canonical())
        .map(|_| urn)
}

/// The length of the longest of `prefixes` that starts the company-prefix position of `link`'s
/// key (position 2 for GTIN and SSCC, 1 otherwise): how junkan finds the split for members whose
/// GS1 company prefix it knows.
pub fn company_prefix_length(link: &DigitalLink, prefixes: &[String]) -> Option<usize> {
    let (ai, value) = (&link.primary.0, &link.primary.1);
    let offset = match ai.as_str() {
        "01" | "00" => 1,
        "8003" => 1,
        _ => 0,
    };
    let key = value.get(offset..)?;
    prefixes
        .iter()
        .filter(|prefix| key.starts_with(prefix.as_str()))
        .map(String::len)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    /// Examples from the EPC Tag Data Standard, each with its company prefix length.
    const EXAMPLES: [(&str, usize); 16] = [
        ("urn:epc:id:itip:4012345.011111.01.02.987", 7),
        ("urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", 7),
        ("urn:epc:id:sgtin:0614141.812345.6789", 7),
        ("urn:epc:id:sgtin:0614141.812345.ab%2Fc%25d", 7),
        ("urn:epc:class:lgtin:4012345.012345.998877", 7),
        ("urn:epc:idpat:sgtin:4012345.012345.*", 7),
        ("urn:epc:id:sscc:0614141.1234567890", 7),
        ("urn:epc:id:sgln:0614141.12345.400", 7),
        ("urn:epc:id:sgln:0614141.12345.0", 7),
        ("urn:epc:id:pgln:0614141.12345", 7),
        ("urn:epc:id:grai:0614141.12345.400", 7),
        ("urn:epc:id:giai:0614141.12345400", 7),
        ("urn:epc:id:gsrn:0614141.1234567890", 7),
        ("urn:epc:id:gdti:0614141.12345.400", 7),
        ("urn:epc:id:gsin:0614141.123456789", 7),
        ("urn:epc:id:cpi:0614141.123ABC.123456789", 7),
    ];

    #[test]
    fn urns_map_to_digital_links_and_back() {
        let mut lines = Vec::new();
        for (urn, length) in EXAMPLES {
            let link = to_digital_link(urn).unwrap_or_else(|problem| panic!("{urn}: {problem}"));
            let back = from_digital_link(&link, length);
            assert_eq!(back.as_deref(), Some(urn), "round trip of {urn}");
            lines.push(format!("{urn} -> {}", link.canonical()));
        }
        expect![[r#"
            urn:epc:id:itip:4012345.011111.01.02.987 -> https://id.gs1.org/8006/040123451111180102/21/987
            urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB -> https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB
            urn:epc:id:sgtin:0614141.812345.6789 -> https://id.gs1.org/01/80614141123458/21/6789
            urn:epc:id:sgtin:0614141.812345.ab%2Fc%25d -> https://id.gs1.org/01/80614141123458/21/ab%2Fc%25d
            urn:epc:class:lgtin:4012345.012345.998877 -> https://id.gs1.org/01/04012345123456/10/998877
            urn:epc:idpat:sgtin:4012345.012345.* -> https://id.gs1.org/01/04012345123456
            urn:epc:id:sscc:0614141.1234567890 -> https://id.gs1.org/00/106141412345678908
            urn:epc:id:sgln:0614141.12345.400 -> https://id.gs1.org/414/0614141123452/254/400
            urn:epc:id:sgln:0614141.12345.0 -> https://id.gs1.org/414/0614141123452
            urn:epc:id:pgln:0614141.12345 -> https://id.gs1.org/417/0614141123452
            urn:epc:id:grai:0614141.12345.400 -> https://id.gs1.org/8003/00614141123452400
            urn:epc:id:giai:0614141.12345400 -> https://id.gs1.org/8004/061414112345400
            urn:epc:id:gsrn:0614141.1234567890 -> https://id.gs1.org/8018/061414112345678902
            urn:epc:id:gdti:0614141.12345.400 -> https://id.gs1.org/253/0614141123452400
            urn:epc:id:gsin:0614141.123456789 -> https://id.gs1.org/402/06141411234567890
            urn:epc:id:cpi:0614141.123ABC.123456789 -> https://id.gs1.org/8010/0614141123ABC/8011/123456789"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn both_forms_meet_in_one_canonical_identifier() {
        let from_urn = crate::canonicalize("urn:epc:id:sgtin:0614141.812345.6789").expect("urn");
        let from_link =
            crate::canonicalize("https://example.jp/dl/01/80614141123458/21/6789?linkType=all").expect("link");
        assert_eq!(from_urn.canonical(), from_link.canonical());
        assert_eq!(
            company_prefix_length(&from_link, &["0614".to_owned(), "0614141".to_owned()]),
            Some(7)
        );
    }

    #[test]
    fn patterns_name_classes() {
        let cases = [
            "urn:epc:idpat:grai:4012345.66666.*",
            "urn:epc:idpat:gdti:4012345.55555.*",
            "urn:epc:idpat:sgcn:4012345.99999.*",
            "urn:epc:idpat:cpi:4012345.ABC.*",
            "urn:epc:idpat:itip:4012345.012345.01.02.*",
            "urn:epc:idpat:sscc:4012345.*",
        ];
        let lines: Vec<String> = cases
            .iter()
            .map(|urn| {
                to_digital_link(urn)
                    .map(|link| link.canonical())
                    .unwrap_or_else(|error| error.0)
            })
            .collect();
        expect![[r#"
            https://id.gs1.org/8003/04012345666663
            https://id.gs1.org/253/4012345555554
            https://id.gs1.org/255/4012345999990
            https://id.gs1.org/8010/4012345ABC
            https://id.gs1.org/8006/040123451234560102
            "urn:epc:idpat:sscc:4012345.*": supported patterns are sgtin, grai, gdti, sgcn, cpi and itip ending in .*"#]].assert_eq(&lines.join("\n"));
    }

    #[test]
    fn bad_urns_say_why() {
        let cases = [
            "urn:epc:id:sgtin:0614141.81234.6789",
            "urn:epc:id:sgtin:0614141.812345",
            "urn:epc:id:sgtin:06141A1.812345.1",
            "urn:epc:id:sgtin:0614141.812345.123456789012345678901",
            "urn:epc:id:usdod:2S194.12345678901",
            "urn:epc:id:sscc:0614141.123456789",
        ];
        let lines: Vec<String> = cases
            .iter()
            .map(|urn| to_digital_link(urn).err().map(|error| error.0).unwrap_or_default())
            .collect();
        expect![[r#"
            "urn:epc:id:sgtin:0614141.81234.6789": company prefix and indicator and item reference must have 13 digits together
            "urn:epc:id:sgtin:0614141.812345": a sgtin URN has 3 dot-separated parts
            "urn:epc:id:sgtin:06141A1.812345.1": the company prefix must be digits
            "urn:epc:id:sgtin:0614141.812345.123456789012345678901": (21) SERIAL "123456789012345678901" is too long
            "urn:epc:id:usdod:2S194.12345678901": the EPC scheme "usdod" is not supported
            "urn:epc:id:sscc:0614141.123456789": company prefix and extension and serial reference must have 17 digits together"#]]
        .assert_eq(&lines.join("\n"));
    }
}
