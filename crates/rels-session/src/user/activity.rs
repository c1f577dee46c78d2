//! "Last seen": keeping `meta.updated_at` true and the user index alive
//! (SPEC 3), cheaply enough to call on every authenticated request.

use time::OffsetDateTime;

use super::{UserId, Users};
use crate::error::Error;
use crate::meta::Meta;
use crate::session::Session;
use crate::store::Saved;

impl Users {
    /// Notes that the session's user is active. At most once per activity
    /// interval it writes `meta.updated_at` (saving the session) and
    /// resets the user index's TTL; otherwise it costs nothing.
    ///
    /// Returns whether it wrote. A session without `meta` (never recorded
    /// as a sign-in) is left alone.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn touch(&self, session: &mut Session, user: &UserId) -> Result<bool, Error> {
        let Some(read) = Meta::from_record(session.record()) else {
            return Ok(false);
        };
        let now = OffsetDateTime::now_utc();
        let fresh = read
            .meta
            .updated_at
            .is_some_and(|at| now - at < self.activity_interval && at <= now);
        if fresh || !session.is_stored() {
            return Ok(false);
        }

        let mut meta = read.meta;
        meta.updated_at = Some(now);
        meta.update_in(session.record_mut());
        if self.store.save(session).await? == Saved::Gone {
            return Ok(false);
        }
        let index = [self.index_key(user)];
        let ttl = self.index_ttl(self.store.ttl());
        self.store.backend().expire(&index, ttl).await?;
        Ok(true)
    }
}
