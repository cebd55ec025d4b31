//! What the signaling client accepts from whatever answers at the host's address: frames of a
//! bounded size, at a bounded rate. Anyone on the LAN can answer there, so a frame is never
//! buffered whole or handed to the page unless it fits these limits.

use std::time::Instant;

use tincan_protocol::MAX_MESSAGE_BYTES;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Largest frame, and largest message, read from the relay. A 400-line SDP is about 10 KiB; the
/// relay forwards messages up to its message limit with `from` stamped on, and takes frames of
/// up to twice that limit itself, so this is the same cap in the other direction.
pub const MAX_FRAME_BYTES: usize = 2 * MAX_MESSAGE_BYTES;
/// Frames per second passed on in the long run.
pub const FRAMES_PER_SECOND: f64 = 100.0;
/// Frames that may arrive at once above the steady rate (a mesh joining at once).
pub const FRAME_BURST: f64 = 200.0;
/// Bytes per second passed on in the long run.
pub const BYTES_PER_SECOND: f64 = 512.0 * 1024.0;
/// Bytes that may arrive at once above the steady rate.
pub const BYTE_BURST: f64 = 2.0 * 1024.0 * 1024.0;
/// Read buffer of the socket; frames are small, so a large eager buffer buys nothing.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// The WebSocket settings of the client: frames and messages over [`MAX_FRAME_BYTES`] fail
/// while their header is read, before any of their payload is stored.
pub fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .max_message_size(Some(MAX_FRAME_BYTES))
}

/// A token bucket: `rate` tokens a second, holding at most `burst`.
#[derive(Debug, Clone)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            refilled: now,
        }
    }

    /// Takes `cost` tokens if there are that many; a refused take leaves the bucket as it was.
    fn take(&mut self, cost: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.rate).min(self.burst);
        self.refilled = now;
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }
}

/// The budget of one connection: every frame costs one frame token and its length in bytes.
#[derive(Debug, Clone)]
pub struct Intake {
    frames: Bucket,
    bytes: Bucket,
}

impl Intake {
    /// A full budget with the default rates.
    pub fn new() -> Self {
        Self::with_rates(
            (FRAMES_PER_SECOND, FRAME_BURST),
            (BYTES_PER_SECOND, BYTE_BURST),
            Instant::now(),
        )
    }

    fn with_rates(frames: (f64, f64), bytes: (f64, f64), now: Instant) -> Self {
        Self {
            frames: Bucket::new(frames.0, frames.1, now),
            bytes: Bucket::new(bytes.0, bytes.1, now),
        }
    }

    /// Whether a frame of `len` bytes arriving now is within the budget.
    pub fn admit(&mut self, len: usize) -> bool {
        self.admit_at(len, Instant::now())
    }

    fn admit_at(&mut self, len: usize, now: Instant) -> bool {
        // Both buckets are always charged, so a refusal by one cannot be dodged via the other.
        let frame_ok = self.frames.take(1.0, now);
        let bytes_ok = self.bytes.take(len as f64, now);
        frame_ok && bytes_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_steady_rate() {
        let start = Instant::now();
        let mut intake = Intake::with_rates((100.0, 200.0), (1e9, 1e9), start);
        let passed = (0..300).filter(|_| intake.admit_at(10, start)).count();
        assert_eq!(passed, 200);
        // A tenth of a second later, ten more frames' worth has come back.
        let later = start + Duration::from_millis(100);
        let passed = (0..50).filter(|_| intake.admit_at(10, later)).count();
        assert_eq!(passed, 10);
    }

    #[test]
    fn bytes_are_budgeted_apart_from_frames() {
        let start = Instant::now();
        let mut intake = Intake::with_rates((1e6, 1e6), (1000.0, 3000.0), start);
        assert!(intake.admit_at(2500, start));
        assert!(!intake.admit_at(1000, start));
        assert!(intake.admit_at(1000, start + Duration::from_millis(600)));
    }

    #[test]
    fn a_refill_never_exceeds_the_burst() {
        let start = Instant::now();
        let mut intake = Intake::with_rates((100.0, 5.0), (1e9, 1e9), start);
        let much_later = start + Duration::from_secs(3600);
        let passed = (0..20).filter(|_| intake.admit_at(1, much_later)).count();
        assert_eq!(passed, 5);
    }

    #[test]
    fn the_socket_refuses_large_frames_and_messages() {
        let config = socket_config();
        assert_eq!(config.max_frame_size, Some(MAX_FRAME_BYTES));
        assert_eq!(config.max_message_size, Some(MAX_FRAME_BYTES));
    }
}
