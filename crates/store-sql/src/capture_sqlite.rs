//! The capture write path of the embedded engine (SQLite): captures written by a thread of its
//! own on a connection of its own, driven by `rusqlite`, several documents to one commit when
//! they arrive together (group commit).
//!
//! Why not through sqlx like every other write: sqlx runs SQLite on a worker thread of its own and
//! its `Any` driver copies every bound value into an owned argument before sending it there, so a
//! document's statements were built and their values copied on the async thread while the worker
//! waited, and the other way round: the two halves of one capture ran one after the other, about
//! 45 µs per event between them (docs/performance.md). Here one thread binds borrowed values to
//! cached single-row statements and SQLite executes them at once. Reads and every other write
//! stay on sqlx; PostgreSQL captures stay on sqlx too (`events::capture_over_sqlx`). Both paths
//! share the decisions (`events::new_events`), the job and audit rows and the stored body, and
//! the store contract tests run the capture cases on both engines.
//!
//! No other write of the process interleaves: the thread holds the sqlx writer connection while
//! it writes, taken once per commit, so that the documents queued behind one another go in as
//! soon as the previous commit ends instead of each waiting for the async runtime to hand that
//! connection on. Another process would wait on SQLite's lock (`busy_timeout`), as with sqlx.
//! A document that fails or rolls back leaves the others of its commit as they are (the group is
//! then written again, each document under a savepoint of its own); none is acknowledged before
//! the commit is durable.

use std::path::PathBuf;

use rusqlite::{params, CachedStatement, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use sqlx::AnyPool;

use junkan_model::event::{CaptureJob, CapturedEvent};
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_store::{StoreError, StoreResult};

use crate::access::AuditEntry;
use crate::events::{hash_key, offer_events, rolls_back, JobRow, Offered};
use crate::rows::{micros, unavailable};
use crate::{SQLITE_DURABILITY, SQLITE_WRITER_CACHE};

/// The embedded engine's capture writer: a thread of its own ([`THREAD_NAME`]) that owns the
/// capture connection (opened at the first capture) and writes the documents queued for it. It
/// ends when the store is dropped.
#[derive(Debug)]
pub struct CaptureWriter {
    requests: std::sync::mpsc::Sender<Request>,
}

type Request = (Write, tokio::sync::oneshot::Sender<(StoreResult<CaptureJob>, Write)>);

/// The name of the capture writer's thread (Linux keeps 15 bytes), for CPU accounting.
pub const THREAD_NAME: &str = "junkan-capture";

/// The most documents one commit makes durable together.
const MOST_PER_COMMIT: usize = 16;

/// One capture to write: the job as it starts and the prepared document.
pub struct Write {
    pub job: CaptureJob,
    pub owner: OrganizationId,
    pub visibility: Visibility,
    /// The record time of every event, microseconds.
    pub record_time: i64,
    /// The events with their JSON pointers.
    pub events: Vec<(String, CapturedEvent)>,
    /// The hash key of each event (`events::hash_key`).
    pub keys: Vec<Vec<u8>>,
    /// The stored body of each event (`events::stored_body`).
    pub bodies: Vec<String>,
    /// The log digest of each event (`log::event_digest`); empty when the log is off.
    pub digests: Vec<junkan_translog::Hash>,
    /// The Merkle tree hash over all of `digests` (`log::events_root`), computed by the caller;
    /// `None` when the log is off.
    pub all_events_root: Option<junkan_translog::Hash>,
    /// The audit row of the capture.
    pub audit: AuditEntry,
    /// Whether the capture appends its leaf to the tamper-evident log.
    pub log: bool,
}

fn failed(error: rusqlite::Error) -> StoreError {
    unavailable(error)
}

impl CaptureWriter {
    /// A writer for the database file at `path` (the one the sqlx pools opened and migrated),
    /// excluding the other writes of the process by holding a connection of `writer`, the sqlx
    /// writer pool of one connection, acquired on `runtime`.
    pub fn start(path: PathBuf, writer: AnyPool, runtime: tokio::runtime::Handle) -> StoreResult<CaptureWriter> {
        let (requests, receiver) = std::sync::mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let mut connection: Option<Connection> = None;
                while let Ok(first) = receiver.recv() {
                    let mut group = vec![first];
                    while group.len() < MOST_PER_COMMIT {
                        match receiver.try_recv() {
                            Ok(next) => group.push(next),
                            Err(_) => break,
                        }
                    }
                    let writes: Vec<&Write> = group.iter().map(|(write, _)| write).collect();
                    let outcome = runtime
                        .block_on(writer.acquire())
                        .map_err(unavailable)
                        .and_then(|exclusive| {
                            let outcome = match &mut connection {
                                Some(connection) => store_group(connection, &writes),
                                None => open(&path).and_then(|opened| store_group(connection.insert(opened), &writes)),
                            };
                            // Handing the connection back to its pool needs the runtime.
                            let _runtime = runtime.enter();
                            drop(exclusive);
                            outcome
                        });
                    let mut results: Vec<StoreResult<CaptureJob>> = match outcome {
                        Ok(results) => results,
                        // What failed the whole commit failed every document of it.
                        Err(error) => {
                            let message = error.to_string();
                            (0..group.len())
                                .map(|_| Err(StoreError::Unavailable(message.clone().into())))
                                .collect()
                        }
                    };
                    for ((write, reply), result) in group.into_iter().zip(results.drain(..)) {
                        // The document goes back with the outcome, to be freed by the caller's
                        // thread instead of this one. The caller may have gone (its request was
                        // cancelled); the capture stands.
                        let _ = reply.send((result, write));
                    }
                }
            })
            .map_err(unavailable)?;
        Ok(CaptureWriter { requests })
    }

    /// Stores `write` in one transaction, or nothing of its events when it fails and asked for a
    /// rollback (then only the failed job is kept, so that the client can read why). Answers
    /// once the commit holding it is durable.
    pub async fn capture(&self, write: Write) -> StoreResult<CaptureJob> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || StoreError::Unavailable("the capture writer has stopped".into());
        self.requests.send((write, reply)).map_err(|_| gone())?;
        let (result, write) = answer.await.map_err(|_| gone())?;
        drop(write);
        result
    }
}

