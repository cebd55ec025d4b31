//! The WebSocket close codes of the protocol, with the reason text the relay sends with each.

/// The close a client sends when its person leaves the call (RFC 6455 "normal closure").
pub const CLOSE_NORMAL: u16 = 1000;

/// The code a client reports when the connection ended without a close frame: the network
/// dropped or the relay vanished (RFC 6455 reserves it for exactly that; it is never sent).
pub const CLOSE_ABNORMAL: u16 = 1006;

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

    /// Every close the relay sends.
    pub const ALL: [Close; 13] = [
        Self::HOST_ENDED,
        Self::BAD_KEY,
        Self::TOO_MANY_ATTEMPTS,
        Self::PROTOCOL_ERROR,
        Self::BAD_UTF8,
        Self::TOO_MANY_PINGS,
        Self::FRAME_TOO_BIG,
        Self::ROOM_FULL,
        Self::TOO_SLOW,
        Self::KEEPALIVE,
        Self::VERSION_MISMATCH,
        Self::REPLACED,
        Self::RELAY_FULL,
    ];
}
