//! Compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037) only: signing, and strict parsing
//! that decodes each part once. Written on `ed25519-dalek` directly so that exactly one algorithm
//! is accepted (no `none`, no algorithm confusion).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::Value;

use crate::report::Failure;

/// The only JWS algorithm accepted: EdDSA (Ed25519).
pub const ALGORITHM: &str = "EdDSA";

/// base64url without padding, the encoding of every JOSE part.
pub fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (padding and the standard alphabet are refused).
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// The protected header fields junkan reads; others are ignored as RFC 7515 says.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ProtectedHeader {
    pub alg: String,
    #[serde(default)]
    pub typ: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub crit: Option<Vec<String>>,
}

/// A compact JWS split and decoded, not yet verified.
pub(crate) struct ParsedJws<'token> {
    pub header: ProtectedHeader,
    pub payload: Value,
    /// `base64url(header) "." base64url(payload)`, what the signature covers.
    pub signing_input: &'token str,
    pub signature: Signature,
}

/// Signs `payload` under `header` (a JSON object with at least `alg`), returning the compact JWS.
pub(crate) fn sign_compact(header: &Value, payload: &[u8], key: &SigningKey) -> String {
    let header_json = serde_json::to_vec(header).expect("a JSON value always serializes");
    let mut token = String::with_capacity((header_json.len() + payload.len()) * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let signature = key.sign(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
    token
}

/// Splits a compact JWS into header, payload (parsed as JSON once) and signature, refusing any
/// algorithm but EdDSA, a `typ` outside `accepted_types`, and any `crit` extension.
pub(crate) fn parse_compact<'token>(token: &'token str, accepted_types: &[&str]) -> Result<ParsedJws<'token>, Failure> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header_part), Some(payload_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a compact JWS has exactly three dot-separated parts"));
    };
    let header_bytes = base64url_decode(header_part).map_err(|error| malformed(format!("header: {error}")))?;
    let header: ProtectedHeader =
        serde_json::from_slice(&header_bytes).map_err(|error| malformed(format!("header: {error}")))?;
    if header.alg != ALGORITHM {
        return Err(Failure::Algorithm { alg: header.alg });
    }
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| accepted_types.iter().any(|accepted| typ.eq_ignore_ascii_case(accepted)))
    {
        return Err(Failure::MediaType {
            expected: accepted_types.join(" or "),
            found: header.typ,
        });
    }
    if let Some(names) = header.crit.clone() {
        return Err(Failure::CriticalHeader { names });
    }
    let payload_bytes = base64url_decode(payload_part).map_err(|error| malformed(format!("payload: {error}")))?;
    let payload: Value =
        serde_json::from_slice(&payload_bytes).map_err(|error| malformed(format!("payload: {error}")))?;
    if !payload.is_object() {
        return Err(malformed("the payload is not a JSON object"));
    }
    let signature_bytes = base64url_decode(signature_part).map_err(|error| malformed(format!("signature: {error}")))?;
    let signature_bytes: [u8; 64] = signature_bytes
        .try_into()
        .map_err(|_| malformed("an Ed25519 signature is 64 bytes"))?;
    Ok(ParsedJws {
        header,
        payload,
        signing_input: &token[..header_part.len() + 1 + payload_part.len()],
        signature: Signature::from_bytes(&signature_bytes),
    })
}

/// Verifies the signature of a parsed JWS (strict Ed25519: no small-order keys, canonical `S`).
pub(crate) fn verify_signature(jws: &ParsedJws<'_>, public_key: &VerifyingKey) -> bool {
    public_key
        .verify_strict(jws.signing_input.as_bytes(), &jws.signature)
        .is_ok()
}

fn malformed(reason: impl Into<String>) -> Failure {
    Failure::Malformed { reason: reason.into() }
}
