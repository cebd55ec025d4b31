//! How the relay ends a connection, and which endings the client retries after.

use tincan_protocol::{Close, ErrorCode, ServerMessage, CLOSE_ABNORMAL};

/// A relay error after which the relay closes the connection: its code and its words.
pub(super) type Fatal = (ErrorCode, String);

/// Close codes after which the relay may well take us back: an abnormal end, a server restart or
/// overload, and the relay's "too slow" / "keepalive timeout". Everything else, notably "host
/// ended the call" and the passcode, room-full, version and "replaced" closes, is final.
pub(super) fn reconnects_after(code: u16) -> bool {
    // RFC 6455 and its registry: internal error, service restart, try again later, bad gateway.
    const SERVER_TROUBLE: std::ops::RangeInclusive<u16> = 1011..=1014;
    code == CLOSE_ABNORMAL
        || SERVER_TROUBLE.contains(&code)
        || code == Close::TOO_SLOW.code
        || code == Close::KEEPALIVE.code
}

/// The code and words of an `error` message after which the relay closes the connection: the
/// protocol's `ErrorCode::close` says which ones those are.
pub(super) fn fatal_error(message: &ServerMessage) -> Option<Fatal> {
    let ServerMessage::Error { code, message } = message else {
        return None;
    };
    code.close()?;
    let words = if message.is_empty() {
        code.as_str()
    } else {
        message
    };
    Some((*code, words.to_owned()))
}

/// The `resume` secret of a `welcome`. Only a short token of letters and digits is taken,
/// since it goes into the next connection's URL as it is.
pub(super) fn resume_secret(message: &ServerMessage) -> Option<String> {
    let ServerMessage::Welcome { resume: secret, .. } = message else {
        return None;
    };
    let plain = !secret.is_empty()
        && secret.len() <= 128
        && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then(|| secret.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> Option<ServerMessage> {
        serde_json::from_str(text).ok()
    }

    fn fatal(text: &str) -> Option<Fatal> {
        decoded(text).as_ref().and_then(fatal_error)
    }

    fn resume(text: &str) -> Option<String> {
        decoded(text).as_ref().and_then(resume_secret)
    }

    #[test]
    fn recognises_fatal_relay_errors_only() {
        let bad_key = r#"{"type":"error","code":"bad-key","message":"wrong passcode"}"#;
        assert_eq!(
            fatal(bad_key),
            Some((ErrorCode::BadKey, "wrong passcode".into()))
        );
        let wait = r#"{"type":"error","code":"too-many-attempts","message":"try again in 4 s"}"#;
        assert_eq!(
            fatal(wait),
            Some((ErrorCode::TooManyAttempts, "try again in 4 s".into()))
        );
        assert_eq!(
            fatal(r#"{"type":"error","code":"room-full"}"#),
            Some((ErrorCode::RoomFull, "room-full".into()))
        );
        assert_eq!(
            fatal(r#"{"type":"error","code":"rate-limited","message":"x"}"#),
            None
        );
        assert_eq!(
            fatal(r#"{"type":"error","code":"from-the-future","message":"x"}"#),
            None
        );
        assert_eq!(fatal(r#"{"type":"welcome","code":"bad-key"}"#), None);
        assert_eq!(fatal("not json"), None);
    }

    #[test]
    fn reconnects_only_after_transient_closes() {
        assert!(!reconnects_after(Close::HOST_ENDED.code));
        assert!(!reconnects_after(1000));
        assert!(!reconnects_after(Close::BAD_KEY.code));
        assert!(!reconnects_after(Close::REPLACED.code));
        assert!(!reconnects_after(Close::ROOM_FULL.code));
        assert!(reconnects_after(1011));
        assert!(reconnects_after(CLOSE_ABNORMAL));
        assert!(reconnects_after(Close::KEEPALIVE.code));
    }

    /// The protocol's examples, shared with the relay's and the web UI's tests.
    fn fixture() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../tests/fixtures/protocol.json")).unwrap()
    }

    #[test]
    fn retries_after_the_closes_the_protocol_says_to_retry_after() {
        for close in fixture()["closes"].as_array().unwrap() {
            let code = u16::try_from(close["code"].as_u64().unwrap()).unwrap();
            assert_eq!(
                reconnects_after(code),
                close["reconnect"] == "yes",
                "{close}"
            );
        }
    }

    #[test]
    fn the_relays_examples_end_the_call_or_not_as_the_protocol_says() {
        let fixture = fixture();
        let closing: Vec<&str> = fixture["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|error| !error["close"].is_null())
            .map(|error| error["code"].as_str().unwrap())
            .collect();
        for example in fixture["fromRelay"].as_array().unwrap() {
            let message: ServerMessage = serde_json::from_value(example.clone()).unwrap();
            let ends =
                example["type"] == "error" && closing.contains(&example["code"].as_str().unwrap());
            let fatal = fatal_error(&message);
            assert_eq!(fatal.is_some(), ends, "{example}");
            if let Some((code, words)) = fatal {
                assert_eq!(code.as_str(), example["code"]);
                assert_eq!(words, example["message"]);
            }
            let secret = resume_secret(&message);
            assert_eq!(secret.is_some(), example["type"] == "welcome", "{example}");
        }
    }

    #[test]
    fn takes_a_plain_resume_secret_from_a_welcome_only() {
        let welcome =
            r#"{"type":"welcome","id":"a","room":"r","protocol":1,"peers":[],"resume":"0f3a"}"#;
        assert_eq!(resume(welcome).as_deref(), Some("0f3a"));
        let odd =
            r#"{"type":"welcome","id":"a","room":"r","protocol":1,"peers":[],"resume":"x&key=1"}"#;
        assert_eq!(resume(odd), None);
        assert_eq!(resume(r#"{"type":"peer-joined","resume":"0f3a"}"#), None);
        assert_eq!(resume("not json"), None);
    }
}
