//! The end of a request: storing what the handler did to its session,
//! and deciding which cookie the response carries.
//!
//! At most one round trip: a save when the session changed, else a TTL
//! refresh under [`Refresh::OnLoad`], else nothing. A cycled id costs
//! one more, to delete the old keys. An untouched session costs none.

use std::sync::Arc;

use super::config::{FailureMode, Refresh};
use super::request::{Loaded, RequestSession, Shared};
use crate::error::Error;
use crate::id::PublicId;
use crate::store::Saved;

/// What the response needs after the session was stored.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Nothing to add.
    Untouched,
    /// Give the client this id in the session cookie.
    SetCookie(PublicId),
    /// Tell the client to drop the session cookie.
    RemoveCookie,
    /// The store failed and the layer fails closed: replace the response.
    Failed(Arc<Error>),
}

impl RequestSession {
    /// Stores the session's changes after the handler. Cookie outcomes
    /// are dropped for token clients, who keep their id themselves.
    pub(crate) async fn commit(&self) -> Outcome {
        let shared = self.shared();
        let mut state = shared.state.lock().await;
        let outcome = match state.as_mut() {
            None => Outcome::Untouched,
            Some(Err(err)) => Outcome::Failed(Arc::clone(err)),
            Some(Ok(loaded)) if loaded.detached => Outcome::Untouched,
            Some(Ok(loaded)) => match shared.store_changes(loaded).await {
                // A sign-in stored the session under a fresh id: the client
                // needs it, even with nothing left to save.
                Ok(Outcome::Untouched) if loaded.issued => {
                    Outcome::SetCookie(loaded.session.id().clone())
                }
                Ok(outcome) => outcome,
                Err(err) => shared.save_failed(err),
            },
        };
        match outcome {
            Outcome::SetCookie(_) | Outcome::RemoveCookie if shared.incoming.is_token() => {
                Outcome::Untouched
            }
            outcome => outcome,
        }
    }
}

impl Shared {
    async fn store_changes(&self, loaded: &mut Loaded) -> Result<Outcome, Error> {
        if let Some(old) = loaded.retired.take() {
            return self.move_session(loaded, &old).await;
        }
        if loaded.changed {
            let saved = self.store.save(&mut loaded.session).await?;
            return Ok(self.after_save(saved, loaded));
        }
        if loaded.stored_at_load && self.config.refresh == Refresh::OnLoad {
            return self.touch(loaded).await;
        }
        Ok(Outcome::Untouched)
    }

    /// Saves a cycled session under its new id, after deleting the old
    /// keys. Deleting first is what keeps a revoke: if the old keys are
    /// already gone, the session was revoked while the request ran, and
    /// writing it under a new id would bring it back (SPEC 3).
    async fn move_session(&self, loaded: &mut Loaded, old: &PublicId) -> Result<Outcome, Error> {
        if !self.store.delete(old).await? {
            tracing::debug!(
                target: "rels_session::web",
                "session was revoked while the request ran; not moving it to a new id"
            );
            return Ok(Outcome::RemoveCookie);
        }
        match self.store.save(&mut loaded.session).await? {
            // The old cookie names deleted keys: drop it.
            Saved::Skipped => Ok(Outcome::RemoveCookie),
            saved => Ok(self.after_save(saved, loaded)),
        }
    }

    fn after_save(&self, saved: Saved, loaded: &Loaded) -> Outcome {
        tracing::trace!(target: "rels_session::web", ?saved, "session stored");
        let id = loaded.session.id();
        match saved {
            Saved::Created => Outcome::SetCookie(id.clone()),
            Saved::Updated => self.slide(id),
            Saved::Gone => {
                tracing::debug!(
                    target: "rels_session::web",
                    "session was revoked while the request ran; it stays gone"
                );
                Outcome::RemoveCookie
            }
            Saved::Deleted => Outcome::RemoveCookie,
            Saved::Skipped => Outcome::Untouched,
        }
    }

    /// Refreshes the TTL of a session that was read and left unchanged.
    async fn touch(&self, loaded: &Loaded) -> Result<Outcome, Error> {
        let id = loaded.session.id();
        if self.store.touch(id).await? {
            Ok(self.slide(id))
        } else {
            // Revoked or expired while the request ran.
            Ok(Outcome::RemoveCookie)
        }
    }

    /// Re-sends the cookie when it has a Max-Age, so that it expires
    /// together with the session whose TTL was just reset.
    fn slide(&self, id: &PublicId) -> Outcome {
        if self.config.cookie.max_age.is_some() {
            Outcome::SetCookie(id.clone())
        } else {
            Outcome::Untouched
        }
    }

    fn save_failed(&self, err: Error) -> Outcome {
        tracing::error!(
            target: "rels_session::web",
            error = %err,
            "could not save the session"
        );
        match self.config.failure {
            FailureMode::Closed => Outcome::Failed(Arc::new(err)),
            FailureMode::Open => Outcome::Untouched,
        }
    }
}
