//! Validation of Dataspace Protocol 2025-1 messages against the protocol's own JSON Schemas
//! (embedded from `testdata/dsp/`, Apache-2.0, see its SOURCE.txt): every message the node accepts
//! is checked before anything else reads it, and every message it sends is checked before it
//! leaves, so the node never speaks a dialect of its own.

use std::collections::HashMap;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use serde_json::Value;

use junkan_model::Violation;

/// The schema files, by their path under `https://w3id.org/dspace/2025/1/`.
const FILES: [(&str, &str); 25] = [
    (
        "common/context-schema.json",
        include_str!("../../../../testdata/dsp/common/context-schema.json"),
    ),
    (
        "common/protocol-version-schema.json",
        include_str!("../../../../testdata/dsp/common/protocol-version-schema.json"),
    ),
    (
        "catalog/catalog-schema.json",
        include_str!("../../../../testdata/dsp/catalog/catalog-schema.json"),
    ),
    (
        "catalog/dataset-schema.json",
        include_str!("../../../../testdata/dsp/catalog/dataset-schema.json"),
    ),
    (
        "catalog/catalog-error-schema.json",
        include_str!("../../../../testdata/dsp/catalog/catalog-error-schema.json"),
    ),
    (
        "catalog/catalog-request-message-schema.json",
        include_str!("../../../../testdata/dsp/catalog/catalog-request-message-schema.json"),
    ),
    (
        "catalog/dataset-request-message-schema.json",
        include_str!("../../../../testdata/dsp/catalog/dataset-request-message-schema.json"),
    ),
    (
        "negotiation/contract-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-schema.json"),
    ),
    (
        "negotiation/contract-request-message-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-request-message-schema.json"),
    ),
    (
        "negotiation/contract-offer-message-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-offer-message-schema.json"),
    ),
    (
        "negotiation/contract-agreement-message-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-agreement-message-schema.json"),
    ),
    (
        "negotiation/contract-agreement-verification-message-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-agreement-verification-message-schema.json"),
    ),
    (
        "negotiation/contract-negotiation-event-message-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-negotiation-event-message-schema.json"),
    ),
    (
        "negotiation/contract-negotiation-termination-message-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-negotiation-termination-message-schema.json"),
    ),
    (
        "negotiation/contract-negotiation-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-negotiation-schema.json"),
    ),
    (
        "negotiation/contract-negotiation-error-schema.json",
        include_str!("../../../../testdata/dsp/negotiation/contract-negotiation-error-schema.json"),
    ),
    (
        "transfer/transfer-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-schema.json"),
    ),
    (
        "transfer/data-address-schema.json",
        include_str!("../../../../testdata/dsp/transfer/data-address-schema.json"),
    ),
    (
        "transfer/transfer-request-message-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-request-message-schema.json"),
    ),
    (
        "transfer/transfer-start-message-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-start-message-schema.json"),
    ),
    (
        "transfer/transfer-completion-message-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-completion-message-schema.json"),
    ),
    (
        "transfer/transfer-suspension-message-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-suspension-message-schema.json"),
    ),
    (
        "transfer/transfer-termination-message-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-termination-message-schema.json"),
    ),
    (
        "transfer/transfer-process-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-process-schema.json"),
    ),
    (
        "transfer/transfer-error-schema.json",
        include_str!("../../../../testdata/dsp/transfer/transfer-error-schema.json"),
    ),
];

