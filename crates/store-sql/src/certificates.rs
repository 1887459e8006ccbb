//! Conformity certificates (適合性証明) and their schemes: who may issue, about what, and who
//! may read them. A certificate is readable by its certifier, by the subject's owner and by
//! whoever may read the subject record (through `access::readable` on the subject's table, so a
//! certificate of a public passport is public); a read that reading the subject would audit (a
//! grant, an auditor) is audited as a read of the certificate, with the subject's owner.

use std::collections::HashMap;

use sqlx::any::AnyRow;

use junkan_model::access::{ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::certificate::{
    Certificate, CertificateDraft, CertificateFilter, CertificateRevocation, CertificateScheme, CertificateSubject,
    CertifiedClaim, ClaimType, NewCertificate, SignedCertificate, SubjectKind, SHIPPED_SCHEMES,
};
use junkan_model::ids::{CertificateId, OrganizationId};
use junkan_model::organization::CycleRole;
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, Role};
use junkan_model::Violation;
use junkan_store::{StoreError, StoreResult};

use crate::access::{audit_reads, basis_of, readable, record, require, RecordRead};
use crate::rows::{opt_text, opt_time, parsed, text, time, Param, Sql};
use crate::{micros, organizations, unavailable, SqlStore};

/// The record kind a subject kind is stored as (for reads, audit and `NotFound`).
fn record_kind(kind: SubjectKind) -> RecordKind {
    match kind {
        SubjectKind::Passport => RecordKind::Passport,
        SubjectKind::Footprint => RecordKind::Footprint,
        SubjectKind::Facility => RecordKind::Facility,
    }
}

/// Writes the shipped schemes that are missing, each a logged write (as the seed industries).
pub(crate) async fn install_shipped_schemes(store: &SqlStore) -> StoreResult<()> {
    let now = micros(store.clock_now());
    for (code, label_ja, label_en, claim_type, kinds) in SHIPPED_SCHEMES {
        let mut transaction = store.writer.begin().await.map_err(unavailable)?;
        let inserted = sqlx::query(
            "INSERT INTO certificate_schemes (code, label_ja, label_en, claim_type, subject_kinds, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
        )
        .bind(code)
        .bind(label_ja)
        .bind(label_en)
        .bind(claim_type.as_str())
        .bind(kinds_text(kinds))
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?
        .rows_affected();
        if inserted == 1 {
            crate::log::append_record(
                store,
                &mut transaction,
                AuditAction::Create,
                RecordKind::CertificateScheme,
                code,
                None,
            )
            .await?;
        }
        transaction.commit().await.map_err(unavailable)?;
    }
    Ok(())
}

fn kinds_text(kinds: &[SubjectKind]) -> String {
    kinds.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(",")
}

fn scheme_of(row: &AnyRow) -> StoreResult<CertificateScheme> {
    let claim_type = text(row, "claim_type")?;
    Ok(CertificateScheme {
        code: text(row, "code")?,
        label_ja: text(row, "label_ja")?,
        label_en: text(row, "label_en")?,
        claim_type: parsed(&claim_type, "claim type", |value| {
            ClaimType::parse(value).ok_or("unknown claim type")
        })?,
        subject_kinds: text(row, "subject_kinds")?
            .split(',')
            .map(|kind| parsed(kind, "subject kind", str::parse::<SubjectKind>))
            .collect::<StoreResult<_>>()?,
    })
}

pub async fn list_schemes(store: &SqlStore) -> StoreResult<Vec<CertificateScheme>> {
    let rows = sqlx::query("SELECT * FROM certificate_schemes ORDER BY code")
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    rows.iter().map(scheme_of).collect()
}

