//! What every client message must be before the relay forwards it: a JSON object with a string
//! `type` that is not one of the relay's own, and an optional string `to`.

use std::{borrow::Cow, fmt, marker::PhantomData};

use serde::{
    de::{self, IgnoredAny, Visitor},
    Deserialize, Deserializer,
};
use serde_json::error::Category;

use crate::{ErrorCode, Rejection, RESERVED_TYPES};

/// The routing members of a client message that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The message's `type`.
    pub kind: Cow<'a, str>,
    /// The recipient, or `None` for everyone else in the room.
    pub to: Option<Cow<'a, str>>,
    /// Whether the client wrote a `from` of its own, which the relay must overwrite.
    pub has_from: bool,
}

impl<'a> Envelope<'a> {
    /// Checks one client text frame, answering the refusal the relay sends for a bad one:
    /// `bad-json`, `bad-message` (not an object, no string `type`, a `to` that is not a
    /// string, `type`, `to` or `from` given twice) or `reserved-type`.
    pub fn read(text: &'a str) -> Result<Self, Rejection> {
        // A struct would also accept an array; only objects are messages.
        if !text.trim_start().starts_with('{') {
            return match serde_json::from_str::<IgnoredAny>(text) {
                Err(e) => Err(Rejection::new(
                    ErrorCode::BadJson,
                    format!("not valid JSON: {e}"),
                )),
                Ok(_) => Err(Rejection::new(
                    ErrorCode::BadMessage,
                    "a message must be a JSON object",
                )),
            };
        }
        let head: Head<'_> = serde_json::from_str(text).map_err(|e| match e.classify() {
            Category::Data => Rejection::new(ErrorCode::BadMessage, format!("not a message: {e}")),
            _ => Rejection::new(ErrorCode::BadJson, format!("not valid JSON: {e}")),
        })?;
        let kind = match head.kind {
            Member::Text(kind) => kind,
            _ => {
                return Err(Rejection::new(
                    ErrorCode::BadMessage,
                    "a message needs a string field \"type\"",
                ))
            }
        };
        if RESERVED_TYPES.contains(&&*kind) {
            return Err(Rejection::new(
                ErrorCode::ReservedType,
                format!("\"{kind}\" messages are sent by the relay only"),
            ));
        }
        let to = match head.to {
            Member::Absent => None,
            Member::Text(to) => Some(to),
            Member::Other => {
                return Err(Rejection::new(
                    ErrorCode::BadMessage,
                    "\"to\" must be a peer id string",
                ))
            }
        };
        Ok(Self {
            kind,
            to,
            has_from: !matches!(head.from, Member::Absent),
        })
    }
}

/// The members the relay reads from a client message. The rest is checked for syntax and
/// skipped without building a tree of values: a parsed `Value` cost more than half of the
/// relay's own CPU time per message. A member given twice fails as a duplicate field.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Member<'a>,
    #[serde(borrow, default)]
    to: Member<'a>,
    #[serde(borrow, default)]
    from: Member<'a>,
}

/// A member's value: a string (borrowed when it has no escapes), anything else (`null`
/// included, so `"to":null` is refused like any non-string), or not there at all.
#[derive(Default)]
enum Member<'a> {
    Text(Cow<'a, str>),
    Other,
    #[default]
    Absent,
}

impl<'de: 'a, 'a> Deserialize<'de> for Member<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor(PhantomData))
    }
}

struct MemberVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MemberVisitor<'a> {
    type Value = Member<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_type_and_recipient() {
        let envelope = Envelope::read(r#" {"type":"offer","sdp":"v=0\r\n","to":"b"}"#).unwrap();
        assert_eq!(envelope.kind, "offer");
        assert_eq!(envelope.to.as_deref(), Some("b"));
        assert!(!envelope.has_from);
        assert!(
            Envelope::read(r#"{"type":"x","from":"m"}"#)
                .unwrap()
                .has_from
        );
    }

    #[test]
    fn rejects_bad_input_with_the_right_code() {
        let code = |text: &str| Envelope::read(text).unwrap_err().code;
        assert_eq!(code("{"), ErrorCode::BadJson);
        assert_eq!(code("[1]"), ErrorCode::BadMessage);
        assert_eq!(code("{}"), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":3}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"offer","to":7}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"a","type":"b"}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"welcome"}"#), ErrorCode::ReservedType);
    }
}
