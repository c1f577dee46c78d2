//! Runs the Ruby script that plays the part of a Rails app using the gem.

use std::process::Command;

use crate::fixtures::workspace_root;

/// Runs `ruby tests/ruby/gem_session.rb <args>` and returns its standard
/// output, trailing newline included.
///
/// The script writes and reads sessions exactly as the `rels_session` gem
/// does (`write`, `read` and `new-id`; see the header of the script). The
/// Ruby interpreter is `$RELS_TEST_RUBY`, or `ruby` on the `PATH`.
///
/// # Panics
///
/// When Ruby cannot be started or the script fails; the message holds the
/// script's standard error.
///
/// # Example
///
/// ```
/// use rels_session_testkit::{RedisServer, ruby_gem};
///
/// let server = RedisServer::start();
/// let url = server.url();
/// let id = ruby_gem(&["new-id"]).trim_end().to_owned();
/// let session = ["--url", &url, "--namespace", "rels:session", "--id", &id];
/// ruby_gem(&[&["write", "--json", r#"{"a":1}"#][..], &session].concat());
/// let read = ruby_gem(&[&["read"][..], &session].concat());
/// assert_eq!(read, "{\"a\":1}\n");
/// ```
pub fn ruby_gem(args: &[&str]) -> String {
    let ruby = std::env::var_os("RELS_TEST_RUBY").unwrap_or_else(|| "ruby".into());
    let script = workspace_root().join("tests/ruby/gem_session.rb");
    let output = Command::new(&ruby)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", ruby.to_string_lossy()));

    if !output.status.success() {
        panic!(
            "gem_session.rb {args:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout)
        .unwrap_or_else(|err| panic!("gem_session.rb {args:?} printed non-UTF-8: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RedisServer;

    #[test]
    fn the_gem_script_writes_both_keys_and_reads_them_back() {
        let server = RedisServer::start();
        let url = server.url();
        let id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let session = ["--url", &url, "--namespace", "NS", "--id", id];

        let json = r#"{"a":1,"gone":null,"b":{"n":null},"s":"日本/x"}"#;
        let written =
            ruby_gem(&[&["write", "--ttl", "100", "--json", json][..], &session].concat());
        let read = ruby_gem(&[&["read"][..], &session].concat());

        assert_eq!(written, "");
        assert_eq!(read, "{\"a\":1,\"b\":{\"n\":null},\"s\":\"日本/x\"}\n");
        let private = "NS:2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547";
        let keys: Vec<String> = server.dump("NS:*")["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["key"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            keys,
            [
                private,
                "NS:2:secure_store_enabled",
                "NS:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            ]
        );
    }

    #[test]
    fn the_gem_script_reads_a_missing_session_as_null() {
        let server = RedisServer::start();
        let url = server.url();

        let read = ruby_gem(&[
            "read",
            "--url",
            &url,
            "--namespace",
            "NS",
            "--id",
            "missing",
        ]);

        assert_eq!(read, "null\n");
    }

    #[test]
    fn the_gem_script_makes_32_hex_character_ids() {
        let id = ruby_gem(&["new-id"]);

        let id = id.trim_end();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        );
    }
}
