//! The commands, one file per group, and the dispatch from the parsed
//! command line.
//!
//! Every command reads its arguments and asks for confirmation before it
//! connects to Redis, so a usage error or a refusal changes nothing and
//! needs no server.

mod config;
mod sessions;
mod stats;
mod users;

use crate::cli::{Cli, Command};
use crate::exit::Failure;
use crate::output::Output;

/// Runs the command `cli` names.
pub(crate) async fn execute(cli: &Cli, output: &Output) -> Result<(), Failure> {
    let global = &cli.global;
    match &cli.command {
        Command::Config { command } => config::execute(global, command, output),
        Command::Sessions { command } => sessions::execute(global, command, output).await,
        Command::Users { command } => users::execute_users(global, command, output).await,
        Command::User { command } => users::execute_user(global, command, output).await,
        Command::Stats { command } => stats::execute(global, command.as_ref(), output).await,
    }
}
