//! The TXT record of a room: what an announcement says, and the rules a heard one must meet.
//!
//! | key | value |
//! | --- | --- |
//! | `v` | the signaling protocol version, decimal (`1`) |
//! | `room` | the room name, 1 to 64 of `A-Z a-z 0-9 _ -` |
//! | `host` | the host's display name, at most 32 characters, no control or direction marks |
//! | `people` | how many people are in the room, decimal |
//! | `key` | `1` when a passcode is needed to join, else `0` |
//! | `rev` | optional: counts the announcer's changes, so that no update repeats an earlier record |
//!
//! Everything heard is untrusted: any value that breaks these rules makes the whole
//! announcement unusable, so a hostile or broken one never reaches the list.

use crate::error::{Error, Result};

/// Longest display name, in characters (the relay's limit).
pub use tincan_protocol::MAX_NAME_CHARS as MAX_HOST_CHARS;
/// Longest room name, in characters (the relay's limit).
pub use tincan_protocol::MAX_ROOM_CHARS;
/// DNS-SD: one TXT string, `key=value`, is at most 255 bytes.
pub(crate) const MAX_ENTRY_BYTES: usize = 255;
/// A people count longer than this many digits is not believed.
const MAX_COUNT_DIGITS: usize = 5;

/// Why a heard announcement was not listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// A required TXT key is absent.
    Missing(&'static str),
    /// A TXT value breaks its rule.
    Malformed(&'static str),
    /// No address left that a joiner could use.
    NoAddress,
    /// Port 0.
    NoPort,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(key) => write!(f, "TXT key {key:?} is missing"),
            Self::Malformed(key) => write!(f, "TXT key {key:?} has a malformed value"),
            Self::NoAddress => f.write_str("no usable address"),
            Self::NoPort => f.write_str("port 0"),
        }
    }
}

/// The TXT fields of a room, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fields {
    pub version: u32,
    pub room: String,
    pub host: String,
    pub people: u32,
    pub key_required: bool,
}

/// Checks a room name by the protocol's rule, which the relay applies too.
pub(crate) fn check_room(room: &str) -> Result<()> {
    tincan_protocol::validate_room(room)
        .map_err(|_| Error::InvalidRoom(room.chars().take(80).collect()))
}

/// Characters that must not reach a list shown to a person: control characters, and the
/// marks that reorder text (a name could otherwise pose as another one).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Makes a display name fit to announce: unsafe characters dropped, spaces trimmed, at most
/// [`MAX_HOST_CHARS`] characters.
pub(crate) fn sanitize_host(name: &str) -> String {
    let kept: String = name.chars().filter(|c| !is_unsafe(*c)).collect();
    kept.trim()
        .chars()
        .take(MAX_HOST_CHARS)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The TXT entries of an announcement, each within [`MAX_ENTRY_BYTES`].
pub(crate) fn entries(fields: &Fields) -> Vec<(String, String)> {
    let key = if fields.key_required { "1" } else { "0" };
    let entries = [
        ("v", fields.version.to_string()),
        ("room", fields.room.clone()),
        ("host", fields.host.clone()),
        ("people", fields.people.to_string()),
        ("key", key.to_owned()),
    ];
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), truncate_entry(k, v)))
        .collect()
}

