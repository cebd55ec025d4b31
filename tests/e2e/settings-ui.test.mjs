// The settings dialog and device pickers, driven through the page like a person would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, measureInbound, state, sleep,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

test('settings validate ICE servers, persist, and apply as constraints', { timeout: 60000 }, async () => {
  await withRelayIn(browser, {}, async ({ open }) => {
    const page = await open();
    await page.click('#open-settings');
    assert.equal(await page.isVisible('#settings-dialog'), true);
    // Defaults: processing on, no ICE servers, no tone.
    for (const id of ['#set-echo', '#set-noise', '#set-gain']) assert.equal(await page.isChecked(id), true, id);
    assert.equal(await page.isChecked('#set-tone'), false);
    assert.equal(await page.inputValue('#set-ice'), '');
    assert.equal(await page.isVisible('#set-native'), false, 'the native engine switch is for the app');
    assert.equal(await page.isVisible('#open-log-folder'), false, 'a browser page has no log folder to open');

    await page.fill('#set-ice', '[{"urls":"turn:turn.example.org"}]');
    await page.click('#settings-save');
    assert.match(await page.textContent('#set-ice-error'), /TURN server needs "username" and "credential"/);
    assert.equal(await page.isVisible('#settings-dialog'), true, 'stays open until fixed');

    // An address inside the test namespace: no name lookup, no packet leaves the machine.
    await page.fill('#set-ice', '[{"urls":"stun:10.99.0.77:3478"}]');
    await page.uncheck('#set-echo');
    await page.uncheck('#set-gain');
    await page.click('#settings-save');
    assert.equal(await page.isVisible('#settings-dialog'), false);

    await page.reload();
    await page.waitForFunction(() => window.tincan);
    await page.click('#open-settings');
    assert.equal(await page.isChecked('#set-echo'), false);
    assert.equal(await page.isChecked('#set-noise'), true);
    assert.equal(await page.isChecked('#set-gain'), false);
    assert.match(await page.inputValue('#set-ice'), /stun:10\.99\.0\.77:3478/);
    await page.click('#settings-cancel');

    // The saved choices reach getUserMedia: the live track reports them.
    await joinServed(page, { name: 'Ann' });
    await waitForScreen(page, 'call');
    const mic = (await state(page)).microphone;
    assert.equal(mic.echoCancellation, false);
    assert.equal(mic.autoGainControl, false);
    assert.equal(mic.noiseSuppression, true);
    const source = await page.textContent('.participant.self .q-text');
    assert.ok(source.length > 0, 'the self tile names the microphone');
  });
});

test('an unreachable STUN server does not hold up a LAN call', { timeout: 60000 }, async () => {
  await withRelayIn(browser, {}, async ({ open }) => {
    const pages = [await open(), await open()];
    for (const [i, page] of pages.entries()) {
      await page.click('#open-settings');
      // Nothing answers there: gathering a server-reflexive candidate can only time out.
      await page.fill('#set-ice', '[{"urls":"stun:10.99.0.77:3478"}]');
      await page.click('#settings-save');
      await joinServed(page, { name: i ? 'Bob' : 'Ann' });
      await waitForScreen(page, 'call');
    }
    const started = Date.now();
    await waitForConnectedPeers(pages[0], 1, 5000);
    await waitForConnectedPeers(pages[1], 1, 5000);
    assert.ok(Date.now() - started < 5000, 'connected without waiting for the STUN server');
  });
});

test('"test my audio" switches a live call to the 440 Hz tone and back', { timeout: 60000 }, async () => {
  await withRelayIn(browser, {}, async ({ open }) => {
    const ann = await open();
    const bob = await open();
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    assert.equal((await state(ann)).tone, false);

    await ann.click('#open-settings');
    await ann.check('#set-tone');
    await ann.click('#settings-save');
    await ann.waitForFunction(() => window.tincan.state().tone === true);
    assert.match(await ann.textContent('.participant.self .q-text'), /440 Hz/);
    assert.equal(await ann.inputValue('#input-device'), '', 'the picker shows the tone');
    await sleep(600);
    const tone = await measureInbound(bob, 'Ann', 1500);
    assert.ok(tone.rms > 0.15, `Bob hears the steady tone (rms ${tone.rms})`);

    await ann.click('#open-settings');
    await ann.uncheck('#set-tone');
    await ann.click('#settings-save');
    await ann.waitForFunction(() => window.tincan.state().tone === false);
    await sleep(600);
    const mic = await measureInbound(bob, 'Ann', 1500);
    assert.ok(mic.packets > 30, 'the microphone is sent again without renegotiating');
    assert.ok(Math.abs(mic.rms - tone.rms) > 0.02, `a different signal (rms ${mic.rms} vs ${tone.rms})`);
    assert.equal((await state(ann)).peers[0].connectionState, 'connected');
  });
});

test('the microphone picker lists inputs and switching keeps the call', { timeout: 60000 }, async () => {
  await withRelayIn(browser, {}, async ({ open }) => {
    const ann = await open();
    const bob = await open();
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(bob, 1);
    const options = await ann.$$eval('#input-device option', (els) => els.map((e) => ({ value: e.value, label: e.textContent })));
    assert.ok(options.length >= 1, 'at least one microphone is listed');
    assert.ok(options.every((o) => o.label.length > 0), 'every entry has a label');
    const target = options.at(-1).value;
    await ann.selectOption('#input-device', target);
    await ann.waitForFunction((id) => document.getElementById('input-device').value === id, target);
    await sleep(800);
    const heard = await measureInbound(bob, 'Ann', 1000);
    assert.ok(heard.packets > 20, 'audio still flows after switching');
    // The speaker picker appears only where the browser can route output.
    const canRoute = await ann.evaluate(() => typeof HTMLMediaElement.prototype.setSinkId === 'function');
    assert.equal(await ann.isVisible('#output-device-field'), canRoute);
  });
});
