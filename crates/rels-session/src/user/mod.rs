//! Per-user sessions: who is signed in where (SPEC 1.5, 2.2, 2.3, 3).
//!
//! At sign-in a session gets its metadata (`meta`: address, browser, OS,
//! device, app version, platform) and its public id joins the user's
//! index, `NS:user_sessions:<uuid>`, a Redis set shared with the gem. From
//! there a user's sessions can be listed, revoked one by one, several at
//! once, or all but the current one, and counted.
//!
//! The rules that go beyond the gem (SPEC 3): only sessions in the user's
//! index are ever revoked for that user; listing prunes members whose
//! session is gone and the counter follows; one unreadable record never
//! breaks a listing; people see handles, never public ids.
//!
//! Layout: `user_id` (the uuid), `sign_in` (recording a sign-in and
//! moving a session to a fresh id), `listing`, `revoke`, `activity` ("last
//! seen" and the index TTL) and `counters` (the gem's session counter).

mod activity;
mod counters;
mod listing;
mod revoke;
mod sign_in;
mod user_id;

use std::num::NonZeroUsize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use self::counters::Totals;
pub use self::listing::UserSession;
pub use self::revoke::Revoked;
pub use self::sign_in::{SignIn, SignInRequest};
pub use self::user_id::{InvalidUserId, UserId};
use crate::backend::Counter;
use crate::client_ip::TrustedProxies;
use crate::id::PublicId;
use crate::store::Store;

/// How often, at most, [`Users::touch`] writes "last seen" by default.
const DEFAULT_ACTIVITY_INTERVAL: Duration = Duration::from_secs(300);

/// The per-user view of a [`Store`]. Cloning is cheap.
///
/// # Examples
///
/// ```no_run
/// use rels_session::{SignIn, SignInRequest, Store, UserId, Users};
///
/// # async fn demo(store: Store) -> Result<(), Box<dyn std::error::Error>> {
/// let users = Users::new(store.clone());
/// let user = UserId::parse("11111111-2222-4333-8444-555555555555")?;
///
/// let mut session = store.load_session(None).await?;
/// let request = SignInRequest::new().with_user_agent("Mozilla/5.0 ...");
/// users.sign_in(&mut session, &user, &request, &SignIn::new()).await?;
///
/// for device in users.list(&user, Some(session.id())).await? {
///     println!("{} {:?} current={}", device.handle, device.meta.browser, device.current);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Users {
    store: Store,
    activity_interval: Duration,
    max_sessions: Option<NonZeroUsize>,
    trusted_proxies: TrustedProxies,
}

impl Users {
    /// The per-user view of `store`, with default options: "last seen"
    /// written at most every five minutes, no cap on sessions per user,
    /// and Rails' default trusted proxies.
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self {
            store,
            activity_interval: DEFAULT_ACTIVITY_INTERVAL,
            max_sessions: None,
            trusted_proxies: TrustedProxies::default(),
        }
    }

    /// How often, at most, [`touch`](Users::touch) writes "last seen" and
    /// refreshes the user index's TTL.
    #[must_use]
    pub fn with_activity_interval(mut self, interval: Duration) -> Self {
        self.activity_interval = interval;
        self
    }

    /// The most sessions a user may have. At a sign-in beyond it, the
    /// sessions seen least recently are revoked.
    #[must_use]
    pub fn with_max_sessions(mut self, max: NonZeroUsize) -> Self {
        self.max_sessions = Some(max);
        self
    }

    /// The proxies whose `X-Forwarded-For` entries are skipped when
    /// finding the client's address.
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The store this view works on.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn index_key(&self, user: &UserId) -> String {
        self.store.keyspace().user_index_key(user.as_str())
    }

    fn counter(&self) -> Counter {
        self.store.keyspace().counter()
    }

    /// The user index outlives every live session of the user: a session's
    /// TTL is reset on every request, the index's only at sign-in and once
    /// per activity interval.
    fn index_ttl(&self, session_ttl: Duration) -> Duration {
        session_ttl + self.activity_interval
    }

    /// Adds a session to the user's index and raises the counter when it is
    /// new there.
    async fn add_to_index(
        &self,
        user: &UserId,
        id: &PublicId,
        ttl: Duration,
    ) -> Result<bool, crate::Error> {
        let key = self.index_key(user);
        let backend = self.store.backend();
        backend
            .index_add(
                &key,
                id.expose(),
                self.index_ttl(ttl),
                &self.counter(),
                epoch_seconds(),
            )
            .await
    }

    /// Removes sessions from the user's index; the counter follows.
    async fn remove_from_index(
        &self,
        user: &UserId,
        ids: &[PublicId],
    ) -> Result<u64, crate::Error> {
        let members: Vec<String> = ids.iter().map(|id| id.expose().to_owned()).collect();
        let backend = self.store.backend();
        backend
            .index_remove(
                &self.index_key(user),
                &members,
                &self.counter(),
                epoch_seconds(),
            )
            .await
    }

    /// The public ids in the user's index. Members that are not public ids
    /// cannot name a session; they are left alone and skipped.
    async fn members(&self, user: &UserId) -> Result<Vec<PublicId>, crate::Error> {
        let raw = self.store.backend().members(&self.index_key(user)).await?;
        let ids: Vec<PublicId> = raw
            .iter()
            .filter_map(|m| std::str::from_utf8(m).ok().and_then(PublicId::parse))
            .collect();
        if ids.len() != raw.len() {
            tracing::warn!(
                target: "rels_session::user",
                user = %user,
                skipped = raw.len() - ids.len(),
                "user index holds members that are not public ids"
            );
        }
        Ok(ids)
    }
}

pub(crate) fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
