//! [`SessionLayer`]: the tower layer that gives routes their session, and
//! its settings, given as `with_*` calls on the layer itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cookie::SameSite;
use http::HeaderName;
use tower_layer::Layer;

use super::config::{Config, FailureMode, Refresh};
use super::cookie::{InvalidCookieSetting, check_domain, check_name, check_path};
use super::service::SessionService;
use crate::store::Store;

/// A tower layer that gives every request a
/// [`RequestSession`](super::RequestSession), saved after the handler
/// and carried in the `rels_session` cookie, as the gem's Rails apps do.
///
/// The defaults are safe (SPEC 3): cookie `rels_session` on `Path=/`,
/// `HttpOnly`, `SameSite=Lax`, `Secure`, no `Max-Age` (it lasts as long
/// as the browser session); TTL refreshed on every load; store failures
/// answered with `503`.
///
/// # Examples
///
/// ```
/// use axum::{Router, routing::get};
/// use rels_session::Store;
/// use rels_session::web::{Refresh, SessionLayer};
///
/// fn app(store: Store) -> Router {
///     Router::new()
///         .route("/", get(|| async { "hello" }))
///         .layer(SessionLayer::new(store).with_refresh(Refresh::OnChange))
/// }
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    store: Store,
    config: Arc<Config>,
}

