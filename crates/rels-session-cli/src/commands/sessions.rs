//! `sessions count`, `list`, `show` and `delete`: every stored session,
//! signed in or not, found by scanning the store.

use std::num::NonZeroUsize;

use futures_util::TryStreamExt;
use rels_session::{Meta, SessionRef, Stage, Store};

use crate::cli::{Global, SessionsCommand};
use crate::confirm::confirm;
use crate::exit::Failure;
use crate::find::find_handle;
use crate::json::{Count, MetaJson, RevokeReport, SessionList, SessionRow, Shown};
use crate::mask::{masked_payload, revealed_payload};
use crate::output::{Output, cell, table, ttl};
use crate::settings::connect;
use crate::target::Target;

/// Sessions read with one `MGET`: big enough to keep round trips few,
/// small enough to keep memory flat.
const BATCH: NonZeroUsize = NonZeroUsize::new(500).expect("500 is not zero");

/// Runs a `sessions` command.
pub(crate) async fn execute(
    global: &Global,
    command: &SessionsCommand,
    output: &Output,
) -> Result<(), Failure> {
    match command {
        SessionsCommand::Count { stage } => count(global, *stage, output).await,
        SessionsCommand::List { stage, limit } => list(global, *stage, *limit, output).await,
        SessionsCommand::Show { session, reveal } => {
            show(global, &Target::parse(session)?, *reveal, output).await
        }
        SessionsCommand::Delete { session, yes } => {
            delete(global, &Target::parse(session)?, *yes, output).await
        }
    }
}

async fn count(global: &Global, stage: Option<Stage>, output: &Output) -> Result<(), Failure> {
    let store = connect(global).await?;
    let progress = output.progress("counting sessions");
    let mut count = 0;
    match stage {
        // Without a stage, the scan alone counts: no payload is read.
        None => {
            let mut pages = std::pin::pin!(store.scan());
            while let Some(page) = pages.try_next().await? {
                progress.add(page.len());
                count += page.len();
            }
        }
        Some(_) => {
            let mut batches = std::pin::pin!(store.stream(stage, BATCH));
            while let Some(batch) = batches.try_next().await? {
                progress.add(batch.len());
                count += batch.len();
            }
        }
    }
    drop(progress);
    let document = Count {
        count: u64::try_from(count).unwrap_or(u64::MAX),
        stage: stage.map(Stage::as_str),
    };
    output.print(&document, |count| match count.stage {
        Some(stage) => format!("{} {stage} sessions", count.count),
        None => format!("{} sessions", count.count),
    })
}

async fn list(
    global: &Global,
    stage: Option<Stage>,
    limit: Option<u64>,
    output: &Output,
) -> Result<(), Failure> {
    let store = connect(global).await?;
    let limit = limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let progress = output.progress("listing sessions");
    let mut rows = Vec::new();
    let mut batches = std::pin::pin!(store.stream(stage, BATCH));
    while rows.len() < limit {
        let Some(mut batch) = batches.try_next().await? else {
            break;
        };
        batch.truncate(limit - rows.len());
        let refs: Vec<SessionRef> = batch.iter().map(|s| s.session.clone()).collect();
        let ttls = store.ttls(&refs).await?;
        for (session, ttl) in batch.iter().zip(ttls) {
            let meta = Meta::from_record(&session.record).map(|read| read.meta);
            let handle = session.session.handle();
            rows.push(SessionRow::new(&handle, session.stage, ttl, meta.as_ref()));
        }
        progress.add(batch.len());
    }
    drop(progress);
    output.print(&SessionList { sessions: rows }, |list| {
        session_table(&list.sessions)
    })
}

