//! Two native engines call each other through a real relay and hear each other's test tone.

mod common;

use common::{in_netns, test_config, NativeParticipant, TestRelay};
use std::time::Duration;

#[test]
fn two_native_peers_hear_each_other() {
    if !in_netns("two_native_peers_hear_each_other") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let relay = TestRelay::start(None).await;
        let url = |name: &str| relay.room_url("duo", name);
        let alice = NativeParticipant::join(&url("alice"), test_config()).await;
        let bob = NativeParticipant::join(&url("bob"), test_config()).await;

        let heard_by_bob = bob.wait_for_audio(&alice.id, Duration::from_secs(10)).await;
        let heard_by_alice = alice.wait_for_audio(&bob.id, Duration::from_secs(10)).await;
        println!("bob hears alice: {heard_by_bob:?}");
        println!("alice hears bob: {heard_by_alice:?}");
        // The 440 Hz tone at volume 0.3 is about -13 dBFS RMS; Opus keeps it well above -30.
        assert!(heard_by_bob.level_db > -30.0, "{heard_by_bob:?}");
        assert!(heard_by_alice.level_db > -30.0, "{heard_by_alice:?}");
        assert!(heard_by_bob.bytes_received > 0 && heard_by_alice.bytes_sent > 0);

        alice.leave().await;
        bob.leave().await;
        relay.stop().await;
    });
}
