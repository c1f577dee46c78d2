//! The device's name and type (SPEC 1.4 `device_name`, `device_type`).
//!
//! uap-core names a device's brand and model but has no notion of its
//! type, so the type comes from rules over the User-Agent's tokens and the
//! parser's answers, in the spirit of device-detector's: first match wins,
//! in this order.
//!
//! 1. A TV token (`SMART-TV`, `HbbTV`, `CrKey`, `BRAVIA`, `AFT…`, ...):
//!    `tv`.
//! 2. A console token (`PlayStation`, `Xbox`, `Nintendo`): `console`.
//! 3. An Apple device: iPad `tablet`, iPhone `smartphone`, iPod
//!    `portable media player`.
//! 4. KaiOS: `feature phone`.
//! 5. iOS or Windows Phone without a known device: `smartphone` (an app's
//!    `CFNetwork/... Darwin/...` User-Agent says iOS but not which device).
//! 6. Android: `tablet` when it says `Tablet`, `smartphone` when it says
//!    `Mobile`, `tablet` when Chrome runs without `Mobile` (Chrome drops
//!    it on tablets), else none: an app's own User-Agent does not say.
//! 7. A desktop OS (Windows, Mac, GNU/Linux and its distributions, Chrome
//!    OS, the BSDs): `desktop`.
//! 8. Anything else, including bots and HTTP libraries: none.
//!
//! Not produced: `phablet` and the other types device-detector gets from
//! its LGPL device list, which we do not bundle.

use super::parser::Parsed;

/// Lowercase substrings that mark a TV or TV stick.
const TV_TOKENS: &[&str] = &[
    "smart-tv",
    "smarttv",
    "hbbtv",
    "googletv",
    "google tv",
    "android tv",
    "androidtv",
    "appletv",
    "apple tv",
    "crkey",
    "bravia",
    "netcast",
    "roku",
    "web0s",
];

/// Lowercase substrings that mark a games console.
const CONSOLE_TOKENS: &[&str] = &["playstation", "xbox", "nintendo"];

/// OS names (already translated) that only run on desktops and laptops.
const DESKTOP_SYSTEMS: &[&str] = &[
    "Windows",
    "Mac",
    "GNU/Linux",
    "Chrome OS",
    "Ubuntu",
    "Debian",
    "Fedora",
    "Linux Mint",
    "Arch Linux",
    "FreeBSD",
    "OpenBSD",
    "NetBSD",
];

/// uap-core models that stand for "some device" rather than naming one.
const PLACEHOLDER_MODELS: &[&str] = &[
    "Desktop",
    "Feature Phone",
    "iOS-Device",
    "Mac",
    "Smartphone",
    "Tablet",
];

/// uap-core brands whose models are all placeholders.
const GENERIC_BRANDS: &[&str] = &["Generic", "Spider"];

/// The device's name: the model uap-core found ("SM-G991B", "Pixel 8"),
/// Apple's product line for Apple devices ("iPhone", "iPad"), or none when
/// the model is only a placeholder.
pub(super) fn name(parsed: &Parsed<'_>) -> Option<String> {
    let brand = parsed.brand.as_deref();
    let model = if brand == Some("Apple") {
        parsed.family.as_deref()
    } else {
        parsed.model.as_deref()
    }?;

    let generic = brand.is_some_and(|b| GENERIC_BRANDS.contains(&b));
    // Chrome's reduced User-Agent says `Android 10; K` for every device.
    let reduced = model == "K" && brand.is_some_and(|b| b.starts_with("Generic_Android"));
    let placeholder = PLACEHOLDER_MODELS.contains(&model);
    (!generic && !reduced && !placeholder).then(|| model.to_owned())
}

/// The device type by the rules in this module's docs. `os` is the
/// translated OS name from the User-Agent itself, not one inferred from
/// the browser: a bare `okhttp/4.x` has no device.
pub(super) fn device_type(
    user_agent: &str,
    parsed: &Parsed<'_>,
    os: Option<&str>,
) -> Option<&'static str> {
    let lower = user_agent.to_ascii_lowercase();
    let has = |tokens: &[&str]| tokens.iter().any(|t| lower.contains(t));

    if has(TV_TOKENS) || is_fire_tv(parsed) {
        return Some("tv");
    }
    if has(CONSOLE_TOKENS) {
        return Some("console");
    }
    if let Some(apple) = apple_type(parsed) {
        return Some(apple);
    }
    match os? {
        "KaiOS" => Some("feature phone"),
        "iOS" | "iPadOS" | "Windows Phone" => Some("smartphone"),
        "Android" => android_type(&lower),
        desktop if DESKTOP_SYSTEMS.contains(&desktop) => Some("desktop"),
        _ => None,
    }
}

