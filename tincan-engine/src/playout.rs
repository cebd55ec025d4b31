//! Playout: every received stream is decoded and measured on its own, then mixed into one
//! output, with the echo probe in front of the sink so the canceller hears what is played.
//!
//! `silence ! audiomixer ! caps ! [webrtcechoprobe] ! audioconvert ! audioresample ! sink`,
//! and per stream `depay ! opusdec ! audioconvert ! audioresample ! volume ! level ! queue !
//! mixer`.

use crate::capture::{make, nanos, samples_per_period, set_device_buffers};
use crate::config::{AudioTiming, OutputSelection};
use crate::devices::{DeviceChoice, DeviceKind, Devices};
use crate::error::{EngineError, Result};
use gst::prelude::*;
use std::time::Duration;

const MIXER: &str = "playout-mixer";
const SINK: &str = "playout-sink";
const BEFORE_SINK: &str = "playout-resample";

/// The elements one received stream runs through.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    /// The per-peer loudness control.
    pub volume: gst::Element,
    /// The mixer pad the stream feeds.
    pub mixer_pad: gst::Pad,
}

/// Creates the sink for a selection; `None` means no real device is used.
pub(crate) fn make_sink(
    selection: &OutputSelection,
    devices: &Devices,
    timing: AudioTiming,
) -> Result<(gst::Element, bool)> {
    let choice = match selection {
        OutputSelection::Default => DeviceChoice::Default,
        OutputSelection::Device(id) => DeviceChoice::Id(id),
        OutputSelection::Discard => DeviceChoice::None,
    };
    let device = devices.resolve(DeviceKind::AudioOutput, choice)?;
    match device {
        Some(device) => {
            let sink = device.create_element(Some(SINK))?;
            set_device_buffers(&sink, timing);
            // Basesink's default 20 ms of headroom for processing is added to every output's
            // delay; the mixer's output needs no more than one device period.
            if sink.find_property("processing-deadline").is_some() {
                sink.set_property(
                    "processing-deadline",
                    u64::from(timing.device_period_ms) * 1_000_000,
                );
            }
            Ok((sink, true))
        }
        None => {
            let sink = make("fakesink", SINK)?;
            // Paced by the clock like a sound card, so the echo probe sees real time.
            sink.set_property("sync", true);
            Ok((sink, false))
        }
    }
}

/// Builds the mixer and output chain into the pipeline.
pub(crate) fn build(
    pipeline: &gst::Pipeline,
    sink: gst::Element,
    probe: Option<&str>,
    timing: AudioTiming,
) -> Result<()> {
    // A live silent input keeps the mixer (and the echo probe) running with no peer at all.
    let silence = make("audiotestsrc", "playout-silence")?;
    silence.set_property("is-live", true);
    silence.set_property_from_str("wave", "silence");
    silence.set_property("samplesperbuffer", samples_per_period(timing));
    // Streams arrive later, each with its jitter buffer's latency: the mixer must be live and
    // plan for that latency from the start, or it runs ahead and discards what they bring.
    let mixer = gst::ElementFactory::make("audiomixer")
        .name(MIXER)
        .property("force-live", true)
        .build()?;
    mixer.set_property("ignore-inactive-pads", true);
    mixer.set_property("min-upstream-latency", nanos(stream_latency(timing)));
    // The mixer hands out one device period at a time, so it never waits for more.
    mixer.set_property(
        "output-buffer-duration",
        u64::from(timing.device_period_ms) * 1_000_000,
    );
    let caps = make("capsfilter", "playout-caps")?;
    caps.set_property(
        "caps",
        gst::Caps::builder("audio/x-raw")
            .field("format", "S16LE")
            .field("layout", "interleaved")
            .field("rate", 48_000i32)
            .field("channels", 2i32)
            .build(),
    );
    let convert = make("audioconvert", "playout-convert")?;
    let resample = make("audioresample", BEFORE_SINK)?;
    let mut chain = vec![silence, mixer, caps];
    if let Some(name) = probe {
        chain.push(make("webrtcechoprobe", name)?);
    }
    chain.extend([convert, resample, sink]);
    pipeline.add_many(&chain)?;
    gst::Element::link_many(&chain)?;
    Ok(())
}

/// What a received stream adds before the mixer: the jitter buffer, and one frame held by the
/// decoder when it waits for the next packet's FEC copy.
fn stream_latency(timing: AudioTiming) -> Duration {
    let fec_frame = if timing.fec { timing.frame_ms } else { 0 };
    Duration::from_millis(u64::from(timing.jitter_ms + fec_frame))
}

