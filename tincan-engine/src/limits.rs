//! Limits on what the far side may hand the engine: session descriptions and ICE candidates
//! arrive through a relay anyone on the LAN can reach, so they are checked here, cheaply and
//! before GStreamer parses or stores any of them.

/// Longest remote SDP text accepted. A browser's audio offer is 2–6 KiB.
pub const MAX_SDP_BYTES: usize = 64 * 1024;
/// Longest single SDP line accepted; real lines stay well under 1 KiB.
pub const MAX_SDP_LINE_BYTES: usize = 4 * 1024;
/// Most media sections (m-lines) in a remote description; the app sends one audio section.
pub const MAX_MEDIA_SECTIONS: usize = 8;
/// Most remote candidates kept per connection between two remote descriptions.
pub const MAX_REMOTE_CANDIDATES: usize = 64;
/// Longest candidate attribute accepted; real ones are under 200 bytes.
pub const MAX_CANDIDATE_BYTES: usize = 512;

/// The only transport profile WebRTC audio uses.
const PROFILE: &str = "UDP/TLS/RTP/SAVPF";

/// Why a remote description or candidate was refused before it reached GStreamer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The SDP text is longer than [`MAX_SDP_BYTES`].
    #[error("the session description is {0} bytes long; at most {MAX_SDP_BYTES} are accepted")]
    SdpTooLarge(usize),
    /// One SDP line is longer than [`MAX_SDP_LINE_BYTES`].
    #[error("line {line} of the session description is {len} bytes long; at most {MAX_SDP_LINE_BYTES} are accepted")]
    SdpLineTooLong {
        /// 1-based line number.
        line: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// The description has no m-line, so there is nothing to connect.
    #[error("the session description has no media section")]
    NoMedia,
    /// The description has more m-lines than [`MAX_MEDIA_SECTIONS`].
    #[error(
        "the session description has {0} media sections; at most {MAX_MEDIA_SECTIONS} are accepted"
    )]
    TooManyMedia(usize),
    /// Two m-lines carry the same `a=mid`.
    #[error("two media sections share the mid {0:?}")]
    DuplicateMid(String),
    /// A media section has no DTLS fingerprint, at its level or the session's.
    #[error("media section {0} has no a=fingerprint, so its encryption cannot be verified")]
    MissingFingerprint(usize),
    /// An m-line uses another transport profile than `UDP/TLS/RTP/SAVPF`.
    #[error(
        "media section {index} uses the profile {profile:?}; only UDP/TLS/RTP/SAVPF is accepted"
    )]
    UnsupportedProfile {
        /// 0-based m-line index.
        index: usize,
        /// The profile it named.
        profile: String,
    },
    /// An m-line is not `m=<media> <port> <proto> <fmt> ...`.
    #[error("media section {0} has a malformed m= line")]
    MalformedMedia(usize),
    /// A candidate attribute is longer than [`MAX_CANDIDATE_BYTES`].
    #[error("the candidate is {0} bytes long; at most {MAX_CANDIDATE_BYTES} are accepted")]
    CandidateTooLong(usize),
    /// A candidate attribute does not follow RFC 8839's grammar.
    #[error("malformed candidate: {0}")]
    MalformedCandidate(&'static str),
    /// More than [`MAX_REMOTE_CANDIDATES`] candidates came for one connection.
    #[error(
        "more than {MAX_REMOTE_CANDIDATES} candidates for one connection; the rest are ignored"
    )]
    TooManyCandidates,
    /// A candidate names an m-line index the app never uses.
    #[error("candidate for media section {0}; at most {MAX_MEDIA_SECTIONS} exist")]
    MediaIndexOutOfRange(u32),
}

/// Checks a remote offer or answer before it is parsed: size, line length, m-lines (count,
/// profile, unique mids), DTLS fingerprints, and the candidates it carries.
pub fn check_remote_sdp(sdp: &str) -> Result<(), InputError> {
    if sdp.len() > MAX_SDP_BYTES {
        return Err(InputError::SdpTooLarge(sdp.len()));
    }
    let mut session_fingerprint = false;
    // Per m-line: whether it has a fingerprint.
    let mut sections: Vec<bool> = Vec::new();
    let mut mids: Vec<&str> = Vec::new();
    let mut candidates = 0;
    for (number, line) in sdp.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.len() > MAX_SDP_LINE_BYTES {
            return Err(InputError::SdpLineTooLong {
                line: number + 1,
                len: line.len(),
            });
        }
        if let Some(media) = line.strip_prefix("m=") {
            let index = sections.len();
            if index == MAX_MEDIA_SECTIONS {
                let total = sdp.lines().filter(|l| l.starts_with("m=")).count();
                return Err(InputError::TooManyMedia(total));
            }
            let mut fields = media.split(' ');
            let (Some(_media), Some(_port), Some(profile), Some(_format)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(InputError::MalformedMedia(index));
            };
            if profile != PROFILE {
                return Err(InputError::UnsupportedProfile {
                    index,
                    profile: profile.chars().take(32).collect(),
                });
            }
            sections.push(false);
        } else if line.starts_with("a=fingerprint:") {
            match sections.last_mut() {
                Some(has) => *has = true,
                None => session_fingerprint = true,
            }
        } else if let Some(mid) = line.strip_prefix("a=mid:") {
            let mid = mid.trim();
            if mids.contains(&mid) {
                return Err(InputError::DuplicateMid(mid.chars().take(32).collect()));
            }
            mids.push(mid);
        } else if let Some(candidate) = line.strip_prefix("a=") {
            if candidate.starts_with("candidate:") {
                candidates += 1;
                if candidates > MAX_REMOTE_CANDIDATES {
                    return Err(InputError::TooManyCandidates);
                }
                check_candidate(candidate)?;
            }
        }
    }
    if sections.is_empty() {
        return Err(InputError::NoMedia);
    }
    if !session_fingerprint {
        if let Some(index) = sections.iter().position(|has| !has) {
            return Err(InputError::MissingFingerprint(index));
        }
    }
    Ok(())
}

