//! Federation between junkan nodes (ノード間連携, issue 10 item 4), the HTTP side: requests an
//! organization of this node sends to a peer node, signed per RFC 9421 with the organization's
//! current Ed25519 key ([`send`]); the verification of such requests arriving here ([`Signed`],
//! the extractor of the `/federation/v1` routes), which turns a verified signature into a
//! [`Caller`] acting for the peer's organization; and the peers' DID documents, fetched from the
//! registered peer only and cached ([`FederationState`]). The signature base and header formats
//! are `junkan_credential::http_signature`'s; see docs/federation.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use rand::RngCore as _;
use serde_json::Value;

use junkan_credential::http_signature::{
    self, check_content_digest, content_digest, ParameterValue, RequestMessage, SignatureParameters, ALG_ED25519,
};
use junkan_credential::{controller_of, DidDocument, VerificationMethod};
use junkan_model::federation::Peer;
use junkan_model::ids::OrganizationId;
use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, PrincipalKind, Role};

use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthMethod, Caller, PURPOSE_HEADER};
use crate::{trust, AppState};

/// The label of junkan's signatures in `Signature-Input` / `Signature`.
pub const SIGNATURE_LABEL: &str = "junkan";
/// How far a signature's `created` may be from the receiver's clock, in seconds.
pub const MAX_CLOCK_SKEW: i64 = 300;
/// How long a signature is valid after `created` (`expires`), in seconds.
pub const SIGNATURE_LIFETIME: i64 = 60;
/// How long a fetched DID document of a peer's organization is trusted before it is fetched
/// again (an unknown key id refetches at once; a key retired on the peer is refused here at the
/// latest this long after).
pub const DOCUMENT_CACHE_TTL: Duration = Duration::from_secs(30);
/// Timeout of a request to a peer.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// The node's federation state: the DID documents of peers' organizations it has fetched, and
/// the HTTP agent for peers.
#[derive(Clone)]
pub struct FederationState {
    documents: Arc<Mutex<HashMap<String, (Instant, DidDocument)>>>,
    agent: ureq::Agent,
}

impl Default for FederationState {
    fn default() -> FederationState {
        FederationState {
            documents: Arc::new(Mutex::new(HashMap::new())),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(3))
                .timeout(PEER_TIMEOUT)
                .redirects(0)
                .build(),
        }
    }
}

impl std::fmt::Debug for FederationState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("FederationState").finish_non_exhaustive()
    }
}

/// A peer's answer: status and body (JSON when it parses, else the text as a string).
#[derive(Debug, Clone)]
pub struct PeerAnswer {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Value,
}

impl PeerAnswer {
    /// The body of a 2xx answer, or the peer's refusal as an error naming the peer.
    pub fn success(self, peer: &Peer) -> ApiResult<Value> {
        if (200..300).contains(&self.status) {
            return Ok(self.body);
        }
        let detail = self
            .body
            .get("detail")
            .and_then(Value::as_str)
            .map_or_else(|| self.body.to_string(), str::to_owned);
        let message = format!(
            "the peer node {} ({}) answered {}: {detail}",
            peer.did, peer.base_url, self.status
        );
        match StatusCode::from_u16(self.status) {
            Ok(status) if status.is_client_error() => Err(ApiError::peer_refused(status, message)),
            _ => Err(ApiError::peer(StatusCode::BAD_GATEWAY, message)),
        }
    }
}

/// One HTTP exchange with a peer, blocking (run it with `spawn_blocking`).
fn exchange(
    agent: &ureq::Agent,
    peer_name: &str,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> ApiResult<PeerAnswer> {
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(transport)) => {
            let text = transport.to_string();
            let status = if text.contains("timed out") {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            return Err(ApiError::peer(
                status,
                format!("the peer node {peer_name} did not answer {method} {url}: {text}"),
            ));
        }
    };
    let status = response.status();
    let text = response.into_string().map_err(|error| {
        ApiError::peer(
            StatusCode::BAD_GATEWAY,
            format!("the peer node {peer_name} broke off its answer to {method} {url}: {error}"),
        )
    })?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(PeerAnswer { status, body })
}

/// An unsigned GET of a peer's public document (DID documents, directory entries, status lists).
pub async fn fetch_public(state: &AppState, peer_name: &str, url: &str) -> ApiResult<PeerAnswer> {
    let agent = state.federation.agent.clone();
    let (peer_name, url) = (peer_name.to_owned(), url.to_owned());
    tokio::task::spawn_blocking(move || {
        exchange(
            &agent,
            &peer_name,
            "GET",
            &url,
            &[("Accept".to_owned(), "application/json".to_owned())],
            None,
        )
    })
    .await
    .map_err(|error| ApiError::internal(&error))?
}

/// The node DID a peer's base URL gives (`did:web:<host>`), as its `/.well-known/did.json`
/// must state.
pub fn expected_peer_did(base_url: &str) -> String {
    let host = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    junkan_credential::did_web(host, &[])
}

