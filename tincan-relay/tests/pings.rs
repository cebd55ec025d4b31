//! Client pings have their own allowance: a flood of them closes the connection, while the
//! occasional ping of a normal client keeps it alive.

mod common;

use std::time::Duration;

use common::{close_code, close_reason, TestRelay};
use futures_util::SinkExt;
use serde_json::json;
use tincan_relay::Config;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_ping_flood_is_closed_while_a_steady_pinger_stays() {
    let relay = TestRelay::start(Config::default()).await;
    let (mut steady, _) = relay.join("/ws/pings?name=steady").await;
    let (mut flooder, _) = relay.join("/ws/pings?name=flooder").await;
    assert_eq!(steady.recv_json().await["type"], "peer-joined");

    for _ in 0..50 {
        if flooder
            .ws
            .send(Message::Ping(Default::default()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (frame, _) = flooder.expect_close().await;
    assert_eq!(close_code(&frame), 1008);
    assert_eq!(close_reason(&frame), "too many pings");
    assert_eq!(steady.recv_json().await["type"], "peer-left");

    // One ping a second is well within the allowance.
    for _ in 0..3 {
        steady
            .ws
            .send(Message::Ping(Default::default()))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let (mut other, _) = relay.join("/ws/pings?name=other").await;
    assert_eq!(steady.recv_json().await["type"], "peer-joined");
    steady.send_json(json!({"type": "hello"})).await;
    assert_eq!(other.recv_json().await["type"], "hello");
}
