//! The junkan HTTP API: one axum [`router`] over an `Arc<dyn Store>`.
//!
//! Handlers are thin: they extract the [`extract::Caller`] and a validated body, call one store
//! method with the caller's actor, and render the result. Access decisions are the store's;
//! errors become RFC 9457 problem+json through [`error::ApiError`].

pub mod certificates;
pub mod delivery;
pub mod dsp;
pub mod error;
pub mod extract;
pub mod federation;
pub mod handlers;
pub mod openapi;
pub mod pact_client;
pub mod pact_delivery;
pub mod paging;
pub mod resolver;
pub mod schemas;
pub mod sign_in_throttle;
pub mod trust;
pub mod web;
pub mod xlsx;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use junkan_auth::Keyring;
use junkan_store::{SigningKeyRecord, Store, StoreError};

use crate::error::ApiError;

/// Settings of the API that come from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The node's public base URL, e.g. `https://junkan.example.jp`; issuer and audience of tokens.
    pub issuer: String,
    /// Lifetime of access tokens.
    pub token_lifetime: Duration,
    /// Lifetime of web sessions.
    pub session_lifetime: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Whether cookies carry the `Secure` attribute (true when served over TLS).
    pub secure_cookies: bool,
    /// How long the resolver keeps a rendered public view (zero: no cache).
    pub resolver_cache_ttl: Duration,
    /// How many rendered public views the resolver keeps at most.
    pub resolver_cache_capacity: usize,
    /// Whether every EPCIS capture is signed by the capturing organization: a credential over
    /// the Merkle root of its events' digests, kept with the job (`trust::sign_capture`).
    pub sign_captures: bool,
    /// Whether every passport version and footprint is signed by its owner organization when
    /// written, the credential kept (`handlers::credentials::sign_written`).
    pub sign_records: bool,
}

