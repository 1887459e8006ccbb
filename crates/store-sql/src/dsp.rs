//! Dataspace Protocol 2025-1 negotiations and transfers (`dsp_negotiations`, `dsp_transfers`,
//! migrations 0030 and 0031), on the provider side and on the consumer side.
//!
//! Every state change goes through the model's state machines (`junkan_model::dsp`) and is one
//! conditional UPDATE (`WHERE state = <the state read>`), so two messages racing leave exactly one
//! transition; each write is audited and logged in its transaction. On the provider side a
//! negotiation is decided through its access request (`sharing::decide_request`): agreeing moves
//! it to AGREED and fixes the agreement's id, and the consumer's verification makes the grant
//! (`grants::insert`, with the agreement's id) — the one code path for grants.

use sqlx::any::AnyRow;
use time::OffsetDateTime;

use junkan_model::access::{Grant, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::dsp::{
    negotiation_transition, process_id, transfer_transition, Negotiation, NegotiationMessage, NegotiationState,
    ReceivedNegotiationMessage, ReceivedTransferMessage, Role, Transfer, TransferMessage, TransferState,
    HTTP_PULL_FORMAT,
};
use junkan_model::ids::{AccessRequestId, DatasetOfferId, GrantId, NegotiationId, OrganizationId, TransferId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::Actor;
use junkan_model::sharing::{grant_policy, offer_policy_id, NewAccessRequest, RequestState};
use junkan_model::Violation;
use junkan_store::{StoreError, StoreResult};

use crate::access::{record, require};
use crate::rows::{opt_int, opt_text, parsed, text, time, unavailable};
use crate::{grants, micros, sharing, SqlStore};

/// The principal recorded when an offer's terms agree on the owner's behalf.
pub const AUTOMATIC_AGREEMENT: &str = "urn:junkan:dsp:automatic-agreement";

/// How long a grant made through a negotiation lasts when the offer names no longest duration.
const DEFAULT_AGREEMENT_DAYS: i64 = 365;

fn negotiation_not_found(id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind: RecordKind::DspNegotiation,
        id: id.to_string(),
    }
}

fn transfer_not_found(id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind: RecordKind::DspTransfer,
        id: id.to_string(),
    }
}

/// A protocol error of the state machines as a store error: 404 → not found, 400 → conflict
/// (the routes answer it as the protocol's 400).
fn protocol_error(error: junkan_model::dsp::ProtocolError, kind: RecordKind, id: String) -> StoreError {
    if error.status == 404 {
        StoreError::NotFound { kind, id }
    } else {
        StoreError::Conflict {
            message: error.reason,
            path: "/@type".to_owned(),
        }
    }
}

