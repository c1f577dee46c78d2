//! Memory: the peak resident set size of a fresh process that streams
//! sessions or lists a user's sessions, read from `VmHWM` in
//! `/proc/self/status`.
//!
//! Each figure comes from its own child process (this binary again, with
//! the hidden `memory-child` command), because the peak of a process only
//! ever grows. The parent seeds Redis; the child only connects, notes its
//! peak so far (the baseline), runs the one operation, and reports.

use std::num::NonZeroUsize;
use std::process::Command;
use std::time::Instant;

use futures_util::TryStreamExt;
use rels_session::Users;

use crate::BenchResult;
use crate::fixture::{connect, seed_flag, seed_index, seed_sessions, user_id};
use crate::pin::pin_thread;
use crate::server::BenchRedis;
use crate::store::our_store;

/// The user whose sessions are listed.
const LISTED_USER: u64 = 7;

/// What a child measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub(crate) enum Task {
    /// Stream this many sessions with `Store::stream`.
    Stream,
    /// List a user with this many sessions with `Users::list`.
    List,
}

/// What one child reported.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Peak {
    pub(crate) task: String,
    pub(crate) sessions: u64,
    /// Peak RSS once connected, before the operation, in KiB.
    pub(crate) baseline_kib: u64,
    /// Peak RSS at the end, in KiB.
    pub(crate) peak_kib: u64,
    pub(crate) seconds: f64,
}

impl Peak {
    /// Sessions handled per second.
    pub(crate) fn rate(&self) -> f64 {
        self.sessions as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }
}

/// How much data the memory measurements use.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct Sizes {
    /// Sessions in Redis, all streamed by the largest child.
    pub(crate) stream: u64,
    /// Sessions of the listed user.
    pub(crate) list: u64,
}

/// Seeds a server of its own and runs one child per figure: streaming a
/// tenth of the sessions, all of them, and listing the user.
pub(crate) async fn run(
    sizes: Sizes,
    core: Option<usize>,
    redis_core: Option<usize>,
) -> BenchResult<Vec<Peak>> {
    let redis = BenchRedis::start(redis_core)?;
    let url = redis.url(0);
    let mut conn = connect(&url).await?;
    seed_flag(&mut conn).await?;
    seed_sessions(&mut conn, 0, sizes.stream).await?;
    seed_index(
        &mut conn,
        &user_id(LISTED_USER),
        0,
        sizes.list.min(sizes.stream),
    )
    .await?;
    eprintln!("bench: memory: {} sessions seeded", sizes.stream);

    let mut peaks = Vec::new();
    for (task, sessions) in [
        (Task::Stream, sizes.stream / 10),
        (Task::Stream, sizes.stream),
        (Task::List, sizes.list.min(sizes.stream)),
    ] {
        peaks.push(spawn_child(&url, task, sessions, core)?);
    }
    Ok(peaks)
}

fn spawn_child(url: &str, task: Task, sessions: u64, core: Option<usize>) -> BenchResult<Peak> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("memory-child")
        .args(["--url", url])
        .args(["--task", task_name(task)])
        .args(["--sessions", &sessions.to_string()]);
    if let Some(core) = core {
        command.args(["--core", &core.to_string()]);
    }
    let output = command.output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("memory child failed: {stderr}").into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn task_name(task: Task) -> &'static str {
    match task {
        Task::Stream => "stream",
        Task::List => "list",
    }
}

/// The child's side: runs `task` over `sessions` and prints a [`Peak`] as
/// JSON.
pub(crate) fn child(url: &str, task: Task, sessions: u64, core: Option<usize>) -> BenchResult<()> {
    pin_thread(core);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let peak = runtime.block_on(measure(url, task, sessions))?;
    println!("{}", serde_json::to_string(&peak)?);
    Ok(())
}

async fn measure(url: &str, task: Task, sessions: u64) -> BenchResult<Peak> {
    let store = our_store(url, 50).await?;
    let baseline_kib = peak_rss_kib()?;
    let started = Instant::now();
    let handled = match task {
        Task::Stream => stream(&store, sessions).await?,
        Task::List => {
            let listed = Users::new(store).list(&user_id(LISTED_USER), None).await?;
            listed.len() as u64
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    if handled < sessions {
        return Err(format!("expected {sessions} sessions, handled {handled}").into());
    }
    Ok(Peak {
        task: task_name(task).to_owned(),
        sessions: handled,
        baseline_kib,
        peak_kib: peak_rss_kib()?,
        seconds,
    })
}

/// Streams until `wanted` sessions went by, or the end.
async fn stream(store: &rels_session::Store, wanted: u64) -> BenchResult<u64> {
    let batch = NonZeroUsize::new(1_000).expect("1000 is not zero");
    let mut batches = std::pin::pin!(store.stream(None, batch));
    let mut seen = 0;
    while seen < wanted {
        match batches.try_next().await? {
            Some(sessions) => seen += sessions.len() as u64,
            None => break,
        }
    }
    Ok(seen)
}

/// `VmHWM`: the most memory this process has held resident, in KiB.
fn peak_rss_kib() -> BenchResult<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM in /proc/self/status".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_of_this_process_is_above_zero() {
        assert!(peak_rss_kib().unwrap() > 0);
    }
}
