//! Profiles as data: a JSON Schema for a passport's `data` plus metadata for each field (who may
//! read it, unit, Japanese and English labels, regulation, information item). A new industry adds
//! its passport by registering a profile file; no code changes.
//!
//! The access rule: a value's level is the `access` of the longest field pointer that is a prefix
//! of its location (segment by segment, `*` matching any array index, an exact segment preferred
//! over `*`); values under no field take the profile's `default_access`.

use std::collections::BTreeMap;

use jsonschema::Validator;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use junkan_model::access::AccessLevel;
use junkan_model::passport::Granularity;
use junkan_model::validation::{check_text, Violation, Violations};

/// A text in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// 日本語.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Localized {
    /// The text in `language` (`en`, or Japanese for anything else).
    pub fn get(&self, language: &str) -> &str {
        if language == "en" {
            &self.en
        } else {
            &self.ja
        }
    }
}

/// The information items the platform makes visible (循環に必要な製品・素材の情報).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InformationItem {
    /// 識別・基本情報 / identification and general information.
    Identification,
    /// 組成・含有化学物質 / composition and substances of concern.
    Composition,
    /// 環境価値 / environmental value (CFP, recycled content, circularity indicators).
    EnvironmentalValue,
    /// 残存価値 / remaining value (use and repair history).
    RemainingValue,
    /// 廃棄物情報 / waste details (model number, location, amount).
    Waste,
    /// 再生材の由来・品質 / origin and quality of recycled material.
    RecycledMaterial,
    /// 入手可能性 / where it can be had.
    Availability,
}

impl InformationItem {
    /// Every item, in display order.
    pub const ALL: [InformationItem; 7] = [
        InformationItem::Identification,
        InformationItem::Composition,
        InformationItem::EnvironmentalValue,
        InformationItem::RemainingValue,
        InformationItem::Waste,
        InformationItem::RecycledMaterial,
        InformationItem::Availability,
    ];

    /// Japanese and English labels.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            InformationItem::Identification => ("識別・基本情報", "Identification"),
            InformationItem::Composition => ("組成・含有化学物質", "Composition and substances of concern"),
            InformationItem::EnvironmentalValue => ("環境価値", "Environmental value"),
            InformationItem::RemainingValue => ("残存価値", "Remaining value"),
            InformationItem::Waste => ("廃棄物情報", "Waste details"),
            InformationItem::RecycledMaterial => ("再生材の由来・品質", "Origin and quality of recycled material"),
            InformationItem::Availability => ("入手可能性", "Availability"),
        }
    }
}

/// What a field search index is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchIndex {
    /// The values name materials (searched by `?material=`).
    Material,
}

/// Metadata of one field of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// RFC 6901 pointer into `data`; a segment `*` matches any array index.
    pub pointer: String,
    /// Who may read it.
    pub access: AccessLevel,
    /// Which information item it belongs to.
    pub information: InformationItem,
    /// Label.
    pub label: Localized,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    /// Unit, e.g. `kg` or `kg CO2e`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Regulation or standard reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regulation: Option<String>,
    /// Whether the value changes during the product's life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<bool>,
    /// The level at which the value is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<Granularity>,
    /// Reference to an external attribute list, e.g. `BatteryPass-1.2#12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// Search index the values feed (public fields only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchIndex>,
}

/// A profile document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Code: 2-60 lower-case letters, digits and underscores, starting with a letter.
    pub code: String,
    /// Version (semantic versioning, e.g. `1.2.0`).
    pub version: String,
    /// Industry code.
    pub industry: String,
    /// Name.
    pub name: Localized,
    /// Description.
    pub description: Localized,
    /// Granularities the profile allows.
    pub granularities: Vec<Granularity>,
    /// Level of values under no field.
    pub default_access: AccessLevel,
    /// JSON Schema of the data (draft-04, draft-07, 2019-09 or 2020-12; self-contained).
    #[schema(value_type = Object)]
    pub schema: Value,
    /// Field metadata.
    pub fields: Vec<FieldSpec>,
    /// Where the data holds the facts every passport page and export shows first.
    #[serde(default, skip_serializing_if = "Summary::is_empty")]
    pub summary: Summary,
    /// How the input of an indicator is built from a passport's data, per indicator name
    /// (`crate::inputs`): what `GET /api/v1/indicators/{name}?scope=product:<passport>` computes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub indicators: BTreeMap<String, Value>,
}

