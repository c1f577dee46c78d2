//! Picking a few values out of a JSON object's text without parsing the
//! rest: the cheap look into a record's `meta` that [`Stage`] needs for
//! every session of a stream, and the first step of reading a [`Meta`].
//!
//! [`Stage`]: crate::Stage
//! [`Meta`]: super::Meta

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The values under `names` in the JSON object `text`, unparsed, in the
/// order of `names`; `None` when `text` is not a JSON object.
///
/// A name the object lacks gives `None` in its slot; a `null` value gives
/// the text `null`. A repeated key counts with its last value, as Ruby's
/// `JSON.parse` does. Other values are skipped without being copied.
pub(crate) fn fields<'a, const N: usize>(
    text: &'a str,
    names: &[&str; N],
) -> Option<[Option<&'a str>; N]> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let picked = Picker { names }.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(picked.map(|value| value.map(RawValue::get)))
}

/// Reads an object, keeping the values whose key is one of `names`.
struct Picker<'n, const N: usize> {
    names: &'n [&'n str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Picker<'_, N> {
    type Value = [Option<&'de RawValue>; N];

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Picker<'_, N> {
    type Value = [Option<&'de RawValue>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut picked = [None; N];
        let key = KeySlot { names: self.names };
        while let Some(slot) = map.next_key_seed(key)? {
            match slot {
                Some(i) => picked[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(picked)
    }
}

/// Reads a key as the position of its name in `names`, without keeping
/// the key.
#[derive(Clone, Copy)]
struct KeySlot<'n, const N: usize> {
    names: &'n [&'n str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for KeySlot<'_, N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<const N: usize> Visitor<'_> for KeySlot<'_, N> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.names.iter().position(|name| *name == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<const N: usize>(picked: [Option<&str>; N]) -> [Option<&str>; N] {
        picked
    }

    #[test]
    fn named_values_come_back_as_their_text() {
        let text = r#"{"a":[1, 2],"b":{"x":null},"c":null,"d":"s"}"#;
        let picked = fields(text, &["d", "a", "c", "z"]).expect("an object");
        assert_eq!(
            texts(picked),
            [Some(r#""s""#), Some("[1, 2]"), Some("null"), None]
        );
    }

    #[test]
    fn values_come_without_the_whitespace_around_them() {
        let text = "{ \"a\" :\n null , \"b\":\t\"x\" }";
        let picked = fields(text, &["a", "b"]).expect("an object");
        assert_eq!(texts(picked), [Some("null"), Some(r#""x""#)]);
    }

    #[test]
    fn a_repeated_key_counts_with_its_last_value() {
        let picked = fields(r#"{"a":1,"a":2}"#, &["a"]).expect("an object");
        assert_eq!(texts(picked), [Some("2")]);
    }

    #[test]
    fn escaped_keys_are_matched_by_their_meaning() {
        let picked = fields(r#"{"\u0061":1}"#, &["a"]).expect("an object");
        assert_eq!(texts(picked), [Some("1")]);
    }

    #[test]
    fn text_that_is_not_an_object_gives_none() {
        for text in ["[1]", "\"{}\"", "null", "{", "{} x", ""] {
            assert!(fields(text, &["a"]).is_none(), "accepted {text:?}");
        }
    }
}
