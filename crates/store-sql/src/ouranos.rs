//! The Ouranos data transaction records (issue 5, migration 0007): operators' and plants' Ouranos
//! attributes beside organizations and facilities, parts with deterministic trace ids, two-level
//! parts structures, trades with their request status, CFP certification metadata and each part's
//! CFP as its footprint.
//!
//! Disclosure is decided here, not in the handlers: a part, its structure, CFP and certifications
//! belong to the operator that wrote them; another operator learns a part's CFP only as the
//! response rows of its own part that a trade links to it, once the supplier answered the trade;
//! the supplier never sees the buyer's required amounts. Reads across companies are audited.

use std::collections::{HashSet, VecDeque};

use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use junkan_footprint::model::{DeclaredUnit, Footprint, Geography};
use junkan_footprint::ouranos::{
    footprint_from_write, response_rows, rows, total_rows, CfpRow, CfpWrite, FootprintContext,
};
use junkan_footprint::rollup::{rollup, PartFootprint, Rollup, SupplyGraph};
use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::facility::{FacilityPatch, FacilityType, NewFacility, Visibility};
use junkan_model::ids::{FacilityId, FootprintId, OrganizationId};
use junkan_model::organization::OrganizationPatch;
use junkan_model::ouranos::{
    AmountUnit, CertificationFile, CfpCertification, CfpCertificationWrite, CfpResponseStatus, NewTradeRequest,
    Operator, OperatorUpdate, Part, PartFilter, PartWrite, PartsStructure, PartsStructureWrite, Plant, PlantWrite,
    StatusChange, StatusFilter, StatusTarget, Trade, TradeFilter, TradeRequest, TradeResponse, TradeStatus,
    TradeTreeStatus,
};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::{StoreError, StoreResult};

pub(crate) mod remote;
mod rollup;

use rollup::{cached_supply_graph, encode_input, refresh_lines, Disclosure, LinesOf};
pub use rollup::{GraphCache, GraphSource};

use crate::access::{insert_reads, record, require, AuditedReads, ReadEntry};
use crate::rows::{int, opt_text, parsed, text, time, write_error, Param, Sql};
use crate::{facilities, footprints, micros, organizations, unavailable, SqlStore};

const OPERATOR_CONFLICTS: [(&str, &str, &str); 1] = [(
    "global_operator_id",
    "/operatorAttribute/globalOperatorId",
    "globalOperatorId is already registered",
)];
const PLANT_CONFLICTS: [(&str, &str, &str); 2] = [
    (
        "global_plant_id",
        "/plantAttribute/globalPlantId",
        "globalPlantId is already registered for this operator",
    ),
    (
        "plant_id",
        "/openPlantId",
        "openPlantId is already registered for this operator",
    ),
];

/// The actor's organization, or `Forbidden` for actors without one.
fn own_organization(actor: &Actor) -> StoreResult<OrganizationId> {
    actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an operator use the Ouranos API".to_owned(),
    })
}

/// The actor's organization when the actor may write its records.
fn writing_organization(actor: &Actor) -> StoreResult<OrganizationId> {
    let organization = own_organization(actor)?;
    require(
        actor.writes_for(organization),
        "only members of the operator write its Ouranos records",
    )?;
    Ok(organization)
}

fn invalid(path: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![Violation::new(path, message)])
}

