//! `rels-session-demo`: serves the demo app until Ctrl-C or SIGTERM.
//!
//! Logs go to standard error (`RUST_LOG` filters them, `info` by
//! default); standard output gets one line, `listening on http://ADDR`,
//! once the server accepts connections.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use rels_session_demo::{Args, run};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "the demo stopped");
            ExitCode::FAILURE
        }
    }
}
