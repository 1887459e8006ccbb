//! Material-flow records (物質フロー), stored indicator values (指標値) and targets (目標値) (issue 6,
//! migration 0009).
//!
//! Each row is one version. A correction inserts the next version and marks the old one
//! superseded in one transaction, the only change the tables' triggers allow; nothing is deleted.
//! An organization has at most one current version per key, which the partial unique indexes
//! guarantee and the write paths check first to name the record in the way. Reads select through
//! `access::readable` and audit reads under grants or as auditor before anything is returned.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use junkan_indicators::records::{
    check_correction_reason, under, IndicatorTarget, IndicatorTargetCorrection, IndicatorTargetFilter, IndicatorValue,
    IndicatorValueCorrection, IndicatorValueFilter, MaterialFlow, MaterialFlowCorrection, MaterialFlowFilter,
    NewIndicatorTarget, NewIndicatorValue, NewMaterialFlow, INDICATOR_TARGETS_PATH, INDICATOR_VALUES_PATH,
    MATERIAL_FLOWS_PATH,
};
use junkan_indicators::targets::Direction;
use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::facility::Visibility;
use junkan_model::ids::{IndicatorTargetId, IndicatorValueId, MaterialFlowId, OrganizationId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::{StoreError, StoreResult};
use rust_decimal::Decimal;

use crate::access::{audit_reads, basis_of, readable, record, require, RecordRead};
use crate::rows::{enum_value, int, opt_text, parsed, text, time, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

/// One of the three tables: its name, record kind, the columns of its current-version key, and
/// where its records are read (for messages that name the record in the way).
struct Table {
    name: &'static str,
    kind: RecordKind,
    key: &'static [&'static str],
    path: &'static str,
    what: &'static str,
}

const FLOWS: Table = Table {
    name: "material_flows",
    kind: RecordKind::MaterialFlow,
    key: &["region", "fiscal_year", "kind"],
    path: MATERIAL_FLOWS_PATH,
    what: "material-flow record",
};

const VALUES: Table = Table {
    name: "indicator_values",
    kind: RecordKind::IndicatorValue,
    key: &["indicator", "scope", "fiscal_year"],
    path: INDICATOR_VALUES_PATH,
    what: "indicator value",
};

const TARGETS: Table = Table {
    name: "indicator_targets",
    kind: RecordKind::IndicatorTarget,
    key: &["indicator", "output", "scope", "target_fiscal_year"],
    path: INDICATOR_TARGETS_PATH,
    what: "indicator target",
};

fn not_found(table: &Table, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind: table.kind,
        id: id.to_string(),
    }
}

/// The organization `actor` writes for.
fn writer_organization(actor: &Actor, table: &Table) -> StoreResult<OrganizationId> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: format!("only members of an organization store {}s", table.what),
    })?;
    require(
        actor.writes_for(owner),
        &format!("only members of an organization store its {}s", table.what),
    )?;
    Ok(owner)
}

/// The current version of `owner` with `key` (values in the order of `table.key`), other than
/// `except`, read on the write's connection.
async fn current_with_key(
    connection: &mut AnyConnection,
    table: &Table,
    owner: OrganizationId,
    key: &[Param],
    except: Option<&str>,
) -> StoreResult<Option<String>> {
    let mut sql = Sql::new(
        &format!(
            "SELECT id FROM {} WHERE owner_organization_id = $1 AND superseded_by IS NULL",
            table.name
        ),
        vec![Param::Text(owner.to_string())],
    );
    for (column, value) in table.key.iter().zip(key) {
        sql.push_with(&format!(" AND {column} = ?"), vec![value.clone()]);
    }
    if let Some(except) = except {
        sql.push_with(" AND id <> ?", vec![Param::Text(except.to_owned())]);
    }
    let row = sql
        .query()
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    row.map(|row| text(&row, "id")).transpose()
}

/// `Conflict` naming the current version in the way.
fn key_conflict(table: &Table, existing: &str) -> StoreError {
    StoreError::Conflict {
        message: format!(
            "your organization has a current {} for this key ({}/{existing}); correct it with POST {}/{existing}/corrections",
            table.what, table.path, table.path
        ),
        path: format!("/{}", table.key.last().copied().unwrap_or_default()),
    }
}

