//! Host addresses as people type them (`host`, `host:port`, `[v6]:port`) and the WebSocket URLs
//! built from them.

use std::{
    fmt,
    net::{Ipv4Addr, Ipv6Addr},
};

use crate::error::Error;

/// The port a host listens on unless told otherwise, and the one joiners assume.
pub const DEFAULT_PORT: u16 = 47800;

/// The room a host opens and a joiner enters when none is named.
pub const DEFAULT_ROOM: &str = tincan_protocol::DEFAULT_ROOM;

/// Longest host name DNS allows.
const MAX_HOST_CHARS: usize = 253;

/// A host and port to open a signaling socket to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddress {
    /// An IPv4 address, a host name, or an IPv6 address already in brackets.
    host: String,
    port: u16,
}

impl HostAddress {
    /// Reads what someone typed into "Join by IP" or passed to `--join`.
    ///
    /// A pasted `http://` or `ws://` prefix and a trailing `/` are forgiven, because the
    /// address is often copied from a browser's address bar.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadAddress {
            input: input.trim().to_owned(),
            reason: reason.to_owned(),
        };
        let mut text = input.trim();
        for scheme in ["http://", "ws://"] {
            // `get`, not slicing: the text may start with characters wider than one byte.
            let prefix = text.get(..scheme.len());
            if prefix.is_some_and(|p| p.eq_ignore_ascii_case(scheme)) {
                text = &text[scheme.len()..];
            }
        }
        let text = text.strip_suffix('/').unwrap_or(text);
        if text.is_empty() {
            return Err(bad(
                "type the host's address, such as 192.168.1.23 or 192.168.1.23:47800",
            ));
        }
        if text.contains('/') || text.contains('?') || text.contains('@') {
            return Err(bad(
                "type only the address and port, such as 192.168.1.23:47800",
            ));
        }

        if let Some(rest) = text.strip_prefix('[') {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address in brackets needs its closing ']'"))?;
            let ip: Ipv6Addr = ip.parse().map_err(|_| bad("not a valid IPv6 address"))?;
            let port = match after {
                "" => DEFAULT_PORT,
                _ => {
                    let port = after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("write the port after the ']' as :PORT"))?;
                    parse_port(port).map_err(&bad)?
                }
            };
            return Ok(Self {
                host: format!("[{ip}]"),
                port,
            });
        }

        match text.matches(':').count() {
            0 => Ok(Self {
                host: check_host(text).map_err(&bad)?,
                port: DEFAULT_PORT,
            }),
            1 => {
                let (host, port) = text.split_once(':').unwrap_or((text, ""));
                let host = check_host(host).map_err(&bad)?;
                let port = parse_port(port).map_err(&bad)?;
                Ok(Self { host, port })
            }
            // Several colons: a bare IPv6 address, which cannot carry a port without brackets.
            _ => match text.parse::<Ipv6Addr>() {
                Ok(ip) => Ok(Self {
                    host: format!("[{ip}]"),
                    port: DEFAULT_PORT,
                }),
                Err(_) => Err(bad("write an IPv6 address with a port as [address]:port")),
            },
        }
    }

    /// `ws://host:port/ws/{room}`, the signaling endpoint of a room, with no query.
    pub fn room_url(&self, room: &str) -> String {
        // Room names are checked to be `A-Za-z0-9_-`, so they need no escaping in a path.
        format!("ws://{self}/ws/{room}")
    }

    /// The full URL to open: the room endpoint plus `name`, `key` and the protocol version.
    pub fn join_url(&self, room: &str, name: &str, key: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("name", name);
        if let Some(key) = key.filter(|k| !k.is_empty()) {
            query.append_pair("key", key);
        }
        query.append_pair("v", &tincan_protocol::PROTOCOL_VERSION.to_string());
        format!("{}?{}", self.room_url(room), query.finish())
    }
}

impl fmt::Display for HostAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

fn parse_port(text: &str) -> Result<u16, &'static str> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err("the port must be a number from 1 to 65535"),
    }
}

/// Accepts an IPv4 address or a DNS host name, returned lower-cased.
fn check_host(host: &str) -> Result<String, &'static str> {
    if host.is_empty() {
        return Err("the host part before ':' is empty");
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return match host.parse::<Ipv4Addr>() {
            Ok(ip) => Ok(ip.to_string()),
            Err(_) => Err("not a valid IPv4 address (four numbers from 0 to 255)"),
        };
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if host.len() > MAX_HOST_CHARS || !host.trim_end_matches('.').split('.').all(label_ok) {
        return Err("a host name may only use letters, digits, '-' and '.'");
    }
    Ok(host.to_ascii_lowercase())
}

