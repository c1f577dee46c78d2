//! The circuit breaker: after repeated failures, refuse work for a while
//! instead of piling more requests onto a Redis that is down (SPEC 1.7).
//!
//! Closed, it lets everything through and counts consecutive failures.
//! At the threshold it opens and refuses work until the cool-down ends.
//! After that, requests go through again; the first success closes it,
//! and a failure opens it for another cool-down.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Shared by every request of one store.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cool_down: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    /// The gem's constants: three failures, five seconds.
    pub(crate) fn gem() -> Self {
        Self::new(3, Duration::from_secs(5))
    }

    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            threshold,
            cool_down,
            state: Mutex::new(State::default()),
        }
    }

    /// `Err(time left)` while the breaker refuses work.
    pub(crate) fn check(&self) -> Result<(), Duration> {
        let state = self.lock();
        match state.open_until {
            Some(until) if until > Instant::now() => Err(until - Instant::now()),
            _ => Ok(()),
        }
    }

    pub(crate) fn record_success(&self) {
        let mut state = self.lock();
        state.failures = 0;
        state.open_until = None;
    }

    pub(crate) fn record_failure(&self) {
        let mut state = self.lock();
        state.failures = state.failures.saturating_add(1);
        if state.failures >= self.threshold {
            state.open_until = Some(Instant::now() + self.cool_down);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two plain fields updated in one step each, so a
        // panic elsewhere cannot leave it half-written: poisoning is safe
        // to ignore.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_three_failures_for_five_seconds() {
        let breaker = Breaker::gem();
        breaker.record_failure();
        breaker.record_failure();
        assert!(breaker.check().is_ok());
        breaker.record_failure();
        assert_eq!(breaker.check(), Err(Duration::from_secs(5)));

        tokio::time::advance(Duration::from_millis(4_999)).await;
        assert!(breaker.check().is_err());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(breaker.check().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_after_the_cool_down_opens_it_again() {
        let breaker = Breaker::gem();
        for _ in 0..3 {
            breaker.record_failure();
        }
        tokio::time::advance(Duration::from_secs(5)).await;
        breaker.record_failure();
        assert!(breaker.check().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count() {
        let breaker = Breaker::gem();
        breaker.record_failure();
        breaker.record_failure();
        breaker.record_success();
        breaker.record_failure();
        breaker.record_failure();
        assert!(breaker.check().is_ok());
    }
}
