//! The tamper-evident log (改ざん検知ログ / transparency log) over HTTP: signed tree heads at a
//! well-known URL, their history, consistency proofs between two heads (all public: hashes
//! only), inclusion proofs of records (signed in), signing a head now and verifying the whole
//! log (node administrators). `docs/log.md` describes the formats.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use utoipa::ToSchema;

use junkan_model::principal::Role;
use junkan_store::{LogDivergence, LogReport, RecordInclusion, StoreError, StoredTreeHead};
use junkan_translog::{to_hex, TreeHead};

use crate::error::{ApiError, ApiResult};
use crate::extract::{require_role, Caller, QueryMap};
use crate::paging::paged;
use crate::AppState;

/// A signed tree head as published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeHeadView {
    /// Position in the node's history of tree heads, from 1.
    pub sequence: i64,
    /// Number of leaves the head covers.
    pub tree_size: u64,
    /// When it was signed, milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The same time, RFC 3339.
    pub signed_at: String,
    /// The RFC 9162 Merkle tree hash of the first `tree_size` leaves, hexadecimal.
    pub root_hash: String,
    /// The node key that signed it (a `kid` of `/.well-known/jwks.json`).
    pub key_id: String,
    /// Ed25519 signature over `signed_bytes`, base64url without padding.
    pub signature: String,
    /// What was signed, base64url: `junkan-log-tree-head/1`, the size and time (8 bytes each,
    /// big-endian) and the 32-byte root.
    pub signed_bytes: String,
}

impl TreeHeadView {
    /// The published form of a stored head.
    pub fn of(stored: &StoredTreeHead) -> TreeHeadView {
        let head = &stored.head;
        let signed_at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(head.timestamp_millis) * 1_000_000)
            .ok()
            .and_then(|time| time.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        TreeHeadView {
            sequence: stored.sequence,
            tree_size: head.size,
            timestamp: head.timestamp_millis,
            signed_at,
            root_hash: to_hex(&head.root),
            key_id: head.key_id.clone(),
            signature: URL_SAFE_NO_PAD.encode(head.signature),
            signed_bytes: URL_SAFE_NO_PAD.encode(TreeHead::signed_bytes(head.size, head.timestamp_millis, &head.root)),
        }
    }
}

crate::list_schema!(TreeHeadList, TreeHeadView);

/// Signs a head of the log as it is now with the node's newest key and stores it. Unless
/// `always`, nothing is signed when the newest head already covers every leaf (the periodic
/// task then has nothing to add).
pub async fn sign_tree_head(state: &AppState, always: bool) -> Result<Option<StoredTreeHead>, StoreError> {
    let (size, root) = state.store.log_tree_state().await?;
    if !always {
        if let Some(latest) = state.store.latest_tree_head().await? {
            if latest.head.size == size && latest.head.root == root {
                return Ok(None);
            }
        }
    }
    let keys = state.keys();
    let (kid, key) = keys.newest();
    let millis = i64::try_from(state.store.now().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let head = TreeHead::sign(size, millis, root, kid, key);
    state.store.add_tree_head(&head).await.map(Some)
}

/// Signs tree heads every `interval` for as long as the process runs (a failure is logged and
/// tried again at the next tick).
pub async fn sign_periodically(state: AppState, interval: std::time::Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sign_tree_head(&state, false).await {
            Ok(Some(stored)) => tracing::info!(
                tree_size = stored.head.size,
                sequence = stored.sequence,
                "signed a tree head"
            ),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "signing a tree head failed"),
        }
    }
}

/// The newest signed tree head (STH) of this node's tamper-evident log.
#[utoipa::path(get, path = "/.well-known/junkan-log/sth", tag = "log", responses(
    (status = 200, description = "The newest signed tree head", body = TreeHeadView),
    (status = 404, description = "No tree head has been signed yet", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_latest_tree_head(State(state): State<AppState>) -> ApiResult<Json<TreeHeadView>> {
    let latest = state
        .store
        .latest_tree_head()
        .await?
        .ok_or_else(|| ApiError::not_found("no tree head has been signed yet"))?;
    Ok(Json(TreeHeadView::of(&latest)))
}

/// Every signed tree head, newest first.
#[utoipa::path(get, path = "/.well-known/junkan-log/tree-heads", tag = "log", params(
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses((status = 200, description = "Signed tree heads, newest first", body = TreeHeadList)))]
pub async fn list_tree_heads(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let page = query.page();
    query.finish()?;
    let heads = state.store.tree_heads(&page).await?;
    Ok(paged(&uri, heads.map(|stored| TreeHeadView::of(&stored))))
}

