//! The full passport page of the workspace (`/app/passports/{id}`): the passport as the signed-in
//! user may see it, rendered by the same parts as the public QR page (`resolver::page`), with its
//! versions, the owner's certifications, what has been verified about it, and where to go next
//! (the public page, the API, the lineage of its identifier, its product indicators).

use axum::extract::{Path, RawQuery, State};
use maud::{html, Markup};

use junkan_model::access::Certification;
use junkan_model::ids::PassportId;
use junkan_model::page::PageRequest;
use junkan_model::passport::{Passport, PassportRead, PassportVersionInfo};
use junkan_passport::CompiledProfile;

use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{ListQuery, Organizations};
use super::workspace::lineage_query;
use crate::resolver::links::{self, Place};
use crate::resolver::{page, qr};
use crate::AppState;

const VERSIONS: Text = ("版の履歴", "Versions");
const VERSION: Text = ("版", "Version");
const STATUS: Text = ("状態", "Status");
const CREATED: Text = ("作成日時", "Created");
const CREATED_BY: Text = ("作成者", "By");
const NOTE: Text = ("変更内容", "Note");
const SHOWN: Text = ("表示中", "shown");
const OLDER_VERSION: Text = ("古い版を表示しています。", "You are looking at an older version.");
const NEWEST: Text = ("最新の版を見る", "See the newest version");
const CERTIFICATIONS: Text = ("所有者の認証", "The owner's certifications");
const NO_CERTIFICATIONS: Text = (
    "所有者の組織に登録された認証はありません。",
    "No certification of the owner is recorded.",
);
const SCHEME: Text = ("認証スキーム", "Scheme");
const CERTIFIER: Text = ("認証機関", "Certifier");
const VALIDITY: Text = ("有効期間", "Valid");
const VALID: Text = ("有効", "Valid");
const NOT_YET: Text = ("開始前", "Not yet valid");
const EXPIRED: Text = ("期限切れ", "Expired");
const REVOKED: Text = ("取消済み", "Revoked");
const VERIFICATION: Text = ("検証状況", "Verification status");
const SCHEMA_CHECKED: Text = ("プロファイル適合", "Profile conformance");
const IDENTIFIER_CHECKED: Text = ("識別子", "Identifier");
const IMMUTABLE: Text = ("版の改ざん防止", "Version integrity");
const IMMUTABLE_TEXT: Text = (
    "各版は追記のみで保存され、データベースが書き換え・削除を拒否します。",
    "Every version is stored append-only; the database refuses to change or delete one.",
);
const SIGNATURE: Text = ("電子署名", "Digital signature");
const SIGNED_EXPORT: Text = (
    "この版の署名付き資格情報（vc+jwt、所有者の鍵で署名、失効リスト付き）を書き出す",
    "Export this version as a signed credential (vc+jwt, signed with the owner's key, with a revocation entry)",
);
const SIGNER: Text = ("署名者（DID）", "Signer (DID)");
const ACCESS: Text = ("閲覧レベル", "Your access level");
const OWNER: Text = ("所有者", "Owner");
const VISIBILITY: Text = ("公開範囲", "Visibility");
const ELSEWHERE: Text = ("関連するページ", "Elsewhere");
const PUBLIC_PAGE: Text = (
    "公開ページ（QRコードの行き先）",
    "Public page (where the QR code leads)",
);
const API: Text = ("API（JSON）", "API (JSON)");
const EDIT: Text = ("編集する（新しい版を作成）", "Edit (writes a new version)");
const SAVED: Text = ("保存しました。", "Saved.");
const TRACE: Text = ("この識別子をトレースする", "Trace this identifier");
const FLOWS: Text = (
    "この製品の物質フロー（サンキー図）",
    "Material flows of this product (Sankey)",
);
const INDICATOR: Text = ("製品の指標", "Product indicator");

