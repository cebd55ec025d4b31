//! Random packet loss on the namespace's input: the received tone carries on, concealed and
//! rebuilt from FEC, instead of falling silent at every lost packet or for good.

mod common;

use common::{in_netns, test_config, NativeParticipant, TestRelay};
use std::process::Command;
use std::time::{Duration, Instant};
use tincan_engine::LatencyMode;

const LOSS_PERCENT: u32 = 10;
const WINDOW: Duration = Duration::from_millis(500);
const WINDOWS: usize = 12;

/// Drops `percent` of UDP packets arriving anywhere in this namespace until dropped.
struct RandomLoss;

impl RandomLoss {
    fn start(percent: u32) -> RandomLoss {
        let rules = format!(
            "table inet tincan_loss {{\n chain input {{\n  type filter hook input priority 0;\n  \
             meta l4proto udp numgen random mod 100 < {percent} drop\n }}\n}}\n"
        );
        let status = Command::new("nft")
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(rules.as_bytes())?;
                child.wait()
            })
            .expect("run nft (apt-get install nftables)");
        assert!(status.success(), "nft refused the loss rule");
        RandomLoss
    }
}

impl Drop for RandomLoss {
    fn drop(&mut self) {
        let _ = Command::new("nft")
            .args(["delete", "table", "inet", "tincan_loss"])
            .status();
    }
}

fn hears_through_loss(mode: LatencyMode) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let relay = TestRelay::start(None).await;
        let config = || tincan_engine::EngineConfig {
            timing: mode.timing(),
            ..test_config()
        };
        let alice = NativeParticipant::join(&relay.room_url("lossy", "alice"), config()).await;
        let bob = NativeParticipant::join(&relay.room_url("lossy", "bob"), config()).await;
        bob.wait_for_audio(&alice.id, Duration::from_secs(10)).await;

        let loss = RandomLoss::start(LOSS_PERCENT);
        let first = bob.stats(&alice.id).await.expect("stats");
        let mut previous = first.clone();
        let started = Instant::now();
        let mut quiet_windows = Vec::new();
        for window in 0..WINDOWS {
            tokio::time::sleep(WINDOW).await;
            let now = bob.stats(&alice.id).await.expect("stats");
            let duration = now.total_samples_duration - previous.total_samples_duration;
            let energy = now.total_audio_energy - previous.total_audio_energy;
            // The tone (peak 0.3) has a mean energy near 0.045; a lost packet left silent
            // lowers a window's mean by a tenth at 10 % loss, a stalled stream to nothing.
            let mean = if duration > 0.0 {
                energy / duration
            } else {
                0.0
            };
            if mean < 0.02 {
                quiet_windows.push((window, mean));
            }
            previous = now;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let last = previous;
        drop(loss);
        let lost = last.packets_lost - first.packets_lost;
        let played = last.total_samples_duration - first.total_samples_duration;
        println!(
            "{mode:?}: {lost} packets lost, {played:.2} s of audio decoded in {elapsed:.2} s, \
             quiet windows {quiet_windows:?}"
        );
        assert!(lost > 0, "the loss rule dropped nothing");
        assert!(
            quiet_windows.is_empty(),
            "the tone fell quiet: {quiet_windows:?}"
        );
        // Concealment fills each lost packet with audio; without it, a tenth goes missing.
        assert!(
            played > elapsed * 0.95,
            "only {played:.2} s of audio in {elapsed:.2} s: lost packets are not concealed"
        );
        alice.leave().await;
        bob.leave().await;
        relay.stop().await;
    });
}

#[test]
fn the_tone_carries_on_through_ten_percent_loss() {
    if in_netns("the_tone_carries_on_through_ten_percent_loss") {
        hears_through_loss(LatencyMode::Standard);
    }
}

#[test]
fn the_tone_carries_on_through_ten_percent_loss_in_low_latency_mode() {
    if in_netns("the_tone_carries_on_through_ten_percent_loss_in_low_latency_mode") {
        hears_through_loss(LatencyMode::Low);
    }
}
