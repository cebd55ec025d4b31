//! How the relay ends a connection, and which endings the client retries after.

use tincan_relay::protocol::{Close, ErrorCode};

/// Close codes after which the relay may well take us back: an abnormal end, a server restart or
/// overload, and the relay's "too slow" / "keepalive timeout". Everything else, notably "host
/// ended the call" and the passcode, room-full, version and "replaced" closes, is final.
pub(super) fn reconnects_after(code: u16) -> bool {
    matches!(code, 1006 | 1011 | 1012 | 1013 | 1014)
        || code == Close::TOO_SLOW.code
        || code == Close::KEEPALIVE.code
}

/// The code and message of an `error` frame after which the relay closes the connection: the
/// relay's own `ErrorCode` says which ones those are.
pub(super) fn fatal_error(text: &str) -> Option<(String, String)> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if value.get("type")?.as_str()? != "error" {
        return None;
    }
    let name = value.get("code")?.as_str()?;
    let code: ErrorCode = serde_json::from_value(serde_json::Value::from(name)).ok()?;
    code.close()?;
    let message = value
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or(name);
    Some((name.to_owned(), message.to_owned()))
}

/// The `resume` secret of a `welcome` frame. Only a short token of letters and digits is taken,
/// since it goes into the next connection's URL as it is.
pub(super) fn resume_secret(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if value.get("type")?.as_str()? != "welcome" {
        return None;
    }
    let secret = value.get("resume")?.as_str()?;
    let plain = !secret.is_empty()
        && secret.len() <= 128
        && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then(|| secret.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_fatal_relay_errors_only() {
        let fatal = fatal_error(r#"{"type":"error","code":"bad-key","message":"wrong passcode"}"#);
        assert_eq!(fatal, Some(("bad-key".into(), "wrong passcode".into())));
        let wait = r#"{"type":"error","code":"too-many-attempts","message":"try again in 4 s"}"#;
        assert_eq!(
            fatal_error(wait),
            Some(("too-many-attempts".into(), "try again in 4 s".into()))
        );
        assert_eq!(
            fatal_error(r#"{"type":"error","code":"rate-limited","message":"x"}"#),
            None
        );
        assert_eq!(fatal_error(r#"{"type":"welcome","code":"bad-key"}"#), None);
        assert_eq!(fatal_error("not json"), None);
    }

    #[test]
    fn reconnects_only_after_transient_closes() {
        assert!(!reconnects_after(1001));
        assert!(!reconnects_after(1000));
        assert!(!reconnects_after(4001));
        assert!(!reconnects_after(Close::REPLACED.code));
        assert!(!reconnects_after(Close::ROOM_FULL.code));
        assert!(reconnects_after(1011));
        assert!(reconnects_after(4008));
    }

    #[test]
    fn takes_a_plain_resume_secret_from_a_welcome_only() {
        let welcome =
            r#"{"type":"welcome","id":"a","room":"r","protocol":1,"peers":[],"resume":"0f3a"}"#;
        assert_eq!(resume_secret(welcome).as_deref(), Some("0f3a"));
        let odd = r#"{"type":"welcome","id":"a","resume":"x&key=1"}"#;
        assert_eq!(resume_secret(odd), None);
        assert_eq!(
            resume_secret(r#"{"type":"peer-joined","resume":"0f3a"}"#),
            None
        );
        assert_eq!(resume_secret("not json"), None);
    }
}
