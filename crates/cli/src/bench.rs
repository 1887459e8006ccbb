//! Benchmark programs (`junkan bench ingest|trace|resolve|footprints|rollup|ui`): synthetic data
//! written through the real preparation and store paths, with figures printed as JSON. They
//! measure; only `bench rollup` also checks a result (the store's roll-up must equal the
//! in-memory one), since a fast wrong roll-up would be no figure at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};

use junkan_epcis::{prepare_document_owned, Syntax};
use junkan_model::event::{CaptureErrorBehaviour, CapturedEvent, EventQuery, IdentifierFilter, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::organization::{CompanySize, NewOrganization, OrganizationType};
use junkan_model::page::PageRequest;
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_store::{NewCapture, Store, SystemClock};
use junkan_store_sql::SqlStore;

const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
const PREFIX: &str = "4599990";

/// A fresh store for a benchmark: a new SQLite file in a temporary directory, or the database at
/// `database_url` (which then receives the benchmark's data).
pub async fn bench_store(database_url: Option<&str>) -> anyhow::Result<(SqlStore, String)> {
    let url = match database_url {
        Some(url) => url.to_owned(),
        None => {
            let directory = std::env::temp_dir().join(format!("junkan-bench-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&directory)?;
            TEMPORARY_DIRECTORIES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(directory.clone());
            format!("sqlite://{}", directory.join("junkan.db").display())
        }
    };
    let store = junkan_store_sql::open(&url, Arc::new(SystemClock))
        .await
        .context("opening the benchmark store")?;
    store.migrate().await?;
    Ok((store, url))
}

/// The directories of the temporary SQLite files the benchmarks made ([`bench_store`]).
static TEMPORARY_DIRECTORIES: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes the temporary SQLite files the benchmarks made (a 10-million-event store takes
/// gigabytes); called when a benchmark ends, whether it succeeded or not.
pub fn remove_temporary_files() {
    let directories = std::mem::take(
        &mut *TEMPORARY_DIRECTORIES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for directory in directories {
        if let Err(error) = std::fs::remove_dir_all(&directory) {
            tracing::warn!(directory = %directory.display(), %error, "could not remove a benchmark's temporary files");
        }
    }
}

async fn bench_actor(store: &SqlStore) -> anyhow::Result<Actor> {
    let organization = store
        .create_organization(
            &Actor::system(),
            NewOrganization {
                name_ja: format!("ベンチマーク{}", uuid::Uuid::new_v4().simple()),
                name_en: "Benchmark".to_owned(),
                organization_type: OrganizationType::Company,
                company_size: Some(CompanySize::Large),
                corporate_number: None,
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: Some("13".to_owned()),
                industries: vec![],
                roles: vec![],
                website: None,
            },
        )
        .await?;
    Ok(Actor {
        kind: PrincipalKind::Client,
        principal_id: "bench".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::Member],
        purpose: Some("benchmark".to_owned()),
        request_id: None,
        grant: None,
    })
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|line| line.split_whitespace().nth(1).and_then(|kib| kib.parse::<f64>().ok()))
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

fn lot(item: u64, lot: u64) -> String {
    format!("urn:epc:class:lgtin:{PREFIX}.0{:05}.L{lot}", item % 100_000)
}

/// The second input of chain `chain`'s transformation at `level`: a lot of an additive shared by
/// [`CHAINS_PER_ADDITIVE_LOT`] chains. (It was shared by `chain % 1000`, i.e. by a number of
/// chains that grew with the store, `events / 200,000`: 50 consumers per lot at 10 M events
/// against 5 at 1 M, so a bigger store also meant a different supply chain.)
fn additive_lot(chain: u64, level: u64) -> String {
    lot(90_000 + (chain / CHAINS_PER_ADDITIVE_LOT) % 10_000, level)
}

/// How many production runs (chains) one lot of the additive goes into, whatever the store's size.
const CHAINS_PER_ADDITIVE_LOT: u64 = 5;

fn item(serial: u64) -> String {
    format!("urn:epc:id:sgtin:{PREFIX}.012345.S{serial}")
}

/// Event `number` of the synthetic stream: every tenth a transformation of the previous lot of
/// its chain into the next, the rest object events on serialised items.
fn synthetic_event(number: u64, chains: u64) -> Value {
    let time = format!(
        "2026-01-01T{:02}:{:02}:{:02}.{:03}+09:00",
        (number / 3_600_000) % 24,
        (number / 60_000) % 60,
        (number / 1000) % 60,
        number % 1000
    );
    if number.is_multiple_of(10) {
        let step = number / 10;
        let (chain, level) = (step % chains, step / chains);
        json!({"type": "TransformationEvent", "eventTime": time, "eventTimeZoneOffset": "+09:00",
               "inputQuantityList": [{"epcClass": lot(chain, level), "quantity": 100, "uom": "KGM"}, {"epcClass": additive_lot(chain, level), "quantity": 25, "uom": "KGM"}],
               "outputQuantityList": [{"epcClass": lot(chain, level + 1), "quantity": 120, "uom": "KGM"}],
               "bizStep": "commissioning"})
    } else {
        json!({"type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": "+09:00", "action": "OBSERVE",
               "epcList": [item(number)], "bizStep": "shipping", "readPoint": {"id": format!("urn:epc:id:sgln:{PREFIX}.00001.0")}})
    }
}

fn document(events: Vec<Value>) -> Value {
    json!({"@context": [CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
           "epcisBody": {"eventList": events}})
}

/// One synthetic document of the stream as a client sends it (JSON text).
fn synthetic_document(first: u64, size: u64, chains: u64) -> Vec<u8> {
    let document = document(
        (first..first + size)
            .map(|index| synthetic_event(index, chains))
            .collect(),
    );
    serde_json::to_vec(&document).expect("a JSON value serialises")
}

/// Events generated ahead of each timed round: the documents that clients have ready to send.
/// Generating them is the clients' work, not the node's, so it runs before the round's clock
/// starts and does not compete with the capture for the machine's two cores; bounded so that a
/// 10-million-event load does not hold every document in memory at once.
const ROUND_EVENTS: u64 = 100_000;

/// The documents of events `first..first + count` in documents of `batch`, as JSON text,
/// generated on two threads.
async fn generate_round(first: u64, count: u64, batch: u64, chains: u64) -> anyhow::Result<Vec<Vec<u8>>> {
    let starts: Vec<u64> = (first..first + count).step_by(batch as usize).collect();
    let end = first + count;
    let texts = tokio::task::spawn_blocking(move || {
        let (front, back) = starts.split_at(starts.len() / 2);
        let make = |starts: &[u64]| -> Vec<Vec<u8>> {
            starts
                .iter()
                .map(|&start| synthetic_document(start, batch.min(end - start), chains))
                .collect()
        };
        std::thread::scope(|scope| {
            let back = scope.spawn(|| make(back));
            let mut texts = make(front);
            texts.extend(back.join().expect("generating a document does not panic"));
            texts
        })
    })
    .await?;
    Ok(texts)
}

/// A document prepared for capture, with the seconds its preparation (parsing its text,
/// validation, hash, canonical identifiers) took.
struct PreparedDocument {
    events: Vec<(String, CapturedEvent)>,
    prepare_seconds: f64,
}

/// A document's text read and prepared as the capture route does it.
fn prepared_document(text: Vec<u8>) -> anyhow::Result<PreparedDocument> {
    let started = Instant::now();
    let document: Value = serde_json::from_slice(&text)?;
    drop(text);
    let prepared = prepare_document_owned(document, Syntax::Json)
        .map_err(|problems| anyhow::anyhow!("synthetic events invalid: {problems:?}"))?;
    let prepare_seconds = started.elapsed().as_secs_f64();
    let events = prepared
        .into_iter()
        .enumerate()
        .map(|(index, event)| (format!("/epcisBody/eventList/{index}"), event))
        .collect();
    Ok(PreparedDocument {
        events,
        prepare_seconds,
    })
}

/// Name of the threads that prepare the benchmark's documents.
const PREPARE_THREAD: &str = "bench-prepare";
/// Name prefix of the SQLite connections' worker threads (sqlx), as Linux keeps it (15 bytes).
const SQLITE_THREAD: &str = "sqlx-sqlite-wor";
/// The embedded store's capture writer thread.
const CAPTURE_THREAD: &str = junkan_store_sql::CAPTURE_THREAD_NAME;
/// The embedded store's threads beside the capture writer: the one that syncs the write-ahead log
/// and answers captures, and the one that copies the log into the database file.
const LOG_THREADS: [&str; 2] = [
    junkan_store_sql::SYNC_THREAD_NAME,
    junkan_store_sql::CHECKPOINT_THREAD_NAME,
];

/// CPU seconds of the process, by where they were spent: at one moment, or between two.
#[derive(Default, Clone, Copy)]
struct Cpu {
    /// The whole process, ended threads included.
    process: f64,
    /// The live threads that prepare documents.
    prepare_threads: f64,
    /// The SQLite worker threads (executing statements, B-trees, WAL).
    sqlite: f64,
    /// The embedded store's capture writer (binding values, executing its statements).
    capture: f64,
    /// The threads that sync the write-ahead log and copy it into the database file.
    log: f64,
    /// Time the capture writer was runnable but waiting for a core (other threads had both).
    capture_waiting: f64,
    /// Every live thread (the three above and the async runtime's).
    live: f64,
}

impl Cpu {
    fn now() -> Cpu {
        Cpu {
            process: crate::cpu::process_seconds(),
            prepare_threads: crate::cpu::threads_seconds(PREPARE_THREAD),
            sqlite: crate::cpu::threads_seconds(SQLITE_THREAD),
            capture: crate::cpu::threads_seconds(CAPTURE_THREAD),
            log: LOG_THREADS.iter().map(|name| crate::cpu::threads_seconds(name)).sum(),
            capture_waiting: crate::cpu::threads_waiting_seconds(CAPTURE_THREAD),
            live: crate::cpu::threads_seconds(""),
        }
    }

    /// What was spent from `self` to `later`, added to `total`.
    fn add_until(&self, later: &Cpu, total: &mut Cpu) {
        total.process += later.process - self.process;
        total.prepare_threads += later.prepare_threads - self.prepare_threads;
        total.sqlite += later.sqlite - self.sqlite;
        total.capture += later.capture - self.capture;
        total.log += later.log - self.log;
        total.capture_waiting += later.capture_waiting - self.capture_waiting;
        total.live += later.live - self.live;
    }

    /// CPU microseconds per event of what was spent (`self`), by stage. `prepare` is the
    /// preparing threads, which end with each round, with the threads `prepare_document_owned` starts:
    /// the threads that ended meanwhile; `sqlite` the database's worker threads (sqlx);
    /// `capture_writer` the embedded store's capture thread (binding values and executing the
    /// capture's statements); `log_sync_and_checkpoint` its two threads beside (syncing the
    /// write-ahead log, copying it into the database file); `runtime` the async runtime (the capture's own logic, serialising
    /// bodies; with PostgreSQL also building statements and binding their values).
    fn per_event(&self, events: u64) -> Value {
        let per_event = |seconds: f64| round(seconds.max(0.0) * 1e6 / events.max(1) as f64);
        let ended_threads = self.process - self.live;
        json!({
            "total": per_event(self.process),
            "prepare": per_event(self.prepare_threads + ended_threads),
            "sqlite_worker": per_event(self.sqlite),
            "capture_writer": per_event(self.capture),
            "log_sync_and_checkpoint": per_event(self.log),
            "runtime": per_event(self.live - self.prepare_threads - self.sqlite - self.capture - self.log),
        })
    }

    /// How the timed `seconds` went, as shares of them: the process's CPU against the machine's
    /// two cores, and the capture writer's time running, waiting for a core while runnable, and
    /// idle (waiting for documents, or for `fsync`). The writer is the stage every event passes
    /// through one at a time, so its idle and waiting shares are throughput lost.
    fn shares(&self, seconds: f64) -> Value {
        let share = |part: f64| round(part.max(0.0) / seconds.max(f64::MIN_POSITIVE));
        let cores = std::thread::available_parallelism().map_or(1, |count| count.get()) as f64;
        json!({
            "process_of_all_cores": share(self.process / cores),
            "capture_writer_running": share(self.capture),
            "capture_writer_waiting_for_a_core": share(self.capture_waiting),
            "capture_writer_idle": share(seconds - self.capture - self.capture_waiting),
        })
    }
}

/// What the timed rounds of an ingest took.
#[derive(Default)]
struct Timing {
    seconds: f64,
    prepare_seconds: f64,
    store_seconds: f64,
    generate_seconds: f64,
    cpu: Cpu,
}

/// How many documents `bench ingest` prepares and stores at once, as that many clients would
/// send them.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline {
    /// Threads reading and preparing documents (request handlers).
    pub preparers: usize,
    /// Documents handed to the store and not yet answered (clients waiting for their answer).
    pub in_flight: usize,
}

impl Default for Pipeline {
    /// Two clients: two documents prepared and two stored at once.
    fn default() -> Pipeline {
        Pipeline {
            preparers: 2,
            in_flight: 2,
        }
    }
}

/// Captures `events` synthetic events in documents of `batch`; returns the figures.
///
/// In rounds of [`ROUND_EVENTS`]: a round's documents are generated first, then the clock runs
/// while they are captured as a server with several clients would: documents are read and
/// prepared on `pipeline.preparers` threads (two by default) while up to `pipeline.in_flight`
/// (two by default) are being stored (one prepared document waits at most). `prepare_seconds` and `store_seconds` are the time spent in each stage, so their
/// rates are those of each stage alone; `events_per_second` is end to end over the timed rounds.
/// `cpu_us_per_event` is CPU time in the timed rounds, which other programs on the machine do not
/// inflate.
async fn ingest(store: &SqlStore, actor: &Actor, events: u64, batch: u64, chains: u64) -> anyhow::Result<Value> {
    ingest_from(store, actor, 0..events, batch, chains, None, Pipeline::default()).await
}

/// [`ingest`] of the events numbered `numbers` (a second run into the same database then
/// captures new events rather than duplicates).
async fn ingest_from(
    store: &SqlStore,
    actor: &Actor,
    numbers: std::ops::Range<u64>,
    batch: u64,
    chains: u64,
    signer: Option<&junkan_server::AppState>,
    pipeline: Pipeline,
) -> anyhow::Result<Value> {
    let load_at_start = load_average();
    let round_events = (ROUND_EVENTS / batch).max(1) * batch;
    let mut timing = Timing::default();
    let events = numbers.end - numbers.start;
    let (mut first, end) = (numbers.start, numbers.end);
    while first < end {
        let count = round_events.min(end - first);
        let generating = Instant::now();
        let texts = generate_round(first, count, batch, chains).await?;
        timing.generate_seconds += generating.elapsed().as_secs_f64();
        capture_round(store, actor, texts, &mut timing, signer, pipeline).await?;
        first += count;
    }
    Ok(json!({
        "events": events, "batch": batch, "seconds": round(timing.seconds),
        "events_per_second": round(events as f64 / timing.seconds),
        "prepare_seconds": round(timing.prepare_seconds), "store_seconds": round(timing.store_seconds),
        "prepare_events_per_second": round(events as f64 / timing.prepare_seconds),
        "store_events_per_second": round(events as f64 / timing.store_seconds),
        "generate_seconds_untimed": round(timing.generate_seconds),
        "cpu_us_per_event": timing.cpu.per_event(events),
        "time_shares": timing.cpu.shares(timing.seconds),
        "load_average_start": load_at_start, "load_average_end": load_average(),
    }))
}

/// Captures the documents `texts` (one timed round of [`ingest`]), adding to `timing`.
async fn capture_round(
    store: &SqlStore,
    actor: &Actor,
    texts: Vec<Vec<u8>>,
    timing: &mut Timing,
    signer: Option<&junkan_server::AppState>,
    pipeline: Pipeline,
) -> anyhow::Result<()> {
    let cpu_start = Cpu::now();
    let started = Instant::now();
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<anyhow::Result<PreparedDocument>>(1);
    // Clients' documents are read and prepared at once (two by default), as a server's request
    // handlers would on two cores: each thread takes the next document not yet taken.
    let texts = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(texts)));
    let preparers = (0..pipeline.preparers)
        .map(|_| {
            let (sender, texts) = (sender.clone(), texts.clone());
            std::thread::Builder::new()
                .name(PREPARE_THREAD.to_owned())
                .spawn(move || loop {
                    let Some(text) = texts.lock().expect("no preparing thread panics").pop_front() else {
                        break;
                    };
                    if sender.blocking_send(prepared_document(text)).is_err() {
                        break;
                    }
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    drop(sender);
    // Up to `in_flight` documents are being stored at once, as from that many clients: while one
    // is written, the next one's bodies are serialised, and those queued behind the writer go
    // into its next commit together (group commit).
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let mut receiving = true;
    let mut busy_since: Option<Instant> = None;
    loop {
        tokio::select! {
            prepared = receiver.recv(), if receiving && in_flight.len() < pipeline.in_flight => {
                let Some(prepared) = prepared else {
                    receiving = false;
                    continue;
                };
                let prepared = prepared?;
                timing.prepare_seconds += prepared.prepare_seconds;
                let size = prepared.events.len() as u64;
                busy_since.get_or_insert_with(Instant::now);
                in_flight.push(async move {
                    let job = store
                        .capture_events(
                            actor,
                            NewCapture {
                                behaviour: CaptureErrorBehaviour::Rollback,
                                events: prepared.events,
                                errors: vec![],
                                visibility: Visibility::Restricted,
                            },
                        )
                        .await?;
                    anyhow::ensure!(
                        job.success && job.captured_count == size,
                        "capture failed: {:?}",
                        job.errors
                    );
                    // Signed as the API signs a capture (`trust::sign_capture`), after it is stored.
                    if let Some(state) = signer {
                        let signed = junkan_server::trust::sign_capture(state, actor, &job)
                            .await
                            .map_err(|error| anyhow::anyhow!("signing the capture failed: {}", error.status()))?;
                        anyhow::ensure!(signed.is_some(), "the capture was not signed");
                    }
                    anyhow::Ok(())
                });
            }
            Some(done) = futures::StreamExt::next(&mut in_flight), if !in_flight.is_empty() => {
                done?;
                if in_flight.is_empty() {
                    // Storing time is the time during which at least one document was being stored.
                    timing.store_seconds += busy_since.take().map_or(0.0, |since| since.elapsed().as_secs_f64());
                }
            }
            else => break,
        }
    }
    for preparer in preparers {
        preparer
            .join()
            .map_err(|_| anyhow::anyhow!("a preparing thread panicked"))?;
    }
    timing.seconds += started.elapsed().as_secs_f64();
    cpu_start.add_until(&Cpu::now(), &mut timing.cpu);
    Ok(())
}

/// The load averages (1, 5 and 15 minutes) as `/proc/loadavg` gives them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn percentile(samples: &mut [f64], fraction: f64) -> f64 {
    samples.sort_by(|left, right| left.total_cmp(right));
    let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
    samples.get(index).copied().map(round).unwrap_or(0.0)
}

/// `junkan bench ingest`.
pub async fn bench_ingest(
    database_url: Option<&str>,
    events: u64,
    batch: u64,
    log: &str,
    sign: bool,
    pipeline: Pipeline,
) -> anyhow::Result<()> {
    // Which runs: the tamper-evident log on (as a node runs), off, or both one after the other
    // (off first), each into a fresh SQLite file or, on a given database, with new events; with
    // `--sign`, one more run with the log on and every capture signed (as a node runs by default).
    let mut runs: Vec<(bool, bool)> = match log {
        "on" => vec![(true, false)],
        "off" => vec![(false, false)],
        "both" => vec![(false, false), (true, false)],
        other => anyhow::bail!("--log {other:?}: expected on, off or both"),
    };
    if sign {
        runs.push((true, true));
    }
    let mut results = serde_json::Map::new();
    for (position, (logged, signed)) in runs.iter().enumerate() {
        let (store, url) = bench_store(database_url).await?;
        let store = if *logged { store } else { store.without_log() };
        let actor = bench_actor(&store).await?;
        let signer = if *signed {
            let shared: std::sync::Arc<dyn junkan_store::Store> = std::sync::Arc::new(store.clone());
            Some(junkan_server::AppState::new(shared, junkan_server::Settings::new("http://bench.invalid")).await?)
        } else {
            None
        };
        let start = position as u64 * events;
        let mut figures = ingest_from(
            &store,
            &actor,
            start..start + events,
            batch,
            1000,
            signer.as_ref(),
            pipeline,
        )
        .await?;
        figures["log"] = json!(if *logged { "on" } else { "off" });
        figures["signed"] = json!(signed);
        figures["preparers"] = json!(pipeline.preparers);
        figures["in_flight"] = json!(pipeline.in_flight);
        figures["backend"] = json!(format!("{:?}", store.backend()).to_lowercase());
        figures["database"] = json!(if url.starts_with("sqlite") {
            "sqlite (temporary file)"
        } else {
            "postgres (given URL)"
        });
        figures["peak_rss_mib"] = json!(round(peak_rss_mib()));
        drop(signer);
        store.close().await;
        let name = match (logged, signed) {
            (true, true) => "log_on_signed",
            (true, false) => "log_on",
            (false, _) => "log_off",
        };
        results.insert(name.to_owned(), figures);
    }
    let report = if results.len() == 1 {
        json!({"benchmark": "ingest", "figures": results.into_iter().next().map(|(_, figures)| figures)})
    } else {
        let rate = |name: &str| {
            results
                .get(name)
                .and_then(|figures| figures["events_per_second"].as_f64())
        };
        let share = |part: Option<f64>, whole: Option<f64>| match (part, whole) {
            (Some(part), Some(whole)) => json!(round(part / whole.max(f64::MIN_POSITIVE))),
            _ => Value::Null,
        };
        json!({
            "benchmark": "ingest",
            "log_on_share_of_log_off": share(rate("log_on"), rate("log_off")),
            "signed_share_of_unsigned_log_off": share(rate("log_on_signed"), rate("log_off")),
            "signed_share_of_unsigned_log_on": share(rate("log_on_signed"), rate("log_on")),
            "figures": results,
        })
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// `junkan bench trace`: loads `events` events, then times backward lineages of depth 8 from
/// chain ends and MATCH_epc queries.
pub async fn bench_trace(database_url: Option<&str>, events: u64, samples: u64) -> anyhow::Result<()> {
    let (store, _) = bench_store(database_url).await?;
    let actor = bench_actor(&store).await?;
    let chains = (events / 10 / 20).max(1);
    let load = ingest(&store, &actor, events, 1000, chains).await?;
    let levels = events / 10 / chains;
    let mut lineage_ms = Vec::new();
    // What each lineage read: statements (one per traced level) and events returned by them.
    let mut lineage_statements = Vec::new();
    let mut lineage_events_read = Vec::new();
    let mut nodes = 0;
    for sample in 0..samples {
        let chain = (sample * 7919) % chains;
        let root = junkan_epcis::canonical_identifier(&lot(chain, levels));
        let started = Instant::now();
        let mut tracer = junkan_trace::Tracer::new(&root, junkan_trace::Direction::Backward, 8);
        let (mut statements, mut events_read) = (0u32, 0usize);
        while let Some(wanted) = tracer.wanted() {
            let found = store.lineage_events(&actor, &wanted, &tracer.known_events()).await?;
            statements += 1;
            events_read += found.len();
            tracer.feed(found);
        }
        let lineage = tracer.finish();
        lineage_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        lineage_statements.push(f64::from(statements));
        lineage_events_read.push(events_read as f64);
        nodes = nodes.max(lineage.nodes.len());
    }
    let mut match_ms = Vec::new();
    for sample in 0..samples {
        let serial = (sample * 104_729 % events) | 1;
        let query = EventQuery {
            identifiers: vec![IdentifierFilter {
                roles: vec![IdentifierRole::Epc, IdentifierRole::Child],
                values: vec![junkan_epcis::canonical_identifier(&item(serial))],
                prefixes: vec![],
            }],
            ..EventQuery::default()
        };
        let started = Instant::now();
        let page = store.query_events(&actor, &query, &PageRequest::first(30)).await?;
        match_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(page.items.len() <= 1);
    }
    let figures = json!({
        "events_in_store": events, "load": load, "samples": samples,
        "lineage_depth": 8, "largest_lineage_nodes": nodes,
        "lineage_p50_ms": percentile(&mut lineage_ms.clone(), 0.5), "lineage_p95_ms": percentile(&mut lineage_ms, 0.95),
        "lineage_statements_p50": percentile(&mut lineage_statements, 0.5),
        "lineage_events_read_p50": percentile(&mut lineage_events_read.clone(), 0.5),
        "lineage_events_read_max": percentile(&mut lineage_events_read, 1.0),
        "match_epc_p50_ms": percentile(&mut match_ms.clone(), 0.5), "match_epc_p95_ms": percentile(&mut match_ms, 0.95),
        "backend": format!("{:?}", store.backend()).to_lowercase(),
        "peak_rss_mib": round(peak_rss_mib()),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"benchmark": "trace", "figures": figures}))?
    );
    Ok(())
}

/// The GTIN-14 of synthetic product `number` of the benchmark's company prefix.
fn synthetic_gtin(number: u64) -> String {
    let body = format!("0{PREFIX}{:05}", number % 100_000);
    let digits: Vec<u8> = body.bytes().map(|byte| byte - b'0').collect();
    format!("{body}{}", junkan_gs1::check_digit(&digits))
}

/// Which figures one load phase measured.
struct LoadFigures {
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u32>,
}

/// Reads one HTTP/1.1 response off `buffer` (filled from `stream` as needed): its status.
async fn read_response(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> anyhow::Result<u16> {
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end])?;
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .context("a status line")?;
            let length: usize = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse().ok())
                .context("responses carry Content-Length")?;
            let total = end + 4 + length;
            while buffer.len() < total {
                let mut chunk = [0u8; 16 * 1024];
                let read = stream.read(&mut chunk).await?;
                anyhow::ensure!(read > 0, "connection closed mid-response");
                buffer.extend_from_slice(&chunk[..read]);
            }
            buffer.drain(..total);
            return Ok(status);
        }
        let mut chunk = [0u8; 16 * 1024];
        let read = stream.read(&mut chunk).await?;
        anyhow::ensure!(read > 0, "connection closed");
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// One keep-alive connection sending `pipeline` requests at a time for random identifiers until
/// `deadline`; latency is from a request's write to its response's last byte.
async fn load_connection(
    address: std::net::SocketAddr,
    paths: Arc<Vec<String>>,
    accept: &'static str,
    pipeline: usize,
    seed: u64,
    deadline: Instant,
) -> anyhow::Result<LoadFigures> {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let mut state = seed | 1;
    let mut next_path = || {
        // xorshift64: cheap, and different per connection.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        &paths[(state % paths.len() as u64) as usize]
    };
    let mut figures = LoadFigures {
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_us: Vec::with_capacity(1 << 16),
    };
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut request = Vec::with_capacity(512 * pipeline);
    while Instant::now() < deadline {
        request.clear();
        for _ in 0..pipeline {
            let path = next_path();
            request.extend_from_slice(
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n").as_bytes(),
            );
        }
        let sent = Instant::now();
        stream.write_all(&request).await?;
        for _ in 0..pipeline {
            let status = read_response(&mut stream, &mut buffer).await?;
            figures
                .latencies_us
                .push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
            figures.requests += 1;
            if status != 200 {
                figures.errors += 1;
            }
        }
    }
    Ok(figures)
}

/// Runs `connections` connections for `seconds` on a runtime of its own (one thread, so that the
/// load generator takes at most one core from the server).
fn load(
    address: std::net::SocketAddr,
    paths: Arc<Vec<String>>,
    accept: &'static str,
    connections: u64,
    pipeline: usize,
    seconds: u64,
) -> anyhow::Result<LoadFigures> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let started = Instant::now();
        let deadline = started + std::time::Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..connections)
            .map(|connection| {
                tokio::spawn(load_connection(
                    address,
                    paths.clone(),
                    accept,
                    pipeline,
                    0x9E37_79B9_7F4A_7C15 ^ (connection + 1).wrapping_mul(0x2545_F491_4F6C_DD1D),
                    deadline,
                ))
            })
            .collect();
        let mut total = LoadFigures {
            requests: 0,
            errors: 0,
            seconds: 0.0,
            latencies_us: Vec::new(),
        };
        for task in tasks {
            match task.await? {
                Ok(figures) => {
                    total.requests += figures.requests;
                    total.errors += figures.errors;
                    total.latencies_us.extend(figures.latencies_us);
                }
                Err(error) => {
                    tracing::warn!(%error, "a load connection failed");
                    total.errors += 1;
                }
            }
        }
        total.seconds = started.elapsed().as_secs_f64();
        Ok(total)
    })
}

