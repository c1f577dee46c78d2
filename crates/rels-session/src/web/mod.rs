//! Sessions in web handlers: a tower layer and an axum extractor that let
//! a Rust handler read and write the session as a Rails controller does,
//! sharing the `rels_session` cookie with the gem's Rails apps.
//!
//! - [`SessionLayer`] wraps a router. Each request gets a
//!   [`RequestSession`], which the handler takes as an argument.
//! - The session is loaded on the handler's first access, in one round
//!   trip; a handler that never touches it sends no Redis command and
//!   gets no cookie.
//! - After the handler, a changed session is saved in one round trip and
//!   the cookie is set when the session was created or moved to a new id.
//!   A session emptied, revoked or signed out gets a removal cookie. A
//!   session revoked while the request ran stays revoked.
//! - An unchanged session's TTL is refreshed as [`Refresh`] says.
//! - When Redis fails, [`FailureMode`] decides: `503` by default, or an
//!   empty session that is not saved.
//! - Devise's sign-in marker reads and writes as a [`WardenUser`]; a
//!   handler records a sign-in or a user's activity on its session with
//!   [`RequestSession::sign_in`] and [`RequestSession::touch_activity`],
//!   taking the client's details as a [`SignInRequest`](crate::SignInRequest)
//!   extractor.
//!
//! The cookie's value is the public id as the gem writes it, so a visitor
//! signed in on a Rails app is signed in on the Rust service and back.
//! Only a well-formed public id is accepted from a client; anything else,
//! such as a private id, means no session.
//!
//! Logs go to the target `rels_session::web` and never hold a session
//! id, a cookie value or session data.
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::{get, post}};
//! use rels_session::web::{RequestSession, SessionError, SessionLayer};
//! use rels_session::{Settings, Store};
//!
//! async fn home(session: RequestSession) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0);
//!     session.insert("visits", &(visits + 1)).await?;
//!     Ok(format!("visit number {}", visits + 1))
//! }
//!
//! async fn sign_in(session: RequestSession) -> Result<&'static str, SessionError> {
//!     // A fresh id at sign-in, so an id planted before it is worthless.
//!     session.cycle_id().await?;
//!     session.insert("warden.user.user.key", &([7], "salt")).await?;
//!     Ok("signed in")
//! }
//!
//! async fn sign_out(session: RequestSession) -> Result<&'static str, SessionError> {
//!     session.clear().await?;
//!     Ok("signed out")
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::load("config/settings.yml")?;
//! let store = Store::connect(&settings).await?;
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .route("/sign_in", post(sign_in))
//!     .route("/sign_out", post(sign_out))
//!     .layer(SessionLayer::new(store));
//! // Serve `app` with `axum::serve`, or any server that runs tower
//! // services.
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

mod commit;
mod config;
mod cookie;
mod error;
mod incoming;
mod layer;
mod request;
mod service;
mod sign_in;
mod warden;

pub use self::config::{FailureMode, Refresh};
pub use self::cookie::InvalidCookieSetting;
pub use self::error::{MissingSessionLayer, SessionError};
pub use self::layer::SessionLayer;
pub use self::request::RequestSession;
pub use self::service::{ResponseFuture, SessionService};
pub use self::sign_in::UsersError;
pub use self::warden::{WARDEN_USER_KEY, WardenUser};
pub use ::cookie::SameSite;
