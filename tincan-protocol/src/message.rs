//! The messages of the protocol: the relay's own, and the call messages clients relay to each
//! other through it.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// The types only the relay sends; a client that sends one of them gets `reserved-type`.
pub const RESERVED_TYPES: [&str; 4] = ["welcome", "peer-joined", "peer-left", "error"];

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
        /// Plain words for people; a client reading an error without them still knows the code.
        #[serde(default)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PROTOCOL_VERSION;

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

    #[test]
    fn reserved_types_are_the_relays_own() {
        let peer_left = ServerMessage::PeerLeft { id: "a".into() };
        let joined = ServerMessage::PeerJoined {
            id: "a".into(),
            name: String::new(),
        };
        let error = ServerMessage::Error {
            code: ErrorCode::BadJson,
            message: String::new(),
        };
        let welcome = ServerMessage::Welcome {
            id: "a".into(),
            room: "r".into(),
            protocol: 1,
            peers: Vec::new(),
            resume: "s".into(),
        };
        for message in [welcome, joined, peer_left, error] {
            let value = serde_json::to_value(&message).unwrap();
            let kind = value["type"].as_str().unwrap();
            assert!(RESERVED_TYPES.contains(&kind), "{kind}");
        }
    }
}
