// The page against tests/fixtures/protocol.json, the examples the relay's and the app's Rust
// tests read too: the codes and limits the page uses, and that its transports and call logic
// take every kind of message the relay sends or relays. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Emitter } from '../../ui/js/emitter.js';
import { checkRoom, parseAddress, relayUrl } from '../../ui/js/address.js';
import {
  CLOSE, DEFAULT_ROOM, ERROR, MAX_COMBINING_RUN, MAX_COMBINING_TOTAL, MAX_NAME_CHARS,
  MAX_ROOM_CHARS, PROTOCOL_VERSION, RECONNECT_CLOSE_CODES, REFUSALS, SERVER_TROUBLE_CLOSE_CODES,
  reconnectsAfter,
} from '../../ui/js/protocol.js';
import { CallSession, describeClose, describeServerError } from '../../ui/js/call/session.js';
import { createWebSocketTransport } from '../../ui/js/transport/websocket.js';
import { createTauriTransport } from '../../ui/js/transport/tauri.js';
import * as i18n from '../../ui/js/i18n/index.js';

const read = (path) => readFileSync(new URL(path, import.meta.url), 'utf8');
const fixture = JSON.parse(read('../fixtures/protocol.json'));
const closeNamed = (name) => fixture.closes.find((close) => close.name === name);
const refusals = fixture.errors.filter((error) => error.close !== null);
const relayErrors = fixture.fromRelay.filter((message) => message.type === 'error');
const isRefusalExample = (message) => refusals.some((error) => error.code === message.code);

// Lets every queued promise and timer of zero delay run.
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

// console.warn without the noise of the refusals and errors these tests provoke.
async function quietly(fn) {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

test('version, default room and name and room limits are the protocol\'s', () => {
  assert.equal(PROTOCOL_VERSION, fixture.protocol);
  assert.equal(DEFAULT_ROOM, fixture.defaultRoom);
  assert.equal(MAX_ROOM_CHARS, fixture.limits.maxRoomChars);
  assert.equal(MAX_NAME_CHARS, fixture.limits.maxNameChars);
  assert.equal(MAX_COMBINING_RUN, fixture.limits.maxCombiningRun);
  assert.equal(MAX_COMBINING_TOTAL, fixture.limits.maxCombiningTotal);

  const url = new URL(relayUrl(parseAddress('10.99.0.1'), { room: 'kitchen' }));
  assert.equal(url.searchParams.get('v'), String(fixture.protocol));
  assert.equal(checkRoom('r'.repeat(fixture.limits.maxRoomChars)), '');
  assert.notEqual(checkRoom('r'.repeat(fixture.limits.maxRoomChars + 1)), '');

  // The static page's own fields stop at the same lengths.
  const html = read('../../ui/index.html');
  const maxLength = (id) => Number(new RegExp(`id="${id}"[^>]*maxlength="(\\d+)"`).exec(html)?.[1]);
  assert.equal(maxLength('name-input'), fixture.limits.maxNameChars);
  assert.equal(maxLength('join-room'), fixture.limits.maxRoomChars);
});

test('the error and close codes the page names are the protocol\'s', () => {
  const codes = fixture.errors.map((error) => error.code);
  for (const code of Object.values(ERROR)) assert.ok(codes.includes(code), `${code} is a protocol error code`);
  for (const [name, code] of Object.entries(CLOSE)) {
    assert.equal(code, closeNamed(name)?.code, `close ${name}`);
  }
  // Exactly the refusals that end the connection, each with the close that follows it.
  const expected = Object.fromEntries(refusals.map((error) => [error.code, closeNamed(error.close).code]));
  assert.deepEqual({ ...REFUSALS }, expected);
});

test('the page reconnects by itself after exactly the closes the protocol marks "yes"', () => {
  for (const close of fixture.closes) {
    assert.equal(reconnectsAfter(close.code), close.reconnect === 'yes', `after ${close.code} ${close.name}`);
  }
  // Besides those, only the server-trouble codes a proxy in front of the relay may send.
  const fromFixture = fixture.closes.filter((close) => close.reconnect === 'yes').map((close) => close.code);
  assert.deepEqual(RECONNECT_CLOSE_CODES, new Set([...fromFixture, ...SERVER_TROUBLE_CLOSE_CODES]));
  for (const code of SERVER_TROUBLE_CLOSE_CODES) {
    assert.ok(!fixture.closes.some((close) => close.code === code), `${code} is no relay close`);
  }
});

test('each refusal is worded as itself, with or without its error message', () => {
  const generic = (message) => String(i18n.msg('session.refused', { reason: message.message }));
  for (const message of relayErrors.filter(isRefusalExample)) {
    const words = String(describeServerError(message));
    assert.notEqual(words, generic(message), `${message.code} has words of its own`);
    // The app's backend reports the relay's code in place of the close code.
    assert.equal(String(describeClose({ code: message.code, reason: message.message })), words);
    const close = closeNamed(refusals.find((error) => error.code === message.code).close);
    assert.notEqual(String(describeClose({ code: close.code, reason: close.reason })), String(i18n.msg('session.lostWhy', { reason: close.reason })));
  }
});

// Stands where the browser's WebSocket stands.
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static last = null;
  readyState = FakeSocket.CONNECTING;
  sent = [];
  #listeners = new Map();

  constructor(url) {
    this.url = url;
    FakeSocket.last = this;
  }

  addEventListener(type, fn) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, []);
    this.#listeners.get(type).push(fn);
  }

  #fire(type, event) {
    for (const fn of this.#listeners.get(type) ?? []) fn(event);
  }

  send(text) {
    this.sent.push(text);
  }

  close() {
    this.readyState = FakeSocket.CLOSED;
  }

  open() {
    this.readyState = FakeSocket.OPEN;
    this.#fire('open', {});
  }

  receive(message) {
    this.#fire('message', { data: JSON.stringify(message) });
  }

  closeWith(code, reason) {
    this.readyState = FakeSocket.CLOSED;
    this.#fire('close', { code, reason });
  }
}

