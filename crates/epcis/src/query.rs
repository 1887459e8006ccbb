//! The EPCIS query parameters (REST binding, section on GET /events) read into an
//! [`EventQuery`] in canonical form, with every problem reported.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::event::{EventQuery, IdentifierFilter, IdentifierRole};

use crate::hash::{canonical, term, Namespaces, Vocabulary};
use crate::validate::Problem;

/// The canonical form of an identifier (EPC URN or Digital Link to the canonical Digital Link).
pub fn canonical_identifier(value: &str) -> String {
    canonical(&serde_json::Value::String(value.to_owned()), &Namespaces::default())
}

/// Reads query parameters (name, raw value) into a query; `perPage` and `nextPageToken` are left
/// to the caller. Lists are `|`-separated (pipeDelimited).
pub fn event_query(params: &[(String, String)]) -> Result<EventQuery, Vec<Problem>> {
    let namespaces = Namespaces::from_context(None);
    let mut query = EventQuery::default();
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
        let time = |problems: &mut Vec<Problem>| match OffsetDateTime::parse(raw, &Rfc3339) {
            Ok(time) => Some(time),
            Err(_) => {
                problems.push(problem(format!("{raw:?} is not an RFC 3339 date-time with offset")));
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
            "EQ_bizLocation" => query
                .biz_locations
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
            other => problems.push(problem(format!(
                "{other} is not a query parameter this repository supports"
            ))),
        }
        if values.is_empty() && !name.starts_with("GE_") && !name.starts_with("LT_") {
            problems.push(problem("needs at least one value".to_owned()));
        }
    }
    if problems.is_empty() {
        Ok(query)
    } else {
        Err(problems)
    }
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
        .expect("valid");
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
}
