//! The demo as a person runs it: the binary, on a free port, answering
//! `/healthz`, and stopping cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rels_session_testkit::RedisServer;

/// How long the demo may take to start or to stop.
const PATIENCE: Duration = Duration::from_secs(30);

/// The running binary, killed if a test fails before it stops it.
struct Demo {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
}

impl Demo {
    /// Starts the binary on port 0 with `env`, and waits for its
    /// `listening on http://ADDR` line.
    fn start(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rels-session-demo"));
        command
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("REDIS_URL")
            .env_remove("RELS_DEMO_LISTEN")
            .env_remove("RELS_SESSION__REDIS_OPTIONS__URL")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the demo starts");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");

        let (lines, first) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = lines.send(line);
        });
        let (logs, stderr_text) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stderr).read_to_string(&mut text);
            let _ = logs.send(text);
        });

        let line = first.recv_timeout(PATIENCE).expect("a first line in time");
        let prefix = "listening on http://";
        assert!(line.starts_with(prefix), "unexpected first line: {line:?}");
        let addr = line.trim_end()[prefix.len()..].to_owned();
        Self {
            child,
            addr,
            stderr: stderr_text,
        }
    }

    /// Sends one HTTP/1.1 request and returns the whole response.
    fn http(&self, method: &str, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).expect("connects at once");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).expect("sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("a response");
        response
    }

    /// Sends SIGTERM and returns whether the demo exited successfully in
    /// time, with what it logged.
    fn terminate(mut self) -> (bool, String) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"));
        kill(pid, Signal::SIGTERM).expect("SIGTERM sent");
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the demo did not stop on SIGTERM"
            );
            thread::sleep(Duration::from_millis(50));
        };
        let logs = self.stderr.recv_timeout(PATIENCE).unwrap_or_default();
        (status.success(), logs)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_binary_serves_on_a_free_port_and_stops_on_sigterm() {
    let demo = Demo::start(&[]);
    assert!(demo.addr.starts_with("127.0.0.1:"));
    assert_ne!(demo.addr, "127.0.0.1:0", "the port it got, not port 0");

    let health = demo.http("GET", "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let me = demo.http("GET", "/api/me");
    assert!(me.starts_with("HTTP/1.1 200"), "{me}");
    assert!(me.contains(r#""signed_in":false"#), "{me}");

    let (success, logs) = demo.terminate();
    assert!(success, "a clean exit: {logs}");
    assert!(logs.contains("not shared"), "{logs}");
    assert!(logs.contains("without the Secure attribute"), "{logs}");
}

#[test]
fn the_binary_keeps_sessions_in_redis_when_given_redis_url() {
    let server = RedisServer::start();
    let url = server.url();
    let demo = Demo::start(&[("REDIS_URL", &url)]);

    let me = demo.http("GET", "/api/me");
    assert!(me.starts_with("HTTP/1.1 200"), "{me}");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("rels:session:2::*")
        .query(&mut server.connection())
        .expect("KEYS");
    assert_eq!(keys.len(), 1, "the CSRF token's session is in Redis");

    let (success, logs) = demo.terminate();
    assert!(success, "a clean exit: {logs}");
    assert!(logs.contains("sessions live in Redis"), "{logs}");
    assert!(!logs.contains("not shared"), "{logs}");
}
