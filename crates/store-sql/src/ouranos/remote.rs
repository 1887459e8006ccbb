//! Parts bought from organizations of peer nodes (ノード間の調達, issue 10 item 4): the links
//! a buyer keeps from its part to a supplier's part on a peer (`ouranos_remote_supplies`,
//! migration 0034), the roll-up with what the peers answered for those parts, and the provider
//! side's roll-up of a part for a reader that is not its operator, allowed by a grant on the
//! footprint of the part's CFP. The HTTP exchange between the nodes is the server's
//! (`junkan_server::federation::ouranos_rollup`); the store neither sends nor receives.

use sqlx::any::AnyRow;
use uuid::Uuid;

use junkan_footprint::rollup::{rollup_with_value, RemotePart, RolledValue, Rollup};
use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::federation::{NewRemoteSupply, RemoteSupply};
use junkan_model::ids::{FootprintId, OrganizationId};
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::{StoreError, StoreResult};

use super::{
    audit_disclosures, cached_supply_graph, invalid, load_part, not_found, own_organization, own_part, rollup_of,
    writing_organization,
};
use crate::access::record;
use crate::rows::{parsed, text, time};
use crate::{footprints, micros, unavailable, SqlStore};

fn supply_of(row: &AnyRow) -> StoreResult<RemoteSupply> {
    Ok(RemoteSupply {
        trace_id: parsed(&text(row, "trace_id")?, "trace id", Uuid::parse_str)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        peer_id: parsed(&text(row, "peer_id")?, "peer id", str::parse)?,
        supplier_did: text(row, "supplier_did")?,
        supplier_trace_id: parsed(&text(row, "supplier_trace_id")?, "trace id", Uuid::parse_str)?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Writes the link of part `trace_id` (the actor's organization's) to a supplier's part on a
/// registered peer, in one transaction with its audit entry and the part's log leaf.
pub async fn put_supply(
    store: &SqlStore,
    actor: &Actor,
    trace_id: Uuid,
    new: &NewRemoteSupply,
) -> StoreResult<RemoteSupply> {
    let organization = writing_organization(actor)?;
    let now = micros(store.clock_now());
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    own_part(&mut transaction, organization, trace_id).await?;
    let peer: Option<(String,)> = sqlx::query_as("SELECT id FROM peers WHERE id = $1")
        .bind(new.peer_id.to_string())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(unavailable)?;
    if peer.is_none() {
        return Err(invalid(
            "/peer_id",
            format!("no peer node {} is registered", new.peer_id),
        ));
    }
    sqlx::query(
        "INSERT INTO ouranos_remote_supplies (trace_id, organization_id, peer_id, supplier_did, supplier_trace_id, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (trace_id) DO UPDATE SET peer_id = excluded.peer_id, supplier_did = excluded.supplier_did, \
         supplier_trace_id = excluded.supplier_trace_id, created_by = excluded.created_by, updated_at = excluded.updated_at",
    )
    .bind(trace_id.to_string())
    .bind(organization.to_string())
    .bind(new.peer_id.to_string())
    .bind(new.supplier_did.clone())
    .bind(new.supplier_trace_id.to_string())
    .bind(actor.principal_id.clone())
    .bind(now)
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::OuranosPart,
        &trace_id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    let row = sqlx::query("SELECT * FROM ouranos_remote_supplies WHERE trace_id = $1")
        .bind(trace_id.to_string())
        .fetch_one(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let supply = supply_of(&row)?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(supply)
}

/// Removes the link of part `trace_id` of the actor's organization.
pub async fn delete_supply(store: &SqlStore, actor: &Actor, trace_id: Uuid) -> StoreResult<()> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    own_part(&mut transaction, organization, trace_id).await?;
    let deleted = sqlx::query("DELETE FROM ouranos_remote_supplies WHERE trace_id = $1")
        .bind(trace_id.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?
        .rows_affected();
    if deleted == 0 {
        return Err(not_found(RecordKind::OuranosPart, trace_id));
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::OuranosPart,
        &trace_id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)
}

/// The links of the actor's organization's parts, by trace id.
pub async fn list_supplies(store: &SqlStore, actor: &Actor) -> StoreResult<Vec<RemoteSupply>> {
    let organization = own_organization(actor)?;
    let rows = sqlx::query("SELECT * FROM ouranos_remote_supplies WHERE organization_id = $1 ORDER BY trace_id")
        .bind(organization.to_string())
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    rows.iter().map(supply_of).collect()
}

/// The links of the parts in the graph below `trace_id` (one of the actor's parts) that have
/// no CFP the roll-up could use: the parts a peer is asked about.
pub async fn supplies_below(store: &SqlStore, actor: &Actor, trace_id: Uuid) -> StoreResult<Vec<RemoteSupply>> {
    let organization = own_organization(actor)?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    own_part(&mut connection, organization, trace_id).await?;
    let read = cached_supply_graph(store, &mut connection, &trace_id.to_string()).await?;
    let mut supplies = Vec::new();
    for part in read.loaded.graph.parts().iter().filter(|part| part.footprint.is_none()) {
        let row = sqlx::query("SELECT * FROM ouranos_remote_supplies WHERE trace_id = $1")
            .bind(part.id.clone())
            .fetch_optional(&mut *connection)
            .await
            .map_err(unavailable)?;
        if let Some(row) = row {
            supplies.push(supply_of(&row)?);
        }
    }
    Ok(supplies)
}

/// The roll-up of one of the actor's parts with what peers answered for parts bought from
/// their organizations; the local suppliers' parts read are audited as in `rollup_part`.
pub async fn rollup_with_remote(
    store: &SqlStore,
    actor: &Actor,
    trace_id: Uuid,
    remote: Vec<RemotePart>,
) -> StoreResult<Rollup> {
    let organization = own_organization(actor)?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    own_part(&mut connection, organization, trace_id).await?;
    let read = cached_supply_graph(store, &mut connection, &trace_id.to_string()).await?;
    drop(connection);
    let mut graph = read.loaded.graph.clone();
    for answer in remote {
        // A part that left the graph since the peers were asked is simply not there any more.
        graph.supply_remotely(answer);
    }
    let rolled = rollup_of(&graph, trace_id)?;
    audit_disclosures(store, actor, &read.loaded.disclosures).await?;
    Ok(rolled)
}

/// The roll-up of part `trace_id` for a reader who may read the footprint of its CFP (a peer's
/// organization under a grant of the operator). Everything the reader may not see is NotFound,
/// the same as a part that does not exist.
pub async fn rollup_for_reader(
    store: &SqlStore,
    actor: &Actor,
    trace_id: Uuid,
) -> StoreResult<(Rollup, RolledValue, OrganizationId)> {
    let hidden = || not_found(RecordKind::OuranosPart, trace_id);
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let Some(part) = load_part(&mut connection, trace_id).await? else {
        return Err(hidden());
    };
    let footprint: Option<(String,)> = sqlx::query_as("SELECT footprint_id FROM ouranos_cfps WHERE trace_id = $1")
        .bind(trace_id.to_string())
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    let Some((footprint,)) = footprint else {
        return Err(hidden());
    };
    drop(connection);
    let footprint: FootprintId = parsed(&footprint, "footprint id", str::parse)?;
    // The access rule of the footprint decides, and audits the read under the grant.
    match footprints::get(store, actor, footprint).await {
        Ok(_) => {}
        Err(StoreError::NotFound { .. }) => return Err(hidden()),
        Err(other) => return Err(other),
    }
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let read = cached_supply_graph(store, &mut connection, &trace_id.to_string()).await?;
    drop(connection);
    let (rolled, value) = rollup_with_value(&read.loaded.graph, &trace_id.to_string()).map_err(|problems| {
        StoreError::Invalid(
            problems
                .into_iter()
                .map(|problem| Violation::new("/traceId", problem.to_string()))
                .collect(),
        )
    })?;
    let value = value.ok_or_else(hidden)?;
    audit_disclosures(store, actor, &read.loaded.disclosures).await?;
    Ok((rolled, value, part.operator_id))
}
