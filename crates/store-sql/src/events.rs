//! EPCIS events and capture jobs.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use junkan_model::access::RecordKind;
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
use junkan_translog::Hash;

use crate::access::{audit_reads, readable, AuditEntry, RecordRead};
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

/// The prefix and suffix of a CBV 2.0 event hash, around 64 lowercase hex digits.
const HASH_PREFIX: &str = "ni:///sha-256;";
const HASH_SUFFIX: &str = "?ver=CBV2.0";

/// The SHA-256 digest of a hash in the CBV 2.0 form `ni:///sha-256;<64 lowercase hex>?ver=CBV2.0`.
fn hash_digest(hash: &str) -> Option<[u8; 32]> {
    let hex = hash.strip_prefix(HASH_PREFIX)?.strip_suffix(HASH_SUFFIX)?.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let nibble = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(digest)
}

/// The stored key of an event hash (`hash_key`, migration 0004): the 32-byte digest of a CBV 2.0
/// hash, or the UTF-8 bytes of any other text (kept as sent in `hash_text`). A digest and a text
/// cannot collide in practice: no UTF-8 text of interest is 32 random bytes.
pub(crate) fn hash_key(hash: &str) -> Vec<u8> {
    match hash_digest(hash) {
        Some(digest) => digest.to_vec(),
        None => hash.as_bytes().to_vec(),
    }
}

/// Restricts an event query (alias `r`, over the `epcis_events` view) to the events whose eventID
/// is one of `ids`, through the two indexes that hold eventIDs: the partial index of eventIDs
/// that are not their event's hash, and the hash index for the rest (on SQLite an index of the
/// keys' first 8 bytes, migration 0010, hence the `substr` term; PostgreSQL indexes whole keys).
pub(crate) fn event_id_condition(sql: &mut crate::rows::Sql, ids: &[String]) -> String {
    let given: Vec<String> = ids.iter().map(|id| sql.param(Param::Text(id.clone()))).collect();
    let keys: Vec<String> = ids.iter().map(|id| sql.param(Param::Bytes(hash_key(id)))).collect();
    let prefixes: Vec<String> = keys.iter().map(|key| format!("substr({key}, 1, 8)")).collect();
    format!(
        "(r.given_event_id IN ({}) OR (r.given_event_id IS NULL AND r.hash_key IN ({}) \
         AND substr(r.hash_key, 1, 8) IN ({})))",
        given.join(", "),
        keys.join(", "),
        prefixes.join(", ")
    )
}

/// What is stored already of `events`: the eventIDs taken and the hash keys present.
async fn stored_keys(
    connection: &mut AnyConnection,
    backend: Backend,
    events: &[(String, CapturedEvent)],
    keys: &[Vec<u8>],
) -> StoreResult<(HashSet<String>, HashSet<Vec<u8>>)> {
    let mut ids = HashSet::new();
    let mut hashes = HashSet::new();
    for (chunk, key_chunk) in events.chunks(500).zip(keys.chunks(500)) {
        // An eventID is taken by an event that was given it, or by an event whose hash it is.
        let id_keys: Vec<Vec<u8>> = chunk
            .iter()
            .filter(|(_, event)| event.event_id != event.event_hash)
            .map(|(_, event)| hash_key(&event.event_id))
            .collect();
        let mut sql = Bulk::new(backend, "SELECT id, hash_key FROM epcis_events WHERE hash_key IN (");
        for (index, key) in key_chunk.iter().chain(&id_keys).enumerate() {
            sql.push(if index == 0 { "" } else { ", " }).param(key.as_slice());
        }
        sql.push(") OR given_event_id IN (");
        for (index, (_, event)) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "" } else { ", " })
                .param(event.event_id.as_str());
        }
        sql.push(")").planned_each_time();
        for row in sql.fetch_all(&mut *connection).await.map_err(unavailable)? {
            ids.insert(text(&row, "id")?);
            hashes.insert(row.try_get::<Vec<u8>, _>("hash_key").map_err(unavailable)?);
        }
    }
    Ok((ids, hashes))
}

/// `count` new numbers from PostgreSQL sequence `sequence`, which concurrent writers share.
async fn reserve(connection: &mut AnyConnection, sequence: &str, count: usize) -> StoreResult<Vec<i64>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut numbers: Vec<i64> =
        sqlx::query_scalar::<_, i64>(&format!("SELECT nextval('{sequence}') FROM generate_series(1, $1)"))
            .bind(count as i64)
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?;
    numbers.sort_unstable();
    Ok(numbers)
}

/// What became of an event offered to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offered {
    /// It is new and stored (or to be stored, in the same transaction).
    Accepted,
    /// An event with the same hash is stored: stored once, counted as a duplicate.
    Duplicate,
    /// Its eventID is taken by a stored event with other content: an error of the job.
    IdTaken,
}

