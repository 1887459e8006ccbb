//! The node's trust services (トラストサービス, issue 9), server side: the `did:web` identities of
//! the node and of its organizations, their DID documents from the stored keys, issuing a
//! credential as an organization ([`issue`]: its current key signs, an entry of its revocation
//! status list is allocated and recorded), the organizations' status-list credentials, and the
//! key and status sources verification uses. The credential formats themselves are
//! `junkan_credential`'s; the keys and entries are the store's. See docs/trust.md.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use time::OffsetDateTime;

use junkan_credential::did::public_key_jwk;
use junkan_credential::vc::{format_time, CREDENTIALS_V2_CONTEXT, VERIFIABLE_CREDENTIAL_TYPE};
use junkan_credential::{
    did_web, issue_vc_jwt, status_list_credential, DidDocument, IssuerKey, StatusList, StatusListEntry, StatusPurpose,
    VerificationMethod,
};
use junkan_model::ids::OrganizationId;
use junkan_model::principal::Actor;
use junkan_store::{IssuedCredential, KeyOwner, NewIssuedCredential, TrustKey};

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The `type` every credential of a record carries besides `VerifiableCredential`.
pub const RECORD_CREDENTIAL_TYPE: &str = "JunkanRecordCredential";

/// How long a served status-list credential is valid: verifiers fetch it again after.
pub const STATUS_LIST_VALIDITY: time::Duration = time::Duration::days(1);

/// The host of the node's base URL as a did:web host (`host`, or `host:port` with the port
/// percent-encoded by `did_web`).
fn did_host(state: &AppState) -> String {
    let base = &state.settings.issuer;
    let without_scheme = base.split_once("://").map_or(base.as_str(), |(_, rest)| rest);
    without_scheme.split('/').next().unwrap_or_default().to_owned()
}

/// The node's DID: `did:web:<host of the base URL>` (document at `/.well-known/did.json`).
pub fn node_did(state: &AppState) -> String {
    did_web(&did_host(state), &[])
}

/// An organization's DID: `did:web:<host>:organizations:<id>` (document at
/// `/organizations/<id>/did.json`).
pub fn organization_did(state: &AppState, organization: OrganizationId) -> String {
    did_web(&did_host(state), &["organizations", &organization.to_string()])
}

/// The organization a DID of this node names, if it is one (`None` for the node's own DID and
/// for foreign DIDs).
pub fn organization_of_did(state: &AppState, did: &str) -> Option<OrganizationId> {
    let prefix = format!("{}:organizations:", node_did(state));
    did.strip_prefix(&prefix)?.parse().ok()
}

/// Where an organization's revocation status list is served.
pub fn status_list_url(state: &AppState, organization: OrganizationId) -> String {
    format!("{}/credentials/status/{organization}", state.settings.issuer)
}

/// The verification method of a stored key in the document of `did` (`did#<kid>`).
pub fn verification_method(did: &str, key: &TrustKey) -> ApiResult<VerificationMethod> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&key.public_key)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ApiError::internal(&format!("stored public key {} is not 32 bytes", key.kid)))?;
    let public_key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|error| ApiError::internal(&format!("stored public key {}: {error}", key.kid)))?;
    Ok(VerificationMethod {
        id: format!("{did}#{}", key.kid),
        controller: did.to_owned(),
        public_key,
        // A JWS carries whole seconds (`iat`): a key made within a second signs from its start.
        valid_from: Some(key.created_at.replace_nanosecond(0).unwrap_or(key.created_at)),
        retired_at: key.retired_at,
    })
}

fn document_of(did: &str, keys: &[TrustKey]) -> ApiResult<DidDocument> {
    let methods = keys
        .iter()
        .map(|key| verification_method(did, key))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(DidDocument::new(did, methods))
}

/// The node's DID document: every node key (those retired marked `revoked`), so that anyone can
/// verify what the node signed, among it the log's signed tree heads (`key_id` = the fragment).
pub async fn node_document(state: &AppState) -> ApiResult<DidDocument> {
    let keys = state.store.trust_keys(KeyOwner::Node).await?;
    document_of(&node_did(state), &keys)
}

/// An organization's DID document: every key it has had (none before its first credential).
/// Organizations are public directory entries, so an unknown one is 404.
pub async fn organization_document(state: &AppState, organization: OrganizationId) -> ApiResult<DidDocument> {
    state.store.get_organization(organization).await?;
    let keys = state.store.trust_keys(KeyOwner::Organization(organization)).await?;
    document_of(&organization_did(state, organization), &keys)
}

