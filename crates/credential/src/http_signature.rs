//! HTTP Message Signatures (RFC 9421) with Ed25519, and `Content-Digest` (RFC 9530, `sha-256`),
//! as pure functions: the signature base of a request, the `Signature-Input` and `Signature`
//! header values, their parsing and verification. junkan nodes sign the requests an organization
//! sends to a peer node with the organization's key (`keyid` = the DID URL of the key); see
//! docs/federation.md.
//!
//! Only what federation needs is implemented, exactly: request messages; the derived components
//! `@method`, `@target-uri`, `@authority`, `@scheme`, `@path`, `@query` and header fields (no
//! `;sf`, `;bs`, `;req` or `;key` component parameters, refused when met); signature parameters
//! `created`, `expires`, `nonce`, `alg`, `keyid`, `tag`; one signature per label. Structured-field
//! parsing covers the inner list with parameters and byte sequences of those two headers.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The `alg` value of Ed25519 signatures (RFC 9421 §3.3.6).
pub const ALG_ED25519: &str = "ed25519";

/// Why a signature, its headers or a digest were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpSignatureError {
    /// A header is not well formed.
    #[error("{header} is not well formed: {reason}")]
    Malformed {
        /// The header.
        header: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A covered component is not in the message.
    #[error("the covered component {0} is not in the message")]
    MissingComponent(String),
    /// A covered component junkan does not support.
    #[error("the covered component {0} is not supported")]
    UnsupportedComponent(String),
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the key {keyid}")]
    BadSignature {
        /// The key tried.
        keyid: String,
    },
    /// The body does not have the digest the `Content-Digest` header gives.
    #[error("the body does not match its Content-Digest")]
    DigestMismatch,
}

/// A request as the signature sees it: method, the full target URI and the header fields (names
/// compared case-insensitively; several fields of one name are joined by `, `).
#[derive(Debug, Clone)]
pub struct RequestMessage<'a> {
    /// `GET`, `POST`, ... (kept as sent: the method is case-sensitive).
    pub method: &'a str,
    /// The absolute target URI, e.g. `https://node.example:8443/catalog?x=1`.
    pub target_uri: &'a str,
    /// Header fields as (name, value).
    pub headers: &'a [(String, String)],
}

/// A parameter value of the signature parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterValue {
    /// An integer (`created`, `expires`).
    Integer(i64),
    /// A string (`keyid`, `nonce`, `alg`, `tag`).
    Text(String),
}

/// The signature parameters (`@signature-params`): the covered component identifiers in order and
/// the parameters in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignatureParameters {
    /// Component identifiers, e.g. `@method`, `content-digest` (lower case, no quotes).
    pub components: Vec<String>,
    /// Parameters in order.
    pub parameters: Vec<(String, ParameterValue)>,
}

impl SignatureParameters {
    /// The value of integer parameter `name`.
    pub fn integer(&self, name: &str) -> Option<i64> {
        self.parameters.iter().find_map(|(key, value)| match value {
            ParameterValue::Integer(number) if key == name => Some(*number),
            _ => None,
        })
    }

    /// The value of string parameter `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.parameters.iter().find_map(|(key, value)| match value {
            ParameterValue::Text(text) if key == name => Some(text.as_str()),
            _ => None,
        })
    }

    /// Serialized as the inner list of `Signature-Input` and the value of `@signature-params`.
    pub fn serialize(&self) -> String {
        let components: Vec<String> = self.components.iter().map(|name| format!("\"{name}\"")).collect();
        let mut text = format!("({})", components.join(" "));
        for (name, value) in &self.parameters {
            match value {
                ParameterValue::Integer(number) => text.push_str(&format!(";{name}={number}")),
                ParameterValue::Text(value) => text.push_str(&format!(";{name}=\"{value}\"")),
            }
        }
        text
    }
}

