//! Writes that survive a Sentinel failover: behind Sentinel, a write is
//! acknowledged only once a replica has it.
//!
//! Redis replicates asynchronously. When Sentinel promotes a replica, the
//! writes the old master acknowledged but had not yet sent over, or that
//! the replica had received but not yet applied, are gone; a session saved
//! a moment before the failover would come back as it was before.
//! `min-replicas-to-write` on the servers only bounds that window. So
//! every write to a master that has replicas is followed, in the same
//! round trip, by `WAIT 1 <write_timeout>`: when no replica acknowledges
//! it in time, the write is reported as failed (its fate unknown), and the
//! connection is dropped so that the next request asks the Sentinels again.
//!
//! A master without replicas when the connection opened (a single server
//! behind Sentinel) is written to without waiting, as are plain servers
//! and Clusters.

use std::time::Duration;

use redis::{Cmd, FromRedisValue, Pipeline, RedisError, RedisResult, Value};

use super::Request;
use super::link::Conn;

/// Commands the store sends that change nothing.
const READS: [&[u8]; 5] = [b"MGET", b"PTTL", b"SMEMBERS", b"SCAN", b"PING"];

/// Runs `request`, waiting for a replica when it writes and the
/// connection says so. `None` when there is nothing to wait for: the
/// caller sends the request as it is.
pub(super) async fn run<T: FromRedisValue>(
    conn: &mut Conn,
    request: Request<'_>,
) -> Option<RedisResult<T>> {
    let wait = conn.replica_wait()?;
    let result = match request {
        Request::Cmd(cmd) if writes(cmd) => {
            let mut pipe = redis::pipe();
            pipe.add_command(cmd.clone());
            send(conn, pipe, wait).await.and_then(|mut values| {
                let value = values.pop().unwrap_or(Value::Nil);
                Ok(redis::from_redis_value(value)?)
            })
        }
        // A `WAIT` inside `MULTI` would not wait: transactions are left
        // alone (the store sends them only to Clusters).
        Request::Pipeline(pipe) if pipe.cmd_iter().any(writes) && !pipe.is_transaction() => {
            send(conn, pipe.clone(), wait)
                .await
                .and_then(|values| Ok(redis::from_redis_value(Value::Array(values))?))
        }
        _ => return None,
    };
    Some(result)
}

/// Sends `pipe` with a `WAIT` for one replica at the end, and returns the
/// other replies.
async fn send(conn: &mut Conn, mut pipe: Pipeline, wait: Duration) -> RedisResult<Vec<Value>> {
    let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
    pipe.cmd("WAIT").arg(1).arg(millis);
    let mut values: Vec<Value> = pipe.query_async(conn).await?;
    match values.pop() {
        Some(Value::Int(acknowledged)) if acknowledged >= 1 => Ok(values),
        _ => Err(unacknowledged()),
    }
}

/// Whether `cmd` may change data.
fn writes(cmd: &Cmd) -> bool {
    let name = cmd.args_iter().next().and_then(|arg| match arg {
        redis::Arg::Simple(name) => Some(name.to_ascii_uppercase()),
        _ => None,
    });
    !name.is_some_and(|name| READS.contains(&name.as_slice()))
}

/// The write reached the master but no replica in time: it may be lost in
/// a failover, so it is not acknowledged. An I/O error, so that the
/// connection is dropped and the master looked up again.
fn unacknowledged() -> RedisError {
    RedisError::from(std::io::Error::other(
        "no replica acknowledged the write within write_timeout",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_from_writes() {
        for name in ["MGET", "mget", "PTTL", "SMEMBERS", "SCAN"] {
            assert!(!writes(&redis::cmd(name)), "{name}");
        }
        for name in ["SET", "DEL", "EXPIRE", "EVAL", "INCRBY", "SADD"] {
            assert!(writes(&redis::cmd(name)), "{name}");
        }
    }

    #[test]
    fn an_unacknowledged_write_drops_the_connection_without_opening_the_breaker() {
        let err = unacknowledged();
        assert!(super::super::failure::drops_connection(&err));
        assert!(super::super::failure::is_transient(&err));
        assert!(!super::super::failure::suggests_outage(&err, true));
    }
}