async function openWebSocketTransport() {
  globalThis.WebSocket = FakeSocket;
  const transport = createWebSocketTransport({ address: '10.99.0.1', room: 'kitchen', name: 'Ann' });
  const connected = transport.connect();
  const socket = FakeSocket.last;
  socket.open();
  await connected;
  return { transport, socket };
}

// What the relay sends or relays, in an order a room can see: the relay's notices, the relayed
// call messages, then the errors.
const incoming = [
  ...fixture.fromRelay.filter((message) => message.type !== 'error'),
  ...fixture.fromClient.map((example) => example.receive),
  ...relayErrors,
];

test('the browser transport passes on every message the relay sends or relays', async () => {
  const { transport, socket } = await openWebSocketTransport();
  assert.match(socket.url, new RegExp(`[?&]v=${fixture.protocol}(&|$)`));
  const got = [];
  transport.on('message', (message) => got.push(message));
  for (const message of incoming) socket.receive(message);
  assert.deepEqual(got, incoming);
  await transport.close();
});

test('the browser transport reconnects after the closes the protocol says to, and not after a refusal or the end of the call', async () => {
  for (const close of fixture.closes) {
    const { transport, socket } = await openWebSocketTransport();
    const ends = [];
    transport.on('close', (end) => ends.push(end));
    socket.closeWith(close.code, close.reason ?? '');
    assert.equal(ends.length, 1);
    assert.equal(ends[0].willRetry, close.reconnect === 'yes', `after ${close.code} ${close.name}`);
    await transport.close();
  }
  for (const code of SERVER_TROUBLE_CLOSE_CODES) {
    const { transport, socket } = await openWebSocketTransport();
    const ends = [];
    transport.on('close', (end) => ends.push(end));
    socket.closeWith(code, '');
    assert.equal(ends[0].willRetry, true, `after ${code}`);
    await transport.close();
  }
  for (const message of relayErrors.filter(isRefusalExample)) {
    const { transport, socket } = await openWebSocketTransport();
    const ends = [];
    transport.on('close', (end) => ends.push(end));
    socket.receive(message);
    const close = closeNamed(refusals.find((error) => error.code === message.code).close);
    socket.closeWith(close.code, close.reason);
    assert.equal(ends[0].willRetry, false, `after ${message.code}`);
    // Even when the close itself gets lost, the refusal alone says not to come back.
    const again = await openWebSocketTransport();
    const after = [];
    again.transport.on('close', (end) => after.push(end));
    again.socket.receive(message);
    again.socket.closeWith(closeNamed('ABNORMAL').code, '');
    assert.equal(after[0].willRetry, false, `after ${message.code} and a lost close`);
    await transport.close();
    await again.transport.close();
  }
});

test('the app transport passes on every frame the backend forwards', async () => {
  let deliver = null;
  globalThis.window = {
    __TAURI__: {
      core: { invoke: async () => null },
      event: {
        listen: async (name, fn) => {
          assert.equal(name, 'signal');
          deliver = fn;
          return () => {};
        },
      },
    },
  };
  try {
    const transport = createTauriTransport({ address: '10.99.0.1:47800', room: 'kitchen', name: 'Ann' });
    await transport.connect();
    const got = [];
    transport.on('message', (message) => got.push(message));
    deliver({ payload: { kind: 'open' } });
    for (const message of incoming) deliver({ payload: { kind: 'message', text: JSON.stringify(message) } });
    assert.deepEqual(got, incoming);
    await transport.close();
  } finally {
    delete globalThis.window;
  }
});