/// Fetches a peer's node DID document from `{base_url}/.well-known/did.json` and checks that it
/// is the document of the DID its host gives. Used to register a peer.
pub async fn fetch_peer_identity(state: &AppState, base_url: &str) -> ApiResult<(String, Value)> {
    let did = expected_peer_did(base_url);
    let url = format!("{base_url}/.well-known/did.json");
    let document = fetch_public(state, &did, &url).await?;
    if document.status != 200 {
        return Err(ApiError::peer(
            StatusCode::BAD_GATEWAY,
            format!("the peer node at {base_url} answered {} for {url}", document.status),
        ));
    }
    DidDocument::parse(&document.body, &did).map_err(|error| {
        ApiError::peer(
            StatusCode::BAD_GATEWAY,
            format!("the peer node at {base_url} publishes no valid DID document of {did}: {error}"),
        )
    })?;
    Ok((did, document.body))
}

/// The organization id on its node and the node's DID, from an organization DID
/// `did:web:<host>:organizations:<id>`.
pub fn split_organization_did(did: &str) -> Option<(String, String)> {
    let (node, id) = did.rsplit_once(":organizations:")?;
    if node.matches(':').count() != 2 || id.is_empty() || id.contains(':') {
        return None;
    }
    Some((node.to_owned(), id.to_owned()))
}

/// The DID document of a peer organization, from the cache or fetched from the registered peer
/// (`{base_url}/organizations/<id>/did.json`). `refresh` skips the cache (a key id the cached
/// document does not list: the organization may have rotated its key).
pub async fn organization_document(state: &AppState, peer: &Peer, did: &str, refresh: bool) -> ApiResult<DidDocument> {
    if !refresh {
        let cached = state
            .federation
            .documents
            .lock()
            .map_err(|_| ApiError::internal(&"the DID document cache is poisoned"))?
            .get(did)
            .filter(|(fetched, _)| fetched.elapsed() < DOCUMENT_CACHE_TTL)
            .map(|(_, document)| document.clone());
        if let Some(document) = cached {
            return Ok(document);
        }
    }
    let (_, id) = split_organization_did(did)
        .ok_or_else(|| ApiError::signature("key", format!("{did} is not the DID of an organization of a node")))?;
    let url = format!("{}/organizations/{id}/did.json", peer.base_url);
    let answer = fetch_public(state, &peer.did, &url).await?;
    if answer.status != 200 {
        return Err(ApiError::signature(
            "key",
            format!(
                "the peer node {} publishes no DID document of {did} (GET {url} answered {})",
                peer.did, answer.status
            ),
        ));
    }
    let document = DidDocument::parse(&answer.body, did).map_err(|error| {
        ApiError::signature(
            "key",
            format!("the DID document of {did} at {url} is not valid: {error}"),
        )
    })?;
    state
        .federation
        .documents
        .lock()
        .map_err(|_| ApiError::internal(&"the DID document cache is poisoned"))?
        .insert(did.to_owned(), (Instant::now(), document.clone()));
    Ok(document)
}

/// The verification method `keyid` of the peer organization `did`, refetching the document once
/// when the cached one does not list it.
async fn peer_key(state: &AppState, peer: &Peer, did: &str, keyid: &str) -> ApiResult<VerificationMethod> {
    let find = |document: &DidDocument| {
        document
            .verification_methods
            .iter()
            .find(|method| method.id == keyid)
            .cloned()
    };
    if let Some(method) = find(&organization_document(state, peer, did, false).await?) {
        return Ok(method);
    }
    find(&organization_document(state, peer, did, true).await?).ok_or_else(|| {
        ApiError::signature(
            "key",
            format!(
                "{keyid} is not a key of {did}: the organization's DID document on {} does not list it",
                peer.did
            ),
        )
    })
}

/// What an outgoing signed request is.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// Path and query on the peer, e.g. `/federation/v1/catalog`.
    pub path: &'a str,
    /// JSON body, if any.
    pub body: Option<&'a Value>,
    /// The `Junkan-Purpose` to send (covered by the signature).
    pub purpose: Option<&'a str>,
}

/// The signing key and key id (`<did>#<kid>`) of a local organization, made on first use.
pub async fn organization_signing_key(
    state: &AppState,
    actor: &Actor,
    organization: OrganizationId,
) -> ApiResult<(SigningKey, String)> {
    let key = state.store.organization_signing_key(actor, organization).await?;
    let seed: [u8; 32] = STANDARD
        .decode(&key.secret)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ApiError::internal(&format!("stored key {} is not a 32-byte seed", key.kid)))?;
    let did = trust::organization_did(state, organization);
    Ok((SigningKey::from_bytes(&seed), format!("{did}#{}", key.kid)))
}

