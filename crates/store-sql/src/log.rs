//! The tamper-evident log (改ざん検知可能な記録): one leaf per write, appended in the write's own
//! transaction, and everything that reads the log back (tree heads, proofs, verification).
//!
//! **One place appends.** Every sqlx write path already records its audit entry through
//! `access::record`; that function calls [`append_record`], which digests the record's stored
//! rows as they are at that moment in the transaction ([`content_digest`]) and appends the leaf
//! ([`append`]). EPCIS captures append one leaf per stored document (not per event) from the
//! capture paths themselves, with a digest built from what is at hand: each event's hash key,
//! given eventID and stored body ([`event_digest`]), the Merkle tree hash over those digests, and
//! the job row ([`capture_digest`]). The embedded capture writer appends through rusqlite
//! ([`append_rusqlite`]) with the same SQL.
//!
//! A record's content is the rows named by [`record_parts`]: each row encoded canonically (columns
//! by name, typed values, [`row_bytes`]), the rows of each part sorted, and all of it digested
//! with [`digest_parts`]. Verification ([`verify`]) recomputes these digests from the store and
//! compares them with each record's latest leaf; it also walks the chain, looks for records
//! without a leaf, and checks every signed tree head.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Column, Row};

use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::ids::OrganizationId;
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, Role};
use junkan_store::{
    LogDivergence, LogReport, MemberInclusion, RecordInclusion, StoreError, StoreResult, StoredTreeHead,
};
use junkan_translog::{
    consistency_proof, digest_parts, inclusion_proof, leaf_hash, root, to_hex, verify_consistency, Hash, Leaf, TreeHead,
};

use crate::events::JobRow;
use crate::rows::{micros, unavailable};
use crate::{Backend, SqlStore};

/// The kind of a capture's leaf.
pub(crate) const CAPTURE: &str = "capture";

/// The id a record has in the log. A named query is named only within its organization, so its
/// log id is `<owner>/<name>`; every other record keeps its own id.
pub(crate) fn log_record_id(kind: RecordKind, record_id: &str, owner: Option<OrganizationId>) -> String {
    match (kind, owner) {
        (RecordKind::Query, Some(owner)) => format!("{owner}/{record_id}"),
        _ => record_id.to_owned(),
    }
}

/// The rows that make up a record of `kind`: statements with the log id as `$1`. Caches and
/// derived indexes (the roll-up lines of Ouranos structures, EPCIS identifier links) are left
/// out; they are rebuilt from these rows.
pub(crate) fn record_parts(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Organization => &[
            "SELECT * FROM organizations WHERE id = $1",
            "SELECT * FROM organization_industries WHERE organization_id = $1",
            "SELECT * FROM organization_roles WHERE organization_id = $1",
            "SELECT * FROM ouranos_operators WHERE organization_id = $1",
            // An organization of a peer node (migration 0029): its DID and peer.
            "/* optional */ SELECT * FROM remote_organizations WHERE organization_id = $1",
        ],
        RecordKind::Facility => &[
            "SELECT * FROM facilities WHERE id = $1",
            "SELECT * FROM ouranos_plants WHERE facility_id = $1",
        ],
        RecordKind::User => &["SELECT * FROM users WHERE id = $1"],
        RecordKind::Client => &["SELECT * FROM clients WHERE id = $1"],
        RecordKind::ApiKey => &["SELECT * FROM api_keys WHERE id = $1"],
        RecordKind::Grant => &[
            "SELECT * FROM grants WHERE id = $1",
            "SELECT * FROM grant_records WHERE grant_id = $1",
            // Grants made before migration 0027 have no terms: their digest stays what it was.
            "/* optional */ SELECT * FROM grant_terms WHERE grant_id = $1",
            // The fields a grant covers (migration 0040), only for grants that name fields.
            "/* optional */ SELECT * FROM grant_fields WHERE grant_id = $1",
        ],
        RecordKind::Certification => &["SELECT * FROM certifications WHERE id = $1"],
        RecordKind::Industry => &["SELECT * FROM industries WHERE code = $1"],
        RecordKind::Query => &["SELECT * FROM epcis_queries WHERE owner_organization_id || '/' || name = $1"],
        // The subscription as made; its delivery state (last_notified_at, last_error,
        // delivered_up_to) is the delivery worker's bookkeeping, not a write of the record.
        RecordKind::Subscription => &[
            "SELECT id, owner_organization_id, query_name, subscriber_kind, subscriber_id, dest, signature_token, \
             initial_record_time, stream, schedule, report_if_empty, epc_format, created_at \
             FROM epcis_subscriptions WHERE id = $1",
        ],
        RecordKind::Passport => &[
            "SELECT * FROM passports WHERE id = $1",
            "SELECT * FROM passport_versions WHERE passport_id = $1",
            "SELECT * FROM passport_materials WHERE passport_id = $1",
        ],
        RecordKind::Profile => &["SELECT * FROM passport_profiles WHERE code || '@' || version = $1"],
        RecordKind::Footprint => &[
            "SELECT * FROM footprints WHERE id = $1",
            "SELECT * FROM footprint_keys WHERE footprint_id = $1",
        ],
        RecordKind::PactPartner => &["SELECT * FROM pact_partners WHERE id = $1"],
        RecordKind::OuranosPart => &[
            "SELECT * FROM ouranos_parts WHERE trace_id = $1",
            // The line as written; its roll-up columns follow other parts' CFPs and trades.
            "SELECT parent_trace_id, child_trace_id, position, amount_required, amount_required_unit \
             FROM ouranos_parts_structures WHERE parent_trace_id = $1",
            "SELECT * FROM ouranos_cfps WHERE trace_id = $1",
            "SELECT * FROM ouranos_cfp_certifications WHERE trace_id = $1",
            // A part bought from a peer's organization (migration 0034): the link to it.
            "/* optional */ SELECT * FROM ouranos_remote_supplies WHERE trace_id = $1",
        ],
        RecordKind::OuranosTrade => &["SELECT * FROM ouranos_trades WHERE trade_id = $1"],
        RecordKind::MaterialFlow => &["SELECT * FROM material_flows WHERE id = $1"],
        RecordKind::IndicatorValue => &["SELECT * FROM indicator_values WHERE id = $1"],
        RecordKind::IndicatorTarget => &["SELECT * FROM indicator_targets WHERE id = $1"],
        RecordKind::Ledger => &[
            "SELECT * FROM ledgers WHERE id = $1",
            "SELECT * FROM ledger_inputs WHERE ledger_id = $1",
            "SELECT * FROM ledger_missing_shares WHERE ledger_id = $1",
            "SELECT * FROM ledger_claims WHERE ledger_id = $1",
            "SELECT b.* FROM ledger_claim_backings b JOIN ledger_claims c ON c.id = b.claim_id WHERE c.ledger_id = $1",
            "SELECT * FROM ledger_claim_reversals WHERE ledger_id = $1",
            // A rolling-average ledger's window (migration 0032): ledgers without one keep their digests.
            "/* optional */ SELECT * FROM ledger_rolling_windows WHERE ledger_id = $1",
        ],
        RecordKind::PartnerMembership => &["SELECT * FROM partner_memberships WHERE id = $1"],
        RecordKind::PartnerTarget => &["SELECT * FROM partner_targets WHERE id = $1 ORDER BY version"],
        RecordKind::PartnerFollowUp => &["SELECT * FROM partner_follow_ups WHERE id = $1"],
        RecordKind::PartnerSecretariat => &["SELECT * FROM partner_secretariat WHERE organization_id = $1"],
        RecordKind::Certificate => &["SELECT * FROM conformity_certificates WHERE id = $1"],
        RecordKind::CertificateScheme => &["SELECT * FROM certificate_schemes WHERE code = $1"],
        // A key's public parts and retirement; its secret is left out, so that the log, whose
        // digests and proofs are handed out, commits to the key without depending on the secret.
        RecordKind::SigningKey => {
            &["SELECT kid, organization_id, public_key, created_at, retired_at FROM signing_keys WHERE kid = $1"]
        }
        RecordKind::Credential => &["SELECT * FROM issued_credentials WHERE id = $1"],
        RecordKind::AccessRequest => &[
            "SELECT * FROM access_requests WHERE id = $1",
            // The fields a request asks for (migration 0040), only for requests that name fields.
            "/* optional */ SELECT * FROM access_request_fields WHERE access_request_id = $1",
        ],
        RecordKind::DatasetOffer => &[
            "SELECT * FROM dataset_offers WHERE id = $1",
            // The fields an offer shares (migration 0041), only for offers that name fields.
            "/* optional */ SELECT * FROM dataset_offer_fields WHERE offer_id = $1",
        ],
        // A consumer's credential at the provider and a pull token are secrets: left out, so
        // that the log, whose digests are handed out, never depends on them.
        RecordKind::DspNegotiation => &[
            "SELECT id, role, organization_id, counterparty_organization_id, peer_pid, offer_id, dataset, address, \
             state, access_request_id, agreement_id, agreement, reason, created_at, updated_at \
             FROM dsp_negotiations WHERE id = $1",
        ],
        RecordKind::DspTransfer => &[
            "SELECT id, role, organization_id, counterparty_organization_id, negotiation_id, agreement_id, peer_pid, \
             format, address, state, token_expires_at, endpoint, reason, created_at, updated_at \
             FROM dsp_transfers WHERE id = $1",
        ],
        RecordKind::Peer => &["SELECT * FROM peers WHERE id = $1"],
        RecordKind::RemoteRequest => &["SELECT * FROM remote_requests WHERE id = $1"],
        RecordKind::ReceivedRecord => &["SELECT * FROM received_records WHERE id = $1"],
        // Events are logged through their capture's leaf; a capture's digest is `capture_digest`.
        RecordKind::Event | RecordKind::Capture => &[],
    }
}

