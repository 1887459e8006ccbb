//! Passports and their profiles. Every read goes through [`read_view`], the one place that turns a
//! stored version into what the reader may see (the profile's field filter at the reader's access
//! level) and records audited reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use junkan_model::access::{AccessLevel, GrantLevel, ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::facility::Visibility;
use junkan_model::ids::PassportId;
use junkan_model::page::{Page, PageRequest};
use junkan_model::passport::{
    canonical_link, check_passport_parts, check_update_parts, ImportReport, NewPassport, Passport, PassportFilter,
    PassportLink, PassportRead, PassportUpdate, PassportVersionInfo, ProfileRecord,
};
use junkan_model::principal::{Actor, Role};
use junkan_model::Violation;
use junkan_passport::CompiledProfile;
use junkan_store::{StoreError, StoreResult};

use crate::access::{audit_reads, readable, record, require};
use crate::rows::{enum_value, int, like_literal, opt_text, parsed, text, time, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

/// Compiled profiles by (code, version): compiling a large schema takes milliseconds, reading a
/// passport must not.
#[derive(Debug, Default)]
pub struct ProfileCache(Mutex<HashMap<(String, String), Arc<CompiledProfile>>>);

impl ProfileCache {
    fn get(&self, code: &str, version: &str) -> Option<Arc<CompiledProfile>> {
        self.0
            .lock()
            .expect("profile cache mutex is never poisoned: no code panics while holding it")
            .get(&(code.to_owned(), version.to_owned()))
            .cloned()
    }

    fn put(&self, compiled: Arc<CompiledProfile>) {
        let key = (compiled.profile.code.clone(), compiled.profile.version.clone());
        self.0
            .lock()
            .expect("profile cache mutex is never poisoned: no code panics while holding it")
            .insert(key, compiled);
    }
}

fn version_rank(version: &str) -> i64 {
    let core = version.split(['-', '+']).next().unwrap_or("");
    core.split('.')
        .map(|part| part.parse::<i64>().unwrap_or(0).min(999_999))
        .chain(std::iter::repeat(0))
        .take(3)
        .fold(0, |rank, part| rank * 1_000_000 + part)
}

// ---------------------------------------------------------------------------------------------
// Profiles

pub async fn register_profile(
    store: &SqlStore,
    actor: &Actor,
    document: serde_json::Value,
) -> StoreResult<ProfileRecord> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only node administrators register passport profiles",
    )?;
    let compiled = junkan_passport::Profile::compile(&document).map_err(StoreError::Invalid)?;
    let profile = &compiled.profile;
    let industry: Option<String> = sqlx::query_scalar("SELECT code FROM industries WHERE code = $1")
        .bind(profile.industry.clone())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    if industry.is_none() {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/industry",
            format!(
                "{:?} is not a known industry code (GET /api/v1/industries)",
                profile.industry
            ),
        )]));
    }
    // Stored canonically (the parsed document), so that registering the same file twice is a no-op.
    let canonical = serde_json::to_value(profile).map_err(unavailable)?;
    if let Ok(existing) = get_profile(store, &profile.code, Some(&profile.version)).await {
        if existing.document == canonical {
            return Ok(existing);
        }
        return Err(StoreError::Conflict {
            message: format!(
                "profile {} version {} is registered with different content: register a new version",
                profile.code, profile.version
            ),
            path: "/version".to_owned(),
        });
    }
    let rank = version_rank(&profile.version);
    let newest: Option<(String, i64)> = sqlx::query_as(
        "SELECT version, version_rank FROM passport_profiles WHERE code = $1 ORDER BY version_rank DESC LIMIT 1",
    )
    .bind(profile.code.clone())
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?;
    if let Some((newest, newest_rank)) = newest {
        if newest_rank >= rank {
            return Err(StoreError::Invalid(vec![Violation::new(
                "/version",
                format!("must be newer than the registered version {newest}"),
            )]));
        }
    }
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO passport_profiles (code, version, version_rank, industry, document, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(profile.code.clone())
    .bind(profile.version.clone())
    .bind(rank)
    .bind(profile.industry.clone())
    .bind(canonical.to_string())
    .bind(micros(now))
    .bind(actor.principal_id.clone())
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &[]))?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Profile,
        &format!("{}@{}", profile.code, profile.version),
        None,
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    let record = ProfileRecord {
        code: profile.code.clone(),
        version: profile.version.clone(),
        industry: profile.industry.clone(),
        document: canonical,
        created_at: now,
    };
    store.profiles.put(Arc::new(compiled));
    Ok(record)
}