/// The signing key of a stored key record, named by its DID URL in the document of `did`.
pub fn issuer_key(did: &str, key: &TrustKey) -> ApiResult<IssuerKey> {
    let seed: [u8; 32] = STANDARD
        .decode(&key.secret)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ApiError::internal(&format!("stored key {} is not a 32-byte seed", key.kid)))?;
    IssuerKey::from_seed(format!("{did}#{}", key.kid), &seed).map_err(|error| ApiError::internal(&error))
}

/// Now, in whole seconds: a JWS carries whole seconds (`iat`), so credentials state their times
/// as the signature does.
pub fn whole_second_now(state: &AppState) -> OffsetDateTime {
    let now = state.store.now();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A credential before its status and signature: `id`, `type` (`VerifiableCredential` and
/// `types`), `issuer`, `validFrom` and the subject.
fn unsigned_credential(id: &str, types: &[&str], issuer: &str, issued_at: OffsetDateTime, subject: Value) -> Value {
    let mut all_types = vec![Value::from(VERIFIABLE_CREDENTIAL_TYPE)];
    all_types.extend(types.iter().copied().map(Value::from));
    json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": id,
        "type": all_types,
        "issuer": issuer,
        "validFrom": format_time(issued_at),
        "credentialSubject": subject,
    })
}

/// What to issue as an organization.
#[derive(Debug, Clone)]
pub struct Issue {
    /// The kind of what the credential is about (`passport`, `conformity`, ...), recorded with
    /// its status-list entry.
    pub record_kind: String,
    /// The id of what it is about.
    pub record_id: String,
    /// Its version, for versioned records.
    pub record_version: Option<i64>,
    /// Credential types besides `VerifiableCredential` (e.g. `JunkanRecordCredential`).
    pub types: Vec<String>,
    /// The `credentialSubject` (a JSON object).
    pub subject: Value,
    /// `validUntil`, if any (`validFrom` is the time of issue).
    pub valid_until: Option<OffsetDateTime>,
    /// Whether the store keeps the signed credential with its entry (e.g. a capture's signature).
    pub keep_signed: bool,
}

/// A credential issued: its stored entry, the signed `vc+jwt` and the credential it carries.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The stored entry (id, status index, key).
    pub entry: IssuedCredential,
    /// The compact JWS (`typ: vc+jwt`).
    pub jwt: String,
    /// The credential (the JWS payload less `iat`).
    pub credential: Value,
}

/// Issues a `vc+jwt` as `issuer`: its current key signs (made on first use), a free entry of
/// its revocation status list goes into `credentialStatus`, and the entry is recorded by the
/// store as `actor`'s write (audited, logged). The caller decides whether `actor` may have the
/// issuer state this (a record the actor has read; a certifier's own certificate).
pub async fn issue(state: &AppState, actor: &Actor, issuer: OrganizationId, request: Issue) -> ApiResult<Issued> {
    let key = state.store.organization_signing_key(actor, issuer).await?;
    let did = organization_did(state, issuer);
    let signing_key = issuer_key(&did, &key)?;
    let issued_at = whole_second_now(state);
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let types: Vec<&str> = request.types.iter().map(String::as_str).collect();
    let mut credential = unsigned_credential(&id, &types, &did, issued_at, request.subject);
    if let Some(valid_until) = request.valid_until {
        credential["validUntil"] = Value::from(format_time(valid_until));
    }
    let list_url = status_list_url(state, issuer);
    let with_status = |index: u32| {
        let mut credential = credential.clone();
        credential["credentialStatus"] = status_entry(&list_url, index);
        credential
    };
    let sign =
        |index: u32| issue_vc_jwt(&with_status(index), &signing_key, issued_at).map_err(|error| error.to_string());
    let new = NewIssuedCredential {
        id,
        issuer,
        record_kind: request.record_kind,
        record_id: request.record_id,
        record_version: request.record_version,
        key_id: key.kid.clone(),
        issued_at,
        valid_until: request.valid_until,
        keep_signed: request.keep_signed,
    };
    let (entry, jwt) = state.store.issue_credential(actor, new, &sign).await?;
    let credential = with_status(entry.status_index);
    Ok(Issued { entry, jwt, credential })
}

/// The `credentialStatus` entry at `index` of the revocation list at `list_url`.
pub fn status_entry(list_url: &str, index: u32) -> Value {
    StatusListEntry {
        status_list_credential: list_url.to_owned(),
        status_list_index: u64::from(index),
        status_purpose: StatusPurpose::Revocation,
    }
    .to_json()
}

