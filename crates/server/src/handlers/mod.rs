//! Handlers, one module per resource. Each is `verb_noun`, takes the caller and a validated body,
//! and makes one store call.

pub mod audit;
pub mod auth;
pub mod certificates;
pub mod credentials;
pub mod epcis;
pub mod epcis_queries;
pub mod facilities;
pub mod federation;
pub mod footprints;
pub mod grants;
pub mod health;
pub mod indicator_records;
pub mod indicators;
pub mod ledgers;
pub mod lineage;
pub mod material_flows;
pub mod organization_indicators;
pub mod organizations;
pub mod ouranos;
pub mod pact;
pub mod partners;
pub mod passports;
pub mod principals;
pub mod reference;
pub mod resolver;
pub mod sharing;
pub mod transparency_log;
pub mod trust;

use crate::error::ApiError;

/// Parses an id path segment, or 404 (a malformed id names nothing).
pub fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(format!("{text:?} is not a {what} id")))
}
