'use strict';

// Parsing of the "Join by IP" field. Pure functions with no DOM access so they can be unit-tested
// under node.

export const DEFAULT_PORT = 47800;

const EXAMPLE = 'e.g. 192.168.1.23 or 192.168.1.23:47800';

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
  if (!text) return fail(`Enter the host's address, ${EXAMPLE}.`);
  if (/\s/.test(text)) return fail(`An address has no spaces, ${EXAMPLE}.`);

  // People paste what they see in a browser's address bar; keep only the authority.
  const scheme = /^(https?|wss?):\/\//i.exec(text);
  if (scheme) text = text.slice(scheme[0].length);
  else if (text.includes('://')) return fail('Only an address is needed, not a link of that kind.');
  if (scheme || !text.startsWith('[')) text = text.replace(/[/?#].*$/, '');
  if (text.includes('@')) return fail(`Enter only the host's address, ${EXAMPLE}.`);
  if (!text) return fail(`Enter the host's address, ${EXAMPLE}.`);

  let host;
  let portText = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return fail('An IPv6 address in brackets needs its closing "]", e.g. [fe80::1]:47800.');
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return fail('After "]" only ":" and a port may follow, e.g. [fe80::1]:47800.');
      portText = after.slice(1);
    }
    if (!isIPv6(host)) return fail(`"${host}" is not a valid IPv6 address.`);
  } else {
    const colons = (text.match(/:/g) || []).length;
    if (colons > 1) {
      // More than one colon and no brackets: a bare IPv6 address, which cannot carry a port.
      if (!isIPv6(text)) {
        return fail('Put an IPv6 address in brackets to add a port, e.g. [fe80::1]:47800.');
      }
      host = text;
    } else {
      [host, portText = null] = text.split(':');
      if (!host) return fail(`The address is missing before the ":", ${EXAMPLE}.`);
      if (/^[\d.]+$/.test(host)) {
        if (!isIPv4(host)) return fail(`"${host}" is not a valid IPv4 address (four numbers 0-255, like 192.168.1.23).`);
      } else if (!isHostname(host)) {
        return fail(`"${host}" is not a valid host name or IP address.`);
      }
    }
  }

  let port = defaultPort;
  if (portText !== null) {
    if (portText === '') return fail('The port is missing after ":", e.g. 192.168.1.23:47800.');
    port = parsePort(portText);
    if (port === null) return fail(`"${portText}" is not a port; use a number from 1 to 65535.`);
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
  if (text.length > 64) return 'A room name has at most 64 characters.';
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return 'A room name uses only letters, digits, "-" and "_".';
  return '';
}

/**
 * The WebSocket URL of a room on a relay, as defined by the wire protocol.
 */
export function relayUrl({ host, port }, { room, name, key, secure = false } = {}) {
  const params = new URLSearchParams();
  if (name) params.set('name', name);
  if (key) params.set('key', key);
  params.set('v', '1');
  const path = room ? `/ws/${encodeURIComponent(room)}` : '/ws';
  return `${secure ? 'wss' : 'ws'}://${formatAddress(host, port)}${path}?${params}`;
}
