//! The benchmark suite of rels-session: where the library stands against
//! the raw Redis client (the floor) and tower-sessions with its Redis
//! store (the peer), with every ratio taken within one run. See
//! `BENCHMARKS.md` at the workspace root for the figures and how to read
//! them; `scripts/bench` runs the whole suite.
//!
//! Layout:
//!
//! - `measure`: workers, the runners that time them, and what a run
//!   measured; `stats`: percentiles and medians.
//! - `server`: the harness's own `redis-server`; `pin`: cores.
//! - `fixture`: session ids, payloads and seeding.
//! - `store`: store operations on the three sides.
//! - `http`: an axum app under load, with and without sessions.
//! - `memory`: peak RSS of a child process that streams or lists.
//! - `callgrind`: client instructions per operation.
//! - `report`: the Markdown report and the goals.

// A benchmark harness reports on the terminal: its output is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod callgrind;
mod fixture;
mod http;
mod measure;
mod memory;
mod pin;
mod report;
mod server;
mod stats;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::measure::Plan;
use crate::pin::{Cores, pin_thread};
use crate::report::{Conditions, Report};
use crate::server::BenchRedis;
use crate::store::{Bench, Layout, Op, Side};

/// What can go wrong in the harness: anything, reported and fatal.
pub(crate) type BenchError = Box<dyn std::error::Error + Send + Sync>;
/// A result of the harness.
pub(crate) type BenchResult<T> = Result<T, BenchError>;

/// Sessions loaded, saved and found by the store benchmarks.
const POOL: u64 = 10_000;

/// Benchmarks rels-session against the raw Redis client and tower-sessions.
#[derive(Debug, Parser)]
#[command(name = "rels-session-bench")]
struct Cli {
    #[command(subcommand)]
    child: Option<Child>,
    #[command(flatten)]
    suite: Suite,
}

/// The suite's knobs. The defaults are the sizes.
#[derive(Debug, clap::Args)]
struct Suite {
    /// A tiny run that only proves the suite builds and runs: small data,
    /// one short run of each measurement, no callgrind.
    #[arg(long)]
    smoke: bool,
    /// Runs of each measurement; figures are their medians.
    #[arg(long, default_value_t = 5, value_parser = at_least_one::<usize>)]
    runs: usize,
    /// Seconds each run measures.
    #[arg(long, default_value_t = 2.0, value_parser = seconds::<false>)]
    seconds: f64,
    /// Seconds of warm-up before each run.
    #[arg(long, default_value_t = 0.5, value_parser = seconds::<true>)]
    warmup: f64,
    /// Concurrent tasks of the store benchmarks.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 64], value_parser = at_least_one::<usize>)]
    tasks: Vec<usize>,
    /// Sessions streamed by the store benchmarks.
    #[arg(long, default_value_t = 100_000, value_parser = at_least_one::<u64>)]
    stream_sessions: u64,
    /// `SCAN COUNT`s the streaming benchmark runs with (the gem's is 50).
    #[arg(long, value_delimiter = ',', default_values_t = [50, 1000], value_parser = at_least_one::<u32>)]
    scan_counts: Vec<u32>,
    /// Sessions streamed by the largest memory measurement.
    #[arg(long, default_value_t = 1_000_000, value_parser = at_least_one::<u64>)]
    memory_sessions: u64,
    /// Sessions of the user listed by the memory measurement.
    #[arg(long, default_value_t = 10_000, value_parser = at_least_one::<u64>)]
    list_sessions: u64,
    /// Connections of the HTTP load generator.
    #[arg(long, default_value_t = 64, value_parser = at_least_one::<usize>)]
    http_connections: usize,
    /// Store operations to run.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = OpName::all())]
    ops: Vec<OpName>,
    /// Parts to run (callgrind needs valgrind).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Part::DEFAULT)]
    parts: Vec<Part>,
    /// Our `connection_pool_options.max_in_flight` in the store
    /// benchmarks: how many requests may be in flight at once (no cap,
    /// the library's default, when not given).
    #[arg(long)]
    max_in_flight: Option<std::num::NonZeroU32>,
    /// Keep callgrind's output files here, for `callgrind_annotate`.
    #[arg(long)]
    callgrind_dir: Option<PathBuf>,
    /// Where the client and redis-server run: on two cores of their own
    /// (`split`), both on one core (`same`), or wherever the scheduler
    /// puts them (`none`).
    #[arg(long, value_enum, default_value_t = pin::Mode::Same)]
    pin: pin::Mode,
    /// Where to write `report.md` and `results.json`.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// A count of at least one, for `clap`.
fn at_least_one<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + From<u8>,
{
    match text.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        _ => Err("expected a whole number of at least 1".to_owned()),
    }
}

