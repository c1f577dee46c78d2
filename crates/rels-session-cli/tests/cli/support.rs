//! Running the built `rels-session` binary against a real Redis holding
//! the gem's data, and checking what it prints.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use indexmap::IndexMap;
use rels_session::PublicId;
use rels_session_testkit::{RedisServer, read_fixture, ruby_gem};
use serde_json::Value;
use serde_json::value::RawValue;

/// The gem's default namespace, which the fixture uses.
pub(crate) const NS: &str = "rels:session";

/// The users of the gem fixture.
pub(crate) const ALICE: &str = "11111111-2222-4333-8444-555555555555";
pub(crate) const BOB: &str = "66666666-7777-4888-9999-000000000000";

/// The public ids of the gem fixture: anonymous, Alice's desktop and
/// iPhone, Bob's Android app and Android browser.
pub(crate) const ANON: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub(crate) const ALICE_DESKTOP: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
pub(crate) const ALICE_IPHONE: &str = "cccccccccccccccccccccccccccccccc";
pub(crate) const BOB_APP: &str = "dddddddddddddddddddddddddddddddd";
pub(crate) const BOB_WEB: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

/// A user signed in by the Ruby script, twice, and the session ids it
/// writes.
pub(crate) const CAROL: &str = "33333333-3333-4333-8333-333333333333";
pub(crate) const CAROL_OLD: &str = "0123456789abcdef0123456789abc001";
pub(crate) const CAROL_NEW: &str = "0123456789abcdef0123456789abc002";
pub(crate) const RUBY_ANON: &str = "0123456789abcdef0123456789abc003";

/// Every public id any test writes: none may ever be printed unless the
/// operator asks with `--reveal`.
const SECRETS: [&str; 8] = [
    ANON,
    ALICE_DESKTOP,
    ALICE_IPHONE,
    BOB_APP,
    BOB_WEB,
    CAROL_OLD,
    CAROL_NEW,
    RUBY_ANON,
];

/// A handle that names no session.
pub(crate) const NO_SUCH_HANDLE: &str = "h_00000000000000000000000000000000";

/// The handle of the session with public id `id`.
pub(crate) fn handle(id: &str) -> String {
    let id = PublicId::parse(id).expect("a test id is well formed");
    id.private_id().handle().to_string()
}

/// A Redis holding the gem fixture.
pub(crate) fn gem_store() -> RedisServer {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    server
}

/// Adds the Ruby script's sessions: Carol signed in twice (the newer one
/// in a course) and one anonymous session.
pub(crate) fn add_ruby_sessions(server: &RedisServer) {
    let url = server.url();
    let sign_in = |id: &str, created_at: &str, json: &str| {
        let meta = format!(
            r#"{{"ip":"198.51.100.7","browser":"Firefox","os":"GNU/Linux","device_type":"desktop","client_platform":"web","created_at":"{created_at}"}}"#
        );
        ruby_gem(&[
            "sign-in",
            "--url",
            &url,
            "--namespace",
            NS,
            "--id",
            id,
            "--user",
            CAROL,
            "--meta",
            &meta,
            "--json",
            json,
        ]);
    };
    sign_in(CAROL_OLD, "2025-03-01 09:00:00 UTC", "{}");
    sign_in(CAROL_NEW, "2025-03-02 09:00:00 UTC", r#"{"course_id":"7"}"#);
    let anonymous = ["--url", &url, "--namespace", NS, "--id", RUBY_ANON];
    ruby_gem(&[&["write", "--json", r#"{"locale":"en"}"#][..], &anonymous].concat());
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code.
    pub(crate) code: i32,
    /// Everything on stdout.
    pub(crate) stdout: String,
    /// Everything on stderr.
    pub(crate) stderr: String,
}

impl Run {
    /// Stdout as the one JSON document it must be.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .map_err(|err| format!("{err} in {self:?}"))
            .expect("stdout is one JSON document")
    }

    /// Asserts the exit code, showing the run when it differs.
    pub(crate) fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }

    /// Asserts that the run failed with exactly one line on stderr, and
    /// returns it.
    pub(crate) fn error_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one error line expected: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        lines[0]
    }
}

/// The binary, run in an empty directory with none of our variables, so
/// that only the arguments configure it.
pub(crate) fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rels-session"));
    command.current_dir(dir);
    without_our_variables(&mut command);
    command
}

