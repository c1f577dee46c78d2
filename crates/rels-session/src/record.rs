//! The record: a session's data, as the JSON object stored in Redis.
//!
//! A record keeps every top-level value as the exact JSON text it was read
//! with, in the order it was read. Values the application never touches go
//! back to Redis byte for byte, so integers beyond 64 bits, float spelling,
//! nested key order and non-ASCII text written by a Rails app survive a
//! read-modify-write by a Rust service. This needs no feature of
//! `serde_json` that would change how the rest of a program parses JSON.
//!
//! Writing follows the gem (SPEC 1.4): a compact object, keys in insertion
//! order, non-ASCII as UTF-8, `/` unescaped and top-level `null`s dropped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Why a stored payload or a value could not be read or written.
///
/// The message names the key, the kind of problem and where in the text
/// it is, never the content: serde's own messages quote the values they
/// choke on, and a session's values are secrets (tokens, user ids).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The stored bytes are not UTF-8.
    #[error("stored session is not UTF-8 text")]
    NotText,
    /// The stored text is not a JSON object.
    #[error("stored session is not a JSON object ({kind} at line {line}, column {column})")]
    NotAnObject {
        /// What went wrong: `syntax`, `data` or `eof`.
        kind: &'static str,
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
    },
    /// A value could not be converted to or from the requested type.
    #[error("session value under key `{key}` has another shape than the type asked for")]
    Value {
        /// The top-level key.
        key: String,
    },
}

impl RecordError {
    fn not_an_object(err: &serde_json::Error) -> Self {
        let kind = match err.classify() {
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Eof => "eof",
            _ => "data",
        };
        Self::NotAnObject {
            kind,
            line: err.line(),
            column: err.column(),
        }
    }
}

/// A session's data: an ordered JSON object whose values are kept as text.
///
/// Read a value with [`get`](Record::get), change it with
/// [`insert`](Record::insert) and [`remove`](Record::remove). Comparison is
/// by JSON text, so two records are equal when they would be stored as the
/// same bytes.
///
/// `Debug` lists the keys only: a record's values (a CSRF token, a user
/// id) are not for logs.
///
/// # Examples
///
/// ```
/// use rels_session::Record;
///
/// let mut record = Record::parse(br#"{"n":123456789012345678901234567890}"#)?;
/// record.insert("locale", &"ja")?;
/// assert_eq!(record.get::<String>("locale")?, Some("ja".to_owned()));
/// assert_eq!(record.get_raw("n"), Some("123456789012345678901234567890"));
/// assert_eq!(
///     record.to_json(),
///     r#"{"n":123456789012345678901234567890,"locale":"ja"}"#
/// );
/// # Ok::<(), rels_session::RecordError>(())
/// ```
#[derive(Clone, Default)]
pub struct Record {
    /// The payload as it was read. Entries read from it point into it, so
    /// reading a record allocates the list of entries and nothing else.
    text: String,
    entries: Vec<Entry>,
}

/// One top-level key and its value's JSON text.
#[derive(Clone)]
struct Entry {
    key: Piece,
    value: Piece,
}

/// A piece of text: a part of the record's payload, or text of its own.
#[derive(Clone)]
enum Piece {
    /// `text[start..end]` of the record. A key kept this way had no escape
    /// in the payload, so it is its own JSON string body.
    Span { start: usize, end: usize },
    /// A key that had escapes, or anything set after reading.
    Owned(Box<str>),
}

impl Piece {
    fn len(&self) -> usize {
        match self {
            Self::Span { start, end } => end.saturating_sub(*start),
            Self::Owned(text) => text.len(),
        }
    }

    fn text<'a>(&'a self, payload: &'a str) -> &'a str {
        match self {
            // Spans are made from slices of `payload` itself (see
            // `Entries::piece`), so they are in bounds and on char
            // boundaries; `get` keeps a broken invariant from panicking.
            Self::Span { start, end } => payload.get(*start..*end).unwrap_or_default(),
            Self::Owned(text) => text,
        }
    }
}

