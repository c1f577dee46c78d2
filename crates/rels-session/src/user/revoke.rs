//! Revoking a user's sessions (SPEC 1.5, 2.3, 3), and the cap on how many
//! a user may have.
//!
//! Every revoke reads the user's index first and acts only on its members:
//! a handle or id that is not one of the user's sessions is reported as
//! not found and left alone, whoever it belongs to. A revoke costs three
//! round trips whatever the number of sessions: the index, one `DEL` of
//! every key, and one update of the index and the counter.

use std::cmp::Reverse;

use super::{UserId, Users};
use crate::error::Error;
use crate::id::{Handle, PublicId};

/// What a revoke did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revoked {
    /// The sessions revoked.
    pub revoked: Vec<Handle>,
    /// The handles asked for that are not among the user's sessions.
    pub not_found: Vec<Handle>,
}

impl Users {
    /// Revokes the user's sessions named by `handles`.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn revoke(&self, user: &UserId, handles: &[Handle]) -> Result<Revoked, Error> {
        let members = self.members(user).await?;
        let mut chosen = Vec::new();
        let mut not_found = Vec::new();
        for handle in handles {
            match members
                .iter()
                .find(|id| &id.private_id().handle() == handle)
            {
                Some(id) if !chosen.contains(id) => chosen.push(id.clone()),
                Some(_) => {}
                None => not_found.push(handle.clone()),
            }
        }
        let mut revoked = self.revoke_members(user, &chosen).await?;
        revoked.not_found = not_found;
        Ok(revoked)
    }

    /// Revokes one of the user's sessions by its public id, as the gem
    /// does. Returns whether it was the user's session.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn revoke_id(&self, user: &UserId, id: &PublicId) -> Result<bool, Error> {
        let members = self.members(user).await?;
        if !members.contains(id) {
            return Ok(false);
        }
        self.revoke_members(user, std::slice::from_ref(id)).await?;
        Ok(true)
    }

    /// Revokes every session of the user (signs the user out everywhere).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn revoke_all(&self, user: &UserId) -> Result<Revoked, Error> {
        let members = self.members(user).await?;
        self.revoke_members(user, &members).await
    }

    /// Revokes every session of the user but `keep` (signs out the other
    /// devices).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn revoke_others(&self, user: &UserId, keep: &PublicId) -> Result<Revoked, Error> {
        let others: Vec<PublicId> = self
            .members(user)
            .await?
            .into_iter()
            .filter(|id| id != keep)
            .collect();
        self.revoke_members(user, &others).await
    }

    /// Deletes the sessions of index members, then removes them from the
    /// index. Deleting first means a failure in between leaves index
    /// members without a session, which the next listing prunes, rather
    /// than live sessions no listing shows.
    async fn revoke_members(&self, user: &UserId, ids: &[PublicId]) -> Result<Revoked, Error> {
        if ids.is_empty() {
            return Ok(Revoked::default());
        }
        self.store.delete_many(ids).await?;
        self.remove_from_index(user, ids).await?;
        Ok(Revoked {
            revoked: ids.iter().map(|id| id.private_id().handle()).collect(),
            not_found: Vec::new(),
        })
    }

    /// Revokes the sessions seen least recently while the user has more
    /// than the cap. `current` is never revoked.
    pub(super) async fn enforce_cap(&self, user: &UserId, current: &PublicId) -> Result<(), Error> {
        let Some(max) = self.max_sessions else {
            return Ok(());
        };
        let ids = self.members(user).await?;
        if ids.len() <= max.get() {
            return Ok(());
        }
        let lookups = self.store.find_many(&ids).await?;
        let mut others: Vec<(PublicId, Option<time::OffsetDateTime>)> = ids
            .into_iter()
            .zip(lookups)
            .filter(|(id, _)| id != current)
            .map(|(id, lookup)| {
                let seen = lookup
                    .into_record()
                    .and_then(|r| crate::meta::Meta::from_record(&r))
                    .and_then(|read| read.meta.updated_at.or(read.meta.created_at));
                (id, seen)
            })
            .collect();
        // Most recent first; the tail beyond the cap goes. Sessions with
        // no time at all count as the oldest.
        others.sort_by_key(|(_, seen)| Reverse(*seen));
        let excess: Vec<PublicId> = others
            .into_iter()
            .skip(max.get() - 1)
            .map(|(id, _)| id)
            .collect();
        self.revoke_members(user, &excess).await.map(drop)
    }
}
