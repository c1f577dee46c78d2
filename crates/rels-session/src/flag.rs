//! The gem's `NS:2:secure_store_enabled` flag (SPEC 1.3).
//!
//! Its presence tells readers to try the private key first. A process
//! writes it at most once a minute and remembers for a minute whether it
//! exists, so the flag costs no round trip of its own: the check rides in
//! the load's `MGET` and the write in the save's pipeline.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long the flag lives in Redis, and how long a process trusts what it
/// knows about it.
pub(crate) const FLAG_TTL: Duration = Duration::from_secs(60);

/// What this process knows about the flag.
#[derive(Debug, Default)]
pub(crate) struct FlagCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Whether the flag existed, and when that was seen.
    seen: Option<(bool, Instant)>,
    /// When this process last wrote it.
    written: Option<Instant>,
}

impl FlagCache {
    /// Whether the flag exists, if that was seen less than a minute ago.
    pub(crate) fn known(&self) -> Option<bool> {
        let state = self.lock();
        state
            .seen
            .filter(|(_, at)| at.elapsed() < FLAG_TTL)
            .map(|(exists, _)| exists)
    }

    pub(crate) fn observe(&self, exists: bool) {
        self.lock().seen = Some((exists, Instant::now()));
    }

    /// Whether this save should write the flag; if so, it counts as
    /// written from now on.
    pub(crate) fn claim_write(&self) -> bool {
        let mut state = self.lock();
        let due = state.written.is_none_or(|at| at.elapsed() >= FLAG_TTL);
        if due {
            state.written = Some(Instant::now());
        }
        due
    }

    /// Gives up a claimed write whose request failed.
    pub(crate) fn release_write(&self) {
        self.lock().written = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Each update is one assignment, so a poisoned lock holds a
        // consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_flag_is_written_once_a_minute() {
        let flag = FlagCache::default();
        assert!(flag.claim_write());
        assert!(!flag.claim_write());
        tokio::time::advance(FLAG_TTL).await;
        assert!(flag.claim_write());
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_known_expires_after_a_minute() {
        let flag = FlagCache::default();
        assert_eq!(flag.known(), None);
        flag.observe(true);
        assert_eq!(flag.known(), Some(true));
        tokio::time::advance(FLAG_TTL).await;
        assert_eq!(flag.known(), None);
    }
}
