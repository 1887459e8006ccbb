//! The CBV 2.0 event hash (section 8.9): a pre-hash string built from an event's fields in a fixed
//! order, with every value canonicalised (EPC URNs and Digital Links to the canonical Digital Link,
//! CBV terms to their web vocabulary URIs, times to UTC with milliseconds, numbers without
//! padding, extension names expanded to `{namespace}local`), and its SHA-256 as
//! `ni:///sha-256;<hex>?ver=CBV2.0`. Two serialisations of one event get one hash, which is how
//! the repository recognises duplicates.

use std::borrow::Cow;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Namespace prefixes for expanding extension names and CURIEs.
#[derive(Debug, Clone, Default)]
pub struct Namespaces(Vec<(String, String)>);

impl Namespaces {
    /// The prefixes of the EPCIS 2.0 context, plus the object entries of a document's
    /// `@context` (which win).
    pub fn from_context(context: Option<&Value>) -> Namespaces {
        let mut prefixes: Vec<(String, String)> = [
            ("gs1", "https://gs1.org/voc/"),
            ("cbv", "https://ref.gs1.org/cbv/"),
            ("epcis", "https://ref.gs1.org/epcis/"),
            ("cbvmda", "urn:epcglobal:cbv:mda:"),
            ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
            ("xsd", "http://www.w3.org/2001/XMLSchema#"),
        ]
        .iter()
        .map(|(prefix, iri)| ((*prefix).to_owned(), (*iri).to_owned()))
        .collect();
        let entries: Vec<&Map<String, Value>> = match context {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            Some(Value::Object(object)) => vec![object],
            _ => Vec::new(),
        };
        for entry in entries {
            for (prefix, iri) in entry {
                if let Some(iri) = iri.as_str() {
                    prefixes.retain(|(known, _)| known != prefix);
                    prefixes.push((prefix.clone(), iri.to_owned()));
                }
            }
        }
        Namespaces(prefixes)
    }

    /// Whether an `@context` is nested anywhere in `value` (an event with prefixes of its own).
    pub fn has_nested_context(value: &Value) -> bool {
        match value {
            Value::Object(object) => {
                object.contains_key("@context") || object.values().any(Namespaces::has_nested_context)
            }
            Value::Array(items) => items.iter().any(Namespaces::has_nested_context),
            _ => false,
        }
    }

    /// Adds the prefixes of every `@context` object nested anywhere in `value`.
    pub fn add_nested_contexts(&mut self, value: &Value) {
        match value {
            Value::Object(object) => {
                if let Some(context) = object.get("@context") {
                    let nested = Namespaces::from_context(Some(context));
                    for (prefix, iri) in nested.0 {
                        if !self
                            .0
                            .iter()
                            .any(|(known, known_iri)| *known == prefix && *known_iri == iri)
                        {
                            self.0.retain(|(known, _)| *known != prefix);
                            self.0.push((prefix, iri));
                        }
                    }
                }
                object.values().for_each(|child| self.add_nested_contexts(child));
            }
            Value::Array(items) => items.iter().for_each(|item| self.add_nested_contexts(item)),
            _ => {}
        }
    }

    /// `prefix:local` with a known prefix as `{iri}local`; other names unchanged.
    fn expand_name<'a>(&self, name: &'a str) -> Cow<'a, str> {
        match self.iri_of(name) {
            Some((iri, local)) => Cow::Owned(["{", iri, "}", local].concat()),
            None => Cow::Borrowed(name),
        }
    }

    /// `prefix:local` with a known prefix as `iriLocal`; other values unchanged.
    fn expand_value(&self, value: &str) -> String {
        match self.iri_of(value) {
            Some((iri, local)) => [iri, local].concat(),
            None => value.to_owned(),
        }
    }

    pub(crate) fn iri_of<'a>(&'a self, name: &'a str) -> Option<(&'a str, &'a str)> {
        let (prefix, local) = name.split_once(':')?;
        if local.starts_with("//") {
            return None;
        }
        self.0
            .iter()
            .find(|(known, _)| known == prefix)
            .map(|(_, iri)| (iri.as_str(), local))
    }
}

/// The vocabulary a bare term belongs to.
#[derive(Clone, Copy)]
pub(crate) enum Vocabulary {
    BizStep,
    Disposition,
    BizTransactionType,
    SourceDestinationType,
    Gs1Voc,
}

/// Fields never part of the hash: they are about the record, not the event (section 8.9.3), and
/// an error declaration must leave the hash of the event it corrects unchanged.
fn ignored(key: &str) -> bool {
    matches!(
        key,
        "type" | "eventID" | "recordTime" | "errorDeclaration" | "@context" | "@type"
    )
}

