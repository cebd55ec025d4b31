//! Joining and leaving rooms, room isolation, and the HTTP side (validation, healthz, UI).

mod common;

use std::time::Duration;

use common::{http_get, TestRelay};
use serde_json::json;
use tincan_relay::Config;

#[tokio::test]
async fn welcome_lists_existing_peers_and_they_hear_about_the_newcomer() {
    let relay = TestRelay::default_config().await;
    let (mut ann, welcome_ann) = relay.join("/ws/kitchen?name=Ann").await;
    assert_eq!(welcome_ann.room, "kitchen");
    assert_eq!(welcome_ann.protocol, 1);
    assert!(welcome_ann.peers.is_empty());
    assert!(!welcome_ann.id.is_empty());

    let (mut bo, welcome_bo) = relay.join("/ws/kitchen?name=%20Bo%20").await;
    assert_eq!(
        welcome_bo.peers,
        vec![(welcome_ann.id.clone(), "Ann".to_owned())]
    );
    assert_ne!(welcome_bo.id, welcome_ann.id);
    let joined = ann.recv_json().await;
    assert_eq!(
        joined,
        json!({"type": "peer-joined", "id": welcome_bo.id, "name": "Bo"})
    );

    let (_cy, welcome_cy) = relay.join("/ws/kitchen?name=Cy").await;
    assert_eq!(
        welcome_cy.peers,
        vec![
            (welcome_ann.id.clone(), "Ann".to_owned()),
            (welcome_bo.id.clone(), "Bo".to_owned())
        ],
        "peers are listed oldest first"
    );
    for client in [&mut ann, &mut bo] {
        let joined = client.recv_json().await;
        assert_eq!(joined["type"], "peer-joined");
        assert_eq!(joined["id"], welcome_cy.id.as_str());
        assert_eq!(joined["name"], "Cy");
    }
}

#[tokio::test]
async fn closing_a_socket_tells_the_others_at_once() {
    let relay = TestRelay::default_config().await;
    let (mut ann, _) = relay.join("/ws?name=Ann").await;
    let (bo, welcome_bo) = relay.join("/ws?name=Bo").await;
    assert_eq!(ann.recv_json().await["type"], "peer-joined");

    bo.close().await;
    let left = tokio::time::timeout(Duration::from_secs(1), ann.recv_json())
        .await
        .expect("peer-left must arrive at once");
    assert_eq!(left, json!({"type": "peer-left", "id": welcome_bo.id}));

    // Dropping the TCP connection without a close frame counts as leaving too.
    let (cy, welcome_cy) = relay.join("/ws?name=Cy").await;
    assert_eq!(ann.recv_json().await["type"], "peer-joined");
    drop(cy);
    let left = tokio::time::timeout(Duration::from_secs(1), ann.recv_json())
        .await
        .expect("peer-left must arrive at once");
    assert_eq!(left, json!({"type": "peer-left", "id": welcome_cy.id}));
}

#[tokio::test]
async fn plain_ws_path_is_the_lobby() {
    let relay = TestRelay::default_config().await;
    let (_a, welcome_a) = relay.join("/ws").await;
    assert_eq!(welcome_a.room, "lobby");
    let (_b, welcome_b) = relay.join("/ws/lobby").await;
    assert_eq!(welcome_b.room, "lobby");
    assert_eq!(welcome_b.peers, vec![(welcome_a.id, String::new())]);
}