impl Settings {
    /// Defaults for a node at `issuer`.
    pub fn new(issuer: &str) -> Settings {
        Settings {
            issuer: issuer.trim_end_matches('/').to_owned(),
            token_lifetime: Duration::from_secs(3600),
            session_lifetime: Duration::from_secs(8 * 3600),
            body_limit: 10 * 1024 * 1024,
            secure_cookies: issuer.starts_with("https://"),
            resolver_cache_ttl: resolver::DEFAULT_CACHE_TTL,
            resolver_cache_capacity: resolver::DEFAULT_CACHE_CAPACITY,
            sign_captures: true,
            sign_records: true,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The node's keys (access tokens, signed tree heads), reloaded from the store by
    /// [`AppState::reload_keys`] so that a rotation takes effect without a restart.
    keys: Arc<std::sync::RwLock<Arc<Keyring>>>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Body validators.
    pub schemas: schemas::Schemas,
    /// Bumped after every capture that stored events; subscriptions wait on it.
    pub captured: Arc<tokio::sync::watch::Sender<u64>>,
    /// The resolver's cache of public views and compiled profiles. Passport writes call
    /// [`AppState::passport_written`] so that this process never serves a stale view.
    pub resolver: resolver::ResolverState,
    /// Wakes the PACT outbox sender ([`pact_delivery`]) after something was enqueued.
    pub pact_outbox_wake: Arc<tokio::sync::Notify>,
    /// Peers' DID documents fetched for federation and the HTTP agent for peers.
    pub federation: federation::FederationState,
    /// Password sign-in failures per account name (API, web and Ouranos logins).
    pub sign_in_throttle: Arc<sign_in_throttle::SignInThrottle>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, loading (or on first start creating) the signing keys.
    pub async fn new(store: Arc<dyn Store>, settings: Settings) -> Result<AppState, StoreError> {
        let keys = load_keyring(store.as_ref()).await?;
        let resolver = resolver::ResolverState::new(settings.resolver_cache_ttl, settings.resolver_cache_capacity);
        Ok(AppState {
            store,
            keys: Arc::new(std::sync::RwLock::new(Arc::new(keys))),
            settings: Arc::new(settings),
            schemas: schemas::Schemas::new(&openapi::document()),
            captured: Arc::new(tokio::sync::watch::channel(0).0),
            resolver,
            pact_outbox_wake: Arc::new(tokio::sync::Notify::new()),
            federation: federation::FederationState::default(),
            sign_in_throttle: Arc::default(),
        })
    }

    /// The node's keyring as last loaded: the newest key in use signs, every key verifies.
    pub fn keys(&self) -> Arc<Keyring> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the node's keys from the store again (after `junkan admin rotate-key --node`, from
    /// this process or another sharing the database): the new key signs from now on, and the
    /// retired ones still verify what they signed.
    pub async fn reload_keys(&self) -> Result<(), StoreError> {
        let keys = Arc::new(load_keyring(self.store.as_ref()).await?);
        match self.keys.write() {
            Ok(mut current) => *current = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
        Ok(())
    }

    /// Reloads the node's keys every `interval` for as long as the process runs (a failure is
    /// logged and tried again at the next tick).
    pub async fn reload_keys_periodically(self, interval: std::time::Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(error) = self.reload_keys().await {
                tracing::warn!(%error, "reloading the node's keys failed");
            }
        }
    }

    /// Records that the passport `identifier` was written through this process: its cached
    /// public views are dropped.
    pub fn passport_written(&self, identifier: &str) {
        self.resolver.views.invalidate(identifier);
    }
}

/// The node's keyring from the store, creating the first key when there is none.
pub async fn load_keyring(store: &dyn Store) -> Result<Keyring, StoreError> {
    let mut records = store.signing_keys().await?;
    if records.is_empty() {
        let (kid, secret) = Keyring::generate_secret();
        records = store
            .add_signing_key(&SigningKeyRecord {
                kid,
                secret,
                created_at: store.now(),
            })
            .await?;
    }
    Keyring::from_secrets(
        records
            .iter()
            .map(|record| (record.kid.as_str(), record.secret.as_str())),
    )
    .map_err(|error| StoreError::Unavailable(error.into()))
}

/// The whole HTTP interface.
pub fn router(state: AppState) -> Router {
    use handlers::federation;
    use handlers::{
        audit, auth, epcis, epcis_queries, facilities, footprints, grants, health, indicator_records, indicators,
        ledgers, lineage, material_flows, organizations, pact, partners, passports, principals, reference, resolver,
        sharing, transparency_log,
    };
    let request_id = HeaderName::from_static("x-request-id");
    let body_limit = state.settings.body_limit;
    let api = Router::new()
        .route("/me", get(auth::get_me))
        .route("/openapi.json", get(openapi::get_openapi))
        .route(
            "/organizations",
            get(organizations::list_organizations).post(organizations::create_organization),
        )
        .route(
            "/organizations/{id}",
            get(organizations::get_organization).patch(organizations::update_organization),
        )
        .route(
            "/organizations/{id}/users",
            get(principals::list_users).post(principals::create_user),
        )
        .route(
            "/organizations/{id}/clients",
            get(principals::list_clients).post(principals::create_client),
        )
        .route(
            "/organizations/{id}/api-keys",
            get(principals::list_api_keys).post(principals::create_api_key),
        )
        .route("/clients/{id}/revoke", post(principals::revoke_client))
        .route("/api-keys/{id}/revoke", post(principals::revoke_api_key))
        .route(
            "/facilities",
            get(facilities::list_facilities).post(facilities::create_facility),
        )
        .route(
            "/facilities/{id}",
            get(facilities::get_facility).patch(facilities::update_facility),
        )
        .route("/grants", get(grants::list_grants).post(grants::create_grant))
        .route("/grants/{id}", get(grants::get_grant))
        .route("/grants/{id}/revoke", post(grants::revoke_grant))
        .route(
            "/certifications",
            get(grants::list_certifications).post(grants::create_certification),
        )
        .route("/certifications/{id}/revoke", post(grants::revoke_certification))
        .route("/audit", get(audit::list_audit))
        .route("/log/inclusion", get(transparency_log::get_inclusion))
        .route("/log/tree-heads", post(transparency_log::create_tree_head))
        .route("/log/verification", get(transparency_log::verify_log))
        .route("/lineage", get(lineage::get_lineage))
        .route(
            "/profiles",
            get(passports::list_profiles).post(passports::register_profile),
        )
        .route("/profiles/{code}", get(passports::get_profile))
        .route(
            "/passports",
            get(passports::list_passports).post(passports::create_passport),
        )
        .route("/passports/import", post(passports::import_passports))
        .route("/passports/export", get(passports::export_passports))
        .route(
            "/passports/{id}",
            get(passports::get_passport).patch(passports::update_passport),
        )
        .route("/passports/{id}/versions", get(passports::list_versions))
        .route("/passports/{id}/diff", get(passports::diff_versions))
        .route("/passports/{id}/export", get(passports::export_passport))
        .route(
            "/industries",
            get(reference::list_industries).post(reference::create_industry),
        )
        .route("/indicators", get(indicators::list_indicators))
        .route(
            "/indicators/{name}",
            get(indicator_records::get_indicator_for_scope).post(indicators::compute_indicator),
        )
        .route(
            "/indicators/{name}/series",
            get(indicator_records::get_indicator_series),
        )
        // Material-flow records, stored indicator values and targets (issue 6).
        .route(
            "/material-flows",
            get(material_flows::list_material_flows).post(material_flows::create_material_flow),
        )
        .route("/material-flows/import", post(material_flows::import_material_flows))
        .route("/material-flows/{id}", get(material_flows::get_material_flow))
        .route(
            "/material-flows/{id}/corrections",
            post(material_flows::correct_material_flow),
        )
        .route(
            "/indicator-values",
            get(indicator_records::list_indicator_values).post(indicator_records::create_indicator_value),
        )
        .route("/indicator-values/{id}", get(indicator_records::get_indicator_value))
        .route(
            "/indicator-values/{id}/corrections",
            post(indicator_records::correct_indicator_value),
        )
        .route(
            "/indicator-targets",
            get(indicator_records::list_indicator_targets).post(indicator_records::create_indicator_target),
        )
        .route("/indicator-targets/{id}", get(indicator_records::get_indicator_target))
        .route(
            "/indicator-targets/{id}/corrections",
            post(indicator_records::correct_indicator_target),
        )
        // Chain-of-custody ledgers (CoC 台帳, issue 6).
        .route("/ledgers", get(ledgers::list_ledgers).post(ledgers::create_ledger))
        .route("/ledgers/{id}", get(ledgers::get_ledger))
        .route("/ledgers/{id}/inputs", post(ledgers::add_ledger_input))
        .route(
            "/ledgers/{id}/inputs/import-events",
            post(ledgers::import_ledger_inputs),
        )
        .route("/ledgers/{id}/claims", post(ledgers::claim_from_ledger))
        .route("/ledgers/{id}/carry-over", post(ledgers::carry_over_ledger))
        .route(
            "/ledgers/{id}/claims/{claim_id}/reversal",
            post(ledgers::reverse_ledger_claim),
        )
        .route(
            "/ledgers/{id}/claims/{claim_id}/trace",
            get(ledgers::trace_ledger_claim),
        )
        .route("/ledgers/{id}/close", post(ledgers::close_ledger))
        .route("/prefectures", get(reference::list_prefectures))
        .route("/municipalities", get(reference::list_municipalities))
        .route("/passports/{id}/qr", get(resolver::get_passport_qr))
        // Footprints (issue 5): junkan's management routes.
        .route(
            "/footprints",
            get(footprints::list_footprints).post(footprints::create_footprint),
        )
        .route("/footprints/{id}", get(footprints::get_footprint))
        .route("/footprints/{id}/supersede", post(footprints::supersede_footprint))
        .route("/footprints/{id}/share", post(footprints::share_footprint))
        .route(
            "/pact/partners",
            get(footprints::list_pact_partners).post(footprints::create_pact_partner),
        )
        .route("/pact/outbox", get(footprints::list_pact_outbox))
        // Circular Partners (issue 8).
        .route(
            "/partners/secretariat",
            get(partners::get_secretariat).put(partners::put_secretariat),
        )
        .route("/partners/secretariat/overview", get(partners::get_secretariat_view))
        .route(
            "/partners/memberships",
            get(partners::list_memberships).post(partners::apply_for_membership),
        )
        .route(
            "/partners/memberships/{id}",
            get(partners::get_membership).patch(partners::update_membership),
        )
        .route("/partners/memberships/{id}/review", post(partners::review_membership))
        .route(
            "/partners/memberships/{id}/withdraw",
            post(partners::withdraw_membership),
        )
        .route(
            "/partners/targets",
            get(partners::list_targets).post(partners::submit_target),
        )
        .route("/partners/targets/import", post(partners::import_targets))
        .route("/partners/targets/export", get(partners::export_targets))
        .route(
            "/partners/targets/{id}",
            get(partners::get_target).put(partners::edit_target),
        )
        .route("/partners/targets/{id}/versions", get(partners::list_target_versions))
        .route("/partners/targets/{id}/progress", get(partners::get_target_progress))
        .route("/partners/targets/{id}/follow-ups", post(partners::submit_follow_up))
        .route("/partners/follow-ups", get(partners::list_follow_ups))
        // Conformity certificates (適合性証明, issue 9).
        .route(
            "/certificate-schemes",
            get(handlers::certificates::list_certificate_schemes)
                .post(handlers::certificates::create_certificate_scheme),
        )
        .route(
            "/certificates",
            get(handlers::certificates::list_certificates).post(handlers::certificates::create_certificate),
        )
        .route("/certificates/{id}", get(handlers::certificates::get_certificate))
        .route(
            "/certificates/{id}/credential",
            get(handlers::certificates::get_certificate_credential),
        )
        .route(
            "/certificates/{id}/revoke",
            post(handlers::certificates::revoke_certificate),
        )
        .route(
            "/certificates/{id}/verification",
            get(handlers::certificates::get_certificate_verification),
        )
        .route(
            "/organizations/{id}/keys/rotate",
            post(handlers::trust::rotate_organization_keys),
        )
        .route(
            "/credentials/{kind}/{id}",
            get(handlers::credentials::export_credential),
        )
        .route(
            "/credentials/{id}/revoke",
            post(handlers::credentials::revoke_credential),
        )
        .route("/verify", post(handlers::credentials::verify_credential))
        // Data sovereignty (issue 10): access requests, policies, standing rules, offers.
        .route(
            "/access-requests",
            get(sharing::list_access_requests).post(sharing::create_access_request),
        )
        .route("/access-requests/{id}", get(sharing::get_access_request))
        .route("/access-requests/{id}/approve", post(sharing::approve_access_request))
        .route("/access-requests/{id}/narrow", post(sharing::narrow_access_request))
        .route("/access-requests/{id}/refuse", post(sharing::refuse_access_request))
        .route("/access-requests/{id}/withdraw", post(sharing::withdraw_access_request))
        .route("/grants/{id}/policy", get(sharing::get_grant_policy))
        .route(
            "/standing-rules",
            get(sharing::list_standing_rules).post(sharing::create_standing_rule),
        )
        .route(
            "/dataset-offers",
            get(sharing::list_dataset_offers).post(sharing::create_dataset_offer),
        )
        .route("/dataset-offers/{id}", get(sharing::get_dataset_offer))
        .route("/dataset-offers/{id}/withdraw", post(sharing::withdraw_dataset_offer))
        // Dataspace Protocol, consumer side (junkan's management API).
        .route(
            "/dsp/negotiations",
            get(dsp::api::list_negotiations).post(dsp::api::create_negotiation),
        )
        .route("/dsp/negotiations/{id}", get(dsp::api::get_negotiation))
        .route(
            "/dsp/transfers",
            get(dsp::api::list_transfers).post(dsp::api::create_transfer),
        )
        .route("/dsp/transfers/{id}", get(dsp::api::get_transfer))
        .route("/dsp/transfers/{id}/data", get(dsp::api::pull_transfer_data))
        .route("/dsp/transfers/{id}/complete", post(dsp::api::complete_transfer))
        .route("/peers", get(federation::list_peers).post(federation::create_peer))
        .route("/peers/{id}", get(federation::get_peer))
        .route("/peers/{id}/catalog", post(federation::fetch_peer_catalog))
        .route(
            "/remote-requests",
            get(federation::list_remote_requests).post(federation::create_remote_request),
        )
        .route("/remote-requests/{id}", get(federation::get_remote_request))
        .route(
            "/remote-requests/{id}/refresh",
            post(federation::refresh_remote_request),
        )
        .route("/remote-requests/{id}/pull", post(federation::pull_remote_request))
        .route("/received-records", get(federation::list_received_records))
        .route("/received-records/{id}", get(federation::get_received_record))
        .route(
            "/ouranos-remote-supplies",
            get(federation::list_ouranos_remote_supplies),
        )
        .route(
            "/ouranos-remote-supplies/{trace_id}",
            axum::routing::put(federation::put_ouranos_remote_supply).delete(federation::delete_ouranos_remote_supply),
        );
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/.well-known/openid-configuration", get(auth::openid_configuration))
        .route("/.well-known/jwks.json", get(auth::jwks))
        .route(
            "/.well-known/junkan-log/sth",
            get(transparency_log::get_latest_tree_head),
        )
        .route(
            "/.well-known/junkan-log/tree-heads",
            get(transparency_log::list_tree_heads),
        )
        .route(
            "/.well-known/junkan-log/consistency",
            get(transparency_log::get_consistency),
        )
        // Trust services (issue 9): DID documents, JWK sets, revocation status lists.
        .route("/.well-known/did.json", get(handlers::trust::get_node_did))
        .route(
            "/organizations/{id}/did.json",
            get(handlers::trust::get_organization_did),
        )
        .route(
            "/organizations/{id}/jwks.json",
            get(handlers::trust::get_organization_jwks),
        )
        .route(
            "/credentials/status/{organization}",
            get(handlers::trust::get_status_list),
        )
        .route("/auth/token", post(auth::issue_token))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/voc/junkan-cbv.jsonld", get(reference::get_vocabulary))
        .route("/voc/junkan-cbv-context.jsonld", get(reference::get_vocabulary_context))
        .route("/epcis/capture", get(epcis::list_captures).post(epcis::capture))
        .route("/epcis/capture/{id}", get(epcis::get_capture))
        .route("/epcis/capture/{id}/credential", get(epcis::get_capture_credential))
        .route("/epcis/events", get(epcis::query_events).post(epcis::capture_event))
        .route("/epcis/events/{id}", get(epcis::get_event))
        .route("/epcis", get(epcis_queries::top_level))
        .route(
            "/epcis/queries",
            get(epcis_queries::list_queries).post(epcis_queries::create_query),
        )
        .route(
            "/epcis/queries/{name}",
            get(epcis_queries::get_query).delete(epcis_queries::delete_query),
        )
        .route(
            "/epcis/queries/{name}/subscriptions",
            get(epcis_queries::list_subscriptions).post(epcis_queries::subscribe),
        )
        .route(
            "/epcis/queries/{name}/subscriptions/{id}",
            get(epcis_queries::get_subscription).delete(epcis_queries::unsubscribe),
        )
        .route("/epcis/queries/{name}/events", get(epcis_queries::query_events))
        .route("/epcis/{resource}", get(epcis_queries::list_resource))
        .route("/epcis/{resource}/{value}", get(epcis_queries::value_resource))
        .route("/epcis/{resource}/{value}/events", get(epcis_queries::value_events))
        // Footprints (issue 5): the PACT host system, v3 and v2.3, in PACT's own error shape.
        .route("/3/footprints", get(pact::list_footprints_v3))
        .route("/3/footprints/{id}", get(pact::get_footprint_v3))
        .route("/3/events", post(pact::post_events_v3))
        .route("/2/footprints", get(pact::list_footprints_v2))
        .route("/2/footprints/{id}", get(pact::get_footprint_v2))
        .route("/2/events", post(pact::post_events_v2))
        .route("/catalog", get(sharing::get_catalog))
        .route("/federation/v1/catalog", get(federation::federation_catalog))
        .route(
            "/federation/v1/access-requests",
            post(federation::federation_create_access_request),
        )
        .route(
            "/federation/v1/access-requests/{id}",
            get(federation::federation_get_access_request),
        )
        .route(
            "/federation/v1/credentials/{kind}/{id}",
            get(federation::federation_export_credential),
        )
        .route("/federation/v1/lineage", get(federation::federation_lineage))
        .route(
            "/federation/v1/grants/{id}/records",
            get(federation::federation_granted_records),
        )
        .route(
            "/federation/v1/ouranos/cfp-rollup/{trace_id}",
            get(federation::federation_ouranos_rollup),
        )
        .route("/federation/v1/grants", get(federation::federation_list_grants))
        .route("/catalog/datasets/{id}", get(sharing::get_catalog_dataset))
        // The Eclipse Dataspace Protocol 2025-1 (HTTPS binding, both sides).
        .route("/.well-known/dspace-version", get(dsp::routes::get_protocol_versions))
        .nest("/dsp", dsp::routes::routes())
        .nest("/api/v1", api)
        // The Ouranos-compatible API (its OpenAPI paths relative to `{base_url}/ouranos`).
        .nest("/ouranos", handlers::ouranos::routes())
        .merge(resolver::routes())
        .merge(web::routes(&state))
        .fallback(|| async { ApiError::not_found("no such resource") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal(&"a handler panicked").into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %request_id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