/// The standard fields the pre-hash string renders in its own order (`pre_hash_known`); any
/// other field of an event is an extension. A `match` on the name instead of a list searched
/// per field: that search was a tenth of the hash's time.
fn hashed(key: &str) -> bool {
    matches!(
        key,
        "eventTime"
            | "eventTimeZoneOffset"
            | "certificationInfo"
            | "parentID"
            | "epcList"
            | "inputEPCList"
            | "childEPCs"
            | "quantityList"
            | "childQuantityList"
            | "inputQuantityList"
            | "outputEPCList"
            | "outputQuantityList"
            | "action"
            | "transformationID"
            | "bizStep"
            | "disposition"
            | "persistentDisposition"
            | "readPoint"
            | "bizLocation"
            | "bizTransactionList"
            | "destinationList"
            | "sourceList"
            | "sensorElementList"
            | "ilmd"
    )
}

/// The pre-hash string of `event`. Prefixes declared by `@context` entries inside the event add to
/// `namespaces`.
pub fn pre_hash(event: &Value, namespaces: &Namespaces) -> String {
    pre_hash_known(event, namespaces, &[])
}

/// Canonical forms already known for some texts of an event (its GS1 identifiers and locations,
/// converted while they were checked), so that the hash does not convert them a second time.
pub(crate) type Known = [(String, String)];

/// The values an event's texts are canonicalised with: the prefixes in scope and the forms known.
struct Canon<'a> {
    namespaces: &'a Namespaces,
    known: &'a Known,
}

/// [`pre_hash`], with the canonical forms of some of the event's texts known.
pub(crate) fn pre_hash_known(event: &Value, namespaces: &Namespaces, known: &Known) -> String {
    // Most events declare no prefixes of their own: the table is copied only for those that do.
    let local;
    let namespaces = if Namespaces::has_nested_context(event) {
        let mut own = namespaces.clone();
        own.add_nested_contexts(event);
        local = own;
        &local
    } else {
        namespaces
    };
    let canon = &Canon { namespaces, known };
    let Some(event) = event.as_object() else {
        return String::new();
    };
    let mut out = String::with_capacity(1024);
    out.push_str("eventType=");
    out.push_str(event.get("type").and_then(Value::as_str).unwrap_or(""));
    let mut field = |name: &'static str, render: &dyn Fn(&Value) -> String| {
        debug_assert!(hashed(name), "{name} is listed in `hashed`");
        if let Some(value) = event.get(name) {
            out.push_str(&render(value));
        }
    };
    let scalar = |name: &'static str| move |value: &Value| keyed(name, &canonical_in(value, canon));
    let vocabulary = |name: &'static str, vocabulary: Vocabulary| {
        move |value: &Value| keyed(name, &term_in(value, vocabulary, canon))
    };
    let id_list = |name: &'static str| {
        move |value: &Value| {
            let mut items: Vec<String> = each(value)
                .map(|item| keyed("epc", &canonical_in(item, canon)))
                .collect();
            items.sort();
            prefixed(name, items)
        }
    };
    let quantity_list = |name: &'static str| {
        move |value: &Value| {
            let mut items: Vec<String> = each(value)
                .map(|element| {
                    let mut text = "quantityElement".to_owned();
                    for key in ["epcClass", "quantity", "uom"] {
                        if let Some(value) = element.get(key) {
                            text.push_str(&keyed(key, &canonical_in(value, canon)));
                        }
                    }
                    text
                })
                .collect();
            items.sort();
            prefixed(name, items)
        }
    };
    let location =
        |name: &'static str| move |value: &Value| prefixed(name, vec![ordered_then_extensions(value, &["id"], canon)]);
    let typed_list = |name: &'static str, item: &'static str, types: Vocabulary| {
        move |value: &Value| {
            let mut items: Vec<String> = each(value)
                .map(|element| {
                    let mut text = String::new();
                    if let Some(kind) = element.get("type") {
                        text.push_str(&keyed("type", &term_in(kind, types, canon)));
                    }
                    if let Some(id) = element.get(item) {
                        text.push_str(&keyed(item, &canonical_in(id, canon)));
                    }
                    text
                })
                .collect();
            items.sort();
            prefixed(name, items)
        }
    };

    field("eventTime", &scalar("eventTime"));
    field("eventTimeZoneOffset", &|value| {
        keyed("eventTimeZoneOffset", value.as_str().unwrap_or(""))
    });
    field("certificationInfo", &|value| {
        let mut items: Vec<String> = each(value)
            .map(|item| keyed("certificationInfo", &canonical_in(item, canon)))
            .collect();
        items.sort();
        items.concat()
    });
    field("parentID", &scalar("parentID"));
    field("epcList", &id_list("epcList"));
    field("inputEPCList", &id_list("inputEPCList"));
    field("childEPCs", &id_list("childEPCs"));
    field("quantityList", &quantity_list("quantityList"));
    field("childQuantityList", &quantity_list("childQuantityList"));
    field("inputQuantityList", &quantity_list("inputQuantityList"));
    field("outputEPCList", &id_list("outputEPCList"));
    field("outputQuantityList", &quantity_list("outputQuantityList"));
    field("action", &scalar("action"));
    field("transformationID", &scalar("transformationID"));
    field("bizStep", &vocabulary("bizStep", Vocabulary::BizStep));
    field("disposition", &vocabulary("disposition", Vocabulary::Disposition));
    field("persistentDisposition", &|value| {
        let mut text = String::new();
        for key in ["set", "unset"] {
            let mut items: Vec<String> = value
                .get(key)
                .map(each)
                .into_iter()
                .flatten()
                .map(|item| keyed(key, &term_in(item, Vocabulary::Disposition, canon)))
                .collect();
            items.sort();
            text.push_str(&items.concat());
        }
        prefixed("persistentDisposition", vec![text])
    });
    field("readPoint", &location("readPoint"));
    field("bizLocation", &location("bizLocation"));
    field(
        "bizTransactionList",
        &typed_list("bizTransactionList", "bizTransaction", Vocabulary::BizTransactionType),
    );
    // The published test vectors put destinations before sources.
    field(
        "destinationList",
        &typed_list("destinationList", "destination", Vocabulary::SourceDestinationType),
    );
    field(
        "sourceList",
        &typed_list("sourceList", "source", Vocabulary::SourceDestinationType),
    );
    field("sensorElementList", &|value| {
        let mut elements: Vec<String> = each(value).map(|element| sensor_element(element, canon)).collect();
        elements.sort();
        prefixed("sensorElementList", elements)
    });
    field("ilmd", &|value| {
        prefixed("ilmd", vec![generic_children(value, &[], canon)])
    });
    let extensions = event.iter().filter(|(key, _)| !ignored(key) && !hashed(key));
    out.push_str(&generic_fields(extensions, &[], canon));
    out
}

