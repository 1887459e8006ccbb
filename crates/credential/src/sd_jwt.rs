//! Selective disclosure (選択的開示): SD-JWT (RFC 9901) credentials in the SD-JWT VC profile
//! (IETF draft "SD-JWT-based Verifiable Credentials", `typ: dc+sd-jwt`; the older `vc+sd-jwt` is
//! accepted when verifying).
//!
//! - **Issue** ([`issue_sd_jwt_vc`]): the claims whose JSON pointers are listed become
//!   disclosures `[salt, name, value]` (array elements `[salt, value]`), replaced in the signed
//!   payload by their SHA-256 digests (`_sd` arrays, `{"...": digest}` elements, `_sd_alg:
//!   sha-256`). Nested disclosable claims inside a disclosable claim are disclosures of their own
//!   (recursive disclosure). `iss`, `vct`, `iat`, `nbf`, `exp`, `cnf`, `status` and
//!   `credentialStatus` are never disclosable. Salts (128 bits) come from the caller, so the
//!   crate stays pure. Revocation: a W3C Bitstring Status List entry as the `credentialStatus`
//!   claim, checked as for `vc+jwt` (the IETF Token Status List `status` claim is refused as
//!   unsupported, not ignored).
//! - **Present** ([`present`], [`present_with_key_binding`]): keeps only the disclosures needed
//!   for the chosen pointers: those at or inside a chosen pointer, and their parents. Pointers
//!   refer to the fully disclosed credential (array indexes as issued).
//! - **Verify** ([`verify_sd_jwt_vc`]): the issuer's signature, key and validity as for
//!   `vc+jwt`; every disclosure well formed and its digest present exactly once in the signed
//!   payload (a disclosure the payload does not hold is refused, not ignored); no digest twice;
//!   no disclosed name clashing with a present claim; the key-binding JWT (`kb+jwt`, `sd_hash`)
//!   when present or required. The report's `credential` is the disclosed claims.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use junkan_model::validation::{escape_segment, Violation, Violations};

use crate::did::{public_key_from_jwk, public_key_jwk};
use crate::jose;
use crate::keys::IssuerKey;
use crate::report::{Check, CheckName, Failure, Format, VerificationReport};
use crate::vc::{self, check_signed_by_issuer, check_validity_period, IssueError, TimeClaims, VerificationContext};

/// The `typ` junkan issues.
pub const SD_JWT_VC_TYPE: &str = "dc+sd-jwt";
/// The older `typ`, accepted when verifying.
pub const LEGACY_SD_JWT_VC_TYPE: &str = "vc+sd-jwt";
/// The `typ` of a key-binding JWT.
pub const KEY_BINDING_TYPE: &str = "kb+jwt";
/// The digest algorithm (`_sd_alg`).
pub const DIGEST_ALGORITHM: &str = "sha-256";
/// Claims an SD-JWT VC never discloses selectively (they must be readable to verify at all).
pub const NEVER_DISCLOSABLE: [&str; 8] = ["iss", "vct", "iat", "nbf", "exp", "cnf", "status", "credentialStatus"];

/// What to issue as an SD-JWT VC.
#[derive(Debug, Clone)]
pub struct SdJwtVcRequest<'a> {
    /// The credential type (`vct`), a URI.
    pub vct: &'a str,
    /// The claims (a JSON object), e.g. a passport's subject; `iss`, `vct`, `iat`, `nbf`, `exp`
    /// and `cnf` are set from the other fields and must not be in it.
    pub claims: &'a Value,
    /// JSON pointers (RFC 6901) into `claims` of what is selectively disclosable.
    pub disclosable: &'a [&'a str],
    /// Start of validity (`nbf`), if any.
    pub valid_from: Option<OffsetDateTime>,
    /// End of validity (`exp`), if any.
    pub valid_until: Option<OffsetDateTime>,
    /// The holder's public key (`cnf.jwk`), when presentations must carry key binding.
    pub holder_key: Option<VerifyingKey>,
    /// A W3C Bitstring Status List entry (`credentialStatus`), when the credential is revocable.
    pub credential_status: Option<&'a Value>,
}

/// Why a presentation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentError {
    /// The SD-JWT itself is not readable or not consistent.
    #[error("the SD-JWT is not valid: {0}")]
    Invalid(Failure),
    /// A pointer to reveal names nothing in the credential.
    #[error("the credential holds nothing at {pointer}")]
    NotHeld {
        /// The pointer.
        pointer: String,
    },
}

/// What a verifier requires of key binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingRequirement {
    /// The `aud` the key-binding JWT must have (the verifier).
    pub audience: String,
    /// The `nonce` the verifier handed out.
    pub nonce: String,
}

/// One decoded disclosure.
#[derive(Debug, Clone)]
struct Disclosure {
    digest: String,
    /// `None` for an array element.
    name: Option<String>,
    value: Value,
}

/// The SHA-256 digest of a disclosure, base64url, as it appears in `_sd`.
pub fn disclosure_digest(encoded_disclosure: &str) -> String {
    jose::base64url_encode(&Sha256::digest(encoded_disclosure.as_bytes()))
}

