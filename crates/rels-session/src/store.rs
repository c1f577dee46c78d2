//! The store: sessions in Redis under the gem's keys (SPEC 1.2, 1.3, 2.1).
//!
//! The store owns which keys a session lives under (`sid_type`), the
//! flag, and the rule that an update never brings back a revoked
//! session. It does not know about users; the per-user index builds on it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::backend::{Backend, Condition, MemoryBackend, RedisBackend, Write};
use crate::config::{Namespace, Settings, SidType};
use crate::connection::Connection;
use crate::error::Error;
use crate::flag::{FLAG_TTL, FlagCache};
use crate::id::{PrivateId, PublicId};
use crate::keys::Keyspace;
use crate::record::{Record, RecordError};
use crate::session::Session;

/// The gem's session TTL: 14 days.
const DEFAULT_TTL: Duration = Duration::from_secs(1_209_600);

/// The gem's `SCAN` count.
const DEFAULT_SCAN_COUNT: u32 = 50;

/// What a look-up of one session found.
#[derive(Debug)]
#[non_exhaustive]
pub enum Lookup {
    /// The session exists and its record was read.
    Found(Record),
    /// No session is stored under that id.
    Missing,
    /// Something is stored, but it is not a session record. It is left in
    /// place: another application may own it.
    Unreadable(RecordError),
}

impl Lookup {
    /// The record, when one was found.
    #[must_use]
    pub fn into_record(self) -> Option<Record> {
        match self {
            Self::Found(record) => Some(record),
            _ => None,
        }
    }

    fn from_bytes(bytes: Option<Vec<u8>>) -> Self {
        match bytes.map(Record::from_payload) {
            None => Self::Missing,
            Some(Ok(record)) => Self::Found(record),
            Some(Err(err)) => Self::Unreadable(err),
        }
    }
}

/// What [`Store::save`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Saved {
    /// A new session was written.
    Created,
    /// An existing session was updated.
    Updated,
    /// The session was revoked or expired while it was in use; it stays
    /// gone, and the caller should treat the visitor as signed out.
    Gone,
    /// The session was emptied, so its keys were deleted.
    Deleted,
    /// The session is new and empty: nothing to store.
    Skipped,
}

/// Sessions in Redis, shared with the gem. Cloning is cheap; clones share
/// one connection.
///
/// # Examples
///
/// ```no_run
/// use rels_session::{Settings, Store};
///
/// # async fn demo() -> Result<(), rels_session::Error> {
/// let settings = Settings::new("redis://127.0.0.1:6380/0", "rels:session")?;
/// let store = Store::connect(&settings).await?;
///
/// let mut session = store.load_session(None).await?;
/// session.record_mut().insert("locale", "ja")?;
/// store.save(&mut session).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    keys: Keyspace,
    sid_type: SidType,
    ttl: Duration,
    scan_count: u32,
    flag: FlagCache,
}

impl Store {
    /// Connects to Redis as `settings` say.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] when Redis cannot be reached, and
    /// [`Error::Rejected`] when it refuses the connection (a wrong
    /// password, an unknown Sentinel master, a server certificate that
    /// fails verification, an unreadable CA file).
    pub async fn connect(settings: &Settings) -> Result<Self, Error> {
        let pool = &settings.pool;
        let max_in_flight = pool
            .max_in_flight
            .map(|n| usize::try_from(n.get()).unwrap_or(usize::MAX));
        let conn = Connection::open(&settings.redis, max_in_flight, pool.timeout).await?;
        Ok(Self::with_backend(
            Backend::Redis(RedisBackend::new(conn)),
            settings,
        ))
    }

