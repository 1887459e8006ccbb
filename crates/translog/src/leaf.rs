//! A log leaf: what one write committed, in a canonical byte encoding that the leaf hash covers.

use sha2::{Digest, Sha256};

use crate::{leaf_hash, Hash};

/// One leaf of the log: a write of the store. Its `previous` member is the leaf hash of the leaf
/// before it (32 zero bytes for the first), so the leaves form a hash chain besides the tree:
/// a leaf deleted or changed breaks the chain at the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// Position in the log, from 0.
    pub index: u64,
    /// The leaf hash of leaf `index - 1`; zeros for leaf 0.
    pub previous: Hash,
    /// When the write happened, microseconds since the Unix epoch.
    pub at_micros: i64,
    /// What kind of record was written (`passport`, `capture`, ...).
    pub kind: String,
    /// The record's id.
    pub record_id: String,
    /// What was done (`create`, `update`, ...).
    pub action: String,
    /// The digest of the record's stored content after the write ([`digest_parts`] over its
    /// canonical rows, or for a capture the Merkle root of its events' digests).
    pub digest: Hash,
}

/// Why stored leaf bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    /// The bytes end early or have bytes left over.
    #[error("leaf bytes are truncated or have trailing bytes")]
    Malformed,
    /// The leaf's encoding version is unknown.
    #[error("leaf encoding version {0} is unknown")]
    UnknownVersion(u8),
}

/// The version byte every leaf encoding starts with.
const LEAF_VERSION: u8 = 1;

impl Leaf {
    /// The canonical bytes: a version byte, then every member in order, integers big-endian,
    /// texts as a 4-byte big-endian length and their UTF-8 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes =
            Vec::with_capacity(1 + 8 + 32 + 8 + 12 + self.kind.len() + self.record_id.len() + self.action.len() + 32);
        bytes.push(LEAF_VERSION);
        bytes.extend_from_slice(&self.index.to_be_bytes());
        bytes.extend_from_slice(&self.previous);
        bytes.extend_from_slice(&self.at_micros.to_be_bytes());
        for text in [&self.kind, &self.record_id, &self.action] {
            let length = u32::try_from(text.len()).expect("a leaf text is shorter than 4 GiB");
            bytes.extend_from_slice(&length.to_be_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
        bytes.extend_from_slice(&self.digest);
        bytes
    }

    /// Reads the bytes [`Leaf::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Leaf, LeafError> {
        let mut reader = Reader(bytes);
        let version = reader.take(1)?[0];
        if version != LEAF_VERSION {
            return Err(LeafError::UnknownVersion(version));
        }
        let index = u64::from_be_bytes(reader.array()?);
        let previous = reader.array()?;
        let at_micros = i64::from_be_bytes(reader.array()?);
        let kind = reader.text()?;
        let record_id = reader.text()?;
        let action = reader.text()?;
        let digest = reader.array()?;
        if !reader.0.is_empty() {
            return Err(LeafError::Malformed);
        }
        Ok(Leaf {
            index,
            previous,
            at_micros,
            kind,
            record_id,
            action,
            digest,
        })
    }

    /// `SHA-256(0x00 || encode())`, the leaf's hash in the tree and the next leaf's `previous`.
    pub fn hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, count: usize) -> Result<&[u8], LeafError> {
        if self.0.len() < count {
            return Err(LeafError::Malformed);
        }
        let (head, rest) = self.0.split_at(count);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], LeafError> {
        self.take(N)?.try_into().map_err(|_| LeafError::Malformed)
    }

    fn text(&mut self) -> Result<String, LeafError> {
        let length = u32::from_be_bytes(self.array()?) as usize;
        String::from_utf8(self.take(length)?.to_vec()).map_err(|_| LeafError::Malformed)
    }
}

/// SHA-256 over `parts`, each preceded by its length (8 bytes, big-endian), so that no two lists
/// of parts share a digest: the digest of a record's canonical content.
pub fn digest_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf() -> Leaf {
        Leaf {
            index: 7,
            previous: [3; 32],
            at_micros: 1_775_034_000_000_000,
            kind: "passport".to_owned(),
            record_id: "0194f0c2-0000-7000-8000-000000000001".to_owned(),
            action: "update".to_owned(),
            digest: [9; 32],
        }
    }

    #[test]
    fn encoding_round_trips_and_every_member_changes_the_hash() {
        let original = leaf();
        assert_eq!(Leaf::decode(&original.encode()), Ok(original.clone()));
        let changes: [fn(&mut Leaf); 7] = [
            |leaf| leaf.index += 1,
            |leaf| leaf.previous[0] ^= 1,
            |leaf| leaf.at_micros += 1,
            |leaf| leaf.kind.push('s'),
            |leaf| leaf.record_id.pop().map(drop).unwrap_or(()),
            |leaf| leaf.action = "create".to_owned(),
            |leaf| leaf.digest[31] ^= 1,
        ];
        for change in changes {
            let mut changed = original.clone();
            change(&mut changed);
            assert_ne!(changed.hash(), original.hash(), "{changed:?}");
        }
    }

    #[test]
    fn truncated_or_padded_bytes_are_refused() {
        let bytes = leaf().encode();
        assert_eq!(Leaf::decode(&bytes[..bytes.len() - 1]), Err(LeafError::Malformed));
        let mut padded = bytes.clone();
        padded.push(0);
        assert_eq!(Leaf::decode(&padded), Err(LeafError::Malformed));
        let mut other_version = bytes;
        other_version[0] = 2;
        assert_eq!(Leaf::decode(&other_version), Err(LeafError::UnknownVersion(2)));
    }

    #[test]
    fn parts_are_length_delimited() {
        assert_ne!(
            digest_parts([b"ab".as_slice(), b"c"]),
            digest_parts([b"a".as_slice(), b"bc"])
        );
        assert_ne!(digest_parts([b"".as_slice()]), digest_parts([]));
    }
}
