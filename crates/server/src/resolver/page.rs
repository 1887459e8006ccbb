//! The passport page for people (製品パスポートのページ): one HTML document with the node's
//! embedded stylesheet (no script, nothing from another origin, the QR code as inline SVG) that
//! reads well on a phone, in Japanese by default or English. Its parts ([`heading`],
//! [`sections`], [`qr_section`]) also make the workspace's full passport page, so the two never
//! render a passport differently. Written with maud: every value from data, profiles or the
//! request is escaped.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::Value;

use junkan_model::access::AccessLevel;
use junkan_model::passport::Passport;
use junkan_passport::profile::parse_pointer;
use junkan_passport::{CompiledProfile, FieldSpec, InformationItem};

use super::links::{summary_facts, Link};
use super::Language;
use crate::web::i18n::{access_level, date_time, other, own_name};
use crate::web::layout::head;

/// A fixed text of the page in Japanese and English.
type Text = (&'static str, &'static str);

const SUMMARY: Text = ("概要", "Summary");
const STATUS: Text = ("状態", "Status");
const IDENTIFIER: Text = ("識別子", "Identifier");
const WITHHELD_VALUE: Text = ("非公開", "Withheld");
const NOTHING_WITHHELD: Text = (
    "この閲覧レベルで非公開の項目はありません。",
    "Nothing is withheld at this access level.",
);
const WITHHELD_HEADING: Text = ("非公開の項目", "Withheld information");
const OTHER_VALUES: Text = ("その他の値", "Other values");
const QR_HEADING: Text = ("QRコード（GS1 Digital Link）", "QR code (GS1 Digital Link)");
const MACHINE_HEADING: Text = ("機械可読な形式", "Machine-readable forms");
const YES: Text = ("はい", "Yes");
const NO: Text = ("いいえ", "No");
const LINKSET: Text = ("リンクセット（RFC 9264）", "Linkset (RFC 9264)");
const SKIP: Text = ("本文へ移動", "Skip to main content");
const COPY: Text = ("コピー", "Copy");
const COPIED: Text = ("コピーしました", "Copied");

fn summary_label(name: &str) -> Text {
    match name {
        "name" => ("名称", "Name"),
        "description" => ("説明", "Description"),
        "production_date" => ("製造日", "Production date"),
        "country_of_production" => ("生産国", "Country of production"),
        "carbon_footprint" => ("カーボンフットプリント（kg CO2e）", "Carbon footprint (kg CO2e)"),
        "recycled_content" => ("再生材含有率（%）", "Recycled content (%)"),
        "mass" => ("質量（kg）", "Mass (kg)"),
        _ => ("その他", "Other"),
    }
}

fn withheld_line(language: Language, level: AccessLevel, count: usize, labels: &str) -> String {
    let level = language.pick(access_level(level));
    match language {
        Language::Ja => format!("この閲覧レベル（{level}）では次の{count}項目が非公開です: {labels}"),
        Language::En => format!("At this access level ({level}), {count} items are withheld: {labels}"),
    }
}

fn fallback_line(language: Language, requested: &str, granularity: &str) -> String {
    let level = match (language, granularity) {
        (Language::Ja, "model") => "製品モデル",
        (Language::Ja, "batch") => "ロット",
        (Language::Ja, _) => "個体",
        (Language::En, "model") => "product model",
        (Language::En, "batch") => "batch",
        (Language::En, _) => "item",
    };
    match language {
        Language::Ja => format!("{requested} 固有のパスポートはないため、{level}のパスポートを表示しています。"),
        Language::En => format!("There is no passport of {requested} itself; this is the passport of its {level}."),
    }
}

/// Everything the page shows.
#[derive(Debug, Clone, Copy)]
pub struct PageInput<'a> {
    /// The passport as the reader sees it.
    pub passport: &'a Passport,
    /// Its profile.
    pub profile: &'a CompiledProfile,
    /// The requested identifier (canonical); differs from the passport's on a fallback.
    pub requested: &'a str,
    /// The passport's links, in the page's language.
    pub links: &'a [Link],
    /// The page's language.
    pub language: Language,
    /// The QR code as an SVG document.
    pub qr_svg: &'a str,
    /// The passport's conformity certificates the reader may see, verified.
    pub certificates: &'a [crate::web::certificates::CertificateRow],
    /// The verification status of the passport version's own signature (its owner's credential).
    pub signature: &'a crate::certificates::CertificateCheck,
}

