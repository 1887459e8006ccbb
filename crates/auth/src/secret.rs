//! Random secrets and their digests. Client secrets, API keys and session ids are 256-bit random
//! values, so a fast digest (SHA-256) is enough to store them safely; passwords chosen by people
//! get argon2 instead (see [`crate::password`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random secret: 32 bytes from the operating system, base64url without padding.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API key: `jk_` and a random secret. The prefix tells it apart from a JWT in an
/// `Authorization: Bearer` header and makes leaked keys easy to find by scanners.
pub fn generate_api_key() -> String {
    format!("jk_{}", generate_secret())
}

/// Lower-case hex SHA-256 of `value`: the stored form of a high-entropy secret.
pub fn digest(value: &str) -> String {
    let hash = Sha256::digest(value.as_bytes());
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_digests_stable() {
        assert_ne!(generate_secret(), generate_secret());
        assert_eq!(generate_secret().len(), 43);
        assert!(generate_api_key().starts_with("jk_"));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "sama"));
        assert!(!constant_time_eq("same", "samey"));
    }
}
