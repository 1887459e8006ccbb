//! The indicators dashboard (循環性指標, `/app/indicators`): an indicator for a scope over
//! fiscal years, with its targets, a time-series chart drawn as SVG, and the provenance of every
//! number (formula, numerator and denominator, the records it came from with their sources, the
//! inputs that were missing, the stored values' sources, the targets' sources).
//!
//! The numbers come from the same computations as `GET /api/v1/indicators/{name}` and
//! `.../series` (`junkan_indicators::regional` over the records the user may read, the product
//! computation from a passport through its profile's template, and for organizations `cti` and
//! `company-mci` from the events at their facilities); the store decides what may be read and
//! audits it. Which other scopes an indicator is computed for comes from
//! `regional::supported_scopes`: a scope kind it does not list shows the stored values and
//! targets of the scope and says that the computation is not there yet, so a computation added
//! for a kind appears here through [`computed_for`].

use axum::extract::{RawQuery, State};
use maud::{html, Markup};
use rust_decimal::Decimal;
use serde_json::Value;

use junkan_indicators::records::{FiscalYears, IndicatorTarget, Scope, ScopeKind, FLOW_OUTPUTS};
use junkan_indicators::regional::{supported_scopes, ScopeComputation, Series};
use junkan_indicators::targets::Direction;
use junkan_indicators::IndicatorInfo;

use super::chart::{self, Chart, Line};
use super::context::{OrPage, Web, WebResult};
use super::i18n::{self, output_label, Language, Text};
use super::layout::Nav;
use super::list::{options, ListQuery};
use super::passport::indicator_title;
use crate::handlers::indicator_records::{product_indicator, scope_computation, stored_series, ProductComputation};
use crate::handlers::organization_indicators::{organization_indicator, ORGANIZATION_INDICATORS};
use crate::AppState;

const TITLE: Text = ("循環性指標", "Circularity indicators");
const LEAD: Text = (
    "国・地域・組織・製品の循環性指標を、目標と算定根拠（どのデータから、どう計算したか）とともに示します。",
    "National, regional, organization and product indicators with their targets and provenance: from which data and how each number was computed.",
);
const INDICATOR: Text = ("指標", "Indicator");
const SCOPE: Text = ("対象範囲", "Scope");
const SCOPE_HINT: Text = (
    "nation:JP（日本）、region:<地方公共団体コード>（例 region:401005 北九州市）、organization:<組織ID>（CTI・企業MCI）、product:<パスポートIDまたは識別子>",
    "nation:JP (Japan), region:<local-government code> (e.g. region:401005 Kitakyushu), organization:<organization id> (CTI, company MCI), product:<passport id or identifier>",
);
const FROM: Text = ("開始年度", "From fiscal year");
const TO: Text = ("終了年度", "To fiscal year");
const SHOW: Text = ("表示", "Show");
const OUTPUTS: Text = ("表示する値", "Values");
const YEAR: Text = ("年度", "Fiscal year");
const COMPUTED: Text = ("算定値（物質フローから）", "Computed (from material flows)");
const STORED: Text = ("公表値・登録値", "Published or stored value");
const TARGET: Text = ("目標", "Target");
const GAP: Text = ("目標との差", "Gap to target");
const MET: Text = ("達成", "met");
const NOT_MET: Text = ("未達", "not met");
const PROVENANCE: Text = ("算定根拠", "Provenance");
const FORMULA: Text = ("計算式", "Formula");
const RATIO: Text = ("分子 / 分母", "Numerator / denominator");
const RECORDS: Text = ("使用した記録", "Records used");
const MISSING: Text = (
    "記録のない入力（0 とはみなしません）",
    "Inputs without a record (never taken as 0)",
);
const NOT_COMPUTABLE: Text = ("計算できなかった値", "Values not computed");
const NOTES: Text = ("注記", "Notes");
const AMOUNT: Text = ("量", "Amount");
const SOURCE: Text = ("出典", "Source");
const VERSION: Text = ("版", "Version");
const INPUT: Text = ("入力", "Input");
const METHODOLOGY: Text = ("方法論", "Methodology");
const TARGETS: Text = ("目標値", "Targets");
const DIRECTION: Text = ("方向", "Direction");
const AT_LEAST: Text = ("以上を目指す", "at least");
const AT_MOST: Text = ("以下を目指す", "at most");
const NO_DATA: Text = (
    "この期間に表示できる値はありません。",
    "There is no value to show for this period.",
);
const NOT_YET: Text = ("まだ算定されない範囲です", "Not computed for this scope yet");
const PRODUCT_INPUTS: Text = ("パスポートから読んだデータ", "Data read from the passport");
const POINTER: Text = ("データの位置", "Data pointer");
const PASSPORT: Text = ("パスポート", "Passport");
const VALUES: Text = ("値", "Values");
const PROBLEMS: Text = ("パスポートの値の問題", "Problems with the passport's values");
const CHART_COMPUTED: Text = ("算定値", "computed");
const CHART_STORED: Text = ("公表値", "published");
const WITHHELD: Text = ("あなたの閲覧レベルでは非公開", "withheld at your access level");
const ABSENT: Text = ("パスポートに記載なし", "not in the passport");
const INVALID: Text = ("条件を確認してください。", "Please check the fields.");

