//! Reading a stored `meta` field by field, noting what is wrong instead of
//! failing.

use time::OffsetDateTime;

use super::{FIELDS, META_KEY, Meta, MetaProblem, MetaRead, SessionKeyType, fields, timestamp};
use crate::id::PublicId;
use crate::record::Record;
use crate::stage::{COURSE_KEYS, is_present};

pub(super) fn read(raw: &str) -> MetaRead {
    let Some(values) = fields(raw, &FIELDS) else {
        return MetaRead {
            meta: Meta::default(),
            problems: vec![MetaProblem::NotAnObject],
        };
    };
    let [
        ip,
        browser,
        os,
        app_version,
        device_name,
        device_type,
        installation_id,
        course_id,
        client_platform,
        public_session_id,
        session_key_type,
        created_at,
        updated_at,
    ] = values;

    // Nullable follows the table of SPEC 1.4: the gem may write `null`
    // there, so a `null` is no problem.
    let mut r = Reader::default();
    let meta = Meta {
        ip: r.text("ip", ip, Nullable::No),
        browser: r.text("browser", browser, Nullable::Yes),
        os: r.text("os", os, Nullable::Yes),
        app_version: r.text("app_version", app_version, Nullable::Yes),
        device_name: r.text("device_name", device_name, Nullable::Yes),
        device_type: r.text("device_type", device_type, Nullable::Yes),
        installation_id: r.text("installation_id", installation_id, Nullable::Yes),
        course_id: r.course_id(course_id),
        client_platform: r.text("client_platform", client_platform, Nullable::No),
        public_session_id: r.public_id(public_session_id),
        session_key_type: r.key_type(session_key_type),
        created_at: r.time("created_at", created_at, Nullable::Yes),
        updated_at: r.time("updated_at", updated_at, Nullable::No),
    };
    MetaRead {
        meta,
        problems: r.problems,
    }
}

pub(super) fn course_id_of(record: &Record) -> Option<String> {
    let top = COURSE_KEYS.iter().filter_map(|key| record.get_raw(key));
    let in_meta = record
        .get_raw(META_KEY)
        .and_then(|meta| fields(meta, &COURSE_KEYS))
        .into_iter()
        .flatten()
        .flatten();
    top.chain(in_meta)
        .filter(|value| is_present(value))
        .find_map(course_text)
}

/// Whether the gem may write `null` in a field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nullable {
    Yes,
    No,
}

/// Reads fields one at a time, collecting what was wrong with them.
#[derive(Default)]
struct Reader {
    problems: Vec<MetaProblem>,
}

impl Reader {
    /// The JSON text of a field that holds a value other than `null`.
    fn value<'a>(
        &mut self,
        field: &'static str,
        raw: Option<&'a str>,
        nullable: Nullable,
    ) -> Option<&'a str> {
        let Some(raw) = raw else {
            self.problems.push(MetaProblem::Missing(field));
            return None;
        };
        if raw == "null" {
            if nullable == Nullable::No {
                self.problems.push(MetaProblem::Null(field));
            }
            return None;
        }
        Some(raw)
    }

    fn text(
        &mut self,
        field: &'static str,
        raw: Option<&str>,
        nullable: Nullable,
    ) -> Option<String> {
        let value = self.value(field, raw, nullable)?;
        self.checked(json_string(value), MetaProblem::WrongType(field))
    }

    /// The gem writes course ids as strings; older writers left numbers.
    fn course_id(&mut self, raw: Option<&str>) -> Option<String> {
        let value = self.value("course_id", raw, Nullable::Yes)?;
        self.checked(course_text(value), MetaProblem::WrongType("course_id"))
    }

    fn public_id(&mut self, raw: Option<&str>) -> Option<PublicId> {
        const FIELD: &str = "public_session_id";
        let text = self.text(FIELD, raw, Nullable::No)?;
        self.checked(PublicId::parse(&text), MetaProblem::Unreadable(FIELD))
    }

    fn key_type(&mut self, raw: Option<&str>) -> SessionKeyType {
        const FIELD: &str = "session_key_type";
        let parsed = self.text(FIELD, raw, Nullable::No).and_then(|text| {
            self.checked(SessionKeyType::parse(&text), MetaProblem::Unreadable(FIELD))
        });
        parsed.unwrap_or_default()
    }

    /// A time as text in any form of SPEC 1.4, or as epoch seconds.
    fn time(
        &mut self,
        field: &'static str,
        raw: Option<&str>,
        nullable: Nullable,
    ) -> Option<OffsetDateTime> {
        let value = self.value(field, raw, nullable)?;
        let read = if let Some(text) = json_string(value) {
            timestamp::parse_text(&text).ok_or(MetaProblem::Unreadable(field))
        } else if is_number(value) {
            timestamp::parse_epoch(value).ok_or(MetaProblem::Unreadable(field))
        } else {
            Err(MetaProblem::WrongType(field))
        };
        read.map_err(|problem| self.problems.push(problem)).ok()
    }

    /// `value`, or a note of `problem` when there is none.
    fn checked<T>(&mut self, value: Option<T>, problem: MetaProblem) -> Option<T> {
        if value.is_none() {
            self.problems.push(problem);
        }
        value
    }
}

/// The string a JSON string's text stands for; `None` for other values.
fn json_string(value: &str) -> Option<String> {
    value
        .starts_with('"')
        .then(|| serde_json::from_str(value).ok())
        .flatten()
}