/// Checks a room name the way the relay will, so a bad one fails before connecting.
pub fn check_room(room: &str) -> Result<(), Error> {
    tincan_protocol::validate_room(room)
        .map_err(|reason| Error::BadInput(format!("\"{room}\" cannot be used: {reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        HostAddress::parse(input).unwrap().to_string()
    }

    fn err(input: &str) -> String {
        HostAddress::parse(input).unwrap_err().to_string()
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(ok("192.168.1.23"), "192.168.1.23:47800");
        assert_eq!(ok(" 192.168.1.23:5000 "), "192.168.1.23:5000");
        assert_eq!(ok("[fd00::5]:47801"), "[fd00::5]:47801");
        assert_eq!(ok("[FD00:0::5]"), "[fd00::5]:47800");
        assert_eq!(ok("fd00::5"), "[fd00::5]:47800");
        assert_eq!(ok("Alice-Laptop.local"), "alice-laptop.local:47800");
        assert_eq!(ok("localhost:9"), "localhost:9");
    }

    #[test]
    fn forgives_a_pasted_url() {
        assert_eq!(ok("http://10.0.0.5:47800/"), "10.0.0.5:47800");
        assert_eq!(ok("WS://10.0.0.5"), "10.0.0.5:47800");
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        assert!(err("").contains("type the host's address"));
        assert!(err("10.0.0.5:0").contains("port must be a number from 1 to 65535"));
        assert!(err("10.0.0.5:99999").contains("port must be"));
        assert!(err("10.0.0.5:abc").contains("port must be"));
        assert!(err("10.0.0.999").contains("not a valid IPv4 address"));
        assert!(err("[fd00::5").contains("closing ']'"));
        assert!(err("[nope]:1").contains("not a valid IPv6 address"));
        assert!(err("[fd00::5]47800").contains(":PORT"));
        assert!(err("fd00::5:x:y:z:q:r:s:t").contains("[address]:port"));
        assert!(err("bad host!").contains("letters, digits"));
        assert!(err(":47800").contains("host part"));
        assert!(err("10.0.0.5/ws/lobby").contains("only the address"));
        assert_eq!(err("nope!"), "\"nope!\" is not a host address: a host name may only use letters, digits, '-' and '.'");
    }

    #[test]
    fn builds_the_room_url_with_an_escaped_query() {
        let addr = HostAddress::parse("[fd00::5]:9").unwrap();
        assert_eq!(addr.room_url("lobby"), "ws://[fd00::5]:9/ws/lobby");
        assert_eq!(
            addr.join_url("team-1", "Zoë & co", Some("a b")),
            "ws://[fd00::5]:9/ws/team-1?name=Zo%C3%AB+%26+co&key=a+b&v=1"
        );
        assert_eq!(
            addr.join_url("lobby", "", None),
            "ws://[fd00::5]:9/ws/lobby?name=&v=1"
        );
    }

    #[test]
    fn checks_room_names_like_the_relay() {
        assert!(check_room("lobby").is_ok());
        assert!(check_room("a/b")
            .unwrap_err()
            .to_string()
            .contains("\"a/b\" cannot be used"));
        assert!(check_room("").is_err());
    }
}

/// Properties of the parser over any input, and a table of tricky inputs whose outcomes are
/// written out by hand.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    /// Checks, without this module's own code, that `shown` is `host:port` with a valid port and
    /// a host that is an IPv4 address, a bracketed IPv6 address or a DNS name.
    fn assert_valid_host_port(shown: &str) {
        let (host, port) = shown.rsplit_once(':').expect("host:port");
        let port: u16 = port.parse().expect("a numeric port");
        assert!(port >= 1, "{shown}");
        let ip_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6.parse::<Ipv6Addr>().is_ok(),
            None => host.parse::<Ipv4Addr>().is_ok(),
        };
        let name_ok = !host.is_empty()
            && host.len() <= 253
            && host.trim_end_matches('.').split('.').all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        assert!(ip_ok || name_ok, "{shown} has no valid host");
        // The URL built from it must name the same host and port to a standard URL parser.
        let url = url::Url::parse(&format!("ws://{shown}/ws/lobby")).expect("a valid URL");
        assert_eq!(url.port_or_known_default(), Some(port), "{shown}");
        assert!(url.host_str().is_some(), "{shown}");
    }

    /// Pieces that make the parser's branches meet: brackets, colons, zone ids, schemes, paths.
    fn tricky() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(":".to_owned()),
            Just("::".to_owned()),
            Just("%".to_owned()),
            Just("@".to_owned()),
            Just("/".to_owned()),
            Just(".".to_owned()),
            Just(" ".to_owned()),
            Just("http://".to_owned()),
            Just("ws://".to_owned()),
            "[0-9]{1,6}",
            "[a-fA-F0-9]{1,4}",
            "[a-zA-Z-]{1,8}",
            "\\PC",
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_and_what_it_accepts_round_trips(input in prop_oneof![any::<String>(), tricky()]) {
            if let Ok(address) = HostAddress::parse(&input) {
                let shown = address.to_string();
                assert_valid_host_port(&shown);
                prop_assert_eq!(HostAddress::parse(&shown).ok(), Some(address));
            }
        }

        #[test]
        fn every_ip_and_port_is_accepted(ip in any::<IpAddr>(), port in 1u16..) {
            let (input, host) = match ip {
                IpAddr::V4(v4) => (format!("{v4}:{port}"), v4.to_string()),
                IpAddr::V6(v6) => (format!("[{v6}]:{port}"), format!("[{v6}]")),
            };
            let address = HostAddress::parse(&input).expect("accepted");
            prop_assert_eq!(address.to_string(), format!("{host}:{port}"));
        }
    }

    /// `Ok(shown)` or `Err(a piece of the reason)`.
    const TABLE: &[(&str, Result<&str, &str>)] = &[
        // IPv6 zone ids name an interface of this machine, meaningless to the host; refused.
        ("fe80::1%eth0", Err("[address]:port")),
        ("[fe80::1%eth0]:47800", Err("not a valid IPv6 address")),
        ("[fe80::1%25eth0]", Err("not a valid IPv6 address")),
        // Brackets.
        ("[::1]", Ok("[::1]:47800")),
        ("::1", Ok("[::1]:47800")),
        ("[::1]:", Err("port must be a number")),
        ("[::1]]:80", Err(":PORT")),
        ("[[::1]]", Err("not a valid IPv6 address")),
        ("[]", Err("not a valid IPv6 address")),
        ("[::1", Err("closing ']'")),
        ("::1]:80", Err("[address]:port")),
        ("[::ffff:192.168.1.1]:5", Ok("[::ffff:192.168.1.1]:5")),
        ("1:2:3:4:5:6:7:8:9", Err("[address]:port")),
        ("ws://[::1]:9", Ok("[::1]:9")),
        // Ports at and past the ends of the range.
        ("10.0.0.5:0", Err("port must be a number from 1 to 65535")),
        ("10.0.0.5:1", Ok("10.0.0.5:1")),
        ("10.0.0.5:65535", Ok("10.0.0.5:65535")),
        (
            "10.0.0.5:65536",
            Err("port must be a number from 1 to 65535"),
        ),
        ("[::1]:0", Err("port must be a number")),
        ("[::1]:65536", Err("port must be a number")),
        ("10.0.0.5:", Err("port must be a number")),
        ("10.0.0.5:-1", Err("port must be a number")),
        ("10.0.0.5:0080", Ok("10.0.0.5:80")),
        ("10.0.0.5:\u{ff18}\u{ff10}", Err("port must be a number")),
        (":", Err("host part before ':' is empty")),
        // Paths, queries and user-info: only an address and a port are wanted.
        ("10.0.0.5/ws", Err("only the address")),
        ("10.0.0.5:80/", Ok("10.0.0.5:80")),
        ("http://10.0.0.5:80/ws/lobby", Err("only the address")),
        ("https://10.0.0.5", Err("only the address")),
        ("10.0.0.5?key=1", Err("only the address")),
        ("user@10.0.0.5", Err("only the address")),
        ("user:pass@10.0.0.5:80", Err("only the address")),
        ("10.0.0.5#x", Err("letters, digits")),
        // IPv4 look-alikes.
        ("01.02.03.004", Err("not a valid IPv4 address")),
        ("256.0.0.1", Err("not a valid IPv4 address")),
        ("1.2.3", Err("not a valid IPv4 address")),
        ("10.0.0.5.", Err("not a valid IPv4 address")),
        // Host names.
        ("LOCALHOST", Ok("localhost:47800")),
        ("example.com.", Ok("example.com.:47800")),
        ("xn--bcher-kva.example", Ok("xn--bcher-kva.example:47800")),
        ("b\u{fc}cher.example", Err("letters, digits")),
        // Characters wider than one byte where a scheme would be.
        ("\u{65e5}\u{672c}\u{8a9e}x", Err("letters, digits")),
        ("ws:/\u{e9}", Err("only the address")),
        ("-bad.local", Err("letters, digits")),
        ("a..b", Err("letters, digits")),
        ("  10.0.0.5  ", Ok("10.0.0.5:47800")),
    ];

    #[test]
    fn tricky_inputs_give_the_written_outcomes() {
        for (input, expected) in TABLE {
            match (HostAddress::parse(input), expected) {
                (Ok(address), Ok(shown)) => assert_eq!(&address.to_string(), shown, "{input}"),
                (Err(error), Err(reason)) => {
                    let message = error.to_string();
                    assert!(message.contains(reason), "{input}: {message}");
                }
                (got, _) => panic!("{input}: expected {expected:?}, got {got:?}"),
            }
        }
        // Labels of the longest allowed length, 255 characters in all: two over DNS's limit.
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        assert!(HostAddress::parse(&long).is_err());
        assert!(HostAddress::parse(&long[2..]).is_ok());
    }
}
