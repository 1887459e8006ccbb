//! Trust services' publication and key management (issue 9): the node's and the organizations'
//! `did:web` DID documents and JWK sets, the organizations' revocation status lists, and key
//! rotation. Credentials of records and their verification are in `handlers::credentials`.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use junkan_model::ids::OrganizationId;
use junkan_store::{KeyOwner, TrustKey};

use crate::error::ApiResult;
use crate::extract::Caller;
use crate::handlers::path_id;
use crate::trust;
use crate::AppState;

/// The media type of DID documents in JSON (DID Core).
const DID_JSON: &str = "application/did+json";

fn did_response(document: Value) -> Response {
    ([(header::CONTENT_TYPE, DID_JSON)], Json(document)).into_response()
}

/// The node's DID document (`did:web:<host>`): every node key, retired ones marked `revoked`.
/// The keys sign access tokens and the log's signed tree heads (`key_id` is the fragment of the
/// verification method).
#[utoipa::path(get, path = "/.well-known/did.json", tag = "trust",
    responses((status = 200, description = "DID document", content_type = "application/did+json")))]
pub async fn get_node_did(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(did_response(trust::node_document(&state).await?.to_json()))
}

/// An organization's DID document (`did:web:<host>:organizations:<id>`): the keys its
/// credentials are signed with, retired ones marked `revoked`.
#[utoipa::path(get, path = "/organizations/{id}/did.json", tag = "trust",
    params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, description = "DID document", content_type = "application/did+json"),
              (status = 404, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_organization_did(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let organization: OrganizationId = path_id(&id, "organization")?;
    Ok(did_response(
        trust::organization_document(&state, organization).await?.to_json(),
    ))
}

/// An organization's keys as a JSON Web Key Set (RFC 7517; `kid` = the DID URL).
#[utoipa::path(get, path = "/organizations/{id}/jwks.json", tag = "trust",
    params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, description = "JSON Web Key Set"),
              (status = 404, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_organization_jwks(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let organization: OrganizationId = path_id(&id, "organization")?;
    Ok(Json(trust::jwks(
        &trust::organization_document(&state, organization).await?,
    )))
}

/// An organization's revocation status list: a `BitstringStatusListCredential` signed by the
/// organization (`vc+jwt`), valid for a day.
#[utoipa::path(get, path = "/credentials/status/{organization}", tag = "trust",
    params(("organization" = String, Path, description = "Issuing organization id")),
    responses((status = 200, description = "Status list credential (compact JWS)", content_type = "application/vc+jwt"),
              (status = 404, description = "No such issuer", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_status_list(State(state): State<AppState>, Path(organization): Path<String>) -> ApiResult<Response> {
    let organization: OrganizationId = path_id(&organization, "organization")?;
    state.store.get_organization(organization).await?;
    let jwt = trust::status_list_jwt(&state, organization).await?;
    Ok(([(header::CONTENT_TYPE, "application/vc+jwt")], jwt).into_response())
}

/// A signing key as published (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKey {
    /// The DID URL of the key (the JWS `kid`).
    pub id: String,
    /// The stored key id (the DID URL's fragment).
    pub kid: String,
    /// The public JWK (OKP, Ed25519).
    #[schema(value_type = Object)]
    pub public_key_jwk: Value,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// When a rotation retired it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<time::OffsetDateTime>,
}

/// The keys of an owner after a rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeySet {
    /// The owner's DID.
    pub did: String,
    /// Its keys, those in use first, newest first.
    pub keys: Vec<PublicKey>,
}

/// The published form of `keys` in the document of `did`.
pub fn key_set(did: &str, keys: &[TrustKey]) -> ApiResult<KeySet> {
    let keys = keys
        .iter()
        .map(|key| {
            Ok(PublicKey {
                id: format!("{did}#{}", key.kid),
                kid: key.kid.clone(),
                public_key_jwk: trust::public_jwk(key)?,
                created_at: key.created_at,
                retired_at: key.retired_at,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(KeySet {
        did: did.to_owned(),
        keys,
    })
}

/// Rotates an organization's signing keys: the keys in use are retired now (they stay published
/// and verify what they signed before) and a new key signs from now on. The organization's
/// administrators, or node administrators.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/keys/rotate", tag = "trust",
    params(("id" = String, Path, description = "Organization id")), security(("bearer" = [])),
    responses((status = 200, description = "The organization's keys after the rotation", body = KeySet),
              (status = 403, description = "Not an administrator of it", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn rotate_organization_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<KeySet>> {
    let actor = caller.signed_in()?;
    let organization: OrganizationId = path_id(&id, "organization")?;
    let keys = state
        .store
        .rotate_key(actor, KeyOwner::Organization(organization))
        .await?;
    Ok(Json(key_set(&trust::organization_did(&state, organization), &keys)?))
}
