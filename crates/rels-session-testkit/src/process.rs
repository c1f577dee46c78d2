//! Child processes that are always reaped, free ports, and waiting for a
//! server to answer.

use std::{
    ffi::OsString,
    fs::{File, OpenOptions},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use redis::IntoConnectionInfo;

/// How long a server may take to answer after it was spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause between two readiness probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);

/// How many free ports to try before giving up: another process can take
/// the port between our probe and the server's bind.
const PORT_ATTEMPTS: usize = 5;

/// Ports a system-wide Redis or Sentinel may be listening on.
const RESERVED_PORTS: [u16; 2] = [6379, 26379];

/// A spawned child process that is killed and reaped when dropped, so that
/// no server outlives a test, even one that panics.
#[derive(Debug)]
pub(crate) struct ChildProcess {
    child: Child,
}

impl ChildProcess {
    /// Spawns `command` with its standard output and error appended to
    /// `log`, where the server also writes its own log.
    pub(crate) fn spawn(mut command: Command, log: &Path) -> Self {
        let stdout = open_log(log);
        let stderr = stdout
            .try_clone()
            .expect("cannot duplicate a log file handle");
        command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));
        Self { child }
    }

    /// Whether the process has exited (it is reaped if so).
    pub(crate) fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // Errors only mean the process is already gone; a panic here would
        // abort a test that is already unwinding.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why a server did not become ready.
#[derive(Debug)]
pub(crate) enum NotReady {
    /// The process exited, most likely because its port was taken.
    Exited,
    /// The process kept running but never answered.
    TimedOut,
}

/// Spawns the server built by `command`, listening on `port`, and waits
/// until `ready` holds.
pub(crate) fn spawn_ready(
    command: Command,
    port: u16,
    log: &Path,
    mut ready: impl FnMut() -> bool,
) -> Result<ChildProcess, NotReady> {
    let mut process = ChildProcess::spawn(command, log);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if process.has_exited() {
            return Err(NotReady::Exited);
        }
        // When another test's server took the port first, that server would
        // answer our probes while ours fails to bind and exits.
        if served_by(port, process.child.id()) && ready() {
            return Ok(process);
        }
        if Instant::now() > deadline {
            return Err(NotReady::TimedOut);
        }
        thread::sleep(PROBE_INTERVAL);
    }
}

/// Starts a server on a free port, picking another port when the server
/// exits at once (another process took the port in the meantime).
///
/// `command` builds the command line for a port; `ready` probes that port.
pub(crate) fn spawn_on_free_port(
    what: &str,
    log: &Path,
    mut command: impl FnMut(u16) -> Command,
    mut ready: impl FnMut(u16) -> bool,
) -> (u16, ChildProcess) {
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port();
        match spawn_ready(command(port), port, log, || ready(port)) {
            Ok(process) => return (port, process),
            Err(NotReady::Exited) => continue,
            Err(NotReady::TimedOut) => fail(what, "did not answer within 10 s", log),
        }
    }
    fail(what, &format!("exited at start {PORT_ATTEMPTS} times"), log)
}

/// Panics with the end of a server's log.
pub(crate) fn fail(what: &str, problem: &str, log: &Path) -> ! {
    panic!(
        "{what} {problem}; end of {}:\n{}",
        log.display(),
        log_tail(log)
    )
}

/// Whether the server answering on `port` is the process `pid`.
fn served_by(port: u16, pid: u32) -> bool {
    let info: redis::RedisResult<String> = connect(&format!("redis://127.0.0.1:{port}"))
        .and_then(|mut connection| redis::cmd("INFO").arg("server").query(&mut connection));
    info.is_ok_and(|info| {
        info.lines()
            .any(|line| line.trim_end() == format!("process_id:{pid}"))
    })
}

/// A loopback port that nothing listened on a moment ago.
pub(crate) fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .unwrap_or_else(|err| panic!("cannot bind a loopback port: {err}"));
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();
        if !RESERVED_PORTS.contains(&port) {
            return port;
        }
    }
}

/// Opens a connection to `url` that sends nothing but our commands: no
/// `CLIENT SETINFO`, so the server's command counts stay ours.
pub(crate) fn connect(url: &str) -> redis::RedisResult<redis::Connection> {
    let info = url.into_connection_info()?;
    let settings = info.redis_settings().clone().set_skip_set_lib_name();
    let client = redis::Client::open(info.set_redis_settings(settings))?;
    let connection = client.get_connection_with_timeout(Duration::from_secs(1))?;
    connection.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(connection)
}

/// The value of the environment variable `var`, or `default` when unset.
pub(crate) fn binary_from_env(var: &str, default: &str) -> OsString {
    std::env::var_os(var).unwrap_or_else(|| default.into())
}

/// Whether an executable named `name` is on the `PATH`.
pub(crate) fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

fn open_log(log: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|err| panic!("cannot open {}: {err}", log.display()))
}

/// The last lines of a log file, or why it could not be read.
fn log_tail(log: &Path) -> String {
    const LINES: usize = 30;
    match std::fs::read(log) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LINES)..].join("\n")
        }
        Err(err) => format!("(cannot read the log: {err})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RedisServer, server::server_command};

    #[test]
    fn a_server_whose_port_is_taken_is_not_mistaken_for_ready() {
        let running = RedisServer::start();
        let dir = tempfile::tempdir().unwrap();
        let command = server_command(dir.path(), running.port());

        let result = spawn_ready(command, running.port(), &dir.path().join("log"), || true);

        assert!(matches!(result, Err(NotReady::Exited)), "{result:?}");
    }
}
