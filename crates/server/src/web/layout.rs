//! The frame of every page: the document head with the embedded assets, a skip link, the top
//! bar with the logo, the main menu, the account and the language switch, and the footer.
//! Landmarks (`header`, `nav`, `main`, `footer`) and `aria-current` let screen readers and
//! keyboards find their way; the language switch is a form, so it works without the script.

use maud::{html, Markup, DOCTYPE};

use super::assets;
use super::context::Web;
use super::i18n::{other, own_name, Language, Text};

/// The menu entry of the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The workspace overview.
    Home,
    /// Passports.
    Passports,
    /// Traceability events.
    Events,
    /// Carbon footprints.
    Footprints,
    /// Grants.
    Grants,
    /// Requests.
    Requests,
    /// The indicators dashboard.
    Indicators,
    /// The lineage explorer.
    Lineage,
    /// The material flow (Sankey) view.
    Flows,
    /// Importing files.
    Upload,
    /// Circular Partners (サーキュラーパートナーズ).
    Partners,
    /// The tamper-evident log's signed tree heads (public).
    Log,
    /// Conformity certificates (適合性証明).
    Certificates,
    /// Administration (administrators only).
    Admin,
    /// No menu entry (sign-in, errors).
    None,
    /// The owner's audit (所有者の監査).
    Audit,
    /// The data catalog and the organization's dataset offers.
    Catalog,
    /// Peer nodes (連携ノード) and their catalogs.
    Peers,
    /// Records received from partners on peer nodes (受信データ).
    Received,
    /// The Dataspace Protocol's negotiations and transfers.
    Dataspace,
}

const SKIP: Text = ("本文へ移動", "Skip to main content");
const MENU: Text = ("メインメニュー", "Main menu");
const SIGN_IN: Text = ("サインイン", "Sign in");
const SIGN_OUT: Text = ("サインアウト", "Sign out");
const LANGUAGE: Text = ("表示言語", "Language");
const SESSION_WARNING: Text = (
    "まもなくセッションが終了します。作業内容を確認し、必要ならサインインし直してください。",
    "Your session ends in a few minutes. Sign in again to keep working.",
);
const FOOTER: Text = (
    "junkan（循環）— サーキュラーエコノミー情報流通プラットフォームのノード",
    "junkan (循環) — a node of the Circular Economy information distribution platform",
);
const API_LINK: Text = ("API（OpenAPI）", "API (OpenAPI)");

/// The menu: (entry, path, label); which entries a visitor sees is [`shown`]. Also the list of
/// the application's main pages that `junkan bench ui` measures, so a page in the menu cannot be
/// left out of the benchmark.
pub const MENU_ENTRIES: [(Nav, &str, Text); 19] = [
    (Nav::Home, "/app", ("ワークスペース", "Workspace")),
    (Nav::Passports, "/app/passports", ("パスポート", "Passports")),
    (Nav::Events, "/app/events", ("イベント", "Events")),
    (Nav::Footprints, "/app/footprints", ("CFP", "Footprints")),
    (Nav::Grants, "/app/grants", ("共有設定", "Grants")),
    (Nav::Requests, "/app/requests", ("アクセス申請", "Access requests")),
    (Nav::Upload, "/app/upload", ("取込", "Import")),
    (Nav::Indicators, "/app/indicators", ("循環性指標", "Indicators")),
    (Nav::Lineage, "/app/lineage", ("トレース", "Lineage")),
    (Nav::Flows, "/app/flows", ("物質フロー", "Material flows")),
    (Nav::Partners, "/app/partners", ("CPs", "Partners")),
    (Nav::Certificates, "/app/certificates", ("適合性証明", "Certificates")),
    (Nav::Log, "/app/log", ("改ざん検知ログ", "Transparency log")),
    (Nav::Admin, "/app/admin", ("管理", "Administration")),
    (Nav::Catalog, "/app/catalog", ("データカタログ", "Catalog")),
    (Nav::Audit, "/app/audit", ("監査", "Audit")),
    (Nav::Peers, "/app/peers", ("連携ノード", "Peer nodes")),
    (Nav::Received, "/app/received", ("受信データ", "Received")),
    (Nav::Dataspace, "/app/dataspace", ("データスペース", "Dataspace")),
];

