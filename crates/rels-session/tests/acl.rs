//! The store as a Redis ACL user limited to the namespace's keys and the
//! commands the store sends: the rules the README documents, on a single
//! server, a Cluster and behind Sentinel.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use rels_session::{
    Error, Lookup, PublicId, Record, Saved, Session, Settings, SignIn, SignInRequest, Store,
    UserId, Users,
};
use rels_session_testkit::{RedisCluster, RedisServer, SentinelGroup, acl_user};

const NS: &str = "rels:session";

/// The rules of the README's `ACL SETUSER` line, for any topology.
const RULES: &str = "resetchannels ~rels:session:* -@all +mget +set +del +expire +pttl \
                     +scan +smembers +sadd +srem +incrby +decrby +eval";

/// Added to [`RULES`] for a database other than 0.
const DB_RULES: &str = "+select";

/// Added to [`RULES`] behind Sentinel: the client checks the master's role,
/// and writes wait for a replica.
const SENTINEL_RULES: &str = "+role +wait";

/// Added to [`RULES`] on a Cluster: the client reads the slot map, and the
/// user index is updated in a transaction.
const CLUSTER_RULES: &str = "+ping +cluster|slots +multi +exec";

fn rules(extra: &str) -> String {
    format!("{RULES} {extra}")
}

#[test]
fn the_readme_documents_these_rules() {
    let readme = std::fs::read_to_string(rels_session_testkit::workspace_root().join("README.md"))
        .expect("README.md");
    let line = format!("ACL SETUSER rels on >PASSWORD {RULES}");
    assert!(readme.contains(&line), "README lacks: {line}");
    for extra in [DB_RULES, SENTINEL_RULES, CLUSTER_RULES] {
        assert!(
            readme.contains(&format!("`{extra}`")),
            "README lacks: {extra}"
        );
    }
}

/// Every kind of request the store and the user index send.
async fn exercise(store: &Store) {
    let users = Users::new(store.clone());
    let alice = UserId::parse("11111111-2222-4333-8444-555555555555").expect("uuid");

    let id = PublicId::generate().expect("random");
    let record = Record::parse(br#"{"a":1}"#).expect("valid");
    let mut session = Session::with_id(id.clone(), record);
    assert_eq!(
        store.save(&mut session).await.expect("save"),
        Saved::Created
    );
    assert!(matches!(
        store.load(&id).await.expect("load"),
        Lookup::Found(_)
    ));
    assert!(store.touch(&id).await.expect("touch"));

    let mut signed_in = store.load_session(None).await.expect("load");
    signed_in
        .record_mut()
        .insert("warden.user.user.key", &serde_json::json!([[1], "salt"]))
        .expect("insert");
    let request = SignInRequest::new().with_user_agent("Mozilla/5.0");
    users
        .sign_in(&mut signed_in, &alice, &request, &SignIn::new())
        .await
        .expect("sign in");
    assert_eq!(users.list(&alice, None).await.expect("list").len(), 1);

    let refs = store.list().await.expect("list");
    assert_eq!(refs.len(), 2);
    assert!(
        store
            .ttls(&refs)
            .await
            .expect("ttls")
            .iter()
            .all(Option::is_some)
    );
    let batch = NonZeroUsize::new(10).expect("positive");
    let streamed: Vec<_> = store
        .stream(None, batch)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed.concat().len(), 2);
    assert_eq!(
        users.reconcile().await.expect("reconcile").total_sessions,
        1
    );

    let revoked = users.revoke_all(&alice).await.expect("revoke_all");
    assert_eq!(revoked.revoked.len(), 1);
    assert_eq!(store.delete_many(&[id]).await.expect("delete_many"), 2);
    assert_eq!(users.totals().await.expect("totals").total_sessions, 0);
}

