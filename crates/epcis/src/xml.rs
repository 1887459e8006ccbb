//! EPCIS 2.0 XML (and the 1.2 layout with `extension` wrappers) read into the JSON-LD form, so
//! that one validator, one hash and one store serve both syntaxes. The element order of the
//! EPCIS 2.0 XSD is enforced and unknown unqualified elements are refused; elements in other
//! namespaces become user extensions named `prefix:local`, with their namespaces added to the
//! document's `@context`.

use std::collections::BTreeMap;

use roxmltree::{Document, Node};
use serde_json::{json, Map, Value};

use crate::validate::Problem;

/// The JSON-LD context every converted document names first.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

const HEAD: [&str; 6] = [
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
];

/// The XSD sequence of each event type after the common head.
fn sequence(event_type: &str) -> Option<&'static [&'static str]> {
    Some(match event_type {
        "ObjectEvent" => &[
            "epcList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "quantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "ilmd",
        ],
        "AggregationEvent" => &[
            "parentID",
            "childEPCs",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "childQuantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
        ],
        "TransactionEvent" => &[
            "bizTransactionList",
            "parentID",
            "epcList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "quantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
        ],
        "TransformationEvent" => &[
            "inputEPCList",
            "inputQuantityList",
            "outputEPCList",
            "outputQuantityList",
            "transformationID",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "ilmd",
        ],
        "AssociationEvent" => &[
            "parentID",
            "childEPCs",
            "childQuantityList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
        ],
        _ => return None,
    })
}

/// Every field of an event type in XSD order (the common head, then the type's own fields).
pub(crate) fn sequence_of(event_type: &str) -> Option<Vec<&'static str>> {
    sequence(event_type).map(|body| HEAD.iter().chain(body.iter()).copied().collect())
}

/// Reads an EPCIS XML document (or a bare event) into its JSON-LD form, or every problem found.
pub fn document_from_xml(xml: &str) -> Result<Value, Vec<Problem>> {
    let document =
        Document::parse(xml).map_err(|error| vec![problem("", format!("the XML is not well-formed: {error}"))])?;
    let root = document.root_element();
    let mut reader = Reader {
        problems: Vec::new(),
        prefixes: BTreeMap::new(),
    };
    let result = match root.tag_name().name() {
        kind @ ("EPCISDocument" | "EPCISQueryDocument") => {
            // Events sit in EPCISBody/EventList, or EPCISBody/QueryResults/resultsBody/EventList
            // in a query answer.
            let query = kind == "EPCISQueryDocument";
            let pointer = if query {
                "/epcisBody/queryResults/resultsBody/eventList"
            } else {
                "/epcisBody/eventList"
            };
            let events = root
                .descendants()
                .filter(|node| node.is_element() && node.tag_name().name() == "EventList")
                .flat_map(|list| list.children().filter(Node::is_element))
                .enumerate()
                .map(|(index, event)| reader.event(event, &format!("{pointer}/{index}")))
                .collect::<Vec<Value>>();
            let body = if query {
                let query_name = root
                    .descendants()
                    .find(|node| node.tag_name().name() == "queryName")
                    .map(text)
                    .unwrap_or_default();
                json!({ "queryResults": { "queryName": query_name, "resultsBody": { "eventList": events } } })
            } else {
                json!({ "eventList": events })
            };
            let mut output = Map::new();
            output.insert("type".to_owned(), json!(kind));
            for attribute in ["schemaVersion", "creationDate"] {
                if let Some(value) = root.attribute(attribute) {
                    output.insert(attribute.to_owned(), json!(value));
                }
            }
            output.insert("epcisBody".to_owned(), body);
            Value::Object(output)
        }
        name if sequence(name).is_some() => reader.event(root, ""),
        other => {
            return Err(vec![problem(
                "",
                format!("<{other}> is neither an EPCISDocument nor an EPCIS event"),
            )])
        }
    };
    if !reader.problems.is_empty() {
        return Err(reader.problems);
    }
    let mut result = result;
    let mut context = vec![json!(EPCIS_CONTEXT)];
    for (prefix, namespace) in &reader.prefixes {
        context.push(json!({ prefix.clone(): namespace }));
    }
    if let Some(object) = result.as_object_mut() {
        object.insert("@context".to_owned(), Value::Array(context));
    }
    Ok(result)
}

