//! The tamper-evident log's page (改ざん検知ログ / transparency log, `/app/log`), public like the
//! well-known URLs it mirrors: the newest signed tree head, the history of heads (paged), how to
//! check them, and where the node's public key and the proofs are.

use axum::extract::{RawQuery, State};
use maud::html;

use super::context::{OrPage, Web, WebResult};
use super::i18n::Text;
use super::layout::Nav;
use super::list::{pager, ListQuery};
use crate::handlers::transparency_log::TreeHeadView;
use crate::AppState;

const TITLE: Text = ("改ざん検知ログ", "Transparency log");
const LEAD: Text = (
    "このノードへの書き込み（組織、事業所、アカウント、共有設定、EPCIS イベント、パスポートとその版、CFP、指標、台帳など）はすべて、書き込みと同じトランザクションで RFC 9162 形式のマークル木のログに追記されます。ノードは定期的に木の先頭（サイズ、時刻、ルートハッシュ）に Ed25519 で署名して公開します。どの記録も包含証明で、どの二つの署名済み木の先頭も一貫性証明で検証できます。",
    "Every write to this node (organizations, facilities, accounts, grants, EPCIS events, passports and their versions, footprints, indicators, ledgers, ...) is appended, in the write's own transaction, to an RFC 9162 Merkle-tree log. The node periodically signs the tree head (size, time, root hash) with Ed25519 and publishes it. Any record can be checked with an inclusion proof, and any two signed tree heads with a consistency proof.",
);
const LATEST: Text = ("最新の署名済み木の先頭（STH）", "Latest signed tree head (STH)");
const HISTORY: Text = ("署名済み木の先頭の履歴", "Signed tree head history");
const NONE_YET: Text = (
    "まだ署名された木の先頭はありません。",
    "No tree head has been signed yet.",
);
const SEQUENCE: Text = ("番号", "No.");
const SIZE: Text = ("木のサイズ（葉の数）", "Tree size (leaves)");
const SIGNED_AT: Text = ("署名日時", "Signed at");
const ROOT: Text = ("ルートハッシュ（SHA-256）", "Root hash (SHA-256)");
const KEY: Text = ("署名鍵（kid）", "Signing key (kid)");
const SIGNATURE: Text = ("署名（Ed25519, base64url）", "Signature (Ed25519, base64url)");
const CHECK: Text = ("検証の方法", "How to check");
const CHECK_KEY: Text = (
    "ノードの公開鍵は JWKS に kid で公開されています：",
    "The node's public keys are published by kid in its JWKS:",
);
const CHECK_STH: Text = (
    "機械可読な最新の STH と履歴：",
    "The latest STH and the history, machine-readable:",
);
const CHECK_CONSISTENCY: Text = (
    "二つの STH の一貫性証明（RFC 9162 §2.1.4）：",
    "The consistency proof between two STHs (RFC 9162 §2.1.4):",
);
const CHECK_INCLUSION: Text = (
    "記録の包含証明（RFC 9162 §2.1.3、サインインが必要）：",
    "A record's inclusion proof (RFC 9162 §2.1.3, signed in):",
);
const CHECK_CLI: Text = (
    "ノード管理者は junkan verify --log でストア全体からログを再計算し、最初の不一致を確認できます。",
    "A node administrator recomputes the whole log from the store with junkan verify --log, which reports the first divergence.",
);

/// `GET /app/log`: the signed tree heads, newest first.
pub async fn get_log_page(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let query = ListQuery::parse(raw.as_deref());
    let heads = state.store.tree_heads(&query.page).await.or_page(&web)?;
    let views: Vec<TreeHeadView> = heads.items.iter().map(TreeHeadView::of).collect();
    let latest = if query.page.after.is_none() {
        views.first().cloned()
    } else {
        state
            .store
            .latest_tree_head()
            .await
            .or_page(&web)?
            .map(|stored| TreeHeadView::of(&stored))
    };
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        section aria-labelledby="latest-heading" {
            h2 #latest-heading { (web.t(LATEST)) }
            @match &latest {
                Some(head) => {
                    dl.facts {
                        dt { (web.t(SIZE)) } dd { (head.tree_size) }
                        dt { (web.t(SIGNED_AT)) } dd { time datetime=(head.signed_at) { (head.signed_at) } }
                        dt { (web.t(ROOT)) } dd { code.hash { (head.root_hash) } }
                        dt { (web.t(KEY)) } dd { code { (head.key_id) } }
                        dt { (web.t(SIGNATURE)) } dd { code.hash { (head.signature) } }
                    }
                }
                None => p { (web.t(NONE_YET)) }
            }
        }
        section aria-labelledby="history-heading" {
            h2 #history-heading { (web.t(HISTORY)) }
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(SEQUENCE)) }
                        th scope="col" { (web.t(SIZE)) }
                        th scope="col" { (web.t(SIGNED_AT)) }
                        th scope="col" { (web.t(ROOT)) }
                        th scope="col" { (web.t(KEY)) }
                    } }
                    tbody {
                        @for head in &views {
                            tr {
                                td data-label=(web.t(SEQUENCE)) { (head.sequence) }
                                td data-label=(web.t(SIZE)) { (head.tree_size) }
                                td data-label=(web.t(SIGNED_AT)) { time datetime=(head.signed_at) { (head.signed_at) } }
                                td data-label=(web.t(ROOT)) { code.hash { (head.root_hash) } }
                                td data-label=(web.t(KEY)) { code { (head.key_id) } }
                            }
                        }
                    }
                }
            }
            (pager(&web, &query, "/app/log", heads.next_after.as_deref()))
        }
        section aria-labelledby="check-heading" {
            h2 #check-heading { (web.t(CHECK)) }
            ul {
                li { (web.t(CHECK_KEY)) " " a href="/.well-known/jwks.json" { code { "/.well-known/jwks.json" } } }
                li {
                    (web.t(CHECK_STH)) " "
                    a href="/.well-known/junkan-log/sth" { code { "/.well-known/junkan-log/sth" } } " · "
                    a href="/.well-known/junkan-log/tree-heads" { code { "/.well-known/junkan-log/tree-heads" } }
                }
                li { (web.t(CHECK_CONSISTENCY)) " " code { "/.well-known/junkan-log/consistency?first=…&second=…" } }
                li { (web.t(CHECK_INCLUSION)) " " code { "/api/v1/log/inclusion?kind=passport&id=…" } }
                li { (web.t(CHECK_CLI)) }
            }
        }
    };
    Ok(web.page(web.t(TITLE), Nav::Log, body))
}
