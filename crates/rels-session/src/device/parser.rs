//! The User-Agent parser: the `ua-parser` crate (uap-rust) running the
//! uap-core `regexes.yaml` that ships inside this crate.
//!
//! This file owns loading the data and asking it about one User-Agent. It
//! knows nothing of device-detector's names: the answers come out in the
//! library's own words and [`super::names`] and [`super::hardware`]
//! translate them.

use std::borrow::Cow;
use std::sync::LazyLock;

use ua_parser::Extractor;

/// uap-core 0.18.0's `regexes.yaml`, Apache-2.0 (see `data/LICENSE` and
/// the repository's `NOTICE`). Embedded so that nothing is fetched at
/// build or run time.
const REGEXES: &str = include_str!("data/regexes.yaml");

/// Built on first use, once per process: about 0.2 s of regex
/// compilation in a release build, so it must never happen per request.
/// `None` only if the bundled data does not load, which the tests rule
/// out; detection then answers "unknown" instead of failing logins.
static EXTRACTOR: LazyLock<Option<Extractor<'static>>> = LazyLock::new(build);

/// What the library says about one User-Agent, in its own vocabulary.
///
/// Every field is `None` when the library has no answer; its "Other"
/// placeholder never gets here.
#[derive(Debug, Default)]
pub(super) struct Parsed<'a> {
    /// Browser or app family, such as "Chrome Mobile" or "okhttp".
    pub(super) browser: Option<Cow<'a, str>>,
    /// OS family, such as "Mac OS X" or "Android".
    pub(super) os: Option<Cow<'a, str>>,
    /// The OS's major version, such as "17".
    pub(super) os_major: Option<Cow<'a, str>>,
    /// Device family, such as "iPhone", "Spider" or "Samsung SM-G991B".
    pub(super) family: Option<Cow<'a, str>>,
    /// Device brand, such as "Apple", "Samsung" or "Generic_Android".
    pub(super) brand: Option<Cow<'a, str>>,
    /// Device model, such as "iPhone" or "SM-G991B".
    pub(super) model: Option<Cow<'a, str>>,
}

/// Runs the parser over `user_agent`, or answers nothing when the parser
/// could not be built.
pub(super) fn parse(user_agent: &str) -> Parsed<'_> {
    let Some(extractor) = EXTRACTOR.as_ref() else {
        return Parsed::default();
    };
    let (browser, os, device) = extractor.extract(user_agent);
    let (os, os_major) = os.map_or((None, None), |os| (Some(os.os), os.major));
    let (family, brand, model) =
        device.map_or((None, None, None), |d| (Some(d.device), d.brand, d.model));

    Parsed {
        browser: known(browser.map(|b| b.family)),
        os: known(os),
        os_major,
        family: known(family),
        brand,
        model,
    }
}

/// Builds the parser now rather than on the first [`parse`].
pub(super) fn warm_up() {
    LazyLock::force(&EXTRACTOR);
}

/// Loads and compiles the bundled data.
fn build() -> Option<Extractor<'static>> {
    let compiled = serde_norway::from_str::<ua_parser::Regexes<'static>>(REGEXES)
        .map_err(|err| err.to_string())
        .and_then(|regexes| Extractor::try_from(regexes).map_err(|err| err.to_string()));
    match compiled {
        Ok(extractor) => Some(extractor),
        Err(error) => {
            tracing::error!(
                target: "rels_session::device",
                %error,
                "the bundled User-Agent data did not load; devices will be unknown"
            );
            None
        }
    }
}

/// Drops the library's placeholders for "no answer".
fn known(value: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    value.filter(|v| !v.is_empty() && v != "Other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_builds() {
        assert!(EXTRACTOR.is_some());
    }

    #[test]
    fn unknown_answers_are_none() {
        let parsed = parse("zzz");
        assert!(parsed.browser.is_none() && parsed.os.is_none() && parsed.family.is_none());
    }

    #[test]
    fn a_phone_gets_every_field() {
        let ua = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                  (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
        let parsed = parse(ua);
        assert_eq!(parsed.browser.as_deref(), Some("Chrome Mobile"));
        assert_eq!(parsed.os.as_deref(), Some("Android"));
        assert_eq!(parsed.os_major.as_deref(), Some("14"));
        assert_eq!(parsed.brand.as_deref(), Some("Google"));
        assert_eq!(parsed.model.as_deref(), Some("Pixel 8"));
    }
}
