//! Trust services' storage (トラストサービス, issue 9): the Ed25519 signing keys of the node and of
//! each organization (one table, `signing_keys`), their rotation and retirement, and the
//! credentials organizations issue with their revocation status-list entries
//! (`issued_credentials`). Every write is one transaction with its audit entry and its leaf of
//! the tamper-evident log; a key's leaf commits to its public parts only (`log::record_parts`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::Rng as _;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::ids::OrganizationId;
use junkan_model::principal::{Actor, Role};
use junkan_model::Violation;
use junkan_store::{
    IssuedCredential, KeyOwner, NewIssuedCredential, SignWithIndex, SigningKeyRecord, StoreError, StoreResult,
    TrustKey, STATUS_LIST_LENGTH,
};

use crate::access::{record, require};
use crate::rows::{int, micros, opt_text, opt_time, parsed, text, time, unavailable};
use crate::{organizations, SqlStore};

const KEY_COLUMNS: &str = "kid, secret, public_key, organization_id, created_at, retired_at";

/// Keys in use first, then by age, newest first: the first key signs.
const KEY_ORDER: &str = "ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, kid";

/// The public key (base64url) of a stored secret seed (base64).
pub(crate) fn public_key_of(secret: &str) -> StoreResult<String> {
    let seed: [u8; 32] = STANDARD
        .decode(secret)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| StoreError::Unavailable("a stored signing key is not a 32-byte Ed25519 seed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes()))
}

/// A new random key of `owner`, made now: kid = the public key's first 12 bytes, base64url (as
/// `junkan_auth::Keyring::generate_secret` names the node's first key).
fn generate_key(owner: Option<OrganizationId>, now: time::OffsetDateTime) -> TrustKey {
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::rngs::OsRng.gen::<[u8; 32]>());
    let public = key.verifying_key().to_bytes();
    TrustKey {
        kid: URL_SAFE_NO_PAD.encode(&public[..12]),
        secret: STANDARD.encode(key.to_bytes()),
        public_key: URL_SAFE_NO_PAD.encode(public),
        organization_id: owner,
        created_at: now,
        retired_at: None,
    }
}

fn key_of(row: &AnyRow) -> StoreResult<TrustKey> {
    let secret = text(row, "secret")?;
    let public_key = match opt_text(row, "public_key")? {
        Some(public_key) => public_key,
        None => public_key_of(&secret)?,
    };
    Ok(TrustKey {
        kid: text(row, "kid")?,
        secret,
        public_key,
        organization_id: opt_text(row, "organization_id")?
            .map(|id| parsed(&id, "organization id", str::parse))
            .transpose()?,
        created_at: time(row, "created_at")?,
        retired_at: opt_time(row, "retired_at")?,
    })
}

fn owner_condition(owner: KeyOwner) -> (&'static str, Option<String>) {
    match owner {
        KeyOwner::Node => ("organization_id IS NULL", None),
        KeyOwner::Organization(organization) => ("organization_id = $1", Some(organization.to_string())),
    }
}

async fn keys_in(connection: &mut AnyConnection, owner: KeyOwner) -> StoreResult<Vec<TrustKey>> {
    let (condition, value) = owner_condition(owner);
    let sql = format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE {condition} {KEY_ORDER}");
    let mut query = sqlx::query(&sql);
    if let Some(value) = value {
        query = query.bind(value);
    }
    let rows = query.fetch_all(&mut *connection).await.map_err(unavailable)?;
    rows.iter().map(key_of).collect()
}

/// The keys of `owner`: those in use first, then the retired ones, newest first.
pub async fn keys(store: &SqlStore, owner: KeyOwner) -> StoreResult<Vec<TrustKey>> {
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    keys_in(&mut connection, owner).await
}