/// Decodes one received RTP pad into the mixer; the elements live in the peer's bin.
pub(crate) fn add_stream(
    pipeline: &gst::Pipeline,
    bin: &gst::Bin,
    rtp_pad: &gst::Pad,
    volume: f64,
    level_name: &str,
    level_interval: Duration,
    timing: AudioTiming,
) -> Result<Stream> {
    let mixer = pipeline
        .by_name(MIXER)
        .ok_or_else(|| EngineError::Pipeline("playout mixer missing".into()))?;
    let depay = gst::ElementFactory::make("rtpopusdepay").build()?;
    let dec = crate::decoder::make_decoder(timing)?;
    let convert = gst::ElementFactory::make("audioconvert").build()?;
    let resample = gst::ElementFactory::make("audioresample").build()?;
    let vol = gst::ElementFactory::make("volume").build()?;
    vol.set_property("volume", volume);
    let level = make("level", level_name)?;
    level.set_property("interval", nanos(level_interval));
    level.set_property("post-messages", true);
    // Decoupled from the mixer, so one late stream never holds up its jitter buffer.
    let queue = gst::ElementFactory::make("queue").build()?;
    queue.set_property_from_str("leaky", "downstream");
    queue.set_property("max-size-buffers", 0u32);
    queue.set_property("max-size-bytes", 0u32);
    queue.set_property("max-size-time", 200_000_000u64);
    let chain = [&depay, &dec, &convert, &resample, &vol, &level, &queue];
    bin.add_many(chain)?;
    gst::Element::link_many(chain)?;
    let src = queue
        .static_pad("src")
        .ok_or_else(|| missing_pad("queue src"))?;
    let ghost = gst::GhostPad::with_target(&src)?;
    ghost.set_active(true)?;
    bin.add_pad(&ghost)?;
    let mixer_pad = mixer
        .request_pad_simple("sink_%u")
        .ok_or_else(|| missing_pad("mixer sink"))?;
    ghost
        .link(&mixer_pad)
        .map_err(|e| EngineError::Pipeline(format!("{e:?}")))?;
    for element in chain {
        element.sync_state_with_parent()?;
    }
    // Linked last: a buffer reaching an element that is not playing yet would stop the
    // jitter buffer, and with it the whole receive path.
    let sink = depay
        .static_pad("sink")
        .ok_or_else(|| missing_pad("depayloader sink"))?;
    rtp_pad
        .link(&sink)
        .map_err(|e| EngineError::Pipeline(format!("{e:?}")))?;
    Ok(Stream {
        volume: vol,
        mixer_pad,
    })
}

/// Hands a stream's mixer pad back once its peer is gone.
pub(crate) fn release_stream(pipeline: &gst::Pipeline, stream: &Stream) {
    if let Some(mixer) = pipeline.by_name(MIXER) {
        mixer.release_request_pad(&stream.mixer_pad);
    }
}

/// Swaps the output element while audio flows.
pub(crate) fn replace_sink(pipeline: &gst::Pipeline, sink: gst::Element) -> Result<()> {
    let (Some(before), Some(_)) = (pipeline.by_name(BEFORE_SINK), pipeline.by_name(SINK)) else {
        return Err(EngineError::Pipeline("playout sink missing".into()));
    };
    let pad = before
        .static_pad("src")
        .ok_or_else(|| missing_pad("playout src"))?;
    let pipeline = pipeline.downgrade();
    // Exchanged between two buffers on the playout thread, as for the processing element (and
    // the sink to replace is looked up then, for the same reason).
    pad.add_probe(gst::PadProbeType::BLOCK_DOWNSTREAM, move |_, _| {
        if let Some(pipeline) = pipeline.upgrade() {
            if let Some(old) = pipeline.by_name(SINK) {
                crate::capture::retire(&pipeline, &old);
            }
            let linked = pipeline.add(&sink).is_ok()
                && before.link(&sink).is_ok()
                && sink.sync_state_with_parent().is_ok();
            if !linked {
                gst::warning!(gst::CAT_DEFAULT, "could not insert the new audio output");
            }
            let _ = pipeline.post_message(gst::message::Latency::new());
        }
        gst::PadProbeReturn::Remove
    });
    Ok(())
}

fn missing_pad(what: &str) -> EngineError {
    EngineError::Pipeline(format!("{what} pad missing"))
}