/// Seconds as a finite number above 0 (or 0 too, when `ZERO`), for `clap`.
fn seconds<const ZERO: bool>(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (s > 0.0 || (ZERO && s == 0.0)) && s < 86_400.0 => Ok(s),
        _ if ZERO => Err("expected seconds, at least 0 and under a day".to_owned()),
        _ => Err("expected seconds, above 0 and under a day".to_owned()),
    }
}

/// A part of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Store,
    Http,
    Memory,
    Callgrind,
}

impl Part {
    /// What runs unless told otherwise: all but callgrind, which needs
    /// valgrind.
    const DEFAULT: [Self; 3] = [Self::Store, Self::Http, Self::Memory];
}

/// A store operation, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum OpName {
    Load,
    Save,
    FindMany,
    List,
    RevokeAll,
    Stream,
}

impl OpName {
    fn all() -> [Self; 6] {
        [
            Self::Load,
            Self::Save,
            Self::FindMany,
            Self::List,
            Self::RevokeAll,
            Self::Stream,
        ]
    }

    fn names(self, op: Op) -> bool {
        matches!(
            (self, op),
            (Self::Load, Op::Load)
                | (Self::Save, Op::Save)
                | (Self::FindMany, Op::FindMany)
                | (Self::List, Op::List)
                | (Self::RevokeAll, Op::RevokeAll)
                | (Self::Stream, Op::Stream(_))
        )
    }
}

