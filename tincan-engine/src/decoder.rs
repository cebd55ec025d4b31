//! The Opus decoder of a received stream: loss concealment and FEC, kept clear of two
//! GStreamer 1.22 flaws (tiny "lost" gaps that stall it, and the latency it overstates).

use crate::config::AudioTiming;
use crate::error::Result;
use gst::prelude::*;

/// An Opus decoder that conceals lost packets and, with `fec`, rebuilds them from the next
/// packet's FEC copy.
pub(crate) fn make_decoder(timing: AudioTiming) -> Result<gst::Element> {
    let dec = gst::ElementFactory::make("opusdec").build()?;
    dec.set_property("plc", true);
    dec.set_property("use-inband-fec", timing.fec);
    guard_tiny_gaps(&dec);
    if timing.fec {
        report_held_frame(&dec, timing.frame_ms);
    }
    Ok(dec)
}

/// With FEC, opusdec holds one packet back until the next arrives, but reports the 120 ms of
/// the longest possible Opus packet as its latency; every output would then be scheduled
/// 120 ms late. Our packets are one frame long, so one frame is what it adds.
fn report_held_frame(dec: &gst::Element, frame_ms: u32) {
    let Some(pad) = dec.static_pad("src") else {
        return;
    };
    let Some(sink) = dec.static_pad("sink") else {
        return;
    };
    let held = gst::ClockTime::from_mseconds(u64::from(frame_ms));
    pad.add_probe(
        gst::PadProbeType::QUERY_UPSTREAM | gst::PadProbeType::PULL,
        move |_, info| {
            let Some(gst::PadProbeData::Query(query)) = info.data.as_mut() else {
                return gst::PadProbeReturn::Ok;
            };
            if let gst::QueryViewMut::Latency(latency) = query.view_mut() {
                let mut upstream = gst::query::Latency::new();
                if sink.peer_query(&mut upstream) {
                    let (live, min, max) = upstream.result();
                    latency.set(live, min + held, max.map(|max| max + held));
                }
            }
            gst::PadProbeReturn::Ok
        },
    );
}

/// Drops "lost" gaps shorter than Opus can conceal. On a busy machine the jitter buffer
/// reports gaps a few hundred nanoseconds long at the start of a call. opusdec 1.22 skips such a
/// gap without finishing its frame, so each one leaves a stale frame in the decoder's queue
/// and shifts every later output timestamp a frame into the past; after a few, everything it
/// decodes is too late for the mixer and the stream stays silent for good. Nothing is missing
/// in a gap that short, so it is simply not passed on.
fn guard_tiny_gaps(dec: &gst::Element) {
    let Some(pad) = dec.static_pad("sink") else {
        return;
    };
    pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, |_, info| {
        let tiny = match &info.data {
            Some(gst::PadProbeData::Event(event)) => match event.view() {
                gst::EventView::Gap(gap) => gap.get().1.is_some_and(|d| d < MIN_CONCEALED),
                _ => false,
            },
            _ => false,
        };
        if tiny {
            // Taken and reported handled: the event ends here.
            info.data = None;
            gst::PadProbeReturn::Handled
        } else {
            gst::PadProbeReturn::Ok
        }
    });
}

