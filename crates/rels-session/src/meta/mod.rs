//! A session's `meta`: the 13 fields a recorded login stores about the
//! device, the client and the times (SPEC 1.4), read from and written to
//! the JSON the gem shares with us.
//!
//! Writing follows the gem byte for byte, except that times are always
//! written in UTC. Reading never fails: a field that is missing or cannot
//! be read gets its default and a [`MetaProblem`] that the caller logs, so
//! one bad record never hides a user's other sessions (SPEC 3). Building a
//! `meta` from a request, and the user index, live elsewhere.

mod pick;
mod problem;
mod read;
mod timestamp;
mod write;

use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::id::PublicId;
use crate::record::Record;

pub(crate) use pick::fields;
pub use problem::MetaProblem;

/// The key a session's metadata lives under in its record.
pub(crate) const META_KEY: &str = "meta";

/// The fields of a `meta` object, in the order the gem writes them.
pub(crate) const FIELDS: [&str; 13] = [
    "ip",
    "browser",
    "os",
    "app_version",
    "device_name",
    "device_type",
    "installation_id",
    "course_id",
    "client_platform",
    "public_session_id",
    "session_key_type",
    "created_at",
    "updated_at",
];

/// A session's metadata: what a recorded login knows about the device, the
/// client and the times (SPEC 1.4).
///
/// Read one with [`Meta::from_record`] or [`Meta::read`]; write one with
/// [`Meta::store_in`]. Start a new one from [`Meta::default`] and set its
/// fields.
///
/// `Debug` shows every field except the public id, which redacts itself.
///
/// # Examples
///
/// ```
/// use rels_session::{Meta, Record, SessionKeyType};
///
/// let record = Record::parse(
///     br#"{"meta":{"ip":"203.0.113.7","session_key_type":"token"}}"#,
/// )?;
/// let read = Meta::from_record(&record).expect("the record has a meta");
/// assert_eq!(read.meta.ip.as_deref(), Some("203.0.113.7"));
/// assert_eq!(read.meta.session_key_type, SessionKeyType::Token);
/// // The other 11 fields are missing: each is reported, none is fatal.
/// assert_eq!(read.problems.len(), 11);
/// # Ok::<(), rels_session::RecordError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Meta {
    /// The client address, proxy-aware (SPEC 2.2). The gem always writes a
    /// string; a record without one reads as `None`.
    pub ip: Option<String>,
    /// Browser name in device-detector's vocabulary, such as `"Chrome"`.
    pub browser: Option<String>,
    /// Operating system name in device-detector's vocabulary, such as
    /// `"iOS"`.
    pub os: Option<String>,
    /// The app's version, from the `AppVersion` header.
    pub app_version: Option<String>,
    /// The device's name, from the `X-DEVICE` header or detected, such as
    /// `"iPhone"`.
    pub device_name: Option<String>,
    /// The device's type, such as `"desktop"` or `"smartphone"`.
    pub device_type: Option<String>,
    /// The app installation, from the `X-INSTALLATION-ID` header.
    pub installation_id: Option<String>,
    /// The course the session is in, always as text (`42` reads and writes
    /// as `"42"`).
    pub course_id: Option<String>,
    /// `"web"`, `"mobile_web"`, `"ios_app"`, `"android_app"` or
    /// `"mobile_app"` (SPEC 2.2), kept as text so that a value from a newer
    /// writer survives.
    pub client_platform: Option<String>,
    /// The public id of the session this metadata belongs to. A stored
    /// value that is not a well-formed public id reads as `None`.
    ///
    /// This is the session's cookie value: never show it (SPEC 3).
    pub public_session_id: Option<PublicId>,
    /// How the client holds its public id.
    pub session_key_type: SessionKeyType,
    /// When the user signed in, as given by the caller that recorded it.
    pub created_at: Option<OffsetDateTime>,
    /// When this metadata was last written.
    pub updated_at: Option<OffsetDateTime>,
}

/// How a client holds its public id: in a cookie (browsers) or as a token
/// in a header (apps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionKeyType {
    /// A session cookie; the default.
    #[default]
    Cookie,
    /// A token the client sends in a header.
    Token,
}

