//! The primitives of [`Backend`](super::Backend) on Redis.

use std::time::Duration;

use redis::{Cmd, Pipeline, Value};

use super::{Condition, Counter, Cursor, Page, Write, ttl_seconds};
use crate::connection::{Connection, Safety};
use crate::error::Error;

/// Redis, single server, Sentinel or Cluster.
#[derive(Clone, Debug)]
pub(crate) struct RedisBackend {
    conn: Connection,
}

impl RedisBackend {
    pub(crate) fn new(conn: Connection) -> Self {
        Self { conn }
    }

    pub(crate) async fn fetch(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // A Cluster client splits a multi-key `MGET` by slot and sends the
        // parts to their nodes concurrently.
        let mut cmd = redis::cmd("MGET");
        cmd.arg(keys);
        self.conn.query(&cmd, Safety::Repeatable).await
    }

    pub(crate) async fn write(&self, writes: &[Write<'_>]) -> Result<Vec<bool>, Error> {
        let cmds: Vec<Cmd> = writes.iter().map(set_cmd).collect();
        let replies = self.batch(cmds, Safety::Repeatable).await?;
        // `SET` answers OK when it wrote and nil when its condition failed.
        Ok(replies.iter().map(|v| !matches!(v, Value::Nil)).collect())
    }

    pub(crate) async fn delete(&self, keys: &[String]) -> Result<u64, Error> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut cmd = redis::cmd("DEL");
        cmd.arg(keys);
        self.conn.query(&cmd, Safety::Repeatable).await
    }

    pub(crate) async fn expire(&self, keys: &[String], ttl: Duration) -> Result<Vec<bool>, Error> {
        let cmds: Vec<Cmd> = keys
            .iter()
            .map(|key| {
                let mut cmd = redis::cmd("EXPIRE");
                cmd.arg(key).arg(ttl_seconds(ttl));
                cmd
            })
            .collect();
        let replies = self.batch(cmds, Safety::Repeatable).await?;
        Ok(replies.iter().map(|v| matches!(v, Value::Int(1))).collect())
    }

    pub(crate) async fn ttl(&self, keys: &[String]) -> Result<Vec<Option<Duration>>, Error> {
        let cmds: Vec<Cmd> = keys
            .iter()
            .map(|key| {
                let mut cmd = redis::cmd("PTTL");
                cmd.arg(key);
                cmd
            })
            .collect();
        let replies = self.batch(cmds, Safety::Repeatable).await?;
        // PTTL answers -2 for a missing key and -1 for one without a TTL.
        Ok(replies
            .iter()
            .map(|v| match v {
                Value::Int(ms) if *ms >= 0 => Some(Duration::from_millis(ms.unsigned_abs())),
                _ => None,
            })
            .collect())
    }

    pub(crate) async fn members(&self, key: &str) -> Result<Vec<Vec<u8>>, Error> {
        let mut cmd = redis::cmd("SMEMBERS");
        cmd.arg(key);
        self.conn.query(&cmd, Safety::Repeatable).await
    }

    pub(crate) async fn index_add(
        &self,
        index: &str,
        member: &str,
        ttl: Duration,
        counter: &Counter,
        now: u64,
    ) -> Result<bool, Error> {
        if self.conn.is_cluster() {
            return self
                .index_add_across_slots(index, member, ttl, counter, now)
                .await;
        }
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(INDEX_ADD)
            .arg(3)
            .arg(index)
            .arg(&counter.total)
            .arg(&counter.updated_at);
        cmd.arg(member).arg(ttl_seconds(ttl)).arg(now);
        // The script raises the counter only when SADD added the member, so
        // sending it twice cannot count twice.
        let added: u64 = self.conn.query(&cmd, Safety::Repeatable).await?;
        Ok(added == 1)
    }

    pub(crate) async fn index_remove(
        &self,
        index: &str,
        members: &[String],
        counter: &Counter,
        now: u64,
    ) -> Result<u64, Error> {
        if self.conn.is_cluster() {
            return self
                .index_remove_across_slots(index, members, counter, now)
                .await;
        }
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(INDEX_REMOVE)
            .arg(3)
            .arg(index)
            .arg(&counter.total)
            .arg(&counter.updated_at);
        cmd.arg(now).arg(members);
        self.conn.query(&cmd, Safety::Repeatable).await
    }

