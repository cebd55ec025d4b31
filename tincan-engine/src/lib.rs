//! Native WebRTC audio engine (placeholder).
