//! The command line, as clap types. Each `///` comment is the help text of
//! its command or argument, and each command shows an example in its
//! `--help`.
//!
//! Session ids, handles and user uuids are taken as plain text here and
//! read in `target`: clap quotes a value it rejects, and a mistyped public
//! id must never be echoed.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use rels_session::Stage;

/// What the top-level `--help` shows after the options.
const AFTER_HELP: &str = "\
Examples:
  rels-session sessions list --stage authenticated --limit 20
  rels-session --config config/settings.yml --json stats

Settings come from the session_store section of --config, then the
environment (REDIS_URL, RELS_SESSION__*), then --redis-url and --namespace;
each beats the one before.

Exit codes: 0 done; 1 not found, or some of the sessions named were not
found; 2 usage or configuration error, a destructive command not
confirmed, or Redis refusing the request (a wrong password, an ACL rule, a
key of the wrong type); 3 Redis unavailable.";

/// Inspect and manage the web sessions and users that Rails apps running
/// the rels_session gem share in Redis.
#[derive(Parser)]
#[command(name = "rels-session", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub(crate) global: Global,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options that every command takes, before or after its name.
///
/// No `Debug`: the Redis URL may hold a password.
#[derive(Args)]
pub(crate) struct Global {
    /// Rails settings file whose session_store section to read [default:
    /// config/settings.yml when it exists]
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,

    /// Redis URL; beats REDIS_URL, which beats the file
    #[arg(long, value_name = "URL", global = true)]
    pub(crate) redis_url: Option<String>,

    /// Key namespace, such as rels:session; beats the environment and the
    /// file
    #[arg(long, value_name = "NS", global = true)]
    pub(crate) namespace: Option<String>,

    /// Print one JSON document on stdout instead of a table
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// The command groups.
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Check the configuration without connecting to Redis
    #[command(after_help = "Example:\n  rels-session config check config/settings.yml")]
    Config {
        /// The configuration command.
        #[command(subcommand)]
        command: ConfigCommand,
    },

    /// Count, list, show and delete stored sessions
    #[command(after_help = "Example:\n  rels-session sessions count --stage in_course")]
    Sessions {
        /// The sessions command.
        #[command(subcommand)]
        command: SessionsCommand,
    },

    /// List the users who have sessions
    #[command(after_help = "Example:\n  rels-session users list")]
    Users {
        /// The users command.
        #[command(subcommand)]
        command: UsersCommand,
    },

    /// List and revoke the sessions of one user
    #[command(
        after_help = "Example:\n  rels-session user sessions 11111111-2222-4333-8444-555555555555"
    )]
    User {
        /// The user command.
        #[command(subcommand)]
        command: UserCommand,
    },

    /// Show the session counter; `stats reconcile` recounts it
    #[command(after_help = "Examples:\n  rels-session stats\n  rels-session stats reconcile")]
    Stats {
        /// `reconcile`, or nothing to show the counter.
        #[command(subcommand)]
        command: Option<StatsCommand>,
    },
}

/// `rels-session config ...`
#[derive(Subcommand)]
pub(crate) enum ConfigCommand {
    /// Report every problem of the configuration with its field path
    ///
    /// Reads the session_store section of the file (other sections of a
    /// Rails settings file are ignored), then the environment and the
    /// --redis-url and --namespace options, as every other command does.
    /// Exits with 2 when there is a problem.
    #[command(after_help = "Example:\n  rels-session config check config/settings.yml")]
    Check {
        /// File to check [default: --config, else config/settings.yml when
        /// it exists, else the environment alone]
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

/// `rels-session sessions ...`
#[derive(Subcommand)]
pub(crate) enum SessionsCommand {
    /// Count the stored sessions, or those of one stage
    #[command(after_help = "Example:\n  rels-session sessions count --stage authenticated")]
    Count {
        /// Count only sessions of this stage
        #[arg(long, value_name = "STAGE", value_parser = stage_parser())]
        stage: Option<Stage>,
    },

    /// List stored sessions with their handle, stage, time to live and
    /// metadata
    ///
    /// Sessions come in the order a scan finds them. The public id in the
    /// metadata is always masked.
    #[command(after_help = "Example:\n  rels-session sessions list --stage in_course --limit 50")]
    List {
        /// List only sessions of this stage
        #[arg(long, value_name = "STAGE", value_parser = stage_parser())]
        stage: Option<Stage>,
        /// List at most this many sessions
        #[arg(long, value_name = "N", value_parser = at_least_one)]
        limit: Option<u64>,
    },

    /// Show one session's stored payload, its stage and time to live
    ///
    /// The session is found by scanning every session for its handle (a
    /// public id is turned into its handle first), so this takes longer on
    /// a big store. meta.public_session_id is masked unless --reveal.
    #[command(
        after_help = "Example:\n  rels-session sessions show h_0123456789abcdef0123456789abcdef"
    )]
    Show {
        /// The session's handle (h_ and 32 hex characters; found by
        /// scanning) or public id
        #[arg(value_name = "PUBLIC_ID|HANDLE")]
        session: String,
        /// Show meta.public_session_id, the session's cookie value
        #[arg(long)]
        reveal: bool,
    },