/// The schema of each message or object by its `@type`.
const SCHEMA_OF_TYPE: [(&str, &str); 21] = [
    ("VersionResponse", "common/protocol-version-schema.json"),
    ("Catalog", "catalog/catalog-schema.json"),
    ("Dataset", "catalog/dataset-schema.json"),
    ("CatalogError", "catalog/catalog-error-schema.json"),
    ("CatalogRequestMessage", "catalog/catalog-request-message-schema.json"),
    ("DatasetRequestMessage", "catalog/dataset-request-message-schema.json"),
    (
        "ContractRequestMessage",
        "negotiation/contract-request-message-schema.json",
    ),
    ("ContractOfferMessage", "negotiation/contract-offer-message-schema.json"),
    (
        "ContractAgreementMessage",
        "negotiation/contract-agreement-message-schema.json",
    ),
    (
        "ContractAgreementVerificationMessage",
        "negotiation/contract-agreement-verification-message-schema.json",
    ),
    (
        "ContractNegotiationEventMessage",
        "negotiation/contract-negotiation-event-message-schema.json",
    ),
    (
        "ContractNegotiationTerminationMessage",
        "negotiation/contract-negotiation-termination-message-schema.json",
    ),
    ("ContractNegotiation", "negotiation/contract-negotiation-schema.json"),
    (
        "ContractNegotiationError",
        "negotiation/contract-negotiation-error-schema.json",
    ),
    (
        "TransferRequestMessage",
        "transfer/transfer-request-message-schema.json",
    ),
    ("TransferStartMessage", "transfer/transfer-start-message-schema.json"),
    (
        "TransferCompletionMessage",
        "transfer/transfer-completion-message-schema.json",
    ),
    (
        "TransferSuspensionMessage",
        "transfer/transfer-suspension-message-schema.json",
    ),
    (
        "TransferTerminationMessage",
        "transfer/transfer-termination-message-schema.json",
    ),
    ("TransferProcess", "transfer/transfer-process-schema.json"),
    ("TransferError", "transfer/transfer-error-schema.json"),
];

const BASE: &str = "https://w3id.org/dspace/2025/1/";

/// Resolves the protocol's schema ids to the embedded files (nothing is fetched).
struct Embedded;

impl jsonschema::Retrieve for Embedded {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri
            .as_str()
            .strip_prefix(BASE)
            .ok_or_else(|| format!("{uri} is not a Dataspace Protocol 2025-1 schema"))?;
        let (_, text) = FILES
            .iter()
            .find(|(file, _)| *file == path)
            .ok_or_else(|| format!("no embedded schema {path}"))?;
        Ok(serde_json::from_str(text)?)
    }
}

static VALIDATORS: LazyLock<HashMap<&'static str, Validator>> = LazyLock::new(|| {
    SCHEMA_OF_TYPE
        .iter()
        .map(|(message_type, path)| {
            let (_, text) = FILES
                .iter()
                .find(|(file, _)| file == path)
                .expect("every schema of a type is embedded");
            let schema: Value = serde_json::from_str(text).expect("the embedded DSP schemas are JSON");
            let validator = jsonschema::options()
                .with_retriever(Embedded)
                .build(&schema)
                .unwrap_or_else(|error| panic!("the DSP schema {path} compiles: {error}"));
            (*message_type, validator)
        })
        .collect()
});

/// Checks `message` against the schema of `message_type` and returns every violation, each at
/// its JSON pointer in the message (a missing member at the pointer it would have).
pub fn validate(message_type: &str, message: &Value) -> Result<(), Vec<Violation>> {
    let Some(validator) = VALIDATORS.get(message_type) else {
        return Err(vec![Violation::new(
            "/@type",
            format!("{message_type} is not a Dataspace Protocol 2025-1 message"),
        )]);
    };
    let mut violations = Vec::new();
    for error in validator.iter_errors(message) {
        let path = error.instance_path().as_str().to_owned();
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let property = property
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| property.to_string());
                violations.push(Violation::new(format!("{path}/{property}"), "is required"));
            }
            _ => violations.push(Violation::new(path, error.to_string())),
        }
    }
    violations.dedup();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Checks a received message whose `@type` must be `expected`: first the type, then the schema.
