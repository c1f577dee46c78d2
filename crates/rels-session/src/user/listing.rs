//! Listing a user's sessions (SPEC 2.3), pruning the index as it goes.

use std::cmp::Reverse;

use super::{UserId, Users};
use crate::error::Error;
use crate::id::{Handle, PrivateId, PublicId};
use crate::meta::Meta;
use crate::stage::Stage;
use crate::store::Lookup;

/// One of a user's sessions, as a listing shows it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UserSession {
    /// The session's handle: what people and tools call it.
    pub handle: Handle,
    /// Whether this is the session of the request that asked.
    pub current: bool,
    /// How far the session got.
    pub stage: Stage,
    /// Its metadata, with unreadable fields left empty.
    pub meta: Meta,
}

impl Users {
    /// The user's sessions, newest first, in two round trips whatever
    /// their number: the index, then one `MGET`. Members whose session is
    /// gone are pruned from the index in a third round trip, and the
    /// counter follows.
    ///
    /// A session without a `meta` object was never recorded as a sign-in
    /// and is not listed. A record with unreadable metadata is listed with
    /// those fields empty, and a warning naming its handle is logged; one
    /// bad record never fails the listing.
    ///
    /// `current` is the public id of the asking request's session, to mark
    /// it in the listing.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn list(
        &self,
        user: &UserId,
        current: Option<&PublicId>,
    ) -> Result<Vec<UserSession>, Error> {
        let ids = self.members(user).await?;
        let privates: Vec<PrivateId> = ids.iter().map(PublicId::private_id).collect();
        let lookups = self.store.find_derived(&ids, &privates).await?;

        let mut gone = Vec::new();
        let mut listed = Vec::with_capacity(ids.len());
        for ((id, private), lookup) in ids.into_iter().zip(privates).zip(lookups) {
            match lookup {
                Lookup::Found(record) => {
                    let Some(read) = Meta::from_record(&record) else {
                        continue;
                    };
                    let handle = private.handle();
                    for problem in &read.problems {
                        tracing::warn!(
                            target: "rels_session::user",
                            handle = %handle,
                            problem = %problem,
                            "session metadata partly unreadable"
                        );
                    }
                    listed.push(UserSession {
                        current: current == Some(&id),
                        stage: Stage::of(&record),
                        meta: read.meta,
                        handle,
                    });
                }
                Lookup::Missing => gone.push(id),
                Lookup::Unreadable(err) => tracing::warn!(
                    target: "rels_session::user",
                    handle = %private.handle(),
                    error = %err,
                    "session in a user index is unreadable; not listed"
                ),
            }
        }

        if !gone.is_empty() {
            self.remove_from_index(user, &gone).await?;
        }
        listed.sort_by_key(|s| Reverse(s.meta.created_at.or(s.meta.updated_at)));
        Ok(listed)
    }
}
