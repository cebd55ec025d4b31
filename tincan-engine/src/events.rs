//! Events the engine emits, serialised with the browser's event and field names so they can be
//! passed through to the web UI unchanged.

use crate::description::IceCandidateInit;
use crate::devices::AudioDevice;
use serde::Serialize;

/// RTCPeerConnectionState.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    /// Nothing has happened yet.
    New,
    /// ICE or DTLS is in progress.
    Connecting,
    /// Media can flow.
    Connected,
    /// Connectivity was lost, possibly temporarily.
    Disconnected,
    /// Connectivity failed for good; an ICE restart may recover it.
    Failed,
    /// The peer was closed.
    Closed,
}

impl ConnectionState {
    pub(crate) fn from_gst(state: gst_webrtc::WebRTCPeerConnectionState) -> Self {
        use gst_webrtc::WebRTCPeerConnectionState as S;
        match state {
            S::New => ConnectionState::New,
            S::Connecting => ConnectionState::Connecting,
            S::Connected => ConnectionState::Connected,
            S::Disconnected => ConnectionState::Disconnected,
            S::Failed => ConnectionState::Failed,
            _ => ConnectionState::Closed,
        }
    }
}

/// RTCSignalingState.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalingState {
    /// No offer/answer exchange in progress.
    Stable,
    /// A local offer was applied.
    HaveLocalOffer,
    /// A remote offer was applied.
    HaveRemoteOffer,
    /// A local provisional answer was applied.
    HaveLocalPranswer,
    /// A remote provisional answer was applied.
    HaveRemotePranswer,
    /// The peer was closed.
    Closed,
}

impl SignalingState {
    pub(crate) fn from_gst(state: gst_webrtc::WebRTCSignalingState) -> Self {
        use gst_webrtc::WebRTCSignalingState as S;
        match state {
            S::Stable => SignalingState::Stable,
            S::HaveLocalOffer => SignalingState::HaveLocalOffer,
            S::HaveRemoteOffer => SignalingState::HaveRemoteOffer,
            S::HaveLocalPranswer => SignalingState::HaveLocalPranswer,
            S::HaveRemotePranswer => SignalingState::HaveRemotePranswer,
            _ => SignalingState::Closed,
        }
    }
}

/// An audio level reading from a `level` element.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioLevel {
    /// RMS power over the interval, dBFS (loudest channel); -inf reads as a very low number.
    pub rms_db: f64,
    /// Peak over the interval, dBFS (loudest channel).
    pub peak_db: f64,
    /// The peak as a linear 0..1 value, like the browser's `audioLevel`.
    pub audio_level: f64,
    /// The clock time of the reading in nanoseconds (GStreamer system clock, monotonic).
    pub clock_time_ns: u64,
}

/// Something that happened in the engine; `type` carries the browser's event name where the
/// browser has one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum EngineEvent {
    /// A local ICE candidate to send to the peer; `None` once gathering is complete.
    #[serde(rename = "icecandidate")]
    IceCandidate {
        /// The remote peer this connection is for.
        peer_id: String,
        /// The candidate, or `None` for end of candidates.
        candidate: Option<IceCandidateInit>,
    },
    /// The peer connection's state changed.
    #[serde(rename = "connectionstatechange")]
    ConnectionState {
        /// The remote peer this connection is for.
        peer_id: String,
        /// The new state.
        state: ConnectionState,
    },
    /// The signaling state changed.
    #[serde(rename = "signalingstatechange")]
    SignalingState {
        /// The remote peer this connection is for.
        peer_id: String,
        /// The new state.
        state: SignalingState,
    },
    /// The connection needs an offer/answer exchange.
    #[serde(rename = "negotiationneeded")]
    NegotiationNeeded {
        /// The remote peer this connection is for.
        peer_id: String,
    },
    /// Audio devices were plugged in or removed; carries the new list.
    #[serde(rename = "devicechange")]
    DevicesChanged {
        /// Every audio device now present.
        devices: Vec<AudioDevice>,
    },
    /// A level reading, sent only when level events are enabled in the config.
    #[serde(rename = "level")]
    Level {
        /// The remote peer heard, or `None` for the local input.
        peer_id: Option<String>,
        /// The reading.
        level: AudioLevel,
    },
    /// Something degraded but the call goes on (e.g. no echo cancellation).
    #[serde(rename = "warning")]
    Warning {
        /// Human-readable explanation.
        message: String,
    },
    /// A pipeline error; the peer (if any) may have stopped working.
    #[serde(rename = "error")]
    Error {
        /// The peer it concerns, if it concerns one.
        peer_id: Option<String>,
        /// Human-readable explanation.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_browser_names() {
        let e = EngineEvent::SignalingState {
            peer_id: "p1".into(),
            state: SignalingState::HaveLocalOffer,
        };
        assert_eq!(
            serde_json::to_string(&e).expect("serialise"),
            r#"{"type":"signalingstatechange","peerId":"p1","state":"have-local-offer"}"#
        );
        let e = EngineEvent::IceCandidate {
            peer_id: "p1".into(),
            candidate: None,
        };
        assert_eq!(
            serde_json::to_string(&e).expect("serialise"),
            r#"{"type":"icecandidate","peerId":"p1","candidate":null}"#
        );
    }
}