/// The output each flow indicator opens with.
const HEADLINES: [(&str, &str); 3] = [
    ("jp-material-flow", "inlet_circular_use_rate_pct"),
    ("municipal-recycling-rate", "recycling_rate_pct"),
    ("cmu", "CMU_pct"),
];

/// The indicators computed from material-flow records, offered in the menu.
const FLOW_INDICATORS: [&str; 3] = ["jp-material-flow", "municipal-recycling-rate", "cmu"];

const ORGANIZATION_TITLE: Text = (
    "組織の循環性（事業所のイベントから）",
    "The organization's circularity (from its facilities' events)",
);
const ORGANIZATION_FLOWS_IN: Text = ("投入（インフロー）", "Inflows");
const ORGANIZATION_FLOWS_OUT: Text = ("産出（アウトフロー）", "Outflows");
const ORGANIZATION_WITHHELD: Text = (
    "事業所で記録されたが、あなたには非公開のイベント",
    "Events at the facilities that are withheld from you",
);
const ORGANIZATION_MISSING: Text = ("算定から外した流れ", "Flows left out");
const EVENTS_COUNT: Text = ("件数", "Events");
const ORGANIZATION: Text = ("組織", "Organization");
const REASON: Text = ("理由", "Reason");

/// `GET /app/indicators?indicator=&scope=&from=&to=&output=`: the dashboard (open to everyone;
/// signed-out visitors see public records only).
pub async fn get_indicators(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let query = ListQuery::parse(raw.as_deref());
    let indicator_name = query.get("indicator").unwrap_or("jp-material-flow");
    let scope_text = query.get("scope").unwrap_or("nation:JP");
    let mut problems: Vec<(&str, String)> = Vec::new();
    let info = junkan_indicators::indicator(indicator_name);
    if info.is_none() {
        problems.push(("indicator", format!("{indicator_name:?}")));
    }
    let scope = Scope::parse(scope_text)
        .map_err(|message| problems.push(("scope", message)))
        .ok();
    let from = query.get("from").unwrap_or("2000");
    let to = query.get("to").unwrap_or("2030");
    let period = FiscalYears::parse(&format!("{from}/{to}"))
        .map_err(|message| problems.push(("period", message)))
        .ok();
    let content = match (info, scope, period) {
        (Some(info), Some(scope), Some(period)) => {
            let output = query.get("output");
            indicator_section(&state, &web, &query, info, &scope, period, output).await?
        }
        _ => html! {},
    };
    // The indicator library's messages are English; Japanese pages lead with a Japanese sentence.
    let problem_of = |field: &str| {
        problems.iter().find(|(name, _)| *name == field).map(|(name, message)| {
            let japanese = match *name {
                "indicator" => "指標を一覧から選んでください。",
                "scope" => "範囲は「種類:ID」の形で入力してください（種類は product、organization、facility、region、nation。例: nation:JP、region:131016）。",
                _ => "期間は年度（例: 2000）で入力し、開始を終了以前にしてください。",
            };
            match web.language {
                Language::Ja => format!("{japanese}（{message}）"),
                Language::En => message.clone(),
            }
        })
    };
    let mut indicator_choices: Vec<(&str, String)> = FLOW_INDICATORS
        .iter()
        .map(|name| (*name, indicator_title(web.language, name)))
        .collect();
    for name in ORGANIZATION_INDICATORS {
        indicator_choices.push((name, indicator_title(web.language, name)));
    }
    if !FLOW_INDICATORS.contains(&indicator_name)
        && !ORGANIZATION_INDICATORS.contains(&indicator_name)
        && info.is_some()
    {
        indicator_choices.push((indicator_name, indicator_title(web.language, indicator_name)));
    }
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        form.filters method="get" action="/app/indicators" aria-label=(web.t(TITLE)) {
            div.field {
                label for="indicator" { (web.t(INDICATOR)) }
                select #indicator name="indicator" {
                    (options(indicator_choices.iter().map(|(name, title)| (*name, title.as_str())), Some(indicator_name)))
                }
                @if let Some(message) = problem_of("indicator") { p.field-error { (message) } }
            }
            div.field {
                label for="scope" { (web.t(SCOPE)) }
                input #scope type="text" name="scope" value=(scope_text) aria-describedby="scope-hint";
                @if let Some(message) = problem_of("scope") { p.field-error #scope-error role="alert" { (message) } }
            }
            div.field {
                label for="from" { (web.t(FROM)) }
                input #from type="text" inputmode="numeric" name="from" value=(from) size="6";
            }
            div.field {
                label for="to" { (web.t(TO)) }
                input #to type="text" inputmode="numeric" name="to" value=(to) size="6";
                @if let Some(message) = problem_of("period") { p.field-error role="alert" { (message) } }
            }
            button type="submit" { (web.t(SHOW)) }
        }
        p.muted #scope-hint { (web.t(SCOPE_HINT)) }
        @if !problems.is_empty() {
            p.error role="alert" { (web.t(INVALID)) }
        }
        (content)
    };
    let mut response = web.page(web.t(TITLE), Nav::Indicators, body);
    if !problems.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// What was computed for a scope from stored data.
