'use strict';

import { t } from './i18n/index.js';

// Push-to-talk and push-to-mute: which key, what holding it means, and the hold itself. Pure (no
// DOM), so it runs the same in the app, in a browser and under node's test runner.

export const TALK_MODES = Object.freeze(['open', 'push-to-talk', 'push-to-mute']);
// A key nobody types with: while a call runs, a global shortcut takes its key from every program.
export const DEFAULT_TALK_KEY = 'F8';

// Keys that cannot be the talk key: Escape cancels the capture, Tab moves focus, modifiers alone
// are not keys a global shortcut can hold.
const REFUSED = new Set([
  'Escape', 'Tab', 'ShiftLeft', 'ShiftRight', 'ControlLeft', 'ControlRight', 'AltLeft', 'AltRight',
  'MetaLeft', 'MetaRight', 'OSLeft', 'OSRight', 'CapsLock', 'NumLock', 'ScrollLock', 'Fn', 'ContextMenu',
  'Key', 'Digit', 'Unidentified',
]);
// KeyboardEvent.code values, as the window and the global shortcut both name keys.
const CODE = /^(Key[A-Z]|Digit[0-9]|F([1-9]|1[0-9]|2[0-4])|Numpad[0-9A-Za-z]+|Arrow(Up|Down|Left|Right)|[A-Z][A-Za-z]+)$/;

export function isTalkMode(mode) {
  return TALK_MODES.includes(mode);
}

/** True for a KeyboardEvent.code that can be the talk key. */
export function isTalkKey(code) {
  return typeof code === 'string' && CODE.test(code) && !REFUSED.has(code);
}

/** How a key is written for people: "KeyK" → "K", "Digit1" → "1", "Space" → "Space". */
export function keyLabel(code) {
  const text = String(code ?? '');
  const short = /^(?:Key|Digit)(.)$/.exec(text);
  if (short) return short[1];
  if (text === 'Backquote') return '`';
  const arrow = /^Arrow(Up|Down|Left|Right)$/.exec(text);
  if (arrow) return t(`talk.arrow${arrow[1]}`);
  const pad = /^Numpad(.+)$/.exec(text);
  return pad ? t('talk.keypad', { key: pad[1] }) : text;
}

/** Whether the microphone is shut, given the mode and whether the key is held. */
export function mutedFor(mode, held) {
  if (mode === 'push-to-talk') return !held;
  if (mode === 'push-to-mute') return held;
  return false;
}

/** What the own card says: the state of the microphone and, in a key mode, how to change it. */
export function selfLabel(mode, key, muted) {
  const label = keyLabel(key);
  if (mode === 'push-to-talk') return muted ? t('talk.waiting', { key: label }) : t('talk.talking');
  if (mode === 'push-to-mute') return t(muted ? 'talk.ptmMuted' : 'talk.ptmTalking', { key: label });
  return t(muted ? 'call.mutedState' : 'call.micOn');
}

/**
 * The hold: the key counts as held while any source (the window's keydown, a global shortcut)
 * holds it, so a press seen twice or a release from the other source cannot flip the mic.
 * `onChange(muted)` runs only when the outcome changes. In open-mic mode nothing is gated and the
 * Mute button alone decides.
 */
export function createTalk({ mode = 'open', onChange = () => {} } = {}) {
  const holders = new Set();
  let current = isTalkMode(mode) ? mode : 'open';

  const held = () => holders.size > 0;
  const update = (wasHeld) => {
    if (current === 'open' || wasHeld === held()) return;
    onChange(mutedFor(current, held()));
  };

  return {
    get mode() {
      return current;
    },
    get held() {
      return held();
    },
    /** Which sources hold the key now ('window', 'global'). */
    get holders() {
      return [...holders];
    },
    /** Whether the mic starts shut in this mode (nothing held yet). */
    get initialMuted() {
      return mutedFor(current, false);
    },
    press(source = 'window') {
      const wasHeld = held();
      holders.add(source);
      update(wasHeld);
    },
    release(source = 'window') {
      const wasHeld = held();
      holders.delete(source);
      update(wasHeld);
    },
    /** Lets go of everything: the call ended, or the mode changed under a held key. */
    releaseAll() {
      const wasHeld = held();
      holders.clear();
      update(wasHeld);
    },
    setMode(next) {
      holders.clear();
      current = isTalkMode(next) ? next : 'open';
    },
  };
}
