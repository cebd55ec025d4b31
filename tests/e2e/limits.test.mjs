// What the page accepts from another participant before handing it to the engine (browser or
// native): description and candidate limits, and that a peer applies them. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  descriptionProblem, candidateProblem, candidateInitProblem, CandidateBudget,
  MAX_REMOTE_CANDIDATES,
} from '../../ui/js/call/limits.js';
import { Peer } from '../../ui/js/call/peer.js';

// The shape of an audio offer from Chromium, as relayed.
const SESSION = [
  'v=0',
  'o=- 307544476844634923 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  '',
].join('\r\n');

function section(mid, { profile = 'UDP/TLS/RTP/SAVPF', fingerprint = true } = {}) {
  return [
    `m=audio 9 ${profile} 111 63 9 0 8 13 110 126`,
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:zjc0',
    'a=ice-pwd:0123456789abcdefghijklmn',
    'a=ice-options:trickle',
    ...(fingerprint ? ['a=fingerprint:sha-256 93:A8:07:91:08:C7:2E:4D:2B:9A:11:0C:4F:6E:3A:57:85:0B:31:6D:5C:7D:AA:16:3F:C2:19:0E:5D:8B:1F:40'] : []),
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    '',
  ].join('\r\n');
}

const OFFER = SESSION + section('0');

const CANDIDATES = [
  'candidate:1 1 UDP 2015363327 10.99.0.1 40361 typ host',
  'candidate:3 1 TCP 1015022079 10.99.0.1 9 typ host tcptype active',
  'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sXPp network-cost 999',
  'candidate:2999745851 1 udp 2122260223 4e3f1a2c-9b1d-4f5e-8c7a-0d2e6b3f9a11.local 58071 typ host generation 0 network-id 1',
  'a=candidate:a+/b 2 udp 1 fd00::5 5000 typ relay raddr fd00::1 rport 3478',
];

// Each case is timed: a check must never be the slow part of a call.
function timed(fn) {
  const started = performance.now();
  const result = fn();
  assert.ok(performance.now() - started < 1000, 'a check took over a second');
  return result;
}

test('a normal offer and the candidates browsers and the native engine send pass', () => {
  assert.equal(descriptionProblem(OFFER), null);
  assert.equal(descriptionProblem(SESSION.replace('a=group', 'a=fingerprint:sha-256 AB\r\na=group') + section('0', { fingerprint: false })), null);
  for (const text of CANDIDATES) assert.equal(candidateProblem(text), null, text);
  assert.equal(candidateInitProblem({ candidate: CANDIDATES[0], sdpMid: '0', sdpMLineIndex: 0 }), null);
});

test('descriptions outside the limits are refused with a reason', () => {
  const refused = (sdp, pattern) => {
    const problem = timed(() => descriptionProblem(sdp));
    assert.match(problem ?? 'accepted', pattern);
  };
  refused(SESSION, /no media section/);
  const many = Array.from({ length: 400 }, (_, i) => `m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:${i}\r\n`).join('');
  refused(SESSION + many, /more than 8 media sections/);
  refused(SESSION + section('0') + section('0'), /share the mid "0"/);
  refused(SESSION + section('0', { fingerprint: false }), /no a=fingerprint/);
  refused(SESSION + section('0', { profile: 'RTP/AVP' }), /profile "RTP\/AVP"/);
  refused(OFFER + `a=x-junk:${'z'.repeat(60_000)}\r\n`, /line 21 is over 4096 bytes/);
  refused(OFFER + 'a=x-junk:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n'.repeat(2000), /over 65536 bytes/);
  // Multi-byte text counts in bytes, as it travels.
  refused(OFFER + `a=x-junk:${'é'.repeat(30_000)}\r\n`, /line 21 is over/);
  refused(OFFER + 'a=candidate:1 1 UDP 1 10.0.0.1 1 typ host\r\n'.repeat(65), /more than 64 candidates/);
  refused(OFFER + 'a=candidate:1 1 UDP 1 10.0.0.1 1 typ evil\r\n', /malformed candidate/);
  refused('m=audio 9\r\n', /malformed m= line/);
  refused(undefined, /not text/);
});

