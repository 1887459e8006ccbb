//! The OpenAPI 3.1 document, generated from the handlers and types, served at
//! `/api/v1/openapi.json` and kept in `docs/openapi.json` by a snapshot test.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers;

#[derive(OpenApi)]
#[openapi(
    info(title = "junkan API", description = "Circular economy information distribution platform (サーキュラーエコノミー情報流通プラットフォーム). Errors are RFC 9457 problem+json; lists are cursor-paged with Link rel=next."),
    paths(
        handlers::health::healthz, handlers::health::readyz,
        handlers::auth::issue_token, handlers::auth::openid_configuration, handlers::auth::jwks,
        handlers::auth::login, handlers::auth::logout, handlers::auth::get_me,
        handlers::organizations::list_organizations, handlers::organizations::create_organization,
        handlers::organizations::get_organization, handlers::organizations::update_organization,
        handlers::principals::list_users, handlers::principals::create_user,
        handlers::principals::list_clients, handlers::principals::create_client, handlers::principals::revoke_client,
        handlers::principals::list_api_keys, handlers::principals::create_api_key, handlers::principals::revoke_api_key,
        handlers::facilities::list_facilities, handlers::facilities::create_facility,
        handlers::facilities::get_facility, handlers::facilities::update_facility,
        handlers::grants::list_grants, handlers::grants::create_grant, handlers::grants::get_grant, handlers::grants::revoke_grant,
        handlers::grants::list_certifications, handlers::grants::create_certification, handlers::grants::revoke_certification,
        handlers::audit::list_audit,
        handlers::sharing::create_access_request, handlers::sharing::list_access_requests,
        handlers::sharing::get_access_request, handlers::sharing::approve_access_request,
        handlers::sharing::narrow_access_request, handlers::sharing::refuse_access_request,
        handlers::sharing::withdraw_access_request, handlers::sharing::get_grant_policy,
        handlers::sharing::list_standing_rules, handlers::sharing::create_standing_rule,
        handlers::sharing::list_dataset_offers, handlers::sharing::create_dataset_offer,
        handlers::sharing::get_dataset_offer, handlers::sharing::withdraw_dataset_offer,
        handlers::sharing::get_catalog, handlers::sharing::get_catalog_dataset,
        crate::dsp::routes::get_protocol_versions, crate::dsp::routes::request_catalog, crate::dsp::routes::get_dataset,
        crate::dsp::routes::request_negotiation, crate::dsp::routes::get_negotiation, crate::dsp::routes::counter_request,
        crate::dsp::routes::negotiation_event_message, crate::dsp::routes::verify_agreement,
        crate::dsp::routes::terminate_negotiation, crate::dsp::routes::receive_offer, crate::dsp::routes::receive_agreement,
        crate::dsp::routes::request_transfer, crate::dsp::routes::get_transfer, crate::dsp::routes::start_transfer,
        crate::dsp::routes::complete_transfer, crate::dsp::routes::suspend_transfer, crate::dsp::routes::terminate_transfer,
        crate::dsp::routes::pull_data,
        crate::dsp::api::create_negotiation, crate::dsp::api::list_negotiations, crate::dsp::api::get_negotiation,
        crate::dsp::api::create_transfer, crate::dsp::api::list_transfers, crate::dsp::api::get_transfer,
        crate::dsp::api::pull_transfer_data, crate::dsp::api::complete_transfer,
        handlers::federation::federation_catalog, handlers::federation::federation_create_access_request,
        handlers::federation::federation_get_access_request, handlers::federation::federation_export_credential,
        handlers::federation::federation_lineage,
        handlers::federation::create_peer, handlers::federation::list_peers, handlers::federation::get_peer,
        handlers::federation::fetch_peer_catalog, handlers::federation::create_remote_request,
        handlers::federation::list_remote_requests, handlers::federation::get_remote_request,
        handlers::federation::refresh_remote_request, handlers::federation::pull_remote_request,
        handlers::federation::list_received_records, handlers::federation::get_received_record,
        handlers::federation::federation_ouranos_rollup, handlers::federation::put_ouranos_remote_supply,
        handlers::federation::delete_ouranos_remote_supply, handlers::federation::list_ouranos_remote_supplies,
        handlers::federation::federation_granted_records,
        handlers::federation::federation_list_grants,
        handlers::transparency_log::get_latest_tree_head,
        handlers::transparency_log::list_tree_heads,
        handlers::transparency_log::get_consistency,
        handlers::transparency_log::get_inclusion,
        handlers::transparency_log::create_tree_head,
        handlers::transparency_log::verify_log,
        handlers::lineage::get_lineage,
        handlers::reference::list_industries, handlers::reference::create_industry,
        handlers::reference::list_prefectures, handlers::reference::list_municipalities,
        handlers::reference::get_vocabulary, handlers::reference::get_vocabulary_context,
        handlers::epcis::capture, handlers::epcis::list_captures, handlers::epcis::get_capture,
        handlers::epcis::capture_event, handlers::epcis::query_events, handlers::epcis::get_event,
        handlers::epcis_queries::top_level, handlers::epcis_queries::list_resource,
        handlers::epcis_queries::value_resource, handlers::epcis_queries::value_events,
        handlers::epcis_queries::create_query, handlers::epcis_queries::list_queries,
        handlers::epcis_queries::get_query, handlers::epcis_queries::delete_query,
        handlers::epcis_queries::subscribe, handlers::epcis_queries::list_subscriptions,
        handlers::epcis_queries::get_subscription, handlers::epcis_queries::unsubscribe,
        handlers::epcis_queries::query_events,
        handlers::passports::list_passports, handlers::passports::create_passport, handlers::passports::get_passport,
        handlers::passports::update_passport, handlers::passports::list_versions, handlers::passports::diff_versions,
        handlers::passports::export_passport, handlers::passports::import_passports, handlers::passports::export_passports,
        handlers::passports::list_profiles, handlers::passports::get_profile, handlers::passports::register_profile,
        handlers::indicators::list_indicators, handlers::indicators::compute_indicator,
        handlers::indicator_records::get_indicator_for_scope, handlers::indicator_records::get_indicator_series,
        handlers::material_flows::create_material_flow, handlers::material_flows::list_material_flows,
        handlers::material_flows::get_material_flow, handlers::material_flows::correct_material_flow,
        handlers::material_flows::import_material_flows,
        handlers::indicator_records::create_indicator_value, handlers::indicator_records::list_indicator_values,
        handlers::indicator_records::get_indicator_value, handlers::indicator_records::correct_indicator_value,
        handlers::indicator_records::create_indicator_target, handlers::indicator_records::list_indicator_targets,
        handlers::indicator_records::get_indicator_target, handlers::indicator_records::correct_indicator_target,
        handlers::ledgers::create_ledger, handlers::ledgers::list_ledgers, handlers::ledgers::get_ledger,
        handlers::ledgers::add_ledger_input, handlers::ledgers::import_ledger_inputs,
        handlers::ledgers::claim_from_ledger, handlers::ledgers::reverse_ledger_claim,
        handlers::ledgers::close_ledger, handlers::ledgers::carry_over_ledger, handlers::ledgers::trace_ledger_claim,
        handlers::resolver::resolve, handlers::resolver::get_resolver_description, handlers::resolver::get_passport_qr,
        handlers::footprints::create_footprint, handlers::footprints::supersede_footprint,
        handlers::footprints::get_footprint, handlers::footprints::list_footprints, handlers::footprints::share_footprint,
        handlers::footprints::create_pact_partner, handlers::footprints::list_pact_partners,
        handlers::footprints::list_pact_outbox,
        handlers::partners::get_secretariat, handlers::partners::put_secretariat,
        handlers::partners::get_secretariat_view,
        handlers::partners::apply_for_membership, handlers::partners::list_memberships,
        handlers::partners::get_membership, handlers::partners::update_membership,
        handlers::partners::review_membership, handlers::partners::withdraw_membership,
        handlers::partners::submit_target, handlers::partners::import_targets, handlers::partners::export_targets,
        handlers::partners::list_targets, handlers::partners::get_target, handlers::partners::edit_target,
        handlers::partners::list_target_versions, handlers::partners::get_target_progress,
        handlers::partners::submit_follow_up, handlers::partners::list_follow_ups,
        handlers::certificates::list_certificate_schemes, handlers::certificates::create_certificate_scheme,
        handlers::certificates::create_certificate, handlers::certificates::list_certificates,
        handlers::certificates::get_certificate, handlers::certificates::get_certificate_credential,
        handlers::certificates::revoke_certificate, handlers::certificates::get_certificate_verification,
        handlers::trust::get_node_did, handlers::trust::get_organization_did, handlers::trust::get_organization_jwks,
        handlers::trust::get_status_list, handlers::trust::rotate_organization_keys,
        handlers::credentials::export_credential, handlers::credentials::revoke_credential,
        handlers::credentials::verify_credential, handlers::epcis::get_capture_credential,
    ),
    components(schemas(crate::error::Problem, junkan_model::Violation)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Tokens, sign-in and identity"),
        (name = "organizations", description = "参加者 / participants"),
        (name = "facilities", description = "事業所・工場 / facilities and plants"),
        (name = "principals", description = "Users, OAuth clients and API keys"),
        (name = "grants", description = "Access grants and certifications"),
        (name = "audit", description = "監査ログ / audit log"),
        (name = "log", description = "改ざん検知ログ / tamper-evident transparency log: signed tree heads, inclusion and consistency proofs"),
        (name = "lineage", description = "トレース / lineage across organizations and recycling loops"),
        (name = "reference", description = "Industries, prefectures, municipalities"),
        (name = "indicators", description = "循環性指標 / circularity indicators and recycled-content accounting; 物質フロー / material-flow records, stored indicator values and targets; CoC 台帳 / chain-of-custody ledgers"),
        (name = "operations", description = "Health and readiness"),
        (name = "epcis", description = "GS1 EPCIS 2.0 REST binding / トレーサビリティ"),
        (name = "passports", description = "製品・素材パスポート / product and material passports and their profiles"),
        (name = "footprints", description = "製品カーボンフットプリント / product carbon footprints, PACT partners and outbox (the PACT API itself is at /3/ and /2/)"),
        (name = "partners", description = "サーキュラーパートナーズ / Circular Partners: membership, targets (資源循環・経済インパクト・社会インパクト・環境インパクト), follow-ups, the secretariat's views"),
        (name = "certificates", description = "適合性証明 / conformity certificates: certification bodies (認証機関) certify passports, footprints and facilities with signed credentials; revocation through status lists"),
        (name = "resolver", description = "GS1 Digital Link resolver, passport pages and QR codes / 製品パスポートのリゾルバー"),
        (name = "trust", description = "トラストサービス / trust services: did:web DID documents, keys and rotation, verifiable credentials of records, revocation status lists, verification"),
        (name = "access-requests", description = "アクセス申請 / access requests to another organization's records, and the owner's decisions"),
        (name = "catalog", description = "カタログ / the node's DCAT 3 catalog and its organizations' dataset offers"),
        (name = "dataspace", description = "データスペースプロトコル / the Eclipse Dataspace Protocol 2025-1: catalog, contract negotiation and transfer process (/dsp), and the consumer's API (/api/v1/dsp)"),
        (name = "federation", description = "ノード間連携 / federation between junkan nodes: peers, requests signed per RFC 9421, pulls of granted records with their credentials (docs/federation.md)"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or jk_ API key")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::extract::SESSION_COOKIE))),
        );
    }
}

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document
}

/// Serves the OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses((status = 200, description = "This document")))]
pub async fn get_openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
