//! What the engine runs with, in the shape the UI shows.

use crate::config::DspSettings;
use crate::plugins::MissingElement;
use serde::Serialize;

/// What the engine runs with, for the UI to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineStatus {
    /// Whether echo cancellation, noise suppression and gain control are installed.
    pub dsp_available: bool,
    /// The processing switches in force.
    pub dsp: DspSettings,
    /// The processing the capture applies now, read from its element: none for the test tone,
    /// and none while a switch waits for the next captured buffer.
    pub processing: DspSettings,
    /// `"device"`, `"test-tone"` or `"silence"` (listen-only).
    pub input: &'static str,
    /// Whether any capture device exists.
    pub has_input_device: bool,
    /// Whether any playback device exists.
    pub has_output_device: bool,
    /// Whether playout goes to a real device.
    pub output_to_device: bool,
    /// No audio device at all: only the test tone or listen-only are possible.
    pub no_audio_device: bool,
    /// Whether the input is muted.
    pub muted: bool,
    /// Optional elements that are not installed.
    pub missing: Vec<MissingElement>,
    /// How many peer connections the microphone feeds (one per live peer).
    pub sending_to: usize,
}
