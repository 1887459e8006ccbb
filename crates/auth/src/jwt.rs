//! JWT access tokens signed with Ed25519 (JWS `EdDSA`, RFC 8037), and the keyring that signs and
//! verifies them. Written directly on `ed25519-dalek` rather than a JWT library so that exactly
//! one algorithm is accepted (no `alg: none`, no HMAC/RSA confusion) and the same code can sign
//! verifiable credentials later.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use junkan_model::ids::OrganizationId;
use junkan_model::principal::{PrincipalKind, Role};

/// Allowed clock difference between nodes when checking `exp` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 30;

/// The claims of a junkan access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer: the node's base URL.
    pub iss: String,
    /// Subject: the principal id.
    pub sub: String,
    /// Audience: the node's base URL.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    pub nbf: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// Kind of principal.
    pub principal_kind: PrincipalKind,
    /// Organization the principal acts for.
    pub org: OrganizationId,
    /// Roles.
    pub roles: Vec<Role>,
    /// OAuth scope (space-separated role names).
    pub scope: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts with JSON header and claims.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// Signed with another algorithm than EdDSA.
    #[error("the token is signed with {0:?}; only EdDSA is accepted")]
    Algorithm(String),
    /// Signed by a key this node does not have.
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token signature is invalid")]
    BadSignature,
    /// Past its expiry.
    #[error("the token has expired")]
    Expired,
    /// Not valid yet.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// Issued by or for someone else.
    #[error("the token was issued for another audience or by another issuer")]
    WrongAudience,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// The node's signing keys: the newest signs, all verify (so tokens signed before a rotation stay
/// valid until they expire).
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, SigningKey)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secret keys never reach logs.
        formatter
            .debug_struct("Keyring")
            .field("kids", &self.keys.iter().map(|(kid, _)| kid).collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// A keyring from `(kid, base64 secret seed)` pairs, newest first.
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Keyring, String> {
        let keys = secrets
            .into_iter()
            .map(|(kid, secret)| {
                let bytes = STANDARD.decode(secret).map_err(|error| format!("key {kid}: {error}"))?;
                let seed: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| format!("key {kid}: an Ed25519 seed is 32 bytes"))?;
                Ok((kid.to_owned(), SigningKey::from_bytes(&seed)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if keys.is_empty() {
            return Err("a keyring needs at least one key".to_owned());
        }
        Ok(Keyring { keys })
    }

    /// A new random key: its kid and base64 seed, to be stored.
    pub fn generate_secret() -> (String, String) {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let kid = URL_SAFE_NO_PAD.encode(&key.verifying_key().to_bytes()[..12]);
        (kid, STANDARD.encode(key.to_bytes()))
    }

    /// The newest key and its kid: what signs new tokens and the log's tree heads.
    pub fn newest(&self) -> (&str, &SigningKey) {
        let (kid, key) = &self.keys[0];
        (kid.as_str(), key)
    }

    /// Signs `claims` with the newest key.
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        let (kid, key) = &self.keys[0];
        let header = Header {
            alg: "EdDSA".to_owned(),
            typ: Some("JWT".to_owned()),
            kid: Some(kid.clone()),
        };
        let encode = |value: serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let signing_input = format!("{}.{}", encode(to_json(&header)), encode(to_json(claims)));
        let signature = key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// Verifies `token` and its time and audience claims, returning the claims.
    pub fn verify(&self, token: &str, expected_issuer: &str, now: OffsetDateTime) -> Result<AccessClaims, TokenError> {
        let claims: AccessClaims = self.verify_signature(token)?;
        let now = now.unix_timestamp();
        if claims.exp + LEEWAY_SECONDS <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf - LEEWAY_SECONDS > now {
            return Err(TokenError::NotYetValid);
        }
        if claims.iss != expected_issuer || claims.aud != expected_issuer {
            return Err(TokenError::WrongAudience);
        }
        Ok(claims)
    }

    /// Checks the header and signature of a token this keyring signed and returns its claims as
    /// `T`, without looking at their meaning (the caller checks times and purposes). Used for
    /// access tokens and for other signed values the node hands out, such as PACT page links.
    pub fn verify_signature<T: for<'de> Deserialize<'de>>(&self, token: &str) -> Result<T, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header)?;
        if header.alg != "EdDSA" {
            return Err(TokenError::Algorithm(header.alg));
        }
        let key = match &header.kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(candidate, _)| candidate == kid)
                .map(|(_, key)| key),
            None => None,
        }
        .ok_or(TokenError::UnknownKey)?;
        let signature_bytes = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        let signature = Signature::from_slice(&signature_bytes).map_err(|_| TokenError::Malformed)?;
        let signing_input = &token[..header_and_claims_length(token)];
        key.verifying_key()
            .verify_strict(signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        decode_json(claims)
    }

    /// The public keys as a JSON Web Key Set (RFC 7517, OKP keys of RFC 8037).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|(kid, key)| public_jwk(kid, &key.verifying_key()))
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

fn public_jwk(kid: &str, key: &VerifyingKey) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(key.to_bytes()),
    })
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("headers and claims are plain data that always serialize")
}