fn load_summary(name: &str, mut figures: LoadFigures) -> Value {
    figures.latencies_us.sort_unstable();
    let quantile = |fraction: f64| {
        let samples = &figures.latencies_us;
        let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
        samples
            .get(index)
            .map_or(0.0, |micros| round(f64::from(*micros) / 1000.0))
    };
    json!({
        "view": name,
        "requests": figures.requests,
        "errors": figures.errors,
        "seconds": round(figures.seconds),
        "requests_per_second": round(figures.requests as f64 / figures.seconds),
        "p50_ms": quantile(0.5), "p90_ms": quantile(0.9), "p99_ms": quantile(0.99), "max_ms": quantile(1.0),
    })
}

/// `junkan bench resolve`: serves the resolver in process over a store with `passports` public
/// passports, then loads it with `connections` keep-alive connections for `seconds` per view
/// (JSON-LD, then the HTML page), as anonymous callers asking for random identifiers.
pub async fn bench_resolve(
    database_url: Option<&str>,
    passports: u64,
    connections: u64,
    seconds: u64,
    pipeline: usize,
    cache_ttl_seconds: Option<u64>,
) -> anyhow::Result<()> {
    let (store, url) = bench_store(database_url).await?;
    for document in junkan_passport::builtin::documents() {
        store.register_profile(&Actor::system(), document).await?;
    }
    let actor = bench_actor(&store).await?;
    let profiles = [
        "home_appliance",
        "battery",
        "office_equipment",
        "automobile_part",
        "textile",
    ];
    let examples: Vec<Value> = profiles
        .iter()
        .map(|code| junkan_passport::builtin::example(code).context("a shipped example"))
        .collect::<anyhow::Result<_>>()?;
    let started = Instant::now();
    let mut paths = Vec::with_capacity(passports as usize);
    let mut batch = Vec::new();
    for number in 0..passports {
        let gtin = synthetic_gtin(number);
        let index = (number % profiles.len() as u64) as usize;
        batch.push(junkan_model::passport::NewPassport {
            identifier: format!("https://id.gs1.org/01/{gtin}"),
            granularity: junkan_model::passport::Granularity::Model,
            profile: profiles[index].to_owned(),
            status: junkan_model::passport::LifecycleStatus::Original,
            visibility: Visibility::Public,
            data: examples[index].clone(),
            links: vec![],
            note: None,
        });
        // Item URIs: every request falls back from the serial to the model passport.
        paths.push(format!("/01/{gtin}/21/S{number}"));
        if batch.len() == 500 || number + 1 == passports {
            store
                .import_passports(&actor, std::mem::take(&mut batch), false)
                .await?;
        }
    }
    let load_seconds = started.elapsed().as_secs_f64();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let store: Arc<dyn Store> = Arc::new(store);
    let mut settings = junkan_server::Settings::new(&format!("http://{address}"));
    if let Some(seconds) = cache_ttl_seconds {
        settings.resolver_cache_ttl = Duration::from_secs(seconds);
    }
    let ttl = settings.resolver_cache_ttl;
    let state = junkan_server::AppState::new(store, settings).await?;
    let server = tokio::spawn(async move { axum::serve(listener, junkan_server::router(state)).await });
    let paths = Arc::new(paths);
    let mut views = Vec::new();
    for (name, accept) in [("json", "application/json"), ("html", "text/html")] {
        let paths = paths.clone();
        let figures =
            tokio::task::spawn_blocking(move || load(address, paths, accept, connections, pipeline, seconds)).await??;
        views.push(load_summary(name, figures));
    }
    server.abort();
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures = json!({
        "passports": passports, "passports_load_seconds": round(load_seconds),
        "connections": connections, "pipeline": pipeline, "seconds_per_view": seconds,
        "cache_ttl_seconds": ttl.as_secs(),
        "views": views,
        "backend": if url.starts_with("sqlite") { "sqlite (temporary file)" } else { "postgres (given URL)" },
        "load_average": load_average.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "peak_rss_mib": round(peak_rss_mib()),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"benchmark": "resolve", "figures": figures}))?
    );
    Ok(())
}

