//! The report: every figure of a run as Markdown tables, the goals with
//! the achieved figure beside each, and the conditions they were taken
//! under. Each figure is the median over runs; each ratio is the median
//! of the ratios taken within one run.

use std::fmt::Write as _;

use rels_session::web::Refresh;

use crate::callgrind::{Count, Counted};
use crate::http::{App, HttpRow, Route};
use crate::measure::Sample;
use crate::memory::Peak;
use crate::pin::Cores;
use crate::stats::median;
use crate::store::{Op, Row, Side};

/// The most a load or save may cost over the floor: 1.2 times its time.
const FLOOR_GOAL: f64 = 1.2;
/// Sessions per second that streaming must reach.
const STREAM_GOAL: f64 = 300_000.0;

/// Everything one run of the suite measured.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Report {
    pub(crate) conditions: Conditions,
    pub(crate) store: Vec<Row>,
    pub(crate) http: Vec<HttpRow>,
    pub(crate) memory: Vec<Peak>,
    pub(crate) callgrind: Vec<Count>,
}

/// Under which conditions the figures were taken.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Conditions {
    pub(crate) command: String,
    pub(crate) smoke: bool,
    pub(crate) runs: usize,
    pub(crate) seconds: f64,
    pub(crate) warmup: f64,
    pub(crate) tasks: Vec<usize>,
    pub(crate) stream_sessions: u64,
    pub(crate) memory_sessions: u64,
    pub(crate) list_sessions: u64,
    pub(crate) http_connections: usize,
    /// Our `max_in_flight` in the store benchmarks; `None`: no cap.
    pub(crate) max_in_flight: Option<u32>,
    pub(crate) cores: Option<Cores>,
    pub(crate) cpus: usize,
    pub(crate) cpu_model: String,
    pub(crate) redis_version: String,
    pub(crate) load_before: String,
    pub(crate) load_after: String,
    pub(crate) seconds_total: f64,
}

impl Report {
    /// A report with nothing measured yet.
    pub(crate) fn new(conditions: Conditions) -> Self {
        Self {
            conditions,
            store: Vec::new(),
            http: Vec::new(),
            memory: Vec::new(),
            callgrind: Vec::new(),
        }
    }

