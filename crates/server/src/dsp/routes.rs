//! The protocol's HTTPS binding under `/dsp`, both sides on one set of paths: a process id names
//! a negotiation or transfer of this node, and the store knows whether this node is its provider
//! or its consumer. Provider: catalog request, contract request, verification, termination,
//! transfer request, completion/suspension/termination, and the pulled data. Consumer (the
//! provider's callbacks): offers, agreement, events, termination, transfer start and the rest.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use junkan_model::access::RecordKind;
use junkan_model::dsp::{
    local_id, negotiation_event, process_id, Negotiation, NegotiationMessage, ReceivedNegotiationMessage,
    ReceivedTransferMessage, Role, Transfer, TransferMessage, BASE_PATH, CONTEXT, HTTP_ENDPOINT_TYPE, PROTOCOL_VERSION,
};
use junkan_model::ids::{DatasetOfferId, NegotiationId, OrganizationId, TransferId};
use junkan_model::page::PageRequest;
use junkan_model::passport::PassportRead;
use junkan_model::principal::Actor;

use crate::dsp::{
    client, message_auth, negotiation_document, party, pids_of_negotiation, pids_of_transfer, schemas, sender,
    transfer_document, DspError, DspRequest, Family,
};
use crate::handlers::sharing::{catalog, dataset, visible_offers};
use crate::AppState;

/// How long a pull token works after the transfer starts.
pub const TOKEN_LIFETIME: time::Duration = time::Duration::minutes(10);

/// The routes under `/dsp`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/catalog/request", post(request_catalog))
        .route("/catalog/datasets/{id}", get(get_dataset))
        .route("/negotiations/request", post(request_negotiation))
        .route("/negotiations/{pid}", get(get_negotiation))
        .route("/negotiations/{pid}/request", post(counter_request))
        .route("/negotiations/{pid}/events", post(negotiation_event_message))
        .route("/negotiations/{pid}/agreement/verification", post(verify_agreement))
        .route("/negotiations/{pid}/termination", post(terminate_negotiation))
        .route("/negotiations/{pid}/offers", post(receive_offer))
        .route("/negotiations/{pid}/agreement", post(receive_agreement))
        .route("/transfers/request", post(request_transfer))
        .route("/transfers/{pid}", get(get_transfer))
        .route("/transfers/{pid}/start", post(start_transfer))
        .route("/transfers/{pid}/completion", post(complete_transfer))
        .route("/transfers/{pid}/suspension", post(suspend_transfer))
        .route("/transfers/{pid}/termination", post(terminate_transfer))
        .route("/transfers/{pid}/data", get(pull_data))
}

/// The node's protocol base URL.
pub fn base_url(state: &AppState) -> String {
    format!("{}{BASE_PATH}", state.settings.issuer)
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], Json(value)).into_response()
}

/// The body as JSON, checked against the schema of `expected`.
fn message(body: &Bytes, expected: &str, family: Family) -> Result<Value, DspError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        DspError::invalid(
            family,
            vec![junkan_model::Violation::new(
                "",
                format!("the body is not JSON: {error}"),
            )],
        )
    })?;
    schemas::validate_received(expected, &value).map_err(|violations| DspError::invalid(family, violations))?;
    Ok(value)
}

fn text(value: &Value, member: &str) -> String {
    value[member].as_str().unwrap_or_default().to_owned()
}

fn reason_text(value: &Value) -> Option<String> {
    let reasons: Vec<String> = value["reason"]
        .as_array()
        .map(|reasons| {
            reasons
                .iter()
                .map(|reason| reason.as_str().map_or_else(|| reason.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let code = value["code"].as_str();
    match (code, reasons.is_empty()) {
        (None, true) => None,
        (Some(code), true) => Some(code.to_owned()),
        (None, false) => Some(reasons.join("; ")),
        (Some(code), false) => Some(format!("{code}: {}", reasons.join("; "))),
    }
}

/// `GET /.well-known/dspace-version`: the protocol versions this node speaks and where.
#[utoipa::path(get, path = "/.well-known/dspace-version", tag = "dataspace",
    responses((status = 200, description = "Dataspace Protocol versions (VersionResponse)", body = Object)))]
pub async fn get_protocol_versions() -> Response {
    let versions = json!({
        "protocolVersions": [{"version": PROTOCOL_VERSION, "path": BASE_PATH, "binding": "HTTPS"}]
    });
    if let Err(violations) = schemas::validate("VersionResponse", &versions) {
        tracing::error!(?violations, "the version response breaks the protocol's schema");
    }
    json_response(StatusCode::OK, versions)
}

/// `POST /dsp/catalog/request`: the catalog of the offers the caller may see (public offers
/// for anyone, the rest to signed-in callers), in the protocol's `Catalog` shape.
#[utoipa::path(post, path = "/dsp/catalog/request", tag = "dataspace", request_body = Object,
    responses((status = 200, description = "Catalog", body = Object), (status = 400, description = "CatalogError", body = Object)))]
