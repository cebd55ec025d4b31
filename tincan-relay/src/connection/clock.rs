//! The keepalive's timing for one connection.

use std::time::Duration;
use tokio::time::Instant;

use crate::config::Config;

/// When to ping next and when the client was last heard from, behind one timer.
///
/// The timer is not moved for every frame (that would cost two timer-wheel operations per
/// message): when it fires, it checks the last frame's time and sleeps again if the client was
/// heard from meanwhile.
pub(super) struct Clock {
    pub(super) ping_every: Duration,
    pub(super) silence_limit: Duration,
    pub(super) next_ping: Instant,
    pub(super) last_heard: Instant,
}

impl Clock {
    pub(super) fn new(config: &Config, now: Instant) -> Self {
        Self {
            ping_every: config.keepalive_interval,
            silence_limit: config.keepalive_timeout,
            next_ping: now + config.keepalive_interval,
            last_heard: now,
        }
    }

    /// When the timer must fire next.
    pub(super) fn due(&self) -> Instant {
        self.next_ping.min(self.last_heard + self.silence_limit)
    }
}
