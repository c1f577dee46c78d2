//! The session cookie: its attributes, reading the public id out of a
//! request's `Cookie` headers, and building the `Set-Cookie` values that
//! set or remove it.
//!
//! The cookie's value is the public id itself, with no signing or
//! encoding, because Rails apps running the gem read it verbatim (SPEC
//! 1.1). Only a well-formed public id is ever accepted from a client
//! (SPEC 3).

use std::time::Duration;

use cookie::{Cookie, SameSite};
use http::header::{COOKIE, HeaderMap, HeaderValue};

use crate::id::PublicId;

/// The gem's cookie name, which Rails apps sharing the session expect.
pub(crate) const DEFAULT_NAME: &str = "rels_session";

/// A cookie setting given to [`SessionLayer`](super::SessionLayer) that
/// would not make a valid `Set-Cookie` header.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("invalid session cookie {attribute}: {reason}")]
pub struct InvalidCookieSetting {
    attribute: &'static str,
    reason: &'static str,
}

impl InvalidCookieSetting {
    /// The attribute that was refused: `name`, `domain` or `path`.
    #[must_use]
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }
}

/// The attributes of the session cookie. The defaults are SPEC 3's.
#[derive(Clone, Debug)]
pub(crate) struct CookieConfig {
    pub(crate) name: String,
    pub(crate) domain: Option<String>,
    pub(crate) path: String,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) max_age: Option<Duration>,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: DEFAULT_NAME.to_owned(),
            domain: None,
            path: "/".to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            max_age: None,
        }
    }
}

/// What a request's cookies say about its session.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CookieId {
    /// No cookie of our name.
    Absent,
    /// Cookies of our name, none of them a well-formed public id.
    Malformed,
    /// The first well-formed public id under our name.
    Found(PublicId),
}

impl CookieConfig {
    /// Finds the session cookie among every `Cookie` header: the first
    /// cookie of our name whose value is a well-formed public id. HTTP/2
    /// clients may split cookies over several headers.
    pub(crate) fn read(&self, headers: &HeaderMap) -> CookieId {
        let mut seen = false;
        let values = headers.get_all(COOKIE).into_iter();
        for header in values.filter_map(|v| v.to_str().ok()) {
            for cookie in Cookie::split_parse(header).filter_map(Result::ok) {
                if cookie.name() != self.name {
                    continue;
                }
                seen = true;
                if let Some(id) = PublicId::parse(cookie.value()) {
                    return CookieId::Found(id);
                }
            }
        }
        if seen {
            CookieId::Malformed
        } else {
            CookieId::Absent
        }
    }

    /// The `Set-Cookie` value that gives the client `id`.
    pub(crate) fn set(&self, id: &PublicId) -> Option<HeaderValue> {
        let mut cookie = self.template(id.expose());
        if let Some(max_age) = self.max_age {
            cookie.set_max_age(to_time(max_age));
        }
        header_value(&cookie)
    }

    /// The `Set-Cookie` value that makes the client drop the cookie. It
    /// carries the same domain and path as the cookie it removes, or the
    /// browser would keep the original.
    pub(crate) fn removal(&self) -> Option<HeaderValue> {
        let mut cookie = self.template("");
        cookie.make_removal();
        header_value(&cookie)
    }

    fn template<'a>(&'a self, value: &'a str) -> Cookie<'a> {
        let mut cookie = Cookie::build((self.name.as_str(), value))
            .path(self.path.as_str())
            .secure(self.secure)
            .http_only(self.http_only)
            .same_site(self.same_site)
            .build();
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.as_str());
        }
        cookie
    }
}

/// The header text of a cookie. The settings were checked when they were
/// given, so this fails only if that check has a gap; the caller then
/// sends no cookie rather than a broken one.
fn header_value(cookie: &Cookie<'_>) -> Option<HeaderValue> {
    let value = HeaderValue::try_from(cookie.to_string());
    if value.is_err() {
        tracing::error!(
            target: "rels_session::web",
            "session cookie settings do not make a valid header; no cookie sent"
        );
    }
    value.ok()
}

fn to_time(duration: Duration) -> cookie::time::Duration {
    cookie::time::Duration::try_from(duration).unwrap_or(cookie::time::Duration::MAX)
}

/// Checks a cookie name: an RFC 6265 token, so a browser stores it under
/// exactly that name.
pub(crate) fn check_name(name: &str) -> Result<(), InvalidCookieSetting> {
    let token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(invalid("name", "must be a non-empty token (RFC 6265)"));
    }
    Ok(())
}

