//! The verification report: every check a verifier ran, passed, failed or skipped, with a typed
//! reason for each failure, so that callers (the CLI, `POST /api/v1/verify`, web pages) can show
//! precisely what is wrong and tests can assert on it.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use junkan_model::validation::Violation;

/// The checks a verification runs, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The input is a compact JWS (or SD-JWT) with a well-formed protected header and payload, an
    /// accepted algorithm (EdDSA only) and media type.
    Format,
    /// The payload is a well-formed credential (VC 2.0 data model, or SD-JWT VC claims).
    Shape,
    /// The header's `kid` resolves to a verification method of the issuer.
    Key,
    /// The signature verifies with that key.
    Signature,
    /// The key's controller is the credential's issuer.
    Issuer,
    /// The key was in service when the credential was signed (not retired before).
    KeyValidity,
    /// The credential's validity period contains the verification time.
    ValidityPeriod,
    /// Every status entry was checked against its (verified) status list and no bit is set.
    Status,
    /// SD-JWT: every disclosure is well formed and its digest appears exactly once in the payload.
    Disclosures,
    /// SD-JWT: the key-binding JWT (when present or required) verifies.
    KeyBinding,
}

impl CheckName {
    /// The name as it appears in JSON reports (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Format => "format",
            CheckName::Shape => "shape",
            CheckName::Key => "key",
            CheckName::Signature => "signature",
            CheckName::Issuer => "issuer",
            CheckName::KeyValidity => "key_validity",
            CheckName::ValidityPeriod => "validity_period",
            CheckName::Status => "status",
            CheckName::Disclosures => "disclosures",
            CheckName::KeyBinding => "key_binding",
        }
    }
}

/// What became of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check ran and passed.
    Passed,
    /// The check ran and failed.
    Failed,
    /// The check could not run because an earlier one failed (its input is missing or untrusted).
    Skipped,
}

