//! Tincan's LAN signaling relay.
//!
//! Peers join a room over a WebSocket (`/ws` or `/ws/{room}`) and exchange SDP offers, answers
//! and ICE candidates through the relay, which stamps each message with its sender and forwards
//! it to one peer or to the whole room. The wire contract is `docs/PROTOCOL.md`.
//!
//! ```no_run
//! # async fn run() -> tincan_relay::Result<()> {
//! let addr = "127.0.0.1:0".parse().expect("valid address");
//! let relay = tincan_relay::Relay::bind(addr, tincan_relay::Config::default()).await?;
//! println!("listening on ws://{}/ws", relay.local_addr());
//! relay.serve(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(())
//! # }
//! ```

mod address;
mod admission;
mod announce;
mod config;
mod connection;
mod envelope;
mod error;
mod fd_limit;
mod gate;
mod guard;
mod limit;
mod listener;
mod name;
mod occupancy;
pub mod protocol;
mod queue;
mod refusal_log;
mod room;
mod server;
mod static_ui;
mod tls;

pub use address::lan_addresses;
pub use announce::Announcing;
pub use config::Config;
pub use error::{Error, Result};
pub use occupancy::Occupancy;
pub use protocol::PROTOCOL_VERSION;
pub use server::Relay;
pub use static_ui::{UiFile, UiFiles};
pub use tls::{default_dir as default_tls_dir, Fingerprint, TlsError, TlsIdentity};