async fn scheme(store: &SqlStore, code: &str) -> StoreResult<Option<CertificateScheme>> {
    let row = sqlx::query("SELECT * FROM certificate_schemes WHERE code = $1")
        .bind(code.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(scheme_of).transpose()
}

pub async fn create_scheme(store: &SqlStore, actor: &Actor, new: CertificateScheme) -> StoreResult<CertificateScheme> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only node administrators add certification schemes",
    )?;
    new.validate().map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let inserted = sqlx::query(
        "INSERT INTO certificate_schemes (code, label_ja, label_en, claim_type, subject_kinds, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
    )
    .bind(new.code.clone())
    .bind(new.label_ja.clone())
    .bind(new.label_en.clone())
    .bind(new.claim_type.as_str())
    .bind(kinds_text(&new.subject_kinds))
    .bind(micros(store.clock_now()))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::Conflict {
            message: format!("/code: a scheme {} exists", new.code),
            path: "/code".to_owned(),
        });
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::CertificateScheme,
        &new.code,
        None,
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(new)
}

/// What the actor's reading of a subject record rests on.
#[derive(Debug, Clone, Copy)]
struct SubjectAccess {
    owner: OrganizationId,
    basis: ReadBasis,
    /// Passports: the newest version.
    latest_version: Option<i64>,
}

/// Whether `actor` may read the subject record, and on what basis (`None`: it does not exist
/// or the actor may not read it; the two are not told apart). Audits nothing.
async fn subject_access(
    store: &SqlStore,
    actor: &Actor,
    kind: SubjectKind,
    id: &str,
) -> StoreResult<Option<SubjectAccess>> {
    let (table, owner_column) = match kind {
        SubjectKind::Passport => ("passports", "owner_organization_id"),
        SubjectKind::Footprint => ("footprints", "owner_organization_id"),
        SubjectKind::Facility => ("facilities", "organization_id"),
    };
    let mut sql = readable(
        store,
        actor,
        table,
        record_kind(kind),
        owner_column,
        "r.visibility = 'public'",
    );
    sql.push_with(" AND r.id = ?", vec![Param::Text(id.to_owned())]);
    let Some(row) = sql.query().fetch_optional(&store.reader).await.map_err(unavailable)? else {
        return Ok(None);
    };
    let owner: OrganizationId = parsed(&text(&row, owner_column)?, "organization id", str::parse)?;
    let is_public = text(&row, "visibility")? == "public";
    let basis = basis_of(actor, &row, owner, is_public)?;
    let latest_version = match kind {
        SubjectKind::Passport => Some(sqlx::Row::try_get::<i64, _>(&row, "latest_version").map_err(unavailable)?),
        _ => None,
    };
    Ok(Some(SubjectAccess {
        owner,
        basis,
        latest_version,
    }))
}

/// The certifier organization of `actor`, which must write for it and hold the certifier role.
async fn certifier_of(store: &SqlStore, actor: &Actor) -> StoreResult<OrganizationId> {
    let certifier = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of a certification body issue conformity certificates".to_owned(),
    })?;
    require(
        actor.writes_for(certifier),
        "only members of a certification body issue conformity certificates",
    )?;
    let organization = organizations::get(store, certifier).await?;
    require(
        organization.roles.contains(&CycleRole::Certifier),
        "only organizations with the certifier role (認証機関) issue conformity certificates",
    )?;
    Ok(certifier)
}

/// Checks the request against the stored scheme and subject; returns the draft and how the
/// subject was read.
async fn check(
    store: &SqlStore,
    actor: &Actor,
    certifier: OrganizationId,
    new: &NewCertificate,
) -> StoreResult<(CertificateScheme, SubjectAccess, CertificateSubject)> {
    let scheme = scheme(store, &new.scheme).await?;
    new.validate(scheme.as_ref()).map_err(StoreError::Invalid)?;
    let scheme = scheme.expect("validate refuses a request without a scheme");
    let access = subject_access(store, actor, new.subject.kind, &new.subject.id)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: record_kind(new.subject.kind),
            id: new.subject.id.clone(),
        })?;
    if access.owner == certifier {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/subject/id",
            "a certification body cannot certify its own record",
        )]));
    }
    let mut subject = new.subject.clone();
    if let Some(latest) = access.latest_version {
        match subject.version {
            Some(version) if version > latest => {
                return Err(StoreError::Invalid(vec![Violation::new(
                    "/subject/version",
                    format!("the passport has {latest} versions"),
                )]))
            }
            Some(_) => {}
            None => subject.version = Some(latest),
        }
    }
    Ok((scheme, access, subject))
}

