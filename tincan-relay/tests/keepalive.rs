//! Keepalive: a silent peer is dropped within the timeout, a live idle peer is kept.

mod common;

use std::time::{Duration, Instant};

use common::{close_code, close_reason, TestRelay};
use serde_json::json;
use tincan_relay::Config;

fn short_keepalive() -> Config {
    Config {
        keepalive_interval: Duration::from_millis(100),
        keepalive_timeout: Duration::from_millis(400),
        ..Config::default()
    }
}

#[tokio::test]
async fn a_silent_peer_is_dropped_and_the_others_are_told() {
    let relay = TestRelay::start(short_keepalive()).await;
    let (mut alive, _) = relay.join("/ws?name=alive").await;
    // `silent` reads its welcome, then never polls its socket again, so it never answers pings.
    let (mut silent, welcome) = relay.join("/ws?name=silent").await;
    assert_eq!(alive.recv_json().await["type"], "peer-joined");

    let started = Instant::now();
    let left = alive.recv_json().await;
    let waited = started.elapsed();
    assert_eq!(left, json!({"type": "peer-left", "id": welcome.id}));
    assert!(
        waited >= Duration::from_millis(300),
        "dropped too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(2),
        "dropped too late: {waited:?}"
    );

    // The silent peer, once it looks again, finds the relay's reason.
    let (frame, _) = silent.expect_close().await;
    assert_eq!(close_code(&frame), 4008);
    assert_eq!(close_reason(&frame), "keepalive timeout");
}

#[tokio::test]
async fn a_quiet_peer_that_answers_pings_stays() {
    let relay = TestRelay::start(short_keepalive()).await;
    let (mut a, _) = relay.join("/ws").await;
    let (mut b, _) = relay.join("/ws").await;
    assert_eq!(a.recv_json().await["type"], "peer-joined");
    // Both keep reading (answering pings automatically) but send nothing for 3 timeouts.
    let (quiet_a, quiet_b) = tokio::join!(
        a.expect_silence(Duration::from_millis(1200)),
        b.expect_silence(Duration::from_millis(1200)),
    );
    let ((), ()) = (quiet_a, quiet_b);
    b.send_json(json!({"type": "still-here"})).await;
    assert_eq!(a.recv_json().await["type"], "still-here");
}

#[test]
fn default_keepalive_detects_silence_within_30_seconds() {
    let config = Config::default();
    assert!(config.keepalive_interval < config.keepalive_timeout);
    assert!(config.keepalive_timeout < Duration::from_secs(30));
}
