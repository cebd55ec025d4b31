//! What a WebSocket asked for when it opened, and the checks it must pass before it takes a place
//! in a room: the protocol version and the passcode (through the guessing guard).

use std::net::SocketAddr;

use crate::{
    config::Config,
    guard::{GuardLimits, KeyGuard},
    protocol::{ErrorCode, Rejection, PROTOCOL_VERSION},
};

/// What the client asked for in the upgrade request, already validated.
#[derive(Debug)]
pub(crate) struct Admission {
    /// Where the connection comes from, for per-address limits and for the logs.
    pub(crate) addr: SocketAddr,
    pub(crate) room: String,
    pub(crate) name: String,
    pub(crate) key: Option<String>,
    pub(crate) version: Option<String>,
    /// The `resume` secret of an earlier connection of this client, which this one replaces.
    pub(crate) resume: Option<String>,
}

/// Version and passcode checks, done before the connection takes a place in a room.
pub(crate) fn check(config: &Config, guard: &KeyGuard, admission: &Admission) -> Option<Rejection> {
    if let Some(version) = &admission.version {
        if version.trim() != PROTOCOL_VERSION.to_string() {
            let message = format!(
                "this relay speaks protocol version {PROTOCOL_VERSION}, the client asked for {version}"
            );
            return Some(Rejection::new(ErrorCode::VersionMismatch, message));
        }
    }
    let expected = config.key.as_ref()?;
    // No passcode at all is not a guess: it reveals nothing, so it costs no attempt.
    let Some(given) = admission.key.as_deref().filter(|key| !key.is_empty()) else {
        return Some(Rejection::new(
            ErrorCode::BadKey,
            "this room needs a passcode",
        ));
    };
    let limits = GuardLimits {
        free_tries: config.key_free_tries,
        max_delay: config.key_max_delay,
        failures_per_minute: config.key_failures_per_minute,
    };
    let verdict = guard.attempt(
        limits,
        admission.addr.ip(),
        std::time::Instant::now(),
        || {
            same_secret(
                normalize_passcode(given).as_bytes(),
                normalize_passcode(expected).as_bytes(),
            )
        },
    );
    match verdict {
        Ok(true) => None,
        Ok(false) => Some(Rejection::new(ErrorCode::BadKey, "wrong passcode")),
        Err(wait) => Some(Rejection::new(ErrorCode::TooManyAttempts, wait.message())),
    }
}

/// The form in which passcodes are compared, the same as the web UI's: trimmed, lower-case, and
/// every run of spaces (with any hyphens next to it) one hyphen, so a passcode read out loud as
/// "Maple River Torch" matches `maple-river-torch` however it was set or typed.
fn normalize_passcode(text: &str) -> String {
    let lower = text.trim().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut run = String::new();
    let mut run_has_space = false;
    for c in lower.chars() {
        if c.is_whitespace() || c == '-' {
            run_has_space |= c.is_whitespace();
            run.push(c);
            continue;
        }
        if run_has_space {
            out.push('-');
        } else {
            out.push_str(&run);
        }
        run.clear();
        run_has_space = false;
        out.push(c);
    }
    out.push_str(&run);
    out
}

/// Compares secrets without stopping at the first difference, so timing reveals nothing.
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = given.len() ^ expected.len();
    for (i, &byte) in expected.iter().enumerate() {
        diff |= usize::from(byte ^ given.get(i).copied().unwrap_or(!byte));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::normalize_passcode;

    #[test]
    fn passcodes_compare_as_the_web_ui_sends_them() {
        // Each pair: typed or set, then what ui/js/passcode.js normalizePasscode gives.
        let cases = [
            ("maple-river-torch", "maple-river-torch"),
            ("Maple River Torch", "maple-river-torch"),
            ("  maple   river\ttorch ", "maple-river-torch"),
            ("maple - river -torch", "maple-river-torch"),
            ("Tea", "tea"),
            ("a--b", "a--b"),
            ("7319", "7319"),
            ("", ""),
        ];
        for (typed, expected) in cases {
            assert_eq!(normalize_passcode(typed), expected, "{typed:?}");
        }
    }
}
