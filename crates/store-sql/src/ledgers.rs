//! Chain-of-custody ledgers (CoC 台帳, issue 6, migration 0011): the ledger head, its inputs,
//! missing shares, claims with their backing, and reversals.
//!
//! Every write of an entry is one transaction on the writer that starts by raising the ledger's
//! revision (`UPDATE ledgers SET revision = revision + 1 ... AND closed_at IS NULL`). On
//! PostgreSQL that row lock makes concurrent writers of one ledger wait for each other, and on
//! SQLite the write lock is taken at once, so the entries read next on the same connection are
//! exactly those committed, and the decision (`junkan_indicators::custody::decide_claim`) and the
//! write cannot be separated by another writer. Unique indexes back it up: an input lot once per
//! facility and material, one claim per output lot and revision. Reads select through
//! `access::readable` and audit reads under grants or as auditor before returning.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use time::{Date, Duration, PrimitiveDateTime, Time};

use junkan_indicators::custody::{
    decide_claim, fraction_from_passport, input_lots, plan_carry_over, plan_import, share_from_passport, trace_claim,
    AlreadyEntered, CarryOverReport, CarryOverRule, CheckedInput, ClaimBacking, ClaimRefused, ClaimReversal,
    ClaimTrace, FractionSource, ImportLedgerInputs, ImportReport, LedgerClaim, LedgerFilter, LedgerInput, LedgerRecord,
    LedgerView, MaterialFraction, MissingShare, NewCarryOver, NewLedger, NewLedgerClaim, NewLedgerInput, ReverseClaim,
    Share, ShareLookup, ShareSource, LEDGER_OFFSET,
};
use junkan_indicators::ledger::CustodyModel;
use junkan_indicators::rolling_window::{check_window_ledgers, RollingWindow};
use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::event::EventQuery;
use junkan_model::facility::Visibility;
use junkan_model::ids::{LedgerClaimId, LedgerId, LedgerInputId, OrganizationId};
use junkan_model::page::{Page, PageRequest, MAX_PAGE_SIZE};
use junkan_model::passport::PassportRead;
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::{Store, StoreError, StoreResult};

use crate::access::{audit_reads, basis_of, readable, readable_from, record, require, RecordRead};
use crate::rows::{enum_value, int, opt_text, opt_time, parsed, text, time as time_of, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

fn not_found(id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind: RecordKind::Ledger,
        id: id.to_string(),
    }
}

fn decimal_of(row: &AnyRow, column: &str) -> StoreResult<Decimal> {
    parsed(&text(row, column)?, column, str::parse::<Decimal>)
}

fn opt_decimal_of(row: &AnyRow, column: &str) -> StoreResult<Option<Decimal>> {
    opt_text(row, column)?
        .map(|value| parsed(&value, column, str::parse::<Decimal>))
        .transpose()
}

fn json_of<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> StoreResult<T> {
    parsed(&text(row, column)?, column, |value| serde_json::from_str::<T>(value))
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("ledger values serialise")
}

// ---------------------------------------------------------------------------------------------
// Rows

fn ledger_from_row(row: &AnyRow) -> StoreResult<LedgerRecord> {
    let conversions: BTreeMap<String, String> = json_of(row, "unit_conversions")?;
    let unit_conversions = conversions
        .into_iter()
        .map(|(unit, factor)| Ok((unit, parsed(&factor, "unit conversion", str::parse::<Decimal>)?)))
        .collect::<StoreResult<_>>()?;
    Ok(LedgerRecord {
        id: parsed(&text(row, "id")?, "ledger id", str::parse)?,
        owner_organization_id: parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?,
        facility_id: parsed(&text(row, "facility_id")?, "facility id", str::parse)?,
        material: text(row, "material")?,
        model: parsed(&text(row, "model")?, "custody model", |name| {
            CustodyModel::parse(name).ok_or("not a chain-of-custody model")
        })?,
        period_from: text(row, "period_from")?,
        period_to: text(row, "period_to")?,
        conversion_factor: decimal_of(row, "conversion_factor")?,
        unit_conversions,
        visibility: enum_value(&text(row, "visibility")?, "visibility")?,
        note: opt_text(row, "note")?,
        carry_over: opt_text(row, "carry_over")?
            .map(|rule| {
                parsed(&rule, "carry-over rule", |text| {
                    serde_json::from_str::<CarryOverRule>(text)
                })
            })
            .transpose()?,
        // Read from its side table by `fill_windows`.
        rolling_window: None,
        closed_at: opt_time(row, "closed_at")?,
        created_at: time_of(row, "created_at")?,
        created_by: text(row, "created_by")?,
    })
}

fn input_from_row(row: &AnyRow) -> StoreResult<LedgerInput> {
    let mass_t = decimal_of(row, "mass_t")?;
    let material_fraction = decimal_of(row, "material_fraction")?;
    Ok(LedgerInput {
        id: parsed(&text(row, "id")?, "ledger input id", str::parse)?,
        ledger_id: parsed(&text(row, "ledger_id")?, "ledger id", str::parse)?,
        lot: text(row, "lot")?,
        mass: decimal_of(row, "mass")?,
        unit: text(row, "unit")?,
        mass_t,
        material_fraction,
        fraction_source: json_of(row, "fraction_source")?,
        material_t: (mass_t * material_fraction).normalize(),
        share: Share {
            recycled_share_pct: decimal_of(row, "recycled_share_pct")?,
            pre_consumer_pct: opt_decimal_of(row, "pre_consumer_pct")?,
            post_consumer_pct: opt_decimal_of(row, "post_consumer_pct")?,
        },
        credits_t: decimal_of(row, "credits_t")?,
        received_on: text(row, "received_on")?,
        share_source: json_of(row, "share_source")?,
        event_ids: json_of(row, "event_ids")?,
        evidence: opt_text(row, "evidence")?,
        created_at: time_of(row, "created_at")?,
        created_by: text(row, "created_by")?,
    })
}

fn missing_from_row(row: &AnyRow) -> StoreResult<MissingShare> {
    Ok(MissingShare {
        lot: text(row, "lot")?,
        mass: opt_decimal_of(row, "mass")?,
        unit: opt_text(row, "unit")?,
        mass_t: opt_decimal_of(row, "mass_t")?,
        received_on: text(row, "received_on")?,
        event_ids: json_of(row, "event_ids")?,
        reason: text(row, "reason")?,
        resolved: false,
    })
}

