//! The lineage explorer (トレース, `/app/lineage`): the backward or forward graph of a lot or item
//! as the user may see it, drawn by the server as SVG, with the same nodes in a table. Steps
//! recorded by organizations that share nothing with the user appear as "withheld" nodes that
//! name the organization; objects known only through them are shown without an identifier. The
//! graph comes from the same trace as `GET /api/v1/lineage` (`handlers::lineage::trace`).

use std::collections::{BTreeMap, HashMap, VecDeque};

use axum::extract::{RawQuery, State};
use maud::{html, Markup};

use junkan_trace::{Direction, Lineage, Node};

use super::context::{OrPage, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{options, ListQuery, Organizations};
use super::workspace::lineage_query;
use crate::handlers::lineage::{trace, DEFAULT_DEPTH, MAX_DEPTH};
use crate::AppState;

const TITLE: Text = ("トレース（来歴と行き先）", "Lineage (where it came from and went)");
const LEAD: Text = (
    "ロット・製品・素材の識別子から、どこから来たか（さかのぼる）、どこへ行ったか（たどる）をグラフで示します。共有されていない工程は「非公開」として示します。",
    "From the identifier of a lot, item or material: where it came from (backward) or where it went (forward). Steps not shared with you are shown as withheld.",
);
const IDENTIFIER: Text = (
    "識別子（EPC・ロット・Digital Link）",
    "Identifier (EPC, lot or Digital Link)",
);
const DIRECTION: Text = ("方向", "Direction");
const BACKWARD: Text = ("さかのぼる（来歴）", "Backward (sources)");
const FORWARD: Text = ("たどる（行き先）", "Forward (destinations)");
const BOTH: Text = ("両方", "Both");
const DEPTH: Text = ("深さ", "Depth");
const TRACE: Text = ("トレース", "Trace");
const GRAPH: Text = ("グラフ", "Graph");
const NODES: Text = ("工程と対象", "Steps and objects");
const KIND: Text = ("種類", "Kind");
const WHAT: Text = ("内容", "What");
const WHO: Text = ("記録した組織", "Recorded by");
const WHEN: Text = ("日時", "When");
const OBJECT: Text = ("対象", "Object");
const EVENT: Text = ("工程", "Step");
const WITHHELD_EVENT: Text = ("非公開の工程", "Withheld step");
const WITHHELD_OBJECT: Text = ("非公開の対象", "Withheld object");
const SHARES: Text = ("原料の構成（質量比）", "Where the material came from (mass share)");
const SHARE: Text = ("割合", "Share");
const SOURCE: Text = ("由来", "Source");
const TRUNCATED: Text = (
    "指定した深さで打ち切りました。深さを増やすとさらにたどれます。",
    "The trace stopped at the depth asked for; a greater depth follows it further.",
);
const NOTHING: Text = (
    "この識別子に関する閲覧できるイベントはありません。",
    "There is no event about this identifier that you may read.",
);
const WITHHELD_NOTE: Text = (
    "破線の枠は、その組織が共有していない工程です（内容は表示されません）。",
    "Dashed boxes are steps their organization does not share with you (their content is not shown).",
);
const FLOWS: Text = (
    "この識別子の循環を物質フロー（サンキー図）で見る",
    "See this identifier's loop as material flows (Sankey)",
);
const ASK: Text = (
    "識別子を入力してトレースします（例: デモの電池パックの EPC）。",
    "Enter an identifier to trace (e.g. the demo's battery pack EPC).",
);

/// `GET /app/lineage?id=&direction=&depth=`: the explorer (open to everyone; signed-out visitors
/// trace through public events only).
pub async fn get_lineage_page(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    let query = ListQuery::parse(raw.as_deref());
    let direction = match query.get("direction") {
        Some("forward") => Direction::Forward,
        Some("both") => Direction::Both,
        _ => Direction::Backward,
    };
    let depth = query
        .get("depth")
        .and_then(|depth| depth.parse::<u32>().ok())
        .unwrap_or(DEFAULT_DEPTH)
        .clamp(1, MAX_DEPTH);
    let lineage = match query.get("id") {
        Some(id) => Some(
            trace(state.store.as_ref(), web.actor(), id, direction, depth)
                .await
                .or_page(&web)?,
        ),
        None => None,
    };
    let mut organizations = Organizations::default();
    let mut names: HashMap<String, String> = HashMap::new();
    for node in lineage.iter().flat_map(|lineage| &lineage.nodes) {
        if let Some(organization) = node.organization_id {
            let name = organizations
                .name(state.store.as_ref(), web.language, organization)
                .await;
            names.insert(node.key.clone(), name);
        }
    }
    let direction_value = match direction {
        Direction::Backward => "backward",
        Direction::Forward => "forward",
        Direction::Both => "both",
    };
    let depth_text = depth.to_string();
    let body = html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        form.filters method="get" action="/app/lineage" aria-label=(web.t(TRACE)) {
            div.field {
                label for="id" { (web.t(IDENTIFIER)) }
                input #id type="search" name="id" value=[query.get("id")] size="48" required;
            }
            div.field {
                label for="direction" { (web.t(DIRECTION)) }
                select #direction name="direction" {
                    (options([("backward", web.t(BACKWARD)), ("forward", web.t(FORWARD)), ("both", web.t(BOTH))], Some(direction_value)))
                }
            }
            div.field {
                label for="depth" { (web.t(DEPTH)) }
                input #depth type="text" inputmode="numeric" name="depth" value=(depth_text) size="3";
            }
            button type="submit" { (web.t(TRACE)) }
        }
        @match &lineage {
            None => p { (web.t(ASK)) },
            Some(lineage) if lineage.nodes.len() <= 1 => p { (web.t(NOTHING)) },
            Some(lineage) => (graph_section(&web, lineage, &names, direction_value, &depth_text)),
        }
    };
    Ok(web.page(web.t(TITLE), Nav::Lineage, body))
}

