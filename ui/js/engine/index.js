'use strict';

import * as browserEngine from './browser.js';
import { LocalizedError } from '../i18n/index.js';

// Picks the peer-connection engine. The browser engine is used whenever the web view has WebRTC;
// the native engine (native.js, driven through the app backend) covers web views that lack it and
// can be forced for diagnosis. An engine module exports:
//   name                      'browser' | 'native'
//   isAvailable()             whether it can work here
//   createPeerConnection(cfg) an RTCPeerConnection, or an object with the subset listed in
//                             docs/ARCHITECTURE.md (offer/answer, candidates, states, getStats,
//                             restartIce, close, and the on* handlers)
//   handlesMedia              false: the page captures and plays audio (getUserMedia, <audio>);
//                             true: the engine captures and plays audio itself, and also exports
//   openLocalMedia(options)   -> {muted, isTone, track: null, deviceId, setMuted(bool), level() 0..1,
//                                 reopen(options), close()}; options = {settings, deviceId, tone}
// A native connection may also offer setVolume(0..1) for the per-participant volume; speaking
// levels then come from the audioLevel of its inbound-rtp stats.


async function loadNativeEngine() {
  try {
    const engine = await import('./native.js');
    return engine.isAvailable?.() ? engine : null;
  } catch {
    return null;
  }
}

export async function pickEngine({ forceNative = false } = {}) {
  if (forceNative || !browserEngine.isAvailable()) {
    const native = await loadNativeEngine();
    if (native) return native;
    if (!browserEngine.isAvailable()) throw new LocalizedError('engine.noWebrtc');
    if (forceNative) {
      throw new LocalizedError('engine.nativeMissing');
    }
  }
  return browserEngine;
}