/// The shortest stretch Opus conceals (its smallest frame).
const MIN_CONCEALED: gst::ClockTime = gst::ClockTime::from_useconds(2500);

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: gst::ClockTime = gst::ClockTime::from_mseconds(10);
    const FRAMES: u64 = 100;
    /// Gaps as short as the jitter buffer reports them on a busy machine.
    const TINY: gst::ClockTime = gst::ClockTime::from_nseconds(300);

    /// Opus packets of 10 ms, as the far side sends them, with their caps.
    fn encoded() -> (gst::Caps, Vec<gst::Buffer>) {
        gst::init().expect("gstreamer");
        let pipeline = gst::parse::launch(&format!(
            "audiotestsrc num-buffers={FRAMES} samplesperbuffer=480 ! \
             audio/x-raw,rate=48000,channels=1 ! \
             opusenc frame-size=10 inband-fec=true packet-loss-percentage=10 ! \
             appsink name=out sync=false"
        ))
        .expect("encoder pipeline")
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
        let sink = pipeline.by_name("out").expect("appsink");
        let sink = sink.downcast::<gst_app::AppSink>().expect("an appsink");
        pipeline.set_state(gst::State::Playing).expect("play");
        let mut caps = None;
        let mut buffers = Vec::new();
        while let Ok(sample) = sink.pull_sample() {
            caps = caps.or_else(|| sample.caps_owned());
            buffers.extend(sample.buffer_owned());
        }
        pipeline.set_state(gst::State::Null).expect("stop");
        (caps.expect("caps"), buffers)
    }

    /// Feeds the packets into `dec` with `gaps` tiny "lost" gaps early on, and returns the
    /// end of the last decoded buffer.
    fn decode_with_tiny_gaps(dec: gst::Element, gaps: u64) -> gst::ClockTime {
        let (caps, packets) = encoded();
        let pipeline = gst::Pipeline::new();
        let sink = gst_app::AppSink::builder()
            .sync(false)
            .async_(false)
            .wait_on_eos(false)
            .build();
        pipeline.add_many([&dec, sink.upcast_ref()]).expect("add");
        dec.link(&sink).expect("link");
        let src = gst::Pad::builder(gst::PadDirection::Src).build();
        src.set_active(true).expect("activate");
        src.link(&dec.static_pad("sink").expect("sink pad"))
            .expect("link source");
        pipeline.set_state(gst::State::Playing).expect("play");
        src.push_event(gst::event::StreamStart::new("opus"));
        src.push_event(gst::event::Caps::new(&caps));
        src.push_event(gst::event::Segment::new(&gst::FormattedSegment::<
            gst::ClockTime,
        >::new()));
        for (i, packet) in packets.into_iter().enumerate() {
            let i = i as u64;
            let pts = FRAME * i;
            if (1..=gaps).contains(&i) {
                src.push_event(gst::event::Gap::builder(pts).duration(TINY).build());
            }
            let mut packet = packet.copy();
            let buffer = packet.make_mut();
            buffer.set_pts(pts + TINY * i.min(gaps));
            buffer.set_duration(FRAME);
            src.push(packet).expect("decoder takes the packet");
        }
        src.push_event(gst::event::Eos::new());
        let mut end = gst::ClockTime::ZERO;
        while let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(2)) {
            let buffer = sample.buffer().expect("buffer");
            end = end.max(buffer.pts().expect("pts") + buffer.duration().expect("duration"));
        }
        pipeline.set_state(gst::State::Null).expect("stop");
        end
    }

    #[test]
    fn tiny_lost_gaps_shift_a_plain_concealing_decoder_into_the_past() {
        gst::init().expect("gstreamer");
        let dec = gst::ElementFactory::make("opusdec")
            .property("plc", true)
            .property("use-inband-fec", true)
            .build()
            .expect("opusdec");
        let end = decode_with_tiny_gaps(dec, 8);
        // This is the silence seen in calls: after a few gaps of 300 ns (GStreamer 1.22) the
        // decoder's frame queue is out of step and nothing more comes out.
        assert!(
            end < FRAME * (FRAMES / 2),
            "opusdec now decodes through tiny gaps (up to {end}); the guard may go"
        );
    }

    #[test]
    fn the_guarded_decoder_keeps_its_timeline_through_tiny_gaps() {
        gst::init().expect("gstreamer");
        for fec in [true, false] {
            let timing = AudioTiming {
                fec,
                ..crate::config::LatencyMode::Standard.timing()
            };
            let end = decode_with_tiny_gaps(make_decoder(timing).expect("decoder"), 8);
            // With FEC the decoder holds the last packet back until the next one comes.
            let expected = if fec {
                FRAME * (FRAMES - 1)
            } else {
                FRAME * FRAMES
            };
            assert!(
                end + gst::ClockTime::from_mseconds(1) >= expected,
                "fec {fec}: decoded audio ends at {end}, expected about {expected}"
            );
        }
    }
}
