//! A master and three Sentinels, for tests of `redis+sentinel://` URLs.

use std::{fmt::Write as _, path::Path, process::Command};

use tempfile::TempDir;

use crate::{
    RedisServer,
    process::{ChildProcess, binary_from_env, connect, on_path, spawn_on_free_port},
};

/// How many Sentinels watch the master; two of them make a quorum.
const SENTINELS: usize = 3;

/// A master [`RedisServer`] watched by three `redis-sentinel` processes on
/// free loopback ports.
///
/// Each Sentinel has its own config file in a temporary directory, with a
/// quorum of 2, `down-after-milliseconds` 1000 and `failover-timeout`
/// 5000. [`start`](Self::start) returns once every Sentinel reports the
/// master's address. Dropping the group stops every process and removes
/// the directories.
///
/// The binary is `$RELS_TEST_REDIS_SENTINEL`, else `redis-sentinel` on the
/// `PATH`, else `redis-server <config> --sentinel`.
///
/// # Example
///
/// ```
/// use rels_session_testkit::SentinelGroup;
///
/// let group = SentinelGroup::start("mymaster");
/// let url = group.url(0);
/// assert!(url.starts_with("redis+sentinel://127.0.0.1:"));
/// assert!(url.ends_with("/mymaster/0"));
/// ```
#[derive(Debug)]
pub struct SentinelGroup {
    // Fields drop in order: the Sentinels stop before the master they
    // watch, and every process before the directory it writes to.
    sentinels: Vec<Sentinel>,
    master: RedisServer,
    master_name: String,
    // Held only so that the directory lives as long as the Sentinels.
    _dir: TempDir,
}

#[derive(Debug)]
struct Sentinel {
    // Held only to be killed on drop.
    _process: ChildProcess,
    port: u16,
}

impl SentinelGroup {
    /// Starts a master and three Sentinels that monitor it under
    /// `master_name`, and waits until each Sentinel reports the master.
    ///
    /// # Panics
    ///
    /// When a process cannot be started or does not answer within 10
    /// seconds; the message holds the end of its log.
    pub fn start(master_name: &str) -> Self {
        let master = RedisServer::start();
        let dir = tempfile::Builder::new()
            .prefix("rels-sentinel-")
            .tempdir()
            .expect("cannot create a temporary directory for the Sentinels");
        let sentinels = (1..=SENTINELS)
            .map(|number| Sentinel::start(dir.path(), number, master_name, master.port()))
            .collect();
        Self {
            sentinels,
            master,
            master_name: master_name.to_owned(),
            _dir: dir,
        }
    }

    /// The master the Sentinels watch.
    pub fn master(&self) -> &RedisServer {
        &self.master
    }

    /// The name the Sentinels know the master by.
    pub fn master_name(&self) -> &str {
        &self.master_name
    }

    /// The ports of the three Sentinels, on 127.0.0.1.
    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels
            .iter()
            .map(|sentinel| sentinel.port)
            .collect()
    }

    /// The URL of database `db` through the Sentinels:
    /// `redis+sentinel://127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>/<name>/<db>`.
    pub fn url(&self, db: u32) -> String {
        let hosts: Vec<String> = self
            .sentinel_ports()
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        format!(
            "redis+sentinel://{}/{}/{db}",
            hosts.join(","),
            self.master_name
        )
    }
}

impl Sentinel {
    fn start(dir: &Path, number: usize, master_name: &str, master_port: u16) -> Self {
        let config = dir.join(format!("sentinel-{number}.conf"));
        let log = dir.join(format!("sentinel-{number}.log"));
        let (port, process) = spawn_on_free_port(
            "redis-sentinel",
            &log,
            |port| {
                let text = sentinel_config(port, dir, &log, master_name, master_port);
                std::fs::write(&config, text)
                    .unwrap_or_else(|err| panic!("cannot write {}: {err}", config.display()));
                sentinel_command(&config)
            },
            |port| reports_master(port, master_name, master_port),
        );
        Self {
            _process: process,
            port,
        }
    }
}

/// The config file of one Sentinel. Sentinel rewrites it while running,
/// which is why each Sentinel has its own.
fn sentinel_config(port: u16, dir: &Path, log: &Path, name: &str, master_port: u16) -> String {
    let mut text = String::new();
    let lines = [
        format!("port {port}"),
        "bind 127.0.0.1".to_owned(),
        "protected-mode no".to_owned(),
        "daemonize no".to_owned(),
        format!("dir \"{}\"", dir.display()),
        format!("logfile \"{}\"", log.display()),
        // Must come before `monitor`, which resolves the address.
        "sentinel resolve-hostnames yes".to_owned(),
        format!("sentinel monitor {name} 127.0.0.1 {master_port} 2"),
        format!("sentinel down-after-milliseconds {name} 1000"),
        format!("sentinel failover-timeout {name} 5000"),
    ];
    for line in lines {
        writeln!(text, "{line}").expect("writing to a String cannot fail");
    }
    text
}

fn sentinel_command(config: &Path) -> Command {
    let sentinel = std::env::var_os("RELS_TEST_REDIS_SENTINEL")
        .or_else(|| on_path("redis-sentinel").then(|| "redis-sentinel".into()));
    match sentinel {
        Some(binary) => {
            let mut command = Command::new(binary);
            command.arg(config);
            command
        }
        // Debian's redis-sentinel is the redis-server binary in another mode.
        None => {
            let server = binary_from_env("RELS_TEST_REDIS_SERVER", "redis-server");
            let mut command = Command::new(server);
            command.arg(config).arg("--sentinel");
            command
        }
    }
}

/// Whether the Sentinel on `port` gives `127.0.0.1:<master_port>` as the
/// address of `name`.
fn reports_master(port: u16, name: &str, master_port: u16) -> bool {
    let Ok(mut connection) = connect(&format!("redis://127.0.0.1:{port}")) else {
        return false;
    };
    let address: redis::RedisResult<Option<(String, String)>> = redis::cmd("SENTINEL")
        .arg("get-master-addr-by-name")
        .arg(name)
        .query(&mut connection);
    let expected = ("127.0.0.1".to_owned(), master_port.to_string());
    address.is_ok_and(|address| address == Some(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sentinel_reports_the_master() {
        let group = SentinelGroup::start("rels-test");
        let master_port = group.master().port();

        let ports = group.sentinel_ports();

        assert_eq!(ports.len(), SENTINELS);
        for port in &ports {
            assert!(
                reports_master(*port, "rels-test", master_port),
                "sentinel {port}"
            );
        }
        let hosts = format!(
            "127.0.0.1:{},127.0.0.1:{},127.0.0.1:{}",
            ports[0], ports[1], ports[2]
        );
        assert_eq!(
            group.url(3),
            format!("redis+sentinel://{hosts}/rels-test/3")
        );
    }
}
