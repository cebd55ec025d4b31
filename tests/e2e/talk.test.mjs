// Push-to-talk and push-to-mute in a real call between Chromium pages: the other page receives
// silence or sound as the key is held, released, or the window loses focus, and sees the mute
// state. Run inside scripts/netns-run.sh (see run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, measureInbound, state, sleep,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

// The tone is at -12 dBFS, silence is exactly zero: these bounds leave a wide margin both ways.
const HEARD = 0.05;
const SILENT = 0.005;
// What was sent before a change still plays from the jitter buffer for a moment.
const DRAIN_MS = 600;

async function chooseTalk(page, { mode, key }) {
  await page.click('#open-settings');
  await page.check(`input[name="talk-mode"][value="${mode}"]`);
  if (key) {
    await page.click('#set-talk-key');
    assert.match(await page.textContent('#set-talk-capture'), /Escape cancels/);
    await page.keyboard.press(key);
    assert.equal(await page.textContent('#set-talk-key-name'), key.replace(/^Key/, ''));
  }
  await page.click('#settings-save');
}

async function heardFrom(page, name) {
  await sleep(DRAIN_MS);
  return (await measureInbound(page, name, 1200)).rms;
}

async function selfState(page) {
  return page.textContent('.participant.self .p-state');
}

test('push-to-talk: silence until the key is held, sound while held, silence after release and blur',
  { timeout: 90000 }, async () => {
    await withRelayIn(browser, {}, async ({ open }) => {
      const ann = await open({ tone: '1' });
      const bob = await open({ tone: '1' });

      // The key capture: Escape keeps the old key, a modifier alone is refused.
      await ann.click('#open-settings');
      assert.equal(await ann.isChecked('#set-talk-open'), true, 'open mic is the default');
      assert.equal(await ann.textContent('#set-talk-key-name'), 'F8');
      assert.match(await ann.textContent('#set-talk-global'), /Works only while Tincan is focused/);
      await ann.click('#set-talk-key');
      await ann.keyboard.press('Shift');
      assert.match(await ann.textContent('#set-talk-capture'), /cannot be the talk key/);
      await ann.keyboard.press('Escape');
      assert.equal(await ann.isVisible('#settings-dialog'), true, 'Escape cancels the capture, not the dialog');
      assert.equal(await ann.textContent('#set-talk-key-name'), 'F8');
      await ann.click('#settings-cancel');

      await chooseTalk(ann, { mode: 'push-to-talk', key: 'KeyK' });
      await joinServed(ann, { name: 'Ann' });
      await waitForScreen(ann, 'call');
      await joinServed(bob, { name: 'Bob' });
      await waitForConnectedPeers(ann, 1);
      await waitForConnectedPeers(bob, 1);

      assert.equal(await selfState(ann), 'Push to talk (hold K)');
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
      const before = await heardFrom(bob, 'Ann');
      assert.ok(before < SILENT, `silence before the key is held (rms ${before})`);
      // Bob's open mic reaches Ann all along.
      assert.ok((await heardFrom(ann, 'Bob')) > HEARD);

      await ann.keyboard.down('KeyK');
      assert.equal((await state(ann)).talkHeld, true);
      assert.equal(await selfState(ann), 'Talking');
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === false);
      const held = await heardFrom(bob, 'Ann');
      assert.ok(held > HEARD, `sound while the key is held (rms ${held})`);

      await ann.keyboard.up('KeyK');
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
      const released = await heardFrom(bob, 'Ann');
      assert.ok(released < SILENT, `silence after release (rms ${released})`);

      // The window loses focus while the key is down: the keyup never comes, the mic shuts anyway.
      await ann.keyboard.down('KeyK');
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === false);
      await ann.evaluate(() => window.dispatchEvent(new Event('blur')));
      assert.equal((await state(ann)).talkHeld, false);
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
      const blurred = await heardFrom(bob, 'Ann');
      assert.ok(blurred < SILENT, `silence after the window lost focus (rms ${blurred})`);
      await ann.keyboard.up('KeyK');

      // Typing the key into a field is not talking.
      await ann.click('#open-settings');
      await ann.focus('#set-ice');
      await ann.keyboard.down('KeyK');
      assert.equal((await state(ann)).talkHeld, false);
      await ann.keyboard.up('KeyK');
      await ann.click('#settings-cancel');
      console.log(`push-to-talk rms at Bob: before ${before.toFixed(4)}, held ${held.toFixed(3)}, released ${released.toFixed(4)}, blurred ${blurred.toFixed(4)}`);
    });
  });

test('push-to-mute: sound until the key is held, silence while held, sound after release',
  { timeout: 90000 }, async () => {
    await withRelayIn(browser, {}, async ({ open }) => {
      const ann = await open({ tone: '1' });
      const bob = await open({ tone: '1' });
      await chooseTalk(ann, { mode: 'push-to-mute' });
      await joinServed(ann, { name: 'Ann' });
      await waitForScreen(ann, 'call');
      await joinServed(bob, { name: 'Bob' });
      await waitForConnectedPeers(ann, 1);
      await waitForConnectedPeers(bob, 1);

      assert.equal(await selfState(ann), 'Talking (hold F8 to mute)');
      const before = await heardFrom(bob, 'Ann');
      assert.ok(before > HEARD, `sound before the key is held (rms ${before})`);

      await ann.keyboard.down('F8');
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
      await bob.locator('.participant:not(.self) .p-state', { hasText: 'Muted' }).waitFor();
      assert.equal(await selfState(ann), 'Muted (release F8 to talk)');
      const held = await heardFrom(bob, 'Ann');
      assert.ok(held < SILENT, `silence while the key is held (rms ${held})`);

      await ann.keyboard.up('F8');
      await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === false);
      const released = await heardFrom(bob, 'Ann');
      assert.ok(released > HEARD, `sound after release (rms ${released})`);

      // Back to open mic during the call: the key no longer does anything.
      await chooseTalk(ann, { mode: 'open' });
      assert.equal(await selfState(ann), 'Mic on');
      await ann.keyboard.down('F8');
      assert.equal((await state(ann)).muted, false);
      await ann.keyboard.up('F8');
      console.log(`push-to-mute rms at Bob: before ${before.toFixed(3)}, held ${held.toFixed(4)}, released ${released.toFixed(3)}`);
    });
  });
