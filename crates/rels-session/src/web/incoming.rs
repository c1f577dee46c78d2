//! Where a request's session id comes from: the token header when one is
//! configured and carries a well-formed public id, else the session
//! cookie. Never the query string (SPEC 3).

use http::{HeaderMap, HeaderName};

use super::config::Config;
use super::cookie::CookieId;
use crate::id::PublicId;

/// The session id a request carries, and how it carried it.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// No usable id: the request starts a new session if it writes one.
    None,
    /// The session cookie.
    Cookie(PublicId),
    /// The token header of a client that keeps the id itself; it gets no
    /// cookie.
    Token(PublicId),
}

impl Incoming {
    /// Reads the id from the request's headers. Values that are not
    /// well-formed public ids are logged without their content and
    /// treated as absent.
    pub(crate) fn read(headers: &HeaderMap, config: &Config) -> Self {
        if let Some(name) = &config.token_header
            && let Some(id) = token(headers, name)
        {
            return Self::Token(id);
        }
        match config.cookie.read(headers) {
            CookieId::Found(id) => Self::Cookie(id),
            CookieId::Malformed => {
                tracing::warn!(
                    target: "rels_session::web",
                    "malformed session cookie; treating the request as having no session"
                );
                Self::None
            }
            CookieId::Absent => Self::None,
        }
    }

    /// The id, wherever it came from.
    pub(crate) fn id(&self) -> Option<&PublicId> {
        match self {
            Self::None => None,
            Self::Cookie(id) | Self::Token(id) => Some(id),
        }
    }

    /// Whether the id came in the token header, so no cookie is set.
    pub(crate) fn is_token(&self) -> bool {
        matches!(self, Self::Token(_))
    }
}

/// The first well-formed public id in the token header.
fn token(headers: &HeaderMap, name: &HeaderName) -> Option<PublicId> {
    let mut values = headers.get_all(name).into_iter().peekable();
    values.peek()?;
    let found = values
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| PublicId::parse(v.trim()));
    if found.is_none() {
        tracing::warn!(
            target: "rels_session::web",
            "malformed session token header; ignoring it"
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::header::COOKIE;

    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn config() -> Config {
        Config {
            token_header: Some(HeaderName::from_static("x-session-token")),
            ..Config::default()
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("valid name");
            let value = HeaderValue::from_str(value).expect("valid value");
            headers.append(name, value);
        }
        headers
    }

    #[test]
    fn a_token_header_beats_the_cookie() {
        let cookie = format!("rels_session={A}");
        let found = Incoming::read(
            &headers(&[("x-session-token", B), (COOKIE.as_str(), &cookie)]),
            &config(),
        );
        assert!(found.is_token());
        assert_eq!(found.id().map(PublicId::expose), Some(B));
    }

    #[test]
    fn a_malformed_token_falls_back_to_the_cookie() {
        let cookie = format!("rels_session={A}");
        let found = Incoming::read(
            &headers(&[("x-session-token", "2::abc"), (COOKIE.as_str(), &cookie)]),
            &config(),
        );
        assert!(!found.is_token());
        assert_eq!(found.id().map(PublicId::expose), Some(A));
    }

    #[test]
    fn the_token_header_is_ignored_unless_configured() {
        let found = Incoming::read(&headers(&[("x-session-token", B)]), &Config::default());
        assert!(found.id().is_none());
    }
}