fn not_found(kind: RecordKind, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn uuid_of(row: &AnyRow, column: &str) -> StoreResult<Uuid> {
    parsed(&text(row, column)?, column, Uuid::parse_str)
}

fn opt_uuid(row: &AnyRow, column: &str) -> StoreResult<Option<Uuid>> {
    opt_text(row, column)?
        .map(|value| parsed(&value, column, Uuid::parse_str))
        .transpose()
}

fn opt_decimal(row: &AnyRow, column: &str) -> StoreResult<Option<Decimal>> {
    opt_text(row, column)?
        .map(|value| parsed(&value, column, |text: &str| text.parse::<Decimal>()))
        .transpose()
}

fn opt_unit(row: &AnyRow, column: &str) -> StoreResult<Option<AmountUnit>> {
    opt_text(row, column)?
        .map(|value| {
            AmountUnit::parse(&value).ok_or_else(|| unavailable_text(format!("unknown amount unit {value:?}")))
        })
        .transpose()
}

fn unavailable_text(message: String) -> StoreError {
    StoreError::Unavailable(message.into())
}

// ---------------------------------------------------------------------------------------------
// Operators

async fn operator_of(store: &SqlStore, id: OrganizationId) -> StoreResult<Operator> {
    let organization = organizations::get(store, id).await?;
    let Some(corporate_number) = organization.corporate_number else {
        // Ouranos operators are identified by their 法人番号.
        return Err(not_found(RecordKind::Organization, id));
    };
    let row = sqlx::query("SELECT address, global_operator_id FROM ouranos_operators WHERE organization_id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    // Until the operator sets its address, the directory's prefecture stands in for it
    // (`operatorAddress` may not be empty).
    let directory_address = organization
        .prefecture_code
        .as_deref()
        .and_then(|code| junkan_model::japan::prefecture(code).map(|prefecture| prefecture.name_ja.clone()))
        .unwrap_or_else(|| "-".to_owned());
    let (address, global_operator_id) = match row {
        Some(row) => (text(&row, "address")?, opt_text(&row, "global_operator_id")?),
        None => (directory_address, None),
    };
    Ok(Operator {
        operator_id: id,
        open_operator_id: corporate_number,
        operator_name: organization.name_ja,
        operator_address: address,
        global_operator_id,
    })
}

pub async fn operator(store: &SqlStore, actor: &Actor, id: OrganizationId) -> StoreResult<Operator> {
    own_organization(actor)?;
    operator_of(store, id).await
}

pub async fn operator_by_open_id(store: &SqlStore, actor: &Actor, open_operator_id: &str) -> StoreResult<Operator> {
    own_organization(actor)?;
    let row = sqlx::query("SELECT id FROM organizations WHERE corporate_number = $1")
        .bind(open_operator_id)
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| not_found(RecordKind::Organization, open_operator_id))?;
    operator_of(store, parsed(&text(&row, "id")?, "organization id", str::parse)?).await
}

pub async fn operators(store: &SqlStore, actor: &Actor, ids: &[OrganizationId]) -> StoreResult<Vec<Operator>> {
    own_organization(actor)?;
    let mut found = Vec::new();
    for id in ids {
        match operator_of(store, *id).await {
            Ok(operator) => found.push(operator),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(found)
}

pub async fn update_operator(store: &SqlStore, actor: &Actor, update: OperatorUpdate) -> StoreResult<Operator> {
    let organization = own_organization(actor)?;
    require(
        update.operator_id == organization,
        "operatorId must be the operator the caller signed in for",
    )?;
    let current = operator_of(store, organization).await?;
    if update.open_operator_id != current.open_operator_id {
        return Err(invalid("/openOperatorId", "openOperatorId: field is immutable."));
    }
    if update.operator_name != current.operator_name {
        let patch = OrganizationPatch {
            name_ja: Some(update.operator_name.clone()),
            ..OrganizationPatch::default()
        };
        organizations::update(store, actor, organization, &patch).await?;
    } else {
        require(
            actor.administers(organization),
            "only the operator's administrators change it",
        )?;
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO ouranos_operators (organization_id, address, global_operator_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (organization_id) DO UPDATE SET address = $2, global_operator_id = $3, updated_at = $4",
    )
    .bind(organization.to_string())
    .bind(update.operator_address.clone())
    .bind(update.global_operator_id.clone())
    .bind(micros(store.clock_now()))
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &OPERATOR_CONFLICTS))?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::Organization,
        &organization.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    operator_of(store, organization).await
}

// ---------------------------------------------------------------------------------------------
// Plants

fn plant_from_row(row: &AnyRow) -> StoreResult<Plant> {
    Ok(Plant {
        plant_id: parsed(&text(row, "id")?, "facility id", str::parse)?,
        operator_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        open_plant_id: opt_text(row, "ouranos_plant_id")?.unwrap_or_default(),
        plant_name: text(row, "name_ja")?,
        plant_address: opt_text(row, "address")?.unwrap_or_default(),
        global_plant_id: opt_text(row, "global_plant_id")?,
    })
}

const PLANT_SELECT: &str =
    "SELECT f.id, f.organization_id, f.ouranos_plant_id, f.name_ja, f.address, p.global_plant_id \
     FROM facilities f LEFT JOIN ouranos_plants p ON p.facility_id = f.id";

pub async fn list_plants(store: &SqlStore, actor: &Actor) -> StoreResult<Vec<Plant>> {
    let organization = own_organization(actor)?;
    let rows = sqlx::query(&format!(
        "{PLANT_SELECT} WHERE f.organization_id = $1 AND f.ouranos_plant_id IS NOT NULL ORDER BY f.id"
    ))
    .bind(organization.to_string())
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    rows.iter().map(plant_from_row).collect()
}

async fn own_plant(store: &SqlStore, organization: OrganizationId, plant: FacilityId) -> StoreResult<Plant> {
    let row = sqlx::query(&format!("{PLANT_SELECT} WHERE f.id = $1 AND f.organization_id = $2"))
        .bind(plant.to_string())
        .bind(organization.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| not_found(RecordKind::Facility, plant))?;
    plant_from_row(&row)
}

pub async fn put_plant(store: &SqlStore, actor: &Actor, write: PlantWrite) -> StoreResult<Plant> {
    let organization = writing_organization(actor)?;
    require(
        write.operator_id == organization,
        "operatorId must be the operator the caller signed in for",
    )?;
    // The facility and its Ouranos plant row are one transaction.
    let (facility, created) = match write.plant_id {
        None => {
            let new = NewFacility {
                name_ja: write.plant_name.clone(),
                name_en: write.plant_name.clone(),
                facility_type: FacilityType::Plant,
                gln: None,
                ouranos_plant_id: Some(write.open_plant_id.clone()),
                prefecture_code: None,
                local_government_code: None,
                address: Some(write.plant_address.clone()),
                visibility: Visibility::Restricted,
            };
            (facilities::new_facility(store, actor, organization, new).await?, true)
        }
        Some(id) => {
            own_plant(store, organization, id).await?;
            let patch = FacilityPatch {
                name_ja: Some(write.plant_name.clone()),
                ouranos_plant_id: Some(Some(write.open_plant_id.clone())),
                address: Some(Some(write.plant_address.clone())),
                ..FacilityPatch::default()
            };
            (facilities::patched_facility(store, actor, id, &patch).await?, false)
        }
    };
    let plant_exists = |error| match error {
        StoreError::Conflict { .. } => StoreError::Conflict {
            message: format!("openPlantId: {} is already exists.", write.open_plant_id),
            path: "/openPlantId".to_owned(),
        },
        other => other,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    if created {
        facilities::create_in(store, &mut transaction, actor, &facility)
            .await
            .map_err(plant_exists)?;
    } else {
        facilities::update_in(store, &mut transaction, actor, &facility)
            .await
            .map_err(plant_exists)?;
    }
    sqlx::query(
        "INSERT INTO ouranos_plants (facility_id, organization_id, global_plant_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (facility_id) DO UPDATE SET global_plant_id = $3, updated_at = $4",
    )
    .bind(facility.id.to_string())
    .bind(organization.to_string())
    .bind(write.global_plant_id.clone())
    .bind(micros(store.clock_now()))
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &PLANT_CONFLICTS))?;
    // The facility's leaf above was appended before its plant row: this one commits to both.
    crate::log::append_record(
        store,
        &mut transaction,
        AuditAction::Update,
        RecordKind::Facility,
        &facility.id.to_string(),
        Some(organization),
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    own_plant(store, organization, facility.id).await
}

// ---------------------------------------------------------------------------------------------
// Parts

const PART_COLUMNS: &str = "p.trace_id, p.organization_id, p.plant_id, p.parts_name, p.support_parts_name, p.terminated, \
     p.amount_required, p.amount_required_unit, p.parts_label_name, p.parts_add_info1, p.parts_add_info2, p.parts_add_info3";

fn part_from_row(row: &AnyRow) -> StoreResult<Part> {
    Ok(Part {
        trace_id: uuid_of(row, "trace_id")?,
        operator_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        plant_id: parsed(&text(row, "plant_id")?, "plant id", str::parse)?,
        parts_name: text(row, "parts_name")?,
        support_parts_name: opt_text(row, "support_parts_name")?,
        terminated: int(row, "terminated")? != 0,
        amount_required: opt_decimal(row, "amount_required")?,
        amount_required_unit: opt_unit(row, "amount_required_unit")?,
        parts_label_name: opt_text(row, "parts_label_name")?,
        parts_add_info: [
            opt_text(row, "parts_add_info1")?,
            opt_text(row, "parts_add_info2")?,
            opt_text(row, "parts_add_info3")?,
        ],
    })
}

/// Any part, whoever owns it (for the store's own use only).
async fn load_part(connection: &mut AnyConnection, trace_id: Uuid) -> StoreResult<Option<Part>> {
    let row = sqlx::query(&format!(
        "SELECT {PART_COLUMNS} FROM ouranos_parts p WHERE p.trace_id = $1"
    ))
    .bind(trace_id.to_string())
    .fetch_optional(&mut *connection)
    .await
    .map_err(unavailable)?;
    row.as_ref().map(part_from_row).transpose()
}

/// A part of `organization`; other operators' parts are not found.
async fn own_part(connection: &mut AnyConnection, organization: OrganizationId, trace_id: Uuid) -> StoreResult<Part> {
    match load_part(connection, trace_id).await? {
        Some(part) if part.operator_id == organization => Ok(part),
        _ => Err(not_found(RecordKind::OuranosPart, trace_id)),
    }
}

/// Checks a part write and writes it in `connection`; returns the part as stored.
async fn write_part(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    organization: OrganizationId,
    write: &PartWrite,
    pointer: &str,
) -> StoreResult<Part> {
    require(
        write.part.operator_id == organization,
        "operatorId must be the operator the caller signed in for",
    )?;
    let plant = sqlx::query("SELECT organization_id FROM facilities WHERE id = $1")
        .bind(write.part.plant_id.to_string())
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    let plant_owner = plant.map(|row| text(&row, "organization_id")).transpose()?;
    if plant_owner.as_deref() != Some(organization.to_string().as_str()) {
        return Err(invalid(
            &format!("{pointer}/plantId"),
            "plantId must be a plant of the operator",
        ));
    }
    let derived = write.derived_trace_id();
    if let Some(given) = write.trace_id {
        if given != derived {
            // The trace id is derived from operator, plant, part name and auxiliary name, so a
            // given id with other naming fields would change one of those immutable fields.
            let existing = load_part(connection, given).await?;
            return match existing {
                Some(part) if part.operator_id == organization => Err(invalid(
                    &format!("{pointer}/traceId"),
                    "traceId, plantId, partsName and supportPartsName cannot be changed",
                )),
                _ => Err(not_found(RecordKind::OuranosPart, given)),
            };
        }
    }
    let now = micros(store.clock_now());
    let part = Part {
        trace_id: derived,
        ..write.part.clone()
    };
    let existed = load_part(connection, derived).await?.is_some();
    sqlx::query(
        "INSERT INTO ouranos_parts (trace_id, organization_id, plant_id, parts_name, support_parts_name, terminated, amount_required, \
         amount_required_unit, parts_label_name, parts_add_info1, parts_add_info2, parts_add_info3, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
         ON CONFLICT (trace_id) DO UPDATE SET terminated = $6, amount_required = $7, amount_required_unit = $8, \
         parts_label_name = $9, parts_add_info1 = $10, parts_add_info2 = $11, parts_add_info3 = $12, updated_at = $13",
    )
    .bind(part.trace_id.to_string())
    .bind(organization.to_string())
    .bind(part.plant_id.to_string())
    .bind(part.parts_name.clone())
    .bind(part.support_parts_name.clone())
    .bind(i64::from(part.terminated))
    .bind(part.amount_required.map(|amount| amount.normalize().to_string()))
    .bind(part.amount_required_unit.map(|unit| unit.as_str()))
    .bind(part.parts_label_name.clone())
    .bind(part.parts_add_info[0].clone())
    .bind(part.parts_add_info[1].clone())
    .bind(part.parts_add_info[2].clone())
    .bind(now)
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    record(
        store,
        connection,
        actor,
        if existed {
            AuditAction::Update
        } else {
            AuditAction::Create
        },
        RecordKind::OuranosPart,
        &part.trace_id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    Ok(part)
}

pub async fn put_part(store: &SqlStore, actor: &Actor, write: PartWrite) -> StoreResult<Part> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    // Only the part's own row changes: unlike the reference, its components stay.
    let part = write_part(store, &mut transaction, actor, organization, &write, "").await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(part)
}

pub async fn list_parts(
    store: &SqlStore,
    actor: &Actor,
    filter: &PartFilter,
    page: &PageRequest,
) -> StoreResult<Page<Part>> {
    let organization = own_organization(actor)?;
    let mut sql = Sql::new(
        &format!("SELECT {PART_COLUMNS} FROM ouranos_parts p WHERE p.organization_id = $1"),
        vec![Param::Text(organization.to_string())],
    );
    if let Some(trace_id) = filter.trace_id {
        sql.push_with(" AND p.trace_id = ?", vec![Param::Text(trace_id.to_string())]);
    }
    if let Some(name) = &filter.parts_name {
        sql.push_with(" AND p.parts_name = ?", vec![Param::Text(name.clone())]);
    }
    if let Some(plant) = filter.plant_id {
        sql.push_with(" AND p.plant_id = ?", vec![Param::Text(plant.to_string())]);
    }
    if filter.parents_only {
        sql.push_with(
            " AND EXISTS (SELECT 1 FROM ouranos_parts_structures s WHERE s.parent_trace_id = p.trace_id)",
            vec![],
        );
    }
    if let Some(after) = &page.after {
        // Parts are listed by part name, then trace id; `after` is the last trace id shown.
        let after_name =
            sqlx::query("SELECT parts_name FROM ouranos_parts WHERE trace_id = $1 AND organization_id = $2")
                .bind(after.clone())
                .bind(organization.to_string())
                .fetch_optional(&store.reader)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| invalid("?after", "after must be a traceId of a part in the list"))?;
        let name = text(&after_name, "parts_name")?;
        sql.push_with(
            " AND (p.parts_name > ? OR (p.parts_name = ? AND p.trace_id > ?))",
            vec![Param::Text(name.clone()), Param::Text(name), Param::Text(after.clone())],
        );
    }
    sql.push_with(
        " ORDER BY p.parts_name, p.trace_id LIMIT ?",
        vec![Param::Int(i64::from(page.limit) + 1)],
    );
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let parts: Vec<Part> = rows.iter().map(part_from_row).collect::<StoreResult<_>>()?;
    Ok(Page::from_overfetch(parts, page.limit, |part| {
        part.trace_id.to_string()
    }))
}

pub async fn delete_part(store: &SqlStore, actor: &Actor, trace_id: Uuid) -> StoreResult<()> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    own_part(&mut transaction, organization, trace_id).await?;
    let id = trace_id.to_string();
    for (statement, message) in [
        (
            "SELECT COUNT(*) AS n FROM ouranos_parts_structures WHERE parent_trace_id = $1",
            "指定された部品は部品構成が存在するため削除できません。 (the part is the parent of a parts structure)",
        ),
        (
            "SELECT COUNT(*) AS n FROM ouranos_parts_structures WHERE child_trace_id = $1",
            "指定された部品は部品構成が存在するため削除できません。 (the part is a component of a parts structure)",
        ),
        (
            "SELECT COUNT(*) AS n FROM ouranos_trades WHERE downstream_trace_id = $1",
            "指定された部品は依頼済みのため削除できません。 (a supplier was asked for this part)",
        ),
        (
            "SELECT COUNT(*) AS n FROM ouranos_trades WHERE upstream_trace_id = $1",
            "指定された部品は受領済みの依頼に紐づいているため削除できません。 (the part answers a buyer's request)",
        ),
    ] {
        let row = sqlx::query(statement)
            .bind(id.clone())
            .fetch_one(&mut *transaction)
            .await
            .map_err(unavailable)?;
        if int(&row, "n")? > 0 {
            return Err(invalid("?traceId", message));
        }
    }
    for statement in [
        "DELETE FROM ouranos_remote_supplies WHERE trace_id = $1",
        "DELETE FROM ouranos_cfps WHERE trace_id = $1",
        "DELETE FROM ouranos_cfp_certifications WHERE trace_id = $1",
        "DELETE FROM ouranos_parts WHERE trace_id = $1",
    ] {
        sqlx::query(statement)
            .bind(id.clone())
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Revoke,
        RecordKind::OuranosPart,
        &id,
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)
}

