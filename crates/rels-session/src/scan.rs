//! Listing every stored session with `SCAN` (SPEC 1.5).
//!
//! A scan walks the key space page by page with the configured `COUNT`
//! and holds one page at a time, so streaming a million sessions costs the
//! memory of one page. Listing collects the stream.

use std::fmt;

use futures_util::stream::{self, Stream, TryStreamExt};

use crate::config::SidType;
use crate::error::Error;
use crate::id::{Handle, PrivateId, PublicId};
use crate::store::{Lookup, Store};

/// A stored session found by a scan.
///
/// A scan of private keys cannot know the public id, so a reference holds
/// what can be known: the private id (and from it the handle), and the
/// public id when sessions live under it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionRef {
    private: PrivateId,
    public: Option<PublicId>,
}

impl SessionRef {
    /// The session's private id.
    #[must_use]
    pub fn private_id(&self) -> &PrivateId {
        &self.private
    }

    /// The session's handle, to show to people.
    #[must_use]
    pub fn handle(&self) -> Handle {
        self.private.handle()
    }
}

impl fmt::Debug for SessionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRef")
            .field("handle", &self.handle())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Every stored session, page by page as `SCAN` returns them. Pages are
    /// never empty; the stream ends after the last one.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn demo(store: rels_session::Store) -> Result<(), rels_session::Error> {
    /// let mut pages = std::pin::pin!(store.scan());
    /// while let Some(page) = pages.try_next().await? {
    ///     for session in page {
    ///         println!("{}", session.handle());
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn scan(&self) -> impl Stream<Item = Result<Vec<SessionRef>, Error>> + Send + '_ {
        let pattern = match self.sid_type() {
            SidType::PublicId => self.keyspace().public_pattern(),
            _ => self.keyspace().private_pattern(),
        };
        let start = Some(0u64);
        stream::try_unfold(start, move |cursor| {
            let pattern = pattern.clone();
            async move {
                let mut cursor = match cursor {
                    Some(cursor) => cursor,
                    None => return Ok(None),
                };
                // SCAN may answer a page with no key before the end;
                // keep going until there is something to hand out.
                loop {
                    let page = self
                        .backend()
                        .scan(&pattern, cursor, self.scan_count())
                        .await?;
                    let refs = self.refs_of(&page.keys);
                    let next = (page.cursor != 0).then_some(page.cursor);
                    if !refs.is_empty() {
                        return Ok(Some((refs, next)));
                    }
                    match next {
                        Some(more) => cursor = more,
                        None => return Ok(None),
                    }
                }
            }
        })
    }

    /// Every stored session, collected. Prefer [`scan`](Store::scan) when
    /// there may be many.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn list(&self) -> Result<Vec<SessionRef>, Error> {
        let pages: Vec<Vec<SessionRef>> = self.scan().try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// The records of scanned sessions, in order, with one `MGET`.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn find_refs(&self, refs: &[SessionRef]) -> Result<Vec<Lookup>, Error> {
        match self.sid_type() {
            SidType::PublicId => {
                let ids: Vec<PublicId> = refs.iter().filter_map(|r| r.public.clone()).collect();
                self.find_many(&ids).await
            }
            _ => {
                let ids: Vec<PrivateId> = refs.iter().map(|r| r.private.clone()).collect();
                self.find_private(&ids).await
            }
        }
    }

    fn refs_of(&self, keys: &[Vec<u8>]) -> Vec<SessionRef> {
        let space = self.keyspace();
        keys.iter()
            .filter_map(|key| match self.sid_type() {
                SidType::PublicId => space.public_id_of(key).map(|public| SessionRef {
                    private: public.private_id(),
                    public: Some(public),
                }),
                _ => space.private_id_of(key).map(|private| SessionRef {
                    private,
                    public: None,
                }),
            })
            .collect()
    }
}