    /// Delete one session
    ///
    /// A public id deletes both keys of the session at once. A handle is
    /// found by scanning every session; for an anonymous session the key
    /// under its public id cannot be known from a handle and stays until
    /// it expires. A signed-in session's user index is pruned by the next
    /// listing of that user. Asks for confirmation unless --yes.
    #[command(
        after_help = "Example:\n  rels-session sessions delete --yes h_0123456789abcdef0123456789abcdef"
    )]
    Delete {
        /// The session's handle (h_ and 32 hex characters; found by
        /// scanning) or public id
        #[arg(value_name = "PUBLIC_ID|HANDLE")]
        session: String,
        /// Do not ask for confirmation (required when stdin is not a
        /// terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// `rels-session users ...`
#[derive(Subcommand)]
pub(crate) enum UsersCommand {
    /// List every user with a session index and their number of live
    /// sessions
    #[command(after_help = "Example:\n  rels-session users list --json")]
    List,
}

/// `rels-session user ...`
#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// List a user's sessions with their metadata, newest first
    ///
    /// The time to live of each session is found by scanning.
    #[command(
        after_help = "Example:\n  rels-session user sessions 11111111-2222-4333-8444-555555555555"
    )]
    Sessions {
        /// The user's uuid
        #[arg(value_name = "UUID")]
        user: String,
    },

    /// Revoke some of a user's sessions by handle
    ///
    /// Only sessions in the user's index are revoked; handles that are not
    /// among them are reported as not found (exit code 1). Asks for
    /// confirmation unless --yes.
    #[command(after_help = "Example:\n  rels-session user revoke --yes \\\n    \
                      11111111-2222-4333-8444-555555555555 h_0123456789abcdef0123456789abcdef")]
    Revoke {
        /// The user's uuid
        #[arg(value_name = "UUID")]
        user: String,
        /// Handles of the sessions to revoke
        #[arg(value_name = "HANDLE", required = true)]
        handles: Vec<String>,
        /// Do not ask for confirmation (required when stdin is not a
        /// terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },

    /// Revoke every session of a user (sign out everywhere), or all but
    /// one
    ///
    /// With --except, a handle that is not one of the user's sessions
    /// revokes nothing and exits with 1. Asks for confirmation unless
    /// --yes.
    #[command(after_help = "Example:\n  rels-session user revoke-all --yes \\\n    \
                      11111111-2222-4333-8444-555555555555 \
                      --except h_0123456789abcdef0123456789abcdef")]
    RevokeAll {
        /// The user's uuid
        #[arg(value_name = "UUID")]
        user: String,
        /// Keep the session with this handle
        #[arg(long, value_name = "HANDLE")]
        except: Option<String>,
        /// Do not ask for confirmation (required when stdin is not a
        /// terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// `rels-session stats ...`
#[derive(Subcommand)]
pub(crate) enum StatsCommand {
    /// Recount the live sessions of every user and store the counter
    #[command(after_help = "Example:\n  rels-session stats reconcile --json")]
    Reconcile,
}

/// Stage names as the library spells them, checked by the library.
fn stage_parser() -> impl TypedValueParser<Value = Stage> {
    PossibleValuesParser::new(Stage::ALL.map(Stage::as_str)).try_map(|name| name.parse::<Stage>())
}

/// A count of at least one, for `--limit`.
fn at_least_one(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of at least 1".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_help_and_an_example() {
        fn check(command: &clap::Command, path: &str) {
            let path = format!("{path} {}", command.get_name());
            assert!(command.get_about().is_some(), "{path} has no help line");
            let example = command.get_after_help().map(ToString::to_string);
            assert!(
                example.is_some_and(|text| text.contains("rels-session ")),
                "{path} shows no example"
            );
            for sub in command.get_subcommands() {
                check(sub, &path);
            }
            for arg in command.get_arguments() {
                let documented = arg.get_help().is_some() || arg.is_hide_set();
                assert!(documented, "{path} {} has no help", arg.get_id());
            }
        }
        check(&Cli::command(), "");
    }

    #[test]
    fn global_options_go_after_the_command_too() {
        let cli = Cli::try_parse_from(["rels-session", "stats", "--json", "--namespace", "x"])
            .expect("valid");
        assert!(cli.global.json);
        assert_eq!(cli.global.namespace.as_deref(), Some("x"));
    }

    #[test]
    fn stages_are_read_by_their_names() {
        let cli =
            Cli::try_parse_from(["rels-session", "sessions", "count", "--stage", "in_course"])
                .expect("valid");
        let Command::Sessions {
            command: SessionsCommand::Count { stage },
        } = cli.command
        else {
            unreachable!("parsed as sessions count");
        };
        assert_eq!(stage, Some(Stage::InCourse));
        let bad = Cli::try_parse_from(["rels-session", "sessions", "count", "--stage", "x"]);
        assert!(bad.is_err());
    }
}
