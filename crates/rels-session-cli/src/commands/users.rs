//! `users list` and `user sessions`, `user revoke`, `user revoke-all`: the
//! per-user view, through the users' indexes.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use rels_session::{Handle, SessionRef, UserId, UserSession, Users};

use super::sessions::{print_revoked, session_table};
use crate::cli::{Global, UserCommand, UsersCommand};
use crate::confirm::confirm;
use crate::exit::Failure;
use crate::find::find_handles;
use crate::json::{RevokeReport, SessionRow, UserList, UserRow, UserSessions};
use crate::output::{Output, table};
use crate::settings::connect_users;
use crate::target;

/// Runs a `users` command.
pub(crate) async fn execute_users(
    global: &Global,
    command: &UsersCommand,
    output: &Output,
) -> Result<(), Failure> {
    let UsersCommand::List = command;
    let users = connect_users(global).await?;
    let progress = output.progress("counting users' sessions");
    let mut rows = Vec::new();
    let mut pages = std::pin::pin!(users.scan_users());
    while let Some(page) = pages.try_next().await? {
        for user in page {
            let sessions = users.live_count(&user).await?;
            rows.push(UserRow {
                uuid: user.to_string(),
                sessions,
            });
            progress.add(1);
        }
    }
    drop(progress);
    // SCAN may return a key twice; each user is listed once.
    rows.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    rows.dedup_by(|a, b| a.uuid == b.uuid);
    output.print(&UserList { users: rows }, |list| {
        let rows = list
            .users
            .iter()
            .map(|row| [row.uuid.clone(), row.sessions.to_string()])
            .collect();
        table(["USER", "SESSIONS"], rows)
    })
}

/// Runs a `user` command.
pub(crate) async fn execute_user(
    global: &Global,
    command: &UserCommand,
    output: &Output,
) -> Result<(), Failure> {
    match command {
        UserCommand::Sessions { user } => sessions(global, &target::user(user)?, output).await,
        UserCommand::Revoke { user, handles, yes } => {
            let user = target::user(user)?;
            let handles = target::handles(handles)?;
            revoke(global, &user, &handles, *yes, output).await
        }
        UserCommand::RevokeAll { user, except, yes } => {
            let user = target::user(user)?;
            let except = except
                .as_deref()
                .map(|text| target::handle(text, "--except"))
                .transpose()?;
            revoke_all(global, &user, except.as_ref(), *yes, output).await
        }
    }
}

async fn sessions(global: &Global, user: &UserId, output: &Output) -> Result<(), Failure> {
    let users = connect_users(global).await?;
    let listed = users.list(user, None).await?;
    let ttls = ttls(&users, &listed, output).await?;
    let rows = listed
        .iter()
        .map(|session| {
            let ttl = ttls.get(&session.handle).copied().flatten();
            SessionRow::new(&session.handle, session.stage, ttl, Some(&session.meta))
        })
        .collect();
    let document = UserSessions {
        user: user.to_string(),
        sessions: rows,
    };
    output.print(&document, |document| session_table(&document.sessions))
}

/// The time to live of each listed session. A listing knows handles, and
/// only a scan turns them into sessions whose TTL can be asked for.
async fn ttls(
    users: &Users,
    listed: &[UserSession],
    output: &Output,
) -> Result<HashMap<Handle, Option<std::time::Duration>>, Failure> {
    if listed.is_empty() {
        return Ok(HashMap::new());
    }
    let handles: Vec<Handle> = listed.iter().map(|s| s.handle.clone()).collect();
    let progress = output.progress("scanning sessions");
    let found = find_handles(users.store(), &handles, &progress).await?;
    drop(progress);
    let (handles, refs): (Vec<Handle>, Vec<SessionRef>) = found.into_iter().unzip();
    let ttls = users.store().ttls(&refs).await?;
    Ok(handles.into_iter().zip(ttls).collect())
}

async fn revoke(
    global: &Global,
    user: &UserId,
    handles: &[Handle],
    yes: bool,
    output: &Output,
) -> Result<(), Failure> {
    let question = format!("Revoke {} session(s) of user {user}?", handles.len());
    confirm(&question, yes)?;
    let users = connect_users(global).await?;
    let report = RevokeReport::from(users.revoke(user, handles).await?);
    finish(report, output, |missing| {
        format!(
            "{} of the {} sessions named are not among the user's sessions: {}",
            missing.len(),
            handles.len(),
            missing.join(", ")
        )
    })
}

async fn revoke_all(
    global: &Global,
    user: &UserId,
    keep: Option<&Handle>,
    yes: bool,
    output: &Output,
) -> Result<(), Failure> {
    let question = match keep {
        Some(keep) => format!("Revoke every session of user {user} but {keep}?"),
        None => format!("Revoke every session of user {user}?"),
    };
    confirm(&question, yes)?;
    let users = connect_users(global).await?;
    let report = match keep {
        Some(keep) => revoke_all_but(&users, user, keep).await?,
        None => users.revoke_all(user).await?.into(),
    };
    finish(report, output, |missing| {
        format!(
            "the session to keep, {}, is not among the user's sessions; nothing was revoked",
            missing.join(", ")
        )
    })
}

/// Revokes every session of `user` but `keep`.
///
/// Done here for lack of a library call by handle: the listing gives the
/// handles of the user's sessions that have metadata, and all but `keep`
/// are revoked. A session signed in between the two steps is not revoked.
/// A `keep` that is not one of the user's sessions revokes nothing: a
/// mistyped handle must not sign out the device the operator meant to
/// keep.
async fn revoke_all_but(
    users: &Users,
    user: &UserId,
    keep: &Handle,
) -> Result<RevokeReport, Failure> {
    let listed = users.list(user, None).await?;
    if !listed.iter().any(|session| &session.handle == keep) {
        return Ok(RevokeReport {
            revoked: Vec::new(),
            not_found: vec![keep.to_string()],
        });
    }
    let others: Vec<Handle> = listed
        .into_iter()
        .map(|session| session.handle)
        .filter(|handle| handle != keep)
        .collect();
    Ok(users.revoke(user, &others).await?.into())
}

/// Prints a revoke's result; any handle not found makes it a failure,
/// explained by `explain` from the handles not found.
fn finish(
    report: RevokeReport,
    output: &Output,
    explain: impl FnOnce(&[String]) -> String,
) -> Result<(), Failure> {
    print_revoked(&report, output)?;
    if report.not_found.is_empty() {
        Ok(())
    } else {
        Err(Failure::NotFound(explain(&report.not_found)))
    }
}
