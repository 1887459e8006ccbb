//! Reading the audit log.

use sqlx::any::AnyRow;

use junkan_model::audit::{AuditAction, AuditEntry, AuditFilter};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, Role};
use junkan_store::{StoreError, StoreResult};

use crate::rows::{enum_value, int, opt_text, parsed, text, time, Param, Sql};
use crate::{unavailable, SqlStore};

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &AuditFilter,
    page: &PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let sees_everything = actor.has_role(Role::Auditor) || actor.has_role(Role::NodeAdmin);
    let mut sql = Sql::new("SELECT * FROM audit_log a WHERE 1 = 1", Vec::new());
    if !sees_everything {
        let own = match actor.organization_id {
            Some(organization) if actor.administers(organization) => organization,
            _ => {
                return Err(StoreError::Forbidden {
                    reason: "only organization administrators, auditors and node administrators read the audit log"
                        .to_owned(),
                })
            }
        };
        sql.push_with(" AND a.owner_organization_id = ?", vec![Param::Text(own.to_string())]);
    }
    if let Some(owner) = filter.owner_organization_id {
        sql.push_with(" AND a.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if let Some(record_id) = &filter.record_id {
        sql.push_with(" AND a.record_id = ?", vec![Param::Text(record_id.clone())]);
    }
    if let Some(action) = filter.action {
        sql.push_with(" AND a.action = ?", vec![Param::Text(action.as_str().to_owned())]);
    }
    if let Some(after) = &page.after {
        let after: i64 = parsed(after, "audit cursor", str::parse)?;
        sql.push_with(" AND a.sequence > ?", vec![Param::Int(after)]);
    }
    sql.push_with(
        " ORDER BY a.sequence LIMIT ?",
        vec![Param::Int(i64::from(page.limit) + 1)],
    );
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let entries = rows.iter().map(entry_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(entries, page.limit, |entry| {
        entry.sequence.to_string()
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
        record_id: text(row, "record_id")?,
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
