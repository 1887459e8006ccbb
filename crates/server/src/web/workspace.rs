//! The organization's workspace (ワークスペース): an overview, and lists of the passports,
//! events, footprints, grants and requests the signed-in user may read, with search, filters
//! and pagination. Every list is one store call with the user's actor, the same as the API's, so
//! the store's read rule and audit decide what appears.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use junkan_footprint::{FootprintFilter, FootprintStatus};
use junkan_model::access::{Grant, Grantee};
use junkan_model::event::StoredEvent;
use junkan_model::ids::GrantId;
use junkan_model::ouranos::{CfpResponseStatus, StatusFilter, StatusTarget};
use junkan_model::passport::{Granularity, LifecycleStatus, PassportFilter, PassportRead};
use junkan_store::GrantDirection;

use super::context::{OrPage, Problem, SignedIn, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{options, pager, tabs, ListQuery, Organizations};
use super::see_other;
use crate::resolver::links::summary_facts;
use crate::AppState;

const WELCOME_TITLE: Text = (
    "サーキュラーエコノミー情報流通プラットフォーム",
    "Circular Economy information distribution platform",
);
const WELCOME_LEAD: Text = (
    "動脈（製造・販売）から利用者、静脈（回収・解体・リサイクル）まで、各社がデータ主権を保ったまま製品・素材の情報を流通させ、循環の実態を可視化します。",
    "Makers, users, collectors and recyclers share what products and materials are made of and where they go, each keeping control of its own data, so that circulation becomes visible.",
);
const SIGN_IN: Text = ("サインイン", "Sign in");
const PUBLIC_HEADING: Text = ("サインインせずに見られるもの", "Open to everyone");
const PUBLIC_INDICATORS: Text = (
    "循環性指標（入口側・出口側の循環利用率、最終処分量と国の目標）",
    "Circularity indicators (inlet-side and outlet-side circular use rates, final disposal, national targets)",
);
const PUBLIC_LINEAGE: Text = (
    "公開されたトレーサビリティ（トレース）",
    "Public traceability (lineage)",
);
const PUBLIC_QR: Text = (
    "製品のQRコードから開く製品パスポートのページ",
    "Product passport pages, opened from a product's QR code",
);
const WORKSPACE_OF: Text = ("のワークスペース", "workspace");
const ROLES: Text = ("役割", "Roles");
const CORPORATE_NUMBER: Text = ("法人番号", "Corporate number");
const ACCOUNT: Text = ("アカウント", "Account");

/// One card of the overview: (path, title, description).
const CARDS: [(&str, Text, Text); 8] = [
    (
        "/app/passports",
        ("製品・素材パスポート", "Product and material passports"),
        (
            "自社のパスポートと、共有されたパスポートを検索します。",
            "Search your passports and those shared with you.",
        ),
    ),
    (
        "/app/events",
        ("トレーサビリティイベント", "Traceability events"),
        (
            "EPCIS 2.0 のイベント（製造・出荷・回収・再資源化）。",
            "EPCIS 2.0 events: making, shipping, collecting, recycling.",
        ),
    ),
    (
        "/app/footprints",
        ("カーボンフットプリント（CFP）", "Carbon footprints (CFP)"),
        (
            "PACT 形式の製品カーボンフットプリント。",
            "Product carbon footprints in the PACT format.",
        ),
    ),
    (
        "/app/grants",
        ("共有設定（グラント）", "Grants"),
        (
            "自社が与えた・受けたデータ共有の許可。",
            "Access your organization gave and received.",
        ),
    ),
    (
        "/app/requests",
        ("アクセス申請", "Access requests"),
        (
            "他社データの利用申請と、自社データへの申請の承認・縮小承認・却下。",
            "Ask for other organizations' data; approve, narrow or refuse requests for yours.",
        ),
    ),
    (
        "/app/trade-requests",
        ("CFP の取引依頼", "CFP trade requests"),
        (
            "CFP の取引依頼（ウラノス）とその状況。",
            "CFP trade requests (Ouranos) and their status.",
        ),
    ),
    (
        "/app/indicators",
        ("循環性指標", "Circularity indicators"),
        (
            "国・地域・組織・製品の指標、目標、算定根拠。",
            "National, regional, organization and product indicators with targets and provenance.",
        ),
    ),
    (
        "/app/lineage",
        ("トレース", "Lineage"),
        (
            "ロットや製品の来歴と行き先をたどります。",
            "Follow a lot or item back to its sources or forward to where it went.",
        ),
    ),
];

const OWN_INDICATORS: Text = ("自社の循環性指標（CTI）", "Your organization's circularity (CTI)");
const OWN_INDICATORS_LEAD: Text = (
    "自社の事業所のイベントから算定した循環移行指標と、その根拠。",
    "The Circular Transition Indicators computed from your facilities' events, with provenance.",
);

/// `GET /app`: the workspace overview, or a welcome page before sign-in.
pub async fn get_home(web: Web) -> Response {
    let Some(signed_in) = &web.signed_in else {
        let body = html! {
            h1 { (web.t(WELCOME_TITLE)) }
            p.lead { (web.t(WELCOME_LEAD)) }
            p { a.button href="/app/sign-in" { (web.t(SIGN_IN)) } }
            section {
                h2 { (web.t(PUBLIC_HEADING)) }
                ul {
                    li { a href="/app/indicators" { (web.t(PUBLIC_INDICATORS)) } }
                    li { a href="/app/lineage" { (web.t(PUBLIC_LINEAGE)) } }
                    li { (web.t(PUBLIC_QR)) }
                }
            }
        };
        return web.page(web.t(WELCOME_TITLE), Nav::Home, body);
    };
    let organization = &signed_in.organization;
    let heading = match web.language {
        Language::Ja => format!("{}{}", organization.name_ja, WORKSPACE_OF.0),
        Language::En => format!("{} {}", organization.name_en, WORKSPACE_OF.1),
    };
    let roles: Vec<&str> = organization
        .roles
        .iter()
        .map(|role| web.t(i18n::cycle_role(*role)))
        .collect();
    let separator = web.t(("、", ", "));
    // The organization's CTI over the fiscal year of the session's end (today, or tomorrow late at
    // night) and the one before.
    let year = signed_in
        .expires_at
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC));
    let fiscal_year = if u8::from(year.month()) >= 4 {
        year.year()
    } else {
        year.year() - 1
    };
    let own_indicators = format!(
        "/app/indicators?indicator=cti&scope=organization:{}&from={}&to={fiscal_year}",
        organization.id,
        fiscal_year - 1
    );
    let body = html! {
        h1 { (heading) }
        section aria-labelledby="account-heading" {
            h2 #account-heading { (web.t(ACCOUNT)) }
            dl {
                dt { (web.t(("ユーザー", "User"))) }
                dd { (signed_in.user.display_name) " (" code { (signed_in.user.username) } ")" }
                @if !roles.is_empty() {
                    dt { (web.t(ROLES)) }
                    dd { (roles.join(separator)) }
                }
                @if let Some(number) = &organization.corporate_number {
                    dt { (web.t(CORPORATE_NUMBER)) }
                    dd { code { (number) } }
                }
                dt { (web.t(("セッション終了", "Session ends"))) }
                dd { (i18n::date_time(web.language, signed_in.expires_at)) }
            }
        }
        div.cards {
            @for (path, title, description) in CARDS {
                div.card {
                    h2 { a href=(path) { (web.t(title)) } }
                    p { (web.t(description)) }
                }
            }
            div.card {
                h2 { a href=(own_indicators) { (web.t(OWN_INDICATORS)) } }
                p { (web.t(OWN_INDICATORS_LEAD)) }
            }
        }
    };
    web.page(&heading, Nav::Home, body)
}