/// Issues an SD-JWT VC (`<jwt>~<disclosure>~…~`) signed by `key`; `iss` is the key's controller.
/// `salt` gives 16 random bytes per disclosure (use a cryptographic random generator).
pub fn issue_sd_jwt_vc(
    request: &SdJwtVcRequest<'_>,
    key: &IssuerKey,
    issued_at: OffsetDateTime,
    salt: &mut dyn FnMut() -> [u8; 16],
) -> Result<String, IssueError> {
    let mut violations = Violations::new();
    let Some(claims) = request.claims.as_object() else {
        return Err(IssueError::Invalid {
            violations: vec![Violation::new("", "the claims are a JSON object")],
        });
    };
    if !vc::is_url(request.vct) {
        violations.push("/vct", "the credential type must be a URI");
    }
    for reserved in NEVER_DISCLOSABLE {
        if claims.contains_key(reserved) {
            violations.push(format!("/{reserved}"), "is set by the issuer, not given as a claim");
        }
    }
    for claim in ["_sd", "_sd_alg", "..."] {
        if claims.contains_key(claim) {
            violations.push(format!("/{claim}"), "is reserved by SD-JWT");
        }
    }
    let wanted: HashSet<&str> = request.disclosable.iter().copied().collect();
    for pointer in &wanted {
        if pointer.is_empty() || request.claims.pointer(pointer).is_none() {
            violations.push(*pointer, "selectively disclosable pointer names no claim");
        }
    }
    violations
        .into_result()
        .map_err(|violations| IssueError::Invalid { violations })?;
    let mut disclosures = Vec::new();
    let mut payload = match conceal(request.claims, "", &wanted, salt, &mut disclosures) {
        Value::Object(payload) => payload,
        _ => unreachable!("an object conceals to an object"),
    };
    payload.insert("iss".to_owned(), Value::from(key.controller()));
    payload.insert("vct".to_owned(), Value::from(request.vct));
    payload.insert("iat".to_owned(), Value::from(issued_at.unix_timestamp()));
    if let Some(valid_from) = request.valid_from {
        payload.insert("nbf".to_owned(), Value::from(valid_from.unix_timestamp()));
    }
    if let Some(valid_until) = request.valid_until {
        payload.insert("exp".to_owned(), Value::from(valid_until.unix_timestamp()));
    }
    if let Some(holder_key) = request.holder_key {
        payload.insert("cnf".to_owned(), json!({"jwk": public_key_jwk(&holder_key)}));
    }
    if let Some(status) = request.credential_status {
        payload.insert("credentialStatus".to_owned(), status.clone());
    }
    if !disclosures.is_empty() {
        payload.insert("_sd_alg".to_owned(), Value::from(DIGEST_ALGORITHM));
    }
    let header = json!({"alg": jose::ALGORITHM, "typ": SD_JWT_VC_TYPE, "kid": key.kid()});
    let payload_bytes = serde_json::to_vec(&payload).expect("a JSON map always serializes");
    let mut sd_jwt = jose::sign_compact(&header, &payload_bytes, key.signing_key());
    sd_jwt.push('~');
    for disclosure in disclosures {
        sd_jwt.push_str(&disclosure);
        sd_jwt.push('~');
    }
    Ok(sd_jwt)
}

/// The JSON pointer of every object member and array element under `claims`, at any depth
/// (parents before children): to make a whole credential selectively disclosable, so that a
/// holder can reveal any single field (with its parents) and nothing else.
pub fn every_pointer(claims: &Value) -> Vec<String> {
    fn collect(value: &Value, path: &str, pointers: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (name, child) in map {
                    let child_path = format!("{path}/{}", escape_segment(name));
                    pointers.push(child_path.clone());
                    collect(child, &child_path, pointers);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let item_path = format!("{path}/{index}");
                    pointers.push(item_path.clone());
                    collect(item, &item_path, pointers);
                }
            }
            _ => {}
        }
    }
    let mut pointers = Vec::new();
    collect(claims, "", &mut pointers);
    pointers
}

