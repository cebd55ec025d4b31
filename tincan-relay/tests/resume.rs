//! A client that reconnects with its `resume` secret takes its old connection's place at once,
//! even in a full room; any other secret gets nothing.

mod common;

use std::time::Duration;

use common::{close_code, close_reason, TestRelay};
use serde_json::json;
use tincan_relay::Config;

fn full_at_two() -> Config {
    Config {
        max_peers_per_room: 2,
        ..Config::default()
    }
}

#[tokio::test]
async fn a_reconnect_with_its_secret_takes_over_its_id_in_a_full_room() {
    let relay = TestRelay::start(full_at_two()).await;
    let (mut ann, first) = relay.join("/ws/desk?name=Ann").await;
    let (mut bo, bo_welcome) = relay.join("/ws/desk?name=Bo").await;
    ann.recv_json().await; // Bo's peer-joined
    assert_eq!(first.resume.len(), 32, "128 bits in hex");
    assert_ne!(first.resume, bo_welcome.resume);

    let (mut again, second) = relay
        .join(&format!("/ws/desk?name=Ann&resume={}", first.resume))
        .await;
    assert_eq!(second.id, first.id, "the same person keeps the same id");
    assert_ne!(second.resume, first.resume, "with a new secret");
    assert_eq!(second.peers, vec![(bo_welcome.id.clone(), "Bo".to_owned())]);

    let (frame, _) = ann.expect_close().await;
    assert_eq!(close_code(&frame), 4010);
    assert_eq!(close_reason(&frame), "replaced by a newer connection");
    // Bo's call with Ann goes on: no peer-left, no peer-joined ...
    bo.expect_silence(Duration::from_millis(300)).await;
    // ... and what Bo sends to Ann's id reaches the new connection, after the old one is gone.
    bo.send_json(json!({"type": "candidate", "to": first.id, "candidate": "c"}))
        .await;
    let heard = again.recv_json().await;
    assert_eq!(heard["type"], "candidate");
    assert_eq!(heard["from"], bo_welcome.id.as_str());
    // Leaving for real is announced once.
    again.close().await;
    assert_eq!(
        bo.recv_json().await,
        json!({"type": "peer-left", "id": first.id})
    );
}

#[tokio::test]
async fn a_secret_is_good_once_and_only_in_its_room() {
    let relay = TestRelay::start(full_at_two()).await;
    let (_ann, first) = relay.join("/ws/desk?name=Ann").await;
    let (mut bo, _) = relay.join("/ws/desk?name=Bo").await;

    // Another room's secret, a guess and an empty one replace nobody.
    let (_elsewhere, other) = relay.join("/ws/hall?name=Cy").await;
    for resume in [
        other.resume.as_str(),
        "00000000000000000000000000000000",
        "",
    ] {
        let mut late = relay
            .connect(&format!("/ws/desk?name=Eve&resume={resume}"))
            .await;
        assert_eq!(late.expect_error().await, "room-full");
    }
    bo.expect_silence(Duration::from_millis(200)).await;

    let (_again, _) = relay
        .join(&format!("/ws/desk?name=Ann&resume={}", first.resume))
        .await;
    // The old secret went with the connection it belonged to.
    let mut stale = relay
        .connect(&format!("/ws/desk?name=Ann&resume={}", first.resume))
        .await;
    assert_eq!(stale.expect_error().await, "room-full");
}
