//! Per-user sessions against a real `redis-server`.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::time::Duration;

use futures_util::TryStreamExt;
use redis::Commands;
use rels_session::{
    Handle, Meta, PublicId, Record, Session, SessionKeyType, SignIn, SignInRequest, Stage, Store,
    UserId, Users,
};
use rels_session_testkit::{RedisServer, read_fixture};

const NS: &str = "rels:session";
const ALICE: &str = "11111111-2222-4333-8444-555555555555";
const BOB: &str = "66666666-7777-4888-9999-000000000000";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn user(text: &str) -> UserId {
    UserId::parse(text).expect("valid uuid")
}

async fn users(server: &RedisServer) -> Users {
    let settings = rels_session::Settings::new(&server.url(), NS).expect("valid settings");
    Users::new(Store::connect(&settings).await.expect("connects"))
}

fn request(user_agent: &str) -> SignInRequest {
    SignInRequest::new()
        .with_user_agent(user_agent)
        .with_peer("10.0.0.2".parse().expect("ip"))
        .with_header("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
}

/// Signs `user` in on a new session and returns it.
async fn sign_in(users: &Users, user: &UserId, user_agent: &str) -> Session {
    let mut session = users.store().load_session(None).await.expect("load");
    session
        .record_mut()
        .insert("warden.user.user.key", &serde_json::json!([[1], "salt"]))
        .expect("insert");
    users
        .sign_in(&mut session, user, &request(user_agent), &SignIn::new())
        .await
        .expect("sign in");
    session
}

fn commands(server: &RedisServer) -> BTreeMap<String, u64> {
    server.command_calls()
}

/// The requests sent between two readings of `INFO commandstats`.
/// Redis also counts the commands a script runs; those ride in the
/// script's one request, so they are left out once an `EVAL` was sent.
fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> u64 {
    let scripted = after.get("eval") != before.get("eval");
    let inside_script = ["sadd", "srem", "expire", "incrby", "decrby", "set"];
    after
        .iter()
        .filter(|(cmd, _)| !cmd.starts_with("info") && !cmd.starts_with("config"))
        .filter(|(cmd, _)| !(scripted && inside_script.contains(&cmd.as_str())))
        .map(|(cmd, n)| n - before.get(cmd).copied().unwrap_or(0))
        .sum()
}

fn members(server: &RedisServer, user: &str) -> Vec<String> {
    let mut members: Vec<String> = server
        .connection()
        .smembers(format!("{NS}:user_sessions:{user}"))
        .expect("SMEMBERS");
    members.sort();
    members
}

#[tokio::test]
async fn a_sign_in_records_metadata_and_joins_the_index() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let session = sign_in(&users, &alice, IPHONE).await;

    let record = users
        .store()
        .load(session.id())
        .await
        .expect("load")
        .into_record();
    let meta = Meta::from_record(&record.expect("stored")).expect("has meta");
    assert!(meta.problems.is_empty(), "{:?}", meta.problems);
    let meta = meta.meta;
    assert_eq!(
        meta.ip.as_deref(),
        Some("203.0.113.7"),
        "nearest untrusted hop"
    );
    assert_eq!(meta.browser.as_deref(), Some("Mobile Safari"));
    assert_eq!(meta.os.as_deref(), Some("iOS"));
    assert_eq!(meta.device_type.as_deref(), Some("smartphone"));
    assert_eq!(meta.client_platform.as_deref(), Some("mobile_web"));
    assert_eq!(meta.public_session_id.as_ref(), Some(session.id()));
    assert_eq!(meta.session_key_type, SessionKeyType::Cookie);
    assert!(meta.updated_at.is_some());

    assert_eq!(members(&server, ALICE), [session.id().expose()]);
    let totals = users.totals().await.expect("totals");
    assert_eq!(totals.total_sessions, 1);
    assert!(totals.last_updated_at.is_some());
}

#[tokio::test]
async fn signing_in_a_stored_session_moves_it_to_a_fresh_id() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let store = users.store().clone();
    let mut session = store.load_session(None).await.expect("load");
    session.record_mut().insert("cart", &3).expect("insert");
    store.save(&mut session).await.expect("save");
    let before = session.id().clone();

    users
        .sign_in(
            &mut session,
            &user(ALICE),
            &request(DESKTOP),
            &SignIn::new(),
        )
        .await
        .expect("sign in");
    assert_ne!(session.id(), &before);
    assert!(
        store
            .load(&before)
            .await
            .expect("load")
            .into_record()
            .is_none()
    );
    let moved = store.load(session.id()).await.expect("load").into_record();
    assert_eq!(
        moved.expect("stored").get::<u32>("cart").expect("u32"),
        Some(3)
    );
}

