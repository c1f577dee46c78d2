//! Test support for rels-session: real Redis processes, the gem's fixtures
//! and a bridge to the Ruby gem.
//!
//! Every test that needs Redis gets its own server:
//!
//! - [`RedisServer`] runs a `redis-server` child process on a free loopback
//!   port in a temporary directory, and kills it when dropped (also when the
//!   test panics). It can stop and restart on the same port, count the
//!   commands it served, and load or dump keys in the fixture format.
//! - [`SentinelGroup`] runs a master and three Sentinels watching it; with
//!   a replica, it can fail over.
//! - [`RedisCluster`] runs a Redis Cluster of three masters, and can move
//!   slots between them.
//! - [`TlsServer`] runs a `redis-server` that speaks TLS, with a CA and
//!   certificates made for the test.
//! - [`acl_user`] creates a Redis ACL user with given rules.
//! - [`fixture_path`] and [`read_fixture`] find the shared data under
//!   `tests/fixtures/` at the workspace root.
//! - [`ruby_gem`] runs `tests/ruby/gem_session.rb`, which reads and writes
//!   sessions exactly as a Rails app running the `rels_session` gem does.
//!
//! Nothing here ever uses port 6379, so a Redis installed on the machine
//! (Debian starts one) is never touched.
//!
//! # Environment
//!
//! | variable | default | used for |
//! | --- | --- | --- |
//! | `RELS_TEST_REDIS_SERVER` | `redis-server` | [`RedisServer`] |
//! | `RELS_TEST_REDIS_SENTINEL` | `redis-sentinel`, else `redis-server --sentinel` | [`SentinelGroup`] |
//! | `RELS_TEST_REDIS_CLI` | `redis-cli` | [`RedisCluster`] |
//! | `RELS_TEST_OPENSSL` | `openssl` | [`TlsServer`] |
//! | `RELS_TEST_RUBY` | `ruby` | [`ruby_gem`] |
//!
//! A server binary given this way must be the server process itself (a
//! wrapper script has to `exec` it): readiness is checked against its pid.
//!
//! # Example
//!
//! ```
//! use rels_session_testkit::{RedisServer, fixture_path};
//!
//! let server = RedisServer::start();
//! server.load_dump(&serde_json::json!(fixture_path("gem_dump.json")));
//! server.reset_stats();
//!
//! // The code under test would connect to `server.url()` here.
//! let mut connection = server.connection();
//! let key = "rels:session:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
//! redis::cmd("MGET").arg(key).exec(&mut connection).unwrap();
//!
//! assert_eq!(server.command_calls()["mget"], 1);
//! ```

// A test-support crate reports broken test setups by panicking with a clear
// message: the test that called it then fails at the right place.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod acl;
mod cluster;
mod dump;
mod fixtures;
mod process;
mod ruby;
mod sentinel;
mod server;
mod tls;

pub use acl::acl_user;
pub use cluster::RedisCluster;
pub use fixtures::{fixture_path, read_fixture, workspace_root};
pub use ruby::ruby_gem;
pub use sentinel::SentinelGroup;
pub use server::RedisServer;
pub use tls::TlsServer;