/// The revocation status-list credential of `organization`, signed now with its current key
/// (valid for [`STATUS_LIST_VALIDITY`]). 404 when the organization has never had a key (it has
/// issued nothing).
pub async fn status_list_jwt(state: &AppState, organization: OrganizationId) -> ApiResult<String> {
    let keys = state.store.trust_keys(KeyOwner::Organization(organization)).await?;
    let Some(key) = keys.iter().find(|key| key.retired_at.is_none()) else {
        return Err(ApiError::not_found(format!(
            "organization {organization} has issued no credentials"
        )));
    };
    let did = organization_did(state, organization);
    let mut list = StatusList::new();
    for index in state.store.revoked_status_indexes(organization).await? {
        list.set(u64::from(index), true)
            .map_err(|error| ApiError::internal(&error))?;
    }
    let now = whole_second_now(state);
    let url = status_list_url(state, organization);
    let credential = status_list_credential(
        &url,
        &did,
        StatusPurpose::Revocation,
        &list,
        now,
        Some(now + STATUS_LIST_VALIDITY),
    );
    issue_vc_jwt(&credential, &issuer_key(&did, key)?, now).map_err(|error| ApiError::internal(&error))
}

/// The public JWK set of an owner's keys (`kid` = the DID URL).
pub fn jwks(document: &DidDocument) -> Value {
    document.jwks()
}

/// The public JWK of a stored key (for the admin command's output).
pub fn public_jwk(key: &TrustKey) -> ApiResult<Value> {
    Ok(public_key_jwk(
        &verification_method("did:web:localhost", key)?.public_key,
    ))
}

/// The `type` of a signed capture's credential.
pub const CAPTURE_CREDENTIAL_TYPE: &str = "JunkanEPCISCaptureCredential";

/// Signs an EPCIS capture as the capturing organization, when the node signs captures and the
/// capture stored events with the log on: a credential whose subject is the capture (id, count
/// of events stored, and `eventsRoot`, the RFC 9162 Merkle tree hash over the stored events'
/// digests in capture order, the value the capture's leaf of the tamper-evident log commits
/// to), kept with the job (`GET /epcis/capture/{id}/credential`). A partner holding an event and
/// its path (`GET /api/v1/log/inclusion?kind=event`) checks it against the signed root.
pub async fn sign_capture(
    state: &AppState,
    actor: &Actor,
    job: &junkan_model::event::CaptureJob,
) -> ApiResult<Option<Issued>> {
    let (true, Some(root), Some(owner)) = (state.settings.sign_captures, job.events_root, job.owner_organization_id)
    else {
        return Ok(None);
    };
    if job.captured_count == 0 {
        return Ok(None);
    }
    let id = job.capture_id.to_string();
    let subject = json!({
        "id": format!("{}/epcis/capture/{id}", state.settings.issuer),
        "type": "EPCISCapture",
        "captureId": id,
        "eventCount": job.captured_count,
        "eventsRoot": junkan_translog::to_hex(&root),
        "eventsTree": "RFC 9162 Merkle tree hash (SHA-256) over the stored events' digests in capture order (docs/log.md)",
    });
    issue(
        state,
        actor,
        owner,
        Issue {
            record_kind: "capture".to_owned(),
            record_id: id,
            record_version: None,
            types: vec![CAPTURE_CREDENTIAL_TYPE.to_owned()],
            subject,
            valid_until: None,
            keep_signed: true,
        },
    )
    .await
    .map(Some)
}

/// The key the node signs with now (its newest key in use) as an issuer key of its DID. Read
/// from the store each time, so that a rotation takes effect at once.
pub async fn node_issuer_key(state: &AppState) -> ApiResult<IssuerKey> {
    let keys = state.store.trust_keys(KeyOwner::Node).await?;
    let key = keys
        .iter()
        .find(|key| key.retired_at.is_none())
        .ok_or_else(|| ApiError::internal(&"the node has no signing key in use"))?;
    issuer_key(&node_did(state), key)
}

/// A credential the node issued about its own configuration.
#[derive(Debug, Clone)]
pub struct NodeIssued {
    /// Its id (`urn:uuid:...`).
    pub id: String,
    /// The compact JWS (`typ: vc+jwt`).
    pub jwt: String,
    /// The credential (the JWS payload less `iat`).
    pub credential: Value,
}

/// Issues a `vc+jwt` as the node (`did:web:<host>`, its current key): the node's statements
/// about its own configuration (profile versions, industries, certificate schemes, peers, the
/// partnership's secretariat). They carry no revocation status: what they state is either
/// immutable (a profile version) or checked against what the node holds when verified (the
/// `record` check), and no organization's status list may speak for the node. Nothing is
/// written: there is no entry to revoke.
pub async fn issue_as_node(state: &AppState, types: &[&str], subject: Value) -> ApiResult<NodeIssued> {
    let signing_key = node_issuer_key(state).await?;
    let issued_at = whole_second_now(state);
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let credential = unsigned_credential(&id, types, &node_did(state), issued_at, subject);
    let jwt = issue_vc_jwt(&credential, &signing_key, issued_at).map_err(|error| ApiError::internal(&error))?;
    Ok(NodeIssued { id, jwt, credential })
}
