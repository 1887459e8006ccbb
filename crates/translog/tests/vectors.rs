//! The Merkle tree functions against the RFC 6962 test vectors of certificate-transparency (the
//! eight standard leaves, their roots, audit paths and consistency proofs) and against a
//! brute-force reference written straight from the RFC's recursive definitions.

use junkan_translog::{
    consistency_proof, empty_root, from_hex, inclusion_proof, leaf_hash, node_hash, root, to_hex, verify_consistency,
    verify_inclusion, Hash, ProofError,
};

/// The eight leaves of certificate-transparency's `merkle_tree_test.cc`.
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The roots of the trees of the first 1..=8 of those leaves.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn hash(text: &str) -> Hash {
    from_hex(text).expect("64 hex digits")
}

fn leaf_hashes() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|leaf| leaf_hash(&hex::decode(leaf).expect("hex leaf")))
        .collect()
}

/// MTH straight from RFC 6962 §2.1, over the leaves' bytes.
fn reference_root(leaves: &[Vec<u8>]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaf_hash(&leaves[0]),
        n => {
            let k = (0..)
                .map(|power| 1usize << power)
                .take_while(|k| *k < n)
                .last()
                .expect("n > 1");
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

/// Leaves `0..count` of a longer tree than the standard one, for the brute-force checks.
fn many_leaves(count: usize) -> Vec<Vec<u8>> {
    (0..count).map(|index| format!("leaf {index}").into_bytes()).collect()
}

#[test]
fn the_empty_tree_and_the_standard_roots() {
    assert_eq!(
        to_hex(&empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(root(&[]), empty_root());
    let hashes = leaf_hashes();
    let bytes: Vec<Vec<u8>> = LEAVES.iter().map(|leaf| hex::decode(leaf).expect("hex")).collect();
    for size in 1..=8 {
        assert_eq!(to_hex(&root(&hashes[..size])), ROOTS[size - 1], "root of {size} leaves");
        assert_eq!(
            to_hex(&reference_root(&bytes[..size])),
            ROOTS[size - 1],
            "reference root of {size}"
        );
    }
}

#[test]
fn the_standard_audit_paths() {
    let hashes = leaf_hashes();
    let cases: [(usize, usize, &[&str]); 6] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            4,
            5,
            &["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
        ),
    ];
    for (index, size, expected) in cases {
        let path = inclusion_proof(&hashes[..size], index).expect("index inside");
        let path_text: Vec<String> = path.iter().map(to_hex).collect();
        assert_eq!(path_text, expected, "path of leaf {index} in {size}");
        let tree_root = hash(ROOTS[size - 1]);
        assert_eq!(
            verify_inclusion(index as u64, size as u64, &hashes[index], &path, &tree_root),
            Ok(())
        );
    }
}

#[test]
fn the_standard_consistency_proofs() {
    let hashes = leaf_hashes();
    let cases: [(usize, usize, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old_size, new_size, expected) in cases {
        let proof = consistency_proof(&hashes[..new_size], old_size).expect("old size inside");
        let proof_text: Vec<String> = proof.iter().map(to_hex).collect();
        assert_eq!(proof_text, expected, "proof {old_size} -> {new_size}");
        assert_eq!(
            verify_consistency(
                old_size as u64,
                new_size as u64,
                &hash(ROOTS[old_size - 1]),
                &hash(ROOTS[new_size - 1]),
                &proof
            ),
            Ok(())
        );
    }
}

/// Every leaf of every tree up to 40 leaves: the path verifies against the reference root, and
/// a changed leaf, a changed sibling, a wrong index or a shortened path do not. (A wrong size
/// may pass: the path of leaf 0 of 3 leaves is also a valid path shape in 4 leaves; the size is
/// bound by the signed tree head, not by the path.)
#[test]
fn every_inclusion_proof_up_to_forty_leaves() {
    let leaves = many_leaves(40);
    let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
    for size in 1..=40usize {
        let tree_root = reference_root(&leaves[..size]);
        assert_eq!(root(&hashes[..size]), tree_root);
        for index in 0..size {
            let path = inclusion_proof(&hashes[..size], index).expect("inside");
            let (index64, size64) = (index as u64, size as u64);
            assert_eq!(
                verify_inclusion(index64, size64, &hashes[index], &path, &tree_root),
                Ok(())
            );
            let other_leaf = leaf_hash(b"not in the tree");
            assert!(verify_inclusion(index64, size64, &other_leaf, &path, &tree_root).is_err());
            if let Some(first) = path.first() {
                let mut changed = path.clone();
                changed[0] = node_hash(first, first);
                assert!(verify_inclusion(index64, size64, &hashes[index], &changed, &tree_root).is_err());
                assert!(verify_inclusion(index64, size64, &hashes[index], &path[1..], &tree_root).is_err());
            }
            if size > 1 {
                let other_index = (index + 1) % size;
                assert!(verify_inclusion(other_index as u64, size64, &hashes[index], &path, &tree_root).is_err());
            }
        }
        assert_eq!(inclusion_proof(&hashes[..size], size), None);
        assert_eq!(
            verify_inclusion(size as u64, size as u64, &hashes[0], &[], &tree_root),
            Err(ProofError::IndexOutOfRange {
                index: size as u64,
                size: size as u64
            })
        );
    }
}

/// Every pair of sizes up to 40 leaves: the proof verifies against the reference roots; another
/// old root, another new root or a changed proof hash do not.
#[test]
fn every_consistency_proof_up_to_forty_leaves() {
    let leaves = many_leaves(40);
    let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
    let roots: Vec<Hash> = (0..=40).map(|size| reference_root(&leaves[..size])).collect();
    for new_size in 0..=40usize {
        for old_size in 0..=new_size {
            let proof = consistency_proof(&hashes[..new_size], old_size).expect("inside");
            let (old64, new64) = (old_size as u64, new_size as u64);
            assert_eq!(
                verify_consistency(old64, new64, &roots[old_size], &roots[new_size], &proof),
                Ok(()),
                "{old_size} -> {new_size}"
            );
            if old_size > 0 && old_size < new_size {
                let wrong = leaf_hash(b"wrong");
                assert!(verify_consistency(old64, new64, &wrong, &roots[new_size], &proof).is_err());
                assert!(verify_consistency(old64, new64, &roots[old_size], &wrong, &proof).is_err());
                for position in 0..proof.len() {
                    let mut changed = proof.clone();
                    changed[position] = wrong;
                    assert!(verify_consistency(old64, new64, &roots[old_size], &roots[new_size], &changed).is_err());
                }
                assert!(verify_consistency(old64, new64, &roots[old_size], &roots[new_size], &proof[1..]).is_err());
            }
        }
        assert_eq!(consistency_proof(&hashes[..new_size], new_size + 1), None);
    }
    assert_eq!(
        verify_consistency(3, 2, &roots[3], &roots[2], &[]),
        Err(ProofError::SizesOutOfOrder {
            old_size: 3,
            new_size: 2
        })
    );
}