async fn show(
    global: &Global,
    target: &Target,
    reveal: bool,
    output: &Output,
) -> Result<(), Failure> {
    let store = connect(global).await?;
    let session = found(&store, target, output).await?;
    let text = store
        .peek_ref(&session)
        .await?
        .ok_or_else(|| not_found(target))?;
    let ttl = store.ttls(std::slice::from_ref(&session)).await?;

    let known = match target {
        Target::Public(id) => Some(id),
        Target::Handle(_) => None,
    };
    let payload = if reveal {
        revealed_payload(&text)
    } else {
        masked_payload(&text, known)
    };
    let document = Shown {
        handle: session.handle().to_string(),
        stage: Stage::of_payload(text.as_bytes()).map(Stage::as_str),
        ttl: ttl.first().copied().flatten().map(|ttl| ttl.as_secs()),
        session: payload,
    };
    output.print(&document, show_human)
}

/// The session `target` names, by scanning; not found is a failure.
async fn found(store: &Store, target: &Target, output: &Output) -> Result<SessionRef, Failure> {
    let progress = output.progress("scanning sessions");
    let session = find_handle(store, &target.handle(), &progress).await?;
    session.ok_or_else(|| not_found(target))
}

fn not_found(target: &Target) -> Failure {
    Failure::NotFound(format!("no session with {}", target.describe()))
}

fn show_human(shown: &Shown) -> String {
    let payload = shown.session.as_ref().map_or_else(
        || "(not a JSON object; shown only with --reveal)".to_owned(),
        |raw| raw.get().to_owned(),
    );
    let rows = vec![
        ["handle".to_owned(), shown.handle.clone()],
        ["stage".to_owned(), cell(shown.stage)],
        ["ttl".to_owned(), ttl(shown.ttl)],
    ];
    let header = table(["FIELD", "VALUE"], rows);
    format!("{header}\n\n{payload}")
}

async fn delete(
    global: &Global,
    target: &Target,
    yes: bool,
    output: &Output,
) -> Result<(), Failure> {
    let handle = target.handle();
    confirm(&format!("Delete session {handle}?"), yes)?;
    let store = connect(global).await?;
    let deleted = match target {
        Target::Public(id) => store.delete(id).await?,
        Target::Handle(_) => match found(&store, target, output).await {
            Ok(session) => store.delete_refs(&[session]).await? > 0,
            Err(Failure::NotFound(_)) => false,
            Err(other) => return Err(other),
        },
    };
    let mut report = RevokeReport::default();
    if deleted {
        report.revoked.push(handle.to_string());
    } else {
        report.not_found.push(handle.to_string());
    }
    print_revoked(&report, output)?;
    if deleted {
        Ok(())
    } else {
        Err(not_found(target))
    }
}

/// Prints what a delete or a revoke did.
pub(super) fn print_revoked(report: &RevokeReport, output: &Output) -> Result<(), Failure> {
    output.print(report, |report| {
        let revoked = report
            .revoked
            .iter()
            .map(|h| [h.clone(), "revoked".to_owned()]);
        let missing = report
            .not_found
            .iter()
            .map(|h| [h.clone(), "not found".to_owned()]);
        table(["HANDLE", "RESULT"], revoked.chain(missing).collect())
    })
}

/// The table of a session listing, shared with `user sessions`.
pub(super) fn session_table(rows: &[SessionRow]) -> String {
    let rows = rows
        .iter()
        .map(|row| {
            let meta = row.meta.as_ref();
            let field = |pick: fn(&MetaJson) -> Option<&str>| cell(meta.and_then(pick));
            [
                row.handle.clone(),
                row.stage.to_owned(),
                ttl(row.ttl),
                field(|m| m.ip.as_deref()),
                field(|m| m.browser.as_deref()),
                field(|m| m.os.as_deref()),
                field(|m| m.device_name.as_deref().or(m.device_type.as_deref())),
                field(|m| m.client_platform.as_deref()),
                field(|m| m.created_at.as_deref()),
                field(|m| m.updated_at.as_deref()),
            ]
        })
        .collect();
    let header = [
        "HANDLE", "STAGE", "TTL", "IP", "BROWSER", "OS", "DEVICE", "PLATFORM", "CREATED", "UPDATED",
    ];
    table(header, rows)
}