#[tokio::test]
async fn listing_costs_two_round_trips_and_marks_the_current_session() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let first = sign_in(&users, &alice, DESKTOP).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = sign_in(&users, &alice, IPHONE).await;
    for _ in 0..20 {
        sign_in(&users, &user(BOB), DESKTOP).await;
    }

    let before = commands(&server);
    let listed = users.list(&alice, Some(first.id())).await.expect("list");
    assert_eq!(delta(&before, &commands(&server)), 2, "SMEMBERS and MGET");

    let handles: Vec<&Handle> = listed.iter().map(|s| &s.handle).collect();
    let expected = [
        second.id().private_id().handle(),
        first.id().private_id().handle(),
    ];
    assert_eq!(handles, expected.iter().collect::<Vec<_>>(), "newest first");
    assert_eq!(
        listed.iter().map(|s| s.current).collect::<Vec<_>>(),
        [false, true]
    );
    assert!(listed.iter().all(|s| s.stage == Stage::Authenticated));
}

#[tokio::test]
async fn listing_prunes_members_whose_session_is_gone() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let kept = sign_in(&users, &alice, DESKTOP).await;
    let expired = sign_in(&users, &alice, IPHONE).await;
    users.store().delete(expired.id()).await.expect("delete");
    assert_eq!(users.totals().await.expect("totals").total_sessions, 2);

    let before = commands(&server);
    let listed = users.list(&alice, None).await.expect("list");
    assert_eq!(
        delta(&before, &commands(&server)),
        3,
        "a third trip to prune"
    );
    assert_eq!(listed.len(), 1);
    assert_eq!(members(&server, ALICE), [kept.id().expose()]);
    assert_eq!(users.totals().await.expect("totals").total_sessions, 1);

    // Nothing left to prune: back to two round trips.
    let before = commands(&server);
    users.list(&alice, None).await.expect("list");
    assert_eq!(delta(&before, &commands(&server)), 2);
}

#[tokio::test]
async fn a_revoke_only_touches_the_users_own_sessions() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let (alice, bob) = (user(ALICE), user(BOB));
    let mine = sign_in(&users, &alice, DESKTOP).await;
    let theirs = sign_in(&users, &bob, DESKTOP).await;

    let handles = [
        mine.id().private_id().handle(),
        theirs.id().private_id().handle(),
    ];
    let revoked = users.revoke(&alice, &handles).await.expect("revoke");
    assert_eq!(revoked.revoked, [handles[0].clone()]);
    assert_eq!(revoked.not_found, [handles[1].clone()]);

    assert!(
        users
            .store()
            .load(mine.id())
            .await
            .expect("load")
            .into_record()
            .is_none()
    );
    assert!(
        users
            .store()
            .load(theirs.id())
            .await
            .expect("load")
            .into_record()
            .is_some()
    );
    assert!(!users.revoke_id(&alice, theirs.id()).await.expect("revoke"));
    assert!(
        users
            .store()
            .load(theirs.id())
            .await
            .expect("load")
            .into_record()
            .is_some()
    );
    assert_eq!(users.totals().await.expect("totals").total_sessions, 1);
}

#[tokio::test]
async fn revoking_others_keeps_the_current_session() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let current = sign_in(&users, &alice, DESKTOP).await;
    for _ in 0..3 {
        sign_in(&users, &alice, IPHONE).await;
    }
    let revoked = users
        .revoke_others(&alice, current.id())
        .await
        .expect("revoke");
    assert_eq!(revoked.revoked.len(), 3);
    assert_eq!(members(&server, ALICE), [current.id().expose()]);
    assert_eq!(users.totals().await.expect("totals").total_sessions, 1);
}

