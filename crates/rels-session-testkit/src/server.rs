//! A `redis-server` child process owned by one test.

use std::{collections::BTreeMap, path::Path, process::Command};

use tempfile::TempDir;

use crate::{
    dump,
    process::{self, ChildProcess, binary_from_env, connect, spawn_on_free_port, spawn_ready},
};

/// The server's log, inside its temporary directory.
pub(crate) const LOG_FILE: &str = "redis.log";

/// Commands the kit itself sends to read and reset the statistics, left out
/// of [`RedisServer::command_calls`].
const KIT_COMMANDS: [&str; 2] = ["info", "config|resetstat"];

/// A real `redis-server` on a free loopback port, for one test.
///
/// The server keeps no data on disk (`--save ""`, no AOF) and lives in a
/// temporary directory that also holds its log. Dropping the value kills
/// the process and removes the directory, also while a failing test
/// unwinds.
///
/// The binary is `$RELS_TEST_REDIS_SERVER`, or `redis-server` on the
/// `PATH`.
///
/// # Example
///
/// ```
/// use rels_session_testkit::RedisServer;
///
/// let server = RedisServer::start();
/// let mut connection = server.connection();
/// redis::cmd("SET").arg("k").arg("v").exec(&mut connection).unwrap();
/// assert_eq!(server.command_calls()["set"], 1);
/// ```
#[derive(Debug)]
pub struct RedisServer {
    // Declared before `dir`: fields drop in order, so the process is gone
    // before its directory is removed.
    process: Option<ChildProcess>,
    port: u16,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers `PING`.
    /// The command counts start at zero once it answers.
    ///
    /// # Panics
    ///
    /// When the server cannot be started, or does not answer within 10
    /// seconds; the message holds the end of its log.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rels-redis-")
            .tempdir()
            .expect("cannot create a temporary directory for redis-server");
        let (port, process) = spawn_on_free_port(
            "redis-server",
            &dir.path().join(LOG_FILE),
            |port| server_command(dir.path(), port),
            answers_ping,
        );
        let server = Self {
            process: Some(process),
            port,
            dir,
        };
        // The readiness probes must not show up in the counts of a test.
        server.reset_stats();
        server
    }

    /// The TCP port the server listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database 0: `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A new synchronous connection to database 0.
    ///
    /// It sends no `CLIENT SETINFO` on connecting, so it adds nothing to
    /// [`command_calls`](Self::command_calls) but the commands you send.
    ///
    /// # Panics
    ///
    /// When the server does not accept the connection (for instance after
    /// [`stop`](Self::stop)).
    pub fn connection(&self) -> redis::Connection {
        connect(&self.url()).unwrap_or_else(|err| {
            panic!(
                "cannot connect to redis-server on port {}: {err}",
                self.port
            )
        })
    }

    /// How many times each command ran since the server became ready (see
    /// [`start`](Self::start) and [`restart`](Self::restart)) or since the
    /// last [`reset_stats`](Self::reset_stats), from `INFO commandstats`.
    ///
    /// Names are lowercase, subcommands joined with `|` as Redis reports
    /// them (`"mget"`, `"client|setinfo"`). The `INFO` and `CONFIG
    /// RESETSTAT` calls made by this kit are left out; commands sent by
    /// [`load_dump`](Self::load_dump) and [`dump`](Self::dump) are not.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached.
    pub fn command_calls(&self) -> BTreeMap<String, u64> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.connection())
            .expect("INFO commandstats failed");
        parse_command_calls(&info)
    }

    /// Zeroes the command counts (`CONFIG RESETSTAT`).
    ///
    /// # Panics
    ///
    /// When the server cannot be reached.
    pub fn reset_stats(&self) {
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .exec(&mut self.connection())
            .expect("CONFIG RESETSTAT failed");
    }

    /// Writes the keys of a dump in the format of
    /// `tests/fixtures/gem_dump.json`, exactly as given.
    ///
    /// `dump` is the dump itself (an object with a `keys` array, or just
    /// that array), or a string holding the path of a dump file. String
    /// keys are written with `SET`, set keys replace any existing set with
    /// `SADD`; both get `EXPIRE` when their `ttl` is above 0. Call
    /// [`reset_stats`](Self::reset_stats) afterwards when a test counts
    /// commands.
    ///
    /// # Panics
    ///
    /// When the dump is malformed or Redis refuses a write.
    pub fn load_dump(&self, dump: &serde_json::Value) {
        dump::load(&mut self.connection(), dump);
    }

    /// The keys matching the glob `pattern`, in the format of
    /// `tests/fixtures/gem_dump.json` without its `about` text: an object
    /// whose `keys` array is sorted by key, each entry holding `key`,
    /// `type`, `ttl` and `value` (set members sorted).
    ///
    /// `ttl` is the live `TTL` in seconds (`-1` for none), so it may be a
    /// little below the TTL that was written.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached, a key holds neither a string nor
    /// a set, or a value is not UTF-8.
    pub fn dump(&self, pattern: &str) -> serde_json::Value {
        dump::dump(&mut self.connection(), pattern)
    }

    /// Kills the server, to test what happens when Redis goes away. Its
    /// port stays reserved for [`restart`](Self::restart). Does nothing
    /// when the server is already stopped.
    pub fn stop(&mut self) {
        // Dropping the child kills and reaps it.
        self.process = None;
    }

    /// Stops the server if it runs, then starts it again on the same port.
    ///
    /// The restarted server is empty (nothing is saved to disk), and its
    /// command counts start again at zero.
    ///
    /// # Panics
    ///
    /// When the server cannot listen on its port again (another process
    /// took it) or does not answer within 10 seconds.
    pub fn restart(&mut self) {
        self.stop();
        let log = self.log_path();
        let command = server_command(self.dir.path(), self.port);
        match spawn_ready(command, self.port, &log, || answers_ping(self.port)) {
            Ok(process) => {
                self.process = Some(process);
                self.reset_stats();
            }
            Err(_) => process::fail(
                "redis-server",
                &format!("did not come back on port {}", self.port),
                &log,
            ),
        }
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join(LOG_FILE)
    }
}