impl SessionLayer {
    /// A layer with the default settings, keeping sessions in `store`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::SessionLayer};
    /// fn layer(store: Store) -> SessionLayer {
    ///     SessionLayer::new(store)
    /// }
    /// ```
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self {
            store,
            config: Arc::new(Config::default()),
        }
    }

    fn map(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// The session cookie's name; `rels_session` by default, which the
    /// gem's Rails apps expect.
    ///
    /// # Errors
    ///
    /// [`InvalidCookieSetting`] when `name` is not an RFC 6265 token
    /// (empty, or with spaces, `;`, `=` or other separators).
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::{InvalidCookieSetting, SessionLayer}};
    /// fn layer(store: Store) -> Result<SessionLayer, InvalidCookieSetting> {
    ///     SessionLayer::new(store).with_cookie_name("_app_session")
    /// }
    /// ```
    pub fn with_cookie_name(self, name: impl Into<String>) -> Result<Self, InvalidCookieSetting> {
        let name = name.into();
        check_name(&name)?;
        Ok(self.map(|c| c.cookie.name = name))
    }

    /// The cookie's `Domain`, to share it with subdomains
    /// (`example.com` covers `app.example.com`). None by default: the
    /// cookie goes back only to the host that set it.
    ///
    /// # Errors
    ///
    /// [`InvalidCookieSetting`] when `domain` is empty or holds spaces,
    /// `;` or non-ASCII characters.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::{InvalidCookieSetting, SessionLayer}};
    /// fn layer(store: Store) -> Result<SessionLayer, InvalidCookieSetting> {
    ///     SessionLayer::new(store).with_domain("example.com")
    /// }
    /// ```
    pub fn with_domain(self, domain: impl Into<String>) -> Result<Self, InvalidCookieSetting> {
        let domain = domain.into();
        check_domain(&domain)?;
        Ok(self.map(|c| c.cookie.domain = Some(domain)))
    }

    /// The cookie's `Path`; `/` by default, so every page of the site
    /// shares the session.
    ///
    /// # Errors
    ///
    /// [`InvalidCookieSetting`] when `path` does not start with `/` or
    /// holds spaces, `;` or non-ASCII characters.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::{InvalidCookieSetting, SessionLayer}};
    /// fn layer(store: Store) -> Result<SessionLayer, InvalidCookieSetting> {
    ///     SessionLayer::new(store).with_path("/app")
    /// }
    /// ```
    pub fn with_path(self, path: impl Into<String>) -> Result<Self, InvalidCookieSetting> {
        let path = path.into();
        check_path(&path)?;
        Ok(self.map(|c| c.cookie.path = path))
    }

    /// Whether the cookie is marked `Secure`, so browsers send it only
    /// over HTTPS. On by default.
    ///
    /// # Security
    ///
    /// Turn this off only for development over plain HTTP. Without it,
    /// anyone on the network path of a single plain-HTTP request can
    /// read the cookie and take over the session.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::SessionLayer};
    /// fn development_layer(store: Store) -> SessionLayer {
    ///     SessionLayer::new(store).with_secure(false)
    /// }
    /// ```
    #[must_use]
    pub fn with_secure(self, secure: bool) -> Self {
        self.map(|c| c.cookie.secure = secure)
    }

    /// Whether the cookie is marked `HttpOnly`, out of reach of scripts
    /// in the page. On by default.
    ///
    /// # Security
    ///
    /// Without it, any script injected into a page can read the session
    /// id and send it elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::SessionLayer};
    /// fn layer(store: Store) -> SessionLayer {
    ///     SessionLayer::new(store).with_http_only(true)
    /// }
    /// ```
    #[must_use]
    pub fn with_http_only(self, http_only: bool) -> Self {
        self.map(|c| c.cookie.http_only = http_only)
    }

    /// The cookie's `SameSite`; `Lax` by default, which keeps the cookie
    /// off cross-site requests other than top-level navigation.
    ///
    /// # Security
    ///
    /// `SameSite::None` sends the cookie on every cross-site request,
    /// which leaves CSRF protection to the application; browsers also
    /// require `Secure` with it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::{SameSite, SessionLayer}};
    /// fn layer(store: Store) -> SessionLayer {
    ///     SessionLayer::new(store).with_same_site(SameSite::Strict)
    /// }
    /// ```
    #[must_use]
    pub fn with_same_site(self, same_site: SameSite) -> Self {
        self.map(|c| c.cookie.same_site = same_site)
    }

    /// The cookie's `Max-Age`: `None` (the default) makes it last until
    /// the browser closes. With a value, the cookie is sent again each
    /// time the session's TTL is reset, so both expire together; use the
    /// store's TTL for that ([`Store::ttl`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::SessionLayer};
    /// fn layer(store: Store) -> SessionLayer {
    ///     let ttl = store.ttl();
    ///     SessionLayer::new(store).with_max_age(Some(ttl))
    /// }
    /// ```
    #[must_use]
    pub fn with_max_age(self, max_age: Option<Duration>) -> Self {
        self.map(|c| c.cookie.max_age = max_age)
    }

    /// A request header that carries the session id for clients that
    /// keep it themselves, such as mobile apps. When a request has it
    /// with a well-formed public id, that is the session id, ahead of any
    /// cookie, and no cookie is set or removed for it: a handler hands a
    /// new id to such a client itself, from
    /// [`RequestSession::public_id`](super::RequestSession::public_id).
    /// None by default.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::SessionLayer};
    /// use axum::http::HeaderName;
    ///
    /// fn layer(store: Store) -> SessionLayer {
    ///     let header = HeaderName::from_static("x-session-token");
    ///     SessionLayer::new(store).with_token_header(header)
    /// }
    /// ```
    #[must_use]
    pub fn with_token_header(self, name: HeaderName) -> Self {
        self.map(|c| c.token_header = Some(name))
    }

    /// When an unchanged session's TTL is refreshed; [`Refresh::OnLoad`]
    /// by default.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::{Refresh, SessionLayer}};
    /// fn layer(store: Store) -> SessionLayer {
    ///     SessionLayer::new(store).with_refresh(Refresh::OnChange)
    /// }
    /// ```
    #[must_use]
    pub fn with_refresh(self, refresh: Refresh) -> Self {
        self.map(|c| c.refresh = refresh)
    }

    /// What a store failure does to the response;
    /// [`FailureMode::Closed`] by default.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::{Store, web::{FailureMode, SessionLayer}};
    /// fn layer(store: Store) -> SessionLayer {
    ///     SessionLayer::new(store).with_failure_mode(FailureMode::Open)
    /// }
    /// ```
    #[must_use]
    pub fn with_failure_mode(self, mode: FailureMode) -> Self {
        self.map(|c| c.failure = mode)
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(inner, self.store.clone(), Arc::clone(&self.config))
    }
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { store: _, config } = self;
        f.debug_struct("SessionLayer")
            .field("config", config)
            .finish_non_exhaustive()
    }
}
