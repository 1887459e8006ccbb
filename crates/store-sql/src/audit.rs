//! Reading the audit log: its entries expanded into the records they name.

use sqlx::any::AnyRow;

use junkan_model::audit::{AuditAction, AuditEntry, AuditFilter};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, Role};
use junkan_store::{StoreError, StoreResult};

use crate::rows::{enum_value, int, opt_text, parsed, text, time, Param, Sql};
use crate::{unavailable, SqlStore};

/// Reads the log as the records read or changed: an entry that names a set of records (a batch
/// of reads, `access::insert_reads`) is expanded into one item per record, each with the entry's
/// sequence, time, actor, grant, purpose and request; items are ordered by sequence, then record
/// id, and a page continues after the last item's (sequence, record id).
pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &AuditFilter,
    page: &PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let sees_everything = actor.has_role(Role::Auditor) || actor.has_role(Role::NodeAdmin);
    let own = if sees_everything {
        None
    } else {
        match actor.organization_id {
            Some(organization) if actor.administers(organization) => Some(organization),
            _ => {
                return Err(StoreError::Forbidden {
                    reason: "only organization administrators, auditors and node administrators read the audit log"
                        .to_owned(),
                })
            }
        }
    };
    // A set entry joins its members (only the filtered record's, when a record is asked for); an
    // entry of one record joins nothing and stands for its record.
    let mut sql = Sql::new(
        "SELECT a.sequence, a.at, a.actor_kind, a.actor_id, a.actor_organization_id, a.action, a.record_kind, \
         COALESCE(m.record_id, a.record_id) AS read_record_id, a.owner_organization_id, a.grant_id, a.purpose, a.request_id \
         FROM audit_log a LEFT JOIN audit_record_set_members m ON m.set_id = a.record_set_id",
        Vec::new(),
    );
    match &filter.record_id {
        Some(record_id) => {
            // The entries that name the record, alone or in a set, found through both indexes.
            sql.push_with(
                " AND m.record_id = ? WHERE a.sequence IN (SELECT e.sequence FROM audit_log e WHERE e.record_id = ? \
                 UNION ALL SELECT e.sequence FROM audit_record_set_members rm JOIN audit_log e ON e.record_set_id = rm.set_id \
                 WHERE rm.record_id = ?)",
                vec![Param::Text(record_id.clone()); 3],
            );
        }
        None => {
            sql.push_with(" WHERE 1 = 1", Vec::new());
        }
    }
    for owner in [own, filter.owner_organization_id].into_iter().flatten() {
        sql.push_with(" AND a.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if let Some(action) = filter.action {
        sql.push_with(" AND a.action = ?", vec![Param::Text(action.as_str().to_owned())]);
    }
    if let Some(grant) = filter.grant_id {
        sql.push_with(" AND a.grant_id = ?", vec![Param::Text(grant.to_string())]);
    }
    if let Some(reader) = filter.actor_organization_id {
        sql.push_with(
            " AND a.actor_organization_id = ?",
            vec![Param::Text(reader.to_string())],
        );
    }
    if let Some(from) = filter.from {
        sql.push_with(" AND a.at >= ?", vec![Param::Int(crate::micros(from))]);
    }
    if let Some(until) = filter.until {
        sql.push_with(" AND a.at < ?", vec![Param::Int(crate::micros(until))]);
    }
    if let Some(after) = &page.after {
        // `<sequence>:<record id>`; a bare sequence (the cursor before entries named sets)
        // continues after that whole entry.
        match after.split_once(':') {
            Some((sequence, record_id)) => {
                let sequence: i64 = parsed(sequence, "audit cursor", str::parse)?;
                sql.push_with(
                    " AND a.sequence >= ? AND (a.sequence > ? OR COALESCE(m.record_id, a.record_id) > ?)",
                    vec![
                        Param::Int(sequence),
                        Param::Int(sequence),
                        Param::Text(record_id.to_owned()),
                    ],
                );
            }
            None => {
                let sequence: i64 = parsed(after, "audit cursor", str::parse)?;
                sql.push_with(" AND a.sequence > ?", vec![Param::Int(sequence)]);
            }
        }
    }
    sql.push_with(
        " ORDER BY a.sequence, read_record_id LIMIT ?",
        vec![Param::Int(i64::from(page.limit) + 1)],
    );
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let entries = rows.iter().map(entry_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(entries, page.limit, |entry| {
        format!("{}:{}", entry.sequence, entry.record_id)
    }))
}

fn entry_of(row: &AnyRow) -> StoreResult<AuditEntry> {
    let action = text(row, "action")?;
    Ok(AuditEntry {
        sequence: int(row, "sequence")?,
        at: time(row, "at")?,
        actor_kind: enum_value(&text(row, "actor_kind")?, "actor kind")?,
        actor_id: text(row, "actor_id")?,
        actor_organization_id: opt_text(row, "actor_organization_id")?
            .map(|id| parsed(&id, "organization id", str::parse))
            .transpose()?,
        action: AuditAction::parse(&action)
            .ok_or_else(|| StoreError::Unavailable(format!("stored audit action {action:?} is unknown").into()))?,
        record_kind: enum_value(&text(row, "record_kind")?, "record kind")?,
        record_id: text(row, "read_record_id")?,
        owner_organization_id: opt_text(row, "owner_organization_id")?
            .map(|id| parsed(&id, "organization id", str::parse))
            .transpose()?,
        grant_id: opt_text(row, "grant_id")?
            .map(|id| parsed(&id, "grant id", str::parse))
            .transpose()?,
        purpose: opt_text(row, "purpose")?,
        request_id: opt_text(row, "request_id")?,
    })
}