/// Inserts `key` and records it (audit entry and log leaf) as `actor`'s write.
async fn insert_key(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    key: &TrustKey,
) -> StoreResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO signing_keys (kid, secret, created_at, organization_id, public_key) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (kid) DO NOTHING",
    )
    .bind(key.kid.clone())
    .bind(key.secret.clone())
    .bind(micros(key.created_at))
    .bind(key.organization_id.map(|id| id.to_string()))
    .bind(key.public_key.clone())
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?
    .rows_affected();
    if inserted == 1 {
        record(
            store,
            connection,
            actor,
            AuditAction::Create,
            RecordKind::SigningKey,
            &key.kid,
            key.organization_id,
            None,
        )
        .await?;
    }
    Ok(inserted == 1)
}

/// The node's keys in the form of the token keyring (newest in use first).
pub async fn node_signing_keys(store: &SqlStore) -> StoreResult<Vec<SigningKeyRecord>> {
    Ok(keys(store, KeyOwner::Node)
        .await?
        .into_iter()
        .map(|key| SigningKeyRecord {
            kid: key.kid,
            secret: key.secret,
            created_at: key.created_at,
        })
        .collect())
}

/// Adds a node key (the first one, made at the first start): an audited, logged write of the
/// node itself. Returns the node's keys after the insert (another instance may have raced).
pub async fn add_node_key(store: &SqlStore, key: &SigningKeyRecord) -> StoreResult<Vec<SigningKeyRecord>> {
    let trust_key = TrustKey {
        kid: key.kid.clone(),
        secret: key.secret.clone(),
        public_key: public_key_of(&key.secret)?,
        organization_id: None,
        created_at: key.created_at,
        retired_at: None,
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    insert_key(store, &mut transaction, &Actor::system(), &trust_key).await?;
    transaction.commit().await.map_err(unavailable)?;
    node_signing_keys(store).await
}

/// The key `organization` signs with now, made on first use. Making it is written as `actor`'s
/// doing (the first issuance, or an administrator's request), audited and logged.
pub async fn organization_signing_key(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
) -> StoreResult<TrustKey> {
    // Keys belong to organizations the node hosts; a peer's organization signs with its own
    // node's keys, never with one made here.
    organizations::get(store, organization).await?;
    if crate::federation::remote_organization_of_id(store, organization)
        .await?
        .is_some()
    {
        return Err(StoreError::Forbidden {
            reason: "an organization of a peer node has its keys on its own node".to_owned(),
        });
    }
    let owner = KeyOwner::Organization(organization);
    if let Some(key) = keys(store, owner)
        .await?
        .into_iter()
        .find(|key| key.retired_at.is_none())
    {
        return Ok(key);
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    // Checked again on the writer: another request may have made it meanwhile. On SQLite the
    // writer is one connection; on PostgreSQL two first uses at once would both find no key, so
    // the first use takes a transaction-scoped advisory lock on the organization, and the
    // second finds the first's key once it commits.
    if store.backend == junkan_store::Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("junkan:first-key:{organization}"))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    if let Some(key) = keys_in(&mut transaction, owner)
        .await?
        .into_iter()
        .find(|key| key.retired_at.is_none())
    {
        return Ok(key);
    }
    let key = generate_key(Some(organization), store.clock_now());
    insert_key(store, &mut transaction, actor, &key).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(key)
}

/// Rotation: the keys of `owner` in use are retired now and a new key is added, in one
/// transaction. An organization's keys: its administrators or node administrators; the node's:
/// node administrators.
pub async fn rotate(store: &SqlStore, actor: &Actor, owner: KeyOwner) -> StoreResult<Vec<TrustKey>> {
    match owner {
        KeyOwner::Node => require(
            actor.has_role(Role::NodeAdmin),
            "only node administrators rotate the node's keys",
        )?,
        KeyOwner::Organization(organization) => {
            organizations::get(store, organization).await?;
            require(
                actor.administers(organization),
                "only the organization's administrators rotate its keys",
            )?;
        }
    }
    let now = store.clock_now();
    let organization = match owner {
        KeyOwner::Node => None,
        KeyOwner::Organization(organization) => Some(organization),
    };
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let retiring: Vec<TrustKey> = keys_in(&mut transaction, owner)
        .await?
        .into_iter()
        .filter(|key| key.retired_at.is_none())
        .collect();
    for key in &retiring {
        sqlx::query("UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL")
            .bind(key.kid.clone())
            .bind(micros(now))
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
        record(
            store,
            &mut transaction,
            actor,
            AuditAction::Update,
            RecordKind::SigningKey,
            &key.kid,
            organization,
            None,
        )
        .await?;
    }
    let key = generate_key(organization, now);
    insert_key(store, &mut transaction, actor, &key).await?;
    let keys = keys_in(&mut transaction, owner).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(keys)
}

const CREDENTIAL_COLUMNS: &str = "id, issuer_organization_id, status_index, record_kind, record_id, record_version, \
     key_id, issued_at, valid_until, credential, revoked_at";

fn credential_of(row: &AnyRow) -> StoreResult<IssuedCredential> {
    Ok(IssuedCredential {
        id: text(row, "id")?,
        issuer: parsed(&text(row, "issuer_organization_id")?, "organization id", str::parse)?,
        status_index: u32::try_from(int(row, "status_index")?)
            .map_err(|_| StoreError::Unavailable("a stored status index is out of range".into()))?,
        record_kind: text(row, "record_kind")?,
        record_id: text(row, "record_id")?,
        record_version: row.try_get::<Option<i64>, _>("record_version").map_err(unavailable)?,
        key_id: text(row, "key_id")?,
        issued_at: time(row, "issued_at")?,
        valid_until: opt_time(row, "valid_until")?,
        credential: opt_text(row, "credential")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

/// Records a credential `new.issuer` issues: draws a free index of the issuer's status list at
/// random, has `sign` sign the credential with it, and stores the entry (with the signed
/// credential when `keep_signed`), audited as `actor`'s write and logged, in one transaction.
pub async fn issue(
    store: &SqlStore,
    actor: &Actor,
    new: NewIssuedCredential,
    sign: SignWithIndex<'_>,
) -> StoreResult<(IssuedCredential, String)> {
    let mut violations = Vec::new();
    if !new.id.starts_with("urn:uuid:")
        || uuid::Uuid::parse_str(&new.id["urn:uuid:".len().min(new.id.len())..]).is_err()
    {
        violations.push(Violation::new("/id", "a credential id is a urn:uuid: URN"));
    }
    if new.record_kind.is_empty() || new.record_kind.len() > 64 {
        violations.push(Violation::new("/record_kind", "a record kind is 1 to 64 characters"));
    }
    if new.record_id.is_empty() || new.record_id.len() > 1000 {
        violations.push(Violation::new("/record_id", "a record id is 1 to 1000 characters"));
    }
    if new.valid_until.is_some_and(|until| until <= new.issued_at) {
        violations.push(Violation::new("/valid_until", "validUntil must be after validFrom"));
    }
    if !violations.is_empty() {
        return Err(StoreError::Invalid(violations));
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let key = sqlx::query("SELECT organization_id, retired_at FROM signing_keys WHERE kid = $1")
        .bind(new.key_id.clone())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(unavailable)?;
    let key_usable = match &key {
        Some(row) => {
            opt_text(row, "organization_id")?.as_deref() == Some(new.issuer.to_string().as_str())
                && opt_time(row, "retired_at")?.is_none()
        }
        None => false,
    };
    if !key_usable {
        return Err(StoreError::Invalid(vec![Violation::new(
            "/key_id",
            format!("{} is not a key in use of the issuer {}", new.key_id, new.issuer),
        )]));
    }
    let issued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issued_credentials WHERE issuer_organization_id = $1")
        .bind(new.issuer.to_string())
        .fetch_one(&mut *transaction)
        .await
        .map_err(unavailable)?;
    if issued >= i64::from(STATUS_LIST_LENGTH) {
        return Err(StoreError::Conflict {
            message: format!("the revocation status list of {} is full", new.issuer),
            path: "/issuer".to_owned(),
        });
    }
    let status_index = free_index(&mut transaction, new.issuer).await?;
    let signed = sign(status_index).map_err(|reason| StoreError::Unavailable(reason.into()))?;
    sqlx::query(
        "INSERT INTO issued_credentials (id, issuer_organization_id, status_index, record_kind, record_id, \
         record_version, key_id, issued_at, valid_until, credential) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new.id.clone())
    .bind(new.issuer.to_string())
    .bind(i64::from(status_index))
    .bind(new.record_kind.clone())
    .bind(new.record_id.clone())
    .bind(new.record_version)
    .bind(new.key_id.clone())
    .bind(micros(new.issued_at))
    .bind(new.valid_until.map(micros))
    .bind(new.keep_signed.then(|| signed.clone()))
    .execute(&mut *transaction)
    .await
    .map_err(|error| crate::rows::write_error(error, &[("id", "/id", "a credential with this id exists")]))?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Credential,
        &new.id,
        Some(new.issuer),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok((
        IssuedCredential {
            id: new.id,
            issuer: new.issuer,
            status_index,
            record_kind: new.record_kind,
            record_id: new.record_id,
            record_version: new.record_version,
            key_id: new.key_id,
            issued_at: new.issued_at,
            valid_until: new.valid_until,
            credential: new.keep_signed.then(|| signed.clone()),
            revoked_at: None,
        },
        signed,
    ))
}

/// A free index of `issuer`'s status list: drawn at random; when a few draws hit taken entries
/// (a list filling up), the lowest free one.
async fn free_index(connection: &mut AnyConnection, issuer: OrganizationId) -> StoreResult<u32> {
    for _ in 0..16 {
        let candidate = rand::rngs::OsRng.gen_range(0..STATUS_LIST_LENGTH);
        if !index_taken(connection, issuer, candidate).await? {
            return Ok(candidate);
        }
    }
    let used: Vec<i64> = sqlx::query_scalar(
        "SELECT status_index FROM issued_credentials WHERE issuer_organization_id = $1 ORDER BY status_index",
    )
    .bind(issuer.to_string())
    .fetch_all(&mut *connection)
    .await
    .map_err(unavailable)?;
    let mut expected: i64 = 0;
    for index in used {
        if index != expected {
            break;
        }
        expected += 1;
    }
    u32::try_from(expected)
        .ok()
        .filter(|index| *index < STATUS_LIST_LENGTH)
        .ok_or_else(|| StoreError::Conflict {
            message: format!("the revocation status list of {issuer} is full"),
            path: "/issuer".to_owned(),
        })
}

async fn index_taken(connection: &mut AnyConnection, issuer: OrganizationId, index: u32) -> StoreResult<bool> {
    sqlx::query_scalar::<_, i64>(
        "SELECT status_index FROM issued_credentials WHERE issuer_organization_id = $1 AND status_index = $2",
    )
    .bind(issuer.to_string())
    .bind(i64::from(index))
    .fetch_optional(connection)
    .await
    .map(|row| row.is_some())
    .map_err(unavailable)
}

/// Who reads an issued credential's entry: the issuer's members, node administrators and
/// auditors (the signed credential itself is the holder's to show; its status is public
/// through the status list).
fn reads_entry(actor: &Actor, issuer: OrganizationId) -> bool {
    actor.belongs_to(issuer) || actor.has_role(Role::NodeAdmin) || actor.has_role(Role::Auditor)
}

/// An issued credential's entry.
pub async fn get(store: &SqlStore, actor: &Actor, id: &str) -> StoreResult<IssuedCredential> {
    let not_found = || StoreError::NotFound {
        kind: RecordKind::Credential,
        id: id.to_owned(),
    };
    let row = sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS} FROM issued_credentials WHERE id = $1"
    ))
    .bind(id.to_owned())
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?
    .ok_or_else(not_found)?;
    let credential = credential_of(&row)?;
    if !reads_entry(actor, credential.issuer) {
        return Err(not_found());
    }
    Ok(credential)
}

/// The entries of the credentials issued about record `record_id` of kind `record_kind` that
/// `actor` may read, oldest first.
pub async fn of_record(
    store: &SqlStore,
    actor: &Actor,
    record_kind: &str,
    record_id: &str,
) -> StoreResult<Vec<IssuedCredential>> {
    let rows = sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS} FROM issued_credentials WHERE record_kind = $1 AND record_id = $2 \
         ORDER BY issued_at, id"
    ))
    .bind(record_kind.to_owned())
    .bind(record_id.to_owned())
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    Ok(rows
        .iter()
        .map(credential_of)
        .collect::<StoreResult<Vec<_>>>()?
        .into_iter()
        .filter(|credential| reads_entry(actor, credential.issuer))
        .collect())
}

