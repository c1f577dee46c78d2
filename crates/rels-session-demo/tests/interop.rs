//! The demo and a Rails app on the same Redis (issue 4, part 8). The Ruby
//! script plays the Rails app: it signs a user in through Devise and the
//! `rels_session` gem, and reads what the demo wrote.

mod common;

use common::{ALICE, Backend, CHROME_MAC, NS, connect};
use rels_session_testkit::{RedisServer, ruby_gem};
use serde_json::{Value, json};

/// The uuid the Rails app's user index uses in these tests.
const RAILS_USER: &str = "11111111-2222-4333-8444-555555555555";

/// Signs a user in as a Rails app with Devise and the gem does, and
/// returns the session's public id (the cookie's value).
fn rails_sign_in(server: &RedisServer) -> String {
    let id = ruby_gem(&["new-id"]).trim_end().to_owned();
    let meta = json!({
        "ip": "203.0.113.7", "browser": "Chrome", "os": "Mac",
        "device_type": "desktop", "client_platform": "web",
        "created_at": "2025-01-01 12:00:00 UTC",
    });
    ruby_gem(&[
        "sign-in",
        "--url",
        &server.url(),
        "--namespace",
        NS,
        "--id",
        &id,
        "--user",
        RAILS_USER,
        "--meta",
        &meta.to_string(),
        "--json",
        r#"{"_csrf_token":"RAILS-TOKEN"}"#,
    ]);
    id
}

fn ruby_read(server: &RedisServer, id: &str) -> Value {
    let url = server.url();
    let out = ruby_gem(&["read", "--url", &url, "--namespace", NS, "--id", id]);
    serde_json::from_str(&out).expect("the script prints JSON")
}

#[tokio::test]
async fn a_rails_sign_in_is_recognised_by_the_demo() {
    let server = RedisServer::start();
    let id = rails_sign_in(&server);
    let backend = Backend {
        store: connect(&server).await,
        server: None,
    };
    let demo = backend.app();
    let mut browser = demo.browser(CHROME_MAC, "203.0.113.7");
    browser.cookie = Some(id.clone());

    let me = browser.me().await;
    assert_eq!(me["signed_in"], true);
    assert_eq!(
        me["user"],
        json!({"name": null, "uuid": null, "warden_id": 1})
    );
    assert_eq!(me["stage"], "authenticated");
    assert_eq!(me["csrf_token"], "RAILS-TOKEN", "the Rails app's token");
    assert_eq!(me["session"]["meta"]["public_session_id"], "[masked]");
    assert_eq!(browser.cookie.as_deref(), Some(id.as_str()), "same cookie");

    let devices = browser.devices().await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["current"], true);
    assert_eq!(devices[0]["browser"], "Chrome");
    assert_eq!(devices[0]["created_at"], "2025-01-01T12:00:00Z");

    for path in ["/", "/devices"] {
        let page = browser.get(path).await;
        assert!(!page.body.contains(&id), "{path}");
        assert!(page.body.contains("Rails user 1"), "{path}");
    }
}

#[tokio::test]
async fn a_demo_sign_in_is_read_by_the_rails_app() {
    let server = RedisServer::start();
    let backend = Backend {
        store: connect(&server).await,
        server: None,
    };
    let demo = backend.app();
    let mut browser = demo.browser(CHROME_MAC, "203.0.113.10");
    browser.sign_in("alice").await;
    let id = browser.cookie.clone().expect("a cookie");

    let session = ruby_read(&server, &id);
    assert_eq!(
        session["warden.user.user.key"],
        json!([[ALICE], "rels-session-demo"])
    );
    assert_eq!(
        session["demo_user"],
        json!({"name": "alice", "uuid": ALICE})
    );
    let meta = &session["meta"];
    assert_eq!(meta["public_session_id"], id.as_str());
    assert_eq!(meta["ip"], "203.0.113.10");
    assert_eq!(meta["browser"], "Chrome");
    assert!(
        meta["updated_at"]
            .as_str()
            .expect("a time")
            .ends_with(" UTC")
    );

    let url = server.url();
    let listed = ruby_gem(&[
        "sessions",
        "--url",
        &url,
        "--namespace",
        NS,
        "--user",
        ALICE,
    ]);
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["public_session_id"], id.as_str());
}

#[tokio::test]
async fn a_rails_app_signing_someone_else_in_wins() {
    let server = RedisServer::start();
    let backend = Backend {
        store: connect(&server).await,
        server: None,
    };
    let demo = backend.app();
    let mut browser = demo.browser(CHROME_MAC, "203.0.113.10");
    browser.sign_in("alice").await;
    let id = browser.cookie.clone().expect("a cookie");

    // The Rails app signs user 1 in on the same session, keeping the rest.
    let mut session = ruby_read(&server, &id);
    session["warden.user.user.key"] = json!([[1], "salt"]);
    let url = server.url();
    let json = session.to_string();
    ruby_gem(&[
        "write",
        "--url",
        &url,
        "--namespace",
        NS,
        "--id",
        &id,
        "--json",
        &json,
    ]);

    let me = browser.me().await;
    assert_eq!(
        me["user"],
        json!({"name": null, "uuid": null, "warden_id": 1})
    );
}
