//! The supply graph below a part, read for the roll-up (`ouranos_rollup`, the totals rows of
//! `cfp_rows`): breadth-first, one level of the graph at a time, with one set-based statement per
//! level and per [`IDS_PER_STATEMENT`] parts of it (their structure lines, each with the part it
//! leads to and what the roll-up needs of that part's CFP), each answering one aggregated row;
//! then assembled in memory by the same walk as before, so that the graph is the same.
//!
//! Which part a structure line leads to (the component, or the supplier's part of the trade
//! answered last for it), that part's operator and its CFP's roll-up line are stored on the line
//! (migration 0014) by the writes that change them ([`refresh_lines`]), so a roll-up reads the
//! lines alone and decides and looks up nothing per line.
//! What the roll-up needs of a CFP is stored beside it as one short line (`rollup_input`,
//! migration 0012; [`encode_input`]), so the footprint's JSON is parsed only for CFPs written
//! before that migration.
//!
//! Whether that part has lines of its own is stored on the line too, and the whole record a
//! roll-up reads of a line is a stored generated column (migration 0039): the leaves are not
//! asked for lines, and a level's statement aggregates the records as they are stored.
//!
//! A graph read is kept by the process ([`GraphCache`]) and used again by the next roll-up of the
//! same part as long as nothing it was read from has changed since: triggers count every change to
//! parts, structure lines, CFPs and footprints in the database (migration 0038), whichever process
//! makes it, and a roll-up reads that count before anything else. When parts of it changed, only
//! those are read again into a copy of it ([`patch_graph`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use foldhash::HashMap;

use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use junkan_footprint::model::{DeclaredUnit, Footprint, StageBreakdown, StageEmissions, StageRatings};
use junkan_footprint::rollup::{Component, Part as RollupPart, PartFootprint, SupplyGraph};
use junkan_model::ouranos::AmountUnit;
use junkan_store::{Backend, StoreError, StoreResult};

use super::{declared_unit, unavailable_text};
use crate::bulk::Bulk;
use crate::unavailable;

/// How many parts one statement looks up ([`push_ids`]): a whole level of the benchmark tree but
/// its widest, and far below SQLite's limit of 32,766 bound values.
const IDS_PER_STATEMENT: usize = 8192;

/// A supplier's part whose CFP a roll-up read through an answered trade: audited for its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Disclosure {
    /// The supplier's part (trace id as stored).
    pub trace_id: String,
    /// Its operator (organization id as stored).
    pub operator: String,
}

/// The graph below a part as the store holds it.
#[derive(Debug)]
pub(super) struct LoadedGraph {
    /// The parts reachable from the root, each with its footprint and components.
    pub graph: SupplyGraph,
    /// The suppliers' parts read through trades, one per structure line that read one, in the
    /// order the lines were met.
    pub disclosures: Vec<Disclosure>,
}

/// A structure line as read: its position, the part it leads to in the roll-up (an index into
/// [`Parts::parts`]) and whether that part is a supplier's, read through a trade.
#[derive(Debug, Clone)]
struct Line {
    position: i64,
    target: usize,
    through_trade: bool,
    amount: Option<Decimal>,
    unit: Option<AmountUnit>,
}

/// A part as read, with what the roll-up needs of it.
#[derive(Debug, Clone)]
struct StoredPart {
    id: String,
    organization: String,
    footprint: Option<PartFootprint>,
    /// Whether the footprint is read from the footprint's JSON (its CFP has no roll-up line).
    from_document: bool,
    /// Its structure lines, in structure order once the read is done.
    lines: Vec<Line>,
}

/// The parts read, each once, by trace id; the root first. Kept with the graph assembled from
/// them, so that a later roll-up can read again only the parts that changed ([`patch_graph`]).
#[derive(Debug, Clone, Default)]
struct Parts {
    parts: Vec<StoredPart>,
    index: HashMap<String, usize>,
    /// Parts whose CFP has no roll-up line (written before migration 0012): their footprints'
    /// JSON is read after the level.
    without_line: Vec<String>,
}

impl Parts {
    /// The index of part `trace_id`, added with its operator and roll-up line (`input`: '' without
    /// a CFP, '?' for a CFP written without its line) when it was not read before; and whether it
    /// is new.
    fn add(&mut self, trace_id: &str, organization: &str, input: &str) -> StoreResult<(usize, bool)> {
        if let Some(&known) = self.index.get(trace_id) {
            return Ok((known, false));
        }
        let position = self.parts.len();
        self.parts.push(StoredPart {
            id: trace_id.to_owned(),
            organization: organization.to_owned(),
            footprint: None,
            from_document: false,
            lines: Vec::new(),
        });
        self.index.insert(trace_id.to_owned(), position);
        self.set(position, organization, input)?;
        Ok((position, true))
    }

