//! The EPCIS resource lists (distinct values of event fields), named queries and their
//! subscriptions, with the delivery bookkeeping of the subscription worker.

use sqlx::any::AnyRow;

use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::event::{EventField, IdentifierRole};
use junkan_model::ids::{OrganizationId, SubscriptionId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, PrincipalKind};
use junkan_model::subscription::{NamedQuery, NewSubscription, Subscription};
use junkan_store::{Delivery, StoreError, StoreResult};

use crate::access::record;
use crate::principals::roles_of;
use crate::rows::{int, opt_text, opt_time, parsed, text, time, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

fn organization_of(actor: &Actor, what: &str) -> StoreResult<OrganizationId> {
    match actor.organization_id {
        Some(organization) if actor.writes_for(organization) => Ok(organization),
        _ => Err(StoreError::Forbidden {
            reason: format!("only members of an organization {what}"),
        }),
    }
}

/// Distinct values of `field` among the events the actor's organization captured and the public
/// ones. Events shared by grant are left out: listing their values would be a read nobody audits;
/// they are found through event queries, which are audited.
pub async fn event_values(
    store: &SqlStore,
    actor: &Actor,
    field: EventField,
    page: &PageRequest,
) -> StoreResult<Page<String>> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let visible = "(e.owner_organization_id = $1 OR e.visibility = 'public')";
    // The column the values come from; paging compares it with the last value of the page before.
    let column = match field {
        EventField::Epc => "i.value",
        EventField::EventType => "e.event_type",
        EventField::BizStep => "e.biz_step",
        EventField::BizLocation => "e.biz_location",
        EventField::ReadPoint => "e.read_point",
        EventField::Disposition => "e.disposition",
    };
    let select = if field == EventField::Epc {
        let roles: Vec<String> = IdentifierRole::INSTANCE
            .iter()
            .map(|role| format!("'{}'", role.as_str()))
            .collect();
        format!(
            "SELECT DISTINCT i.value AS value FROM epcis_event_identifiers i JOIN epcis_events e ON e.seq = i.event_seq \
             WHERE i.role IN ({}) AND {visible}",
            roles.join(", ")
        )
    } else {
        format!("SELECT DISTINCT {column} AS value FROM epcis_events e WHERE {column} IS NOT NULL AND {visible}")
    };
    let mut sql = Sql::new(&select, vec![Param::Text(me)]);
    if let Some(after) = &page.after {
        sql.push_with(&format!(" AND {column} > ?"), vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY value LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let values = rows
        .iter()
        .map(|row| text(row, "value"))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(values, page.limit, Clone::clone))
}

fn query_of(row: &AnyRow) -> StoreResult<NamedQuery> {
    Ok(NamedQuery {
        name: text(row, "name")?,
        query: parsed(&text(row, "query")?, "named query", |text| serde_json::from_str(text))?,
        created_at: time(row, "created_at")?,
        owner_organization_id: Some(parsed(
            &text(row, "owner_organization_id")?,
            "organization id",
            str::parse,
        )?),
    })
}

fn query_not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: RecordKind::Query,
        id: name.to_owned(),
    }
}

pub async fn create_query(
    store: &SqlStore,
    actor: &Actor,
    name: &str,
    query: serde_json::Value,
) -> StoreResult<NamedQuery> {
    let owner = organization_of(actor, "keep named queries")?;
    let created = NamedQuery {
        name: name.to_owned(),
        query,
        created_at: store.clock_now(),
        owner_organization_id: Some(owner),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("INSERT INTO epcis_queries (owner_organization_id, name, query, created_at) VALUES ($1, $2, $3, $4)")
        .bind(owner.to_string())
        .bind(name.to_owned())
        .bind(created.query.to_string())
        .bind(micros(created.created_at))
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            write_error(
                error,
                &[(
                    "epcis_queries",
                    "/name",
                    "your organization already has a query of this name",
                )],
            )
        })?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Query,
        name,
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(created)
}

pub async fn list_queries(store: &SqlStore, actor: &Actor, page: &PageRequest) -> StoreResult<Page<NamedQuery>> {
    let owner = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT * FROM epcis_queries WHERE owner_organization_id = $1 AND name > $2 ORDER BY name LIMIT $3",
    )
    .bind(owner)
    .bind(page.after.clone().unwrap_or_default())
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let queries = rows.iter().map(query_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(queries, page.limit, |query| query.name.clone()))
}

pub async fn get_query(store: &SqlStore, actor: &Actor, name: &str) -> StoreResult<NamedQuery> {
    let owner = actor.organization_id.ok_or_else(|| query_not_found(name))?;
    let row = sqlx::query("SELECT * FROM epcis_queries WHERE owner_organization_id = $1 AND name = $2")
        .bind(owner.to_string())
        .bind(name.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| query_not_found(name))?;
    query_of(&row)
}