pub async fn request_catalog(State(state): State<AppState>, request: DspRequest) -> Result<Response, DspError> {
    let actor = sender(&request, Family::Catalog)?;
    message(&request.body, "CatalogRequestMessage", Family::Catalog)?;
    let offers = visible_offers(&state, &actor).await.map_err(|_| {
        DspError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Family::Catalog,
            "INTERNAL",
            "the catalog could not be read",
        )
    })?;
    let document = catalog(&state.settings.issuer, &offers);
    Ok(json_response(StatusCode::OK, document))
}

/// `GET /dsp/catalog/datasets/{id}`: one dataset.
#[utoipa::path(get, path = "/dsp/catalog/datasets/{id}", tag = "dataspace",
    params(("id" = String, Path, description = "Dataset id (urn:uuid:<offer>)")),
    responses((status = 200, description = "Dataset", body = Object), (status = 404, description = "CatalogError", body = Object)))]
pub async fn get_dataset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    let actor = sender(&request, Family::Catalog)?;
    let offer_id: DatasetOfferId = local_id(&id)
        .ok_or_else(|| DspError::new(StatusCode::NOT_FOUND, Family::Catalog, "NOT_FOUND", "no such dataset"))?;
    let offer = state
        .store
        .get_dataset_offer(&actor, offer_id)
        .await
        .map_err(|error| DspError::from_store(Family::Catalog, error))?;
    if offer.withdrawn_at.is_some() {
        return Err(DspError::new(
            StatusCode::NOT_FOUND,
            Family::Catalog,
            "NOT_FOUND",
            "no such dataset",
        ));
    }
    let mut document = dataset(&state.settings.issuer, &offer);
    document["@context"] = json!(junkan_model::sharing::POLICY_CONTEXT);
    Ok(json_response(StatusCode::OK, document))
}

/// `POST /dsp/negotiations/request`: a consumer organization asks for a contract on an offer of
/// the catalog (`offer.@id` = `urn:junkan:offer:<id>`). Answers 201 with the negotiation
/// (REQUESTED); a public offer is then agreed at once, the rest waits for the owner's decision on
/// the access request it made.
#[utoipa::path(post, path = "/dsp/negotiations/request", tag = "dataspace", request_body = Object, security(("bearer" = [])),
    responses((status = 201, description = "ContractNegotiation (REQUESTED)", body = Object),
              (status = 400, description = "ContractNegotiationError", body = Object),
              (status = 401, description = "ContractNegotiationError: no credentials", body = Object)))]
pub async fn request_negotiation(State(state): State<AppState>, received: DspRequest) -> Result<Response, DspError> {
    let actor = party(&received, Family::Negotiation)?;
    let request = message(&received.body, "ContractRequestMessage", Family::Negotiation)?;
    let consumer_pid = text(&request, "consumerPid");
    let error_pids = |error: DspError| error.with_pids("", &consumer_pid);
    if request.get("providerPid").is_some() {
        return Err(error_pids(DspError::new(
            StatusCode::BAD_REQUEST,
            Family::Negotiation,
            "INVALID_MESSAGE",
            "/providerPid: a counter-request goes to /negotiations/{providerPid}/request",
        )));
    }
    let offer_id = request["offer"]["@id"]
        .as_str()
        .and_then(|id| id.strip_prefix("urn:junkan:offer:"))
        .and_then(|id| id.parse::<DatasetOfferId>().ok())
        .ok_or_else(|| {
            error_pids(DspError::new(
                StatusCode::BAD_REQUEST,
                Family::Negotiation,
                "UNKNOWN_OFFER",
                "/offer/@id: name an offer of this node's catalog (urn:junkan:offer:<id>)",
            ))
        })?;
    let callback = text(&request, "callbackAddress");
    let negotiation = state
        .store
        .dsp_request_contract(&actor, offer_id, &consumer_pid, &callback)
        .await
        .map_err(|error| error_pids(DspError::from_store(Family::Negotiation, error)))?;
    let document = negotiation_document(&negotiation);
    let id = negotiation.id;
    let spawned_state = state.clone();
    tokio::spawn(async move {
        match spawned_state.store.dsp_agree_by_offer(id).await {
            Ok(Some(agreed)) => send_agreement(&spawned_state, &actor, agreed).await,
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "agreeing by the offer failed"),
        }
    });
    Ok(json_response(StatusCode::CREATED, document))
}

