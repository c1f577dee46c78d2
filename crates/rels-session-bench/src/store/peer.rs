//! The peer: tower-sessions' Redis store (tower-sessions-redis-store, on
//! the `fred` client), loading and saving the same session data.
//!
//! It stores one key per session, MessagePack-encoded, with `GET` to load
//! and `SET ... XX EXAT` to save.

use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{Client, ClientLike, Config};

use crate::BenchResult;
use crate::fixture::{TTL_SECONDS, public_id, tower_data};
use crate::measure::{Step, Worker};

/// The peer's store, on one `fred` client (one connection).
pub(crate) type PeerStore = RedisStore<Client>;

/// Connects the peer's store to `url`.
pub(crate) async fn connect(url: &str) -> BenchResult<PeerStore> {
    let client = Client::new(Config::from_url(url)?, None, None, None);
    client.init().await?;
    Ok(RedisStore::new(client))
}

/// The id tower-sessions stores session number `n` under.
pub(crate) fn id(n: u64) -> Id {
    Id(i128::from(n) + 1)
}

/// Session number `n` as tower-sessions holds it: the same data as ours.
pub(crate) fn record(n: u64) -> Record {
    let ttl = time::Duration::seconds(TTL_SECONDS.cast_signed());
    Record {
        id: id(n),
        data: tower_data(public_id(n).expose()),
        expiry_date: OffsetDateTime::now_utc() + ttl,
    }
}

/// Creates sessions `from..to` in the peer's store.
pub(crate) async fn seed(store: &PeerStore, from: u64, to: u64) -> BenchResult<()> {
    let ids: Vec<u64> = (from..to).collect();
    for chunk in ids.chunks(256) {
        let creates = chunk.iter().map(|&n| async move {
            let mut record = record(n);
            store.create(&mut record).await?;
            if record.id == id(n) {
                Ok(())
            } else {
                Err(crate::BenchError::from("a peer session was seeded twice"))
            }
        });
        futures_util::future::try_join_all(creates).await?;
    }
    Ok(())
}

/// `SessionStore::load` of existing sessions.
pub(super) struct Load {
    pub(super) store: PeerStore,
    pub(super) ids: Vec<Id>,
    pub(super) next: usize,
}

impl Worker for Load {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            self.next = (self.next + 1) % self.ids.len();
            match self.store.load(&self.ids[self.next]).await? {
                Some(_) => Ok(1),
                None => Err("a seeded peer session was not found".into()),
            }
        })
    }
}

/// `SessionStore::save` of an existing session.
pub(super) struct Save {
    pub(super) store: PeerStore,
    pub(super) record: Record,
}

impl Worker for Save {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            self.store.save(&self.record).await?;
            Ok(1)
        })
    }
}