fn graph_section(
    web: &Web,
    lineage: &Lineage,
    names: &HashMap<String, String>,
    direction: &str,
    depth: &str,
) -> Markup {
    let layout = layout(lineage);
    let withheld = lineage.nodes.iter().any(|node| node.kind.starts_with("withheld"));
    html! {
        section aria-labelledby="graph-heading" {
            h2 #graph-heading { (web.t(GRAPH)) ": " code { (lineage.root) } }
            p { a href={ "/app/flows?" (lineage_query(&lineage.root)) } { (web.t(FLOWS)) } }
            @if lineage.truncated { p.notice role="status" { (web.t(TRUNCATED)) } }
            @if withheld { p.muted { (web.t(WITHHELD_NOTE)) } }
            div.table-wrap {
                (svg(web, lineage, &layout, names, direction, depth))
            }
        }
        @if !lineage.shares.is_empty() {
            section aria-labelledby="shares-heading" {
                h2 #shares-heading { (web.t(SHARES)) }
                table {
                    thead { tr { th scope="col" { (web.t(SOURCE)) } th scope="col" class="num" { (web.t(SHARE)) } } }
                    tbody {
                        @for share in &lineage.shares {
                            tr {
                                td { code { (share.identifier) } }
                                td.num { (share_percent(&share.share)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="nodes-heading" {
            h2 #nodes-heading { (web.t(NODES)) }
            div.table-wrap {
                table.responsive {
                    thead { tr {
                        th scope="col" { (web.t(KIND)) }
                        th scope="col" { (web.t(WHAT)) }
                        th scope="col" { (web.t(WHO)) }
                        th scope="col" { (web.t(WHEN)) }
                    } }
                    tbody {
                        @for node in &layout.order {
                            @let node = &lineage.nodes[*node];
                            tr {
                                td data-label=(web.t(KIND)) { (web.t(kind_label(node))) }
                                td data-label=(web.t(WHAT)) {
                                    @if let Some(identifier) = &node.identifier {
                                        a href={ "/app/lineage?" (lineage_query(identifier)) "&direction=" (direction) "&depth=" (depth) } { code { (identifier) } }
                                    } @else {
                                        (event_label(web.language, node))
                                    }
                                }
                                td data-label=(web.t(WHO)) { (names.get(&node.key).map_or("—", String::as_str)) }
                                td data-label=(web.t(WHEN)) {
                                    @if let Some(time) = node.event_time { (i18n::date_time(web.language, time)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where each node is drawn: its column (steps along the flow of material) and row.
struct Layout {
    /// Column and row per node index.
    places: Vec<(usize, usize)>,
    /// Columns and the most rows of a column.
    size: (usize, usize),
    /// Node indexes in reading order (column by column, top to bottom).
    order: Vec<usize>,
}

/// Lays the graph out in columns along the material's flow (input → step → output, child →
/// aggregation → parent): a breadth-first walk from the root puts each node one column after the
/// node it comes from, or one before the node it goes into; the leftmost column is then 0.
fn layout(lineage: &Lineage) -> Layout {
    let index: HashMap<&str, usize> = lineage
        .nodes
        .iter()
        .enumerate()
        .map(|(position, node)| (node.key.as_str(), position))
        .collect();
    let mut column: Vec<Option<i64>> = vec![None; lineage.nodes.len()];
    let root = lineage
        .nodes
        .iter()
        .position(|node| node.identifier.as_deref() == Some(lineage.root.as_str()))
        .unwrap_or(0);
    let mut queue = VecDeque::new();
    if !lineage.nodes.is_empty() {
        column[root] = Some(0);
        queue.push_back(root);
    }
    while let Some(current) = queue.pop_front() {
        let here = column[current].unwrap_or(0);
        let key = lineage.nodes[current].key.as_str();
        for edge in &lineage.edges {
            let (other, step) = if edge.from == key {
                (edge.to.as_str(), 1)
            } else if edge.to == key {
                (edge.from.as_str(), -1)
            } else {
                continue;
            };
            if let Some(&other) = index.get(other) {
                if column[other].is_none() {
                    column[other] = Some(here + step);
                    queue.push_back(other);
                }
            }
        }
    }
    // Nodes the walk did not reach (none in a connected trace) go to the first column.
    let lowest = column.iter().flatten().copied().min().unwrap_or(0);
    let mut columns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (position, assigned) in column.iter().enumerate() {
        let column = usize::try_from(assigned.unwrap_or(lowest) - lowest).unwrap_or(0);
        columns.entry(column).or_default().push(position);
    }
    let mut places = vec![(0, 0); lineage.nodes.len()];
    let mut order = Vec::with_capacity(lineage.nodes.len());
    let mut rows = 0;
    for (column, members) in &mut columns {
        members.sort_by(|left, right| {
            let (left, right) = (&lineage.nodes[*left], &lineage.nodes[*right]);
            (left.event_time, &left.key).cmp(&(right.event_time, &right.key))
        });
        for (row, member) in members.iter().enumerate() {
            places[*member] = (*column, row);
            order.push(*member);
        }
        rows = rows.max(members.len());
    }
    Layout {
        places,
        size: (columns.len(), rows),
        order,
    }
}

const BOX_WIDTH: f64 = 200.0;
const BOX_HEIGHT: f64 = 58.0;
const COLUMN: f64 = 250.0;
const ROW: f64 = 78.0;
const MARGIN: f64 = 12.0;

fn svg(
    web: &Web,
    lineage: &Lineage,
    layout: &Layout,
    names: &HashMap<String, String>,
    direction: &str,
    depth: &str,
) -> Markup {
    let width = MARGIN * 2.0 + COLUMN * (layout.size.0.max(1) as f64 - 1.0) + BOX_WIDTH;
    let height = MARGIN * 2.0 + ROW * (layout.size.1.max(1) as f64 - 1.0) + BOX_HEIGHT;
    let origin = |position: usize| {
        let (column, row) = layout.places[position];
        (MARGIN + column as f64 * COLUMN, MARGIN + row as f64 * ROW)
    };
    let index: HashMap<&str, usize> = lineage
        .nodes
        .iter()
        .enumerate()
        .map(|(position, node)| (node.key.as_str(), position))
        .collect();
    let description = match web.language {
        Language::Ja => format!("{} の工程と対象 {} 件", lineage.root, lineage.nodes.len()),
        Language::En => format!("{} steps and objects around {}", lineage.nodes.len(), lineage.root),
    };
    html! {
        svg.lineage xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width=(width) role="group" aria-labelledby="graph-heading" aria-describedby="lineage-description" {
            desc #lineage-description { (description) }
            @for edge in &lineage.edges {
                @if let (Some(&from), Some(&to)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) {
                    @let (from_x, from_y) = origin(from);
                    @let (to_x, to_y) = origin(to);
                    @let (start, end) = ((from_x + BOX_WIDTH, from_y + BOX_HEIGHT / 2.0), (to_x, to_y + BOX_HEIGHT / 2.0));
                    @let (start, end) = if end.0 < start.0 { ((from_x, start.1), (to_x + BOX_WIDTH, end.1)) } else { (start, end) };
                    @let middle = (start.0 + end.0) / 2.0;
                    path.edge data-from=(edge.from) data-to=(edge.to) d={ "M" (start.0) "," (start.1) " C" (middle) "," (start.1) " " (middle) "," (end.1) " " (end.0) "," (end.1) } {
                        title { (edge_title(web.language, &edge.relation, edge.quantity.as_deref(), edge.uom.as_deref())) }
                    }
                    @if let Some(quantity) = &edge.quantity {
                        text x=(middle) y=((start.1 + end.1) / 2.0 - 4.0) text-anchor="middle" { (i18n::number_text(quantity)) " " (edge.uom.as_deref().unwrap_or("")) }
                    }
                }
            }
            @for (position, node) in lineage.nodes.iter().enumerate() {
                @let (x, y) = origin(position);
                @let class = node_class(node, &lineage.root);
                @let (first, second) = node_lines(web.language, node, names.get(&node.key).map(String::as_str));
                @if let Some(identifier) = &node.identifier {
                    a href={ "/app/lineage?" (lineage_query(identifier)) "&direction=" (direction) "&depth=" (depth) } data-node=(node.key) class=(class) {
                        title { (identifier) }
                        rect x=(x) y=(y) width=(BOX_WIDTH) height=(BOX_HEIGHT) rx="6" {}
                        text x=(x + 8.0) y=(y + 22.0) { (first) }
                        text x=(x + 8.0) y=(y + 42.0) { (second) }
                    }
                } @else {
                    g data-node=(node.key) class=(class) {
                        title { (first) " — " (second) }
                        rect x=(x) y=(y) width=(BOX_WIDTH) height=(BOX_HEIGHT) rx="6" {}
                        text x=(x + 8.0) y=(y + 22.0) { (first) }
                        text x=(x + 8.0) y=(y + 42.0) { (second) }
                    }
                }
            }
        }
    }
}

fn node_class(node: &Node, root: &str) -> String {
    let kind = match node.kind.as_str() {
        "event" => "node event",
        "withheld_event" | "withheld_object" => "node withheld",
        _ => "node object",
    };
    if node.identifier.as_deref() == Some(root) {
        format!("{kind} root")
    } else {
        kind.to_owned()
    }
}

fn kind_label(node: &Node) -> Text {
    match node.kind.as_str() {
        "event" => EVENT,
        "withheld_event" => WITHHELD_EVENT,
        "withheld_object" => WITHHELD_OBJECT,
        _ => OBJECT,
    }
}

/// An event's step, in words.
fn event_label(language: Language, node: &Node) -> String {
    if node.kind.starts_with("withheld") {
        return language.pick(kind_label(node)).to_owned();
    }
    node.biz_step
        .as_deref()
        .map(|step| i18n::business_step_label(language, step))
        .or_else(|| {
            node.event_type
                .as_deref()
                .map(|event_type| language.pick(i18n::event_type(event_type)).to_owned())
        })
        .unwrap_or_default()
}

/// The two lines of text of a node's box (shortened to fit; the full text is in its title).
fn node_lines(language: Language, node: &Node, organization: Option<&str>) -> (String, String) {
    // Identifiers are told apart by their end (serials, lots); names by their start.
    let head = |text: &str, limit: usize| {
        if text.chars().count() <= limit {
            text.to_owned()
        } else {
            format!("{}…", text.chars().take(limit - 1).collect::<String>())
        }
    };
    let shorten = |text: &str, limit: usize| {
        if text.chars().count() <= limit {
            text.to_owned()
        } else {
            let tail: String = text
                .chars()
                .rev()
                .take(limit - 1)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{tail}")
        }
    };
    match node.kind.as_str() {
        "object" => (
            shorten(node.identifier.as_deref().unwrap_or_default(), 26),
            language.pick(OBJECT).to_owned(),
        ),
        "event" => (
            head(&event_label(language, node), 24),
            head(organization.unwrap_or_default(), 24),
        ),
        "withheld_event" => (
            language.pick(WITHHELD_EVENT).to_owned(),
            head(organization.unwrap_or_default(), 24),
        ),
        _ => (language.pick(WITHHELD_OBJECT).to_owned(), String::new()),
    }
}

fn edge_title(language: Language, relation: &str, quantity: Option<&str>, uom: Option<&str>) -> String {
    let relation = match (language, relation) {
        (Language::Ja, "input") => "投入",
        (Language::Ja, "output") => "産出",
        (Language::Ja, "child") => "組込み",
        (Language::Ja, "parent") => "集約先",
        (Language::Ja, _) => "観測",
        (Language::En, "input") => "input",
        (Language::En, "output") => "output",
        (Language::En, "child") => "packed into",
        (Language::En, "parent") => "aggregate",
        (Language::En, _) => "observed",
    };
    match quantity {
        Some(quantity) => format!("{relation}: {} {}", i18n::number_text(quantity), uom.unwrap_or("")),
        None => relation.to_owned(),
    }
}

/// A share between 0 and 1 as a percentage with the decimals it has.
fn share_percent(share: &str) -> String {
    match share.parse::<rust_decimal::Decimal>() {
        Ok(value) => format!("{} %", i18n::rounded(&(value * rust_decimal::Decimal::ONE_HUNDRED), 2)),
        Err(_) => share.to_owned(),
    }
}
