//! W3C Verifiable Credentials 2.0 secured with JOSE ("Securing Verifiable Credentials using JOSE
//! and COSE", enveloping proof, the profile UNTP uses): the JWS payload is the credential itself,
//! the protected header is `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"<DID URL>"}`.
//!
//! **Signing time.** Issuing adds the JWT claim `iat` (seconds since the epoch) to the payload;
//! the specification allows JWT claims next to the credential as long as they do not contradict
//! it (`vc` and `vp` are forbidden). A verifier takes the signing time from `iat`, or from
//! `validFrom` when `iat` is absent (credentials issued elsewhere), and refuses a credential whose
//! signing time is at or after its key's retirement: a rotated-out key keeps verifying what it
//! signed before, never what it signs after.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::validation::{Violation, Violations};

use crate::jose;
use crate::keys::{is_did, IssuerKey, KeyResolver, VerificationMethod};
use crate::report::{Check, CheckName, Failure, Format, VerificationReport};
use crate::status_list::{self, StatusListSource};

/// The base context every VC 2.0 credential starts with.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The `typ` of an enveloped VC 2.0 credential.
pub const VC_JWT_TYPE: &str = "vc+jwt";
/// The `cty` of an enveloped VC 2.0 credential.
pub const VC_CONTENT_TYPE: &str = "vc";
/// The base type every credential has.
pub const VERIFIABLE_CREDENTIAL_TYPE: &str = "VerifiableCredential";

/// Why a credential could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The credential is not well formed (every problem listed, each with its JSON pointer).
    #[error("the credential is not well formed: {} problem(s)", violations.len())]
    Invalid {
        /// Every problem.
        violations: Vec<Violation>,
    },
}

/// What a verifier needs besides the credential: where keys come from, where status lists come
/// from, and the time to verify for.
#[derive(Clone, Copy)]
pub struct VerificationContext<'a> {
    /// Resolves the header's `kid` (a DID document, the node's store, a list of keys).
    pub keys: &'a dyn KeyResolver,
    /// Provides status list credentials by URL. Without it, a credential that has a status entry
    /// fails the status check (`status_unavailable`): an unknown status is not a good status.
    pub status_lists: Option<&'a dyn StatusListSource>,
    /// The time to verify for (validity period, signing time plausibility).
    pub now: OffsetDateTime,
}

