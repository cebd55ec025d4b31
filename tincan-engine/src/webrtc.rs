//! Builds a peer's bin (send queue + webrtcbin) and wires webrtcbin's signals to the engine.

use crate::capture::{codec_preferences, make, TEE};
use crate::engine::Inner;
use crate::error::{EngineError, Result};
use crate::events::{ConnectionState, SignalingState};
use crate::ice::IceSettings;
use gst::prelude::*;
use std::sync::{Arc, Weak};
use tokio::sync::watch;

/// The parts of a freshly built peer that the engine keeps.
pub(crate) struct PeerParts {
    /// The bin holding everything of this peer.
    pub bin: gst::Bin,
    /// Its webrtcbin.
    pub webrtc: gst::Element,
    /// The tee pad feeding it.
    pub tee_pad: gst::Pad,
    /// Turns true once audio reaches webrtcbin (or after a grace period).
    pub ready: watch::Receiver<bool>,
}

/// The bin name of the peer with this number.
pub(crate) fn bin_name(number: u64) -> String {
    format!("peer-{number}")
}

/// The `level` element name of a peer's received stream.
pub(crate) fn level_name(number: u64, stream: usize) -> String {
    format!("peer-level-{number}-{stream}")
}

/// Reads the peer number back from a `level` element name.
pub(crate) fn number_from_level(name: &str) -> Option<u64> {
    name.strip_prefix("peer-level-")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Reads the peer number back from a bin name.
pub(crate) fn number_from_bin(name: &str) -> Option<u64> {
    name.strip_prefix("peer-")?.parse().ok()
}

/// The most audio a peer's send queue holds: a few packets, room for a short stall of the
/// sending thread.
const SEND_QUEUE: std::time::Duration = std::time::Duration::from_millis(60);

/// Builds the peer's bin, links it to the capture tee and starts it.
pub(crate) fn build(inner: &Inner, id: &str, number: u64, ice: &IceSettings) -> Result<PeerParts> {
    let bin = gst::Bin::with_name(&bin_name(number));
    let queue = make("queue", "send-queue")?;
    // A stalled peer must not hold up the shared capture: its queue drops old audio instead.
    // It holds little, because what it holds when the connection comes up goes out at once:
    // with 200 ms the far side's buffer started 200 ms deep (a browser's took four seconds to
    // drain it).
    queue.set_property_from_str("leaky", "downstream");
    queue.set_property("max-size-buffers", 0u32);
    queue.set_property("max-size-bytes", 0u32);
    queue.set_property("max-size-time", SEND_QUEUE.as_nanos() as u64);
    let webrtc = make("webrtcbin", "webrtc")?;
    webrtc.set_property_from_str("bundle-policy", "max-bundle");
    webrtc.set_property("latency", inner.timing.jitter_ms);
    if let Some(stun) = &ice.stun {
        webrtc.set_property("stun-server", stun);
    }
    for turn in &ice.turn {
        webrtc.emit_by_name::<bool>("add-turn-server", &[turn]);
    }
    send_without_waiting(&webrtc);
    bin.add_many([&queue, &webrtc])?;
    let sink = webrtc
        .request_pad_simple("sink_%u")
        .ok_or_else(|| EngineError::Pipeline("webrtcbin gave no sink pad".into()))?;
    let transceiver = sink.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver");
    transceiver.set_direction(gst_webrtc::WebRTCRTPTransceiverDirection::Sendrecv);
    transceiver.set_property("codec-preferences", codec_preferences(inner.timing));
    let queue_src = queue
        .static_pad("src")
        .ok_or_else(|| EngineError::Pipeline("queue src pad missing".into()))?;
    queue_src
        .link(&sink)
        .map_err(|e| EngineError::Pipeline(format!("{e:?}")))?;
    let queue_sink = queue
        .static_pad("sink")
        .ok_or_else(|| EngineError::Pipeline("queue sink pad missing".into()))?;
    let ghost = gst::GhostPad::with_target(&queue_sink)?;
    bin.add_pad(&ghost)?;
    connect_signals(inner.this.clone(), id, number, &webrtc);

    let tee = inner
        .pipeline
        .by_name(TEE)
        .ok_or_else(|| EngineError::Pipeline("capture tee missing".into()))?;
    let ready = watch_first_buffer(&queue_src);
    // The branch runs before it is linked, so the tee never pushes into inactive pads.
    inner.pipeline.add(&bin)?;
    let linked = bin
        .sync_state_with_parent()
        .map_err(EngineError::from)
        .and_then(|_| {
            let tee_pad = tee
                .request_pad_simple("src_%u")
                .ok_or_else(|| EngineError::Pipeline("tee gave no pad".into()))?;
            match tee_pad.link(&ghost) {
                Ok(_) => Ok(tee_pad),
                Err(err) => {
                    tee.release_request_pad(&tee_pad);
                    Err(EngineError::Pipeline(format!("{err:?}")))
                }
            }
        });
    let tee_pad = match linked {
        Ok(pad) => pad,
        Err(err) => {
            crate::capture::retire(&inner.pipeline, &bin);
            return Err(err);
        }
    };
    Ok(PeerParts {
        bin,
        webrtc,
        tee_pad,
        ready,
    })
}

/// webrtcbin 1.22 puts a `clocksync` in front of each outgoing stream, which holds every
/// packet until its capture timestamp comes round on the clock. Capture timestamps are not
/// wall-clock exact (the sound server delivers in bursts, its clock is corrected in steps), so
/// packets waited up to a third of a second while the leaky send queue in front dropped the
/// rest: a browser on the other end heard a delay of 250 ms or, at times, almost nothing.
/// Audio is paced by the microphone already; it goes out as soon as it is encoded.
fn send_without_waiting(webrtc: &gst::Element) {
    let Some(bin) = webrtc.downcast_ref::<gst::Bin>() else {
        return;
    };
    bin.connect_deep_element_added(|_, _, element| {
        let is_clocksync = element
            .factory()
            .is_some_and(|factory| factory.name() == "clocksync");
        if is_clocksync {
            element.set_property("sync", false);
        }
    });
}

/// How long a new peer's descriptions wait for the capture's first buffer.
const FIRST_BUFFER_WAIT: std::time::Duration = std::time::Duration::from_secs(6);

/// webrtcbin 1.22 never starts sending on a pad that got its caps only after a description
/// was applied, so descriptions wait until the first buffer (and so the caps before it) has
/// gone in. A short-lived thread ends the wait should the capture be stuck: it returns as soon
/// as the first buffer passes. Not a timer on the GStreamer system clock: an asynchronous wait
/// there can stall the playout sinks' clock waits in GStreamer 1.22.
fn watch_first_buffer(queue_src: &gst::Pad) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let tx = Arc::new(tx);
    let on_buffer = tx.clone();
    let (buffer_tx, buffer_rx) = std::sync::mpsc::sync_channel::<()>(1);
    queue_src.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        on_buffer.send_replace(true);
        let _ = buffer_tx.try_send(());
        gst::PadProbeReturn::Remove
    });
    let spawned = std::thread::Builder::new()
        .name("tincan-peer-ready".into())
        .spawn(move || {
            // Generous: a description that goes out before the first buffer leaves the call
            // silent for good, while a capture that starts late on a busy machine only delays it.
            if buffer_rx.recv_timeout(FIRST_BUFFER_WAIT).is_err() {
                gst::warning!(
                    gst::CAT_DEFAULT,
                    "no captured audio within {FIRST_BUFFER_WAIT:?}; negotiating without it"
                );
            }
            tx.send_replace(true);
        });
    if spawned.is_err() {
        // Without the thread the first buffer alone ends the wait.
        gst::warning!(gst::CAT_DEFAULT, "could not start the peer readiness wait");
    }
    rx
}