/// After the owner decided on an access request a negotiation made: sends the agreement (or the
/// termination) to the consumer. Called by the access-request decision routes.
pub async fn after_decision(state: &AppState, actor: &Actor, request_id: junkan_model::ids::AccessRequestId) {
    let negotiation = match state.store.dsp_negotiation_for_request(actor, request_id).await {
        Ok(Some(negotiation)) => negotiation,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, "reading the negotiation of a decided request failed");
            return;
        }
    };
    let (state, actor) = (state.clone(), actor.clone());
    tokio::spawn(async move {
        match negotiation.state {
            junkan_model::dsp::NegotiationState::Agreed => send_agreement(&state, &actor, negotiation).await,
            junkan_model::dsp::NegotiationState::Terminated => {
                send_termination(&state, &negotiation).await;
            }
            _ => {}
        }
    });
}

fn callback_url(address: &str, path: &str) -> String {
    format!("{}{path}", address.trim_end_matches('/'))
}

/// Provider: sends the `ContractAgreementMessage`; when the consumer cannot be reached, the
/// negotiation is terminated (it could never be verified).
async fn send_agreement(state: &AppState, actor: &Actor, negotiation: Negotiation) {
    let (provider_pid, consumer_pid) = pids_of_negotiation(&negotiation);
    let message = json!({
        "@context": [CONTEXT],
        "@type": "ContractAgreementMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "agreement": negotiation.agreement.clone().unwrap_or(Value::Null),
    });
    let url = callback_url(&negotiation.address, &format!("/negotiations/{consumer_pid}/agreement"));
    let sent = send(
        state,
        negotiation.organization_id,
        negotiation.counterparty_organization_id,
        url,
        message,
    )
    .await;
    if let Err(error) = sent {
        tracing::warn!(%error, negotiation = %negotiation.id, "the agreement could not be delivered");
        let reason = format!("the agreement could not be delivered: {error}");
        if let Err(error) = state
            .store
            .dsp_record_sent_negotiation_message(
                actor,
                negotiation.id,
                NegotiationMessage::Termination,
                None,
                Some(reason),
            )
            .await
        {
            tracing::warn!(%error, "terminating an undeliverable negotiation failed");
        }
    }
}

/// Sends `message` to `url` as `organization`: signed when `counterparty` is a registered peer's
/// organization (`dsp::message_auth`), else unauthenticated.
async fn send(
    state: &AppState,
    organization: OrganizationId,
    counterparty: Option<OrganizationId>,
    url: String,
    message: Value,
) -> Result<Value, client::SendError> {
    match message_auth(state, organization, counterparty).await {
        Ok(auth) => client::post(url, auth, message, None).await,
        Err(error) => Err(client::SendError::Invalid(format!(
            "the message could not be signed: {error}"
        ))),
    }
}

/// Either side: tells the other side that a negotiation was terminated here.
async fn send_termination(state: &AppState, negotiation: &Negotiation) {
    let (provider_pid, consumer_pid) = pids_of_negotiation(negotiation);
    let peer = match negotiation.role {
        Role::Provider => &consumer_pid,
        Role::Consumer => &provider_pid,
    };
    let message = json!({
        "@context": [CONTEXT],
        "@type": "ContractNegotiationTerminationMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "code": "TERMINATED",
        "reason": [negotiation.reason.clone().unwrap_or_else(|| "terminated".to_owned())],
    });
    let url = callback_url(&negotiation.address, &format!("/negotiations/{peer}/termination"));
    let sent = send(
        state,
        negotiation.organization_id,
        negotiation.counterparty_organization_id,
        url,
        message,
    )
    .await;
    if let Err(error) = sent {
        tracing::warn!(%error, negotiation = %negotiation.id, "the termination could not be delivered");
    }
}

