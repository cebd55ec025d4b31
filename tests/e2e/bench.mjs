// Call set-up times, measured in real Chromium pages through a real relay, inside the network
// namespace:
//   cargo build -p tincan-relay && scripts/netns-run.sh node tests/e2e/bench.mjs [--runs N] [--mesh-runs M]
// 1. Two people: from the second person pressing Join to their first inbound audio packet
//    (getStats polled in the page every 10 ms).
// 2. Eight people: from the eighth person pressing Join to all 28 pairs connected (each page
//    records when each of its connections reached "connected").
import { parseArgs } from 'node:util';
import os from 'node:os';
import { startRelay } from './lib/relay.mjs';
import { launchBrowser, openParticipant } from './lib/browser.mjs';
import { joinServed, waitForConnectedPeers, waitForScreen, state } from './lib/call.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'mesh-runs': { type: 'string', default: '2' } },
});
const RUNS = Number(values.runs);
const MESH_RUNS = Number(values['mesh-runs']);

function summary(label, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const list = samples.map((v) => Math.round(v)).join(', ');
  console.log(`${label}: median ${Math.round(median)} ms, min ${Math.round(sorted[0])}, max ${Math.round(sorted.at(-1))} (runs: ${list})`);
}

// Resolves with the wall-clock time of the first inbound audio packet on this page.
function firstInboundPacket(page) {
  return page.evaluate(async () => {
    for (;;) {
      const all = await window.tincan.stats();
      if (all.some((s) => s.packetsReceived > 0)) return performance.timeOrigin + performance.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
}

async function twoPeople(browser) {
  const relay = await startRelay();
  const contexts = [];
  try {
    const ann = await openParticipant(browser, relay.page());
    const bob = await openParticipant(browser, relay.page());
    contexts.push(ann.context(), bob.context());
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await bob.fill('#name-input', 'Bob');
    const first = firstInboundPacket(bob);
    await bob.click('#join-served-button');
    const at = await first;
    const { joinPressedAt } = await state(bob);
    return at - joinPressedAt;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
    await relay.stop();
  }
}

async function eightPeople(browser) {
  const relay = await startRelay({ maxPeers: 8 });
  const pages = [];
  try {
    for (let i = 1; i <= 8; i += 1) {
      pages.push(await openParticipant(browser, relay.page({ tone: '1' }), { viewport: { width: 800, height: 600 } }));
    }
    for (const [i, page] of pages.slice(0, 7).entries()) {
      await joinServed(page, { name: `P${i + 1}` });
      await waitForScreen(page, 'call');
    }
    await Promise.all(pages.slice(0, 7).map((p) => waitForConnectedPeers(p, 6, 120000)));
    const eighth = pages[7];
    await eighth.fill('#name-input', 'P8');
    await eighth.click('#join-served-button');
    await Promise.all(pages.map((p) => waitForConnectedPeers(p, 7, 120000)));
    const states = await Promise.all(pages.map(state));
    const pressed = states[7].joinPressedAt;
    const connectedAt = states.flatMap((s) => s.peers.map((p) => p.connectedAt));
    const pairs = new Set(states.flatMap((s) => s.peers.map((p) => [s.selfId, p.id].sort().join('|'))));
    if (pairs.size !== 28) throw new Error(`expected 28 pairs, saw ${pairs.size}`);
    const own = states[7].peers.map((p) => Math.round(p.connectedAt - pressed)).sort((a, b) => a - b);
    console.log(`  8th: welcome after ${Math.round(states[7].welcomedAt - pressed)} ms; its 7 connections at ${own.join(', ')} ms`);
    return Math.max(...connectedAt) - pressed;
  } finally {
    await Promise.all(pages.map((p) => p.context().close()));
    await relay.stop();
  }
}

// Other work on the machine slows Chromium down a lot; print the load so numbers can be judged.
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`${os.cpus().length} CPUs, load average ${load()}`);
const browser = await launchBrowser();
try {
  const two = [];
  for (let i = 0; i < RUNS; i += 1) two.push(await twoPeople(browser));
  summary('2 people, Join pressed -> first inbound audio packet', two);
  const eight = [];
  for (let i = 0; i < MESH_RUNS; i += 1) eight.push(await eightPeople(browser));
  summary('8 people, 8th Join pressed -> all 28 pairs connected', eight);
  console.log(`load average afterwards ${load()}`);
} finally {
  await browser.close();
}
