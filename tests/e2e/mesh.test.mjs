// The biggest call: a full mesh of eight people (28 connections), and a ninth turned away.
//
// Every page runs its own encoders and decoders, so this test carries a whole room's work on one
// machine: measured with Chromium 156, a page costs about 15 % of a core with one other person and
// 22 % with four, almost all of it in Chromium's audio and WebRTC threads. Eight pages need more
// than two cores, six take nearly both, and a starved page stops reading its socket until the
// relay drops it. Below four cores the room is five people (10 connections, the same negotiation
// between every pair), and the sixth is turned away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, waitForBanner, state, stats, sleep,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

const SIZE = availableParallelism() >= 4 ? 8 : 5;
const PAIRS = (SIZE * (SIZE - 1)) / 2;

test('a full room forms a full mesh and the next person is told the room is full', { timeout: 240000 }, async (t) => {
  t.diagnostic(`${SIZE} people, ${PAIRS} connections, on ${availableParallelism()} cores`);
  await withRelayIn(browser, { maxPeers: SIZE }, async ({ open }) => {
    const pages = [];
    for (let i = 1; i <= SIZE; i += 1) {
      const page = await open({ tone: '1' }, { viewport: { width: 800, height: 600 } });
      await joinServed(page, { name: `P${i}` });
      await waitForScreen(page, 'call', 30000);
      pages.push(page);
    }
    await Promise.all(pages.map((p) => waitForConnectedPeers(p, SIZE - 1, 120000)));
    const states = await Promise.all(pages.map(state));
    const ids = new Set(states.map((s) => s.selfId));
    assert.equal(ids.size, SIZE);
    const pairs = new Set();
    for (const s of states) {
      for (const p of s.peers) {
        assert.ok(ids.has(p.id));
        pairs.add([s.selfId, p.id].sort().join('|'));
      }
    }
    assert.equal(pairs.size, PAIRS, `all ${PAIRS} pairs are connected`);
    // The last to connect may not have sent its first packet yet: give each stream a few seconds.
    for (const page of pages) {
      const deadline = Date.now() + 10000;
      let silent = [];
      do {
        const heard = await stats(page);
        assert.equal(heard.length, SIZE - 1, 'still in the call with everyone');
        silent = heard.filter((s) => !(s.packetsReceived > 0)).map((s) => s.name);
        if (silent.length) await sleep(250);
      } while (silent.length && Date.now() < deadline);
      assert.deepEqual(silent, [], 'everyone is heard');
    }

    const extra = await open({ tone: '1' });
    await joinServed(extra, { name: `P${SIZE + 1}` });
    await waitForBanner(extra, /room full/);
    assert.equal((await state(extra)).screen, 'home');
    // Nobody inside noticed.
    assert.equal((await state(pages[0])).peers.length, SIZE - 1);
  });
});
