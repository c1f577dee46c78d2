//! What a failed load reports: every [`Problem`] at once, wrapped in a
//! [`ConfigError`] that names where the configuration came from.
//!
//! A load collects problems instead of stopping at the first, so that one
//! run of `config check` shows the user everything to fix.

use std::fmt;

/// One thing wrong with a configuration.
///
/// `path` says where: a field of the file
/// (`session_store.redis_options.url`), an environment variable
/// (`env RELS_SESSION__CONNECTION_POOL_OPTIONS__SIZE`), a load option
/// (`option namespace`), or the YAML location of a syntax error. Neither
/// part ever contains a password.
///
/// # Examples
///
/// ```
/// use rels_session::{LoadOptions, Settings};
///
/// let options = LoadOptions::new()
///     .with_env([("REDIS_URL", "redis://localhost:6379/0")])
///     .with_namespace("no spaces please");
/// let problems = Settings::check(&options);
/// assert_eq!(problems[0].path, "option namespace");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// Where the problem is.
    pub path: String,
    /// What is wrong, and when it helps, how to fix it.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Every problem found in one load, so the user fixes them all in one go.
///
/// Its `Display` is one line per problem,
/// `<source_name>: <path>: <message>`, lines joined by `'\n'`.
///
/// # Examples
///
/// ```
/// use rels_session::Settings;
///
/// let error = Settings::new("http://localhost", "").unwrap_err();
/// assert_eq!(error.problems.len(), 2);
/// assert!(error.to_string().starts_with("settings: url: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{}", lines(.source_name, .problems))]
#[non_exhaustive]
pub struct ConfigError {
    /// The file path, `environment` when there was no file, or `settings`
    /// for [`Settings::new`](crate::config::Settings::new).
    pub source_name: String,
    /// Every problem found; never empty.
    pub problems: Vec<Problem>,
}

impl ConfigError {
    pub(crate) fn new(source_name: impl Into<String>, problems: Vec<Problem>) -> Self {
        Self {
            source_name: source_name.into(),
            problems,
        }
    }
}

/// The problems of a [`ConfigError`], one per line.
fn lines<'a>(source_name: &'a str, problems: &'a [Problem]) -> Lines<'a> {
    Lines {
        source_name,
        problems,
    }
}

/// Renders the problems of a [`ConfigError`] one per line.
struct Lines<'a> {
    source_name: &'a str,
    problems: &'a [Problem],
}

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            let Problem { path, message } = problem;
            write!(f, "{}: {path}: {message}", self.source_name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_per_problem() {
        let error = ConfigError::new(
            "config/settings.yml",
            vec![
                Problem::new("session_store.redis_options.url", "is required"),
                Problem::new("env RELS_SESSION__SID_TYPE", "unknown sid_type"),
            ],
        );
        assert_eq!(
            error.to_string(),
            "config/settings.yml: session_store.redis_options.url: is required\n\
             config/settings.yml: env RELS_SESSION__SID_TYPE: unknown sid_type"
        );
    }
}
