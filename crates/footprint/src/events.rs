//! PACT events (CloudEvents 1.0, structured mode, JSON): reading what a partner posts to
//! `/3/events` and building what the node sends back. Pure; the server authenticates first and
//! the store keeps the outbox.
//!
//! Types: PACT v3.0 names its events `org.wbcsd.pact.ProductFootprint.<Name>.3`; the draft and v2
//! names `org.wbcsd.pathfinder.ProductFootprint(Request).<Name>.v1` are read too, for partners that
//! have not moved.

use junkan_model::ids::FootprintId;
use junkan_model::Violation;
use serde_json::{json, Value};

use crate::filter::{FootprintFilter, CRITERIA};
use crate::reader::parse_uuid;

/// v3 `RequestCreatedEvent`: a partner asks for footprints.
pub const REQUEST_CREATED: &str = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3";
/// v3 `RequestFulfilledEvent`: the answer with the footprints.
pub const REQUEST_FULFILLED: &str = "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3";
/// v3 `RequestRejectedEvent`: the request cannot be processed.
pub const REQUEST_REJECTED: &str = "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3";
/// v3 `PublishedEvent`: footprints were published or changed.
pub const PUBLISHED: &str = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3";

const LEGACY: [(&str, &str); 4] = [
    (
        "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1",
        REQUEST_CREATED,
    ),
    (
        "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1",
        REQUEST_FULFILLED,
    ),
    (
        "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1",
        REQUEST_REJECTED,
    ),
    ("org.wbcsd.pathfinder.ProductFootprint.Published.v1", PUBLISHED),
];

/// An event a partner posted, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum IncomingEvent {
    /// A request for footprints, to be answered later at `source`.
    RequestCreated {
        /// The event id (answers name it as `requestEventId`; repeated ids are one request).
        id: String,
        /// Where the requester listens (`//host/path` or an http(s) URL).
        source: String,
        /// The criteria, or why they cannot be read (answered by a `RequestRejectedEvent`).
        criteria: Result<FootprintFilter, Vec<Violation>>,
    },
    /// Footprints the partner published or changed.
    Published {
        /// The event id.
        id: String,
        /// Where the partner listens.
        source: String,
        /// The footprints named.
        footprint_ids: Vec<FootprintId>,
    },
    /// An answer to a request this node made (fulfilled or rejected).
    Response {
        /// The event id.
        id: String,
        /// `REQUEST_FULFILLED` or `REQUEST_REJECTED`.
        event_type: &'static str,
        /// The data as sent.
        data: Value,
    },
}

/// Why an event is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum EventError {
    /// Not a CloudEvent or not a valid PACT event (PACT `BadRequest`).
    Invalid(Vec<Violation>),
    /// A well-formed event of a type this node does not implement (PACT `NotImplemented`).
    UnknownType(String),
}

fn required_text<'a>(event: &'a Value, name: &str, violations: &mut Vec<Violation>) -> &'a str {
    match event.get(name).and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() => text,
        Some(_) => {
            violations.push(Violation::new(format!("/{name}"), "must not be empty"));
            ""
        }
        None => {
            violations.push(Violation::new(format!("/{name}"), "is required and must be a string"));
            ""
        }
    }
}