/// The entries of a ledger, read on `connection` (the write's own, inside its transaction).
async fn load_entries(
    connection: &mut AnyConnection,
    ledger: &LedgerId,
) -> StoreResult<(Vec<LedgerInput>, Vec<MissingShare>, Vec<LedgerClaim>)> {
    let id = ledger.to_string();
    let inputs = sqlx::query("SELECT * FROM ledger_inputs WHERE ledger_id = $1 ORDER BY seq")
        .bind(id.clone())
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?
        .iter()
        .map(input_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut missing = sqlx::query("SELECT * FROM ledger_missing_shares WHERE ledger_id = $1 ORDER BY created_at, lot")
        .bind(id.clone())
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?
        .iter()
        .map(missing_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    for entry in &mut missing {
        entry.resolved = inputs.iter().any(|input| input.lot == entry.lot);
    }
    let claim_rows = sqlx::query(
        "SELECT c.*, v.reason AS reversal_reason, v.created_at AS reversed_at, v.created_by AS reversed_by \
         FROM ledger_claims c LEFT JOIN ledger_claim_reversals v ON v.claim_id = c.id WHERE c.ledger_id = $1 ORDER BY c.seq",
    )
    .bind(id.clone())
    .fetch_all(&mut *connection)
    .await
    .map_err(unavailable)?;
    let backing_rows = sqlx::query(
        "SELECT b.*, i.lot FROM ledger_claim_backings b JOIN ledger_claims c ON c.id = b.claim_id \
         JOIN ledger_inputs i ON i.id = b.input_id WHERE c.ledger_id = $1 ORDER BY b.claim_id, b.position",
    )
    .bind(id)
    .fetch_all(&mut *connection)
    .await
    .map_err(unavailable)?;
    let mut backings: HashMap<String, Vec<ClaimBacking>> = HashMap::new();
    for row in &backing_rows {
        backings.entry(text(row, "claim_id")?).or_default().push(ClaimBacking {
            input_id: parsed(&text(row, "input_id")?, "ledger input id", str::parse)?,
            lot: text(row, "lot")?,
            credits_t: decimal_of(row, "credits_t")?,
            pre_consumer_t: opt_decimal_of(row, "pre_consumer_t")?,
            post_consumer_t: opt_decimal_of(row, "post_consumer_t")?,
        });
    }
    let mut claims = Vec::with_capacity(claim_rows.len());
    for row in &claim_rows {
        let id = text(row, "id")?;
        let reversal = match opt_text(row, "reversal_reason")? {
            Some(reason) => Some(ClaimReversal {
                reason,
                reversed_at: time_of(row, "reversed_at")?,
                reversed_by: text(row, "reversed_by")?,
            }),
            None => None,
        };
        let mass_t = decimal_of(row, "mass_t")?;
        let material_fraction = decimal_of(row, "material_fraction")?;
        claims.push(LedgerClaim {
            id: parsed(&id, "ledger claim id", str::parse)?,
            ledger_id: parsed(&text(row, "ledger_id")?, "ledger id", str::parse)?,
            output_lot: text(row, "output_lot")?,
            revision: int(row, "revision")?,
            mass: decimal_of(row, "mass")?,
            unit: text(row, "unit")?,
            mass_t,
            material_fraction,
            material_t: (mass_t * material_fraction).normalize(),
            recycled_share_pct: decimal_of(row, "recycled_share_pct")?,
            credits_t: decimal_of(row, "credits_t")?,
            pre_consumer_t: decimal_of(row, "pre_consumer_t")?,
            post_consumer_t: decimal_of(row, "post_consumer_t")?,
            unspecified_t: decimal_of(row, "unspecified_t")?,
            backing: backings.remove(&id).unwrap_or_default(),
            claimed_on: text(row, "claimed_on")?,
            event_id: opt_text(row, "event_id")?,
            reversal,
            created_at: time_of(row, "created_at")?,
            created_by: text(row, "created_by")?,
        });
    }
    Ok((inputs, missing, claims))
}

// ---------------------------------------------------------------------------------------------
// Reading under the read rule

fn readable_ledgers(store: &SqlStore, actor: &Actor) -> Sql {
    readable(
        store,
        actor,
        "ledgers",
        RecordKind::Ledger,
        "owner_organization_id",
        "r.visibility = 'public'",
    )
}

/// The read of a readable ledger row, when it is audited.
fn admit(actor: &Actor, row: &AnyRow, reads: &mut Vec<RecordRead>) -> StoreResult<()> {
    let id = text(row, "id")?;
    let owner: OrganizationId = parsed(&text(row, "owner_organization_id")?, "organization id", str::parse)?;
    let visibility: Visibility = enum_value(&text(row, "visibility")?, "visibility")?;
    let basis = basis_of(actor, row, owner, visibility == Visibility::Public)?;
    if basis.is_audited() && !reads.iter().any(|read| read.id == id) {
        reads.push(RecordRead {
            kind: RecordKind::Ledger,
            id,
            owner,
            basis,
        });
    }
    Ok(())
}

/// The head of a ledger the actor may read, its read audited.
async fn readable_head(store: &SqlStore, actor: &Actor, id: LedgerId) -> StoreResult<LedgerRecord> {
    let mut sql = readable_ledgers(store, actor);
    sql.push_with(" AND r.id = ?", vec![Param::Text(id.to_string())]);
    let row = sql
        .query()
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| not_found(id))?;
    let mut reads = Vec::new();
    admit(actor, &row, &mut reads)?;
    audit_reads(store, actor, &reads).await?;
    let mut head = [ledger_from_row(&row)?];
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    fill_windows(&mut connection, &mut head).await?;
    let [head] = head;
    Ok(head)
}

/// Fills in the rolling windows of `heads` from their side table (migration 0032).
async fn fill_windows(connection: &mut AnyConnection, heads: &mut [LedgerRecord]) -> StoreResult<()> {
    if heads.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT * FROM ledger_rolling_windows WHERE ledger_id IN ", Vec::new());
    sql.push_list(heads.iter().map(|head| Param::Text(head.id.to_string())));
    let rows = sql.query().fetch_all(&mut *connection).await.map_err(unavailable)?;
    for row in &rows {
        let id = text(row, "ledger_id")?;
        let periods = int(row, "periods")?;
        let window = RollingWindow {
            periods: u32::try_from(periods)
                .map_err(|_| StoreError::Unavailable(format!("a stored window of {periods} periods").into()))?,
            ledgers: json_of(row, "ledgers")?,
        };
        if let Some(head) = heads.iter_mut().find(|head| head.id.to_string() == id) {
            head.rolling_window = Some(window);
        }
    }
    Ok(())
}

/// The views of the ledgers a rolling window may count, read on `connection`: the ledgers it
/// names, or the latest `periods - 1` ledgers of the same facility, material and model that end
/// before it starts (ledgers of one facility and material never overlap, so the chain of the
/// window can only use these). The window is part of the ledger's content: a reader of the
/// ledger sees these periods' totals, never their entries.
async fn earlier_views(connection: &mut AnyConnection, head: &LedgerRecord) -> StoreResult<Vec<LedgerView>> {
    let Some(window) = &head.rolling_window else {
        return Ok(Vec::new());
    };
    let mut sql = Sql::new(
        "SELECT * FROM ledgers WHERE facility_id = $1 AND material = $2 AND model = $3 AND period_to < $4",
        vec![
            Param::Text(head.facility_id.to_string()),
            Param::Text(head.material.clone()),
            Param::Text(head.model.as_str().to_owned()),
            Param::Text(head.period_from.clone()),
        ],
    );
    if window.ledgers.is_empty() {
        sql.push_with(
            " ORDER BY period_to DESC LIMIT ?",
            vec![Param::Int(i64::from(window.periods.saturating_sub(1)))],
        );
    } else {
        sql.push_with(" AND id IN ", Vec::new());
        sql.push_list(window.ledgers.iter().map(|id| Param::Text(id.to_string())));
    }
    let heads = sql
        .query()
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?
        .iter()
        .map(ledger_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut views = Vec::with_capacity(heads.len());
    for earlier in heads {
        views.push(entries_view(connection, earlier).await?);
    }
    Ok(views)
}

/// The view of a ledger with its rolling window, if it has one (read on `connection`).
async fn view_of(connection: &mut AnyConnection, head: LedgerRecord) -> StoreResult<LedgerView> {
    let earlier = earlier_views(connection, &head).await?;
    Ok(entries_view(connection, head).await?.with_window(&earlier))
}

/// The view of a ledger: its entries, and the credits the next period's ledger carried out of
/// it (read on `connection`).
async fn entries_view(connection: &mut AnyConnection, head: LedgerRecord) -> StoreResult<LedgerView> {
    let (inputs, missing, claims) = load_entries(connection, &head.id).await?;
    let carried_out = sqlx::query("SELECT credits_t FROM ledger_inputs WHERE carried_from_ledger_id = $1")
        .bind(head.id.to_string())
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|row| decimal_of(row, "credits_t"))
        .sum::<StoreResult<Decimal>>()?;
    Ok(LedgerView::new(head, inputs, missing, claims).with_carried_out(carried_out))
}

pub async fn get(store: &SqlStore, actor: &Actor, id: LedgerId) -> StoreResult<LedgerView> {
    let head = readable_head(store, actor, id).await?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    view_of(&mut connection, head).await
}

pub async fn list(
    store: &SqlStore,
    actor: &Actor,
    filter: &LedgerFilter,
    page: &PageRequest,
) -> StoreResult<Page<LedgerRecord>> {
    let mut sql = readable_ledgers(store, actor);
    if let Some(facility) = filter.facility_id {
        sql.push_with(" AND r.facility_id = ?", vec![Param::Text(facility.to_string())]);
    }
    if let Some(material) = &filter.material {
        sql.push_with(" AND r.material = ?", vec![Param::Text(material.clone())]);
    }
    if let Some(owner) = filter.owner {
        sql.push_with(" AND r.owner_organization_id = ?", vec![Param::Text(owner.to_string())]);
    }
    if let Some((from, to)) = &filter.within {
        sql.push_with(
            " AND r.period_from >= ? AND r.period_to <= ?",
            vec![Param::Text(from.clone()), Param::Text(to.clone())],
        );
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND r.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY r.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let mut rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let has_more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let mut reads = Vec::new();
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        admit(actor, row, &mut reads)?;
        items.push(ledger_from_row(row)?);
    }
    audit_reads(store, actor, &reads).await?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    fill_windows(&mut connection, &mut items).await?;
    let next_after = if has_more {
        items.last().map(|ledger| ledger.id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_after })
}

pub async fn claims_for_lots(
    store: &SqlStore,
    actor: &Actor,
    lots: &[String],
    material: Option<&str>,
) -> StoreResult<Vec<(LedgerRecord, LedgerClaim)>> {
    if lots.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = readable_from(
        store,
        actor,
        "r.*, c.id AS claim_id",
        "ledger_claims c CROSS JOIN ledgers r",
        RecordKind::Ledger,
        "owner_organization_id",
        "r.visibility = 'public'",
    );
    sql.text.push_str(
        " AND c.ledger_id = r.id AND NOT EXISTS (SELECT 1 FROM ledger_claim_reversals v WHERE v.claim_id = c.id) AND c.output_lot IN ",
    );
    sql.push_list(lots.iter().cloned().map(Param::Text));
    if let Some(material) = material {
        sql.push_with(" AND c.material = ?", vec![Param::Text(material.to_owned())]);
    }
    sql.text.push_str(" ORDER BY c.created_at, c.id");
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let mut reads = Vec::new();
    let mut found = Vec::new();
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let mut entries: HashMap<LedgerId, Vec<LedgerClaim>> = HashMap::new();
    for row in &rows {
        admit(actor, row, &mut reads)?;
        let ledger = ledger_from_row(row)?;
        let claim_id: LedgerClaimId = parsed(&text(row, "claim_id")?, "ledger claim id", str::parse)?;
        if let std::collections::hash_map::Entry::Vacant(vacant) = entries.entry(ledger.id) {
            let (_, _, claims) = load_entries(&mut connection, &ledger.id).await?;
            vacant.insert(claims);
        }
        let claim = entries[&ledger.id]
            .iter()
            .find(|claim| claim.id == claim_id)
            .cloned()
            .ok_or_else(|| not_found(claim_id))?;
        found.push((ledger, claim));
    }
    audit_reads(store, actor, &reads).await?;
    Ok(found)
}

pub async fn inputs_for_lots(
    store: &SqlStore,
    actor: &Actor,
    lots: &[String],
) -> StoreResult<Vec<(LedgerRecord, LedgerInput)>> {
    if lots.is_empty() {
        return Ok(Vec::new());
    }
    // The readable ledgers with an input of one of the lots, then those inputs: two statements.
    let mut sql = readable_from(
        store,
        actor,
        "r.*, i.id AS input_id",
        "ledger_inputs i CROSS JOIN ledgers r",
        RecordKind::Ledger,
        "owner_organization_id",
        "r.visibility = 'public'",
    );
    sql.text.push_str(" AND i.ledger_id = r.id AND i.lot IN ");
    sql.push_list(lots.iter().cloned().map(Param::Text));
    sql.text.push_str(" ORDER BY r.id, i.seq");
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut reads = Vec::new();
    let mut ledgers = Vec::with_capacity(rows.len());
    let mut input_ids = Vec::with_capacity(rows.len());
    for row in &rows {
        admit(actor, row, &mut reads)?;
        ledgers.push(ledger_from_row(row)?);
        input_ids.push(Param::Text(text(row, "input_id")?));
    }
    let mut inputs_sql = Sql::new("SELECT * FROM ledger_inputs WHERE id IN ", Vec::new());
    inputs_sql.push_list(input_ids);
    let mut inputs: HashMap<String, LedgerInput> = inputs_sql
        .query()
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|row| Ok((text(row, "id")?, input_from_row(row)?)))
        .collect::<StoreResult<_>>()?;
    let mut found = Vec::with_capacity(rows.len());
    for (row, ledger) in rows.iter().zip(ledgers) {
        let id = text(row, "input_id")?;
        let input = inputs.remove(&id).ok_or_else(|| not_found(&id))?;
        found.push((ledger, input));
    }
    audit_reads(store, actor, &reads).await?;
    Ok(found)
}

