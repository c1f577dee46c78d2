//! `config check`: every problem of the configuration, with its path.
//!
//! Nothing connects to Redis: a valid configuration may still name a
//! server that is down.

use rels_session::Settings;

use crate::cli::{ConfigCommand, Global};
use crate::exit::Failure;
use crate::json::{ConfigReport, ProblemJson};
use crate::output::{Output, table};
use crate::settings::{load_options, source_name};

/// Runs a `config` command.
pub(crate) fn execute(
    global: &Global,
    command: &ConfigCommand,
    output: &Output,
) -> Result<(), Failure> {
    let ConfigCommand::Check { file } = command;
    let options = load_options(global, file.as_deref());
    let source = source_name(&options);
    let problems: Vec<ProblemJson> = Settings::check(&options)
        .into_iter()
        .map(ProblemJson::from)
        .collect();
    let report = ConfigReport {
        ok: problems.is_empty(),
        source: source.clone(),
        problems,
    };
    output.print(&report, |report| human(report, &source))?;
    match report.problems.len() {
        0 => Ok(()),
        count => Err(Failure::Check {
            count,
            source_name: source,
        }),
    }
}

fn human(report: &ConfigReport, source: &str) -> String {
    if report.ok {
        return format!("ok: the configuration from {source} is valid");
    }
    let rows = report
        .problems
        .iter()
        .map(|problem| {
            // An empty path is the file itself (it cannot be read or parsed).
            let path = if problem.path.is_empty() {
                source.to_owned()
            } else {
                problem.path.clone()
            };
            [path, problem.message.clone()]
        })
        .collect();
    table(["PATH", "PROBLEM"], rows)
}
