'use strict';

// Safety codes: four words that both ends of a connection derive from the two DTLS certificates
// the connection actually uses, and the room. Read out loud and compared, equal words mean nobody
// sits in the middle of the encrypted audio: an attacker who relays the call has to present a
// certificate of its own to each side, and would have to find, while the call is being set up, one
// whose fingerprint makes the same 44 bits come out. The formula is written down in
// docs/PROTOCOL.md so any client can show the same words.

import { WORDS } from '../words.js';

const LABEL = 'tincan-safety-code/1';
const WORD_BITS = 11;
const WORD_COUNT = 4;

// The SHA-256 certificate fingerprints a description names (session or media level), normalised
// (upper-case hex with colons) and sorted, joined by commas; '' when it names none.
export function fingerprintsOf(sdp) {
  const found = new Set();
  for (const raw of String(sdp ?? '').split(/\r?\n/)) {
    const match = /^a=fingerprint:\s*sha-256\s+([0-9a-f:]+)\s*$/i.exec(raw.trim());
    if (match) found.add(match[1].toUpperCase());
  }
  return [...found].sort().join(',');
}

// The four words of a connection, from the descriptions it applied; null when either side names
// no SHA-256 fingerprint (then there is nothing to compare).
export async function safetyCode(localSdp, remoteSdp, room) {
  const sides = [fingerprintsOf(localSdp), fingerprintsOf(remoteSdp)];
  if (sides.some((side) => !side)) return null;
  if (WORDS.length !== 1 << WORD_BITS) throw new Error('the safety word list must hold 2048 words');
  sides.sort();
  const input = new TextEncoder().encode(`${LABEL}\n${room}\n${sides[0]}\n${sides[1]}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  return wordsOf(digest).join(' ');
}

// The first 44 bits of the digest, eleven at a time (most significant first), as words.
function wordsOf(digest) {
  let bits = 0n;
  for (const byte of digest.subarray(0, 6)) bits = (bits << 8n) | BigInt(byte);
  const words = [];
  for (let i = 0; i < WORD_COUNT; i += 1) {
    const shift = BigInt(48 - WORD_BITS * (i + 1));
    words.push(WORDS[Number((bits >> shift) & 0x7ffn)]);
  }
  return words;
}
