//! Product carbon footprints (issue 5) and the PACT partners and outbox around them.
//!
//! A footprint is stored once, as the model's JSON (`junkan_footprint::Footprint`, exact decimals
//! as strings), with the values list filters use as `footprint_keys` rows. It never changes
//! except for the one transition a supersede makes (Active → Deprecated, refused otherwise by a
//! trigger on both engines). Every read selects through `access::readable` and audits reads under
//! grants or as auditor in [`read_rows`]. Publishing and deprecating enqueue `PublishedEvent`s for
//! subscribed partners that may read the footprint, in the write's own transaction (a
//! transactional outbox: the event exists exactly when the change does).

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use junkan_footprint::filter::geography_keys;
use junkan_footprint::model::supersede;
use junkan_footprint::{Footprint, FootprintFilter};
use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::facility::Visibility;
use junkan_model::ids::{FootprintId, OrganizationId, PactPartnerId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_model::Violation;
use junkan_store::{
    pact_next_attempt, url_host, NewPactPartner, OutgoingPactEvent, PactFootprintText, PactOutboxEntry, PactPartner,
    StoreError, StoreResult, StoredFootprint,
};

use crate::access::{audit_reads, basis_of, readable, readable_from, record, require, RecordRead};
use crate::rows::{enum_value, from_micros, int, opt_text, opt_time, parsed, text, time, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

/// The CloudEvents type of a PACT v3 notification that footprints were published or changed.
pub const PUBLISHED_EVENT_TYPE: &str = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3";

fn not_found(id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind: RecordKind::Footprint,
        id: id.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing footprints

pub async fn create(
    store: &SqlStore,
    actor: &Actor,
    footprint: Footprint,
    visibility: Visibility,
) -> StoreResult<StoredFootprint> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization publish footprints".to_owned(),
    })?;
    require(
        actor.writes_for(owner),
        "only members of an organization publish its footprints",
    )?;
    footprint.validate().map_err(StoreError::Invalid)?;
    let id = footprint.id;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    create_in(store, &mut transaction, actor, owner, &footprint, visibility).await?;
    transaction.commit().await.map_err(unavailable)?;
    get(store, actor, id).await
}

/// Stores a validated `footprint` of `owner`, audited and announced to subscribed partners, in
/// the caller's transaction (which has checked that `actor` writes for `owner`).
pub(crate) async fn create_in(
    store: &SqlStore,
    transaction: &mut AnyConnection,
    actor: &Actor,
    owner: OrganizationId,
    footprint: &Footprint,
    visibility: Visibility,
) -> StoreResult<()> {
    insert(store, transaction, actor, owner, footprint, visibility).await?;
    enqueue_published(store, transaction, &[footprint.id]).await
}