/// Removes the variables that would configure the binary.
fn without_our_variables(command: &mut Command) {
    command.env_remove("REDIS_URL");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RELS_SESSION") {
            command.env_remove(name);
        }
    }
}

/// Runs the binary with `args` and nothing on stdin (not a terminal).
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = command(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    };
    if !args.contains(&"--reveal") {
        assert_no_secret(&run, args);
    }
    run
}

/// Runs the binary against `server` with `args`.
pub(crate) fn run(server: &RedisServer, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = server.url();
    run_in(dir.path(), &[&["--redis-url", &url][..], args].concat())
}

/// Runs the binary on a terminal (through `script`, which gives it a
/// pseudo-terminal) and types `input`. Stdout and stderr arrive mixed.
pub(crate) fn run_on_terminal(server: &RedisServer, args: &[&str], input: &str) -> (i32, String) {
    let binary = env!("CARGO_BIN_EXE_rels-session");
    let line = [binary, "--redis-url", &server.url()]
        .iter()
        .chain(args)
        .map(|arg| format!("'{arg}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut script = Command::new("script");
    script
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    without_our_variables(&mut script);
    let mut child = script.spawn().expect("script runs");
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(input.as_bytes()).expect("typed");
    drop(stdin);
    let output = child.wait_with_output().expect("script ends");
    let screen = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    (output.status.code().expect("exited"), screen)
}

/// No public id, and no private id derived from one, in what a run
/// printed.
fn assert_no_secret(run: &Run, args: &[&str]) {
    for id in SECRETS {
        let private = PublicId::parse(id).expect("well formed").private_id();
        let hash = private.expose().trim_start_matches("2::");
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!text.contains(id), "{name} of {args:?} shows a public id");
            assert!(
                !text.contains(hash),
                "{name} of {args:?} shows a private id"
            );
        }
    }
}

/// The keys of the store, as a sorted list.
pub(crate) fn keys(server: &RedisServer) -> Vec<String> {
    let dump = server.dump(&format!("{NS}:*"));
    dump["keys"]
        .as_array()
        .expect("a key list")
        .iter()
        .map(|entry| entry["key"].as_str().expect("a key").to_owned())
        .collect()
}

/// Whether any key of the session with public id `id` is left.
pub(crate) fn session_exists(server: &RedisServer, id: &str) -> bool {
    let private = PublicId::parse(id).expect("well formed").private_id();
    let stored = keys(server);
    let wanted = [format!("{NS}:{id}"), format!("{NS}:{}", private.expose())];
    stored.iter().any(|key| wanted.contains(key))
}

/// A JSON object's entries in their printed order, values as printed.
pub(crate) fn ordered(text: &str) -> IndexMap<String, Box<RawValue>> {
    serde_json::from_str(text)
        .map_err(|err| format!("{err} in {text}"))
        .expect("a JSON object")
}

/// The entries of a JSON array, as printed.
pub(crate) fn items(text: &str) -> Vec<Box<RawValue>> {
    serde_json::from_str(text)
        .map_err(|err| format!("{err} in {text}"))
        .expect("a JSON array")
}

/// A session row as printed, with its `ttl` checked to be about the
/// gem's 14 days and then replaced by 0, so it can be compared.
pub(crate) fn row_text(row: &RawValue) -> String {
    let mut row = ordered(row.get());
    let ttl: u64 = serde_json::from_str(row["ttl"].get()).expect("a ttl in seconds");
    assert!((1_209_000..=1_209_600).contains(&ttl), "ttl {ttl}");
    row["ttl"] = RawValue::from_string("0".to_owned()).expect("valid JSON");
    serde_json::to_string(&row).expect("serializable")
}