/// Marks `old` superseded by `new` (whose key is `key`), audited as an update, on the write's
/// connection; `Conflict` when another current record of the owner has that key, or when another
/// writer corrected `old` first.
async fn mark_superseded(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    table: &Table,
    (old, new): (&str, &str),
    key: &[Param],
    owner: OrganizationId,
) -> StoreResult<()> {
    if let Some(existing) = current_with_key(&mut *connection, table, owner, key, Some(old)).await? {
        return Err(key_conflict(table, &existing));
    }
    let changed = sqlx::query(&format!(
        "UPDATE {} SET superseded_by = $2 WHERE id = $1 AND superseded_by IS NULL",
        table.name
    ))
    .bind(old.to_owned())
    .bind(new.to_owned())
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict {
            message: format!(
                "{} {old} has been corrected already; correct its current version",
                table.what
            ),
            path: String::new(),
        });
    }
    record(
        store,
        connection,
        actor,
        AuditAction::Update,
        table.kind,
        old,
        Some(owner),
        None,
    )
    .await
}

/// Checks that `actor` may correct a version of `owner` that is current (`superseded_by` is
/// none).
fn check_correctable(
    actor: &Actor,
    table: &Table,
    owner: OrganizationId,
    superseded_by: Option<String>,
) -> StoreResult<()> {
    require(
        actor.writes_for(owner),
        &format!("only members of the owning organization correct its {}s", table.what),
    )?;
    if let Some(successor) = superseded_by {
        return Err(StoreError::Conflict {
            message: format!(
                "this version has been corrected already by {}/{successor}; correct the current version",
                table.path
            ),
            path: String::new(),
        });
    }
    Ok(())
}

