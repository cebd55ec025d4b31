//! The engine's mutable bookkeeping, kept behind one mutex that is never held while GStreamer
//! is asked to do something that could wait on a streaming thread.

use crate::capture::InputKind;
use crate::config::DspSettings;
use crate::events::ConnectionState;
use crate::ice::IceSettings;
use crate::playout::Stream;
use crate::stats::LevelStats;
use std::collections::{HashMap, HashSet};

/// What the engine remembers about one peer.
pub(crate) struct PeerEntry {
    /// Unique number, used in element names.
    pub number: u64,
    /// Number of the webrtcbin being built to replace the current one.
    pub next_number: Option<u64>,
    /// The bin holding this peer's elements.
    pub bin: gst::Bin,
    /// The webrtcbin inside the bin.
    pub webrtc: gst::Element,
    /// Turns true once audio reaches the webrtcbin.
    pub ready: tokio::sync::watch::Receiver<bool>,
    /// The tee pad feeding the bin.
    pub tee_pad: gst::Pad,
    /// Decoding chains of the streams received so far.
    pub streams: Vec<Stream>,
    /// Playout volume, 0..=2.
    pub volume: f64,
    /// Received audio measurements.
    pub level: LevelStats,
    /// Last connection state reported.
    pub connection: ConnectionState,
    /// Whether a local description was applied, so candidates may be handed out.
    pub local_applied: bool,
    /// `a=mid` of each local m-line.
    pub local_mids: Vec<Option<String>>,
    /// `a=mid` of each m-line of the session a rebuilt connection replaces, which its first
    /// offer must keep.
    pub previous_mids: Vec<Option<String>>,
    /// `a=mid` of each remote m-line.
    pub remote_mids: Vec<Option<String>>,
    /// Whether a remote description was applied, so remote candidates can be used.
    pub remote_applied: bool,
    /// Remote candidates that came before their description, applied right after it.
    pub pending_remote: Vec<(u32, String)>,
    /// Remote candidates applied since the last remote description, replayed if the
    /// connection is rebuilt (the signaling may deliver a restart's candidates before it).
    pub recent_remote: Vec<(u32, String)>,
    /// Candidates gathered before the local description was applied.
    pub held: Vec<(u32, String)>,
    /// Gathering completed before the local description was applied.
    pub held_complete: bool,
}

impl PeerEntry {
    /// A peer whose connection was just built: nothing negotiated, full volume.
    pub fn new(number: u64, parts: crate::webrtc::PeerParts) -> Self {
        Self {
            number,
            next_number: None,
            bin: parts.bin,
            webrtc: parts.webrtc,
            ready: parts.ready,
            tee_pad: parts.tee_pad,
            streams: Vec::new(),
            volume: 1.0,
            level: LevelStats::default(),
            connection: ConnectionState::New,
            local_applied: false,
            local_mids: Vec::new(),
            previous_mids: Vec::new(),
            remote_mids: Vec::new(),
            remote_applied: false,
            pending_remote: Vec::new(),
            recent_remote: Vec::new(),
            held: Vec::new(),
            held_complete: false,
        }
    }
}

/// Everything mutable in the engine.
pub(crate) struct State {
    /// Live peers by id.
    pub peers: HashMap<String, PeerEntry>,
    /// Ids of closed peers, whose late webrtcbin notifications are dropped.
    pub closed: HashSet<String>,
    /// Ids whose connection `add_peer` is building outside the lock.
    pub building: HashSet<String>,
    /// Number for the next peer.
    pub next_number: u64,
    /// Measurements of the local input.
    pub input_level: LevelStats,
    /// ICE servers for new peers.
    pub ice: IceSettings,
    /// Current processing switches.
    pub dsp: DspSettings,
    /// Whether the input is muted.
    pub muted: bool,
    /// What the capture uses.
    pub input: InputKind,
    /// Whether playout goes to a real device.
    pub output_device: bool,
    /// Set once the engine is shut down.
    pub shut_down: bool,
}

impl State {
    /// Whether callbacks of the webrtcbin numbered `number` still speak for peer `id`: it is
    /// the current one, or the peer is still being built.
    pub fn is_current(&self, id: &str, number: u64) -> bool {
        match self.peers.get(id) {
            Some(entry) => entry.number == number || entry.next_number == Some(number),
            None => !self.closed.contains(id),
        }
    }

    /// The id of the peer with this number.
    pub fn peer_by_number(&mut self, number: u64) -> Option<(&String, &mut PeerEntry)> {
        self.peers
            .iter_mut()
            .find(|(_, entry)| entry.number == number)
    }
}
