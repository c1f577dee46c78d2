//! Talking to Redis: one request at a time, within a deadline, retried
//! when that is safe, and refused while the circuit breaker is open.
//!
//! Nothing of the Redis client leaks out of this module and its users in
//! the crate: callers see [`Error`](crate::Error).

mod backoff;
mod breaker;
mod durable;
mod failure;
mod link;
#[cfg(feature = "tls")]
mod tls;
#[cfg(not(feature = "tls"))]
#[path = "no_tls.rs"]
mod tls;

use std::sync::Arc;
use std::time::Duration;

use redis::{Cmd, FromRedisValue, Pipeline, RedisError};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use self::backoff::Backoff;
use self::breaker::Breaker;
use self::failure::{
    classify, classify_at_start, drops_connection, is_transient, refused_for_now, suggests_outage,
};
use self::link::{Conn, Link};
use crate::config::RedisSettings;
use crate::error::{BackendError, Error};

/// Whether a request may be sent again after a failure that left its
/// fate unknown. `INCRBY` may not: it could count twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reads, `SET`, `DEL`, `EXPIRE`, `SADD`, `SREM`.
    Repeatable,
    /// Counters and anything else that must run at most once. Always a
    /// single command.
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
    /// Bounds the requests in flight when
    /// `connection_pool_options.max_in_flight` is set. Without it the one
    /// multiplexed connection pipelines every request there is.
    permits: Option<Semaphore>,
    pool_timeout: Duration,
    request_timeout: Duration,
    backoff: Backoff,
    breaker: Breaker,
}

/// What one request sends, and where.
#[derive(Clone, Copy)]
pub(crate) enum Request<'a> {
    /// A command, to the server that holds its keys.
    Cmd(&'a Cmd),
    /// A pipeline, in one round trip.
    Pipeline(&'a Pipeline),
    /// A command to every master of a Cluster.
    Masters(&'a Cmd),
    /// A command to the Cluster node at this address (`host:port`).
    Node(&'a str, &'a Cmd),
}

impl Connection {
    /// Connects as `settings` say, with at most `max_in_flight` requests
    /// in flight when given, each waiting at most `pool_timeout` for a
    /// slot. A wrong address or password is an error here, at start-up,
    /// rather than at the first request.
    pub(crate) async fn open(
        settings: &RedisSettings,
        max_in_flight: Option<usize>,
        pool_timeout: Duration,
    ) -> Result<Self, Error> {
        let link = tokio::time::timeout(
            settings.request_timeout.max(settings.connect_timeout),
            Link::open(settings),
        )
        .await
        .map_err(|_| Error::Unavailable(BackendError::deadline(settings.connect_timeout)))?
        .map_err(classify_at_start)?;
        Ok(Self {
            inner: Arc::new(Inner {
                link,
                permits: max_in_flight.map(Semaphore::new),
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

    /// Sends a read to every master of a Cluster, concurrently. Returns
    /// each master's address (`host:port`) with its reply.
    pub(crate) async fn query_masters<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
    ) -> Result<Vec<(String, T)>, Error> {
        self.send(Request::Masters(cmd), Safety::Repeatable).await
    }

    /// Sends a read to the Cluster node at `node` (`host:port`), as
    /// [`query_masters`](Self::query_masters) names it.
    pub(crate) async fn query_node<T: FromRedisValue>(
        &self,
        node: &str,
        cmd: &Cmd,
    ) -> Result<T, Error> {
        self.send(Request::Node(node, cmd), Safety::Repeatable)
            .await
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
        let _permit = match &self.permits {
            Some(permits) => Some(self.slot(permits).await?),
            None => None,
        };

        let mut retry = 0;
        loop {
            let (err, sent) = match self.attempt(request, safety).await {
                Ok(value) => {
                    self.breaker.record_success();
                    return Ok(value);
                }
                Err(failure) => failure,
            };
            if !is_transient(&err) {
                return Err(classify(err));
            }
            if suggests_outage(&err, sent) {
                self.breaker.record_failure();
            }
            let may_repeat = safety == Safety::Repeatable || !sent || refused_for_now(&err);
            if !may_repeat || retry >= self.backoff.retries || self.breaker.check().is_err() {
                return Err(classify(err));
            }
            tracing::debug!(target: "rels_session::connection", retry, error = %err, "retrying Redis request");
            tokio::time::sleep(self.backoff.random_delay(retry)).await;
            retry += 1;
        }
    }

    /// A slot for one request. A free one is taken at once; only a request
    /// that has to wait arms the pool timeout's timer.
    async fn slot<'s>(&self, permits: &'s Semaphore) -> Result<SemaphorePermit<'s>, Error> {
        if let Ok(permit) = permits.try_acquire() {
            return Ok(permit);
        }
        let waited = tokio::time::timeout(self.pool_timeout, permits.acquire()).await;
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a closed one would mean no
            // slot will ever be free.
            _ => Err(Error::Unavailable(BackendError::pool_timeout(
                self.pool_timeout,
            ))),
        }
    }

    /// One try. On failure, also says whether the request may have reached
    /// Redis.
    async fn attempt<T: FromRedisValue>(
        &self,
        request: Request<'_>,
        safety: Safety,
    ) -> Result<T, (RedisError, bool)> {
        let mut conn = self.link.get(safety).await.map_err(|e| (e, false))?;
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
    if let Some(result) = durable::run(conn, request).await {
        return result;
    }
    match request {
        Request::Cmd(cmd) => cmd.query_async(conn).await,
        Request::Pipeline(pipe) => pipe.query_async(conn).await,
        Request::Masters(cmd) => Ok(redis::from_redis_value(conn.on_masters(cmd).await?)?),
        Request::Node(node, cmd) => Ok(redis::from_redis_value(conn.on_node(node, cmd).await?)?),
    }
}