/// Whether the menu shows `entry`: the public views to everyone, the workspace to signed-in
/// users, the administration to administrators.
fn shown(web: &Web, entry: Nav) -> bool {
    use junkan_model::principal::Role;
    match (entry, &web.signed_in) {
        (Nav::Indicators | Nav::Lineage | Nav::Flows | Nav::Log, _) => true,
        (Nav::Admin | Nav::Audit, Some(signed_in)) => signed_in
            .user
            .roles
            .iter()
            .any(|role| matches!(role, Role::NodeAdmin | Role::OrgAdmin)),
        (_, signed_in) => signed_in.is_some(),
    }
}

/// The whole HTML document of a page.
pub fn document(web: &Web, title: &str, current: Nav, body: Markup) -> Markup {
    let language = web.language;
    let session_ends = web
        .signed_in
        .as_ref()
        .map(|signed_in| (signed_in.expires_at.unix_timestamp_nanos() / 1_000_000).to_string());
    html! {
        (DOCTYPE)
        html lang=(language.tag()) {
            (head(title, language, true, html! {}))
            body data-session-ends=[session_ends.as_deref()] data-session-warning=[session_ends.as_ref().map(|_| web.t(SESSION_WARNING))] {
                a.skip href="#main" { (web.t(SKIP)) }
                header.topbar {
                    div.inner {
                        a.brand href="/app" {
                            img src=(assets::url("logo.svg")) alt="" width="32" height="32";
                            span { "junkan 循環" }
                        }
                        nav aria-label=(web.t(MENU)) {
                            ul {
                                @for (entry, path, label) in MENU_ENTRIES {
                                    @if shown(web, entry) {
                                        li { a href=(path) aria-current=[(entry == current).then_some("page")] { (web.t(label)) } }
                                    }
                                }
                            }
                        }
                        div.account {
                            @if let Some(signed_in) = &web.signed_in {
                                span.who {
                                    (signed_in.user.display_name) " · " (organization_name(language, &signed_in.organization))
                                }
                                form method="post" action="/app/sign-out" {
                                    input type="hidden" name="csrf" value=(web.form_token);
                                    button type="submit" { (web.t(SIGN_OUT)) }
                                }
                            } @else if !web.here.starts_with("/app/sign-in") {
                                a.button href=(sign_in_href(web)) { (web.t(SIGN_IN)) }
                            }
                            (language_switch(web))
                        }
                    }
                }
                p #session-notice .notice role="status" hidden {}
                main #main tabindex="-1" { (body) }
                footer.site {
                    p { (web.t(FOOTER)) " · " a href="/api/v1/openapi.json" { (web.t(API_LINK)) } }
                }
            }
        }
    }
}

/// The document head: title, viewport, the stylesheet and icon, the script when asked for, and
/// `extra` elements (alternate links).
pub fn head(title: &str, language: Language, with_script: bool, extra: Markup) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " – junkan 循環" }
            link rel="stylesheet" href=(assets::url("app.css"));
            link rel="icon" href=(assets::url("logo.svg")) type="image/svg+xml";
            meta name="color-scheme" content="light";
            @if with_script {
                script src=(assets::url("app.js")) defer {}
            }
            meta name="description" content=(language.pick(FOOTER));
            (extra)
        }
    }
}

fn sign_in_href(web: &Web) -> String {
    let query = serde_urlencoded::to_string([("next", web.here.as_str())]).expect("pairs of strings always encode");
    format!("/app/sign-in?{query}")
}

/// The language switch: a form that remembers the choice and comes back to this page.
fn language_switch(web: &Web) -> Markup {
    let target = other(web.language);
    html! {
        form method="post" action="/app/language" aria-label=(web.t(LANGUAGE)) {
            input type="hidden" name="csrf" value=(web.form_token);
            input type="hidden" name="next" value=(web.here);
            button type="submit" name="lang" value=(target.tag()) lang=(target.tag()) { (own_name(target)) }
        }
    }
}

/// An organization's name in the page's language.
pub fn organization_name(language: Language, organization: &junkan_model::organization::Organization) -> &str {
    match language {
        Language::Ja => &organization.name_ja,
        Language::En => &organization.name_en,
    }
}
