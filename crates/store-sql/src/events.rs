//! EPCIS events and capture jobs.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use junkan_model::access::{ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::event::{
    CaptureErrorBehaviour, CaptureJob, CapturedEvent, EventIdentifier, EventOrder, EventQuery, IdentifierRole,
    LineageEvent, OrderField, StoredEvent,
};
use junkan_model::facility::Visibility;
use junkan_model::ids::{CaptureId, OrganizationId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::{Backend, NewCapture, StoreError, StoreResult};

use crate::access::{audit_reads, basis_of, readable, record, RecordRead};
use crate::bulk::Bulk;
use crate::rows::{enum_value, int, opt_text, opt_time, parsed, text, time, Param};
use crate::{micros, unavailable, SqlStore};

fn own_organization(actor: &Actor) -> StoreResult<OrganizationId> {
    match actor.organization_id {
        Some(organization) if actor.writes_for(organization) => Ok(organization),
        _ => Err(StoreError::Forbidden {
            reason: "only members of an organization capture events".to_owned(),
        }),
    }
}

/// The eventIDs and hashes among `events` that are already stored.
async fn stored_keys(
    connection: &mut AnyConnection,
    backend: Backend,
    events: &[(String, CapturedEvent)],
) -> StoreResult<(HashSet<String>, HashSet<String>)> {
    let mut ids = HashSet::new();
    let mut hashes = HashSet::new();
    for chunk in events.chunks(500) {
        let mut sql = Bulk::new(backend, "SELECT id, event_hash FROM epcis_events WHERE id IN (");
        for (index, (_, event)) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "" } else { ", " })
                .param(event.event_id.as_str());
        }
        sql.push(") OR event_hash IN (");
        for (index, (_, event)) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "" } else { ", " })
                .param(event.event_hash.as_str());
        }
        sql.push(")");
        for row in sql.fetch_all(&mut *connection).await.map_err(unavailable)? {
            ids.insert(text(&row, "id")?);
            hashes.insert(text(&row, "event_hash")?);
        }
    }
    Ok((ids, hashes))
}

