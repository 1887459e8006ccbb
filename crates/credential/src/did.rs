//! `did:web` identifiers and their DID documents (DID Core 1.0 with the `JsonWebKey` verification
//! method of Controlled Identifiers 1.0), and the same keys as a JWKS (RFC 7517).
//!
//! **Retired keys.** A key rotated out stays in the document, so that what it signed before its
//! retirement keeps verifying, with the Controlled Identifiers 1.0 property `revoked` (an XML
//! Schema dateTimeStamp): the time from which the key no longer signs. Verification refuses a
//! credential signed at or after that time. (`expires` of the same specification is meant for
//! keys with a planned end, so `revoked` is the property for a rotation that already happened.)
//! A retired key stays in `assertionMethod` (it still vouches for what it signed) and leaves
//! `authentication`.
//!
//! **did:web ↔ URL.** `did:web:example.com` ↔ `https://example.com/.well-known/did.json`;
//! `did:web:example.com%3A8443:organizations:abc` ↔
//! `https://example.com:8443/organizations/abc/did.json` (the port's `:` is percent-encoded,
//! path segments are separated by `:`). `http` is allowed for tests on loopback only.

use ed25519_dalek::VerifyingKey;
use serde_json::{json, Value};

use junkan_model::validation::{Violation, Violations};

use crate::jose;
use crate::keys::{controller_of, is_did, KeyResolutionError, KeyResolver, VerificationMethod};
use crate::vc::{format_time, parse_time};

/// The DID Core 1.0 context.
pub const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
/// The Controlled Identifiers 1.0 context (defines `JsonWebKey` and `revoked`).
pub const CID_CONTEXT: &str = "https://www.w3.org/ns/cid/v1";
/// The verification method type junkan publishes.
pub const JSON_WEB_KEY_TYPE: &str = "JsonWebKey";

/// Why a DID or DID document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    /// Not a `did:web` DID junkan can map to a URL.
    #[error("{did:?} is not a did:web DID: {reason}")]
    NotDidWeb {
        /// The refused text.
        did: String,
        /// What is wrong.
        reason: String,
    },
    /// The document's `id` is not the DID asked for.
    #[error("the DID document is for {found:?}, not for {expected}")]
    WrongId {
        /// The DID asked for.
        expected: String,
        /// The document's `id`.
        found: String,
    },
    /// The document is not well formed (every problem listed).
    #[error("the DID document is not well formed: {}", violations.iter().map(|violation| format!("{} {}", violation.path, violation.message)).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Every problem, each with its JSON pointer.
        violations: Vec<Violation>,
    },
}

/// Which URL scheme a did:web resolves over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrlScheme {
    /// HTTPS, as the did:web method requires.
    #[default]
    Https,
    /// Plain HTTP, for tests on a loopback address.
    Http,
}

/// The did:web DID of `host` (with an optional `:port`) and a path (`["organizations", "abc"]`;
/// empty for the host's own DID).
pub fn did_web(host: &str, path: &[&str]) -> String {
    let mut did = format!("did:web:{}", host.replace(':', "%3A"));
    for segment in path {
        did.push(':');
        did.push_str(segment);
    }
    did
}

/// The URL of the DID document of a did:web DID.
pub fn did_web_url(did: &str, scheme: UrlScheme) -> Result<String, DidError> {
    let not_did_web = |reason: &str| DidError::NotDidWeb {
        did: did.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = did
        .strip_prefix("did:web:")
        .ok_or_else(|| not_did_web("it does not start with did:web:"))?;
    let mut segments = rest.split(':');
    let host = segments
        .next()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| not_did_web("it names no host"))?;
    let host = host.replace("%3A", ":").replace("%3a", ":");
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host.as_str(), None),
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.')
    {
        return Err(not_did_web("the host is not a domain name"));
    }
    if port.is_some_and(|port| port.parse::<u16>().is_err()) {
        return Err(not_did_web("the port is not a number"));
    }
    let path: Vec<&str> = segments.collect();
    if path
        .iter()
        .any(|segment| segment.is_empty() || segment.contains(['/', '?', '#', '%']))
    {
        return Err(not_did_web("a path segment is empty or holds / ? # %"));
    }
    let scheme = match scheme {
        UrlScheme::Https => "https",
        UrlScheme::Http => "http",
    };
    Ok(if path.is_empty() {
        format!("{scheme}://{host}/.well-known/did.json")
    } else {
        format!("{scheme}://{host}/{}/did.json", path.join("/"))
    })
}

