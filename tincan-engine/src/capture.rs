//! The one capture chain all peers share: source, processing, mute, Opus encoding and a `tee`
//! from which each peer's webrtcbin takes a branch.
//!
//! `src ! audioconvert ! audioresample ! caps ! [webrtcdsp] ! level ! volume ! opusenc !
//! rtpopuspay ! caps ! tee`

use crate::config::{AudioTiming, DspSettings, InputSelection};
use crate::devices::{DeviceChoice, DeviceKind, Devices};
use crate::error::{EngineError, Result};
use gst::prelude::*;
use std::time::Duration;

/// Name of the source element, replaced when the input changes.
const SOURCE: &str = "capture-src";
/// Name of the processing element (webrtcdsp, or identity when processing is off).
const DSP: &str = "capture-dsp";
/// The webrtcdsp element inside the processing bin, when there is one.
const WEBRTCDSP: &str = "capture-webrtcdsp";
/// Name of the element just before the processing one.
const BEFORE_DSP: &str = "capture-caps";
/// Name of the element just after the processing one.
pub(crate) const INPUT_LEVEL: &str = "input-level";
const MUTE: &str = "capture-mute";
/// Name of the tee the peers branch from.
pub(crate) const TEE: &str = "capture-tee";
/// The packet loss the encoder plans its FEC for, in percent. Planned for 10 %, the encoder
/// gave so many bits to the redundant copy that clean speech scored PESQ 3.7 instead of 3.9 at
/// 64 kbps (2.2 instead of 3.6 at 32 kbps); at 5 % a single lost packet is still rebuilt.
const EXPECTED_LOSS: i32 = 5;
/// How much captured audio the sound server and the source may hold when the pipeline is late.
/// Only a capacity: audio leaves one period at a time, so it adds no delay while the pipeline
/// keeps up; with a ring of two periods a busy moment of 20 ms lost audio as holes of silence.
const CAPTURE_RING_MS: i64 = 100;
/// The RTP payload type for Opus, the one browsers use.
pub(crate) const OPUS_PT: u32 = 111;

/// What the capture actually uses after resolving the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputKind {
    /// A real capture device.
    Device,
    /// The test tone.
    TestTone,
    /// Silence (listen-only), chosen or for lack of a device.
    Silence,
}

pub(crate) fn make(factory: &str, name: &str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .name(name)
        .build()
        .map_err(|_| EngineError::Pipeline(format!("could not create {factory}")))
}

/// Stops an element and takes it out of a running pipeline. Its state is locked first: a state
/// change of the pipeline still in progress (the first async PLAYING) would otherwise set it back
/// to PLAYING between the stop and the removal, and it would be freed while its thread runs.
pub(crate) fn retire(pipeline: &gst::Pipeline, element: &impl IsA<gst::Element>) {
    let element = element.upcast_ref::<gst::Element>();
    element.set_locked_state(true);
    let _ = element.set_state(gst::State::Null);
    let _ = pipeline.remove(element);
    // Anything that slipped between the two is stopped now that no parent can restart it.
    let _ = element.set_state(gst::State::Null);
}

/// Creates the source element for a selection.
pub(crate) fn make_source(
    selection: &InputSelection,
    devices: &Devices,
    timing: AudioTiming,
) -> Result<(gst::Element, InputKind)> {
    let choice = match selection {
        InputSelection::Default => DeviceChoice::Default,
        InputSelection::Device(id) => DeviceChoice::Id(id),
        InputSelection::TestTone | InputSelection::Silence => DeviceChoice::None,
    };
    let device = devices.resolve(DeviceKind::AudioInput, choice)?;
    if let Some(device) = device {
        let src = device.create_element(Some(SOURCE))?;
        set_device_buffers(&src, timing);
        if src.find_property("buffer-time").is_some() {
            src.set_property("buffer-time", CAPTURE_RING_MS * 1000);
        }
        return Ok((src, InputKind::Device));
    }
    let tone = matches!(selection, InputSelection::TestTone);
    let src = make("audiotestsrc", SOURCE)?;
    src.set_property("is-live", true);
    // Buffers of one device period keep the test source's latency at what a microphone gives.
    src.set_property("samplesperbuffer", samples_per_period(timing));
    if tone {
        src.set_property("freq", 440.0f64);
        src.set_property("volume", 0.3f64);
    } else {
        src.set_property_from_str("wave", "silence");
    }
    Ok((
        src,
        if tone {
            InputKind::TestTone
        } else {
            InputKind::Silence
        },
    ))
}

