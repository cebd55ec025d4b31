//! Clean shutdown: every socket closed with 1001 "host ended the call", then `serve` returns.

mod common;

use std::time::{Duration, Instant};

use common::{close_code, close_reason, TestRelay};
use tincan_relay::Config;

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_and_serve_returns() {
    let relay = TestRelay::start(Config::default()).await;
    let addr = relay.addr;
    let (mut a, _) = relay.join("/ws/one").await;
    let (mut b, _) = relay.join("/ws/one").await;
    let (mut c, _) = relay.join("/ws/two").await;

    let started = Instant::now();
    relay.stop().await.expect("serve must return Ok");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        started.elapsed()
    );

    for client in [&mut a, &mut b, &mut c] {
        let (frame, texts) = client.expect_close().await;
        assert_eq!(close_code(&frame), 1001);
        assert_eq!(close_reason(&frame), "host ended the call");
        // `a` saw `b` join; nobody is told "peer-left" for a shutdown, the close says it all.
        assert!(texts.iter().all(|t| !t.contains("peer-left")), "{texts:?}");
    }
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener must be closed"
    );
}

#[tokio::test]
async fn shutdown_with_no_connections_returns_at_once() {
    let relay = TestRelay::start(Config::default()).await;
    let started = Instant::now();
    relay.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}
