//! Federation routes (ノード間連携, issue 10 item 4; docs/federation.md).
//!
//! *Provider side*, `/federation/v1/...`: what a peer node's organization may ask of this node,
//! each request signed per RFC 9421 by the organization's key ([`Signed`]); unsigned or refused
//! signatures are 401. Each route is the local route's handler called with the peer
//! organization as caller (kind `remote_organization`, role `member` of its local record), so
//! the read rule, grants, purposes, read limits and audit are exactly those of a local
//! organization: the catalog, access requests (create, read), credentials of records (the pull)
//! and lineage.
//!
//! *Consumer side*, `/api/v1/...`: peers (node administrators register them), a peer's catalog,
//! access requests sent to peers, pulls of granted records (each the provider's credential,
//! verified against the provider's DID document and status list on its node, then kept as a
//! received record).

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::Value;
use utoipa::ToSchema as _;

use junkan_credential::{verify_vc_jwt, KeyResolver, VerificationContext};
use junkan_model::access::RecordKind;
use junkan_model::federation::{
    NewPeer, NewReceivedRecord, NewRemoteRequest, Peer, PullRecords, ReceivedRecord, RemoteRequest,
};
use junkan_model::ids::{OrganizationId, PeerId, RemoteRequestId};
use junkan_model::principal::{Actor, Role};
use junkan_model::sharing::{AccessRequest, NewAccessRequest};
use junkan_model::Violation;

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_json, Caller, QueryMap, Valid, ValidOrDefault, ValidValue};
use crate::federation::{self, Outgoing, Signed};
use crate::handlers::{credentials, lineage, path_id, sharing};
use crate::AppState;

crate::list_schema!(PeerList, Peer);
crate::list_schema!(RemoteRequestList, RemoteRequest);
crate::list_schema!(ReceivedRecordList, ReceivedRecord);

// ----- Provider side: signed requests of peers' organizations -----

/// The catalog as the signing peer organization sees it (public and non-public offers).
#[utoipa::path(get, path = "/federation/v1/catalog", tag = "federation",
    responses((status = 200, description = "The catalog", content_type = "application/ld+json", body = Object),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_catalog(State(state): State<AppState>, signed: Signed) -> ApiResult<Response> {
    sharing::get_catalog(State(state), signed.caller).await
}

/// An access request of a peer organization to an organization of this node.
#[utoipa::path(post, path = "/federation/v1/access-requests", tag = "federation", request_body = NewAccessRequest,
    responses((status = 201, description = "Requested (pending)", body = AccessRequest),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_create_access_request(
    State(state): State<AppState>,
    signed: Signed,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    let value = parse_json(&signed.body)?;
    state.schemas.check(&NewAccessRequest::name(), &value)?;
    let new: NewAccessRequest = serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error
            .path()
            .iter()
            .map(|segment| format!("/{segment}"))
            .collect::<String>();
        ApiError::invalid(vec![Violation::new(path, error.into_inner().to_string())])
    })?;
    sharing::create_access_request(State(state), signed.caller, Valid(new)).await
}

/// A request the signing peer organization made, with its decision and grant.
#[utoipa::path(get, path = "/federation/v1/access-requests/{id}", tag = "federation",
    params(("id" = String, Path, description = "Access request id")),
    responses((status = 200, description = "The request", body = AccessRequest),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_get_access_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: Signed,
) -> ApiResult<Json<AccessRequest>> {
    sharing::get_access_request(State(state), signed.caller, Path(id)).await
}

/// The owner's verifiable credential of a record the signing peer organization may read (under
/// a grant, with the grant's purpose in `Junkan-Purpose`): the pull. Unreadable (no grant,
/// revoked, expired, used up, wrong purpose) is 404, as for a local reader.
#[utoipa::path(get, path = "/federation/v1/credentials/{kind}/{id}", tag = "federation",
    params(("kind" = String, Path, description = "Record kind"), ("id" = String, Path, description = "Record id"),
           ("version" = Option<i64>, Query, description = "A passport's version"),
           ("grant" = Option<String>, Query, description = "The grant the pull is made under: the read uses that grant only")),
    responses((status = 200, description = "The credential", body = credentials::ExportedCredential),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such record that the caller may read", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_export_credential(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    mut query: QueryMap,
    signed: Signed,
) -> ApiResult<Json<credentials::ExportedCredential>> {
    // `grant`: the pull names the grant it pulls under (covered by the signature, being part of
    // the target URI); the read then uses that grant only, its fields, level, audit entry and
    // read count, not the strongest grant the peer organization holds.
    let grant = query.checked("grant", |text| {
        text.parse::<junkan_model::ids::GrantId>()
            .map_err(|_| "a grant id".to_owned())
    });
    let mut caller = signed.caller;
    caller.actor.grant = grant;
    credentials::export_credential(State(state), caller, Path(path), query).await
}

