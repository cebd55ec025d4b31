//! The engine's bookkeeping of peers: what webrtcbin reports (gated so that a replaced or
//! closed webrtcbin can no longer speak for its peer) and what the peer handles ask for.

use crate::description::{media_ids, IceCandidateInit};
use crate::engine::Inner;
use crate::error::{EngineError, Result};
use crate::events::{AudioLevel, ConnectionState, EngineEvent, SignalingState};
use crate::state::State;
use crate::stats::PeerStats;
use crate::webrtc;
use gst::prelude::*;
use std::sync::MutexGuard;

impl Inner {
    /// Locks the state; a panic elsewhere must not make the engine unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // Nobody listening is not an error: the application may not care about events.
        let _ = self.events.send(event);
    }

    fn is_current(&self, id: &str, number: u64) -> bool {
        self.lock().is_current(id, number)
    }

    pub(crate) fn is_closed(&self, id: &str) -> bool {
        !self.lock().peers.contains_key(id)
    }

    /// The current webrtcbin of a peer.
    pub(crate) fn webrtc(&self, id: &str) -> Result<gst::Element> {
        let state = self.lock();
        let entry = state
            .peers
            .get(id)
            .ok_or_else(|| EngineError::PeerClosed(id.to_owned()))?;
        Ok(entry.webrtc.clone())
    }

    /// The m-line ids a rebuilt connection's next offer must keep, if any.
    pub(crate) fn previous_mids(&self, id: &str) -> Vec<Option<String>> {
        self.lock()
            .peers
            .get(id)
            .map(|e| e.previous_mids.clone())
            .unwrap_or_default()
    }

    /// Resolves once the peer's webrtcbin has audio caps and may take descriptions.
    pub(crate) async fn sink_ready(&self, id: &str) -> Result<()> {
        let mut ready = {
            let state = self.lock();
            let entry = state
                .peers
                .get(id)
                .ok_or_else(|| EngineError::PeerClosed(id.to_owned()))?;
            entry.ready.clone()
        };
        // A dropped sender means the peer was torn down; the next call reports that.
        let _ = ready.wait_for(|ready| *ready).await;
        Ok(())
    }

    pub(crate) fn on_negotiation_needed(&self, id: &str, number: u64) {
        if self.is_current(id, number) {
            self.emit(EngineEvent::NegotiationNeeded {
                peer_id: id.to_owned(),
            });
        }
    }

    pub(crate) fn on_signaling_state(&self, id: &str, number: u64, state: SignalingState) {
        if self.is_current(id, number) {
            self.emit(EngineEvent::SignalingState {
                peer_id: id.to_owned(),
                state,
            });
        }
    }

    pub(crate) fn on_connection_state(&self, id: &str, number: u64, state: ConnectionState) {
        let changed = match self.lock().peers.get_mut(id) {
            Some(entry) if entry.number == number && entry.connection != state => {
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

    pub(crate) fn on_local_candidate(&self, id: &str, number: u64, mline: u32, text: String) {
        let mid = {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id).filter(|e| e.number == number) else {
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

    pub(crate) fn on_gathering_complete(&self, id: &str, number: u64) {
        {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id).filter(|e| e.number == number) else {
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
            entry.previous_mids.clear();
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

    /// Records the remote description and applies the candidates that came before it.
    pub(crate) fn remote_description_applied(&self, id: &str, sdp: &str) {
        let (webrtc, pending) = {
            let mut state = self.lock();
            let Some(entry) = state.peers.get_mut(id) else {
                return;
            };
            entry.remote_mids = media_ids(sdp);
            entry.remote_applied = true;
            entry.recent_remote.clear();
            let pending = std::mem::take(&mut entry.pending_remote);
            entry.recent_remote.extend(pending.iter().cloned());
            (entry.webrtc.clone(), pending)
        };
        for (mline, text) in pending {
            webrtc.emit_by_name::<()>("add-ice-candidate", &[&mline, &text]);
        }
    }

    /// Applies a remote candidate, or keeps it until its description is applied.
    pub(crate) fn remote_candidate(&self, id: &str, mline: u32, text: String) -> Result<()> {
        let webrtc = {
            let mut state = self.lock();
            let entry = state
                .peers
                .get_mut(id)
                .ok_or_else(|| EngineError::PeerClosed(id.to_owned()))?;
            // Kept ones are replayed after a rebuild, so they are bounded like the pending ones.
            if entry.pending_remote.len() + entry.recent_remote.len()
                >= crate::limits::MAX_REMOTE_CANDIDATES
            {
                return Err(crate::limits::InputError::TooManyCandidates.into());
            }
            if !entry.remote_applied {
                entry.pending_remote.push((mline, text));
                return Ok(());
            }
            entry.recent_remote.push((mline, text.clone()));
            entry.webrtc.clone()
        };
        webrtc.emit_by_name::<()>("add-ice-candidate", &[&mline, &text]);
        Ok(())
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
