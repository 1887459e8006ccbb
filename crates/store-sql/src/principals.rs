//! Users, OAuth clients, API keys, browser sessions and the node's signing keys.

use sqlx::any::AnyRow;

use junkan_model::access::{ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::ids::{ApiKeyId, ClientId, OrganizationId, UserId};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, ApiKey, ClientCredential, NewCredential, Role, User};
use junkan_store::{NewUserRecord, SessionRecord, StoreError, StoreResult, UserLogin};

use crate::access::{self, audit_reads, record, require, RecordRead};
use crate::organizations;
use crate::rows::{opt_time, parsed, text, time, write_error};
use crate::{micros, unavailable, SqlStore};

/// Whether `actor` may see the principals of `organization`.
fn may_view_principals(actor: &Actor, organization: OrganizationId) -> bool {
    actor.administers(organization) || actor.has_role(Role::Auditor)
}

/// Audits reads of `organization`'s principals by someone outside it (an auditor or a node
/// administrator); the organization's own administrators are not audited reading their own.
async fn audit_outside_reads(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    kind: RecordKind,
    ids: impl Iterator<Item = String>,
) -> StoreResult<()> {
    if actor.belongs_to(organization) {
        return Ok(());
    }
    let reads: Vec<RecordRead> = ids
        .map(|id| RecordRead {
            kind,
            id,
            owner: organization,
            basis: ReadBasis::Auditor,
        })
        .collect();
    audit_reads(store, actor, &reads).await
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn roles_of(row: &AnyRow) -> StoreResult<Vec<Role>> {
    text(row, "roles")?
        .split(',')
        .filter(|role| !role.is_empty())
        .map(|role| {
            Role::parse(role).ok_or_else(|| StoreError::Unavailable(format!("stored role {role:?} is unknown").into()))
        })
        .collect()
}

pub async fn create_user(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    new: NewUserRecord,
) -> StoreResult<User> {
    actor
        .check_can_assign(organization, &new.roles)
        .map_err(|reason| StoreError::Forbidden { reason })?;
    organizations::get(store, organization).await?;
    let user = User {
        id: UserId::generate(),
        organization_id: organization,
        username: new.username,
        display_name: new.display_name,
        roles: new.roles,
        locale: new.locale,
        created_at: store.clock_now(),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO users (id, organization_id, username, display_name, password_hash, roles, locale, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user.id.to_string())
    .bind(organization.to_string())
    .bind(user.username.clone())
    .bind(user.display_name.clone())
    .bind(new.password_hash)
    .bind(roles_text(&user.roles))
    .bind(user.locale.clone())
    .bind(micros(user.created_at))
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &[("username", "/username", "this username is taken")]))?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::User,
        &user.id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(user)
}

pub async fn list_users(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    page: &PageRequest,
) -> StoreResult<Page<User>> {
    require(
        may_view_principals(actor, organization),
        "only this organization's administrators, node administrators and auditors list its users",
    )?;
    let rows = sqlx::query("SELECT * FROM users WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3")
        .bind(organization.to_string())
        .bind(page.after.clone().unwrap_or_default())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    let users = rows.iter().map(user_of).collect::<StoreResult<Vec<_>>>()?;
    let page = Page::from_overfetch(users, page.limit, |user| user.id.to_string());
    audit_outside_reads(
        store,
        actor,
        organization,
        RecordKind::User,
        page.items.iter().map(|user| user.id.to_string()),
    )
    .await?;
    Ok(page)
}

pub async fn user_login(store: &SqlStore, username: &str) -> StoreResult<Option<UserLogin>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.map(|row| {
        Ok(UserLogin {
            user: user_of(&row)?,
            password_hash: text(&row, "password_hash")?,
        })
    })
    .transpose()
}

pub async fn user_by_id(store: &SqlStore, id: UserId) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(user_of).transpose()
}

