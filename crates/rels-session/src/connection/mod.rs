//! Talking to Redis: one request at a time, within a deadline, retried
//! when that is safe, and refused while the circuit breaker is open.
//!
//! Nothing of the Redis client leaks out of this module and its users in
//! the crate: callers see [`Error`](crate::Error).

mod backoff;
mod breaker;
mod link;

use std::sync::Arc;
use std::time::Duration;

use redis::{Cmd, FromRedisValue, Pipeline, RedisError};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use self::backoff::Backoff;
use self::breaker::Breaker;
use self::link::{Conn, Link};
use crate::config::RedisSettings;
use crate::error::{BackendError, Error};

/// Whether a request may be sent again after a failure that left its
/// fate unknown. `INCRBY` may not: it could count twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reads, `SET`, `DEL`, `EXPIRE`, `SADD`, `SREM`.
    Repeatable,
    /// Counters and anything else that must run at most once.
    Once,
}

/// A shared handle on Redis. Cloning is cheap.
#[derive(Clone, Debug)]
pub(crate) struct Connection {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    link: Link,
    /// Bounds the requests in flight (`connection_pool_options.size`).
    permits: Semaphore,
    pool_timeout: Duration,
    request_timeout: Duration,
    backoff: Backoff,
    breaker: Breaker,
}

/// Either of the two things redis-rs can send.
#[derive(Clone, Copy)]
pub(crate) enum Request<'a> {
    Cmd(&'a Cmd),
    Pipeline(&'a Pipeline),
}

impl Connection {
    /// Connects as `settings` say. A wrong address or password is an error
    /// here, at start-up, rather than at the first request.
    pub(crate) async fn open(
        settings: &RedisSettings,
        pool_size: usize,
        pool_timeout: Duration,
    ) -> Result<Self, Error> {
        let link = tokio::time::timeout(
            settings.request_timeout.max(settings.connect_timeout),
            Link::open(settings),
        )
        .await
        .map_err(|_| Error::Unavailable(BackendError::deadline(settings.connect_timeout)))?
        .map_err(classify)?;
        Ok(Self {
            inner: Arc::new(Inner {
                link,
                permits: Semaphore::new(pool_size),
                pool_timeout,
                request_timeout: settings.request_timeout,
                backoff: Backoff::GEM,
                breaker: Breaker::gem(),
            }),
        })
    }

    /// Whether Redis is a Cluster, where keys of one request may live on
    /// several nodes.
    pub(crate) fn is_cluster(&self) -> bool {
        self.inner.link.is_cluster()
    }

    /// Sends one command.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
        safety: Safety,
    ) -> Result<T, Error> {
        self.send(Request::Cmd(cmd), safety).await
    }

    /// Sends a pipeline in one round trip.
    pub(crate) async fn pipeline<T: FromRedisValue>(
        &self,
        pipe: &Pipeline,
        safety: Safety,
    ) -> Result<T, Error> {
        self.send(Request::Pipeline(pipe), safety).await
    }

    async fn send<T: FromRedisValue>(
        &self,
        request: Request<'_>,
        safety: Safety,
    ) -> Result<T, Error> {
        let inner = &*self.inner;
        let deadline = Instant::now() + inner.request_timeout;
        match tokio::time::timeout_at(deadline, inner.send(request, safety)).await {
            Ok(result) => result,
            Err(_) => {
                inner.breaker.record_failure();
                Err(Error::Unavailable(BackendError::deadline(
                    inner.request_timeout,
                )))
            }
        }
    }
}

impl Inner {
    async fn send<T: FromRedisValue>(
        &self,
        request: Request<'_>,
        safety: Safety,
    ) -> Result<T, Error> {
        if let Err(left) = self.breaker.check() {
            return Err(Error::Unavailable(BackendError::circuit_open(left)));
        }
        let _permit = tokio::time::timeout(self.pool_timeout, self.permits.acquire())
            .await
            .map_err(|_| Error::Unavailable(BackendError::pool_timeout(self.pool_timeout)))?;

        let mut retry = 0;
        loop {
            let (err, sent) = match self.attempt(request).await {
                Ok(value) => {
                    self.breaker.record_success();
                    return Ok(value);
                }
                Err(failure) => failure,
            };
            if !is_transient(&err) {
                return Err(classify(err));
            }
            self.breaker.record_failure();
            let may_repeat = safety == Safety::Repeatable || !sent;
            if !may_repeat || retry >= self.backoff.retries || self.breaker.check().is_err() {
                return Err(classify(err));
            }
            tracing::debug!(target: "rels_session::connection", retry, error = %err, "retrying Redis request");
            tokio::time::sleep(self.backoff.random_delay(retry)).await;
            retry += 1;
        }
    }

    /// One try. On failure, also says whether the request may have reached
    /// Redis.
    async fn attempt<T: FromRedisValue>(
        &self,
        request: Request<'_>,
    ) -> Result<T, (RedisError, bool)> {
        let mut conn = self.link.get().await.map_err(|e| (e, false))?;
        let result = run(&mut conn, request).await;
        if let Err(err) = &result
            && drops_connection(err)
        {
            self.link.discard(&conn).await;
        }
        result.map_err(|e| (e, true))
    }
}

async fn run<T: FromRedisValue>(conn: &mut Conn, request: Request<'_>) -> Result<T, RedisError> {
    match request {
        Request::Cmd(cmd) => cmd.query_async(conn).await,
        Request::Pipeline(pipe) => pipe.query_async(conn).await,
    }
}

/// A failure that another try may not hit: the connection broke or timed
/// out, or the server is a replica that was just demoted or is loading.
fn is_transient(err: &RedisError) -> bool {
    drops_connection(err)
        || err.is_timeout()
        || matches!(
            err.kind(),
            redis::ErrorKind::Server(
                redis::ServerErrorKind::ReadOnly
                    | redis::ServerErrorKind::BusyLoading
                    | redis::ServerErrorKind::TryAgain
                    | redis::ServerErrorKind::MasterDown
            )
        )
}

/// A failure after which this connection is no use: a new one is needed,
/// and for Sentinel a new look-up of the master.
fn drops_connection(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || matches!(
            err.kind(),
            redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
        )
}

/// Sorts a client error into "unavailable" and "refused".
fn classify(err: RedisError) -> Error {
    if is_transient(&err) || err.is_io_error() {
        Error::Unavailable(BackendError::client(err))
    } else {
        Error::Rejected(BackendError::client(err))
    }
}