    /// The whole report as Markdown.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        self.write_conditions(&mut out);
        self.write_goals(&mut out);
        if !self.store.is_empty() {
            write_store(&mut out, &self.store);
        }
        if !self.http.is_empty() {
            write_http(&mut out, &self.http);
        }
        if !self.memory.is_empty() {
            write_memory(&mut out, &self.memory);
        }
        if !self.callgrind.is_empty() {
            write_callgrind(&mut out, &self.callgrind);
        }
        out
    }

    fn write_conditions(&self, out: &mut String) {
        let c = &self.conditions;
        let pinning = match c.cores {
            Some(cores) if cores.client == cores.server => format!(
                "everything on core {}: client, redis-server, HTTP server and \
                 load generator",
                cores.client
            ),
            Some(cores) => format!(
                "client (and HTTP server) on core {}, redis-server (and HTTP \
                 load generator) on core {}",
                cores.client, cores.server
            ),
            None => "none".to_owned(),
        };
        let _ = writeln!(out, "### Conditions\n");
        let _ = writeln!(
            out,
            "- command: `{}`{}",
            c.command,
            if c.smoke {
                " (smoke run: sizes cut down, not figures to quote)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "- machine: {} CPUs ({}), redis-server {}",
            c.cpus, c.cpu_model, c.redis_version
        );
        let _ = writeln!(
            out,
            "- load average (1, 5, 15 min) before: {}; after: {}",
            c.load_before, c.load_after
        );
        let _ = writeln!(out, "- pinning: {pinning}");
        let _ = writeln!(
            out,
            "- each figure: median of {} run{} of {:.1} s after {:.1} s of \
             warm-up; ratios: median of the per-run ratios",
            c.runs,
            if c.runs == 1 { "" } else { "s" },
            c.seconds,
            c.warmup
        );
        let cap = c
            .max_in_flight
            .map_or_else(|| "none (the default)".to_owned(), |n| n.to_string());
        let _ = writeln!(out, "- rels-session's cap on requests in flight: {cap}");
        let _ = writeln!(
            out,
            "- sizes: tasks {:?}; stream {} sessions; memory: stream {} \
             sessions, list {}; HTTP {} connections",
            c.tasks, c.stream_sessions, c.memory_sessions, c.list_sessions, c.http_connections
        );
        let _ = writeln!(out, "- the whole suite took {:.0} s\n", c.seconds_total);
    }

    fn write_goals(&self, out: &mut String) {
        let mut lines = Vec::new();
        for op in [Op::Load, Op::Save] {
            for (tasks, ratio) in ratios(&self.store, op, Side::Raw, Side::Ours) {
                lines.push(goal_line(
                    "within 1.2x of the raw floor",
                    &format!("{op:?}, {}", tasks_label(tasks)),
                    &format!("{}x the floor's time", shown(ratio, FLOOR_GOAL)),
                    Verdict::from(ratio <= FLOOR_GOAL),
                ));
            }
        }
        for op in [Op::Load, Op::Save] {
            for ours in [Side::Ours, Side::OursOneKey] {
                for (tasks, ratio) in ratios(&self.store, op, ours, Side::Peer) {
                    // tower-sessions keeps one key per session; the gem's
                    // `sid_type: both` keeps two, so only the one-key side
                    // does the same work.
                    let verdict = if ours == Side::OursOneKey {
                        Verdict::from(ratio > 1.0)
                    } else {
                        Verdict::NotComparable
                    };
                    lines.push(goal_line(
                        "ahead of tower-sessions",
                        &format!("{op:?}, {}, {}", tasks_label(tasks), side_name(ours)),
                        &format!("{}x its ops/s", shown(ratio, 1.0)),
                        verdict,
                    ));
                }
            }
        }
        for (route, ours, peer, ratio) in http_pairs(&self.http) {
            lines.push(goal_line(
                "ahead of tower-sessions",
                &format!("HTTP {route:?}: {ours} vs {peer}"),
                &format!("{}x its requests/s", shown(ratio, 1.0)),
                Verdict::from(ratio > 1.0),
            ));
        }
        for row in self
            .store
            .iter()
            .filter(|r| matches!(r.op, Op::Stream(_)) && r.side == Side::Ours)
        {
            let rate = sessions_per_sec(&row.runs);
            let floor = self
                .store
                .iter()
                .find(|r| r.op == row.op && r.tasks == row.tasks && r.side == Side::Raw)
                .map_or(String::new(), |r| {
                    format!(" (floor: {:.0})", sessions_per_sec(&r.runs))
                });
            lines.push(goal_line(
                "streaming ≥ 300,000 sessions/s",
                &format!("{}, {}", row.label, tasks_label(row.tasks)),
                &format!("{rate:.0} sessions/s{floor}"),
                Verdict::from(rate >= STREAM_GOAL),
            ));
        }
        if let Some((growth, line)) = memory_growth(&self.memory) {
            lines.push(goal_line(
                "memory flat in sessions streamed",
                "peak RSS, streaming",
                &line,
                Verdict::from(growth),
            ));
        }

        let _ = writeln!(out, "### Goals\n");
        if lines.is_empty() {
            let _ = writeln!(out, "No measurement of this run has a goal.\n");
            return;
        }
        let _ = writeln!(out, "| goal | row | achieved | met |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
}

/// Whether a row meets its goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Met,
    Missed,
    /// The row does other work than what it is compared with.
    NotComparable,
}

impl From<bool> for Verdict {
    fn from(met: bool) -> Self {
        if met { Self::Met } else { Self::Missed }
    }
}

/// `ratio` with two decimals, or three where two would round it onto
/// `limit` and hide which side of the goal it is on.
fn shown(ratio: f64, limit: f64) -> String {
    let two = format!("{ratio:.2}");
    if two == format!("{limit:.2}") && ratio != limit {
        format!("{ratio:.3}")
    } else {
        two
    }
}

fn tasks_label(tasks: usize) -> String {
    if tasks == 1 {
        "1 task".to_owned()
    } else {
        format!("{tasks} tasks")
    }
}

fn sessions_per_sec(runs: &[Sample]) -> f64 {
    median(&runs.iter().map(|s| s.items_per_sec).collect::<Vec<_>>())
}

fn goal_line(goal: &str, row: &str, achieved: &str, verdict: Verdict) -> String {
    let met = match verdict {
        Verdict::Met => "yes",
        Verdict::Missed => "**no**",
        Verdict::NotComparable => "not comparable: two keys per session against its one",
    };
    format!("| {goal} | {row} | {achieved} | {met} |")
}

/// Per tasks count, the median over runs of `top`'s ops/s divided by
/// `bottom`'s, for `op`. Runs pair up by their index.
fn ratios(rows: &[Row], op: Op, top: Side, bottom: Side) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.op == op && r.side == top) {
        let other = rows
            .iter()
            .find(|r| r.op == op && r.side == bottom && r.tasks == row.tasks);
        if let Some(other) = other {
            out.push((row.tasks, ratio_of(&row.runs, &other.runs)));
        }
    }
    out
}

fn ratio_of(top: &[Sample], bottom: &[Sample]) -> f64 {
    let per_run: Vec<f64> = top
        .iter()
        .zip(bottom)
        .map(|(t, b)| t.ops_per_sec / b.ops_per_sec)
        .collect();
    median(&per_run)
}