/// The mark of a part of [`record_parts`] that contributes nothing when it has no rows.
const OPTIONAL_PART: &str = "/* optional */";

/// Every record of a kind that the store holds, by log id: what verification expects a leaf for.
fn record_ids(kind: RecordKind) -> Option<&'static str> {
    Some(match kind {
        RecordKind::Organization => "SELECT id FROM organizations",
        RecordKind::Facility => "SELECT id FROM facilities",
        RecordKind::User => "SELECT id FROM users",
        RecordKind::Client => "SELECT id FROM clients",
        RecordKind::ApiKey => "SELECT id FROM api_keys",
        RecordKind::Grant => "SELECT id FROM grants",
        RecordKind::Certification => "SELECT id FROM certifications",
        RecordKind::Industry => "SELECT code FROM industries",
        RecordKind::Capture => "SELECT id FROM epcis_captures",
        RecordKind::Query => "SELECT owner_organization_id || '/' || name FROM epcis_queries",
        RecordKind::Subscription => "SELECT id FROM epcis_subscriptions",
        RecordKind::Passport => "SELECT id FROM passports",
        RecordKind::Profile => "SELECT code || '@' || version FROM passport_profiles",
        RecordKind::Footprint => "SELECT id FROM footprints",
        RecordKind::PactPartner => "SELECT id FROM pact_partners",
        RecordKind::OuranosPart => "SELECT trace_id FROM ouranos_parts",
        RecordKind::OuranosTrade => "SELECT trade_id FROM ouranos_trades",
        RecordKind::MaterialFlow => "SELECT id FROM material_flows",
        RecordKind::IndicatorValue => "SELECT id FROM indicator_values",
        RecordKind::IndicatorTarget => "SELECT id FROM indicator_targets",
        RecordKind::Ledger => "SELECT id FROM ledgers",
        RecordKind::PartnerMembership => "SELECT id FROM partner_memberships",
        RecordKind::PartnerTarget => "SELECT DISTINCT id FROM partner_targets",
        RecordKind::PartnerFollowUp => "SELECT id FROM partner_follow_ups",
        RecordKind::PartnerSecretariat => "SELECT organization_id FROM partner_secretariat",
        RecordKind::Certificate => "SELECT id FROM conformity_certificates",
        RecordKind::CertificateScheme => "SELECT code FROM certificate_schemes",
        RecordKind::SigningKey => "SELECT kid FROM signing_keys",
        RecordKind::Credential => "SELECT id FROM issued_credentials",
        RecordKind::AccessRequest => "SELECT id FROM access_requests",
        RecordKind::DatasetOffer => "SELECT id FROM dataset_offers",
        RecordKind::DspNegotiation => "SELECT id FROM dsp_negotiations",
        RecordKind::DspTransfer => "SELECT id FROM dsp_transfers",
        RecordKind::Peer => "SELECT id FROM peers",
        RecordKind::RemoteRequest => "SELECT id FROM remote_requests",
        RecordKind::ReceivedRecord => "SELECT id FROM received_records",
        RecordKind::Event => return None,
    })
}

