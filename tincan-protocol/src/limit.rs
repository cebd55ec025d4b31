//! The limits of the protocol and their defaults. A relay may be started with other values
//! (`tincan-relay --help`); these are what a client meets unless its host changed them.

use std::time::Duration;

/// Largest text message a client may send, in bytes of UTF-8; larger ones get `too-large`.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Most people in one room; the next one gets `room-full`.
pub const MAX_PEERS_PER_ROOM: usize = 16;

/// Most WebSocket connections one relay holds; the next one gets `relay-full`.
pub const MAX_CONNECTIONS: usize = 1024;

/// How often the relay pings each client.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// How long a client may stay silent (no frame, not even a pong) before it is dropped with
/// close 4008 `keepalive timeout`.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(25);

/// Messages per second a client may send on average; beyond it they get `rate-limited`.
pub const RATE_PER_SECOND: f64 = 50.0;

/// Messages a client may send at once above the average rate (ICE trickle is bursty).
pub const RATE_BURST: u32 = 200;

/// Pings (and unsolicited pongs) per second a client may send on average; more closes it with
/// 1008 `too many pings`.
pub const PING_RATE_PER_SECOND: f64 = 2.0;

/// Pings a client may send at once above the average rate.
pub const PING_BURST: u32 = 10;

/// Longest display name after trimming, in characters (Unicode code points).
pub const MAX_NAME_CHARS: usize = 32;

/// Most combining marks in a row in a display name (enough for any real script).
pub const MAX_COMBINING_RUN: usize = 2;

/// Most combining marks in a whole display name.
pub const MAX_COMBINING_TOTAL: usize = 8;