/// Pointers into the data for the facts shown first (page header, UNTP product and scorecards).
/// Values are read from the reader's view, so a summary never shows a withheld value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Product or material name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Production or manufacturing date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_date: Option<String>,
    /// Country of production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_production: Option<String>,
    /// Carbon footprint (kg CO2e per declared unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carbon_footprint: Option<String>,
    /// Recycled content share, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recycled_content: Option<String>,
    /// Mass, kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass: Option<String>,
}

impl Summary {
    /// Whether no pointer is set.
    pub fn is_empty(&self) -> bool {
        self.pointers().all(|(_, pointer)| pointer.is_none())
    }

    /// Each fact's name and pointer.
    pub fn pointers(&self) -> impl Iterator<Item = (&'static str, Option<&str>)> {
        [
            ("name", self.name.as_deref()),
            ("description", self.description.as_deref()),
            ("production_date", self.production_date.as_deref()),
            ("country_of_production", self.country_of_production.as_deref()),
            ("carbon_footprint", self.carbon_footprint.as_deref()),
            ("recycled_content", self.recycled_content.as_deref()),
            ("mass", self.mass.as_deref()),
        ]
        .into_iter()
    }
}

/// A profile ready for use: its schema compiled and its field table indexed.
#[derive(Debug)]
pub struct CompiledProfile {
    /// The document.
    pub profile: Profile,
    validator: Validator,
    tree: Node,
}

/// One level of the field table.
#[derive(Debug, Default)]
struct Node {
    /// The field whose pointer ends here.
    field: Option<usize>,
    /// The most open level of any field at or below this node.
    most_open: Option<AccessLevel>,
    children: BTreeMap<String, Node>,
}

const SCHEMA_DRAFTS: [&str; 8] = [
    "http://json-schema.org/draft-04/schema#",
    "http://json-schema.org/draft-04/schema",
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-07/schema",
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2020-12/schema#",
    "https://json-schema.org/draft/2019-09/schema#",
];

impl Profile {
    /// Reads a profile document and checks every rule, returning every violation (JSON pointers
    /// into the document).
    pub fn compile(document: &Value) -> Result<CompiledProfile, Vec<Violation>> {
        let profile: Profile = serde_json::from_value(document.clone())
            .map_err(|error| vec![Violation::new("", format!("not a profile document: {error}"))])?;
        profile.compiled()
    }

