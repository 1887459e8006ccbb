//! Data sovereignty pages (データ主権, issue 10): the access requests inbox (アクセス申請の受信箱)
//! with approve, narrow (縮小承認) and refuse, outgoing requests with withdraw and the form of a
//! new request; the owner's audit view (所有者の監査); the node's catalog (カタログ) with the
//! organization's own dataset offers (データセットの提供); and the standing rules (常設ルール) form
//! of the grants page.
//!
//! Every action is a POST form with the CSRF token that works without JavaScript and answers
//! with a redirect to the page and a flash message (`?done=...`), or with the form again (422)
//! and each problem next to its field. Every decision goes through the same store calls as the
//! API (`approve_access_request`, `narrow_access_request`, ...), so the store decides who may
//! decide (the owner's administrators), what widens, and what a foreign organization may see
//! (its requests answer 404 like records one may not read).

use axum::extract::{Path, RawQuery, State};
use axum::Form;
use maud::{html, Markup};
use time::macros::{offset, time};
use time::{Date, OffsetDateTime};

use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordClass, RecordKind};
use junkan_model::audit::{AuditAction, AuditFilter};
use junkan_model::ids::{AccessRequestId, DatasetOfferId, GrantId, OrganizationId};
use junkan_model::organization::{CycleRole, OrganizationFilter};
use junkan_model::page::PageRequest;
use junkan_model::sharing::{
    AccessRequest, AccessScope, DatasetOffer, Narrowing, NewAccessRequest, NewDatasetOffer, Refusal, RequestState,
};
use junkan_model::Violation;
use junkan_store::{RequestDirection, StoreError};

use super::context::{OrPage, Problem, SignedIn, Web, WebError, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::{organization_name, Nav};
use super::list::{options, pager, tabs, ListQuery, Organizations};
use super::see_other;
use crate::AppState;

/// A form as sent: its fields in order (repeated names kept).
pub(super) type Fields = Vec<(String, String)>;

/// The first value of `name`, trimmed, when not empty.
pub(super) fn value<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Every non-empty value of `name`.
pub(super) fn values<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
        .collect()
}

pub(super) fn csrf(fields: &[(String, String)]) -> &str {
    fields
        .iter()
        .find(|(key, _)| key == "csrf")
        .map_or("", |(_, value)| value.as_str())
}

/// The grantable kinds of record, in the order forms list them.
pub const GRANTABLE_KINDS: [RecordKind; 8] = [
    RecordKind::Passport,
    RecordKind::Event,
    RecordKind::Footprint,
    RecordKind::Facility,
    RecordKind::MaterialFlow,
    RecordKind::IndicatorValue,
    RecordKind::IndicatorTarget,
    RecordKind::Ledger,
];

pub(super) fn kind_named(name: &str) -> Option<RecordKind> {
    GRANTABLE_KINDS.into_iter().find(|kind| kind.as_str() == name)
}

/// The last moment of a calendar day in Japan (23:59:59 JST): the end a date field names.
pub(super) fn end_of_day(day: Date) -> OffsetDateTime {
    day.with_time(time!(23:59:59)).assume_offset(offset!(+9))
}

/// The calendar day in Japan of a moment (what a date field shows).
pub(super) fn day_of(moment: OffsetDateTime) -> Date {
    moment.to_offset(offset!(+9)).date()
}

