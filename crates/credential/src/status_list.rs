//! W3C Bitstring Status List v1.0: a list of at least 131,072 bits (index 0 is the left-most bit
//! of the first byte), encoded as GZIP then base64url without padding, with the multibase prefix
//! `u`; the `BitstringStatusListCredential` that carries it, the `BitstringStatusListEntry` a
//! credential points with, and the check of an entry against its verified status list.

use std::collections::HashMap;
use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use time::OffsetDateTime;

use junkan_model::validation::Violations;

use crate::jose;
use crate::report::{Check, CheckName, Failure};
use crate::vc::{self, format_time, type_includes, VerificationContext};

/// The smallest list the specification allows (16 KiB), so that one entry does not single out a
/// credential (herd privacy).
pub const MINIMUM_STATUS_LIST_LENGTH: usize = 131_072;
/// The largest decoded list accepted (a guard against decompression bombs): 16 Mi entries, 2 MiB.
pub const MAXIMUM_STATUS_LIST_LENGTH: usize = 16 * 1024 * 1024;
/// The status entry type.
pub const STATUS_ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// The status list credential type.
pub const STATUS_LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// The status list subject type.
pub const STATUS_LIST_TYPE: &str = "BitstringStatusList";

/// Why a status list could not be built, changed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// An index past the end of the list.
    #[error("index {index} is outside the status list of {length} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The list's length.
        length: usize,
    },
    /// `encodedList` is not multibase base64url GZIP of a long enough bitstring.
    #[error("the encoded list is invalid: {reason}")]
    Encoding {
        /// What is wrong.
        reason: String,
    },
    /// A status purpose this crate does not know.
    #[error("the status purpose {0:?} is not supported (revocation, suspension)")]
    Purpose(String),
}

/// What a status bit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// A set bit revokes the credential, for good.
    Revocation,
    /// A set bit suspends the credential; it may be cleared again.
    Suspension,
}

impl StatusPurpose {
    /// The purpose as written in credentials.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    /// Reads a purpose.
    pub fn parse(text: &str) -> Result<StatusPurpose, StatusListError> {
        match text {
            "revocation" => Ok(StatusPurpose::Revocation),
            "suspension" => Ok(StatusPurpose::Suspension),
            other => Err(StatusListError::Purpose(other.to_owned())),
        }
    }
}

/// A bitstring status list.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StatusList")
            .field("length", &self.len())
            .field("set", &self.bytes.iter().map(|byte| byte.count_ones()).sum::<u32>())
            .finish()
    }
}

impl Default for StatusList {
    fn default() -> Self {
        StatusList::new()
    }
}

impl StatusList {
    /// An all-clear list of the minimum length (131,072 entries).
    pub fn new() -> StatusList {
        StatusList::with_length(MINIMUM_STATUS_LIST_LENGTH)
    }

    /// An all-clear list of at least `length` entries (raised to the minimum, rounded up to a
    /// whole byte).
    pub fn with_length(length: usize) -> StatusList {
        let length = length.max(MINIMUM_STATUS_LIST_LENGTH);
        StatusList {
            bytes: vec![0; length.div_ceil(8)],
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Always false: a list has at least the minimum length.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bit at `index`, `None` when out of range.
    pub fn get(&self, index: u64) -> Option<bool> {
        let (byte, mask) = self.position(index)?;
        Some(self.bytes[byte] & mask != 0)
    }

    /// Sets or clears the bit at `index`.
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), StatusListError> {
        let (byte, mask) = self.position(index).ok_or(StatusListError::IndexOutOfRange {
            index,
            length: self.len(),
        })?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    fn position(&self, index: u64) -> Option<(usize, u8)> {
        let index = usize::try_from(index).ok()?;
        let byte = index / 8;
        // Index 0 is the left-most (most significant) bit of the first byte.
        (byte < self.bytes.len()).then(|| (byte, 0x80u8 >> (index % 8)))
    }

    /// The `encodedList` value: multibase `u` + base64url (no padding) of the GZIP-compressed
    /// bitstring.
    pub fn encode(&self) -> String {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&self.bytes).expect("writing to a Vec cannot fail");
        let compressed = encoder.finish().expect("writing to a Vec cannot fail");
        format!("u{}", jose::base64url_encode(&compressed))
    }

    /// Reads an `encodedList`. The multibase prefix `u` is required by v1.0; a value without it
    /// (StatusList2021 style) is accepted too. The list must have at least the minimum length.
    pub fn decode(encoded: &str) -> Result<StatusList, StatusListError> {
        let base64 = encoded.strip_prefix('u').unwrap_or(encoded);
        let compressed = jose::base64url_decode(base64).map_err(|error| StatusListError::Encoding {
            reason: format!("not base64url: {error}"),
        })?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take((MAXIMUM_STATUS_LIST_LENGTH / 8 + 1) as u64)
            .read_to_end(&mut bytes)
            .map_err(|error| StatusListError::Encoding {
                reason: format!("not GZIP: {error}"),
            })?;
        if bytes.len() * 8 > MAXIMUM_STATUS_LIST_LENGTH {
            return Err(StatusListError::Encoding {
                reason: format!("longer than {MAXIMUM_STATUS_LIST_LENGTH} entries"),
            });
        }
        if bytes.len() * 8 < MINIMUM_STATUS_LIST_LENGTH {
            return Err(StatusListError::Encoding {
                reason: format!(
                    "{} entries, fewer than the minimum {MINIMUM_STATUS_LIST_LENGTH}",
                    bytes.len() * 8
                ),
            });
        }
        Ok(StatusList { bytes })
    }
}

/// A `BitstringStatusListEntry`: where a credential's status bit lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListEntry {
    /// URL of the status list credential.
    pub status_list_credential: String,
    /// The bit's index.
    pub status_list_index: u64,
    /// What the bit means.
    pub status_purpose: StatusPurpose,
}