/// Offers each event of `events` (with its hash key) to `offer` in order, except duplicates of
/// earlier events of the same document, and records the outcome in `job`: duplicates counted,
/// a taken eventID an error. Returns the positions of the accepted events. `offer` tells what
/// the store holds of an event and, on the embedded engine, stores it at once.
pub(crate) fn offer_events(
    events: &[(String, CapturedEvent)],
    keys: &[Vec<u8>],
    job: &mut CaptureJob,
    mut offer: impl FnMut(usize) -> StoreResult<Offered>,
) -> StoreResult<Vec<usize>> {
    let hasher = foldhash::fast::RandomState::default;
    let mut seen_ids: HashSet<&str, _> = HashSet::with_capacity_and_hasher(events.len(), hasher());
    let mut seen_hashes: HashSet<&[u8], _> = HashSet::with_capacity_and_hasher(events.len(), hasher());
    let mut accepted = Vec::with_capacity(events.len());
    for (index, ((pointer, event), key)) in events.iter().zip(keys).enumerate() {
        if seen_ids.contains(event.event_id.as_str()) || seen_hashes.contains(key.as_slice()) {
            job.duplicate_count += 1;
            continue;
        }
        match offer(index)? {
            Offered::Duplicate => job.duplicate_count += 1,
            Offered::IdTaken => job.errors.push(Violation::new(
                format!("{pointer}/eventID"),
                format!(
                    "eventID {} is already stored for an event with different content",
                    event.event_id
                ),
            )),
            Offered::Accepted => {
                seen_ids.insert(&event.event_id);
                seen_hashes.insert(key);
                accepted.push(index);
            }
        }
    }
    Ok(accepted)
}

/// A capture job as it starts: finished at `now` unless storing fails, successful unless the
/// preparation found errors.
fn new_job(capture: &NewCapture, owner: OrganizationId, now: time::OffsetDateTime) -> CaptureJob {
    CaptureJob {
        capture_id: CaptureId::generate(),
        created_at: now,
        finished_at: Some(now),
        running: false,
        success: capture.errors.is_empty(),
        capture_error_behaviour: capture.behaviour,
        errors: capture.errors.clone(),
        captured_count: 0,
        duplicate_count: 0,
        owner_organization_id: Some(owner),
        events_root: None,
    }
}

pub async fn capture(store: &SqlStore, actor: &Actor, capture: NewCapture) -> StoreResult<CaptureJob> {
    let owner = own_organization(actor)?;
    let now = store.clock_now();
    let job = new_job(&capture, owner, now);
    let keys: Vec<Vec<u8>> = capture
        .events
        .iter()
        .map(|(_, event)| hash_key(&event.event_hash))
        .collect();
    let audit = AuditEntry::new(
        store,
        actor,
        AuditAction::Create,
        RecordKind::Capture,
        &job.capture_id.to_string(),
        Some(owner),
        None,
    );
    if let Some(writer) = &store.capture_writer {
        // The embedded engine's own write path (see `capture_sqlite`), which excludes the other
        // writes of this process itself.
        let bodies: Vec<String> = capture.events.iter().map(|(_, event)| stored_body(event)).collect();
        // The events' log digests too, here rather than on the writer's thread.
        let digests: Vec<Hash> = if store.log_writes {
            capture
                .events
                .iter()
                .zip(&keys)
                .zip(&bodies)
                .map(|(((_, event), key), body)| crate::log::event_digest(key, given_event_id(event), body))
                .collect()
        } else {
            Vec::new()
        };
        // The root over them too: the writer uses it when it stores every event, as it almost
        // always does, instead of hashing a thousand leaves on the thread every capture waits for.
        let all_events_root = store.log_writes.then(|| crate::log::events_root(&digests));
        return writer
            .capture(crate::capture_sqlite::Write {
                job,
                owner,
                visibility: capture.visibility,
                record_time: micros(now),
                events: capture.events,
                keys,
                bodies,
                digests,
                all_events_root,
                audit,
                log: store.log_writes,
            })
            .await;
    }
    // A capture that committed one of this document's events first (a client's retry, or two
    // clients sending the same event) makes the insert fail on the unique hash; the document is
    // then written again, and finds that event stored.
    let mut attempt = 1;
    loop {
        match capture_over_sqlx(store, job.clone(), owner, &capture, &keys, audit.clone(), micros(now)).await {
            Err(error) if attempt < CAPTURE_ATTEMPTS && lost_a_race(&error) => attempt += 1,
            outcome => return outcome,
        }
    }
}

/// How often a capture over sqlx is written before a concurrent one's unique violation stands.
const CAPTURE_ATTEMPTS: usize = 3;

/// Whether `error` is a unique violation: a concurrent transaction committed the same key first.
fn lost_a_race(error: &StoreError) -> bool {
    matches!(error, StoreError::Unavailable(source) if source
        .downcast_ref::<sqlx::Error>()
        .and_then(sqlx::Error::as_database_error)
        .is_some_and(|error| error.is_unique_violation()))
}

