'use strict';

// Which connection a description comes from: its DTLS certificate fingerprints (session or media
// level) and the session id of its o= line, in one comparable string; '' when it names neither.
// A browser keeps both for a connection's whole life. The native engine shares one certificate
// among its connections and repeats the offerer's o= line in its answers, so its descriptions are
// sent with a session id of their own (withConnectionSessionId).
export function connectionIdentity(sdp) {
  const fingerprints = new Set();
  let session = '';
  for (const raw of String(sdp ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    const fingerprint = /^a=fingerprint:\s*(\S+)\s+(\S+)/i.exec(line);
    if (fingerprint) fingerprints.add(`${fingerprint[1].toLowerCase()} ${fingerprint[2].toUpperCase()}`);
    else if (!session && line.startsWith('o=')) session = line.slice(2).split(/\s+/)[1] ?? '';
  }
  if (!fingerprints.size && !session) return '';
  return `${[...fingerprints].sort().join(',')} ${session}`;
}

// Gives a native connection's description the session id of that connection: every native
// connection has ICE credentials of its own for its whole life (it is rebuilt to restart ICE), so
// a 63-bit hash (FNV-1a) of the ICE username fragment names it.
export function withConnectionSessionId(sdp) {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
  if (!ufrag) return sdp;
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(ufrag)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  const id = (hash & 0x7fffffffffffffffn).toString();
  return sdp.replace(/^o=(\S+) \S+ /m, (_, user) => `o=${user} ${id} `);
}
