//! The crate's error type, split by what a caller can do about it.
//!
//! Three families matter to callers: the backend is unavailable (retry
//! later, answer 503), stored data is unreadable (start a fresh session,
//! warn), and the configuration is wrong (fix it, do not retry). Each
//! variant keeps its source. No message ever holds a session id, a
//! payload or a password.

use std::time::Duration;

use crate::config::ConfigError;
use crate::record::RecordError;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Redis could not be reached, did not answer in time, or the circuit
    /// breaker is refusing work after repeated failures.
    #[error("session store unavailable: {0}")]
    Unavailable(#[source] BackendError),
    /// Redis refused the request, and retrying will not help: a wrong
    /// password, an ACL rule, a key of the wrong type, a TLS certificate
    /// that fails verification. (A replica that is not master yet, or a
    /// Cluster slot on the move, is retried and ends, if ever, as
    /// [`Error::Unavailable`].)
    #[error("session store refused the request: {0}")]
    Rejected(#[source] BackendError),
    /// Data in Redis could not be read as a session.
    #[error("unreadable session data: {0}")]
    Data(#[source] RecordError),
    /// The configuration is wrong; retrying will not help.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The operating system's random source failed while making an id.
    #[error("no secure random source: {0}")]
    Random(#[source] std::io::Error),
}

impl Error {
    /// Whether the backend is unavailable: worth retrying later, and
    /// worth a 503 rather than a 500.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// Whether stored data was unreadable.
    #[must_use]
    pub fn is_data(&self) -> bool {
        matches!(self, Self::Data(_))
    }

    /// Whether the configuration is wrong.
    #[must_use]
    pub fn is_config(&self) -> bool {
        matches!(self, Self::Config(_))
    }

    /// How long to wait before trying again, when the store knows it: the
    /// time left before the circuit breaker lets work through.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable(BackendError {
                repr: Repr::CircuitOpen { retry_after },
            }) => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<RecordError> for Error {
    fn from(err: RecordError) -> Self {
        Self::Data(err)
    }
}

/// A failure of the Redis backend.
///
/// Its representation is private so that changing the Redis client is not
/// a breaking change; `Display` and [`std::error::Error::source`] give the
/// detail.
#[derive(Debug)]
pub struct BackendError {
    repr: Repr,
}

#[derive(Debug)]
enum Repr {
    Client(Box<dyn std::error::Error + Send + Sync>),
    CircuitOpen { retry_after: Duration },
    PoolTimeout(Duration),
    Deadline(Duration),
}

impl BackendError {
    pub(crate) fn client(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            repr: Repr::Client(Box::new(err)),
        }
    }

    pub(crate) fn circuit_open(retry_after: Duration) -> Self {
        Self {
            repr: Repr::CircuitOpen { retry_after },
        }
    }

    pub(crate) fn pool_timeout(waited: Duration) -> Self {
        Self {
            repr: Repr::PoolTimeout(waited),
        }
    }

    pub(crate) fn deadline(limit: Duration) -> Self {
        Self {
            repr: Repr::Deadline(limit),
        }
    }

    /// Whether the request ran out of time, waiting for Redis or for a
    /// free slot (`connection_pool_options.max_in_flight`).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self.repr, Repr::PoolTimeout(_) | Repr::Deadline(_))
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.repr {
            Repr::Client(err) => write!(f, "{err}"),
            Repr::CircuitOpen { retry_after } => write!(
                f,
                "circuit breaker open after repeated failures; refusing work for {} ms",
                retry_after.as_millis()
            ),
            Repr::PoolTimeout(waited) => write!(
                f,
                "no free slot after {} ms (connection_pool_options: max_in_flight, timeout)",
                waited.as_millis()
            ),
            Repr::Deadline(limit) => write!(
                f,
                "no answer within {} ms (redis_options.request_timeout)",
                limit.as_millis()
            ),
        }
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.repr {
            Repr::Client(err) => Some(&**err),
            _ => None,
        }
    }
}
