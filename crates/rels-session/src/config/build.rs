//! Checking the merged raw values and assembling [`Settings`] from them,
//! with defaults for what is not set.

use serde_norway::Value;

use super::{
    CONNECT_TIMEOUT, DEFAULT_EXPIRES_AFTER, DEFAULT_SCAN_COUNT, Namespace, PoolSettings, Problem,
    READ_TIMEOUT, RECONNECT_ATTEMPTS, REQUEST_TIMEOUT, RedisSettings, Serializer, Settings,
    WRITE_TIMEOUT, convert,
    fields::{self, Layer, Origin, Raw},
};

/// Checks one raw value; the error is the problem's message.
type Check<T> = fn(&Value) -> Result<T, String>;

/// Reads typed settings out of a merged [`Layer`], recording a problem
/// for every value that does not fit its setting.
pub(super) struct Reader<'a> {
    layer: &'a Layer,
    problems: &'a mut Vec<Problem>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(layer: &'a Layer, problems: &'a mut Vec<Problem>) -> Self {
        Self { layer, problems }
    }

    /// The whole settings, or `None` when a setting is missing or not
    /// valid; every problem found is recorded either way. Without a file
    /// the namespace defaults to the gem's.
    pub(super) fn settings(&mut self, has_file: bool) -> Option<Settings> {
        let application_name = self.optional("application_name", convert::text);
        let sid_type = self.optional("sid_type", convert::sid_type);
        let expires_after = self.optional("expires_after", convert::whole_seconds);
        let redis = self.redis(has_file);
        let pool = self.pool();
        Some(Settings {
            application_name,
            redis: redis?,
            pool,
            sid_type: sid_type.unwrap_or_default(),
            expires_after: expires_after.unwrap_or(DEFAULT_EXPIRES_AFTER),
            scan_count: DEFAULT_SCAN_COUNT,
            serializer: Serializer::Json,
        })
    }

    fn redis(&mut self, has_file: bool) -> Option<RedisSettings> {
        let url = self.required("redis_options.url", convert::url);
        let namespace = self.namespace(has_file);
        let seconds = |reader: &mut Self, field, default| {
            reader.optional(field, convert::seconds).unwrap_or(default)
        };
        // `url` and `namespace` are unwrapped last, so that the other
        // settings are checked even when those two are missing.
        Some(RedisSettings {
            connect_timeout: seconds(self, "redis_options.connect_timeout", CONNECT_TIMEOUT),
            read_timeout: seconds(self, "redis_options.read_timeout", READ_TIMEOUT),
            write_timeout: seconds(self, "redis_options.write_timeout", WRITE_TIMEOUT),
            reconnect_attempts: self
                .optional("redis_options.reconnect_attempts", convert::count)
                .unwrap_or(RECONNECT_ATTEMPTS),
            request_timeout: seconds(self, "redis_options.request_timeout", REQUEST_TIMEOUT),
            ca_file: self.optional("redis_options.ssl_params.ca_file", convert::path),
            sentinel_username: self.optional("redis_options.sentinel_username", convert::text),
            sentinel_password: self.optional("redis_options.sentinel_password", convert::secret),
            url: url?,
            namespace: namespace?,
        })
    }

    /// The namespace; a file must name it, but the environment alone may
    /// leave it to the gem's default (SPEC 1.7).
    fn namespace(&mut self, has_file: bool) -> Option<Namespace> {
        let field = "redis_options.namespace";
        if has_file || self.layer.contains_key(field) {
            return self.required(field, convert::namespace);
        }
        Some(Namespace::default_gem())
    }

    fn pool(&mut self) -> PoolSettings {
        let defaults = PoolSettings::default();
        let size = self.optional("connection_pool_options.size", convert::positive_count);
        let timeout = self.optional("connection_pool_options.timeout", convert::seconds);
        let max_in_flight = self.optional(
            "connection_pool_options.max_in_flight",
            convert::positive_count,
        );
        PoolSettings {
            size: size.unwrap_or(defaults.size),
            timeout: timeout.unwrap_or(defaults.timeout),
            max_in_flight: max_in_flight.or(defaults.max_in_flight),
        }
    }

    /// The setting at `field`, which must be set.
    fn required<T>(&mut self, field: &'static str, check: Check<T>) -> Option<T> {
        if !self.layer.contains_key(field) {
            let variable = fields::env_hint(field);
            let why = format!("is required: set it in the file or with {variable}");
            let problem = Problem::new(format!("session_store.{field}"), why);
            self.problems.push(problem);
        }
        self.optional(field, check)
    }

    /// The setting at `field`, or `None` when it is not set or not valid.
    fn optional<T>(&mut self, field: &'static str, check: Check<T>) -> Option<T> {
        let layer: &'a Layer = self.layer;
        let raw = layer.get(field)?;
        let checked = if is_erb(raw) {
            Err(erb_message(field))
        } else {
            check(&raw.value)
        };
        checked.map_err(|why| self.report(raw, why)).ok()
    }

    fn report(&mut self, raw: &Raw, why: String) {
        let problem = Problem::new(raw.origin.to_string(), why);
        self.problems.push(problem);
    }
}

/// Whether a value from the file is an ERB template such as
/// `<%= ENV["REDIS_URL"] %>`, which Rails would have evaluated.
fn is_erb(raw: &Raw) -> bool {
    let from_file = matches!(raw.origin, Origin::File(_));
    from_file && raw.value.as_str().is_some_and(|text| text.contains("<%"))
}

fn erb_message(field: &str) -> String {
    let variable = fields::env_hint(field);
    format!(
        "looks like ERB, which rels-session does not evaluate; \
         set {variable} in the environment instead"
    )
}