/// Opens the capture connection with the settings of the sqlx writer (`configure_sqlite_writer`):
/// WAL, every commit synced in full before it is acknowledged, and room for a whole document's
/// changes in the page cache. Foreign keys are not enforced on this connection: per event they
/// cost five index look-ups (owner, capture, context; identifier and event of each link), and
/// everything they would check is either created in the same transaction (job, contexts,
/// identifiers, events) or checked once per document (the owner organization, in `store`).
/// Every other connection, sqlx's, enforces them.
fn open(path: &std::path::Path) -> StoreResult<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(failed)?;
    connection
        .execute_batch(&format!(
            "{SQLITE_DURABILITY} {SQLITE_WRITER_CACHE} PRAGMA foreign_keys = OFF;"
        ))
        .map_err(failed)?;
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

/// Stores the documents `writes` in one transaction: the outcome of each, or the error that
/// failed the whole transaction (then nothing is stored).
///
/// Almost every document is stored whole, so they are first written one after the other with
/// nothing in between ([`store_together`]). Only when one of them fails or must be rolled back is
/// that transaction abandoned and the group written again with a savepoint around each document
/// ([`store_each`]). A savepoint is not free: SQLite copies every page a document changes that
/// existed before the savepoint into its sub-journal first, 8 % of this thread's time when every
/// document had one (docs/performance.md).
fn store_group(connection: &mut Connection, writes: &[&Write]) -> StoreResult<Vec<StoreResult<CaptureJob>>> {
    match store_together(connection, writes)? {
        Some(jobs) => Ok(jobs.into_iter().map(Ok).collect()),
        None => store_each(connection, writes),
    }
}