impl<'a> VerificationContext<'a> {
    /// A context with keys and a time, no status lists.
    pub fn new(keys: &'a dyn KeyResolver, now: OffsetDateTime) -> VerificationContext<'a> {
        VerificationContext {
            keys,
            status_lists: None,
            now,
        }
    }

    /// The same context with a source of status list credentials.
    pub fn with_status_lists(self, status_lists: &'a dyn StatusListSource) -> VerificationContext<'a> {
        VerificationContext {
            status_lists: Some(status_lists),
            ..self
        }
    }
}

/// Checks the shape of a VC 2.0 credential as junkan issues and accepts it, returning every
/// problem: `@context` first `https://www.w3.org/ns/credentials/v2`; `type` includes
/// `VerifiableCredential`; `issuer` a DID or URL (string or object with `id`); `validFrom`
/// required (junkan's profile) and `validUntil` optional, both RFC 3339 with an offset, in order;
/// `credentialSubject` an object or non-empty array of objects; `credentialStatus` entries with a
/// `type` (and the BitstringStatusListEntry fields); no `vc`/`vp` JWT claims.
pub fn validate_credential(credential: &Value) -> Vec<Violation> {
    let mut violations = Violations::new();
    let Some(object) = credential.as_object() else {
        violations.push("", "a credential is a JSON object");
        return violations.into_result().err().unwrap_or_default();
    };
    match object.get("@context") {
        Some(Value::Array(contexts)) => {
            if contexts.first().and_then(Value::as_str) != Some(CREDENTIALS_V2_CONTEXT) {
                violations.push(
                    "/@context/0",
                    format!("the first context must be {CREDENTIALS_V2_CONTEXT}"),
                );
            }
            for (index, context) in contexts.iter().enumerate() {
                if !(context.is_string() || context.is_object()) {
                    violations.push(format!("/@context/{index}"), "a context is a URL or an object");
                }
            }
        }
        Some(_) => violations.push("/@context", "must be an array"),
        None => violations.push("/@context", "is required"),
    }
    match object.get("type") {
        Some(types) if type_includes(types, VERIFIABLE_CREDENTIAL_TYPE) => {}
        Some(_) => violations.push("/type", format!("must include {VERIFIABLE_CREDENTIAL_TYPE}")),
        None => violations.push("/type", "is required"),
    }
    if let Some(id) = object.get("id") {
        if !id.as_str().is_some_and(is_url) {
            violations.push("/id", "must be a URL");
        }
    }
    match object.get("issuer") {
        Some(issuer) => {
            if issuer_id(credential).is_none() {
                let path = if issuer.is_object() { "/issuer/id" } else { "/issuer" };
                violations.push(path, "the issuer must be a URL (a DID), as a string or an object's id");
            }
        }
        None => violations.push("/issuer", "is required"),
    }
    let valid_from = match object.get("validFrom") {
        Some(value) => match value.as_str().map(parse_time) {
            Some(Ok(time)) => Some(time),
            _ => {
                violations.push("/validFrom", "must be an RFC 3339 date-time with a time zone offset");
                None
            }
        },
        None => {
            violations.push("/validFrom", "is required");
            None
        }
    };
    if let Some(value) = object.get("validUntil") {
        match value.as_str().map(parse_time) {
            Some(Ok(valid_until)) => {
                if valid_from.is_some_and(|valid_from| valid_until < valid_from) {
                    violations.push("/validUntil", "must not be before validFrom");
                }
            }
            _ => violations.push("/validUntil", "must be an RFC 3339 date-time with a time zone offset"),
        }
    }
    match object.get("credentialSubject") {
        Some(Value::Object(_)) => {}
        Some(Value::Array(subjects)) if !subjects.is_empty() && subjects.iter().all(Value::is_object) => {}
        Some(_) => violations.push(
            "/credentialSubject",
            "must be an object or a non-empty array of objects",
        ),
        None => violations.push("/credentialSubject", "is required"),
    }
    if let Some(status) = object.get("credentialStatus") {
        match status {
            Value::Object(_) => status_list::validate_status_entry(status, "/credentialStatus", &mut violations),
            Value::Array(entries) if !entries.is_empty() => {
                for (index, entry) in entries.iter().enumerate() {
                    status_list::validate_status_entry(entry, &format!("/credentialStatus/{index}"), &mut violations);
                }
            }
            _ => violations.push("/credentialStatus", "must be an object or a non-empty array of objects"),
        }
    }
    for claim in ["vc", "vp"] {
        if object.contains_key(claim) {
            violations.push(
                format!("/{claim}"),
                "the JWT claims vc and vp must not be present (VC JOSE COSE)",
            );
        }
    }
    if let Some(iat) = object.get("iat") {
        if !iat.is_i64() {
            violations.push("/iat", "must be a NumericDate (whole seconds since the epoch)");
        }
    }
    violations.into_result().err().unwrap_or_default()
}

/// Whether a JSON-LD `type` value (a string or array of strings) includes `wanted`.
pub fn type_includes(types: &Value, wanted: &str) -> bool {
    match types {
        Value::String(single) => single == wanted,
        Value::Array(many) => many.iter().any(|one| one.as_str() == Some(wanted)),
        _ => false,
    }
}

/// The issuer's identifier: `issuer` as a string or `issuer.id`, if it is a URL.
pub fn issuer_id(credential: &Value) -> Option<&str> {
    let issuer = credential.get("issuer")?;
    let id = issuer.as_str().or_else(|| issuer.get("id").and_then(Value::as_str))?;
    is_url(id).then_some(id)
}

/// Signs `credential` as a `vc+jwt` with `key`, after checking its shape and that its issuer is
/// the key's controller. Adds `iat` (the signing time, see the module documentation).
pub fn issue_vc_jwt(credential: &Value, key: &IssuerKey, issued_at: OffsetDateTime) -> Result<String, IssueError> {
    let mut violations = validate_credential(credential);
    if let Some(issuer) = issuer_id(credential) {
        if issuer != key.controller() {
            let path = if credential.get("issuer").is_some_and(Value::is_object) {
                "/issuer/id"
            } else {
                "/issuer"
            };
            violations.push(Violation::new(
                path,
                format!(
                    "the issuer must be {}, the controller of the signing key",
                    key.controller()
                ),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(IssueError::Invalid { violations });
    }
    let mut payload: Map<String, Value> = credential.as_object().cloned().unwrap_or_default();
    payload.insert("iat".to_owned(), Value::from(issued_at.unix_timestamp()));
    let header = serde_json::json!({
        "alg": jose::ALGORITHM,
        "typ": VC_JWT_TYPE,
        "cty": VC_CONTENT_TYPE,
        "kid": key.kid(),
    });
    let payload_bytes = serde_json::to_vec(&payload).expect("a JSON map always serializes");
    Ok(jose::sign_compact(&header, &payload_bytes, key.signing_key()))
}

/// Verifies a `vc+jwt`: format, shape, key, signature, issuer, key validity, validity period and
/// status, every check reported (see [`CheckName`]). The payload is parsed once.
pub fn verify_vc_jwt(token: &str, context: &VerificationContext<'_>) -> VerificationReport {
    let mut report = VerificationReport {
        format: Format::VcJwt,
        valid: false,
        kid: None,
        issuer: None,
        verified_at: context.now,
        checks: Vec::with_capacity(8),
        credential: None,
    };
    let jws = match jose::parse_compact(token, &[VC_JWT_TYPE]) {
        Ok(jws) => jws,
        Err(failure) => {
            let reason = failure.to_string();
            report.checks.push(Check::failed(CheckName::Format, failure));
            for name in [
                CheckName::Shape,
                CheckName::Key,
                CheckName::Signature,
                CheckName::Issuer,
                CheckName::KeyValidity,
                CheckName::ValidityPeriod,
                CheckName::Status,
            ] {
                report.checks.push(Check::skipped(
                    name,
                    format!("the input is not a readable vc+jwt ({reason})"),
                ));
            }
            return report.finish();
        }
    };
    report.checks.push(Check::passed(
        CheckName::Format,
        "a compact JWS signed with EdDSA, typ vc+jwt",
    ));
    let violations = validate_credential(&jws.payload);
    if violations.is_empty() {
        report
            .checks
            .push(Check::passed(CheckName::Shape, "a well-formed VC 2.0 credential"));
    } else {
        report
            .checks
            .push(Check::failed(CheckName::Shape, Failure::Shape { violations }));
    }
    let claims = TimeClaims::read(&jws.payload);
    report.kid = jws.header.kid.clone();
    report.issuer = issuer_id(&jws.payload).map(str::to_owned);
    let signature_verified = check_signed_by_issuer(
        &jws,
        report.issuer.as_deref(),
        claims.signed_at(),
        context,
        &mut report.checks,
    );
    report.checks.push(check_validity_period(&claims, context.now));
    report.checks.push(if signature_verified {
        status_list::check_credential_status(&jws.payload, report.issuer.as_deref(), context)
    } else {
        Check::skipped(CheckName::Status, "the signature is not verified")
    });
    report.credential = Some(jws.payload);
    report.finish()
}

/// Key, signature, issuer and key-validity checks shared by vc+jwt and SD-JWT VC; pushes four
/// checks and says whether the signature verified.
pub(crate) fn check_signed_by_issuer(
    jws: &jose::ParsedJws<'_>,
    issuer: Option<&str>,
    signed_at: Option<OffsetDateTime>,
    context: &VerificationContext<'_>,
    checks: &mut Vec<Check>,
) -> bool {
    let method = match jws.header.kid.as_deref() {
        None => Err(Failure::MissingKid),
        Some(kid) => context.keys.resolve_key(kid).map_err(|error| Failure::UnknownKey {
            kid: kid.to_owned(),
            reason: error.to_string(),
        }),
    };
    let method: VerificationMethod = match method {
        Ok(method) => {
            checks.push(Check::passed(
                CheckName::Key,
                format!(
                    "{} resolved to a verification method of {}",
                    method.id, method.controller
                ),
            ));
            method
        }
        Err(failure) => {
            checks.push(Check::failed(CheckName::Key, failure));
            for name in [CheckName::Signature, CheckName::Issuer, CheckName::KeyValidity] {
                checks.push(Check::skipped(name, "the signing key could not be resolved"));
            }
            return false;
        }
    };
    let signature_verified = jose::verify_signature(jws, &method.public_key);
    checks.push(if signature_verified {
        Check::passed(
            CheckName::Signature,
            format!("the signature verifies with {}", method.id),
        )
    } else {
        Check::failed(CheckName::Signature, Failure::BadSignature { kid: method.id.clone() })
    });
    checks.push(match issuer {
        Some(issuer) if issuer == method.controller => Check::passed(
            CheckName::Issuer,
            format!("the key is controlled by the issuer {issuer}"),
        ),
        Some(issuer) => Check::failed(
            CheckName::Issuer,
            Failure::WrongIssuer {
                kid: method.id.clone(),
                controller: method.controller.clone(),
                issuer: issuer.to_owned(),
            },
        ),
        None => Check::skipped(CheckName::Issuer, "the credential names no readable issuer"),
    });
    checks.push(check_key_validity(&method, signed_at));
    signature_verified
}

fn check_key_validity(method: &VerificationMethod, signed_at: Option<OffsetDateTime>) -> Check {
    let Some(signed_at) = signed_at else {
        return Check::skipped(
            CheckName::KeyValidity,
            "the credential has neither iat nor a readable validFrom",
        );
    };
    if let Some(valid_from) = method.valid_from {
        if signed_at < valid_from {
            return Check::failed(
                CheckName::KeyValidity,
                Failure::KeyNotYetValid {
                    kid: method.id.clone(),
                    valid_from: format_time(valid_from),
                    signed_at: format_time(signed_at),
                },
            );
        }
    }
    if let Some(retired_at) = method.retired_at {
        if signed_at >= retired_at {
            return Check::failed(
                CheckName::KeyValidity,
                Failure::KeyRetired {
                    kid: method.id.clone(),
                    retired_at: format_time(retired_at),
                    signed_at: format_time(signed_at),
                },
            );
        }
        return Check::passed(
            CheckName::KeyValidity,
            format!(
                "signed at {} by a key retired later, at {}",
                format_time(signed_at),
                format_time(retired_at)
            ),
        );
    }
    Check::passed(
        CheckName::KeyValidity,
        format!("signed at {} by a key in service", format_time(signed_at)),
    )
}

/// The times a payload states: `iat`, the validity period (`validFrom`/`validUntil`, or the JWT
/// `nbf`/`exp` for SD-JWT VC).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeClaims {
    pub issued_at: Option<OffsetDateTime>,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
}

impl TimeClaims {
    fn read(payload: &Value) -> TimeClaims {
        let time_of = |name: &str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .and_then(|text| parse_time(text).ok())
        };
        TimeClaims {
            issued_at: numeric_date(payload, "iat"),
            valid_from: time_of("validFrom"),
            valid_until: time_of("validUntil"),
        }
    }

    /// JWT-style claims (`iat`, `nbf`, `exp`), as SD-JWT VC uses.
    pub(crate) fn read_jwt(payload: &Value) -> TimeClaims {
        TimeClaims {
            issued_at: numeric_date(payload, "iat"),
            valid_from: numeric_date(payload, "nbf"),
            valid_until: numeric_date(payload, "exp"),
        }
    }

    /// The signing time: `iat`, else the start of validity.
    pub(crate) fn signed_at(&self) -> Option<OffsetDateTime> {
        self.issued_at.or(self.valid_from)
    }
}

fn numeric_date(payload: &Value, name: &str) -> Option<OffsetDateTime> {
    payload
        .get(name)
        .and_then(Value::as_i64)
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
}

pub(crate) fn check_validity_period(claims: &TimeClaims, now: OffsetDateTime) -> Check {
    if let Some(valid_from) = claims.valid_from {
        if now < valid_from {
            return Check::failed(
                CheckName::ValidityPeriod,
                Failure::NotYetValid {
                    valid_from: format_time(valid_from),
                    now: format_time(now),
                },
            );
        }
    }
    if let Some(valid_until) = claims.valid_until {
        if now > valid_until {
            return Check::failed(
                CheckName::ValidityPeriod,
                Failure::Expired {
                    valid_until: format_time(valid_until),
                    now: format_time(now),
                },
            );
        }
    }
    if let Some(issued_at) = claims.issued_at {
        if issued_at > now {
            return Check::failed(
                CheckName::ValidityPeriod,
                Failure::SignedInFuture {
                    signed_at: format_time(issued_at),
                    now: format_time(now),
                },
            );
        }
    }
    let message = match (claims.valid_from, claims.valid_until) {
        (Some(from), Some(until)) => format!("valid from {} until {}", format_time(from), format_time(until)),
        (Some(from), None) => format!("valid from {}, no end", format_time(from)),
        (None, Some(until)) => format!("valid until {}", format_time(until)),
        (None, None) => "no validity period stated".to_owned(),
    };
    Check::passed(CheckName::ValidityPeriod, message)
}

/// Parses an RFC 3339 date-time (the offset is required).
pub fn parse_time(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text, &Rfc3339)
}

/// Formats a time as RFC 3339.
pub fn format_time(time: OffsetDateTime) -> String {
    time.format(&Rfc3339)
        .expect("every OffsetDateTime in years 0..=9999 formats as RFC 3339")
}

/// Whether `text` is an absolute URI (a scheme, `:`, something), which DIDs and URLs both are.
pub(crate) fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_bytes = scheme.bytes();
    scheme_bytes.next().is_some_and(|first| first.is_ascii_alphabetic())
        && scheme_bytes.all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !text.bytes().any(|byte| byte.is_ascii_whitespace())
        && (scheme != "did" || is_did(text))
}
