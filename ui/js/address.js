'use strict';

import { t } from './i18n/index.js';
import { MAX_ROOM_CHARS, PROTOCOL_VERSION } from './protocol.js';

// Parsing of the "Join by IP" field. Pure functions with no DOM access so they can be unit-tested
// under node.

export const DEFAULT_PORT = 47800;

function fail(error) {
  return { ok: false, error };
}

function parsePort(text) {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

function isIPv4(text) {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(text) {
  // An optional zone ("%eth0") names the interface of a link-local address.
  const [addr, zone, ...rest] = text.split('%');
  if (rest.length || (zone !== undefined && !/^[\w.-]+$/.test(zone))) return false;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (part) => (part === '' ? [] : part.split(':'));
  const groups = halves.flatMap(groupsOf);
  let count = groups.length;
  // A trailing dotted quad stands for the last two groups.
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups.pop();
    count += 1;
  }
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function isHostname(text) {
  if (text.length > 253) return false;
  const labels = text.replace(/\.$/, '').split('.');
  return labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/**
 * Formats host and port the way the relay address is shown and typed: IPv6 in brackets.
 */
export function formatAddress(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Reads what someone typed into the join field: `host`, `host:port`, `[v6]:port`, a bare IPv6
 * address, or a pasted `http://` / `ws://` URL. The port defaults to 47800.
 * Returns `{ok: true, host, port, address}` or `{ok: false, error}` with a sentence for the user.
 */
export function parseAddress(input, defaultPort = DEFAULT_PORT) {
  let text = String(input ?? '').trim();
  if (!text) return fail(t('address.empty'));
  if (/\s/.test(text)) return fail(t('address.spaces'));

  // People paste what they see in a browser's address bar; keep only the authority.
  const scheme = /^(https?|wss?):\/\//i.exec(text);
  if (scheme) text = text.slice(scheme[0].length);
  else if (text.includes('://')) return fail(t('address.scheme'));
  if (scheme || !text.startsWith('[')) text = text.replace(/[/?#].*$/, '');
  if (text.includes('@')) return fail(t('address.userInfo'));
  if (!text) return fail(t('address.empty'));

  let host;
  let portText = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return fail(t('address.bracket'));
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return fail(t('address.afterBracket'));
      portText = after.slice(1);
    }
    if (!isIPv6(host)) return fail(t('address.badIPv6', { host }));
  } else {
    const colons = (text.match(/:/g) || []).length;
    if (colons > 1) {
      // More than one colon and no brackets: a bare IPv6 address, which cannot carry a port.
      if (!isIPv6(text)) {
        return fail(t('address.bareIPv6Port'));
      }
      host = text;
    } else {
      [host, portText = null] = text.split(':');
      if (!host) return fail(t('address.noHost'));
      if (/^[\d.]+$/.test(host)) {
        if (!isIPv4(host)) return fail(t('address.badIPv4', { host }));
      } else if (!isHostname(host)) {
        return fail(t('address.badHost', { host }));
      }
    }
  }

  let port = defaultPort;
  if (portText !== null) {
    if (portText === '') return fail(t('address.noPort'));
    port = parsePort(portText);
    if (port === null) return fail(t('address.badPort', { port: portText }));
  }
  host = host.toLowerCase();
  return { ok: true, host, port, address: formatAddress(host, port) };
}

/**
 * Checks a room name the way the relay does: empty for the default room, else 1 to 64 of
 * A-Z, a-z, 0-9, "_" and "-". Returns an error sentence, or '' when it is fine.
 */
export function checkRoom(room) {
  const text = String(room ?? '');
  if (text === '') return '';
  if (text.length > MAX_ROOM_CHARS) return t('room.tooLong');
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return t('room.badChars');
  return '';
}

/**
 * The WebSocket URL of a room on a relay, as defined by the wire protocol.
 */
export function relayUrl({ host, port }, { room, name, key, secure = false } = {}) {
  const params = new URLSearchParams();
  if (name) params.set('name', name);
  if (key) params.set('key', key);
  params.set('v', String(PROTOCOL_VERSION));
  const path = room ? `/ws/${encodeURIComponent(room)}` : '/ws';
  return `${secure ? 'wss' : 'ws'}://${formatAddress(host, port)}${path}?${params}`;
}
