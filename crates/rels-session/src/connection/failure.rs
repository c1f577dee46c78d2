//! What a failed request means: whether another try may succeed, whether
//! it may run the request twice, whether the connection is still good, and
//! what the caller is told.
//!
//! During a Sentinel failover or while a Cluster slot moves, servers
//! answer "not now" (`READONLY`, `NOREPLICAS`, `MOVED`, `ASK`,
//! `TRYAGAIN`...) without running the request: those are retried, even
//! for counters. A TLS certificate that fails verification is never
//! retried: it will fail the same way until someone changes the CA file
//! or the server's certificate.

use redis::{ErrorKind, RedisError, ServerErrorKind};

use crate::error::{BackendError, Error};

/// Server answers that say "not now, and nothing was done": a demoted
/// master, a master without a replica in sync, a slot that moved or is
/// moving, a Cluster or master that is down, a dataset still loading.
const NOT_NOW: [&str; 8] = [
    "READONLY",
    "NOREPLICAS",
    "MOVED",
    "ASK",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "MASTERDOWN",
    "LOADING",
];

/// Whether another try may succeed: the connection broke or timed out, the
/// server answered "not now", or the Sentinels or the Cluster could not
/// name the server for a moment.
pub(super) fn is_transient(err: &RedisError) -> bool {
    if is_certificate_failure(err) {
        return false;
    }
    drops_connection(err)
        || err.is_timeout()
        || refused_for_now(err)
        || matches!(
            err.kind(),
            ErrorKind::MasterNameNotFoundBySentinel | ErrorKind::ClusterConnectionNotFound
        )
}

/// Whether the server refused the request without running it, so that
/// sending it again cannot run it twice. Holds for single commands, which
/// is all that is ever sent with [`Safety::Once`](super::Safety::Once).
pub(super) fn refused_for_now(err: &RedisError) -> bool {
    err.clone().into_server_errors().is_some_and(|errors| {
        !errors.is_empty() && errors.iter().all(|(_, e)| NOT_NOW.contains(&e.code()))
    })
}

/// Whether a transient failure counts towards opening the circuit
/// breaker: Redis could not be reached (`connected` is false) or did not
/// answer in time.
///
/// An open connection that broke does not count by itself: the retry opens
/// a new one and counts if that fails, so a Redis that is down still opens
/// the breaker, while one that closed its connections on purpose (a
/// Sentinel reconfiguring a demoted master kills every client) does not
/// lock out the requests that were in flight. Nor does an answer of "not
/// now": that server is up and quick to answer.
pub(super) fn suggests_outage(err: &RedisError, connected: bool) -> bool {
    !connected || err.is_timeout()
}

/// Whether this connection is no use any more: a new one is needed, and
/// for Sentinel a new look-up of the master. `READONLY` means the server
/// was demoted: the master is elsewhere now. `NOREPLICAS` means the
/// master's replicas changed: the next connection learns whether writes
/// must wait for one (see `super::durable`).
pub(super) fn drops_connection(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly)
        || has_code(err, "READONLY")
        || has_code(err, "NOREPLICAS")
}

/// Sorts a client error into "unavailable" and "refused".
pub(super) fn classify(err: RedisError) -> Error {
    if is_certificate_failure(&err) {
        return Error::Rejected(BackendError::client(CertificateError(err)));
    }
    if is_transient(&err) || err.is_io_error() {
        Error::Unavailable(BackendError::client(err))
    } else {
        Error::Rejected(BackendError::client(err))
    }
}

/// As [`classify`], for the first connection at start-up: there, a master
/// name the Sentinels do not know is a mistake in the settings.
pub(super) fn classify_at_start(err: RedisError) -> Error {
    if err.kind() == ErrorKind::MasterNameNotFoundBySentinel {
        return Error::Rejected(BackendError::client(err));
    }
    match cluster_refusal(&err) {
        Some(Refusal::Certificate) => Error::Rejected(BackendError::client(CertificateError(err))),
        Some(Refusal::Credentials) => Error::Rejected(BackendError::client(err)),
        None => classify(err),
    }
}

/// Why every node of a Cluster refused the first connection, when it did.
enum Refusal {
    Credentials,
    Certificate,
}