pub async fn capture(store: &SqlStore, actor: &Actor, capture: NewCapture) -> StoreResult<CaptureJob> {
    let owner = own_organization(actor)?;
    let now = store.clock_now();
    let mut job = CaptureJob {
        capture_id: CaptureId::generate(),
        created_at: now,
        finished_at: Some(now),
        running: false,
        success: capture.errors.is_empty(),
        capture_error_behaviour: capture.behaviour,
        errors: capture.errors,
        captured_count: 0,
        duplicate_count: 0,
        owner_organization_id: Some(owner),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    // The job row first: events reference it.
    insert_job(&mut transaction, &job, owner).await?;
    // One look-up for the whole document, then batched inserts: the per-event round trips
    // dominated capture time.
    let (stored_ids, stored_hashes) = stored_keys(&mut transaction, store.backend, &capture.events).await?;
    let mut seen_ids: HashSet<&str> = HashSet::new();
    let mut seen_hashes: HashSet<&str> = HashSet::new();
    let mut to_insert: Vec<&CapturedEvent> = Vec::new();
    for (pointer, event) in &capture.events {
        if seen_ids.contains(event.event_id.as_str())
            || seen_hashes.contains(event.event_hash.as_str())
            || stored_hashes.contains(&event.event_hash)
        {
            job.duplicate_count += 1;
            continue;
        }
        if stored_ids.contains(&event.event_id) {
            job.errors.push(Violation::new(
                format!("{pointer}/eventID"),
                format!(
                    "eventID {} is already stored for an event with different content",
                    event.event_id
                ),
            ));
            continue;
        }
        seen_ids.insert(&event.event_id);
        seen_hashes.insert(&event.event_hash);
        to_insert.push(event);
    }
    insert_events(
        &mut transaction,
        store.backend,
        &to_insert,
        owner,
        job.capture_id,
        capture.visibility,
        micros(now),
    )
    .await?;
    job.captured_count = to_insert.len() as u64;
    job.success = job.errors.is_empty();
    let mut transaction = if !job.success && job.capture_error_behaviour == CaptureErrorBehaviour::Rollback {
        // Nothing of the document is stored; only the failed job is kept, so the client can read why.
        transaction.rollback().await.map_err(unavailable)?;
        job.captured_count = 0;
        job.duplicate_count = 0;
        let mut transaction = store.writer.begin().await.map_err(unavailable)?;
        insert_job(&mut transaction, &job, owner).await?;
        transaction
    } else {
        sqlx::query("UPDATE epcis_captures SET success = $2, errors = $3, captured_count = $4, duplicate_count = $5 WHERE id = $1")
            .bind(job.capture_id.to_string())
            .bind(i64::from(job.success))
            .bind(errors_json(&job.errors))
            .bind(job.captured_count as i64)
            .bind(job.duplicate_count as i64)
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
        transaction
    };
    let capture_id = job.capture_id.to_string();
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Capture,
        &capture_id,
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(job)
}

fn errors_json(errors: &[Violation]) -> String {
    let values: Vec<serde_json::Value> = errors
        .iter()
        .map(|error| serde_json::json!({"path": error.path, "message": error.message}))
        .collect();
    serde_json::Value::Array(values).to_string()
}

async fn insert_job(connection: &mut AnyConnection, job: &CaptureJob, owner: OrganizationId) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO epcis_captures (id, owner_organization_id, created_at, finished_at, success, error_behaviour, errors, captured_count, duplicate_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(job.capture_id.to_string())
    .bind(owner.to_string())
    .bind(micros(job.created_at))
    .bind(job.finished_at.map(micros))
    .bind(i64::from(job.success))
    .bind(match job.capture_error_behaviour {
        CaptureErrorBehaviour::Rollback => "rollback",
        CaptureErrorBehaviour::Proceed => "proceed",
    })
    .bind(errors_json(&job.errors))
    .bind(job.captured_count as i64)
    .bind(job.duplicate_count as i64)
    .execute(connection)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// Events per multi-row insert: large enough to amortise a statement, small enough that the
/// statement text stays short and every full chunk reuses one cached prepared statement.
const EVENTS_PER_INSERT: usize = 200;
/// Identifier rows per multi-row insert.
const IDENTIFIERS_PER_INSERT: usize = 400;

async fn insert_events(
    connection: &mut AnyConnection,
    backend: Backend,
    events: &[&CapturedEvent],
    owner: OrganizationId,
    capture: CaptureId,
    visibility: Visibility,
    record_time: i64,
) -> StoreResult<()> {
    let owner = owner.to_string();
    let capture = capture.to_string();
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let bodies: Vec<String> = chunk.iter().map(|event| event.body.to_string()).collect();
        let contexts: Vec<String> = chunk.iter().map(|event| event.context.to_string()).collect();
        let mut sql = Bulk::new(
            backend,
            "INSERT INTO epcis_events (id, event_hash, owner_organization_id, capture_id, visibility, event_type, event_time, record_time, \
             action, biz_step, disposition, read_point, biz_location, body, context) VALUES ",
        );
        for (index, event) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" })
                .param(event.event_id.as_str())
                .push(", ")
                .param(event.event_hash.as_str())
                .push(", ")
                .param(owner.as_str())
                .push(", ")
                .param(capture.as_str())
                .push(", ")
                .param(visibility.as_str())
                .push(", ")
                .param(event.event_type.as_str())
                .push(", ")
                .param(micros(event.event_time))
                .push(", ")
                .param(record_time)
                .push(", ")
                .param(event.action.as_deref())
                .push(", ")
                .param(event.biz_step.as_deref())
                .push(", ")
                .param(event.disposition.as_deref())
                .push(", ")
                .param(event.read_point.as_deref())
                .push(", ")
                .param(event.biz_location.as_deref())
                .push(", ")
                .param(bodies[index].as_str())
                .push(", ")
                .param(contexts[index].as_str())
                .push(")");
        }
        sql.push(" RETURNING seq, id");
        let inserted = sql.fetch_all(&mut *connection).await.map_err(unavailable)?;
        let mut seq_of: HashMap<String, i64> = HashMap::with_capacity(inserted.len());
        for row in &inserted {
            seq_of.insert(text(row, "id")?, int(row, "seq")?);
        }
        let identifiers: Vec<(i64, &EventIdentifier)> = chunk
            .iter()
            .flat_map(|event| {
                let seq = seq_of.get(&event.event_id).copied();
                event
                    .identifiers
                    .iter()
                    .filter_map(move |identifier| seq.map(|seq| (seq, identifier)))
            })
            .collect();
        for identifier_chunk in identifiers.chunks(IDENTIFIERS_PER_INSERT) {
            let mut sql = Bulk::new(
                backend,
                "INSERT INTO epcis_event_identifiers (value, role, event_seq, quantity, uom) VALUES ",
            );
            for (index, (seq, identifier)) in identifier_chunk.iter().enumerate() {
                sql.push(if index == 0 { "(" } else { ", (" })
                    .param(identifier.value.as_str())
                    .push(", ")
                    .param(identifier.role.as_str())
                    .push(", ")
                    .param(*seq)
                    .push(", ")
                    .param(identifier.quantity.as_deref())
                    .push(", ")
                    .param(identifier.uom.as_deref())
                    .push(")");
            }
            sql.push(" ON CONFLICT DO NOTHING");
            sql.execute(&mut *connection).await.map_err(unavailable)?;
        }
    }
    Ok(())
}

