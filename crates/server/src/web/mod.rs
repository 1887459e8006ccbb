//! The web application (ウェブアプリケーション) under `/app`: server-rendered HTML pages in
//! Japanese and English over the same store calls as the API, so ownership, grants and audit
//! apply to every page exactly as to the API.
//!
//! Pages are written with maud (`html!`, checked when the crate compiles, every spliced value
//! escaped). All assets (one stylesheet, one small script for progressive enhancement, the logo)
//! are embedded in the binary ([`assets`]). Every response of the application carries strict
//! security headers ([`security_headers`]): a Content-Security-Policy without inline scripts or
//! styles, no framing, no sniffing. Every form POST carries a CSRF token: the session's for
//! signed-in users, a per-browser token (double-submit cookie) before sign-in ([`context`]).

pub mod admin;
pub mod assets;
pub mod certificates;
pub mod chart;
pub mod context;
pub mod federation;
pub mod flows;
pub mod i18n;
pub mod indicators;
pub mod layout;
pub mod lineage;
pub mod list;
pub mod log;
pub mod partners;
pub mod passport;
pub mod passport_form;
pub mod remote_supplies;
pub mod sharing;
pub mod sign_in;
pub mod upload;
pub mod workspace;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use context::{Web, WebError, WebResult};

/// The Content-Security-Policy of every page: scripts, styles and images from this node only, no
/// inline scripts or styles, forms only to this node, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The web application's routes (under `/app`, and `/` redirecting there).
pub fn routes(state: &AppState) -> Router<AppState> {
    let tls = state.settings.secure_cookies;
    let app = Router::new()
        .route("/", get(workspace::get_home))
        .route("/sign-in", get(sign_in::get_sign_in).post(sign_in::post_sign_in))
        .route("/sign-out", post(sign_in::post_sign_out))
        .route("/language", post(sign_in::post_language))
        .route("/passports", get(workspace::get_passports))
        .route(
            "/passports/new",
            get(passport_form::get_new_passport).post(passport_form::post_new_passport),
        )
        .route("/passports/{id}", get(passport::get_passport_page))
        .route(
            "/passports/{id}/edit",
            get(passport_form::get_edit_passport).post(passport_form::post_edit_passport),
        )
        .route("/events", get(workspace::get_events))
        .route("/footprints", get(workspace::get_footprints))
        .route("/grants", get(workspace::get_grants))
        .route("/grants/{id}/revoke", post(workspace::post_revoke_grant))
        .route("/requests", get(sharing::get_requests))
        .route(
            "/requests/new",
            get(sharing::get_new_request).post(sharing::post_new_request),
        )
        .route("/requests/{id}", get(sharing::get_request))
        .route("/requests/{id}/approve", post(sharing::post_approve))
        .route("/requests/{id}/narrow", post(sharing::post_narrow))
        .route("/requests/{id}/refuse", post(sharing::post_refuse))
        .route("/requests/{id}/withdraw", post(sharing::post_withdraw))
        .route("/trade-requests", get(workspace::get_trade_requests))
        .route("/grants/standing-rules", post(sharing::post_standing_rule))
        .route("/audit", get(sharing::get_audit))
        .route("/catalog", get(sharing::get_catalog))
        .route("/catalog/offers", post(sharing::post_offer))
        .route("/catalog/offers/{id}/withdraw", post(sharing::post_withdraw_offer))
        .route("/indicators", get(indicators::get_indicators))
        .route("/lineage", get(lineage::get_lineage_page))
        .route("/flows", get(flows::get_flows_page))
        .route("/upload", get(upload::get_upload))
        .route("/partners", get(partners::get_partners))
        .route("/partners/apply", post(partners::post_apply))
        .route("/partners/memberships/{id}/settings", post(partners::post_settings))
        .route("/partners/memberships/{id}/review", post(partners::post_review))
        .route(
            "/partners/targets/new",
            get(partners::get_new_target).post(partners::post_new_target),
        )
        .route("/partners/targets/{id}", get(partners::get_target_page))
        .route(
            "/partners/targets/{id}/edit",
            get(partners::get_edit_target).post(partners::post_edit_target),
        )
        .route("/partners/targets/{id}/follow-ups", post(partners::post_follow_up))
        .route("/partners/import", post(partners::post_import))
        .route("/partners/secretariat", get(partners::get_secretariat))
        .route("/partners/members", get(partners::get_members))
        .route("/partners/members/{id}", get(partners::get_member_page))
        .route("/log", get(log::get_log_page))
        .route(
            "/certificates",
            get(certificates::get_certificates).post(certificates::post_certificate),
        )
        .route("/certificates/{id}/revoke", post(certificates::post_revoke_certificate))
        .route("/admin", get(admin::get_admin))
        .route("/admin/clients/{id}/revoke", post(admin::post_revoke_client))
        .route("/admin/organizations", post(admin::post_organization))
        .route("/admin/users", post(admin::post_user))
        .route("/admin/clients", post(admin::post_client))
        .route("/upload/events", post(upload::post_upload_events))
        .route("/upload/footprints", post(upload::post_upload_footprints))
        .route("/peers", get(federation::get_peers).post(federation::post_peer))
        .route("/peers/{id}/catalog", get(federation::get_peer_catalog))
        .route("/peers/{id}/requests", post(federation::post_remote_request))
        .route("/received", get(federation::get_received))
        .route("/received/{id}", get(federation::get_received_record))
        .route("/received/requests/{id}/refresh", post(federation::post_refresh))
        .route("/received/requests/{id}/pull", post(federation::post_pull))
        .route("/dataspace", get(federation::get_dataspace))
        .route(
            "/remote-supplies",
            get(remote_supplies::get_remote_supplies).post(remote_supplies::post_remote_supply),
        )
        .route(
            "/remote-supplies/{trace_id}/delete",
            post(remote_supplies::post_delete_remote_supply),
        )
        .route("/assets/{name}", get(assets::get_asset))
        .fallback(context::not_found_page)
        .layer(axum::middleware::map_response(move |response: Response| async move {
            with_security_headers(response, tls)
        }));
    Router::new()
        .route("/", get(|| async { Redirect::to("/app") }))
        .nest("/app", app)
}

fn with_security_headers(mut response: Response, tls: bool) -> Response {
    security_headers(response.headers_mut(), tls);
    response
}

/// Sets the security headers of an HTML page (the application's and the public passport page's).
pub fn security_headers(headers: &mut HeaderMap, tls: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// A 303 redirect (after a form POST, or to the sign-in page).
pub fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// Whether `next` is a path of this application that a redirect may go to (never another site:
/// `//host` and `/\host` are refused).
pub fn safe_next(next: &str) -> Option<&str> {
    let is_app_path = next == "/app" || next.starts_with("/app/") || next.starts_with("/app?");
    (is_app_path && !next.contains('\\') && !next.contains("//")).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn redirects_stay_in_the_application() {
        assert_eq!(safe_next("/app/passports?page=2"), Some("/app/passports?page=2"));
        assert_eq!(safe_next("/app"), Some("/app"));
        assert_eq!(safe_next("//evil.example/app"), None);
        assert_eq!(safe_next("/app//evil.example"), None);
        assert_eq!(safe_next("/app/\\evil"), None);
        assert_eq!(safe_next("https://evil.example/app"), None);
        assert_eq!(safe_next("/application"), None);
        assert_eq!(safe_next("/api/v1/me"), None);
    }
}
