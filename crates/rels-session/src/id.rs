//! Session ids: the public id a client holds, the private id the store
//! keys by, and the handle that people see.
//!
//! Every type here keeps its secret to itself: `Debug` and `Display` print
//! a fixed placeholder, and the text is reachable only through a method
//! whose name says what it hands out. See SPEC 1.1 and 3.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::Error;

/// Number of random bytes behind a public id.
const PUBLIC_ID_BYTES: usize = 16;

/// Length of a public id in characters: two hex digits per byte.
pub(crate) const PUBLIC_ID_LEN: usize = PUBLIC_ID_BYTES * 2;

/// Prefix of a private id: Rack's session id scheme, version 2.
pub(crate) const PRIVATE_ID_PREFIX: &str = "2::";

/// Length of a private id: the prefix and a hex SHA-256.
pub(crate) const PRIVATE_ID_LEN: usize = PRIVATE_ID_PREFIX.len() + 64;

/// The id a client holds: the session cookie's value, or a token client's
/// header. Sixteen random bytes as 32 lowercase hex characters.
///
/// Anyone who knows a public id can act as that session, so it is treated
/// as a secret: it has no `Display`, its `Debug` is redacted, and the only
/// way to read it is [`PublicId::expose`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicId(String);

impl PublicId {
    /// A fresh id from the operating system's secure random source.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the operating system has no random source to
    /// offer, which on supported platforms does not happen.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = rels_session::PublicId::generate()?;
    /// assert_eq!(id.expose().len(), 32);
    /// # Ok::<(), rels_session::Error>(())
    /// ```
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0u8; PUBLIC_ID_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.into()))?;
        Ok(Self(hex::encode(bytes)))
    }

    /// Reads a public id from untrusted text, such as a cookie value.
    ///
    /// Only the exact shape of a public id is accepted: 32 characters from
    /// `0-9a-f`. Anything else, including a private id, upper case,
    /// whitespace or a longer value, gives `None`, which callers treat as
    /// "no session". Because of this, no text from a client ever reaches a
    /// Redis key or pattern.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::PublicId;
    ///
    /// assert!(PublicId::parse("0123456789abcdef0123456789abcdef").is_some());
    /// assert!(PublicId::parse("0123456789ABCDEF0123456789ABCDEF").is_none());
    /// assert!(PublicId::parse("2::0123").is_none());
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == PUBLIC_ID_LEN
            && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The id as text, to put in a cookie or a header.
    ///
    /// # Security
    ///
    /// This is the session's bearer secret: never log it, never write it
    /// into an error message, a page or a listing.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The private id derived from this public id.
    #[must_use]
    pub fn private_id(&self) -> PrivateId {
        PrivateId::derive(self)
    }
}

impl fmt::Debug for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(_) = self;
        f.write_str("PublicId(<redacted>)")
    }
}

/// The id a session is stored under: `"2::"` followed by the lowercase hex
/// SHA-256 of the public id (SPEC 1.1).
///
/// A private id cannot be turned back into a public id, but the gem looks a
/// cookie value up verbatim, so a leaked private id still opens the session
/// on a Rails app. It is redacted like the public id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PrivateId(String);

impl PrivateId {
    fn derive(public: &PublicId) -> Self {
        let digest = Sha256::digest(public.0.as_bytes());
        let mut id = String::with_capacity(PRIVATE_ID_LEN);
        id.push_str(PRIVATE_ID_PREFIX);
        push_hex(&mut id, &digest);
        Self(id)
    }

    /// Reads a private id from the tail of a scanned Redis key.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let hash = text.strip_prefix(PRIVATE_ID_PREFIX)?;
        let well_formed = hash.len() == PRIVATE_ID_LEN - PRIVATE_ID_PREFIX.len()
            && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The id as text.
    ///
    /// # Security
    ///
    /// A Rails app running the gem accepts this text as a cookie value;
    /// keep it out of logs and output as you would a public id.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The handle that names this session to people.
    #[must_use]
    pub fn handle(&self) -> Handle {
        Handle::derive(self)
    }
}

impl fmt::Debug for PrivateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(_) = self;
        f.write_str("PrivateId(<redacted>)")
    }
}

