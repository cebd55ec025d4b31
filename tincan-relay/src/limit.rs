//! Per-connection message rate limiting (a token bucket).

use std::time::Instant;

/// A token bucket: `burst` messages at once, refilled at `rate` messages per second.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// Creates a full bucket.
    pub(crate) fn new(rate: f64, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            rate: rate.max(0.0),
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token if there is one; `false` means the message must be refused.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let start = Instant::now();
        let mut bucket = RateLimiter::new(10.0, 3, start);
        assert!(bucket.allow(start));
        assert!(bucket.allow(start));
        assert!(bucket.allow(start));
        assert!(!bucket.allow(start));
        let later = start + Duration::from_millis(150);
        assert!(bucket.allow(later));
        assert!(!bucket.allow(later));
        // Refill never exceeds the burst.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.allow(much_later));
        }
        assert!(!bucket.allow(much_later));
    }
}
