//! A cheaper route to the EPCIS JSON Schema's verdict for the event shapes most captures send.
//!
//! The generic validator walks the whole schema for every event: six `if` branches (one per event
//! type), `propertyNames` alternatives that try a URI check on every property name, nested
//! `allOf`/`anyOf`s. For an `EPCISDocument` this module reaches the same verdict in three parts:
//!
//! * the document without its events (`epcisBody.eventList` emptied) goes through the generic
//!   validator: in the schema the events are only the items of `eventList`, each checked against
//!   the definition `EPCIS-Document-Event` on its own, so the document conforms exactly when
//!   this shell conforms and every event conforms to that definition;
//! * an ObjectEvent or TransformationEvent whose properties are all among the few this module
//!   knows ([`conforms_as_common_shape`]) is checked structurally here (which properties are
//!   allowed, which required, which `anyOf` alternative holds), every value by the schema's own
//!   definition for it, compiled from the same embedded schema (so a URI, a date-time, a CBV term,
//!   an EPC list or a quantity element is judged by the generic validator's own code);
//! * any other event is checked against `EPCIS-Document-Event` by the generic validator.
//!
//! Only a "conforms" is taken from this route. Whenever it finds a problem, the caller runs the
//! generic validator over the whole document, which produces the messages, so every refused
//! document gets exactly the messages it got before. The unit tests below check, on every
//! OpenEPCIS document and on variants of their events, that this route never says "conforms"
//! where the generic validator does not.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::{Map, Value};

/// Validators of single definitions of the schema, compiled from the embedded schema with its
/// errata (`validate::schema_value`).
struct Definitions {
    uri: Validator,
    time: Validator,
    time_zone_offset: Validator,
    action: Validator,
    biz_step: Validator,
    disposition: Validator,
    read_point: Validator,
    biz_location: Validator,
    epc_list: Validator,
    quantity_list: Validator,
    /// The schema of an item of `eventList`, for events of other shapes.
    document_event: Validator,
}

/// A validator of the schema's value at `pointer` (inside `definitions`), with every definition
/// available to its references.
fn compile(schema: &Value, pointer: &str) -> Validator {
    let mut wrapper = serde_json::json!({ "allOf": [{ "$ref": format!("#{pointer}") }] });
    wrapper["definitions"] = schema["definitions"].clone();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&wrapper)
        .expect("a definition of the embedded EPCIS JSON Schema compiles")
}

fn definitions() -> &'static Definitions {
    static DEFINITIONS: OnceLock<Definitions> = OnceLock::new();
    DEFINITIONS.get_or_init(|| {
        let schema = crate::validate::schema_value();
        Definitions {
            uri: compile(schema, "/definitions/uri"),
            time: compile(schema, "/definitions/time"),
            time_zone_offset: compile(schema, "/definitions/Event/properties/eventTimeZoneOffset"),
            action: compile(schema, "/definitions/action"),
            biz_step: compile(schema, "/definitions/bizStep"),
            disposition: compile(schema, "/definitions/disposition"),
            read_point: compile(schema, "/definitions/readPoint"),
            biz_location: compile(schema, "/definitions/bizLocation"),
            epc_list: compile(schema, "/definitions/epcList"),
            quantity_list: compile(schema, "/definitions/quantityList"),
            document_event: compile(schema, "/definitions/EPCIS-Document-Event"),
        }
    })
}

/// The event types this module checks itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Transformation,
}

/// Whether `event`, an item of an EPCISDocument's `eventList`, conforms to the schema's
/// `EPCIS-Document-Event`: by [`conforms_as_common_shape`] where it can tell, else by the generic
/// validator.
pub(crate) fn event_conforms(event: &Value) -> bool {
    conforms_as_common_shape(event) || definitions().document_event.is_valid(event)
}