/// Cuts a value on a character boundary so that `key=value` fits one TXT string. The checks on
/// room and host keep real values far below the limit; this is the last guard.
fn truncate_entry(key: &str, mut value: String) -> String {
    let room = MAX_ENTRY_BYTES - key.len() - 1;
    if value.len() > room {
        let mut end = room;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

/// Reads and checks the fields of a heard TXT record. `get` returns the raw value of a key:
/// `None` when absent, `Some(None)` when present without `=`.
pub(crate) fn parse<'a>(
    get: impl Fn(&str) -> Option<Option<&'a [u8]>>,
) -> std::result::Result<Fields, Rejection> {
    let text = |key: &'static str| -> std::result::Result<&'a str, Rejection> {
        let raw = get(key)
            .ok_or(Rejection::Missing(key))?
            .ok_or(Rejection::Malformed(key))?;
        if raw.len() > MAX_ENTRY_BYTES {
            return Err(Rejection::Malformed(key));
        }
        std::str::from_utf8(raw).map_err(|_| Rejection::Malformed(key))
    };
    let number = |key: &'static str, digits: usize| -> std::result::Result<u32, Rejection> {
        let value = text(key)?;
        if value.is_empty() || value.len() > digits || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rejection::Malformed(key));
        }
        value.parse().map_err(|_| Rejection::Malformed(key))
    };

    let version = number("v", 3)?;
    if version == 0 {
        return Err(Rejection::Malformed("v"));
    }
    let room = text("room")?;
    check_room(room).map_err(|_| Rejection::Malformed("room"))?;
    let host = text("host")?;
    if host.chars().count() > MAX_HOST_CHARS || host.chars().any(is_unsafe) || host.trim() != host {
        return Err(Rejection::Malformed("host"));
    }
    let people = number("people", MAX_COUNT_DIGITS)?;
    let key_required = match text("key")? {
        "1" => true,
        "0" => false,
        _ => return Err(Rejection::Malformed("key")),
    };
    Ok(Fields {
        version,
        room: room.to_owned(),
        host: host.to_owned(),
        people,
        key_required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn heard(pairs: &[(&str, &[u8])]) -> std::result::Result<Fields, Rejection> {
        let map: HashMap<String, Vec<u8>> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect();
        parse(|key| map.get(key).map(|v| Some(v.as_slice())))
    }

    const GOOD: &[(&str, &[u8])] = &[
        ("v", b"1"),
        ("room", b"kitchen"),
        ("host", "Ann Lee \u{1F375}".as_bytes()),
        ("people", b"3"),
        ("key", b"1"),
    ];

    fn with(key: &str, value: &[u8]) -> std::result::Result<Fields, Rejection> {
        let mut pairs: Vec<(&str, &[u8])> =
            GOOD.iter().filter(|(k, _)| *k != key).copied().collect();
        pairs.push((key, value));
        heard(&pairs)
    }

    fn without(key: &str) -> std::result::Result<Fields, Rejection> {
        let pairs: Vec<(&str, &[u8])> = GOOD.iter().filter(|(k, _)| *k != key).copied().collect();
        heard(&pairs)
    }

    #[test]
    fn a_good_record_parses() {
        let fields = heard(GOOD).unwrap();
        assert_eq!(
            fields,
            Fields {
                version: 1,
                room: "kitchen".into(),
                host: "Ann Lee \u{1F375}".into(),
                people: 3,
                key_required: true,
            }
        );
        assert_eq!(
            with("host", b"").unwrap().host,
            "",
            "an empty name is the host's choice"
        );
        assert_eq!(
            with("v", b"7").unwrap().version,
            7,
            "other versions parse, to be marked"
        );
    }

    #[test]
    fn what_we_announce_parses_back() {
        let fields = heard(GOOD).unwrap();
        let entries = entries(&fields);
        let map: HashMap<String, String> = entries.into_iter().collect();
        let back = parse(|key| map.get(key).map(|v| Some(v.as_bytes()))).unwrap();
        assert_eq!(back, fields);
    }

    #[test]
    fn missing_keys_are_rejected() {
        for key in ["v", "room", "host", "people", "key"] {
            assert_eq!(without(key), Err(Rejection::Missing(key)), "{key}");
        }
    }

    #[test]
    fn malformed_values_are_rejected() {
        let long_room = "a".repeat(65);
        let long_host = "é".repeat(33);
        let cases: &[(&str, &[u8])] = &[
            ("v", b""),
            ("v", b"0"),
            ("v", b"one"),
            ("v", b"1000"),
            ("v", b"-1"),
            ("room", b""),
            ("room", b"kitchen sink"),
            ("room", b"k\xc3\xbcche"),
            ("room", long_room.as_bytes()),
            ("host", long_host.as_bytes()),
            ("host", b"Ann\nBo"),
            ("host", b"Ann\x1b[31m"),
            ("host", "evil\u{202E}gnp.exe".as_bytes()),
            ("host", b"\xff\xfe"),
            ("host", b" padded "),
            ("people", b""),
            ("people", b"-1"),
            ("people", b"+3"),
            ("people", b"123456"),
            ("people", b"3 "),
            ("key", b""),
            ("key", b"yes"),
            ("key", b"2"),
        ];
        for (key, value) in cases {
            assert_eq!(
                with(key, value),
                Err(Rejection::Malformed(key)),
                "{key}={}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn a_key_without_value_is_malformed() {
        let map: HashMap<&str, Option<&[u8]>> = GOOD
            .iter()
            .map(|(k, v)| (*k, if *k == "key" { None } else { Some(*v) }))
            .collect();
        assert_eq!(
            parse(|key| map.get(key).copied()),
            Err(Rejection::Malformed("key"))
        );
    }

    #[test]
    fn huge_values_are_rejected_not_read() {
        let huge = vec![b'1'; 100_000];
        assert_eq!(with("people", &huge), Err(Rejection::Malformed("people")));
        assert_eq!(with("host", &huge), Err(Rejection::Malformed("host")));
    }

    #[test]
    fn host_names_are_sanitized_for_announcing() {
        assert_eq!(sanitize_host("  Ann\u{0007} Lee\n "), "Ann Lee");
        assert_eq!(sanitize_host("x\u{202E}y\u{200B}z"), "xyz");
        assert_eq!(
            sanitize_host(&"한".repeat(40)).chars().count(),
            MAX_HOST_CHARS
        );
        assert_eq!(
            sanitize_host(&format!("{} b", "a".repeat(31))),
            "a".repeat(31)
        );
    }

    #[test]
    fn entries_fit_one_txt_string() {
        let entry = truncate_entry("host", "\u{1F375}".repeat(100));
        assert!("host=".len() + entry.len() <= MAX_ENTRY_BYTES);
        assert!(entry.chars().all(|c| c == '\u{1F375}'));
        assert_eq!(truncate_entry("room", "kitchen".into()), "kitchen");
    }

    #[test]
    fn room_names_follow_the_relay() {
        assert!(check_room("kitchen_2-b").is_ok());
        assert!(check_room(&"r".repeat(MAX_ROOM_CHARS)).is_ok());
        for bad in ["", "a b", "ü", "a/b", &"r".repeat(MAX_ROOM_CHARS + 1)] {
            assert!(
                matches!(check_room(bad), Err(Error::InvalidRoom(_))),
                "{bad:?}"
            );
        }
    }
}
