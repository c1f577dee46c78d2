//! The layer's policy choices: when a loaded session's TTL is refreshed,
//! and what a failing store does to the response. The cookie's own
//! attributes live in `cookie`.

use http::HeaderName;

use super::cookie::CookieConfig;

/// When a request that loaded an existing session resets its TTL.
///
/// A changed session is always saved, and saving resets the TTL; the
/// choice is only about sessions that were read and left unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refresh {
    /// Every request that loaded an existing session refreshes its TTL:
    /// with `EXPIRE` when unchanged, or by the save when changed. One
    /// round trip either way. A session then expires after
    /// `expires_after` of inactivity, as in Rails.
    #[default]
    OnLoad,
    /// Only a change refreshes the TTL: an unchanged read sends nothing
    /// after the handler. A session then expires `expires_after` after
    /// its last change, however active it is.
    OnChange,
}

/// What a request gets when the store fails to load or save its session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureMode {
    /// The response is replaced with `503 Service Unavailable` and a
    /// `Retry-After` header (or `500` when Redis refused the request
    /// rather than being unreachable). A handler never runs its effects
    /// on a session that may be out of date, and a write is never lost
    /// silently.
    #[default]
    Closed,
    /// The handler sees an empty session and its response goes out;
    /// nothing is saved and no cookie is set, so the visitor's cookie
    /// survives until the store is back. Choose this when serving a
    /// page matters more than the session, such as for public pages.
    Open,
}

/// Everything the layer was configured with; shared by every request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
    pub(crate) cookie: CookieConfig,
    pub(crate) token_header: Option<HeaderName>,
    pub(crate) refresh: Refresh,
    pub(crate) failure: FailureMode,
}
