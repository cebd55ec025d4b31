//! A peer's branch of the pipeline: decoding what it sends, its playout volume, and detaching
//! or rebuilding it without disturbing the other peers.

use crate::engine::Inner;
use crate::error::{EngineError, Result};
use crate::events::{ConnectionState, EngineEvent};
use crate::playout;
use crate::webrtc;
use gst::prelude::*;
use std::time::Duration;

impl Inner {
    pub(crate) fn set_peer_volume(&self, id: &str, volume: f64) -> Result<()> {
        let volume = if volume.is_finite() {
            volume.clamp(0.0, 2.0)
        } else {
            1.0
        };
        let elements: Vec<gst::Element> = {
            let mut state = self.lock();
            let entry = state
                .peers
                .get_mut(id)
                .ok_or_else(|| EngineError::UnknownPeer(id.to_owned()))?;
            entry.volume = volume;
            entry.streams.iter().map(|s| s.volume.clone()).collect()
        };
        for element in elements {
            element.set_property("volume", volume);
        }
        Ok(())
    }

    /// A new received stream: decode it into the mixer, inside the peer's bin.
    pub(crate) fn on_remote_stream(&self, id: &str, number: u64, pad: &gst::Pad) {
        let Some((bin, index, volume)) = self
            .lock()
            .peers
            .get(id)
            .filter(|e| e.number == number)
            .map(|e| (e.bin.clone(), e.streams.len(), e.volume))
        else {
            return;
        };
        let name = webrtc::level_name(number, index);
        match playout::add_stream(
            &self.pipeline,
            &bin,
            pad,
            volume,
            &name,
            self.level_interval,
            self.timing,
        ) {
            Ok(stream) => {
                let mut state = self.lock();
                match state.peers.get_mut(id).filter(|e| e.number == number) {
                    Some(entry) => entry.streams.push(stream),
                    None => {
                        drop(state);
                        playout::release_stream(&self.pipeline, &stream);
                    }
                }
            }
            Err(err) => self.emit(EngineEvent::Error {
                peer_id: Some(id.to_owned()),
                message: format!("cannot play the received audio: {err}"),
            }),
        }
    }

    /// Closes a peer and frees its part of the pipeline.
    pub(crate) fn remove_peer(&self, id: &str) {
        let entry = {
            let mut state = self.lock();
            let entry = state.peers.remove(id);
            state.closed.insert(id.to_owned());
            entry
        };
        if let Some(entry) = entry {
            self.detach(&entry.tee_pad, &entry.bin, &entry.streams);
        }
    }

    /// Replaces a peer's webrtcbin by a fresh one, keeping its id, volume and levels. This is
    /// how ICE restarts and rollbacks are done: webrtcbin 1.22 supports neither, and a new
    /// connection is what both amount to for a two-party audio session.
    pub(crate) fn reset_peer(&self, id: &str) -> Result<()> {
        let (number, ice) = {
            let mut state = self.lock();
            let number = state.next_number + 1;
            let entry = state
                .peers
                .get_mut(id)
                .ok_or_else(|| EngineError::PeerClosed(id.to_owned()))?;
            // The new webrtcbin may announce negotiationneeded while it is being built.
            entry.next_number = Some(number);
            state.next_number = number;
            (number, state.ice.clone())
        };
        let parts = webrtc::build(self, id, number, &ice)?;
        let old = {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id) else {
                drop(state);
                self.detach(&parts.tee_pad, &parts.bin, &[]);
                return Err(EngineError::PeerClosed(id.to_owned()));
            };
            let old = (
                std::mem::replace(&mut entry.tee_pad, parts.tee_pad),
                std::mem::replace(&mut entry.bin, parts.bin),
                std::mem::take(&mut entry.streams),
            );
            entry.number = number;
            entry.next_number = None;
            entry.webrtc = parts.webrtc;
            entry.ready = parts.ready;
            entry.connection = ConnectionState::Connecting;
            entry.local_applied = false;
            let negotiated = std::mem::take(&mut entry.local_mids);
            if !negotiated.is_empty() {
                entry.previous_mids = negotiated;
            }
            entry.remote_mids.clear();
            entry.remote_applied = false;
            let recent = std::mem::take(&mut entry.recent_remote);
            entry.pending_remote.extend(recent);
            entry.held.clear();
            entry.held_complete = false;
            old
        };
        self.detach(&old.0, &old.1, &old.2);
        self.emit(EngineEvent::ConnectionState {
            peer_id: id.to_owned(),
            state: ConnectionState::Connecting,
        });
        Ok(())
    }

    /// Detaches a peer bin from the capture and the mixer, then stops and drops it.
    pub(crate) fn detach(&self, tee_pad: &gst::Pad, bin: &gst::Bin, streams: &[playout::Stream]) {
        if let Some(tee) = tee_pad.parent_element() {
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            // Unlink between two buffers so the tee never pushes into a stopping branch.
            tee_pad.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
                if let Some(peer) = pad.peer() {
                    let _ = pad.unlink(&peer);
                }
                let _ = done_tx.send(());
                gst::PadProbeReturn::Remove
            });
            let _ = done_rx.recv_timeout(Duration::from_secs(2));
            tee.release_request_pad(tee_pad);
        }
        // Stopped and out of the pipeline first, so nothing flows into the mixer pads released
        // after it.
        crate::capture::retire(&self.pipeline, bin);
        for stream in streams {
            playout::release_stream(&self.pipeline, stream);
        }
    }
}
