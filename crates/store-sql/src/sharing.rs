//! Access requests (アクセス申請) and dataset offers (データセットの提供): their storage, states
//! and decisions. A decision that grants creates an ordinary grant (`grants::insert`) in the
//! same transaction as the request's new state, its audit entry and its log leaf, so the read
//! rule stays the one of `access.rs`.

use sqlx::any::AnyRow;
use time::OffsetDateTime;

use junkan_model::access::{Grant, GrantLevel, Grantee, NewGrant, RecordClass, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::ids::{AccessRequestId, DatasetOfferId, OrganizationId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::Actor;
use junkan_model::sharing::{
    check_within_offer, narrowed_scope, offered_scope, AccessRequest, AccessScope, DatasetOffer, Narrowing,
    NewAccessRequest, NewDatasetOffer, Refusal, RequestState,
};
use junkan_model::Violation;
use junkan_store::{RequestDirection, StoreError, StoreResult};

use crate::access::{class_condition, record, record_table, require};
use crate::rows::{enum_value, int, opt_int, opt_text, opt_time, parsed, text, time, Param, Sql};
use crate::{grants, micros, organizations, unavailable, SqlStore};

fn own_organization(actor: &Actor, what: &str) -> StoreResult<OrganizationId> {
    actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: format!("only members of an organization {what}"),
    })
}

/// The columns of a request with its grant's state, for [`request_of`].
pub(crate) const REQUEST_COLUMNS: &str = "a.*, g.revoked_at AS grant_revoked_at, g.expires_at AS grant_expires_at, \
    (SELECT f.fields FROM access_request_fields f WHERE f.access_request_id = a.id) AS requested_fields";
pub(crate) const REQUEST_FROM: &str = "access_requests a LEFT JOIN grants g ON g.id = a.grant_id";

pub async fn create_request(store: &SqlStore, actor: &Actor, new: NewAccessRequest) -> StoreResult<AccessRequest> {
    let request = prepare_request(store, actor, new).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    insert_request(store, &mut transaction, actor, &request).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(request)
}

/// Checks a new request (every rule, the offer it names, the records it names) and builds it;
/// nothing is written.
pub(crate) async fn prepare_request(
    store: &SqlStore,
    actor: &Actor,
    new: NewAccessRequest,
) -> StoreResult<AccessRequest> {
    let requester = own_organization(actor, "request access")?;
    require(
        actor.writes_for(requester),
        "only members who write for the organization request access in its name",
    )?;
    let now = store.clock_now();
    new.validate(requester, now).map_err(StoreError::Invalid)?;
    let mut violations = Vec::new();
    if let Err(StoreError::NotFound { .. }) = organizations::get(store, new.owner_organization_id).await {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/owner_organization_id",
            format!("no organization {}", new.owner_organization_id),
        )]));
    }
    let offer = match new.offer_id {
        None => None,
        Some(offer_id) => match get_offer(store, actor, offer_id).await {
            Ok(offer) => {
                violations.extend(check_within_offer(&offer, &new, now));
                Some(offer)
            }
            Err(StoreError::NotFound { .. }) => {
                return Err(StoreError::Invalid(vec![Violation::new(
                    "/offer_id",
                    format!("no offer {offer_id} in the catalog"),
                )]))
            }
            Err(error) => return Err(error),
        },
    };
    if let Some(ids) = &new.record_ids {
        if violations.is_empty() {
            let offered_class = offer.as_ref().map(|offer| offer.record_class.clone());
            violations.extend(unknown_records(store, &new, offered_class, ids).await?);
        }
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let request = AccessRequest {
        id: AccessRequestId::generate(),
        requester_organization_id: requester,
        owner_organization_id: new.owner_organization_id,
        offer_id: new.offer_id,
        requested: offered_scope(offer.as_ref(), &new),
        purpose: new.purpose.trim().to_owned(),
        message: new.message.clone(),
        state: RequestState::Pending,
        requested_by: actor.principal_id.clone(),
        created_at: now,
        decided_by: None,
        decided_at: None,
        reason: None,
        granted: None,
        grant_id: None,
    };
    Ok(request)
}