fn negotiation_id(pid: &str) -> Result<NegotiationId, DspError> {
    local_id(pid).ok_or_else(|| {
        DspError::new(
            StatusCode::NOT_FOUND,
            Family::Negotiation,
            "NOT_FOUND",
            "no such negotiation",
        )
        .with_pids(pid, "")
    })
}

/// `GET /dsp/negotiations/{pid}`: a negotiation, for a party of it.
#[utoipa::path(get, path = "/dsp/negotiations/{pid}", tag = "dataspace", params(("pid" = String, Path, description = "Process id")),
    security(("bearer" = [])), responses((status = 200, description = "ContractNegotiation", body = Object), (status = 404, description = "ContractNegotiationError", body = Object)))]
pub async fn get_negotiation(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    let actor = party(&request, Family::Negotiation)?;
    let negotiation = state
        .store
        .dsp_negotiation(&actor, negotiation_id(&pid)?)
        .await
        .map_err(|error| DspError::from_store(Family::Negotiation, error).with_pids(&pid, ""))?;
    Ok(json_response(StatusCode::OK, negotiation_document(&negotiation)))
}

/// A negotiation message naming `pid`: validated, the process ids checked against the path,
/// the sender authenticated when this node is the provider, then handed to the store.
async fn receive_negotiation(
    state: &AppState,
    request: &DspRequest,
    pid: &str,
    expected: &str,
) -> Result<(Negotiation, Value), DspError> {
    let received = message(&request.body, expected, Family::Negotiation)?;
    let provider_pid = text(&received, "providerPid");
    let consumer_pid = text(&received, "consumerPid");
    let with_pids = |error: DspError| error.with_pids(&provider_pid, &consumer_pid);
    let (peer_pid, to_provider) = if provider_pid == pid {
        (consumer_pid.clone(), true)
    } else if consumer_pid == pid {
        (provider_pid.clone(), false)
    } else {
        return Err(with_pids(DspError::new(
            StatusCode::BAD_REQUEST,
            Family::Negotiation,
            "INVALID_MESSAGE",
            "the process id of the path is neither the message's providerPid nor its consumerPid",
        )));
    };
    // Messages to a provider come from a consumer organization, which must authenticate;
    // callbacks to a consumer are accepted from the provider the negotiation was made with.
    let actor = if to_provider {
        party(request, Family::Negotiation).map_err(with_pids)?
    } else {
        sender(request, Family::Negotiation).map_err(with_pids)?
    };
    let kind = match expected {
        "ContractNegotiationEventMessage" => negotiation_event(received["eventType"].as_str().unwrap_or_default())
            .ok_or_else(|| {
                with_pids(DspError::new(
                    StatusCode::BAD_REQUEST,
                    Family::Negotiation,
                    "INVALID_MESSAGE",
                    "/eventType: ACCEPTED or FINALIZED",
                ))
            })?,
        "ContractRequestMessage" => NegotiationMessage::Request,
        "ContractOfferMessage" => NegotiationMessage::Offer,
        "ContractAgreementMessage" => NegotiationMessage::Agreement,
        "ContractAgreementVerificationMessage" => NegotiationMessage::Verification,
        _ => NegotiationMessage::Termination,
    };
    let negotiation = state
        .store
        .dsp_receive_negotiation_message(
            &actor,
            negotiation_id(pid).map_err(with_pids)?,
            ReceivedNegotiationMessage {
                message: kind,
                peer_pid,
                agreement: received.get("agreement").cloned(),
                reason: reason_text(&received),
            },
        )
        .await
        .map_err(|error| with_pids(callback_refusal(Family::Negotiation, to_provider, error)))?;
    Ok((negotiation, received))
}

fn acknowledged() -> Response {
    StatusCode::OK.into_response()
}