/// The checked record of a correction, or every problem of its reason and record at once.
fn checked_correction<T>(reason: &str, record: Result<T, Vec<Violation>>) -> StoreResult<T> {
    match (check_correction_reason(reason), record) {
        (Ok(()), Ok(checked)) => Ok(checked),
        (reason, record) => {
            let mut violations = reason.err().unwrap_or_default();
            violations.extend(under("/record", record.err().unwrap_or_default()));
            Err(StoreError::Invalid(violations))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The owner and visibility of a readable row, adding its read to `reads` when it is audited.
fn admit(
    actor: &Actor,
    table: &Table,
    row: &AnyRow,
    reads: &mut Vec<RecordRead>,
) -> StoreResult<(OrganizationId, Visibility)> {
    let id = text(row, "id")?;
    let owner: OrganizationId = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
    let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
    let basis = basis_of(actor, row, owner, visibility == Visibility::Public)?;
    if basis.is_audited() {
        reads.push(RecordRead {
            kind: table.kind,
            id,
            owner,
            basis,
        });
    }
    Ok((owner, visibility))
}

/// Turns readable rows into records with `parse`, recording the audited reads before anything
/// is returned.
async fn read_rows<T>(
    store: &SqlStore,
    actor: &Actor,
    table: &Table,
    rows: &[AnyRow],
    parse: fn(&AnyRow, OrganizationId, Visibility) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut records = Vec::with_capacity(rows.len());
    let mut reads = Vec::new();
    for row in rows {
        let (owner, visibility) = admit(actor, table, row, &mut reads)?;
        records.push(parse(row, owner, visibility)?);
    }
    audit_reads(store, actor, &reads).await?;
    Ok(records)
}

fn readable_rows(store: &SqlStore, actor: &Actor, table: &Table) -> Sql {
    readable(
        store,
        actor,
        table.name,
        table.kind,
        "owner_organization_id",
        "r.visibility = 'public'",
    )
}

async fn get_row<T>(
    store: &SqlStore,
    actor: &Actor,
    table: &Table,
    id: &str,
    parse: fn(&AnyRow, OrganizationId, Visibility) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut sql = readable_rows(store, actor, table);
    sql.push_with(" AND r.id = ?", vec![Param::Text(id.to_owned())]);
    let row = sql
        .query()
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| not_found(table, id))?;
    let mut records = read_rows(store, actor, table, &[row], parse).await?;
    Ok(records.remove(0))
}

/// One page of `sql` (readable rows with the caller's filters), in id order.
async fn page_of<T>(
    store: &SqlStore,
    actor: &Actor,
    table: &Table,
    mut sql: Sql,
    page: &PageRequest,
    parse: fn(&AnyRow, OrganizationId, Visibility) -> StoreResult<T>,
) -> StoreResult<Page<T>> {
    if let Some(after) = &page.after {
        sql.push_with(" AND r.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY r.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let mut rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let has_more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let next_after = if has_more {
        rows.last().map(|row| text(row, "id")).transpose()?
    } else {
        None
    };
    let items = read_rows(store, actor, table, &rows, parse).await?;
    Ok(Page { items, next_after })
}

fn common_filters(sql: &mut Sql, owner: Option<OrganizationId>, include_superseded: bool) {
    if let Some(owner) = owner {
        sql.push_with(" AND r.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if !include_superseded {
        sql.text.push_str(" AND r.superseded_by IS NULL");
    }
}

fn year_of(row: &AnyRow, column: &str) -> StoreResult<i32> {
    let value = int(row, column)?;
    i32::try_from(value).map_err(|_| StoreError::Unavailable(format!("stored {column} {value} is out of range").into()))
}

fn opt_year_of(row: &AnyRow, column: &str) -> StoreResult<Option<i32>> {
    use sqlx::Row;
    let value: Option<i64> = row.try_get(column).map_err(unavailable)?;
    value
        .map(|value| {
            i32::try_from(value)
                .map_err(|_| StoreError::Unavailable(format!("stored {column} {value} is out of range").into()))
        })
        .transpose()
}

fn decimal_of(row: &AnyRow, column: &str) -> StoreResult<Decimal> {
    parsed(&text(row, column)?, column, str::parse::<Decimal>)
}

fn id_of<T: std::str::FromStr>(row: &AnyRow, column: &str) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    opt_text(row, column)?
        .map(|id| parsed(&id, column, str::parse::<T>))
        .transpose()
}

fn json_of(row: &AnyRow, column: &str) -> StoreResult<Option<serde_json::Value>> {
    opt_text(row, column)?
        .map(|text| parsed(&text, column, |text| serde_json::from_str::<serde_json::Value>(text)))
        .transpose()
}

// ---------------------------------------------------------------------------------------------
// Material-flow records

fn flow_from_row(row: &AnyRow, owner: OrganizationId, visibility: Visibility) -> StoreResult<MaterialFlow> {
    Ok(MaterialFlow {
        id: parsed(&text(row, "id")?, "material-flow id", str::parse)?,
        owner_organization_id: owner,
        visibility,
        region: text(row, "region")?,
        fiscal_year: year_of(row, "fiscal_year")?,
        kind: text(row, "kind")?,
        amount: decimal_of(row, "amount")?,
        unit: text(row, "unit")?,
        source: text(row, "source")?,
        source_url: opt_text(row, "source_url")?,
        note: opt_text(row, "note")?,
        version: int(row, "version")?,
        supersedes: id_of(row, "supersedes")?,
        superseded_by: id_of(row, "superseded_by")?,
        correction_reason: opt_text(row, "correction_reason")?,
        created_at: time(row, "created_at")?,
        created_by: text(row, "created_by")?,
    })
}

/// The stored form of a checked `new` record: version 1, or the correction of `previous`.
fn flow_of(
    store: &SqlStore,
    actor: &Actor,
    owner: OrganizationId,
    new: NewMaterialFlow,
    amount: Decimal,
    previous: Option<(&MaterialFlow, String)>,
) -> MaterialFlow {
    let (version, supersedes, correction_reason, inherited) = match previous {
        Some((old, reason)) => (old.version + 1, Some(old.id), Some(reason), old.visibility),
        None => (1, None, None, Visibility::Restricted),
    };
    MaterialFlow {
        id: MaterialFlowId::generate(),
        owner_organization_id: owner,
        visibility: new.visibility.unwrap_or(inherited),
        region: new.region,
        fiscal_year: i32::try_from(new.fiscal_year).expect("checked to lie in 1900..=2200"),
        kind: new.kind,
        amount,
        unit: new.unit,
        source: new.source,
        source_url: new.source_url,
        note: new.note,
        version,
        supersedes,
        superseded_by: None,
        correction_reason,
        created_at: store.clock_now(),
        created_by: actor.principal_id.clone(),
    }
}

fn flow_key(flow: &MaterialFlow) -> Vec<Param> {
    vec![
        Param::Text(flow.region.clone()),
        Param::Int(i64::from(flow.fiscal_year)),
        Param::Text(flow.kind.clone()),
    ]
}

async fn insert_flow(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    flow: &MaterialFlow,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO material_flows (id, owner_organization_id, visibility, region, fiscal_year, kind, amount, unit, source, \
         source_url, note, version, supersedes, correction_reason, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(flow.id.to_string())
    .bind(flow.owner_organization_id.to_string())
    .bind(flow.visibility.as_str())
    .bind(flow.region.clone())
    .bind(i64::from(flow.fiscal_year))
    .bind(flow.kind.clone())
    .bind(flow.amount.to_string())
    .bind(flow.unit.clone())
    .bind(flow.source.clone())
    .bind(flow.source_url.clone())
    .bind(flow.note.clone())
    .bind(flow.version)
    .bind(flow.supersedes.map(|id| id.to_string()))
    .bind(flow.correction_reason.clone())
    .bind(micros(flow.created_at))
    .bind(flow.created_by.clone())
    .execute(&mut *connection)
    .await
    .map_err(|error| write_error(error, &[("material_flows", "/kind", "a current record with this key exists")]))?;
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::MaterialFlow,
        &flow.id.to_string(),
        Some(flow.owner_organization_id),
        None,
    )
    .await
}

pub async fn create_flow(store: &SqlStore, actor: &Actor, new: NewMaterialFlow) -> StoreResult<MaterialFlow> {
    let owner = writer_organization(actor, &FLOWS)?;
    let amount = new.check().map_err(StoreError::Invalid)?;
    let flow = flow_of(store, actor, owner, new, amount, None);
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    if let Some(existing) = current_with_key(&mut transaction, &FLOWS, owner, &flow_key(&flow), None).await? {
        return Err(key_conflict(&FLOWS, &existing));
    }
    insert_flow(store, &mut transaction, actor, &flow).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(flow)
}

/// The most records one import may hold.
pub const MAX_IMPORT: usize = 10_000;

pub async fn import_flows(
    store: &SqlStore,
    actor: &Actor,
    items: Vec<NewMaterialFlow>,
) -> StoreResult<Vec<MaterialFlow>> {
    let owner = writer_organization(actor, &FLOWS)?;
    if items.len() > MAX_IMPORT {
        return Err(StoreError::Invalid(vec![Violation::new(
            "",
            format!("an import holds at most {MAX_IMPORT} records, got {}", items.len()),
        )]));
    }
    let mut violations = Vec::new();
    let mut flows = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        match item.check() {
            Ok(amount) => {
                let flow = flow_of(store, actor, owner, item, amount, None);
                let key = (flow.region.clone(), flow.fiscal_year, flow.kind.clone());
                if let Some(first) = seen.insert(key, index) {
                    violations.push(Violation::new(
                        format!("/{index}/kind"),
                        format!("repeats the region, fiscal year and kind of /{first}"),
                    ));
                }
                flows.push((index, flow));
            }
            Err(found) => violations.extend(under(&format!("/{index}"), found)),
        }
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    for (index, flow) in &flows {
        if let Some(existing) = current_with_key(&mut transaction, &FLOWS, owner, &flow_key(flow), None).await? {
            violations.push(Violation::new(
                format!("/{index}/kind"),
                format!(
                    "your organization has a current record for this region, fiscal year and kind ({MATERIAL_FLOWS_PATH}/{existing}); correct it instead"
                ),
            ));
        }
    }
    if !violations.is_empty() {
        violations.sort_by_key(|violation| row_order(&violation.path));
        return Err(StoreError::Invalid(violations));
    }
    for (_, flow) in &flows {
        insert_flow(store, &mut transaction, actor, flow).await?;
    }
    transaction.commit().await.map_err(unavailable)?;
    Ok(flows.into_iter().map(|(_, flow)| flow).collect())
}

/// Sorts violations at `/<index>/...` by row, keeping each row's order.
fn row_order(path: &str) -> usize {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .and_then(|index| index.parse().ok())
        .unwrap_or(usize::MAX)
}

pub async fn correct_flow(
    store: &SqlStore,
    actor: &Actor,
    id: MaterialFlowId,
    correction: MaterialFlowCorrection,
) -> StoreResult<MaterialFlow> {
    let old = get_flow(store, actor, id).await?;
    check_correctable(
        actor,
        &FLOWS,
        old.owner_organization_id,
        old.superseded_by.map(|id| id.to_string()),
    )?;
    let amount = checked_correction(&correction.reason, correction.record.check())?;
    let flow = flow_of(
        store,
        actor,
        old.owner_organization_id,
        correction.record,
        amount,
        Some((&old, correction.reason)),
    );
    let old_id = old.id.to_string();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    mark_superseded(
        store,
        &mut transaction,
        actor,
        &FLOWS,
        (&old_id, &flow.id.to_string()),
        &flow_key(&flow),
        old.owner_organization_id,
    )
    .await?;
    insert_flow(store, &mut transaction, actor, &flow).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(flow)
}

pub async fn get_flow(store: &SqlStore, actor: &Actor, id: MaterialFlowId) -> StoreResult<MaterialFlow> {
    get_row(store, actor, &FLOWS, &id.to_string(), flow_from_row).await
}

pub async fn list_flows(
    store: &SqlStore,
    actor: &Actor,
    filter: &MaterialFlowFilter,
    page: &PageRequest,
) -> StoreResult<Page<MaterialFlow>> {
    let mut sql = readable_rows(store, actor, &FLOWS);
    if let Some(region) = &filter.region {
        sql.push_with(" AND r.region = ?", vec![Param::Text(region.clone())]);
    }
    if let Some(years) = filter.fiscal_years {
        sql.push_with(
            " AND r.fiscal_year >= ? AND r.fiscal_year <= ?",
            vec![Param::Int(i64::from(years.from)), Param::Int(i64::from(years.to))],
        );
    }
    if !filter.kinds.is_empty() {
        sql.text.push_str(" AND r.kind IN ");
        sql.push_list(filter.kinds.iter().cloned().map(Param::Text));
    }
    common_filters(&mut sql, filter.owner, filter.include_superseded);
    page_of(store, actor, &FLOWS, sql, page, flow_from_row).await
}

// ---------------------------------------------------------------------------------------------
// Indicator values

fn value_from_row(row: &AnyRow, owner: OrganizationId, visibility: Visibility) -> StoreResult<IndicatorValue> {
    let result = match json_of(row, "result")? {
        Some(serde_json::Value::Object(result)) => result,
        other => {
            return Err(StoreError::Unavailable(
                format!("stored indicator result {other:?} is not an object").into(),
            ))
        }
    };
    Ok(IndicatorValue {
        id: parsed(&text(row, "id")?, "indicator value id", str::parse)?,
        owner_organization_id: owner,
        visibility,
        indicator: text(row, "indicator")?,
        scope: text(row, "scope")?,
        fiscal_year: year_of(row, "fiscal_year")?,
        result,
        methodology: text(row, "methodology")?,
        provenance: json_of(row, "provenance")?,
        source: text(row, "source")?,
        source_url: opt_text(row, "source_url")?,
        note: opt_text(row, "note")?,
        version: int(row, "version")?,
        supersedes: id_of(row, "supersedes")?,
        superseded_by: id_of(row, "superseded_by")?,
        correction_reason: opt_text(row, "correction_reason")?,
        created_at: time(row, "created_at")?,
        created_by: text(row, "created_by")?,
    })
}

/// The stored form of a checked `new` value: version 1, or the correction of `previous`.
fn value_of(
    store: &SqlStore,
    actor: &Actor,
    owner: OrganizationId,
    new: NewIndicatorValue,
    (scope, methodology): (String, String),
    previous: Option<(&IndicatorValue, String)>,
) -> IndicatorValue {
    let (version, supersedes, correction_reason, inherited) = match previous {
        Some((old, reason)) => (old.version + 1, Some(old.id), Some(reason), old.visibility),
        None => (1, None, None, Visibility::Restricted),
    };
    IndicatorValue {
        id: IndicatorValueId::generate(),
        owner_organization_id: owner,
        visibility: new.visibility.unwrap_or(inherited),
        indicator: new.indicator,
        scope,
        fiscal_year: i32::try_from(new.fiscal_year).expect("checked to lie in 1900..=2200"),
        result: new.result,
        methodology,
        provenance: new.provenance,
        source: new.source,
        source_url: new.source_url,
        note: new.note,
        version,
        supersedes,
        superseded_by: None,
        correction_reason,
        created_at: store.clock_now(),
        created_by: actor.principal_id.clone(),
    }
}

fn value_key(value: &IndicatorValue) -> Vec<Param> {
    vec![
        Param::Text(value.indicator.clone()),
        Param::Text(value.scope.clone()),
        Param::Int(i64::from(value.fiscal_year)),
    ]
}

async fn insert_value(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    value: &IndicatorValue,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO indicator_values (id, owner_organization_id, visibility, indicator, scope, fiscal_year, result, methodology, \
         provenance, source, source_url, note, version, supersedes, correction_reason, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(value.id.to_string())
    .bind(value.owner_organization_id.to_string())
    .bind(value.visibility.as_str())
    .bind(value.indicator.clone())
    .bind(value.scope.clone())
    .bind(i64::from(value.fiscal_year))
    .bind(serde_json::Value::Object(value.result.clone()).to_string())
    .bind(value.methodology.clone())
    .bind(value.provenance.as_ref().map(serde_json::Value::to_string))
    .bind(value.source.clone())
    .bind(value.source_url.clone())
    .bind(value.note.clone())
    .bind(value.version)
    .bind(value.supersedes.map(|id| id.to_string()))
    .bind(value.correction_reason.clone())
    .bind(micros(value.created_at))
    .bind(value.created_by.clone())
    .execute(&mut *connection)
    .await
    .map_err(|error| {
        write_error(error, &[("indicator_values", "/fiscal_year", "a current value with this key exists")])
    })?;
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::IndicatorValue,
        &value.id.to_string(),
        Some(value.owner_organization_id),
        None,
    )
    .await
}

pub async fn create_value(store: &SqlStore, actor: &Actor, new: NewIndicatorValue) -> StoreResult<IndicatorValue> {
    let owner = writer_organization(actor, &VALUES)?;
    let (scope, methodology) = new.check().map_err(StoreError::Invalid)?;
    let value = value_of(store, actor, owner, new, (scope.to_string(), methodology), None);
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    if let Some(existing) = current_with_key(&mut transaction, &VALUES, owner, &value_key(&value), None).await? {
        return Err(key_conflict(&VALUES, &existing));
    }
    insert_value(store, &mut transaction, actor, &value).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(value)
}

pub async fn correct_value(
    store: &SqlStore,
    actor: &Actor,
    id: IndicatorValueId,
    correction: IndicatorValueCorrection,
) -> StoreResult<IndicatorValue> {
    let old = get_value(store, actor, id).await?;
    check_correctable(
        actor,
        &VALUES,
        old.owner_organization_id,
        old.superseded_by.map(|id| id.to_string()),
    )?;
    let (scope, methodology) = checked_correction(&correction.reason, correction.record.check())?;
    let value = value_of(
        store,
        actor,
        old.owner_organization_id,
        correction.record,
        (scope.to_string(), methodology),
        Some((&old, correction.reason)),
    );
    let old_id = old.id.to_string();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    mark_superseded(
        store,
        &mut transaction,
        actor,
        &VALUES,
        (&old_id, &value.id.to_string()),
        &value_key(&value),
        old.owner_organization_id,
    )
    .await?;
    insert_value(store, &mut transaction, actor, &value).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(value)
}

pub async fn get_value(store: &SqlStore, actor: &Actor, id: IndicatorValueId) -> StoreResult<IndicatorValue> {
    get_row(store, actor, &VALUES, &id.to_string(), value_from_row).await
}

pub async fn list_values(
    store: &SqlStore,
    actor: &Actor,
    filter: &IndicatorValueFilter,
    page: &PageRequest,
) -> StoreResult<Page<IndicatorValue>> {
    let mut sql = readable_rows(store, actor, &VALUES);
    if let Some(indicator) = &filter.indicator {
        sql.push_with(" AND r.indicator = ?", vec![Param::Text(indicator.clone())]);
    }
    if let Some(scope) = &filter.scope {
        sql.push_with(" AND r.scope = ?", vec![Param::Text(scope.clone())]);
    }
    if let Some(years) = filter.fiscal_years {
        sql.push_with(
            " AND r.fiscal_year >= ? AND r.fiscal_year <= ?",
            vec![Param::Int(i64::from(years.from)), Param::Int(i64::from(years.to))],
        );
    }
    common_filters(&mut sql, filter.owner, filter.include_superseded);
    page_of(store, actor, &VALUES, sql, page, value_from_row).await
}

// ---------------------------------------------------------------------------------------------
// Targets

fn direction_text(direction: Direction) -> &'static str {
    match direction {
        Direction::AtLeast => "at_least",
        Direction::AtMost => "at_most",
    }
}

fn target_from_row(row: &AnyRow, owner: OrganizationId, visibility: Visibility) -> StoreResult<IndicatorTarget> {
    Ok(IndicatorTarget {
        id: parsed(&text(row, "id")?, "indicator target id", str::parse)?,
        owner_organization_id: owner,
        visibility,
        indicator: text(row, "indicator")?,
        output: text(row, "output")?,
        scope: text(row, "scope")?,
        target_fiscal_year: year_of(row, "target_fiscal_year")?,
        target_value: decimal_of(row, "target_value")?,
        unit: text(row, "unit")?,
        direction: enum_value(&text(row, "direction")?, "direction")?,
        baseline_fiscal_year: opt_year_of(row, "baseline_fiscal_year")?,
        baseline_value: opt_text(row, "baseline_value")?
            .map(|value| parsed(&value, "baseline value", str::parse::<Decimal>))
            .transpose()?,
        source: text(row, "source")?,
        source_url: opt_text(row, "source_url")?,
        note: opt_text(row, "note")?,
        version: int(row, "version")?,
        supersedes: id_of(row, "supersedes")?,
        superseded_by: id_of(row, "superseded_by")?,
        correction_reason: opt_text(row, "correction_reason")?,
        created_at: time(row, "created_at")?,
        created_by: text(row, "created_by")?,
    })
}

/// The stored form of a checked `new` target: version 1, or the correction of `previous`.
fn target_of(
    store: &SqlStore,
    actor: &Actor,
    owner: OrganizationId,
    new: NewIndicatorTarget,
    checked: junkan_indicators::records::CheckedTarget,
    previous: Option<(&IndicatorTarget, String)>,
) -> IndicatorTarget {
    let (version, supersedes, correction_reason, inherited) = match previous {
        Some((old, reason)) => (old.version + 1, Some(old.id), Some(reason), old.visibility),
        None => (1, None, None, Visibility::Restricted),
    };
    let year = |value: i64| i32::try_from(value).expect("checked to lie in 1900..=2200");
    IndicatorTarget {
        id: IndicatorTargetId::generate(),
        owner_organization_id: owner,
        visibility: new.visibility.unwrap_or(inherited),
        indicator: new.indicator,
        output: new.output,
        scope: checked.scope.to_string(),
        target_fiscal_year: year(new.target_fiscal_year),
        target_value: checked.target_value,
        unit: new.unit,
        direction: checked.direction,
        baseline_fiscal_year: new.baseline_fiscal_year.map(year),
        baseline_value: checked.baseline_value,
        source: new.source,
        source_url: new.source_url,
        note: new.note,
        version,
        supersedes,
        superseded_by: None,
        correction_reason,
        created_at: store.clock_now(),
        created_by: actor.principal_id.clone(),
    }
}

fn target_key(target: &IndicatorTarget) -> Vec<Param> {
    vec![
        Param::Text(target.indicator.clone()),
        Param::Text(target.output.clone()),
        Param::Text(target.scope.clone()),
        Param::Int(i64::from(target.target_fiscal_year)),
    ]
}

async fn insert_target(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    target: &IndicatorTarget,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO indicator_targets (id, owner_organization_id, visibility, indicator, output, scope, target_fiscal_year, \
         target_value, unit, direction, baseline_fiscal_year, baseline_value, source, source_url, note, version, supersedes, \
         correction_reason, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(target.id.to_string())
    .bind(target.owner_organization_id.to_string())
    .bind(target.visibility.as_str())
    .bind(target.indicator.clone())
    .bind(target.output.clone())
    .bind(target.scope.clone())
    .bind(i64::from(target.target_fiscal_year))
    .bind(target.target_value.to_string())
    .bind(target.unit.clone())
    .bind(direction_text(target.direction))
    .bind(target.baseline_fiscal_year.map(i64::from))
    .bind(target.baseline_value.map(|value| value.to_string()))
    .bind(target.source.clone())
    .bind(target.source_url.clone())
    .bind(target.note.clone())
    .bind(target.version)
    .bind(target.supersedes.map(|id| id.to_string()))
    .bind(target.correction_reason.clone())
    .bind(micros(target.created_at))
    .bind(target.created_by.clone())
    .execute(&mut *connection)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[("indicator_targets", "/target_fiscal_year", "a current target with this key exists")],
        )
    })?;
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::IndicatorTarget,
        &target.id.to_string(),
        Some(target.owner_organization_id),
        None,
    )
    .await
}

