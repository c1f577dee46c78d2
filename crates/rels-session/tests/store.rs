//! The store against a real `redis-server` started for each test.

use std::collections::BTreeMap;

use redis::Commands;
use rels_session::{Lookup, PublicId, Record, Saved, Session, Settings, SidType, Store};
use rels_session_testkit::RedisServer;

const NS: &str = "rels:session";

fn id(text: &str) -> PublicId {
    PublicId::parse(text).expect("test id is well formed")
}

fn settings(server: &RedisServer) -> Settings {
    Settings::new(&server.url(), NS).expect("valid settings")
}

async fn store(server: &RedisServer) -> Store {
    Store::connect(&settings(server)).await.expect("connects")
}

async fn store_with(server: &RedisServer, sid_type: SidType) -> Store {
    let settings = settings(server).with_sid_type(sid_type);
    Store::connect(&settings).await.expect("connects")
}

fn record(json: &str) -> Record {
    Record::parse(json.as_bytes()).expect("valid record")
}

fn keys(server: &RedisServer) -> Vec<String> {
    let mut keys: Vec<String> = server.connection().keys("*").expect("KEYS");
    keys.sort();
    keys
}

fn calls(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter_map(|(cmd, n)| {
            let delta = n - before.get(cmd).copied().unwrap_or(0);
            (delta > 0).then(|| (cmd.clone(), delta))
        })
        .filter(|(cmd, _)| cmd != "info" && cmd != "config|resetstat")
        .collect()
}