/// Every kind the log holds leaves of.
const LOGGED_KINDS: [RecordKind; 36] = [
    RecordKind::Organization,
    RecordKind::Facility,
    RecordKind::User,
    RecordKind::Client,
    RecordKind::ApiKey,
    RecordKind::Grant,
    RecordKind::Certification,
    RecordKind::Industry,
    RecordKind::Capture,
    RecordKind::Query,
    RecordKind::Subscription,
    RecordKind::Passport,
    RecordKind::Profile,
    RecordKind::Footprint,
    RecordKind::PactPartner,
    RecordKind::OuranosPart,
    RecordKind::OuranosTrade,
    RecordKind::MaterialFlow,
    RecordKind::IndicatorValue,
    RecordKind::IndicatorTarget,
    RecordKind::Ledger,
    RecordKind::PartnerMembership,
    RecordKind::PartnerTarget,
    RecordKind::PartnerFollowUp,
    RecordKind::PartnerSecretariat,
    RecordKind::Certificate,
    RecordKind::CertificateScheme,
    RecordKind::SigningKey,
    RecordKind::Credential,
    RecordKind::AccessRequest,
    RecordKind::DatasetOffer,
    RecordKind::DspNegotiation,
    RecordKind::DspTransfer,
    RecordKind::Peer,
    RecordKind::RemoteRequest,
    RecordKind::ReceivedRecord,
];

fn kind_named(name: &str) -> Option<RecordKind> {
    LOGGED_KINDS
        .into_iter()
        .chain([RecordKind::Event])
        .find(|kind| kind.as_str() == name)
}

/// A row in canonical bytes: its columns ordered by name, each as its name and a typed value
/// (`n` null, `i` integer, `s` text, `b` bytes, `f` float), lengths and integers big-endian.
fn row_bytes(row: &AnyRow) -> StoreResult<Vec<u8>> {
    let mut columns: Vec<(&str, usize)> = row
        .columns()
        .iter()
        .map(|column| (column.name(), column.ordinal()))
        .collect();
    columns.sort_unstable();
    let mut bytes = Vec::new();
    let push = |bytes: &mut Vec<u8>, tag: u8, value: &[u8]| {
        bytes.push(tag);
        bytes.extend_from_slice(&(value.len() as u64).to_be_bytes());
        bytes.extend_from_slice(value);
    };
    for (name, ordinal) in columns {
        push(&mut bytes, b'c', name.as_bytes());
        if let Ok(value) = row.try_get::<Option<i64>, _>(ordinal) {
            match value {
                Some(value) => push(&mut bytes, b'i', &value.to_be_bytes()),
                None => push(&mut bytes, b'n', &[]),
            }
        } else if let Ok(value) = row.try_get::<Option<String>, _>(ordinal) {
            push(&mut bytes, b's', value.unwrap_or_default().as_bytes());
        } else if let Ok(value) = row.try_get::<Option<Vec<u8>>, _>(ordinal) {
            push(&mut bytes, b'b', &value.unwrap_or_default());
        } else if let Ok(value) = row.try_get::<Option<f64>, _>(ordinal) {
            push(&mut bytes, b'f', &value.unwrap_or_default().to_be_bytes());
        } else {
            return Err(StoreError::Unavailable(
                format!("column {name} has a type the log cannot digest").into(),
            ));
        }
    }
    Ok(bytes)
}

/// The digest of record `id` of `kind` as `connection` sees it now.
async fn content_digest(connection: &mut AnyConnection, kind: RecordKind, id: &str) -> StoreResult<Hash> {
    if kind == RecordKind::Capture {
        return stored_capture_digest(connection, id).await;
    }
    let mut parts: Vec<Vec<u8>> = vec![kind.as_str().as_bytes().to_vec(), id.as_bytes().to_vec()];
    for sql in record_parts(kind) {
        let rows = sqlx::query(sql)
            .bind(id.to_owned())
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?;
        // A part added to a kind after records of it were logged is marked optional: with no
        // rows it adds nothing, so those records keep their digests.
        if rows.is_empty() && sql.starts_with(OPTIONAL_PART) {
            continue;
        }
        let mut encoded = rows.iter().map(row_bytes).collect::<StoreResult<Vec<_>>>()?;
        encoded.sort_unstable();
        parts.push((encoded.len() as u64).to_be_bytes().to_vec());
        parts.extend(encoded);
    }
    Ok(digest_parts(parts.iter().map(Vec::as_slice)))
}

/// The digest of one stored EPCIS event: its hash key, the eventID it was given (empty when its
/// eventID is its hash) and its stored body.
pub(crate) fn event_digest(hash_key: &[u8], given_event_id: Option<&str>, body: &str) -> Hash {
    digest_parts([hash_key, given_event_id.unwrap_or_default().as_bytes(), body.as_bytes()])
}

/// The digest a capture's leaf commits to: its job row and `events_root`, the Merkle tree hash
/// over the digests of the events it stored, in capture order ([`events_root`]).
pub(crate) fn capture_digest(row: &JobRow, events_root: &Hash) -> Hash {
    digest_parts([
        CAPTURE.as_bytes(),
        row.id.as_bytes(),
        row.owner.as_bytes(),
        &row.created_at.to_be_bytes(),
        &row.finished_at.map(i64::to_be_bytes).unwrap_or_default(),
        &row.success.to_be_bytes(),
        row.error_behaviour.as_bytes(),
        row.errors.as_bytes(),
        &row.captured_count.to_be_bytes(),
        &row.duplicate_count.to_be_bytes(),
        events_root,
    ])
}