fn negotiation_of(row: &AnyRow) -> StoreResult<Negotiation> {
    let state = text(row, "state")?;
    let role = text(row, "role")?;
    Ok(Negotiation {
        id: parsed(&text(row, "id")?, "negotiation id", str::parse)?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Unavailable(format!("stored role {role:?}").into()))?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        counterparty_organization_id: opt_text(row, "counterparty_organization_id")?
            .map(|id| parsed(&id, "organization id", str::parse))
            .transpose()?,
        peer_pid: opt_text(row, "peer_pid")?,
        offer_id: text(row, "offer_id")?,
        dataset: opt_text(row, "dataset")?,
        address: text(row, "address")?,
        state: NegotiationState::parse(&state)
            .ok_or_else(|| StoreError::Unavailable(format!("stored negotiation state {state:?}").into()))?,
        access_request_id: opt_text(row, "access_request_id")?
            .map(|id| parsed(&id, "access request id", str::parse))
            .transpose()?,
        agreement_id: opt_text(row, "agreement_id")?,
        agreement: opt_text(row, "agreement")?
            .map(|json| parsed(&json, "agreement", |text| serde_json::from_str(text)))
            .transpose()?,
        reason: opt_text(row, "reason")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn transfer_of(row: &AnyRow) -> StoreResult<Transfer> {
    let state = text(row, "state")?;
    let role = text(row, "role")?;
    Ok(Transfer {
        id: parsed(&text(row, "id")?, "transfer id", str::parse)?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Unavailable(format!("stored role {role:?}").into()))?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        counterparty_organization_id: opt_text(row, "counterparty_organization_id")?
            .map(|id| parsed(&id, "organization id", str::parse))
            .transpose()?,
        negotiation_id: parsed(&text(row, "negotiation_id")?, "negotiation id", str::parse)?,
        agreement_id: text(row, "agreement_id")?,
        peer_pid: opt_text(row, "peer_pid")?,
        format: text(row, "format")?,
        address: text(row, "address")?,
        state: TransferState::parse(&state)
            .ok_or_else(|| StoreError::Unavailable(format!("stored transfer state {state:?}").into()))?,
        token_expires_at: opt_int(row, "token_expires_at")?.map(crate::rows::from_micros),
        endpoint: opt_text(row, "endpoint")?,
        reason: opt_text(row, "reason")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

async fn load_negotiation(store: &SqlStore, id: NegotiationId) -> StoreResult<Option<Negotiation>> {
    sqlx::query("SELECT * FROM dsp_negotiations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .as_ref()
        .map(negotiation_of)
        .transpose()
}

async fn load_transfer(store: &SqlStore, id: TransferId) -> StoreResult<Option<Transfer>> {
    sqlx::query("SELECT * FROM dsp_transfers WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .as_ref()
        .map(transfer_of)
        .transpose()
}

/// Whether `actor` is a party of a process of `organization` with `counterparty`: a member of
/// the local organization, or (provider side) of the consumer organization.
fn is_party(actor: &Actor, organization: OrganizationId, counterparty: Option<OrganizationId>) -> bool {
    actor.belongs_to(organization) || counterparty.is_some_and(|counterparty| actor.belongs_to(counterparty))
}

/// Consumer side: a callback is accepted from the provider the process was made with. With a
/// provider that is an organization of a registered peer (`provider` is its local record), only
/// that organization (authenticated by its RFC 9421 signature) moves the process; an unsigned
/// callback, or one signed by another organization, is refused. With an unregistered provider the
/// process ids alone identify it (the data space's own authentication is the provider's concern).
fn from_provider(actor: &Actor, provider: Option<OrganizationId>) -> StoreResult<()> {
    match provider {
        Some(provider) if !actor.belongs_to(provider) => Err(StoreError::Forbidden {
            reason: "the provider of this process is an organization of a registered peer node: its messages must \
                     be signed per RFC 9421 with that organization's key"
                .to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The negotiation a member of either party reads.
pub async fn get_negotiation(store: &SqlStore, actor: &Actor, id: NegotiationId) -> StoreResult<Negotiation> {
    match load_negotiation(store, id).await? {
        Some(negotiation)
            if is_party(
                actor,
                negotiation.organization_id,
                negotiation.counterparty_organization_id,
            ) =>
        {
            Ok(negotiation)
        }
        _ => Err(negotiation_not_found(id)),
    }
}

/// The transfer a member of either party reads.
pub async fn get_transfer(store: &SqlStore, actor: &Actor, id: TransferId) -> StoreResult<Transfer> {
    match load_transfer(store, id).await? {
        Some(transfer) if is_party(actor, transfer.organization_id, transfer.counterparty_organization_id) => {
            Ok(transfer)
        }
        _ => Err(transfer_not_found(id)),
    }
}

/// The negotiations the actor's organization takes part in, either side, by id.
pub async fn list_negotiations(store: &SqlStore, actor: &Actor, page: &PageRequest) -> StoreResult<Page<Negotiation>> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT * FROM dsp_negotiations WHERE (organization_id = $1 OR counterparty_organization_id = $1) \
         AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(me)
    .bind(page.after.clone().unwrap_or_default())
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let items = rows.iter().map(negotiation_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |item| item.id.to_string()))
}

/// The transfers the actor's organization takes part in, either side, by id.
pub async fn list_transfers(store: &SqlStore, actor: &Actor, page: &PageRequest) -> StoreResult<Page<Transfer>> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT * FROM dsp_transfers WHERE (organization_id = $1 OR counterparty_organization_id = $1) \
         AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(me)
    .bind(page.after.clone().unwrap_or_default())
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let items = rows.iter().map(transfer_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |item| item.id.to_string()))
}

/// The negotiation that made the access request `id`, if any.
pub(crate) async fn negotiation_of_request(store: &SqlStore, id: AccessRequestId) -> StoreResult<Option<Negotiation>> {
    sqlx::query("SELECT * FROM dsp_negotiations WHERE access_request_id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .as_ref()
        .map(negotiation_of)
        .transpose()
}

/// The negotiation of an access request, for a party of it (the server sends the agreement or
/// the termination after a decision).
pub async fn negotiation_for_request(
    store: &SqlStore,
    actor: &Actor,
    id: AccessRequestId,
) -> StoreResult<Option<Negotiation>> {
    Ok(negotiation_of_request(store, id).await?.filter(|negotiation| {
        is_party(
            actor,
            negotiation.organization_id,
            negotiation.counterparty_organization_id,
        )
    }))
}

/// What a state change writes besides the state.
#[derive(Default)]
struct NegotiationChange {
    peer_pid: Option<String>,
    agreement_id: Option<String>,
    agreement: Option<serde_json::Value>,
    reason: Option<String>,
}

/// Moves `negotiation` on `message` in `connection`'s transaction: the machine's next state by a
/// conditional UPDATE on the state read, the audit entry and the log leaf.
async fn move_negotiation(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    negotiation: &Negotiation,
    message: NegotiationMessage,
    change: NegotiationChange,
) -> StoreResult<Negotiation> {
    let next = negotiation_transition(Some(negotiation.state), message)
        .map_err(|error| protocol_error(error, RecordKind::DspNegotiation, negotiation.id.to_string()))?;
    let now = store.clock_now();
    let agreement_text = change.agreement.as_ref().map(serde_json::Value::to_string);
    let updated = sqlx::query(
        "UPDATE dsp_negotiations SET state = $3, updated_at = $4, peer_pid = COALESCE(peer_pid, $5), \
         agreement_id = COALESCE($6, agreement_id), agreement = COALESCE($7, agreement), reason = COALESCE($8, reason) \
         WHERE id = $1 AND state = $2",
    )
    .bind(negotiation.id.to_string())
    .bind(negotiation.state.as_str())
    .bind(next.as_str())
    .bind(micros(now))
    .bind(change.peer_pid.clone())
    .bind(change.agreement_id.clone())
    .bind(agreement_text)
    .bind(change.reason.clone())
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::Conflict {
            message: format!("{} is not allowed: the negotiation moved on meanwhile", message.name()),
            path: "/@type".to_owned(),
        });
    }
    record(
        store,
        connection,
        actor,
        AuditAction::Update,
        RecordKind::DspNegotiation,
        &negotiation.id.to_string(),
        Some(negotiation.organization_id),
        None,
    )
    .await?;
    Ok(Negotiation {
        state: next,
        updated_at: now,
        peer_pid: negotiation.peer_pid.clone().or(change.peer_pid),
        agreement_id: change.agreement_id.or_else(|| negotiation.agreement_id.clone()),
        agreement: change.agreement.or_else(|| negotiation.agreement.clone()),
        reason: change.reason.or_else(|| negotiation.reason.clone()),
        ..negotiation.clone()
    })
}

/// Provider side: a consumer organization's `ContractRequestMessage` on an offer of the catalog
/// it may see. The negotiation (REQUESTED) and the access request it is decided through are
/// written in one transaction; the request takes the offer's terms (kind, class, level, purpose,
/// longest duration).
pub async fn request_contract(
    store: &SqlStore,
    actor: &Actor,
    offer_id: DatasetOfferId,
    consumer_pid: &str,
    callback_address: &str,
) -> StoreResult<Negotiation> {
    let consumer = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization negotiate contracts".to_owned(),
    })?;
    require(
        actor.writes_for(consumer),
        "only members who write for the organization negotiate contracts in its name",
    )?;
    let offer = sharing::get_offer(store, actor, offer_id).await?;
    if offer.withdrawn_at.is_some() {
        return Err(StoreError::NotFound {
            kind: RecordKind::DatasetOffer,
            id: offer_id.to_string(),
        });
    }
    let id = NegotiationId::generate();
    let now = store.clock_now();
    let days = offer.max_duration_days.map_or(DEFAULT_AGREEMENT_DAYS, i64::from);
    let new = NewAccessRequest {
        owner_organization_id: offer.owner_organization_id,
        offer_id: Some(offer.id),
        record_kind: offer.record_kind,
        record_ids: None,
        record_class: offer.record_class.clone(),
        level: offer.level,
        purpose: offer
            .purpose
            .clone()
            .unwrap_or_else(|| format!("dataspace contract {}", offer_policy_id(offer.id))),
        expires_at: now + time::Duration::days(days),
        max_reads: None,
        message: Some(format!(
            "Dataspace Protocol contract negotiation {} (consumer {consumer_pid})",
            process_id(id)
        )),
        fields: offer.fields.clone(),
    };
    let request = sharing::prepare_request(store, actor, new)
        .await
        .map_err(|error| match error {
            // The request's pointers name access-request fields the consumer never sent.
            StoreError::Invalid(violations) => StoreError::Invalid(
                violations
                    .into_iter()
                    .map(|violation| Violation::new("/offer", violation.message))
                    .collect(),
            ),
            other => other,
        })?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sharing::insert_request(store, &mut transaction, actor, &request).await?;
    sqlx::query(
        "INSERT INTO dsp_negotiations (id, role, organization_id, counterparty_organization_id, peer_pid, offer_id, dataset, \
         address, state, access_request_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.to_string())
    .bind(Role::Provider.as_str())
    .bind(offer.owner_organization_id.to_string())
    .bind(consumer.to_string())
    .bind(consumer_pid.to_owned())
    .bind(offer_policy_id(offer.id))
    .bind(junkan_model::sharing::dataset_urn(offer.id))
    .bind(callback_address.to_owned())
    .bind(NegotiationState::Requested.as_str())
    .bind(request.id.to_string())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::DspNegotiation,
        &id.to_string(),
        Some(offer.owner_organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    load_negotiation(store, id)
        .await?
        .ok_or_else(|| negotiation_not_found(id))
}

/// Provider side: agrees to a requested negotiation automatically when its offer says so (a
/// public offer). Anything else waits for the owner's decision on the access request.
pub async fn agree_by_offer(store: &SqlStore, id: NegotiationId) -> StoreResult<Option<Negotiation>> {
    let Some(negotiation) = load_negotiation(store, id).await? else {
        return Err(negotiation_not_found(id));
    };
    let (Some(request_id), NegotiationState::Requested) = (negotiation.access_request_id, negotiation.state) else {
        return Ok(None);
    };
    let offer_id: Option<String> = sqlx::query_scalar("SELECT offer_id FROM access_requests WHERE id = $1")
        .bind(request_id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .flatten();
    let public: Option<i64> =
        sqlx::query_scalar("SELECT public FROM dataset_offers WHERE id = $1 AND withdrawn_at IS NULL")
            .bind(offer_id.unwrap_or_default())
            .fetch_optional(&store.reader)
            .await
            .map_err(unavailable)?;
    if public != Some(1) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {} FROM {} WHERE a.id = $1",
        sharing::REQUEST_COLUMNS,
        sharing::REQUEST_FROM
    ))
    .bind(request_id.to_string())
    .fetch_one(&store.reader)
    .await
    .map_err(unavailable)?;
    let request = sharing::request_of(&row, store.clock_now())?;
    if request.state != RequestState::Pending {
        return Ok(None);
    }
    sharing::approve_by_offer(store, request).await?;
    load_negotiation(store, id).await
}

/// Provider side, in a decision's transaction: the owner agrees; the negotiation moves to
/// AGREED with the agreement of the grant the decision describes (made at finalization).
pub(crate) async fn agree(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    negotiation: &Negotiation,
    grant: &Grant,
) -> StoreResult<Negotiation> {
    let mut agreement = grant_policy(grant);
    // Inside a ContractAgreementMessage, whose context is the protocol's.
    if let Some(object) = agreement.as_object_mut() {
        object.remove("@context");
    }
    let agreement_id = process_id(grant.id);
    move_negotiation(
        store,
        connection,
        actor,
        negotiation,
        NegotiationMessage::Agreement,
        NegotiationChange {
            agreement_id: Some(agreement_id),
            agreement: Some(agreement),
            ..NegotiationChange::default()
        },
    )
    .await
}

/// Provider side, in a refusal's or withdrawal's transaction: the negotiation ends.
pub(crate) async fn terminate_for_request(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    negotiation: &Negotiation,
    reason: &str,
) -> StoreResult<Negotiation> {
    move_negotiation(
        store,
        connection,
        actor,
        negotiation,
        NegotiationMessage::Termination,
        NegotiationChange {
            reason: Some(reason.to_owned()),
            ..NegotiationChange::default()
        },
    )
    .await
}

/// A negotiation message received from the other side (provider side: from a member of the
/// consumer organization; consumer side: from the provider, which names the negotiation by
/// both process ids). A message the receiving side sends itself, or one the state does not
/// allow, changes nothing.
pub async fn receive_negotiation_message(
    store: &SqlStore,
    actor: &Actor,
    id: NegotiationId,
    received: ReceivedNegotiationMessage,
) -> StoreResult<Negotiation> {
    let negotiation = load_negotiation(store, id)
        .await?
        .ok_or_else(|| negotiation_not_found(id))?;
    let from_party = match negotiation.role {
        Role::Provider => negotiation
            .counterparty_organization_id
            .is_some_and(|consumer| actor.belongs_to(consumer)),
        Role::Consumer => {
            from_provider(actor, negotiation.counterparty_organization_id)?;
            true
        }
    };
    let peer_matches = negotiation
        .peer_pid
        .as_ref()
        .is_none_or(|peer| *peer == received.peer_pid);
    if !from_party || !peer_matches {
        return Err(negotiation_not_found(id));
    }
    let sender = received.message.sender();
    if sender == Some(negotiation.role) {
        return Err(StoreError::Conflict {
            message: format!(
                "{} is sent by the {}, not received by it",
                received.message.name(),
                negotiation.role.as_str()
            ),
            path: "/@type".to_owned(),
        });
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let moved = match (negotiation.role, received.message) {
        (Role::Provider, NegotiationMessage::Verification) => {
            let verified = move_negotiation(
                store,
                &mut transaction,
                actor,
                &negotiation,
                NegotiationMessage::Verification,
                NegotiationChange::default(),
            )
            .await?;
            finalize(store, &mut transaction, actor, &verified).await?
        }
        (Role::Provider, NegotiationMessage::Termination) => {
            let terminated = move_negotiation(
                store,
                &mut transaction,
                actor,
                &negotiation,
                NegotiationMessage::Termination,
                NegotiationChange {
                    reason: received.reason.clone(),
                    ..NegotiationChange::default()
                },
            )
            .await?;
            withdraw_request(store, &mut transaction, actor, &negotiation).await?;
            terminated
        }
        (_, message) => {
            move_negotiation(
                store,
                &mut transaction,
                actor,
                &negotiation,
                message,
                NegotiationChange {
                    peer_pid: Some(received.peer_pid.clone()),
                    agreement_id: received
                        .agreement
                        .as_ref()
                        .and_then(|agreement| agreement["@id"].as_str())
                        .map(str::to_owned),
                    agreement: received.agreement.clone(),
                    reason: received.reason.clone(),
                },
            )
            .await?
        }
    };
    transaction.commit().await.map_err(unavailable)?;
    Ok(moved)
}

/// A pending access request whose negotiation the consumer ended is withdrawn with it.
async fn withdraw_request(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    negotiation: &Negotiation,
) -> StoreResult<()> {
    let Some(request_id) = negotiation.access_request_id else {
        return Ok(());
    };
    let withdrawn = sqlx::query(
        "UPDATE access_requests SET state = 'withdrawn', decided_by = $2, decided_at = $3 WHERE id = $1 AND state = 'pending'",
    )
    .bind(request_id.to_string())
    .bind(actor.principal_id.clone())
    .bind(micros(store.clock_now()))
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if withdrawn > 0 {
        record(
            store,
            connection,
            actor,
            AuditAction::Update,
            RecordKind::AccessRequest,
            &request_id.to_string(),
            negotiation.counterparty_organization_id,
            None,
        )
        .await?;
    }
    Ok(())
}

/// Provider side: the verified agreement comes into force. The grant the owner's decision
/// described is made now, with the agreement's id, through the same insert as every grant.
async fn finalize(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    negotiation: &Negotiation,
) -> StoreResult<Negotiation> {
    let request_id = negotiation
        .access_request_id
        .ok_or_else(|| StoreError::Unavailable("a provider negotiation without its access request".into()))?;
    let row = sqlx::query(&format!(
        "SELECT {} FROM {} WHERE a.id = $1",
        sharing::REQUEST_COLUMNS,
        sharing::REQUEST_FROM
    ))
    .bind(request_id.to_string())
    .fetch_one(&mut *connection)
    .await
    .map_err(unavailable)?;
    let now = store.clock_now();
    let request = sharing::request_of(&row, now)?;
    let scope = request.granted.clone().ok_or_else(|| StoreError::Conflict {
        message: "the owner has not agreed".to_owned(),
        path: "/@type".to_owned(),
    })?;
    let grant_id: GrantId = negotiation
        .agreement_id
        .as_deref()
        .and_then(junkan_model::dsp::local_id)
        .ok_or_else(|| StoreError::Unavailable("an agreed negotiation without its agreement id".into()))?;
    let decider = Actor {
        principal_id: request.decided_by.clone().unwrap_or_default(),
        ..actor.clone()
    };
    let mut grant = sharing::request_grant(&decider, &request, &scope, now);
    grant.id = grant_id;
    if grant.expires_at <= now {
        return Err(StoreError::Conflict {
            message: "the agreement's end has passed".to_owned(),
            path: "/@type".to_owned(),
        });
    }
    grants::insert(store, connection, actor, &grant).await?;
    sqlx::query("UPDATE access_requests SET grant_id = $2 WHERE id = $1 AND grant_id IS NULL")
        .bind(request_id.to_string())
        .bind(grant.id.to_string())
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?;
    record(
        store,
        connection,
        actor,
        AuditAction::Update,
        RecordKind::AccessRequest,
        &request_id.to_string(),
        Some(request.requester_organization_id),
        None,
    )
    .await?;
    move_negotiation(
        store,
        connection,
        actor,
        negotiation,
        NegotiationMessage::Finalized,
        NegotiationChange::default(),
    )
    .await
}

/// Consumer side: a local organization starts a negotiation with a remote provider. Written
/// before the request is sent (REQUESTED), so that the provider's callbacks find it.
pub async fn create_consumer_negotiation(
    store: &SqlStore,
    actor: &Actor,
    provider_address: &str,
    offer_id: &str,
    dataset: Option<&str>,
    credential: Option<&str>,
    provider_organization: Option<OrganizationId>,
) -> StoreResult<Negotiation> {
    if credential.is_none() && provider_organization.is_none() {
        return Err(StoreError::Invalid(vec![junkan_model::Violation::new(
            "/credential",
            "a provider that is not an organization of a registered peer needs the credential it issued",
        )]));
    }
    let consumer = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization negotiate contracts".to_owned(),
    })?;
    require(
        actor.writes_for(consumer),
        "only members who write for the organization negotiate contracts in its name",
    )?;
    let id = NegotiationId::generate();
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO dsp_negotiations (id, role, organization_id, offer_id, dataset, address, state, peer_credential, \
         created_at, updated_at, counterparty_organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
    )
    .bind(id.to_string())
    .bind(Role::Consumer.as_str())
    .bind(consumer.to_string())
    .bind(offer_id.to_owned())
    .bind(dataset.map(str::to_owned))
    .bind(provider_address.to_owned())
    .bind(NegotiationState::Requested.as_str())
    .bind(credential.map(str::to_owned))
    .bind(micros(now))
    .bind(provider_organization.map(|id| id.to_string()))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::DspNegotiation,
        &id.to_string(),
        Some(consumer),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    load_negotiation(store, id)
        .await?
        .ok_or_else(|| negotiation_not_found(id))
}

/// Consumer side: the credential the provider issued, for a member of the consumer organization.
pub async fn peer_credential(store: &SqlStore, actor: &Actor, id: NegotiationId) -> StoreResult<String> {
    let negotiation = get_negotiation(store, actor, id).await?;
    if negotiation.role != Role::Consumer {
        return Err(negotiation_not_found(id));
    }
    let credential: Option<String> = sqlx::query_scalar("SELECT peer_credential FROM dsp_negotiations WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&store.reader)
        .await
        .map_err(unavailable)?;
    credential.ok_or_else(|| negotiation_not_found(id))
}

/// A message this node sent (consumer: verification, termination; the provider's own messages
/// move with the decisions), recorded once the other side acknowledged it.
pub async fn record_sent_negotiation_message(
    store: &SqlStore,
    actor: &Actor,
    id: NegotiationId,
    message: NegotiationMessage,
    peer_pid: Option<String>,
    reason: Option<String>,
) -> StoreResult<Negotiation> {
    let negotiation = get_negotiation(store, actor, id).await?;
    if message.sender().is_some_and(|sender| sender != negotiation.role) {
        return Err(StoreError::Conflict {
            message: format!("the {} does not send {}", negotiation.role.as_str(), message.name()),
            path: String::new(),
        });
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let moved = if message == NegotiationMessage::Request {
        // The provider acknowledged the initial request: only its process id is new.
        sqlx::query("UPDATE dsp_negotiations SET peer_pid = COALESCE(peer_pid, $2), updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(peer_pid.clone())
            .bind(micros(store.clock_now()))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
        record(
            store,
            &mut transaction,
            actor,
            AuditAction::Update,
            RecordKind::DspNegotiation,
            &id.to_string(),
            Some(negotiation.organization_id),
            None,
        )
        .await?;
        Negotiation {
            peer_pid: negotiation.peer_pid.clone().or(peer_pid),
            ..negotiation
        }
    } else {
        move_negotiation(
            store,
            &mut transaction,
            actor,
            &negotiation,
            message,
            NegotiationChange {
                peer_pid,
                reason,
                ..NegotiationChange::default()
            },
        )
        .await?
    };
    transaction.commit().await.map_err(unavailable)?;
    Ok(moved)
}

/// What a transfer state change writes besides the state.
#[derive(Default)]
struct TransferChange {
    peer_pid: Option<String>,
    token: Option<(String, OffsetDateTime)>,
    endpoint: Option<(String, String)>,
    reason: Option<String>,
}

async fn move_transfer(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    transfer: &Transfer,
    message: TransferMessage,
    change: TransferChange,
) -> StoreResult<Transfer> {
    let next = transfer_transition(Some(transfer.state), message)
        .map_err(|error| protocol_error(error, RecordKind::DspTransfer, transfer.id.to_string()))?;
    let now = store.clock_now();
    let (token_digest, token_expires_at) = match &change.token {
        Some((digest, expires_at)) => (Some(digest.clone()), Some(micros(*expires_at))),
        None => (None, None),
    };
    let (endpoint, endpoint_token) = match &change.endpoint {
        Some((endpoint, token)) => (Some(endpoint.clone()), Some(token.clone())),
        None => (None, None),
    };
    // A transfer that is not started holds no working token.
    let keeps_token = next == TransferState::Started;
    let updated = sqlx::query(
        "UPDATE dsp_transfers SET state = $3, updated_at = $4, peer_pid = COALESCE(peer_pid, $5), \
         token_digest = CASE WHEN $6 = 1 THEN COALESCE($7, token_digest) ELSE NULL END, \
         token_expires_at = CASE WHEN $6 = 1 THEN COALESCE($8, token_expires_at) ELSE NULL END, \
         endpoint = COALESCE($9, endpoint), endpoint_token = CASE WHEN $6 = 1 THEN COALESCE($10, endpoint_token) ELSE NULL END, \
         reason = COALESCE($11, reason) WHERE id = $1 AND state = $2",
    )
    .bind(transfer.id.to_string())
    .bind(transfer.state.as_str())
    .bind(next.as_str())
    .bind(micros(now))
    .bind(change.peer_pid.clone())
    .bind(i64::from(keeps_token))
    .bind(token_digest)
    .bind(token_expires_at)
    .bind(endpoint)
    .bind(endpoint_token)
    .bind(change.reason.clone())
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::Conflict {
            message: format!("{} is not allowed: the transfer moved on meanwhile", message.name()),
            path: "/@type".to_owned(),
        });
    }
    record(
        store,
        connection,
        actor,
        AuditAction::Update,
        RecordKind::DspTransfer,
        &transfer.id.to_string(),
        Some(transfer.organization_id),
        None,
    )
    .await?;
    let mut moved = load_transfer_in(connection, transfer.id).await?;
    moved.updated_at = now;
    Ok(moved)
}

async fn load_transfer_in(connection: &mut sqlx::AnyConnection, id: TransferId) -> StoreResult<Transfer> {
    let row = sqlx::query("SELECT * FROM dsp_transfers WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *connection)
        .await
        .map_err(unavailable)?;
    transfer_of(&row)
}

/// The finalized provider negotiation of an agreement and its grant, if the grant is in force.
async fn agreement_in_force(
    store: &SqlStore,
    agreement_id: &str,
    consumer: OrganizationId,
) -> StoreResult<Option<(Negotiation, GrantId)>> {
    let row = sqlx::query(
        "SELECT n.* FROM dsp_negotiations n JOIN grants g ON 'urn:uuid:' || g.id = n.agreement_id \
         WHERE n.agreement_id = $1 AND n.role = 'provider' AND n.counterparty_organization_id = $2 \
         AND n.state = 'FINALIZED' AND g.revoked_at IS NULL AND g.expires_at > $3",
    )
    .bind(agreement_id.to_owned())
    .bind(consumer.to_string())
    .bind(micros(store.clock_now()))
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?;
    let Some(row) = row else { return Ok(None) };
    let negotiation = negotiation_of(&row)?;
    let grant = junkan_model::dsp::local_id(agreement_id)
        .ok_or_else(|| StoreError::Unavailable("an agreement id that names no grant".into()))?;
    Ok(Some((negotiation, grant)))
}

/// Provider side: a consumer organization's `TransferRequestMessage` under an agreement it
/// holds that is in force (finalized, its grant neither revoked nor expired).
pub async fn request_transfer(
    store: &SqlStore,
    actor: &Actor,
    agreement_id: &str,
    consumer_pid: &str,
    callback_address: &str,
    format: &str,
) -> StoreResult<Transfer> {
    let consumer = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization request transfers".to_owned(),
    })?;
    if format != HTTP_PULL_FORMAT {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/format",
            format!("this node serves the format {HTTP_PULL_FORMAT} only"),
        )]));
    }
    let Some((negotiation, _grant)) = agreement_in_force(store, agreement_id, consumer).await? else {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/agreementId",
            "names no agreement in force that your organization holds (unknown, not finalized, revoked or expired)",
        )]));
    };
    let id = TransferId::generate();
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO dsp_transfers (id, role, organization_id, counterparty_organization_id, negotiation_id, agreement_id, \
         peer_pid, format, address, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.to_string())
    .bind(Role::Provider.as_str())
    .bind(negotiation.organization_id.to_string())
    .bind(consumer.to_string())
    .bind(negotiation.id.to_string())
    .bind(agreement_id.to_owned())
    .bind(consumer_pid.to_owned())
    .bind(format.to_owned())
    .bind(callback_address.to_owned())
    .bind(TransferState::Requested.as_str())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::DspTransfer,
        &id.to_string(),
        Some(negotiation.organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    load_transfer(store, id).await?.ok_or_else(|| transfer_not_found(id))
}