pub async fn get_capture(store: &SqlStore, actor: &Actor, id: CaptureId) -> StoreResult<CaptureJob> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::Capture,
        id: id.to_string(),
    };
    let row = sqlx::query("SELECT * FROM epcis_captures WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let job = job_of(&row)?;
    if job.owner_organization_id != actor.organization_id {
        return Err(not_found());
    }
    Ok(job)
}

pub async fn list_captures(store: &SqlStore, actor: &Actor, page: &PageRequest) -> StoreResult<Page<CaptureJob>> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "capture jobs belong to organizations".to_owned(),
    })?;
    let rows =
        sqlx::query("SELECT * FROM epcis_captures WHERE owner_organization_id = $1 AND id > $2 ORDER BY id LIMIT $3")
            .bind(owner.to_string())
            .bind(page.after.clone().unwrap_or_default())
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&store.reader)
            .await
            .map_err(unavailable)?;
    let jobs = rows.iter().map(job_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(jobs, page.limit, |job| job.capture_id.to_string()))
}

fn job_of(row: &AnyRow) -> StoreResult<CaptureJob> {
    let errors: Vec<serde_json::Value> = parsed(&text(row, "errors")?, "capture errors", |text| {
        serde_json::from_str(text)
    })?;
    Ok(CaptureJob {
        capture_id: parsed(&text(row, "id")?, "capture id", str::parse)?,
        created_at: time(row, "created_at")?,
        finished_at: opt_time(row, "finished_at")?,
        running: false,
        success: int(row, "success")? == 1,
        capture_error_behaviour: enum_value(&text(row, "error_behaviour")?, "capture error behaviour")?,
        errors: errors
            .iter()
            .map(|error| {
                Violation::new(
                    error["path"].as_str().unwrap_or(""),
                    error["message"].as_str().unwrap_or(""),
                )
            })
            .collect(),
        captured_count: u64::try_from(int(row, "captured_count")?).unwrap_or(0),
        duplicate_count: u64::try_from(int(row, "duplicate_count")?).unwrap_or(0),
        owner_organization_id: Some(parsed(
            &text(row, "owner_organization_id")?,
            "organization id",
            str::parse,
        )?),
    })
}

fn event_query(store: &SqlStore, actor: &Actor) -> crate::rows::Sql {
    readable(
        store,
        actor,
        "epcis_events",
        RecordKind::Event,
        "owner_organization_id",
        "r.visibility = 'public'",
    )
}

pub async fn get(store: &SqlStore, actor: &Actor, event_id: &str) -> StoreResult<StoredEvent> {
    let mut sql = event_query(store, actor);
    sql.push_with(" AND r.id = ?", vec![Param::Text(event_id.to_owned())]);
    let row = sql
        .query()
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Event,
            id: event_id.to_owned(),
        })?;
    let mut events = with_identifiers(store, actor, vec![row]).await?;
    let (event, basis, _) = events.remove(0);
    audit_reads(store, actor, &[read_of(&event, basis)]).await?;
    Ok(event)
}

