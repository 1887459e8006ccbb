//! Circular Partners pages (サーキュラーパートナーズ, `/app/partners`): a member's own page
//! (application, settings, its targets), the target form in the member type's format (new and
//! edit, every problem next to its field), a target's page (versions, follow-ups with their
//! flags, measured progress, the follow-up form), the CSV import, the secretariat's page
//! (statistics with charts, overdue list, applications to review, targets by category, export)
//! and the public member pages. Every read and write is the API's store call with the user's
//! actor; nothing here decides who may see what.

use axum::extract::{Multipart, Path, RawQuery, State};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use rust_decimal::Decimal;

use junkan_model::ids::{MembershipId, OrganizationId, PartnerTargetId};
use junkan_model::Violation;
use junkan_partners::import::{read_targets, target_from_fields, Row, COLUMNS};
use junkan_partners::membership::{Decision, Membership, MembershipSettings, MembershipStatus, NewApplication, Review};
use junkan_partners::progress::OverdueKind;
use junkan_partners::targets::{FollowUp, FollowUpSubmission, PartnerTarget, TargetSubmission};
use junkan_partners::{
    iso_date, AchievementBand, FollowUpFilter, Label, MemberType, MembershipFilter, ProgressStatus, SubmissionFormat,
    TargetCategory, TargetFilter, WorkingGroup,
};
use junkan_store::Store;

use super::chart;
use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::ListQuery;
use super::see_other;
use crate::handlers::partners::{measured_progress, secretariat_view, today, Overview};
use crate::AppState;

const TITLE: Text = ("サーキュラーパートナーズ", "Circular Partners");
const LEAD: Text = (
    "サーキュラーパートナーズ（CPs）の会員は、入会から1年以内に定量的な目標を設定・公表し、進捗を定期的に報告（フォローアップ）します。",
    "Members of the Circular Partners (CPs) set and publish quantitative targets within a year of joining and report their progress regularly (follow-ups).",
);
const APPLY: Text = ("入会を申請する", "Apply for membership");
const NOTE: Text = ("申請理由・取組予定", "Why you join, what you plan");
const GROUPS: Text = ("参加するワーキンググループ", "Working groups");
const PUBLISH: Text = (
    "目標と進捗をこのノードで公開する",
    "Publish our targets and progress on this node",
);
const INTERVAL: Text = (
    "フォローアップの間隔（月、地方公共団体のみ）",
    "Follow-up interval in months (municipalities only)",
);
const SEND: Text = ("送信", "Send");
const SAVE: Text = ("保存", "Save");
const STATUS: Text = ("状態", "Status");
const JOINED: Text = ("入会日", "Joined");
const MEMBER_TYPE: Text = ("会員種別", "Member type");
const FORMAT: Text = ("提出様式", "Submission format");
const TARGETS: Text = ("目標", "Targets");
const NEW_TARGET: Text = ("目標を提出する", "Submit a target");
const EDIT_TARGET: Text = (
    "目標を修正する（新しい版として再提出）",
    "Edit the target (re-submitted as a new version)",
);
const IMPORT: Text = ("CSVで一括取込", "Import from CSV");
const IMPORT_HINT: Text = (
    "1行に1目標。列: categories（;区切り）, content, indicator, scope, baseline_year, baseline_value, target_value, unit, target_year, publication_url, project_title, start_date, end_date, end_date_planned, linked_indicator, linked_output, linked_scope。問題のある行があれば行番号とともに報告し、何も取り込みません。",
    "One target per row. Columns: categories (separated by ;), content, indicator, scope, baseline_year, baseline_value, target_value, unit, target_year, publication_url, project_title, start_date, end_date, end_date_planned, linked_indicator, linked_output, linked_scope. Rows with problems are reported by line and nothing is imported.",
);
const FILE: Text = ("ファイル", "File");
const CATEGORIES: Text = ("分類（複数選択可）", "Categories (choose one or more)");
const CONTENT: Text = ("目標内容", "Target content");
const INDICATOR: Text = ("指標", "Indicator");
const SCOPE: Text = ("対象範囲", "Scope");
const BASELINE_YEAR: Text = ("基準年", "Baseline year");
const BASELINE_VALUE: Text = ("基準値", "Baseline value");
const TARGET_VALUE: Text = ("目標値", "Target value");
const UNIT: Text = ("単位", "Unit");
const TARGET_YEAR: Text = ("目標年（期限）", "Target year (deadline)");
const PUBLICATION: Text = ("掲載先URL", "Publication link");
const PROJECT_TITLE: Text = ("プロジェクト名", "Project title");
const DESCRIPTION: Text = ("概要（任意）", "Description (optional)");
const START: Text = ("開始日", "Start date");
const END: Text = ("終了日（予定）", "End date (or planned end)");
const PLANNED: Text = ("終了日は予定", "The end date is planned");
const LINKED: Text = (
    "プラットフォームの指標との紐付け（任意）",
    "Link to a platform indicator (optional)",
);
const LINKED_HINT: Text = (
    "例: municipal-recycling-rate / recycling_rate_pct / region:401005。紐付けると、プラットフォームが算定する値が申告値の横に表示されます。",
    "E.g. municipal-recycling-rate / recycling_rate_pct / region:401005. A linked target shows the value the platform computes next to the declared one.",
);
const STRUCTURED: Text = ("定量目標（構造化）", "The target in structured form");
const VERSION: Text = ("版", "Version");
const VERSIONS: Text = ("版の履歴", "Versions");
const SUBMITTED: Text = ("提出日時", "Submitted");
const FOLLOW_UPS: Text = ("フォローアップ", "Follow-ups");
const NEW_FOLLOW_UP: Text = ("フォローアップを報告する", "Report a follow-up");
const FISCAL_YEAR: Text = ("対象年度", "Fiscal year");
const BAND: Text = ("達成度", "Achievement band");
const PROGRESS: Text = ("進捗状況", "Progress status");
const CURRENT_VALUE: Text = ("現状値（未達成の場合）", "Current value (when not yet met)");
const CURRENT_YEAR: Text = ("現状値の年", "Year of the current value");
const REMARKS: Text = ("備考", "Remarks");
const RESULTS: Text = ("成果概要（400字以内）", "Summary of results (at most 400 characters)");
const AGAINST: Text = ("目標比", "Against target");
const FLAGS: Text = ("要確認", "To check");
const MEASURED: Text = ("計測された進捗", "Measured progress");
const COMPUTED: Text = ("プラットフォームの算定値", "Computed by the platform");
const DECLARED: Text = ("申告値", "Declared");
const SUGGESTED: Text = ("算定値による達成度", "Band of the computed value");
const NOT_COMPUTED: Text = ("算定できません", "Not computed");
const PROVENANCE: Text = ("算定の根拠", "How it was computed");
const NONE: Text = ("ありません。", "None.");
const NOT_MEMBER: Text = (
    "貴組織はまだ会員ではありません。",
    "Your organization is not a member yet.",
);
const SECRETARIAT: Text = ("事務局", "Secretariat");
const SECRETARIAT_LINK: Text = ("事務局の画面へ", "To the secretariat's page");
const STATISTICS: Text = ("会員数", "Members");
const BY_TYPE: Text = ("会員種別ごと", "By member type");
const BY_SIZE: Text = ("企業規模ごと", "Companies by size class");
const BY_PREFECTURE: Text = ("都道府県ごと", "By prefecture");
const COUNT: Text = ("数", "Count");
const OVERDUE: Text = ("提出遅延", "Overdue");
const DUE: Text = ("期限", "Due");
const DAYS: Text = ("超過日数", "Days overdue");
const APPLICATIONS: Text = ("審査待ちの申請", "Applications to review");
const APPROVE: Text = ("承認", "Approve");
const REJECT: Text = ("不承認", "Reject");
const REASON: Text = ("理由（不承認の場合は必須）", "Reason (required to reject)");
const BY_CATEGORY: Text = ("分類ごとの目標", "Targets by category");
const EXPORT: Text = ("目標の書き出し", "Export targets");
const MEMBER: Text = ("会員", "Member");
const PUBLIC_PAGE: Text = ("公開ページ", "Public page");
const MEMBERS: Text = ("公開している会員", "Members that publish");
const PROBLEMS: Text = ("入力内容に問題があります。", "Please correct the problems below.");
const SAVED: Text = ("保存しました。", "Saved.");
const AS_OF: Text = ("基準日", "As of");
const FLAGGED: Text = ("要確認のフォローアップ", "Follow-ups to check");

