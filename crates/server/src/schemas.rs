//! JSON Schema validation of request bodies against the schemas of the OpenAPI document, so that
//! the document and the validation can never disagree.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use serde_json::{json, Value};

use junkan_model::Violation;

use crate::error::ApiError;

/// Compiled validators for the component schemas of the OpenAPI document, compiled on first use.
#[derive(Clone)]
pub struct Schemas {
    components: Arc<Value>,
    compiled: Arc<RwLock<HashMap<String, Arc<Validator>>>>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Schemas").finish_non_exhaustive()
    }
}

impl Schemas {
    /// Validators for the `components` object of `openapi`.
    pub fn new(openapi: &utoipa::openapi::OpenApi) -> Schemas {
        let document = serde_json::to_value(openapi).expect("the OpenAPI document always serializes");
        Schemas {
            components: Arc::new(document["components"].clone()),
            compiled: Arc::default(),
        }
    }

    fn validator(&self, name: &str) -> Arc<Validator> {
        if let Some(validator) = self
            .compiled
            .read()
            .expect("schema cache lock is never poisoned")
            .get(name)
        {
            return validator.clone();
        }
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/components/schemas/{name}"),
            "components": *self.components,
        });
        let validator = Arc::new(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&schema)
                .unwrap_or_else(|error| panic!("the generated schema {name} compiles: {error}")),
        );
        self.compiled
            .write()
            .expect("schema cache lock is never poisoned")
            .insert(name.to_owned(), validator.clone());
        validator
    }

    /// Checks `value` against the component schema `name`, reporting every violation.
    pub fn check(&self, name: &str, value: &Value) -> Result<(), ApiError> {
        let validator = self.validator(name);
        let mut violations: Vec<Violation> = Vec::new();
        for error in validator.iter_errors(value) {
            let path = error.instance_path().as_str().to_owned();
            match error.kind() {
                ValidationErrorKind::Required { property } => {
                    let property = property
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| property.to_string());
                    violations.push(Violation::new(format!("{path}/{property}"), "is required"));
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for property in unexpected {
                        violations.push(Violation::new(
                            format!("{path}/{property}"),
                            "is not a field of this resource",
                        ));
                    }
                }
                _ => violations.push(Violation::new(path, error.to_string())),
            }
        }
        violations.dedup();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(violations))
        }
    }
}
