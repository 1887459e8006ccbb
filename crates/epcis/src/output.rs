//! Events on their way out: identifiers in the form the client asked for (`GS1-EPC-Format`) and
//! the EPCIS 2.0 XML serialisation of query results, the inverse of [`crate::xml`]: an XML answer
//! read back by `document_from_xml` gives events with the same CBV event hash.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::xml::sequence_of;

/// How EPCs are written in answers (`GS1-EPC-Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpcFormat {
    /// GS1 Digital Link URIs on id.gs1.org (the binding's default).
    DigitalLink,
    /// EPC URNs where the GS1 company prefix length is known; Digital Links otherwise.
    EpcUrn,
    /// As each event was captured.
    AsSent,
}

impl EpcFormat {
    /// Reads the header value; absent means Digital Link, as the binding says.
    pub fn from_header(value: Option<&str>) -> Result<EpcFormat, String> {
        match value.map(str::trim) {
            None | Some("Always_GS1_Digital_Link") => Ok(EpcFormat::DigitalLink),
            Some("Always_EPC_URN") => Ok(EpcFormat::EpcUrn),
            Some("Never_Translates" | "No_Preference") => Ok(EpcFormat::AsSent),
            Some(other) => Err(format!(
                "GS1-EPC-Format {other:?} is not one of No_Preference, Always_GS1_Digital_Link, Always_EPC_URN, Never_Translates"
            )),
        }
    }

    /// The header value that names this format.
    pub fn header(self) -> &'static str {
        match self {
            EpcFormat::DigitalLink => "Always_GS1_Digital_Link",
            EpcFormat::EpcUrn => "Always_EPC_URN",
            EpcFormat::AsSent => "Never_Translates",
        }
    }
}

/// The GS1 company prefixes that EPC URNs in `event` reveal (the URN marks where the prefix ends).
pub fn company_prefixes_in(event: &Value, found: &mut Vec<String>) {
    identifier_slots(event, &mut |value| {
        if let Some(rest) = value.strip_prefix("urn:epc:") {
            let body = rest.splitn(3, ':').nth(2).unwrap_or("");
            if let Some(prefix) = body
                .split('.')
                .next()
                .filter(|prefix| prefix.bytes().all(|byte| byte.is_ascii_digit()))
            {
                if (4..=12).contains(&prefix.len()) && !found.iter().any(|known| known == prefix) {
                    found.push(prefix.to_owned());
                }
            }
        }
        None
    });
}

/// Rewrites the identifiers of `event` (EPC lists, parentID, EPC classes, locations, sources,
/// destinations, business transactions) into `format`. `prefixes` are the GS1 company prefixes
/// known to the node, needed to split a Digital Link into an EPC URN.
pub fn translate_identifiers(event: &mut Value, format: EpcFormat, prefixes: &[String]) {
    if format == EpcFormat::AsSent {
        return;
    }
    identifier_slots_mut(event, &mut |value| {
        let Ok(link) = junkan_gs1::canonicalize(value) else {
            return None;
        };
        match format {
            EpcFormat::DigitalLink => Some(link.canonical()),
            EpcFormat::EpcUrn if value.starts_with("urn:epc:") => None,
            EpcFormat::EpcUrn => junkan_gs1::epc::company_prefix_length(&link, prefixes)
                .and_then(|length| junkan_gs1::epc::from_digital_link(&link, length)),
            EpcFormat::AsSent => None,
        }
    });
}

const EPC_LISTS: [&str; 4] = ["epcList", "childEPCs", "inputEPCList", "outputEPCList"];
const QUANTITY_LISTS: [&str; 4] = [
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
];
const TYPED_LISTS: [(&str, &str); 3] = [
    ("sourceList", "source"),
    ("destinationList", "destination"),
    ("bizTransactionList", "bizTransaction"),
];

fn identifier_slots(event: &Value, visit: &mut dyn FnMut(&str) -> Option<String>) {
    let mut copy = event.clone();
    identifier_slots_mut(&mut copy, visit);
}