/// Lineage as the signing peer organization may read it under the one grant it names (the
/// local route's parameters and `grant`): that grant's fields, audit entry and read count, and
/// no other grant the organization holds here.
#[utoipa::path(get, path = "/federation/v1/lineage", tag = "federation",
    params(("id" = String, Query, description = "EPC URN, EPC class or pattern, or GS1 Digital Link"),
           ("direction" = Option<String>, Query, description = "backward (default), forward or both"),
           ("depth" = Option<u32>, Query, description = "Steps to follow, 1-32 (default 8)"),
           ("grant" = String, Query, description = "The grant of events the lineage is read under (required)")),
    responses((status = 200, description = "The lineage graph", body = junkan_trace::Lineage),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 403, description = "The grant named is not a live grant of events to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "No grant named, or a malformed parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_lineage(
    State(state): State<AppState>,
    mut query: QueryMap,
    signed: Signed,
) -> ApiResult<Json<junkan_trace::Lineage>> {
    let mut caller = signed.caller;
    caller.actor.grant = Some(pinned_grant(&state, &caller.actor, &mut query, RecordKind::Event).await?);
    lineage::get_lineage(State(state), caller, query).await
}

/// The grant a signed lineage or CFP roll-up names in its target URI (`?grant=`, covered by the
/// signature), checked before anything is read, so that a refusal reads and audits nothing: it
/// must be named (a request of an older peer that names none is refused, naming the parameter:
/// reading under whatever grants the organization holds would pick the scope for it), and be a
/// live grant of this node given to the signing organization, of records of `kind`, with reads
/// left and the purpose it enforces given. The read is then pinned to it (`Actor::grant`).
pub async fn pinned_grant(
    state: &AppState,
    actor: &Actor,
    query: &mut QueryMap,
    kind: RecordKind,
) -> ApiResult<junkan_model::ids::GrantId> {
    let Some(text) = query.text("grant") else {
        return Err(ApiError::invalid(vec![Violation::new(
            "?grant",
            format!(
                "is required: a peer node names the grant of {} records it reads under (a junkan node sends it; \
                 a request without it is refused rather than read under another grant)",
                kind.as_str()
            ),
        )]));
    };
    let grant: junkan_model::ids::GrantId = text
        .parse()
        .map_err(|_| ApiError::invalid(vec![Violation::new("?grant", format!("{text:?} is not a grant id"))]))?;
    let refused = |reason: &str| {
        ApiError::forbidden(format!(
            "grant {grant} does not let your organization read here: {reason}"
        ))
    };
    let held = match state.store.get_grant(actor, grant).await {
        Ok(held) => held,
        Err(junkan_store::StoreError::NotFound { .. }) => return Err(refused("no such grant was given to it")),
        Err(other) => return Err(other.into()),
    };
    let now = state.store.now();
    let purpose = actor.purpose.as_deref().map(str::trim).unwrap_or_default();
    if held.revoked_at.is_some() {
        return Err(refused("it was revoked"));
    }
    if held.expires_at <= now {
        return Err(refused("it has expired"));
    }
    if held.record_kind != kind {
        return Err(refused(&format!(
            "it covers {} records, not {}",
            held.record_kind.as_str(),
            kind.as_str()
        )));
    }
    if held.max_reads.is_some_and(|max_reads| held.reads_used >= max_reads) {
        return Err(refused("its reads are used up"));
    }
    if held.enforce_purpose && held.purpose.as_deref() != Some(purpose) {
        return Err(refused("it is given for another purpose (Junkan-Purpose)"));
    }
    Ok(grant)
}

/// The live grants of records of `record_kind` that this node's organizations gave the signing
/// peer organization: what its node names when it continues a lineage or a roll-up here.
#[utoipa::path(get, path = "/federation/v1/grants", tag = "federation",
    params(("record_kind" = Option<String>, Query, description = "Only grants of this kind of record")),
    responses((status = 200, description = "The caller's live grants", body = crate::handlers::grants::GrantList),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_list_grants(
    State(state): State<AppState>,
    mut query: QueryMap,
    signed: Signed,
) -> ApiResult<Json<Value>> {
    let kind: Option<RecordKind> = query.enumerated("record_kind");
    query.finish()?;
    let actor = &signed.caller.actor;
    let now = state.store.now();
    let mut held = Vec::new();
    let mut page = junkan_model::page::PageRequest::first(500);
    loop {
        let listed = state
            .store
            .list_grants(actor, junkan_store::GrantDirection::Received, &page)
            .await?;
        held.extend(listed.items.into_iter().filter(|grant| {
            grant.is_active(now)
                && kind.is_none_or(|kind| grant.record_kind == kind)
                && grant.max_reads.is_none_or(|max_reads| grant.reads_used < max_reads)
        }));
        match listed.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    Ok(Json(serde_json::json!({ "items": held })))
}

/// The ids of the records a grant covers for the signing peer organization now (a grant of a
/// whole kind or class), paged in id order: what the organization may pull. A grant that is not
/// live and given to it is 404. Listing ids reads no record; each pull is audited.
#[utoipa::path(get, path = "/federation/v1/grants/{id}/records", tag = "federation",
    params(("id" = String, Path, description = "Grant id"),
           ("after" = Option<String>, Query, description = "Continue after this record id"),
           ("limit" = Option<u32>, Query, description = "At most this many ids (1-1000, default 100)")),
    responses((status = 200, description = "Record ids: record_kind, items, next_after", body = Object),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No live grant to the caller", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_granted_records(
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut query: QueryMap,
    signed: Signed,
) -> ApiResult<Json<Value>> {
    let grant = path_id(&id, "grant")?;
    let after = query.text("after");
    let limit = query.parsed::<u32>("limit", "a number of records").unwrap_or(100);
    query.finish()?;
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(vec![Violation::new("?limit", "must be 1 to 1000")]));
    }
    let (kind, ids, more) = state
        .store
        .granted_record_ids(&signed.caller.actor, grant, after.as_deref(), limit)
        .await?;
    let next_after = if more { ids.last().cloned() } else { None };
    Ok(Json(serde_json::json!({
        "record_kind": kind,
        "items": ids,
        "next_after": next_after,
    })))
}

// ----- Consumer side -----

fn writing_organization(actor: &Actor) -> ApiResult<OrganizationId> {
    actor
        .organization_id
        .filter(|organization| actor.writes_for(*organization))
        .ok_or_else(|| ApiError::forbidden("only members who write for an organization act for it towards peer nodes"))
}

/// Registers a peer node (node administrators): its DID document is fetched from
/// `{base_url}/.well-known/did.json` and must be that of `did:web:<host of base_url>`.
#[utoipa::path(post, path = "/api/v1/peers", tag = "federation", request_body = NewPeer, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Peer),
              (status = 409, description = "Already registered", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 502, description = "The peer does not answer or publishes no valid DID document", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_peer(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewPeer>,
) -> ApiResult<(StatusCode, Json<Peer>)> {
    let actor = caller.signed_in()?;
    Ok((StatusCode::CREATED, Json(register_peer(&state, actor, &new).await?)))
}

/// [`create_peer`]'s work, shared with `junkan peer add`.
pub async fn register_peer(state: &AppState, actor: &Actor, new: &NewPeer) -> ApiResult<Peer> {
    if !actor.has_role(Role::NodeAdmin) {
        return Err(ApiError::forbidden("only node administrators register peer nodes"));
    }
    let base_url = new.normalized_base_url().map_err(ApiError::invalid)?;
    if base_url == state.settings.issuer {
        return Err(ApiError::invalid(vec![Violation::new(
            "/base_url",
            "is this node itself",
        )]));
    }
    let (did, document) = federation::fetch_peer_identity(state, &base_url).await?;
    Ok(state.store.create_peer(actor, &base_url, &did, &document).await?)
}

/// The registered peer nodes.
#[utoipa::path(get, path = "/api/v1/peers", tag = "federation", security(("bearer" = [])),
    responses((status = 200, description = "Peers", body = PeerList)))]
