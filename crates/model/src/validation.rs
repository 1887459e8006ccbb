//! Validation results: every violation of an input, each with the JSON pointer of the offending value.

use serde::Serialize;
use utoipa::ToSchema;

/// One thing wrong with an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the offending value inside the request body, e.g. `/corporate_number`;
    /// empty for the document as a whole. Query parameters are named `?name`.
    pub path: String,
    /// What is wrong, in plain English.
    pub message: String,
}

impl Violation {
    /// A violation at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A collector of violations, so that validation reports every problem at once instead of the first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Violation::new(path, message));
    }

    /// Records the error of `check` (if any) at `path`.
    pub fn check(&mut self, path: &str, check: Result<(), String>) {
        if let Err(message) = check {
            self.push(path, message);
        }
    }

    /// How many violations were recorded (to tell whether a step added any).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, otherwise every violation.
    pub fn into_result(self) -> Result<(), Vec<Violation>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// Escapes one segment of a JSON pointer (RFC 6901: `~` as `~0`, `/` as `~1`), for the paths of
/// violations.
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Checks that a required text is not blank and at most `max_chars` characters long.
pub fn check_text(value: &str, max_chars: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("must not be blank".to_owned());
    }
    let count = value.chars().count();
    if count > max_chars {
        return Err(format!("must be at most {max_chars} characters, got {count}"));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(())
}

/// Checks an optional http(s) URL.
pub fn check_url(value: &str) -> Result<(), String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| "must be an http:// or https:// URL".to_owned())?;
    if rest.is_empty() || rest.starts_with('/') || value.chars().any(|c| c.is_whitespace()) {
        return Err("must be an absolute URL with a host and no spaces".to_owned());
    }
    if value.len() > 2048 {
        return Err("must be at most 2048 characters".to_owned());
    }
    Ok(())
}