pub async fn create_many(
    store: &SqlStore,
    actor: &Actor,
    footprints: Vec<Footprint>,
    visibility: Visibility,
) -> StoreResult<usize> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization publish footprints".to_owned(),
    })?;
    require(
        actor.writes_for(owner),
        "only members of an organization publish its footprints",
    )?;
    let mut violations = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (index, footprint) in footprints.iter().enumerate() {
        if let Err(found) = footprint.validate() {
            violations.extend(
                found
                    .into_iter()
                    .map(|violation| Violation::new(format!("/{index}{}", violation.path), violation.message)),
            );
        }
        if let Some(first) = seen.insert(footprint.id, index) {
            violations.push(Violation::new(
                format!("/{index}/id"),
                format!("repeats the id of /{first}"),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    for (index, footprint) in footprints.iter().enumerate() {
        insert(store, &mut transaction, actor, owner, footprint, visibility)
            .await
            .map_err(|error| match error {
                StoreError::Conflict { message, path } => StoreError::Conflict {
                    message,
                    path: format!("/{index}{path}"),
                },
                other => other,
            })?;
    }
    let ids: Vec<FootprintId> = footprints.iter().map(|footprint| footprint.id).collect();
    for chunk in ids.chunks(500) {
        enqueue_published(store, &mut transaction, chunk).await?;
    }
    transaction.commit().await.map_err(unavailable)?;
    Ok(footprints.len())
}

pub async fn supersede_footprint(
    store: &SqlStore,
    actor: &Actor,
    old_id: FootprintId,
    new: Footprint,
) -> StoreResult<StoredFootprint> {
    let supersession = supersession(store, actor, old_id, new).await?;
    let new_id = supersession.successor.id;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    supersede_in(store, &mut transaction, actor, &supersession).await?;
    transaction.commit().await.map_err(unavailable)?;
    get(store, actor, new_id).await
}

/// A footprint about to be superseded: the stored one, its deprecated form and its successor.
pub(crate) struct Supersession {
    old: StoredFootprint,
    deprecated: Footprint,
    /// The new footprint, naming its predecessor.
    pub successor: Footprint,
    now: time::OffsetDateTime,
}

/// Checks that `actor` may supersede footprint `old_id` by `new` and works out both versions.
pub(crate) async fn supersession(
    store: &SqlStore,
    actor: &Actor,
    old_id: FootprintId,
    new: Footprint,
) -> StoreResult<Supersession> {
    // Readability first, so that a footprint the actor may not see stays unseen.
    let old = get(store, actor, old_id).await?;
    require(
        actor.writes_for(old.owner_organization_id),
        "only members of the owning organization supersede its footprints",
    )?;
    new.validate().map_err(StoreError::Invalid)?;
    let now = store.clock_now();
    let (deprecated, successor) = supersede(&old.footprint, new, now).map_err(|error| {
        use junkan_footprint::model::SupersedeError;
        match error {
            SupersedeError::AlreadyDeprecated { .. } => StoreError::Conflict {
                message: error.to_string(),
                path: "/status".to_owned(),
            },
            SupersedeError::SameId => StoreError::Invalid(vec![Violation::new("/id", error.to_string())]),
            SupersedeError::NotActive => StoreError::Invalid(vec![Violation::new("/status", error.to_string())]),
            SupersedeError::DifferentOwner => {
                StoreError::Invalid(vec![Violation::new("/companyIds", error.to_string())])
            }
        }
    })?;
    Ok(Supersession {
        old,
        deprecated,
        successor,
        now,
    })
}

/// Deprecates the old footprint of `supersession` and stores its successor, audited and
/// announced, in the caller's transaction.
pub(crate) async fn supersede_in(
    store: &SqlStore,
    transaction: &mut AnyConnection,
    actor: &Actor,
    supersession: &Supersession,
) -> StoreResult<()> {
    let Supersession {
        old,
        deprecated,
        successor,
        now,
    } = supersession;
    let old_id = old.footprint.id;
    let changed = sqlx::query(
        "UPDATE footprints SET status = 'Deprecated', document = $2, superseded_by = $3, updated_at = $4, pact_v3 = $5 \
         WHERE id = $1 AND status = 'Active'",
    )
    .bind(old_id.to_string())
    .bind(serde_json::to_string(deprecated).map_err(unavailable)?)
    .bind(successor.id.to_string())
    .bind(micros(*now))
    .bind(pact_v3_text(deprecated))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if changed != 1 {
        // Another writer deprecated it between the read and this transaction.
        return Err(StoreError::Conflict {
            message: format!("footprint {old_id} is already deprecated"),
            path: "/status".to_owned(),
        });
    }
    record(
        store,
        &mut *transaction,
        actor,
        AuditAction::Update,
        RecordKind::Footprint,
        &old_id.to_string(),
        Some(old.owner_organization_id),
        None,
    )
    .await?;
    insert(
        store,
        &mut *transaction,
        actor,
        old.owner_organization_id,
        successor,
        old.visibility,
    )
    .await?;
    enqueue_published(store, transaction, &[successor.id, old_id]).await
}

const CONFLICTS: [(&str, &str, &str); 1] = [(
    "footprints",
    "/id",
    "a footprint with this id exists (a changed footprint needs a new id: supersede it)",
)];

async fn insert(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    owner: OrganizationId,
    footprint: &Footprint,
    visibility: Visibility,
) -> StoreResult<()> {
    let now = micros(store.clock_now());
    let (start, end) = footprint.effective_validity();
    sqlx::query(
        "INSERT INTO footprints (id, owner_organization_id, status, visibility, validity_start, validity_end, document, created_at, updated_at, created_by, pact_v3) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
    )
    .bind(footprint.id.to_string())
    .bind(owner.to_string())
    .bind(footprint.status.as_str())
    .bind(visibility.as_str())
    .bind(micros(start))
    .bind(micros(end))
    .bind(serde_json::to_string(footprint).map_err(unavailable)?)
    .bind(now)
    .bind(actor.principal_id.clone())
    .bind(pact_v3_text(footprint))
    .execute(&mut *connection)
    .await
    .map_err(|error| write_error(error, &CONFLICTS))?;
    for (kind, value) in filter_keys(footprint) {
        sqlx::query(
            "INSERT INTO footprint_keys (kind, value, footprint_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(kind)
        .bind(value)
        .bind(footprint.id.to_string())
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?;
    }
    record(
        store,
        connection,
        actor,
        AuditAction::Create,
        RecordKind::Footprint,
        &footprint.id.to_string(),
        Some(owner),
        None,
    )
    .await
}

/// The PACT v3.0 JSON of a footprint as stored beside it (migration 0008); `None` when v3 cannot
/// express it.
fn pact_v3_text(footprint: &Footprint) -> Option<String> {
    junkan_footprint::pact::to_v3(footprint)
        .ok()
        .map(|document| document.to_string())
}

/// The `footprint_keys` rows of a footprint.
fn filter_keys(footprint: &Footprint) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    keys.extend(footprint.product_ids.iter().map(|id| ("product", id.clone())));
    keys.extend(footprint.company_ids.iter().map(|id| ("company", id.clone())));
    keys.extend(
        footprint
            .product_classifications
            .iter()
            .map(|id| ("classification", id.clone())),
    );
    keys.extend(
        geography_keys(&footprint.pcf.geography)
            .into_iter()
            .map(|key| ("geography", key)),
    );
    keys
}

/// Enqueues a `PublishedEvent` naming `ids` to every partner subscribed to notifications, with
/// only the ids that partner's organization may read (nothing for a partner that may read none).
/// Runs on the write's connection, so it sees the write and commits or rolls back with it.
async fn enqueue_published(store: &SqlStore, connection: &mut AnyConnection, ids: &[FootprintId]) -> StoreResult<()> {
    let partners = sqlx::query("SELECT * FROM pact_partners WHERE notify_published = 1 ORDER BY id")
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?;
    for row in partners {
        let partner = partner_from_row(&row)?;
        let reader = partner_actor(&partner);
        let mut sql = readable_footprints(store, &reader);
        sql.text.push_str(" AND r.id IN ");
        sql.push_list(ids.iter().map(|id| Param::Text(id.to_string())));
        sql.text.push_str(" ORDER BY r.id");
        let readable_ids: Vec<String> = sql
            .query()
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|row| text(row, "id"))
            .collect::<StoreResult<_>>()?;
        if readable_ids.is_empty() {
            continue;
        }
        let event_id = uuid::Uuid::now_v7().to_string();
        let event = serde_json::json!({
            "specversion": "1.0",
            "id": event_id,
            "type": PUBLISHED_EVENT_TYPE,
            "time": store
                .clock_now()
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(unavailable)?,
            "data": { "pfIds": readable_ids },
        });
        let outgoing = OutgoingPactEvent {
            dedupe_key: format!("published:{}:{event_id}", partner.id),
            partner_id: partner.id,
            event,
        };
        insert_outbox(store, connection, &outgoing).await?;
    }
    Ok(())
}

/// The actor a partner's organization reads as, for deciding what it is notified of (a member
/// of that organization, as its OAuth clients are).
fn partner_actor(partner: &PactPartner) -> Actor {
    Actor {
        kind: PrincipalKind::Client,
        principal_id: format!("pact-partner:{}", partner.id),
        organization_id: Some(partner.organization_id),
        roles: vec![Role::Member],
        purpose: Some("PACT notification".to_owned()),
        request_id: None,
        grant: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading footprints

fn readable_footprints(store: &SqlStore, actor: &Actor) -> Sql {
    readable(
        store,
        actor,
        "footprints",
        RecordKind::Footprint,
        "owner_organization_id",
        "r.visibility = 'public'",
    )
}

pub async fn get(store: &SqlStore, actor: &Actor, id: FootprintId) -> StoreResult<StoredFootprint> {
    let mut sql = readable_footprints(store, actor);
    sql.push_with(" AND r.id = ?", vec![Param::Text(id.to_string())]);
    let row = sql
        .query()
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| not_found(id))?;
    let mut footprints = read_rows(store, actor, &[row]).await?;
    Ok(footprints.remove(0))
}

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &FootprintFilter,
    page: &PageRequest,
) -> StoreResult<Page<StoredFootprint>> {
    let (rows, has_more) = select_page(store, actor, "r.*", filter, page).await?;
    let items = read_rows(store, actor, &rows).await?;
    let next_after = has_more
        .then(|| items.last().map(|stored| stored.footprint.id.to_string()))
        .flatten();
    Ok(Page { items, next_after })
}

pub async fn list_pact_v3(
    store: &SqlStore,
    actor: &Actor,
    filter: &FootprintFilter,
    page: &PageRequest,
) -> StoreResult<Page<PactFootprintText>> {
    let (rows, has_more) = select_page(store, actor, PACT_V3_COLUMNS, filter, page).await?;
    let items = read_pact_v3_rows(store, actor, &rows).await?;
    let next_after = has_more.then(|| items.last().map(|item| item.id.to_string())).flatten();
    Ok(Page { items, next_after })
}

/// What [`read_pact_v3_rows`] reads of a footprint: the model's JSON only when no v3 text is
/// stored (each is a few KB, and a page reads a hundred).
const PACT_V3_COLUMNS: &str =
    "r.id, r.owner_organization_id, r.visibility, r.pact_v3, CASE WHEN r.pact_v3 IS NULL THEN r.document END AS document";

/// The readable rows of one page of `filter` (at most `page.limit`), with `columns`, and whether
/// more follow.
async fn select_page(
    store: &SqlStore,
    actor: &Actor,
    columns: &str,
    filter: &FootprintFilter,
    page: &PageRequest,
) -> StoreResult<(Vec<AnyRow>, bool)> {
    if filter.matches_nothing() {
        return Ok((Vec::new(), false));
    }
    // Key criteria, most selective kind first: a product id names few footprints, a geography
    // very many.
    let criteria: Vec<(&str, &Vec<String>)> = [
        ("product", &filter.product_ids),
        ("company", &filter.company_ids),
        ("classification", &filter.classifications),
        ("geography", &filter.geographies),
    ]
    .into_iter()
    .filter(|(_, values)| !values.is_empty())
    .collect();
    // A criterion with one value drives the query: its index entries, (kind, value,
    // footprint_id), come in footprint-id order, the order of pages, so a page stops reading after
    // `limit` matches instead of gathering and sorting every footprint of, say, a country. The
    // other criteria are probes of the same index per candidate. (Several values of the driving
    // kind could name one footprint twice, so those lists are matched with IN instead.)
    let driver = criteria.iter().position(|(_, values)| values.len() == 1);
    let mut sql = match driver {
        Some(index) => {
            let (kind, values) = criteria[index];
            let mut sql = readable_from(
                store,
                actor,
                columns,
                "footprint_keys d CROSS JOIN footprints r",
                RecordKind::Footprint,
                "owner_organization_id",
                "r.visibility = 'public'",
            );
            sql.push_with(
                " AND r.id = d.footprint_id AND d.kind = ? AND d.value = ?",
                vec![Param::Text(kind.to_owned()), Param::Text(values[0].clone())],
            );
            sql
        }
        None => readable_from(
            store,
            actor,
            columns,
            "footprints r",
            RecordKind::Footprint,
            "owner_organization_id",
            "r.visibility = 'public'",
        ),
    };
    for (index, (kind, values)) in criteria.iter().enumerate() {
        if Some(index) == driver {
            continue;
        }
        let condition = if driver.is_some() {
            " AND EXISTS (SELECT 1 FROM footprint_keys k WHERE k.footprint_id = r.id AND k.kind = ? AND k.value IN "
        } else {
            " AND r.id IN (SELECT k.footprint_id FROM footprint_keys k WHERE k.kind = ? AND k.value IN "
        };
        sql.push_with(condition, vec![Param::Text((*kind).to_owned())]);
        sql.push_list(values.iter().cloned().map(Param::Text));
        sql.text.push(')');
    }
    let order = if driver.is_some() { "d.footprint_id" } else { "r.id" };
    let any_of = |sql: &mut Sql, condition: &str, moments: &[time::OffsetDateTime]| {
        if moments.is_empty() {
            return;
        }
        sql.text.push_str(" AND (");
        for (index, moment) in moments.iter().enumerate() {
            if index > 0 {
                sql.text.push_str(" OR ");
            }
            let count = condition.matches('?').count();
            sql.push_with(condition, vec![Param::Int(micros(*moment)); count]);
        }
        sql.text.push(')');
    };
    any_of(
        &mut sql,
        "(r.validity_start <= ? AND ? <= r.validity_end)",
        &filter.valid_on,
    );
    any_of(&mut sql, "? < r.validity_start", &filter.valid_after);
    any_of(&mut sql, "r.validity_end < ?", &filter.valid_before);
    if let Some(statuses) = &filter.statuses {
        sql.text.push_str(" AND r.status IN ");
        sql.push_list(statuses.iter().map(|status| Param::Text(status.as_str().to_owned())));
    }
    if let Some(owner) = filter.owner {
        sql.push_with(" AND r.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if let Some(after) = &page.after {
        sql.push_with(&format!(" AND {order} > ?"), vec![Param::Text(after.clone())]);
    }
    sql.push_with(
        &format!(" ORDER BY {order} LIMIT ?"),
        vec![Param::Int(i64::from(page.limit) + 1)],
    );
    // PostgreSQL plans each listing for its values: after five runs it would switch to a cached
    // generic plan, which cannot tell a product family of 40 footprints from a country of
    // 37,500 and took ~20 ms where the plan for the values takes ~1 ms (`EXPLAIN ANALYZE`).
    let query = sql.query().persistent(store.backend == junkan_store::Backend::Sqlite);
    let mut rows = query.fetch_all(&store.reader).await.map_err(unavailable)?;
    let has_more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    Ok((rows, has_more))
}

/// The id, owner and visibility of a readable footprint row, adding its read to `reads` when
/// it is to be audited.
fn admit(
    actor: &Actor,
    row: &AnyRow,
    reads: &mut Vec<RecordRead>,
) -> StoreResult<(FootprintId, OrganizationId, Visibility)> {
    let id: FootprintId = parsed(&text(row, "id")?, "footprint id", str::parse)?;
    let owner: OrganizationId = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
    let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
    let basis = basis_of(actor, row, owner, visibility == Visibility::Public)?;
    if basis.is_audited() {
        reads.push(RecordRead {
            kind: RecordKind::Footprint,
            id: id.to_string(),
            owner,
            basis,
        });
    }
    Ok((id, owner, visibility))
}

/// Turns readable rows into stored footprints and records the audited reads before anything is
/// returned.
async fn read_rows(store: &SqlStore, actor: &Actor, rows: &[AnyRow]) -> StoreResult<Vec<StoredFootprint>> {
    let mut footprints = Vec::with_capacity(rows.len());
    let mut reads = Vec::new();
    for row in rows {
        let (_, owner, visibility) = admit(actor, row, &mut reads)?;
        let footprint: Footprint = parsed(&text(row, "document")?, "footprint document", |text| {
            serde_json::from_str(text)
        })?;
        footprints.push(StoredFootprint {
            superseded_by: opt_text(row, "superseded_by")?
                .map(|id| parsed(&id, "footprint id", str::parse))
                .transpose()?,
            footprint,
            owner_organization_id: owner,
            visibility,
            stored_at: time(row, "created_at")?,
        });
    }
    audit_reads(store, actor, &reads).await?;
    Ok(footprints)
}

/// [`read_rows`] for the PACT v3 listing: the same read rule and audit, each footprint as its
/// stored v3 JSON text; only rows stored without one (before migration 0008, or not expressible
/// in v3) are parsed and rendered.
async fn read_pact_v3_rows(store: &SqlStore, actor: &Actor, rows: &[AnyRow]) -> StoreResult<Vec<PactFootprintText>> {
    let mut items = Vec::with_capacity(rows.len());
    let mut reads = Vec::new();
    for row in rows {
        let (id, _, _) = admit(actor, row, &mut reads)?;
        let json = match opt_text(row, "pact_v3")? {
            Some(json) => Some(json),
            None => {
                let footprint: Footprint = parsed(&text(row, "document")?, "footprint document", |text| {
                    serde_json::from_str(text)
                })?;
                pact_v3_text(&footprint)
            }
        };
        items.push(PactFootprintText { id, json });
    }
    audit_reads(store, actor, &reads).await?;
    Ok(items)
}

// ---------------------------------------------------------------------------------------------
// PACT partners

pub async fn create_partner(store: &SqlStore, actor: &Actor, new: NewPactPartner) -> StoreResult<PactPartner> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only node administrators register PACT partners",
    )?;
    let mut violations = Vec::new();
    let base_url = new.base_url.trim_end_matches('/').to_owned();
    let host = if base_url.starts_with("http://") || base_url.starts_with("https://") {
        url_host(&base_url)
    } else {
        None
    };
    if host.is_none() {
        violations.push(Violation::new(
            "/base_url",
            "must be an http(s) URL such as https://pact.example.com",
        ));
    }
    if let Some(endpoint) = &new.token_endpoint {
        if url_host(endpoint).is_none() || endpoint.starts_with("//") {
            violations.push(Violation::new("/token_endpoint", "must be an http(s) URL"));
        }
    }
    for (path, value) in [
        ("/name", &new.name),
        ("/client_id", &new.client_id),
        ("/client_secret", &new.client_secret),
    ] {
        if value.trim().is_empty() || value.len() > 1_000 {
            violations.push(Violation::new(path, "must be 1 to 1000 characters"));
        }
    }
    if crate::organizations::get(store, new.organization_id).await.is_err() {
        violations.push(Violation::new(
            "/organization_id",
            format!("no organization {}", new.organization_id),
        ));
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let partner = PactPartner {
        id: PactPartnerId::generate(),
        organization_id: new.organization_id,
        name: new.name,
        base_url,
        host: host.expect("checked above"),
        token_endpoint: new.token_endpoint,
        client_id: new.client_id,
        client_secret: new.client_secret,
        notify_published: new.notify_published,
        created_at: store.clock_now(),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO pact_partners (id, organization_id, name, base_url, host, token_endpoint, client_id, client_secret, notify_published, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(partner.id.to_string())
    .bind(partner.organization_id.to_string())
    .bind(partner.name.clone())
    .bind(partner.base_url.clone())
    .bind(partner.host.clone())
    .bind(partner.token_endpoint.clone())
    .bind(partner.client_id.clone())
    .bind(partner.client_secret.clone())
    .bind(i64::from(partner.notify_published))
    .bind(micros(partner.created_at))
    .execute(&mut *transaction)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[("pact_partners", "/base_url", "this organization already has a partner at this host")],
        )
    })?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::PactPartner,
        &partner.id.to_string(),
        Some(partner.organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(partner)
}

pub async fn list_partners(store: &SqlStore, actor: &Actor) -> StoreResult<Vec<PactPartner>> {
    require(
        actor.has_role(Role::NodeAdmin) || actor.has_role(Role::Auditor),
        "only node administrators and auditors list PACT partners",
    )?;
    let rows = sqlx::query("SELECT * FROM pact_partners ORDER BY name, id")
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    rows.iter().map(partner_from_row).collect()
}

pub async fn partner_at(store: &SqlStore, actor: &Actor, host: &str) -> StoreResult<Option<PactPartner>> {
    let Some(organization) = actor.organization_id else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT * FROM pact_partners WHERE organization_id = $1 AND host = $2")
        .bind(organization.to_string())
        .bind(host.to_ascii_lowercase())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(partner_from_row).transpose()
}

async fn partner_by_id(store: &SqlStore, id: &str) -> StoreResult<Option<PactPartner>> {
    let row = sqlx::query("SELECT * FROM pact_partners WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(partner_from_row).transpose()
}

fn partner_from_row(row: &AnyRow) -> StoreResult<PactPartner> {
    Ok(PactPartner {
        id: parsed(&text(row, "id")?, "partner id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        name: text(row, "name")?,
        base_url: text(row, "base_url")?,
        host: text(row, "host")?,
        token_endpoint: opt_text(row, "token_endpoint")?,
        client_id: text(row, "client_id")?,
        client_secret: text(row, "client_secret")?,
        notify_published: int(row, "notify_published")? != 0,
        created_at: time(row, "created_at")?,
    })
}

// ---------------------------------------------------------------------------------------------
// The outbox

pub async fn enqueue(store: &SqlStore, actor: &Actor, event: OutgoingPactEvent) -> StoreResult<bool> {
    let partner = partner_by_id(store, &event.partner_id.to_string())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::PactPartner,
            id: event.partner_id.to_string(),
        })?;
    require(
        actor.has_role(Role::NodeAdmin) || actor.belongs_to(partner.organization_id),
        "events go only to partners of your organization",
    )?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let inserted = insert_outbox(store, &mut transaction, &event).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(inserted)
}

/// Inserts an outbox event unless its dedupe key is there; `true` when inserted.
async fn insert_outbox(
    store: &SqlStore,
    connection: &mut AnyConnection,
    event: &OutgoingPactEvent,
) -> StoreResult<bool> {
    let id = event.event["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| StoreError::Invalid(vec![Violation::new("/id", "an outgoing event needs its id")]))?;
    let event_type = event.event["type"].as_str().unwrap_or_default();
    let now = micros(store.clock_now());
    let inserted = sqlx::query(
        "INSERT INTO pact_outbox (id, dedupe_key, partner_id, event_type, body, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(id.to_owned())
    .bind(event.dedupe_key.clone())
    .bind(event.partner_id.to_string())
    .bind(event_type.to_owned())
    .bind(event.event.to_string())
    .bind(now)
    .execute(&mut *connection)
    .await
    .map_err(|error| write_error(error, &[("pact_outbox", "/id", "an outgoing event with this id exists")]))?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn due(store: &SqlStore, limit: u32) -> StoreResult<Vec<(PactOutboxEntry, PactPartner)>> {
    let rows = sqlx::query(
        "SELECT o.* FROM pact_outbox o WHERE o.delivered_at IS NULL AND o.gave_up_at IS NULL AND o.next_attempt_at <= $1 \
         ORDER BY o.next_attempt_at, o.id LIMIT $2",
    )
    .bind(micros(store.clock_now()))
    .bind(i64::from(limit))
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let entry = outbox_from_row(row)?;
        if let Some(partner) = partner_by_id(store, &entry.partner_id.to_string()).await? {
            due.push((entry, partner));
        }
    }
    Ok(due)
}

pub async fn record_attempt(store: &SqlStore, id: &str, outcome: Result<(), String>) -> StoreResult<PactOutboxEntry> {
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let row = sqlx::query("SELECT * FROM pact_outbox WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::PactPartner,
            id: id.to_owned(),
        })?;
    let entry = outbox_from_row(&row)?;
    let attempts = entry.attempts + 1;
    match outcome {
        Ok(()) => {
            sqlx::query("UPDATE pact_outbox SET attempts = $2, delivered_at = $3, last_error = NULL WHERE id = $1")
                .bind(id.to_owned())
                .bind(attempts)
                .bind(micros(now))
                .execute(&mut *transaction)
                .await
                .map_err(unavailable)?;
        }
        Err(error) => match pact_next_attempt(entry.created_at, attempts, now) {
            Some(next) => {
                sqlx::query(
                    "UPDATE pact_outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1",
                )
                .bind(id.to_owned())
                .bind(attempts)
                .bind(micros(next))
                .bind(error)
                .execute(&mut *transaction)
                .await
                .map_err(unavailable)?;
            }
            None => {
                sqlx::query("UPDATE pact_outbox SET attempts = $2, gave_up_at = $3, last_error = $4 WHERE id = $1")
                    .bind(id.to_owned())
                    .bind(attempts)
                    .bind(micros(now))
                    .bind(error)
                    .execute(&mut *transaction)
                    .await
                    .map_err(unavailable)?;
            }
        },
    }
    let row = sqlx::query("SELECT * FROM pact_outbox WHERE id = $1")
        .bind(id.to_owned())
        .fetch_one(&mut *transaction)
        .await
        .map_err(unavailable)?;
    transaction.commit().await.map_err(unavailable)?;
    outbox_from_row(&row)
}

pub async fn list_outbox(store: &SqlStore, actor: &Actor, page: &PageRequest) -> StoreResult<Page<PactOutboxEntry>> {
    let everything = actor.has_role(Role::NodeAdmin) || actor.has_role(Role::Auditor);
    let mut sql = Sql::new(
        "SELECT o.* FROM pact_outbox o JOIN pact_partners p ON p.id = o.partner_id WHERE ($1 = 1 OR p.organization_id = $2)",
        vec![
            Param::Int(i64::from(everything)),
            Param::Text(actor.organization_id.map(|id| id.to_string()).unwrap_or_default()),
        ],
    );
    if let Some(after) = &page.after {
        sql.push_with(" AND o.id < ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(
        " ORDER BY o.id DESC LIMIT ?",
        vec![Param::Int(i64::from(page.limit) + 1)],
    );
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let entries = rows.iter().map(outbox_from_row).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(entries, page.limit, |entry| entry.id.clone()))
}

fn outbox_from_row(row: &AnyRow) -> StoreResult<PactOutboxEntry> {
    Ok(PactOutboxEntry {
        id: text(row, "id")?,
        partner_id: parsed(&text(row, "partner_id")?, "partner id", str::parse)?,
        event_type: text(row, "event_type")?,
        event: parsed(&text(row, "body")?, "outbox event", |text| serde_json::from_str(text))?,
        attempts: int(row, "attempts")?,
        created_at: time(row, "created_at")?,
        next_attempt_at: from_micros(int(row, "next_attempt_at")?),
        last_error: opt_text(row, "last_error")?,
        delivered_at: opt_time(row, "delivered_at")?,
        gave_up_at: opt_time(row, "gave_up_at")?,
    })
}
