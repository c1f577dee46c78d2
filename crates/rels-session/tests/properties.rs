//! Properties of the pure parts, checked on generated input: the record
//! codec keeps bytes, and nothing that reads untrusted text panics.

use proptest::prelude::*;
use rels_session::{Handle, PublicId, Record, Stage, UserId};
use serde_json::Value;

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object whose top-level values are never `null`, as the gem
/// stores them, in the compact form the gem writes.
fn stored_object() -> impl Strategy<Value = String> {
    prop::collection::btree_map("\\PC{0,8}", json(), 0..6).prop_map(|map| {
        let live: serde_json::Map<String, Value> =
            map.into_iter().filter(|(_, v)| !v.is_null()).collect();
        serde_json::to_string(&Value::Object(live)).expect("a map serializes")
    })
}

proptest! {
    #[test]
    fn a_stored_object_round_trips_byte_for_byte(text in stored_object()) {
        let record = Record::parse(text.as_bytes()).expect("valid object");
        prop_assert_eq!(record.to_json(), text);
    }

    #[test]
    fn reading_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = Record::parse(&bytes);
        let _ = Stage::of_payload(&bytes);
    }

    #[test]
    fn only_public_id_shapes_parse_as_public_ids(text in "\\PC{0,40}|[0-9a-f]{32}") {
        let accepted = PublicId::parse(&text).is_some();
        let shaped = text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        prop_assert_eq!(accepted, shaped);
    }

    #[test]
    fn untrusted_names_never_panic(text in "\\PC{0,80}") {
        let _ = Handle::parse(&text);
        let _ = UserId::parse(&text);
        let _ = text.parse::<Stage>();
        let _ = rels_session::device::detect(&text);
    }
}
