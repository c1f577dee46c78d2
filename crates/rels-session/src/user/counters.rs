//! The gem's session counter (SPEC 1.2, 1.5, 3): totals, and reconcile.
//!
//! The counter is the number of live index memberships: a member of a
//! user's index whose session exists. Adding raises it, revoking and
//! pruning lower it, and [`Users::reconcile`] recounts exactly that.

use futures_util::stream::{Stream, TryStreamExt};
use time::OffsetDateTime;

use super::{UserId, Users, epoch_seconds};
use crate::error::Error;
use crate::store::Lookup;

/// The session counter as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Totals {
    /// Sessions counted; a counter driven below zero reads as zero.
    pub total_sessions: u64,
    /// When the counter last changed.
    pub last_updated_at: Option<OffsetDateTime>,
}

impl Users {
    /// The counter, in one round trip.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn totals(&self) -> Result<Totals, Error> {
        let counter = self.counter();
        let keys = [counter.total, counter.updated_at];
        let values = self.store.backend().fetch(&keys).await?;
        let number = |i: usize| -> Option<i64> {
            let bytes = values.get(i)?.as_deref()?;
            std::str::from_utf8(bytes).ok()?.trim().parse().ok()
        };
        Ok(Totals {
            total_sessions: number(0).map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            last_updated_at: number(1).and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()),
        })
    }

    /// Every user with an index, page by page as `SCAN` finds them.
    pub fn scan_users(&self) -> impl Stream<Item = Result<Vec<UserId>, Error>> + Send + '_ {
        let pattern = self.store.keyspace().user_index_pattern();
        self.store.scan_pages(pattern, move |key| {
            let user = self.store.keyspace().user_of_index_key(key)?;
            UserId::parse(user).ok()
        })
    }

    /// How many of the user's index members have a live session: two
    /// round trips, and nothing is changed.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn live_count(&self, user: &UserId) -> Result<u64, Error> {
        let ids = self.members(user).await?;
        let lookups = self.store.find_many(&ids).await?;
        let live = lookups
            .iter()
            .filter(|l| !matches!(l, Lookup::Missing))
            .count();
        Ok(u64::try_from(live).unwrap_or(u64::MAX))
    }

    /// Recounts the live index memberships of every user and stores the
    /// result as the counter. Indexes are not pruned; listing does that.
    ///
    /// Sessions that sign in or are revoked while this runs may be counted
    /// on either side of the change.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn reconcile(&self) -> Result<Totals, Error> {
        let mut total = 0u64;
        let mut users = std::pin::pin!(self.scan_users());
        while let Some(page) = users.try_next().await? {
            for user in page {
                total += self.live_count(&user).await?;
            }
        }
        let now = epoch_seconds();
        self.store
            .backend()
            .set_counter(&self.counter(), total, now)
            .await?;
        Ok(Totals {
            total_sessions: total,
            last_updated_at: i64::try_from(now)
                .ok()
                .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()),
        })
    }
}
