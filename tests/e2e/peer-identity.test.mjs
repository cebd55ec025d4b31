// How a description names the connection it comes from, which decides when a peer replaces its
// own connection (ui/js/call/peer.js). No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionIdentity, withConnectionSessionId } from '../../ui/js/call/identity.js';

const CHROMIUM_OFFER = [
  'v=0',
  'o=- 307544476844634923 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=ice-ufrag:zjc0',
  'a=ice-pwd:0123456789abcdefghijklmn',
  'a=fingerprint:sha-256 93:A8:07:91:08:C7:2E:4D',
  'a=setup:actpass',
  'a=mid:0',
  '',
].join('\r\n');

// webrtcbin answers with the offerer's o= line and a certificate it shares among its connections.
const NATIVE_ANSWER = [
  'v=0',
  'o=- 307544476844634923 2 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 96',
  'a=ice-ufrag:oLlclTFxsI63ZgryPR/M0PSzho2oGyxA',
  'a=fingerprint:sha-256 e3:46:dc:63:93:8b',
  'a=setup:active',
  '',
].join('\r\n');

test('the identity is the certificate and the session id, not the version or ICE credentials', () => {
  const identity = connectionIdentity(CHROMIUM_OFFER);
  assert.equal(identity, 'sha-256 93:A8:07:91:08:C7:2E:4D 307544476844634923');
  const renegotiated = CHROMIUM_OFFER.replace(' 2 IN IP4', ' 3 IN IP4').replace('ice-ufrag:zjc0', 'ice-ufrag:Vh5W');
  assert.equal(connectionIdentity(renegotiated), identity, 'an ICE restart keeps the connection');
  assert.notEqual(connectionIdentity(CHROMIUM_OFFER.replace('307544476844634923', '5713865684989885640')), identity);
  assert.notEqual(connectionIdentity(CHROMIUM_OFFER.replace('93:A8', '94:A8')), identity);
  assert.equal(connectionIdentity('v=0\r\ns=-\r\n'), '', 'nothing to compare');
  assert.equal(connectionIdentity(undefined), '');
});

test('fingerprints compare without regard to case, order or repetition per media section', () => {
  const twice = `${NATIVE_ANSWER}m=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:SHA-256 E3:46:DC:63:93:8B\r\n`;
  assert.equal(connectionIdentity(twice), connectionIdentity(NATIVE_ANSWER));
  assert.match(connectionIdentity(NATIVE_ANSWER), /^sha-256 E3:46:DC:63:93:8B /);
});

test('a native description is sent with a session id of its own ICE credentials', () => {
  const stamped = withConnectionSessionId(NATIVE_ANSWER);
  const origin = stamped.split('\r\n')[1];
  assert.match(origin, /^o=- \d{1,19} 2 IN IP4 0\.0\.0\.0$/);
  assert.notEqual(origin, 'o=- 307544476844634923 2 IN IP4 0.0.0.0', 'no longer the offerer\'s session');
  const id = BigInt(origin.split(' ')[1]);
  assert.ok(id >= 0n && id < 2n ** 63n, 'fits a signed 64-bit integer, as SDP requires');
  assert.equal(stamped.replace(origin, ''), NATIVE_ANSWER.replace(NATIVE_ANSWER.split('\r\n')[1], ''), 'nothing else changes');

  assert.equal(withConnectionSessionId(NATIVE_ANSWER.replace(' 2 IN', ' 7 IN')).split('\r\n')[1].split(' ')[1], origin.split(' ')[1],
    'the same connection keeps its id');
  const rebuilt = withConnectionSessionId(NATIVE_ANSWER.replace('oLlclTFxsI63ZgryPR/M0PSzho2oGyxA', 'itEjeTi/f6gFmQeBG0rhNV0mNMP+ngP7'));
  assert.notEqual(connectionIdentity(rebuilt), connectionIdentity(stamped), 'a rebuilt connection is told apart');
  assert.equal(withConnectionSessionId('v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\n'), 'v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\n', 'no credentials, no change');
});
