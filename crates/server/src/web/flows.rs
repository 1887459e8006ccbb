//! The material flow view (物質フロー, `/app/flows`): for a product or material (a class, lot or
//! item), a region and a period, the flows from production through use, collection, sorting and
//! recycling back into production (and out to energy recovery and landfill), drawn by the server
//! as a Sankey diagram in SVG, with the same flows as a table. Clicking a flow (a link, so it
//! works without the script) lists the lots and events behind it.
//!
//! The events are the loop connected to the identifier, traced both ways with the signed-in
//! user's actor through the same store calls as the lineage (`handlers::lineage`), so ownership,
//! grants and audit apply; a region keeps the events the store finds at the region's facilities
//! the user may see (`Store::events_at_locations`). Steps withheld from the user are drawn as
//! withheld stages naming their organization, never dropped. The flows themselves are computed
//! by `junkan_trace::flows`.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::{RawQuery, State};
use maud::{html, Markup};
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime, UtcOffset};

use junkan_indicators::organization::facility_location;
use junkan_model::facility::FacilityFilter;
use junkan_model::ids::OrganizationId;
use junkan_trace::flows::{material_flows, Flow, FlowEnd, FlowLot, MaterialFlows, Stage};
use junkan_trace::{Direction, LineageEvent};

use super::context::{OrPage, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{options, ListQuery, Organizations};
use super::workspace::lineage_query;
use crate::handlers::indicator_records::every_page;
use crate::handlers::lineage::trace_with_events;
use crate::AppState;

/// How far the loop is followed from the identifier, each way.
const FLOW_DEPTH: u32 = 24;

const TITLE: Text = ("物質フロー（サンキー図）", "Material flows (Sankey diagram)");
const LEAD: Text = (
    "製品・素材の識別子から、その循環（生産・使用・回収・選別・再資源化、熱回収・埋立）の流れをトレーサビリティの数量から描きます。線の太さは記録された質量です。流れを選ぶと、その内訳のロットとイベントを表示します。",
    "From a product's or material's identifier: its loop (production, use, collection, sorting, recycling, energy recovery, landfill) drawn from the quantities of the traceability events. A flow's width is its recorded mass. Choose a flow to see the lots and events behind it.",
);
const IDENTIFIER: Text = (
    "製品・素材の識別子（クラス・ロット・個体）",
    "Product or material identifier (class, lot or item)",
);
const REGION: Text = ("地域", "Region");
const ALL_JAPAN: Text = ("全国", "All of Japan");
const FROM: Text = ("期間（開始日）", "From (day)");
const UNTIL: Text = ("期間（終了日）", "Until (day, inclusive)");
const SHOW: Text = ("表示", "Show");
const ASK: Text = (
    "識別子を入力してください（例: パスポートのページやトレースから電池パックの識別子を選べます）。",
    "Enter an identifier (for example a battery pack's, from its passport page or the lineage explorer).",
);
const NOTHING: Text = (
    "この条件で閲覧できる流れはありません。",
    "There is no flow you may see for this selection.",
);
const DIAGRAM: Text = ("流れ", "Flows");
const TABLE: Text = ("流れの一覧", "All flows");
const FROM_STAGE: Text = ("出発", "From");
const TO_STAGE: Text = ("到着", "To");
const QUANTITY: Text = ("記録された数量", "Recorded quantity");
const DETAILS: Text = ("内訳", "Details");
const BEHIND: Text = ("この流れの内訳（ロットとイベント）", "Lots and events behind this flow");
const OBJECT: Text = ("対象（ロット・個体）", "Lot or item");
const LEFT: Text = ("出発のイベント", "Event it left");
const REACHED: Text = ("到着のイベント", "Event it reached");
const WITHHELD_OBJECT: Text = ("非公開の対象", "Withheld object");
const WITHHELD_EVENT: Text = ("非公開の工程", "Withheld step");
const NONE_RECORDED: Text = ("記録なし", "Not recorded");
const WITHHELD_NOTE: Text = (
    "破線の流れは、組織が共有していない工程との間の流れです。数量は表示されません。",
    "Dashed flows lead into or out of steps their organization does not share with you; their quantities are not shown.",
);
const ITEMS_NOTE: Text = (
    "細い点線は、質量が記録されていない対象（個体）の流れで、件数で示します。",
    "Thin dotted flows carry objects without a recorded mass (items); they are counted, not weighed.",
);
const REGION_NOTE: Text = (
    "地域を選ぶと、その地域にある、閲覧できる事業所で記録されたイベントだけを数えます。地域外との出入りは「範囲外・記録なし」として示します。",
    "With a region, only events recorded at the region's facilities that you may see count; flows to and from elsewhere are shown as outside the selection.",
);
const SUMMARY: Text = ("集計に使ったイベント", "Events used");
const BAD_DATE: Text = (
    "日付は YYYY-MM-DD の形で入力してください。",
    "Enter days as YYYY-MM-DD.",
);

/// Japan Standard Time: the days of the period are days in Japan.
const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// `GET /app/flows?id=&region=&from=&until=&flow=`: the Sankey view (open to everyone;
/// signed-out visitors see flows of public events only).
pub async fn get_flows_page(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let query = ListQuery::parse(raw.as_deref());
    let store = state.store.as_ref();
    let region = query
        .get("region")
        .and_then(junkan_model::japan::prefecture)
        .map(|prefecture| prefecture.code.clone());
    let day = |name: &str| -> Result<Option<Date>, ()> {
        match query.get(name) {
            None => Ok(None),
            Some(text) => Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
                .map(Some)
                .map_err(|_| ()),
        }
    };
    let (from, until) = (day("from"), day("until"));
    let bad_date = from.is_err() || until.is_err();
    let start = from.ok().flatten().map(|day| day.midnight().assume_offset(JST));
    let end = until
        .ok()
        .flatten()
        .and_then(Date::next_day)
        .map(|day| day.midnight().assume_offset(JST));
    let flows = match query.get("id") {
        Some(id) if !bad_date => {
            let (_, mut events) = trace_with_events(store, web.actor(), id, Direction::Both, FLOW_DEPTH)
                .await
                .or_page(&web)?;
            events.retain(|event| {
                start.is_none_or(|start| event.event_time >= start) && end.is_none_or(|end| event.event_time < end)
            });
            if let Some(region) = &region {
                let at_region = events_in_region(&state, &web, region, start, end).await?;
                events.retain(|event| at_region.contains(&event.event_id));
            }
            Some(material_flows(&events))
        }
        _ => None,
    };
    let mut organizations: Vec<OrganizationId> = Vec::new();
    for flow in flows.iter().flat_map(|flows| &flows.flows) {
        for stage in [flow.from, flow.to] {
            if let Stage::Withheld(organization) = stage {
                organizations.push(organization);
            }
        }
        for lot in &flow.lots {
            organizations.extend(lot.from.iter().chain(lot.to.iter()).map(|end| end.organization));
        }
    }
    organizations.sort();
    organizations.dedup();
    let mut names = Organizations::default();
    let mut organization_names: HashMap<OrganizationId, String> = HashMap::new();
    for organization in organizations {
        let name = names.name(store, web.language, organization).await;
        organization_names.insert(organization, name);
    }
    let selected = query.get("flow");
    let prefecture_choices: Vec<(String, String)> = junkan_model::japan::prefectures()
        .iter()
        .map(|prefecture| {
            let name = match web.language {
                Language::Ja => prefecture.name_ja.clone(),
                Language::En => prefecture.name_en.clone(),
            };
            (prefecture.code.clone(), name)
        })
        .collect();
    let base = base_query(&query);
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        form.filters method="get" action="/app/flows" aria-label=(web.t(TITLE)) {
            div.field {
                label for="id" { (web.t(IDENTIFIER)) }
                input #id type="search" name="id" value=[query.get("id")] size="48" required;
            }
            div.field {
                label for="region" { (web.t(REGION)) }
                select #region name="region" {
                    option value="" { (web.t(ALL_JAPAN)) }
                    (options(prefecture_choices.iter().map(|(code, name)| (code.as_str(), name.as_str())), region.as_deref()))
                }
            }
            div.field {
                label for="from" { (web.t(FROM)) }
                input #from type="date" name="from" value=[query.get("from")];
            }
            div.field {
                label for="until" { (web.t(UNTIL)) }
                input #until type="date" name="until" value=[query.get("until")];
            }
            button type="submit" { (web.t(SHOW)) }
        }
        @if bad_date { p.error role="alert" { (web.t(BAD_DATE)) } }
        @if region.is_some() { p.muted { (web.t(REGION_NOTE)) } }
        @match &flows {
            None => @if !bad_date { p { (web.t(ASK)) } },
            Some(flows) if flows.flows.is_empty() => p { (web.t(NOTHING)) },
            Some(flows) => (flows_section(&web, flows, &organization_names, &base, selected)),
        }
    };
    Ok(web.page(web.t(TITLE), Nav::Flows, body))
}

