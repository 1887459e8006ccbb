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
//! the commit is durable: a second thread syncs the write-ahead log after each commit and then
//! answers its captures, while this one writes the next (see `open`).

use std::path::PathBuf;

use rusqlite::{params, CachedStatement, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use sqlx::AnyPool;

use junkan_model::event::{CaptureJob, CapturedEvent, EventIdentifier};
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

type Reply = tokio::sync::oneshot::Sender<(StoreResult<CaptureJob>, Write)>;
type Request = (Write, Reply);
/// A document's outcome, to be sent once its commit is durable.
type Answer = (Reply, StoreResult<CaptureJob>, Write);

/// The name of the capture writer's thread (Linux keeps 15 bytes), for CPU accounting.
pub const THREAD_NAME: &str = "junkan-capture";

/// The name of the thread that syncs the write-ahead log after the capture writer's commits and
/// then answers their captures.
pub const SYNC_THREAD_NAME: &str = "junkan-sync";

/// The name of the thread that copies the write-ahead log's pages into the database file
/// (checkpoints) beside the capture writer.
pub const CHECKPOINT_THREAD_NAME: &str = "junkan-ckpt";

/// The least time between two checkpoints of the checkpoint thread: each ends with a sync of the
/// database file, and what one copies is what the writer wrote since the last.
const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// The write-ahead log's length, in frames (pages of 4 KiB), past which the capture writer makes
/// it start over ([`restart_log_when_long`]). SQLite's own setting would copy the log at 8,192
/// frames (`SQLITE_WRITER_CACHE`), all of it on the writer. Each start over costs the writer a
/// copy and two syncs (about 50 ms in a 300,000-event build, where the log passed 16,384 frames
/// every 0.65 s), so the log may grow to 256 MiB first.
const RESTART_FRAMES: i64 = 65_536;

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
        let (committed, to_sync) = std::sync::mpsc::channel::<Vec<Answer>>();
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        std::thread::Builder::new()
            .name(SYNC_THREAD_NAME.to_owned())
            .spawn(move || sync_and_answer(&wal, &to_sync))
            .map_err(unavailable)?;
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let log_frames = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let (database, frames) = (path.clone(), log_frames.clone());
        std::thread::Builder::new()
            .name(CHECKPOINT_THREAD_NAME.to_owned())
            .spawn(move || checkpoint_beside(&database, &woken, &frames, CHECKPOINT_PAUSE))
            .map_err(unavailable)?;
        std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let mut connection: Option<Opened> = None;
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
                                Some(opened) => {
                                    if opened.synced_here {
                                        restart_log_when_long(&opened.connection, &log_frames, RESTART_FRAMES);
                                    }
                                    store_group(&mut opened.connection, &writes)
                                        .map(|results| (results, opened.synced_here))
                                }
                                None => open(&path).and_then(|opened| {
                                    let opened = connection.insert(opened);
                                    store_group(&mut opened.connection, &writes)
                                        .map(|results| (results, opened.synced_here))
                                }),
                            };
                            // Handing the connection back to its pool needs the runtime.
                            let _runtime = runtime.enter();
                            drop(exclusive);
                            outcome
                        });
                    let (results, to_be_synced): (Vec<StoreResult<CaptureJob>>, bool) = match outcome {
                        Ok(committed) => committed,
                        // What failed the whole commit failed every document of it; nothing of
                        // it was written.
                        Err(error) => {
                            let message = error.to_string();
                            let failed = (0..group.len())
                                .map(|_| Err(StoreError::Unavailable(message.clone().into())))
                                .collect();
                            (failed, false)
                        }
                    };
                    let answers: Vec<Answer> = group
                        .into_iter()
                        .zip(results)
                        .map(|((write, reply), result)| (reply, result, write))
                        .collect();
                    if to_be_synced {
                        // The checkpoint thread copies what this commit wrote, when it is free.
                        let _ = wake.try_send(());
                        // Answered once the log is synced, while this thread writes the next group.
                        if let Err(std::sync::mpsc::SendError(answers)) = committed.send(answers) {
                            answer(answers, Err("the thread that syncs captures has stopped".to_owned()));
                        }
                    } else {
                        answer(answers, Ok(()));
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

/// The capture connection, and whether its commits are made durable by [`sync_and_answer`]
/// rather than by SQLite.
struct Opened {
    connection: Connection,
    synced_here: bool,
}

/// Opens the capture connection with the settings of the sqlx writer (`configure_sqlite_writer`):
/// WAL, every commit synced in full before it is acknowledged, and room for a whole document's
/// changes in the page cache. Foreign keys are not enforced on this connection: per event they
/// cost five index look-ups (owner, capture, context; identifier and event of each link), and
/// everything they would check is either created in the same transaction (job, contexts,
/// identifiers, events) or checked once per document (the owner organization, in `store`).
/// Every other connection, sqlx's, enforces them.
///
/// With the write-ahead log (a database file; not an in-memory one), SQLite does not sync this
/// connection's commits itself (`synchronous = NORMAL`): [`sync_and_answer`] syncs the log after
/// each commit on a thread of its own and only then answers the captures of that commit, the
/// guarantee `synchronous = FULL` gives, while this thread writes the next commit instead of
/// waiting for the disk (a sixth of the machine's time was that wait, docs/performance.md).
/// A commit is visible to readers from the moment it ends, before its sync (with SQLite's own
/// syncing, only after it): a power failure in between can lose a capture that a reader saw, one
/// that was never answered.
fn open(path: &std::path::Path) -> StoreResult<Opened> {
    let connection = connect(path)?;
    connection
        .execute_batch(&format!(
            "{SQLITE_DURABILITY} {SQLITE_WRITER_CACHE} PRAGMA foreign_keys = OFF;"
        ))
        .map_err(failed)?;
    let journal: String = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .map_err(failed)?;
    let synced_here = journal.eq_ignore_ascii_case("wal");
    if synced_here {
        // Checkpoints are the checkpoint thread's (`checkpoint_beside`), not this connection's.
        connection
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")
            .map_err(failed)?;
    }
    // Room for the multi-row statements' texts (`MultiRow`, `stored_keys`) besides the others.
    connection.set_prepared_statement_cache_capacity(64);
    Ok(Opened {
        connection,
        synced_here,
    })
}

/// A connection of this thread's own (no mutex) to the existing database file at `path`.
fn connect(path: &std::path::Path) -> StoreResult<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(failed)
}