/// The newest kept credential about a record (and version): see `Store::kept_credential`.
pub async fn kept(
    store: &SqlStore,
    record_kind: &str,
    record_id: &str,
    record_version: Option<i64>,
) -> StoreResult<Option<IssuedCredential>> {
    let row = sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS} FROM issued_credentials WHERE record_kind = $1 AND record_id = $2 \
         AND credential IS NOT NULL AND (record_version = $3 OR (record_version IS NULL AND $3 IS NULL)) \
         ORDER BY issued_at DESC, id DESC LIMIT 1"
    ))
    .bind(record_kind.to_owned())
    .bind(record_id.to_owned())
    .bind(record_version)
    .fetch_optional(&store.reader)
    .await
    .map_err(unavailable)?;
    row.as_ref().map(credential_of).transpose()
}

/// Revokes an issued credential (its status-list bit is set): the issuer's administrators or
/// node administrators. Revoking a revoked credential changes nothing but is recorded.
pub async fn revoke(store: &SqlStore, actor: &Actor, id: &str) -> StoreResult<IssuedCredential> {
    let credential = get(store, actor, id).await?;
    require(
        actor.administers(credential.issuer),
        "only the issuer's administrators revoke its credentials",
    )?;
    let revoked_at = crate::access::revoke(
        store,
        actor,
        "issued_credentials",
        RecordKind::Credential,
        id,
        credential.issuer,
        credential.revoked_at,
    )
    .await?;
    Ok(IssuedCredential {
        revoked_at: Some(revoked_at),
        ..credential
    })
}

