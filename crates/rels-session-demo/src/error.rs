//! What a failed request answers: a short page with the right status, and
//! the detail in the log, never in the response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use rels_session::web::{SessionError, UsersError};

use crate::pages::layout::{Nav, page};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// A form without the session's CSRF token: `403`.
    #[error("missing or wrong CSRF token")]
    Forbidden,
    /// A device that is not one of the signed-in user's sessions: `404`.
    #[error("not one of the user's sessions")]
    NotFound,
    /// An action for signed-in users only: `401`.
    #[error("not signed in")]
    SignInRequired,
    /// The session could not be read or changed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A sign-in or activity could not be recorded.
    #[error(transparent)]
    Users(#[from] UsersError),
    /// The store failed in a listing or a revoke.
    #[error(transparent)]
    Store(#[from] rels_session::Error),
    /// No random bytes for a token.
    #[error("no random source: {0}")]
    Random(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::Forbidden => problem(
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form is out of date or did not come from this site. \
                 Reload the page and try again.",
            ),
            Self::NotFound => problem(
                StatusCode::NOT_FOUND,
                "No such device",
                "That device is not one of the sessions you are signed in on.",
            ),
            Self::SignInRequired => problem(
                StatusCode::UNAUTHORIZED,
                "Sign in first",
                "This needs you to be signed in.",
            ),
            Self::Session(err) => err.into_response(),
            Self::Users(err) => err.into_response(),
            Self::Store(err) => store_failure(&err),
            Self::Random(detail) => {
                tracing::error!(error = %detail, "no random source");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not finish this request.",
                )
            }
        }
    }
}

/// `503` when the store is unavailable, else `500`; the detail goes to the
/// log only.
fn store_failure(err: &rels_session::Error) -> Response {
    tracing::error!(error = %err, "session store failed");
    if err.is_unavailable() {
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again soon",
            "The session store is unavailable right now.",
        )
    } else {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The server could not finish this request.",
        )
    }
}

fn problem(status: StatusCode, title: &str, text: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p { (text) }
        p { a href="/" { "Back to the start" } }
    };
    (status, page(title, &Nav::plain(), body)).into_response()
}