/// The components of `parent` with the amounts of its structure lines, in line order.
async fn children_of(connection: &mut AnyConnection, parent: Uuid) -> StoreResult<Vec<Part>> {
    let rows = sqlx::query(&format!(
        "SELECT {PART_COLUMNS}, s.amount_required AS line_amount, s.amount_required_unit AS line_unit \
         FROM ouranos_parts_structures s JOIN ouranos_parts p ON p.trace_id = s.child_trace_id \
         WHERE s.parent_trace_id = $1 ORDER BY s.position"
    ))
    .bind(parent.to_string())
    .fetch_all(&mut *connection)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(|row| {
            let mut part = part_from_row(row)?;
            part.amount_required = opt_decimal(row, "line_amount")?;
            part.amount_required_unit = opt_unit(row, "line_unit")?;
            Ok(part)
        })
        .collect()
}

pub async fn get_structure(store: &SqlStore, actor: &Actor, trace_id: Uuid) -> StoreResult<PartsStructure> {
    let organization = own_organization(actor)?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let mut parent = own_part(&mut connection, organization, trace_id).await?;
    // A parent part has no required amount of its own.
    parent.amount_required = None;
    let children = children_of(&mut connection, trace_id).await?;
    Ok(PartsStructure { parent, children })
}

pub async fn put_structure(store: &SqlStore, actor: &Actor, write: PartsStructureWrite) -> StoreResult<PartsStructure> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let parent = write_part(
        store,
        &mut transaction,
        actor,
        organization,
        &write.parent,
        "/parentPartsModel",
    )
    .await?;
    let mut children = Vec::with_capacity(write.children.len());
    let mut seen = HashSet::new();
    for (index, child) in write.children.iter().enumerate() {
        let pointer = format!("/childrenPartsModel/{index}");
        let stored = write_part(store, &mut transaction, actor, organization, child, &pointer).await?;
        if stored.trace_id == parent.trace_id {
            return Err(invalid(&pointer, "a part cannot be its own component"));
        }
        if !seen.insert(stored.trace_id) {
            return Err(invalid(&pointer, "the component is listed twice"));
        }
        children.push(stored);
    }
    sqlx::query("DELETE FROM ouranos_parts_structures WHERE parent_trace_id = $1")
        .bind(parent.trace_id.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    for (position, child) in children.iter().enumerate() {
        // What the roll-up reads through the line is set below, once all lines are written.
        sqlx::query(
            "INSERT INTO ouranos_parts_structures (parent_trace_id, child_trace_id, position, amount_required, amount_required_unit, \
             rollup_target, rollup_operator) VALUES ($1, $2, $3, $4, $5, $2, $6)",
        )
        .bind(parent.trace_id.to_string())
        .bind(child.trace_id.to_string())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(child.amount_required.map(|amount| amount.normalize().to_string()))
        .bind(child.amount_required_unit.map(|unit| unit.as_str()))
        .bind(organization.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    }
    refresh_lines(&mut transaction, LinesOf::Parent, &parent.trace_id.to_string()).await?;
    // A structure that loops through this company's own parts is refused here; loops through
    // other companies are found by the roll-up.
    if loops_back(&mut transaction, parent.trace_id).await? {
        return Err(invalid(
            "/childrenPartsModel",
            "the structure would make the part a component of itself",
        ));
    }
    // The parent's leaf (written with the part) came before its lines: this one commits to both.
    crate::log::append_record(
        store,
        &mut transaction,
        AuditAction::Update,
        RecordKind::OuranosPart,
        &parent.trace_id.to_string(),
        Some(organization),
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    let mut parent = parent;
    parent.amount_required = None;
    Ok(PartsStructure { parent, children })
}

/// Whether `root` is reachable from its own components through structure lines.
async fn loops_back(connection: &mut AnyConnection, root: Uuid) -> StoreResult<bool> {
    let mut queue = VecDeque::from([root]);
    let mut seen = HashSet::new();
    while let Some(part) = queue.pop_front() {
        let rows = sqlx::query("SELECT child_trace_id FROM ouranos_parts_structures WHERE parent_trace_id = $1")
            .bind(part.to_string())
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?;
        for row in rows {
            let child = uuid_of(&row, "child_trace_id")?;
            if child == root {
                return Ok(true);
            }
            if seen.insert(child) {
                queue.push_back(child);
            }
        }
    }
    Ok(false)
}

// ---------------------------------------------------------------------------------------------
// Trades

const TRADE_COLUMNS: &str = "t.trade_id, t.status_id, t.downstream_organization_id, t.downstream_trace_id, \
     t.upstream_organization_id, t.upstream_trace_id, t.message, t.reply_message, t.cfp_response_status, \
     t.response_due_date, t.created_at, t.updated_at";

/// A trade row as stored, before the tree counts are computed.
#[derive(Debug, Clone)]
struct TradeRow {
    trade: Trade,
    status_id: Uuid,
    message: Option<String>,
    reply_message: Option<String>,
    cfp_response_status: CfpResponseStatus,
    response_due_date: Option<Date>,
    updated_at: OffsetDateTime,
}

fn trade_from_row(row: &AnyRow) -> StoreResult<TradeRow> {
    let status_text = text(row, "cfp_response_status")?;
    let due = opt_text(row, "response_due_date")?
        .map(|value| {
            parsed(&value, "response due date", |text: &str| {
                Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
            })
        })
        .transpose()?;
    Ok(TradeRow {
        trade: Trade {
            trade_id: uuid_of(row, "trade_id")?,
            downstream_operator_id: parsed(&text(row, "downstream_organization_id")?, "organization id", str::parse)?,
            downstream_trace_id: uuid_of(row, "downstream_trace_id")?,
            upstream_operator_id: parsed(&text(row, "upstream_organization_id")?, "organization id", str::parse)?,
            upstream_trace_id: opt_uuid(row, "upstream_trace_id")?,
        },
        status_id: uuid_of(row, "status_id")?,
        message: opt_text(row, "message")?,
        reply_message: opt_text(row, "reply_message")?,
        cfp_response_status: CfpResponseStatus::parse(&status_text)
            .ok_or_else(|| unavailable_text(format!("unknown response status {status_text:?}")))?,
        response_due_date: due,
        updated_at: time(row, "updated_at")?,
    })
}

/// The answered trades that link `trace_id` (a buyer's part) to a supplier's part.
async fn answered_links(connection: &mut AnyConnection, trace_id: Uuid) -> StoreResult<Vec<TradeRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.downstream_trace_id = $1 AND t.cfp_response_status = 'COMPLETED' \
         AND t.upstream_trace_id IS NOT NULL ORDER BY t.updated_at DESC, t.trade_id DESC"
    ))
    .bind(trace_id.to_string())
    .fetch_all(&mut *connection)
    .await
    .map_err(unavailable)?;
    rows.iter().map(trade_from_row).collect()
}

