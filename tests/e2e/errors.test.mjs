// Every way a call can be refused or end shows its message in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRelay } from './lib/relay.mjs';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import { chromium } from 'playwright-core';
import { loadApp, CHROMIUM, CHROMIUM_ARGS } from './lib/browser.mjs';
import {
  joinServed, joinAddress, waitForConnectedPeers, waitForScreen, waitForBanner, state, bannerText,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

const withRelay = (options, fn) => withRelayIn(browser, options, fn);


// A port on loopback with nothing listening: bind, note it, close.
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a wrong passcode is refused in words, the right one gets in', { timeout: 60000 }, async () => {
  await withRelay({ key: 'open-sesame' }, async ({ open }) => {
    const ann = await open();
    await joinServed(ann, { name: 'Ann', key: 'guess' });
    await waitForBanner(ann, /wrong passcode/);
    const s = await state(ann);
    assert.equal(s.screen, 'home');
    assert.equal(s.busy, false, 'the form is usable again');
    assert.equal(await ann.getAttribute('#banner', 'aria-live'), 'assertive');

    await ann.fill('#join-key', 'open-sesame');
    await ann.click('#join-served-button');
    await waitForScreen(ann, 'call');
  });
});

test('a full room turns the next person away', { timeout: 60000 }, async () => {
  await withRelay({ maxPeers: 2 }, async ({ open }) => {
    const ann = await open({ tone: '1' });
    const bob = await open({ tone: '1' });
    const cy = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await joinServed(cy, { name: 'Cy' });
    await waitForBanner(cy, /room full/);
    assert.equal((await state(cy)).screen, 'home');
    // The two inside are undisturbed.
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
  });
});

test('joining an address where nothing listens fails quickly with a message', { timeout: 30000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const port = await closedPort();
    const ann = await open();
    const started = Date.now();
    await joinAddress(ann, { name: 'Ann', address: `127.0.0.1:${port}` });
    await waitForBanner(ann, /could not reach/, 6000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 6000, `failed within a few seconds (${elapsed} ms)`);
    const text = await bannerText(ann);
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${port}`), 'says which address');
    assert.match(text, new RegExp(`ws://127\\.0\\.0\\.1:${port}/ws`), 'says what was tried');
    assert.equal((await state(ann)).screen, 'home');
  });
});

test('bad addresses are explained next to the field', { timeout: 30000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const ann = await open();
    await joinAddress(ann, { name: 'Ann', address: '192.168.1.300' });
    assert.match(await ann.textContent('#join-address-error'), /not a valid IPv4 address/);
    assert.equal(await ann.getAttribute('#join-address', 'aria-invalid'), 'true');
    await ann.fill('#join-address', '10.0.0.1:99999');
    await ann.click('#join-button');
    assert.match(await ann.textContent('#join-address-error'), /1 to 65535/);
    await ann.fill('#name-input', '');
    await ann.click('#join-served-button');
    assert.match(await ann.textContent('#name-error'), /Enter your name/);
    assert.equal((await state(ann)).screen, 'home');
  });
});

test('when the host stops, everyone returns home with "the host ended the call"', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ relay, open }) => {
    const pages = [];
    for (const name of ['Ann', 'Bob', 'Cy']) {
      const page = await open({ tone: '1' });
      await joinServed(page, { name });
      await waitForScreen(page, 'call');
      pages.push(page);
    }
    await Promise.all(pages.map((p) => waitForConnectedPeers(p, 2)));
    // The relay handles SIGTERM: it closes every socket with 1001 and exits cleanly.
    const { code } = await relay.stop('SIGTERM');
    assert.equal(code, 0);
    for (const page of pages) {
      await waitForScreen(page, 'home', 10000);
      await waitForBanner(page, /the host ended the call/);
      const s = await state(page);
      assert.equal(s.peers.length, 0, 'every connection is closed');
      assert.equal(s.callState, null);
    }
  });
});

// Real refusals: without the auto-accepting permission UI Chromium denies the prompt, and without
// the fake device this machine has no microphone at all.
for (const { flag, pattern, what } of [
  { flag: '--use-fake-ui-for-media-stream', pattern: /microphone access was denied/, what: 'a denied microphone' },
  { flag: '--use-fake-device-for-media-stream', pattern: /no microphone was found/, what: 'a missing microphone' },
]) {
  test(`${what} is explained`, { timeout: 30000 }, async () => {
    const relay = await startRelay();
    const strict = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => a !== flag) });
    try {
      const page = await (await strict.newContext()).newPage();
      await loadApp(page, relay.page());
      await joinServed(page, { name: 'Ann' });
      await waitForBanner(page, pattern);
      assert.match(await bannerText(page), /Test my audio/, 'offers the test tone instead');
      assert.equal((await state(page)).screen, 'home');
    } finally {
      await strict.close();
      await relay.stop();
    }
  });
}

test('a web view without WebRTC says so plainly', { timeout: 30000 }, async () => {
  await withRelay({}, async ({ relay }) => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(() => {
        delete window.RTCPeerConnection;
        delete window.webkitRTCPeerConnection;
      });
      const page = await context.newPage();
      await loadApp(page, relay.page());
      await waitForBanner(page, /no WebRTC; calls need the native audio engine/);
      await joinServed(page, { name: 'Ann' });
      await waitForBanner(page, /no WebRTC/);
      assert.equal((await state(page)).screen, 'home');
    } finally {
      await context.close();
    }
  });
});