// ---------------------------------------------------------------------------------------------
// Passports

const PASSPORTS_TITLE: Text = ("製品・素材パスポート", "Product and material passports");
const OWNER_SCOPE: Text = ("対象", "Showing");
const MINE: Text = ("自社のもの", "Your organization's");
const ALL_READABLE: Text = (
    "閲覧できるすべて（共有・公開を含む）",
    "Everything you may read (shared and public too)",
);
const IDENTIFIER_PREFIX: Text = ("識別子（前方一致）", "Identifier starts with");
const MATERIAL: Text = ("素材", "Material");
const PROFILE: Text = ("プロファイル", "Profile");
const STATUS: Text = ("状態", "Status");
const GRANULARITY: Text = ("粒度", "Granularity");
const ANY: Text = ("すべて", "Any");
const SEARCH: Text = ("検索", "Search");
const NAME: Text = ("名称", "Name");
const IDENTIFIER: Text = ("識別子", "Identifier");
const OWNER: Text = ("所有者", "Owner");
const VISIBILITY: Text = ("公開範囲", "Visibility");
const VERSION: Text = ("版", "Version");
const UPDATED: Text = ("更新日時", "Updated");
const NONE_FOUND: Text = ("該当する記録はありません。", "No records match.");
const FILTERS: Text = ("絞り込み", "Filters");

