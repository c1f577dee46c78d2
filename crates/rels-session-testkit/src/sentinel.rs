//! A master (and a replica) watched by three Sentinels, for tests of
//! `redis+sentinel://` URLs and of failovers.

use std::{
    collections::HashMap,
    fmt::Write as _,
    path::Path,
    process::Command,
    thread,
    time::{Duration, Instant},
};

use tempfile::TempDir;

use crate::{
    RedisServer,
    process::{ChildProcess, binary_from_env, connect, on_path, spawn_on_free_port},
};

/// How many Sentinels watch the master; two of them make a quorum.
const SENTINELS: usize = 3;

/// How long a replica may take to sync, and the Sentinels to see it.
const REPLICA_TIMEOUT: Duration = Duration::from_secs(30);

/// A master [`RedisServer`] watched by three `redis-sentinel` processes on
/// free loopback ports.
///
/// Each Sentinel has its own config file in a temporary directory, with a
/// quorum of 2, `down-after-milliseconds` 1000 and `failover-timeout`
/// 5000. [`start`](Self::start) returns once every Sentinel reports the
/// master's address. Dropping the group stops every process and removes
/// the directories.
///
/// With [`start_with_replica`](Self::start_with_replica) the master has a
/// replica, both refuse writes without a replica in sync
/// (`min-replicas-to-write 1`), and [`failover`](Self::failover) promotes
/// the replica.
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
    replica: Option<RedisServer>,
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
        Self::watch(RedisServer::start(), None, master_name)
    }

    /// Starts a master with one replica, both set with
    /// `min-replicas-to-write 1` so that a master without a replica in
    /// sync (a demoted one, or a new one whose replica has not caught up)
    /// refuses writes with `NOREPLICAS`, and `repl-diskless-sync-delay 0`
    /// so that a full sync starts at once. Then starts three Sentinels and
    /// waits until each one reports the master and sees the replica in
    /// sync, so that [`failover`](Self::failover) finds it.
    ///
    /// # Panics
    ///
    /// When a process cannot be started, or the replica does not sync or
    /// is not seen by every Sentinel within 30 seconds.
    pub fn start_with_replica(master_name: &str) -> Self {
        let master = RedisServer::start();
        let replica = RedisServer::start();
        replicate(&replica, master.port());
        for server in [&master, &replica] {
            config_set(server, "min-replicas-to-write", "1");
            // A demoted master comes back as a replica with a full sync;
            // Redis would wait 5 s by default for more replicas to share it.
            config_set(server, "repl-diskless-sync-delay", "0");
        }
        let group = Self::watch(master, Some(replica), master_name);
        group.wait_until_every_sentinel_sees_the_replica();
        group
    }

    fn watch(master: RedisServer, replica: Option<RedisServer>, master_name: &str) -> Self {
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
            replica,
            master_name: master_name.to_owned(),
            _dir: dir,
        }
    }

    /// The server started as the master. After a
    /// [`failover`](Self::failover) it is a replica.
    pub fn master(&self) -> &RedisServer {
        &self.master
    }

    /// The server started as the replica, if the group has one.
    pub fn replica(&self) -> Option<&RedisServer> {
        self.replica.as_ref()
    }

    /// The port of the master as the first Sentinel reports it now.
    ///
    /// # Panics
    ///
    /// When the Sentinel cannot be reached or knows no master.
    pub fn current_master_port(&self) -> u16 {
        master_address(self.sentinels[0].port, &self.master_name)
            .expect("the Sentinel reports no master")
    }

    /// Asks the first Sentinel to fail over now (`SENTINEL FAILOVER`),
    /// without waiting for the master to be seen as down: the replica is
    /// promoted, and the old master is turned into its replica.
    ///
    /// Returns at once; the failover goes on in the background. See
    /// [`wait_for_master`](Self::wait_for_master).
    ///
    /// # Panics
    ///
    /// When the Sentinel refuses (for instance, it knows no replica in
    /// sync).
    pub fn failover(&self) {
        let mut connection = connect(&format!("redis://127.0.0.1:{}", self.sentinels[0].port))
            .expect("cannot connect to the Sentinel");
        redis::cmd("SENTINEL")
            .arg("FAILOVER")
            .arg(&self.master_name)
            .exec(&mut connection)
            .unwrap_or_else(|err| panic!("SENTINEL FAILOVER refused: {err}"));
    }

    /// Waits until every Sentinel reports the master on `port`.
    ///
    /// # Panics
    ///
    /// When that does not happen within `timeout`.
    pub fn wait_for_master(&self, port: u16, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self
            .sentinel_ports()
            .iter()
            .all(|sentinel| master_address(*sentinel, &self.master_name) == Some(port))
        {
            assert!(
                Instant::now() < deadline,
                "the Sentinels did not report the master on port {port} within {timeout:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_until_every_sentinel_sees_the_replica(&self) {
        let deadline = Instant::now() + REPLICA_TIMEOUT;
        while !self
            .sentinel_ports()
            .iter()
            .all(|port| sees_replica_in_sync(*port, &self.master_name))
        {
            assert!(
                Instant::now() < deadline,
                "the Sentinels did not see the replica in sync within {REPLICA_TIMEOUT:?}"
            );
            thread::sleep(Duration::from_millis(50));
        }
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

/// Makes `replica` replicate the master on `master_port` and waits until
/// the link is up.
fn replicate(replica: &RedisServer, master_port: u16) {
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master_port)
        .exec(&mut replica.connection())
        .expect("REPLICAOF failed");
    let deadline = Instant::now() + REPLICA_TIMEOUT;
    loop {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query(&mut replica.connection())
            .expect("INFO replication failed");
        if info
            .lines()
            .any(|line| line.trim() == "master_link_status:up")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica did not sync within {REPLICA_TIMEOUT:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn config_set(server: &RedisServer, name: &str, value: &str) {
    redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .exec(&mut server.connection())
        .unwrap_or_else(|err| panic!("CONFIG SET {name} failed: {err}"));
}

/// The port of the master `name` as the Sentinel on `port` reports it.
fn master_address(port: u16, name: &str) -> Option<u16> {
    let mut connection = connect(&format!("redis://127.0.0.1:{port}")).ok()?;
    let address: Option<(String, String)> = redis::cmd("SENTINEL")
        .arg("get-master-addr-by-name")
        .arg(name)
        .query(&mut connection)
        .ok()?;
    address?.1.parse().ok()
}

/// Whether the Sentinel on `port` knows a replica of `name` that is
/// healthy and in sync, as `SENTINEL FAILOVER` requires.
fn sees_replica_in_sync(port: u16, name: &str) -> bool {
    let Ok(mut connection) = connect(&format!("redis://127.0.0.1:{port}")) else {
        return false;
    };
    let replicas: redis::RedisResult<Vec<HashMap<String, String>>> = redis::cmd("SENTINEL")
        .arg("REPLICAS")
        .arg(name)
        .query(&mut connection);
    replicas.is_ok_and(|replicas| {
        replicas.iter().any(|replica| {
            replica.get("flags").map(String::as_str) == Some("slave")
                && replica.get("master-link-status").map(String::as_str) == Some("ok")
        })
    })
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

    #[test]
    fn a_failover_promotes_the_replica() {
        let group = SentinelGroup::start_with_replica("rels-failover");
        let replica_port = group.replica().unwrap().port();
        assert_eq!(group.current_master_port(), group.master().port());

        group.failover();

        group.wait_for_master(replica_port, Duration::from_secs(30));
    }
}
