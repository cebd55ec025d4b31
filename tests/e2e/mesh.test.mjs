// The biggest call: eight people in a full mesh (28 connections), and a ninth turned away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, waitForBanner, state, stats, sleep,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

test('eight people form a full mesh and the ninth is told the room is full', { timeout: 240000 }, async () => {
  await withRelayIn(browser, { maxPeers: 8 }, async ({ open }) => {
    const pages = [];
    for (let i = 1; i <= 8; i += 1) {
      const page = await open({ tone: '1' }, { viewport: { width: 800, height: 600 } });
      await joinServed(page, { name: `P${i}` });
      await waitForScreen(page, 'call', 30000);
      pages.push(page);
    }
    await Promise.all(pages.map((p) => waitForConnectedPeers(p, 7, 120000)));
    const states = await Promise.all(pages.map(state));
    const ids = new Set(states.map((s) => s.selfId));
    assert.equal(ids.size, 8);
    const pairs = new Set();
    for (const s of states) {
      for (const p of s.peers) {
        assert.ok(ids.has(p.id));
        pairs.add([s.selfId, p.id].sort().join('|'));
      }
    }
    assert.equal(pairs.size, 28, 'all 28 pairs are connected');
    // The last to connect may not have sent its first packet yet: give each stream a few seconds.
    for (const page of pages) {
      const deadline = Date.now() + 10000;
      let silent = [];
      do {
        const heard = await stats(page);
        assert.equal(heard.length, 7, 'still in the call with everyone');
        silent = heard.filter((s) => !(s.packetsReceived > 0)).map((s) => s.name);
        if (silent.length) await sleep(250);
      } while (silent.length && Date.now() < deadline);
      assert.deepEqual(silent, [], 'everyone is heard');
    }

    const ninth = await open({ tone: '1' });
    await joinServed(ninth, { name: 'P9' });
    await waitForBanner(ninth, /room full/);
    assert.equal((await state(ninth)).screen, 'home');
    // Nobody inside noticed.
    assert.equal((await state(pages[0])).peers.length, 7);
  });
});
