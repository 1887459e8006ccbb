//! Benchmark programs (`junkan bench ingest`, `junkan bench trace`): synthetic supply chains
//! captured through the real preparation and store paths, with figures printed as JSON. They
//! measure; they assert nothing.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value};

use junkan_epcis::{prepare_document, Syntax};
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
            format!("sqlite://{}", directory.join("junkan.db").display())
        }
    };
    let store = junkan_store_sql::open(&url, Arc::new(SystemClock))
        .await
        .context("opening the benchmark store")?;
    store.migrate().await?;
    Ok((store, url))
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
               "inputQuantityList": [{"epcClass": lot(chain, level), "quantity": 100, "uom": "KGM"}, {"epcClass": lot(90_000 + chain % 1000, level), "quantity": 25, "uom": "KGM"}],
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

/// One synthetic document, generated and prepared for capture, with the seconds its preparation
/// (validation, hash, canonical identifiers; not its generation) took.
fn prepared_document(first: u64, size: u64, chains: u64) -> anyhow::Result<(Vec<(String, CapturedEvent)>, f64)> {
    let document = document(
        (first..first + size)
            .map(|index| synthetic_event(index, chains))
            .collect(),
    );
    let started = Instant::now();
    let prepared = prepare_document(&document, Syntax::Json)
        .map_err(|problems| anyhow::anyhow!("synthetic events invalid: {problems:?}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let events = prepared
        .into_iter()
        .enumerate()
        .map(|(index, event)| (format!("/epcisBody/eventList/{index}"), event))
        .collect();
    Ok((events, seconds))
}

/// Captures `events` synthetic events in documents of `batch`; returns the figures.
///
/// Pipelined as a server with several clients would run: the next document is generated and
/// prepared on a blocking thread while the current one is being stored. `prepare_seconds` and
/// `store_seconds` are the time spent in each stage, so their rates are those of each stage
/// alone; `events_per_second` is end to end.
async fn ingest(store: &SqlStore, actor: &Actor, events: u64, batch: u64, chains: u64) -> anyhow::Result<Value> {
    let mut prepare_seconds = 0.0;
    let mut store_seconds = 0.0;
    let started = Instant::now();
    let prepare = |first: u64| {
        let size = batch.min(events - first);
        tokio::task::spawn_blocking(move || prepared_document(first, size, chains))
    };
    let mut next = (events > 0).then(|| prepare(0));
    let mut number = 0;
    while let Some(preparing) = next.take() {
        let (prepared, seconds) = preparing.await??;
        prepare_seconds += seconds;
        let size = prepared.len() as u64;
        number += batch.min(events - number);
        if number < events {
            next = Some(prepare(number));
        }
        let before = Instant::now();
        let job = store
            .capture_events(
                actor,
                NewCapture {
                    behaviour: CaptureErrorBehaviour::Rollback,
                    events: prepared,
                    errors: vec![],
                    visibility: Visibility::Restricted,
                },
            )
            .await?;
        store_seconds += before.elapsed().as_secs_f64();
        anyhow::ensure!(
            job.success && job.captured_count == size,
            "capture failed: {:?}",
            job.errors
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "events": events, "batch": batch, "seconds": round(seconds),
        "events_per_second": round(events as f64 / seconds),
        "prepare_seconds": round(prepare_seconds), "store_seconds": round(store_seconds),
        "prepare_events_per_second": round(events as f64 / prepare_seconds),
        "store_events_per_second": round(events as f64 / store_seconds),
    }))
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
pub async fn bench_ingest(database_url: Option<&str>, events: u64, batch: u64) -> anyhow::Result<()> {
    let (store, url) = bench_store(database_url).await?;
    let actor = bench_actor(&store).await?;
    let mut figures = ingest(&store, &actor, events, batch, 1000).await?;
    figures["backend"] = json!(format!("{:?}", store.backend()).to_lowercase());
    figures["database"] = json!(if url.starts_with("sqlite") {
        "sqlite (temporary file)"
    } else {
        "postgres (given URL)"
    });
    figures["peak_rss_mib"] = json!(round(peak_rss_mib()));
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"benchmark": "ingest", "figures": figures}))?
    );
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
    let mut nodes = 0;
    for sample in 0..samples {
        let chain = (sample * 7919) % chains;
        let root = junkan_epcis::canonical_identifier(&lot(chain, levels));
        let started = Instant::now();
        let mut tracer = junkan_trace::Tracer::new(&root, junkan_trace::Direction::Backward, 8);
        while let Some(wanted) = tracer.wanted() {
            let found = store.lineage_events(&actor, &wanted, &tracer.known_events()).await?;
            tracer.feed(found);
        }
        let lineage = tracer.finish();
        lineage_ms.push(started.elapsed().as_secs_f64() * 1000.0);
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
