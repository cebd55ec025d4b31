//! A reader that stops reading is dropped once its bounded queue overflows, and never delays
//! the peers that keep up.

mod common;

use std::time::{Duration, Instant};

use common::{close_code, TestRelay};
use serde_json::json;
use tincan_relay::Config;

const MESSAGES: usize = 600;
const PAD: usize = 48 * 1024;
const WINDOW: usize = 8;

#[tokio::test]
async fn a_stuck_reader_is_dropped_without_stalling_a_fast_pair() {
    let config = Config {
        outbound_queue: 16,
        rate_per_second: 100_000.0,
        rate_burst: 100_000,
        ..Config::default()
    };
    let relay = TestRelay::start(config).await;
    let (mut sender, _) = relay.join("/ws/call?name=sender").await;
    let (mut fast, _) = relay.join("/ws/call?name=fast").await;
    // `stuck` reads its welcome and then never reads again, like a frozen tab.
    let (mut stuck, stuck_welcome) = relay.join("/ws/call?name=stuck").await;
    assert_eq!(sender.recv_json().await["type"], "peer-joined");
    assert_eq!(sender.recv_json().await["type"], "peer-joined");
    assert_eq!(fast.recv_json().await["type"], "peer-joined");

    // 600 x 48 KiB = 28 MiB broadcast: far more than the socket buffers and queue of `stuck` hold.
    let pad = "x".repeat(PAD);
    let started = Instant::now();
    // The sender keeps at most WINDOW messages in flight to `fast`, like a real call where
    // candidates trickle; `fast` therefore never has more than WINDOW frames queued.
    let mut left_seen_by_fast = None;
    for round in 0..MESSAGES / WINDOW {
        for n in round * WINDOW..(round + 1) * WINDOW {
            sender
                .send_json(json!({"type": "blob", "n": n, "pad": pad}))
                .await;
        }
        let mut next = round * WINDOW;
        while next < (round + 1) * WINDOW {
            let message = fast.recv_json().await;
            match message["type"].as_str() {
                Some("blob") => {
                    assert_eq!(
                        message["n"], next,
                        "messages must arrive complete and in order"
                    );
                    next += 1;
                }
                Some("peer-left") => {
                    left_seen_by_fast = Some(message["id"].as_str().unwrap().to_owned());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(15),
        "the fast pair was stalled: {elapsed:?}"
    );

    // The stuck reader was dropped and both others were told.
    let left = match left_seen_by_fast {
        Some(id) => id,
        None => fast.recv_json().await["id"].as_str().unwrap().to_owned(),
    };
    assert_eq!(left, stuck_welcome.id);
    let at_sender = sender.recv_json().await;
    assert_eq!(
        at_sender,
        json!({"type": "peer-left", "id": stuck_welcome.id})
    );

    // Messages keep flowing after the drop.
    fast.send_json(json!({"type": "after"})).await;
    assert_eq!(sender.recv_json().await["type"], "after");

    // When the stuck peer finally reads, its stream ends: with the "too slow" close if the
    // close frame fit through, otherwise with the connection simply gone.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        use futures_util::StreamExt;
        let mut texts = 0usize;
        loop {
            match stuck.ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    return (Some(close_code(&frame)), texts)
                }
                Some(Ok(_)) => texts += 1,
                Some(Err(_)) | None => return (None, texts),
            }
        }
    })
    .await
    .expect("the stuck peer's connection must end");
    if let (Some(code), _) = ended {
        assert_eq!(code, 4008);
    }
    assert!(
        ended.1 < MESSAGES,
        "the stuck peer cannot have been sent everything"
    );
}
