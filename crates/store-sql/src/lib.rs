//! The SQL backends of the junkan [`Store`]: SQLite (embedded default) and PostgreSQL (production).
//!
//! Both run the same queries through sqlx's `Any` driver: ids are UUID text, times are BIGINT
//! microseconds since the epoch, decimals and JSON travel as text, and placeholders are `$n`,
//! which both engines accept. What differs per engine stays in [`open`] (connection set-up) and in
//! the migration folders `migrations/sqlite` and `migrations/postgres`. Writing each query once
//! is why this is one crate rather than one per backend: the contract suite runs against both.

mod access;
mod audit;
mod bulk;
mod capture_sqlite;
mod certificates;
mod dsp;
mod events;
mod facilities;
mod federation;
mod footprints;
mod grants;
mod indicators;
mod ledgers;
mod log;
mod organizations;
mod ouranos;
mod partners;
mod passports;
mod principals;
mod queries;
mod rows;
mod sharing;
mod trust;

/// What an audit of reads wrote (entries, records, new record sets).
pub use access::AuditedReads;
/// The name of the embedded store's capture writer thread, for CPU accounting.
pub use capture_sqlite::THREAD_NAME as CAPTURE_THREAD_NAME;
pub use capture_sqlite::{CHECKPOINT_THREAD_NAME, SYNC_THREAD_NAME};
/// What one roll-up through the store cost, in statements and audit entries.
pub use ouranos::{GraphSource, RollupCost};

use std::str::FromStr;
use std::sync::{Arc, Once};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
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
use junkan_model::access::{Certification, Grant, NewCertification, NewGrant};
use junkan_model::audit::{AuditEntry, AuditFilter};
use junkan_model::certificate::{
    Certificate, CertificateDraft, CertificateFilter, CertificateRevocation, CertificateScheme, NewCertificate,
    SignedCertificate,
};
use junkan_model::event::{CaptureJob, EventField, EventQuery, LineageEvent, StoredEvent};
use junkan_model::facility::Visibility;
use junkan_model::facility::{Facility, FacilityFilter, FacilityPatch, NewFacility};
use junkan_model::ids::CaptureId;
use junkan_model::ids::CertificateId;
use junkan_model::ids::FootprintId;
use junkan_model::ids::{
    ApiKeyId, CertificationId, ClientId, FacilityId, GrantId, OrganizationId, PassportId, SubscriptionId, UserId,
};
use junkan_model::ids::{IndicatorTargetId, IndicatorValueId, LedgerClaimId, LedgerId, MaterialFlowId};
use junkan_model::ids::{MembershipId, PartnerTargetId};
use junkan_model::industry::{Industry, SEED_INDUSTRIES};
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
use junkan_model::principal::{Actor, ApiKey, ClientCredential, NewCredential, User};
use junkan_model::subscription::{NamedQuery, NewSubscription, Subscription};
use junkan_partners::membership::{Membership, MembershipSettings, NewApplication, Review, Withdrawal};
use junkan_partners::targets::{FollowUp, FollowUpSubmission, PartnerTarget, TargetSubmission};
use junkan_partners::{FollowUpFilter, MembershipFilter, Secretariat, TargetFilter};
use junkan_store::{
    Backend, Clock, Delivery, GrantDirection, NewCapture, NewPactPartner, NewUserRecord, OutgoingPactEvent,
    PactFootprintText, PactOutboxEntry, PactPartner, SessionRecord, SigningKeyRecord, Store, StoreError, StoreResult,
    StoredFootprint, UserLogin,
};
use uuid::Uuid;

pub(crate) use rows::{micros, unavailable};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A store on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    backend: Backend,
    /// Pool for writes. On SQLite it holds one connection, so writers queue in the process instead
    /// of failing on the database lock; on PostgreSQL it is the same pool as `reader`.
    writer: AnyPool,
    /// Pool for reads.
    reader: AnyPool,
    clock: Arc<dyn Clock>,
    /// Compiled passport profiles.
    profiles: Arc<passports::ProfileCache>,
    /// Supply graphs read for CFP roll-ups, used again while nothing they were read from changes.
    graphs: Arc<ouranos::GraphCache>,
    /// SQLite: the capture write path of its own (`capture_sqlite`).
    capture_writer: Option<Arc<capture_sqlite::CaptureWriter>>,
    /// Whether writes append their leaves to the tamper-evident log (`log`). Always on in a
    /// node; `junkan bench ingest --log off` turns it off to measure what it costs.
    log_writes: bool,
}

/// Opens the database at `url` (`sqlite://path` or `postgres://...`), creating a SQLite file when
/// missing. Call [`SqlStore::migrate`] before use.
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<SqlStore> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    if url.starts_with("sqlite:") {
        let url = if url.contains("mode=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        let options = AnyConnectOptions::from_str(&url).map_err(unavailable)?;
        let path = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .map_err(unavailable)?
            .get_filename()
            .to_owned();
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(configure_sqlite_writer)
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        let reader = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(configure_sqlite_reader)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Ok(SqlStore {
            backend: Backend::Sqlite,
            writer: writer.clone(),
            reader,
            clock,
            profiles: Arc::default(),
            graphs: Arc::default(),
            capture_writer: Some(Arc::new(capture_sqlite::CaptureWriter::start(
                path,
                writer.clone(),
                tokio::runtime::Handle::current(),
            )?)),
            log_writes: true,
        })
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        // No ping before each acquire: a lineage of depth 8 takes nine connections from the pool,
        // and each ping was a round trip; a broken connection still fails its statement.
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect(url)
            .await
            .map_err(unavailable)?;
        Ok(SqlStore {
            backend: Backend::Postgres,
            writer: pool.clone(),
            reader: pool,
            clock,
            profiles: Arc::default(),
            graphs: Arc::default(),
            capture_writer: None,
            log_writes: true,
        })
    } else {
        Err(StoreError::Unavailable(
            format!("unsupported database URL {url:?}: expected sqlite://... or postgres://...").into(),
        ))
    }
}

/// What every SQLite connection sets: WAL, every commit synced in full, waits for the lock.
const SQLITE_DURABILITY: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;";
/// What a writing SQLite connection sets besides (see `configure_sqlite_writer`).
const SQLITE_WRITER_CACHE: &str =
    "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192;";

/// Sets up every SQLite connection: WAL lets readers work beside the writer; `synchronous=FULL`
/// makes every commit durable before it is acknowledged, so a SIGKILL or power cut loses nothing
/// that was acknowledged.
fn configure_sqlite(
    connection: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        connection
            .execute(format!("{SQLITE_DURABILITY} PRAGMA foreign_keys = ON;").as_str())
            .await?;
        Ok(())
    })
}

/// What a reading SQLite connection sets besides: a page cache of 16 MiB instead of SQLite's
/// 2 MiB, which the structure lines of a 10,000-part supply graph alone exceed (a roll-up that
/// reads them then takes most of their pages from the operating system again, every time).
const SQLITE_READER_CACHE: &str = "PRAGMA cache_size = -16384;";

/// Sets up a reading SQLite connection as every connection, with a larger page cache.
fn configure_sqlite_reader(
    connection: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        configure_sqlite(connection, meta).await?;
        connection.execute(SQLITE_READER_CACHE).await?;
        Ok(())
    })
}