/// The capture on PostgreSQL: one look-up for the whole document, then batched inserts (the
/// per-event round trips dominated capture time).
async fn capture_over_sqlx(
    store: &SqlStore,
    mut job: CaptureJob,
    owner: OrganizationId,
    capture: &NewCapture,
    keys: &[Vec<u8>],
    audit: AuditEntry,
    record_time: i64,
) -> StoreResult<CaptureJob> {
    let audit_at = audit.at;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    // The job row first: events reference it.
    insert_job(&mut transaction, &job, owner).await?;
    let (stored_ids, stored_hashes) = stored_keys(&mut transaction, store.backend, &capture.events, keys).await?;
    let to_insert: Vec<(&CapturedEvent, &[u8])> = offer_events(&capture.events, keys, &mut job, |index| {
        Ok(if stored_hashes.contains(&keys[index]) {
            Offered::Duplicate
        } else if stored_ids.contains(&capture.events[index].1.event_id) {
            Offered::IdTaken
        } else {
            Offered::Accepted
        })
    })?
    .into_iter()
    .map(|index| (&capture.events[index].1, keys[index].as_slice()))
    .collect();
    let digests = insert_events(
        &mut transaction,
        store.backend,
        &to_insert,
        owner,
        job.capture_id,
        capture.visibility,
        record_time,
    )
    .await?;
    job.captured_count = to_insert.len() as u64;
    job.success = job.errors.is_empty();
    let mut transaction = if rolls_back(&job) {
        // Nothing of the document is stored; only the failed job is kept, so the client can read why.
        transaction.rollback().await.map_err(unavailable)?;
        job.captured_count = 0;
        job.duplicate_count = 0;
        let mut transaction = store.writer.begin().await.map_err(unavailable)?;
        insert_job(&mut transaction, &job, owner).await?;
        transaction
    } else {
        let row = JobRow::new(&job, owner);
        sqlx::query(JobRow::UPDATE)
            .bind(row.success)
            .bind(row.errors)
            .bind(row.captured_count)
            .bind(row.duplicate_count)
            .bind(row.id)
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
        transaction
    };
    audit.insert(&mut transaction).await?;
    if store.log_writes {
        // One leaf for the document, committing to every event it stored (none when it rolled back).
        let row = JobRow::new(&job, owner);
        let digests: &[Hash] = if rolls_back(&job) { &[] } else { &digests };
        let events_root = crate::log::events_root(digests);
        // What the leaf commits to, for a signature of the capture; nothing when it rolled back.
        job.events_root = (!rolls_back(&job)).then_some(events_root);
        crate::log::append(
            &mut transaction,
            audit_at,
            crate::log::CAPTURE,
            &row.id,
            AuditAction::Create.as_str(),
            Some(row.owner.clone()),
            crate::log::capture_digest(&row, &events_root),
        )
        .await?;
    }
    transaction.commit().await.map_err(unavailable)?;
    Ok(job)
}

pub(crate) fn errors_json(errors: &[Violation]) -> String {
    let values: Vec<serde_json::Value> = errors
        .iter()
        .map(|error| serde_json::json!({"path": error.path, "message": error.message}))
        .collect();
    serde_json::Value::Array(values).to_string()
}

