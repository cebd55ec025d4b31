//! Relayed client messages: checked (`protocol::Envelope`), then stamped with the sender's id.

use std::borrow::Cow;

use serde_json::Value;

use crate::protocol::{Envelope, ErrorCode, Rejection};

/// A client message that passed validation and is ready to forward.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    /// The message's `type`, kept for logging (never the body).
    pub(crate) kind: Cow<'a, str>,
    /// The recipient, or `None` for everyone else in the room.
    pub(crate) to: Option<Cow<'a, str>>,
    /// The frame to forward, with `from` set to the sender; its capacity is its length, so that
    /// it becomes a shared frame without another allocation.
    pub(crate) text: String,
}

/// Checks a client text frame and stamps it with the sender's id.
pub(crate) fn prepare<'a>(text: &'a str, from: &str) -> Result<Outgoing<'a>, Rejection> {
    let Envelope { kind, to, has_from } = Envelope::read(text)?;
    let text = if has_from {
        // Rare: the client wrote its own `from`; rebuild the object to overwrite it.
        let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(text) else {
            return Err(Rejection::new(ErrorCode::BadJson, "not valid JSON"));
        };
        object.insert("from".to_owned(), Value::String(from.to_owned()));
        let mut text = Value::Object(object).to_string();
        text.shrink_to_fit();
        text
    } else {
        // Common case: keep the client's bytes exactly and splice `from` in front.
        stamp(text, from)
    };
    Ok(Outgoing { kind, to, text })
}

/// Inserts `"from":<id>` as the first member of an object known to be non-empty, in one
/// allocation of exactly the output's size.
fn stamp(text: &str, from: &str) -> String {
    let body = text.trim_start().strip_prefix('{').unwrap_or(text);
    // Relay ids are plain hex; anything else goes through the JSON encoder to be escaped.
    let escaped;
    let quoted: [&str; 3] = if from.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        ["\"", from, "\""]
    } else {
        escaped = Value::String(from.to_owned()).to_string();
        ["", &escaped, ""]
    };
    const HEAD: &str = "{\"from\":";
    let len = HEAD.len() + quoted.iter().map(|part| part.len()).sum::<usize>() + 1 + body.len();
    let mut out = String::with_capacity(len);
    out.push_str(HEAD);
    for part in quoted {
        out.push_str(part);
    }
    out.push(',');
    out.push_str(body);
    debug_assert_eq!(out.len(), out.capacity());
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

    #[test]
    fn the_fixture_examples_are_relayed_or_refused_as_it_says() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/protocol.json")).unwrap();
        for example in fixture["fromClient"].as_array().unwrap() {
            let from = example["from"].as_str().unwrap();
            let sent = example["send"].to_string();
            let out = prepare(&sent, from).unwrap();
            let relayed: Value = serde_json::from_str(&out.text).unwrap();
            assert_eq!(relayed, example["receive"]);
        }
        for example in fixture["invalid"].as_array().unwrap() {
            let refused = prepare(example["text"].as_str().unwrap(), "a").unwrap_err();
            assert_eq!(refused.code.as_str(), example["error"], "{example}");
        }
    }
}

#[cfg(test)]
mod properties {
    use std::fmt;

    use proptest::prelude::*;
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_json::Map;

    use super::*;
    use crate::protocol::RESERVED_TYPES;

    /// The member names of a JSON object text in order, duplicates kept (a `Map` hides them).
    fn member_names(text: &str) -> Vec<String> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    names.push(name);
                }
                Ok(names)
            }
        }
        serde_json::Deserializer::from_str(text)
            .deserialize_map(Names)
            .expect("output must be a JSON object")
    }

    /// Member names as JSON text, including escaped spellings of `from`.
    fn name_text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""type""#.to_owned()),
            Just(r#""to""#.to_owned()),
            Just(r#""from""#.to_owned()),
            Just(r#""fr\u006fm""#.to_owned()),
            Just(r#""\u0066rom""#.to_owned()),
            Just(r#""From""#.to_owned()),
            Just(r#""sdp""#.to_owned()),
            any::<String>().prop_map(|s| Value::String(s).to_string()),
        ]
    }

    fn value_text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""offer""#.to_owned()),
            Just(r#""welcome""#.to_owned()),
            Just(r#""peer-1""#.to_owned()),
            Just(r#""mallory""#.to_owned()),
            Just("7".to_owned()),
            Just("null".to_owned()),
            Just("[]".to_owned()),
            Just(r#"{"from":"inner","type":"x"}"#.to_owned()),
            Just(r#""\u0000\ud83d\ude00\"""#.to_owned()),
            any::<String>().prop_map(|s| Value::String(s).to_string()),
        ]
    }

    /// JSON object texts built member by member, with JSON white space between tokens.
    fn object_text() -> impl Strategy<Value = String> {
        let space = prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r\n ")];
        let member = (name_text(), space.clone(), value_text());
        (
            proptest::collection::vec(member, 0..6),
            space,
            any::<bool>(),
        )
            .prop_map(|(members, space, with_type)| {
                let mut parts: Vec<String> = members
                    .into_iter()
                    .map(|(name, pad, value)| format!("{pad}{name}{pad}:{pad}{value}{pad}"))
                    .collect();
                if with_type {
                    parts.insert(0, r#""type":"candidate""#.to_owned());
                }
                format!("{space}{{{}}}{space}", parts.join(","))
            })
    }

    /// What `prepare` must decide for `text`, computed the plain way.
    fn acceptable(text: &str) -> bool {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
            return false;
        };
        let type_ok = matches!(map.get("type"), Some(Value::String(t)) if !RESERVED_TYPES.contains(&t.as_str()));
        let to_ok = matches!(map.get("to"), None | Some(Value::String(_)));
        // A routing member given twice is ambiguous (which `to` counts?), so it is refused.
        let names = member_names(text);
        let once = ["type", "to", "from"]
            .iter()
            .all(|key| names.iter().filter(|name| name == key).count() <= 1);
        type_ok && to_ok && once
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>(), from in "[0-9a-f]{12}") {
            let _ = prepare(&text, &from);
        }

        #[test]
        fn stamped_output_is_json_with_one_true_from(
            text in object_text(),
            from in "[0-9a-f]{12}",
        ) {
            let result = prepare(&text, &from);
            prop_assert_eq!(result.is_ok(), acceptable(&text), "{}", text);
            let Ok(out) = result else { return Ok(()) };
            let parsed: Map<String, Value> = serde_json::from_str(&out.text)
                .expect("output must parse as a JSON object");
            let froms = member_names(&out.text).iter().filter(|n| *n == "from").count();
            prop_assert_eq!(froms, 1, "{}", out.text);
            prop_assert_eq!(&parsed["from"], &Value::String(from.clone()));
            // Everything else is the client's, untouched.
            let mut input: Map<String, Value> = serde_json::from_str(&text).unwrap();
            let mut output = parsed.clone();
            input.remove("from");
            output.remove("from");
            prop_assert_eq!(&output, &input);
            prop_assert_eq!(out.to.as_deref(), input.get("to").and_then(Value::as_str));
            prop_assert_eq!(Some(&*out.kind), input.get("type").and_then(Value::as_str));
        }
    }
}