pub async fn prepare(store: &SqlStore, actor: &Actor, new: NewCertificate) -> StoreResult<CertificateDraft> {
    let certifier = certifier_of(store, actor).await?;
    let (scheme, access, subject) = check(store, actor, certifier, &new).await?;
    audit_reads(
        store,
        actor,
        &[RecordRead {
            kind: record_kind(subject.kind),
            id: subject.id.clone(),
            owner: access.owner,
            basis: access.basis,
        }],
    )
    .await?;
    Ok(CertificateDraft {
        id: CertificateId::generate(),
        certifier_organization_id: certifier,
        scheme,
        subject,
        subject_owner_organization_id: access.owner,
        request: new,
    })
}

pub async fn create(
    store: &SqlStore,
    actor: &Actor,
    draft: CertificateDraft,
    signed: SignedCertificate,
) -> StoreResult<Certificate> {
    let certifier = certifier_of(store, actor).await?;
    require(
        draft.certifier_organization_id == certifier,
        "a draft is stored by the certification body it was prepared for",
    )?;
    // The same rules again: the subject may have become unreadable since the draft.
    let (_, access, subject) = check(store, actor, certifier, &draft.request).await?;
    if access.owner != draft.subject_owner_organization_id || draft.subject.kind != subject.kind {
        return Err(StoreError::Conflict {
            message: "/subject: the subject changed since the certificate was prepared".to_owned(),
            path: "/subject".to_owned(),
        });
    }
    if signed.credential.trim().is_empty() || signed.credential_id.trim().is_empty() {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/credential",
            "a certificate is stored with its signed credential",
        )]));
    }
    // The credential is one the trust services issued as the certifier for this certificate
    // (its status-list entry is what revocation sets).
    let entry =
        sqlx::query("SELECT issuer_organization_id, record_kind, record_id FROM issued_credentials WHERE id = $1")
            .bind(signed.credential_id.clone())
            .fetch_optional(&store.reader)
            .await
            .map_err(unavailable)?;
    let issued_for_it = match &entry {
        Some(row) => {
            text(row, "issuer_organization_id")? == certifier.to_string()
                && text(row, "record_kind")? == RecordKind::Certificate.as_str()
                && text(row, "record_id")? == draft.id.to_string()
        }
        None => false,
    };
    if !issued_for_it {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/credential_id",
            "not a credential the certification body issued for this certificate",
        )]));
    }
    let request = draft.request;
    let now = store.clock_now();
    let certificate = Certificate {
        id: draft.id,
        certifier_organization_id: certifier,
        scheme: request.scheme,
        subject: draft.subject,
        subject_owner_organization_id: access.owner,
        claim: request.claim,
        valid_from: request.valid_from,
        valid_until: request.valid_until,
        reference_number: request.reference_number,
        evidence: request.evidence,
        credential: signed.credential,
        credential_id: signed.credential_id,
        issued_at: now,
        revoked_at: None,
        revocation_reason: None,
    };
    let claim = serde_json::to_string(&certificate.claim).map_err(unavailable)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO conformity_certificates (id, certifier_organization_id, scheme, subject_kind, subject_id, \
         subject_version, subject_owner_organization_id, claim, valid_from, valid_until, reference_number, evidence, \
         credential, credential_id, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(certificate.id.to_string())
    .bind(certifier.to_string())
    .bind(certificate.scheme.clone())
    .bind(certificate.subject.kind.as_str())
    .bind(certificate.subject.id.clone())
    .bind(certificate.subject.version)
    .bind(certificate.subject_owner_organization_id.to_string())
    .bind(claim)
    .bind(micros(certificate.valid_from))
    .bind(micros(certificate.valid_until))
    .bind(certificate.reference_number.clone())
    .bind(certificate.evidence.clone())
    .bind(certificate.credential.clone())
    .bind(certificate.credential_id.clone())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(database) if database.is_unique_violation() => StoreError::Conflict {
            message: "/credential_id: a certificate with this credential exists".to_owned(),
            path: "/credential_id".to_owned(),
        },
        _ => unavailable(error),
    })?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Certificate,
        &certificate.id.to_string(),
        Some(certifier),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(certificate)
}

