//! `config check`, where settings come from, and every error path with its
//! exit code and its one line on stderr.

use std::fs;
use std::path::Path;

use rels_session_testkit::RedisServer;

use crate::support::*;

/// A Rails settings file with sections of other gems, which are ignored,
/// and five problems in ours, one of them next to a password.
const BAD: &str = "\
defaults: &defaults
  adapter: postgresql
mailer:
  from: ops@example.com
session_store:
  sid_type: sometimes
  colour: blue
  redis_options:
    url: http://u:s3cr3t@localhost
    namespace: 'rels session'
  connection_pool_options:
    size: 0
";

fn good(url: &str) -> String {
    format!(
        "mailer:\n  from: x\nsession_store:\n  redis_options:\n    url: {url}\n    namespace: {NS}\n"
    )
}

/// A directory laid out like a Rails app's root, with `settings`.
fn rails_root(settings: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir(dir.path().join("config")).expect("config dir");
    fs::write(dir.path().join("config/settings.yml"), settings).expect("written");
    dir
}

fn paths(run: &Run) -> Vec<String> {
    let mut paths: Vec<String> = run.json()["problems"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|problem| problem["path"].as_str().expect("a path").to_owned())
        .collect();
    paths.sort();
    paths
}

#[test]
fn config_check_reports_every_problem_with_its_path() {
    let dir = rails_root(BAD);
    let file = dir.path().join("config/settings.yml");
    let file = file.to_str().expect("UTF-8 path");

    let checked = run_in(dir.path(), &["config", "check", file, "--json"]).expect(2);
    let expected = [
        "session_store.colour",
        "session_store.connection_pool_options.size",
        "session_store.redis_options.namespace",
        "session_store.redis_options.url",
        "session_store.sid_type",
    ];
    assert_eq!(paths(&checked), expected);
    let document = ordered(&checked.stdout);
    assert_eq!(
        document.keys().collect::<Vec<_>>(),
        ["ok", "source", "problems"]
    );
    assert_eq!(document["ok"].get(), "false");
    assert_eq!(
        document["source"].get(),
        serde_json::to_string(file).expect("JSON")
    );
    for problem in items(document["problems"].get()) {
        assert_eq!(
            ordered(problem.get()).keys().collect::<Vec<_>>(),
            ["path", "message"]
        );
    }
    assert_eq!(
        checked.error_line(),
        format!("error: 5 problem(s) in the configuration from {file}")
    );

    // The default file of a Rails root, as a table.
    let table = run_in(dir.path(), &["config", "check"]).expect(2);
    assert!(table.stdout.starts_with("PATH  "), "{}", table.stdout);
    for path in expected {
        assert!(table.stdout.contains(&format!("\n{path}  ")), "{path}");
    }

    for text in [
        &checked.stdout,
        &checked.stderr,
        &table.stdout,
        &table.stderr,
    ] {
        assert!(!text.contains("s3cr3t"), "a password in {text}");
    }
}

#[test]
fn config_check_passes_a_good_file() {
    let dir = rails_root(&good("redis://127.0.0.1:1/4"));
    let json = run_in(dir.path(), &["config", "check", "--json"]).expect(0);
    assert_eq!(
        json.stdout,
        "{\"ok\":true,\"source\":\"config/settings.yml\",\"problems\":[]}\n"
    );
    assert_eq!(json.stderr, "");

    let other = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config/settings.yml");
    let file = file.to_str().expect("UTF-8 path");
    let human = run_in(other.path(), &["--config", file, "config", "check"]).expect(0);
    assert_eq!(
        human.stdout,
        format!("ok: the configuration from {file} is valid\n")
    );
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file() {
    let server = gem_store();
    let mut down = RedisServer::start();
    let down_url = down.url();
    down.stop();

    // The file names a server that is down; REDIS_URL the one that is up.
    let dir = rails_root(&good(&down_url));
    let from_file = run_in(dir.path(), &["stats"]).expect(3);
    assert!(from_file.error_line().contains(&down_url));

    let env = with_env(dir.path(), &server.url(), &["stats", "--json"]).expect(0);
    assert_eq!(env.json()["total_sessions"], 4);

    let flag = with_env(
        dir.path(),
        &server.url(),
        &["--redis-url", &down_url, "stats"],
    );
    assert!(flag.expect(3).error_line().contains(&down_url));
}

/// Runs the binary with `REDIS_URL` set to `url`.
fn with_env(dir: &Path, url: &str, args: &[&str]) -> Run {
    let output = command(dir)
        .env("REDIS_URL", url)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8"),
    }
}

