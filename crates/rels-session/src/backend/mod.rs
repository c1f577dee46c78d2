//! The few key-value primitives the session logic is written against.
//!
//! The store, the user index and the counters speak in these terms: fetch
//! many keys, write many keys with a TTL and a condition, delete many keys,
//! scan a pattern. Each backend maps them to the cheapest requests it has;
//! for Redis that is one `MGET`, one pipeline, one `DEL`. Keeping the
//! session logic above this line means it is written once for every
//! topology.

mod memory;
mod redis;

use std::time::Duration;

pub(crate) use self::memory::MemoryBackend;
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

/// The two keys of the gem's session counter (SPEC 1.2).
#[derive(Clone, Debug)]
pub(crate) struct Counter {
    /// `NS:stats:total_sessions`
    pub(crate) total: String,
    /// `NS:stats:last_updated_at`
    pub(crate) updated_at: String,
}

/// Where a scan stands. The session logic starts from
/// `Cursor::default()` and hands back what each [`Page`] gives; only the
/// backend looks inside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Nothing scanned yet.
    #[default]
    Start,
    /// Where the one server's `SCAN` (or the memory backend) goes on.
    At(u64),
    /// On a Cluster: the masters not done yet, by address (`host:port`),
    /// each with where its own `SCAN` goes on.
    Nodes(Vec<(String, u64)>),
}

/// One page of a scan.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) keys: Vec<Vec<u8>>,
    /// Where to continue; `None` when the scan is complete.
    pub(crate) next: Option<Cursor>,
}

/// The backend a store runs on.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Redis(RedisBackend),
    Memory(MemoryBackend),
}

impl Backend {
    /// The values of `keys`, in order; `None` for a missing key.
    pub(crate) async fn fetch(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        match self {
            Self::Redis(redis) => redis.fetch(keys).await,
            Self::Memory(memory) => memory.fetch(keys),
        }
    }

    /// Writes every entry in one round trip. The result says, per entry,
    /// whether it was written (its condition held).
    pub(crate) async fn write(&self, writes: &[Write<'_>]) -> Result<Vec<bool>, Error> {
        match self {
            Self::Redis(redis) => redis.write(writes).await,
            Self::Memory(memory) => memory.write(writes),
        }
    }

    /// Deletes `keys` in one request; returns how many existed.
    pub(crate) async fn delete(&self, keys: &[String]) -> Result<u64, Error> {
        match self {
            Self::Redis(redis) => redis.delete(keys).await,
            Self::Memory(memory) => memory.delete(keys),
        }
    }

    /// Resets the TTL of every key that exists, in one round trip.
    pub(crate) async fn expire(&self, keys: &[String], ttl: Duration) -> Result<Vec<bool>, Error> {
        match self {
            Self::Redis(redis) => redis.expire(keys, ttl).await,
            Self::Memory(memory) => memory.expire(keys, ttl),
        }
    }

    /// The time left to live of each key; `None` for a missing key or one
    /// that never expires.
    pub(crate) async fn ttl(&self, keys: &[String]) -> Result<Vec<Option<Duration>>, Error> {
        match self {
            Self::Redis(redis) => redis.ttl(keys).await,
            Self::Memory(memory) => memory.ttl(keys),
        }
    }

    /// The members of a set.
    pub(crate) async fn members(&self, key: &str) -> Result<Vec<Vec<u8>>, Error> {
        match self {
            Self::Redis(redis) => redis.members(key).await,
            Self::Memory(memory) => memory.members(key),
        }
    }

    /// Adds `member` to the set `index` and resets the set's TTL, as one
    /// atomic step; when the member is new, raises the counter by one and
    /// stamps it with `now`. Returns whether the member was new.
    pub(crate) async fn index_add(
        &self,
        index: &str,
        member: &str,
        ttl: Duration,
        counter: &Counter,
        now: u64,
    ) -> Result<bool, Error> {
        match self {
            Self::Redis(redis) => redis.index_add(index, member, ttl, counter, now).await,
            Self::Memory(memory) => memory.index_add(index, member, ttl, counter, now),
        }
    }

    /// Removes `members` from the set `index` and lowers the counter by the
    /// number that were there, stamping it with `now`. Returns that number.
    pub(crate) async fn index_remove(
        &self,
        index: &str,
        members: &[String],
        counter: &Counter,
        now: u64,
    ) -> Result<u64, Error> {
        if members.is_empty() {
            return Ok(0);
        }
        match self {
            Self::Redis(redis) => redis.index_remove(index, members, counter, now).await,
            Self::Memory(memory) => memory.index_remove(index, members, counter, now),
        }
    }

    /// Sets the counter to `total`, stamped with `now`.
    pub(crate) async fn set_counter(
        &self,
        counter: &Counter,
        total: u64,
        now: u64,
    ) -> Result<(), Error> {
        match self {
            Self::Redis(redis) => redis.set_counter(counter, total, now).await,
            Self::Memory(memory) => memory.set_counter(counter, total, now),
        }
    }

    /// One page of the keys matching `pattern`, from every server that
    /// holds keys (every master of a Cluster). A key that exists for the
    /// whole scan is found at least once.
    pub(crate) async fn scan(
        &self,
        pattern: &str,
        cursor: &Cursor,
        count: u32,
    ) -> Result<Page, Error> {
        match self {
            Self::Redis(redis) => redis.scan(pattern, cursor, count).await,
            Self::Memory(memory) => memory.scan(pattern, cursor, count),
        }
    }
}

/// Whole seconds for `EX`, at least one: Redis refuses `EX 0`.
pub(crate) fn ttl_seconds(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}
