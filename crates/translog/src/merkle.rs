//! The Merkle tree hash, audit paths and consistency proofs of RFC 6962 §2.1, verified as
//! RFC 9162 §2.1.3.2 and §2.1.4.2 say.

use sha2::{Digest, Sha256};

use crate::Hash;

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not inside a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The older tree is larger than the newer one.
    #[error("tree size {old_size} is larger than tree size {new_size}")]
    SizesOutOfOrder {
        /// The older tree size.
        old_size: u64,
        /// The newer tree size.
        new_size: u64,
    },
    /// The proof has too many or too few hashes for the sizes.
    #[error("the proof has the wrong number of hashes for these tree sizes")]
    WrongLength,
    /// The proof leads to another root hash.
    #[error("the proof leads to another root hash")]
    RootMismatch,
}

/// `SHA-256(0x00 || leaf)`: the hash of a leaf's bytes.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `size` (`size` > 1): the size of the left subtree.
fn split(size: usize) -> usize {
    debug_assert!(size > 1);
    let mut k = 1;
    while k << 1 < size {
        k <<= 1;
    }
    k
}

/// MTH(D[n]) over the leaves' hashes.
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes.len() {
        0 => empty_root(),
        1 => leaf_hashes[0],
        size => {
            let k = split(size);
            node_hash(&root(&leaf_hashes[..k]), &root(&leaf_hashes[k..]))
        }
    }
}

/// PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaf_hashes`, from the leaf up.
/// `None` when `index` is outside the tree.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaf_hashes.len() {
        return None;
    }
    let mut path = Vec::new();
    path_into(leaf_hashes, index, &mut path);
    Some(path)
}

fn path_into(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split(leaves.len());
    if index < k {
        path_into(&leaves[..k], index, path);
        path.push(root(&leaves[k..]));
    } else {
        path_into(&leaves[k..], index - k, path);
        path.push(root(&leaves[..k]));
    }
}

/// PROOF(m, D[n]): the consistency proof between the tree of the first `old_size` leaves and the
/// tree of all `leaf_hashes`. Empty when `old_size` is 0 or the whole tree; `None` when
/// `old_size` is larger than the tree.
pub fn consistency_proof(leaf_hashes: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    if old_size > leaf_hashes.len() {
        return None;
    }
    let mut proof = Vec::new();
    if old_size > 0 {
        subproof_into(leaf_hashes, old_size, true, &mut proof);
    }
    Some(proof)
}

fn subproof_into(leaves: &[Hash], old_size: usize, whole_old_tree: bool, proof: &mut Vec<Hash>) {
    let size = leaves.len();
    if old_size == size {
        if !whole_old_tree {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split(size);
    if old_size <= k {
        subproof_into(&leaves[..k], old_size, whole_old_tree, proof);
        proof.push(root(&leaves[k..]));
    } else {
        subproof_into(&leaves[k..], old_size - k, false, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`, given
/// its audit path (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf_hash: &Hash, path: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut node, mut last) = (index, size - 1);
    let mut hash = *leaf_hash;
    for sibling in path {
        if last == 0 {
            return Err(ProofError::WrongLength);
        }
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofError::WrongLength);
    }
    if &hash != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`, given the consistency proof (RFC 9162 §2.1.4.2). The
/// empty tree is a prefix of every tree; a tree is consistent with itself (empty proof, equal
/// roots).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_size == 0 || old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // A power-of-two old tree is a node of the new tree, and the proof leaves its hash out.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut node, mut last) = (old_size - 1, new_size - 1);
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let (mut old_hash, mut new_hash) = (path[0], path[0]);
    for hash in &path[1..] {
        if last == 0 {
            return Err(ProofError::WrongLength);
        }
        if node & 1 == 1 || node == last {
            old_hash = node_hash(hash, &old_hash);
            new_hash = node_hash(hash, &new_hash);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            new_hash = node_hash(&new_hash, hash);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofError::WrongLength);
    }
    if &old_hash != old_root || &new_hash != new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