/// `GET /app/passports/{id}[?version=n]`: the full page of a passport the user may read (404
/// otherwise, as the API answers).
pub async fn get_passport_page(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    web.require_sign_in()?;
    let id: PassportId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let query = ListQuery::parse(raw.as_deref());
    let version = match query.get("version") {
        Some(version) => Some(version.parse::<i64>().map_err(|_| web.fail(Problem::NotFound))?),
        None => None,
    };
    let store = state.store.as_ref();
    let passport = store
        .get_passport(web.actor(), id, PassportRead { version, view: None })
        .await
        .or_page(&web)?;
    let history = store.passport_history(web.actor(), id).await.or_page(&web)?;
    let profile = state
        .resolver
        .profiles
        .get(store, &passport.profile, &passport.profile_version)
        .await
        .or_page(&web)?;
    let certifications = store
        .list_certifications(Some(passport.owner_organization_id), &PageRequest::first(50))
        .await
        .or_page(&web)?
        .items;
    let certificates = super::certificates::passport_rows(&state, web.actor(), web.language, &passport.id.to_string())
        .await
        .or_page(&web)?;
    let signature = crate::certificates::passport_signature(&state, &passport, &profile).await;
    let mut organizations = Organizations::default();
    let owner = organizations
        .name(store, web.language, passport.owner_organization_id)
        .await;
    let mut certifiers = Vec::with_capacity(certifications.len());
    for certification in &certifications {
        certifiers.push(
            organizations
                .name(store, web.language, certification.certifier_organization_id)
                .await,
        );
    }
    let place = Place {
        root: &state.settings.issuer,
        requested: &passport.identifier,
    };
    let all_links = links::links(place, &passport, web.language);
    // A GS1 Digital Link resolves on this node: the QR code and the public page lead there.
    let public_page = is_digital_link(&passport.identifier).then(|| place.resolver_uri());
    let qr_text = public_page.as_deref().unwrap_or(&passport.identifier);
    let svg = qr::svg(qr_text, 200).map_err(|_| web.fail(Problem::BadRequest))?;
    let input = page::PageInput {
        passport: &passport,
        profile: &profile,
        requested: &passport.identifier,
        links: &all_links,
        language: web.language,
        qr_svg: &svg,
        certificates: &certificates,
        signature: &signature,
    };
    let now = store.now();
    let title = page::passport_name(&passport, &profile);
    let owned = web
        .signed_in
        .as_ref()
        .is_some_and(|signed_in| signed_in.organization.id == passport.owner_organization_id);
    let saved = web.here.contains("saved=1");
    // The passport's credentials: signed with the owner's key when exported; its organization's
    // members see how many were issued for this version and how many are revoked.
    let signer = crate::trust::organization_did(&state, passport.owner_organization_id);
    let issued = match store
        .credentials_of_record(web.actor(), "passport", &passport.id.to_string())
        .await
    {
        Ok(entries) if owned => {
            let of_version: Vec<_> = entries
                .iter()
                .filter(|entry| entry.record_version == Some(passport.version))
                .collect();
            let revoked = of_version.iter().filter(|entry| entry.revoked_at.is_some()).count();
            Some(match web.language {
                Language::Ja => format!(
                    "この版の発行済み資格情報: {} 件（うち取消 {revoked} 件）",
                    of_version.len()
                ),
                Language::En => format!(
                    "Credentials issued for this version: {} ({revoked} revoked)",
                    of_version.len()
                ),
            })
        }
        _ => None,
    };
    let body = html! {
        (page::heading(input, html! {}))
        @if saved { p.notice role="status" { (web.t(SAVED)) } }
        @if owned {
            p { a.button href={ "/app/passports/" (passport.id) "/edit" } { (web.t(EDIT)) } }
        }
        @if passport.version != passport.latest_version {
            p.notice role="status" {
                (web.t(OLDER_VERSION)) " "
                a href={ "/app/passports/" (passport.id) } { (web.t(NEWEST)) }
            }
        }
        (verification(&web, &passport, &profile, &owner, &signer, &signature, issued))
        (page::sections(&passport, &profile, web.language))
        (versions(&web, &passport, &history))
        (super::certificates::passport_section(web.language, &certificates))
        (certifications_section(&web, &certifications, &certifiers, now))
        (elsewhere(&web, &passport, &profile, public_page.as_deref()))
        (page::qr_section(web.language, qr_text, &svg))
        p.muted { (page::version_line(web.language, &passport)) }
    };
    Ok(web.page(&title, Nav::Passports, body))
}

