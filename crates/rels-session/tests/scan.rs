//! Listing and streaming every session with `SCAN`.

use std::collections::HashSet;
use std::num::NonZeroU32;

use futures_util::TryStreamExt;
use redis::Commands;
use rels_session::{PublicId, Record, Session, Settings, SidType, Store};
use rels_session_testkit::RedisServer;

async fn store(server: &RedisServer, namespace: &str, scan_count: u32) -> Store {
    let count = NonZeroU32::new(scan_count).expect("positive");
    let settings = Settings::new(&server.url(), namespace)
        .expect("valid settings")
        .with_scan_count(count);
    Store::connect(&settings).await.expect("connects")
}

async fn save_many(store: &Store, n: usize) -> Vec<PublicId> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = PublicId::generate().expect("random");
        let record = Record::parse(format!(r#"{{"i":{i}}}"#).as_bytes()).expect("valid");
        store
            .save(&mut Session::with_id(id.clone(), record))
            .await
            .expect("save");
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn streaming_visits_every_session_once_in_non_empty_pages() {
    let server = RedisServer::start();
    let store = store(&server, "rels:session", 50).await;
    let ids = save_many(&store, 300).await;
    // Keys that are not sessions, in and out of the namespace.
    let mut conn = server.connection();
    let _: () = conn
        .sadd("rels:session:user_sessions:u1", "x")
        .expect("SADD");
    let _: () = conn
        .set("rels:session:stats:total_sessions", 3)
        .expect("SET");
    let _: () = conn.set("other:2::abc", "{}").expect("SET");

    server.reset_stats();
    let pages: Vec<Vec<_>> = store.scan().try_collect().await.expect("scan");
    let scans = server.command_calls().get("scan").copied().unwrap_or(0);
    assert!(scans > 1, "one SCAN per page, got {scans}");
    assert!(pages.iter().all(|p| !p.is_empty()));

    let handles: HashSet<_> = pages.iter().flatten().map(|r| r.handle()).collect();
    let expected: HashSet<_> = ids.iter().map(|id| id.private_id().handle()).collect();
    assert_eq!(handles, expected);
    assert_eq!(
        pages.iter().map(Vec::len).sum::<usize>(),
        300,
        "no duplicates"
    );
}

#[tokio::test]
async fn found_references_read_back_their_records() {
    let server = RedisServer::start();
    let store = store(&server, "rels:session", 10).await;
    save_many(&store, 25).await;
    let refs = store.list().await.expect("list");
    let lookups = store.find_refs(&refs).await.expect("find");
    let mut seen: Vec<u32> = lookups
        .into_iter()
        .map(|l| {
            l.into_record()
                .expect("found")
                .get("i")
                .expect("u32")
                .expect("present")
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..25).collect::<Vec<u32>>());
}

#[tokio::test]
async fn every_sid_type_finds_and_streams_the_records_it_scanned() {
    let server = RedisServer::start();
    for (i, sid_type) in [SidType::Both, SidType::PrivateId, SidType::PublicId]
        .into_iter()
        .enumerate()
    {
        let count = NonZeroU32::new(10).expect("positive");
        let settings = Settings::new(&server.url(), &format!("ns{i}"))
            .expect("valid settings")
            .with_scan_count(count)
            .with_sid_type(sid_type);
        let store = Store::connect(&settings).await.expect("connects");
        let ids = save_many(&store, 25).await;
        let index_of = |r: &rels_session::SessionRef| {
            ids.iter()
                .position(|id| id.private_id().handle() == r.handle())
                .and_then(|i| u32::try_from(i).ok())
        };

        let refs = store.list().await.expect("list");
        assert_eq!(refs.len(), 25, "{sid_type:?}");
        let lookups = store.find_refs(&refs).await.expect("find");
        assert_eq!(lookups.len(), refs.len(), "{sid_type:?}");
        // Each lookup is the record of the reference at its position.
        for (r, lookup) in refs.iter().zip(lookups) {
            let record = lookup.into_record().expect("found");
            let i: u32 = record.get("i").expect("u32").expect("present");
            assert_eq!(Some(i), index_of(r), "{sid_type:?}");
        }

        let batch = std::num::NonZeroUsize::new(7).expect("positive");
        let streamed: Vec<Vec<_>> = store
            .stream(None, batch)
            .try_collect()
            .await
            .expect("stream");
        let mut seen: Vec<u32> = streamed
            .iter()
            .flatten()
            .map(|s| s.record.get("i").expect("u32").expect("present"))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..25).collect::<Vec<u32>>(), "{sid_type:?}");
    }
}

#[tokio::test]
async fn a_namespace_with_glob_characters_matches_only_itself() {
    let server = RedisServer::start();
    let narrow = store(&server, "app-1", 50).await;
    let ids = save_many(&narrow, 3).await;
    // `app-1` must not be read as a pattern matching `app_1` or `app11`.
    let mut conn = server.connection();
    let _: () = conn.set("app11:2::abc", "{}").expect("SET");
    let _: () = conn.set("app_1:2::abc", "{}").expect("SET");

    let listed = narrow.list().await.expect("list");
    assert_eq!(listed.len(), ids.len());
}

#[tokio::test]
async fn deleting_a_scanned_session_removes_both_of_its_keys() {
    let server = RedisServer::start();
    server.load_dump(&rels_session_testkit::read_fixture("gem_dump.json"));
    let store = store(&server, "rels:session", 50).await;
    let signed_in = PublicId::parse(&"b".repeat(32)).expect("valid");
    let anonymous = PublicId::parse(&"a".repeat(32)).expect("valid");
    let wanted = [
        signed_in.private_id().handle(),
        anonymous.private_id().handle(),
    ];
    let refs: Vec<_> = store
        .list()
        .await
        .expect("list")
        .into_iter()
        .filter(|r| wanted.contains(&r.handle()))
        .collect();
    assert_eq!(refs.len(), 2);

    let ttls = store.ttls(&refs).await.expect("ttls");
    assert!(
        ttls.iter()
            .all(|t| t.is_some_and(|t| t.as_secs() > 1_209_000))
    );
    let text = store
        .peek_ref(&refs[0])
        .await
        .expect("peek")
        .expect("stored");
    assert!(text.starts_with('{'));

    // The signed-in session names its public id in `meta`, so both of its
    // keys go; the anonymous one's public key is unknown and stays.
    assert_eq!(store.delete_refs(&refs).await.expect("delete"), 3);
    let mut conn = server.connection();
    let left: Vec<String> = conn.keys("rels:session:[ab]*").expect("KEYS");
    assert_eq!(left, [format!("rels:session:{}", anonymous.expose())]);
}
