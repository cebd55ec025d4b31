'use strict';

import { Emitter } from '../emitter.js';
import { LocalizedError } from '../i18n/index.js';
import { backendMsg } from '../i18n/backend.js';
import { CLOSE } from '../protocol.js';

// The app transport: the backend holds the WebSocket (so it survives what a webview may not) and
// passes frames through IPC. Same interface as websocket.js:
//   connect(), send(obj), close(), on('open' | 'message' | 'close', fn) -> off
// Reconnecting with backoff happens in the backend; it reports it as the "reconnecting" kind.

function tauri() {
  const api = window.__TAURI__;
  if (!api?.core?.invoke || !api?.event?.listen) throw new LocalizedError('engine.bridge');
  return api;
}

export function isTauriAvailable() {
  return Boolean(window.__TAURI__?.core?.invoke);
}

export function invoke(command, args) {
  return tauri().core.invoke(command, args);
}

// Tauri rejects with whatever the command returned as its error: the backend's
// { code, message, params }, shown in the page's language, or a plain string.
export function errorText(err) {
  if (typeof err === 'string') return err;
  const known = backendMsg(err);
  if (known) return String(known);
  if (err?.message) return err.message;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

// An Error for a backend refusal that keeps its msg(), so a banner follows a language switch.
function backendError(err) {
  const error = new Error(errorText(err));
  const known = backendMsg(err);
  if (known) error.text = known;
  return error;
}

export function createTauriTransport({ address, room, name, key }) {
  const events = new Emitter();
  let unlisten = null;
  let seenOpen = false;
  let opened = false;
  let stopped = false;
  let leaving = null;

  function handleSignal({ payload }) {
    if (stopped || !payload) return;
    // join_room first closes any earlier socket, whose final "closed" arrives before our "open":
    // everything before our first "open" belongs to that earlier call.
    if (!seenOpen) {
      if (payload.kind === 'open') seenOpen = true;
      return;
    }
    switch (payload.kind) {
      case 'open':
        // The first open is reported when join_room resolves; later ones follow a reconnect.
        if (opened) events.emit('open', { reconnected: true });
        break;
      case 'message': {
        let msg;
        try {
          msg = JSON.parse(payload.text);
        } catch {
          console.warn('ignoring a frame that is not JSON');
          return;
        }
        if (msg && typeof msg === 'object' && !Array.isArray(msg)) events.emit('message', msg);
        break;
      }
      case 'reconnecting':
        events.emit('close', {
          code: payload.code ?? CLOSE.ABNORMAL,
          reason: payload.reason ?? '',
          willRetry: true,
          attempt: payload.attempt,
          delayMs: payload.delayMs,
        });
        break;
      case 'closed':
        stopped = true;
        events.emit('close', {
          code: payload.code ?? CLOSE.ABNORMAL,
          reason: payload.reason ?? '',
          error: payload.error,
          willRetry: false,
        });
        unlisten?.();
        break;
      default:
        break;
    }
  }

  return {
    kind: 'tauri',
    url: address,
    async connect() {
      const api = tauri();
      // Listen first: the welcome can arrive before join_room's reply does.
      unlisten = await api.event.listen('signal', handleSignal);
      try {
        await api.core.invoke('join_room', { address, room: room || null, name, key: key || null });
      } catch (err) {
        unlisten?.();
        unlisten = null;
        throw backendError(err);
      }
      if (stopped) throw new LocalizedError('session.leftWhileConnecting');
      opened = true;
      events.emit('open', { reconnected: false });
    },
    send(obj) {
      if (stopped) return false;
      tauri().core.invoke('send_signal', { text: JSON.stringify(obj) }).catch((err) => {
        console.warn('send_signal failed:', errorText(err));
      });
      return true;
    },
    // Resolves once the backend has closed the socket, so a following join cannot race it.
    close() {
      if (leaving) return leaving;
      stopped = true;
      unlisten?.();
      unlisten = null;
      events.clearListeners();
      leaving = window.__TAURI__
        ? tauri().core.invoke('leave_room').catch((err) => console.warn('leave_room failed:', errorText(err)))
        : Promise.resolve();
      return leaving;
    },
    on: (event, fn) => events.on(event, fn),
  };
}
