//! The command line: where to listen and which settings to load. Each
//! field's doc comment is its `--help` text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Serves the rels-session demo: sign in under any name, see the devices
/// you are signed in on, revoke them. Sessions are shared with Rails apps
/// through Redis when `REDIS_URL` or `--config` is given.
#[derive(Clone, Debug, Parser)]
#[command(name = "rels-session-demo", version)]
pub struct Args {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "RELS_DEMO_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// A Rails `settings.yml` whose `session_store` section says where
    /// the sessions live. The environment (`REDIS_URL`,
    /// `RELS_SESSION__...`) beats the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_address_is_the_documented_one() {
        let args = Args::try_parse_from(["rels-session-demo"]).expect("no flags needed");
        assert_eq!(args.listen.to_string(), "127.0.0.1:3000");
        assert!(args.config.is_none());
    }

    #[test]
    fn flags_choose_the_address_and_the_settings_file() {
        let args = Args::try_parse_from([
            "rels-session-demo",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "config/settings.yml",
        ])
        .expect("valid flags");
        assert_eq!(args.listen.port(), 0);
        assert_eq!(args.config, Some(PathBuf::from("config/settings.yml")));
    }

    #[test]
    fn a_bad_address_is_refused() {
        assert!(Args::try_parse_from(["rels-session-demo", "--listen", "nowhere"]).is_err());
    }
}
