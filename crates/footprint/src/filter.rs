//! Which footprints a list asks for: the PACT v3 `ListFootprints` criteria (also those of a
//! `RequestCreatedEvent`), with their meaning stated once here. Stores implement the same meaning
//! in SQL; [`FootprintFilter::matches`] is the reference the contract suite compares them with.
//!
//! OR within one criterion (several `productId` values), AND across criteria. Validity follows the
//! PACT v3 REST API text: `validOn` t matches start ≤ t ≤ end, `validAfter` t matches t < start,
//! `validBefore` t matches end < t, where start and end are the footprint's effective validity
//! period ([`Footprint::effective_validity`]). `geography` matches a footprint whose region,
//! country or subdivision is the value, and a subdivision of a country given (`JP` matches
//! `JP-13`): PACT returns the footprints "within the specified geography".

use junkan_model::ids::OrganizationId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{Footprint, FootprintStatus, Geography};

/// The criteria of a footprint list. Empty lists and `None` do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FootprintFilter {
    /// `productId`: footprints naming one of these in `productIds`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
    /// `companyId`: footprints naming one of these in `companyIds`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub company_ids: Vec<String>,
    /// `geography`: region, country or subdivision codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geographies: Vec<String>,
    /// `classification`: footprints naming one of these in `productClassifications`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<String>,
    /// `validOn`: valid on one of these moments.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "moments")]
    pub valid_on: Vec<OffsetDateTime>,
    /// `validAfter`: validity starting after one of these moments.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "moments")]
    pub valid_after: Vec<OffsetDateTime>,
    /// `validBefore`: validity ending before one of these moments.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "moments")]
    pub valid_before: Vec<OffsetDateTime>,
    /// `status`: one of these statuses. `Some(vec![])` matches nothing (a `status` was asked for
    /// but none of its values is a status: PACT answers an empty list, not an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FootprintStatus>>,
    /// junkan's own criterion: footprints of this owner organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OrganizationId>,
}

mod moments {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(values: &[OffsetDateTime], serializer: S) -> Result<S::Ok, S::Error> {
        let texts: Result<Vec<String>, _> = values.iter().map(|value| value.format(&Rfc3339)).collect();
        texts.map_err(serde::ser::Error::custom)?.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<OffsetDateTime>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| OffsetDateTime::parse(text, &Rfc3339).map_err(serde::de::Error::custom))
            .collect()
    }
}

impl FootprintFilter {
    /// Whether nothing can match (an empty `status` set).
    pub fn matches_nothing(&self) -> bool {
        self.statuses.as_ref().is_some_and(Vec::is_empty)
    }

    /// Whether `footprint`, owned by `owner`, meets every criterion.
    pub fn matches(&self, footprint: &Footprint, owner: OrganizationId) -> bool {
        let (start, end) = footprint.effective_validity();
        let any_of =
            |wanted: &[String], have: &[String]| wanted.is_empty() || wanted.iter().any(|value| have.contains(value));
        any_of(&self.product_ids, &footprint.product_ids)
            && any_of(&self.company_ids, &footprint.company_ids)
            && any_of(&self.classifications, &footprint.product_classifications)
            && (self.geographies.is_empty()
                || geography_keys(&footprint.pcf.geography)
                    .iter()
                    .any(|key| self.geographies.contains(key)))
            && (self.valid_on.is_empty() || self.valid_on.iter().any(|moment| start <= *moment && *moment <= end))
            && (self.valid_after.is_empty() || self.valid_after.iter().any(|moment| *moment < start))
            && (self.valid_before.is_empty() || self.valid_before.iter().any(|moment| end < *moment))
            && self
                .statuses
                .as_ref()
                .is_none_or(|statuses| statuses.contains(&footprint.status))
            && self.owner.is_none_or(|wanted| wanted == owner)
    }
}

/// The criterion names of PACT v3 `ListFootprints` (and of a `RequestCreatedEvent`'s data).
pub const CRITERIA: [&str; 8] = [
    "productId",
    "companyId",
    "geography",
    "classification",
    "validOn",
    "validAfter",
    "validBefore",
    "status",
];

impl FootprintFilter {
    /// Reads PACT criteria given as name/value pairs (a query string, or an event's data with
    /// arrays spread into repeated pairs). Repeated names are OR-ed; empty values are ignored; a
    /// `status` none of whose values is a status matches nothing (PACT answers an empty list);
    /// dates must be RFC 3339. Names outside [`CRITERIA`] are the caller's business and must be
    /// removed before. Every problem is reported, each at `?name`.
    pub fn from_criteria(pairs: &[(String, String)]) -> Result<FootprintFilter, Vec<junkan_model::Violation>> {
        use time::format_description::well_known::Rfc3339;
        let mut filter = FootprintFilter::default();
        let mut violations = Vec::new();
        let mut statuses: Option<Vec<FootprintStatus>> = None;
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let mut moment = |target: &mut Vec<OffsetDateTime>| match OffsetDateTime::parse(value, &Rfc3339) {
                Ok(parsed) => target.push(parsed),
                Err(_) => violations.push(junkan_model::Violation::new(
                    format!("?{name}"),
                    format!("{value:?} is not an RFC 3339 date-time such as 2025-01-31T00:00:00Z"),
                )),
            };
            match name.as_str() {
                "productId" => filter.product_ids.push(value.to_owned()),
                "companyId" => filter.company_ids.push(value.to_owned()),
                "geography" => filter.geographies.push(value.to_owned()),
                "classification" => filter.classifications.push(value.to_owned()),
                "validOn" => moment(&mut filter.valid_on),
                "validAfter" => moment(&mut filter.valid_after),
                "validBefore" => moment(&mut filter.valid_before),
                "status" => {
                    let known = statuses.get_or_insert_with(Vec::new);
                    let status = match value {
                        "Active" => Some(FootprintStatus::Active),
                        "Deprecated" => Some(FootprintStatus::Deprecated),
                        _ => None,
                    };
                    if let Some(status) = status {
                        if !known.contains(&status) {
                            known.push(status);
                        }
                    }
                }
                other => violations.push(junkan_model::Violation::new(
                    format!("?{other}"),
                    "is not a footprint criterion",
                )),
            }
        }
        filter.statuses = statuses;
        if violations.is_empty() {
            Ok(filter)
        } else {
            Err(violations)
        }
    }
}

