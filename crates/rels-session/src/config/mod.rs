//! Configuration: everything the store needs to know, as [`Settings`].
//!
//! Settings come from three places, each beating the one before it:
//!
//! 1. a Rails `settings.yml` file, of which only the `session_store`
//!    section is read (SPEC 1.7);
//! 2. the environment: `REDIS_URL`, and one `RELS_SESSION__<SECTION>__<KEY>`
//!    variable per setting, such as `RELS_SESSION__REDIS_OPTIONS__NAMESPACE`;
//! 3. [`LoadOptions`] given by a program, typically from command-line flags.
//!
//! A load reports every problem it finds at once in a [`ConfigError`]. This
//! module does not connect to Redis: a valid configuration may still name a
//! server that is down.
//!
//! Layout: `url` (with `authority`) reads Redis URLs; `namespace` and
//! `secret` hold the two checked value types, `problem` the errors and
//! `options` the load options. A load (`load`) has `yaml` and `env` turn
//! the file and the environment into raw values of the settings listed in
//! `fields`, then `build` checks each with `convert` and assembles them.

mod authority;
mod build;
mod convert;
mod env;
mod fields;
mod load;
mod namespace;
mod options;
mod problem;
mod secret;
mod url;
mod yaml;

use std::{num::NonZeroU32, path::PathBuf, time::Duration};

pub use self::{
    namespace::Namespace,
    options::LoadOptions,
    problem::{ConfigError, Problem},
    secret::Secret,
    url::{RedisUrl, Topology},
};

/// How long a session lives without being written: 14 days (SPEC 1.2).
const DEFAULT_EXPIRES_AFTER: Duration = Duration::from_secs(1_209_600);

/// The `COUNT` of each `SCAN`, as in the gem.
const DEFAULT_SCAN_COUNT: NonZeroU32 = NonZeroU32::new(50).expect("50 is not zero");

/// Default of [`RedisSettings::connect_timeout`], as in the gem.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Default of [`RedisSettings::read_timeout`], as in the gem.
const READ_TIMEOUT: Duration = Duration::from_secs(1);

/// Default of [`RedisSettings::write_timeout`], as in the gem.
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// Default of [`RedisSettings::reconnect_attempts`], as in the gem.
const RECONNECT_ATTEMPTS: u32 = 1;

/// Default of [`RedisSettings::request_timeout`]: about what the gem's
/// three retries with backoff and 1 s timeouts can take (SPEC 1.7).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool, as in the gem.
const DEFAULT_POOL_SIZE: NonZeroU32 = NonZeroU32::new(20).expect("20 is not zero");

/// Everything the store needs to know. Built by loading a file, from the
/// environment, or in code.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use rels_session::{Settings, SidType};
///
/// let settings = Settings::new("redis://localhost:6379/4", "rels:session")?
///     .with_sid_type(SidType::PrivateId)
///     .with_expires_after(Duration::from_secs(3600));
/// assert_eq!(settings.redis.namespace.as_str(), "rels:session");
/// assert_eq!(settings.pool.size.get(), 20);
/// # Ok::<(), rels_session::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// The application's name (`Turtle`, `Rex`...), for logs; optional.
    pub application_name: Option<String>,
    /// Where Redis is and how to talk to it.
    pub redis: RedisSettings,
    /// The pool of Redis connections.
    pub pool: PoolSettings,
    /// Which keys a session lives under (SPEC 1.3).
    pub sid_type: SidType,
    /// Time to live of a session, reset on every write; 14 days by
    /// default. Redis counts it in whole seconds.
    pub expires_after: Duration,
    /// The `COUNT` hint of each `SCAN`, from `RELS_SESSION_SCAN_COUNT`;
    /// 50 by default.
    pub scan_count: NonZeroU32,
    /// How session records are written; only JSON.
    pub serializer: Serializer,
}

/// Where Redis is, and how long to wait for it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let settings = rels_session::Settings::new("redis://localhost", "app")?;
/// assert_eq!(settings.redis.connect_timeout, Duration::from_secs(20));
/// assert_eq!(settings.redis.reconnect_attempts, 1);
/// # Ok::<(), rels_session::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RedisSettings {
    /// The server, Sentinels or Cluster, and the credentials.
    pub url: RedisUrl,
    /// Prefix of every key; required.
    pub namespace: Namespace,
    /// How long to wait for a connection; 20 s by default.
    pub connect_timeout: Duration,
    /// How long to wait for a reply; 1 s by default.
    pub read_timeout: Duration,
    /// How long to wait to send a command; 1 s by default.
    pub write_timeout: Duration,
    /// How many times the client reconnects by itself; 1 by default.
    pub reconnect_attempts: u32,
    /// Overall deadline of one store request, retries included; 10 s by
    /// default. The gem has no such setting.
    pub request_timeout: Duration,
    /// CA certificate for TLS, from `redis_options.ssl_params.ca_file`;
    /// the system roots when absent.
    pub ca_file: Option<PathBuf>,
    /// User name for the Sentinels themselves, not for the master.
    pub sentinel_username: Option<String>,
    /// Password for the Sentinels themselves, not for the master.
    pub sentinel_password: Option<Secret>,
}

