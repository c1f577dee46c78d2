//! How long to wait before retrying a failed request (SPEC 1.7).
//!
//! The delay doubles from a base, is capped, and gets a random jitter so
//! that many processes that lost Redis at the same moment do not come back
//! at the same moment.

use std::time::Duration;

/// The gem's retry constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    /// Delay before the first retry, before jitter.
    pub(crate) base: Duration,
    /// Largest delay, before jitter.
    pub(crate) cap: Duration,
    /// Largest random amount added to each delay.
    pub(crate) jitter: Duration,
    /// Retries after the first attempt.
    pub(crate) retries: u32,
}

impl Backoff {
    pub(crate) const GEM: Self = Self {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(5),
        jitter: Duration::from_millis(500),
        retries: 3,
    };

    /// The delay before retry number `retry` (0 for the first retry),
    /// given a jitter fraction in `[0, 1)`.
    pub(crate) fn delay(&self, retry: u32, jitter_fraction: f64) -> Duration {
        let exponential = self.base.saturating_mul(1u32 << retry.min(16));
        exponential.min(self.cap) + self.jitter.mul_f64(jitter_fraction.clamp(0.0, 1.0))
    }

    /// The delay before retry number `retry`, with a random jitter.
    pub(crate) fn random_delay(&self, retry: u32) -> Duration {
        self.delay(retry, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::GEM;
        let ms = |retry| b.delay(retry, 0.0).as_millis();
        assert_eq!(
            [ms(0), ms(1), ms(2), ms(3), ms(4), ms(40)],
            [500, 1000, 2000, 4000, 5000, 5000]
        );
    }

    #[test]
    fn jitter_adds_at_most_half_a_second() {
        let b = Backoff::GEM;
        assert_eq!(b.delay(0, 0.999_999).as_millis(), 999);
        for _ in 0..100 {
            let d = b.random_delay(1);
            assert!(d >= Duration::from_secs(1) && d < Duration::from_millis(1500));
        }
    }
}
