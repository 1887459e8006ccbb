//! The Eclipse Dataspace Protocol 2025-1 (データスペースプロトコル, issue 10 item 4): the HTTPS
//! binding under `/dsp` for both sides (provider: catalog, contract negotiation, transfer process
//! and the pulled data; consumer: the provider's callbacks), the consumer's management API under
//! `/api/v1/dsp`, and the messages this node sends.
//!
//! Every message received is validated against the protocol's JSON Schemas before anything reads
//! it, and every message sent is validated before it leaves ([`schemas`]). The state machines are
//! the model's (`junkan_model::dsp`); the store applies them in one conditional UPDATE.
//! Errors on protocol routes are the protocol's own shapes (`ContractNegotiationError`,
//! `TransferError`, `CatalogError`) with the binding's status codes: 400 for an invalid message or
//! one the state does not allow, 404 for an unknown process (or one of another party), 401
//! without credentials.

pub mod api;
pub mod client;
pub mod routes;
pub mod schemas;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use junkan_model::dsp::{process_id, Negotiation, Role, Transfer, CONTEXT};
use junkan_model::ids::OrganizationId;
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::StoreError;

use crate::error::ApiError;
use crate::extract::{AuthMethod, Caller};
use crate::AppState;

/// Which family of the protocol an error belongs to (its error message type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `CatalogError`.
    Catalog,
    /// `ContractNegotiationError`.
    Negotiation,
    /// `TransferError`.
    Transfer,
}

/// An error in the protocol's shape.
#[derive(Debug)]
pub struct DspError {
    /// HTTP status.
    pub status: StatusCode,
    /// Which error message type.
    pub family: Family,
    /// The provider's process id, as far as known.
    pub provider_pid: String,
    /// The consumer's process id, as far as known.
    pub consumer_pid: String,
    /// An implementation code.
    pub code: &'static str,
    /// Reasons, each a sentence (with the JSON pointer first for schema errors).
    pub reasons: Vec<String>,
}

impl DspError {
    /// An error of `family` with one reason.
    pub fn new(status: StatusCode, family: Family, code: &'static str, reason: impl Into<String>) -> DspError {
        DspError {
            status,
            family,
            provider_pid: String::new(),
            consumer_pid: String::new(),
            code,
            reasons: vec![reason.into()],
        }
    }

    /// 401: the caller sent no credentials.
    pub fn unauthenticated(family: Family) -> DspError {
        DspError::new(
            StatusCode::UNAUTHORIZED,
            family,
            "UNAUTHORIZED",
            "send the bearer credential (API key or access token) the provider issued to your organization",
        )
    }

    /// 400: the message breaks the protocol's schema; one reason per violation with its pointer.
    pub fn invalid(family: Family, violations: Vec<Violation>) -> DspError {
        DspError {
            reasons: violations
                .into_iter()
                .map(|violation| format!("{}: {}", violation.path, violation.message))
                .collect(),
            ..DspError::new(StatusCode::BAD_REQUEST, family, "INVALID_MESSAGE", "")
        }
    }

    /// With the process ids the error is about.
    pub fn with_pids(mut self, provider_pid: &str, consumer_pid: &str) -> DspError {
        self.provider_pid = provider_pid.to_owned();
        self.consumer_pid = consumer_pid.to_owned();
        self
    }

    /// A store error as the protocol answers it: not found and forbidden → 404 (the binding
    /// answers unauthorized access with 404), invalid → 400 with each pointer, a state that does
    /// not allow the message → 400, storage failures → 500 without detail.
    pub fn from_store(family: Family, error: StoreError) -> DspError {
        match error {
            StoreError::NotFound { .. } | StoreError::Forbidden { .. } => DspError::new(
                StatusCode::NOT_FOUND,
                family,
                "NOT_FOUND",
                "no such process, dataset or agreement for your organization",
            ),
            StoreError::Invalid(violations) => DspError::invalid(family, violations),
            StoreError::Conflict { message, .. } => {
                DspError::new(StatusCode::BAD_REQUEST, family, "INVALID_STATE_TRANSITION", message)
            }
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "storage failed on a Dataspace Protocol route");
                DspError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    family,
                    "INTERNAL",
                    "the node could not complete the request",
                )
            }
        }
    }
}

impl IntoResponse for DspError {
    fn into_response(self) -> Response {
        let message_type = match self.family {
            Family::Catalog => "CatalogError",
            Family::Negotiation => "ContractNegotiationError",
            Family::Transfer => "TransferError",
        };
        let mut body = json!({
            "@context": [CONTEXT],
            "@type": message_type,
            "code": self.code,
            "reason": self.reasons,
        });
        if self.family != Family::Catalog {
            body["providerPid"] = json!(self.provider_pid);
            body["consumerPid"] = json!(self.consumer_pid);
        }
        if let Err(violations) = schemas::validate(message_type, &body) {
            tracing::error!(
                ?violations,
                "a Dataspace Protocol error this node built breaks the schema"
            );
        }
        (self.status, Json(body)).into_response()
    }
}

/// A protocol request as received: the bearer caller (if any), the outcome of its RFC 9421
/// signature (when it carries one) and the body. **The one place a protocol request is
/// authenticated.** Two authenticators produce the same kind of actor:
///
/// - an RFC 9421 signature (`Signature-Input`, `Signature`, `Content-Digest`) by an
///   organization of a registered peer node, verified exactly as on the federation routes
///   ([`crate::federation::verify_request`]: the key from the organization's DID document on its
///   registered peer, the time window, the digest, and the nonce against replay); the actor is the
///   peer organization's local record;
/// - the node's bearer credentials (an API key or access token the provider issued to a member
///   organization), for connectors of data spaces that are not junkan peers (EDC).
///
/// A request that carries a signature is judged by it alone: a signature that does not verify is
/// refused (401), never read as anonymous.
#[derive(Debug)]
pub struct DspRequest {
    /// The bearer caller (anonymous when none was sent).
    pub caller: Caller,
    /// `Some` when the request carried a signature: the peer organization, or why it was refused.
    pub signed: Option<Result<Actor, String>>,
    /// The body (its `Content-Digest` checked when signed).
    pub body: Bytes,
}