/// Checks a domain: visible ASCII without `;`, which would end the
/// attribute early.
pub(crate) fn check_domain(domain: &str) -> Result<(), InvalidCookieSetting> {
    if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_graphic() && b != b';') {
        return Err(invalid(
            "domain",
            "must be non-empty visible ASCII without `;`",
        ));
    }
    Ok(())
}

/// Checks a path: it must start with `/` (browsers ignore other paths)
/// and hold visible ASCII without `;`.
pub(crate) fn check_path(path: &str) -> Result<(), InvalidCookieSetting> {
    if !path.starts_with('/') || !path.bytes().all(|b| b.is_ascii_graphic() && b != b';') {
        return Err(invalid(
            "path",
            "must start with `/` and be visible ASCII without `;`",
        ));
    }
    Ok(())
}

fn invalid(attribute: &'static str, reason: &'static str) -> InvalidCookieSetting {
    InvalidCookieSetting { attribute, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn id(text: &str) -> PublicId {
        PublicId::parse(text).expect("test id is well formed")
    }

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            let value = HeaderValue::from_str(cookie).expect("valid header");
            headers.append(COOKIE, value);
        }
        headers
    }

    fn text(value: Option<HeaderValue>) -> String {
        let value = value.expect("header built");
        value.to_str().expect("ascii").to_owned()
    }

    #[test]
    fn the_default_cookie_is_secure_http_only_lax_at_the_root() {
        let shown = text(CookieConfig::default().set(&id(ID)));
        assert!(shown.starts_with(&format!("rels_session={ID}")), "{shown}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(shown.contains(attribute), "{shown}");
        }
        assert!(!shown.contains("Max-Age"), "{shown}");
        assert!(!shown.contains("Domain"), "{shown}");
    }

    #[test]
    fn configured_attributes_appear_in_the_cookie() {
        let config = CookieConfig {
            domain: Some("example.com".to_owned()),
            path: "/app".to_owned(),
            secure: false,
            same_site: SameSite::Strict,
            max_age: Some(Duration::from_secs(3600)),
            ..CookieConfig::default()
        };
        let shown = text(config.set(&id(ID)));
        for attribute in [
            "Domain=example.com",
            "Path=/app",
            "SameSite=Strict",
            "Max-Age=3600",
        ] {
            assert!(shown.contains(attribute), "{shown}");
        }
        assert!(!shown.contains("Secure"), "{shown}");
    }

    #[test]
    fn a_removal_keeps_the_attributes_and_expires_now() {
        let config = CookieConfig {
            domain: Some("example.com".to_owned()),
            ..CookieConfig::default()
        };
        let shown = text(config.removal());
        assert!(shown.starts_with("rels_session=;"), "{shown}");
        for attribute in ["Max-Age=0", "Expires=", "Domain=example.com", "Secure"] {
            assert!(shown.contains(attribute), "{shown}");
        }
    }

    #[test]
    fn the_first_well_formed_cookie_of_our_name_wins() {
        let config = CookieConfig::default();
        let other = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let found = config.read(&headers(&[
            "a=1; rels_session=nope",
            &format!("rels_session={ID}; rels_session={other}"),
        ]));
        assert_eq!(found, CookieId::Found(id(ID)));
    }

    #[test]
    fn values_other_than_a_public_id_are_malformed() {
        let config = CookieConfig::default();
        let private = "2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547";
        let long = "a".repeat(8192);
        for value in [private, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", &long] {
            let cookie = format!("rels_session={value}");
            assert_eq!(config.read(&headers(&[&cookie])), CookieId::Malformed);
        }
        assert_eq!(config.read(&headers(&["other=1"])), CookieId::Absent);
        assert_eq!(config.read(&HeaderMap::new()), CookieId::Absent);
    }

    #[test]
    fn settings_that_would_break_the_header_are_refused() {
        assert!(check_name("rels_session").is_ok());
        for name in ["", "a b", "a;b", "a=b", "é"] {
            assert!(check_name(name).is_err(), "accepted {name:?}");
        }
        assert!(check_domain("example.com").is_ok());
        assert!(check_domain("a;b").is_err());
        assert!(check_path("/").is_ok());
        for path in ["", "app", "/a;b", "/a\nb"] {
            assert!(check_path(path).is_err(), "accepted {path:?}");
        }
    }
}