impl StatusListEntry {
    /// The entry as it goes into a credential's `credentialStatus` (its `id` is the list URL with
    /// the index as fragment; `statusListIndex` is a decimal string, as the specification says).
    pub fn to_json(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.status_list_credential, self.status_list_index),
            "type": STATUS_ENTRY_TYPE,
            "statusPurpose": self.status_purpose.as_str(),
            "statusListIndex": self.status_list_index.to_string(),
            "statusListCredential": self.status_list_credential,
        })
    }

    /// Reads an entry (the caller has checked its `type`).
    pub fn from_json(entry: &Value) -> Result<StatusListEntry, String> {
        let mut violations = Violations::new();
        validate_status_entry(entry, "", &mut violations);
        if let Err(violations) = violations.into_result() {
            return Err(violations
                .iter()
                .map(|violation| format!("{} {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("; "));
        }
        let text = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default();
        Ok(StatusListEntry {
            status_list_credential: text("statusListCredential").to_owned(),
            status_list_index: text("statusListIndex")
                .parse()
                .map_err(|_| "statusListIndex is not a number".to_owned())?,
            status_purpose: StatusPurpose::parse(text("statusPurpose")).map_err(|error| error.to_string())?,
        })
    }
}

/// Checks one `credentialStatus` entry's shape at `path`: a `type`; for a
/// `BitstringStatusListEntry`, a known `statusPurpose`, a decimal `statusListIndex` and a URL
/// `statusListCredential`.
pub(crate) fn validate_status_entry(entry: &Value, path: &str, violations: &mut Violations) {
    if !entry.is_object() {
        violations.push(path, "a status entry is an object");
        return;
    }
    let Some(entry_type) = entry.get("type") else {
        violations.push(format!("{path}/type"), "is required");
        return;
    };
    if !type_includes(entry_type, STATUS_ENTRY_TYPE) {
        // Other status mechanisms are allowed in a credential; verification reports them as unsupported.
        return;
    }
    match entry.get("statusPurpose").and_then(Value::as_str) {
        Some(purpose) if StatusPurpose::parse(purpose).is_ok() => {}
        _ => violations.push(format!("{path}/statusPurpose"), "must be revocation or suspension"),
    }
    match entry.get("statusListIndex").and_then(Value::as_str) {
        Some(index)
            if !index.is_empty() && index.bytes().all(|byte| byte.is_ascii_digit()) && index.parse::<u64>().is_ok() => {
        }
        _ => violations.push(
            format!("{path}/statusListIndex"),
            "must be a non-negative integer written as a string",
        ),
    }
    match entry.get("statusListCredential").and_then(Value::as_str) {
        Some(url) if vc::is_url(url) => {}
        _ => violations.push(format!("{path}/statusListCredential"), "must be a URL"),
    }
}

/// The unsigned `BitstringStatusListCredential` for `list`, to be signed with
/// [`crate::vc::issue_vc_jwt`] by the same issuer as the credentials it covers. `id` is the URL it
/// is served at (the entries' `statusListCredential`).
pub fn status_list_credential(
    id: &str,
    issuer: &str,
    purpose: StatusPurpose,
    list: &StatusList,
    valid_from: OffsetDateTime,
    valid_until: Option<OffsetDateTime>,
) -> Value {
    let mut credential = json!({
        "@context": [vc::CREDENTIALS_V2_CONTEXT],
        "id": id,
        "type": [vc::VERIFIABLE_CREDENTIAL_TYPE, STATUS_LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": format_time(valid_from),
        "credentialSubject": {
            "id": format!("{id}#list"),
            "type": STATUS_LIST_TYPE,
            "statusPurpose": purpose.as_str(),
            "encodedList": list.encode(),
        },
    });
    if let Some(valid_until) = valid_until {
        credential["validUntil"] = Value::from(format_time(valid_until));
    }
    credential
}

/// Provides status list credentials (as `vc+jwt` compact JWS) by URL: files given on the command
/// line, an HTTP fetch, or the node's own lists.
pub trait StatusListSource {
    /// The `vc+jwt` served at `url`.
    fn status_list_credential(&self, url: &str) -> Result<String, String>;
}

impl StatusListSource for HashMap<String, String> {
    fn status_list_credential(&self, url: &str) -> Result<String, String> {
        self.get(url)
            .cloned()
            .ok_or_else(|| "no status list credential was provided for this URL".to_owned())
    }
}

/// A status list source from a closure (e.g. an HTTP fetch).
pub struct FetchStatusListWith<F>(pub F);

impl<F: Fn(&str) -> Result<String, String>> StatusListSource for FetchStatusListWith<F> {
    fn status_list_credential(&self, url: &str) -> Result<String, String> {
        (self.0)(url)
    }
}

/// The `id` a status list credential token declares (unverified: to index files by URL before
/// verification, which checks it again).
pub fn declared_id(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = jose::base64url_decode(payload).ok()?;
    let payload: Value = serde_json::from_slice(&bytes).ok()?;
    payload.get("id")?.as_str().map(str::to_owned)
}

/// Checks every `credentialStatus` entry of a verified credential.
pub(crate) fn check_credential_status(
    credential: &Value,
    issuer: Option<&str>,
    context: &VerificationContext<'_>,
) -> Check {
    let entries: Vec<&Value> = match credential.get("credentialStatus") {
        None => return Check::passed(CheckName::Status, "the credential has no status entry"),
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(entry) => vec![entry],
    };
    let mut summaries = Vec::with_capacity(entries.len());
    for entry in entries {
        match check_entry(entry, issuer, context) {
            Ok(summary) => summaries.push(summary),
            Err(failure) => return Check::failed(CheckName::Status, failure),
        }
    }
    Check::passed(CheckName::Status, summaries.join("; "))
}

fn check_entry(entry: &Value, issuer: Option<&str>, context: &VerificationContext<'_>) -> Result<String, Failure> {
    let entry_type = entry.get("type").cloned().unwrap_or(Value::Null);
    if !type_includes(&entry_type, STATUS_ENTRY_TYPE) {
        return Err(Failure::StatusUnsupported {
            status_type: entry_type.to_string(),
        });
    }
    let parsed = StatusListEntry::from_json(entry).map_err(|reason| Failure::StatusListInvalid {
        status_list: entry
            .get("statusListCredential")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        reason,
    })?;
    let url = parsed.status_list_credential.clone();
    let invalid = |reason: String| Failure::StatusListInvalid {
        status_list: url.clone(),
        reason,
    };
    let Some(source) = context.status_lists else {
        return Err(Failure::StatusUnavailable {
            status_list: url.clone(),
            reason: "no status list was provided to the verifier".to_owned(),
        });
    };
    let token = source
        .status_list_credential(&url)
        .map_err(|reason| Failure::StatusUnavailable {
            status_list: url.clone(),
            reason,
        })?;
    // The status list is a credential like any other: same keys, same time, but its own status
    // is not followed (a list does not point to a list).
    let list_context = VerificationContext {
        status_lists: None,
        ..*context
    };
    let report = vc::verify_vc_jwt(&token, &list_context);
    if let Some(failed) = report.failures().next() {
        return Err(invalid(format!("{}: {}", failed.name.as_str(), failed.message)));
    }
    let list_credential = report.credential.as_ref().expect("a valid report has its credential");
    if !list_credential
        .get("type")
        .is_some_and(|types| type_includes(types, STATUS_LIST_CREDENTIAL_TYPE))
    {
        return Err(invalid(format!(
            "its type does not include {STATUS_LIST_CREDENTIAL_TYPE}"
        )));
    }
    if let Some(id) = list_credential.get("id").and_then(Value::as_str) {
        if id != url {
            return Err(invalid(format!(
                "it declares the id {id}, not the URL it was fetched from"
            )));
        }
    }
    if report.issuer.as_deref() != issuer {
        return Err(invalid(format!(
            "it is issued by {}, not by the credential's issuer {}",
            report.issuer.as_deref().unwrap_or("?"),
            issuer.unwrap_or("?")
        )));
    }
    let subject = list_credential.get("credentialSubject").cloned().unwrap_or(Value::Null);
    let list_purpose = subject.get("statusPurpose").and_then(Value::as_str).unwrap_or_default();
    if list_purpose != parsed.status_purpose.as_str() {
        return Err(invalid(format!(
            "its purpose is {list_purpose:?}, the entry's is {}",
            parsed.status_purpose.as_str()
        )));
    }
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("it has no credentialSubject.encodedList".to_owned()))?;
    let list = StatusList::decode(encoded).map_err(|error| invalid(error.to_string()))?;
    match list.get(parsed.status_list_index) {
        None => Err(invalid(
            StatusListError::IndexOutOfRange {
                index: parsed.status_list_index,
                length: list.len(),
            }
            .to_string(),
        )),
        Some(true) => Err(Failure::StatusSet {
            purpose: parsed.status_purpose.as_str().to_owned(),
            status_list: url,
            index: parsed.status_list_index,
        }),
        Some(false) => Ok(format!(
            "{} bit {} of {} is clear",
            parsed.status_purpose.as_str(),
            parsed.status_list_index,
            url
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example `encodedList` of the Bitstring Status List v1.0 specification (§ 2.2, a
    /// BitstringStatusListCredential): 131,072 clear bits.
    const SPECIFICATION_EXAMPLE: &str = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

    #[test]
    fn decodes_the_specification_example() {
        let list = StatusList::decode(SPECIFICATION_EXAMPLE).expect("the spec's example decodes");
        assert_eq!(list.len(), MINIMUM_STATUS_LIST_LENGTH);
        assert_eq!(list.get(94_567), Some(false));
        assert_eq!(list, StatusList::new());
        assert_eq!(list.get(MINIMUM_STATUS_LIST_LENGTH as u64), None);
    }

    #[test]
    fn bits_round_trip_left_most_first() {
        let mut list = StatusList::new();
        list.set(0, true).expect("in range");
        list.set(94_567, true).expect("in range");
        list.set(131_071, true).expect("in range");
        assert_eq!(list.bytes[0], 0x80, "index 0 is the left-most bit");
        assert_eq!(list.bytes[131_071 / 8], 0x01);
        let encoded = list.encode();
        assert!(encoded.starts_with('u'));
        let decoded = StatusList::decode(&encoded).expect("round trip");
        assert_eq!(decoded, list);
        assert_eq!(decoded.get(94_567), Some(true));
        assert_eq!(decoded.get(94_568), Some(false));
        list.set(94_567, false).expect("in range");
        assert_eq!(list.get(94_567), Some(false));
        assert_eq!(
            list.set(131_072, true),
            Err(StatusListError::IndexOutOfRange {
                index: 131_072,
                length: 131_072
            })
        );
    }

    #[test]
    fn refuses_short_or_broken_lists() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&[0; 16]).expect("vec");
        let short = format!("u{}", jose::base64url_encode(&encoder.finish().expect("vec")));
        assert!(matches!(
            StatusList::decode(&short),
            Err(StatusListError::Encoding { .. })
        ));
        assert!(matches!(
            StatusList::decode("u!!"),
            Err(StatusListError::Encoding { .. })
        ));
        assert!(matches!(
            StatusList::decode("uAAAA"),
            Err(StatusListError::Encoding { .. })
        ));
    }

    #[test]
    fn entries_round_trip() {
        let entry = StatusListEntry {
            status_list_credential: "https://node.example/status/1".to_owned(),
            status_list_index: 42,
            status_purpose: StatusPurpose::Revocation,
        };
        let json = entry.to_json();
        assert_eq!(json["statusListIndex"], "42");
        assert_eq!(json["id"], "https://node.example/status/1#42");
        assert_eq!(StatusListEntry::from_json(&json), Ok(entry));
        let broken = json!({"type": STATUS_ENTRY_TYPE, "statusPurpose": "x", "statusListIndex": 4, "statusListCredential": "no"});
        let error = StatusListEntry::from_json(&broken).expect_err("three problems");
        assert_eq!(error.matches("; ").count(), 2, "{error}");
    }
}
