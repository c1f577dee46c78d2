//! How long [`rels_session::device::detect`] takes per User-Agent, over a
//! handful of realistic ones, once the parser is built.
//!
//! Run with `cargo bench -p rels-session --bench device`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rels_session::device;

/// A desktop, a phone, a tablet, an app, a bot and an HTTP library.
const USER_AGENTS: [(&str, &str); 6] = [
    (
        "chrome_windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
         (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    ),
    (
        "safari_iphone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \
         AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 \
         Mobile/15E148 Safari/604.1",
    ),
    (
        "samsung_tablet",
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 \
         (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
    ),
    ("ios_app", "MyApp/2.3 CFNetwork/1410.0.3 Darwin/22.6.0"),
    (
        "googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ),
    ("curl", "curl/8.4.0"),
];

fn detect(c: &mut Criterion) {
    device::warm_up();
    let mut group = c.benchmark_group("detect");
    for (name, user_agent) in USER_AGENTS {
        group.bench_function(name, |b| b.iter(|| device::detect(black_box(user_agent))));
    }
    group.finish();
}

criterion_group!(benches, detect);
criterion_main!(benches);
