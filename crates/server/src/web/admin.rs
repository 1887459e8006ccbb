//! Node and organization administration (管理, `/app/admin`), for node and organization
//! administrators only: the organizations of the node (searchable, paged), and of one
//! organization its users, OAuth client credentials and API keys (a client can be revoked
//! through a protected form), and the registered passport profiles. Every list is one store
//! call with the administrator's actor: the store decides who may list and revoke what, as for
//! `/api/v1/organizations/{id}/users`, `.../clients` and `/api/v1/profiles`. Creating
//! organizations, accounts and credentials stays with the API and `junkan admin` (their secrets
//! are shown once, which a page that may be cached or shared should not do).

use axum::extract::{Path, RawQuery, State};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use junkan_model::ids::{ClientId, OrganizationId};
use junkan_model::organization::OrganizationFilter;
use junkan_model::page::PageRequest;
use junkan_model::principal::Role;

use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Text};
use super::layout::{organization_name, Nav};
use super::list::{pager, ListQuery};
use super::see_other;
use crate::AppState;

const TITLE: Text = ("管理", "Administration");
const LEAD: Text = (
    "ノードの組織、組織のアカウント・クライアント認証情報・API キー、登録済みのプロファイル。組織やアカウント、認証情報の作成は API または junkan admin で行います（秘密情報は一度だけ表示されるため）。",
    "The node's organizations; an organization's accounts, client credentials and API keys; the registered profiles. Organizations, accounts and credentials are created through the API or junkan admin (their secrets are shown once).",
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
    let signed_in = web.require_sign_in()?;
    let roles = &signed_in.user.roles;
    if !roles.contains(&Role::NodeAdmin) && !roles.contains(&Role::OrgAdmin) {
        return Err(web.fail(Problem::Forbidden));
    }
    let query = ListQuery::parse(raw.as_deref());
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
    let role_names = |roles: &[Role]| roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(", ");
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        @if query.get("revoked").is_some() { p.notice role="status" { (web.t(REVOKED_NOTICE)) } }
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
                                td data-label=(web.t(KIND)) { (listed.organization_type.as_str()) }
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
        }
        section aria-labelledby="organization-heading" {
            h2 #organization-heading { (organization_name(web.language, &organization)) }
            @match (&users, &clients, &keys) {
                (None, None, None) => p.notice { (web.t(NOT_ADMIN)) },
                _ => {
                    h3 { (web.t(USERS)) }
                    (users_table(&web, users.as_ref().map(|page| page.items.as_slice()), &role_names))
                    h3 { (web.t(CLIENTS)) }
                    @match &clients {
                        Some(clients) if !clients.is_empty() => div.table-wrap {
                            table.responsive {
                                thead { tr {
                                    th scope="col" { (web.t(NAME)) } th scope="col" { "client_id" }
                                    th scope="col" { (web.t(ROLES)) } th scope="col" { (web.t(CREATED)) }
                                    th scope="col" { (web.t(STATE)) }
                                } }
                                tbody {
                                    @for client in clients {
                                        tr {
                                            td data-label=(web.t(NAME)) { (client.name) }
                                            td data-label="client_id" { code { (client.id) } }
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
                    h3 { (web.t(API_KEYS)) }
                    @match &keys {
                        Some(keys) if !keys.is_empty() => div.table-wrap {
                            table.responsive {
                                thead { tr {
                                    th scope="col" { (web.t(NAME)) } th scope="col" { "prefix" }
                                    th scope="col" { (web.t(ROLES)) } th scope="col" { (web.t(STATE)) }
                                } }
                                tbody {
                                    @for key in keys {
                                        tr {
                                            td data-label=(web.t(NAME)) { (key.name) }
                                            td data-label="prefix" { code { (key.prefix) } }
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
                        th scope="col" { "code" } th scope="col" { (web.t(VERSION)) }
                        th scope="col" { (web.t(INDUSTRY)) } th scope="col" { (web.t(CREATED)) }
                    } }
                    tbody {
                        @for profile in &profiles {
                            tr {
                                td data-label="code" { a href={ "/api/v1/profiles/" (profile.code) } { code { (profile.code) } } }
                                td data-label=(web.t(VERSION)) { (profile.version) }
                                td data-label=(web.t(INDUSTRY)) { (profile.industry) }
                                td data-label=(web.t(CREATED)) { (i18n::date_time(web.language, profile.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(web.page(web.t(TITLE), Nav::Admin, body))
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
