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

// A LAN has bandwidth to spare; at the browser's default 32 kbps Opus speech loses detail.
export const OPUS_BITRATE = 64000;

export function createPeerConnection({ lowLatency = false, ...config } = {}) {
  const pc = new RTCPeerConnection(config);
  askForBitrate(pc, OPUS_BITRATE);
  if (lowLatency) tuneForLowLatency(pc);
  return pc;
}

// The encoder takes its bitrate from the far side's `maxaveragebitrate`; a far side that names
// none (another browser) is read as wanting `bitrate`.
function askForBitrate(pc, bitrate) {
  const setRemoteDescription = pc.setRemoteDescription.bind(pc);
  pc.setRemoteDescription = (description) => setRemoteDescription(
    description?.sdp ? { type: description.type, sdp: withOpusBitrate(description.sdp, bitrate) } : description,
  );
}

// Adds `maxaveragebitrate` to every Opus format line that names none.
export function withOpusBitrate(sdp, bitrate) {
  const opus = new Set([...sdp.matchAll(/^a=rtpmap:(\d+) opus\/48000/gim)].map((m) => m[1]));
  return sdp.replace(/^a=fmtp:(\d+) ([^\r\n]*)/gm, (line, pt, params) => (
    opus.has(pt) && !/maxaveragebitrate=/i.test(params) ? `${line};maxaveragebitrate=${bitrate}` : line
  ));
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
