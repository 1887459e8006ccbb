//! Node and organization administration (管理, `/app/admin`), for node and organization
//! administrators only: the organizations of the node (searchable, paged), and of one
//! organization its users, OAuth client credentials and API keys (a client can be revoked
//! through a protected form), and the registered passport profiles. Every list is one store
//! call with the administrator's actor: the store decides who may list and revoke what, as for
//! `/api/v1/organizations/{id}/users`, `.../clients` and `/api/v1/profiles`. Node
//! administrators register organizations, and an organization's administrators create its
//! accounts and client credentials through forms on the same page: the store and the API's
//! checks decide (`NewUser::validate`, `Actor::check_can_assign`), problems come back next to
//! their fields, and a new client's secret is shown once, in the answer to the form (pages are
//! `Cache-Control: no-store`), never in a redirect's URL.

use axum::extract::{Path, RawQuery, State};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use junkan_auth::password::hash_password;
use junkan_auth::secret::{digest, generate_secret};
use junkan_model::ids::{ClientId, OrganizationId};
use junkan_model::organization::{CompanySize, CycleRole, NewOrganization, OrganizationFilter, OrganizationType};
use junkan_model::page::PageRequest;
use junkan_model::principal::{NewCredential, NewUser, Role};
use junkan_model::Violation;
use junkan_store::{NewUserRecord, StoreError};

use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::{organization_name, Nav};
use super::list::{pager, ListQuery};
use super::see_other;
use crate::AppState;

const TITLE: Text = ("管理", "Administration");
const LEAD: Text = (
    "ノードの組織、組織のアカウント・クライアント認証情報・API キー、登録済みのプロファイル。組織の登録（ノード管理者）、アカウントとクライアント認証情報の作成もここで行えます（秘密情報は作成時に一度だけ表示されます）。API キーの発行は API または junkan admin で行います。",
    "The node's organizations; an organization's accounts, client credentials and API keys; the registered profiles. Node administrators register organizations here, and administrators create accounts and client credentials (a secret is shown once, when created). API keys are issued through the API or junkan admin.",
);
const ORGANIZATIONS: Text = ("組織", "Organizations");
const NAME: Text = ("名称", "Name");
const KIND: Text = ("種別", "Type");
const CORPORATE_NUMBER: Text = ("法人番号", "Corporate number");
const ROLES: Text = ("役割", "Roles");
const SEARCH: Text = ("名称で検索", "Search by name");
const SHOW: Text = ("表示", "Show");
const USERS: Text = ("アカウント", "Accounts");
const USERNAME: Text = ("ユーザー名", "User name");
const CLIENTS: Text = ("クライアント認証情報（OAuth）", "Client credentials (OAuth)");
const API_KEYS: Text = ("API キー", "API keys");
const CREATED: Text = ("作成日時", "Created");
const STATE: Text = ("状態", "State");
const ACTIVE: Text = ("有効", "Active");
const REVOKED: Text = ("取消済み", "Revoked");
const REVOKE: Text = ("取り消す", "Revoke");
const PROFILES: Text = ("プロファイル", "Profiles");
const VERSION: Text = ("版", "Version");
const INDUSTRY: Text = ("業種", "Industry");
const CODE: Text = ("コード", "Code");
const CLIENT_ID: Text = ("クライアント ID（client_id）", "Client id (client_id)");
const PREFIX: Text = ("キーの先頭（prefix）", "Key prefix");
const MANAGE: Text = ("この組織を管理", "Manage this organization");
const NONE: Text = ("ありません。", "None.");
const NOT_ADMIN: Text = (
    "この組織のアカウントと認証情報を閲覧する権限がありません。",
    "You may not list this organization's accounts and credentials.",
);
const REVOKED_NOTICE: Text = (
    "クライアント認証情報を取り消しました。",
    "The client credential was revoked.",
);

/// `GET /app/admin?organization=&name=`: the administration page.
pub async fn get_admin(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    admin_page(&state, &web, ListQuery::parse(raw.as_deref()), &Submitted::default()).await
}

