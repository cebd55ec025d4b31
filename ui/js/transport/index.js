'use strict';

import { createWebSocketTransport } from './websocket.js';
import { createTauriTransport, isTauriAvailable } from './tauri.js';

// In the app the backend owns the signaling socket; in a browser the page opens it itself.
export function createTransport(options) {
  return isTauriAvailable() ? createTauriTransport(options) : createWebSocketTransport(options);
}