impl SessionKeyType {
    /// The name as stored: `"cookie"` or `"token"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(rels_session::SessionKeyType::Token.as_str(), "token");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cookie => "cookie",
            Self::Token => "token",
        }
    }

    /// Reads a stored name; `None` for anything but `"cookie"` and
    /// `"token"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::SessionKeyType;
    ///
    /// assert_eq!(SessionKeyType::parse("cookie"), Some(SessionKeyType::Cookie));
    /// assert_eq!(SessionKeyType::parse("bearer"), None);
    /// ```
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "cookie" => Some(Self::Cookie),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

/// A `meta` as read: the fields that could be read, and what was wrong
/// with the others.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetaRead {
    /// The metadata, with a default in every field that had a problem.
    pub meta: Meta,
    /// One entry per field that was missing or unreadable. Log them as
    /// warnings; they never quote a stored value.
    pub problems: Vec<MetaProblem>,
}

impl Meta {
    /// Reads a stored `meta` value. Never fails: see [`MetaRead`].
    ///
    /// Times come back in UTC with their fractional seconds. A value that
    /// is not a JSON object reads as the default metadata with the problem
    /// [`MetaProblem::NotAnObject`].
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::Meta;
    ///
    /// let read = Meta::read(r#"{"updated_at":1735732800}"#);
    /// assert_eq!(read.meta.updated_at.map(|t| t.unix_timestamp()), Some(1735732800));
    /// ```
    #[must_use]
    pub fn read(raw: &str) -> MetaRead {
        read::read(raw)
    }

    /// Reads the `meta` of a session's record; `None` when the record has
    /// none.
    ///
    /// A `meta` that is `null` or not a JSON object (a string left by a
    /// writer that encoded it twice, say) counts as none, so such a session
    /// is not listed among a user's sessions. The second case is logged as
    /// a warning here, since no [`MetaRead`] carries it to the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Meta, Record};
    ///
    /// let record = Record::parse(br#"{"meta":"{\"ip\":\"1.2.3.4\"}"}"#)?;
    /// assert!(Meta::from_record(&record).is_none());
    /// # Ok::<(), rels_session::RecordError>(())
    /// ```
    #[must_use]
    pub fn from_record(record: &Record) -> Option<MetaRead> {
        let raw = record.get_raw(META_KEY)?;
        if raw == "null" {
            return None;
        }
        let read = Self::read(raw);
        if read.problems.contains(&MetaProblem::NotAnObject) {
            tracing::warn!(
                target: "rels_session::meta",
                "session meta is not a JSON object; treated as no meta"
            );
            return None;
        }
        Some(read)
    }