/// A refused create form: which one, the fields it sent, its problems.
type Refused = (&'static str, Vec<(String, String)>, Vec<Violation>);

/// What a create form sent and what came of it, shown on the administration page.
#[derive(Debug, Default)]
struct Submitted {
    /// Which form (`organization`, `user` or `client`) was refused, with its fields and problems.
    refused: Option<Refused>,
    /// A client just created: its id and its secret, shown this once.
    created_client: Option<(String, String)>,
}

async fn admin_page(state: &AppState, web: &Web, query: ListQuery, submitted: &Submitted) -> WebResult {
    let web = web.clone();
    let signed_in = web.require_sign_in()?;
    let roles = &signed_in.user.roles;
    if !roles.contains(&Role::NodeAdmin) && !roles.contains(&Role::OrgAdmin) {
        return Err(web.fail(Problem::Forbidden));
    }
    let store = state.store.as_ref();
    let node_admin = roles.contains(&Role::NodeAdmin);
    let filter = OrganizationFilter {
        name_contains: query.get("name").map(str::to_owned),
        ..OrganizationFilter::default()
    };
    let organizations = store.list_organizations(&filter, &query.page).await.or_page(&web)?;
    let chosen: OrganizationId = query
        .get("organization")
        .and_then(|id| id.parse().ok())
        .unwrap_or(signed_in.organization.id);
    let organization = store.get_organization(chosen).await.or_page(&web)?;
    let actor = &signed_in.actor;
    // The store refuses what the administrator may not list; that part then says so.
    let users = store.list_users(actor, chosen, &PageRequest::first(200)).await.ok();
    let clients = store.list_clients(actor, chosen).await.ok();
    let keys = store.list_api_keys(actor, chosen).await.ok();
    let profiles = store.list_profiles().await.or_page(&web)?;
    let role_names = |roles: &[Role]| {
        roles
            .iter()
            .map(|role| web.t(role_label(*role)))
            .collect::<Vec<_>>()
            .join(web.t(("、", ", ")))
    };
    let industries = store.list_industries().await.unwrap_or_default();
    let industry_name = |code: &str| {
        industries.iter().find(|industry| industry.code == code).map_or_else(
            || code.to_owned(),
            |industry| match web.language {
                Language::Ja => industry.name_ja.clone(),
                Language::En => industry.name_en.clone(),
            },
        )
    };
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        @if query.get("revoked").is_some() { p.notice role="status" { (web.t(REVOKED_NOTICE)) } }
        @if let Some(text) = query.get("created").and_then(created_notice) { p.notice role="status" { (web.t(text)) } }
        @if let Some((client_id, secret)) = &submitted.created_client {
            div.notice role="status" {
                p { strong { (web.t(SECRET_ONCE)) } }
                dl {
                    dt { (web.t(CLIENT_ID)) } dd { code #created-client-id { (client_id) } }
                    dt { "client_secret" } dd { code #created-client-secret { (secret) } }
                }
            }
        }
        section aria-labelledby="organizations-heading" {
            h2 #organizations-heading { (web.t(ORGANIZATIONS)) }
            form.filters method="get" action="/app/admin" aria-label=(web.t(SEARCH)) {
                div.field {
                    label for="name" { (web.t(SEARCH)) }
                    input #name type="search" name="name" value=[query.get("name")];
                }
                button type="submit" { (web.t(SHOW)) }
            }
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(NAME)) }
                        th scope="col" { (web.t(KIND)) }
                        th scope="col" { (web.t(CORPORATE_NUMBER)) }
                        th scope="col" { (web.t(ROLES)) }
                        th scope="col" { span.visually-hidden { (web.t(MANAGE)) } }
                    } }
                    tbody {
                        @for listed in &organizations.items {
                            tr {
                                td data-label=(web.t(NAME)) { (organization_name(web.language, listed)) }
                                td data-label=(web.t(KIND)) { (web.t(organization_type_label(listed.organization_type))) }
                                td data-label=(web.t(CORPORATE_NUMBER)) { @if let Some(number) = &listed.corporate_number { code { (number) } } }
                                td data-label=(web.t(ROLES)) {
                                    (listed.roles.iter().map(|role| web.t(i18n::cycle_role(*role))).collect::<Vec<_>>().join(web.t(("、", ", "))))
                                }
                                td {
                                    @if node_admin || listed.id == signed_in.organization.id {
                                        a href={ "/app/admin?organization=" (listed.id) "#organization-heading" } { (web.t(MANAGE)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pager(&web, &query, "/app/admin", organizations.next_after.as_deref()))
            @if node_admin { (organization_form(&web, submitted)) }
        }
        section aria-labelledby="organization-heading" {
            h2 #organization-heading { (organization_name(web.language, &organization)) }
            @match (&users, &clients, &keys) {
                (None, None, None) => p.notice { (web.t(NOT_ADMIN)) },
                _ => {
                    h3 { (web.t(USERS)) }
                    (users_table(&web, users.as_ref().map(|page| page.items.as_slice()), &role_names))
                    @if users.is_some() { (user_form(&web, organization.id, node_admin, submitted)) }
                    h3 { (web.t(CLIENTS)) }
                    @match &clients {
                        Some(clients) if !clients.is_empty() => div.table-wrap {
                            table.responsive {
                                thead { tr {
                                    th scope="col" { (web.t(NAME)) } th scope="col" { (web.t(CLIENT_ID)) }
                                    th scope="col" { (web.t(ROLES)) } th scope="col" { (web.t(CREATED)) }
                                    th scope="col" { (web.t(STATE)) }
                                } }
                                tbody {
                                    @for client in clients {
                                        tr {
                                            td data-label=(web.t(NAME)) { (client.name) }
                                            td data-label=(web.t(CLIENT_ID)) { code { (client.id) } }
                                            td data-label=(web.t(ROLES)) { (role_names(&client.roles)) }
                                            td data-label=(web.t(CREATED)) { (i18n::date_time(web.language, client.created_at)) }
                                            td data-label=(web.t(STATE)) {
                                                @if client.revoked_at.is_some() { (web.t(REVOKED)) } @else {
                                                    (web.t(ACTIVE)) " "
                                                    form.inline method="post" action={ "/app/admin/clients/" (client.id) "/revoke" } {
                                                        input type="hidden" name="csrf" value=(web.form_token);
                                                        input type="hidden" name="organization" value=(organization.id);
                                                        button.secondary type="submit" { (web.t(REVOKE)) span.visually-hidden { " " (client.name) } }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        },
                        _ => p { (web.t(NONE)) },
                    }
                    @if clients.is_some() { (client_form(&web, organization.id, submitted)) }
                    h3 { (web.t(API_KEYS)) }
                    @match &keys {
                        Some(keys) if !keys.is_empty() => div.table-wrap {
                            table.responsive {
                                thead { tr {
                                    th scope="col" { (web.t(NAME)) } th scope="col" { (web.t(PREFIX)) }
                                    th scope="col" { (web.t(ROLES)) } th scope="col" { (web.t(STATE)) }
                                } }
                                tbody {
                                    @for key in keys {
                                        tr {
                                            td data-label=(web.t(NAME)) { (key.name) }
                                            td data-label=(web.t(PREFIX)) { code { (key.prefix) } }
                                            td data-label=(web.t(ROLES)) { (role_names(&key.roles)) }
                                            td data-label=(web.t(STATE)) { @if key.revoked_at.is_some() { (web.t(REVOKED)) } @else { (web.t(ACTIVE)) } }
                                        }
                                    }
                                }
                            }
                        },
                        _ => p { (web.t(NONE)) },
                    }
                }
            }
        }
        section aria-labelledby="profiles-heading" {
            h2 #profiles-heading { (web.t(PROFILES)) }
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(CODE)) } th scope="col" { (web.t(VERSION)) }
                        th scope="col" { (web.t(INDUSTRY)) } th scope="col" { (web.t(CREATED)) }
                    } }
                    tbody {
                        @for profile in &profiles {
                            tr {
                                td data-label=(web.t(CODE)) { a href={ "/api/v1/profiles/" (profile.code) } { code { (profile.code) } } }
                                td data-label=(web.t(VERSION)) { (profile.version) }
                                td data-label=(web.t(INDUSTRY)) { (industry_name(&profile.industry)) }
                                td data-label=(web.t(CREATED)) { (i18n::date_time(web.language, profile.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(if submitted.refused.is_some() {
        web.page_unprocessable(web.t(TITLE), Nav::Admin, body)
    } else {
        web.page(web.t(TITLE), Nav::Admin, body)
    })
}

fn users_table(
    web: &Web,
    users: Option<&[junkan_model::principal::User]>,
    role_names: &dyn Fn(&[Role]) -> String,
) -> Markup {
    html! {
        @match users {
            Some(users) if !users.is_empty() => div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(USERNAME)) } th scope="col" { (web.t(NAME)) }
                        th scope="col" { (web.t(ROLES)) } th scope="col" { (web.t(CREATED)) }
                    } }
                    tbody {
                        @for user in users {
                            tr {
                                td data-label=(web.t(USERNAME)) { code { (user.username) } }
                                td data-label=(web.t(NAME)) { (user.display_name) }
                                td data-label=(web.t(ROLES)) { (role_names(&user.roles)) }
                                td data-label=(web.t(CREATED)) { (i18n::date_time(web.language, user.created_at)) }
                            }
                        }
                    }
                }
            },
            _ => p { (web.t(NONE)) },
        }
    }
}

/// The revoke form.
#[derive(Debug, Deserialize)]
pub struct RevokeClientForm {
    csrf: String,
    organization: String,
}

/// `POST /app/admin/clients/{id}/revoke`: revokes a client credential (the store allows it to
/// the organization's administrators and node administrators); its tokens stop working at once.
pub async fn post_revoke_client(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<RevokeClientForm>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(&form.csrf)?;
    let id: ClientId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    state.store.revoke_client(&signed_in.actor, id).await.or_page(&web)?;
    let organization: Option<OrganizationId> = form.organization.parse().ok();
    Ok(see_other(&match organization {
        Some(organization) => format!("/app/admin?organization={organization}&revoked=1"),
        None => "/app/admin?revoked=1".to_owned(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Create forms

const NEW_ORGANIZATION: Text = ("組織を登録する", "Register an organization");
const NEW_USER: Text = ("アカウントを作成する", "Create an account");
const NEW_CLIENT: Text = ("クライアント認証情報を発行する", "Issue a client credential");
const CREATE: Text = ("作成", "Create");
const SECRET_ONCE: Text = (
    "クライアントシークレットは今だけ表示されます。安全な場所に保管してください。再表示はできません。",
    "The client secret is shown this once. Keep it somewhere safe: it cannot be shown again.",
);
const PROBLEMS: Text = (
    "入力に問題があります。各項目の説明を確認してください。",
    "Some fields need attention; see the notes next to them.",
);

fn created_notice(what: &str) -> Option<Text> {
    Some(match what {
        "organization" => ("組織を登録しました。", "The organization was registered."),
        "user" => ("アカウントを作成しました。", "The account was created."),
        _ => return None,
    })
}

/// A problem of a create form in the page's language: what to do in Japanese (by field), then
/// the store's precise English message.
fn problem_text(language: Language, violation: &Violation) -> String {
    let field = violation
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let japanese = match field {
        "name_ja" | "name_en" | "name" | "display_name" => "名称を入力してください（長さの上限があります）。",
        "username" => "ユーザー名は 3〜64 文字の英数字と「. _ - @」です。",
        "password" => "パスワードは 12 文字以上にしてください。",
        "roles" => "この役割を与える権限がないか、役割が正しくありません。",
        "corporate_number" => "法人番号は 13 桁で、チェックデジットが正しい必要があります。",
        "organization_type" => "組織の種別を選んでください。",
        "company_size" => "企業の規模を確認してください。",
        "locale" => "表示言語は ja または en です。",
        _ => "入力を確認してください。",
    };
    match language {
        Language::Ja => format!("{japanese}（{}）", violation.message),
        Language::En => violation.message.clone(),
    }
}

/// The refused form's sent value of `name`, if this is the form that was refused.
fn sent<'a>(submitted: &'a Submitted, form: &str, name: &str) -> Option<&'a str> {
    submitted
        .refused
        .as_ref()
        .filter(|(which, _, _)| *which == form)
        .and_then(|(_, fields, _)| fields.iter().find(|(key, _)| key == name))
        .map(|(_, value)| value.as_str())
}

fn sent_all<'a>(submitted: &'a Submitted, form: &str, name: &str) -> Vec<&'a str> {
    submitted
        .refused
        .iter()
        .filter(|(which, _, _)| *which == form)
        .flat_map(|(_, fields, _)| fields.iter())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .collect()
}

fn problems_for(web: &Web, submitted: &Submitted, form: &str, field: &str, id: &str) -> Markup {
    let problems: Vec<String> = submitted
        .refused
        .iter()
        .filter(|(which, _, _)| *which == form)
        .flat_map(|(_, _, problems)| problems.iter())
        .filter(|violation| violation.path.trim_start_matches('/').split('/').next() == Some(field))
        .map(|violation| problem_text(web.language, violation))
        .collect();
    html! {
        @if !problems.is_empty() { p.error #(format!("{id}-problem")) { (problems.join(" / ")) } }
    }
}

fn summary(web: &Web, submitted: &Submitted, form: &str) -> Markup {
    let refused = submitted.refused.as_ref().filter(|(which, _, _)| *which == form);
    html! {
        @if let Some((_, _, problems)) = refused {
            div.error role="alert" {
                p { (web.t(PROBLEMS)) }
                @for violation in problems.iter().filter(|violation| violation.path.is_empty()) {
                    p { (problem_text(web.language, violation)) }
                }
            }
        }
    }
}

fn text_input(
    web: &Web,
    submitted: &Submitted,
    form: &'static str,
    name: &'static str,
    label: Text,
    kind: &str,
) -> Markup {
    let id = format!("{form}-{name}");
    html! {
        div.field {
            label for=(id) { (web.t(label)) }
            @if kind == "password" {
                input #(id) type="password" name=(name) autocomplete="new-password";
            } @else {
                input #(id) type=(kind) name=(name) value=(sent(submitted, form, name).unwrap_or_default());
            }
            (problems_for(web, submitted, form, name, &id))
        }
    }
}

/// A principal's role in the page's language.
fn role_label(role: Role) -> Text {
    match role {
        Role::NodeAdmin => ("ノード管理者", "node administrator"),
        Role::OrgAdmin => ("組織の管理者", "organization administrator"),
        Role::Member => ("メンバー", "member"),
        Role::Auditor => ("監査人", "auditor"),
    }
}

/// The types of organization, with their labels.
const ORGANIZATION_TYPES: [(OrganizationType, Text); 6] = [
    (OrganizationType::Company, ("企業", "company")),
    (
        OrganizationType::IndustryAssociation,
        ("業界団体", "industry association"),
    ),
    (OrganizationType::Municipality, ("自治体", "municipality")),
    (
        OrganizationType::UniversityOrResearchInstitute,
        ("大学・研究機関", "university or research institute"),
    ),
    (
        OrganizationType::RelatedOrganization,
        ("関係機関", "related organization"),
    ),
    (OrganizationType::GovernmentBody, ("行政機関", "government body")),
];

/// A type of organization in the page's language.
fn organization_type_label(organization_type: OrganizationType) -> Text {
    ORGANIZATION_TYPES
        .iter()
        .find(|(kind, _)| *kind == organization_type)
        .map_or(("その他", "other"), |(_, label)| *label)
}

fn organization_form(web: &Web, submitted: &Submitted) -> Markup {
    let types = ORGANIZATION_TYPES;
    let sizes = [
        (CompanySize::Large, ("大企業", "large")),
        (CompanySize::Sme, ("中堅・中小企業", "SME")),
        (CompanySize::Small, ("小規模企業", "small")),
    ];
    let chosen_roles = sent_all(submitted, "organization", "role");
    html! {
        section aria-labelledby="new-organization-heading" {
            h3 #new-organization-heading { (web.t(NEW_ORGANIZATION)) }
            (summary(web, submitted, "organization"))
            form.sharing-form method="post" action="/app/admin/organizations" novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                (text_input(web, submitted, "organization", "name_ja", ("名称（日本語）", "Name (Japanese)"), "text"))
                (text_input(web, submitted, "organization", "name_en", ("名称（英語）", "Name (English)"), "text"))
                div.field {
                    label for="organization-type" { (web.t(KIND)) }
                    select #organization-type name="organization_type" {
                        @for (kind, label) in types {
                            option value=(kind.as_str()) selected[sent(submitted, "organization", "organization_type") == Some(kind.as_str())] { (web.t(label)) }
                        }
                    }
                    (problems_for(web, submitted, "organization", "organization_type", "organization-type"))
                }
                div.field {
                    label for="organization-size" { (web.t(("企業規模", "Company size"))) }
                    select #organization-size name="company_size" {
                        option value="" { "—" }
                        @for (size, label) in sizes {
                            option value=(size.as_str()) selected[sent(submitted, "organization", "company_size") == Some(size.as_str())] { (web.t(label)) }
                        }
                    }
                    (problems_for(web, submitted, "organization", "company_size", "organization-size"))
                }
                (text_input(web, submitted, "organization", "corporate_number", CORPORATE_NUMBER, "text"))
                fieldset {
                    legend { (web.t(ROLES)) }
                    @for role in CycleRole::ALL {
                        div.check {
                            input type="checkbox" id={ "organization-role-" (role.as_str()) } name="role" value=(role.as_str()) checked[chosen_roles.contains(&role.as_str())];
                            label for={ "organization-role-" (role.as_str()) } { (web.t(i18n::cycle_role(role))) }
                        }
                    }
                    (problems_for(web, submitted, "organization", "roles", "organization-roles"))
                }
                button type="submit" { (web.t(CREATE)) }
            }
        }
    }
}

fn role_checkboxes(web: &Web, submitted: &Submitted, form: &'static str, node_admin: bool) -> Markup {
    let chosen = sent_all(submitted, form, "role");
    let chosen: Vec<&str> = if submitted.refused.as_ref().is_some_and(|(which, _, _)| *which == form) {
        chosen
    } else {
        vec![Role::Member.as_str()]
    };
    let labels = role_label;
    html! {
        fieldset {
            legend { (web.t(ROLES)) }
            @for role in Role::ALL {
                @if node_admin || matches!(role, Role::OrgAdmin | Role::Member) {
                    div.check {
                        input type="checkbox" id={ (form) "-role-" (role.as_str()) } name="role" value=(role.as_str()) checked[chosen.contains(&role.as_str())];
                        label for={ (form) "-role-" (role.as_str()) } { (web.t(labels(role))) }
                    }
                }
            }
            (problems_for(web, submitted, form, "roles", &format!("{form}-roles")))
        }
    }
}

fn user_form(web: &Web, organization: OrganizationId, node_admin: bool, submitted: &Submitted) -> Markup {
    html! {
        section aria-labelledby="new-user-heading" {
            h4 #new-user-heading { (web.t(NEW_USER)) }
            (summary(web, submitted, "user"))
            form.sharing-form method="post" action="/app/admin/users" novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                input type="hidden" name="organization" value=(organization);
                (text_input(web, submitted, "user", "username", USERNAME, "text"))
                (text_input(web, submitted, "user", "display_name", NAME, "text"))
                (text_input(web, submitted, "user", "password", ("パスワード（12文字以上）", "Password (12 characters or more)"), "password"))
                div.field {
                    label for="user-locale" { (web.t(("表示言語", "Language"))) }
                    select #user-locale name="locale" {
                        option value="ja" selected[sent(submitted, "user", "locale") != Some("en")] { "日本語" }
                        option value="en" selected[sent(submitted, "user", "locale") == Some("en")] { "English" }
                    }
                }
                (role_checkboxes(web, submitted, "user", node_admin))
                button type="submit" { (web.t(CREATE)) }
            }
        }
    }
}

fn client_form(web: &Web, organization: OrganizationId, submitted: &Submitted) -> Markup {
    html! {
        section aria-labelledby="new-client-heading" {
            h4 #new-client-heading { (web.t(NEW_CLIENT)) }
            (summary(web, submitted, "client"))
            form.sharing-form method="post" action="/app/admin/clients" novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                input type="hidden" name="organization" value=(organization);
                (text_input(web, submitted, "client", "name", ("用途（名称）", "What it is for (name)"), "text"))
                (role_checkboxes(web, submitted, "client", false))
                button type="submit" { (web.t(CREATE)) }
            }
        }
    }
}

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

fn roles_of(fields: &[(String, String)], problems: &mut Vec<Violation>) -> Vec<Role> {
    let mut roles = Vec::new();
    for (key, value) in fields {
        if key == "role" {
            match Role::parse(value) {
                Some(role) => roles.push(role),
                None => problems.push(Violation::new("/roles", format!("unknown role {value:?}"))),
            }
        }
    }
    roles
}

fn back_to(organization: Option<OrganizationId>) -> ListQuery {
    let raw = organization.map(|id| format!("organization={id}"));
    ListQuery::parse(raw.as_deref())
}

/// A store error of a create form: its violations (or a refusal) next to the form, else the
/// error page.
fn refused_by_store(web: &Web, error: StoreError, taken: &str) -> Result<Vec<Violation>, super::WebError> {
    match error {
        StoreError::Invalid(violations) => Ok(violations),
        StoreError::Conflict { .. } => Ok(vec![Violation::new(taken, "is already registered")]),
        other => Err(web.fail(Problem::from_store(other))),
    }
}

/// `POST /app/admin/organizations` (node administrators; the store refuses anyone else).
pub async fn post_organization(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(
        fields
            .iter()
            .find(|(key, _)| key == "csrf")
            .map_or("", |(_, value)| value),
    )?;
    let mut problems = Vec::new();
    let organization_type = field(&fields, "organization_type")
        .and_then(|text| serde_json::from_value::<OrganizationType>(serde_json::Value::String(text.to_owned())).ok());
    if organization_type.is_none() {
        problems.push(Violation::new("/organization_type", "choose the type of organization"));
    }
    let company_size = field(&fields, "company_size")
        .and_then(|text| serde_json::from_value::<CompanySize>(serde_json::Value::String(text.to_owned())).ok());
    let roles: Vec<CycleRole> = fields
        .iter()
        .filter(|(key, _)| key == "role")
        .filter_map(|(_, value)| CycleRole::parse(value))
        .collect();
    let result = match (organization_type, problems.is_empty()) {
        (Some(organization_type), true) => {
            let new = NewOrganization {
                name_ja: field(&fields, "name_ja").unwrap_or_default().to_owned(),
                name_en: field(&fields, "name_en").unwrap_or_default().to_owned(),
                organization_type,
                company_size,
                corporate_number: field(&fields, "corporate_number").map(str::to_owned),
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: None,
                industries: Vec::new(),
                roles,
                website: None,
            };
            state.store.create_organization(&signed_in.actor, new).await
        }
        _ => Err(StoreError::Invalid(problems)),
    };
    match result {
        Ok(organization) => Ok(see_other(&format!(
            "/app/admin?organization={}&created=organization#organization-heading",
            organization.id
        ))),
        Err(error) => {
            let problems = refused_by_store(&web, error, "/corporate_number")?;
            let submitted = Submitted {
                refused: Some(("organization", fields, problems)),
                created_client: None,
            };
            admin_page(&state, &web, ListQuery::default(), &submitted).await
        }
    }
}

/// `POST /app/admin/users`: an account of an organization (its administrators; roles that only a
/// node administrator gives are refused as for the API).
pub async fn post_user(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(
        fields
            .iter()
            .find(|(key, _)| key == "csrf")
            .map_or("", |(_, value)| value),
    )?;
    let organization: OrganizationId = field(&fields, "organization")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| web.fail(Problem::BadRequest))?;
    let mut problems = Vec::new();
    let roles = roles_of(&fields, &mut problems);
    let new = NewUser {
        username: field(&fields, "username").unwrap_or_default().to_owned(),
        display_name: field(&fields, "display_name").unwrap_or_default().to_owned(),
        password: fields
            .iter()
            .find(|(key, _)| key == "password")
            .map(|(_, value)| value.clone())
            .unwrap_or_default(),
        roles: if roles.is_empty() { vec![Role::Member] } else { roles },
        locale: field(&fields, "locale").unwrap_or("ja").to_owned(),
    };
    if let Err(found) = new.validate() {
        problems.extend(found);
    }
    if let Err(message) = signed_in.actor.check_can_assign(organization, &new.roles) {
        if !signed_in.actor.administers(organization) {
            return Err(web.fail(Problem::Forbidden));
        }
        problems.push(Violation::new("/roles", message));
    }
    let result = if problems.is_empty() {
        let password = new.password.clone();
        // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| web.fail(Problem::Unavailable))?;
        let record = NewUserRecord {
            username: new.username,
            display_name: new.display_name,
            password_hash,
            roles: new.roles,
            locale: new.locale,
        };
        state
            .store
            .create_user(&signed_in.actor, organization, record)
            .await
            .map(|_| ())
    } else {
        Err(StoreError::Invalid(problems))
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/app/admin?organization={organization}&created=user#organization-heading"
        ))),
        Err(error) => {
            let problems = refused_by_store(&web, error, "/username")?;
            // The password is never sent back into the page.
            let fields: Fields = fields.into_iter().filter(|(key, _)| key != "password").collect();
            let submitted = Submitted {
                refused: Some(("user", fields, problems)),
                created_client: None,
            };
            admin_page(&state, &web, back_to(Some(organization)), &submitted).await
        }
    }
}

/// `POST /app/admin/clients`: an OAuth client credential of an organization; the answer is the
/// administration page with the secret shown this once (not a redirect, so the secret is never
/// in a URL or the history).
pub async fn post_client(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(
        fields
            .iter()
            .find(|(key, _)| key == "csrf")
            .map_or("", |(_, value)| value),
    )?;
    let organization: OrganizationId = field(&fields, "organization")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| web.fail(Problem::BadRequest))?;
    let mut problems = Vec::new();
    let roles = roles_of(&fields, &mut problems);
    let new = NewCredential {
        name: field(&fields, "name").unwrap_or_default().to_owned(),
        roles: if roles.is_empty() { vec![Role::Member] } else { roles },
        expires_at: None,
    };
    let secret = generate_secret();
    let result = if problems.is_empty() {
        state
            .store
            .create_client(&signed_in.actor, organization, &new, &digest(&secret))
            .await
    } else {
        Err(StoreError::Invalid(problems))
    };
    match result {
        Ok(client) => {
            let submitted = Submitted {
                refused: None,
                created_client: Some((client.id.to_string(), secret)),
            };
            admin_page(&state, &web, back_to(Some(organization)), &submitted).await
        }
        Err(error) => {
            let problems = refused_by_store(&web, error, "/name")?;
            let submitted = Submitted {
                refused: Some(("client", fields, problems)),
                created_client: None,
            };
            admin_page(&state, &web, back_to(Some(organization)), &submitted).await
        }
    }
}
