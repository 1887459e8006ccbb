//! Query conditions on parts of an event that no column holds: quantities, persistent
//! disposition, transformationID, error declarations, sensor data and user extension fields
//! (`EQ_`, `GT_`, `GE_`, `LT_`, `LE_`, `EXISTS_` with the `ILMD_` and `INNER_` forms). The store
//! narrows with its indexes first and checks these on the bodies that remain.

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::event::{CapturedEvent, EventPredicate};

use crate::hash::{canonical, Namespaces};

/// Where in an event a condition looks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Place {
    /// `persistentDisposition.set` or `.unset`.
    PersistentDisposition(&'static str),
    /// `transformationID`.
    TransformationId,
    /// `quantity` of every quantity element.
    Quantity,
    /// The `errorDeclaration` itself.
    ErrorDeclaration,
    /// `errorDeclaration.declarationTime`.
    ErrorDeclarationTime,
    /// `errorDeclaration.reason`.
    ErrorReason,
    /// `errorDeclaration.correctiveEventIDs`.
    CorrectiveEventId,
    /// An attribute of the sensor metadata or of a sensor report.
    Sensor(&'static str),
    /// A user extension field, by namespace and local name.
    Extension {
        namespace: String,
        local: String,
        scope: Scope,
    },
}

/// Where an extension field may sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A top-level field of the event.
    Top,
    /// Any field nested inside a top-level extension field (`INNER_`).
    Inner,
    /// A top-level field of `ilmd` (`ILMD_`).
    Ilmd,
    /// Any field nested inside a field of `ilmd` (`INNER_ILMD_`).
    InnerIlmd,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// One condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    /// Some value at the place equals one of these (canonical text).
    AnyOf(Place, Vec<String>),
    /// Some value at the place compares so with the bound (numbers or times).
    Compare(Place, Comparison, Bound),
    /// The place holds a value.
    Exists(Place),
}

/// A bound of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bound {
    Number(f64),
    Time(OffsetDateTime),
}

impl Bound {
    /// A number or an RFC 3339 time.
    pub(crate) fn parse(text: &str) -> Option<Bound> {
        if let Ok(number) = text.trim().parse::<f64>() {
            return number.is_finite().then_some(Bound::Number(number));
        }
        OffsetDateTime::parse(text.trim(), &Rfc3339).ok().map(Bound::Time)
    }

    fn compare(&self, value: &Value) -> Option<Ordering> {
        match self {
            Bound::Number(bound) => {
                let number = match value {
                    Value::Number(number) => number.as_f64()?,
                    Value::String(text) => text.trim().parse().ok()?,
                    _ => return None,
                };
                number.partial_cmp(bound)
            }
            Bound::Time(bound) => {
                let time = OffsetDateTime::parse(value.as_str()?.trim(), &Rfc3339).ok()?;
                Some(time.cmp(bound))
            }
        }
    }
}

impl Comparison {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparison::Greater => ordering == Ordering::Greater,
            Comparison::GreaterOrEqual => ordering != Ordering::Less,
            Comparison::Less => ordering == Ordering::Less,
            Comparison::LessOrEqual => ordering != Ordering::Greater,
        }
    }
}

/// Every condition must hold; `None` when there are none.
pub(crate) fn predicate(conditions: Vec<Condition>) -> Option<EventPredicate> {
    if conditions.is_empty() {
        return None;
    }
    Some(EventPredicate(Arc::new(move |event: &CapturedEvent| {
        let mut namespaces = Namespaces::from_context(Some(&event.context));
        namespaces.add_nested_contexts(&event.body);
        conditions
            .iter()
            .all(|condition| holds(condition, &event.body, &namespaces))
    })))
}

fn holds(condition: &Condition, event: &Value, namespaces: &Namespaces) -> bool {
    match condition {
        Condition::AnyOf(place, wanted) => values_at(event, place, namespaces)
            .into_iter()
            .any(|value| wanted.contains(&canonical_at(place, value, namespaces))),
        Condition::Compare(place, comparison, bound) => values_at(event, place, namespaces)
            .into_iter()
            .any(|value| bound.compare(value).is_some_and(|ordering| comparison.holds(ordering))),
        Condition::Exists(place) => !values_at(event, place, namespaces).is_empty(),
    }
}

/// The canonical text of a query value meant for `place` (bare CBV words become their URIs).
pub(crate) fn canonical_parameter(place: &Place, value: &str, namespaces: &Namespaces) -> String {
    canonical_at(place, &Value::String(value.to_owned()), namespaces)
}

