//! Session descriptions and ICE candidates in the shapes the browser's RTCPeerConnection uses.

use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The `type` of an RTCSessionDescription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// An offer.
    Offer,
    /// A provisional answer.
    Pranswer,
    /// A final answer.
    Answer,
    /// Undo the pending description (not supported by webrtcbin 1.22).
    Rollback,
}

impl SdpType {
    /// The browser's name for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            SdpType::Offer => "offer",
            SdpType::Pranswer => "pranswer",
            SdpType::Answer => "answer",
            SdpType::Rollback => "rollback",
        }
    }

    pub(crate) fn to_gst(self) -> gst_webrtc::WebRTCSDPType {
        match self {
            SdpType::Offer => gst_webrtc::WebRTCSDPType::Offer,
            SdpType::Pranswer => gst_webrtc::WebRTCSDPType::Pranswer,
            SdpType::Answer => gst_webrtc::WebRTCSDPType::Answer,
            SdpType::Rollback => gst_webrtc::WebRTCSDPType::Rollback,
        }
    }

    pub(crate) fn from_gst(kind: gst_webrtc::WebRTCSDPType) -> Option<Self> {
        match kind {
            gst_webrtc::WebRTCSDPType::Offer => Some(SdpType::Offer),
            gst_webrtc::WebRTCSDPType::Pranswer => Some(SdpType::Pranswer),
            gst_webrtc::WebRTCSDPType::Answer => Some(SdpType::Answer),
            gst_webrtc::WebRTCSDPType::Rollback => Some(SdpType::Rollback),
            _ => None,
        }
    }
}

impl fmt::Display for SdpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SdpType {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "offer" => Ok(SdpType::Offer),
            "pranswer" => Ok(SdpType::Pranswer),
            "answer" => Ok(SdpType::Answer),
            "rollback" => Ok(SdpType::Rollback),
            other => Err(EngineError::InvalidDescriptionType(other.to_owned())),
        }
    }
}

/// An RTCSessionDescriptionInit: `{"type": "offer", "sdp": "v=0..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDescription {
    /// Offer, answer, pranswer or rollback.
    #[serde(rename = "type")]
    pub kind: SdpType,
    /// The SDP text (empty for a rollback).
    #[serde(default)]
    pub sdp: String,
}

impl SessionDescription {
    /// A description of the given type.
    pub fn new(kind: SdpType, sdp: impl Into<String>) -> Self {
        SessionDescription {
            kind,
            sdp: sdp.into(),
        }
    }

    pub(crate) fn to_gst(&self) -> Result<gst_webrtc::WebRTCSessionDescription> {
        let message = gst_sdp::SDPMessage::parse_buffer(self.sdp.as_bytes())
            .map_err(|_| EngineError::InvalidSdp("the SDP text could not be parsed".into()))?;
        Ok(gst_webrtc::WebRTCSessionDescription::new(
            self.kind.to_gst(),
            message,
        ))
    }

    pub(crate) fn from_gst(desc: &gst_webrtc::WebRTCSessionDescription) -> Result<Self> {
        let kind = SdpType::from_gst(desc.type_())
            .ok_or_else(|| EngineError::InvalidDescriptionType(format!("{:?}", desc.type_())))?;
        let sdp = desc
            .sdp()
            .as_text()
            .map_err(|e| EngineError::InvalidSdp(e.to_string()))?;
        Ok(SessionDescription { kind, sdp })
    }
}

/// An RTCIceCandidateInit: `{"candidate", "sdpMid", "sdpMLineIndex"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceCandidateInit {
    /// The `candidate:...` attribute text; empty means end of candidates.
    #[serde(default)]
    pub candidate: String,
    /// The media stream identification of the m-line it belongs to.
    #[serde(default)]
    pub sdp_mid: Option<String>,
    /// The index of the m-line it belongs to.
    #[serde(default)]
    pub sdp_m_line_index: Option<u32>,
}

/// The `a=mid` value of each m-line of an SDP text, in order.
pub(crate) fn media_ids(sdp: &str) -> Vec<Option<String>> {
    let mut mids: Vec<Option<String>> = Vec::new();
    for line in sdp.lines() {
        if line.starts_with("m=") {
            mids.push(None);
        } else if let Some(mid) = line.strip_prefix("a=mid:") {
            if let Some(last) = mids.last_mut() {
                *last = Some(mid.trim().to_owned());
            }
        }
    }
    mids
}

