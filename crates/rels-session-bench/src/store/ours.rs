//! The workers that drive our library: [`Store`] and [`Users`], as an
//! application would call them.

use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, TryStreamExt};
use redis::aio::MultiplexedConnection;
use rels_session::{Error, Lookup, Saved, Session, Store, StreamedSession, UserId, Users};

use super::{Layout, Pool, seed_revoke};
use crate::BenchResult;
use crate::fixture::public_id;
use crate::measure::{Step, Worker};

/// `Store::load` of existing sessions, one after the other.
pub(super) struct Load {
    pub(super) store: Store,
    pub(super) pool: Arc<Pool>,
    pub(super) next: usize,
}

impl Worker for Load {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            self.next = (self.next + 1) % self.pool.ids.len();
            match self.store.load(&self.pool.ids[self.next]).await? {
                Lookup::Found(_) => Ok(1),
                _ => Err("a seeded session was not found".into()),
            }
        })
    }
}

/// `Store::save` of a stored session: an update of both keys.
pub(super) struct Save {
    pub(super) store: Store,
    pub(super) session: Session,
}

impl Save {
    pub(super) async fn new(store: Store, n: u64) -> BenchResult<Self> {
        let id = public_id(n);
        let session = store.load_session(Some(id.expose())).await?;
        if !session.is_stored() {
            return Err("a seeded session was not found".into());
        }
        Ok(Self { store, session })
    }
}

impl Worker for Save {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            match self.store.save(&mut self.session).await? {
                Saved::Updated => Ok(1),
                other => Err(format!("an update saved as {other:?}").into()),
            }
        })
    }
}

/// `Store::find_many` of 50 sessions.
pub(super) struct FindMany {
    pub(super) store: Store,
    pub(super) pool: Arc<Pool>,
    pub(super) next: usize,
}

impl Worker for FindMany {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            self.next = (self.next + 1) % self.pool.groups.len();
            let group = &self.pool.groups[self.next];
            let found = self.store.find_many(group).await?;
            let n = found
                .iter()
                .filter(|l| matches!(l, Lookup::Found(_)))
                .count();
            expect_count(n, group.len())
        })
    }
}

/// `Users::list` of a user with 50 sessions.
pub(super) struct List {
    pub(super) users: Users,
    pub(super) user: UserId,
    pub(super) expected: usize,
}

impl Worker for List {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            let listed = self.users.list(&self.user, None).await?;
            expect_count(listed.len(), self.expected)
        })
    }
}

/// `Users::revoke_all` of a user with 200 sessions, seeded again before
/// each round.
pub(super) struct RevokeAll {
    pub(super) users: Users,
    pub(super) seeder: MultiplexedConnection,
    pub(super) layout: Layout,
    pub(super) worker: u64,
}

impl Worker for RevokeAll {
    fn prepare(&mut self) -> Step<'_> {
        Box::pin(seed_revoke(&mut self.seeder, self.layout, self.worker))
    }

    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            let user = self.layout.revoke_user(self.worker);
            let revoked = self.users.revoke_all(&user).await?;
            expect_count(revoked.revoked.len(), self.layout.revoke_size as usize)
        })
    }
}

type Batches = Pin<Box<dyn Stream<Item = Result<Vec<StreamedSession>, Error>> + Send>>;

/// `Store::stream` of every session; a step is one batch. When the
/// stream ends, a new one starts.
pub(super) struct StreamAll {
    store: &'static Store,
    batches: Batches,
}

/// Sessions per `MGET` when streaming: above any `SCAN` page, so that
/// each page is read with one `MGET`.
const STREAM_BATCH: NonZeroUsize = NonZeroUsize::new(1_000).expect("1000 is not zero");

impl StreamAll {
    pub(super) fn new(store: Store) -> Self {
        // A stream borrows its store, and a worker must own both: the
        // store is leaked, one `Arc` per worker and run, which a
        // benchmark process can afford.
        let store: &'static Store = Box::leak(Box::new(store));
        Self {
            store,
            batches: Box::pin(store.stream(None, STREAM_BATCH)),
        }
    }
}

impl Worker for StreamAll {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            loop {
                if let Some(batch) = self.batches.try_next().await? {
                    return Ok(batch.len() as u64);
                }
                self.batches = Box::pin(self.store.stream(None, STREAM_BATCH));
            }
        })
    }
}

fn expect_count(got: usize, wanted: usize) -> BenchResult<u64> {
    if got == wanted {
        Ok(got as u64)
    } else {
        Err(format!("expected {wanted} sessions, got {got}").into())
    }
}
