//! Every case of `tests/fixtures/edge_payloads.json`: stored payloads that
//! real deployments produce (other serializers, other time zones, sparse
//! or damaged metadata) and what reading them must give.
//!
//! Each case is its own test, so a failure names the case. A case added
//! to the fixture without a test here fails `every_case_has_a_test`.

use rels_session::{Meta, Record, Stage};
use rels_session_testkit::read_fixture;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

/// Declares one test per fixture case, and the list of cases covered.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        const COVERED: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

cases!(
    iso_times_ms,
    offset_times,
    date_only,
    epoch_updated_at,
    garbage_updated_at,
    missing_ip,
    sparse_meta,
    unknown_meta_key,
    bad_key_type,
    integer_course_id,
    course_in_meta_only,
    empty_warden_key,
    false_and_blank,
    symbol_like_value,
    meta_not_object,
    marshal_bytes,
    json_array,
    truncated_json,
    empty_string,
);

fn fixture_cases() -> Vec<Value> {
    let fixture = read_fixture("edge_payloads.json");
    fixture["cases"]
        .as_array()
        .expect("a list of cases")
        .clone()
}

#[test]
fn every_case_has_a_test() {
    let names: Vec<String> = fixture_cases()
        .iter()
        .map(|case| case["name"].as_str().expect("a case has a name").to_owned())
        .collect();
    assert_eq!(names, COVERED, "add the new cases to `cases!`");
}

/// Checks every expectation the fixture gives for the case `name`.
fn check(name: &str) {
    let case = fixture_cases()
        .into_iter()
        .find(|case| case["name"] == name)
        .expect("every covered case is in the fixture");
    let payload = case["payload"].as_str().expect("a payload").as_bytes();
    let expect = &case["expect"];

    let parsed = Record::parse(payload);
    assert_eq!(parsed.is_ok(), expect["readable"], "{name}: readable");
    let Ok(record) = parsed else {
        assert_eq!(Stage::of_payload(payload), None, "{name}: stage of payload");
        return;
    };

    check_stage(name, &record, payload, expect);
    let read = Meta::from_record(&record);
    assert_eq!(read.is_some(), expect["listed"], "{name}: listed");
    if let Some(fields) = expect["meta"].as_object() {
        let meta = read.expect("a case with meta expectations is listed").meta;
        for (field, expected) in fields {
            let actual = field_value(&meta, field);
            assert_eq!(actual.as_ref(), Some(expected), "{name}: meta.{field}");
        }
    }
    for path in expect["preserved_on_save"].as_array().into_iter().flatten() {
        check_preserved(name, &record, path.as_str().expect("a dotted path"));
    }
}

fn check_stage(name: &str, record: &Record, payload: &[u8], expect: &Value) {
    let Some(expected) = expect["stage"].as_str() else {
        return;
    };
    let expected: Stage = expected.parse().expect("the fixture names real stages");
    assert_eq!(Stage::of(record), expected, "{name}: stage");
    assert_eq!(
        Stage::of_payload(payload),
        Some(expected),
        "{name}: stage of payload"
    );
}

/// A field of `meta` as the fixture writes it: text or `null`, times as
/// RFC 3339 in UTC; `None` for a field this test does not know.
fn field_value(meta: &Meta, field: &str) -> Option<Value> {
    let time = |t: Option<time::OffsetDateTime>| {
        t.map(|t| t.format(&Rfc3339).expect("a UTC time formats as RFC 3339"))
    };
    let text = match field {
        "ip" => meta.ip.clone(),
        "browser" => meta.browser.clone(),
        "os" => meta.os.clone(),
        "course_id" => meta.course_id.clone(),
        "client_platform" => meta.client_platform.clone(),
        "session_key_type" => Some(meta.session_key_type.as_str().to_owned()),
        "created_at" => time(meta.created_at),
        "updated_at" => time(meta.updated_at),
        _ => return None,
    };
    Some(json!(text))
}

/// A key of `meta` that a newer writer added stays through a save of the
/// untouched record, and through an update of its `meta`.
fn check_preserved(name: &str, record: &Record, path: &str) {
    let key = path
        .strip_prefix("meta.")
        .expect("preserved paths are inside meta");
    let saved = Record::parse(record.to_json().as_bytes()).expect("saved text is readable");
    assert!(meta_has(&saved, key), "{name}: {path} after a save");

    let mut updated = saved.clone();
    let mut meta = Meta::from_record(&saved).expect("listed").meta;
    meta.updated_at = Some(time::OffsetDateTime::UNIX_EPOCH);
    meta.update_in(&mut updated);
    assert!(meta_has(&updated, key), "{name}: {path} after an update");
}

fn meta_has(record: &Record, key: &str) -> bool {
    let meta: Value = record
        .get("meta")
        .expect("meta is JSON")
        .expect("meta is there");
    meta.get(key).is_some()
}

#[test]
fn a_recorded_integer_course_id_is_text() {
    let record =
        Record::parse(br#"{"warden.user.user.key":[[1],"s"],"course_id":42}"#).expect("valid");
    assert_eq!(Meta::course_id_of(&record).as_deref(), Some("42"));
}
