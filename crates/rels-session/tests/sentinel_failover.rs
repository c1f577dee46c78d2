//! A Sentinel failover under a steady stream of loads and saves: the
//! store finds the new master by itself, and no acknowledged save is lost.
//!
//! The servers refuse writes without a replica in sync
//! (`min-replicas-to-write 1`), and the store acknowledges a write only
//! once the replica has it (`WAIT`): without the latter, the last saves the
//! old master acknowledged before the promotion are lost.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rels_session::{PublicId, Record, Saved, Session, Settings, Store};
use rels_session_testkit::SentinelGroup;

const NS: &str = "rels:session";

/// How long saves may stay impossible before the test fails.
const RESUME_LIMIT: Duration = Duration::from_secs(60);

/// The completion times of acknowledged saves, shared by the workers.
type Acks = Arc<Mutex<Vec<Instant>>>;

fn record(n: u64) -> Record {
    Record::parse(format!(r#"{{"n":{n}}}"#).as_bytes()).expect("valid")
}

async fn stored_number(store: &Store, id: &PublicId) -> Option<u64> {
    let record = store.load(id).await.expect("load").into_record()?;
    record.get("n").expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The numbers are printed for the benchmark write-up.
#[allow(clippy::print_stdout)]
async fn saves_resume_after_a_failover_and_no_acknowledged_save_is_lost() {
    let group = Arc::new(SentinelGroup::start_with_replica("failover"));
    let new_master = group.replica().expect("a replica").port();
    let settings = Settings::new(&group.url(0), NS).expect("valid settings");
    let store = Store::connect(&settings).await.expect("connects");

    let acks: Acks = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (store, acks, mut stopped) = (store.clone(), acks.clone(), stopped.clone());
            tokio::spawn(async move {
                let mut worker = Worker::new(&store).await;
                tokio::select! {
                    () = worker.run(&store, &acks) => {}
                    _ = stopped.wait_for(|stop| *stop) => {}
                }
                worker
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let failover_at = Instant::now();
    let sentinels = group.clone();
    tokio::task::spawn_blocking(move || {
        sentinels.failover();
        sentinels.wait_for_master(new_master, RESUME_LIMIT);
    })
    .await
    .expect("failover");
    let switched_at = Instant::now();
    wait_for_a_save_after(&acks, switched_at).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.send_replace(true);

    let (gap, resumed) = longest_gap(&acks.lock().expect("acks"), failover_at);
    println!(
        "failover: the Sentinels named the new master after {:.1} s; saves \
         were refused for {:.1} s; the first save after the failover \
         succeeded {:.1} s after SENTINEL FAILOVER",
        (switched_at - failover_at).as_secs_f64(),
        gap.as_secs_f64(),
        resumed.as_secs_f64(),
    );
    assert!(resumed < RESUME_LIMIT, "saves resumed after {resumed:?}");

    for worker in workers {
        let worker = worker.await.expect("worker");
        for (id, acked) in worker.ids.iter().zip(&worker.acked) {
            let stored = stored_number(&store, id).await.expect("still stored");
            assert!(stored >= *acked, "acknowledged {acked}, stored {stored}");
        }
    }
}

/// A load-and-save loop over sessions of its own.
struct Worker {
    ids: Vec<PublicId>,
    /// The last number each session acknowledged.
    acked: Vec<u64>,
}

impl Worker {
    async fn new(store: &Store) -> Self {
        let mut ids = Vec::new();
        for _ in 0..5 {
            let id = PublicId::generate().expect("random");
            let mut session = Session::with_id(id.clone(), record(0));
            assert_eq!(
                store.save(&mut session).await.expect("save"),
                Saved::Created
            );
            ids.push(id);
        }
        let acked = vec![0; ids.len()];
        Self { ids, acked }
    }

    /// Loads each session and saves a higher number in it, forever. A
    /// failure is retried a moment later with the same session.
    async fn run(&mut self, store: &Store, acks: &Acks) {
        let mut next = 1;
        loop {
            for i in 0..self.ids.len() {
                while !self.bump(store, i, next).await {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                acks.lock().expect("acks").push(Instant::now());
            }
            next += 1;
        }
    }

    async fn bump(&mut self, store: &Store, i: usize, number: u64) -> bool {
        let Ok(mut session) = store.load_session(Some(self.ids[i].expose())).await else {
            return false;
        };
        let seen: Option<u64> = session.record().get("n").expect("a number");
        assert!(
            seen >= Some(self.acked[i]),
            "a load saw an acknowledged save undone"
        );
        session.record_mut().insert("n", &number).expect("insert");
        match store.save(&mut session).await {
            Ok(saved) => {
                assert_eq!(saved, Saved::Updated);
                self.acked[i] = number;
                true
            }
            Err(err) => {
                assert!(err.is_unavailable(), "{err}");
                false
            }
        }
    }
}

async fn wait_for_a_save_after(acks: &Acks, after: Instant) {
    let deadline = Instant::now() + RESUME_LIMIT;
    while !acks.lock().expect("acks").iter().any(|at| *at > after) {
        assert!(
            Instant::now() < deadline,
            "no save succeeded after the failover"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The longest time without an acknowledged save after `from`, and when
/// it ended, counted from `from`.
fn longest_gap(acks: &[Instant], from: Instant) -> (Duration, Duration) {
    let mut times: Vec<Instant> = acks.iter().copied().filter(|at| *at > from).collect();
    times.sort_unstable();
    let mut previous = from;
    let mut longest = (Duration::ZERO, Duration::ZERO);
    for at in times {
        if at - previous > longest.0 {
            longest = (at - previous, at - from);
        }
        previous = at;
    }
    longest
}
