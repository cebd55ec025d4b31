//! Joining: frames both ways, failures in plain words, final closes and reconnection.

use std::{
    net::{Ipv4Addr, TcpListener as StdListener},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tauri::async_runtime::block_on;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{client, dead_port, next_json, Harness};

#[test]
fn join_room_relays_frames_both_ways_in_order() {
    let app = Harness::new();
    let port = app.host(json!({"name": "Ann", "port": 0}))["port"]
        .as_u64()
        .unwrap();
    let (mut bo, bo_welcome) = block_on(client(&format!(
        "ws://127.0.0.1:{port}/ws/lobby?name=Bo&v=1"
    )));
    let bo_id = bo_welcome["id"].as_str().unwrap().to_owned();

    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    )
    .expect("join resolves once open");
    assert_eq!(app.kinds().first().map(String::as_str), Some("open"));
    let welcome = app.wait_for_message("welcome");
    assert_eq!(welcome["peers"][0]["name"], "Bo");
    let ann_id = welcome["id"].as_str().unwrap().to_owned();
    let joined = block_on(next_json(&mut bo));
    assert_eq!(
        (joined["type"].as_str(), joined["name"].as_str()),
        (Some("peer-joined"), Some("Ann"))
    );

    let offer = json!({"type": "offer", "to": bo_id, "sdp": "v=0"}).to_string();
    app.invoke("send_signal", json!({ "text": offer }))
        .expect("frame sent");
    let got = block_on(next_json(&mut bo));
    assert_eq!(
        (got["type"].as_str(), got["from"].as_str()),
        (Some("offer"), Some(ann_id.as_str()))
    );

    block_on(async {
        for n in 0..5 {
            let text = json!({"type": "candidate", "to": ann_id, "n": n}).to_string();
            bo.send(Message::text(text)).await.unwrap();
        }
    });
    app.wait_for("fifth candidate", |e| {
        e["text"].as_str().is_some_and(|t| t.contains("\"n\":4"))
    });
    let order: Vec<u64> = app
        .events()
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e["text"].as_str()?).ok())
        .filter(|m| m["type"] == "candidate")
        .map(|m| m["n"].as_u64().unwrap())
        .collect();
    assert_eq!(order, [0, 1, 2, 3, 4]);

    app.invoke("leave_room", json!({})).unwrap();
    assert_eq!(
        app.events().last().unwrap(),
        &json!({"kind": "closed", "code": 1000, "reason": "left the call"})
    );
    let left = block_on(next_json(&mut bo));
    assert_eq!(left["type"], "peer-left");
    let after = app
        .invoke("send_signal", json!({"text": "{}"}))
        .unwrap_err();
    assert_eq!(after["code"], "not-connected");
    assert_eq!(after["message"], "Not connected to a room");
    app.invoke("stop_hosting", json!({})).unwrap();
}

#[test]
fn join_room_to_nothing_fails_fast_naming_what_was_tried() {
    let app = Harness::new();
    let port = dead_port();
    let started = Instant::now();
    let error = app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let error = error.unwrap_err();
    assert_eq!(
        error["message"],
        json!(format!(
            "Could not reach 127.0.0.1:{port} (tried ws://127.0.0.1:{port}/ws/lobby): connection refused"
        ))
    );
    // The page words it from the code and its values.
    assert_eq!(error["code"], "unreachable");
    assert_eq!(error["params"]["address"], format!("127.0.0.1:{port}"));
    assert_eq!(error["params"]["cause"], json!({"cause": "refused"}));
    assert!(
        app.events().is_empty(),
        "no events for a failed join: {:?}",
        app.events()
    );
}

#[test]
fn join_room_gives_up_on_a_silent_host_after_the_connect_timeout() {
    let silent = StdListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let app = Harness::new();
    let started = Instant::now();
    let error = app
        .invoke(
            "join_room",
            json!({"address": format!("127.0.0.1:{port}"), "room": "team", "name": "Ann"}),
        )
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= tincan_lib::CONNECT_TIMEOUT && took < Duration::from_millis(6500),
        "took {took:?}"
    );
    assert_eq!(
        error["message"],
        json!(format!(
            "Could not reach 127.0.0.1:{port} (tried ws://127.0.0.1:{port}/ws/team): no answer within 5 seconds"
        ))
    );
    assert_eq!(
        error["params"]["cause"],
        json!({"cause": "timeout", "seconds": 5})
    );
    drop(silent);
}

#[test]
fn join_room_rejects_bad_input_before_connecting() {
    let app = Harness::new();
    let join = |address: &str, room: Value| {
        app.invoke(
            "join_room",
            json!({"address": address, "room": room, "name": "Ann"}),
        )
        .unwrap_err()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        join("10.0.0.5:99999", Value::Null),
        "\"10.0.0.5:99999\" is not a host address: the port must be a number from 1 to 65535"
    );
    assert!(join("", Value::Null).contains("type the host's address"));
    assert!(join("[fd00::1", Value::Null).contains("closing ']'"));
    assert!(join("127.0.0.1", json!("no/such")).contains("\"no/such\" cannot be used"));
    let long_name = app
        .invoke(
            "join_room",
            json!({"address": "127.0.0.1", "name": "x".repeat(40)}),
        )
        .unwrap_err();
    assert!(long_name["message"]
        .as_str()
        .unwrap()
        .contains("at most 32 characters"));
    assert!(app.events().is_empty());
}

#[test]
fn wrong_key_closes_with_bad_key_and_never_reconnects() {
    let app = Harness::new();
    let port = app.host(json!({"name": "Ann", "port": 0, "key": "right"}))["port"]
        .as_u64()
        .unwrap();
    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Bo", "key": "wrong"}),
    )
    .expect("the socket opens before the relay refuses the key");
    let error = app.wait_for_message("error");
    assert_eq!(error["code"], "bad-key");
    let closed = app.wait_for("closed", |e| e["kind"] == "closed");
    assert_eq!(closed["code"], "bad-key");
    assert_eq!(closed["reason"], error["message"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(app.kinds(), ["open", "message", "closed"]);

    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Bo", "key": "right"}),
    )
    .unwrap();
    app.wait_for_message("welcome");
    app.invoke("leave_room", json!({})).unwrap();
    app.invoke("stop_hosting", json!({})).unwrap();
}

/// A WebSocket server that drops its first connection without a close frame, then keeps the
/// second one open.
async fn flaky_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut first = tokio_tungstenite::accept_async(tcp).await.unwrap();
        first
            .send(Message::text(r#"{"type":"welcome","id":"1"}"#))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(first);
        let (tcp, _) = listener.accept().await.unwrap();
        let mut second = tokio_tungstenite::accept_async(tcp).await.unwrap();
        second
            .send(Message::text(r#"{"type":"welcome","id":"2"}"#))
            .await
            .unwrap();
        while second.next().await.is_some() {}
    });
    (port, task)
}

#[test]
fn an_unexpected_drop_reconnects_with_backoff() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (port, server) = runtime.block_on(flaky_server());
    let app = Harness::new();
    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    )
    .unwrap();
    app.wait_for("second welcome", |e| {
        e["text"].as_str().is_some_and(|t| t.contains("\"2\""))
    });
    assert_eq!(
        app.kinds(),
        ["open", "message", "reconnecting", "open", "message"]
    );
    assert_eq!(
        app.events()[2],
        json!({"kind": "reconnecting", "attempt": 1, "delayMs": 500})
    );
    app.invoke("leave_room", json!({})).unwrap();
    assert_eq!(app.kinds().last().map(String::as_str), Some("closed"));
    runtime.block_on(server).unwrap();
}
