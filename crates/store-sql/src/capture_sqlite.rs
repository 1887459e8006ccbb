//! The capture write path of the embedded engine (SQLite): one transaction per document on a
//! connection of its own, driven by `rusqlite` on a blocking thread.
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
//! The caller holds the sqlx writer connection while this runs, so no other write of the process
//! interleaves; another process would wait on SQLite's lock (`busy_timeout`), as with sqlx.

use std::path::PathBuf;

use rusqlite::{params, CachedStatement, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use junkan_model::event::{CaptureJob, CapturedEvent};
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_store::{StoreError, StoreResult};

use crate::access::AuditEntry;
use crate::events::{hash_key, offer_events, rolls_back, JobRow, Offered};
use crate::rows::{micros, unavailable};
use crate::{SQLITE_DURABILITY, SQLITE_WRITER_CACHE};

/// The embedded engine's capture writer: a thread of its own ([`THREAD_NAME`]) that owns the
/// capture connection (opened at the first capture) and writes one document at a time. It ends
/// when the store is dropped.
#[derive(Debug)]
pub struct CaptureWriter {
    requests: std::sync::mpsc::Sender<Request>,
}

type Request = (Write, tokio::sync::oneshot::Sender<(StoreResult<CaptureJob>, Write)>);

/// The name of the capture writer's thread (Linux keeps 15 bytes), for CPU accounting.
pub const THREAD_NAME: &str = "junkan-capture";

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
    /// The audit row of the capture.
    pub audit: AuditEntry,
}

fn failed(error: rusqlite::Error) -> StoreError {
    unavailable(error)
}

impl CaptureWriter {
    /// A writer for the database file at `path` (the one the sqlx pools opened and migrated).
    pub fn start(path: PathBuf) -> StoreResult<CaptureWriter> {
        let (requests, receiver) = std::sync::mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let mut connection: Option<Connection> = None;
                for (write, reply) in receiver {
                    let result = match &mut connection {
                        Some(connection) => store(connection, &write),
                        None => match open(&path) {
                            Ok(opened) => store(connection.insert(opened), &write),
                            Err(error) => Err(error),
                        },
                    };
                    // The document goes back with the outcome, to be freed by the caller's thread
                    // instead of this one. The caller may have gone (its request was cancelled);
                    // the capture stands.
                    let _ = reply.send((result, write));
                }
            })
            .map_err(unavailable)?;
        Ok(CaptureWriter { requests })
    }

    /// Stores `write` in one transaction, or nothing of its events when it fails and asked for a
    /// rollback (then only the failed job is kept, so that the client can read why).
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

fn store(connection: &mut Connection, write: &Write) -> StoreResult<CaptureJob> {
    let Write {
        job,
        owner,
        visibility,
        record_time,
        events,
        keys,
        bodies,
        audit,
    } = write;
    let mut job = job.clone();
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    // Foreign keys are not enforced on this connection (see `open`): what they would check per
    // event is checked here once, or created in this transaction.
    let owner_exists = transaction
        .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")
        .and_then(|mut statement| statement.exists([owner.to_string()]))
        .map_err(failed)?;
    if !owner_exists {
        return Err(StoreError::Forbidden {
            reason: format!("organization {owner} does not exist"),
        });
    }
    // The job row first: events reference it.
    insert_job(&transaction, &JobRow::new(&job, *owner))?;
    let mut inserter = Inserter::new(&transaction, *owner, &job, *visibility, *record_time)?;
    let accepted = offer_events(events, keys, &mut job, |index| {
        inserter.offer(&events[index].1, &keys[index], &bodies[index])
    })?;
    drop(inserter);
    job.captured_count = accepted.len() as u64;
    job.success = job.errors.is_empty();
    let transaction = if rolls_back(&job) {
        transaction.rollback().map_err(failed)?;
        job.captured_count = 0;
        job.duplicate_count = 0;
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        insert_job(&transaction, &JobRow::new(&job, *owner))?;
        transaction
    } else {
        let row = JobRow::new(&job, *owner);
        run(
            &transaction,
            JobRow::UPDATE,
            params![row.success, row.errors, row.captured_count, row.duplicate_count, row.id],
        )?;
        transaction
    };
    run(
        &transaction,
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
    transaction.commit().map_err(failed)?;
    Ok(job)
}

/// Runs `sql` once with `values`, through the connection's statement cache.
fn run(transaction: &Transaction, sql: &str, values: &[&dyn rusqlite::ToSql]) -> StoreResult<usize> {
    transaction
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(values))
        .map_err(failed)
}

fn insert_job(transaction: &Transaction, row: &JobRow) -> StoreResult<()> {
    run(
        transaction,
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
    transaction: &'t Transaction<'t>,
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
        transaction: &'t Transaction<'t>,
        owner: OrganizationId,
        job: &CaptureJob,
        visibility: Visibility,
        record_time: i64,
    ) -> StoreResult<Inserter<'t, 'e>> {
        let prepare = |sql: &str| transaction.prepare_cached(sql).map_err(failed);
        Ok(Inserter {
            transaction,
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
            insert_identifier: prepare("INSERT INTO epcis_identifiers (value) VALUES (?1)")?,
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
                let id = self.transaction.last_insert_rowid();
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
        let seq = self.transaction.last_insert_rowid();
        for identifier in &event.identifiers {
            let value = identifier.value.as_str();
            let id = match self.identifiers.get(value) {
                Some(id) => *id,
                None => {
                    let found = self
                        .find_identifier
                        .query_row([value], |row| row.get::<_, i64>(0))
                        .optional()
                        .map_err(failed)?;
                    let id = match found {
                        Some(id) => id,
                        None => {
                            self.insert_identifier.execute([value]).map_err(failed)?;
                            self.transaction.last_insert_rowid()
                        }
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