fn certificate_of(row: &AnyRow) -> StoreResult<Certificate> {
    let claim: CertifiedClaim = parsed(&text(row, "claim")?, "certified claim", |text| {
        serde_json::from_str::<CertifiedClaim>(text)
    })?;
    Ok(Certificate {
        id: parsed(&text(row, "id")?, "certificate id", str::parse)?,
        certifier_organization_id: parsed(&text(row, "certifier_organization_id")?, "organization id", str::parse)?,
        scheme: text(row, "scheme")?,
        subject: CertificateSubject {
            kind: parsed(&text(row, "subject_kind")?, "subject kind", str::parse)?,
            id: text(row, "subject_id")?,
            version: sqlx::Row::try_get::<Option<i64>, _>(row, "subject_version").map_err(unavailable)?,
        },
        subject_owner_organization_id: parsed(
            &text(row, "subject_owner_organization_id")?,
            "organization id",
            str::parse,
        )?,
        claim,
        valid_from: time(row, "valid_from")?,
        valid_until: time(row, "valid_until")?,
        reference_number: text(row, "reference_number")?,
        evidence: opt_text(row, "evidence")?,
        credential: text(row, "credential")?,
        credential_id: text(row, "credential_id")?,
        issued_at: time(row, "issued_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
        revocation_reason: opt_text(row, "revocation_reason")?,
    })
}

/// Decides which of `certificates` the actor may read (keeping their order) and audits the reads
/// that rest on a grant or the auditor role, before they are returned.
async fn readable_certificates(
    store: &SqlStore,
    actor: &Actor,
    certificates: Vec<Certificate>,
) -> StoreResult<Vec<Certificate>> {
    let mut subjects: HashMap<(SubjectKind, String), Option<SubjectAccess>> = HashMap::new();
    let mut visible = Vec::with_capacity(certificates.len());
    let mut reads = Vec::new();
    for certificate in certificates {
        if actor.belongs_to(certificate.certifier_organization_id)
            || actor.belongs_to(certificate.subject_owner_organization_id)
        {
            visible.push(certificate);
            continue;
        }
        let key = (certificate.subject.kind, certificate.subject.id.clone());
        let access = match subjects.get(&key) {
            Some(access) => *access,
            None => {
                let access = subject_access(store, actor, key.0, &key.1).await?;
                subjects.insert(key, access);
                access
            }
        };
        if let Some(access) = access {
            reads.push(RecordRead {
                kind: RecordKind::Certificate,
                id: certificate.id.to_string(),
                owner: certificate.subject_owner_organization_id,
                basis: access.basis,
            });
            visible.push(certificate);
        }
    }
    audit_reads(store, actor, &reads).await?;
    Ok(visible)
}

pub async fn get(store: &SqlStore, actor: &Actor, id: CertificateId) -> StoreResult<Certificate> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::Certificate,
        id: id.to_string(),
    };
    let row = sqlx::query("SELECT * FROM conformity_certificates WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    readable_certificates(store, actor, vec![certificate_of(&row)?])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Rows fetched per round while filling a page (rows the actor may not read are skipped).
const BATCH: i64 = 200;

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &CertificateFilter,
    page: &PageRequest,
) -> StoreResult<Page<Certificate>> {
    let wanted = page.limit as usize + 1;
    let mut after = page.after.clone();
    let mut items = Vec::new();
    loop {
        let mut sql = Sql::new("SELECT * FROM conformity_certificates c WHERE 1 = 1", Vec::new());
        if let Some((kind, id)) = &filter.subject {
            sql.push_with(
                " AND c.subject_kind = ? AND c.subject_id = ?",
                vec![Param::Text(kind.as_str().to_owned()), Param::Text(id.clone())],
            );
        }
        if let Some(certifier) = filter.certifier {
            sql.push_with(
                " AND c.certifier_organization_id = ?",
                vec![Param::Text(certifier.to_string())],
            );
        }
        if let Some(owner) = filter.subject_owner {
            sql.push_with(
                " AND c.subject_owner_organization_id = ?",
                vec![Param::Text(owner.to_string())],
            );
        }
        if let Some(scheme) = &filter.scheme {
            sql.push_with(" AND c.scheme = ?", vec![Param::Text(scheme.clone())]);
        }
        if let Some(after) = &after {
            sql.push_with(" AND c.id > ?", vec![Param::Text(after.clone())]);
        }
        sql.push_with(" ORDER BY c.id LIMIT ?", vec![Param::Int(BATCH)]);
        let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
        let exhausted = (rows.len() as i64) < BATCH;
        let batch = rows.iter().map(certificate_of).collect::<StoreResult<Vec<_>>>()?;
        after = batch.last().map(|certificate| certificate.id.to_string());
        // Only as many as the page needs are decided (and audited).
        let mut candidates = batch;
        let mut visible = Vec::new();
        while !candidates.is_empty() && items.len() + visible.len() < wanted {
            let take = (wanted - items.len() - visible.len()).min(candidates.len());
            let rest = candidates.split_off(take);
            let decided = readable_certificates(store, actor, candidates).await?;
            visible.extend(decided);
            candidates = rest;
        }
        items.extend(visible);
        if items.len() >= wanted || exhausted {
            break;
        }
    }
    Ok(Page::from_overfetch(items, page.limit, |certificate| {
        certificate.id.to_string()
    }))
}

