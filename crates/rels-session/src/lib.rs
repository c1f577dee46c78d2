//! Web sessions in Redis, shared with Rails applications that run the
//! `rels_session` gem, with the per-user view the gem keeps: who is
//! signed in where.
//!
//! A Rust service using this crate and a Rails app using the gem point at
//! the same Redis and read and write each other's sessions byte for byte:
//! same keys, same JSON, same TTLs. A visitor signed in on one is signed
//! in on the other.
//!
//! # Terms
//!
//! These words mean one thing each, in the types, the docs and the logs.
//!
//! - **public id**: the secret a client holds, the session cookie's value:
//!   32 lowercase hex characters ([`PublicId`]).
//! - **private id**: `"2::"` and the SHA-256 of the public id; the key the
//!   session is stored under ([`PrivateId`]).
//! - **record**: a session's data, the JSON object stored in Redis
//!   ([`Record`]).
//! - **session**: a public id with its record, as a request sees it
//!   ([`Session`]).
//! - **store**: where sessions live: Redis under the gem's key layout
//!   ([`Store`]).
//! - **user index**: the set of a user's public ids, kept per user uuid.
//! - **handle**: the name of a session shown to people; derived from the
//!   private id, useless as a cookie or a key ([`Handle`]).
//! - **stage**: how far a session got: anonymous, authenticated, or in a
//!   course.
//!
//! # Layout
//!
//! - [`id`]: public ids, private ids and handles.
//! - [`record`]: the record and its JSON codec.
//! - `session`: a session and its life cycle.
//! - [`config`]: settings from a Rails `settings.yml`, the environment,
//!   or code.
//! - `store`: load, save, delete and look up sessions; `scan`: list them;
//!   `stream`: read them in batches, by stage.
//! - [`stage`]: how far a session got (anonymous, authenticated, in a
//!   course).
//! - [`meta`]: the metadata recorded at sign-in, read leniently and written
//!   as the gem does.
//! - [`device`]: browser, OS and device from the User-Agent.
//! - `client_ip`: the client address behind trusted proxies.
//! - `user`: per-user sessions ([`Users`]): sign-in, listing, revoking,
//!   activity, counters.
//! - `web` (feature `axum`): the tower layer and the axum extractor.
//! - `connection`, `backend`, `keys`, `flag` (private): the Redis client
//!   behind a deadline, retries and a circuit breaker; the primitives the
//!   session logic is written against, on Redis or in memory; the gem's key
//!   layout; the gem's flag key.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `tls` | yes | `rediss://` URLs, with rustls |
//! | `axum` | yes | `web`: a tower layer and an axum extractor for sessions in handlers |
//!
//! # Example
//!
//! ```no_run
//! use rels_session::{Saved, Settings, Store};
//!
//! # async fn demo(cookie: Option<&str>) -> Result<(), rels_session::Error> {
//! let settings = Settings::load("config/settings.yml")?;
//! let store = Store::connect(&settings).await?;
//!
//! // The cookie's value, if the request had one: anything that is not a
//! // well-formed public id simply means "no session".
//! let mut session = store.load_session(cookie).await?;
//! let visits: u64 = session.record().get("visits")?.unwrap_or(0);
//! session.record_mut().insert("visits", &(visits + 1))?;
//!
//! if store.save(&mut session).await? == Saved::Gone {
//!     // Revoked elsewhere while this request ran: treat as signed out.
//! }
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod client_ip;
pub mod config;
mod connection;
pub mod device;
mod error;
mod flag;
pub mod id;
mod keys;
pub mod meta;
pub mod record;
mod scan;
mod session;
pub mod stage;
mod store;
mod stream;
mod user;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod web;

pub use client_ip::TrustedProxies;
pub use config::{
    ConfigError, LoadOptions, Namespace, PoolSettings, Problem, RedisSettings, RedisUrl, Secret,
    Serializer, Settings, SidType, Topology,
};
pub use device::Device;
pub use error::{BackendError, Error};
pub use id::{Handle, PrivateId, PublicId};
pub use meta::{Meta, MetaProblem, MetaRead, SessionKeyType};
pub use record::{Record, RecordError};
pub use scan::SessionRef;
pub use session::Session;
pub use stage::{Stage, UnknownStage};
pub use store::{Lookup, Saved, Store};
pub use stream::StreamedSession;
pub use user::{InvalidUserId, Revoked, SignIn, SignInRequest, Totals, UserId, UserSession, Users};

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
