//! The page of parts bought on peer nodes (ノード間の調達, `/app/remote-supplies`; issue 10,
//! docs/federation.md §5b): the organization's links from its own parts to suppliers' parts on
//! peer nodes, which the CFP roll-up (`cfpRollup`, and the totals of `dataTarget=cfp`) asks the
//! peers about, with the form that links a part and the buttons that remove links.
//!
//! Every action is the API's (`handlers::federation::link_remote_supply`, the store's
//! `list_ouranos_remote_supplies` and `delete_ouranos_remote_supply`), so the checks (a part of
//! the organization, a registered peer, a DID of an organization of that peer) are the API's.

use axum::extract::{Path, RawQuery, State};
use axum::Form;
use maud::html;

use junkan_model::federation::{NewRemoteSupply, Peer};
use junkan_model::ids::PeerId;
use junkan_model::Violation;

use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Text};
use super::layout::Nav;
use super::list::ListQuery;
use super::see_other;
use super::sharing::{csrf, described_by, field_problems, problem_summary, value, Fields};
use crate::handlers::federation::link_remote_supply;
use crate::AppState;

const TITLE: Text = (
    "ノード間の調達（他ノードの供給元部品）",
    "Parts bought on peer nodes (ノード間の調達)",
);
const LEAD: Text = (
    "自社の部品を、連携ノード上の供給元の部品に結び付けます。CFP の積み上げ算定は、結び付けた部品について供給元ノードに署名付きで問い合わせ、供給元の許諾があればその値を使い、なければ「非開示」と示します。",
    "Links your parts to suppliers' parts on peer nodes. The CFP roll-up asks the supplier's node about each linked part, signed, and uses its value under the supplier's grant, or shows the part as withheld (非開示).",
);
const PART: Text = ("自社の部品（トレース ID）", "Your part (trace id)");
const PEER: Text = ("連携ノード", "Peer node");
const SUPPLIER: Text = ("供給元の組織（DID）", "Supplier organization (DID)");
const SUPPLIER_PART: Text = ("供給元の部品（トレース ID）", "Supplier's part (trace id)");
const UPDATED: Text = ("更新日時", "Updated");
const REMOVE: Text = ("結び付けを解除する", "Remove the link");
const NONE_LINKED: Text = (
    "他ノードの部品に結び付けた部品はありません。",
    "No part is linked to a part on a peer node.",
);
const LINK: Text = ("部品を結び付ける", "Link a part");
const LINK_LEAD: Text = (
    "同じ部品をもう一度結び付けると、以前の結び付けを置き換えます。",
    "Linking the same part again replaces its earlier link.",
);
const SAVE: Text = ("結び付ける", "Link");
const NO_PEERS: Text = (
    "連携ノードが登録されていません。ノード管理者が「連携ノード」で登録してください。",
    "No peer node is registered; a node administrator registers one under Peer nodes.",
);
const WRITERS_ONLY: Text = (
    "結び付けを変更できるのは、組織のために書き込めるメンバーです。",
    "Members who write for the organization change the links.",
);
const LINKED: Text = ("部品を結び付けました。", "The part is linked.");
const REMOVED: Text = ("結び付けを解除しました。", "The link was removed.");

/// `GET /app/remote-supplies`.
pub async fn get_remote_supplies(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    supplies_page(&state, &web, &query, &[], &[]).await
}