/// Replaces the claims at `wanted` pointers under `value` (at `path`) by digests, innermost first,
/// appending the encoded disclosures.
fn conceal(
    value: &Value,
    path: &str,
    wanted: &HashSet<&str>,
    salt: &mut dyn FnMut() -> [u8; 16],
    disclosures: &mut Vec<String>,
) -> Value {
    match value {
        Value::Object(map) => {
            let mut concealed = Map::new();
            let mut digests = Vec::new();
            for (name, child) in map {
                let child_path = format!("{path}/{}", escape_segment(name));
                let child = conceal(child, &child_path, wanted, salt, disclosures);
                if wanted.contains(child_path.as_str()) {
                    let encoded = encode_disclosure(&json!([jose::base64url_encode(&salt()), name, child]));
                    digests.push(disclosure_digest(&encoded));
                    disclosures.push(encoded);
                } else {
                    concealed.insert(name.clone(), child);
                }
            }
            if !digests.is_empty() {
                // Sorted, so the order of digests says nothing about the order of the claims.
                digests.sort();
                concealed.insert("_sd".to_owned(), Value::from(digests));
            }
            Value::Object(concealed)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let item_path = format!("{path}/{index}");
                    let item = conceal(item, &item_path, wanted, salt, disclosures);
                    if wanted.contains(item_path.as_str()) {
                        let encoded = encode_disclosure(&json!([jose::base64url_encode(&salt()), item]));
                        let digest = disclosure_digest(&encoded);
                        disclosures.push(encoded);
                        json!({"...": digest})
                    } else {
                        item
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn encode_disclosure(array: &Value) -> String {
    jose::base64url_encode(&serde_json::to_vec(array).expect("a JSON value always serializes"))
}

/// An SD-JWT split into its parts.
struct SdJwtParts<'a> {
    jwt: &'a str,
    disclosures: Vec<&'a str>,
    key_binding: Option<&'a str>,
    /// Everything up to and including the last `~` (what `sd_hash` covers).
    presented: &'a str,
}

fn split(sd_jwt: &str) -> Result<SdJwtParts<'_>, Failure> {
    let sd_jwt = sd_jwt.trim();
    let Some(last_tilde) = sd_jwt.rfind('~') else {
        return Err(Failure::Malformed {
            reason: "an SD-JWT is <jwt>~<disclosures>~ (no ~ found)".to_owned(),
        });
    };
    let presented = &sd_jwt[..=last_tilde];
    let key_binding = Some(&sd_jwt[last_tilde + 1..]).filter(|rest| !rest.is_empty());
    let mut parts = presented[..last_tilde].split('~');
    let jwt = parts.next().unwrap_or_default();
    let disclosures: Vec<&str> = parts.collect();
    if disclosures.iter().any(|disclosure| disclosure.is_empty()) {
        return Err(Failure::Malformed {
            reason: "an empty disclosure (~~)".to_owned(),
        });
    }
    Ok(SdJwtParts {
        jwt,
        disclosures,
        key_binding,
        presented,
    })
}

fn decode_disclosures(encoded: &[&str]) -> Result<Vec<Disclosure>, Failure> {
    let mut seen = HashSet::new();
    encoded
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let malformed = |reason: &str| Failure::MalformedDisclosure {
                index,
                reason: reason.to_owned(),
            };
            let bytes = jose::base64url_decode(text).map_err(|_| malformed("not base64url"))?;
            let array: Vec<Value> = serde_json::from_slice(&bytes).map_err(|_| malformed("not a JSON array"))?;
            let (salt, name, value) = match array.as_slice() {
                [salt, Value::String(name), value] => (salt, Some(name.clone()), value.clone()),
                [salt, value] => (salt, None, value.clone()),
                _ => return Err(malformed("not [salt, name, value] or [salt, value]")),
            };
            if !salt.is_string() {
                return Err(malformed("the salt is not a string"));
            }
            if name.as_deref().is_some_and(|name| name == "_sd" || name == "...") {
                return Err(malformed("the claim name _sd or ... is reserved"));
            }
            let digest = disclosure_digest(text);
            if !seen.insert(digest.clone()) {
                return Err(Failure::DuplicateDigest { digest });
            }
            Ok(Disclosure { digest, name, value })
        })
        .collect()
}

/// The walk that applies disclosures to a payload, remembering where each one landed.
struct Disclose<'a> {
    disclosures: &'a [Disclosure],
    by_digest: HashMap<&'a str, usize>,
    /// The pointer each disclosure was found at.
    placed: Vec<Option<String>>,
    seen_digests: HashSet<String>,
}

impl<'a> Disclose<'a> {
    fn new(disclosures: &'a [Disclosure]) -> Disclose<'a> {
        Disclose {
            by_digest: disclosures
                .iter()
                .enumerate()
                .map(|(index, disclosure)| (disclosure.digest.as_str(), index))
                .collect(),
            placed: vec![None; disclosures.len()],
            disclosures,
            seen_digests: HashSet::new(),
        }
    }

    fn note_digest(&mut self, digest: &str) -> Result<Option<usize>, Failure> {
        if !self.seen_digests.insert(digest.to_owned()) {
            return Err(Failure::DuplicateDigest {
                digest: digest.to_owned(),
            });
        }
        Ok(self.by_digest.get(digest).copied())
    }

    fn walk(&mut self, value: &Value, path: &str) -> Result<Value, Failure> {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (name, child) in map {
                    if name == "_sd" || (path.is_empty() && name == "_sd_alg") {
                        continue;
                    }
                    let child_path = format!("{path}/{}", escape_segment(name));
                    out.insert(name.clone(), self.walk(child, &child_path)?);
                }
                if let Some(digests) = map.get("_sd") {
                    let digests = digests.as_array().ok_or_else(|| Failure::Malformed {
                        reason: format!("{path}/_sd is not an array"),
                    })?;
                    for digest in digests {
                        let digest = digest.as_str().ok_or_else(|| Failure::Malformed {
                            reason: format!("{path}/_sd holds a non-string"),
                        })?;
                        let Some(index) = self.note_digest(digest)? else {
                            continue; // Not presented, or a decoy.
                        };
                        let disclosure = &self.disclosures[index];
                        let Some(name) = disclosure.name.clone() else {
                            return Err(Failure::MalformedDisclosure {
                                index,
                                reason: "an array-element disclosure is referenced from an object's _sd".to_owned(),
                            });
                        };
                        if out.contains_key(&name) || (path.is_empty() && NEVER_DISCLOSABLE.contains(&name.as_str())) {
                            return Err(Failure::ClaimClash { claim: name });
                        }
                        let child_path = format!("{path}/{}", escape_segment(&name));
                        self.placed[index] = Some(child_path.clone());
                        let value = self.walk(&disclosure.value, &child_path)?;
                        out.insert(name, value);
                    }
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (position, item) in items.iter().enumerate() {
                    let item_path = format!("{path}/{position}");
                    let reference = item
                        .as_object()
                        .filter(|object| object.len() == 1)
                        .and_then(|object| object.get("..."));
                    let Some(reference) = reference else {
                        out.push(self.walk(item, &item_path)?);
                        continue;
                    };
                    let digest = reference.as_str().ok_or_else(|| Failure::Malformed {
                        reason: format!("{item_path}/... is not a string"),
                    })?;
                    let Some(index) = self.note_digest(digest)? else {
                        continue; // An element not presented is left out.
                    };
                    let disclosure = &self.disclosures[index];
                    if disclosure.name.is_some() {
                        return Err(Failure::MalformedDisclosure {
                            index,
                            reason: "an object-property disclosure is referenced as an array element".to_owned(),
                        });
                    }
                    self.placed[index] = Some(item_path.clone());
                    let value = disclosure.value.clone();
                    out.push(self.walk(&value, &item_path)?);
                }
                Ok(Value::Array(out))
            }
            other => Ok(other.clone()),
        }
    }

