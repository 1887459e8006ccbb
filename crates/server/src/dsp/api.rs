//! The consumer side's management API (`/api/v1/dsp/...`, junkan's own, problem+json errors): a
//! local organization negotiates with a remote Dataspace Protocol provider, asks for transfers
//! under the agreements it got, pulls the data and completes the transfers. The protocol's
//! messages go out through [`client`]; the provider's callbacks arrive on `/dsp` ([`routes`]).

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use junkan_model::dsp::{
    process_id, Negotiation, NegotiationMessage, Transfer, TransferMessage, CONTEXT, HTTP_PULL_FORMAT,
};
use junkan_model::ids::{NegotiationId, TransferId};
use junkan_model::Violation;

use junkan_model::federation::Peer;
use junkan_model::ids::OrganizationId;
use junkan_model::principal::Actor;

use crate::dsp::client::{self, Auth, SendError};
use crate::dsp::{pids_of_negotiation, pids_of_transfer, routes};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(NegotiationList, Negotiation);
crate::list_schema!(TransferList, Transfer);

/// A negotiation to start with a remote provider.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNegotiation {
    /// The provider's protocol base URL (its `/.well-known/dspace-version` path, e.g.
    /// `https://provider.example.jp/dsp`).
    pub provider: String,
    /// The id of the offer (`hasPolicy` `@id`) in the provider's catalog.
    pub offer_id: String,
    /// The bearer credential (API key) the provider issued to this organization; required unless
    /// the provider is a registered peer node (`{peer base URL}/dsp`), whose messages are signed
    /// per RFC 9421 with the organization's key instead.
    #[serde(default)]
    pub credential: Option<String>,
}

/// A transfer to ask for under a finalized agreement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// The consumer negotiation whose agreement the transfer runs under.
    pub negotiation_id: NegotiationId,
}

fn unreachable_provider(error: &SendError) -> ApiError {
    ApiError::bad_gateway(format!("the provider did not take the message: {error}"))
}

