//! Errors the engine reports to its caller.

use crate::plugins::MissingElement;

/// Shorthand for results whose error is [`EngineError`].
pub type Result<T> = std::result::Result<T, EngineError>;

/// Everything that can go wrong while starting the engine or driving a call.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// GStreamer itself could not be initialised.
    #[error("GStreamer could not be initialised: {0}")]
    Init(String),
    /// Elements the engine cannot work without are not installed.
    #[error("missing GStreamer elements: {}", describe_missing(.0))]
    MissingElements(Vec<MissingElement>),
    /// An element could not be created or linked while building the pipeline.
    #[error("could not build the audio pipeline: {0}")]
    Pipeline(String),
    /// The pipeline refused a state change.
    #[error("the audio pipeline could not change state: {0}")]
    State(String),
    /// No peer with this id exists.
    #[error("no peer with id {0:?}")]
    UnknownPeer(String),
    /// A peer with this id already exists.
    #[error("a peer with id {0:?} already exists")]
    DuplicatePeer(String),
    /// The peer was closed, so it cannot be used any more.
    #[error("peer {0:?} is closed")]
    PeerClosed(String),
    /// No audio device with this id is known.
    #[error("no audio device with id {0:?}")]
    UnknownDevice(String),
    /// An SDP text could not be parsed.
    #[error("invalid SDP: {0}")]
    InvalidSdp(String),
    /// The description type is not one the engine accepts here.
    #[error("invalid session description type {0:?}")]
    InvalidDescriptionType(String),
    /// An ICE candidate could not be applied.
    #[error("invalid ICE candidate: {0}")]
    InvalidCandidate(String),
    /// A remote description or candidate was outside the engine's input limits.
    #[error(transparent)]
    Refused(#[from] crate::limits::InputError),
    /// An ICE server entry could not be understood.
    #[error("invalid ICE server {0:?}")]
    InvalidIceServer(String),
    /// webrtcbin rejected an operation (offer, answer, description, stats).
    #[error("{operation} failed: {reason}")]
    Negotiation {
        /// The operation that failed, e.g. `create-offer`.
        operation: &'static str,
        /// What webrtcbin said.
        reason: String,
    },
    /// The engine was shut down.
    #[error("the engine is shut down")]
    Shutdown,
}

fn describe_missing(missing: &[MissingElement]) -> String {
    missing
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<gst::glib::Error> for EngineError {
    fn from(err: gst::glib::Error) -> Self {
        EngineError::Pipeline(err.to_string())
    }
}

impl From<gst::glib::BoolError> for EngineError {
    fn from(err: gst::glib::BoolError) -> Self {
        EngineError::Pipeline(err.to_string())
    }
}

impl From<gst::StateChangeError> for EngineError {
    fn from(err: gst::StateChangeError) -> Self {
        EngineError::State(err.to_string())
    }
}
