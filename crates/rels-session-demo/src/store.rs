//! Which store the demo keeps sessions in: Redis, shared with the Rails
//! apps, when settings say where it is; else this process's memory.

use std::path::Path;

use rels_session::{LoadOptions, Settings, Store};

/// Opens the store the settings choose. With a settings file, or
/// `REDIS_URL` or `RELS_SESSION__REDIS_OPTIONS__URL` in the environment,
/// it connects to Redis; otherwise sessions live in memory, and a log line
/// says they are not shared.
///
/// # Errors
///
/// [`rels_session::Error`] when the settings are wrong or Redis cannot be
/// reached.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), rels_session::Error> {
/// let store = rels_session_demo::open_store(None).await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
pub async fn open_store(config: Option<&Path>) -> Result<Store, rels_session::Error> {
    if config.is_none() && !redis_in_env() {
        tracing::warn!(
            "no REDIS_URL and no --config: sessions live in this process's memory \
             and are not shared with Rails apps or other processes"
        );
        return Ok(Store::memory());
    }
    let options = match config {
        Some(file) => LoadOptions::new().with_file(file),
        None => LoadOptions::new(),
    };
    let settings = Settings::load_with(&options)?;
    tracing::info!(
        redis = %settings.redis.url.redacted(),
        namespace = settings.redis.namespace.as_str(),
        "sessions live in Redis, shared with the Rails apps that use it"
    );
    Store::connect(&settings).await
}

fn redis_in_env() -> bool {
    ["REDIS_URL", "RELS_SESSION__REDIS_OPTIONS__URL"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}