/// Answers each capture of `answers`: its outcome, or the error `unsynced` when its commit could
/// not be made durable.
fn answer(answers: Vec<Answer>, unsynced: Result<(), String>) {
    for (reply, result, write) in answers {
        let result = match &unsynced {
            Ok(()) => result,
            Err(error) => Err(StoreError::Unavailable(
                format!(
                    "the capture was committed, but syncing the database's write-ahead log failed ({error}): \
                     it may not survive a power failure"
                )
                .into(),
            )),
        };
        // The document goes back with the outcome, to be freed by the caller's thread instead
        // of this one. The caller may have gone (its request was cancelled); the capture stands.
        let _ = reply.send((result, write));
    }
}

/// The sync thread: syncs the write-ahead log `wal` once for all the commits that ended since its
/// last sync (`committed`, sent after each commit) and then answers their captures.
fn sync_and_answer(wal: &std::path::Path, committed: &std::sync::mpsc::Receiver<Vec<Answer>>) {
    // The log file whose directory entry is known to be durable (by its inode).
    let mut entry_synced: Option<u64> = None;
    while let Ok(first) = committed.recv() {
        let mut commits = vec![first];
        commits.extend(committed.try_iter());
        let synced = sync_wal(wal, &mut entry_synced).map_err(|error| error.to_string());
        for answers in commits {
            answer(answers, synced.clone());
        }
    }
}

/// Syncs the data of the write-ahead log `wal`, as SQLite does at each commit with `synchronous =
/// FULL`; for a log file not synced here before, its directory too, as SQLite does once for a
/// log it creates.
fn sync_wal(wal: &std::path::Path, entry_synced: &mut Option<u64>) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let file = std::fs::File::open(wal)?;
    file.sync_data()?;
    let inode = file.metadata()?.ino();
    if *entry_synced != Some(inode) {
        let directory = wal
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        std::fs::File::open(directory)?.sync_all()?;
        *entry_synced = Some(inode);
    }
    Ok(())
}

