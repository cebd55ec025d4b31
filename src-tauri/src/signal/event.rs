//! The payload of the `signal` events the webview receives.

use serde::Serialize;
use tincan_protocol::ErrorCode;

/// The payload of a `signal` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SignalEvent {
    /// The socket is open (first connection, or again after `reconnecting`).
    Open,
    /// One text frame from the relay, in arrival order.
    Message {
        /// The frame's text.
        text: String,
    },
    /// The connection dropped; the next attempt starts after `delayMs`.
    Reconnecting {
        /// 1 for the first attempt after a drop.
        attempt: u32,
        /// Wait before this attempt, in milliseconds.
        #[serde(rename = "delayMs")]
        delay_ms: u64,
    },
    /// The socket is closed for good; no reconnect follows.
    Closed {
        /// The WebSocket close code, or the relay's error code (`bad-key`, `room-full`, ...)
        /// when a fatal `error` frame came before the close.
        code: CloseCode,
        /// Plain words: the close reason or the error message.
        reason: String,
        /// When the app itself ended the connection, its error as commands return it
        /// (`{ code, message, params }`), for the page to word in its language.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<serde_json::Value>,
    },
}

/// A numeric WebSocket close code, or the relay's error code that ended the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CloseCode {
    /// A WebSocket close code such as 1001 (host ended the call).
    Number(u16),
    /// A fatal relay error code such as `bad-key`.
    Relay(ErrorCode),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_ui_shape() {
        let json = |e: SignalEvent| serde_json::to_value(e).unwrap();
        assert_eq!(json(SignalEvent::Open), serde_json::json!({"kind": "open"}));
        assert_eq!(
            json(SignalEvent::Reconnecting {
                attempt: 2,
                delay_ms: 1000
            }),
            serde_json::json!({"kind": "reconnecting", "attempt": 2, "delayMs": 1000})
        );
        assert_eq!(
            json(SignalEvent::Closed {
                code: CloseCode::Number(1001),
                reason: "bye".into(),
                error: None,
            }),
            serde_json::json!({"kind": "closed", "code": 1001, "reason": "bye"})
        );
        assert_eq!(
            json(SignalEvent::Closed {
                code: CloseCode::Relay(ErrorCode::BadKey),
                reason: "no".into(),
                error: None,
            }),
            serde_json::json!({"kind": "closed", "code": "bad-key", "reason": "no"})
        );
        let own = serde_json::json!({"code": "too-much-data", "message": "m", "params": {}});
        assert_eq!(
            json(SignalEvent::Closed {
                code: CloseCode::Number(1009),
                reason: "m".into(),
                error: Some(own.clone()),
            }),
            serde_json::json!({"kind": "closed", "code": 1009, "reason": "m", "error": own})
        );
    }
}