#[test]
fn redis_down_exits_with_3_and_one_line() {
    let mut server = RedisServer::start();
    let port = server.port();
    server.stop();
    let url = format!("redis://:s3cr3t@127.0.0.1:{port}/0");
    let dir = tempfile::tempdir().expect("temp dir");

    for args in [
        &["stats"][..],
        &["--json", "sessions", "list"],
        &["users", "list", "--json"],
        &["user", "revoke-all", ALICE, "--yes"],
    ] {
        let down = run_in(
            dir.path(),
            &[&["--redis-url", url.as_str()][..], args].concat(),
        );
        let down = down.expect(3);
        assert_eq!(down.stdout, "");
        let line = down.error_line();
        let expected = format!("error: cannot connect to redis://:***@127.0.0.1:{port}/0: ");
        assert!(line.starts_with(&expected), "{line}");
        assert!(line.contains("unavailable"), "{line}");
    }
}

#[test]
fn usage_errors_exit_with_2_and_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing here needs Redis: usage is checked before connecting.
    let dead = "redis://127.0.0.1:1/0";
    let nearly_an_id = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    let cases: [(&[&str], &str); 8] = [
        (
            &["sessions", "count", "--stage", "signed_in"],
            "invalid value 'signed_in' for '--stage <STAGE>'",
        ),
        (&["sessions", "list", "--limit", "0"], "at least 1"),
        (
            &["user", "sessions", "not-a-uuid"],
            "<UUID> is not a user uuid",
        ),
        (
            &["sessions", "show", nearly_an_id],
            "neither a public id (32 lowercase hex characters) nor a handle",
        ),
        (
            &["user", "revoke", ALICE, "h_1"],
            "<HANDLE> number 1 is not a handle",
        ),
        (&["sessions", "delete", NO_SUCH_HANDLE], "without --yes"),
        (&["user", "revoke-all", ALICE, "--json"], "without --yes"),
        (&["stats", "recount"], "unrecognized subcommand 'recount'"),
    ];
    for (args, message) in cases {
        let failed = run_in(dir.path(), &[&["--redis-url", dead][..], args].concat());
        let failed = failed.expect(2);
        assert_eq!(failed.stdout, "", "{args:?}");
        let line = failed.error_line();
        assert!(line.contains(message), "{args:?}: {line}");
        assert!(!line.to_lowercase().contains(&nearly_an_id.to_lowercase()));
    }
}

#[test]
fn a_configuration_problem_exits_with_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let no_url = run_in(dir.path(), &["stats"]).expect(2);
    let line = no_url.error_line();
    assert!(
        line.starts_with(
            "error: invalid configuration from environment: session_store.redis_options.url: \
             is required"
        ),
        "{line}"
    );

    let root = rails_root(BAD);
    let bad = run_in(root.path(), &["--json", "sessions", "count"]).expect(2);
    assert_eq!(bad.stdout, "");
    assert!(
        bad.error_line()
            .contains("(and 4 more; run `rels-session config check`)")
    );
    assert!(!bad.stderr.contains("s3cr3t"));
}

#[test]
fn help_says_what_each_command_does_with_an_example() {
    let dir = tempfile::tempdir().expect("temp dir");
    let show = run_in(dir.path(), &["sessions", "show", "--help"]).expect(0);
    assert!(show.stdout.starts_with("Show one session's stored payload"));
    assert!(show.stdout.contains("found by scanning"));
    assert!(
        show.stdout
            .contains("Example:\n  rels-session sessions show h_")
    );

    let top = run_in(dir.path(), &["--help"]).expect(0);
    assert!(top.stdout.contains("Exit codes: 0 done; 1 not found"));
}
