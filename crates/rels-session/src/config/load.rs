//! One load: the file, then the environment, then the options, each
//! beating the one before; then every setting is checked at once.
//!
//! Only the value that wins is checked: a bad value in the file that the
//! environment overrides is not reported. Unknown keys and variables are
//! always reported.

use serde_norway::Value;

use super::{
    ConfigError, LoadOptions, Settings,
    build::Reader,
    env,
    fields::{Layer, Origin, Raw},
    yaml,
};

/// Loads settings as [`Settings::load_with`] describes.
pub(super) fn load(options: &LoadOptions) -> Result<Settings, ConfigError> {
    let mut problems = Vec::new();
    let file = match &options.file {
        Some(path) => yaml::read(path, &mut problems),
        None => Some(Layer::new()),
    };
    let vars = match &options.env {
        Some(vars) => vars.clone(),
        None => env::process(&mut problems),
    };
    let env = env::layer(&vars, &mut problems);
    let serializer = env::serializer(&vars, &mut problems);

    // A file that cannot be read is one problem; the settings it would
    // have held are not reported missing on top of it.
    let settings = file.and_then(|mut layer| {
        layer.extend(env);
        layer.extend(flags(options));
        Reader::new(&layer, &mut problems).settings(options.file.is_some())
    });
    match settings {
        Some(settings) if problems.is_empty() => {
            let scan_count = env::scan_count(&vars);
            Ok(Settings {
                scan_count,
                serializer,
                ..settings
            })
        }
        _ => Err(ConfigError::new(source_name(options), problems)),
    }
}

/// The settings given in the options themselves.
fn flags(options: &LoadOptions) -> Layer {
    let flags = [
        ("redis_options.url", "redis_url", &options.redis_url),
        ("redis_options.namespace", "namespace", &options.namespace),
    ];
    let mut layer = Layer::new();
    for (field, name, text) in flags {
        if let Some(text) = text {
            let raw = Raw::new(Value::from(text.as_str()), Origin::Option(name));
            layer.insert(field, raw);
        }
    }
    layer
}