pub async fn trace(store: &SqlStore, actor: &Actor, id: LedgerId, claim: LedgerClaimId) -> StoreResult<ClaimTrace> {
    let view = get(store, actor, id).await?;
    let found = view
        .claims
        .iter()
        .find(|candidate| candidate.id == claim)
        .cloned()
        .ok_or_else(|| not_found(claim))?;
    Ok(trace_claim(&view, &found))
}

// ---------------------------------------------------------------------------------------------
// Writing

/// The head of a ledger the actor may write to (members of its owner).
async fn writable_head(store: &SqlStore, actor: &Actor, id: LedgerId) -> StoreResult<LedgerRecord> {
    let head = readable_head(store, actor, id).await?;
    require(
        actor.writes_for(head.owner_organization_id),
        "only members of the ledger's organization write to it",
    )?;
    Ok(head)
}

fn closed(head: &LedgerRecord) -> StoreError {
    StoreError::Conflict {
        message: format!(
            "ledger {} was closed; its entries are final and its credits left lapsed (credits never carry over to another period)",
            head.href()
        ),
        path: String::new(),
    }
}

/// Raises the ledger's revision, taking the ledger for this transaction; `Conflict` once closed.
async fn lock(connection: &mut AnyConnection, head: &LedgerRecord) -> StoreResult<()> {
    let changed = sqlx::query("UPDATE ledgers SET revision = revision + 1 WHERE id = $1 AND closed_at IS NULL")
        .bind(head.id.to_string())
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?
        .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(closed(head))
    }
}

