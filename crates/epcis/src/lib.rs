//! GS1 EPCIS 2.0 and the Core Business Vocabulary (CBV 2.0), as pure functions: validation of
//! EPCIS documents and events against the standard's JSON Schema and the CBV rules, and the CBV 2.0
//! event hash that identifies an event whatever its serialisation.
//!
//! Storage, capture jobs and the REST binding live in the store and server crates; this crate
//! knows nothing of them.

pub mod capture;
mod filter;
pub mod hash;
pub mod output;
pub mod query;
mod shapes;
pub mod validate;
pub mod vocabulary;
pub mod xml;

pub use capture::{prepare_document, prepare_document_owned, Syntax};
pub use hash::{event_hash, pre_hash, Namespaces};
pub use query::{canonical_identifier, event_query, ParsedQuery};
pub use validate::{validate_document, validate_xml_document, Problem};
pub use xml::document_from_xml;
