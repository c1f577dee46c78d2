//! The store, the user index and listings on a real three-master Redis
//! Cluster, where the two keys of a session live in different slots.

use std::collections::{BTreeMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::TryStreamExt;
use rels_session::{
    Lookup, PublicId, Record, Saved, Session, Settings, SignIn, SignInRequest, Store, UserId, Users,
};
use rels_session_testkit::RedisCluster;

const NS: &str = "rels:session";
const ALICE: &str = "11111111-2222-4333-8444-555555555555";
const BOB: &str = "66666666-7777-4888-9999-000000000000";

async fn store(cluster: &RedisCluster) -> Store {
    let settings = Settings::new(&cluster.url(), NS).expect("valid settings");
    Store::connect(&settings).await.expect("connects")
}

fn user(text: &str) -> UserId {
    UserId::parse(text).expect("valid uuid")
}

fn record(i: u64) -> Record {
    Record::parse(format!(r#"{{"i":{i}}}"#).as_bytes()).expect("valid")
}

fn number(lookup: Lookup) -> Option<u64> {
    lookup.into_record()?.get("i").expect("a number")
}

async fn save_many(store: &Store, n: u64) -> Vec<PublicId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = PublicId::generate().expect("random");
        let saved = store
            .save(&mut Session::with_id(id.clone(), record(i)))
            .await
            .expect("save");
        assert_eq!(saved, Saved::Created);
        ids.push(id);
    }
    ids
}

async fn sign_in(users: &Users, user: &UserId) -> Session {
    let mut session = users.store().load_session(None).await.expect("load");
    session
        .record_mut()
        .insert("warden.user.user.key", &serde_json::json!([[1], "salt"]))
        .expect("insert");
    let request = SignInRequest::new().with_user_agent("Mozilla/5.0");
    users
        .sign_in(&mut session, user, &request, &SignIn::new())
        .await
        .expect("sign in");
    session
}

/// Calls of `command` on each node since the last reset.
fn calls_per_node(cluster: &RedisCluster, command: &str) -> Vec<u64> {
    (0..3)
        .map(|node| {
            let calls: BTreeMap<String, u64> = cluster.command_calls(node);
            calls.get(command).copied().unwrap_or(0)
        })
        .collect()
}

/// How many slots the keys of these sessions hash to, as the cluster
/// computes it.
fn slots_of(cluster: &RedisCluster, keys: &[String]) -> usize {
    let mut connection = cluster.connection(0);
    let slots: HashSet<u16> = keys
        .iter()
        .map(|key| {
            redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(key)
                .query(&mut connection)
                .expect("CLUSTER KEYSLOT")
        })
        .collect();
    slots.len()
}

fn private_key(id: &PublicId) -> String {
    format!("{NS}:{}", id.private_id().expose())
}

#[tokio::test]
async fn the_store_and_the_user_index_work_on_a_cluster() {
    let cluster = RedisCluster::start();
    let store = store(&cluster).await;
    let users = Users::new(store.clone());
    let (alice, bob) = (user(ALICE), user(BOB));

    // The store: both keys of a session, in two slots.
    let ids = save_many(&store, 3).await;
    assert_eq!(number(store.load(&ids[0]).await.expect("load")), Some(0));
    let mut loaded = store
        .load_session(Some(ids[1].expose()))
        .await
        .expect("load");
    loaded.record_mut().insert("i", &41).expect("insert");
    assert_eq!(store.save(&mut loaded).await.expect("save"), Saved::Updated);
    let found = store.find_many(&ids).await.expect("find_many");
    let numbers: Vec<Option<u64>> = found.into_iter().map(number).collect();
    assert_eq!(numbers, [Some(0), Some(41), Some(2)]);
    assert!(store.peek(&ids[2]).await.expect("peek").is_some());
    assert!(store.touch(&ids[2]).await.expect("touch"));
    assert!(store.delete(&ids[2]).await.expect("delete"));
    assert!(!store.touch(&ids[2]).await.expect("touch"));
    assert_eq!(store.delete_many(&ids[..2]).await.expect("delete_many"), 4);

    // The user index: sign-ins, listing, revokes, moving a session.
    let mut first = sign_in(&users, &alice).await;
    let second = sign_in(&users, &alice).await;
    let third = sign_in(&users, &alice).await;
    let bobs = sign_in(&users, &bob).await;
    assert_eq!(users.list(&alice, None).await.expect("list").len(), 3);
    assert_eq!(users.totals().await.expect("totals").total_sessions, 4);

    let handle = second.id().private_id().handle();
    let revoked = users.revoke(&alice, &[handle]).await.expect("revoke");
    assert_eq!(revoked.revoked.len(), 1);
    assert!(users.move_session(&mut first, &alice).await.expect("move"));
    let others = users
        .revoke_others(&alice, first.id())
        .await
        .expect("revoke_others");
    assert_eq!(others.revoked, [third.id().private_id().handle()]);
    let listed = users.list(&alice, Some(first.id())).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].current);
    assert_eq!(users.totals().await.expect("totals").total_sessions, 2);

    // Listing, streaming and reconcile visit every master.
    let listed: HashSet<_> = store
        .list()
        .await
        .expect("list")
        .iter()
        .map(|s| s.handle())
        .collect();
    let expected: HashSet<_> = [first.id(), bobs.id()]
        .iter()
        .map(|id| id.private_id().handle())
        .collect();
    assert_eq!(listed, expected);
    let batch = NonZeroUsize::new(1).expect("positive");
    let streamed: Vec<_> = store
        .stream(None, batch)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed.iter().map(Vec::len).sum::<usize>(), 2);
    let user_pages: Vec<Vec<UserId>> = users.scan_users().try_collect().await.expect("scan");
    assert_eq!(user_pages.concat().len(), 2);
    store.delete(bobs.id()).await.expect("delete");
    assert_eq!(
        users.reconcile().await.expect("reconcile").total_sessions,
        1
    );

    assert_eq!(
        users
            .revoke_all(&alice)
            .await
            .expect("revoke_all")
            .revoked
            .len(),
        1
    );
    assert!(store.list().await.expect("list").is_empty());
}

