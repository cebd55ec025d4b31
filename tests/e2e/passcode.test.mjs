// Passcodes: the generated three-word passcode and its word list, how typed passcodes are brought
// to one form, and, in Chromium against a real relay, joining with a passcode from the address's
// `#key=` (or an old `?key=` link) that is then gone from the address bar, and with words typed
// in capitals and spaces. Run inside scripts/netns-run.sh (see run.sh) for the browser tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORDS } from '../../ui/js/words.js';
import {
  generatePasscode, normalizePasscode, passcodeBits, PASSCODE_WORDS,
} from '../../ui/js/passcode.js';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import { loadApp } from './lib/browser.mjs';
import { joinServed, waitForConnectedPeers, waitForScreen, state } from './lib/call.mjs';

const KEY = 'maple-river-torch';

test('the word list: at least 2048 distinct short lowercase words, 33 bits in three', () => {
  assert.ok(WORDS.length >= 2048, `${WORDS.length} words`);
  assert.equal(new Set(WORDS).size, WORDS.length, 'no word twice');
  for (const word of WORDS) assert.match(word, /^[a-z]{4,6}$/);
  assert.equal(PASSCODE_WORDS, 3);
  assert.ok(passcodeBits() >= 33, `${passcodeBits()} bits`);
});

test('a generated passcode is three listed words joined by hyphens, drawn from secure randomness', () => {
  const seen = new Set();
  for (let i = 0; i < 200; i += 1) {
    const passcode = generatePasscode();
    const words = passcode.split('-');
    assert.equal(words.length, 3, passcode);
    for (const word of words) assert.ok(WORDS.includes(word), `${word} is a listed word`);
    assert.equal(normalizePasscode(passcode), passcode, 'already in its typed form');
    seen.add(passcode);
  }
  assert.ok(seen.size >= 199, `200 passcodes, ${seen.size} different`);
  assert.throws(() => generatePasscode({ random: {} }), /secure random/);
});

test('random values that would favour the first words are drawn again', () => {
  // 2**32 is not a multiple of 3: of a 3-word list, the very top value is past the last full
  // cycle and must be thrown away rather than mapped to an index.
  const values = [2 ** 32 - 1, 5, 2 ** 32 - 1, 2 ** 32 - 1, 7, 9];
  const random = {
    getRandomValues(buffer) {
      buffer[0] = values.shift();
      return buffer;
    },
  };
  assert.equal(generatePasscode({ list: ['a', 'b', 'c'], random }), 'c-b-a');
  assert.equal(values.length, 0, 'every value was used');
});

test('typed passcodes: capitals and spaces do not matter', () => {
  assert.equal(normalizePasscode('Maple River Torch'), KEY);
  assert.equal(normalizePasscode('  maple   river\ttorch '), KEY);
  assert.equal(normalizePasscode('MAPLE - river -torch'), KEY);
  assert.equal(normalizePasscode('tea4two'), 'tea4two');
  assert.equal(normalizePasscode('a--b'), 'a--b', 'hyphens alone are kept');
  assert.equal(normalizePasscode(''), '');
  assert.equal(normalizePasscode(undefined), '');
});

// Browser tests.
let browser;
useBrowser((launched) => { browser = launched; });
const withRelay = (options, fn) => withRelayIn(browser, options, fn);

function addressBar(page) {
  return page.evaluate(() => location.href);
}

test('#key= in the address joins and is removed from the address bar; room and name still work', { timeout: 60000 }, async () => {
  await withRelay({ key: KEY }, async ({ relay, open }) => {
    const ann = await open();
    await joinServed(ann, { name: 'Ann', key: KEY });
    await waitForScreen(ann, 'call');
    const url = `${relay.page({ name: 'Bob', room: 'lobby', join: '1' })}#key=${KEY}`;
    const bob = await open();
    const entries = await bob.evaluate(() => history.length);
    await loadApp(bob, url);
    await waitForConnectedPeers(bob, 1);
    const s = await state(bob);
    assert.equal(s.name, 'Bob');
    assert.equal(s.room, 'lobby');
    const shown = await addressBar(bob);
    assert.ok(!shown.includes('key') && !shown.includes(KEY), `the address bar shows ${shown}`);
    assert.ok(shown.includes('name=Bob') && shown.includes('join=1'), `other options stay: ${shown}`);
    // Going back must not bring the passcode back either: the entry was replaced, not added.
    assert.equal(await bob.evaluate(() => history.length), entries + 1, 'one entry for the one page load');
  });
});

test('an old ?key= link still joins, and the passcode is removed from it', { timeout: 60000 }, async () => {
  await withRelay({ key: KEY }, async ({ relay, open }) => {
    const bob = await open();
    await loadApp(bob, relay.page({ name: 'Bob', key: 'Maple River Torch', join: '1' }));
    await waitForScreen(bob, 'call');
    const shown = await addressBar(bob);
    assert.ok(!/key|maple/i.test(shown), `the address bar shows ${shown}`);
    assert.ok(shown.includes('name=Bob'), shown);
  });
});

test('a passcode typed with capitals and spaces joins; a wrong one is refused', { timeout: 60000 }, async () => {
  await withRelay({ key: KEY }, async ({ open }) => {
    const ann = await open();
    await joinServed(ann, { name: 'Ann', key: 'Maple river torch' });
    await waitForScreen(ann, 'call');
    const bob = await open();
    await joinServed(bob, { name: 'Bob', key: 'maple river' });
    await bob.waitForFunction(() => /passcode/i.test(window.tincan.state().banner || ''), null, { timeout: 10000 });
    assert.equal((await state(bob)).screen, 'home');
  });
});