fn verification(
    web: &Web,
    passport: &Passport,
    profile: &CompiledProfile,
    owner: &str,
    signer: &str,
    signature: &crate::certificates::CertificateCheck,
    issued: Option<String>,
) -> Markup {
    let schema = match web.language {
        Language::Ja => format!(
            "登録時にプロファイル {} {} のスキーマで検査済み（適合しないデータは保存されません）",
            passport.profile, passport.profile_version
        ),
        Language::En => format!(
            "Checked against the schema of profile {} {} when written (data that does not conform is never stored)",
            passport.profile, passport.profile_version
        ),
    };
    let digital_link = is_digital_link(&passport.identifier);
    let identifier = match (web.language, digital_link) {
        (Language::Ja, true) => "GS1 Digital Link の正規形（検査数字・桁数を確認済み）",
        (Language::En, true) => "canonical GS1 Digital Link (check digits and lengths checked)",
        (Language::Ja, false) => "GS1 Digital Link ではない識別子（形式のみ確認）",
        (Language::En, false) => "not a GS1 Digital Link (only its form was checked)",
    };
    html! {
        section aria-labelledby="verification-heading" {
            h2 #verification-heading { (web.t(VERIFICATION)) }
            dl {
                dt { (web.t(OWNER)) }
                dd { (owner) }
                dt { (web.t(VISIBILITY)) }
                dd { (web.t(i18n::visibility(passport.visibility))) }
                dt { (web.t(ACCESS)) }
                dd { (web.t(i18n::access_level(passport.access_level))) }
                dt { (web.t(SCHEMA_CHECKED)) }
                dd { span.badge { "✓" } " " (schema) }
                dt { (web.t(IDENTIFIER_CHECKED)) }
                dd { @if digital_link { span.badge { "✓" } " " } (identifier) }
                dt { (web.t(IMMUTABLE)) }
                dd { span.badge { "✓" } " " (web.t(IMMUTABLE_TEXT)) }
                dt { (web.t(SIGNATURE)) }
                dd {
                    (super::certificates::check_badge(web.language, signature))
                    br;
                    a href={ "/api/v1/credentials/passport/" (passport.id) "?version=" (passport.version) } type="application/json" { (web.t(SIGNED_EXPORT)) }
                    br;
                    span.muted { (web.t(SIGNER)) ": " code { (signer) } }
                    @if let Some(issued) = issued {
                        br;
                        span.muted { (issued) }
                    }
                }
            }
            p.muted { (profile.profile.name.get(web.language.tag())) }
        }
    }
}