/// The passport's name as the page titles it: its summary name, else its identifier.
pub fn passport_name(passport: &Passport, profile: &CompiledProfile) -> String {
    match summary_facts(passport, &profile.profile.summary).get("name") {
        Some(Value::String(name)) => name.clone(),
        _ => passport.identifier.clone(),
    }
}

/// The public page (the page a QR code opens): the node's stylesheet, no script, every value
/// escaped, readable on a phone. The workspace's full passport page shows the same parts.
pub fn render(input: PageInput<'_>) -> String {
    let PageInput {
        passport,
        profile,
        links,
        language,
        ..
    } = input;
    let text = |pair: Text| language.pick(pair);
    let title = passport_name(passport, profile);
    let other = other(language);
    let href_of = |curie: &str, hreflang: Option<&str>| {
        links
            .iter()
            .find(|link| link.link_type.curie == curie && hreflang.is_none_or(|tag| link.hreflang == [tag]))
            .map(|link| link.href.clone())
            .unwrap_or_default()
    };
    let other_href = href_of("gs1:pip", Some(other.tag()));
    let head_links = html! {
        link rel="alternate" type="application/ld+json" href=(href_of("gs1:masterData", None));
        link rel="alternate" hreflang=(other.tag()) href=(other_href);
    };
    let linkset = links
        .first()
        .map(|link| link.href.split('?').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let document = html! {
        (DOCTYPE)
        html lang=(language.tag()) {
            (head(&format!("{title} – {}", profile.profile.name.get(language.tag())), language, false, head_links))
            body {
                a.skip href="#main" { (text(SKIP)) }
                main #main .narrow tabindex="-1" {
                    (heading(input, html! {
                        p.lang { a href=(other_href) hreflang=(other.tag()) lang=(other.tag()) { (own_name(other)) } }
                    }))
                    (sections(passport, profile, language))
                    (crate::web::certificates::signature_section(language, input.signature))
                    (crate::web::certificates::passport_section(language, input.certificates))
                    (qr_section(language, &passport.identifier, input.qr_svg))
                    nav.machine aria-labelledby="machine-heading" {
                        h2 #machine-heading { (text(MACHINE_HEADING)) }
                        ul {
                            @for curie in ["gs1:masterData", "untp:dpp", "gs1:traceability"] {
                                @if let Some(link) = links.iter().find(|link| link.link_type.curie == curie) {
                                    li { a href=(link.href) type=(link.media_type) { (link.title) } }
                                }
                            }
                            li { a href={ (linkset) "?linkType=linkset" } type="application/linkset+json" { (text(LINKSET)) } }
                        }
                    }
                    footer {
                        p { (version_line(language, passport)) }
                    }
                }
            }
        }
    };
    document.into_string()
}

/// "Version n / updated ..." of the version shown.
pub fn version_line(language: Language, passport: &Passport) -> String {
    let updated = date_time(language, passport.version_created_at);
    match language {
        Language::Ja => format!("版: {} / 更新日時: {updated}", passport.version),
        Language::En => format!("Version: {} / Updated: {updated}", passport.version),
    }
}

/// The passport's header: profile, name, status, identifier, and the fallback note; `extra` comes
/// first (the public page's language link).
pub fn heading(input: PageInput<'_>, extra: Markup) -> Markup {
    let PageInput {
        passport,
        profile,
        requested,
        language,
        ..
    } = input;
    let text = |pair: Text| language.pick(pair);
    html! {
        header.passport {
            (extra)
            p.profile { (profile.profile.name.get(language.tag())) }
            h1 { (passport_name(passport, profile)) }
            p.status { (text(STATUS)) ": " span { (language.pick(passport.status.labels())) } }
            p { (text(IDENTIFIER)) ": " code data-copy data-copy-label=(text(COPY)) data-copied-label=(text(COPIED)) { (passport.identifier) } }
            @if passport.identifier != requested {
                p.note { (fallback_line(language, requested, passport.granularity.as_str())) }
            }
        }
    }
}