/// Writes a prepared request with its audit entry and log leaf in `connection`'s transaction.
pub(crate) async fn insert_request(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    request: &AccessRequest,
) -> StoreResult<()> {
    let requester = request.requester_organization_id;
    let now = request.created_at;
    sqlx::query(
        "INSERT INTO access_requests (id, requester_organization_id, owner_organization_id, offer_id, record_kind, record_ids, \
         record_class, level, purpose, expires_at, max_reads, message, state, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(request.id.to_string())
    .bind(requester.to_string())
    .bind(request.owner_organization_id.to_string())
    .bind(request.offer_id.map(|id| id.to_string()))
    .bind(request.requested.record_kind.as_str())
    .bind(
        request
            .requested
            .record_ids
            .as_ref()
            .map(|ids| serde_json::to_string(ids).unwrap_or_default()),
    )
    .bind(request.requested.record_class.as_ref().map(RecordClass::to_stored))
    .bind(request.requested.level.as_str())
    .bind(request.purpose.clone())
    .bind(micros(request.requested.expires_at))
    .bind(request.requested.max_reads.map(reads_value))
    .bind(request.message.clone())
    .bind(RequestState::Pending.as_str())
    .bind(request.requested_by.clone())
    .bind(micros(now))
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    if let Some(fields) = &request.requested.fields {
        sqlx::query("INSERT INTO access_request_fields (access_request_id, fields) VALUES ($1, $2)")
            .bind(request.id.to_string())
            .bind(serde_json::to_string(fields).unwrap_or_default())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    // The request is the requester's record; the owner reads it as the party asked.
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::AccessRequest,
        &request.id.to_string(),
        Some(requester),
        None,
    )
    .await
}

fn reads_value(reads: u64) -> i64 {
    i64::try_from(reads).unwrap_or(i64::MAX)
}

/// The named records a request may not name: any that is not a record of the kind owned by the
/// owner and either public (the requester asks for more of it than the public view) or in the
/// offer the request answers (in its class, when it has one). A record that does not exist and
/// one the requester may not know of get the same message, so a refusal tells nothing about
/// records the requester could not see.
async fn unknown_records(
    store: &SqlStore,
    new: &NewAccessRequest,
    offered_class: Option<Option<RecordClass>>,
    ids: &[String],
) -> StoreResult<Vec<Violation>> {
    let Some((table, owner_column)) = record_table(new.record_kind) else {
        return Ok(Vec::new());
    };
    let mut violations = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let mut sql = Sql::new(
            &format!(
                "SELECT 1 FROM {table} r, (SELECT CAST($2 AS TEXT) AS record_class) gt WHERE r.{owner_column} = $1"
            ),
            vec![
                Param::Text(new.owner_organization_id.to_string()),
                Param::OptText(offered_class.clone().flatten().as_ref().map(RecordClass::to_stored)),
            ],
        );
        let condition = if new.record_kind == RecordKind::Event {
            crate::events::event_id_condition(&mut sql, std::slice::from_ref(id))
        } else {
            let placeholder = sql.param(Param::Text(id.clone()));
            format!("r.id = {placeholder}")
        };
        let offered = match &offered_class {
            None => "1 = 0".to_owned(),
            Some(None) => "1 = 1".to_owned(),
            Some(Some(_)) => class_condition(new.record_kind).to_owned(),
        };
        sql.text
            .push_str(&format!(" AND {condition} AND (r.visibility = 'public' OR {offered})"));
        let known = sql
            .query()
            .fetch_optional(&store.reader)
            .await
            .map_err(unavailable)?
            .is_some();
        if !known {
            violations.push(Violation::new(
                format!("/record_ids/{index}"),
                format!(
                    "{id} is not a {} that the owner publishes or offers to you{}",
                    new.record_kind.as_str(),
                    if offered_class.is_some() {
                        " under this offer"
                    } else {
                        " (name an offer from the catalog)"
                    }
                ),
            ));
        }
    }
    Ok(violations)
}

