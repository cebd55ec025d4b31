//! Tunable limits and options of a relay, with defaults suited to a home LAN.

use std::{path::PathBuf, time::Duration};

use crate::{protocol, static_ui::UiFiles, tls::TlsIdentity};

/// How a relay behaves: limits, keepalive, passcode, the optional web UI and HTTPS.
#[derive(Debug, Clone)]
pub struct Config {
    /// Most peers one room holds; the next one is refused with `room-full`.
    pub max_peers_per_room: usize,
    /// Most WebSocket connections the whole relay holds; the next one is refused with `relay-full`.
    pub max_connections: usize,
    /// Largest text message a client may send, in bytes; larger ones get `too-large`.
    pub max_message_bytes: usize,
    /// Passcode clients must give as `key`; `None` lets anyone on the network join.
    pub key: Option<String>,
    /// How often the relay pings each client.
    pub keepalive_interval: Duration,
    /// How long a client may stay silent (no frame, not even a pong) before it is dropped.
    pub keepalive_timeout: Duration,
    /// Messages per second each connection may send on average.
    pub rate_per_second: f64,
    /// Messages a connection may send at once above the average rate (ICE trickle is bursty).
    pub rate_burst: u32,
    /// Frames waiting to be written to one client; a client that lets it fill up is dropped.
    pub outbound_queue: usize,
    /// Folder served at `/` (the web UI); `None` serves nothing there.
    pub ui_dir: Option<PathBuf>,
    /// UI files held in memory, served at `/` in place of `ui_dir` (the app's bundled UI).
    pub ui_files: Option<UiFiles>,
    /// Certificate for HTTPS and `wss://` on the same port as plain HTTP; `None` speaks plain
    /// HTTP only. A connection whose first byte opens a TLS handshake gets TLS.
    pub tls: Option<TlsIdentity>,
    /// How long a new connection may take to send its whole request head; then it is closed.
    pub header_timeout: Duration,
    /// Most connections still in their HTTP handshake (accepted, not yet upgraded or answered);
    /// past it, the oldest of them is closed to make room.
    pub max_pending_handshakes: usize,
    /// Most open connections (pending or upgraded) from one client address, an IPv6 /64 counting
    /// as one address; the next one is closed at once.
    pub max_connections_per_address: usize,
    /// Bytes waiting to be written to one client; a client that lets more pile up is dropped.
    pub queue_bytes: usize,
    /// Bytes waiting in all clients' queues together; past it, clients that are behind are
    /// dropped.
    pub total_queue_bytes: usize,
    /// How long writing to a client may make no progress before it is dropped as too slow.
    pub write_stall_timeout: Duration,
    /// Pings (and unsolicited pongs) per second a client may send on average; more closes it.
    pub ping_rate_per_second: f64,
    /// Pings a client may send at once above the average rate.
    pub ping_burst: u32,
    /// Wrong passcodes an address may give before it has to wait.
    pub key_free_tries: u32,
    /// Longest wait for one address after wrong passcodes (the waits double up to it).
    pub key_max_delay: Duration,
    /// Wrong passcodes per minute the relay checks from addresses that failed before.
    pub key_failures_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_peers_per_room: protocol::MAX_PEERS_PER_ROOM,
            max_connections: protocol::MAX_CONNECTIONS,
            max_message_bytes: protocol::MAX_MESSAGE_BYTES,
            key: None,
            keepalive_interval: protocol::KEEPALIVE_INTERVAL,
            keepalive_timeout: protocol::KEEPALIVE_TIMEOUT,
            rate_per_second: protocol::RATE_PER_SECOND,
            rate_burst: protocol::RATE_BURST,
            outbound_queue: 256,
            ui_dir: None,
            ui_files: None,
            tls: None,
            header_timeout: Duration::from_secs(5),
            max_pending_handshakes: 128,
            max_connections_per_address: 32,
            queue_bytes: 1024 * 1024,
            total_queue_bytes: 64 * 1024 * 1024,
            write_stall_timeout: Duration::from_secs(5),
            ping_rate_per_second: protocol::PING_RATE_PER_SECOND,
            ping_burst: protocol::PING_BURST,
            key_free_tries: 5,
            key_max_delay: Duration::from_secs(300),
            key_failures_per_minute: 30,
        }
    }
}

impl Config {
    /// Hard cap handed to the WebSocket layer: above the soft limit, so that a message just over
    /// the limit is answered with `too-large` instead of tearing the connection down.
    pub(crate) fn hard_message_cap(&self) -> usize {
        self.max_message_bytes.saturating_mul(2).max(4096)
    }
}