    /// A store in this process's memory, with the gem's defaults: namespace
    /// `rels:session`, sessions under both ids, 14 days of TTL.
    ///
    /// It behaves as the Redis store does (TTLs, the user index, counters,
    /// revokes that stick), for tests and for running without Redis.
    /// Nothing is shared with other processes: Rails apps don't see these
    /// sessions.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let store = rels_session::Store::memory();
    /// let mut session = store.load_session(None).await?;
    /// session.record_mut().insert("n", &1)?;
    /// store.save(&mut session).await?;
    /// assert!(store.load(session.id()).await?.into_record().is_some());
    /// # Ok::<(), rels_session::Error>(())
    /// # });
    /// ```
    #[must_use]
    pub fn memory() -> Self {
        Self::with_parts(
            Backend::Memory(MemoryBackend::default()),
            Keyspace::new(&Namespace::default_gem()),
            SidType::default(),
            DEFAULT_TTL,
            DEFAULT_SCAN_COUNT,
        )
    }

    /// A store in this process's memory that follows `settings` for the
    /// namespace, `sid_type`, TTL and scan count; the Redis settings are
    /// not used.
    #[must_use]
    pub fn memory_from(settings: &Settings) -> Self {
        Self::with_backend(Backend::Memory(MemoryBackend::default()), settings)
    }

    fn with_backend(backend: Backend, settings: &Settings) -> Self {
        Self::with_parts(
            backend,
            Keyspace::new(&settings.redis.namespace),
            settings.sid_type,
            settings.expires_after,
            settings.scan_count.get(),
        )
    }

