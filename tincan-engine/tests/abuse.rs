//! Hostile descriptions and candidates, as anyone in the room could send them through the relay.
//! Each case runs in a child process of its own, so a crash inside GStreamer fails that case by
//! name instead of taking the whole run down; the child reports how long the abuse took and how
//! much its peak memory grew, and proves the connection still negotiates afterwards.

mod common;

use common::test_config;
use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tincan_engine::limits::{InputError, MAX_REMOTE_CANDIDATES};
use tincan_engine::{Engine, EngineError, IceCandidateInit, Peer, SdpType, SessionDescription};

/// Longest any one abuse may take.
const CASE_BUDGET: Duration = Duration::from_secs(1);
/// Most the child's peak memory may grow while it is abused.
const GROWTH_BUDGET_KIB: u64 = 32 * 1024;

/// Runs `case` (an ignored test below) in a child process, inside a network namespace of its
/// own unless this run already is in one, and checks the report it prints.
fn run_case(case: &str) {
    let exe = std::env::current_exe().expect("test binary");
    let mut command = if std::env::var_os("TINCAN_NETNS_ADDR").is_some() {
        Command::new(exe)
    } else {
        let mut wrapped =
            Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/netns-run.sh"));
        wrapped.arg(exe);
        wrapped
    };
    let output = command
        .args([
            case,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("run child");
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{case} crashed or failed ({}):\n{log}",
        output.status
    );
    let report = log
        .lines()
        .find_map(|l| Some(l.split_once("ABUSE ")?.1))
        .unwrap_or_else(|| panic!("{case} did not report:\n{log}"));
    println!("{case}: {report}");
    let field = |name: &str| -> u64 {
        report
            .split(' ')
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {report:?}"))
    };
    assert!(
        field("took_ms") < CASE_BUDGET.as_millis() as u64,
        "{case} was slow: {report}"
    );
    assert!(
        field("grown_kib") < GROWTH_BUDGET_KIB,
        "{case} used memory: {report}"
    );
}

/// Resets the peak resident memory to the current one and returns it, in KiB.
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("field in /proc/self/status")
}

/// A real offer from another engine, split at its first m-line into the session part and the
/// audio section.
struct Offer {
    session: String,
    section: String,
}

impl Offer {
    fn sdp(&self) -> String {
        format!("{}{}", self.session, self.section)
    }

    fn description(sdp: String) -> SessionDescription {
        SessionDescription::new(SdpType::Offer, sdp)
    }

    /// The audio section with its `a=mid` set to `mid`.
    fn section_with_mid(&self, mid: &str) -> String {
        self.section
            .split_inclusive('\n')
            .map(|line| {
                if line.starts_with("a=mid:") {
                    format!("a=mid:{mid}\r\n")
                } else {
                    line.to_owned()
                }
            })
            .collect()
    }
}

/// In the child: starts a victim engine with a peer, makes a valid offer on a second engine,
/// runs `abuse` timed and with the peak memory measured, then checks the peer still answers the
/// valid offer, and prints the report.
fn abuse_child<F, Fut>(abuse: F)
where
    F: FnOnce(Peer, Offer) -> Fut,
    Fut: Future<Output = ()>,
{
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (victim, _victim_events) = Engine::new(test_config()).expect("victim engine");
        let (mallory, _mallory_events) = Engine::new(test_config()).expect("offering engine");
        let peer = victim.add_peer("mallory").expect("peer");
        let offer = mallory
            .add_peer("victim")
            .expect("peer")
            .create_offer()
            .await
            .expect("a valid offer");
        let start = offer.sdp.find("\r\nm=").expect("an m-line") + 2;
        let offer = Offer {
            session: offer.sdp[..start].to_owned(),
            section: offer.sdp[start..].to_owned(),
        };
        let valid = offer.sdp();

        let before = reset_peak();
        let started = Instant::now();
        abuse(peer.clone(), offer).await;
        let took = started.elapsed();
        let grown = status_kib("VmHWM:").saturating_sub(before);

        peer.set_remote_description(Offer::description(valid))
            .await
            .expect("the valid offer still applies");
        let answer = peer
            .set_local_description(None)
            .await
            .expect("and is answered");
        assert_eq!(answer.kind, SdpType::Answer);
        println!(
            "ABUSE took_ms={} grown_kib={grown} hwm_kib={}",
            took.as_millis(),
            status_kib("VmHWM:")
        );
        victim.shutdown();
        mallory.shutdown();
    });
}