/// `POST /dsp/negotiations/{pid}/request`: a counter-request (only after an offer: this node
/// never counter-offers, so the state refuses it with 400).
#[utoipa::path(post, path = "/dsp/negotiations/{pid}/request", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Provider process id")),
    security(("bearer" = [])), responses((status = 200, description = "Acknowledged"), (status = 400, description = "ContractNegotiationError", body = Object)))]
pub async fn counter_request(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_negotiation(&state, &request, &pid, "ContractRequestMessage").await?;
    Ok(acknowledged())
}

/// `POST /dsp/negotiations/{pid}/events`: ACCEPTED (to the provider) or FINALIZED (to the
/// consumer).
#[utoipa::path(post, path = "/dsp/negotiations/{pid}/events", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "ContractNegotiationError", body = Object)))]
pub async fn negotiation_event_message(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_negotiation(&state, &request, &pid, "ContractNegotiationEventMessage").await?;
    Ok(acknowledged())
}

/// `POST /dsp/negotiations/{pid}/agreement/verification`: the consumer verifies; the provider
/// finalizes (the grant is made) and tells the consumer.
#[utoipa::path(post, path = "/dsp/negotiations/{pid}/agreement/verification", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Provider process id")),
    security(("bearer" = [])), responses((status = 200, description = "Acknowledged"), (status = 400, description = "ContractNegotiationError", body = Object)))]
pub async fn verify_agreement(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    let (negotiation, _) = receive_negotiation(&state, &request, &pid, "ContractAgreementVerificationMessage").await?;
    tokio::spawn(async move {
        let (provider_pid, consumer_pid) = pids_of_negotiation(&negotiation);
        let message = json!({
            "@context": [CONTEXT],
            "@type": "ContractNegotiationEventMessage",
            "providerPid": provider_pid,
            "consumerPid": consumer_pid,
            "eventType": "FINALIZED",
        });
        let url = callback_url(&negotiation.address, &format!("/negotiations/{consumer_pid}/events"));
        let sent = send(
            &state,
            negotiation.organization_id,
            negotiation.counterparty_organization_id,
            url,
            message,
        )
        .await;
        if let Err(error) = sent {
            tracing::warn!(%error, negotiation = %negotiation.id, "the finalization could not be delivered");
        }
    });
    Ok(acknowledged())
}

/// `POST /dsp/negotiations/{pid}/termination`: either side ends the negotiation.
#[utoipa::path(post, path = "/dsp/negotiations/{pid}/termination", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "ContractNegotiationError", body = Object)))]
pub async fn terminate_negotiation(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_negotiation(&state, &request, &pid, "ContractNegotiationTerminationMessage").await?;
    Ok(acknowledged())
}

/// `POST /dsp/negotiations/{pid}/offers` (consumer callback): the provider's offer.
#[utoipa::path(post, path = "/dsp/negotiations/{pid}/offers", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Consumer process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "ContractNegotiationError", body = Object)))]
pub async fn receive_offer(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_negotiation(&state, &request, &pid, "ContractOfferMessage").await?;
    Ok(acknowledged())
}

/// `POST /dsp/negotiations/{pid}/agreement` (consumer callback): the provider's agreement; the
/// consumer verifies it at once.
#[utoipa::path(post, path = "/dsp/negotiations/{pid}/agreement", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Consumer process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "ContractNegotiationError", body = Object)))]
pub async fn receive_agreement(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    let (negotiation, _) = receive_negotiation(&state, &request, &pid, "ContractAgreementMessage").await?;
    tokio::spawn(async move { crate::dsp::api::verify_agreement(&state, negotiation).await });
    Ok(acknowledged())
}

/// `POST /dsp/transfers/request`: a consumer organization asks for a transfer under an agreement
/// in force (`HttpData-PULL`). Answers 201 (REQUESTED); the provider then starts it and sends the
/// data address with a short-lived bearer token to the consumer's callback.
#[utoipa::path(post, path = "/dsp/transfers/request", tag = "dataspace", request_body = Object, security(("bearer" = [])),
    responses((status = 201, description = "TransferProcess (REQUESTED)", body = Object),
              (status = 400, description = "TransferError", body = Object), (status = 401, description = "TransferError: no credentials", body = Object)))]