/// The ids of the events recorded at the facilities of `prefecture` the user may see, in the
/// period: one listing of facilities, one location query.
async fn events_in_region(
    state: &AppState,
    web: &Web,
    prefecture: &str,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
) -> Result<HashSet<String>, super::WebError> {
    let store = state.store.as_ref();
    let actor = web.actor();
    let filter = FacilityFilter {
        prefecture_code: Some(prefecture.to_owned()),
        ..FacilityFilter::default()
    };
    let facilities = every_page(|page| {
        let filter = &filter;
        async move { store.list_facilities(actor, filter, &page).await }
    })
    .await
    .or_page(web)?;
    let locations: Vec<String> = facilities
        .iter()
        .filter_map(|facility| facility.gln.as_deref().map(facility_location))
        .collect();
    if locations.is_empty() {
        return Ok(HashSet::new());
    }
    let events: Vec<LineageEvent> = store
        .events_at_locations(
            actor,
            &locations,
            start.unwrap_or(OffsetDateTime::UNIX_EPOCH),
            end.unwrap_or_else(|| OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 1000)),
        )
        .await
        .or_page(web)?;
    Ok(events.into_iter().map(|event| event.event_id).collect())
}

/// The query of this view without the chosen flow (links add theirs).
fn base_query(query: &ListQuery) -> String {
    let pairs: Vec<(&str, &str)> = ["id", "region", "from", "until"]
        .into_iter()
        .filter_map(|name| query.get(name).map(|value| (name, value)))
        .collect();
    serde_urlencoded::to_string(pairs).expect("pairs of strings always encode")
}