/// Reads a CloudEvent in structured mode as a PACT event.
pub fn parse_event(event: &Value) -> Result<IncomingEvent, EventError> {
    let mut violations = Vec::new();
    if !event.is_object() {
        return Err(EventError::Invalid(vec![Violation::new(
            "",
            "a CloudEvent is a JSON object",
        )]));
    }
    match event.get("specversion").and_then(Value::as_str) {
        Some("1.0") => {}
        _ => violations.push(Violation::new("/specversion", "must be \"1.0\"")),
    }
    let id = required_text(event, "id", &mut violations).to_owned();
    let source = required_text(event, "source", &mut violations).to_owned();
    let raw_type = required_text(event, "type", &mut violations).to_owned();
    let data = event.get("data").cloned().unwrap_or(Value::Null);
    if !data.is_object() {
        violations.push(Violation::new("/data", "is required and must be an object"));
    }
    if !violations.is_empty() {
        return Err(EventError::Invalid(violations));
    }
    let event_type = LEGACY
        .iter()
        .find(|(legacy, _)| *legacy == raw_type)
        .map(|(_, current)| *current)
        .or_else(|| {
            [REQUEST_CREATED, REQUEST_FULFILLED, REQUEST_REJECTED, PUBLISHED]
                .into_iter()
                .find(|known| *known == raw_type)
        })
        .ok_or_else(|| EventError::UnknownType(raw_type.clone()))?;
    match event_type {
        REQUEST_CREATED => Ok(IncomingEvent::RequestCreated {
            id,
            source,
            criteria: request_criteria(&data),
        }),
        PUBLISHED => {
            let Some(ids) = data
                .get("pfIds")
                .and_then(Value::as_array)
                .filter(|ids| !ids.is_empty())
            else {
                return Err(EventError::Invalid(vec![Violation::new(
                    "/data/pfIds",
                    "is required: a non-empty array of footprint ids (UUIDs)",
                )]));
            };
            let mut footprint_ids = Vec::new();
            for (index, value) in ids.iter().enumerate() {
                match value.as_str().map(parse_uuid) {
                    Some(Ok(uuid)) => footprint_ids.push(FootprintId(uuid)),
                    Some(Err(message)) => violations.push(Violation::new(format!("/data/pfIds/{index}"), message)),
                    None => violations.push(Violation::new(format!("/data/pfIds/{index}"), "must be a UUID string")),
                }
            }
            if violations.is_empty() {
                Ok(IncomingEvent::Published {
                    id,
                    source,
                    footprint_ids,
                })
            } else {
                Err(EventError::Invalid(violations))
            }
        }
        response_type => {
            if data.get("requestEventId").and_then(Value::as_str).is_none() {
                return Err(EventError::Invalid(vec![Violation::new(
                    "/data/requestEventId",
                    "is required and must be a string",
                )]));
            }
            Ok(IncomingEvent::Response {
                id,
                event_type: response_type,
                data,
            })
        }
    }
}

