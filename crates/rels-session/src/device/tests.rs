//! Detection end to end: the shared fixture of User-Agents with the
//! answers the Ruby apps' detector accepts, and the edge cases.

use serde_json::Value;

use super::*;

/// User-Agents with the answers accepted for each field, the Ruby
/// detector's first.
const FIXTURE: &str = include_str!("../../../../tests/fixtures/user_agents.json");

/// Reads one field of a [`Device`].
type Field = fn(&Device) -> Option<&str>;

/// The fields the fixture checks, with how to read each.
const FIELDS: [(&str, Field); 4] = [
    ("browser", |d| d.browser.as_deref()),
    ("os", |d| d.os.as_deref()),
    ("device_name", |d| d.device_name.as_deref()),
    ("device_type", |d| d.device_type.as_deref()),
];

fn cases() -> Vec<Value> {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    fixture["cases"]
        .as_array()
        .expect("the fixture lists cases")
        .clone()
}

/// The accepted answers for one field of one case.
fn accepted(case: &Value, field: &str) -> Vec<Option<String>> {
    let answers = case[field].as_array().expect("each field lists answers");
    answers
        .iter()
        .map(|a| a.as_str().map(str::to_owned))
        .collect()
}

/// Every way `device` departs from the case, or from its first answers
/// when `first_only`.
fn mismatches(case: &Value, device: &Device, first_only: bool) -> Vec<String> {
    let mut found = Vec::new();
    for (field, read) in FIELDS {
        let mut answers = accepted(case, field);
        if first_only {
            answers.truncate(1);
        }
        let got = read(device).map(str::to_owned);
        if !answers.contains(&got) {
            found.push(format!("{field}: got {got:?}, accepted {answers:?}"));
        }
    }
    if case["bot"].as_bool() != Some(device.bot) {
        found.push(format!("bot: got {}", device.bot));
    }
    found
}

#[test]
fn every_fixture_case_gets_an_accepted_answer() {
    let mut failures = Vec::new();
    for case in cases() {
        let ua = case["user_agent"]
            .as_str()
            .expect("each case has a user agent");
        let problems = mismatches(&case, &detect(ua), false);
        if !problems.is_empty() {
            failures.push(format!("{ua:?}\n  {}", problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn most_fixture_cases_get_the_ruby_answer() {
    // The Ruby detector knows Samsung's marketing names ("Galaxy S21 5G")
    // from its LGPL device list; uap-core gives the model code, which the
    // fixture accepts as its second answer. Every other field must match
    // the Ruby app's answer exactly.
    let known_gaps = ["SM-X700", "SM-G991B"];
    for case in cases() {
        let ua = case["user_agent"]
            .as_str()
            .expect("each case has a user agent");
        let problems = mismatches(&case, &detect(ua), true);
        let gap = known_gaps.iter().any(|model| ua.contains(model));
        let only_name = problems.iter().all(|p| p.starts_with("device_name"));
        assert!(
            problems.is_empty() || (gap && only_name),
            "{ua:?}: {problems:?}"
        );
    }
}

#[test]
fn an_empty_user_agent_says_nothing() {
    assert_eq!(detect(""), Device::default());
    assert_eq!(detect("   "), Device::default());
}

#[test]
fn a_huge_user_agent_is_read_up_to_the_bound() {
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                  (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 ";
    let huge = format!("{chrome}{}", "x".repeat(1 << 20));
    let device = detect(&huge);
    assert_eq!(device.browser.as_deref(), Some("Chrome"));
    assert_eq!(device.os.as_deref(), Some("Windows"));
}

#[test]
fn what_lies_past_the_bound_is_ignored() {
    let padding = "x".repeat(MAX_USER_AGENT_BYTES);
    let device = detect(&format!("{padding} Googlebot/2.1"));
    assert!(!device.bot);
}

#[test]
fn truncation_keeps_whole_characters() {
    assert_eq!(truncate("aé", 2), "a");
    assert_eq!(truncate("abc", 10), "abc");
    assert_eq!(truncate("ééé", 1), "");
}

#[test]
fn bots_are_flagged() {
    let bingbot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
    let device = detect(bingbot);
    assert!(device.bot);
    assert_eq!(device.device_name, None);
}

#[test]
fn an_android_tablet_is_a_tablet() {
    let ua = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 \
              (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let device = detect(ua);
    assert_eq!(device.browser.as_deref(), Some("Chrome"));
    assert_eq!(device.device_name.as_deref(), Some("SM-X700"));
    assert_eq!(device.device_type.as_deref(), Some("tablet"));
}

#[test]
fn an_older_ipad_runs_ios() {
    let ua = "Mozilla/5.0 (iPad; CPU OS 12_4 like Mac OS X) AppleWebKit/605.1.15 \
              (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1";
    assert_eq!(detect(ua).os.as_deref(), Some("iOS"));
}

#[test]
fn a_smart_tv_is_a_tv() {
    let ua = "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 \
              (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36";
    let device = detect(ua);
    assert_eq!(device.browser.as_deref(), Some("Samsung Browser"));
    assert_eq!(device.os.as_deref(), Some("Tizen"));
    assert_eq!(device.device_type.as_deref(), Some("tv"));
}

#[test]
fn a_reduced_chrome_ua_names_no_device() {
    let ua = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 \
              (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    let device = detect(ua);
    assert_eq!(device.device_name, None);
    assert_eq!(device.device_type.as_deref(), Some("smartphone"));
}

#[test]
fn binary_garbage_does_not_panic() {
    let garbage: String = (0u32..2000).filter_map(char::from_u32).collect();
    let _ = detect(&garbage);
}

#[test]
fn an_android_apps_ua_names_no_device_type() {
    let device = detect("MyApp/1.0 (com.example.myapp; build:12; Android 13) okhttp/4.12.0");
    assert_eq!(device.browser.as_deref(), Some("OkHttp"));
    assert_eq!(device.os.as_deref(), Some("Android"));
    assert_eq!(device.device_type, None);
}