fn is_number(value: &str) -> bool {
    value.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// A course id as text: a string as it is, a number as its JSON text.
fn course_text(value: &str) -> Option<String> {
    json_string(value).or_else(|| is_number(value).then(|| value.to_owned()))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn read_text(text: &str) -> MetaRead {
        read(text)
    }

    const FULL: &str = concat!(
        r#"{"ip":"203.0.113.7","browser":"Chrome","os":"Mac","#,
        r#""app_version":"1.2","device_name":"iPhone","#,
        r#""device_type":"desktop","installation_id":"i-1","#,
        r#""course_id":"c-1","client_platform":"web","#,
        r#""public_session_id":"ffffffffffffffffffffffffffffffff","#,
        r#""session_key_type":"token","created_at":null,"#,
        r#""updated_at":"2025-01-01 12:00:00 UTC"}"#,
    );

    #[test]
    fn a_complete_meta_reads_without_problems() {
        let read = read_text(FULL);
        assert_eq!(read.problems, []);
        let meta = read.meta;
        assert_eq!(meta.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(meta.app_version.as_deref(), Some("1.2"));
        assert_eq!(meta.course_id.as_deref(), Some("c-1"));
        assert_eq!(meta.session_key_type, SessionKeyType::Token);
        assert_eq!(
            meta.public_session_id.as_ref().map(PublicId::expose),
            Some("ffffffffffffffffffffffffffffffff")
        );
        assert_eq!(meta.created_at, None);
        assert_eq!(meta.updated_at, Some(datetime!(2025-01-01 12:00:00 UTC)));
    }

    #[test]
    fn each_missing_field_is_one_problem() {
        let read = read_text(r#"{"ip":"1.2.3.4"}"#);
        let missing: Vec<_> = read.problems.iter().filter_map(|p| p.field()).collect();
        assert_eq!(missing, FIELDS[1..]);
        assert!(
            read.problems
                .iter()
                .all(|p| matches!(p, MetaProblem::Missing(_)))
        );
        assert_eq!(read.meta.session_key_type, SessionKeyType::Cookie);
    }

    #[test]
    fn null_is_a_problem_only_where_the_gem_never_writes_it() {
        let text = FULL
            .replace(r#""browser":"Chrome""#, r#""browser":null"#)
            .replace(r#""ip":"203.0.113.7""#, r#""ip":null"#);
        let read = read_text(&text);
        assert_eq!(read.problems, [MetaProblem::Null("ip")]);
        assert_eq!(read.meta.browser, None);
    }

    #[test]
    fn values_of_the_wrong_shape_get_defaults() {
        let text = FULL
            .replace(r#""os":"Mac""#, r#""os":["Mac"]"#)
            .replace(
                r#""session_key_type":"token""#,
                r#""session_key_type":"bearer""#,
            )
            .replace(
                r#""public_session_id":"ffffffffffffffffffffffffffffffff""#,
                r#""public_session_id":"2::abc""#,
            )
            .replace(r#""created_at":null"#, r#""created_at":true"#);
        let read = read_text(&text);
        assert_eq!(
            read.problems,
            [
                MetaProblem::WrongType("os"),
                MetaProblem::Unreadable("public_session_id"),
                MetaProblem::Unreadable("session_key_type"),
                MetaProblem::WrongType("created_at"),
            ]
        );
        assert_eq!(read.meta.os, None);
        assert_eq!(read.meta.public_session_id, None);
        assert_eq!(read.meta.session_key_type, SessionKeyType::Cookie);
    }

    #[test]
    fn problems_never_quote_the_stored_value() {
        let text = FULL.replace(
            r#""public_session_id":"ffffffffffffffffffffffffffffffff""#,
            r#""public_session_id":"SECRET-ish-value""#,
        );
        let read = read_text(&text);
        let shown = format!("{:?} {}", read, read.problems[0]);
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn a_numeric_course_id_reads_as_its_text() {
        let text = FULL.replace(
            r#""course_id":"c-1""#,
            r#""course_id":123456789012345678901234567890"#,
        );
        let read = read_text(&text);
        assert_eq!(read.problems, []);
        assert_eq!(
            read.meta.course_id.as_deref(),
            Some("123456789012345678901234567890")
        );
    }

    #[test]
    fn a_meta_that_is_not_an_object_is_one_problem() {
        for text in [r#""{\"ip\":\"1.2.3.4\"}""#, "[]", "42"] {
            let read = read_text(text);
            assert_eq!(read.problems, [MetaProblem::NotAnObject], "{text}");
            assert_eq!(read.meta, Meta::default());
        }
    }

    #[test]
    fn the_course_id_comes_from_the_first_present_key() {
        let cases = [
            (r#"{"course_id":42}"#, Some("42")),
            (r#"{"course_id":"","course_uuid":"u-1"}"#, Some("u-1")),
            (
                r#"{"course_id":false,"meta":{"course_uuid":"m-1"}}"#,
                Some("m-1"),
            ),
            (r#"{"course_id":"c","meta":{"course_id":"m"}}"#, Some("c")),
            (r#"{"course_id":true}"#, None),
            (r#"{"meta":"{\"course_id\":\"x\"}"}"#, None),
            ("{}", None),
        ];
        for (text, expected) in cases {
            let record = Record::parse(text.as_bytes()).expect("an object");
            assert_eq!(course_id_of(&record).as_deref(), expected, "{text}");
        }
    }
}
