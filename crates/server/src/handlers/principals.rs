//! Users, OAuth clients and API keys of an organization.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use junkan_auth::password::hash_password;
use junkan_auth::secret::{digest, generate_api_key, generate_secret};
use junkan_model::ids::OrganizationId;
use junkan_model::principal::{ApiKey, ClientCredential, NewCredential, NewUser, User};
use junkan_store::NewUserRecord;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(UserList, User);

/// Lists an organization's users (its administrators, node administrators, auditors).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/users", tag = "principals", params(("id" = String, Path, description = "Organization id"),
    ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    security(("bearer" = [])), responses((status = 200, description = "Users", body = UserList)))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state
            .store
            .list_users(actor, path_id(&id, "organization")?, &page)
            .await?,
    ))
}

/// Creates a user (organization administrators give org_admin and member; node administrators
/// also node_admin and auditor).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/users", tag = "principals", params(("id" = String, Path, description = "Organization id")),
    request_body = NewUser, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = User), (status = 409, description = "Username taken", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(new): Valid<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let actor = caller.signed_in()?;
    let organization: OrganizationId = path_id(&id, "organization")?;
    new.validate().map_err(ApiError::invalid)?;
    actor
        .check_can_assign(organization, &new.roles)
        .map_err(ApiError::forbidden)?;
    let password = new.password.clone();
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| ApiError::internal(&error))?;
    let record = NewUserRecord {
        username: new.username,
        display_name: new.display_name,
        password_hash,
        roles: new.roles,
        locale: new.locale,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_user(actor, organization, record).await?),
    ))
}

/// A new OAuth client with its secret, shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClient {
    /// The client.
    pub client: ClientCredential,
    /// The OAuth `client_id` (same as `client.id`).
    pub client_id: String,
    /// The secret: store it now, it cannot be read again.
    pub client_secret: String,
}

/// Lists an organization's OAuth clients.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/clients", tag = "principals", params(("id" = String, Path, description = "Organization id")),
    security(("bearer" = [])), responses((status = 200, description = "Clients", body = Vec<ClientCredential>)))]
pub async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ClientCredential>>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state.store.list_clients(actor, path_id(&id, "organization")?).await?,
    ))
}

/// Creates an OAuth client (client credentials grant) for an organization.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/clients", tag = "principals", params(("id" = String, Path, description = "Organization id")),
    request_body = NewCredential, security(("bearer" = [])), responses((status = 201, description = "Created", body = CreatedClient)))]
pub async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(new): Valid<NewCredential>,
) -> ApiResult<(StatusCode, Json<CreatedClient>)> {
    let actor = caller.signed_in()?;
    let secret = generate_secret();
    let client = state
        .store
        .create_client(actor, path_id(&id, "organization")?, &new, &digest(&secret))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedClient {
            client_id: client.id.to_string(),
            client,
            client_secret: secret,
        }),
    ))
}

/// Revokes an OAuth client; its tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/clients/{id}/revoke", tag = "principals", params(("id" = String, Path, description = "Client id")),
    security(("bearer" = [])), responses((status = 200, description = "Revoked", body = ClientCredential)))]
pub async fn revoke_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ClientCredential>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.revoke_client(actor, path_id(&id, "client")?).await?))
}

/// A new API key, shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key's record.
    pub api_key: ApiKey,
    /// The key: send it as `Authorization: Bearer <key>`. Store it now, it cannot be read again.
    pub key: String,
}

/// Lists an organization's API keys.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/api-keys", tag = "principals", params(("id" = String, Path, description = "Organization id")),
    security(("bearer" = [])), responses((status = 200, description = "API keys", body = Vec<ApiKey>)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ApiKey>>> {
    let actor = caller.signed_in()?;
    Ok(Json(
        state.store.list_api_keys(actor, path_id(&id, "organization")?).await?,
    ))
}

/// Creates an API key for scripts.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/api-keys", tag = "principals", params(("id" = String, Path, description = "Organization id")),
    request_body = NewCredential, security(("bearer" = [])), responses((status = 201, description = "Created", body = CreatedApiKey)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(new): Valid<NewCredential>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let actor = caller.signed_in()?;
    let key = generate_api_key();
    let prefix: String = key.chars().take(8).collect();
    let api_key = state
        .store
        .create_api_key(actor, path_id(&id, "organization")?, &new, &prefix, &digest(&key))
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { api_key, key })))
}

/// Revokes an API key.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "principals", params(("id" = String, Path, description = "API key id")),
    security(("bearer" = [])), responses((status = 200, description = "Revoked", body = ApiKey)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.revoke_api_key(actor, path_id(&id, "API key")?).await?))
}
