//! Validation of EPCIS 2.0 JSON / JSON-LD documents: the GS1 EPCIS JSON Schema (embedded from
//! `schema/`, see its SOURCE.txt), then the rules the schema cannot state. Every problem is
//! reported with its JSON pointer.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

const SCHEMA: &str = include_str!("../schema/EPCIS-JSON-Schema.json");

/// One problem with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer of the offending value.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Corrections applied to the GS1 schema (as published at the commit in `schema/SOURCE.txt`)
/// where it is stricter than the EPCIS 2.0 standard it implements. Each is a documented reason,
/// tested by the OpenEPCIS documents that need it.
fn apply_errata(schema: &mut Value) {
    let definitions = &mut schema["definitions"];
    // 1. EPCIS 2.0 section 7.4 gives every event type persistentDisposition; the schema only
    //    lists it for ObjectEvent and TransformationEvent.
    for event in ["AggregationEvent", "TransactionEvent", "AssociationEvent"] {
        let body = &mut definitions[event]["allOf"][1];
        body["properties"]["persistentDisposition"] =
            serde_json::json!({"$ref": "#/definitions/persistentDisposition"});
        if let Some(names) = body["propertyNames"]["anyOf"][1]["enum"].as_array_mut() {
            names.push(Value::String("persistentDisposition".to_owned()));
        }
    }
    // 2. A sensor report's type is optional in EPCIS 2.0 (section 7.3.8): a report may carry only
    //    an exception such as gs1:ALARM_CONDITION.
    if let Some(object) = definitions["sensorReport"].as_object_mut() {
        object.remove("required");
    }
    // 3. Measurement types: GS1's vocabulary (gs1:MeasurementType) has grown past the schema's
    //    enumeration (e.g. EffectiveDoseRate); a bare term of letters, digits and underscores is
    //    accepted as sent, as are URIs (already allowed).
    if let Some(alternatives) = definitions["measurementType"]["anyOf"].as_array_mut() {
        alternatives.push(serde_json::json!({"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"}));
    }
}

/// The embedded schema with its errata applied.
pub(crate) fn schema_value() -> &'static Value {
    static SCHEMA_VALUE: OnceLock<Value> = OnceLock::new();
    SCHEMA_VALUE.get_or_init(|| {
        let mut schema: Value = serde_json::from_str(SCHEMA).expect("the embedded EPCIS JSON Schema is JSON");
        apply_errata(&mut schema);
        schema
    })
}

pub(crate) fn schema_validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(schema_value())
            .expect("the embedded EPCIS JSON Schema compiles")
    })
}

/// Validates an EPCIS document (or a single event) and returns every problem found.
///
/// An EPCISDocument whose events are of the common shapes is recognised as conforming to the
/// schema without the generic validator walking every event (`shapes.rs`); any document that
/// route does not show to conform is validated generically, which gives the messages.
pub fn validate_document(document: &Value) -> Vec<Problem> {
    let events_conform = || {
        crate::capture::events_of(document)
            .iter()
            .all(|(_, event)| crate::shapes::event_conforms(event))
    };
    let conforms = crate::shapes::shell_conforms(document, schema_validator()) && events_conform();
    validate_with(document, conforms)
}

/// [`validate_document`] for a document whose events were each checked already with
/// `shapes::event_conforms` (by `prepare_document`, on several threads): `events_conform` says
/// whether every one did.
pub(crate) fn validate_checked_document(document: &Value, syntax: crate::Syntax, events_conform: bool) -> Vec<Problem> {
    let conforms = events_conform && crate::shapes::shell_conforms(document, schema_validator());
    let problems = validate_with(document, conforms);
    match syntax {
        crate::Syntax::Json => problems,
        crate::Syntax::Xml => xml_problems(problems),
    }
}

/// [`validate_document`] through the generic validator alone, for tests comparing the two.
#[cfg(test)]
pub(crate) fn validate_document_generically(document: &Value) -> Vec<Problem> {
    validate_with(document, false)
}

