//! Whatever answers at the host's address may be hostile: huge frames are refused while their
//! header is read, a flood of frames is cut off, and either ends the call with a clear error
//! instead of reaching the page or the memory.

use std::{
    net::Ipv4Addr,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::{io::AsyncWriteExt, net::TcpListener, runtime::Runtime};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::Harness;

const SIXTY_MIB: u64 = 60 << 20;
const TOO_MUCH: &str = "The host sent too much data; left the call";

/// The `closed` event after the app cut off a host that sent too much, with the app's own error.
fn too_much(code: u16) -> Value {
    json!({
        "kind": "closed",
        "code": code,
        "reason": TOO_MUCH,
        "error": {"code": "too-much-data", "message": TOO_MUCH, "params": {}},
    })
}

/// A server on loopback that greets one client with `welcome`, then runs `attack` on the
/// plain TCP stream beneath the WebSocket.
async fn hostile_server<F, Fut>(attack: F) -> (u16, tokio::task::JoinHandle<u64>)
where
    F: FnOnce(tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = u64> + Send,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
        socket
            .send(Message::text(r#"{"type":"welcome","id":"h","peers":[]}"#))
            .await
            .unwrap();
        attack(socket).await
    });
    (port, task)
}

/// Writes a server (unmasked) frame header for `len` payload bytes.
fn frame_header(first_byte: u8, len: u64) -> Vec<u8> {
    let mut header = vec![first_byte, 127];
    header.extend_from_slice(&len.to_be_bytes());
    header
}

/// Streams `len` bytes of spaces from one reused buffer, so this process never holds the
/// payload itself; returns how many were written before the client went away.
async fn stream_payload(tcp: &mut tokio::net::TcpStream, len: u64) -> u64 {
    let chunk = vec![b' '; 64 * 1024];
    let mut written = 0;
    while written < len {
        let n = chunk.len().min((len - written) as usize);
        if tcp.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        written += n as u64;
    }
    written
}

/// The peak resident memory of this process, in KiB, reset first when the kernel allows.
struct Peak;

/// Held while peak memory is measured, so two measurements never reset each other's peak.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Peak {
    fn reset() -> u64 {
        // "5" resets VmHWM to the current RSS (Linux 4.0+).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        Self::kib()
    }

    fn kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/self/status")
    }
}

fn join(app: &Harness, port: u16) {
    app.invoke(
        "join_room",
        json!({"address": format!("127.0.0.1:{port}"), "name": "Ann"}),
    )
    .expect("the socket opens");
}

fn messages(app: &Harness) -> usize {
    app.kinds().iter().filter(|k| *k == "message").count()
}

/// Joins a server that sends `welcome` and then `attack`; returns the `closed` event, checking
/// the call ended for good with nothing reconnecting and the peak memory stayed small.
fn refused_by_the_client<F, Fut>(attack: F) -> Value
where
    F: FnOnce(tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = u64> + Send,
{
    let _measuring = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = Runtime::new().unwrap();
    let (port, server) = runtime.block_on(hostile_server(attack));
    let app = Harness::new();
    let before = Peak::reset();
    join(&app, port);
    let closed = app.wait_for("closed", |e| e["kind"] == "closed");
    let grown_kib = Peak::kib().saturating_sub(before);
    let written = runtime.block_on(server).unwrap();
    eprintln!("refused after {written} bytes of 60 MiB; peak memory grew by {grown_kib} KiB");
    assert!(
        written < SIXTY_MIB,
        "the client read the whole 60 MiB ({written} bytes)"
    );
    assert!(
        grown_kib < 32 * 1024,
        "peak memory grew by {grown_kib} KiB while refusing 60 MiB"
    );
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(app.kinds(), ["open", "message", "closed"]);
    closed
}

#[test]
fn a_60_mib_frame_is_refused_at_its_header() {
    let closed = refused_by_the_client(|mut socket| async move {
        let tcp = socket.get_mut();
        // FIN + text, 64-bit length.
        if tcp.write_all(&frame_header(0x81, SIXTY_MIB)).await.is_err() {
            return 0;
        }
        stream_payload(tcp, SIXTY_MIB).await
    });
    assert_eq!(closed, too_much(1009));
}

#[test]
fn a_60_mib_message_in_small_fragments_is_refused_early() {
    let closed = refused_by_the_client(|mut socket| async move {
        let tcp = socket.get_mut();
        let fragment = 64 * 1024;
        let mut written = 0;
        while written < SIXTY_MIB {
            // A text frame without FIN, then continuation frames.
            let opcode = if written == 0 { 0x01 } else { 0x00 };
            if tcp
                .write_all(&frame_header(opcode, fragment))
                .await
                .is_err()
            {
                break;
            }
            let sent = stream_payload(tcp, fragment).await;
            written += sent;
            if sent < fragment {
                break;
            }
        }
        written
    });
    assert_eq!(closed, too_much(1009));
}

#[test]
fn a_flood_of_frames_is_cut_off_after_a_few_reach_the_page() {
    let runtime = Runtime::new().unwrap();
    let (port, server) = runtime.block_on(hostile_server(|mut socket| async move {
        // 1,000 frames a second for at most 10 s, until the client hangs up.
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let started = Instant::now();
        let mut sent = 0;
        while started.elapsed() < Duration::from_secs(10) {
            tick.tick().await;
            let text = json!({"type": "candidate", "from": "h", "n": sent}).to_string();
            if socket.send(Message::text(text)).await.is_err() {
                break;
            }
            sent += 1;
        }
        sent
    }));
    let app = Harness::new();
    let started = Instant::now();
    join(&app, port);
    let closed = app.wait_for("closed", |e| e["kind"] == "closed");
    let took = started.elapsed();
    let sent = runtime.block_on(server).unwrap();
    assert_eq!(closed, too_much(1008));
    let passed = messages(&app);
    eprintln!("flood: {sent} frames sent, {passed} passed to the page, closed after {took:?}");
    // The burst (200) plus 100 a second until the cut, plus the welcome; at 1,000/s the cut
    // comes after about a quarter of a second.
    let allowed = 201 + (took.as_secs_f64() * 100.0) as usize;
    assert!(passed <= allowed, "{passed} frames reached the page");
    assert!(passed < 1000, "{passed} frames reached the page");
    assert!(
        sent > passed as u64,
        "the flood went on past the cut ({sent} sent)"
    );
    std::thread::sleep(Duration::from_millis(700));
    assert!(!app.kinds().contains(&"reconnecting".to_owned()));
}

#[test]
fn a_burst_within_the_budget_reaches_the_page_whole() {
    let runtime = Runtime::new().unwrap();
    let (port, server) = runtime.block_on(hostile_server(|mut socket| async move {
        // Many frames at once, as when several people join together, each under the size cap.
        let padding = "x".repeat(100 * 1024);
        for n in 0..150 {
            let pad = if n == 0 { padding.as_str() } else { "" };
            let text = json!({"type": "candidate", "from": "h", "n": n, "pad": pad}).to_string();
            socket.send(Message::text(text)).await.unwrap();
        }
        while socket.next().await.is_some() {}
        150
    }));
    let app = Harness::new();
    join(&app, port);
    app.wait_for("the last frame", |e| {
        e["text"].as_str().is_some_and(|t| t.contains("\"n\":149"))
    });
    assert_eq!(messages(&app), 151);
    app.invoke("leave_room", json!({})).unwrap();
    assert_eq!(
        app.events().last().unwrap(),
        &json!({"kind": "closed", "code": 1000, "reason": "left the call"})
    );
    runtime.block_on(server).unwrap();
}
