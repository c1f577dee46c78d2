//! `stats` and `stats reconcile`: the gem's session counter, and
//! recounting it.

use rels_session::Totals;

use crate::cli::{Global, StatsCommand};
use crate::exit::Failure;
use crate::json::TotalsJson;
use crate::output::{Output, cell, table};
use crate::settings::connect_users;

/// Runs `stats`, or `stats reconcile`.
pub(crate) async fn execute(
    global: &Global,
    command: Option<&StatsCommand>,
    output: &Output,
) -> Result<(), Failure> {
    let users = connect_users(global).await?;
    let totals = match command {
        None => users.totals().await?,
        Some(StatsCommand::Reconcile) => {
            // The library scans and counts on its own: the indicator can
            // only say that it is busy.
            let _progress = output.progress("recounting sessions");
            users.reconcile().await?
        }
    };
    print(totals, output)
}

fn print(totals: Totals, output: &Output) -> Result<(), Failure> {
    output.print(&TotalsJson::from(totals), |totals| {
        let rows = vec![
            [
                "total_sessions".to_owned(),
                totals.total_sessions.to_string(),
            ],
            [
                "last_updated_at".to_owned(),
                cell(totals.last_updated_at.as_deref()),
            ],
        ];
        table(["STAT", "VALUE"], rows)
    })
}
