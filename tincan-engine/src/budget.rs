//! Where the delay from microphone to speaker goes, as the pipeline itself reports it: each
//! stage's latency is what a latency query at its output reports minus the stage before.

use crate::engine::Inner;
use gst::prelude::*;
use serde::Serialize;
use std::time::Duration;

/// One stage of the audio path and the delay it adds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    /// What the stage is, e.g. `"capture device"` or `"jitter buffer"`.
    pub name: String,
    /// The latency it adds, in milliseconds.
    pub added_ms: f64,
    /// The latency from the start of its path up to and including it, in milliseconds.
    pub total_ms: f64,
}

/// The send path (sender's microphone to the network) and the receive path (network to
/// speaker) of this engine, plus the sound server's playout buffer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyBudget {
    /// Capture, processing and encoding.
    pub send: Vec<Stage>,
    /// Jitter buffer, decoding and mixing, for the first peer with a received stream.
    pub receive: Vec<Stage>,
    /// The latency every output is scheduled with (the largest path in the pipeline).
    pub pipeline_ms: Option<f64>,
    /// Audio held by the output device's buffer (configured), in milliseconds.
    pub output_buffer_ms: f64,
}

impl Inner {
    pub(crate) fn latency_budget(&self) -> LatencyBudget {
        let send_points = [
            ("capture device", "capture-src"),
            ("format conversion", "capture-caps"),
            ("echo, noise, gain processing", "capture-dsp"),
            ("Opus encoder (frame + look-ahead)", "capture-opusenc"),
            ("RTP payloader", "capture-pay"),
        ];
        let send = stages(
            send_points
                .iter()
                .map(|(name, element)| (*name, self.pipeline.by_name(element))),
        );
        let receive = self.first_stream_bin().map_or_else(Vec::new, |bin| {
            let find = |factory: &str| {
                bin.iterate_recurse()
                    .into_iter()
                    .flatten()
                    .find(|e| e.factory().is_some_and(|f| f.name() == factory))
            };
            stages(
                [
                    ("jitter buffer", find("rtpjitterbuffer")),
                    ("RTP depayloader", find("rtpopusdepay")),
                    ("Opus decoder", find("opusdec")),
                    (
                        "stream queue",
                        find("queue").filter(|q| q.name() != "send-queue"),
                    ),
                    ("mixer", self.pipeline.by_name("playout-mixer")),
                    (
                        "echo probe",
                        self.pipeline.by_name(self.probe.as_deref().unwrap_or("-")),
                    ),
                    (
                        "output device (buffer, deadline)",
                        self.pipeline.by_name("playout-sink"),
                    ),
                ]
                .into_iter(),
            )
        });
        let mut query = gst::query::Latency::new();
        let pipeline_ms = self
            .pipeline
            .query(&mut query)
            .then(|| query.result())
            .filter(|(live, _, _)| *live)
            .map(|(_, min, _)| ms(min));
        LatencyBudget {
            send,
            receive,
            pipeline_ms,
            output_buffer_ms: f64::from(self.timing.device_buffer_ms),
        }
    }

    fn first_stream_bin(&self) -> Option<gst::Bin> {
        let state = self.lock();
        state
            .peers
            .values()
            .find(|entry| !entry.streams.is_empty())
            .map(|entry| entry.bin.clone())
    }
}

fn stages<'a>(points: impl Iterator<Item = (&'a str, Option<gst::Element>)>) -> Vec<Stage> {
    let mut out = Vec::new();
    let mut before = 0.0;
    for (name, element) in points {
        let Some(total) = element.as_ref().and_then(upstream_latency) else {
            continue;
        };
        out.push(Stage {
            name: name.to_owned(),
            added_ms: (total - before).max(0.0),
            total_ms: total,
        });
        before = total;
    }
    out
}

/// The minimum latency reported at an element's output, in milliseconds.
fn upstream_latency(element: &gst::Element) -> Option<f64> {
    let mut query = gst::query::Latency::new();
    let answered = match element.src_pads().into_iter().next() {
        Some(pad) => pad.query(&mut query),
        // A sink answers for itself: upstream plus its own buffer and processing deadline.
        None => element.query(&mut query),
    };
    answered.then(|| ms(query.result().1))
}

fn ms(time: gst::ClockTime) -> f64 {
    Duration::from_nanos(time.nseconds()).as_secs_f64() * 1000.0
}