    /// Sets the operator and footprint of the part at `position` from a record read (`input` as
    /// for [`Parts::add`]).
    fn set(&mut self, position: usize, organization: &str, input: &str) -> StoreResult<()> {
        let part = &mut self.parts[position];
        let footprint = match input {
            "" => None,
            "?" => {
                self.without_line.push(part.id.clone());
                None
            }
            line => Some(decode_input(line).ok_or_else(|| {
                unavailable_text(format!("stored roll-up input of {} is unreadable: {line:?}", part.id))
            })?),
        };
        if part.organization != organization {
            organization.clone_into(&mut part.organization);
        }
        part.footprint = footprint;
        part.from_document = input == "?";
        Ok(())
    }
}

/// What reading cost: statements issued and the time spent waiting for their answers (the rest
/// of a read is parsing them and assembling the graph).
#[derive(Debug, Default)]
struct ReadCost {
    statements: usize,
    querying: Duration,
}

/// Appends the condition that `column` is one of `ids`. On SQLite `column IN (?, ?, ...)`, padded
/// to the next power of two by repeating the last id (which `IN` ignores), so that a few
/// statement texts are prepared and reused. On PostgreSQL `column = ANY(string_to_array($n,
/// ','))`, one value whatever the number of ids, so that the statement is prepared and planned
/// once: a list of 2,048 placeholders took PostgreSQL about 10 ms to plan at every execution.
/// Trace ids (UUIDs) hold no commas.
fn push_ids<'q>(statement: &mut Bulk<'q>, backend: Backend, column: &str, ids: &'q [String]) {
    statement.push(column);
    match backend {
        Backend::Sqlite => {
            let padded = ids.len().next_power_of_two();
            statement.push(" IN (");
            for position in 0..padded {
                let id = &ids[position.min(ids.len() - 1)];
                statement.push(if position == 0 { "" } else { ", " }).param(id.as_str());
            }
            statement.push(")");
        }
        Backend::Postgres => {
            statement
                .push(" = ANY(string_to_array(")
                .param(ids.join(","))
                .push(", ','))");
        }
    }
}

fn column<T>(row: &AnyRow, index: usize) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get::<T, _>(index).map_err(unavailable)
}

/// Separates the records of an aggregated answer (ids, decimals, unit names and roll-up lines
/// contain none); `|` separates their fields, and an empty field is a NULL. The fields are
/// joined with `||` (PostgreSQL's `format` took twice as long).
const RECORD: char = ';';

/// The part a structure line `s` leads to in the roll-up, as an SQL expression: the component
/// itself when it has a CFP of its own; else the supplier's part of the trade answered last for
/// it (the newest `updated_at`, then the greatest trade id); else the component. Migration 0014
/// set `rollup_target` to it for the lines stored before; [`refresh_lines`] keeps it so.
const TARGET: &str = "CASE WHEN EXISTS (SELECT 1 FROM ouranos_cfps o WHERE o.trace_id = s.child_trace_id) \
     THEN s.child_trace_id ELSE COALESCE((SELECT t.upstream_trace_id FROM ouranos_trades t \
     WHERE t.downstream_trace_id = s.child_trace_id AND t.cfp_response_status = 'COMPLETED' \
     AND t.upstream_trace_id IS NOT NULL ORDER BY t.updated_at DESC, t.trade_id DESC LIMIT 1), s.child_trace_id) END";

/// Whether the part a structure line `s` leads to in the roll-up has structure lines of its own,
/// as an SQL expression (1 or 0; migration 0039): a roll-up asks for the lines of the parts it
/// reaches only where it is 1.
const TARGET_LINES: &str = "CASE WHEN EXISTS (SELECT 1 FROM ouranos_parts_structures x \
     WHERE x.parent_trace_id = s.rollup_target) THEN 1 ELSE 0 END";

/// Which structure lines [`refresh_lines`] sets.
#[derive(Debug, Clone, Copy)]
pub(super) enum LinesOf {
    /// The lines of a parent's structure (after the structure was written).
    Parent,
    /// The lines that use a part as component or lead to it (after its CFP or one of its trades
    /// was written).
    Part,
}

