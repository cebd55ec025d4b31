// Calls between the real desktop app (native audio engine in WebKitGTK) and a Chromium page: audio
// both ways, mute, leaving, and a network outage both sides must recover from. `run.sh --with-app`
// runs it; by hand, inside the namespace and a virtual display (TINCAN_APP_BIN picks another build
// of the app, which embeds ui/ when it is built):
//   cargo build -p tincan && scripts/netns-run.sh xvfb-run -a -s "-screen 0 1280x800x24" node --test tests/e2e/app-call.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './lib/harness.mjs';
import { launchApp } from './lib/app.mjs';
import { serveUi } from './lib/static.mjs';
import { openParticipant } from './lib/browser.mjs';
import {
  joinAddress, waitForConnectedPeers, waitForScreen, waitForBanner, measureInbound, state, sleep,
} from './lib/call.mjs';
import { setAddresses } from './lib/netns.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

test('the app hosts, a browser joins by the shared address, they hear each other', { timeout: 120000 }, async () => {
  const app = await launchApp({ args: ['--test-tone'] });
  const site = await serveUi();
  try {
    assert.equal((await app.state()).mode, 'app');
    await app.type('#name-input', 'Ann');
    await app.type('#host-key', 'tea');
    await app.click('#host-button');
    const hosting = await app.waitFor(
      'const s = window.tincan.state(); return s.screen === "call" ? s.hosting : (s.banner ? { error: s.banner } : null);',
      { what: 'hosting to start' },
    );
    assert.equal(hosting.error, undefined, `hosting failed: ${hosting.error}`);
    assert.equal(await app.evaluate('return document.getElementById("share-address").textContent;'), hosting.address);
    assert.equal(hosting.key, 'tea');

    // The browser joins with what the host shows, as a person on the LAN would.
    const page = await openParticipant(browser, `${site.origin}/?tone=1`);
    await page.fill('#join-key', 'tea');
    await joinAddress(page, { name: 'Bob', address: hosting.address });
    await waitForConnectedPeers(page, 1, 30000);
    await app.waitFor('const s = window.tincan.state(); return s.peers.length === 1 && s.peers[0].connectionState === "connected";',
      { what: 'the app to connect' });
    assert.equal((await app.state()).engine, 'native');

    // Both ends show the same safety code, the native engine's descriptions included.
    await app.waitFor('return Boolean(window.tincan.state().peers[0]?.safetyCode);', { what: "the app's safety code" });
    await page.locator('.participant:not(.self) .p-safety-code').waitFor({ state: 'visible' });
    const appCode = (await app.state()).peers[0].safetyCode;
    assert.match(appCode, /^\d{4} \d{4} \d{4}$/);
    assert.equal(await page.textContent('.participant:not(.self) .p-safety-code'), appCode, 'the app and the browser show the same safety code');

    await sleep(500);
    const fromApp = await measureInbound(page, 'Ann', 2000);
    // The native engine's tone is quieter than the page's; anything well above silence will do.
    assert.ok(fromApp.packets > 40 && fromApp.rms > 0.01, `the browser hears the app's tone (rms ${fromApp.rms})`);
    const appStats = await app.stats();
    assert.ok(appStats[0].packetsReceived > 40, 'the app receives the browser');

    await app.click('#mute-button');
    await sleep(800);
    const muted = await measureInbound(page, 'Ann', 1500);
    assert.ok(muted.rms < Math.min(0.005, fromApp.rms / 5), `muting in the app silences it (rms ${muted.rms}, was ${fromApp.rms})`);

    await app.click('#leave-button');
    await waitForScreen(page, 'home', 10000);
    await waitForBanner(page, /the host ended the call/);
  } finally {
    await site.close();
    await app.close();
  }
});

async function appInbound(app, windowMs) {
  const before = (await app.stats())[0];
  await sleep(windowMs);
  const after = (await app.stats())[0];
  return { packets: (after?.packetsReceived ?? 0) - (before?.packetsReceived ?? 0), level: after?.audioLevel ?? 0 };
}

// Both sides of the call, as one line per change, for the failure message.
function recorder() {
  const lines = [];
  let last = '';
  return {
    lines,
    mark: (what) => lines.push(`${new Date().toISOString().slice(11, 23)} ${what}`),
    peers(ours, theirs) {
      const brief = (p) => (p ? `${p.connectionState}/${p.signalingState} restarts ${p.restarts} replacements ${p.replacements ?? '-'}` : 'none');
      const line = `browser ${brief(ours)} | app ${brief(theirs)}`;
      if (line !== last) this.mark(line);
      last = line;
    },
  };
}

