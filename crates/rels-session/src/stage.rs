//! The stage of a session: anonymous, signed in, or signed in and in a
//! course (SPEC 1.6), decided the way the gem decides it.
//!
//! This runs over every session of a listing, so it looks at the JSON text
//! of the few values it needs and parses nothing else.

use std::fmt;
use std::str::FromStr;

use crate::meta::{self, META_KEY};
use crate::record::Record;

/// The key Devise/Warden sets when a user signs in.
const WARDEN_KEY: &str = "warden.user.user.key";

/// The keys that put a session in a course, at the top level or in `meta`.
pub(crate) const COURSE_KEYS: [&str; 2] = ["course_id", "course_uuid"];

/// How far a session got.
///
/// # Examples
///
/// ```
/// use rels_session::{Record, Stage};
///
/// let record = Record::parse(br#"{"warden.user.user.key":[[1],"s"],"course_id":42}"#)?;
/// assert_eq!(Stage::of(&record), Stage::InCourse);
/// assert_eq!("in_course".parse::<Stage>()?, Stage::InCourse);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Stage {
    /// Nobody is signed in.
    Anonymous,
    /// A user is signed in, in no course.
    Authenticated,
    /// A user is signed in and the session names a course.
    InCourse,
}

impl Stage {
    /// Every stage, from the least to the furthest.
    pub const ALL: [Stage; 3] = [Self::Anonymous, Self::Authenticated, Self::InCourse];

    /// The stage's name: `"anonymous"`, `"authenticated"` or `"in_course"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(rels_session::Stage::InCourse.as_str(), "in_course");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Authenticated => "authenticated",
            Self::InCourse => "in_course",
        }
    }

    /// The stage of a session's record (SPEC 1.6): anonymous unless
    /// `warden.user.user.key` is present; in a course when `course_id` or
    /// `course_uuid` is present at the top level or inside `meta`;
    /// authenticated otherwise.
    ///
    /// "Present" is the gem's test: `null`, `false`, `""`, `[]` and `{}`
    /// are absent, anything else is present, `" "` and `0` included.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Record, Stage};
    ///
    /// let record = Record::parse(br#"{"warden.user.user.key":[]}"#)?;
    /// assert_eq!(Stage::of(&record), Stage::Anonymous);
    /// # Ok::<(), rels_session::RecordError>(())
    /// ```
    #[must_use]
    pub fn of(record: &Record) -> Stage {
        Self::decide(
            record.get_raw(WARDEN_KEY),
            COURSE_KEYS.map(|key| record.get_raw(key)),
            record.get_raw(META_KEY),
        )
    }

    /// The stage of a stored payload, straight from its bytes; `None` when
    /// the payload is not a JSON object in UTF-8 (when
    /// [`Record::parse`] would fail).
    ///
    /// This gives the same answer as [`Stage::of`] without building a
    /// record: only the values it needs are picked out of the text.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::Stage;
    ///
    /// let payload = br#"{"warden.user.user.key":[[1],"s"],"meta":{"course_id":"c-9"}}"#;
    /// assert_eq!(Stage::of_payload(payload), Some(Stage::InCourse));
    /// assert_eq!(Stage::of_payload(b"[1,2,3]"), None);
    /// ```
    #[must_use]
    pub fn of_payload(payload: &[u8]) -> Option<Stage> {
        let text = std::str::from_utf8(payload).ok()?;
        let [warden, course_id, course_uuid, meta] = meta::fields(
            text,
            &[WARDEN_KEY, COURSE_KEYS[0], COURSE_KEYS[1], META_KEY],
        )?;
        Some(Self::decide(warden, [course_id, course_uuid], meta))
    }

    fn decide(warden: Option<&str>, courses: [Option<&str>; 2], meta: Option<&str>) -> Stage {
        if !warden.is_some_and(is_present) {
            return Self::Anonymous;
        }
        let in_course =
            courses.into_iter().flatten().any(is_present) || meta.is_some_and(meta_names_a_course);
        if in_course {
            Self::InCourse
        } else {
            Self::Authenticated
        }
    }
}

/// Whether a `meta` value is an object with a present course key.
fn meta_names_a_course(meta: &str) -> bool {
    meta::fields(meta, &COURSE_KEYS)
        .is_some_and(|courses| courses.into_iter().flatten().any(is_present))
}

