//! Store operations, side by side: our library, the raw client sending
//! the same commands (the floor), and tower-sessions' Redis store (the
//! peer) where it can do the same thing.
//!
//! Layout: `ours`, `raw` and `peer` hold the workers of each side; this
//! file seeds the data, builds the workers of one measurement and runs
//! every operation, tasks count and side, run after run. Within a run the
//! sides take turns, in an order that flips every run, so that a slow
//! moment of the machine does not always hit the same side.

mod ours;
pub(crate) mod peer;
mod raw;

use std::num::NonZeroU32;
use std::sync::Arc;

use redis::aio::MultiplexedConnection;
use rels_session::{PublicId, Settings, SidType, Store, UserId, Users};

use crate::BenchResult;
use crate::fixture::{
    NAMESPACE, connect, private_key, public_id, public_key, seed_flag, seed_index, seed_sessions,
    user_id,
};
use crate::measure::{self, Plan, Sample, Worker};
use crate::server::BenchRedis;

/// An operation measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Op {
    Load,
    Save,
    /// `find_many` of [`Layout::find_size`] sessions.
    FindMany,
    /// `Users::list` of a user with [`Layout::list_size`] sessions.
    List,
    /// `Users::revoke_all` of a user with [`Layout::revoke_size`]
    /// sessions.
    RevokeAll,
    /// Streaming every session, with this `SCAN` `COUNT`.
    Stream(u32),
}

impl Op {
    /// How the operation is named in the report.
    pub(crate) fn label(self, layout: &Layout) -> String {
        match self {
            Self::Load => "load".to_owned(),
            Self::Save => "save".to_owned(),
            Self::FindMany => format!("find many ({})", layout.find_size),
            Self::List => format!("list a user's sessions ({})", layout.list_size),
            Self::RevokeAll => format!("revoke all ({})", layout.revoke_size),
            Self::Stream(count) => format!(
                "stream ({} sessions, COUNT {count})",
                layout.stream_sessions
            ),
        }
    }

    /// The sides that can do this operation.
    pub(crate) fn sides(self) -> &'static [Side] {
        match self {
            Self::Load | Self::Save => &[Side::Raw, Side::Ours, Side::OursOneKey, Side::Peer],
            _ => &[Side::Raw, Side::Ours],
        }
    }
}

/// Who sends the commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub(crate) enum Side {
    /// The raw `redis` client: the floor.
    Raw,
    /// rels-session, with the gem's default `sid_type`: sessions under
    /// both ids.
    Ours,
    /// rels-session with `sid_type: private_id`: one key per session, as
    /// tower-sessions keeps them.
    OursOneKey,
    /// tower-sessions with tower-sessions-redis-store.
    Peer,
}

/// How much data there is and where it lives. Session numbers of each use
/// are far apart, so no two uses share a session.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct Layout {
    /// Sessions 0..pool are loaded, saved and found.
    pub(crate) pool: u64,
    pub(crate) find_size: u64,
    pub(crate) list_size: u64,
    pub(crate) revoke_size: u64,
    /// Sessions in database 1, streamed.
    pub(crate) stream_sessions: u64,
    /// The most tasks of any measurement: one listed user each.
    pub(crate) max_tasks: u64,
}

const LIST_BASE: u64 = 10_000_000;
const REVOKE_BASE: u64 = 20_000_000;
const STREAM_BASE: u64 = 30_000_000;
/// User numbers of revoked users start here; listed users start at 0.
const REVOKE_USERS: u64 = 1_000_000;

impl Layout {
    /// The sizes: 50 sessions found at once, 50 listed, 200
    /// revoked; `pool` sessions loaded and saved.
    pub(crate) fn new(pool: u64, stream_sessions: u64, max_tasks: u64) -> Self {
        Self {
            pool,
            find_size: 50,
            list_size: 50,
            revoke_size: 200,
            stream_sessions,
            max_tasks,
        }
    }

    fn list_user(&self, task: u64) -> UserId {
        user_id(task)
    }

    fn revoke_user(&self, task: u64) -> UserId {
        user_id(REVOKE_USERS + task)
    }
}

/// The store operations on seeded data, measured.
pub(crate) struct Bench<'a> {
    redis: &'a BenchRedis,
    plan: Plan,
    factory: Factory,
}

/// Builds the workers of a measurement. Needs the data seeded, but not the
/// server itself: a child process under callgrind builds its worker from
/// the URLs alone.
pub(crate) struct Factory {
    /// Database 0 (store and users) and database 1 (streaming).
    urls: [String; 2],
    layout: Layout,
    pool: Arc<Pool>,
    /// Our `connection_pool_options.max_in_flight`, when given.
    max_in_flight: Option<NonZeroU32>,
}

/// The ids and keys of the pool, made once and shared by every worker.
pub(super) struct Pool {
    ids: Vec<PublicId>,
    keys: Vec<[String; 2]>,
    groups: Vec<Vec<PublicId>>,
    /// The private keys of each group, sorted as the library sends them.
    key_groups: Vec<Vec<String>>,
}

