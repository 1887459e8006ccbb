//! Federation storage (issue 10 item 4): peer nodes, organizations of peers linked to their DID
//! (each a row of the organization directory, so that grants, requests and audit entries name it
//! like a local one, and `access::readable` stays the one read rule), the nonces of signed
//! requests, access requests sent to peers and records received from them. Every write is one
//! transaction with its audit entry and log leaf (`access::record`); the nonces are the
//! verifier's bookkeeping, not records, and expire with the signatures they protect.

use serde_json::Value;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::federation::{NewReceivedRecord, Peer, ReceivedRecord, RemoteOrganization, RemoteRequest};
use junkan_model::ids::{OrganizationId, PeerId, ReceivedRecordId, RemoteRequestId};
use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_store::{StoreError, StoreResult};

use crate::access::{record, require};
use crate::rows::{opt_int, opt_text, parsed, text, time, write_error};
use crate::{micros, unavailable, SqlStore};

const PEER_CONFLICTS: [(&str, &str, &str); 2] = [
    ("base_url", "/base_url", "a peer with this base URL is registered"),
    ("did", "/base_url", "a peer with this DID is registered"),
];

fn json_text(value: &Value) -> String {
    value.to_string()
}

fn json_of(row: &AnyRow, column: &str) -> StoreResult<Value> {
    parsed(&text(row, column)?, column, |text| serde_json::from_str::<Value>(text))
}

pub async fn create_peer(
    store: &SqlStore,
    actor: &Actor,
    base_url: &str,
    did: &str,
    document: &Value,
) -> StoreResult<Peer> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only node administrators register peer nodes",
    )?;
    let peer = Peer {
        id: PeerId::generate(),
        base_url: base_url.to_owned(),
        did: did.to_owned(),
        did_document: document.clone(),
        created_by: actor.principal_id.clone(),
        created_at: store.clock_now(),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO peers (id, base_url, did, did_document, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(peer.id.to_string())
    .bind(peer.base_url.clone())
    .bind(peer.did.clone())
    .bind(json_text(&peer.did_document))
    .bind(peer.created_by.clone())
    .bind(micros(peer.created_at))
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &PEER_CONFLICTS))?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Peer,
        &peer.id.to_string(),
        None,
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(peer)
}

