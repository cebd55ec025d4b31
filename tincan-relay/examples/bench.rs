//! Measures the relay: memory per idle connection and relayed messages per second.
//!
//! `cargo run --release -p tincan-relay --example bench [-- --conns 2000 --seconds 3 --pairs 4]`
//!
//! The relay runs in a child process (`target/release/tincan-relay` when it has been built,
//! otherwise this program re-run in relay mode), so its resident memory is its own.
//!
//! This is the quick check of the relay alone. The comparison with other signaling servers
//! (the PeerJS server and `matchbox_server`, same load, same run) is
//! `node tests/bench/relay/run.mjs`; see `docs/BENCHMARKS.md`.

use std::{
    process::Stdio,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use clap::Parser;
use futures_util::{future::join_all, SinkExt, StreamExt};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
    sync::Semaphore,
};
use tokio_tungstenite::{connect_async, tungstenite::Message, MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A candidate-sized signaling message (what ICE trickle sends most of).
const CANDIDATE: &str = "candidate:842163049 1 udp 1677729535 192.168.1.23 54321 typ srflx \
                         raddr 0.0.0.0 rport 0 generation 0 ufrag aBcD network-cost 999";

/// Messages a sender may have in flight; well under the relay's outbound queue of 256.
const WINDOW: usize = 128;

#[derive(Debug, Parser)]
struct Args {
    /// Idle connections to open for the memory measurement.
    #[arg(long, default_value_t = 2000)]
    conns: usize,
    /// Seconds to pump messages for the throughput measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Sender/receiver pairs pumping at the same time, each in its own room.
    #[arg(long, default_value_t = 4)]
    pairs: usize,
    /// Run as the relay itself (used when the relay binary has not been built).
    #[arg(long, hide = true)]
    serve: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Some(listen) = args.serve {
        return serve_in_process(&listen, args.conns).await;
    }
    let (mut child, port, how) = start_relay(args.conns).await;
    let pid = child.id().expect("relay pid");
    println!("relay: {how} (pid {pid}) on 127.0.0.1:{port}");

    measure_idle_memory(pid, port, args.conns).await;
    measure_round_trip(port).await;
    measure_throughput(pid, port, args.pairs, Duration::from_secs_f64(args.seconds)).await;

    child.kill().await.expect("stop relay");
}

/// Relay mode of this program: the library with bench-friendly limits.
async fn serve_in_process(listen: &str, conns: usize) {
    let relay = tincan_relay::Relay::bind(listen.parse().expect("address"), relay_config(conns))
        .await
        .expect("bind");
    println!("listening on ws://{}/ws", relay.local_addr());
    relay.serve(std::future::pending()).await.expect("serve");
}

fn relay_config(conns: usize) -> tincan_relay::Config {
    tincan_relay::Config {
        max_connections: conns + 64,
        // Every benchmark connection comes from 127.0.0.1.
        max_connections_per_address: conns + 64,
        rate_per_second: 1e9,
        rate_burst: u32::MAX,
        ..tincan_relay::Config::default()
    }
}

/// Starts the relay as a child process and reads its port from the first line it prints.
async fn start_relay(conns: usize) -> (Child, u16, String) {
    let this = std::env::current_exe().expect("own path");
    let built = this
        .parent()
        .and_then(|dir| dir.parent())
        .map(|dir| dir.join("tincan-relay"));
    let mut command;
    let how;
    match built.filter(|path| path.is_file()) {
        Some(binary) => {
            how = binary.display().to_string();
            command = Command::new(binary);
            let config = relay_config(conns);
            command.args(["--listen", "127.0.0.1:0"]);
            command.args(["--max-connections", &config.max_connections.to_string()]);
            let per_address = config.max_connections_per_address.to_string();
            command.args(["--max-connections-per-address", &per_address]);
            command.args(["--rate", "1e9", "--burst", &u32::MAX.to_string()]);
        }
        None => {
            how = format!("{} --serve (tincan-relay binary not built)", this.display());
            command = Command::new(this);
            command.args(["--serve", "127.0.0.1:0", "--conns", &conns.to_string()]);
        }
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start relay");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next_line().await.expect("read").expect("line");
    // Keep reading so the relay's later lines (share addresses) never hit a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let port = first
        .strip_prefix("listening on ws://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/ws"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    (child, port, how)
}

/// Resident memory of a process in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time used so far by all threads of a process, in nanoseconds, from /proc.
fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

async fn join(port: u16, path: String) -> (Socket, serde_json::Value) {
    let (mut ws, _) = connect_async(format!("ws://127.0.0.1:{port}{path}"))
        .await
        .expect("connect");
    loop {
        match ws.next().await.expect("welcome").expect("welcome") {
            Message::Text(text) => {
                let welcome: serde_json::Value = serde_json::from_str(&text).expect("json");
                assert_eq!(welcome["type"], "welcome");
                return (ws, welcome);
            }
            _ => continue,
        }
    }
}

async fn measure_idle_memory(pid: u32, port: u16, conns: usize) {
    // Warm up first so that one-time costs (runtime threads, allocator arenas) count as baseline.
    let warm: Vec<_> = join_all((0..32).map(|i| join(port, format!("/ws/warm-{i}")))).await;
    drop(warm);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let Some(before) = rss_kib(pid) else {
        println!("idle connection memory: unavailable (no /proc on this system)");
        return;
    };
    let mut sockets = Vec::with_capacity(conns);
    for batch in (0..conns).collect::<Vec<_>>().chunks(100) {
        // Rooms of 16 like real calls; the relay's default room cap.
        let joins = batch
            .iter()
            .map(|i| join(port, format!("/ws/idle-{}", i / 16)));
        sockets.extend(join_all(joins).await.into_iter().map(|(ws, _)| ws));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid).unwrap_or(before);
    let per_conn = after.saturating_sub(before) as f64 / conns as f64;
    println!(
        "idle connection memory: {per_conn:.1} KiB/conn ({conns} conns, RSS {:.1} MiB -> {:.1} MiB)",
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
    drop(sockets);
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn measure_round_trip(port: u16) {
    let (mut a, _) = join(port, "/ws/rtt".to_owned()).await;
    let (mut b, welcome_b) = join(port, "/ws/rtt".to_owned()).await;
    let b_id = welcome_b["id"].as_str().expect("id").to_owned();
    next_text(&mut a).await; // peer-joined
    let mut samples = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let started = Instant::now();
        let offer = serde_json::json!({"type": "offer", "sdp": "v=0", "to": b_id});
        a.send(Message::text(offer.to_string()))
            .await
            .expect("send");
        let got: serde_json::Value = serde_json::from_str(&next_text(&mut b).await).expect("json");
        let answer = serde_json::json!({"type": "answer", "sdp": "v=0", "to": got["from"]});
        b.send(Message::text(answer.to_string()))
            .await
            .expect("send");
        next_text(&mut a).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "relay round trip: {:.3} ms median, {:.3} ms p99 (1000 offer/answer exchanges)",
        samples[samples.len() / 2].as_secs_f64() * 1e3,
        samples[samples.len() * 99 / 100].as_secs_f64() * 1e3
    );
}

async fn next_text(ws: &mut Socket) -> String {
    loop {
        if let Message::Text(text) = ws.next().await.expect("open").expect("frame") {
            return text.to_string();
        }
    }
}

async fn measure_throughput(pid: u32, port: u16, pairs: usize, duration: Duration) {
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for pair in 0..pairs {
        let (sender, _) = join(port, format!("/ws/pump-{pair}")).await;
        let (receiver, welcome) = join(port, format!("/ws/pump-{pair}")).await;
        let to = welcome["id"].as_str().expect("id").to_owned();
        let window = Arc::new(Semaphore::new(WINDOW));
        tasks.push(tokio::spawn(pump(sender, to, window.clone(), stop.clone())));
        tasks.push(tokio::spawn(count(
            receiver,
            window,
            counting.clone(),
            stop.clone(),
            delivered.clone(),
        )));
    }
    // Let the pumps reach a steady state before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    counting.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let cpu_before = cpu_ns(pid);
    tokio::time::sleep(duration).await;
    let counted = delivered.load(Ordering::SeqCst);
    let cpu = cpu_ns(pid)
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.abort();
    }
    let bytes = message_for("0123456789ab").len();
    println!(
        "relay throughput: {:.0} msg/s ({pairs} pairs, {bytes}-byte candidate messages, {:.1} s)",
        counted as f64 / elapsed,
        elapsed
    );
    if let Some(cpu) = cpu.filter(|_| counted > 0) {
        println!(
            "relay cpu: {:.1} us per relayed message ({:.2} cores busy)",
            cpu as f64 / 1e3 / counted as f64,
            cpu as f64 / 1e9 / elapsed
        );
    }
}

fn message_for(to: &str) -> String {
    serde_json::json!({
        "type": "candidate",
        "candidate": {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0},
        "to": to,
    })
    .to_string()
}

/// Sends candidates to `to` as fast as the window allows, in batches of what the window has
/// free, one flush per batch.
async fn pump(mut ws: Socket, to: String, window: Arc<Semaphore>, stop: Arc<AtomicBool>) {
    let message = message_for(&to);
    while !stop.load(Ordering::Relaxed) {
        let batch = window.available_permits().clamp(1, 64);
        let Ok(permits) = window.acquire_many(batch as u32).await else {
            return;
        };
        permits.forget();
        for _ in 0..batch {
            if ws.feed(Message::text(message.clone())).await.is_err() {
                return;
            }
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}

/// Counts relayed candidates and gives the sender its window back.
async fn count(
    mut ws: Socket,
    window: Arc<Semaphore>,
    counting: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    delivered: Arc<AtomicU64>,
) {
    while let Some(Ok(message)) = ws.next().await {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if message.is_text() {
            window.add_permits(1);
            if counting.load(Ordering::Relaxed) {
                delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