/// The revoked indexes of `issuer`'s status list, ascending (public: the list is published).
pub async fn revoked_indexes(store: &SqlStore, issuer: OrganizationId) -> StoreResult<Vec<u32>> {
    let indexes: Vec<i64> = sqlx::query_scalar(
        "SELECT status_index FROM issued_credentials WHERE issuer_organization_id = $1 AND revoked_at IS NOT NULL \
         ORDER BY status_index",
    )
    .bind(issuer.to_string())
    .fetch_all(&store.reader)
    .await
    .map_err(unavailable)?;
    Ok(indexes
        .into_iter()
        .filter_map(|index| u32::try_from(index).ok())
        .collect())
}

/// Gives the keys stored before migration 0025 their public key.
pub(crate) async fn fill_public_keys(store: &SqlStore) -> StoreResult<()> {
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let rows = sqlx::query("SELECT kid, secret FROM signing_keys WHERE public_key IS NULL")
        .fetch_all(&mut *transaction)
        .await
        .map_err(unavailable)?;
    for row in rows {
        sqlx::query("UPDATE signing_keys SET public_key = $2 WHERE kid = $1")
            .bind(text(&row, "kid")?)
            .bind(public_key_of(&text(&row, "secret")?)?)
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?;
    }
    transaction.commit().await.map_err(unavailable)
}

/// Gives the keys stored before they were records of the log (migration 0025) a leaf each, once
/// (the log's `keys_backfilled` flag); after that, a key without a leaf was written behind the
/// node's back.
pub(crate) async fn backfill_keys(store: &SqlStore) -> StoreResult<()> {
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let done: i64 = sqlx::query_scalar("SELECT keys_backfilled FROM log_state WHERE id = 1")
        .fetch_one(&mut *transaction)
        .await
        .map_err(unavailable)?;
    if done != 0 {
        return Ok(());
    }
    crate::log::backfill_kind(store, &mut transaction, RecordKind::SigningKey).await?;
    sqlx::query("UPDATE log_state SET keys_backfilled = 1 WHERE id = 1")
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?;
    transaction.commit().await.map_err(unavailable)
}
