//! Streaming every session's record, or those of one stage (SPEC 1.5,
//! 1.6): a scan, with one `MGET` per batch.

use std::num::NonZeroUsize;

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::error::Error;
use crate::record::Record;
use crate::scan::SessionRef;
use crate::stage::Stage;
use crate::store::{Lookup, Store};

/// A session found by [`Store::stream`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StreamedSession {
    /// Where it is stored; gives its handle.
    pub session: SessionRef,
    /// How far it got.
    pub stage: Stage,
    /// Its data.
    pub record: Record,
}

impl Store {
    /// Every session, or those of `stage`, in batches of at most `batch`
    /// sessions, with one `MGET` per batch. Memory stays bounded by the
    /// batch and one scan page, however many sessions there are.
    /// Unreadable records are skipped with a warning naming their handle;
    /// sessions that vanish between the scan and the read are skipped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::num::NonZeroUsize;
    /// use futures_util::TryStreamExt;
    /// use rels_session::Stage;
    ///
    /// # async fn demo(store: rels_session::Store) -> Result<(), rels_session::Error> {
    /// let batch = NonZeroUsize::new(500).unwrap();
    /// let mut signed_in = 0;
    /// let mut batches = std::pin::pin!(store.stream(Some(Stage::Authenticated), batch));
    /// while let Some(sessions) = batches.try_next().await? {
    ///     signed_in += sessions.len();
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream(
        &self,
        stage: Option<Stage>,
        batch: NonZeroUsize,
    ) -> impl Stream<Item = Result<Vec<StreamedSession>, Error>> + Send + '_ {
        self.scan()
            .map_ok(move |page| {
                let chunks: Vec<Vec<SessionRef>> = page
                    .chunks(batch.get())
                    .map(<[SessionRef]>::to_vec)
                    .collect();
                stream::iter(chunks.into_iter().map(Ok::<_, Error>))
            })
            .try_flatten()
            // The next page is scanned while this batch is read.
            .map_ok(move |chunk| self.read_batch(chunk, stage))
            .try_buffered(2)
            .try_filter(|sessions| std::future::ready(!sessions.is_empty()))
            .boxed()
    }

    async fn read_batch(
        &self,
        refs: Vec<SessionRef>,
        stage: Option<Stage>,
    ) -> Result<Vec<StreamedSession>, Error> {
        let lookups = self.find_scanned(&refs).await?;
        let mut found = Vec::with_capacity(refs.len());
        for (session, lookup) in refs.into_iter().zip(lookups) {
            match lookup {
                Lookup::Found(record) => {
                    let of = Stage::of(&record);
                    if stage.is_none_or(|wanted| wanted == of) {
                        found.push(StreamedSession {
                            session,
                            stage: of,
                            record,
                        });
                    }
                }
                Lookup::Unreadable(err) => tracing::warn!(
                    target: "rels_session::store",
                    handle = %session.handle(),
                    error = %err,
                    "skipping an unreadable session"
                ),
                _ => {}
            }
        }
        Ok(found)
    }
}
