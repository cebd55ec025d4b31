// Real calls between Chromium pages through a real relay: audio flows, meshes form, mute silences,
// leaving is seen by everyone. Run inside scripts/netns-run.sh (see run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import {
  joinServed, waitForConnectedPeers, waitForScreen, measureInbound, state, stats, bannerText, sleep,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

const withRelay = (options, fn) => withRelayIn(browser, options, fn);

test('two pages call each other and the callee receives audio', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ open }) => {
    // The fake microphone, not the tone: this is the getUserMedia path people use.
    const ann = await open();
    const bob = await open();
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);

    // Ann was there first, so she is the callee of Bob's offer.
    const first = (await stats(ann)).find((s) => s.name === 'Bob');
    await sleep(1500);
    const second = (await stats(ann)).find((s) => s.name === 'Bob');
    assert.ok(first.packetsReceived > 0, 'inbound packets arrived');
    assert.ok(second.packetsReceived > first.packetsReceived + 30, `packets keep rising: ${first.packetsReceived} -> ${second.packetsReceived}`);
    assert.ok(second.totalAudioEnergy > 0, `totalAudioEnergy above zero: ${second.totalAudioEnergy}`);

    // And the other way round.
    const back = await measureInbound(bob, 'Ann', 1500);
    assert.ok(back.packets > 30, `Bob receives Ann: ${back.packets} packets`);
    assert.ok(back.totalEnergy > 0);

    // Each participant has a volume slider of their own.
    const slider = ann.locator('.participant:not(.self) input[type="range"]');
    await slider.fill('25');
    assert.equal((await state(ann)).peers[0].volume, 0.25);
    assert.equal(await ann.getAttribute('.participant:not(.self) .p-volume-label', 'class'), 'visually-hidden p-volume-label');
    assert.equal(await ann.textContent('.participant:not(.self) .p-volume-label'), 'Volume for Bob');

    // The call screen shows the other participant as connected.
    const tile = ann.locator('.participant:not(.self)');
    await tile.locator('.p-state', { hasText: 'Connected' }).waitFor();
    assert.equal(await tile.locator('.p-name').textContent(), 'Bob');
    // The quality view fills in from getStats, and the call clock runs.
    await ann.waitForFunction(() => /^\d+ ms · \d+(\.\d)?% loss · \d+ kbps$/.test(
      document.querySelector('.participant:not(.self) .q-text').textContent));
    const quality = await ann.textContent('.participant:not(.self) .q-text');
    const kbps = Number(/(\d+) kbps/.exec(quality)[1]);
    assert.ok(kbps > 8 && kbps < 200, `plausible Opus bitrate: ${quality}`);
    assert.match(await ann.textContent('#call-duration'), /^0:0[1-9]|^0:[1-5]\d$/);
    const candidates = (await stats(ann)).map((s) => s.localCandidateType);
    assert.deepEqual(candidates, ['host'], 'a LAN call uses host candidates');
  });
});

test('four pages form a full mesh', { timeout: 90000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const names = ['Ann', 'Bob', 'Cy', 'Dee'];
    const pages = [];
    for (const name of names) {
      const page = await open({ tone: '1' });
      await joinServed(page, { name });
      await waitForScreen(page, 'call');
      pages.push(page);
    }
    await Promise.all(pages.map((p) => waitForConnectedPeers(p, 3, 45000)));
    const states = await Promise.all(pages.map(state));
    const ids = states.map((s) => s.selfId);
    assert.equal(new Set(ids).size, 4, 'four distinct ids');
    for (const [i, s] of states.entries()) {
      const seen = s.peers.map((p) => p.id).sort();
      assert.deepEqual(seen, ids.filter((_, j) => j !== i).sort(), `${names[i]} is connected to every other`);
      for (const p of s.peers) {
        const other = states.find((o) => o.selfId === p.id);
        const back = other.peers.find((q) => q.id === s.selfId);
        assert.notEqual(p.polite, back.polite, 'exactly one side of each pair is polite');
      }
    }
    // Every page hears every other page.
    for (const [i, page] of pages.entries()) {
      const all = await stats(page);
      assert.equal(all.length, 3);
      for (const s of all) assert.ok(s.packetsReceived > 0 && s.totalAudioEnergy > 0, `${names[i]} hears ${s.name}`);
    }
  });
});

