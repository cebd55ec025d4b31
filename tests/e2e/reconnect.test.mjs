// When signaling drops without a goodbye, pages reconnect with backoff and rebuild the call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn } from './lib/harness.mjs';
import { startRelay } from './lib/relay.mjs';
import { launchBrowser } from './lib/browser.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, waitForBanner, measureInbound, state, sleep,
} from './lib/call.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a relay crash is survived: reconnect, new ids, call rebuilt', { timeout: 90000 }, async () => {
  await withRelayIn(browser, {}, async ({ relay, open, replaceRelay }) => {
    const ann = await open({ tone: '1' });
    const bob = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    const before = await state(ann);

    // SIGKILL: no close frame, so the pages see an unexpected drop, not "host ended the call".
    await relay.stop('SIGKILL');
    await waitForBanner(ann, /lost the connection to the host; trying again/);
    assert.equal((await state(ann)).screen, 'call', 'the call stays up while reconnecting');
    // The peer connections do not need the relay: audio keeps flowing meanwhile.
    const during = await measureInbound(bob, 'Ann', 1000);
    assert.ok(during.packets > 20 && during.rms > 0.05, 'audio flows while signaling is down');

    await sleep(500);
    const again = await startRelay({ port: relay.port });
    replaceRelay(again);
    await ann.waitForFunction((old) => window.tincan.state().selfId !== old && window.tincan.state().callState === 'in-call',
      before.selfId, { timeout: 30000 });
    await waitForConnectedPeers(ann, 1, 30000);
    await waitForConnectedPeers(bob, 1, 30000);
    const after = await state(ann);
    assert.notEqual(after.selfId, before.selfId, 'a fresh welcome gave a new id');
    assert.equal(after.peers[0].name, 'Bob');
    assert.ok(after.peers[0].id !== before.peers[0].id, 'the peer was rebuilt under its new id');
    const heard = await measureInbound(bob, 'Ann', 1000);
    assert.ok(heard.rms > 0.05, 'audio after the rebuild');
  });
});
