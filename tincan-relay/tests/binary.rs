//! The `tincan-relay` program itself: startup line, serving, SIGTERM handling.

mod common;

use std::{process::Stdio, time::Duration};

use common::{close_code, close_reason, Client};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};
use tokio_tungstenite::connect_async;

#[tokio::test]
async fn binary_prints_its_address_serves_and_stops_cleanly_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tincan-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--key",
            "pass",
            "--max-peers",
            "4",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn tincan-relay");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("no startup line")
        .unwrap()
        .expect("stdout closed early");
    let url = first
        .strip_prefix("listening on ")
        .expect("first line format");
    assert!(
        url.starts_with("ws://127.0.0.1:") && url.ends_with("/ws"),
        "{first}"
    );
    let port: u16 = url["ws://127.0.0.1:".len()..url.len() - "/ws".len()]
        .parse()
        .unwrap();
    assert_ne!(port, 0);

    let (ws, _) = connect_async(format!("{url}/den?key=pass&name=Ann"))
        .await
        .unwrap();
    let mut client = Client { ws };
    let welcome = client.welcome().await;
    assert_eq!(welcome.room, "den");

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (frame, _) = client.expect_close().await;
    assert_eq!(close_code(&frame), 1001);
    assert_eq!(close_reason(&frame), "host ended the call");
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("relay did not exit after SIGTERM")
        .unwrap();
    assert!(exit.success(), "exit status {exit:?}");
}

#[tokio::test]
async fn binary_rejects_a_keepalive_timeout_shorter_than_the_interval() {
    let output = Command::new(env!("CARGO_BIN_EXE_tincan-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--keepalive",
            "10",
            "--keepalive-timeout",
            "5",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("keepalive"));
    assert!(output.stdout.is_empty());
}