/// The public JWK (RFC 8037 OKP) of an Ed25519 key: `{"kty":"OKP","crv":"Ed25519","x":…}`.
pub fn public_key_jwk(key: &VerifyingKey) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": jose::base64url_encode(key.as_bytes())})
}

/// Reads an Ed25519 public JWK, refusing private keys (`d`) and anything but OKP/Ed25519.
pub fn public_key_from_jwk(jwk: &Value) -> Result<VerifyingKey, String> {
    if !jwk.is_object() {
        return Err("a JWK is a JSON object".to_owned());
    }
    if jwk.get("d").is_some() {
        return Err("the JWK holds a private key (d); publish only the public key".to_owned());
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("OKP") {
        return Err("kty must be OKP".to_owned());
    }
    if jwk.get("crv").and_then(Value::as_str) != Some("Ed25519") {
        return Err("crv must be Ed25519".to_owned());
    }
    if let Some(alg) = jwk.get("alg") {
        if alg.as_str() != Some(jose::ALGORITHM) {
            return Err("alg, when present, must be EdDSA".to_owned());
        }
    }
    let x = jwk
        .get("x")
        .and_then(Value::as_str)
        .ok_or_else(|| "x is required".to_owned())?;
    let bytes = jose::base64url_decode(x).map_err(|error| format!("x is not base64url: {error}"))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| "x must be 32 bytes".to_owned())?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| "x is not an Ed25519 public key".to_owned())?;
    if key.is_weak() {
        return Err("x is a small-order (weak) Ed25519 key".to_owned());
    }
    Ok(key)
}

/// The JWK of a verification method for a JWKS: the public key with `kid` (the DID URL), `alg`
/// and `use`.
pub fn verification_method_jwk(method: &VerificationMethod) -> Value {
    let mut jwk = public_key_jwk(&method.public_key);
    jwk["kid"] = Value::from(method.id.as_str());
    jwk["alg"] = Value::from(jose::ALGORITHM);
    jwk["use"] = Value::from("sig");
    jwk
}

/// A JWKS (RFC 7517 `{"keys":[…]}`) of `methods`, retired ones included (they verify what they
/// signed; the JWK format has no retirement time, the DID document carries it).
pub fn jwks(methods: &[VerificationMethod]) -> Value {
    json!({"keys": methods.iter().map(verification_method_jwk).collect::<Vec<_>>()})
}

/// A DID document: the DID, its keys, and which of them may issue (`assertionMethod`) and
/// authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    /// The DID.
    pub id: String,
    /// Every key, retired ones included (with `retired_at`).
    pub verification_methods: Vec<VerificationMethod>,
    /// The DID URLs of keys that may sign credentials.
    pub assertion_methods: Vec<String>,
    /// The DID URLs of keys that may authenticate.
    pub authentication: Vec<String>,
}

impl DidDocument {
    /// The document of `did` with `methods` (their `controller` is set to `did`): every key is an
    /// assertion method; keys not retired also authenticate.
    pub fn new(did: &str, methods: Vec<VerificationMethod>) -> DidDocument {
        let verification_methods: Vec<VerificationMethod> = methods
            .into_iter()
            .map(|method| VerificationMethod {
                controller: did.to_owned(),
                ..method
            })
            .collect();
        DidDocument {
            id: did.to_owned(),
            assertion_methods: verification_methods.iter().map(|method| method.id.clone()).collect(),
            authentication: verification_methods
                .iter()
                .filter(|method| method.retired_at.is_none())
                .map(|method| method.id.clone())
                .collect(),
            verification_methods,
        }
    }