/// Sets up the SQLite writer connection as every connection, with room for a whole capture's
/// changes in memory: with SQLite's default 2 MiB page cache a document of 1,000 events spilled
/// dirty pages into the WAL before its commit (written twice), and its statement journals went
/// to temporary files. Checkpoints run every 8,192 WAL pages (32 MiB) instead of 1,000, so a page
/// that every capture changes (index roots, the right edge of the tables) is copied back once per
/// checkpoint rather than once per few captures. None of this touches durability: every commit
/// is still synced in full to the WAL before it is acknowledged.
fn configure_sqlite_writer(
    connection: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        configure_sqlite(connection, meta).await?;
        connection.execute(SQLITE_WRITER_CACHE).await?;
        Ok(())
    })
}

impl SqlStore {
    /// Applies the backend's pending migrations and installs the seed data (industries and the
    /// shipped passport profiles). Safe to run on every start and from several processes.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await.map_err(unavailable)?;
        let now = micros(self.clock.now());
        for (code, name_ja, name_en) in SEED_INDUSTRIES {
            let mut transaction = self.writer.begin().await.map_err(unavailable)?;
            let inserted = sqlx::query("INSERT INTO industries (code, name_ja, name_en, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
                .bind(code)
                .bind(name_ja)
                .bind(name_en)
                .bind(now)
                .execute(&mut *transaction)
                .await
                .map_err(unavailable)?
                .rows_affected();
            if inserted == 1 {
                log::append_record(
                    self,
                    &mut transaction,
                    junkan_model::audit::AuditAction::Create,
                    junkan_model::access::RecordKind::Industry,
                    code,
                    None,
                )
                .await?;
            }
            transaction.commit().await.map_err(unavailable)?;
        }
        passports::install_shipped(self).await?;
        certificates::install_shipped_schemes(self).await?;
        // Keys stored before migration 0025 get their public key before anything digests them.
        trust::fill_public_keys(self).await?;
        // Records stored before the log existed get their leaves, once.
        log::backfill(self).await?;
        // Keys stored before they were records of the log get their leaves, once.
        trust::backfill_keys(self).await
    }

    /// This store with the tamper-evident log off: writes append no leaves. Only for measuring
    /// what the log costs (`junkan bench ingest --log off`); a node always logs, and verifying a
    /// store written without the log reports every such record.
    pub fn without_log(mut self) -> SqlStore {
        self.log_writes = false;
        self
    }