#[tokio::test]
async fn multi_key_requests_are_split_by_slot_and_scans_visit_every_master() {
    let cluster = RedisCluster::start();
    let store = store(&cluster).await;
    let ids = save_many(&store, 60).await;
    let private_keys: Vec<String> = ids.iter().map(private_key).collect();
    let all_keys: Vec<String> = ids
        .iter()
        .flat_map(|id| [private_key(id), format!("{NS}:{}", id.expose())])
        .collect();
    let key_count: u64 = (0..3).map(|node| cluster.key_count(node)).sum();
    assert_eq!(key_count, 121, "two keys a session, and the flag");

    // One MGET per slot, each to the master of its slot: no cross-slot
    // request, and every master serves its share.
    cluster.reset_stats();
    let found = store.find_many(&ids).await.expect("find_many");
    assert!(
        found
            .iter()
            .all(|lookup| matches!(lookup, Lookup::Found(_)))
    );
    let mgets = calls_per_node(&cluster, "mget");
    assert!(mgets.iter().all(|n| *n > 0), "{mgets:?}");
    assert_eq!(
        mgets.iter().sum::<u64>() as usize,
        slots_of(&cluster, &private_keys)
    );

    // A scan sends SCAN to each master.
    cluster.reset_stats();
    assert_eq!(store.list().await.expect("list").len(), 60);
    let scans = calls_per_node(&cluster, "scan");
    assert!(scans.iter().all(|n| *n > 0), "{scans:?}");

    // TTLs: one PTTL per key, on the master of its slot.
    cluster.reset_stats();
    let refs = store.list().await.expect("list");
    cluster.reset_stats();
    let ttls = store.ttls(&refs).await.expect("ttls");
    assert!(ttls.iter().all(Option::is_some));
    assert_eq!(calls_per_node(&cluster, "pttl").iter().sum::<u64>(), 60);

    // One DEL per slot.
    cluster.reset_stats();
    assert_eq!(store.delete_many(&ids).await.expect("delete_many"), 120);
    let dels = calls_per_node(&cluster, "del");
    assert!(dels.iter().all(|n| *n > 0), "{dels:?}");
    assert_eq!(
        dels.iter().sum::<u64>() as usize,
        slots_of(&cluster, &all_keys)
    );
    let key_count: u64 = (0..3).map(|node| cluster.key_count(node)).sum();
    assert_eq!(key_count, 1, "only the flag is left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The numbers are printed for the benchmark write-up.
#[allow(clippy::print_stdout)]
async fn moving_slots_while_sessions_are_read_and_written_loses_none() {
    let cluster = Arc::new(RedisCluster::start());
    let store = store(&cluster).await;
    let ids = save_many(&store, 200).await;
    let keys_before = cluster.key_count(0);
    cluster.reset_stats();

    // Each worker owns some sessions and keeps saving a higher number in
    // them, reading each back, until the move is over.
    let moving = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = ids
        .chunks(50)
        .map(|chunk| {
            let (store, chunk, moving) = (store.clone(), chunk.to_vec(), moving.clone());
            tokio::spawn(async move { read_and_write(&store, &chunk, &moving).await })
        })
        .collect();
    let started = Instant::now();
    let mover = cluster.clone();
    tokio::task::spawn_blocking(move || mover.reshard(0, 1, 3000))
        .await
        .expect("reshard");
    moving.store(false, Ordering::SeqCst);
    let moved_in = started.elapsed();

    let mut expected = Vec::new();
    let mut operations = 0;
    for worker in workers {
        let (last, ops) = worker.await.expect("worker");
        expected.extend(last);
        operations += ops;
    }
    assert!(cluster.key_count(0) < keys_before, "keys moved off node 0");
    let redirects: BTreeMap<String, u64> = (0..3)
        .flat_map(|node| cluster.error_replies(node))
        .fold(BTreeMap::new(), |mut sum, (name, n)| {
            *sum.entry(name).or_default() += n;
            sum
        });
    println!(
        "{operations} reads and writes while slots moved for {moved_in:?}; \
         redirects followed: {redirects:?}"
    );
    assert!(
        redirects.get("MOVED").is_some_and(|n| *n > 0),
        "{redirects:?}"
    );

    let found = store.find_many(&ids).await.expect("find_many");
    let numbers: Vec<Option<u64>> = found.into_iter().map(number).collect();
    assert_eq!(numbers, expected, "every acknowledged save is there");
    assert_eq!(store.list().await.expect("list").len(), ids.len());
}

/// Saves increasing numbers into `ids` and reads them back while `moving`
/// holds. Returns the last number saved in each session, and how many
/// requests were made. Every request must succeed.
async fn read_and_write(
    store: &Store,
    ids: &[PublicId],
    moving: &AtomicBool,
) -> (Vec<Option<u64>>, u64) {
    let found = store.find_many(ids).await.expect("find_many");
    let mut last: Vec<Option<u64>> = found.into_iter().map(number).collect();
    let mut operations = 0;
    let mut round = 1000;
    while moving.load(Ordering::SeqCst) {
        for (i, id) in ids.iter().enumerate() {
            let mut session = store.load_session(Some(id.expose())).await.expect("load");
            assert_eq!(session.record().get::<u64>("i").expect("number"), last[i]);
            session.record_mut().insert("i", &round).expect("insert");
            assert_eq!(
                store.save(&mut session).await.expect("save"),
                Saved::Updated
            );
            last[i] = Some(round);
            operations += 2;
        }
        round += 1;
    }
    (last, operations)
}
