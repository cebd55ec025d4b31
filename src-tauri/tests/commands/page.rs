//! A new page (reload, navigation) ends what the previous page started: its room is left, its
//! relay stopped, and a command that finishes after the reload undoes what it built.

use std::{net::Ipv4Addr, sync::mpsc, time::Duration};

use futures_util::StreamExt;
use serde_json::json;
use tauri::{async_runtime::block_on, Manager};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{client, next_json, Harness};

fn reload(app: &Harness) {
    tincan_lib::page_loading(app.window.app_handle());
}

#[test]
fn a_new_page_leaves_the_room_the_old_page_joined() {
    let host = Harness::new();
    let port = host.host(json!({"name": "Cy", "port": 0}))["port"]
        .as_u64()
        .unwrap();
    let (mut bo, _) = block_on(client(&format!(
        "ws://127.0.0.1:{port}/ws/lobby?name=Bo&v=1"
    )));
    let app = Harness::new();
    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    )
    .unwrap();
    let ann = app.wait_for_message("welcome")["id"].clone();
    assert_eq!(block_on(next_json(&mut bo))["type"], "peer-joined");

    reload(&app);
    let left = block_on(next_json(&mut bo));
    assert_eq!((&left["type"], &left["id"]), (&json!("peer-left"), &ann));
    app.wait_for("closed", |e| e["kind"] == "closed");
    let after = app
        .invoke("send_signal", json!({"text": "{}"}))
        .unwrap_err();
    assert_eq!(after["message"], "Not connected to a room");
    // The new page joins as anyone would.
    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    )
    .unwrap();
    assert_eq!(block_on(next_json(&mut bo))["type"], "peer-joined");
}

#[test]
fn a_new_page_stops_the_relay_and_may_host_on_its_port_at_once() {
    let app = Harness::new();
    let port = app.host(json!({"name": "Ann", "port": 0}))["port"]
        .as_u64()
        .unwrap();
    let (mut bo, _) = block_on(client(&format!(
        "ws://127.0.0.1:{port}/ws/lobby?name=Bo&v=1"
    )));
    reload(&app);
    let closed = block_on(async {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), bo.next())
                .await
                .expect("the relay closes in time");
            match frame {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        }
    });
    assert_eq!(closed.map(|f| u16::from(f.code)), Some(1001));
    // host_room waits for the old relay to let go of the port.
    let again = app.host(json!({"name": "Ann", "port": port}));
    assert_eq!(again["port"].as_u64(), Some(port));
    app.invoke("stop_hosting", json!({})).unwrap();
}

#[test]
fn a_join_that_finishes_after_a_reload_is_undone() {
    let app = Harness::new();
    let (accepted_tx, accepted) = mpsc::channel();
    let (go, go_rx) = tokio::sync::oneshot::channel::<()>();
    let (port, server) = block_on(async {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tauri::async_runtime::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            accepted_tx.send(()).unwrap();
            // The handshake completes only after the page was reloaded.
            go_rx.await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            loop {
                match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
                    Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                    Ok(Some(Ok(_))) => continue,
                    other => panic!("the orphaned socket was not closed: {other:?}"),
                }
            }
        });
        (port, server)
    });
    let handle = app.window.app_handle().clone();
    let reloader = std::thread::spawn(move || {
        accepted
            .recv_timeout(Duration::from_secs(5))
            .expect("the join connects");
        tincan_lib::page_loading(&handle);
        go.send(()).unwrap();
    });
    let answer = app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    );
    reloader.join().unwrap();
    assert_eq!(answer.unwrap_err()["code"], json!("page-gone"));
    let code = block_on(server).unwrap();
    assert_eq!(code, Some(1000));
}

#[test]
fn only_the_first_page_acts_on_the_command_line() {
    let app = Harness::new();
    let first =
        |app: &Harness| app.invoke("launch_options", json!({})).unwrap()["firstPage"].clone();
    reload(&app);
    assert_eq!(first(&app), json!(true), "the window's first page");
    reload(&app);
    assert_eq!(first(&app), json!(false), "a reloaded page");
}
