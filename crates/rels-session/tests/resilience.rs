//! What the store does when Redis goes away, refuses, or sits behind
//! Sentinel.

use std::time::{Duration, Instant};

use rels_session::{Error, Lookup, PublicId, Record, Session, Settings, Store};
use rels_session_testkit::{RedisServer, SentinelGroup};

fn record() -> Record {
    Record::parse(br#"{"a":1}"#).expect("valid")
}

#[tokio::test]
async fn redis_going_away_is_unavailable_then_the_breaker_opens_then_it_recovers() {
    let mut server = RedisServer::start();
    let settings = Settings::new(&server.url(), "rels:session").expect("valid");
    let (store, id) = connect_with_a_session(&settings).await;

    server.stop();
    let started = Instant::now();
    let err = store.load(&id).await.expect_err("redis is down");
    assert!(err.is_unavailable(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(11),
        "bounded by the deadline"
    );
    assert!(!err.to_string().contains(id.expose()));

    // Three failures were recorded: the breaker refuses work at once.
    let started = Instant::now();
    let err = store.load(&id).await.expect_err("breaker open");
    assert!(err.is_unavailable());
    assert!(err.retry_after().is_some(), "{err}");
    assert!(started.elapsed() < Duration::from_millis(100));

    server.restart();
    tokio::time::sleep(err.retry_after().unwrap_or_default()).await;
    // The server restarted empty (no persistence): a clean miss proves the
    // store reconnected.
    assert!(matches!(
        store.load(&id).await.expect("reconnected"),
        Lookup::Missing
    ));
}

/// Stops the server from answering anyone for `millis` (`CLIENT PAUSE`).
fn pause(server: &RedisServer, millis: u64) {
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(millis)
        .arg("ALL")
        .query(&mut server.connection())
        .expect("CLIENT PAUSE");
}

/// A store connected with `settings`, and the id of a session it saved.
async fn connect_with_a_session(settings: &Settings) -> (Store, PublicId) {
    let store = Store::connect(settings).await.expect("connects");
    let id = PublicId::generate().expect("random");
    store
        .save(&mut Session::with_id(id.clone(), record()))
        .await
        .expect("save");
    (store, id)
}

async fn store_with_cap(server: &RedisServer, cap: Option<u32>) -> (Store, PublicId) {
    let mut settings = Settings::new(&server.url(), "rels:session").expect("valid");
    settings.pool.max_in_flight = cap.and_then(std::num::NonZeroU32::new);
    settings.pool.timeout = Duration::from_millis(200);
    connect_with_a_session(&settings).await
}

#[tokio::test]
async fn with_max_in_flight_a_request_waits_for_a_slot_only_until_the_pool_timeout() {
    let server = RedisServer::start();
    let (store, id) = store_with_cap(&server, Some(1)).await;

    pause(&server, 800);
    let first = store.load(&id);
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        (store.load(&id).await, started.elapsed())
    };
    let (first, (second, waited)) = tokio::join!(first, second);

    assert!(matches!(first, Ok(Lookup::Found(_))), "{first:?}");
    let err = second.expect_err("the one slot was taken");
    assert!(
        err.is_unavailable() && err.to_string().contains("max_in_flight"),
        "{err}"
    );
    assert!(waited < Duration::from_millis(700), "waited {waited:?}");
}

#[tokio::test]
async fn without_a_cap_concurrent_requests_all_wait_for_redis() {
    let server = RedisServer::start();
    let (store, id) = store_with_cap(&server, None).await;

    pause(&server, 500);
    let loads = (0..50).map(|_| store.load(&id));
    let answers = futures_util::future::join_all(loads).await;

    assert_eq!(answers.len(), 50);
    for answer in answers {
        assert!(matches!(answer, Ok(Lookup::Found(_))), "{answer:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error_at_connect() {
    let server = RedisServer::start();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("right-password")
        .query(&mut server.connection())
        .expect("CONFIG SET");
    let url = format!("redis://:wrong-password@127.0.0.1:{}/0", server.port());
    let settings = Settings::new(&url, "rels:session").expect("valid");

    let started = Instant::now();
    let err = Store::connect(&settings).await.expect_err("refused");
    assert!(matches!(err, Error::Rejected(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "no retry loop");
    assert!(!format!("{err} {err:?}").contains("wrong-password"));
}

#[tokio::test]
async fn an_unreachable_redis_fails_connect_as_unavailable() {
    // Bind a port and close it again so that nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let settings = Settings::new(&url, "rels:session").expect("valid");
    let err = Store::connect(&settings)
        .await
        .expect_err("nothing listens");
    assert!(err.is_unavailable(), "{err:?}");
}

#[tokio::test]
async fn sessions_work_through_sentinel() {
    let group = SentinelGroup::start("sessions");
    let settings = Settings::new(&group.url(2), "rels:session").expect("valid");
    let store = Store::connect(&settings)
        .await
        .expect("connects via sentinel");

    let id = PublicId::generate().expect("random");
    store
        .save(&mut Session::with_id(id.clone(), record()))
        .await
        .expect("save");
    assert!(matches!(
        store.load(&id).await.expect("load"),
        Lookup::Found(_)
    ));

    // The session landed in database 2 of the master Sentinel named.
    let mut conn = group.master().connection();
    let _: () = redis::cmd("SELECT")
        .arg(2)
        .query(&mut conn)
        .expect("SELECT");
    let size: u64 = redis::cmd("DBSIZE").query(&mut conn).expect("DBSIZE");
    assert_eq!(size, 3, "two session keys and the flag");
}
