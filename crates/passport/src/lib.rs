//! Product and material passports as pure functions: profiles as data ([`profile`]) with the one
//! field-level access filter every route and export goes through ([`profile::CompiledProfile::view`]),
//! version diffs ([`diff`]), the profiles junkan ships ([`builtin`]) and exports to other
//! passport formats ([`export`]).
//!
//! No IO: the store keeps passports and profiles; this crate decides what they mean.

pub mod builtin;
pub mod diff;
pub mod export;
pub mod inputs;
pub mod profile;
pub mod tabular;

pub use profile::{CompiledProfile, FieldSpec, InformationItem, Localized, Profile, View};
