//! Rooms of native peers through the relay: a full mesh of three where one leaves without
//! disturbing the others, and a listen-only participant on a machine without audio devices.

mod common;

use common::{in_netns, test_config, NativeParticipant, TestRelay};
use std::time::Duration;
use tincan_engine::EngineConfig;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn three_native_peers_and_one_leaves() {
    if !in_netns("three_native_peers_and_one_leaves") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let relay = TestRelay::start(None).await;
        let a = NativeParticipant::join(&relay.room_url("trio", "a"), test_config()).await;
        let b = NativeParticipant::join(&relay.room_url("trio", "b"), test_config()).await;
        let c = NativeParticipant::join(&relay.room_url("trio", "c"), test_config()).await;
        for (who, from) in [(&a, &b), (&a, &c), (&b, &a), (&b, &c), (&c, &a), (&c, &b)] {
            who.wait_for_audio(&from.id, WAIT).await;
        }
        // Three peers share one capture: each engine has one tee with two branches.
        assert_eq!(a.engine.peer_ids().len(), 2);

        let b_id = b.id.clone();
        b.leave().await;
        common::eventually("b removed from a and c", WAIT, || async {
            (a.engine.peer(&b_id).is_none() && c.engine.peer(&b_id).is_none()).then_some(())
        })
        .await;
        let before = a.stats(&c.id).await.expect("a-c stats").packets_received;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = a.wait_for_audio(&c.id, WAIT).await;
        // 20 ms packets: a second brings about 50 more.
        assert!(
            after.packets_received >= before + 30,
            "a-c stalled: {before} -> {after:?}"
        );
        c.wait_for_audio(&a.id, WAIT).await;

        a.leave().await;
        c.leave().await;
        relay.stop().await;
    });
}

#[test]
fn listen_only_without_audio_devices() {
    if !in_netns("listen_only_without_audio_devices") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let relay = TestRelay::start(None).await;
        // Defaults everywhere, as the app starts: on a machine with no sound card the engine
        // reports it and falls back to listen-only and discarded playout.
        let listener =
            NativeParticipant::join(&relay.room_url("quiet", "l"), EngineConfig::default()).await;
        let status = listener.engine.status();
        assert!(status.no_audio_device, "{status:?}");
        assert_eq!(status.input, "silence");
        assert!(!status.output_to_device);
        assert!(listener.engine.list_devices().is_empty());

        let talker = NativeParticipant::join(&relay.room_url("quiet", "t"), test_config()).await;
        listener.wait_for_audio(&talker.id, WAIT).await;
        let heard = common::eventually("packets from the listener", WAIT, || async {
            talker
                .stats(&listener.id)
                .await
                .filter(|s| s.packets_received > 20)
        })
        .await;
        assert!(
            heard.level_db < -60.0,
            "a listen-only peer sends silence: {heard:?}"
        );

        talker.leave().await;
        listener.leave().await;
        relay.stop().await;
    });
}
