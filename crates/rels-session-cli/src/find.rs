//! Finding sessions by handle.
//!
//! A handle is a hash of the private id, so the only way from a handle to
//! a session is to scan every session and compare. The scan stops as soon
//! as every handle asked for was found.
//!
//! This belongs in the library (a `Store::find_handles`), next to a way to
//! name a session by public id without scanning; until then it lives here.

use std::collections::{HashMap, HashSet};

use futures_util::TryStreamExt;
use rels_session::{Error, Handle, SessionRef, Store};

use crate::output::Progress;

/// The stored sessions among `wanted`, by handle. Handles not found are
/// absent from the map.
pub(crate) async fn find_handles(
    store: &Store,
    wanted: &[Handle],
    progress: &Progress,
) -> Result<HashMap<Handle, SessionRef>, Error> {
    let wanted: HashSet<&Handle> = wanted.iter().collect();
    let mut found = HashMap::with_capacity(wanted.len());
    let mut pages = std::pin::pin!(store.scan());
    while found.len() < wanted.len() {
        let Some(page) = pages.try_next().await? else {
            break;
        };
        progress.add(page.len());
        for session in page {
            let handle = session.handle();
            if wanted.contains(&handle) {
                found.insert(handle, session);
            }
        }
    }
    Ok(found)
}

/// The stored session with `handle`, if there is one.
pub(crate) async fn find_handle(
    store: &Store,
    handle: &Handle,
    progress: &Progress,
) -> Result<Option<SessionRef>, Error> {
    let mut found = find_handles(store, std::slice::from_ref(handle), progress).await?;
    Ok(found.remove(handle))
}
