//! Signed tree heads: a tree size, a time and the root hash, signed by the node's Ed25519 key.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::Hash;

/// A tree head (STH): the log's root hash at a size, when, and the node key's signature over
/// [`TreeHead::signed_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// Number of leaves.
    pub size: u64,
    /// When the head was signed, milliseconds since the Unix epoch.
    pub timestamp_millis: i64,
    /// The Merkle tree hash of the first `size` leaves.
    pub root: Hash,
    /// The id (`kid`) of the signing key, as the node's JWKS lists it.
    pub key_id: String,
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

/// Why a tree head's signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tree head's signature does not verify with key {key_id}")]
pub struct SignatureError {
    /// The key tried.
    pub key_id: String,
}

/// The context every signed tree head starts with, so that no other junkan signature can pass
/// for one.
const CONTEXT: &[u8] = b"junkan-log-tree-head/1";

impl TreeHead {
    /// What is signed: the context, the size and time (8 bytes each, big-endian) and the root.
    pub fn signed_bytes(size: u64, timestamp_millis: i64, root: &Hash) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(CONTEXT.len() + 48);
        bytes.extend_from_slice(CONTEXT);
        bytes.extend_from_slice(&size.to_be_bytes());
        bytes.extend_from_slice(&timestamp_millis.to_be_bytes());
        bytes.extend_from_slice(root);
        bytes
    }

    /// Signs the head of the tree of `size` leaves with `root` at `timestamp_millis`.
    pub fn sign(size: u64, timestamp_millis: i64, root: Hash, key_id: &str, key: &SigningKey) -> TreeHead {
        let signature = key.sign(&TreeHead::signed_bytes(size, timestamp_millis, &root));
        TreeHead {
            size,
            timestamp_millis,
            root,
            key_id: key_id.to_owned(),
            signature: signature.to_bytes(),
        }
    }

    /// Checks the signature with the public key `key`.
    pub fn verify_signature(&self, key: &VerifyingKey) -> Result<(), SignatureError> {
        key.verify(
            &TreeHead::signed_bytes(self.size, self.timestamp_millis, &self.root),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| SignatureError {
            key_id: self.key_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_head_verifies_and_any_change_does_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let head = TreeHead::sign(8, 1_775_034_000_000, [5; 32], "k1", &key);
        assert_eq!(head.verify_signature(&key.verifying_key()), Ok(()));
        let other_key = SigningKey::from_bytes(&[8; 32]);
        assert!(head.verify_signature(&other_key.verifying_key()).is_err());
        for change in [
            (|head: &mut TreeHead| head.size += 1) as fn(&mut TreeHead),
            |head| head.timestamp_millis += 1,
            |head| head.root[0] ^= 1,
            |head| head.signature[0] ^= 1,
        ] {
            let mut changed = head.clone();
            change(&mut changed);
            assert!(changed.verify_signature(&key.verifying_key()).is_err());
        }
    }
}