/// `GET /app/passports`: the organization's passports (or every passport the user may read),
/// searched by identifier prefix and material, filtered by profile, status and granularity.
pub async fn get_passports(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let all = query.get("owner") == Some("all");
    let filter = PassportFilter {
        profile: query.get("profile").map(str::to_owned),
        owner: (!all).then_some(signed_in.organization.id),
        status: query.get("status").and_then(|status| {
            LifecycleStatus::ALL
                .into_iter()
                .find(|candidate| candidate.as_str() == status)
        }),
        material: query.get("material").map(str::to_owned),
        identifier_prefix: query.get("identifier").map(str::to_owned),
        granularity: query.get("granularity").and_then(granularity_named),
    };
    let store = state.store.as_ref();
    let page = store
        .list_passports(web.actor(), &filter, &query.page, PassportRead::default())
        .await
        .or_page(&web)?;
    let profiles = store.list_profiles().await.or_page(&web)?;
    // Profiles by their name in the page's language (the code when a document has none).
    let profile_name = |code: &str| -> String {
        profiles
            .iter()
            .rev()
            .find(|profile| profile.code == code)
            .and_then(|profile| profile.document.get("name")?.get(web.language.tag())?.as_str())
            .map_or_else(|| code.to_owned(), str::to_owned)
    };
    let mut profile_codes: Vec<&str> = profiles.iter().map(|profile| profile.code.as_str()).collect();
    profile_codes.dedup();
    let profile_choices: Vec<(&str, String)> = profile_codes.iter().map(|code| (*code, profile_name(code))).collect();
    let mut organizations = Organizations::default();
    let mut rows = Vec::with_capacity(page.items.len());
    for passport in &page.items {
        // The passport's summary name; without one, what its profile describes.
        let name = match state
            .resolver
            .profiles
            .get(store, &passport.profile, &passport.profile_version)
            .await
        {
            Ok(profile) => summary_facts(passport, &profile.profile.summary)
                .get("name")
                .and_then(|name| name.as_str())
                .map_or_else(
                    || profile.profile.name.get(web.language.tag()).to_owned(),
                    str::to_owned,
                ),
            Err(_) => passport.profile.clone(),
        };
        let owner = organizations
            .name(store, web.language, passport.owner_organization_id)
            .await;
        rows.push((passport, name, owner));
    }
    let status_choices: Vec<(&str, &str)> = LifecycleStatus::ALL
        .iter()
        .map(|status| (status.as_str(), web.t(status.labels())))
        .collect();
    let granularity_choices =
        GRANULARITIES.map(|granularity| (granularity.as_str(), web.t(i18n::granularity(granularity))));
    let body = html! {
        h1 { (web.t(PASSPORTS_TITLE)) }
        p { a.button href="/app/passports/new" { (web.t(NEW_PASSPORT)) } }
        form.filters method="get" action="/app/passports" aria-label=(web.t(FILTERS)) {
            (owner_field(&web, &query))
            div.field {
                label for="identifier" { (web.t(IDENTIFIER_PREFIX)) }
                input #identifier type="search" name="identifier" value=[query.get("identifier")] placeholder="https://id.gs1.org/01/…";
            }
            div.field {
                label for="material" { (web.t(MATERIAL)) }
                input #material type="search" name="material" value=[query.get("material")];
            }
            div.field {
                label for="profile" { (web.t(PROFILE)) }
                select #profile name="profile" {
                    option value="" { (web.t(ANY)) }
                    (options(profile_choices.iter().map(|(code, name)| (*code, name.as_str())), query.get("profile")))
                }
            }
            div.field {
                label for="status" { (web.t(STATUS)) }
                select #status name="status" {
                    option value="" { (web.t(ANY)) }
                    (options(status_choices, query.get("status")))
                }
            }
            div.field {
                label for="granularity" { (web.t(GRANULARITY)) }
                select #granularity name="granularity" {
                    option value="" { (web.t(ANY)) }
                    (options(granularity_choices, query.get("granularity")))
                }
            }
            button type="submit" { (web.t(SEARCH)) }
        }
        @if rows.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(PASSPORTS_TITLE)) }
                    thead { tr {
                        th scope="col" { (web.t(NAME)) }
                        th scope="col" { (web.t(IDENTIFIER)) }
                        th scope="col" { (web.t(PROFILE)) }
                        th scope="col" { (web.t(STATUS)) }
                        th scope="col" { (web.t(VISIBILITY)) }
                        th scope="col" { (web.t(OWNER)) }
                        th scope="col" class="num" { (web.t(VERSION)) }
                        th scope="col" { (web.t(UPDATED)) }
                    } }
                    tbody {
                        @for (passport, name, owner) in &rows {
                            tr {
                                td data-label=(web.t(NAME)) {
                                    a href={ "/app/passports/" (passport.id) } { (name) }
                                }
                                td data-label=(web.t(IDENTIFIER)) { code { (passport.identifier) } }
                                td data-label=(web.t(PROFILE)) { (profile_name(&passport.profile)) br; span.muted { code { (passport.profile) " " (passport.profile_version) } } }
                                td data-label=(web.t(STATUS)) { (web.t(passport.status.labels())) }
                                td data-label=(web.t(VISIBILITY)) { (web.t(i18n::visibility(passport.visibility))) }
                                td data-label=(web.t(OWNER)) { (owner) }
                                td.num data-label=(web.t(VERSION)) { (passport.latest_version) }
                                td data-label=(web.t(UPDATED)) { (i18n::date_time(web.language, passport.version_created_at)) }
                            }
                        }
                    }
                }
            }
        }
        (pager(&web, &query, "/app/passports", page.next_after.as_deref()))
    };
    Ok(web.page(web.t(PASSPORTS_TITLE), Nav::Passports, body))
}

/// The filter between the organization's own records and every record the user may read.
fn owner_field(web: &Web, query: &ListQuery) -> Markup {
    html! {
        div.field {
            label for="owner" { (web.t(OWNER_SCOPE)) }
            select #owner name="owner" {
                (options([("mine", web.t(MINE)), ("all", web.t(ALL_READABLE))], query.get("owner")))
            }
        }
    }
}

/// Every granularity, coarsest first.
const GRANULARITIES: [Granularity; 3] = [Granularity::Model, Granularity::Batch, Granularity::Item];

fn granularity_named(name: &str) -> Option<Granularity> {
    GRANULARITIES
        .into_iter()
        .find(|granularity| granularity.as_str() == name)
}

// ---------------------------------------------------------------------------------------------
// Events

const EVENTS_TITLE: Text = ("トレーサビリティイベント", "Traceability events");
const EVENTS_LEAD: Text = (
    "自社のイベントと、共有・公開されたイベント（EPCIS 2.0）。新しい順。",
    "Your organization's events and those shared with you or public (EPCIS 2.0), newest first.",
);
const EVENT_TYPE: Text = ("イベントの種類", "Event type");
const BUSINESS_STEP: Text = ("業務ステップ", "Business step");
const EPC: Text = (
    "識別子（EPC・ロット・Digital Link）",
    "Identifier (EPC, lot or Digital Link)",
);
const FROM: Text = ("開始日", "From");
const TO: Text = ("終了日", "To");
const WHEN: Text = ("日時", "When");
const WHAT: Text = ("対象", "What");
const WHERE: Text = ("場所", "Where");
const TRACE: Text = ("トレース", "Trace");