/// Checks a candidate attribute (`candidate:...`, without `a=`) against RFC 8839 section 5.1:
/// foundation, component, transport, priority, address, port, `typ` and one of host, srflx,
/// prflx or relay, then optional `raddr`/`rport` and name–value extensions.
pub fn check_candidate(text: &str) -> Result<(), InputError> {
    use InputError::MalformedCandidate as Bad;
    if text.len() > MAX_CANDIDATE_BYTES {
        return Err(InputError::CandidateTooLong(text.len()));
    }
    let body = text
        .strip_prefix("candidate:")
        .ok_or(Bad("it does not start with \"candidate:\""))?;
    let mut fields = body.split(' ');
    let mut next = |what: &'static str| fields.next().filter(|f| !f.is_empty()).ok_or(Bad(what));

    let foundation = next("no foundation")?;
    if foundation.len() > 32
        || !foundation
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        return Err(Bad(
            "the foundation is not 1 to 32 letters, digits, '+' or '/'",
        ));
    }
    let component = next("no component id")?;
    if !matches!(digits(component, 3), Some(1..=256)) {
        return Err(Bad("the component id is not a number from 1 to 256"));
    }
    if !is_token(next("no transport")?) {
        return Err(Bad("the transport is not a token"));
    }
    if !matches!(digits(next("no priority")?, 10), Some(1..=0xFFFF_FFFF)) {
        return Err(Bad("the priority is not a number from 1 to 4294967295"));
    }
    if !is_address(next("no address")?) {
        return Err(Bad("the address is neither an IP address nor a host name"));
    }
    if !is_port(next("no port")?) {
        return Err(Bad("the port is not a number from 0 to 65535"));
    }
    if next("no \"typ\"")? != "typ" {
        return Err(Bad("\"typ\" does not follow the port"));
    }
    if !matches!(
        next("no candidate type")?,
        "host" | "srflx" | "prflx" | "relay"
    ) {
        return Err(Bad("the type is not host, srflx, prflx or relay"));
    }
    // The rest are name–value pairs: raddr, rport, then extensions (generation, ufrag, ...).
    while let Some(name) = fields.next() {
        let value = fields
            .next()
            .filter(|v| !v.is_empty())
            .ok_or(Bad("an extension has no value"))?;
        let fine = match name {
            "raddr" => is_address(value),
            "rport" => is_port(value),
            _ => is_token(name) && value.bytes().all(|b| b.is_ascii_graphic()),
        };
        if !fine {
            return Err(Bad("an extension is malformed"));
        }
    }
    Ok(())
}

/// A number of 1 to `max_digits` ASCII digits.
fn digits(text: &str, max_digits: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn is_port(text: &str) -> bool {
    matches!(digits(text, 5), Some(0..=65535))
}

/// RFC 4566 `token`, as used for transports and extension names.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 32
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&b))
}