pub async fn request_transfer(State(state): State<AppState>, received: DspRequest) -> Result<Response, DspError> {
    let actor = party(&received, Family::Transfer)?;
    let request = message(&received.body, "TransferRequestMessage", Family::Transfer)?;
    let consumer_pid = text(&request, "consumerPid");
    let transfer = state
        .store
        .dsp_request_transfer(
            &actor,
            &text(&request, "agreementId"),
            &consumer_pid,
            &text(&request, "callbackAddress"),
            &text(&request, "format"),
        )
        .await
        .map_err(|error| DspError::from_store(Family::Transfer, error).with_pids("", &consumer_pid))?;
    let document = transfer_document(&transfer);
    let state = state.clone();
    tokio::spawn(async move { start_and_send(&state, &actor, transfer).await });
    Ok(json_response(StatusCode::CREATED, document))
}

/// Provider: starts a requested transfer with a new pull token and sends the data address; a
/// consumer that cannot be reached gets its transfer terminated, so the token never works.
async fn start_and_send(state: &AppState, actor: &Actor, transfer: Transfer) {
    let token = format!("jkt_{}", junkan_auth::secret::generate_secret());
    let expires_at = state.store.now() + TOKEN_LIFETIME;
    let started = match state
        .store
        .dsp_start_transfer(actor, transfer.id, &junkan_auth::secret::digest(&token), expires_at)
        .await
    {
        Ok(started) => started,
        Err(error) => {
            tracing::warn!(%error, transfer = %transfer.id, "starting a transfer failed");
            return;
        }
    };
    let (provider_pid, consumer_pid) = pids_of_transfer(&started);
    let endpoint = format!("{}/transfers/{provider_pid}/data", base_url(state));
    let message = json!({
        "@context": [CONTEXT],
        "@type": "TransferStartMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "dataAddress": {
            "@type": "DataAddress",
            "endpointType": HTTP_ENDPOINT_TYPE,
            "endpoint": endpoint,
            "endpointProperties": [
                {"@type": "EndpointProperty", "name": "authorization", "value": token},
                {"@type": "EndpointProperty", "name": "authType", "value": "bearer"}
            ]
        }
    });
    let url = callback_url(&started.address, &format!("/transfers/{consumer_pid}/start"));
    let sent = send(
        state,
        started.organization_id,
        started.counterparty_organization_id,
        url,
        message,
    )
    .await;
    if let Err(error) = sent {
        tracing::warn!(%error, transfer = %started.id, "the transfer start could not be delivered");
        let reason = format!("the start could not be delivered: {error}");
        if let Err(error) = state
            .store
            .dsp_record_sent_transfer_message(actor, started.id, TransferMessage::Termination, None, Some(reason))
            .await
        {
            tracing::warn!(%error, "terminating an undeliverable transfer failed");
        }
    }
}

fn transfer_id(pid: &str) -> Result<TransferId, DspError> {
    local_id(pid).ok_or_else(|| {
        DspError::new(
            StatusCode::NOT_FOUND,
            Family::Transfer,
            "NOT_FOUND",
            "no such transfer process",
        )
        .with_pids(pid, "")
    })
}

/// `GET /dsp/transfers/{pid}`: a transfer, for a party of it.
#[utoipa::path(get, path = "/dsp/transfers/{pid}", tag = "dataspace", params(("pid" = String, Path, description = "Process id")),
    security(("bearer" = [])), responses((status = 200, description = "TransferProcess", body = Object), (status = 404, description = "TransferError", body = Object)))]
pub async fn get_transfer(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    let actor = party(&request, Family::Transfer)?;
    let transfer = state
        .store
        .dsp_transfer(&actor, transfer_id(&pid)?)
        .await
        .map_err(|error| DspError::from_store(Family::Transfer, error).with_pids(&pid, ""))?;
    Ok(json_response(StatusCode::OK, transfer_document(&transfer)))
}