async fn audit_write(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    action: AuditAction,
    head: &LedgerRecord,
) -> StoreResult<()> {
    record(
        store,
        connection,
        actor,
        action,
        RecordKind::Ledger,
        &head.id.to_string(),
        Some(head.owner_organization_id),
        None,
    )
    .await
}

pub async fn create(store: &SqlStore, actor: &Actor, new: NewLedger) -> StoreResult<LedgerRecord> {
    let owner = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of an organization open ledgers".to_owned(),
    })?;
    require(
        actor.writes_for(owner),
        "only members of an organization open its ledgers",
    )?;
    let checked = new.check().map_err(StoreError::Invalid)?;
    let facility = match crate::facilities::get(store, actor, new.facility_id).await {
        Ok(facility) if facility.organization_id == owner => facility,
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            return Err(StoreError::Invalid(vec![Violation::new(
                "/facility_id",
                "no facility of your organization has this id",
            )]))
        }
        Err(other) => return Err(other),
    };
    let ledger = LedgerRecord {
        id: LedgerId::generate(),
        owner_organization_id: owner,
        facility_id: facility.id,
        material: checked.material,
        model: checked.model,
        period_from: checked.period_from,
        period_to: checked.period_to,
        conversion_factor: checked.conversion_factor,
        unit_conversions: checked.unit_conversions,
        visibility: new.visibility.unwrap_or(Visibility::Restricted),
        note: new.note,
        carry_over: checked.carry_over,
        rolling_window: checked.rolling_window,
        closed_at: None,
        created_at: store.clock_now(),
        created_by: actor.principal_id.clone(),
    };
    // The ledgers a window names: each an earlier ledger of the same facility, material and
    // model that the opener's organization keeps.
    if let Some(window) = ledger
        .rolling_window
        .as_ref()
        .filter(|window| !window.ledgers.is_empty())
    {
        let mut named = Vec::with_capacity(window.ledgers.len());
        for id in &window.ledgers {
            named.push(match readable_head(store, actor, *id).await {
                Ok(found) if found.owner_organization_id == owner => Some(found),
                Ok(_) | Err(StoreError::NotFound { .. }) => None,
                Err(other) => return Err(other),
            });
        }
        let violations = check_window_ledgers(&ledger, window, &named, "/rolling_window");
        if !violations.is_empty() {
            return Err(StoreError::Invalid(violations));
        }
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    // Takes the facility for this transaction, so that two overlapping ledgers cannot both pass
    // the check below at the same time (the row is left as it was).
    sqlx::query("UPDATE facilities SET updated_at = updated_at WHERE id = $1")
        .bind(facility.id.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let overlapping = sqlx::query(
        "SELECT id, period_from, period_to FROM ledgers WHERE facility_id = $1 AND material = $2 \
         AND period_from <= $3 AND period_to >= $4 ORDER BY period_from LIMIT 1",
    )
    .bind(facility.id.to_string())
    .bind(ledger.material.clone())
    .bind(ledger.period_to.clone())
    .bind(ledger.period_from.clone())
    .fetch_optional(&mut *transaction)
    .await
    .map_err(unavailable)?;
    if let Some(row) = overlapping {
        return Err(StoreError::Conflict {
            message: format!(
                "the facility's {} ledger /api/v1/ledgers/{} covers {}/{}, which overlaps this period; one ledger per facility, material and period",
                ledger.material,
                text(&row, "id")?,
                text(&row, "period_from")?,
                text(&row, "period_to")?
            ),
            path: "/period".to_owned(),
        });
    }
    let conversions: BTreeMap<&String, String> = ledger
        .unit_conversions
        .iter()
        .map(|(unit, factor)| (unit, factor.to_string()))
        .collect();
    sqlx::query(
        "INSERT INTO ledgers (id, owner_organization_id, facility_id, material, model, period_from, period_to, \
         conversion_factor, unit_conversions, visibility, note, revision, closed_at, created_at, created_by, carry_over) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, NULL, $12, $13, $14)",
    )
    .bind(ledger.id.to_string())
    .bind(owner.to_string())
    .bind(facility.id.to_string())
    .bind(ledger.material.clone())
    .bind(ledger.model.as_str())
    .bind(ledger.period_from.clone())
    .bind(ledger.period_to.clone())
    .bind(ledger.conversion_factor.to_string())
    .bind(to_json(&conversions))
    .bind(ledger.visibility.as_str())
    .bind(ledger.note.clone())
    .bind(micros(ledger.created_at))
    .bind(ledger.created_by.clone())
    .bind(ledger.carry_over.as_ref().map(to_json))
    .execute(&mut *transaction)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[
                (
                    "ledgers_period",
                    "/period",
                    "the facility has a ledger of this material from this day",
                ),
                (
                    "ledgers.facility_id",
                    "/period",
                    "the facility has a ledger of this material from this day",
                ),
            ],
        )
    })?;
    if let Some(window) = &ledger.rolling_window {
        sqlx::query("INSERT INTO ledger_rolling_windows (ledger_id, periods, ledgers) VALUES ($1, $2, $3)")
            .bind(ledger.id.to_string())
            .bind(i64::from(window.periods))
            .bind(to_json(&window.ledgers))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    audit_write(store, &mut transaction, actor, AuditAction::Create, &ledger).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(ledger)
}