/// Amazon's Fire TV sticks name themselves `AFT` and a few capitals.
fn is_fire_tv(parsed: &Parsed<'_>) -> bool {
    let model = parsed.model.as_deref().unwrap_or_default();
    model.strip_prefix("AFT").is_some_and(|code| {
        (1..=5).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase())
    })
}

/// Apple's product lines as uap-core names them.
fn apple_type(parsed: &Parsed<'_>) -> Option<&'static str> {
    match parsed.family.as_deref()? {
        "iPad" => Some("tablet"),
        "iPhone" => Some("smartphone"),
        "iPod" => Some("portable media player"),
        _ => None,
    }
}

/// Android browsers on phones say `Mobile`; Firefox and Opera on tablets
/// say `Tablet`, Chrome on tablets says neither.
fn android_type(lower_user_agent: &str) -> Option<&'static str> {
    let says = |token| lower_user_agent.contains(token);
    if says("tablet") {
        Some("tablet")
    } else if says("mobile") {
        Some("smartphone")
    } else if says("chrome/") {
        Some("tablet")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(family: &str, brand: &str, model: &str) -> Parsed<'static> {
        Parsed {
            family: Some(family.to_owned().into()),
            brand: Some(brand.to_owned().into()),
            model: Some(model.to_owned().into()),
            ..Parsed::default()
        }
    }

    #[test]
    fn a_model_is_the_name() {
        let found = name(&parsed("Samsung SM-G991B", "Samsung", "SM-G991B"));
        assert_eq!(found.as_deref(), Some("SM-G991B"));
    }

    #[test]
    fn apple_devices_are_named_by_product_line() {
        let found = name(&parsed("iPhone", "Apple", "iPhone15,2"));
        assert_eq!(found.as_deref(), Some("iPhone"));
    }

    #[test]
    fn placeholders_are_no_name() {
        assert_eq!(
            name(&parsed("Generic Smartphone", "Generic", "Smartphone")),
            None
        );
        assert_eq!(name(&parsed("Spider", "Spider", "Desktop")), None);
        assert_eq!(name(&parsed("Mac", "Apple", "Mac")), None);
        assert_eq!(name(&parsed("K", "Generic_Android", "K")), None);
    }

    #[test]
    fn android_chrome_without_mobile_is_a_tablet() {
        let none = Parsed::default();
        let tablet = "Mozilla/5.0 (Linux; Android 13; SM-X700) Chrome/115 Safari/537.36";
        let phone = "Mozilla/5.0 (Linux; Android 13; SM-G991B) Chrome/115 Mobile Safari/537.36";
        let app = "MyApp/1.0 (com.example.myapp; Android 13) okhttp/4.12.0";
        assert_eq!(device_type(tablet, &none, Some("Android")), Some("tablet"));
        assert_eq!(device_type(app, &none, Some("Android")), None);
        assert_eq!(
            device_type(phone, &none, Some("Android")),
            Some("smartphone")
        );
    }

    #[test]
    fn tvs_and_consoles_are_told_apart() {
        let none = Parsed::default();
        let tv = "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) TV Safari/537.36";
        let xbox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) Edge/18";
        assert_eq!(device_type(tv, &none, Some("Tizen")), Some("tv"));
        assert_eq!(device_type(xbox, &none, Some("Windows")), Some("console"));
        let fire_tv = parsed("AFTMM", "Generic_Android", "AFTMM");
        assert_eq!(
            device_type("Android 9; AFTMM", &fire_tv, Some("Android")),
            Some("tv")
        );
    }

    #[test]
    fn desktop_systems_make_desktops() {
        let none = Parsed::default();
        assert_eq!(device_type("x", &none, Some("GNU/Linux")), Some("desktop"));
        assert_eq!(device_type("x", &none, Some("Chrome OS")), Some("desktop"));
    }

    #[test]
    fn no_os_no_type() {
        assert_eq!(device_type("curl/8.4.0", &Parsed::default(), None), None);
    }
}