/// `connection_pool_options`: the gem's connection pool, and how many
/// requests a Rust process may have in flight.
///
/// The gem opens `size` connections and sends one request at a time on
/// each. A Rust process sends every request on one multiplexed
/// connection, which pipelines them, so `size` does not limit it: capping
/// requests in flight at the gem's 20 would hold back a busy async
/// service (see BENCHMARKS.md). A cap is there for who wants one:
/// [`max_in_flight`](Self::max_in_flight), with `timeout` as the longest
/// wait for a free slot. Without a cap, every request is still bounded by
/// `redis_options.request_timeout`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let pool = rels_session::PoolSettings::default();
/// assert_eq!(pool.size.get(), 20);
/// assert_eq!(pool.timeout, Duration::from_secs(5));
/// assert_eq!(pool.max_in_flight, None);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PoolSettings {
    /// The gem's number of connections; 20 by default. Read so that a
    /// Rails `settings.yml` loads as it is; it limits nothing here.
    pub size: NonZeroU32,
    /// How long a request waits for a free slot when
    /// [`max_in_flight`](Self::max_in_flight) is set; 5 s by default.
    pub timeout: Duration,
    /// Ours: most requests in flight at once; none by default (no cap).
    pub max_in_flight: Option<NonZeroU32>,
}

/// Which keys a session lives under (SPEC 1.3). In YAML: `both`,
/// `private_id` or `public_id`.
///
/// # Examples
///
/// ```
/// assert_eq!(rels_session::SidType::default(), rels_session::SidType::Both);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SidType {
    /// Under the private and the public id, as the gem does by default.
    #[default]
    Both,
    /// Only under the private id (`NS:2::<sha256>`).
    PrivateId,
    /// Only under the public id (`NS:<public id>`).
    PublicId,
}

/// How session records are encoded. The gem's `oj` writes the same JSON,
/// so JSON is all there is.
///
/// # Examples
///
/// ```
/// let settings = rels_session::Settings::new("redis://localhost", "app")?;
/// assert_eq!(settings.serializer, rels_session::Serializer::Json);
/// # Ok::<(), rels_session::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Serializer {
    /// JSON, as in SPEC 1.4.
    #[default]
    Json,
}

impl Settings {
    /// Settings for `url` and `namespace`, with defaults for the rest.
    ///
    /// Reads no file and no environment variable, not even
    /// `RELS_SESSION_SCAN_COUNT`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] from source `settings`, with a problem at path
    /// `url` or `namespace` for each argument that is not valid.
    ///
    /// # Examples
    ///
    /// ```
    /// let settings = rels_session::Settings::new("redis://localhost/4", "app")?;
    /// assert_eq!(settings.expires_after.as_secs(), 1_209_600);
    /// assert!(rels_session::Settings::new("redis://localhost", "a b").is_err());
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    pub fn new(url: &str, namespace: &str) -> Result<Self, ConfigError> {
        let url = RedisUrl::parse(url).map_err(|why| Problem::new("url", why));
        let namespace = Namespace::parse(namespace).map_err(|why| Problem::new("namespace", why));
        match (url, namespace) {
            (Ok(url), Ok(namespace)) => Ok(Self::defaults(RedisSettings::new(url, namespace))),
            (url, namespace) => {
                let problems = [url.err(), namespace.err()].into_iter().flatten();
                Err(ConfigError::new("settings", problems.collect()))
            }
        }
    }

