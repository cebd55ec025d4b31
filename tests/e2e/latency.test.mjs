// Low-latency mode in the browser engine: the page asks the far side for 10 ms packets and the
// far side sends them; in the standard mode Chromium keeps its 20 ms packets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, measureInbound, stats, sleep,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

// Packets per second each side sends, measured over a second of a connected call.
async function packetRates(params) {
  let rates;
  await withRelayIn(browser, {}, async ({ open }) => {
    const ann = await open(params);
    const bob = await open(params);
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    await sleep(500);
    const before = await Promise.all([ann, bob].map(async (p) => (await stats(p))[0].packetsSent));
    const started = Date.now();
    await sleep(2000);
    const after = await Promise.all([ann, bob].map(async (p) => (await stats(p))[0].packetsSent));
    const seconds = (Date.now() - started) / 1000;
    rates = after.map((n, i) => (n - before[i]) / seconds);
    const heard = await measureInbound(bob, 'Ann', 1000);
    assert.ok(heard.packets > 0 && heard.totalEnergy > 0, 'audio flows');
  });
  return rates;
}

test('low latency: both sides send 10 ms packets', { timeout: 60000 }, async () => {
  const rates = await packetRates({ 'low-latency': '1' });
  for (const rate of rates) assert.ok(rate > 85, `about 100 packets/s expected, got ${rates.map(Math.round)}`);
});

test('standard mode keeps the 20 ms packets Chromium chooses', { timeout: 60000 }, async () => {
  const rates = await packetRates({});
  for (const rate of rates) assert.ok(rate < 60, `about 50 packets/s expected, got ${rates.map(Math.round)}`);
});