    /// The migration versions applied, oldest first.
    pub async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(|(version,)| version).collect())
    }

    /// [`Store::ouranos_rollup`] with what it cost (statements, audit entries): the same code
    /// path, for `junkan bench rollup`.
    pub async fn ouranos_rollup_with_cost(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<(Rollup, RollupCost)> {
        ouranos::rollup_part(self, actor, trace_id).await
    }

    /// Forgets the supply graphs kept for CFP roll-ups (`ouranos::GraphCache`), so that the next
    /// roll-up reads its graph from the database (`junkan bench rollup` times both).
    pub fn forget_cached_graphs(&self) {
        self.graphs.clear();
    }

    /// Closes the pools, waiting for running statements.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    pub(crate) fn clock_now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn create_organization(&self, actor: &Actor, new: NewOrganization) -> StoreResult<Organization> {
        organizations::create(self, actor, new).await
    }
    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Organization> {
        organizations::get(self, id).await
    }
    async fn list_organizations(
        &self,
        filter: &OrganizationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Organization>> {
        organizations::list(self, filter, page).await
    }
    async fn update_organization(
        &self,
        actor: &Actor,
        id: OrganizationId,
        patch: &OrganizationPatch,
    ) -> StoreResult<Organization> {
        organizations::update(self, actor, id, patch).await
    }
    async fn list_industries(&self) -> StoreResult<Vec<Industry>> {
        organizations::list_industries(self).await
    }
    async fn create_industry(&self, actor: &Actor, industry: Industry) -> StoreResult<Industry> {
        organizations::create_industry(self, actor, industry).await
    }

    async fn create_facility(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        new: NewFacility,
    ) -> StoreResult<Facility> {
        facilities::create(self, actor, organization, new).await
    }
    async fn get_facility(&self, actor: &Actor, id: FacilityId) -> StoreResult<Facility> {
        facilities::get(self, actor, id).await
    }
    async fn list_facilities(
        &self,
        actor: &Actor,
        filter: &FacilityFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Facility>> {
        facilities::list(self, actor, filter, page).await
    }
    async fn update_facility(&self, actor: &Actor, id: FacilityId, patch: &FacilityPatch) -> StoreResult<Facility> {
        facilities::update(self, actor, id, patch).await
    }

    async fn create_user(&self, actor: &Actor, organization: OrganizationId, new: NewUserRecord) -> StoreResult<User> {
        principals::create_user(self, actor, organization, new).await
    }
    async fn list_users(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<User>> {
        principals::list_users(self, actor, organization, page).await
    }
    async fn user_login(&self, username: &str) -> StoreResult<Option<UserLogin>> {
        principals::user_login(self, username).await
    }
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        principals::user_by_id(self, id).await
    }
    async fn create_client(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        new: &NewCredential,
        secret_hash: &str,
    ) -> StoreResult<ClientCredential> {
        principals::create_client(self, actor, organization, new, secret_hash).await
    }
    async fn list_clients(&self, actor: &Actor, organization: OrganizationId) -> StoreResult<Vec<ClientCredential>> {
        principals::list_clients(self, actor, organization).await
    }
    async fn revoke_client(&self, actor: &Actor, id: ClientId) -> StoreResult<ClientCredential> {
        principals::revoke_client(self, actor, id).await
    }
    async fn client_login(&self, id: ClientId) -> StoreResult<Option<(ClientCredential, String)>> {
        principals::client_login(self, id).await
    }
    async fn create_api_key(
        &self,
        actor: &Actor,
        organization: OrganizationId,
        new: &NewCredential,
        prefix: &str,
        key_hash: &str,
    ) -> StoreResult<ApiKey> {
        principals::create_api_key(self, actor, organization, new, prefix, key_hash).await
    }
    async fn list_api_keys(&self, actor: &Actor, organization: OrganizationId) -> StoreResult<Vec<ApiKey>> {
        principals::list_api_keys(self, actor, organization).await
    }
    async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> StoreResult<ApiKey> {
        principals::revoke_api_key(self, actor, id).await
    }
    async fn api_key_login(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        principals::api_key_login(self, key_hash).await
    }
    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()> {
        principals::create_session(self, session).await
    }
    async fn session(&self, id_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
        principals::session(self, id_hash).await
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        principals::delete_session(self, id_hash).await
    }
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        trust::node_signing_keys(self).await
    }

    async fn add_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<Vec<SigningKeyRecord>> {
        trust::add_node_key(self, key).await
    }

    async fn trust_keys(&self, owner: junkan_store::KeyOwner) -> StoreResult<Vec<junkan_store::TrustKey>> {
        trust::keys(self, owner).await
    }

    async fn organization_signing_key(
        &self,
        actor: &Actor,
        organization: OrganizationId,
    ) -> StoreResult<junkan_store::TrustKey> {
        trust::organization_signing_key(self, actor, organization).await
    }

    async fn rotate_key(
        &self,
        actor: &Actor,
        owner: junkan_store::KeyOwner,
    ) -> StoreResult<Vec<junkan_store::TrustKey>> {
        trust::rotate(self, actor, owner).await
    }

    async fn issue_credential(
        &self,
        actor: &Actor,
        new: junkan_store::NewIssuedCredential,
        sign: junkan_store::SignWithIndex<'_>,
    ) -> StoreResult<(junkan_store::IssuedCredential, String)> {
        trust::issue(self, actor, new, sign).await
    }

    async fn issued_credential(&self, actor: &Actor, id: &str) -> StoreResult<junkan_store::IssuedCredential> {
        trust::get(self, actor, id).await
    }

    async fn credentials_of_record(
        &self,
        actor: &Actor,
        record_kind: &str,
        record_id: &str,
    ) -> StoreResult<Vec<junkan_store::IssuedCredential>> {
        trust::of_record(self, actor, record_kind, record_id).await
    }

    async fn kept_credential(
        &self,
        record_kind: &str,
        record_id: &str,
        record_version: Option<i64>,
    ) -> StoreResult<Option<junkan_store::IssuedCredential>> {
        trust::kept(self, record_kind, record_id, record_version).await
    }

    async fn revoke_credential(&self, actor: &Actor, id: &str) -> StoreResult<junkan_store::IssuedCredential> {
        trust::revoke(self, actor, id).await
    }

    async fn revoked_status_indexes(&self, issuer: OrganizationId) -> StoreResult<Vec<u32>> {
        trust::revoked_indexes(self, issuer).await
    }

    async fn latest_leaf(&self, kind: &str, id: &str) -> StoreResult<Option<junkan_store::LeafReference>> {
        log::latest_leaf(self, kind, id).await
    }

    async fn log_tree_state(&self) -> StoreResult<(u64, junkan_translog::Hash)> {
        log::tree_state(self).await
    }
    async fn add_tree_head(&self, head: &junkan_translog::TreeHead) -> StoreResult<junkan_store::StoredTreeHead> {
        log::add_tree_head(self, head).await
    }
    async fn tree_heads(&self, page: &PageRequest) -> StoreResult<Page<junkan_store::StoredTreeHead>> {
        log::tree_heads(self, page).await
    }
    async fn latest_tree_head(&self) -> StoreResult<Option<junkan_store::StoredTreeHead>> {
        log::latest_tree_head(self).await
    }
    async fn log_inclusion(
        &self,
        actor: &Actor,
        record_kind: &str,
        record_id: &str,
        tree_size: Option<u64>,
    ) -> StoreResult<junkan_store::RecordInclusion> {
        log::inclusion(self, actor, record_kind, record_id, tree_size).await
    }
    async fn log_consistency(&self, old_size: u64, new_size: u64) -> StoreResult<Vec<junkan_translog::Hash>> {
        log::consistency(self, old_size, new_size).await
    }
    async fn verify_log(&self, actor: &Actor) -> StoreResult<junkan_store::LogReport> {
        log::verify(self, actor).await
    }

    async fn create_grant(&self, actor: &Actor, new: NewGrant) -> StoreResult<Grant> {
        grants::create(self, actor, new).await
    }
    async fn list_grants(
        &self,
        actor: &Actor,
        direction: GrantDirection,
        page: &PageRequest,
    ) -> StoreResult<Page<Grant>> {
        grants::list(self, actor, direction, page).await
    }
    async fn get_grant(&self, actor: &Actor, id: GrantId) -> StoreResult<Grant> {
        grants::get(self, actor, id).await
    }
    async fn revoke_grant(&self, actor: &Actor, id: GrantId) -> StoreResult<Grant> {
        grants::revoke(self, actor, id).await
    }
    async fn granted_record_ids(
        &self,
        actor: &Actor,
        grant: GrantId,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<(junkan_model::access::RecordKind, Vec<String>, bool)> {
        access::granted_record_ids(self, actor, grant, after, limit).await
    }
    async fn create_certification(&self, actor: &Actor, new: NewCertification) -> StoreResult<Certification> {
        grants::create_certification(self, actor, new).await
    }

    async fn dsp_request_contract(
        &self,
        actor: &Actor,
        offer_id: junkan_model::ids::DatasetOfferId,
        consumer_pid: &str,
        callback_address: &str,
    ) -> StoreResult<junkan_model::dsp::Negotiation> {
        dsp::request_contract(self, actor, offer_id, consumer_pid, callback_address).await
    }
    async fn dsp_agree_by_offer(
        &self,
        id: junkan_model::ids::NegotiationId,
    ) -> StoreResult<Option<junkan_model::dsp::Negotiation>> {
        dsp::agree_by_offer(self, id).await
    }
    async fn dsp_negotiation(
        &self,
        actor: &Actor,
        id: junkan_model::ids::NegotiationId,
    ) -> StoreResult<junkan_model::dsp::Negotiation> {
        dsp::get_negotiation(self, actor, id).await
    }
    async fn dsp_negotiation_for_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<Option<junkan_model::dsp::Negotiation>> {
        dsp::negotiation_for_request(self, actor, id).await
    }
    async fn dsp_list_negotiations(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::dsp::Negotiation>> {
        dsp::list_negotiations(self, actor, page).await
    }
    async fn dsp_receive_negotiation_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::NegotiationId,
        received: junkan_model::dsp::ReceivedNegotiationMessage,
    ) -> StoreResult<junkan_model::dsp::Negotiation> {
        dsp::receive_negotiation_message(self, actor, id, received).await
    }
    async fn dsp_record_sent_negotiation_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::NegotiationId,
        message: junkan_model::dsp::NegotiationMessage,
        peer_pid: Option<String>,
        reason: Option<String>,
    ) -> StoreResult<junkan_model::dsp::Negotiation> {
        dsp::record_sent_negotiation_message(self, actor, id, message, peer_pid, reason).await
    }
    async fn dsp_create_consumer_negotiation(
        &self,
        actor: &Actor,
        provider_address: &str,
        offer_id: &str,
        dataset: Option<&str>,
        credential: Option<&str>,
        provider_organization: Option<OrganizationId>,
    ) -> StoreResult<junkan_model::dsp::Negotiation> {
        dsp::create_consumer_negotiation(
            self,
            actor,
            provider_address,
            offer_id,
            dataset,
            credential,
            provider_organization,
        )
        .await
    }
    async fn dsp_peer_credential(&self, actor: &Actor, id: junkan_model::ids::NegotiationId) -> StoreResult<String> {
        dsp::peer_credential(self, actor, id).await
    }
    async fn dsp_request_transfer(
        &self,
        actor: &Actor,
        agreement_id: &str,
        consumer_pid: &str,
        callback_address: &str,
        format: &str,
    ) -> StoreResult<junkan_model::dsp::Transfer> {
        dsp::request_transfer(self, actor, agreement_id, consumer_pid, callback_address, format).await
    }
    async fn dsp_start_transfer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
        token_digest: &str,
        expires_at: time::OffsetDateTime,
    ) -> StoreResult<junkan_model::dsp::Transfer> {
        dsp::start_transfer(self, actor, id, token_digest, expires_at).await
    }
    async fn dsp_transfer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
    ) -> StoreResult<junkan_model::dsp::Transfer> {
        dsp::get_transfer(self, actor, id).await
    }
    async fn dsp_list_transfers(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::dsp::Transfer>> {
        dsp::list_transfers(self, actor, page).await
    }
    async fn dsp_receive_transfer_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
        received: junkan_model::dsp::ReceivedTransferMessage,
    ) -> StoreResult<junkan_model::dsp::Transfer> {
        dsp::receive_transfer_message(self, actor, id, received).await
    }
    async fn dsp_record_sent_transfer_message(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
        message: junkan_model::dsp::TransferMessage,
        peer_pid: Option<String>,
        reason: Option<String>,
    ) -> StoreResult<junkan_model::dsp::Transfer> {
        dsp::record_sent_transfer_message(self, actor, id, message, peer_pid, reason).await
    }
    async fn dsp_create_consumer_transfer(
        &self,
        actor: &Actor,
        negotiation_id: junkan_model::ids::NegotiationId,
    ) -> StoreResult<junkan_model::dsp::Transfer> {
        dsp::create_consumer_transfer(self, actor, negotiation_id).await
    }
    async fn dsp_transfer_endpoint(
        &self,
        actor: &Actor,
        id: junkan_model::ids::TransferId,
    ) -> StoreResult<(String, String)> {
        dsp::transfer_endpoint(self, actor, id).await
    }
    async fn dsp_transfer_reader(
        &self,
        id: junkan_model::ids::TransferId,
        token_digest: &str,
    ) -> StoreResult<Option<(Actor, junkan_model::ids::GrantId)>> {
        dsp::transfer_reader(self, id, token_digest).await
    }

    async fn create_access_request(
        &self,
        actor: &Actor,
        new: junkan_model::sharing::NewAccessRequest,
    ) -> StoreResult<junkan_model::sharing::AccessRequest> {
        sharing::create_request(self, actor, new).await
    }
    async fn list_access_requests(
        &self,
        actor: &Actor,
        direction: junkan_store::RequestDirection,
        state: Option<junkan_model::sharing::RequestState>,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::sharing::AccessRequest>> {
        sharing::list_requests(self, actor, direction, state, page).await
    }
    async fn get_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<junkan_model::sharing::AccessRequest> {
        sharing::get_request(self, actor, id).await
    }
    async fn approve_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<junkan_model::sharing::AccessRequest> {
        sharing::approve(self, actor, id).await
    }
    async fn narrow_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
        narrowing: junkan_model::sharing::Narrowing,
    ) -> StoreResult<junkan_model::sharing::AccessRequest> {
        sharing::narrow(self, actor, id, narrowing).await
    }
    async fn refuse_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
        refusal: junkan_model::sharing::Refusal,
    ) -> StoreResult<junkan_model::sharing::AccessRequest> {
        sharing::refuse(self, actor, id, refusal).await
    }
    async fn withdraw_access_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::AccessRequestId,
    ) -> StoreResult<junkan_model::sharing::AccessRequest> {
        sharing::withdraw(self, actor, id).await
    }
    async fn create_dataset_offer(
        &self,
        actor: &Actor,
        new: junkan_model::sharing::NewDatasetOffer,
    ) -> StoreResult<junkan_model::sharing::DatasetOffer> {
        sharing::create_offer(self, actor, new).await
    }
    async fn list_dataset_offers(
        &self,
        actor: &Actor,
        owner: Option<OrganizationId>,
        page: &PageRequest,
    ) -> StoreResult<Page<junkan_model::sharing::DatasetOffer>> {
        sharing::list_offers(self, actor, owner, page).await
    }
    async fn get_dataset_offer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::DatasetOfferId,
    ) -> StoreResult<junkan_model::sharing::DatasetOffer> {
        sharing::get_offer(self, actor, id).await
    }
    async fn withdraw_dataset_offer(
        &self,
        actor: &Actor,
        id: junkan_model::ids::DatasetOfferId,
    ) -> StoreResult<junkan_model::sharing::DatasetOffer> {
        sharing::withdraw_offer(self, actor, id).await
    }
    async fn create_peer(
        &self,
        actor: &Actor,
        base_url: &str,
        did: &str,
        did_document: &serde_json::Value,
    ) -> StoreResult<junkan_model::federation::Peer> {
        federation::create_peer(self, actor, base_url, did, did_document).await
    }
    async fn list_peers(&self) -> StoreResult<Vec<junkan_model::federation::Peer>> {
        federation::list_peers(self).await
    }
    async fn get_peer(&self, id: junkan_model::ids::PeerId) -> StoreResult<junkan_model::federation::Peer> {
        federation::get_peer(self, id).await
    }
    async fn peer_by_did(&self, did: &str) -> StoreResult<Option<junkan_model::federation::Peer>> {
        federation::peer_by_did(self, did).await
    }
    async fn remote_organization(
        &self,
        did: &str,
    ) -> StoreResult<Option<junkan_model::federation::RemoteOrganization>> {
        federation::remote_organization(self, did).await
    }
    async fn remote_organization_of(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Option<junkan_model::federation::RemoteOrganization>> {
        federation::remote_organization_of_id(self, organization).await
    }
    async fn register_remote_organization(
        &self,
        actor: &Actor,
        peer: junkan_model::ids::PeerId,
        did: &str,
        name_ja: &str,
        name_en: &str,
        roles: &[junkan_model::organization::CycleRole],
    ) -> StoreResult<junkan_model::federation::RemoteOrganization> {
        federation::register_remote_organization(self, actor, peer, did, name_ja, name_en, roles).await
    }
    async fn use_nonce(&self, key_id: &str, nonce: &str, expires_at: time::OffsetDateTime) -> StoreResult<bool> {
        federation::use_nonce(self, key_id, nonce, expires_at).await
    }
    async fn create_remote_request(
        &self,
        actor: &Actor,
        peer: junkan_model::ids::PeerId,
        provider_did: &str,
        remote_id: &str,
        request: &serde_json::Value,
        remote: &serde_json::Value,
        state: &str,
    ) -> StoreResult<junkan_model::federation::RemoteRequest> {
        federation::create_remote_request(self, actor, peer, provider_did, remote_id, request, remote, state).await
    }
    async fn list_remote_requests(&self, actor: &Actor) -> StoreResult<Vec<junkan_model::federation::RemoteRequest>> {
        federation::list_remote_requests(self, actor).await
    }
    async fn get_remote_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::RemoteRequestId,
    ) -> StoreResult<junkan_model::federation::RemoteRequest> {
        federation::get_remote_request(self, actor, id).await
    }
    async fn update_remote_request(
        &self,
        actor: &Actor,
        id: junkan_model::ids::RemoteRequestId,
        state: &str,
        grant_id: Option<&str>,
        remote: &serde_json::Value,
    ) -> StoreResult<junkan_model::federation::RemoteRequest> {
        federation::update_remote_request(self, actor, id, state, grant_id, remote).await
    }
    async fn create_received_record(
        &self,
        actor: &Actor,
        new: junkan_model::federation::NewReceivedRecord,
    ) -> StoreResult<junkan_model::federation::ReceivedRecord> {
        federation::create_received_record(self, actor, new).await
    }
    async fn list_received_records(
        &self,
        actor: &Actor,
        remote_request: Option<junkan_model::ids::RemoteRequestId>,
    ) -> StoreResult<Vec<junkan_model::federation::ReceivedRecord>> {
        federation::list_received_records(self, actor, remote_request).await
    }
    async fn get_received_record(
        &self,
        actor: &Actor,
        id: junkan_model::ids::ReceivedRecordId,
    ) -> StoreResult<junkan_model::federation::ReceivedRecord> {
        federation::get_received_record(self, actor, id).await
    }
    async fn list_certifications(
        &self,
        subject: Option<OrganizationId>,
        page: &PageRequest,
    ) -> StoreResult<Page<Certification>> {
        grants::list_certifications(self, subject, page).await
    }
    async fn revoke_certification(&self, actor: &Actor, id: CertificationId) -> StoreResult<Certification> {
        grants::revoke_certification(self, actor, id).await
    }

    async fn capture_events(&self, actor: &Actor, capture: NewCapture) -> StoreResult<CaptureJob> {
        events::capture(self, actor, capture).await
    }
    async fn get_capture(&self, actor: &Actor, id: CaptureId) -> StoreResult<CaptureJob> {
        events::get_capture(self, actor, id).await
    }
    async fn list_captures(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<CaptureJob>> {
        events::list_captures(self, actor, page).await
    }
    async fn get_event(&self, actor: &Actor, event_id: &str) -> StoreResult<StoredEvent> {
        events::get(self, actor, event_id).await
    }
    async fn query_events(
        &self,
        actor: &Actor,
        query: &EventQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredEvent>> {
        events::query(self, actor, query, page).await
    }

    async fn lineage_events(
        &self,
        actor: &Actor,
        identifiers: &[String],
        known: &[String],
    ) -> StoreResult<Vec<LineageEvent>> {
        events::lineage(self, actor, identifiers, known).await
    }

    async fn events_at_locations(
        &self,
        actor: &Actor,
        locations: &[String],
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> StoreResult<Vec<LineageEvent>> {
        events::at_locations(self, actor, locations, from, until).await
    }

    async fn event_values(&self, actor: &Actor, field: EventField, page: &PageRequest) -> StoreResult<Page<String>> {
        queries::event_values(self, actor, field, page).await
    }
    async fn create_named_query(&self, actor: &Actor, name: &str, query: serde_json::Value) -> StoreResult<NamedQuery> {
        queries::create_query(self, actor, name, query).await
    }
    async fn list_named_queries(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<NamedQuery>> {
        queries::list_queries(self, actor, page).await
    }
    async fn get_named_query(&self, actor: &Actor, name: &str) -> StoreResult<NamedQuery> {
        queries::get_query(self, actor, name).await
    }
    async fn delete_named_query(&self, actor: &Actor, name: &str) -> StoreResult<()> {
        queries::delete_query(self, actor, name).await
    }
    async fn create_subscription(
        &self,
        actor: &Actor,
        query_name: &str,
        new: NewSubscription,
    ) -> StoreResult<Subscription> {
        queries::create_subscription(self, actor, query_name, new).await
    }
    async fn list_subscriptions(
        &self,
        actor: &Actor,
        query_name: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<Subscription>> {
        queries::list_subscriptions(self, actor, query_name, page).await
    }
    async fn get_subscription(&self, actor: &Actor, query_name: &str, id: SubscriptionId) -> StoreResult<Subscription> {
        queries::get_subscription(self, actor, query_name, id).await
    }
    async fn delete_subscription(&self, actor: &Actor, query_name: &str, id: SubscriptionId) -> StoreResult<()> {
        queries::delete_subscription(self, actor, query_name, id).await
    }
    async fn subscriptions_to_deliver(&self) -> StoreResult<Vec<(Subscription, NamedQuery, Option<Actor>)>> {
        queries::subscriptions_to_deliver(self).await
    }
    async fn record_delivery(&self, id: SubscriptionId, delivery: &Delivery) -> StoreResult<()> {
        queries::record_delivery(self, id, delivery).await
    }

    async fn register_profile(&self, actor: &Actor, document: serde_json::Value) -> StoreResult<ProfileRecord> {
        passports::register_profile(self, actor, document).await
    }

    async fn list_profiles(&self) -> StoreResult<Vec<ProfileRecord>> {
        passports::list_profiles(self).await
    }

    async fn get_profile(&self, code: &str, version: Option<&str>) -> StoreResult<ProfileRecord> {
        passports::get_profile(self, code, version).await
    }

    async fn create_passport(&self, actor: &Actor, new: NewPassport) -> StoreResult<Passport> {
        passports::create(self, actor, new).await
    }

    async fn update_passport(&self, actor: &Actor, id: PassportId, update: PassportUpdate) -> StoreResult<Passport> {
        passports::update(self, actor, id, update).await
    }

    async fn get_passport(&self, actor: &Actor, id: PassportId, read: PassportRead) -> StoreResult<Passport> {
        passports::get(self, actor, id, read).await
    }

    async fn find_passport(&self, actor: &Actor, identifiers: &[String], read: PassportRead) -> StoreResult<Passport> {
        passports::find(self, actor, identifiers, read).await
    }

    async fn find_passports(&self, actor: &Actor, identifiers: &[String]) -> StoreResult<Vec<Passport>> {
        passports::find_all(self, actor, identifiers).await
    }

    async fn list_passports(
        &self,
        actor: &Actor,
        filter: &PassportFilter,
        page: &PageRequest,
        read: PassportRead,
    ) -> StoreResult<Page<Passport>> {
        passports::list(self, actor, filter, page, read).await
    }

    async fn passport_history(&self, actor: &Actor, id: PassportId) -> StoreResult<Vec<PassportVersionInfo>> {
        passports::history(self, actor, id).await
    }

    async fn import_passports(
        &self,
        actor: &Actor,
        items: Vec<NewPassport>,
        dry_run: bool,
    ) -> StoreResult<ImportReport> {
        passports::import(self, actor, items, dry_run).await
    }

    async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        audit::list(self, actor, filter, page).await
    }

    // Footprints (issue 5)
    async fn create_footprint(
        &self,
        actor: &Actor,
        footprint: Footprint,
        visibility: Visibility,
    ) -> StoreResult<StoredFootprint> {
        footprints::create(self, actor, footprint, visibility).await
    }
    async fn create_footprints(
        &self,
        actor: &Actor,
        footprints: Vec<Footprint>,
        visibility: Visibility,
    ) -> StoreResult<usize> {
        footprints::create_many(self, actor, footprints, visibility).await
    }
    async fn supersede_footprint(
        &self,
        actor: &Actor,
        old: FootprintId,
        new: Footprint,
    ) -> StoreResult<StoredFootprint> {
        footprints::supersede_footprint(self, actor, old, new).await
    }
    async fn get_footprint(&self, actor: &Actor, id: FootprintId) -> StoreResult<StoredFootprint> {
        footprints::get(self, actor, id).await
    }
    async fn list_footprints(
        &self,
        actor: &Actor,
        filter: &FootprintFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredFootprint>> {
        footprints::list(self, actor, filter, page).await
    }
    async fn list_footprints_pact_v3(
        &self,
        actor: &Actor,
        filter: &FootprintFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<PactFootprintText>> {
        footprints::list_pact_v3(self, actor, filter, page).await
    }
    async fn create_pact_partner(&self, actor: &Actor, new: NewPactPartner) -> StoreResult<PactPartner> {
        footprints::create_partner(self, actor, new).await
    }
    async fn list_pact_partners(&self, actor: &Actor) -> StoreResult<Vec<PactPartner>> {
        footprints::list_partners(self, actor).await
    }
    async fn pact_partner_at(&self, actor: &Actor, host: &str) -> StoreResult<Option<PactPartner>> {
        footprints::partner_at(self, actor, host).await
    }
    async fn enqueue_pact_event(&self, actor: &Actor, event: OutgoingPactEvent) -> StoreResult<bool> {
        footprints::enqueue(self, actor, event).await
    }
    async fn pact_events_due(&self, limit: u32) -> StoreResult<Vec<(PactOutboxEntry, PactPartner)>> {
        footprints::due(self, limit).await
    }
    async fn record_pact_attempt(&self, id: &str, outcome: Result<(), String>) -> StoreResult<PactOutboxEntry> {
        footprints::record_attempt(self, id, outcome).await
    }
    async fn list_pact_outbox(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<PactOutboxEntry>> {
        footprints::list_outbox(self, actor, page).await
    }

    async fn create_material_flow(&self, actor: &Actor, new: NewMaterialFlow) -> StoreResult<MaterialFlow> {
        indicators::create_flow(self, actor, new).await
    }
    async fn import_material_flows(
        &self,
        actor: &Actor,
        items: Vec<NewMaterialFlow>,
    ) -> StoreResult<Vec<MaterialFlow>> {
        indicators::import_flows(self, actor, items).await
    }
    async fn correct_material_flow(
        &self,
        actor: &Actor,
        id: MaterialFlowId,
        correction: MaterialFlowCorrection,
    ) -> StoreResult<MaterialFlow> {
        indicators::correct_flow(self, actor, id, correction).await
    }
    async fn get_material_flow(&self, actor: &Actor, id: MaterialFlowId) -> StoreResult<MaterialFlow> {
        indicators::get_flow(self, actor, id).await
    }
    async fn list_material_flows(
        &self,
        actor: &Actor,
        filter: &MaterialFlowFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<MaterialFlow>> {
        indicators::list_flows(self, actor, filter, page).await
    }
    async fn create_indicator_value(&self, actor: &Actor, new: NewIndicatorValue) -> StoreResult<IndicatorValue> {
        indicators::create_value(self, actor, new).await
    }
    async fn correct_indicator_value(
        &self,
        actor: &Actor,
        id: IndicatorValueId,
        correction: IndicatorValueCorrection,
    ) -> StoreResult<IndicatorValue> {
        indicators::correct_value(self, actor, id, correction).await
    }
    async fn get_indicator_value(&self, actor: &Actor, id: IndicatorValueId) -> StoreResult<IndicatorValue> {
        indicators::get_value(self, actor, id).await
    }
    async fn list_indicator_values(
        &self,
        actor: &Actor,
        filter: &IndicatorValueFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<IndicatorValue>> {
        indicators::list_values(self, actor, filter, page).await
    }
    async fn create_indicator_target(&self, actor: &Actor, new: NewIndicatorTarget) -> StoreResult<IndicatorTarget> {
        indicators::create_target(self, actor, new).await
    }
    async fn correct_indicator_target(
        &self,
        actor: &Actor,
        id: IndicatorTargetId,
        correction: IndicatorTargetCorrection,
    ) -> StoreResult<IndicatorTarget> {
        indicators::correct_target(self, actor, id, correction).await
    }
    async fn get_indicator_target(&self, actor: &Actor, id: IndicatorTargetId) -> StoreResult<IndicatorTarget> {
        indicators::get_target(self, actor, id).await
    }
    async fn list_indicator_targets(
        &self,
        actor: &Actor,
        filter: &IndicatorTargetFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<IndicatorTarget>> {
        indicators::list_targets(self, actor, filter, page).await
    }

    async fn create_ledger(&self, actor: &Actor, new: NewLedger) -> StoreResult<LedgerRecord> {
        ledgers::create(self, actor, new).await
    }
    async fn list_ledgers(
        &self,
        actor: &Actor,
        filter: &LedgerFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<LedgerRecord>> {
        ledgers::list(self, actor, filter, page).await
    }
    async fn get_ledger(&self, actor: &Actor, id: LedgerId) -> StoreResult<LedgerView> {
        ledgers::get(self, actor, id).await
    }
    async fn add_ledger_input(&self, actor: &Actor, id: LedgerId, input: NewLedgerInput) -> StoreResult<LedgerInput> {
        ledgers::add_input(self, actor, id, input).await
    }
    async fn import_ledger_inputs(
        &self,
        actor: &Actor,
        id: LedgerId,
        request: ImportLedgerInputs,
    ) -> StoreResult<LedgerImportReport> {
        ledgers::import(self, actor, id, request).await
    }
    async fn carry_over_ledger(
        &self,
        actor: &Actor,
        id: LedgerId,
        request: NewCarryOver,
    ) -> StoreResult<CarryOverReport> {
        ledgers::carry_over(self, actor, id, request).await
    }
    async fn claim_from_ledger(&self, actor: &Actor, id: LedgerId, claim: NewLedgerClaim) -> StoreResult<LedgerClaim> {
        ledgers::claim(self, actor, id, claim).await
    }
    async fn reverse_ledger_claim(
        &self,
        actor: &Actor,
        id: LedgerId,
        claim: LedgerClaimId,
        reversal: ReverseClaim,
    ) -> StoreResult<LedgerClaim> {
        ledgers::reverse(self, actor, id, claim, reversal).await
    }
    async fn close_ledger(&self, actor: &Actor, id: LedgerId) -> StoreResult<LedgerView> {
        ledgers::close(self, actor, id).await
    }
    async fn trace_ledger_claim(&self, actor: &Actor, id: LedgerId, claim: LedgerClaimId) -> StoreResult<ClaimTrace> {
        ledgers::trace(self, actor, id, claim).await
    }
    async fn ledger_claims_for_lots(
        &self,
        actor: &Actor,
        lots: &[String],
        material: Option<&str>,
    ) -> StoreResult<Vec<(LedgerRecord, LedgerClaim)>> {
        ledgers::claims_for_lots(self, actor, lots, material).await
    }

    async fn ledger_inputs_for_lots(
        &self,
        actor: &Actor,
        lots: &[String],
    ) -> StoreResult<Vec<(LedgerRecord, LedgerInput)>> {
        ledgers::inputs_for_lots(self, actor, lots).await
    }

    async fn ouranos_operator(&self, actor: &Actor, id: OrganizationId) -> StoreResult<Operator> {
        ouranos::operator(self, actor, id).await
    }
    async fn ouranos_operator_by_open_id(&self, actor: &Actor, open_operator_id: &str) -> StoreResult<Operator> {
        ouranos::operator_by_open_id(self, actor, open_operator_id).await
    }
    async fn ouranos_operators(&self, actor: &Actor, ids: &[OrganizationId]) -> StoreResult<Vec<Operator>> {
        ouranos::operators(self, actor, ids).await
    }
    async fn update_ouranos_operator(&self, actor: &Actor, update: OperatorUpdate) -> StoreResult<Operator> {
        ouranos::update_operator(self, actor, update).await
    }
    async fn list_ouranos_plants(&self, actor: &Actor) -> StoreResult<Vec<Plant>> {
        ouranos::list_plants(self, actor).await
    }
    async fn put_ouranos_plant(&self, actor: &Actor, write: PlantWrite) -> StoreResult<Plant> {
        ouranos::put_plant(self, actor, write).await
    }
    async fn put_ouranos_part(&self, actor: &Actor, write: PartWrite) -> StoreResult<Part> {
        ouranos::put_part(self, actor, write).await
    }
    async fn list_ouranos_parts(
        &self,
        actor: &Actor,
        filter: &PartFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Part>> {
        ouranos::list_parts(self, actor, filter, page).await
    }
    async fn delete_ouranos_part(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<()> {
        ouranos::delete_part(self, actor, trace_id).await
    }
    async fn get_parts_structure(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<PartsStructure> {
        ouranos::get_structure(self, actor, trace_id).await
    }
    async fn put_parts_structure(&self, actor: &Actor, write: PartsStructureWrite) -> StoreResult<PartsStructure> {
        ouranos::put_structure(self, actor, write).await
    }
    async fn create_trade_request(&self, actor: &Actor, new: NewTradeRequest) -> StoreResult<TradeRequest> {
        ouranos::create_trade_request(self, actor, new).await
    }
    async fn list_trade_requests(
        &self,
        actor: &Actor,
        filter: &TradeFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Trade>> {
        ouranos::list_trade_requests(self, actor, filter, page).await
    }
    async fn list_trade_responses(&self, actor: &Actor, page: &PageRequest) -> StoreResult<Page<TradeResponse>> {
        ouranos::list_trade_responses(self, actor, page).await
    }
    async fn answer_trade(&self, actor: &Actor, trade_id: Uuid, trace_id: Uuid) -> StoreResult<Trade> {
        ouranos::answer_trade(self, actor, trade_id, trace_id).await
    }
    async fn list_trade_statuses(
        &self,
        actor: &Actor,
        filter: &StatusFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<TradeStatus>> {
        ouranos::list_statuses(self, actor, filter, page).await
    }
    async fn change_trade_status(
        &self,
        actor: &Actor,
        status_id: Uuid,
        change: StatusChange,
    ) -> StoreResult<TradeStatus> {
        ouranos::change_status(self, actor, status_id, change).await
    }
    async fn put_ouranos_cfp(&self, actor: &Actor, write: CfpWrite) -> StoreResult<Vec<CfpRow>> {
        ouranos::put_cfp(self, actor, write).await
    }
    async fn ouranos_cfp_rows(&self, actor: &Actor, trace_ids: &[Uuid]) -> StoreResult<Vec<CfpRow>> {
        ouranos::cfp_rows(self, actor, trace_ids).await
    }
    async fn ouranos_rollup(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<Rollup> {
        ouranos::rollup_part(self, actor, trace_id)
            .await
            .map(|(rolled, _)| rolled)
    }
    async fn put_ouranos_remote_supply(
        &self,
        actor: &Actor,
        trace_id: Uuid,
        new: &junkan_model::federation::NewRemoteSupply,
    ) -> StoreResult<junkan_model::federation::RemoteSupply> {
        ouranos::remote::put_supply(self, actor, trace_id, new).await
    }
    async fn delete_ouranos_remote_supply(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<()> {
        ouranos::remote::delete_supply(self, actor, trace_id).await
    }
    async fn list_ouranos_remote_supplies(
        &self,
        actor: &Actor,
    ) -> StoreResult<Vec<junkan_model::federation::RemoteSupply>> {
        ouranos::remote::list_supplies(self, actor).await
    }
    async fn ouranos_remote_supplies_below(
        &self,
        actor: &Actor,
        trace_id: Uuid,
    ) -> StoreResult<Vec<junkan_model::federation::RemoteSupply>> {
        ouranos::remote::supplies_below(self, actor, trace_id).await
    }
    async fn ouranos_rollup_with_remote(
        &self,
        actor: &Actor,
        trace_id: Uuid,
        remote: Vec<junkan_footprint::rollup::RemotePart>,
    ) -> StoreResult<Rollup> {
        ouranos::remote::rollup_with_remote(self, actor, trace_id, remote).await
    }
    async fn ouranos_rollup_for_reader(
        &self,
        actor: &Actor,
        trace_id: Uuid,
    ) -> StoreResult<(
        Rollup,
        junkan_footprint::rollup::RolledValue,
        junkan_model::ids::OrganizationId,
    )> {
        ouranos::remote::rollup_for_reader(self, actor, trace_id).await
    }
    async fn list_cfp_certifications(&self, actor: &Actor, trace_id: Uuid) -> StoreResult<Vec<CfpCertification>> {
        ouranos::list_certifications(self, actor, trace_id).await
    }
    async fn put_cfp_certification(
        &self,
        actor: &Actor,
        write: CfpCertificationWrite,
    ) -> StoreResult<CfpCertification> {
        ouranos::put_certification(self, actor, write).await
    }
    async fn change_own_password(&self, actor: &Actor, password_hash: &str) -> StoreResult<()> {
        ouranos::change_own_password(self, actor, password_hash).await
    }
    async fn set_own_locale(&self, actor: &Actor, locale: &str) -> StoreResult<User> {
        principals::set_own_locale(self, actor, locale).await
    }

    async fn designate_partner_secretariat(
        &self,
        actor: &Actor,
        organization: OrganizationId,
    ) -> StoreResult<Secretariat> {
        partners::designate_secretariat(self, actor, organization).await
    }
    async fn partner_secretariat(&self) -> StoreResult<Option<Secretariat>> {
        partners::secretariat(self).await
    }
    async fn apply_for_membership(&self, actor: &Actor, application: NewApplication) -> StoreResult<Membership> {
        partners::apply(self, actor, application).await
    }
    async fn review_membership(&self, actor: &Actor, id: MembershipId, review: Review) -> StoreResult<Membership> {
        partners::review(self, actor, id, review).await
    }
    async fn withdraw_membership(
        &self,
        actor: &Actor,
        id: MembershipId,
        withdrawal: Withdrawal,
    ) -> StoreResult<Membership> {
        partners::withdraw(self, actor, id, withdrawal).await
    }
    async fn update_membership(
        &self,
        actor: &Actor,
        id: MembershipId,
        settings: MembershipSettings,
    ) -> StoreResult<Membership> {
        partners::update(self, actor, id, settings).await
    }
    async fn get_membership(&self, actor: &Actor, id: MembershipId) -> StoreResult<Membership> {
        partners::get_membership(self, actor, id).await
    }
    async fn list_memberships(&self, actor: &Actor, filter: &MembershipFilter) -> StoreResult<Vec<Membership>> {
        partners::list_memberships(self, actor, filter).await
    }
    async fn submit_partner_target(&self, actor: &Actor, submission: TargetSubmission) -> StoreResult<PartnerTarget> {
        let mut stored = partners::submit_targets(self, actor, vec![submission], false).await?;
        stored
            .pop()
            .ok_or_else(|| StoreError::Unavailable("a submitted target was not returned".into()))
    }
    async fn import_partner_targets(
        &self,
        actor: &Actor,
        submissions: Vec<TargetSubmission>,
    ) -> StoreResult<Vec<PartnerTarget>> {
        partners::submit_targets(self, actor, submissions, true).await
    }
    async fn edit_partner_target(
        &self,
        actor: &Actor,
        id: PartnerTargetId,
        submission: TargetSubmission,
    ) -> StoreResult<PartnerTarget> {
        partners::edit_target(self, actor, id, submission).await
    }
    async fn get_partner_target(
        &self,
        actor: &Actor,
        id: PartnerTargetId,
        version: Option<i64>,
    ) -> StoreResult<PartnerTarget> {
        partners::get_target(self, actor, id, version).await
    }
    async fn list_partner_target_versions(
        &self,
        actor: &Actor,
        id: PartnerTargetId,
    ) -> StoreResult<Vec<PartnerTarget>> {
        partners::target_versions(self, actor, id).await
    }
    async fn list_partner_targets(&self, actor: &Actor, filter: &TargetFilter) -> StoreResult<Vec<PartnerTarget>> {
        partners::list_targets(self, actor, filter).await
    }
    async fn submit_follow_up(
        &self,
        actor: &Actor,
        target: PartnerTargetId,
        submission: FollowUpSubmission,
    ) -> StoreResult<FollowUp> {
        partners::submit_follow_up(self, actor, target, submission).await
    }
    async fn list_follow_ups(&self, actor: &Actor, filter: &FollowUpFilter) -> StoreResult<Vec<FollowUp>> {
        partners::list_follow_ups(self, actor, filter).await
    }

    async fn list_certificate_schemes(&self) -> StoreResult<Vec<CertificateScheme>> {
        certificates::list_schemes(self).await
    }
    async fn create_certificate_scheme(
        &self,
        actor: &Actor,
        scheme: CertificateScheme,
    ) -> StoreResult<CertificateScheme> {
        certificates::create_scheme(self, actor, scheme).await
    }
    async fn prepare_certificate(&self, actor: &Actor, new: NewCertificate) -> StoreResult<CertificateDraft> {
        certificates::prepare(self, actor, new).await
    }
    async fn create_certificate(
        &self,
        actor: &Actor,
        draft: CertificateDraft,
        signed: SignedCertificate,
    ) -> StoreResult<Certificate> {
        certificates::create(self, actor, draft, signed).await
    }
    async fn get_certificate(&self, actor: &Actor, id: CertificateId) -> StoreResult<Certificate> {
        certificates::get(self, actor, id).await
    }
    async fn list_certificates(
        &self,
        actor: &Actor,
        filter: &CertificateFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Certificate>> {
        certificates::list(self, actor, filter, page).await
    }
    async fn revoke_certificate(
        &self,
        actor: &Actor,
        id: CertificateId,
        revocation: CertificateRevocation,
    ) -> StoreResult<Certificate> {
        certificates::revoke(self, actor, id, revocation).await
    }
}

/// Helpers for tests that run against PostgreSQL.
pub mod testing {
    /// The test database URL from `JUNKAN_TEST_POSTGRES_URL`, or `None` when unset. Panics when
    /// unset while `JUNKAN_REQUIRE_POSTGRES=1`, so that CI cannot silently skip PostgreSQL.
    pub fn postgres_url() -> Option<String> {
        match std::env::var("JUNKAN_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var("JUNKAN_REQUIRE_POSTGRES").is_ok_and(|value| value == "1") => {
                panic!("JUNKAN_REQUIRE_POSTGRES=1 but JUNKAN_TEST_POSTGRES_URL is not set")
            }
            _ => None,
        }
    }

    /// Runs raw SQL on the writer, for tests that must reach below the `Store` trait (e.g. to
    /// check that the database itself refuses to change the audit log).
    pub async fn execute(store: &crate::SqlStore, sql: &str) -> Result<u64, sqlx::Error> {
        sqlx::query(sql)
            .execute(&store.writer)
            .await
            .map(|result| result.rows_affected())
    }

    /// The one integer of a raw `SELECT` (e.g. a count), for tests that look at a table below the
    /// `Store` trait, e.g. before a migration the current code cannot read yet.
    pub async fn select_integer(store: &crate::SqlStore, sql: &str) -> Result<i64, sqlx::Error> {
        use sqlx::Row;
        sqlx::query(sql).fetch_one(&store.reader).await?.try_get::<i64, _>(0)
    }

    /// The one text of a raw `SELECT`, for tests that change a stored row behind the store.
    pub async fn select_text(store: &crate::SqlStore, sql: &str) -> Result<String, sqlx::Error> {
        use sqlx::Row;
        sqlx::query(sql).fetch_one(&store.reader).await?.try_get::<String, _>(0)
    }

    /// Runs a raw statement with text parameters `$1`, `$2`, ... on the writer (a tampering
    /// test's edit behind the node's back).
    pub async fn execute_with(store: &crate::SqlStore, sql: &str, values: &[&str]) -> Result<u64, sqlx::Error> {
        let mut query = sqlx::query(sql);
        for value in values {
            query = query.bind(value.to_string());
        }
        query.execute(&store.writer).await.map(|result| result.rows_affected())
    }

    /// Applies the backend's migrations up to `version` only, so that a test can store data in an
    /// earlier shape and check that a later migration carries it over.
    pub async fn migrate_to(store: &crate::SqlStore, version: i64) -> Result<(), sqlx::migrate::MigrateError> {
        let all = match store.backend {
            junkan_store::Backend::Sqlite => &crate::SQLITE_MIGRATIONS,
            junkan_store::Backend::Postgres => &crate::POSTGRES_MIGRATIONS,
        };
        let mut partial = sqlx::migrate::Migrator::DEFAULT;
        partial.migrations = all
            .iter()
            .filter(|migration| migration.version <= version)
            .cloned()
            .collect();
        partial.run(&store.writer).await
    }

    /// The same store (same pools) with a graph cache of its own, empty: its roll-ups read their
    /// graphs in full, whatever the other keeps (a test compares a patched graph with this).
    pub fn with_own_graph_cache(store: &crate::SqlStore) -> crate::SqlStore {
        crate::SqlStore {
            graphs: std::sync::Arc::default(),
            ..store.clone()
        }
    }

    /// The supply graph below `root` as a roll-up of `store` gets it now (its parts, in walk
    /// order, and the suppliers' parts it reads through trades as (trace id, operator)), and how
    /// it got it. Changes nothing but the store's graph cache.
    pub async fn supply_graph(
        store: &crate::SqlStore,
        root: uuid::Uuid,
    ) -> crate::StoreResult<(
        Vec<junkan_footprint::rollup::Part>,
        Vec<(String, String)>,
        crate::GraphSource,
    )> {
        crate::ouranos::supply_graph_for_test(store, root).await
    }

    /// Creates a new, empty schema in the database at `url` and returns a URL whose connections
    /// use it, so that every test starts from nothing without creating databases.
    pub async fn fresh_postgres_schema(url: &str) -> String {
        use sqlx::Connection;
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = sqlx::PgConnection::connect(url)
            .await
            .expect("connect to the test PostgreSQL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut connection)
            .await
            .expect("create schema");
        connection.close().await.expect("close");
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}options=-c%20search_path%3D{schema}")
    }
}
