//! A session: one visitor's public id and record, and whether it was
//! already stored when it was loaded.

use std::fmt;

use crate::error::Error;
use crate::id::PublicId;
use crate::record::Record;

/// A loaded or new session, ready to be read, changed and saved.
///
/// A session that existed when it was loaded is only ever updated by
/// [`Store::save`](crate::Store::save): if it was revoked in the meantime,
/// saving leaves it gone instead of bringing it back (SPEC 3).
///
/// `Debug` shows neither the id nor the record's values.
#[derive(Clone)]
pub struct Session {
    id: PublicId,
    record: Record,
    stored: bool,
}

impl Session {
    /// A new, empty session under a fresh id. Nothing is stored until it
    /// is saved with data in it.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the operating system has no random source.
    ///
    /// # Examples
    ///
    /// ```
    /// let session = rels_session::Session::new()?;
    /// assert!(session.record().is_empty());
    /// assert!(!session.is_stored());
    /// # Ok::<(), rels_session::Error>(())
    /// ```
    pub fn new() -> Result<Self, Error> {
        Ok(Self::fresh(PublicId::generate()?))
    }

    /// A session under an id you already have, holding `record`, treated
    /// as new: saving it creates its keys. This is for importing sessions
    /// and for tests.
    ///
    /// # Security
    ///
    /// Never pass an id that came from a client: accepting a client's
    /// choice of id is how session fixation works. Requests get their
    /// session from [`Store::load_session`](crate::Store::load_session).
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{PublicId, Record, Session};
    ///
    /// let id = PublicId::generate()?;
    /// let session = Session::with_id(id.clone(), Record::new());
    /// assert_eq!(session.id(), &id);
    /// # Ok::<(), rels_session::Error>(())
    /// ```
    #[must_use]
    pub fn with_id(id: PublicId, record: Record) -> Self {
        Self {
            id,
            record,
            stored: false,
        }
    }

    pub(crate) fn fresh(id: PublicId) -> Self {
        Self {
            id,
            record: Record::new(),
            stored: false,
        }
    }

    pub(crate) fn stored(id: PublicId, record: Record) -> Self {
        Self {
            id,
            record,
            stored: true,
        }
    }

    /// The session's public id, for the cookie.
    #[must_use]
    pub fn id(&self) -> &PublicId {
        &self.id
    }

    /// The session's data.
    #[must_use]
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The session's data, to change.
    pub fn record_mut(&mut self) -> &mut Record {
        &mut self.record
    }

    /// Whether the session was in the store when it was loaded (or was
    /// saved since).
    #[must_use]
    pub fn is_stored(&self) -> bool {
        self.stored
    }

    pub(crate) fn mark_stored(&mut self, stored: bool) {
        self.stored = stored;
    }

    /// Moves the data to a fresh id, as at sign-in, so that an id known
    /// before sign-in is worthless after it (session fixation). The old id
    /// is returned so that the caller can delete it after saving.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the operating system has no random source.
    pub fn cycle_id(&mut self) -> Result<PublicId, Error> {
        let fresh = PublicId::generate()?;
        self.stored = false;
        Ok(std::mem::replace(&mut self.id, fresh))
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { id, record, stored } = self;
        f.debug_struct("Session")
            .field("id", id)
            .field("record", record)
            .field("stored", stored)
            .finish()
    }
}