    /// Checks every rule and compiles the schema.
    pub fn compiled(self) -> Result<CompiledProfile, Vec<Violation>> {
        let mut violations = Violations::new();
        let code_ok = (2..=60).contains(&self.code.len())
            && self.code.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            violations.push(
                "/code",
                "a profile code is 2-60 lower-case letters, digits and underscores, starting with a letter",
            );
        }
        if !is_semver(&self.version) {
            violations.push("/version", "must be a semantic version such as 1.2.0");
        }
        for (path, text) in [("/name/ja", &self.name.ja), ("/name/en", &self.name.en)] {
            violations.check(path, check_text(text, 200));
        }
        for (path, text) in [
            ("/description/ja", &self.description.ja),
            ("/description/en", &self.description.en),
        ] {
            violations.check(path, check_text(text, 4000));
        }
        if self.granularities.is_empty() {
            violations.push("/granularities", "must name at least one of model, batch, item");
        }
        let validator = self.compile_schema(&mut violations);
        let mut seen = BTreeMap::new();
        for (index, field) in self.fields.iter().enumerate() {
            let at = |member: &str| format!("/fields/{index}/{member}");
            match parse_pointer(&field.pointer) {
                Err(message) => violations.push(at("pointer"), message),
                Ok(segments) => {
                    // Several attributes of an external list may live in one property; they
                    // share a pointer only when they share its access level.
                    if let Some(&first) = seen.get(&field.pointer) {
                        let first: &FieldSpec = &self.fields[first];
                        if first.access != field.access {
                            violations.push(
                                at("access"),
                                format!(
                                    "differs from the access of another field with the pointer {}",
                                    field.pointer
                                ),
                            );
                        }
                    } else {
                        seen.insert(field.pointer.clone(), index);
                    }
                    if !schema_has_path(&self.schema, &self.schema, &segments, 0) {
                        violations.push(
                            at("pointer"),
                            format!("{} names no property of the schema", field.pointer),
                        );
                    }
                }
            }
            violations.check(&at("label/ja"), check_text(&field.label.ja, 200));
            violations.check(&at("label/en"), check_text(&field.label.en, 200));
            if let Some(description) = &field.description {
                violations.check(&at("description/ja"), check_text(&description.ja, 4000));
                violations.check(&at("description/en"), check_text(&description.en, 4000));
            }
            if let Some(unit) = &field.unit {
                violations.check(&at("unit"), check_text(unit, 40));
            }
            if let Some(regulation) = &field.regulation {
                violations.check(&at("regulation"), check_text(regulation, 500));
            }
            if field.search.is_some() && field.access != AccessLevel::Public {
                violations.push(
                    at("search"),
                    "only public fields feed search indexes (a search must not reveal restricted values)",
                );
            }
        }
        for (name, pointer) in self.summary.pointers() {
            if let Some(pointer) = pointer {
                let known = parse_pointer(pointer)
                    .is_ok_and(|segments| schema_has_path(&self.schema, &self.schema, &segments, 0));
                if !known {
                    violations.push(
                        format!("/summary/{name}"),
                        format!("{pointer} names no property of the schema"),
                    );
                }
            }
        }
        for violation in crate::inputs::check_templates(&self.indicators) {
            violations.push(violation.path, violation.message);
        }
        violations.into_result()?;
        let validator = validator.expect("a schema that failed to compile was reported as a violation");
        let mut tree = Node::default();
        for (index, field) in self.fields.iter().enumerate() {
            let segments = parse_pointer(&field.pointer).expect("pointers were checked above");
            let mut node = &mut tree;
            note_open(node, field.access);
            for segment in segments {
                node = node.children.entry(segment).or_default();
                note_open(node, field.access);
            }
            node.field.get_or_insert(index);
        }
        Ok(CompiledProfile {
            profile: self,
            validator,
            tree,
        })
    }

    fn compile_schema(&self, violations: &mut Violations) -> Option<Validator> {
        if !self.schema.is_object() {
            violations.push("/schema", "must be a JSON Schema object");
            return None;
        }
        match self.schema.get("$schema").and_then(Value::as_str) {
            Some(draft) if SCHEMA_DRAFTS.contains(&draft) => {}
            _ => {
                violations.push(
                    "/schema/$schema",
                    "must name a JSON Schema draft: draft-04, draft-07, 2019-09 or 2020-12",
                );
                return None;
            }
        }
        if let Err(error) = jsonschema::meta::validate(&self.schema) {
            violations.push(
                format!("/schema{}", error.instance_path().as_str()),
                format!("not a valid JSON Schema: {error}"),
            );
            return None;
        }
        if self.schema.get("type").and_then(Value::as_str) != Some("object") {
            violations.push(
                "/schema/type",
                "the data of a passport is an object: the schema's type must be \"object\"",
            );
        }
        match jsonschema::options().should_validate_formats(true).build(&self.schema) {
            Ok(validator) => Some(validator),
            Err(error) => {
                violations.push("/schema", format!("the schema does not compile: {error}"));
                None
            }
        }
    }
}

fn note_open(node: &mut Node, level: AccessLevel) {
    node.most_open = Some(node.most_open.map_or(level, |open| open.min(level)));
}

fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    version.len() <= 40
        && parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
}

/// The segments of an RFC 6901 pointer (not empty: the whole document has no field entry).
pub fn parse_pointer(pointer: &str) -> Result<Vec<String>, String> {
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| format!("{pointer:?} is not a JSON pointer: it must start with /"))?;
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        let mut segment = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '~' {
                match chars.next() {
                    Some('0') => segment.push('~'),
                    Some('1') => segment.push('/'),
                    _ => return Err(format!("{pointer:?}: ~ must be followed by 0 or 1")),
                }
            } else {
                segment.push(c);
            }
        }
        if segment.is_empty() {
            return Err(format!("{pointer:?} has an empty segment"));
        }
        segments.push(segment);
    }
    Ok(segments)
}

pub use junkan_model::validation::escape_segment;

