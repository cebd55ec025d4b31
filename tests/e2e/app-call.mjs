// A call between the real desktop app (native audio engine in WebKitGTK) and a Chromium page.
// Not part of run.sh yet: it needs the app built with the engine commands (`cargo build -p tincan`)
// and a display. Run it inside the namespace and a virtual display:
//   cargo build -p tincan && scripts/netns-run.sh xvfb-run -a node --test tests/e2e/app-call.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './lib/harness.mjs';
import { launchApp } from './lib/app.mjs';
import { serveUi } from './lib/static.mjs';
import { openParticipant } from './lib/browser.mjs';
import {
  joinAddress, waitForConnectedPeers, waitForScreen, waitForBanner, measureInbound, sleep,
} from './lib/call.mjs';

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
