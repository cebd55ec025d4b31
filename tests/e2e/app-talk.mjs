// Push-to-talk in the desktop app (native audio engine) heard from a Chromium page: silence until
// the talk key is held in the app's window, the app's tone while held, silence after release and
// after the window loses focus. `run.sh --with-app` runs it; by hand:
//   cargo build -p tincan && scripts/netns-run.sh xvfb-run -a -s "-screen 0 1280x800x24" node --test tests/e2e/app-talk.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './lib/harness.mjs';
import { launchApp } from './lib/app.mjs';
import { serveUi } from './lib/static.mjs';
import { openParticipant } from './lib/browser.mjs';
import { joinAddress, waitForConnectedPeers, measureInbound, sleep } from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

// The native engine's tone arrives far above HEARD; a shut microphone arrives as zero.
const HEARD = 0.01;
const SILENT = 0.002;

// A key event in the app's page, as the window delivers one (the global shortcut is covered by
// tests/app/talk.py, with a real X server key).
const key = (type) => `document.dispatchEvent(new KeyboardEvent('${type}', { code: 'F8', key: 'F8', bubbles: true })); return true;`;

test('push-to-talk in the app: the browser hears the native engine only while the key is held', { timeout: 120000 }, async () => {
  const app = await launchApp({ args: ['--test-tone'] });
  const site = await serveUi();
  try {
    await app.click('#open-settings');
    await app.click('#set-talk-ptt');
    await app.click('#settings-save');
    await app.type('#name-input', 'Ann');
    await app.click('#host-button');
    const hosting = await app.waitFor('const s = window.tincan.state(); return s.screen === "call" ? s.hosting : null;',
      { what: 'hosting to start' });

    const page = await openParticipant(browser, `${site.origin}/?tone=1`);
    // The passcode the host form generated, read out as a person would.
    if (hosting.key) await page.fill('#join-key', hosting.key);
    await joinAddress(page, { name: 'Bob', address: hosting.address });
    await waitForConnectedPeers(page, 1, 30000);
    assert.equal((await app.state()).engine, 'native');
    await page.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);

    const heard = async () => {
      await sleep(800);
      return (await measureInbound(page, 'Ann', 1500)).rms;
    };
    const before = await heard();
    assert.ok(before < SILENT, `silence before the key is held (rms ${before})`);

    await app.evaluate(key('keydown'));
    await page.waitForFunction(() => window.tincan.state().peers[0]?.muted === false);
    const held = await heard();
    assert.ok(held > HEARD, `the app's tone while the key is held (rms ${held})`);

    await app.evaluate(key('keyup'));
    await page.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
    const released = await heard();
    assert.ok(released < SILENT, `silence after release (rms ${released})`);

    await app.evaluate(key('keydown'));
    await page.waitForFunction(() => window.tincan.state().peers[0]?.muted === false);
    await app.evaluate("window.dispatchEvent(new Event('blur')); return true;");
    await page.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
    const blurred = await heard();
    assert.ok(blurred < SILENT, `silence after the window lost focus (rms ${blurred})`);
    console.log(`app push-to-talk rms at the browser: before ${before.toFixed(4)}, held ${held.toFixed(3)}, released ${released.toFixed(4)}, blurred ${blurred.toFixed(4)}`);
  } finally {
    await site.close();
    await app.close();
  }
});