fn event_leaf_hashes(event_digests: &[Hash]) -> Vec<Hash> {
    event_digests.iter().map(|digest| leaf_hash(digest)).collect()
}

/// The Merkle tree hash over the digests of a capture's stored events, each digest a leaf.
pub(crate) fn events_root(event_digests: &[Hash]) -> Hash {
    root(&event_leaf_hashes(event_digests))
}

/// A stored capture's job row and its events' digests in capture order (`None`: no such capture).
async fn stored_capture(connection: &mut AnyConnection, id: &str) -> StoreResult<Option<(JobRow, Vec<Hash>)>> {
    let Some(job) = sqlx::query(
        "SELECT id, owner_organization_id, created_at, finished_at, success, error_behaviour, errors, captured_count, \
         duplicate_count FROM epcis_captures WHERE id = $1",
    )
    .bind(id.to_owned())
    .fetch_optional(&mut *connection)
    .await
    .map_err(unavailable)?
    else {
        return Ok(None);
    };
    let get_text = |column: &str| job.try_get::<String, _>(column).map_err(unavailable);
    let get_int = |column: &str| job.try_get::<i64, _>(column).map_err(unavailable);
    let behaviour = get_text("error_behaviour")?;
    let row = JobRow {
        id: get_text("id")?,
        owner: get_text("owner_organization_id")?,
        created_at: get_int("created_at")?,
        finished_at: job.try_get::<Option<i64>, _>("finished_at").map_err(unavailable)?,
        success: get_int("success")?,
        // The stored text, as one of the two the capture paths write, or a marker that cannot
        // digest like either of them.
        error_behaviour: match behaviour.as_str() {
            "rollback" => "rollback",
            "proceed" => "proceed",
            _ => "(altered)",
        },
        errors: get_text("errors")?,
        captured_count: get_int("captured_count")?,
        duplicate_count: get_int("duplicate_count")?,
    };
    let events =
        sqlx::query("SELECT hash_key, event_id, body FROM epcis_event_records WHERE capture_id = $1 ORDER BY seq")
            .bind(id.to_owned())
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?;
    let digests = events
        .iter()
        .map(|event| {
            Ok(event_digest(
                &event.try_get::<Vec<u8>, _>("hash_key").map_err(unavailable)?,
                event
                    .try_get::<Option<String>, _>("event_id")
                    .map_err(unavailable)?
                    .as_deref(),
                &event.try_get::<String, _>("body").map_err(unavailable)?,
            ))
        })
        .collect::<StoreResult<Vec<Hash>>>()?;
    Ok(Some((row, digests)))
}

async fn stored_capture_digest(connection: &mut AnyConnection, id: &str) -> StoreResult<Hash> {
    Ok(match stored_capture(connection, id).await? {
        Some((row, digests)) => capture_digest(&row, &events_root(&digests)),
        // A capture that is gone digests as nothing at all.
        None => digest_parts([CAPTURE.as_bytes(), id.as_bytes()]),
    })
}

/// What the log's end holds: the next index and the last leaf's hash.
const TAKE_NEXT_INDEX: &str = "UPDATE log_state SET size = size + 1 WHERE id = 1 RETURNING size, last_hash";
const INSERT_LEAF: &str =
    "INSERT INTO log_leaves (leaf_index, at, record_kind, record_id, action, digest, previous_hash, \
     leaf_hash, owner_organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const SET_LAST_HASH: &str = "UPDATE log_state SET last_hash = $1 WHERE id = 1";

/// The leaf a write appends after the leaf hashed `previous` at position `index`.
fn next_leaf(
    index: i64,
    previous: &[u8],
    at: i64,
    kind: &str,
    record_id: &str,
    action: &str,
    digest: Hash,
) -> StoreResult<Leaf> {
    Ok(Leaf {
        index: u64::try_from(index).map_err(unavailable)?,
        previous: previous
            .try_into()
            .map_err(|_| StoreError::Unavailable("the log's last hash is not 32 bytes".into()))?,
        at_micros: at,
        kind: kind.to_owned(),
        record_id: record_id.to_owned(),
        action: action.to_owned(),
        digest,
    })
}

/// Appends the leaf of a write in the transaction of `connection`: takes the next index (on
/// PostgreSQL this locks the log's end until the commit, so leaves are numbered in commit
/// order), inserts the leaf, moves the end.
pub(crate) async fn append(
    connection: &mut AnyConnection,
    at: i64,
    kind: &str,
    record_id: &str,
    action: &str,
    owner: Option<String>,
    digest: Hash,
) -> StoreResult<Leaf> {
    let end = sqlx::query(TAKE_NEXT_INDEX)
        .fetch_one(&mut *connection)
        .await
        .map_err(unavailable)?;
    let size: i64 = end.try_get(0).map_err(unavailable)?;
    let last: Vec<u8> = end.try_get(1).map_err(unavailable)?;
    let leaf = next_leaf(size - 1, &last, at, kind, record_id, action, digest)?;
    let hash = leaf.hash();
    sqlx::query(INSERT_LEAF)
        .bind(size - 1)
        .bind(at)
        .bind(kind.to_owned())
        .bind(record_id.to_owned())
        .bind(action.to_owned())
        .bind(digest.to_vec())
        .bind(last)
        .bind(hash.to_vec())
        .bind(owner)
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?;
    sqlx::query(SET_LAST_HASH)
        .bind(hash.to_vec())
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?;
    Ok(leaf)
}

