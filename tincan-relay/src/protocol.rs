//! The wire protocol: message types, error codes, close codes and input validation.
//!
//! These types are the single source of truth for `docs/PROTOCOL.md`; checking and stamping
//! of relayed messages lives in `envelope`.

use serde::{Deserialize, Serialize};

/// Protocol version this relay speaks; clients may ask for it with the `v` query parameter.
pub const PROTOCOL_VERSION: u32 = 1;

/// Room used by `/ws` when the path names none.
pub const DEFAULT_ROOM: &str = "lobby";

/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;

pub use crate::name::{clean_name, MAX_COMBINING_RUN, MAX_COMBINING_TOTAL, MAX_NAME_CHARS};

/// One other member of a room, as listed in `welcome` and announced in `peer-joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerInfo {
    /// The peer's id, used as `to` when addressing it.
    pub id: String,
    /// The display name the peer joined with (may be empty).
    pub name: String,
}

/// Messages only the relay sends; a client that sends one of these types gets `reserved-type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    /// First message on every accepted connection.
    Welcome {
        /// The id the relay gave this connection.
        id: String,
        /// The room joined.
        room: String,
        /// The relay's protocol version.
        protocol: u32,
        /// The peers already in the room, oldest first; the newcomer offers to each of them.
        peers: Vec<PeerInfo>,
        /// A secret for this connection: a reconnect that presents it takes this connection's
        /// place, even in a full room, instead of waiting for it to time out.
        resume: String,
    },
    /// Someone entered the room; wait for their offer.
    PeerJoined {
        /// The newcomer's id.
        id: String,
        /// The newcomer's display name.
        name: String,
    },
    /// Someone left the room (closed, dropped or timed out).
    PeerLeft {
        /// The id of the peer that left.
        id: String,
    },
    /// A message was refused, or the connection is about to be closed.
    Error {
        /// Machine-readable reason.
        code: ErrorCode,
        /// Plain words for people.
        message: String,
    },
}

impl ServerMessage {
    /// Encodes the message as the JSON text of one frame.
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail: no maps with non-string keys, no floats.
        serde_json::to_string(self).unwrap_or_default()
    }
}

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

/// A WebSocket close code with the reason text the relay sends with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    /// The numeric close code.
    pub code: u16,
    /// The reason text sent in the close frame.
    pub reason: &'static str,
}

impl Close {
    /// The relay is shutting down: the call is over for everyone.
    pub const HOST_ENDED: Close = Close {
        code: 1001,
        reason: "host ended the call",
    };
    /// The passcode was missing or wrong.
    pub const BAD_KEY: Close = Close {
        code: 4001,
        reason: "wrong passcode",
    };
    /// Too many wrong passcodes: the passcode was refused without being checked. Same code as
    /// a wrong passcode, so clients that do not know the difference do not retry on their own.
    pub const TOO_MANY_ATTEMPTS: Close = Close {
        code: 4001,
        reason: "too many passcode attempts",
    };
    /// The client broke the WebSocket framing rules (reserved bits or opcodes, a fragmented
    /// or oversized control frame, a stray continuation).
    pub const PROTOCOL_ERROR: Close = Close {
        code: 1002,
        reason: "protocol error",
    };
    /// A text frame was not valid UTF-8.
    pub const BAD_UTF8: Close = Close {
        code: 1007,
        reason: "invalid UTF-8 in a text frame",
    };
    /// The client pinged faster than its ping allowance.
    pub const TOO_MANY_PINGS: Close = Close {
        code: 1008,
        reason: "too many pings",
    };
    /// A frame or message was larger than the relay's hard cap.
    pub const FRAME_TOO_BIG: Close = Close {
        code: 1009,
        reason: "message too big",
    };
    /// The room is full.
    pub const ROOM_FULL: Close = Close {
        code: 4003,
        reason: "room full",
    };
    /// The client did not read its messages fast enough and its queue overflowed.
    pub const TOO_SLOW: Close = Close {
        code: 4008,
        reason: "too slow",
    };
    /// The client stopped answering pings.
    pub const KEEPALIVE: Close = Close {
        code: 4008,
        reason: "keepalive timeout",
    };
    /// The client speaks another protocol version.
    pub const VERSION_MISMATCH: Close = Close {
        code: 4009,
        reason: "protocol version mismatch",
    };
    /// The same client connected again with this connection's `resume` secret.
    pub const REPLACED: Close = Close {
        code: 4010,
        reason: "replaced by a newer connection",
    };
    /// The relay holds too many connections.
    pub const RELAY_FULL: Close = Close {
        code: 4013,
        reason: "relay full",
    };
}

/// The call messages the Tincan UI exchanges; the relay forwards other types unchanged too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CallMessage {
    /// An SDP offer, sent by the newcomer to each peer of its `welcome`.
    Offer {
        /// The session description text.
        sdp: String,
        /// Recipient id; absent means every other peer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Sender id, always set by the relay.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// An SDP answer to an offer.
    Answer {
        /// The session description text.
        sdp: String,
        /// Recipient id; absent means every other peer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Sender id, always set by the relay.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// One trickled ICE candidate.
    Candidate {
        /// The candidate as `RTCIceCandidate.toJSON()` gives it.
        candidate: IceCandidate,
        /// Recipient id; absent means every other peer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Sender id, always set by the relay.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
}

/// An ICE candidate in the browser's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    /// The `candidate:` attribute line.
    pub candidate: String,
    /// Media stream identification tag.
    #[serde(rename = "sdpMid", default)]
    pub sdp_mid: Option<String>,
    /// Index of the media description.
    #[serde(rename = "sdpMLineIndex", default)]
    pub sdp_m_line_index: Option<u16>,
}

/// Checks a room name: 1 to 64 of `A-Za-z0-9_-`.
pub fn validate_room(room: &str) -> Result<(), &'static str> {
    if room.is_empty() || room.len() > MAX_ROOM_CHARS {
        return Err("room name must be 1 to 64 characters long");
    }
    if !room
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err("room name may only use letters A-Z a-z, digits, '_' and '-'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_rules() {
        assert!(validate_room("lobby").is_ok());
        assert!(validate_room(&"a".repeat(64)).is_ok());
        assert!(validate_room(&"a".repeat(65)).is_err());
        assert!(validate_room("").is_err());
        assert!(validate_room("a b").is_err());
    }

    #[test]
    fn server_messages_have_the_documented_shape() {
        let welcome = ServerMessage::Welcome {
            id: "x".into(),
            room: "lobby".into(),
            protocol: PROTOCOL_VERSION,
            peers: vec![PeerInfo {
                id: "y".into(),
                name: "Bo".into(),
            }],
            resume: "r".into(),
        };
        assert_eq!(
            welcome.to_json(),
            r#"{"type":"welcome","id":"x","room":"lobby","protocol":1,"peers":[{"id":"y","name":"Bo"}],"resume":"r"}"#
        );
        let error = ServerMessage::Error {
            code: ErrorCode::TooLarge,
            message: "m".into(),
        };
        assert_eq!(
            error.to_json(),
            r#"{"type":"error","code":"too-large","message":"m"}"#
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn room_rule_is_exactly_the_documented_one(
            room in prop_oneof!["[A-Za-z0-9_-]{0,70}", any::<String>(), "[a-z]{1,8}[ ./%é][a-z]{0,8}"],
        ) {
            let expected = (1..=MAX_ROOM_CHARS).contains(&room.len())
                && room.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            prop_assert_eq!(validate_room(&room).is_ok(), expected);
        }
    }
}