// A transport that hands the session what the test gives it.
function fakeTransport() {
  const events = new Emitter();
  const sent = [];
  return {
    sent,
    deliver: (message) => events.emit('message', structuredClone(message)),
    transport: {
      kind: 'fake',
      async connect() {
        events.emit('open', { reconnected: false });
      },
      send(message) {
        sent.push(message);
        return true;
      },
      close: () => Promise.resolve(),
      on: (event, fn) => events.on(event, fn),
    },
  };
}

// An engine whose connections record what reaches them, standing where the browser's
// RTCPeerConnection or the native adapter stands.
function recordingEngine() {
  const offer = fixture.fromClient.find((example) => example.send.type === 'offer').send.sdp;
  const answer = fixture.fromClient.find((example) => example.send.type === 'answer').send.sdp;
  return {
    name: 'browser',
    handlesMedia: true,
    createPeerConnection: () => ({
      signalingState: 'stable',
      connectionState: 'new',
      remoteDescription: null,
      localDescription: null,
      applied: [],
      candidates: [],
      async setRemoteDescription(description) {
        this.applied.push(description);
        this.remoteDescription = description;
        this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
      },
      async setLocalDescription() {
        const answering = this.signalingState === 'have-remote-offer';
        this.localDescription = answering ? { type: 'answer', sdp: answer } : { type: 'offer', sdp: offer };
        this.signalingState = answering ? 'stable' : 'have-local-offer';
      },
      async addIceCandidate(candidate) {
        this.candidates.push(candidate);
      },
      async getStats() {
        return new Map();
      },
      restartIce() {},
      close() {},
    }),
  };
}

async function joinedSession() {
  const { transport, deliver, sent } = fakeTransport();
  const session = new CallSession({ transport, engine: recordingEngine(), localMedia: null, rtcConfig: {} });
  const ended = [];
  session.on('ended', (end) => ended.push(end));
  const started = session.start();
  const welcome = fixture.fromRelay.find((message) => message.type === 'welcome');
  deliver(welcome);
  await started;
  return { session, deliver, sent, ended, welcome };
}

test('a call takes every kind of message the relay sends or relays', () => quietly(async () => {
  const { session, deliver, sent, ended, welcome } = await joinedSession();
  const handled = new Set(['welcome']);
  assert.equal(session.selfId, welcome.id);
  assert.equal(session.room, welcome.room);
  assert.equal(session.state, 'in-call');
  assert.deepEqual([...session.peers.keys()], welcome.peers.map((peer) => peer.id));
  // The newcomer offers to everyone already there (the browser asks for it once tracks are added).
  for (const peer of session.peers.values()) peer.pc.onnegotiationneeded();
  await settle();
  assert.deepEqual(sent.filter((m) => m.type === 'offer').map((m) => m.to), welcome.peers.map((peer) => peer.id));

  for (const message of fixture.fromRelay.filter((m) => m.type !== 'welcome' && m.type !== 'error')) {
    deliver(message);
    await settle();
    handled.add(message.type);
    if (message.type === 'peer-joined') {
      assert.equal(session.peers.get(message.id)?.name, message.name);
    } else if (message.type === 'peer-left') {
      assert.equal(session.peers.has(message.id), false);
    } else {
      assert.fail(`no check for "${message.type}" from the relay`);
    }
  }

  for (const { receive: message } of fixture.fromClient) {
    const answers = sent.filter((m) => m.type === 'answer').length;
    deliver(message);
    await settle();
    handled.add(message.type);
    const peer = session.peers.get(message.from);
    assert.ok(peer, `a peer for ${message.from}`);
    if (message.type === 'offer' || message.type === 'answer') {
      assert.deepEqual(peer.pc.applied.at(-1), { type: message.type, sdp: message.sdp });
      if (message.type === 'offer') {
        assert.equal(sent.filter((m) => m.type === 'answer').length, answers + 1);
        assert.equal(sent.at(-1).to, message.from);
      }
    } else if (message.type === 'candidate') {
      assert.deepEqual(peer.pc.candidates.at(-1), message.candidate);
    } else if (message.type === 'mute') {
      assert.equal(peer.remoteMuted, message.muted);
    } else {
      assert.fail(`no check for relayed "${message.type}"`);
    }
  }

  // Errors that leave the connection open leave the call going.
  for (const message of relayErrors.filter((m) => !isRefusalExample(m))) {
    deliver(message);
    handled.add(message.type);
  }
  assert.equal(session.state, 'in-call');
  assert.deepEqual(ended, []);

  const kinds = new Set([...fixture.fromRelay, ...fixture.fromClient.map((e) => e.receive)].map((m) => m.type));
  assert.deepEqual(handled, kinds);
  await session.close();
}));

test('a refusal ends the call with its own words', () => quietly(async () => {
  for (const message of relayErrors.filter(isRefusalExample)) {
    const { session, deliver, ended } = await joinedSession();
    deliver(message);
    assert.equal(ended.length, 1, message.code);
    assert.equal(String(ended[0].message), String(describeServerError(message)));
    assert.equal(session.state, 'ended');
  }
}));
