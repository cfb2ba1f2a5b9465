//! The doubling, capped pause between retries: of a handler (the retry loop) and of an
//! environment fault while decoding.

use std::time::Duration;

/// Doubling pauses between retries, capped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Backoff { next: first, max }
    }

    /// The pause before the next retry; the one after it is twice as long (at most `max`).
    pub(crate) fn next(&mut self) -> Duration {
        let now = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        now
    }
}
