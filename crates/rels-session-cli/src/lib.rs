//! The `rels-session` admin CLI: inspect and manage the sessions and users
//! that Rails apps running the `rels_session` gem and Rust services built on
//! [`rels_session`] share in Redis, without a Rails console.
//!
//! The binary is a thin `main` over [`run`]. The command names, flags, JSON
//! shapes and exit codes are a contract that operators' scripts rely on
//! (issue 5); the README's "Admin CLI" section lists them.
//!
//! # Layout
//!
//! - `cli`: the clap types; their doc comments are the `--help` texts.
//! - `commands`: one file per command group (`config`, `sessions`,
//!   `users`, `stats`) and `mod.rs`, which dispatches.
//! - `settings`: loading the configuration and connecting to Redis.
//! - `target`: reading what the operator names (public ids, handles,
//!   user uuids) without ever echoing it.
//! - `find`: finding sessions by handle with a scan.
//! - `mask`: hiding the public id in a stored payload.
//! - `json`: the JSON documents, field by field.
//! - `output`: tables, JSON and the progress indicator.
//! - `confirm`: asking before destructive commands.
//! - `exit`: failures, exit codes and the one-line error messages.
//!
//! # Exit codes
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done |
//! | 1 | not found, or some of the sessions named were not found |
//! | 2 | usage or configuration error; a destructive command not confirmed; Redis refusing the request (a wrong password, an ACL rule, a key of the wrong type) |
//! | 3 | Redis unavailable |

mod cli;
mod commands;
mod confirm;
mod exit;
mod find;
mod json;
mod mask;
mod output;
mod settings;
mod target;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::exit::Failure;
use crate::output::Output;

/// Runs the CLI with `args` (the program name first, as in
/// [`std::env::args_os`]) and returns its exit code. Results go to stdout;
/// errors go to stderr as one line.
///
/// # Examples
///
/// ```no_run
/// let code = rels_session_cli::run(["rels-session", "stats", "--json"]);
/// ```
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    report_panics_in_one_line();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return exit::usage(&err),
    };
    let output = Output::new(cli.global.json);
    let result = runtime().and_then(|rt| rt.block_on(commands::execute(&cli, &output)));
    exit::finish(result)
}

/// A panic is a bug; it is reported as one line with its place in the
/// code, without its message (which could quote data) or a backtrace.
fn report_panics_in_one_line() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let line = format!("error: internal error{place}; this is a bug in rels-session");
        // Nothing better can be done when stderr itself is gone.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }));
}

/// A runtime on this thread: the CLI does one thing at a time.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)
}
