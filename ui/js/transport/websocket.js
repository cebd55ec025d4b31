'use strict';

import { Emitter } from '../emitter.js';
import { LocalizedError, msg } from '../i18n/index.js';
import { parseAddress, relayUrl } from '../address.js';
import { CLOSE, ERROR, isRefusal, reconnectsAfter } from '../protocol.js';

// The browser transport: one plain WebSocket to the relay. It has the same interface as the app's
// transport (tauri.js) so the call logic cannot tell them apart:
//   connect() -> Promise (resolves on the first open, rejects with a sentence for the user)
//   send(obj), close(), on('open' | 'message' | 'close', fn) -> off
// 'close' carries {code, reason, willRetry, attempt?, delayMs?}.

const CONNECT_TIMEOUT_MS = 5000;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 8000;
const RETRY_LIMIT = 12;
// A page cannot see the relay's WebSocket pings, and a connection whose packets stop getting
// through (a half-open TCP connection) raises no event for minutes. So after a quiet spell the
// page sends a message addressed to itself, which the relay answers with `unknown-peer` without
// touching anyone else; when no frame at all arrives for a while after that, the socket is given
// up and a new one tried.
const PROBE_AFTER_MS = 5000;
const ANSWER_WITHIN_MS = 8000;
const LIVENESS_CHECK_MS = 1000;
// A check that comes this late means the page itself was not running (a starved or suspended
// tab): frames may be waiting behind the timer, so the relay's silence is not counted for that
// time.
const FROZEN_AFTER_MS = 3000;
const PROBE_TYPE = 'probe';

export function createWebSocketTransport({ address, room, name, key }) {
  const target = parseAddress(address);
  if (!target.ok) throw new Error(target.error);
  // A page served over https may only open wss:// (and its host serves both on one port).
  const secure = globalThis.location?.protocol === 'https:';
  const url = relayUrl(target, { room, name, key, secure });
  const events = new Emitter();
  let socket = null;
  let everOpened = false;
  let stopped = false;
  let finalError = null;
  let attempt = 0;
  let retryTimer = null;
  let selfId = null;
  // The relay's secret for the current connection: a reconnect presents it to take that
  // connection's place and id, so the calls go on, even in a room that is full with us in it.
  let resume = null;
  // Sockets given up as silent but not closed yet: closing one would tell the relay we left,
  // and it might hear that before the reconnect that takes the old place over.
  const abandoned = new Set();
  let heardAt = 0;
  let probedAt = null;
  let checkedAt = 0;
  let livenessTimer = null;

  function describeFailure(detail) {
    return new LocalizedError('session.unreachable', { address: target.address, url: url.replace(/\?.*$/, ''), reason: detail });
  }

  function openSocket() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(resume ? `${url}&resume=${encodeURIComponent(resume)}` : url);
      socket = ws;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        ws.close();
        reject(describeFailure(msg('session.noAnswerWithin', { seconds: CONNECT_TIMEOUT_MS / 1000 })));
      }, CONNECT_TIMEOUT_MS);

      ws.addEventListener('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        watchLiveness(ws);
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
          reject(describeFailure(msg('session.refusedOrNothing')));
          return;
        }
        if (ws === socket) handleClose(ev.code, ev.reason);
      });
    });
  }

  function watchLiveness(ws) {
    heardAt = Date.now();
    checkedAt = heardAt;
    probedAt = null;
    selfId = null;
    clearInterval(livenessTimer);
    livenessTimer = setInterval(() => checkLiveness(ws), LIVENESS_CHECK_MS);
  }

  function stopLiveness() {
    clearInterval(livenessTimer);
    livenessTimer = null;
  }

  function checkLiveness(ws) {
    if (ws !== socket) {
      stopLiveness();
      return;
    }
    const now = Date.now();
    const frozen = now - checkedAt - LIVENESS_CHECK_MS;
    checkedAt = now;
    if (frozen > FROZEN_AFTER_MS - LIVENESS_CHECK_MS) {
      heardAt += frozen;
      if (probedAt !== null) probedAt += frozen;
      return;
    }
    if (probedAt !== null && now - probedAt > ANSWER_WITHIN_MS) {
      // Closing politely would wait on the dead connection; set it aside and start afresh.
      stopLiveness();
      socket = null;
      abandoned.add(ws);
      ws.addEventListener('close', () => abandoned.delete(ws));
      handleClose(CLOSE.ABNORMAL, msg('session.silentFor', { seconds: Math.round((now - heardAt) / 1000) }));
      return;
    }
    if (probedAt === null && selfId && now - heardAt > PROBE_AFTER_MS && ws.readyState === WebSocket.OPEN) {
      probedAt = now;
      ws.send(JSON.stringify({ type: PROBE_TYPE, to: selfId }));
    }
  }

  // The relay's answer to our own probe: `unknown-peer` naming our id.
  function isProbeAnswer(msg) {
    return msg.type === 'error' && msg.code === ERROR.UNKNOWN_PEER && selfId !== null
      && typeof msg.message === 'string' && msg.message.includes(`"${selfId}"`);
  }

  function handleFrame(text) {
    heardAt = Date.now();
    probedAt = null;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn('ignoring a frame that is not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    if (msg.type === 'welcome' && typeof msg.id === 'string') {
      selfId = msg.id;
      resume = typeof msg.resume === 'string' ? msg.resume : null;
      closeAbandoned();
    }
    if (isProbeAnswer(msg)) return;
    if (msg.type === 'error' && isRefusal(msg.code)) finalError = msg.code;
    events.emit('message', msg);
  }

  function closeAbandoned() {
    for (const old of abandoned) old.close();
    abandoned.clear();
  }

  function handleClose(code, reason) {
    socket = null;
    stopLiveness();
    const retry = !stopped && !finalError && reconnectsAfter(code) && attempt < RETRY_LIMIT;
    if (!retry) {
      stopped = true;
      closeAbandoned();
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
        socket?.close(CLOSE.NORMAL);
        return;
      }
      attempt = 0;
      events.emit('open', { reconnected: true });
    } catch {
      if (stopped) return;
      if (attempt >= RETRY_LIMIT) {
        stopped = true;
        closeAbandoned();
        events.emit('close', { code: CLOSE.ABNORMAL, reason: msg('session.gaveUp', { count: RETRY_LIMIT }), willRetry: false });
      } else {
        scheduleRetry(CLOSE.ABNORMAL, 'reconnect failed');
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
        socket?.close(CLOSE.NORMAL);
        throw new LocalizedError('session.leftWhileConnecting');
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
      stopLiveness();
      clearTimeout(retryTimer);
      retryTimer = null;
      const ws = socket;
      socket = null;
      if (ws && ws.readyState <= WebSocket.OPEN) ws.close(CLOSE.NORMAL, 'left the call');
      closeAbandoned();
      events.clearListeners();
      return Promise.resolve();
    },
    on: (event, fn) => events.on(event, fn),
  };
}