/// Writes `writes` in one transaction without savepoints and commits it: their jobs, or `None`
/// (and nothing written) as soon as one of them fails or must be rolled back.
fn store_together(connection: &mut Connection, writes: &[&Write]) -> StoreResult<Option<Vec<CaptureJob>>> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    let mut jobs = Vec::with_capacity(writes.len());
    for write in writes {
        match store(&transaction, write) {
            Ok(job) if !rolls_back(&job) => jobs.push(job),
            // Dropping the transaction rolls it back.
            _ => return Ok(None),
        }
    }
    transaction.commit().map_err(failed)?;
    Ok(Some(jobs))
}

/// Writes `writes` in one transaction, each under a savepoint of its own, so that one that fails
/// or rolls back leaves the others as they are.
fn store_each(connection: &mut Connection, writes: &[&Write]) -> StoreResult<Vec<StoreResult<CaptureJob>>> {
    let mut transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    let mut outcomes = Vec::with_capacity(writes.len());
    for write in writes {
        // Rolled back and released when dropped unless committed.
        let savepoint = transaction.savepoint().map_err(failed)?;
        let outcome = store(&savepoint, write);
        let outcome = match outcome {
            Ok(job) if !rolls_back(&job) => {
                savepoint.commit().map_err(failed)?;
                Ok(job)
            }
            // Nothing of the document stays but the failed job, so that the client can read why.
            Ok(mut job) => {
                savepoint.finish().map_err(failed)?;
                job.captured_count = 0;
                job.duplicate_count = 0;
                let row = JobRow::new(&job, write.owner);
                insert_job(&transaction, &row)?;
                insert_audit(&transaction, &write.audit)?;
                append_leaf(&transaction, write, &row, &crate::log::events_root(&[]))?;
                Ok(job)
            }
            Err(error) => {
                savepoint.finish().map_err(failed)?;
                Err(error)
            }
        };
        outcomes.push(outcome);
    }
    transaction.commit().map_err(failed)?;
    Ok(outcomes)
}

/// Writes one document on `connection` (in the transaction or under a savepoint of [`store_group`]): its job, its
/// events and its audit row. The job says whether the document must be rolled back instead.
fn store(connection: &Connection, write: &Write) -> StoreResult<CaptureJob> {
    let Write {
        job,
        owner,
        visibility,
        record_time,
        events,
        keys,
        bodies,
        digests,
        all_events_root,
        audit,
        log: _,
    } = write;
    let mut job = job.clone();
    // Foreign keys are not enforced on this connection (see `open`): what they would check per
    // event is checked here once, or created in this transaction.
    let owner_exists = connection
        .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")
        .and_then(|mut statement| statement.exists([owner.to_string()]))
        .map_err(failed)?;
    if !owner_exists {
        return Err(StoreError::Forbidden {
            reason: format!("organization {owner} does not exist"),
        });
    }
    // The job row first: events reference it.
    insert_job(connection, &JobRow::new(&job, *owner))?;
    let mut inserter = Inserter::new(connection, *owner, &job, *visibility, *record_time)?;
    let accepted = offer_events(events, keys, &mut job, |index| {
        inserter.offer(&events[index].1, &keys[index], &bodies[index])
    })?;
    drop(inserter);
    job.captured_count = accepted.len() as u64;
    job.success = job.errors.is_empty();
    if rolls_back(&job) {
        return Ok(job);
    }
    let row = JobRow::new(&job, *owner);
    run(
        connection,
        JobRow::UPDATE,
        params![row.success, row.errors, row.captured_count, row.duplicate_count, row.id],
    )?;
    insert_audit(connection, audit)?;
    if write.log {
        // The caller's root holds when every event was stored; otherwise the root over those
        // that were (duplicates are not).
        let events_root = match all_events_root {
            Some(root) if accepted.len() == events.len() => *root,
            _ => {
                let stored: Vec<junkan_translog::Hash> = accepted.iter().map(|index| digests[*index]).collect();
                crate::log::events_root(&stored)
            }
        };
        append_leaf(connection, write, &row, &events_root)?;
        job.events_root = Some(events_root);
    }
    Ok(job)
}

