//! One error type for the API, rendered as RFC 9457 `application/problem+json`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use junkan_model::Violation;
use junkan_store::StoreError;

/// The body of every error response of the junkan API (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the kind of problem, e.g. `urn:junkan:problem:validation`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// Every violation, each with the JSON pointer (or `?query` name) of the offending value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
}

/// An error a handler returns; becomes a problem+json response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem_type: String,
    title: &'static str,
    detail: String,
    errors: Vec<Violation>,
    www_authenticate: Option<&'static str>,
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            problem_type: format!("urn:junkan:problem:{kind}"),
            title,
            detail: detail.into(),
            errors: Vec::new(),
            www_authenticate: None,
            retry_after: None,
        }
    }

    /// 400: the body is not well-formed.
    pub fn malformed(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed", "Malformed request", detail)
    }

    /// 422: the request is well-formed but breaks rules; lists every violation.
    pub fn invalid(errors: Vec<Violation>) -> ApiError {
        let detail = match errors.len() {
            1 => format!("{}: {}", display_path(&errors[0].path), errors[0].message),
            count => format!("the request has {count} problems; see errors"),
        };
        ApiError {
            errors,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                detail,
            )
        }
    }

    /// 400: a GS1 Digital Link URI that breaks the URI syntax (check digit, qualifier order,
    /// characters), as a GS1-Conformant resolver must answer it.
    pub fn invalid_digital_link(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "digital-link",
            "Invalid GS1 Digital Link URI",
            detail,
        )
    }

    /// 400: the indicator is not computed for this kind of scope (yet); `detail` names the
    /// scopes it is computed for.
    pub fn unsupported_scope(detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        ApiError {
            errors: vec![Violation::new("?scope", detail.clone())],
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "unsupported-scope",
                "Scope not supported for this indicator",
                detail,
            )
        }
    }

    /// 406: no representation the client accepts.
    pub fn not_acceptable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_ACCEPTABLE, "not-acceptable", "Not acceptable", detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError {
            www_authenticate: Some("Bearer realm=\"junkan\", error=\"invalid_token\""),
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                detail,
            )
        }
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 405.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "this resource does not support this method",
        )
    }

    /// 409.
    pub fn conflict(path: String, message: String) -> ApiError {
        let errors = vec![Violation::new(path, message.clone())];
        ApiError {
            errors,
            ..ApiError::new(StatusCode::CONFLICT, "conflict", "Conflict", message)
        }
    }

    /// 413.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
            format!("the body exceeds the limit of {limit} bytes"),
        )
    }

    /// 415.
    pub fn unsupported_media_type(expected: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("send the body as {expected}"),
        )
    }

    /// 429 with `Retry-After`: too many failed sign-ins for this name; try again in `wait`.
    pub fn too_many_attempts(wait: time::Duration) -> ApiError {
        let seconds = u32::try_from(wait.whole_seconds().max(1)).unwrap_or(u32::MAX);
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many attempts",
                format!("too many failed sign-ins for this name; try again in {seconds} s"),
            )
        }
    }

    /// 502: another node this request needed (a Dataspace Protocol provider) is down or refused.
    pub fn bad_gateway(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_GATEWAY, "bad-gateway", "Bad gateway", detail)
    }

    /// 503: the database is unreachable.
    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "the service cannot reach its storage; try again later",
        )
    }

    /// 500. The cause is logged, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side; the request id identifies it in our logs",
        )
    }

    /// An error in the EPCIS REST binding's own shape (type `epcisException:<exception>`), on the
    /// `/epcis` routes.
    pub fn epcis(
        status: StatusCode,
        exception: &str,
        title: &'static str,
        detail: impl Into<String>,
        errors: Vec<Violation>,
    ) -> ApiError {
        ApiError {
            status,
            problem_type: format!("epcisException:{exception}"),
            title,
            detail: detail.into(),
            errors,
            www_authenticate: None,
            retry_after: None,
        }
    }

    /// The same error in the EPCIS shape: junkan problem types become the binding's exceptions.
    pub fn into_epcis(self) -> ApiError {
        let exception = match self.status {
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "ValidationException",
            StatusCode::CONFLICT => "ResourceAlreadyExistsException",
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "SecurityException",
            StatusCode::NOT_FOUND => "NoSuchResourceException",
            StatusCode::PAYLOAD_TOO_LARGE => "CapturePayloadTooLargeException",
            StatusCode::NOT_ACCEPTABLE => "NotAcceptableException",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaTypeException",
            _ => "ImplementationException",
        };
        let status = if self.status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            self.status
        };
        ApiError {
            status,
            problem_type: format!("epcisException:{exception}"),
            ..self
        }
    }

    /// 401 on a federation route: the request's RFC 9421 signature is missing or refused;
    /// `reason` names why in the problem type (`urn:junkan:problem:signature-<reason>`:
    /// `missing`, `malformed`, `unknown-peer`, `key`, `invalid`, `digest`, `expired`, `replay`).
    pub fn signature(reason: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            www_authenticate: Some("Signature"),
            problem_type: format!("urn:junkan:problem:signature-{reason}"),
            ..ApiError::new(StatusCode::UNAUTHORIZED, "signature", "Signed request refused", detail)
        }
    }

    /// 502 or 504: a peer node did not answer usefully (down, unreachable, timed out, or an
    /// answer that is not what the protocol says); `detail` names the peer.
    pub fn peer(status: StatusCode, detail: impl Into<String>) -> ApiError {
        let (kind, title) = if status == StatusCode::GATEWAY_TIMEOUT {
            ("peer-timeout", "Peer node timed out")
        } else {
            ("peer-unavailable", "Peer node unavailable")
        };
        ApiError::new(status, kind, title, detail)
    }

    /// A peer node's refusal passed on with its status (4xx): `detail` names the peer and
    /// quotes its problem.
    pub fn peer_refused(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError::new(status, "peer-refused", "Refused by the peer node", detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "the body"
    } else {
        path
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound { kind, id } => {
                ApiError::not_found(format!("no {} {id} that you may see", kind.as_str()))
            }
            StoreError::Forbidden { reason } => ApiError::forbidden(reason),
            StoreError::Invalid(violations) => ApiError::invalid(violations),
            StoreError::Conflict { message, path } => ApiError::conflict(path, message),
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "storage error");
                ApiError::unavailable()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            problem_type: self.problem_type,
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
        };
        let body = serde_json::to_vec(&problem).expect("a problem is plain data that always serializes");
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = self.www_authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Result of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