impl Record {
    /// An empty record.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a stored payload.
    ///
    /// # Errors
    ///
    /// [`RecordError::NotText`] or [`RecordError::NotAnObject`] when the
    /// bytes are not a JSON object in UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<Self, RecordError> {
        let text = std::str::from_utf8(bytes).map_err(|_| RecordError::NotText)?;
        Self::from_text(text.to_owned())
    }

    /// Reads a stored payload, keeping its bytes without copying them.
    ///
    /// # Errors
    ///
    /// As [`parse`](Record::parse).
    pub fn from_payload(bytes: Vec<u8>) -> Result<Self, RecordError> {
        let text = String::from_utf8(bytes).map_err(|_| RecordError::NotText)?;
        Self::from_text(text)
    }

    fn from_text(text: String) -> Result<Self, RecordError> {
        let mut deserializer = serde_json::Deserializer::from_str(&text);
        let entries = Entries { payload: &text }
            .deserialize(&mut deserializer)
            .and_then(|entries| deserializer.end().map(|()| entries))
            .map_err(|e| RecordError::not_an_object(&e))?;
        Ok(Self { text, entries })
    }

    /// The stored text of this record, as the gem writes it.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.text_len());
        out.push('{');
        let mut first = true;
        for entry in &self.entries {
            let value = entry.value.text(&self.text);
            if value == "null" {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            match &entry.key {
                Piece::Span { .. } => {
                    out.push('"');
                    out.push_str(entry.key.text(&self.text));
                    out.push('"');
                }
                Piece::Owned(key) => push_json_string(&mut out, key),
            }
            out.push(':');
            out.push_str(value);
        }
        out.push('}');
        out
    }

    fn text_len(&self) -> usize {
        let body: usize = self
            .iter()
            .map(|(key, value)| key.len() + value.len() + 4)
            .sum();
        body + 2
    }

    /// The keys and their values' JSON text, in stored order.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|e| (e.key.text(&self.text), e.value.text(&self.text)))
    }

    /// The value under `key`, converted to `T`; `None` when the key is
    /// absent.
    ///
    /// # Errors
    ///
    /// [`RecordError::Value`] when the stored value has another shape
    /// than `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, RecordError> {
        let Some(raw) = self.get_raw(key) else {
            return Ok(None);
        };
        serde_json::from_str(raw)
            .map(Some)
            .map_err(|source| value_error(key, source))
    }

    /// The JSON text under `key`, unparsed.
    #[must_use]
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.position(key)
            .and_then(|i| self.entries.get(i))
            .map(|entry| entry.value.text(&self.text))
    }

    /// Sets `key` to `value`. An existing key keeps its place, as a Ruby
    /// hash does; a new one goes last.
    ///
    /// # Errors
    ///
    /// [`RecordError::Value`] when `value` cannot be serialized to JSON,
    /// such as a map with non-string keys.
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), RecordError> {
        let text = serde_json::to_string(value).map_err(|source| value_error(key, source))?;
        self.set(key, Piece::Owned(text.into_boxed_str()));
        Ok(())
    }

    /// Sets `key` to JSON text that is already valid.
    pub fn insert_raw(&mut self, key: &str, raw: Box<RawValue>) {
        self.set(key, Piece::Owned(raw.into()));
    }

    fn set(&mut self, key: &str, value: Piece) {
        match self.position(key).and_then(|i| self.entries.get_mut(i)) {
            Some(entry) => entry.value = value,
            None => self.entries.push(Entry {
                key: Piece::Owned(key.into()),
                value,
            }),
        }
    }

    /// Removes `key`, returning whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.entries.len();
        let text = &self.text;
        self.entries.retain(|e| e.key.text(text) != key);
        self.entries.len() != before
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.text.clear();
    }

    /// Whether `key` is present.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The keys, in stored order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(key, _)| key)
    }

    /// Whether the record would be stored as `{}`: no key, or only keys
    /// whose value is `null`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().all(|(_, value)| value == "null")
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.key.len() == key.len() && e.key.text(&self.text) == key)
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn value_error(key: &str, _: serde_json::Error) -> RecordError {
    RecordError::Value {
        key: key.to_owned(),
    }
}

/// Appends `text` as a JSON string the way Ruby's generator writes it:
/// only `"`, `\` and control characters are escaped; `/` and non-ASCII
/// are written as they are.
fn push_json_string(out: &mut String, text: &str) {
    use std::fmt::Write as _;

    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads the top-level object of a payload into entries that point into
/// it.
struct Entries<'p> {
    payload: &'p str,
}

impl Entries<'_> {
    /// A piece for `part`, which the deserializer borrowed from the
    /// payload; a copy if it did not.
    fn piece(&self, part: &str) -> Piece {
        let start = part
            .as_ptr()
            .addr()
            .wrapping_sub(self.payload.as_ptr().addr());
        let end = start.wrapping_add(part.len());
        if self.payload.get(start..end).is_some() {
            Piece::Span { start, end }
        } else {
            Piece::Owned(part.into())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = Vec<Entry>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = Vec<Entry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Entry>, A::Error> {
        let mut entries: Vec<Entry> = Vec::with_capacity(8);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value = map.next_value::<&'de RawValue>()?;
            let value = self.piece(value.get());
            let key = match key.0 {
                Cow::Borrowed(key) => self.piece(key),
                Cow::Owned(key) => Piece::Owned(key.into_boxed_str()),
            };
            // A repeated key keeps its first place and its last value, as
            // Ruby's JSON.parse does.
            let text = key.text(self.payload);
            match entries
                .iter_mut()
                .find(|e| e.key.text(self.payload) == text)
            {
                Some(entry) => entry.value = value,
                None => entries.push(Entry { key, value }),
            }
        }
        Ok(entries)
    }
}

/// A key, borrowed from the payload unless it had escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(key)))
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, key: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key)))
    }
}

/// Reads a record from any serde JSON deserializer. Values are copied;
/// [`Record::parse`] and [`Record::from_payload`] avoid that.
impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OwnedRecordVisitor)
    }
}

