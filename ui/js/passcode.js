'use strict';

import { WORDS } from './words.js';

// Passcodes: generated ones are three common words joined by hyphens ("maple-river-torch"),
// easy to read out loud. What people type is brought to that form before it is used, on the
// hosting side and on the joining side alike, so "Maple River Torch" works too.

export const PASSCODE_WORDS = 3;

// Bits of a generated passcode: log2 of the number of equally likely choices.
export function passcodeBits(words = PASSCODE_WORDS, list = WORDS) {
  return words * Math.log2(list.length);
}

// A uniform index below `n` from the system's secure random source: values from the top of
// the 32-bit range that would favour low indexes are drawn again.
function randomIndex(n, random) {
  const limit = Math.floor(2 ** 32 / n) * n;
  const buffer = new Uint32Array(1);
  for (;;) {
    random.getRandomValues(buffer);
    if (buffer[0] < limit) return buffer[0] % n;
  }
}

export function generatePasscode({ words = PASSCODE_WORDS, list = WORDS, random = globalThis.crypto } = {}) {
  if (!random?.getRandomValues) throw new Error('This browser has no secure random numbers to make a passcode with.');
  const picked = [];
  for (let i = 0; i < words; i += 1) picked.push(list[randomIndex(list.length, random)]);
  return picked.join('-');
}

// Lowercase, no spaces at the ends, and every run of spaces inside (with any hyphens in it)
// turned into one hyphen: "Maple  River - Torch" is "maple-river-torch".
export function normalizePasscode(text) {
  return String(text ?? '').trim().toLowerCase().replace(/[\s-]*\s[\s-]*/g, '-');
}