fn canonical_at(place: &Place, value: &Value, namespaces: &Namespaces) -> String {
    let bare = value.as_str().map(str::trim).filter(|text| !text.contains(':'));
    let vocabulary = match place {
        Place::PersistentDisposition(_) => Some("https://ref.gs1.org/cbv/Disp-"),
        Place::ErrorReason => Some("https://ref.gs1.org/cbv/ER-"),
        Place::Sensor("type" | "exception") => Some("https://gs1.org/voc/"),
        _ => None,
    };
    match (vocabulary, bare) {
        (Some(base), Some(word)) => format!("{base}{word}"),
        _ => canonical(value, namespaces),
    }
}

fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

fn values_at<'a>(event: &'a Value, place: &Place, namespaces: &Namespaces) -> Vec<&'a Value> {
    let error = event.get("errorDeclaration");
    match place {
        Place::PersistentDisposition(part) => {
            items(event.get("persistentDisposition").and_then(|value| value.get(*part)))
        }
        Place::TransformationId => items(event.get("transformationID")),
        Place::Quantity => [
            "quantityList",
            "childQuantityList",
            "inputQuantityList",
            "outputQuantityList",
        ]
        .iter()
        .flat_map(|list| items(event.get(*list)))
        .filter_map(|element| element.get("quantity"))
        .collect(),
        Place::ErrorDeclaration => items(error),
        Place::ErrorDeclarationTime => items(error.and_then(|error| error.get("declarationTime"))),
        Place::ErrorReason => items(error.and_then(|error| error.get("reason"))),
        Place::CorrectiveEventId => items(error.and_then(|error| error.get("correctiveEventIDs"))),
        Place::Sensor(attribute) => items(event.get("sensorElementList"))
            .into_iter()
            .flat_map(|element| {
                items(element.get("sensorMetadata"))
                    .into_iter()
                    .chain(items(element.get("sensorReport")))
            })
            .flat_map(|part| items(part.get(*attribute)))
            .collect(),
        Place::Extension {
            namespace,
            local,
            scope,
        } => {
            let named = |key: &str| extension_name_matches(key, namespace, local, namespaces);
            let mut found = Vec::new();
            match scope {
                Scope::Top => top_fields(event, &named, &mut found),
                Scope::Ilmd => {
                    if let Some(ilmd) = event.get("ilmd") {
                        top_fields(ilmd, &named, &mut found);
                    }
                }
                Scope::Inner => {
                    for (key, value) in event.as_object().into_iter().flatten() {
                        if key.contains(':') && key != "@context" {
                            nested_fields(value, &named, &mut found);
                        }
                    }
                }
                Scope::InnerIlmd => {
                    for value in event
                        .get("ilmd")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .map(|(_, value)| value)
                    {
                        nested_fields(value, &named, &mut found);
                    }
                }
            }
            found
        }
    }
}

fn top_fields<'a>(object: &'a Value, named: &dyn Fn(&str) -> bool, found: &mut Vec<&'a Value>) {
    for (key, value) in object.as_object().into_iter().flatten() {
        if named(key) {
            found.extend(items(Some(value)));
        }
    }
}

fn nested_fields<'a>(value: &'a Value, named: &dyn Fn(&str) -> bool, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                if named(key) {
                    found.extend(items(Some(child)));
                }
                nested_fields(child, named, found);
            }
        }
        Value::Array(children) => children.iter().for_each(|child| nested_fields(child, named, found)),
        _ => {}
    }
}

/// Whether the event key `prefix:local` names the field `namespace#local`. Namespaces compare
/// without a trailing `#` or `/`, since JSON-LD prefixes usually end in one and XML namespaces
/// usually do not.
fn extension_name_matches(key: &str, namespace: &str, local: &str, namespaces: &Namespaces) -> bool {
    let Some((iri, key_local)) = namespaces.iri_of(key) else {
        return false;
    };
    let trim = |text: &str| text.trim_end_matches(['#', '/']).to_owned();
    key_local == local && trim(iri) == trim(namespace)
}