/// Whether `segments` name a property path of `schema` (following local `$ref`s, `properties`,
/// `items`, `allOf`/`anyOf`/`oneOf`, `additionalProperties` and `patternProperties`).
fn schema_has_path(root: &Value, schema: &Value, segments: &[String], depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let Some((first, rest)) = segments.split_first() else {
        return true;
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(target) = reference.strip_prefix('#').and_then(|pointer| root.pointer(pointer)) {
            if schema_has_path(root, target, segments, depth + 1) {
                return true;
            }
        }
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            if branches
                .iter()
                .any(|branch| schema_has_path(root, branch, segments, depth + 1))
            {
                return true;
            }
        }
    }
    if let Some(property) = schema.get("properties").and_then(|properties| properties.get(first)) {
        if schema_has_path(root, property, rest, depth + 1) {
            return true;
        }
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|value| value.is_object()) {
        if schema_has_path(root, additional, rest, depth + 1) {
            return true;
        }
    }
    if let Some(patterns) = schema.get("patternProperties").and_then(Value::as_object) {
        if patterns
            .values()
            .any(|pattern| schema_has_path(root, pattern, rest, depth + 1))
        {
            return true;
        }
    }
    let is_index = first == "*" || first.bytes().all(|byte| byte.is_ascii_digit());
    if is_index {
        if let Some(items) = schema.get("items") {
            let item = match items {
                Value::Array(tuple) => first.parse::<usize>().ok().and_then(|index| tuple.get(index)),
                single => Some(single),
            };
            if item.is_some_and(|item| schema_has_path(root, item, rest, depth + 1)) {
                return true;
            }
        }
    }
    false
}

/// The schema node at `segments` (following the same keywords as [`schema_has_path`]).
fn schema_at<'a>(root: &'a Value, schema: &'a Value, segments: &[String], depth: usize) -> Option<&'a Value> {
    if depth > 64 {
        return None;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(target) = reference.strip_prefix('#').and_then(|pointer| root.pointer(pointer)) {
            if let Some(found) = schema_at(root, target, segments, depth + 1) {
                return Some(found);
            }
        }
    }
    let Some((first, rest)) = segments.split_first() else {
        return Some(schema);
    };
    for combinator in ["allOf", "anyOf", "oneOf"] {
        if let Some(found) = schema.get(combinator).and_then(Value::as_array).and_then(|branches| {
            branches
                .iter()
                .find_map(|branch| schema_at(root, branch, segments, depth + 1))
        }) {
            return Some(found);
        }
    }
    if let Some(found) = schema
        .get("properties")
        .and_then(|properties| properties.get(first))
        .and_then(|property| schema_at(root, property, rest, depth + 1))
    {
        return Some(found);
    }
    if first.bytes().all(|byte| byte.is_ascii_digit()) {
        if let Some(items) = schema.get("items") {
            let item = match items {
                Value::Array(tuple) => first.parse::<usize>().ok().and_then(|index| tuple.get(index)),
                single => Some(single),
            };
            if let Some(found) = item.and_then(|item| schema_at(root, item, rest, depth + 1)) {
                return Some(found);
            }
        }
    }
    schema
        .get("additionalProperties")
        .filter(|value| value.is_object())
        .and_then(|additional| schema_at(root, additional, rest, depth + 1))
}

/// The JSON type(s) the schema gives the node at `segments`, following `$ref`s.
fn declared_types(root: &Value, segments: &[String]) -> Vec<String> {
    let mut node = schema_at(root, root, segments, 0);
    for _ in 0..16 {
        let Some(current) = node else { break };
        match current.get("type") {
            Some(Value::String(name)) => return vec![name.clone()],
            Some(Value::Array(names)) => {
                return names.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            }
            _ => {}
        }
        node = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer));
    }
    Vec::new()
}

/// What a reader may see of a passport's data.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The data with every value above the reader's level left out.
    pub data: Value,
    /// Pointers of what was left out (the topmost left-out values).
    pub withheld: Vec<String>,
}

impl CompiledProfile {
    /// Checks `data` against the schema; every problem, at `/data/...`.
    pub fn check_data(&self, data: &Value) -> Vec<Violation> {
        if self.validator.is_valid(data) {
            return Vec::new();
        }
        let mut violations: Vec<Violation> = self
            .validator
            .iter_errors(data)
            .map(|error| Violation::new(format!("/data{}", error.instance_path().as_str()), error.to_string()))
            .collect();
        violations.dedup();
        violations
    }

    /// The field whose pointer governs the value at `segments`, if any.
    pub fn field_at(&self, segments: &[&str]) -> Option<&FieldSpec> {
        let mut node = &self.tree;
        let mut governing = None;
        for segment in segments {
            let next = node
                .children
                .get(*segment)
                .or_else(|| is_index(segment).then(|| node.children.get("*")).flatten());
            match next {
                Some(next) => {
                    node = next;
                    if let Some(field) = next.field {
                        governing = Some(field);
                    }
                }
                None => break,
            }
        }
        governing.map(|index| &self.profile.fields[index])
    }