async fn insert_job(connection: &mut AnyConnection, job: &CaptureJob, owner: OrganizationId) -> StoreResult<()> {
    let row = JobRow::new(job, owner);
    sqlx::query(JobRow::INSERT)
        .bind(row.id)
        .bind(row.owner)
        .bind(row.created_at)
        .bind(row.finished_at)
        .bind(row.success)
        .bind(row.error_behaviour)
        .bind(row.errors)
        .bind(row.captured_count)
        .bind(row.duplicate_count)
        .execute(connection)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// A capture job's row of `epcis_captures`, as both write paths store it.
pub(crate) struct JobRow {
    pub id: String,
    pub owner: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub success: i64,
    pub error_behaviour: &'static str,
    pub errors: String,
    pub captured_count: i64,
    pub duplicate_count: i64,
}

impl JobRow {
    /// The insert, its values in field order.
    pub const INSERT: &'static str =
        "INSERT INTO epcis_captures (id, owner_organization_id, created_at, finished_at, success, \
         error_behaviour, errors, captured_count, duplicate_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    /// The update once the job's events are stored: success, errors, captured_count,
    /// duplicate_count, then the id.
    pub const UPDATE: &'static str =
        "UPDATE epcis_captures SET success = $1, errors = $2, captured_count = $3, duplicate_count = $4 WHERE id = $5";

    pub fn new(job: &CaptureJob, owner: OrganizationId) -> JobRow {
        JobRow {
            id: job.capture_id.to_string(),
            owner: owner.to_string(),
            created_at: micros(job.created_at),
            finished_at: job.finished_at.map(micros),
            success: i64::from(job.success),
            error_behaviour: match job.capture_error_behaviour {
                CaptureErrorBehaviour::Rollback => "rollback",
                CaptureErrorBehaviour::Proceed => "proceed",
            },
            errors: errors_json(&job.errors),
            captured_count: job.captured_count as i64,
            duplicate_count: job.duplicate_count as i64,
        }
    }
}

/// Whether nothing of `job`'s document is to be stored: it failed and asked for a rollback.
pub(crate) fn rolls_back(job: &CaptureJob) -> bool {
    !job.success && job.capture_error_behaviour == CaptureErrorBehaviour::Rollback
}

/// Events per multi-row insert: large enough to amortise a statement, small enough that every
/// full chunk of a document of 1,000 reuses one cached prepared statement.
const EVENTS_PER_INSERT: usize = 250;
/// Rows per multi-row insert of identifiers and links.
const ROWS_PER_INSERT: usize = 500;

/// Inserts `events` with their hash keys: their contexts, the identifiers not yet interned, the
/// events and their links to identifiers (PostgreSQL; SQLite has `capture_sqlite`). Sequence
/// numbers are reserved first, so that no insert needs RETURNING.
async fn insert_events(
    connection: &mut AnyConnection,
    backend: Backend,
    events: &[(&CapturedEvent, &[u8])],
    owner: OrganizationId,
    capture: CaptureId,
    visibility: Visibility,
    record_time: i64,
) -> StoreResult<Vec<Hash>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    // A document's events share its @context: one row per distinct context of the capture.
    let mut contexts: Vec<(&serde_json::Value, i64)> = Vec::new();
    let mut context_ids: Vec<i64> = Vec::with_capacity(events.len());
    for (event, _) in events {
        let id = match contexts.iter().find(|(context, _)| *context == &event.context) {
            Some((_, id)) => *id,
            None => {
                let id: i64 =
                    sqlx::query_scalar::<_, i64>("INSERT INTO epcis_contexts (context) VALUES ($1) RETURNING id")
                        .bind(event.context.to_string())
                        .fetch_one(&mut *connection)
                        .await
                        .map_err(unavailable)?;
                contexts.push((&event.context, id));
                id
            }
        };
        context_ids.push(id);
    }
    let identifier_ids = intern_identifiers(connection, backend, events).await?;
    let seqs = reserve(connection, "epcis_event_seq", events.len()).await?;
    let owner = owner.to_string();
    let capture = capture.to_string();
    let rows: Vec<(usize, &CapturedEvent, &[u8])> = events
        .iter()
        .enumerate()
        .map(|(index, (event, key))| (index, *event, *key))
        .collect();
    // The log digest of each event, in insertion (sequence) order.
    let mut digests: Vec<Hash> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(EVENTS_PER_INSERT) {
        let bodies: Vec<String> = chunk.iter().map(|(_, event, _)| stored_body(event)).collect();
        digests.extend(
            chunk
                .iter()
                .zip(&bodies)
                .map(|((_, event, key), body)| crate::log::event_digest(key, given_event_id(event), body)),
        );
        let mut sql = Bulk::new(
            backend,
            "INSERT INTO epcis_event_records (seq, hash_key, hash_text, event_id, owner_organization_id, capture_id, visibility, \
             event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, body, context_id) VALUES ",
        );
        for ((index, event, key), body) in chunk.iter().zip(&bodies) {
            // A hash kept as text has its UTF-8 bytes as key ([`hash_key`]); a digest never
            // equals the 89-character text it was read from.
            let hash_text = (*key == event.event_hash.as_bytes()).then_some(event.event_hash.as_str());
            let given_id = given_event_id(event);
            sql.push(if *index % EVENTS_PER_INSERT == 0 { "(" } else { ", (" })
                .param(seqs[*index])
                .push(", ")
                .param(*key)
                .push(", ")
                .param(hash_text)
                .push(", ")
                .param(given_id)
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
                .param(body.as_str())
                .push(", ")
                .param(context_ids[*index])
                .push(")");
        }
        sql.execute(&mut *connection).await.map_err(unavailable)?;
    }
    let links: Vec<(i64, &EventIdentifier)> = events
        .iter()
        .zip(&seqs)
        .flat_map(|((event, _), seq)| event.identifiers.iter().map(move |identifier| (*seq, identifier)))
        .collect();
    for chunk in links.chunks(ROWS_PER_INSERT) {
        let mut sql = Bulk::new(
            backend,
            "INSERT INTO epcis_event_links (identifier_id, role, event_seq, quantity, uom) VALUES ",
        );
        for (index, (seq, identifier)) in chunk.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" })
                .param(identifier_ids[identifier.value.as_str()])
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
    Ok(digests)
}

/// The body of `event` as stored: as sent, except that an eventID that is the event's hash is
/// left out (a quarter of a small event's text); [`event_body`] puts it back when it is read.
/// The eventID stored beside an event: the one it was given, unless that is its hash.
pub(crate) fn given_event_id(event: &CapturedEvent) -> Option<&str> {
    (event.event_id != event.event_hash).then_some(event.event_id.as_str())
}

pub(crate) fn stored_body(event: &CapturedEvent) -> String {
    /// An event object serialised without its eventID.
    struct WithoutEventId<'a>(&'a serde_json::Map<String, serde_json::Value>);
    impl serde::Serialize for WithoutEventId<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(None)?;
            for (key, value) in self.0.iter().filter(|(key, _)| *key != "eventID") {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    match event.body.as_object() {
        Some(object)
            if event.event_id == event.event_hash
                && object.get("eventID").and_then(serde_json::Value::as_str) == Some(event.event_id.as_str()) =>
        {
            serde_json::to_string(&WithoutEventId(object)).expect("a JSON object serialises")
        }
        _ => event.body.to_string(),
    }
}

/// An event body as read: the stored text with the eventID put back when it was left out
/// ([`stored_body`]; events whose eventID is their hash).
fn event_body(text: &str, event_id: &str) -> StoreResult<serde_json::Value> {
    let mut body: serde_json::Value = parsed(text, "event body", |text| serde_json::from_str(text))?;
    if let Some(object) = body.as_object_mut() {
        object
            .entry("eventID")
            .or_insert_with(|| serde_json::Value::String(event_id.to_owned()));
    }
    Ok(body)
}

/// The interned id of every identifier value of `events`, interning the new ones.
async fn intern_identifiers<'e>(
    connection: &mut AnyConnection,
    backend: Backend,
    events: &[(&'e CapturedEvent, &[u8])],
) -> StoreResult<HashMap<&'e str, i64>> {
    let mut wanted: HashSet<&'e str> = HashSet::new();
    let mut values: Vec<&'e str> = Vec::new();
    for (event, _) in events {
        for identifier in &event.identifiers {
            if wanted.insert(identifier.value.as_str()) {
                values.push(identifier.value.as_str());
            }
        }
    }
    let mut ids: HashMap<&'e str, i64> = HashMap::with_capacity(values.len());
    let found = |rows: Vec<AnyRow>, ids: &mut HashMap<&'e str, i64>| -> StoreResult<()> {
        for row in rows {
            let value = text(&row, "value")?;
            if let Some(original) = wanted.get(value.as_str()) {
                ids.insert(original, int(&row, "id")?);
            }
        }
        Ok(())
    };
    let look_up = |values: &[&'e str]| {
        let mut sql = Bulk::new(backend, "SELECT id, value FROM epcis_identifiers WHERE value IN (");
        for (index, value) in values.iter().enumerate() {
            sql.push(if index == 0 { "" } else { ", " }).param(*value);
        }
        sql.push(")").planned_each_time();
        sql
    };
    for chunk in values.chunks(ROWS_PER_INSERT) {
        let rows = look_up(chunk).fetch_all(&mut *connection).await.map_err(unavailable)?;
        found(rows, &mut ids)?;
    }
    let new: Vec<&'e str> = values
        .iter()
        .copied()
        .filter(|value| !ids.contains_key(value))
        .collect();
    let numbers = reserve(connection, "epcis_identifier_seq", new.len()).await?;
    for (chunk, number_chunk) in new.chunks(ROWS_PER_INSERT).zip(numbers.chunks(ROWS_PER_INSERT)) {
        let mut sql = Bulk::new(backend, "INSERT INTO epcis_identifiers (id, value) VALUES ");
        for (index, (value, number)) in chunk.iter().zip(number_chunk).enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" })
                .param(*number)
                .push(", ")
                .param(*value)
                .push(")");
        }
        sql.push(" ON CONFLICT (value) DO NOTHING");
        let inserted = sql.execute(&mut *connection).await.map_err(unavailable)?;
        if inserted.rows_affected() == chunk.len() as u64 {
            ids.extend(chunk.iter().copied().zip(number_chunk.iter().copied()));
        } else {
            // Another PostgreSQL transaction interned some of these values meanwhile (the insert
            // waited for it to commit): read the ids that were stored.
            let rows = look_up(chunk).fetch_all(&mut *connection).await.map_err(unavailable)?;
            found(rows, &mut ids)?;
        }
    }
    Ok(ids)
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
        events_root: None,
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
    let condition = event_id_condition(&mut sql, &[event_id.to_owned()]);
    sql.push_with(&format!(" AND {condition}"), vec![]);
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
    let (event, admitted, _) = events.remove(0);
    audit_reads(store, actor, &read_of(&event, &admitted)).await?;
    Ok(event)
}

