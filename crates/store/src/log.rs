//! The types of the tamper-evident log (改ざん検知可能な記録) as the store hands them out: stored
//! leaves, signed tree heads, inclusion proofs of records and the report of a verification. The
//! Merkle math is `junkan-translog`'s; `docs/log.md` describes the log.

use junkan_translog::{Hash, Leaf, TreeHead};

/// A signed tree head as stored: its place in the history and the head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTreeHead {
    /// Position in the history of tree heads, from 1.
    pub sequence: i64,
    /// The signed head.
    pub head: TreeHead,
}

/// Where a record sits in the log: the leaf that committed its current content, the audit path
/// of that leaf in a tree, and for an EPCIS event the audit path of its digest in its capture's
/// tree of events (the leaf's digest commits to that tree's root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInclusion {
    /// The latest leaf of the record (for an event, its capture's leaf).
    pub leaf: Leaf,
    /// The leaf's hash.
    pub leaf_hash: Hash,
    /// The size of the tree the path leads to the root of.
    pub tree_size: u64,
    /// That tree's root hash.
    pub root: Hash,
    /// The leaf's audit path in that tree (RFC 9162 §2.1.3).
    pub path: Vec<Hash>,
    /// For an event: where its digest sits among its capture's events.
    pub member: Option<MemberInclusion>,
}

/// An event's digest inside its capture's leaf: the leaf's content digest is derived from the
/// Merkle tree hash over the digests of the capture's events in capture order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInclusion {
    /// The event's digest (a leaf of the capture's tree, hashed as a leaf).
    pub digest: Hash,
    /// The event's position among the capture's stored events.
    pub index: u64,
    /// How many events the capture stored.
    pub count: u64,
    /// The root of the capture's tree of events.
    pub root: Hash,
    /// The audit path of the event in that tree.
    pub path: Vec<Hash>,
}

/// One place where the store and its log disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDivergence {
    /// The leaf concerned, when there is one.
    pub leaf_index: Option<u64>,
    /// The record kind concerned (`log` for the log's own structure, `tree_head` for a head).
    pub record_kind: String,
    /// The record id (or the tree head's sequence).
    pub record_id: String,
    /// What is wrong, in a sentence.
    pub problem: String,
    /// What the log committed to (hexadecimal digest or a number), when it applies.
    pub expected: Option<String>,
    /// What the store holds now, when it applies.
    pub found: Option<String>,
}

/// What `Store::verify_log` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogReport {
    /// Leaves read.
    pub leaves: u64,
    /// Records whose content was recomputed.
    pub records: u64,
    /// Signed tree heads checked.
    pub tree_heads: u64,
    /// The current root hash (of all leaves read).
    pub root: Option<Hash>,
    /// Every divergence, the first one first (by leaf index, then those without a leaf).
    pub divergences: Vec<LogDivergence>,
}

impl LogReport {
    /// Whether the store matches its log.
    pub fn is_intact(&self) -> bool {
        self.divergences.is_empty()
    }
}