    /// The document as JSON (`application/did+json`).
    pub fn to_json(&self) -> Value {
        let methods: Vec<Value> = self
            .verification_methods
            .iter()
            .map(|method| {
                let mut value = json!({
                    "id": method.id,
                    "type": JSON_WEB_KEY_TYPE,
                    "controller": method.controller,
                    "publicKeyJwk": public_key_jwk(&method.public_key),
                });
                if let Some(retired_at) = method.retired_at {
                    value["revoked"] = Value::from(format_time(retired_at));
                }
                value
            })
            .collect();
        json!({
            "@context": [DID_CONTEXT, CID_CONTEXT],
            "id": self.id,
            "verificationMethod": methods,
            "assertionMethod": self.assertion_methods,
            "authentication": self.authentication,
        })
    }

    /// Reads and checks the DID document published for `expected_did`: its `id` must be that DID;
    /// every verification method must be a well-formed public Ed25519 JWK (type `JsonWebKey`, or
    /// the older `JsonWebKey2020`) whose `id` is a DID URL of this DID (relative `#…` ids are
    /// resolved), controlled by this DID, with a `kid` (if any) naming itself; `revoked` an RFC
    /// 3339 time; `assertionMethod`/`authentication` references to methods of the document (or
    /// embedded methods). Every problem is reported.
    pub fn parse(document: &Value, expected_did: &str) -> Result<DidDocument, DidError> {
        let Some(object) = document.as_object() else {
            return Err(DidError::Invalid {
                violations: vec![Violation::new("", "a DID document is a JSON object")],
            });
        };
        let found = object.get("id").and_then(Value::as_str).unwrap_or_default();
        if found != expected_did {
            return Err(DidError::WrongId {
                expected: expected_did.to_owned(),
                found: found.to_owned(),
            });
        }
        let mut violations = Violations::new();
        let mut verification_methods = Vec::new();
        match object.get("verificationMethod") {
            Some(Value::Array(methods)) => {
                for (index, method) in methods.iter().enumerate() {
                    if let Some(method) = parse_method(
                        method,
                        expected_did,
                        &format!("/verificationMethod/{index}"),
                        &mut violations,
                    ) {
                        verification_methods.push(method);
                    }
                }
            }
            Some(_) => violations.push("/verificationMethod", "must be an array"),
            None => {}
        }
        let mut relationship = |name: &str, violations: &mut Violations| -> Vec<String> {
            let mut ids = Vec::new();
            match object.get(name) {
                Some(Value::Array(references)) => {
                    for (index, reference) in references.iter().enumerate() {
                        let path = format!("/{name}/{index}");
                        match reference {
                            Value::String(id) => {
                                let id = absolute_id(id, expected_did);
                                if verification_methods.iter().any(|method| method.id == id) {
                                    ids.push(id);
                                } else {
                                    violations.push(path, format!("{id} is not a verification method of the document"));
                                }
                            }
                            Value::Object(_) => {
                                if let Some(method) = parse_method(reference, expected_did, &path, violations) {
                                    ids.push(method.id.clone());
                                    if !verification_methods.iter().any(|known| known.id == method.id) {
                                        verification_methods.push(method);
                                    }
                                }
                            }
                            _ => violations.push(path, "must be a DID URL or a verification method"),
                        }
                    }
                }
                Some(_) => violations.push(format!("/{name}"), "must be an array"),
                None => {}
            }
            ids
        };
        let assertion_methods = relationship("assertionMethod", &mut violations);
        let authentication = relationship("authentication", &mut violations);
        let mut seen = std::collections::HashSet::new();
        for (index, method) in verification_methods.iter().enumerate() {
            if !seen.insert(method.id.as_str()) {
                violations.push(
                    format!("/verificationMethod/{index}/id"),
                    format!("{} appears twice", method.id),
                );
            }
        }
        violations
            .into_result()
            .map_err(|violations| DidError::Invalid { violations })?;
        Ok(DidDocument {
            id: expected_did.to_owned(),
            verification_methods,
            assertion_methods,
            authentication,
        })
    }

