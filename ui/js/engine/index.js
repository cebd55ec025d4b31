'use strict';

import * as browserEngine from './browser.js';

// Picks the peer-connection engine. The browser engine is used whenever the web view has WebRTC;
// the native engine (native.js, driven through the app backend) covers web views that lack it and
// can be forced for diagnosis. An engine module exports:
//   name, isAvailable(), createPeerConnection(config), handlesMedia
// and, when handlesMedia is true, openLocalMedia(options) returning the local-media interface of
// ../call/media.js (the backend captures and plays audio itself).

export const NO_WEBRTC_MESSAGE =
  "This system's web view has no WebRTC; calls need the native audio engine.";

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
    if (!browserEngine.isAvailable()) throw new Error(NO_WEBRTC_MESSAGE);
    if (forceNative) {
      throw new Error('The native audio engine is not available in this build; turn off "Use native audio engine" in Settings.');
    }
  }
  return browserEngine;
}
