//! Paths to files that live in the workspace rather than in this crate.

use std::path::{Path, PathBuf};

/// The root of the Cargo workspace (the directory holding `tests/`).
///
/// # Example
///
/// ```
/// let root = rels_session_testkit::workspace_root();
/// assert!(root.join("Cargo.toml").is_file());
/// ```
pub fn workspace_root() -> PathBuf {
    // This crate lives at `<root>/crates/rels-session-testkit`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the testkit manifest sits two levels below the workspace root")
        .to_path_buf()
}

/// The path of `tests/fixtures/<name>` at the workspace root.
///
/// The fixtures are copies of data observed by running the gem; the file
/// itself says what it holds in its `about` field.
///
/// # Example
///
/// ```
/// let path = rels_session_testkit::fixture_path("gem_dump.json");
/// assert!(path.is_file());
/// ```
pub fn fixture_path(name: &str) -> PathBuf {
    workspace_root().join("tests").join("fixtures").join(name)
}

/// Reads and parses the JSON fixture `tests/fixtures/<name>`.
///
/// # Panics
///
/// When the file cannot be read or is not JSON.
///
/// # Example
///
/// ```
/// let dump = rels_session_testkit::read_fixture("gem_dump.json");
/// assert!(dump["keys"].is_array());
/// ```
pub fn read_fixture(name: &str) -> serde_json::Value {
    read_json(&fixture_path(name))
}

/// Reads and parses a JSON file, panicking with its path on failure.
pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not valid JSON: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_found_from_the_workspace_root() {
        let root = workspace_root();

        assert!(root.join("Cargo.toml").is_file());
        assert_eq!(
            fixture_path("gem_dump.json"),
            root.join("tests/fixtures/gem_dump.json")
        );
        assert!(read_fixture("edge_payloads.json")["cases"].is_array());
    }
}
