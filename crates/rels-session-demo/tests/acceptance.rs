//! The demo's behaviour, written once and run against both stores: the
//! in-memory store and a real `redis-server` (issue 4, part 4). Each test
//! drives the router in-process with browsers that keep their own cookie.

mod common;

use axum::http::StatusCode;
use common::{ALICE, Backend, Browser, CHROME_MAC, Demo, FIREFOX_LINUX, IPHONE};
use serde_json::{Value, json};

/// Runs each behaviour once per store, as `memory::<name>` and
/// `redis::<name>`.
macro_rules! acceptance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Backend::memory()).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Backend::redis().await).await;
                }
            )*
        }
    };
}

acceptance!(
    signing_in_sets_a_cookie_and_signs_the_visitor_in,
    a_form_without_the_right_token_is_refused,
    a_bad_name_is_refused_with_the_form_again,
    two_sessions_of_one_user_are_two_devices,
    revoking_the_other_device_signs_it_out,
    revoking_the_others_keeps_only_this_device,
    a_handle_that_is_not_the_users_is_not_found,
    devices_need_a_signed_in_visitor,
    signing_out_removes_the_cookie_and_the_device,
    pages_escape_what_users_type,
    the_health_check_needs_no_session,
    signing_in_as_someone_else_moves_the_device_and_renews_the_token,
);

fn alice(demo: &Demo, user_agent: &'static str, ip: &str) -> Browser {
    demo.browser(user_agent, ip)
}

/// The handle of the first device that is not the asking browser's.
fn other_handle(devices: &[Value]) -> String {
    let other = devices.iter().find(|d| d["current"] == false);
    other.expect("another device")["handle"]
        .as_str()
        .expect("a handle")
        .to_owned()
}

async fn signing_in_sets_a_cookie_and_signs_the_visitor_in(backend: Backend) {
    let demo = backend.app();
    let mut browser = alice(&demo, CHROME_MAC, "203.0.113.10");

    let me = browser.me().await;
    assert_eq!(me["signed_in"], false);
    assert_eq!(me["user"], Value::Null);
    assert_eq!(me["stage"], "anonymous");
    let before = browser
        .cookie
        .clone()
        .expect("the token is kept in a session");

    let reply = browser.sign_in("alice").await;
    assert_eq!(reply.location.as_deref(), Some("/"));
    let after = browser.cookie.clone().expect("a cookie");
    assert_ne!(after, before, "signing in moves the session to a fresh id");

    let me = browser.me().await;
    assert_eq!(me["signed_in"], true);
    assert_eq!(
        me["user"],
        json!({"name": "alice", "uuid": ALICE, "warden_id": ALICE})
    );
    assert_eq!(me["stage"], "authenticated");
    assert_eq!(me["session"]["_csrf_token"], me["csrf_token"]);
    assert_eq!(me["session"]["meta"]["public_session_id"], "[masked]");
    assert_eq!(me["session"]["meta"]["browser"], "Chrome");
    assert_eq!(me["session"]["meta"]["ip"], "203.0.113.10");
    assert_eq!(me["session"]["warden.user.user.key"][0], json!([ALICE]));
}