/// The CBV 2.0 event hash of `event`: `ni:///sha-256;<hex>?ver=CBV2.0`.
pub fn event_hash(event: &Value, namespaces: &Namespaces) -> String {
    event_hash_known(event, namespaces, &[])
}

/// [`event_hash`], with the canonical forms of some of the event's texts known.
pub(crate) fn event_hash_known(event: &Value, namespaces: &Namespaces, known: &Known) -> String {
    let digest = Sha256::digest(pre_hash_known(event, namespaces, known).as_bytes());
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hash = String::with_capacity(89);
    hash.push_str("ni:///sha-256;");
    for byte in digest {
        hash.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hash.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hash.push_str("?ver=CBV2.0");
    hash
}

const SENSOR_METADATA: [&str; 8] = [
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
];
const SENSOR_REPORT: [&str; 23] = [
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
];

fn sensor_element(element: &Value, canon: &Canon) -> String {
    let mut text = "sensorElement".to_owned();
    if let Some(metadata) = element.get("sensorMetadata") {
        text.push_str("sensorMetadata");
        text.push_str(&ordered_then_extensions(metadata, &SENSOR_METADATA, canon));
    }
    let mut reports: Vec<String> = element
        .get("sensorReport")
        .map(each)
        .into_iter()
        .flatten()
        .map(|report| ["sensorReport", &ordered_then_extensions(report, &SENSOR_REPORT, canon)].concat())
        .collect();
    reports.sort();
    text.push_str(&reports.concat());
    let known = ["sensorMetadata", "sensorReport"];
    text.push_str(&generic_children(element, &known, canon));
    text
}

/// The fields of `object` named in `order`, in that order, then every other field as an extension.
fn ordered_then_extensions(object: &Value, order: &[&str], canon: &Canon) -> String {
    let mut text = String::new();
    for key in order {
        if let Some(value) = object.get(*key) {
            let canonical = match *key {
                "type" | "exception" => term_in(value, Vocabulary::Gs1Voc, canon),
                _ => canonical_in(value, canon),
            };
            text.push_str(&keyed(key, &canonical));
        }
    }
    text.push_str(&generic_children(object, order, canon));
    text
}

/// Every field of `object` but `skip`, rendered generically and sorted.
fn generic_children(object: &Value, skip: &[&str], canon: &Canon) -> String {
    match object.as_object() {
        Some(object) => generic_fields(object.iter(), skip, canon),
        None => String::new(),
    }
}

/// [`generic_children`] of the fields `fields`.
fn generic_fields<'v>(fields: impl Iterator<Item = (&'v String, &'v Value)>, skip: &[&str], canon: &Canon) -> String {
    let mut items: Vec<String> = fields
        .filter(|(key, _)| !skip.contains(&key.as_str()) && !key.starts_with('@'))
        .map(|(key, value)| (canon.namespaces.expand_name(key), value))
        .filter(|(name, _)| !is_comment(name))
        .flat_map(|(name, value)| generic(&name, value, canon))
        .collect();
    items.sort();
    items.concat()
}