    fn with_parts(
        backend: Backend,
        keys: Keyspace,
        sid_type: SidType,
        ttl: Duration,
        scan_count: u32,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                keys,
                sid_type,
                ttl,
                scan_count,
                flag: FlagCache::default(),
            }),
        }
    }

    /// Whether sessions live in this process's memory rather than Redis.
    #[must_use]
    pub fn is_memory(&self) -> bool {
        matches!(self.inner.backend, Backend::Memory(_))
    }

    /// How long a saved session lives without being saved again.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The session for a request: the stored one when `cookie` names one,
    /// else a new empty session under a fresh id. A cookie that is not a
    /// well-formed public id, or names a missing or unreadable session,
    /// gives a new session; nothing is written until it is saved.
    ///
    /// One round trip, none without a well-formed cookie.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn load_session(&self, cookie: Option<&str>) -> Result<Session, Error> {
        let Some(id) = cookie.and_then(PublicId::parse) else {
            return Session::new();
        };
        match self.load(&id).await? {
            Lookup::Found(record) => Ok(Session::stored(id, record)),
            Lookup::Missing => Session::new(),
            Lookup::Unreadable(err) => {
                tracing::warn!(
                    target: "rels_session::store",
                    error = %err,
                    "stored session is unreadable; starting a new one"
                );
                Session::new()
            }
        }
    }

    /// The stored record of one session, in one round trip.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn load(&self, id: &PublicId) -> Result<Lookup, Error> {
        let inner = &*self.inner;
        let private = inner.keys.private_key(&id.private_id());
        let public = inner.keys.public_key(id);
        let bytes = match inner.sid_type {
            SidType::PrivateId => self.fetch_one(private).await?,
            SidType::PublicId => self.fetch_one(public).await?,
            _ => self.fetch_both(private, public).await?,
        };
        Ok(Lookup::from_bytes(bytes))
    }

    async fn fetch_one(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        let mut values = self.inner.backend.fetch(&[key]).await?;
        Ok(values.pop().flatten())
    }

    /// Reads both keys of a session, and the flag when what this process
    /// knows of it is stale, in one `MGET`.
    async fn fetch_both(&self, private: String, public: String) -> Result<Option<Vec<u8>>, Error> {
        let inner = &*self.inner;
        let known = inner.flag.known();
        let mut keys = vec![private, public];
        if known.is_none() {
            keys.push(inner.keys.flag_key());
        }
        let mut values = inner.backend.fetch(&keys).await?;
        let flag = match known {
            Some(flag) => flag,
            None => {
                let flag = values.pop().flatten().is_some();
                inner.flag.observe(flag);
                flag
            }
        };
        let mut values = values.into_iter();
        let (private, public) = (values.next().flatten(), values.next().flatten());
        Ok(if flag {
            private.or(public)
        } else {
            public.or(private)
        })
    }

    /// The records of many sessions, in the order of `ids`, with one
    /// `MGET` over the de-duplicated keys.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn find_many(&self, ids: &[PublicId]) -> Result<Vec<Lookup>, Error> {
        let keys: Vec<String> = ids.iter().map(|id| self.read_key(id)).collect();
        self.fetch_deduplicated(&keys).await
    }

    /// [`find_many`](Self::find_many) for a caller that has derived the
    /// private ids already: `privates[i]` is the private id of `ids[i]`.
    pub(crate) async fn find_derived(
        &self,
        ids: &[PublicId],
        privates: &[PrivateId],
    ) -> Result<Vec<Lookup>, Error> {
        let keys: Vec<String> = match self.inner.sid_type {
            SidType::PublicId => ids
                .iter()
                .map(|id| self.inner.keys.public_key(id))
                .collect(),
            _ => privates
                .iter()
                .map(|id| self.inner.keys.private_key(id))
                .collect(),
        };
        self.fetch_deduplicated(&keys).await
    }

    /// One value per key, in order, with one `MGET` of `keys` as they are.
    pub(crate) async fn fetch_each(&self, keys: &[String]) -> Result<Vec<Lookup>, Error> {
        let values = self.inner.backend.fetch(keys).await?;
        Ok(values.into_iter().map(Lookup::from_bytes).collect())
    }

    pub(crate) async fn fetch_deduplicated(&self, keys: &[String]) -> Result<Vec<Lookup>, Error> {
        let mut unique: Vec<&String> = keys.iter().collect();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() == keys.len() {
            // Nothing repeats (the usual case).
            return self.fetch_each(keys).await;
        }
        let unique: Vec<String> = unique.into_iter().cloned().collect();
        let mut values = self.inner.backend.fetch(&unique).await?;
        let slots: Vec<Option<usize>> = keys
            .iter()
            .map(|key| unique.binary_search(key).ok())
            .collect();
        // A value is moved to the last place that asks for it and copied
        // for the others.
        let mut last = vec![usize::MAX; unique.len()];
        for (place, slot) in slots.iter().enumerate() {
            if let Some(entry) = slot.and_then(|slot| last.get_mut(slot)) {
                *entry = place;
            }
        }
        Ok(slots
            .iter()
            .enumerate()
            .map(|(place, slot)| {
                let value = slot.and_then(|slot| {
                    let value = values.get_mut(slot)?;
                    if last.get(slot) == Some(&place) {
                        value.take()
                    } else {
                        value.clone()
                    }
                });
                Lookup::from_bytes(value)
            })
            .collect())
    }

    /// The key a bulk read of `id` uses: the private key, unless sessions
    /// live only under their public id.
    fn read_key(&self, id: &PublicId) -> String {
        match self.inner.sid_type {
            SidType::PublicId => self.inner.keys.public_key(id),
            _ => self.inner.keys.private_key(&id.private_id()),
        }
    }

    /// The stored text of one session, unparsed, as an operator would want
    /// to see it. Bytes that are not UTF-8 are replaced.
    ///
    /// # Security
    ///
    /// The text is the session's data, possibly with tokens in it: show it
    /// only to operators.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn peek(&self, id: &PublicId) -> Result<Option<String>, Error> {
        let bytes = self.fetch_one(self.read_key(id)).await?;
        Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Stores `session` with the store's TTL, in one round trip.
    ///
    /// A session that was stored when it was loaded is only updated: when
    /// it was revoked in between, it stays gone and the answer is
    /// [`Saved::Gone`]. An emptied session is deleted. A new, empty
    /// session writes nothing, so a visitor who never writes leaves no key.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn save(&self, session: &mut Session) -> Result<Saved, Error> {
        if session.record().is_empty() {
            if !session.is_stored() {
                return Ok(Saved::Skipped);
            }
            self.delete(session.id()).await?;
            session.mark_stored(false);
            return Ok(Saved::Deleted);
        }

        let updating = session.is_stored();
        let condition = if updating {
            Condition::Exists
        } else {
            Condition::Always
        };
        let payload = session.record().to_json();
        let written = self
            .write(session.id(), payload.as_bytes(), condition)
            .await?;

        let outcome = match (updating, written) {
            (false, _) => Saved::Created,
            (true, true) => Saved::Updated,
            (true, false) => Saved::Gone,
        };
        session.mark_stored(outcome != Saved::Gone);
        Ok(outcome)
    }

    /// Writes the session's keys, and the flag when it is due. Returns
    /// whether any session key was written.
    async fn write(
        &self,
        id: &PublicId,
        payload: &[u8],
        condition: Condition,
    ) -> Result<bool, Error> {
        let inner = &*self.inner;
        let keys = self.session_keys(id);
        let mut writes: Vec<Write<'_>> = keys
            .iter()
            .map(|key| Write {
                key,
                value: payload,
                ttl: inner.ttl,
                condition,
            })
            .collect();

        let with_flag = inner.sid_type != SidType::PrivateId && inner.flag.claim_write();
        let (flag_key, epoch) = if with_flag {
            (inner.keys.flag_key(), epoch_seconds().to_string())
        } else {
            (String::new(), String::new())
        };
        if with_flag {
            writes.push(Write {
                key: &flag_key,
                value: epoch.as_bytes(),
                ttl: FLAG_TTL,
                condition: Condition::Absent,
            });
        }

        let results = match inner.backend.write(&writes).await {
            Ok(results) => results,
            Err(err) => {
                if with_flag {
                    inner.flag.release_write();
                }
                return Err(err);
            }
        };
        if with_flag {
            inner.flag.observe(true);
        }
        Ok(results.iter().take(keys.len()).any(|written| *written))
    }

    /// Deletes one session, in one request. Returns whether it existed.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn delete(&self, id: &PublicId) -> Result<bool, Error> {
        let removed = self.inner.backend.delete(&self.session_keys(id)).await?;
        Ok(removed > 0)
    }

    /// Deletes many sessions with one `DEL`. Returns how many Redis keys
    /// were removed (two per session when sessions live under both ids).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn delete_many(&self, ids: &[PublicId]) -> Result<u64, Error> {
        let mut keys: Vec<String> = ids.iter().flat_map(|id| self.session_keys(id)).collect();
        keys.sort_unstable();
        keys.dedup();
        self.inner.backend.delete(&keys).await
    }

    /// Resets the TTL of one session's keys without rewriting it, as a
    /// request that read the session does in Rails. Returns whether the
    /// session still exists.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn touch(&self, id: &PublicId) -> Result<bool, Error> {
        let keys = self.session_keys(id);
        let results = self.inner.backend.expire(&keys, self.inner.ttl).await?;
        Ok(results.into_iter().any(|exists| exists))
    }

    /// The Redis keys a session lives under, as `sid_type` says.
    pub(crate) fn session_keys(&self, id: &PublicId) -> Vec<String> {
        let keys = &self.inner.keys;
        match self.inner.sid_type {
            SidType::PrivateId => vec![keys.private_key(&id.private_id())],
            SidType::PublicId => vec![keys.public_key(id)],
            _ => vec![keys.private_key(&id.private_id()), keys.public_key(id)],
        }
    }

    pub(crate) fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    pub(crate) fn keyspace(&self) -> &Keyspace {
        &self.inner.keys
    }

    pub(crate) fn sid_type(&self) -> SidType {
        self.inner.sid_type
    }

    pub(crate) fn scan_count(&self) -> u32 {
        self.inner.scan_count
    }
}

fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