async fn a_form_without_the_right_token_is_refused(backend: Backend) {
    let demo = backend.app();
    let mut stranger = demo.browser(CHROME_MAC, "203.0.113.10");
    let reply = stranger.post("/login", &[("user", "alice")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "no session, no token");

    let mut browser = alice(&demo, CHROME_MAC, "203.0.113.10");
    browser.csrf().await;
    for fields in [
        &[("user", "alice")][..],
        &[("user", "alice"), ("csrf_token", "")][..],
        &[("user", "alice"), ("csrf_token", "forged")][..],
    ] {
        let reply = browser.post("/login", fields).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{fields:?}");
    }
    assert_eq!(browser.me().await["signed_in"], false);

    browser.sign_in("alice").await;
    for path in [
        "/logout",
        "/devices/revoke-others",
        "/devices/h_00000000000000000000000000000000/revoke",
    ] {
        let reply = browser.post(path, &[("csrf_token", "forged")]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        let reply = browser.post(path, &[]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(browser.me().await["signed_in"], true);
}

async fn a_bad_name_is_refused_with_the_form_again(backend: Backend) {
    let demo = backend.app();
    let mut browser = alice(&demo, CHROME_MAC, "203.0.113.10");
    let token = browser.csrf().await;

    let reply = browser
        .post("/login", &[("csrf_token", &token), ("user", "   ")])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("Type a name"), "{}", reply.body);
    assert!(reply.body.contains(r#"name="csrf_token""#));
    assert_eq!(browser.me().await["signed_in"], false);
}

async fn two_sessions_of_one_user_are_two_devices(backend: Backend) {
    let demo = backend.app();
    let mut laptop = alice(&demo, CHROME_MAC, "203.0.113.10");
    let mut phone = alice(&demo, IPHONE, "198.51.100.20");
    laptop.sign_in("alice").await;
    phone.sign_in("alice").await;

    let devices = laptop.devices().await;
    assert_eq!(devices.len(), 2, "{devices:?}");
    let current: Vec<&Value> = devices.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["browser"], "Chrome");
    assert_eq!(current[0]["os"], "Mac");
    assert_eq!(current[0]["ip"], "203.0.113.10");
    let other = devices
        .iter()
        .find(|d| d["current"] == false)
        .expect("phone");
    assert_eq!(other["os"], "iOS");
    assert_eq!(other["device_type"], "smartphone");
    assert_eq!(other["client_platform"], "mobile_web");

    let keys = [
        "handle",
        "current",
        "browser",
        "os",
        "device_name",
        "device_type",
        "ip",
        "client_platform",
        "session_key_type",
        "created_at",
        "updated_at",
        "stage",
    ];
    for device in &devices {
        let fields: Vec<&str> = device
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields.len(), keys.len(), "{device}");
        assert!(keys.iter().all(|k| fields.contains(k)), "{device}");
        assert_eq!(device["session_key_type"], "cookie");
        assert_eq!(device["stage"], "authenticated");
        for time in ["created_at", "updated_at"] {
            let text = device[time].as_str().expect("a time");
            assert!(text.ends_with('Z') && text.contains('T'), "{text}");
        }
    }
    let created: Vec<&str> = devices
        .iter()
        .map(|d| d["created_at"].as_str().expect("a time"))
        .collect();
    assert!(created[0] >= created[1], "newest first: {created:?}");

    let page = laptop.get("/devices").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("This device"));
    assert!(page.body.contains("Mobile Safari"));
}

async fn revoking_the_other_device_signs_it_out(backend: Backend) {
    let demo = backend.app();
    let mut laptop = alice(&demo, CHROME_MAC, "203.0.113.10");
    let mut phone = alice(&demo, IPHONE, "198.51.100.20");
    laptop.sign_in("alice").await;
    phone.sign_in("alice").await;

    let handle = other_handle(&laptop.devices().await);
    let token = laptop.csrf().await;
    let path = format!("/devices/{handle}/revoke");
    let reply = laptop.post(&path, &[("csrf_token", &token)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/devices"));

    let me = phone.me().await;
    assert_eq!(me["signed_in"], false, "the phone is signed out");
    assert_eq!(
        phone.get("/api/devices").await.status,
        StatusCode::UNAUTHORIZED
    );
    let devices = laptop.devices().await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["current"], true);
}

async fn revoking_the_others_keeps_only_this_device(backend: Backend) {
    let demo = backend.app();
    let mut laptop = alice(&demo, CHROME_MAC, "203.0.113.10");
    let mut phone = alice(&demo, IPHONE, "198.51.100.20");
    let mut desktop = alice(&demo, FIREFOX_LINUX, "192.0.2.30");
    for browser in [&mut laptop, &mut phone, &mut desktop] {
        browser.sign_in("alice").await;
    }
    assert_eq!(laptop.devices().await.len(), 3);

    let token = laptop.csrf().await;
    let reply = laptop
        .post("/devices/revoke-others", &[("csrf_token", &token)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);

    assert_eq!(phone.me().await["signed_in"], false);
    assert_eq!(desktop.me().await["signed_in"], false);
    assert_eq!(laptop.me().await["signed_in"], true);
    assert_eq!(laptop.devices().await.len(), 1);
}

async fn a_handle_that_is_not_the_users_is_not_found(backend: Backend) {
    let demo = backend.app();
    let mut laptop = alice(&demo, CHROME_MAC, "203.0.113.10");
    let mut bob = demo.browser(FIREFOX_LINUX, "192.0.2.30");
    laptop.sign_in("alice").await;
    bob.sign_in("bob").await;
    let bobs = bob.devices().await[0]["handle"]
        .as_str()
        .expect("a handle")
        .to_owned();

    let token = laptop.csrf().await;
    for handle in [
        bobs.as_str(),
        "h_00000000000000000000000000000000",
        "not-a-handle",
    ] {
        let path = format!("/devices/{handle}/revoke");
        let reply = laptop.post(&path, &[("csrf_token", &token)]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{handle}");
    }
    assert_eq!(bob.me().await["signed_in"], true, "bob's session stays");
}

async fn devices_need_a_signed_in_visitor(backend: Backend) {
    let demo = backend.app();
    let mut browser = demo.browser(CHROME_MAC, "203.0.113.10");

    let reply = browser.get("/api/devices").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.json()["error"].is_string());
    assert!(browser.cookie.is_none(), "looking creates no session");

    let reply = browser.get("/devices").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/login"));

    let token = browser.csrf().await;
    let reply = browser
        .post("/devices/revoke-others", &[("csrf_token", &token)])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

async fn signing_out_removes_the_cookie_and_the_device(backend: Backend) {
    let demo = backend.app();
    let mut laptop = alice(&demo, CHROME_MAC, "203.0.113.10");
    let mut phone = alice(&demo, IPHONE, "198.51.100.20");
    laptop.sign_in("alice").await;
    phone.sign_in("alice").await;

    let token = phone.csrf().await;
    let reply = phone.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(phone.cookie.is_none(), "the cookie is removed");
    assert_eq!(phone.me().await["signed_in"], false);

    let devices = laptop.devices().await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["current"], true);
}

async fn pages_escape_what_users_type(backend: Backend) {
    let demo = backend.app();
    let mut browser = demo.browser(CHROME_MAC, "203.0.113.10");
    browser.sign_in("<b>eve</b> & co").await;

    for path in ["/", "/login", "/devices"] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let html = reply.content_type.as_deref().unwrap_or_default();
        assert!(html.starts_with("text/html"), "{path}: {html}");
        assert!(!reply.body.contains("<b>eve</b>"), "{path}");
        assert!(reply.body.contains(r#"name="csrf_token""#), "{path}");
    }
    let home = browser.get("/").await;
    assert!(home.body.contains("&lt;b&gt;eve&lt;/b&gt; &amp; co"));
    assert!(home.body.contains("[masked]"));
}

async fn the_health_check_needs_no_session(backend: Backend) {
    let demo = backend.app();
    let mut browser = demo.browser(CHROME_MAC, "203.0.113.10");
    let reply = browser.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookie.is_empty());
    assert_eq!(browser.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

async fn signing_in_as_someone_else_moves_the_device_and_renews_the_token(backend: Backend) {
    let demo = backend.app();
    let mut browser = alice(&demo, CHROME_MAC, "203.0.113.10");
    let planted = browser.csrf().await;
    browser.sign_in("alice").await;
    let after_alice = browser.csrf().await;
    assert_ne!(after_alice, planted, "a sign-in replaces the CSRF token");

    browser.sign_in("bob").await;
    assert_eq!(browser.me().await["user"]["name"], "bob");
    let users = rels_session::Users::new(backend.store.clone());
    let alice_id = rels_session::UserId::parse(ALICE).expect("uuid");
    // Checked before any listing, which would prune a dead entry.
    let totals = users.totals().await.expect("totals");
    assert_eq!(totals.total_sessions, 1, "one live device, bob's");
    assert_eq!(users.live_count(&alice_id).await.expect("count"), 0);
    let left = users.list(&alice_id, None).await.expect("list");
    assert!(left.is_empty(), "alice no longer lists this browser");
}
