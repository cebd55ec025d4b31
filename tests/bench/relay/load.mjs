'use strict';
// The load generator: a child process driven by `run.mjs` over Node's IPC channel. One process
// pumps messages, opens idle connections or churns; a second one runs the round-trip probe, so
// the probe's timestamps do not wait behind the pump's bursts in the same event loop.
//
// Requests are `{ id, cmd, ...args }`; every request gets one `{ id, result }` or
// `{ id, error }` back.

import { connect, sources as sourceList } from './adapters.mjs';

/// The signaling payload every server relays: an ICE candidate as `RTCIceCandidate.toJSON()`
/// gives it, plus a sequence number; about 300 bytes on the wire once wrapped.
export function payload(seq) {
  return {
    candidate:
      'candidate:3496474513 1 udp 1686052607 2001:db8:85a3:8d3:1319:8a2e:370:7348 53741 typ ' +
      'srflx raddr 2001:db8:85a3:8d3::17 rport 53741 generation 0 ufrag aBcD network-id 2 ' +
      'network-cost 10',
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: 'aBcD',
    seq,
  };
}

/// Pacing tick of the pump; each tick sends what is due since the start.
const TICK_MS = 5;

const state = {
  sources: sourceList(250),
  next: 0,
  idle: [],
  pairs: [],
  pump: null,
  probe: null,
  churn: null,
};

function source() {
  state.next = (state.next + 1) % state.sources.length;
  return state.sources[state.next];
}

/// Joins `count` clients, `batch` at a time, in rooms of `roomSize`.
async function openIdle({ kind, port, count, roomSize = 16, batch = 100 }) {
  let failed = 0;
  let firstError;
  const started = Date.now();
  for (let first = 0; first < count; first += batch) {
    const joins = [];
    for (let i = first; i < Math.min(count, first + batch); i += 1) {
      const room = `idle-${Math.floor(i / roomSize)}`;
      joins.push(connect(kind, port, { room, source: source() }));
    }
    for (const outcome of await Promise.allSettled(joins)) {
      if (outcome.status === 'fulfilled') state.idle.push(outcome.value);
      else {
        failed += 1;
        firstError ??= outcome.reason.message;
      }
    }
  }
  return { opened: state.idle.length, failed, firstError, ms: Date.now() - started };
}

async function closeIdle() {
  const clients = state.idle.splice(0);
  await Promise.all(clients.map((client) => client.close()));
  return { closed: clients.length };
}

/// Joins `pairs` sender/receiver pairs, each pair in a room of its own.
async function setupPump({ kind, port, pairs }) {
  for (let i = 0; i < pairs; i += 1) {
    const room = `pump-${i}`;
    const sender = await connect(kind, port, { room, source: source() });
    const receiver = await connect(kind, port, { room, source: source() });
    const pair = { sender, receiver, to: receiver.id, delivered: 0 };
    receiver.onSignal = () => {
      pair.delivered += 1;
    };
    state.pairs.push(pair);
  }
  return { pairs: state.pairs.length };
}

/// Sends `rate` messages per second in total, spread over the pairs.
function pumpAt({ rate }) {
  if (state.pump) clearInterval(state.pump.timer);
  state.pump = null;
  if (!rate) return { rate: 0 };
  const pump = { rate, started: performance.now(), sent: 0, timer: null };
  let turn = 0;
  pump.timer = setInterval(() => {
    const due = Math.floor(((performance.now() - pump.started) / 1000) * rate);
    for (; pump.sent < due; pump.sent += 1) {
      const pair = state.pairs[turn];
      turn = (turn + 1) % state.pairs.length;
      pair.sender.send(pair.to, payload(pump.sent));
    }
  }, TICK_MS);
  state.pump = pump;
  return { rate };
}

async function closePump() {
  pumpAt({ rate: 0 });
  const pairs = state.pairs.splice(0);
  await Promise.all(pairs.flatMap((pair) => [pair.sender.close(), pair.receiver.close()]));
  return { closed: pairs.length * 2 };
}

function counts() {
  const delivered = state.pairs.reduce((sum, pair) => sum + pair.delivered, 0);
  const probe = state.probe ? state.probe.delivered : 0;
  const cycles = state.churn ? state.churn.cycles : 0;
  return { delivered, probe, cycles, sent: state.pump ? state.pump.sent : 0 };
}

/// A ping-pong pair: `a` sends every `intervalMs`, `b` echoes, `a` times the round trip.
async function setupProbe({ kind, port }) {
  const a = await connect(kind, port, { room: 'probe', source: source() });
  const b = await connect(kind, port, { room: 'probe', source: source() });
  const probe = { a, b, timer: null, pending: new Map(), samples: [], delivered: 0, seq: 0 };
  b.onSignal = (from, body) => {
    probe.delivered += 1;
    b.send(from, body);
  };
  a.onSignal = (_from, body) => {
    probe.delivered += 1;
    const sent = probe.pending.get(body.seq);
    if (sent === undefined) return;
    probe.pending.delete(body.seq);
    probe.samples.push(performance.now() - sent);
  };
  state.probe = probe;
  return { ok: true };
}

function startProbe({ intervalMs }) {
  const probe = state.probe;
  probe.samples = [];
  probe.pending.clear();
  probe.timer = setInterval(() => {
    probe.seq += 1;
    probe.pending.set(probe.seq, performance.now());
    probe.a.send(probe.b.id, payload(probe.seq));
  }, intervalMs);
  return { ok: true };
}

function stopProbe() {
  const probe = state.probe;
  clearInterval(probe.timer);
  const samples = probe.samples.splice(0).sort((x, y) => x - y);
  const lost = probe.pending.size;
  probe.pending.clear();
  const at = (q) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)];
  if (!samples.length) return { n: 0, lost };
  return { n: samples.length, lost, p50: at(0.5), p99: at(0.99), max: samples.at(-1) };
}

async function closeProbe() {
  const probe = state.probe;
  state.probe = null;
  if (probe) await Promise.all([probe.a.close(), probe.b.close()]);
  return { ok: true };
}

/// `pool` clients in rooms of `roomSize`, each joining and leaving as fast as it can.
function startChurn({ kind, port, pool, roomSize = 4 }) {
  const churn = { running: true, cycles: 0, failed: 0, firstError: undefined, loops: [] };
  const loop = async (i) => {
    const room = `churn-${Math.floor(i / roomSize)}`;
    while (churn.running) {
      try {
        const client = await connect(kind, port, { room, source: source() });
        await client.close();
        churn.cycles += 1;
      } catch (err) {
        churn.failed += 1;
        churn.firstError ??= err.message;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  for (let i = 0; i < pool; i += 1) churn.loops.push(loop(i));
  state.churn = churn;
  return { ok: true };
}

async function stopChurn() {
  const churn = state.churn;
  churn.running = false;
  await Promise.all(churn.loops);
  state.churn = null;
  return { cycles: churn.cycles, failed: churn.failed, firstError: churn.firstError };
}

const commands = {
  openIdle,
  closeIdle,
  setupPump,
  pumpAt,
  closePump,
  counts,
  setupProbe,
  startProbe,
  stopProbe,
  closeProbe,
  startChurn,
  stopChurn,
  cpu: () => process.cpuUsage(),
};

if (process.send) {
  process.on('message', async ({ id, cmd, ...args }) => {
    try {
      const result = await commands[cmd](args);
      process.send({ id, result });
    } catch (err) {
      process.send({ id, error: err.message });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
