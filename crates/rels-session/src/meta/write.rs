//! Writing a `meta` as the gem does: all 13 keys, in its order, compact.

use serde::Serialize;
use serde_json::value::RawValue;

use super::{FIELDS, Meta, timestamp};
use crate::id::PublicId;
use crate::record::Record;

/// The stored shape of a `meta`. Field order is key order: it must stay
/// the order of [`FIELDS`].
#[derive(Serialize)]
struct Written<'a> {
    ip: Option<&'a str>,
    browser: Option<&'a str>,
    os: Option<&'a str>,
    app_version: Option<&'a str>,
    device_name: Option<&'a str>,
    device_type: Option<&'a str>,
    installation_id: Option<&'a str>,
    course_id: Option<&'a str>,
    client_platform: Option<&'a str>,
    public_session_id: Option<&'a str>,
    session_key_type: &'static str,
    created_at: Option<String>,
    updated_at: Option<String>,
}

impl<'a> Written<'a> {
    fn of(meta: &'a Meta) -> Self {
        Self {
            ip: meta.ip.as_deref(),
            browser: meta.browser.as_deref(),
            os: meta.os.as_deref(),
            app_version: meta.app_version.as_deref(),
            device_name: meta.device_name.as_deref(),
            device_type: meta.device_type.as_deref(),
            installation_id: meta.installation_id.as_deref(),
            course_id: meta.course_id.as_deref(),
            client_platform: meta.client_platform.as_deref(),
            public_session_id: meta.public_session_id.as_ref().map(PublicId::expose),
            session_key_type: meta.session_key_type.as_str(),
            created_at: meta.created_at.map(timestamp::format),
            updated_at: meta.updated_at.map(timestamp::format),
        }
    }
}

pub(super) fn to_json(meta: &Meta) -> String {
    // serde_json escapes strings as Ruby's generator does: `"`, `\` and
    // control characters only, leaving `/` and non-ASCII as they are.
    serde_json::to_string(&Written::of(meta)).expect("strings and nulls always serialize")
}

pub(super) fn to_raw(meta: &Meta) -> Box<RawValue> {
    into_raw(to_json(meta))
}

/// `meta` written, followed by the keys of `stored` that are not ours.
pub(super) fn merged(meta: &Meta, stored: Option<&str>) -> Box<RawValue> {
    let mut json = to_json(meta);
    let Some(stored) = stored.and_then(|raw| Record::parse(raw.as_bytes()).ok()) else {
        return into_raw(json);
    };

    json.pop(); // the closing brace, to append after our keys
    for key in stored.keys().filter(|key| !FIELDS.contains(key)) {
        if let Some(value) = stored.get_raw(key) {
            json.push(',');
            json.push_str(&serde_json::to_string(key).expect("a string always serializes"));
            json.push(':');
            json.push_str(value);
        }
    }
    json.push('}');
    into_raw(json)
}

fn into_raw(json: String) -> Box<RawValue> {
    RawValue::from_string(json).expect("the text was written as JSON")
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::meta::SessionKeyType;

    #[test]
    fn keys_are_written_in_the_gem_order() {
        let text = to_json(&Meta::default());
        let positions: Vec<usize> = FIELDS
            .iter()
            .map(|f| {
                text.find(&format!("\"{f}\":"))
                    .expect("every key is written")
            })
            .collect();
        assert!(positions.is_sorted(), "{text}");
    }

    #[test]
    fn text_is_escaped_as_ruby_does() {
        let meta = Meta {
            device_name: Some("Pixel/8 \"日本\"\n\u{1}".to_owned()),
            ..Meta::default()
        };
        assert!(
            to_json(&meta).contains(r#""device_name":"Pixel/8 \"日本\"\n\u0001""#),
            "{}",
            to_json(&meta)
        );
    }

    #[test]
    fn times_are_written_in_utc_whole_seconds() {
        let meta = Meta {
            session_key_type: SessionKeyType::Token,
            created_at: Some(datetime!(2025-01-01 21:00:00.75 +09:00)),
            ..Meta::default()
        };
        let expected = r#""token","created_at":"2025-01-01 12:00:00 UTC","updated_at":null}"#;
        assert!(to_json(&meta).ends_with(expected), "{}", to_json(&meta));
    }

    #[test]
    fn merging_keeps_foreign_keys_in_their_order() {
        let stored = r#"{"zone":{"a":null},"ip":"old","region":"eu","zone":[1]}"#;
        let merged = merged(&Meta::default(), Some(stored));
        assert!(merged.get().starts_with(r#"{"ip":null,"#));
        assert!(
            merged
                .get()
                .ends_with(r#""updated_at":null,"zone":[1],"region":"eu"}"#)
        );
    }

    #[test]
    fn merging_over_nothing_or_garbage_is_plain_writing() {
        let garbage = r#""text""#;
        let plain = to_json(&Meta::default());
        assert_eq!(merged(&Meta::default(), None).get(), plain);
        assert_eq!(merged(&Meta::default(), Some(garbage)).get(), plain);
    }
}
