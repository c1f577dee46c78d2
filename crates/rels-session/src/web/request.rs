//! The session as a handler sees it: [`RequestSession`], an axum
//! extractor that loads the session on first use and remembers what the
//! handler changed, for the layer to save after the handler.
//!
//! Loading waits for the first access, so a handler that never touches
//! the session costs no Redis command. Saving is the layer's job
//! (`commit`), not this file's.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::config::{Config, FailureMode};
use super::error::{MissingSessionLayer, SessionError};
use super::incoming::Incoming;
use crate::error::Error;
use crate::id::PublicId;
use crate::record::{Record, RecordError};
use crate::session::Session;
use crate::store::Store;

/// The session of the current request, as a Rails controller's `session`.
///
/// Take it as a handler argument on a route wrapped by
/// [`SessionLayer`](super::SessionLayer). The first access loads the
/// session in one round trip; a handler that never touches it costs
/// nothing. Changes are saved after the handler, in one round trip, and
/// only when there are any. Clones share the same session.
///
/// Its `Debug` and `Display` never show the session id or any value.
///
/// # Examples
///
/// ```
/// use rels_session::web::{RequestSession, SessionError};
///
/// async fn add_to_cart(session: RequestSession) -> Result<&'static str, SessionError> {
///     let mut cart: Vec<u32> = session.get("cart").await?.unwrap_or_default();
///     cart.push(42);
///     session.insert("cart", &cart).await?;
///     Ok("added")
/// }
/// ```
#[derive(Clone)]
pub struct RequestSession {
    shared: Arc<Shared>,
}

/// What the layer and every clone of a request's session share.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) config: Arc<Config>,
    pub(crate) incoming: Incoming,
    /// `None` until the first access; then the session, or why the store
    /// could not load it (under [`FailureMode::Closed`]).
    pub(crate) state: Mutex<Option<Result<Loaded, Arc<Error>>>>,
}

/// A loaded session and what the request did to it.
pub(crate) struct Loaded {
    pub(crate) session: Session,
    /// Whether the session existed in the store when it was loaded: the
    /// only sessions whose TTL a read refreshes.
    pub(crate) stored_at_load: bool,
    pub(crate) changed: bool,
    /// The stored id the session had before [`RequestSession::cycle_id`],
    /// whose keys are deleted when the session is saved under its new id.
    pub(crate) retired: Option<PublicId>,
    /// The store failed and the layer fails open: the handler works on an
    /// empty session that is never saved.
    pub(crate) detached: bool,
    /// A recorded sign-in stored the session under a fresh id during the
    /// request: the client needs the new cookie even when nothing is left
    /// to save.
    pub(crate) issued: bool,
}

impl RequestSession {
    pub(crate) fn new(store: Store, config: Arc<Config>, incoming: Incoming) -> Self {
        let shared = Shared {
            store,
            config,
            incoming,
            state: Mutex::new(None),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The value under `key`, converted to `T`; `None` when it is absent.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded, or the
    /// stored value has another shape than `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::{RequestSession, SessionError};
    /// async fn user_id(session: RequestSession) -> Result<String, SessionError> {
    ///     // Devise's mark of a signed-in user: [[id], salt].
    ///     let warden: Option<(Vec<u64>, String)> =
    ///         session.get("warden.user.user.key").await?;
    ///     Ok(format!("{:?}", warden.map(|(ids, _)| ids)))
    /// }
    /// ```
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let value = self.with(|l| l.session.record().get(key)).await?;
        Ok(value?)
    }

    /// Sets `key` to `value`. The session is saved after the handler
    /// unless the value was already there, unchanged.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded, or
    /// `value` cannot be turned into JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::{RequestSession, SessionError};
    /// async fn set_locale(session: RequestSession) -> Result<(), SessionError> {
    ///     session.insert("locale", "ja").await
    /// }
    /// ```
    pub async fn insert<T>(&self, key: &str, value: &T) -> Result<(), SessionError>
    where
        T: Serialize + ?Sized,
    {
        Ok(self.with(|l| l.insert(key, value)).await??)
    }

    /// Removes `key`, returning whether it was there.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::{RequestSession, SessionError};
    /// async fn forget_return_to(session: RequestSession) -> Result<(), SessionError> {
    ///     session.remove("user_return_to").await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn remove(&self, key: &str) -> Result<bool, SessionError> {
        self.with(|l| l.remove(key)).await
    }

    /// Removes every key, as at sign-out. After the handler the session's
    /// keys are deleted from the store and the client is told to drop its
    /// cookie.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::{RequestSession, SessionError};
    /// async fn sign_out(session: RequestSession) -> Result<(), SessionError> {
    ///     session.clear().await
    /// }
    /// ```
    pub async fn clear(&self) -> Result<(), SessionError> {
        self.with(Loaded::clear).await
    }

    /// Moves the session's data to a fresh id, as at sign-in, so that an
    /// id known before sign-in is worthless after it (session fixation).
    /// After the handler the data is saved under the new id, the old
    /// keys are deleted and the new cookie is set. If the old session was
    /// revoked while the request ran, nothing is saved and the cookie is
    /// removed.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded or no
    /// fresh id could be made.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::{RequestSession, SessionError};
    /// async fn sign_in(session: RequestSession) -> Result<(), SessionError> {
    ///     session.cycle_id().await?;
    ///     session.insert("warden.user.user.key", &([7], "salt")).await
    /// }
    /// ```
    pub async fn cycle_id(&self) -> Result<(), SessionError> {
        self.with(Loaded::cycle_id).await?
    }