/// The problems of `document`; `conforms_to_schema` when it was shown to conform to the schema
/// already (so only the rules the schema cannot state are checked).
fn validate_with(document: &Value, conforms_to_schema: bool) -> Vec<Problem> {
    let validator = schema_validator();
    // Collecting errors walks every branch and builds messages; a valid document (the usual
    // case) is recognised by the short-circuiting check alone.
    let schema_errors = if conforms_to_schema || validator.is_valid(document) {
        None
    } else {
        Some(validator.iter_errors(document))
    };
    let mut problems: Vec<Problem> = schema_errors
        .into_iter()
        .flatten()
        .map(|error| {
            let schema_path = error.schema_path().as_str();
            let message = explain(schema_path, error.instance()).unwrap_or_else(|| error.to_string());
            Problem {
                path: error.instance_path().as_str().to_owned(),
                message,
            }
        })
        .collect();
    let top_type = document.get("type").and_then(Value::as_str).unwrap_or("");
    if !["EPCISDocument", "EPCISQueryDocument"].contains(&top_type) && !crate::capture::EVENT_TYPES.contains(&top_type)
    {
        problems.push(Problem {
            path: "/type".to_owned(),
            message: format!("{top_type:?} is neither EPCISDocument, EPCISQueryDocument nor an EPCIS 2.0 event type"),
        });
    }
    // The schema only asks for an @context; the document must name the EPCIS 2.0 context for its
    // terms to mean what EPCIS says.
    if let Some(context) = document.get("@context") {
        let names_epcis = match context {
            Value::String(url) => is_epcis_context(url),
            Value::Array(items) => items.iter().any(|item| item.as_str().is_some_and(is_epcis_context)),
            _ => false,
        };
        if !names_epcis {
            problems.push(Problem {
                path: "/@context".to_owned(),
                message: "must name the EPCIS 2.0 JSON-LD context (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld)".to_owned(),
            });
        }
    }
    // The schema lets an event of an unknown type through (none of its if/then rules applies);
    // EPCIS 2.0 knows five event types.
    for (path, event) in crate::capture::events_of(document) {
        let event_type = event.get("type").and_then(Value::as_str).unwrap_or("");
        if !crate::capture::EVENT_TYPES.contains(&event_type) {
            problems.push(Problem {
                path: format!("{path}/type"),
                message: format!("{event_type:?} is not an EPCIS 2.0 event type (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent)"),
            });
        }
    }
    problems.dedup();
    problems
}

/// Plainer messages for the schema's `anyOf` rules, whose generic message names no cause.
fn explain(schema_path: &str, instance: &Value) -> Option<String> {
    let value = instance.to_string();
    let vocabulary = |what: &str, examples: &str| {
        format!("{value} is neither a CBV 2.0 {what} (e.g. {examples}) nor an absolute URI of another vocabulary")
    };
    if schema_path.contains("/bizStep/") {
        Some(vocabulary("business step", "shipping, receiving, commissioning"))
    } else if schema_path.contains("/disposition/") {
        Some(vocabulary("disposition", "in_transit, in_progress, active"))
    } else if schema_path.ends_with("/anyOf") && instance.get("type").is_some() && instance.get("action").is_some() {
        Some(
            "the event names no objects: give epcList or quantityList (childEPCs or childQuantityList, ...)".to_owned(),
        )
    } else {
        None
    }
}

/// Validates a document read from XML ([`crate::document_from_xml`]): as [`validate_document`],
/// except that an EPC may repeat in a list, which the EPCIS XSD allows and only the JSON schema
/// forbids (the repeat is kept, so the event hash stays that of the document as sent).
pub fn validate_xml_document(document: &Value) -> Vec<Problem> {
    xml_problems(validate_document(document))
}

/// The problems of a document read from XML: those of its JSON form less repeated EPCs in lists.
fn xml_problems(problems: Vec<Problem>) -> Vec<Problem> {
    problems
        .into_iter()
        .filter(|problem| !(problem.message.contains("non-unique elements") && problem.path.ends_with("List")))
        .collect()
}

fn is_epcis_context(url: &str) -> bool {
    url.starts_with("https://ref.gs1.org/standards/epcis/") && url.ends_with("epcis-context.jsonld")
        || url == "https://gs1.github.io/EPCIS/epcis-context.jsonld"
}
