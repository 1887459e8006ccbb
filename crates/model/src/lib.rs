//! Domain types and pure rules of junkan.
//!
//! This crate performs no IO, spawns no tasks and knows nothing of SQL or HTTP: every function here
//! is a pure computation over its arguments, so that the rules it states (what a valid corporate
//! number is, who may read a record) can be tested exhaustively and reused by every layer above.

pub mod access;
pub mod audit;
pub mod certificate;
pub mod dsp;
pub mod event;
pub mod facility;
pub mod federation;
pub mod field_scope;
pub mod identifiers;
pub mod ids;
pub mod industry;
pub mod japan;
pub mod organization;
pub mod ouranos;
pub mod page;
pub mod passport;
pub mod principal;
pub mod sharing;
pub mod subscription;
pub mod validation;

pub use validation::{Violation, Violations};
