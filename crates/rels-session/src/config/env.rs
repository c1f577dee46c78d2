//! Reading the environment: `REDIS_URL`, the `RELS_SESSION__*` variables
//! (one per setting), and the gem's `RELS_SESSION_SCAN_COUNT` and
//! `RELS_SESSION_SERIALIZER`.
//!
//! An empty variable counts as not set, as container tools often define
//! variables with no value.

use std::num::NonZeroU32;

use serde_norway::Value;

use super::{
    DEFAULT_SCAN_COUNT, Problem, Serializer,
    fields::{self, Layer, Origin, Raw},
};

/// The usual variable for the Redis URL, beaten by
/// `RELS_SESSION__REDIS_OPTIONS__URL`.
const REDIS_URL: &str = "REDIS_URL";

/// Prefix of the variables that name a setting.
const PREFIX: &str = "RELS_SESSION__";

/// The gem's variable for the `SCAN` `COUNT`.
const SCAN_COUNT: &str = "RELS_SESSION_SCAN_COUNT";

/// The gem's variable for the serializer.
const SERIALIZER: &str = "RELS_SESSION_SERIALIZER";

/// The variables of the process that concern us.
pub(super) fn process(problems: &mut Vec<Problem>) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        // A name that is not UTF-8 cannot be one of ours.
        let Ok(name) = name.into_string() else {
            continue;
        };
        if !is_ours(&name) {
            continue;
        }
        match value.into_string() {
            Ok(value) => vars.push((name, value)),
            Err(_) => problems.push(Problem::new(format!("env {name}"), "is not valid UTF-8")),
        }
    }
    vars
}

fn is_ours(name: &str) -> bool {
    [REDIS_URL, SCAN_COUNT, SERIALIZER].contains(&name) || name.starts_with(PREFIX)
}

/// The raw settings that the variables give.
pub(super) fn layer(vars: &[(String, String)], problems: &mut Vec<Problem>) -> Layer {
    let mut layer = Layer::new();
    for (name, text) in vars {
        if let Some(path) = name.strip_prefix(PREFIX) {
            setting(name, path, text, &mut layer, problems);
        }
    }
    if let Some(url) = lookup(vars, REDIS_URL) {
        let origin = Origin::Env(REDIS_URL.to_owned());
        let raw = Raw::new(Value::from(url), origin);
        layer.entry("redis_options.url").or_insert(raw);
    }
    layer
}

/// Takes one `RELS_SESSION__` variable; `path` is its name after the
/// prefix.
fn setting(name: &str, path: &str, text: &str, layer: &mut Layer, problems: &mut Vec<Problem>) {
    let dotted = path.to_ascii_lowercase().replace("__", ".");
    // Compared with the canonical name, so that a lower-case or oddly
    // joined variable is reported rather than half-recognised.
    let field = fields::field(&dotted).filter(|field| fields::env_name(field) == name);
    let Some(field) = field else {
        problems.push(Problem::new(format!("env {name}"), unknown(name, &dotted)));
        return;
    };
    if let Some(value) = value(field, text) {
        let origin = Origin::Env(name.to_owned());
        layer.insert(field, Raw::new(value, origin));
    }
}

fn unknown(name: &str, dotted: &str) -> String {
    if fields::is_section(dotted) && fields::env_name(dotted) == name {
        let example = fields::env_name("redis_options.url");
        return format!(
            "names a section, not a setting; set one setting per variable, as in {example}"
        );
    }
    format!("is not a setting: there is no session_store.{dotted}")
}

/// The value of a variable: text settings verbatim, others read as a YAML
/// scalar, so that `10` is a number and `1.5` a float.
fn value(field: &str, text: &str) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    if fields::is_text(field) {
        return Some(Value::from(text));
    }
    match serde_norway::from_str::<Value>(text) {
        Ok(scalar @ (Value::Bool(_) | Value::Number(_) | Value::String(_))) => Some(scalar),
        // Anything else stays text, which the check then rejects with the
        // variable's name.
        _ => Some(Value::from(text)),
    }
}

/// `RELS_SESSION_SCAN_COUNT`, or 50 when it is absent or not a positive
/// integer, as in the gem.
pub(super) fn scan_count(vars: &[(String, String)]) -> NonZeroU32 {
    let Some(text) = lookup(vars, SCAN_COUNT) else {
        return DEFAULT_SCAN_COUNT;
    };
    match text.trim().parse::<NonZeroU32>() {
        Ok(count) => count,
        Err(_) => {
            tracing::warn!(
                variable = SCAN_COUNT,
                "not a positive integer; using the default SCAN COUNT of 50"
            );
            DEFAULT_SCAN_COUNT
        }
    }
}