/// Registers each shipped profile unless that version, or a newer one, is registered.
pub async fn install_shipped(store: &SqlStore) -> StoreResult<()> {
    for document in junkan_passport::builtin::documents() {
        let code = document["code"].as_str().unwrap_or_default().to_owned();
        let version = document["version"].as_str().unwrap_or_default().to_owned();
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version_rank) FROM passport_profiles WHERE code = $1")
            .bind(code.clone())
            .fetch_one(&store.reader)
            .await
            .map_err(unavailable)?;
        if newest.is_some_and(|newest| newest >= version_rank(&version)) {
            continue;
        }
        match register_profile(store, &Actor::system(), document).await {
            // Another process installed it at the same moment.
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

pub async fn list_profiles(store: &SqlStore) -> StoreResult<Vec<ProfileRecord>> {
    let rows = sqlx::query(
        "SELECT p.* FROM passport_profiles p WHERE p.version_rank = \
         (SELECT MAX(q.version_rank) FROM passport_profiles q WHERE q.code = p.code) ORDER BY p.code",
    )
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    rows.iter().map(profile_from_row).collect()
}

pub async fn get_profile(store: &SqlStore, code: &str, version: Option<&str>) -> StoreResult<ProfileRecord> {
    let row = match version {
        Some(version) => sqlx::query("SELECT * FROM passport_profiles WHERE code = $1 AND version = $2")
            .bind(code.to_owned())
            .bind(version.to_owned()),
        None => sqlx::query("SELECT * FROM passport_profiles WHERE code = $1 ORDER BY version_rank DESC LIMIT 1")
            .bind(code.to_owned()),
    }
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?
    .ok_or_else(|| StoreError::NotFound {
        kind: RecordKind::Profile,
        id: match version {
            Some(version) => format!("{code}@{version}"),
            None => code.to_owned(),
        },
    })?;
    profile_from_row(&row)
}

fn profile_from_row(row: &AnyRow) -> StoreResult<ProfileRecord> {
    Ok(ProfileRecord {
        code: text(row, "code")?,
        version: text(row, "version")?,
        industry: text(row, "industry")?,
        document: parsed(&text(row, "document")?, "profile document", |text| {
            serde_json::from_str(text)
        })?,
        created_at: time(row, "created_at")?,
    })
}

/// The compiled profile `code` at `version` (the newest when `None`).
pub async fn compiled_profile(
    store: &SqlStore,
    code: &str,
    version: Option<&str>,
) -> StoreResult<Arc<CompiledProfile>> {
    if let Some(version) = version {
        if let Some(compiled) = store.profiles.get(code, version) {
            return Ok(compiled);
        }
    }
    let record = get_profile(store, code, version).await?;
    if let Some(compiled) = store.profiles.get(&record.code, &record.version) {
        return Ok(compiled);
    }
    let compiled = Arc::new(
        junkan_passport::Profile::compile(&record.document).map_err(|violations| {
            StoreError::Unavailable(format!("stored profile {code} no longer compiles: {violations:?}").into())
        })?,
    );
    store.profiles.put(compiled.clone());
    Ok(compiled)
}

// ---------------------------------------------------------------------------------------------
// Writing passports

/// A passport version ready to write: checked and canonical.
struct Draft {
    identifier: String,
    granularity: junkan_model::passport::Granularity,
    profile: Arc<CompiledProfile>,
    status: junkan_model::passport::LifecycleStatus,
    visibility: Visibility,
    data: serde_json::Value,
    links: Vec<PassportLink>,
    note: Option<String>,
}

/// Checks a new passport against its profile, reporting violations under `prefix`.
/// The newest compiled profile of each code asked for so far (`None`: no such profile), so that an
/// import of many passports reads each profile once.
type NewestProfiles = HashMap<String, Option<Arc<CompiledProfile>>>;

async fn newest_profile(
    store: &SqlStore,
    newest: &mut NewestProfiles,
    code: &str,
) -> StoreResult<Option<Arc<CompiledProfile>>> {
    if let Some(known) = newest.get(code) {
        return Ok(known.clone());
    }
    let found = match compiled_profile(store, code, None).await {
        Ok(profile) => Some(profile),
        Err(StoreError::NotFound { .. }) => None,
        Err(error) => return Err(error),
    };
    newest.insert(code.to_owned(), found.clone());
    Ok(found)
}

async fn draft_of(
    store: &SqlStore,
    newest: &mut NewestProfiles,
    new: NewPassport,
    prefix: &str,
) -> StoreResult<Result<Draft, Vec<Violation>>> {
    let mut violations = Vec::new();
    let identifier = match check_passport_parts(
        &new.identifier,
        new.granularity,
        &new.data,
        &new.links,
        new.note.as_deref(),
    ) {
        Ok(identifier) => identifier,
        Err(found) => {
            violations.extend(found);
            String::new()
        }
    };
    let profile = newest_profile(store, newest, &new.profile).await?;
    if profile.is_none() {
        violations.push(Violation::new(
            "/profile",
            format!("{:?} is not a registered profile (GET /api/v1/profiles)", new.profile),
        ));
    }
    if let Some(profile) = &profile {
        if !profile.profile.granularities.contains(&new.granularity) {
            violations.push(Violation::new(
                "/granularity",
                format!(
                    "profile {} allows {} passports",
                    profile.profile.code,
                    profile
                        .profile
                        .granularities
                        .iter()
                        .map(|granularity| granularity.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if new.data.is_object() {
            violations.extend(profile.check_data(&new.data));
        }
    }
    if !violations.is_empty() {
        for violation in &mut violations {
            violation.path = format!("{prefix}{}", violation.path);
        }
        return Ok(Err(violations));
    }
    Ok(Ok(Draft {
        identifier,
        granularity: new.granularity,
        profile: profile.expect("a missing profile was reported above"),
        status: new.status,
        visibility: new.visibility,
        data: new.data,
        links: canonical_links(new.links),
        note: new.note,
    }))
}

fn canonical_links(links: Vec<PassportLink>) -> Vec<PassportLink> {
    links
        .into_iter()
        .map(|mut link| {
            if let Ok(canonical) = canonical_link(&link.identifier) {
                link.identifier = canonical;
            }
            link
        })
        .collect()
}

pub async fn create(store: &SqlStore, actor: &Actor, new: NewPassport) -> StoreResult<Passport> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization create passports".to_owned(),
    })?;
    require(
        actor.writes_for(owner),
        "only members of an organization create its passports",
    )?;
    let draft = draft_of(store, &mut NewestProfiles::new(), new, "")
        .await?
        .map_err(StoreError::Invalid)?;
    let id = PassportId::generate();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    insert_passport(store, &mut transaction, actor, id, &draft).await?;
    transaction.commit().await.map_err(unavailable)?;
    get(store, actor, id, PassportRead::default()).await
}

const CONFLICTS: [(&str, &str, &str); 1] = [(
    "identifier",
    "/identifier",
    "a passport with this identifier exists (one passport per identifier; update it with a new version)",
)];

async fn insert_passport(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    id: PassportId,
    draft: &Draft,
) -> StoreResult<()> {
    let owner = actor.organization_id.expect("checked by the caller");
    let now = micros(store.clock_now());
    sqlx::query(
        "INSERT INTO passports (id, identifier, granularity, owner_organization_id, profile, status, visibility, latest_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
    )
    .bind(id.to_string())
    .bind(draft.identifier.clone())
    .bind(draft.granularity.as_str())
    .bind(owner.to_string())
    .bind(draft.profile.profile.code.clone())
    .bind(draft.status.as_str())
    .bind(draft.visibility.as_str())
    .bind(now)
    .execute(&mut *connection)
    .await
    .map_err(|error| write_error(error, &CONFLICTS))?;
    insert_version(store, connection, actor, id, 1, draft).await?;
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::Passport,
        &id.to_string(),
        Some(owner),
        None,
    )
    .await
}

async fn insert_version(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    id: PassportId,
    version: i64,
    draft: &Draft,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO passport_versions (passport_id, version, profile_version, status, visibility, data, links, note, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(draft.profile.profile.version.clone())
    .bind(draft.status.as_str())
    .bind(draft.visibility.as_str())
    .bind(draft.data.to_string())
    .bind(serde_json::to_string(&draft.links).map_err(unavailable)?)
    .bind(draft.note.clone())
    .bind(micros(store.clock_now()))
    .bind(actor.principal_id.clone())
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    sqlx::query("DELETE FROM passport_materials WHERE passport_id = $1")
        .bind(id.to_string())
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?;
    for material in draft.profile.materials(&draft.data) {
        sqlx::query("INSERT INTO passport_materials (passport_id, material) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(material)
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// The newest stored version of a passport, unfiltered, for writers.
struct Current {
    owner: junkan_model::ids::OrganizationId,
    latest_version: i64,
    granularity: junkan_model::passport::Granularity,
    identifier: String,
    profile: String,
    status: junkan_model::passport::LifecycleStatus,
    visibility: Visibility,
    data: serde_json::Value,
    links: Vec<PassportLink>,
}

async fn current(connection: &mut AnyConnection, id: PassportId) -> StoreResult<Option<Current>> {
    let row = sqlx::query(
        "SELECT p.owner_organization_id, p.latest_version, p.granularity, p.identifier, p.profile, v.status, v.visibility, v.data, v.links \
         FROM passports p JOIN passport_versions v ON v.passport_id = p.id AND v.version = p.latest_version WHERE p.id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *connection)
    .await
    .map_err(unavailable)?;
    row.map(|row| {
        Ok(Current {
            owner: parsed(&text(&row, "owner_organization_id")?, "organization id", str::parse)?,
            latest_version: int(&row, "latest_version")?,
            granularity: enum_value(&text(&row, "granularity")?, "granularity")?,
            identifier: text(&row, "identifier")?,
            profile: text(&row, "profile")?,
            status: enum_value(&text(&row, "status")?, "status")?,
            visibility: enum_value(&text(&row, "visibility")?, "visibility")?,
            data: parsed(&text(&row, "data")?, "passport data", |text| serde_json::from_str(text))?,
            links: parsed(&text(&row, "links")?, "passport links", |text| {
                serde_json::from_str(text)
            })?,
        })
    })
    .transpose()
}

pub async fn update(store: &SqlStore, actor: &Actor, id: PassportId, update: PassportUpdate) -> StoreResult<Passport> {
    // Existence and readability first, so that a passport the actor may not see stays unseen.
    get(store, actor, id, PassportRead::default()).await?;
    check_update_parts(&update).map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let current = current(&mut transaction, id)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Passport,
            id: id.to_string(),
        })?;
    require(
        actor.writes_for(current.owner),
        "only members of the owning organization change its passports",
    )?;
    if let Some(base) = update.base_version {
        if base != current.latest_version {
            return Err(StoreError::Conflict {
                message: format!(
                    "version {} is the newest; this change was made against version {base}: read it again",
                    current.latest_version
                ),
                path: "/base_version".to_owned(),
            });
        }
    }
    let draft = draft_of(
        store,
        &mut NewestProfiles::new(),
        NewPassport {
            identifier: current.identifier,
            granularity: current.granularity,
            profile: current.profile,
            status: update.status.unwrap_or(current.status),
            visibility: update.visibility.unwrap_or(current.visibility),
            data: update.data.unwrap_or(current.data),
            links: update.links.unwrap_or(current.links),
            note: update.note,
        },
        "",
    )
    .await?
    .map_err(StoreError::Invalid)?;
    let version = current.latest_version + 1;
    write_version(store, &mut transaction, actor, id, version, &draft, current.owner).await?;
    transaction.commit().await.map_err(unavailable)?;
    get(store, actor, id, PassportRead::default()).await
}

async fn write_version(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    id: PassportId,
    version: i64,
    draft: &Draft,
    owner: junkan_model::ids::OrganizationId,
) -> StoreResult<()> {
    insert_version(store, connection, actor, id, version, draft).await?;
    sqlx::query(
        "UPDATE passports SET latest_version = $2, status = $3, visibility = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(draft.status.as_str())
    .bind(draft.visibility.as_str())
    .bind(micros(store.clock_now()))
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    record(
        store,
        connection,
        actor,
        AuditAction::Update,
        RecordKind::Passport,
        &id.to_string(),
        Some(owner),
        None,
    )
    .await
}

pub async fn import(
    store: &SqlStore,
    actor: &Actor,
    items: Vec<NewPassport>,
    dry_run: bool,
) -> StoreResult<ImportReport> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization import passports".to_owned(),
    })?;
    require(
        actor.writes_for(owner),
        "only members of an organization import its passports",
    )?;
    if items.is_empty() || items.len() > 10_000 {
        return Err(StoreError::Invalid(vec![Violation::new(
            "",
            "an import holds 1 to 10000 passports",
        )]));
    }
    let mut drafts = Vec::with_capacity(items.len());
    let mut violations = Vec::new();
    let mut seen = HashMap::new();
    let mut newest = NewestProfiles::new();
    for (index, item) in items.into_iter().enumerate() {
        match draft_of(store, &mut newest, item, &format!("/{index}")).await? {
            Ok(draft) => {
                if let Some(first) = seen.insert(draft.identifier.clone(), index) {
                    violations.push(Violation::new(
                        format!("/{index}/identifier"),
                        format!("repeats the identifier of /{first}"),
                    ));
                }
                drafts.push(draft);
            }
            Err(found) => violations.extend(found),
        }
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    for (index, draft) in drafts.iter().enumerate() {
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM passports WHERE identifier = $1")
            .bind(draft.identifier.clone())
            .fetch_optional(&mut *transaction)
            .await
            .map_err(unavailable)?;
        match existing {
            None => {
                report.created += 1;
                insert_passport(store, &mut transaction, actor, PassportId::generate(), draft).await?;
            }
            Some(existing) => {
                let id: PassportId = parsed(&existing, "passport id", str::parse)?;
                let current = current(&mut transaction, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound {
                        kind: RecordKind::Passport,
                        id: id.to_string(),
                    })?;
                if current.owner != owner {
                    violations.push(Violation::new(
                        format!("/{index}/identifier"),
                        "a passport with this identifier belongs to another organization",
                    ));
                    continue;
                }
                if current.profile != draft.profile.profile.code || current.granularity != draft.granularity {
                    violations.push(Violation::new(
                        format!("/{index}/profile"),
                        "the existing passport has another profile or granularity; these do not change",
                    ));
                    continue;
                }
                let same = current.data == draft.data
                    && current.links == draft.links
                    && current.status == draft.status
                    && current.visibility == draft.visibility;
                if same {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    write_version(
                        store,
                        &mut transaction,
                        actor,
                        id,
                        current.latest_version + 1,
                        draft,
                        owner,
                    )
                    .await?;
                }
            }
        }
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    if dry_run {
        transaction.rollback().await.map_err(unavailable)?;
    } else {
        transaction.commit().await.map_err(unavailable)?;
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Reading passports

fn readable_passports(store: &SqlStore, actor: &Actor) -> Sql {
    readable(
        store,
        actor,
        "passports",
        RecordKind::Passport,
        "owner_organization_id",
        "r.visibility = 'public'",
    )
}

pub async fn get(store: &SqlStore, actor: &Actor, id: PassportId, read: PassportRead) -> StoreResult<Passport> {
    let mut sql = readable_passports(store, actor);
    sql.push_with(" AND r.id = ?", vec![Param::Text(id.to_string())]);
    let row = sql
        .query()
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Passport,
            id: id.to_string(),
        })?;
    let mut views = read_views(store, actor, &[row], read).await?;
    Ok(views.remove(0))
}

pub async fn find(
    store: &SqlStore,
    actor: &Actor,
    identifiers: &[String],
    read: PassportRead,
) -> StoreResult<Passport> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::Passport,
        id: identifiers.first().cloned().unwrap_or_default(),
    };
    if identifiers.is_empty() {
        return Err(not_found());
    }
    let mut sql = readable_passports(store, actor);
    sql.text.push_str(" AND r.identifier IN ");
    sql.push_list(identifiers.iter().cloned().map(Param::Text));
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    // The most specific identifier asked for wins (the caller lists them in that order).
    let row = identifiers
        .iter()
        .find_map(|identifier| {
            rows.iter()
                .find(|row| text(row, "identifier").is_ok_and(|stored| &stored == identifier))
        })
        .ok_or_else(not_found)?;
    let mut views = read_views(store, actor, std::slice::from_ref(row), read).await?;
    Ok(views.remove(0))
}

/// Every readable passport whose identifier is one of `identifiers`, newest version, in
/// identifier order: one statement for the heads, one for their versions.
pub async fn find_all(store: &SqlStore, actor: &Actor, identifiers: &[String]) -> StoreResult<Vec<Passport>> {
    if identifiers.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = readable_passports(store, actor);
    sql.text.push_str(" AND r.identifier IN ");
    sql.push_list(identifiers.iter().cloned().map(Param::Text));
    sql.text.push_str(" ORDER BY r.identifier, r.id");
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    read_views(store, actor, &rows, PassportRead::default()).await
}

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &PassportFilter,
    page: &PageRequest,
    read: PassportRead,
) -> StoreResult<Page<Passport>> {
    let mut sql = readable_passports(store, actor);
    if let Some(profile) = &filter.profile {
        sql.push_with(" AND r.profile = ?", vec![Param::Text(profile.clone())]);
    }
    if let Some(owner) = filter.owner {
        sql.push_with(" AND r.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if let Some(status) = filter.status {
        sql.push_with(" AND r.status = ?", vec![Param::Text(status.as_str().to_owned())]);
    }
    if let Some(granularity) = filter.granularity {
        sql.push_with(
            " AND r.granularity = ?",
            vec![Param::Text(granularity.as_str().to_owned())],
        );
    }
    if let Some(material) = &filter.material {
        sql.push_with(
            " AND EXISTS (SELECT 1 FROM passport_materials m WHERE m.passport_id = r.id AND m.material = ?)",
            vec![Param::Text(material.trim().to_lowercase())],
        );
    }
    if let Some(prefix) = &filter.identifier_prefix {
        sql.push_with(
            " AND r.identifier LIKE ? ESCAPE '\\'",
            vec![Param::Text(format!("{}%", like_literal(prefix)))],
        );
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND r.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY r.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let has_more = rows.len() > page.limit as usize;
    let rows = &rows[..rows.len().min(page.limit as usize)];
    let items = read_views(store, actor, rows, read).await?;
    let next_after = has_more
        .then(|| items.last().map(|passport| passport.id.to_string()))
        .flatten();
    Ok(Page { items, next_after })
}

pub async fn history(store: &SqlStore, actor: &Actor, id: PassportId) -> StoreResult<Vec<PassportVersionInfo>> {
    // Reading the passport checks the right to see it and audits the read.
    get(store, actor, id, PassportRead::default()).await?;
    let rows = sqlx::query(
        "SELECT version, status, profile_version, created_at, created_by, note FROM passport_versions \
         WHERE passport_id = $1 ORDER BY version",
    )
    .bind(id.to_string())
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(|row| {
            Ok(PassportVersionInfo {
                version: int(row, "version")?,
                status: enum_value(&text(row, "status")?, "status")?,
                profile_version: text(row, "profile_version")?,
                created_at: time(row, "created_at")?,
                created_by: text(row, "created_by")?,
                note: opt_text(row, "note")?,
            })
        })
        .collect()
}

/// Turns readable passport rows into views: loads the asked-for version of each, filters it to
/// the reader's level, and records the audited reads before anything is returned.
async fn read_views(
    store: &SqlStore,
    actor: &Actor,
    rows: &[AnyRow],
    read: PassportRead,
) -> StoreResult<Vec<Passport>> {
    let mut versions = version_rows(store, rows, read.version).await?;
    let mut views = Vec::with_capacity(rows.len());
    let mut reads = Vec::new();
    for row in rows {
        let id: PassportId = parsed(&text(row, "id")?, "passport id", str::parse)?;
        let owner = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
        let latest_version = int(row, "latest_version")?;
        let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
        let admitted = crate::access::admit(actor, row, owner, visibility == Visibility::Public)?;
        let basis = admitted.basis;
        let entitled = basis.access_level();
        let level = match read.view {
            None => entitled,
            Some(asked) if asked <= entitled => asked,
            Some(asked) => {
                return Err(StoreError::Forbidden {
                    reason: format!(
                        "you may read this passport at the {} level, not {}",
                        level_name(entitled),
                        level_name(asked)
                    ),
                })
            }
        };
        // Read at a lower level than the grants allow, more of them may contribute fields.
        let admitted = match basis {
            ReadBasis::Grant(..) => admitted.at_level(grant_level_of(level)),
            _ => admitted,
        };
        let version = read.version.unwrap_or(latest_version);
        let version_row = versions.remove(&id.to_string()).ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Passport,
            id: format!("{id} version {version}"),
        })?;
        let profile_code = text(row, "profile")?;
        let profile_version = text(&version_row, "profile_version")?;
        let profile = compiled_profile(store, &profile_code, Some(&profile_version)).await?;
        let data: serde_json::Value = parsed(&text(&version_row, "data")?, "passport data", |text| {
            serde_json::from_str(text)
        })?;
        let links: Vec<PassportLink> = parsed(&text(&version_row, "links")?, "passport links", |text| {
            serde_json::from_str(text)
        })?;
        let mut view = profile.view(&data, level);
        // The fields of the grant the read is made under, after the level (the one projection).
        let out_of_scope = admitted.project(&mut view.data);
        view.withheld.extend(out_of_scope);
        reads.extend(admitted.reads(RecordKind::Passport, &id.to_string(), owner));
        views.push(Passport {
            id,
            identifier: text(row, "identifier")?,
            granularity: enum_value(&text(row, "granularity")?, "granularity")?,
            owner_organization_id: owner,
            profile: profile_code,
            profile_version,
            status: enum_value(&text(&version_row, "status")?, "status")?,
            visibility: enum_value(&text(&version_row, "visibility")?, "visibility")?,
            version,
            latest_version,
            data: view.data,
            links: links.into_iter().filter(|link| link.access <= level).collect(),
            withheld: view.withheld,
            access_level: level,
            note: opt_text(&version_row, "note")?,
            created_at: time(row, "created_at")?,
            version_created_at: time(&version_row, "created_at")?,
            version_created_by: text(&version_row, "created_by")?,
        });
    }
    audit_reads(store, actor, &reads).await?;
    Ok(views)
}

/// The asked-for version (the newest when `None`) of each passport row, by passport id, in one
/// statement.
async fn version_rows(store: &SqlStore, rows: &[AnyRow], version: Option<i64>) -> StoreResult<HashMap<String, AnyRow>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::default();
    sql.text
        .push_str("SELECT v.* FROM passport_versions v JOIN passports p ON p.id = v.passport_id WHERE ");
    match version {
        Some(version) => {
            sql.push_with("v.version = ?", vec![Param::Int(version)]);
        }
        None => sql.text.push_str("v.version = p.latest_version"),
    }
    let ids: Vec<Param> = rows
        .iter()
        .map(|row| text(row, "id").map(Param::Text))
        .collect::<StoreResult<_>>()?;
    sql.text.push_str(" AND v.passport_id IN ");
    sql.push_list(ids);
    sql.query()
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|row| Ok((text(&row, "passport_id")?, row)))
        .collect()
}

fn level_name(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Public => "public",
        AccessLevel::LegitimateInterest => "legitimate_interest",
        AccessLevel::Authority => "authority",
        AccessLevel::Owner => "owner",
    }
}

/// The lowest grant level that gives a read at `level`: grants of that level or higher may
/// contribute their fields to it (`Admitted::at_level`).
fn grant_level_of(level: AccessLevel) -> GrantLevel {
    if level > GrantLevel::LegitimateInterest.access_level() {
        GrantLevel::Full
    } else {
        GrantLevel::LegitimateInterest
    }
}

#[cfg(test)]
mod tests {
    use super::version_rank;

    #[test]
    fn versions_rank_in_semantic_order() {
        assert!(version_rank("1.10.0") > version_rank("1.9.9"));
        assert!(version_rank("2.0.0") > version_rank("1.999.999"));
        assert_eq!(version_rank("1.2.0-beta"), version_rank("1.2.0"));
    }
}