    /// Fails on the first disclosure the payload does not reference.
    fn check_all_placed(&self) -> Result<(), Failure> {
        match self.placed.iter().position(Option::is_none) {
            None => Ok(()),
            Some(index) => {
                let disclosure = &self.disclosures[index];
                Err(Failure::UnreferencedDisclosure {
                    index,
                    claim: disclosure.name.clone().unwrap_or_else(|| "[array element]".to_owned()),
                    digest: disclosure.digest.clone(),
                })
            }
        }
    }
}

fn check_digest_algorithm(payload: &Value) -> Result<(), Failure> {
    match payload.get("_sd_alg") {
        None => Ok(()),
        Some(Value::String(algorithm)) if algorithm == DIGEST_ALGORITHM => Ok(()),
        Some(other) => Err(Failure::Malformed {
            reason: format!("_sd_alg {other} is not supported; only sha-256 is"),
        }),
    }
}

/// A presentation of `sd_jwt` that discloses only what the `reveal` pointers need (without key
/// binding). Pointers refer to the fully disclosed credential; `""` reveals everything.
pub fn present(sd_jwt: &str, reveal: &[&str]) -> Result<String, PresentError> {
    let parts = split(sd_jwt).map_err(PresentError::Invalid)?;
    let jws =
        jose::parse_compact(parts.jwt, &[SD_JWT_VC_TYPE, LEGACY_SD_JWT_VC_TYPE]).map_err(PresentError::Invalid)?;
    check_digest_algorithm(&jws.payload).map_err(PresentError::Invalid)?;
    let disclosures = decode_disclosures(&parts.disclosures).map_err(PresentError::Invalid)?;
    let mut walk = Disclose::new(&disclosures);
    let full = walk.walk(&jws.payload, "").map_err(PresentError::Invalid)?;
    walk.check_all_placed().map_err(PresentError::Invalid)?;
    for pointer in reveal {
        if full.pointer(pointer).is_none() {
            return Err(PresentError::NotHeld {
                pointer: (*pointer).to_owned(),
            });
        }
    }
    let mut presentation = String::with_capacity(sd_jwt.len());
    presentation.push_str(parts.jwt);
    presentation.push('~');
    for (encoded, placed) in parts.disclosures.iter().zip(&walk.placed) {
        let placed = placed.as_deref().expect("every disclosure was placed");
        let needed = reveal
            .iter()
            .any(|pointer| is_within(placed, pointer) || is_within(pointer, placed));
        if needed {
            presentation.push_str(encoded);
            presentation.push('~');
        }
    }
    Ok(presentation)
}

/// Whether `pointer` is `ancestor` or lies inside it (segment-wise).
fn is_within(pointer: &str, ancestor: &str) -> bool {
    pointer == ancestor || (pointer.starts_with(ancestor) && pointer.as_bytes().get(ancestor.len()) == Some(&b'/'))
}

/// [`present`], then a key-binding JWT signed by the holder's key (`typ: kb+jwt`, `iat`, `aud`,
/// `nonce`, `sd_hash` = base64url SHA-256 of the presentation up to the last `~`).
pub fn present_with_key_binding(
    sd_jwt: &str,
    reveal: &[&str],
    holder_key: &SigningKey,
    requirement: &KeyBindingRequirement,
    issued_at: OffsetDateTime,
) -> Result<String, PresentError> {
    let mut presentation = present(sd_jwt, reveal)?;
    let header = json!({"alg": jose::ALGORITHM, "typ": KEY_BINDING_TYPE});
    let payload = json!({
        "iat": issued_at.unix_timestamp(),
        "aud": requirement.audience,
        "nonce": requirement.nonce,
        "sd_hash": disclosure_digest(&presentation),
    });
    let payload_bytes = serde_json::to_vec(&payload).expect("a JSON value always serializes");
    let key_binding = jose::sign_compact(&header, &payload_bytes, holder_key);
    presentation.push_str(&key_binding);
    Ok(presentation)
}

