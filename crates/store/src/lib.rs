//! The `Store` trait: everything junkan persists, behind one interface that every backend
//! implements and that the contract suite ([`contract`]) checks.
//!
//! Access control lives here, below the HTTP layer: every method that reads or changes
//! organization data takes the [`Actor`] and decides, with the rules of
//! [`junkan_model::access`], what that actor may see or do, and writes the audit log in the same
//! place. A handler that forgets a check therefore cannot leak data: there is no method that reads
//! restricted records without an actor. The few methods without an actor serve authentication
//! itself (looking up a credential by its hash) and are named for it.

pub mod contract;
pub mod log;
pub mod supply_tree;
pub mod trust;

pub use log::{LogDivergence, LogReport, MemberInclusion, RecordInclusion, StoredTreeHead};
pub use trust::{
    IssuedCredential, KeyOwner, LeafReference, NewIssuedCredential, SignWithIndex, TrustKey, STATUS_LIST_LENGTH,
};

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use junkan_footprint::ouranos::{CfpRow, CfpWrite};
use junkan_footprint::rollup::Rollup;
use junkan_footprint::{Footprint, FootprintFilter};
use junkan_indicators::custody::{
    CarryOverReport, ClaimTrace, ImportLedgerInputs, ImportReport as LedgerImportReport, LedgerClaim, LedgerFilter,
    LedgerInput, LedgerRecord, LedgerView, NewCarryOver, NewLedger, NewLedgerClaim, NewLedgerInput, ReverseClaim,
};
use junkan_indicators::records::{
    IndicatorTarget, IndicatorTargetCorrection, IndicatorTargetFilter, IndicatorValue, IndicatorValueCorrection,
    IndicatorValueFilter, MaterialFlow, MaterialFlowCorrection, MaterialFlowFilter, NewIndicatorTarget,
    NewIndicatorValue, NewMaterialFlow,
};
use junkan_model::access::{Certification, Grant, NewCertification, NewGrant, RecordKind};
use junkan_model::audit::{AuditEntry, AuditFilter};
use junkan_model::certificate::{
    Certificate, CertificateDraft, CertificateFilter, CertificateRevocation, CertificateScheme, NewCertificate,
    SignedCertificate,
};
use junkan_model::event::{
    CaptureErrorBehaviour, CaptureJob, CapturedEvent, EventField, EventQuery, LineageEvent, StoredEvent,
};
use junkan_model::facility::Visibility;
use junkan_model::facility::{Facility, FacilityFilter, FacilityPatch, NewFacility};
use junkan_model::ids::{
    ApiKeyId, CaptureId, CertificateId, CertificationId, ClientId, FacilityId, FootprintId, GrantId, IndicatorTargetId,
    IndicatorValueId, LedgerClaimId, LedgerId, MaterialFlowId, MembershipId, OrganizationId, PactPartnerId,
    PartnerTargetId, PassportId, SubscriptionId, UserId,
};
use junkan_model::industry::Industry;
use junkan_model::organization::{NewOrganization, Organization, OrganizationFilter, OrganizationPatch};
use junkan_model::ouranos::{
    CfpCertification, CfpCertificationWrite, NewTradeRequest, Operator, OperatorUpdate, Part, PartFilter, PartWrite,
    PartsStructure, PartsStructureWrite, Plant, PlantWrite, StatusChange, StatusFilter, Trade, TradeFilter,
    TradeRequest, TradeResponse, TradeStatus,
};
use junkan_model::page::{Page, PageRequest};
use junkan_model::passport::{
    ImportReport, NewPassport, Passport, PassportFilter, PassportRead, PassportUpdate, PassportVersionInfo,
    ProfileRecord,
};
use junkan_model::principal::{Actor, ApiKey, ClientCredential, NewCredential, Role, User};
use junkan_model::subscription::{NamedQuery, NewSubscription, Subscription};
use junkan_model::Violation;
use junkan_partners::membership::{Membership, MembershipSettings, NewApplication, Review, Withdrawal};
use junkan_partners::targets::{FollowUp, FollowUpSubmission, PartnerTarget, TargetSubmission};
use junkan_partners::{FollowUpFilter, MembershipFilter, Secretariat, TargetFilter};
use uuid::Uuid;

/// What can go wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record, or none the actor may see (the two are not distinguished, so that
    /// existence does not leak).
    #[error("{kind:?} {id} not found")]
    NotFound {
        /// Kind of record.
        kind: RecordKind,
        /// Id asked for.
        id: String,
    },
    /// The actor may see the record but not do this.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Why.
        reason: String,
    },
    /// The input breaks rules only the store can check (e.g. an unknown industry code).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<Violation>),
    /// The input conflicts with a stored record (e.g. a duplicate corporate number).
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicts, with the offending field's JSON pointer first.
        message: String,
        /// JSON pointer of the conflicting field.
        path: String,
    },
    /// The database failed or is unreachable.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A source of the current time, so that tests control expiry.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to, for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(start)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: time::Duration) {
        let mut now = self
            .0
            .lock()
            .expect("clock mutex is never poisoned: no code panics while holding it");
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .0
            .lock()
            .expect("clock mutex is never poisoned: no code panics while holding it")
    }
}

/// A user account with its password hash, as stored; produced only for authentication.
#[derive(Debug, Clone)]
pub struct UserLogin {
    /// The account.
    pub user: User,
    /// PHC-format argon2 hash.
    pub password_hash: String,
}

/// A new user account, its password already hashed.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// PHC-format argon2 hash.
    pub password_hash: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// `ja` or `en`.
    pub locale: String,
}

/// A browser session, identified by the hash of its cookie value.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// SHA-256 (hex) of the session cookie value.
    pub id_hash: String,
    /// Signed-in user.
    pub user_id: UserId,
    /// Token the browser must echo in `X-CSRF-Token` on unsafe requests.
    pub csrf_token: String,
    /// When it ends.
    pub expires_at: OffsetDateTime,
}

/// A token-signing key of the node.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKeyRecord {
    /// Key id (`kid`).
    pub kid: String,
    /// Ed25519 secret key seed, base64.
    pub secret: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// The outcome of one attempt to deliver a subscription's results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    /// The capture-order position up to which events were delivered, when that moved.
    pub delivered_up_to: Option<String>,
    /// When the webhook answered 2xx, if it did.
    pub notified_at: Option<OffsetDateTime>,
    /// Why the attempt failed; `None` clears an earlier failure.
    pub error: Option<String>,
}

/// A capture to store: prepared events with the JSON pointer of each in its document, and the
/// problems found while preparing (events that failed are absent from `events`).
#[derive(Debug, Clone)]
pub struct NewCapture {
    /// What to do when something fails.
    pub behaviour: CaptureErrorBehaviour,
    /// The prepared events.
    pub events: Vec<(String, CapturedEvent)>,
    /// Problems already found.
    pub errors: Vec<Violation>,
    /// Who may read the events besides the owner.
    pub visibility: Visibility,
}

/// Which grants to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantDirection {
    /// Grants the actor's organization gave.
    Given,
    /// Grants that apply to the actor's organization.
    Received,
    /// Standing rules (常設ルール) the actor's organization set: its grants to a class of
    /// organizations (a role, a certification scheme, or both) rather than to one.
    Standing,
}

/// Which access requests to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestDirection {
    /// Requests made to the actor's organization.
    Incoming,
    /// Requests the actor's organization made.
    Outgoing,
}

/// A footprint as stored: the footprint (its status as it is now) with its owner and disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFootprint {
    /// The footprint.
    pub footprint: Footprint,
    /// The organization that published it (the actor that created it acted for it).
    pub owner_organization_id: OrganizationId,
    /// Public footprints are readable by everyone; restricted ones by the owner, holders of a
    /// grant of kind `footprint` (all of the owner's footprints or named ones), and auditors.
    pub visibility: Visibility,
    /// The footprint that replaced this one, once deprecated by a supersede.
    pub superseded_by: Option<FootprintId>,
    /// When the node stored it.
    pub stored_at: OffsetDateTime,
}

