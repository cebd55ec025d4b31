'use strict';

// The web view's own WebRTC stack.

export const name = 'browser';

// Media is captured by the page (getUserMedia) and attached to each connection as tracks.
export const handlesMedia = false;

export function isAvailable() {
  return typeof window.RTCPeerConnection === 'function';
}

export function createPeerConnection(config) {
  return new RTCPeerConnection(config);
}