impl FromRequest<AppState> for DspRequest {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<DspRequest, Response> {
        let (mut parts, body) = request.into_parts();
        let caller = Caller::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let body = axum::body::to_bytes(body, state.settings.body_limit)
            .await
            .map_err(|_| ApiError::too_large(state.settings.body_limit).into_response())?;
        let signed = if parts.headers.contains_key("signature-input") || parts.headers.contains_key("signature") {
            // Nested under /dsp: the signed target is the URI as the sender addressed it.
            let uri = parts
                .extensions
                .get::<OriginalUri>()
                .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
            let path_and_query = uri.path_and_query().map_or("/", |value| value.as_str());
            let target_uri = format!("{}{path_and_query}", state.settings.issuer);
            let headers = crate::federation::header_values(&parts.headers);
            Some(
                crate::federation::verify_request(state, parts.method.as_str(), &target_uri, &headers, &body)
                    .await
                    .map_err(|error| error.detail().to_owned()),
            )
        } else {
            None
        };
        Ok(DspRequest { caller, signed, body })
    }
}

fn signature_refused(family: Family, detail: &str) -> DspError {
    DspError::new(StatusCode::UNAUTHORIZED, family, "SIGNATURE_REFUSED", detail.to_owned())
}

/// The authenticated party of a message to this node as provider: the signing peer organization,
/// or the bearer caller; 401 without either, or with a signature that does not verify.
pub fn party(request: &DspRequest, family: Family) -> Result<Actor, DspError> {
    match &request.signed {
        Some(Ok(actor)) => Ok(actor.clone()),
        Some(Err(detail)) => Err(signature_refused(family, detail)),
        None if request.caller.method == AuthMethod::Anonymous => Err(DspError::unauthenticated(family)),
        None => Ok(request.caller.actor.clone()),
    }
}

/// The sender of a message to this node as consumer (the provider's callbacks): the signing peer
/// organization, else whoever the bearer says (usually anonymous). The store then accepts the
/// callback only from the party the process was made with: for a provider that is an
/// organization of a registered peer, only its signature.
pub fn sender(request: &DspRequest, family: Family) -> Result<Actor, DspError> {
    match &request.signed {
        Some(Ok(actor)) => Ok(actor.clone()),
        Some(Err(detail)) => Err(signature_refused(family, detail)),
        None => Ok(request.caller.actor.clone()),
    }
}

/// How this node authenticates a message of its `organization` to the other party of a process:
/// signed with the organization's current key when the other party is an organization of a
/// registered peer node (its local record is a peer organization's); [`client::Auth::None`]
/// otherwise (the caller then uses the bearer credential, if any, of an unregistered provider).
pub async fn message_auth(
    state: &AppState,
    organization: OrganizationId,
    counterparty: Option<OrganizationId>,
) -> Result<client::Auth, String> {
    let Some(counterparty) = counterparty else {
        return Ok(client::Auth::None);
    };
    match state.store.remote_organization_of(counterparty).await {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(client::Auth::None),
        Err(error) => return Err(error.to_string()),
    }
    let signer = Actor {
        organization_id: Some(organization),
        principal_id: format!("dsp:{organization}"),
        roles: vec![junkan_model::principal::Role::Member],
        ..Actor::anonymous()
    };
    let (key, keyid) = crate::federation::organization_signing_key(state, &signer, organization)
        .await
        .map_err(|error| error.detail().to_owned())?;
    Ok(client::Auth::Signed {
        key: Box::new(key),
        keyid,
        now: state.store.now().unix_timestamp(),
    })
}

/// The `ContractNegotiation` of a stored negotiation, as either side shows it.
pub fn negotiation_document(negotiation: &Negotiation) -> Value {
    let own = process_id(negotiation.id);
    let peer = negotiation.peer_pid.clone().unwrap_or_default();
    let (provider_pid, consumer_pid) = match negotiation.role {
        Role::Provider => (own, peer),
        Role::Consumer => (peer, own),
    };
    json!({
        "@context": [CONTEXT],
        "@type": "ContractNegotiation",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "state": negotiation.state.as_str(),
    })
}

/// The `TransferProcess` of a stored transfer.
pub fn transfer_document(transfer: &Transfer) -> Value {
    let (provider_pid, consumer_pid) = pids_of_transfer(transfer);
    json!({
        "@context": [CONTEXT],
        "@type": "TransferProcess",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "state": transfer.state.as_str(),
    })
}

/// (providerPid, consumerPid) of a negotiation.
pub fn pids_of_negotiation(negotiation: &Negotiation) -> (String, String) {
    let own = process_id(negotiation.id);
    let peer = negotiation.peer_pid.clone().unwrap_or_default();
    match negotiation.role {
        Role::Provider => (own, peer),
        Role::Consumer => (peer, own),
    }
}

/// (providerPid, consumerPid) of a transfer.
pub fn pids_of_transfer(transfer: &Transfer) -> (String, String) {
    let own = process_id(transfer.id);
    let peer = transfer.peer_pid.clone().unwrap_or_default();
    match transfer.role {
        Role::Provider => (own, peer),
        Role::Consumer => (peer, own),
    }
}