/// A footprint as PACT v3.0 JSON text, for the PACT listing, which passes it on unparsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PactFootprintText {
    /// The footprint's id.
    pub id: FootprintId,
    /// Its PACT v3.0 `ProductFootprint` as JSON text; `None` when v3 cannot express the
    /// footprint (the listing leaves it out).
    pub json: Option<String>,
}

/// A PACT partner to register (node administrators).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPactPartner {
    /// The local organization whose OAuth clients the partner uses on this node.
    pub organization_id: OrganizationId,
    /// Name shown.
    pub name: String,
    /// The partner's PACT base URL (`https://host[/subpath]`): its events endpoint is
    /// `{base_url}/3/events`. Its host is the allow-list entry for callbacks.
    pub base_url: String,
    /// The partner's token endpoint; discovered through its OpenID configuration when absent.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// The client id this node uses at the partner.
    pub client_id: String,
    /// The client secret this node uses at the partner.
    pub client_secret: String,
    /// Whether the partner receives a `PublishedEvent` when a footprint it may read is
    /// published or deprecated.
    #[serde(default)]
    pub notify_published: bool,
}

/// A registered PACT partner.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PactPartner {
    /// Identifier.
    pub id: PactPartnerId,
    /// The local organization whose OAuth clients the partner uses on this node.
    pub organization_id: OrganizationId,
    /// Name shown.
    pub name: String,
    /// The partner's PACT base URL, without a trailing slash.
    pub base_url: String,
    /// The host of `base_url` (with its port, when not the scheme's default), lower case.
    pub host: String,
    /// The partner's token endpoint, when configured.
    pub token_endpoint: Option<String>,
    /// The client id this node uses at the partner.
    pub client_id: String,
    /// The client secret this node uses at the partner (never shown).
    #[serde(skip)]
    pub client_secret: String,
    /// Whether the partner is notified of published footprints.
    pub notify_published: bool,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A PACT event to send to a partner through the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingPactEvent {
    /// Enqueuing the same key twice stores one event (e.g. `fulfil:<partner>:<request id>`).
    pub dedupe_key: String,
    /// The partner it goes to.
    pub partner_id: PactPartnerId,
    /// The CloudEvent, with its `id` (the outbox id) and without `source`, which the sender sets
    /// from the node's public base URL.
    pub event: serde_json::Value,
}

/// One event of the PACT outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PactOutboxEntry {
    /// The CloudEvent id.
    pub id: String,
    /// The partner it goes to.
    pub partner_id: PactPartnerId,
    /// The CloudEvent type.
    pub event_type: String,
    /// The CloudEvent (without `source`).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was enqueued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the next attempt is due.
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the partner accepted it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    /// When the node stopped trying (3 days after enqueuing).
    #[serde(with = "time::serde::rfc3339::option")]
    pub gave_up_at: Option<OffsetDateTime>,
}

/// The host (lower case, with a port other than the scheme's default) of an `http(s)://` URL or
/// of a CloudEvents `source` written `//host/path`; `None` for anything else. The one place the
/// PACT callback allow-list compares hosts.
pub fn url_host(url: &str) -> Option<String> {
    let (default_port, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("443", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("80", rest)
    } else if let Some(rest) = url.strip_prefix("//") {
        ("", rest)
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port == default_port => host.to_owned(),
        Some((host, port))
            if !host.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit()) && !port.is_empty() =>
        {
            authority.clone()
        }
        Some(_) => return None,
        None => authority.clone(),
    };
    Some(host)
}

/// How long the outbox keeps trying an event (PACT: not more than 3 days).
pub const PACT_RETRY_WINDOW: time::Duration = time::Duration::days(3);

/// When to try an outbox event again after `attempts` failed attempts: exponential backoff from
/// 2 seconds, doubling, at most an hour apart; `None` once that would be past the retry window
/// counted from `created_at`.
pub fn pact_next_attempt(created_at: OffsetDateTime, attempts: i64, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let exponent = u32::try_from(attempts.clamp(1, 12)).expect("clamped to 1..=12");
    let delay = time::Duration::seconds(2_i64.pow(exponent)).min(time::Duration::hours(1));
    let next = now + delay;
    (next <= created_at + PACT_RETRY_WINDOW).then_some(next)
}