/// The `geography` values that select a footprint of this geography: its own code, and for a
/// subdivision also its country. Global footprints have none.
pub fn geography_keys(geography: &Geography) -> Vec<String> {
    match geography {
        Geography::Global => Vec::new(),
        Geography::RegionOrSubregion(value) | Geography::Country(value) => vec![value.clone()],
        Geography::CountrySubdivision(value) => {
            let mut keys = vec![value.clone()];
            if let Some((country, _)) = value.split_once('-') {
                keys.push(country.to_owned());
            }
            keys
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::fixtures::cell_footprint;

    #[test]
    fn criteria_are_or_within_and_and_across() {
        let owner = OrganizationId::derived("owner");
        let footprint = cell_footprint();
        let product = footprint.product_ids[0].clone();
        let mut filter = FootprintFilter {
            product_ids: vec!["urn:other".to_owned(), product.clone()],
            ..FootprintFilter::default()
        };
        assert!(filter.matches(&footprint, owner));
        filter.company_ids = vec!["urn:nobody".to_owned()];
        assert!(!filter.matches(&footprint, owner));
        filter.company_ids.clear();
        filter.statuses = Some(Vec::new());
        assert!(filter.matches_nothing());
        assert!(!filter.matches(&footprint, owner));
        filter.statuses = Some(vec![FootprintStatus::Deprecated, FootprintStatus::Active]);
        assert!(filter.matches(&footprint, owner));
        filter.owner = Some(OrganizationId::derived("someone else"));
        assert!(!filter.matches(&footprint, owner));
    }

    #[test]
    fn criteria_are_read_from_pairs() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect()
        };
        let filter = FootprintFilter::from_criteria(&pairs(&[
            ("productId", "urn:a"),
            ("productId", ""),
            ("productId", "urn:b"),
            ("status", "Active"),
            ("status", "Bogus"),
            ("validOn", "2025-01-01T00:00:00Z"),
        ]))
        .expect("valid");
        assert_eq!(filter.product_ids, vec!["urn:a", "urn:b"]);
        assert_eq!(filter.statuses, Some(vec![FootprintStatus::Active]));
        assert_eq!(filter.valid_on, vec![datetime!(2025-01-01 00:00 UTC)]);
        let unknown_only = FootprintFilter::from_criteria(&pairs(&[("status", "Bogus")])).expect("valid");
        assert!(unknown_only.matches_nothing());
        let empty_status = FootprintFilter::from_criteria(&pairs(&[("status", "")])).expect("valid");
        assert_eq!(empty_status.statuses, None, "empty values are ignored");
        let problems = FootprintFilter::from_criteria(&pairs(&[("validAfter", "2025-13-01"), ("colour", "red")]))
            .expect_err("bad");
        assert_eq!(
            problems
                .iter()
                .map(|violation| violation.path.as_str())
                .collect::<Vec<_>>(),
            vec!["?validAfter", "?colour"]
        );
    }

    #[test]
    fn validity_and_geography_follow_pact() {
        let owner = OrganizationId::derived("owner");
        let mut footprint = cell_footprint();
        footprint.validity_period_start = Some(datetime!(2025-01-01 00:00 UTC));
        footprint.validity_period_end = Some(datetime!(2026-01-01 00:00 UTC));
        footprint.pcf.geography = Geography::CountrySubdivision("JP-13".to_owned());
        let check = |filter: FootprintFilter| filter.matches(&footprint, owner);
        assert!(check(FootprintFilter {
            valid_on: vec![datetime!(2025-01-01 00:00 UTC)],
            ..Default::default()
        }));
        assert!(check(FootprintFilter {
            valid_on: vec![datetime!(2026-01-01 00:00 UTC)],
            ..Default::default()
        }));
        assert!(!check(FootprintFilter {
            valid_on: vec![datetime!(2026-01-02 00:00 UTC)],
            ..Default::default()
        }));
        assert!(check(FootprintFilter {
            valid_after: vec![datetime!(2024-12-31 00:00 UTC)],
            ..Default::default()
        }));
        assert!(!check(FootprintFilter {
            valid_after: vec![datetime!(2025-01-01 00:00 UTC)],
            ..Default::default()
        }));
        assert!(check(FootprintFilter {
            valid_before: vec![datetime!(2026-01-02 00:00 UTC)],
            ..Default::default()
        }));
        assert!(!check(FootprintFilter {
            valid_before: vec![datetime!(2026-01-01 00:00 UTC)],
            ..Default::default()
        }));
        assert!(check(FootprintFilter {
            geographies: vec!["JP".to_owned()],
            ..Default::default()
        }));
        assert!(check(FootprintFilter {
            geographies: vec!["JP-13".to_owned()],
            ..Default::default()
        }));
        assert!(!check(FootprintFilter {
            geographies: vec!["JP-27".to_owned(), "DE".to_owned()],
            ..Default::default()
        }));
    }
}