fn flow_href(base: &str, flow: &Flow) -> String {
    let key = serde_urlencoded::to_string([("flow", flow.key())]).expect("pairs of strings always encode");
    format!("/app/flows?{base}&{key}#flow-details")
}

/// A stage's name in the page's language.
fn stage_label(language: Language, stage: Stage, names: &HashMap<OrganizationId, String>) -> String {
    let text: Text = match stage {
        Stage::NotRecordedBefore => (
            "範囲外・記録なし（投入元）",
            "Outside the selection or not recorded (source)",
        ),
        Stage::Production => ("生産", "Production"),
        Stage::Use => ("流通・使用", "Distribution and use"),
        Stage::Collection => ("回収", "Collection"),
        Stage::Reuse => ("再使用・再製造", "Reuse and remanufacturing"),
        Stage::Sorting => ("解体・選別・前処理", "Dismantling, sorting and pre-treatment"),
        Stage::Recycling => ("再資源化", "Recycling"),
        Stage::EnergyRecovery => ("熱回収", "Energy recovery"),
        Stage::Landfill => ("埋立・廃棄", "Landfill and destruction"),
        Stage::NotRecordedAfter => (
            "以降の記録なし（在庫・範囲外）",
            "No later record (in stock or outside the selection)",
        ),
        Stage::Withheld(organization) => {
            let name = names.get(&organization).map_or("—", String::as_str);
            return match language {
                Language::Ja => format!("非公開の工程（{name}）"),
                Language::En => format!("Withheld by {name}"),
            };
        }
    };
    language.pick(text).to_owned()
}