/// The readable events that pass the indexed filters of `query` (its residual conditions are the
/// caller's to check).
fn filtered(store: &SqlStore, actor: &Actor, query: &EventQuery) -> crate::rows::Sql {
    let mut sql = event_query(store, actor);
    let any_of = |sql: &mut crate::rows::Sql, column: &str, values: &[String]| {
        if !values.is_empty() {
            sql.text.push_str(&format!(" AND r.{column} IN "));
            sql.push_list(values.iter().cloned().map(Param::Text));
        }
    };
    any_of(&mut sql, "event_type", &query.event_types);
    any_of(&mut sql, "action", &query.actions);
    any_of(&mut sql, "biz_step", &query.biz_steps);
    any_of(&mut sql, "disposition", &query.dispositions);
    any_of(&mut sql, "read_point", &query.read_points);
    any_of(&mut sql, "biz_location", &query.biz_locations);
    if !query.event_ids.is_empty() {
        let condition = event_id_condition(&mut sql, &query.event_ids);
        sql.push_with(&format!(" AND {condition}"), vec![]);
    }
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
    let mut found: Vec<(StoredEvent, crate::access::Admitted, Cursor)> = Vec::new();
    let probed = probed_members(query);
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
        for (event, admitted, seq) in with_identifiers(store, actor, rows).await? {
            let key = match key_column {
                "event_time" => micros(event.event.event_time),
                "record_time" => micros(event.record_time),
                _ => seq,
            };
            let here = Cursor { key, seq };
            cursor = Some(here);
            // A filter on a member the reader's grant withholds does not match the event: the
            // indexed filters ran on the stored columns, so without this a field-scoped reader
            // could test the value of a member it is not shown. The residual conditions run on
            // the event as projected, so they see no withheld member anyway.
            if admitted.hides_any(&probed) {
                continue;
            }
            if query
                .residual
                .as_ref()
                .is_none_or(|residual| residual.matches(&event.event))
            {
                found.push((event, admitted, here));
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
        .flat_map(|(event, admitted, _)| read_of(event, admitted))
        .collect();
    audit_reads(store, actor, &reads).await?;
    Ok(page.map(|(event, _, _)| event))
}

/// The audited reads of `event` (one per grant it is read under).
fn read_of(event: &StoredEvent, admitted: &crate::access::Admitted) -> Vec<RecordRead> {
    admitted.reads(RecordKind::Event, &event.event.event_id, event.owner_organization_id)
}

/// Builds events from their rows, with their identifiers (one query for all).
async fn with_identifiers(
    store: &SqlStore,
    actor: &Actor,
    rows: Vec<AnyRow>,
) -> StoreResult<Vec<(StoredEvent, crate::access::Admitted, i64)>> {
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
    // Each capture stores its @context once; the page's events name few of them.
    let mut context_ids: Vec<i64> = rows
        .iter()
        .map(|row| int(row, "context_id"))
        .collect::<StoreResult<_>>()?;
    context_ids.sort_unstable();
    context_ids.dedup();
    let placeholders: Vec<String> = (1..=context_ids.len()).map(|index| format!("${index}")).collect();
    let context_rows = crate::rows::Sql::new(
        &format!(
            "SELECT id, context FROM epcis_contexts WHERE id IN ({})",
            placeholders.join(", ")
        ),
        context_ids.iter().copied().map(Param::Int).collect(),
    );
    let mut contexts: HashMap<i64, serde_json::Value> = HashMap::with_capacity(context_ids.len());
    for row in context_rows
        .query()
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?
    {
        let context = parsed(&text(&row, "context")?, "event context", |text| {
            serde_json::from_str(text)
        })?;
        contexts.insert(int(&row, "id")?, context);
    }
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
            let admitted = crate::access::admit(actor, row, owner, visibility == Visibility::Public)?;
            let mut event = StoredEvent {
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
                    body: event_body(&text(row, "body")?, &text(row, "id")?)?,
                    context: contexts
                        .get(&int(row, "context_id")?)
                        .cloned()
                        .unwrap_or(serde_json::Value::Null),
                },
                owner_organization_id: owner,
                capture_id: parsed(&text(row, "capture_id")?, "capture id", str::parse)?,
                record_time: time(row, "record_time")?,
                sequence: seq,
            };
            project_event(&admitted, &mut event.event);
            Ok((event, admitted, seq))
        })
        .collect()
}

