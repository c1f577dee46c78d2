//! The primitives of [`Backend`](super::Backend) on Redis.

use std::time::Duration;

use redis::{Cmd, Pipeline, Value};

use super::{Condition, Page, Write, ttl_seconds};
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
        let replies = self.batch(&cmds, Safety::Repeatable).await?;
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
        let replies = self.batch(&cmds, Safety::Repeatable).await?;
        Ok(replies.iter().map(|v| matches!(v, Value::Int(1))).collect())
    }

    pub(crate) async fn scan(&self, pattern: &str, cursor: u64, count: u32) -> Result<Page, Error> {
        // TODO(#7): a Cluster scan must visit every master.
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(count);
        let (cursor, keys): (u64, Vec<Vec<u8>>) = self.conn.query(&cmd, Safety::Repeatable).await?;
        Ok(Page { cursor, keys })
    }

    /// Sends independent commands in one round trip: a pipeline on a
    /// single server, concurrent requests on a Cluster, where the keys of
    /// one batch usually live in different slots.
    async fn batch(&self, cmds: &[Cmd], safety: Safety) -> Result<Vec<Value>, Error> {
        if self.conn.is_cluster() {
            let sends = cmds.iter().map(|cmd| self.conn.query::<Value>(cmd, safety));
            return futures_util::future::try_join_all(sends).await;
        }
        let mut pipe = Pipeline::with_capacity(cmds.len());
        for cmd in cmds {
            pipe.add_command(cmd.clone());
        }
        self.conn.pipeline(&pipe, safety).await
    }
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
