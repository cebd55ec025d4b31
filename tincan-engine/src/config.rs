//! Engine settings: devices, audio processing, ICE servers and timing.

use crate::ice::IceServer;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the engine captures and sends.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum InputSelection {
    /// The system's default microphone, or listen-only when there is none (`"default"`).
    #[default]
    Default,
    /// A 440 Hz test tone instead of a microphone (`"test-tone"`).
    TestTone,
    /// Send silence: listen-only (`"none"`).
    Silence,
    /// A device id from [`crate::AudioDevice::id`].
    Device(String),
}

impl From<String> for InputSelection {
    fn from(id: String) -> Self {
        match id.as_str() {
            "" | "default" => InputSelection::Default,
            "test-tone" => InputSelection::TestTone,
            "none" => InputSelection::Silence,
            _ => InputSelection::Device(id),
        }
    }
}

impl From<InputSelection> for String {
    fn from(input: InputSelection) -> Self {
        match input {
            InputSelection::Default => "default".into(),
            InputSelection::TestTone => "test-tone".into(),
            InputSelection::Silence => "none".into(),
            InputSelection::Device(id) => id,
        }
    }
}

/// Where the engine plays what it hears.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum OutputSelection {
    /// The system's default speakers, or nowhere when there are none (`"default"`).
    #[default]
    Default,
    /// Discard the audio (still measured): no output device, or tests (`"none"`).
    Discard,
    /// A device id from [`crate::AudioDevice::id`].
    Device(String),
}

impl From<String> for OutputSelection {
    fn from(id: String) -> Self {
        match id.as_str() {
            "" | "default" => OutputSelection::Default,
            "none" => OutputSelection::Discard,
            _ => OutputSelection::Device(id),
        }
    }
}

impl From<OutputSelection> for String {
    fn from(output: OutputSelection) -> Self {
        match output {
            OutputSelection::Default => "default".into(),
            OutputSelection::Discard => "none".into(),
            OutputSelection::Device(id) => id,
        }
    }
}

/// Microphone processing switches, named like the browser's getUserMedia constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DspSettings {
    /// Acoustic echo cancellation (needs the played-out audio, taken before the sink).
    pub echo_cancellation: bool,
    /// Noise suppression.
    pub noise_suppression: bool,
    /// Automatic gain control.
    pub auto_gain_control: bool,
}

impl DspSettings {
    /// Every switch on, as browsers default to.
    pub const ON: DspSettings = DspSettings {
        echo_cancellation: true,
        noise_suppression: true,
        auto_gain_control: true,
    };
    /// Every switch off: the microphone is sent as captured.
    pub const OFF: DspSettings = DspSettings {
        echo_cancellation: false,
        noise_suppression: false,
        auto_gain_control: false,
    };

    /// Whether any processing is switched on.
    pub fn any(self) -> bool {
        self.echo_cancellation || self.noise_suppression || self.auto_gain_control
    }
}

impl Default for DspSettings {
    fn default() -> Self {
        DspSettings::ON
    }
}

/// Everything the engine is started with.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// What to capture.
    pub input: InputSelection,
    /// Where to play.
    pub output: OutputSelection,
    /// Microphone processing.
    pub dsp: DspSettings,
    /// STUN/TURN servers for new peers; empty on a LAN.
    pub ice_servers: Vec<IceServer>,
    /// Receive jitter buffer, in milliseconds.
    pub jitter_buffer_ms: u32,
    /// How often `level` elements measure.
    pub level_interval: Duration,
    /// Whether to emit an [`crate::EngineEvent::Level`] for each measurement.
    pub level_events: bool,
    /// Whether to watch for audio devices (off in tests that need no devices).
    pub monitor_devices: bool,
    /// Opus target bitrate in bits per second.
    pub opus_bitrate: i32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            input: InputSelection::Default,
            output: OutputSelection::Default,
            dsp: DspSettings::ON,
            ice_servers: Vec::new(),
            jitter_buffer_ms: 100,
            level_interval: Duration::from_millis(50),
            level_events: false,
            monitor_devices: true,
            opus_bitrate: 32_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_read_and_write_plain_strings() {
        let input: InputSelection = serde_json::from_str(r#""test-tone""#).expect("parse");
        assert_eq!(input, InputSelection::TestTone);
        let input: InputSelection = serde_json::from_str(r#""pulse:mic-1""#).expect("parse");
        assert_eq!(input, InputSelection::Device("pulse:mic-1".into()));
        let output: OutputSelection = serde_json::from_str(r#""none""#).expect("parse");
        assert_eq!(
            serde_json::to_string(&output).expect("serialise"),
            r#""none""#
        );
        let dsp: DspSettings = serde_json::from_str(
            r#"{"echoCancellation":true,"noiseSuppression":false,"autoGainControl":true}"#,
        )
        .expect("parse");
        assert!(!dsp.noise_suppression && dsp.any());
    }
}
