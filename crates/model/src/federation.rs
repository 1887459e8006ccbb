//! Federation between junkan nodes (ノード間連携, issue 10 item 4): peer nodes, organizations of
//! peers known locally by their DID, access requests sent to a peer and the records received from
//! one with their credentials. The messages themselves are signed per RFC 9421
//! (`junkan_credential::http_signature`); see docs/federation.md.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{OrganizationId, PeerId, ReceivedRecordId, RemoteRequestId};
use crate::sharing::NewAccessRequest;
use crate::validation::{Violation, Violations};

/// A peer node (連携ノード) registered by this node's administrators: its base URL and its
/// did:web identity, read from `{base_url}/.well-known/did.json` when it was registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Peer {
    /// Identifier on this node.
    pub id: PeerId,
    /// The peer's public base URL (its `issuer`), e.g. `https://junkan.recycler.example`.
    pub base_url: String,
    /// The peer node's DID, `did:web:<host>`.
    pub did: String,
    /// The peer's DID document as fetched at registration.
    #[schema(value_type = Object)]
    pub did_document: Value,
    /// Who registered it (principal id).
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A request to register a peer node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPeer {
    /// The peer's base URL: `https://host[:port][/prefix]`, or `http://` on a loopback host
    /// (127.0.0.1, ::1, localhost) for tests.
    pub base_url: String,
}

impl NewPeer {
    /// The base URL without a trailing `/`, or the violation at `/base_url`.
    pub fn normalized_base_url(&self) -> Result<String, Vec<Violation>> {
        let url = self.base_url.trim().trim_end_matches('/');
        let mut violations = Violations::new();
        violations.check("/base_url", check_base_url(url));
        violations.into_result().map(|()| url.to_owned())
    }
}

/// Checks a peer base URL: absolute http(s), no query or fragment, `http` only on loopback.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "must be an absolute URL (https://host[:port])".to_owned())?;
    if url.contains(['?', '#']) || url.chars().any(char::is_whitespace) {
        return Err("must have no query, fragment or spaces".to_owned());
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => authority,
    };
    if host.is_empty() || authority.contains('@') {
        return Err("must name a host (no user information)".to_owned());
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[::1]") => Ok(()),
        "http" => Err("must use https (http is accepted on a loopback host only)".to_owned()),
        _ => Err("must use https".to_owned()),
    }
}

/// An organization of a peer node, known on this node by its DID so that grants, access
/// requests, standing rules and the audit log name it like a local one: it has a row in the
/// organization directory, and this link to its DID and peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RemoteOrganization {
    /// Its id on this node (a row of the organization directory).
    pub organization_id: OrganizationId,
    /// Its DID, `did:web:<peer host>:organizations:<id on the peer>`.
    pub did: String,
    /// The peer node it acts through.
    pub peer_id: PeerId,
    /// When this node first met it.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An access request sent to a peer node (`POST /api/v1/remote-requests`).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRemoteRequest {
    /// The peer node of the provider.
    pub peer_id: PeerId,
    /// The access request as the provider's node takes it (`owner_organization_id` is the
    /// provider organization's id on its node, as its catalog names it).
    pub request: NewAccessRequest,
}

/// An access request this node's organization sent to a peer node, and what the peer last said
/// about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemoteRequest {
    /// Identifier on this node.
    pub id: RemoteRequestId,
    /// The requesting organization (of this node).
    pub organization_id: OrganizationId,
    /// The provider's node.
    pub peer_id: PeerId,
    /// The provider organization's DID.
    pub provider_did: String,
    /// The request's id on the provider's node.
    pub remote_id: String,
    /// The request as sent.
    #[schema(value_type = Object)]
    pub request: Value,
    /// Its state as the provider last reported it (pending, approved, narrowed, refused,
    /// withdrawn, revoked, expired).
    pub state: String,
    /// The grant the provider's decision created, as the provider reported it.
    pub grant_id: Option<String>,
    /// The provider's answer as last fetched.
    #[schema(value_type = Object)]
    pub remote: Value,
    /// Who sent it (principal id).
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the provider's answer was last fetched.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What to pull under a remote request (`POST /api/v1/remote-requests/{id}/pull`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullRecords {
    /// The record ids to pull (1-100); the ids the request named when absent. When neither names
    /// any (a grant of a whole kind or class), the pull takes the next page of what the grant
    /// covers, as the provider lists it.
    #[serde(default)]
    pub record_ids: Option<Vec<String>>,
    /// Paging a grant of a kind or class: continue after this record id (`next_after` of the
    /// previous pull).
    #[serde(default)]
    pub after: Option<String>,
    /// Paging a grant of a kind or class: at most this many records (1-100, default 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A record pulled from a peer node: the provider's verifiable credential of it, verified against