/// The signed-in user's language of the web interface; an audited write of their own account.
pub async fn set_own_locale(store: &SqlStore, actor: &Actor, locale: &str) -> StoreResult<User> {
    require(
        actor.kind == junkan_model::principal::PrincipalKind::User,
        "only a signed-in user has a language preference",
    )?;
    if !matches!(locale, "ja" | "en") {
        return Err(StoreError::Invalid(vec![junkan_model::Violation::new(
            "/locale",
            "must be ja or en",
        )]));
    }
    let organization = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "the actor acts for no organization".to_owned(),
    })?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let row = sqlx::query("UPDATE users SET locale = $2 WHERE id = $1 AND organization_id = $3 RETURNING *")
        .bind(actor.principal_id.clone())
        .bind(locale.to_owned())
        .bind(organization.to_string())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let Some(row) = row else {
        return Err(StoreError::NotFound {
            kind: RecordKind::User,
            id: actor.principal_id.clone(),
        });
    };
    let user = user_of(&row)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::User,
        &actor.principal_id,
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(user)
}

fn user_of(row: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: parsed(&text(row, "id")?, "user id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        username: text(row, "username")?,
        display_name: text(row, "display_name")?,
        roles: roles_of(row)?,
        locale: text(row, "locale")?,
        created_at: time(row, "created_at")?,
    })
}

pub async fn create_client(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    new: &NewCredential,
    secret_hash: &str,
) -> StoreResult<ClientCredential> {
    actor
        .check_can_assign(organization, &new.roles)
        .map_err(|reason| StoreError::Forbidden { reason })?;
    new.validate(store.clock_now()).map_err(StoreError::Invalid)?;
    organizations::get(store, organization).await?;
    let client = ClientCredential {
        id: ClientId::generate(),
        organization_id: organization,
        name: new.name.trim().to_owned(),
        roles: new.roles.clone(),
        created_at: store.clock_now(),
        revoked_at: None,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("INSERT INTO clients (id, organization_id, name, roles, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(client.id.to_string())
        .bind(organization.to_string())
        .bind(client.name.clone())
        .bind(roles_text(&client.roles))
        .bind(secret_hash.to_owned())
        .bind(micros(client.created_at))
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Client,
        &client.id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(client)
}

pub async fn list_clients(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
) -> StoreResult<Vec<ClientCredential>> {
    require(
        may_view_principals(actor, organization),
        "only this organization's administrators, node administrators and auditors list its clients",
    )?;
    let rows = sqlx::query("SELECT * FROM clients WHERE organization_id = $1 ORDER BY id")
        .bind(organization.to_string())
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    let clients = rows.iter().map(client_of).collect::<StoreResult<Vec<_>>>()?;
    audit_outside_reads(
        store,
        actor,
        organization,
        RecordKind::Client,
        clients.iter().map(|client| client.id.to_string()),
    )
    .await?;
    Ok(clients)
}

pub async fn revoke_client(store: &SqlStore, actor: &Actor, id: ClientId) -> StoreResult<ClientCredential> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::Client,
        id: id.to_string(),
    };
    let (client, _) = client_login(store, id).await?.ok_or_else(not_found)?;
    if !may_view_principals(actor, client.organization_id) {
        return Err(not_found());
    }
    require(
        actor.administers(client.organization_id),
        "only this organization's administrators revoke its clients",
    )?;
    let revoked_at = access::revoke(
        store,
        actor,
        "clients",
        RecordKind::Client,
        &id.to_string(),
        client.organization_id,
        client.revoked_at,
    )
    .await?;
    Ok(ClientCredential {
        revoked_at: Some(revoked_at),
        ..client
    })
}

