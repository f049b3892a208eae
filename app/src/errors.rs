//! One error type for every server function. It crosses the wire as JSON;
//! the server maps it to an HTTP status (see `AppError::status`) and the UI
//! to a localised message (see `i18n::Texts::error`). Internal detail is
//! logged on the server and never sent to the client.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub use domain::problems::{Field, FieldError, Problem, SettingsProblem, UploadProblem};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// One or more fields failed validation; nothing was written.
    #[error("invalid input")]
    Invalid { fields: Vec<FieldError> },
    /// The request itself was malformed (bad encoding, missing argument).
    #[error("bad request")]
    BadRequest,
    /// An uploaded guide file failed validation; each problem names the node.
    #[error("invalid guide")]
    InvalidGuide { problems: Vec<String> },
    /// Service settings (calendar, holiday list, policy) failed validation.
    #[error("invalid settings")]
    InvalidSettings { problems: Vec<SettingsProblem> },
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many requests from this client (or sign-in attempts for this
    /// name); answered 429 with `Retry-After`.
    #[error("too many requests")]
    RateLimited { retry_after_s: u32 },
    /// The database cannot be reached or is overloaded; try again shortly.
    #[error("service unavailable")]
    Unavailable,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The case moved on meanwhile (claimed by someone else, already closed).
    #[error("conflict")]
    Conflict,
    /// A paid job cannot be dispatched before the customer approves the quote.
    #[error("quote not approved")]
    QuoteNotApproved,
    /// A visit's service report must be signed by the customer before closing.
    #[error("report not signed")]
    NotSigned,
    /// An uploaded photo or signature was refused.
    #[error("upload refused")]
    InvalidUpload { problem: UploadProblem },
    /// The browser could not reach the server.
    #[error("server unreachable")]
    Unreachable,
    #[error("internal error")]
    Internal,
}

/// A refused case action, as the client is told.
impl From<crate::domain::lifecycle::Refusal> for AppError {
    fn from(r: crate::domain::lifecycle::Refusal) -> Self {
        use crate::domain::lifecycle::Refusal;
        match r {
            Refusal::Role | Refusal::NotOwner => AppError::Forbidden,
            Refusal::State => AppError::Conflict,
            Refusal::Input => AppError::BadRequest,
            Refusal::QuoteNotApproved => AppError::QuoteNotApproved,
            Refusal::NotSigned => AppError::NotSigned,
        }
    }
}

impl AppError {
    /// For 429 and 503: when to try again, in seconds (`Retry-After`).
    pub fn retry_after_s(&self) -> Option<u32> {
        match self {
            AppError::RateLimited { retry_after_s } => Some(*retry_after_s),
            AppError::Unavailable => Some(5),
            _ => None,
        }
    }

    pub fn invalid(fields: Vec<FieldError>) -> Self {
        AppError::Invalid { fields }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } | AppError::InvalidGuide { .. } | AppError::InvalidSettings { .. } => 422,
            AppError::BadRequest => 400,
            AppError::Unauthenticated | AppError::WrongCredentials => 401,
            AppError::RateLimited { .. } => 429,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict | AppError::QuoteNotApproved | AppError::NotSigned => 409,
            AppError::InvalidUpload { problem: UploadProblem::TooLarge { .. } | UploadProblem::StorageFull } => 413,
            AppError::InvalidUpload { problem: UploadProblem::TooMany { .. } } => 409,
            AppError::InvalidUpload { .. } => 415,
            AppError::Unreachable | AppError::Unavailable => 503,
            AppError::Internal => 500,
        }
    }

    /// The first problem reported for `field`, if any.
    pub fn problem_for(&self, field: Field) -> Option<Problem> {
        match self {
            AppError::Invalid { fields } => fields.iter().find(|f| f.field == field).map(|f| f.problem),
            _ => None,
        }
    }

    /// Logs the real cause on the server and returns the opaque `Internal`.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    /// Database trouble is told apart: unreachable or overloaded is 503 (the
    /// client may retry), text the database cannot store is the client's
    /// fault (400), anything else is logged and opaque.
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &e {
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::Unavailable
            }
            E::Database(d) => {
                let code = d.code().unwrap_or_default();
                let message = d.message();
                // PostgreSQL: invalid byte sequence (NUL), untranslatable character.
                if code == "22021" || code == "22P05" {
                    tracing::info!(error = %e, "refused text the database cannot store");
                    AppError::BadRequest
                // PostgreSQL shutting down, connection failures, too many clients.
                } else if code.starts_with("08") || code == "57P01" || code == "57P03" || code == "53300" {
                    tracing::warn!(error = %e, "database unavailable");
                    AppError::Unavailable
                // SQLite: busy or locked past the busy timeout.
                } else if code == "5" || code == "6" || message.contains("database is locked") {
                    tracing::warn!(error = %e, "database busy");
                    AppError::Unavailable
                } else {
                    AppError::internal(e)
                }
            }
            _ => AppError::internal(e),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest,
            // On the server this is a request body that did not decode (the
            // JSON codec reports it so); in the browser, a broken response.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failure");
                let _ = other;
                AppError::Internal
            }
        }
    }

    /// On the server this runs inside the server function's response scope
    /// (leptos_axum applies `ResponseOptions` afterwards), so the error sets
    /// its own status and `Retry-After` where it is encoded: server
    /// functions otherwise answer every error with 500.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            use axum::http::{header, HeaderValue, StatusCode};
            options.set_status(StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
            if let Some(seconds) = self.retry_after_s() {
                options.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
        }
        <JsonEncoding as leptos::server_fn::Encodes<Self>>::encode(self).unwrap_or_default()
    }
}

/// Outside server functions (axum handlers) an error answers as the server
/// functions' do: JSON `{"kind": …}`, its status, `Retry-After` for 429 and
/// 503. The detail of an internal error was logged where it arose.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{header, HeaderValue, StatusCode};
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let Some(seconds) = self.retry_after_s() {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_stable_json() {
        let e = AppError::invalid(vec![FieldError { field: Field::Phone, problem: Problem::InvalidPhone }]);
        let json = serde_json_roundtrip(&e);
        assert_eq!(json, e);
    }

    fn serde_json_roundtrip(e: &AppError) -> AppError {
        use leptos::server_fn::error::FromServerFnError;
        AppError::de(e.ser())
    }

    #[test]
    fn statuses_are_client_errors_except_internal() {
        for e in [AppError::BadRequest, AppError::NotFound, AppError::Forbidden, AppError::invalid(vec![])] {
            assert!((400..500).contains(&e.status()), "{e:?}");
        }
        assert_eq!(AppError::Internal.status(), 500);
    }
}