pub async fn list_requests(
    store: &SqlStore,
    actor: &Actor,
    direction: RequestDirection,
    state: Option<RequestState>,
    page: &PageRequest,
) -> StoreResult<Page<AccessRequest>> {
    let me = own_organization(actor, "have access requests")?;
    let column = match direction {
        RequestDirection::Incoming => "a.owner_organization_id",
        RequestDirection::Outgoing => "a.requester_organization_id",
    };
    let mut sql = Sql::new(
        &format!("SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} WHERE {column} = $1"),
        vec![Param::Text(me.to_string())],
    );
    if let Some(state) = state {
        let now = micros(store.clock_now());
        match state {
            RequestState::Pending | RequestState::Refused | RequestState::Withdrawn => {
                sql.push_with(" AND a.state = ?", vec![Param::Text(state.as_str().to_owned())]);
            }
            RequestState::Approved | RequestState::Narrowed => {
                sql.push_with(
                    " AND a.state = ? AND g.revoked_at IS NULL AND g.expires_at > ?",
                    vec![Param::Text(state.as_str().to_owned()), Param::Int(now)],
                );
            }
            RequestState::Revoked => {
                sql.push_with(" AND g.revoked_at IS NOT NULL", Vec::new());
            }
            RequestState::Expired => {
                sql.push_with(" AND g.revoked_at IS NULL AND g.expires_at <= ?", vec![Param::Int(now)]);
            }
        }
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND a.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY a.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let now = store.clock_now();
    let requests = rows
        .iter()
        .map(|row| request_of(row, now))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(requests, page.limit, |request| {
        request.id.to_string()
    }))
}

pub async fn get_request(store: &SqlStore, actor: &Actor, id: AccessRequestId) -> StoreResult<AccessRequest> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::AccessRequest,
        id: id.to_string(),
    };
    let me = actor.organization_id.ok_or_else(not_found)?;
    let row = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} WHERE a.id = $1 \
         AND (a.owner_organization_id = $2 OR a.requester_organization_id = $2)"
    ))
    .bind(id.to_string())
    .bind(me.to_string())
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?
    .ok_or_else(not_found)?;
    request_of(&row, store.clock_now())
}

/// How a pending request is decided.
enum Decision {
    Approve,
    Narrow(Narrowing),
    Refuse(Refusal),
    Withdraw,
}

pub async fn approve(store: &SqlStore, actor: &Actor, id: AccessRequestId) -> StoreResult<AccessRequest> {
    decide(store, actor, id, Decision::Approve).await
}

pub async fn narrow(
    store: &SqlStore,
    actor: &Actor,
    id: AccessRequestId,
    narrowing: Narrowing,
) -> StoreResult<AccessRequest> {
    decide(store, actor, id, Decision::Narrow(narrowing)).await
}

pub async fn refuse(
    store: &SqlStore,
    actor: &Actor,
    id: AccessRequestId,
    refusal: Refusal,
) -> StoreResult<AccessRequest> {
    refusal.validate().map_err(StoreError::Invalid)?;
    decide(store, actor, id, Decision::Refuse(refusal)).await
}

pub async fn withdraw(store: &SqlStore, actor: &Actor, id: AccessRequestId) -> StoreResult<AccessRequest> {
    decide(store, actor, id, Decision::Withdraw).await
}

/// Moves a pending request to its decided state. The state changes by one conditional UPDATE
/// (`state = 'pending'`) in the transaction that writes the grant, so two decisions racing
/// (approve and withdraw, two approvals) leave exactly one; the loser gets 409.
async fn decide(
    store: &SqlStore,
    actor: &Actor,
    id: AccessRequestId,
    decision: Decision,
) -> StoreResult<AccessRequest> {
    let request = get_request(store, actor, id).await?;
    decide_request(store, actor, request, decision, false).await
}

/// Agrees to a Dataspace Protocol contract request on an offer that says so (a public offer):
/// the request is approved as asked by the offer's terms, on the owner's behalf.
pub(crate) async fn approve_by_offer(store: &SqlStore, request: AccessRequest) -> StoreResult<AccessRequest> {
    let offer_actor = Actor {
        kind: junkan_model::principal::PrincipalKind::Anonymous,
        principal_id: crate::dsp::AUTOMATIC_AGREEMENT.to_owned(),
        organization_id: Some(request.owner_organization_id),
        roles: Vec::new(),
        purpose: None,
        request_id: None,
    };
    decide_request(store, &offer_actor, request, Decision::Approve, true).await
}

