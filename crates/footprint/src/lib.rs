//! Product carbon footprints (製品カーボンフットプリント, CFP) as pure functions: the one footprint
//! model ([`model`]), its PACT v3 / v2.3 views ([`pact`]) and the Ouranos CFP four-row view
//! ([`ouranos`]), and the multi-tier roll-up through parts structures (部品構成) across companies
//! ([`rollup`]), with a deterministic synthetic supply tree for benchmarks ([`synthetic`]).
//!
//! No IO, no async: the store keeps footprints and parts structures; this crate decides what they
//! mean and computes with exact decimals only.

pub mod decimal;
pub mod events;
pub mod filter;
pub mod fixtures;
pub mod model;
pub mod ouranos;
pub mod pact;
mod reader;
pub mod rollup;
pub mod synthetic;

pub use filter::FootprintFilter;
pub use model::{CarbonFootprint, DeclaredUnit, Footprint, FootprintStatus, Geography, StageBreakdown, StageEmissions};
