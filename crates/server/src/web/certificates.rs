//! Conformity certificates (適合性証明) in the web application: the certificates section of the
//! passport pages (the workspace's and the public resolver page: scheme, claim, certifier,
//! validity and the verification status of each), and `/app/certificates`, where a certification
//! body (認証機関) issues certificates (problems next to their fields) and revokes them, and
//! every organization sees the certificates about its records.

use axum::extract::{Form, Path, State};
use axum::response::Response;
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use junkan_model::certificate::{
    Certificate, CertificateFilter, CertificateRevocation, CertificateScheme, CertifiedClaim, ClaimType,
    NewCertificate, SubjectKind, CUSTODY_MODELS,
};
use junkan_model::ids::CertificateId;
use junkan_model::organization::CycleRole;
use junkan_model::page::PageRequest;
use junkan_model::principal::Actor;
use junkan_model::Violation;
use junkan_store::StoreError;

use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{options, Organizations};
use super::see_other;
use crate::certificates::{check_certificate, CertificateCheck};
use crate::AppState;

const TITLE: Text = ("適合性証明", "Conformity certificates");
const SECTION: Text = ("適合性証明（第三者認証）", "Conformity certificates (third-party)");
const NONE_FOR_PASSPORT: Text = (
    "このパスポートに発行された適合性証明はありません。",
    "No conformity certificate has been issued for this passport.",
);
const SCHEME: Text = ("認証制度", "Scheme");
const CLAIM: Text = ("証明内容", "Certified claim");
const CERTIFIER: Text = ("認証機関", "Certification body");
const VALIDITY: Text = ("有効期間", "Validity");
const STATUS: Text = ("検証状況", "Verification");
const REFERENCE: Text = ("認証番号", "Reference number");
const SUBJECT: Text = ("対象", "Subject");
const SUBJECT_OWNER: Text = ("対象の所有者", "Owner of the subject");
const FOR_VERSION: Text = ("版", "version");
const CREDENTIAL: Text = ("資格情報（vc+jwt）", "Credential (vc+jwt)");
const ISSUED: Text = ("発行した適合性証明", "Certificates we issued");
const ABOUT_US: Text = ("自組織の記録に対する適合性証明", "Certificates about our records");
const NONE: Text = ("ありません。", "None.");
const ISSUE: Text = ("適合性証明を発行する", "Issue a conformity certificate");
const ISSUE_BUTTON: Text = ("署名して発行", "Sign and issue");
const NOT_CERTIFIER: Text = (
    "適合性証明を発行できるのは認証機関の役割を持つ組織だけです。",
    "Only organizations with the certifier role (認証機関) issue conformity certificates.",
);
const REVOKE: Text = ("取り消す", "Revoke");
const REASON: Text = ("取消の理由", "Reason for revocation");
const REVOKED_ON: Text = ("取消日", "Revoked on");
const SAVED: Text = ("発行しました。", "Issued.");
const REVOKED_NOTICE: Text = ("取り消しました。", "Revoked.");
const PROBLEMS: Text = ("入力内容に問題があります。", "Please correct the problems below.");
const KIND: Text = ("対象の種類", "Kind of record");
const RECORD_ID: Text = ("対象のID", "Record id");
const VERSION: Text = ("パスポートの版（省略時は最新）", "Passport version (default: newest)");
const VALID_FROM: Text = ("有効期間の開始日", "Valid from");
const VALID_UNTIL: Text = ("有効期間の終了日", "Valid until");
const EVIDENCE: Text = ("根拠（審査・確認した書類）", "Evidence (audits, documents examined)");
const RECYCLED_FIELDS: Text = ("再生材含有率の証明内容", "Recycled-content claim");
const ECO_FIELDS: Text = ("環境配慮設計の証明内容", "Eco-design claim");
const CFP_FIELDS: Text = ("CFP検証の証明内容", "CFP verification claim");
const COC_FIELDS: Text = ("CoC認証の証明内容", "Chain-of-custody claim");
const FIELDS_NOTE: Text = (
    "選んだ認証制度の証明内容の欄だけが使われます。",
    "Only the claim fields of the chosen scheme are used.",
);
const MATERIAL: Text = ("素材", "Material");
const RECYCLED_SHARE: Text = ("再生材含有率（%）", "Recycled share (%)");
const PRE_CONSUMER: Text = ("うちプレコンシューマ（%）", "Of which pre-consumer (%)");
const POST_CONSUMER: Text = ("うちポストコンシューマ（%）", "Of which post-consumer (%)");
const METHOD: Text = ("算定方法（任意）", "Method (optional)");
const CATEGORY: Text = ("製品区分", "Product category");
const CRITERIA: Text = ("満たす基準（1行に1つ）", "Criteria met (one per line)");
const CFP_VALUE: Text = ("CFP（kgCO2e）", "CFP (kgCO2e)");
const DECLARED_UNIT: Text = ("宣言単位", "Declared unit");
const STANDARD: Text = ("準拠規格", "Standard");
const COC_MODEL: Text = ("CoCモデル（ISO 22095）", "Chain-of-custody model (ISO 22095)");

