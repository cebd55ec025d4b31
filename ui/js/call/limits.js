'use strict';

// Limits on what another participant may hand our connection through the relay: descriptions and
// ICE candidates are checked here, cheaply, before the browser or the native engine parses or
// stores them. The same limits as the native engine's (tincan-engine/src/limits.rs).

export const MAX_SDP_BYTES = 64 * 1024;
export const MAX_SDP_LINE_BYTES = 4 * 1024;
export const MAX_MEDIA_SECTIONS = 8;
export const MAX_REMOTE_CANDIDATES = 64;
export const MAX_CANDIDATE_BYTES = 512;

const PROFILE = 'UDP/TLS/RTP/SAVPF';
const CANDIDATE_TYPES = new Set(['host', 'srflx', 'prflx', 'relay']);
const FOUNDATION = /^[A-Za-z0-9+/]{1,32}$/;
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]{1,32}$/;
const VISIBLE = /^[\x21-\x7e]+$/;
const DIGITS = /^[0-9]+$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const HOST_LABEL = /^[A-Za-z0-9-]{1,63}$/;

// Byte length of a string as UTF-8, without allocating a copy for the common ASCII case.
function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function number(text, maxDigits, min, max) {
  if (!DIGITS.test(text) || text.length > maxDigits) return false;
  const value = Number(text);
  return value >= min && value <= max;
}

const isPort = (text) => number(text, 5, 0, 65535);

function isIPv6(text) {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text) || !text.includes(':')) return false;
  try {
    // The URL parser knows IPv6 literals exactly; a bad one throws.
    return new URL(`http://[${text}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

// An IPv4 or IPv6 address, or a host name such as a browser's mDNS `<uuid>.local`.
function isAddress(text) {
  if (IPV4.test(text) || isIPv6(text)) return true;
  return text.length <= 253 && text.split('.').every((label) => HOST_LABEL.test(label));
}

// Why a candidate attribute (`candidate:...`, with or without `a=`) breaks the limits or RFC 8839's
// grammar, or null when it is fine.
export function candidateProblem(text) {
  if (typeof text !== 'string') return 'the candidate is not text';
  const length = utf8Length(text);
  if (length > MAX_CANDIDATE_BYTES) return `the candidate is ${length} bytes long; at most ${MAX_CANDIDATE_BYTES} are accepted`;
  const attribute = text.startsWith('a=') ? text.slice(2) : text;
  if (!attribute.startsWith('candidate:')) return 'it does not start with "candidate:"';
  const fields = attribute.slice('candidate:'.length).split(' ');
  if (fields.some((f) => f === '')) return 'it has empty fields';
  if (fields.length < 8) return 'it has too few fields';
  const [foundation, component, transport, priority, address, port, typ, type, ...rest] = fields;
  if (!FOUNDATION.test(foundation)) return 'the foundation is not 1 to 32 letters, digits, "+" or "/"';
  if (!number(component, 3, 1, 256)) return 'the component id is not a number from 1 to 256';
  if (!TOKEN.test(transport)) return 'the transport is not a token';
  if (!number(priority, 10, 1, 0xffffffff)) return 'the priority is not a number from 1 to 4294967295';
  if (!isAddress(address)) return 'the address is neither an IP address nor a host name';
  if (!isPort(port)) return 'the port is not a number from 0 to 65535';
  if (typ !== 'typ') return '"typ" does not follow the port';
  if (!CANDIDATE_TYPES.has(type)) return 'the type is not host, srflx, prflx or relay';
  if (rest.length % 2 !== 0) return 'an extension has no value';
  for (let i = 0; i < rest.length; i += 2) {
    const [name, value] = [rest[i], rest[i + 1]];
    const fine = name === 'raddr' ? isAddress(value)
      : name === 'rport' ? isPort(value)
        : TOKEN.test(name) && VISIBLE.test(value);
    if (!fine) return 'an extension is malformed';
  }
  return null;
}

// Why a remote offer or answer breaks the limits (size, line length, m-lines: count, profile,
// unique mids; DTLS fingerprints; the candidates it carries), or null when it is fine.
export function descriptionProblem(sdp) {
  if (typeof sdp !== 'string') return 'the description is not text';
  // Cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (sdp.length > MAX_SDP_BYTES || utf8Length(sdp) > MAX_SDP_BYTES) {
    return `the description is over ${MAX_SDP_BYTES} bytes long`;
  }
  let sessionFingerprint = false;
  const sections = []; // whether each has a fingerprint
  const mids = new Set();
  let candidates = 0;
  const lines = sdp.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    if (utf8Length(line) > MAX_SDP_LINE_BYTES) return `line ${n + 1} is over ${MAX_SDP_LINE_BYTES} bytes long`;
    if (line.startsWith('m=')) {
      if (sections.length === MAX_MEDIA_SECTIONS) return `it has more than ${MAX_MEDIA_SECTIONS} media sections`;
      const fields = line.slice(2).split(' ');
      if (fields.length < 4) return `media section ${sections.length} has a malformed m= line`;
      if (fields[2] !== PROFILE) return `media section ${sections.length} uses the profile ${JSON.stringify(fields[2].slice(0, 32))}; only ${PROFILE} is accepted`;
      sections.push(false);
    } else if (line.startsWith('a=fingerprint:')) {
      if (sections.length) sections[sections.length - 1] = true;
      else sessionFingerprint = true;
    } else if (line.startsWith('a=mid:')) {
      const mid = line.slice(6).trim();
      if (mids.has(mid)) return `two media sections share the mid ${JSON.stringify(mid.slice(0, 32))}`;
      mids.add(mid);
    } else if (line.startsWith('a=candidate:')) {
      candidates += 1;
      if (candidates > MAX_REMOTE_CANDIDATES) return `it carries more than ${MAX_REMOTE_CANDIDATES} candidates`;
      const problem = candidateProblem(line);
      if (problem) return `malformed candidate: ${problem}`;
    }
  }
  if (!sections.length) return 'it has no media section';
  const bare = sections.indexOf(false);
  if (!sessionFingerprint && bare >= 0) return `media section ${bare} has no a=fingerprint`;
  return null;
}

// Counts the candidates a connection takes between two remote descriptions.
export class CandidateBudget {
  #used = 0;
  // Candidates refused since the last reset, so a flood is reported once, not once per candidate.
  refused = 0;

  // Whether one more candidate fits; counts it if so.
  take() {
    if (this.#used >= MAX_REMOTE_CANDIDATES) {
      this.refused += 1;
      return false;
    }
    this.#used += 1;
    return true;
  }

  // A new remote description starts a new count, as it replaces the candidates that matter.
  reset() {
    this.#used = 0;
    this.refused = 0;
  }
}

// Why a remote candidate init ({candidate, sdpMid, sdpMLineIndex}) must not be used, or null.
export function candidateInitProblem(init) {
  if (!init || typeof init !== 'object') return 'the candidate is not an object';
  const problem = candidateProblem(init.candidate);
  if (problem) return problem;
  const index = init.sdpMLineIndex;
  if (index !== undefined && index !== null
    && !(Number.isInteger(index) && index >= 0 && index < MAX_MEDIA_SECTIONS)) {
    return `the media section index is not a number below ${MAX_MEDIA_SECTIONS}`;
  }
  if (init.sdpMid !== undefined && init.sdpMid !== null
    && (typeof init.sdpMid !== 'string' || init.sdpMid.length > 32)) {
    return 'the mid is not a short text';
  }
  return null;
}