/// The `Content-Digest` header value of a body: `sha-256=:<base64>:` (RFC 9530).
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Content-Digest` header against the body: its `sha-256` member must be the body's
/// digest (other algorithms are ignored, as RFC 9530 allows; a header without `sha-256` is
/// refused since junkan cannot check it).
pub fn check_content_digest(header: &str, body: &[u8]) -> Result<(), HttpSignatureError> {
    let malformed = |reason: &str| HttpSignatureError::Malformed {
        header: "Content-Digest",
        reason: reason.to_owned(),
    };
    let mut found = None;
    for member in split_top_level(header, ',') {
        let (name, value) = member
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("a member is not name=:bytes:"))?;
        if name.trim() == "sha-256" {
            found = Some(byte_sequence(value.trim()).ok_or_else(|| malformed("sha-256 is not a byte sequence"))?);
        }
    }
    let digest = found.ok_or_else(|| malformed("it has no sha-256 member"))?;
    if digest.as_slice() == Sha256::digest(body).as_slice() {
        Ok(())
    } else {
        Err(HttpSignatureError::DigestMismatch)
    }
}

/// The value of one covered component in a request (RFC 9421 §2.1, §2.2).
pub fn component_value(message: &RequestMessage<'_>, name: &str) -> Result<String, HttpSignatureError> {
    let uri = parse_uri(message.target_uri).ok_or_else(|| HttpSignatureError::Malformed {
        header: "@target-uri",
        reason: format!("{} is not an absolute http(s) URI", message.target_uri),
    })?;
    Ok(match name {
        "@method" => message.method.to_owned(),
        "@target-uri" => message.target_uri.to_owned(),
        "@authority" => uri.authority,
        "@scheme" => uri.scheme,
        "@path" => uri.path,
        "@query" => format!("?{}", uri.query.unwrap_or_default()),
        "@request-target" => match uri.query {
            Some(query) => format!("{}?{query}", uri.path),
            None => uri.path,
        },
        derived if derived.starts_with('@') => {
            return Err(HttpSignatureError::UnsupportedComponent(derived.to_owned()))
        }
        field => {
            if field.bytes().any(|byte| byte.is_ascii_uppercase()) {
                return Err(HttpSignatureError::UnsupportedComponent(field.to_owned()));
            }
            let values: Vec<&str> = message
                .headers
                .iter()
                .filter(|(header, _)| header.eq_ignore_ascii_case(field))
                .map(|(_, value)| value.trim())
                .collect();
            if values.is_empty() {
                return Err(HttpSignatureError::MissingComponent(field.to_owned()));
            }
            values.join(", ")
        }
    })
}

/// The signature base (RFC 9421 §2.5): one line per covered component, then `@signature-params`.
pub fn signature_base(
    message: &RequestMessage<'_>,
    params: &SignatureParameters,
) -> Result<String, HttpSignatureError> {
    let mut base = String::new();
    for name in &params.components {
        if name.contains(';') || name == "@signature-params" || name == "@status" {
            return Err(HttpSignatureError::UnsupportedComponent(name.clone()));
        }
        base.push_str(&format!("\"{name}\": {}\n", component_value(message, name)?));
    }
    base.push_str(&format!("\"@signature-params\": {}", params.serialize()));
    Ok(base)
}

/// Signs a request: the `Signature-Input` and `Signature` header values under `label`.
pub fn sign(
    key: &SigningKey,
    label: &str,
    message: &RequestMessage<'_>,
    params: &SignatureParameters,
) -> Result<(String, String), HttpSignatureError> {
    let base = signature_base(message, params)?;
    let signature = key.sign(base.as_bytes());
    Ok((
        format!("{label}={}", params.serialize()),
        format!("{label}=:{}:", STANDARD.encode(signature.to_bytes())),
    ))
}

/// One signature found on a request: its label, parameters and signature bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSignature {
    /// The label (`sig1`, ...).
    pub label: String,
    /// The parameters from `Signature-Input`.
    pub params: SignatureParameters,
    /// The signature from `Signature`.
    pub signature: Vec<u8>,
}

/// Reads the signatures of a request from its `Signature-Input` and `Signature` values; every
/// label of one must be in the other.
pub fn parse_signatures(signature_input: &str, signature: &str) -> Result<Vec<ReceivedSignature>, HttpSignatureError> {
    let inputs = parse_signature_input(signature_input)?;
    let malformed = |reason: String| HttpSignatureError::Malformed {
        header: "Signature",
        reason,
    };
    let mut signatures = Vec::new();
    for member in split_top_level(signature, ',') {
        let (label, value) = member
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("a member is not label=:bytes:".to_owned()))?;
        let bytes = byte_sequence(value.trim()).ok_or_else(|| malformed(format!("{label} is not a byte sequence")))?;
        signatures.push((label.trim().to_owned(), bytes));
    }
    let mut received = Vec::new();
    for (label, params) in inputs {
        let Some((_, bytes)) = signatures.iter().find(|(name, _)| *name == label) else {
            return Err(malformed(format!("no signature labelled {label}")));
        };
        received.push(ReceivedSignature {
            label,
            params,
            signature: bytes.clone(),
        });
    }
    if signatures
        .iter()
        .any(|(name, _)| !received.iter().any(|found| &found.label == name))
    {
        return Err(malformed("a signature has no Signature-Input".to_owned()));
    }
    Ok(received)
}

/// Verifies one received signature over `message` with `key` (Ed25519).
pub fn verify(
    key: &VerifyingKey,
    message: &RequestMessage<'_>,
    received: &ReceivedSignature,
) -> Result<(), HttpSignatureError> {
    let base = signature_base(message, &received.params)?;
    let keyid = received.params.text("keyid").unwrap_or_default().to_owned();
    let bytes: [u8; 64] = received
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| HttpSignatureError::BadSignature { keyid: keyid.clone() })?;
    key.verify(base.as_bytes(), &Signature::from_bytes(&bytes))
        .map_err(|_| HttpSignatureError::BadSignature { keyid })
}

/// Parses `Signature-Input` (a dictionary of inner lists with parameters).
pub fn parse_signature_input(header: &str) -> Result<Vec<(String, SignatureParameters)>, HttpSignatureError> {
    let malformed = |reason: String| HttpSignatureError::Malformed {
        header: "Signature-Input",
        reason,
    };
    let mut result = Vec::new();
    for member in split_top_level(header, ',') {
        let member = member.trim();
        let (label, rest) = member
            .split_once('=')
            .ok_or_else(|| malformed("a member is not label=(...)".to_owned()))?;
        let label = label.trim();
        if label.is_empty()
            || !label
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-.*".contains(&byte))
        {
            return Err(malformed(format!("{label:?} is not a key")));
        }
        let rest = rest.trim();
        let inner = rest
            .strip_prefix('(')
            .and_then(|rest| rest.split_once(')'))
            .ok_or_else(|| malformed(format!("{label} is not an inner list")))?;
        let (list, parameters) = inner;
        let mut components = Vec::new();
        for item in list.split(' ').filter(|item| !item.is_empty()) {
            let name = item
                .strip_prefix('"')
                .and_then(|item| item.strip_suffix('"'))
                .ok_or_else(|| malformed(format!("component {item} is not a quoted string")))?;
            if name.contains(['"', '\\']) {
                return Err(HttpSignatureError::UnsupportedComponent(name.to_owned()));
            }
            components.push(name.to_owned());
        }
        let mut params = Vec::new();
        for parameter in split_top_level(parameters, ';').into_iter().skip(1) {
            let (name, value) = parameter
                .split_once('=')
                .ok_or_else(|| malformed(format!("parameter {parameter} has no value")))?;
            let value = if let Some(text) = value.strip_prefix('"').and_then(|value| value.strip_suffix('"')) {
                ParameterValue::Text(text.to_owned())
            } else {
                ParameterValue::Integer(
                    value
                        .parse()
                        .map_err(|_| malformed(format!("parameter {name} is neither a string nor an integer")))?,
                )
            };
            params.push((name.trim().to_owned(), value));
        }
        if !split_top_level(parameters, ';')
            .first()
            .is_some_and(|head| head.trim().is_empty())
        {
            return Err(malformed(format!("{label} has text after its inner list")));
        }
        result.push((
            label.to_owned(),
            SignatureParameters {
                components,
                parameters: params,
            },
        ));
    }
    if result.is_empty() {
        return Err(malformed("it is empty".to_owned()));
    }
    Ok(result)
}

/// Splits at `separator` outside quoted strings and parentheses.
fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0_i32, false, 0);
    for (index, character) in text.char_indices() {
        match character {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            _ if character == separator && !quoted && depth == 0 => {
                parts.push(&text[start..index]);
                start = index + character.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A structured-field byte sequence `:<base64>:`.
fn byte_sequence(text: &str) -> Option<Vec<u8>> {
    let inner = text.strip_prefix(':')?.strip_suffix(':')?;
    STANDARD.decode(inner).ok()
}

struct ParsedUri {
    scheme: String,
    authority: String,
    path: String,
    query: Option<String>,
}

/// Scheme, authority (lower case, default port removed), path (`/` when empty) and query.
fn parse_uri(uri: &str) -> Option<ParsedUri> {
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = rest[..end].to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_owned(),
        _ => authority,
    };
    let (path, query) = match rest[end..].split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (&rest[end..], None),
    };
    Some(ParsedUri {
        scheme,
        authority,
        path: if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        },
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9421 B.1.4 `test-key-ed25519`: the PKCS #8 private key
    /// `MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF` ends with the 32-byte
    /// seed; its public key is `MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=`.
    fn rfc_test_key() -> SigningKey {
        let der = STANDARD
            .decode("MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF")
            .expect("printed in the RFC");
        let seed: [u8; 32] = der[der.len() - 32..].try_into().expect("32 bytes");
        SigningKey::from_bytes(&seed)
    }

    /// RFC 9421 B.2's `test-request` headers.
    fn rfc_test_request_headers() -> Vec<(String, String)> {
        [
            ("Host", "example.com"),
            ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("Content-Type", "application/json"),
            (
                "Content-Digest",
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            ),
            ("Content-Length", "18"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    #[test]
    fn the_rfc_test_key_has_the_printed_public_key() {
        let public = STANDARD
            .decode("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=")
            .expect("test value");
        assert_eq!(rfc_test_key().verifying_key().as_bytes(), &public[public.len() - 32..]);
    }

    /// RFC 9421 Appendix B.2.6: signing the test request with ed25519 gives the printed base and,
    /// Ed25519 being deterministic, exactly the printed signature.
    #[test]
    fn rfc_9421_b_2_6_ed25519() {
        let headers = rfc_test_request_headers();
        let message = RequestMessage {
            method: "POST",
            target_uri: "https://example.com/foo?param=Value&Pet=dog",
            headers: &headers,
        };
        let input = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
        let parsed = parse_signature_input(input).expect("test value");
        let (label, params) = &parsed[0];
        assert_eq!(label, "sig-b26");
        let base = signature_base(&message, params).expect("test value");
        assert_eq!(
            base,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\
             \"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \
             \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
        );
        let (signature_input, signature) = sign(&rfc_test_key(), label, &message, params).expect("test value");
        assert_eq!(signature_input, input);
        assert_eq!(
            signature,
            "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
        );
        let received = parse_signatures(&signature_input, &signature).expect("test value");
        verify(&rfc_test_key().verifying_key(), &message, &received[0]).expect("test value");
    }

    #[test]
    fn a_changed_component_or_another_key_fails() {
        let headers = rfc_test_request_headers();
        let message = RequestMessage {
            method: "POST",
            target_uri: "https://example.com/foo?param=Value&Pet=dog",
            headers: &headers,
        };
        let input = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
        let signature =
            "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
        let received = parse_signatures(input, signature).expect("test value");
        let changed = RequestMessage {
            target_uri: "https://example.com/bar",
            ..message.clone()
        };
        assert_eq!(
            verify(&rfc_test_key().verifying_key(), &changed, &received[0]),
            Err(HttpSignatureError::BadSignature {
                keyid: "test-key-ed25519".to_owned()
            })
        );
        let other = SigningKey::from_bytes(&[7; 32]);
        assert!(verify(&other.verifying_key(), &message, &received[0]).is_err());
        let no_date: Vec<(String, String)> = headers.iter().filter(|(name, _)| name != "Date").cloned().collect();
        let without = RequestMessage {
            headers: &no_date,
            ..message
        };
        assert_eq!(
            verify(&rfc_test_key().verifying_key(), &without, &received[0]),
            Err(HttpSignatureError::MissingComponent("date".to_owned()))
        );
    }

    /// RFC 9421 §2.2: derived components of `https://www.example.com/path?param=value`, and the
    /// default port and an empty query.
    #[test]
    fn derived_components() {
        let message = RequestMessage {
            method: "POST",
            target_uri: "https://www.example.com/path?param=value",
            headers: &[],
        };
        let value = |name| component_value(&message, name).expect("test value");
        assert_eq!(value("@target-uri"), "https://www.example.com/path?param=value");
        assert_eq!(value("@authority"), "www.example.com");
        assert_eq!(value("@scheme"), "https");
        assert_eq!(value("@path"), "/path");
        assert_eq!(value("@query"), "?param=value");
        assert_eq!(value("@request-target"), "/path?param=value");
        let bare = RequestMessage {
            method: "GET",
            target_uri: "http://127.0.0.1:80",
            headers: &[],
        };
        assert_eq!(component_value(&bare, "@authority").expect("test value"), "127.0.0.1");
        assert_eq!(component_value(&bare, "@path").expect("test value"), "/");
        assert_eq!(component_value(&bare, "@query").expect("test value"), "?");
        assert!(matches!(
            component_value(&bare, "@status"),
            Err(HttpSignatureError::UnsupportedComponent(_))
        ));
    }

    /// RFC 9530 §2 and Appendix B: `{"hello": "world"}` has the sha-256 digest printed there.
    #[test]
    fn rfc_9530_content_digest() {
        let body = br#"{"hello": "world"}"#;
        assert_eq!(
            content_digest(body),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
        check_content_digest(
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            body,
        )
        .expect("test value");
        assert_eq!(
            check_content_digest(
                "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
                b"{\"hello\": \"World\"}"
            ),
            Err(HttpSignatureError::DigestMismatch)
        );
        assert!(matches!(
            check_content_digest(
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
                body
            ),
            Err(HttpSignatureError::Malformed { .. })
        ));
    }

    #[test]
    fn junkan_parameters_round_trip() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let body = br#"{"purpose":"recycling"}"#;
        let headers = vec![("Content-Digest".to_owned(), content_digest(body))];
        let message = RequestMessage {
            method: "POST",
            target_uri: "http://127.0.0.1:4100/federation/v1/access-requests",
            headers: &headers,
        };
        let params = SignatureParameters {
            components: vec!["@method".into(), "@target-uri".into(), "content-digest".into()],
            parameters: vec![
                ("created".into(), ParameterValue::Integer(1_700_000_000)),
                ("expires".into(), ParameterValue::Integer(1_700_000_300)),
                ("nonce".into(), ParameterValue::Text("n-1".into())),
                ("alg".into(), ParameterValue::Text(ALG_ED25519.into())),
                (
                    "keyid".into(),
                    ParameterValue::Text("did:web:127.0.0.1%3A4100:organizations:a#k1".into()),
                ),
            ],
        };
        let (input, signature) = sign(&key, "junkan", &message, &params).expect("test value");
        let received = parse_signatures(&input, &signature).expect("test value");
        assert_eq!(received[0].params, params);
        assert_eq!(received[0].params.integer("expires"), Some(1_700_000_300));
        assert_eq!(received[0].params.text("nonce"), Some("n-1"));
        verify(&key.verifying_key(), &message, &received[0]).expect("test value");
        assert!(matches!(
            parse_signatures(&input, "other=:AAAA:"),
            Err(HttpSignatureError::Malformed { .. })
        ));
        assert!(matches!(
            parse_signature_input("junkan=\"@method\""),
            Err(HttpSignatureError::Malformed { .. })
        ));
    }
}