/// The name of a session in listings, pages and the CLI (SPEC 3):
/// `"h_"` and the first 32 hex characters of SHA-256 of
/// `"rels-session handle:" + private id`.
///
/// A handle can be shown to anyone: it is not a cookie value, not a Redis
/// key, and cannot be turned back into either. Every tool computes the same
/// handle for the same session.
///
/// # Examples
///
/// ```
/// use rels_session::{Handle, PublicId};
///
/// let id = PublicId::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
/// let handle = id.private_id().handle();
/// assert!(handle.as_str().starts_with("h_"));
/// assert_eq!(Handle::parse(handle.as_str()), Some(handle));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

impl Handle {
    const PREFIX: &'static str = "h_";
    const HEX_LEN: usize = 32;
    const SALT: &'static str = "rels-session handle:";

    fn derive(private: &PrivateId) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(Self::SALT.as_bytes());
        hasher.update(private.0.as_bytes());
        let digest = hasher.finalize();
        let mut handle = String::with_capacity(Self::PREFIX.len() + Self::HEX_LEN);
        handle.push_str(Self::PREFIX);
        push_hex(
            &mut handle,
            digest.get(..Self::HEX_LEN / 2).unwrap_or_default(),
        );
        Self(handle)
    }

    /// Reads a handle from untrusted text, such as a URL path segment.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix(Self::PREFIX)?;
        let well_formed = hex.len() == Self::HEX_LEN
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The handle as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Appends the lowercase hex of a digest (at most 32 bytes) to `out`.
fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0_u8; 64];
    let Some(buf) = buf.get_mut(..bytes.len() * 2) else {
        return;
    };
    if hex::encode_to_slice(bytes, buf).is_ok()
        && let Ok(text) = std::str::from_utf8(buf)
    {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> PublicId {
        PublicId::parse(text).expect("test id is well formed")
    }

    #[test]
    fn private_ids_match_the_spec_vectors() {
        let vectors = [
            (
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547",
            ),
            (
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                "2::bdb339768bc5e4fecbe55a442056919b2b325907d49bcbf3bf8de13781996a83",
            ),
            (
                "cccccccccccccccccccccccccccccccc",
                "2::cd93782b7fb95559de14f738b65988af85d41dc1565f7c7d1ed2d035665b519c",
            ),
        ];
        for (public, private) in vectors {
            assert_eq!(id(public).private_id().expose(), private);
        }
    }

    #[test]
    fn generated_ids_are_lowercase_hex_and_distinct() {
        let a = PublicId::generate().expect("random source");
        let b = PublicId::generate().expect("random source");
        assert_eq!(PublicId::parse(a.expose()).as_ref(), Some(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn cookie_values_other_than_a_public_id_are_refused() {
        let refused = [
            "",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa*",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0",
            " aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "gggggggggggggggggggggggggggggggg",
            "2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547",
            "ééééééééééééééee",
        ];
        for text in refused {
            assert!(PublicId::parse(text).is_none(), "accepted {text:?}");
        }
        assert!(PublicId::parse(&"a".repeat(1 << 20)).is_none());
    }

    #[test]
    fn debug_output_never_shows_an_id() {
        let public = id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let private = public.private_id();
        let shown = format!("{public:?} {private:?} {public:#?}");
        assert!(!shown.contains("aaaa"), "{shown}");
        assert!(!shown.contains("3ba3f5"), "{shown}");
    }

    #[test]
    fn private_ids_parse_only_their_own_shape() {
        let private = id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").private_id();
        assert_eq!(PrivateId::parse(private.expose()), Some(private));
        assert!(PrivateId::parse("2::abc").is_none());
        assert!(PrivateId::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_none());
        assert!(PrivateId::parse("secure_store_enabled").is_none());
    }

    #[test]
    fn handles_are_stable_and_parse_back() {
        let handle = id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").private_id().handle();
        let again = id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").private_id().handle();
        assert_eq!(handle, again);
        assert_eq!(handle.as_str().len(), 34);
        assert_eq!(Handle::parse(handle.as_str()), Some(handle.clone()));
        assert!(Handle::parse("h_XYZ").is_none());
        assert_ne!(
            handle,
            id("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").private_id().handle()
        );
    }
}