    /// Loads the file at `path`, then applies the process environment.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem in the file and the
    /// environment, or the one reason the file cannot be read.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let settings = rels_session::Settings::load("config/settings.yml")?;
    /// println!("sessions in {}", settings.redis.url.redacted());
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        Self::load_with(&LoadOptions::new().with_file(path.as_ref()))
    }

    /// Loads from the process environment alone, with no file.
    ///
    /// `REDIS_URL` (or `RELS_SESSION__REDIS_OPTIONS__URL`) is then
    /// required. The namespace defaults to the gem's, `rels:session`, in
    /// this mode only: a file must name its namespace.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] from source `environment` with every problem.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let settings = rels_session::Settings::from_env()?;
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load_with(&LoadOptions::new())
    }

    /// Loads as `options` say: the file if any, then the environment, then
    /// the settings given in `options`, each beating the one before.
    ///
    /// Without a file the namespace defaults to `rels:session`, as in
    /// [`Settings::from_env`].
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem found. Its source is the file's
    /// path, or `environment` when there is no file.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{LoadOptions, Settings};
    ///
    /// let options = LoadOptions::new()
    ///     .with_env([("REDIS_URL", "redis://cache:6379/2")])
    ///     .with_namespace("turtle:sessions");
    /// let settings = Settings::load_with(&options)?;
    /// assert_eq!(settings.redis.namespace.as_str(), "turtle:sessions");
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    pub fn load_with(options: &LoadOptions) -> Result<Self, ConfigError> {
        load::load(options)
    }

    /// Every problem that [`Settings::load_with`] would report; empty when
    /// the configuration is valid. For a `config check` command.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{LoadOptions, Settings};
    ///
    /// let options = LoadOptions::new().with_env([("REDIS_URL", "redis://h")]);
    /// assert!(Settings::check(&options).is_empty());
    /// let no_url = LoadOptions::new().with_env([("A", "b")]);
    /// let problems = Settings::check(&no_url);
    /// assert_eq!(problems[0].path, "session_store.redis_options.url");
    /// ```
    pub fn check(options: &LoadOptions) -> Vec<Problem> {
        match Self::load_with(options) {
            Ok(_) => Vec::new(),
            Err(error) => error.problems,
        }
    }

    /// These settings with another [`SidType`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Settings, SidType};
    ///
    /// let settings = Settings::new("redis://h", "app")?
    ///     .with_sid_type(SidType::PublicId);
    /// assert_eq!(settings.sid_type, SidType::PublicId);
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_sid_type(self, sid_type: SidType) -> Self {
        Self { sid_type, ..self }
    }

    /// These settings with another session time to live. Redis counts it
    /// in whole seconds and rejects zero, so give at least one second.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let day = Duration::from_secs(86_400);
    /// let settings = rels_session::Settings::new("redis://h", "app")?
    ///     .with_expires_after(day);
    /// assert_eq!(settings.expires_after, day);
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_expires_after(self, expires_after: Duration) -> Self {
        Self {
            expires_after,
            ..self
        }
    }

    /// These settings with another `SCAN` `COUNT` hint.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroU32;
    ///
    /// let count = NonZeroU32::new(500).expect("not zero");
    /// let settings = rels_session::Settings::new("redis://h", "app")?
    ///     .with_scan_count(count);
    /// assert_eq!(settings.scan_count.get(), 500);
    /// # Ok::<(), rels_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_scan_count(self, scan_count: NonZeroU32) -> Self {
        Self { scan_count, ..self }
    }

    /// Default settings around `redis`.
    fn defaults(redis: RedisSettings) -> Self {
        Self {
            application_name: None,
            redis,
            pool: PoolSettings::default(),
            sid_type: SidType::default(),
            expires_after: DEFAULT_EXPIRES_AFTER,
            scan_count: DEFAULT_SCAN_COUNT,
            serializer: Serializer::default(),
        }
    }
}

impl RedisSettings {
    /// Default settings for `url` and `namespace`.
    fn new(url: RedisUrl, namespace: Namespace) -> Self {
        Self {
            url,
            namespace,
            connect_timeout: CONNECT_TIMEOUT,
            read_timeout: READ_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            reconnect_attempts: RECONNECT_ATTEMPTS,
            request_timeout: REQUEST_TIMEOUT,
            ca_file: None,
            sentinel_username: None,
            sentinel_password: None,
        }
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            size: DEFAULT_POOL_SIZE,
            timeout: Duration::from_secs(5),
            max_in_flight: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_fills_in_the_defaults() {
        let settings = Settings::new("redis://localhost:6379/4", "rels:session").expect("valid");
        let redis = &settings.redis;
        assert_eq!(redis.url.redacted(), "redis://localhost:6379/4");
        assert_eq!(redis.connect_timeout, Duration::from_secs(20));
        assert_eq!(redis.read_timeout, Duration::from_secs(1));
        assert_eq!(redis.write_timeout, Duration::from_secs(1));
        assert_eq!(redis.reconnect_attempts, 1);
        assert_eq!(redis.request_timeout, Duration::from_secs(10));
        assert_eq!((&redis.ca_file, &redis.sentinel_username), (&None, &None));
        assert_eq!(settings.pool.size.get(), 20);
        assert_eq!(settings.pool.timeout, Duration::from_secs(5));
        assert_eq!(settings.sid_type, SidType::Both);
        assert_eq!(settings.expires_after, Duration::from_secs(1_209_600));
        assert_eq!(settings.scan_count.get(), 50);
        assert_eq!(settings.serializer, Serializer::Json);
        assert_eq!(settings.application_name, None);
    }

    #[test]
    fn new_reports_both_bad_arguments() {
        let error = Settings::new("http://u:s3cr3t@h", "").expect_err("invalid");
        let paths: Vec<&str> = error.problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["url", "namespace"]);
        assert_eq!(error.source_name, "settings");
        assert!(!error.to_string().contains("s3cr3t"));
    }

    #[test]
    fn builders_replace_one_field() {
        let count = NonZeroU32::new(7).expect("not zero");
        let settings = Settings::new("redis://h", "app")
            .expect("valid")
            .with_sid_type(SidType::PrivateId)
            .with_expires_after(Duration::from_secs(60))
            .with_scan_count(count);
        assert_eq!(settings.sid_type, SidType::PrivateId);
        assert_eq!(settings.expires_after, Duration::from_secs(60));
        assert_eq!(settings.scan_count, count);
    }

    #[test]
    fn debug_of_settings_hides_passwords() {
        let mut settings = Settings::new("redis://u:s3cr3t@h", "app").expect("valid");
        settings.redis.sentinel_password = Some(Secret::new("s3ntin3l"));
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("s3ntin3l"),
            "{debug}"
        );
    }
}
