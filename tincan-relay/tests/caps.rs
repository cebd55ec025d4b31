//! Connection caps at accept: per client address, on pending handshakes, and the header-read
//! timeout, each against a real relay on loopback.

mod common;

use std::time::Duration;

use common::{closed_by, connect_from, join_from, loopback, TestRelay};
use tincan_relay::Config;
use tokio::{io::AsyncWriteExt, net::TcpStream, time::Instant};

/// Opens a connection from `from` that starts a request and goes silent.
async fn silent_from(from: std::net::IpAddr, relay: &TestRelay) -> TcpStream {
    let mut stream = connect_from(from, relay.addr).await.unwrap();
    stream
        .write_all(b"GET /ws/lobby?v=1 HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    stream
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(2)
}

#[tokio::test]
async fn an_address_over_its_cap_is_closed_at_once_while_others_still_join() {
    let relay = TestRelay::start(Config {
        max_connections_per_address: 3,
        ..Config::default()
    })
    .await;
    let busy = loopback(0, 2);
    let (first, hello) = join_from(busy, relay.addr, "/ws/a").await.unwrap();
    assert_eq!(hello["type"], "welcome");
    let (_second, _) = join_from(busy, relay.addr, "/ws/a").await.unwrap();
    // A connection still in its handshake counts too.
    let mut pending = silent_from(busy, &relay).await;

    let mut over = connect_from(busy, relay.addr).await.unwrap();
    let started = Instant::now();
    assert!(
        closed_by(&mut over, soon()).await,
        "the fourth must be closed"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "closed at once");
    assert!(join_from(busy, relay.addr, "/ws/a").await.is_err());

    let (_other, hello) = join_from(loopback(0, 3), relay.addr, "/ws/a")
        .await
        .unwrap();
    assert_eq!(hello["type"], "welcome", "another address is not affected");

    // Places come back when connections close, upgraded or not.
    first.close().await;
    drop(pending.shutdown().await);
    drop(pending);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match join_from(busy, relay.addr, "/ws/a").await {
            Ok((_, hello)) if hello["type"] == "welcome" => break,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("the address never got its places back: {:?}", other.err()),
        }
    }
}

#[tokio::test]
async fn a_full_pending_pool_closes_its_oldest_handshake_and_serves_the_newcomer() {
    let relay = TestRelay::start(Config {
        max_pending_handshakes: 4,
        ..Config::default()
    })
    .await;
    let mut silent = Vec::new();
    for i in 0..4 {
        silent.push(silent_from(loopback(0, 10 + i), &relay).await);
        // Keep their ages in order.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_client, hello) = join_from(loopback(0, 20), relay.addr, "/ws?name=Ann")
        .await
        .expect("the newcomer is served");
    assert_eq!(hello["type"], "welcome");

    let started = Instant::now();
    assert!(
        closed_by(&mut silent[0], soon()).await,
        "the oldest pending handshake is closed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "well before the header timeout"
    );
    for stream in &mut silent[1..] {
        let brief = Instant::now() + Duration::from_millis(300);
        assert!(
            !closed_by(stream, brief).await,
            "younger ones keep their place"
        );
    }
}

#[tokio::test]
async fn a_request_head_not_finished_in_time_is_closed() {
    let relay = TestRelay::start(Config {
        header_timeout: Duration::from_millis(500),
        ..Config::default()
    })
    .await;
    let started = Instant::now();
    let mut silent = silent_from(loopback(0, 30), &relay).await;
    let mut mute = connect_from(loopback(0, 30), relay.addr).await.unwrap();
    assert!(closed_by(&mut silent, soon()).await);
    assert!(closed_by(&mut mute, soon()).await);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "not before the timeout: {took:?}"
    );

    // A client that sends its request in time is served.
    let (_client, hello) = join_from(loopback(0, 31), relay.addr, "/ws").await.unwrap();
    assert_eq!(hello["type"], "welcome");
}