/// Everything junkan persists. See the crate documentation for the access rules.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// The store's clock.
    fn now(&self) -> OffsetDateTime;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    // Organizations: the directory is public; changes need node or organization administrators.
    /// Registers an organization (node administrators only).
    async fn create_organization(&self, actor: &Actor, new: NewOrganization) -> StoreResult<Organization>;
    /// Reads a directory entry.
    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Organization>;
    /// Lists directory entries in id order.
    async fn list_organizations(
        &self,
        filter: &OrganizationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Organization>>;
    /// Changes an organization (its administrators or a node administrator).
    async fn update_organization(
        &self,
        actor: &Actor,
        id: OrganizationId,
        patch: &OrganizationPatch,
    ) -> StoreResult<Organization>;

    // Industries.
    /// Every known industry.
    async fn list_industries(&self) -> StoreResult<Vec<Industry>>;
    /// Adds an industry (node administrators only).
    async fn create_industry(&self, actor: &Actor, industry: Industry) -> StoreResult<Industry>;

    // Facilities: restricted records.
    /// Registers a facility of `organization` (its members).
    async fn create_facility(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        new: NewFacility,
    ) -> StoreResult<Facility>;
    /// Reads a facility the actor may see; audited when read under a grant or as auditor.
    async fn get_facility(&self, actor: &Actor, id: FacilityId) -> StoreResult<Facility>;
    /// Lists the facilities the actor may see; audited like `get_facility`.
    async fn list_facilities(
        &self,
        actor: &Actor,
        filter: &FacilityFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Facility>>;
    /// Changes a facility (its organization's members).
    async fn update_facility(&self, actor: &Actor, id: FacilityId, patch: &FacilityPatch) -> StoreResult<Facility>;

    // Users.
    /// Creates a user of `organization`.
    async fn create_user(&self, actor: &Actor, organization: OrganizationId, new: NewUserRecord) -> StoreResult<User>;
    /// Lists the users of `organization` (its administrators, node administrators, auditors).
    async fn list_users(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<User>>;
    /// Authentication only: the account and hash for a sign-in name.
    async fn user_login(&self, username: &str) -> StoreResult<Option<UserLogin>>;
    /// Authentication only: an account by id (for sessions).
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;

    // OAuth clients.
    /// Creates a client of `organization` whose secret hashes to `secret_hash`.
    async fn create_client(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        new: &NewCredential,
        secret_hash: &str,
    ) -> StoreResult<ClientCredential>;
    /// Lists the clients of `organization`.
    async fn list_clients(&self, actor: &Actor, organization: OrganizationId) -> StoreResult<Vec<ClientCredential>>;
    /// Revokes a client.
    async fn revoke_client(&self, actor: &Actor, id: ClientId) -> StoreResult<ClientCredential>;
    /// Authentication only: a client and its secret hash.
    async fn client_login(&self, id: ClientId) -> StoreResult<Option<(ClientCredential, String)>>;

    // API keys.
    /// Creates an API key of `organization`.
    async fn create_api_key(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        new: &NewCredential,
        prefix: &str,
        key_hash: &str,
    ) -> StoreResult<ApiKey>;
    /// Lists the API keys of `organization`.
    async fn list_api_keys(&self, actor: &Actor, organization: OrganizationId) -> StoreResult<Vec<ApiKey>>;
    /// Revokes an API key.
    async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> StoreResult<ApiKey>;
    /// Authentication only: the API key whose hash is `key_hash`.
    async fn api_key_login(&self, key_hash: &str) -> StoreResult<Option<ApiKey>>;

    // Sessions and signing keys (authentication infrastructure).
    /// Stores a browser session.
    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// A live session and its user.
    async fn session(&self, id_hash: &str) -> StoreResult<Option<(SessionRecord, User)>>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// The node's token-signing keys, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Adds a signing key; returns the keys after the insert (another instance may have raced).
    async fn add_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<Vec<SigningKeyRecord>>;

    // Trust services (docs/trust.md): keys of the node and of organizations, issued credentials
    // and their revocation. Public keys and status lists are public; secrets never leave the node.
    /// The signing keys of `owner`: those in use first, then the retired ones, newest first.
    async fn trust_keys(&self, owner: KeyOwner) -> StoreResult<Vec<TrustKey>>;
    /// The key `organization` signs with now, made on first use (an audited, logged write
    /// recorded as `actor`'s).
    async fn organization_signing_key(&self, actor: &Actor, organization: OrganizationId) -> StoreResult<TrustKey>;
    /// Rotates `owner`'s keys: those in use are retired now and a new one is added. The
    /// organization's administrators (node administrators for any); the node's: node
    /// administrators. Returns the owner's keys after.
    async fn rotate_key(&self, actor: &Actor, owner: KeyOwner) -> StoreResult<Vec<TrustKey>>;
    /// Records a credential `new.issuer` issues: draws a free index of its revocation status
    /// list, has `sign` sign the credential with it, stores the entry (audited as `actor`'s
    /// write, logged) and returns it with the signed credential. The key must be one of the
    /// issuer's keys in use.
    async fn issue_credential(
        &self,
        actor: &Actor,
        new: NewIssuedCredential,
        sign: SignWithIndex<'_>,
    ) -> StoreResult<(IssuedCredential, String)>;
    /// An issued credential's entry: for the issuer's members, node administrators, auditors.
    async fn issued_credential(&self, actor: &Actor, id: &str) -> StoreResult<IssuedCredential>;
    /// The entries of the credentials issued about a record that `actor` may read (as
    /// [`Store::issued_credential`]), oldest first.
    async fn credentials_of_record(
        &self,
        actor: &Actor,
        record_kind: &str,
        record_id: &str,
    ) -> StoreResult<Vec<IssuedCredential>>;
    /// The newest credential the node signed and kept about a record (and version), revoked or
    /// not. No actor: the server asks only about a record the caller has just read, to verify
    /// it for the caller, and never hands the credential itself to a caller who is not its
    /// issuer's member (a passport's credential states the owner's full view).
    async fn kept_credential(
        &self,
        record_kind: &str,
        record_id: &str,
        record_version: Option<i64>,
    ) -> StoreResult<Option<IssuedCredential>>;
    /// Revokes an issued credential (its status-list bit is set): the issuer's administrators.
    async fn revoke_credential(&self, actor: &Actor, id: &str) -> StoreResult<IssuedCredential>;
    /// The revoked indexes of `issuer`'s revocation status list, ascending (public).
    async fn revoked_status_indexes(&self, issuer: OrganizationId) -> StoreResult<Vec<u32>>;
    /// The latest leaf of a record of the log (`kind` as the log names it; an event's is its
    /// capture's). Index and digest only, no content: the server asks for it only about a
    /// record the caller has just read (a credential's log reference).
    async fn latest_leaf(&self, kind: &str, id: &str) -> StoreResult<Option<LeafReference>>;

    // The tamper-evident log (docs/log.md). Every write above appends its leaf itself.
    /// The log's size and root hash now (the Merkle tree hash of every leaf).
    async fn log_tree_state(&self) -> StoreResult<(u64, junkan_translog::Hash)>;
    /// Stores a signed tree head, after checking that its root is the root of the first
    /// `head.size` leaves (a head that does not match the log is refused with `Invalid`).
    async fn add_tree_head(&self, head: &junkan_translog::TreeHead) -> StoreResult<StoredTreeHead>;
    /// The signed tree heads, newest first, a page at a time (`after`: a sequence).
    async fn tree_heads(&self, page: &PageRequest) -> StoreResult<Page<StoredTreeHead>>;
    /// The newest signed tree head, if any.
    async fn latest_tree_head(&self) -> StoreResult<Option<StoredTreeHead>>;
    /// The inclusion proof of record `record_id` of kind `record_kind` (`event` for an EPCIS
    /// event by eventID) in the tree of `tree_size` leaves (default: the newest signed head's,
    /// else the whole log). Given to node administrators and auditors for any record, to others
    /// for records of their organization and for records without an owner.
    async fn log_inclusion(
        &self,
        actor: &Actor,
        record_kind: &str,
        record_id: &str,
        tree_size: Option<u64>,
    ) -> StoreResult<RecordInclusion>;
    /// The consistency proof between the trees of `old_size` and `new_size` leaves (RFC 9162).
    async fn log_consistency(&self, old_size: u64, new_size: u64) -> StoreResult<Vec<junkan_translog::Hash>>;
    /// Recomputes the log from the store (node administrators and auditors): the chain and
    /// hash of every leaf, the content digest of every record against its latest leaf, records
    /// without a leaf, and every signed tree head's signature, root and consistency.
    async fn verify_log(&self, actor: &Actor) -> StoreResult<LogReport>;

    // Grants.
    /// Grants access to records of the actor's organization (its administrators).
    async fn create_grant(&self, actor: &Actor, new: NewGrant) -> StoreResult<Grant>;
    /// Lists grants given by, or applying to, the actor's organization.
    async fn list_grants(
        &self,
        actor: &Actor,
        direction: GrantDirection,
        page: &PageRequest,
    ) -> StoreResult<Page<Grant>>;
    /// Reads a grant the actor's organization gave or that applies to it.
    async fn get_grant(&self, actor: &Actor, id: GrantId) -> StoreResult<Grant>;
    /// Revokes a grant (the owner's administrators).
    async fn revoke_grant(&self, actor: &Actor, id: GrantId) -> StoreResult<Grant>;
    /// The ids of the records a grant covers for its grantee now (the actor), in id order after
    /// `after`, at most `limit`, with the grant's kind and whether more follow: what a grant of a
    /// whole kind or class lets the grantee pull. NotFound unless the grant is live and given to
    /// the actor's organization. Listing ids reads no record (each pull is audited).
    async fn granted_record_ids(
        &self,
        actor: &Actor,
        grant: GrantId,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<(RecordKind, Vec<String>, bool)>;

    // Access requests (アクセス申請) and dataset offers (データセットの提供), issue 10.
    /// Asks another organization for access (members who write for the requester). Named
    /// records must be ones the owner publishes or offers (in the named offer) to the requester;
    /// any other id, existing or not, is refused with the same message.
    async fn create_access_request(
        &self,
        actor: &Actor,
        new: junkan_model::sharing::NewAccessRequest,
    ) -> StoreResult<junkan_model::sharing::AccessRequest>;
    /// Lists requests made to (`incoming`) or by (`outgoing`) the actor's organization, newest
    /// last, optionally in one state.
    async fn list_access_requests(
        &self,
        actor: &Actor,
        direction: RequestDirection,
        state: Option<junkan_model::sharing::RequestState>,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::sharing::AccessRequest>>;
    /// Reads a request the actor's organization made or received.
    async fn get_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<junkan_model::sharing::AccessRequest>;
    /// Approves a pending request as asked, creating its grant (the owner's administrators).
    async fn approve_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<junkan_model::sharing::AccessRequest>;
    /// Approves a pending request with a narrower scope (never wider), creating its grant.
    async fn narrow_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
        narrowing: junkan_model::sharing::Narrowing,
    ) -> StoreResult<junkan_model::sharing::AccessRequest>;
    /// Refuses a pending request with a reason (the owner's administrators).
    async fn refuse_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
        refusal: junkan_model::sharing::Refusal,
    ) -> StoreResult<junkan_model::sharing::AccessRequest>;
    /// Withdraws a pending request (the requester's members who write for it).
    async fn withdraw_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<junkan_model::sharing::AccessRequest>;
    /// Publishes a dataset offer of the actor's organization (its administrators).
    async fn create_dataset_offer(
        &self,
        actor: &Actor,
        new: junkan_model::sharing::NewDatasetOffer,
    ) -> StoreResult<junkan_model::sharing::DatasetOffer>;
    /// The offers the actor may see: public ones to anyone, the rest to signed-in members of an
    /// organization; withdrawn ones only to their owner. Optionally of one owner.
    async fn list_dataset_offers(
        &self,
        actor: &Actor,
        owner: Option<OrganizationId>,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::sharing::DatasetOffer>>;
    /// One offer the actor may see.
    async fn get_dataset_offer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::DatasetOfferId,
    ) -> StoreResult<junkan_model::sharing::DatasetOffer>;
    /// Withdraws an offer from the catalog (the owner's administrators); grants given under it
    /// stay until they are revoked or expire.
    async fn withdraw_dataset_offer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::DatasetOfferId,
    ) -> StoreResult<junkan_model::sharing::DatasetOffer>;

    // Dataspace Protocol 2025-1 (issue 10): negotiations and transfers, both sides.
    /// Provider side: a consumer organization's contract request on an offer it may see; the
    /// negotiation (REQUESTED) and the access request it is decided through, in one transaction.
    async fn dsp_request_contract(
        &self,
        actor: &Actor,
        offer_id: junkan_model::ids::DatasetOfferId,
        consumer_pid: &str,
        callback_address: &str,
    ) -> StoreResult<junkan_model::dsp::Negotiation>;
    /// Provider side: agrees automatically when the negotiated offer says so (a public offer);
    /// `None` when the owner decides.
    async fn dsp_agree_by_offer(
        &self,
        id: junkan_model::ids::NegotiationId,
    ) -> StoreResult<Option<junkan_model::dsp::Negotiation>>;
    /// A negotiation a member of either party reads.
    async fn dsp_negotiation(
        &self,
        actor: &Actor,
        id: junkan_model::ids::NegotiationId,
    ) -> StoreResult<junkan_model::dsp::Negotiation>;
    /// The negotiation that made an access request, for a party of it.
    async fn dsp_negotiation_for_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<Option<junkan_model::dsp::Negotiation>>;
    /// The negotiations of the actor's organization, either side.
    async fn dsp_list_negotiations(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::dsp::Negotiation>>;
    /// A negotiation message from the other side (the provider's finalization makes the grant).
    async fn dsp_receive_negotiation_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::NegotiationId,
        received: junkan_model::dsp::ReceivedNegotiationMessage,
    ) -> StoreResult<junkan_model::dsp::Negotiation>;
    /// A negotiation message this node sent and the other side acknowledged.
    async fn dsp_record_sent_negotiation_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::NegotiationId,
        message: junkan_model::dsp::NegotiationMessage,
        peer_pid: Option<String>,
        reason: Option<String>,
    ) -> StoreResult<junkan_model::dsp::Negotiation>;
    /// Consumer side: a new negotiation with a remote provider (REQUESTED, before sending):
    /// with the provider's bearer credential (an unregistered provider), or with the local record
    /// of the providing organization of a registered peer (`provider_organization`), whose
    /// signed callbacks alone then move the negotiation and its transfers.
    async fn dsp_create_consumer_negotiation(
        &self,
        actor: &Actor,
        provider_address: &str,
        offer_id: &str,
        dataset: Option<&str>,
        credential: Option<&str>,
        provider_organization: Option<OrganizationId>,
    ) -> StoreResult<junkan_model::dsp::Negotiation>;
    /// Consumer side: the credential the provider issued to the organization.
    async fn dsp_peer_credential(&self, actor: &Actor, id: junkan_model::ids::NegotiationId) -> StoreResult<String>;
    /// Provider side: a transfer request under an agreement in force.
    async fn dsp_request_transfer(
        &self,
        actor: &Actor,
        agreement_id: &str,
        consumer_pid: &str,
        callback_address: &str,
        format: &str,
    ) -> StoreResult<junkan_model::dsp::Transfer>;
    /// Provider side: starts a requested transfer with a pull token's digest.
    async fn dsp_start_transfer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
        token_digest: &str,
        expires_at: time::OffsetDateTime,
    ) -> StoreResult<junkan_model::dsp::Transfer>;
    /// A transfer a member of either party reads.
    async fn dsp_transfer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
    ) -> StoreResult<junkan_model::dsp::Transfer>;
    /// The transfers of the actor's organization, either side.
    async fn dsp_list_transfers(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::dsp::Transfer>>;
    /// A transfer message from the other side.
    async fn dsp_receive_transfer_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
        received: junkan_model::dsp::ReceivedTransferMessage,
    ) -> StoreResult<junkan_model::dsp::Transfer>;
    /// A transfer message this node sent and the other side acknowledged.
    async fn dsp_record_sent_transfer_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
        message: junkan_model::dsp::TransferMessage,
        peer_pid: Option<String>,
        reason: Option<String>,
    ) -> StoreResult<junkan_model::dsp::Transfer>;
    /// Consumer side: a new transfer under a finalized agreement (REQUESTED, before sending).
    async fn dsp_create_consumer_transfer(
        &self,
        actor: &Actor,
        negotiation_id: junkan_model::ids::NegotiationId,
    ) -> StoreResult<junkan_model::dsp::Transfer>;
    /// Consumer side: the endpoint and token of a started transfer.
    async fn dsp_transfer_endpoint(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
    ) -> StoreResult<(String, String)>;
    /// Provider side: the consumer's reader and grant of a transfer's pull token, while the
    /// transfer is started and the agreement in force; `None` otherwise.
    async fn dsp_transfer_reader(
        &self,
        id: junkan_model::ids::TransferId,
        token_digest: &str,
    ) -> StoreResult<Option<(Actor, junkan_model::ids::GrantId)>>;
    // Federation (issue 10 item 4, docs/federation.md).
    /// Registers a peer node with the DID and DID document fetched from it (node administrators).
    async fn create_peer(
        &self,
        actor: &Actor,
        base_url: &str,
        did: &str,
        did_document: &serde_json::Value,
    ) -> StoreResult<junkan_model::federation::Peer>;
    /// The registered peer nodes (node-level facts, not organization data).
    async fn list_peers(&self) -> StoreResult<Vec<junkan_model::federation::Peer>>;
    /// One peer node.
    async fn get_peer(&self, id: junkan_model::ids::PeerId) -> StoreResult<junkan_model::federation::Peer>;
    /// The peer node whose DID is `did`, if registered.
    async fn peer_by_did(&self, did: &str) -> StoreResult<Option<junkan_model::federation::Peer>>;
    /// The local record of the peer organization with DID `did`, if it was met.
    async fn remote_organization(&self, did: &str)
        -> StoreResult<Option<junkan_model::federation::RemoteOrganization>>;
    /// The DID link of a local organization record, when it is a peer's organization.
    async fn remote_organization_of(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Option<junkan_model::federation::RemoteOrganization>>;
    /// Registers a peer's organization met through its own verified signed request (`actor` is
    /// that organization, `principal_id` its key's DID URL): a directory row and its DID link.
    async fn register_remote_organization(
        &self,
        actor: &Actor,
        peer: junkan_model::ids::PeerId,
        did: &str,
        name_ja: &str,
        name_en: &str,
        roles: &[junkan_model::organization::CycleRole],
    ) -> StoreResult<junkan_model::federation::RemoteOrganization>;
    /// Records the nonce of a verified signed request; false when it was used before (replay).
    async fn use_nonce(&self, key_id: &str, nonce: &str, expires_at: time::OffsetDateTime) -> StoreResult<bool>;
    /// Records an access request the actor's organization sent to a peer (members who write).
    #[expect(
        clippy::too_many_arguments,
        reason = "the request as sent and the peer's answer; a struct would only rename them"
    )]
    async fn create_remote_request(
        &self,
        actor: &Actor,
        peer: junkan_model::ids::PeerId,
        provider_did: &str,
        remote_id: &str,
        request: &serde_json::Value,
        remote: &serde_json::Value,
        state: &str,
    ) -> StoreResult<junkan_model::federation::RemoteRequest>;
    /// The requests the actor's organization sent to peers.
    async fn list_remote_requests(&self, actor: &Actor) -> StoreResult<Vec<junkan_model::federation::RemoteRequest>>;
    /// One of them.
    async fn get_remote_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::RemoteRequestId,
    ) -> StoreResult<junkan_model::federation::RemoteRequest>;
    /// Records the peer's latest answer about a request.
    async fn update_remote_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::RemoteRequestId,
        state: &str,
        grant_id: Option<&str>,
        remote: &serde_json::Value,
    ) -> StoreResult<junkan_model::federation::RemoteRequest>;
    /// Keeps a record received from a peer with its verified credential.
    async fn create_received_record(
        &self,
        actor: &Actor,
        new: junkan_model::federation::NewReceivedRecord,
    ) -> StoreResult<junkan_model::federation::ReceivedRecord>;
    /// The records the actor's organization received, optionally under one remote request.
    async fn list_received_records(
        &self,
        actor: &Actor,
        remote_request: Option<junkan_model::ids::RemoteRequestId>,
    ) -> StoreResult<Vec<junkan_model::federation::ReceivedRecord>>;
    /// One of them.
    async fn get_received_record(
        &self,
        actor: &Actor,
        id: junkan_model::ids::ReceivedRecordId,
    ) -> StoreResult<junkan_model::federation::ReceivedRecord>;

    // Certifications (public).
    /// Records a certification (organizations with the certifier role).
    async fn create_certification(&self, actor: &Actor, new: NewCertification) -> StoreResult<Certification>;
    /// Lists certifications, of one subject or all.
    async fn list_certifications(
        &self,
        subject: Option<OrganizationId>,
        page: &PageRequest,
    ) -> StoreResult<Page<Certification>>;
    /// Revokes a certification (its certifier).
    async fn revoke_certification(&self, actor: &Actor, id: CertificationId) -> StoreResult<Certification>;

    // EPCIS events.
    /// Stores a capture of the actor's organization atomically: with `rollback`, nothing is stored
    /// when anything fails; with `proceed`, the events that can be stored are. Events already
    /// stored (same eventID and hash, or same hash) are skipped; an eventID already stored for
    /// different content is an error.
    async fn capture_events(&self, actor: &Actor, capture: NewCapture) -> StoreResult<CaptureJob>;
    /// A capture job of the actor's organization.
    async fn get_capture(&self, actor: &Actor, id: CaptureId) -> StoreResult<CaptureJob>;
    /// The capture jobs of the actor's organization, newest last.
    async fn list_captures(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<CaptureJob>>;
    /// An event the actor may read, by eventID.
    async fn get_event(&self, actor: &Actor, event_id: &str) -> StoreResult<StoredEvent>;
    /// The events the actor may read that match `query`, in record order.
    async fn query_events(
        &self,
        actor: &Actor,
        query: &EventQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredEvent>>;

    /// Lineage: every event touching one of `identifiers`, marked readable or not for the actor.
    /// Unreadable events carry only their structure (type, owner, identifiers with roles) so the
    /// graph stays connected; readable ones that rely on a grant or the auditor role are audited.
    /// Events whose ids are in `known` are left out (the trace has them already).
    async fn lineage_events(
        &self,
        actor: &Actor,
        identifiers: &[String],
        known: &[String],
    ) -> StoreResult<Vec<LineageEvent>>;
    /// Every event whose readPoint or bizLocation is one of `locations` (canonical) and whose
    /// eventTime lies in `[from, until)`, in (eventTime, eventID) order, marked readable or not for
    /// the actor. Unlike [`Store::lineage_events`], an unreadable event carries nothing but its
    /// eventID, type, time and owner (no bizStep, action or identifiers), so a caller can say who
    /// withheld how many events and nothing more; readable ones that rely on a grant or the
    /// auditor role are audited. One statement for all locations.
    async fn events_at_locations(
        &self,
        actor: &Actor,
        locations: &[String],
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> StoreResult<Vec<LineageEvent>>;

    // EPCIS resources, named queries and subscriptions.
    /// Distinct values of an event field (event types, EPCs, bizSteps, ...) among the events of
    /// the actor's organization and the public ones, in text order.
    async fn event_values(&self, actor: &Actor, field: EventField, page: &PageRequest) -> StoreResult<Page<String>>;
    /// Keeps a named query for the actor's organization; `Conflict` when the name is taken.
    async fn create_named_query(&self, actor: &Actor, name: &str, query: serde_json::Value) -> StoreResult<NamedQuery>;
    /// The named queries of the actor's organization, by name.
    async fn list_named_queries(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<NamedQuery>>;
    /// A named query of the actor's organization.
    async fn get_named_query(&self, actor: &Actor, name: &str) -> StoreResult<NamedQuery>;
    /// Deletes a named query with all its subscriptions.
    async fn delete_named_query(&self, actor: &Actor, name: &str) -> StoreResult<()>;
    /// Subscribes the actor to a named query of their organization.
    async fn create_subscription(
        &self,
        actor: &Actor,
        query_name: &str,
        new: NewSubscription,
    ) -> StoreResult<Subscription>;
    /// The subscriptions to a named query.
    async fn list_subscriptions(
        &self,
        actor: &Actor,
        query_name: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<Subscription>>;
    /// One subscription to a named query.
    async fn get_subscription(&self, actor: &Actor, query_name: &str, id: SubscriptionId) -> StoreResult<Subscription>;
    /// Ends a subscription.
    async fn delete_subscription(&self, actor: &Actor, query_name: &str, id: SubscriptionId) -> StoreResult<()>;
    /// For the delivery worker: every subscription with its query and its subscriber as an actor
    /// with the rights their credential has now (`None` once it is revoked or gone).
    async fn subscriptions_to_deliver(&self) -> StoreResult<Vec<(Subscription, NamedQuery, Option<Actor>)>>;
    /// For the delivery worker: the outcome of a delivery attempt.
    async fn record_delivery(&self, id: SubscriptionId, delivery: &Delivery) -> StoreResult<()>;

    // Passport profiles (public documents; registration by node administrators).
    /// Registers a profile version, checked as a profile (valid JSON Schema, field metadata). The
    /// version must be newer than the code's newest; registering the same version with the same
    /// document again changes nothing.
    async fn register_profile(&self, actor: &Actor, document: serde_json::Value) -> StoreResult<ProfileRecord>;
    /// The newest version of every profile, by code.
    async fn list_profiles(&self) -> StoreResult<Vec<ProfileRecord>>;
    /// A profile: the newest version, or the one asked for.
    async fn get_profile(&self, code: &str, version: Option<&str>) -> StoreResult<ProfileRecord>;

    // Passports: every read filtered field by field to the reader's access level.
    /// Creates a passport of the actor's organization (version 1), checked against the newest
    /// version of its profile.
    async fn create_passport(&self, actor: &Actor, new: NewPassport) -> StoreResult<Passport>;
    /// Writes a new version (members of the owner organization).
    async fn update_passport(&self, actor: &Actor, id: PassportId, update: PassportUpdate) -> StoreResult<Passport>;
    /// A passport as the actor may see it; audited when read under a grant or as an authority.
    async fn get_passport(&self, actor: &Actor, id: PassportId, read: PassportRead) -> StoreResult<Passport>;
    /// The first of `identifiers` (canonical forms) that names a passport the actor may read.
    async fn find_passport(&self, actor: &Actor, identifiers: &[String], read: PassportRead) -> StoreResult<Passport>;
    /// The newest version of every passport the actor may read whose identifier is exactly one
    /// of `identifiers` (canonical), each in the reader's view; audited like `get_passport`.
    /// Identifiers without a readable passport are simply absent (set-based: one statement).
    async fn find_passports(&self, actor: &Actor, identifiers: &[String]) -> StoreResult<Vec<Passport>>;
    /// The passports the actor may read, in id order, each filtered to the actor's level.
    async fn list_passports(
        &self,
        actor: &Actor,
        filter: &PassportFilter,
        page: &PageRequest,
        read: PassportRead,
    ) -> StoreResult<Page<Passport>>;
    /// The versions of a passport the actor may read.
    async fn passport_history(&self, actor: &Actor, id: PassportId) -> StoreResult<Vec<PassportVersionInfo>>;
    /// Creates or versions many passports of the actor's organization in one transaction: all
    /// or nothing. Each item's violations are reported at `/<index>/...`.
    async fn import_passports(
        &self,
        actor: &Actor,
        items: Vec<NewPassport>,
        dry_run: bool,
    ) -> StoreResult<ImportReport>;

    // Audit log.
    /// Reads the audit log: owners' administrators see entries about their records, auditors and
    /// node administrators see everything.
    async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditEntry>>;

    // Footprints (issue 5)
    /// Publishes a footprint of the actor's organization (its members): checked with
    /// `Footprint::validate`; `Conflict` at `/id` when the id is taken. Subscribed PACT partners
    /// that may read it get a `PublishedEvent` through the outbox, in the same transaction.
    async fn create_footprint(
        &self,
        actor: &Actor,
        footprint: Footprint,
        visibility: Visibility,
    ) -> StoreResult<StoredFootprint>;
    /// Publishes many footprints of the actor's organization in one transaction, all or nothing
    /// (imports, benchmarks); violations are reported at `/<index>/...`. Returns how many.
    async fn create_footprints(
        &self,
        actor: &Actor,
        footprints: Vec<Footprint>,
        visibility: Visibility,
    ) -> StoreResult<usize>;
    /// Replaces footprint `old` by `new` (members of the owner): `junkan_footprint::model::supersede`
    /// deprecates the old one and makes the new one name its predecessors, both written in one
    /// transaction; the new one keeps the old one's visibility. Returns the new footprint.
    async fn supersede_footprint(
        &self,
        actor: &Actor,
        old: FootprintId,
        new: Footprint,
    ) -> StoreResult<StoredFootprint>;
    /// A footprint the actor may read; audited when read under a grant or as auditor.
    async fn get_footprint(&self, actor: &Actor, id: FootprintId) -> StoreResult<StoredFootprint>;
    /// The footprints the actor may read that match `filter`, in id order; audited like
    /// `get_footprint`.
    async fn list_footprints(
        &self,
        actor: &Actor,
        filter: &FootprintFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredFootprint>>;
    /// [`Store::list_footprints`] for `GET /3/footprints`: the same selection, read rule and
    /// audit, with each footprint as its PACT v3.0 JSON text (rendered when it was written, so a
    /// page is not parsed and rendered again on every read).
    async fn list_footprints_pact_v3(
        &self,
        actor: &Actor,
        filter: &FootprintFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<PactFootprintText>>;
    /// Registers a PACT partner (node administrators); `Invalid` for a base URL that is not
    /// `http(s)://host[:port][/path]`.
    async fn create_pact_partner(&self, actor: &Actor, new: NewPactPartner) -> StoreResult<PactPartner>;
    /// The registered PACT partners (node administrators and auditors).
    async fn list_pact_partners(&self, actor: &Actor) -> StoreResult<Vec<PactPartner>>;
    /// The partner registered for the actor's organization at `host` (the callback allow-list);
    /// `None` when that host is not allowed for it.
    async fn pact_partner_at(&self, actor: &Actor, host: &str) -> StoreResult<Option<PactPartner>>;
    /// Puts an event in the outbox, once per dedupe key: `false` when the key was already there.
    /// The partner must belong to the actor's organization (or the actor is the system).
    async fn enqueue_pact_event(&self, actor: &Actor, event: OutgoingPactEvent) -> StoreResult<bool>;
    /// For the PACT sender: the events due now (not delivered, not given up), oldest first, with
    /// their partner.
    async fn pact_events_due(&self, limit: u32) -> StoreResult<Vec<(PactOutboxEntry, PactPartner)>>;
    /// For the PACT sender: the outcome of an attempt. A failure schedules the next attempt with
    /// `pact_next_attempt`, or gives up when the retry window is over.
    async fn record_pact_attempt(&self, id: &str, outcome: Result<(), String>) -> StoreResult<PactOutboxEntry>;
    /// The outbox events to the partners of the actor's organization (all for node administrators
    /// and auditors), newest first.
    async fn list_pact_outbox(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<PactOutboxEntry>>;

    // Material-flow records, indicator values and targets (issue 6). Each is a record of the
    // organization that entered it, public or restricted under the common read rule (grants of
    // kind `material_flow`, `indicator_value`, `indicator_target`; reads under grants or as
    // auditor are audited). A correction is a new version that supersedes the old one, which
    // stays readable; an organization has at most one current version per key (region, fiscal
    // year and kind; indicator, scope and fiscal year; indicator, output, scope and target year).
    /// Stores a material-flow record of the actor's organization (its members), checked with
    /// `NewMaterialFlow::check`; `Conflict` when the organization has a current record with the
    /// same region, fiscal year and kind (correct that one instead).
    async fn create_material_flow(&self, actor: &Actor, new: NewMaterialFlow) -> StoreResult<MaterialFlow>;
    /// Stores many material-flow records of the actor's organization in one transaction, all or
    /// nothing: every problem of every item (including keys repeated in the import or already
    /// current in the store) is reported at `/<index>/...`.
    async fn import_material_flows(&self, actor: &Actor, items: Vec<NewMaterialFlow>)
        -> StoreResult<Vec<MaterialFlow>>;
    /// Corrects the current version `id` (members of its owner): the corrected record becomes
    /// the next version and `id` is marked superseded by it, in one transaction. `Conflict` when
    /// `id` was already corrected.
    async fn correct_material_flow(
        &self,
        actor: &Actor,
        id: MaterialFlowId,
        correction: MaterialFlowCorrection,
    ) -> StoreResult<MaterialFlow>;
    /// A material-flow record version the actor may read; audited when read under a grant or as
    /// auditor.
    async fn get_material_flow(&self, actor: &Actor, id: MaterialFlowId) -> StoreResult<MaterialFlow>;
    /// The material-flow records the actor may read that match `filter`, in id order; audited
    /// like `get_material_flow`.
    async fn list_material_flows(
        &self,
        actor: &Actor,
        filter: &MaterialFlowFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<MaterialFlow>>;
    /// Stores an indicator value of the actor's organization, checked with
    /// `NewIndicatorValue::check`; `Conflict` when the organization has a current value of the
    /// same indicator, scope and fiscal year.
    async fn create_indicator_value(&self, actor: &Actor, new: NewIndicatorValue) -> StoreResult<IndicatorValue>;
    /// Corrects a current indicator value, as `correct_material_flow`.
    async fn correct_indicator_value(
        &self,
        actor: &Actor,
        id: IndicatorValueId,
        correction: IndicatorValueCorrection,
    ) -> StoreResult<IndicatorValue>;
    /// An indicator value the actor may read; audited when read under a grant or as auditor.
    async fn get_indicator_value(&self, actor: &Actor, id: IndicatorValueId) -> StoreResult<IndicatorValue>;
    /// The indicator values the actor may read that match `filter`, in id order.
    async fn list_indicator_values(
        &self,
        actor: &Actor,
        filter: &IndicatorValueFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<IndicatorValue>>;
    /// Stores a target of the actor's organization, checked with `NewIndicatorTarget::check`;
    /// `Conflict` when the organization has a current target of the same indicator, output,
    /// scope and target year.
    async fn create_indicator_target(&self, actor: &Actor, new: NewIndicatorTarget) -> StoreResult<IndicatorTarget>;
    /// Corrects a current target, as `correct_material_flow`.
    async fn correct_indicator_target(
        &self,
        actor: &Actor,
        id: IndicatorTargetId,
        correction: IndicatorTargetCorrection,
    ) -> StoreResult<IndicatorTarget>;
    /// A target the actor may read; audited when read under a grant or as auditor.
    async fn get_indicator_target(&self, actor: &Actor, id: IndicatorTargetId) -> StoreResult<IndicatorTarget>;
    /// The targets the actor may read that match `filter`, in id order.
    async fn list_indicator_targets(
        &self,
        actor: &Actor,
        filter: &IndicatorTargetFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<IndicatorTarget>>;

    // Chain-of-custody ledgers (CoC 台帳, issue 6). A ledger is a record of the facility's
    // organization, restricted by default under the common read rule (grant kind `ledger`; reads
    // under grants or as auditor audited). Every entry is written in one transaction that first
    // raises the ledger's revision, so writers of one ledger are serialised on both engines, and
    // decided there by replaying the stored entries (`junkan_indicators::custody`): a ledger is
    // never overdrawn and an input lot never counted twice, whatever runs at the same time.
    /// Opens a ledger for a facility of the actor's organization; `Conflict` when a ledger of the
    /// facility and material already covers part of the period.
    async fn create_ledger(&self, actor: &Actor, new: NewLedger) -> StoreResult<LedgerRecord>;
    /// The ledgers the actor may read that match `filter`, in id order.
    async fn list_ledgers(
        &self,
        actor: &Actor,
        filter: &LedgerFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<LedgerRecord>>;
    /// A ledger with its entries and balance; audited when read under a grant or as auditor.
    async fn get_ledger(&self, actor: &Actor, id: LedgerId) -> StoreResult<LedgerView>;
    /// Enters an input lot by hand (members of the owner), or gives the share of a lot an
    /// import recorded as missing (its mass must then be the events'); `Conflict` when the lot
    /// is already an input of a ledger of the facility and material, or the ledger is closed.
    async fn add_ledger_input(&self, actor: &Actor, id: LedgerId, input: NewLedgerInput) -> StoreResult<LedgerInput>;
    /// Enters the input lots of the facility's TransformationEvents in the period that the actor
    /// may read, with each lot's share from an upstream claim or its passport as the actor may
    /// read them; lots of unknown share are recorded as missing. Each lot counts with the
    /// ledger's material in it: the fraction `request` gives for it, else its upstream claim's or
    /// passport composition's, else the whole lot; a composite lot whose part is unknown is
    /// missing. `Invalid` (nothing entered) when a quantity's unit has no conversion or a
    /// fraction names a lot the events do not enter.
    async fn import_ledger_inputs(
        &self,
        actor: &Actor,
        id: LedgerId,
        request: ImportLedgerInputs,
    ) -> StoreResult<LedgerImportReport>;
    /// Makes a claim for an output lot: `Conflict` (nothing written) when the ledger cannot back
    /// it (overdrawn, lots already spent, share above what the model allows) or the lot has a
    /// live claim at the facility and material.
    async fn claim_from_ledger(&self, actor: &Actor, id: LedgerId, claim: NewLedgerClaim) -> StoreResult<LedgerClaim>;
    /// Reverses a live claim (its credits return); the claim stays, marked.
    async fn reverse_ledger_claim(
        &self,
        actor: &Actor,
        id: LedgerId,
        claim: LedgerClaimId,
        reversal: ReverseClaim,
    ) -> StoreResult<LedgerClaim>;
    /// Carries the unused credits of the closed ledger `request.from_ledger_id` (the previous
    /// period's, same facility, material and model, with a carry-over rule) into ledger `id`, one
    /// entry per period that made them, those older than the rule's expiry lapsing; `Conflict`
    /// (nothing written) when the previous ledger is open, states no rule or was carried
    /// already, `Invalid` when it is not the previous period's ledger of the same account.
    async fn carry_over_ledger(
        &self,
        actor: &Actor,
        id: LedgerId,
        request: NewCarryOver,
    ) -> StoreResult<CarryOverReport>;
    /// Closes a ledger: no entries after; the credits left lapse unless carried over.
    async fn close_ledger(&self, actor: &Actor, id: LedgerId) -> StoreResult<LedgerView>;
    /// A claim traced to the inputs that back it, with links to their events, passports and
    /// upstream claims.
    async fn trace_ledger_claim(&self, actor: &Actor, id: LedgerId, claim: LedgerClaimId) -> StoreResult<ClaimTrace>;
    /// The live claims the actor may read whose output lot is one of `lots` (canonical), of
    /// `material` when given, with their ledgers; audited like `get_ledger`.
    async fn ledger_claims_for_lots(
        &self,
        actor: &Actor,
        lots: &[String],
        material: Option<&str>,
    ) -> StoreResult<Vec<(LedgerRecord, LedgerClaim)>>;
    /// The inputs whose lot is one of `lots` (canonical) in the ledgers the actor may read, with
    /// their ledgers, in ledger and entry order; audited like `get_ledger`.
    async fn ledger_inputs_for_lots(
        &self,
        actor: &Actor,
        lots: &[String],
    ) -> StoreResult<Vec<(LedgerRecord, LedgerInput)>>;

    // Ouranos data transaction (issue 5)
    // Operators are organizations with a 法人番号 and plants are facilities with an Ouranos plant
    // id; parts, structures, trades and CFPs are records of the operator that wrote them. A
    // supplier's CFP is disclosed to a buyer only through a trade the supplier answered (its part
    // linked to the buyer's); such cross-company reads are audited.
    /// An operator by organization id (the directory is public to every signed-in actor).
    async fn ouranos_operator(&self, actor: &Actor, id: OrganizationId) -> StoreResult<Operator>;
    /// An operator by `openOperatorId` (法人番号).
    async fn ouranos_operator_by_open_id(&self, actor: &Actor, open_operator_id: &str) -> StoreResult<Operator>;
    /// The operators among `ids` that exist, in the order asked.
    async fn ouranos_operators(&self, actor: &Actor, ids: &[OrganizationId]) -> StoreResult<Vec<Operator>>;
    /// Changes the actor's own operator record (name, address, global id; `openOperatorId` is
    /// immutable, a duplicate global id is a conflict).
    async fn update_ouranos_operator(&self, actor: &Actor, update: OperatorUpdate) -> StoreResult<Operator>;
    /// The plants of the actor's organization, by plant id.
    async fn list_ouranos_plants(&self, actor: &Actor) -> StoreResult<Vec<Plant>>;
    /// Creates (no plant id) or changes a plant of the actor's organization.
    async fn put_ouranos_plant(&self, actor: &Actor, write: PlantWrite) -> StoreResult<Plant>;
    /// Creates or changes a part of the actor's organization; its components stay as they are.
    async fn put_ouranos_part(&self, actor: &Actor, write: PartWrite) -> StoreResult<Part>;
    /// The parts of the actor's organization by part name then trace id; `page.after` is a
    /// trace id.
    async fn list_ouranos_parts(
        &self,
        actor: &Actor,
        filter: &PartFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Part>>;
    /// Deletes a part that is in no structure and no trade, with its CFP and certifications.
    async fn delete_ouranos_part(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<()>;
    /// A part of the actor's organization with its components.
    async fn get_parts_structure(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<PartsStructure>;
    /// Writes a parent and its components, all parts of the actor's organization; the structure
    /// becomes exactly the components given.
    async fn put_parts_structure(&self, actor: &Actor, write: PartsStructureWrite) -> StoreResult<PartsStructure>;
    /// Asks a supplier for the CFP of one of the actor's parts.
    async fn create_trade_request(&self, actor: &Actor, new: NewTradeRequest) -> StoreResult<TradeRequest>;
    /// The trades the actor's organization requested, newest first; `page.after` is a trade id.
    async fn list_trade_requests(
        &self,
        actor: &Actor,
        filter: &TradeFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Trade>>;
    /// The requests addressed to the actor's organization, newest first, with the buyer's part
    /// (its required amount withheld).
    async fn list_trade_responses(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<TradeResponse>>;
    /// The supplier answers a request addressed to it by linking one of its parts.
    async fn answer_trade(&self, actor: &Actor, trade_id: Uuid, trace_id: Uuid) -> StoreResult<Trade>;
    /// The statuses of trades the actor's organization requested or received, newest first.
    async fn list_trade_statuses(
        &self,
        actor: &Actor,
        filter: &StatusFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<TradeStatus>>;
    /// The buyer cancels or the supplier rejects a request.
    async fn change_trade_status(
        &self,
        actor: &Actor,
        status_id: Uuid,
        change: StatusChange,
    ) -> StoreResult<TradeStatus>;
    /// Writes the CFP of a part of the actor's organization (the four rows), stored as its
    /// footprint; a rewrite supersedes the previous one. Returns the four rows as stored.
    async fn put_ouranos_cfp(&self, actor: &Actor, write: CfpWrite) -> StoreResult<Vec<CfpRow>>;
    /// The CFP rows the actor may see for each trace id, in the order asked: for its own parts
    /// the four rows and, for parts with components, the totals rows; for its parts linked to a
    /// supplier's by an answered trade the supplier's response rows; nothing otherwise.
    async fn ouranos_cfp_rows(&self, actor: &Actor, trace_ids: &[Uuid]) -> StoreResult<Vec<CfpRow>>;
    /// The roll-up of one of the actor's parts through its structures and answered trades.
    async fn ouranos_rollup(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<Rollup>;
    /// Links a part of the actor's organization to a supplier's part on a peer node (ノード間の
    /// 調達; members who write; the peer must be registered). Replaces an earlier link.
    async fn put_ouranos_remote_supply(
        &self,
        actor: &Actor,
        trace_id: Uuid,
        new: &junkan_model::federation::NewRemoteSupply,
    ) -> StoreResult<junkan_model::federation::RemoteSupply>;
    /// Removes the link of a part of the actor's organization (NotFound when it has none).
    async fn delete_ouranos_remote_supply(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<()>;
    /// The links of the actor's organization's parts.
    async fn list_ouranos_remote_supplies(
        &self,
        actor: &Actor,
    ) -> StoreResult<Vec<junkan_model::federation::RemoteSupply>>;
    /// The links of the parts below one of the actor's parts (the root included) that the
    /// roll-up would count as missing (no CFP, no answered trade): those a peer is to be asked
    /// about. Reads structure only; audits nothing.
    async fn ouranos_remote_supplies_below(
        &self,
        actor: &Actor,
        trace_id: Uuid,
    ) -> StoreResult<Vec<junkan_model::federation::RemoteSupply>>;
    /// [`Store::ouranos_rollup`] with what peer nodes answered (or withheld) for parts bought
    /// from their organizations.
    async fn ouranos_rollup_with_remote(
        &self,
        actor: &Actor,
        trace_id: Uuid,
        remote: Vec<junkan_footprint::rollup::RemotePart>,
    ) -> StoreResult<Rollup>;
    /// The roll-up of a part for a reader that is not its operator (a peer's organization): allowed
    /// when the reader may read the footprint of the part's CFP under the access rule (a grant of
    /// the operator); that read and the suppliers' parts the roll-up reads are audited. NotFound
    /// otherwise, and for parts without a CFP of their own. Returns the roll-up, its exact value per
    /// unit and the part's operator.
    async fn ouranos_rollup_for_reader(
        &self,
        actor: &Actor,
        trace_id: Uuid,
    ) -> StoreResult<(
        Rollup,
        junkan_footprint::rollup::RolledValue,
        junkan_model::ids::OrganizationId,
    )>;
    /// The CFP certifications of a part: the owner's in full; a buyer linked by an answered trade
    /// sees the files without the description.
    async fn list_cfp_certifications(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<Vec<CfpCertification>>;
    /// Creates or changes a CFP certification of a part of the actor's organization.
    async fn put_cfp_certification(&self, actor: &Actor, write: CfpCertificationWrite)
        -> StoreResult<CfpCertification>;
    /// The signed-in user changes their own password (`/ouranos/auth/change`); other principals
    /// are refused.
    async fn change_own_password(&self, actor: &Actor, password_hash: &str) -> StoreResult<()>;
    /// The signed-in user records the language they read the web interface in (`ja` or `en`);
    /// other principals are refused. Returns the account as changed.
    async fn set_own_locale(&self, actor: &Actor, locale: &str) -> StoreResult<User>;

    // Circular Partners (サーキュラーパートナーズ, issue 8). Memberships, targets and follow-ups
    // are records of the member organization. Its members read and write them; the secretariat
    // (the organization the node administrator designated) and auditors read them all, audited
    // when not public; everyone reads those of approved members that publish. The secretariat
    // alone reviews applications. Today's date is the store clock's in Japan (UTC+09:00).
    /// Designates the secretariat organization (node administrators), replacing any earlier one.
    async fn designate_partner_secretariat(
        &self,
        actor: &Actor,
        organization: OrganizationId,
    ) -> StoreResult<Secretariat>;
    /// The designated secretariat, if any (public).
    async fn partner_secretariat(&self) -> StoreResult<Option<Secretariat>>;
    /// The actor's organization applies (its administrators); `Conflict` while it has an open
    /// application or membership, `Invalid` when its type cannot be a member or the application
    /// breaks the rules.
    async fn apply_for_membership(&self, actor: &Actor, application: NewApplication) -> StoreResult<Membership>;
    /// The secretariat approves (with the join date) or rejects (with the reason) an application
    /// under review; `Conflict` when it was decided already.
    async fn review_membership(&self, actor: &Actor, id: MembershipId, review: Review) -> StoreResult<Membership>;
    /// The member's administrators withdraw its application or membership.
    async fn withdraw_membership(
        &self,
        actor: &Actor,
        id: MembershipId,
        withdrawal: Withdrawal,
    ) -> StoreResult<Membership>;
    /// The member's administrators change its working groups, publication and schedule.
    async fn update_membership(
        &self,
        actor: &Actor,
        id: MembershipId,
        settings: MembershipSettings,
    ) -> StoreResult<Membership>;
    /// A membership the actor may read.
    async fn get_membership(&self, actor: &Actor, id: MembershipId) -> StoreResult<Membership>;
    /// The memberships the actor may read that match `filter`, in application order.
    async fn list_memberships(&self, actor: &Actor, filter: &MembershipFilter) -> StoreResult<Vec<Membership>>;
    /// An approved member submits a target in its format (its members), checked with
    /// `TargetSubmission::check` on today's date.
    async fn submit_partner_target(&self, actor: &Actor, submission: TargetSubmission) -> StoreResult<PartnerTarget>;
    /// Submits many targets in one transaction, all or nothing; problems at `/<index>/...`.
    async fn import_partner_targets(
        &self,
        actor: &Actor,
        submissions: Vec<TargetSubmission>,
    ) -> StoreResult<Vec<PartnerTarget>>;
    /// Edits a target (members of its owner): the edit is its next version, re-submitted; the
    /// previous version stays readable.
    async fn edit_partner_target(
        &self,
        actor: &Actor,
        id: PartnerTargetId,
        submission: TargetSubmission,
    ) -> StoreResult<PartnerTarget>;
    /// A target's current version, or `version`.
    async fn get_partner_target(
        &self,
        actor: &Actor,
        id: PartnerTargetId,
        version: Option<i64>,
    ) -> StoreResult<PartnerTarget>;
    /// Every version of a target, oldest first.
    async fn list_partner_target_versions(&self, actor: &Actor, id: PartnerTargetId)
        -> StoreResult<Vec<PartnerTarget>>;
    /// The current targets the actor may read that match `filter`, by organization and id.
    async fn list_partner_targets(&self, actor: &Actor, filter: &TargetFilter) -> StoreResult<Vec<PartnerTarget>>;
    /// A follow-up on a target's current version (members of its owner), checked with
    /// `FollowUpSubmission::check`; contradictions are stored as flags. `Conflict` when the
    /// target has a follow-up for the fiscal year.
    async fn submit_follow_up(
        &self,
        actor: &Actor,
        target: PartnerTargetId,
        submission: FollowUpSubmission,
    ) -> StoreResult<FollowUp>;
    /// The follow-ups the actor may read that match `filter`, oldest first.
    async fn list_follow_ups(&self, actor: &Actor, filter: &FollowUpFilter) -> StoreResult<Vec<FollowUp>>;

    // Conformity certificates (適合性証明, issue 9).
    /// Every certification scheme, by code.
    async fn list_certificate_schemes(&self) -> StoreResult<Vec<CertificateScheme>>;
    /// Adds a certification scheme (node administrators).
    async fn create_certificate_scheme(
        &self,
        actor: &Actor,
        scheme: CertificateScheme,
    ) -> StoreResult<CertificateScheme>;
    /// Checks a certificate request of the actor's organization (certifier role, scheme, claim,
    /// subject readable by the certifier and not its own) and returns the draft to sign. A read of
    /// the subject under a grant is audited. Writes nothing else.
    async fn prepare_certificate(&self, actor: &Actor, new: NewCertificate) -> StoreResult<CertificateDraft>;
    /// Stores a draft with the credential signed for it (one transaction, audited, logged); the
    /// rules of [`Store::prepare_certificate`] are checked again.
    async fn create_certificate(
        &self,
        actor: &Actor,
        draft: CertificateDraft,
        signed: SignedCertificate,
    ) -> StoreResult<Certificate>;
    /// A certificate, for its certifier, the subject's owner, and whoever may read the subject.
    async fn get_certificate(&self, actor: &Actor, id: CertificateId) -> StoreResult<Certificate>;
    /// The certificates the actor may read that match `filter`, by id.
    async fn list_certificates(
        &self,
        actor: &Actor,
        filter: &CertificateFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Certificate>>;
    /// Revokes a certificate (its certifier's members), with the reason.
    async fn revoke_certificate(
        &self,
        actor: &Actor,
        id: CertificateId,
        revocation: CertificateRevocation,
    ) -> StoreResult<Certificate>;
}