    /// The JWKS of the document's keys.
    pub fn jwks(&self) -> Value {
        jwks(&self.verification_methods)
    }
}

fn absolute_id(id: &str, did: &str) -> String {
    if id.starts_with('#') {
        format!("{did}{id}")
    } else {
        id.to_owned()
    }
}

fn parse_method(method: &Value, did: &str, path: &str, violations: &mut Violations) -> Option<VerificationMethod> {
    let before = violations.len();
    let id = match method.get("id").and_then(Value::as_str) {
        Some(id) => {
            let id = absolute_id(id, did);
            if controller_of(&id) != Some(did) {
                violations.push(format!("{path}/id"), format!("{id} is not a DID URL of {did}"));
            }
            id
        }
        None => {
            violations.push(format!("{path}/id"), "is required");
            String::new()
        }
    };
    match method.get("type").and_then(Value::as_str) {
        Some(JSON_WEB_KEY_TYPE | "JsonWebKey2020") => {}
        _ => violations.push(format!("{path}/type"), "must be JsonWebKey"),
    }
    let controller = method.get("controller").and_then(Value::as_str).unwrap_or_default();
    if controller != did || !is_did(controller) {
        violations.push(format!("{path}/controller"), format!("must be {did}"));
    }
    let public_key = match method.get("publicKeyJwk") {
        Some(jwk) => {
            if let Some(kid) = jwk.get("kid") {
                let names_itself = kid
                    .as_str()
                    .is_some_and(|kid| absolute_id(kid, did) == id || id.ends_with(&format!("#{kid}")));
                if !names_itself {
                    violations.push(format!("{path}/publicKeyJwk/kid"), format!("must name the method {id}"));
                }
            }
            match public_key_from_jwk(jwk) {
                Ok(key) => Some(key),
                Err(message) => {
                    violations.push(format!("{path}/publicKeyJwk"), message);
                    None
                }
            }
        }
        None => {
            violations.push(format!("{path}/publicKeyJwk"), "is required");
            None
        }
    };
    let retired_at = match method.get("revoked") {
        None => None,
        Some(value) => match value.as_str().map(parse_time) {
            Some(Ok(time)) => Some(time),
            _ => {
                violations.push(format!("{path}/revoked"), "must be an RFC 3339 date-time");
                None
            }
        },
    };
    if violations.len() > before {
        return None;
    }
    Some(VerificationMethod {
        id,
        controller: controller.to_owned(),
        public_key: public_key.expect("no violation means the key was read"),
        valid_from: None,
        retired_at,
    })
}

impl KeyResolver for DidDocument {
    /// Resolves a kid among the document's assertion methods (keys that may sign credentials).
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        let method = self
            .verification_methods
            .iter()
            .find(|method| method.id == kid)
            .ok_or_else(|| KeyResolutionError::UnknownKey { kid: kid.to_owned() })?;
        if !self.assertion_methods.iter().any(|id| id == kid) {
            return Err(KeyResolutionError::NotAssertionMethod { kid: kid.to_owned() });
        }
        Ok(method.clone())
    }
}

impl KeyResolver for [DidDocument] {
    /// Resolves a kid in the document of its DID.
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        let did = controller_of(kid).ok_or_else(|| KeyResolutionError::UnknownKey { kid: kid.to_owned() })?;
        self.iter()
            .find(|document| document.id == did)
            .ok_or_else(|| KeyResolutionError::Unavailable {
                kid: kid.to_owned(),
                reason: format!("no DID document of {did} was provided"),
            })?
            .resolve_key(kid)
    }
}

impl KeyResolver for Vec<DidDocument> {
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        self.as_slice().resolve_key(kid)
    }
}
