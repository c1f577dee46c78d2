//! TLS for the link, with rustls: the CA of
//! `redis_options.ssl_params.ca_file` and the crypto provider.

use redis::sentinel::SentinelClientBuilder;
use redis::{Client, ConnectionInfo, ErrorKind, RedisError, RedisResult, TlsCertificates, TlsMode};

use crate::config::RedisSettings;

/// rustls needs a crypto provider for the process. The application may
/// have installed one; otherwise ring, which this crate builds rustls
/// with, is installed once. Without this, building a TLS client panics
/// when the application's dependencies enable a second provider.
pub(super) fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may install one first: either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The CA of `ssl_params.ca_file`, when one is set. A file that cannot
/// be read is a mistake in the settings, not an outage.
pub(super) fn certificates(settings: &RedisSettings) -> RedisResult<Option<TlsCertificates>> {
    let Some(path) = &settings.ca_file else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|err| {
        RedisError::from((
            ErrorKind::InvalidClientConfig,
            "cannot read redis_options.ssl_params.ca_file",
            format!("{}: {err}", path.display()),
        ))
    })?;
    Ok(Some(TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    }))
}

pub(super) fn client_with(info: ConnectionInfo, certs: TlsCertificates) -> RedisResult<Client> {
    Client::build_with_tls(info, certs)
}

pub(super) fn sentinel(
    mut builder: SentinelClientBuilder,
    settings: &RedisSettings,
) -> RedisResult<SentinelClientBuilder> {
    if !settings.url.tls {
        return Ok(builder);
    }
    builder = builder
        .set_client_to_redis_tls_mode(TlsMode::Secure)
        .set_client_to_sentinel_tls_mode(TlsMode::Secure);
    if let Some(certs) = certificates(settings)? {
        builder = builder
            .set_client_to_redis_certificates(certs.clone())
            .set_client_to_sentinel_certificates(certs);
    }
    Ok(builder)
}

pub(super) fn cluster(
    mut builder: redis::cluster::ClusterClientBuilder,
    settings: &RedisSettings,
) -> RedisResult<redis::cluster::ClusterClientBuilder> {
    if !settings.url.tls {
        return Ok(builder);
    }
    builder = builder.tls(TlsMode::Secure);
    if let Some(certs) = certificates(settings)? {
        builder = builder.certs(certs);
    }
    Ok(builder)
}
