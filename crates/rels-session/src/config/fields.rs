//! The settings below `session_store`, by name, and the raw values that a
//! load gathers for them from the file, the environment and the options
//! before checking them.

use std::{collections::BTreeMap, fmt};

use serde_norway::Value;

/// Every setting below `session_store`, as a dotted path.
pub(super) const FIELDS: &[&str] = &[
    "application_name",
    "sid_type",
    "expires_after",
    "redis_options.url",
    "redis_options.namespace",
    "redis_options.connect_timeout",
    "redis_options.read_timeout",
    "redis_options.write_timeout",
    "redis_options.reconnect_attempts",
    "redis_options.request_timeout",
    "redis_options.ssl_params.ca_file",
    "redis_options.sentinel_username",
    "redis_options.sentinel_password",
    "connection_pool_options.size",
    "connection_pool_options.timeout",
    "connection_pool_options.max_in_flight",
];

/// The mappings that group settings.
pub(super) const SECTIONS: &[&str] = &[
    "redis_options",
    "redis_options.ssl_params",
    "connection_pool_options",
];

/// Settings whose value is free text. The environment gives these
/// verbatim rather than as YAML, so that a password such as `a #1` or
/// `*x` arrives whole.
const TEXT_FIELDS: &[&str] = &[
    "application_name",
    "redis_options.url",
    "redis_options.namespace",
    "redis_options.ssl_params.ca_file",
    "redis_options.sentinel_username",
    "redis_options.sentinel_password",
];

/// The setting at `path`, if there is one.
pub(super) fn field(path: &str) -> Option<&'static str> {
    FIELDS.iter().copied().find(|field| *field == path)
}

/// Whether `path` names a section rather than a setting.
pub(super) fn is_section(path: &str) -> bool {
    SECTIONS.contains(&path)
}

/// Whether the setting holds free text.
pub(super) fn is_text(field: &str) -> bool {
    TEXT_FIELDS.contains(&field)
}

/// The environment variable for a setting or section:
/// `redis_options.url` gives `RELS_SESSION__REDIS_OPTIONS__URL`.
pub(super) fn env_name(path: &str) -> String {
    format!(
        "RELS_SESSION__{}",
        path.to_ascii_uppercase().replace('.', "__")
    )
}

/// The variable to suggest for a setting in messages: `REDIS_URL` for the
/// URL, as everyone knows it.
pub(super) fn env_hint(field: &str) -> String {
    match field {
        "redis_options.url" => "REDIS_URL".to_owned(),
        _ => env_name(field),
    }
}

/// The names of the settings and sections directly in the section at
/// `prefix` (`""` for `session_store`, else ending with `.`), for messages.
pub(super) fn children(prefix: &str) -> String {
    let names: Vec<&str> = FIELDS
        .iter()
        .chain(SECTIONS)
        .filter_map(|path| path.strip_prefix(prefix))
        .filter(|name| !name.contains('.'))
        .collect();
    names.join(", ")
}

/// What kind of YAML value this is, for messages. Never the value itself,
/// which could be a password.
pub(super) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Where a raw value came from; its `Display` is the path of problems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// The setting of this name in the file.
    File(&'static str),
    /// This environment variable.
    Env(String),
    /// The [`LoadOptions`](super::LoadOptions) field of this name.
    Option(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(field) => write!(f, "session_store.{field}"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::Option(name) => write!(f, "option {name}"),
        }
    }
}

/// A value for one setting, not yet checked.
#[derive(Clone, Debug)]
pub(super) struct Raw {
    pub(super) value: Value,
    pub(super) origin: Origin,
}

impl Raw {
    pub(super) fn new(value: Value, origin: Origin) -> Self {
        Self { value, origin }
    }
}

/// The raw value of each setting given by one source, or by all of them
/// once merged.
pub(super) type Layer = BTreeMap<&'static str, Raw>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_section_as_parent() {
        for path in FIELDS.iter().chain(SECTIONS) {
            if let Some((parent, _)) = path.rsplit_once('.') {
                assert!(is_section(parent), "{path}");
            }
        }
    }

    #[test]
    fn env_names_join_segments_with_double_underscores() {
        let name = env_name("redis_options.ssl_params.ca_file");
        assert_eq!(name, "RELS_SESSION__REDIS_OPTIONS__SSL_PARAMS__CA_FILE");
        assert_eq!(env_name("sid_type"), "RELS_SESSION__SID_TYPE");
    }

    #[test]
    fn children_lists_one_level() {
        assert_eq!(
            children("connection_pool_options."),
            "size, timeout, max_in_flight"
        );
        assert_eq!(children("redis_options.ssl_params."), "ca_file");
        let top = children("");
        assert_eq!(
            top,
            "application_name, sid_type, expires_after, redis_options, \
             connection_pool_options"
        );
    }
}