/// [`append`] on the embedded capture writer's rusqlite connection.
pub(crate) fn append_rusqlite(
    connection: &rusqlite::Connection,
    at: i64,
    record_id: &str,
    owner: &str,
    digest: Hash,
) -> StoreResult<()> {
    let failed = |error: rusqlite::Error| unavailable(error);
    let (size, last): (i64, Vec<u8>) = connection
        .prepare_cached(TAKE_NEXT_INDEX)
        .and_then(|mut statement| statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(failed)?;
    let action = AuditAction::Create.as_str();
    let leaf = next_leaf(size - 1, &last, at, CAPTURE, record_id, action, digest)?;
    let hash = leaf.hash();
    connection
        .prepare_cached(INSERT_LEAF)
        .and_then(|mut statement| {
            statement.execute(rusqlite::params![
                size - 1,
                at,
                CAPTURE,
                record_id,
                action,
                digest.as_slice(),
                last,
                hash.as_slice(),
                owner
            ])
        })
        .map_err(failed)?;
    connection
        .prepare_cached(SET_LAST_HASH)
        .and_then(|mut statement| statement.execute([hash.as_slice()]))
        .map_err(failed)?;
    Ok(())
}

/// Appends the leaf of a write that `access::record` audits: the record's content as this
/// transaction sees it now. Reads (`AuditAction::Read`) append nothing.
pub(crate) async fn append_record(
    store: &SqlStore,
    connection: &mut AnyConnection,
    action: AuditAction,
    kind: RecordKind,
    record_id: &str,
    owner: Option<OrganizationId>,
) -> StoreResult<()> {
    // Reads and listings are audited, not logged: they change no record.
    if matches!(action, AuditAction::Read | AuditAction::List) || !store.log_writes {
        return Ok(());
    }
    let id = log_record_id(kind, record_id, owner);
    let digest = content_digest(connection, kind, &id).await?;
    append(
        connection,
        micros(store.clock_now()),
        kind.as_str(),
        &id,
        action.as_str(),
        owner.map(|owner| owner.to_string()),
        digest,
    )
    .await?;
    Ok(())
}

/// Gives every record stored before the log existed (migration 0024) a leaf, once: the log's
/// `backfilled` flag is set in the same transaction. Later, a record without a leaf is a record
/// written behind the node's back.
pub(crate) async fn backfill(store: &SqlStore) -> StoreResult<()> {
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let done: i64 = sqlx::query_scalar("SELECT backfilled FROM log_state WHERE id = 1")
        .fetch_one(&mut *transaction)
        .await
        .map_err(unavailable)?;
    if done != 0 {
        return Ok(());
    }
    for kind in LOGGED_KINDS {
        backfill_kind(store, &mut transaction, kind).await?;
    }
    sqlx::query("UPDATE log_state SET backfilled = 1 WHERE id = 1")
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    transaction.commit().await.map_err(unavailable)
}

/// Gives every record of `kind` without a leaf an `existing` leaf (records stored before their
/// kind was logged), in the caller's transaction.
pub(crate) async fn backfill_kind(
    store: &SqlStore,
    connection: &mut AnyConnection,
    kind: RecordKind,
) -> StoreResult<()> {
    let at = micros(store.clock_now());
    let Some(sql) = record_ids(kind) else { return Ok(()) };
    let mut ids: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(&mut *connection)
        .await
        .map_err(unavailable)?;
    ids.sort_unstable();
    for id in ids {
        let logged: Option<i64> =
            sqlx::query_scalar("SELECT leaf_index FROM log_leaves WHERE record_kind = $1 AND record_id = $2 LIMIT 1")
                .bind(kind.as_str())
                .bind(id.clone())
                .fetch_optional(&mut *connection)
                .await
                .map_err(unavailable)?;
        if logged.is_some() {
            continue;
        }
        let digest = content_digest(connection, kind, &id).await?;
        append(connection, at, kind.as_str(), &id, "existing", None, digest).await?;
    }
    Ok(())
}

/// A leaf as stored, with the hash stored beside it.
struct StoredLeaf {
    leaf: Leaf,
    stored_hash: Vec<u8>,
    owner: Option<String>,
}

fn hash_of(bytes: &[u8], what: &str) -> StoreResult<Hash> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Unavailable(format!("{what} is not 32 bytes").into()))
}

fn stored_leaf(row: &AnyRow) -> StoreResult<StoredLeaf> {
    let get_text = |column: &str| row.try_get::<String, _>(column).map_err(unavailable);
    let get_bytes = |column: &str| row.try_get::<Vec<u8>, _>(column).map_err(unavailable);
    Ok(StoredLeaf {
        leaf: Leaf {
            index: u64::try_from(row.try_get::<i64, _>("leaf_index").map_err(unavailable)?).map_err(unavailable)?,
            // A previous hash or digest of the wrong length is a tampered row: read as zeros, so
            // that the leaf hash no longer matches.
            previous: hash_of(&get_bytes("previous_hash")?, "previous hash").unwrap_or([0; 32]),
            at_micros: row.try_get::<i64, _>("at").map_err(unavailable)?,
            kind: get_text("record_kind")?,
            record_id: get_text("record_id")?,
            action: get_text("action")?,
            digest: hash_of(&get_bytes("digest")?, "digest").unwrap_or([0; 32]),
        },
        stored_hash: get_bytes("leaf_hash")?,
        owner: row
            .try_get::<Option<String>, _>("owner_organization_id")
            .map_err(unavailable)?,
    })
}

const LEAF_COLUMNS: &str =
    "leaf_index, at, record_kind, record_id, action, digest, previous_hash, leaf_hash, owner_organization_id";

/// The stored leaf hashes of the first `size` leaves (all when `None`), in order.
async fn leaf_hashes(connection: &mut AnyConnection, size: Option<u64>) -> StoreResult<Vec<Hash>> {
    let limit = size.map_or(i64::MAX, |size| i64::try_from(size).unwrap_or(i64::MAX));
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT leaf_hash FROM log_leaves WHERE leaf_index < $1 ORDER BY leaf_index")
            .bind(limit)
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?;
    rows.iter().map(|bytes| hash_of(bytes, "a leaf hash")).collect()
}

/// The log's size and root now.
pub(crate) async fn tree_state(store: &SqlStore) -> StoreResult<(u64, Hash)> {
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let hashes = leaf_hashes(&mut connection, None).await?;
    Ok((hashes.len() as u64, root(&hashes)))
}

fn tree_head_of(row: &AnyRow) -> StoreResult<StoredTreeHead> {
    let signature: Vec<u8> = row.try_get("signature").map_err(unavailable)?;
    Ok(StoredTreeHead {
        sequence: row.try_get("sequence").map_err(unavailable)?,
        head: TreeHead {
            size: u64::try_from(row.try_get::<i64, _>("tree_size").map_err(unavailable)?).map_err(unavailable)?,
            timestamp_millis: row.try_get("signed_at").map_err(unavailable)?,
            root: hash_of(
                &row.try_get::<Vec<u8>, _>("root_hash").map_err(unavailable)?,
                "a root hash",
            )?,
            key_id: row.try_get("key_id").map_err(unavailable)?,
            signature: signature
                .try_into()
                .map_err(|_| StoreError::Unavailable("a stored signature is not 64 bytes".into()))?,
        },
    })
}

