//! Checking one raw YAML value against the type of its setting.
//!
//! Each function returns the message of the problem, which names the
//! kind of value found but never a text value, as it could be a password.

use std::{num::NonZeroU32, path::PathBuf, time::Duration};

use serde_norway::{Number, Value};

use super::{Namespace, RedisUrl, Secret, SidType, fields::describe};

/// Longest duration accepted, in seconds (about 136 years). The bound
/// keeps the store's deadline arithmetic far from overflowing.
const MAX_SECONDS: u64 = u32::MAX as u64;

pub(super) fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        other => Err(format!(
            "must be a string, found {} (quote it in YAML)",
            describe(other)
        )),
    }
}

pub(super) fn secret(value: &Value) -> Result<Secret, String> {
    text(value).map(Secret::new)
}

pub(super) fn path(value: &Value) -> Result<PathBuf, String> {
    match text(value)? {
        path if path.is_empty() => Err("must not be empty".to_owned()),
        path => Ok(PathBuf::from(path)),
    }
}

pub(super) fn url(value: &Value) -> Result<RedisUrl, String> {
    RedisUrl::parse(&text(value)?)
}

pub(super) fn namespace(value: &Value) -> Result<Namespace, String> {
    Namespace::parse(&text(value)?)
}

pub(super) fn sid_type(value: &Value) -> Result<SidType, String> {
    match text(value)?.as_str() {
        "both" => Ok(SidType::Both),
        "private_id" => Ok(SidType::PrivateId),
        "public_id" => Ok(SidType::PublicId),
        other => Err(format!(
            "must be both, private_id or public_id, found {other:?}"
        )),
    }
}

/// A duration in seconds, whole or not, greater than 0.
pub(super) fn seconds(value: &Value) -> Result<Duration, String> {
    let number = number(value, "a number of seconds")?;
    let seconds = number.as_f64().unwrap_or(f64::NAN);
    if !seconds.is_finite() {
        return Err(format!(
            "must be a finite number of seconds, found {number}"
        ));
    }
    if seconds > MAX_SECONDS as f64 {
        return Err(format!(
            "must be at most {MAX_SECONDS} seconds, found {number}"
        ));
    }
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("must be greater than 0, found {number}")),
    }
}

/// A duration in whole seconds, greater than 0.
pub(super) fn whole_seconds(value: &Value) -> Result<Duration, String> {
    integer(value, 1, MAX_SECONDS).map(Duration::from_secs)
}

/// An integer from 0 to `u32::MAX`.
pub(super) fn count(value: &Value) -> Result<u32, String> {
    let count = integer(value, 0, u32::MAX.into())?;
    u32::try_from(count).map_err(|_| format!("must be at most {}", u32::MAX))
}

/// An integer from 1 to `u32::MAX`.
pub(super) fn positive_count(value: &Value) -> Result<NonZeroU32, String> {
    let count = integer(value, 1, u32::MAX.into())?;
    u32::try_from(count)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| format!("must be from 1 to {}", u32::MAX))
}

/// An integer in `min..=max`.
fn integer(value: &Value, min: u64, max: u64) -> Result<u64, String> {
    let number = number(value, "an integer")?;
    if number.is_f64() {
        return Err(format!("must be an integer, found {number}"));
    }
    match number.as_u64() {
        Some(integer) if (min..=max).contains(&integer) => Ok(integer),
        Some(integer) if integer > max => Err(format!("must be at most {max}, found {number}")),
        // Below `min`, or a negative integer.
        _ => Err(format!("must be at least {min}, found {number}")),
    }
}

fn number<'a>(value: &'a Value, expected: &str) -> Result<&'a Number, String> {
    match value {
        Value::Number(number) => Ok(number),
        other => Err(format!("must be {expected}, found {}", describe(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_norway::from_str(text).expect("valid YAML")
    }

    #[test]
    fn seconds_may_be_fractional() {
        assert_eq!(seconds(&yaml("20")), Ok(Duration::from_secs(20)));
        assert_eq!(seconds(&yaml("0.25")), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn bad_seconds_are_rejected() {
        let cases = [
            ("0", "greater than 0"),
            ("-1", "greater than 0"),
            ("-0.5", "greater than 0"),
            ("1e-300", "greater than 0"),
            (".nan", "finite"),
            (".inf", "finite"),
            ("1e300", "at most"),
            ("'10'", "found a string"),
            ("true", "found a boolean"),
            ("[1]", "found a list"),
        ];
        for (text, reason) in cases {
            let message = seconds(&yaml(text)).expect_err(text);
            assert!(message.contains(reason), "{text}: {message}");
        }
    }

    #[test]
    fn integers_are_checked_against_their_range() {
        assert_eq!(count(&yaml("0")), Ok(0));
        assert_eq!(whole_seconds(&yaml("60")), Ok(Duration::from_secs(60)));
        let cases = [
            ("0", "at least 1"),
            ("-5", "at least 1"),
            ("1.5", "must be an integer"),
            ("4294967296", "at most 4294967295"),
            ("1e30", "must be an integer"),
            ("x", "found a string"),
        ];
        for (text, reason) in cases {
            let message = positive_count(&yaml(text)).expect_err(text);
            assert!(message.contains(reason), "{text}: {message}");
        }
    }

    #[test]
    fn sid_types_have_three_spellings() {
        assert_eq!(sid_type(&yaml("both")), Ok(SidType::Both));
        assert_eq!(sid_type(&yaml("private_id")), Ok(SidType::PrivateId));
        assert_eq!(sid_type(&yaml("public_id")), Ok(SidType::PublicId));
        assert!(sid_type(&yaml("Both")).is_err());
    }

    #[test]
    fn type_errors_do_not_quote_text() {
        let message = secret(&yaml("123456")).expect_err("a number");
        assert_eq!(
            message,
            "must be a string, found a number (quote it in YAML)"
        );
    }
}