/// The readable events that pass the indexed filters of `query` (its residual conditions are the
/// caller's to check).
fn filtered(store: &SqlStore, actor: &Actor, query: &EventQuery) -> crate::rows::Sql {
    let mut sql = event_query(store, actor);
    let any_of = |sql: &mut crate::rows::Sql, column: &str, values: &[String]| {
        if !values.is_empty() {
            let placeholders: Vec<String> = values
                .iter()
                .map(|value| sql.param(Param::Text(value.clone())))
                .collect();
            sql.push_with(&format!(" AND r.{column} IN ({})", placeholders.join(", ")), vec![]);
        }
    };
    any_of(&mut sql, "event_type", &query.event_types);
    any_of(&mut sql, "action", &query.actions);
    any_of(&mut sql, "biz_step", &query.biz_steps);
    any_of(&mut sql, "disposition", &query.dispositions);
    any_of(&mut sql, "read_point", &query.read_points);
    any_of(&mut sql, "biz_location", &query.biz_locations);
    any_of(&mut sql, "id", &query.event_ids);
    for (column, within) in [
        ("read_point", &query.read_points_within),
        ("biz_location", &query.biz_locations_within),
    ] {
        if !within.is_empty() {
            let mut alternatives = Vec::new();
            for value in within {
                let exact = sql.param(Param::Text(value.clone()));
                let below = sql.param(Param::Text(format!("{}/%", crate::rows::like_literal(value))));
                alternatives.push(format!("r.{column} = {exact} OR r.{column} LIKE {below} ESCAPE '\\'"));
            }
            sql.push_with(&format!(" AND ({})", alternatives.join(" OR ")), vec![]);
        }
    }
    for (column, bound, operator) in [
        ("event_time", query.ge_event_time, ">="),
        ("event_time", query.lt_event_time, "<"),
        ("record_time", query.ge_record_time, ">="),
        ("record_time", query.lt_record_time, "<"),
    ] {
        if let Some(bound) = bound {
            sql.push_with(
                &format!(" AND r.{column} {operator} ?"),
                vec![Param::Int(micros(bound))],
            );
        }
    }
    for filter in &query.identifiers {
        let role_list: Vec<String> = filter
            .roles
            .iter()
            .map(|role| sql.param(Param::Text(role.as_str().to_owned())))
            .collect();
        let mut alternatives: Vec<String> = Vec::new();
        if !filter.values.is_empty() {
            let value_list: Vec<String> = filter
                .values
                .iter()
                .map(|value| sql.param(Param::Text(value.clone())))
                .collect();
            alternatives.push(format!("i.value IN ({})", value_list.join(", ")));
        }
        for prefix in &filter.prefixes {
            let placeholder = sql.param(Param::Text(format!("{}%", crate::rows::like_literal(prefix))));
            alternatives.push(format!("i.value LIKE {placeholder} ESCAPE '\\'"));
        }
        if alternatives.is_empty() {
            alternatives.push("1 = 0".to_owned());
        }
        sql.push_with(
            &format!(
                " AND r.seq IN (SELECT i.event_seq FROM epcis_event_identifiers i WHERE i.role IN ({}) AND ({}))",
                role_list.join(", "),
                alternatives.join(" OR ")
            ),
            vec![],
        );
    }
    sql
}

/// Where a page starts: after this event in the query's order.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    key: i64,
    seq: i64,
}

impl Cursor {
    fn parse(text: &str, ordered: bool) -> StoreResult<Cursor> {
        let invalid = || {
            StoreError::Invalid(vec![Violation::new(
                "nextPageToken",
                "is not a token this query issued",
            )])
        };
        match (ordered, text.split_once(':')) {
            (true, Some((key, seq))) => Ok(Cursor {
                key: key.parse().map_err(|_| invalid())?,
                seq: seq.parse().map_err(|_| invalid())?,
            }),
            (false, None) => Ok(Cursor {
                key: 0,
                seq: text.parse().map_err(|_| invalid())?,
            }),
            _ => Err(invalid()),
        }
    }

    fn text(&self, ordered: bool) -> String {
        if ordered {
            format!("{}:{}", self.key, self.seq)
        } else {
            self.seq.to_string()
        }
    }
}

