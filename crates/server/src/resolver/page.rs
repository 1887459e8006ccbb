//! The passport page for people (製品パスポートのページ): one self-contained HTML document (inline
//! CSS, the QR code as inline SVG, no scripts, no external assets) that reads well on a phone,
//! in Japanese by default or English. Every text that comes from data, profiles or the request
//! goes through [`escape`].

use std::fmt::Write;

use serde_json::Value;

use junkan_model::access::AccessLevel;
use junkan_model::passport::Passport;
use junkan_passport::profile::parse_pointer;
use junkan_passport::{CompiledProfile, FieldSpec, InformationItem};

use super::links::{summary_facts, Link};
use super::Language;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 8);
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

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
const VERSION: Text = ("版", "Version");
const UPDATED: Text = ("更新日時", "Updated");
const YES: Text = ("はい", "Yes");
const NO: Text = ("いいえ", "No");
const LINKSET: Text = ("リンクセット（RFC 9264）", "Linkset (RFC 9264)");

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

fn access_label(level: AccessLevel) -> Text {
    match level {
        AccessLevel::Public => ("一般公開", "public"),
        AccessLevel::LegitimateInterest => ("正当な利益を有する者", "legitimate interest"),
        AccessLevel::Authority => ("当局", "authority"),
        AccessLevel::Owner => ("所有者", "owner"),
    }
}