    /// The part of `data` a reader at `level` may see.
    pub fn view(&self, data: &Value, level: AccessLevel) -> View {
        let mut withheld = Vec::new();
        let data = filter(
            data,
            Some(&self.tree),
            self.profile.default_access,
            level,
            &mut String::new(),
            &mut withheld,
            &self.profile.fields,
        )
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        View { data, withheld }
    }

    /// A table cell's text as the JSON value the schema expects at `pointer` (numbers, booleans,
    /// and JSON text for arrays and objects; strings as they are).
    pub fn cell_value(&self, pointer: &str, text: &str) -> Result<Value, String> {
        let segments = parse_pointer(pointer)?;
        let types = declared_types(&self.profile.schema, &segments);
        let is = |name: &str| types.iter().any(|declared| declared == name);
        if is("integer") || is("number") {
            if let Ok(number) = text.trim().parse::<i64>() {
                return Ok(Value::from(number));
            }
            if let Some(number) = text.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                return Ok(Value::Number(number));
            }
            if !is("string") {
                return Err(format!("{text:?} is not a number"));
            }
        }
        if is("boolean") {
            match text.trim() {
                "true" => return Ok(Value::Bool(true)),
                "false" => return Ok(Value::Bool(false)),
                _ if !is("string") => return Err(format!("{text:?} is neither true nor false")),
                _ => {}
            }
        }
        if is("array") || is("object") {
            return serde_json::from_str(text).map_err(|error| format!("is not JSON: {error}"));
        }
        Ok(Value::String(text.to_owned()))
    }

    /// The material names in public material fields of `data`, lower-cased, sorted, unique.
    pub fn materials(&self, data: &Value) -> Vec<String> {
        let mut found = Vec::new();
        for field in &self.profile.fields {
            if field.search == Some(SearchIndex::Material) {
                let segments = parse_pointer(&field.pointer).unwrap_or_default();
                collect_strings(data, &segments, &mut found);
            }
        }
        let mut names: Vec<String> = found
            .into_iter()
            .map(|name| name.trim().to_lowercase())
            .filter(|name| !name.is_empty() && name.chars().count() <= 200)
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit())
}

fn collect_strings(value: &Value, segments: &[String], found: &mut Vec<String>) {
    match segments.split_first() {
        None => match value {
            Value::String(text) => found.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| collect_strings(item, &[], found)),
            _ => {}
        },
        Some((first, rest)) => match value {
            Value::Object(map) => {
                if let Some(child) = map.get(first) {
                    collect_strings(child, rest, found);
                }
            }
            Value::Array(items) if first == "*" => {
                items.iter().for_each(|item| collect_strings(item, rest, found));
            }
            Value::Array(items) => {
                if let Some(item) = first.parse::<usize>().ok().and_then(|index| items.get(index)) {
                    collect_strings(item, rest, found);
                }
            }
            _ => {}
        },
    }
}

