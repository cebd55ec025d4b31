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

/// How the engine trades delay against robustness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyMode {
    /// Short buffers with room for a busy machine or Wi-Fi, and in-band FEC.
    #[default]
    Standard,
    /// The smallest buffers that stay clean on a wired LAN; no FEC, which needs longer frames.
    Low,
}

impl LatencyMode {
    /// The buffer sizes this mode runs with.
    pub fn timing(self) -> AudioTiming {
        match self {
            LatencyMode::Standard => AudioTiming {
                frame_ms: 10,
                jitter_ms: 30,
                device_period_ms: 10,
                // 20 ms ran dry on a busy machine: each time a few milliseconds of silence,
                // which a listener hears as crackle.
                device_buffer_ms: 40,
                fec: true,
            },
            // 5 ms frames and periods measured lower in the engine alone, but with a real
            // microphone through webrtcdsp (which works on 10 ms blocks) nothing was sent.
            LatencyMode::Low => AudioTiming {
                frame_ms: 10,
                jitter_ms: 10,
                device_period_ms: 10,
                device_buffer_ms: 20,
                fec: false,
            },
        }
    }
}

/// The Opus bitrate the engine sends at and asks for. A LAN has bandwidth to spare: at
/// 32 kbps with 10 ms frames Opus fell back to a narrow voice mode (PESQ 3.6, 2.2 with FEC);
/// at 64 kbps the same speech scores 4.1 (3.9 with FEC). After the audio processing, with FEC,
/// 64 kbps scored 3.66 and 96 kbps 3.84 (80: 3.72, 128: 3.88; `tests/bench/codec.py`), for
/// about 130 kbit/s per stream with the packet headers.
pub const OPUS_BITRATE: i32 = 96_000;

/// Buffer sizes along the audio path, from microphone to speaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioTiming {
    /// Opus frame (and RTP packet) duration: 5, 10 or 20 ms.
    pub frame_ms: u32,
    /// Receive jitter buffer.
    pub jitter_ms: u32,
    /// How much audio the sound server hands over at a time (capture and playout).
    pub device_period_ms: u32,
    /// The most audio held at the sound server for playout (the capture side holds more, as
    /// capacity only).
    pub device_buffer_ms: u32,
    /// Whether to send and use Opus in-band forward error correction (needs ≥ 10 ms frames).
    pub fec: bool,
}

impl AudioTiming {
    /// The Opus frame as `opusenc`'s `frame-size` nick.
    pub(crate) fn frame_nick(self) -> &'static str {
        match self.frame_ms {
            0..=2 => "2.5",
            3..=5 => "5",
            6..=10 => "10",
            11..=20 => "20",
            21..=40 => "40",
            _ => "60",
        }
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
    /// Buffer sizes from microphone to speaker; see [`LatencyMode::timing`].
    pub timing: AudioTiming,
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
            timing: LatencyMode::Standard.timing(),
            level_interval: Duration::from_millis(50),
            level_events: false,
            monitor_devices: true,
            opus_bitrate: OPUS_BITRATE,
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