/// Starts a negotiation with a remote provider: reads its catalog, finds the offer, writes the
/// negotiation (REQUESTED) and sends the `ContractRequestMessage`. A provider that is down or
/// refuses ends the negotiation here (TERMINATED) and answers 502 with its reason.
#[utoipa::path(post, path = "/api/v1/dsp/negotiations", tag = "dataspace", request_body = NewNegotiation, security(("bearer" = [])),
    responses((status = 201, description = "Requested", body = Negotiation),
              (status = 422, description = "Invalid, or the offer is not in the provider's catalog", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 502, description = "The provider is down or refused", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_negotiation(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewNegotiation>,
) -> ApiResult<(StatusCode, Json<Negotiation>)> {
    let actor = caller.signed_in()?.clone();
    let provider = new.provider.trim_end_matches('/').to_owned();
    let mut violations = Vec::new();
    if !(provider.starts_with("https://") || provider.starts_with("http://")) {
        violations.push(Violation::new("/provider", "must be an http(s) URL"));
    }
    if new.offer_id.trim().is_empty() || new.offer_id.len() > 512 {
        violations.push(Violation::new("/offer_id", "must be an offer id of 1-512 characters"));
    }
    // A registered peer node's protocol base: every message is signed as the organization.
    let peer = state
        .store
        .list_peers()
        .await?
        .into_iter()
        .find(|peer| format!("{}/dsp", peer.base_url.trim_end_matches('/')) == provider);
    let credential = new
        .credential
        .as_deref()
        .map(str::trim)
        .filter(|credential| !credential.is_empty());
    match credential {
        Some(credential) if credential.len() > 2048 => violations.push(Violation::new(
            "/credential",
            "must be the credential the provider issued",
        )),
        None if peer.is_none() => violations.push(Violation::new(
            "/credential",
            "must be the credential the provider issued (only a registered peer node's provider needs none: its \
             messages are signed)",
        )),
        _ => {}
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    let organization = actor
        .organization_id
        .ok_or_else(|| ApiError::forbidden("only members of an organization negotiate contracts".to_owned()))?;
    let auth = match (&peer, credential) {
        (Some(_), _) => signed_as(&state, &actor, organization).await?,
        (None, Some(credential)) => Auth::Bearer(credential.to_owned()),
        (None, None) => Auth::None,
    };
    let catalog_request = json!({"@context": [CONTEXT], "@type": "CatalogRequestMessage"});
    let catalog = client::post(
        format!("{provider}/catalog/request"),
        auth,
        catalog_request,
        Some("Catalog"),
    )
    .await
    .map_err(|error| unreachable_provider(&error))?;
    let (offer, dataset, publisher) = find_offer(&catalog, &new.offer_id).ok_or_else(|| {
        ApiError::invalid(vec![Violation::new(
            "/offer_id",
            "the provider's catalog lists no such offer for this organization",
        )])
    })?;
    // With a registered peer, the provider is the publishing organization of that peer: its
    // local record is the negotiation's counter-party, whose signature alone moves it.
    let provider_organization = match &peer {
        Some(peer) => Some(peer_organization(&state, peer, publisher.as_deref()).await?),
        None => None,
    };
    let negotiation = state
        .store
        .dsp_create_consumer_negotiation(
            &actor,
            &provider,
            &new.offer_id,
            Some(&dataset),
            credential.filter(|_| peer.is_none()),
            provider_organization,
        )
        .await?;
    let auth = match (&peer, credential) {
        (Some(_), _) => signed_as(&state, &actor, organization).await?,
        (None, Some(credential)) => Auth::Bearer(credential.to_owned()),
        (None, None) => Auth::None,
    };
    let mut message_offer = offer;
    message_offer["target"] = json!(dataset);
    let message = json!({
        "@context": [CONTEXT],
        "@type": "ContractRequestMessage",
        "consumerPid": process_id(negotiation.id),
        "offer": message_offer,
        "callbackAddress": routes::base_url(&state),
    });
    match client::post(
        format!("{provider}/negotiations/request"),
        auth,
        message,
        Some("ContractNegotiation"),
    )
    .await
    {
        Ok(answer) => {
            let provider_pid = answer["providerPid"].as_str().map(str::to_owned);
            let negotiation = state
                .store
                .dsp_record_sent_negotiation_message(
                    &actor,
                    negotiation.id,
                    NegotiationMessage::Request,
                    provider_pid,
                    None,
                )
                .await?;
            Ok((StatusCode::CREATED, Json(negotiation)))
        }
        Err(error) => {
            state
                .store
                .dsp_record_sent_negotiation_message(
                    &actor,
                    negotiation.id,
                    NegotiationMessage::Termination,
                    None,
                    Some(error.to_string()),
                )
                .await?;
            Err(unreachable_provider(&error))
        }
    }
}

/// The offer with `offer_id` in a catalog (any dataset, nested catalogs too), its dataset id and
/// the dataset's publisher (`dct:publisher`), when stated.
fn find_offer(catalog: &Value, offer_id: &str) -> Option<(Value, String, Option<String>)> {
    let datasets = catalog["dataset"].as_array().into_iter().flatten();
    for dataset in datasets {
        for offer in dataset["hasPolicy"].as_array().into_iter().flatten() {
            if offer["@id"] == offer_id {
                return Some((
                    offer.clone(),
                    dataset["@id"].as_str()?.to_owned(),
                    dataset["dct:publisher"].as_str().map(str::to_owned),
                ));
            }
        }
    }
    catalog["catalog"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|nested| find_offer(nested, offer_id))
}

/// Signed as `organization` for a message to a registered peer (before the counter-party is
/// known: the catalog and contract request).
async fn signed_as(state: &AppState, actor: &Actor, organization: OrganizationId) -> ApiResult<Auth> {
    let (key, keyid) = crate::federation::organization_signing_key(state, actor, organization).await?;
    Ok(Auth::Signed {
        key: Box::new(key),
        keyid,
        now: state.store.now().unix_timestamp(),
    })
}

/// The local record of the peer organization that published an offer in a registered peer's
/// catalog (`dct:publisher` `urn:junkan:organization:<id on the peer>`), registered on first
/// meeting as a signed request from it would be.
async fn peer_organization(state: &AppState, peer: &Peer, publisher: Option<&str>) -> ApiResult<OrganizationId> {
    let id = publisher
        .and_then(|publisher| publisher.strip_prefix("urn:junkan:organization:"))
        .filter(|id| !id.is_empty() && !id.contains(':'))
        .ok_or_else(|| {
            ApiError::bad_gateway(format!(
                "the peer node {}'s catalog names no publishing organization of the offer (dct:publisher \
                 urn:junkan:organization:<id>), so its signature could not be checked",
                peer.did
            ))
        })?;
    let did = format!("{}:organizations:{id}", peer.did);
    if let Some(known) = state.store.remote_organization(&did).await? {
        return Ok(known.organization_id);
    }
    // Met for the first time: it must publish a DID document with a key on its registered peer
    // (the same document its signatures are then verified against); it is registered under that
    // key, as its first signed request would register it.
    let document = crate::federation::organization_document(state, peer, &did, true).await?;
    let keyid = document
        .verification_methods
        .iter()
        .find(|method| method.retired_at.is_none())
        .map(|method| method.id.clone())
        .ok_or_else(|| {
            ApiError::bad_gateway(format!(
                "the DID document of {did} on the peer node {} lists no key in service",
                peer.did
            ))
        })?;
    crate::federation::register_organization(state, peer, &did, &keyid).await
}

/// How the consumer authenticates a message of `negotiation` to its provider: signed when the
/// provider is a registered peer's organization, else the provider's bearer credential.
async fn provider_auth(state: &AppState, actor: &Actor, negotiation: &Negotiation) -> ApiResult<Auth> {
    match crate::dsp::message_auth(
        state,
        negotiation.organization_id,
        negotiation.counterparty_organization_id,
    )
    .await
    .map_err(|error| ApiError::internal(&error))?
    {
        Auth::None => Ok(Auth::Bearer(
            state.store.dsp_peer_credential(actor, negotiation.id).await?,
        )),
        auth => Ok(auth),
    }
}

/// Consumer: verifies an agreement the provider sent (called from the agreement callback).
/// The verification is recorded before it is sent, so that the provider's finalization, which
/// may arrive before the answer, finds the negotiation VERIFIED; a provider that cannot be
/// reached ends it.
pub async fn verify_agreement(state: &AppState, negotiation: Negotiation) {
    let owner = junkan_model::principal::Actor {
        organization_id: Some(negotiation.organization_id),
        principal_id: format!("dsp-consumer:{}", negotiation.id),
        roles: vec![junkan_model::principal::Role::Member],
        ..junkan_model::principal::Actor::anonymous()
    };
    let auth = match provider_auth(state, &owner, &negotiation).await {
        Ok(auth) => auth,
        Err(error) => {
            tracing::warn!(error = error.detail(), "the negotiation's provider cannot be addressed");
            return;
        }
    };
    let verified = match state
        .store
        .dsp_record_sent_negotiation_message(&owner, negotiation.id, NegotiationMessage::Verification, None, None)
        .await
    {
        Ok(verified) => verified,
        Err(error) => {
            tracing::warn!(%error, "recording the verification failed");
            return;
        }
    };
    let (provider_pid, consumer_pid) = pids_of_negotiation(&verified);
    let message = json!({
        "@context": [CONTEXT],
        "@type": "ContractAgreementVerificationMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
    });
    let url = format!(
        "{}/negotiations/{provider_pid}/agreement/verification",
        verified.address
    );
    if let Err(error) = client::post(url, auth, message, None).await {
        tracing::warn!(%error, negotiation = %verified.id, "the verification could not be delivered");
        let _ = state
            .store
            .dsp_record_sent_negotiation_message(
                &owner,
                verified.id,
                NegotiationMessage::Termination,
                None,
                Some(format!("the verification could not be delivered: {error}")),
            )
            .await;
    }
}

/// Lists the negotiations of the caller's organization, both sides.
#[utoipa::path(get, path = "/api/v1/dsp/negotiations", tag = "dataspace", params(
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Negotiations", body = NegotiationList)))]
pub async fn list_negotiations(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let page = query.page();
    query.finish()?;
    Ok(paged(&uri, state.store.dsp_list_negotiations(actor, &page).await?))
}

/// One negotiation of the caller's organization.
#[utoipa::path(get, path = "/api/v1/dsp/negotiations/{id}", tag = "dataspace", params(("id" = String, Path, description = "Negotiation id")),
    security(("bearer" = [])), responses((status = 200, description = "The negotiation", body = Negotiation)))]
pub async fn get_negotiation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Negotiation>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state.store.dsp_negotiation(actor, path_id(&id, "negotiation")?).await?,
    ))
}

