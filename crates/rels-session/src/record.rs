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

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
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
/// assert_eq!(
///     record.to_json(),
///     r#"{"n":123456789012345678901234567890,"locale":"ja"}"#
/// );
/// # Ok::<(), rels_session::RecordError>(())
/// ```
#[derive(Clone, Default)]
pub struct Record {
    entries: Vec<(String, Box<RawValue>)>,
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
        serde_json::from_str(text).map_err(|e| RecordError::not_an_object(&e))
    }

    /// The stored text of this record, as the gem writes it.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.text_len());
        out.push('{');
        let mut first = true;
        for (key, value) in self.entries.iter().filter(|(_, v)| v.get() != "null") {
            if !first {
                out.push(',');
            }
            first = false;
            push_json_string(&mut out, key);
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        out
    }

    fn text_len(&self) -> usize {
        let body: usize = self
            .entries
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum();
        body + 2
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
        serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|source| value_error(key, source))
    }

    /// The JSON text under `key`, unparsed.
    #[must_use]
    pub fn get_raw(&self, key: &str) -> Option<&RawValue> {
        self.position(key).map(|i| &*self.entries[i].1)
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
        let raw = RawValue::from_string(text).map_err(|source| value_error(key, source))?;
        self.insert_raw(key, raw);
        Ok(())
    }

    /// Sets `key` to JSON text that is already valid.
    pub fn insert_raw(&mut self, key: &str, raw: Box<RawValue>) {
        match self.position(key) {
            Some(i) => self.entries[i].1 = raw,
            None => self.entries.push((key.to_owned(), raw)),
        }
    }

    /// Removes `key`, returning whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(k, _)| k != key);
        self.entries.len() != before
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Whether `key` is present.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The keys, in stored order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Whether the record would be stored as `{}`: no key, or only keys
    /// whose value is `null`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(|(_, v)| v.get() == "null")
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
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

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut record = Record::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Box<RawValue> = map.next_value()?;
            // A repeated key keeps its first place and its last value, as
            // Ruby's JSON.parse does.
            record.insert_raw(&key, value);
        }
        Ok(record)
    }
}

impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let live = self.entries.iter().filter(|(_, v)| v.get() != "null");
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in live {
            map.serialize_entry(key, value)?;
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
    fn a_record_of_nulls_is_empty() {
        assert!(Record::parse(br#"{"a":null}"#).expect("valid").is_empty());
        assert!(!Record::parse(br#"{"a":0}"#).expect("valid").is_empty());
    }
}