#[tokio::test]
async fn rooms_are_isolated() {
    let relay = TestRelay::default_config().await;
    let (mut red1, _) = relay.join("/ws/red?name=r1").await;
    let (mut blue1, welcome_blue1) = relay.join("/ws/blue?name=b1").await;
    assert!(
        welcome_blue1.peers.is_empty(),
        "a peer of another room must not be listed"
    );
    let (mut red2, welcome_red2) = relay.join("/ws/red?name=r2").await;
    assert_eq!(welcome_red2.peers.len(), 1);
    assert_eq!(red1.recv_json().await["type"], "peer-joined");

    red1.send_json(json!({"type": "offer", "sdp": "red"})).await;
    assert_eq!(red2.recv_json().await["sdp"], "red");
    // Addressing a peer of another room is refused.
    red1.send_json(json!({"type": "offer", "sdp": "x", "to": welcome_blue1.id}))
        .await;
    assert_eq!(red1.expect_error().await, "unknown-peer");

    red2.close().await;
    assert_eq!(red1.recv_json().await["type"], "peer-left");
    blue1.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn same_room_name_is_reused_after_it_empties() {
    let relay = TestRelay::default_config().await;
    let (a, _) = relay.join("/ws/den").await;
    a.close().await;
    let (_b, welcome_b) = relay.join("/ws/den").await;
    assert!(welcome_b.peers.is_empty());
}

#[tokio::test]
async fn bad_room_names_are_refused_with_400_and_a_reason() {
    let relay = TestRelay::default_config().await;
    let long = "a".repeat(65);
    for path in [
        "/ws/has%20space",
        "/ws/semi;colon",
        "/ws/%C3%A9t%C3%A9",
        &format!("/ws/{long}"),
    ] {
        let (status, body) = relay.refused(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body.contains("room name"), "{path}: body {body:?}");
    }
    let ok = "A-z_09".to_owned() + &"x".repeat(58);
    let (_c, welcome) = relay.join(&format!("/ws/{ok}")).await;
    assert_eq!(welcome.room, ok);
}

#[tokio::test]
async fn bad_display_names_are_refused_with_400_and_a_reason() {
    let relay = TestRelay::default_config().await;
    let (status, body) = relay.refused(&format!("/ws?name={}", "n".repeat(33))).await;
    assert_eq!(status, 400);
    assert!(body.contains("32"), "{body:?}");
    let (status, body) = relay.refused("/ws?name=a%07b").await;
    assert_eq!(status, 400);
    assert!(body.contains("control"), "{body:?}");
    // 32 characters after trimming is fine, multibyte ones included.
    let name = "ü".repeat(32);
    let (_a, _) = relay
        .join(&format!("/ws?name=%20{}%20", "%C3%BC".repeat(32)))
        .await;
    let (_b, welcome) = relay.join("/ws").await;
    assert_eq!(welcome.peers[0].1, name);
}

#[tokio::test]
async fn healthz_answers_200_and_ws_without_upgrade_is_refused() {
    let relay = TestRelay::default_config().await;
    let (status, _) = http_get(relay.addr, "/healthz").await;
    assert_eq!(status, 200);
    let (status, _) = http_get(relay.addr, "/ws").await;
    assert!((400..500).contains(&status), "plain GET /ws got {status}");
    let (status, _) = http_get(relay.addr, "/").await;
    assert_eq!(status, 404, "no UI folder configured");
}

#[tokio::test]
async fn ui_folder_is_served_at_root() {
    let dir = std::env::temp_dir().join(format!("tincan-relay-ui-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("js")).unwrap();
    std::fs::write(dir.join("index.html"), "<title>Tincan</title>").unwrap();
    std::fs::write(dir.join("js/app.js"), "export const ok = 1;").unwrap();
    let relay = TestRelay::start(Config {
        ui_dir: Some(dir.clone()),
        ..Config::default()
    })
    .await;

    assert_eq!(
        http_get(relay.addr, "/").await,
        (200, "<title>Tincan</title>".to_owned())
    );
    assert_eq!(
        http_get(relay.addr, "/js/app.js").await,
        (200, "export const ok = 1;".to_owned())
    );
    assert_eq!(http_get(relay.addr, "/missing.css").await.0, 404);
    // The WebSocket routes still win over the static folder.
    let (_c, welcome) = relay.join("/ws").await;
    assert_eq!(welcome.room, "lobby");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_missing_ui_folder_fails_at_bind() {
    let config = Config {
        ui_dir: Some("/nonexistent/tincan-ui".into()),
        ..Config::default()
    };
    let err = tincan_relay::Relay::bind("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap_err();
    assert!(matches!(err, tincan_relay::Error::UiDir { .. }), "{err}");
}