/// A certificate as the pages show it: names resolved, verification done.
#[derive(Debug, Clone)]
pub struct CertificateRow {
    /// The certificate.
    pub certificate: Certificate,
    /// What verifying its credential found.
    pub check: CertificateCheck,
    /// The certification body's name.
    pub certifier: String,
    /// The subject owner's name.
    pub subject_owner: String,
    /// The scheme's label (or its code when unknown).
    pub scheme: String,
}

/// Resolves names and verifies each certificate.
pub async fn rows(state: &AppState, language: Language, certificates: Vec<Certificate>) -> Vec<CertificateRow> {
    let store = state.store.as_ref();
    let schemes = store.list_certificate_schemes().await.unwrap_or_default();
    let mut organizations = Organizations::default();
    let mut rows = Vec::with_capacity(certificates.len());
    for certificate in certificates {
        let certifier = organizations
            .name(store, language, certificate.certifier_organization_id)
            .await;
        let subject_owner = organizations
            .name(store, language, certificate.subject_owner_organization_id)
            .await;
        let scheme = schemes
            .iter()
            .find(|scheme| scheme.code == certificate.scheme)
            .map_or_else(
                || certificate.scheme.clone(),
                |scheme| scheme.label(language.tag()).to_owned(),
            );
        let check = check_certificate(state, &certificate).await;
        rows.push(CertificateRow {
            certificate,
            check,
            certifier,
            subject_owner,
            scheme,
        });
    }
    rows
}

/// The certificates of a passport that `actor` may read, ready to show.
pub async fn passport_rows(
    state: &AppState,
    actor: &Actor,
    language: Language,
    passport_id: &str,
) -> Result<Vec<CertificateRow>, StoreError> {
    let filter = CertificateFilter {
        subject: Some((SubjectKind::Passport, passport_id.to_owned())),
        ..CertificateFilter::default()
    };
    let certificates = state
        .store
        .list_certificates(actor, &filter, &PageRequest::first(100))
        .await?
        .items;
    Ok(rows(state, language, certificates).await)
}

/// A custody model's name.
fn custody_model(language: Language, model: &str) -> String {
    let label = match model {
        "identity_preserved" => ("識別保持", "identity preserved"),
        "segregated" => ("分別", "segregated"),
        "controlled_blending" => ("管理された混合", "controlled blending"),
        "mass_balance_rolling_average" => ("マスバランス（平均比率法）", "mass balance (rolling average)"),
        "mass_balance_credit" => ("マスバランス（クレジット法）", "mass balance (credit method)"),
        "book_and_claim" => ("ブック・アンド・クレーム", "book and claim"),
        other => return other.to_owned(),
    };
    language.pick(label).to_owned()
}