pub async fn list_peers(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.signed_in()?;
    let peers = state.store.list_peers().await?;
    Ok(Json(serde_json::json!({ "items": peers })))
}

/// One peer node.
#[utoipa::path(get, path = "/api/v1/peers/{id}", tag = "federation", params(("id" = String, Path, description = "Peer id")),
    security(("bearer" = [])), responses((status = 200, description = "The peer", body = Peer)))]
pub async fn get_peer(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Peer>> {
    caller.signed_in()?;
    Ok(Json(state.store.get_peer(path_id(&id, "peer")?).await?))
}

async fn peer_of(state: &AppState, id: &str) -> ApiResult<Peer> {
    Ok(state.store.get_peer(path_id::<PeerId>(id, "peer")?).await?)
}

/// Fetches a peer's catalog as the caller's organization (signed, so that the offers the peer
/// lists to authenticated organizations show).
#[utoipa::path(post, path = "/api/v1/peers/{id}/catalog", tag = "federation", params(("id" = String, Path, description = "Peer id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The peer's DCAT catalog", body = Object),
              (status = 502, description = "The peer is down or answered wrongly", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 504, description = "The peer did not answer in time", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn fetch_peer_catalog(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let actor = caller.signed_in()?;
    let peer = peer_of(&state, &id).await?;
    Ok(Json(peer_catalog(&state, actor, &peer).await?))
}

/// [`fetch_peer_catalog`]'s work, shared with the web application: the peer's catalog as the
/// actor's organization sees it (a request signed with its key).
pub async fn peer_catalog(state: &AppState, actor: &Actor, peer: &Peer) -> ApiResult<Value> {
    let organization = writing_organization(actor)?;
    let answer = federation::send(
        state,
        actor,
        organization,
        peer,
        Outgoing {
            method: "GET",
            path: "/federation/v1/catalog",
            body: None,
            purpose: None,
        },
    )
    .await?;
    answer.success(peer)
}

/// Sends an access request to an organization of a peer node, signed as the caller's
/// organization, and keeps it with the peer's answer.
#[utoipa::path(post, path = "/api/v1/remote-requests", tag = "federation", request_body = NewRemoteRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "Sent; the provider's request is pending", body = RemoteRequest),
              (status = 422, description = "Invalid here or refused as invalid by the provider", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 502, description = "The peer is down", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_remote_request(
    State(state): State<AppState>,
    caller: Caller,
    ValidValue(new, value): ValidValue<NewRemoteRequest>,
) -> ApiResult<(StatusCode, Json<RemoteRequest>)> {
    let actor = caller.signed_in()?;
    let request = value.get("request").cloned().unwrap_or(Value::Null);
    let created = send_remote_request(&state, actor, &new, &request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// [`create_remote_request`]'s work, shared with the web application: `request` is the access
/// request as sent (the JSON form of `new.request`).
pub async fn send_remote_request(
    state: &AppState,
    actor: &Actor,
    new: &NewRemoteRequest,
    request: &Value,
) -> ApiResult<RemoteRequest> {
    let organization = writing_organization(actor)?;
    let peer = state.store.get_peer(new.peer_id).await?;
    let answer = federation::send(
        state,
        actor,
        organization,
        &peer,
        Outgoing {
            method: "POST",
            path: "/federation/v1/access-requests",
            body: Some(request),
            purpose: None,
        },
    )
    .await?;
    let remote = answer.success(&peer)?;
    let remote_id = remote.get("id").and_then(Value::as_str).ok_or_else(|| {
        ApiError::peer(
            StatusCode::BAD_GATEWAY,
            format!("the peer node {} answered the request without an id", peer.did),
        )
    })?;
    let remote_state = remote.get("state").and_then(Value::as_str).unwrap_or("pending");
    let provider_did = format!("{}:organizations:{}", peer.did, new.request.owner_organization_id);
    Ok(state
        .store
        .create_remote_request(actor, peer.id, &provider_did, remote_id, request, &remote, remote_state)
        .await?)
}

/// The requests the caller's organization sent to peers.
#[utoipa::path(get, path = "/api/v1/remote-requests", tag = "federation", security(("bearer" = [])),
    responses((status = 200, description = "Requests", body = RemoteRequestList)))]
pub async fn list_remote_requests(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.signed_in()?;
    let requests = state.store.list_remote_requests(actor).await?;
    Ok(Json(serde_json::json!({ "items": requests })))
}

/// One of them, as last refreshed.
#[utoipa::path(get, path = "/api/v1/remote-requests/{id}", tag = "federation",
    params(("id" = String, Path, description = "Remote request id")), security(("bearer" = [])),
    responses((status = 200, description = "The request", body = RemoteRequest)))]
pub async fn get_remote_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RemoteRequest>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .get_remote_request(actor, path_id(&id, "remote request")?)
            .await?,
    ))
}

