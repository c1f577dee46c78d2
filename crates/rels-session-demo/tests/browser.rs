//! A real headless Chromium against the demo (issue 4, part 7): two
//! browser profiles sign in as the same user, see two devices, and the
//! first signs the second out, which finds itself signed out on its next
//! request. Screenshots of the devices page go to `target/screenshots/`.
//!
//! It needs Debian's `chromium` and `chromium-driver` (installed by
//! `scripts/install`); `RELS_TEST_CHROMIUM` and `RELS_TEST_CHROMEDRIVER`
//! name other binaries. It is a test target of its own: skip it with
//! `cargo test -p rels-session-demo --test acceptance` and friends.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use rels_session::Store;
use rels_session_testkit::workspace_root;
use serde_json::{Map, json};

/// How long chromedriver may take to start, and a page to load.
const PATIENCE: Duration = Duration::from_secs(30);

/// Chromium's flags: headless, quiet, and nothing fetched from outside.
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

fn binary(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Self {
        let port = free_port();
        let program = binary("RELS_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs; install chromium-driver (scripts/install)");
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A browser with a profile of its own in `profile`.
    async fn browser(&self, profile: &tempfile::TempDir) -> Client {
        let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let options = json!({
            "binary": binary("RELS_TEST_CHROMIUM", "/usr/bin/chromium"),
            "args": args,
        });
        let mut capabilities = Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver starts a browser")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// Serves the demo on a free port for the rest of the test.
async fn serve_demo() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("an address");
    let app = rels_session_demo::app(Store::memory());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    format!("http://{addr}")
}

async fn sign_in(browser: &Client, base: &str, name: &str) {
    browser
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    let field = browser.find(Locator::Css("input[name=user]")).await;
    field
        .expect("a name field")
        .send_keys(name)
        .await
        .expect("typed");
    let button = browser.find(Locator::Css("main button[type=submit]")).await;
    button.expect("a button").click().await.expect("clicked");
    wait_for_path(browser, base, "/").await;
    let page = browser.source().await.expect("a page");
    assert!(page.contains("signed in here"), "signed in: {page}");
}

async fn device_rows(browser: &Client) -> usize {
    let rows = browser.find_all(Locator::Css("tbody tr")).await;
    rows.expect("rows").len()
}

/// Waits until the page lists `expected` devices. The revoke posts from
/// the devices page back to it, so the address alone cannot tell the old
/// page from the new one.
async fn wait_for_rows(browser: &Client, expected: usize) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let rows = device_rows(browser).await;
        if rows == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{rows} devices listed, not {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_path(browser: &Client, base: &str, path: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let url = browser.current_url().await.expect("a URL");
        if url.as_str() == format!("{base}{path}") {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}, not {path}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(browser: &Client, name: &str) {
    let dir: PathBuf = workspace_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("a screenshot folder");
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(name), png).expect("saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_signed_out_from_another_is_signed_out() {
    let base = serve_demo().await;
    let driver = Driver::start();
    let (first_profile, second_profile) = (tempfile::tempdir(), tempfile::tempdir());
    let first = driver
        .browser(first_profile.as_ref().expect("a folder"))
        .await;
    let second = driver
        .browser(second_profile.as_ref().expect("a folder"))
        .await;

    sign_in(&first, &base, "alice").await;
    screenshot(&first, "home.png").await;
    sign_in(&second, &base, "alice").await;

    first
        .goto(&format!("{base}/devices"))
        .await
        .expect("devices");
    assert_eq!(device_rows(&first).await, 2, "two devices");
    screenshot(&first, "devices-two-profiles.png").await;

    let revoke = first.find(Locator::Css("tbody form button")).await;
    revoke
        .expect("a sign-out button")
        .click()
        .await
        .expect("clicked");
    wait_for_path(&first, &base, "/devices").await;
    wait_for_rows(&first, 1).await;
    screenshot(&first, "devices-after-revoke.png").await;

    // The second profile's next request finds its session gone.
    second
        .goto(&format!("{base}/devices"))
        .await
        .expect("devices");
    wait_for_path(&second, &base, "/login").await;
    screenshot(&second, "revoked-profile.png").await;

    first.close().await.expect("closed");
    second.close().await.expect("closed");
}