/// The Cluster client reports a failure to reach any node as an I/O
/// error, with the nodes' reason only as text: a refused password or a
/// certificate that did not verify must still read as "refused".
fn cluster_refusal(err: &RedisError) -> Option<Refusal> {
    let detail = err.detail().filter(|_| err.is_io_error())?;
    if ["AuthenticationFailed", "WRONGPASS", "NOPERM"]
        .iter()
        .any(|sign| detail.contains(sign))
    {
        Some(Refusal::Credentials)
    } else if detail.contains("invalid peer certificate") {
        Some(Refusal::Certificate)
    } else {
        None
    }
}

/// A TLS certificate that failed verification, with a message that says
/// so and where the trusted CA comes from.
#[derive(Debug, thiserror::Error)]
#[error(
    "the Redis server's TLS certificate failed verification (trusted CA: \
     redis_options.ssl_params.ca_file, else the system's roots): {0}"
)]
struct CertificateError(#[source] RedisError);

fn has_code(err: &RedisError, code: &str) -> bool {
    err.clone()
        .into_server_errors()
        .is_some_and(|errors| errors.iter().any(|(_, e)| e.code() == code))
}

/// Whether the TLS handshake failed on the server's certificate: an
/// unknown issuer, a wrong name, an expired certificate...
#[cfg(feature = "tls")]
fn is_certificate_failure(err: &RedisError) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = next {
        if let Some(tls) = tls_error(current) {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        next = current.source();
    }
    false
}

#[cfg(not(feature = "tls"))]
fn is_certificate_failure(_: &RedisError) -> bool {
    false
}

/// The rustls error inside `err`: the Redis client keeps an I/O error in
/// an `Arc`, and the I/O error keeps the rustls error as its payload,
/// which `source()` does not reach.
#[cfg(feature = "tls")]
fn tls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|inner| inner.downcast_ref());
    }
    let shared = err.downcast_ref::<Shared>()?;
    let inner: &(dyn std::error::Error + 'static) = &**shared;
    tls_error(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(code: &str) -> RedisError {
        let reply = format!("-{code} detail\r\n");
        let value = redis::parse_redis_value(reply.as_bytes()).expect("a RESP error reply");
        value.extract_error().expect_err("an error reply")
    }

    #[test]
    fn not_now_answers_are_transient_and_did_not_run() {
        for code in NOT_NOW {
            let err = server_error(code);
            assert!(is_transient(&err), "{code}");
            assert!(refused_for_now(&err), "{code}");
        }
    }

    #[test]
    fn other_answers_are_final() {
        for code in ["ERR", "NOPERM", "WRONGTYPE", "NOSCRIPT"] {
            let err = server_error(code);
            assert!(!is_transient(&err), "{code}");
            assert!(matches!(classify(err), Error::Rejected(_)), "{code}");
        }
    }

    #[test]
    fn a_changed_role_or_a_broken_connection_drops_the_connection() {
        assert!(drops_connection(&server_error("READONLY")));
        assert!(drops_connection(&server_error("NOREPLICAS")));
        assert!(!drops_connection(&server_error("TRYAGAIN")));
        let broken = RedisError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(drops_connection(&broken));
        assert!(matches!(classify(broken), Error::Unavailable(_)));
    }

    #[test]
    fn only_unreachable_or_silent_redis_counts_towards_the_breaker() {
        let broken = RedisError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let silent = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(!suggests_outage(&broken, true), "a retry reconnects");
        assert!(suggests_outage(&broken, false));
        assert!(suggests_outage(&silent, true));
        assert!(!suggests_outage(&server_error("NOREPLICAS"), true));
    }

    #[test]
    fn a_cluster_that_refuses_the_password_is_refused_at_start() {
        let err = RedisError::from((
            ErrorKind::Io,
            "Failed to create initial connections",
            "Password authentication failed - AuthenticationFailed".to_owned(),
        ));
        assert!(matches!(classify_at_start(err), Error::Rejected(_)));
        let down = RedisError::from((
            ErrorKind::Io,
            "Failed to create initial connections",
            "Connection refused (os error 111)".to_owned(),
        ));
        assert!(matches!(classify_at_start(down), Error::Unavailable(_)));
    }

    #[test]
    fn an_unknown_master_is_refused_at_start_and_waited_for_later() {
        let unknown =
            || RedisError::from((ErrorKind::MasterNameNotFoundBySentinel, "no such master"));
        assert!(matches!(classify_at_start(unknown()), Error::Rejected(_)));
        assert!(matches!(classify(unknown()), Error::Unavailable(_)));
    }
}