/// Whether `event` is an ObjectEvent or TransformationEvent of the common shape that conforms
/// to `EPCIS-Document-Event`. `false` means "not shown here", not "invalid".
///
/// The common shape: the properties `type`, `eventTime`, `recordTime`, `eventTimeZoneOffset`,
/// `eventID`, `bizStep`, `disposition`, `readPoint` and `bizLocation` (each holding only `id`),
/// and for an ObjectEvent `action`, `epcList` and `quantityList`, for a TransformationEvent
/// `inputEPCList`, `inputQuantityList`, `outputEPCList`, `outputQuantityList` and
/// `transformationID`. Every one of them is in the schema's `propertyNames` enumerations of that
/// event type, and each value is checked by the definition the schema gives it for that type
/// (`Event`, `ObjectEvent` and `TransformationEvent` refer to the same ones). What remains of
/// those definitions is checked here: `eventTime` and `eventTimeZoneOffset` are required, and an
/// ObjectEvent needs `action` and `epcList` or a non-empty `quantityList` (the schema's third
/// alternative needs sensor data, outside this shape; without `ilmd` its last `anyOf` holds for
/// every `action` the enumeration allows); a TransformationEvent needs a non-empty input list
/// and a non-empty output list (the schema's first alternative; the second, with a
/// `transformationID` and inputs or outputs only, is left to the generic validator).
fn conforms_as_common_shape(event: &Value) -> bool {
    let Some(object) = event.as_object() else {
        return false;
    };
    let shape = match object.get("type").and_then(Value::as_str) {
        Some("ObjectEvent") => Shape::Object,
        Some("TransformationEvent") => Shape::Transformation,
        _ => return false,
    };
    if !object.contains_key("eventTime") || !object.contains_key("eventTimeZoneOffset") {
        return false;
    }
    let checks = definitions();
    let only_id = |value: &Value| value.as_object().is_some_and(|location| location.len() == 1);
    for (name, value) in object {
        let conforms = match (name.as_str(), shape) {
            ("type", _) => true,
            ("eventTime" | "recordTime", _) => checks.time.is_valid(value),
            ("eventTimeZoneOffset", _) => checks.time_zone_offset.is_valid(value),
            ("eventID", _) => checks.uri.is_valid(value),
            ("bizStep", _) => checks.biz_step.is_valid(value),
            ("disposition", _) => checks.disposition.is_valid(value),
            ("readPoint", _) => only_id(value) && checks.read_point.is_valid(value),
            ("bizLocation", _) => only_id(value) && checks.biz_location.is_valid(value),
            ("action", Shape::Object) => checks.action.is_valid(value),
            ("epcList", Shape::Object) | ("inputEPCList" | "outputEPCList", Shape::Transformation) => {
                checks.epc_list.is_valid(value)
            }
            ("quantityList", Shape::Object) | ("inputQuantityList" | "outputQuantityList", Shape::Transformation) => {
                checks.quantity_list.is_valid(value)
            }
            ("transformationID", Shape::Transformation) => checks.uri.is_valid(value),
            _ => false,
        };
        if !conforms {
            return false;
        }
    }
    let non_empty = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_array)
            .is_some_and(|items| !items.is_empty())
    };
    match shape {
        Shape::Object => object.contains_key("action") && (object.contains_key("epcList") || non_empty("quantityList")),
        Shape::Transformation => {
            (non_empty("inputEPCList") || non_empty("inputQuantityList"))
                && (non_empty("outputEPCList") || non_empty("outputQuantityList"))
        }
    }
}