/// Provider side: starts a requested transfer with a pull token (its SHA-256 digest is kept,
/// never the token) valid until `expires_at`.
pub async fn start_transfer(
    store: &SqlStore,
    actor: &Actor,
    id: TransferId,
    token_digest: &str,
    expires_at: OffsetDateTime,
) -> StoreResult<Transfer> {
    let transfer = load_transfer(store, id).await?.ok_or_else(|| transfer_not_found(id))?;
    if transfer.role != Role::Provider
        || !is_party(actor, transfer.organization_id, transfer.counterparty_organization_id)
    {
        return Err(transfer_not_found(id));
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let moved = move_transfer(
        store,
        &mut transaction,
        actor,
        &transfer,
        TransferMessage::Start,
        TransferChange {
            token: Some((token_digest.to_owned(), expires_at)),
            ..TransferChange::default()
        },
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(moved)
}

/// A transfer message received from the other side (provider side: from a member of the
/// consumer organization; consumer side: from the provider, which names both process ids).
/// The provider starts transfers itself; a consumer cannot restart one with a message.
pub async fn receive_transfer_message(
    store: &SqlStore,
    actor: &Actor,
    id: TransferId,
    received: ReceivedTransferMessage,
) -> StoreResult<Transfer> {
    let transfer = load_transfer(store, id).await?.ok_or_else(|| transfer_not_found(id))?;
    let from_party = match transfer.role {
        Role::Provider => transfer
            .counterparty_organization_id
            .is_some_and(|consumer| actor.belongs_to(consumer)),
        Role::Consumer => {
            from_provider(actor, transfer.counterparty_organization_id)?;
            true
        }
    };
    let peer_matches = transfer.peer_pid.as_ref().is_none_or(|peer| *peer == received.peer_pid);
    if !from_party || !peer_matches {
        return Err(transfer_not_found(id));
    }
    if transfer.role == Role::Provider && received.message == TransferMessage::Start {
        return Err(StoreError::Conflict {
            message: "the provider starts and resumes transfers; request a new transfer instead".to_owned(),
            path: "/@type".to_owned(),
        });
    }
    if received.message == TransferMessage::Request {
        return Err(StoreError::Conflict {
            message: "a TransferRequestMessage starts a new transfer at /transfers/request".to_owned(),
            path: "/@type".to_owned(),
        });
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let moved = move_transfer(
        store,
        &mut transaction,
        actor,
        &transfer,
        received.message,
        TransferChange {
            peer_pid: Some(received.peer_pid.clone()),
            endpoint: received.endpoint.clone(),
            reason: received.reason.clone(),
            ..TransferChange::default()
        },
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(moved)
}

/// A message this node sent about a transfer (consumer: completion, suspension, termination;
/// provider: suspension, termination), recorded once acknowledged; `Request` records the
/// provider's process id of a consumer transfer.
pub async fn record_sent_transfer_message(
    store: &SqlStore,
    actor: &Actor,
    id: TransferId,
    message: TransferMessage,
    peer_pid: Option<String>,
    reason: Option<String>,
) -> StoreResult<Transfer> {
    let transfer = get_transfer(store, actor, id).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let moved = if message == TransferMessage::Request {
        sqlx::query("UPDATE dsp_transfers SET peer_pid = COALESCE(peer_pid, $2), updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(peer_pid.clone())
            .bind(micros(store.clock_now()))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
        record(
            store,
            &mut transaction,
            actor,
            AuditAction::Update,
            RecordKind::DspTransfer,
            &id.to_string(),
            Some(transfer.organization_id),
            None,
        )
        .await?;
        load_transfer_in(&mut transaction, id).await?
    } else {
        move_transfer(
            store,
            &mut transaction,
            actor,
            &transfer,
            message,
            TransferChange {
                peer_pid,
                reason,
                ..TransferChange::default()
            },
        )
        .await?
    };
    transaction.commit().await.map_err(unavailable)?;
    Ok(moved)
}

/// Consumer side: a local organization asks for a transfer under a finalized agreement it
/// negotiated. Written before the request is sent, so that the provider's start finds it.
pub async fn create_consumer_transfer(
    store: &SqlStore,
    actor: &Actor,
    negotiation_id: NegotiationId,
) -> StoreResult<Transfer> {
    let negotiation = get_negotiation(store, actor, negotiation_id).await?;
    require(
        actor.writes_for(negotiation.organization_id),
        "only members who write for the organization request transfers in its name",
    )?;
    let (Role::Consumer, NegotiationState::Finalized, Some(agreement_id)) =
        (negotiation.role, negotiation.state, negotiation.agreement_id.clone())
    else {
        return Err(StoreError::Conflict {
            message: format!(
                "the negotiation is {} on the {} side: transfers need a finalized agreement this organization consumes",
                negotiation.state.as_str(),
                negotiation.role.as_str()
            ),
            path: "/negotiation_id".to_owned(),
        });
    };
    let id = TransferId::generate();
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO dsp_transfers (id, role, organization_id, negotiation_id, agreement_id, format, address, state, \
         created_at, updated_at, counterparty_organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
    )
    .bind(id.to_string())
    .bind(Role::Consumer.as_str())
    .bind(negotiation.organization_id.to_string())
    .bind(negotiation.id.to_string())
    .bind(agreement_id)
    .bind(HTTP_PULL_FORMAT)
    .bind(negotiation.address.clone())
    .bind(TransferState::Requested.as_str())
    .bind(micros(now))
    .bind(negotiation.counterparty_organization_id.map(|id| id.to_string()))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::DspTransfer,
        &id.to_string(),
        Some(negotiation.organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    load_transfer(store, id).await?.ok_or_else(|| transfer_not_found(id))
}

/// Consumer side: the endpoint and bearer token of a started transfer, for a member of the
/// consumer organization.
pub async fn transfer_endpoint(store: &SqlStore, actor: &Actor, id: TransferId) -> StoreResult<(String, String)> {
    let transfer = get_transfer(store, actor, id).await?;
    if transfer.role != Role::Consumer || !actor.belongs_to(transfer.organization_id) {
        return Err(transfer_not_found(id));
    }
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT endpoint, endpoint_token FROM dsp_transfers WHERE id = $1 AND state = 'STARTED'")
            .bind(id.to_string())
            .fetch_optional(&store.reader)
            .await
            .map_err(unavailable)?;
    match row {
        Some((Some(endpoint), Some(token))) => Ok((endpoint, token)),
        _ => Err(StoreError::Conflict {
            message: format!(
                "the transfer is {}, not started: there is nothing to pull",
                transfer.state.as_str()
            ),
            path: String::new(),
        }),
    }
}

/// Provider side: who pulls with a transfer's token. The token works while the transfer is
/// started, before its end, and while the agreement is in force (negotiation finalized, grant
/// neither revoked nor expired): a revoked agreement stops it for the next request. Returns the
/// consumer organization's reader (purpose: the grant's) and the grant.
pub async fn transfer_reader(
    store: &SqlStore,
    id: TransferId,
    token_digest: &str,
) -> StoreResult<Option<(Actor, GrantId)>> {
    let Some(transfer) = load_transfer(store, id).await? else {
        return Ok(None);
    };
    let row: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT token_digest, token_expires_at FROM dsp_transfers WHERE id = $1 AND role = 'provider' AND state = 'STARTED'")
            .bind(id.to_string())
            .fetch_optional(&store.reader)
            .await
            .map_err(unavailable)?;
    let Some((Some(stored_digest), Some(expires_at))) = row else {
        return Ok(None);
    };
    let now = store.clock_now();
    if !constant_time_eq(stored_digest.as_bytes(), token_digest.as_bytes()) || expires_at <= micros(now) {
        return Ok(None);
    }
    let Some(consumer) = transfer.counterparty_organization_id else {
        return Ok(None);
    };
    let Some((_, grant_id)) = agreement_in_force(store, &transfer.agreement_id, consumer).await? else {
        return Ok(None);
    };
    let purpose: Option<String> = sqlx::query_scalar("SELECT purpose FROM grants WHERE id = $1")
        .bind(grant_id.to_string())
        .fetch_one(&store.reader)
        .await
        .map_err(unavailable)?;
    let actor = Actor {
        kind: junkan_model::principal::PrincipalKind::ApiKey,
        principal_id: format!("dsp-transfer:{id}"),
        organization_id: Some(consumer),
        roles: vec![junkan_model::principal::Role::Member],
        purpose,
        request_id: None,
    };
    Ok(Some((actor, grant_id)))
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
