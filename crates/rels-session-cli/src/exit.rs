//! How a run ends: its exit code and, when it failed, one line on stderr.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done |
//! | 1 | not found, or some of the sessions named were not found |
//! | 2 | usage or configuration error; a destructive command not confirmed; Redis refusing the request (a wrong password, an ACL rule, a key of the wrong type) |
//! | 3 | Redis unavailable |
//!
//! A failure's line never holds a session id, a payload or a password: the
//! library's messages don't, values the operator typed are never quoted,
//! and URLs are shown redacted.

use std::io::{self, Write};
use std::process::ExitCode;

use rels_session::{ConfigError, Error};

/// Exit code of a run that did what was asked.
const DONE: u8 = 0;
/// Exit code when something named was not found.
const NOT_FOUND: u8 = 1;
/// Exit code of a usage or configuration error, or a refusal to go on.
const USAGE: u8 = 2;
/// Exit code when Redis is unavailable.
const UNAVAILABLE: u8 = 3;

/// Why a command did not fully succeed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The command line is wrong in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// A destructive command was not confirmed.
    #[error("{0}")]
    NotConfirmed(String),
    /// The configuration has problems.
    #[error("{}", config_line(.0))]
    Config(ConfigError),
    /// `config check` found problems; they were already printed.
    #[error("{count} problem(s) in the configuration from {source_name}")]
    Check {
        /// How many problems.
        count: usize,
        /// The file, or `environment`.
        source_name: String,
    },
    /// Connecting to Redis failed.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The Redis URL, redacted.
        url: String,
        /// What the store said.
        source: Error,
    },
    /// A request to Redis failed.
    #[error("{0}")]
    Store(#[from] Error),
    /// What was named does not exist, or not all of it.
    #[error("{0}")]
    NotFound(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    /// Writing the results failed.
    #[error("cannot write the results: {0}")]
    Output(#[source] io::Error),
}

impl Failure {
    /// The exit code this failure ends the run with.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::NotConfirmed(_) | Self::Config(_) | Self::Check { .. } => USAGE,
            Self::Connect { source, .. } | Self::Store(source) => store_code(source),
            Self::NotFound(_) | Self::Runtime(_) | Self::Output(_) => NOT_FOUND,
        }
    }

    /// Whether stdout was closed by its reader (`rels-session ... | head`):
    /// not worth a message.
    fn is_closed_pipe(&self) -> bool {
        matches!(self, Self::Output(err) if err.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(err: serde_json::Error) -> Self {
        Self::Output(err.into())
    }
}

/// Unavailable is worth retrying later; a refusal (a wrong password, an
/// ACL rule) or a configuration error is not, until someone fixes it.
fn store_code(error: &Error) -> u8 {
    if error.is_unavailable() {
        UNAVAILABLE
    } else if error.is_config() || matches!(error, Error::Rejected(_)) {
        USAGE
    } else {
        NOT_FOUND
    }
}

/// The first problem of a configuration error, and how many more there
/// are: one line, however many problems.
fn config_line(error: &ConfigError) -> String {
    let source = &error.source_name;
    let Some(first) = error.problems.first() else {
        return format!("invalid configuration from {source}");
    };
    let path = if first.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", first.path)
    };
    let mut line = format!(
        "invalid configuration from {source}: {path}{}",
        first.message
    );
    let more = error.problems.len() - 1;
    if more > 0 {
        line.push_str(&format!(
            " (and {more} more; run `rels-session config check`)"
        ));
    }
    line
}

/// Ends a run: the exit code, and the error line when it failed.
pub(crate) fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(DONE),
        Err(failure) if failure.is_closed_pipe() => ExitCode::from(DONE),
        Err(failure) => {
            error_line(&failure.to_string());
            ExitCode::from(failure.code())
        }
    }
}

/// Ends a run whose command line clap rejected, or that asked for help.
pub(crate) fn usage(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;

    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Help goes to stdout, so it can be paged; failing to write it
            // is not worth a message.
            let _ = err.print();
            ExitCode::from(DONE)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(io::stderr().lock(), "{}", err.render());
            ExitCode::from(USAGE)
        }
        _ => {
            error_line(&one_line(&err.render().to_string()));
            ExitCode::from(USAGE)
        }
    }
}

/// Clap's multi-line message as one line: what is wrong and the hints,
/// without the usage block.
fn one_line(rendered: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more"))
        .filter(|line| !line.is_empty())
        .collect();
    let text = parts.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("{text} (see --help)")
}

/// Writes `error: <message>` to stderr, on one line.
fn error_line(message: &str) {
    let message = message.replace(['\n', '\r'], " ");
    // Nothing better can be done when stderr itself is gone.
    let _ = writeln!(io::stderr().lock(), "error: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: invalid value 'x' for '--stage <STAGE>'\n  \
                        [possible values: anonymous, authenticated, in_course]\n\n\
                        For more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "invalid value 'x' for '--stage <STAGE>' \
             [possible values: anonymous, authenticated, in_course] (see --help)"
        );
        let with_usage = "error: unexpected argument 'x' found\n\n\
                          Usage: rels-session stats [COMMAND]\n\n\
                          For more information, try '--help'.\n";
        assert_eq!(
            one_line(with_usage),
            "unexpected argument 'x' found (see --help)"
        );
    }

    #[test]
    fn a_config_error_is_one_line_with_a_count() {
        let options = rels_session::LoadOptions::new()
            .with_env([("RELS_SESSION__SID_TYPE", "maybe")])
            .with_namespace("a b");
        let Err(error) = rels_session::Settings::load_with(&options) else {
            unreachable!("the options are invalid");
        };
        let line = Failure::Config(error).to_string();
        assert!(line.starts_with("invalid configuration from environment: "));
        assert!(
            line.ends_with("more; run `rels-session config check`)"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(Failure::Usage(String::new()).code(), 2);
        assert_eq!(Failure::NotConfirmed(String::new()).code(), 2);
        assert_eq!(Failure::NotFound(String::new()).code(), 1);
        let check = Failure::Check {
            count: 1,
            source_name: "f".into(),
        };
        assert_eq!(check.code(), 2);
    }
}
