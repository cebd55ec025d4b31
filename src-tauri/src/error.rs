//! The error every command returns; the webview receives it as its plain-words message.

use serde::{Serialize, Serializer};

/// Shorthand for command results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a command failed, worded for the person using the app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address typed into "Join by IP" is not one we can connect to.
    #[error("\"{input}\" is not a host address: {reason}")]
    BadAddress {
        /// What was typed.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A room name, display name or passcode the relay would refuse.
    #[error("{0}")]
    BadInput(String),
    /// The signaling WebSocket could not be opened.
    #[error("Could not reach {address} (tried {url}): {reason}")]
    Unreachable {
        /// The host and port, as shown to the user.
        address: String,
        /// The WebSocket URL that was tried, without the passcode.
        url: String,
        /// What went wrong, in plain words.
        reason: String,
    },
    /// The relay could not start listening.
    #[error("Could not start hosting: {0}")]
    HostFailed(String),
    /// `host_room` was called while a room is already hosted.
    #[error("Already hosting on port {port}; stop hosting first")]
    AlreadyHosting {
        /// The port the running relay listens on.
        port: u16,
    },
    /// `send_signal` was called while no signaling socket is open.
    #[error("Not connected to a room")]
    NotConnected,
    /// The host sent frames too large or too fast, so the app closed the connection.
    #[error("The host sent too much data; left the call")]
    TooMuchData,
    /// An engine command came before `engine_start`.
    #[error("The native audio engine is not running")]
    EngineNotStarted,
    /// The native audio engine refused or failed.
    #[error("Native audio engine: {0}")]
    Engine(String),
    /// The page that asked was replaced (reloaded) before the command finished; what it built
    /// was undone.
    #[error("The page was reloaded before this finished")]
    PageGone,
    /// Looking for rooms on the network could not start.
    #[error("Cannot look for rooms on your network: {0}")]
    Discovery(String),
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_its_message() {
        let json = serde_json::to_string(&Error::AlreadyHosting { port: 47800 }).unwrap();
        assert_eq!(
            json,
            "\"Already hosting on port 47800; stop hosting first\""
        );
    }
}