/// The query string of a timed request, from a random number.
type QueryOf = Box<dyn Fn(u64) -> String>;

/// `junkan bench footprints`: publishes `footprints` synthetic footprints of one organization
/// (restricted, shared with a buyer by one grant covering all of them), then times PACT v3
/// `GET /3/footprints` with filters as the buyer's OAuth client, through the real router (token
/// check, store, audit of the reads under the grant, v3 rendering), one request at a time.
pub async fn bench_footprints(database_url: Option<&str>, footprints: u64, samples: u64) -> anyhow::Result<()> {
    use axum::body::Body;
    use axum::http::{header, Request};
    use tower::ServiceExt;

    let (store, url) = bench_store(database_url).await?;
    let owner = bench_actor(&store).await?;
    let buyer = bench_actor(&store).await?;
    let owner_organization = owner.organization_id.context("bench actors have an organization")?;
    let buyer_organization = buyer.organization_id.context("bench actors have an organization")?;
    let mut admin = owner.clone();
    admin.roles.push(Role::OrgAdmin);
    store
        .create_grant(
            &admin,
            junkan_model::access::NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: junkan_model::access::Grantee::Organization {
                    organization_id: buyer_organization,
                },
                record_kind: junkan_model::access::RecordKind::Footprint,
                record_ids: None,
                level: junkan_model::access::GrantLevel::Full,
                purpose: Some("benchmark".to_owned()),
                expires_at: store.now() + time::Duration::days(30),
                fields: None,
            },
        )
        .await?;
    let families = (footprints / 100).max(1);
    let geographies = ["JP", "JP-13", "JP-27", "DE", "FR", "US", "CN", "KR"];
    let started = Instant::now();
    let mut batch = Vec::new();
    for number in 0..footprints {
        let mut footprint = junkan_footprint::fixtures::cell_footprint();
        footprint.id = junkan_model::ids::FootprintId::derived(&format!("bench-{number}"));
        footprint.product_ids = vec![
            format!("urn:junkan:part:bench-{number}"),
            format!("urn:junkan:family:{}", number % families),
        ];
        footprint.company_ids = vec![format!("urn:junkan:company:{}", number % 50)];
        let code = geographies[(number % geographies.len() as u64) as usize];
        footprint.pcf.geography = if code.contains('-') {
            junkan_footprint::model::Geography::CountrySubdivision(code.to_owned())
        } else {
            junkan_footprint::model::Geography::Country(code.to_owned())
        };
        batch.push(footprint);
        if batch.len() == 5_000 || number + 1 == footprints {
            store
                .create_footprints(&owner, std::mem::take(&mut batch), Visibility::Restricted)
                .await?;
        }
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let _ = owner_organization;

    let store: Arc<dyn Store> = Arc::new(store);
    let state =
        junkan_server::AppState::new(store.clone(), junkan_server::Settings::new("https://junkan.bench")).await?;
    let router = junkan_server::router(state);
    let secret = junkan_auth::secret::generate_secret();
    let client = store
        .create_client(
            &Actor::system(),
            buyer_organization,
            &junkan_model::principal::NewCredential {
                name: "bench".to_owned(),
                roles: vec![Role::Member],
                expires_at: None,
            },
            &junkan_auth::secret::digest(&secret),
        )
        .await?;
    let token_response = router
        .clone()
        .oneshot(
            Request::post("/auth/token")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "grant_type=client_credentials&client_id={}&client_secret={secret}",
                    client.id
                )))?,
        )
        .await?;
    let token_body = http_body_util::BodyExt::collect(token_response.into_body())
        .await?
        .to_bytes();
    let token: Value = serde_json::from_slice(&token_body)?;
    let token = token["access_token"].as_str().context("a token")?.to_owned();
    let mut timings: Vec<(String, Vec<f64>, u64)> = Vec::new();
    let queries: Vec<(&str, QueryOf)> = vec![
        (
            "productId",
            Box::new(|n: u64| format!("productId=urn:junkan:part:bench-{n}")),
        ),
        (
            "productId_family_geography_status",
            Box::new(move |n: u64| {
                format!(
                    "productId=urn:junkan:family:{}&geography=JP&status=Active&limit=100",
                    n % families
                )
            }),
        ),
        (
            "companyId_validOn_limit50",
            Box::new(|n: u64| {
                format!(
                    "companyId=urn:junkan:company:{}&validOn=2025-06-01T00:00:00Z&limit=50",
                    n % 50
                )
            }),
        ),
        (
            "geography_first_page",
            Box::new(|n: u64| format!("geography={}&limit=100", ["JP", "DE", "US"][(n % 3) as usize])),
        ),
    ];
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    for (name, query) in &queries {
        let mut samples_ms = Vec::with_capacity(samples as usize);
        let mut returned = 0;
        for _ in 0..samples {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let path = format!("/3/footprints?{}", query(state % footprints));
            let request = Request::get(&path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())?;
            let began = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let body = http_body_util::BodyExt::collect(response.into_body()).await?.to_bytes();
            samples_ms.push(began.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status.is_success(), "{path} answered {status}");
            let parsed: Value = serde_json::from_slice(&body)?;
            returned += parsed["data"].as_array().map_or(0, Vec::len) as u64;
        }
        timings.push(((*name).to_owned(), samples_ms, returned));
    }
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let queries: Vec<Value> = timings
        .into_iter()
        .map(|(name, mut samples_ms, returned)| {
            json!({
                "query": name, "requests": samples_ms.len(), "footprints_returned": returned,
                "p50_ms": percentile(&mut samples_ms, 0.5), "p99_ms": percentile(&mut samples_ms, 0.99),
                "max_ms": percentile(&mut samples_ms, 1.0),
            })
        })
        .collect();
    let figures = json!({
        "footprints": footprints, "load_seconds": round(load_seconds), "queries": queries,
        "reader": "a buyer's OAuth client reading under one grant of kind footprint (reads audited)",
        "backend": if url.starts_with("sqlite") { "sqlite (temporary file)" } else { "postgres (given URL)" },
        "load_average": load_average.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "peak_rss_mib": round(peak_rss_mib()),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"benchmark": "footprints", "figures": figures}))?
    );
    Ok(())
}

