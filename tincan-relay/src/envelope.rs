//! Relayed client messages: validation, and stamping with the sender's id.

use serde_json::Value;

use crate::protocol::{ErrorCode, ServerMessage};

/// Why a client message was refused: the code and plain words to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Rejection {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The `error` frame telling the client about it.
    pub(crate) fn to_json(&self) -> String {
        ServerMessage::Error {
            code: self.code,
            message: self.message.clone(),
        }
        .to_json()
    }
}

/// A client message that passed validation and is ready to forward.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The message's `type`, kept for logging (never the body).
    pub(crate) kind: String,
    /// The recipient, or `None` for everyone else in the room.
    pub(crate) to: Option<String>,
    /// The frame to forward, with `from` set to the sender.
    pub(crate) text: String,
}

const RESERVED_TYPES: [&str; 4] = ["welcome", "peer-joined", "peer-left", "error"];

/// Checks a client text frame and stamps it with the sender's id.
pub(crate) fn prepare(text: &str, from: &str) -> Result<Outgoing, Rejection> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Rejection::new(ErrorCode::BadJson, format!("not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(Rejection::new(
            ErrorCode::BadMessage,
            "a message must be a JSON object",
        ));
    };
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => {
            return Err(Rejection::new(
                ErrorCode::BadMessage,
                "a message needs a string field \"type\"",
            ))
        }
    };
    if RESERVED_TYPES.contains(&kind.as_str()) {
        return Err(Rejection::new(
            ErrorCode::ReservedType,
            format!("\"{kind}\" messages are sent by the relay only"),
        ));
    }
    let to = match object.get("to") {
        None => None,
        Some(Value::String(to)) => Some(to.clone()),
        Some(_) => {
            return Err(Rejection::new(
                ErrorCode::BadMessage,
                "\"to\" must be a peer id string",
            ))
        }
    };
    let from_json = Value::String(from.to_owned());
    let text = if object.contains_key("from") {
        // Rare: the client wrote its own `from`; rebuild the object to overwrite it.
        object.insert("from".to_owned(), from_json);
        Value::Object(object).to_string()
    } else {
        // Common case: keep the client's bytes exactly and splice `from` in front.
        stamp(text, &from_json)
    };
    Ok(Outgoing { kind, to, text })
}

/// Inserts `"from":<id>` as the first member of an object known to be non-empty.
fn stamp(text: &str, from: &Value) -> String {
    let body = text.trim_start().strip_prefix('{').unwrap_or(text);
    let mut out = String::with_capacity(text.len() + 32);
    out.push_str("{\"from\":");
    out.push_str(&from.to_string());
    out.push(',');
    out.push_str(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_from_without_touching_the_rest() {
        let out = prepare(r#" {"type":"offer","sdp":"v=0\r\n","to":"b"}"#, "a1").unwrap();
        assert_eq!(
            out.text,
            r#"{"from":"a1","type":"offer","sdp":"v=0\r\n","to":"b"}"#
        );
        assert_eq!(out.to.as_deref(), Some("b"));
        assert_eq!(out.kind, "offer");
    }

    #[test]
    fn overwrites_a_forged_from() {
        let out = prepare(r#"{"type":"x","from":"mallory"}"#, "a1").unwrap();
        let map: serde_json::Map<String, Value> = serde_json::from_str(&out.text).unwrap();
        assert_eq!(map["from"], "a1");
        assert_eq!(map["type"], "x");
    }

    #[test]
    fn rejects_bad_input_with_the_right_code() {
        let code = |text: &str| prepare(text, "a").unwrap_err().code;
        assert_eq!(code("{"), ErrorCode::BadJson);
        assert_eq!(code("[1]"), ErrorCode::BadMessage);
        assert_eq!(code("{}"), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":3}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"offer","to":7}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"welcome"}"#), ErrorCode::ReservedType);
    }
}