#[tokio::test]
async fn revoking_all_of_a_thousand_sessions_takes_three_round_trips() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    // Write a thousand signed-in sessions the way the gem does, quickly.
    let mut pipe = redis::pipe();
    for _ in 0..1000 {
        let id = PublicId::generate().expect("random");
        let payload = format!(r#"{{"meta":{{"public_session_id":"{}"}}}}"#, id.expose());
        pipe.set(format!("{NS}:{}", id.private_id().expose()), &payload)
            .ignore();
        pipe.set(format!("{NS}:{}", id.expose()), &payload).ignore();
        pipe.sadd(format!("{NS}:user_sessions:{ALICE}"), id.expose())
            .ignore();
    }
    pipe.set(format!("{NS}:stats:total_sessions"), 1000)
        .ignore();
    let _: () = pipe.query(&mut server.connection()).expect("pipeline");

    let before = commands(&server);
    let revoked = users.revoke_all(&alice).await.expect("revoke");
    assert_eq!(delta(&before, &commands(&server)), 3, "SMEMBERS, DEL, EVAL");
    assert_eq!(revoked.revoked.len(), 1000);
    let left: u64 = redis::cmd("DBSIZE")
        .query(&mut server.connection())
        .expect("DBSIZE");
    assert_eq!(left, 2, "only the counter keys remain");
    assert_eq!(users.totals().await.expect("totals").total_sessions, 0);
}

#[tokio::test]
async fn moving_a_session_keeps_its_data_index_and_ttl() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let mut session = sign_in(&users, &alice, DESKTOP).await;
    let old = session.id().clone();

    assert!(
        users
            .move_session(&mut session, &alice)
            .await
            .expect("move")
    );
    assert_ne!(session.id(), &old);
    assert_eq!(members(&server, ALICE), [session.id().expose()]);
    assert!(
        users
            .store()
            .load(&old)
            .await
            .expect("load")
            .into_record()
            .is_none()
    );
    let record = users
        .store()
        .load(session.id())
        .await
        .expect("load")
        .into_record();
    let meta = Meta::from_record(&record.expect("stored"))
        .expect("meta")
        .meta;
    assert_eq!(meta.public_session_id.as_ref(), Some(session.id()));
    assert_eq!(users.totals().await.expect("totals").total_sessions, 1);
}

#[tokio::test]
async fn activity_is_written_at_most_once_per_interval() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let mut session = sign_in(&users, &alice, DESKTOP).await;

    let before = commands(&server);
    assert!(!users.touch(&mut session, &alice).await.expect("touch"));
    assert_eq!(
        delta(&before, &commands(&server)),
        0,
        "free within the interval"
    );

    let index = format!("{NS}:user_sessions:{ALICE}");
    let _: () = server.connection().expire(&index, 5).expect("EXPIRE");
    let eager = users.clone().with_activity_interval(Duration::ZERO);
    assert!(eager.touch(&mut session, &alice).await.expect("touch"));
    let ttl: i64 = server.connection().ttl(&index).expect("TTL");
    assert!(ttl > 1_209_000, "index TTL reset: {ttl}");
}

#[tokio::test]
async fn the_cap_revokes_the_sessions_seen_least_recently() {
    let server = RedisServer::start();
    let users = users(&server)
        .await
        .with_max_sessions(NonZeroUsize::new(2).expect("2"));
    let alice = user(ALICE);
    let oldest = sign_in(&users, &alice, DESKTOP).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let middle = sign_in(&users, &alice, DESKTOP).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let newest = sign_in(&users, &alice, IPHONE).await;

    let mut expected = vec![
        middle.id().expose().to_owned(),
        newest.id().expose().to_owned(),
    ];
    expected.sort();
    assert_eq!(members(&server, ALICE), expected);
    assert!(
        users
            .store()
            .load(oldest.id())
            .await
            .expect("load")
            .into_record()
            .is_none()
    );
}

#[tokio::test]
async fn reconcile_counts_live_memberships() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let (alice, bob) = (user(ALICE), user(BOB));
    sign_in(&users, &alice, DESKTOP).await;
    let gone = sign_in(&users, &alice, DESKTOP).await;
    sign_in(&users, &bob, DESKTOP).await;
    users.store().delete(gone.id()).await.expect("delete");
    let _: () = server
        .connection()
        .set(format!("{NS}:stats:total_sessions"), -7)
        .expect("SET");
    assert_eq!(
        users.totals().await.expect("totals").total_sessions,
        0,
        "clamped"
    );

    let totals = users.reconcile().await.expect("reconcile");
    assert_eq!(totals.total_sessions, 2);
    assert_eq!(users.totals().await.expect("totals").total_sessions, 2);
}