/// The HTTP rows where our layer and tower-sessions do the same work:
/// no TTL refresh on a read, or a sliding expiry.
fn http_pairs(rows: &[HttpRow]) -> Vec<(Route, &'static str, &'static str, f64)> {
    let pairs = [
        (
            App::Ours(Refresh::OnChange),
            App::Peer { always_save: false },
        ),
        (App::Ours(Refresh::OnLoad), App::Peer { always_save: true }),
    ];
    let mut out = Vec::new();
    for route in [Route::Read, Route::Write] {
        for (ours, peer) in pairs {
            let find = |app| rows.iter().find(|r| r.app == app && r.route == route);
            if let (Some(o), Some(p)) = (find(ours), find(peer)) {
                out.push((route, o.label, p.label, ratio_of(&o.runs, &p.runs)));
            }
        }
    }
    out
}

/// Whether the peak RSS stayed flat from streaming a tenth of the sessions
/// to streaming all of them: it may grow by 1 MiB plus 5%, no more.
fn memory_growth(peaks: &[Peak]) -> Option<(bool, String)> {
    let mut streams: Vec<&Peak> = peaks.iter().filter(|p| p.task == "stream").collect();
    streams.sort_by_key(|p| p.sessions);
    let (first, last) = (streams.first()?, streams.last()?);
    let growth = last.peak_kib.saturating_sub(first.peak_kib);
    let flat = growth <= first.peak_kib / 20 + 1_024;
    let line = format!(
        "{} sessions: {:.1} MiB; {} sessions: {:.1} MiB",
        first.sessions,
        mib(first.peak_kib),
        last.sessions,
        mib(last.peak_kib)
    );
    Some((flat, line))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1_024.0
}

struct Medians {
    ops: f64,
    items: f64,
    p50: f64,
    p99: f64,
    commands: f64,
    breakdown: String,
}

