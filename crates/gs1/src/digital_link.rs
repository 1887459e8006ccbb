//! GS1 Digital Link URIs (GS1 Digital Link standard 1.x, URI syntax): parsing, validation against
//! the dictionary, and the canonical form on `https://id.gs1.org`.

use crate::dictionary::{self, lookup};
use crate::IdentifierError;

/// Host of the canonical form.
pub const CANONICAL_HOST: &str = "id.gs1.org";

/// A parsed GS1 Digital Link URI: a primary key, its qualifiers, and any data attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DigitalLink {
    /// The primary key: AI and value, e.g. `("01", "04012345123456")`.
    pub primary: (String, String),
    /// Key qualifiers in their prescribed order, e.g. `[("10", "LOT1"), ("21", "42")]`.
    pub qualifiers: Vec<(String, String)>,
    /// Data attributes from the query string (not part of the identity), e.g. `("17", "261231")`.
    pub attributes: Vec<(String, String)>,
}

impl DigitalLink {
    /// Builds and validates a Digital Link from AI pairs (primary key first).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<DigitalLink, IdentifierError> {
        let mut pairs = pairs.into_iter();
        let (ai, value) = pairs
            .next()
            .ok_or_else(|| IdentifierError::new("a Digital Link needs a primary key"))?;
        let link = DigitalLink {
            primary: (ai.clone(), normalize(&ai, value)),
            qualifiers: pairs.collect(),
            attributes: Vec::new(),
        };
        link.validate()?;
        Ok(link)
    }

    /// Parses `uri` (any host, any path before the primary key), validating every AI value and
    /// the order of qualifiers.
    pub fn parse(uri: &str) -> Result<DigitalLink, IdentifierError> {
        let rest = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))
            .ok_or_else(|| IdentifierError::new(format!("{uri:?} is not an http(s) URI")))?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let rest = rest.split('#').next().unwrap_or(rest);
        let (_host, path) = rest
            .split_once('/')
            .ok_or_else(|| IdentifierError::new(format!("{uri:?} has no path")))?;
        // Convenience names of GS1 Digital Link 1.1 (e.g. /gtin/ for /01/) are read as their AIs.
        let segments: Vec<&str> = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| ai_for_alias(segment).unwrap_or(segment))
            .collect();
        // The primary key is the first AI segment that is a primary key and has a value after it;
        // anything before it is the resolver's own path prefix.
        let start = (0..segments.len().saturating_sub(1))
            .find(|&index| lookup(segments[index]).is_some_and(|entry| entry.primary_key_qualifiers.is_some()))
            .ok_or_else(|| IdentifierError::new(format!("{uri:?} names no GS1 primary key (such as /01/<GTIN>)")))?;
        let key_segments = &segments[start..];
        if !key_segments.len().is_multiple_of(2) {
            return Err(IdentifierError::new(format!(
                "{uri:?}: every AI in the path needs a value"
            )));
        }
        let mut pairs = Vec::new();
        for pair in key_segments.chunks(2) {
            pairs.push((pair[0].to_owned(), percent_decode(pair[1])?));
        }
        let mut link = DigitalLink::from_pairs(pairs)?;
        if let Some(query) = query {
            for parameter in query.split('&').filter(|parameter| !parameter.is_empty()) {
                let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
                // Only numeric names are AIs; other parameters (linkType, ...) belong to resolvers.
                if name.bytes().all(|byte| byte.is_ascii_digit()) {
                    let value = percent_decode(value)?;
                    dictionary::validate(name, &value).map_err(IdentifierError::new)?;
                    link.attributes.push((name.to_owned(), value));
                }
            }
        }
        Ok(link)
    }

    fn validate(&self) -> Result<(), IdentifierError> {
        let (ai, value) = &self.primary;
        let entry =
            lookup(ai).ok_or_else(|| IdentifierError::new(format!("({ai}) is not a GS1 Application Identifier")))?;
        let alternatives = entry
            .primary_key_qualifiers
            .as_ref()
            .ok_or_else(|| IdentifierError::new(format!("({ai}) {} is not a Digital Link primary key", entry.title)))?;
        dictionary::validate(ai, value).map_err(IdentifierError::new)?;
        for (qualifier, qualifier_value) in &self.qualifiers {
            dictionary::validate(qualifier, qualifier_value).map_err(IdentifierError::new)?;
        }
        let qualifier_ais: Vec<&str> = self.qualifiers.iter().map(|(ai, _)| ai.as_str()).collect();
        let in_order = qualifier_ais.is_empty()
            || alternatives.iter().any(|sequence| {
                let mut position = 0;
                qualifier_ais.iter().all(|qualifier| {
                    match sequence[position..].iter().position(|candidate| candidate == qualifier) {
                        Some(offset) => {
                            position += offset + 1;
                            true
                        }
                        None => false,
                    }
                })
            });
        if !in_order {
            let allowed: Vec<String> = alternatives.iter().map(|sequence| sequence.join("/")).collect();
            return Err(IdentifierError::new(format!(
                "qualifiers {} are not allowed after ({ai}) in this order; allowed: {}",
                qualifier_ais.join("/"),
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(" or ")
                }
            )));
        }
        Ok(())
    }

    /// The canonical URI: `https://id.gs1.org/<ai>/<value>/...`, values percent-encoded, no
    /// data attributes.
    pub fn canonical(&self) -> String {
        let mut uri = format!("https://{CANONICAL_HOST}");
        for (ai, value) in std::iter::once(&self.primary).chain(&self.qualifiers) {
            uri.push('/');
            uri.push_str(ai);
            uri.push('/');
            uri.push_str(&percent_encode(value));
        }
        uri
    }

    /// The identity without qualifiers that make it an instance or a lot, e.g. the GTIN of a
    /// serialised item: used to find events about a product class.
    pub fn class(&self) -> DigitalLink {
        DigitalLink {
            primary: self.primary.clone(),
            qualifiers: Vec::new(),
            attributes: Vec::new(),
        }
    }

    /// The value of qualifier `ai`, if present.
    pub fn qualifier(&self, ai: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(candidate, _)| candidate == ai)
            .map(|(_, value)| value.as_str())
    }
}