test('muting silences what the others receive, and M unmutes', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const ann = await open({ tone: '1' });
    const bob = await open({ tone: '1' });
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    await joinServed(bob, { name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    await sleep(500);

    const live = await measureInbound(bob, 'Ann', 1500);
    assert.ok(live.rms > 0.05, `the tone is heard before muting (rms ${live.rms})`);
    // The speaking ring follows the received level; Ann's own meter shows her tone.
    const annTile = bob.locator('.participant:not(.self)');
    await bob.waitForFunction(() => document.querySelector('.participant:not(.self)').dataset.speaking === 'true');
    assert.ok(Number(await ann.getAttribute('#mic-meter', 'aria-valuenow')) > 30, 'own mic level shown');

    await ann.click('#mute-button');
    assert.equal(await ann.getAttribute('#mute-button', 'aria-pressed'), 'true');
    assert.equal((await state(ann)).muted, true);
    await sleep(600); // let the jitter buffer drain what was sent before the click
    const muted = await measureInbound(bob, 'Ann', 1500);
    assert.ok(muted.packets > 20, 'a muted peer still sends (silent) packets');
    assert.ok(muted.rms < 0.005, `muted is silence (rms ${muted.rms}, before ${live.rms})`);
    // Bob is told, and his screen says so.
    await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === true);
    await bob.locator('.participant:not(.self) .p-state', { hasText: 'Muted' }).waitFor();
    await bob.waitForFunction(() => document.querySelector('.participant:not(.self)').dataset.speaking === 'false');
    assert.equal(await annTile.getAttribute('data-muted'), 'true');
    // Bob's tone still reaches Ann: mute only affects Ann's own sending.
    const other = await measureInbound(ann, 'Bob', 1000);
    assert.ok(other.rms > 0.05);

    // The keyboard shortcut toggles back.
    await ann.locator('body').press('m');
    assert.equal(await ann.getAttribute('#mute-button', 'aria-pressed'), 'false');
    await bob.waitForFunction(() => window.tincan.state().peers[0]?.muted === false);
    await sleep(600);
    const again = await measureInbound(bob, 'Ann', 1500);
    assert.ok(again.rms > 0.05, `unmuted is heard again (rms ${again.rms})`);
  });
});

test('leaving removes the participant everywhere; the recent host rejoins', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ relay, open }) => {
    const pages = [];
    for (const name of ['Ann', 'Bob', 'Cy']) {
      const page = await open({ tone: '1' });
      await joinServed(page, { name });
      await waitForScreen(page, 'call');
      pages.push(page);
    }
    await Promise.all(pages.map((p) => waitForConnectedPeers(p, 2)));
    const [ann, bob, cy] = pages;
    await cy.click('#leave-button');
    await waitForScreen(cy, 'home');
    const after = await state(cy);
    assert.equal(after.peers.length, 0);
    assert.equal(after.selfId, null);
    assert.match(await bannerText(cy), /You left the call/);
    assert.equal(await cy.isVisible('#home-screen'), true);
    assert.equal(await cy.isVisible('#call-screen'), false);

    // The host is remembered; one click on it rejoins.
    const recent = cy.locator('.recent-join', { hasText: `127.0.0.1:${relay.port}` });
    await recent.waitFor();
    for (const page of [ann, bob]) {
      await waitForConnectedPeers(page, 1, 10000);
      const names = (await state(page)).peers.map((p) => p.name);
      assert.deepEqual(names, page === ann ? ['Bob'] : ['Ann']);
      await page.locator('.participant:not(.self)').nth(1).waitFor({ state: 'detached' });
      assert.equal(await page.locator('.participant').count(), 2, 'self and one other tile remain');
    }
    await recent.click();
    await waitForConnectedPeers(cy, 2);
    await waitForConnectedPeers(ann, 2);
  });
});

test('?name=&room=&key=&join=1 joins at once; a tone held back by the browser starts on a click', { timeout: 60000 }, async () => {
  await withRelay({ key: 'k2' }, async ({ open }) => {
    const params = { room: 'kitchen', key: 'k2', join: '1' };
    // No click at all: the page joins from its address alone.
    const ann = await open({ ...params, name: 'Ann', tone: '1' });
    const bob = await open({ ...params, name: 'Bob' });
    await waitForConnectedPeers(ann, 1);
    await waitForConnectedPeers(bob, 1);
    const s = await state(ann);
    assert.equal(s.room, 'kitchen');
    assert.equal(s.name, 'Ann');
    assert.equal(s.tone, true);
    assert.equal(s.peers[0].name, 'Bob');
    assert.match(await ann.textContent('#call-room'), /Room kitchen/);
    // Bob's fake microphone needs no gesture.
    assert.ok((await measureInbound(ann, 'Bob', 1000)).packets > 20);

    // Web audio may not start without a user gesture; the page says so, and a click fixes it.
    assert.match(await bannerText(ann), /paused by the browser/);
    await ann.mouse.click(600, 650);
    await ann.waitForFunction(() => document.getElementById('banner').hidden);
    await sleep(500);
    const heard = await measureInbound(bob, 'Ann', 1000);
    assert.ok(heard.packets > 20 && heard.rms > 0.05, `the tone flows after the click (rms ${heard.rms})`);
  });
});
