//! Every error code, and that per-message errors leave the connection working.

mod common;

use std::time::Duration;

use common::{close_code, close_reason, Client, TestRelay};
use futures_util::SinkExt;
use serde_json::json;
use tincan_relay::Config;
use tokio_tungstenite::tungstenite::Message;

/// Two peers in the lobby, `a` having seen `b` join.
async fn pair(relay: &TestRelay) -> (Client, Client, String) {
    let (mut a, _) = relay.join("/ws").await;
    let (b, wb) = relay.join("/ws").await;
    assert_eq!(a.recv_json().await["type"], "peer-joined");
    (a, b, wb.id)
}

/// Proves the connection still relays after an error.
async fn still_works(from: &mut Client, to: &mut Client) {
    from.send_json(json!({"type": "ping-test", "n": 7})).await;
    assert_eq!(to.recv_json().await["n"], 7);
}

#[tokio::test]
async fn per_message_errors_keep_the_connection_open() {
    let relay = TestRelay::default_config().await;
    let (mut a, mut b, b_id) = pair(&relay).await;
    let cases: Vec<(Message, &str)> = vec![
        (Message::text("{not json"), "bad-json"),
        (Message::text(""), "bad-json"),
        (Message::text("[1,2]"), "bad-message"),
        (Message::text("\"offer\""), "bad-message"),
        (Message::text("{\"sdp\":\"x\"}"), "bad-message"),
        (Message::text("{\"type\":5}"), "bad-message"),
        (
            Message::text("{\"type\":\"offer\",\"to\":[\"x\"]}"),
            "bad-message",
        ),
        (
            Message::binary(b"{\"type\":\"offer\"}".to_vec()),
            "bad-message",
        ),
        (Message::text("{\"type\":\"welcome\"}"), "reserved-type"),
        (
            Message::text("{\"type\":\"peer-joined\",\"id\":\"x\"}"),
            "reserved-type",
        ),
        (
            Message::text("{\"type\":\"peer-left\",\"id\":\"x\"}"),
            "reserved-type",
        ),
        (
            Message::text("{\"type\":\"error\",\"code\":\"x\"}"),
            "reserved-type",
        ),
        (
            Message::text("{\"type\":\"offer\",\"to\":\"nobody\"}"),
            "unknown-peer",
        ),
    ];
    for (frame, code) in cases {
        let shown = format!("{frame:?}");
        a.ws.send(frame).await.unwrap();
        assert_eq!(a.expect_error().await, code, "for {shown}");
        still_works(&mut a, &mut b).await;
    }
    // Nothing refused leaked to the other peer.
    b.send_json(json!({"type": "offer", "to": b_id})).await;
    assert_eq!(b.expect_error().await, "unknown-peer");
    b.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn too_large_is_refused_but_the_limit_itself_passes() {
    let relay = TestRelay::default_config().await;
    let (mut a, mut b, _) = pair(&relay).await;
    let frame = |total: usize| {
        let head = r#"{"type":"blob","pad":""#;
        let tail = r#""}"#;
        format!(
            "{head}{}{tail}",
            "x".repeat(total - head.len() - tail.len())
        )
    };
    let at_limit = frame(64 * 1024);
    assert_eq!(at_limit.len(), 65536);
    a.send_text(&at_limit).await;
    assert_eq!(b.recv_json().await["type"], "blob");

    a.send_text(&frame(64 * 1024 + 1)).await;
    assert_eq!(a.expect_error().await, "too-large");
    a.send_text(&frame(100 * 1024)).await;
    assert_eq!(a.expect_error().await, "too-large");
    still_works(&mut a, &mut b).await;
    b.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn rate_limit_allows_a_burst_then_refuses_and_recovers() {
    let config = Config {
        rate_per_second: 1.0,
        rate_burst: 4,
        ..Config::default()
    };
    let relay = TestRelay::start(config).await;
    let (mut a, mut b, _) = pair(&relay).await;
    for n in 0..4 {
        a.send_json(json!({"type": "n", "n": n})).await;
    }
    a.send_json(json!({"type": "n", "n": 99})).await;
    assert_eq!(a.expect_error().await, "rate-limited");
    // Binary frames count too: refused for the rate before their type is even looked at.
    a.ws.send(Message::binary(b"x".to_vec())).await.unwrap();
    assert_eq!(a.expect_error().await, "rate-limited");
    for n in 0..4 {
        assert_eq!(b.recv_json().await["n"], n);
    }
    b.expect_silence(Duration::from_millis(100)).await;
    // One token comes back every second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    still_works(&mut a, &mut b).await;
}

#[tokio::test]
async fn room_full_sends_an_error_then_closes() {
    let relay = TestRelay::start(Config {
        max_peers_per_room: 2,
        ..Config::default()
    })
    .await;
    let (mut a, _b, _) = pair(&relay).await;
    let mut late = relay.connect("/ws?name=Late").await;
    assert_eq!(late.expect_error().await, "room-full");
    let (frame, texts) = late.expect_close().await;
    assert!(texts.is_empty());
    assert_eq!(close_code(&frame), 4003);
    assert_eq!(close_reason(&frame), "room full");
    a.expect_silence(Duration::from_millis(200)).await;
    // Another room still has space.
    let (_other, welcome) = relay.join("/ws/other").await;
    assert!(welcome.peers.is_empty());
}

#[tokio::test]
async fn relay_full_sends_an_error_then_closes() {
    let relay = TestRelay::start(Config {
        max_connections: 2,
        ..Config::default()
    })
    .await;
    let (_a, _) = relay.join("/ws/one").await;
    let (b, _) = relay.join("/ws/two").await;
    let mut late = relay.connect("/ws/three").await;
    assert_eq!(late.expect_error().await, "relay-full");
    let (frame, _) = late.expect_close().await;
    assert_eq!(close_code(&frame), 4013);
    // A place frees up when someone leaves.
    b.close().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_c, welcome) = relay.join("/ws/three").await;
    assert_eq!(welcome.room, "three");
}

#[tokio::test]
async fn passcode_is_required_when_configured() {
    let config = Config {
        key: Some("open sesame".into()),
        ..Config::default()
    };
    let relay = TestRelay::start(config).await;
    for path in [
        "/ws",
        "/ws?key=",
        "/ws?key=open%20sesam",
        "/ws?key=open%20sesame!",
    ] {
        let mut client = relay.connect(path).await;
        assert_eq!(client.expect_error().await, "bad-key", "{path}");
        let (frame, _) = client.expect_close().await;
        assert_eq!(close_code(&frame), 4001, "{path}");
        assert_eq!(close_reason(&frame), "wrong passcode");
    }
    let (_a, welcome) = relay.join("/ws/den?key=open%20sesame&name=Ann").await;
    assert_eq!(welcome.room, "den");
}

#[tokio::test]
async fn refused_peers_are_never_announced() {
    let config = Config {
        key: Some("k".into()),
        ..Config::default()
    };
    let relay = TestRelay::start(config).await;
    let (mut a, _) = relay.join("/ws?key=k").await;
    let mut intruder = relay.connect("/ws?key=nope").await;
    assert_eq!(intruder.expect_error().await, "bad-key");
    a.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn protocol_version_is_checked() {
    let relay = TestRelay::default_config().await;
    let mut client = relay.connect("/ws?v=2").await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "version-mismatch");
    let words = error["message"].as_str().unwrap();
    assert!(
        words.contains('1') && words.contains('2'),
        "must name both versions: {words}"
    );
    let (frame, _) = client.expect_close().await;
    assert_eq!(close_code(&frame), 4009);

    let mut garbage = relay.connect("/ws?v=one").await;
    assert_eq!(garbage.expect_error().await, "version-mismatch");

    let (_ok, welcome) = relay.join("/ws?v=1").await;
    assert_eq!(welcome.protocol, 1);
}

#[tokio::test]
async fn frames_beyond_twice_the_limit_end_the_connection() {
    let relay = TestRelay::default_config().await;
    let (mut a, mut b, b_id) = pair(&relay).await;
    let huge = format!(r#"{{"type":"blob","pad":"{}"}}"#, "x".repeat(200 * 1024));
    // The relay may drop the socket while the frame is still being written.
    let _ = b.ws.send(Message::text(huge)).await;
    let left = a.recv_json().await;
    assert_eq!(left, json!({"type": "peer-left", "id": b_id}));
}