/// Verifies an SD-JWT VC presentation: format, shape, key, signature, issuer, key validity,
/// validity period, disclosures, key binding and status (an SD-JWT VC `status` claim, the OAuth
/// Token Status List, is not supported and fails). With `key_binding` set, a key-binding JWT
/// with that audience and nonce is required.
pub fn verify_sd_jwt_vc(
    presentation: &str,
    context: &VerificationContext<'_>,
    key_binding: Option<&KeyBindingRequirement>,
) -> VerificationReport {
    let mut report = VerificationReport {
        format: Format::SdJwtVc,
        valid: false,
        kid: None,
        issuer: None,
        verified_at: context.now,
        checks: Vec::with_capacity(10),
        credential: None,
    };
    let parsed = split(presentation).and_then(|parts| {
        let jws = jose::parse_compact(parts.jwt, &[SD_JWT_VC_TYPE, LEGACY_SD_JWT_VC_TYPE])?;
        check_digest_algorithm(&jws.payload)?;
        Ok((parts, jws))
    });
    let (parts, jws) = match parsed {
        Ok(parsed) => parsed,
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
                CheckName::Disclosures,
                CheckName::KeyBinding,
                CheckName::Status,
            ] {
                report.checks.push(Check::skipped(
                    name,
                    format!("the input is not a readable SD-JWT ({reason})"),
                ));
            }
            return report.finish();
        }
    };
    report.checks.push(Check::passed(
        CheckName::Format,
        format!(
            "an SD-JWT signed with EdDSA, typ {}, {} disclosure(s){}",
            jws.header.typ.as_deref().unwrap_or_default(),
            parts.disclosures.len(),
            if parts.key_binding.is_some() {
                " and a key-binding JWT"
            } else {
                ""
            }
        ),
    ));
    let violations = validate_claims(&jws.payload);
    report.checks.push(if violations.is_empty() {
        Check::passed(CheckName::Shape, "well-formed SD-JWT VC claims (iss, vct, iat)")
    } else {
        Check::failed(CheckName::Shape, Failure::Shape { violations })
    });
    let claims = TimeClaims::read_jwt(&jws.payload);
    report.kid = jws.header.kid.clone();
    report.issuer = jws.payload.get("iss").and_then(Value::as_str).map(str::to_owned);
    let signature_verified = check_signed_by_issuer(
        &jws,
        report.issuer.as_deref(),
        claims.signed_at(),
        context,
        &mut report.checks,
    );
    report.checks.push(check_validity_period(&claims, context.now));
    let disclosed = decode_disclosures(&parts.disclosures).and_then(|disclosures| {
        let mut walk = Disclose::new(&disclosures);
        let disclosed = walk.walk(&jws.payload, "")?;
        walk.check_all_placed()?;
        Ok(disclosed)
    });
    match disclosed {
        Ok(disclosed) => {
            report.checks.push(Check::passed(
                CheckName::Disclosures,
                format!(
                    "{} disclosure(s), each held by the signed payload exactly once",
                    parts.disclosures.len()
                ),
            ));
            report.credential = Some(disclosed);
        }
        Err(failure) => report.checks.push(Check::failed(CheckName::Disclosures, failure)),
    }
    report
        .checks
        .push(check_key_binding(&parts, &jws.payload, key_binding, context.now));
    report.checks.push(if !signature_verified {
        Check::skipped(CheckName::Status, "the signature is not verified")
    } else if jws.payload.get("credentialStatus").is_some() {
        crate::status_list::check_credential_status(&jws.payload, report.issuer.as_deref(), context)
    } else if jws.payload.get("status").is_some() {
        Check::failed(
            CheckName::Status,
            Failure::StatusUnsupported {
                status_type: "status (OAuth Token Status List)".to_owned(),
            },
        )
    } else {
        Check::passed(CheckName::Status, "the credential has no status claim")
    });
    report.finish()
}

fn validate_claims(payload: &Value) -> Vec<Violation> {
    let mut violations = Violations::new();
    match payload.get("iss").and_then(Value::as_str) {
        Some(issuer) if vc::is_url(issuer) => {}
        _ => violations.push("/iss", "the issuer must be a URI (a DID)"),
    }
    match payload.get("vct").and_then(Value::as_str) {
        Some(vct) if !vct.is_empty() => {}
        _ => violations.push("/vct", "the credential type is required"),
    }
    for claim in ["iat", "nbf", "exp"] {
        if payload.get(claim).is_some_and(|value| !value.is_i64()) {
            violations.push(
                format!("/{claim}"),
                "must be a NumericDate (whole seconds since the epoch)",
            );
        }
    }
    if payload.get("iat").is_none() {
        violations.push("/iat", "is required (it is the signing time)");
    }
    if let Some(cnf) = payload.get("cnf") {
        if !cnf.get("jwk").is_some_and(Value::is_object) {
            violations.push("/cnf", "must hold the holder's public key as jwk");
        }
    }
    if let Some(status) = payload.get("credentialStatus") {
        crate::status_list::validate_status_entry(status, "/credentialStatus", &mut violations);
    }
    violations.into_result().err().unwrap_or_default()
}

