'use strict';
// One client API over three signaling servers, so the same load runs against each:
// Tincan's relay (docs/PROTOCOL.md), the PeerJS server and matchbox_server.
//
// A client is `await connect(kind, port, { room, source })`; it has `id`, `joined` (the
// server's join confirmation), `send(to, payload)`, `close()` (resolves once the socket is
// closed), `onSignal = (from, payload) => {}`, `onEvent = (message) => {}` for everything else
// the server sends, and `onClose = () => {}`. `payload` is the same JS object for every server; only the envelope
// around it differs.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { deps } from './paths.mjs';

// Loaded on first use: `ws` is installed by `prepare` (servers.mjs) when the benchmark starts,
// after this module has been imported.
let wsModule = null;
function webSocketClass() {
  wsModule ??= createRequire(`${deps}/package.json`)('ws');
  return wsModule;
}

/// How long a join may take before it counts as failed.
const JOIN_TIMEOUT_MS = 15000;

let counter = 0;

/// Client-chosen ids (PeerJS lets the client pick its id and token).
function freshId(prefix) {
  counter += 1;
  return `${prefix}${counter.toString(36)}${randomBytes(3).toString('hex')}`;
}

// Each protocol: the URL to open, how to recognise the join confirmation (returns the id or
// undefined), how to wrap a payload for `to`, how to unwrap a relayed signal, and the
// keepalive it expects from its clients.
const protocols = {
  tincan: {
    url: (port, room) => `ws://127.0.0.1:${port}/ws/${room}?name=bench&v=1`,
    joined: (msg) => (msg.type === 'welcome' ? msg.id : undefined),
    wrap: (to, payload) => JSON.stringify({ type: 'candidate', candidate: payload, to }),
    unwrap: (msg) => (msg.type === 'candidate' ? [msg.from, msg.candidate] : undefined),
    // The relay pings; `ws` answers with pongs by itself.
    keepalive: null,
  },
  peerjs: {
    url(port) {
      const id = freshId('p');
      return `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=${freshId('t')}`;
    },
    joined: (msg, url) => (msg.type === 'OPEN' ? new URL(url).searchParams.get('id') : undefined),
    wrap: (dst, payload) => JSON.stringify({ type: 'CANDIDATE', dst, payload }),
    unwrap: (msg) => (msg.type === 'CANDIDATE' ? [msg.src, msg.payload] : undefined),
    // The PeerJS client sends a heartbeat every 5 s; the server drops silent clients.
    keepalive: { ms: 5000, text: JSON.stringify({ type: 'HEARTBEAT' }) },
  },
  matchbox: {
    url: (port, room) => `ws://127.0.0.1:${port}/${room}`,
    joined: (msg) => msg.IdAssigned,
    wrap: (receiver, data) => JSON.stringify({ Signal: { receiver, data } }),
    unwrap: (msg) => (msg.Signal ? [msg.Signal.sender, msg.Signal.data] : undefined),
    // matchbox_socket sends a KeepAlive request every 10 s by default.
    keepalive: { ms: 10000, text: JSON.stringify('KeepAlive') },
  },
};

/// The server kinds this module speaks.
export const kinds = Object.keys(protocols);

/// The frame a client of `kind` sends for `payload` (for reporting frame sizes).
export function sampleFrame(kind, payload) {
  const to = kind === 'matchbox' ? '67e55044-10b1-426f-9247-bb680e5fe0c8' : 'c0ffee123456';
  return protocols[kind].wrap(to, payload);
}

/// Opens a client and resolves once the server has confirmed the join.
export function connect(kind, port, { room = 'bench', source } = {}) {
  const protocol = protocols[kind];
  if (!protocol) throw new Error(`unknown server kind ${kind}`);
  const url = protocol.url(port, room);
  const WebSocket = webSocketClass();
  const ws = new WebSocket(url, { localAddress: source, perMessageDeflate: false });
  const client = {
    id: undefined,
    joined: undefined,
    ws,
    onSignal: () => {},
    onEvent: () => {},
    onClose: () => {},
    send(to, payload) {
      ws.send(protocol.wrap(to, payload));
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', resolve);
        ws.close();
      });
    },
  };
  let timer = null;
  let keepalive = null;
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`${kind} join: ${why}`));
    };
    timer = setTimeout(() => fail('timed out'), JOIN_TIMEOUT_MS);
    ws.on('error', (err) => {
      if (client.id === undefined) fail(err.message);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      if (keepalive) clearInterval(keepalive);
      if (client.id === undefined) reject(new Error(`${kind} join: closed before joining`));
      else client.onClose();
    });
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (client.id === undefined) {
        const id = protocol.joined(msg, url);
        if (id === undefined) return;
        client.id = id;
        client.joined = msg;
        clearTimeout(timer);
        if (protocol.keepalive) {
          const { ms, text } = protocol.keepalive;
          keepalive = setInterval(() => ws.send(text), ms);
        }
        resolve(client);
        return;
      }
      const signal = protocol.unwrap(msg);
      if (signal) client.onSignal(signal[0], signal[1]);
      else client.onEvent(msg);
    });
  });
}

/// Loopback source addresses to spread connections over (127.0.1.1, 127.0.1.2, ...), so that
/// per-address connection caps and ephemeral port ranges do not shape the results.
export function sources(count) {
  const list = [];
  for (let i = 0; i < count; i += 1) {
    list.push(`127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  }
  return list;
}