/// Comments (`rdfs:comment`, or a bare `comment`) describe an event without being part of it: the
/// CBV 2.0 test vector `epcisDocHavingEventWithComment` and GS1's reference implementation leave
/// them out of the pre-hash, at any depth.
fn is_comment(expanded_name: &str) -> bool {
    matches!(
        expanded_name,
        "comment" | "rdfs:comment" | "{http://www.w3.org/2000/01/rdf-schema#}comment"
    )
}

/// A field of an extension: `name=value`, `name<children>`, or one entry per array item.
fn generic(name: &str, value: &Value, canon: &Canon) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(|item| generic(name, item, canon)).collect(),
        Value::Object(_) => vec![[name, &generic_children(value, &[], canon)].concat()],
        Value::Null => Vec::new(),
        other => vec![keyed(name, &canonical_in(other, canon))],
    }
}

fn keyed(name: &str, value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        [name, "=", value].concat()
    }
}

fn prefixed(name: &str, items: Vec<String>) -> String {
    if items.iter().all(String::is_empty) {
        return String::new();
    }
    let mut text = String::with_capacity(name.len() + items.iter().map(String::len).sum::<usize>());
    text.push_str(name);
    items.iter().for_each(|item| text.push_str(item));
    text
}

fn each(value: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match value {
        Value::Array(items) => Box::new(items.iter()),
        other => Box::new(std::iter::once(other)),
    }
}

/// A bare term of `vocabulary` as its URI; URIs and CURIEs canonicalised like any value.
pub(crate) fn term(value: &Value, vocabulary: Vocabulary, namespaces: &Namespaces) -> String {
    term_in(value, vocabulary, &Canon { namespaces, known: &[] })
}

fn term_in(value: &Value, vocabulary: Vocabulary, canon: &Canon) -> String {
    let Some(text) = value.as_str().map(str::trim) else {
        return canonical_in(value, canon);
    };
    if text.contains(':') {
        return canonical_in(value, canon);
    }
    let base = match vocabulary {
        Vocabulary::BizStep => "https://ref.gs1.org/cbv/BizStep-",
        Vocabulary::Disposition => "https://ref.gs1.org/cbv/Disp-",
        Vocabulary::BizTransactionType => "https://ref.gs1.org/cbv/BTT-",
        Vocabulary::SourceDestinationType => "https://ref.gs1.org/cbv/SDT-",
        Vocabulary::Gs1Voc => "https://gs1.org/voc/",
    };
    [base, text].concat()
}

/// The canonical text of a value: times in UTC with milliseconds, numbers without padding, old
/// CBV URNs as web vocabulary, CURIEs expanded, EPC URNs and Digital Links as canonical links.
pub(crate) fn canonical(value: &Value, namespaces: &Namespaces) -> String {
    canonical_in(value, &Canon { namespaces, known: &[] })
}

fn canonical_in(value: &Value, canon: &Canon) -> String {
    match value {
        Value::String(text) => canonical_text(text.trim(), canon),
        Value::Number(number) => number.as_f64().map(format_number).unwrap_or_else(|| number.to_string()),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn canonical_text(text: &str, canon: &Canon) -> String {
    if let Some(time) = canonical_time(text) {
        return time;
    }
    for (urn, web) in [
        ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
        ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
        ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
        ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
        ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
    ] {
        if let Some(term) = text.strip_prefix(urn) {
            return [web, term].concat();
        }
    }
    if let Ok(number) = text.parse::<f64>() {
        if number.is_finite()
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || b"+-.eE".contains(&byte))
        {
            return format_number(number);
        }
    }
    if text.starts_with("urn:epc:") || text.starts_with("http://") || text.starts_with("https://") {
        if let Some((_, known)) = canon.known.iter().find(|(raw, _)| *raw == text) {
            return known.clone();
        }
        if let Ok(link) = junkan_gs1::canonicalize(text) {
            return link.canonical();
        }
        return text.to_owned();
    }
    canon.namespaces.expand_value(text)
}

/// An RFC 3339 time as UTC rounded to the millisecond, e.g. `2020-03-04T10:00:30.000Z`.
fn canonical_time(text: &str) -> Option<String> {
    if text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let time = OffsetDateTime::parse(text, &Rfc3339).ok()?.to_offset(UtcOffset::UTC);
    let rounded = time.replace_nanosecond(0).ok()?
        + time::Duration::milliseconds(i64::from((time.nanosecond() + 500_000) / 1_000_000));
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        rounded.year(),
        u8::from(rounded.month()),
        rounded.day(),
        rounded.hour(),
        rounded.minute(),
        rounded.second(),
        rounded.millisecond()
    ))
}

fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        (number as i64).to_string()
    } else {
        format!("{number}")
    }
}
