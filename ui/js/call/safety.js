'use strict';

// Safety codes: twelve digits that both ends of a connection derive from the two DTLS
// certificates the connection actually uses, and the room. Read out loud and compared, equal codes
// mean nobody sits in the middle of the encrypted audio: an attacker who relays the call has to
// present a certificate of its own to each side, and would have to find, while the call is being
// set up, one whose fingerprint makes the same code come out (one chance in 10^12, about 40 bits).
// Digits read the same in every language. The formula is written down in docs/PROTOCOL.md so any
// client can show the same code.

const LABEL = 'tincan-safety-code/1';
const DIGITS = 12n;
const GROUP = 4;

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

// The code of a connection, from the descriptions it applied ("1234 5678 9012"); null when either
// side names no SHA-256 fingerprint (then there is nothing to compare) or the page cannot hash
// (crypto.subtle exists in secure contexts only).
export async function safetyCode(localSdp, remoteSdp, room) {
  const sides = [fingerprintsOf(localSdp), fingerprintsOf(remoteSdp)];
  if (sides.some((side) => !side) || !globalThis.crypto?.subtle) return null;
  sides.sort();
  const input = new TextEncoder().encode(`${LABEL}\n${room}\n${sides[0]}\n${sides[1]}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  return digitsOf(digest);
}

// The digest's first eight bytes as a big-endian number, its last twelve decimal digits, in
// groups of four.
function digitsOf(digest) {
  let value = 0n;
  for (const byte of digest.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  const digits = (value % 10n ** DIGITS).toString().padStart(Number(DIGITS), '0');
  const groups = [];
  for (let i = 0; i < digits.length; i += GROUP) groups.push(digits.slice(i, i + GROUP));
  return groups.join(' ');
}