/// An event read under a grant limited to some fields: its body keeps those members only
/// (`Admitted::project`, the one projection), and the parts the repository extracted from the
/// body are kept only where their member is shown, so that no route serves a withheld member
/// through them. The eventID, type, time and time zone identify the event and stay.
fn project_event(admitted: &crate::access::Admitted, event: &mut CapturedEvent) {
    if admitted.fields.is_none() {
        return;
    }
    // The members that identify the event, as stored, put back after the projection.
    let identity: Vec<(&str, serde_json::Value)> = ["eventID", "type", "eventTime", "eventTimeZoneOffset"]
        .into_iter()
        .filter_map(|name| Some((name, event.body.get(name)?.clone())))
        .collect();
    let withheld = admitted.project(&mut event.body);
    for (pointer, part) in [
        ("/action", &mut event.action),
        ("/bizStep", &mut event.biz_step),
        ("/disposition", &mut event.disposition),
        ("/readPoint/id", &mut event.read_point),
        ("/bizLocation/id", &mut event.biz_location),
    ] {
        if !admitted.shows(pointer) {
            *part = None;
        }
    }
    event
        .identifiers
        .retain(|identifier| admitted.shows(identifier_member(identifier.role)));
    if let Some(body) = event.body.as_object_mut() {
        for (name, value) in identity {
            body.insert(name.to_owned(), value);
        }
        // The eventID (a hash-based one included) and the event hash name the full event as
        // captured, not this trimmed document: the event says so, and which top-level members
        // were withheld, so that nobody checks its hash or takes it for the whole event.
        let withheld: Vec<&String> = withheld.iter().filter(|pointer| !identity_member(pointer)).collect();
        if !withheld.is_empty() {
            body.insert(WITHHELD_MEMBER.to_owned(), serde_json::json!(withheld));
        }
    }
}