fn versions(web: &Web, passport: &Passport, history: &[PassportVersionInfo]) -> Markup {
    html! {
        section aria-labelledby="versions-heading" {
            h2 #versions-heading { (web.t(VERSIONS)) }
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" class="num" { (web.t(VERSION)) }
                        th scope="col" { (web.t(STATUS)) }
                        th scope="col" { (web.t(CREATED)) }
                        th scope="col" { (web.t(CREATED_BY)) }
                        th scope="col" { (web.t(NOTE)) }
                    } }
                    tbody {
                        @for entry in history.iter().rev() {
                            tr {
                                td.num data-label=(web.t(VERSION)) {
                                    @if entry.version == passport.version {
                                        strong { (entry.version) } " (" (web.t(SHOWN)) ")"
                                    } @else {
                                        a href={ "/app/passports/" (passport.id) "?version=" (entry.version) } { (entry.version) }
                                    }
                                }
                                td data-label=(web.t(STATUS)) { (web.t(entry.status.labels())) }
                                td data-label=(web.t(CREATED)) { (i18n::date_time(web.language, entry.created_at)) }
                                td data-label=(web.t(CREATED_BY)) { code { (entry.created_by) } }
                                td data-label=(web.t(NOTE)) { (entry.note.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn certifications_section(
    web: &Web,
    certifications: &[Certification],
    certifiers: &[String],
    now: time::OffsetDateTime,
) -> Markup {
    html! {
        section aria-labelledby="certifications-heading" {
            h2 #certifications-heading { (web.t(CERTIFICATIONS)) }
            @if certifications.is_empty() {
                p { (web.t(NO_CERTIFICATIONS)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(SCHEME)) }
                            th scope="col" { (web.t(CERTIFIER)) }
                            th scope="col" { (web.t(VALIDITY)) }
                            th scope="col" { (web.t(STATUS)) }
                        } }
                        tbody {
                            @for (certification, certifier) in certifications.iter().zip(certifiers) {
                                @let (label, class) = certification_state(certification, now);
                                tr {
                                    td data-label=(web.t(SCHEME)) { code { (certification.scheme) } }
                                    td data-label=(web.t(CERTIFIER)) { (certifier) }
                                    td data-label=(web.t(VALIDITY)) {
                                        (i18n::date(web.language, certification.valid_from.date())) " – "
                                        (i18n::date(web.language, certification.valid_until.date()))
                                    }
                                    td data-label=(web.t(STATUS)) { span class=(class) { (web.t(label)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whether a certification holds at `now`, with the badge it is shown with.
fn certification_state(certification: &Certification, now: time::OffsetDateTime) -> (Text, &'static str) {
    if certification.revoked_at.is_some() {
        (REVOKED, "badge bad")
    } else if now < certification.valid_from {
        (NOT_YET, "badge neutral")
    } else if now >= certification.valid_until {
        (EXPIRED, "badge neutral")
    } else {
        (VALID, "badge")
    }
}

/// Whether a (canonical) identifier is a GS1 Digital Link, which this node's resolver answers.
fn is_digital_link(identifier: &str) -> bool {
    identifier.starts_with(&format!("https://{}/", junkan_gs1::CANONICAL_HOST))
}

fn elsewhere(web: &Web, passport: &Passport, profile: &CompiledProfile, public_page: Option<&str>) -> Markup {
    let indicators: Vec<&String> = profile.profile.indicators.keys().collect();
    html! {
        section aria-labelledby="elsewhere-heading" {
            h2 #elsewhere-heading { (web.t(ELSEWHERE)) }
            ul {
                @if let Some(public_page) = public_page {
                    li { a href=(public_page) { (web.t(PUBLIC_PAGE)) } }
                }
                li { a href={ "/api/v1/passports/" (passport.id) } type="application/json" { (web.t(API)) } }
                li { a href={ "/app/lineage?" (lineage_query(&passport.identifier)) } { (web.t(TRACE)) } }
                li { a href={ "/app/flows?" (lineage_query(&passport.identifier)) } { (web.t(FLOWS)) } }
                @for name in indicators {
                    li {
                        a href={ "/app/indicators?" (indicator_query(name, &passport.id.to_string())) } {
                            (web.t(INDICATOR)) ": " (indicator_title(web.language, name))
                        }
                    }
                }
            }
        }
    }
}

/// The dashboard query of a product indicator of a passport.
fn indicator_query(indicator: &str, passport_id: &str) -> String {
    serde_urlencoded::to_string([("indicator", indicator), ("scope", &format!("product:{passport_id}"))])
        .expect("pairs of strings always encode")
}

/// An indicator's title in `language`, or its name when it is not known.
pub fn indicator_title(language: Language, name: &str) -> String {
    junkan_indicators::indicator(name).map_or_else(
        || name.to_owned(),
        |info| language.pick((info.title_ja, info.title_en)).to_owned(),
    )
}