/// The status of a trade with the counts over the supplier's tree: every trade requested for a
/// part below the supplier's linked part (through structures and answered trades, any depth)
/// counts, and the tree is terminated when every leaf below is a terminated part or the end of an
/// answered chain.
async fn status_of(connection: &mut AnyConnection, row: &TradeRow) -> StoreResult<TradeStatus> {
    let mut trades_count = 1u64;
    let mut completed_count = u64::from(row.cfp_response_status == CfpResponseStatus::Completed);
    let mut modified = row.updated_at;
    let mut terminated = row.cfp_response_status == CfpResponseStatus::Completed;
    let mut queue: VecDeque<Uuid> = row.trade.upstream_trace_id.into_iter().collect();
    let mut seen: HashSet<Uuid> = queue.iter().copied().collect();
    while let Some(part_id) = queue.pop_front() {
        let Some(part) = load_part(connection, part_id).await? else {
            terminated = false;
            continue;
        };
        let children = children_of(connection, part_id).await?;
        let trades = sqlx::query(&format!(
            "SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.downstream_trace_id = $1 AND t.cfp_response_status <> 'CANCEL'"
        ))
        .bind(part_id.to_string())
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?;
        let trades: Vec<TradeRow> = trades.iter().map(trade_from_row).collect::<StoreResult<_>>()?;
        let mut answered = false;
        for trade in &trades {
            trades_count += 1;
            modified = modified.max(trade.updated_at);
            if trade.cfp_response_status == CfpResponseStatus::Completed {
                completed_count += 1;
                if let Some(upstream) = trade.trade.upstream_trace_id {
                    answered = true;
                    if seen.insert(upstream) {
                        queue.push_back(upstream);
                    }
                }
            }
        }
        let has_cfp = stored_cfp(connection, part_id).await?.is_some();
        if children.is_empty() && !part.terminated && !answered && !has_cfp {
            terminated = false;
        }
        for child in children {
            if seen.insert(child.trace_id) {
                queue.push_back(child.trace_id);
            }
        }
    }
    Ok(TradeStatus {
        status_id: row.status_id,
        trade_id: row.trade.trade_id,
        message: row.message.clone(),
        reply_message: row.reply_message.clone(),
        cfp_response_status: row.cfp_response_status,
        trade_tree_status: if terminated {
            TradeTreeStatus::Terminated
        } else {
            TradeTreeStatus::Unterminated
        },
        completed_count,
        completed_count_modified_at: modified,
        trades_count,
        trades_count_modified_at: modified,
        response_due_date: row.response_due_date,
    })
}