    /// The stored text of this metadata, as the gem writes it: all 13
    /// keys in their order, `null` for a field without a value, times as
    /// `2025-01-01 12:00:00 UTC`.
    ///
    /// Times are always written in UTC, in whole seconds: the gem writes
    /// `+0900` and the like when a Rails app's zone is not UTC, and every
    /// reader accepts both.
    ///
    /// # Examples
    ///
    /// ```
    /// let json = rels_session::Meta::default().to_json();
    /// assert!(json.starts_with(r#"{"ip":null,"browser":null,"#));
    /// assert!(json.ends_with(r#""created_at":null,"updated_at":null}"#));
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        write::to_json(self)
    }

    /// [`to_json`](Meta::to_json) as a raw JSON value, ready for
    /// [`Record::insert_raw`].
    ///
    /// # Examples
    ///
    /// ```
    /// let meta = rels_session::Meta::default();
    /// assert_eq!(meta.to_raw().get(), meta.to_json());
    /// ```
    #[must_use]
    pub fn to_raw(&self) -> Box<RawValue> {
        write::to_raw(self)
    }

    /// Stores this metadata in a session's record under `meta`, replacing
    /// what was there, as the gem does when it records a login.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Meta, Record};
    ///
    /// let mut record = Record::new();
    /// Meta::default().store_in(&mut record);
    /// assert!(Meta::from_record(&record).is_some());
    /// ```
    pub fn store_in(&self, record: &mut Record) {
        record.insert_raw(META_KEY, self.to_raw());
    }

    /// Stores this metadata in a session's record like
    /// [`store_in`](Meta::store_in), but keeps the keys of the stored
    /// `meta` that are not among the 13 (written by a newer writer), after
    /// ours and in their order. Use it to change a field of an existing
    /// `meta`, such as `updated_at`.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Meta, Record};
    ///
    /// let mut record = Record::parse(br#"{"meta":{"ip":"1.2.3.4","region":"eu"}}"#)?;
    /// let mut meta = Meta::from_record(&record).expect("has a meta").meta;
    /// meta.ip = Some("5.6.7.8".to_owned());
    /// meta.update_in(&mut record);
    /// let stored = record.get_raw("meta").expect("stored");
    /// assert!(stored.contains(r#""ip":"5.6.7.8""#));
    /// assert!(stored.ends_with(r#","region":"eu"}"#));
    /// # Ok::<(), rels_session::RecordError>(())
    /// ```
    pub fn update_in(&self, record: &mut Record) {
        let merged = write::merged(self, record.get_raw(META_KEY));
        record.insert_raw(META_KEY, merged);
    }

    /// The course id a login records when the request names none (SPEC
    /// 1.4): the record's `course_id` or `course_uuid`, else the same keys
    /// inside its `meta`; the first one present, as text.
    ///
    /// "Present" is as for [`Stage`](crate::Stage). A number counts as its
    /// JSON text (`42` gives `"42"`); a value of another type (`true`, an
    /// array, an object) is no course id.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Meta, Record};
    ///
    /// let record = Record::parse(br#"{"course_id":42}"#)?;
    /// assert_eq!(Meta::course_id_of(&record).as_deref(), Some("42"));
    /// # Ok::<(), rels_session::RecordError>(())
    /// ```
    #[must_use]
    pub fn course_id_of(record: &Record) -> Option<String> {
        read::course_id_of(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `meta` text of every session the gem wrote in its dump, by the
    /// first four characters of the session's public id.
    fn gem_metas() -> Vec<(String, String)> {
        let dump = rels_session_testkit::read_fixture("gem_dump.json");
        let keys = dump["keys"].as_array().expect("a dump has a key list");
        keys.iter()
            .filter_map(|entry| {
                let public = entry["key"].as_str()?.strip_prefix("rels:session:")?;
                let record = Record::parse(entry["value"].as_str()?.as_bytes()).ok()?;
                let meta = record.get_raw(META_KEY)?.to_owned();
                (public.len() == 32).then(|| (public[..4].to_owned(), meta))
            })
            .collect()
    }

    #[test]
    fn gem_metas_are_written_back_byte_for_byte() {
        let metas = gem_metas();
        assert_eq!(metas.len(), 4, "bbbb, cccc, dddd and eeee have a meta");
        for (session, stored) in metas {
            let read = Meta::read(&stored);
            assert_eq!(read.problems, [], "{session}");

            // The Tokyo-zone session's times come back in UTC: we always
            // write UTC.
            let expected = stored.replace("2025-01-01 21:00:00 +0900", "2025-01-01 12:00:00 UTC");
            assert_eq!(read.meta.to_json(), expected, "{session}");
        }
    }

    #[test]
    fn a_meta_survives_a_round_trip_through_a_record() {
        let mut record = Record::parse(br#"{"a":1}"#).expect("valid");
        let meta = Meta {
            ip: Some("203.0.113.7".to_owned()),
            public_session_id: PublicId::parse("ffffffffffffffffffffffffffffffff"),
            session_key_type: SessionKeyType::Token,
            updated_at: Some(time::macros::datetime!(2025-01-01 12:00:00 UTC)),
            ..Meta::default()
        };
        meta.store_in(&mut record);
        let read = Meta::from_record(&record).expect("stored");
        assert_eq!(read.meta, meta);
        assert_eq!(record.keys().collect::<Vec<_>>(), ["a", "meta"]);
    }

    #[test]
    fn records_without_a_meta_object_have_none() {
        for text in [
            r#"{}"#,
            r#"{"meta":null}"#,
            r#"{"meta":"{}"}"#,
            r#"{"meta":[]}"#,
        ] {
            let record = Record::parse(text.as_bytes()).expect("valid");
            assert_eq!(Meta::from_record(&record), None, "{text}");
        }
    }

    #[test]
    fn debug_output_hides_the_public_id() {
        let meta = Meta {
            public_session_id: PublicId::parse("ffffffffffffffffffffffffffffffff"),
            ..Meta::default()
        };
        assert!(!format!("{meta:?}").contains("ffff"));
    }
}