/// Asks the provider's node for the request's state now and keeps its answer (shared with the
/// web application).
pub async fn refreshed(state: &AppState, actor: &Actor, id: RemoteRequestId) -> ApiResult<(RemoteRequest, Peer)> {
    let organization = writing_organization(actor)?;
    let request = state.store.get_remote_request(actor, id).await?;
    let peer = state.store.get_peer(request.peer_id).await?;
    let path = format!("/federation/v1/access-requests/{}", request.remote_id);
    let answer = federation::send(
        state,
        actor,
        organization,
        &peer,
        Outgoing {
            method: "GET",
            path: &path,
            body: None,
            purpose: None,
        },
    )
    .await?;
    let remote = answer.success(&peer)?;
    let remote_state = remote
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or(&request.state)
        .to_owned();
    let grant = remote.get("grant_id").and_then(Value::as_str).map(str::to_owned);
    let updated = state
        .store
        .update_remote_request(actor, id, &remote_state, grant.as_deref(), &remote)
        .await?;
    Ok((updated, peer))
}

/// Asks the provider's node for the request's state now (approved, narrowed, refused, revoked,
/// expired) and keeps its answer.
#[utoipa::path(post, path = "/api/v1/remote-requests/{id}/refresh", tag = "federation",
    params(("id" = String, Path, description = "Remote request id")), security(("bearer" = [])),
    responses((status = 200, description = "The request as the provider reports it now", body = RemoteRequest),
              (status = 502, description = "The peer is down", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn refresh_remote_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RemoteRequest>> {
    let actor = caller.signed_in()?;
    Ok(Json(refreshed(&state, actor, path_id(&id, "remote request")?).await?.0))
}

/// Percent-encodes a path segment (RFC 3986 unreserved characters kept).
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Pulls granted records from the provider: for each record, the provider's credential over
/// signed requests (with the request's purpose), verified against the provider organization's
/// DID document and revocation status list on its node, and kept as a received record. The
/// provider decides again on every pull: once it revoked the grant, the pull fails.
#[utoipa::path(post, path = "/api/v1/remote-requests/{id}/pull", tag = "federation", request_body = PullRecords,
    params(("id" = String, Path, description = "Remote request id")), security(("bearer" = [])),
    responses((status = 201, description = "The records received", body = ReceivedRecordList),
              (status = 404, description = "The provider refuses: no such record the grant covers (revoked, expired, used up)", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 502, description = "The peer is down, or its credential did not verify", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn pull_remote_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidOrDefault(pull): ValidOrDefault<PullRecords>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let actor = caller.signed_in()?;
    let (received, next_after) = pull_records(&state, actor, path_id(&id, "remote request")?, pull).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "items": received, "next_after": next_after })),
    ))
}