/// The passport's data as the reader may see it: the summary, one section per information item
/// with its fields' values (or "withheld"), and what was withheld at this access level.
pub fn sections(passport: &Passport, profile: &CompiledProfile, language: Language) -> Markup {
    let text = |pair: Text| language.pick(pair);
    let facts = summary_facts(passport, &profile.profile.summary);
    let withheld = withheld_labels(passport, profile, language);
    let separator = match language {
        Language::Ja => "、",
        Language::En => ", ",
    };
    html! {
        @if !facts.is_empty() {
            section #summary {
                h2 { (text(SUMMARY)) }
                dl {
                    @for (fact, value) in &facts {
                        dt { (text(summary_label(fact))) }
                        dd { (scalar_text(value, language)) }
                    }
                }
            }
        }
        @for item in InformationItem::ALL {
            @let rows: Vec<Markup> = profile
                .profile
                .fields
                .iter()
                .filter(|field| field.information == item)
                .filter_map(|field| field_row(field, passport, profile, language))
                .collect();
            @if !rows.is_empty() {
                section id=(item_anchor(item)) {
                    h2 { (language.pick(item.labels())) }
                    dl { @for row in rows { (row) } }
                }
            }
        }
        section #withheld {
            h2 { (text(WITHHELD_HEADING)) }
            @if withheld.is_empty() {
                p { (text(NOTHING_WITHHELD)) }
            } @else {
                p.withheld { (withheld_line(language, passport.access_level, withheld.len(), &withheld.join(separator))) }
            }
        }
    }
}

/// The QR code section (the SVG document inline, its XML declaration dropped).
pub fn qr_section(language: Language, identifier: &str, qr_svg: &str) -> Markup {
    let svg = qr_svg
        .trim_start()
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>"))
        .map_or(qr_svg, |(_, svg)| svg.trim_start());
    html! {
        section #qr {
            h2 { (language.pick(QR_HEADING)) }
            figure.qr role="img" aria-label=(identifier) { (PreEscaped(svg)) }
        }
    }
}

fn item_anchor(item: InformationItem) -> &'static str {
    match item {
        InformationItem::Identification => "identification",
        InformationItem::Composition => "composition",
        InformationItem::EnvironmentalValue => "environmental_value",
        InformationItem::RemainingValue => "remaining_value",
        InformationItem::Waste => "waste",
        InformationItem::RecycledMaterial => "recycled_material",
        InformationItem::Availability => "availability",
    }
}

/// The row of one field: its label, and its values in the reader's view, or "withheld".
fn field_row(field: &FieldSpec, passport: &Passport, profile: &CompiledProfile, language: Language) -> Option<Markup> {
    let pattern = parse_pointer(&field.pointer).ok()?;
    let mut found = Vec::new();
    collect(&passport.data, &pattern, &mut Vec::new(), &mut found);
    let label = field.label.get(language.tag());
    if found.is_empty() {
        let withheld = passport.withheld.iter().any(|pointer| covers(pointer, &pattern));
        return withheld.then(|| {
            html! { dt { (label) } dd.withheld { (language.pick(WITHHELD_VALUE)) } }
        });
    }
    let unit = field.unit.as_deref();
    let mut values: Vec<(Markup, bool)> = Vec::new();
    for (mut path, value) in found {
        let rendered = render_value(value, &mut path, field, profile, language);
        if rendered.0.is_empty() {
            continue;
        }
        let scalar = !(value.is_object() || value.is_array());
        values.push((rendered, scalar));
    }
    if values.is_empty() {
        return None;
    }
    // A unit goes after each scalar value; when no value carries it, the label says it.
    let unit_in_values = unit.is_some() && values.iter().any(|(_, scalar)| *scalar);
    let value_markup = |(value, scalar): &(Markup, bool)| match (unit, scalar) {
        (Some(unit), true) => html! { (value) " " (unit) },
        _ => html! { (value) },
    };
    Some(html! {
        dt {
            (label)
            @if let (Some(unit), false) = (unit, unit_in_values) { "（" (unit) "）" }
        }
        @if values.len() == 1 {
            dd { (value_markup(&values[0])) }
        } @else {
            dd { ul { @for value in &values { li { (value_markup(value)) } } } }
        }
    })
}

