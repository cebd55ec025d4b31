//! Per-peer numbers for the UI: RTP counters from webrtcbin's `get-stats` and audio levels from
//! the `level` elements, named like the browser's RTCStats fields.

use crate::events::{AudioLevel, ConnectionState};
use serde::Serialize;

/// Levels below this many dBFS count as silence.
pub const SILENCE_DB: f64 = -60.0;

/// Running audio measurements of one stream, fed by `level` messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelStats {
    /// The latest reading, if any arrived yet.
    pub last: Option<AudioLevel>,
    /// Sum of audioLevel² × seconds, like the browser's `totalAudioEnergy`.
    pub total_audio_energy: f64,
    /// Seconds of audio measured, like the browser's `totalSamplesDuration`.
    pub total_samples_duration: f64,
    /// Clock time of the first reading above [`SILENCE_DB`], in nanoseconds.
    pub first_sound_ns: Option<u64>,
}

impl LevelStats {
    /// Adds one reading covering `seconds` of audio.
    pub fn record(&mut self, level: AudioLevel, seconds: f64) {
        self.total_audio_energy += level.audio_level * level.audio_level * seconds;
        self.total_samples_duration += seconds;
        if self.first_sound_ns.is_none() && level.rms_db > SILENCE_DB {
            self.first_sound_ns = Some(level.clock_time_ns);
        }
        self.last = Some(level);
    }
}

/// What one peer connection reports, flat so the adapter can build its RTCStatsReport.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerStats {
    /// The remote peer.
    pub peer_id: String,
    /// RTCPeerConnectionState.
    pub connection_state: ConnectionState,
    /// inbound-rtp packetsReceived.
    pub packets_received: u64,
    /// inbound-rtp bytesReceived.
    pub bytes_received: u64,
    /// inbound-rtp packetsLost (may be negative with duplicates, as in RTCP).
    pub packets_lost: i64,
    /// inbound-rtp jitter, seconds.
    pub jitter: Option<f64>,
    /// outbound-rtp packetsSent.
    pub packets_sent: u64,
    /// outbound-rtp bytesSent.
    pub bytes_sent: u64,
    /// remote-inbound-rtp roundTripTime, seconds, once RTCP reported it.
    pub round_trip_time: Option<f64>,
    /// remote-inbound-rtp fractionLost, 0..1.
    pub fraction_lost: Option<f64>,
    /// Latest received audio level, linear 0..1 (inbound-rtp audioLevel).
    pub audio_level: f64,
    /// Latest received RMS level in dBFS.
    pub level_db: f64,
    /// inbound-rtp totalAudioEnergy.
    pub total_audio_energy: f64,
    /// inbound-rtp totalSamplesDuration, seconds.
    pub total_samples_duration: f64,
}

impl PeerStats {
    /// Stats with zero counters and the given levels.
    pub(crate) fn new(peer_id: &str, state: ConnectionState, level: &LevelStats) -> Self {
        let last = level.last;
        PeerStats {
            peer_id: peer_id.to_owned(),
            connection_state: state,
            packets_received: 0,
            bytes_received: 0,
            packets_lost: 0,
            jitter: None,
            packets_sent: 0,
            bytes_sent: 0,
            round_trip_time: None,
            fraction_lost: None,
            audio_level: last.map_or(0.0, |l| l.audio_level),
            level_db: last.map_or(f64::NEG_INFINITY, |l| l.rms_db).max(-200.0),
            total_audio_energy: level.total_audio_energy,
            total_samples_duration: level.total_samples_duration,
        }
    }

    /// Adds the RTP numbers found in a webrtcbin `get-stats` reply.
    pub(crate) fn absorb(&mut self, report: &gst::StructureRef) {
        use gst_webrtc::WebRTCStatsType as T;
        for (_, value) in report.iter() {
            let Ok(entry) = value.get::<gst::Structure>() else {
                continue;
            };
            let Ok(kind) = entry.get::<T>("type") else {
                continue;
            };
            match kind {
                T::InboundRtp => {
                    self.packets_received += uint(&entry, "packets-received");
                    self.bytes_received += uint(&entry, "bytes-received");
                    self.packets_lost += int(&entry, "packets-lost");
                    self.jitter = float(&entry, "jitter").or(self.jitter);
                }
                T::OutboundRtp => {
                    self.packets_sent += uint(&entry, "packets-sent");
                    self.bytes_sent += uint(&entry, "bytes-sent");
                }
                T::RemoteInboundRtp => {
                    self.round_trip_time =
                        float(&entry, "round-trip-time").or(self.round_trip_time);
                    self.fraction_lost = float(&entry, "fraction-lost").or(self.fraction_lost);
                }
                _ => {}
            }
        }
    }
}

fn uint(s: &gst::Structure, field: &str) -> u64 {
    s.get::<u64>(field)
        .ok()
        .or_else(|| s.get::<u32>(field).ok().map(u64::from))
        .unwrap_or(0)
}

fn int(s: &gst::Structure, field: &str) -> i64 {
    s.get::<i64>(field)
        .ok()
        .or_else(|| s.get::<i32>(field).ok().map(i64::from))
        .unwrap_or(0)
}

fn float(s: &gst::Structure, field: &str) -> Option<f64> {
    s.get::<f64>(field).ok()
}

/// Reads a `level` element message into a reading and the seconds it covers.
pub(crate) fn parse_level(s: &gst::StructureRef, clock_time_ns: u64) -> Option<(AudioLevel, f64)> {
    let loudest = |field: &str| -> Option<f64> {
        let values = s.get::<gst::glib::ValueArray>(field).ok()?;
        values
            .iter()
            .filter_map(|v| v.get::<f64>().ok())
            .reduce(f64::max)
    };
    let rms_db = loudest("rms")?;
    let peak_db = loudest("peak").unwrap_or(rms_db);
    let seconds = s
        .get::<gst::ClockTime>("duration")
        .map(|d| d.nseconds() as f64 / 1e9)
        .unwrap_or(0.0);
    let audio_level = if peak_db.is_finite() {
        10f64.powf(peak_db / 20.0).min(1.0)
    } else {
        0.0
    };
    Some((
        AudioLevel {
            rms_db,
            peak_db,
            audio_level,
            clock_time_ns,
        },
        seconds,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_accumulates_like_the_browser() {
        let mut stats = LevelStats::default();
        let quiet = AudioLevel {
            rms_db: -90.0,
            peak_db: -80.0,
            audio_level: 0.0,
            clock_time_ns: 1,
        };
        let loud = AudioLevel {
            rms_db: -9.0,
            peak_db: -6.0,
            audio_level: 0.5,
            clock_time_ns: 2,
        };
        stats.record(quiet, 0.1);
        assert_eq!(stats.first_sound_ns, None);
        stats.record(loud, 0.1);
        stats.record(loud, 0.1);
        assert!((stats.total_audio_energy - 0.05).abs() < 1e-9);
        assert!((stats.total_samples_duration - 0.3).abs() < 1e-9);
        assert_eq!(stats.first_sound_ns, Some(2));
    }
}