/// [`pull_remote_request`]'s work, shared with the web application: refreshes the request, then
/// pulls, verifies and keeps each record (`pull.record_ids`, else those the request named, else
/// the next page of what a grant of a whole kind or class covers). Returns the records received
/// and, for a grant of a kind or class, where the next page starts.
pub async fn pull_records(
    state: &AppState,
    actor: &Actor,
    id: RemoteRequestId,
    pull: PullRecords,
) -> ApiResult<(Vec<ReceivedRecord>, Option<String>)> {
    let organization = writing_organization(actor)?;
    let (request, peer) = refreshed(state, actor, id).await?;
    let kind = request
        .request
        .get("record_kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let purpose = request
        .request
        .get("purpose")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let named: Vec<String> = match pull.record_ids {
        Some(ids) => ids,
        None => request
            .request
            .get("record_ids")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    let limit = pull.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(vec![Violation::new("/limit", "must be 1 to 100")]));
    }
    // Named records, or (a grant of a whole kind or class) the next page of what the grant
    // covers, as the provider lists it for the signing organization.
    let (ids, next_after) = if named.is_empty() {
        let grant = request.grant_id.clone().ok_or_else(|| {
            ApiError::peer_refused(
                StatusCode::NOT_FOUND,
                format!("the peer node {} has granted nothing for this request (yet)", peer.did),
            )
        })?;
        let mut path = format!("/federation/v1/grants/{}/records?limit={limit}", path_segment(&grant));
        if let Some(after) = &pull.after {
            path.push_str(&format!("&after={}", path_segment(after)));
        }
        let answer = federation::send(
            state,
            actor,
            organization,
            &peer,
            Outgoing {
                method: "GET",
                path: &path,
                body: None,
                purpose: purpose.as_deref(),
            },
        )
        .await?;
        let listed = answer.success(&peer)?;
        if listed.get("record_kind").and_then(Value::as_str) != Some(kind.as_str()) {
            return Err(ApiError::peer(
                StatusCode::BAD_GATEWAY,
                format!(
                    "the peer node {} listed records of {} for a request of {kind}",
                    peer.did,
                    listed.get("record_kind").unwrap_or(&Value::Null)
                ),
            ));
        }
        let ids: Vec<String> = listed
            .get("items")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        if ids.len() > limit as usize {
            return Err(ApiError::peer(
                StatusCode::BAD_GATEWAY,
                format!("the peer node {} listed more records than asked for", peer.did),
            ));
        }
        let next = listed.get("next_after").and_then(Value::as_str).map(str::to_owned);
        (ids, next)
    } else {
        if named.len() > 100 || pull.after.is_some() {
            return Err(ApiError::invalid(vec![Violation::new(
                "/record_ids",
                "name 1 to 100 records to pull; after pages a grant of a whole kind or class only",
            )]));
        }
        (named, None)
    };
    let mut received = Vec::new();
    let mut status_lists = StatusLists::new();
    for record_id in ids {
        let mut path = format!(
            "/federation/v1/credentials/{}/{}",
            path_segment(&kind),
            path_segment(&record_id)
        );
        // Under the request's grant only: the provider then reads with that grant's fields and
        // audits the read against it, even when this organization holds other grants there.
        if let Some(grant) = &request.grant_id {
            path.push_str(&format!("?grant={}", path_segment(grant)));
        }
        let answer = federation::send(
            state,
            actor,
            organization,
            &peer,
            Outgoing {
                method: "GET",
                path: &path,
                body: None,
                purpose: purpose.as_deref(),
            },
        )
        .await?;
        let exported = answer.success(&peer)?;
        let new = verified_record(state, &peer, &request, &kind, &record_id, &exported, &mut status_lists).await?;
        received.push(state.store.create_received_record(actor, new).await?);
    }
    Ok((received, next_after))
}