async fn receive_transfer(
    state: &AppState,
    request: &DspRequest,
    pid: &str,
    expected: &str,
    kind: TransferMessage,
) -> Result<Transfer, DspError> {
    let received = message(&request.body, expected, Family::Transfer)?;
    let provider_pid = text(&received, "providerPid");
    let consumer_pid = text(&received, "consumerPid");
    let with_pids = |error: DspError| error.with_pids(&provider_pid, &consumer_pid);
    let (peer_pid, to_provider) = if provider_pid == pid {
        (consumer_pid.clone(), true)
    } else if consumer_pid == pid {
        (provider_pid.clone(), false)
    } else {
        return Err(with_pids(DspError::new(
            StatusCode::BAD_REQUEST,
            Family::Transfer,
            "INVALID_MESSAGE",
            "the process id of the path is neither the message's providerPid nor its consumerPid",
        )));
    };
    let actor = if to_provider {
        party(request, Family::Transfer).map_err(with_pids)?
    } else {
        sender(request, Family::Transfer).map_err(with_pids)?
    };
    let endpoint = received.get("dataAddress").and_then(|address| {
        let endpoint = address["endpoint"].as_str()?.to_owned();
        let token = address["endpointProperties"]
            .as_array()?
            .iter()
            .find(|property| property["name"] == "authorization")?["value"]
            .as_str()?
            .to_owned();
        Some((endpoint, token))
    });
    if kind == TransferMessage::Start && !to_provider && endpoint.is_none() {
        return Err(with_pids(DspError::new(
            StatusCode::BAD_REQUEST,
            Family::Transfer,
            "INVALID_MESSAGE",
            "/dataAddress: an HttpData-PULL start names the endpoint and its authorization",
        )));
    }
    state
        .store
        .dsp_receive_transfer_message(
            &actor,
            transfer_id(pid).map_err(with_pids)?,
            ReceivedTransferMessage {
                message: kind,
                peer_pid,
                endpoint,
                reason: reason_text(&received),
            },
        )
        .await
        .map_err(|error| with_pids(callback_refusal(Family::Transfer, to_provider, error)))
}

/// A store refusal of a received message: a callback to a consumer process that does not come
/// from the provider it was made with (a provider that is a registered peer's organization must
/// sign, with its own key) is 401 with the reason; everything else as the binding answers it.
fn callback_refusal(family: Family, to_provider: bool, error: junkan_store::StoreError) -> DspError {
    match error {
        junkan_store::StoreError::Forbidden { reason } if !to_provider => {
            DspError::new(StatusCode::UNAUTHORIZED, family, "UNAUTHORIZED", reason)
        }
        other => DspError::from_store(family, other),
    }
}

/// `POST /dsp/transfers/{pid}/start`: the provider started the transfer (consumer callback).
#[utoipa::path(post, path = "/dsp/transfers/{pid}/start", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "TransferError", body = Object)))]
pub async fn start_transfer(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_transfer(&state, &request, &pid, "TransferStartMessage", TransferMessage::Start).await?;
    Ok(acknowledged())
}

/// `POST /dsp/transfers/{pid}/completion`.
#[utoipa::path(post, path = "/dsp/transfers/{pid}/completion", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "TransferError", body = Object)))]
pub async fn complete_transfer(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_transfer(
        &state,
        &request,
        &pid,
        "TransferCompletionMessage",
        TransferMessage::Completion,
    )
    .await?;
    Ok(acknowledged())
}

/// `POST /dsp/transfers/{pid}/suspension`.
#[utoipa::path(post, path = "/dsp/transfers/{pid}/suspension", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "TransferError", body = Object)))]
pub async fn suspend_transfer(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_transfer(
        &state,
        &request,
        &pid,
        "TransferSuspensionMessage",
        TransferMessage::Suspension,
    )
    .await?;
    Ok(acknowledged())
}

/// `POST /dsp/transfers/{pid}/termination`.
#[utoipa::path(post, path = "/dsp/transfers/{pid}/termination", tag = "dataspace", request_body = Object, params(("pid" = String, Path, description = "Process id")),
    responses((status = 200, description = "Acknowledged"), (status = 400, description = "TransferError", body = Object)))]
pub async fn terminate_transfer(
    State(state): State<AppState>,
    Path(pid): Path<String>,
    request: DspRequest,
) -> Result<Response, DspError> {
    receive_transfer(
        &state,
        &request,
        &pid,
        "TransferTerminationMessage",
        TransferMessage::Termination,
    )
    .await?;
    Ok(acknowledged())
}

fn not_found(kind: RecordKind, id: &str) -> junkan_store::StoreError {
    junkan_store::StoreError::NotFound {
        kind,
        id: id.to_owned(),
    }
}