/// A consistency proof between two tree sizes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyView {
    /// The older tree size.
    pub first: u64,
    /// The newer tree size.
    pub second: u64,
    /// The RFC 9162 §2.1.4 consistency path, hexadecimal hashes.
    pub consistency_path: Vec<String>,
}

/// The consistency proof between the trees of `first` and `second` leaves (RFC 9162 §2.1.4):
/// with it, anyone holding both signed heads checks that the newer log extends the older one.
#[utoipa::path(get, path = "/.well-known/junkan-log/consistency", tag = "log", params(
        ("first" = u64, Query, description = "The older tree size"),
        ("second" = u64, Query, description = "The newer tree size")),
    responses((status = 200, description = "The proof", body = ConsistencyView),
        (status = 400, description = "Sizes out of order or beyond the log", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_consistency(State(state): State<AppState>, mut query: QueryMap) -> ApiResult<Json<ConsistencyView>> {
    let first = query.required("first", tree_size);
    let second = query.required("second", tree_size);
    query.finish()?;
    let (Some(first), Some(second)) = (first, second) else {
        return Err(ApiError::unavailable());
    };
    let proof = state.store.log_consistency(first, second).await?;
    Ok(Json(ConsistencyView {
        first,
        second,
        consistency_path: proof.iter().map(to_hex).collect(),
    }))
}

fn tree_size(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|_| "must be a tree size (a whole number of leaves)".to_owned())
}

/// A record's inclusion proof as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionView {
    /// The record kind asked for.
    pub kind: String,
    /// The record id asked for.
    pub id: String,
    /// The leaf that committed the record's current content.
    pub leaf_index: u64,
    /// The leaf's record kind (`capture` for an event).
    pub leaf_kind: String,
    /// The leaf's record id (the capture's id for an event).
    pub leaf_record_id: String,
    /// What the write did.
    pub action: String,
    /// When, microseconds since the Unix epoch.
    pub at_micros: i64,
    /// The content digest the leaf commits to, hexadecimal.
    pub digest: String,
    /// The leaf hash before it (the chain), hexadecimal.
    pub previous_hash: String,
    /// The leaf hash, hexadecimal.
    pub leaf_hash: String,
    /// The tree size the audit path leads to.
    pub tree_size: u64,
    /// That tree's root, hexadecimal.
    pub root_hash: String,
    /// The RFC 9162 §2.1.3 inclusion path, hexadecimal.
    pub inclusion_path: Vec<String>,
    /// For an event: its place among its capture's events.
    pub event: Option<EventInclusionView>,
}

/// An event inside its capture's leaf.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventInclusionView {
    /// The event's digest (SHA-256 over its hash key, given eventID and stored body, each
    /// length-prefixed), hexadecimal.
    pub digest: String,
    /// Its position among the capture's stored events.
    pub index: u64,
    /// How many events the capture stored.
    pub count: u64,
    /// The root of the capture's tree of event digests, hexadecimal.
    pub root_hash: String,
    /// The event's inclusion path in that tree, hexadecimal.
    pub inclusion_path: Vec<String>,
}

impl InclusionView {
    fn of(kind: String, id: String, inclusion: RecordInclusion) -> InclusionView {
        InclusionView {
            kind,
            id,
            leaf_index: inclusion.leaf.index,
            leaf_kind: inclusion.leaf.kind,
            leaf_record_id: inclusion.leaf.record_id,
            action: inclusion.leaf.action,
            at_micros: inclusion.leaf.at_micros,
            digest: to_hex(&inclusion.leaf.digest),
            previous_hash: to_hex(&inclusion.leaf.previous),
            leaf_hash: to_hex(&inclusion.leaf_hash),
            tree_size: inclusion.tree_size,
            root_hash: to_hex(&inclusion.root),
            inclusion_path: inclusion.path.iter().map(to_hex).collect(),
            event: inclusion.member.map(|member| EventInclusionView {
                digest: to_hex(&member.digest),
                index: member.index,
                count: member.count,
                root_hash: to_hex(&member.root),
                inclusion_path: member.path.iter().map(to_hex).collect(),
            }),
        }
    }
}