/// The capture's leaf of the tamper-evident log, committing to `events_root`, the Merkle tree
/// hash over its stored events' digests; nothing when the log is off.
fn append_leaf(
    connection: &Connection,
    write: &Write,
    row: &JobRow,
    events_root: &junkan_translog::Hash,
) -> StoreResult<()> {
    if !write.log {
        return Ok(());
    }
    crate::log::append_rusqlite(
        connection,
        write.audit.at,
        &row.id,
        &row.owner,
        crate::log::capture_digest(row, events_root),
    )
}

fn insert_audit(connection: &Connection, audit: &AuditEntry) -> StoreResult<()> {
    run(
        connection,
        AuditEntry::INSERT,
        params![
            audit.at,
            audit.actor_kind,
            audit.actor_id,
            audit.actor_organization_id,
            audit.action,
            audit.record_kind,
            audit.record_id,
            audit.owner_organization_id,
            audit.grant_id,
            audit.purpose,
            audit.request_id
        ],
    )?;
    Ok(())
}

/// Runs `sql` once with `values`, through the connection's statement cache.
fn run(connection: &Connection, sql: &str, values: &[&dyn rusqlite::ToSql]) -> StoreResult<usize> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(values))
        .map_err(failed)
}

fn insert_job(connection: &Connection, row: &JobRow) -> StoreResult<()> {
    run(
        connection,
        JobRow::INSERT,
        params![
            row.id,
            row.owner,
            row.created_at,
            row.finished_at,
            row.success,
            row.error_behaviour,
            row.errors,
            row.captured_count,
            row.duplicate_count
        ],
    )?;
    Ok(())
}