/// Stores a signed head whose root is the root of the first `head.size` leaves.
pub(crate) async fn add_tree_head(store: &SqlStore, head: &TreeHead) -> StoreResult<StoredTreeHead> {
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let hashes = leaf_hashes(&mut transaction, Some(head.size)).await?;
    if (hashes.len() as u64) != head.size || root(&hashes) != head.root {
        return Err(StoreError::Invalid(vec![junkan_model::validation::Violation::new(
            "/root",
            format!("is not the root of the log's first {} leaves", head.size),
        )]));
    }
    let row = sqlx::query(
        "INSERT INTO log_tree_heads (tree_size, signed_at, root_hash, key_id, signature) VALUES ($1, $2, $3, $4, $5) \
         RETURNING sequence, tree_size, signed_at, root_hash, key_id, signature",
    )
    .bind(i64::try_from(head.size).map_err(unavailable)?)
    .bind(head.timestamp_millis)
    .bind(head.root.to_vec())
    .bind(head.key_id.clone())
    .bind(head.signature.to_vec())
    .fetch_one(&mut *transaction)
    .await
    .map_err(unavailable)?;
    let stored = tree_head_of(&row)?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(stored)
}

const HEAD_COLUMNS: &str = "sequence, tree_size, signed_at, root_hash, key_id, signature";

/// The signed heads, newest first.
pub(crate) async fn tree_heads(store: &SqlStore, page: &PageRequest) -> StoreResult<Page<StoredTreeHead>> {
    let after = match &page.after {
        Some(after) => after.parse::<i64>().map_err(|_| {
            StoreError::Invalid(vec![junkan_model::validation::Violation::new(
                "/after",
                "must be a tree head sequence number",
            )])
        })?,
        None => i64::MAX,
    };
    let rows = sqlx::query(&format!(
        "SELECT {HEAD_COLUMNS} FROM log_tree_heads WHERE sequence < $1 ORDER BY sequence DESC LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    let heads = rows.iter().map(tree_head_of).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(heads, page.limit, |head| {
        head.sequence.to_string()
    }))
}

/// The newest signed head.
pub(crate) async fn latest_tree_head(store: &SqlStore) -> StoreResult<Option<StoredTreeHead>> {
    let row = sqlx::query(&format!(
        "SELECT {HEAD_COLUMNS} FROM log_tree_heads ORDER BY sequence DESC LIMIT 1"
    ))
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?;
    row.as_ref().map(tree_head_of).transpose()
}

fn sees_whole_log(actor: &Actor) -> bool {
    actor.has_role(Role::NodeAdmin) || actor.has_role(Role::Auditor)
}

fn leaf_not_found(kind: &str, id: &str) -> StoreError {
    StoreError::NotFound {
        kind: kind_named(kind).unwrap_or(RecordKind::Event),
        id: id.to_owned(),
    }
}

/// The tree size a proof is asked for, checked against the log: the newest signed head's when
/// none is given, else the whole log.
async fn proof_size(store: &SqlStore, connection: &mut AnyConnection, asked: Option<u64>) -> StoreResult<Vec<Hash>> {
    let size = match asked {
        Some(size) => Some(size),
        None => latest_tree_head(store).await?.map(|stored| stored.head.size),
    };
    let hashes = leaf_hashes(connection, size).await?;
    if let Some(size) = size {
        if hashes.len() as u64 != size {
            return Err(StoreError::Invalid(vec![junkan_model::validation::Violation::new(
                "?tree_size",
                format!("the log has {} leaves, fewer than {size}", hashes.len()),
            )]));
        }
    }
    Ok(hashes)
}

/// The latest leaf of a record (for an event, its capture's leaf): its index and the digest it
/// commits to, with the leaf's record kind and id. Carries no content.
pub(crate) async fn latest_leaf(
    store: &SqlStore,
    kind: &str,
    id: &str,
) -> StoreResult<Option<junkan_store::LeafReference>> {
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let (leaf_kind, leaf_id) = if kind == RecordKind::Event.as_str() {
        let mut sql = crate::rows::Sql::new("SELECT r.capture_id FROM epcis_events r WHERE ", Vec::new());
        let condition = crate::events::event_id_condition(&mut sql, &[id.to_owned()]);
        sql.push_with(&condition, Vec::new());
        let Some(row) = sql
            .query()
            .fetch_optional(&mut *connection)
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        (
            CAPTURE.to_owned(),
            row.try_get::<String, _>("capture_id").map_err(unavailable)?,
        )
    } else {
        (kind.to_owned(), id.to_owned())
    };
    let row = sqlx::query(&format!(
        "SELECT {LEAF_COLUMNS} FROM log_leaves WHERE record_kind = $1 AND record_id = $2 ORDER BY leaf_index DESC LIMIT 1"
    ))
    .bind(leaf_kind)
    .bind(leaf_id)
    .fetch_optional(&mut *connection)
    .await
    .map_err(unavailable)?;
    row.map(|row| {
        let stored = stored_leaf(&row)?;
        Ok(junkan_store::LeafReference {
            index: stored.leaf.index,
            record_kind: stored.leaf.kind,
            record_id: stored.leaf.record_id,
            digest: stored.leaf.digest,
        })
    })
    .transpose()
}