/// Calls `visit` on every identifier of the event; a returned value replaces it.
fn identifier_slots_mut(event: &mut Value, visit: &mut dyn FnMut(&str) -> Option<String>) {
    let Some(object) = event.as_object_mut() else {
        return;
    };
    let mut replace = |slot: Option<&mut Value>| {
        if let Some(slot) = slot {
            if let Some(new) = slot.as_str().and_then(&mut *visit) {
                *slot = Value::String(new);
            }
        }
    };
    for list in EPC_LISTS {
        if let Some(Value::Array(items)) = object.get_mut(list) {
            items.iter_mut().for_each(|item| replace(Some(item)));
        }
    }
    replace(object.get_mut("parentID"));
    for list in QUANTITY_LISTS {
        if let Some(Value::Array(items)) = object.get_mut(list) {
            items.iter_mut().for_each(|item| replace(item.get_mut("epcClass")));
        }
    }
    for location in ["readPoint", "bizLocation"] {
        replace(object.get_mut(location).and_then(|location| location.get_mut("id")));
    }
    for (list, item) in TYPED_LISTS {
        if let Some(Value::Array(entries)) = object.get_mut(list) {
            entries.iter_mut().for_each(|entry| replace(entry.get_mut(item)));
        }
    }
}

/// How CBV values are written in XML (`GS1-CBV-XML-Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CbvFormat {
    /// `urn:epcglobal:cbv:...` (also the choice for No_Preference: what EPCIS 1.x systems read).
    Urn,
    /// `https://ref.gs1.org/cbv/...`.
    WebUri,
    /// As captured; bare JSON terms still become URNs, since XML needs URIs.
    AsSent,
}

impl CbvFormat {
    /// Reads the header value.
    pub fn from_header(value: Option<&str>) -> Result<CbvFormat, String> {
        match value.map(str::trim) {
            None | Some("No_Preference" | "Always_URN") => Ok(CbvFormat::Urn),
            Some("Always_Web_URI") => Ok(CbvFormat::WebUri),
            Some("Never_Translates") => Ok(CbvFormat::AsSent),
            Some(other) => Err(format!(
                "GS1-CBV-XML-Format {other:?} is not one of No_Preference, Always_Web_URI, Always_URN, Never_Translates"
            )),
        }
    }
}