/// `RELS_SESSION_SERIALIZER`: `json`, `oj` (the gem's faster serializer,
/// which writes the same JSON, so a Rails environment that sets it can be
/// shared as it is) or nothing.
pub(super) fn serializer(vars: &[(String, String)], problems: &mut Vec<Problem>) -> Serializer {
    let Some(text) = lookup(vars, SERIALIZER) else {
        return Serializer::Json;
    };
    let text = text.trim();
    if !text.eq_ignore_ascii_case("json") && !text.eq_ignore_ascii_case("oj") {
        let why = "must be json or oj: both name the gem's JSON format, \
                   the only one rels-session reads and writes";
        problems.push(Problem::new(format!("env {SERIALIZER}"), why));
    }
    Serializer::Json
}

/// The value of a variable that is set and not empty; the last one wins.
fn lookup<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn layer_of(list: &[(&str, &str)]) -> (Layer, Vec<Problem>) {
        let mut problems = Vec::new();
        (layer(&vars(list), &mut problems), problems)
    }

    #[test]
    fn each_setting_has_a_variable() {
        let (layer, problems) = layer_of(&[
            (
                "RELS_SESSION__REDIS_OPTIONS__SSL_PARAMS__CA_FILE",
                "/ca.pem",
            ),
            ("RELS_SESSION__CONNECTION_POOL_OPTIONS__SIZE", "10"),
            ("RELS_SESSION__SID_TYPE", "public_id"),
            ("RELS_SESSION__REDIS_OPTIONS__READ_TIMEOUT", "1.5"),
        ]);
        assert_eq!(problems, []);
        let ca = &layer["redis_options.ssl_params.ca_file"];
        assert_eq!(ca.value, Value::from("/ca.pem"));
        let origin = "env RELS_SESSION__REDIS_OPTIONS__SSL_PARAMS__CA_FILE";
        assert_eq!(ca.origin.to_string(), origin);
        assert_eq!(layer["connection_pool_options.size"].value, Value::from(10));
        assert_eq!(layer["sid_type"].value, Value::from("public_id"));
        assert_eq!(layer["redis_options.read_timeout"].value, Value::from(1.5));
    }

    #[test]
    fn text_settings_are_taken_verbatim() {
        let password = "*p@ss #1: 'x'";
        let (layer, _) = layer_of(&[("RELS_SESSION__REDIS_OPTIONS__SENTINEL_PASSWORD", password)]);
        let value = &layer["redis_options.sentinel_password"].value;
        assert_eq!(value, &Value::from(password));
    }

    #[test]
    fn the_specific_url_variable_beats_redis_url() {
        let specific = ("RELS_SESSION__REDIS_OPTIONS__URL", "redis://b");
        for list in [
            [("REDIS_URL", "redis://a"), specific],
            [specific, ("REDIS_URL", "redis://a")],
        ] {
            let (layer, _) = layer_of(&list);
            assert_eq!(layer["redis_options.url"].value, Value::from("redis://b"));
        }
        let (layer, _) = layer_of(&[("REDIS_URL", "redis://a")]);
        assert_eq!(
            layer["redis_options.url"].origin.to_string(),
            "env REDIS_URL"
        );
    }

    #[test]
    fn unknown_and_misspelt_variables_are_problems() {
        let (layer, problems) = layer_of(&[
            ("RELS_SESSION__REDIS_OPTIONS__NAMESPAC", "x"),
            ("RELS_SESSION__REDIS_OPTIONS", "x"),
            ("RELS_SESSION__redis_options__url", "x"),
            ("RELS_SESSION__REDIS_OPTIONS____URL", "x"),
            ("RELS_SESSION_OTHER", "ignored"),
            ("PATH", "/bin"),
        ]);
        assert!(layer.is_empty());
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        let expected = [
            "env RELS_SESSION__REDIS_OPTIONS__NAMESPAC",
            "env RELS_SESSION__REDIS_OPTIONS",
            "env RELS_SESSION__redis_options__url",
            "env RELS_SESSION__REDIS_OPTIONS____URL",
        ];
        assert_eq!(paths, expected);
        assert!(problems[1].message.contains("names a section"));
    }

    #[test]
    fn empty_variables_count_as_not_set() {
        let (layer, problems) = layer_of(&[("REDIS_URL", ""), ("RELS_SESSION__SID_TYPE", "")]);
        assert!(layer.is_empty());
        assert_eq!(problems, []);
    }

    #[test]
    fn scan_count_falls_back_to_fifty() {
        for text in ["0", "-3", "abc", "1.5", "", "99999999999"] {
            let count = scan_count(&vars(&[(SCAN_COUNT, text)]));
            assert_eq!(count.get(), 50, "{text:?}");
        }
        assert_eq!(scan_count(&[]).get(), 50);
        assert_eq!(scan_count(&vars(&[(SCAN_COUNT, "1000")])).get(), 1000);
    }

    #[test]
    fn only_the_gems_json_serializers_exist() {
        for text in ["json", "JSON", "oj", ""] {
            let mut problems = Vec::new();
            serializer(&vars(&[(SERIALIZER, text)]), &mut problems);
            assert_eq!(problems, [], "{text:?}");
        }
        let mut problems = Vec::new();
        serializer(&vars(&[(SERIALIZER, "marshal")]), &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "env RELS_SESSION_SERIALIZER");
        assert!(problems[0].message.contains("json or oj"));
    }
}
