// Recovering from failures: signaling dropping without a goodbye (reconnect with backoff and
// rebuild), and the media path dropping (ICE restart on both sides at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import { startRelay } from './lib/relay.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, waitForBanner, measureInbound, state, stats, sleep,
} from './lib/call.mjs';
import { setAddresses } from './lib/netns.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

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

test('a network outage: both sides restart ICE at once and the call comes back', { timeout: 90000 }, async () => {
  await withRelayIn(browser, {}, async ({ open }) => {
    const ann = await open({ tone: '1' });
    const bob = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    const ufrag = (await stats(ann))[0].iceUfrag;
    try {
      setAddresses(false);
      // Both ends notice, wait out the grace period and restart ICE, so their offers collide:
      // perfect negotiation has to settle it.
      for (const page of [ann, bob]) {
        await page.waitForFunction(() => window.tincan.state().peers[0]?.restarts >= 1, null, { timeout: 30000 });
      }
      assert.equal((await state(ann)).screen, 'call');
    } finally {
      setAddresses(true);
    }
    await waitForConnectedPeers(ann, 1, 30000);
    await waitForConnectedPeers(bob, 1, 30000);
    for (const page of [ann, bob]) {
      const peer = (await state(page)).peers[0];
      assert.equal(peer.signalingState, 'stable');
    }
    const after = (await stats(ann))[0].iceUfrag;
    if (ufrag !== null) assert.notEqual(after, ufrag, 'new ICE credentials after the restart');
    await sleep(500);
    const heard = await measureInbound(bob, 'Ann', 1000);
    assert.ok(heard.packets > 20 && heard.rms > 0.05, 'audio flows again');
  });
});