fn medians(runs: &[Sample]) -> Medians {
    let of = |f: fn(&Sample) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let breakdown = runs
        .first()
        .map(|s| {
            s.commands
                .iter()
                .filter(|(_, n)| **n >= 0.005)
                .map(|(name, n)| format!("{name} {}", trim(*n)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Medians {
        ops: of(|s| s.ops_per_sec),
        items: of(|s| s.items_per_sec),
        p50: of(|s| s.p50_us),
        p99: of(|s| s.p99_us),
        commands: of(|s| s.commands_per_op),
        breakdown,
    }
}

/// A count per operation, with no trailing zeros: `2`, `0.5`, `1.02`.
fn trim(n: f64) -> String {
    let text = format!("{n:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Raw => "raw redis (floor)",
        Side::Ours => "rels-session",
        Side::OursOneKey => "rels-session, sid_type private_id",
        Side::Peer => "tower-sessions",
    }
}

fn write_store(out: &mut String, rows: &[Row]) {
    let _ = writeln!(out, "### Store operations\n");
    let _ = writeln!(
        out,
        "`vs floor`: the floor's ops/s over ours, so our time per \
         operation in floor times (goal for load and save: ≤ 1.2). \
         `vs tower`: our ops/s over tower-sessions' (> 1: ahead).\n"
    );
    let _ = writeln!(
        out,
        "| operation | tasks | side | ops/s | sessions/s | p50 µs | p99 µs \
         | Redis cmds/op | commands | vs floor | vs tower |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
    );
    for row in rows {
        let m = medians(&row.runs);
        let ratio = |top, bottom| {
            ratios(rows, row.op, top, bottom)
                .into_iter()
                .find(|(t, _)| *t == row.tasks)
                .map_or(String::new(), |(_, r)| format!("{r:.2}"))
        };
        let (vs_floor, vs_peer) = match row.side {
            // The floor sends both keys, as the default does.
            Side::Ours => (ratio(Side::Raw, Side::Ours), ratio(Side::Ours, Side::Peer)),
            Side::OursOneKey => (String::new(), ratio(Side::OursOneKey, Side::Peer)),
            _ => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {vs_floor} | {vs_peer} |",
            row.label,
            row.tasks,
            side_name(row.side),
            m.ops,
            m.items,
            m.p50,
            m.p99,
            trim(m.commands),
            m.breakdown,
        );
    }
    out.push('\n');
}

fn write_http(out: &mut String, rows: &[HttpRow]) {
    let _ = writeln!(out, "### HTTP\n");
    let _ = writeln!(
        out,
        "`vs no sessions`: requests/s over the app without sessions.\n"
    );
    let _ = writeln!(
        out,
        "| request | app | connections | requests/s | p50 µs | p99 µs \
         | Redis cmds/request | commands | vs no sessions |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
    );
    for row in rows {
        let m = medians(&row.runs);
        let plain = rows
            .iter()
            .find(|r| r.app == App::Plain && r.route == row.route)
            .map_or(String::new(), |p| {
                format!("{:.2}", ratio_of(&row.runs, &p.runs))
            });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {plain} |",
            row.route.path(),
            row.label,
            row.connections,
            m.ops,
            m.p50,
            m.p99,
            trim(m.commands),
            m.breakdown,
        );
    }
    out.push('\n');
}

fn write_memory(out: &mut String, peaks: &[Peak]) {
    let _ = writeln!(out, "### Memory\n");
    let _ = writeln!(
        out,
        "Peak RSS (`VmHWM`) of a fresh process; the baseline is its peak \
         once connected, before the operation.\n"
    );
    let _ = writeln!(
        out,
        "| operation | sessions | baseline MiB | peak MiB | growth MiB | seconds | sessions/s |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for p in peaks {
        let what = if p.task == "stream" {
            "Store::stream"
        } else {
            "Users::list"
        };
        let _ = writeln!(
            out,
            "| {what} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.0} |",
            p.sessions,
            mib(p.baseline_kib),
            mib(p.peak_kib),
            mib(p.peak_kib.saturating_sub(p.baseline_kib)),
            p.seconds,
            p.rate(),
        );
    }
    out.push('\n');
}

fn write_callgrind(out: &mut String, counts: &[Count]) {
    let _ = writeln!(
        out,
        "### Client instructions (callgrind, 1 task)\n\n\
         Per operation, and per session for operations on many (a stream \
         operation is one batch). `one key`: rels-session with `sid_type: \
         private_id`.\n"
    );
    let _ = writeln!(
        out,
        "| operation | raw redis (floor) | rels-session | one key | \
         tower-sessions | ours ÷ floor | ours ÷ tower | one key ÷ tower | \
         per session: floor | per session: ours |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for op in Counted::all() {
        let of = |side| counts.iter().find(|c| c.op == op && c.side == side);
        let per_op = |side| of(side).map(|c| c.instructions_per_op);
        let Some(ours) = per_op(Side::Ours) else {
            continue;
        };
        let (raw, one, peer) = (
            per_op(Side::Raw),
            per_op(Side::OursOneKey),
            per_op(Side::Peer),
        );
        let per_session = |side| match op {
            Counted::Load | Counted::Save => String::new(),
            _ => cell(of(side).map(|c| c.instructions_per_session)),
        };
        let _ = writeln!(
            out,
            "| {op:?} | {} | {ours:.0} | {} | {} | {} | {} | {} | {} | {} |",
            cell(raw),
            cell(one),
            cell(peer),
            div(Some(ours), raw),
            div(Some(ours), peer),
            div(one, peer),
            per_session(Side::Raw),
            per_session(Side::Ours),
        );
    }
    out.push('\n');
}

/// A count, or a dash where there is none.
fn cell(value: Option<f64>) -> String {
    value.map_or("–".to_owned(), |v| format!("{v:.0}"))
}

/// `top / bottom` with two decimals, or a dash.
fn div(top: Option<f64>, bottom: Option<f64>) -> String {
    match (top, bottom) {
        (Some(top), Some(bottom)) if bottom > 0.0 => format!("{:.2}", top / bottom),
        _ => "–".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lose_their_trailing_zeros() {
        assert_eq!(trim(2.0), "2");
        assert_eq!(trim(0.5), "0.5");
        assert_eq!(trim(1.016), "1.02");
    }

    #[test]
    fn a_ratio_that_rounds_onto_its_goal_shows_a_third_decimal() {
        assert_eq!(shown(1.204, 1.2), "1.204");
        assert_eq!(shown(1.196, 1.2), "1.196");
        assert_eq!(shown(1.2, 1.2), "1.20");
        assert_eq!(shown(1.31, 1.2), "1.31");
        assert_eq!(shown(0.997, 1.0), "0.997");
    }

    #[test]
    fn a_report_without_goals_says_so_instead_of_an_empty_table() {
        let conditions = Conditions {
            command: "rels-session-bench --parts callgrind".to_owned(),
            smoke: false,
            runs: 1,
            seconds: 0.5,
            warmup: 0.0,
            tasks: vec![1],
            stream_sessions: 1,
            memory_sessions: 1,
            list_sessions: 1,
            http_connections: 1,
            max_in_flight: Some(20),
            cores: None,
            cpus: 2,
            cpu_model: "test".to_owned(),
            redis_version: "7".to_owned(),
            load_before: String::new(),
            load_after: String::new(),
            seconds_total: 1.0,
        };
        let text = Report::new(conditions).markdown();
        assert!(
            text.contains("No measurement of this run has a goal."),
            "{text}"
        );
        assert!(!text.contains("| goal |"), "{text}");
        assert!(text.contains("median of 1 run of"), "{text}");
        assert!(text.contains("cap on requests in flight: 20"), "{text}");
    }
}
