//! Federation pages (ノード間連携, issue 10 item 4; docs/federation.md): the peer nodes
//! (`/app/peers`, registered by node administrators), a peer's catalog fetched as the user's
//! organization with the form of a remote access request, the records received from partners
//! (`/app/received`, each credential verified again when the page is shown, with the requests
//! sent to peers and their refresh and pull), and the Dataspace Protocol's negotiations and
//! transfers of the organization (`/app/dataspace`, read-only).
//!
//! Every action is one of the API's functions (`handlers::federation::register_peer`,
//! `peer_catalog`, `send_remote_request`, `refreshed`, `pull_records`,
//! `verify_peer_credential`), so the rules, the signatures and the verification are the API's.
//! A peer that is down is a message on the page (with the peer's DID and URL), never an error
//! page: the rest of the page is still shown.

use axum::extract::{Path, RawQuery, State};
use axum::Form;
use maud::{html, Markup};
use serde_json::Value;
use time::Duration;

use junkan_credential::{Outcome, VerificationReport};
use junkan_model::access::{GrantLevel, RecordClass};
use junkan_model::dsp::{NegotiationState, TransferState};
use junkan_model::federation::{NewPeer, NewRemoteRequest, Peer, ReceivedRecord, RemoteRequest};
use junkan_model::ids::{PeerId, ReceivedRecordId, RemoteRequestId};
use junkan_model::principal::Role;
use junkan_model::sharing::NewAccessRequest;
use junkan_model::Violation;

