//! The engine's bookkeeping of peers: what webrtcbin reports, what the peer handles ask for,
//! and tearing a peer down without disturbing the others.

use crate::description::{media_ids, IceCandidateInit};
use crate::engine::Inner;
use crate::error::{EngineError, Result};
use crate::events::{AudioLevel, ConnectionState, EngineEvent, SignalingState};
use crate::playout;
use crate::state::State;
use crate::stats::PeerStats;
use crate::webrtc;
use gst::prelude::*;
use std::sync::MutexGuard;
use std::time::Duration;

impl Inner {
    /// Locks the state; a panic elsewhere must not make the engine unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // Nobody listening is not an error: the application may not care about events.
        let _ = self.events.send(event);
    }

    fn is_live(&self, id: &str) -> bool {
        !self.lock().closed.contains(id)
    }

    pub(crate) fn is_closed(&self, id: &str) -> bool {
        !self.lock().peers.contains_key(id)
    }

    pub(crate) fn on_negotiation_needed(&self, id: &str) {
        if self.is_live(id) {
            self.emit(EngineEvent::NegotiationNeeded {
                peer_id: id.to_owned(),
            });
        }
    }

    pub(crate) fn on_signaling_state(&self, id: &str, state: SignalingState) {
        if self.is_live(id) {
            self.emit(EngineEvent::SignalingState {
                peer_id: id.to_owned(),
                state,
            });
        }
    }

    pub(crate) fn on_connection_state(&self, id: &str, state: ConnectionState) {
        let changed = match self.lock().peers.get_mut(id) {
            Some(entry) if entry.connection != state => {
                entry.connection = state;
                true
            }
            _ => false,
        };
        if changed {
            self.emit(EngineEvent::ConnectionState {
                peer_id: id.to_owned(),
                state,
            });
        }
    }

    pub(crate) fn on_local_candidate(&self, id: &str, mline: u32, text: String) {
        let mid = {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id) else {
                return;
            };
            if !entry.local_applied {
                // Like the browser, hand out candidates only once setLocalDescription is done.
                entry.held.push((mline, text));
                return;
            }
            mid_of(&entry.local_mids, mline)
        };
        self.emit(candidate_event(id, mline, text, mid));
    }

    pub(crate) fn on_gathering_complete(&self, id: &str) {
        {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id) else {
                return;
            };
            if !entry.local_applied {
                entry.held_complete = true;
                return;
            }
        }
        self.emit(EngineEvent::IceCandidate {
            peer_id: id.to_owned(),
            candidate: None,
        });
    }

    pub(crate) fn local_description_applied(&self, id: &str, sdp: &str) {
        let mut events = Vec::new();
        {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id) else {
                return;
            };
            entry.local_applied = true;
            entry.local_mids = media_ids(sdp);
            for (mline, text) in entry.held.drain(..) {
                let mid = mid_of(&entry.local_mids, mline);
                events.push(candidate_event(id, mline, text, mid));
            }
            if std::mem::take(&mut entry.held_complete) {
                events.push(EngineEvent::IceCandidate {
                    peer_id: id.to_owned(),
                    candidate: None,
                });
            }
        }
        for event in events {
            self.emit(event);
        }
    }

    pub(crate) fn remote_description_applied(&self, id: &str, sdp: &str) {
        if let Some(entry) = self.lock().peers.get_mut(id) {
            entry.remote_mids = media_ids(sdp);
        }
    }

    pub(crate) fn remote_mline_for_mid(&self, id: &str, mid: &str) -> Option<u32> {
        let state = self.lock();
        let entry = state.peers.get(id)?;
        let index = entry
            .remote_mids
            .iter()
            .position(|m| m.as_deref() == Some(mid))?;
        u32::try_from(index).ok()
    }

    pub(crate) fn take_ice_restart(&self, id: &str) -> bool {
        self.lock()
            .peers
            .get_mut(id)
            .is_some_and(|e| std::mem::take(&mut e.ice_restart))
    }

    pub(crate) fn request_ice_restart(&self, id: &str) {
        if let Some(entry) = self.lock().peers.get_mut(id) {
            entry.ice_restart = true;
        }
        self.on_negotiation_needed(id);
    }

    pub(crate) fn connection_state(&self, id: &str) -> ConnectionState {
        self.lock()
            .peers
            .get(id)
            .map_or(ConnectionState::Closed, |e| e.connection)
    }

    pub(crate) fn level_stats(&self, id: &str) -> Result<PeerStats> {
        let state = self.lock();
        let entry = state
            .peers
            .get(id)
            .ok_or_else(|| EngineError::PeerClosed(id.to_owned()))?;
        Ok(PeerStats::new(id, entry.connection, &entry.level))
    }

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
    pub(crate) fn on_remote_stream(&self, id: &str, pad: &gst::Pad) {
        let Some((bin, number, index, volume)) = self
            .lock()
            .peers
            .get(id)
            .map(|e| (e.bin.clone(), e.number, e.streams.len(), e.volume))
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
        ) {
            Ok(stream) => {
                let mut state = self.lock();
                match state.peers.get_mut(id) {
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

    /// A `level` reading from the input or a peer's stream.
    pub(crate) fn on_level(&self, element: &str, level: AudioLevel, seconds: f64) {
        let peer = {
            let mut state = self.lock();
            if element == crate::capture::INPUT_LEVEL {
                state.input_level.record(level, seconds);
                None
            } else {
                let Some(number) = webrtc::number_from_level(element) else {
                    return;
                };
                let Some((id, entry)) = state.peer_by_number(number) else {
                    return;
                };
                entry.level.record(level, seconds);
                Some(id.clone())
            }
        };
        if self.level_events {
            self.emit(EngineEvent::Level {
                peer_id: peer,
                level,
            });
        }
    }

    /// The peer id whose bin contains this object, if any.
    pub(crate) fn peer_of(&self, object: &gst::Object) -> Option<String> {
        let mut current = Some(object.clone());
        while let Some(obj) = current {
            if let Some(number) = webrtc::number_from_bin(&obj.name()) {
                let mut state = self.lock();
                return state.peer_by_number(number).map(|(id, _)| id.clone());
            }
            current = obj.parent();
        }
        None
    }

    /// Detaches a peer from the capture and the mixer, then stops and drops its bin.
    pub(crate) fn remove_peer(&self, id: &str) {
        let entry = {
            let mut state = self.lock();
            let entry = state.peers.remove(id);
            state.closed.insert(id.to_owned());
            entry
        };
        let Some(entry) = entry else { return };
        if let Some(tee) = entry.tee_pad.parent_element() {
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            // Unlink between two buffers so the tee never pushes into a stopping branch.
            entry
                .tee_pad
                .add_probe(gst::PadProbeType::IDLE, move |pad, _| {
                    if let Some(peer) = pad.peer() {
                        let _ = pad.unlink(&peer);
                    }
                    let _ = done_tx.send(());
                    gst::PadProbeReturn::Remove
                });
            let _ = done_rx.recv_timeout(Duration::from_secs(2));
            tee.release_request_pad(&entry.tee_pad);
        }
        let _ = entry.bin.set_state(gst::State::Null);
        for stream in &entry.streams {
            playout::release_stream(&self.pipeline, stream);
        }
        let _ = self.pipeline.remove(&entry.bin);
    }
}

fn mid_of(mids: &[Option<String>], mline: u32) -> Option<String> {
    mids.get(usize::try_from(mline).ok()?).cloned().flatten()
}

fn candidate_event(id: &str, mline: u32, text: String, mid: Option<String>) -> EngineEvent {
    EngineEvent::IceCandidate {
        peer_id: id.to_owned(),
        candidate: Some(IceCandidateInit {
            candidate: text,
            sdp_mid: mid,
            sdp_m_line_index: Some(mline),
        }),
    }
}
