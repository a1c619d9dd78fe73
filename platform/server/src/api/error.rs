//! The one conversion from the domain error to HTTP. Every error body has
//! the same JSON shape: a machine-readable `error`, a `message` for people
//! and, for bad input, the `errors` of each field.

use minsheng_domain::Error;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

#[derive(Clone, Debug, Object)]
pub struct FieldProblem {
    /// The field, as the client named it.
    pub field: String,
    /// What to fix.
    pub message: String,
}

#[derive(Clone, Debug, Object)]
pub struct ErrorBody {
    /// `invalid_input`, `bad_request`, `not_found`, `conflict`, `unauthenticated`,
    /// `forbidden`, `payload_too_large`, `too_many_requests`, `internal` or `unavailable`.
    pub error: String,
    pub message: String,
    #[oai(skip_serializing_if_is_empty)]
    pub errors: Vec<FieldProblem>,
}

impl ErrorBody {
    pub fn new(error: &str, message: impl Into<String>) -> Self {
        Self {
            error: error.to_owned(),
            message: message.into(),
            errors: Vec::new(),
        }
    }
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request could not be read (malformed JSON, a bad parameter).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No valid credentials.
    #[oai(status = 401)]
    Unauthenticated(Json<ErrorBody>),
    /// Not allowed.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such thing in this city.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with existing data (a duplicate code).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The values break a rule; `errors` lists each field.
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// Too many attempts; retry after `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// A bug on our side; the details are in the server log.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is not reachable, or every connection to it is busy;
    /// retry after `Retry-After` seconds.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(list) => {
                let message = list
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError::Invalid(Json(ErrorBody {
                    error: "invalid_input".into(),
                    message,
                    errors: list
                        .into_iter()
                        .map(|e| FieldProblem {
                            field: e.field,
                            message: e.message,
                        })
                        .collect(),
                }))
            }
            Error::NotFound(what) => ApiError::NotFound(Json(ErrorBody::new(
                "not_found",
                format!("{what} not found"),
            ))),
            Error::Conflict { field, message } => ApiError::Conflict(Json(ErrorBody {
                error: "conflict".into(),
                errors: field
                    .map(|field| {
                        vec![FieldProblem {
                            field,
                            message: message.clone(),
                        }]
                    })
                    .unwrap_or_default(),
                message,
            })),
            Error::Unauthenticated(m) => {
                ApiError::Unauthenticated(Json(ErrorBody::new("unauthenticated", m)))
            }
            Error::Forbidden(m) => ApiError::Forbidden(Json(ErrorBody::new("forbidden", m))),
            Error::TooManyRequests {
                retry_after_secs,
                message,
            } => ApiError::TooManyRequests(
                Json(ErrorBody::new("too_many_requests", message)),
                retry_after_secs,
            ),
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::Internal(Json(ErrorBody::new(
                    "internal",
                    "something went wrong on our side; it has been logged",
                )))
            }
            Error::Unavailable(m) => {
                tracing::warn!(error = %m, "unavailable");
                ApiError::Unavailable(
                    Json(ErrorBody::new(
                        "unavailable",
                        "the service is busy or not ready; try again shortly",
                    )),
                    UNAVAILABLE_RETRY_SECS,
                )
            }
        }
    }
}

impl ApiError {
    /// What the body says to a person.
    pub fn message(&self) -> &str {
        match self {
            Self::BadRequest(b)
            | Self::Unauthenticated(b)
            | Self::Forbidden(b)
            | Self::NotFound(b)
            | Self::Conflict(b)
            | Self::Invalid(b)
            | Self::TooManyRequests(b, _)
            | Self::Internal(b)
            | Self::Unavailable(b, _) => &b.0.message,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// When to try again after a 503: a busy pool frees up within moments.
pub const UNAVAILABLE_RETRY_SECS: u64 = 1;

/// poem-openapi names path parameters `param0`, `param1`… internally; say
/// "path segment" instead, and name the expected type plainly.
fn readable(message: &str) -> String {
    let mut out = message.to_owned();
    while let Some(start) = out.find("path `param") {
        let Some(len) = out[start + 6..].find('`') else {
            break;
        };
        out.replace_range(start..start + 6 + len + 1, "a path segment");
    }
    out.replace("\"string_uuid\"", "an id (a UUID)")
        .replace("\"string_date\"", "a date (YYYY-MM-DD)")
}

/// Errors poem or poem-openapi raise before a handler runs (unreadable JSON,
/// a parameter of the wrong type, a body over the limit, no such route) get
/// the same JSON shape as ours.
pub fn json_error_response(error: poem::Error) -> poem::Response {
    use poem::IntoResponse;
    if !error.has_source() {
        // Raised from an `ApiError`: already has its JSON body.
        return error.into_response();
    }
    let status = error.status();
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthenticated",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        s if s >= 500 => "internal",
        _ => "bad_request",
    };
    let message = if status.is_server_error() {
        tracing::error!(error = %error, "unhandled error");
        "something went wrong on our side; it has been logged".to_owned()
    } else {
        readable(&error.to_string())
    };
    let body = serde_json::json!({ "error": code, "message": message });
    poem::web::Json(body).with_status(status).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameter_names_are_readable() {
        assert_eq!(
            super::readable("failed to parse path `param1`: failed to parse \"string_uuid\": bad"),
            "failed to parse a path segment: failed to parse an id (a UUID): bad"
        );
    }
}