/// `GET /app/events`: the events the user may read, newest first, filtered by type, business
/// step, identifier and dates through the EPCIS query reader (the same as `GET /epcis/events`).
pub async fn get_events(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let mut params = vec![("orderBy".to_owned(), "eventTime".to_owned())];
    if let Some(event_type) = query.get("type") {
        params.push(("eventType".to_owned(), event_type.to_owned()));
    }
    if let Some(step) = query.get("step") {
        params.push(("EQ_bizStep".to_owned(), step.to_owned()));
    }
    if let Some(identifier) = query.get("epc") {
        // Instance identifiers (EPCs) and class identifiers (lots, products) are separate query
        // parameters; a lot is found among the classes, anything else among the EPCs.
        let class = identifier.contains(":class:") || identifier.contains(":idpat:") || identifier.contains("/10/");
        let parameter = if class { "MATCH_anyEPCClass" } else { "MATCH_anyEPC" };
        params.push((parameter.to_owned(), identifier.to_owned()));
    }
    let mut problems: Vec<(&str, String)> = Vec::new();
    for (field, parameter, end_of_day) in [("from", "GE_eventTime", false), ("to", "LT_eventTime", true)] {
        let Some(day) = query.get(field) else { continue };
        match time::Date::parse(day, time::macros::format_description!("[year]-[month]-[day]")) {
            Ok(day) => {
                let day = if end_of_day { day.next_day().unwrap_or(day) } else { day };
                params.push((parameter.to_owned(), format!("{day}T00:00:00+09:00")));
            }
            Err(_) => problems.push((
                field,
                web.t((
                    "日付は YYYY-MM-DD で入力してください。",
                    "Enter the date as YYYY-MM-DD.",
                ))
                .to_owned(),
            )),
        }
    }
    let parsed = junkan_epcis::query::event_query(&params);
    let page = match (parsed, problems.is_empty()) {
        (Ok(parsed), true) => Some(
            state
                .store
                .query_events(web.actor(), &parsed.query, &query.page)
                .await
                .or_page(&web)?,
        ),
        (Ok(_), false) => None,
        (Err(found), _) => {
            for problem in found {
                let field = match problem.path.as_str() {
                    "?eventType" => "type",
                    "?EQ_bizStep" => "step",
                    _ => "epc",
                };
                problems.push((field, i18n::problem_message(web.language, &problem.message)));
            }
            None
        }
    };
    let mut organizations = Organizations::default();
    let mut rows = Vec::new();
    for stored in page.iter().flat_map(|page| &page.items) {
        let owner = organizations
            .name(state.store.as_ref(), web.language, stored.owner_organization_id)
            .await;
        rows.push((stored, owner));
    }
    let problem_of = |field: &str| {
        problems
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.clone())
    };
    let event_types = [
        "ObjectEvent",
        "AggregationEvent",
        "TransformationEvent",
        "TransactionEvent",
        "AssociationEvent",
    ];
    let steps = [
        "commissioning",
        "packing",
        "assembling",
        "shipping",
        "retail_selling",
        "collecting",
        "disassembling",
        "urn:junkan:cbv:BizStep-sorting",
        "urn:junkan:cbv:BizStep-shredding",
        "urn:junkan:cbv:BizStep-material_recycling",
        "urn:junkan:cbv:BizStep-chemical_recycling",
    ];
    let step_labels: Vec<(String, String)> = steps
        .iter()
        .map(|step| {
            let iri = if step.contains(':') {
                (*step).to_owned()
            } else {
                format!("https://ref.gs1.org/cbv/BizStep-{step}")
            };
            ((*step).to_owned(), i18n::business_step_label(web.language, &iri))
        })
        .collect();
    let body = html! {
        h1 { (web.t(EVENTS_TITLE)) }
        p.lead { (web.t(EVENTS_LEAD)) }
        form.filters method="get" action="/app/events" aria-label=(web.t(FILTERS)) {
            div.field {
                label for="type" { (web.t(EVENT_TYPE)) }
                select #type name="type" aria-describedby=[problem_of("type").map(|_| "type-error")] {
                    option value="" { (web.t(ANY)) }
                    (options(event_types.iter().map(|name| (*name, web.t(i18n::event_type(name)))), query.get("type")))
                }
                @if let Some(message) = problem_of("type") { p.field-error #type-error { (message) } }
            }
            div.field {
                label for="step" { (web.t(BUSINESS_STEP)) }
                select #step name="step" aria-describedby=[problem_of("step").map(|_| "step-error")] {
                    option value="" { (web.t(ANY)) }
                    (options(step_labels.iter().map(|(value, label)| (value.as_str(), label.as_str())), query.get("step")))
                }
                @if let Some(message) = problem_of("step") { p.field-error #step-error { (message) } }
            }
            div.field {
                label for="epc" { (web.t(EPC)) }
                input #epc type="search" name="epc" value=[query.get("epc")] aria-describedby=[problem_of("epc").map(|_| "epc-error")];
                @if let Some(message) = problem_of("epc") { p.field-error #epc-error { (message) } }
            }
            div.field {
                label for="from" { (web.t(FROM)) }
                input #from type="date" name="from" value=[query.get("from")] aria-describedby=[problem_of("from").map(|_| "from-error")];
                @if let Some(message) = problem_of("from") { p.field-error #from-error { (message) } }
            }
            div.field {
                label for="to" { (web.t(TO)) }
                input #to type="date" name="to" value=[query.get("to")] aria-describedby=[problem_of("to").map(|_| "to-error")];
                @if let Some(message) = problem_of("to") { p.field-error #to-error { (message) } }
            }
            button type="submit" { (web.t(SEARCH)) }
        }
        @if !problems.is_empty() {
            p.error role="alert" { (web.t(("条件を確認してください。", "Please check the filters."))) }
        } @else if rows.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(EVENTS_TITLE)) }
                    thead { tr {
                        th scope="col" { (web.t(WHEN)) }
                        th scope="col" { (web.t(EVENT_TYPE)) }
                        th scope="col" { (web.t(BUSINESS_STEP)) }
                        th scope="col" { (web.t(WHAT)) }
                        th scope="col" { (web.t(WHERE)) }
                        th scope="col" { (web.t(OWNER)) }
                    } }
                    tbody {
                        @for (stored, owner) in &rows {
                            (event_row(&web, stored, owner))
                        }
                    }
                }
            }
        }
        @if let Some(page) = &page {
            (pager(&web, &query, "/app/events", page.next_after.as_deref()))
        }
    };
    let mut response = web.page(web.t(EVENTS_TITLE), Nav::Events, body);
    if !problems.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