impl Pool {
    fn new(layout: &Layout) -> Self {
        let ids: Vec<PublicId> = (0..layout.pool).map(public_id).collect();
        let keys = ids.iter().map(both_keys).collect();
        let groups: Vec<Vec<PublicId>> = ids
            .chunks(layout.find_size as usize)
            .filter(|g| g.len() == layout.find_size as usize)
            .map(<[PublicId]>::to_vec)
            .collect();
        let key_groups = groups
            .iter()
            .map(|g| sorted(g.iter().map(|id| private_key(id.expose())).collect()))
            .collect();
        Self {
            ids,
            keys,
            groups,
            key_groups,
        }
    }
}

/// Every run of one operation, tasks count and side.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Row {
    pub(crate) op: Op,
    pub(crate) label: String,
    pub(crate) tasks: usize,
    pub(crate) side: Side,
    pub(crate) runs: Vec<Sample>,
}

impl<'a> Bench<'a> {
    /// Seeds everything the operations read: database 0 for the store and
    /// the users, database 1 for streaming.
    pub(crate) async fn seed(
        redis: &'a BenchRedis,
        layout: Layout,
        plan: Plan,
        max_in_flight: Option<NonZeroU32>,
    ) -> BenchResult<Self> {
        let mut conn = connect(&redis.url(0)).await?;
        seed_flag(&mut conn).await?;
        seed_sessions(&mut conn, 0, layout.pool).await?;
        for task in 0..layout.max_tasks {
            let from = LIST_BASE + task * layout.list_size;
            seed_sessions(&mut conn, from, from + layout.list_size).await?;
            seed_index(
                &mut conn,
                &layout.list_user(task),
                from,
                from + layout.list_size,
            )
            .await?;
        }
        peer::seed(&peer::connect(&redis.url(0)).await?, 0, layout.pool).await?;

        let mut stream = connect(&redis.url(1)).await?;
        seed_flag(&mut stream).await?;
        seed_sessions(
            &mut stream,
            STREAM_BASE,
            STREAM_BASE + layout.stream_sessions,
        )
        .await?;
        Ok(Self {
            redis,
            plan,
            factory: Factory::new([redis.url(0), redis.url(1)], layout, max_in_flight),
        })
    }

    /// Measures `ops` at each tasks count, `runs` times.
    pub(crate) async fn run(
        &self,
        ops: &[Op],
        tasks: &[usize],
        runs: usize,
    ) -> BenchResult<Vec<Row>> {
        let mut rows = Vec::new();
        for &op in ops {
            for &n in tasks {
                let first = rows.len();
                for &side in op.sides() {
                    rows.push(Row {
                        op,
                        label: op.label(&self.factory.layout),
                        tasks: n,
                        side,
                        runs: Vec::new(),
                    });
                }
                for run in 0..runs {
                    let mut order: Vec<usize> = (first..rows.len()).collect();
                    if run % 2 == 1 {
                        order.reverse();
                    }
                    for i in order {
                        let sample = self.measure(op, rows[i].side, n).await?;
                        rows[i].runs.push(sample);
                    }
                }
                eprintln!(
                    "bench: {} at {n} tasks done",
                    op.label(&self.factory.layout)
                );
            }
        }
        Ok(rows)
    }

    /// One run of one operation on one side.
    pub(crate) async fn measure(&self, op: Op, side: Side, tasks: usize) -> BenchResult<Sample> {
        let workers = self.factory.workers(op, side, tasks).await?;
        if op == Op::RevokeAll {
            measure::rounds(workers, self.plan, self.redis).await
        } else {
            measure::continuous(workers, self.plan, self.redis).await
        }
    }
}

impl Factory {
    /// Workers for data seeded by [`Bench::seed`] at `urls`, with `layout`.
    pub(crate) fn new(
        urls: [String; 2],
        layout: Layout,
        max_in_flight: Option<NonZeroU32>,
    ) -> Self {
        Self {
            urls,
            pool: Arc::new(Pool::new(&layout)),
            layout,
            max_in_flight,
        }
    }

    /// The workers of `tasks` tasks doing `op` on `side`.
    pub(crate) async fn workers(
        &self,
        op: Op,
        side: Side,
        tasks: usize,
    ) -> BenchResult<Vec<Box<dyn Worker>>> {
        let url = match op {
            Op::Stream(_) => &self.urls[1],
            _ => &self.urls[0],
        };
        let mut workers: Vec<Box<dyn Worker>> = Vec::with_capacity(tasks);
        match side {
            Side::Ours | Side::OursOneKey => {
                let count = match op {
                    Op::Stream(count) => count,
                    _ => 50,
                };
                let mut settings = our_settings(url, count, self.max_in_flight)?;
                if side == Side::OursOneKey {
                    settings = settings.with_sid_type(SidType::PrivateId);
                }
                let store = Store::connect(&settings).await?;
                for task in 0..tasks as u64 {
                    workers.push(self.our_worker(op, &store, task).await?);
                }
            }
            Side::Raw => {
                let conn = connect(url).await?;
                for task in 0..tasks as u64 {
                    workers.push(self.raw_worker(op, conn.clone(), task));
                }
            }
            Side::Peer => {
                let store = peer::connect(url).await?;
                for task in 0..tasks as u64 {
                    workers.push(self.peer_worker(op, store.clone(), task)?);
                }
            }
        }
        Ok(workers)
    }