/// Filters `value` (at `path`, governed so far by `inherited`) for a reader at `reader`. `None`
/// when nothing of it may be shown.
fn filter(
    value: &Value,
    node: Option<&Node>,
    inherited: AccessLevel,
    reader: AccessLevel,
    path: &mut String,
    withheld: &mut Vec<String>,
    fields: &[FieldSpec],
) -> Option<Value> {
    let level = node
        .and_then(|node| node.field)
        .map_or(inherited, |index| fields[index].access);
    let readable = level <= reader;
    // Nothing at or below here opens up to the reader: leave the whole value out.
    let opens_below = node.is_some_and(|node| node.most_open.is_some_and(|open| open <= reader));
    if !readable && !opens_below {
        withheld.push(path.clone());
        return None;
    }
    let child = |key: &str| {
        node.and_then(|node| {
            node.children
                .get(key)
                .or_else(|| is_index(key).then(|| node.children.get("*")).flatten())
        })
    };
    let filtered = match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, item) in map {
                let length = path.len();
                path.push('/');
                path.push_str(&escape_segment(key));
                if let Some(kept) = filter(item, child(key), level, reader, path, withheld, fields) {
                    out.insert(key.clone(), kept);
                }
                path.truncate(length);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let key = index.to_string();
                let length = path.len();
                path.push('/');
                path.push_str(&key);
                if let Some(kept) = filter(item, child(&key), level, reader, path, withheld, fields) {
                    out.push(kept);
                }
                path.truncate(length);
            }
            Value::Array(out)
        }
        scalar => {
            if readable {
                scalar.clone()
            } else {
                withheld.push(path.clone());
                return None;
            }
        }
    };
    // A container the reader may not see is shown only for what opened up inside it.
    let empty = match &filtered {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    if !readable && empty {
        return None;
    }
    Some(filtered)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn profile() -> CompiledProfile {
        Profile::compile(&json!({
            "code": "test", "version": "1.0.0", "industry": "plastics",
            "name": {"ja": "試験", "en": "Test"}, "description": {"ja": "試験用", "en": "For tests"},
            "granularities": ["batch"], "default_access": "owner",
            "schema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "polymer": {"type": "string"},
                    "mfr": {"type": "number"},
                    "supplier": {"type": "string"},
                    "secret": {"type": "object", "properties": {"note": {"type": "string"}, "open": {"type": "string"}}},
                    "additives": {"type": "array", "items": {"$ref": "#/$defs/additive"}}
                },
                "required": ["polymer"],
                "$defs": {"additive": {"type": "object", "properties": {"name": {"type": "string"}, "share": {"type": "number"}}}}
            },
            "fields": [
                {"pointer": "/polymer", "access": "public", "information": "composition", "label": {"ja": "樹脂", "en": "Polymer"}, "search": "material"},
                {"pointer": "/mfr", "access": "legitimate_interest", "information": "recycled_material", "label": {"ja": "MFR", "en": "MFR"}, "unit": "g/10 min"},
                {"pointer": "/secret", "access": "owner", "information": "identification", "label": {"ja": "秘密", "en": "Secret"}},
                {"pointer": "/secret/open", "access": "public", "information": "identification", "label": {"ja": "公開", "en": "Open"}},
                {"pointer": "/additives", "access": "authority", "information": "composition", "label": {"ja": "添加剤", "en": "Additives"}},
                {"pointer": "/additives/*/name", "access": "legitimate_interest", "information": "composition", "label": {"ja": "名称", "en": "Name"}}
            ]
        }))
        .expect("the test profile compiles")
    }

    #[test]
    fn each_level_sees_exactly_its_fields() {
        let profile = profile();
        let data = json!({
            "polymer": "PP", "mfr": 12.5, "supplier": "X社",
            "secret": {"note": "n", "open": "o"},
            "additives": [{"name": "talc", "share": 0.2}]
        });
        let public = profile.view(&data, AccessLevel::Public);
        assert_eq!(public.data, json!({"polymer": "PP", "secret": {"open": "o"}}));
        assert_eq!(public.withheld, ["/additives", "/mfr", "/secret/note", "/supplier"]);
        let interested = profile.view(&data, AccessLevel::LegitimateInterest);
        assert_eq!(
            interested.data,
            json!({"polymer": "PP", "mfr": 12.5, "secret": {"open": "o"}, "additives": [{"name": "talc"}]})
        );
        let authority = profile.view(&data, AccessLevel::Authority);
        assert_eq!(
            authority.data,
            json!({"polymer": "PP", "mfr": 12.5, "secret": {"open": "o"}, "additives": [{"name": "talc", "share": 0.2}]})
        );
        assert_eq!(authority.withheld, ["/secret/note", "/supplier"]);
        assert_eq!(profile.view(&data, AccessLevel::Owner).data, data);
        assert_eq!(profile.materials(&data), ["pp"]);
    }

    #[test]
    fn bad_profiles_name_every_problem() {
        let violations = Profile::compile(&json!({
            "code": "Bad Code", "version": "1", "industry": "plastics",
            "name": {"ja": "", "en": "x"}, "description": {"ja": "x", "en": "x"},
            "granularities": [], "default_access": "owner",
            "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"a": {"type": "nonsense"}}},
            "fields": [
                {"pointer": "a", "access": "public", "information": "composition", "label": {"ja": "a", "en": "a"}},
                {"pointer": "/b", "access": "owner", "information": "composition", "label": {"ja": "b", "en": "b"}, "search": "material"}
            ]
        }))
        .expect_err("the profile is refused");
        let paths: Vec<&str> = violations.iter().map(|violation| violation.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/code",
                "/version",
                "/name/ja",
                "/granularities",
                "/schema/properties/a/type",
                "/fields/0/pointer",
                "/fields/1/pointer",
                "/fields/1/search"
            ]
        );
    }

    #[test]
    fn data_problems_carry_pointers() {
        let violations = profile().check_data(&json!({"mfr": "high", "additives": [{"share": "x"}]}));
        let paths: Vec<&str> = violations.iter().map(|violation| violation.path.as_str()).collect();
        assert_eq!(paths, ["/data", "/data/additives/0/share", "/data/mfr"]);
    }
}