pub async fn create_trade_request(store: &SqlStore, actor: &Actor, new: NewTradeRequest) -> StoreResult<TradeRequest> {
    let organization = writing_organization(actor)?;
    require(
        new.downstream_operator_id == organization,
        "downstreamOperatorId must be the operator the caller signed in for",
    )?;
    if new.upstream_operator_id == organization {
        return Err(invalid(
            "/tradeModel/upstreamOperatorId",
            "a trade asks another operator; use a parts structure for the operator's own parts",
        ));
    }
    // The supplier must be a known operator (404 otherwise, as in the reference).
    operator_of(store, new.upstream_operator_id).await?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    own_part(&mut transaction, organization, new.downstream_trace_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => invalid(
                "/tradeModel/downstreamTraceId",
                "downstreamTraceId must be a part of the operator",
            ),
            other => other,
        })?;
    let now = store.clock_now();
    let row = TradeRow {
        trade: Trade {
            trade_id: Uuid::now_v7(),
            downstream_operator_id: organization,
            downstream_trace_id: new.downstream_trace_id,
            upstream_operator_id: new.upstream_operator_id,
            upstream_trace_id: None,
        },
        status_id: Uuid::now_v7(),
        message: new.message.clone(),
        reply_message: None,
        cfp_response_status: CfpResponseStatus::NotCompleted,
        response_due_date: Some(new.response_due_date),
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO ouranos_trades (trade_id, status_id, downstream_organization_id, downstream_trace_id, upstream_organization_id, \
         upstream_trace_id, request_type, message, reply_message, cfp_response_status, response_due_date, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, 'CFP', $6, NULL, 'NOT_COMPLETED', $7, $8, $8)",
    )
    .bind(row.trade.trade_id.to_string())
    .bind(row.status_id.to_string())
    .bind(organization.to_string())
    .bind(new.downstream_trace_id.to_string())
    .bind(new.upstream_operator_id.to_string())
    .bind(new.message.clone())
    .bind(date_text(new.response_due_date))
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    refresh_lines(&mut transaction, LinesOf::Part, &new.downstream_trace_id.to_string()).await?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::OuranosTrade,
        &row.trade.trade_id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let status = status_of(&mut connection, &row).await?;
    Ok(TradeRequest {
        trade: row.trade,
        status,
    })
}

fn date_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Trades newest first, continuing after the trade `page.after`.
fn push_trade_page(sql: &mut Sql, page: &PageRequest) {
    if let Some(after) = &page.after {
        sql.push_with(
            " AND (t.created_at < (SELECT created_at FROM ouranos_trades WHERE trade_id = ?) \
             OR (t.created_at = (SELECT created_at FROM ouranos_trades WHERE trade_id = ?) AND t.trade_id < ?))",
            vec![
                Param::Text(after.clone()),
                Param::Text(after.clone()),
                Param::Text(after.clone()),
            ],
        );
    }
    sql.push_with(
        " ORDER BY t.created_at DESC, t.trade_id DESC LIMIT ?",
        vec![Param::Int(i64::from(page.limit) + 1)],
    );
}

pub async fn list_trade_requests(
    store: &SqlStore,
    actor: &Actor,
    filter: &TradeFilter,
    page: &PageRequest,
) -> StoreResult<Page<Trade>> {
    let organization = own_organization(actor)?;
    let mut sql = Sql::new(
        &format!("SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.downstream_organization_id = $1"),
        vec![Param::Text(organization.to_string())],
    );
    // With traceIds the reference ignores limit: every trade of those parts is returned.
    let page = if filter.downstream_trace_ids.is_empty() {
        page.clone()
    } else {
        sql.push_with(" AND t.downstream_trace_id IN ", vec![]);
        sql.push_list(filter.downstream_trace_ids.iter().map(|id| Param::Text(id.to_string())));
        PageRequest {
            after: None,
            limit: u32::MAX - 1,
        }
    };
    push_trade_page(&mut sql, &page);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let trades: Vec<Trade> = rows
        .iter()
        .map(|row| trade_from_row(row).map(|row| row.trade))
        .collect::<StoreResult<_>>()?;
    Ok(Page::from_overfetch(trades, page.limit, |trade| {
        trade.trade_id.to_string()
    }))
}

pub async fn list_trade_responses(
    store: &SqlStore,
    actor: &Actor,
    page: &PageRequest,
) -> StoreResult<Page<TradeResponse>> {
    let organization = own_organization(actor)?;
    let mut sql = Sql::new(
        &format!("SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.upstream_organization_id = $1"),
        vec![Param::Text(organization.to_string())],
    );
    push_trade_page(&mut sql, page);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let trades: Vec<TradeRow> = rows.iter().map(trade_from_row).collect::<StoreResult<_>>()?;
    let page = Page::from_overfetch(trades, page.limit, |row| row.trade.trade_id.to_string());
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in &page.items {
        let mut part = load_part(&mut connection, row.trade.downstream_trace_id)
            .await?
            .ok_or_else(|| not_found(RecordKind::OuranosPart, row.trade.downstream_trace_id))?;
        // The buyer's required amount is not the supplier's business.
        part.amount_required = None;
        let status = status_of(&mut connection, row).await?;
        items.push(TradeResponse {
            trade: row.trade.clone(),
            status,
            part,
        });
    }
    Ok(Page {
        items,
        next_after: page.next_after,
    })
}