/// Stores the events of one capture as they are offered: each event, the contexts (one row per
/// distinct context of the document), the identifiers not yet interned and the links.
struct Inserter<'t, 'e> {
    connection: &'t Connection,
    owner: String,
    capture: String,
    visibility: &'static str,
    record_time: i64,
    contexts: Vec<(&'e serde_json::Value, i64)>,
    /// The identifiers interned so far (foldhash: SipHash was 4 % of this thread's time).
    identifiers: foldhash::HashMap<&'e str, i64>,
    by_hash: CachedStatement<'t>,
    by_id: CachedStatement<'t>,
    insert_context: CachedStatement<'t>,
    find_identifier: CachedStatement<'t>,
    insert_identifier: CachedStatement<'t>,
    insert_event: CachedStatement<'t>,
    insert_link: CachedStatement<'t>,
}

impl<'t, 'e> Inserter<'t, 'e> {
    fn new(
        connection: &'t Connection,
        owner: OrganizationId,
        job: &CaptureJob,
        visibility: Visibility,
        record_time: i64,
    ) -> StoreResult<Inserter<'t, 'e>> {
        let prepare = |sql: &str| connection.prepare_cached(sql).map_err(failed);
        Ok(Inserter {
            connection,
            owner: owner.to_string(),
            capture: job.capture_id.to_string(),
            visibility: visibility.as_str(),
            record_time,
            contexts: Vec::new(),
            identifiers: foldhash::HashMap::default(),
            // Through the index of the keys' first 8 bytes (migration 0010), then in full.
            by_hash: prepare(
                "SELECT event_id FROM epcis_event_records WHERE substr(hash_key, 1, 8) = substr(?1, 1, 8) \
                 AND hash_key = ?1",
            )?,
            by_id: prepare("SELECT 1 FROM epcis_event_records WHERE event_id = ?1")?,
            insert_context: prepare("INSERT INTO epcis_contexts (context) VALUES (?1)")?,
            find_identifier: prepare("SELECT id FROM epcis_identifiers WHERE value = ?1")?,
            insert_identifier: prepare("INSERT INTO epcis_identifiers (value) VALUES (?1) ON CONFLICT (value) DO NOTHING")?,
            insert_event: prepare(
                "INSERT INTO epcis_event_records (hash_key, hash_text, event_id, owner_organization_id, capture_id, visibility, \
                 event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, body, context_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?,
            insert_link: prepare(
                "INSERT INTO epcis_event_links (identifier_id, role, event_seq, quantity, uom) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT DO NOTHING",
            )?,
        })
    }

    /// The event_id of the stored event with hash key `key`, if one is stored.
    fn stored_with(&mut self, key: &[u8]) -> StoreResult<Option<Option<String>>> {
        self.by_hash
            .query_row([key], |row| row.get::<_, Option<String>>(0))
            .optional()
            .map_err(failed)
    }

    /// Stores `event` unless the store holds it already or its eventID is taken.
    fn offer(&mut self, event: &'e CapturedEvent, key: &[u8], body: &str) -> StoreResult<Offered> {
        // A stored event with the same hash makes this one a duplicate (the hash index is not
        // unique, see migration 0010: this look-up and the insert below run in one write
        // transaction).
        if self.stored_with(key)?.is_some() {
            return Ok(Offered::Duplicate);
        }
        if event.event_id != event.event_hash {
            // A given eventID is taken by an event that was given it, or by an event whose hash
            // it is and that was given no other.
            let taken = self.by_id.exists([event.event_id.as_str()]).map_err(failed)?
                || self.stored_with(&hash_key(&event.event_id))? == Some(None);
            if taken {
                return Ok(Offered::IdTaken);
            }
        }
        let context_id = match self.contexts.iter().find(|(context, _)| *context == &event.context) {
            Some((_, id)) => *id,
            None => {
                self.insert_context
                    .execute([event.context.to_string()])
                    .map_err(failed)?;
                let id = self.connection.last_insert_rowid();
                self.contexts.push((&event.context, id));
                id
            }
        };
        // A hash kept as text has its UTF-8 bytes as key (`hash_key`); a digest never equals
        // the 89-character text it was read from.
        let hash_text = (key == event.event_hash.as_bytes()).then_some(event.event_hash.as_str());
        let given_id = (event.event_id != event.event_hash).then_some(event.event_id.as_str());
        self.insert_event
            .execute(params![
                key,
                hash_text,
                given_id,
                self.owner,
                self.capture,
                self.visibility,
                event.event_type,
                micros(event.event_time),
                self.record_time,
                event.action,
                event.biz_step,
                event.disposition,
                event.read_point,
                event.biz_location,
                body,
                context_id
            ])
            .map_err(failed)?;
        let seq = self.connection.last_insert_rowid();
        for identifier in &event.identifiers {
            let value = identifier.value.as_str();
            let id = match self.identifiers.get(value) {
                Some(id) => *id,
                None => {
                    // Most identifiers of a capture are new (serialised items seen once), so the
                    // insert comes first: a new value costs one descent of the value index
                    // instead of a look-up and then the insert's own descent.
                    let id = if self.insert_identifier.execute([value]).map_err(failed)? == 1 {
                        self.connection.last_insert_rowid()
                    } else {
                        self.find_identifier
                            .query_row([value], |row| row.get::<_, i64>(0))
                            .map_err(failed)?
                    };
                    self.identifiers.insert(value, id);
                    id
                }
            };
            self.insert_link
                .execute(params![
                    id,
                    identifier.role.as_str(),
                    seq,
                    identifier.quantity,
                    identifier.uom
                ])
                .map_err(failed)?;
        }
        Ok(Offered::Accepted)
    }
}