/// Verifies a credential a provider returned and makes the received record of it: see
/// [`verify_peer_credential`]; a refusal is a 502 naming the peer.
async fn verified_record(
    state: &AppState,
    peer: &Peer,
    request: &RemoteRequest,
    kind: &str,
    record_id: &str,
    exported: &Value,
    status_lists: &mut StatusLists,
) -> ApiResult<NewReceivedRecord> {
    let refuse = |reason: String| {
        ApiError::peer(
            StatusCode::BAD_GATEWAY,
            format!(
                "the credential of {kind} {record_id} from the peer node {} was refused: {reason}",
                peer.did
            ),
        )
    };
    let jwt = exported
        .get("credential")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("the answer holds no credential".to_owned()))?;
    let verified = verify_peer_credential(state, peer, &request.provider_did, kind, record_id, jwt, status_lists)
        .await
        .map_err(|refusal| match refusal {
            CredentialRefusal::Unreachable(error) => error,
            CredentialRefusal::Refused { reason, .. } => refuse(reason),
        })?;
    Ok(NewReceivedRecord {
        peer_id: peer.id,
        remote_request_id: Some(request.id),
        provider_did: request.provider_did.clone(),
        record_kind: kind.to_owned(),
        record_id: record_id.to_owned(),
        record_version: verified.subject.get("recordVersion").and_then(Value::as_i64),
        grant_id: request.grant_id.clone(),
        credential: jwt.to_owned(),
        credential_id: verified.credential.get("id").and_then(Value::as_str).map(str::to_owned),
        issuer_key_id: verified.key_id,
        subject: verified.subject,
        verified_at: verified.report.verified_at,
    })
}

/// The status list credentials fetched from peers, by URL: fetched once for every credential
/// verified in one request (a pull, a page of received records).
pub type StatusLists = std::collections::HashMap<String, String>;

/// Why a credential from a peer was not accepted.
#[derive(Debug)]
pub enum CredentialRefusal {
    /// The provider's node did not answer (or answered wrongly) for its DID document or status
    /// list, so the credential could not be checked: the peer's 502/504 problem.
    Unreachable(ApiError),
    /// The credential does not verify, or is not about the record asked for.
    Refused {
        /// What failed, in a sentence.
        reason: String,
        /// The verification's report, when the verification ran.
        report: Option<Box<junkan_credential::VerificationReport>>,
    },
}

/// A credential from a peer that verified.
#[derive(Debug)]
pub struct VerifiedCredential {
    /// The verification's report (every check passed).
    pub report: junkan_credential::VerificationReport,
    /// The credential as read (the vc+jwt payload).
    pub credential: Value,
    /// Its `credentialSubject`: the record's content as the provider's view gives it.
    pub subject: Value,
    /// The DID URL of the key that signed it.
    pub key_id: String,
}