async fn trade_by(connection: &mut AnyConnection, column: &str, id: Uuid) -> StoreResult<Option<TradeRow>> {
    let row = sqlx::query(&format!(
        "SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.{column} = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *connection)
    .await
    .map_err(unavailable)?;
    row.as_ref().map(trade_from_row).transpose()
}

pub async fn answer_trade(store: &SqlStore, actor: &Actor, trade_id: Uuid, trace_id: Uuid) -> StoreResult<Trade> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let row = trade_by(&mut transaction, "trade_id", trade_id)
        .await?
        .filter(|row| {
            row.trade.upstream_operator_id == organization || row.trade.downstream_operator_id == organization
        })
        .ok_or_else(|| not_found(RecordKind::OuranosTrade, trade_id))?;
    require(
        row.trade.upstream_operator_id == organization,
        "only the supplier the request is addressed to answers it",
    )?;
    if matches!(
        row.cfp_response_status,
        CfpResponseStatus::Cancel | CfpResponseStatus::Reject
    ) {
        return Err(invalid(
            "?tradeId",
            format!(
                "the request was {} and cannot be answered",
                row.cfp_response_status.as_str()
            ),
        ));
    }
    own_part(&mut transaction, organization, trace_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => invalid("?traceId", "traceId must be a part of the supplier"),
            other => other,
        })?;
    sqlx::query(
        "UPDATE ouranos_trades SET upstream_trace_id = $2, cfp_response_status = 'COMPLETED', updated_at = $3 WHERE trade_id = $1",
    )
    .bind(trade_id.to_string())
    .bind(trace_id.to_string())
    .bind(micros(store.clock_now()))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    refresh_lines(
        &mut transaction,
        LinesOf::Part,
        &row.trade.downstream_trace_id.to_string(),
    )
    .await?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::OuranosTrade,
        &trade_id.to_string(),
        Some(row.trade.downstream_operator_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(Trade {
        upstream_trace_id: Some(trace_id),
        ..row.trade
    })
}

pub async fn list_statuses(
    store: &SqlStore,
    actor: &Actor,
    filter: &StatusFilter,
    page: &PageRequest,
) -> StoreResult<Page<TradeStatus>> {
    let organization = own_organization(actor)?.to_string();
    let mut sql = match filter.target {
        Some(StatusTarget::Request) => Sql::new(
            &format!("SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.downstream_organization_id = $1"),
            vec![Param::Text(organization)],
        ),
        Some(StatusTarget::Response) => Sql::new(
            &format!("SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE t.upstream_organization_id = $1"),
            vec![Param::Text(organization)],
        ),
        None => Sql::new(
            &format!(
                "SELECT {TRADE_COLUMNS} FROM ouranos_trades t WHERE (t.downstream_organization_id = $1 OR t.upstream_organization_id = $1)"
            ),
            vec![Param::Text(organization)],
        ),
    };
    if let Some(status_id) = filter.status_id {
        sql.push_with(" AND t.status_id = ?", vec![Param::Text(status_id.to_string())]);
    }
    if let Some(trace_id) = filter.trace_id {
        sql.push_with(
            " AND t.downstream_trace_id = ?",
            vec![Param::Text(trace_id.to_string())],
        );
    }
    push_trade_page(&mut sql, page);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let trades: Vec<TradeRow> = rows.iter().map(trade_from_row).collect::<StoreResult<_>>()?;
    let page = Page::from_overfetch(trades, page.limit, |row| row.trade.trade_id.to_string());
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in &page.items {
        items.push(status_of(&mut connection, row).await?);
    }
    Ok(Page {
        items,
        next_after: page.next_after,
    })
}

pub async fn change_status(
    store: &SqlStore,
    actor: &Actor,
    status_id: Uuid,
    change: StatusChange,
) -> StoreResult<TradeStatus> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let row = trade_by(&mut transaction, "status_id", status_id)
        .await?
        .filter(|row| {
            row.trade.upstream_operator_id == organization || row.trade.downstream_operator_id == organization
        })
        .ok_or_else(|| not_found(RecordKind::OuranosTrade, status_id))?;
    let (status, reply_message) = match &change {
        StatusChange::Cancel => {
            require(
                row.trade.downstream_operator_id == organization,
                "only the buyer who made the request cancels it",
            )?;
            (CfpResponseStatus::Cancel, row.reply_message.clone())
        }
        StatusChange::Reject { reply_message } => {
            require(
                row.trade.upstream_operator_id == organization,
                "only the supplier the request is addressed to rejects it",
            )?;
            (CfpResponseStatus::Reject, reply_message.clone())
        }
    };
    if row.cfp_response_status == CfpResponseStatus::Cancel {
        return Err(invalid("/requestStatus/cfpResponseStatus", "the request was cancelled"));
    }
    let now = store.clock_now();
    sqlx::query(
        "UPDATE ouranos_trades SET cfp_response_status = $2, reply_message = $3, updated_at = $4 WHERE status_id = $1",
    )
    .bind(status_id.to_string())
    .bind(status.as_str())
    .bind(reply_message.clone())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    refresh_lines(
        &mut transaction,
        LinesOf::Part,
        &row.trade.downstream_trace_id.to_string(),
    )
    .await?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::OuranosTrade,
        &row.trade.trade_id.to_string(),
        Some(row.trade.downstream_operator_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    let updated = TradeRow {
        cfp_response_status: status,
        reply_message,
        updated_at: now,
        ..row
    };
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    status_of(&mut connection, &updated).await
}

// ---------------------------------------------------------------------------------------------
// CFP

/// The stored CFP of a part: its cfpId and current footprint (read here without the footprint
/// read rule: the Ouranos disclosure rule of the callers decides who learns what of it).
async fn stored_cfp(connection: &mut AnyConnection, trace_id: Uuid) -> StoreResult<Option<(Uuid, Footprint)>> {
    let row = sqlx::query(
        "SELECT c.cfp_id, f.document AS footprint FROM ouranos_cfps c JOIN footprints f ON f.id = c.footprint_id WHERE c.trace_id = $1",
    )
        .bind(trace_id.to_string())
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let footprint: Footprint = serde_json::from_str(&text(&row, "footprint")?)
        .map_err(|error| unavailable_text(format!("stored footprint of {trace_id} is unreadable: {error}")))?;
    Ok(Some((uuid_of(&row, "cfp_id")?, footprint)))
}

pub async fn put_cfp(store: &SqlStore, actor: &Actor, write: CfpWrite) -> StoreResult<Vec<CfpRow>> {
    let organization = writing_organization(actor)?;
    let operator = operator_of(store, organization).await?;
    let (part, previous) = {
        let mut connection = store.reader.acquire().await.map_err(unavailable)?;
        let part = own_part(&mut connection, organization, write.trace_id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound { .. } => invalid("/0/traceId", "traceId must be a part of the operator"),
                other => other,
            })?;
        (part, stored_cfp(&mut connection, write.trace_id).await?)
    };
    let cfp_id = match (&previous, write.cfp_id) {
        (Some((stored, _)), Some(given)) if *stored != given => {
            return Err(invalid("/0/cfpId", "cfpId is not the CFP of this traceId"))
        }
        (Some((stored, _)), _) => *stored,
        (None, Some(given)) => {
            return Err(not_found(RecordKind::OuranosPart, given));
        }
        (None, None) => Uuid::now_v7(),
    };
    let now = store.clock_now();
    let context = FootprintContext {
        id: FootprintId::generate(),
        created: now,
        company_name: operator.operator_name.clone(),
        company_ids: vec![format!("urn:jp:houjin-bangou:{}", operator.open_operator_id)],
        product_ids: vec![format!("urn:ouranos:trace-id:{}", part.trace_id)],
        product_name_company: part
            .parts_label_name
            .clone()
            .filter(|label| !label.is_empty())
            .unwrap_or_else(|| part.parts_name.clone()),
        product_description: match &part.support_parts_name {
            Some(support) if !support.is_empty() => format!("{} {}", part.parts_name, support),
            _ => part.parts_name.clone(),
        },
        reference_period_start: now.replace_time(time::Time::MIDNIGHT) - time::Duration::days(365),
        reference_period_end: now.replace_time(time::Time::MIDNIGHT),
        geography: Geography::Country("JP".to_owned()),
        fossil_ghg_emissions: write.stages.total(),
        fossil_carbon_content: Decimal::ZERO,
        product_mass_per_declared_unit: Decimal::ZERO,
        ipcc_characterization_factors: vec!["AR6".to_owned()],
        cross_sectoral_standards: vec!["ISO14067".to_owned()],
        exempted_emissions_percent: Decimal::ZERO,
    };
    let footprint = footprint_from_write(&write, context).map_err(StoreError::Invalid)?;
    // The CFP is stored once, as the part's footprint: a rewrite supersedes the previous one
    // (which becomes Deprecated and is named by the new one's precedingPfIds). The footprint and
    // the part's link to it are one transaction.
    let supersession = match &previous {
        Some((_, old)) => Some(footprints::supersession(store, actor, old.id, footprint.clone()).await?),
        None => None,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let footprint = match &supersession {
        Some(supersession) => {
            footprints::supersede_in(store, &mut transaction, actor, supersession).await?;
            &supersession.successor
        }
        None => {
            footprints::create_in(
                store,
                &mut transaction,
                actor,
                organization,
                &footprint,
                Visibility::Restricted,
            )
            .await?;
            &footprint
        }
    };
    sqlx::query(
        "INSERT INTO ouranos_cfps (trace_id, cfp_id, organization_id, footprint_id, created_at, updated_at, rollup_input) \
         VALUES ($1, $2, $3, $4, $5, $5, $6) \
         ON CONFLICT (trace_id) DO UPDATE SET footprint_id = $4, updated_at = $5, rollup_input = $6",
    )
    .bind(write.trace_id.to_string())
    .bind(cfp_id.to_string())
    .bind(organization.to_string())
    .bind(footprint.id.to_string())
    .bind(micros(now))
    // What the roll-up reads of the footprint, so that it need not parse the footprint's JSON.
    .bind(encode_input(&PartFootprint::from(footprint)))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    // A component with a CFP of its own rolls up with it, not with a supplier's part, and the
    // lines that lead to this part read its new CFP.
    refresh_lines(&mut transaction, LinesOf::Part, &write.trace_id.to_string()).await?;
    record(
        store,
        &mut transaction,
        actor,
        if previous.is_some() {
            AuditAction::Update
        } else {
            AuditAction::Create
        },
        RecordKind::OuranosPart,
        &write.trace_id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    rows(footprint, write.trace_id, cfp_id).map_err(StoreError::Invalid)
}

fn declared_unit(unit: AmountUnit) -> DeclaredUnit {
    DeclaredUnit::from_ouranos_name(unit.as_str()).expect("every Ouranos amount unit is a declared unit")
}

fn rollup_of(graph: &SupplyGraph, root: Uuid) -> StoreResult<Rollup> {
    rollup(graph, &root.to_string()).map_err(|problems| {
        StoreError::Invalid(
            problems
                .into_iter()
                .map(|problem| Violation::new("/traceId", problem.to_string()))
                .collect(),
        )
    })
}

/// The reads to audit among `disclosures`: the parts of operators other than `actor`'s own.
fn foreign_reads<'d>(actor: &Actor, disclosures: &'d [Disclosure]) -> Vec<ReadEntry<'d>> {
    let organization = actor.organization_id.map(|id| id.to_string());
    disclosures
        .iter()
        .filter(|disclosure| Some(&disclosure.operator) != organization.as_ref())
        .map(|disclosure| ReadEntry {
            kind: RecordKind::OuranosPart,
            id: &disclosure.trace_id,
            owner: disclosure.operator.clone(),
            grant: None,
        })
        .collect()
}

