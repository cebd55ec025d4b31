//! Interop with Chromium: a native peer and a headless Chromium running tests/fixtures/peer.js
//! call each other through the relay, with audio both ways; and a three-way room of two native
//! peers and Chromium.

mod common;

use common::chromium::{fixtures_dir, Chromium};
use common::{eventually, in_netns, test_config, NativeParticipant, TestRelay};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn page_url(relay: &TestRelay, room: &str) -> String {
    format!("http://{}/peer.html?room={room}&name=chromium", relay.addr)
}

/// The id of the one peer of `native` that is not in `known`.
async fn new_peer(native: &NativeParticipant, known: &[&str]) -> String {
    eventually("the browser to call in", WAIT, || async {
        native
            .engine
            .peer_ids()
            .into_iter()
            .find(|id| !known.contains(&id.as_str()))
    })
    .await
}

#[test]
fn native_and_chromium_hear_each_other() {
    if !in_netns("native_and_chromium_hear_each_other") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let relay = TestRelay::start(Some(fixtures_dir())).await;
        let mut native =
            NativeParticipant::join(&relay.room_url("interop", "native"), test_config()).await;
        // Chromium joins second, so Chromium makes the offer and the engine answers it.
        let _browser = Chromium::open(&page_url(&relay, "interop"));
        let browser_id = new_peer(&native, &[]).await;

        let heard = native.wait_for_energy(&browser_id, WAIT).await;
        println!("native hears chromium: {heard:?}");
        let report = native
            .wait_for_browser_hearing(&native.id.clone(), WAIT)
            .await;
        println!("chromium hears native: {report}");
        assert_eq!(report["connectionState"], "connected");
        assert!(
            report["codecs"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "111 audio/opus")),
            "{report}"
        );

        native.leave().await;
        relay.stop().await;
    });
}

#[test]
fn two_natives_and_chromium_in_one_room() {
    if !in_netns("two_natives_and_chromium_in_one_room") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let relay = TestRelay::start(Some(fixtures_dir())).await;
        let mut a = NativeParticipant::join(&relay.room_url("trio", "a"), test_config()).await;
        let _browser = Chromium::open(&page_url(&relay, "trio"));
        let browser_id = new_peer(&a, &[]).await;
        // b joins last, so b offers to both a and the browser: the browser answers the engine.
        let mut b = NativeParticipant::join(&relay.room_url("trio", "b"), test_config()).await;

        a.wait_for_audio(&b.id, WAIT).await;
        b.wait_for_audio(&a.id, WAIT).await;
        a.wait_for_energy(&browser_id, WAIT).await;
        b.wait_for_energy(&browser_id, WAIT).await;
        let a_id = a.id.clone();
        let b_id = b.id.clone();
        let report = a.wait_for_browser_hearing(&a_id, WAIT).await;
        println!("chromium hears a: {report}");
        let report = b.wait_for_browser_hearing(&b_id, WAIT).await;
        println!("chromium hears b: {report}");

        a.leave().await;
        b.leave().await;
        relay.stop().await;
    });
}