/// An IPv4 or IPv6 address, or a host name such as a browser's mDNS `<uuid>.local`.
fn is_address(text: &str) -> bool {
    if text.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let label = |l: &str| {
        !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    text.len() <= 253 && text.split('.').all(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_browsers_and_libnice_send() {
        for ok in [
            "candidate:1 1 UDP 2015363327 10.99.0.1 40361 typ host",
            "candidate:3 1 TCP 1015022079 10.99.0.1 9 typ host tcptype active",
            "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sXPp network-cost 999",
            "candidate:2999745851 1 udp 2122260223 4e3f1a2c-9b1d-4f5e-8c7a-0d2e6b3f9a11.local 58071 typ host generation 0 network-id 1",
            "candidate:a+/b 2 udp 1 fd00::5 5000 typ relay raddr fd00::1 rport 3478",
        ] {
            assert_eq!(check_candidate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_the_grammar_does_not_allow() {
        let bad = |text: &str| check_candidate(text).unwrap_err();
        assert!(matches!(
            bad("1 1 UDP 1 10.0.0.1 1 typ host"),
            InputError::MalformedCandidate(_)
        ));
        for text in [
            "candidate:",
            "candidate:1 0 UDP 1 10.0.0.1 1 typ host",
            "candidate:1 257 UDP 1 10.0.0.1 1 typ host",
            "candidate:1 1 UDP 0 10.0.0.1 1 typ host",
            "candidate:1 1 UDP 4294967296 10.0.0.1 1 typ host",
            "candidate:1 1 UDP 1 10.0.0.1 65536 typ host",
            "candidate:1 1 UDP 1 10.0.0.1 1 typ",
            "candidate:1 1 UDP 1 10.0.0.1 1 typ evil",
            "candidate:1 1 UDP 1 10.0.0.1 1 kind host",
            "candidate:1 1 UDP 1 bad_host! 1 typ host",
            "candidate:1 1 UDP 1 10.0.0.1 1 typ host generation",
            "candidate:1 1 UDP 1 10.0.0.1 1 typ host raddr 1.2.3.4.5.6.7.8.9..",
            "candidate:1  1 UDP 1 10.0.0.1 1 typ host",
            "candidate:1 1 UDP 1 10.0.0.1 1 typ host ufrag a\u{7f}b",
        ] {
            assert!(
                matches!(bad(text), InputError::MalformedCandidate(_)),
                "{text}"
            );
        }
        let long = format!(
            "candidate:1 1 UDP 1 10.0.0.1 1 typ host x {}",
            "y".repeat(600)
        );
        assert_eq!(bad(&long), InputError::CandidateTooLong(long.len()));
    }

    const SECTION: &str = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n";

    fn offer(sections: &[&str]) -> String {
        format!(
            "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{}",
            sections.concat()
        )
    }

    #[test]
    fn accepts_a_plain_audio_offer() {
        let section = format!("{SECTION}a=mid:0\r\na=fingerprint:sha-256 AB:CD\r\na=candidate:1 1 UDP 2015363327 10.99.0.1 40361 typ host\r\n");
        assert_eq!(check_remote_sdp(&offer(&[&section])), Ok(()));
        let session_level =
            format!("v=0\r\na=fingerprint:sha-256 AB\r\n{SECTION}a=mid:0\r\n{SECTION}a=mid:1\r\n");
        assert_eq!(check_remote_sdp(&session_level), Ok(()));
    }

    #[test]
    fn refuses_descriptions_outside_the_limits() {
        let with = |extra: &str| format!("{SECTION}a=fingerprint:sha-256 AB\r\n{extra}");
        assert_eq!(check_remote_sdp(&offer(&[])), Err(InputError::NoMedia));
        let many: Vec<String> = (0..400).map(|i| with(&format!("a=mid:{i}\r\n"))).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            check_remote_sdp(&offer(&many)),
            Err(InputError::TooManyMedia(400))
        );
        let (a, b) = (with("a=mid:0\r\n"), with("a=mid:0\r\n"));
        assert_eq!(
            check_remote_sdp(&offer(&[&a, &b])),
            Err(InputError::DuplicateMid("0".into()))
        );
        let bare = format!("{SECTION}a=mid:0\r\n");
        assert_eq!(
            check_remote_sdp(&offer(&[&bare])),
            Err(InputError::MissingFingerprint(0))
        );
        let avp = with("").replace(PROFILE, "RTP/AVP");
        assert!(matches!(
            check_remote_sdp(&offer(&[&avp])),
            Err(InputError::UnsupportedProfile { index: 0, .. })
        ));
        let long_line = with(&format!("a=x-junk:{}\r\n", "z".repeat(60_000)));
        assert!(matches!(
            check_remote_sdp(&offer(&[&long_line])),
            Err(InputError::SdpLineTooLong { line: 8, .. })
        ));
        let huge = with(&"a=x-junk:zzzz\r\n".repeat(5000));
        assert!(matches!(
            check_remote_sdp(&offer(&[&huge])),
            Err(InputError::SdpTooLarge(_))
        ));
        let candidates = with(&"a=candidate:1 1 UDP 1 10.0.0.1 1 typ host\r\n".repeat(65));
        assert_eq!(
            check_remote_sdp(&offer(&[&candidates])),
            Err(InputError::TooManyCandidates)
        );
        let bad_candidate = with("a=candidate:1 1 UDP 1 10.0.0.1 1 typ nope\r\n");
        assert!(matches!(
            check_remote_sdp(&offer(&[&bad_candidate])),
            Err(InputError::MalformedCandidate(_))
        ));
        assert_eq!(
            check_remote_sdp(&offer(&["m=audio 9\r\n"])),
            Err(InputError::MalformedMedia(0))
        );
    }
}