/// The inclusion proof of a record's latest leaf (an event's: its capture's leaf).
pub(crate) async fn inclusion(
    store: &SqlStore,
    actor: &Actor,
    kind: &str,
    id: &str,
    tree_size: Option<u64>,
) -> StoreResult<RecordInclusion> {
    let Some(record_kind) = kind_named(kind) else {
        return Err(StoreError::Invalid(vec![junkan_model::validation::Violation::new(
            "/kind",
            format!("{kind:?} is not a kind of record the log holds"),
        )]));
    };
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    // An event is found by eventID, through the two indexes that hold eventIDs.
    let (leaf_kind, leaf_id, event_seq) = if record_kind == RecordKind::Event {
        let mut sql = crate::rows::Sql::new("SELECT r.seq, r.capture_id FROM epcis_events r WHERE ", Vec::new());
        let condition = crate::events::event_id_condition(&mut sql, &[id.to_owned()]);
        sql.push_with(&condition, Vec::new());
        let row = sql
            .query()
            .fetch_optional(&mut *connection)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| leaf_not_found(kind, id))?;
        let seq: i64 = row.try_get("seq").map_err(unavailable)?;
        let capture: String = row.try_get("capture_id").map_err(unavailable)?;
        (CAPTURE.to_owned(), capture, Some(seq))
    } else {
        (kind.to_owned(), id.to_owned(), None)
    };
    let row = sqlx::query(&format!(
        "SELECT {LEAF_COLUMNS} FROM log_leaves WHERE record_kind = $1 AND record_id = $2 ORDER BY leaf_index DESC LIMIT 1"
    ))
    .bind(leaf_kind)
    .bind(leaf_id.clone())
    .fetch_optional(&mut *connection)
    .await
    .map_err(unavailable)?
    .ok_or_else(|| leaf_not_found(kind, id))?;
    let stored = stored_leaf(&row)?;
    let allowed = sees_whole_log(actor)
        || stored.owner.is_none()
        || stored.owner == actor.organization_id.map(|organization| organization.to_string());
    if !allowed {
        // Said as "not found", so that the log does not tell others which records exist.
        return Err(leaf_not_found(kind, id));
    }
    let hashes = proof_size(store, &mut connection, tree_size).await?;
    let index = usize::try_from(stored.leaf.index).map_err(unavailable)?;
    let Some(path) = inclusion_proof(&hashes, index) else {
        return Err(StoreError::Invalid(vec![junkan_model::validation::Violation::new(
            "?tree_size",
            format!(
                "the record's leaf {} is not inside the tree of {} leaves",
                stored.leaf.index,
                hashes.len()
            ),
        )]));
    };
    let member = match event_seq {
        Some(seq) => {
            let seqs: Vec<i64> =
                sqlx::query_scalar("SELECT seq FROM epcis_event_records WHERE capture_id = $1 ORDER BY seq")
                    .bind(leaf_id.clone())
                    .fetch_all(&mut *connection)
                    .await
                    .map_err(unavailable)?;
            let (_, digests) = stored_capture(&mut connection, &leaf_id)
                .await?
                .ok_or_else(|| leaf_not_found(kind, id))?;
            let position = seqs
                .iter()
                .position(|stored| *stored == seq)
                .ok_or_else(|| leaf_not_found(kind, id))?;
            let leaves = event_leaf_hashes(&digests);
            Some(MemberInclusion {
                digest: digests[position],
                index: position as u64,
                count: digests.len() as u64,
                root: root(&leaves),
                path: inclusion_proof(&leaves, position).unwrap_or_default(),
            })
        }
        None => None,
    };
    Ok(RecordInclusion {
        leaf_hash: hash_of(&stored.stored_hash, "a leaf hash")?,
        leaf: stored.leaf,
        tree_size: hashes.len() as u64,
        root: root(&hashes),
        path,
        member,
    })
}

/// The consistency proof between two sizes of the log.
pub(crate) async fn consistency(store: &SqlStore, old_size: u64, new_size: u64) -> StoreResult<Vec<Hash>> {
    if old_size > new_size {
        return Err(StoreError::Invalid(vec![junkan_model::validation::Violation::new(
            "?first",
            format!("must not be larger than the second tree size {new_size}"),
        )]));
    }
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let hashes = proof_size(store, &mut connection, Some(new_size)).await?;
    consistency_proof(&hashes, usize::try_from(old_size).map_err(unavailable)?).ok_or_else(|| {
        StoreError::Invalid(vec![junkan_model::validation::Violation::new(
            "?first",
            "is larger than the log",
        )])
    })
}

/// A divergence at a leaf.
fn divergence(
    leaf: Option<u64>,
    kind: &str,
    id: &str,
    problem: String,
    expected: Option<String>,
    found: Option<String>,
) -> LogDivergence {
    LogDivergence {
        leaf_index: leaf,
        record_kind: kind.to_owned(),
        record_id: id.to_owned(),
        problem,
        expected,
        found,
    }
}

