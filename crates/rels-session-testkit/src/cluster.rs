//! A Redis Cluster of three masters, for tests of `redis+cluster://` URLs.

use std::{
    collections::BTreeMap,
    path::Path,
    process::Command,
    thread,
    time::{Duration, Instant},
};

use tempfile::TempDir;

use crate::process::{self, ChildProcess, connect, free_port, spawn_on_free_port};
use crate::server::{LOG_FILE, answers_ping, parse_command_calls, server_command};

/// How many masters the cluster has: the fewest `redis-cli` accepts.
const MASTERS: usize = 3;

/// How long the cluster may take to agree on its slots.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Commands the kit itself sends, left out of
/// [`RedisCluster::command_calls`].
const KIT_COMMANDS: [&str; 3] = ["info", "config|resetstat", "cluster|info"];

/// Three `redis-server` processes in cluster mode on free loopback ports,
/// joined into one Redis Cluster without replicas, for one test.
///
/// Each node lives in its own temporary directory (its `nodes.conf` and
/// log are there), keeps no data on disk, and has its cluster bus on a
/// free port of its own. [`start`](Self::start) returns once every node
/// reports `cluster_state:ok`. Dropping the value kills every node and
/// removes the directories.
///
/// The binary is `$RELS_TEST_REDIS_SERVER`, or `redis-server` on the
/// `PATH`; the cluster is created with `redis-cli` (`$RELS_TEST_REDIS_CLI`).
///
/// # Example
///
/// ```
/// use rels_session_testkit::RedisCluster;
///
/// let cluster = RedisCluster::start();
/// assert!(cluster.url().starts_with("redis+cluster://127.0.0.1:"));
/// assert_eq!(cluster.ports().len(), 3);
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<Node>,
}

#[derive(Debug)]
struct Node {
    // Declared before `dir`: the process is gone before its directory is
    // removed.
    _process: ChildProcess,
    port: u16,
    dir: TempDir,
}

impl RedisCluster {
    /// Starts three nodes, creates the cluster with `redis-cli --cluster
    /// create` (the 16384 slots split in three), and waits until every
    /// node reports `cluster_state:ok`. Command counts start at zero.
    ///
    /// # Panics
    ///
    /// When a node cannot be started, the cluster cannot be created, or it
    /// is not ready within 30 seconds.
    pub fn start() -> Self {
        let nodes: Vec<Node> = (0..MASTERS).map(|_| Node::start()).collect();
        let cluster = Self { nodes };
        let addresses: Vec<String> = cluster.addresses();
        let mut create = redis_cli();
        create.args(["--cluster", "create"]).args(&addresses).args([
            "--cluster-replicas",
            "0",
            "--cluster-yes",
        ]);
        run(create, "redis-cli --cluster create");
        cluster.wait_until_settled();
        cluster.reset_stats();
        cluster
    }