pub async fn create_target(store: &SqlStore, actor: &Actor, new: NewIndicatorTarget) -> StoreResult<IndicatorTarget> {
    let owner = writer_organization(actor, &TARGETS)?;
    let checked = new.check().map_err(StoreError::Invalid)?;
    let target = target_of(store, actor, owner, new, checked, None);
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    if let Some(existing) = current_with_key(&mut transaction, &TARGETS, owner, &target_key(&target), None).await? {
        return Err(key_conflict(&TARGETS, &existing));
    }
    insert_target(store, &mut transaction, actor, &target).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(target)
}

pub async fn correct_target(
    store: &SqlStore,
    actor: &Actor,
    id: IndicatorTargetId,
    correction: IndicatorTargetCorrection,
) -> StoreResult<IndicatorTarget> {
    let old = get_target(store, actor, id).await?;
    check_correctable(
        actor,
        &TARGETS,
        old.owner_organization_id,
        old.superseded_by.map(|id| id.to_string()),
    )?;
    let checked = checked_correction(&correction.reason, correction.record.check())?;
    let target = target_of(
        store,
        actor,
        old.owner_organization_id,
        correction.record,
        checked,
        Some((&old, correction.reason)),
    );
    let old_id = old.id.to_string();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    mark_superseded(
        store,
        &mut transaction,
        actor,
        &TARGETS,
        (&old_id, &target.id.to_string()),
        &target_key(&target),
        old.owner_organization_id,
    )
    .await?;
    insert_target(store, &mut transaction, actor, &target).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(target)
}

pub async fn get_target(store: &SqlStore, actor: &Actor, id: IndicatorTargetId) -> StoreResult<IndicatorTarget> {
    get_row(store, actor, &TARGETS, &id.to_string(), target_from_row).await
}

pub async fn list_targets(
    store: &SqlStore,
    actor: &Actor,
    filter: &IndicatorTargetFilter,
    page: &PageRequest,
) -> StoreResult<Page<IndicatorTarget>> {
    let mut sql = readable_rows(store, actor, &TARGETS);
    if let Some(indicator) = &filter.indicator {
        sql.push_with(" AND r.indicator = ?", vec![Param::Text(indicator.clone())]);
    }
    if let Some(output) = &filter.output {
        sql.push_with(" AND r.output = ?", vec![Param::Text(output.clone())]);
    }
    if let Some(scope) = &filter.scope {
        sql.push_with(" AND r.scope = ?", vec![Param::Text(scope.clone())]);
    }
    common_filters(&mut sql, filter.owner, filter.include_superseded);
    page_of(store, actor, &TARGETS, sql, page, target_from_row).await
}
