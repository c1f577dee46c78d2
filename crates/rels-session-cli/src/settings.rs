//! Loading the configuration as the global options say, and connecting to
//! Redis with it.
//!
//! The file is `--config`, else `config/settings.yml` when it exists (run
//! from a Rails app's root, the CLI finds the app's settings), else none:
//! the environment alone. The library does the rest: the environment beats
//! the file, `--redis-url` and `--namespace` beat both.

use std::path::{Path, PathBuf};

use rels_session::{LoadOptions, Settings, Store, Users};

use crate::cli::Global;
use crate::exit::Failure;

/// Where a Rails app keeps its settings, relative to its root.
const DEFAULT_FILE: &str = "config/settings.yml";

/// What to load settings from: `file` (as `config check FILE` gives it)
/// beats `--config`, which beats the default file when it exists.
pub(crate) fn load_options(global: &Global, file: Option<&Path>) -> LoadOptions {
    let mut options = LoadOptions::new();
    if let Some(file) = chosen_file(global, file) {
        options = options.with_file(file);
    }
    if let Some(url) = &global.redis_url {
        options = options.with_redis_url(url.as_str());
    }
    if let Some(namespace) = &global.namespace {
        options = options.with_namespace(namespace.as_str());
    }
    options
}

fn chosen_file(global: &Global, file: Option<&Path>) -> Option<PathBuf> {
    if let Some(file) = file.or(global.config.as_deref()) {
        return Some(file.to_path_buf());
    }
    let default = Path::new(DEFAULT_FILE);
    default.is_file().then(|| default.to_path_buf())
}

/// The name a configuration's problems are reported under: the file, or
/// `environment` without one (as the library names it).
pub(crate) fn source_name(options: &LoadOptions) -> String {
    options.file.as_ref().map_or_else(
        || "environment".to_owned(),
        |file| file.display().to_string(),
    )
}

/// Loads the settings and connects to Redis.
///
/// # Errors
///
/// [`Failure::Config`] when the configuration has problems, and
/// [`Failure::Connect`] when Redis cannot be reached or refuses us.
pub(crate) async fn connect(global: &Global) -> Result<Store, Failure> {
    let settings = Settings::load_with(&load_options(global, None)).map_err(Failure::Config)?;
    Store::connect(&settings)
        .await
        .map_err(|source| Failure::Connect {
            url: settings.redis.url.redacted(),
            source,
        })
}

/// [`connect`], for the per-user commands.
pub(crate) async fn connect_users(global: &Global) -> Result<Users, Failure> {
    Ok(Users::new(connect(global).await?))
}
