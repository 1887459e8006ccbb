//! Signing keys and verification methods: the issuer's Ed25519 key with its DID URL (`kid`), the
//! public side a verifier resolves (key, controller, service period), and the resolver trait
//! through which verification finds keys (a DID document, the node's store, an in-memory list).

use ed25519_dalek::{SigningKey, VerifyingKey};
use time::OffsetDateTime;

/// An issuer's signing key and the DID URL that names it (`did:web:example.com#key-1`).
#[derive(Clone)]
pub struct IssuerKey {
    kid: String,
    controller: String,
    key: SigningKey,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret key never reaches logs.
        formatter
            .debug_struct("IssuerKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Why a `kid` is not a usable DID URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kid:?} is not a DID URL with a fragment (did:method:id#fragment)")]
pub struct InvalidKid {
    /// The refused kid.
    pub kid: String,
}

impl IssuerKey {
    /// A signing key named `kid`, a DID URL with a fragment; its controller is the DID before `#`.
    pub fn new(kid: impl Into<String>, key: SigningKey) -> Result<IssuerKey, InvalidKid> {
        let kid = kid.into();
        let controller = controller_of(&kid)
            .ok_or_else(|| InvalidKid { kid: kid.clone() })?
            .to_owned();
        Ok(IssuerKey { kid, controller, key })
    }

    /// A signing key from its 32-byte Ed25519 seed.
    pub fn from_seed(kid: impl Into<String>, seed: &[u8; 32]) -> Result<IssuerKey, InvalidKid> {
        IssuerKey::new(kid, SigningKey::from_bytes(seed))
    }

    /// The DID URL of the key (the JWS `kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The DID that controls the key (the issuer of what it signs).
    pub fn controller(&self) -> &str {
        &self.controller
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The verification method a verifier needs for this key, with its service period.
    pub fn verification_method(
        &self,
        valid_from: Option<OffsetDateTime>,
        retired_at: Option<OffsetDateTime>,
    ) -> VerificationMethod {
        VerificationMethod {
            id: self.kid.clone(),
            controller: self.controller.clone(),
            public_key: self.key.verifying_key(),
            valid_from,
            retired_at,
        }
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// The DID before the `#` of a DID URL, if it is one (`did:<method>:<id>#<fragment>`).
pub fn controller_of(did_url: &str) -> Option<&str> {
    let (did, fragment) = did_url.split_once('#')?;
    if fragment.is_empty() || !is_did(did) {
        return None;
    }
    Some(did)
}

/// Whether `text` looks like a DID: `did:<method>:<method-specific id>`, method in lowercase
/// letters and digits, a non-empty id without whitespace, `#` or `?`.
pub fn is_did(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("did:") else {
        return false;
    };
    let Some((method, id)) = rest.split_once(':') else {
        return false;
    };
    !method.is_empty()
        && method
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        && !id.is_empty()
        && !id
            .bytes()
            .any(|byte| byte.is_ascii_whitespace() || byte == b'#' || byte == b'?')
}

/// The public side of a signing key, as a verifier sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    /// The DID URL of the key (`did:web:example.com#key-1`), the JWS `kid`.
    pub id: String,
    /// The DID that controls the key; it must be the issuer of what the key signs.
    pub controller: String,
    /// The Ed25519 public key.
    pub public_key: VerifyingKey,
    /// When the key came into service, if known: a credential signed before is refused.
    pub valid_from: Option<OffsetDateTime>,
    /// When the key was retired (rotated out), if it was: a credential signed at or after this
    /// time is refused; one signed before stays valid.
    pub retired_at: Option<OffsetDateTime>,
}

/// Why a `kid` could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyResolutionError {
    /// No such key is known.
    #[error("no verification method {kid} is known")]
    UnknownKey {
        /// The kid asked for.
        kid: String,
    },
    /// The key exists but is not authorized to issue credentials (not in `assertionMethod`).
    #[error("{kid} is not an assertion method of its DID document")]
    NotAssertionMethod {
        /// The kid asked for.
        kid: String,
    },
    /// The key could not be looked up (network, store, document error).
    #[error("{kid} could not be resolved: {reason}")]
    Unavailable {
        /// The kid asked for.
        kid: String,
        /// Why.
        reason: String,
    },
}

/// Finds the verification method named by a JWS `kid`.
pub trait KeyResolver {
    /// The verification method `kid` names.
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError>;
}

impl KeyResolver for [VerificationMethod] {
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        self.iter()
            .find(|method| method.id == kid)
            .cloned()
            .ok_or_else(|| KeyResolutionError::UnknownKey { kid: kid.to_owned() })
    }
}

impl KeyResolver for Vec<VerificationMethod> {
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        self.as_slice().resolve_key(kid)
    }
}

impl<R: KeyResolver + ?Sized> KeyResolver for &R {
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        (**self).resolve_key(kid)
    }
}

/// A resolver from a closure, e.g. one that reads the node's store.
pub struct ResolveKeyWith<F>(pub F);

impl<F> KeyResolver for ResolveKeyWith<F>
where
    F: Fn(&str) -> Result<VerificationMethod, KeyResolutionError>,
{
    fn resolve_key(&self, kid: &str) -> Result<VerificationMethod, KeyResolutionError> {
        (self.0)(kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kids_are_did_urls_with_fragments() {
        assert_eq!(controller_of("did:web:example.com#key-1"), Some("did:web:example.com"));
        assert_eq!(
            controller_of("did:web:localhost%3A8080:organizations:abc#k"),
            Some("did:web:localhost%3A8080:organizations:abc")
        );
        assert_eq!(controller_of("did:web:example.com"), None);
        assert_eq!(controller_of("did:web:example.com#"), None);
        assert_eq!(controller_of("https://example.com#key"), None);
        assert_eq!(controller_of("did:Web:example.com#key"), None);
        assert!(IssuerKey::from_seed("not a did", &[1; 32]).is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = IssuerKey::from_seed("did:web:example.com#key-1", &[7; 32]).expect("valid kid");
        let shown = format!("{key:?}");
        assert!(shown.contains("did:web:example.com#key-1"));
        assert!(!shown.contains("signing"), "{shown}");
    }
}