#[tokio::test]
async fn the_gems_users_are_listed_and_revoked_from_rust() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let users = users(&server).await;
    let alice = user(ALICE);

    let listed = users.list(&alice, None).await.expect("list");
    let mut browsers: Vec<_> = listed.iter().map(|s| s.meta.browser.clone()).collect();
    browsers.sort();
    assert_eq!(
        browsers,
        [Some("Chrome".to_owned()), Some("Rex".to_owned())]
    );
    let token = listed
        .iter()
        .find(|s| s.meta.session_key_type == SessionKeyType::Token);
    assert_eq!(token.map(|s| s.stage), Some(Stage::InCourse));

    let revoked = users.revoke_all(&alice).await.expect("revoke");
    assert_eq!(revoked.revoked.len(), 2);
    assert_eq!(
        users.totals().await.expect("totals").total_sessions,
        2,
        "4 - 2"
    );
    let gem_public_key: Option<String> = server
        .connection()
        .get(format!("{NS}:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"))
        .expect("GET");
    assert_eq!(gem_public_key, None, "both keys deleted");
}

#[tokio::test]
async fn streaming_by_stage_uses_one_mget_per_batch() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let store = users(&server).await.store().clone();

    let mut counts = BTreeMap::new();
    for stage in [Stage::Anonymous, Stage::Authenticated, Stage::InCourse] {
        let batch = NonZeroUsize::new(2).expect("2");
        let found: Vec<Vec<_>> = store
            .stream(Some(stage), batch)
            .try_collect()
            .await
            .expect("stream");
        assert!(found.iter().all(|b| b.len() <= 2));
        counts.insert(stage.as_str(), found.iter().map(Vec::len).sum::<usize>());
    }
    let expected = BTreeMap::from([("anonymous", 1), ("authenticated", 2), ("in_course", 2)]);
    assert_eq!(counts, expected);

    server.reset_stats();
    let batch = NonZeroUsize::new(2).expect("2");
    let all: Vec<Vec<_>> = store
        .stream(None, batch)
        .try_collect()
        .await
        .expect("stream");
    let mgets = server.command_calls().get("mget").copied().unwrap_or(0);
    assert_eq!(all.iter().map(Vec::len).sum::<usize>(), 5);
    assert!(
        mgets >= 3 && mgets <= u64::try_from(all.len()).expect("small") + 2,
        "{mgets}"
    );
}

#[tokio::test]
async fn a_record_without_meta_is_not_listed_but_not_pruned() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let id = PublicId::generate().expect("random");
    let record = Record::parse(br#"{"warden.user.user.key":[[1],"s"]}"#).expect("valid");
    users
        .store()
        .save(&mut Session::with_id(id.clone(), record))
        .await
        .expect("save");
    let _: () = server
        .connection()
        .sadd(format!("{NS}:user_sessions:{ALICE}"), id.expose())
        .expect("SADD");

    assert!(
        users
            .list(&user(ALICE), None)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(members(&server, ALICE), [id.expose()]);
}

#[tokio::test]
async fn sign_ins_recorded_in_ruby_are_listed_and_revoked_from_rust() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let url = server.url();
    let alice = user(ALICE);
    let meta = r#"{"ip":"198.51.100.99","browser":"Rex","os":"iOS","device_type":"smartphone","client_platform":"ios_app","session_key_type":"token","installation_id":"install-123"}"#;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = rels_session_testkit::ruby_gem(&["new-id"])
            .trim()
            .to_owned();
        let args = [
            "sign-in",
            "--url",
            &url,
            "--namespace",
            NS,
            "--id",
            &id,
            "--user",
            ALICE,
            "--meta",
            meta,
        ];
        rels_session_testkit::ruby_gem(&args);
        ids.push(PublicId::parse(&id).expect("public id"));
    }

    let listed = users.list(&alice, Some(&ids[0])).await.expect("list");
    assert_eq!(listed.len(), 2);
    for entry in &listed {
        assert_eq!(entry.meta.browser.as_deref(), Some("Rex"));
        assert_eq!(entry.meta.session_key_type, SessionKeyType::Token);
        assert_eq!(entry.meta.installation_id.as_deref(), Some("install-123"));
        assert!(entry.meta.updated_at.is_some());
    }
    assert_eq!(users.totals().await.expect("totals").total_sessions, 2);

    let handle = ids[1].private_id().handle();
    let revoked = users.revoke(&alice, &[handle]).await.expect("revoke");
    assert_eq!(revoked.revoked.len(), 1);
    let left = rels_session_testkit::ruby_gem(&[
        "sessions",
        "--url",
        &url,
        "--namespace",
        NS,
        "--user",
        ALICE,
    ]);
    let left: serde_json::Value = serde_json::from_str(&left).expect("json");
    assert_eq!(left.as_array().map(Vec::len), Some(1));
    assert_eq!(left[0]["public_session_id"], ids[0].expose());
}