/// The values at `pattern` (segments, `*` for any index) with their concrete paths.
fn collect<'a>(
    value: &'a Value,
    pattern: &[String],
    path: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, &'a Value)>,
) {
    let Some((first, rest)) = pattern.split_first() else {
        found.push((path.clone(), value));
        return;
    };
    match value {
        Value::Object(map) => {
            if let Some(child) = map.get(first) {
                path.push(first.clone());
                collect(child, rest, path, found);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if first == "*" || first == &index.to_string() {
                    path.push(index.to_string());
                    collect(item, rest, path, found);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// Whether the withheld value at `pointer` is the field `pattern` or holds it.
fn covers(pointer: &str, pattern: &[String]) -> bool {
    let Ok(segments) = parse_pointer(pointer) else {
        // The whole data (pointer "") was withheld.
        return pointer.is_empty();
    };
    segments.len() <= pattern.len()
        && segments
            .iter()
            .zip(pattern)
            .all(|(segment, expected)| expected == "*" || segment == expected)
}

/// A value as HTML: scalars as text, arrays as lists, objects as `key: value` lists; parts that
/// another field governs are left to that field's row.
fn render_value(
    value: &Value,
    path: &mut Vec<String>,
    field: &FieldSpec,
    profile: &CompiledProfile,
    language: Language,
) -> Markup {
    let own = |path: &[String]| {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        profile
            .field_at(&segments)
            .is_some_and(|governing| governing.pointer == field.pointer)
    };
    match value {
        Value::Array(items) => {
            let mut parts = Vec::new();
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                if own(path) {
                    let rendered = render_value(item, path, field, profile, language);
                    if !rendered.0.is_empty() {
                        parts.push(rendered);
                    }
                }
                path.pop();
            }
            if parts.is_empty() {
                html! {}
            } else {
                html! { ul { @for part in parts { li { (part) } } } }
            }
        }
        Value::Object(map) => {
            let mut parts = Vec::new();
            for (key, item) in map {
                path.push(key.clone());
                if own(path) {
                    let rendered = render_value(item, path, field, profile, language);
                    if !rendered.0.is_empty() {
                        parts.push(html! { (key) ": " (rendered) });
                    }
                }
                path.pop();
            }
            match parts.len() {
                0 => html! {},
                1 => parts.remove(0),
                _ => html! { ul { @for part in parts { li { (part) } } } },
            }
        }
        scalar => scalar_text(scalar, language),
    }
}

/// A scalar as escaped text (objects and arrays, which summaries should not name, as JSON).
fn scalar_text(value: &Value, language: Language) -> Markup {
    match value {
        Value::String(text) => html! { (text) },
        Value::Number(number) => html! { (number) },
        Value::Bool(true) => html! { (language.pick(YES)) },
        Value::Bool(false) => html! { (language.pick(NO)) },
        Value::Null => html! { "—" },
        other => html! { (other.to_string()) },
    }
}

/// The labels of what is withheld from this reader (by the governing field), unique, in order.
fn withheld_labels(passport: &Passport, profile: &CompiledProfile, language: Language) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for pointer in &passport.withheld {
        let segments = parse_pointer(pointer).unwrap_or_default();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let label = profile.field_at(&segments).map_or_else(
            || language.pick(OTHER_VALUES).to_owned(),
            |field| field.label.get(language.tag()).to_owned(),
        );
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_from_data_are_escaped() {
        let hostile = Value::String("<script>alert('x')</script> & \"y\"".to_owned());
        assert_eq!(
            scalar_text(&hostile, Language::Ja).into_string(),
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(scalar_text(&Value::Bool(true), Language::En).into_string(), "Yes");
        assert_eq!(scalar_text(&Value::Null, Language::En).into_string(), "—");
    }

    #[test]
    fn withheld_pointers_cover_their_fields() {
        let pattern: Vec<String> = ["plasticParts", "*", "mass"].iter().map(|s| (*s).to_owned()).collect();
        assert!(covers("/plasticParts/0/mass", &pattern));
        assert!(covers("/plasticParts", &pattern));
        assert!(!covers("/plasticParts/0/polymer", &pattern));
        assert!(covers("", &pattern));
    }
}