fn label(web: &Web, label: Label) -> &'static str {
    match web.language {
        Language::Ja => label.0,
        Language::En => label.1,
    }
}

fn member_types(web: &Web, kind: MemberType) -> &'static str {
    label(web, kind.label())
}

/// The problems of `field` among `violations` (a path whose segments name it).
fn problems_of<'a>(violations: &'a [Violation], field: &str) -> Vec<&'a str> {
    violations
        .iter()
        .filter(|violation| violation.path.split('/').any(|segment| segment == field))
        .map(|violation| violation.message.as_str())
        .collect()
}

fn field_problems_in(language: Language, violations: &[Violation], field: &str, id: &str) -> Markup {
    let problems: Vec<String> = problems_of(violations, field)
        .into_iter()
        .map(|message| super::i18n::problem_message(language, message))
        .collect();
    html! {
        @if !problems.is_empty() {
            p.error #(format!("{id}-problem")) { (problems.join(" / ")) }
        }
    }
}

fn problem_summary(web: &Web, violations: &[Violation]) -> Markup {
    html! {
        @if !violations.is_empty() {
            div.error role="alert" {
                p { (web.t(PROBLEMS)) }
                ul { @for violation in violations { li { code { (violation.path) } " " (super::i18n::problem_message(web.language, &violation.message)) } } }
            }
        }
    }
}

/// The open membership of the signed-in user's organization, if any.
async fn own_membership(store: &dyn Store, web: &Web) -> Result<Option<Membership>, super::WebError> {
    let signed_in = web.require_sign_in()?;
    let memberships = store
        .list_memberships(
            &signed_in.actor,
            &MembershipFilter {
                organization: Some(signed_in.organization.id),
                ..MembershipFilter::default()
            },
        )
        .await
        .or_page(web)?;
    Ok(memberships
        .into_iter()
        .rev()
        .find(|membership| membership.status.is_open()))
}

/// `GET /app/partners`: the organization's membership, its targets, and the forms.
pub async fn get_partners(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    let store = state.store.as_ref();
    let membership = own_membership(store, &web).await?;
    let secretariat = store.partner_secretariat().await.or_page(&web)?;
    let overseer = signed_in.user.roles.contains(&junkan_model::principal::Role::Auditor)
        || secretariat.is_some_and(|secretariat| secretariat.organization_id == signed_in.organization.id);
    let targets = match &membership {
        Some(membership) => store
            .list_partner_targets(
                &signed_in.actor,
                &TargetFilter {
                    organization: Some(membership.organization_id),
                    ..TargetFilter::default()
                },
            )
            .await
            .or_page(&web)?,
        None => Vec::new(),
    };
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        @if query.get("saved").is_some() { p.notice role="status" { (web.t(SAVED)) } }
        @if overseer { p { a href="/app/partners/secretariat" { (web.t(SECRETARIAT_LINK)) } } }
        @match &membership {
            None => {
                p { (web.t(NOT_MEMBER)) }
                (application_form(&web))
            }
            Some(membership) => {
                (membership_summary(&web, membership))
                (settings_form(&web, membership))
                @if membership.status == MembershipStatus::Approved {
                    section aria-labelledby="targets-heading" {
                        h2 #targets-heading { (web.t(TARGETS)) }
                        (targets_table(&web, &targets))
                        p {
                            a.button href="/app/partners/targets/new" { (web.t(NEW_TARGET)) }
                            " "
                            a href={ "/app/partners/members/" (membership.organization_id) } { (web.t(PUBLIC_PAGE)) }
                        }
                    }
                    (import_form(&web, &[]))
                }
            }
        }
    };
    Ok(web.page(web.t(TITLE), Nav::Partners, body))
}

fn membership_summary(web: &Web, membership: &Membership) -> Markup {
    html! {
        dl.facts {
            dt { (web.t(STATUS)) } dd { span.badge { (label(web, membership.status.label())) } }
            dt { (web.t(MEMBER_TYPE)) } dd { (member_types(web, membership.member_type)) }
            dt { (web.t(FORMAT)) } dd { (label(web, membership.format.label())) }
            @if let Some(joined) = membership.joined_on { dt { (web.t(JOINED)) } dd { (i18n::date(web.language, joined)) } }
            dt { (web.t(GROUPS)) } dd { (membership.working_groups.iter().map(|group| label(web, group.label())).collect::<Vec<_>>().join(web.t(("、", ", ")))) }
        }
    }
}