/// The headers of a request signed by `key` (`keyid`): `Content-Digest` for a body, the purpose,
/// `Signature-Input` and `Signature` covering `@method`, `@target-uri` and those headers, with
/// `created`, `expires`, `nonce`, `alg` and `keyid`.
pub fn signed_headers(
    key: &SigningKey,
    keyid: &str,
    method: &str,
    target_uri: &str,
    body: Option<&[u8]>,
    purpose: Option<&str>,
    now: i64,
) -> ApiResult<Vec<(String, String)>> {
    let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
    let mut components = vec!["@method".to_owned(), "@target-uri".to_owned()];
    if let Some(body) = body {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        headers.push(("Content-Digest".to_owned(), content_digest(body)));
        components.push("content-digest".to_owned());
    }
    if let Some(purpose) = purpose {
        headers.push(("Junkan-Purpose".to_owned(), purpose.to_owned()));
        components.push(PURPOSE_HEADER.to_owned());
    }
    let mut nonce = [0_u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let params = SignatureParameters {
        components,
        parameters: vec![
            ("created".to_owned(), ParameterValue::Integer(now)),
            ("expires".to_owned(), ParameterValue::Integer(now + SIGNATURE_LIFETIME)),
            ("nonce".to_owned(), ParameterValue::Text(URL_SAFE_NO_PAD.encode(nonce))),
            ("alg".to_owned(), ParameterValue::Text(ALG_ED25519.to_owned())),
            ("keyid".to_owned(), ParameterValue::Text(keyid.to_owned())),
        ],
    };
    let message = RequestMessage {
        method,
        target_uri,
        headers: &headers,
    };
    let (input, signature) =
        http_signature::sign(key, SIGNATURE_LABEL, &message, &params).map_err(|error| ApiError::internal(&error))?;
    headers.push(("Signature-Input".to_owned(), input));
    headers.push(("Signature".to_owned(), signature));
    Ok(headers)
}

/// Sends a request to `peer` as `organization` (a local organization the actor writes for),
/// signed with the organization's current key. A peer that is down or does not answer in time
/// is a 502/504 problem naming it; its answer is returned whatever its status.
pub async fn send(
    state: &AppState,
    actor: &Actor,
    organization: OrganizationId,
    peer: &Peer,
    outgoing: Outgoing<'_>,
) -> ApiResult<PeerAnswer> {
    let (key, keyid) = organization_signing_key(state, actor, organization).await?;
    let target_uri = format!("{}{}", peer.base_url, outgoing.path);
    let body = outgoing.body.map(|body| body.to_string().into_bytes());
    let now = state.store.now().unix_timestamp();
    let headers = signed_headers(
        &key,
        &keyid,
        outgoing.method,
        &target_uri,
        body.as_deref(),
        outgoing.purpose,
        now,
    )?;
    let agent = state.federation.agent.clone();
    let (method, peer_name) = (outgoing.method.to_owned(), peer.did.clone());
    tokio::task::spawn_blocking(move || exchange(&agent, &peer_name, &method, &target_uri, &headers, body.as_deref()))
        .await
        .map_err(|error| ApiError::internal(&error))?
}

/// A request to a `/federation/v1` route whose RFC 9421 signature verified: the caller (the
/// peer's organization, through its local record) and the body.
#[derive(Debug)]
pub struct Signed {
    /// The peer organization as a caller: kind `remote_organization`, role `member` of its
    /// local record, nothing more.
    pub caller: Caller,
    /// The request body (its `Content-Digest` checked).
    pub body: Bytes,
}

/// A request's headers as (name, text) pairs (values that are not UTF-8 left out).
pub fn header_values(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            String::from_utf8(value.as_bytes().to_vec())
                .ok()
                .map(|value| (name.as_str().to_owned(), value))
        })
        .collect()
}

fn one_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl FromRequest<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Signed, ApiError> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, state.settings.body_limit)
            .await
            .map_err(|_| ApiError::too_large(state.settings.body_limit))?;
        let headers = header_values(&parts.headers);
        let path_and_query = parts.uri.path_and_query().map_or("/", |value| value.as_str());
        let target_uri = format!("{}{path_and_query}", state.settings.issuer);
        let actor = verify_request(state, parts.method.as_str(), &target_uri, &headers, &body).await?;
        Ok(Signed {
            caller: Caller {
                actor,
                method: AuthMethod::Signature,
            },
            body,
        })
    }
}