/// The CBV vocabularies: URN prefix, web URI prefix.
const CBV: [(&str, &str, &str); 5] = [
    (
        "bizStep",
        "urn:epcglobal:cbv:bizstep:",
        "https://ref.gs1.org/cbv/BizStep-",
    ),
    (
        "disposition",
        "urn:epcglobal:cbv:disp:",
        "https://ref.gs1.org/cbv/Disp-",
    ),
    ("btt", "urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("sdt", "urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("reason", "urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
];

fn cbv_value(vocabulary: &str, value: &str, format: CbvFormat) -> String {
    let Some((_, urn, web)) = CBV.iter().find(|(name, _, _)| *name == vocabulary) else {
        return value.to_owned();
    };
    let term = value
        .strip_prefix(urn)
        .or_else(|| value.strip_prefix(web))
        .or_else(|| (!value.contains(':')).then_some(value));
    match (term, format) {
        (Some(term), CbvFormat::WebUri) => format!("{web}{term}"),
        (Some(term), CbvFormat::Urn) => format!("{urn}{term}"),
        (Some(term), CbvFormat::AsSent) if !value.contains(':') => format!("{urn}{term}"),
        _ => value.to_owned(),
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One event with the `@context` of the document it came in.
pub struct XmlEvent<'a> {
    /// The event (JSON-LD).
    pub body: &'a Value,
    /// The document's `@context`.
    pub context: &'a Value,
}

/// An EPCISQueryDocument in EPCIS 2.0 XML.
pub fn query_document_xml(query_name: &str, creation_date: &str, events: &[XmlEvent], format: CbvFormat) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<epcisq:EPCISQueryDocument xmlns:epcisq=\"urn:epcglobal:epcis-query:xsd:2\" xmlns:gs1=\"https://gs1.org/voc/\" xmlns:cbvmda=\"urn:epcglobal:cbv:mda\" xmlns:rdfs=\"http://www.w3.org/2000/01/rdf-schema#\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema#\" schemaVersion=\"2.0\" creationDate=\"{}\">\
         <EPCISBody><epcisq:QueryResults><queryName>{}</queryName><resultsBody><EventList>",
        escape(creation_date),
        escape(query_name)
    );
    for event in events {
        write_event(&mut out, event, format);
    }
    out.push_str("</EventList></resultsBody></epcisq:QueryResults></EPCISBody></epcisq:EPCISQueryDocument>\n");
    out
}

/// The prefixes an event may use: its document's and its own `@context` objects.
fn prefixes_of(event: &XmlEvent) -> BTreeMap<String, String> {
    let mut prefixes = BTreeMap::new();
    let mut add = |context: Option<&Value>| {
        let entries: Vec<&Value> = match context {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        };
        for entry in entries {
            for (prefix, iri) in entry.as_object().into_iter().flatten() {
                if let Some(iri) = iri.as_str() {
                    prefixes.insert(prefix.clone(), iri.to_owned());
                }
            }
        }
    };
    add(Some(event.context));
    add(event.body.get("@context"));
    prefixes.remove("gs1");
    prefixes
}

fn write_event(out: &mut String, event: &XmlEvent, format: CbvFormat) {
    let Some(object) = event.body.as_object() else {
        return;
    };
    let event_type = object.get("type").and_then(Value::as_str).unwrap_or("ObjectEvent");
    let Some(order) = sequence_of(event_type) else {
        return;
    };
    let _ = write!(out, "<{event_type}");
    for (prefix, iri) in prefixes_of(event) {
        let iri = if iri == "urn:epcglobal:cbv:mda:" {
            "urn:epcglobal:cbv:mda".to_owned()
        } else {
            iri
        };
        let _ = write!(out, " xmlns:{prefix}=\"{}\"", escape(&iri));
    }
    out.push('>');
    for name in order {
        if let Some(value) = object.get(name) {
            write_field(out, name, value, format);
        }
    }
    for (key, value) in object {
        if key.contains(':') && !key.starts_with('@') {
            write_extension(out, key, value);
        }
    }
    let _ = write!(out, "</{event_type}>");
}

fn element(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", escape(text));
}

fn items(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn write_field(out: &mut String, name: &str, value: &Value, format: CbvFormat) {
    match name {
        "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => {
            let _ = write!(out, "<{name}>");
            items(value)
                .into_iter()
                .for_each(|epc| element(out, "epc", &scalar(epc)));
            let _ = write!(out, "</{name}>");
        }
        "quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList" => {
            let _ = write!(out, "<{name}>");
            for quantity in items(value) {
                out.push_str("<quantityElement>");
                for part in ["epcClass", "quantity", "uom"] {
                    if let Some(part_value) = quantity.get(part) {
                        element(out, part, &scalar(part_value));
                    }
                }
                out.push_str("</quantityElement>");
            }
            let _ = write!(out, "</{name}>");
        }
        "readPoint" | "bizLocation" => {
            let _ = write!(out, "<{name}>");
            for (key, part) in value.as_object().into_iter().flatten() {
                if key == "id" {
                    element(out, "id", &scalar(part));
                } else if key.contains(':') {
                    write_extension(out, key, part);
                }
            }
            let _ = write!(out, "</{name}>");
        }
        "bizTransactionList" | "sourceList" | "destinationList" => {
            let (item, vocabulary) = match name {
                "bizTransactionList" => ("bizTransaction", "btt"),
                "sourceList" => ("source", "sdt"),
                _ => ("destination", "sdt"),
            };
            let _ = write!(out, "<{name}>");
            for entry in items(value) {
                let text = entry.get(item).map(scalar).unwrap_or_default();
                match entry.get("type").map(scalar) {
                    Some(kind) => {
                        let _ = write!(
                            out,
                            "<{item} type=\"{}\">{}</{item}>",
                            escape(&cbv_value(vocabulary, &kind, format)),
                            escape(&text)
                        );
                    }
                    None => element(out, item, &text),
                }
            }
            let _ = write!(out, "</{name}>");
        }
        "bizStep" | "disposition" => element(out, name, &cbv_value(name, &scalar(value), format)),
        "persistentDisposition" => {
            out.push_str("<persistentDisposition>");
            for part in ["set", "unset"] {
                for term in value.get(part).map(items).unwrap_or_default() {
                    element(out, part, &cbv_value("disposition", &scalar(term), format));
                }
            }
            out.push_str("</persistentDisposition>");
        }
        "errorDeclaration" => {
            out.push_str("<errorDeclaration>");
            if let Some(time) = value.get("declarationTime") {
                element(out, "declarationTime", &scalar(time));
            }
            if let Some(reason) = value.get("reason") {
                element(out, "reason", &cbv_value("reason", &scalar(reason), format));
            }
            if let Some(ids) = value.get("correctiveEventIDs") {
                out.push_str("<correctiveEventIDs>");
                items(ids)
                    .into_iter()
                    .for_each(|id| element(out, "correctiveEventID", &scalar(id)));
                out.push_str("</correctiveEventIDs>");
            }
            for (key, part) in value.as_object().into_iter().flatten() {
                if key.contains(':') {
                    write_extension(out, key, part);
                }
            }
            out.push_str("</errorDeclaration>");
        }
        "certificationInfo" => items(value)
            .into_iter()
            .for_each(|info| element(out, "certificationInfo", &scalar(info))),
        "sensorElementList" => {
            out.push_str("<sensorElementList>");
            for sensor in items(value) {
                out.push_str("<sensorElement>");
                if let Some(metadata) = sensor.get("sensorMetadata") {
                    write_sensor_part(out, "sensorMetadata", metadata);
                }
                for report in sensor.get("sensorReport").map(items).unwrap_or_default() {
                    write_sensor_part(out, "sensorReport", report);
                }
                for (key, part) in sensor.as_object().into_iter().flatten() {
                    if key.contains(':') {
                        write_extension(out, key, part);
                    }
                }
                out.push_str("</sensorElement>");
            }
            out.push_str("</sensorElementList>");
        }
        "ilmd" => {
            out.push_str("<ilmd>");
            for (key, part) in value.as_object().into_iter().flatten() {
                write_extension(out, key, part);
            }
            out.push_str("</ilmd>");
        }
        _ => element(out, name, &scalar(value)),
    }
}

/// Sensor metadata and reports carry their fields as attributes; nested extension objects become
/// child elements.
fn write_sensor_part(out: &mut String, name: &str, value: &Value) {
    let _ = write!(out, "<{name}");
    let mut children = Vec::new();
    for (key, part) in value.as_object().into_iter().flatten() {
        if part.is_object() || part.is_array() {
            children.push((key, part));
            continue;
        }
        let text = match key.as_str() {
            "type" | "exception" => {
                let text = scalar(part);
                if text.contains(':') {
                    text
                } else {
                    format!("gs1:{text}")
                }
            }
            _ => scalar(part),
        };
        let _ = write!(out, " {key}=\"{}\"", escape(&text));
    }
    if children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for (key, part) in children {
        write_extension(out, key, part);
    }
    let _ = write!(out, "</{name}>");
}

/// A user extension: text, or child elements for an object; arrays repeat the element.
fn write_extension(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(parts) => parts.iter().for_each(|part| write_extension(out, name, part)),
        Value::Object(fields) => {
            let _ = write!(out, "<{name}>");
            for (key, part) in fields {
                if !key.starts_with('@') {
                    write_extension(out, key, part);
                }
            }
            let _ = write!(out, "</{name}>");
        }
        other => element(out, name, &scalar(other)),
    }
}