/// The ledger of the facility and material that has `lot` as an input, other than `except`.
async fn input_elsewhere(
    connection: &mut AnyConnection,
    head: &LedgerRecord,
    lot: &str,
) -> StoreResult<Option<LedgerId>> {
    let row = sqlx::query("SELECT ledger_id FROM ledger_inputs WHERE facility_id = $1 AND material = $2 AND lot = $3")
        .bind(head.facility_id.to_string())
        .bind(head.material.clone())
        .bind(lot.to_owned())
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    row.map(|row| parsed(&text(&row, "ledger_id")?, "ledger id", str::parse))
        .transpose()
}

async fn insert_input(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    head: &LedgerRecord,
    checked: CheckedInput,
) -> StoreResult<LedgerInput> {
    let seq: i64 =
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger_inputs WHERE ledger_id = $1")
            .bind(head.id.to_string())
            .fetch_one(&mut *connection)
            .await
            .map_err(unavailable)?;
    let input = checked.into_input(
        head,
        LedgerInputId::generate(),
        store.clock_now(),
        actor.principal_id.clone(),
    );
    sqlx::query(
        "INSERT INTO ledger_inputs (id, ledger_id, facility_id, material, seq, lot, mass, unit, mass_t, recycled_share_pct, \
         pre_consumer_pct, post_consumer_pct, credits_t, received_on, share_source, event_ids, evidence, created_at, created_by, \
         material_fraction, fraction_source, carried_from_ledger_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(input.id.to_string())
    .bind(head.id.to_string())
    .bind(head.facility_id.to_string())
    .bind(head.material.clone())
    .bind(seq)
    .bind(input.lot.clone())
    .bind(input.mass.to_string())
    .bind(input.unit.clone())
    .bind(input.mass_t.to_string())
    .bind(input.share.recycled_share_pct.to_string())
    .bind(input.share.pre_consumer_pct.map(|share| share.to_string()))
    .bind(input.share.post_consumer_pct.map(|share| share.to_string()))
    .bind(input.credits_t.to_string())
    .bind(input.received_on.clone())
    .bind(to_json(&input.share_source))
    .bind(to_json(&input.event_ids))
    .bind(input.evidence.clone())
    .bind(micros(input.created_at))
    .bind(input.created_by.clone())
    .bind(input.material_fraction.to_string())
    .bind(to_json(&input.fraction_source))
    .bind(match &input.share_source {
        ShareSource::CarriedOver { from_ledger_id, .. } => Some(from_ledger_id.to_string()),
        _ => None,
    })
    .execute(&mut *connection)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[
                ("ledger_inputs", "/lot", "this lot is already an input of a ledger of the facility and material; an input lot counts once"),
            ],
        )
    })?;
    Ok(input)
}

fn counted_once(lot: &str, ledger: LedgerId) -> StoreError {
    StoreError::Conflict {
        message: format!(
            "input lot {lot:?} is already an input of /api/v1/ledgers/{ledger} (same facility and material); an input lot is counted once"
        ),
        path: "/lot".to_owned(),
    }
}