/// Asks the provider for a transfer (`HttpData-PULL`) under a finalized agreement of the
/// caller's organization; the provider then starts it and sends the data address.
#[utoipa::path(post, path = "/api/v1/dsp/transfers", tag = "dataspace", request_body = NewTransfer, security(("bearer" = [])),
    responses((status = 201, description = "Requested", body = Transfer),
              (status = 409, description = "The agreement is not finalized", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 502, description = "The provider is down or refused", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_transfer(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewTransfer>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    let actor = caller.signed_in()?.clone();
    let transfer = state
        .store
        .dsp_create_consumer_transfer(&actor, new.negotiation_id)
        .await?;
    let negotiation = state.store.dsp_negotiation(&actor, new.negotiation_id).await?;
    let auth = provider_auth(&state, &actor, &negotiation).await?;
    let message = json!({
        "@context": [CONTEXT],
        "@type": "TransferRequestMessage",
        "consumerPid": process_id(transfer.id),
        "agreementId": transfer.agreement_id,
        "format": HTTP_PULL_FORMAT,
        "callbackAddress": routes::base_url(&state),
    });
    match client::post(
        format!("{}/transfers/request", transfer.address),
        auth,
        message,
        Some("TransferProcess"),
    )
    .await
    {
        Ok(answer) => {
            let provider_pid = answer["providerPid"].as_str().map(str::to_owned);
            let transfer = state
                .store
                .dsp_record_sent_transfer_message(&actor, transfer.id, TransferMessage::Request, provider_pid, None)
                .await?;
            Ok((StatusCode::CREATED, Json(transfer)))
        }
        Err(error) => {
            state
                .store
                .dsp_record_sent_transfer_message(
                    &actor,
                    transfer.id,
                    TransferMessage::Termination,
                    None,
                    Some(error.to_string()),
                )
                .await?;
            Err(unreachable_provider(&error))
        }
    }
}

/// Lists the transfers of the caller's organization, both sides.
#[utoipa::path(get, path = "/api/v1/dsp/transfers", tag = "dataspace", params(
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Transfers", body = TransferList)))]
pub async fn list_transfers(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let page = query.page();
    query.finish()?;
    Ok(paged(&uri, state.store.dsp_list_transfers(actor, &page).await?))
}

/// One transfer of the caller's organization.
#[utoipa::path(get, path = "/api/v1/dsp/transfers/{id}", tag = "dataspace", params(("id" = String, Path, description = "Transfer id")),
    security(("bearer" = [])), responses((status = 200, description = "The transfer", body = Transfer)))]
