//! The floor: the same Redis commands our library sends, from the raw
//! `redis` client on one multiplexed connection, as our library uses.
//!
//! Keys and payloads are made before the clock starts, except where they
//! depend on a reply (the members of a user index): a hand-written client
//! would have to hash those too. Nothing is parsed.

use std::sync::Arc;

use redis::Value;
use redis::aio::MultiplexedConnection;

use super::{Layout, Pool, seed_revoke};
use crate::fixture::{TTL_SECONDS, counter_keys, private_key, public_key};
use crate::measure::{Step, Worker};

/// `MGET private public`, as a load.
pub(super) struct Load {
    pub(super) conn: MultiplexedConnection,
    pub(super) pool: Arc<Pool>,
    pub(super) next: usize,
}

impl Worker for Load {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            self.next = (self.next + 1) % self.pool.keys.len();
            let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                .arg(&self.pool.keys[self.next])
                .query_async(&mut self.conn)
                .await?;
            match values.first() {
                Some(Some(_)) => Ok(1),
                _ => Err("a seeded session was not found".into()),
            }
        })
    }
}

/// A pipeline of `SET key payload EX ttl XX` for both keys, as an update.
pub(super) struct Save {
    pub(super) conn: MultiplexedConnection,
    pub(super) keys: [String; 2],
    pub(super) payload: String,
}

impl Worker for Save {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            for key in &self.keys {
                pipe.cmd("SET")
                    .arg(key)
                    .arg(&self.payload)
                    .arg("EX")
                    .arg(TTL_SECONDS)
                    .arg("XX");
            }
            let replies: Vec<Value> = pipe.query_async(&mut self.conn).await?;
            if replies.iter().any(|v| matches!(v, Value::Nil)) {
                return Err("a seeded session was not found".into());
            }
            Ok(1)
        })
    }
}

/// One `MGET` of 50 private keys.
pub(super) struct FindMany {
    pub(super) conn: MultiplexedConnection,
    pub(super) pool: Arc<Pool>,
    pub(super) next: usize,
}

impl Worker for FindMany {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            self.next = (self.next + 1) % self.pool.key_groups.len();
            let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                .arg(&self.pool.key_groups[self.next])
                .query_async(&mut self.conn)
                .await?;
            Ok(values.iter().flatten().count() as u64)
        })
    }
}

/// `SMEMBERS` of the index, then one `MGET` of the members' private keys.
pub(super) struct List {
    pub(super) conn: MultiplexedConnection,
    pub(super) index: String,
}

impl Worker for List {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            let members: Vec<String> = redis::cmd("SMEMBERS")
                .arg(&self.index)
                .query_async(&mut self.conn)
                .await?;
            let keys: Vec<String> = members.iter().map(|m| private_key(m)).collect();
            let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut self.conn)
                .await?;
            Ok(values.iter().flatten().count() as u64)
        })
    }
}

/// `SMEMBERS`, one `DEL` of both keys of every member, then the library's
/// own script that removes the members and lowers the counter.
pub(super) struct RevokeAll {
    pub(super) conn: MultiplexedConnection,
    pub(super) layout: Layout,
    pub(super) worker: u64,
}

/// The same script as the library's (`backend/redis.rs`), so that the
/// floor runs the same commands; it is private there.
const INDEX_REMOVE: &str = r"
local removed = 0
for i = 2, #ARGV do
  removed = removed + redis.call('SREM', KEYS[1], ARGV[i])
end
if removed > 0 then
  redis.pcall('DECRBY', KEYS[2], removed)
  redis.call('SET', KEYS[3], ARGV[1])
end
return removed
";

impl Worker for RevokeAll {
    fn prepare(&mut self) -> Step<'_> {
        Box::pin(seed_revoke(&mut self.conn, self.layout, self.worker))
    }

    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            let index = crate::fixture::index_key(&self.layout.revoke_user(self.worker));
            let members: Vec<String> = redis::cmd("SMEMBERS")
                .arg(&index)
                .query_async(&mut self.conn)
                .await?;
            let keys: Vec<String> = members
                .iter()
                .flat_map(|m| [private_key(m), public_key(m)])
                .collect();
            let _: u64 = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut self.conn)
                .await?;
            let [total, stamp] = counter_keys();
            let removed: u64 = redis::cmd("EVAL")
                .arg(INDEX_REMOVE)
                .arg(3)
                .arg(&index)
                .arg(total)
                .arg(stamp)
                .arg(1_735_732_800_u64)
                .arg(&members)
                .query_async(&mut self.conn)
                .await?;
            Ok(removed)
        })
    }
}

/// `SCAN cursor MATCH NS:2::* COUNT n`, then one `MGET` of the keys of
/// the page, page after page; a pass that ends starts again.
pub(super) struct StreamAll {
    pub(super) conn: MultiplexedConnection,
    pub(super) pattern: String,
    pub(super) count: u32,
    pub(super) cursor: u64,
}

impl Worker for StreamAll {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            loop {
                let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                    .arg(self.cursor)
                    .arg("MATCH")
                    .arg(&self.pattern)
                    .arg("COUNT")
                    .arg(self.count)
                    .query_async(&mut self.conn)
                    .await?;
                self.cursor = next;
                if keys.is_empty() {
                    continue;
                }
                let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                    .arg(&keys)
                    .query_async(&mut self.conn)
                    .await?;
                return Ok(values.iter().flatten().count() as u64);
            }
        })
    }
}
