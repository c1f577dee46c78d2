//! The link without the `tls` feature: settings that ask for TLS are
//! refused with a clear error.

use redis::sentinel::SentinelClientBuilder;
use redis::{Client, ConnectionInfo, RedisError, RedisResult};

use crate::config::RedisSettings;

/// The placeholder for certificates when TLS is compiled out.
pub(super) enum NoCerts {}

/// Nothing to install: `tls` settings are refused below.
pub(super) fn ensure_crypto_provider() {}

fn refuse<T>(settings: &RedisSettings) -> RedisResult<T> {
    let _ = settings;
    Err(RedisError::from((
        redis::ErrorKind::InvalidClientConfig,
        "TLS was requested but rels-session was built without its `tls` feature",
    )))
}

pub(super) fn certificates(settings: &RedisSettings) -> RedisResult<Option<NoCerts>> {
    if settings.url.tls {
        refuse(settings)
    } else {
        Ok(None)
    }
}

pub(super) fn client_with(_: ConnectionInfo, certs: NoCerts) -> RedisResult<Client> {
    match certs {}
}

pub(super) fn sentinel(
    builder: SentinelClientBuilder,
    settings: &RedisSettings,
) -> RedisResult<SentinelClientBuilder> {
    if settings.url.tls {
        refuse(settings)
    } else {
        Ok(builder)
    }
}

pub(super) fn cluster(
    builder: redis::cluster::ClusterClientBuilder,
    settings: &RedisSettings,
) -> RedisResult<redis::cluster::ClusterClientBuilder> {
    if settings.url.tls {
        refuse(settings)
    } else {
        Ok(builder)
    }
}