/// `GET /dsp/transfers/{pid}/data`: the records the agreement grants, pulled with the transfer's
/// bearer token (the data address's `authorization`). The token works while the transfer is
/// started, for ten minutes, and while the agreement is in force: a revoked or expired grant stops
/// it at once. Records are read through the store as the consumer organization with the grant's
/// purpose, so the read rule applies and every read is audited for the owner.
#[utoipa::path(get, path = "/dsp/transfers/{pid}/data", tag = "dataspace", params(("pid" = String, Path, description = "Provider process id")),
    security(("bearer" = [])), responses((status = 200, description = "The granted records", body = Object), (status = 401, description = "TransferError: token unknown, expired or its agreement ended", body = Object)))]
pub async fn pull_data(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(pid): Path<String>,
) -> Result<Response, DspError> {
    let refused = || {
        DspError::new(
            StatusCode::UNAUTHORIZED,
            Family::Transfer,
            "TOKEN_REFUSED",
            "the token is unknown or expired, the transfer is not started, or its agreement is no longer in force",
        )
        .with_pids(&pid, "")
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(refused)?;
    let id = transfer_id(&pid)?;
    let Some((actor, grant_id)) = state
        .store
        .dsp_transfer_reader(id, &junkan_auth::secret::digest(token))
        .await
        .map_err(|error| DspError::from_store(Family::Transfer, error))?
    else {
        return Err(refused());
    };
    let grant = state
        .store
        .get_grant(&actor, grant_id)
        .await
        .map_err(|error| DspError::from_store(Family::Transfer, error))?;
    let store_error = |error| DspError::from_store(Family::Transfer, error).with_pids(&pid, "");
    let mut items = Vec::new();
    let mut page = PageRequest {
        after: None,
        limit: 100,
    };
    // What this grant covers, page by page (`Store::granted_record_ids`, the grant's own scope:
    // not records the consumer reads through other grants or because they are public), each
    // record read through the store, audited and counted against the grant: facilities and
    // passports as their records, every other kind as its credential states it (an event as its
    // EPCIS body).
    let read_refused = |error: crate::error::ApiError| {
        DspError::new(error.status(), Family::Transfer, "READ_REFUSED", error.detail()).with_pids(&pid, "")
    };
    loop {
        let (_, ids, more) = state
            .store
            .granted_record_ids(&actor, grant.id, page.after.as_deref(), page.limit)
            .await
            .map_err(store_error)?;
        for id in &ids {
            let item = match grant.record_kind {
                RecordKind::Facility => {
                    let facility_id = id
                        .parse()
                        .map_err(|_| store_error(not_found(RecordKind::Facility, id)))?;
                    let facility = state
                        .store
                        .get_facility(&actor, facility_id)
                        .await
                        .map_err(store_error)?;
                    serde_json::to_value(facility).unwrap_or_default()
                }
                RecordKind::Passport => {
                    let passport_id = id
                        .parse()
                        .map_err(|_| store_error(not_found(RecordKind::Passport, id)))?;
                    // At the agreement's level: the consumer may hold a wider grant on the same
                    // passport (its strongest level would otherwise apply), but the transfer
                    // serves what the agreement covers.
                    let read = PassportRead {
                        version: None,
                        view: Some(grant.level.access_level()),
                    };
                    let passport = state
                        .store
                        .get_passport(&actor, passport_id, read)
                        .await
                        .map_err(store_error)?;
                    serde_json::to_value(passport).unwrap_or_default()
                }
                other => {
                    let reference = crate::handlers::credentials::RecordRef {
                        kind: other.as_str().to_owned(),
                        id: id.clone(),
                        version: None,
                        view: None,
                        ledger: None,
                        query: None,
                    };
                    crate::handlers::credentials::read_record(&state, &actor, &reference)
                        .await
                        .map_err(read_refused)?
                        .content
                }
            };
            items.push(item);
        }
        match (more, ids.last()) {
            (true, Some(last)) => page.after = Some(last.clone()),
            _ => break,
        }
        if items.len() >= 10_000 {
            break;
        }
    }
    Ok(json_response(
        StatusCode::OK,
        json!({
            "agreementId": process_id(grant.id),
            "recordKind": grant.record_kind.as_str(),
            "items": items,
        }),
    ))
}