/// The convenience names of GS1 Digital Link 1.1 and the AIs they stand for, e.g. `gtin` for `01`.
pub const CONVENIENCE_ALIASES: [(&str, &str); 20] = [
    ("gtin", "01"),
    ("itip", "8006"),
    ("cpv", "22"),
    ("lot", "10"),
    ("ser", "21"),
    ("sscc", "00"),
    ("gln", "414"),
    ("party", "417"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("gsrn", "8018"),
    ("gsrnp", "8017"),
    ("gdti", "253"),
    ("gcn", "255"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("cpid", "8010"),
    ("cpsn", "8011"),
    ("glnx", "254"),
    ("gmn", "8013"),
];

/// The AI of a GS1 Digital Link 1.1 convenience name, e.g. `01` for `gtin`.
pub fn ai_for_alias(segment: &str) -> Option<&'static str> {
    CONVENIENCE_ALIASES
        .iter()
        .find(|(alias, _)| *alias == segment)
        .map(|(_, ai)| *ai)
}

/// GTINs may be written with 8, 12 or 13 digits; the canonical form has 14.
fn normalize(ai: &str, value: String) -> String {
    if ai == "01" && matches!(value.len(), 8 | 12 | 13) && value.bytes().all(|byte| byte.is_ascii_digit()) {
        format!("{value:0>14}")
    } else {
        value
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and the apostrophe (which the
/// CBV 2.0 event-hash test vectors leave as it is).
pub fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~'".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Decodes `%XX` escapes, refusing malformed ones and non-UTF-8 results.
pub fn percent_decode(value: &str) -> Result<String, IdentifierError> {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = value
                .get(index + 1..index + 3)
                .filter(|hex| hex.bytes().all(|byte| byte.is_ascii_hexdigit()));
            let hex = hex.ok_or_else(|| IdentifierError::new(format!("{value:?} has a malformed percent escape")))?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| IdentifierError::new("bad escape"))?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| IdentifierError::new(format!("{value:?} decodes to invalid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn parse_and_canonicalize() {
        let cases = [
            "https://id.gs1.org/01/09506000134352/10/ABC%2F1/21/12345",
            "https://example.com/products/01/9506000134352/21/12345?17=261231&linkType=gs1:pip",
            "http://brand.example/01/95060001343522",
            "https://id.gs1.org/01/09506000134352/21/1/10/ABC",
            "https://id.gs1.org/414/0614141123452/254/400",
            "https://id.gs1.org/00/106141412345678908",
            "https://id.gs1.org/8003/00614141123452400",
            "https://id.gs1.org/10/ABC",
            "https://id.gs1.org/01/09506000134352/10/%ZZ",
            "urn:epc:id:sgtin:1.2.3",
        ];
        let lines: Vec<String> = cases
            .iter()
            .map(|uri| match DigitalLink::parse(uri) {
                Ok(link) => format!("{} attributes={:?}", link.canonical(), link.attributes),
                Err(error) => format!("error: {error}"),
            })
            .collect();
        expect![[r#"
            https://id.gs1.org/01/09506000134352/10/ABC%2F1/21/12345 attributes=[]
            https://id.gs1.org/01/09506000134352/21/12345 attributes=[("17", "261231")]
            error: (01) GTIN "95060001343522": check digit should be 8
            error: qualifiers 21/10 are not allowed after (01) in this order; allowed: 22/10/21 or 235
            https://id.gs1.org/414/0614141123452/254/400 attributes=[]
            https://id.gs1.org/00/106141412345678908 attributes=[]
            https://id.gs1.org/8003/00614141123452400 attributes=[]
            error: "https://id.gs1.org/10/ABC" names no GS1 primary key (such as /01/<GTIN>)
            error: "%ZZ" has a malformed percent escape
            error: "urn:epc:id:sgtin:1.2.3" is not an http(s) URI"#]]
        .assert_eq(&lines.join("\n"));
    }
}