async fn supplies_page(
    state: &AppState,
    web: &Web,
    query: &ListQuery,
    sent: &[(String, String)],
    problems: &[Violation],
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let supplies = state
        .store
        .list_ouranos_remote_supplies(&signed_in.actor)
        .await
        .or_page(web)?;
    let peers = state.store.list_peers().await.or_page(web)?;
    let may_write = signed_in.actor.writes_for(signed_in.organization.id);
    let field = |name: &str| value(sent, name).unwrap_or_default().to_owned();
    let chosen_peer = field("peer_id");
    let notice = match query.get("done") {
        Some("linked") => Some(LINKED),
        Some("removed") => Some(REMOVED),
        _ => None,
    };
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        @if let Some(notice) = notice {
            p.notice role="status" { (web.t(notice)) }
        }
        @if supplies.is_empty() {
            p { (web.t(NONE_LINKED)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(PART)) }
                        th scope="col" { (web.t(PEER)) }
                        th scope="col" { (web.t(SUPPLIER)) }
                        th scope="col" { (web.t(SUPPLIER_PART)) }
                        th scope="col" { (web.t(UPDATED)) }
                        @if may_write { th scope="col" { span.visually-hidden { (web.t(REMOVE)) } } }
                    } }
                    tbody {
                        @for supply in &supplies {
                            tr {
                                td data-label=(web.t(PART)) { code { (supply.trace_id) } }
                                td data-label=(web.t(PEER)) { code { (peer_name(&peers, supply.peer_id)) } }
                                td data-label=(web.t(SUPPLIER)) { code.wrap { (supply.supplier_did) } }
                                td data-label=(web.t(SUPPLIER_PART)) { code { (supply.supplier_trace_id) } }
                                td data-label=(web.t(UPDATED)) { (i18n::date_time(web.language, supply.updated_at)) }
                                @if may_write {
                                    td {
                                        form.inline method="post" action={ "/app/remote-supplies/" (supply.trace_id) "/delete" } {
                                            input type="hidden" name="csrf" value=(web.form_token);
                                            button.danger type="submit" aria-label={ (web.t(REMOVE)) ": " (supply.trace_id) } { (web.t(REMOVE)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="link-heading" {
            h2 #link-heading { (web.t(LINK)) }
            @if !may_write {
                p.muted { (web.t(WRITERS_ONLY)) }
            } @else if peers.is_empty() {
                p { (web.t(NO_PEERS)) }
            } @else {
                p { (web.t(LINK_LEAD)) }
                (problem_summary(web, problems))
                form.sharing-form method="post" action="/app/remote-supplies" novalidate {
                    input type="hidden" name="csrf" value=(web.form_token);
                    div.field {
                        label for="supply-part" { (web.t(PART)) }
                        input #supply-part name="trace_id" required value=(field("trace_id")) aria-describedby=[described_by(problems, &["trace_id"], "supply-part")];
                        (field_problems(web, problems, &["trace_id"], "supply-part"))
                    }
                    div.field {
                        label for="supply-peer" { (web.t(PEER)) }
                        select #supply-peer name="peer_id" aria-describedby=[described_by(problems, &["peer_id"], "supply-peer")] {
                            @for peer in &peers {
                                option value=(peer.id) selected[chosen_peer == peer.id.to_string()] { (peer.base_url) " (" (peer.did) ")" }
                            }
                        }
                        (field_problems(web, problems, &["peer_id"], "supply-peer"))
                    }
                    div.field {
                        label for="supply-did" { (web.t(SUPPLIER)) }
                        input #supply-did name="supplier_did" required placeholder="did:web:…:organizations:…" value=(field("supplier_did")) aria-describedby=[described_by(problems, &["supplier_did"], "supply-did")];
                        (field_problems(web, problems, &["supplier_did"], "supply-did"))
                    }
                    div.field {
                        label for="supply-supplier-part" { (web.t(SUPPLIER_PART)) }
                        input #supply-supplier-part name="supplier_trace_id" required value=(field("supplier_trace_id")) aria-describedby=[described_by(problems, &["supplier_trace_id"], "supply-supplier-part")];
                        (field_problems(web, problems, &["supplier_trace_id"], "supply-supplier-part"))
                    }
                    button type="submit" { (web.t(SAVE)) }
                }
            }
        }
    };
    Ok(if problems.is_empty() {
        web.page(web.t(TITLE), Nav::None, body)
    } else {
        web.page_unprocessable(web.t(TITLE), Nav::None, body)
    })
}

fn peer_name(peers: &[Peer], id: PeerId) -> &str {
    peers
        .iter()
        .find(|peer| peer.id == id)
        .map_or("—", |peer| peer.base_url.as_str())
}

/// `POST /app/remote-supplies`: links a part through the API's `link_remote_supply`; problems
/// next to their fields, nothing changed.
pub async fn post_remote_supply(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    if !signed_in.actor.writes_for(signed_in.organization.id) {
        return Err(web.fail(Problem::Forbidden));
    }
    let query = ListQuery::default();
    let mut problems = Vec::new();
    let uuid_of = |name: &str, problems: &mut Vec<Violation>| {
        let parsed = value(&fields, name).and_then(|text| uuid::Uuid::parse_str(text).ok());
        if parsed.is_none() {
            problems.push(Violation::new(format!("/{name}"), "enter a trace id (a UUID)"));
        }
        parsed
    };
    let trace_id = uuid_of("trace_id", &mut problems);
    let supplier_trace_id = uuid_of("supplier_trace_id", &mut problems);
    let peer_id = value(&fields, "peer_id").and_then(|text| text.parse::<PeerId>().ok());
    if peer_id.is_none() {
        problems.push(Violation::new("/peer_id", "choose a peer node"));
    }
    let supplier_did = value(&fields, "supplier_did").unwrap_or_default().to_owned();
    let (Some(trace_id), Some(supplier_trace_id), Some(peer_id), true) =
        (trace_id, supplier_trace_id, peer_id, problems.is_empty())
    else {
        return supplies_page(&state, &web, &query, &fields, &problems).await;
    };
    let new = NewRemoteSupply {
        peer_id,
        supplier_did,
        supplier_trace_id,
    };
    match link_remote_supply(&state, &signed_in.actor, trace_id, &new).await {
        Ok(_) => Ok(see_other("/app/remote-supplies?done=linked")),
        Err(error) if !error.violations().is_empty() => {
            let problems = error.violations().to_vec();
            supplies_page(&state, &web, &query, &fields, &problems).await
        }
        Err(error) if error.status() == axum::http::StatusCode::NOT_FOUND => {
            let problems = vec![Violation::new("/trace_id", error.detail())];
            supplies_page(&state, &web, &query, &fields, &problems).await
        }
        Err(error) if error.status() == axum::http::StatusCode::FORBIDDEN => Err(web.fail(Problem::Forbidden)),
        Err(error) => {
            tracing::error!(error = %error.detail(), "web page: linking a remote supply failed");
            Err(web.fail(Problem::Unavailable))
        }
    }
}

/// `POST /app/remote-supplies/{trace_id}/delete`: removes one link of the organization.
pub async fn post_delete_remote_supply(
    State(state): State<AppState>,
    web: Web,
    Path(trace_id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let trace_id = uuid::Uuid::parse_str(&trace_id).map_err(|_| web.fail(Problem::NotFound))?;
    match state
        .store
        .delete_ouranos_remote_supply(&signed_in.actor, trace_id)
        .await
    {
        Ok(()) => Ok(see_other("/app/remote-supplies?done=removed")),
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}