/// The certified claim as a sentence.
pub fn claim_text(language: Language, claim: &CertifiedClaim) -> String {
    match (claim, language) {
        (
            CertifiedClaim::RecycledContent {
                material,
                recycled_share_pct,
                pre_consumer_pct,
                post_consumer_pct,
                ..
            },
            Language::Ja,
        ) => format!(
            "{material} の再生材含有率 {} %（プレコンシューマ {} %、ポストコンシューマ {} %）",
            i18n::decimal(recycled_share_pct),
            i18n::decimal(pre_consumer_pct),
            i18n::decimal(post_consumer_pct)
        ),
        (
            CertifiedClaim::RecycledContent {
                material,
                recycled_share_pct,
                pre_consumer_pct,
                post_consumer_pct,
                ..
            },
            Language::En,
        ) => format!(
            "Recycled content of {material}: {} % (pre-consumer {} %, post-consumer {} %)",
            i18n::decimal(recycled_share_pct),
            i18n::decimal(pre_consumer_pct),
            i18n::decimal(post_consumer_pct)
        ),
        (
            CertifiedClaim::EcoDesign {
                product_category,
                criteria,
            },
            Language::Ja,
        ) => format!("環境配慮設計（{product_category}）: {}", criteria.join("、")),
        (
            CertifiedClaim::EcoDesign {
                product_category,
                criteria,
            },
            Language::En,
        ) => format!("Eco-design ({product_category}): {}", criteria.join(", ")),
        (
            CertifiedClaim::Cfp {
                value,
                unit,
                declared_unit,
                standard,
            },
            Language::Ja,
        ) => format!(
            "CFP {} {unit} / {declared_unit}（{standard} に基づき検証）",
            i18n::decimal(value)
        ),
        (
            CertifiedClaim::Cfp {
                value,
                unit,
                declared_unit,
                standard,
            },
            Language::En,
        ) => format!(
            "CFP {} {unit} per {declared_unit} (verified under {standard})",
            i18n::decimal(value)
        ),
        (CertifiedClaim::ChainOfCustody { model, material }, Language::Ja) => {
            format!("{material} のCoCモデル: {}", custody_model(language, model))
        }
        (CertifiedClaim::ChainOfCustody { model, material }, Language::En) => {
            format!("Chain of custody of {material}: {}", custody_model(language, model))
        }
    }
}

/// The verification status as a badge with its reason.
pub fn check_badge(language: Language, check: &CertificateCheck) -> Markup {
    let (label, class, reason): (Text, &str, Option<&str>) = match check {
        CertificateCheck::Valid => (("署名有効", "Signature valid"), "badge", None),
        CertificateCheck::Revoked => (("取消済み", "Revoked"), "badge bad", None),
        CertificateCheck::Expired => (("期限切れ", "Expired"), "badge neutral", None),
        CertificateCheck::NotYetValid => (("有効期間前", "Not yet valid"), "badge neutral", None),
        CertificateCheck::KeyRetired => (("退役した鍵による署名", "Signed with a retired key"), "badge bad", None),
        CertificateCheck::Invalid(reason) => (("検証失敗", "Does not verify"), "badge bad", Some(reason)),
        CertificateCheck::NotVerified(reason) => (("未検証", "Not verified"), "badge neutral", Some(reason)),
    };
    html! {
        span class=(class) { (language.pick(label)) }
        @if let Some(reason) = reason { " " span.muted { (reason) } }
    }
}

fn validity(language: Language, certificate: &Certificate) -> String {
    format!(
        "{} – {}",
        i18n::date(language, certificate.valid_from.date()),
        i18n::date(language, certificate.valid_until.date())
    )
}

fn subject_href(certificate: &Certificate) -> Option<String> {
    match certificate.subject.kind {
        SubjectKind::Passport => Some(match certificate.subject.version {
            Some(version) => format!("/app/passports/{}?version={version}", certificate.subject.id),
            None => format!("/app/passports/{}", certificate.subject.id),
        }),
        SubjectKind::Footprint => Some(format!("/api/v1/footprints/{}", certificate.subject.id)),
        SubjectKind::Facility => Some(format!("/api/v1/facilities/{}", certificate.subject.id)),
    }
}

fn subject_kind_label(kind: SubjectKind) -> Text {
    match kind {
        SubjectKind::Passport => ("パスポート", "Passport"),
        SubjectKind::Footprint => ("CFP", "Footprint"),
        SubjectKind::Facility => ("事業所", "Facility"),
    }
}