/// Verifies a signed request and returns the peer organization's actor: the signature's
/// parameters and covered components, the time window, the key (a key of the organization the
/// key id names, from the DID document its registered peer publishes, not retired), the
/// signature, the body's digest, and that the nonce is new.
pub async fn verify_request(
    state: &AppState,
    method: &str,
    target_uri: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> ApiResult<Actor> {
    let (Some(input), Some(signature)) = (one_header(headers, "signature-input"), one_header(headers, "signature"))
    else {
        return Err(ApiError::signature(
            "missing",
            "federation routes need a request signed per RFC 9421 (Signature-Input and Signature headers) by an \
             organization of a registered peer node",
        ));
    };
    let malformed = |error: http_signature::HttpSignatureError| ApiError::signature("malformed", error.to_string());
    let signatures = http_signature::parse_signatures(input, signature).map_err(malformed)?;
    let [received] = signatures.as_slice() else {
        return Err(ApiError::signature("malformed", "send exactly one signature"));
    };
    let params = &received.params;
    let (Some(created), Some(expires), Some(nonce), Some(keyid)) = (
        params.integer("created"),
        params.integer("expires"),
        params.text("nonce"),
        params.text("keyid"),
    ) else {
        return Err(ApiError::signature(
            "malformed",
            "the signature must have the parameters created, expires, nonce and keyid",
        ));
    };
    if params.text("alg").is_some_and(|alg| alg != ALG_ED25519) {
        return Err(ApiError::signature("malformed", "the signature's alg must be ed25519"));
    }
    let covers = |name: &str| params.components.iter().any(|component| component == name);
    let mut missing: Vec<&str> = Vec::new();
    if !covers("@method") {
        missing.push("@method");
    }
    let target_covered = covers("@target-uri") || (covers("@authority") && covers("@path") && covers("@query"));
    if !target_covered {
        missing.push("@target-uri (or @authority, @path and @query)");
    }
    if !body.is_empty() && !covers("content-digest") {
        missing.push("content-digest");
    }
    if one_header(headers, PURPOSE_HEADER).is_some() && !covers(PURPOSE_HEADER) {
        missing.push(PURPOSE_HEADER);
    }
    if !missing.is_empty() {
        return Err(ApiError::signature(
            "malformed",
            format!("the signature must cover {}", missing.join(", ")),
        ));
    }
    let now = state.store.now().unix_timestamp();
    if created > now + MAX_CLOCK_SKEW || now - created > MAX_CLOCK_SKEW || expires <= now || expires < created {
        return Err(ApiError::signature(
            "expired",
            format!(
                "the signature was created at {created} and expires at {expires}; it is {now} here (±{MAX_CLOCK_SKEW} s \
                 accepted)"
            ),
        ));
    }
    let did = controller_of(keyid)
        .ok_or_else(|| ApiError::signature("key", format!("keyid {keyid:?} is not a DID URL")))?
        .to_owned();
    let (node_did, _) = split_organization_did(&did).ok_or_else(|| {
        ApiError::signature(
            "key",
            format!("{did} is not the DID of an organization of a node (did:web:<host>:organizations:<id>)"),
        )
    })?;
    let peer = state.store.peer_by_did(&node_did).await?.ok_or_else(|| {
        ApiError::signature(
            "unknown-peer",
            format!("{node_did} is not a registered peer of this node; its operator registers it with junkan peer add"),
        )
    })?;
    let method_key = peer_key(state, &peer, &did, keyid).await?;
    if let Some(retired_at) = method_key.retired_at {
        if retired_at.unix_timestamp() <= created {
            return Err(ApiError::signature(
                "key",
                format!("{keyid} was revoked at {retired_at} (rotated out) and no longer signs for {did}"),
            ));
        }
    }
    let message = RequestMessage {
        method,
        target_uri,
        headers,
    };
    http_signature::verify(&method_key.public_key, &message, received).map_err(|error| match error {
        http_signature::HttpSignatureError::BadSignature { .. } => ApiError::signature(
            "invalid",
            format!("the signature does not verify with {keyid}, the key of {did} it names: it was not made by that key over this request"),
        ),
        other => ApiError::signature("malformed", other.to_string()),
    })?;
    if !body.is_empty() {
        let digest = one_header(headers, "content-digest").unwrap_or_default();
        check_content_digest(digest, body)
            .map_err(|error| ApiError::signature("digest", format!("Content-Digest: {error}")))?;
    }
    let expires_at = time::OffsetDateTime::from_unix_timestamp(expires.max(now) + MAX_CLOCK_SKEW)
        .map_err(|error| ApiError::internal(&error))?;
    if !state.store.use_nonce(keyid, nonce, expires_at).await? {
        return Err(ApiError::signature(
            "replay",
            format!("the nonce {nonce:?} of {keyid} was used before: a replayed request is refused"),
        ));
    }
    let organization = match state.store.remote_organization(&did).await? {
        Some(known) => known.organization_id,
        None => register_organization(state, &peer, &did, keyid).await?,
    };
    Ok(Actor {
        kind: PrincipalKind::RemoteOrganization,
        principal_id: keyid.to_owned(),
        organization_id: Some(organization),
        roles: vec![Role::Member],
        purpose: one_header(headers, PURPOSE_HEADER).map(|purpose| purpose.chars().take(200).collect()),
        request_id: one_header(headers, "x-request-id").map(str::to_owned),
        grant: None,
    })
}

/// Makes the local record of a peer organization met for the first time, with the names and
/// cycle roles its node's public directory gives (the DID when the directory does not answer).
pub async fn register_organization(state: &AppState, peer: &Peer, did: &str, keyid: &str) -> ApiResult<OrganizationId> {
    let (_, id) = split_organization_did(did).unwrap_or_default();
    let url = format!("{}/api/v1/organizations/{id}", peer.base_url);
    let entry = fetch_public(state, &peer.did, &url)
        .await
        .ok()
        .filter(|answer| answer.status == 200)
        .map(|answer| answer.body)
        .unwrap_or(Value::Null);
    let name = |key: &str| {
        entry
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or(did)
            .chars()
            .take(200)
            .collect::<String>()
    };
    let roles: Vec<CycleRole> = entry
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(Value::as_str)
                .filter_map(CycleRole::parse)
                .collect()
        })
        .unwrap_or_default();
    let actor = Actor {
        kind: PrincipalKind::RemoteOrganization,
        principal_id: keyid.to_owned(),
        organization_id: None,
        roles: Vec::new(),
        purpose: Some("federation".to_owned()),
        request_id: None,
        grant: None,
    };
    let registered = state
        .store
        .register_remote_organization(&actor, peer.id, did, &name("name_ja"), &name("name_en"), &roles)
        .await?;
    Ok(registered.organization_id)
}

