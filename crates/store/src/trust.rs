//! The types of the trust services' storage (issue 9): signing keys of the node and of
//! organizations with their retirement, and the credentials organizations issued with their
//! revocation status-list entries. See docs/trust.md.

use time::OffsetDateTime;

use junkan_model::ids::OrganizationId;

/// The number of entries of an issuer's revocation status list (the Bitstring Status List's
/// minimum of 16 KiB, 131,072 bits, so that one entry hides among many).
pub const STATUS_LIST_LENGTH: u32 = 131_072;

/// Whose signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner {
    /// The node: access tokens, the log's tree heads, the node's DID document.
    Node,
    /// A hosted organization: the credentials it issues, its DID document.
    Organization(OrganizationId),
}

/// A stored Ed25519 signing key with its owner and retirement.
#[derive(Clone, PartialEq)]
pub struct TrustKey {
    /// Key id (`kid`), also the fragment of its verification method in the DID document.
    pub kid: String,
    /// Ed25519 secret key seed, base64 (standard alphabet). Never leaves the node.
    pub secret: String,
    /// Ed25519 public key, base64url without padding (a JWK's `x`).
    pub public_key: String,
    /// `None` for the node's keys.
    pub organization_id: Option<OrganizationId>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When a rotation retired it: it signs nothing after, and a signature it made after this
    /// time does not verify. `None` while in use.
    pub retired_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for TrustKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secret keys never reach logs.
        formatter
            .debug_struct("TrustKey")
            .field("kid", &self.kid)
            .field("public_key", &self.public_key)
            .field("organization_id", &self.organization_id)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// A credential about to be issued: what the store records of it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIssuedCredential {
    /// The credential's id (`urn:uuid:...`).
    pub id: String,
    /// The issuing organization (whose key signs and whose status list holds its entry).
    pub issuer: OrganizationId,
    /// What it is about: a record kind (`passport`, `footprint`, ... or a kind another part of
    /// the node defines, e.g. `conformity`).
    pub record_kind: String,
    /// The record's id.
    pub record_id: String,
    /// The record's version, for versioned records (passports).
    pub record_version: Option<i64>,
    /// The key that signs it (the issuer's current key).
    pub key_id: String,
    /// When it is issued (its `validFrom` and `iat`).
    pub issued_at: OffsetDateTime,
    /// Its `validUntil`, if any.
    pub valid_until: Option<OffsetDateTime>,
    /// Whether the signed credential is kept with the entry (the signature of an EPCIS capture
    /// is part of that record; exports are signed on request and not kept).
    pub keep_signed: bool,
}

/// A credential an organization issued, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredential {
    /// The credential's id (`urn:uuid:...`).
    pub id: String,
    /// The issuing organization.
    pub issuer: OrganizationId,
    /// Its index in the issuer's revocation status list.
    pub status_index: u32,
    /// What it is about.
    pub record_kind: String,
    /// The record's id.
    pub record_id: String,
    /// The record's version, if any.
    pub record_version: Option<i64>,
    /// The key that signed it.
    pub key_id: String,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// Its `validUntil`, if any.
    pub valid_until: Option<OffsetDateTime>,
    /// The signed credential, when kept.
    pub credential: Option<String>,
    /// When the issuer revoked it.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Signs a credential once the store has drawn its status-list index: given the index, returns
/// the signed credential (or why it could not be signed).
pub type SignWithIndex<'a> = &'a (dyn Fn(u32) -> Result<String, String> + Send + Sync);

/// Where a record stands in the tamper-evident log: its latest leaf (for an EPCIS event, the
/// leaf of the capture that stored it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafReference {
    /// The leaf's index.
    pub index: u64,
    /// The leaf's record kind (`capture` for an event).
    pub record_kind: String,
    /// The leaf's record id (the capture id for an event).
    pub record_id: String,
    /// The content digest the leaf commits to.
    pub digest: junkan_translog::Hash,
}