// The native engine cannot restart ICE in place: it rebuilds its connection, with a new DTLS
// session, which a browser's connection cannot follow. Both sides must end up on new connections
// without anyone leaving the call.
test('a network outage between the app and a browser: both sides restart and the call comes back', { timeout: 180000 }, async () => {
  const app = await launchApp({ args: ['--test-tone'] });
  const site = await serveUi();
  let page;
  const log = recorder();
  try {
    await app.type('#name-input', 'Ann');
    await app.click('#host-button');
    const hosting = await app.waitFor(
      'const s = window.tincan.state(); return s.screen === "call" ? s.hosting : (s.banner ? { error: s.banner } : null);',
      { what: 'hosting to start' },
    );
    assert.equal(hosting.error, undefined, `hosting failed: ${hosting.error}`);
    // The app's console is out of reach of WebDriver; keep what the call logic says for the report.
    await app.evaluate(`window.__log = [];
      for (const level of ['info', 'warn', 'error']) {
        const original = console[level].bind(console);
        console[level] = (...args) => {
          window.__log.push(new Date().toISOString().slice(11, 23) + ' ' + level + ': '
            + args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
          original(...args);
        };
      }`);
    // Signaling goes over loopback so that only the media path suffers the outage.
    const port = hosting.address.split(':').pop();
    page = await openParticipant(browser, `${site.origin}/?tone=1`);
    // The host kept the passcode the app offered; the browser types what the host shows.
    assert.match(hosting.key, /^[a-z]{4,6}-[a-z]{4,6}-[a-z]{4,6}$/);
    await page.fill('#join-key', hosting.key.replaceAll('-', ' ').toUpperCase());
    await joinAddress(page, { name: 'Bob', address: `127.0.0.1:${port}` });
    await waitForConnectedPeers(page, 1, 30000);
    await app.waitFor('return window.tincan.state().peers[0]?.connectionState === "connected";',
      { what: 'the app to connect' });
    assert.equal((await app.state()).engine, 'native');
    await sleep(500);
    const heardBefore = await measureInbound(page, 'Ann', 1500);
    assert.ok(heardBefore.packets > 30 && heardBefore.rms > 0.01, `the browser hears the app before (rms ${heardBefore.rms})`);
    assert.ok((await appInbound(app, 1000)).packets > 20, 'the app hears the browser before');
    const ufrag = (await page.evaluate(() => window.tincan.stats()))[0].iceUfrag;

    const both = async () => {
      const [ours, theirs] = [(await state(page)).peers, (await app.state()).peers];
      log.peers(ours[0], theirs[0]);
      return { ours, theirs };
    };
    const cutAt = Date.now();
    let restoredAt;
    let restartedDuringOutage = false;
    try {
      setAddresses(false);
      log.mark('addresses removed');
      // The browser notices by its ICE checks and restarts; the app's engine does not notice by
      // itself, and starts over on the browser's restarting offer. Restarts made during the outage
      // have nothing to connect with; they must not be the end.
      for (;;) {
        const { ours, theirs } = await both();
        restartedDuringOutage = ours[0]?.restarts >= 1
          && (theirs[0]?.restarts ?? 0) + (theirs[0]?.replacements ?? 0) >= 1;
        const elapsed = Date.now() - cutAt;
        if ((restartedDuringOutage && elapsed > 20000) || elapsed > 40000) break;
        await sleep(500);
      }
      assert.equal((await state(page)).screen, 'call', 'the browser stays in the call');
      assert.equal((await app.state()).screen, 'call', 'the app stays in the call');
    } finally {
      setAddresses(true);
      restoredAt = Date.now();
      log.mark('addresses back');
    }

    // Connected and stable on both sides at once, and staying so: not a connection about to be
    // replaced again.
    let upAt = null;
    for (let ok = 0; ok < 4;) {
      if (Date.now() - restoredAt > 30000) assert.fail('connected again within 30 s of the outage');
      const { ours, theirs } = await both();
      const up = ours.length === 1 && theirs.length === 1
        && [ours[0], theirs[0]].every((p) => p.connectionState === 'connected' && p.signalingState === 'stable');
      if (up) upAt ??= Date.now();
      else upAt = null;
      ok = up ? ok + 1 : 0;
      await sleep(500);
    }
    const recovered = (upAt - restoredAt) / 1000;
    log.mark(`connected ${recovered.toFixed(1)} s after the addresses returned`);
    assert.ok(restartedDuringOutage, 'both sides started over during the outage');

    const heard = await measureInbound(page, 'Ann', 2000);
    assert.ok(heard.packets > 40 && heard.rms > 0.01, `the browser hears the app again (packets ${heard.packets}, rms ${heard.rms})`);
    const appHeard = await appInbound(app, 2000);
    assert.ok(appHeard.packets > 40, `the app hears the browser again (packets ${appHeard.packets})`);
    assert.ok(appHeard.level > 0, `the app hears sound, not silence (level ${appHeard.level})`);
    const after = (await page.evaluate(() => window.tincan.stats()))[0].iceUfrag;
    if (ufrag !== null) assert.notEqual(after, ufrag, 'the browser is on new ICE credentials');
    const { ours, theirs } = await both();
    assert.equal(ours[0].name, 'Ann', 'the same participant, not a rejoin');
    assert.equal(theirs[0].name, 'Bob', 'the same participant, not a rejoin');
    assert.deepEqual(page.errors, [], 'no uncaught errors in the page');
    console.log(`${log.lines.join('\n')}\nbrowser ${JSON.stringify(ours[0])}\napp ${JSON.stringify(theirs[0])}`);
  } catch (err) {
    console.error(`--- both sides ---\n${log.lines.join('\n')}`);
    if (page) console.error(`--- browser console (last 30) ---\n${page.logs.slice(-30).join('\n')}`);
    const appLog = await app.evaluate('return window.__log ?? [];').catch(() => []);
    console.error(`--- app console (last 30) ---\n${appLog.slice(-30).join('\n')}`);
    throw err;
  } finally {
    try {
      setAddresses(true);
    } finally {
      await page?.context().close().catch(() => {});
      await site.close();
      await app.close();
    }
  }
});
