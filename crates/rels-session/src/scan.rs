//! Listing every stored session with `SCAN` (SPEC 1.5).
//!
//! A scan walks the key space page by page with the configured `COUNT`
//! and holds one page at a time, so streaming a million sessions costs the
//! memory of one page. Listing collects the stream.

use std::fmt;
use std::time::Duration;

use futures_util::stream::{self, Stream, TryStreamExt};

use crate::backend::Cursor;
use crate::config::SidType;
use crate::error::Error;
use crate::id::{Handle, PrivateId, PublicId};
use crate::meta::Meta;
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
        self.scan_pages(pattern, move |key| self.ref_of(key))
    }

    /// The keys matching `pattern`, turned into `T` by `parse` (keys it
    /// refuses are skipped), page by page; pages are never empty.
    pub(crate) fn scan_pages<'a, T: Send + 'a>(
        &'a self,
        pattern: String,
        parse: impl Fn(&[u8]) -> Option<T> + Send + Sync + 'a,
    ) -> impl Stream<Item = Result<Vec<T>, Error>> + Send + 'a {
        let parse = std::sync::Arc::new(parse);
        stream::try_unfold(Some(Cursor::default()), move |cursor| {
            let pattern = pattern.clone();
            let parse = std::sync::Arc::clone(&parse);
            async move {
                let Some(mut cursor) = cursor else {
                    return Ok(None);
                };
                // SCAN may answer a page with no key before the end;
                // keep going until there is something to hand out.
                loop {
                    let page = self
                        .backend()
                        .scan(&pattern, &cursor, self.scan_count())
                        .await?;
                    let items: Vec<T> = page.keys.iter().filter_map(|k| parse(k)).collect();
                    if !items.is_empty() {
                        return Ok(Some((items, page.next)));
                    }
                    match page.next {
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
        let keys: Vec<String> = refs.iter().map(|r| self.ref_key(r)).collect();
        self.fetch_deduplicated(&keys).await
    }

    /// [`find_refs`](Self::find_refs) for the sessions of one scan page,
    /// which names each key once: no de-duplication to pay for.
    pub(crate) async fn find_scanned(&self, refs: &[SessionRef]) -> Result<Vec<Lookup>, Error> {
        let keys: Vec<String> = refs.iter().map(|r| self.ref_key(r)).collect();
        self.fetch_each(&keys).await
    }

    /// The time left to live of scanned sessions, in order, in one round
    /// trip; `None` for a session that is gone.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn ttls(&self, refs: &[SessionRef]) -> Result<Vec<Option<Duration>>, Error> {
        let keys: Vec<String> = refs.iter().map(|r| self.ref_key(r)).collect();
        self.backend().ttl(&keys).await
    }

    /// The stored text of a scanned session, unparsed. Bytes that are not
    /// UTF-8 are replaced.
    ///
    /// # Security
    ///
    /// The text is the session's data: show it only to operators.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn peek_ref(&self, session: &SessionRef) -> Result<Option<String>, Error> {
        let bytes = self.backend().fetch(&[self.ref_key(session)]).await?;
        let text = bytes.into_iter().next().flatten();
        Ok(text.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Deletes scanned sessions with one `DEL`, both keys of each.
    ///
    /// A scan of private keys does not know a session's public id, but a
    /// signed-in session records it in `meta.public_session_id`; it is
    /// used when it hashes to the session's private id, so that a Rails
    /// app reading the public key first does not find the session alive.
    /// Costs one `MGET` and one `DEL`. Returns how many Redis keys were
    /// removed.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn delete_refs(&self, refs: &[SessionRef]) -> Result<u64, Error> {
        let lookups = self.find_refs(refs).await?;
        let mut keys = Vec::with_capacity(refs.len() * 2);
        for (session, lookup) in refs.iter().zip(lookups) {
            keys.push(self.ref_key(session));
            if let Some(public) = session
                .public
                .clone()
                .or_else(|| public_id_in(session, lookup))
            {
                keys.extend(self.session_keys(&public));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        self.backend().delete(&keys).await
    }

    /// The key a scanned session was found under.
    fn ref_key(&self, session: &SessionRef) -> String {
        match &session.public {
            Some(public) if self.sid_type() == SidType::PublicId => {
                self.keyspace().public_key(public)
            }
            _ => self.keyspace().private_key(&session.private),
        }
    }

    /// The session a scanned key names, if it names one.
    fn ref_of(&self, key: &[u8]) -> Option<SessionRef> {
        let space = self.keyspace();
        match self.sid_type() {
            SidType::PublicId => space.public_id_of(key).map(|public| SessionRef {
                private: public.private_id(),
                public: Some(public),
            }),
            _ => space.private_id_of(key).map(|private| SessionRef {
                private,
                public: None,
            }),
        }
    }
}

/// The public id a session records about itself, when it is truly this
/// session's: its hash must give the session's private id.
fn public_id_in(session: &SessionRef, lookup: Lookup) -> Option<PublicId> {
    let record = lookup.into_record()?;
    let public = Meta::from_record(&record)?.meta.public_session_id?;
    (public.private_id() == session.private).then_some(public)
}
