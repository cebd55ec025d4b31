//! Ten thousand idle WebSocket connections to the relay program: what each costs in memory, the
//! next one hears `relay-full`, descriptors come back once they close and the memory is reused.

mod common;

use std::time::Duration;

use common::{join_from, loopback, raise_fd_limit, Client, RelayProcess};
use futures_util::future::join_all;
use tokio::time::Instant;

const CONNECTIONS: usize = 10_000;

/// Connections opened again after the first ones closed, to tell reused memory from leaked.
const SECOND_WAVE: usize = CONNECTIONS / 4;

/// Handshakes in flight at once: below the relay's pending-handshake cap (128).
const BATCH: usize = 100;

/// Connections per source address: below the per-address cap (32).
const PER_ADDRESS: usize = 25;

/// The source address of connection `i`: 127.0.x.y, never 127.0.0.1.
fn source(i: usize) -> std::net::IpAddr {
    let n = 256 + i / PER_ADDRESS;
    loopback((n / 250) as u8, (n % 250 + 2) as u8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_connections_fit_and_everything_comes_back() {
    let own_limit = raise_fd_limit();
    assert!(
        own_limit > CONNECTIONS as u64 + 500,
        "this test needs an open-file limit above {} (have {own_limit})",
        CONNECTIONS + 500
    );
    let relay = RelayProcess::start(
        &[
            "--max-connections",
            &CONNECTIONS.to_string(),
            // The test does not answer pings while it holds the connections.
            "--keepalive",
            "300",
            "--keepalive-timeout",
            "600",
        ],
        None,
    )
    .await;
    // Warm up once-only costs (runtime threads, allocator arenas) before the baseline.
    let warm: Vec<Client> = join_all((0..32).map(|i| async move {
        join_from(loopback(0, 250), relay.addr, &format!("/ws/warm-{i}"))
            .await
            .unwrap()
            .0
    }))
    .await;
    drop(warm);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fds_before = relay.fd_count();
    let rss_before = relay.rss_kib();

    let started = Instant::now();
    let clients = open_wave(relay.addr, 0..CONNECTIONS).await;
    let opened_in = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_peak = relay.rss_kib();
    let fds_peak = relay.fd_count();
    let per_connection = (rss_peak.saturating_sub(rss_before)) as f64 / CONNECTIONS as f64;
    eprintln!(
        "{CONNECTIONS} idle connections opened in {opened_in:?}: relay RSS {rss_before} KiB -> \
         {rss_peak} KiB, {per_connection:.1} KiB per connection; fds {fds_before} -> {fds_peak}"
    );
    assert!(
        fds_peak >= fds_before + CONNECTIONS,
        "one socket per connection"
    );

    let (_extra, refusal) = join_from(loopback(1, 251), relay.addr, "/ws/one-too-many")
        .await
        .expect("the next connection is upgraded to hear why it is refused");
    assert_eq!(refusal["type"], "error", "got {refusal}");
    assert_eq!(refusal["code"], "relay-full", "got {refusal}");
    drop(_extra);

    eprintln!("relay-full checked at {:?}", started.elapsed());
    let closing = Instant::now();
    drop(clients);
    let fds_after = settle(&relay, fds_before).await;
    let rss_after = relay.rss_kib();
    eprintln!(
        "after closing ({:?}): fds {fds_after} (baseline {fds_before}), RSS {rss_after} KiB",
        closing.elapsed()
    );
    assert!(
        fds_after <= fds_before,
        "descriptors back to baseline: {fds_after} > {fds_before}"
    );

    // glibc's allocator keeps freed memory for reuse rather than returning it, so RSS alone
    // cannot tell freed from leaked: a second wave must fit in what the first one freed.
    let again = open_wave(relay.addr, 0..SECOND_WAVE).await;
    let rss_again = relay.rss_kib();
    drop(again);
    let fds_final = settle(&relay, fds_before).await;
    let grown = rss_peak.saturating_sub(rss_before);
    eprintln!("second wave done at {:?}", started.elapsed());
    eprintln!(
        "a second wave of {} connections: RSS {rss_after} KiB -> {rss_again} KiB; fds after {fds_final}",
        SECOND_WAVE
    );
    assert!(
        // Leaked, the second wave would add a quarter of the first wave's growth.
        rss_again <= rss_peak + grown / 8,
        "closed connections' memory is reused: {rss_before} -> {rss_peak} -> {rss_after} -> \
         {rss_again} KiB"
    );
    assert!(
        fds_final <= fds_before,
        "descriptors back to baseline again"
    );
}

/// Opens and joins connections `range` concurrently in batches, from many source addresses.
async fn open_wave(addr: std::net::SocketAddr, range: std::ops::Range<usize>) -> Vec<Client> {
    let mut clients = Vec::with_capacity(range.len());
    for batch in range.collect::<Vec<_>>().chunks(BATCH) {
        let joins = batch.iter().map(|&i| async move {
            // Rooms of 16, like real calls.
            let path = format!("/ws/idle-{}?name=p{i}", i / 16);
            let (client, hello) = join_from(source(i), addr, &path)
                .await
                .unwrap_or_else(|e| panic!("connection {i} failed: {e}"));
            assert_eq!(hello["type"], "welcome", "connection {i}: {hello}");
            client
        });
        clients.extend(join_all(joins).await);
    }
    clients
}

/// Waits (up to 30 s) for the relay's descriptor count to fall to `baseline`; returns it.
async fn settle(relay: &RelayProcess, baseline: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut fds = relay.fd_count();
    while fds > baseline && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        fds = relay.fd_count();
    }
    // A moment for the last tasks to free what they held.
    tokio::time::sleep(Duration::from_millis(300)).await;
    fds
}
