//! Browser and OS names in device-detector's vocabulary (SPEC 1.4).
//!
//! The parser speaks uap-core's words; the Ruby apps record Matomo
//! device-detector's. Where the two differ, the tables below translate;
//! any name not listed is already the same in both. A few rules fill gaps
//! the data leaves where device-detector answers; each says why.

use super::parser::Parsed;

/// uap-core browser family → device-detector browser name.
const BROWSERS: &[(&str, &str)] = &[
    ("Amazon Silk", "Mobile Silk"),
    ("Chrome Mobile WebView", "Chrome Webview"),
    ("DuckDuckGo Mobile", "DuckDuckGo Privacy Browser"),
    ("Edge", "Microsoft Edge"),
    ("Edge Mobile", "Microsoft Edge"),
    ("Firefox iOS", "Firefox Mobile iOS"),
    ("HeadlessChrome", "Headless Chrome"),
    ("IE", "Internet Explorer"),
    ("Mobile Safari UI/WKWebView", "Mobile Safari"),
    ("Samsung Internet", "Samsung Browser"),
    ("okhttp", "OkHttp"),
];

/// uap-core OS family → device-detector OS name. Distributions such as
/// "Ubuntu" or "Fedora" keep their names: device-detector has them too.
const SYSTEMS: &[(&str, &str)] = &[
    ("ATV OS X", "tvOS"),
    ("Linux", "GNU/Linux"),
    ("Mac OS", "Mac"),
    ("Mac OS X", "Mac"),
];

/// Browsers that give away the OS even when the User-Agent names none:
/// OkHttp is the HTTP client of Android apps, and device-detector reports
/// Android for a bare `okhttp/4.x`.
const BROWSER_SYSTEMS: &[(&str, &str)] = &[("OkHttp", "Android")];

/// Browser families that only say "some app's embedded web view". When
/// the User-Agent opens with an app's own product token, that app is the
/// better answer, as it is for device-detector.
const EMBEDDED: &[&str] = &["Mobile Safari UI/WKWebView"];

/// First iPadOS release: device-detector calls an iPad's OS "iPadOS" from
/// here on and "iOS" before.
const IPADOS_SINCE: u32 = 13;

/// The browser's name from the parser's family, or from the app's leading
/// product token when the parser knows no better (see [`EMBEDDED`]).
pub(super) fn browser(user_agent: &str, family: Option<&str>) -> Option<String> {
    let generic = family.is_none_or(|f| EMBEDDED.contains(&f));
    let family = match leading_product(user_agent) {
        Some(app) if generic => Some(app),
        _ => family,
    };
    family.map(|f| translate(BROWSERS, f).to_owned())
}

/// The OS's name from the parser's answers. An iPad's iOS from version
/// 13 on is "iPadOS".
pub(super) fn os(parsed: &Parsed<'_>) -> Option<String> {
    let family = parsed.os.as_deref()?;
    let ipad = family == "iOS" && parsed.family.as_deref() == Some("iPad");
    let major = parsed
        .os_major
        .as_deref()
        .and_then(|m| m.parse::<u32>().ok());
    if ipad && major >= Some(IPADOS_SINCE) {
        return Some("iPadOS".to_owned());
    }
    Some(translate(SYSTEMS, family).to_owned())
}

/// The OS a browser gives away when the User-Agent names none (see
/// [`BROWSER_SYSTEMS`]).
pub(super) fn os_of_browser(browser: &str) -> Option<String> {
    let found = BROWSER_SYSTEMS.iter().find(|(b, _)| *b == browser);
    found.map(|(_, os)| (*os).to_owned())
}

/// Looks `name` up in a translation table, or keeps it.
fn translate<'a>(table: &[(&str, &'a str)], name: &'a str) -> &'a str {
    let found = table.iter().find(|(from, _)| *from == name);
    found.map_or(name, |(_, to)| to)
}

/// The product an app's User-Agent opens with, such as "Rex" in
/// `Rex/3.2.1 (iPhone; ...)`. Browsers all open with `Mozilla/`, which is
/// no product at all.
fn leading_product(user_agent: &str) -> Option<&str> {
    let (name, rest) = user_agent.split_once('/')?;
    let is_token = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let starts_well = name.starts_with(|c: char| c.is_ascii_alphabetic());
    let versioned = rest.starts_with(|c: char| c.is_ascii_digit());
    let product = is_token && starts_well && versioned && !name.eq_ignore_ascii_case("mozilla");
    product.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_browsers_are_translated() {
        assert_eq!(
            browser("x", Some("Samsung Internet")).as_deref(),
            Some("Samsung Browser")
        );
        assert_eq!(
            browser("x", Some("Edge")).as_deref(),
            Some("Microsoft Edge")
        );
    }

    #[test]
    fn other_browsers_keep_their_names() {
        assert_eq!(
            browser("x", Some("Chrome Mobile")).as_deref(),
            Some("Chrome Mobile")
        );
    }

    #[test]
    fn an_apps_own_token_beats_a_web_view() {
        let ua = "Rex/3.2.1 (iPhone; iOS 17.1; Scale/3.00)";
        let found = browser(ua, Some("Mobile Safari UI/WKWebView"));
        assert_eq!(found.as_deref(), Some("Rex"));
    }

    #[test]
    fn an_apps_token_fills_an_unknown_browser() {
        assert_eq!(browser("Acme-Tool/1.0", None).as_deref(), Some("Acme-Tool"));
    }

    #[test]
    fn mozilla_is_not_an_app() {
        assert_eq!(browser("Mozilla/5.0 (X11)", None), None);
    }

    #[test]
    fn a_web_view_in_a_browser_ua_stays() {
        let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)";
        let found = browser(ua, Some("Mobile Safari UI/WKWebView"));
        assert_eq!(found.as_deref(), Some("Mobile Safari"));
    }

    fn system(family: &str, major: Option<&str>, device: Option<&str>) -> Option<String> {
        os(&Parsed {
            os: Some(family.to_owned().into()),
            os_major: major.map(|m| m.to_owned().into()),
            family: device.map(|d| d.to_owned().into()),
            ..Parsed::default()
        })
    }

    #[test]
    fn mac_and_linux_are_translated() {
        assert_eq!(system("Mac OS X", Some("10"), None).as_deref(), Some("Mac"));
        assert_eq!(system("Linux", None, None).as_deref(), Some("GNU/Linux"));
        assert_eq!(system("Ubuntu", None, None).as_deref(), Some("Ubuntu"));
    }

    #[test]
    fn a_recent_ipad_runs_ipados() {
        assert_eq!(
            system("iOS", Some("16"), Some("iPad")).as_deref(),
            Some("iPadOS")
        );
        assert_eq!(
            system("iOS", Some("12"), Some("iPad")).as_deref(),
            Some("iOS")
        );
        assert_eq!(
            system("iOS", Some("17"), Some("iPhone")).as_deref(),
            Some("iOS")
        );
    }

    #[test]
    fn okhttp_implies_android() {
        assert_eq!(os_of_browser("OkHttp").as_deref(), Some("Android"));
        assert_eq!(os_of_browser("curl"), None);
    }
}
