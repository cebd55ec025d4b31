'use strict';

import { Emitter } from '../emitter.js';
import { parseAddress, relayUrl } from '../address.js';

// The browser transport: one plain WebSocket to the relay. It has the same interface as the app's
// transport (tauri.js) so the call logic cannot tell them apart:
//   connect() -> Promise (resolves on the first open, rejects with a sentence for the user)
//   send(obj), close(), on('open' | 'message' | 'close', fn) -> off
// 'close' carries {code, reason, willRetry, attempt?, delayMs?}.

const CONNECT_TIMEOUT_MS = 5000;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 8000;
const RETRY_LIMIT = 12;
// After these errors the relay closes the socket on purpose; trying again would fail the same way.
const FINAL_ERRORS = new Set(['bad-key', 'room-full', 'version-mismatch', 'relay-full']);
// The relay's close codes for those refusals (wrong passcode, room full, version, relay full), and
// 1001 for "host ended the call".
const FINAL_CLOSE_CODES = new Set([1001, 4001, 4003, 4009, 4013]);

export function createWebSocketTransport({ address, room, name, key }) {
  const target = parseAddress(address);
  if (!target.ok) throw new Error(target.error);
  const url = relayUrl(target, { room, name, key });
  const events = new Emitter();
  let socket = null;
  let everOpened = false;
  let stopped = false;
  let finalError = null;
  let attempt = 0;
  let retryTimer = null;

  function describeFailure(detail) {
    return `Could not reach ${target.address} (tried ${url.replace(/\?.*$/, '')}): ${detail}.`;
  }

  function openSocket() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(url);
      socket = ws;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        ws.close();
        reject(new Error(describeFailure(`no answer within ${CONNECT_TIMEOUT_MS / 1000} seconds`)));
      }, CONNECT_TIMEOUT_MS);

      ws.addEventListener('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ws);
      });
      ws.addEventListener('message', (ev) => {
        if (ws !== socket) return;
        handleFrame(ev.data);
      });
      ws.addEventListener('close', (ev) => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          // The browser hides the cause of a failed handshake; say what we know.
          reject(new Error(describeFailure('the connection was refused or nothing is listening there')));
          return;
        }
        if (ws === socket) handleClose(ev.code, ev.reason);
      });
    });
  }

  function handleFrame(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn('ignoring a frame that is not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    if (msg.type === 'error' && FINAL_ERRORS.has(msg.code)) finalError = msg.code;
    events.emit('message', msg);
  }

  function handleClose(code, reason) {
    socket = null;
    const retry = !stopped && !finalError && !FINAL_CLOSE_CODES.has(code) && attempt < RETRY_LIMIT;
    if (!retry) {
      stopped = true;
      events.emit('close', { code, reason, willRetry: false, error: finalError });
      return;
    }
    scheduleRetry(code, reason);
  }

  function scheduleRetry(code, reason) {
    attempt += 1;
    const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
    // Jitter keeps a room full of peers from reconnecting in lockstep after a blip.
    const delayMs = Math.round(backoff * (0.75 + Math.random() * 0.5));
    events.emit('close', { code, reason, willRetry: true, attempt, delayMs });
    retryTimer = setTimeout(reconnect, delayMs);
  }

  async function reconnect() {
    retryTimer = null;
    if (stopped) return;
    try {
      await openSocket();
      if (stopped) {
        socket?.close(1000);
        return;
      }
      attempt = 0;
      events.emit('open', { reconnected: true });
    } catch {
      if (stopped) return;
      if (attempt >= RETRY_LIMIT) {
        stopped = true;
        events.emit('close', { code: 1006, reason: `gave up after ${RETRY_LIMIT} attempts to reconnect`, willRetry: false });
      } else {
        scheduleRetry(1006, 'reconnect failed');
      }
    }
  }

  return {
    kind: 'websocket',
    url,
    async connect() {
      if (everOpened) throw new Error('already connected');
      await openSocket();
      everOpened = true;
      if (stopped) {
        socket?.close(1000);
        throw new Error('The call was left while connecting.');
      }
      events.emit('open', { reconnected: false });
    },
    send(obj) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(obj));
      return true;
    },
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      retryTimer = null;
      const ws = socket;
      socket = null;
      if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'left the call');
      events.clearListeners();
      return Promise.resolve();
    },
    on: (event, fn) => events.on(event, fn),
  };
}