fn check_key_binding(
    parts: &SdJwtParts<'_>,
    payload: &Value,
    requirement: Option<&KeyBindingRequirement>,
    now: OffsetDateTime,
) -> Check {
    let fail = |reason: String| Check::failed(CheckName::KeyBinding, Failure::KeyBinding { reason });
    let Some(key_binding) = parts.key_binding else {
        return match requirement {
            Some(_) => fail("the verifier requires key binding and the presentation has no key-binding JWT".to_owned()),
            None => Check::passed(CheckName::KeyBinding, "no key binding presented or required"),
        };
    };
    let Some(jwk) = payload.get("cnf").and_then(|cnf| cnf.get("jwk")) else {
        return fail("a key-binding JWT is presented but the credential names no holder key (cnf)".to_owned());
    };
    let holder_key = match public_key_from_jwk(jwk) {
        Ok(key) => key,
        Err(reason) => return fail(format!("cnf.jwk: {reason}")),
    };
    let jws = match jose::parse_compact(key_binding, &[KEY_BINDING_TYPE]) {
        Ok(jws) => jws,
        Err(failure) => return fail(failure.to_string()),
    };
    if !jose::verify_signature(&jws, &holder_key) {
        return fail("the key-binding JWT's signature does not verify with the holder key".to_owned());
    }
    if jws.payload.get("sd_hash").and_then(Value::as_str) != Some(disclosure_digest(parts.presented).as_str()) {
        return fail("sd_hash does not match the presented SD-JWT and disclosures".to_owned());
    }
    match jws.payload.get("iat").and_then(Value::as_i64) {
        Some(iat) if iat <= now.unix_timestamp() => {}
        Some(_) => return fail("the key-binding JWT is issued after the verification time".to_owned()),
        None => return fail("the key-binding JWT has no iat".to_owned()),
    }
    let audience = jws.payload.get("aud").and_then(Value::as_str).unwrap_or_default();
    let nonce = jws.payload.get("nonce").and_then(Value::as_str).unwrap_or_default();
    if let Some(requirement) = requirement {
        if audience != requirement.audience {
            return fail(format!("aud is {audience:?}, not {:?}", requirement.audience));
        }
        if nonce != requirement.nonce {
            return fail("the nonce is not the one the verifier handed out".to_owned());
        }
    }
    Check::passed(
        CheckName::KeyBinding,
        format!("bound to the holder key, for audience {audience:?} with nonce {nonce:?}"),
    )
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use time::macros::datetime;

    use super::*;
    use crate::tests::{issuer_key, other_key, ISSUER, KID, NOW, SIGNED_AT};
    use crate::VerificationMethod;

    const VCT: &str = "https://junkan.example/vct/battery-passport";

    fn claims() -> Value {
        json!({
            "passport_id": "https://id.gs1.org/01/04912345000019/21/B1",
            "recycled_content": {"share": "0.25", "suppliers": ["Supplier A", "Supplier B"]},
            "carbon_footprint": {"value": "61.2", "unit": "kg CO2e"},
            "materials": ["cobalt", "lithium", "nickel"]
        })
    }

    const DISCLOSABLE: [&str; 7] = [
        "/recycled_content",
        "/recycled_content/share",
        "/recycled_content/suppliers",
        "/carbon_footprint",
        "/materials/0",
        "/materials/1",
        "/materials/2",
    ];

    fn salts() -> impl FnMut() -> [u8; 16] {
        let mut counter = 0u8;
        move || {
            counter += 1;
            [counter; 16]
        }
    }

    fn holder() -> SigningKey {
        SigningKey::from_bytes(&[5; 32])
    }

    fn issue(holder_key: Option<VerifyingKey>) -> String {
        let claims = claims();
        let request = SdJwtVcRequest {
            vct: VCT,
            claims: &claims,
            disclosable: &DISCLOSABLE,
            valid_from: None,
            valid_until: Some(datetime!(2036-01-01 00:00 UTC)),
            holder_key,
            credential_status: None,
        };
        issue_sd_jwt_vc(&request, &issuer_key(), SIGNED_AT, &mut salts()).expect("valid request")
    }

    fn keys() -> Vec<VerificationMethod> {
        vec![issuer_key().verification_method(None, None)]
    }

    fn verify(presentation: &str) -> VerificationReport {
        let keys = keys();
        verify_sd_jwt_vc(presentation, &VerificationContext::new(&keys, NOW), None)
    }

    #[test]
    fn issues_with_digests_and_verifies_everything_disclosed() {
        let sd_jwt = issue(None);
        assert_eq!(sd_jwt.matches('~').count(), 1 + DISCLOSABLE.len());
        let jwt = sd_jwt.split('~').next().expect("jwt");
        let payload: Value =
            serde_json::from_slice(&jose::base64url_decode(jwt.split('.').nth(1).expect("payload")).expect("b64"))
                .expect("json");
        assert_eq!(payload["iss"], ISSUER);
        assert_eq!(payload["_sd_alg"], "sha-256");
        assert!(payload.get("recycled_content").is_none(), "concealed: {payload}");
        assert_eq!(payload["_sd"].as_array().map(Vec::len), Some(2));
        assert_eq!(payload["materials"].as_array().map(Vec::len), Some(3));
        assert!(payload["materials"][0]["..."].is_string());
        let report = verify(&sd_jwt);
        assert!(report.is_valid(), "{report:#?}");
        let mut expected = claims();
        for (name, value) in [
            ("iss", json!(ISSUER)),
            ("vct", json!(VCT)),
            ("iat", json!(SIGNED_AT.unix_timestamp())),
            ("exp", json!(datetime!(2036-01-01 00:00 UTC).unix_timestamp())),
        ] {
            expected[name] = value;
        }
        assert_eq!(report.credential, Some(expected));
    }

    #[test]
    fn a_presentation_reveals_only_the_chosen_fields_and_their_parents() {
        let sd_jwt = issue(None);
        let presentation = present(&sd_jwt, &["/recycled_content/share", "/materials/1"]).expect("held");
        assert_eq!(
            presentation.matches('~').count(),
            4,
            "jwt + parent + share + one material"
        );
        let report = verify(&presentation);
        assert!(report.is_valid(), "{report:#?}");
        let credential = report.credential.expect("claims");
        expect![[r#"
            {
              "exp": 2082758400,
              "iat": 1777626000,
              "iss": "did:web:node.example:organizations:maker",
              "materials": [
                "lithium"
              ],
              "passport_id": "https://id.gs1.org/01/04912345000019/21/B1",
              "recycled_content": {
                "share": "0.25"
              },
              "vct": "https://junkan.example/vct/battery-passport"
            }"#]]
        .assert_eq(&serde_json::to_string_pretty(&credential).expect("json"));
        // Revealing an object reveals what is inside it.
        let whole = present(&sd_jwt, &["/recycled_content"]).expect("held");
        let credential = verify(&whole).credential.expect("claims");
        assert_eq!(credential["recycled_content"], claims()["recycled_content"]);
        assert!(credential.get("carbon_footprint").is_none());
        // Nothing chosen: only the always-visible claims.
        let nothing = present(&sd_jwt, &[]).expect("empty reveal");
        assert!(nothing.ends_with('~') && nothing.matches('~').count() == 1);
        assert_eq!(
            present(&sd_jwt, &["/recycled_content/audit"]),
            Err(PresentError::NotHeld {
                pointer: "/recycled_content/audit".to_owned()
            })
        );
    }

    #[test]
    fn a_presentation_revealing_a_field_it_does_not_hold_is_refused() {
        let sd_jwt = issue(None);
        let presentation = present(&sd_jwt, &["/carbon_footprint"]).expect("held");
        // A forged disclosure: a plausible claim the signed payload has no digest for.
        let forged = encode_disclosure(&json!(["c2FsdHNhbHRzYWx0", "certified_recycled", true]));
        let report = verify(&format!("{presentation}{forged}~"));
        let failure = report.failure(CheckName::Disclosures).expect("refused");
        assert_eq!(failure.code(), "unreferenced_disclosure");
        assert!(failure.to_string().contains("certified_recycled"), "{failure}");
        assert!(report.credential.is_none());
        // A disclosure altered to change a value (same salt and name): its digest changes.
        let share = sd_jwt
            .split('~')
            .find(|part| {
                jose::base64url_decode(part)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                    .is_some_and(|array| array.get(1) == Some(&json!("share")))
            })
            .expect("the share disclosure");
        let mut array: Value = serde_json::from_slice(&jose::base64url_decode(share).expect("b64")).expect("json");
        array[2] = json!("0.95");
        let altered = sd_jwt.replace(share, &encode_disclosure(&array));
        assert_eq!(
            verify(&altered).failure(CheckName::Disclosures).map(Failure::code),
            Some("unreferenced_disclosure")
        );
        // The same disclosure twice.
        let doubled = format!("{sd_jwt}{share}~");
        assert_eq!(
            verify(&doubled).failure(CheckName::Disclosures).map(Failure::code),
            Some("duplicate_digest")
        );
        // A disclosure of another credential of the same issuer.
        let other_claims = json!({"secret": "x"});
        let other = issue_sd_jwt_vc(
            &SdJwtVcRequest {
                vct: VCT,
                claims: &other_claims,
                disclosable: &["/secret"],
                valid_from: None,
                valid_until: None,
                holder_key: None,
                credential_status: None,
            },
            &issuer_key(),
            SIGNED_AT,
            &mut || [42; 16],
        )
        .expect("valid");
        let foreign = other.split('~').nth(1).expect("disclosure");
        assert_eq!(
            verify(&format!("{presentation}{foreign}~"))
                .failure(CheckName::Disclosures)
                .map(Failure::code),
            Some("unreferenced_disclosure")
        );
    }

    #[test]
    fn the_issuer_signature_key_and_time_are_checked() {
        let sd_jwt = issue(None);
        let jwt = sd_jwt.split('~').next().expect("jwt");
        let mut tampered = jwt.to_owned();
        let middle = jwt.find('.').expect("dot") + 5;
        let replacement = if &jwt[middle..=middle] == "A" { "B" } else { "A" };
        tampered.replace_range(middle..=middle, replacement);
        assert!(!verify(&sd_jwt.replacen(jwt, &tampered, 1)).is_valid());
        let wrong_keys = vec![other_key().verification_method(None, None)];
        let report = verify_sd_jwt_vc(&sd_jwt, &VerificationContext::new(&wrong_keys, NOW), None);
        assert_eq!(report.failure(CheckName::Key).map(Failure::code), Some("unknown_key"));
        let keys = keys();
        let expired = verify_sd_jwt_vc(
            &sd_jwt,
            &VerificationContext::new(&keys, datetime!(2036-01-02 00:00 UTC)),
            None,
        );
        assert_eq!(
            expired.failure(CheckName::ValidityPeriod).map(Failure::code),
            Some("expired")
        );
        let retired = vec![issuer_key().verification_method(None, Some(datetime!(2026-04-01 00:00 UTC)))];
        let report = verify_sd_jwt_vc(&sd_jwt, &VerificationContext::new(&retired, NOW), None);
        assert_eq!(
            report.failure(CheckName::KeyValidity).map(Failure::code),
            Some("key_retired")
        );
        assert_eq!(
            verify(&sd_jwt.replace('~', ""))
                .failure(CheckName::Format)
                .map(Failure::code),
            Some("malformed")
        );
        assert_eq!(KID, report.kid.as_deref().unwrap_or_default());
    }

    #[test]
    fn everything_disclosable_reveals_one_leaf_with_its_parents_only() {
        let claims = claims();
        let pointers = every_pointer(&claims);
        assert!(pointers.contains(&"/recycled_content/suppliers/1".to_owned()));
        let pointers: Vec<&str> = pointers.iter().map(String::as_str).collect();
        let request = SdJwtVcRequest {
            vct: VCT,
            claims: &claims,
            disclosable: &pointers,
            valid_from: None,
            valid_until: None,
            holder_key: None,
            credential_status: None,
        };
        let sd_jwt = issue_sd_jwt_vc(&request, &issuer_key(), SIGNED_AT, &mut salts()).expect("valid");
        let presentation = present(&sd_jwt, &["/recycled_content/share"]).expect("held");
        let report = verify(&presentation);
        assert!(report.is_valid(), "{report:#?}");
        let credential = report.credential.expect("claims");
        assert_eq!(credential["recycled_content"], json!({"share": "0.25"}));
        assert!(credential.get("passport_id").is_none());
        let everything = present(&sd_jwt, &[""]).expect("held");
        let mut expected = claims.clone();
        expected["iss"] = json!(ISSUER);
        expected["vct"] = json!(VCT);
        expected["iat"] = json!(SIGNED_AT.unix_timestamp());
        assert_eq!(verify(&everything).credential, Some(expected));
    }

    #[test]
    fn issuing_refuses_bad_pointers_and_reserved_claims() {
        let claims = json!({"iss": "did:web:evil", "a": 1, "_sd": []});
        let error = issue_sd_jwt_vc(
            &SdJwtVcRequest {
                vct: "not a uri",
                claims: &claims,
                disclosable: &["/b", ""],
                valid_from: None,
                valid_until: None,
                holder_key: None,
                credential_status: None,
            },
            &issuer_key(),
            SIGNED_AT,
            &mut || [0; 16],
        )
        .expect_err("invalid");
        let IssueError::Invalid { mut violations } = error;
        violations.sort_by(|left, right| left.path.cmp(&right.path));
        let listed: String = violations
            .iter()
            .map(|violation| format!("{} {}\n", violation.path, violation.message))
            .collect();
        expect![[r#"
             selectively disclosable pointer names no claim
            /_sd is reserved by SD-JWT
            /b selectively disclosable pointer names no claim
            /iss is set by the issuer, not given as a claim
            /vct the credential type must be a URI
        "#]]
        .assert_eq(&listed);
    }

    #[test]
    fn key_binding_ties_the_presentation_to_the_holder() {
        let sd_jwt = issue(Some(holder().verifying_key()));
        let requirement = KeyBindingRequirement {
            audience: "https://verifier.example".to_owned(),
            nonce: "n-0S6_WzA2Mj".to_owned(),
        };
        let presentation =
            present_with_key_binding(&sd_jwt, &["/carbon_footprint"], &holder(), &requirement, NOW).expect("held");
        let keys = keys();
        let context = VerificationContext::new(&keys, NOW);
        let report = verify_sd_jwt_vc(&presentation, &context, Some(&requirement));
        assert!(report.is_valid(), "{report:#?}");
        // Another nonce, another audience, a stripped or swapped disclosure, a thief's key.
        let replay = KeyBindingRequirement {
            nonce: "fresh".to_owned(),
            ..requirement.clone()
        };
        assert_eq!(
            verify_sd_jwt_vc(&presentation, &context, Some(&replay))
                .failure(CheckName::KeyBinding)
                .map(Failure::code),
            Some("key_binding")
        );
        let (presented, key_binding) = presentation.rsplit_once('~').expect("kb");
        let stripped = format!("{}~{key_binding}", presented.split('~').next().expect("jwt"));
        assert!(!verify_sd_jwt_vc(&stripped, &context, Some(&requirement)).is_valid());
        let thief = SigningKey::from_bytes(&[6; 32]);
        let stolen =
            present_with_key_binding(&sd_jwt, &["/carbon_footprint"], &thief, &requirement, NOW).expect("held");
        assert!(verify_sd_jwt_vc(&stolen, &context, Some(&requirement))
            .failure(CheckName::KeyBinding)
            .is_some());
        let unbound = present(&sd_jwt, &["/carbon_footprint"]).expect("held");
        assert!(!verify_sd_jwt_vc(&unbound, &context, Some(&requirement)).is_valid());
        assert!(verify_sd_jwt_vc(&unbound, &context, None).is_valid());
    }
}
