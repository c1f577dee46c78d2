//! Instruction counts: how many instructions the client executes per
//! operation, under `valgrind --tool=callgrind`. Unlike a timing, the
//! count barely moves when other programs share the machine, so it
//! decides the close calls.
//!
//! Each count runs this binary again (the hidden `count` command) twice,
//! with few and with many operations at one task; the difference divided
//! by the difference in operations leaves out start-up and connecting.
//! Redis's own work is not counted: it runs in its own process.

use std::path::Path;
use std::process::Command;

use crate::BenchResult;
use crate::store::{Factory, Layout, Op, Side};

/// An operation that can be counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub(crate) enum Counted {
    Load,
    Save,
    FindMany,
    List,
    /// Streaming with `SCAN COUNT` 1000; an operation is one batch.
    Stream,
}

impl Counted {
    pub(crate) fn op(self) -> Op {
        match self {
            Self::Load => Op::Load,
            Self::Save => Op::Save,
            Self::FindMany => Op::FindMany,
            Self::List => Op::List,
            Self::Stream => Op::Stream(1_000),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Load => "load",
            Self::Save => "save",
            Self::FindMany => "find-many",
            Self::List => "list",
            Self::Stream => "stream",
        }
    }

    /// How many operations the two counts run: few, then many. Enough
    /// that the difference dwarfs the noise, few enough for valgrind.
    fn ops(self) -> [u64; 2] {
        match self {
            Self::Load | Self::Save => [200, 2_200],
            Self::FindMany | Self::List => [50, 550],
            Self::Stream => [5, 45],
        }
    }

    /// Every counted operation.
    pub(crate) fn all() -> [Self; 5] {
        [
            Self::Load,
            Self::Save,
            Self::FindMany,
            Self::List,
            Self::Stream,
        ]
    }

    /// Every counted operation, with the sides that can do it.
    pub(crate) fn cases() -> Vec<(Self, Side)> {
        let mut cases = Vec::new();
        for op in Self::all() {
            for side in [Side::Raw, Side::Ours, Side::OursOneKey, Side::Peer] {
                if op.op().sides().contains(&side) {
                    cases.push((op, side));
                }
            }
        }
        cases
    }
}

/// Client instructions per operation of one side.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Count {
    pub(crate) op: Counted,
    pub(crate) side: Side,
    pub(crate) instructions_per_op: f64,
    /// The same per session read or written.
    pub(crate) instructions_per_session: f64,
}

/// What one child under callgrind did.
struct Measured {
    instructions: u64,
    /// Sessions its operations handled.
    sessions: u64,
}

/// Counts every case of a `wanted` operation against the data seeded at
/// `urls`. The output files go to `keep` when given, for
/// `callgrind_annotate`; else they are removed.
pub(crate) fn run(
    urls: &[String; 2],
    layout: Layout,
    wanted: impl Fn(Op) -> bool,
    keep: Option<&Path>,
) -> BenchResult<Vec<Count>> {
    let temp = tempfile::Builder::new()
        .prefix("rels-bench-cg-")
        .tempdir()?;
    let dir = match keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir
        }
        None => temp.path(),
    };
    let mut counts = Vec::new();
    for (op, side) in Counted::cases()
        .into_iter()
        .filter(|(op, _)| wanted(op.op()))
    {
        let ops = op.ops();
        let few = valgrind(dir, urls, layout, op, side, ops[0])?;
        let many = valgrind(dir, urls, layout, op, side, ops[1])?;
        let instructions = many.instructions.saturating_sub(few.instructions) as f64;
        let per_op = instructions / (ops[1] - ops[0]) as f64;
        let sessions = many.sessions.saturating_sub(few.sessions).max(1) as f64;
        eprintln!(
            "bench: callgrind: {} {side:?}: {per_op:.0} instructions per op",
            op.name()
        );
        counts.push(Count {
            op,
            side,
            instructions_per_op: per_op,
            instructions_per_session: instructions / sessions,
        });
    }
    Ok(counts)
}

fn valgrind(
    dir: &Path,
    urls: &[String; 2],
    layout: Layout,
    op: Counted,
    side: Side,
    ops: u64,
) -> BenchResult<Measured> {
    let out = dir.join(format!("{}-{side:?}-{ops}.out", op.name()));
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--quiet"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe()?)
        .arg("count")
        .args(["--url", &urls[0], "--stream-url", &urls[1]])
        .args(["--op", op.name(), "--side", side_name(side)])
        .args(["--ops", &ops.to_string()])
        .args(["--pool", &layout.pool.to_string()])
        .output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("valgrind failed counting {} {side:?}: {stderr}", op.name()).into());
    }
    let sessions = String::from_utf8_lossy(&output.stdout).trim().parse()?;
    Ok(Measured {
        instructions: total_instructions(&std::fs::read_to_string(&out)?)?,
        sessions,
    })
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Raw => "raw",
        Side::Ours => "ours",
        Side::OursOneKey => "ours-one-key",
        Side::Peer => "peer",
    }
}

/// The `summary:` (or `totals:`) line of a callgrind output file: every
/// instruction the program executed.
fn total_instructions(out: &str) -> BenchResult<u64> {
    out.lines()
        .find_map(|line| {
            let rest = line
                .strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .ok_or_else(|| "no summary line in the callgrind output".into())
}

/// The child's side: `ops` operations from one task; prints how many
/// sessions they handled.
pub(crate) fn child(
    urls: [String; 2],
    layout: Layout,
    op: Counted,
    side: Side,
    ops: u64,
) -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let factory = Factory::new(urls, layout, None);
        let mut workers = factory.workers(op.op(), side, 1).await?;
        let worker = workers.first_mut().ok_or("no worker")?;
        let mut sessions = 0;
        for _ in 0..ops {
            sessions += worker.step().await?;
        }
        println!("{sessions}");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_gives_the_total() {
        let out = "events: Ir\nfl=x\n1 2\nsummary: 123456\ntotals: 123456\n";
        assert_eq!(total_instructions(out).unwrap(), 123_456);
    }

    #[test]
    fn the_peer_is_counted_only_where_it_can_go() {
        let cases = Counted::cases();
        assert_eq!(cases.len(), 14);
        assert!(!cases.contains(&(Counted::List, Side::Peer)));
    }
}
