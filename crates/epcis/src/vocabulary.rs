//! The junkan circular business vocabulary (循環ビジネス語彙): business steps and dispositions
//! of the circular economy that the GS1 CBV lacks, under `urn:junkan:cbv:` (prefix `jkcbv`), with
//! Japanese and English labels and definitions. The JSON-LD files in `vocabulary/` are the source;
//! `docs/vocabulary.md` lists them.

use std::sync::OnceLock;

use serde_json::Value;

/// The namespace of the vocabulary.
pub const NAMESPACE: &str = "urn:junkan:cbv:";
/// The vocabulary as JSON-LD (served at `/voc/junkan-cbv.jsonld`).
pub const VOCABULARY_JSONLD: &str = include_str!("../vocabulary/junkan-cbv.jsonld");
/// The JSON-LD context declaring the `jkcbv` prefix (served at `/voc/junkan-cbv-context.jsonld`).
pub const CONTEXT_JSONLD: &str = include_str!("../vocabulary/junkan-cbv-context.jsonld");

/// One term of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Full IRI, e.g. `urn:junkan:cbv:BizStep-material_recycling`.
    pub iri: String,
    /// `BizStep` or `Disposition`.
    pub kind: String,
    /// Japanese label.
    pub label_ja: String,
    /// English label.
    pub label_en: String,
    /// Japanese definition.
    pub definition_ja: String,
    /// English definition.
    pub definition_en: String,
}

/// Every term, in the order of the vocabulary file.
pub fn terms() -> &'static [Term] {
    static TERMS: OnceLock<Vec<Term>> = OnceLock::new();
    TERMS.get_or_init(|| {
        let vocabulary: Value = serde_json::from_str(VOCABULARY_JSONLD).expect("the embedded vocabulary is JSON");
        let text = |node: &Value, key: &str, language: &str| {
            node[key]
                .as_array()
                .into_iter()
                .flatten()
                .find(|entry| entry["@language"] == language)
                .and_then(|entry| entry["@value"].as_str())
                .unwrap_or("")
                .to_owned()
        };
        vocabulary["@graph"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|node| Term {
                iri: node["@id"].as_str().unwrap_or("").replacen("jkcbv:", NAMESPACE, 1),
                kind: node["@type"]
                    .as_str()
                    .unwrap_or("")
                    .trim_start_matches("cbv:")
                    .to_owned(),
                label_ja: text(node, "rdfs:label", "ja"),
                label_en: text(node, "rdfs:label", "en"),
                definition_ja: text(node, "rdfs:comment", "ja"),
                definition_en: text(node, "rdfs:comment", "en"),
            })
            .collect()
    })
}

/// The term with IRI `iri`, if it is one of the vocabulary's.
pub fn term(iri: &str) -> Option<&'static Term> {
    terms().iter().find(|term| term.iri == iri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{prepare_document, Syntax};

    #[test]
    fn every_term_has_both_languages() {
        assert_eq!(terms().len(), 14);
        for term in terms() {
            assert!(term.iri.starts_with(NAMESPACE), "{term:?}");
            assert!(matches!(term.kind.as_str(), "BizStep" | "Disposition"), "{term:?}");
            for text in [&term.label_ja, &term.label_en, &term.definition_ja, &term.definition_en] {
                assert!(!text.is_empty(), "{term:?}");
            }
        }
        let mut iris: Vec<&str> = terms().iter().map(|term| term.iri.as_str()).collect();
        iris.sort();
        iris.dedup();
        assert_eq!(iris.len(), 14, "no term twice");
        let context: Value = serde_json::from_str(CONTEXT_JSONLD).expect("context is JSON");
        assert_eq!(context["@context"]["jkcbv"], NAMESPACE);
    }

    #[test]
    fn events_use_the_vocabulary_through_its_prefix() {
        let document = serde_json::json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"jkcbv": NAMESPACE}],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-06-01T00:00:00Z",
            "epcisBody": {"eventList": [{
                "type": "TransformationEvent", "eventTime": "2026-06-01T10:00:00+09:00", "eventTimeZoneOffset": "+09:00",
                "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4512345.012345.WASTE-1", "quantity": 1000, "uom": "KGM"}],
                "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4512345.012346.PELLET-1", "quantity": 820, "uom": "KGM"}],
                "bizStep": "jkcbv:BizStep-material_recycling", "disposition": "jkcbv:Disp-secondary_raw_material"
            }]}
        });
        let prepared = prepare_document(&document, Syntax::Json).expect("valid");
        let step = prepared[0].biz_step.clone().expect("step");
        assert_eq!(step, "urn:junkan:cbv:BizStep-material_recycling");
        assert_eq!(
            term(&step).map(|term| term.label_ja.as_str()),
            Some("マテリアルリサイクル")
        );
        assert_eq!(
            prepared[0].disposition.as_deref(),
            Some("urn:junkan:cbv:Disp-secondary_raw_material")
        );
    }
}