/// Sets what the roll-up reads through the structure lines of `trace_id` ([`LinesOf`]) — the
/// part each leads to ([`TARGET`]), that part's operator and its CFP's roll-up line — from the
/// stored CFPs and trades, in the caller's transaction. Every write that can change them (a
/// structure, a CFP, a trade requested, answered, cancelled or rejected) calls it before it
/// commits, so the roll-up reads what it would have looked up itself.
pub(super) async fn refresh_lines(connection: &mut AnyConnection, lines: LinesOf, trace_id: &str) -> StoreResult<()> {
    let which = match lines {
        LinesOf::Parent => "s.parent_trace_id = $1",
        LinesOf::Part => "s.child_trace_id = $1 OR s.rollup_target = $1",
    };
    let mut statements = vec![
        format!("UPDATE ouranos_parts_structures AS s SET rollup_target = {TARGET} WHERE {which}"),
        format!(
            "UPDATE ouranos_parts_structures AS s SET \
             rollup_operator = (SELECT p.organization_id FROM ouranos_parts p WHERE p.trace_id = s.rollup_target), \
             rollup_input = (SELECT COALESCE(c.rollup_input, '?') FROM ouranos_cfps c WHERE c.trace_id = s.rollup_target), \
             rollup_target_lines = {TARGET_LINES} WHERE {which}"
        ),
    ];
    if let LinesOf::Parent = lines {
        // The part's structure changed: the lines that lead to it learn whether it has lines
        // (only those whose answer changes, so that the others' parents do not count as changed).
        statements.push(format!(
            "UPDATE ouranos_parts_structures AS s SET rollup_target_lines = {TARGET_LINES} \
             WHERE s.rollup_target = $1 AND s.rollup_target_lines <> {TARGET_LINES}"
        ));
    }
    for statement in statements {
        sqlx::query(&statement)
            .bind(trace_id.to_owned())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// A graph as kept by the process: the parts as read, and the graph assembled from them.
#[derive(Debug)]
pub(super) struct KeptGraph {
    parts: Parts,
    loaded: Arc<LoadedGraph>,
}

/// Reads the graph below `root` (a trace id): each part with its own footprint; its components
/// are its structure lines, each leading to its `rollup_target` (the component, or the
/// supplier's part that answers for it through a trade: any depth, any company).
///
/// The root is read first; then each level's structure lines, which carry the part each leads
/// to, its operator and its CFP's roll-up line (`refresh_lines`), so the parts of the next level
/// come with the lines that lead to them and nothing else is looked up; of those parts, only the
/// ones the lines say have lines are asked for theirs (migration 0039). Each statement answers
/// one row, its records aggregated by `string_agg` (PostgreSQL, and SQLite since 3.44): sqlx's
/// SQLite driver hands every row from its worker thread to the caller through a channel, and
/// for the 21,000 rows of a 10,000-part graph those hand-offs, not SQLite, took most of a second
/// on the 2-core machine. The records come in no particular order; each part's lines are put in
/// structure order before the graph is assembled.
async fn read_graph(
    connection: &mut AnyConnection,
    backend: Backend,
    root: &str,
    cost: &mut ReadCost,
) -> StoreResult<KeptGraph> {
    let mut parts = Parts::default();
    if let Some((organization, input)) = read_part(connection, backend, root, cost).await? {
        parts.add(root, &organization, &input)?;
    }
    let frontier = parts.parts.iter().map(|part| part.id.clone()).collect();
    read_levels(connection, backend, &mut parts, frontier, false, cost).await?;
    finish(parts)
}

/// The operator and roll-up line (as for [`Parts::add`]) of part `trace_id`, when it exists.
async fn read_part(
    connection: &mut AnyConnection,
    backend: Backend,
    trace_id: &str,
    cost: &mut ReadCost,
) -> StoreResult<Option<(String, String)>> {
    let mut select = Bulk::new(
        backend,
        "SELECT string_agg(p.trace_id || '|' || p.organization_id || '|' || \
         COALESCE(c.rollup_input, CASE WHEN c.trace_id IS NULL THEN '' ELSE '?' END), ';') \
         FROM ouranos_parts p LEFT JOIN ouranos_cfps c ON c.trace_id = p.trace_id WHERE p.trace_id = ",
    );
    select.param(trace_id);
    let asked = Instant::now();
    let answer = aggregated(select.fetch_all(&mut *connection).await.map_err(unavailable)?)?;
    cost.querying += asked.elapsed();
    cost.statements += 1;
    let Some(record) = answer else {
        return Ok(None);
    };
    let mut fields = record.splitn(3, '|');
    let (Some(_), Some(organization), Some(input)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(unavailable_text(format!("unreadable part record {record:?}")));
    };
    Ok(Some((organization.to_owned(), input.to_owned())))
}

/// Reads the structure lines of the parts of `frontier`, then level after level those of the
/// parts they lead to that `parts` did not hold, into `parts`. With `patching`, the parts of
/// `frontier` are parts `parts` holds, which changed: their lines are replaced by the ones read
/// now, and the parts these lines lead to take the operator and roll-up line the lines carry now
/// (the writes that change a part's CFP or operator refresh every line leading to it, which
/// changes those lines' parents too: migration 0038 lists them).
async fn read_levels(
    connection: &mut AnyConnection,
    backend: Backend,
    parts: &mut Parts,
    mut frontier: Vec<String>,
    mut patching: bool,
    cost: &mut ReadCost,
) -> StoreResult<()> {
    while !frontier.is_empty() {
        if patching {
            for trace_id in &frontier {
                if let Some(&position) = parts.index.get(trace_id) {
                    parts.parts[position].lines.clear();
                }
            }
        }
        let mut next = Vec::new();
        for chunk in frontier.chunks(IDS_PER_STATEMENT) {
            // The structure lines of these parts as the database keeps them for the roll-up
            // (`rollup_record`, migration 0039): parent, position, the part the line leads to,
            // whether through a trade, amount, unit, whether that part has lines, its operator
            // and its roll-up line ('' when it has no CFP, '?' when its CFP was written without
            // one: its footprint's JSON is read below).
            let mut select = Bulk::new(
                backend,
                "SELECT string_agg(s.rollup_record, ';') FROM ouranos_parts_structures s WHERE ",
            );
            push_ids(&mut select, backend, "s.parent_trace_id", chunk);
            let asked = Instant::now();
            let answer = aggregated(select.fetch_all(&mut *connection).await.map_err(unavailable)?)?;
            cost.querying += asked.elapsed();
            cost.statements += 1;
            for record in answer.iter().flat_map(|text| text.split(RECORD)) {
                let mut fields = record.splitn(9, '|');
                let mut field = || {
                    fields
                        .next()
                        .ok_or_else(|| unavailable_text(format!("unreadable structure line {record:?}")))
                };
                let (parent, position, target, through_trade) = (field()?, field()?, field()?, field()?);
                let (amount, unit, target_lines) = (field()?, field()?, field()?);
                let (organization, input) = (field()?, field()?);
                if target.is_empty() || organization.is_empty() {
                    return Err(unavailable_text(format!(
                        "structure line without roll-up target {record:?}"
                    )));
                }
                let position = position
                    .parse::<i64>()
                    .map_err(|error| unavailable_text(format!("stored line position {position:?}: {error}")))?;
                let amount = (!amount.is_empty())
                    .then(|| {
                        amount
                            .parse::<Decimal>()
                            .map_err(|error| unavailable_text(format!("stored amount {amount:?}: {error}")))
                    })
                    .transpose()?;
                let unit = (!unit.is_empty())
                    .then(|| {
                        AmountUnit::parse(unit).ok_or_else(|| unavailable_text(format!("unknown amount unit {unit:?}")))
                    })
                    .transpose()?;
                let (target, new) = parts.add(target, organization, input)?;
                if new {
                    // A part without lines of its own is not asked for them.
                    if !target_lines.is_empty() {
                        next.push(parts.parts[target].id.clone());
                    }
                } else if patching {
                    parts.set(target, organization, input)?;
                }
                if let Some(&parent) = parts.index.get(parent) {
                    parts.parts[parent].lines.push(Line {
                        position,
                        target,
                        through_trade: !through_trade.is_empty(),
                        amount,
                        unit,
                    });
                }
            }
        }
        if !parts.without_line.is_empty() {
            let asked = Instant::now();
            cost.statements += read_documents(&mut *connection, backend, parts).await?;
            cost.querying += asked.elapsed();
        }
        frontier = next;
        patching = false;
    }
    Ok(())
}

/// The graph `kept` with the parts of `changed` that it holds read again ([`read_levels`]):
/// their lines, and what the parts these lead to are read through them; parts these lines
/// reach that the graph did not hold are read with everything below them; parts no line
/// reaches any more are left out. The result is the graph a [`read_graph`] would give now
/// (contract case `rollup_patches_its_graph_after_each_kind_of_change`); `None` when the root
/// itself is gone.
async fn patch_graph(
    connection: &mut AnyConnection,
    backend: Backend,
    kept: &KeptGraph,
    changed: Vec<String>,
    cost: &mut ReadCost,
) -> StoreResult<Option<KeptGraph>> {
    let mut parts = kept.parts.clone();
    if let Some(root) = parts.parts.first().map(|root| root.id.clone()) {
        if changed.contains(&root) {
            let Some((organization, input)) = read_part(connection, backend, &root, cost).await? else {
                return Ok(None);
            };
            parts.set(0, &organization, &input)?;
        }
    }
    for trace_id in &changed {
        // A footprint read from its JSON is read again (the footprint row changed).
        let position = parts.index[trace_id];
        if parts.parts[position].from_document && !parts.without_line.contains(trace_id) {
            parts.without_line.push(trace_id.clone());
        }
    }
    read_levels(connection, backend, &mut parts, changed, true, cost).await?;
    finish(parts).map(Some)
}

/// The graph of `parts`, read or patched: lines in structure order, assembled, and the parts no
/// longer reachable from the root left out.
fn finish(mut parts: Parts) -> StoreResult<KeptGraph> {
    for part in &mut parts.parts {
        part.lines.sort_unstable_by_key(|line| line.position);
    }
    let (graph, disclosures, walked) = assemble(&parts)?;
    Ok(KeptGraph {
        parts: prune(parts, &walked),
        loaded: Arc::new(LoadedGraph { graph, disclosures }),
    })
}

/// `parts` with only those at `walked` (positions, the root first), in that order.
fn prune(parts: Parts, walked: &[usize]) -> Parts {
    if walked.len() == parts.parts.len() {
        return parts;
    }
    let mut moved_to = vec![usize::MAX; parts.parts.len()];
    for (new, &old) in walked.iter().enumerate() {
        moved_to[old] = new;
    }
    let mut slots: Vec<Option<StoredPart>> = parts.parts.into_iter().map(Some).collect();
    let mut kept = Parts::default();
    for &old in walked {
        let Some(mut part) = slots[old].take() else { continue };
        // Every line of a walked part leads to a walked part.
        for line in &mut part.lines {
            line.target = moved_to[line.target];
        }
        kept.index.insert(part.id.clone(), kept.parts.len());
        kept.parts.push(part);
    }
    kept
}

/// The supply graphs this process read lately, each with the count of changes (migration 0038)
/// it was read at. Every roll-up reads the count first ([`cached_supply_graph`]): a graph read at
/// the same count is what a read now would give, and so is one read earlier when none of the
/// parts changed since is one of its parts; when some are, only those are read again
/// ([`patch_graph`]).
#[derive(Debug, Default)]
pub struct GraphCache {
    entries: Mutex<VecDeque<CachedGraph>>,
}

#[derive(Debug)]
struct CachedGraph {
    root: String,
    generation: i64,
    graph: Arc<KeptGraph>,
}

/// How many graphs a process keeps, the latest read or used first.
const CACHED_GRAPHS: usize = 8;
/// The most parts the kept graphs may hold together (a 10,000-part graph takes a few MiB).
const CACHED_PARTS: usize = 400_000;
/// The most changed parts a roll-up looks through to keep using a graph; with more, it reads.
const CHANGES_LOOKED_THROUGH: i64 = 10_000;

impl GraphCache {
    /// The kept graphs (a panic while they were held left them whole: every change to them is
    /// one `VecDeque` call).
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<CachedGraph>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The graph kept for `root` and the count it was read at (or found unchanged at).
    fn get(&self, root: &str) -> Option<(i64, Arc<KeptGraph>)> {
        let mut entries = self.lock();
        let position = entries.iter().position(|entry| entry.root == root)?;
        let entry = entries.remove(position)?;
        let found = (entry.generation, entry.graph.clone());
        entries.push_front(entry);
        Some(found)
    }

    fn put(&self, root: &str, generation: i64, graph: Arc<KeptGraph>) {
        let mut entries = self.lock();
        entries.retain(|entry| entry.root != root);
        entries.push_front(CachedGraph {
            root: root.to_owned(),
            generation,
            graph,
        });
        let mut parts = 0;
        let mut kept = 0;
        for entry in entries.iter() {
            parts += entry.graph.parts.parts.len();
            if kept > 0 && (kept == CACHED_GRAPHS || parts > CACHED_PARTS) {
                break;
            }
            kept += 1;
        }
        entries.truncate(kept);
    }

    /// Forgets every graph (`junkan bench rollup` times reads from the database this way).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// How a roll-up got its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphSource {
    /// The graph this process kept: nothing in it changed since it was read.
    Kept,
    /// The graph this process kept, with the parts that changed since read again.
    Patched,
    /// Read from the database in full (the first roll-up of a part in a process, or the changes
    /// since it was kept are no longer listed or too many).
    Read,
}

/// A graph as a roll-up got it: from the database or from the process's [`GraphCache`].
#[derive(Debug)]
pub(super) struct GraphRead {
    pub loaded: Arc<LoadedGraph>,
    /// Statements this read issued (the count of changes included).
    pub statements: usize,
    /// Time spent waiting for their answers.
    pub querying: Duration,
    /// Where the graph came from.
    pub source: GraphSource,
}

/// The graph below `root` ([`read_graph`]), from `store`'s [`GraphCache`] when nothing it was
/// read from has changed since: read at the database's current count of changes, or read earlier
/// and none of the parts changed since (migration 0038 lists them) is one of its parts. When
/// some are, the kept graph is patched: those parts are read again ([`patch_graph`]).
///
/// The count is read before anything else. A change committed after that is either seen in the
/// list of changed parts (which is read whole, whatever its count) or made after the graph was
/// read: a kept graph is never older than the count it is kept at.
pub(super) async fn cached_supply_graph(
    store: &crate::SqlStore,
    connection: &mut AnyConnection,
    root: &str,
) -> StoreResult<GraphRead> {
    let asked = Instant::now();
    let generation: i64 = sqlx::query_scalar("SELECT generation FROM ouranos_graph_generation WHERE id = 1")
        .fetch_one(&mut *connection)
        .await
        .map_err(unavailable)?;
    let mut cost = ReadCost {
        statements: 1,
        querying: asked.elapsed(),
    };
    let answer = |graph: &KeptGraph, cost: ReadCost, source| GraphRead {
        loaded: graph.loaded.clone(),
        statements: cost.statements,
        querying: cost.querying,
        source,
    };
    if let Some((kept_at, kept)) = store.graphs.get(root) {
        if kept_at == generation {
            return Ok(answer(&kept, cost, GraphSource::Kept));
        }
        if kept_at < generation {
            // The parts changed since, with how far the list reaches back, in one statement (so
            // from one snapshot); at most one more than is looked through.
            let asked = Instant::now();
            let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
                "SELECT g.pruned_through, c.trace_id FROM ouranos_graph_generation g \
                 LEFT JOIN (SELECT DISTINCT trace_id FROM ouranos_graph_changes WHERE generation > $1 LIMIT $2) c ON 1 = 1 \
                 WHERE g.id = 1",
            )
            .bind(kept_at)
            .bind(CHANGES_LOOKED_THROUGH + 1)
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?;
            cost.querying += asked.elapsed();
            cost.statements += 1;
            let listed = rows
                .first()
                .is_some_and(|(pruned_through, _)| *pruned_through <= kept_at)
                && (rows.len() as i64) <= CHANGES_LOOKED_THROUGH;
            if listed {
                let changed: Vec<String> = rows
                    .into_iter()
                    .filter_map(|(_, trace_id)| trace_id)
                    .filter(|trace_id| kept.parts.index.contains_key(trace_id))
                    .collect();
                if changed.is_empty() {
                    store.graphs.put(root, generation, kept.clone());
                    return Ok(answer(&kept, cost, GraphSource::Kept));
                }
                if let Some(patched) = patch_graph(connection, store.backend, &kept, changed, &mut cost).await? {
                    let patched = Arc::new(patched);
                    store.graphs.put(root, generation, patched.clone());
                    return Ok(answer(&patched, cost, GraphSource::Patched));
                }
            }
        }
    }
    let graph = Arc::new(read_graph(connection, store.backend, root, &mut cost).await?);
    store.graphs.put(root, generation, graph.clone());
    Ok(answer(&graph, cost, GraphSource::Read))
}

/// The one value of an aggregating statement's one row (`None`: nothing was aggregated).
fn aggregated(rows: Vec<AnyRow>) -> StoreResult<Option<String>> {
    match rows.first() {
        Some(row) => column(row, 0),
        None => Ok(None),
    }
}

/// Reads the footprints of the CFPs written before their roll-up lines were (migration 0012)
/// into `parts`; returns the statements issued.
async fn read_documents(connection: &mut AnyConnection, backend: Backend, parts: &mut Parts) -> StoreResult<usize> {
    let mut trace_ids = std::mem::take(&mut parts.without_line);
    trace_ids.sort_unstable();
    trace_ids.dedup();
    let mut select = Bulk::new(
        backend,
        "SELECT c.trace_id, f.document FROM ouranos_cfps c JOIN footprints f ON f.id = c.footprint_id WHERE ",
    );
    push_ids(&mut select, backend, "c.trace_id", &trace_ids);
    for row in select.fetch_all(&mut *connection).await.map_err(unavailable)? {
        let trace_id: String = column(&row, 0)?;
        let document: String = column(&row, 1)?;
        let footprint: Footprint = serde_json::from_str(&document)
            .map_err(|error| unavailable_text(format!("stored footprint of {trace_id} is unreadable: {error}")))?;
        if let Some(&part) = parts.index.get(&trace_id) {
            let part = &mut parts.parts[part];
            // A line read after the document's part was listed may have given it a roll-up line.
            if part.from_document {
                part.footprint = Some(PartFootprint::from(&footprint));
            }
        }
    }
    Ok(1)
}

/// The graph of the parts read, walked breadth-first from the root (the first part) as the
/// roll-up has always walked it: a line without a unit takes the unit of its component's
/// footprint when that component was walked before the line's part, else `unit`. Also the
/// positions walked, in walk order (parts no line from the root reaches are not).
fn assemble(parts: &Parts) -> StoreResult<(SupplyGraph, Vec<Disclosure>, Vec<usize>)> {
    let count = parts.parts.len();
    let mut graph_parts = Vec::with_capacity(count);
    let mut disclosures = Vec::new();
    let mut order = Vec::with_capacity(count);
    let mut queue = VecDeque::new();
    let mut seen = vec![false; count];
    if count > 0 {
        queue.push_back(0);
        seen[0] = true;
    }
    // The declared unit of each part walked so far (`Some(None)`: walked, without a footprint).
    let mut walked: Vec<Option<Option<DeclaredUnit>>> = vec![None; count];
    while let Some(position) = queue.pop_front() {
        let part = &parts.parts[position];
        let mut components = Vec::with_capacity(part.lines.len());
        for line in &part.lines {
            let target = &parts.parts[line.target];
            if line.through_trade {
                disclosures.push(Disclosure {
                    trace_id: target.id.clone(),
                    operator: target.organization.clone(),
                });
            }
            let unit = match line.unit {
                Some(unit) => declared_unit(unit),
                // Without a unit the line can only take the component's own.
                None => match walked[line.target] {
                    Some(Some(unit)) if unit.ouranos_name().is_some() => unit,
                    _ => DeclaredUnit::Piece,
                },
            };
            components.push(Component {
                part: target.id.clone(),
                amount: line.amount.unwrap_or(Decimal::ZERO),
                unit,
            });
            if !seen[line.target] {
                seen[line.target] = true;
                queue.push_back(line.target);
            }
        }
        walked[position] = Some(part.footprint.as_ref().map(|footprint| footprint.unit));
        order.push(position);
        graph_parts.push(RollupPart {
            id: part.id.clone(),
            organization: part.organization.clone(),
            footprint: part.footprint.clone(),
            components,
        });
    }
    let graph = SupplyGraph::new(graph_parts).map_err(StoreError::Invalid)?;
    Ok((graph, disclosures, order))
}

/// Version of the [`encode_input`] line.
const INPUT_VERSION: &str = "1";

fn decimal_field(value: Option<Decimal>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// What the roll-up needs of a footprint (`PartFootprint`) as one line of `|`-separated fields
/// (an empty field is none): version, declared unit, declared unit amount, total, the three
/// ratings, primary data share, then — when the footprint has the Ouranos stage split — own and
/// component emissions and the three ratings of the pre-processing stage, then of the main
/// production stage. Decimals are written exactly as they are (`Decimal`'s text).
pub(super) fn encode_input(footprint: &PartFootprint) -> String {
    let mut fields = vec![
        INPUT_VERSION.to_owned(),
        footprint.unit.pact_name().to_owned(),
        footprint.declared_unit_amount.to_string(),
        footprint.total.to_string(),
    ];
    fields.extend(footprint.ratings.iter().map(|rating| decimal_field(*rating)));
    fields.push(decimal_field(footprint.primary_data_share));
    if let Some(stages) = &footprint.stages {
        for stage in [&stages.pre_production, &stages.main_production] {
            fields.push(stage.own.to_string());
            fields.push(stage.components.to_string());
            fields.push(decimal_field(stage.ratings.technological));
            fields.push(decimal_field(stage.ratings.geographical));
            fields.push(decimal_field(stage.ratings.temporal));
        }
    }
    fields.join("|")
}

/// Reads an [`encode_input`] line; `None` when it is not one.
pub(super) fn decode_input(line: &str) -> Option<PartFootprint> {
    // The fields in place (a roll-up decodes one line per part of its graph).
    let mut fields = [""; 18];
    let mut count = 0;
    for field in line.split('|') {
        *fields.get_mut(count)? = field;
        count += 1;
    }
    let fields = &fields[..count];
    if fields.first() != Some(&INPUT_VERSION) || (fields.len() != 8 && fields.len() != 18) {
        return None;
    }
    let required = |text: &str| text.parse::<Decimal>().ok();
    // An empty field is none; anything else must be a decimal.
    let optional = |text: &str| -> Option<Option<Decimal>> {
        if text.is_empty() {
            Some(None)
        } else {
            text.parse::<Decimal>().ok().map(Some)
        }
    };
    let stage = |fields: &[&str]| -> Option<StageEmissions> {
        Some(StageEmissions {
            own: required(fields[0])?,
            components: required(fields[1])?,
            ratings: StageRatings {
                technological: optional(fields[2])?,
                geographical: optional(fields[3])?,
                temporal: optional(fields[4])?,
            },
        })
    };
    let stages = if fields.len() == 18 {
        Some(StageBreakdown {
            pre_production: stage(&fields[8..13])?,
            main_production: stage(&fields[13..18])?,
        })
    } else {
        None
    };
    Some(PartFootprint {
        unit: DeclaredUnit::from_pact_name(fields[1])?,
        declared_unit_amount: required(fields[2])?,
        stages,
        total: required(fields[3])?,
        ratings: [optional(fields[4])?, optional(fields[5])?, optional(fields[6])?],
        primary_data_share: optional(fields[7])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("decimal")
    }

    fn stage(own: &str, components: &str, ratings: [Option<&str>; 3]) -> StageEmissions {
        StageEmissions {
            own: d(own),
            components: d(components),
            ratings: StageRatings {
                technological: ratings[0].map(d),
                geographical: ratings[1].map(d),
                temporal: ratings[2].map(d),
            },
        }
    }

    #[test]
    fn roll_up_inputs_read_back_exactly() {
        let staged = PartFootprint {
            unit: DeclaredUnit::Kilogram,
            declared_unit_amount: d("1"),
            stages: Some(StageBreakdown {
                pre_production: stage("1.50", "0", [Some("2.1"), None, Some("3")]),
                main_production: stage("0.00001", "12345.6789", [None, None, None]),
            }),
            total: d("12347.22891"),
            ratings: [None; 3],
            primary_data_share: Some(d("0.012161")),
        };
        let unstaged = PartFootprint {
            unit: DeclaredUnit::Piece,
            declared_unit_amount: d("2.5"),
            stages: None,
            total: d("-0.5"),
            ratings: [Some(d("1.5")), Some(d("2")), None],
            primary_data_share: None,
        };
        for footprint in [staged, unstaged] {
            let line = encode_input(&footprint);
            let read = decode_input(&line).expect("reads back");
            assert_eq!(read, footprint, "{line}");
            // Exactly: the same digits, trailing zeros included.
            assert_eq!(encode_input(&read), line);
        }
        assert_eq!(
            encode_input(&PartFootprint {
                unit: DeclaredUnit::Kilogram,
                declared_unit_amount: d("1"),
                stages: None,
                total: d("3.25"),
                ratings: [None; 3],
                primary_data_share: Some(d("40")),
            }),
            "1|kilogram|1|3.25||||40"
        );
    }

    #[test]
    fn every_unit_reads_back_and_keeps_clear_of_the_separators() {
        for unit in DeclaredUnit::ALL {
            let footprint = PartFootprint {
                unit,
                declared_unit_amount: d("1"),
                stages: None,
                total: d("2"),
                ratings: [None; 3],
                primary_data_share: None,
            };
            let line = encode_input(&footprint);
            assert!(!line.contains(RECORD), "{line}");
            assert_eq!(line.matches('|').count(), 7, "{line}");
            assert_eq!(decode_input(&line), Some(footprint));
        }
    }

    #[test]
    fn other_lines_are_refused() {
        for line in [
            "",
            "2|kilogram|1|3.25||||40",
            "1|furlong|1|3.25||||40",
            "1|kilogram|1|x||||40",
            "1|kilogram|1|3.25|||",
            "1|kilogram|1|3.25||||40|1|2|||",
        ] {
            assert_eq!(decode_input(line), None, "{line:?}");
        }
    }
}