/// Internal commands: the suite runs itself as a child process for these.
#[derive(Debug, Subcommand)]
enum Child {
    /// Peak RSS of one streaming or listing (for the memory part).
    #[command(hide = true)]
    MemoryChild {
        #[arg(long)]
        url: String,
        #[arg(long, value_enum)]
        task: memory::Task,
        #[arg(long)]
        sessions: u64,
        #[arg(long)]
        core: Option<usize>,
    },
    /// A number of operations from one task (for callgrind).
    #[command(hide = true)]
    Count {
        #[arg(long)]
        url: String,
        #[arg(long)]
        stream_url: String,
        #[arg(long, value_enum)]
        op: callgrind::Counted,
        #[arg(long, value_enum)]
        side: Side,
        #[arg(long)]
        ops: u64,
        #[arg(long)]
        pool: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.child {
        Some(Child::MemoryChild {
            url,
            task,
            sessions,
            core,
        }) => memory::child(&url, task, sessions, core),
        Some(Child::Count {
            url,
            stream_url,
            op,
            side,
            ops,
            pool,
        }) => {
            let layout = Layout::new(pool, 0, 1);
            callgrind::child([url, stream_url], layout, op, side, ops)
        }
        None => run_suite(cli.suite),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

impl Suite {
    /// The smoke run's sizes: every part runs, on little data, briefly.
    fn smoke_sized(mut self) -> Self {
        self.runs = 1;
        self.seconds = 0.1;
        self.warmup = 0.02;
        self.stream_sessions = 2_000;
        self.memory_sessions = 5_000;
        self.list_sessions = 200;
        self.http_connections = 8;
        self.tasks = vec![1, 8];
        self.parts.retain(|&p| p != Part::Callgrind);
        self
    }

    fn wants(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }

    fn plan(&self) -> Plan {
        Plan {
            warmup: Duration::from_secs_f64(self.warmup),
            window: Duration::from_secs_f64(self.seconds),
        }
    }

    fn layout(&self) -> Layout {
        let pool = if self.smoke { 1_000 } else { POOL };
        let max_tasks = self.tasks.iter().copied().max().unwrap_or(1) as u64;
        Layout::new(pool, self.stream_sessions, max_tasks)
    }
}

fn run_suite(suite: Suite) -> BenchResult<()> {
    let suite = if suite.smoke {
        suite.smoke_sized()
    } else {
        suite
    };
    let started = Instant::now();
    // Counted before pinning narrows what this thread may use.
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let cores = Cores::choose(suite.pin);
    pin_thread(cores.map(|c| c.client));
    let load_before = load_average();

    let redis = BenchRedis::start(cores.map(|c| c.server))?;
    eprintln!(
        "bench: redis-server pid {} on {}",
        redis.pid(),
        redis.url(0)
    );
    let mut report = Report::new(conditions(&suite, cores, cpus, &redis, load_before)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(&suite, &redis, cores, &mut report))?;
    if suite.wants(Part::Callgrind) {
        let urls = [redis.url(0), redis.url(1)];
        let keep = suite.callgrind_dir.as_deref();
        let wanted = |op| suite.ops.iter().any(|name| name.names(op));
        report.callgrind = callgrind::run(&urls, suite.layout(), wanted, keep)?;
    }

    report.conditions.load_after = load_average();
    report.conditions.seconds_total = started.elapsed().as_secs_f64();
    publish(&report, suite.out.as_deref())
}

/// The parts that run on this process's runtime: store, HTTP, memory.
async fn measure(
    suite: &Suite,
    redis: &BenchRedis,
    cores: Option<Cores>,
    report: &mut Report,
) -> BenchResult<()> {
    let (client, server) = (cores.map(|c| c.client), cores.map(|c| c.server));
    // Callgrind's children read the data the store part seeds.
    if suite.wants(Part::Store) || suite.wants(Part::Callgrind) {
        let bench = Bench::seed(redis, suite.layout(), suite.plan(), suite.max_in_flight).await?;
        if suite.wants(Part::Store) {
            report.store = bench.run(&ops(suite), &suite.tasks, suite.runs).await?;
        }
    }
    if suite.wants(Part::Http) {
        let placement = http::Placement {
            server: client,
            generator: server,
        };
        let connections = suite.http_connections;
        report.http = http::run(redis, suite.plan(), connections, suite.runs, placement).await?;
        pin_thread(client);
    }
    if suite.wants(Part::Memory) {
        let sizes = memory::Sizes {
            stream: suite.memory_sessions,
            list: suite.list_sessions,
        };
        report.memory = memory::run(sizes, client, server).await?;
    }
    Ok(())
}

fn ops(suite: &Suite) -> Vec<Op> {
    let mut ops = vec![Op::Load, Op::Save, Op::FindMany, Op::List, Op::RevokeAll];
    ops.extend(suite.scan_counts.iter().map(|&count| Op::Stream(count)));
    ops.retain(|&op| suite.ops.iter().any(|name| name.names(op)));
    ops
}

fn publish(report: &Report, out: Option<&std::path::Path>) -> BenchResult<()> {
    let markdown = report.markdown();
    println!("{markdown}");
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.md"), &markdown)?;
        std::fs::write(
            dir.join("results.json"),
            serde_json::to_string_pretty(report)?,
        )?;
        eprintln!("bench: wrote {}", dir.display());
    }
    Ok(())
}

fn conditions(
    suite: &Suite,
    cores: Option<Cores>,
    cpus: usize,
    redis: &BenchRedis,
    load_before: String,
) -> BenchResult<Conditions> {
    Ok(Conditions {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        smoke: suite.smoke,
        runs: suite.runs,
        seconds: suite.seconds,
        warmup: suite.warmup,
        tasks: suite.tasks.clone(),
        stream_sessions: suite.stream_sessions,
        memory_sessions: suite.memory_sessions,
        list_sessions: suite.list_sessions,
        http_connections: suite.http_connections,
        max_in_flight: suite.max_in_flight.map(std::num::NonZeroU32::get),
        cores,
        cpus,
        cpu_model: cpu_model(),
        redis_version: redis.version()?,
        load_before,
        load_after: String::new(),
        seconds_total: 0.0,
    })
}

/// The first three fields of `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    fn parses(args: &[&str]) -> bool {
        Cli::try_parse_from(["rels-session-bench"].iter().chain(args)).is_ok()
    }

    #[test]
    fn counts_and_durations_out_of_range_are_usage_errors() {
        for bad in [
            &["--runs", "0"][..],
            &["--tasks", "1,0"],
            &["--seconds", "0"],
            &["--seconds=-1"],
            &["--seconds", "nan"],
            &["--seconds", "inf"],
            &["--warmup=-0.5"],
            &["--scan-counts", "0"],
            &["--http-connections", "0"],
        ] {
            assert!(!parses(bad), "{bad:?} was accepted");
        }
        for good in [
            &["--runs", "1"][..],
            &["--warmup", "0"],
            &["--seconds", "0.1"],
        ] {
            assert!(parses(good), "{good:?} was refused");
        }
    }
}