#[tokio::test]
async fn sign_ins_recorded_in_rust_read_the_same_in_ruby() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let alice = user(ALICE);
    let session = sign_in(&users, &alice, IPHONE).await;

    let args = [
        "sessions",
        "--url",
        &server.url(),
        "--namespace",
        NS,
        "--user",
        ALICE,
    ];
    let listed: serde_json::Value =
        serde_json::from_str(&rels_session_testkit::ruby_gem(&args)).expect("json");
    let meta = &listed[0];
    let ours = users.list(&alice, None).await.expect("list");
    let ours = &ours[0].meta;
    assert_eq!(meta["public_session_id"], session.id().expose());
    assert_eq!(meta["ip"], "203.0.113.7");
    assert_eq!(meta["browser"].as_str(), ours.browser.as_deref());
    assert_eq!(meta["os"].as_str(), ours.os.as_deref());
    assert_eq!(meta["device_type"].as_str(), ours.device_type.as_deref());
    assert_eq!(meta["client_platform"], "mobile_web");
    assert_eq!(meta["session_key_type"], "cookie");
    let written = meta["updated_at"].as_str().expect("a time string");
    assert!(
        written.ends_with(" UTC") && written.len() == 23,
        "{written}"
    );
    let keys: Vec<&String> = meta.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 13);
}

#[tokio::test]
async fn an_app_sign_in_records_the_mobile_headers_and_course() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let mut session = users.store().load_session(None).await.expect("load");
    session
        .record_mut()
        .insert("course_uuid", "c0ffee00-0000-4000-8000-000000000001")
        .expect("insert");
    let request = SignInRequest::new()
        .with_user_agent("Rex/3.2.1 CFNetwork/1410.0.3 Darwin/22.6.0")
        .with_peer("198.51.100.99".parse().expect("ip"))
        .with_header("AppVersion", "3.2.1")
        .with_header("X-DEVICE", "iPhone 15")
        .with_header("X-INSTALLATION-ID", "install-123");
    let options = SignIn::new().with_session_key_type(SessionKeyType::Token);
    users
        .sign_in(&mut session, &user(ALICE), &request, &options)
        .await
        .expect("sign in");

    let record = users
        .store()
        .load(session.id())
        .await
        .expect("load")
        .into_record();
    let record = record.expect("stored");
    let meta = Meta::from_record(&record).expect("meta").meta;
    assert_eq!(meta.ip.as_deref(), Some("198.51.100.99"));
    assert_eq!(meta.app_version.as_deref(), Some("3.2.1"));
    assert_eq!(
        meta.device_name.as_deref(),
        Some("iPhone 15"),
        "X-DEVICE wins"
    );
    assert_eq!(meta.installation_id.as_deref(), Some("install-123"));
    assert_eq!(meta.client_platform.as_deref(), Some("ios_app"));
    assert_eq!(meta.session_key_type, SessionKeyType::Token);
    assert_eq!(
        meta.course_id.as_deref(),
        Some("c0ffee00-0000-4000-8000-000000000001"),
        "course_uuid as fallback"
    );
    let course: Option<String> = record.get("course_id").expect("string");
    assert_eq!(
        course.as_deref(),
        Some("c0ffee00-0000-4000-8000-000000000001")
    );
    assert_eq!(
        Stage::of(&record),
        Stage::Anonymous,
        "no Warden key was set"
    );

    // A course named by the header wins, and is written as text.
    let mut other = users.store().load_session(None).await.expect("load");
    other.record_mut().insert("course_id", &42).expect("insert");
    let request = SignInRequest::new().with_header("X-Course-Id", "77");
    users
        .sign_in(&mut other, &user(ALICE), &request, &SignIn::new())
        .await
        .expect("sign in");
    let meta = Meta::from_record(other.record()).expect("meta").meta;
    assert_eq!(meta.course_id.as_deref(), Some("77"));
    assert_eq!(
        other
            .record()
            .get::<String>("course_id")
            .expect("text")
            .as_deref(),
        Some("77")
    );
    assert_eq!(meta.client_platform.as_deref(), Some("web"));
}

#[tokio::test]
async fn a_corrupt_counter_does_not_fail_a_sign_in() {
    let server = RedisServer::start();
    let users = users(&server).await;
    let _: () = server
        .connection()
        .set(format!("{NS}:stats:total_sessions"), "abc")
        .expect("SET");
    let session = sign_in(&users, &user(ALICE), DESKTOP).await;
    assert_eq!(members(&server, ALICE), [session.id().expose()]);

    let totals = users.reconcile().await.expect("reconcile");
    assert_eq!(totals.total_sessions, 1, "reconcile repairs the counter");
}
