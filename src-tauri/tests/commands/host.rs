//! Hosting: the in-process relay, its port, and ending the call; plus the informational commands.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener as StdListener},
    time::Duration,
};

use serde_json::{json, Value};
use tauri::async_runtime::block_on;
use tokio_tungstenite::connect_async;

use crate::harness::{client, invoke_from, Harness};

#[test]
fn host_room_serves_a_relay_that_others_can_join() {
    let app = Harness::new();
    let info = app.host(json!({"name": "Ann", "port": 0, "key": null}));
    let port = info["port"].as_u64().unwrap();
    assert!(port > 0);
    assert_eq!(info["room"], "lobby");
    assert_eq!(info["key"], Value::Null);
    let expected: Vec<String> = tincan_lib_lan_v4()
        .into_iter()
        .map(|ip| format!("{ip}:{port}"))
        .collect();
    let addresses: Vec<String> =
        serde_json::from_value(info["addresses"].clone()).expect("a list of addresses");
    assert_eq!(addresses, expected);
    for address in &addresses {
        let parsed: SocketAddr = address.parse().expect("ip:port");
        assert!(!parsed.ip().is_loopback());
    }

    let (_socket, welcome) = block_on(client(&format!(
        "ws://127.0.0.1:{port}/ws/lobby?name=Bo&v=1"
    )));
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["room"], "lobby");

    let again = app
        .invoke("host_room", json!({"name": "Ann", "port": 0}))
        .unwrap_err();
    assert_eq!(
        again,
        json!({
            "code": "already-hosting",
            "message": format!("Already hosting on port {port}; stop hosting first"),
            "params": {"port": port},
        })
    );

    app.invoke("stop_hosting", json!({})).unwrap();
    let refused = block_on(connect_async(format!("ws://127.0.0.1:{port}/ws/lobby")));
    assert!(refused.is_err(), "the relay stopped listening");
    // Hosting again after stopping works.
    let info = app.host(json!({"name": "Ann", "port": 0, "room": "team", "key": "s3cret"}));
    assert_eq!(info["room"], "team");
    assert_eq!(info["key"], "s3cret");
    app.invoke("stop_hosting", json!({})).unwrap();
}

fn tincan_lib_lan_v4() -> Vec<std::net::IpAddr> {
    tincan_relay::lan_addresses()
        .into_iter()
        .filter(|ip| ip.is_ipv4())
        .collect()
}

#[test]
fn host_room_moves_to_the_next_port_when_taken() {
    let taken = StdListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let app = Harness::new();
    let info = app.host(json!({"name": "Ann", "port": port}));
    let got = info["port"].as_u64().unwrap() as u16;
    assert_ne!(got, port);
    block_on(client(&format!("ws://127.0.0.1:{got}/ws?v=1")));
    app.invoke("stop_hosting", json!({})).unwrap();
}

#[test]
fn stop_hosting_closes_joined_clients_with_1001() {
    let app = Harness::new();
    let port = app.host(json!({"name": "Ann", "port": 0}))["port"]
        .as_u64()
        .unwrap();
    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    )
    .unwrap();
    app.wait_for_message("welcome");
    app.invoke("stop_hosting", json!({})).unwrap();
    let closed = app.wait_for("closed", |e| e["kind"] == "closed");
    assert_eq!(
        closed,
        json!({"kind": "closed", "code": 1001, "reason": "host ended the call"})
    );
    std::thread::sleep(Duration::from_millis(1200));
    assert!(
        !app.kinds().contains(&"reconnecting".to_owned()),
        "{:?}",
        app.kinds()
    );
}

#[test]
fn launch_options_and_app_info_answer() {
    let app = Harness::new();
    assert_eq!(
        app.invoke("launch_options", json!({})).unwrap(),
        json!({"host": false, "join": null, "room": null, "name": null, "key": null,
            "port": null, "testTone": false, "forceNative": false, "lowLatency": false,
            "firstPage": true})
    );
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["platform"], std::env::consts::OS);
    assert!(info["version"].is_string());
}

#[test]
fn only_the_main_window_on_the_app_origin_may_invoke() {
    let app = Harness::new();
    let other = app.other_window("other");
    let refused = invoke_from(&other, "tauri://localhost", "app_info", json!({})).unwrap_err();
    assert!(
        refused.as_str().unwrap().contains("not allowed"),
        "{refused}"
    );
    let remote = invoke_from(&app.window, "https://example.com", "host_room", json!({}));
    assert!(remote
        .unwrap_err()
        .as_str()
        .unwrap()
        .contains("not allowed"));
    assert!(app.invoke("app_info", json!({})).is_ok());
}

#[test]
fn a_hosted_room_holds_eight_people() {
    let app = Harness::new();
    let info = app.host(json!({"name": "Ann", "port": 0, "key": null}));
    let port = info["port"].as_u64().unwrap();
    let url = format!("ws://127.0.0.1:{port}/ws/lobby?name=P&v=1");
    let mut people = Vec::new();
    for n in 0..8 {
        let (socket, welcome) = block_on(client(&url));
        assert_eq!(welcome["type"], "welcome", "person {} gets in", n + 1);
        people.push(socket);
    }
    let (_socket, refused) = block_on(client(&url));
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "room-full", "the ninth is refused");
    app.invoke("stop_hosting", json!({})).unwrap();
}