/// Verifies the credential `jwt` of record `kind`/`record_id` that the provider organization
/// `provider_did` issued: signed by a key of its DID document fetched from `peer` (refetched
/// when the key is not in the cached one), issued by that organization, valid now, not revoked
/// in its Bitstring Status Lists (which must be on the provider's node) and about that record.
/// Used by the pull and by the web application's received records, which check again.
pub async fn verify_peer_credential(
    state: &AppState,
    peer: &Peer,
    provider_did: &str,
    kind: &str,
    record_id: &str,
    jwt: &str,
    status_lists: &mut StatusLists,
) -> Result<VerifiedCredential, CredentialRefusal> {
    let refuse = |reason: String| CredentialRefusal::Refused { reason, report: None };
    // A peer that does not answer is not a refusal of the credential; a peer that answers
    // without a valid DID document of the provider is.
    let document_refusal = |error: ApiError| {
        if error.problem_type().starts_with("urn:junkan:problem:peer-") {
            CredentialRefusal::Unreachable(error)
        } else {
            CredentialRefusal::Refused {
                reason: error.detail().to_owned(),
                report: None,
            }
        }
    };
    let mut document = federation::organization_document(state, peer, provider_did, false)
        .await
        .map_err(document_refusal)?;
    let header_kid = jwt
        .split('.')
        .next()
        .and_then(|header| junkan_credential::jose::base64url_decode(header).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|header| header.get("kid").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    if document.resolve_key(&header_kid).is_err() {
        document = federation::organization_document(state, peer, provider_did, true)
            .await
            .map_err(document_refusal)?;
    }
    // The status lists the credential names, fetched from the provider's node only.
    let payload: Value = jwt
        .split('.')
        .nth(1)
        .and_then(|payload| junkan_credential::jose::base64url_decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    let statuses = match payload.get("credentialStatus") {
        Some(Value::Array(entries)) => entries.clone(),
        Some(entry) => vec![entry.clone()],
        None => Vec::new(),
    };
    for entry in statuses {
        let Some(url) = entry.get("statusListCredential").and_then(Value::as_str) else {
            continue;
        };
        if !url.starts_with(&format!("{}/", peer.base_url)) {
            return Err(refuse(format!("its status list {url} is not on the provider's node")));
        }
        if status_lists.contains_key(url) {
            continue;
        }
        let answer = federation::fetch_public(state, &peer.did, url)
            .await
            .map_err(CredentialRefusal::Unreachable)?;
        if let Value::String(list) = answer.body {
            if answer.status == 200 {
                status_lists.insert(url.to_owned(), list);
            }
        }
    }
    let report = {
        let resolver: &dyn KeyResolver = &document;
        let context = VerificationContext::new(resolver, state.store.now()).with_status_lists(&*status_lists);
        verify_vc_jwt(jwt, &context)
    };
    if !report.valid {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|check| check.failure.is_some())
            .map(|check| format!("{:?}: {}", check.name, check.message))
            .collect();
        return Err(CredentialRefusal::Refused {
            reason: failed.join("; "),
            report: Some(Box::new(report)),
        });
    }
    if report.issuer.as_deref() != Some(provider_did) {
        return Err(CredentialRefusal::Refused {
            reason: format!(
                "it was issued by {:?}, not by the provider {provider_did}",
                report.issuer
            ),
            report: Some(Box::new(report)),
        });
    }
    let credential = report.credential.clone().unwrap_or(Value::Null);
    let subject = credential.get("credentialSubject").cloned().unwrap_or(Value::Null);
    let about = subject.get("recordId").and_then(Value::as_str);
    let about_kind = subject.get("recordKind").and_then(Value::as_str);
    if about != Some(record_id) || about_kind != Some(kind) {
        return Err(CredentialRefusal::Refused {
            reason: format!("it is about {about_kind:?} {about:?}, not the record asked for"),
            report: Some(Box::new(report)),
        });
    }
    let key_id = report.kid.clone().unwrap_or(header_kid);
    Ok(VerifiedCredential {
        report,
        credential,
        subject,
        key_id,
    })
}

/// The records the caller's organization received from peers (optionally under one request).
#[utoipa::path(get, path = "/api/v1/received-records", tag = "federation",
    params(("remote_request" = Option<String>, Query, description = "Only those pulled under this remote request")),
    security(("bearer" = [])), responses((status = 200, description = "Received records", body = ReceivedRecordList)))]
pub async fn list_received_records(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(_uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Json<Value>> {
    let actor = caller.signed_in()?;
    let remote_request = query.checked("remote_request", |text| {
        text.parse::<RemoteRequestId>()
            .map_err(|_| "a remote request id".to_owned())
    });
    query.finish()?;
    let records = state.store.list_received_records(actor, remote_request).await?;
    Ok(Json(serde_json::json!({ "items": records })))
}

/// One received record, with the credential as received.
#[utoipa::path(get, path = "/api/v1/received-records/{id}", tag = "federation",
    params(("id" = String, Path, description = "Received record id")), security(("bearer" = [])),
    responses((status = 200, description = "The record", body = ReceivedRecord)))]
pub async fn get_received_record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ReceivedRecord>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state
            .store
            .get_received_record(actor, path_id(&id, "received record")?)
            .await?,
    ))
}

// ----- CFP roll-up across nodes (ノード間の積み上げ算定) -----

crate::list_schema!(RemoteSupplyList, junkan_model::federation::RemoteSupply);

