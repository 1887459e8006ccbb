//! Preparing a captured document for storage: validation (schema, CBV, identifiers), the event
//! hash, a default eventID, and the canonical facts and identifiers queries and lineage use.
//! A document is prepared entirely or refused with every problem.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::event::{CapturedEvent, EventIdentifier, IdentifierRole};

use crate::hash::{canonical, event_hash_known, term, Namespaces, Vocabulary};
use crate::validate::Problem;

/// The syntax a document came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// EPCIS 2.0 JSON / JSON-LD.
    Json,
    /// EPCIS XML, already read into the JSON-LD form.
    Xml,
}

/// The EPCIS 2.0 event types.
pub const EVENT_TYPES: [&str; 5] = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// The events of an EPCISDocument, an EPCISQueryDocument or a single event, with the JSON pointer
/// of each.
pub fn events_of(document: &Value) -> Vec<(String, &Value)> {
    let type_name = document.get("type").and_then(Value::as_str).unwrap_or("");
    if EVENT_TYPES.contains(&type_name) {
        return vec![(String::new(), document)];
    }
    let (path, list) = match document["epcisBody"]["eventList"].as_array() {
        Some(list) => ("/epcisBody/eventList", Some(list)),
        None => (
            "/epcisBody/queryResults/resultsBody/eventList",
            document["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array(),
        ),
    };
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(index, event)| (format!("{path}/{index}"), event))
        .collect()
}

/// Events per unit of work when a document's events are prepared on several threads.
const EVENTS_PER_TASK: usize = 64;

/// Validates `document` and prepares each of its events, or returns every problem.
///
/// Preparing an event (its schema check, hash, identifier checks and canonical forms) needs
/// nothing from the others, so a large document's events are prepared on every core; the results
/// are then put together in document order, so the outcome is the same as one thread's. The
/// schema check of the document as a whole then only has to look at what is not an event
/// (`shapes.rs`), unless an event did not conform, when it is validated generically for the
/// messages.
pub fn prepare_document(document: &Value, syntax: Syntax) -> Result<Vec<CapturedEvent>, Vec<Problem>> {
    prepare_document_owned(document.clone(), syntax)
}

/// [`prepare_document`], taking the document: each event's body is moved out of it instead of
/// copied (the copy was about 2 % of a capture's CPU time in `perf`).
pub fn prepare_document_owned(document: Value, syntax: Syntax) -> Result<Vec<CapturedEvent>, Vec<Problem>> {
    let prepared = prepare_without_bodies(&document, syntax)?;
    Ok(prepared
        .into_iter()
        .zip(into_events(document))
        .map(|(captured, event)| with_body(captured, event))
        .collect())
}

