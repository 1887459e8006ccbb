//! The tamper-evident log (改ざん検知可能な記録) of junkan as pure functions: the Merkle tree hash
//! of RFC 6962 §2.1 / RFC 9162 §2.1 (leaf hash `SHA-256(0x00 || leaf)`, node hash
//! `SHA-256(0x01 || left || right)`, the left subtree the largest power of two smaller than the
//! size), inclusion and consistency proofs with the RFC 9162 §2.1.3.2 and §2.1.4.2 verification
//! algorithms, the canonical encoding of a log leaf (what one write committed: which record, a
//! digest of its stored content and the hash of the previous leaf, a hash chain), and signed
//! tree heads (Ed25519).
//!
//! Nothing here does IO: the store (`junkan-store-sql`) keeps the leaves and tree heads, and
//! hands their hashes to these functions.

mod leaf;
mod merkle;
mod tree_head;

pub use leaf::{digest_parts, Leaf, LeafError};
pub use merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root, verify_consistency, verify_inclusion,
    ProofError,
};
pub use tree_head::{SignatureError, TreeHead};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// A digest as lowercase hexadecimal, as the log's JSON and pages show it.
pub fn to_hex(hash: &Hash) -> String {
    use std::fmt::Write as _;
    hash.iter().fold(String::with_capacity(64), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// A digest read from 64 hexadecimal digits (either case), or `None`.
pub fn from_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut hash = [0u8; 32];
    for (index, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(hash)
}