/// Deletes the query and every subscription to it, in one transaction.
pub async fn delete_query(store: &SqlStore, actor: &Actor, name: &str) -> StoreResult<()> {
    let owner = organization_of(actor, "keep named queries")?;
    get_query(store, actor, name).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let subscriptions: Vec<String> = sqlx::query_scalar(
        "DELETE FROM epcis_subscriptions WHERE owner_organization_id = $1 AND query_name = $2 RETURNING id",
    )
    .bind(owner.to_string())
    .bind(name.to_owned())
    .fetch_all(&mut *transaction)
    .await
    .map_err(unavailable)?;
    sqlx::query("DELETE FROM epcis_queries WHERE owner_organization_id = $1 AND name = $2")
        .bind(owner.to_string())
        .bind(name.to_owned())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    // Each subscription that went with the query is a write of its own in the log.
    for subscription in &subscriptions {
        crate::log::append_record(
            store,
            &mut transaction,
            AuditAction::Revoke,
            RecordKind::Subscription,
            subscription,
            Some(owner),
        )
        .await?;
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Revoke,
        RecordKind::Query,
        name,
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)
}

fn subscription_of(row: &AnyRow) -> StoreResult<Subscription> {
    let kind = match text(row, "subscriber_kind")?.as_str() {
        "user" => PrincipalKind::User,
        "client" => PrincipalKind::Client,
        "api_key" => PrincipalKind::ApiKey,
        other => {
            return Err(StoreError::Unavailable(
                format!("stored subscriber kind {other:?} is unknown").into(),
            ))
        }
    };
    Ok(Subscription {
        id: parsed(&text(row, "id")?, "subscription id", str::parse)?,
        query_name: text(row, "query_name")?,
        dest: text(row, "dest")?,
        signed: opt_text(row, "signature_token")?.is_some(),
        initial_record_time: time(row, "initial_record_time")?,
        stream: int(row, "stream")? == 1,
        schedule: opt_text(row, "schedule")?
            .map(|schedule| parsed(&schedule, "schedule", |text| serde_json::from_str(text)))
            .transpose()?,
        report_if_empty: int(row, "report_if_empty")? == 1,
        epc_format: opt_text(row, "epc_format")?,
        created_at: time(row, "created_at")?,
        last_notified_at: opt_time(row, "last_notified_at")?,
        last_error: opt_text(row, "last_error")?,
        owner_organization_id: Some(parsed(
            &text(row, "owner_organization_id")?,
            "organization id",
            str::parse,
        )?),
        subscriber: Some((kind, text(row, "subscriber_id")?)),
        delivered_up_to: opt_text(row, "delivered_up_to")?,
        signature_token: opt_text(row, "signature_token")?,
    })
}

pub async fn create_subscription(
    store: &SqlStore,
    actor: &Actor,
    query_name: &str,
    new: NewSubscription,
) -> StoreResult<Subscription> {
    let problems = new.check();
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems));
    }
    let owner = organization_of(actor, "subscribe to queries")?;
    get_query(store, actor, query_name).await?;
    let now = store.clock_now();
    let subscription = Subscription {
        id: SubscriptionId::generate(),
        query_name: query_name.to_owned(),
        dest: new.dest,
        signed: new.signature_token.is_some(),
        initial_record_time: new.initial_record_time.unwrap_or(now),
        stream: new.stream,
        schedule: new.schedule,
        report_if_empty: new.report_if_empty,
        epc_format: new.epc_format,
        created_at: now,
        last_notified_at: None,
        last_error: None,
        owner_organization_id: Some(owner),
        subscriber: Some((actor.kind, actor.principal_id.clone())),
        delivered_up_to: None,
        signature_token: new.signature_token,
    };
    let schedule = subscription
        .schedule
        .as_ref()
        .map(|schedule| serde_json::to_string(schedule).map_err(unavailable))
        .transpose()?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO epcis_subscriptions (id, owner_organization_id, query_name, subscriber_kind, subscriber_id, dest, signature_token, \
         initial_record_time, stream, schedule, report_if_empty, epc_format, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(subscription.id.to_string())
    .bind(owner.to_string())
    .bind(query_name.to_owned())
    .bind(actor.kind.as_str())
    .bind(actor.principal_id.clone())
    .bind(subscription.dest.clone())
    .bind(subscription.signature_token.clone())
    .bind(micros(subscription.initial_record_time))
    .bind(i64::from(subscription.stream))
    .bind(schedule)
    .bind(i64::from(subscription.report_if_empty))
    .bind(subscription.epc_format.clone())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Subscription,
        &subscription.id.to_string(),
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(subscription)
}