/// The place of `order[index]` in the sequence. The fields EPCIS 2.0 added at the 1.2 extension
/// point (sensorElementList, persistentDisposition) share one place with ilmd: published
/// documents and test vectors write these three in either order.
fn rank(order: &[&str], index: usize) -> usize {
    const TAIL: [&str; 3] = ["sensorElementList", "persistentDisposition", "ilmd"];
    if TAIL.contains(&order[index]) {
        order
            .iter()
            .position(|candidate| TAIL.contains(candidate))
            .unwrap_or(index)
    } else {
        index
    }
}

fn problem(path: &str, message: String) -> Problem {
    Problem {
        path: path.to_owned(),
        message,
    }
}

struct Reader {
    problems: Vec<Problem>,
    prefixes: BTreeMap<String, String>,
}

/// The JSON-LD form of an XML namespace: the CBV master-data namespace is written
/// `urn:epcglobal:cbv:mda` in XML and `urn:epcglobal:cbv:mda:` in the EPCIS JSON-LD context, and
/// both must name the same terms.
fn json_ld_namespace(namespace: &str) -> &str {
    if namespace == "urn:epcglobal:cbv:mda" {
        "urn:epcglobal:cbv:mda:"
    } else {
        namespace
    }
}

/// Whether `node` is in a namespace (a user extension) rather than an unqualified EPCIS element.
fn is_extension(node: Node) -> bool {
    node.tag_name().namespace().is_some_and(|namespace| {
        !namespace.is_empty() && namespace != "urn:epcglobal:epcis:xsd:2" && namespace != "urn:epcglobal:epcis:xsd:1"
    })
}

fn text(node: Node) -> String {
    node.text().unwrap_or("").trim().to_owned()
}

fn elements<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(Node::is_element)
}

/// A CBV URN as the bare term JSON uses (`urn:epcglobal:cbv:bizstep:shipping` → `shipping`).
fn cbv_term(value: &str) -> String {
    for prefix in [
        "urn:epcglobal:cbv:bizstep:",
        "urn:epcglobal:cbv:disp:",
        "urn:epcglobal:cbv:btt:",
        "urn:epcglobal:cbv:sdt:",
        "urn:epcglobal:cbv:er:",
    ] {
        if let Some(term) = value.strip_prefix(prefix) {
            return term.to_owned();
        }
    }
    value.to_owned()
}

/// A number for numeric fields; the text when it is not one (the validator then says why).
fn number(value: &str) -> Value {
    if let Ok(integer) = value.parse::<i64>() {
        return json!(integer);
    }
    match value.parse::<f64>() {
        Ok(float) if float.is_finite() => json!(float),
        _ => json!(value),
    }
}

