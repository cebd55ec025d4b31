// Safety codes: both ends of a connection show the same digits, derived from the certificates the
// connection uses; a relay that swaps a certificate fingerprint can never make them match. Run
// inside scripts/netns-run.sh (see run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import { joinServed, waitForConnectedPeers, waitForScreen, state, sleep } from './lib/call.mjs';
import { safetyCode, fingerprintsOf } from '../../ui/js/call/safety.js';

let browser;
useBrowser((launched) => { browser = launched; });

const withRelay = (options, fn) => withRelayIn(browser, options, fn);
const CODE = /^\d{4} \d{4} \d{4}$/;

test('the formula of docs/PROTOCOL.md, checked against a value worked out by hand', async () => {
  // printf 'tincan-safety-code/1\nlobby\n11:22:33\nAB:CD:EF' | sha256sum
  //   -> 7d881454f5400614...; 0x7d881454f5400614 mod 10^12 = 206698063380
  const ann = 'v=0\r\na=fingerprint:sha-256 ab:cd:EF\r\n';
  const bob = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:SHA-256 11:22:33\r\n';
  assert.equal(await safetyCode(ann, bob, 'lobby'), '2066 9806 3380');
  assert.equal(await safetyCode(bob, ann, 'lobby'), '2066 9806 3380', 'both ends get the same code');
  assert.notEqual(await safetyCode(ann, bob, 'kitchen'), '2066 9806 3380', 'the room is part of it');
  assert.equal(await safetyCode(ann, 'v=0\r\n', 'lobby'), null, 'no fingerprint, no code');
  assert.equal(await safetyCode(ann, 'a=fingerprint:sha-1 11:22:33\r\n', 'lobby'), null);
  assert.equal(fingerprintsOf('a=fingerprint:sha-256 bb:aa\na=fingerprint:sha-256 AA:BB\n'), 'AA:BB,BB:AA');
});

async function codeShown(page) {
  const locator = page.locator('.participant:not(.self) .p-safety-code');
  await locator.waitFor({ state: 'visible', timeout: 20000 });
  return locator.textContent();
}

test('both ends of a call show the same safety code', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const ann = await open({ tone: '1' });
    const bob = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    const [annSees, bobSees] = [await codeShown(ann), await codeShown(bob)];
    assert.match(annSees, CODE);
    assert.equal(annSees, bobSees, 'Ann and Bob read out the same digits');
    assert.equal((await state(ann)).peers[0].safetyCode, annSees);
  });
});

test('a relay that swaps a certificate fingerprint never gets matching codes', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const ann = await open({ tone: '1' });
    const bob = await open({ tone: '1' });
    // What reaches Bob from the relay has Ann's fingerprint replaced, as a relay in the middle
    // that terminates DTLS itself would have to do.
    let swapped = 0;
    await bob.routeWebSocket(/\/ws/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        const text = String(message);
        const forged = text.replace(/a=fingerprint:sha-256 [0-9A-Fa-f:]+/g, () => {
          swapped += 1;
          return `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`;
        });
        ws.send(forged);
      });
    });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForScreen(bob, 'call');
    // Give the connection every chance to come up.
    await sleep(12000);
    assert.ok(swapped > 0, 'the forged fingerprint reached Bob');
    const [annPeer] = (await state(ann)).peers;
    const [bobPeer] = (await state(bob)).peers;
    const codes = [annPeer?.safetyCode ?? null, bobPeer?.safetyCode ?? null];
    const connected = [annPeer?.connectionState, bobPeer?.connectionState];
    console.log(`states ${connected.join('/')}, codes ${codes.join(' / ')}`);
    assert.ok(codes[0] === null || codes[1] === null || codes[0] !== codes[1],
      `codes must never match through a forged fingerprint: ${codes.join(' / ')}`);
    assert.ok(!(connected[0] === 'connected' && connected[1] === 'connected' && codes[0] === codes[1]));
  });
});