fn source_name(options: &LoadOptions) -> String {
    match &options.file {
        Some(path) => path.display().to_string(),
        None => "environment".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::{io::Write, path::Path, time::Duration};

    use super::*;
    use crate::config::{SidType, Topology};

    const MINIMAL: &str = "session_store:\n  redis_options:\n    url: redis://localhost:6379/4\n\
                           \x20   namespace: rels:session\n";

    fn from_yaml(text: &str) -> Result<Settings, ConfigError> {
        from_yaml_env(text, &[])
    }

    fn from_yaml_env(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let file = write(text);
        load(
            &LoadOptions::new()
                .with_file(file.path())
                .with_env(env.iter().copied()),
        )
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write temp file");
        file
    }

    fn paths(error: &ConfigError) -> Vec<&str> {
        error.problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn a_minimal_file_gets_every_default() {
        let settings = from_yaml(MINIMAL).expect("valid");
        let expected = Topology::Standalone {
            host: "localhost".into(),
            port: 6379,
            db: 4,
        };
        assert_eq!(settings.redis.url.topology, expected);
        assert_eq!(settings.redis.namespace.as_str(), "rels:session");
        assert_eq!(settings.redis.connect_timeout, Duration::from_secs(20));
        assert_eq!(settings.redis.request_timeout, Duration::from_secs(10));
        assert_eq!(settings.pool.size.get(), 20);
        assert_eq!(settings.pool.max_in_flight, None);
        assert_eq!(settings.expires_after, Duration::from_secs(1_209_600));
        assert_eq!(settings.scan_count.get(), 50);
    }

    #[test]
    fn every_setting_of_the_file_is_read() {
        let text = "\
session_store:
  application_name: Turtle
  sid_type: private_id
  expires_after: 3600
  redis_options:
    url: rediss+sentinel://:pw@s1,s2:26380/main/2
    namespace: turtle:sessions
    connect_timeout: 2.5
    read_timeout: 3
    write_timeout: 4
    reconnect_attempts: 0
    request_timeout: 30
    ssl_params: { ca_file: /etc/ca.pem }
    sentinel_username: watcher
    sentinel_password: s3ntin3l
  connection_pool_options:
    size: 8
    timeout: 0.5
    max_in_flight: 256
";
        let settings = from_yaml(text).expect("valid");
        let redis = &settings.redis;
        assert_eq!(settings.application_name.as_deref(), Some("Turtle"));
        assert_eq!(settings.sid_type, SidType::PrivateId);
        assert_eq!(settings.expires_after, Duration::from_secs(3600));
        assert!(redis.url.tls);
        assert_eq!(redis.namespace.as_str(), "turtle:sessions");
        assert_eq!(redis.connect_timeout, Duration::from_millis(2500));
        assert_eq!(redis.read_timeout, Duration::from_secs(3));
        assert_eq!(redis.write_timeout, Duration::from_secs(4));
        assert_eq!(redis.reconnect_attempts, 0);
        assert_eq!(redis.request_timeout, Duration::from_secs(30));
        assert_eq!(redis.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(redis.sentinel_username.as_deref(), Some("watcher"));
        let sentinel_password = redis.sentinel_password.as_ref().map(|p| p.expose());
        assert_eq!(sentinel_password, Some("s3ntin3l"));
        assert_eq!(settings.pool.size.get(), 8);
        assert_eq!(settings.pool.timeout, Duration::from_millis(500));
        assert_eq!(settings.pool.max_in_flight.map(|n| n.get()), Some(256));
    }

    #[test]
    fn many_problems_are_reported_at_once() {
        let text = "\
session_store:
  sid_type: sometimes
  expires_after: 0
  colour: blue
  redis_options:
    url: http://u:s3cr3t@localhost
    namespace: 'rels session'
    connect_timeout: -1
    reconnect_attempts: 1.5
    ssl_params: /etc/ca.pem
  connection_pool_options:
    size: 0
    timeout: '5'
";
        let error = from_yaml(text).expect_err("invalid");
        let expected = [
            "session_store.colour",
            "session_store.redis_options.ssl_params",
            "session_store.sid_type",
            "session_store.expires_after",
            "session_store.redis_options.url",
            "session_store.redis_options.namespace",
            "session_store.redis_options.connect_timeout",
            "session_store.redis_options.reconnect_attempts",
            "session_store.connection_pool_options.size",
            "session_store.connection_pool_options.timeout",
        ];
        assert_eq!(paths(&error), expected, "{error}");
        assert_eq!(error.to_string().lines().count(), expected.len());
        assert!(!error.to_string().contains("s3cr3t"));
    }

    #[test]
    fn missing_required_settings_are_named() {
        let error = from_yaml("session_store:\n  sid_type: both\n").expect_err("invalid");
        let expected = [
            "session_store.redis_options.url",
            "session_store.redis_options.namespace",
        ];
        assert_eq!(paths(&error), expected);
        assert!(error.problems[0].message.contains("REDIS_URL"));
        assert!(
            error.problems[1]
                .message
                .contains("RELS_SESSION__REDIS_OPTIONS__NAMESPACE")
        );
    }

    #[test]
    fn the_namespace_defaults_only_without_a_file() {
        let options = LoadOptions::new().with_env([("REDIS_URL", "redis://h")]);
        let settings = load(&options).expect("valid");
        assert_eq!(settings.redis.namespace.as_str(), "rels:session");

        let only_url = "session_store:\n  redis_options:\n    url: redis://h\n";
        let error = from_yaml(only_url).expect_err("namespace missing");
        assert_eq!(paths(&error), ["session_store.redis_options.namespace"]);
    }

    #[test]
    fn without_a_file_the_url_is_required() {
        let error =
            load(&LoadOptions::new().with_env(Vec::<(String, String)>::new())).expect_err("no url");
        assert_eq!(error.source_name, "environment");
        assert_eq!(paths(&error), ["session_store.redis_options.url"]);
    }

    #[test]
    fn options_beat_the_environment_which_beats_the_file() {
        let env = [
            ("REDIS_URL", "redis://env-host/1"),
            ("RELS_SESSION__REDIS_OPTIONS__NAMESPACE", "env"),
            ("RELS_SESSION__CONNECTION_POOL_OPTIONS__SIZE", "3"),
        ];
        let file = write(MINIMAL);
        let options = LoadOptions::new().with_file(file.path()).with_env(env);
        let settings = load(&options).expect("valid");
        assert_eq!(settings.redis.url.redacted(), "redis://env-host:6379/1");
        assert_eq!(settings.redis.namespace.as_str(), "env");
        assert_eq!(settings.pool.size.get(), 3);

        let options = options
            .with_redis_url("redis://flag-host")
            .with_namespace("flag");
        let settings = load(&options).expect("valid");
        assert_eq!(settings.redis.url.redacted(), "redis://flag-host:6379/0");
        assert_eq!(settings.redis.namespace.as_str(), "flag");
    }

    #[test]
    fn problems_name_the_source_that_won() {
        let env = [
            ("RELS_SESSION__CONNECTION_POOL_OPTIONS__SIZE", "0"),
            ("RELS_SESSION__SID_TYPE", "maybe"),
            ("RELS_SESSION__EXPIRES_AFTR", "1"),
        ];
        let file = write(MINIMAL);
        let options = LoadOptions::new()
            .with_file(file.path())
            .with_env(env)
            .with_namespace("a b");
        let error = load(&options).expect_err("invalid");
        let expected = [
            "env RELS_SESSION__EXPIRES_AFTR",
            "env RELS_SESSION__SID_TYPE",
            "option namespace",
            "env RELS_SESSION__CONNECTION_POOL_OPTIONS__SIZE",
        ];
        assert_eq!(paths(&error), expected, "{error}");
        assert_eq!(error.source_name, file.path().display().to_string());
    }

    #[test]
    fn an_overridden_bad_value_is_not_reported() {
        let text = format!("{MINIMAL}  connection_pool_options:\n    size: 0\n");
        let env = [("RELS_SESSION__CONNECTION_POOL_OPTIONS__SIZE", "4")];
        let settings = from_yaml_env(&text, &env).expect("the environment wins");
        assert_eq!(settings.pool.size.get(), 4);
    }

    #[test]
    fn the_gem_variables_are_read() {
        let env = [("RELS_SESSION_SCAN_COUNT", "200")];
        assert_eq!(
            from_yaml_env(MINIMAL, &env)
                .expect("valid")
                .scan_count
                .get(),
            200
        );
        let env = [("RELS_SESSION_SCAN_COUNT", "-1")];
        assert_eq!(
            from_yaml_env(MINIMAL, &env)
                .expect("valid")
                .scan_count
                .get(),
            50
        );
        let env = [("RELS_SESSION_SERIALIZER", "oj")];
        assert!(
            from_yaml_env(MINIMAL, &env).is_ok(),
            "oj writes the same JSON"
        );
        let env = [("RELS_SESSION_SERIALIZER", "marshal")];
        let error = from_yaml_env(MINIMAL, &env).expect_err("only JSON");
        assert_eq!(paths(&error), ["env RELS_SESSION_SERIALIZER"]);
    }

    #[test]
    fn erb_in_the_file_is_explained() {
        let text = MINIMAL.replace("redis://localhost:6379/4", "<%= ENV['REDIS_URL'] %>");
        let error = from_yaml(&text).expect_err("ERB");
        assert!(error.problems[0].message.contains("ERB"), "{error}");
        let env = [("REDIS_URL", "redis://h")];
        assert!(from_yaml_env(&text, &env).is_ok());
    }

    #[test]
    fn no_message_contains_a_password() {
        let text = "session_store:\n  redis_options:\n    url: redis://u:s3cr3t@h:x\n\
                    \x20   namespace: ok\n    sentinel_password: 123\n";
        let env = [
            ("RELS_SESSION__REDIS_OPTIONS__SENTINEL_PASSWORD", "s3cr3t"),
            ("RELS_SESSION__REDIS_OPTIONS__SENTINEL_PASSWORDS", "s3cr3t"),
        ];
        let error = from_yaml_env(text, &env).expect_err("invalid");
        assert_eq!(error.problems.len(), 2, "{error}");
        let options = LoadOptions::new()
            .with_env([("REDIS_URL", "redis://:s3cr3t@")])
            .with_redis_url("rediss+cluster://u:s3cr3t@a/2");
        let error2 = load(&options).expect_err("invalid");
        for text in [error.to_string(), format!("{error:?}"), error2.to_string()] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }

    #[test]
    fn an_unreadable_file_is_one_problem() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = LoadOptions::new()
            .with_file(dir.path().join("missing.yml"))
            .with_env([("REDIS_URL", "redis://h")]);
        let error = load(&options).expect_err("missing file");
        assert_eq!(error.problems.len(), 1, "{error}");
        assert_eq!(error.problems[0].path, "");
        assert!(
            error.problems[0]
                .message
                .starts_with("cannot read the file")
        );
    }

    #[test]
    fn weird_yaml_never_panics() {
        let nasty = [
            ("", 2),
            ("~", 2),
            ("- a\n- b\n", 1),
            ("just a string", 1),
            ("42", 1),
            ("session_store:\n", 2),
            ("session_store: null\n", 2),
            ("session_store: [1, 2]\n", 3),
            ("session_store: text\n", 3),
            ("session_store: !tag {a: 1}\n", 3),
            ("? [a, b]\n: c\n", 2),
            ("session_store:\n  ? [a]\n  : b\n  1: 2\n", 4),
            ("session_store:\n  redis_options: [url]\n", 3),
            ("session_store:\n  <<: 5\n", 1),
            ("session_store: &a\n  x: *a\n", 1),
            ("session_store:\n  expires_after: 1e999999\n", 3),
            (
                "session_store:\n  expires_after: 123456789012345678901234567890\n",
                1,
            ),
            ("session_store:\n  application_name: {a: [b, {c: d}]}\n", 3),
            ("a: 1\na: 2\n", 1),
            ("--- 1\n--- 2\n", 1),
            ("session_store:\n  redis_options:\n    url: [\n", 1),
            ("\u{feff}session_store: {}\n", 2),
            (
                "session_store:\n  redis_options:\n    url: \"\\u0000\"\n",
                2,
            ),
            (&"[".repeat(10_000), 1),
            ("a: &a [*a]\n", 1),
        ];
        for (text, count) in nasty {
            let error = from_yaml(text).expect_err(text);
            assert_eq!(error.problems.len(), count, "{text:?}: {error}");
        }
    }
}