/// Recomputes the log from the store, in one read transaction (a snapshot on both engines).
pub(crate) async fn verify(store: &SqlStore, actor: &Actor) -> StoreResult<LogReport> {
    crate::access::require(
        sees_whole_log(actor),
        "only node administrators and auditors verify the whole log",
    )?;
    let mut transaction = store.reader.begin().await.map_err(unavailable)?;
    if store.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    let mut report = LogReport::default();
    let rows = sqlx::query(&format!("SELECT {LEAF_COLUMNS} FROM log_leaves ORDER BY leaf_index"))
        .fetch_all(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let leaves = rows.iter().map(stored_leaf).collect::<StoreResult<Vec<_>>>()?;
    report.leaves = leaves.len() as u64;

    // The chain: consecutive indexes, each leaf's previous hash the hash of the leaf before,
    // each stored hash the hash of the stored fields.
    let mut hashes: Vec<Hash> = Vec::with_capacity(leaves.len());
    let mut previous = [0u8; 32];
    let mut latest: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (position, stored) in leaves.iter().enumerate() {
        let leaf = &stored.leaf;
        let (kind, id) = (leaf.kind.as_str(), leaf.record_id.as_str());
        if leaf.index != position as u64 {
            report.divergences.push(divergence(
                Some(position as u64),
                "log",
                &position.to_string(),
                format!("leaf {position} is missing (the next stored leaf is {})", leaf.index),
                Some(position.to_string()),
                Some(leaf.index.to_string()),
            ));
        }
        if leaf.previous != previous {
            report.divergences.push(divergence(
                Some(leaf.index),
                kind,
                id,
                format!("leaf {} does not chain to the leaf before it", leaf.index),
                Some(to_hex(&previous)),
                Some(to_hex(&leaf.previous)),
            ));
        }
        let hash = leaf.hash();
        if stored.stored_hash != hash {
            report.divergences.push(divergence(
                Some(leaf.index),
                kind,
                id,
                format!("leaf {} was changed after it was written", leaf.index),
                Some(to_hex(&hash)),
                Some(
                    hash_of(&stored.stored_hash, "a leaf hash")
                        .map(|hash| to_hex(&hash))
                        .unwrap_or_default(),
                ),
            ));
        }
        hashes.push(hash);
        previous = hash;
        latest.insert((leaf.kind.clone(), leaf.record_id.clone()), position);
    }
    // The log's end must be where the leaves end (a last leaf deleted leaves no gap).
    let end = sqlx::query("SELECT size, last_hash FROM log_state WHERE id = 1")
        .fetch_one(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let end_size: i64 = end.try_get("size").map_err(unavailable)?;
    let end_hash: Vec<u8> = end.try_get("last_hash").map_err(unavailable)?;
    if end_size != leaves.len() as i64 || end_hash != previous {
        report.divergences.push(divergence(
            Some(leaves.len() as u64),
            "log",
            "end",
            format!("the log's end says {end_size} leaves; {} are stored", leaves.len()),
            Some(end_size.to_string()),
            Some(leaves.len().to_string()),
        ));
    }
    report.root = Some(root(&hashes));

    // Every record's current content against its latest leaf.
    for ((kind, id), position) in &latest {
        let leaf = &leaves[*position].leaf;
        let Some(record_kind) = kind_named(kind) else {
            report.divergences.push(divergence(
                Some(leaf.index),
                kind,
                id,
                format!("leaf {} names a kind of record the node does not keep", leaf.index),
                None,
                None,
            ));
            continue;
        };
        let found = content_digest(&mut transaction, record_kind, id).await?;
        report.records += 1;
        if found != leaf.digest {
            report.divergences.push(divergence(
                Some(leaf.index),
                kind,
                id,
                format!(
                    "{kind} {id} is not what leaf {} committed to: it was changed or deleted behind the node's back",
                    leaf.index
                ),
                Some(to_hex(&leaf.digest)),
                Some(to_hex(&found)),
            ));
        }
    }
    // Records the log has never seen.
    for kind in LOGGED_KINDS {
        let Some(sql) = record_ids(kind) else { continue };
        let ids: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&mut *transaction)
            .await
            .map_err(unavailable)?;
        for id in ids {
            if !latest.contains_key(&(kind.as_str().to_owned(), id.clone())) {
                report.divergences.push(divergence(
                    None,
                    kind.as_str(),
                    &id,
                    format!("{} {id} is stored but no leaf of the log names it", kind.as_str()),
                    None,
                    Some("stored".to_owned()),
                ));
            }
        }
    }

    // Signed tree heads: signature by the named node key, root of the recomputed leaves,
    // consistency with the head before.
    let keys: HashMap<String, ed25519_dalek::VerifyingKey> =
        sqlx::query("SELECT kid, secret FROM signing_keys WHERE organization_id IS NULL")
            .fetch_all(&mut *transaction)
            .await
            .map_err(unavailable)?
            .iter()
            .filter_map(|row| {
                let kid: String = row.try_get("kid").ok()?;
                let secret: String = row.try_get("secret").ok()?;
                let seed: [u8; 32] = base64::engine::general_purpose::STANDARD
                    .decode(secret)
                    .ok()?
                    .try_into()
                    .ok()?;
                Some((kid, ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key()))
            })
            .collect();
    let heads = sqlx::query(&format!("SELECT {HEAD_COLUMNS} FROM log_tree_heads ORDER BY sequence"))
        .fetch_all(&mut *transaction)
        .await
        .map_err(unavailable)?
        .iter()
        .map(tree_head_of)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut before: Option<&StoredTreeHead> = None;
    for stored in &heads {
        report.tree_heads += 1;
        let head = &stored.head;
        let sequence = stored.sequence.to_string();
        let signed = keys
            .get(&head.key_id)
            .is_some_and(|key| head.verify_signature(key).is_ok());
        if !signed {
            report.divergences.push(divergence(
                None,
                "tree_head",
                &sequence,
                format!("tree head {sequence} is not signed by node key {}", head.key_id),
                None,
                None,
            ));
        }
        let size = usize::try_from(head.size).unwrap_or(usize::MAX);
        if size > hashes.len() {
            report.divergences.push(divergence(
                None,
                "tree_head",
                &sequence,
                format!(
                    "tree head {sequence} covers {size} leaves; the log has {}",
                    hashes.len()
                ),
                Some(size.to_string()),
                Some(hashes.len().to_string()),
            ));
        } else {
            let recomputed = root(&hashes[..size]);
            if recomputed != head.root {
                report.divergences.push(divergence(
                    size.checked_sub(1).map(|last| last as u64),
                    "tree_head",
                    &sequence,
                    format!("the leaves no longer hash to tree head {sequence}'s root"),
                    Some(to_hex(&head.root)),
                    Some(to_hex(&recomputed)),
                ));
            }
            if let Some(previous_head) = before.filter(|previous| previous.head.size <= head.size) {
                let old_size = usize::try_from(previous_head.head.size).unwrap_or(usize::MAX);
                let proof = consistency_proof(&hashes[..size], old_size).unwrap_or_default();
                if verify_consistency(
                    previous_head.head.size,
                    head.size,
                    &previous_head.head.root,
                    &head.root,
                    &proof,
                )
                .is_err()
                {
                    report.divergences.push(divergence(
                        None,
                        "tree_head",
                        &sequence,
                        format!(
                            "tree head {sequence} is not consistent with tree head {}",
                            previous_head.sequence
                        ),
                        None,
                        None,
                    ));
                }
            }
        }
        if before.is_some_and(|previous| previous.head.size > head.size) {
            report.divergences.push(divergence(
                None,
                "tree_head",
                &sequence,
                format!("tree head {sequence} is smaller than the head before it"),
                None,
                None,
            ));
        }
        before = Some(stored);
    }
    transaction.commit().await.map_err(unavailable)?;
    // The first divergence first: by leaf, those without a leaf after.
    report
        .divergences
        .sort_by_key(|divergence| divergence.leaf_index.unwrap_or(u64::MAX));
    Ok(report)
}