pub(super) fn parse_day(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

pub(super) fn day_text(day: Date) -> String {
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

// ---------------------------------------------------------------------------------------------
// Labels

const REQUESTS_TITLE: Text = ("アクセス申請（Access requests）", "Access requests (アクセス申請)");
const REQUESTS_LEAD: Text = (
    "他の組織のデータを利用するための申請と、自社のデータへの申請。所有者は承認・縮小承認・却下でき、承認すると許諾（グラント）が作られます。",
    "Requests to use another organization's data, and requests for yours. The owner approves, narrows or refuses; an approval creates a grant.",
);
const INCOMING: Text = ("受信した申請（Incoming）", "Incoming (受信)");
const OUTGOING: Text = ("送信した申請（Outgoing）", "Outgoing (送信)");
const NEW_REQUEST: Text = ("新しいアクセス申請", "New access request");
const REQUESTER: Text = ("申請者", "Requester");
const OWNER: Text = ("所有者（申請先）", "Owner (asked)");
const RECORDS: Text = ("対象の記録", "Records");
const LEVEL: Text = ("開示範囲（レベル）", "Level");
const PURPOSE: Text = ("利用目的", "Purpose");
const UNTIL: Text = ("期限", "Until");
const MAX_READS: Text = ("閲覧回数の上限", "Read limit");
const STATE: Text = ("状態", "State");
const REQUESTED_AT: Text = ("申請日時", "Requested");
const MESSAGE: Text = ("メッセージ", "Message");
const NONE_FOUND: Text = ("該当するものはありません。", "Nothing matches.");
const ANY: Text = ("すべて", "Any");
const SHOW: Text = ("表示", "Show");
const FILTERS: Text = ("絞り込み", "Filters");
const OPEN: Text = ("詳細・判断", "Details and decision");
const UNLIMITED: Text = ("上限なし", "unlimited");
const ALL_OF_KIND: Text = ("すべて", "all");
const CLASS: Text = ("分類", "Class");
const APPROVE: Text = ("承認する（Approve）", "Approve (承認)");
const NARROW: Text = ("縮小して承認する（Narrow）", "Approve narrower (縮小承認)");
const REFUSE: Text = ("却下する（Refuse）", "Refuse (却下)");
const WITHDRAW: Text = ("申請を取り下げる（Withdraw）", "Withdraw (取下げ)");
const REASON: Text = ("理由", "Reason");
const ASKED: Text = ("申請された範囲", "Scope asked for");
const GRANTED: Text = ("許諾された範囲", "Scope granted");
const THE_GRANT: Text = ("許諾（グラント）", "Grant");
const DECIDED: Text = ("判断日時", "Decided");
const OFFER: Text = ("提供データセット", "Dataset offer");
const NONE_OFFER: Text = ("指定しない", "None");
const RECORD_IDS: Text = ("記録ID（1行に1つ）", "Record ids (one a line)");
const RECORD_IDS_HINT: Text = (
    "空欄なら、その種類（分類）のすべての記録。",
    "Leave empty for every record of the kind (or class).",
);
const KEEP_RECORDS: Text = ("許諾する記録", "Records to grant");
const SCOPE_FIELDS: Text = ("項目（1行に1つ）", "Fields (one a line)");
const SCOPE_FIELDS_HINT: Text = (
    "最上位の項目名（例: Circularity）または JSON Pointer（例: /Circularity/safetyMeasures）。空欄なら開示範囲のすべての項目。パスポートと EPCIS イベントのみ。",
    "A top-level member name (e.g. Circularity) or a JSON Pointer (e.g. /Circularity/safetyMeasures); empty for every field of the level. Passports and EPCIS events only.",
);
const SCOPE_FIELDS_SHORT: Text = ("項目", "Fields");
const ALL_FIELDS: Text = ("開示範囲のすべての項目", "every field of the level");

/// The non-empty lines of the form field `name`, trimmed; `None` when there are none.
fn lines_of(fields: &[(String, String)], name: &str) -> Option<Vec<String>> {
    value(fields, name).map(|text| {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    })
}
const CLASS_TYPE: Text = ("記録の分類", "Record class");
const CLASS_NONE: Text = ("指定しない", "None");
const CLASS_PROFILE: Text = ("パスポートのプロファイル", "Passport profile");
const CLASS_GTIN: Text = ("製品クラス（GTIN）", "Product class (GTIN)");
const CLASS_FACILITIES: Text = (
    "自社拠点を通るトレース（拠点で起きたイベント）",
    "Lineage through its facilities (events at its facilities)",
);
const CLASS_VALUE: Text = ("プロファイル名または GTIN-14", "Profile code or GTIN-14");
const KIND: Text = ("記録の種類", "Kind of record");
const SEND: Text = ("申請する", "Send the request");
const PROBLEMS: Text = (
    "入力に問題があります。各項目の説明を確認してください。",
    "Some fields need attention; see the notes next to them.",
);
const NOT_PENDING: Text = (
    "この申請は審査中ではないため、判断できません。",
    "This request is no longer pending and cannot be decided.",
);
const NARROW_LEAD: Text = (
    "申請された値が入っています。狭める項目だけを変えてください（記録を減らす、レベルを下げる、期限を早める、回数を減らす）。広げることはできません。",
    "The form holds the values asked for. Change only what you narrow (fewer records, a lower level, an earlier end, fewer reads); nothing can be widened.",
);

fn request_state(state: RequestState) -> (Text, &'static str) {
    match state {
        RequestState::Pending => (("審査中", "pending"), "badge warn"),
        RequestState::Approved => (("承認", "approved"), "badge"),
        RequestState::Narrowed => (("縮小承認", "narrowed"), "badge"),
        RequestState::Refused => (("却下", "refused"), "badge bad"),
        RequestState::Withdrawn => (("取下げ", "withdrawn"), "badge neutral"),
        RequestState::Revoked => (("取消し", "revoked"), "badge bad"),
        RequestState::Expired => (("期限切れ", "expired"), "badge neutral"),
    }
}

const STATES: [RequestState; 7] = [
    RequestState::Pending,
    RequestState::Approved,
    RequestState::Narrowed,
    RequestState::Refused,
    RequestState::Withdrawn,
    RequestState::Revoked,
    RequestState::Expired,
];

/// The flash message of a finished action (`?done=`).
fn flash(done: &str) -> Option<Text> {
    Some(match done {
        "approved" => (
            "申請を承認し、許諾を作成しました。",
            "The request was approved and its grant created.",
        ),
        "narrowed" => (
            "申請を縮小して承認し、許諾を作成しました。",
            "The request was approved with a narrower scope and its grant created.",
        ),
        "refused" => ("申請を却下しました。", "The request was refused."),
        "withdrawn" => ("申請を取り下げました。", "The request was withdrawn."),
        "requested" => ("アクセス申請を送信しました。", "The access request was sent."),
        "offered" => ("データセットの提供を公開しました。", "The dataset offer was published."),
        "offer-withdrawn" => (
            "データセットの提供を取り下げました。",
            "The dataset offer was withdrawn.",
        ),
        "rule" => ("常設ルールを設定しました。", "The standing rule was set."),
        _ => return None,
    })
}

/// The flash message of the page's `done` parameter, if any.
pub fn flash_notice(web: &Web, query: &ListQuery) -> Markup {
    html! {
        @if let Some(text) = query.get("done").and_then(flash) {
            p.notice role="status" { (web.t(text)) }
        }
    }
}

/// A problem next to its field, in the page's language: Japanese pages say what to do in
/// Japanese (by field) and keep the store's precise English message after it.
pub(super) fn field_message(language: Language, violation: &Violation) -> String {
    let field = violation
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let japanese = match field {
        "" => "申請どおりの範囲です。縮小しない場合は「承認する」を使ってください。",
        "record_ids" => "記録は申請された記録（または提供されている記録）の中から指定してください。",
        "record_class" => "記録の分類を確認してください（プロファイル名、または正しいチェックデジットの GTIN-14）。",
        "record_kind" => "この種類の記録は共有の対象になりません。",
        "level" => "開示範囲を申請・提供より広くすることはできません。",
        "expires_at" => "期限は未来の日付で、申請・提供された期間より後にはできません。",
        "max_reads" => "閲覧回数の上限は 1 以上で、申請より多くはできません。",
        "fields" => "項目は 1 行に 1 つ、申請・提供された項目（またはその下の項目）から指定してください（パスポートと EPCIS イベントのみ）。",
        "purpose" => "利用目的を 1〜200 文字で入力してください（提供に目的がある場合はそれと同じ）。",
        "reason" => "理由を 1〜2000 文字で入力してください。",
        "message" => "メッセージは 2000 文字以内で入力してください。",
        "owner_organization_id" => "申請先には自社以外の登録済みの組織を選んでください。",
        "offer_id" => "提供データセットを確認してください（申請先の提供で、取り下げられていないもの）。",
        "title_ja" | "title_en" => "名称を 1〜200 文字で入力してください。",
        "description_ja" | "description_en" => "説明を 1〜2000 文字で入力してください。",
        "max_duration_days" => "最長期間は 1〜3650 日です。",
        "grantee" => "対象の組織の種類を確認してください（役割、認証、またはその両方）。",
        // The link of a part bought on a peer node (ノード間の調達).
        "trace_id" | "supplier_trace_id" => "部品のトレース ID（UUID）を入力してください。",
        "peer_id" => "連携ノードを選んでください。",
        "supplier_did" => "供給元の組織は、選んだ連携ノードの組織の DID（did:web:…:organizations:…）で入力してください。",
        _ => "入力を確認してください。",
    };
    match language {
        Language::Ja => format!("{japanese}（{}）", violation.message),
        Language::En => violation.message.clone(),
    }
}

/// The problems of the fields named `names`, shown under the field with the id `id`.
pub(super) fn field_problems(web: &Web, violations: &[Violation], names: &[&str], id: &str) -> Markup {
    let problems: Vec<String> = violations
        .iter()
        .filter(|violation| {
            let field = violation
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            names.contains(&field)
        })
        .map(|violation| field_message(web.language, violation))
        .collect();
    html! {
        @if !problems.is_empty() {
            p.error #(format!("{id}-problem")) { (problems.join(" / ")) }
        }
    }
}

pub(super) fn described_by(violations: &[Violation], names: &[&str], id: &str) -> Option<String> {
    violations
        .iter()
        .any(|violation| {
            let field = violation
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            names.contains(&field)
        })
        .then(|| format!("{id}-problem"))
}

pub(super) fn problem_summary(web: &Web, violations: &[Violation]) -> Markup {
    html! {
        @if !violations.is_empty() {
            div.error role="alert" {
                p { (web.t(PROBLEMS)) }
                @for violation in violations.iter().filter(|violation| violation.path.is_empty()) {
                    p { (field_message(web.language, violation)) }
                }
            }
        }
    }
}

/// The violations of a store error that is about the form's content, else the error page.
fn violations_of(web: &Web, error: StoreError) -> Result<Vec<Violation>, WebError> {
    match error {
        StoreError::Invalid(violations) => Ok(violations),
        StoreError::Conflict { .. } => Err(web.fail(Problem::Conflict)),
        other => Err(web.fail(Problem::from_store(other))),
    }
}

/// The records a scope names, as one line.
fn records_text(web: &Web, scope: &AccessScope) -> String {
    let kind = web.t(i18n::record_kind(scope.record_kind));
    let which = match &scope.record_ids {
        Some(ids) if ids.len() <= 3 => ids.join(", "),
        Some(ids) => match web.language {
            Language::Ja => format!("{}件の指定の記録", ids.len()),
            Language::En => format!("{} named records", ids.len()),
        },
        None => web.t(ALL_OF_KIND).to_owned(),
    };
    match &scope.record_class {
        Some(class) => format!("{kind}: {which} [{}: {}]", web.t(CLASS), class.to_stored()),
        None => format!("{kind}: {which}"),
    }
}

fn reads_text(web: &Web, max_reads: Option<u64>) -> String {
    max_reads.map_or_else(|| web.t(UNLIMITED).to_owned(), i18n::count)
}

fn scope_list(web: &Web, scope: &AccessScope) -> Markup {
    html! {
        dl {
            dt { (web.t(RECORDS)) }
            dd { (records_text(web, scope)) }
            @if let Some(ids) = &scope.record_ids {
                @if ids.len() > 3 {
                    dd { ul { @for id in ids { li { code { (id) } } } } }
                }
            }
            dt { (web.t(LEVEL)) }
            dd { (web.t(i18n::grant_level(scope.level))) }
            dt { (web.t(UNTIL)) }
            dd { (i18n::date_time(web.language, scope.expires_at)) }
            dt { (web.t(MAX_READS)) }
            dd { (reads_text(web, scope.max_reads)) }
            dt { (web.t(SCOPE_FIELDS)) }
            @match &scope.fields {
                Some(fields) => dd { ul { @for field in fields { li { code { (field) } } } } },
                None => dd { (web.t(ALL_FIELDS)) },
            }
        }
    }
}

fn admin_of(signed_in: &SignedIn) -> bool {
    signed_in.actor.administers(signed_in.organization.id)
}

// ---------------------------------------------------------------------------------------------
// The inbox

/// `GET /app/requests`: access requests made to the organization (pending first) or by it,
/// filtered by state and paged, with the link to a new request.
pub async fn get_requests(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let outgoing = query.get("direction") == Some("outgoing");
    let direction = if outgoing {
        RequestDirection::Outgoing
    } else {
        RequestDirection::Incoming
    };
    let chosen_state = query.get("state").and_then(RequestState::parse);
    let mut items: Vec<AccessRequest> = Vec::new();
    let mut next_after = None;
    // Pending requests first: on the first unfiltered page of the inbox, every pending request
    // (they are few, and they are what the owner must act on), then the page of the others.
    // Every page of the unfiltered inbox leaves pending requests out of the list below them.
    let pending_apart = chosen_state.is_none() && !outgoing;
    if pending_apart && query.page.after.is_none() {
        let mut page = PageRequest::first(100);
        loop {
            let found = state
                .store
                .list_access_requests(web.actor(), direction, Some(RequestState::Pending), &page)
                .await
                .or_page(&web)?;
            items.extend(found.items);
            match found.next_after {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
    }
    let found = state
        .store
        .list_access_requests(web.actor(), direction, chosen_state, &query.page)
        .await
        .or_page(&web)?;
    items.extend(
        found
            .items
            .into_iter()
            .filter(|request| !(pending_apart && request.state == RequestState::Pending)),
    );
    if found.next_after.is_some() {
        next_after = found.next_after;
    }
    let mut organizations = Organizations::default();
    let mut rows = Vec::new();
    for request in &items {
        let party = if outgoing {
            request.owner_organization_id
        } else {
            request.requester_organization_id
        };
        rows.push((
            request,
            organizations.name(state.store.as_ref(), web.language, party).await,
        ));
    }
    let is_admin = admin_of(signed_in);
    let state_choices: Vec<(&str, &str)> = STATES
        .iter()
        .map(|state| (state.as_str(), web.t(request_state(*state).0)))
        .collect();
    let path = if outgoing {
        "/app/requests?direction=outgoing"
    } else {
        "/app/requests"
    };
    let body = html! {
        h1 { (web.t(REQUESTS_TITLE)) }
        p.lead { (web.t(REQUESTS_LEAD)) }
        (flash_notice(&web, &query))
        p { a.button href="/app/requests/new" { (web.t(NEW_REQUEST)) } " " a href="/app/catalog" { (web.t(CATALOG_TITLE)) } }
        (tabs(&web, [("/app/requests", INCOMING, !outgoing), ("/app/requests?direction=outgoing", OUTGOING, outgoing)]))
        form.filters method="get" action="/app/requests" aria-label=(web.t(FILTERS)) {
            @if outgoing { input type="hidden" name="direction" value="outgoing"; }
            div.field {
                label for="state" { (web.t(STATE)) }
                select #state name="state" {
                    option value="" { (web.t(ANY)) }
                    (options(state_choices.iter().copied(), query.get("state")))
                }
            }
            button type="submit" { (web.t(SHOW)) }
        }
        @if rows.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(if outgoing { OUTGOING } else { INCOMING })) }
                    thead { tr {
                        th scope="col" { (web.t(if outgoing { OWNER } else { REQUESTER })) }
                        th scope="col" { (web.t(RECORDS)) }
                        th scope="col" { (web.t(LEVEL)) }
                        th scope="col" { (web.t(PURPOSE)) }
                        th scope="col" { (web.t(UNTIL)) }
                        th scope="col" { (web.t(STATE)) }
                        th scope="col" { span.visually-hidden { (web.t(OPEN)) } }
                    } }
                    tbody {
                        @for (request, party) in &rows {
                            @let (label, class) = request_state(request.state);
                            tr {
                                td data-label=(web.t(if outgoing { OWNER } else { REQUESTER })) { (party) }
                                td data-label=(web.t(RECORDS)) { (records_text(&web, &request.requested)) }
                                td data-label=(web.t(LEVEL)) { (web.t(i18n::grant_level(request.requested.level))) }
                                td data-label=(web.t(PURPOSE)) { (request.purpose) }
                                td data-label=(web.t(UNTIL)) { (i18n::date(web.language, day_of(request.requested.expires_at))) }
                                td data-label=(web.t(STATE)) { span class=(class) { (web.t(label)) } }
                                td {
                                    a href={ "/app/requests/" (request.id) } aria-label={ (web.t(OPEN)) ": " (party) } {
                                        @if request.state == RequestState::Pending && !outgoing && is_admin {
                                            (web.t(("判断する", "Decide")))
                                        } @else {
                                            (web.t(OPEN))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(&web, &query, path, next_after.as_deref()))
        p.muted { a href="/app/trade-requests" { (web.t(("CFP の取引依頼（ウラノス）はこちら", "CFP trade requests (Ouranos) are here"))) } }
    };
    Ok(web.page(web.t(REQUESTS_TITLE), Nav::Requests, body))
}

/// `GET /app/requests/{id}`: one request with its decision, and the forms its viewer may use.
pub async fn get_request(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    web.require_sign_in()?;
    let request = read_request(&state, &web, &id).await?;
    let query = ListQuery::parse(raw.as_deref());
    Ok(request_page(
        &state,
        &web,
        &request,
        &query,
        &[],
        &[],
        Option::<&[(String, String)]>::None,
    )
    .await)
}

async fn read_request(state: &AppState, web: &Web, id: &str) -> Result<AccessRequest, WebError> {
    let id: AccessRequestId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    state.store.get_access_request(web.actor(), id).await.or_page(web)
}

/// The page of one request; `narrow_problems` / `refuse_problems` are shown next to the fields of
/// a refused form, which shows the values sent (`sent`).
async fn request_page(
    state: &AppState,
    web: &Web,
    request: &AccessRequest,
    query: &ListQuery,
    narrow_problems: &[Violation],
    refuse_problems: &[Violation],
    sent: Option<&[(String, String)]>,
) -> axum::response::Response {
    let Some(signed_in) = &web.signed_in else {
        return axum::response::IntoResponse::into_response(web.fail(Problem::NotFound));
    };
    let mut organizations = Organizations::default();
    let requester = organizations
        .name(state.store.as_ref(), web.language, request.requester_organization_id)
        .await;
    let owner = organizations
        .name(state.store.as_ref(), web.language, request.owner_organization_id)
        .await;
    let is_owner = signed_in.organization.id == request.owner_organization_id;
    let pending = request.state == RequestState::Pending;
    let may_decide = is_owner && pending && admin_of(signed_in);
    let may_withdraw = !is_owner && pending && signed_in.actor.writes_for(signed_in.organization.id);
    let title = match web.language {
        Language::Ja => format!("アクセス申請：{requester} → {owner}"),
        Language::En => format!("Access request: {requester} → {owner}"),
    };
    let (label, class) = request_state(request.state);
    let body = html! {
        h1 { (title) }
        (flash_notice(web, query))
        p { a href=(if is_owner { "/app/requests" } else { "/app/requests?direction=outgoing" }) { "← " (web.t(REQUESTS_TITLE)) } }
        dl {
            dt { (web.t(STATE)) }
            dd { span class=(class) { (web.t(label)) } }
            dt { (web.t(REQUESTER)) }
            dd { (requester) }
            dt { (web.t(OWNER)) }
            dd { (owner) }
            dt { (web.t(PURPOSE)) }
            dd { (request.purpose) }
            dt { (web.t(REQUESTED_AT)) }
            dd { (i18n::date_time(web.language, request.created_at)) }
            @if let Some(message) = &request.message {
                dt { (web.t(MESSAGE)) }
                dd { (message) }
            }
            @if let Some(offer) = request.offer_id {
                dt { (web.t(OFFER)) }
                dd { code { (offer) } }
            }
        }
        section aria-labelledby="asked-heading" {
            h2 #asked-heading { (web.t(ASKED)) }
            (scope_list(web, &request.requested))
        }
        @if let Some(granted) = &request.granted {
            section aria-labelledby="granted-heading" {
                h2 #granted-heading { (web.t(GRANTED)) }
                (scope_list(web, granted))
                @if let Some(grant) = request.grant_id {
                    p { (web.t(THE_GRANT)) ": " a href={ "/app/grants?direction=" (if is_owner { "given" } else { "received" }) } { code { (grant) } }
                        " · " a href={ "/api/v1/grants/" (grant) "/policy" } { (web.t(POLICY)) } }
                }
            }
        }
        @if request.decided_at.is_some() || request.reason.is_some() {
            dl {
                @if let Some(decided) = request.decided_at {
                    dt { (web.t(DECIDED)) }
                    dd { (i18n::date_time(web.language, decided)) }
                }
                @if let Some(reason) = &request.reason {
                    dt { (web.t(REASON)) }
                    dd { (reason) }
                }
            }
        }
        @if is_owner && pending && !may_decide {
            p.muted { (web.t(("判断できるのは組織の管理者です。", "Your organization's administrators decide requests."))) }
        }
        @if may_decide {
            section aria-labelledby="approve-heading" {
                h2 #approve-heading { (web.t(APPROVE)) }
                form method="post" action={ "/app/requests/" (request.id) "/approve" } {
                    input type="hidden" name="csrf" value=(web.form_token);
                    button type="submit" { (web.t(APPROVE)) }
                }
            }
            (narrow_form(web, request, narrow_problems, sent.filter(|_| !narrow_problems.is_empty())))
            (refuse_form(web, request, refuse_problems, sent.filter(|_| !refuse_problems.is_empty())))
        }
        @if may_withdraw {
            section aria-labelledby="withdraw-heading" {
                h2 #withdraw-heading { (web.t(WITHDRAW)) }
                form method="post" action={ "/app/requests/" (request.id) "/withdraw" } {
                    input type="hidden" name="csrf" value=(web.form_token);
                    button.danger type="submit" { (web.t(WITHDRAW)) }
                }
            }
        }
    };
    if narrow_problems.is_empty() && refuse_problems.is_empty() {
        web.page(&title, Nav::Requests, body)
    } else {
        web.page_unprocessable(&title, Nav::Requests, body)
    }
}

const POLICY: Text = ("ODRL ポリシー", "ODRL policy");

fn narrow_form(
    web: &Web,
    request: &AccessRequest,
    problems: &[Violation],
    sent: Option<&[(String, String)]>,
) -> Markup {
    let asked = &request.requested;
    let sent_value = |name: &str| sent.and_then(|fields| value(fields, name)).map(str::to_owned);
    let level = sent_value("level").unwrap_or_else(|| asked.level.as_str().to_owned());
    let until = sent_value("expires_at").unwrap_or_else(|| day_text(day_of(asked.expires_at)));
    let reads = sent_value("max_reads").or_else(|| asked.max_reads.map(|reads| reads.to_string()));
    let reason = sent_value("reason").unwrap_or_default();
    let scope_fields = sent_value("fields").unwrap_or_else(|| asked.fields.clone().unwrap_or_default().join("\n"));
    let kept: Vec<String> = match sent {
        Some(fields) => values(fields, "record_id").into_iter().map(str::to_owned).collect(),
        None => asked.record_ids.clone().unwrap_or_default(),
    };
    let named_text = sent_value("record_ids").unwrap_or_default();
    let levels = [GrantLevel::LegitimateInterest, GrantLevel::Full];
    html! {
        section aria-labelledby="narrow-heading" {
            h2 #narrow-heading { (web.t(NARROW)) }
            p { (web.t(NARROW_LEAD)) }
            (problem_summary(web, problems))
            form.sharing-form method="post" action={ "/app/requests/" (request.id) "/narrow" } novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                @if let Some(ids) = &asked.record_ids {
                    fieldset aria-describedby=[described_by(problems, &["record_ids"], "narrow-records")] {
                        legend { (web.t(KEEP_RECORDS)) }
                        @for (index, id) in ids.iter().enumerate() {
                            div.check {
                                input type="checkbox" id={ "keep-" (index) } name="record_id" value=(id) checked[kept.contains(id)];
                                label for={ "keep-" (index) } { code { (id) } }
                            }
                        }
                        (field_problems(web, problems, &["record_ids"], "narrow-records"))
                    }
                } @else {
                    div.field {
                        label for="narrow-records" { (web.t(RECORD_IDS)) }
                        textarea #narrow-records name="record_ids" rows="3" aria-describedby=[described_by(problems, &["record_ids"], "narrow-records")] { (named_text) }
                        p.hint { (web.t(RECORD_IDS_HINT)) }
                        (field_problems(web, problems, &["record_ids"], "narrow-records"))
                    }
                }
                div.field {
                    label for="narrow-level" { (web.t(LEVEL)) }
                    select #narrow-level name="level" aria-describedby=[described_by(problems, &["level"], "narrow-level")] {
                        @for choice in levels {
                            option value=(choice.as_str()) selected[level == choice.as_str()] { (web.t(i18n::grant_level(choice))) }
                        }
                    }
                    (field_problems(web, problems, &["level"], "narrow-level"))
                }
                div.field {
                    label for="narrow-until" { (web.t(UNTIL)) }
                    input #narrow-until type="date" name="expires_at" value=(until) aria-describedby=[described_by(problems, &["expires_at"], "narrow-until")];
                    (field_problems(web, problems, &["expires_at"], "narrow-until"))
                }
                div.field {
                    label for="narrow-reads" { (web.t(MAX_READS)) }
                    input #narrow-reads type="number" min="1" name="max_reads" value=[reads.as_deref()] aria-describedby=[described_by(problems, &["max_reads"], "narrow-reads")];
                    (field_problems(web, problems, &["max_reads"], "narrow-reads"))
                }
                div.field {
                    label for="narrow-fields" { (web.t(SCOPE_FIELDS)) }
                    textarea #narrow-fields name="fields" rows="3" aria-describedby=[described_by(problems, &["fields"], "narrow-fields")] { (scope_fields) }
                    p.hint { (web.t(SCOPE_FIELDS_HINT)) }
                    (field_problems(web, problems, &["fields"], "narrow-fields"))
                }
                div.field {
                    label for="narrow-reason" { (web.t(REASON)) }
                    textarea #narrow-reason name="reason" rows="2" aria-describedby=[described_by(problems, &["reason"], "narrow-reason")] { (reason) }
                    (field_problems(web, problems, &["reason"], "narrow-reason"))
                }
                button type="submit" { (web.t(NARROW)) }
            }
        }
    }
}

fn refuse_form(
    web: &Web,
    request: &AccessRequest,
    problems: &[Violation],
    sent: Option<&[(String, String)]>,
) -> Markup {
    let reason = sent.and_then(|fields| value(fields, "reason")).unwrap_or_default();
    html! {
        section aria-labelledby="refuse-heading" {
            h2 #refuse-heading { (web.t(REFUSE)) }
            form.sharing-form method="post" action={ "/app/requests/" (request.id) "/refuse" } novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                div.field {
                    label for="refuse-reason" { (web.t(REASON)) }
                    textarea #refuse-reason name="reason" rows="2" required aria-describedby=[described_by(problems, &["reason"], "refuse-reason")] { (reason) }
                    (field_problems(web, problems, &["reason"], "refuse-reason"))
                }
                button.danger type="submit" { (web.t(REFUSE)) }
            }
        }
    }
}

/// A decision's store result: the redirect with its flash message, the form again with its
/// problems (422), or the error page (404 for a request the organization may not see, 403 for
/// members who may not decide, 409 for a request no longer pending).
async fn after_decision(
    state: &AppState,
    web: &Web,
    id: &str,
    result: Result<AccessRequest, StoreError>,
    done: &str,
    form: Decision,
    sent: &[(String, String)],
) -> WebResult {
    match result {
        Ok(request) => Ok(see_other(&format!("/app/requests/{}?done={done}", request.id))),
        Err(StoreError::Invalid(violations)) => {
            let request = read_request(state, web, id).await?;
            let query = ListQuery::default();
            let (narrow, refuse) = match form {
                Decision::Narrow => (violations, Vec::new()),
                Decision::Refuse => (Vec::new(), violations),
            };
            Ok(request_page(state, web, &request, &query, &narrow, &refuse, Some(sent)).await)
        }
        Err(StoreError::Conflict { .. }) => Err(web.fail_with(Problem::Conflict, NOT_PENDING)),
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

#[derive(Debug, Clone, Copy)]
enum Decision {
    Narrow,
    Refuse,
}

/// `POST /app/requests/{id}/approve`.
pub async fn post_approve(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let request_id: AccessRequestId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let result = state.store.approve_access_request(&signed_in.actor, request_id).await;
    after_decision(&state, &web, &id, result, "approved", Decision::Narrow, &fields).await
}

/// `POST /app/requests/{id}/narrow`: only the fields that differ from what was asked are sent to
/// the store as the narrowing, which refuses anything wider (each problem next to its field).
pub async fn post_narrow(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let request = read_request(&state, &web, &id).await?;
    let asked = &request.requested;
    let mut problems = Vec::new();
    let mut narrowing = Narrowing::default();
    if asked.record_ids.is_some() {
        let kept: Vec<String> = values(&fields, "record_id").into_iter().map(str::to_owned).collect();
        let mut asked_sorted = asked.record_ids.clone().unwrap_or_default();
        asked_sorted.sort_unstable();
        let mut kept_sorted = kept.clone();
        kept_sorted.sort_unstable();
        if kept_sorted != asked_sorted {
            narrowing.record_ids = Some(kept);
        }
    } else if let Some(text) = value(&fields, "record_ids") {
        narrowing.record_ids = Some(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
        );
    }
    match value(&fields, "level") {
        Some(text) => match GrantLevel::parse(text) {
            Some(level) if level != asked.level => narrowing.level = Some(level),
            Some(_) => {}
            None => problems.push(Violation::new("/level", "unknown level")),
        },
        None => problems.push(Violation::new("/level", "choose a level")),
    }
    match value(&fields, "expires_at") {
        Some(text) => match parse_day(text) {
            Some(day) if day == day_of(asked.expires_at) => {}
            Some(day) => narrowing.expires_at = Some(end_of_day(day)),
            None => problems.push(Violation::new("/expires_at", "enter the date as YYYY-MM-DD")),
        },
        None => problems.push(Violation::new("/expires_at", "enter the end date")),
    }
    match value(&fields, "max_reads") {
        Some(text) => match text.parse::<u64>() {
            Ok(reads) if Some(reads) != asked.max_reads => narrowing.max_reads = Some(reads),
            Ok(_) => {}
            Err(_) => problems.push(Violation::new("/max_reads", "enter a whole number of reads")),
        },
        None if asked.max_reads.is_some() => problems.push(Violation::new(
            "/max_reads",
            "a limit was asked for: removing it would widen the request",
        )),
        None => {}
    }
    match lines_of(&fields, "fields") {
        Some(kept) if Some(junkan_model::field_scope::normalized_fields(&kept)) != asked.fields => {
            narrowing.fields = Some(kept);
        }
        Some(_) => {}
        None if asked.fields.is_some() => problems.push(Violation::new(
            "/fields",
            "fields were asked for: leaving them out would widen the request",
        )),
        None => {}
    }
    narrowing.reason = value(&fields, "reason").map(str::to_owned);
    let result = if problems.is_empty() {
        let request_id: AccessRequestId = request.id;
        state
            .store
            .narrow_access_request(&signed_in.actor, request_id, narrowing)
            .await
    } else {
        Err(StoreError::Invalid(problems))
    };
    after_decision(&state, &web, &id, result, "narrowed", Decision::Narrow, &fields).await
}

/// `POST /app/requests/{id}/refuse`.
pub async fn post_refuse(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let request_id: AccessRequestId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let refusal = Refusal {
        reason: value(&fields, "reason").unwrap_or_default().to_owned(),
    };
    let result = state
        .store
        .refuse_access_request(&signed_in.actor, request_id, refusal)
        .await;
    after_decision(&state, &web, &id, result, "refused", Decision::Refuse, &fields).await
}

/// `POST /app/requests/{id}/withdraw` (the requester).
pub async fn post_withdraw(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let request_id: AccessRequestId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let result = state.store.withdraw_access_request(&signed_in.actor, request_id).await;
    after_decision(&state, &web, &id, result, "withdrawn", Decision::Refuse, &fields).await
}

// ---------------------------------------------------------------------------------------------
// A new request

/// `GET /app/requests/new?offer=`: the form of a new request, pre-filled from a catalog offer.
pub async fn get_new_request(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let mut fields: Fields = Vec::new();
    if let Some(offer) = query.get("offer") {
        let id: DatasetOfferId = offer.parse().map_err(|_| web.fail(Problem::NotFound))?;
        let offer = state.store.get_dataset_offer(web.actor(), id).await.or_page(&web)?;
        fields.push(("offer_id".to_owned(), offer.id.to_string()));
        fields.push(("owner".to_owned(), offer.owner_organization_id.to_string()));
        fields.push(("record_kind".to_owned(), offer.record_kind.as_str().to_owned()));
        fields.push(("level".to_owned(), offer.level.as_str().to_owned()));
        if let Some(class) = &offer.record_class {
            push_class(&mut fields, class);
        }
        if let Some(purpose) = &offer.purpose {
            fields.push(("purpose".to_owned(), purpose.clone()));
        }
        if let Some(offered) = &offer.fields {
            fields.push(("fields".to_owned(), offered.join("\n")));
        }
        if let Some(days) = offer.max_duration_days {
            let until = day_of(state.store.now() + time::Duration::days(i64::from(days) - 1));
            fields.push(("expires_at".to_owned(), day_text(until)));
        }
    } else if let Some(owner) = query.get("owner") {
        fields.push(("owner".to_owned(), owner.to_owned()));
    }
    new_request_page(&state, &web, &fields, &[]).await
}

fn push_class(fields: &mut Fields, class: &RecordClass) {
    let (kind, text) = match class {
        RecordClass::Profile { profile } => ("profile", profile.clone()),
        RecordClass::ProductClass { gtin } => ("product_class", gtin.clone()),
        RecordClass::Facilities {} => ("facilities", String::new()),
    };
    fields.push(("class_type".to_owned(), kind.to_owned()));
    fields.push(("class_value".to_owned(), text));
}

async fn new_request_page(
    state: &AppState,
    web: &Web,
    fields: &[(String, String)],
    problems: &[Violation],
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let directory = state
        .store
        .list_organizations(&OrganizationFilter::default(), &PageRequest::first(200))
        .await
        .or_page(web)?;
    let others: Vec<(String, String)> = directory
        .items
        .iter()
        .filter(|organization| organization.id != signed_in.organization.id)
        .map(|organization| {
            (
                organization.id.to_string(),
                organization_name(web.language, organization).to_owned(),
            )
        })
        .collect();
    let offers: Vec<DatasetOffer> = crate::handlers::sharing::visible_offers(state, web.actor())
        .await
        .map_err(|_| web.fail(Problem::Unavailable))?
        .into_iter()
        .filter(|offer| offer.owner_organization_id != signed_in.organization.id)
        .collect();
    let field = |name: &str| value(fields, name);
    let offer_choices: Vec<(String, String)> = offers
        .iter()
        .map(|offer| {
            let title = match web.language {
                Language::Ja => &offer.title_ja,
                Language::En => &offer.title_en,
            };
            (offer.id.to_string(), title.clone())
        })
        .collect();
    let kinds: Vec<(&str, &str)> = GRANTABLE_KINDS
        .iter()
        .map(|kind| (kind.as_str(), web.t(i18n::record_kind(*kind))))
        .collect();
    let levels: Vec<(&str, &str)> = [GrantLevel::LegitimateInterest, GrantLevel::Full]
        .iter()
        .map(|level| (level.as_str(), web.t(i18n::grant_level(*level))))
        .collect();
    let classes = [
        ("", web.t(CLASS_NONE)),
        ("profile", web.t(CLASS_PROFILE)),
        ("product_class", web.t(CLASS_GTIN)),
        ("facilities", web.t(CLASS_FACILITIES)),
    ];
    let body = html! {
        h1 { (web.t(NEW_REQUEST)) }
        p.lead { (web.t(("申請先の組織と、利用したい記録・範囲・目的・期限を指定します。所有者が承認すると許諾が作られ、その目的でのみ閲覧できます。",
            "Name the organization, the records, level, purpose and end you ask for. When the owner approves, a grant is created and reads must name the purpose."))) }
        (problem_summary(web, problems))
        form.sharing-form method="post" action="/app/requests/new" novalidate {
            input type="hidden" name="csrf" value=(web.form_token);
            div.field {
                label for="owner" { (web.t(OWNER)) }
                select #owner name="owner" required aria-describedby=[described_by(problems, &["owner_organization_id"], "owner")] {
                    option value="" { "—" }
                    (options(others.iter().map(|(id, name)| (id.as_str(), name.as_str())), field("owner")))
                }
                (field_problems(web, problems, &["owner_organization_id"], "owner"))
            }
            div.field {
                label for="offer" { (web.t(OFFER)) }
                select #offer name="offer_id" aria-describedby=[described_by(problems, &["offer_id"], "offer")] {
                    option value="" { (web.t(NONE_OFFER)) }
                    (options(offer_choices.iter().map(|(id, title)| (id.as_str(), title.as_str())), field("offer_id")))
                }
                p.hint { a href="/app/catalog" { (web.t(CATALOG_TITLE)) } }
                (field_problems(web, problems, &["offer_id"], "offer"))
            }
            div.field {
                label for="kind" { (web.t(KIND)) }
                select #kind name="record_kind" aria-describedby=[described_by(problems, &["record_kind"], "kind")] {
                    (options(kinds.iter().copied(), field("record_kind")))
                }
                (field_problems(web, problems, &["record_kind"], "kind"))
            }
            div.field {
                label for="class-type" { (web.t(CLASS_TYPE)) }
                select #class-type name="class_type" {
                    (options(classes.iter().copied(), Some(field("class_type").unwrap_or(""))))
                }
            }
            div.field {
                label for="class-value" { (web.t(CLASS_VALUE)) }
                input #class-value name="class_value" value=(field("class_value").unwrap_or_default()) aria-describedby=[described_by(problems, &["record_class"], "class-value")];
                (field_problems(web, problems, &["record_class"], "class-value"))
            }
            div.field {
                label for="record-ids" { (web.t(RECORD_IDS)) }
                textarea #record-ids name="record_ids" rows="3" aria-describedby=[described_by(problems, &["record_ids"], "record-ids")] { (field("record_ids").unwrap_or_default()) }
                p.hint { (web.t(RECORD_IDS_HINT)) }
                (field_problems(web, problems, &["record_ids"], "record-ids"))
            }
            div.field {
                label for="level" { (web.t(LEVEL)) }
                select #level name="level" aria-describedby=[described_by(problems, &["level"], "level")] {
                    (options(levels.iter().copied(), field("level")))
                }
                (field_problems(web, problems, &["level"], "level"))
            }
            div.field {
                label for="purpose" { (web.t(PURPOSE)) }
                input #purpose name="purpose" required maxlength="200" value=(field("purpose").unwrap_or_default()) aria-describedby=[described_by(problems, &["purpose"], "purpose")];
                (field_problems(web, problems, &["purpose"], "purpose"))
            }
            div.field {
                label for="until" { (web.t(UNTIL)) }
                input #until type="date" name="expires_at" required value=(field("expires_at").unwrap_or_default()) aria-describedby=[described_by(problems, &["expires_at"], "until")];
                (field_problems(web, problems, &["expires_at"], "until"))
            }
            div.field {
                label for="max-reads" { (web.t(MAX_READS)) }
                input #max-reads type="number" min="1" name="max_reads" value=(field("max_reads").unwrap_or_default()) aria-describedby=[described_by(problems, &["max_reads"], "max-reads")];
                (field_problems(web, problems, &["max_reads"], "max-reads"))
            }
            div.field {
                label for="scope-fields" { (web.t(SCOPE_FIELDS)) }
                textarea #scope-fields name="fields" rows="3" aria-describedby=[described_by(problems, &["fields"], "scope-fields")] { (field("fields").unwrap_or_default()) }
                p.hint { (web.t(SCOPE_FIELDS_HINT)) }
                (field_problems(web, problems, &["fields"], "scope-fields"))
            }
            div.field {
                label for="message" { (web.t(MESSAGE)) }
                textarea #message name="message" rows="3" aria-describedby=[described_by(problems, &["message"], "message")] { (field("message").unwrap_or_default()) }
                (field_problems(web, problems, &["message"], "message"))
            }
            button type="submit" { (web.t(SEND)) }
        }
    };
    Ok(if problems.is_empty() {
        web.page(web.t(NEW_REQUEST), Nav::Requests, body)
    } else {
        web.page_unprocessable(web.t(NEW_REQUEST), Nav::Requests, body)
    })
}