impl Reader {
    fn extension_name(&mut self, node: Node) -> String {
        let namespace = json_ld_namespace(node.tag_name().namespace().unwrap_or(""));
        let prefix = node
            .tag_name()
            .namespace()
            .and_then(|uri| node.lookup_prefix(uri))
            .filter(|prefix| !prefix.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let existing = self
                    .prefixes
                    .iter()
                    .find(|(_, known)| known.as_str() == namespace)
                    .map(|(prefix, _)| prefix.clone());
                existing.unwrap_or_else(|| format!("ns{}", self.prefixes.len() + 1))
            });
        self.prefixes.insert(prefix.clone(), namespace.to_owned());
        format!("{prefix}:{}", node.tag_name().name())
    }

    fn attribute_name(&mut self, node: Node, attribute: &roxmltree::Attribute) -> String {
        match attribute.namespace() {
            Some(namespace) if !namespace.is_empty() => {
                let prefix = node.lookup_prefix(namespace).unwrap_or("ns").to_owned();
                self.prefixes
                    .insert(prefix.clone(), json_ld_namespace(namespace).to_owned());
                format!("{prefix}:{}", attribute.name())
            }
            _ => attribute.name().to_owned(),
        }
    }

    /// An extension element as JSON: text, or an object of its children (repeated names become
    /// arrays).
    fn extension_value(&mut self, node: Node) -> Value {
        let children: Vec<Node> = elements(node).collect();
        // xsi:type and other XML Schema instance attributes annotate the XML, they carry no data.
        let attributes: Vec<roxmltree::Attribute> = node
            .attributes()
            .filter(|attribute| attribute.namespace() != Some("http://www.w3.org/2001/XMLSchema-instance"))
            .collect();
        if children.is_empty() && attributes.is_empty() {
            return json!(text(node));
        }
        let mut object = Map::new();
        for attribute in attributes {
            let name = self.attribute_name(node, &attribute);
            object.insert(name, json!(attribute.value()));
        }
        for child in children {
            let name = if is_extension(child) {
                self.extension_name(child)
            } else {
                child.tag_name().name().to_owned()
            };
            let value = self.extension_value(child);
            match object.get_mut(&name) {
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => *existing = json!([existing.take(), value]),
                None => {
                    object.insert(name, value);
                }
            }
        }
        Value::Object(object)
    }

    fn insert_extension(&mut self, object: &mut Map<String, Value>, node: Node) {
        let name = self.extension_name(node);
        let value = self.extension_value(node);
        match object.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => *existing = json!([existing.take(), value]),
            None => {
                object.insert(name, value);
            }
        }
    }

    fn event(&mut self, node: Node, path: &str) -> Value {
        let event_type = node.tag_name().name().to_owned();
        let Some(body) = sequence(&event_type) else {
            self.problems
                .push(problem(path, format!("<{event_type}> is not an EPCIS event type")));
            return Value::Null;
        };
        let order: Vec<&str> = HEAD.iter().chain(body.iter()).copied().collect();
        let mut object = Map::new();
        object.insert("type".to_owned(), json!(event_type));
        self.fields(node, &order, path, &mut object);
        Value::Object(object)
    }

    /// Reads the children of an event (or of a 1.x `extension` wrapper inside it) in XSD order.
    fn fields(&mut self, node: Node, order: &[&str], path: &str, object: &mut Map<String, Value>) {
        let mut position = 0;
        for child in elements(node) {
            if is_extension(child) {
                self.insert_extension(object, child);
                continue;
            }
            let name = child.tag_name().name();
            if name == "extension" || name == "baseExtension" {
                self.fields(child, order, path, object);
                continue;
            }
            match order
                .iter()
                .position(|candidate| *candidate == name)
                .map(|index| rank(order, index))
            {
                None => self.problems.push(problem(
                    path,
                    format!("<{name}> is not an element of {}", node.tag_name().name()),
                )),
                Some(index) if index < position => self.problems.push(problem(
                    &format!("{path}/{name}"),
                    format!(
                        "<{name}> must come before <{}> (EPCIS 2.0 XSD element order)",
                        order[position]
                    ),
                )),
                Some(index) => {
                    position = index;
                    let value = self.field(child, &format!("{path}/{name}"));
                    object.insert(name.to_owned(), value);
                }
            }
        }
    }

    fn field(&mut self, node: Node, path: &str) -> Value {
        let name = node.tag_name().name();
        match name {
            "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => Value::Array(
                elements(node)
                    .filter(|child| child.tag_name().name() == "epc")
                    .map(|child| json!(text(child)))
                    .collect(),
            ),
            "quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList" => Value::Array(
                elements(node)
                    .map(|element| {
                        let mut quantity = Map::new();
                        for part in elements(element) {
                            let value = text(part);
                            let value = if part.tag_name().name() == "quantity" {
                                number(&value)
                            } else {
                                json!(value)
                            };
                            quantity.insert(part.tag_name().name().to_owned(), value);
                        }
                        Value::Object(quantity)
                    })
                    .collect(),
            ),
            "readPoint" | "bizLocation" => {
                let mut location = Map::new();
                for part in elements(node) {
                    if is_extension(part) {
                        self.insert_extension(&mut location, part);
                    } else if part.tag_name().name() == "id" {
                        location.insert("id".to_owned(), json!(text(part)));
                    } else if part.tag_name().name() != "extension" {
                        self.problems.push(problem(
                            path,
                            format!("<{}> is not an element of <{name}>", part.tag_name().name()),
                        ));
                    }
                }
                Value::Object(location)
            }
            "bizTransactionList" | "sourceList" | "destinationList" => {
                let item = match name {
                    "bizTransactionList" => "bizTransaction",
                    "sourceList" => "source",
                    _ => "destination",
                };
                Value::Array(
                    elements(node)
                        .map(|element| {
                            let mut entry = Map::new();
                            if let Some(kind) = element.attribute("type") {
                                entry.insert("type".to_owned(), json!(cbv_term(kind)));
                            }
                            entry.insert(item.to_owned(), json!(text(element)));
                            Value::Object(entry)
                        })
                        .collect(),
                )
            }
            "bizStep" | "disposition" => json!(cbv_term(&text(node))),
            "persistentDisposition" => {
                let mut result = Map::new();
                for part in elements(node) {
                    let key = part.tag_name().name().to_owned();
                    let entry = result.entry(key).or_insert_with(|| json!([]));
                    if let Some(items) = entry.as_array_mut() {
                        items.push(json!(cbv_term(&text(part))));
                    }
                }
                Value::Object(result)
            }
            "errorDeclaration" => {
                let mut declaration = Map::new();
                for part in elements(node) {
                    match part.tag_name().name() {
                        _ if is_extension(part) => self.insert_extension(&mut declaration, part),
                        "correctiveEventIDs" => {
                            let ids = elements(part).map(|id| json!(text(id))).collect();
                            declaration.insert("correctiveEventIDs".to_owned(), Value::Array(ids));
                        }
                        "reason" => {
                            declaration.insert("reason".to_owned(), json!(cbv_term(&text(part))));
                        }
                        other => {
                            declaration.insert(other.to_owned(), json!(text(part)));
                        }
                    }
                }
                Value::Object(declaration)
            }
            "sensorElementList" => Value::Array(elements(node).map(|element| self.sensor_element(element)).collect()),
            "ilmd" => {
                let mut ilmd = Map::new();
                for part in elements(node) {
                    if part.tag_name().name() == "extension" && !is_extension(part) {
                        for inner in elements(part) {
                            self.insert_extension(&mut ilmd, inner);
                        }
                    } else {
                        self.insert_extension(&mut ilmd, part);
                    }
                }
                Value::Object(ilmd)
            }
            _ => json!(text(node)),
        }
    }

    fn sensor_element(&mut self, element: Node) -> Value {
        let mut output = Map::new();
        let mut reports = Vec::new();
        for part in elements(element) {
            match part.tag_name().name() {
                _ if is_extension(part) => self.insert_extension(&mut output, part),
                "sensorMetadata" => {
                    let metadata = self.sensor_attributes(part);
                    output.insert("sensorMetadata".to_owned(), metadata);
                }
                "sensorReport" => reports.push(self.sensor_attributes(part)),
                _ => {}
            }
        }
        if !reports.is_empty() {
            output.insert("sensorReport".to_owned(), Value::Array(reports));
        }
        Value::Object(output)
    }

    fn sensor_attributes(&mut self, node: Node) -> Value {
        let mut object = Map::new();
        for attribute in node.attributes() {
            let name = self.attribute_name(node, &attribute);
            let raw = attribute.value();
            let value = match name.as_str() {
                "value" | "minValue" | "maxValue" | "meanValue" | "sDev" | "percRank" | "percValue" => number(raw),
                "booleanValue" => json!(raw == "true" || raw == "1"),
                "type" | "exception" => json!(raw.strip_prefix("gs1:").unwrap_or(raw)),
                _ => json!(raw),
            };
            object.insert(name, value);
        }
        for child in elements(node) {
            if is_extension(child) {
                self.insert_extension(&mut object, child);
            }
        }
        Value::Object(object)
    }
}
