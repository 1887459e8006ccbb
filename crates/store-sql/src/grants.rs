//! Access grants and certifications.

use sqlx::any::AnyRow;

use junkan_model::access::{
    Certification, Grant, GrantLevel, Grantee, NewCertification, NewGrant, ReadBasis, RecordClass, RecordKind,
};
use junkan_model::audit::AuditAction;
use junkan_model::ids::{CertificationId, GrantId, OrganizationId};
use junkan_model::organization::CycleRole;
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, Role};
use junkan_model::Violation;
use junkan_store::{GrantDirection, StoreError, StoreResult};

use crate::access::{self, audit_reads, record, require, RecordRead};
use crate::organizations;
use crate::rows::{enum_value, int, opt_int, opt_text, opt_time, parsed, text, time, Param, Sql};
use crate::{micros, unavailable, SqlStore};

/// SQL condition: grant `g` applies to organization `$1` at time `$2` (the grantee rule of
/// `access::readable`, without the record).
const APPLIES_TO_ME: &str = access::GRANTEE_IS_ME;

fn own_organization(actor: &Actor) -> StoreResult<OrganizationId> {
    actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization hold or give grants".to_owned(),
    })
}

pub async fn create(store: &SqlStore, actor: &Actor, new: NewGrant) -> StoreResult<Grant> {
    let owner = own_organization(actor)?;
    require(
        actor.administers(owner) && actor.belongs_to(owner),
        "only the organization's administrators grant access to its records",
    )?;
    let now = store.clock_now();
    new.validate(owner, now).map_err(StoreError::Invalid)?;
    let mut violations = Vec::new();
    if let Grantee::Organization { organization_id } = &new.grantee {
        if let Err(StoreError::NotFound { .. }) = organizations::get(store, *organization_id).await {
            violations.push(Violation::new(
                "/grantee/organization_id",
                format!("no organization {organization_id}"),
            ));
        }
    }
    if let Some(ids) = &new.record_ids {
        violations.extend(unowned_records(store, owner, new.record_kind, ids, "/record_ids").await?);
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let grant = grant_from(actor, owner, new, now, None, None);
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    insert(store, &mut transaction, actor, &grant).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(grant)
}

/// The grant `new` describes, made now by `actor` for `owner`.
pub(crate) fn grant_from(
    actor: &Actor,
    owner: OrganizationId,
    new: NewGrant,
    now: time::OffsetDateTime,
    access_request_id: Option<junkan_model::ids::AccessRequestId>,
    offer_id: Option<junkan_model::ids::DatasetOfferId>,
) -> Grant {
    Grant {
        id: GrantId::generate(),
        owner_organization_id: owner,
        grantee: new.grantee,
        record_kind: new.record_kind,
        record_ids: new.record_ids,
        level: new.level,
        purpose: new.purpose,
        expires_at: new.expires_at,
        created_by: actor.principal_id.clone(),
        created_at: now,
        revoked_at: None,
        record_class: new.record_class,
        max_reads: new.max_reads,
        reads_used: 0,
        enforce_purpose: new.enforce_purpose,
        access_request_id,
        offer_id,
        fields: new.fields.as_deref().map(junkan_model::field_scope::normalized_fields),
    }
}

/// One violation at `<path>/<index>` for each of `ids` that is not a record of `kind` owned by
/// `owner`.
pub(crate) async fn unowned_records(
    store: &SqlStore,
    owner: OrganizationId,
    kind: RecordKind,
    ids: &[String],
    path: &str,
) -> StoreResult<Vec<Violation>> {
    let mut violations = Vec::new();
    // Callers have refused kinds that grants cannot cover.
    let (table, owner_column) = crate::access::record_table(kind).unwrap_or(("facilities", "organization_id"));
    for (index, id) in ids.iter().enumerate() {
        // Events are found by their eventID through its indexes (the view computes `id`).
        let mut sql = Sql::new(
            &format!("SELECT 1 FROM {table} r WHERE r.{owner_column} = $1 AND "),
            vec![Param::Text(owner.to_string())],
        );
        let condition = if kind == RecordKind::Event {
            crate::events::event_id_condition(&mut sql, std::slice::from_ref(id))
        } else {
            let placeholder = sql.param(Param::Text(id.clone()));
            format!("r.id = {placeholder}")
        };
        sql.text.push_str(&condition);
        let owned = sql
            .query()
            .fetch_optional(&store.reader)
            .await
            .map_err(unavailable)?
            .is_some();
        if !owned {
            violations.push(Violation::new(
                format!("{path}/{index}"),
                format!("no {} {id} owned by your organization", kind.as_str()),
            ));
        }
    }
    Ok(violations)
}

/// Writes `grant` (its row, named records, terms and read counter) and its audit entry and log
/// leaf in the caller's transaction.
pub(crate) async fn insert(
    store: &SqlStore,
    connection: &mut sqlx::AnyConnection,
    actor: &Actor,
    grant: &Grant,
) -> StoreResult<()> {
    let (grantee_kind, grantee_value) = grant.grantee.to_parts();
    sqlx::query(
        "INSERT INTO grants (id, owner_organization_id, grantee_kind, grantee_value, record_kind, all_records, level, level_rank, purpose, expires_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(grant.id.to_string())
    .bind(grant.owner_organization_id.to_string())
    .bind(grantee_kind)
    .bind(grantee_value)
    .bind(grant.record_kind.as_str())
    .bind(i64::from(grant.record_ids.is_none()))
    .bind(grant.level.as_str())
    .bind(level_rank(grant.level))
    .bind(grant.purpose.clone())
    .bind(micros(grant.expires_at))
    .bind(grant.created_by.clone())
    .bind(micros(grant.created_at))
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    for id in grant.record_ids.iter().flatten() {
        sqlx::query("INSERT INTO grant_records (grant_id, record_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(grant.id.to_string())
            .bind(id.clone())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    sqlx::query(
        "INSERT INTO grant_terms (grant_id, record_class, max_reads, enforce_purpose, access_request_id, offer_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(grant.id.to_string())
    .bind(grant.record_class.as_ref().map(|class| class.to_stored()))
    .bind(grant.max_reads.map(|reads| i64::try_from(reads).unwrap_or(i64::MAX)))
    .bind(i64::from(grant.enforce_purpose))
    .bind(grant.access_request_id.map(|id| id.to_string()))
    .bind(grant.offer_id.map(|id| id.to_string()))
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    if let Some(fields) = &grant.fields {
        sqlx::query("INSERT INTO grant_fields (grant_id, fields) VALUES ($1, $2)")
            .bind(grant.id.to_string())
            .bind(serde_json::to_string(fields).unwrap_or_default())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    if let Some(max_reads) = grant.max_reads {
        sqlx::query("INSERT INTO grant_reads (grant_id, max_reads, reads_used) VALUES ($1, $2, 0)")
            .bind(grant.id.to_string())
            .bind(i64::try_from(max_reads).unwrap_or(i64::MAX))
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::Grant,
        &grant.id.to_string(),
        Some(grant.owner_organization_id),
        None,
    )
    .await
}

fn level_rank(level: GrantLevel) -> i64 {
    match level {
        GrantLevel::LegitimateInterest => 1,
        GrantLevel::Full => 2,
    }
}

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    direction: GrantDirection,
    page: &PageRequest,
) -> StoreResult<Page<Grant>> {
    let me = own_organization(actor)?;
    let condition = match direction {
        GrantDirection::Given => "g.owner_organization_id = $1".to_owned(),
        GrantDirection::Received => APPLIES_TO_ME.to_owned(),
        GrantDirection::Standing => "g.owner_organization_id = $1 AND g.grantee_kind <> 'organization'".to_owned(),
    };
    let mut sql = Sql::new(
        &format!("SELECT g.* FROM grants g WHERE $2 = $2 AND {condition}"),
        vec![Param::Text(me.to_string()), Param::Int(micros(store.clock_now()))],
    );
    if let Some(after) = &page.after {
        sql.push_with(" AND g.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY g.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in &rows {
        grants.push(grant_of(store, row).await?);
    }
    Ok(Page::from_overfetch(grants, page.limit, |grant| grant.id.to_string()))
}

pub async fn get(store: &SqlStore, actor: &Actor, id: GrantId) -> StoreResult<Grant> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let row = sqlx::query(&format!(
        "SELECT g.* FROM grants g WHERE g.id = $3 AND (g.owner_organization_id = $1 OR $4 = 1 OR {APPLIES_TO_ME})"
    ))
    .bind(me)
    .bind(micros(store.clock_now()))
    .bind(id.to_string())
    .bind(i64::from(actor.has_role(Role::Auditor)))
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?
    .ok_or_else(|| StoreError::NotFound {
        kind: RecordKind::Grant,
        id: id.to_string(),
    })?;
    let grant = grant_of(store, &row).await?;
    // Auditors read grants they are no party to; such reads are audited like any other.
    if actor.has_role(Role::Auditor) && !actor.belongs_to(grant.owner_organization_id) {
        let read = RecordRead {
            kind: RecordKind::Grant,
            id: grant.id.to_string(),
            owner: grant.owner_organization_id,
            basis: ReadBasis::Auditor,
        };
        audit_reads(store, actor, &[read]).await?;
    }
    Ok(grant)
}

pub async fn revoke(store: &SqlStore, actor: &Actor, id: GrantId) -> StoreResult<Grant> {
    let grant = get(store, actor, id).await?;
    require(
        actor.belongs_to(grant.owner_organization_id) && actor.administers(grant.owner_organization_id),
        "only the owner's administrators revoke a grant",
    )?;
    let revoked_at = access::revoke(
        store,
        actor,
        "grants",
        RecordKind::Grant,
        &id.to_string(),
        grant.owner_organization_id,
        grant.revoked_at,
    )
    .await?;
    Ok(Grant {
        revoked_at: Some(revoked_at),
        ..grant
    })
}

async fn grant_of(store: &SqlStore, row: &AnyRow) -> StoreResult<Grant> {
    let id: GrantId = parsed(&text(row, "id")?, "grant id", str::parse)?;
    let record_ids = if int(row, "all_records")? == 1 {
        None
    } else {
        let rows = sqlx::query("SELECT record_id FROM grant_records WHERE grant_id = $1 ORDER BY record_id")
            .bind(id.to_string())
            .fetch_all(&store.reader)
            .await
            .map_err(unavailable)?;
        Some(
            rows.iter()
                .map(|row| text(row, "record_id"))
                .collect::<StoreResult<Vec<_>>>()?,
        )
    };
    let (grantee_kind, grantee_value) = (text(row, "grantee_kind")?, text(row, "grantee_value")?);
    let level = text(row, "level")?;
    let terms = sqlx::query(
        "SELECT t.record_class, t.max_reads, t.enforce_purpose, t.access_request_id, t.offer_id, u.reads_used \
         FROM grant_terms t LEFT JOIN grant_reads u ON u.grant_id = t.grant_id WHERE t.grant_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?;
    let (record_class, max_reads, reads_used, enforce_purpose, access_request_id, offer_id) = match &terms {
        None => (None, None, 0, false, None, None),
        Some(terms) => (
            opt_text(terms, "record_class")?
                .map(|class| {
                    RecordClass::from_stored(&class).ok_or_else(|| {
                        StoreError::Unavailable(format!("stored record class {class:?} is unreadable").into())
                    })
                })
                .transpose()?,
            opt_int(terms, "max_reads")?.map(|reads| u64::try_from(reads).unwrap_or(0)),
            opt_int(terms, "reads_used")?.map_or(0, |reads| u64::try_from(reads).unwrap_or(0)),
            int(terms, "enforce_purpose")? == 1,
            opt_text(terms, "access_request_id")?
                .map(|id| parsed(&id, "access request id", str::parse))
                .transpose()?,
            opt_text(terms, "offer_id")?
                .map(|id| parsed(&id, "offer id", str::parse))
                .transpose()?,
        ),
    };
    let fields: Option<(String,)> = sqlx::query_as("SELECT fields FROM grant_fields WHERE grant_id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    let fields = fields
        .map(|(fields,)| {
            parsed(&fields, "grant fields", |text| {
                serde_json::from_str::<Vec<String>>(text)
            })
        })
        .transpose()?;
    Ok(Grant {
        fields,
        record_class,
        max_reads,
        reads_used,
        enforce_purpose,
        access_request_id,
        offer_id,
        id,
        owner_organization_id: parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?,
        grantee: Grantee::from_parts(&grantee_kind, &grantee_value).ok_or_else(|| {
            StoreError::Unavailable(format!("stored grantee {grantee_kind}:{grantee_value} is unreadable").into())
        })?,
        record_kind: enum_value(&text(row, "record_kind")?, "record kind")?,
        record_ids,
        level: GrantLevel::parse(&level)
            .ok_or_else(|| StoreError::Unavailable(format!("stored grant level {level:?} is unknown").into()))?,
        purpose: opt_text(row, "purpose")?,
        expires_at: time(row, "expires_at")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

pub async fn create_certification(
    store: &SqlStore,
    actor: &Actor,
    new: NewCertification,
) -> StoreResult<Certification> {
    let certifier = own_organization(actor)?;
    require(
        actor.writes_for(certifier),
        "only members of a certifier record certifications",
    )?;
    let certifier_organization = organizations::get(store, certifier).await?;
    require(
        certifier_organization.roles.contains(&CycleRole::Certifier),
        "only organizations with the certifier role record certifications",
    )?;
    new.validate().map_err(StoreError::Invalid)?;
    if new.subject_organization_id == certifier {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/subject_organization_id",
            "a certifier cannot certify itself",
        )]));
    }
    if let Err(StoreError::NotFound { .. }) = organizations::get(store, new.subject_organization_id).await {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/subject_organization_id",
            format!("no organization {}", new.subject_organization_id),
        )]));
    }
    let certification = Certification {
        id: CertificationId::generate(),
        certifier_organization_id: certifier,
        subject_organization_id: new.subject_organization_id,
        scheme: new.scheme,
        valid_from: new.valid_from,
        valid_until: new.valid_until,
        revoked_at: None,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO certifications (id, certifier_organization_id, subject_organization_id, scheme, valid_from, valid_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(certification.id.to_string())
    .bind(certifier.to_string())
    .bind(certification.subject_organization_id.to_string())
    .bind(certification.scheme.clone())
    .bind(micros(certification.valid_from))
    .bind(micros(certification.valid_until))
    .bind(micros(store.clock_now()))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Certification,
        &certification.id.to_string(),
        Some(certifier),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(certification)
}

pub async fn list_certifications(
    store: &SqlStore,
    subject: Option<OrganizationId>,
    page: &PageRequest,
) -> StoreResult<Page<Certification>> {
    let mut sql = Sql::new("SELECT * FROM certifications c WHERE 1 = 1", Vec::new());
    if let Some(subject) = subject {
        sql.push_with(
            " AND c.subject_organization_id = ?",
            vec![Param::Text(subject.to_string())],
        );
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND c.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY c.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let certifications = rows.iter().map(certification_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(certifications, page.limit, |certification| {
        certification.id.to_string()
    }))
}

pub async fn revoke_certification(store: &SqlStore, actor: &Actor, id: CertificationId) -> StoreResult<Certification> {
    let row = sqlx::query("SELECT * FROM certifications WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Certification,
            id: id.to_string(),
        })?;
    let certification = certification_of(&row)?;
    require(
        actor.writes_for(certification.certifier_organization_id),
        "only the certifier revokes its certifications",
    )?;
    let revoked_at = access::revoke(
        store,
        actor,
        "certifications",
        RecordKind::Certification,
        &id.to_string(),
        certification.certifier_organization_id,
        certification.revoked_at,
    )
    .await?;
    Ok(Certification {
        revoked_at: Some(revoked_at),
        ..certification
    })
}

fn certification_of(row: &AnyRow) -> StoreResult<Certification> {
    Ok(Certification {
        id: parsed(&text(row, "id")?, "certification id", str::parse)?,
        certifier_organization_id: parsed(&text(row, "certifier_organization_id")?, "organization id", str::parse)?,
        subject_organization_id: parsed(&text(row, "subject_organization_id")?, "organization id", str::parse)?,
        scheme: text(row, "scheme")?,
        valid_from: time(row, "valid_from")?,
        valid_until: time(row, "valid_until")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}