/// Renames the `a=mid` of each m-line (and the BUNDLE group) to `mids`, in order. A rebuilt
/// connection must keep the m-line identities the other side already knows.
/// Asks the far side to send audio in packets of `ms` (RFC 4566 `a=ptime`), which browsers
/// follow for Opus; an audio section that already names a ptime keeps it.
pub(crate) fn with_ptime(sdp: &str, ms: u32) -> String {
    let mut out = String::with_capacity(sdp.len() + 32);
    let mut in_audio = false;
    let mut has_ptime = false;
    let flush = |out: &mut String, in_audio: bool, has_ptime: bool| {
        if in_audio && !has_ptime {
            out.push_str(&format!("a=ptime:{ms}\r\n"));
        }
    };
    for line in sdp.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        if body.starts_with("m=") {
            flush(&mut out, in_audio, has_ptime);
            in_audio = body.starts_with("m=audio ");
            has_ptime = false;
        } else if body.starts_with("a=ptime:") {
            has_ptime = true;
        }
        out.push_str(line);
    }
    flush(&mut out, in_audio, has_ptime);
    out
}

pub(crate) fn rewrite_media_ids(sdp: &str, mids: &[Option<String>]) -> String {
    let current = media_ids(sdp);
    let renamed = |mid: &str| -> String {
        current
            .iter()
            .position(|m| m.as_deref() == Some(mid))
            .and_then(|i| mids.get(i).cloned().flatten())
            .unwrap_or_else(|| mid.to_owned())
    };
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        if let Some(mid) = body.strip_prefix("a=mid:") {
            out.push_str("a=mid:");
            out.push_str(&renamed(mid.trim()));
        } else if let Some(group) = body.strip_prefix("a=group:BUNDLE") {
            out.push_str("a=group:BUNDLE");
            for mid in group.split_whitespace() {
                out.push(' ');
                out.push_str(&renamed(mid));
            }
        } else {
            out.push_str(body);
        }
        out.push_str(ending);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_for_the_packet_time_in_every_audio_section_once() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n\
                   m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ptime:20\r\n";
        assert_eq!(
            with_ptime(sdp, 10),
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ptime:10\r\n\
             m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n\
             m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ptime:20\r\n"
        );
    }

    #[test]
    fn candidate_uses_browser_field_names() {
        let json = r#"{"candidate":"candidate:1 1 UDP 1 10.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"#;
        let c: IceCandidateInit = serde_json::from_str(json).expect("parse");
        assert_eq!(c.sdp_m_line_index, Some(0));
        assert_eq!(c.sdp_mid.as_deref(), Some("0"));
        assert_eq!(serde_json::to_string(&c).expect("serialise"), json);
    }

    #[test]
    fn description_round_trips_type_field() {
        let d: SessionDescription =
            serde_json::from_str(r#"{"type":"answer","sdp":"v=0"}"#).expect("parse");
        assert_eq!(d.kind, SdpType::Answer);
        assert!(serde_json::to_string(&d)
            .expect("serialise")
            .contains(r#""type":"answer""#));
        assert!("bogus".parse::<SdpType>().is_err());
    }

    #[test]
    fn media_ids_can_be_renamed() {
        let sdp = "v=0\r\na=group:BUNDLE audio0\r\nm=audio 9 X 111\r\na=mid:audio0\r\n";
        let out = rewrite_media_ids(sdp, &[Some("0".into())]);
        assert_eq!(
            out,
            "v=0\r\na=group:BUNDLE 0\r\nm=audio 9 X 111\r\na=mid:0\r\n"
        );
        assert_eq!(rewrite_media_ids(sdp, &[]), sdp);
    }

    #[test]
    fn media_ids_follow_m_lines() {
        let sdp = "v=0\r\nm=audio 9 X 111\r\na=mid:0\r\nm=video 9 X 96\r\nm=audio 9 X 111\r\na=mid:a2\r\n";
        assert_eq!(
            media_ids(sdp),
            vec![Some("0".into()), None, Some("a2".into())]
        );
    }
}