/// The rolled-up CFP per unit of a part of this node, for the signing peer organization: when
/// it may read the footprint of the part's CFP (a grant of the part's operator, with its purpose
/// in `Junkan-Purpose`), the supplier's roll-up through every tier below the part, with the
/// exact value the buyer's node adds up (`value`) and the summary figures. That read and the
/// suppliers' parts the roll-up reads are audited for their owners. Anything else is 404, the
/// same as a part that does not exist.
#[utoipa::path(get, path = "/federation/v1/ouranos/cfp-rollup/{trace_id}", tag = "federation",
    params(("trace_id" = String, Path, description = "The supplier's part (trace id)"),
           ("grant" = String, Query, description = "The grant of footprints the roll-up is read under (required)")),
    responses((status = 200, description = "The part's rolled-up CFP per unit", body = Object),
              (status = 401, description = "Unsigned, or the signature was refused", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 403, description = "The grant named is not a live grant of footprints to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "No grant named", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such part whose CFP the caller may read", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn federation_ouranos_rollup(
    State(state): State<AppState>,
    Path(trace_id): Path<String>,
    mut query: QueryMap,
    signed: Signed,
) -> ApiResult<Json<Value>> {
    let trace_id: uuid::Uuid = path_id(&trace_id, "part")?;
    // Under the one grant of footprints the buyer's node names (its fields, audit entry and read
    // count), as a pull.
    let grant = pinned_grant(&state, &signed.caller.actor, &mut query, RecordKind::Footprint).await?;
    query.finish()?;
    let actor = &Actor {
        grant: Some(grant),
        ..signed.caller.actor
    };
    let (rolled, value, operator) = state.store.ouranos_rollup_for_reader(actor, trace_id).await?;
    Ok(Json(serde_json::json!({
        "trace_id": trace_id,
        "supplier": crate::trust::organization_did(&state, operator),
        "unit": value.unit.pact_name(),
        "total": rolled.total.to_string(),
        "stages": rolled.stages,
        "ratings": rolled.ratings,
        "primary_data_share": rolled.primary_data_share.map(|share| share.to_string()),
        "emissions_without_primary_data_share": rolled.emissions_without_primary_data_share.to_string(),
        "tiers": rolled.tiers,
        // Parts missing on this node are counted, not named: their ids and operators mean
        // nothing to the buyer's node.
        "missing_parts": rolled.missing.len(),
        "value": value.to_json(),
    })))
}

/// Links a part of the caller's organization to a supplier's part on a peer node (members who
/// write): the CFP roll-up then asks that peer for the supplier's rolled-up value of the part.
#[utoipa::path(put, path = "/api/v1/ouranos-remote-supplies/{trace_id}", tag = "federation",
    params(("trace_id" = String, Path, description = "The buyer's part (trace id)")),
    request_body = junkan_model::federation::NewRemoteSupply, security(("bearer" = [])),
    responses((status = 200, description = "Linked", body = junkan_model::federation::RemoteSupply),
              (status = 404, description = "No such part of the caller's organization", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (unknown peer, a DID not of that peer)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn put_ouranos_remote_supply(
    State(state): State<AppState>,
    caller: Caller,
    Path(trace_id): Path<String>,
    Valid(new): Valid<junkan_model::federation::NewRemoteSupply>,
) -> ApiResult<Json<junkan_model::federation::RemoteSupply>> {
    let actor = caller.signed_in()?;
    let trace_id: uuid::Uuid = path_id(&trace_id, "part")?;
    Ok(Json(link_remote_supply(&state, actor, trace_id, &new).await?))
}

/// [`put_ouranos_remote_supply`]'s work, shared with the web application's page of remote
/// supplies: the peer must be registered and the DID one of its organizations'.
pub async fn link_remote_supply(
    state: &AppState,
    actor: &Actor,
    trace_id: uuid::Uuid,
    new: &junkan_model::federation::NewRemoteSupply,
) -> ApiResult<junkan_model::federation::RemoteSupply> {
    let peer = state.store.get_peer(new.peer_id).await.map_err(|error| match error {
        junkan_store::StoreError::NotFound { .. } => ApiError::invalid(vec![Violation::new(
            "/peer_id",
            format!("no peer node {} is registered", new.peer_id),
        )]),
        other => other.into(),
    })?;
    match federation::split_organization_did(&new.supplier_did) {
        Some((node, _)) if node == peer.did => {}
        _ => {
            return Err(ApiError::invalid(vec![Violation::new(
                "/supplier_did",
                format!(
                    "must be the DID of an organization of the peer node {} ({}:organizations:<id>)",
                    peer.did, peer.did
                ),
            )]))
        }
    }
    Ok(state.store.put_ouranos_remote_supply(actor, trace_id, new).await?)
}

/// Removes the link of a part of the caller's organization.
#[utoipa::path(delete, path = "/api/v1/ouranos-remote-supplies/{trace_id}", tag = "federation",
    params(("trace_id" = String, Path, description = "The buyer's part (trace id)")), security(("bearer" = [])),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "No link of a part of the caller's organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn delete_ouranos_remote_supply(
    State(state): State<AppState>,
    caller: Caller,
    Path(trace_id): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = caller.signed_in()?;
    let trace_id: uuid::Uuid = path_id(&trace_id, "part")?;
    state.store.delete_ouranos_remote_supply(actor, trace_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The links of the caller's organization's parts to suppliers' parts on peer nodes.
#[utoipa::path(get, path = "/api/v1/ouranos-remote-supplies", tag = "federation", security(("bearer" = [])),
    responses((status = 200, description = "The links", body = RemoteSupplyList)))]
pub async fn list_ouranos_remote_supplies(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let actor = caller.signed_in()?;
    let supplies = state.store.list_ouranos_remote_supplies(actor).await?;
    Ok(Json(serde_json::json!({ "items": supplies })))
}
