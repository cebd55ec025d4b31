//! The Tincan signaling protocol: what a client and the relay say to each other over the
//! WebSocket, and the codes and numbers both sides must agree on.
//!
//! `docs/PROTOCOL.md` describes the protocol in words and these types are what it describes.
//! The relay (`tincan-relay`) and the app's signaling client both use them, so that neither
//! spells an error code, a close code or a limit on its own. `tests/fixtures/protocol.json`
//! holds example messages of both directions, which this crate's tests and the web UI's tests
//! both check against.

mod close;
mod envelope;
mod error_code;
mod limit;
mod message;
mod room;

pub use close::{Close, CLOSE_ABNORMAL, CLOSE_NORMAL};
pub use envelope::Envelope;
pub use error_code::{ErrorCode, Rejection, UnknownErrorCode};
pub use limit::{
    KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT, MAX_COMBINING_RUN, MAX_COMBINING_TOTAL, MAX_CONNECTIONS,
    MAX_MESSAGE_BYTES, MAX_NAME_CHARS, MAX_PEERS_PER_ROOM, PING_BURST, PING_RATE_PER_SECOND,
    RATE_BURST, RATE_PER_SECOND,
};
pub use message::{CallMessage, IceCandidate, PeerInfo, ServerMessage, RESERVED_TYPES};
pub use room::{validate_room, RoomError, DEFAULT_ROOM, MAX_ROOM_CHARS};

/// The protocol version: clients send it as the `v` query parameter, the relay refuses any
/// other with `version-mismatch` and names its own in `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;