/// `junkan bench rollup`: the full CFP roll-up (issue 5) of the benchmark supply tree — 10,000
/// parts in 5 tiers made by 50 organizations, one in ten parts used by two parents, one in a
/// hundred without a footprint — through the store. The tree is first written as its companies
/// would write it (`junkan_store::supply_tree`: 50 operators with a plant each, parts,
/// structures, a trade requested by the buyer and answered by the supplier for every component
/// bought from another company, CFP writes); then `Store::ouranos_rollup` of the automaker's root
/// part is timed `samples` times as the automaker, after one untimed warm-up. The roll-up of the
/// same tree in memory (`junkan_footprint::rollup::rollup`, no store) is timed too, and every
/// store-backed result must equal it, or the benchmark fails.
pub async fn bench_rollup(database_url: Option<&str>, samples: u64, seed: u64) -> anyhow::Result<()> {
    use junkan_footprint::rollup::{rollup, SupplyGraph};
    use junkan_store_sql::GraphSource;
    /// The ways a roll-up gets its graph, in the order timed.
    const WAYS: [GraphSource; 3] = [GraphSource::Kept, GraphSource::Patched, GraphSource::Read];
    use junkan_footprint::synthetic::{synthetic_tree, BENCHMARK_ORGANIZATIONS, BENCHMARK_PARTS, BENCHMARK_TIERS};

    let load_at_start = load_average();
    let (store, url) = bench_store(database_url).await?;
    let (parts, root) = synthetic_tree(BENCHMARK_PARTS, BENCHMARK_ORGANIZATIONS, BENCHMARK_TIERS, seed);
    let started = Instant::now();
    let tree = junkan_store::supply_tree::write_supply_tree(&store, &parts, &root)
        .await
        .context("writing the supply tree through the store")?;
    let write_seconds = started.elapsed().as_secs_f64();
    let root_id = tree.root.to_string();

    // In memory: the roll-up's own cost on the same tree.
    let started = Instant::now();
    let memory_graph = SupplyGraph::new(tree.expected.parts().to_vec())
        .map_err(|problems| anyhow::anyhow!("the stored tree is not a graph: {problems:?}"))?;
    let graph_build_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut memory_ms = Vec::with_capacity(samples as usize);
    let mut expected = None;
    for _ in 0..samples {
        let started = Instant::now();
        let result = rollup(&memory_graph, &root_id)
            .map_err(|problems| anyhow::anyhow!("the tree does not roll up in memory: {problems:?}"))?;
        memory_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        expected = Some(result);
    }
    let expected = expected.context("at least one sample")?;
    // The same tree as generated (before the store derived each CFP's primary data share) has
    // the same emissions.
    let original = rollup(
        &SupplyGraph::new(parts).map_err(|problems| anyhow::anyhow!("synthetic tree: {problems:?}"))?,
        &root,
    )
    .map_err(|problems| anyhow::anyhow!("the synthetic tree does not roll up: {problems:?}"))?;
    anyhow::ensure!(
        original.total == expected.total && original.tiers == expected.tiers,
        "the stored tree's emissions differ from the generated tree's: {} against {}",
        expected.total,
        original.total
    );

    // Through the store, as the automaker. The first roll-up stores the sets of parts read per
    // supplier for the audit (later roll-ups of the same tree name the same sets): it is timed
    // on its own and not among the samples.
    let started = Instant::now();
    let (result, first_cost) = store.ouranos_rollup_with_cost(&tree.root_actor, tree.root).await?;
    let first_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        result == expected,
        "the first store-backed roll-up differs from the in-memory one"
    );
    // Timed three ways: with the graph the process read before (nothing changed since, as
    // between most roll-ups of a tree: `GraphCache`); with that graph patched right after a
    // change (a supplier rewrote the CFP of one part: only the changed parts are read again);
    // and with the graph read from the database in full, as the first roll-up of a process.
    // Each change is checked too: the tree in memory gets the same change, and the store's
    // roll-up must equal its roll-up.
    let candidates: Vec<uuid::Uuid> = tree
        .expected
        .parts()
        .iter()
        .skip(1)
        .filter(|part| part.footprint.is_some())
        .filter_map(|part| part.id.parse().ok())
        .collect();
    anyhow::ensure!(!candidates.is_empty(), "the tree has parts with a CFP");
    let mut current = tree.expected.clone();
    let mut changes = 0usize;
    let (store_ref, tree_ref, change_root) = (&store, &tree, root_id.clone());
    // The next change: a part's CFP rewritten (untimed), and the roll-up it must then give.
    let mut change = move |current: &SupplyGraph| {
        changes += 1;
        let part = candidates[(changes * 7919) % candidates.len()];
        let factor = rust_decimal::Decimal::from(2 + (changes % 3) as i64);
        let (store, tree) = (store_ref, tree_ref);
        let current = current.clone();
        let root_id = change_root.clone();
        async move {
            let changed = junkan_store::supply_tree::rewrite_cfp(store, tree, &current, part, factor)
                .await
                .context("rewriting a CFP")?;
            let expected = rollup(&changed, &root_id)
                .map_err(|problems| anyhow::anyhow!("the changed tree does not roll up in memory: {problems:?}"))?;
            anyhow::Ok((changed, expected))
        }
    };
    let mut timings: [Vec<f64>; 3] = Default::default();
    let mut expected_now = expected.clone();
    for (way, timings) in WAYS.iter().zip(timings.iter_mut()) {
        for _ in 0..samples {
            match way {
                GraphSource::Kept => {}
                GraphSource::Patched => {
                    let (changed, rolled) = change(&current).await?;
                    current = changed;
                    expected_now = rolled;
                }
                GraphSource::Read => store.forget_cached_graphs(),
            }
            let started = Instant::now();
            let result = store.ouranos_rollup(&tree.root_actor, tree.root).await?;
            timings.push(started.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                result == expected_now,
                "the store-backed roll-up ({way:?}) differs from the in-memory roll-up of the same tree: total {} against {}",
                result.total,
                expected_now.total
            );
        }
    }
    // Where the time goes, through the same code path as the timed method, in further samples:
    // for each way, the read, its statements, the roll-up and the audit.
    let mut phases: [[Vec<f64>; 4]; 3] = Default::default();
    let mut statements: [usize; 3] = [0; 3];
    let mut cost = None;
    for (way, (phases, statements)) in WAYS.iter().zip(phases.iter_mut().zip(statements.iter_mut())) {
        for _ in 0..samples.min(20) {
            match way {
                GraphSource::Kept => {}
                GraphSource::Patched => {
                    let (changed, rolled) = change(&current).await?;
                    current = changed;
                    expected_now = rolled;
                }
                GraphSource::Read => store.forget_cached_graphs(),
            }
            let (result, sample) = store.ouranos_rollup_with_cost(&tree.root_actor, tree.root).await?;
            anyhow::ensure!(
                result == expected_now,
                "the store-backed roll-up differs from the in-memory one"
            );
            anyhow::ensure!(
                sample.graph == *way,
                "the graph was not got the way timed: {:?}",
                sample.graph
            );
            for (phase, duration) in
                phases
                    .iter_mut()
                    .zip([sample.reading, sample.querying, sample.rolling_up, sample.auditing])
            {
                phase.push(duration.as_secs_f64() * 1000.0);
            }
            *statements = sample.read_statements;
            cost = Some(sample);
        }
    }
    let cost = cost.context("at least one sample")?;
    let phase_summary = |[reading, querying, rolling_up, auditing]: &mut [Vec<f64>; 4]| {
        json!({
            "samples": reading.len(),
            "read_graph": round(percentile(reading, 0.5)),
            "read_graph_statements": round(percentile(querying, 0.5)),
            "roll_up": round(percentile(rolling_up, 0.5)),
            "audit_write": round(percentile(auditing, 0.5)),
        })
    };
    let [mut kept_phases, mut patched_phases, mut read_phases] = phases;
    let [mut kept_ms, mut patched_ms, mut read_ms] = timings;
    let cross_company = tree.counts.trades;
    let summary = |timings: &mut Vec<f64>| {
        json!({
            "p50": round(percentile(timings, 0.50)),
            "p95": round(percentile(timings, 0.95)),
            "p99": round(percentile(timings, 0.99)),
            "max": round(percentile(timings, 1.0)),
        })
    };
    let output = json!({
        "benchmark": "rollup",
        "backend": if url.starts_with("sqlite") { "sqlite (temporary file)" } else { "postgres (given URL)" },
        "tree": {
            "parts": BENCHMARK_PARTS,
            "organizations": BENCHMARK_ORGANIZATIONS,
            "tiers": expected.tiers.len(),
            "seed": seed,
            "operators_written": tree.counts.operators,
            "parts_written": tree.counts.parts,
            "structures": tree.counts.structures,
            "structure_lines": tree.counts.lines,
            "trades_answered": cross_company,
            "cfps": tree.counts.cfps,
            "write_seconds": round(write_seconds),
        },
        "rollup": {
            "parts_visited": expected.parts_visited,
            "missing_parts": expected.missing.len(),
            "total_kgco2e_per_unit": expected.total.to_string(),
            "primary_data_share_pct": expected.primary_data_share.map(|share| share.to_string()),
        },
        "samples": samples,
        "store_rollup_ms": summary(&mut kept_ms),
        "store_rollup": "Store::ouranos_rollup as the automaker, nothing changed since its last roll-up: the graph it read then (checked against the database's count of changes), rolled up in full, reads across companies audited",
        "store_rollup_phases_p50_ms": phase_summary(&mut kept_phases),
        "store_rollup_patched_ms": summary(&mut patched_ms),
        "store_rollup_patched": "the same right after a supplier rewrote the CFP of one part (untimed): the graph kept, with the parts changed since (the part and the parents whose lines lead to it) read again",
        "store_rollup_patched_phases_p50_ms": phase_summary(&mut patched_phases),
        "store_rollup_read_from_database_ms": summary(&mut read_ms),
        "store_rollup_read_from_database": "the same with the graph read in full from the stored structures, answered trades and CFPs (as the first roll-up of a part in a process)",
        "store_rollup_read_from_database_phases_p50_ms": phase_summary(&mut read_phases),
        "store_rollup_statements": {
            "kept": statements[0],
            "patched": statements[1],
            "read_from_database": statements[2],
            "audit_write": cost.audit.statements,
            "audit_entries": cost.audit.entries,
            "audit_records": cost.audit.records,
            "audit_new_sets": cost.audit.new_sets,
            "audit_new_set_members": cost.audit.new_members,
        },
        "first_store_rollup": {
            "ms": round(first_ms),
            "read_graph_ms": round(first_cost.reading.as_secs_f64() * 1000.0),
            "read_graph_statements_ms": round(first_cost.querying.as_secs_f64() * 1000.0),
            "roll_up_ms": round(first_cost.rolling_up.as_secs_f64() * 1000.0),
            "audit_write_ms": round(first_cost.auditing.as_secs_f64() * 1000.0),
            "audit_entries": first_cost.audit.entries,
            "audit_new_sets": first_cost.audit.new_sets,
            "audit_new_set_members": first_cost.audit.new_members,
            "note": "the first roll-up after the tree was written: it stores each supplier's set of parts read (warm-up, not among the samples)",
        },
        "store_equals_in_memory": true,
        "in_memory_rollup_ms": summary(&mut memory_ms),
        "in_memory_rollup": "junkan_footprint::rollup::rollup of the same tree built in memory (no store)",
        "in_memory_graph_build_ms": round(graph_build_ms),
        "target_ms": 50,
        "peak_rss_mib": round(peak_rss_mib()),
        "load_average_start": load_at_start,
        "load_average_end": load_average(),
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

/// One page of `bench ui`: its name and path, and whether the node administrator looks at it
/// (else the pack maker's administrator).
struct UiPage {
    name: String,
    path: String,
    node_admin: bool,
}

/// The weight target of issue 7: every page under 200 KB of HTML (without images and the cached
/// assets).
const UI_PAGE_BYTES: usize = 200 * 1024;

/// Sends `request` through the router in process and answers (status, Set-Cookie values, body).
async fn ui_request(
    router: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> anyhow::Result<(u16, Vec<String>, Vec<u8>)> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await?;
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .map(str::to_owned)
        .collect();
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, cookies, body))
}