/// [`prepare_document`] but for the events' bodies, left `null`.
fn prepare_without_bodies(document: &Value, syntax: Syntax) -> Result<Vec<CapturedEvent>, Vec<Problem>> {
    let context = document.get("@context").cloned().unwrap_or(Value::Null);
    let namespaces = Namespaces::from_context(document.get("@context"));
    let events = events_of(document);
    let prepare = |(path, event): &(String, &Value)| {
        (
            crate::shapes::event_conforms(event),
            prepare_event(event, &namespaces, &context, path),
        )
    };
    let threads = std::thread::available_parallelism().map_or(1, |count| count.get());
    let results: Vec<(bool, Result<CapturedEvent, Vec<Problem>>)> = if threads < 2 || events.len() < 2 * EVENTS_PER_TASK
    {
        events.iter().map(prepare).collect()
    } else {
        let tasks: Vec<&[(String, &Value)]> = events.chunks(EVENTS_PER_TASK).collect();
        let next_task = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let task = next_task.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = tasks.get(task) else { break done };
                done.push((task, chunk.iter().map(prepare).collect::<Vec<_>>()));
            }
        };
        let mut done = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut done = work();
            for helper in helpers {
                done.extend(helper.join().expect("preparing an event does not panic"));
            }
            done
        });
        done.sort_unstable_by_key(|(task, _)| *task);
        done.into_iter().flat_map(|(_, results)| results).collect()
    };
    let events_conform = results.iter().all(|(conforms, _)| *conforms);
    let schema_problems = crate::validate::validate_checked_document(document, syntax, events_conform);
    if !schema_problems.is_empty() {
        return Err(schema_problems);
    }
    let results = results.into_iter().map(|(_, result)| result);
    let mut problems = schema_problems;
    let mut prepared: Vec<CapturedEvent> = Vec::with_capacity(results.len());
    // The first prepared event of each eventID: a later one with the same ID must be the same
    // event (same hash). A map, not a scan: documents carry thousands of events.
    let mut first_with_id: HashMap<String, usize> = HashMap::new();
    for ((path, _), result) in events.iter().zip(results) {
        match result {
            Ok(captured) => {
                let earlier = first_with_id.get(&captured.event_id).map(|index| &prepared[*index]);
                if earlier.is_some_and(|earlier| earlier.event_hash != captured.event_hash) {
                    problems.push(Problem {
                        path: format!("{path}/eventID"),
                        message: format!(
                            "eventID {} is used twice in this document for different events",
                            captured.event_id
                        ),
                    });
                } else {
                    first_with_id.entry(captured.event_id.clone()).or_insert(prepared.len());
                    prepared.push(captured);
                }
            }
            Err(mut event_problems) => problems.append(&mut event_problems),
        }
    }
    if problems.is_empty() {
        Ok(prepared)
    } else {
        Err(problems)
    }
}