    /// The session's public id, to record a sign-in against it: `None`
    /// while there is nothing to store (a new, empty session) or when the
    /// session could not be loaded. After [`cycle_id`](Self::cycle_id) it
    /// is the new id.
    ///
    /// # Security
    ///
    /// The public id is the session's bearer secret: store it where a
    /// cookie would be safe, and never log it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::RequestSession;
    /// async fn signed_in(session: RequestSession) -> &'static str {
    ///     match session.public_id().await {
    ///         Some(_id) => "record the sign-in under this id",
    ///         None => "no session yet",
    ///     }
    /// }
    /// ```
    pub async fn public_id(&self) -> Option<PublicId> {
        self.with(Loaded::public_id).await.ok().flatten()
    }

    /// A copy of the session's data as it is now, this request's changes
    /// included: to show it, or to read many keys at once.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded.
    ///
    /// # Examples
    ///
    /// ```
    /// # use rels_session::web::{RequestSession, SessionError};
    /// async fn keys(session: RequestSession) -> Result<String, SessionError> {
    ///     let record = session.record().await?;
    ///     Ok(record.keys().collect::<Vec<_>>().join(", "))
    /// }
    /// ```
    pub async fn record(&self) -> Result<Record, SessionError> {
        self.with(|l| l.session.record().clone()).await
    }

    /// Runs `f` on the session, loading it first if this is the first
    /// access. A failed load is kept, so every access in the request
    /// reports it and the store is asked once.
    async fn with<R>(&self, f: impl FnOnce(&mut Loaded) -> R) -> Result<R, SessionError> {
        Ok(f(&mut *self.loaded().await?))
    }

    /// The loaded session, held for the whole of an operation that awaits
    /// the store (a recorded sign-in), so that no other access in the
    /// request sees it half done.
    pub(crate) async fn loaded(&self) -> Result<MappedMutexGuard<'_, Loaded>, SessionError> {
        let mut state = self.shared.state.lock().await;
        if state.is_none() {
            *state = Some(self.shared.load().await);
        }
        if let Some(Err(err)) = state.as_ref() {
            return Err(SessionError::load(Arc::clone(err)));
        }
        let loaded = MutexGuard::try_map(state, |slot| slot.as_mut()?.as_mut().ok());
        Ok(loaded
            .ok()
            .expect("the slot holds a loaded session: filled and checked above"))
    }
}

impl Shared {
    async fn load(&self) -> Result<Loaded, Arc<Error>> {
        let id = self.incoming.id().map(PublicId::expose);
        match self.store.load_session(id).await {
            Ok(session) => Ok(Loaded::new(session, false)),
            Err(err) => self.load_failed(err),
        }
    }

    fn load_failed(&self, err: Error) -> Result<Loaded, Arc<Error>> {
        match self.config.failure {
            FailureMode::Closed => {
                tracing::error!(
                    target: "rels_session::web",
                    error = %err,
                    "could not load the session; failing the request"
                );
                Err(Arc::new(err))
            }
            FailureMode::Open => {
                tracing::warn!(
                    target: "rels_session::web",
                    error = %err,
                    "could not load the session; going on with an empty one that is not saved"
                );
                let session = Session::new().map_err(Arc::new)?;
                Ok(Loaded::new(session, true))
            }
        }
    }
}

impl Loaded {
    fn new(session: Session, detached: bool) -> Self {
        Self {
            stored_at_load: session.is_stored(),
            session,
            changed: false,
            retired: None,
            detached,
            issued: false,
        }
    }

    fn insert<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), RecordError> {
        let record = self.session.record_mut();
        let before = record.get_raw(key).map(str::to_owned);
        record.insert(key, value)?;
        let after = record.get_raw(key);
        self.changed |= before.as_deref() != after;
        Ok(())
    }

    fn remove(&mut self, key: &str) -> bool {
        let removed = self.session.record_mut().remove(key);
        self.changed |= removed;
        removed
    }

    fn clear(&mut self) {
        let record = self.session.record_mut();
        self.changed |= record.keys().next().is_some();
        record.clear();
    }

    fn cycle_id(&mut self) -> Result<(), SessionError> {
        let old = self.session.cycle_id().map_err(SessionError::cycle)?;
        // Only the id the session was loaded under has keys to delete; ids
        // from earlier cycles in this request were never stored.
        if self.stored_at_load && self.retired.is_none() {
            self.retired = Some(old);
        }
        self.changed = true;
        Ok(())
    }

    fn public_id(&mut self) -> Option<PublicId> {
        let session = &self.session;
        let exists = session.is_stored() || !session.record().is_empty();
        (exists && !self.detached).then(|| session.id().clone())
    }
}

impl fmt::Debug for RequestSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RequestSession");
        match self.shared.state.try_lock().as_deref() {
            Ok(None) => out.field("state", &"unloaded"),
            Ok(Some(Ok(loaded))) => out
                .field("state", &"loaded")
                .field("changed", &loaded.changed)
                .field("record", loaded.session.record()),
            Ok(Some(Err(_))) => out.field("state", &"failed"),
            Err(_) => out.field("state", &"in use"),
        };
        out.finish_non_exhaustive()
    }
}

impl fmt::Display for RequestSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("session <redacted>")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestSession {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(MissingSessionLayer)
    }
}