test('candidates outside the grammar or the size are refused', () => {
  const refused = (text, pattern) => assert.match(timed(() => candidateProblem(text)) ?? 'accepted', pattern, text);
  refused(`candidate:1 1 UDP 1 10.0.0.1 1 typ host x-junk ${'z'.repeat(60_000)}`, /at most 512/);
  for (const text of [
    '1 1 UDP 1 10.0.0.1 1 typ host',
    'candidate:',
    'candidate:1 0 UDP 1 10.0.0.1 1 typ host',
    'candidate:1 257 UDP 1 10.0.0.1 1 typ host',
    'candidate:1 1 UDP 0 10.0.0.1 1 typ host',
    'candidate:1 1 UDP 4294967296 10.0.0.1 1 typ host',
    'candidate:1 1 UDP 1 10.0.0.1 65536 typ host',
    'candidate:1 1 UDP 1 10.0.0.1 1 typ',
    'candidate:1 1 UDP 1 10.0.0.1 1 typ evil',
    'candidate:1 1 UDP 1 10.0.0.1 1 kind host',
    'candidate:1 1 UDP 1 bad_host! 1 typ host',
    'candidate:1 1 UDP 1 10.0.0.1 1 typ host generation',
    'candidate:1  1 UDP 1 10.0.0.1 1 typ host',
    'candidate:1 1 UDP 1 10.0.0.1 1 typ host ufrag a\u007fb',
    'candidate:1 1 UDP 1 fd00::5::1 1 typ host',
  ]) refused(text, /./);
  assert.match(candidateInitProblem({ candidate: CANDIDATES[0], sdpMLineIndex: 4e9 }), /media section index/);
  assert.match(candidateInitProblem({ candidate: CANDIDATES[0], sdpMid: 'm'.repeat(1000) }), /mid/);
  assert.match(candidateInitProblem(null), /not an object/);
});

test('a connection takes at most 64 candidates between descriptions', () => {
  const budget = new CandidateBudget();
  const taken = timed(() => Array.from({ length: 10_000 }, () => budget.take()).filter(Boolean).length);
  assert.equal(taken, MAX_REMOTE_CANDIDATES);
  assert.equal(budget.refused, 10_000 - MAX_REMOTE_CANDIDATES);
  budget.reset();
  assert.equal(budget.take(), true);
});

// A peer over a connection object that records what reaches it, standing where the browser's
// RTCPeerConnection or the native adapter stands.
function recordingPeer() {
  const reached = { descriptions: [], candidates: [] };
  const pc = {
    signalingState: 'stable',
    connectionState: 'new',
    remoteDescription: null,
    localDescription: null,
    async setRemoteDescription(description) {
      reached.descriptions.push(description);
      this.remoteDescription = description;
      this.signalingState = 'have-remote-offer';
    },
    async setLocalDescription() {
      this.localDescription = { type: 'answer', sdp: OFFER };
      this.signalingState = 'stable';
    },
    async addIceCandidate(candidate) {
      reached.candidates.push(candidate);
    },
    close() {},
  };
  const engine = { name: 'browser', handlesMedia: true, createPeerConnection: () => pc };
  const sent = [];
  const peer = new Peer({
    id: 'mallory', polite: true, initiator: true, engine, rtcConfig: {}, localMedia: null,
    send: (msg) => sent.push(msg), onChange: () => {},
  });
  return { peer, reached, sent };
}

test('a peer hands the engine only what is within the limits', async () => {
  const { peer, reached, sent } = recordingPeer();
  const warn = console.warn;
  const warnings = [];
  console.warn = (...args) => warnings.push(args.join(' '));
  try {
    const started = performance.now();
    for (let n = 0; n < 10_000; n++) {
      peer.handleSignal({ type: 'candidate', candidate: { candidate: `candidate:${n} 1 udp 1 10.99.0.2 ${10_000 + (n % 50_000)} typ host`, sdpMLineIndex: 0 } });
    }
    peer.handleSignal({ type: 'candidate', candidate: { candidate: `candidate:1 1 udp 1 10.99.0.2 9 typ host x ${'z'.repeat(60_000)}`, sdpMLineIndex: 0 } });
    for (const sdp of [SESSION, SESSION + section('0') + section('0'), SESSION + section('0', { profile: 'RTP/AVP' })]) {
      await peer.handleSignal({ type: 'offer', sdp });
    }
    assert.ok(performance.now() - started < 5000, 'the flood was handled quickly');
    assert.equal(reached.candidates.length, MAX_REMOTE_CANDIDATES);
    assert.equal(reached.descriptions.length, 0);
    assert.equal(warnings.filter((w) => w.includes('too many candidates')).length, 1, 'one warning for the flood');

    await peer.handleSignal({ type: 'offer', sdp: OFFER });
    assert.equal(reached.descriptions.length, 1);
    assert.equal(sent.at(-1).type, 'answer');
    // A new description opens a new count.
    await peer.handleSignal({ type: 'candidate', candidate: { candidate: CANDIDATES[0], sdpMLineIndex: 0 } });
    assert.equal(reached.candidates.length, MAX_REMOTE_CANDIDATES + 1);
  } finally {
    console.warn = warn;
    peer.close();
  }
});