fn header_and_claims_length(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://node.example";

    fn claims(now: OffsetDateTime) -> AccessClaims {
        AccessClaims {
            iss: ISSUER.to_owned(),
            sub: "client-1".to_owned(),
            aud: ISSUER.to_owned(),
            exp: now.unix_timestamp() + 3600,
            nbf: now.unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: "t1".to_owned(),
            principal_kind: PrincipalKind::Client,
            org: OrganizationId::derived("a"),
            roles: vec![Role::Member],
            scope: "member".to_owned(),
        }
    }

    fn keyring() -> Keyring {
        let (kid, secret) = Keyring::generate_secret();
        Keyring::from_secrets([(kid.as_str(), secret.as_str())]).expect("fresh key")
    }

    #[test]
    fn signed_tokens_verify_and_forged_ones_do_not() {
        let now = OffsetDateTime::now_utc();
        let keys = keyring();
        let token = keys.sign(&claims(now));
        assert_eq!(keys.verify(&token, ISSUER, now), Ok(claims(now)));

        // Another node's key, same kid: bad signature or unknown key.
        assert!(keyring().verify(&token, ISSUER, now).is_err());
        // Claims changed after signing.
        let mut forged = claims(now);
        forged.roles = vec![Role::NodeAdmin];
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).expect("json")),
            parts[2]
        );
        assert_eq!(keys.verify(&tampered, ISSUER, now), Err(TokenError::BadSignature));
        // alg none and HS256 are refused before any key is looked at.
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), parts[1]);
        assert_eq!(
            keys.verify(&none, ISSUER, now),
            Err(TokenError::Algorithm("none".to_owned()))
        );
        assert_eq!(keys.verify("a.b", ISSUER, now), Err(TokenError::Malformed));
        // Time and audience.
        assert_eq!(
            keys.verify(&token, ISSUER, now + time::Duration::hours(2)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            keys.verify(&token, ISSUER, now - time::Duration::hours(2)),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(
            keys.verify(&token, "https://other.example", now),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn rotated_keys_still_verify_old_tokens() {
        let now = OffsetDateTime::now_utc();
        let (old_kid, old_secret) = Keyring::generate_secret();
        let (new_kid, new_secret) = Keyring::generate_secret();
        let old = Keyring::from_secrets([(old_kid.as_str(), old_secret.as_str())]).expect("key");
        let rotated = Keyring::from_secrets([
            (new_kid.as_str(), new_secret.as_str()),
            (old_kid.as_str(), old_secret.as_str()),
        ])
        .expect("keys");
        let token = old.sign(&claims(now));
        assert!(rotated.verify(&token, ISSUER, now).is_ok());
        let jwks = rotated.jwks();
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2));
        assert_eq!(jwks["keys"][0]["kid"], new_kid.as_str());
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    }
}
