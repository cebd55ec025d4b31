// A half-open signaling connection in the middle of a call: nftables drops every packet one page
// sends to the relay, while the relay's packets still reach it. The relay must notice within its
// keepalive timeout and tell the others `peer-left`; the cut-off page must show that it is
// reconnecting, and rejoin once the drop is lifted. Run inside scripts/netns-run.sh (see run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay, useBrowser } from './lib/harness.mjs';
import { loadApp } from './lib/browser.mjs';
import { joinServed, waitForConnectedPeers, waitForScreen, state, stats, sleep } from './lib/call.mjs';
import { dropTcpTo, inTestNamespace } from './lib/firewall.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

// Short keepalive, so the test takes seconds: a ping every second, dropped after 4 s of silence.
const KEEPALIVE_S = 1;
const TIMEOUT_S = 4;
// Room for a loaded machine between the relay's decision and the page showing it.
const SLACK_MS = 2500;
// The cut-off page loads from another loopback address, so one rule catches its socket only.
const CUT_ADDRESS = '127.0.0.2';

test('a client whose packets stop reaching the relay is dropped within the keepalive and rejoins', {
  timeout: 90000,
  skip: inTestNamespace() ? false : 'needs the test namespace (tests/e2e/run.sh)',
}, async () => {
  const args = ['--keepalive', String(KEEPALIVE_S), '--keepalive-timeout', String(TIMEOUT_S)];
  await withRelay(browser, { args }, async ({ relay, open }) => {
    const ann = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    const bob = await open();
    const probes = [];
    bob.on('websocket', (ws) => ws.on('framesent', ({ payload }) => {
      if (String(payload).includes('"probe"')) probes.push(Date.now());
    }));
    // A loopback address is a secure context like 127.0.0.1, so the microphone still works.
    await loadApp(bob, `http://${CUT_ADDRESS}:${relay.port}/?tone=1`);
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    const before = await state(bob);

    // A quiet call: the page checks that the relay still hears it, and the answers go unseen.
    await sleep(7000);
    assert.ok(probes.length >= 1, 'the page sent a probe after a quiet spell');
    assert.equal((await state(bob)).selfId, before.selfId, 'answered probes keep the connection');
    assert.ok(!bob.logs.some((line) => /unknown-peer/.test(line)), 'the answers are not reported as errors');

    const lift = dropTcpTo(CUT_ADDRESS, relay.port);
    try {
      const cut = Date.now();
      await ann.waitForFunction(() => window.tincan.state().peers.length === 0, null, { timeout: 30000 });
      const left = Date.now() - cut;
      console.log(`# peer-left reached the others ${left} ms after the drop (keepalive timeout ${TIMEOUT_S} s)`);
      assert.ok(left <= TIMEOUT_S * 1000 + SLACK_MS, `peer-left after ${left} ms`);
      assert.equal((await state(ann)).callState, 'in-call', 'the others stay in the call');

      await bob.waitForFunction(() => window.tincan.state().callState === 'reconnecting', null, { timeout: 30000 });
      console.log(`# the cut-off page showed it is reconnecting ${Date.now() - cut} ms after the drop`);
      const banner = await bob.textContent('#banner-text');
      assert.match(banner, /Lost the connection to the host; trying again/);
      assert.equal((await state(bob)).screen, 'call', 'the call stays on screen while reconnecting');
    } finally {
      lift();
    }
    const lifted = Date.now();

    await bob.waitForFunction(
      (old) => window.tincan.state().callState === 'in-call' && window.tincan.state().selfId !== old,
      before.selfId, { timeout: 40000 },
    );
    await waitForConnectedPeers(ann, 1, 30000);
    await waitForConnectedPeers(bob, 1, 30000);
    console.log(`# back in the call, connected, ${Date.now() - lifted} ms after the drop was lifted`);
    const after = await state(ann);
    assert.equal(after.peers[0].name, 'Bob');
    assert.notEqual(after.peers[0].id, before.selfId, 'Bob came back under a new id');
  });
});

test('a page that gives up a silent socket gets its place and id back, and nobody sees it leave', {
  timeout: 120000,
  skip: inTestNamespace() ? false : 'needs the test namespace (tests/e2e/run.sh)',
}, async () => {
  // A full room of two, and a relay slower to give up than the page (13 s), so the page's
  // reconnect finds its old connection still there.
  const args = ['--keepalive-timeout', '40'];
  await withRelay(browser, { maxPeers: 2, args }, async ({ relay, open }) => {
    const ann = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    const bob = await open();
    await loadApp(bob, `http://${CUT_ADDRESS}:${relay.port}/?tone=1`);
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    const before = await state(bob);

    // Watch Ann's side the whole time: Bob must never leave her list.
    let annAlone = false;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        if ((await state(ann)).peers.length !== 1) annAlone = true;
        await sleep(200);
      }
    })();

    const lift = dropTcpTo(CUT_ADDRESS, relay.port);
    try {
      await bob.waitForFunction(() => window.tincan.state().callState === 'reconnecting', null, { timeout: 30000 });
    } finally {
      lift();
    }
    await bob.waitForFunction(() => window.tincan.state().callState === 'in-call', null, { timeout: 30000 });
    watching = false;
    await watch;

    const after = await state(bob);
    assert.equal(after.selfId, before.selfId, 'Bob keeps his id');
    assert.ok(!annAlone, 'Ann never saw Bob leave');
    assert.match(relay.stderr(), /taken over by a reconnect of the same client/);
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    // The call went on: Ann still hears Bob on the same connection.
    const heard = (await stats(ann))[0].packetsReceived;
    await sleep(1000);
    assert.ok((await stats(ann))[0].packetsReceived > heard, 'Bob is still heard');
  });
});