#[tokio::test]
async fn the_store_works_as_a_user_limited_to_its_namespace_and_commands() {
    let server = RedisServer::start();
    acl_user(&mut server.connection(), "rels", "s3cret", &rules(DB_RULES));
    // User and password come from the settings file's URL.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("settings.yml");
    let url = format!("redis://rels:s3cret@127.0.0.1:{}/3", server.port());
    let yaml = format!("session_store:\n  redis_options:\n    url: {url}\n    namespace: {NS}\n");
    std::fs::write(&path, yaml).expect("write settings");
    let settings = Settings::load(&path).expect("valid settings");
    let store = Store::connect(&settings).await.expect("connects as rels");

    exercise(&store).await;

    // Redis 7.2 and later log the client's `CLIENT SETINFO` at connect,
    // whose answer the client ignores; nothing else may be denied.
    let log: Vec<HashMap<String, redis::Value>> = redis::cmd("ACL")
        .arg("LOG")
        .query(&mut server.connection())
        .expect("ACL LOG");
    let denied: Vec<String> = log
        .iter()
        .filter_map(|entry| redis::from_redis_value(entry.get("object")?.clone()).ok())
        .filter(|object: &String| object != "client|setinfo")
        .collect();
    assert!(denied.is_empty(), "denied: {denied:?}");
}

#[tokio::test]
async fn a_key_outside_the_namespace_is_refused() {
    let server = RedisServer::start();
    acl_user(&mut server.connection(), "rels", "s3cret", &rules(""));
    let url = format!("redis://rels:s3cret@127.0.0.1:{}/0", server.port());
    let settings = Settings::new(&url, "other:app").expect("valid settings");
    let store = Store::connect(&settings).await.expect("connects");

    let mut session = store.load_session(None).await.expect("load");
    session.record_mut().insert("a", &1).expect("insert");
    let err = store.save(&mut session).await.expect_err("not its keys");

    assert!(matches!(err, Error::Rejected(_)), "{err:?}");
}

#[tokio::test]
async fn a_wrong_password_for_an_acl_user_is_a_clear_error_at_connect() {
    let server = RedisServer::start();
    acl_user(
        &mut server.connection(),
        "rels",
        "right-password",
        &rules(""),
    );
    let url = format!("redis://rels:wrong-password@127.0.0.1:{}/0", server.port());
    let settings = Settings::new(&url, NS).expect("valid settings");

    let err = Store::connect(&settings).await.expect_err("refused");

    assert!(!format!("{err} {err:?}").contains("wrong-password"));
    assert_wrong_password_refused(&url).await;
}

#[tokio::test]
async fn the_cluster_rules_are_enough_on_a_cluster() {
    let cluster = RedisCluster::start();
    for node in 0..3 {
        acl_user(
            &mut cluster.connection(node),
            "rels",
            "s3cret",
            &rules(CLUSTER_RULES),
        );
    }
    let url = cluster
        .url()
        .replace("redis+cluster://", "redis+cluster://rels:s3cret@");
    let settings = Settings::new(&url, NS).expect("valid settings");
    let store = Store::connect(&settings).await.expect("connects as rels");

    exercise(&store).await;
    assert_wrong_password_refused(&url.replace("s3cret", "wrong")).await;
}

#[tokio::test]
async fn the_sentinel_rules_are_enough_behind_sentinel() {
    let group = SentinelGroup::start_with_replica("acl");
    for server in [group.master(), group.replica().expect("replica")] {
        acl_user(
            &mut server.connection(),
            "rels",
            "s3cret",
            &rules(SENTINEL_RULES),
        );
    }
    let url = group
        .url(0)
        .replace("redis+sentinel://", "redis+sentinel://rels:s3cret@");
    let settings = Settings::new(&url, NS).expect("valid settings");
    let store = Store::connect(&settings).await.expect("connects as rels");

    exercise(&store).await;
    assert_wrong_password_refused(&url.replace("s3cret", "wrong")).await;
}

async fn assert_wrong_password_refused(url: &str) {
    let settings = Settings::new(url, NS).expect("valid settings");
    let started = Instant::now();
    let err = Store::connect(&settings).await.expect_err("refused");
    assert!(matches!(err, Error::Rejected(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "no retry loop");
}
