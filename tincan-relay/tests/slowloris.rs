//! Slowloris against the relay program: hundreds of connections that start a request and go
//! silent, with the relay held to 256 open files, must neither lock a real client out nor be
//! kept open.

mod common;

use std::time::Duration;

use common::{closed_by, connect_from, join_from, loopback, raise_fd_limit, RelayProcess};
use tokio::{io::AsyncWriteExt, time::Instant};

const SILENT: usize = 300;
const ADDRESSES: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_half_requests_neither_lock_out_a_client_nor_stay_open() {
    raise_fd_limit();
    let relay = RelayProcess::start(&[], Some(256)).await;
    let started = Instant::now();

    let mut silent = Vec::with_capacity(SILENT);
    let mut refused_at_connect = 0;
    for i in 0..SILENT {
        let from = loopback(0, 10 + (i % ADDRESSES) as u8);
        match connect_from(from, relay.addr).await {
            Ok(mut stream) => {
                // A request head that never ends; the relay may already have closed the socket.
                let _ = stream
                    .write_all(b"GET /ws/lobby?v=1 HTTP/1.1\r\nHost: x\r\n")
                    .await;
                silent.push(stream);
            }
            Err(_) => refused_at_connect += 1,
        }
    }
    eprintln!(
        "opened {} silent connections in {:?} ({refused_at_connect} refused at connect)",
        silent.len(),
        started.elapsed()
    );

    let joining = Instant::now();
    let (client, first) = join_from(loopback(0, 200), relay.addr, "/ws/lobby?v=1&name=Ann")
        .await
        .expect("a normal client can still connect");
    assert_eq!(first["type"], "welcome", "got {first}");
    let waited = joining.elapsed();
    eprintln!("normal client welcomed after {waited:?}");
    assert!(waited < Duration::from_secs(5), "welcome took {waited:?}");

    let deadline = started + Duration::from_secs(20);
    let checks = silent
        .into_iter()
        .map(|mut stream| tokio::spawn(async move { closed_by(&mut stream, deadline).await }));
    let mut closed = refused_at_connect;
    for check in checks.collect::<Vec<_>>() {
        if check.await.unwrap() {
            closed += 1;
        }
    }
    eprintln!(
        "relay closed {closed} of {SILENT} silent connections within {:?}",
        started.elapsed()
    );
    assert!(
        closed * 10 >= SILENT * 9,
        "only {closed} of {SILENT} closed"
    );

    let log = relay.log();
    assert!(
        log.contains("open-file limit is 256"),
        "the lowered caps are explained in the log:\n{log}"
    );
    assert!(
        log.contains("refused connection") && log.contains("127.0.0.1"),
        "refusals name the client address:\n{log}"
    );
    drop(client);
}