/// Signs in through the sign-in form as a browser does; answers the Cookie header to send.
async fn ui_sign_in(router: &axum::Router, username: &str, password: &str) -> anyhow::Result<String> {
    use axum::body::Body;
    use axum::http::{header, Request};
    let (_, cookies, body) = ui_request(router, Request::get("/app/sign-in").body(Body::empty())?).await?;
    let text = String::from_utf8(body)?;
    let marker = "name=\"csrf\" value=\"";
    let start = text.find(marker).context("the sign-in page has a form")? + marker.len();
    let token = text[start..].split('"').next().context("a quoted token")?.to_owned();
    let form = serde_urlencoded::to_string([
        ("csrf", token.as_str()),
        ("username", username),
        ("password", password),
        ("next", "/app"),
    ])?;
    let request = Request::post("/app/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::from(form))?;
    let (status, signed_in, _) = ui_request(router, request).await?;
    anyhow::ensure!(status == 303, "signing in as {username} answered {status}");
    let mut all = cookies;
    all.extend(signed_in);
    Ok(all.join("; "))
}

/// `junkan bench ui`: loads the demo data set into a fresh store (SQLite in a temporary directory
/// unless a database URL is given), signs in as the battery pack maker through the sign-in form,
/// and requests every page of the web application's menu (`web::layout::MENU_ENTRIES`, so none
/// is forgotten), the pages reached from them and the node administrator's views `samples` times
/// through the router in
/// process (server-side rendering: session look-up, store reads, HTML), one request at a time;
/// prints p50/p95/p99 and the bytes of each page (HTML only: the stylesheet, script and logo are
/// separate, cached assets), with the targets of issue 7 (p95 < 50 ms, < 200 KB).
pub async fn bench_ui(database_url: Option<&str>, samples: u64) -> anyhow::Result<()> {
    use axum::body::Body;
    use axum::http::{header, Request};
    let (store, url) = bench_store(database_url).await?;
    let base_url = "http://127.0.0.1:8080";
    let started = Instant::now();
    let mut credentials = junkan_demo::load(&store, 1, base_url).await?;
    let state = junkan_server::AppState::new(Arc::new(store.clone()), junkan_server::Settings::new(base_url)).await?;
    let router = junkan_server::router(state);
    crate::demo_cfp::play(&router, &mut credentials).await?;
    crate::demo_circularity::compute(&router, &mut credentials).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    let login = credentials
        .organizations
        .iter()
        .find(|login| login.slug == "packmaker")
        .context("the demo has a pack maker")?;
    let cookie = ui_sign_in(&router, &login.username, &login.password).await?;
    let example = |key: &str| -> anyhow::Result<String> {
        credentials
            .examples
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("the demo's example {key}"))
    };
    let query = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).expect("pairs of strings always encode");
    let cobalt_lot = example("recovered_cobalt_lot")?;
    let battery_pack = example("battery_pack_epc")?;
    let battery_link = example("battery_passport_digital_link")?;
    let public_page = battery_link
        .strip_prefix("https://id.gs1.org")
        .map(str::to_owned)
        .unwrap_or_else(|| "/01/00000000000000".to_owned());
    // Every page of the application's menu, from the menu itself (so a page added to the menu
    // is measured without touching this list), with the parameters a page needs to show the
    // demo's data; then the pages reached from them; then what a node administrator sees.
    let with_parameters = |path: &str| -> String {
        match path {
            "/app/passports" => "/app/passports?owner=all".to_owned(),
            "/app/lineage" => format!(
                "/app/lineage?{}",
                query(&[("id", cobalt_lot.as_str()), ("direction", "backward")])
            ),
            "/app/flows" => format!("/app/flows?{}", query(&[("id", battery_pack.as_str())])),
            other => other.to_owned(),
        }
    };
    let mut pages: Vec<UiPage> = junkan_server::web::layout::MENU_ENTRIES
        .iter()
        .map(|(_, path, _)| UiPage {
            name: match path.strip_prefix("/app/") {
                Some(name) => name.replace('/', "_"),
                None => "workspace".to_owned(),
            },
            path: with_parameters(path),
            node_admin: false,
        })
        .collect();
    pages.extend([
        UiPage {
            name: "passport".to_owned(),
            path: format!("/app/passports/{}", example("battery_passport_id")?),
            node_admin: false,
        },
        UiPage {
            name: "passport_form".to_owned(),
            path: "/app/passports/new?profile=battery".to_owned(),
            node_admin: false,
        },
        UiPage {
            name: "request_form".to_owned(),
            path: "/app/requests/new".to_owned(),
            node_admin: false,
        },
        UiPage {
            name: "trade_requests".to_owned(),
            path: "/app/trade-requests".to_owned(),
            node_admin: false,
        },
        UiPage {
            name: "partners_secretariat".to_owned(),
            path: "/app/partners/secretariat".to_owned(),
            node_admin: false,
        },
        UiPage {
            name: "public_passport".to_owned(),
            path: public_page,
            node_admin: false,
        },
        UiPage {
            name: "admin (node administrator)".to_owned(),
            path: "/app/admin".to_owned(),
            node_admin: true,
        },
        UiPage {
            name: "peers (node administrator)".to_owned(),
            path: "/app/peers".to_owned(),
            node_admin: true,
        },
    ]);
    let node_admin_cookie = ui_sign_in(
        &router,
        &credentials.node_admin.username,
        &credentials.node_admin.password,
    )
    .await?;
    let mut results = Vec::new();
    let mut over_weight = Vec::new();
    for page in &pages {
        let cookie = if page.node_admin { &node_admin_cookie } else { &cookie };
        let request = || {
            Request::get(page.path.as_str())
                .header(header::COOKIE, cookie.as_str())
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
        };
        // Warm-up: caches of profiles and prepared statements, as on a running node.
        let (status, _, body) = ui_request(&router, request()?).await?;
        anyhow::ensure!(status == 200, "{} ({}) answered {status}", page.name, page.path);
        let bytes = body.len();
        if bytes >= UI_PAGE_BYTES {
            eprintln!(
                "bench ui: {} ({}) weighs {bytes} bytes, over the {UI_PAGE_BYTES}-byte target",
                page.name, page.path
            );
            over_weight.push(page.name.clone());
        }
        for _ in 0..3 {
            ui_request(&router, request()?).await?;
        }
        let mut times = Vec::with_capacity(samples as usize);
        for _ in 0..samples {
            let request = request()?;
            let start = Instant::now();
            let (status, _, body) = ui_request(&router, request).await?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status == 200 && !body.is_empty(), "{} answered {status}", page.name);
        }
        let p95 = percentile(&mut times, 0.95);
        results.push(json!({
            "page": page.name, "path": page.path,
            "p50_ms": round(percentile(&mut times, 0.50)), "p95_ms": round(p95),
            "p99_ms": round(percentile(&mut times, 0.99)),
            "bytes": bytes, "kib": round(bytes as f64 / 1024.0),
            "within_weight": bytes < UI_PAGE_BYTES,
            "within_targets": p95 < 50.0 && bytes < UI_PAGE_BYTES,
        }));
    }
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures = json!({
        "pages": results,
        "pages_measured": pages.len(),
        "pages_over_weight": over_weight,
        "samples_per_page": samples,
        "signed_in_as": login.username,
        "node_admin_pages_signed_in_as": credentials.node_admin.username,
        "demo_load_seconds": round(load_seconds),
        "targets": {"p95_ms": 50, "bytes": 200 * 1024},
        "measured": "router in process (no socket), one request at a time, after 4 warm-up requests; bytes of the HTML without the cached assets",
        "backend": if url.starts_with("sqlite") { "sqlite (temporary file)" } else { "postgres (given URL)" },
        "load_average": load_average.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "peak_rss_mib": round(peak_rss_mib()),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"benchmark": "ui", "figures": figures}))?
    );
    Ok(())
}