/// The inclusion proof of a record: the leaf that committed its current content and that
/// leaf's audit path to the tree of `tree_size` leaves (default: the newest signed head's).
/// `kind` is a record kind (`passport`, `footprint`, `capture`, ...) or `event` with an eventID.
/// Members of the record's organization, node administrators and auditors get it.
#[utoipa::path(get, path = "/api/v1/log/inclusion", tag = "log", params(
        ("kind" = String, Query, description = "Record kind, or `event`"),
        ("id" = String, Query, description = "Record id, or eventID"),
        ("tree_size" = Option<u64>, Query, description = "Tree size (default: the newest signed head's)")),
    security(("bearer" = [])),
    responses((status = 200, description = "The proof", body = InclusionView),
        (status = 404, description = "No leaf names this record (or it is not the caller's)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_inclusion(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryMap,
) -> ApiResult<Json<InclusionView>> {
    let actor = caller.signed_in()?;
    let kind = query.required("kind", |text| Ok::<_, String>(text.to_owned()));
    let id = query.required("id", |text| Ok::<_, String>(text.to_owned()));
    let size = query.checked("tree_size", tree_size);
    query.finish()?;
    let (Some(kind), Some(id)) = (kind, id) else {
        return Err(ApiError::unavailable());
    };
    let inclusion = state.store.log_inclusion(actor, &kind, &id, size).await?;
    Ok(Json(InclusionView::of(kind, id, inclusion)))
}

/// Signs a tree head of the log as it is now (node administrators), besides the periodic one.
#[utoipa::path(post, path = "/api/v1/log/tree-heads", tag = "log", security(("bearer" = [])),
    responses((status = 201, description = "The new signed tree head", body = TreeHeadView)))]
pub async fn create_tree_head(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    require_role(caller.signed_in()?, Role::NodeAdmin)?;
    let stored = sign_tree_head(&state, true).await?.ok_or_else(ApiError::unavailable)?;
    Ok((StatusCode::CREATED, Json(TreeHeadView::of(&stored))).into_response())
}

/// One divergence as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct DivergenceView {
    /// The leaf concerned.
    pub leaf_index: Option<u64>,
    /// The record kind (`log` or `tree_head` for the log's own structure).
    pub record_kind: String,
    /// The record id.
    pub record_id: String,
    /// What is wrong.
    pub problem: String,
    /// What the log committed to.
    pub expected: Option<String>,
    /// What the store holds now.
    pub found: Option<String>,
}

/// A verification report as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// Whether the store matches its log.
    pub intact: bool,
    /// Leaves read.
    pub leaves: u64,
    /// Records recomputed.
    pub records: u64,
    /// Tree heads checked.
    pub tree_heads: u64,
    /// The root of all leaves, hexadecimal.
    pub root_hash: Option<String>,
    /// Every divergence, the first one first.
    pub divergences: Vec<DivergenceView>,
}

impl VerificationView {
    /// The published form of a report.
    pub fn of(report: LogReport) -> VerificationView {
        VerificationView {
            intact: report.is_intact(),
            leaves: report.leaves,
            records: report.records,
            tree_heads: report.tree_heads,
            root_hash: report.root.as_ref().map(to_hex),
            divergences: report.divergences.into_iter().map(divergence_view).collect(),
        }
    }
}

fn divergence_view(divergence: LogDivergence) -> DivergenceView {
    DivergenceView {
        leaf_index: divergence.leaf_index,
        record_kind: divergence.record_kind,
        record_id: divergence.record_id,
        problem: divergence.problem,
        expected: divergence.expected,
        found: divergence.found,
    }
}

/// Recomputes the log from the store and reports every divergence (node administrators and
/// auditors); what `junkan verify --log` does on the database directly.
#[utoipa::path(get, path = "/api/v1/log/verification", tag = "log", security(("bearer" = [])),
    responses((status = 200, description = "The report", body = VerificationView)))]
pub async fn verify_log(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<VerificationView>> {
    let report = state.store.verify_log(caller.signed_in()?).await?;
    Ok(Json(VerificationView::of(report)))
}