fn peer_of(row: &AnyRow) -> StoreResult<Peer> {
    Ok(Peer {
        id: parsed(&text(row, "id")?, "peer id", str::parse)?,
        base_url: text(row, "base_url")?,
        did: text(row, "did")?,
        did_document: json_of(row, "did_document")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

pub async fn list_peers(store: &SqlStore) -> StoreResult<Vec<Peer>> {
    let rows = sqlx::query("SELECT * FROM peers ORDER BY created_at, id")
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    rows.iter().map(peer_of).collect()
}

pub async fn get_peer(store: &SqlStore, id: PeerId) -> StoreResult<Peer> {
    let row = sqlx::query("SELECT * FROM peers WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Peer,
            id: id.to_string(),
        })?;
    peer_of(&row)
}

pub async fn peer_by_did(store: &SqlStore, did: &str) -> StoreResult<Option<Peer>> {
    let row = sqlx::query("SELECT * FROM peers WHERE did = $1")
        .bind(did.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(peer_of).transpose()
}

fn remote_organization_of(row: &AnyRow) -> StoreResult<RemoteOrganization> {
    Ok(RemoteOrganization {
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        did: text(row, "did")?,
        peer_id: parsed(&text(row, "peer_id")?, "peer id", str::parse)?,
        created_at: time(row, "created_at")?,
    })
}

pub async fn remote_organization(store: &SqlStore, did: &str) -> StoreResult<Option<RemoteOrganization>> {
    let row = sqlx::query("SELECT * FROM remote_organizations WHERE did = $1")
        .bind(did.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(remote_organization_of).transpose()
}

pub async fn remote_organization_of_id(
    store: &SqlStore,
    organization: OrganizationId,
) -> StoreResult<Option<RemoteOrganization>> {
    let row = sqlx::query("SELECT * FROM remote_organizations WHERE organization_id = $1")
        .bind(organization.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(remote_organization_of).transpose()
}

/// The local record of an organization of `peer` met for the first time. `actor` is the
/// organization itself, identified by one of its keys (its `principal_id` is the key's DID URL
/// under `did`): a verified signature of that key, or (a Dataspace Protocol provider named in
/// the registered peer's catalog) the key listed in the DID document its peer publishes. Names and cycle roles are as its node's
/// public directory gives them.
pub async fn register_remote_organization(
    store: &SqlStore,
    actor: &Actor,
    peer: PeerId,
    did: &str,
    name_ja: &str,
    name_en: &str,
    roles: &[CycleRole],
) -> StoreResult<RemoteOrganization> {
    require(
        actor.kind == PrincipalKind::RemoteOrganization && actor.principal_id.starts_with(&format!("{did}#")),
        "an organization of a peer is registered when its own signed request arrives",
    )?;
    if let Some(known) = remote_organization(store, did).await? {
        return Ok(known);
    }
    let now = store.clock_now();
    let id = OrganizationId::generate();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO organizations (id, name_ja, name_en, organization_type, website, created_at, updated_at) \
         VALUES ($1, $2, $3, 'company', NULL, $4, $4)",
    )
    .bind(id.to_string())
    .bind(name_ja.to_owned())
    .bind(name_en.to_owned())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    for role in roles {
        sqlx::query("INSERT INTO organization_roles (organization_id, role) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(role.as_str())
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    let inserted = sqlx::query(
        "INSERT INTO remote_organizations (organization_id, did, peer_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (did) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(did.to_owned())
    .bind(peer.to_string())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    if inserted.rows_affected() == 0 {
        // Another request of the same organization registered it first.
        drop(transaction);
        return remote_organization(store, did)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: RecordKind::Organization,
                id: did.to_owned(),
            });
    }
    let organization_actor = Actor {
        organization_id: Some(id),
        ..actor.clone()
    };
    record(
        store,
        &mut transaction,
        &organization_actor,
        AuditAction::Create,
        RecordKind::Organization,
        &id.to_string(),
        Some(id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(RemoteOrganization {
        organization_id: id,
        did: did.to_owned(),
        peer_id: peer,
        created_at: now,
    })
}

/// Records the nonce of a verified signed request until `expires_at`; false when the key already
/// used it (a replay). Expired nonces are removed first.
pub async fn use_nonce(store: &SqlStore, key_id: &str, nonce: &str, expires_at: OffsetDateTime) -> StoreResult<bool> {
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("DELETE FROM federation_nonces WHERE expires_at < $1")
        .bind(micros(store.clock_now()))
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let inserted = sqlx::query(
        "INSERT INTO federation_nonces (key_id, nonce, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key_id, nonce) DO NOTHING",
    )
    .bind(key_id.to_owned())
    .bind(nonce.to_owned())
    .bind(micros(expires_at))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(inserted.rows_affected() == 1)
}

fn own_writer(actor: &Actor, what: &str) -> StoreResult<OrganizationId> {
    let organization = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: format!("only members of an organization {what}"),
    })?;
    require(
        actor.writes_for(organization) && actor.kind != PrincipalKind::RemoteOrganization,
        &format!("only members who write for the organization {what}"),
    )?;
    Ok(organization)
}

#[expect(
    clippy::too_many_arguments,
    reason = "the request as sent and the peer's answer; a struct would only rename them"
)]
pub async fn create_remote_request(
    store: &SqlStore,
    actor: &Actor,
    peer: PeerId,
    provider_did: &str,
    remote_id: &str,
    request: &Value,
    remote: &Value,
    state: &str,
) -> StoreResult<RemoteRequest> {
    let organization = own_writer(actor, "send access requests to peer nodes")?;
    get_peer(store, peer).await?;
    let now = store.clock_now();
    let created = RemoteRequest {
        id: RemoteRequestId::generate(),
        organization_id: organization,
        peer_id: peer,
        provider_did: provider_did.to_owned(),
        remote_id: remote_id.to_owned(),
        request: request.clone(),
        state: state.to_owned(),
        grant_id: None,
        remote: remote.clone(),
        created_by: actor.principal_id.clone(),
        created_at: now,
        updated_at: now,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO remote_requests (id, organization_id, peer_id, provider_did, remote_id, request, state, grant_id, \
         remote, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $10)",
    )
    .bind(created.id.to_string())
    .bind(organization.to_string())
    .bind(peer.to_string())
    .bind(created.provider_did.clone())
    .bind(created.remote_id.clone())
    .bind(json_text(request))
    .bind(created.state.clone())
    .bind(json_text(remote))
    .bind(created.created_by.clone())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::RemoteRequest,
        &created.id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(created)
}

fn remote_request_of(row: &AnyRow) -> StoreResult<RemoteRequest> {
    Ok(RemoteRequest {
        id: parsed(&text(row, "id")?, "remote request id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        peer_id: parsed(&text(row, "peer_id")?, "peer id", str::parse)?,
        provider_did: text(row, "provider_did")?,
        remote_id: text(row, "remote_id")?,
        request: json_of(row, "request")?,
        state: text(row, "state")?,
        grant_id: opt_text(row, "grant_id")?,
        remote: json_of(row, "remote")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// The organization whose own records the actor reads (its members), or `NotFound` for others.
fn reader_organization(actor: &Actor, kind: RecordKind, id: &str) -> StoreResult<OrganizationId> {
    actor
        .organization_id
        .filter(|_| actor.kind != PrincipalKind::RemoteOrganization)
        .ok_or_else(|| StoreError::NotFound {
            kind,
            id: id.to_owned(),
        })
}

pub async fn list_remote_requests(store: &SqlStore, actor: &Actor) -> StoreResult<Vec<RemoteRequest>> {
    let Ok(organization) = reader_organization(actor, RecordKind::RemoteRequest, "") else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query("SELECT * FROM remote_requests WHERE organization_id = $1 ORDER BY id")
        .bind(organization.to_string())
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    rows.iter().map(remote_request_of).collect()
}

pub async fn get_remote_request(store: &SqlStore, actor: &Actor, id: RemoteRequestId) -> StoreResult<RemoteRequest> {
    let organization = reader_organization(actor, RecordKind::RemoteRequest, &id.to_string())?;
    let row = sqlx::query("SELECT * FROM remote_requests WHERE id = $1 AND organization_id = $2")
        .bind(id.to_string())
        .bind(organization.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::RemoteRequest,
            id: id.to_string(),
        })?;
    remote_request_of(&row)
}

pub async fn update_remote_request(
    store: &SqlStore,
    actor: &Actor,
    id: RemoteRequestId,
    state: &str,
    grant_id: Option<&str>,
    remote: &Value,
) -> StoreResult<RemoteRequest> {
    let current = get_remote_request(store, actor, id).await?;
    own_writer(actor, "refresh requests sent to peer nodes")?;
    if current.state == state && current.grant_id.as_deref() == grant_id && &current.remote == remote {
        return Ok(current);
    }
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("UPDATE remote_requests SET state = $2, grant_id = $3, remote = $4, updated_at = $5 WHERE id = $1")
        .bind(id.to_string())
        .bind(state.to_owned())
        .bind(grant_id.map(str::to_owned))
        .bind(json_text(remote))
        .bind(micros(now))
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::RemoteRequest,
        &id.to_string(),
        Some(current.organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(RemoteRequest {
        state: state.to_owned(),
        grant_id: grant_id.map(str::to_owned),
        remote: remote.clone(),
        updated_at: now,
        ..current
    })
}

pub async fn create_received_record(
    store: &SqlStore,
    actor: &Actor,
    new: NewReceivedRecord,
) -> StoreResult<ReceivedRecord> {
    let organization = own_writer(actor, "receive records from peer nodes")?;
    let received = ReceivedRecord {
        id: ReceivedRecordId::generate(),
        organization_id: organization,
        peer_id: new.peer_id,
        remote_request_id: new.remote_request_id,
        provider_did: new.provider_did,
        record_kind: new.record_kind,
        record_id: new.record_id,
        record_version: new.record_version,
        grant_id: new.grant_id,
        credential: new.credential,
        credential_id: new.credential_id,
        issuer_key_id: new.issuer_key_id,
        subject: new.subject,
        verified_at: new.verified_at,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO received_records (id, organization_id, peer_id, remote_request_id, provider_did, record_kind, \
         record_id, record_version, grant_id, credential, credential_id, issuer_key_id, subject, verified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(received.id.to_string())
    .bind(organization.to_string())
    .bind(received.peer_id.to_string())
    .bind(received.remote_request_id.map(|id| id.to_string()))
    .bind(received.provider_did.clone())
    .bind(received.record_kind.clone())
    .bind(received.record_id.clone())
    .bind(received.record_version)
    .bind(received.grant_id.clone())
    .bind(received.credential.clone())
    .bind(received.credential_id.clone())
    .bind(received.issuer_key_id.clone())
    .bind(json_text(&received.subject))
    .bind(micros(received.verified_at))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::ReceivedRecord,
        &received.id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(received)
}

fn received_record_of(row: &AnyRow) -> StoreResult<ReceivedRecord> {
    Ok(ReceivedRecord {
        id: parsed(&text(row, "id")?, "received record id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        peer_id: parsed(&text(row, "peer_id")?, "peer id", str::parse)?,
        remote_request_id: opt_text(row, "remote_request_id")?
            .map(|id| parsed(&id, "remote request id", str::parse))
            .transpose()?,
        provider_did: text(row, "provider_did")?,
        record_kind: text(row, "record_kind")?,
        record_id: text(row, "record_id")?,
        record_version: opt_int(row, "record_version")?,
        grant_id: opt_text(row, "grant_id")?,
        credential: text(row, "credential")?,
        credential_id: opt_text(row, "credential_id")?,
        issuer_key_id: text(row, "issuer_key_id")?,
        subject: json_of(row, "subject")?,
        verified_at: time(row, "verified_at")?,
    })
}

pub async fn list_received_records(
    store: &SqlStore,
    actor: &Actor,
    remote_request: Option<RemoteRequestId>,
) -> StoreResult<Vec<ReceivedRecord>> {
    let Ok(organization) = reader_organization(actor, RecordKind::ReceivedRecord, "") else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT * FROM received_records WHERE organization_id = $1 AND ($2 = '' OR remote_request_id = $2) ORDER BY id",
    )
    .bind(organization.to_string())
    .bind(remote_request.map(|id| id.to_string()).unwrap_or_default())
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    rows.iter().map(received_record_of).collect()
}

pub async fn get_received_record(store: &SqlStore, actor: &Actor, id: ReceivedRecordId) -> StoreResult<ReceivedRecord> {
    let organization = reader_organization(actor, RecordKind::ReceivedRecord, &id.to_string())?;
    let row = sqlx::query("SELECT * FROM received_records WHERE id = $1 AND organization_id = $2")
        .bind(id.to_string())
        .bind(organization.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::ReceivedRecord,
            id: id.to_string(),
        })?;
    received_record_of(&row)
}