    /// On a Cluster the index and the counter live in different slots, so
    /// one script cannot touch both: the index change stays atomic (one
    /// key), and the counter follows in a second request.
    async fn index_add_across_slots(
        &self,
        index: &str,
        member: &str,
        ttl: Duration,
        counter: &Counter,
        now: u64,
    ) -> Result<bool, Error> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SADD")
            .arg(index)
            .arg(member)
            .cmd("EXPIRE")
            .arg(index)
            .arg(ttl_seconds(ttl))
            .ignore();
        let (added,): (u64,) = self.conn.pipeline(&pipe, Safety::Repeatable).await?;
        if added == 1 {
            self.adjust_counter(counter, 1, now).await?;
        }
        Ok(added == 1)
    }

    async fn index_remove_across_slots(
        &self,
        index: &str,
        members: &[String],
        counter: &Counter,
        now: u64,
    ) -> Result<u64, Error> {
        let mut cmd = redis::cmd("SREM");
        cmd.arg(index).arg(members);
        let removed: u64 = self.conn.query(&cmd, Safety::Repeatable).await?;
        if removed > 0 {
            let delta = i64::try_from(removed).map_or(i64::MIN, |n| -n);
            self.adjust_counter(counter, delta, now).await?;
        }
        Ok(removed)
    }

    async fn adjust_counter(&self, counter: &Counter, delta: i64, now: u64) -> Result<(), Error> {
        let mut incr = redis::cmd("INCRBY");
        incr.arg(&counter.total).arg(delta);
        // As in the scripts: a counter that is not an integer is left for
        // reconcile to repair rather than failing the index change made.
        match self.conn.query::<i64>(&incr, Safety::Once).await {
            Err(Error::Rejected(err)) => tracing::warn!(
                target: "rels_session::user",
                error = %err,
                "the session counter is not an integer; run reconcile"
            ),
            other => drop(other?),
        }
        let mut stamp = redis::cmd("SET");
        stamp.arg(&counter.updated_at).arg(now);
        self.conn.query(&stamp, Safety::Repeatable).await
    }

    pub(crate) async fn set_counter(
        &self,
        counter: &Counter,
        total: u64,
        now: u64,
    ) -> Result<(), Error> {
        let cmds = [
            counter_set(&counter.total, total),
            counter_set(&counter.updated_at, now),
        ];
        self.batch(cmds.into(), Safety::Repeatable).await.map(drop)
    }

    pub(crate) async fn scan(
        &self,
        pattern: &str,
        cursor: &Cursor,
        count: u32,
    ) -> Result<Page, Error> {
        if self.conn.is_cluster() {
            return self.scan_masters(pattern, cursor, count).await;
        }
        let at = match cursor {
            Cursor::At(at) => *at,
            _ => 0,
        };
        let cmd = scan_cmd(pattern, at, count);
        let (next, keys): ScanReply = self.conn.query(&cmd, Safety::Repeatable).await?;
        Ok(Page {
            keys,
            next: (next != 0).then_some(Cursor::At(next)),
        })
    }

    /// `SCAN` walks the keys of one node, and a Cluster spreads its keys
    /// over its masters: a page scans every master not done yet,
    /// concurrently, each from its own cursor. The first page asks the
    /// Cluster client for its masters.
    ///
    /// Keys that move to another master while the scan runs (a slot moved,
    /// a failover) may be missed or seen twice.
    async fn scan_masters(
        &self,
        pattern: &str,
        cursor: &Cursor,
        count: u32,
    ) -> Result<Page, Error> {
        let replies: Vec<(String, ScanReply)> = match cursor {
            Cursor::Nodes(nodes) => {
                let scans = nodes.iter().map(|(node, at)| async move {
                    let cmd = scan_cmd(pattern, *at, count);
                    let reply: ScanReply = self.conn.query_node(node, &cmd).await?;
                    Ok::<_, Error>((node.clone(), reply))
                });
                futures_util::future::try_join_all(scans).await?
            }
            Cursor::Start | Cursor::At(_) => {
                let cmd = scan_cmd(pattern, 0, count);
                self.conn.query_masters(&cmd).await?
            }
        };
        let mut keys = Vec::new();
        let mut pending = Vec::new();
        for (node, (next, found)) in replies {
            keys.extend(found);
            if next != 0 {
                pending.push((node, next));
            }
        }
        Ok(Page {
            keys,
            next: (!pending.is_empty()).then_some(Cursor::Nodes(pending)),
        })
    }

    /// Sends independent commands in one round trip: a pipeline on a
    /// single server, concurrent requests on a Cluster, where the keys of
    /// one batch usually live in different slots.
    async fn batch(&self, cmds: Vec<Cmd>, safety: Safety) -> Result<Vec<Value>, Error> {
        if self.conn.is_cluster() {
            let sends = cmds.iter().map(|cmd| self.conn.query::<Value>(cmd, safety));
            return futures_util::future::try_join_all(sends).await;
        }
        let mut pipe = Pipeline::with_capacity(cmds.len());
        for cmd in cmds {
            pipe.add_command(cmd);
        }
        self.conn.pipeline(&pipe, safety).await
    }
}

/// `KEYS`: index, counter total, counter time; `ARGV`: member, TTL, now.
/// The counter is changed with `pcall`: a counter that another writer
/// left as something other than an integer must not fail a sign-in whose
/// index change is already made. Reconcile repairs it.
const INDEX_ADD: &str = r"
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if added == 1 then
  redis.pcall('INCRBY', KEYS[2], 1)
  redis.call('SET', KEYS[3], ARGV[3])
end
return added
";

/// `KEYS`: index, counter total, counter time; `ARGV`: now, members...
/// Members are removed one call each: `unpack` has a size limit that a
/// large revoke would hit.
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

/// `SCAN`'s answer: the cursor to go on from (`0` at the end), and keys.
type ScanReply = (u64, Vec<Vec<u8>>);

fn scan_cmd(pattern: &str, cursor: u64, count: u32) -> Cmd {
    let mut cmd = redis::cmd("SCAN");
    cmd.arg(cursor)
        .arg("MATCH")
        .arg(pattern)
        .arg("COUNT")
        .arg(count);
    cmd
}

fn counter_set(key: &str, value: u64) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    cmd
}

fn set_cmd(write: &Write<'_>) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(write.key)
        .arg(write.value)
        .arg("EX")
        .arg(ttl_seconds(write.ttl));
    match write.condition {
        Condition::Always => {}
        Condition::Exists => {
            cmd.arg("XX");
        }
        Condition::Absent => {
            cmd.arg("NX");
        }
    }
    cmd
}