/// Applies `sdp` as a remote offer and returns the refusal.
async fn refused(peer: &Peer, sdp: String) -> InputError {
    match peer.set_remote_description(Offer::description(sdp)).await {
        Err(EngineError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn candidate(text: String) -> Option<IceCandidateInit> {
    Some(IceCandidateInit {
        candidate: text,
        sdp_mid: None,
        sdp_m_line_index: Some(0),
    })
}

macro_rules! cases {
    ($($name:ident => $child:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            run_case(stringify!($child));
        }
    )*};
}

cases! {
    an_offer_without_media_is_refused => child_no_media,
    an_offer_with_400_media_sections_is_refused => child_400_media,
    duplicate_mids_are_refused => child_duplicate_mids,
    an_offer_without_fingerprint_is_refused => child_no_fingerprint,
    an_rtp_avp_offer_is_refused => child_rtp_avp,
    a_60_kb_attribute_is_refused => child_long_attribute,
    an_sdp_over_64_kib_is_refused => child_huge_sdp,
    a_60_kb_candidate_is_refused => child_long_candidate,
    malformed_candidates_are_refused => child_malformed_candidates,
    ten_thousand_candidates_before_an_offer_are_capped => child_many_candidates,
}

#[test]
#[ignore = "run in a child process by an_offer_without_media_is_refused"]
fn child_no_media() {
    abuse_child(|peer, offer| async move {
        assert_eq!(refused(&peer, offer.session).await, InputError::NoMedia);
    });
}

#[test]
#[ignore = "run in a child process by an_offer_with_400_media_sections_is_refused"]
fn child_400_media() {
    abuse_child(|peer, offer| async move {
        // Short sections, so the text stays under the size cap and the m-line count is what
        // refuses it.
        let sections: String = (0..400)
            .map(|i| format!("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:{i}\r\n"))
            .collect();
        let sdp = format!("{}{sections}", offer.session);
        assert_eq!(refused(&peer, sdp).await, InputError::TooManyMedia(400));
    });
}

#[test]
#[ignore = "run in a child process by duplicate_mids_are_refused"]
fn child_duplicate_mids() {
    abuse_child(|peer, offer| async move {
        let section = offer.section_with_mid("0");
        let sdp = format!("{}{section}{section}", offer.session);
        assert_eq!(
            refused(&peer, sdp).await,
            InputError::DuplicateMid("0".into())
        );
    });
}

#[test]
#[ignore = "run in a child process by an_offer_without_fingerprint_is_refused"]
fn child_no_fingerprint() {
    abuse_child(|peer, offer| async move {
        let sdp: String = offer
            .sdp()
            .split_inclusive('\n')
            .filter(|l| !l.starts_with("a=fingerprint:"))
            .collect();
        assert_eq!(refused(&peer, sdp).await, InputError::MissingFingerprint(0));
    });
}

#[test]
#[ignore = "run in a child process by an_rtp_avp_offer_is_refused"]
fn child_rtp_avp() {
    abuse_child(|peer, offer| async move {
        let sdp = offer.sdp().replace("UDP/TLS/RTP/SAVPF", "RTP/AVP");
        assert!(matches!(
            refused(&peer, sdp).await,
            InputError::UnsupportedProfile { index: 0, .. }
        ));
    });
}

#[test]
#[ignore = "run in a child process by a_60_kb_attribute_is_refused"]
fn child_long_attribute() {
    abuse_child(|peer, offer| async move {
        let junk = format!("a=x-junk:{}\r\n", "z".repeat(60_000));
        let sdp = format!("{}{}{junk}", offer.session, offer.section);
        assert!(matches!(
            refused(&peer, sdp).await,
            InputError::SdpLineTooLong { len: 60_009, .. }
        ));
    });
}

#[test]
#[ignore = "run in a child process by an_sdp_over_64_kib_is_refused"]
fn child_huge_sdp() {
    abuse_child(|peer, offer| async move {
        let junk = "a=x-junk:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n".repeat(2000);
        let sdp = format!("{}{}{junk}", offer.session, offer.section);
        assert!(matches!(
            refused(&peer, sdp).await,
            InputError::SdpTooLarge(_)
        ));
    });
}

#[test]
#[ignore = "run in a child process by a_60_kb_candidate_is_refused"]
fn child_long_candidate() {
    abuse_child(|peer, _offer| async move {
        let text = format!(
            "candidate:1 1 UDP 2015363327 10.99.0.2 40000 typ host x-junk {}",
            "z".repeat(60_000)
        );
        assert!(matches!(
            peer.add_ice_candidate(candidate(text)),
            Err(EngineError::Refused(InputError::CandidateTooLong(_)))
        ));
    });
}

#[test]
#[ignore = "run in a child process by malformed_candidates_are_refused"]
fn child_malformed_candidates() {
    abuse_child(|peer, _offer| async move {
        for text in [
            "candidate:1 1 UDP 2015363327 10.99.0.2 40000 typ evil",
            "candidate:1 1 UDP 2015363327 10.99.0.2 99999 typ host",
            "candidate:1 1 UDP 2015363327 $(reboot) 40000 typ host",
            "candidate:\u{0}\u{0} 1 UDP 1 10.99.0.2 40000 typ host",
            "hello",
        ] {
            assert!(
                matches!(
                    peer.add_ice_candidate(candidate(text.to_owned())),
                    Err(EngineError::Refused(InputError::MalformedCandidate(_)))
                ),
                "{text}"
            );
        }
        let far = IceCandidateInit {
            sdp_m_line_index: Some(4_000_000_000),
            ..candidate("candidate:1 1 UDP 1 10.99.0.2 40000 typ host".into()).unwrap()
        };
        assert!(matches!(
            peer.add_ice_candidate(Some(far)),
            Err(EngineError::Refused(InputError::MediaIndexOutOfRange(_)))
        ));
    });
}

#[test]
#[ignore = "run in a child process by ten_thousand_candidates_before_an_offer_are_capped"]
fn child_many_candidates() {
    abuse_child(|peer, _offer| async move {
        let mut kept = 0;
        for n in 0..10_000u32 {
            // Addresses inside this test's namespace, should any check ever be sent.
            let text = format!(
                "candidate:{n} 1 UDP 2015363327 10.99.0.2 {} typ host",
                10_000 + n % 50_000
            );
            match peer.add_ice_candidate(candidate(text)) {
                Ok(()) => kept += 1,
                Err(EngineError::Refused(InputError::TooManyCandidates)) => {}
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        // The valid offer applied after this takes the kept ones along.
        assert_eq!(kept, MAX_REMOTE_CANDIDATES);
    });
}
