//! Facilities: restricted records, read through the shared access rule.

use sqlx::any::AnyRow;

use junkan_model::access::{ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::facility::{Facility, FacilityFilter, FacilityPatch, NewFacility, Visibility};
use junkan_model::ids::{FacilityId, OrganizationId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::Actor;
use junkan_store::{StoreError, StoreResult};

use crate::access::{audit_reads, basis_of, readable, record, require, RecordRead};
use crate::organizations;
use crate::rows::{enum_value, opt_text, parsed, text, time, write_error, Param};
use crate::{micros, unavailable, SqlStore};

const CONFLICTS: [(&str, &str, &str); 2] = [
    (
        "plant_id",
        "/ouranos_plant_id",
        "this organization already has a facility with this Ouranos plant id",
    ),
    ("gln", "/gln", "a facility with this GLN is already registered"),
];

pub async fn create(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    new: NewFacility,
) -> StoreResult<Facility> {
    let facility = new_facility(store, actor, organization, new).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    create_in(store, &mut transaction, actor, &facility).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(facility)
}

/// The facility `new` of `organization` would register, once `actor` may register it.
pub(crate) async fn new_facility(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    new: NewFacility,
) -> StoreResult<Facility> {
    require(
        actor.writes_for(organization),
        "only members of the owning organization register its facilities",
    )?;
    new.validate().map_err(StoreError::Invalid)?;
    organizations::get(store, organization).await?;
    let now = store.clock_now();
    Ok(Facility::from_new(FacilityId::generate(), organization, new, now, now))
}

/// Registers `facility` (from [`new_facility`]), audited, in the caller's transaction.
pub(crate) async fn create_in(
    store: &SqlStore,
    transaction: &mut sqlx::AnyConnection,
    actor: &Actor,
    facility: &Facility,
) -> StoreResult<()> {
    write(&mut *transaction, facility, true).await?;
    record(
        store,
        transaction,
        actor,
        AuditAction::Create,
        RecordKind::Facility,
        &facility.id.to_string(),
        Some(facility.organization_id),
        None,
    )
    .await
}

pub async fn get(store: &SqlStore, actor: &Actor, id: FacilityId) -> StoreResult<Facility> {
    let mut sql = readable(
        store,
        actor,
        "facilities",
        RecordKind::Facility,
        "organization_id",
        "r.visibility = 'public'",
    );
    sql.push_with(" AND r.id = ?", vec![Param::Text(id.to_string())]);
    let row = sql
        .query()
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Facility,
            id: id.to_string(),
        })?;
    let (facility, basis) = from_row(actor, &row)?;
    audit_reads(store, actor, &[read_of(&facility, basis)]).await?;
    Ok(facility)
}

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &FacilityFilter,
    page: &PageRequest,
) -> StoreResult<Page<Facility>> {
    let mut sql = readable(
        store,
        actor,
        "facilities",
        RecordKind::Facility,
        "organization_id",
        "r.visibility = 'public'",
    );
    if let Some(organization) = filter.organization_id {
        sql.push_with(
            " AND r.organization_id = ?",
            vec![Param::Text(organization.to_string())],
        );
    }
    if let Some(facility_type) = filter.facility_type {
        sql.push_with(
            " AND r.facility_type = ?",
            vec![Param::Text(facility_type.as_str().to_owned())],
        );
    }
    if let Some(prefecture) = &filter.prefecture_code {
        sql.push_with(" AND r.prefecture_code = ?", vec![Param::Text(prefecture.clone())]);
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND r.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY r.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let read: Vec<(Facility, ReadBasis)> = rows
        .iter()
        .map(|row| from_row(actor, row))
        .collect::<StoreResult<_>>()?;
    let page = Page::from_overfetch(read, page.limit, |(facility, _)| facility.id.to_string());
    let reads: Vec<RecordRead> = page
        .items
        .iter()
        .map(|(facility, basis)| read_of(facility, *basis))
        .collect();
    audit_reads(store, actor, &reads).await?;
    Ok(page.map(|(facility, _)| facility))
}

pub async fn update(store: &SqlStore, actor: &Actor, id: FacilityId, patch: &FacilityPatch) -> StoreResult<Facility> {
    let updated = patched_facility(store, actor, id, patch).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    update_in(store, &mut transaction, actor, &updated).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(updated)
}

/// Facility `id` as `patch` would change it, once `actor` may change it.
pub(crate) async fn patched_facility(
    store: &SqlStore,
    actor: &Actor,
    id: FacilityId,
    patch: &FacilityPatch,
) -> StoreResult<Facility> {
    let current = get(store, actor, id).await?;
    require(
        actor.writes_for(current.organization_id),
        "only members of the owning organization change its facilities",
    )?;
    current.patched(patch, store.clock_now()).map_err(StoreError::Invalid)
}

/// Stores `updated` (from [`patched_facility`]), audited, in the caller's transaction.
pub(crate) async fn update_in(
    store: &SqlStore,
    transaction: &mut sqlx::AnyConnection,
    actor: &Actor,
    updated: &Facility,
) -> StoreResult<()> {
    write(&mut *transaction, updated, false).await?;
    record(
        store,
        transaction,
        actor,
        AuditAction::Update,
        RecordKind::Facility,
        &updated.id.to_string(),
        Some(updated.organization_id),
        None,
    )
    .await
}

async fn write(connection: &mut sqlx::AnyConnection, facility: &Facility, insert: bool) -> StoreResult<()> {
    let statement = if insert {
        "INSERT INTO facilities (id, organization_id, name_ja, name_en, facility_type, gln, ouranos_plant_id, prefecture_code, \
         local_government_code, address, visibility, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    } else {
        "UPDATE facilities SET organization_id = $2, name_ja = $3, name_en = $4, facility_type = $5, gln = $6, ouranos_plant_id = $7, \
         prefecture_code = $8, local_government_code = $9, address = $10, visibility = $11, created_at = $12, updated_at = $13 WHERE id = $1"
    };
    sqlx::query(statement)
        .bind(facility.id.to_string())
        .bind(facility.organization_id.to_string())
        .bind(facility.name_ja.clone())
        .bind(facility.name_en.clone())
        .bind(facility.facility_type.as_str())
        .bind(facility.gln.clone())
        .bind(facility.ouranos_plant_id.clone())
        .bind(facility.prefecture_code.clone())
        .bind(facility.local_government_code.clone())
        .bind(facility.address.clone())
        .bind(facility.visibility.as_str())
        .bind(micros(facility.created_at))
        .bind(micros(facility.updated_at))
        .execute(connection)
        .await
        .map_err(|error| write_error(error, &CONFLICTS))?;
    Ok(())
}

fn read_of(facility: &Facility, basis: ReadBasis) -> RecordRead {
    RecordRead {
        kind: RecordKind::Facility,
        id: facility.id.to_string(),
        owner: facility.organization_id,
        basis,
    }
}

fn from_row(actor: &Actor, row: &AnyRow) -> StoreResult<(Facility, ReadBasis)> {
    let facility = Facility {
        id: parsed(&text(row, "id")?, "facility id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        name_ja: text(row, "name_ja")?,
        name_en: text(row, "name_en")?,
        facility_type: enum_value(&text(row, "facility_type")?, "facility type")?,
        gln: opt_text(row, "gln")?,
        ouranos_plant_id: opt_text(row, "ouranos_plant_id")?,
        prefecture_code: opt_text(row, "prefecture_code")?,
        local_government_code: opt_text(row, "local_government_code")?,
        address: opt_text(row, "address")?,
        visibility: enum_value(&text(row, "visibility")?, "visibility")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    };
    let basis = basis_of(
        actor,
        row,
        facility.organization_id,
        facility.visibility == Visibility::Public,
    )?;
    Ok((facility, basis))
}