/// The record class of a form (`class_type` and `class_value`).
fn class_of(fields: &[(String, String)], problems: &mut Vec<Violation>) -> Option<RecordClass> {
    let text = value(fields, "class_value");
    match (value(fields, "class_type"), text) {
        (None, _) => None,
        (Some("profile"), Some(profile)) => Some(RecordClass::Profile {
            profile: profile.to_owned(),
        }),
        (Some("product_class"), Some(gtin)) => Some(RecordClass::ProductClass { gtin: gtin.to_owned() }),
        (Some("facilities"), _) => Some(RecordClass::Facilities {}),
        (Some(_), _) => {
            problems.push(Violation::new(
                "/record_class",
                "enter the profile code or the GTIN-14 of the class",
            ));
            None
        }
    }
}

pub(super) fn until_of(
    fields: &[(String, String)],
    problems: &mut Vec<Violation>,
    fallback: OffsetDateTime,
) -> OffsetDateTime {
    match value(fields, "expires_at").map(parse_day) {
        Some(Some(day)) => end_of_day(day),
        Some(None) => {
            problems.push(Violation::new("/expires_at", "enter the date as YYYY-MM-DD"));
            fallback
        }
        None => {
            problems.push(Violation::new("/expires_at", "enter the end date"));
            fallback
        }
    }
}