pub async fn add_input(
    store: &SqlStore,
    actor: &Actor,
    id: LedgerId,
    input: NewLedgerInput,
) -> StoreResult<LedgerInput> {
    let head = writable_head(store, actor, id).await?;
    if head.closed_at.is_some() {
        return Err(closed(&head));
    }
    let mut checked = input.check(&head).map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    lock(&mut transaction, &head).await?;
    if let Some(ledger) = input_elsewhere(&mut transaction, &head, &checked.lot).await? {
        return Err(counted_once(&checked.lot, ledger));
    }
    // The share of a lot the events left unknown: the events' mass and links stay.
    let missing = sqlx::query("SELECT * FROM ledger_missing_shares WHERE ledger_id = $1 AND lot = $2")
        .bind(head.id.to_string())
        .bind(checked.lot.clone())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(unavailable)?;
    if let Some(row) = missing {
        let missing = missing_from_row(&row)?;
        if let Some(mass_t) = missing.mass_t {
            if mass_t != checked.mass_t {
                return Err(StoreError::Invalid(vec![Violation::new(
                    "/mass",
                    format!(
                        "the events give {} t of lot {:?} ({}); give its share for that mass",
                        mass_t.normalize(),
                        checked.lot,
                        missing.event_ids.join(", ")
                    ),
                )]));
            }
        }
        checked.event_ids = missing.event_ids;
    }
    let stored = insert_input(store, &mut transaction, actor, &head, checked).await?;
    audit_write(store, &mut transaction, actor, AuditAction::Update, &head).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(stored)
}

/// The start of day `date` (ISO) in the ledger's offset.
fn day_start(date: &str) -> StoreResult<time::OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(date, &format).map_err(|error| StoreError::Unavailable(Box::new(error)))?;
    Ok(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(LEDGER_OFFSET))
}

/// Every event the actor may read that `query` selects.
async fn every_event(
    store: &SqlStore,
    actor: &Actor,
    query: &EventQuery,
) -> StoreResult<Vec<junkan_model::event::CapturedEvent>> {
    let mut events = Vec::new();
    let mut page = PageRequest::first(MAX_PAGE_SIZE);
    loop {
        let found = store.query_events(actor, query, &page).await?;
        events.extend(found.items.into_iter().map(|stored| stored.event));
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(events),
        }
    }
}