/// The checkpoint thread: after the capture writer's commits (`woken`), at most once per
/// `pause`, copies the pages of the write-ahead log into the database file and syncs that
/// file, on a connection of its own, while the writer goes on writing; publishes the log's length
/// in frames (`log_frames`) for [`restart_log_when_long`].
///
/// With SQLite's automatic checkpoints, the commit that takes the log past its limit copies the
/// whole log and syncs the database file before it returns: about a tenth of the writer's time,
/// waiting for the disk (docs/performance.md). A passive checkpoint takes no lock that the writer
/// or a reader waits for. What it cannot do is start the log over: SQLite does that when a write
/// begins and finds every frame copied, which with the writer always busy happens only after
/// [`restart_log_when_long`]. Nor does SQLite sync the database file after a checkpoint that a
/// commit overtook (it syncs only when it has copied the whole log), so this thread syncs it
/// itself: otherwise the writer's restart would wait for every page copied since the last one.
/// The writer's restart then copies and syncs only what was committed since this thread's last
/// checkpoint.
fn checkpoint_beside(
    database: &std::path::Path,
    woken: &std::sync::mpsc::Receiver<()>,
    log_frames: &std::sync::atomic::AtomicI64,
    pause: std::time::Duration,
) {
    let mut connection: Option<Connection> = None;
    while woken.recv().is_ok() {
        match copy_and_sync(database, &mut connection) {
            Ok((frames, _copied)) => log_frames.store(frames, std::sync::atomic::Ordering::Relaxed),
            Err(error) => {
                tracing::warn!(%error, "checkpoint of the capture's write-ahead log failed; the next commit tries again");
                connection = None;
            }
        }
        std::thread::sleep(pause);
        // The commits of the pause are copied by the next checkpoint, once woken again.
        while woken.try_recv().is_ok() {}
    }
}

/// One passive checkpoint on the checkpoint thread's `connection` (opened at the first), then a
/// sync of the database file: the log's length and how many of its frames are copied.
fn copy_and_sync(database: &std::path::Path, connection: &mut Option<Connection>) -> StoreResult<(i64, i64)> {
    let copied = match connection {
        Some(connection) => checkpoint(connection),
        None => open_for_checkpoints(database).and_then(|opened| checkpoint(connection.insert(opened))),
    }?;
    std::fs::File::open(database)
        .and_then(|file| file.sync_data())
        .map_err(unavailable)?;
    Ok(copied)
}

/// The checkpoint thread's connection: syncs the log before copying it and the database file after
/// (`synchronous = NORMAL`), and never checkpoints on its own.
fn open_for_checkpoints(database: &std::path::Path) -> StoreResult<Connection> {
    let connection = connect(database)?;
    connection
        .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")
        .map_err(failed)?;
    Ok(connection)
}

/// A passive checkpoint (one that waits for no one): the log's length and how many of its frames
/// are now copied into the database file.
fn checkpoint(connection: &Connection) -> StoreResult<(i64, i64)> {
    connection
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        })
        .map_err(failed)
}