pub async fn list_subscriptions(
    store: &SqlStore,
    actor: &Actor,
    query_name: &str,
    page: &PageRequest,
) -> StoreResult<Page<Subscription>> {
    let query = get_query(store, actor, query_name).await?;
    let rows = sqlx::query(
        "SELECT * FROM epcis_subscriptions WHERE owner_organization_id = $1 AND query_name = $2 AND id > $3 ORDER BY id LIMIT $4",
    )
    .bind(query.owner_organization_id.map(|id| id.to_string()).unwrap_or_default())
    .bind(query_name.to_owned())
    .bind(page.after.clone().unwrap_or_default())
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let subscriptions = rows.iter().map(subscription_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(subscriptions, page.limit, |subscription| {
        subscription.id.to_string()
    }))
}

pub async fn get_subscription(
    store: &SqlStore,
    actor: &Actor,
    query_name: &str,
    id: SubscriptionId,
) -> StoreResult<Subscription> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::Subscription,
        id: id.to_string(),
    };
    let owner = actor.organization_id.ok_or_else(not_found)?;
    let row = sqlx::query(
        "SELECT * FROM epcis_subscriptions WHERE id = $1 AND owner_organization_id = $2 AND query_name = $3",
    )
    .bind(id.to_string())
    .bind(owner.to_string())
    .bind(query_name.to_owned())
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?
    .ok_or_else(not_found)?;
    subscription_of(&row)
}

pub async fn delete_subscription(
    store: &SqlStore,
    actor: &Actor,
    query_name: &str,
    id: SubscriptionId,
) -> StoreResult<()> {
    let owner = organization_of(actor, "subscribe to queries")?;
    get_subscription(store, actor, query_name, id).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("DELETE FROM epcis_subscriptions WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Revoke,
        RecordKind::Subscription,
        &id.to_string(),
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)
}

/// The subscriber of a subscription as an actor with the rights their credential has now; `None`
/// when the credential was revoked, has expired or is gone.
async fn subscriber_actor(store: &SqlStore, kind: PrincipalKind, id: &str) -> StoreResult<Option<Actor>> {
    let now = micros(store.clock_now());
    let sql = match kind {
        PrincipalKind::User => "SELECT organization_id, roles FROM users WHERE id = $1",
        PrincipalKind::Client => "SELECT organization_id, roles FROM clients WHERE id = $1 AND revoked_at IS NULL",
        PrincipalKind::ApiKey => {
            "SELECT organization_id, roles FROM api_keys WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        }
        // A peer's organization cannot hold subscriptions on this node (federation routes only).
        PrincipalKind::Anonymous | PrincipalKind::RemoteOrganization => return Ok(None),
    };
    let mut query = sqlx::query(sql).bind(id.to_owned());
    if kind == PrincipalKind::ApiKey {
        query = query.bind(now);
    }
    let Some(row) = query.fetch_optional(&store.reader).await.map_err(unavailable)? else {
        return Ok(None);
    };
    Ok(Some(Actor {
        kind,
        principal_id: id.to_owned(),
        organization_id: Some(parsed(&text(&row, "organization_id")?, "organization id", str::parse)?),
        roles: roles_of(&row)?,
        purpose: Some("epcis_subscription".to_owned()),
        request_id: None,
        grant: None,
    }))
}

pub async fn subscriptions_to_deliver(store: &SqlStore) -> StoreResult<Vec<(Subscription, NamedQuery, Option<Actor>)>> {
    let rows = sqlx::query(
        "SELECT s.*, q.query AS named_query, q.created_at AS query_created_at FROM epcis_subscriptions s \
         JOIN epcis_queries q ON q.owner_organization_id = s.owner_organization_id AND q.name = s.query_name ORDER BY s.id",
    )
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        let subscription = subscription_of(row)?;
        let query = NamedQuery {
            name: subscription.query_name.clone(),
            query: parsed(&text(row, "named_query")?, "named query", |text| {
                serde_json::from_str(text)
            })?,
            created_at: time(row, "query_created_at")?,
            owner_organization_id: subscription.owner_organization_id,
        };
        let actor = match &subscription.subscriber {
            Some((kind, id)) => subscriber_actor(store, *kind, id).await?,
            None => None,
        };
        found.push((subscription, query, actor));
    }
    Ok(found)
}

pub async fn record_delivery(store: &SqlStore, id: SubscriptionId, delivery: &Delivery) -> StoreResult<()> {
    let mut sql = Sql::new(
        "UPDATE epcis_subscriptions SET last_error = $1",
        vec![Param::OptText(delivery.error.clone())],
    );
    if let Some(position) = &delivery.delivered_up_to {
        sql.push_with(", delivered_up_to = ?", vec![Param::Text(position.clone())]);
    }
    if let Some(at) = delivery.notified_at {
        sql.push_with(", last_notified_at = ?", vec![Param::Int(micros(at))]);
    }
    sql.push_with(" WHERE id = ?", vec![Param::Text(id.to_string())]);
    sql.query().execute(&store.writer).await.map_err(unavailable)?;
    Ok(())
}