fn prepare_event(
    event: &Value,
    namespaces: &Namespaces,
    context: &Value,
    path: &str,
) -> Result<CapturedEvent, Vec<Problem>> {
    let mut problems = Vec::new();
    // Most events carry no @context of their own and use the document's prefixes as they are.
    let namespaces = if Namespaces::has_nested_context(event) {
        let mut own = namespaces.clone();
        own.add_nested_contexts(event);
        std::borrow::Cow::Owned(own)
    } else {
        std::borrow::Cow::Borrowed(namespaces)
    };
    let namespaces = namespaces.as_ref();
    let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
    let event_time = match text("eventTime").map(|time| OffsetDateTime::parse(&time, &Rfc3339)) {
        Some(Ok(time)) => time,
        _ => {
            problems.push(Problem {
                path: format!("{path}/eventTime"),
                message: "eventTime must be an RFC 3339 date-time with offset".to_owned(),
            });
            OffsetDateTime::UNIX_EPOCH
        }
    };
    let mut identifiers = Vec::new();
    // The canonical forms found here, for the hash to use instead of converting them again.
    let mut known: Vec<(String, String)> = Vec::new();
    // The JSON pointer of a value is only written out when the value has a problem.
    let mut add = |role: IdentifierRole,
                   value: &Value,
                   quantity: Option<&Value>,
                   pointer: &dyn Fn() -> String,
                   problems: &mut Vec<Problem>| {
        let raw = value.as_str().unwrap_or("");
        let link = match gs1_identifier(raw) {
            Ok(link) => link,
            Err(problem) => {
                problems.push(Problem {
                    path: pointer(),
                    message: problem,
                });
                None
            }
        };
        // A GS1 identifier's canonical form is its link's, as `canonical` would find it again
        // (after trimming; no time, CBV URN or number starts with `urn:epc:` or `http`).
        let value = match link {
            Some(link) if raw.trim().len() == raw.len() => {
                let canonical = link.canonical();
                known.push((raw.to_owned(), canonical.clone()));
                canonical
            }
            _ => canonical(value, namespaces),
        };
        let identifier = EventIdentifier {
            role,
            value,
            quantity: quantity
                .and_then(|element| element.get("quantity"))
                .map(|amount| match amount {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                }),
            uom: quantity
                .and_then(|element| element.get("uom"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        if !identifiers.contains(&identifier) {
            identifiers.push(identifier);
        }
    };
    for (key, role) in [
        ("epcList", IdentifierRole::Epc),
        ("childEPCs", IdentifierRole::Child),
        ("inputEPCList", IdentifierRole::Input),
        ("outputEPCList", IdentifierRole::Output),
    ] {
        for (index, value) in event
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            add(role, value, None, &|| format!("{path}/{key}/{index}"), &mut problems);
        }
    }
    if let Some(parent) = event.get("parentID") {
        add(
            IdentifierRole::Parent,
            parent,
            None,
            &|| format!("{path}/parentID"),
            &mut problems,
        );
    }
    for (key, role) in [
        ("quantityList", IdentifierRole::Quantity),
        ("childQuantityList", IdentifierRole::ChildQuantity),
        ("inputQuantityList", IdentifierRole::InputQuantity),
        ("outputQuantityList", IdentifierRole::OutputQuantity),
    ] {
        for (index, element) in event
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(class) = element.get("epcClass") {
                add(
                    role,
                    class,
                    Some(element),
                    &|| format!("{path}/{key}/{index}/epcClass"),
                    &mut problems,
                );
            }
        }
    }
    for (key, item, role) in [
        ("sourceList", "source", IdentifierRole::Source),
        ("destinationList", "destination", IdentifierRole::Destination),
        ("bizTransactionList", "bizTransaction", IdentifierRole::BizTransaction),
    ] {
        for (index, element) in event
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(value) = element.get(item) {
                add(
                    role,
                    value,
                    None,
                    &|| format!("{path}/{key}/{index}/{item}"),
                    &mut problems,
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let location = |key: &str| {
        event
            .get(key)
            .and_then(|location| location.get("id"))
            .map(|id| canonical(id, namespaces))
    };
    let (read_point, biz_location) = (location("readPoint"), location("bizLocation"));
    for (key, canonical) in [("readPoint", &read_point), ("bizLocation", &biz_location)] {
        let raw = event
            .get(key)
            .and_then(|location| location.get("id"))
            .and_then(Value::as_str);
        if let (Some(raw), Some(canonical)) = (raw, canonical) {
            if raw.trim().len() == raw.len() && (raw.starts_with("urn:epc:") || raw.starts_with("http")) {
                known.push((raw.to_owned(), canonical.clone()));
            }
        }
    }
    let hash = event_hash_known(event, namespaces, &known);
    let event_id = text("eventID").unwrap_or_else(|| hash.clone());
    Ok(CapturedEvent {
        event_id,
        event_hash: hash,
        event_type: text("type").unwrap_or_default(),
        event_time,
        action: text("action"),
        biz_step: event
            .get("bizStep")
            .map(|value| term(value, Vocabulary::BizStep, namespaces)),
        disposition: event
            .get("disposition")
            .map(|value| term(value, Vocabulary::Disposition, namespaces)),
        read_point,
        biz_location,
        identifiers,
        // Given by `with_body` once the document is known to be valid.
        body: Value::Null,
        context: context.clone(),
    })
}

/// `captured` with its body: `event` as sent, with the eventID filled in when it was missing.
fn with_body(mut captured: CapturedEvent, mut event: Value) -> CapturedEvent {
    if let Some(object) = event.as_object_mut() {
        object
            .entry("eventID")
            .or_insert_with(|| Value::String(captured.event_id.clone()));
    }
    captured.body = event;
    captured
}

/// The events of `document`, taken out of it (the same ones [`events_of`] finds, in order).
fn into_events(mut document: Value) -> Vec<Value> {
    let type_name = document.get("type").and_then(Value::as_str).unwrap_or("");
    if EVENT_TYPES.contains(&type_name) {
        return vec![document];
    }
    let list = match document.pointer_mut("/epcisBody/eventList") {
        Some(Value::Array(list)) => list,
        _ => match document.pointer_mut("/epcisBody/queryResults/resultsBody/eventList") {
            Some(Value::Array(list)) => list,
            _ => return Vec::new(),
        },
    };
    std::mem::take(list)
}

/// A GS1 identifier's canonical link, `None` for identifiers of other schemes (URIs of other
/// kinds, accepted as they are), or the problem (check digit, length, form) of a wrong one.
fn gs1_identifier(value: &str) -> Result<Option<junkan_gs1::DigitalLink>, String> {
    let is_gs1 = value.starts_with("urn:epc:id:")
        || value.starts_with("urn:epc:class:")
        || value.starts_with("urn:epc:idpat:")
        || {
            // A Digital Link is recognised by a GS1 primary key in its path.
            (value.starts_with("https://") || value.starts_with("http://")) && looks_like_digital_link(value)
        };
    if !is_gs1 {
        return Ok(None);
    }
    junkan_gs1::canonicalize(value).map(Some).map_err(|error| error.0)
}

fn looks_like_digital_link(value: &str) -> bool {
    let path = value
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path)
        .unwrap_or("");
    let segments: Vec<&str> = path.split(['/', '?']).collect();
    segments.windows(2).any(|pair| {
        junkan_gs1::dictionary::lookup(pair[0]).is_some_and(|entry| entry.primary_key_qualifiers.is_some())
            && pair[1].bytes().all(|byte| byte.is_ascii_digit())
            && !pair[1].is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(events: Vec<Value>) -> Value {
        json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
               "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": events}})
    }

    fn object_event(epc: &str) -> Value {
        json!({"type": "ObjectEvent", "eventTime": "2026-05-01T09:00:00+09:00", "eventTimeZoneOffset": "+09:00",
               "epcList": [epc], "action": "OBSERVE", "bizStep": "shipping", "readPoint": {"id": "urn:epc:id:sgln:4512345.00001.0"}})
    }

    #[test]
    fn events_are_prepared_with_canonical_facts() {
        let prepared = prepare_document(
            &document(vec![object_event("urn:epc:id:sgtin:4512345.012345.100")]),
            Syntax::Json,
        )
        .expect("valid");
        let event = &prepared[0];
        assert!(
            event.event_id.starts_with("ni:///sha-256;"),
            "a missing eventID becomes the hash"
        );
        assert_eq!(event.event_id, event.event_hash);
        assert_eq!(event.body["eventID"], event.event_id.as_str());
        assert_eq!(
            event.biz_step.as_deref(),
            Some("https://ref.gs1.org/cbv/BizStep-shipping")
        );
        assert_eq!(
            event.read_point.as_deref(),
            Some("https://id.gs1.org/414/4512345000011")
        );
        assert_eq!(
            event.identifiers,
            vec![EventIdentifier {
                role: IdentifierRole::Epc,
                value: "https://id.gs1.org/01/04512345123451/21/100".to_owned(),
                quantity: None,
                uom: None
            }]
        );
        assert_eq!(event.event_time.offset().whole_hours(), 9, "the offset is kept as sent");
    }

    #[test]
    fn bad_check_digits_are_refused_with_their_place() {
        let mut first = object_event("https://id.gs1.org/01/04512345123458/21/100");
        first["eventID"] = json!("urn:uuid:0b8f6a4e-0000-4000-8000-000000000001");
        let mut second = object_event("urn:epc:id:sgtin:4512345.012345.101");
        second["eventID"] = json!("urn:uuid:0b8f6a4e-0000-4000-8000-000000000001");
        let problems = prepare_document(&document(vec![first, second]), Syntax::Json).expect_err("invalid");
        let paths: Vec<&str> = problems.iter().map(|problem| problem.path.as_str()).collect();
        assert_eq!(paths, vec!["/epcisBody/eventList/0/epcList/0"]);
        assert!(problems[0].message.contains("check digit"), "{problems:?}");
    }

    #[test]
    fn one_event_id_for_two_events_is_refused() {
        let mut first = object_event("urn:epc:id:sgtin:4512345.012345.100");
        first["eventID"] = json!("urn:uuid:0b8f6a4e-0000-4000-8000-000000000001");
        let mut second = object_event("urn:epc:id:sgtin:4512345.012345.101");
        second["eventID"] = json!("urn:uuid:0b8f6a4e-0000-4000-8000-000000000001");
        let problems = prepare_document(&document(vec![first, second]), Syntax::Json).expect_err("invalid");
        assert_eq!(problems[0].path, "/epcisBody/eventList/1/eventID");
    }
}
