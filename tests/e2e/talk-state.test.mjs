// The push-to-talk hold (ui/js/talk.js): modes, two key sources, repeats, and what the own card
// says. No browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTalk, isTalkKey, keyLabel, mutedFor, selfLabel, DEFAULT_TALK_KEY,
} from '../../ui/js/talk.js';

function recorder(mode) {
  const changes = [];
  const talk = createTalk({ mode, onChange: (muted) => changes.push(muted) });
  return { talk, changes };
}

test('push-to-talk: shut until held, open while held, shut on release', () => {
  const { talk, changes } = recorder('push-to-talk');
  assert.equal(talk.initialMuted, true);
  talk.press('window');
  talk.press('window');
  assert.deepEqual(changes, [false], 'a second press (key repeat) changes nothing');
  talk.release('window');
  assert.deepEqual(changes, [false, true]);
  talk.release('window');
  assert.deepEqual(changes, [false, true], 'a stray release changes nothing');
});

test('push-to-mute is the opposite', () => {
  const { talk, changes } = recorder('push-to-mute');
  assert.equal(talk.initialMuted, false);
  talk.press('global');
  talk.release('global');
  assert.deepEqual(changes, [true, false]);
});

test('the key stays held while either source holds it', () => {
  const { talk, changes } = recorder('push-to-talk');
  talk.press('global');
  talk.press('window');
  talk.release('window');
  assert.equal(talk.held, true);
  assert.deepEqual(changes, [false]);
  talk.release('global');
  assert.deepEqual(changes, [false, true]);
});

test('releaseAll lets go of everything, and open mic gates nothing', () => {
  const { talk, changes } = recorder('push-to-talk');
  talk.press('window');
  talk.press('global');
  talk.releaseAll();
  assert.equal(talk.held, false);
  assert.deepEqual(changes, [false, true]);
  const open = recorder('open');
  open.talk.press('window');
  open.talk.release('window');
  assert.deepEqual(open.changes, []);
  assert.equal(open.talk.initialMuted, false);
  assert.equal(createTalk({ mode: 'shout' }).mode, 'open', 'an unknown mode is open mic');
});

test('setMode forgets a held key', () => {
  const { talk, changes } = recorder('push-to-talk');
  talk.press('window');
  talk.setMode('push-to-mute');
  assert.equal(talk.held, false);
  talk.press('window');
  assert.deepEqual(changes, [false, true]);
});

test('keys: which can be the talk key, and how they are written', () => {
  for (const code of ['KeyK', 'F8', 'Space', 'Digit1', 'Backquote', 'Numpad0', 'ArrowUp', 'F24']) {
    assert.equal(isTalkKey(code), true, code);
  }
  for (const code of ['Escape', 'Tab', 'ShiftLeft', 'MetaRight', 'k', '', 'F25', 'Key', null, 42]) {
    assert.equal(isTalkKey(code), false, String(code));
  }
  assert.equal(isTalkKey(DEFAULT_TALK_KEY), true);
  assert.equal(keyLabel('KeyK'), 'K');
  assert.equal(keyLabel('Digit7'), '7');
  assert.equal(keyLabel('F8'), 'F8');
  assert.equal(keyLabel('Numpad5'), 'Keypad 5');
  assert.equal(keyLabel('ArrowUp'), 'Up arrow');
});

test('what the own card says', () => {
  assert.equal(mutedFor('open', true), false);
  assert.equal(selfLabel('push-to-talk', 'KeyK', true), 'Push to talk (hold K)');
  assert.equal(selfLabel('push-to-talk', 'KeyK', false), 'Talking');
  assert.equal(selfLabel('push-to-mute', 'F8', false), 'Talking (hold F8 to mute)');
  assert.equal(selfLabel('push-to-mute', 'F8', true), 'Muted (release F8 to talk)');
  assert.equal(selfLabel('open', 'F8', true), 'Muted');
  assert.equal(selfLabel('open', 'F8', false), 'Mic on');
});