pub async fn query(
    store: &SqlStore,
    actor: &Actor,
    query: &EventQuery,
    page: &PageRequest,
) -> StoreResult<Page<StoredEvent>> {
    let ordered = query.order.is_some();
    let (key_column, descending) = match query.order {
        Some(EventOrder {
            field: OrderField::EventTime,
            descending,
        }) => ("event_time", descending),
        Some(EventOrder {
            field: OrderField::RecordTime,
            descending,
        }) => ("record_time", descending),
        None => ("seq", false),
    };
    let (direction, beyond) = if descending { ("DESC", "<") } else { ("ASC", ">") };
    let wanted = page.limit as usize + 1;
    // Residual conditions are checked on the bodies, so a batch may yield fewer events than it
    // read; reading goes on until the page is full or the rows run out.
    let batch = if query.residual.is_some() {
        (wanted * 4).max(64)
    } else {
        wanted
    };
    let mut cursor = page
        .after
        .as_deref()
        .map(|text| Cursor::parse(text, ordered))
        .transpose()?;
    let mut found: Vec<(StoredEvent, ReadBasis, Cursor)> = Vec::new();
    loop {
        let mut sql = filtered(store, actor, query);
        if let Some(after) = cursor {
            if ordered {
                sql.push_with(
                    &format!(" AND (r.{key_column} {beyond} ? OR (r.{key_column} = ? AND r.seq {beyond} ?))"),
                    vec![Param::Int(after.key), Param::Int(after.key), Param::Int(after.seq)],
                );
            } else {
                sql.push_with(" AND r.seq > ?", vec![Param::Int(after.seq)]);
            }
        }
        let order = if ordered {
            format!(" ORDER BY r.{key_column} {direction}, r.seq {direction} LIMIT ?")
        } else {
            " ORDER BY r.seq LIMIT ?".to_owned()
        };
        sql.push_with(&order, vec![Param::Int(batch as i64)]);
        let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
        let exhausted = rows.len() < batch;
        for (event, basis, seq) in with_identifiers(store, actor, rows).await? {
            let key = match key_column {
                "event_time" => micros(event.event.event_time),
                "record_time" => micros(event.record_time),
                _ => seq,
            };
            let here = Cursor { key, seq };
            cursor = Some(here);
            if query
                .residual
                .as_ref()
                .is_none_or(|residual| residual.matches(&event.event))
            {
                found.push((event, basis, here));
                if found.len() == wanted {
                    break;
                }
            }
        }
        if exhausted || found.len() == wanted {
            break;
        }
    }
    let page = Page::from_overfetch(found, page.limit, |(_, _, cursor)| cursor.text(ordered));
    let reads: Vec<RecordRead> = page
        .items
        .iter()
        .map(|(event, basis, _)| read_of(event, *basis))
        .collect();
    audit_reads(store, actor, &reads).await?;
    Ok(page.map(|(event, _, _)| event))
}

fn read_of(event: &StoredEvent, basis: ReadBasis) -> RecordRead {
    RecordRead {
        kind: RecordKind::Event,
        id: event.event.event_id.clone(),
        owner: event.owner_organization_id,
        basis,
    }
}

/// Builds events from their rows, with their identifiers (one query for all).
async fn with_identifiers(
    store: &SqlStore,
    actor: &Actor,
    rows: Vec<AnyRow>,
) -> StoreResult<Vec<(StoredEvent, ReadBasis, i64)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let seqs: Vec<i64> = rows.iter().map(|row| int(row, "seq")).collect::<StoreResult<_>>()?;
    let placeholders: Vec<String> = (1..=seqs.len()).map(|index| format!("${index}")).collect();
    let identifier_rows = crate::rows::Sql::new(
        &format!(
            "SELECT event_seq, role, value, quantity, uom FROM epcis_event_identifiers WHERE event_seq IN ({})",
            placeholders.join(", ")
        ),
        seqs.iter().copied().map(Param::Int).collect(),
    );
    let identifier_rows = identifier_rows
        .query()
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    let mut identifiers: Vec<(i64, EventIdentifier)> = Vec::with_capacity(identifier_rows.len());
    for row in &identifier_rows {
        let role: IdentifierRole = enum_value(&text(row, "role")?, "identifier role")?;
        identifiers.push((
            int(row, "event_seq")?,
            EventIdentifier {
                role,
                value: text(row, "value")?,
                quantity: opt_text(row, "quantity")?,
                uom: opt_text(row, "uom")?,
            },
        ));
    }
    rows.iter()
        .map(|row| {
            let seq = int(row, "seq")?;
            let owner: OrganizationId = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
            let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
            let basis = basis_of(actor, row, owner, visibility == Visibility::Public)?;
            let event = StoredEvent {
                event: CapturedEvent {
                    event_id: text(row, "id")?,
                    event_hash: text(row, "event_hash")?,
                    event_type: text(row, "event_type")?,
                    event_time: time(row, "event_time")?,
                    action: opt_text(row, "action")?,
                    biz_step: opt_text(row, "biz_step")?,
                    disposition: opt_text(row, "disposition")?,
                    read_point: opt_text(row, "read_point")?,
                    biz_location: opt_text(row, "biz_location")?,
                    identifiers: identifiers
                        .iter()
                        .filter(|(event, _)| *event == seq)
                        .map(|(_, identifier)| identifier.clone())
                        .collect(),
                    body: parsed(&text(row, "body")?, "event body", |text| serde_json::from_str(text))?,
                    context: parsed(&text(row, "context")?, "event context", |text| {
                        serde_json::from_str(text)
                    })?,
                },
                owner_organization_id: owner,
                capture_id: parsed(&text(row, "capture_id")?, "capture id", str::parse)?,
                record_time: time(row, "record_time")?,
                sequence: seq,
            };
            Ok((event, basis, seq))
        })
        .collect()
}