/// Sizes a sound-server source or sink: audio moves one period at a time, and at most the
/// buffer is held. GStreamer's defaults (10 ms in 200 ms) let a sink sit 200 ms behind.
pub(crate) fn set_device_buffers(element: &gst::Element, timing: AudioTiming) {
    let period = i64::from(timing.device_period_ms) * 1000;
    let buffer = i64::from(timing.device_buffer_ms.max(2 * timing.device_period_ms)) * 1000;
    if element.find_property("buffer-time").is_some()
        && element.find_property("latency-time").is_some()
    {
        element.set_property("buffer-time", buffer);
        element.set_property("latency-time", period);
    }
}

/// 48 kHz samples in one device period.
pub(crate) fn samples_per_period(timing: AudioTiming) -> i32 {
    i32::try_from(timing.device_period_ms * 48).unwrap_or(480)
}

/// Creates the processing element: webrtcdsp when any switch is on and it is installed.
pub(crate) fn make_dsp(settings: DspSettings, probe: Option<&str>) -> Result<gst::Element> {
    let Some(probe) = probe.filter(|_| settings.any()) else {
        return make("identity", DSP);
    };
    let dsp = gst::ElementFactory::make("webrtcdsp")
        .name(WEBRTCDSP)
        .build()
        .map_err(|_| EngineError::Pipeline("could not create webrtcdsp".into()))?;
    dsp.set_property("probe", probe);
    dsp.set_property("echo-cancel", settings.echo_cancellation);
    dsp.set_property("noise-suppression", settings.noise_suppression);
    // At its default level this suppressor takes clean speech apart: PESQ-WB 4.5 → 3.7 on its
    // own, 2.8 with the rest of the chain (`tests/bench/codec.py`); at "low" it keeps 4.2 and
    // still takes out a steady hum or fan.
    dsp.set_property_from_str("noise-suppression-level", "low");
    dsp.set_property("gain-control", settings.auto_gain_control);
    // The real output latency is unknown (sound server, Bluetooth), so let the canceller
    // estimate the delay itself.
    dsp.set_property("delay-agnostic", true);
    // webrtcdsp's gain control lifts speech to peaks near full scale whatever its target
    // properties say (about +7 dB on speech at -27 dBFS RMS, peaks at -1 dBFS), and Opus then
    // clips; a fixed trim after it leaves the headroom a browser's gain control keeps.
    let trim = make("volume", "capture-agc-trim")?;
    trim.set_property(
        "volume",
        if settings.auto_gain_control {
            AGC_TRIM
        } else {
            1.0
        },
    );
    let bin = gst::Bin::with_name(DSP);
    bin.add_many([&dsp, &trim])?;
    dsp.link(&trim)?;
    for (element, name) in [(&dsp, "sink"), (&trim, "src")] {
        let pad = element
            .static_pad(name)
            .ok_or_else(|| EngineError::Pipeline(format!("processing {name} pad missing")))?;
        bin.add_pad(&gst::GhostPad::with_target(&pad)?)?;
    }
    Ok(bin.upcast())
}

/// The processing the capture applies now, read from the element in place (none while the
/// pass-through element is there).
pub(crate) fn processing(pipeline: &gst::Pipeline) -> DspSettings {
    let dsp = pipeline
        .by_name(DSP)
        .and_then(|e| e.downcast::<gst::Bin>().ok())
        .and_then(|bin| bin.by_name(WEBRTCDSP));
    match dsp {
        Some(dsp) => DspSettings {
            echo_cancellation: dsp.property("echo-cancel"),
            noise_suppression: dsp.property("noise-suppression"),
            auto_gain_control: dsp.property("gain-control"),
        },
        None => DspSettings::OFF,
    }
}

/// The trim after webrtcdsp's gain control: -6 dB.
const AGC_TRIM: f64 = 0.5;

/// Builds the capture chain into the pipeline.
pub(crate) fn build(
    pipeline: &gst::Pipeline,
    source: gst::Element,
    dsp: gst::Element,
    level_interval: Duration,
    bitrate: i32,
    timing: AudioTiming,
) -> Result<()> {
    let convert = make("audioconvert", "capture-convert")?;
    let resample = make("audioresample", "capture-resample")?;
    let caps = make("capsfilter", BEFORE_DSP)?;
    caps.set_property(
        "caps",
        gst::Caps::builder("audio/x-raw")
            .field("format", "S16LE")
            .field("layout", "interleaved")
            .field("rate", 48_000i32)
            .field("channels", 1i32)
            .build(),
    );
    let level = make("level", INPUT_LEVEL)?;
    level.set_property("interval", nanos(level_interval));
    level.set_property("post-messages", true);
    let mute = make("volume", MUTE)?;
    let enc = make("opusenc", "capture-opusenc")?;
    enc.set_property("bitrate", bitrate);
    enc.set_property_from_str("audio-type", "voice");
    enc.set_property_from_str("frame-size", timing.frame_nick());
    // RTP timestamps count samples, as a browser's do. Tracking the capture timestamps instead
    // passed on every skew correction of the sound server's clock as a jump, and a browser's
    // receiver answered with a deeper buffer.
    enc.set_property("perfect-timestamp", true);
    // In-band FEC carries a coarse copy of each frame in the next one, so a single lost packet
    // is rebuilt rather than concealed; it only exists in frames of 10 ms or more.
    enc.set_property("inband-fec", timing.fec && timing.frame_ms >= 10);
    enc.set_property(
        "packet-loss-percentage",
        if timing.fec { EXPECTED_LOSS } else { 0 },
    );
    let pay = make("rtpopuspay", "capture-pay")?;
    pay.set_property("pt", OPUS_PT);
    let rtp_caps = make("capsfilter", "capture-rtp-caps")?;
    rtp_caps.set_property("caps", rtp_caps_for_send());
    let tee = make("tee", TEE)?;
    // Peers come and go; a moment with no branch must not stop the capture.
    tee.set_property("allow-not-linked", true);
    let chain = [
        &source, &convert, &resample, &caps, &dsp, &level, &mute, &enc, &pay, &rtp_caps, &tee,
    ];
    pipeline.add_many(chain)?;
    gst::Element::link_many(chain)?;
    Ok(())
}