fn event_row(web: &Web, stored: &StoredEvent, owner: &str) -> Markup {
    let event = &stored.event;
    let step = event
        .biz_step
        .as_deref()
        .map(|step| i18n::business_step_label(web.language, step));
    let place = event.biz_location.as_deref().or(event.read_point.as_deref());
    let shown: Vec<&str> = event
        .identifiers
        .iter()
        .map(|identifier| identifier.value.as_str())
        .take(3)
        .collect();
    let more = event.identifiers.len().saturating_sub(shown.len());
    html! {
        tr {
            td data-label=(web.t(WHEN)) { (i18n::date_time(web.language, event.event_time)) }
            td data-label=(web.t(EVENT_TYPE)) { (web.t(i18n::event_type(&event.event_type))) }
            td data-label=(web.t(BUSINESS_STEP)) { (step.unwrap_or_default()) }
            td data-label=(web.t(WHAT)) {
                ul {
                    @for identifier in &shown {
                        li {
                            code { (identifier) } " "
                            a href={ "/app/lineage?" (lineage_query(identifier)) } { (web.t(TRACE)) }
                        }
                    }
                    @if more > 0 {
                        li { (more_items(web.language, more)) }
                    }
                }
            }
            td data-label=(web.t(WHERE)) { @if let Some(place) = place { code { (place) } } }
            td data-label=(web.t(OWNER)) { (owner) }
        }
    }
}

fn more_items(language: Language, count: usize) -> String {
    match language {
        Language::Ja => format!("ほか{count}件"),
        Language::En => format!("and {count} more"),
    }
}

/// The query string of the lineage explorer for `identifier`.
pub fn lineage_query(identifier: &str) -> String {
    serde_urlencoded::to_string([("id", identifier)]).expect("pairs of strings always encode")
}

// ---------------------------------------------------------------------------------------------
// Footprints

const NEW_PASSPORT: Text = ("パスポートを作成", "Create a passport");
const FOOTPRINTS_TITLE: Text = ("カーボンフットプリント（CFP）", "Carbon footprints (CFP)");
const PRODUCT_ID: Text = ("製品ID（URN）", "Product id (URN)");
const PRODUCT: Text = ("製品", "Product");
const PCF: Text = ("CFP（生物起源の吸収を除く）", "PCF (excluding biogenic uptake)");
const PER_UNIT: Text = ("宣言単位", "Declared unit");
const VALID: Text = ("有効期間", "Validity");
const ACTIVE: Text = ("有効", "Active");
const DEPRECATED: Text = ("廃止", "Deprecated");