/// The extension member (an IRI, as EPCIS 2.0 JSON-LD allows) that a trimmed event carries:
/// the JSON Pointers of the members its grant withheld (of those kept in part, the members hidden
/// under them).
pub const WITHHELD_MEMBER: &str = "urn:junkan:withheld";

fn identity_member(pointer: &str) -> bool {
    matches!(
        pointer,
        "/eventID" | "/type" | "/eventTime" | "/eventTimeZoneOffset" | "/@context"
    )
}

/// The pointers of the event values the indexed filters of `query` test (`EQ_action`,
/// `EQ_bizStep`, `EQ_disposition`, `EQ_readPoint`/`WD_readPoint` (`/readPoint/id`),
/// `EQ_bizLocation`/`WD_bizLocation`, and the lists the identifier filters look in: `MATCH_*`,
/// sources, destinations, business transactions, quantities). A value hidden whole or in part
/// by the reader's grant makes the filter match nothing. The type, time and eventID identify an
/// event and are always shown.
fn probed_members(query: &EventQuery) -> Vec<&'static str> {
    let mut members = Vec::new();
    for (member, used) in [
        ("/action", !query.actions.is_empty()),
        ("/bizStep", !query.biz_steps.is_empty()),
        ("/disposition", !query.dispositions.is_empty()),
        (
            "/readPoint/id",
            !query.read_points.is_empty() || !query.read_points_within.is_empty(),
        ),
        (
            "/bizLocation/id",
            !query.biz_locations.is_empty() || !query.biz_locations_within.is_empty(),
        ),
    ] {
        if used {
            members.push(member);
        }
    }
    // An identifier filter matches when any of its roles holds the value, so each role's list
    // is probed.
    for filter in &query.identifiers {
        members.extend(filter.roles.iter().map(|role| identifier_member(*role)));
    }
    members
}

/// The pointer of the member of an EPCIS event an identifier of `role` was taken from.
fn identifier_member(role: IdentifierRole) -> &'static str {
    match role {
        IdentifierRole::Epc => "/epcList",
        IdentifierRole::Parent => "/parentID",
        IdentifierRole::Child => "/childEPCs",
        IdentifierRole::Input => "/inputEPCList",
        IdentifierRole::Output => "/outputEPCList",
        IdentifierRole::Quantity => "/quantityList",
        IdentifierRole::ChildQuantity => "/childQuantityList",
        IdentifierRole::InputQuantity => "/inputQuantityList",
        IdentifierRole::OutputQuantity => "/outputQuantityList",
        IdentifierRole::Source => "/sourceList",
        IdentifierRole::Destination => "/destinationList",
        IdentifierRole::BizTransaction => "/bizTransactionList",
    }
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
    // The touched events first, as a CTE: joined through the interned identifiers, PostgreSQL
    // otherwise misjudged how few they are and hashed whole tables (seconds at 1 M events).
    let touched = format!(
        "WITH touched AS (SELECT l.event_seq FROM epcis_identifiers v JOIN epcis_event_links l ON l.identifier_id = v.id \
         WHERE v.value IN ({})) ",
        value_params.join(", ")
    );
    touched_events(store, actor, sql, &touched, known, Withheld::Structure).await
}

/// The events at `locations` (their readPoint or bizLocation) with eventTime in `[from, until)`,
/// in one statement; unreadable ones reduced to their id, type, time and owner.
pub async fn at_locations(
    store: &SqlStore,
    actor: &Actor,
    locations: &[String],
    from: time::OffsetDateTime,
    until: time::OffsetDateTime,
) -> StoreResult<Vec<LineageEvent>> {
    if locations.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = event_query(store, actor);
    let places: Vec<String> = locations
        .iter()
        .map(|location| sql.param(Param::Text(location.clone())))
        .collect();
    let places = places.join(", ");
    let from = sql.param(Param::Int(micros(from)));
    let until = sql.param(Param::Int(micros(until)));
    // The period bounds the scan through the eventTime index; both location columns are checked.
    let touched = format!(
        "WITH touched AS (SELECT t.seq AS event_seq FROM epcis_events t WHERE t.event_time >= {from} AND t.event_time < {until} \
         AND (t.read_point IN ({places}) OR t.biz_location IN ({places}))) "
    );
    let mut events = touched_events(store, actor, sql, &touched, &[], Withheld::Existence).await?;
    events.sort_by(|left, right| (left.event_time, &left.event_id).cmp(&(right.event_time, &right.event_id)));
    Ok(events)
}

