'use strict';

// The web view's own WebRTC stack.

export const name = 'browser';

// Media is captured by the page (getUserMedia) and attached to each connection as tracks.
export const handlesMedia = false;

// Opus packets in low-latency mode; Chromium sends no shorter ones.
const LOW_LATENCY_PTIME_MS = 10;

export function isAvailable() {
  return typeof window.RTCPeerConnection === 'function';
}

export function createPeerConnection({ lowLatency = false, ...config } = {}) {
  const pc = new RTCPeerConnection(config);
  if (lowLatency) tuneForLowLatency(pc);
  return pc;
}

// The jitter buffer starts at its floor, and the encoder sends short packets: it takes its
// packet time from the far side's description, so `a=ptime` is asked for there.
function tuneForLowLatency(pc) {
  const setRemoteDescription = pc.setRemoteDescription.bind(pc);
  pc.setRemoteDescription = (description) => setRemoteDescription(
    description?.sdp ? { type: description.type, sdp: withPtime(description.sdp, LOW_LATENCY_PTIME_MS) } : description,
  );
  pc.addEventListener('track', (ev) => {
    if ('jitterBufferTarget' in ev.receiver) ev.receiver.jitterBufferTarget = 0;
  });
}

// Adds `a=ptime:ms` to every audio section that names none.
export function withPtime(sdp, ms) {
  const sections = sdp.split(/\r\n(?=m=)/);
  return sections.map((section) => {
    if (!section.startsWith('m=audio ') || /\r\na=ptime:/.test(section)) return section;
    const body = section.replace(/(\r\n)*$/, '');
    const tail = section.slice(body.length);
    return `${body}\r\na=ptime:${ms}${tail}`;
  }).join('\r\n');
}