/// Audits that `actor` read, through a trade, the CFP of other operators' parts: one entry per
/// operator naming the parts read (`access::insert_reads`), written in one transaction before
/// anything read is returned.
async fn audit_disclosures(store: &SqlStore, actor: &Actor, disclosures: &[Disclosure]) -> StoreResult<AuditedReads> {
    let foreign = foreign_reads(actor, disclosures);
    if foreign.is_empty() {
        return Ok(AuditedReads::default());
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let written = insert_reads(store, &mut transaction, actor, &foreign).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(written)
}

/// A disclosure of `part` (a supplier's part read through a trade).
fn disclosure_of(part: &Part) -> Disclosure {
    Disclosure {
        trace_id: part.trace_id.to_string(),
        operator: part.operator_id.to_string(),
    }
}

pub async fn cfp_rows(store: &SqlStore, actor: &Actor, trace_ids: &[Uuid]) -> StoreResult<Vec<CfpRow>> {
    let organization = own_organization(actor)?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let mut result = Vec::new();
    let mut disclosed = Vec::new();
    for &trace_id in trace_ids {
        // Other operators' parts show nothing, whether or not they exist.
        let Some(part) = load_part(&mut connection, trace_id).await? else {
            continue;
        };
        if part.operator_id != organization {
            continue;
        }
        let own = stored_cfp(&mut connection, trace_id).await?;
        let links = answered_links(&mut connection, trace_id).await?;
        match (own, links.first()) {
            (Some((cfp_id, footprint)), _) => {
                result.extend(rows(&footprint, trace_id, cfp_id).map_err(StoreError::Invalid)?);
                if !children_of(&mut connection, trace_id).await?.is_empty() {
                    let read = cached_supply_graph(store, &mut connection, &trace_id.to_string()).await?;
                    let rolled = rollup_of(&read.loaded.graph, trace_id)?;
                    result.extend(total_rows(&rolled, trace_id, cfp_id).map_err(StoreError::Invalid)?);
                    disclosed.extend(read.loaded.disclosures.iter().cloned());
                }
            }
            (None, Some(link)) => {
                // The buyer's part answered by a supplier: the supplier's rolled-up values.
                let upstream = link
                    .trade
                    .upstream_trace_id
                    .expect("answered links have an upstream part");
                let read = cached_supply_graph(store, &mut connection, &upstream.to_string()).await?;
                let rolled = rollup_of(&read.loaded.graph, upstream)?;
                if rolled.unit.is_none() {
                    // The supplier linked a part without a CFP yet: nothing to show.
                    continue;
                }
                result.extend(response_rows(&rolled, trace_id, true, true).map_err(StoreError::Invalid)?);
                disclosed.extend(read.loaded.disclosures.iter().cloned());
                if let Some(supplier_part) = load_part(&mut connection, upstream).await? {
                    disclosed.push(disclosure_of(&supplier_part));
                }
            }
            (None, None) => {}
        }
    }
    drop(connection);
    audit_disclosures(store, actor, &disclosed).await?;
    Ok(result)
}

/// What one roll-up through the store cost (`junkan bench rollup` reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupCost {
    /// Statements that read the graph (the root's ownership check included).
    pub read_statements: usize,
    /// Whether the graph was the one this process kept (`rollup::GraphCache`), that graph
    /// patched with the parts changed since, or read in full.
    pub graph: GraphSource,
    /// What the audit of the suppliers' parts read wrote (statements without BEGIN and COMMIT).
    pub audit: AuditedReads,
    /// Time spent reading and assembling the graph.
    pub reading: std::time::Duration,
    /// Of which waiting for the statements' answers.
    pub querying: std::time::Duration,
    /// Time spent rolling it up (on a thread of its own, while the audit entries are written).
    pub rolling_up: std::time::Duration,
    /// Time from the end of the read until the audit entries were committed, which the roll-up
    /// overlaps.
    pub auditing: std::time::Duration,
}

pub async fn rollup_part(store: &SqlStore, actor: &Actor, trace_id: Uuid) -> StoreResult<(Rollup, RollupCost)> {
    let organization = own_organization(actor)?;
    let started = std::time::Instant::now();
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    own_part(&mut connection, organization, trace_id).await?;
    let graph = cached_supply_graph(store, &mut connection, &trace_id.to_string()).await?;
    drop(connection);
    let read = std::time::Instant::now();
    // The roll-up runs on a thread of its own while the audit entries are written; they are
    // committed only once it succeeded.
    let loaded = graph.loaded.clone();
    let rolling_up = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        rollup_of(&loaded.graph, trace_id).map(|rolled| (rolled, started.elapsed()))
    });
    let ((rolled, rolling_up), audit) =
        audit_disclosures_beside(store, actor, &graph.loaded.disclosures, rolling_up).await?;
    let cost = RollupCost {
        read_statements: graph.statements + 1,
        graph: graph.source,
        audit,
        reading: read - started,
        querying: graph.querying,
        rolling_up,
        auditing: read.elapsed(),
    };
    Ok((rolled, cost))
}

