//! Passcode guessing: one address is slowed down after a few wrong passcodes, the relay as a
//! whole checks only so many wrong ones per minute, and neither locks out someone who knows
//! the passcode.

mod common;

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use common::{first_text_and_close, ws_connect_from, TestRelay};
use tincan_relay::Config;
use tokio::time::Instant;

const KEY: &str = "7319";
const GUESSERS: usize = 32;
const ATTACK: Duration = Duration::from_secs(8);

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// What one join attempt with `key` from `from` got: the error code, "welcome", or "refused"
/// when the connection itself was turned away (too many open from that address).
async fn try_key(relay: &TestRelay, from: IpAddr, key: &str) -> (String, String, Option<u16>) {
    let Ok(mut ws) =
        ws_connect_from(relay.addr, from, &format!("/ws/vault?key={key}&name=x")).await
    else {
        return ("refused".to_owned(), String::new(), None);
    };
    let (first, close) = first_text_and_close(&mut ws, true).await;
    let kind = first["type"].as_str().unwrap_or_default().to_owned();
    let outcome = if kind == "welcome" {
        kind
    } else {
        first["code"].as_str().unwrap_or_default().to_owned()
    };
    let words = first["message"].as_str().unwrap_or_default().to_owned();
    (outcome, words, close)
}

async fn join_with_the_key(relay: &TestRelay, from: IpAddr) {
    let mut ws = ws_connect_from(relay.addr, from, &format!("/ws/vault?key={KEY}&name=ann"))
        .await
        .unwrap();
    let (first, _) = first_text_and_close(&mut ws, false).await;
    assert_eq!(
        first["type"], "welcome",
        "the right passcode must get in: {first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guessing_from_one_address_gets_few_verdicts_and_locks_nobody_out() {
    let relay = TestRelay::start(Config {
        key: Some(KEY.to_owned()),
        ..Config::default()
    })
    .await;
    let relay = Arc::new(relay);
    let next = Arc::new(AtomicU32::new(0));
    // Guesses refused unchecked are tried again, as a real attacker would.
    let retry = Arc::new(Mutex::new(Vec::<u32>::new()));
    let verdicts = Arc::new(AtomicUsize::new(0));
    let throttled = Arc::new(AtomicUsize::new(0));
    let found = Arc::new(AtomicBool::new(false));
    let stop_at = Instant::now() + ATTACK;

    let mut guessers = Vec::new();
    for _ in 0..GUESSERS {
        let (relay, next, retry) = (relay.clone(), next.clone(), retry.clone());
        let (verdicts, throttled, found) = (verdicts.clone(), throttled.clone(), found.clone());
        guessers.push(tokio::spawn(async move {
            while Instant::now() < stop_at {
                let guess = retry
                    .lock()
                    .unwrap()
                    .pop()
                    .unwrap_or_else(|| next.fetch_add(1, Ordering::Relaxed));
                if guess > 9999 {
                    break;
                }
                let (outcome, words, close) =
                    try_key(&relay, ip("127.0.0.2"), &format!("{guess:04}")).await;
                match outcome.as_str() {
                    "welcome" => {
                        found.store(true, Ordering::Relaxed);
                        verdicts.fetch_add(1, Ordering::Relaxed);
                    }
                    "bad-key" => {
                        assert_eq!(close, Some(4001));
                        verdicts.fetch_add(1, Ordering::Relaxed);
                    }
                    "too-many-attempts" => {
                        assert_eq!(close, Some(4001));
                        assert!(words.contains("try again in"), "{words}");
                        throttled.fetch_add(1, Ordering::Relaxed);
                        retry.lock().unwrap().push(guess);
                    }
                    "refused" => retry.lock().unwrap().push(guess),
                    other => panic!("unexpected answer {other}: {words}"),
                }
            }
        }));
    }

    // Someone else, who knows the passcode, joins in the middle of the attack.
    tokio::time::sleep(ATTACK / 2).await;
    join_with_the_key(&relay, ip("127.0.0.3")).await;

    for guesser in guessers {
        guesser.await.unwrap();
    }
    let verdicts = verdicts.load(Ordering::Relaxed);
    let throttled = throttled.load(Ordering::Relaxed);
    println!("{verdicts} verdicts, {throttled} attempts refused unchecked in {ATTACK:?}");
    assert!(verdicts <= 100, "{verdicts} passcode checks in {ATTACK:?}");
    assert!(!found.load(Ordering::Relaxed), "the passcode was found");
    assert!(throttled > 0, "the guessers were never slowed down");

    // And again afterwards, while the guessing address is still held back.
    join_with_the_key(&relay, ip("127.0.0.3")).await;
    let (outcome, _, _) = try_key(&relay, ip("127.0.0.2"), KEY).await;
    assert_eq!(outcome, "too-many-attempts");
}

#[tokio::test]
async fn the_relay_wide_budget_spares_addresses_that_never_failed() {
    let relay = TestRelay::start(Config {
        key: Some(KEY.to_owned()),
        key_failures_per_minute: 10,
        ..Config::default()
    })
    .await;
    // Twelve addresses guess once each: all checked (fresh), and the budget is spent.
    for n in 1..=12 {
        let (outcome, _, _) = try_key(&relay, ip(&format!("127.0.1.{n}")), "0000").await;
        assert_eq!(outcome, "bad-key");
    }
    // Their next guesses are refused unchecked, even with the right passcode ...
    let (outcome, words, close) = try_key(&relay, ip("127.0.1.1"), KEY).await;
    assert_eq!(outcome, "too-many-attempts");
    assert!(words.contains("on this relay"), "{words}");
    assert_eq!(close, Some(4001));
    // ... while an address that never failed is checked and let in.
    join_with_the_key(&relay, ip("127.0.2.1")).await;
    // A missing passcode is not a guess and costs nothing.
    let (outcome, words, _) = try_key(&relay, ip("127.0.3.1"), "").await;
    assert_eq!(outcome, "bad-key");
    assert!(words.contains("needs a passcode"), "{words}");
}
