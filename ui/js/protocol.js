'use strict';

// What the page and the relay must agree on (docs/PROTOCOL.md): the version, room and name
// limits, and the error and close codes the page acts on. tests/e2e/protocol.test.mjs holds
// these against tests/fixtures/protocol.json, which the relay's own tests read too.

export const PROTOCOL_VERSION = 1;

// The room `/ws` joins when the path names none.
export const DEFAULT_ROOM = 'lobby';
export const MAX_ROOM_CHARS = 64;

// Display names, in code points (docs/PROTOCOL.md, "Display names").
export const MAX_NAME_CHARS = 32;
export const MAX_COMBINING_RUN = 2;
export const MAX_COMBINING_TOTAL = 8;

// Codes of the relay's `error` messages that the page names.
export const ERROR = Object.freeze({
  UNKNOWN_PEER: 'unknown-peer',
  BAD_KEY: 'bad-key',
  ROOM_FULL: 'room-full',
  VERSION_MISMATCH: 'version-mismatch',
  RELAY_FULL: 'relay-full',
  TOO_MANY_ATTEMPTS: 'too-many-attempts',
});

// WebSocket close codes: the relay's (with their names in the protocol) and the two a client
// meets without the relay sending them.
export const CLOSE = Object.freeze({
  NORMAL: 1000,
  HOST_ENDED: 1001,
  ABNORMAL: 1006,
  BAD_KEY: 4001,
  TOO_MANY_ATTEMPTS: 4001,
  ROOM_FULL: 4003,
  TOO_SLOW: 4008,
  KEEPALIVE: 4008,
  VERSION_MISMATCH: 4009,
  RELAY_FULL: 4013,
});

// RFC 6455's internal error, service restart, try again later and bad gateway: the relay does not
// send them, but a proxy or server in front of it may, and each says the trouble should pass.
export const SERVER_TROUBLE_CLOSE_CODES = Object.freeze([1011, 1012, 1013, 1014]);

// The refusals after which the relay closes the socket, with the close that follows each:
// trying again would fail the same way.
export const REFUSALS = Object.freeze({
  [ERROR.BAD_KEY]: CLOSE.BAD_KEY,
  [ERROR.ROOM_FULL]: CLOSE.ROOM_FULL,
  [ERROR.VERSION_MISMATCH]: CLOSE.VERSION_MISMATCH,
  [ERROR.RELAY_FULL]: CLOSE.RELAY_FULL,
  [ERROR.TOO_MANY_ATTEMPTS]: CLOSE.TOO_MANY_ATTEMPTS,
});

/** Whether an `error` code is a refusal that ends the connection. */
export function isRefusal(code) {
  return Object.hasOwn(REFUSALS, code);
}

// The closes after which a client reconnects by itself (docs/PROTOCOL.md, section 6), and no
// others: after a refusal, a client bug, the end of the call or a newer connection of the same
// client, trying again would fail the same way or fight that newer connection. The app's client
// (src-tauri/src/signal/close.rs) keeps the same list.
export const RECONNECT_CLOSE_CODES = new Set([
  CLOSE.ABNORMAL, CLOSE.TOO_SLOW, CLOSE.KEEPALIVE, ...SERVER_TROUBLE_CLOSE_CODES,
]);

/** Whether a client reconnects by itself after a close with this code. */
export function reconnectsAfter(code) {
  return RECONNECT_CLOSE_CODES.has(code);
}
