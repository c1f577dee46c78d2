//! Times in a session's `meta`: the forms readers meet and the one form we
//! write (SPEC 1.4).
//!
//! The gem writes Ruby's `Time#to_s`: `2025-01-01 12:00:00 UTC`, or
//! `2025-01-01 21:00:00 +0900` when the Rails time zone is not UTC. Its
//! alternative serializer writes ISO 8601 (`2025-01-01T12:00:00.123Z`), and
//! other writers leave bare dates or epoch seconds. We read all of these,
//! keep fractional seconds, and hand every time back in UTC.

use time::format_description::FormatItem;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `Time#to_s` of a UTC time, with optional fractional seconds.
const RUBY_UTC: &[FormatItem<'_>] = format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]] UTC"
);

/// `Time#to_s` of a time in another zone: the offset as `+HHMM`.
const RUBY_OFFSET: &[FormatItem<'_>] = format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]] \
     [offset_hour sign:mandatory][offset_minute]"
);

/// What we write: `Time#to_s` in UTC, whole seconds.
const WRITTEN: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");

/// Reads a time written as text, in any form of SPEC 1.4; `None` when the
/// text is none of them.
///
/// A date and time without a zone is taken as UTC: the writer's zone is
/// unknown, and UTC is what the gem writes by default. A bare date is
/// midnight UTC.
pub(crate) fn parse_text(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    // `RUBY_UTC` has no offset to read, so it parses as a time without
    // one; this form, the one the gem and we write, is tried first.
    let parsed = PrimitiveDateTime::parse(text, RUBY_UTC)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, RUBY_OFFSET))
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::PARSING))
        .or_else(|_| PrimitiveDateTime::parse(text, &Iso8601::PARSING).map(|t| t.assume_utc()))
        .or_else(|_| Date::parse(text, &Iso8601::PARSING).map(|d| d.midnight().assume_utc()));
    parsed.ok().map(in_utc)
}

/// Reads a time written as epoch seconds, a JSON number such as
/// `1735732800` or `1735732800.5`; `None` for any other text, an exponent
/// or a time out of range.
pub(crate) fn parse_epoch(number: &str) -> Option<OffsetDateTime> {
    let (negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }

    let seconds: i128 = whole.parse().ok()?;
    let nanos = fraction_nanos(fraction);
    let total = seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    let total = if negative { -total } else { total };
    OffsetDateTime::from_unix_timestamp_nanos(total).ok()
}

/// The nanoseconds of a fraction's digits: `"5"` is 500,000,000. Digits
/// past the ninth are dropped.
fn fraction_nanos(fraction: &str) -> i128 {
    fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0, |acc, digit| acc * 10 + i128::from(digit - b'0'))
}

/// Writes a time as the gem does for a UTC time: `2025-01-01 12:00:00 UTC`.
/// The time is converted to UTC first and fractional seconds are dropped,
/// as Ruby's `Time#to_s` drops them.
pub(crate) fn format(time: OffsetDateTime) -> String {
    in_utc(time)
        .format(WRITTEN)
        .expect("a date-time with an offset has every part this format names")
}

fn in_utc(time: OffsetDateTime) -> OffsetDateTime {
    time.to_offset(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn every_written_form_reads_as_the_same_instant() {
        let noon = datetime!(2025-01-01 12:00:00 UTC);
        let forms = [
            "2025-01-01 12:00:00 UTC",
            "2025-01-01 21:00:00 +0900",
            "2025-01-01 07:00:00 -0500",
            "2025-01-01T12:00:00Z",
            "2025-01-01T21:00:00+09:00",
            "2025-01-01T12:00:00",
            " 2025-01-01T12:00:00.000Z ",
        ];
        for form in forms {
            assert_eq!(parse_text(form), Some(noon), "{form}");
        }
    }

    #[test]
    fn fractional_seconds_are_kept() {
        assert_eq!(
            parse_text("2025-01-01T12:00:00.123Z"),
            Some(datetime!(2025-01-01 12:00:00.123 UTC))
        );
        assert_eq!(
            parse_text("2025-01-01T12:30:00.456+09:00"),
            Some(datetime!(2025-01-01 03:30:00.456 UTC))
        );
        assert_eq!(
            parse_text("2025-01-01 12:00:00.5 UTC"),
            Some(datetime!(2025-01-01 12:00:00.5 UTC))
        );
    }

    #[test]
    fn a_bare_date_is_midnight_utc() {
        assert_eq!(
            parse_text("2024-01-02"),
            Some(datetime!(2024-01-02 00:00:00 UTC))
        );
    }

    #[test]
    fn times_come_back_in_utc() {
        let read = parse_text("2025-01-01 21:00:00 +0900").expect("readable");
        assert_eq!(read.offset(), UtcOffset::UTC);
    }

    #[test]
    fn unreadable_text_gives_none() {
        let bad = [
            "",
            "yesterday-ish",
            "2025-13-01 12:00:00 UTC",
            "2025-01-01 12:00:00 PST",
            "2025-01-01 25:00:00 UTC",
            "1735732800",
        ];
        for text in bad {
            assert_eq!(parse_text(text), None, "{text}");
        }
    }

    #[test]
    fn epoch_seconds_read_with_their_fraction() {
        assert_eq!(
            parse_epoch("1735732800"),
            Some(datetime!(2025-01-01 12:00:00 UTC))
        );
        assert_eq!(
            parse_epoch("1735732800.25"),
            Some(datetime!(2025-01-01 12:00:00.25 UTC))
        );
        assert_eq!(
            parse_epoch("-1.5"),
            Some(datetime!(1969-12-31 23:59:58.5 UTC))
        );
    }

    #[test]
    fn epoch_numbers_out_of_reach_give_none() {
        for text in ["1e9", "-", ".5", "1.", "99999999999999999999999", "NaN"] {
            assert_eq!(parse_epoch(text), None, "{text}");
        }
    }

    #[test]
    fn writing_gives_whole_seconds_in_utc() {
        let tokyo = datetime!(2025-01-01 21:00:00.999 +09:00);
        assert_eq!(format(tokyo), "2025-01-01 12:00:00 UTC");
    }
}