    /// The ports of the nodes, on 127.0.0.1.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.port).collect()
    }

    /// The URL of the cluster, naming every node:
    /// `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>`.
    pub fn url(&self) -> String {
        format!("redis+cluster://{}", self.addresses().join(","))
    }

    /// A new synchronous connection to node `node` (0, 1 or 2). It sends
    /// no `CLIENT SETINFO`, and follows no redirect.
    ///
    /// # Panics
    ///
    /// When there is no such node or it does not accept the connection.
    pub fn connection(&self, node: usize) -> redis::Connection {
        let port = self.nodes[node].port;
        connect(&format!("redis://127.0.0.1:{port}"))
            .unwrap_or_else(|err| panic!("cannot connect to cluster node on port {port}: {err}"))
    }

    /// How many times each command ran on node `node` since the cluster
    /// became ready or since the last [`reset_stats`](Self::reset_stats),
    /// from `INFO commandstats`; names as
    /// [`RedisServer::command_calls`](crate::RedisServer::command_calls)
    /// gives them. The kit's own `INFO`, `CONFIG RESETSTAT` and `CLUSTER
    /// INFO` calls are left out.
    ///
    /// # Panics
    ///
    /// When the node cannot be reached.
    pub fn command_calls(&self, node: usize) -> BTreeMap<String, u64> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.connection(node))
            .expect("INFO commandstats failed");
        let mut calls = parse_command_calls(&info);
        calls.retain(|name, _| !KIT_COMMANDS.contains(&name.as_str()));
        calls
    }

    /// How many error replies of each kind node `node` sent since the
    /// last reset, from `INFO errorstats`: `"MOVED"`, `"ASK"`,
    /// `"TRYAGAIN"`...
    ///
    /// # Panics
    ///
    /// When the node cannot be reached.
    pub fn error_replies(&self, node: usize) -> BTreeMap<String, u64> {
        let info: String = redis::cmd("INFO")
            .arg("errorstats")
            .query(&mut self.connection(node))
            .expect("INFO errorstats failed");
        info.lines()
            .filter_map(|line| {
                let (name, stats) = line.strip_prefix("errorstat_")?.split_once(':')?;
                let count = stats.strip_prefix("count=")?.split(',').next()?;
                Some((name.to_owned(), count.trim().parse().ok()?))
            })
            .collect()
    }

    /// Zeroes the command and error counts of every node (`CONFIG
    /// RESETSTAT`).
    ///
    /// # Panics
    ///
    /// When a node cannot be reached.
    pub fn reset_stats(&self) {
        for node in 0..self.nodes.len() {
            redis::cmd("CONFIG")
                .arg("RESETSTAT")
                .exec(&mut self.connection(node))
                .expect("CONFIG RESETSTAT failed");
        }
    }

    /// How many keys node `node` holds (`DBSIZE`).
    ///
    /// # Panics
    ///
    /// When the node cannot be reached.
    pub fn key_count(&self, node: usize) -> u64 {
        redis::cmd("DBSIZE")
            .query(&mut self.connection(node))
            .expect("DBSIZE failed")
    }

    /// Moves `slots` slots, with their keys, from node `from` to node `to`
    /// with `redis-cli --cluster reshard`, and waits until every node
    /// agrees again. Blocks until then: call it from
    /// `tokio::task::spawn_blocking` to read and write meanwhile.
    ///
    /// # Panics
    ///
    /// When `redis-cli` fails or the cluster does not settle within 30
    /// seconds.
    pub fn reshard(&self, from: usize, to: usize, slots: u32) {
        let mut reshard = redis_cli();
        reshard
            .args(["--cluster", "reshard"])
            .arg(&self.addresses()[from])
            .args(["--cluster-from", &self.node_id(from)])
            .args(["--cluster-to", &self.node_id(to)])
            .args(["--cluster-slots", &slots.to_string()])
            .arg("--cluster-yes");
        run(reshard, "redis-cli --cluster reshard");
        self.wait_until_settled();
    }

    /// How many slots node `node` serves, as it says itself.
    ///
    /// # Panics
    ///
    /// When the node cannot be reached.
    pub fn slot_count(&self, node: usize) -> u32 {
        let nodes: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query(&mut self.connection(node))
            .expect("CLUSTER NODES failed");
        nodes
            .lines()
            .find(|line| line.contains("myself"))
            .map(slots_of_line)
            .unwrap_or(0)
    }

    fn addresses(&self) -> Vec<String> {
        self.ports()
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect()
    }

    fn node_id(&self, node: usize) -> String {
        redis::cmd("CLUSTER")
            .arg("MYID")
            .query(&mut self.connection(node))
            .expect("CLUSTER MYID failed")
    }

    /// Waits until every node reports `cluster_state:ok` and all of them
    /// see the same slot owners.
    fn wait_until_settled(&self) {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        while !self.is_settled() {
            if Instant::now() > deadline {
                let log = self.nodes[0].dir.path().join(LOG_FILE);
                process::fail("redis cluster", "did not settle within 30 s", &log);
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn is_settled(&self) -> bool {
        let mut views = Vec::new();
        for node in 0..self.nodes.len() {
            let Ok(mut connection) = connect(&self.addresses_url(node)) else {
                return false;
            };
            let info: redis::RedisResult<String> =
                redis::cmd("CLUSTER").arg("INFO").query(&mut connection);
            if !info.is_ok_and(|info| info.contains("cluster_state:ok")) {
                return false;
            }
            let slots: redis::RedisResult<redis::Value> =
                redis::cmd("CLUSTER").arg("SLOTS").query(&mut connection);
            match slots {
                Ok(slots) => views.push(slot_owners(slots)),
                Err(_) => return false,
            }
        }
        views.windows(2).all(|pair| pair[0] == pair[1])
    }

    fn addresses_url(&self, node: usize) -> String {
        format!("redis://127.0.0.1:{}", self.nodes[node].port)
    }
}

impl Node {
    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rels-cluster-")
            .tempdir()
            .expect("cannot create a temporary directory for a cluster node");
        let (port, process) = spawn_on_free_port(
            "redis-server (cluster node)",
            &dir.path().join(LOG_FILE),
            |port| node_command(dir.path(), port),
            answers_ping,
        );
        Self {
            _process: process,
            port,
            dir,
        }
    }
}

/// A cluster node's command line. The cluster bus gets a free port of its
/// own rather than the default `port + 10000`, which may be taken or out
/// of range.
fn node_command(dir: &Path, port: u16) -> Command {
    let config = dir.join("nodes.conf");
    // A node that failed to start may have written its identity already.
    let _ = std::fs::remove_file(&config);
    let mut command = server_command(dir, port);
    command
        .args(["--cluster-enabled", "yes"])
        .arg("--cluster-config-file")
        .arg(config)
        .args(["--cluster-node-timeout", "5000"])
        .args(["--cluster-port", &free_port().to_string()]);
    command
}

fn redis_cli() -> Command {
    Command::new(process::binary_from_env("RELS_TEST_REDIS_CLI", "redis-cli"))
}

/// Runs a command to completion and panics with its output when it fails.
fn run(mut command: Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {what}: {err}"));
    if !output.status.success() {
        panic!(
            "{what} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The slot ranges of a `CLUSTER SLOTS` answer with the port of their
/// master, sorted.
fn slot_owners(slots: redis::Value) -> Vec<(i64, i64, i64)> {
    let redis::Value::Array(ranges) = slots else {
        return Vec::new();
    };
    let mut owners: Vec<(i64, i64, i64)> = ranges
        .into_iter()
        .filter_map(|range| {
            let redis::Value::Array(fields) = range else {
                return None;
            };
            let int = |value: &redis::Value| match value {
                redis::Value::Int(n) => Some(*n),
                _ => None,
            };
            let port = match fields.get(2)? {
                redis::Value::Array(master) => int(master.get(1)?)?,
                _ => return None,
            };
            Some((int(fields.first()?)?, int(fields.get(1)?)?, port))
        })
        .collect();
    owners.sort_unstable();
    owners
}

/// The number of slots in a `CLUSTER NODES` line: its fields from the
/// ninth on are `n` or `a-b` (or `[...]` for slots in migration).
fn slots_of_line(line: &str) -> u32 {
    line.split_whitespace()
        .skip(8)
        .filter(|field| !field.starts_with('['))
        .map(|field| match field.split_once('-') {
            Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if b >= a => b - a + 1,
                _ => 0,
            },
            None => u32::from(field.parse::<u32>().is_ok()),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_cluster_serves_every_slot_and_routes_keys() {
        let cluster = RedisCluster::start();

        let slots: u32 = (0..MASTERS).map(|node| cluster.slot_count(node)).sum();
        assert_eq!(slots, 16384);
        let url = format!("redis://127.0.0.1:{}/?protocol=2", cluster.ports()[0]);
        let client = redis::cluster::ClusterClient::new(vec![url]).unwrap();
        let mut connection = client.get_connection().unwrap();
        for i in 0..30 {
            redis::cmd("SET")
                .arg(format!("k{i}"))
                .arg(i)
                .exec(&mut connection)
                .unwrap();
        }
        let per_node: Vec<u64> = (0..MASTERS).map(|node| cluster.key_count(node)).collect();
        assert_eq!(per_node.iter().sum::<u64>(), 30);
        assert!(per_node.iter().all(|n| *n > 0), "{per_node:?}");
    }

    #[test]
    fn resharding_moves_slots_and_their_keys() {
        let cluster = RedisCluster::start();
        let before = cluster.slot_count(1);

        cluster.reshard(0, 1, 100);

        assert_eq!(cluster.slot_count(1), before + 100);
    }

    #[test]
    fn slots_of_a_nodes_line_are_counted() {
        let line = "id 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-99 200 [5->-x]";
        assert_eq!(slots_of_line(line), 101);
    }
}
