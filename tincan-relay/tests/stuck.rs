//! Peers that stop reading, or read too slowly, while the room is flooded with large
//! messages: the relay's memory stays bounded and those peers are dropped, whatever else they
//! send. (That such peers never delay the others is `slow_reader.rs`.)

mod common;

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{Client, RelayProcess, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::{task::JoinHandle, time::Instant};
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream};

const LAGGARDS: usize = 20;
/// Just under the default 64 KiB message limit.
const PAD: usize = 60_000;
/// Under the default allowance of 50 messages per second.
const SEND_EVERY: Duration = Duration::from_millis(25);
/// How often each stuck laggard sends to its neighbour.
const STUCK_SEND_EVERY: Duration = Duration::from_millis(100);
const FLOOD_FOR: Duration = Duration::from_secs(12);
/// A small receive buffer, so a laggard's socket fills after little data even on loopback.
const LAGGARD_RCVBUF: u32 = 16 * 1024;
const MIB: u64 = 1024 * 1024;

/// How a laggard treats its socket.
#[derive(Clone, Copy)]
enum Laggard {
    /// Never reads again, but pings to look alive and sends large messages to another
    /// laggard, so every queue holds different bytes (a broadcast is shared).
    Stuck,
    /// Reads one frame every 250 ms.
    Slow,
}

/// Joins with a small receive buffer and reads the `welcome`; returns the client and its id.
async fn join_laggard(relay: &RelayProcess, n: usize) -> (Client, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(LAGGARD_RCVBUF).unwrap();
    let stream = socket.connect(relay.addr).await.unwrap();
    let url = format!("ws://{}/ws/flood?name=l{n}", relay.addr);
    let (ws, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)),
    )
    .await
    .expect("connect timed out")
    .unwrap();
    let mut client = Client { ws };
    let welcome = client.welcome().await;
    (client, welcome.id)
}

fn spawn_laggard(mut client: Client, kind: Laggard, to: String) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut sent = 0u64;
        loop {
            match kind {
                Laggard::Stuck => {
                    tokio::time::sleep(STUCK_SEND_EVERY).await;
                    sent += 1;
                    let pad = format!("{sent:>PAD$}");
                    let blob = json!({"type": "blob", "to": to, "pad": pad}).to_string();
                    if client.ws.send(Message::text(blob)).await.is_err() {
                        return;
                    }
                    if sent.is_multiple_of(5)
                        && client
                            .ws
                            .send(Message::Ping(Default::default()))
                            .await
                            .is_err()
                    {
                        return;
                    }
                }
                Laggard::Slow => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    match client.ws.next().await {
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                }
            }
        }
    })
}

/// Floods a room holding 20 laggards; returns the relay's peak memory growth.
async fn flood(kind: Laggard, args: &[&str]) -> u64 {
    let mut all_args = vec!["--max-peers", "32"];
    all_args.extend_from_slice(args);
    let relay = RelayProcess::start(&all_args, None).await;
    let (mut sender, _) = relay.join("/ws/flood?name=sender").await;
    let mut joined = Vec::new();
    for n in 0..LAGGARDS {
        joined.push(join_laggard(&relay, n).await);
    }
    let ids: Vec<String> = joined.iter().map(|(_, id)| id.clone()).collect();
    let laggard_ids: HashSet<String> = ids.iter().cloned().collect();
    for _ in 0..LAGGARDS {
        assert_eq!(sender.recv_json().await["type"], "peer-joined");
    }
    // The baseline is taken with everyone in the room.
    let baseline = relay.peak_memory();
    let mut laggards = Vec::new();
    for (n, (client, _)) in joined.into_iter().enumerate() {
        let to = ids[(n + 1) % LAGGARDS].clone();
        laggards.push(spawn_laggard(client, kind, to));
    }

    let (mut sink, mut stream) = sender.ws.split();
    let left = Arc::new(Mutex::new(HashSet::new()));
    let watcher = {
        let left = left.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                match value["type"].as_str() {
                    Some("peer-left") => {
                        let id = value["id"].as_str().unwrap().to_owned();
                        left.lock().unwrap().insert(id);
                    }
                    other => panic!("the sender got {other:?}: {value}"),
                }
            }
        })
    };

    let pad = "x".repeat(PAD);
    let started = Instant::now();
    let mut tick = tokio::time::interval(SEND_EVERY);
    let mut sent = 0u64;
    let all_gone = |left: &Mutex<HashSet<String>>| laggard_ids.is_subset(&left.lock().unwrap());
    while started.elapsed() < FLOOD_FOR && !all_gone(&left) {
        tick.tick().await;
        let blob = json!({"type": "blob", "n": sent, "pad": pad}).to_string();
        sink.send(Message::text(blob)).await.unwrap();
        sent += 1;
    }

    // Every laggard is dropped; one whose socket is merely full goes within the write-stall
    // timeout after the flood at the latest.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !all_gone(&left) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let gone = left.lock().unwrap().len();
    assert!(
        all_gone(&left),
        "only {gone} of {LAGGARDS} laggards were dropped"
    );

    let growth = relay.peak_memory().saturating_sub(baseline);
    println!(
        "sent {sent} messages of {PAD} bytes in {:?}; peak memory grew {:.1} MiB",
        started.elapsed(),
        growth as f64 / MIB as f64
    );
    watcher.abort();
    for laggard in laggards {
        laggard.abort();
    }
    growth
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_that_never_read_but_ping_are_dropped_and_memory_stays_bounded() {
    let growth = flood(Laggard::Stuck, &[]).await;
    // 20 queues of at most 1 MiB each plus write buffers (about 6 MiB measured); queues
    // bounded in frames only (256 of them) let this load grow the relay by 42 MiB in 10 s.
    assert!(growth < 30 * MIB, "peak memory grew {growth} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_readers_are_dropped_and_memory_stays_bounded() {
    let growth = flood(Laggard::Slow, &[]).await;
    assert!(growth < 100 * MIB, "peak memory grew {growth} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_writer_is_dropped_even_when_its_byte_budget_is_large() {
    // Each queue and the relay-wide total could hold 1 GiB, so only the stall timeout can
    // drop the stuck readers.
    let growth = flood(
        Laggard::Stuck,
        &[
            "--queue-bytes",
            "1073741824",
            "--total-queue-bytes",
            "1073741824",
            "--queue",
            "100000",
            "--write-stall",
            "2",
        ],
    )
    .await;
    assert!(growth < 100 * MIB, "peak memory grew {growth} bytes");
}
