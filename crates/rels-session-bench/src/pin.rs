//! Pinning threads and processes to cores.
//!
//! By default the client under test and `redis-server` share one core
//! (`same`): on a small virtual machine a wake-up across cores costs tens
//! of microseconds, more than a whole round trip on one core, and the
//! other core is left to whatever else runs on the machine. `split` gives
//! each its own core; `none` leaves placement to the scheduler.

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// How the client and `redis-server` are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub(crate) enum Mode {
    /// Each on a core of its own.
    Split,
    /// Both on the same core.
    Same,
    /// Not pinned.
    None,
}

/// Which core each side runs on, or `None` when nothing is pinned.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct Cores {
    /// The benchmark client: our library, the raw client, tower-sessions;
    /// the HTTP server under test.
    pub(crate) client: usize,
    /// `redis-server`, and the HTTP load generator.
    pub(crate) server: usize,
}

impl Cores {
    /// The cores for `mode`, among those this process may run on; `None`
    /// when nothing is to be pinned or `split` finds fewer than two.
    pub(crate) fn choose(mode: Mode) -> Option<Self> {
        let allowed = sched_getaffinity(Pid::from_raw(0)).ok()?;
        let mut cores = (0..CpuSet::count()).filter(|&c| allowed.is_set(c).unwrap_or(false));
        let client = cores.next()?;
        match mode {
            Mode::Split => Some(Self {
                client,
                server: cores.next()?,
            }),
            Mode::Same => Some(Self {
                client,
                server: client,
            }),
            Mode::None => None,
        }
    }
}

/// Pins the calling thread to `core`. A failure only costs precision, so
/// it is reported and the run goes on.
pub(crate) fn pin_thread(core: Option<usize>) {
    pin(Pid::from_raw(0), core);
}

/// Pins every thread of process `pid` to `core`.
pub(crate) fn pin_process(pid: u32, core: Option<usize>) {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"));
    let threads: Vec<i32> = match tasks {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect(),
        Err(err) => {
            eprintln!("bench: cannot list the threads of pid {pid}: {err}");
            return;
        }
    };
    for thread in threads {
        pin(Pid::from_raw(thread), core);
    }
}

fn pin(pid: Pid, core: Option<usize>) {
    let Some(core) = core else { return };
    let mut set = CpuSet::new();
    let pinned = set.set(core).and_then(|()| sched_setaffinity(pid, &set));
    if let Err(err) = pinned {
        eprintln!("bench: could not pin to core {core}: {err}");
    }
}