/// The public page's line on the passport version's own signature.
pub fn signature_section(language: Language, check: &CertificateCheck) -> Markup {
    html! {
        section aria-labelledby="signature-heading" {
            h2 #signature-heading { (language.pick(SIGNATURE_HEADING)) }
            p { (language.pick(SIGNATURE_TEXT)) " " (check_badge(language, check)) }
        }
    }
}

const SIGNATURE_HEADING: Text = ("電子署名", "Digital signature");
const SIGNATURE_TEXT: Text = (
    "この版のデータは所有者の鍵で署名されています（W3C 検証可能なクレデンシャル）。検証結果:",
    "This version's data is signed with its owner's key (a W3C verifiable credential). Verification:",
);

/// The certificates section of a passport page (workspace and public page alike).
pub fn passport_section(language: Language, rows: &[CertificateRow]) -> Markup {
    html! {
        section aria-labelledby="certificates-heading" {
            h2 #certificates-heading { (language.pick(SECTION)) }
            @if rows.is_empty() {
                p { (language.pick(NONE_FOR_PASSPORT)) }
            } @else {
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (language.pick(SCHEME)) }
                            th scope="col" { (language.pick(CLAIM)) }
                            th scope="col" { (language.pick(CERTIFIER)) }
                            th scope="col" { (language.pick(VALIDITY)) }
                            th scope="col" { (language.pick(STATUS)) }
                        } }
                        tbody {
                            @for row in rows {
                                tr {
                                    td data-label=(language.pick(SCHEME)) {
                                        (row.scheme)
                                        br;
                                        span.muted { (language.pick(REFERENCE)) ": " (row.certificate.reference_number) }
                                        @if let Some(version) = row.certificate.subject.version {
                                            br;
                                            span.muted { (language.pick(FOR_VERSION)) " " (version) }
                                        }
                                    }
                                    td data-label=(language.pick(CLAIM)) { (claim_text(language, &row.certificate.claim)) }
                                    td data-label=(language.pick(CERTIFIER)) { (row.certifier) }
                                    td data-label=(language.pick(VALIDITY)) { (validity(language, &row.certificate)) }
                                    td data-label=(language.pick(STATUS)) {
                                        (check_badge(language, &row.check))
                                        br;
                                        a href={ "/api/v1/certificates/" (row.certificate.id) "/credential" } type="application/vc+jwt" {
                                            (language.pick(CREDENTIAL))
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

/// A table of certificates on `/app/certificates`; with `revoke`, a revoke form per certificate
/// still in force.
fn certificates_table(web: &Web, rows: &[CertificateRow], revoke: bool) -> Markup {
    let language = web.language;
    html! {
        @if rows.is_empty() {
            p { (web.t(NONE)) }
        } @else {
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(SUBJECT)) }
                        th scope="col" { (web.t(SCHEME)) }
                        th scope="col" { (web.t(CLAIM)) }
                        th scope="col" { (web.t(CERTIFIER)) }
                        th scope="col" { (web.t(VALIDITY)) }
                        th scope="col" { (web.t(STATUS)) }
                    } }
                    tbody {
                        @for row in rows {
                            @let certificate = &row.certificate;
                            tr {
                                td data-label=(web.t(SUBJECT)) {
                                    (web.t(subject_kind_label(certificate.subject.kind))) " "
                                    @if let Some(href) = subject_href(certificate) {
                                        a href=(href) { code { (certificate.subject.id) } }
                                    }
                                    br;
                                    span.muted { (web.t(SUBJECT_OWNER)) ": " (row.subject_owner) }
                                }
                                td data-label=(web.t(SCHEME)) {
                                    (row.scheme) br;
                                    span.muted { (web.t(REFERENCE)) ": " (certificate.reference_number) }
                                }
                                td data-label=(web.t(CLAIM)) { (claim_text(language, &certificate.claim)) }
                                td data-label=(web.t(CERTIFIER)) { (row.certifier) }
                                td data-label=(web.t(VALIDITY)) { (validity(language, certificate)) }
                                td data-label=(web.t(STATUS)) {
                                    (check_badge(language, &row.check))
                                    @if let (Some(at), Some(reason)) = (certificate.revoked_at, &certificate.revocation_reason) {
                                        br;
                                        span.muted { (web.t(REVOKED_ON)) ": " (i18n::date(language, at.date())) " — " (reason) }
                                    }
                                    br;
                                    a href={ "/api/v1/certificates/" (certificate.id) "/credential" } type="application/vc+jwt" { (web.t(CREDENTIAL)) }
                                    @if revoke && certificate.revoked_at.is_none() {
                                        form.inline method="post" action={ "/app/certificates/" (certificate.id) "/revoke" } {
                                            input type="hidden" name="csrf" value=(web.form_token);
                                            label for={ "reason-" (certificate.id) } { (web.t(REASON)) }
                                            input id={ "reason-" (certificate.id) } type="text" name="reason" required maxlength="500";
                                            button type="submit" { (web.t(REVOKE)) }
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

fn pairs_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, value)| key == name && !value.trim().is_empty())
        .map(|(_, value)| value.trim())
}

/// The form field a violation's pointer names: `/claim/material` → `claim_material`; the
/// claim's type is chosen with the scheme.
fn field_of(path: &str) -> String {
    let field = path.trim_start_matches('/').replace('/', "_");
    match field.as_str() {
        "claim_type" => "scheme".to_owned(),
        _ => field,
    }
}

fn problems_of<'a>(violations: &'a [Violation], field: &str) -> Vec<&'a str> {
    violations
        .iter()
        .filter(|violation| {
            let named = field_of(&violation.path);
            named == field || named.starts_with(&format!("{field}_"))
        })
        .map(|violation| violation.message.as_str())
        .collect()
}

/// One labelled input with its problems next to it.
fn field(
    web: &Web,
    name: &str,
    label: Text,
    kind: &str,
    values: &[(String, String)],
    violations: &[Violation],
) -> Markup {
    let id = format!("field-{name}");
    let problems: Vec<String> = problems_of(violations, name)
        .into_iter()
        .map(|message| super::i18n::problem_message(web.language, message))
        .collect();
    html! {
        div.field {
            label for=(id) { (web.t(label)) }
            input id=(id) type=(kind) name=(name) value=[pairs_value(values, name)] step=[(kind == "number").then_some("any")]
                aria-invalid=[(!problems.is_empty()).then_some("true")]
                aria-describedby=[(!problems.is_empty()).then(|| format!("{id}-problem"))];
            @if !problems.is_empty() {
                p.error id={ (id) "-problem" } { (problems.join(" / ")) }
            }
        }
    }
}

fn select_field(
    web: &Web,
    name: &str,
    label: Text,
    choices: &[(String, String)],
    values: &[(String, String)],
    violations: &[Violation],
) -> Markup {
    let id = format!("field-{name}");
    let problems: Vec<String> = problems_of(violations, name)
        .into_iter()
        .map(|message| super::i18n::problem_message(web.language, message))
        .collect();
    html! {
        div.field {
            label for=(id) { (web.t(label)) }
            select id=(id) name=(name) aria-invalid=[(!problems.is_empty()).then_some("true")]
                aria-describedby=[(!problems.is_empty()).then(|| format!("{id}-problem"))] {
                (options(choices.iter().map(|(value, label)| (value.as_str(), label.as_str())), pairs_value(values, name)))
            }
            @if !problems.is_empty() {
                p.error id={ (id) "-problem" } { (problems.join(" / ")) }
            }
        }
    }
}

fn issue_form(
    web: &Web,
    schemes: &[CertificateScheme],
    values: &[(String, String)],
    violations: &[Violation],
) -> Markup {
    let language = web.language;
    let scheme_choices: Vec<(String, String)> = schemes
        .iter()
        .map(|scheme| (scheme.code.clone(), scheme.label(language.tag()).to_owned()))
        .collect();
    let kind_choices: Vec<(String, String)> = SubjectKind::ALL
        .iter()
        .map(|kind| (kind.as_str().to_owned(), web.t(subject_kind_label(*kind)).to_owned()))
        .collect();
    let model_choices: Vec<(String, String)> = CUSTODY_MODELS
        .iter()
        .map(|model| ((*model).to_owned(), custody_model(language, model)))
        .collect();
    let unplaced: Vec<&Violation> = violations
        .iter()
        .filter(|violation| violation.path.is_empty())
        .collect();
    html! {
        section aria-labelledby="issue-heading" {
            h2 #issue-heading { (web.t(ISSUE)) }
            @if !violations.is_empty() {
                div.error role="alert" {
                    p { (web.t(PROBLEMS)) }
                    @for violation in &unplaced { p { (super::i18n::problem_message(web.language, &violation.message)) } }
                }
            }
            form method="post" action="/app/certificates" {
                input type="hidden" name="csrf" value=(web.form_token);
                (select_field(web, "scheme", SCHEME, &scheme_choices, values, violations))
                (select_field(web, "subject_kind", KIND, &kind_choices, values, violations))
                (field(web, "subject_id", RECORD_ID, "text", values, violations))
                (field(web, "subject_version", VERSION, "number", values, violations))
                (field(web, "valid_from", VALID_FROM, "date", values, violations))
                (field(web, "valid_until", VALID_UNTIL, "date", values, violations))
                (field(web, "reference_number", REFERENCE, "text", values, violations))
                @let evidence_problems = problems_of(violations, "evidence");
                div.field {
                    label for="field-evidence" { (web.t(EVIDENCE)) }
                    textarea #field-evidence name="evidence" rows="3" maxlength="4000" { (pairs_value(values, "evidence").unwrap_or_default()) }
                    @if !evidence_problems.is_empty() { p.error #field-evidence-problem { (evidence_problems.join(" / ")) } }
                }
                p.muted { (web.t(FIELDS_NOTE)) }
                fieldset {
                    legend { (web.t(RECYCLED_FIELDS)) }
                    (field(web, "claim_material", MATERIAL, "text", values, violations))
                    (field(web, "claim_recycled_share_pct", RECYCLED_SHARE, "number", values, violations))
                    (field(web, "claim_pre_consumer_pct", PRE_CONSUMER, "number", values, violations))
                    (field(web, "claim_post_consumer_pct", POST_CONSUMER, "number", values, violations))
                    (field(web, "claim_method", METHOD, "text", values, violations))
                }
                fieldset {
                    legend { (web.t(ECO_FIELDS)) }
                    (field(web, "claim_product_category", CATEGORY, "text", values, violations))
                    @let criteria_problems = problems_of(violations, "claim_criteria");
                    div.field {
                        label for="field-claim_criteria" { (web.t(CRITERIA)) }
                        textarea #field-claim_criteria name="claim_criteria" rows="3" { (pairs_value(values, "claim_criteria").unwrap_or_default()) }
                        @if !criteria_problems.is_empty() { p.error #field-claim_criteria-problem { (criteria_problems.join(" / ")) } }
                    }
                }
                fieldset {
                    legend { (web.t(CFP_FIELDS)) }
                    (field(web, "claim_value", CFP_VALUE, "number", values, violations))
                    (field(web, "claim_declared_unit", DECLARED_UNIT, "text", values, violations))
                    (field(web, "claim_standard", STANDARD, "text", values, violations))
                }
                fieldset {
                    legend { (web.t(COC_FIELDS)) }
                    (select_field(web, "claim_model", COC_MODEL, &model_choices, values, violations))
                    p.muted { (web.t(MATERIAL)) ": " (web.t(("上の「素材」欄", "the Material field above"))) }
                }
                button type="submit" { (web.t(ISSUE_BUTTON)) }
            }
        }
    }
}

/// The request a form describes, or the problems of the fields that do not parse.
fn request_of(pairs: &[(String, String)], schemes: &[CertificateScheme]) -> Result<NewCertificate, Vec<Violation>> {
    let mut violations = Vec::new();
    let text = |name: &str| pairs_value(pairs, name).map(str::to_owned);
    let scheme_code = text("scheme").unwrap_or_default();
    let claim_type = schemes
        .iter()
        .find(|scheme| scheme.code == scheme_code)
        .map(|scheme| scheme.claim_type);
    // Dates are days in Japan: validity starts at 0:00 JST of the first day and ends at 0:00 JST
    // of the day after the last.
    let mut day = |name: &str, days_after: i64| -> Option<OffsetDateTime> {
        let Some(value) = text(name) else {
            violations.push(Violation::new(format!("/{name}"), "enter a date"));
            return None;
        };
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(&value, format) {
            Ok(date) => {
                Some(date.midnight().assume_offset(time::macros::offset!(+9)) + time::Duration::days(days_after))
            }
            Err(_) => {
                violations.push(Violation::new(format!("/{name}"), "enter a date as YYYY-MM-DD"));
                None
            }
        }
    };
    let valid_from = day("valid_from", 0);
    let valid_until = day("valid_until", 1);
    let mut claim = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        claim.insert(key.to_owned(), value.map_or(Value::Null, Value::String));
    };
    match claim_type {
        Some(ClaimType::RecycledContent) => {
            put("material", text("claim_material"));
            put("recycled_share_pct", text("claim_recycled_share_pct"));
            put("pre_consumer_pct", text("claim_pre_consumer_pct"));
            put("post_consumer_pct", text("claim_post_consumer_pct"));
            if let Some(method) = text("claim_method") {
                put("method", Some(method));
            }
        }
        Some(ClaimType::EcoDesign) => {
            put("product_category", text("claim_product_category"));
            let criteria: Vec<Value> = text("claim_criteria")
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(|line| Value::String(line.to_owned()))
                .collect();
            claim.insert("criteria".to_owned(), Value::Array(criteria));
        }
        Some(ClaimType::Cfp) => {
            put("value", text("claim_value"));
            put("unit", Some("kgCO2e".to_owned()));
            put("declared_unit", text("claim_declared_unit"));
            put("standard", text("claim_standard"));
        }
        Some(ClaimType::ChainOfCustody) => {
            put("model", text("claim_model"));
            put("material", text("claim_material"));
        }
        None => violations.push(Violation::new("/scheme", "choose a certification scheme")),
    }
    // Required claim values left empty are named before the request is read.
    for (key, value) in &claim {
        if value.is_null() {
            violations.push(Violation::new(format!("/claim/{key}"), "required"));
        }
    }
    let version = match text("subject_version") {
        None => None,
        Some(value) => match value.parse::<i64>() {
            Ok(version) => Some(version),
            Err(_) => {
                violations.push(Violation::new("/subject/version", "enter a whole number"));
                None
            }
        },
    };
    for (name, path) in [("subject_id", "/subject/id"), ("reference_number", "/reference_number")] {
        if text(name).is_none() {
            violations.push(Violation::new(path, "required"));
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    if let Some(claim_type) = claim_type {
        claim.insert("type".to_owned(), Value::String(claim_type.as_str().to_owned()));
    }
    let (Some(valid_from), Some(valid_until)) = (valid_from, valid_until) else {
        return Err(violations);
    };
    let format = time::format_description::well_known::Rfc3339;
    let request = json!({
        "scheme": scheme_code,
        "subject": {"kind": text("subject_kind").unwrap_or_default(), "id": text("subject_id"), "version": version},
        "claim": claim,
        "valid_from": valid_from.format(&format).unwrap_or_default(),
        "valid_until": valid_until.format(&format).unwrap_or_default(),
        "reference_number": text("reference_number"),
        "evidence": text("evidence"),
    });
    serde_json::from_value(request).map_err(|error| vec![Violation::new("", error.to_string())])
}

fn is_certifier(web: &Web) -> bool {
    web.signed_in
        .as_ref()
        .is_some_and(|signed_in| signed_in.organization.roles.contains(&CycleRole::Certifier))
}

/// The page: issue form (certification bodies), the certificates issued, those about our records.
async fn certificates_page(
    state: &AppState,
    web: &Web,
    values: &[(String, String)],
    violations: &[Violation],
) -> Result<Markup, super::WebError> {
    let signed_in = web.require_sign_in()?;
    let store = state.store.as_ref();
    let organization = signed_in.organization.id;
    let certifier = is_certifier(web);
    let schemes = store.list_certificate_schemes().await.or_page(web)?;
    let issued = if certifier {
        let filter = CertificateFilter {
            certifier: Some(organization),
            ..CertificateFilter::default()
        };
        let items = store
            .list_certificates(&signed_in.actor, &filter, &PageRequest::first(100))
            .await
            .or_page(web)?
            .items;
        rows(state, web.language, items).await
    } else {
        Vec::new()
    };
    let about_us = {
        let filter = CertificateFilter {
            subject_owner: Some(organization),
            ..CertificateFilter::default()
        };
        let items = store
            .list_certificates(&signed_in.actor, &filter, &PageRequest::first(100))
            .await
            .or_page(web)?
            .items;
        rows(state, web.language, items).await
    };
    let saved = web.here.contains("issued=1");
    let revoked = web.here.contains("revoked=1");
    Ok(html! {
        h1 { (web.t(TITLE)) }
        @if saved { p.notice role="status" { (web.t(SAVED)) } }
        @if revoked { p.notice role="status" { (web.t(REVOKED_NOTICE)) } }
        @if certifier {
            (issue_form(web, &schemes, values, violations))
            section aria-labelledby="issued-heading" {
                h2 #issued-heading { (web.t(ISSUED)) }
                (certificates_table(web, &issued, true))
            }
        } @else {
            p.muted { (web.t(NOT_CERTIFIER)) }
        }
        section aria-labelledby="about-heading" {
            h2 #about-heading { (web.t(ABOUT_US)) }
            (certificates_table(web, &about_us, false))
        }
    })
}

/// `GET /app/certificates`.
pub async fn get_certificates(State(state): State<AppState>, web: Web) -> WebResult {
    let body = certificates_page(&state, &web, &[], &[]).await?;
    Ok(web.page(web.t(TITLE), Nav::Certificates, body))
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs_value(pairs, "csrf").unwrap_or_default()
}

/// `POST /app/certificates`: issues a certificate (checked by the store, signed, stored).
pub async fn post_certificate(
    State(state): State<AppState>,
    web: Web,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let store = state.store.as_ref();
    let schemes = store.list_certificate_schemes().await.or_page(&web)?;
    let prepared = match request_of(&pairs, &schemes) {
        Ok(request) => store.prepare_certificate(&signed_in.actor, request).await,
        Err(violations) => Err(StoreError::Invalid(violations)),
    };
    let draft = match prepared {
        Ok(draft) => draft,
        Err(StoreError::Invalid(violations)) => {
            let body = certificates_page(&state, &web, &pairs, &violations).await?;
            return Ok(web.page_unprocessable(web.t(TITLE), Nav::Certificates, body));
        }
        Err(error) => return Err(web.fail(Problem::from_store(error))),
    };
    let signed = crate::certificates::sign(&state, &signed_in.actor, &draft)
        .await
        .map_err(|_| web.fail(Problem::Unavailable))?;
    let certificate = store
        .create_certificate(&signed_in.actor, draft, signed)
        .await
        .or_page(&web)?;
    crate::handlers::certificates::certificate_written(&state, &certificate);
    Ok(see_other("/app/certificates?issued=1"))
}

/// `POST /app/certificates/{id}/revoke`.
pub async fn post_revoke_certificate(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, super::WebError> {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let id: CertificateId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let revocation = CertificateRevocation {
        reason: pairs_value(&pairs, "reason").unwrap_or_default().to_owned(),
    };
    match crate::handlers::certificates::revoke(&state, &signed_in.actor, id, revocation).await {
        Ok(_) => Ok(see_other("/app/certificates?revoked=1")),
        Err(error) => Err(web.fail(match error.status().as_u16() {
            404 => Problem::NotFound,
            403 => Problem::Forbidden,
            409 => Problem::Conflict,
            400 | 422 => Problem::BadRequest,
            _ => Problem::Unavailable,
        })),
    }
}