pub(super) fn reads_of(fields: &[(String, String)], problems: &mut Vec<Violation>) -> Option<u64> {
    value(fields, "max_reads").and_then(|text| match text.parse::<u64>() {
        Ok(reads) => Some(reads),
        Err(_) => {
            problems.push(Violation::new("/max_reads", "enter a whole number of reads"));
            None
        }
    })
}

/// `POST /app/requests/new`: sends the request through `Store::create_access_request`.
pub async fn post_new_request(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let mut problems = Vec::new();
    let mut owner: Option<OrganizationId> = value(&fields, "owner").and_then(|text| text.parse().ok());
    let offer_id: Option<DatasetOfferId> = value(&fields, "offer_id").and_then(|text| text.parse().ok());
    if owner.is_none() {
        if let Some(offer) = offer_id {
            owner = state
                .store
                .get_dataset_offer(web.actor(), offer)
                .await
                .ok()
                .map(|offer| offer.owner_organization_id);
        }
    }
    let Some(owner) = owner else {
        problems.push(Violation::new(
            "/owner_organization_id",
            "choose the organization you ask",
        ));
        return new_request_page(&state, &web, &fields, &problems).await;
    };
    let record_kind = value(&fields, "record_kind").and_then(kind_named);
    if record_kind.is_none() {
        problems.push(Violation::new("/record_kind", "choose a kind of record"));
    }
    let level = value(&fields, "level").and_then(GrantLevel::parse);
    if level.is_none() {
        problems.push(Violation::new("/level", "choose a level"));
    }
    let record_class = class_of(&fields, &mut problems);
    let expires_at = until_of(&fields, &mut problems, state.store.now());
    let max_reads = reads_of(&fields, &mut problems);
    let record_ids: Option<Vec<String>> = value(&fields, "record_ids").map(|text| {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let (Some(record_kind), Some(level), true) = (record_kind, level, problems.is_empty()) else {
        return new_request_page(&state, &web, &fields, &problems).await;
    };
    let new = NewAccessRequest {
        owner_organization_id: owner,
        offer_id,
        record_kind,
        record_ids,
        record_class,
        level,
        purpose: value(&fields, "purpose").unwrap_or_default().to_owned(),
        expires_at,
        max_reads,
        message: value(&fields, "message").map(str::to_owned),
        fields: lines_of(&fields, "fields"),
    };
    match state.store.create_access_request(&signed_in.actor, new).await {
        Ok(request) => Ok(see_other(&format!("/app/requests/{}?done=requested", request.id))),
        Err(error) => {
            let problems = violations_of(&web, error)?;
            new_request_page(&state, &web, &fields, &problems).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Standing rules (on the grants page)

const RULE_TITLE: Text = (
    "常設ルールを設定する（Standing rule）",
    "Set a standing rule (常設ルール)",
);
const RULE_LEAD: Text = (
    "一つの組織ではなく、役割や認証を持つすべての組織への許諾です。例：「解体の認証を持つリサイクル事業者は、自社の家電パスポートの解体情報を閲覧できる」。",
    "A grant to every organization with a role, a certification, or both, e.g. \"every recycler certified for dismantling may read the dismantling fields of my appliance passports\".",
);
const GRANTEE_TYPE: Text = ("対象", "Who");
const ROLE: Text = ("役割", "Role");
const SCHEME: Text = ("認証制度（スキーム）", "Certification scheme");
const ENFORCE_PURPOSE: Text = (
    "目的を強制する（閲覧時に Junkan-Purpose が一致すること）",
    "Enforce the purpose (reads must name it in Junkan-Purpose)",
);
const SET_RULE: Text = ("設定する", "Set the rule");

/// The standing-rule form of the grants page, with the values and problems of a refused one.
pub fn standing_rule_form(web: &Web, fields: &[(String, String)], problems: &[Violation]) -> Markup {
    let field = |name: &str| value(fields, name);
    let grantee_types = [
        (
            "role",
            web.t(("役割を持つすべての組織", "every organization with a role")),
        ),
        ("certification", web.t(("認証の保有者", "holders of a certification"))),
        (
            "role_with_certification",
            web.t((
                "認証を持つ、役割のすべての組織",
                "every organization with a role and a certification",
            )),
        ),
    ];
    let roles: Vec<(&str, &str)> = CycleRole::ALL
        .iter()
        .map(|role| (role.as_str(), web.t(i18n::cycle_role(*role))))
        .collect();
    let kinds: Vec<(&str, &str)> = GRANTABLE_KINDS
        .iter()
        .map(|kind| (kind.as_str(), web.t(i18n::record_kind(*kind))))
        .collect();
    let levels: Vec<(&str, &str)> = [GrantLevel::LegitimateInterest, GrantLevel::Full]
        .iter()
        .map(|level| (level.as_str(), web.t(i18n::grant_level(*level))))
        .collect();
    let classes = [
        ("", web.t(CLASS_NONE)),
        ("profile", web.t(CLASS_PROFILE)),
        ("product_class", web.t(CLASS_GTIN)),
        ("facilities", web.t(CLASS_FACILITIES)),
    ];
    html! {
        section aria-labelledby="rule-heading" {
            h2 #rule-heading { (web.t(RULE_TITLE)) }
            p { (web.t(RULE_LEAD)) }
            (problem_summary(web, problems))
            form.sharing-form method="post" action="/app/grants/standing-rules" novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                div.field {
                    label for="rule-grantee" { (web.t(GRANTEE_TYPE)) }
                    select #rule-grantee name="grantee_type" aria-describedby=[described_by(problems, &["grantee"], "rule-grantee")] {
                        (options(grantee_types.iter().copied(), field("grantee_type")))
                    }
                    (field_problems(web, problems, &["grantee"], "rule-grantee"))
                }
                div.field {
                    label for="rule-role" { (web.t(ROLE)) }
                    select #rule-role name="role" { (options(roles.iter().copied(), field("role"))) }
                }
                div.field {
                    label for="rule-scheme" { (web.t(SCHEME)) }
                    input #rule-scheme name="scheme" value=(field("scheme").unwrap_or_default());
                }
                div.field {
                    label for="rule-kind" { (web.t(KIND)) }
                    select #rule-kind name="record_kind" aria-describedby=[described_by(problems, &["record_kind"], "rule-kind")] {
                        (options(kinds.iter().copied(), field("record_kind")))
                    }
                    (field_problems(web, problems, &["record_kind"], "rule-kind"))
                }
                div.field {
                    label for="rule-class-type" { (web.t(CLASS_TYPE)) }
                    select #rule-class-type name="class_type" { (options(classes.iter().copied(), Some(field("class_type").unwrap_or("")))) }
                }
                div.field {
                    label for="rule-class-value" { (web.t(CLASS_VALUE)) }
                    input #rule-class-value name="class_value" value=(field("class_value").unwrap_or_default()) aria-describedby=[described_by(problems, &["record_class"], "rule-class-value")];
                    (field_problems(web, problems, &["record_class"], "rule-class-value"))
                }
                div.field {
                    label for="rule-level" { (web.t(LEVEL)) }
                    select #rule-level name="level" { (options(levels.iter().copied(), field("level"))) }
                }
                div.field {
                    label for="rule-purpose" { (web.t(PURPOSE)) }
                    input #rule-purpose name="purpose" maxlength="200" value=(field("purpose").unwrap_or_default()) aria-describedby=[described_by(problems, &["purpose"], "rule-purpose")];
                    (field_problems(web, problems, &["purpose"], "rule-purpose"))
                }
                div.check {
                    input #rule-enforce type="checkbox" name="enforce_purpose" value="1" checked[field("enforce_purpose").is_some()];
                    label for="rule-enforce" { (web.t(ENFORCE_PURPOSE)) }
                }
                div.field {
                    label for="rule-until" { (web.t(UNTIL)) }
                    input #rule-until type="date" name="expires_at" value=(field("expires_at").unwrap_or_default()) aria-describedby=[described_by(problems, &["expires_at"], "rule-until")];
                    (field_problems(web, problems, &["expires_at"], "rule-until"))
                }
                div.field {
                    label for="rule-reads" { (web.t(MAX_READS)) }
                    input #rule-reads type="number" min="1" name="max_reads" value=(field("max_reads").unwrap_or_default()) aria-describedby=[described_by(problems, &["max_reads"], "rule-reads")];
                    (field_problems(web, problems, &["max_reads"], "rule-reads"))
                }
                div.field {
                    label for="rule-fields" { (web.t(SCOPE_FIELDS)) }
                    textarea #rule-fields name="fields" rows="3" aria-describedby=[described_by(problems, &["fields"], "rule-fields")] { (field("fields").unwrap_or_default()) }
                    p.hint { (web.t(SCOPE_FIELDS_HINT)) }
                    (field_problems(web, problems, &["fields"], "rule-fields"))
                }
                button type="submit" { (web.t(SET_RULE)) }
            }
        }
    }
}

/// `POST /app/grants/standing-rules`: a grant to a class of organizations through
/// `Store::create_grant` (the store allows it to the organization's administrators).
pub async fn post_standing_rule(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let mut problems = Vec::new();
    let role = value(&fields, "role").and_then(CycleRole::parse);
    let scheme = value(&fields, "scheme").map(str::to_owned);
    let grantee = match (value(&fields, "grantee_type"), role, scheme) {
        (Some("role"), Some(role), _) => Some(Grantee::Role { role }),
        (Some("certification"), _, Some(scheme)) => Some(Grantee::Certification { scheme }),
        (Some("role_with_certification"), Some(role), Some(scheme)) => {
            Some(Grantee::RoleWithCertification { role, scheme })
        }
        _ => {
            problems.push(Violation::new(
                "/grantee",
                "choose who the rule is for: a role, a certification scheme, or both",
            ));
            None
        }
    };
    let record_kind = value(&fields, "record_kind").and_then(kind_named);
    if record_kind.is_none() {
        problems.push(Violation::new("/record_kind", "choose a kind of record"));
    }
    let level = value(&fields, "level")
        .and_then(GrantLevel::parse)
        .unwrap_or(GrantLevel::LegitimateInterest);
    let record_class = class_of(&fields, &mut problems);
    let expires_at = until_of(&fields, &mut problems, state.store.now());
    let max_reads = reads_of(&fields, &mut problems);
    let (Some(grantee), Some(record_kind), true) = (grantee, record_kind, problems.is_empty()) else {
        return super::workspace::grants_page(
            &state,
            &web,
            ListQuery::parse(Some("direction=standing")),
            &fields,
            &problems,
        )
        .await;
    };
    let new = NewGrant {
        grantee,
        record_kind,
        record_ids: None,
        level,
        purpose: value(&fields, "purpose").map(str::to_owned),
        expires_at,
        record_class,
        max_reads,
        enforce_purpose: value(&fields, "enforce_purpose").is_some(),
        fields: lines_of(&fields, "fields"),
    };
    match state.store.create_grant(&signed_in.actor, new).await {
        Ok(_) => Ok(see_other("/app/grants?direction=standing&done=rule")),
        Err(error) => {
            let problems = violations_of(&web, error)?;
            super::workspace::grants_page(
                &state,
                &web,
                ListQuery::parse(Some("direction=standing")),
                &fields,
                &problems,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The owner's audit

const AUDIT_TITLE: Text = ("所有者の監査（Owner's audit）", "Owner's audit (所有者の監査)");
const AUDIT_LEAD: Text = (
    "自社の限定公開の記録を、どの組織の誰が、いつ、どの許諾で、何の目的で閲覧したか。",
    "Who read which of your organization's restricted records, when, under which grant and for what purpose.",
);
const WHEN: Text = ("日時", "When");
const READER: Text = ("閲覧者（組織）", "Reader (organization)");
const RECORD: Text = ("記録", "Record");
const ACTION: Text = ("操作", "Action");
const GRANT: Text = ("許諾", "Grant");
const RECORD_ID: Text = ("記録ID", "Record id");
const GRANT_ID: Text = ("許諾ID", "Grant id");
const READER_ORGANIZATION: Text = ("閲覧した組織", "Reading organization");
const FROM: Text = ("開始日", "From");
const TO: Text = ("終了日", "To");
const NOT_AN_ADMIN: Text = (
    "監査記録を見られるのは組織の管理者です。",
    "Your organization's administrators see its audit entries.",
);

fn audit_action(action: AuditAction) -> Text {
    match action {
        AuditAction::Read => ("閲覧", "read"),
        AuditAction::Create => ("作成", "create"),
        AuditAction::Update => ("更新", "update"),
        AuditAction::Revoke => ("取消し", "revoke"),
        AuditAction::List => ("一覧", "list"),
    }
}

/// `GET /app/audit`: the audit entries about the organization's records, reads by default,
/// filtered by record, grant, reading organization, action and days (JST), paged.
pub async fn get_audit(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in = web.require_sign_in()?;
    if !admin_of(signed_in) {
        return Err(web.fail_with(Problem::Forbidden, NOT_AN_ADMIN));
    }
    let query = ListQuery::parse(raw.as_deref());
    let mut problems: Vec<(&str, &str)> = Vec::new();
    let bad_date = web.t((
        "日付は YYYY-MM-DD で入力してください。",
        "Enter the date as YYYY-MM-DD.",
    ));
    let bad_id = web.t(("ID の形式が正しくありません。", "This is not a well-formed id."));
    let mut filter = AuditFilter {
        owner_organization_id: Some(signed_in.organization.id),
        record_id: query.get("record").map(str::to_owned),
        action: Some(AuditAction::Read),
        ..AuditFilter::default()
    };
    match query.get("action") {
        Some("any") => filter.action = None,
        Some(text) => filter.action = AuditAction::parse(text).or(Some(AuditAction::Read)),
        None => {}
    }
    if let Some(text) = query.get("grant") {
        match text.parse::<GrantId>() {
            Ok(id) => filter.grant_id = Some(id),
            Err(_) => problems.push(("grant", bad_id)),
        }
    }
    if let Some(text) = query.get("reader") {
        match text.parse::<OrganizationId>() {
            Ok(id) => filter.actor_organization_id = Some(id),
            Err(_) => problems.push(("reader", bad_id)),
        }
    }
    if let Some(text) = query.get("from") {
        match parse_day(text) {
            Some(day) => filter.from = Some(day.midnight().assume_offset(offset!(+9))),
            None => problems.push(("from", bad_date)),
        }
    }
    if let Some(text) = query.get("to") {
        match parse_day(text) {
            Some(day) => filter.until = Some(day.next_day().unwrap_or(day).midnight().assume_offset(offset!(+9))),
            None => problems.push(("to", bad_date)),
        }
    }
    let page = if problems.is_empty() {
        Some(
            state
                .store
                .list_audit(web.actor(), &filter, &query.page)
                .await
                .or_page(&web)?,
        )
    } else {
        None
    };
    let mut organizations = Organizations::default();
    let mut rows = Vec::new();
    for entry in page.iter().flat_map(|page| page.items.iter()) {
        let reader = match entry.actor_organization_id {
            Some(id) => organizations.name(state.store.as_ref(), web.language, id).await,
            None => "—".to_owned(),
        };
        rows.push((entry, reader));
    }
    let readers: Vec<(String, String)> = {
        let directory = state
            .store
            .list_organizations(&OrganizationFilter::default(), &PageRequest::first(200))
            .await
            .or_page(&web)?;
        directory
            .items
            .iter()
            .filter(|organization| organization.id != signed_in.organization.id)
            .map(|organization| {
                (
                    organization.id.to_string(),
                    organization_name(web.language, organization).to_owned(),
                )
            })
            .collect()
    };
    let actions: Vec<(&str, &str)> = [
        AuditAction::Read,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::Revoke,
        AuditAction::List,
    ]
    .iter()
    .map(|action| (action.as_str(), web.t(audit_action(*action))))
    .chain([("any", web.t(ANY))])
    .collect();
    let problem = |name: &str| problems.iter().find(|(field, _)| *field == name).map(|(_, text)| *text);
    let body = html! {
        h1 { (web.t(AUDIT_TITLE)) }
        p.lead { (web.t(AUDIT_LEAD)) }
        form.filters method="get" action="/app/audit" aria-label=(web.t(FILTERS)) {
            div.field {
                label for="audit-record" { (web.t(RECORD_ID)) }
                input #audit-record name="record" value=(query.get("record").unwrap_or_default());
            }
            div.field {
                label for="audit-grant" { (web.t(GRANT_ID)) }
                input #audit-grant name="grant" value=(query.get("grant").unwrap_or_default()) aria-describedby=[problem("grant").map(|_| "audit-grant-problem")];
                @if let Some(text) = problem("grant") { p.error #audit-grant-problem { (text) } }
            }
            div.field {
                label for="audit-reader" { (web.t(READER_ORGANIZATION)) }
                select #audit-reader name="reader" aria-describedby=[problem("reader").map(|_| "audit-reader-problem")] {
                    option value="" { (web.t(ANY)) }
                    (options(readers.iter().map(|(id, name)| (id.as_str(), name.as_str())), query.get("reader")))
                }
                @if let Some(text) = problem("reader") { p.error #audit-reader-problem { (text) } }
            }
            div.field {
                label for="audit-action" { (web.t(ACTION)) }
                select #audit-action name="action" { (options(actions.iter().copied(), Some(query.get("action").unwrap_or("read")))) }
            }
            div.field {
                label for="audit-from" { (web.t(FROM)) }
                input #audit-from type="date" name="from" value=(query.get("from").unwrap_or_default()) aria-describedby=[problem("from").map(|_| "audit-from-problem")];
                @if let Some(text) = problem("from") { p.error #audit-from-problem { (text) } }
            }
            div.field {
                label for="audit-to" { (web.t(TO)) }
                input #audit-to type="date" name="to" value=(query.get("to").unwrap_or_default()) aria-describedby=[problem("to").map(|_| "audit-to-problem")];
                @if let Some(text) = problem("to") { p.error #audit-to-problem { (text) } }
            }
            button type="submit" { (web.t(SHOW)) }
        }
        @if rows.is_empty() {
            p { (web.t(NONE_FOUND)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    caption.visually-hidden { (web.t(AUDIT_TITLE)) }
                    thead { tr {
                        th scope="col" { (web.t(WHEN)) }
                        th scope="col" { (web.t(READER)) }
                        th scope="col" { (web.t(ACTION)) }
                        th scope="col" { (web.t(RECORD)) }
                        th scope="col" { (web.t(GRANT)) }
                        th scope="col" { (web.t(PURPOSE)) }
                    } }
                    tbody {
                        @for (entry, reader) in &rows {
                            tr {
                                td data-label=(web.t(WHEN)) { (i18n::date_time(web.language, entry.at)) }
                                td data-label=(web.t(READER)) { (reader) br; span.muted { code { (entry.actor_id) } } }
                                td data-label=(web.t(ACTION)) { (web.t(audit_action(entry.action))) }
                                td data-label=(web.t(RECORD)) { (web.t(i18n::record_kind(entry.record_kind))) br; code { (entry.record_id) } }
                                td data-label=(web.t(GRANT)) {
                                    @if let Some(grant) = entry.grant_id {
                                        a href={ "/app/audit?grant=" (grant) } { code { (grant) } }
                                    } @else { "—" }
                                }
                                td data-label=(web.t(PURPOSE)) { (entry.purpose.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
        (pager(&web, &query, "/app/audit", page.as_ref().and_then(|page| page.next_after.as_deref())))
    };
    Ok(if problems.is_empty() {
        web.page(web.t(AUDIT_TITLE), Nav::Audit, body)
    } else {
        web.page_unprocessable(web.t(AUDIT_TITLE), Nav::Audit, body)
    })
}

// ---------------------------------------------------------------------------------------------
// Catalog and offers

const CATALOG_TITLE: Text = ("データカタログ（Catalog）", "Data catalog (カタログ)");
const CATALOG_LEAD: Text = (
    "このノードの組織が提供するデータセット（DCAT 3 カタログ、/catalog と同じ内容）。利用するにはアクセス申請を送ります。",
    "The datasets this node's organizations offer (the DCAT 3 catalog served at /catalog). Send an access request to use one.",
);
const OTHERS: Text = ("他の組織のデータセット", "Other organizations' datasets");
const OWN_OFFERS: Text = (
    "自社の提供（データセットの提供）",
    "Your organization's offers (データセットの提供)",
);
const PUBLISHER: Text = ("提供者", "Publisher");
const TITLE: Text = ("名称", "Title");
const REQUEST_ACCESS: Text = ("アクセスを申請", "Request access");
const MAX_DURATION: Text = ("最長期間（日）", "Longest grant (days)");
const LISTED: Text = ("公開範囲", "Listed for");
const LISTED_PUBLIC: Text = ("誰でも（匿名を含む）", "everyone (anonymous too)");
const LISTED_MEMBERS: Text = ("サインインした組織のみ", "signed-in organizations");
const WITHDRAWN: Text = ("取下げ済み", "withdrawn");
const WITHDRAW_OFFER: Text = ("提供を取り下げる", "Withdraw the offer");
const NEW_OFFER: Text = ("データセットを提供する", "Offer a dataset");
const PUBLISH: Text = ("公開する", "Publish");
const JSON_LD: Text = ("JSON-LD（DCAT）", "JSON-LD (DCAT)");

/// `GET /app/catalog`: the offers the user may see, other organizations' with a "request
/// access" button, the organization's own with withdraw, and the form of a new offer.
pub async fn get_catalog(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    catalog_page(&state, &web, &query, &[], &[]).await
}

async fn catalog_page(
    state: &AppState,
    web: &Web,
    query: &ListQuery,
    fields: &[(String, String)],
    problems: &[Violation],
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let page = state
        .store
        .list_dataset_offers(web.actor(), None, &query.page)
        .await
        .or_page(web)?;
    let own = signed_in.organization.id;
    let is_admin = admin_of(signed_in);
    let mut organizations = Organizations::default();
    let mut others = Vec::new();
    let mut mine = Vec::new();
    for offer in &page.items {
        if offer.owner_organization_id == own {
            mine.push(offer);
        } else if offer.withdrawn_at.is_none() {
            let publisher = organizations
                .name(state.store.as_ref(), web.language, offer.owner_organization_id)
                .await;
            others.push((offer, publisher));
        }
    }
    let title_of = |offer: &DatasetOffer| match web.language {
        Language::Ja => offer.title_ja.clone(),
        Language::En => offer.title_en.clone(),
    };
    let description_of = |offer: &DatasetOffer| match web.language {
        Language::Ja => offer.description_ja.clone(),
        Language::En => offer.description_en.clone(),
    };
    let body = html! {
        h1 { (web.t(CATALOG_TITLE)) }
        p.lead { (web.t(CATALOG_LEAD)) " " a href="/catalog" { (web.t(JSON_LD)) } }
        (flash_notice(web, query))
        section aria-labelledby="others-heading" {
            h2 #others-heading { (web.t(OTHERS)) }
            @if others.is_empty() {
                p { (web.t(NONE_FOUND)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(TITLE)) }
                            th scope="col" { (web.t(PUBLISHER)) }
                            th scope="col" { (web.t(KIND)) }
                            th scope="col" { (web.t(LEVEL)) }
                            th scope="col" { (web.t(PURPOSE)) }
                            th scope="col" { span.visually-hidden { (web.t(REQUEST_ACCESS)) } }
                        } }
                        tbody {
                            @for (offer, publisher) in &others {
                                tr {
                                    td data-label=(web.t(TITLE)) { strong { (title_of(offer)) } br; span.muted { (description_of(offer)) } }
                                    td data-label=(web.t(PUBLISHER)) { (publisher) }
                                    td data-label=(web.t(KIND)) {
                                        (web.t(i18n::record_kind(offer.record_kind)))
                                        @if let Some(class) = &offer.record_class { br; code { (class.to_stored()) } }
                                        @if let Some(fields) = &offer.fields {
                                            br; span.muted { (web.t(SCOPE_FIELDS_SHORT)) ": " @for (index, field) in fields.iter().enumerate() { @if index > 0 { ", " } code { (field) } } }
                                        }
                                    }
                                    td data-label=(web.t(LEVEL)) { (web.t(i18n::grant_level(offer.level))) }
                                    td data-label=(web.t(PURPOSE)) { (offer.purpose.as_deref().unwrap_or("—")) }
                                    td { a.button href={ "/app/requests/new?offer=" (offer.id) } aria-label={ (web.t(REQUEST_ACCESS)) ": " (title_of(offer)) } { (web.t(REQUEST_ACCESS)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="own-heading" {
            h2 #own-heading { (web.t(OWN_OFFERS)) }
            @if mine.is_empty() {
                p { (web.t(NONE_FOUND)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(TITLE)) }
                            th scope="col" { (web.t(KIND)) }
                            th scope="col" { (web.t(LEVEL)) }
                            th scope="col" { (web.t(LISTED)) }
                            th scope="col" { (web.t(STATE)) }
                            @if is_admin { th scope="col" { span.visually-hidden { (web.t(WITHDRAW_OFFER)) } } }
                        } }
                        tbody {
                            @for offer in &mine {
                                tr {
                                    td data-label=(web.t(TITLE)) { strong { (title_of(offer)) } br; span.muted { (description_of(offer)) } }
                                    td data-label=(web.t(KIND)) {
                                        (web.t(i18n::record_kind(offer.record_kind)))
                                        @if let Some(class) = &offer.record_class { br; code { (class.to_stored()) } }
                                        @if let Some(fields) = &offer.fields {
                                            br; span.muted { (web.t(SCOPE_FIELDS_SHORT)) ": " @for (index, field) in fields.iter().enumerate() { @if index > 0 { ", " } code { (field) } } }
                                        }
                                    }
                                    td data-label=(web.t(LEVEL)) { (web.t(i18n::grant_level(offer.level))) }
                                    td data-label=(web.t(LISTED)) { (web.t(if offer.public { LISTED_PUBLIC } else { LISTED_MEMBERS })) }
                                    td data-label=(web.t(STATE)) {
                                        @if offer.withdrawn_at.is_some() { span.badge.neutral { (web.t(WITHDRAWN)) } } @else { span.badge { (web.t(("提供中", "offered"))) } }
                                    }
                                    @if is_admin {
                                        td {
                                            @if offer.withdrawn_at.is_none() {
                                                form.inline method="post" action={ "/app/catalog/offers/" (offer.id) "/withdraw" } {
                                                    input type="hidden" name="csrf" value=(web.form_token);
                                                    button.danger type="submit" aria-label={ (web.t(WITHDRAW_OFFER)) ": " (title_of(offer)) } { (web.t(WITHDRAW_OFFER)) }
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
        (pager(web, query, "/app/catalog", page.next_after.as_deref()))
        @if is_admin {
            (offer_form(web, fields, problems))
        }
    };
    Ok(if problems.is_empty() {
        web.page(web.t(CATALOG_TITLE), Nav::Catalog, body)
    } else {
        web.page_unprocessable(web.t(CATALOG_TITLE), Nav::Catalog, body)
    })
}

fn offer_form(web: &Web, fields: &[(String, String)], problems: &[Violation]) -> Markup {
    let field = |name: &str| value(fields, name);
    let kinds: Vec<(&str, &str)> = GRANTABLE_KINDS
        .iter()
        .map(|kind| (kind.as_str(), web.t(i18n::record_kind(*kind))))
        .collect();
    let levels: Vec<(&str, &str)> = [GrantLevel::LegitimateInterest, GrantLevel::Full]
        .iter()
        .map(|level| (level.as_str(), web.t(i18n::grant_level(*level))))
        .collect();
    let classes = [
        ("", web.t(CLASS_NONE)),
        ("profile", web.t(CLASS_PROFILE)),
        ("product_class", web.t(CLASS_GTIN)),
        ("facilities", web.t(CLASS_FACILITIES)),
    ];
    let text_field = |name: &'static str, label: Text, id: &'static str, long: bool| {
        html! {
            div.field {
                label for=(id) { (web.t(label)) }
                @if long {
                    textarea #(id) name=(name) rows="2" aria-describedby=[described_by(problems, &[name], id)] { (field(name).unwrap_or_default()) }
                } @else {
                    input #(id) name=(name) value=(field(name).unwrap_or_default()) aria-describedby=[described_by(problems, &[name], id)];
                }
                (field_problems(web, problems, &[name], id))
            }
        }
    };
    html! {
        section aria-labelledby="offer-heading" {
            h2 #offer-heading { (web.t(NEW_OFFER)) }
            (problem_summary(web, problems))
            form.sharing-form method="post" action="/app/catalog/offers" novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                (text_field("title_ja", ("名称（日本語）", "Title (Japanese)"), "offer-title-ja", false))
                (text_field("title_en", ("名称（英語）", "Title (English)"), "offer-title-en", false))
                (text_field("description_ja", ("説明（日本語）", "Description (Japanese)"), "offer-description-ja", true))
                (text_field("description_en", ("説明（英語）", "Description (English)"), "offer-description-en", true))
                div.field {
                    label for="offer-kind" { (web.t(KIND)) }
                    select #offer-kind name="record_kind" { (options(kinds.iter().copied(), field("record_kind"))) }
                    (field_problems(web, problems, &["record_kind"], "offer-kind"))
                }
                div.field {
                    label for="offer-class-type" { (web.t(CLASS_TYPE)) }
                    select #offer-class-type name="class_type" { (options(classes.iter().copied(), Some(field("class_type").unwrap_or("")))) }
                }
                (text_field("class_value", CLASS_VALUE, "offer-class-value", false))
                (field_problems(web, problems, &["record_class"], "offer-class"))
                div.field {
                    label for="offer-level" { (web.t(("提供する最大の開示範囲", "Highest level offered"))) }
                    select #offer-level name="level" { (options(levels.iter().copied(), field("level"))) }
                }
                (text_field("purpose", PURPOSE, "offer-purpose", false))
                (text_field("max_duration_days", MAX_DURATION, "offer-days", false))
                div.field {
                    label for="offer-fields" { (web.t(SCOPE_FIELDS)) }
                    textarea #offer-fields name="fields" rows="3" aria-describedby=[described_by(problems, &["fields"], "offer-fields")] { (field("fields").unwrap_or_default()) }
                    p.hint { (web.t(SCOPE_FIELDS_HINT)) }
                    (field_problems(web, problems, &["fields"], "offer-fields"))
                }
                div.check {
                    input #offer-public type="checkbox" name="public" value="1" checked[field("public").is_some()];
                    label for="offer-public" { (web.t(("匿名の閲覧者にもカタログで公開する", "List it for anonymous readers too"))) }
                }
                button type="submit" { (web.t(PUBLISH)) }
            }
        }
    }
}

/// `POST /app/catalog/offers`: publishes an offer through `Store::create_dataset_offer`.
pub async fn post_offer(State(state): State<AppState>, web: Web, Form(fields): Form<Fields>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let mut problems = Vec::new();
    let record_kind = value(&fields, "record_kind").and_then(kind_named);
    if record_kind.is_none() {
        problems.push(Violation::new("/record_kind", "choose a kind of record"));
    }
    let level = value(&fields, "level")
        .and_then(GrantLevel::parse)
        .unwrap_or(GrantLevel::LegitimateInterest);
    let record_class = class_of(&fields, &mut problems);
    let max_duration_days = value(&fields, "max_duration_days").and_then(|text| match text.parse::<u32>() {
        Ok(days) => Some(days),
        Err(_) => {
            problems.push(Violation::new("/max_duration_days", "enter a whole number of days"));
            None
        }
    });
    let query = ListQuery::default();
    let (Some(record_kind), true) = (record_kind, problems.is_empty()) else {
        return catalog_page(&state, &web, &query, &fields, &problems).await;
    };
    let text = |name: &str| value(&fields, name).unwrap_or_default().to_owned();
    let new = NewDatasetOffer {
        title_ja: text("title_ja"),
        title_en: text("title_en"),
        description_ja: text("description_ja"),
        description_en: text("description_en"),
        record_kind,
        record_class,
        level,
        purpose: value(&fields, "purpose").map(str::to_owned),
        max_duration_days,
        public: value(&fields, "public").is_some(),
        fields: lines_of(&fields, "fields"),
    };
    match state.store.create_dataset_offer(&signed_in.actor, new).await {
        Ok(_) => Ok(see_other("/app/catalog?done=offered")),
        Err(error) => {
            let problems = violations_of(&web, error)?;
            catalog_page(&state, &web, &query, &fields, &problems).await
        }
    }
}

/// `POST /app/catalog/offers/{id}/withdraw` (the owner's administrators).
pub async fn post_withdraw_offer(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf(&fields))?;
    let id: DatasetOfferId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    state
        .store
        .withdraw_dataset_offer(&signed_in.actor, id)
        .await
        .or_page(&web)?;
    Ok(see_other("/app/catalog?done=offer-withdrawn"))
}
