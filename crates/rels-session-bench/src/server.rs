//! The harness's own `redis-server`, from the test kit: started on a free
//! port, pinned to its core, and asked for its command counts.

use std::collections::BTreeMap;

use rels_session_testkit::RedisServer;

use crate::BenchResult;
use crate::pin::pin_process;

/// A `redis-server` child process for the benchmarks, killed when
/// dropped.
#[derive(Debug)]
pub(crate) struct BenchRedis {
    server: RedisServer,
    pid: u32,
}

impl BenchRedis {
    /// Starts a server and pins it to `core`.
    pub(crate) fn start(core: Option<usize>) -> BenchResult<Self> {
        let server = RedisServer::start();
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut server.connection())?;
        let pid = info
            .lines()
            .find_map(|line| line.strip_prefix("process_id:"))
            .and_then(|pid| pid.trim().parse().ok())
            .ok_or("INFO server has no process_id")?;
        pin_process(pid, core);
        Ok(Self { server, pid })
    }

    /// The URL of database `db`.
    pub(crate) fn url(&self, db: u8) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.server.port())
    }

    /// How many times each command ran since the server started.
    pub(crate) fn command_calls(&self) -> BTreeMap<String, u64> {
        self.server.command_calls()
    }

    /// The server's process id, to find it in `ps` or `perf`.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The `redis-server` version, for the report.
    pub(crate) fn version(&self) -> BenchResult<String> {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut self.server.connection())?;
        let version = info
            .lines()
            .find_map(|line| line.strip_prefix("redis_version:"))
            .unwrap_or("unknown");
        Ok(version.trim().to_owned())
    }
}