/// Whether `document`, an EPCISDocument, conforms to the schema apart from its events: the
/// document with an empty `epcisBody.eventList`, by the generic validator. `false` for any
/// other document (a query document, a single event), which the caller validates whole.
pub(crate) fn shell_conforms(document: &Value, validator: &Validator) -> bool {
    let Some(object) = document.as_object() else {
        return false;
    };
    if object.get("type").and_then(Value::as_str) != Some("EPCISDocument") {
        return false;
    }
    let Some(body) = object.get("epcisBody").and_then(Value::as_object) else {
        return false;
    };
    if !body.get("eventList").is_some_and(Value::is_array) {
        return false;
    }
    let mut shell_body: Map<String, Value> = body
        .iter()
        .filter(|(key, _)| *key != "eventList")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    shell_body.insert("eventList".to_owned(), Value::Array(Vec::new()));
    let shell: Map<String, Value> = object
        .iter()
        .map(|(key, value)| {
            if key == "epcisBody" {
                (key.clone(), Value::Object(shell_body.clone()))
            } else {
                (key.clone(), value.clone())
            }
        })
        .collect();
    validator.is_valid(&Value::Object(shell))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::{Path, PathBuf};

    /// Every JSON file of the OpenEPCIS resources, valid and invalid, captures and queries.
    fn corpus() -> Vec<(PathBuf, Value)> {
        fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(directory).expect("the OpenEPCIS resources are there") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|extension| extension == "json") {
                    found.push(path);
                }
            }
        }
        let mut paths = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/openepcis/JSON"),
            &mut paths,
        );
        paths.sort();
        paths
            .into_iter()
            .filter_map(|path| {
                let document = serde_json::from_slice(&std::fs::read(&path).expect("read")).ok()?;
                Some((path, document))
            })
            .collect()
    }

    /// The events of `document` wherever they are (as items of an event list).
    fn events(document: &Value) -> Vec<Value> {
        crate::capture::events_of(document)
            .into_iter()
            .map(|(_, event)| event.clone())
            .collect()
    }

    /// Variants of a conforming event: each property removed, each value replaced by values of
    /// other kinds and by near misses, unknown properties added, lists emptied.
    fn variants(event: &Value) -> Vec<Value> {
        let object = event.as_object().expect("an event is an object");
        let replacements = [
            json!(null),
            json!(1),
            json!(true),
            json!(""),
            json!("not a uri"),
            json!("urn:epcglobal:cbv:bizstep:shipping"),
            json!("https://ns.gs1.org/cbv/Disp-active"),
            json!("shipping"),
            json!("in_transit"),
            json!("OBSERVE"),
            json!("ADD"),
            json!("observe"),
            json!("2026-01-01T00:00:00Z"),
            json!("2026-01-01T00:00:00"),
            json!("2026-02-30T00:00:00+09:00"),
            json!("+09:00"),
            json!("+15:00"),
            json!("09:00"),
            json!([]),
            json!(["urn:epc:id:sgtin:4512345.012345.1", "urn:epc:id:sgtin:4512345.012345.1"]),
            json!(["urn:epc:id:sgtin:4512345.012345.1", 2]),
            json!([{"epcClass": "urn:epc:class:lgtin:4512345.012345.L1", "quantity": 1, "uom": "KGM"}]),
            json!([{"epcClass": "urn:epc:class:lgtin:4512345.012345.L1", "quantity": "1"}]),
            json!([{"epcClass": "urn:epc:class:lgtin:4512345.012345.L1", "uom": "kg"}]),
            json!([{"epcClass": "urn:epc:class:lgtin:4512345.012345.L1", "other": 1}]),
            json!([{"quantity": 1}]),
            json!({"id": "urn:epc:id:sgln:4512345.00001.0"}),
            json!({"id": "urn:epc:id:sgln:4512345.00001.0", "extra": 1}),
            json!({"id": 5}),
            json!({}),
        ];
        let mut variants = Vec::new();
        for key in object.keys() {
            let mut removed = object.clone();
            removed.remove(key);
            variants.push(Value::Object(removed));
            for replacement in &replacements {
                let mut replaced = object.clone();
                replaced.insert(key.clone(), replacement.clone());
                variants.push(Value::Object(replaced));
            }
        }
        for key in [
            "action",
            "epcList",
            "quantityList",
            "inputEPCList",
            "outputEPCList",
            "inputQuantityList",
            "outputQuantityList",
            "transformationID",
            "ilmd",
            "example:extension",
            "unknown",
            "childEPCs",
        ] {
            for replacement in &replacements {
                let mut added = object.clone();
                added.insert(key.to_owned(), replacement.clone());
                variants.push(Value::Object(added));
            }
        }
        for kind in ["ObjectEvent", "TransformationEvent", "AggregationEvent"] {
            let mut retyped = object.clone();
            retyped.insert("type".to_owned(), json!(kind));
            variants.push(Value::Object(retyped));
        }
        variants
    }

    #[test]
    fn the_common_shape_never_conforms_where_the_schema_refuses() {
        let checks = definitions();
        let mut checked = 0;
        let mut common = 0;
        let mut disagreements = Vec::new();
        // The corpus, and events of the shapes the benchmark and the demo send.
        let own = json!({"type": "EPCISDocument", "epcisBody": {"eventList": [
            {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00.001+09:00", "eventTimeZoneOffset": "+09:00",
             "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:4599990.012345.S1"], "bizStep": "shipping",
             "readPoint": {"id": "urn:epc:id:sgln:4599990.00001.0"}},
            {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "-05:30",
             "eventID": "urn:uuid:0b8f6a4e-0000-4000-8000-000000000001", "recordTime": "2026-01-01T00:00:01Z",
             "action": "ADD", "quantityList": [{"epcClass": "urn:epc:class:lgtin:4599990.012345.L1", "quantity": 2.5, "uom": "KGM"}],
             "disposition": "in_progress", "bizLocation": {"id": "https://id.gs1.org/414/4599990000012"}},
            {"type": "TransformationEvent", "eventTime": "2026-01-01T00:00:00.010+09:00", "eventTimeZoneOffset": "+09:00",
             "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4599990.012345.L1", "quantity": 100, "uom": "KGM"},
                                   {"epcClass": "urn:epc:class:lgtin:4599990.090001.L1", "quantity": 25, "uom": "KGM"}],
             "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4599990.012345.L2", "quantity": 120, "uom": "KGM"}],
             "bizStep": "commissioning"},
            {"type": "TransformationEvent", "eventTime": "2026-01-01T00:00:00+09:00", "eventTimeZoneOffset": "+09:00",
             "inputEPCList": ["urn:epc:id:sgtin:4599990.012345.S1"], "outputEPCList": ["urn:epc:id:sgtin:4599990.012345.S2"],
             "transformationID": "urn:epc:id:gdti:4599990.00001.1"}
        ]}});
        for (path, document) in corpus().into_iter().chain([(PathBuf::from("own events"), own)]) {
            for event in events(&document) {
                let mut candidates = vec![event.clone()];
                if conforms_as_common_shape(&event) {
                    candidates.extend(variants(&event));
                }
                for candidate in candidates {
                    checked += 1;
                    let fast = conforms_as_common_shape(&candidate);
                    common += usize::from(fast);
                    if fast && !checks.document_event.is_valid(&candidate) {
                        disagreements.push(format!("{}: {candidate}", path.display()));
                    }
                }
            }
        }
        assert!(disagreements.is_empty(), "{disagreements:#?}");
        // The route is used, not vacuous: many corpus events and variants are of the shape.
        assert!(common > 150 && checked > 5000, "{common} of {checked}");
    }

    #[test]
    fn documents_get_the_same_verdict_and_messages_as_from_the_generic_validator() {
        for (path, document) in corpus() {
            let fast = crate::validate::validate_document(&document);
            let generic = crate::validate::validate_document_generically(&document);
            assert_eq!(fast, generic, "{}", path.display());
        }
    }

    #[test]
    fn shells_of_other_documents_are_left_to_the_generic_validator() {
        let validator = crate::validate::schema_validator();
        assert!(!shell_conforms(&json!({"type": "EPCISQueryDocument"}), validator));
        assert!(!shell_conforms(
            &json!({"type": "ObjectEvent", "action": "OBSERVE"}),
            validator
        ));
        assert!(!shell_conforms(
            &json!({"type": "EPCISDocument", "epcisBody": {"eventList": {}}}),
            validator
        ));
    }
}