pub async fn revoke(
    store: &SqlStore,
    actor: &Actor,
    id: CertificateId,
    revocation: CertificateRevocation,
) -> StoreResult<Certificate> {
    let certificate = get(store, actor, id).await?;
    require(
        actor.writes_for(certificate.certifier_organization_id),
        "only the certification body that issued a certificate revokes it",
    )?;
    revocation.validate().map_err(StoreError::Invalid)?;
    if certificate.revoked_at.is_some() {
        return Err(StoreError::Conflict {
            message: "/reason: the certificate is already revoked".to_owned(),
            path: "/reason".to_owned(),
        });
    }
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let changed = sqlx::query(
        "UPDATE conformity_certificates SET revoked_at = $2, revocation_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id.to_string())
    .bind(micros(now))
    .bind(revocation.reason.clone())
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::Conflict {
            message: "/reason: the certificate is already revoked".to_owned(),
            path: "/reason".to_owned(),
        });
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Revoke,
        RecordKind::Certificate,
        &id.to_string(),
        Some(certificate.certifier_organization_id),
        None,
    )
    .await?;
    // Its credential's bit in the certifier's status list, in the same transaction.
    let entry_revoked =
        sqlx::query("UPDATE issued_credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(certificate.credential_id.clone())
            .bind(micros(now))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?
            .rows_affected();
    if entry_revoked == 1 {
        record(
            store,
            &mut transaction,
            actor,
            AuditAction::Revoke,
            RecordKind::Credential,
            &certificate.credential_id,
            Some(certificate.certifier_organization_id),
            None,
        )
        .await?;
    }
    transaction.commit().await.map_err(unavailable)?;
    Ok(Certificate {
        revoked_at: Some(now),
        revocation_reason: Some(revocation.reason),
        ..certificate
    })
}
