//! Sending Dataspace Protocol messages to the other side (blocking `ureq`, run on the blocking
//! pool). Every message is validated against the protocol's schema before it leaves; answers
//! that carry a document (`ContractNegotiation`, `TransferProcess`, `Catalog`) are validated too.

use std::time::Duration;

use serde_json::Value;

use crate::dsp::schemas;

/// Why a message could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// This node built a message that breaks the schema (a bug; nothing was sent).
    Invalid(String),
    /// The other side could not be reached.
    Unreachable(String),
    /// The other side answered with an error status (its body, shortened).
    Refused {
        /// HTTP status.
        status: u16,
        /// Its answer.
        body: String,
    },
    /// The other side answered with something that is not the protocol's document.
    BadAnswer(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Invalid(detail) => write!(formatter, "the message breaks the protocol's schema: {detail}"),
            SendError::Unreachable(detail) => write!(formatter, "the other side is unreachable: {detail}"),
            SendError::Refused { status, body } => write!(formatter, "the other side answered {status}: {body}"),
            SendError::BadAnswer(detail) => write!(formatter, "the other side's answer is not valid: {detail}"),
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .redirects(0)
        .build()
}

fn violations_text(violations: &[junkan_model::Violation]) -> String {
    violations
        .iter()
        .map(|violation| format!("{}: {}", violation.path, violation.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a message is authenticated to the other side.
#[derive(Clone)]
pub enum Auth {
    /// Nothing (the provider's callbacks to an unregistered consumer).
    None,
    /// The bearer credential the provider issued (an unregistered EDC-style provider).
    Bearer(String),
    /// Signed per RFC 9421 by a local organization's key (the other side is an organization of a
    /// registered peer node): `Content-Digest`, `Signature-Input` and `Signature` over
    /// `@method`, `@target-uri` and the digest, as on the federation routes.
    Signed {
        /// The organization's current key.
        key: Box<ed25519_dalek::SigningKey>,
        /// Its DID URL (`did:web:…:organizations:<id>#<kid>`).
        keyid: String,
        /// The node's clock (Unix seconds) for `created`.
        now: i64,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => formatter.write_str("None"),
            Auth::Bearer(_) => formatter.write_str("Bearer(…)"),
            Auth::Signed { keyid, .. } => write!(formatter, "Signed({keyid})"),
        }
    }
}

/// POSTs `message` (validated as its `@type`) to `url`, authenticated as `auth` says, and
/// returns the answer's JSON body (`Value::Null` when empty), checked against `answer_type` when
/// given.
pub async fn post(
    url: String,
    auth: Auth,
    message: Value,
    answer_type: Option<&'static str>,
) -> Result<Value, SendError> {
    let message_type = message["@type"].as_str().unwrap_or_default().to_owned();
    schemas::validate(&message_type, &message)
        .map_err(|violations| SendError::Invalid(violations_text(&violations)))?;
    let body = message.to_string();
    let headers: Vec<(String, String)> = match &auth {
        Auth::None => vec![("Content-Type".to_owned(), "application/json".to_owned())],
        Auth::Bearer(bearer) => vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Authorization".to_owned(), format!("Bearer {bearer}")),
        ],
        Auth::Signed { key, keyid, now } => {
            crate::federation::signed_headers(key, keyid, "POST", &url, Some(body.as_bytes()), None, *now)
                .map_err(|error| SendError::Invalid(format!("the message could not be signed: {}", error.detail())))?
        }
    };
    let answer = tokio::task::spawn_blocking(move || {
        let mut request = agent().post(&url);
        for (name, value) in &headers {
            request = request.set(name, value);
        }
        match request.send_string(&body) {
            Ok(response) => Ok(response.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(status, response)) => Err(SendError::Refused {
                status,
                body: response.into_string().unwrap_or_default().chars().take(2_000).collect(),
            }),
            Err(error) => Err(SendError::Unreachable(error.to_string())),
        }
    })
    .await
    .map_err(|error| SendError::Unreachable(error.to_string()))??;
    answer_of(&answer, answer_type)
}

/// GETs `url` with a bearer credential and returns its JSON body, checked against `answer_type`
/// when given.
pub async fn get(url: String, bearer: Option<String>, answer_type: Option<&'static str>) -> Result<Value, SendError> {
    let answer = tokio::task::spawn_blocking(move || {
        let mut request = agent().get(&url).set("Accept", "application/json");
        if let Some(bearer) = &bearer {
            request = request.set("Authorization", &format!("Bearer {bearer}"));
        }
        match request.call() {
            Ok(response) => Ok(response.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(status, response)) => Err(SendError::Refused {
                status,
                body: response.into_string().unwrap_or_default().chars().take(2_000).collect(),
            }),
            Err(error) => Err(SendError::Unreachable(error.to_string())),
        }
    })
    .await
    .map_err(|error| SendError::Unreachable(error.to_string()))??;
    answer_of(&answer, answer_type)
}

fn answer_of(text: &str, answer_type: Option<&'static str>) -> Result<Value, SendError> {
    if text.trim().is_empty() {
        return match answer_type {
            Some(expected) => Err(SendError::BadAnswer(format!("an empty answer, not a {expected}"))),
            None => Ok(Value::Null),
        };
    }
    let value: Value = serde_json::from_str(text).map_err(|error| SendError::BadAnswer(error.to_string()))?;
    if let Some(expected) = answer_type {
        schemas::validate_received(expected, &value)
            .map_err(|violations| SendError::BadAnswer(violations_text(&violations)))?;
    }
    Ok(value)
}
