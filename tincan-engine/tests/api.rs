//! The RTCPeerConnection-shaped API, driven directly between two engines in one process:
//! events, states, stats, mute, volume, input switching, processing, ICE restart, close.

mod common;

use common::{eventually, in_netns, negotiate, pump_events, test_config};
use std::time::Duration;
use tincan_engine::{
    ConnectionState, DspSettings, Engine, EngineEvent, InputSelection, SignalingState,
};

const WAIT: Duration = Duration::from_secs(10);

fn heard(stats: &tincan_engine::PeerStats) -> bool {
    stats.level_db > -30.0
}

/// Waits until `peer`'s received level satisfies `pred` for readings taken after this call.
async fn level_becomes(peer: &tincan_engine::Peer, what: &str, pred: fn(f64) -> bool) -> f64 {
    // Skip readings that were already on their way.
    tokio::time::sleep(Duration::from_millis(600)).await;
    eventually(what, WAIT, || async {
        let stats = peer.stats().await.ok()?;
        pred(stats.level_db).then_some(stats.level_db)
    })
    .await
}

#[test]
fn peer_connection_api_behaves_like_the_browser() {
    if !in_netns("peer_connection_api_behaves_like_the_browser") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (a, a_events) = Engine::new(test_config()).expect("engine a");
        let (b, b_events) = Engine::new(test_config()).expect("engine b");
        assert_eq!(a.status().input, "test-tone");
        let pa = a.add_peer("b").expect("peer b on a");
        let pb = b.add_peer("a").expect("peer a on b");
        assert!(a.add_peer("b").is_err(), "duplicate ids are refused");
        let (a_rec, a_pump) = pump_events(a_events, pb.clone());
        let (b_rec, b_pump) = pump_events(b_events, pa.clone());
        assert_eq!(pa.signaling_state(), SignalingState::Stable);
        assert_eq!(pa.connection_state(), ConnectionState::New);
        assert!(pa.local_description().is_none());

        negotiate(&pa, &pb).await;
        let offer = pa.local_description().expect("local description");
        assert!(offer.sdp.contains("a=group:BUNDLE"), "{}", offer.sdp);
        assert!(
            offer.sdp.contains("a=rtpmap:111 OPUS/48000/2"),
            "{}",
            offer.sdp
        );
        assert!(offer.sdp.contains("a=sendrecv"), "{}", offer.sdp);
        assert!(offer.sdp.contains("a=mid:"), "{}", offer.sdp);
        let ufrag = |sdp: &str| {
            sdp.lines()
                .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
                .map(str::to_owned)
        };
        let remote = pb.remote_description().expect("remote description");
        assert_eq!(ufrag(&remote.sdp), ufrag(&offer.sdp));

        eventually("connected", WAIT, || async {
            (pa.connection_state() == ConnectionState::Connected
                && pb.connection_state() == ConnectionState::Connected)
                .then_some(())
        })
        .await;
        assert_eq!(pa.signaling_state(), SignalingState::Stable);
        let stats = eventually("audio at b", WAIT, || async {
            pb.stats()
                .await
                .ok()
                .filter(|s| heard(s) && s.packets_received > 0)
        })
        .await;
        assert!(
            stats.total_audio_energy > 0.0 && stats.audio_level > 0.0,
            "{stats:?}"
        );
        eventually("audio at a", WAIT, || async {
            pa.stats().await.ok().filter(heard)
        })
        .await;

        {
            let events = a_rec.lock().expect("events");
            let has = |f: &dyn Fn(&EngineEvent) -> bool| events.iter().any(f);
            assert!(has(
                &|e| matches!(e, EngineEvent::NegotiationNeeded { peer_id } if peer_id == "b")
            ));
            assert!(has(&|e| matches!(
                e,
                EngineEvent::SignalingState {
                    state: SignalingState::HaveLocalOffer,
                    ..
                }
            )));
            assert!(has(&|e| matches!(
                e,
                EngineEvent::ConnectionState {
                    state: ConnectionState::Connected,
                    ..
                }
            )));
            let candidate = events.iter().find_map(|e| match e {
                EngineEvent::IceCandidate {
                    candidate: Some(c), ..
                } => Some(c.clone()),
                _ => None,
            });
            let candidate = candidate.expect("a local candidate");
            assert!(
                candidate.candidate.starts_with("candidate:"),
                "{candidate:?}"
            );
            assert_eq!(candidate.sdp_m_line_index, Some(0));
            assert!(candidate.sdp_mid.is_some(), "{candidate:?}");
            let json = serde_json::to_value(&events[0]).expect("serialise");
            assert!(json["type"].is_string() && json["peerId"] == "b", "{json}");
        }

        // Mute silences what the other side hears, but not our own input level.
        a.set_muted(true);
        level_becomes(&pb, "muted a", |db| db < -60.0).await;
        assert!(a.input_level().expect("input level").rms_db > -30.0);
        a.set_muted(false);
        level_becomes(&pb, "unmuted a", |db| db > -30.0).await;

        // Per-peer volume scales playout: 0 is silent, 2 is louder than 1.
        b.set_peer_volume("a", 0.0).expect("volume");
        level_becomes(&pb, "volume 0", |db| db < -60.0).await;
        b.set_peer_volume("a", 1.0).expect("volume");
        let normal = level_becomes(&pb, "volume 1", |db| db > -30.0).await;
        pb.set_volume(2.0).expect("volume");
        let loud = level_becomes(&pb, "volume 2", |db| db > -30.0).await;
        assert!(
            loud > normal + 3.0,
            "volume 2 gives {loud} dB, volume 1 gave {normal} dB"
        );
        assert!(b.set_peer_volume("nobody", 1.0).is_err());

        // Switching the input to silence (listen-only) and back while connected.
        a.set_input(InputSelection::Silence).expect("silence");
        level_becomes(&pb, "silent input", |db| db < -60.0).await;
        assert_eq!(a.status().input, "silence");
        a.set_input(InputSelection::TestTone).expect("tone");
        level_becomes(&pb, "tone again", |db| db > -30.0).await;
        assert!(a
            .set_input(InputSelection::Device("no-such-mic".into()))
            .is_err());

        // Echo cancellation, noise suppression and gain control can be switched mid-call.
        assert!(a.status().dsp_available);
        a.set_dsp(DspSettings::ON).expect("dsp on");
        assert_eq!(a.status().dsp, DspSettings::ON);
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.set_dsp(DspSettings::OFF).expect("dsp off");
        level_becomes(&pb, "tone after processing switches", |db| db > -30.0).await;

        // ICE restart: negotiationneeded fires, the new offer has new credentials, media goes on.
        let before = ufrag(&pa.local_description().expect("local").sdp);
        let needed = a_rec.lock().expect("events").len();
        pa.restart_ice().expect("restart");
        eventually("negotiationneeded after restartIce", WAIT, || async {
            a_rec.lock().expect("events")[needed..]
                .iter()
                .any(|e| matches!(e, EngineEvent::NegotiationNeeded { .. }))
                .then_some(())
        })
        .await;
        negotiate(&pa, &pb).await;
        let after = ufrag(&pa.local_description().expect("local").sdp);
        assert_ne!(before, after, "ICE restart must change the credentials");
        level_becomes(&pb, "audio after ICE restart", |db| db > -30.0).await;

        // Closing one side ends it for good; the engine stays usable.
        pa.close();
        assert_eq!(pa.connection_state(), ConnectionState::Closed);
        assert_eq!(pa.signaling_state(), SignalingState::Closed);
        assert!(pa.create_offer().await.is_err());
        assert!(a.peer("b").is_none());
        assert!(a.add_peer("b").is_ok(), "a closed id can be used again");
        let _ = b_rec;

        a.shutdown();
        b.shutdown();
        a_pump.abort();
        b_pump.abort();
    });
}