pub fn validate_received(expected: &str, message: &Value) -> Result<(), Vec<Violation>> {
    match message.get("@type").and_then(Value::as_str) {
        Some(found) if found == expected => validate(expected, message),
        Some(found) => Err(vec![Violation::new(
            "/@type",
            format!("expected a {expected}, not a {found}"),
        )]),
        None => Err(vec![Violation::new("/@type", format!("is required (a {expected})"))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(path: &str) -> Value {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/dsp")
            .join(path);
        serde_json::from_str(&std::fs::read_to_string(file).expect("example")).expect("json")
    }

    /// Every example of the specification passes the schema of its `@type`.
    #[test]
    fn every_example_of_the_specification_is_valid() {
        let examples = [
            "catalog/example/catalog-request-message.json",
            "catalog/example/dataset-request-message.json",
            "catalog/example/catalog.json",
            "catalog/example/catalog-error.json",
            "negotiation/example/contract-request-message.json",
            "negotiation/example/contract-request-message_initial.json",
            "negotiation/example/contract-offer-message.json",
            "negotiation/example/contract-offer-message_initial.json",
            "negotiation/example/contract-agreement-message.json",
            "negotiation/example/contract-agreement-message-full.json",
            "negotiation/example/contract-agreement-verification-message.json",
            "negotiation/example/contract-negotiation-event-message.json",
            "negotiation/example/contract-negotiation-termination-message.json",
            "negotiation/example/contract-negotiation.json",
            "negotiation/example/contract-negotiation-error.json",
            "transfer/example/transfer-request-message.json",
            "transfer/example/transfer-start-message.json",
            "transfer/example/transfer-completion-message.json",
            "transfer/example/transfer-suspension-message.json",
            "transfer/example/transfer-termination-message.json",
            "transfer/example/transfer-process.json",
            "transfer/example/transfer-error.json",
        ];
        for path in examples {
            let message = example(path);
            let message_type = message["@type"].as_str().expect("examples have a type");
            assert_eq!(validate_received(message_type, &message), Ok(()), "{path}");
        }
        assert_eq!(
            validate("VersionResponse", &example("common/example/protocol-version.json")),
            Ok(())
        );
    }

    fn pointers(result: Result<(), Vec<Violation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|violation| violation.path)
            .collect()
    }

    /// Broken examples are refused, each problem at the location the schema names.
    #[test]
    fn broken_examples_are_refused_at_their_location() {
        let mut request = example("negotiation/example/contract-request-message_initial.json");
        request.as_object_mut().expect("object").remove("consumerPid");
        assert_eq!(
            pointers(validate_received("ContractRequestMessage", &request)),
            ["/consumerPid"]
        );

        let mut request = example("negotiation/example/contract-request-message_initial.json");
        request["offer"]["permission"][0]["constraint"] =
            serde_json::json!([{"leftOperand": "purpose", "operator": "like", "rightOperand": "x"}]);
        assert!(pointers(validate_received("ContractRequestMessage", &request))
            .iter()
            .all(|path| path.starts_with("/offer")));
        assert!(validate_received("ContractRequestMessage", &request).is_err());

        let mut agreement = example("negotiation/example/contract-agreement-message.json");
        agreement["agreement"]["timestamp"] = Value::from("yesterday");
        assert!(pointers(validate_received("ContractAgreementMessage", &agreement))
            .iter()
            .any(|path| path.starts_with("/agreement")));

        let mut start = example("transfer/example/transfer-start-message.json");
        start["dataAddress"]["endpointProperties"][0]
            .as_object_mut()
            .expect("object")
            .remove("value");
        assert_eq!(
            pointers(validate_received("TransferStartMessage", &start)),
            ["/dataAddress/endpointProperties/0/value"]
        );

        let transfer = example("transfer/example/transfer-request-message.json");
        assert_eq!(
            pointers(validate_received("ContractRequestMessage", &transfer)),
            ["/@type"]
        );
        let mut untyped = transfer.clone();
        untyped.as_object_mut().expect("object").remove("@type");
        assert_eq!(
            pointers(validate_received("TransferRequestMessage", &untyped)),
            ["/@type"]
        );
    }
}
