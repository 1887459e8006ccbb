//! GS1 identifiers for junkan: the Application Identifier (AI) dictionary and the validation of
//! AI values ([`dictionary`]), GS1 Digital Link URIs ([`digital_link`]) and EPC URNs ([`epc`]),
//! and one canonical form for both, so that a trace crosses systems that name the same object
//! differently.
//!
//! The canonical form of an identifier is its GS1 Digital Link URI on `https://id.gs1.org`, with
//! GTINs padded to 14 digits and qualifiers in the order the dictionary prescribes. Converting a
//! Digital Link URI into an EPC URN needs the length of the GS1 company prefix, which the URI does
//! not carry; callers supply it (junkan knows its members' prefixes).
//!
//! Pure computation; the dictionary is embedded at build time.

pub mod dictionary;
pub mod digital_link;
pub mod epc;

pub use digital_link::{DigitalLink, CANONICAL_HOST};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdentifierError(pub String);

impl IdentifierError {
    pub(crate) fn new(message: impl Into<String>) -> IdentifierError {
        IdentifierError(message.into())
    }
}

/// Parses an EPC URN or a GS1 Digital Link URI into its canonical Digital Link form.
pub fn canonicalize(identifier: &str) -> Result<DigitalLink, IdentifierError> {
    if identifier.starts_with("urn:epc:") {
        epc::to_digital_link(identifier)
    } else if identifier.starts_with("http://") || identifier.starts_with("https://") {
        DigitalLink::parse(identifier)
    } else {
        Err(IdentifierError::new(format!(
            "{identifier:?} is neither an EPC URN (urn:epc:...) nor a GS1 Digital Link URI"
        )))
    }
}

/// The GS1 mod-10 check digit over `digits` (all digits of a key except the check digit).
pub fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| u32::from(*digit) * if index % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The digits of `text` (which must be all ASCII digits).
pub(crate) fn digits_of(text: &str) -> Vec<u8> {
    text.bytes().map(|byte| byte - b'0').collect()
}
