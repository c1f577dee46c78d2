//! The rels-session demo: a small web app that signs people in, lists the
//! devices they are signed in on and revokes them, with sessions shared
//! with the Rails apps that run the `rels_session` gem.
//!
//! Run it with `cargo run -p rels-session-demo` and open
//! <http://127.0.0.1:3000>. With `REDIS_URL` (or `--config FILE`) it keeps
//! sessions in Redis, where the Rails apps see them; without, in memory.
//!
//! # Layout
//!
//! - `cli`: the command line; `store`: which store the flags choose;
//!   `server`: listening, serving and shutting down on a signal.
//! - `routes`: every route and the session layer around them; `state`:
//!   what handlers share.
//! - `user`: the demo's users (any name, no password, a UUIDv5 each);
//!   `visitor`: who the request's session belongs to; `csrf`: the token
//!   every form carries.
//! - `pages`: the HTML pages and their forms; `api`: the JSON for
//!   scripts; `device`: one device as both show it; `error`: what a
//!   failed request answers.
//!
//! The routes and JSON are a contract that scripts rely on: see the
//! README and [`app`].
//!
//! HTML is written with `maud`, which escapes every interpolated value by
//! default: a name typed at sign-in can never become markup.

mod api;
mod cli;
mod csrf;
mod device;
mod error;
mod pages;
mod routes;
mod server;
mod state;
mod store;
mod user;
mod visitor;

pub use cli::Args;
pub use routes::app;
pub use server::{RunError, run, serve};
pub use store::open_store;
pub use user::{USER_NAMESPACE, user_uuid};
