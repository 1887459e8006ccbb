//! The EPCIS query parameters (REST binding, section on GET /events) read into an
//! [`EventQuery`] in canonical form, with every problem reported.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::event::{EventOrder, EventQuery, IdentifierFilter, IdentifierRole, OrderField};

use crate::filter::{canonical_parameter, extension_field, predicate, Bound, Comparison, Condition, Place, Scope};
use crate::hash::{canonical, term, Namespaces, Vocabulary};
use crate::validate::Problem;

/// The canonical form of an identifier (EPC URN or Digital Link to the canonical Digital Link).
pub fn canonical_identifier(value: &str) -> String {
    canonical(&serde_json::Value::String(value.to_owned()), &Namespaces::default())
}

/// A query read from its parameters: the store's filters and the limits the binding applies to
/// the whole result.
#[derive(Debug, Clone, Default)]
pub struct ParsedQuery {
    /// The filters, order and residual conditions.
    pub query: EventQuery,
    /// `eventCountLimit`: only the first N events.
    pub event_count_limit: Option<u32>,
    /// `maxEventCount`: refuse the query when more than N events match.
    pub max_event_count: Option<u32>,
}

/// Sensor attributes queried with `EQ_` (URIs or text).
const SENSOR_TEXT: [&str; 10] = [
    "type",
    "deviceID",
    "dataProcessingMethod",
    "microorganism",
    "chemicalSubstance",
    "bizRules",
    "stringValue",
    "hexBinaryValue",
    "uriValue",
    "booleanValue",
];

/// Sensor attributes queried with `EQ_`, `GT_`, `GE_`, `LT_`, `LE_` (numbers or times).
const SENSOR_ORDERED: [&str; 9] = [
    "value",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "startTime",
    "endTime",
];