async fn decide_request(
    store: &SqlStore,
    actor: &Actor,
    request: AccessRequest,
    decision: Decision,
    by_offer: bool,
) -> StoreResult<AccessRequest> {
    let id = request.id;
    // A request made by a contract negotiation is decided like any other, but its grant is
    // made when the consumer verifies the agreement (`dsp::finalize`), with the agreement's id.
    let negotiation = crate::dsp::negotiation_of_request(store, id).await?;
    match decision {
        _ if by_offer => {}
        Decision::Withdraw => require(
            actor.writes_for(request.requester_organization_id),
            "only the requester withdraws its request",
        )?,
        _ => require(
            actor.belongs_to(request.owner_organization_id) && actor.administers(request.owner_organization_id),
            "only the owner's administrators decide on a request for its records",
        )?,
    }
    if request.state != RequestState::Pending {
        return Err(StoreError::Conflict {
            message: format!("the request is {}, not pending", request.state.as_str()),
            path: String::new(),
        });
    }
    let now = store.clock_now();
    let (state, granted, reason) = match &decision {
        Decision::Approve => (RequestState::Approved, Some(request.requested.clone()), None),
        Decision::Narrow(narrowing) => {
            let scope = narrowed_scope(&request.requested, narrowing, now).map_err(StoreError::Invalid)?;
            if request.requested.record_ids.is_none() {
                if let Some(ids) = &scope.record_ids {
                    // Named records must be the owner's (and of the class asked for).
                    let unowned = grants::unowned_records(
                        store,
                        request.owner_organization_id,
                        scope.record_kind,
                        ids,
                        "/record_ids",
                    )
                    .await?;
                    if !unowned.is_empty() {
                        return Err(StoreError::Invalid(unowned));
                    }
                }
            }
            (RequestState::Narrowed, Some(scope), narrowing.reason.clone())
        }
        Decision::Refuse(refusal) => (RequestState::Refused, None, Some(refusal.reason.clone())),
        Decision::Withdraw => (RequestState::Withdrawn, None, None),
    };
    if let Some(scope) = &granted {
        if scope.expires_at <= now {
            return Err(StoreError::Conflict {
                message: "the end asked for has passed: narrow the request to a later end, or refuse it".to_owned(),
                path: "/expires_at".to_owned(),
            });
        }
    }
    let grant = granted.as_ref().map(|scope| request_grant(actor, &request, scope, now));
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    match (&grant, &negotiation) {
        (Some(grant), None) => grants::insert(store, &mut transaction, actor, grant).await?,
        (Some(grant), Some(negotiation)) => {
            crate::dsp::agree(store, &mut transaction, actor, negotiation, grant).await?;
        }
        (None, Some(negotiation)) => {
            let reason = reason
                .clone()
                .unwrap_or_else(|| "the consumer withdrew the request".to_owned());
            crate::dsp::terminate_for_request(store, &mut transaction, actor, negotiation, &reason).await?;
        }
        (None, None) => {}
    }
    let updated = sqlx::query(
        "UPDATE access_requests SET state = $2, decided_by = $3, decided_at = $4, reason = $5, granted = $6, grant_id = $7 \
         WHERE id = $1 AND state = 'pending'",
    )
    .bind(id.to_string())
    .bind(state.as_str())
    .bind(actor.principal_id.clone())
    .bind(micros(now))
    .bind(reason.clone())
    .bind(
        granted
            .as_ref()
            .map(|scope| serde_json::to_string(scope).unwrap_or_default()),
    )
    .bind(
        grant
            .as_ref()
            .filter(|_| negotiation.is_none())
            .map(|grant| grant.id.to_string()),
    )
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if updated == 0 {
        // Another decision came first; dropping the transaction rolls the grant back.
        return Err(StoreError::Conflict {
            message: "the request was decided or withdrawn meanwhile".to_owned(),
            path: String::new(),
        });
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::AccessRequest,
        &id.to_string(),
        Some(request.requester_organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(AccessRequest {
        state,
        decided_by: Some(actor.principal_id.clone()),
        decided_at: Some(now),
        reason,
        granted,
        grant_id: grant.filter(|_| negotiation.is_none()).map(|grant| grant.id),
        ..request
    })
}

/// The grant a decision on `request` makes with `scope`: to the requester, enforcing the
/// request's purpose. The one place a request's grant is built (inbox decisions and contract
/// negotiations alike).
pub(crate) fn request_grant(actor: &Actor, request: &AccessRequest, scope: &AccessScope, now: OffsetDateTime) -> Grant {
    grants::grant_from(
        actor,
        request.owner_organization_id,
        NewGrant {
            grantee: Grantee::Organization {
                organization_id: request.requester_organization_id,
            },
            record_kind: scope.record_kind,
            record_ids: scope.record_ids.clone(),
            level: scope.level,
            purpose: Some(request.purpose.clone()),
            expires_at: scope.expires_at,
            record_class: scope.record_class.clone(),
            max_reads: scope.max_reads,
            enforce_purpose: true,
            fields: scope.fields.clone(),
        },
        now,
        Some(request.id),
        request.offer_id,
    )
}

pub(crate) fn request_of(row: &AnyRow, now: OffsetDateTime) -> StoreResult<AccessRequest> {
    let stored_state = text(row, "state")?;
    let mut state = RequestState::parse(&stored_state)
        .ok_or_else(|| StoreError::Unavailable(format!("stored request state {stored_state:?} is unknown").into()))?;
    if matches!(state, RequestState::Approved | RequestState::Narrowed) {
        if opt_time(row, "grant_revoked_at")?.is_some() {
            state = RequestState::Revoked;
        } else if opt_time(row, "grant_expires_at")?.is_some_and(|expires_at| expires_at <= now) {
            state = RequestState::Expired;
        }
    }
    let level = text(row, "level")?;
    let record_ids = opt_text(row, "record_ids")?
        .map(|ids| parsed(&ids, "record ids", |text| serde_json::from_str::<Vec<String>>(text)))
        .transpose()?;
    Ok(AccessRequest {
        id: parsed(&text(row, "id")?, "access request id", str::parse)?,
        requester_organization_id: parsed(&text(row, "requester_organization_id")?, "organization id", str::parse)?,
        owner_organization_id: parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?,
        offer_id: opt_text(row, "offer_id")?
            .map(|id| parsed(&id, "offer id", str::parse))
            .transpose()?,
        requested: AccessScope {
            record_kind: enum_value(&text(row, "record_kind")?, "record kind")?,
            record_ids,
            record_class: stored_class(opt_text(row, "record_class")?)?,
            level: stored_level(&level)?,
            expires_at: time(row, "expires_at")?,
            max_reads: opt_int(row, "max_reads")?.map(|reads| u64::try_from(reads).unwrap_or(0)),
            fields: opt_text(row, "requested_fields")?
                .map(|fields| {
                    parsed(&fields, "requested fields", |text| {
                        serde_json::from_str::<Vec<String>>(text)
                    })
                })
                .transpose()?,
        },
        purpose: text(row, "purpose")?,
        message: opt_text(row, "message")?,
        state,
        requested_by: text(row, "requested_by")?,
        created_at: time(row, "created_at")?,
        decided_by: opt_text(row, "decided_by")?,
        decided_at: opt_time(row, "decided_at")?,
        reason: opt_text(row, "reason")?,
        granted: opt_text(row, "granted")?
            .map(|scope| {
                parsed(&scope, "granted scope", |text| {
                    serde_json::from_str::<AccessScope>(text)
                })
            })
            .transpose()?,
        grant_id: opt_text(row, "grant_id")?
            .map(|id| parsed(&id, "grant id", str::parse))
            .transpose()?,
    })
}

fn stored_class(class: Option<String>) -> StoreResult<Option<RecordClass>> {
    class
        .map(|class| {
            RecordClass::from_stored(&class)
                .ok_or_else(|| StoreError::Unavailable(format!("stored record class {class:?} is unreadable").into()))
        })
        .transpose()
}

fn stored_level(level: &str) -> StoreResult<GrantLevel> {
    GrantLevel::parse(level)
        .ok_or_else(|| StoreError::Unavailable(format!("stored grant level {level:?} is unknown").into()))
}

pub async fn create_offer(store: &SqlStore, actor: &Actor, new: NewDatasetOffer) -> StoreResult<DatasetOffer> {
    let owner = own_organization(actor, "offer datasets")?;
    require(
        actor.belongs_to(owner) && actor.administers(owner),
        "only the organization's administrators publish its dataset offers",
    )?;
    new.validate().map_err(StoreError::Invalid)?;
    let offer = DatasetOffer {
        id: DatasetOfferId::generate(),
        owner_organization_id: owner,
        title_ja: new.title_ja,
        title_en: new.title_en,
        description_ja: new.description_ja,
        description_en: new.description_en,
        record_kind: new.record_kind,
        record_class: new.record_class,
        level: new.level,
        purpose: new.purpose,
        max_duration_days: new.max_duration_days,
        public: new.public,
        created_by: actor.principal_id.clone(),
        created_at: store.clock_now(),
        withdrawn_at: None,
        fields: new.fields.as_deref().map(junkan_model::field_scope::normalized_fields),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO dataset_offers (id, owner_organization_id, title_ja, title_en, description_ja, description_en, record_kind, \
         record_class, level, purpose, max_duration_days, public, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(offer.id.to_string())
    .bind(owner.to_string())
    .bind(offer.title_ja.clone())
    .bind(offer.title_en.clone())
    .bind(offer.description_ja.clone())
    .bind(offer.description_en.clone())
    .bind(offer.record_kind.as_str())
    .bind(offer.record_class.as_ref().map(RecordClass::to_stored))
    .bind(offer.level.as_str())
    .bind(offer.purpose.clone())
    .bind(offer.max_duration_days.map(i64::from))
    .bind(i64::from(offer.public))
    .bind(offer.created_by.clone())
    .bind(micros(offer.created_at))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    if let Some(fields) = &offer.fields {
        sqlx::query("INSERT INTO dataset_offer_fields (offer_id, fields) VALUES ($1, $2)")
            .bind(offer.id.to_string())
            .bind(serde_json::to_string(fields).unwrap_or_default())
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::DatasetOffer,
        &offer.id.to_string(),
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(offer)
}

/// The columns of an offer: its row and the fields it shares (`dataset_offer_fields`).
const OFFER_COLUMNS: &str =
    "o.*, (SELECT f.fields FROM dataset_offer_fields f WHERE f.offer_id = o.id) AS offer_fields";

/// SQL condition: offer `o` is visible to organization `$1` (empty when anonymous): its owner
/// sees all of its offers; others see offers not withdrawn, public ones anonymously too.
const OFFER_VISIBLE: &str = "(o.owner_organization_id = $1 OR (o.withdrawn_at IS NULL AND (o.public = 1 OR $1 <> '')))";

pub async fn list_offers(
    store: &SqlStore,
    actor: &Actor,
    owner: Option<OrganizationId>,
    page: &PageRequest,
) -> StoreResult<Page<DatasetOffer>> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let mut sql = Sql::new(
        &format!("SELECT {OFFER_COLUMNS} FROM dataset_offers o WHERE {OFFER_VISIBLE}"),
        vec![Param::Text(me)],
    );
    if let Some(owner) = owner {
        sql.push_with(" AND o.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND o.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY o.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let offers = rows.iter().map(offer_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(offers, page.limit, |offer| offer.id.to_string()))
}

pub async fn get_offer(store: &SqlStore, actor: &Actor, id: DatasetOfferId) -> StoreResult<DatasetOffer> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let row = sqlx::query(&format!(
        "SELECT {OFFER_COLUMNS} FROM dataset_offers o WHERE o.id = $2 AND {OFFER_VISIBLE}"
    ))
    .bind(me)
    .bind(id.to_string())
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?
    .ok_or_else(|| StoreError::NotFound {
        kind: RecordKind::DatasetOffer,
        id: id.to_string(),
    })?;
    offer_of(&row)
}

pub async fn withdraw_offer(store: &SqlStore, actor: &Actor, id: DatasetOfferId) -> StoreResult<DatasetOffer> {
    let offer = get_offer(store, actor, id).await?;
    require(
        actor.belongs_to(offer.owner_organization_id) && actor.administers(offer.owner_organization_id),
        "only the owner's administrators withdraw its offers",
    )?;
    if offer.withdrawn_at.is_some() {
        return Ok(offer);
    }
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("UPDATE dataset_offers SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL")
        .bind(id.to_string())
        .bind(micros(now))
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Revoke,
        RecordKind::DatasetOffer,
        &id.to_string(),
        Some(offer.owner_organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(DatasetOffer {
        withdrawn_at: Some(now),
        ..offer
    })
}

fn offer_of(row: &AnyRow) -> StoreResult<DatasetOffer> {
    Ok(DatasetOffer {
        id: parsed(&text(row, "id")?, "offer id", str::parse)?,
        owner_organization_id: parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?,
        title_ja: text(row, "title_ja")?,
        title_en: text(row, "title_en")?,
        description_ja: text(row, "description_ja")?,
        description_en: text(row, "description_en")?,
        record_kind: enum_value(&text(row, "record_kind")?, "record kind")?,
        record_class: stored_class(opt_text(row, "record_class")?)?,
        level: stored_level(&text(row, "level")?)?,
        purpose: opt_text(row, "purpose")?,
        max_duration_days: opt_int(row, "max_duration_days")?.map(|days| u32::try_from(days).unwrap_or(0)),
        public: int(row, "public")? == 1,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        withdrawn_at: opt_time(row, "withdrawn_at")?,
        fields: opt_text(row, "offer_fields")?
            .map(|fields| {
                parsed(&fields, "offer fields", |text| {
                    serde_json::from_str::<Vec<String>>(text)
                })
            })
            .transpose()?,
    })
}
