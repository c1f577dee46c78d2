//! Hiding the public id in a stored payload before it is shown.
//!
//! `meta.public_session_id` is the session's cookie value (SPEC 3): it is
//! replaced by [`MASK`] unless the operator asks for it. The rest of the
//! payload is shown as stored, key order, big integers and float spelling
//! included: it is parsed only one level deep, into values kept as text.
//! As a second line of defence, every JSON string equal to a public id we
//! know of is masked wherever it appears.

use indexmap::IndexMap;
use rels_session::PublicId;
use serde_json::value::{RawValue, to_raw_value};

/// What a hidden public id is shown as.
pub(crate) const MASK: &str = "****";

/// The key of a session's metadata, and the public id inside it.
const META: &str = "meta";
const PUBLIC_SESSION_ID: &str = "public_session_id";

/// A JSON object read one level deep, in stored order.
type Object = IndexMap<String, Box<RawValue>>;

/// The payload to show: `text` with the public id masked, or `None` when
/// `text` is not a JSON object. `known` is a public id the caller knows
/// belongs to this session.
pub(crate) fn masked_payload(text: &str, known: Option<&PublicId>) -> Option<Box<RawValue>> {
    let mut session: Object = serde_json::from_str(text).ok()?;
    let mut ids: Vec<String> = known.map(|id| id.expose().to_owned()).into_iter().collect();
    if let Some(meta) = session.get_mut(META) {
        ids.extend(mask_meta(meta));
    }
    let masked = to_raw_value(&session).ok()?;
    Some(mask_strings(masked, &ids))
}

/// The payload as stored: a JSON object as it is, anything else as a JSON
/// string holding the text.
pub(crate) fn revealed_payload(text: &str) -> Option<Box<RawValue>> {
    if serde_json::from_str::<Object>(text).is_ok() {
        return RawValue::from_string(text.to_owned()).ok();
    }
    to_raw_value(text).ok()
}

/// Masks the public id of a `meta` value and returns it when it is a
/// well-formed public id. A `meta` that is not an object (a writer that
/// encoded it twice leaves a string) cannot be masked field by field and
/// is masked whole.
fn mask_meta(meta: &mut Box<RawValue>) -> Option<String> {
    if meta.get() == "null" {
        return None;
    }
    let Ok(mut fields) = serde_json::from_str::<Object>(meta.get()) else {
        *meta = mask_value();
        return None;
    };
    let stored = fields.get_mut(PUBLIC_SESSION_ID)?;
    if stored.get() == "null" {
        return None;
    }
    let id = serde_json::from_str::<String>(stored.get()).ok();
    *stored = mask_value();
    if let Ok(masked) = to_raw_value(&fields) {
        *meta = masked;
    }
    id.filter(|id| PublicId::parse(id).is_some())
}

/// Replaces every JSON string equal to one of `ids` by the mask.
fn mask_strings(payload: Box<RawValue>, ids: &[String]) -> Box<RawValue> {
    let mut text = payload.get().to_owned();
    for id in ids {
        // Public ids are hex, so their JSON text has no escapes: the quoted
        // id is exactly how the string appears.
        text = text.replace(&format!("\"{id}\""), &format!("\"{MASK}\""));
    }
    RawValue::from_string(text).unwrap_or(payload)
}

fn mask_value() -> Box<RawValue> {
    to_raw_value(MASK).expect("a plain string always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn masked(text: &str) -> String {
        masked_payload(text, None)
            .expect("an object")
            .get()
            .to_owned()
    }

    #[test]
    fn the_public_id_in_meta_is_masked_and_the_rest_kept() {
        let text = format!(
            r#"{{"z":1,"big":123456789012345678901234567890,"f":1.5e-07,"s":"日本/x","meta":{{"ip":null,"public_session_id":"{ID}","updated_at":"2025-01-01 12:00:00 UTC"}}}}"#
        );
        let expected = r#"{"z":1,"big":123456789012345678901234567890,"f":1.5e-07,"s":"日本/x","meta":{"ip":null,"public_session_id":"****","updated_at":"2025-01-01 12:00:00 UTC"}}"#;
        assert_eq!(masked(&text), expected);
    }

    #[test]
    fn the_same_id_elsewhere_is_masked_too() {
        let text = format!(r#"{{"copy":["{ID}"],"meta":{{"public_session_id":"{ID}"}}}}"#);
        assert!(!masked(&text).contains(ID));

        let known = PublicId::parse(ID).expect("well formed");
        let anonymous = format!(r#"{{"sid":"{ID}"}}"#);
        let shown = masked_payload(&anonymous, Some(&known)).expect("an object");
        assert_eq!(shown.get(), r#"{"sid":"****"}"#);
    }

    #[test]
    fn a_meta_that_is_not_an_object_is_masked_whole() {
        let text = format!(r#"{{"meta":"{{\"public_session_id\":\"{ID}\"}}"}}"#);
        assert_eq!(masked(&text), r#"{"meta":"****"}"#);
        assert_eq!(masked(r#"{"meta":null}"#), r#"{"meta":null}"#);
        let null_id = r#"{"meta":{"public_session_id":null}}"#;
        assert_eq!(masked(null_id), null_id);
    }

    #[test]
    fn payloads_that_are_not_objects_are_shown_only_revealed() {
        for text in ["", "[1]", "\"x\"", "{", "null"] {
            assert!(masked_payload(text, None).is_none(), "{text}");
            let revealed = revealed_payload(text).expect("shown as text");
            let shown: String = serde_json::from_str(revealed.get()).expect("a JSON string");
            assert_eq!(shown, text);
        }
    }

    #[test]
    fn a_revealed_payload_is_the_stored_text() {
        let text = format!(r#"{{"meta":{{"public_session_id":"{ID}"}},"n":1e3}}"#);
        assert_eq!(
            revealed_payload(&text).map(|raw| raw.get().to_owned()),
            Some(text)
        );
    }
}
