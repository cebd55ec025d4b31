//! The error every command returns. The webview receives `{ code, message, params }`: a stable
//! code and the values the page puts into its own sentence, in the person's language, with the
//! English message as the fallback for a code it does not know.

use serde::{ser::SerializeStruct, Serialize, Serializer};
use serde_json::{json, Value};

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
        /// What went wrong, for the page to word itself.
        cause: Cause,
    },
    /// The connection to the host was lost and every attempt to reconnect failed.
    #[error("Lost the connection to the host and could not reconnect: {0}")]
    GaveUp(Box<Error>),
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
    /// An engine command came before the engine was started (`plugin:engine|start`).
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
    /// The log folder could not be shown in the system's file manager.
    #[error("Cannot open the log folder {path}: {reason}")]
    OpenLogFolder {
        /// The folder, so the person can find it by hand.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Why a connection attempt failed, as the page's catalogue names it (`backend.unreachable.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub enum Cause {
    /// Nothing answered within the connect timeout.
    Timeout {
        /// The timeout.
        seconds: u64,
    },
    /// Nothing listens on that port.
    Refused,
    /// The operating system gave up on the connection.
    TimedOut,
    /// No route to the address.
    NoRoute,
    /// The connection was reset or aborted.
    Reset,
    /// Something answered HTTP but would not open a WebSocket.
    NotTincan {
        /// The HTTP status it answered.
        status: u16,
    },
    /// Anything else; the English reason says what.
    Other,
}

impl Error {
    /// A stable name for this kind of error; the page looks up `backend.<code>`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadAddress { .. } => "bad-address",
            Self::BadInput(_) => "bad-input",
            Self::Unreachable { .. } => "unreachable",
            Self::GaveUp(_) => "gave-up",
            Self::HostFailed(_) => "host-failed",
            Self::AlreadyHosting { .. } => "already-hosting",
            Self::NotConnected => "not-connected",
            Self::TooMuchData => "too-much-data",
            Self::EngineNotStarted => "engine-not-started",
            Self::Engine(_) => "engine",
            Self::PageGone => "page-gone",
            Self::Discovery(_) => "discovery",
            Self::OpenLogFolder { .. } => "open-log-folder",
        }
    }

    /// The values the page's sentence for this error is made of.
    fn params(&self) -> Value {
        match self {
            Self::BadAddress { input, reason } => json!({ "input": input, "reason": reason }),
            Self::Unreachable {
                address,
                url,
                reason,
                cause,
            } => json!({ "address": address, "url": url, "reason": reason, "cause": cause }),
            Self::GaveUp(last) => json!({ "reason": last }),
            Self::BadInput(reason)
            | Self::HostFailed(reason)
            | Self::Engine(reason)
            | Self::Discovery(reason) => json!({ "reason": reason }),
            Self::AlreadyHosting { port } => json!({ "port": port }),
            Self::OpenLogFolder { path, reason } => json!({ "path": path, "reason": reason }),
            Self::NotConnected | Self::TooMuchData | Self::EngineNotStarted | Self::PageGone => {
                json!({})
            }
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Error", 3)?;
        out.serialize_field("code", self.code())?;
        out.serialize_field("message", &self.to_string())?;
        out.serialize_field("params", &self.params())?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_message_and_params() {
        let json = serde_json::to_value(Error::AlreadyHosting { port: 47800 }).unwrap();
        assert_eq!(
            json,
            json!({
                "code": "already-hosting",
                "message": "Already hosting on port 47800; stop hosting first",
                "params": { "port": 47800 },
            })
        );
    }

    #[test]
    fn a_lost_connection_carries_the_last_failure_and_its_cause() {
        let last = Error::Unreachable {
            address: "10.0.0.2:47800".into(),
            url: "ws://10.0.0.2:47800/ws/lobby".into(),
            reason: "connection refused".into(),
            cause: Cause::Refused,
        };
        let json = serde_json::to_value(Error::GaveUp(Box::new(last))).unwrap();
        assert_eq!(json["code"], "gave-up");
        assert_eq!(json["params"]["reason"]["code"], "unreachable");
        assert_eq!(
            json["params"]["reason"]["params"]["cause"],
            json!({ "cause": "refused" })
        );
        let timeout = serde_json::to_value(Cause::Timeout { seconds: 5 }).unwrap();
        assert_eq!(timeout, json!({ "cause": "timeout", "seconds": 5 }));
    }
}
