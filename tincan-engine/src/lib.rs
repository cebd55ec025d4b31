//! Native WebRTC audio engine on GStreamer `webrtcbin`, for platforms whose webview has no
//! RTCPeerConnection.
//!
//! One [`Engine`] owns one pipeline: a shared capture (microphone, test tone or silence →
//! optional echo cancellation / noise suppression / gain control → level → mute → Opus → RTP)
//! that every peer's webrtcbin branches from, and a playout mixer that every received stream
//! is decoded into. Each remote peer is a [`Peer`] whose methods mirror the parts of
//! RTCPeerConnection that perfect negotiation uses; [`EngineEvent`]s and [`PeerStats`] use
//! the browser's names so they can be handed to the web UI as they are.

mod branches;
mod budget;
mod bus;
mod capture;
mod config;
mod decoder;
mod description;
mod devices;
mod engine;
mod error;
mod events;
mod ice;
pub mod limits;
mod peer;
mod peers;
mod playout;
pub mod plugins;
mod priority;
mod state;
mod stats;
mod status;
mod webrtc;

pub use budget::{LatencyBudget, Stage};
pub use config::{
    AudioTiming, DspSettings, EngineConfig, InputSelection, LatencyMode, OutputSelection,
};
pub use description::{IceCandidateInit, SdpType, SessionDescription};
pub use devices::{AudioDevice, DeviceKind};
pub use engine::{Engine, EngineStatus, Events};
pub use error::{EngineError, Result};
pub use events::{AudioLevel, ConnectionState, EngineEvent, SignalingState};
pub use ice::{ice_settings, parse_ice_servers, IceServer, IceSettings, Urls};
pub use peer::Peer;
pub use plugins::{MissingElement, PluginReport};
pub use stats::{LevelStats, PeerStats, SILENCE_DB};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_can_be_shared_across_threads() {
        assert_send_sync::<crate::Engine>();
        assert_send_sync::<crate::Peer>();
    }
}
