//! Timing: a [`Worker`] repeats one operation, a runner drives workers
//! from many tasks for a bounded time, and a [`Sample`] is what one run
//! measured.
//!
//! Two runners:
//!
//! - [`continuous`]: every task repeats its step until the time is up.
//!   Operations count when they *finish* inside the window (after a
//!   warm-up), so throughput is right however long one operation takes.
//! - [`rounds`]: for operations that destroy their data (revoke all). All
//!   tasks prepare untimed, then step once together, timed; rounds repeat
//!   until the timed part fills the window. Nothing else talks to Redis
//!   while a round is timed.
//!
//! Redis commands per operation are the `INFO commandstats` delta over
//! every step, warm-up included, divided by the steps: exact, because
//! nothing else uses the server meanwhile.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use crate::BenchResult;
use crate::server::BenchRedis;
use crate::stats::percentile;

/// What one step returns: how many items (sessions) it handled.
pub(crate) type Step<'a> = BoxFuture<'a, BenchResult<u64>>;

/// One task's share of a benchmark.
pub(crate) trait Worker: Send + 'static {
    /// Untimed work before each round of [`rounds`], such as seeding what
    /// the step destroys.
    fn prepare(&mut self) -> Step<'_> {
        Box::pin(async { Ok(0) })
    }

    /// One timed operation.
    fn step(&mut self) -> Step<'_>;
}

/// How long one run lasts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    pub(crate) warmup: Duration,
    pub(crate) window: Duration,
}

/// What one run of one benchmark measured.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Sample {
    pub(crate) ops_per_sec: f64,
    pub(crate) items_per_sec: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    /// Redis commands per operation, all of them.
    pub(crate) commands_per_op: f64,
    /// The same, per command name.
    pub(crate) commands: BTreeMap<String, f64>,
}

/// What the tasks of one run counted.
#[derive(Default)]
struct Tally {
    /// Latencies in nanoseconds of the operations counted.
    latencies: Vec<u64>,
    items: u64,
    /// Every step, counted or not: the divisor of the command counts.
    steps: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.items += other.items;
        self.steps += other.steps;
    }

    fn sample(mut self, seconds: f64, commands: &BTreeMap<String, u64>) -> Sample {
        self.latencies.sort_unstable();
        let ops = self.latencies.len() as f64;
        let steps = self.steps.max(1) as f64;
        let per_op: BTreeMap<String, f64> = commands
            .iter()
            .map(|(name, calls)| (name.clone(), *calls as f64 / steps))
            .collect();
        Sample {
            ops_per_sec: ops / seconds,
            items_per_sec: self.items as f64 / seconds,
            p50_us: percentile(&self.latencies, 0.50) / 1_000.0,
            p99_us: percentile(&self.latencies, 0.99) / 1_000.0,
            commands_per_op: per_op.values().fold(0.0, |sum, n| sum + n),
            commands: per_op,
        }
    }
}

/// Runs every worker on its own task until the plan's time is up.
pub(crate) async fn continuous(
    workers: Vec<Box<dyn Worker>>,
    plan: Plan,
    redis: &BenchRedis,
) -> BenchResult<Sample> {
    let before = redis.command_calls();
    let from = Instant::now() + plan.warmup;
    let end = from + plan.window;
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|worker| tokio::spawn(repeat(worker, from, end)))
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await??);
    }
    let commands = delta(&before, &redis.command_calls());
    Ok(tally.sample(plan.window.as_secs_f64(), &commands))
}

async fn repeat(mut worker: Box<dyn Worker>, from: Instant, end: Instant) -> BenchResult<Tally> {
    let mut tally = Tally::default();
    loop {
        let started = Instant::now();
        if started >= end {
            return Ok(tally);
        }
        let items = worker.step().await?;
        let done = Instant::now();
        tally.steps += 1;
        if done >= from && done <= end {
            tally.latencies.push(nanos(done - started));
            tally.items += items;
        }
    }
}

/// Prepares every worker, then steps them all at once, timed; again and
/// again until the timed rounds add up to the window. One untimed round
/// first warms up.
pub(crate) async fn rounds(
    mut workers: Vec<Box<dyn Worker>>,
    plan: Plan,
    redis: &BenchRedis,
) -> BenchResult<Sample> {
    let mut timed = Duration::ZERO;
    let mut tally = Tally::default();
    let mut commands = BTreeMap::new();
    let mut warm = false;
    while timed < plan.window {
        workers = prepare_all(workers).await?;
        let before = redis.command_calls();
        let started = Instant::now();
        let (back, round) = step_all(workers).await?;
        let took = started.elapsed();
        workers = back;
        if warm {
            timed += took;
            add(&mut commands, &delta(&before, &redis.command_calls()));
            tally.merge(round);
        }
        warm = true;
    }
    Ok(tally.sample(timed.as_secs_f64(), &commands))
}

async fn prepare_all(workers: Vec<Box<dyn Worker>>) -> BenchResult<Vec<Box<dyn Worker>>> {
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut worker| {
            tokio::spawn(async move {
                worker.prepare().await?;
                Ok::<_, crate::BenchError>(worker)
            })
        })
        .collect();
    let mut back = Vec::with_capacity(tasks.len());
    for task in tasks {
        back.push(task.await??);
    }
    Ok(back)
}

async fn step_all(workers: Vec<Box<dyn Worker>>) -> BenchResult<(Vec<Box<dyn Worker>>, Tally)> {
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut worker| {
            tokio::spawn(async move {
                let started = Instant::now();
                let items = worker.step().await?;
                Ok::<_, crate::BenchError>((worker, items, started.elapsed()))
            })
        })
        .collect();
    let mut back = Vec::with_capacity(tasks.len());
    let mut tally = Tally::default();
    for task in tasks {
        let (worker, items, took) = task.await??;
        back.push(worker);
        tally.latencies.push(nanos(took));
        tally.items += items;
        tally.steps += 1;
    }
    Ok((back, tally))
}

fn nanos(took: Duration) -> u64 {
    u64::try_from(took.as_nanos()).unwrap_or(u64::MAX)
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(name, calls)| {
            let was = before.get(name).copied().unwrap_or(0);
            (name.clone(), calls.saturating_sub(was))
        })
        .filter(|(_, calls)| *calls > 0)
        .collect()
}

fn add(total: &mut BTreeMap<String, u64>, more: &BTreeMap<String, u64>) {
    for (name, calls) in more {
        *total.entry(name.clone()).or_default() += calls;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_keeps_only_commands_that_ran() {
        let before = BTreeMap::from([("get".to_owned(), 3), ("set".to_owned(), 1)]);
        let after = BTreeMap::from([
            ("get".to_owned(), 5),
            ("set".to_owned(), 1),
            ("mget".to_owned(), 2),
        ]);
        let expected = BTreeMap::from([("get".to_owned(), 2), ("mget".to_owned(), 2)]);
        assert_eq!(delta(&before, &after), expected);
    }

    #[test]
    fn a_tally_divides_commands_by_every_step() {
        let tally = Tally {
            latencies: vec![1_000, 2_000, 3_000, 4_000],
            items: 8,
            steps: 5,
        };
        let commands = BTreeMap::from([("mget".to_owned(), 10)]);
        let sample = tally.sample(2.0, &commands);
        assert_eq!(sample.ops_per_sec, 2.0);
        assert_eq!(sample.items_per_sec, 4.0);
        assert_eq!(sample.commands_per_op, 2.0);
    }
}