/// Reads query parameters (name, raw value) into a query; `perPage` and `nextPageToken` are left
/// to the caller. Lists are `|`-separated (pipeDelimited).
pub fn event_query(params: &[(String, String)]) -> Result<ParsedQuery, Vec<Problem>> {
    let namespaces = Namespaces::from_context(None);
    let mut parsed = ParsedQuery::default();
    let query = &mut parsed.query;
    let mut conditions: Vec<Condition> = Vec::new();
    let mut order_by = None;
    let mut order_direction = None;
    let mut problems = Vec::new();
    for (name, raw) in params {
        let values: Vec<String> = raw
            .split('|')
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect();
        let problem = |message: String| Problem {
            path: format!("?{name}"),
            message,
        };
        let time = |problems: &mut Vec<Problem>| match OffsetDateTime::parse(raw.trim(), &Rfc3339) {
            Ok(time) => Some(time),
            Err(_) => {
                problems.push(problem(format!("{raw:?} is not an RFC 3339 date-time with offset")));
                None
            }
        };
        let count = |problems: &mut Vec<Problem>| match raw.trim().parse::<u32>() {
            Ok(count) if count > 0 => Some(count),
            _ => {
                problems.push(problem(format!("{raw:?} is not a positive whole number")));
                None
            }
        };
        let bound = |problems: &mut Vec<Problem>| match Bound::parse(raw) {
            Some(bound) => Some(bound),
            None => {
                problems.push(problem(format!(
                    "{raw:?} is neither a number nor an RFC 3339 date-time"
                )));
                None
            }
        };
        let vocabulary = |kind: Vocabulary| {
            values
                .iter()
                .map(|value| term(&serde_json::Value::String(value.clone()), kind, &namespaces))
                .collect::<Vec<_>>()
        };
        let identifiers = |roles: &[IdentifierRole]| {
            let mut filter = IdentifierFilter {
                roles: roles.to_vec(),
                ..Default::default()
            };
            for value in &values {
                match class_prefix(value) {
                    Some(prefix) => filter.prefixes.push(prefix),
                    None => filter.values.push(canonical_identifier(value)),
                }
            }
            filter
        };
        let any_of = |place: Place| {
            let wanted = values
                .iter()
                .map(|value| canonical_parameter(&place, value, &namespaces))
                .collect();
            Condition::AnyOf(place, wanted)
        };
        let mut needs_values = true;
        match name.as_str() {
            "eventType" => query.event_types.extend(values.iter().cloned()),
            "GE_eventTime" => query.ge_event_time = time(&mut problems),
            "LT_eventTime" => query.lt_event_time = time(&mut problems),
            "GE_recordTime" => query.ge_record_time = time(&mut problems),
            "LT_recordTime" => query.lt_record_time = time(&mut problems),
            "EQ_action" => {
                for value in &values {
                    if !matches!(value.as_str(), "ADD" | "OBSERVE" | "DELETE") {
                        problems.push(problem(format!("{value:?} is not ADD, OBSERVE or DELETE")));
                    }
                }
                query.actions.extend(values.iter().cloned());
            }
            "EQ_bizStep" => query.biz_steps.extend(vocabulary(Vocabulary::BizStep)),
            "EQ_disposition" => query.dispositions.extend(vocabulary(Vocabulary::Disposition)),
            "EQ_readPoint" => query
                .read_points
                .extend(values.iter().map(|value| canonical_identifier(value))),
            "WD_readPoint" => query
                .read_points_within
                .extend(values.iter().map(|value| canonical_identifier(value))),
            "EQ_bizLocation" => query
                .biz_locations
                .extend(values.iter().map(|value| canonical_identifier(value))),
            "WD_bizLocation" => query
                .biz_locations_within
                .extend(values.iter().map(|value| canonical_identifier(value))),
            "EQ_eventID" => query.event_ids.extend(values.iter().cloned()),
            "MATCH_epc" => query
                .identifiers
                .push(identifiers(&[IdentifierRole::Epc, IdentifierRole::Child])),
            "MATCH_parentID" => query.identifiers.push(identifiers(&[IdentifierRole::Parent])),
            "MATCH_inputEPC" => query.identifiers.push(identifiers(&[IdentifierRole::Input])),
            "MATCH_outputEPC" => query.identifiers.push(identifiers(&[IdentifierRole::Output])),
            "MATCH_anyEPC" => query.identifiers.push(identifiers(&IdentifierRole::INSTANCE)),
            "MATCH_epcClass" => query
                .identifiers
                .push(identifiers(&[IdentifierRole::Quantity, IdentifierRole::ChildQuantity])),
            "MATCH_inputEPCClass" => query.identifiers.push(identifiers(&[IdentifierRole::InputQuantity])),
            "MATCH_outputEPCClass" => query.identifiers.push(identifiers(&[IdentifierRole::OutputQuantity])),
            "MATCH_anyEPCClass" => query.identifiers.push(identifiers(&IdentifierRole::CLASS)),
            "EQ_source" | "EQ_destination" | "EQ_bizTransaction" => {
                let role = match name.as_str() {
                    "EQ_source" => IdentifierRole::Source,
                    "EQ_destination" => IdentifierRole::Destination,
                    _ => IdentifierRole::BizTransaction,
                };
                query.identifiers.push(IdentifierFilter {
                    roles: vec![role],
                    values: values.iter().map(|value| canonical_identifier(value)).collect(),
                    prefixes: Vec::new(),
                });
            }
            "EQ_persistentDisposition_set" => conditions.push(any_of(Place::PersistentDisposition("set"))),
            "EQ_persistentDisposition_unset" => conditions.push(any_of(Place::PersistentDisposition("unset"))),
            "EQ_transformationID" => conditions.push(any_of(Place::TransformationId)),
            "EQ_errorReason" => conditions.push(any_of(Place::ErrorReason)),
            "EQ_correctiveEventID" => conditions.push(any_of(Place::CorrectiveEventId)),
            "EXISTS_errorDeclaration" => match raw.trim() {
                "" | "true" => {
                    needs_values = false;
                    conditions.push(Condition::Exists(Place::ErrorDeclaration));
                }
                "false" => {}
                other => problems.push(problem(format!("{other:?} is neither true nor false"))),
            },
            "orderBy" => match raw.trim() {
                "eventTime" => order_by = Some(OrderField::EventTime),
                "recordTime" => order_by = Some(OrderField::RecordTime),
                other => problems.push(problem(format!(
                    "{other:?} cannot order results here; use eventTime or recordTime"
                ))),
            },
            "orderDirection" => match raw.trim() {
                "ASC" => order_direction = Some(false),
                "DESC" => order_direction = Some(true),
                other => problems.push(problem(format!("{other:?} is neither ASC nor DESC"))),
            },
            "eventCountLimit" => parsed.event_count_limit = count(&mut problems),
            "maxEventCount" => parsed.max_event_count = count(&mut problems),
            other => match comparison_parameter(other) {
                Some((operator, field)) => {
                    let place = match field {
                        "quantity" => Some(Place::Quantity),
                        "errorDeclarationTime" if operator != "EQ_" => Some(Place::ErrorDeclarationTime),
                        _ => SENSOR_TEXT
                            .iter()
                            .chain(SENSOR_ORDERED.iter())
                            .find(|attribute| **attribute == field)
                            .filter(|attribute| operator == "EQ_" || SENSOR_ORDERED.contains(attribute))
                            .map(|attribute| Place::Sensor(attribute))
                            .or_else(|| extension_place(field, &namespaces)),
                    };
                    match place {
                        None => problems.push(problem(format!(
                            "{other} is not a query parameter this repository supports (extension fields are named namespace#localName or prefix:localName)"
                        ))),
                        Some(place) if operator == "EXISTS_" => {
                            needs_values = false;
                            conditions.push(Condition::Exists(place));
                        }
                        Some(place) => match comparison(operator) {
                            None => conditions.push(any_of(place)),
                            Some(comparison) => {
                                if let Some(bound) = bound(&mut problems) {
                                    conditions.push(Condition::Compare(place, comparison, bound));
                                }
                            }
                        },
                    }
                }
                None if other.starts_with("HASATTR_") || other.starts_with("EQATTR_") => problems.push(problem(
                    "master-data attributes are not kept by this repository, so they cannot be queried".to_owned(),
                )),
                None => problems.push(problem(format!(
                    "{other} is not a query parameter this repository supports"
                ))),
            },
        }
        if needs_values && values.is_empty() && !name.starts_with("GE_") && !name.starts_with("LT_") {
            problems.push(problem("needs at least one value".to_owned()));
        }
    }
    if parsed.event_count_limit.is_some() && parsed.max_event_count.is_some() {
        problems.push(Problem {
            path: "?maxEventCount".to_owned(),
            message: "eventCountLimit and maxEventCount exclude each other".to_owned(),
        });
    }
    match (order_by, order_direction) {
        (Some(field), direction) => {
            parsed.query.order = Some(EventOrder {
                field,
                descending: direction.unwrap_or(true),
            });
        }
        (None, Some(_)) => problems.push(Problem {
            path: "?orderDirection".to_owned(),
            message: "needs orderBy".to_owned(),
        }),
        (None, None) => {}
    }
    parsed.query.residual = predicate(conditions);
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// Splits `GE_quantity`, `EXISTS_INNER_ILMD_ex:grade`, ... into operator and field (the scope
/// prefixes stay on the field).
fn comparison_parameter(name: &str) -> Option<(&'static str, &str)> {
    ["EQ_", "GT_", "GE_", "LT_", "LE_", "EXISTS_"]
        .into_iter()
        .find_map(|operator| name.strip_prefix(operator).map(|field| (operator, field)))
        .filter(|(_, field)| !field.is_empty())
}

fn comparison(operator: &str) -> Option<Comparison> {
    match operator {
        "GT_" => Some(Comparison::Greater),
        "GE_" => Some(Comparison::GreaterOrEqual),
        "LT_" => Some(Comparison::Less),
        "LE_" => Some(Comparison::LessOrEqual),
        _ => None,
    }
}

/// An extension field, with its `INNER_` / `ILMD_` scope.
fn extension_place(field: &str, namespaces: &Namespaces) -> Option<Place> {
    let (scope, name) = [
        ("INNER_ILMD_", Scope::InnerIlmd),
        ("ILMD_", Scope::Ilmd),
        ("INNER_", Scope::Inner),
    ]
    .into_iter()
    .find_map(|(prefix, scope)| field.strip_prefix(prefix).map(|name| (scope, name)))
    .unwrap_or((Scope::Top, field));
    extension_field(name, namespaces).map(|(namespace, local)| Place::Extension {
        namespace,
        local,
        scope,
    })
}

/// For a pattern that names a class (`urn:epc:idpat:...*`, or a Digital Link of a GTIN without
/// serial), the prefix its instances start with.
fn class_prefix(value: &str) -> Option<String> {
    if !value.starts_with("urn:epc:idpat:") {
        return None;
    }
    junkan_gs1::canonicalize(value)
        .ok()
        .map(|link| format!("{}/", link.canonical()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn parameters_become_canonical_filters() {
        let query = event_query(&params(&[
            ("EQ_bizStep", "shipping|urn:epcglobal:cbv:bizstep:receiving"),
            (
                "MATCH_epc",
                "urn:epc:id:sgtin:0614141.812345.6789|urn:epc:idpat:sgtin:0614141.812345.*",
            ),
            ("GE_eventTime", "2026-01-01T00:00:00+09:00"),
        ]))
        .expect("valid")
        .query;
        assert_eq!(
            query.biz_steps,
            vec![
                "https://ref.gs1.org/cbv/BizStep-shipping",
                "https://ref.gs1.org/cbv/BizStep-receiving"
            ]
        );
        assert_eq!(
            query.identifiers[0].values,
            vec!["https://id.gs1.org/01/80614141123458/21/6789"]
        );
        assert_eq!(
            query.identifiers[0].prefixes,
            vec!["https://id.gs1.org/01/80614141123458/"]
        );
        assert!(query.ge_event_time.is_some());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let problems = event_query(&params(&[
            ("EQ_action", "CREATE"),
            ("GE_eventTime", "yesterday"),
            ("EQ_colour", "red"),
        ]))
        .expect_err("invalid");
        let paths: Vec<&str> = problems.iter().map(|problem| problem.path.as_str()).collect();
        assert_eq!(paths, vec!["?EQ_action", "?GE_eventTime", "?EQ_colour"]);
    }

    #[test]
    fn order_limits_and_residual_conditions_are_read() {
        let parsed = event_query(&params(&[
            ("orderBy", "eventTime"),
            ("eventCountLimit", "5"),
            ("GE_quantity", "10"),
            ("EQ_errorReason", "incorrect_data"),
            ("EXISTS_errorDeclaration", ""),
            ("EQ_https://ns.example.com/epcis#grade", "A"),
            ("WD_bizLocation", "urn:epc:id:sgln:0614141.00777.0"),
        ]))
        .expect("valid");
        assert_eq!(
            parsed.query.order,
            Some(EventOrder {
                field: OrderField::EventTime,
                descending: true
            })
        );
        assert_eq!(parsed.event_count_limit, Some(5));
        assert!(parsed.query.residual.is_some());
        assert_eq!(
            parsed.query.biz_locations_within,
            vec!["https://id.gs1.org/414/0614141007776"]
        );
    }

    #[test]
    fn bad_order_counts_and_unknown_fields_are_named() {
        let problems = event_query(&params(&[
            ("orderBy", "bizStep"),
            ("orderDirection", "UP"),
            ("eventCountLimit", "0"),
            ("maxEventCount", "3"),
            ("GT_quantity", "lots"),
            ("EQ_grade", "A"),
            ("HASATTR_bizLocation", "x"),
        ]))
        .expect_err("invalid");
        let paths: Vec<&str> = problems.iter().map(|problem| problem.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "?orderBy",
                "?orderDirection",
                "?eventCountLimit",
                "?GT_quantity",
                "?EQ_grade",
                "?HASATTR_bizLocation"
            ]
        );
    }
}