fn connect_signals(inner: Weak<Inner>, id: &str, n: u64, webrtc: &gst::Element) {
    let (w, peer) = (inner.clone(), id.to_owned());
    webrtc.connect("on-negotiation-needed", false, move |_| {
        if let Some(inner) = w.upgrade() {
            inner.on_negotiation_needed(&peer, n);
        }
        None
    });
    let (w, peer) = (inner.clone(), id.to_owned());
    webrtc.connect("on-ice-candidate", false, move |values| {
        let mline = values.get(1).and_then(|v| v.get::<u32>().ok());
        let text = values.get(2).and_then(|v| v.get::<String>().ok());
        if let (Some(inner), Some(mline), Some(text)) = (w.upgrade(), mline, text) {
            inner.on_local_candidate(&peer, n, mline, text);
        }
        None
    });
    let (w, peer) = (inner.clone(), id.to_owned());
    webrtc.connect_notify(Some("ice-gathering-state"), move |webrtc, _| {
        let state = webrtc.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state");
        if let (Some(inner), gst_webrtc::WebRTCICEGatheringState::Complete) = (w.upgrade(), state) {
            inner.on_gathering_complete(&peer, n);
        }
    });
    let (w, peer) = (inner.clone(), id.to_owned());
    webrtc.connect_notify(Some("connection-state"), move |webrtc, _| {
        let state = webrtc.property::<gst_webrtc::WebRTCPeerConnectionState>("connection-state");
        if let Some(inner) = w.upgrade() {
            inner.on_connection_state(&peer, n, ConnectionState::from_gst(state));
        }
    });
    let (w, peer) = (inner.clone(), id.to_owned());
    webrtc.connect_notify(Some("signaling-state"), move |webrtc, _| {
        let state = webrtc.property::<gst_webrtc::WebRTCSignalingState>("signaling-state");
        if let Some(inner) = w.upgrade() {
            inner.on_signaling_state(&peer, n, SignalingState::from_gst(state));
        }
    });
    let (w, peer) = (inner, id.to_owned());
    webrtc.connect_pad_added(move |_, pad| {
        if pad.direction() != gst::PadDirection::Src {
            return;
        }
        if let Some(inner) = w.upgrade() {
            inner.on_remote_stream(&peer, n, pad);
        }
    });
}