/// Lineage look-up in one statement per call (one round trip per traced level, not three): the
/// events touching `identifiers`, each row one of their identifiers, with the event's readability
/// and strongest grant from the one access rule ([`readable`], joined on the same events).
pub async fn lineage(
    store: &SqlStore,
    actor: &Actor,
    identifiers: &[String],
    known: &[String],
) -> StoreResult<Vec<LineageEvent>> {
    if identifiers.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = event_query(store, actor);
    // The list is padded to a power of two (repeating its last identifier, which changes nothing
    // in an IN list), so that a trace reuses a few prepared statements instead of preparing one
    // per list length: planning the access rule costs PostgreSQL ~2 ms, executing it ~0.3 ms,
    // and it switches to a cached generic plan only for a statement it has run five times.
    let padded = identifiers.len().next_power_of_two();
    let last = identifiers.last().expect("identifiers is not empty");
    let value_params: Vec<String> = identifiers
        .iter()
        .chain(std::iter::repeat_n(last, padded - identifiers.len()))
        .map(|identifier| sql.param(Param::Text(identifier.clone())))
        .collect();
    let touching = format!(
        "SELECT event_seq FROM epcis_event_identifiers WHERE value IN ({})",
        value_params.join(", ")
    );
    // The access rule's query (parameters $1..$3 first), restricted to the touched events, becomes
    // the right side of a LEFT JOIN: an event without a match there is withheld.
    sql.text = format!(
        "SELECT e.seq, e.id, e.event_type, e.event_time, e.biz_step, e.action, e.owner_organization_id, o.name_ja, \
         CAST(CASE WHEN rd.seq IS NULL THEN 0 ELSE 1 END AS BIGINT) AS is_readable, rd.best_grant, rd.visibility, \
         i.role, i.value, i.quantity, i.uom \
         FROM epcis_events e JOIN organizations o ON o.id = e.owner_organization_id \
         JOIN epcis_event_identifiers i ON i.event_seq = e.seq \
         LEFT JOIN ({readable} AND r.seq IN ({touching})) rd ON rd.seq = e.seq \
         WHERE e.seq IN ({touching}) ORDER BY e.seq, i.role, i.value",
        readable = sql.text,
    );
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let mut events: Vec<LineageEvent> = Vec::new();
    let mut reads: Vec<RecordRead> = Vec::new();
    // Rows come event by event; the first row of an event starts it, every row adds one identifier.
    let mut current_seq = None;
    let mut skipping = false;
    for row in &rows {
        let seq = int(row, "seq")?;
        if current_seq != Some(seq) {
            current_seq = Some(seq);
            let event_id = text(row, "id")?;
            skipping = known.contains(&event_id);
            if skipping {
                continue;
            }
            let owner: OrganizationId = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
            let readable = int(row, "is_readable")? == 1;
            if readable {
                let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
                reads.push(RecordRead {
                    kind: RecordKind::Event,
                    id: event_id.clone(),
                    owner,
                    basis: basis_of(actor, row, owner, visibility == Visibility::Public)?,
                });
            }
            events.push(LineageEvent {
                event_id,
                event_type: text(row, "event_type")?,
                event_time: time(row, "event_time")?,
                biz_step: opt_text(row, "biz_step")?,
                action: opt_text(row, "action")?,
                owner,
                owner_name: text(row, "name_ja")?,
                readable,
                identifiers: Vec::new(),
            });
        } else if skipping {
            continue;
        }
        let event = events.last_mut().expect("the first row of an event pushed it");
        event.identifiers.push(EventIdentifier {
            role: enum_value(&text(row, "role")?, "identifier role")?,
            value: text(row, "value")?,
            quantity: opt_text(row, "quantity")?,
            uom: opt_text(row, "uom")?,
        });
    }
    audit_reads(store, actor, &reads).await?;
    Ok(events)
}
