//! Errors of announcing and browsing.

/// What can go wrong when announcing a room or browsing for rooms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The mDNS responder could not start or refused a command (e.g. no socket on port 5353).
    #[error("mDNS: {0}")]
    Mdns(#[from] mdns_sd::Error),
    /// The room name breaks the protocol's rules (1 to 64 of `A-Z a-z 0-9 _ -`).
    #[error("invalid room name {0:?}: use 1 to 64 letters, digits, '_' or '-'")]
    InvalidRoom(String),
    /// Port 0 cannot be announced: the relay's real port is needed.
    #[error("cannot announce port 0")]
    InvalidPort,
    /// No thread could be started to read what the responder hears.
    #[error("cannot start the browsing thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The mDNS responder did not answer in time; it may have stopped.
    #[error("the mDNS responder did not answer")]
    NoAnswer,
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