/// A unit code as people write it.
fn unit_text(unit: &str) -> &str {
    match unit {
        "KGM" => "kg",
        "TNE" => "t",
        "GRM" => "g",
        "LTR" => "L",
        "" => "",
        other => other,
    }
}

/// A flow's quantities and items, in words.
fn quantity_text(language: Language, flow: &Flow) -> String {
    let mut parts: Vec<String> = flow
        .quantities
        .iter()
        .map(|(unit, value)| format!("{} {}", i18n::decimal(value), unit_text(unit)))
        .collect();
    if flow.items_without_quantity > 0 {
        let count = i18n::count(flow.items_without_quantity);
        parts.push(match language {
            Language::Ja => format!("{count} 件（数量の記録なし）"),
            Language::En => format!("{count} without a recorded quantity"),
        });
    }
    parts.join(" + ")
}

fn lot_quantity(lot: &FlowLot) -> String {
    lot.quantity
        .as_ref()
        .map(|(value, unit)| format!("{} {}", i18n::decimal(value), unit_text(unit)))
        .unwrap_or_else(|| "—".to_owned())
}

fn flows_section(
    web: &Web,
    flows: &MaterialFlows,
    names: &HashMap<OrganizationId, String>,
    base: &str,
    selected: Option<&str>,
) -> Markup {
    let selected_flow = selected.and_then(|key| flows.flows.iter().find(|flow| flow.key() == key));
    let any_withheld = flows.flows.iter().any(Flow::withheld);
    let any_items = flows.flows.iter().any(|flow| flow.quantities.is_empty());
    let summary = match web.language {
        Language::Ja => format!(
            "閲覧できるイベント {} 件、非公開のイベント {} 件",
            i18n::count(flows.readable_events as u64),
            i18n::count(flows.withheld_events as u64)
        ),
        Language::En => format!(
            "{} events you may read, {} withheld",
            i18n::count(flows.readable_events as u64),
            i18n::count(flows.withheld_events as u64)
        ),
    };
    html! {
        section aria-labelledby="sankey-heading" {
            h2 #sankey-heading { (web.t(DIAGRAM)) }
            p.muted { (web.t(SUMMARY)) ": " (summary) }
            @if any_withheld { p.muted { (web.t(WITHHELD_NOTE)) } }
            @if any_items { p.muted { (web.t(ITEMS_NOTE)) } }
            div.table-wrap { (sankey(web, flows, names, base, selected)) }
        }
        section aria-labelledby="flows-heading" {
            h2 #flows-heading { (web.t(TABLE)) }
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(FROM_STAGE)) }
                        th scope="col" { (web.t(TO_STAGE)) }
                        th scope="col" { (web.t(QUANTITY)) }
                        th scope="col" { (web.t(DETAILS)) }
                    } }
                    tbody {
                        @for flow in &flows.flows {
                            tr {
                                td data-label=(web.t(FROM_STAGE)) { (stage_label(web.language, flow.from, names)) }
                                td data-label=(web.t(TO_STAGE)) { (stage_label(web.language, flow.to, names)) }
                                td data-label=(web.t(QUANTITY)) { (quantity_text(web.language, flow)) }
                                td data-label=(web.t(DETAILS)) {
                                    a href=(flow_href(base, flow)) aria-current=[(selected == Some(flow.key().as_str())).then_some("true")] {
                                        (web.t(DETAILS))
                                        span.visually-hidden { ": " (stage_label(web.language, flow.from, names)) " → " (stage_label(web.language, flow.to, names)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(flow) = selected_flow {
            section #flow-details aria-labelledby="flow-details-heading" {
                h2 #flow-details-heading {
                    (web.t(BEHIND)) ": " (stage_label(web.language, flow.from, names)) " → " (stage_label(web.language, flow.to, names))
                }
                p { (quantity_text(web.language, flow)) }
                div.table-wrap {
                    table.responsive {
                        thead { tr {
                            th scope="col" { (web.t(OBJECT)) }
                            th scope="col" class="num" { (web.t(QUANTITY)) }
                            th scope="col" { (web.t(LEFT)) }
                            th scope="col" { (web.t(REACHED)) }
                        } }
                        tbody {
                            @for lot in &flow.lots {
                                tr {
                                    td data-label=(web.t(OBJECT)) {
                                        @match &lot.identifier {
                                            Some(identifier) => a href={ "/app/lineage?" (lineage_query(identifier)) "&direction=both" } { code { (identifier) } },
                                            None => (web.t(WITHHELD_OBJECT)),
                                        }
                                    }
                                    td.num data-label=(web.t(QUANTITY)) { (lot_quantity(lot)) }
                                    td data-label=(web.t(LEFT)) { (flow_end(web, lot.from.as_ref(), names)) }
                                    td data-label=(web.t(REACHED)) { (flow_end(web, lot.to.as_ref(), names)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn flow_end(web: &Web, end: Option<&FlowEnd>, names: &HashMap<OrganizationId, String>) -> Markup {
    let Some(end) = end else {
        return html! { span.muted { (web.t(NONE_RECORDED)) } };
    };
    let organization = names
        .get(&end.organization)
        .map_or(end.organization_name.as_str(), String::as_str);
    html! {
        @match (&end.event_id, &end.biz_step) {
            (Some(event_id), step) => {
                (step.as_deref().map(|step| i18n::business_step_label(web.language, step)).unwrap_or_default())
                " · " (organization)
                @if let Some(time) = end.event_time { br; (i18n::date_time(web.language, time)) }
                br; code.small title=(event_id) { (short_id(event_id)) }
            }
            (None, _) => { (web.t(WITHHELD_EVENT)) " · " (organization) }
        }
    }
}

/// An eventID shortened for the table (the whole id is its title).
fn short_id(event_id: &str) -> String {
    if event_id.chars().count() <= 24 {
        event_id.to_owned()
    } else {
        let tail: Vec<char> = event_id.chars().rev().take(20).collect();
        format!("…{}", tail.into_iter().rev().collect::<String>())
    }
}

const NODE_WIDTH: f64 = 14.0;
const COLUMN_GAP: f64 = 210.0;
const NODE_GAP: f64 = 34.0;
const MARGIN: f64 = 20.0;
const LABEL_SPACE: f64 = 150.0;
/// The thickest flow, in pixels.
const MAX_THICKNESS: f64 = 90.0;
/// The thinnest flow (flows without a recorded mass, withheld ones).
const MIN_THICKNESS: f64 = 3.0;

/// Where each stage is drawn: named stages in their fixed columns; a withheld stage one column
/// after the stages its flows come from (repeated so that chains of withheld steps spread out,
/// at most a few columns on), else just before where its flows go; the stages at the end after
/// every other.
fn stage_columns(flows: &MaterialFlows) -> BTreeMap<Stage, usize> {
    const MOST: usize = 10;
    let is_end = |stage: &Stage| matches!(stage, Stage::EnergyRecovery | Stage::Landfill | Stage::NotRecordedAfter);
    let mut columns: BTreeMap<Stage, usize> = flows.stages.iter().map(|stage| (*stage, stage.column())).collect();
    for _ in 0..flows.stages.len().min(MOST) {
        for stage in &flows.stages {
            let Stage::Withheld(_) = stage else {
                continue;
            };
            let after = flows
                .flows
                .iter()
                .filter(|flow| flow.to == *stage && flow.from != *stage && !is_end(&flow.from))
                .map(|flow| columns[&flow.from] + 1)
                .max();
            let before = flows
                .flows
                .iter()
                .filter(|flow| flow.from == *stage && !matches!(flow.to, Stage::Withheld(_)) && !is_end(&flow.to))
                .map(|flow| columns[&flow.to].saturating_sub(1))
                .min();
            let column = after.or(before).unwrap_or(stage.column()).min(MOST);
            columns.insert(*stage, column);
        }
    }
    let last = columns
        .iter()
        .filter(|(stage, _)| !is_end(stage))
        .map(|(_, column)| *column + 1)
        .max()
        .unwrap_or(6)
        .max(6);
    for (stage, column) in columns.iter_mut() {
        if is_end(stage) {
            *column = last;
        }
    }
    columns
}

fn sankey(
    web: &Web,
    flows: &MaterialFlows,
    names: &HashMap<OrganizationId, String>,
    base: &str,
    selected: Option<&str>,
) -> Markup {
    let heaviest = flows.flows.iter().map(Flow::kilograms).max().unwrap_or(Decimal::ZERO);
    let thickness = |flow: &Flow| -> f64 {
        let kilograms = flow.kilograms();
        if heaviest <= Decimal::ZERO || kilograms <= Decimal::ZERO || flow.withheld() {
            return MIN_THICKNESS;
        }
        let ratio: f64 = (kilograms / heaviest).try_into().unwrap_or(0.0);
        (ratio * MAX_THICKNESS).max(MIN_THICKNESS)
    };
    let columns = stage_columns(flows);
    // A stage is as tall as the larger of what enters and what leaves it.
    let mut heights: BTreeMap<Stage, (f64, f64)> = BTreeMap::new();
    for flow in &flows.flows {
        heights.entry(flow.from).or_default().1 += thickness(flow);
        heights.entry(flow.to).or_default().0 += thickness(flow);
    }
    let height_of = |stage: &Stage| {
        heights
            .get(stage)
            .map_or(MIN_THICKNESS, |(incoming, outgoing)| incoming.max(*outgoing))
    };
    let mut tops: BTreeMap<Stage, f64> = BTreeMap::new();
    let mut column_bottom: BTreeMap<usize, f64> = BTreeMap::new();
    for stage in &flows.stages {
        let column = columns[stage];
        let top = column_bottom.get(&column).copied().unwrap_or(MARGIN + 18.0);
        tops.insert(*stage, top);
        column_bottom.insert(column, top + height_of(stage) + NODE_GAP);
    }
    let last_column = columns.values().copied().max().unwrap_or(0);
    let diagram_bottom = column_bottom.values().copied().fold(0.0, f64::max);
    let returns = flows
        .flows
        .iter()
        .filter(|flow| columns[&flow.to] <= columns[&flow.from])
        .count() as f64;
    let height = diagram_bottom + 24.0 + returns * 14.0 + MAX_THICKNESS.min(40.0);
    let width = MARGIN * 2.0 + COLUMN_GAP * last_column as f64 + NODE_WIDTH + LABEL_SPACE;
    let x_of = |stage: &Stage| MARGIN + COLUMN_GAP * columns[stage] as f64;
    // Where the next flow leaves (right side) and arrives (left side) of each stage.
    let mut outgoing_offset: BTreeMap<Stage, f64> = BTreeMap::new();
    let mut incoming_offset: BTreeMap<Stage, f64> = BTreeMap::new();
    let mut return_lane = 0.0;
    let mut paths = Vec::new();
    for flow in &flows.flows {
        let size = thickness(flow);
        let out = outgoing_offset.entry(flow.from).or_insert(0.0);
        let start_y = tops[&flow.from] + *out + size / 2.0;
        *out += size;
        let into = incoming_offset.entry(flow.to).or_insert(0.0);
        let end_y = tops[&flow.to] + *into + size / 2.0;
        *into += size;
        let start_x = x_of(&flow.from) + NODE_WIDTH;
        let end_x = x_of(&flow.to);
        let d = if end_x > start_x {
            let middle = (start_x + end_x) / 2.0;
            format!("M{start_x:.1},{start_y:.1} C{middle:.1},{start_y:.1} {middle:.1},{end_y:.1} {end_x:.1},{end_y:.1}")
        } else {
            // Back into an earlier stage (recycling into production): a loop below the diagram.
            return_lane += 14.0;
            let low = diagram_bottom + return_lane;
            let (out_x, in_x) = (start_x + 30.0, end_x - 30.0);
            format!(
                "M{start_x:.1},{start_y:.1} C{out_x:.1},{start_y:.1} {out_x:.1},{low:.1} {start_x:.1},{low:.1} L{end_x:.1},{low:.1} C{in_x:.1},{low:.1} {in_x:.1},{end_y:.1} {end_x:.1},{end_y:.1}"
            )
        };
        let mut class = String::from("flow");
        if flow.withheld() {
            class.push_str(" withheld");
        } else if flow.kilograms() <= Decimal::ZERO {
            class.push_str(" unweighed");
        }
        if flow.to == Stage::Production && flow.from == Stage::Recycling {
            class.push_str(" circular");
        }
        if selected == Some(flow.key().as_str()) {
            class.push_str(" selected");
        }
        let title = format!(
            "{} → {}: {}",
            stage_label(web.language, flow.from, names),
            stage_label(web.language, flow.to, names),
            quantity_text(web.language, flow)
        );
        paths.push((flow_href(base, flow), class, d, size, title, flow.key()));
    }
    let description = match web.language {
        Language::Ja => format!("段階 {} 件の間の流れ {} 件", flows.stages.len(), flows.flows.len()),
        Language::En => format!("{} flows between {} stages", flows.flows.len(), flows.stages.len()),
    };
    html! {
        svg.sankey xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (format!("{width:.0}")) " " (format!("{height:.0}")) } width=(format!("{width:.0}")) role="group" aria-labelledby="sankey-heading" aria-describedby="sankey-description" {
            desc #sankey-description { (description) }
            @for (href, class, d, size, title, key) in &paths {
                a href=(href) class=(class) data-flow=(key) {
                    title { (title) }
                    path d=(d) stroke-width=(format!("{size:.1}")) {}
                }
            }
            @for stage in &flows.stages {
                @let x = x_of(stage);
                @let y = tops[stage];
                @let class = if matches!(stage, Stage::Withheld(_)) { "stage withheld" } else if matches!(stage, Stage::NotRecordedBefore | Stage::NotRecordedAfter) { "stage outside" } else { "stage" };
                g class=(class) {
                    title { (stage_label(web.language, *stage, names)) }
                    rect x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(NODE_WIDTH) height=(format!("{:.1}", height_of(stage))) {}
                    text x=(format!("{:.1}", x + NODE_WIDTH + 4.0)) y=(format!("{:.1}", y - 5.0)) { (short_label(&drawn_label(web.language, *stage, names))) }
                }
            }
        }
    }
}

/// A stage's label as drawn beside its bar: a withheld stage by its organization's name first.
fn drawn_label(language: Language, stage: Stage, names: &HashMap<OrganizationId, String>) -> String {
    match stage {
        Stage::Withheld(organization) => {
            let name = names.get(&organization).map_or("—", String::as_str);
            match language {
                Language::Ja => format!("非公開・{name}"),
                Language::En => format!("Withheld · {name}"),
            }
        }
        other => stage_label(language, other, names),
    }
}

/// A stage's label shortened to fit beside its bar (its title and the table have the whole text).
fn short_label(label: &str) -> String {
    const LIMIT: usize = 17;
    if label.chars().count() <= LIMIT {
        label.to_owned()
    } else {
        format!("{}…", label.chars().take(LIMIT - 1).collect::<String>())
    }
}
