//! What can fail in a handler's use of its session, and the responses
//! those failures become.
//!
//! A response never says more than "session store unavailable" or
//! "session error": the detail (which may name Redis hosts or a session
//! key) goes to the log under the target `rels_session::web`, never to
//! the client.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use crate::error::Error;
use crate::record::RecordError;

/// Why a handler could not read or change its session.
///
/// It implements [`IntoResponse`], so a handler can use `?`: a store that
/// is unavailable becomes `503` with `Retry-After`, anything else `500`,
/// both with a short plain body and the detail in the log.
///
/// # Examples
///
/// ```
/// use rels_session::web::{RequestSession, SessionError};
///
/// async fn locale(session: RequestSession) -> Result<String, SessionError> {
///     let locale: Option<String> = session.get("locale").await?;
///     Ok(locale.unwrap_or_else(|| "en".to_owned()))
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error(transparent)]
pub struct SessionError(Repr);

#[derive(Debug, thiserror::Error)]
pub(crate) enum Repr {
    /// The store could not load the session. Shared, because every
    /// access in the request reports the same failure.
    #[error("could not load the session: {0}")]
    Load(#[source] Arc<Error>),
    /// A value had another shape than asked for, or could not be turned
    /// into JSON.
    #[error(transparent)]
    Value(RecordError),
    /// No fresh id could be made for the session.
    #[error("could not give the session a fresh id: {0}")]
    Cycle(#[source] Error),
}

impl SessionError {
    pub(crate) fn load(err: Arc<Error>) -> Self {
        Self(Repr::Load(err))
    }

    pub(crate) fn cycle(err: Error) -> Self {
        Self(Repr::Cycle(err))
    }

    /// Whether the store was unavailable: worth a retry later.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(&self.0, Repr::Load(err) if err.is_unavailable())
    }

    /// Whether a value could not be converted to or from the type asked
    /// for; the session itself is fine.
    #[must_use]
    pub fn is_value(&self) -> bool {
        matches!(self.0, Repr::Value(_))
    }

    /// How long the store asked callers to wait, when it knows.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.0 {
            Repr::Load(err) => err.retry_after(),
            _ => None,
        }
    }
}

impl From<RecordError> for SessionError {
    fn from(err: RecordError) -> Self {
        Self(Repr::Value(err))
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        match &self.0 {
            // Logged when the load failed; the response is all that is
            // left to do.
            Repr::Load(err) => failure_response(err),
            Repr::Value(err) => {
                log_value_error(err);
                plain(StatusCode::INTERNAL_SERVER_ERROR, "session error")
            }
            Repr::Cycle(err) => {
                tracing::error!(
                    target: "rels_session::web",
                    error = %err,
                    "could not give the session a fresh id"
                );
                plain(StatusCode::INTERNAL_SERVER_ERROR, "session error")
            }
        }
    }
}

/// Logs a value error. Its text names the key and the kind of problem,
/// never the value, which is session data.
fn log_value_error(err: &RecordError) {
    tracing::error!(
        target: "rels_session::web",
        error = %err,
        "session value could not be read or written"
    );
}

/// The rejection of [`RequestSession`](super::RequestSession) when
/// [`SessionLayer`](super::SessionLayer) does not wrap the route: a
/// mistake in how the app was put together, answered with `500`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("no SessionLayer wraps this route, so it has no session")]
pub struct MissingSessionLayer;

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        tracing::error!(
            target: "rels_session::web",
            "RequestSession used on a route without SessionLayer; add the layer to the router"
        );
        plain(StatusCode::INTERNAL_SERVER_ERROR, "session layer missing")
    }
}

/// The response for a store failure: `503` with `Retry-After` when Redis
/// is unavailable, else `500`.
pub(crate) fn failure_response(err: &Error) -> Response {
    if !err.is_unavailable() {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "session store error");
    }
    let mut response = plain(StatusCode::SERVICE_UNAVAILABLE, "session store unavailable");
    let seconds = retry_seconds(err.retry_after());
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Whole seconds to wait, rounded up and at least one: `Retry-After: 0`
/// would invite an immediate retry into the same failure.
fn retry_seconds(after: Option<Duration>) -> u64 {
    let after = after.unwrap_or(Duration::from_secs(1));
    let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    seconds.max(1)
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_seconds(None), 1);
        assert_eq!(retry_seconds(Some(Duration::ZERO)), 1);
        assert_eq!(retry_seconds(Some(Duration::from_millis(1))), 1);
        assert_eq!(retry_seconds(Some(Duration::from_millis(4001))), 5);
        assert_eq!(retry_seconds(Some(Duration::from_secs(5))), 5);
    }

    #[test]
    fn a_missing_layer_is_a_plain_500() {
        let response = MissingSessionLayer.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_value_error_is_a_500_without_the_value() {
        let record = crate::Record::parse(br#"{"n":"SECRET"}"#).expect("valid");
        let err = record.get::<u32>("n").expect_err("not a number");
        let response = SessionError::from(err).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
