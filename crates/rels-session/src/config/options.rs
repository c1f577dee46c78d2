//! [`LoadOptions`]: what a program tells [`Settings::load_with`] about
//! where to look, and the settings it gives itself.
//!
//! [`Settings::load_with`]: super::Settings::load_with

use std::{fmt, path::PathBuf};

use super::RedisUrl;

/// Where to load settings from, and settings that beat both the file and
/// the environment (typically command-line flags).
///
/// Problems with `redis_url` and `namespace` have the paths
/// `option redis_url` and `option namespace`.
///
/// Its `Debug` shows the names of the variables in `env` but not their
/// values, and `redis_url` without its password.
///
/// # Examples
///
/// ```
/// use rels_session::{LoadOptions, Settings};
///
/// let options = LoadOptions::new()
///     .with_env([("REDIS_URL", "redis://a")])
///     .with_redis_url("redis://b");
/// let settings = Settings::load_with(&options)?;
/// assert_eq!(settings.redis.url.redacted(), "redis://b:6379/0");
/// # Ok::<(), rels_session::ConfigError>(())
/// ```
#[derive(Default, Clone)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The settings file, if any. Without one, the namespace defaults to
    /// `rels:session`.
    pub file: Option<PathBuf>,
    /// The environment: `None` for the process's, or exactly these
    /// variables (for tests).
    pub env: Option<Vec<(String, String)>>,
    /// A Redis URL that beats the environment and the file.
    pub redis_url: Option<String>,
    /// A namespace that beats the environment and the file.
    pub namespace: Option<String>,
}

impl LoadOptions {
    /// Options to load from the process environment alone.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = rels_session::LoadOptions::new();
    /// assert!(options.file.is_none() && options.env.is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// These options with a settings file.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::LoadOptions;
    ///
    /// let options = LoadOptions::new().with_file("config/settings.yml");
    /// assert!(options.file.is_some());
    /// ```
    #[must_use]
    pub fn with_file(self, file: impl Into<PathBuf>) -> Self {
        let file = Some(file.into());
        Self { file, ..self }
    }

    /// These options with exactly these environment variables instead of
    /// the process's.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::LoadOptions;
    ///
    /// let options = LoadOptions::new().with_env([("REDIS_URL", "redis://h")]);
    /// assert_eq!(options.env.map(|vars| vars.len()), Some(1));
    /// ```
    #[must_use]
    pub fn with_env<K, V>(self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.into()));
        let env = Some(vars.collect());
        Self { env, ..self }
    }

    /// These options with a Redis URL that beats the environment and the
    /// file.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::LoadOptions;
    ///
    /// let options = LoadOptions::new().with_redis_url("redis://h/2");
    /// assert_eq!(options.redis_url.as_deref(), Some("redis://h/2"));
    /// ```
    #[must_use]
    pub fn with_redis_url(self, redis_url: impl Into<String>) -> Self {
        let redis_url = Some(redis_url.into());
        Self { redis_url, ..self }
    }

    /// These options with a namespace that beats the environment and the
    /// file.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = rels_session::LoadOptions::new().with_namespace("turtle");
    /// assert_eq!(options.namespace.as_deref(), Some("turtle"));
    /// ```
    #[must_use]
    pub fn with_namespace(self, namespace: impl Into<String>) -> Self {
        let namespace = Some(namespace.into());
        Self { namespace, ..self }
    }
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment and the URL may hold passwords: destructured so
        // that a new field cannot be added without deciding about it.
        let Self {
            file,
            env,
            redis_url,
            namespace,
        } = self;
        let env: Option<Vec<&str>> = env
            .as_ref()
            .map(|vars| vars.iter().map(|(name, _)| name.as_str()).collect());
        let redis_url = redis_url.as_deref().map(|url| match RedisUrl::parse(url) {
            Ok(url) => url.redacted(),
            Err(_) => "<invalid, redacted>".to_owned(),
        });
        f.debug_struct("LoadOptions")
            .field("file", file)
            .field("env", &env)
            .field("redis_url", &redis_url)
            .field("namespace", namespace)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_passwords_in_env_and_url() {
        let options = LoadOptions::new()
            .with_env([("REDIS_URL", "redis://:s3cr3t@h")])
            .with_redis_url("redis://u:s3cr3t@h");
        let debug = format!("{options:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("REDIS_URL") && debug.contains("redis://u:***@h:6379/0"));
        let invalid = LoadOptions::new().with_redis_url("u:s3cr3t@h");
        assert!(!format!("{invalid:?}").contains("s3cr3t"));
    }
}
