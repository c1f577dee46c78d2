//! Where results go: one JSON document or an aligned table on stdout, and
//! a progress indicator on stderr while a scan runs.
//!
//! The indicator shows only when stderr is a terminal and `--json` is off,
//! so pipes, files and scripts never see it.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use comfy_table::{Table, presets};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::exit::Failure;

/// What an empty cell shows.
pub(crate) const NONE: &str = "-";

/// How the results of this run are printed.
#[derive(Debug)]
pub(crate) struct Output {
    json: bool,
    progress: bool,
}

impl Output {
    /// Output as `--json` says; progress only on a terminal.
    pub(crate) fn new(json: bool) -> Self {
        Self {
            json,
            progress: !json && io::stderr().is_terminal(),
        }
    }

    /// Prints `document` as JSON on one line, when `--json` is on, or else
    /// the table `human` makes of it.
    pub(crate) fn print<T: Serialize>(
        &self,
        document: &T,
        human: impl FnOnce(&T) -> String,
    ) -> Result<(), Failure> {
        let mut out = io::stdout().lock();
        if self.json {
            serde_json::to_writer(&mut out, document)?;
            writeln!(out).map_err(Failure::Output)?;
        } else {
            let text = human(document);
            write!(out, "{text}").map_err(Failure::Output)?;
            if !text.is_empty() && !text.ends_with('\n') {
                writeln!(out).map_err(Failure::Output)?;
            }
        }
        out.flush().map_err(Failure::Output)
    }

    /// A progress indicator for a scan, labelled `what`; hidden unless
    /// stderr is a terminal and `--json` is off.
    pub(crate) fn progress(&self, what: &str) -> Progress {
        if !self.progress {
            return Progress(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {msg} {human_pos}")
            .expect("the template is a constant known to be valid");
        bar.set_style(style);
        bar.set_message(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(bar)
    }
}

/// A progress indicator on stderr; it disappears when dropped.
#[derive(Debug)]
pub(crate) struct Progress(ProgressBar);

impl Progress {
    /// Counts `n` more items.
    pub(crate) fn add(&self, n: usize) {
        self.0.inc(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A table with a header row and columns aligned by spaces, without
/// borders, so that it reads well and `awk` can split it.
pub(crate) fn table<const N: usize>(header: [&str; N], rows: Vec<[String; N]>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(header);
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let text = table.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n")
}

/// A cell for an optional value.
pub(crate) fn cell(value: Option<&str>) -> String {
    value.unwrap_or(NONE).to_owned()
}

/// A time to live for people: `13d 23h`, `59m 10s`, `-` when unknown.
pub(crate) fn ttl(seconds: Option<u64>) -> String {
    let Some(seconds) = seconds else {
        return NONE.to_owned();
    };
    const UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let Some(first) = UNITS.iter().position(|(_, size)| seconds >= *size) else {
        return "0s".to_owned();
    };
    let (name, size) = UNITS[first];
    let mut text = format!("{}{name}", seconds / size);
    // The next smaller unit, when there is some of it: "13d 23h", "1d".
    if let Some((next, next_size)) = UNITS.get(first + 1) {
        let rest = seconds % size / next_size;
        if rest > 0 {
            text.push_str(&format!(" {rest}{next}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_as_the_two_largest_units() {
        assert_eq!(ttl(Some(1_209_599)), "13d 23h");
        assert_eq!(ttl(Some(3_550)), "59m 10s");
        assert_eq!(ttl(Some(86_400)), "1d");
        assert_eq!(ttl(Some(86_430)), "1d");
        assert_eq!(ttl(Some(0)), "0s");
        assert_eq!(ttl(None), "-");
    }

    #[test]
    fn tables_are_aligned_without_borders() {
        let text = table(
            ["HANDLE", "N"],
            vec![
                ["h_1".to_owned(), "1".to_owned()],
                ["h_long".to_owned(), "22".to_owned()],
            ],
        );
        assert_eq!(text, "HANDLE  N\nh_1     1\nh_long  22");
    }
}