/// Reads an extension field name as a query parameter spells it: `namespace#local`, or
/// `prefix:local` with a prefix known to `namespaces`.
pub(crate) fn extension_field(name: &str, namespaces: &Namespaces) -> Option<(String, String)> {
    if let Some((namespace, local)) = name.rsplit_once('#') {
        if !namespace.is_empty() && !local.is_empty() {
            return Some((namespace.to_owned(), local.to_owned()));
        }
    }
    namespaces
        .iri_of(name)
        .map(|(iri, local)| (iri.to_owned(), local.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(body: Value) -> CapturedEvent {
        CapturedEvent {
            event_id: "e".to_owned(),
            event_hash: "h".to_owned(),
            event_type: "ObjectEvent".to_owned(),
            event_time: OffsetDateTime::UNIX_EPOCH,
            action: None,
            biz_step: None,
            disposition: None,
            read_point: None,
            biz_location: None,
            identifiers: Vec::new(),
            body,
            context: json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": "https://ns.example.com/epcis/"}]),
        }
    }

    fn check(condition: Condition, body: Value) -> bool {
        predicate(vec![condition]).expect("one condition").matches(&event(body))
    }

    #[test]
    fn quantities_compare_as_numbers() {
        let body = json!({"quantityList": [{"epcClass": "x", "quantity": 12.5, "uom": "KGM"}]});
        assert!(check(
            Condition::Compare(Place::Quantity, Comparison::Greater, Bound::Number(12.0)),
            body.clone()
        ));
        assert!(!check(
            Condition::Compare(Place::Quantity, Comparison::Less, Bound::Number(12.5)),
            body.clone()
        ));
        assert!(check(
            Condition::Compare(Place::Quantity, Comparison::LessOrEqual, Bound::Number(12.5)),
            body
        ));
    }

    #[test]
    fn error_reasons_match_bare_words_and_uris() {
        let body = json!({"errorDeclaration": {"declarationTime": "2026-01-01T00:00:00Z", "reason": "incorrect_data"}});
        let place = Place::ErrorReason;
        let wanted = canonical_parameter(&place, "urn:epcglobal:cbv:er:incorrect_data", &Namespaces::default());
        assert!(check(Condition::AnyOf(place, vec![wanted]), body.clone()));
        assert!(check(Condition::Exists(Place::ErrorDeclaration), body));
        assert!(!check(Condition::Exists(Place::ErrorDeclaration), json!({})));
    }

    #[test]
    fn extension_fields_match_by_namespace_in_every_scope() {
        let body = json!({
            "ex:grade": "A",
            "ex:lot": {"ex:moisture": 3},
            "ilmd": {"ex:origin": "JP", "ex:detail": {"ex:mine": "Besshi"}}
        });
        let place = |local: &str, scope| Place::Extension {
            namespace: "https://ns.example.com/epcis".to_owned(),
            local: local.to_owned(),
            scope,
        };
        assert!(check(
            Condition::AnyOf(place("grade", Scope::Top), vec!["A".to_owned()]),
            body.clone()
        ));
        assert!(!check(
            Condition::AnyOf(place("grade", Scope::Top), vec!["B".to_owned()]),
            body.clone()
        ));
        assert!(check(
            Condition::Compare(
                place("moisture", Scope::Inner),
                Comparison::GreaterOrEqual,
                Bound::Number(3.0)
            ),
            body.clone()
        ));
        assert!(check(Condition::Exists(place("origin", Scope::Ilmd)), body.clone()));
        assert!(!check(Condition::Exists(place("mine", Scope::Ilmd)), body.clone()));
        assert!(check(
            Condition::AnyOf(place("mine", Scope::InnerIlmd), vec!["Besshi".to_owned()]),
            body
        ));
    }

    #[test]
    fn sensor_attributes_are_read_from_metadata_and_reports() {
        let body = json!({"sensorElementList": [{
            "sensorMetadata": {"deviceID": "urn:epc:id:giai:4000001.111", "startTime": "2026-01-01T00:00:00Z"},
            "sensorReport": [{"type": "gs1:Temperature", "value": 26.0, "uom": "CEL"}]
        }]});
        let wanted = canonical_parameter(&Place::Sensor("type"), "Temperature", &Namespaces::default());
        assert!(check(
            Condition::AnyOf(Place::Sensor("type"), vec![wanted]),
            body.clone()
        ));
        assert!(check(
            Condition::Compare(Place::Sensor("value"), Comparison::Greater, Bound::Number(25.0)),
            body.clone()
        ));
        let start = Bound::parse("2026-01-01T09:00:00+09:00").expect("time");
        assert!(check(
            Condition::Compare(Place::Sensor("startTime"), Comparison::GreaterOrEqual, start),
            body
        ));
    }
}