/// `GET /app/footprints`: the organization's footprints (or all the user may read), by
/// product id and status, through the PACT filters.
pub async fn get_footprints(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let mut criteria = Vec::new();
    if let Some(product) = query.get("product") {
        criteria.push(("productId".to_owned(), product.to_owned()));
    }
    if let Some(status) = query.get("status") {
        criteria.push(("status".to_owned(), status.to_owned()));
    }
    let (filter, problem) = match FootprintFilter::from_criteria(&criteria) {
        Ok(filter) => (Some(filter), None),
        Err(violations) => (
            None,
            Some(
                violations
                    .into_iter()
                    .map(|violation| i18n::problem_message(web.language, &violation.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
    };
    let page = match filter {
        Some(mut filter) => {
            if query.get("owner") != Some("all") {
                filter.owner = Some(signed_in.organization.id);
            }
            Some(
                state
                    .store
                    .list_footprints(web.actor(), &filter, &query.page)
                    .await
                    .or_page(&web)?,
            )
        }
        None => None,
    };
    let mut organizations = Organizations::default();
    let mut rows = Vec::new();
    for stored in page.iter().flat_map(|page| &page.items) {
        let owner = organizations
            .name(state.store.as_ref(), web.language, stored.owner_organization_id)
            .await;
        rows.push((stored, owner));
    }
    let body = html! {
        h1 { (web.t(FOOTPRINTS_TITLE)) }
        form.filters method="get" action="/app/footprints" aria-label=(web.t(FILTERS)) {
            (owner_field(&web, &query))
            div.field {
                label for="product" { (web.t(PRODUCT_ID)) }
                input #product type="search" name="product" value=[query.get("product")] placeholder="urn:…" aria-describedby=[problem.as_ref().map(|_| "product-error")];
                @if let Some(problem) = &problem { p.field-error #product-error { (problem) } }
            }
            div.field {
                label for="status" { (web.t(STATUS)) }
                select #status name="status" {
                    option value="" { (web.t(ANY)) }
                    (options([("Active", web.t(ACTIVE)), ("Deprecated", web.t(DEPRECATED))], query.get("status")))
                }
            }
            button type="submit" { (web.t(SEARCH)) }
        }
        @if rows.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(FOOTPRINTS_TITLE)) }
                    thead { tr {
                        th scope="col" { (web.t(PRODUCT)) }
                        th scope="col" class="num" { (web.t(PCF)) }
                        th scope="col" { (web.t(PER_UNIT)) }
                        th scope="col" { (web.t(STATUS)) }
                        th scope="col" { (web.t(VALID)) }
                        th scope="col" { (web.t(OWNER)) }
                    } }
                    tbody {
                        @for (stored, owner) in &rows {
                            @let footprint = &stored.footprint;
                            tr {
                                td data-label=(web.t(PRODUCT)) {
                                    (footprint.product_name_company)
                                    @for product in &footprint.product_ids { br; code { (product) } }
                                }
                                td.num data-label=(web.t(PCF)) { (i18n::decimal(&footprint.pcf.pcf_excluding_biogenic_uptake)) " kgCO2e" }
                                td data-label=(web.t(PER_UNIT)) {
                                    (i18n::decimal(&footprint.pcf.declared_unit_amount)) " "
                                    (web.t(i18n::declared_unit(footprint.pcf.declared_unit)))
                                }
                                td data-label=(web.t(STATUS)) {
                                    @match footprint.status {
                                        FootprintStatus::Active => span.badge { (web.t(ACTIVE)) },
                                        FootprintStatus::Deprecated => span.badge.neutral { (web.t(DEPRECATED)) },
                                    }
                                }
                                td data-label=(web.t(VALID)) {
                                    @if let Some(start) = footprint.validity_period_start { (i18n::date(web.language, start.date())) }
                                    " – "
                                    @if let Some(end) = footprint.validity_period_end { (i18n::date(web.language, end.date())) }
                                }
                                td data-label=(web.t(OWNER)) { (owner) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(page) = &page {
            (pager(&web, &query, "/app/footprints", page.next_after.as_deref()))
        }
    };
    Ok(web.page(web.t(FOOTPRINTS_TITLE), Nav::Footprints, body))
}

// ---------------------------------------------------------------------------------------------
// Grants

const GRANTS_TITLE: Text = ("共有設定（グラント）", "Grants");
const GIVEN: Text = ("自社が与えた共有", "Given by your organization");
const RECEIVED: Text = ("自社が受けた共有", "Received by your organization");
const GRANTEE: Text = ("共有先", "Shared with");
const GRANTOR: Text = ("共有元", "Shared by");
const RECORDS: Text = ("記録の種類", "Records");
const LEVEL: Text = ("範囲", "Level");
const PURPOSE: Text = ("目的", "Purpose");
const EXPIRES: Text = ("期限", "Expires");
const STATE: Text = ("状態", "State");
const IN_FORCE: Text = ("有効", "In force");
const EXPIRED: Text = ("期限切れ", "Expired");
const REVOKED: Text = ("取消済み", "Revoked");
const REVOKE: Text = ("取り消す", "Revoke");
const REVOKED_NOTICE: Text = ("共有を取り消しました。", "The grant was revoked.");
const STANDING: Text = ("常設ルール（Standing rules）", "Standing rules (常設ルール)");
const READS: Text = ("閲覧回数（使用 / 上限）", "Reads (used / limit)");
const UNLIMITED: Text = ("上限なし", "unlimited");
const ENFORCED: Text = ("目的を強制", "purpose enforced");
const ORIGIN: Text = ("根拠・ポリシー", "Origin and policy");
const FROM_REQUEST: Text = ("アクセス申請から", "from an access request");
const FROM_OFFER: Text = ("提供データセットに基づく", "under a dataset offer");
const POLICY: Text = ("ODRL ポリシー", "ODRL policy");
const CLASS: Text = ("分類", "Class");
const SOME_RECORDS: Text = ("（指定の記録のみ）", "(named records only)");

/// `GET /app/grants`: grants the organization gave (with revoke for its administrators),
/// received, or its standing rules (常設ルール) with the form that sets one; each with its terms
/// (class, reads used of the limit, enforced purpose, the request or offer it came from) and a
/// link to its ODRL policy.
pub async fn get_grants(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    grants_page(&state, &web, ListQuery::parse(raw.as_deref()), &[], &[]).await
}

/// The grants page; `fields` and `problems` are those of a refused standing-rule form.
pub async fn grants_page(
    state: &AppState,
    web: &Web,
    query: ListQuery,
    fields: &[(String, String)],
    problems: &[junkan_model::Violation],
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let direction = match query.get("direction") {
        Some("received") => GrantDirection::Received,
        Some("standing") => GrantDirection::Standing,
        _ => GrantDirection::Given,
    };
    let received = direction == GrantDirection::Received;
    let standing = direction == GrantDirection::Standing;
    let page = state
        .store
        .list_grants(web.actor(), direction, &query.page)
        .await
        .or_page(web)?;
    let now = state.store.now();
    let may_revoke = !received && signed_in.actor.administers(signed_in.organization.id);
    let mut organizations = Organizations::default();
    let mut rows = Vec::new();
    for grant in &page.items {
        let party = if received {
            organizations
                .name(state.store.as_ref(), web.language, grant.owner_organization_id)
                .await
        } else {
            grantee_text(web, &mut organizations, state, grant).await
        };
        rows.push((grant, party));
    }
    let path = match direction {
        GrantDirection::Given => "/app/grants",
        GrantDirection::Received => "/app/grants?direction=received",
        GrantDirection::Standing => "/app/grants?direction=standing",
    };
    let caption = if received {
        RECEIVED
    } else if standing {
        STANDING
    } else {
        GIVEN
    };
    let body = html! {
        h1 { (web.t(GRANTS_TITLE)) }
        @if query.get("revoked").is_some() {
            p.notice role="status" { (web.t(REVOKED_NOTICE)) }
        }
        (super::sharing::flash_notice(web, &query))
        (tabs(web, [
            ("/app/grants", GIVEN, direction == GrantDirection::Given),
            ("/app/grants?direction=received", RECEIVED, received),
            ("/app/grants?direction=standing", STANDING, standing),
        ]))
        @if rows.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(caption)) }
                    thead { tr {
                        th scope="col" { (web.t(if received { GRANTOR } else { GRANTEE })) }
                        th scope="col" { (web.t(RECORDS)) }
                        th scope="col" { (web.t(LEVEL)) }
                        th scope="col" { (web.t(PURPOSE)) }
                        th scope="col" { (web.t(READS)) }
                        th scope="col" { (web.t(EXPIRES)) }
                        th scope="col" { (web.t(STATE)) }
                        th scope="col" { (web.t(ORIGIN)) }
                        @if may_revoke { th scope="col" { span.visually-hidden { (web.t(REVOKE)) } } }
                    } }
                    tbody {
                        @for (grant, party) in &rows {
                            tr {
                                td data-label=(web.t(if received { GRANTOR } else { GRANTEE })) { (party) }
                                td data-label=(web.t(RECORDS)) {
                                    (web.t(i18n::record_kind(grant.record_kind)))
                                    @if grant.record_ids.is_some() { " " (web.t(SOME_RECORDS)) }
                                    @if let Some(class) = &grant.record_class { br; span.muted { (web.t(CLASS)) ": " code { (class.to_stored()) } } }
                                    @if let Some(fields) = &grant.fields {
                                        br; span.muted { (web.t(("項目", "Fields"))) ": " @for (index, field) in fields.iter().enumerate() { @if index > 0 { ", " } code { (field) } } }
                                    }
                                }
                                td data-label=(web.t(LEVEL)) { (web.t(i18n::grant_level(grant.level))) }
                                td data-label=(web.t(PURPOSE)) {
                                    (grant.purpose.as_deref().unwrap_or("—"))
                                    @if grant.enforce_purpose { br; span.badge.warn { (web.t(ENFORCED)) } }
                                }
                                td.num data-label=(web.t(READS)) {
                                    @if let Some(limit) = grant.max_reads { (i18n::count(grant.reads_used)) " / " (i18n::count(limit)) } @else { (web.t(UNLIMITED)) }
                                }
                                td data-label=(web.t(EXPIRES)) { (i18n::date_time(web.language, grant.expires_at)) }
                                td data-label=(web.t(STATE)) {
                                    @if grant.revoked_at.is_some() {
                                        span.badge.bad { (web.t(REVOKED)) }
                                    } @else if grant.is_active(now) {
                                        span.badge { (web.t(IN_FORCE)) }
                                    } @else {
                                        span.badge.neutral { (web.t(EXPIRED)) }
                                    }
                                }
                                td data-label=(web.t(ORIGIN)) {
                                    @if let Some(request) = grant.access_request_id {
                                        a href={ "/app/requests/" (request) } { (web.t(FROM_REQUEST)) } br;
                                    }
                                    @if grant.offer_id.is_some() { span.muted { (web.t(FROM_OFFER)) } br; }
                                    a href={ "/api/v1/grants/" (grant.id) "/policy" } aria-label={ (web.t(POLICY)) ": " (party) } { (web.t(POLICY)) }
                                }
                                @if may_revoke {
                                    td {
                                        @if grant.is_active(now) {
                                            form.inline method="post" action={ "/app/grants/" (grant.id) "/revoke" } {
                                                input type="hidden" name="csrf" value=(web.form_token);
                                                button.danger type="submit" aria-label={ (web.t(REVOKE)) ": " (party) } { (web.t(REVOKE)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(web, &query, path, page.next_after.as_deref()))
        @if standing && may_revoke {
            (super::sharing::standing_rule_form(web, fields, problems))
        }
    };
    Ok(if problems.is_empty() {
        web.page(web.t(GRANTS_TITLE), Nav::Grants, body)
    } else {
        web.page_unprocessable(web.t(GRANTS_TITLE), Nav::Grants, body)
    })
}

async fn grantee_text(web: &Web, organizations: &mut Organizations, state: &AppState, grant: &Grant) -> String {
    match &grant.grantee {
        Grantee::Organization { organization_id } => {
            organizations
                .name(state.store.as_ref(), web.language, *organization_id)
                .await
        }
        Grantee::Role { role } => match web.language {
            Language::Ja => format!("すべての{}", i18n::cycle_role(*role).0),
            Language::En => format!("every {}", i18n::cycle_role(*role).1),
        },
        Grantee::Certification { scheme } => match web.language {
            Language::Ja => format!("認証「{scheme}」の保有者"),
            Language::En => format!("holders of the certification {scheme:?}"),
        },
        Grantee::RoleWithCertification { role, scheme } => match web.language {
            Language::Ja => format!("認証「{scheme}」を保有するすべての{}", i18n::cycle_role(*role).0),
            Language::En => format!(
                "every {} holding the certification {scheme:?}",
                i18n::cycle_role(*role).1
            ),
        },
    }
}

/// The revoke form as sent.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    csrf: String,
}

/// `POST /app/grants/{id}/revoke`: revokes a grant (the store allows it to the organization's
/// administrators only), then back to the list.
pub async fn post_revoke_grant(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(&form.csrf)?;
    let id: GrantId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    state.store.revoke_grant(&signed_in.actor, id).await.or_page(&web)?;
    Ok(see_other("/app/grants?revoked=1"))
}

// ---------------------------------------------------------------------------------------------
// Requests

const REQUESTS_TITLE: Text = ("CFP の取引依頼", "CFP trade requests");
const REQUESTS_LEAD: Text = (
    "CFP の取引依頼（ウラノス・エコシステム）。自社が送った依頼と、自社に届いた依頼。",
    "CFP trade requests (Ouranos Ecosystem): those your organization sent and those it received.",
);
const SENT: Text = ("送った依頼", "Sent");
const INCOMING: Text = ("届いた依頼", "Received");
const MESSAGE: Text = ("依頼メッセージ", "Message");
const DUE: Text = ("回答希望日", "Answer wanted by");
const PROGRESS: Text = ("回答状況（ツリー）", "Answered in the tree");
const TRADE: Text = ("取引ID", "Trade id");

fn response_status(status: CfpResponseStatus) -> (Text, &'static str) {
    match status {
        CfpResponseStatus::NotCompleted => (("依頼中", "Waiting"), "badge warn"),
        CfpResponseStatus::Completed => (("回答完了", "Answered"), "badge"),
        CfpResponseStatus::Reject => (("差戻", "Rejected"), "badge bad"),
        CfpResponseStatus::Cancel => (("取消", "Cancelled"), "badge neutral"),
    }
}

/// `GET /app/trade-requests`: the CFP trade requests the organization sent or received, with status.
pub async fn get_trade_requests(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in: &SignedIn = web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let incoming = query.get("direction") == Some("received");
    let filter = StatusFilter {
        target: Some(if incoming {
            StatusTarget::Response
        } else {
            StatusTarget::Request
        }),
        ..StatusFilter::default()
    };
    let page = state
        .store
        .list_trade_statuses(&signed_in.actor, &filter, &query.page)
        .await
        .or_page(&web)?;
    let body = html! {
        h1 { (web.t(REQUESTS_TITLE)) }
        p.lead { (web.t(REQUESTS_LEAD)) }
        (tabs(&web, [("/app/trade-requests", SENT, !incoming), ("/app/trade-requests?direction=received", INCOMING, incoming)]))
        @if page.items.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(if incoming { INCOMING } else { SENT })) }
                    thead { tr {
                        th scope="col" { (web.t(TRADE)) }
                        th scope="col" { (web.t(MESSAGE)) }
                        th scope="col" { (web.t(STATE)) }
                        th scope="col" { (web.t(DUE)) }
                        th scope="col" class="num" { (web.t(PROGRESS)) }
                    } }
                    tbody {
                        @for status in &page.items {
                            @let (label, class) = response_status(status.cfp_response_status);
                            tr {
                                td data-label=(web.t(TRADE)) { code { (status.trade_id) } }
                                td data-label=(web.t(MESSAGE)) {
                                    (status.message.as_deref().unwrap_or("—"))
                                    @if let Some(reply) = &status.reply_message { br; span.muted { (reply) } }
                                }
                                td data-label=(web.t(STATE)) { span class=(class) { (web.t(label)) } }
                                td data-label=(web.t(DUE)) {
                                    @if let Some(due) = status.response_due_date { (i18n::date(web.language, due)) } @else { "—" }
                                }
                                td.num data-label=(web.t(PROGRESS)) { (status.completed_count) " / " (status.trades_count) }
                            }
                        }
                    }
                }
            }
        }
        (pager(&web, &query, "/app/trade-requests", page.next_after.as_deref()))
        p.muted { a href="/app/requests" { (web.t(("データのアクセス申請（アクセス申請の受信箱）はこちら", "Data access requests (the inbox) are here"))) } }
    };
    Ok(web.page(web.t(REQUESTS_TITLE), Nav::Requests, body))
}