use super::context::{OrPage, Problem, SignedIn, Web, WebError, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{options, pager, ListQuery, Organizations};
use super::see_other;
use super::sharing::{
    csrf, day_of, day_text, described_by, field_problems, kind_named, problem_summary, reads_of, until_of, value,
    Fields,
};
use crate::error::ApiError;
use crate::handlers::federation::{self as api, CredentialRefusal, StatusLists};
use crate::AppState;

// ---------------------------------------------------------------------------------------------
// Texts

const PEERS_TITLE: Text = ("連携ノード（Peers）", "Peer nodes (連携ノード)");
const PEERS_LEAD: Text = (
    "データを交換する他の junkan ノードです。登録したノードの組織とだけ、署名付きのメッセージ（RFC 9421）で通信します。",
    "Other junkan nodes this node exchanges data with. Signed messages (RFC 9421) go to and come from the organizations of registered nodes only.",
);
const BASE_URL: Text = ("ベース URL", "Base URL");
const DID: Text = ("DID", "DID");
const ADDED: Text = ("登録日時", "Added");
const KEYS: Text = ("鍵の状態", "Key status");
const NO_PEERS: Text = ("登録された連携ノードはありません。", "No peer node is registered.");
const ADD_PEER: Text = ("連携ノードを登録する", "Register a peer node");
const ADD_PEER_LEAD: Text = (
    "相手ノードの公開ベース URL を入力してください。/.well-known/did.json の DID 文書を取得して確認します。",
    "Enter the peer's public base URL. Its DID document is fetched from /.well-known/did.json and checked.",
);
const REGISTER: Text = ("登録する", "Register");
const OPEN_CATALOG: Text = ("カタログを取得", "Fetch the catalog");
const ADMINS_ONLY: Text = (
    "連携ノードの登録はノード管理者が行います。",
    "Node administrators register peer nodes.",
);
const KEY_ACTIVE: Text = ("有効", "in service");
const KEY_RETIRED: Text = ("失効", "retired");
const NO_KEYS: Text = ("公開鍵がありません", "no public key");

const CATALOG_TITLE: Text = ("連携ノードのカタログ", "Peer node catalog");
const CATALOG_LEAD: Text = (
    "自社の鍵で署名して取得した、この連携ノードのデータセットです。アクセス申請は相手ノードの組織に送られ、承認されると「受信データ」から取得できます。",
    "The peer's datasets, fetched with a request signed by your organization's key. An access request goes to the organization on the peer; once approved, pull the records from Received records.",
);
const DATASETS: Text = ("データセット", "Datasets");
const NO_DATASETS: Text = (
    "このノードがあなたの組織に示すデータセットはありません。",
    "The peer lists no dataset for your organization.",
);
const PUBLISHER: Text = ("提供者（相手ノード上の ID）", "Publisher (id on the peer)");
const KIND: Text = ("記録の種類", "Kind of record");
const LEVEL: Text = ("開示範囲（レベル）", "Level");
const PURPOSE: Text = ("利用目的", "Purpose");
const RECORD_IDS: Text = ("記録ID（1行に1つ）", "Record ids (one a line)");
const UNTIL: Text = ("期限", "Until");
const MAX_READS: Text = ("閲覧回数の上限", "Read limit");
const MESSAGE: Text = ("メッセージ", "Message");
const SEND: Text = ("アクセスを申請する", "Send the access request");
const WRITERS_ONLY: Text = (
    "他ノードへの申請と取得は、組織のために書き込める利用者（メンバー）が行います。",
    "Only members who write for the organization act for it towards peer nodes.",
);
const BACK_TO_PEERS: Text = ("連携ノード一覧へ戻る", "Back to the peer nodes");

const RECEIVED_TITLE: Text = ("受信データ（Received records）", "Received records (受信データ)");
const RECEIVED_LEAD: Text = (
    "連携ノードの取引先から取得したレコードです。各レコードは提供者の検証可能なクレデンシャルで、このページを開くたびに提供者の DID 文書と失効リストで検証し直します。",
    "Records pulled from partners on peer nodes. Each is the provider's verifiable credential, verified again against the provider's DID document and status list each time this page is shown.",
);
const SENT_REQUESTS: Text = ("連携ノードへのアクセス申請", "Access requests sent to peers");
const NO_REQUESTS: Text = (
    "連携ノードへ送った申請はありません。連携ノードのカタログから申請できます。",
    "No request was sent to a peer. Send one from a peer's catalog.",
);
const PROVIDER: Text = ("提供者（DID）", "Provider (DID)");
const RECORDS: Text = ("対象の記録", "Records");
const STATE: Text = ("状態", "State");
const SENT_AT: Text = ("送信日時", "Sent");
const CHECKED_AT: Text = ("最終確認", "Last checked");
const REFRESH: Text = ("状態を確認", "Check the state");
const PULL: Text = ("取得する（Pull）", "Pull (取得)");
const RECORDS_HEADING: Text = ("受信したレコード", "Records received");
const NO_RECORDS: Text = ("受信したレコードはありません。", "No record was received.");
const RECORD_ID: Text = ("記録ID", "Record id");
const VERSION: Text = ("版", "Version");
const VERIFIED_AT: Text = ("受信時の検証", "Verified on receipt");
const GRANT: Text = ("許諾・申請", "Grant / request");
const STATUS_NOW: Text = ("現在の検証状況", "Verification now");
const DETAILS: Text = ("詳細", "Details");
const VALID: Text = ("検証済み", "Verified");
const INVALID: Text = ("検証失敗", "Does not verify");
const UNCHECKED: Text = ("確認できません", "Could not check");
const NOT_RECHECKED: Text = ("未確認（詳細で確認）", "Not checked here (see details)");
const CLAIMS: Text = (
    "クレデンシャルの内容（credentialSubject）",
    "The credential's claims (credentialSubject)",
);
const CHECKS: Text = ("検証の各項目", "Each check");
const CREDENTIAL_ID: Text = ("クレデンシャル ID", "Credential id");
const KEY_ID: Text = ("署名鍵", "Signing key");
const PEER: Text = ("連携ノード", "Peer node");
const RAW: Text = (
    "受信したクレデンシャル（vc+jwt）",
    "The credential as received (vc+jwt)",
);
const BACK_TO_RECEIVED: Text = ("受信データへ戻る", "Back to the received records");
const PEER_DOWN_LEAD: Text = (
    "一部の提供者のノードに接続できないため、その提供者のレコードは検証し直せませんでした。受信時の検証結果は下の表のとおりです。",
    "The node of some providers could not be reached, so their records were not verified again. The verification made when they were received is shown below.",
);

const DATASPACE_TITLE: Text = ("データスペース（DSP）", "Dataspace (DSP)");
const DATASPACE_LEAD: Text = (
    "Dataspace Protocol 2025-1 による自社の契約交渉とデータ転送です（提供側・利用側の両方）。操作は API（/api/v1/dsp）で行います。",
    "Your organization's Dataspace Protocol 2025-1 contract negotiations and transfer processes, on either side. They are driven through the API (/api/v1/dsp).",
);
const NEGOTIATIONS: Text = ("契約交渉（Contract negotiations）", "Contract negotiations (契約交渉)");
const TRANSFERS: Text = ("データ転送（Transfer processes）", "Transfer processes (データ転送)");
const SIDE: Text = ("立場", "Side");
const COUNTERPARTY: Text = ("相手", "Counterparty");
const OFFER: Text = ("オファー", "Offer");
const AGREEMENT: Text = ("合意（Agreement）", "Agreement");
const FORMAT: Text = ("形式", "Format");
const UPDATED: Text = ("更新日時", "Updated");
const REASON: Text = ("理由", "Reason");
const NOTHING: Text = ("ありません。", "None.");

// ---------------------------------------------------------------------------------------------
// Shared parts

/// Whether the user writes for their organization (acts for it towards peers).
fn writes(signed_in: &SignedIn) -> bool {
    signed_in.actor.writes_for(signed_in.organization.id)
}

fn node_admin(signed_in: &SignedIn) -> bool {
    signed_in.user.roles.contains(&Role::NodeAdmin)
}

/// An API error of a peer exchange, in the page's language: what happened in a sentence, with
/// the API's precise (English) detail after it on Japanese pages.
fn peer_problem(language: Language, error: &ApiError) -> String {
    let kind = error
        .problem_type()
        .strip_prefix("urn:junkan:problem:")
        .unwrap_or_default();
    let japanese = match kind {
        "peer-unavailable" => "連携ノードに接続できないか、応答が正しくありません。相手ノードが停止している可能性があります。しばらくしてからもう一度お試しください。",
        "peer-timeout" => "連携ノードが時間内に応答しませんでした。しばらくしてからもう一度お試しください。",
        "peer-refused" => "連携ノードが要求を拒否しました（許諾がない、取り消された、期限切れ、または閲覧回数の上限に達した可能性があります）。",
        "forbidden" => "この操作に必要な権限がありません。",
        "not-found" => "対象が見つかりません。",
        "conflict" => "このノードはすでに登録されています。",
        "validation" => "入力を確認してください。",
        _ => "要求を処理できませんでした。",
    };
    let english = match kind {
        "peer-unavailable" => {
            "The peer node cannot be reached or answered wrongly; it may be down. Please try again later."
        }
        "peer-timeout" => "The peer node did not answer in time. Please try again later.",
        "peer-refused" => "The peer node refused (no grant, or it was revoked, expired or used up).",
        "forbidden" => "Your account does not have the role this needs.",
        "not-found" => "There is no such record you may see.",
        "conflict" => "This node is already registered.",
        "validation" => "Please check what you entered.",
        _ => "The request could not be processed.",
    };
    match language {
        Language::Ja => format!("{japanese}（{}）", error.detail()),
        Language::En => format!("{english} ({})", error.detail()),
    }
}

/// A peer's base URL problem in the page's language.
fn base_url_message(language: Language, violation: &Violation) -> String {
    let japanese = if violation.message.starts_with("must use https") {
        "https:// の URL を入力してください（http:// はループバックのホストのみ）。"
    } else if violation.message.starts_with("must be an absolute URL") {
        "https://ホスト名[:ポート] の形の URL を入力してください。"
    } else if violation.message.starts_with("must have no query") {
        "URL にクエリ（?）、フラグメント（#）、空白は使えません。"
    } else if violation.message.starts_with("must name a host") {
        "URL にはホスト名が必要です（ユーザー情報は使えません）。"
    } else if violation.message == "is this node itself" {
        "このノード自身は登録できません。"
    } else {
        "URL を確認してください。"
    };
    match language {
        Language::Ja => format!("{japanese}（{}）", violation.message),
        Language::En => violation.message.clone(),
    }
}

/// The keys of a peer's DID document as stored: each key id's fragment and whether it is in
/// service or retired (`revoked`).
fn key_status(web: &Web, peer: &Peer) -> Markup {
    let methods = peer
        .did_document
        .get("verificationMethod")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    html! {
        @if methods.is_empty() {
            span.badge.bad { (web.t(NO_KEYS)) }
        } @else {
            ul.plain {
                @for method in &methods {
                    @let id = method.get("id").and_then(Value::as_str).unwrap_or_default();
                    @let fragment = id.rsplit_once('#').map_or(id, |(_, fragment)| fragment);
                    li {
                        code { (fragment) } " "
                        @if method.get("revoked").is_some() {
                            span.badge.neutral { (web.t(KEY_RETIRED)) }
                        } @else {
                            span.badge { (web.t(KEY_ACTIVE)) }
                        }
                    }
                }
            }
        }
    }
}

fn flash(done: &str) -> Option<Text> {
    Some(match done {
        "peer" => ("連携ノードを登録しました。", "The peer node was registered."),
        "requested" => (
            "連携ノードの組織にアクセス申請を送信しました。",
            "The access request was sent to the peer's organization.",
        ),
        "refreshed" => ("申請の状態を確認しました。", "The request's state was checked."),
        "pulled" => (
            "レコードを取得し、クレデンシャルを検証して保存しました。",
            "The records were pulled, their credentials verified and kept.",
        ),
        _ => return None,
    })
}

fn flash_notice(web: &Web, query: &ListQuery) -> Markup {
    html! {
        @if let Some(text) = query.get("done").and_then(flash) {
            p.notice role="status" { (web.t(text)) }
        }
    }
}

fn peer_name(peers: &[Peer], id: PeerId) -> &str {
    peers
        .iter()
        .find(|peer| peer.id == id)
        .map_or("—", |peer| peer.base_url.as_str())
}

// ---------------------------------------------------------------------------------------------
// Peers

/// `GET /app/peers`: the registered peer nodes, the registration form (node administrators) and
/// a link to each peer's catalog (members who write).
pub async fn get_peers(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    peers_page(&state, &web, &query, "", &[], None).await
}

async fn peers_page(
    state: &AppState,
    web: &Web,
    query: &ListQuery,
    base_url: &str,
    problems: &[Violation],
    failure: Option<String>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let peers = state.store.list_peers().await.or_page(web)?;
    let may_register = node_admin(signed_in);
    let may_ask = writes(signed_in);
    let body = html! {
        h1 { (web.t(PEERS_TITLE)) }
        p.lead { (web.t(PEERS_LEAD)) }
        p { a href="/app/remote-supplies" { (web.t(("ノード間の調達（他ノードの供給元部品との結び付け）", "Parts bought on peer nodes (links to suppliers' parts)"))) } }
        (flash_notice(web, query))
        @if peers.is_empty() {
            p { (web.t(NO_PEERS)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(BASE_URL)) }
                        th scope="col" { (web.t(DID)) }
                        th scope="col" { (web.t(ADDED)) }
                        th scope="col" { (web.t(KEYS)) }
                        @if may_ask { th scope="col" { span.visually-hidden { (web.t(OPEN_CATALOG)) } } }
                    } }
                    tbody {
                        @for peer in &peers {
                            tr {
                                td data-label=(web.t(BASE_URL)) { code { (peer.base_url) } }
                                td data-label=(web.t(DID)) { code.wrap { (peer.did) } }
                                td data-label=(web.t(ADDED)) { (i18n::date_time(web.language, peer.created_at)) }
                                td data-label=(web.t(KEYS)) { (key_status(web, peer)) }
                                @if may_ask {
                                    td { a.button href={ "/app/peers/" (peer.id) "/catalog" } aria-label={ (web.t(OPEN_CATALOG)) ": " (peer.base_url) } { (web.t(OPEN_CATALOG)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !may_ask {
            p.muted { (web.t(WRITERS_ONLY)) }
        }
        section aria-labelledby="add-peer-heading" {
            h2 #add-peer-heading { (web.t(ADD_PEER)) }
            @if may_register {
                p { (web.t(ADD_PEER_LEAD)) }
                @if !problems.is_empty() || failure.is_some() {
                    div.error role="alert" {
                        p { (web.t(("登録できませんでした。各項目の説明を確認してください。", "The peer was not registered; see the problem next to the field."))) }
                    }
                }
                form.sharing-form method="post" action="/app/peers" novalidate {
                    input type="hidden" name="csrf" value=(web.form_token);
                    div.field {
                        label for="peer-base-url" { (web.t(BASE_URL)) }
                        input #peer-base-url name="base_url" type="url" inputmode="url" autocomplete="url" placeholder="https://junkan.example.jp" value=(base_url)
                            aria-invalid=[(!problems.is_empty() || failure.is_some()).then_some("true")]
                            aria-describedby=[(!problems.is_empty() || failure.is_some()).then_some("peer-base-url-problem")];
                        @if !problems.is_empty() || failure.is_some() {
                            p.error #peer-base-url-problem {
                                @for violation in problems { (base_url_message(web.language, violation)) " " }
                                @if let Some(failure) = &failure { (failure) }
                            }
                        }
                    }
                    button type="submit" { (web.t(REGISTER)) }
                }
            } @else {
                p.muted { (web.t(ADMINS_ONLY)) }
            }
        }
    };
    Ok(if problems.is_empty() && failure.is_none() {
        web.page(web.t(PEERS_TITLE), Nav::Peers, body)
    } else {
        web.page_unprocessable(web.t(PEERS_TITLE), Nav::Peers, body)
    })
}

/// `POST /app/peers`: registers a peer through the API's `register_peer` (node administrators):
/// the same base URL rules and the same DID document checks; problems next to the field.
pub async fn post_peer(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    if !node_admin(signed_in) {
        return Err(web.fail(Problem::Forbidden));
    }
    let base_url = value(&fields, "base_url").unwrap_or_default().to_owned();
    let query = ListQuery::default();
    let new = NewPeer {
        base_url: base_url.clone(),
    };
    match api::register_peer(&state, &signed_in.actor, &new).await {
        Ok(_) => Ok(see_other("/app/peers?done=peer")),
        Err(error) if !error.violations().is_empty() => {
            let problems = error.violations().to_vec();
            peers_page(&state, &web, &query, &base_url, &problems, None).await
        }
        Err(error) => {
            let failure = peer_problem(web.language, &error);
            peers_page(&state, &web, &query, &base_url, &[], Some(failure)).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A peer's catalog and the remote request

/// One dataset of a peer's DCAT catalog, as the page needs it.
#[derive(Debug, Clone)]
struct RemoteDataset {
    offer_id: String,
    title: String,
    description: String,
    publisher: String,
    record_kind: String,
    level: GrantLevel,
    purpose: Option<String>,
    max_days: Option<i64>,
    record_class: Option<String>,
}

/// A language-tagged DCT value (`[{"@value", "@language"}]` or a plain string) in `language`.
fn tagged(value: Option<&Value>, language: Language) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(entries)) => entries
            .iter()
            .find(|entry| entry.get("@language").and_then(Value::as_str) == Some(language.tag()))
            .or_else(|| entries.first())
            .and_then(|entry| entry.get("@value").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

/// The datasets of a peer's catalog (the DSP `Catalog` junkan serves), skipping what it cannot
/// read.
fn remote_datasets(catalog: &Value, language: Language) -> Vec<RemoteDataset> {
    let datasets = match catalog.get("dataset") {
        Some(Value::Array(datasets)) => datasets.clone(),
        Some(dataset @ Value::Object(_)) => vec![dataset.clone()],
        _ => Vec::new(),
    };
    datasets
        .iter()
        .filter_map(|dataset| {
            let offer_id = dataset.get("@id")?.as_str()?;
            let publisher = dataset.get("dct:publisher")?.as_str()?;
            let policy = dataset.get("hasPolicy").and_then(|policies| match policies {
                Value::Array(policies) => policies.first(),
                policy => Some(policy),
            });
            let permission =
                policy
                    .and_then(|policy| policy.get("permission"))
                    .and_then(|permissions| match permissions {
                        Value::Array(permissions) => permissions.first(),
                        permission => Some(permission),
                    });
            let level = match permission
                .and_then(|permission| permission.get("action"))
                .and_then(Value::as_str)
            {
                Some("odrl:use") => GrantLevel::Full,
                _ => GrantLevel::LegitimateInterest,
            };
            let constraints = permission
                .and_then(|permission| permission.get("constraint"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let constraint = |operand: &str| {
                constraints
                    .iter()
                    .find(|constraint| constraint.get("leftOperand").and_then(Value::as_str) == Some(operand))
                    .and_then(|constraint| constraint.get("rightOperand"))
                    .map(|right| match right {
                        Value::Object(_) => right
                            .get("@value")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
            };
            Some(RemoteDataset {
                offer_id: offer_id.strip_prefix("urn:uuid:").unwrap_or(offer_id).to_owned(),
                title: tagged(dataset.get("dct:title"), language),
                description: tagged(dataset.get("dct:description"), language),
                publisher: publisher
                    .strip_prefix("urn:junkan:organization:")
                    .unwrap_or(publisher)
                    .to_owned(),
                record_kind: dataset
                    .get("junkan:recordKind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                level,
                purpose: constraint("odrl:purpose"),
                max_days: constraint("odrl:elapsedTime").and_then(|duration| {
                    duration
                        .strip_prefix('P')
                        .and_then(|days| days.strip_suffix('D'))
                        .and_then(|days| days.parse().ok())
                }),
                record_class: constraint("junkan:recordClass"),
            })
        })
        .collect()
}

/// The dataset a request form was sent for, from the form's hidden fields.
fn dataset_of_form(fields: &[(String, String)]) -> RemoteDataset {
    let text = |name: &str| value(fields, name).unwrap_or_default().to_owned();
    RemoteDataset {
        offer_id: text("offer_id"),
        title: text("offer_id"),
        description: String::new(),
        publisher: text("owner_organization_id"),
        record_kind: text("record_kind"),
        level: value(fields, "level")
            .and_then(GrantLevel::parse)
            .unwrap_or(GrantLevel::LegitimateInterest),
        purpose: None,
        max_days: None,
        record_class: value(fields, "record_class").map(str::to_owned),
    }
}

async fn peer_of(state: &AppState, web: &Web, id: &str) -> Result<Peer, WebError> {
    let id: PeerId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    state.store.get_peer(id).await.or_page(web)
}

/// `GET /app/peers/{id}/catalog`: the peer's catalog fetched now, signed as the user's
/// organization (members who write), each dataset with the form of an access request.
pub async fn get_peer_catalog(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    web.require_sign_in()?;
    let peer = peer_of(&state, &web, &id).await?;
    peer_catalog_page(&state, &web, &peer, None, &[]).await
}

async fn peer_catalog_page(
    state: &AppState,
    web: &Web,
    peer: &Peer,
    form: Option<(&str, &[(String, String)])>,
    problems: &[Violation],
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    if !writes(signed_in) {
        return Err(web.fail_with(Problem::Forbidden, WRITERS_ONLY));
    }
    // A form sent back with its problems shows that dataset's form again as it was sent,
    // without asking the peer again (it may be the peer that failed).
    let (datasets, failure) = match form {
        Some((_, fields)) => (vec![dataset_of_form(fields)], None),
        None => match api::peer_catalog(state, &signed_in.actor, peer).await {
            Ok(catalog) => (remote_datasets(&catalog, web.language), None),
            Err(error) => (Vec::new(), Some(peer_problem(web.language, &error))),
        },
    };
    let default_until = day_text(day_of(state.store.now() + Duration::days(30)));
    let body = html! {
        h1 { (web.t(CATALOG_TITLE)) }
        p.lead { (web.t(CATALOG_LEAD)) }
        dl {
            dt { (web.t(BASE_URL)) } dd { code { (peer.base_url) } }
            dt { (web.t(DID)) } dd { code.wrap { (peer.did) } }
        }
        @if let Some(failure) = &failure {
            div.error role="alert" { p { (failure) } }
        }
        section aria-labelledby="datasets-heading" {
            h2 #datasets-heading { (web.t(DATASETS)) }
            @if datasets.is_empty() && failure.is_none() {
                p { (web.t(NO_DATASETS)) }
            }
            @for (index, dataset) in datasets.iter().enumerate() {
                @let sent = form.filter(|(offer, _)| *offer == dataset.offer_id);
                @let fields: &[(String, String)] = sent.map_or(&[], |(_, fields)| fields);
                @let problems: &[Violation] = if sent.is_some() { problems } else { &[] };
                @let id = format!("dataset-{index}");
                article.card aria-labelledby=(format!("{id}-title")) {
                    h3 #(format!("{id}-title")) { (dataset.title) }
                    p.muted { (dataset.description) }
                    dl {
                        dt { (web.t(PUBLISHER)) } dd { code { (dataset.publisher) } }
                        dt { (web.t(KIND)) }
                        dd {
                            (kind_named(&dataset.record_kind).map_or(dataset.record_kind.clone(), |kind| web.t(i18n::record_kind(kind)).to_owned()))
                            @if let Some(class) = &dataset.record_class { " " code { (class) } }
                        }
                        dt { (web.t(LEVEL)) } dd { (web.t(i18n::grant_level(dataset.level))) }
                        @if let Some(purpose) = &dataset.purpose { dt { (web.t(PURPOSE)) } dd { (purpose) } }
                        @if let Some(days) = dataset.max_days {
                            dt { (web.t(("最長期間", "Longest grant"))) }
                            dd { (match web.language { Language::Ja => format!("{days} 日"), Language::En => format!("{days} days") }) }
                        }
                    }
                    (problem_summary(web, problems))
                    form.sharing-form method="post" action={ "/app/peers/" (peer.id) "/requests" } novalidate {
                        input type="hidden" name="csrf" value=(web.form_token);
                        input type="hidden" name="offer_id" value=(dataset.offer_id);
                        input type="hidden" name="owner_organization_id" value=(dataset.publisher);
                        input type="hidden" name="record_kind" value=(dataset.record_kind);
                        @if let Some(class) = &dataset.record_class { input type="hidden" name="record_class" value=(class); }
                        div.field {
                            label for=(format!("{id}-ids")) { (web.t(RECORD_IDS)) }
                            textarea #(format!("{id}-ids")) name="record_ids" rows="3" aria-describedby=[described_by(problems, &["record_ids"], &format!("{id}-ids"))] { (value(fields, "record_ids").unwrap_or_default()) }
                            (field_problems(web, problems, &["record_ids"], &format!("{id}-ids")))
                        }
                        div.field {
                            label for=(format!("{id}-level")) { (web.t(LEVEL)) }
                            select #(format!("{id}-level") ) name="level" {
                                (options([GrantLevel::LegitimateInterest, GrantLevel::Full].iter().map(|level| (level.as_str(), web.t(i18n::grant_level(*level)))), Some(value(fields, "level").unwrap_or(dataset.level.as_str()))))
                            }
                            (field_problems(web, problems, &["level"], &format!("{id}-level")))
                        }
                        div.field {
                            label for=(format!("{id}-purpose")) { (web.t(PURPOSE)) }
                            input #(format!("{id}-purpose")) name="purpose" value=(value(fields, "purpose").or(dataset.purpose.as_deref()).unwrap_or_default()) aria-describedby=[described_by(problems, &["purpose"], &format!("{id}-purpose"))];
                            (field_problems(web, problems, &["purpose"], &format!("{id}-purpose")))
                        }
                        div.field {
                            label for=(format!("{id}-until")) { (web.t(UNTIL)) }
                            input #(format!("{id}-until")) name="expires_at" type="date" value=(value(fields, "expires_at").unwrap_or(&default_until)) aria-describedby=[described_by(problems, &["expires_at"], &format!("{id}-until"))];
                            (field_problems(web, problems, &["expires_at"], &format!("{id}-until")))
                        }
                        div.field {
                            label for=(format!("{id}-reads")) { (web.t(MAX_READS)) }
                            input #(format!("{id}-reads")) name="max_reads" inputmode="numeric" value=(value(fields, "max_reads").unwrap_or_default()) aria-describedby=[described_by(problems, &["max_reads"], &format!("{id}-reads"))];
                            (field_problems(web, problems, &["max_reads"], &format!("{id}-reads")))
                        }
                        div.field {
                            label for=(format!("{id}-message")) { (web.t(MESSAGE)) }
                            textarea #(format!("{id}-message")) name="message" rows="2" { (value(fields, "message").unwrap_or_default()) }
                            (field_problems(web, problems, &["message"], &format!("{id}-message")))
                        }
                        button type="submit" { (web.t(SEND)) }
                    }
                }
            }
        }
        p {
            @if form.is_some() { a href={ "/app/peers/" (peer.id) "/catalog" } { (web.t(OPEN_CATALOG)) } " · " }
            a href="/app/peers" { (web.t(BACK_TO_PEERS)) }
        }
    };
    Ok(if problems.is_empty() {
        web.page(web.t(CATALOG_TITLE), Nav::Peers, body)
    } else {
        web.page_unprocessable(web.t(CATALOG_TITLE), Nav::Peers, body)
    })
}

/// `POST /app/peers/{id}/requests`: checks the request as the provider would, then sends it
/// through the API's `send_remote_request` (signed as the user's organization).
pub async fn post_remote_request(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    if !writes(signed_in) {
        return Err(web.fail_with(Problem::Forbidden, WRITERS_ONLY));
    }
    let peer = peer_of(&state, &web, &id).await?;
    let offer = value(&fields, "offer_id").unwrap_or_default().to_owned();
    let mut problems = Vec::new();
    let now = state.store.now();
    let expires_at = until_of(&fields, &mut problems, now);
    let max_reads = reads_of(&fields, &mut problems);
    let record_ids: Vec<String> = value(&fields, "record_ids")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let mut request = serde_json::json!({
        "owner_organization_id": value(&fields, "owner_organization_id").unwrap_or_default(),
        "offer_id": offer,
        "record_kind": value(&fields, "record_kind").unwrap_or_default(),
        "level": value(&fields, "level").unwrap_or(GrantLevel::LegitimateInterest.as_str()),
        "purpose": value(&fields, "purpose").unwrap_or_default(),
        "expires_at": expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    });
    if !record_ids.is_empty() {
        request["record_ids"] = serde_json::json!(record_ids);
    }
    if let Some(class) = value(&fields, "record_class").and_then(RecordClass::from_stored) {
        request["record_class"] = serde_json::to_value(class).unwrap_or(Value::Null);
    }
    if let Some(reads) = max_reads {
        request["max_reads"] = serde_json::json!(reads);
    }
    if let Some(message) = value(&fields, "message") {
        request["message"] = serde_json::json!(message);
    }
    let parsed: Option<NewAccessRequest> = match serde_json::from_value(request.clone()) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            problems.push(Violation::new("", error.to_string()));
            None
        }
    };
    if let Some(parsed) = &parsed {
        // The provider decides, but the rules a request alone decides are checked here so that
        // their problems show next to the fields (the owner is on the peer, never this user).
        if let Err(violations) = parsed.validate(signed_in.organization.id, now) {
            problems.extend(violations);
        }
    }
    let (Some(parsed), true) = (parsed, problems.is_empty()) else {
        return peer_catalog_page(&state, &web, &peer, Some((offer.as_str(), &fields)), &problems).await;
    };
    let new = NewRemoteRequest {
        peer_id: peer.id,
        request: parsed,
    };
    match api::send_remote_request(&state, &signed_in.actor, &new, &request).await {
        Ok(_) => Ok(see_other("/app/received?done=requested")),
        Err(error) => {
            let problems = if error.violations().is_empty() {
                vec![Violation::new("", peer_problem(web.language, &error))]
            } else {
                error.violations().to_vec()
            };
            peer_catalog_page(&state, &web, &peer, Some((offer.as_str(), &fields)), &problems).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Received records

/// What verifying a received record again found.
enum Recheck {
    /// Every check passed now.
    Valid(Box<VerificationReport>),
    /// A check failed (revoked, expired, key retired, ...), with the report when it ran.
    Invalid(String, Option<Box<VerificationReport>>),
    /// The provider's node could not be reached: the message to show (for the first of its
    /// records on the page; the others are not tried again).
    Unreachable(Option<String>),
    /// Not checked on this page (beyond the number checked per page).
    NotChecked,
}

/// How many received records a list page verifies again (each may fetch from its peer).
const RECHECKED_PER_PAGE: usize = 50;

/// Verifies `record`'s credential again with the API's `verify_peer_credential`; a peer found
/// down is remembered in `down` so that its other records are not tried again on this page.
async fn recheck(
    state: &AppState,
    web: &Web,
    peers: &[Peer],
    record: &ReceivedRecord,
    status_lists: &mut StatusLists,
    down: &mut Vec<PeerId>,
) -> Recheck {
    let Some(peer) = peers.iter().find(|peer| peer.id == record.peer_id) else {
        return Recheck::Invalid(
            web.t(("連携ノードの登録がありません。", "The peer node is not registered."))
                .to_owned(),
            None,
        );
    };
    if down.contains(&peer.id) {
        return Recheck::Unreachable(None);
    }
    match api::verify_peer_credential(
        state,
        peer,
        &record.provider_did,
        &record.record_kind,
        &record.record_id,
        &record.credential,
        status_lists,
    )
    .await
    {
        Ok(verified) => Recheck::Valid(Box::new(verified.report)),
        Err(CredentialRefusal::Refused { reason, report }) => Recheck::Invalid(reason, report),
        Err(CredentialRefusal::Unreachable(error)) => {
            down.push(peer.id);
            Recheck::Unreachable(Some(peer_problem(web.language, &error)))
        }
    }
}

fn recheck_badge(web: &Web, recheck: &Recheck) -> Markup {
    html! {
        @match recheck {
            Recheck::Valid(_) => span.badge { (web.t(VALID)) },
            Recheck::Invalid(reason, _) => { span.badge.bad { (web.t(INVALID)) } br; span.muted { (reason) } },
            Recheck::Unreachable(_) => span.badge.neutral { (web.t(UNCHECKED)) },
            Recheck::NotChecked => span.badge.neutral { (web.t(NOT_RECHECKED)) },
        }
    }
}

/// A remote request's state in the page's language.
fn remote_state(state: &str) -> (Text, &'static str) {
    match state {
        "pending" => (("審査待ち", "pending"), "badge neutral"),
        "approved" => (("承認", "approved"), "badge"),
        "narrowed" => (("縮小承認", "approved narrower"), "badge"),
        "refused" => (("却下", "refused"), "badge bad"),
        "withdrawn" => (("取下げ", "withdrawn"), "badge neutral"),
        "revoked" => (("取消し", "revoked"), "badge bad"),
        "expired" => (("期限切れ", "expired"), "badge neutral"),
        _ => (("不明", "unknown"), "badge neutral"),
    }
}

fn request_records(web: &Web, request: &RemoteRequest) -> String {
    let kind = request
        .request
        .get("record_kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = kind_named(kind).map_or(kind.to_owned(), |kind| web.t(i18n::record_kind(kind)).to_owned());
    let ids: Vec<&str> = request
        .request
        .get("record_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match ids.len() {
        0 => format!("{kind}: {}", web.t(("すべて", "all"))),
        1..=3 => format!("{kind}: {}", ids.join(", ")),
        count => match web.language {
            Language::Ja => format!("{kind}: {count}件の指定の記録"),
            Language::En => format!("{kind}: {count} named records"),
        },
    }
}

/// `GET /app/received`: the requests sent to peers (refresh, pull) and the records received,
/// each verified again now.
pub async fn get_received(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    received_page(&state, &web, &query, None).await
}

async fn received_page(state: &AppState, web: &Web, query: &ListQuery, failure: Option<String>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let actor = &signed_in.actor;
    let peers = state.store.list_peers().await.or_page(web)?;
    let requests = state.store.list_remote_requests(actor).await.or_page(web)?;
    let records = state.store.list_received_records(actor, None).await.or_page(web)?;
    let may_act = writes(signed_in);
    let mut status_lists = StatusLists::new();
    let mut down = Vec::new();
    let mut checked = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let result = if index < RECHECKED_PER_PAGE {
            recheck(state, web, &peers, record, &mut status_lists, &mut down).await
        } else {
            Recheck::NotChecked
        };
        checked.push((record, result));
    }
    let unreachable: Vec<String> = checked
        .iter()
        .filter_map(|(_, result)| match result {
            Recheck::Unreachable(Some(message)) => Some(message.clone()),
            _ => None,
        })
        .collect();
    let body = html! {
        h1 { (web.t(RECEIVED_TITLE)) }
        p.lead { (web.t(RECEIVED_LEAD)) }
        (flash_notice(web, query))
        @if let Some(failure) = &failure {
            div.error role="alert" { p { (failure) } }
        }
        @if !unreachable.is_empty() {
            div.error role="alert" {
                p { (web.t(PEER_DOWN_LEAD)) }
                @for message in &unreachable { p { (message) } }
            }
        }
        section aria-labelledby="sent-heading" {
            h2 #sent-heading { (web.t(SENT_REQUESTS)) }
            @if requests.is_empty() {
                p { (web.t(NO_REQUESTS)) " " a href="/app/peers" { (web.t(PEERS_TITLE)) } }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(PROVIDER)) }
                            th scope="col" { (web.t(RECORDS)) }
                            th scope="col" { (web.t(PURPOSE)) }
                            th scope="col" { (web.t(STATE)) }
                            th scope="col" { (web.t(SENT_AT)) }
                            th scope="col" { (web.t(CHECKED_AT)) }
                            @if may_act { th scope="col" { span.visually-hidden { (web.t(PULL)) } } }
                        } }
                        tbody {
                            @for request in &requests {
                                @let (label, class) = remote_state(&request.state);
                                tr {
                                    td data-label=(web.t(PROVIDER)) { code.wrap { (request.provider_did) } br; span.muted { (peer_name(&peers, request.peer_id)) } }
                                    td data-label=(web.t(RECORDS)) { (request_records(web, request)) }
                                    td data-label=(web.t(PURPOSE)) { (request.request.get("purpose").and_then(Value::as_str).unwrap_or("—")) }
                                    td data-label=(web.t(STATE)) { span class=(class) { (web.t(label)) } }
                                    td data-label=(web.t(SENT_AT)) { (i18n::date_time(web.language, request.created_at)) }
                                    td data-label=(web.t(CHECKED_AT)) { (i18n::date_time(web.language, request.updated_at)) }
                                    @if may_act {
                                        td {
                                            form.inline method="post" action={ "/app/received/requests/" (request.id) "/refresh" } {
                                                input type="hidden" name="csrf" value=(web.form_token);
                                                button.secondary type="submit" aria-label={ (web.t(REFRESH)) ": " (request_records(web, request)) } { (web.t(REFRESH)) }
                                            }
                                            @if matches!(request.state.as_str(), "approved" | "narrowed") {
                                                form.inline method="post" action={ "/app/received/requests/" (request.id) "/pull" } {
                                                    input type="hidden" name="csrf" value=(web.form_token);
                                                    button type="submit" aria-label={ (web.t(PULL)) ": " (request_records(web, request)) } { (web.t(PULL)) }
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
        }
        section aria-labelledby="records-heading" {
            h2 #records-heading { (web.t(RECORDS_HEADING)) }
            @if checked.is_empty() {
                p { (web.t(NO_RECORDS)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(PROVIDER)) }
                            th scope="col" { (web.t(KIND)) }
                            th scope="col" { (web.t(RECORD_ID)) }
                            th scope="col" { (web.t(VERSION)) }
                            th scope="col" { (web.t(VERIFIED_AT)) }
                            th scope="col" { (web.t(GRANT)) }
                            th scope="col" { (web.t(STATUS_NOW)) }
                            th scope="col" { span.visually-hidden { (web.t(DETAILS)) } }
                        } }
                        tbody {
                            @for (record, result) in &checked {
                                tr {
                                    td data-label=(web.t(PROVIDER)) { code.wrap { (record.provider_did) } }
                                    td data-label=(web.t(KIND)) { (kind_named(&record.record_kind).map_or(record.record_kind.clone(), |kind| web.t(i18n::record_kind(kind)).to_owned())) }
                                    td data-label=(web.t(RECORD_ID)) { code { (record.record_id) } }
                                    td data-label=(web.t(VERSION)) { (record.record_version.map_or("—".to_owned(), |version| version.to_string())) }
                                    td data-label=(web.t(VERIFIED_AT)) { (i18n::date_time(web.language, record.verified_at)) }
                                    td data-label=(web.t(GRANT)) {
                                        @if let Some(grant) = &record.grant_id { code { (grant) } } @else { "—" }
                                    }
                                    td data-label=(web.t(STATUS_NOW)) { (recheck_badge(web, result)) }
                                    td { a href={ "/app/received/" (record.id) } aria-label={ (web.t(DETAILS)) ": " (record.record_id) } { (web.t(DETAILS)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(if failure.is_none() {
        web.page(web.t(RECEIVED_TITLE), Nav::Received, body)
    } else {
        web.page_unprocessable(web.t(RECEIVED_TITLE), Nav::Received, body)
    })
}

/// A JSON value as nested definition lists (the credential's claims, readable without tools).
fn claims(value: &Value) -> Markup {
    html! {
        @match value {
            Value::Object(entries) => {
                dl.claims {
                    @for (key, inner) in entries {
                        dt { code { (key) } }
                        dd { (claims(inner)) }
                    }
                }
            },
            Value::Array(items) => {
                ol.claims { @for item in items { li { (claims(item)) } } }
            },
            Value::String(text) => (text),
            Value::Null => "—",
            other => (other.to_string()),
        }
    }
}

fn check_label(name: junkan_credential::CheckName) -> Text {
    use junkan_credential::CheckName;
    match name {
        CheckName::Format => ("形式（JWS）", "Format (JWS)"),
        CheckName::Shape => ("クレデンシャルの構造", "Credential shape"),
        CheckName::Key => ("署名鍵の解決", "Signing key found"),
        CheckName::Signature => ("署名", "Signature"),
        CheckName::Issuer => ("発行者", "Issuer"),
        CheckName::KeyValidity => ("鍵の有効期間", "Key in service"),
        CheckName::ValidityPeriod => ("有効期間", "Validity period"),
        CheckName::Status => ("失効状態（ステータスリスト）", "Status (not revoked)"),
        CheckName::Disclosures => ("選択的開示", "Disclosures"),
        CheckName::KeyBinding => ("鍵の紐付け", "Key binding"),
    }
}

fn outcome_label(outcome: Outcome) -> (Text, &'static str) {
    match outcome {
        Outcome::Passed => (("合格", "passed"), "badge"),
        Outcome::Failed => (("不合格", "failed"), "badge bad"),
        Outcome::Skipped => (("未実施", "skipped"), "badge neutral"),
    }
}

/// `GET /app/received/{id}`: one received record: its provenance, its verification now with
/// every check, the claims of its credential and the credential as received.
pub async fn get_received_record(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let id: ReceivedRecordId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let record = state
        .store
        .get_received_record(&signed_in.actor, id)
        .await
        .or_page(&web)?;
    let peers = state.store.list_peers().await.or_page(&web)?;
    let mut status_lists = StatusLists::new();
    let mut down = Vec::new();
    let result = recheck(&state, &web, &peers, &record, &mut status_lists, &mut down).await;
    let report = match &result {
        Recheck::Valid(report) => Some(report.as_ref()),
        Recheck::Invalid(_, report) => report.as_deref(),
        _ => None,
    };
    let kind = kind_named(&record.record_kind).map_or(record.record_kind.clone(), |kind| {
        web.t(i18n::record_kind(kind)).to_owned()
    });
    let title = format!("{kind} {}", record.record_id);
    let body = html! {
        h1 { (title) }
        @if let Recheck::Unreachable(Some(message)) = &result {
            div.error role="alert" { p { (web.t(PEER_DOWN_LEAD)) } p { (message) } }
        }
        dl {
            dt { (web.t(PROVIDER)) } dd { code.wrap { (record.provider_did) } }
            dt { (web.t(PEER)) } dd { (peer_name(&peers, record.peer_id)) }
            dt { (web.t(KIND)) } dd { (kind) }
            dt { (web.t(RECORD_ID)) } dd { code { (record.record_id) } }
            dt { (web.t(VERSION)) } dd { (record.record_version.map_or("—".to_owned(), |version| version.to_string())) }
            dt { (web.t(GRANT)) } dd { (record.grant_id.as_deref().unwrap_or("—")) }
            dt { (web.t(CREDENTIAL_ID)) } dd { code.wrap { (record.credential_id.as_deref().unwrap_or("—")) } }
            dt { (web.t(KEY_ID)) } dd { code.wrap { (record.issuer_key_id) } }
            dt { (web.t(VERIFIED_AT)) } dd { (i18n::date_time(web.language, record.verified_at)) }
            dt { (web.t(STATUS_NOW)) } dd { (recheck_badge(&web, &result)) }
        }
        @if let Some(report) = report {
            section aria-labelledby="checks-heading" {
                h2 #checks-heading { (web.t(CHECKS)) }
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(("項目", "Check"))) }
                            th scope="col" { (web.t(("結果", "Outcome"))) }
                            th scope="col" { (web.t(("説明", "Explanation"))) }
                        } }
                        tbody {
                            @for check in &report.checks {
                                @let (label, class) = outcome_label(check.outcome);
                                tr {
                                    td data-label=(web.t(("項目", "Check"))) { (web.t(check_label(check.name))) }
                                    td data-label=(web.t(("結果", "Outcome"))) { span class=(class) { (web.t(label)) } }
                                    td data-label=(web.t(("説明", "Explanation"))) { span lang="en" { (check.message) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="claims-heading" {
            h2 #claims-heading { (web.t(CLAIMS)) }
            (claims(&record.subject))
        }
        details {
            summary { (web.t(RAW)) }
            pre.wrap { code { (record.credential) } }
        }
        p { a href="/app/received" { (web.t(BACK_TO_RECEIVED)) } }
    };
    Ok(web.page(&title, Nav::Received, body))
}

async fn request_of(web: &Web, id: &str) -> Result<RemoteRequestId, WebError> {
    id.parse().map_err(|_| web.fail(Problem::NotFound))
}

/// `POST /app/received/requests/{id}/refresh`: asks the provider for the request's state now.
pub async fn post_refresh(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let id = request_of(&web, &id).await?;
    // Someone else's request is the same "not found" as the API's.
    state
        .store
        .get_remote_request(&signed_in.actor, id)
        .await
        .or_page(&web)?;
    match api::refreshed(&state, &signed_in.actor, id).await {
        Ok(_) => Ok(see_other("/app/received?done=refreshed")),
        Err(error) if error.status() == axum::http::StatusCode::FORBIDDEN => Err(web.fail(Problem::Forbidden)),
        Err(error) => {
            received_page(
                &state,
                &web,
                &ListQuery::default(),
                Some(peer_problem(web.language, &error)),
            )
            .await
        }
    }
}

/// `POST /app/received/requests/{id}/pull`: pulls the records the request named, each verified
/// before it is kept (the API's `pull_records`).
pub async fn post_pull(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let id = request_of(&web, &id).await?;
    state
        .store
        .get_remote_request(&signed_in.actor, id)
        .await
        .or_page(&web)?;
    match api::pull_records(
        &state,
        &signed_in.actor,
        id,
        junkan_model::federation::PullRecords::default(),
    )
    .await
    {
        Ok(_) => Ok(see_other("/app/received?done=pulled")),
        Err(error) if error.status() == axum::http::StatusCode::FORBIDDEN => Err(web.fail(Problem::Forbidden)),
        Err(error) => {
            let message = if error.violations().is_empty() {
                peer_problem(web.language, &error)
            } else {
                match web.language {
                    Language::Ja => {
                        "申請に取得する記録の ID がありません。記録を指定して申請し直してください。".to_owned()
                    }
                    Language::En => {
                        "The request names no record to pull; send a request that names the records.".to_owned()
                    }
                }
            };
            received_page(&state, &web, &ListQuery::default(), Some(message)).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dataspace Protocol

fn negotiation_state(state: NegotiationState) -> (Text, &'static str) {
    match state {
        NegotiationState::Requested => (("申請済み（REQUESTED）", "REQUESTED (申請済み)"), "badge neutral"),
        NegotiationState::Offered => (("提示済み（OFFERED）", "OFFERED (提示済み)"), "badge neutral"),
        NegotiationState::Accepted => (("受諾（ACCEPTED）", "ACCEPTED (受諾)"), "badge neutral"),
        NegotiationState::Agreed => (("合意（AGREED）", "AGREED (合意)"), "badge"),
        NegotiationState::Verified => (("確認済み（VERIFIED）", "VERIFIED (確認済み)"), "badge"),
        NegotiationState::Finalized => (("成立（FINALIZED）", "FINALIZED (成立)"), "badge"),
        NegotiationState::Terminated => (("終了（TERMINATED）", "TERMINATED (終了)"), "badge bad"),
    }
}

fn transfer_state(state: TransferState) -> (Text, &'static str) {
    match state {
        TransferState::Requested => (("要求済み（REQUESTED）", "REQUESTED (要求済み)"), "badge neutral"),
        TransferState::Started => (("開始（STARTED）", "STARTED (開始)"), "badge"),
        TransferState::Suspended => (("一時停止（SUSPENDED）", "SUSPENDED (一時停止)"), "badge neutral"),
        TransferState::Completed => (("完了（COMPLETED）", "COMPLETED (完了)"), "badge"),
        TransferState::Terminated => (("終了（TERMINATED）", "TERMINATED (終了)"), "badge bad"),
    }
}

fn side(role: junkan_model::dsp::Role) -> Text {
    match role {
        junkan_model::dsp::Role::Provider => ("提供側", "provider"),
        junkan_model::dsp::Role::Consumer => ("利用側", "consumer"),
    }
}

/// `GET /app/dataspace`: the organization's contract negotiations and transfers (either side),
/// both lists paged by one cursor.
pub async fn get_dataspace(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let negotiations = state
        .store
        .dsp_list_negotiations(&signed_in.actor, &query.page)
        .await
        .or_page(&web)?;
    let transfers = state
        .store
        .dsp_list_transfers(&signed_in.actor, &query.page)
        .await
        .or_page(&web)?;
    let mut organizations = Organizations::default();
    let mut counterparties = Vec::new();
    for negotiation in &negotiations.items {
        let name = match negotiation.counterparty_organization_id {
            Some(id) => organizations.name(state.store.as_ref(), web.language, id).await,
            None => negotiation.address.clone(),
        };
        counterparties.push(name);
    }
    let mut transfer_parties = Vec::new();
    for transfer in &transfers.items {
        let name = match transfer.counterparty_organization_id {
            Some(id) => organizations.name(state.store.as_ref(), web.language, id).await,
            None => transfer.address.clone(),
        };
        transfer_parties.push(name);
    }
    // One cursor (an id, time-ordered) pages both lists: the smaller of the two next positions,
    // so that the next page skips nothing of either list (it may repeat a few of the longer one).
    let next = match (negotiations.next_after.as_deref(), transfers.next_after.as_deref()) {
        (Some(first), Some(second)) => Some(first.min(second)),
        (first, second) => first.or(second),
    };
    let body = html! {
        h1 { (web.t(DATASPACE_TITLE)) }
        p.lead { (web.t(DATASPACE_LEAD)) }
        section aria-labelledby="negotiations-heading" {
            h2 #negotiations-heading { (web.t(NEGOTIATIONS)) }
            @if negotiations.items.is_empty() {
                p { (web.t(NOTHING)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(SIDE)) }
                            th scope="col" { (web.t(COUNTERPARTY)) }
                            th scope="col" { (web.t(OFFER)) }
                            th scope="col" { (web.t(STATE)) }
                            th scope="col" { (web.t(AGREEMENT)) }
                            th scope="col" { (web.t(UPDATED)) }
                        } }
                        tbody {
                            @for (negotiation, counterparty) in negotiations.items.iter().zip(&counterparties) {
                                @let (label, class) = negotiation_state(negotiation.state);
                                tr {
                                    td data-label=(web.t(SIDE)) { (web.t(side(negotiation.role))) }
                                    td data-label=(web.t(COUNTERPARTY)) { (counterparty) }
                                    td data-label=(web.t(OFFER)) { code.wrap { (negotiation.offer_id) } }
                                    td data-label=(web.t(STATE)) {
                                        span class=(class) { (web.t(label)) }
                                        @if let Some(reason) = &negotiation.reason { br; span.muted { (web.t(REASON)) ": " (reason) } }
                                    }
                                    td data-label=(web.t(AGREEMENT)) { code.wrap { (negotiation.agreement_id.as_deref().unwrap_or("—")) } }
                                    td data-label=(web.t(UPDATED)) { (i18n::date_time(web.language, negotiation.updated_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="transfers-heading" {
            h2 #transfers-heading { (web.t(TRANSFERS)) }
            @if transfers.items.is_empty() {
                p { (web.t(NOTHING)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(SIDE)) }
                            th scope="col" { (web.t(COUNTERPARTY)) }
                            th scope="col" { (web.t(FORMAT)) }
                            th scope="col" { (web.t(STATE)) }
                            th scope="col" { (web.t(AGREEMENT)) }
                            th scope="col" { (web.t(UPDATED)) }
                        } }
                        tbody {
                            @for (transfer, counterparty) in transfers.items.iter().zip(&transfer_parties) {
                                @let (label, class) = transfer_state(transfer.state);
                                tr {
                                    td data-label=(web.t(SIDE)) { (web.t(side(transfer.role))) }
                                    td data-label=(web.t(COUNTERPARTY)) { (counterparty) }
                                    td data-label=(web.t(FORMAT)) { code { (transfer.format) } }
                                    td data-label=(web.t(STATE)) {
                                        span class=(class) { (web.t(label)) }
                                        @if let Some(reason) = &transfer.reason { br; span.muted { (web.t(REASON)) ": " (reason) } }
                                    }
                                    td data-label=(web.t(AGREEMENT)) { code.wrap { (transfer.agreement_id) } }
                                    td data-label=(web.t(UPDATED)) { (i18n::date_time(web.language, transfer.updated_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(&web, &query, "/app/dataspace", next))
    };
    Ok(web.page(web.t(DATASPACE_TITLE), Nav::Dataspace, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    #[test]
    fn datasets_of_a_catalog_as_junkan_serves_it() {
        let offer = junkan_model::sharing::DatasetOffer {
            id: "0193a000-0000-7000-8000-000000000001".parse().expect("id"),
            owner_organization_id: "0193a000-0000-7000-8000-000000000002".parse().expect("id"),
            title_ja: "電池パスポート".to_owned(),
            title_en: "Battery passports".to_owned(),
            description_ja: "説明".to_owned(),
            description_en: "About".to_owned(),
            record_kind: junkan_model::access::RecordKind::Passport,
            record_class: Some(RecordClass::Profile {
                profile: "battery".to_owned(),
            }),
            level: GrantLevel::Full,
            purpose: Some("recycling".to_owned()),
            max_duration_days: Some(90),
            public: false,
            created_by: "test".to_owned(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            withdrawn_at: None,
            fields: None,
        };
        let catalog = crate::handlers::sharing::catalog("https://peer.example", &[offer]);
        let datasets = remote_datasets(&catalog, Language::Ja);
        assert_eq!(datasets.len(), 1);
        let dataset = &datasets[0];
        assert_eq!(dataset.offer_id, "0193a000-0000-7000-8000-000000000001");
        assert_eq!(dataset.publisher, "0193a000-0000-7000-8000-000000000002");
        assert_eq!(dataset.title, "電池パスポート");
        assert_eq!(dataset.record_kind, "passport");
        assert_eq!(dataset.level, GrantLevel::Full);
        assert_eq!(dataset.purpose.as_deref(), Some("recycling"));
        assert_eq!(dataset.max_days, Some(90));
        assert_eq!(dataset.record_class.as_deref(), Some("profile:battery"));
        assert_eq!(remote_datasets(&catalog, Language::En)[0].title, "Battery passports");
    }
}