/// Runs `f` and returns the Redis commands it sent, by name.
async fn commands_of<F, T>(server: &RedisServer, f: F) -> (T, BTreeMap<String, u64>)
where
    F: std::future::Future<Output = T>,
{
    let before = server.command_calls();
    let value = f.await;
    (value, calls(&before, &server.command_calls()))
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[tokio::test]
async fn a_saved_session_loads_back_with_the_same_record() {
    let server = RedisServer::start();
    let store = store(&server).await;

    let mut session = store.load_session(None).await.expect("load");
    session.record_mut().insert("user", &42).expect("insert");
    assert_eq!(
        store.save(&mut session).await.expect("save"),
        Saved::Created
    );

    let cookie = session.id().expose().to_owned();
    let again = store.load_session(Some(&cookie)).await.expect("load");
    assert_eq!(again.id(), session.id());
    assert!(again.is_stored());
    assert_eq!(again.record().get::<u32>("user").expect("u32"), Some(42));
}

#[tokio::test]
async fn saving_writes_both_keys_with_the_ttl_and_the_flag() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let public = id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    let mut session = Session::with_id(public, record(r#"{"a":1}"#));

    let (saved, sent) = commands_of(&server, store.save(&mut session)).await;
    assert_eq!(saved.expect("save"), Saved::Created);
    assert_eq!(sent, counts(&[("set", 3)]), "two keys and the flag");

    let mut conn = server.connection();
    let private =
        "rels:session:2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547";
    let public = "rels:session:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for key in [private, public] {
        let value: String = conn.get(key).expect("GET");
        assert_eq!(value, r#"{"a":1}"#);
        let ttl: i64 = conn.ttl(key).expect("TTL");
        assert!((1_209_590..=1_209_600).contains(&ttl), "{key}: {ttl}");
    }
    let flag_ttl: i64 = conn
        .ttl("rels:session:2:secure_store_enabled")
        .expect("TTL");
    assert!((50..=60).contains(&flag_ttl));

    // The flag is written once a minute, not on every save.
    let (_, sent) = commands_of(&server, store.save(&mut session)).await;
    assert_eq!(sent, counts(&[("set", 2)]));
}

#[tokio::test]
async fn loading_is_one_mget() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let mut session = Session::with_id(id(&"b".repeat(32)), record(r#"{"a":1}"#));
    store.save(&mut session).await.expect("save");

    let (loaded, sent) = commands_of(&server, store.load(session.id())).await;
    assert!(matches!(loaded.expect("load"), Lookup::Found(_)));
    assert_eq!(sent, counts(&[("mget", 1)]));
}

#[tokio::test]
async fn find_many_is_one_mget_over_unique_keys_in_input_order() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let ids: Vec<PublicId> = ["1", "2", "3"].iter().map(|c| id(&c.repeat(32))).collect();
    for (n, id) in ids.iter().enumerate().take(2) {
        let mut s = Session::with_id(id.clone(), record(&format!(r#"{{"n":{n}}}"#)));
        store.save(&mut s).await.expect("save");
    }
    let asked = vec![
        ids[1].clone(),
        ids[2].clone(),
        ids[0].clone(),
        ids[1].clone(),
    ];

    let (found, sent) = commands_of(&server, store.find_many(&asked)).await;
    assert_eq!(sent, counts(&[("mget", 1)]));
    let ns: Vec<Option<u32>> = found
        .expect("find")
        .into_iter()
        .map(|l| {
            l.into_record()
                .map(|r| r.get::<u32>("n").expect("n").expect("present"))
        })
        .collect();
    assert_eq!(ns, [Some(1), None, Some(0), Some(1)]);
}

#[tokio::test]
async fn delete_many_is_one_del() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let ids: Vec<PublicId> = ["4", "5"].iter().map(|c| id(&c.repeat(32))).collect();
    for id in &ids {
        let mut s = Session::with_id(id.clone(), record(r#"{"x":true}"#));
        store.save(&mut s).await.expect("save");
    }
    let (removed, sent) = commands_of(&server, store.delete_many(&ids)).await;
    assert_eq!(removed.expect("delete"), 4);
    assert_eq!(sent, counts(&[("del", 1)]));
    assert_eq!(keys(&server), ["rels:session:2:secure_store_enabled"]);
}

#[tokio::test]
async fn a_revoked_session_is_not_brought_back_by_a_late_save() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let mut session = Session::with_id(id(&"c".repeat(32)), record(r#"{"a":1}"#));
    store.save(&mut session).await.expect("save");
    let mut loaded = store
        .load_session(Some(session.id().expose()))
        .await
        .expect("load");

    assert!(store.delete(session.id()).await.expect("delete"));
    loaded.record_mut().insert("a", &2).expect("insert");
    assert_eq!(store.save(&mut loaded).await.expect("save"), Saved::Gone);
    assert!(!loaded.is_stored());
    assert_eq!(keys(&server), ["rels:session:2:secure_store_enabled"]);
}

#[tokio::test]
async fn an_untouched_visitor_leaves_no_key() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let mut session = store.load_session(None).await.expect("load");
    assert_eq!(
        store.save(&mut session).await.expect("save"),
        Saved::Skipped
    );
    assert!(keys(&server).is_empty());
}

#[tokio::test]
async fn saving_an_emptied_session_deletes_it() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let mut session = Session::with_id(id(&"d".repeat(32)), record(r#"{"a":1}"#));
    store.save(&mut session).await.expect("save");
    session.record_mut().clear();
    assert_eq!(
        store.save(&mut session).await.expect("save"),
        Saved::Deleted
    );
    assert_eq!(keys(&server), ["rels:session:2:secure_store_enabled"]);
}

#[tokio::test]
async fn a_cookie_that_is_not_a_public_id_never_reaches_redis() {
    let server = RedisServer::start();
    let store = store(&server).await;
    // A Rails app would read someone's session for a private-id cookie.
    let mut conn = server.connection();
    let private = "2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547";
    let _: () = conn
        .set(format!("{NS}:{private}"), r#"{"user":1}"#)
        .expect("SET");

    let long = "a".repeat(100_000);
    let bad = [
        private,
        "*",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
        long.as_str(),
        "a\r\nFLUSHALL",
    ];
    for cookie in bad {
        let (session, sent) = commands_of(&server, store.load_session(Some(cookie))).await;
        let session = session.expect("load");
        assert!(session.record().is_empty());
        assert!(!session.is_stored());
        assert!(sent.is_empty(), "sent {sent:?}");
    }
}

#[tokio::test]
async fn an_unreadable_payload_gives_a_new_session_and_stays_in_place() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let public = id(&"e".repeat(32));
    let private_key = format!("{NS}:{}", public.private_id().expose());
    let _: () = server
        .connection()
        .set(&private_key, "{not json")
        .expect("SET");

    assert!(matches!(
        store.load(&public).await.expect("load"),
        Lookup::Unreadable(_)
    ));
    let session = store
        .load_session(Some(public.expose()))
        .await
        .expect("load");
    assert_ne!(session.id(), &public);
    assert!(!session.is_stored());
    let kept: String = server.connection().get(&private_key).expect("GET");
    assert_eq!(kept, "{not json");
}

#[tokio::test]
async fn peek_returns_the_stored_text() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let text = r#"{"big":123456789012345678901234567890,"f":1.5e-07,"s":"日本語/ok"}"#;
    let mut session = Session::with_id(id(&"f".repeat(32)), record(text));
    store.save(&mut session).await.expect("save");
    assert_eq!(
        store.peek(session.id()).await.expect("peek").as_deref(),
        Some(text)
    );
    assert_eq!(store.peek(&id(&"0".repeat(32))).await.expect("peek"), None);
}

#[tokio::test]
async fn the_flag_decides_which_key_is_read_first() {
    let server = RedisServer::start();
    let public = id(&"a".repeat(32));
    let mut conn = server.connection();
    let private_key = format!("{NS}:{}", public.private_id().expose());
    let public_key = format!("{NS}:{}", public.expose());
    let _: () = conn
        .set(&private_key, r#"{"from":"private"}"#)
        .expect("SET");
    let _: () = conn.set(&public_key, r#"{"from":"public"}"#).expect("SET");

    let from = |lookup: Lookup| -> String {
        lookup
            .into_record()
            .and_then(|r| r.get("from").expect("string"))
            .expect("found")
    };
    let without_flag = store(&server).await.load(&public).await.expect("load");
    assert_eq!(from(without_flag), "public");

    let _: () = conn
        .set(format!("{NS}:2:secure_store_enabled"), "1")
        .expect("SET");
    let with_flag = store(&server).await.load(&public).await.expect("load");
    assert_eq!(from(with_flag), "private");
}

#[tokio::test]
async fn sid_type_chooses_the_keys_a_session_lives_under() {
    let cases = [
        (SidType::PrivateId, vec!["rels:session:2::"]),
        (
            SidType::PublicId,
            vec!["rels:session:2:secure_store_enabled", "rels:session:aaaa"],
        ),
    ];
    for (sid_type, prefixes) in cases {
        let server = RedisServer::start();
        let store = store_with(&server, sid_type).await;
        let mut session = Session::with_id(id(&"a".repeat(32)), record(r#"{"a":1}"#));
        store.save(&mut session).await.expect("save");

        let stored = keys(&server);
        assert_eq!(stored.len(), prefixes.len(), "{sid_type:?}: {stored:?}");
        for (key, prefix) in stored.iter().zip(&prefixes) {
            assert!(key.starts_with(prefix), "{sid_type:?}: {key}");
        }
        let loaded = store.load(session.id()).await.expect("load");
        assert!(matches!(loaded, Lookup::Found(_)), "{sid_type:?}");
        assert_eq!(store.list().await.expect("list").len(), 1, "{sid_type:?}");
    }
}

#[tokio::test]
async fn touch_resets_the_ttl_of_an_existing_session_only() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let mut session = Session::with_id(id(&"7".repeat(32)), record(r#"{"a":1}"#));
    store.save(&mut session).await.expect("save");
    let key = format!("{NS}:{}", session.id().expose());
    let _: () = server.connection().expire(&key, 100).expect("EXPIRE");

    assert!(store.touch(session.id()).await.expect("touch"));
    let ttl: i64 = server.connection().ttl(&key).expect("TTL");
    assert!(ttl > 1_209_000);
    assert!(!store.touch(&id(&"8".repeat(32))).await.expect("touch"));
    assert!(!keys(&server).iter().any(|k| k.contains("8888")));
}
