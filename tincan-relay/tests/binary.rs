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

/// A file in the temporary folder holding `contents`, named for this test.
fn key_file(name: &str, contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tincan-key-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs the relay with `args` and `env` and expects it to stop at once with status 2 and a
/// message on stderr that contains `expected`.
async fn refuses_to_start(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_tincan-relay"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("TINCAN_RELAY_KEY")
        .envs(env.iter().copied())
        .output();
    let output = tokio::time::timeout(Duration::from_secs(10), output)
        .await
        .expect("the relay must not hang on a bad passcode source")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "nothing is served");
}

#[tokio::test]
async fn binary_reads_the_passcode_from_a_file() {
    let path = key_file("good", "correct horse\n");
    let relay = common::RelayProcess::start(&["--key-file", path.to_str().unwrap()], None).await;
    let (_ok, hello) = common::join_from(
        common::loopback(0, 1),
        relay.addr,
        "/ws?key=correct%20horse",
    )
    .await
    .unwrap();
    assert_eq!(hello["type"], "welcome", "{hello}");
    let (_bad, refusal) = common::join_from(common::loopback(0, 1), relay.addr, "/ws?key=correct")
        .await
        .unwrap();
    assert_eq!(refusal["code"], "bad-key", "{refusal}");
    // Passcodes compare in the UI's form: lower-case, spaces as hyphens.
    let (_typed, typed) =
        common::join_from(common::loopback(0, 1), relay.addr, "/ws?key=Correct-Horse")
            .await
            .unwrap();
    assert_eq!(typed["type"], "welcome", "{typed}");
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn binary_reads_the_passcode_from_the_environment() {
    let relay =
        common::RelayProcess::start_with_env(&[], None, &[("TINCAN_RELAY_KEY", "s3cret")]).await;
    let (_ok, hello) = common::join_from(common::loopback(0, 1), relay.addr, "/ws?key=s3cret")
        .await
        .unwrap();
    assert_eq!(hello["type"], "welcome", "{hello}");
    let (_none, refusal) = common::join_from(common::loopback(0, 1), relay.addr, "/ws")
        .await
        .unwrap();
    assert_eq!(refusal["code"], "bad-key", "{refusal}");
}

#[tokio::test]
async fn binary_refuses_an_empty_missing_or_doubled_passcode_source() {
    let empty = key_file("empty", "\n");
    let empty = empty.to_str().unwrap();
    refuses_to_start(&["--key-file", empty], &[], "is empty").await;
    let missing = std::env::temp_dir().join("tincan-key-does-not-exist");
    let missing = missing.to_str().unwrap();
    refuses_to_start(&["--key-file", missing], &[], "cannot read --key-file").await;
    refuses_to_start(
        &[],
        &[("TINCAN_RELAY_KEY", "")],
        "TINCAN_RELAY_KEY is set but empty",
    )
    .await;
    let good = key_file("doubled", "abc\n");
    let good = good.to_str().unwrap();
    refuses_to_start(
        &["--key", "abc", "--key-file", good],
        &[],
        "given by --key and --key-file",
    )
    .await;
    refuses_to_start(
        &["--key-file", good],
        &[("TINCAN_RELAY_KEY", "abc")],
        "one way only",
    )
    .await;
    refuses_to_start(
        &["--key", "abc"],
        &[("TINCAN_RELAY_KEY", "abc")],
        "--key and TINCAN_RELAY_KEY",
    )
    .await;
    let _ = std::fs::remove_file(empty);
    let _ = std::fs::remove_file(good);
}

#[tokio::test]
async fn binary_help_warns_that_key_is_visible_to_other_users() {
    let output = Command::new(env!("CARGO_BIN_EXE_tincan-relay"))
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--key-file"), "{help}");
    assert!(help.contains("TINCAN_RELAY_KEY"), "{help}");
    assert!(help.contains("process list"), "{help}");
}