pub async fn get_transfer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Transfer>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.dsp_transfer(actor, path_id(&id, "transfer")?).await?))
}

/// Pulls the data of a started transfer from the provider's endpoint with the transfer's token
/// and answers it as the provider sent it. A provider that refuses (revoked agreement, expired
/// token) answers 502 with its reason.
#[utoipa::path(get, path = "/api/v1/dsp/transfers/{id}/data", tag = "dataspace", params(("id" = String, Path, description = "Transfer id")),
    security(("bearer" = [])), responses((status = 200, description = "The provider's data", body = Object),
        (status = 409, description = "The transfer is not started", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider refused or is down", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn pull_transfer_data(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let actor = caller.signed_in()?;
    let (endpoint, token) = state
        .store
        .dsp_transfer_endpoint(actor, path_id::<TransferId>(&id, "transfer")?)
        .await?;
    let data = client::get(endpoint, Some(token), None)
        .await
        .map_err(|error| unreachable_provider(&error))?;
    Ok(Json(data))
}

/// Completes a started transfer: tells the provider, whose token then stops working.
#[utoipa::path(post, path = "/api/v1/dsp/transfers/{id}/complete", tag = "dataspace", params(("id" = String, Path, description = "Transfer id")),
    security(("bearer" = [])), responses((status = 200, description = "Completed", body = Transfer),
        (status = 409, description = "Not started", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider refused or is down", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn complete_transfer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Transfer>> {
    let actor = caller.signed_in()?;
    let transfer = state.store.dsp_transfer(actor, path_id(&id, "transfer")?).await?;
    if transfer.role != junkan_model::dsp::Role::Consumer || transfer.state != junkan_model::dsp::TransferState::Started
    {
        return Err(ApiError::conflict(
            String::new(),
            format!(
                "the transfer is {} on the {} side: only started consumer transfers are completed here",
                transfer.state.as_str(),
                transfer.role.as_str()
            ),
        ));
    }
    let negotiation = state.store.dsp_negotiation(actor, transfer.negotiation_id).await?;
    let auth = provider_auth(&state, actor, &negotiation).await?;
    let (provider_pid, consumer_pid) = pids_of_transfer(&transfer);
    let message = json!({
        "@context": [CONTEXT],
        "@type": "TransferCompletionMessage",
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
    });
    client::post(
        format!("{}/transfers/{provider_pid}/completion", transfer.address),
        auth,
        message,
        None,
    )
    .await
    .map_err(|error| unreachable_provider(&error))?;
    Ok(Json(
        state
            .store
            .dsp_record_sent_transfer_message(actor, transfer.id, TransferMessage::Completion, None, None)
            .await?,
    ))
}