/// The share of each lot: a live upstream claim of the ledger's material the actor may read
/// (one, from another ledger), else the lot's passport as the actor may read it.
///
/// The lot's material fraction comes from the same record: the upstream claim's, else the
/// passport's composition (`fraction_from_passport`); a lot neither describes is the material.
async fn look_up_shares(
    store: &SqlStore,
    actor: &Actor,
    head: &LedgerRecord,
    lots: &[String],
) -> StoreResult<(
    HashMap<String, ShareLookup>,
    HashMap<String, Result<MaterialFraction, String>>,
)> {
    let mut shares = HashMap::new();
    let mut fractions = HashMap::new();
    let claims = claims_for_lots(store, actor, lots, Some(&head.material)).await?;
    for lot in lots {
        let upstream: Vec<&(LedgerRecord, LedgerClaim)> = claims
            .iter()
            .filter(|(ledger, claim)| &claim.output_lot == lot && ledger.id != head.id)
            .collect();
        match upstream.as_slice() {
            [(ledger, claim)] => {
                fractions.insert(
                    lot.clone(),
                    Ok(MaterialFraction {
                        fraction: claim.material_fraction,
                        source: FractionSource::Claim {
                            ledger_id: ledger.id,
                            claim_id: claim.id,
                        },
                    }),
                );
                shares.insert(
                    lot.clone(),
                    ShareLookup::Found(
                        claim.share(),
                        ShareSource::Claim {
                            ledger_id: ledger.id,
                            claim_id: claim.id,
                            owner_organization_id: ledger.owner_organization_id,
                        },
                    ),
                );
                continue;
            }
            [] => {}
            several => {
                shares.insert(
                    lot.clone(),
                    ShareLookup::Unknown(format!(
                        "{} live claims name this lot ({}); which one backs it is not clear",
                        several.len(),
                        several
                            .iter()
                            .map(|(_, claim)| claim.href())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                continue;
            }
        }
        let lookup =
            match crate::passports::find(store, actor, std::slice::from_ref(lot), PassportRead::default()).await {
                Ok(passport) => {
                    let fraction = match fraction_from_passport(&passport.data, &passport.withheld, &head.material) {
                        Ok(Some((fraction, pointer))) => Some(Ok(MaterialFraction {
                            fraction,
                            source: FractionSource::Passport {
                                passport_id: passport.id,
                                identifier: passport.identifier.clone(),
                                profile: passport.profile.clone(),
                                pointer,
                            },
                        })),
                        Ok(None) => None,
                        Err(reason) => Some(Err(format!("passport /api/v1/passports/{}: {reason}", passport.id))),
                    };
                    if let Some(fraction) = fraction {
                        fractions.insert(lot.clone(), fraction);
                    }
                    match share_from_passport(&passport.data, &passport.withheld, &head.material) {
                        Ok((share, pointer)) => ShareLookup::Found(
                            share,
                            ShareSource::Passport {
                                passport_id: passport.id,
                                identifier: passport.identifier.clone(),
                                profile: passport.profile.clone(),
                                pointer,
                            },
                        ),
                        Err(reason) => {
                            ShareLookup::Unknown(format!("passport /api/v1/passports/{}: {reason}", passport.id))
                        }
                    }
                }
                Err(StoreError::NotFound { .. }) => ShareLookup::Unknown(
                    "no upstream claim or passport that you may read states its recycled share".to_owned(),
                ),
                Err(other) => return Err(other),
            };
        shares.insert(lot.clone(), lookup);
    }
    Ok((shares, fractions))
}

pub async fn import(
    store: &SqlStore,
    actor: &Actor,
    id: LedgerId,
    request: ImportLedgerInputs,
) -> StoreResult<ImportReport> {
    let head = writable_head(store, actor, id).await?;
    if head.closed_at.is_some() {
        return Err(closed(&head));
    }
    let declared = request.check().map_err(StoreError::Invalid)?;
    let facility = crate::facilities::get(store, actor, head.facility_id).await?;
    let Some(gln) = facility.gln else {
        return Err(StoreError::Invalid(vec![Violation::new(
            "",
            "the ledger's facility has no GLN, so no event names it as its readPoint or bizLocation; give the facility its GLN, or enter inputs by hand",
        )]));
    };
    let location = format!("https://id.gs1.org/414/{gln}");
    let locations = vec![location.clone()];
    let from = day_start(&head.period_from)?;
    let until = day_start(&head.period_to)? + Duration::days(1);
    let mut events = Vec::new();
    for at_read_point in [true, false] {
        let query = EventQuery {
            event_types: vec!["TransformationEvent".to_owned()],
            ge_event_time: Some(from),
            lt_event_time: Some(until),
            read_points: if at_read_point { locations.clone() } else { Vec::new() },
            biz_locations: if at_read_point { Vec::new() } else { locations.clone() },
            ..EventQuery::default()
        };
        for event in every_event(store, actor, &query).await? {
            if !events
                .iter()
                .any(|known: &junkan_model::event::CapturedEvent| known.event_id == event.event_id)
            {
                events.push(event);
            }
        }
    }
    events.sort_by(|left, right| (left.event_time, &left.event_id).cmp(&(right.event_time, &right.event_id)));
    let lots = input_lots(&head, &locations, &events);
    let (shares, fractions) = look_up_shares(store, actor, &head, &lots).await?;
    let plan = plan_import(&head, &locations, &events, &shares, &fractions, &declared).map_err(StoreError::Invalid)?;

    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    lock(&mut transaction, &head).await?;
    let (inputs, missing, _) = load_entries(&mut transaction, &head.id).await?;
    let mut entered = Vec::new();
    let mut already_entered = Vec::new();
    for input in plan.inputs {
        if let Some(ledger) = input_elsewhere(&mut transaction, &head, &input.lot).await? {
            already_entered.push(AlreadyEntered {
                lot: input.lot,
                ledger_id: ledger,
            });
            continue;
        }
        entered.push(insert_input(store, &mut transaction, actor, &head, input).await?);
    }
    let mut recorded_missing = Vec::new();
    for entry in plan.missing {
        if let Some(ledger) = input_elsewhere(&mut transaction, &head, &entry.lot).await? {
            already_entered.push(AlreadyEntered {
                lot: entry.lot,
                ledger_id: ledger,
            });
            continue;
        }
        if inputs.iter().any(|input| input.lot == entry.lot) {
            continue;
        }
        if !missing.iter().any(|known| known.lot == entry.lot) {
            sqlx::query(
                "INSERT INTO ledger_missing_shares (ledger_id, lot, mass, unit, mass_t, received_on, event_ids, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(head.id.to_string())
            .bind(entry.lot.clone())
            .bind(entry.mass.map(|mass| mass.to_string()))
            .bind(entry.unit.clone())
            .bind(entry.mass_t.map(|mass| mass.to_string()))
            .bind(entry.received_on.clone())
            .bind(to_json(&entry.event_ids))
            .bind(entry.reason.clone())
            .bind(micros(store.clock_now()))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
        }
        recorded_missing.push(entry);
    }
    audit_write(store, &mut transaction, actor, AuditAction::Update, &head).await?;
    let ledger = view_of(&mut transaction, head).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(ImportReport {
        events: plan.events,
        entered,
        already_entered,
        missing_shares: recorded_missing,
        outputs: plan.outputs,
        ledger,
    })
}

pub async fn claim(store: &SqlStore, actor: &Actor, id: LedgerId, request: NewLedgerClaim) -> StoreResult<LedgerClaim> {
    let head = writable_head(store, actor, id).await?;
    if head.closed_at.is_some() {
        return Err(closed(&head));
    }
    let checked = request.check(&head).map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    lock(&mut transaction, &head).await?;
    let (inputs, missing, claims) = load_entries(&mut transaction, &head.id).await?;
    // A live claim of the output lot in another ledger of the facility and material.
    let elsewhere = sqlx::query(
        "SELECT c.id, c.ledger_id FROM ledger_claims c WHERE c.facility_id = $1 AND c.material = $2 AND c.output_lot = $3 \
         AND c.ledger_id <> $4 AND NOT EXISTS (SELECT 1 FROM ledger_claim_reversals v WHERE v.claim_id = c.id)",
    )
    .bind(head.facility_id.to_string())
    .bind(head.material.clone())
    .bind(checked.output_lot.clone())
    .bind(head.id.to_string())
    .fetch_optional(&mut *transaction)
    .await
    .map_err(unavailable)?;
    if let Some(row) = elsewhere {
        return Err(StoreError::Conflict {
            message: format!(
                "output lot {:?} already has a claim in /api/v1/ledgers/{} (same facility and material); claims are immutable: reverse it to correct it",
                checked.output_lot,
                text(&row, "ledger_id")?
            ),
            path: "/output_lot".to_owned(),
        });
    }
    // Under a rolling window, the share comes from the window's periods, read in this
    // transaction like the entries.
    let window = if head.rolling_window.is_some() {
        let earlier = earlier_views(&mut transaction, &head).await?;
        LedgerView::new(head.clone(), inputs.clone(), missing.clone(), claims.clone())
            .with_window(&earlier)
            .rolling_window
    } else {
        None
    };
    let decided = decide_claim(&head, &inputs, &missing, &claims, &checked, window.as_ref()).map_err(refusal)?;
    let revision: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM ledger_claims WHERE facility_id = $1 AND material = $2 AND output_lot = $3",
    )
    .bind(head.facility_id.to_string())
    .bind(head.material.clone())
    .bind(checked.output_lot.clone())
    .fetch_one(&mut *transaction)
    .await
    .map_err(unavailable)?;
    let seq = i64::try_from(claims.len()).unwrap_or(i64::MAX) + 1;
    let stored = LedgerClaim {
        id: LedgerClaimId::generate(),
        ledger_id: head.id,
        output_lot: checked.output_lot,
        revision,
        mass: checked.mass,
        unit: checked.unit,
        mass_t: checked.mass_t,
        material_fraction: checked.material_fraction,
        material_t: checked.material_t,
        recycled_share_pct: checked.recycled_share_pct,
        credits_t: decided.credits_t,
        pre_consumer_t: decided.pre_consumer_t,
        post_consumer_t: decided.post_consumer_t,
        unspecified_t: decided.unspecified_t,
        backing: decided.backing,
        claimed_on: checked.claimed_on,
        event_id: checked.event_id,
        reversal: None,
        created_at: store.clock_now(),
        created_by: actor.principal_id.clone(),
    };
    sqlx::query(
        "INSERT INTO ledger_claims (id, ledger_id, facility_id, material, seq, output_lot, revision, mass, unit, mass_t, \
         recycled_share_pct, credits_t, pre_consumer_t, post_consumer_t, unspecified_t, claimed_on, event_id, created_at, created_by, \
         material_fraction) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(stored.id.to_string())
    .bind(head.id.to_string())
    .bind(head.facility_id.to_string())
    .bind(head.material.clone())
    .bind(seq)
    .bind(stored.output_lot.clone())
    .bind(stored.revision)
    .bind(stored.mass.to_string())
    .bind(stored.unit.clone())
    .bind(stored.mass_t.to_string())
    .bind(stored.recycled_share_pct.to_string())
    .bind(stored.credits_t.to_string())
    .bind(stored.pre_consumer_t.to_string())
    .bind(stored.post_consumer_t.to_string())
    .bind(stored.unspecified_t.to_string())
    .bind(stored.claimed_on.clone())
    .bind(stored.event_id.clone())
    .bind(micros(stored.created_at))
    .bind(stored.created_by.clone())
    .bind(stored.material_fraction.to_string())
    .execute(&mut *transaction)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[("ledger_claims", "/output_lot", "the output lot was claimed at the same time; claims are immutable")],
        )
    })?;
    for (position, backing) in stored.backing.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ledger_claim_backings (claim_id, input_id, position, credits_t, pre_consumer_t, post_consumer_t) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(stored.id.to_string())
        .bind(backing.input_id.to_string())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(backing.credits_t.to_string())
        .bind(backing.pre_consumer_t.map(|credits| credits.to_string()))
        .bind(backing.post_consumer_t.map(|credits| credits.to_string()))
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    }
    audit_write(store, &mut transaction, actor, AuditAction::Update, &head).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(stored)
}