    async fn our_worker(&self, op: Op, store: &Store, task: u64) -> BenchResult<Box<dyn Worker>> {
        let layout = self.layout;
        let store = store.clone();
        Ok(match op {
            Op::Load => Box::new(ours::Load {
                pool: Arc::clone(&self.pool),
                next: start(task, layout.pool),
                store,
            }),
            Op::Save => Box::new(ours::Save::new(store, task).await?),
            Op::FindMany => Box::new(ours::FindMany {
                pool: Arc::clone(&self.pool),
                next: start(task, self.pool.groups.len() as u64),
                store,
            }),
            Op::List => Box::new(ours::List {
                users: Users::new(store),
                user: layout.list_user(task),
                expected: layout.list_size as usize,
            }),
            Op::RevokeAll => Box::new(ours::RevokeAll {
                users: Users::new(store),
                seeder: connect(&self.urls[0]).await?,
                layout,
                worker: task,
            }),
            Op::Stream(_) => Box::new(ours::StreamAll::new(store)),
        })
    }

    fn raw_worker(&self, op: Op, conn: MultiplexedConnection, task: u64) -> Box<dyn Worker> {
        let layout = self.layout;
        match op {
            Op::Load => Box::new(raw::Load {
                pool: Arc::clone(&self.pool),
                next: start(task, layout.pool),
                conn,
            }),
            Op::Save => {
                let id = public_id(task);
                Box::new(raw::Save {
                    keys: both_keys(&id),
                    payload: crate::fixture::payload(id.expose()),
                    conn,
                })
            }
            Op::FindMany => Box::new(raw::FindMany {
                pool: Arc::clone(&self.pool),
                next: start(task, self.pool.groups.len() as u64),
                conn,
            }),
            Op::List => Box::new(raw::List {
                index: crate::fixture::index_key(&layout.list_user(task)),
                conn,
            }),
            Op::RevokeAll => Box::new(raw::RevokeAll {
                conn,
                layout,
                worker: task,
            }),
            Op::Stream(count) => Box::new(raw::StreamAll {
                conn,
                pattern: format!("{NAMESPACE}:2::*"),
                count,
                cursor: 0,
            }),
        }
    }

    fn peer_worker(
        &self,
        op: Op,
        store: peer::PeerStore,
        task: u64,
    ) -> BenchResult<Box<dyn Worker>> {
        let pool = self.layout.pool;
        match op {
            Op::Load => Ok(Box::new(peer::Load {
                ids: (0..pool).map(peer::id).collect(),
                next: start(task, pool),
                store,
            })),
            Op::Save => Ok(Box::new(peer::Save {
                record: peer::record(task),
                store,
            })),
            _ => Err(format!("tower-sessions cannot {op:?}").into()),
        }
    }
}

/// Our store on `url`, with the library's defaults but for `SCAN COUNT`.
pub(crate) async fn our_store(url: &str, scan_count: u32) -> BenchResult<Store> {
    Ok(Store::connect(&our_settings(url, scan_count, None)?).await?)
}

/// Our settings for `url`: the library's defaults but for `SCAN COUNT`,
/// and the cap on requests in flight when given.
fn our_settings(
    url: &str,
    scan_count: u32,
    max_in_flight: Option<NonZeroU32>,
) -> BenchResult<Settings> {
    let count = NonZeroU32::new(scan_count).ok_or("SCAN COUNT must be above 0")?;
    let mut settings = Settings::new(url, NAMESPACE)?.with_scan_count(count);
    settings.pool.max_in_flight = max_in_flight;
    Ok(settings)
}

/// Where task `task` starts in a pool: spread out, so tasks do not read
/// the same session at the same time.
fn start(task: u64, pool: u64) -> usize {
    ((task * 7_919) % pool.max(1)) as usize
}

fn both_keys(id: &PublicId) -> [String; 2] {
    [private_key(id.expose()), public_key(id.expose())]
}

/// The library sends `MGET` over sorted, de-duplicated keys; so does the
/// floor.
fn sorted(mut keys: Vec<String>) -> Vec<String> {
    keys.sort_unstable();
    keys
}

/// Writes the 200 sessions of the user that task `task` revokes, and its
/// index.
async fn seed_revoke(
    conn: &mut MultiplexedConnection,
    layout: Layout,
    task: u64,
) -> BenchResult<u64> {
    let from = REVOKE_BASE + task * layout.revoke_size;
    seed_sessions(conn, from, from + layout.revoke_size).await?;
    seed_index(
        conn,
        &layout.revoke_user(task),
        from,
        from + layout.revoke_size,
    )
    .await?;
    Ok(0)
}
