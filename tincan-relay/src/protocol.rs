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

/// Longest display name after trimming, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// Most combining marks in a row in a display name (enough for any real script).
pub const MAX_COMBINING_RUN: usize = 2;

/// Most combining marks in a whole display name.
pub const MAX_COMBINING_TOTAL: usize = 8;

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

/// Trims a display name and checks it: at most 32 characters; no control, format or
/// line/paragraph separator characters (Unicode Cc, Cf, Zl, Zp), which could hide or reorder
/// text (U+202E, U+200B); at most 2 combining marks in a row and 8 in all, so marks cannot
/// pile up over other text.
pub fn clean_name(name: Option<&str>) -> Result<String, &'static str> {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    let name = name.unwrap_or_default().trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("name must be at most 32 characters long");
    }
    let (mut run, mut total) = (0, 0);
    for c in name.chars() {
        match get_general_category(c) {
            G::Control => return Err("name must not contain control characters"),
            G::Format | G::LineSeparator | G::ParagraphSeparator => {
                return Err("name must not contain invisible format or separator characters")
            }
            G::NonspacingMark | G::SpacingMark | G::EnclosingMark => {
                run += 1;
                total += 1;
                if run > MAX_COMBINING_RUN {
                    return Err("name must not have more than 2 combining marks in a row");
                }
                if total > MAX_COMBINING_TOTAL {
                    return Err("name must not have more than 8 combining marks");
                }
            }
            _ => run = 0,
        }
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_and_name_rules() {
        assert!(validate_room("lobby").is_ok());
        assert!(validate_room(&"a".repeat(64)).is_ok());
        assert!(validate_room(&"a".repeat(65)).is_err());
        assert!(validate_room("").is_err());
        assert!(validate_room("a b").is_err());
        assert_eq!(clean_name(Some("  Ann  ")).unwrap(), "Ann");
        assert_eq!(clean_name(None).unwrap(), "");
        assert!(clean_name(Some(&"é".repeat(32))).is_ok());
        assert!(clean_name(Some(&"é".repeat(33))).is_err());
        assert!(clean_name(Some("a\u{7}b")).is_err());
        // Invisible format and separator characters.
        for sneaky in [
            "Ann\u{202e}",
            "A\u{200b}nn",
            "An\u{2028}n",
            "An\u{2029}n",
            "\u{feff}Ann",
        ] {
            assert!(clean_name(Some(sneaky)).is_err(), "{sneaky:?}");
        }
        // Combining marks: real text passes, piles do not.
        assert!(clean_name(Some("Zoe\u{301}")).is_ok());
        assert!(clean_name(Some("Ngu\u{1ec5}n Th\u{1ecb}")).is_ok());
        assert!(clean_name(Some("\u{928}\u{92e}\u{938}\u{94d}\u{924}\u{947}")).is_ok());
        assert!(clean_name(Some("a\u{301}\u{302}")).is_ok());
        assert!(clean_name(Some("a\u{301}\u{302}\u{303}")).is_err());
        assert!(clean_name(Some(&"a\u{301}".repeat(9))).is_err());
        assert!(clean_name(Some(&"a\u{301}".repeat(8))).is_ok());
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
        };
        assert_eq!(
            welcome.to_json(),
            r#"{"type":"welcome","id":"x","room":"lobby","protocol":1,"peers":[{"id":"y","name":"Bo"}]}"#
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
    use unicode_general_category::{get_general_category, GeneralCategory as G};

    use super::*;

    fn is_mark(c: char) -> bool {
        matches!(
            get_general_category(c),
            G::NonspacingMark | G::SpacingMark | G::EnclosingMark
        )
    }

    /// Names mixing ordinary letters with the characters the rule is about.
    fn tricky_name() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => any::<char>(),
            3 => proptest::char::range('a', 'z'),
            1 => Just(' '),
            1 => Just('\u{301}'),
            1 => Just('\u{93f}'),
            1 => Just('\u{20dd}'),
            1 => Just('\u{202e}'),
            1 => Just('\u{200b}'),
            1 => Just('\u{2028}'),
            1 => Just('\u{2029}'),
            1 => Just('\u{feff}'),
            1 => Just('\u{85}'),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn accepted_names_hold_nothing_hidden(name in tricky_name()) {
            let Ok(clean) = clean_name(Some(&name)) else { return Ok(()) };
            prop_assert_eq!(clean.as_str(), name.trim());
            prop_assert!(clean.chars().count() <= MAX_NAME_CHARS);
            let mut run = 0;
            let mut total = 0;
            for c in clean.chars() {
                let category = get_general_category(c);
                prop_assert!(
                    !matches!(category, G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator),
                    "{:?} kept in {:?}", c, clean
                );
                if is_mark(c) {
                    run += 1;
                    total += 1;
                    prop_assert!(run <= MAX_COMBINING_RUN && total <= MAX_COMBINING_TOTAL);
                } else {
                    run = 0;
                }
            }
        }

        #[test]
        fn plain_names_are_always_accepted(name in "[A-Za-z][A-Za-z' -]{0,30}") {
            prop_assert_eq!(clean_name(Some(&name)), Ok(name.trim().to_owned()));
        }

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