struct OwnedRecordVisitor;

impl<'de> Visitor<'de> for OwnedRecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut record = Record::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Box<RawValue> = map.next_value()?;
            record.insert_raw(&key, value);
        }
        Ok(record)
    }
}

impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap};
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.iter().filter(|(_, value)| *value != "null") {
            // The text is valid JSON; this only borrows it as a raw value.
            let raw: &RawValue = serde_json::from_str(value)
                .map_err(|_| S::Error::custom("session value is not JSON"))?;
            map.serialize_entry(key, raw)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        Record::parse(text.as_bytes())
            .expect("valid object")
            .to_json()
    }

    #[test]
    fn untouched_values_keep_their_bytes() {
        let text = r#"{"warden.user.user.key":[[2],"salt2"],"nested":{"a":null,"big":123456789012345678901234567890,"f":1.5e-07,"s":"日本語/ok"},"z":-0.0}"#;
        assert_eq!(round_trip(text), text);
    }

    #[test]
    fn keys_keep_their_order_through_an_edit() {
        let mut record = Record::parse(br#"{"b":1,"a":2,"c":3}"#).expect("valid");
        record.insert("a", &20).expect("serializable");
        record.insert("d", &4).expect("serializable");
        assert_eq!(record.to_json(), r#"{"b":1,"a":20,"c":3,"d":4}"#);
    }

    #[test]
    fn top_level_nulls_are_dropped_nested_ones_kept() {
        let text = r#"{"a":null,"b":{"c":null},"d":[null]}"#;
        assert_eq!(round_trip(text), r#"{"b":{"c":null},"d":[null]}"#);
    }

    #[test]
    fn keys_are_escaped_like_ruby_does() {
        let mut record = Record::new();
        record.insert("q\"/\u{1}é", &"x/y").expect("serializable");
        assert_eq!(record.to_json(), r#"{"q\"/\u0001é":"x/y"}"#);
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        assert_eq!(round_trip(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn payloads_that_are_not_objects_are_refused() {
        for bad in [&b"[1]"[..], b"\"s\"", b"null", b"{", b"", b"\xff\xfe"] {
            assert!(Record::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn typed_reads_report_a_shape_mismatch() {
        let record = Record::parse(br#"{"n":"text"}"#).expect("valid");
        let err = record.get::<u32>("n").expect_err("a string is not a u32");
        assert!(err.to_string().contains("`n`"));
        assert_eq!(record.get::<u32>("missing").expect("absent is fine"), None);
    }

    #[test]
    fn errors_never_quote_stored_values() {
        let record = Record::parse(br#"{"n":"SECRET"}"#).expect("valid");
        let err = record.get::<u32>("n").expect_err("a string is not a u32");
        assert!(!format!("{err} {err:?}").contains("SECRET"));
        let err = Record::parse(br#"["SECRET"]"#).expect_err("not an object");
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{err}");
    }

    #[test]
    fn debug_shows_keys_but_not_values() {
        let record = Record::parse(br#"{"_csrf_token":"SECRET"}"#).expect("valid");
        let shown = format!("{record:?}");
        assert!(shown.contains("_csrf_token"));
        assert!(!shown.contains("SECRET"));
    }

    #[test]
    fn escaped_keys_are_read_and_written_ruby_style() {
        let record = Record::parse(br#"{"a\/b":1,"\u00e9":2,"q\"":3}"#).expect("valid");
        assert_eq!(record.keys().collect::<Vec<_>>(), ["a/b", "é", "q\""]);
        assert_eq!(record.get_raw("é"), Some("2"));
        assert_eq!(record.to_json(), r#"{"a/b":1,"é":2,"q\"":3}"#);
    }

    #[test]
    fn an_escaped_repeat_of_a_plain_key_is_the_same_key() {
        assert_eq!(round_trip(r#"{"ab":1,"a\u0062":2}"#), r#"{"ab":2}"#);
    }

    #[test]
    fn a_payload_read_without_copying_reads_the_same() {
        let text = r#"{"k":{"x":[1,2]},"s":"é"}"#;
        let owned = Record::from_payload(text.as_bytes().to_vec()).expect("valid");
        assert_eq!(owned, Record::parse(text.as_bytes()).expect("valid"));
        assert_eq!(owned.get_raw("k"), Some(r#"{"x":[1,2]}"#));
        assert!(matches!(
            Record::from_payload(vec![0xff]),
            Err(RecordError::NotText)
        ));
    }

    #[test]
    fn a_cleared_record_takes_new_values() {
        let mut record = Record::parse(br#"{"a":1}"#).expect("valid");
        record.clear();
        record.insert("b", &2).expect("serializable");
        assert_eq!(record.to_json(), r#"{"b":2}"#);
    }

    #[test]
    fn a_record_of_nulls_is_empty() {
        assert!(Record::parse(br#"{"a":null}"#).expect("valid").is_empty());
        assert!(!Record::parse(br#"{"a":0}"#).expect("valid").is_empty());
    }
}