/// How many rounds of asking peers a lineage makes (each round continues from the objects the
/// previous one reached without finding where they came from or went).
pub const LINEAGE_ROUNDS: usize = 4;

/// The identifiers of the graph's objects whose lineage in `direction` the graph does not know
/// (backward: no event of the graph made them, as output or parent; forward: no event of the
/// graph consumed them, as input or child), the root included when the graph has no node of it.
fn lineage_frontier(lineage: &junkan_trace::Lineage, direction: junkan_trace::Direction) -> Vec<String> {
    let known: std::collections::HashSet<&str> = lineage
        .edges
        .iter()
        .filter_map(|edge| match (direction, edge.relation.as_str()) {
            (junkan_trace::Direction::Backward, "output" | "parent") => Some(edge.to.as_str()),
            (junkan_trace::Direction::Forward, "input" | "child") => Some(edge.from.as_str()),
            _ => None,
        })
        .collect();
    let mut identifiers: Vec<String> = lineage
        .nodes
        .iter()
        .filter(|node| node.kind == "object" && !known.contains(node.key.as_str()))
        .filter_map(|node| node.identifier.clone())
        .collect();
    if !lineage
        .nodes
        .iter()
        .any(|node| node.identifier.as_deref() == Some(lineage.root.as_str()))
    {
        identifiers.push(lineage.root.clone());
    }
    identifiers
}