fn withheld_line(language: Language, level: AccessLevel, count: usize, labels: &str) -> String {
    let level = language.pick(access_label(level));
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
}

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font-family:system-ui,-apple-system,'Hiragino Sans','Noto Sans JP',sans-serif;line-height:1.6;color:#1b1b1b;background:#f4f6f4}\
main{max-width:48rem;margin:0 auto;padding:1rem}\
header,section,nav{background:#fff;border-radius:.5rem;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}\
h1{font-size:1.5rem;margin:.25rem 0;overflow-wrap:anywhere}\
h2{font-size:1.1rem;margin:0 0 .5rem;color:#1f5f3a}\
.profile{margin:0;color:#555;font-size:.9rem}\
.lang{float:right;margin:0}\
.status span{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#e3f1e7;color:#1f5f3a}\
code{font-size:.85rem;overflow-wrap:anywhere}\
dl{display:grid;grid-template-columns:minmax(8rem,1fr) 2fr;gap:.25rem 1rem;margin:0}\
dt{color:#555}\
dd{margin:0;overflow-wrap:anywhere}\
dd ul{margin:0;padding-left:1.1rem}\
.withheld{color:#8a5a00}\
.note{background:#fff8e1;padding:.5rem;border-radius:.25rem}\
figure{margin:0;max-width:16rem}\
figure svg{width:100%;height:auto}\
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}";

/// The page.
pub fn render(input: PageInput<'_>) -> String {
    let PageInput {
        passport,
        profile,
        requested,
        links,
        language,
        qr_svg,
    } = input;
    let text = |pair: Text| language.pick(pair);
    let facts = summary_facts(passport, &profile.profile.summary);
    let name = match facts.get("name") {
        Some(Value::String(name)) => name.clone(),
        _ => passport.identifier.clone(),
    };
    let profile_name = profile.profile.name.get(language.tag());
    let other = match language {
        Language::Ja => Language::En,
        Language::En => Language::Ja,
    };
    let href_of = |curie: &str, hreflang: Option<&str>| {
        links
            .iter()
            .find(|link| link.link_type.curie == curie && hreflang.is_none_or(|tag| link.hreflang == [tag]))
            .map(|link| escape(&link.href))
            .unwrap_or_default()
    };

    let mut html = String::with_capacity(16 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – {profile}</title>\n\
         <link rel=\"alternate\" type=\"application/ld+json\" href=\"{jsonld}\">\n\
         <link rel=\"alternate\" hreflang=\"{other}\" href=\"{other_href}\">\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<main>\n<header>\n\
         <p class=\"lang\"><a href=\"{other_href}\" hreflang=\"{other}\" lang=\"{other}\">{other_name}</a></p>\n\
         <p class=\"profile\">{profile}</p>\n<h1>{title}</h1>\n\
         <p class=\"status\">{status_label}: <span>{status}</span></p>\n\
         <p>{identifier_label}: <code>{identifier}</code></p>\n",
        lang = language.tag(),
        title = escape(&name),
        profile = escape(profile_name),
        jsonld = href_of("gs1:masterData", None),
        other = other.tag(),
        other_href = href_of("gs1:pip", Some(other.tag())),
        other_name = match other {
            Language::Ja => "日本語",
            Language::En => "English",
        },
        status_label = text(STATUS),
        status = escape(language.pick(passport.status.labels())),
        identifier_label = text(IDENTIFIER),
        identifier = escape(&passport.identifier),
    );
    if passport.identifier != requested {
        let _ = writeln!(
            html,
            "<p class=\"note\">{}</p>",
            escape(&fallback_line(language, requested, passport.granularity.as_str()))
        );
    }
    html.push_str("</header>\n");

    if !facts.is_empty() {
        let _ = write!(html, "<section id=\"summary\">\n<h2>{}</h2>\n<dl>\n", text(SUMMARY));
        for (fact, value) in &facts {
            let _ = writeln!(
                html,
                "<dt>{}</dt><dd>{}</dd>",
                text(summary_label(fact)),
                scalar_text(value, language)
            );
        }
        html.push_str("</dl>\n</section>\n");
    }

    for item in InformationItem::ALL {
        let rows: Vec<String> = profile
            .profile
            .fields
            .iter()
            .filter(|field| field.information == item)
            .filter_map(|field| field_row(field, passport, profile, language))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            html,
            "<section id=\"{}\">\n<h2>{}</h2>\n<dl>\n{}</dl>\n</section>\n",
            item_anchor(item),
            escape(language.pick(item.labels())),
            rows.concat()
        );
    }

    let withheld = withheld_labels(passport, profile, language);
    let _ = write!(html, "<section id=\"withheld\">\n<h2>{}</h2>\n", text(WITHHELD_HEADING));
    if withheld.is_empty() {
        let _ = writeln!(html, "<p>{}</p>", text(NOTHING_WITHHELD));
    } else {
        let separator = match language {
            Language::Ja => "、",
            Language::En => ", ",
        };
        let line = withheld_line(
            language,
            passport.access_level,
            withheld.len(),
            &withheld.join(separator),
        );
        let _ = writeln!(html, "<p class=\"withheld\">{}</p>", escape(&line));
    }
    html.push_str("</section>\n");

    let svg = qr_svg
        .trim_start()
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>"))
        .map_or(qr_svg, |(_, svg)| svg.trim_start());
    let _ = write!(
        html,
        "<section id=\"qr\">\n<h2>{}</h2>\n<figure role=\"img\" aria-label=\"{}\">{svg}</figure>\n</section>\n",
        text(QR_HEADING),
        escape(&passport.identifier)
    );

    let _ = write!(html, "<nav>\n<h2>{}</h2>\n<ul>\n", text(MACHINE_HEADING));
    for curie in ["gs1:masterData", "untp:dpp", "gs1:traceability"] {
        if let Some(link) = links.iter().find(|link| link.link_type.curie == curie) {
            let _ = writeln!(
                html,
                "<li><a href=\"{}\" type=\"{}\">{}</a></li>",
                escape(&link.href),
                link.media_type,
                escape(&link.title)
            );
        }
    }
    let linkset = links
        .first()
        .map(|link| link.href.split('?').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let _ = write!(
        html,
        "<li><a href=\"{}?linkType=linkset\" type=\"application/linkset+json\">{}</a></li>\n</ul>\n</nav>\n",
        escape(&linkset),
        text(LINKSET)
    );
    let _ = write!(
        html,
        "<footer><p>{}: {} / {}: {}</p></footer>\n</main>\n</body>\n</html>\n",
        text(VERSION),
        passport.version,
        text(UPDATED),
        escape(
            &passport
                .version_created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        )
    );
    html
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
fn field_row(field: &FieldSpec, passport: &Passport, profile: &CompiledProfile, language: Language) -> Option<String> {
    let pattern = parse_pointer(&field.pointer).ok()?;
    let mut found = Vec::new();
    collect(&passport.data, &pattern, &mut Vec::new(), &mut found);
    let label = escape(field.label.get(language.tag()));
    if found.is_empty() {
        let withheld = passport.withheld.iter().any(|pointer| covers(pointer, &pattern));
        return withheld.then(|| {
            format!(
                "<dt>{label}</dt><dd class=\"withheld\">{}</dd>\n",
                language.pick(WITHHELD_VALUE)
            )
        });
    }
    let unit = field.unit.as_deref().map(escape);
    let mut values = Vec::new();
    for (mut path, value) in found {
        let rendered = render_value(value, &mut path, field, profile, language);
        if rendered.is_empty() {
            continue;
        }
        values.push(match (&unit, value.is_object() || value.is_array()) {
            (Some(unit), false) => format!("{rendered} {unit}"),
            _ => rendered,
        });
    }
    if values.is_empty() {
        return None;
    }
    let label = match (&unit, values.len()) {
        (Some(unit), _) if values.iter().all(|value| !value.ends_with(unit.as_str())) => format!("{label}（{unit}）"),
        _ => label,
    };
    Some(if values.len() == 1 {
        format!("<dt>{label}</dt><dd>{}</dd>\n", values[0])
    } else {
        format!(
            "<dt>{label}</dt><dd><ul><li>{}</li></ul></dd>\n",
            values.join("</li><li>")
        )
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
) -> String {
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
                    if !rendered.is_empty() {
                        parts.push(rendered);
                    }
                }
                path.pop();
            }
            if parts.is_empty() {
                String::new()
            } else {
                format!("<ul><li>{}</li></ul>", parts.join("</li><li>"))
            }
        }
        Value::Object(map) => {
            let mut parts = Vec::new();
            for (key, item) in map {
                path.push(key.clone());
                if own(path) {
                    let rendered = render_value(item, path, field, profile, language);
                    if !rendered.is_empty() {
                        parts.push(format!("{}: {rendered}", escape(key)));
                    }
                }
                path.pop();
            }
            match parts.len() {
                0 => String::new(),
                1 => parts.remove(0),
                _ => format!("<ul><li>{}</li></ul>", parts.join("</li><li>")),
            }
        }
        scalar => scalar_text(scalar, language),
    }
}

/// A scalar as escaped text (objects and arrays, which summaries should not name, as JSON).
fn scalar_text(value: &Value, language: Language) -> String {
    match value {
        Value::String(text) => escape(text),
        Value::Number(number) => number.to_string(),
        Value::Bool(true) => language.pick(YES).to_owned(),
        Value::Bool(false) => language.pick(NO).to_owned(),
        Value::Null => "—".to_owned(),
        other => escape(&other.to_string()),
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
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape("\" onmouseover=\"alert(1)"), "&quot; onmouseover=&quot;alert(1)");
        assert_eq!(escape("冷蔵庫 NR-F47K2"), "冷蔵庫 NR-F47K2");
        assert_eq!(escape("&amp;"), "&amp;amp;");
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
