//! The Eclipse Dataspace Protocol 2025-1 (issue 10, item 4): schema validation of every message.

pub mod schemas;
