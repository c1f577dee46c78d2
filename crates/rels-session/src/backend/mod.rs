//! The few key-value primitives the session logic is written against.
//!
//! The store, the user index and the counters speak in these terms: fetch
//! many keys, write many keys with a TTL and a condition, delete many keys,
//! scan a pattern. Each backend maps them to the cheapest requests it has;
//! for Redis that is one `MGET`, one pipeline, one `DEL`. Keeping the
//! session logic above this line means it is written once for every
//! topology.

mod redis;

use std::time::Duration;

pub(crate) use self::redis::RedisBackend;
use crate::error::Error;

/// When a write applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Always (`SET`).
    Always,
    /// Only when the key exists (`SET ... XX`): updates never resurrect.
    Exists,
    /// Only when the key is absent (`SET ... NX`).
    Absent,
}

/// One key to write.
#[derive(Debug)]
pub(crate) struct Write<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a [u8],
    pub(crate) ttl: Duration,
    pub(crate) condition: Condition,
}

/// One page of a `SCAN`.
#[derive(Debug)]
pub(crate) struct Page {
    /// Where to continue; `0` when the scan is complete.
    pub(crate) cursor: u64,
    pub(crate) keys: Vec<Vec<u8>>,
}

/// The backend a store runs on.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Redis(RedisBackend),
}

impl Backend {
    /// The values of `keys`, in order; `None` for a missing key.
    pub(crate) async fn fetch(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        match self {
            Self::Redis(redis) => redis.fetch(keys).await,
        }
    }

    /// Writes every entry in one round trip. The result says, per entry,
    /// whether it was written (its condition held).
    pub(crate) async fn write(&self, writes: &[Write<'_>]) -> Result<Vec<bool>, Error> {
        match self {
            Self::Redis(redis) => redis.write(writes).await,
        }
    }

    /// Deletes `keys` in one request; returns how many existed.
    pub(crate) async fn delete(&self, keys: &[String]) -> Result<u64, Error> {
        match self {
            Self::Redis(redis) => redis.delete(keys).await,
        }
    }

    /// Resets the TTL of every key that exists, in one round trip.
    pub(crate) async fn expire(&self, keys: &[String], ttl: Duration) -> Result<Vec<bool>, Error> {
        match self {
            Self::Redis(redis) => redis.expire(keys, ttl).await,
        }
    }

    /// One page of the keys matching `pattern`.
    pub(crate) async fn scan(&self, pattern: &str, cursor: u64, count: u32) -> Result<Page, Error> {
        match self {
            Self::Redis(redis) => redis.scan(pattern, cursor, count).await,
        }
    }
}

/// Whole seconds for `EX`, at least one: Redis refuses `EX 0`.
pub(crate) fn ttl_seconds(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}
