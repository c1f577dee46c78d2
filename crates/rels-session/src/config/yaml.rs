//! Reading a settings file into raw values.
//!
//! The file is parsed into a generic YAML value and walked by hand, so
//! that every unknown key and misplaced section is reported, not only the
//! first. Values are checked later, once the environment has had its say.

use std::path::Path;

use serde_norway::{Mapping, Value};

use super::{
    Problem,
    fields::{self, Layer, Origin, Raw},
};

/// The only top-level key that is ours.
const SECTION: &str = "session_store";

/// The raw settings of the file at `path`, or `None` when it cannot be
/// read or is not YAML, which is then the one problem reported about it.
pub(super) fn read(path: &Path, problems: &mut Vec<Problem>) -> Option<Layer> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, problems),
        Err(error) => {
            problems.push(Problem::new("", format!("cannot read the file: {error}")));
            None
        }
    }
}

/// The raw settings of a settings file's text, or `None` when the text is
/// not a YAML mapping.
pub(super) fn parse(text: &str, problems: &mut Vec<Problem>) -> Option<Layer> {
    let section = session_store(text)
        .map_err(|problem| problems.push(problem))
        .ok()?;
    let mut layer = Layer::new();
    if let Some(section) = section {
        walk(&section, "", &mut layer, problems);
    }
    Some(layer)
}

/// The `session_store` section, if the file has one.
fn session_store(text: &str) -> Result<Option<Value>, Problem> {
    let root = serde_norway::from_str::<Value>(text).map_err(|error| syntax_problem(&error))?;
    match root {
        // An empty file: the missing settings are reported later.
        Value::Null => Ok(None),
        Value::Mapping(root) => merged_section(&root),
        other => {
            let found = fields::describe(&other);
            let why = format!("the file must be a mapping with a {SECTION} key, found {found}");
            Err(Problem::new("", why))
        }
    }
}

/// The `session_store` section with YAML merge keys (`<<: *defaults`)
/// applied, as Rails does.
fn merged_section(root: &Mapping) -> Result<Option<Value>, Problem> {
    // Only our key and a top-level merge are kept, so that a broken merge
    // in a section that is not ours is not our problem.
    let mut ours = Mapping::new();
    for key in [SECTION, "<<"] {
        if let Some(value) = root.get(key) {
            ours.insert(Value::from(key), value.clone());
        }
    }
    let mut ours = Value::Mapping(ours);
    ours.apply_merge()
        .map_err(|error| Problem::new(SECTION, format!("cannot apply a YAML merge: {error}")))?;
    Ok(ours.get(SECTION).cloned())
}

fn syntax_problem(error: &serde_norway::Error) -> Problem {
    let path = match error.location() {
        Some(at) => format!("line {} column {}", at.line(), at.column()),
        None => String::new(),
    };
    Problem::new(path, format!("is not valid YAML: {error}"))
}

/// Collects the settings of the section at `prefix` (`""` for
/// `session_store`, else ending with `.`).
fn walk(section: &Value, prefix: &str, layer: &mut Layer, problems: &mut Vec<Problem>) {
    let path = format!("{SECTION}.{prefix}");
    let path = path.trim_end_matches('.');
    let entries = match section {
        // `redis_options:` with nothing below it, as YAML allows.
        Value::Null => return,
        Value::Mapping(entries) => entries,
        other => {
            let why = format!("must be a mapping, found {}", fields::describe(other));
            problems.push(Problem::new(path, why));
            return;
        }
    };
    for (key, value) in entries {
        match key.as_str() {
            Some(key) => entry(prefix, key, value, layer, problems),
            None => {
                let why = format!("has a key that is {}, not a string", fields::describe(key));
                problems.push(Problem::new(path, why));
            }
        }
    }
}

/// Takes one `key: value` of the section at `prefix`.
fn entry(prefix: &str, key: &str, value: &Value, layer: &mut Layer, problems: &mut Vec<Problem>) {
    let path = format!("{prefix}{key}");
    // A dotted key such as `redis_options.url` would otherwise pass for a
    // nested one.
    let plain = !key.contains('.');
    if plain && fields::is_section(&path) {
        return walk(value, &format!("{path}."), layer, problems);
    }
    let Some(field) = fields::field(&path).filter(|_| plain) else {
        let why = format!("unknown key; expected one of: {}", fields::children(prefix));
        problems.push(Problem::new(format!("{SECTION}.{path}"), why));
        return;
    };
    // A key with no value counts as not set, as it would in Ruby.
    if !value.is_null() {
        let raw = Raw::new(value.clone(), Origin::File(field));
        layer.insert(field, raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn other_top_level_sections_are_ignored() {
        let text = "defaults: &d\n  x: [1, 2]\nmailer: { host: smtp, <<: 5 }\n\
                    session_store:\n  redis_options:\n    url: redis://h\n";
        let mut problems = Vec::new();
        let layer = parse(text, &mut problems).expect("a mapping");
        assert_eq!(problems, []);
        let url = &layer["redis_options.url"];
        assert_eq!(url.value, Value::from("redis://h"));
        assert_eq!(url.origin.to_string(), "session_store.redis_options.url");
    }

    #[test]
    fn merge_keys_are_applied() {
        let text = "base: &base\n  redis_options:\n    namespace: app\n\
                    session_store:\n  <<: *base\n  sid_type: both\n";
        let mut problems = Vec::new();
        let layer = parse(text, &mut problems).expect("a mapping");
        assert_eq!(problems, []);
        assert_eq!(layer["redis_options.namespace"].value, Value::from("app"));
        assert_eq!(layer["sid_type"].value, Value::from("both"));
    }

    #[test]
    fn unknown_keys_are_reported_at_every_level() {
        let text = "session_store:\n  colour: red\n  redis_options:\n    urll: x\n\
                    \x20   ssl_params: { ca_path: /x }\n  connection_pool_options:\n\
                    \x20   sizes: 1\n";
        let mut problems = Vec::new();
        parse(text, &mut problems);
        let expected = [
            "session_store.colour",
            "session_store.redis_options.urll",
            "session_store.redis_options.ssl_params.ca_path",
            "session_store.connection_pool_options.sizes",
        ];
        assert_eq!(paths(&problems), expected);
        assert!(
            problems[3]
                .message
                .ends_with("expected one of: size, timeout, max_in_flight")
        );
    }

    #[test]
    fn dotted_keys_are_not_nested_keys() {
        let text = "session_store:\n  redis_options.url: redis://h\n";
        let mut problems = Vec::new();
        let layer = parse(text, &mut problems).expect("a mapping");
        assert!(layer.is_empty());
        assert_eq!(paths(&problems), ["session_store.redis_options.url"]);
        assert!(problems[0].message.starts_with("unknown key"));
    }

    #[test]
    fn null_values_count_as_not_set() {
        let text = "session_store:\n  redis_options:\n  application_name:\n";
        let mut problems = Vec::new();
        assert!(parse(text, &mut problems).is_some_and(|layer| layer.is_empty()));
        assert_eq!(problems, []);
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let mut problems = Vec::new();
        assert!(parse("session_store:\n  url: [\n", &mut problems).is_none());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].path.starts_with("line "), "{:?}", problems[0]);
        assert!(problems[0].message.starts_with("is not valid YAML"));
    }
}