/// The criteria of a request's data: the v3 criteria (strings or arrays of strings), or the v2
/// form `{"pf": {"productIds": [...]}}`. `comment` is allowed and not a criterion.
fn request_criteria(data: &Value) -> Result<FootprintFilter, Vec<Violation>> {
    let mut pairs = Vec::new();
    let mut violations = Vec::new();
    let object = data.as_object().expect("checked by parse_event");
    for (name, value) in object {
        if name == "comment" {
            continue;
        }
        if name == "pf" {
            // v2: a ProductFootprint fragment; junkan reads its productIds and companyIds.
            for (field, criterion) in [("productIds", "productId"), ("companyIds", "companyId")] {
                for id in value.get(field).and_then(Value::as_array).into_iter().flatten() {
                    match id.as_str() {
                        Some(text) => pairs.push((criterion.to_owned(), text.to_owned())),
                        None => violations.push(Violation::new(format!("/data/pf/{field}"), "must hold strings")),
                    }
                }
            }
            continue;
        }
        if !CRITERIA.contains(&name.as_str()) {
            violations.push(Violation::new(format!("/data/{name}"), "is not a footprint criterion"));
            continue;
        }
        let values: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in values {
            match item.as_str() {
                Some(text) => pairs.push((name.clone(), text.to_owned())),
                None => violations.push(Violation::new(
                    format!("/data/{name}"),
                    "must be a string or an array of strings",
                )),
            }
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    FootprintFilter::from_criteria(&pairs).map_err(|found| {
        found
            .into_iter()
            .map(|violation| {
                Violation::new(
                    format!("/data/{}", violation.path.trim_start_matches('?')),
                    violation.message,
                )
            })
            .collect()
    })
}

/// A `RequestFulfilledEvent` answering request `request_id` with `footprints` (PACT v3 JSON).
/// `source` is set by the sender.
pub fn fulfilled(event_id: &str, request_id: &str, footprints: Vec<Value>) -> Value {
    json!({
        "specversion": "1.0",
        "id": event_id,
        "type": REQUEST_FULFILLED,
        "data": { "requestEventId": request_id, "pfs": footprints },
    })
}

/// A `RequestRejectedEvent` answering request `request_id` with a PACT error (`code`, `message`).
pub fn rejected(event_id: &str, request_id: &str, code: &str, message: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": event_id,
        "type": REQUEST_REJECTED,
        "data": { "requestEventId": request_id, "error": { "code": code, "message": message } },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, data: Value) -> Value {
        json!({"specversion": "1.0", "id": "e-1", "source": "//partner.example/pact", "type": event_type, "data": data})
    }

    #[test]
    fn requests_carry_criteria_or_their_problems() {
        let parsed = parse_event(&event(
            REQUEST_CREATED,
            json!({"productId": ["urn:a", "urn:b"], "geography": "JP", "comment": "please"}),
        ))
        .expect("valid");
        let IncomingEvent::RequestCreated { criteria, source, .. } = parsed else {
            panic!("a request");
        };
        assert_eq!(source, "//partner.example/pact");
        let filter = criteria.expect("valid criteria");
        assert_eq!(filter.product_ids, vec!["urn:a", "urn:b"]);
        assert_eq!(filter.geographies, vec!["JP"]);
        let legacy = parse_event(&event(
            "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1",
            json!({"pf": {"productIds": ["urn:gtin:4712345060507"]}}),
        ))
        .expect("v2 request");
        assert!(
            matches!(legacy, IncomingEvent::RequestCreated { criteria: Ok(ref filter), .. } if filter.product_ids == vec!["urn:gtin:4712345060507"])
        );
        let bad = parse_event(&event(REQUEST_CREATED, json!({"validOn": "yesterday"}))).expect("envelope valid");
        assert!(
            matches!(bad, IncomingEvent::RequestCreated { criteria: Err(ref violations), .. } if violations[0].path == "/data/validOn")
        );
    }

    #[test]
    fn published_events_need_uuid_ids() {
        let unknown = parse_event(&event(
            PUBLISHED,
            json!({"pfIds": ["5e1c3b8a-0a5e-4a0f-9a36-7c1f7b3a2d10"]}),
        ));
        assert!(matches!(unknown, Ok(IncomingEvent::Published { .. })));
        let urn = parse_event(&event(
            PUBLISHED,
            json!({"pfIds": ["urn:uuid:5e1c3b8a-0a5e-4a0f-9a36-7c1f7b3a2d10"]}),
        ));
        assert!(matches!(urn, Err(EventError::Invalid(ref violations)) if violations[0].path == "/data/pfIds/0"));
        assert!(matches!(
            parse_event(&event(PUBLISHED, json!({"pfIds": []}))),
            Err(EventError::Invalid(_))
        ));
    }

    #[test]
    fn envelopes_are_checked() {
        assert!(matches!(parse_event(&json!([])), Err(EventError::Invalid(_))));
        let Err(EventError::Invalid(violations)) =
            parse_event(&json!({"specversion": "0.3", "type": REQUEST_CREATED, "data": {}}))
        else {
            panic!("invalid envelope");
        };
        let paths: Vec<&str> = violations.iter().map(|violation| violation.path.as_str()).collect();
        assert_eq!(paths, vec!["/specversion", "/id", "/source"]);
        assert_eq!(
            parse_event(&event("com.example.Other", json!({}))),
            Err(EventError::UnknownType("com.example.Other".to_owned()))
        );
    }
}