/// Whether a lineage connects through the identifiers of `role` of an event read as `read`: the
/// member they were taken from is shown, and for a parent or children also the action (an
/// aggregation's ADD and DELETE connect parent and children in opposite directions, so without
/// the action the link would be a guess, or tell the hidden action).
fn lineage_shows(read: &crate::access::Admitted, role: IdentifierRole) -> bool {
    let aggregation = matches!(
        role,
        IdentifierRole::Parent | IdentifierRole::Child | IdentifierRole::ChildQuantity
    );
    read.shows(identifier_member(role)) && (!aggregation || read.shows("/action"))
}

/// What an unreadable event keeps in [`touched_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Withheld {
    /// Its structure (bizStep, action, identifiers with roles and quantities), which the lineage
    /// engine needs to keep a graph connected and reduces to "withheld by" nodes itself.
    Structure,
    /// Its existence only: id, type, time and owner.
    Existence,
}

/// The events a `touched` CTE (`WITH touched AS (SELECT ... AS event_seq ...)`) selects, each row
/// one of their identifiers, with the event's readability from the access rule `sql` (from
/// [`event_query`], whose parameters the CTE may extend); events in `known` left out; readable
/// reads under a grant or as auditor audited.
async fn touched_events(
    store: &SqlStore,
    actor: &Actor,
    mut sql: crate::rows::Sql,
    touched: &str,
    known: &[String],
    withheld: Withheld,
) -> StoreResult<Vec<LineageEvent>> {
    // The access rule's query (parameters $1..$3 first), restricted to the touched events, becomes
    // the right side of a LEFT JOIN: an event without a match there is withheld.
    sql.text = format!(
        "{touched}SELECT e.seq, e.id, e.event_type, e.event_time, e.biz_step, e.action, e.owner_organization_id, o.name_ja, \
         CAST(CASE WHEN rd.seq IS NULL THEN 0 ELSE 1 END AS BIGINT) AS is_readable, rd.covering_grants, rd.visibility, \
         i.role, i.value, i.quantity, i.uom \
         FROM epcis_events e JOIN organizations o ON o.id = e.owner_organization_id \
         JOIN epcis_event_identifiers i ON i.event_seq = e.seq \
         LEFT JOIN ({readable} AND r.seq IN (SELECT event_seq FROM touched)) rd ON rd.seq = e.seq \
         WHERE e.seq IN (SELECT event_seq FROM touched) ORDER BY e.seq, i.role, i.value",
        readable = sql.text,
    );
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let mut events: Vec<LineageEvent> = Vec::new();
    let mut reads: Vec<RecordRead> = Vec::new();
    // Rows come event by event; the first row of an event starts it, every row adds one identifier.
    let known: HashSet<&str> = known.iter().map(String::as_str).collect();
    let mut current_seq = None;
    let mut skipping = false;
    // How the current event is read, when it is readable.
    let mut admitted: Option<crate::access::Admitted> = None;
    for row in &rows {
        let seq = int(row, "seq")?;
        if current_seq != Some(seq) {
            current_seq = Some(seq);
            let event_id = text(row, "id")?;
            skipping = known.contains(event_id.as_str());
            if skipping {
                continue;
            }
            let owner: OrganizationId = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
            let mut readable = int(row, "is_readable")? == 1;
            admitted = None;
            if readable {
                let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
                let read = crate::access::admit(actor, row, owner, visibility == Visibility::Public)?;
                // Found by where it happened (`at_locations`) while its grants hide where: the
                // event shows only that it exists, like one nobody granted, or its content would
                // tell the hidden location.
                if withheld == Withheld::Existence && read.hides_any(&["/readPoint/id", "/bizLocation/id"]) {
                    readable = false;
                } else {
                    reads.extend(read.reads(RecordKind::Event, &event_id, owner));
                    admitted = Some(read);
                }
            }
            let structure = readable || withheld == Withheld::Structure;
            // A readable event shows what its grants show: a member they hide (whole or in part)
            // connects nothing, the way a filter on it matches nothing (`lineage_shows`).
            let shown = |pointer: &str| admitted.as_ref().is_none_or(|read| read.shows(pointer));
            events.push(LineageEvent {
                event_id,
                event_type: text(row, "event_type")?,
                event_time: time(row, "event_time")?,
                biz_step: if structure && shown("/bizStep") {
                    opt_text(row, "biz_step")?
                } else {
                    None
                },
                action: if structure && shown("/action") {
                    opt_text(row, "action")?
                } else {
                    None
                },
                owner,
                owner_name: text(row, "name_ja")?,
                readable,
                identifiers: Vec::new(),
            });
            skipping = !structure;
            if skipping {
                continue;
            }
        } else if skipping {
            continue;
        }
        let role: IdentifierRole = enum_value(&text(row, "role")?, "identifier role")?;
        if let Some(read) = &admitted {
            if !lineage_shows(read, role) {
                continue;
            }
        }
        let event = events.last_mut().expect("the first row of an event pushed it");
        event.identifiers.push(EventIdentifier {
            role,
            value: text(row, "value")?,
            quantity: opt_text(row, "quantity")?,
            uom: opt_text(row, "uom")?,
        });
    }
    audit_reads(store, actor, &reads).await?;
    Ok(events)
}