/// Continues a lineage on the registered peers, backward, forward or both as it was traced:
/// every object of the graph whose origin (backward) or destination (forward) is unknown here is
/// traced on each peer with a request signed as the caller's organization
/// (`GET /federation/v1/lineage` with the same direction), once under each live grant of events
/// the organization holds there (`?grant=`, [`peer_grants`]): the peer reads under that grant
/// only (its fields, audit entry and read count). What it lets the organization see joins the
/// graph (nodes marked with the peer's DID), what it does not comes back as the peer's own
/// withheld nodes (those of an owner whose grant is asked as well are left to that answer), and
/// a peer that is down, or where the organization holds no grant of events, becomes a
/// `withheld_peer` node naming it. Objects a peer's answer brought in are traced here too, so a lineage that leaves
/// this node and comes back (a battery made elsewhere and recycled here) continues through this
/// node's own events. Callers without an organization (anonymous, a peer's organization) get the
/// local graph only.
pub async fn extend_lineage(state: &AppState, actor: &Actor, lineage: &mut junkan_trace::Lineage) -> ApiResult<()> {
    let Some(organization) = actor
        .organization_id
        .filter(|_| actor.kind != PrincipalKind::RemoteOrganization)
    else {
        return Ok(());
    };
    let peers = state.store.list_peers().await?;
    if peers.is_empty() {
        return Ok(());
    }
    let directions: &[junkan_trace::Direction] = match lineage.direction {
        junkan_trace::Direction::Backward => &[junkan_trace::Direction::Backward],
        junkan_trace::Direction::Forward => &[junkan_trace::Direction::Forward],
        junkan_trace::Direction::Both => &[junkan_trace::Direction::Backward, junkan_trace::Direction::Forward],
    };
    // Traced here already: every object of the local graph.
    let mut traced_here: std::collections::HashSet<String> = lineage
        .nodes
        .iter()
        .filter_map(|node| node.identifier.clone())
        .chain(std::iter::once(lineage.root.clone()))
        .collect();
    let mut asked: std::collections::HashSet<(String, &'static str)> = std::collections::HashSet::new();
    // The grants of events the organization holds on each peer (a peer that is down: none).
    let mut grants: Vec<Vec<(String, String)>> = Vec::with_capacity(peers.len());
    for peer in &peers {
        let mut held = peer_grants(
            state,
            actor,
            organization,
            peer,
            junkan_model::access::RecordKind::Event,
        )
        .await
        .unwrap_or_default();
        // One grant per owner, its widest: a pinned read does not merge grants, and another
        // grant of the same owner would only answer with less.
        let mut owners = std::collections::HashSet::new();
        held.retain(|(_, owner)| owners.insert(owner.clone()));
        grants.push(held);
    }
    for _ in 0..LINEAGE_ROUNDS {
        let mut progressed = false;
        for &direction in directions {
            let name = match direction {
                junkan_trace::Direction::Forward => "forward",
                _ => "backward",
            };
            let frontier: Vec<String> = lineage_frontier(lineage, direction)
                .into_iter()
                .filter(|identifier| !asked.contains(&(identifier.clone(), name)))
                .collect();
            for identifier in frontier {
                progressed = true;
                asked.insert((identifier.clone(), name));
                // An object a peer brought in may have a lineage here as well.
                if traced_here.insert(identifier.clone()) {
                    let local = crate::handlers::lineage::trace(
                        state.store.as_ref(),
                        actor,
                        &identifier,
                        direction,
                        lineage.depth,
                    )
                    .await?;
                    merge_local(lineage, local);
                }
                for (peer, held) in peers.iter().zip(&grants) {
                    if held.is_empty() {
                        // No grant there (or the peer is down): the lineage may continue there, unseen.
                        withheld_peer(lineage, peer, &identifier);
                        continue;
                    }
                    for (grant, owner) in held {
                        let path = format!(
                            "/federation/v1/lineage?id={}&direction={name}&depth={}&grant={}",
                            query_value(&identifier),
                            lineage.depth,
                            query_value(grant)
                        );
                        let outgoing = Outgoing {
                            method: "GET",
                            path: &path,
                            body: None,
                            purpose: actor.purpose.as_deref(),
                        };
                        // Events of owners whose own grant is asked too are read in that answer.
                        let others: Vec<&str> = held
                            .iter()
                            .map(|(_, other_owner)| other_owner.as_str())
                            .filter(|other_owner| other_owner != owner)
                            .collect();
                        match send(state, actor, organization, peer, outgoing).await {
                            Ok(answer) if answer.status == 200 => {
                                merge_remote(lineage, peer, grant, &others, &answer.body)
                            }
                            // A peer that refuses or fails: the lineage may continue there, unseen.
                            Ok(_) | Err(_) => withheld_peer(lineage, peer, &identifier),
                        }
                    }
                }
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(())
}

/// The live grants of records of `kind` that organizations of `peer` gave `organization`
/// (`GET /federation/v1/grants?record_kind=`, signed as the organization), as (grant id, owner
/// organization id on the peer), widest first (every field before some, more fields before
/// fewer): the grants a lineage or a roll-up continued there names, one per request. A peer that
/// is down or refuses is the error of its answer.
pub async fn peer_grants(
    state: &AppState,
    actor: &Actor,
    organization: OrganizationId,
    peer: &Peer,
    kind: junkan_model::access::RecordKind,
) -> ApiResult<Vec<(String, String)>> {
    let path = format!("/federation/v1/grants?record_kind={}", kind.as_str());
    let outgoing = Outgoing {
        method: "GET",
        path: &path,
        body: None,
        purpose: actor.purpose.as_deref(),
    };
    let answer = send(state, actor, organization, peer, outgoing).await?.success(peer)?;
    let text = |grant: &Value, name: &str| grant.get(name).and_then(Value::as_str).map(str::to_owned);
    let mut held: Vec<(usize, String, String)> = answer
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|grant| {
            let width = grant
                .get("fields")
                .and_then(Value::as_array)
                .map_or(usize::MAX, Vec::len);
            Some((width, text(grant, "id")?, text(grant, "owner_organization_id")?))
        })
        .collect();
    held.sort_by_key(|(width, _, _)| std::cmp::Reverse(*width));
    Ok(held.into_iter().map(|(_, grant, owner)| (grant, owner)).collect())
}

/// Adds the nodes and edges of a lineage traced here to the merged graph.
fn merge_local(lineage: &mut junkan_trace::Lineage, local: junkan_trace::Lineage) {
    for node in local.nodes {
        if !lineage.nodes.iter().any(|known| known.key == node.key) {
            lineage.nodes.push(node);
        }
    }
    for edge in local.edges {
        if !lineage.edges.contains(&edge) {
            lineage.edges.push(edge);
        }
    }
    lineage.truncated |= local.truncated;
}

fn query_value(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The key of a peer's node in the merged graph: objects and events keep their global keys;
/// withheld nodes, numbered per graph, are named after the peer and the grant of the answer.
fn remote_key(peer: &Peer, grant: &str, key: &str) -> String {
    if key.starts_with("withheld:") {
        format!("withheld:{}:{grant}:{}", peer.did, key.trim_start_matches("withheld:"))
    } else {
        key.to_owned()
    }
}

/// Adds a peer's answer under `grant` to the merged graph, without the withheld events of the
/// owners in `others` (another answer, under their grant, shows them as they may be read).
fn merge_remote(lineage: &mut junkan_trace::Lineage, peer: &Peer, grant: &str, others: &[&str], remote: &Value) {
    let text = |value: &Value, name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let mut left_out: Vec<String> = Vec::new();
    for node in remote.get("nodes").and_then(Value::as_array).into_iter().flatten() {
        let Some(key) = text(node, "key") else { continue };
        let key = remote_key(peer, grant, &key);
        let kind = text(node, "kind").unwrap_or_default();
        if kind == "withheld_event"
            && text(node, "organization_id").is_some_and(|owner| others.contains(&owner.as_str()))
        {
            left_out.push(key);
            continue;
        }
        if lineage.nodes.iter().any(|known| known.key == key) {
            continue;
        }
        lineage.nodes.push(junkan_trace::Node {
            key,
            peer: (kind != "object").then(|| peer.did.clone()),
            kind,
            identifier: text(node, "identifier"),
            event_id: text(node, "event_id"),
            event_type: text(node, "event_type"),
            event_time: text(node, "event_time").and_then(|time| {
                time::OffsetDateTime::parse(&time, &time::format_description::well_known::Rfc3339).ok()
            }),
            biz_step: text(node, "biz_step"),
            organization_id: text(node, "organization_id").and_then(|id| id.parse().ok()),
            organization_name: text(node, "organization_name"),
        });
    }
    for edge in remote.get("edges").and_then(Value::as_array).into_iter().flatten() {
        let (Some(from), Some(to), Some(relation)) = (text(edge, "from"), text(edge, "to"), text(edge, "relation"))
        else {
            continue;
        };
        let edge = junkan_trace::Edge {
            from: remote_key(peer, grant, &from),
            to: remote_key(peer, grant, &to),
            relation,
            quantity: text(edge, "quantity"),
            uom: text(edge, "uom"),
        };
        if left_out.contains(&edge.from) || left_out.contains(&edge.to) {
            continue;
        }
        if !lineage.edges.contains(&edge) {
            lineage.edges.push(edge);
        }
    }
    if remote.get("truncated").and_then(Value::as_bool) == Some(true) {
        lineage.truncated = true;
    }
}

fn withheld_peer(lineage: &mut junkan_trace::Lineage, peer: &Peer, identifier: &str) {
    let key = format!("withheld:peer:{}", peer.did);
    if !lineage.nodes.iter().any(|node| node.key == key) {
        lineage.nodes.push(junkan_trace::Node {
            key: key.clone(),
            kind: "withheld_peer".to_owned(),
            identifier: None,
            event_id: None,
            event_type: None,
            event_time: None,
            biz_step: None,
            organization_id: None,
            organization_name: Some(peer.did.clone()),
            peer: Some(peer.did.clone()),
        });
    }
    let edge = junkan_trace::Edge {
        from: key,
        to: format!("object:{identifier}"),
        relation: "unavailable".to_owned(),
        quantity: None,
        uom: None,
    };
    if !lineage.edges.contains(&edge) {
        lineage.edges.push(edge);
    }
}

/// The CFP roll-up of one of the actor's parts (積み上げ算定) continued on peer nodes: every part
/// below it that has no CFP here but is linked to a supplier's part on a peer
/// (`ouranos_remote_supplies`) is asked of that peer with a request signed as the part's
/// operator (`GET /federation/v1/ouranos/cfp-rollup/{trace id}`, with the caller's purpose). The
/// peer answers the supplier's rolled-up value per unit, exactly, when a grant of the supplier
/// lets the buyer read the footprint of that CFP; then it stands for the part. A refusal (no
/// grant, revoked, expired, used up), a peer that is down, or an answer that is not a roll-up
/// makes the part a `withheld` missing part naming the peer — never a silent zero. Callers that
/// are peers' organizations get the local roll-up only (one node does not ask a third for them).
pub async fn ouranos_rollup(
    state: &AppState,
    actor: &Actor,
    trace_id: uuid::Uuid,
) -> junkan_store::StoreResult<junkan_footprint::rollup::Rollup> {
    use junkan_footprint::rollup::{RemoteOutcome, RemotePart, RolledValue};
    if actor.kind == PrincipalKind::RemoteOrganization {
        return state.store.ouranos_rollup(actor, trace_id).await;
    }
    let supplies = state.store.ouranos_remote_supplies_below(actor, trace_id).await?;
    if supplies.is_empty() {
        return state.store.ouranos_rollup(actor, trace_id).await;
    }
    let mut remote = Vec::with_capacity(supplies.len());
    for supply in supplies {
        let peer = state.store.get_peer(supply.peer_id).await?;
        // The roll-up is read under one grant of the supplier's footprints, named in the signed
        // request (the peer answers under that grant only).
        let supplier = split_organization_did(&supply.supplier_did)
            .map(|(_, id)| id)
            .unwrap_or_default();
        let grant: Result<String, String> = match peer_grants(
            state,
            actor,
            supply.organization_id,
            &peer,
            junkan_model::access::RecordKind::Footprint,
        )
        .await
        {
            Ok(held) => held
                .into_iter()
                .find(|(_, owner)| *owner == supplier)
                .map(|(grant, _)| grant)
                .ok_or_else(|| {
                    format!(
                        "{} has given your organization no live grant of its footprints on the peer node {}",
                        supply.supplier_did, peer.did
                    )
                }),
            Err(error) => Err(error.detail().to_owned()),
        };
        let outcome = match grant {
            Err(detail) => RemoteOutcome::Withheld { detail },
            Ok(grant) => {
                let path = format!(
                    "/federation/v1/ouranos/cfp-rollup/{}?grant={}",
                    supply.supplier_trace_id,
                    query_value(&grant)
                );
                let outgoing = Outgoing {
                    method: "GET",
                    path: &path,
                    body: None,
                    purpose: actor.purpose.as_deref(),
                };
                match send(state, actor, supply.organization_id, &peer, outgoing).await {
                    Ok(answer) if answer.status == 200 => match answer_value(&answer.body, &supply.supplier_did) {
                        Ok(value) => RemoteOutcome::Answered(Box::new(value)),
                        Err(detail) => RemoteOutcome::Withheld {
                            detail: format!("the peer's answer is not a roll-up of the supplier's part: {detail}"),
                        },
                    },
                    Ok(answer) => RemoteOutcome::Withheld {
                        detail: match answer.success(&peer) {
                            Err(error) => error.detail().to_owned(),
                            Ok(_) => "the peer answered without a roll-up".to_owned(),
                        },
                    },
                    Err(error) => RemoteOutcome::Withheld {
                        detail: error.detail().to_owned(),
                    },
                }
            }
        };
        remote.push(RemotePart {
            part: supply.trace_id.to_string(),
            peer: peer.did.clone(),
            supplier: supply.supplier_did.clone(),
            supplier_part: supply.supplier_trace_id.to_string(),
            outcome,
        });
    }
    return state.store.ouranos_rollup_with_remote(actor, trace_id, remote).await;

    /// The exact value of a peer's answer, which must be about the supplier the link names.
    fn answer_value(body: &Value, supplier_did: &str) -> Result<RolledValue, String> {
        if body.get("supplier").and_then(Value::as_str) != Some(supplier_did) {
            return Err(format!(
                "it names the supplier {}, not {supplier_did}",
                body.get("supplier").unwrap_or(&Value::Null)
            ));
        }
        let value = body.get("value").ok_or_else(|| "it has no value".to_owned())?;
        RolledValue::from_json(value).map_err(|violations| {
            violations
                .iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// The totals rows (`preProductionTotal` ...) of an Ouranos `dataTarget=cfp` answer for parts
/// with suppliers on peer nodes, recomputed from the roll-up that asks the peers
/// ([`ouranos_rollup`], the one `cfpRollup` answers): a supplier's part answered under a grant
/// contributes its CFP to the component totals as it does locally; when any supplier's part is
/// withheld (no grant, revoked, expired, the node down) the component totals are `null`, the way
/// Ouranos shows values a supplier does not disclose, never a total silently missing a tier. The
/// own-stage totals stay. Rows of parts without peer suppliers are left as the store gave them.
pub async fn ouranos_cfp_totals_with_peers(
    state: &AppState,
    actor: &Actor,
    rows: &mut [junkan_footprint::ouranos::CfpRow],
) -> junkan_store::StoreResult<()> {
    use junkan_footprint::ouranos::{total_rows, CfpType};
    use junkan_footprint::rollup::MissingReason;
    if actor.kind == PrincipalKind::RemoteOrganization {
        return Ok(());
    }
    let rolled_up: Vec<(uuid::Uuid, uuid::Uuid)> = rows
        .iter()
        .filter(|row| row.cfp_type == CfpType::PreProductionTotal)
        .filter_map(|row| Some((row.trace_id, row.cfp_id?)))
        .collect();
    for (trace_id, cfp_id) in rolled_up {
        if state
            .store
            .ouranos_remote_supplies_below(actor, trace_id)
            .await?
            .is_empty()
        {
            continue;
        }
        let rolled = ouranos_rollup(state, actor, trace_id).await?;
        let withheld = rolled
            .missing
            .iter()
            .any(|missing| missing.reason == MissingReason::Withheld);
        let mut totals = total_rows(&rolled, trace_id, cfp_id).map_err(junkan_store::StoreError::Invalid)?;
        if withheld {
            for row in &mut totals {
                if matches!(row.cfp_type, CfpType::PreComponentTotal | CfpType::MainComponentTotal) {
                    row.ghg_emission = None;
                }
            }
        }
        for row in rows.iter_mut().filter(|row| row.trace_id == trace_id) {
            if let Some(total) = totals.iter().find(|total| total.cfp_type == row.cfp_type) {
                *row = total.clone();
            }
        }
    }
    Ok(())
}