/// [`audit_disclosures`] beside a computation (`running`, a roll-up of what was disclosed) that
/// another thread runs meanwhile: the entries are written, then committed only when it
/// succeeded, so that a roll-up that fails audits nothing (what was read is not returned).
async fn audit_disclosures_beside<T>(
    store: &SqlStore,
    actor: &Actor,
    disclosures: &[Disclosure],
    running: tokio::task::JoinHandle<StoreResult<T>>,
) -> StoreResult<(T, AuditedReads)> {
    let finished = |joined: Result<StoreResult<T>, tokio::task::JoinError>| {
        joined.map_err(|error| unavailable_text(format!("the roll-up did not finish: {error}")))?
    };
    let foreign = foreign_reads(actor, disclosures);
    if foreign.is_empty() {
        return Ok((finished(running.await)?, AuditedReads::default()));
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let written = insert_reads(store, &mut transaction, actor, &foreign).await?;
    // On an error the transaction is dropped, which rolls it back.
    let result = finished(running.await)?;
    transaction.commit().await.map_err(unavailable)?;
    Ok((result, written))
}

/// The graph below `root` as a roll-up gets it (`testing::supply_graph`).
pub(crate) async fn supply_graph_for_test(
    store: &SqlStore,
    root: Uuid,
) -> StoreResult<(Vec<junkan_footprint::rollup::Part>, Vec<(String, String)>, GraphSource)> {
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let read = cached_supply_graph(store, &mut connection, &root.to_string()).await?;
    let disclosures = read
        .loaded
        .disclosures
        .iter()
        .map(|disclosure| (disclosure.trace_id.clone(), disclosure.operator.clone()))
        .collect();
    Ok((read.loaded.graph.parts().to_vec(), disclosures, read.source))
}

// ---------------------------------------------------------------------------------------------
// CFP certifications

fn files_json(files: &[CertificationFile]) -> String {
    Value::Array(
        files
            .iter()
            .map(|file| {
                json!({
                    "operatorId": file.operator_id.map(|id| id.to_string()),
                    "fileId": file.file_id.map(|id| id.to_string()),
                    "fileName": file.file_name,
                })
            })
            .collect(),
    )
    .to_string()
}

fn files_from_json(text: &str) -> StoreResult<Vec<CertificationFile>> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| unavailable_text(format!("stored certification files: {error}")))?;
    let uuid = |value: &Value| value.as_str().and_then(|text| Uuid::parse_str(text).ok());
    Ok(value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| CertificationFile {
                    operator_id: uuid(&item["operatorId"]).map(OrganizationId),
                    file_id: uuid(&item["fileId"]),
                    file_name: item["fileName"].as_str().map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default())
}

fn certification_from_row(row: &AnyRow) -> StoreResult<CfpCertification> {
    Ok(CfpCertification {
        cfp_certification_id: uuid_of(row, "id")?,
        trace_id: uuid_of(row, "trace_id")?,
        description: opt_text(row, "description")?,
        files: Some(files_from_json(&text(row, "files")?)?),
    })
}

async fn certifications_of(connection: &mut AnyConnection, trace_id: Uuid) -> StoreResult<Vec<CfpCertification>> {
    let rows = sqlx::query(
        "SELECT id, trace_id, description, files FROM ouranos_cfp_certifications WHERE trace_id = $1 ORDER BY id",
    )
    .bind(trace_id.to_string())
    .fetch_all(&mut *connection)
    .await
    .map_err(unavailable)?;
    rows.iter().map(certification_from_row).collect()
}

pub async fn list_certifications(
    store: &SqlStore,
    actor: &Actor,
    trace_id: Uuid,
) -> StoreResult<Vec<CfpCertification>> {
    let organization = own_organization(actor)?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let Some(part) = load_part(&mut connection, trace_id).await? else {
        return Ok(Vec::new());
    };
    if part.operator_id != organization {
        return Ok(Vec::new());
    }
    if stored_cfp(&mut connection, trace_id).await?.is_some() {
        return certifications_of(&mut connection, trace_id).await;
    }
    // The buyer's part answered by a supplier: the supplier's certification files under the
    // buyer's trace id, without the supplier's description (the reference's `request` example).
    let Some(link) = answered_links(&mut connection, trace_id).await?.into_iter().next() else {
        return certifications_of(&mut connection, trace_id).await;
    };
    let upstream = link
        .trade
        .upstream_trace_id
        .expect("answered links have an upstream part");
    let certifications = certifications_of(&mut connection, upstream).await?;
    let supplier_part = load_part(&mut connection, upstream).await?;
    drop(connection);
    if !certifications.is_empty() {
        let disclosures: Vec<Disclosure> = supplier_part.iter().map(disclosure_of).collect();
        audit_disclosures(store, actor, &disclosures).await?;
    }
    Ok(certifications
        .into_iter()
        .map(|certification| CfpCertification {
            trace_id,
            description: None,
            ..certification
        })
        .collect())
}

pub async fn put_certification(
    store: &SqlStore,
    actor: &Actor,
    write: CfpCertificationWrite,
) -> StoreResult<CfpCertification> {
    let organization = writing_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    own_part(&mut transaction, organization, write.trace_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => invalid("/traceId", "traceId must be a part of the operator"),
            other => other,
        })?;
    let now = micros(store.clock_now());
    let id = match write.cfp_certification_id {
        Some(id) => {
            let existing =
                sqlx::query("SELECT trace_id FROM ouranos_cfp_certifications WHERE id = $1 AND organization_id = $2")
                    .bind(id.to_string())
                    .bind(organization.to_string())
                    .fetch_optional(&mut *transaction)
                    .await
                    .map_err(unavailable)?
                    .ok_or_else(|| not_found(RecordKind::OuranosPart, id))?;
            if text(&existing, "trace_id")? != write.trace_id.to_string() {
                return Err(invalid("/traceId", "traceId of a certification cannot be changed"));
            }
            sqlx::query(
                "UPDATE ouranos_cfp_certifications SET description = $2, files = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(write.description.clone())
            .bind(files_json(&write.files))
            .bind(now)
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query(
                "INSERT INTO ouranos_cfp_certifications (id, trace_id, organization_id, description, files, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(id.to_string())
            .bind(write.trace_id.to_string())
            .bind(organization.to_string())
            .bind(write.description.clone())
            .bind(files_json(&write.files))
            .bind(now)
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
            id
        }
    };
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::OuranosPart,
        &write.trace_id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(CfpCertification {
        cfp_certification_id: id,
        trace_id: write.trace_id,
        description: write.description,
        files: Some(write.files),
    })
}

// ---------------------------------------------------------------------------------------------
// Passwords

pub async fn change_own_password(store: &SqlStore, actor: &Actor, password_hash: &str) -> StoreResult<()> {
    require(
        actor.kind == junkan_model::principal::PrincipalKind::User,
        "only a user signed in with a password changes it",
    )?;
    let organization = own_organization(actor)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let changed = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 AND organization_id = $3")
        .bind(actor.principal_id.clone())
        .bind(password_hash)
        .bind(organization.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?
        .rows_affected();
    if changed == 0 {
        return Err(not_found(RecordKind::User, &actor.principal_id));
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::User,
        &actor.principal_id,
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)
}