pub async fn client_login(store: &SqlStore, id: ClientId) -> StoreResult<Option<(ClientCredential, String)>> {
    let row = sqlx::query("SELECT * FROM clients WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.map(|row| Ok((client_of(&row)?, text(&row, "secret_hash")?)))
        .transpose()
}

fn client_of(row: &AnyRow) -> StoreResult<ClientCredential> {
    Ok(ClientCredential {
        id: parsed(&text(row, "id")?, "client id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        name: text(row, "name")?,
        roles: roles_of(row)?,
        created_at: time(row, "created_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

pub async fn create_api_key(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
    new: &NewCredential,
    prefix: &str,
    key_hash: &str,
) -> StoreResult<ApiKey> {
    actor
        .check_can_assign(organization, &new.roles)
        .map_err(|reason| StoreError::Forbidden { reason })?;
    new.validate(store.clock_now()).map_err(StoreError::Invalid)?;
    organizations::get(store, organization).await?;
    let key = ApiKey {
        id: ApiKeyId::generate(),
        organization_id: organization,
        name: new.name.trim().to_owned(),
        prefix: prefix.to_owned(),
        roles: new.roles.clone(),
        created_at: store.clock_now(),
        expires_at: new.expires_at,
        revoked_at: None,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO api_keys (id, organization_id, name, prefix, key_hash, roles, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(key.id.to_string())
    .bind(organization.to_string())
    .bind(key.name.clone())
    .bind(key.prefix.clone())
    .bind(key_hash.to_owned())
    .bind(roles_text(&key.roles))
    .bind(micros(key.created_at))
    .bind(key.expires_at.map(micros))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::ApiKey,
        &key.id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(key)
}

pub async fn list_api_keys(store: &SqlStore, actor: &Actor, organization: OrganizationId) -> StoreResult<Vec<ApiKey>> {
    require(
        may_view_principals(actor, organization),
        "only this organization's administrators, node administrators and auditors list its API keys",
    )?;
    let rows = sqlx::query("SELECT * FROM api_keys WHERE organization_id = $1 ORDER BY id")
        .bind(organization.to_string())
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    let keys = rows.iter().map(api_key_of).collect::<StoreResult<Vec<_>>>()?;
    audit_outside_reads(
        store,
        actor,
        organization,
        RecordKind::ApiKey,
        keys.iter().map(|key| key.id.to_string()),
    )
    .await?;
    Ok(keys)
}

pub async fn revoke_api_key(store: &SqlStore, actor: &Actor, id: ApiKeyId) -> StoreResult<ApiKey> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::ApiKey,
        id: id.to_string(),
    };
    let row = sqlx::query("SELECT * FROM api_keys WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let key = api_key_of(&row)?;
    if !may_view_principals(actor, key.organization_id) {
        return Err(not_found());
    }
    require(
        actor.administers(key.organization_id),
        "only this organization's administrators revoke its API keys",
    )?;
    let revoked_at = access::revoke(
        store,
        actor,
        "api_keys",
        RecordKind::ApiKey,
        &id.to_string(),
        key.organization_id,
        key.revoked_at,
    )
    .await?;
    Ok(ApiKey {
        revoked_at: Some(revoked_at),
        ..key
    })
}

pub async fn api_key_login(store: &SqlStore, key_hash: &str) -> StoreResult<Option<ApiKey>> {
    let row = sqlx::query("SELECT * FROM api_keys WHERE key_hash = $1")
        .bind(key_hash.to_owned())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(api_key_of).transpose()
}

fn api_key_of(row: &AnyRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: parsed(&text(row, "id")?, "API key id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        name: text(row, "name")?,
        prefix: text(row, "prefix")?,
        roles: roles_of(row)?,
        created_at: time(row, "created_at")?,
        expires_at: opt_time(row, "expires_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

pub async fn create_session(store: &SqlStore, session: &SessionRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(session.id_hash.clone())
        .bind(session.user_id.to_string())
        .bind(session.csrf_token.clone())
        .bind(micros(session.expires_at))
        .execute(&store.writer)
        .await
        .map_err(unavailable)?;
    // Expired sessions are removed as new ones are made, so the table does not grow without bound.
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(micros(store.clock_now()))
        .execute(&store.writer)
        .await
        .map_err(unavailable)?;
    Ok(())
}

pub async fn session(store: &SqlStore, id_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
        .bind(id_hash.to_owned())
        .bind(micros(store.clock_now()))
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    let Some(row) = row else { return Ok(None) };
    let session = SessionRecord {
        id_hash: text(&row, "id_hash")?,
        user_id: parsed(&text(&row, "user_id")?, "user id", str::parse)?,
        csrf_token: text(&row, "csrf_token")?,
        expires_at: time(&row, "expires_at")?,
    };
    Ok(user_by_id(store, session.user_id).await?.map(|user| (session, user)))
}

pub async fn delete_session(store: &SqlStore, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash.to_owned())
        .execute(&store.writer)
        .await
        .map_err(unavailable)?;
    Ok(())
}