/// The RTP caps the payloader produces.
fn rtp_caps_for_send() -> gst::Caps {
    gst::Caps::builder("application/x-rtp")
        .field("media", "audio")
        .field("encoding-name", "OPUS")
        .field("clock-rate", 48_000i32)
        .field("payload", OPUS_PT as i32)
        .build()
}

/// The codec preferences for each webrtcbin transceiver: what ends up in the SDP.
pub(crate) fn codec_preferences(timing: AudioTiming) -> gst::Caps {
    gst::Caps::builder("application/x-rtp")
        .field("media", "audio")
        .field("encoding-name", "OPUS")
        .field("clock-rate", 48_000i32)
        .field("payload", OPUS_PT as i32)
        .field("encoding-params", "2")
        .field("minptime", timing.frame_ms.min(10).to_string())
        .field("useinbandfec", if timing.fec { "1" } else { "0" })
        // Asks the far side (a browser too) to send at the rate this engine sends at.
        .field("maxaveragebitrate", crate::config::OPUS_BITRATE.to_string())
        .field("rtcp-fb-transport-cc", true)
        .build()
}

/// Swaps the source element, e.g. when the user picks another microphone.
pub(crate) fn replace_source(pipeline: &gst::Pipeline, source: gst::Element) -> Result<()> {
    let old = pipeline
        .by_name(SOURCE)
        .ok_or_else(|| EngineError::Pipeline("capture source missing".into()))?;
    let next = pipeline
        .by_name("capture-convert")
        .ok_or_else(|| EngineError::Pipeline("capture converter missing".into()))?;
    // Stopping the old source first ends its streaming thread, so nothing is in flight (and
    // nothing is pushed into an unlinked pad); removing it unlinks it.
    retire(pipeline, &old);
    pipeline.add(&source)?;
    source.link(&next)?;
    source.sync_state_with_parent()?;
    Ok(())
}

/// Swaps the processing element while audio flows, between two buffers.
pub(crate) fn replace_dsp(pipeline: &gst::Pipeline, dsp: gst::Element) -> Result<()> {
    let (Some(before), Some(_), Some(after)) = (
        pipeline.by_name(BEFORE_DSP),
        pipeline.by_name(DSP),
        pipeline.by_name(INPUT_LEVEL),
    ) else {
        return Err(EngineError::Pipeline(
            "capture processing elements missing".into(),
        ));
    };
    let pad = before
        .static_pad("src")
        .ok_or_else(|| EngineError::Pipeline("capture caps pad missing".into()))?;
    let pipeline = pipeline.downgrade();
    // The blocking probe runs on the capture thread between two buffers, so neither element
    // is processing while they are exchanged. The element to replace is looked up then, not
    // now: two switches in a row (a new input, then new settings) each replace the one before.
    pad.add_probe(gst::PadProbeType::BLOCK_DOWNSTREAM, move |_, _| {
        if let Some(pipeline) = pipeline.upgrade() {
            if let Some(old) = pipeline.by_name(DSP) {
                retire(&pipeline, &old);
            }
            let linked = pipeline.add(&dsp).is_ok()
                && before.link(&dsp).is_ok()
                && dsp.link(&after).is_ok()
                && dsp.sync_state_with_parent().is_ok();
            if !linked {
                gst::warning!(
                    gst::CAT_DEFAULT,
                    "could not insert the new audio processing"
                );
            }
        }
        gst::PadProbeReturn::Remove
    });
    Ok(())
}

/// Sets the mute switch, which sits after the input level so the UI still sees the mic.
pub(crate) fn set_muted(pipeline: &gst::Pipeline, muted: bool) {
    if let Some(mute) = pipeline.by_name(MUTE) {
        mute.set_property("mute", muted);
    }
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