/// Why a check failed. `code()` is a stable machine-readable name; `Display` is the sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Not a compact JWS / SD-JWT, or a part that is not base64url JSON.
    #[error("malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// Another algorithm than EdDSA (or none).
    #[error("the algorithm {alg:?} is not accepted; only EdDSA is")]
    Algorithm {
        /// The header's `alg`.
        alg: String,
    },
    /// The `typ` header is not the expected media type.
    #[error("the media type (typ) {found:?} is not {expected}")]
    MediaType {
        /// What was expected.
        expected: String,
        /// The header's `typ`, if any.
        found: Option<String>,
    },
    /// The header names extensions that must be understood (`crit`); none are supported.
    #[error("the header names critical extensions {names:?}, which are not supported")]
    CriticalHeader {
        /// The `crit` names.
        names: Vec<String>,
    },
    /// The header has no `kid`.
    #[error("the header has no kid naming the signing key")]
    MissingKid,
    /// The payload is not a well-formed credential.
    #[error("the credential is not well formed: {}", format_violations(.violations))]
    Shape {
        /// Every problem, each with its JSON pointer.
        violations: Vec<Violation>,
    },
    /// The `kid` could not be resolved to a verification method.
    #[error("the key {kid} could not be resolved: {reason}")]
    UnknownKey {
        /// The header's `kid`.
        kid: String,
        /// Why.
        reason: String,
    },
    /// The signature does not verify with the resolved key.
    #[error("the signature does not verify with the key {kid}")]
    BadSignature {
        /// The key tried.
        kid: String,
    },
    /// The key's controller is not the credential's issuer.
    #[error("the key {kid} is controlled by {controller}, not by the issuer {issuer}")]
    WrongIssuer {
        /// The key.
        kid: String,
        /// Its controller.
        controller: String,
        /// The credential's issuer.
        issuer: String,
    },
    /// The credential was signed before the key came into service.
    #[error("the key {kid} is valid from {valid_from} but the credential was signed at {signed_at}")]
    KeyNotYetValid {
        /// The key.
        kid: String,
        /// When it came into service.
        valid_from: String,
        /// When the credential says it was signed.
        signed_at: String,
    },
    /// The credential was signed at or after the key's retirement.
    #[error("the key {kid} was retired at {retired_at}; a credential signed at {signed_at} is not accepted")]
    KeyRetired {
        /// The key.
        kid: String,
        /// When it was retired.
        retired_at: String,
        /// When the credential says it was signed.
        signed_at: String,
    },
    /// The credential claims to have been signed after the verification time.
    #[error("the credential claims to be signed at {signed_at}, after the verification time {now}")]
    SignedInFuture {
        /// `iat` of the payload.
        signed_at: String,
        /// The verification time.
        now: String,
    },
    /// The verification time is before `validFrom` (or `nbf`).
    #[error("the credential is not valid yet: valid from {valid_from}, verified at {now}")]
    NotYetValid {
        /// Start of the validity period.
        valid_from: String,
        /// The verification time.
        now: String,
    },
    /// The verification time is after `validUntil` (or `exp`).
    #[error("the credential has expired: valid until {valid_until}, verified at {now}")]
    Expired {
        /// End of the validity period.
        valid_until: String,
        /// The verification time.
        now: String,
    },
    /// The status list has the credential's bit set.
    #[error("the credential's status is set ({purpose}) in {status_list} at index {index}")]
    StatusSet {
        /// `revocation` or `suspension`.
        purpose: String,
        /// The status list credential URL.
        status_list: String,
        /// The bit index.
        index: u64,
    },
    /// The status list could not be obtained.
    #[error("the status list {status_list} is not available: {reason}")]
    StatusUnavailable {
        /// The status list credential URL.
        status_list: String,
        /// Why.
        reason: String,
    },
    /// The status list credential itself did not verify or does not fit the entry.
    #[error("the status list {status_list} is not valid: {reason}")]
    StatusListInvalid {
        /// The status list credential URL.
        status_list: String,
        /// Why.
        reason: String,
    },
    /// A status entry of a type this verifier does not know.
    #[error("the status entry type {status_type:?} is not supported")]
    StatusUnsupported {
        /// The entry's `type`.
        status_type: String,
    },
    /// SD-JWT: a disclosure is not base64url JSON `[salt, name, value]` (or `[salt, value]`).
    #[error("disclosure {index} is malformed: {reason}")]
    MalformedDisclosure {
        /// Position of the disclosure in the presentation.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// SD-JWT: a disclosure whose digest the signed payload does not hold (a forged or foreign
    /// disclosure: a field the credential does not contain).
    #[error(
        "disclosure {index} ({claim}) is not part of the signed credential: its digest {digest} is not in the payload"
    )]
    UnreferencedDisclosure {
        /// Position of the disclosure in the presentation.
        index: usize,
        /// The claim name (or `[array element]`).
        claim: String,
        /// Its digest.
        digest: String,
    },
    /// SD-JWT: the same digest appears twice (in the payload or among the disclosures).
    #[error("the digest {digest} appears more than once")]
    DuplicateDigest {
        /// The digest.
        digest: String,
    },
    /// SD-JWT: a disclosed claim name clashes with a claim already present at that place.
    #[error("the disclosed claim {claim:?} clashes with a claim already present or is not allowed")]
    ClaimClash {
        /// The claim name.
        claim: String,
    },
    /// SD-JWT: the key-binding JWT is missing, malformed or does not verify.
    #[error("key binding failed: {reason}")]
    KeyBinding {
        /// Why.
        reason: String,
    },
    /// A later check could not run because an earlier one failed.
    #[error("not checked: {reason}")]
    NotChecked {
        /// Which earlier failure prevented it.
        reason: String,
    },
}