enum Computed {
    /// Per fiscal year from material-flow records (regions and nations).
    FromRecords(ScopeComputation),
    /// From one passport (products).
    FromPassport(Box<ProductComputation>),
    /// From the events at an organization's facilities (`cti`, `company-mci`): the API's answer.
    FromOrganization(Box<Value>),
    /// Not computed for this kind of scope (yet): the kinds it is computed for.
    NotYet(&'static [ScopeKind]),
}

/// The computation of `info` for `scope`, read with the user's actor. A new kind of scope
/// (organizations) is added here, with its section in [`indicator_section`].
async fn computed_for(
    state: &AppState,
    web: &Web,
    info: &'static IndicatorInfo,
    scope: &Scope,
    period: FiscalYears,
) -> Result<Computed, super::WebError> {
    let store = state.store.as_ref();
    let actor = web.actor();
    if scope.kind == ScopeKind::Product {
        return match product_indicator(state, actor, info, &scope.id, None).await {
            Ok(computation) => Ok(Computed::FromPassport(Box::new(computation))),
            Err(error) if error.status() == axum::http::StatusCode::BAD_REQUEST => Ok(Computed::NotYet(&[])),
            Err(error) if error.status() == axum::http::StatusCode::NOT_FOUND => {
                Err(web.fail(super::context::Problem::NotFound))
            }
            Err(_) => Err(web.fail(super::context::Problem::BadRequest)),
        };
    }
    if scope.kind == ScopeKind::Organization && ORGANIZATION_INDICATORS.contains(&info.name) {
        // The fiscal years as days: April 1 of the first to March 31 after the last.
        let days = (format!("{}-04-01", period.from), format!("{}-03-31", period.to + 1));
        return match organization_indicator(store, actor, info, scope, days).await {
            Ok(answer) => Ok(Computed::FromOrganization(Box::new(answer))),
            Err(error) if error.status() == axum::http::StatusCode::NOT_FOUND => {
                Err(web.fail(super::context::Problem::NotFound))
            }
            Err(_) => Err(web.fail(super::context::Problem::BadRequest)),
        };
    }
    let supported = supported_scopes(info.name);
    if !supported.contains(&scope.kind) || !matches!(scope.kind, ScopeKind::Region | ScopeKind::Nation) {
        return Ok(Computed::NotYet(supported));
    }
    scope_computation(store, actor, info, scope, period, None)
        .await
        .map(Computed::FromRecords)
        .or_page(web)
}

async fn indicator_section(
    state: &AppState,
    web: &Web,
    query: &ListQuery,
    info: &'static IndicatorInfo,
    scope: &Scope,
    period: FiscalYears,
    output: Option<&str>,
) -> Result<Markup, super::WebError> {
    let computed = computed_for(state, web, info, scope, period).await?;
    if let Computed::FromPassport(product) = &computed {
        return Ok(product_section(web, info, product));
    }
    if let Computed::FromOrganization(answer) = &computed {
        let stored = stored_series(state.store.as_ref(), web.actor(), info, scope, period)
            .await
            .or_page(web)?;
        return Ok(html! {
            (organization_section(web, info, answer))
            (stored_provenance(web, &stored, "", ""))
            (targets_section(web, &stored.targets))
        });
    }
    let stored = stored_series(state.store.as_ref(), web.actor(), info, scope, period)
        .await
        .or_page(web)?;
    let outputs: Vec<&str> = FLOW_OUTPUTS
        .iter()
        .filter(|spec| spec.indicator == info.name)
        .map(|spec| spec.output)
        .collect();
    let headline = HEADLINES
        .iter()
        .find(|(indicator, _)| *indicator == info.name)
        .map(|(_, output)| *output);
    let output = output
        .filter(|output| outputs.contains(output))
        .or(headline)
        .or_else(|| {
            outputs
                .iter()
                .copied()
                .find(|output| stored.targets.iter().any(|target| target.output == *output))
        })
        .or_else(|| outputs.first().copied())
        .unwrap_or_default();
    let unit = FLOW_OUTPUTS
        .iter()
        .find(|spec| spec.indicator == info.name && spec.output == output)
        .map_or("", |spec| spec.unit);
    let scope_name = match (web.language, scope.name_ja()) {
        (Language::Ja, Some(name)) => format!("{name}（{scope}）"),
        (Language::En, Some(name)) => format!("{scope} ({name})"),
        (_, None) => scope.to_string(),
    };
    let from_records = match &computed {
        Computed::FromRecords(computation) => Some(computation),
        _ => None,
    };
    let computed_points: Vec<(i32, Decimal)> = from_records
        .iter()
        .flat_map(|computation| &computation.periods)
        .filter_map(|period| decimal_of(period.result.get(output)?).map(|value| (period.fiscal_year, value)))
        .collect();
    let stored_points: Vec<(i32, Decimal, &str)> = stored
        .periods
        .iter()
        .flat_map(|period| {
            period.values.iter().filter_map(move |value| {
                decimal_of(value.result.get(output)?).map(|number| (period.fiscal_year, number, value.source.as_str()))
            })
        })
        .collect();
    let targets: Vec<&IndicatorTarget> = stored.targets.iter().filter(|target| target.output == output).collect();
    let label = output_label(web.language, output);
    let chart = Chart {
        title: format!("{label} – {scope_name}"),
        description: period_sentence(web.language, period),
        unit: unit.to_owned(),
        years: (period.from, period.to),
        lines: vec![
            Line {
                name: web.t(CHART_COMPUTED).to_owned(),
                class: "point",
                joined: true,
                points: computed_points.clone(),
            },
            Line {
                name: web.t(CHART_STORED).to_owned(),
                class: "stored",
                joined: false,
                points: stored_points.iter().map(|(year, value, _)| (*year, *value)).collect(),
            },
        ],
        targets: targets
            .iter()
            .map(|target| {
                (
                    target.target_fiscal_year,
                    target.target_value,
                    target_sentence(web.language, target),
                )
            })
            .collect(),
    };
    let mut years: Vec<i32> = computed_points
        .iter()
        .map(|(year, _)| *year)
        .chain(stored_points.iter().map(|(year, _, _)| *year))
        .chain(targets.iter().map(|target| target.target_fiscal_year))
        .collect();
    years.sort_unstable();
    years.dedup();
    let title = match web.language {
        Language::Ja => info.title_ja.to_owned(),
        Language::En => format!("{} ({})", info.title_en, info.title_ja),
    };
    Ok(html! {
        section aria-labelledby="indicator-heading" {
            h2 #indicator-heading { (title) }
            p { (web.t(SCOPE)) ": " strong { (scope_name) } " · " (period_sentence(web.language, period)) }
            p.muted { (web.t(METHODOLOGY)) ": " (i18n::library_source(web.language, info.methodology)) }
            @if let Computed::NotYet(supported) = &computed {
                p.notice role="status" { strong { (web.t(NOT_YET)) } ": " (not_yet_sentence(web.language, info, scope, supported)) }
            }
            nav aria-label=(web.t(OUTPUTS)) {
                ul.tabs {
                    @for candidate in &outputs {
                        li {
                            a href=(output_href(query, candidate)) aria-current=[(*candidate == output).then_some("page")] {
                                (output_label(web.language, candidate))
                            }
                        }
                    }
                }
            }
            h3 { (label) @if !unit.is_empty() { " (" (unit) ")" } }
            @if years.is_empty() {
                p { (web.t(NO_DATA)) }
            } @else {
                figure {
                    (chart::svg(&chart, "indicator-chart"))
                    figcaption {
                        ul.legend {
                            li { span.swatch.computed {} (web.t(COMPUTED)) }
                            li { span.swatch.stored {} (web.t(STORED)) }
                            li { span.swatch.target {} (web.t(TARGET)) }
                        }
                    }
                }
                div.table-wrap {
                    table {
                        caption { (label) }
                        thead { tr {
                            th scope="col" { (web.t(YEAR)) }
                            th scope="col" class="num" { (web.t(COMPUTED)) }
                            th scope="col" class="num" { (web.t(STORED)) }
                            th scope="col" class="num" { (web.t(TARGET)) }
                        } }
                        tbody {
                            @for year in &years {
                                tr {
                                    th scope="row" { (i18n::fiscal_year(web.language, i64::from(*year))) }
                                    td.num {
                                        @for (_, value) in computed_points.iter().filter(|(point_year, _)| point_year == year) {
                                            (i18n::rounded(value, 2)) " " (unit)
                                        }
                                    }
                                    td.num {
                                        @for (_, value, source) in stored_points.iter().filter(|(point_year, _, _)| point_year == year) {
                                            span title=(source) { (i18n::decimal(value)) " " (unit) }
                                        }
                                    }
                                    td.num {
                                        @for target in targets.iter().filter(|target| target.target_fiscal_year == *year) {
                                            (direction_symbol(target.direction)) " " (i18n::decimal(&target.target_value)) " " (target.unit)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(computation) = from_records {
            (records_provenance(web, computation, output, unit))
        }
        (stored_provenance(web, &stored, output, unit))
        (targets_section(web, &stored.targets))
    })
}

/// The provenance of the values computed from records: per fiscal year with a value or a
/// record, the formula, the numerator and denominator, the records and the missing inputs.
fn records_provenance(web: &Web, computation: &ScopeComputation, output: &str, unit: &str) -> Markup {
    let shown = computation.periods.iter().filter(|period| !period.records.is_empty());
    html! {
        section aria-labelledby="provenance-heading" {
            h2 #provenance-heading { (web.t(PROVENANCE)) ": " (web.t(COMPUTED)) }
            @for period in shown {
                @let value = period.result.get(output).and_then(decimal_of);
                article {
                    h3 {
                        (i18n::fiscal_year(web.language, i64::from(period.fiscal_year))) ": "
                        @match &value {
                            Some(value) => { (i18n::decimal(value)) " " (unit) },
                            None => { "—" },
                        }
                        @for gap in period.gaps.iter().filter(|gap| gap.output == output) {
                            @if let Some(met) = gap.met {
                                " " span class=(if met { "badge" } else { "badge warn" }) {
                                    (web.t(TARGET)) " " (i18n::fiscal_year(web.language, i64::from(gap.target_fiscal_year))) ": "
                                    (web.t(if met { MET } else { NOT_MET }))
                                    @if let Some(difference) = &gap.difference { " (" (web.t(GAP)) " " (i18n::rounded(difference, 2)) ")" }
                                }
                            }
                        }
                    }
                    dl {
                        @if let Some(formula) = period.formula {
                            dt { (web.t(FORMULA)) }
                            dd { code { (i18n::formula(web.language, formula)) } }
                        }
                        @if let Some(ratio) = period.ratios.get(output) {
                            dt { (web.t(RATIO)) }
                            dd { (i18n::decimal(&ratio.numerator)) " / " (i18n::decimal(&ratio.denominator)) " — " (i18n::formula(web.language, ratio.meaning)) }
                        }
                    }
                    div.table-wrap {
                        table.responsive {
                            caption { (web.t(RECORDS)) }
                            thead { tr {
                                th scope="col" { (web.t(INPUT)) }
                                th scope="col" class="num" { (web.t(AMOUNT)) }
                                th scope="col" { (web.t(SOURCE)) }
                                th scope="col" class="num" { (web.t(VERSION)) }
                            } }
                            tbody {
                                @for record in &period.records {
                                    tr {
                                        td data-label=(web.t(INPUT)) { code { (record.input) } }
                                        td.num data-label=(web.t(AMOUNT)) { (i18n::decimal(&record.amount)) " " (record.unit) }
                                        td data-label=(web.t(SOURCE)) {
                                            (record.source)
                                            @if let Some(url) = &record.source_url { " " a href=(url) rel="noreferrer" { (url) } }
                                        }
                                        td.num data-label=(web.t(VERSION)) { a href=(record.href) type="application/json" { (record.version) } }
                                    }
                                }
                            }
                        }
                    }
                    @if !period.missing.is_empty() {
                        h4 { (web.t(MISSING)) }
                        ul {
                            @for missing in &period.missing {
                                li { (web.language.pick((missing.title_ja, missing.title_en))) " (" code { (missing.input) } "): " (missing.reason) }
                            }
                        }
                    }
                    @if !period.not_computable.is_empty() {
                        h4 { (web.t(NOT_COMPUTABLE)) }
                        ul {
                            @for entry in &period.not_computable {
                                li { (output_label(web.language, &entry.output)) ": " (entry.reason) }
                            }
                        }
                    }
                    @if !period.notes.is_empty() {
                        h4 { (web.t(NOTES)) }
                        ul { @for note in &period.notes { li { (note) } } }
                    }
                }
            }
        }
    }
}

/// Where each stored value comes from.
fn stored_provenance(web: &Web, stored: &Series, output: &str, unit: &str) -> Markup {
    let values: Vec<_> = stored
        .periods
        .iter()
        .flat_map(|period| period.values.iter().map(move |value| (period.fiscal_year, value)))
        .filter(|(_, value)| value.result.get(output).is_some_and(|value| !value.is_null()))
        .collect();
    html! {
        @if !values.is_empty() {
            section aria-labelledby="stored-heading" {
                h2 #stored-heading { (web.t(PROVENANCE)) ": " (web.t(STORED)) }
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(YEAR)) }
                            th scope="col" class="num" { (web.t(VALUES)) }
                            th scope="col" { (web.t(SOURCE)) }
                            th scope="col" { (web.t(METHODOLOGY)) }
                            th scope="col" class="num" { (web.t(VERSION)) }
                        } }
                        tbody {
                            @for (year, value) in &values {
                                tr {
                                    td data-label=(web.t(YEAR)) { (i18n::fiscal_year(web.language, i64::from(*year))) }
                                    td.num data-label=(web.t(VALUES)) {
                                        @if let Some(number) = value.result.get(output).and_then(decimal_of) { (i18n::decimal(&number)) " " (unit) }
                                    }
                                    td data-label=(web.t(SOURCE)) { (i18n::library_source(web.language, &value.source)) }
                                    td data-label=(web.t(METHODOLOGY)) { (i18n::library_source(web.language, &value.methodology)) }
                                    td.num data-label=(web.t(VERSION)) { a href=(value.href) type="application/json" { (value.version) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn targets_section(web: &Web, targets: &[IndicatorTarget]) -> Markup {
    html! {
        @if !targets.is_empty() {
            section aria-labelledby="targets-heading" {
                h2 #targets-heading { (web.t(TARGETS)) }
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(VALUES)) }
                            th scope="col" { (web.t(YEAR)) }
                            th scope="col" class="num" { (web.t(TARGET)) }
                            th scope="col" { (web.t(DIRECTION)) }
                            th scope="col" { (web.t(SOURCE)) }
                        } }
                        tbody {
                            @for target in targets {
                                tr {
                                    td data-label=(web.t(VALUES)) { (output_label(web.language, &target.output)) }
                                    td data-label=(web.t(YEAR)) { (i18n::fiscal_year(web.language, i64::from(target.target_fiscal_year))) }
                                    td.num data-label=(web.t(TARGET)) { (i18n::decimal(&target.target_value)) " " (target.unit) }
                                    td data-label=(web.t(DIRECTION)) { (web.t(direction_text(target.direction))) }
                                    td data-label=(web.t(SOURCE)) { (i18n::library_source(web.language, &target.source)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A product indicator computed from a passport: the values, and what was read from where.
fn product_section(web: &Web, info: &IndicatorInfo, product: &ProductComputation) -> Markup {
    let title = match web.language {
        Language::Ja => info.title_ja.to_owned(),
        Language::En => format!("{} ({})", info.title_en, info.title_ja),
    };
    html! {
        section aria-labelledby="indicator-heading" {
            h2 #indicator-heading { (title) }
            p {
                (web.t(PASSPORT)) ": "
                a href={ "/app/passports/" (product.passport.id) } { code { (product.passport.identifier) } }
                " · " (product.passport.profile) " " (product.passport.profile_version)
                " · " (web.t(VERSION)) " " (product.passport.version)
                " · " (web.t(i18n::access_level(product.passport.access_level)))
            }
            p.muted { (web.t(METHODOLOGY)) ": " (product.methodology) }
            @if let Some(computation) = &product.computation {
                dl {
                    @for (name, value) in &computation.result {
                        dt { (output_label(web.language, name)) }
                        dd { (i18n::value_text(value)) }
                    }
                    dt { (web.t(FORMULA)) }
                    dd { code { (i18n::formula(web.language, computation.provenance.formula)) } }
                    @for (name, ratio) in &computation.provenance.ratios {
                        dt { (web.t(RATIO)) " (" (output_label(web.language, name)) ")" }
                        dd { (i18n::decimal(&ratio.numerator)) " / " (i18n::decimal(&ratio.denominator)) " — " (i18n::formula(web.language, ratio.meaning)) }
                    }
                    dt { (web.t(SOURCE)) }
                    dd { (i18n::library_source(web.language, computation.provenance.source)) }
                }
            }
            @if !product.missing.is_empty() {
                h3 { (web.t(MISSING)) }
                ul {
                    @for missing in &product.missing {
                        li {
                            code { (missing.source) } " → " code { (missing.input) } ": "
                            (web.t(if missing.reason == "withheld" { WITHHELD } else { ABSENT }))
                        }
                    }
                }
            }
            @if !product.problems.is_empty() {
                h3 { (web.t(PROBLEMS)) }
                ul { @for problem in &product.problems { li { code { (problem.path) } ": " (problem.message) } } }
            }
            @if !product.sources.is_empty() {
                div.table-wrap {
                    table.responsive {
                        caption { (web.t(PRODUCT_INPUTS)) }
                        thead { tr {
                            th scope="col" { (web.t(POINTER)) }
                            th scope="col" { (web.t(INPUT)) }
                        } }
                        tbody {
                            @for source in &product.sources {
                                tr {
                                    td data-label=(web.t(POINTER)) { code { (source.source) } }
                                    td data-label=(web.t(INPUT)) { code { (source.input) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A result value as an exact decimal (numbers and decimal strings); `None` for null or text.
fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => number.to_string().parse().ok(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn output_href(query: &ListQuery, output: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = ["indicator", "scope", "from", "to"]
        .into_iter()
        .filter_map(|name| query.get(name).map(|value| (name, value)))
        .collect();
    pairs.push(("output", output));
    format!(
        "/app/indicators?{}",
        serde_urlencoded::to_string(&pairs).expect("pairs of strings always encode")
    )
}

fn period_sentence(language: Language, period: FiscalYears) -> String {
    match language {
        Language::Ja => format!("{}年度から{}年度", period.from, period.to),
        Language::En => format!("FY{} to FY{}", period.from, period.to),
    }
}

fn target_sentence(language: Language, target: &IndicatorTarget) -> String {
    let value = i18n::decimal(&target.target_value);
    match language {
        Language::Ja => format!(
            "目標 {}年度 {} {}（{}）",
            target.target_fiscal_year,
            value,
            target.unit,
            i18n::library_source(language, &target.source)
        ),
        Language::En => format!(
            "Target FY{}: {} {} ({})",
            target.target_fiscal_year,
            value,
            target.unit,
            i18n::library_source(language, &target.source)
        ),
    }
}

fn not_yet_sentence(language: Language, info: &IndicatorInfo, scope: &Scope, supported: &[ScopeKind]) -> String {
    let kinds = supported
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let kinds = if kinds.is_empty() { "—".to_owned() } else { kinds };
    match language {
        Language::Ja => format!(
            "{} は {} の範囲ではまだ保存データから算定されません（算定される範囲: {kinds}）。登録された値と目標があれば表示します。",
            info.name,
            scope.kind.as_str()
        ),
        Language::En => format!(
            "{} is not computed from stored data for {} scopes yet (computed for: {kinds}); stored values and targets are shown when there are any.",
            info.name,
            scope.kind.as_str()
        ),
    }
}

fn direction_text(direction: Direction) -> Text {
    match direction {
        Direction::AtLeast => AT_LEAST,
        Direction::AtMost => AT_MOST,
    }
}

fn direction_symbol(direction: Direction) -> &'static str {
    match direction {
        Direction::AtLeast => "≥",
        Direction::AtMost => "≤",
    }
}

/// An organization's `cti` or `company-mci` as the API answers it: the values, what could not be
/// computed and why, the flows used with their sources, the events withheld from the reader and
/// the flows left out, the notes.
fn organization_section(web: &Web, info: &IndicatorInfo, answer: &Value) -> Markup {
    let title = match web.language {
        Language::Ja => info.title_ja.to_owned(),
        Language::En => format!("{} ({})", info.title_en, info.title_ja),
    };
    let organization = answer
        .pointer(match web.language {
            Language::Ja => "/organization/name_ja",
            Language::En => "/organization/name_en",
        })
        .and_then(Value::as_str)
        .unwrap_or_default();
    let result = answer.get("result").and_then(Value::as_object);
    let array = |name: &str| answer.get(name).and_then(Value::as_array).cloned().unwrap_or_default();
    let flows_in = array("inflows");
    let flows_out = array("outflows");
    let period = answer.get("period").map(|period| {
        let day = |name: &str| period.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        format!("{} – {}", day("from"), day("to"))
    });
    html! {
        section aria-labelledby="indicator-heading" {
            h2 #indicator-heading { (title) }
            p { (web.t(ORGANIZATION)) ": " strong { (organization) } @if let Some(period) = &period { " · " (period) } }
            p.muted { (web.t(ORGANIZATION_TITLE)) " · " (web.t(METHODOLOGY)) ": " (i18n::library_source(web.language, info.methodology)) }
            @if let Some(result) = result {
                div.table-wrap {
                    table {
                        caption { (web.t(VALUES)) }
                        tbody {
                            @for (output, value) in result {
                                tr { th scope="row" { code { (output) } } td.num { (i18n::value_text(value)) } }
                            }
                        }
                    }
                }
            }
            @let not_computable = array("not_computable");
            @if !not_computable.is_empty() {
                h3 { (web.t(NOT_COMPUTABLE)) }
                ul {
                    @for item in &not_computable {
                        li { code { (item.get("output").and_then(Value::as_str).unwrap_or_default()) } ": " (item.get("reason").and_then(Value::as_str).unwrap_or_default()) }
                    }
                }
            }
        }
        section aria-labelledby="organization-provenance" {
            h2 #organization-provenance { (web.t(PROVENANCE)) }
            @for (heading, flows) in [(ORGANIZATION_FLOWS_IN, &flows_in), (ORGANIZATION_FLOWS_OUT, &flows_out)] {
                h3 { (web.t(heading)) }
                @if flows.is_empty() { p { (web.t(NO_DATA)) } } @else { (json_rows(flows)) }
            }
            @let withheld = array("withheld");
            @if !withheld.is_empty() {
                h3 { (web.t(ORGANIZATION_WITHHELD)) }
                ul {
                    @for item in &withheld {
                        li {
                            (item.get("owner_name").and_then(Value::as_str).unwrap_or_default()) " · "
                            (web.t(EVENTS_COUNT)) " " (i18n::value_text(item.get("events").unwrap_or(&Value::Null)))
                        }
                    }
                }
            }
            @let missing = array("missing");
            @if !missing.is_empty() {
                h3 { (web.t(ORGANIZATION_MISSING)) }
                ul {
                    @for item in &missing {
                        li {
                            code { (item.get("lot").and_then(Value::as_str).unwrap_or_default()) } " — "
                            (web.t(REASON)) ": " (item.get("reason").and_then(Value::as_str).unwrap_or_default())
                        }
                    }
                }
            }
            @let notes = array("notes");
            @if !notes.is_empty() {
                h3 { (web.t(NOTES)) }
                ul { @for note in &notes { li { (note.as_str().unwrap_or_default()) } } }
            }
        }
    }
}

/// Rows of JSON objects as a table: their plain members as columns (nested members as JSON).
fn json_rows(rows: &[Value]) -> Markup {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Some(object) = row.as_object() {
            for name in object.keys() {
                if !columns.contains(name) {
                    columns.push(name.clone());
                }
            }
        }
    }
    let cell = |value: Option<&Value>| match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(_)) | Some(Value::Bool(_)) => i18n::value_text(value.unwrap_or(&Value::Null)),
        Some(other) => other.to_string(),
    };
    html! {
        div.table-wrap {
            table.responsive {
                thead { tr { @for column in &columns { th scope="col" { (column) } } } }
                tbody {
                    @for row in rows {
                        tr { @for column in &columns { td data-label=(column) { (cell(row.get(column))) } } }
                    }
                }
            }
        }
    }
}