fn group_checkboxes(web: &Web, chosen: &[WorkingGroup]) -> Markup {
    html! {
        fieldset {
            legend { (web.t(GROUPS)) }
            @for group in WorkingGroup::ALL {
                div.check {
                    input type="checkbox" id={ "group-" (group.as_str()) } name="working_group" value=(group.as_str()) checked[chosen.contains(&group)];
                    label for={ "group-" (group.as_str()) } { (label(web, group.label())) }
                }
            }
        }
    }
}

fn application_form(web: &Web) -> Markup {
    html! {
        section aria-labelledby="apply-heading" {
            h2 #apply-heading { (web.t(APPLY)) }
            form method="post" action="/app/partners/apply" {
                input type="hidden" name="csrf" value=(web.form_token);
                div.field { label for="note" { (web.t(NOTE)) } textarea #note name="note" rows="3" maxlength="1000" {} }
                (group_checkboxes(web, &[]))
                div.check { input #publish type="checkbox" name="publish" value="true"; label for="publish" { (web.t(PUBLISH)) } }
                div.field { label for="interval" { (web.t(INTERVAL)) } input #interval type="number" name="follow_up_interval_months" min="1" max="60"; }
                button type="submit" { (web.t(SEND)) }
            }
        }
    }
}

fn settings_form(web: &Web, membership: &Membership) -> Markup {
    html! {
        form method="post" action={ "/app/partners/memberships/" (membership.id) "/settings" } aria-label=(web.t(SAVE)) {
            input type="hidden" name="csrf" value=(web.form_token);
            (group_checkboxes(web, &membership.working_groups))
            div.check { input #publish type="checkbox" name="publish" value="true" checked[membership.publish]; label for="publish" { (web.t(PUBLISH)) } }
            @if membership.format == SubmissionFormat::Municipality {
                div.field { label for="interval" { (web.t(INTERVAL)) } input #interval type="number" name="follow_up_interval_months" min="1" max="60" value=[membership.follow_up_interval_months]; }
            }
            button type="submit" { (web.t(SAVE)) }
        }
    }
}

fn pairs_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, value)| key == name && !value.trim().is_empty())
        .map(|(_, value)| value.trim())
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs_value(pairs, "csrf").unwrap_or_default()
}

fn groups_of(pairs: &[(String, String)]) -> Vec<WorkingGroup> {
    pairs
        .iter()
        .filter(|(key, _)| key == "working_group")
        .filter_map(|(_, value)| WorkingGroup::parse(value))
        .collect()
}

fn interval_of(pairs: &[(String, String)]) -> Option<u32> {
    pairs_value(pairs, "follow_up_interval_months").and_then(|text| text.parse().ok())
}

/// The page of a form refused by the store, with every problem.
fn refused(web: &Web, title: Text, back: &str, violations: &[Violation]) -> Response {
    let body = html! {
        h1 { (web.t(title)) }
        (problem_summary(web, violations))
        p { a href=(back) { (web.t(("戻る", "Back"))) } }
    };
    web.page(web.t(title), Nav::Partners, body)
}

/// `POST /app/partners/apply`.
pub async fn post_apply(
    State(state): State<AppState>,
    web: Web,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let application = NewApplication {
        note: pairs_value(&pairs, "note").map(str::to_owned),
        working_groups: groups_of(&pairs),
        publish: pairs_value(&pairs, "publish").is_some(),
        follow_up_interval_months: interval_of(&pairs),
    };
    match state.store.apply_for_membership(&signed_in.actor, application).await {
        Ok(_) => Ok(see_other("/app/partners?saved=1")),
        Err(junkan_store::StoreError::Invalid(violations)) => Ok(refused(&web, APPLY, "/app/partners", &violations)),
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

/// `POST /app/partners/memberships/{id}/settings`.
pub async fn post_settings(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let id: MembershipId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let settings = MembershipSettings {
        working_groups: Some(groups_of(&pairs)),
        publish: Some(pairs_value(&pairs, "publish").is_some()),
        follow_up_interval_months: interval_of(&pairs),
    };
    match state.store.update_membership(&signed_in.actor, id, settings).await {
        Ok(_) => Ok(see_other("/app/partners?saved=1")),
        Err(junkan_store::StoreError::Invalid(violations)) => Ok(refused(&web, SAVE, "/app/partners", &violations)),
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

fn targets_table(web: &Web, targets: &[PartnerTarget]) -> Markup {
    html! {
        @if targets.is_empty() { p { (web.t(NONE)) } } @else {
            div.table-wrap { table.responsive {
                thead { tr {
                    th scope="col" { (web.t(TARGETS)) }
                    th scope="col" { (web.t(CATEGORIES)) }
                    th scope="col" { (web.t(TARGET_YEAR)) }
                    th scope="col" { (web.t(VERSION)) }
                } }
                tbody { @for target in targets { tr {
                    td data-label=(web.t(TARGETS)) { a href={ "/app/partners/targets/" (target.id) } { (target_title(target)) } }
                    td data-label=(web.t(CATEGORIES)) { (categories_text(web, target)) }
                    td data-label=(web.t(TARGET_YEAR)) { (target_deadline(web, target)) }
                    td data-label=(web.t(VERSION)) { (target.version) }
                } } }
            } }
        }
    }
}

fn target_title(target: &PartnerTarget) -> String {
    let submission = &target.submission;
    submission
        .project
        .as_ref()
        .map(|project| project.title.clone())
        .or_else(|| submission.content.clone())
        .unwrap_or_default()
}

fn categories_text(web: &Web, target: &PartnerTarget) -> String {
    if target.submission.project.is_some() {
        return web.t(("プロジェクト", "Project")).to_owned();
    }
    target
        .submission
        .categories
        .iter()
        .map(|category| label(web, category.label()))
        .collect::<Vec<_>>()
        .join(web.t(("、", ", ")))
}

fn target_deadline(web: &Web, target: &PartnerTarget) -> String {
    match (&target.submission.quantitative, &target.submission.project) {
        (Some(quantitative), _) => quantitative.target_year.to_string(),
        (None, Some(project)) => i18n::date(web.language, project.end_date),
        _ => String::new(),
    }
}

/// The form's values: a stored submission, or what was sent.
fn form_values(submission: Option<&TargetSubmission>) -> Vec<(String, String)> {
    let Some(submission) = submission else {
        return Vec::new();
    };
    let mut values: Vec<(String, String)> = submission
        .categories
        .iter()
        .map(|category| ("categories".to_owned(), category.as_str().to_owned()))
        .collect();
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            values.push((name.to_owned(), value));
        }
    };
    push("content", submission.content.clone());
    push("publication_url", submission.publication_url.clone());
    if let Some(quantitative) = &submission.quantitative {
        push("indicator", Some(quantitative.indicator.clone()));
        push("scope", Some(quantitative.scope.clone()));
        push("baseline_year", Some(quantitative.baseline_year.to_string()));
        push("baseline_value", Some(quantitative.baseline_value.to_string()));
        push("target_value", Some(quantitative.target_value.to_string()));
        push("unit", Some(quantitative.unit.clone()));
        push("target_year", Some(quantitative.target_year.to_string()));
    }
    if let Some(project) = &submission.project {
        push("project_title", Some(project.title.clone()));
        push("start_date", Some(iso_date::format(project.start_date)));
        push("end_date", Some(iso_date::format(project.end_date)));
        push("end_date_planned", project.end_date_planned.then(|| "true".to_owned()));
    }
    if let Some(link) = &submission.linked_indicator {
        push("linked_indicator", Some(link.indicator.clone()));
        push("linked_output", Some(link.output.clone()));
        push("linked_scope", Some(link.scope.clone()));
    }
    values
}

fn text_field(
    web: &Web,
    name: &str,
    text: Text,
    values: &[(String, String)],
    violations: &[Violation],
    kind: &str,
) -> Markup {
    let id = format!("field-{name}");
    let problems = !problems_of(violations, name).is_empty();
    html! {
        div.field {
            label for=(id) { (web.t(text)) }
            input id=(id) type=(kind) name=(name) value=[pairs_value(values, name)] aria-invalid=[problems.then_some("true")] aria-describedby=[problems.then(|| format!("{id}-problem"))];
            (field_problems_in(web.language, violations, name, &id))
        }
    }
}

fn target_form(
    web: &Web,
    format: SubmissionFormat,
    action: &str,
    values: &[(String, String)],
    violations: &[Violation],
) -> Markup {
    let chosen: Vec<&str> = values
        .iter()
        .filter(|(key, _)| key == "categories")
        .map(|(_, value)| value.as_str())
        .collect();
    html! {
        (problem_summary(web, violations))
        p { (label(web, format.label())) }
        form.target-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(web.form_token);
            @if format == SubmissionFormat::Projects {
                (text_field(web, "project_title", PROJECT_TITLE, values, violations, "text"))
                (text_field(web, "start_date", START, values, violations, "date"))
                (text_field(web, "end_date", END, values, violations, "date"))
                div.check { input #field-end_date_planned type="checkbox" name="end_date_planned" value="true" checked[pairs_value(values, "end_date_planned").is_some()]; label for="field-end_date_planned" { (web.t(PLANNED)) } }
                div.field {
                    label for="field-content" { (web.t(DESCRIPTION)) }
                    textarea #field-content name="content" rows="3" maxlength="1000" { (pairs_value(values, "content").unwrap_or_default()) }
                    (field_problems_in(web.language, violations, "content", "field-content"))
                }
            } @else {
                fieldset {
                    legend { (web.t(CATEGORIES)) }
                    @for category in format.categories() {
                        div.check {
                            input type="checkbox" id={ "category-" (category.as_str()) } name="categories" value=(category.as_str()) checked[chosen.contains(&category.as_str())];
                            label for={ "category-" (category.as_str()) } { (label(web, category.label())) }
                        }
                    }
                    (field_problems_in(web.language, violations, "categories", "field-categories"))
                }
                div.field {
                    label for="field-content" { (web.t(CONTENT)) }
                    textarea #field-content name="content" rows="3" maxlength="1000" { (pairs_value(values, "content").unwrap_or_default()) }
                    (field_problems_in(web.language, violations, "content", "field-content"))
                }
                fieldset {
                    legend { (web.t(STRUCTURED)) }
                    (text_field(web, "indicator", INDICATOR, values, violations, "text"))
                    (text_field(web, "scope", SCOPE, values, violations, "text"))
                    (text_field(web, "baseline_year", BASELINE_YEAR, values, violations, "number"))
                    (text_field(web, "baseline_value", BASELINE_VALUE, values, violations, "text"))
                    (text_field(web, "target_value", TARGET_VALUE, values, violations, "text"))
                    (text_field(web, "unit", UNIT, values, violations, "text"))
                    (text_field(web, "target_year", TARGET_YEAR, values, violations, "number"))
                }
                fieldset {
                    legend { (web.t(LINKED)) }
                    p.hint { (web.t(LINKED_HINT)) }
                    (text_field(web, "linked_indicator", INDICATOR, values, violations, "text"))
                    (text_field(web, "linked_output", ("出力", "Output"), values, violations, "text"))
                    (text_field(web, "linked_scope", SCOPE, values, violations, "text"))
                }
            }
            (text_field(web, "publication_url", PUBLICATION, values, violations, "url"))
            button type="submit" { (web.t(SEND)) }
        }
    }
}

async fn approved_membership(store: &dyn Store, web: &Web) -> Result<Membership, super::WebError> {
    own_membership(store, web)
        .await?
        .filter(|membership| membership.status == MembershipStatus::Approved)
        .ok_or_else(|| web.fail(Problem::Forbidden))
}

/// `GET /app/partners/targets/new`.
pub async fn get_new_target(State(state): State<AppState>, web: Web) -> WebResult {
    let membership = approved_membership(state.store.as_ref(), &web).await?;
    let body = html! {
        h1 { (web.t(NEW_TARGET)) }
        (target_form(&web, membership.format, "/app/partners/targets/new", &[], &[]))
    };
    Ok(web.page(web.t(NEW_TARGET), Nav::Partners, body))
}

fn submission_of(
    pairs: &[(String, String)],
    format: SubmissionFormat,
    store: &dyn Store,
) -> Result<TargetSubmission, Vec<Violation>> {
    let categories = pairs
        .iter()
        .filter(|(key, _)| key == "categories")
        .map(|(_, value)| value.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let mut cells: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(key, _)| key != "categories" && COLUMNS.contains(&key.as_str()))
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    cells.push(("categories", categories.as_str()));
    target_from_fields(&Row::new(cells), format, today(store))
}

/// `POST /app/partners/targets/new`.
pub async fn post_new_target(
    State(state): State<AppState>,
    web: Web,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let store = state.store.as_ref();
    let membership = approved_membership(store, &web).await?;
    let result = match submission_of(&pairs, membership.format, store) {
        Ok(submission) => store.submit_partner_target(&signed_in.actor, submission).await,
        Err(violations) => Err(junkan_store::StoreError::Invalid(violations)),
    };
    match result {
        Ok(target) => Ok(see_other(&format!("/app/partners/targets/{}?saved=1", target.id))),
        Err(junkan_store::StoreError::Invalid(violations)) => {
            let body = html! {
                h1 { (web.t(NEW_TARGET)) }
                (target_form(&web, membership.format, "/app/partners/targets/new", &pairs, &violations))
            };
            Ok(web.page_unprocessable(web.t(NEW_TARGET), Nav::Partners, body))
        }
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

fn parse_target_id(web: &Web, id: &str) -> Result<PartnerTargetId, super::WebError> {
    id.parse().map_err(|_| web.fail(Problem::NotFound))
}

/// `GET /app/partners/targets/{id}/edit`.
pub async fn get_edit_target(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let id = parse_target_id(&web, &id)?;
    let target = state
        .store
        .get_partner_target(&signed_in.actor, id, None)
        .await
        .or_page(&web)?;
    if target.organization_id != signed_in.organization.id {
        return Err(web.fail(Problem::Forbidden));
    }
    let body = html! {
        h1 { (web.t(EDIT_TARGET)) }
        (target_form(&web, target.format, &format!("/app/partners/targets/{id}/edit"), &form_values(Some(&target.submission)), &[]))
    };
    Ok(web.page(web.t(EDIT_TARGET), Nav::Partners, body))
}

/// `POST /app/partners/targets/{id}/edit`: the next version.
pub async fn post_edit_target(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let id = parse_target_id(&web, &id)?;
    let store = state.store.as_ref();
    let target = store
        .get_partner_target(&signed_in.actor, id, None)
        .await
        .or_page(&web)?;
    let result = match submission_of(&pairs, target.format, store) {
        Ok(submission) => store.edit_partner_target(&signed_in.actor, id, submission).await,
        Err(violations) => Err(junkan_store::StoreError::Invalid(violations)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/app/partners/targets/{id}?saved=1"))),
        Err(junkan_store::StoreError::Invalid(violations)) => {
            let body = html! {
                h1 { (web.t(EDIT_TARGET)) }
                (target_form(&web, target.format, &format!("/app/partners/targets/{id}/edit"), &pairs, &violations))
            };
            Ok(web.page_unprocessable(web.t(EDIT_TARGET), Nav::Partners, body))
        }
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

fn target_facts(web: &Web, target: &PartnerTarget) -> Markup {
    let submission = &target.submission;
    html! {
        dl.facts {
            dt { (web.t(CATEGORIES)) } dd { (categories_text(web, target)) }
            @if let Some(content) = &submission.content { dt { (web.t(CONTENT)) } dd { (content) } }
            @if let Some(quantitative) = &submission.quantitative {
                dt { (web.t(INDICATOR)) } dd { (quantitative.indicator) }
                dt { (web.t(SCOPE)) } dd { (quantitative.scope) }
                dt { (web.t(BASELINE_VALUE)) } dd { (i18n::decimal(&quantitative.baseline_value)) " " (quantitative.unit) " (" (quantitative.baseline_year) ")" }
                dt { (web.t(TARGET_VALUE)) } dd { (i18n::decimal(&quantitative.target_value)) " " (quantitative.unit) " (" (quantitative.target_year) ")" }
            }
            @if let Some(project) = &submission.project {
                dt { (web.t(PROJECT_TITLE)) } dd { (project.title) }
                dt { (web.t(START)) } dd { (i18n::date(web.language, project.start_date)) }
                dt { (web.t(END)) } dd { (i18n::date(web.language, project.end_date)) @if project.end_date_planned { " " (web.t(("（予定）", "(planned)"))) } }
            }
            @if let Some(url) = &submission.publication_url { dt { (web.t(PUBLICATION)) } dd { a href=(url) rel="noopener" { (url) } } }
            dt { (web.t(VERSION)) } dd { (target.version) }
            dt { (web.t(SUBMITTED)) } dd { (i18n::date_time(web.language, target.submitted_at)) }
        }
    }
}

fn follow_ups_table(web: &Web, follow_ups: &[FollowUp]) -> Markup {
    html! {
        @if follow_ups.is_empty() { p { (web.t(NONE)) } } @else {
            div.table-wrap { table.responsive {
                thead { tr {
                    th scope="col" { (web.t(FISCAL_YEAR)) }
                    th scope="col" { (web.t(BAND)) }
                    th scope="col" { (web.t(PROGRESS)) }
                    th scope="col" { (web.t(CURRENT_VALUE)) }
                    th scope="col" { (web.t(AGAINST)) }
                    th scope="col" { (web.t(RESULTS)) }
                    th scope="col" { (web.t(FLAGS)) }
                } }
                tbody { @for follow_up in follow_ups { tr {
                    td data-label=(web.t(FISCAL_YEAR)) { (i18n::fiscal_year(web.language, i64::from(follow_up.submission.fiscal_year))) }
                    td data-label=(web.t(BAND)) { @if let Some(band) = follow_up.submission.achievement_band { (band.display()) } }
                    td data-label=(web.t(PROGRESS)) { @if let Some(status) = follow_up.submission.progress_status { (label(web, status.label())) } }
                    td data-label=(web.t(CURRENT_VALUE)) { @if let Some(value) = &follow_up.submission.current_value { (i18n::decimal(value)) @if let Some(year) = follow_up.submission.current_year { " (" (year) ")" } } }
                    td data-label=(web.t(AGAINST)) { @if let Some(share) = &follow_up.share_achieved { (i18n::decimal(share)) " %" } }
                    td data-label=(web.t(RESULTS)) { @if let Some(summary) = &follow_up.submission.results_summary { (summary) } }
                    td data-label=(web.t(FLAGS)) { @for flag in &follow_up.flags { p.flag { (flag.message) } } }
                } } }
            } }
        }
    }
}

fn follow_up_form(web: &Web, target: &PartnerTarget, values: &[(String, String)], violations: &[Violation]) -> Markup {
    let action = format!("/app/partners/targets/{}/follow-ups", target.id);
    html! {
        section aria-labelledby="follow-up-heading" {
            h2 #follow-up-heading { (web.t(NEW_FOLLOW_UP)) }
            (problem_summary(web, violations))
            form method="post" action=(action) novalidate {
                input type="hidden" name="csrf" value=(web.form_token);
                (text_field(web, "fiscal_year", FISCAL_YEAR, values, violations, "number"))
                @if target.submission.quantitative.is_some() {
                    div.field {
                        label for="field-achievement_band" { (web.t(BAND)) }
                        select #field-achievement_band name="achievement_band" {
                            option value="" { "—" }
                            @for band in AchievementBand::ALL { option value=(band.as_str()) selected[pairs_value(values, "achievement_band") == Some(band.as_str())] { (band.display()) } }
                        }
                        (field_problems_in(web.language, violations, "achievement_band", "field-achievement_band"))
                    }
                    div.field {
                        label for="field-progress_status" { (web.t(PROGRESS)) }
                        select #field-progress_status name="progress_status" {
                            option value="" { "—" }
                            @for status in ProgressStatus::ALL { option value=(status.as_str()) selected[pairs_value(values, "progress_status") == Some(status.as_str())] { (label(web, status.label())) } }
                        }
                        (field_problems_in(web.language, violations, "progress_status", "field-progress_status"))
                    }
                    (text_field(web, "current_value", CURRENT_VALUE, values, violations, "text"))
                    (text_field(web, "current_year", CURRENT_YEAR, values, violations, "number"))
                    div.field { label for="field-note" { (web.t(REMARKS)) } textarea #field-note name="note" rows="2" maxlength="1000" { (pairs_value(values, "note").unwrap_or_default()) } (field_problems_in(web.language, violations, "note", "field-note")) }
                } @else {
                    div.field { label for="field-results_summary" { (web.t(RESULTS)) } textarea #field-results_summary name="results_summary" rows="4" maxlength="400" { (pairs_value(values, "results_summary").unwrap_or_default()) } (field_problems_in(web.language, violations, "results_summary", "field-results_summary")) }
                }
                (text_field(web, "publication_url", PUBLICATION, values, violations, "url"))
                button type="submit" { (web.t(SEND)) }
            }
        }
    }
}

/// `GET /app/partners/targets/{id}`: the target, its versions, follow-ups and measured
/// progress; for its members the follow-up form.
pub async fn get_target_page(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    let id = parse_target_id(&web, &id)?;
    render_target_page(&state, &web, id, raw.as_deref(), &[], &[]).await
}

async fn render_target_page(
    state: &AppState,
    web: &Web,
    id: PartnerTargetId,
    raw: Option<&str>,
    values: &[(String, String)],
    violations: &[Violation],
) -> WebResult {
    let store = state.store.as_ref();
    let actor = web.actor();
    let target = store.get_partner_target(actor, id, None).await.or_page(web)?;
    let versions = store.list_partner_target_versions(actor, id).await.or_page(web)?;
    let follow_ups = store
        .list_follow_ups(
            actor,
            &FollowUpFilter {
                target: Some(id),
                ..FollowUpFilter::default()
            },
        )
        .await
        .or_page(web)?;
    let measured = measured_progress(store, actor, &target, &follow_ups)
        .await
        .or_page(web)?;
    let owner = store.get_organization(target.organization_id).await.or_page(web)?;
    let mine = web
        .signed_in
        .as_ref()
        .is_some_and(|signed_in| signed_in.organization.id == target.organization_id);
    let query = ListQuery::parse(raw);
    let title = target_title(&target);
    let body = html! {
        h1 { (title) }
        p { a href={ "/app/partners/members/" (owner.id) } { (super::layout::organization_name(web.language, &owner)) } }
        @if query.get("saved").is_some() { p.notice role="status" { (web.t(SAVED)) } }
        (target_facts(web, &target))
        @if mine { p { a.button href={ "/app/partners/targets/" (id) "/edit" } { (web.t(EDIT_TARGET)) } } }
        @if let Some(measured) = &measured {
            section aria-labelledby="measured-heading" {
                h2 #measured-heading { (web.t(MEASURED)) }
                dl.facts {
                    dt { (web.t(COMPUTED)) " (" (i18n::fiscal_year(web.language, i64::from(measured.fiscal_year))) ")" }
                    dd { @match &measured.computed_value { Some(value) => { (i18n::decimal(value)) } None => { (web.t(NOT_COMPUTED)) @if let Some(reason) = &measured.not_computed_reason { ": " (reason) } } } }
                    dt { (web.t(SUGGESTED)) } dd { @if let Some(band) = measured.suggested_band { (band.display()) } @if let Some(share) = &measured.computed_share { " (" (i18n::decimal(share)) " %)" } }
                    dt { (web.t(DECLARED)) } dd { @if let Some(value) = &measured.declared_value { (i18n::decimal(value)) } @if let Some(band) = measured.declared_band { " — " (band.display()) } }
                    dt { (web.t(PROVENANCE)) } dd { a href=(measured.computation_href) { (measured.computation_href) } }
                }
            }
        }
        section aria-labelledby="follow-ups-heading" {
            h2 #follow-ups-heading { (web.t(FOLLOW_UPS)) }
            (follow_ups_table(web, &follow_ups))
        }
        @if mine { (follow_up_form(web, &target, values, violations)) }
        section aria-labelledby="versions-heading" {
            h2 #versions-heading { (web.t(VERSIONS)) }
            ol { @for version in &versions { li { (web.t(VERSION)) " " (version.version) " — " (i18n::date_time(web.language, version.submitted_at)) " — " (target_title(version)) } } }
        }
    };
    if violations.is_empty() {
        Ok(web.page(&title, Nav::Partners, body))
    } else {
        Ok(web.page_unprocessable(&title, Nav::Partners, body))
    }
}

/// The follow-up of a form, or the problems of the fields that do not parse.
fn follow_up_of(pairs: &[(String, String)]) -> Result<FollowUpSubmission, Vec<Violation>> {
    let mut violations = Vec::new();
    let mut number = |name: &str| -> Option<i32> {
        let text = pairs_value(pairs, name)?;
        text.parse()
            .map_err(|_| {
                violations.push(Violation::new(
                    format!("/{name}"),
                    format!("must be a year, got {text:?}"),
                ))
            })
            .ok()
    };
    let fiscal_year = number("fiscal_year");
    let current_year = number("current_year");
    if fiscal_year.is_none() && pairs_value(pairs, "fiscal_year").is_none() {
        violations.push(Violation::new("/fiscal_year", "the fiscal year is required"));
    }
    let current_value = pairs_value(pairs, "current_value").and_then(|text| {
        text.replace(',', "")
            .parse::<Decimal>()
            .map_err(|_| {
                violations.push(Violation::new(
                    "/current_value",
                    format!("must be a number, got {text:?}"),
                ))
            })
            .ok()
    });
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(FollowUpSubmission {
        fiscal_year: fiscal_year.unwrap_or_default(),
        achievement_band: pairs_value(pairs, "achievement_band").and_then(AchievementBand::parse),
        progress_status: pairs_value(pairs, "progress_status").and_then(ProgressStatus::parse),
        current_value,
        current_year,
        note: pairs_value(pairs, "note").map(str::to_owned),
        results_summary: pairs_value(pairs, "results_summary").map(str::to_owned),
        publication_url: pairs_value(pairs, "publication_url").map(str::to_owned),
    })
}

/// `POST /app/partners/targets/{id}/follow-ups`.
pub async fn post_follow_up(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let id = parse_target_id(&web, &id)?;
    let result = match follow_up_of(&pairs) {
        Ok(submission) => state.store.submit_follow_up(&signed_in.actor, id, submission).await,
        Err(violations) => Err(junkan_store::StoreError::Invalid(violations)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/app/partners/targets/{id}?saved=1"))),
        Err(junkan_store::StoreError::Invalid(violations)) => {
            render_target_page(&state, &web, id, None, &pairs, &violations).await
        }
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

fn import_form(web: &Web, violations: &[Violation]) -> Markup {
    html! {
        section aria-labelledby="import-heading" {
            h2 #import-heading { (web.t(IMPORT)) }
            (problem_summary(web, violations))
            form method="post" action="/app/partners/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(web.form_token);
                div.field {
                    label for="targets-file" { (web.t(FILE)) }
                    input #targets-file type="file" name="file" accept=".csv,text/csv" required aria-describedby="targets-hint";
                    p.hint #targets-hint { (web.t(IMPORT_HINT)) }
                }
                button type="submit" { (web.t(SEND)) }
            }
        }
    }
}

/// `POST /app/partners/import`: a CSV file of targets, all or nothing.
pub async fn post_import(State(state): State<AppState>, web: Web, multipart: Multipart) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let upload = super::upload::read_upload(&web, multipart).await?;
    web.check_form(&upload.csrf)?;
    let store = state.store.as_ref();
    let membership = approved_membership(store, &web).await?;
    let text = String::from_utf8(upload.file).map_err(|_| vec![Violation::new("/rows", "the file is not UTF-8 text")]);
    let result = match text.and_then(|text| read_targets(&text, membership.format, today(store))) {
        Ok(submissions) => store.import_partner_targets(&signed_in.actor, submissions).await,
        Err(violations) => Err(junkan_store::StoreError::Invalid(violations)),
    };
    match result {
        Ok(_) => Ok(see_other("/app/partners?saved=1")),
        Err(junkan_store::StoreError::Invalid(violations)) => {
            let body = html! { h1 { (web.t(IMPORT)) } (import_form(&web, &violations)) };
            Ok(web.page_unprocessable(web.t(IMPORT), Nav::Partners, body))
        }
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

fn counts_table(web: &Web, caption: Text, rows: &[(String, u64)]) -> Markup {
    html! {
        div.table-wrap { table {
            caption { (web.t(caption)) }
            thead { tr { th scope="col" { (web.t(caption)) } th scope="col" { (web.t(COUNT)) } } }
            tbody { @for (key, count) in rows { tr { th scope="row" { (key) } td { (count) } } } }
        } }
    }
}

/// `GET /app/partners/secretariat`: statistics, overdue list, applications, targets by
/// category and the export — over what the user may read (the secretariat: everything).
pub async fn get_secretariat(State(state): State<AppState>, web: Web) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let store = state.store.as_ref();
    let overview = Overview::read(store, &signed_in.actor).await.or_page(&web)?;
    let view = secretariat_view(&overview, today(store));
    let statistics = &view.statistics;
    let by_type: Vec<(String, u64)> = statistics
        .by_type
        .iter()
        .map(|count| {
            let name = MemberType::parse(&count.key).map_or(count.key.as_str(), |kind| member_types(&web, kind));
            (name.to_owned(), count.count)
        })
        .collect();
    let by_size: Vec<(String, u64)> = statistics
        .by_size
        .iter()
        .map(|count| {
            let name = match count.key.as_str() {
                "large" => web.t(("大企業", "Large")),
                "sme" => web.t(("中小企業", "SME")),
                _ => web.t(("小規模事業者", "Small")),
            };
            (name.to_owned(), count.count)
        })
        .collect();
    let by_prefecture: Vec<(String, u64)> = statistics
        .by_prefecture
        .iter()
        .map(|count| {
            let name = junkan_model::japan::prefecture(&count.key)
                .map(|prefecture| match web.language {
                    Language::Ja => prefecture.name_ja.to_string(),
                    Language::En => prefecture.name_en.to_string(),
                })
                .unwrap_or_else(|| count.key.clone());
            (name, count.count)
        })
        .collect();
    let by_category: Vec<(String, u64)> = view
        .targets_by_category
        .iter()
        .map(|count| {
            let name = TargetCategory::parse(&count.key).map_or_else(
                || web.t(("プロジェクト", "Projects")).to_owned(),
                |category| label(&web, category.label()).to_owned(),
            );
            (name, count.count)
        })
        .collect();
    let pending: Vec<&Membership> = overview
        .memberships
        .iter()
        .filter(|membership| membership.status == MembershipStatus::Applied)
        .collect();
    let body = html! {
        h1 { (web.t(SECRETARIAT)) " — " (web.t(TITLE)) }
        p { (web.t(AS_OF)) ": " (i18n::date(web.language, view.as_of)) }
        section aria-labelledby="statistics-heading" {
            h2 #statistics-heading { (web.t(STATISTICS)) ": " (statistics.members) }
            p { (web.t(APPLICATIONS)) ": " (statistics.applications) " / " (web.t(("退会", "Withdrawn"))) ": " (statistics.withdrawn) " / " (web.t(FLAGGED)) ": " (view.flagged_follow_ups) }
            (chart::bars(web.t(BY_TYPE), web.t(BY_TYPE), &by_type, "members-by-type"))
            (counts_table(&web, BY_TYPE, &by_type))
            (chart::bars(web.t(BY_SIZE), web.t(BY_SIZE), &by_size, "members-by-size"))
            (counts_table(&web, BY_SIZE, &by_size))
            (chart::bars(web.t(BY_PREFECTURE), web.t(BY_PREFECTURE), &by_prefecture, "members-by-prefecture"))
            (counts_table(&web, BY_PREFECTURE, &by_prefecture))
        }
        section aria-labelledby="overdue-heading" {
            h2 #overdue-heading { (web.t(OVERDUE)) " (" (view.overdue.len()) ")" }
            @if view.overdue.is_empty() { p { (web.t(NONE)) } } @else {
                div.table-wrap { table.responsive {
                    thead { tr { th scope="col" { (web.t(MEMBER)) } th scope="col" { (web.t(MEMBER_TYPE)) } th scope="col" { (web.t(("内容", "What"))) } th scope="col" { (web.t(DUE)) } th scope="col" { (web.t(DAYS)) } } }
                    tbody { @for item in &view.overdue { tr {
                        td data-label=(web.t(MEMBER)) { a href={ "/app/partners/members/" (item.organization_id) } { (match web.language { Language::Ja => &item.organization_name_ja, Language::En => &item.organization_name_en }) } }
                        td data-label=(web.t(MEMBER_TYPE)) { (member_types(&web, item.member_type)) }
                        td data-label=(web.t(("内容", "What"))) { (overdue_label(&web, item.kind)) }
                        td data-label=(web.t(DUE)) { (i18n::date(web.language, item.due)) }
                        td data-label=(web.t(DAYS)) { (item.days_overdue) }
                    } } }
                } }
            }
        }
        section aria-labelledby="applications-heading" {
            h2 #applications-heading { (web.t(APPLICATIONS)) }
            @if pending.is_empty() { p { (web.t(NONE)) } }
            @for membership in &pending {
                form.review method="post" action={ "/app/partners/memberships/" (membership.id) "/review" } aria-label=(membership.organization_name_ja) {
                    input type="hidden" name="csrf" value=(web.form_token);
                    p { strong { (match web.language { Language::Ja => &membership.organization_name_ja, Language::En => &membership.organization_name_en }) } " — " (member_types(&web, membership.member_type)) @if let Some(note) = &membership.note { " — " (note) } }
                    div.field { label for={ "reason-" (membership.id) } { (web.t(REASON)) } input id={ "reason-" (membership.id) } type="text" name="reason" maxlength="1000"; }
                    button type="submit" name="decision" value="approve" { (web.t(APPROVE)) }
                    " "
                    button type="submit" name="decision" value="reject" { (web.t(REJECT)) }
                }
            }
        }
        section aria-labelledby="categories-heading" {
            h2 #categories-heading { (web.t(BY_CATEGORY)) }
            (counts_table(&web, BY_CATEGORY, &by_category))
            h3 { (web.t(EXPORT)) }
            p {
                a href="/api/v1/partners/targets/export?format=csv" download { "CSV" }
                " · "
                a href="/api/v1/partners/targets/export?format=xlsx" download { "Excel (xlsx)" }
            }
        }
    };
    Ok(web.page(web.t(SECRETARIAT), Nav::Partners, body))
}

fn overdue_label(web: &Web, kind: OverdueKind) -> &'static str {
    label(web, kind.label())
}

/// `POST /app/partners/memberships/{id}/review`.
pub async fn post_review(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(csrf_of(&pairs))?;
    let id: MembershipId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let decision = match pairs_value(&pairs, "decision") {
        Some("approve") => Decision::Approve,
        Some("reject") => Decision::Reject,
        _ => return Err(web.fail(Problem::BadRequest)),
    };
    let review = Review {
        decision,
        reason: pairs_value(&pairs, "reason").map(str::to_owned),
        join_date: None,
    };
    match state.store.review_membership(&signed_in.actor, id, review).await {
        Ok(_) => Ok(see_other("/app/partners/secretariat")),
        Err(junkan_store::StoreError::Invalid(violations)) => {
            Ok(refused(&web, SECRETARIAT, "/app/partners/secretariat", &violations))
        }
        Err(error) => Err(web.fail(Problem::from_store(error))),
    }
}

/// `GET /app/partners/members`: the members that publish.
pub async fn get_members(State(state): State<AppState>, web: Web) -> WebResult {
    let members = state
        .store
        .list_memberships(
            web.actor(),
            &MembershipFilter {
                status: Some(MembershipStatus::Approved),
                ..MembershipFilter::default()
            },
        )
        .await
        .or_page(&web)?;
    let published: Vec<&Membership> = members.iter().filter(|membership| membership.publish).collect();
    let body = html! {
        h1 { (web.t(MEMBERS)) }
        p.lead { (web.t(LEAD)) }
        @if published.is_empty() { p { (web.t(NONE)) } } @else {
            ul { @for membership in &published { li {
                a href={ "/app/partners/members/" (membership.organization_id) } { (match web.language { Language::Ja => &membership.organization_name_ja, Language::En => &membership.organization_name_en }) }
                " — " (member_types(&web, membership.member_type))
            } } }
        }
    };
    Ok(web.page(web.t(MEMBERS), Nav::Partners, body))
}

/// `GET /app/partners/members/{organization}`: a member's public page (its published targets and
/// progress), or what the visitor may read of it.
pub async fn get_member_page(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let organization: OrganizationId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let store = state.store.as_ref();
    let actor = web.actor();
    let membership = store
        .list_memberships(
            actor,
            &MembershipFilter {
                organization: Some(organization),
                ..MembershipFilter::default()
            },
        )
        .await
        .or_page(&web)?
        .into_iter()
        .rev()
        .find(|membership| membership.status == MembershipStatus::Approved)
        .ok_or_else(|| web.fail(Problem::NotFound))?;
    let targets = store
        .list_partner_targets(
            actor,
            &TargetFilter {
                organization: Some(organization),
                ..TargetFilter::default()
            },
        )
        .await
        .or_page(&web)?;
    let follow_ups = store
        .list_follow_ups(
            actor,
            &FollowUpFilter {
                organization: Some(organization),
                ..FollowUpFilter::default()
            },
        )
        .await
        .or_page(&web)?;
    let name = match web.language {
        Language::Ja => membership.organization_name_ja.clone(),
        Language::En => membership.organization_name_en.clone(),
    };
    let body = html! {
        h1 { (name) }
        (membership_summary(&web, &membership))
        section aria-labelledby="member-targets-heading" {
            h2 #member-targets-heading { (web.t(TARGETS)) }
            @if targets.is_empty() { p { (web.t(NONE)) } }
            @for target in &targets {
                article.target {
                    h3 { a href={ "/app/partners/targets/" (target.id) } { (target_title(target)) } }
                    (target_facts(&web, target))
                    @let reports: Vec<FollowUp> = follow_ups.iter().filter(|follow_up| follow_up.target_id == target.id).cloned().collect();
                    h4 { (web.t(FOLLOW_UPS)) }
                    (follow_ups_table(&web, &reports))
                }
            }
        }
    };
    Ok(web.page(&name, Nav::Partners, body))
}