/// the provider's published DID document when it was received, kept with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReceivedRecord {
    /// Identifier on this node.
    pub id: ReceivedRecordId,
    /// The receiving organization (of this node).
    pub organization_id: OrganizationId,
    /// The provider's node.
    pub peer_id: PeerId,
    /// The remote request it was pulled under.
    pub remote_request_id: Option<RemoteRequestId>,
    /// The issuer: the provider organization's DID.
    pub provider_did: String,
    /// The record's kind (passport, event, footprint, ...).
    pub record_kind: String,
    /// The record's id on the provider's node.
    pub record_id: String,
    /// The record's version, when it has versions.
    pub record_version: Option<i64>,
    /// The provider's grant it was read under, as the provider reported it.
    pub grant_id: Option<String>,
    /// The credential (`vc+jwt`) as received.
    pub credential: String,
    /// The credential's id.
    pub credential_id: Option<String>,
    /// The DID URL of the key that signed it.
    pub issuer_key_id: String,
    /// The record's content as the credential states it (`credentialSubject`).
    #[schema(value_type = Object)]
    pub subject: Value,
    /// When the credential was verified (signature, key, issuer, validity, status).
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
}

/// A new received record, as the store writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReceivedRecord {
    /// The provider's node.
    pub peer_id: PeerId,
    /// The remote request.
    pub remote_request_id: Option<RemoteRequestId>,
    /// The issuer DID.
    pub provider_did: String,
    /// Kind.
    pub record_kind: String,
    /// Id.
    pub record_id: String,
    /// Version.
    pub record_version: Option<i64>,
    /// Grant.
    pub grant_id: Option<String>,
    /// The credential.
    pub credential: String,
    /// Its id.
    pub credential_id: Option<String>,
    /// The signing key.
    pub issuer_key_id: String,
    /// The subject.
    pub subject: Value,
    /// When verified.
    pub verified_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(check_base_url("https://junkan.example.jp").is_ok());
        assert!(check_base_url("https://junkan.example.jp:8443/node").is_ok());
        assert!(check_base_url("http://127.0.0.1:4100").is_ok());
        assert!(check_base_url("http://localhost:4100").is_ok());
        assert!(check_base_url("http://junkan.example.jp").is_err());
        assert!(check_base_url("ftp://junkan.example.jp").is_err());
        assert!(check_base_url("junkan.example.jp").is_err());
        assert!(check_base_url("https://user@junkan.example.jp").is_err());
        assert!(check_base_url("https://junkan.example.jp/?x=1").is_err());
        let new = NewPeer {
            base_url: " https://a.example/ ".to_owned(),
        };
        assert_eq!(new.normalized_base_url().expect("test value"), "https://a.example");
    }
}

/// A part bought from an organization of a peer node (ノード間の調達): the cross-node
/// counterpart of an Ouranos trade answered by the supplier. The buyer names its own part, the
/// peer, the supplier organization's DID and the supplier's part there (its trace id, as the
/// supplier told it); the CFP roll-up asks that peer for the supplier's rolled-up value of the
/// part, signed as the buyer, under the supplier's grant (docs/federation.md §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemoteSupply {
    /// The buyer's part (trace id, a part of `organization_id`).
    pub trace_id: uuid::Uuid,
    /// The buyer organization (the part's operator).
    pub organization_id: OrganizationId,
    /// The peer node of the supplier.
    pub peer_id: PeerId,
    /// The supplier organization's DID, `did:web:<peer host>:organizations:<id>`.
    pub supplier_did: String,
    /// The supplier's part on its node (trace id).
    pub supplier_trace_id: uuid::Uuid,
    /// Who wrote the link last (principal id).
    pub created_by: String,
    /// When it was first written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last written.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The body of `PUT /api/v1/ouranos-remote-supplies/{trace_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRemoteSupply {
    /// The supplier's peer node (registered on this node).
    pub peer_id: PeerId,
    /// The supplier organization's DID on that peer.
    pub supplier_did: String,
    /// The supplier's part on its node (trace id).
    pub supplier_trace_id: uuid::Uuid,
}