/// Whether a value is present as the gem tests it: `null`, `false`, `""`,
/// `[]` and `{}` (with any whitespace inside) are absent; anything else is
/// present, `" "` and `0` included.
pub(crate) fn is_present(value: &str) -> bool {
    let text = trim_json(value);
    let empty_container = |open: char, close: &str| {
        text.strip_prefix(open)
            .is_some_and(|rest| trim_json(rest) == close)
    };
    !(matches!(text, "null" | "false" | "\"\"")
        || empty_container('[', "]")
        || empty_container('{', "}"))
}

/// `text` without JSON whitespace around it.
fn trim_json(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r'])
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == name)
            .ok_or_else(|| UnknownStage {
                name: name.to_owned(),
            })
    }
}

/// A stage name that is none of `anonymous`, `authenticated` and
/// `in_course`.
///
/// # Examples
///
/// ```
/// let err = "signed_in".parse::<rels_session::Stage>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown stage \"signed_in\"; expected one of: anonymous, authenticated, in_course"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown stage {name:?}; expected one of: anonymous, authenticated, in_course")]
#[non_exhaustive]
pub struct UnknownStage {
    /// The name that was given.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(text: &str) -> Stage {
        let record = Record::parse(text.as_bytes()).expect("an object");
        let of_record = Stage::of(&record);
        assert_eq!(
            Stage::of_payload(text.as_bytes()),
            Some(of_record),
            "{text}"
        );
        of_record
    }

    fn present(text: &str) -> bool {
        is_present(text)
    }

    #[test]
    fn blank_values_are_absent_as_in_the_gem() {
        for text in ["null", "false", r#""""#, "[]", "{}", "[ \n]", "{\t}"] {
            assert!(!present(text), "{text} counted as present");
        }
        for text in [
            r#"" ""#,
            "0",
            "0.0",
            "true",
            "[null]",
            r#"{"a":null}"#,
            r#""\u0000""#,
        ] {
            assert!(present(text), "{text} counted as absent");
        }
    }

    #[test]
    fn sessions_without_a_warden_key_are_anonymous() {
        assert_eq!(stage("{}"), Stage::Anonymous);
        assert_eq!(stage(r#"{"course_id":"c"}"#), Stage::Anonymous);
        assert_eq!(stage(r#"{"warden.user.user.key":null}"#), Stage::Anonymous);
        assert_eq!(stage(r#"{"warden.user.user.key":""}"#), Stage::Anonymous);
    }

    #[test]
    fn a_present_course_key_anywhere_puts_a_user_in_a_course() {
        let cases = [
            (r#""course_id":0"#, Stage::InCourse),
            (r#""course_uuid":" ""#, Stage::InCourse),
            (
                r#""course_id":"","meta":{"course_uuid":"u"}"#,
                Stage::InCourse,
            ),
            (
                r#""meta":{"course_id":null,"course_uuid":false}"#,
                Stage::Authenticated,
            ),
            (r#""meta":"{\"course_id\":\"c\"}""#, Stage::Authenticated),
            (r#""course_id":{}"#, Stage::Authenticated),
        ];
        for (rest, expected) in cases {
            let text = format!(r#"{{"warden.user.user.key":[[1],"s"],{rest}}}"#);
            assert_eq!(stage(&text), expected, "{text}");
        }
    }

    #[test]
    fn the_gem_dump_sessions_have_the_expected_stages() {
        let dump = rels_session_testkit::read_fixture("gem_dump.json");
        let mut seen = Vec::new();
        for entry in dump["keys"].as_array().expect("a key list") {
            let key = entry["key"].as_str().expect("a key");
            let Some(public) = key.strip_prefix("rels:session:").filter(|k| k.len() == 32) else {
                continue;
            };
            let value = entry["value"].as_str().expect("a payload");
            seen.push((&public[..4], stage(value)));
        }
        assert_eq!(
            seen,
            [
                ("aaaa", Stage::Anonymous),
                ("bbbb", Stage::Authenticated),
                ("cccc", Stage::InCourse),
                ("dddd", Stage::InCourse),
                ("eeee", Stage::Authenticated),
            ]
        );
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for stage in Stage::ALL {
            assert_eq!(stage.to_string().parse::<Stage>(), Ok(stage));
        }
        for bad in ["", "Anonymous", "in-course", " anonymous"] {
            let err = bad.parse::<Stage>().expect_err("not a stage name");
            assert!(
                err.to_string()
                    .contains("anonymous, authenticated, in_course")
            );
        }
    }

    #[test]
    fn unreadable_payloads_have_no_stage() {
        for bad in [&b""[..], b"[1]", b"{", b"\xff", b"{} {}"] {
            assert_eq!(Stage::of_payload(bad), None, "{bad:?}");
        }
    }
}
