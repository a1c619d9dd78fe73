//! The one error type shared by every layer. It carries a public message that
//! is safe to show to whoever sent the request, and (for internal errors) a
//! private one that only goes to the logs. The HTTP layer maps each kind to one
//! status code, in one place.

use std::fmt;

/// What is wrong with one input field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field, as the client named it (`name`, `branding.primary_color`,
    /// `departments[3].parent`).
    pub field: String,
    /// What to fix, in words a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefix the field with the name of the structure that holds it.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed or breaks a rule; every problem is listed.
    #[error("invalid input: {}", list(.0))]
    Invalid(Vec<FieldError>),
    /// The thing asked for does not exist (or belongs to another city, which
    /// the caller must not be able to tell apart).
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state (a duplicate code, a host
    /// that already serves another city).
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// No valid credentials were presented.
    #[error("{0}")]
    Unauthenticated(String),
    /// The credentials are valid but do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; the caller may try again after the given seconds.
    #[error("{message}")]
    TooManyRequests {
        retry_after_secs: u64,
        message: String,
    },
    /// Something broke that is not the caller's fault. The message is only
    /// logged; the caller sees a generic text.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be reached or is not ready.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn internal(message: impl fmt::Display) -> Self {
        Self::Internal(message.to_string())
    }
}

/// Collects field errors so a client learns about every problem at once.
#[derive(Default, Debug)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Record the error of parsing `field`, returning the value when it parsed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