pub async fn reverse(
    store: &SqlStore,
    actor: &Actor,
    id: LedgerId,
    claim: LedgerClaimId,
    reversal: ReverseClaim,
) -> StoreResult<LedgerClaim> {
    let head = writable_head(store, actor, id).await?;
    if head.closed_at.is_some() {
        return Err(closed(&head));
    }
    if let Err(message) = junkan_model::validation::check_text(&reversal.reason, 1_000) {
        return Err(StoreError::Invalid(vec![Violation::new("/reason", message)]));
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    lock(&mut transaction, &head).await?;
    let (_, _, claims) = load_entries(&mut transaction, &head.id).await?;
    let mut found = claims
        .into_iter()
        .find(|candidate| candidate.id == claim)
        .ok_or_else(|| not_found(claim))?;
    if found.reversal.is_some() {
        return Err(StoreError::Conflict {
            message: format!("claim {} was reversed already", found.href()),
            path: String::new(),
        });
    }
    let now = store.clock_now();
    sqlx::query(
        "INSERT INTO ledger_claim_reversals (claim_id, ledger_id, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(claim.to_string())
    .bind(head.id.to_string())
    .bind(reversal.reason.clone())
    .bind(micros(now))
    .bind(actor.principal_id.clone())
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &[("ledger_claim_reversals", "", "the claim was reversed already")]))?;
    audit_write(store, &mut transaction, actor, AuditAction::Update, &head).await?;
    transaction.commit().await.map_err(unavailable)?;
    found.reversal = Some(ClaimReversal {
        reason: reversal.reason,
        reversed_at: now,
        reversed_by: actor.principal_id.clone(),
    });
    Ok(found)
}

pub async fn close(store: &SqlStore, actor: &Actor, id: LedgerId) -> StoreResult<LedgerView> {
    let mut head = writable_head(store, actor, id).await?;
    if head.closed_at.is_some() {
        return Err(closed(&head));
    }
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let changed =
        sqlx::query("UPDATE ledgers SET revision = revision + 1, closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
            .bind(head.id.to_string())
            .bind(micros(now))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?
            .rows_affected();
    if changed != 1 {
        return Err(closed(&head));
    }
    audit_write(store, &mut transaction, actor, AuditAction::Update, &head).await?;
    head.closed_at = Some(now);
    let view = view_of(&mut transaction, head).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(view)
}

/// Carries the unused credits of the closed ledger `from` into `id`, the ledger of the next
/// period, under `from`'s rule (`custody::plan_carry_over`): one entry per period that made
/// them, in one transaction on `id`'s lock. `from` is closed, so its entries no longer change;
/// the entries' lot names carry both ledgers' ids, so carrying twice is refused by the unique
/// input index.
pub async fn carry_over(
    store: &SqlStore,
    actor: &Actor,
    id: LedgerId,
    request: NewCarryOver,
) -> StoreResult<CarryOverReport> {
    let head = writable_head(store, actor, id).await?;
    if head.closed_at.is_some() {
        return Err(closed(&head));
    }
    let from = match writable_head(store, actor, request.from_ledger_id).await {
        Ok(from) => from,
        Err(StoreError::NotFound { .. }) => {
            return Err(StoreError::Invalid(vec![Violation::new(
                "/from_ledger_id",
                "no ledger of your organization has this id",
            )]))
        }
        Err(other) => return Err(other),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    lock(&mut transaction, &head).await?;
    let already = sqlx::query(
        "SELECT COUNT(*) AS carried FROM ledger_inputs WHERE ledger_id = $1 AND carried_from_ledger_id = $2",
    )
    .bind(head.id.to_string())
    .bind(from.id.to_string())
    .fetch_one(&mut *transaction)
    .await
    .map_err(unavailable)?;
    if int(&already, "carried")? > 0 {
        return Err(StoreError::Conflict {
            message: format!(
                "the credits of {} were carried into this ledger already; credits carry over once",
                from.href()
            ),
            path: "/from_ledger_id".to_owned(),
        });
    }
    let previous = view_of(&mut transaction, from).await?;
    let plan = plan_carry_over(&previous, &head).map_err(refusal)?;
    let mut carried = Vec::with_capacity(plan.entries.len());
    for entry in plan.entries {
        carried.push(insert_input(store, &mut transaction, actor, &head, entry).await?);
    }
    audit_write(store, &mut transaction, actor, AuditAction::Update, &head).await?;
    let from = view_of(&mut transaction, previous.ledger).await?;
    let ledger = view_of(&mut transaction, head).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(CarryOverReport {
        from,
        carried,
        lapsed: plan.lapsed,
        ledger,
    })
}

/// A claim or carry-over the ledger refuses, as the store's error: a conflict with what is
/// stored, or invalid input.
fn refusal(refused: ClaimRefused) -> StoreError {
    if refused.conflict {
        StoreError::Conflict {
            message: refused.message,
            path: refused.path,
        }
    } else {
        StoreError::Invalid(vec![Violation::new(refused.path, refused.message)])
    }
}