/// Before a commit of the capture writer: when the checkpoint thread last found the log longer
/// than `restart_frames`, copies the frames it has not copied yet (what was written since; it
/// has copied the rest), so that this commit, finding the log copied in full, writes it from its
/// beginning again. Once per report of the checkpoint thread, whatever the outcome: a reader
/// still reading old frames keeps them from being copied, and then the next report tries again.
fn restart_log_when_long(connection: &Connection, log_frames: &std::sync::atomic::AtomicI64, restart_frames: i64) {
    if log_frames.swap(0, std::sync::atomic::Ordering::Relaxed) >= restart_frames {
        if let Err(error) = checkpoint(connection) {
            tracing::warn!(%error, "checkpoint before restarting the write-ahead log failed");
        }
    }
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
    let mut inserter = Inserter::new(connection, *owner, &job, *visibility, *record_time, keys)?;
    let accepted = offer_events(events, keys, &mut job, |index| {
        inserter.offer(&events[index].1, &keys[index], &bodies[index])
    })?;
    job.captured_count = accepted.len() as u64;
    job.success = job.errors.is_empty();
    if rolls_back(&job) {
        // Whatever was written goes with the transaction or savepoint.
        return Ok(job);
    }
    inserter.flush()?;
    drop(inserter);
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

/// The most rows one multi-row statement of [`Inserter`] writes; the accepted events are written
/// in runs of this many (and their identifiers and links with them).
const MOST_ROWS: usize = 64;

/// A multi-row `INSERT`: `head`, then `VALUES` with one group of `columns` parameters per row,
/// then `tail`. Its texts for 1, 2, 4, ... [`MOST_ROWS`] rows are made once per process, so
/// that any number of rows is written by at most log2([`MOST_ROWS`]) + 1 cached statements.
struct MultiRow {
    head: &'static str,
    columns: usize,
    tail: &'static str,
    texts: std::sync::OnceLock<Vec<String>>,
}

impl MultiRow {
    const fn new(head: &'static str, columns: usize, tail: &'static str) -> MultiRow {
        MultiRow {
            head,
            columns,
            tail,
            texts: std::sync::OnceLock::new(),
        }
    }

    /// The statement's text for `rows` rows, a power of two up to [`MOST_ROWS`].
    fn text(&self, rows: usize) -> &str {
        let texts = self.texts.get_or_init(|| {
            let group = format!("({})", vec!["?"; self.columns].join(", "));
            std::iter::successors(Some(1), |rows| Some(rows * 2))
                .take_while(|rows| *rows <= MOST_ROWS)
                .map(|rows| {
                    format!(
                        "{} VALUES {}{}",
                        self.head,
                        vec![group.as_str(); rows].join(", "),
                        self.tail
                    )
                })
                .collect()
        });
        &texts[rows.trailing_zeros() as usize]
    }

    /// Runs the statement over `rows`, in pieces of powers of two: `bind` binds one row's values
    /// from the given parameter index on, `run` executes the bound statement.
    fn run<R>(
        &self,
        connection: &Connection,
        rows: &[R],
        mut bind: impl FnMut(&mut CachedStatement<'_>, usize, &R) -> rusqlite::Result<()>,
        mut run: impl FnMut(&mut CachedStatement<'_>) -> rusqlite::Result<()>,
    ) -> StoreResult<()> {
        let mut rest = rows;
        while !rest.is_empty() {
            // The largest power of two not above what is left (and MOST_ROWS).
            let size = 1usize << rest.len().min(MOST_ROWS).ilog2();
            let (piece, after) = rest.split_at(size);
            let mut statement = connection.prepare_cached(self.text(size)).map_err(failed)?;
            for (position, row) in piece.iter().enumerate() {
                bind(&mut statement, position * self.columns + 1, row).map_err(failed)?;
            }
            run(&mut statement).map_err(failed)?;
            rest = after;
        }
        Ok(())
    }
}

// `OR FAIL` and `OR IGNORE` rather than the default `ABORT`: a multi-row statement that may
// abort keeps a statement journal, a copy of every page it changes, to undo its own rows (8 %
// of this thread's instructions went to those copies; docs/performance.md). None of these rows can violate a constraint (they were
// decided under the write lock); if one did, the error fails the document, which its
// transaction or savepoint undoes.
static INSERT_EVENTS: MultiRow = MultiRow::new(
    "INSERT OR FAIL INTO epcis_event_records (seq, hash_key, hash_text, event_id, owner_organization_id, capture_id, visibility, \
     event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, body, context_id)",
    17,
    "",
);
/// Identifiers with the ids chosen for them; those already stored are skipped.
static INSERT_IDENTIFIERS: MultiRow = MultiRow::new("INSERT OR IGNORE INTO epcis_identifiers (id, value)", 2, "");
/// Links; one an event names twice (same identifier and role) is written once.
static INSERT_LINKS: MultiRow = MultiRow::new(
    "INSERT OR IGNORE INTO epcis_event_links (identifier_id, role, event_seq, quantity, uom)",
    5,
    "",
);

/// An accepted event not yet written.
struct Pending<'e> {
    event: &'e CapturedEvent,
    key: &'e [u8],
    body: &'e str,
    seq: i64,
    context_id: i64,
}

/// Stores the events of one capture as they are offered: each event, the contexts (one row per
/// distinct context of the document), the identifiers not yet interned and the links.
///
/// Whether an event is new is decided as it is offered, against what the store held before the
/// document (read for the whole document at once, [`Inserter::new`]) and the document's earlier
/// events (`offer_events`); the accepted events are then written [`MOST_ROWS`] at a time by
/// multi-row statements ([`Inserter::flush`]), with the sequence numbers and identifier ids
/// chosen here: this thread holds the database's write lock throughout. One statement per row
/// cost a third of this thread's instructions in ending statements and opening and closing
/// cursors on the table and its six indexes (docs/performance.md).
struct Inserter<'t, 'e> {
    connection: &'t Connection,
    owner: String,
    capture: String,
    visibility: &'static str,
    record_time: i64,
    contexts: Vec<(&'e serde_json::Value, i64)>,
    /// The identifiers interned so far (foldhash: SipHash was 4 % of this thread's time).
    identifiers: foldhash::HashMap<&'e str, i64>,
    /// The hash keys of the document that the store held before it.
    stored: foldhash::HashSet<Vec<u8>>,
    /// The accepted events not yet written.
    pending: Vec<Pending<'e>>,
    /// The sequence number of the next accepted event, and the id of the next new identifier.
    next_seq: i64,
    next_identifier: i64,
    by_hash: CachedStatement<'t>,
    by_id: CachedStatement<'t>,
    insert_context: CachedStatement<'t>,
    find_identifier: CachedStatement<'t>,
}

/// Hash keys looked up by one statement of [`Inserter::new`].
const KEYS_PER_LOOKUP: usize = 512;

impl<'t, 'e> Inserter<'t, 'e> {
    /// An inserter for the document whose events have the hash keys `keys`.
    fn new(
        connection: &'t Connection,
        owner: OrganizationId,
        job: &CaptureJob,
        visibility: Visibility,
        record_time: i64,
        keys: &[Vec<u8>],
    ) -> StoreResult<Inserter<'t, 'e>> {
        let prepare = |sql: &str| connection.prepare_cached(sql).map_err(failed);
        let next = |sql: &str| -> StoreResult<i64> {
            connection
                .prepare_cached(sql)
                .and_then(|mut statement| statement.query_row([], |row| row.get::<_, Option<i64>>(0)))
                .map(|last| last.unwrap_or(0) + 1)
                .map_err(failed)
        };
        Ok(Inserter {
            connection,
            owner: owner.to_string(),
            capture: job.capture_id.to_string(),
            visibility: visibility.as_str(),
            record_time,
            contexts: Vec::new(),
            identifiers: foldhash::HashMap::default(),
            stored: stored_keys(connection, keys)?,
            pending: Vec::with_capacity(MOST_ROWS),
            next_seq: next("SELECT max(seq) FROM epcis_event_records")?,
            next_identifier: next("SELECT max(id) FROM epcis_identifiers")?,
            // Through the index of the keys' first 8 bytes (migration 0010), then in full.
            by_hash: prepare(
                "SELECT event_id FROM epcis_event_records WHERE substr(hash_key, 1, 8) = substr(?1, 1, 8) \
                 AND hash_key = ?1",
            )?,
            by_id: prepare("SELECT 1 FROM epcis_event_records WHERE event_id = ?1")?,
            insert_context: prepare("INSERT INTO epcis_contexts (context) VALUES (?1)")?,
            find_identifier: prepare("SELECT id FROM epcis_identifiers WHERE value = ?1")?,
        })
    }

    /// The event_id of the stored event with hash key `key`, if one is stored.
    fn stored_with(&mut self, key: &[u8]) -> StoreResult<Option<Option<String>>> {
        self.by_hash
            .query_row([key], |row| row.get::<_, Option<String>>(0))
            .optional()
            .map_err(failed)
    }

    /// Accepts `event` unless the store holds it already or its eventID is taken; accepted
    /// events are written by [`Inserter::flush`].
    fn offer(&mut self, event: &'e CapturedEvent, key: &'e [u8], body: &'e str) -> StoreResult<Offered> {
        // A stored event with the same hash makes this one a duplicate (the hash index is not
        // unique, see migration 0010: the look-up and the insert run in one write transaction).
        if self.stored.contains(key) {
            return Ok(Offered::Duplicate);
        }
        if event.event_id != event.event_hash {
            // A given eventID is taken by an event that was given it, or by an event whose hash
            // it is and that was given no other. (The document's earlier events, not yet written,
            // cannot take it: `offer_events` counts an eventID met twice as a duplicate.)
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
        self.pending.push(Pending {
            event,
            key,
            body,
            seq: self.next_seq,
            context_id,
        });
        self.next_seq += 1;
        if self.pending.len() == MOST_ROWS {
            self.flush()?;
        }
        Ok(Offered::Accepted)
    }

    /// Writes the pending events, their identifiers not yet interned and their links.
    fn flush(&mut self) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        // Most identifiers of a capture are new (serialised items seen once): each gets the next
        // id and is inserted; those the store held already are skipped by the insert and then
        // looked up.
        let mut fresh: Vec<(i64, &'e str)> = Vec::new();
        for identifier in pending.iter().flat_map(|pending| &pending.event.identifiers) {
            let value = identifier.value.as_str();
            if let std::collections::hash_map::Entry::Vacant(entry) = self.identifiers.entry(value) {
                entry.insert(self.next_identifier);
                fresh.push((self.next_identifier, value));
                self.next_identifier += 1;
            }
        }
        let mut written = 0;
        INSERT_IDENTIFIERS.run(
            self.connection,
            &fresh,
            |statement, first, (id, value)| {
                statement.raw_bind_parameter(first, id)?;
                statement.raw_bind_parameter(first + 1, value)
            },
            |statement| {
                written += statement.raw_execute()?;
                Ok(())
            },
        )?;
        if written < fresh.len() {
            // Some were stored already: those whose chosen ids are not in the table (a scan of
            // the ids just chosen, instead of a `RETURNING` clause that cost a third of the insert).
            let (first, last) = (fresh[0].0, fresh[fresh.len() - 1].0);
            let mut inserted = foldhash::HashSet::<i64>::default();
            let mut statement = self
                .connection
                .prepare_cached("SELECT id FROM epcis_identifiers WHERE id BETWEEN ?1 AND ?2")
                .map_err(failed)?;
            let mut rows = statement.query([first, last]).map_err(failed)?;
            while let Some(row) = rows.next().map_err(failed)? {
                inserted.insert(row.get(0).map_err(failed)?);
            }
            for (id, value) in &fresh {
                if !inserted.contains(id) {
                    let stored = self
                        .find_identifier
                        .query_row([value], |row| row.get::<_, i64>(0))
                        .map_err(failed)?;
                    self.identifiers.insert(value, stored);
                }
            }
        }
        let (owner, capture, visibility, record_time) = (&self.owner, &self.capture, self.visibility, self.record_time);
        INSERT_EVENTS.run(
            self.connection,
            &pending,
            |statement, first, pending| {
                let Pending {
                    event,
                    key,
                    body,
                    seq,
                    context_id,
                } = pending;
                // A hash kept as text has its UTF-8 bytes as key (`hash_key`); a digest never
                // equals the 89-character text it was read from.
                let hash_text = (*key == event.event_hash.as_bytes()).then_some(event.event_hash.as_str());
                let given_id = (event.event_id != event.event_hash).then_some(event.event_id.as_str());
                let values: [&dyn rusqlite::ToSql; 17] = [
                    seq,
                    key,
                    &hash_text,
                    &given_id,
                    owner,
                    capture,
                    &visibility,
                    &event.event_type,
                    &micros(event.event_time),
                    &record_time,
                    &event.action,
                    &event.biz_step,
                    &event.disposition,
                    &event.read_point,
                    &event.biz_location,
                    body,
                    context_id,
                ];
                for (offset, value) in values.into_iter().enumerate() {
                    statement.raw_bind_parameter(first + offset, value)?;
                }
                Ok(())
            },
            |statement| statement.raw_execute().map(drop),
        )?;
        let links: Vec<(i64, &EventIdentifier, i64)> = pending
            .iter()
            .flat_map(|pending| {
                pending
                    .event
                    .identifiers
                    .iter()
                    .map(|identifier| (self.identifiers[identifier.value.as_str()], identifier, pending.seq))
            })
            .collect();
        INSERT_LINKS.run(
            self.connection,
            &links,
            |statement, first, (id, identifier, seq)| {
                statement.raw_bind_parameter(first, id)?;
                statement.raw_bind_parameter(first + 1, identifier.role.as_str())?;
                statement.raw_bind_parameter(first + 2, seq)?;
                statement.raw_bind_parameter(first + 3, &identifier.quantity)?;
                statement.raw_bind_parameter(first + 4, &identifier.uom)
            },
            |statement| statement.raw_execute().map(drop),
        )?;
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }
}

/// Those of `keys` that the store holds (duplicates of stored events), looked up through the
/// index of the keys' first 8 bytes, [`KEYS_PER_LOOKUP`] at a time and in key order.
fn stored_keys(connection: &Connection, keys: &[Vec<u8>]) -> StoreResult<foldhash::HashSet<Vec<u8>>> {
    let mut prefixes: Vec<&[u8]> = keys.iter().map(|key| &key[..key.len().min(8)]).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    let wanted: foldhash::HashSet<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let mut stored = foldhash::HashSet::default();
    for chunk in prefixes.chunks(KEYS_PER_LOOKUP) {
        // A power of two of parameters, the last prefix repeated to fill them, so that few
        // statement texts are cached.
        let size = chunk.len().next_power_of_two();
        let sql = format!(
            "SELECT hash_key FROM epcis_event_records WHERE substr(hash_key, 1, 8) IN ({})",
            vec!["?"; size].join(", ")
        );
        let mut statement = connection.prepare_cached(&sql).map_err(failed)?;
        let padding = std::iter::repeat_n(chunk[chunk.len() - 1], size - chunk.len());
        let mut rows = statement
            .query(rusqlite::params_from_iter(chunk.iter().copied().chain(padding)))
            .map_err(failed)?;
        while let Some(row) = rows.next().map_err(failed)? {
            let key: Vec<u8> = row.get(0).map_err(failed)?;
            if wanted.contains(key.as_slice()) {
                stored.insert(key);
            }
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The length of the write-ahead log after a writer that never pauses has committed 1,500
    /// transactions of three 4,000-byte rows, with checkpoints as the capture writer has them,
    /// the log started over past `restart_frames`.
    fn log_length_after_a_busy_writer(restart_frames: i64) -> u64 {
        let directory = std::env::temp_dir().join(format!("checkpoints-{}-{restart_frames}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("a directory");
        let database = directory.join("junkan.db");
        let writer = Connection::open(&database).expect("a database");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE rows (body BLOB NOT NULL);",
            )
            .expect("set up");
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let log_frames = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let checkpointer = {
            let (database, frames) = (database.clone(), log_frames.clone());
            std::thread::spawn(move || {
                checkpoint_beside(&database, &woken, &frames, std::time::Duration::from_millis(2))
            })
        };
        for _ in 0..1500 {
            restart_log_when_long(&writer, &log_frames, restart_frames);
            writer
                .execute_batch(
                    "BEGIN; INSERT INTO rows (body) VALUES (randomblob(4000)), (randomblob(4000)), (randomblob(4000)); COMMIT;",
                )
                .expect("a commit");
            let _ = wake.try_send(());
        }
        drop(wake);
        checkpointer.join().expect("the checkpoint thread ends with the writer");
        let length = std::fs::metadata(directory.join("junkan.db-wal"))
            .expect("the log")
            .len();
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM rows", [], |row| row.get(0))
            .expect("counted");
        assert_eq!(rows, 4500, "every commit kept");
        drop(writer);
        std::fs::remove_dir_all(&directory).expect("removed");
        length
    }

    #[test]
    fn the_log_starts_over_although_the_writer_never_pauses() {
        let restarted = log_length_after_a_busy_writer(64);
        let never = log_length_after_a_busy_writer(i64::MAX);
        // Never started over, the log holds every frame written (31.7 MB here); started over, it
        // stayed at 5.7–8.1 MB in three runs (a restart waits for a report of the checkpoint
        // thread, and one that finds it busy waits for the next).
        assert!(
            restarted * 2 < never,
            "started over: {restarted} bytes; never: {never} bytes"
        );
    }

    #[test]
    fn the_log_is_synced_and_its_directory_once_per_file() {
        let directory = std::env::temp_dir().join(format!("sync-wal-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("a directory");
        let wal = directory.join("junkan.db-wal");
        let mut entry_synced = None;
        // No log file: the capture cannot be made durable, and says so.
        assert!(sync_wal(&wal, &mut entry_synced).is_err());
        assert_eq!(entry_synced, None);
        std::fs::write(&wal, b"frames").expect("a log file");
        sync_wal(&wal, &mut entry_synced).expect("synced");
        let first = entry_synced.expect("its directory entry synced");
        sync_wal(&wal, &mut entry_synced).expect("synced again");
        assert_eq!(entry_synced, Some(first));
        // A new log file (another inode) has its directory entry synced again.
        let replacement = directory.join("replacement");
        std::fs::write(&replacement, b"other frames").expect("another file");
        std::fs::rename(&replacement, &wal).expect("replaced");
        sync_wal(&wal, &mut entry_synced).expect("synced");
        assert_ne!(entry_synced, Some(first));
        std::fs::remove_dir_all(&directory).expect("removed");
    }
}