#[test]
fn colliding_offers_resolve_like_perfect_negotiation() {
    if !in_netns("colliding_offers_resolve_like_perfect_negotiation") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (a, a_events) = Engine::new(test_config()).expect("engine a");
        let (b, b_events) = Engine::new(test_config()).expect("engine b");
        let pa = a.add_peer("b").expect("peer");
        let pb = b.add_peer("a").expect("peer");
        let (a_rec, a_pump) = pump_events(a_events, pb.clone());
        let (b_rec, b_pump) = pump_events(b_events, pa.clone());

        // Both offer at once. The impolite side (a) ignores b's offer; the polite side (b)
        // applies a's offer, which rolls its own back, and answers.
        let offer_a = pa.set_local_description(None).await.expect("offer a");
        let offer_b = pb.set_local_description(None).await.expect("offer b");
        assert_eq!(offer_b.kind, tincan_engine::SdpType::Offer);
        assert_eq!(pb.signaling_state(), SignalingState::HaveLocalOffer);
        pb.set_remote_description(offer_a)
            .await
            .expect("implicit rollback");
        assert_eq!(pb.signaling_state(), SignalingState::HaveRemoteOffer);
        let answer = pb.set_local_description(None).await.expect("answer");
        pa.set_remote_description(answer)
            .await
            .expect("apply answer");

        let start = std::time::Instant::now();
        loop {
            let (at_a, at_b) = (pa.stats().await.ok(), pb.stats().await.ok());
            if at_a.as_ref().is_some_and(heard) && at_b.as_ref().is_some_and(heard) {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "no audio both ways: a {at_a:?}, b {at_b:?}, inputs {:?} {:?}, events {:?} {:?}",
                a.input_level(),
                b.input_level(),
                a_rec
                    .lock()
                    .expect("events")
                    .iter()
                    .filter(|e| !matches!(e, EngineEvent::IceCandidate { .. }))
                    .collect::<Vec<_>>(),
                b_rec
                    .lock()
                    .expect("events")
                    .iter()
                    .filter(|e| !matches!(e, EngineEvent::IceCandidate { .. }))
                    .collect::<Vec<_>>(),
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // An explicit rollback of a pending offer returns to stable.
        let (c, _c_events) = Engine::new(test_config()).expect("engine c");
        let pc = c.add_peer("x").expect("peer");
        pc.set_local_description(None).await.expect("offer");
        let rollback = tincan_engine::SessionDescription::new(tincan_engine::SdpType::Rollback, "");
        pc.set_local_description(Some(rollback))
            .await
            .expect("rollback");
        assert_eq!(pc.signaling_state(), SignalingState::Stable);

        a_pump.abort();
        b_pump.abort();
    });
}