fn format_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|violation| format!("{} {}", violation.path, violation.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Failure {
    /// A stable `snake_case` code for the failure, for machines.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Malformed { .. } => "malformed",
            Failure::Algorithm { .. } => "algorithm",
            Failure::MediaType { .. } => "media_type",
            Failure::CriticalHeader { .. } => "critical_header",
            Failure::MissingKid => "missing_kid",
            Failure::Shape { .. } => "shape",
            Failure::UnknownKey { .. } => "unknown_key",
            Failure::BadSignature { .. } => "bad_signature",
            Failure::WrongIssuer { .. } => "wrong_issuer",
            Failure::KeyNotYetValid { .. } => "key_not_yet_valid",
            Failure::KeyRetired { .. } => "key_retired",
            Failure::SignedInFuture { .. } => "signed_in_future",
            Failure::NotYetValid { .. } => "not_yet_valid",
            Failure::Expired { .. } => "expired",
            Failure::StatusSet { purpose, .. } if purpose == "revocation" => "revoked",
            Failure::StatusSet { purpose, .. } if purpose == "suspension" => "suspended",
            Failure::StatusSet { .. } => "status_set",
            Failure::StatusUnavailable { .. } => "status_unavailable",
            Failure::StatusListInvalid { .. } => "status_list_invalid",
            Failure::StatusUnsupported { .. } => "status_unsupported",
            Failure::MalformedDisclosure { .. } => "malformed_disclosure",
            Failure::UnreferencedDisclosure { .. } => "unreferenced_disclosure",
            Failure::DuplicateDigest { .. } => "duplicate_digest",
            Failure::ClaimClash { .. } => "claim_clash",
            Failure::KeyBinding { .. } => "key_binding",
            Failure::NotChecked { .. } => "not_checked",
        }
    }
}

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// What became of it.
    pub outcome: Outcome,
    /// A sentence: what was established when passed, the reason otherwise.
    pub message: String,
    /// The typed reason, when failed or skipped.
    pub failure: Option<Failure>,
}

impl Check {
    /// A passed check with a sentence saying what was established.
    pub fn passed(name: CheckName, message: impl Into<String>) -> Check {
        Check {
            name,
            outcome: Outcome::Passed,
            message: message.into(),
            failure: None,
        }
    }

    /// A failed check.
    pub fn failed(name: CheckName, failure: Failure) -> Check {
        Check {
            name,
            outcome: Outcome::Failed,
            message: failure.to_string(),
            failure: Some(failure),
        }
    }

    /// A check that could not run because of an earlier failure.
    pub fn skipped(name: CheckName, reason: impl Into<String>) -> Check {
        let failure = Failure::NotChecked { reason: reason.into() };
        Check {
            name,
            outcome: Outcome::Skipped,
            message: failure.to_string(),
            failure: Some(failure),
        }
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Check", 4)?;
        state.serialize_field("name", &self.name)?;
        state.serialize_field("outcome", &self.outcome)?;
        state.serialize_field("code", &self.failure.as_ref().map(Failure::code))?;
        state.serialize_field("message", &self.message)?;
        state.end()
    }
}

/// Which secured format was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    /// W3C VC 2.0 enveloped in a compact JWS (`typ: vc+jwt`).
    #[serde(rename = "vc+jwt")]
    VcJwt,
    /// SD-JWT VC (`typ: dc+sd-jwt`, or the older `vc+sd-jwt`).
    #[serde(rename = "dc+sd-jwt")]
    SdJwtVc,
}

/// The result of verifying one credential: every check, and what the verifier could read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationReport {
    /// The format verified.
    pub format: Format,
    /// `true` exactly when every check passed.
    pub valid: bool,
    /// The signing key named by the header, when readable.
    pub kid: Option<String>,
    /// The credential's issuer, when readable.
    pub issuer: Option<String>,
    /// The time the verification was made for (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
    /// Every check in order.
    pub checks: Vec<Check>,
    /// The credential as read: the vc+jwt payload, or the SD-JWT claims with the presented
    /// disclosures applied (and `_sd`, `_sd_alg` removed). Absent when the payload (or, for an
    /// SD-JWT, a disclosure) is unreadable. Trust it only when `valid` is true.
    pub credential: Option<serde_json::Value>,
}

impl VerificationReport {
    /// Whether every check passed.
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// The check named `name`, if it was run or skipped.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|check| check.name == name)
    }

    /// The checks that did not pass (failed or skipped).
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|check| check.outcome != Outcome::Passed)
    }

    /// The typed failure of `name`, if that check failed.
    pub fn failure(&self, name: CheckName) -> Option<&Failure> {
        self.check(name)
            .filter(|check| check.outcome == Outcome::Failed)
            .and_then(|check| check.failure.as_ref())
    }

    pub(crate) fn finish(mut self) -> VerificationReport {
        self.valid = !self.checks.is_empty() && self.checks.iter().all(|check| check.outcome == Outcome::Passed);
        self
    }
}
