//! What a User-Agent says about the client: browser, OS, device name and
//! type, and whether it is a bot (SPEC 1.4, 2.2).
//!
//! The Ruby apps use Matomo's device-detector, whose data is LGPL-3.0 and
//! so not bundled here. Detection runs on the `ua-parser` crate (the
//! ua-parser project's own Rust port) with uap-core's `regexes.yaml`
//! (Apache-2.0), which ships inside this crate: nothing is fetched at
//! build or run time. Its answers are then put in device-detector's words
//! so that dashboards fed by Ruby and Rust apps agree:
//!
//! - `names`: browser and OS names, a small translation table ("Mac OS
//!   X" → "Mac", "Samsung Internet" → "Samsung Browser", ...).
//! - `hardware`: the device's name, and its type by documented rules,
//!   since uap-core has no notion of device type.
//! - `parser`: the library and its data, built once per process.
//!
//! # Limits
//!
//! - Device names are uap-core's models ("SM-G991B"), where
//!   device-detector knows many marketing names ("Galaxy S21 5G").
//! - `phablet` and the rarer device types need device-detector's model
//!   list; they are never produced.
//! - A bot is what uap-core files as a crawler (`Spider`); HTTP libraries
//!   such as curl are not bots.

mod hardware;
mod names;
mod parser;

/// How much of a User-Agent is read, in bytes. Real ones stay within a few
/// hundred; the rest of a longer one is ignored, which bounds the time
/// [`detect`] takes whatever a client sends.
pub const MAX_USER_AGENT_BYTES: usize = 1024;

/// What a User-Agent says about the client, in device-detector's
/// vocabulary. Every field is `None` when the User-Agent does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Device {
    /// Browser or app name, such as "Chrome", "Mobile Safari", "Samsung
    /// Browser" or "OkHttp".
    pub browser: Option<String>,
    /// Operating system, such as "Windows", "Mac", "iOS", "Android" or
    /// "GNU/Linux".
    pub os: Option<String>,
    /// Device model, such as "iPhone", "iPad" or "SM-G991B".
    pub device_name: Option<String>,
    /// Kind of device: "desktop", "smartphone", "tablet", "tv",
    /// "console", "feature phone" or "portable media player".
    pub device_type: Option<String>,
    /// Whether the client is a crawler or another known robot.
    pub bot: bool,
}

/// Reads a User-Agent header's value.
///
/// An empty User-Agent gives an empty [`Device`]; only the first
/// [`MAX_USER_AGENT_BYTES`] are read. The first call in a process builds
/// the parser (see [`warm_up`]); later calls take microseconds.
///
/// # Example
///
/// ```
/// let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \
///           AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 \
///           Mobile/15E148 Safari/604.1";
/// let device = rels_session::device::detect(ua);
/// assert_eq!(device.browser.as_deref(), Some("Mobile Safari"));
/// assert_eq!(device.os.as_deref(), Some("iOS"));
/// assert_eq!(device.device_type.as_deref(), Some("smartphone"));
/// ```
pub fn detect(user_agent: &str) -> Device {
    let user_agent = truncate(user_agent.trim(), MAX_USER_AGENT_BYTES);
    if user_agent.is_empty() {
        return Device::default();
    }
    let parsed = parser::parse(user_agent);

    let browser = names::browser(user_agent, parsed.browser.as_deref());
    let stated_os = names::os(&parsed);
    // The type looks at the OS the User-Agent states, not one guessed
    // from the browser: a bare `okhttp/4.x` is an Android app of unknown
    // form.
    let device_type = hardware::device_type(user_agent, &parsed, stated_os.as_deref());
    let os = stated_os.or_else(|| browser.as_deref().and_then(names::os_of_browser));

    Device {
        browser,
        os,
        device_name: hardware::name(&parsed),
        device_type: device_type.map(str::to_owned),
        bot: parsed.family.as_deref() == Some("Spider"),
    }
}

/// Builds the parser now, so that the first request does not wait for it
/// (about 0.2 s in a release build). Call it at start-up; calling it again
/// does nothing.
///
/// # Example
///
/// ```
/// rels_session::device::warm_up();
/// ```
pub fn warm_up() {
    parser::warm_up();
}

/// The longest prefix of `text` within `max` bytes that ends on a
/// character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests;