/// Polls the engine until the microphone feeds no connection; false after two seconds.
fn feeds_nothing(engine: &Engine) -> bool {
    for _ in 0..40 {
        if engine.status().sending_to == 0 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn adds_and_closes_that_cross_leave_nothing_linked() {
    use std::sync::{Arc, Barrier};
    let (engine, _events) = Engine::new(test_config()).expect("engine");
    let engine = Arc::new(engine);

    // Two adds of one id at the same moment: one connection, the other refused.
    for round in 0..5 {
        let id = format!("twice-{round}");
        let barrier = Arc::new(Barrier::new(2));
        let adders: Vec<_> = (0..2)
            .map(|_| {
                let (engine, barrier, id) = (engine.clone(), barrier.clone(), id.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    engine.add_peer(&id).is_ok()
                })
            })
            .collect();
        let added = adders
            .into_iter()
            .map(|adder| adder.join().expect("adder"))
            .filter(|ok| *ok)
            .count();
        assert_eq!(
            added, 1,
            "round {round}: two adds of one id made {added} connections"
        );
        assert_eq!(
            engine.status().sending_to,
            1,
            "round {round}: one connection fed"
        );
        engine.remove_peer(&id);
        assert!(
            feeds_nothing(&engine),
            "round {round}: closed, yet still fed"
        );
    }

    // A close that arrives while the add is still building wins: the add reports the peer
    // closed and nothing stays linked.
    let mut refused = 0;
    for round in 0..5 {
        let id = format!("closed-{round}");
        let adder = {
            let (engine, id) = (engine.clone(), id.clone());
            std::thread::spawn(move || engine.add_peer(&id).is_ok())
        };
        while !adder.is_finished() {
            engine.remove_peer(&id);
            std::thread::yield_now();
        }
        if adder.join().expect("adder") {
            // Every close came before the add began; this one comes after it.
            engine.remove_peer(&id);
        } else {
            refused += 1;
        }
        assert!(
            feeds_nothing(&engine),
            "round {round}: a close during the build was lost"
        );
    }
    assert!(
        refused > 0,
        "no close reached an add while it was building, in 5 rounds"
    );
}
