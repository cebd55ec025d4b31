//! The codes of `error` messages, and a refusal: a code with plain words.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{Close, ServerMessage};

/// Machine-readable error codes carried by `error` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The text frame was not valid JSON.
    BadJson,
    /// Not a JSON object, no string `type`, a non-string `to`, or a binary frame.
    BadMessage,
    /// The type is one only the relay may send.
    ReservedType,
    /// `to` names no other peer of this room.
    UnknownPeer,
    /// The message is larger than the relay's limit.
    TooLarge,
    /// The connection sent faster than its rate limit; the message was dropped.
    RateLimited,
    /// The room already holds its maximum number of peers; the connection is closed.
    RoomFull,
    /// The passcode was missing or wrong; the connection is closed.
    BadKey,
    /// The client asked for another protocol version; the connection is closed.
    VersionMismatch,
    /// The relay holds its maximum number of connections; the connection is closed.
    RelayFull,
    /// Too many wrong passcodes from this address or on this relay; the passcode was not
    /// checked and the connection is closed. The message says when to try again.
    TooManyAttempts,
}

impl ErrorCode {
    /// Every code, in the order of docs/PROTOCOL.md.
    pub const ALL: [ErrorCode; 11] = [
        Self::BadJson,
        Self::BadMessage,
        Self::ReservedType,
        Self::UnknownPeer,
        Self::TooLarge,
        Self::RateLimited,
        Self::RoomFull,
        Self::BadKey,
        Self::VersionMismatch,
        Self::RelayFull,
        Self::TooManyAttempts,
    ];

    /// The code as it is written on the wire, e.g. `bad-key`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadJson => "bad-json",
            Self::BadMessage => "bad-message",
            Self::ReservedType => "reserved-type",
            Self::UnknownPeer => "unknown-peer",
            Self::TooLarge => "too-large",
            Self::RateLimited => "rate-limited",
            Self::RoomFull => "room-full",
            Self::BadKey => "bad-key",
            Self::VersionMismatch => "version-mismatch",
            Self::RelayFull => "relay-full",
            Self::TooManyAttempts => "too-many-attempts",
        }
    }

    /// The close that follows this error, for the codes that end the connection.
    pub fn close(self) -> Option<Close> {
        match self {
            Self::BadKey => Some(Close::BAD_KEY),
            Self::RoomFull => Some(Close::ROOM_FULL),
            Self::VersionMismatch => Some(Close::VERSION_MISMATCH),
            Self::RelayFull => Some(Close::RELAY_FULL),
            Self::TooManyAttempts => Some(Close::TOO_MANY_ATTEMPTS),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A wire string that names no error code of this protocol version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no error code is called {0:?}")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|code| code.as_str() == text)
            .ok_or_else(|| UnknownErrorCode(text.to_owned()))
    }
}

/// Why the relay refused a message or a connection: the code and plain words to send back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    /// The machine-readable reason.
    pub code: ErrorCode,
    /// Plain words for people.
    pub message: String,
}

impl Rejection {
    /// A refusal with `code` and the words `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The `error` frame telling the client about it.
    pub fn to_json(&self) -> String {
        ServerMessage::Error {
            code: self.code,
            message: self.message.clone(),
        }
        .to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_are_the_serde_names() {
        for code in ErrorCode::ALL {
            let value = serde_json::to_value(code).unwrap();
            assert_eq!(value, code.as_str());
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(code.to_string(), code.as_str());
        }
        assert_eq!(
            "nope".parse::<ErrorCode>(),
            Err(UnknownErrorCode("nope".into()))
        );
    }

    #[test]
    fn a_rejection_is_an_error_frame() {
        let rejection = Rejection::new(ErrorCode::BadKey, "wrong passcode");
        assert_eq!(
            rejection.to_json(),
            r#"{"type":"error","code":"bad-key","message":"wrong passcode"}"#
        );
        assert_eq!(rejection.to_string(), "bad-key: wrong passcode");
    }
}