pub(crate) fn server_command(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(binary_from_env("RELS_TEST_REDIS_SERVER", "redis-server"));
    command
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--protected-mode", "no"])
        .args(["--daemonize", "no", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join(LOG_FILE));
    command
}

pub(crate) fn answers_ping(port: u16) -> bool {
    connect(&format!("redis://127.0.0.1:{port}/0"))
        .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection))
        .is_ok_and(|reply| reply == "PONG")
}

/// Reads `cmdstat_<name>:calls=<n>,...` lines.
pub(crate) fn parse_command_calls(info: &str) -> BTreeMap<String, u64> {
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .split(',')
                .find_map(|stat| stat.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.trim().parse().ok()?))
        })
        .filter(|(name, _)| !KIT_COMMANDS.contains(&name.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_server_answers_set_and_get() {
        let server = RedisServer::start();
        assert_ne!(server.port(), 6379);
        let mut connection = server.connection();

        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .exec(&mut connection)
            .unwrap();
        let value: String = redis::cmd("GET").arg("k").query(&mut connection).unwrap();

        assert_eq!(value, "v");
    }

    #[test]
    fn command_calls_count_a_get_and_reset() {
        let server = RedisServer::start();
        let mut connection = server.connection();
        redis::cmd("GET").arg("k").exec(&mut connection).unwrap();
        redis::cmd("GET").arg("k").exec(&mut connection).unwrap();

        assert_eq!(
            server.command_calls(),
            BTreeMap::from([("get".to_owned(), 2)])
        );
        server.reset_stats();
        assert_eq!(server.command_calls(), BTreeMap::new());
    }

    #[test]
    fn command_calls_parse_subcommands() {
        let info = "# Commandstats\r\n\
            cmdstat_mget:calls=3,usec=9,usec_per_call=3.00,rejected_calls=0\r\n\
            cmdstat_client|setinfo:calls=2,usec=1,usec_per_call=0.50\r\n\
            cmdstat_info:calls=7,usec=1,usec_per_call=0.10\r\n";

        let calls = parse_command_calls(info);

        let expected = [("client|setinfo".to_owned(), 2), ("mget".to_owned(), 3)];
        assert_eq!(calls, BTreeMap::from(expected));
    }

    #[test]
    fn a_restarted_server_is_back_on_its_port_and_empty() {
        let mut server = RedisServer::start();
        let port = server.port();
        let mut connection = server.connection();
        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .exec(&mut connection)
            .unwrap();

        server.stop();
        assert!(redis::cmd("PING").exec(&mut connection).is_err());
        assert!(connect(&server.url()).is_err());
        server.restart();

        assert_eq!(server.port(), port);
        let value: Option<String> = redis::cmd("GET")
            .arg("k")
            .query(&mut server.connection())
            .unwrap();
        assert_eq!(value, None);
    }

    #[test]
    fn dropping_a_server_kills_it_and_removes_its_directory() {
        let server = RedisServer::start();
        let url = server.url();
        let dir = server.dir.path().to_path_buf();

        drop(server);

        assert!(connect(&url).is_err());
        assert!(!dir.exists());
    }
}
