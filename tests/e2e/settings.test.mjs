// Unit tests of the settings validation; no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIceServers, cleanName, DEFAULT_SETTINGS } from '../../ui/js/settings.js';

test('LAN defaults: processing on, no ICE servers', () => {
  assert.equal(DEFAULT_SETTINGS.echoCancellation, true);
  assert.equal(DEFAULT_SETTINGS.noiseSuppression, true);
  assert.equal(DEFAULT_SETTINGS.autoGainControl, true);
  assert.equal(DEFAULT_SETTINGS.iceServers, '');
  assert.deepEqual(parseIceServers(DEFAULT_SETTINGS.iceServers), { ok: true, servers: [] });
});

test('the documented shape is accepted', () => {
  const text = '[{"urls":"stun:stun.example.org:3478"},{"urls":"turn:turn.example.org","username":"user","credential":"pass"}]';
  const result = parseIceServers(text);
  assert.equal(result.ok, true);
  assert.deepEqual(result.servers, [
    { urls: 'stun:stun.example.org:3478' },
    { urls: 'turn:turn.example.org', username: 'user', credential: 'pass' },
  ]);
  assert.equal(parseIceServers('[{"urls":["stun:a:1","stuns:b:2"]}]').ok, true);
  assert.equal(parseIceServers('  ').ok, true);
});

test('mistakes are named', () => {
  const cases = [
    ['{', /not valid JSON/],
    ['{"urls":"stun:a"}', /must be a list/],
    ['[1]', /Entry 1 must be an object/],
    ['[{"url":"stun:a"}]', /needs "urls"/],
    ['[{"urls":[]}]', /needs "urls"/],
    ['[{"urls":"http://a"}]', /must start with stun:/],
    ['[{"urls":"stun:a"},{"urls":"turn:b"}]', /Entry 2: a TURN server needs "username" and "credential"/],
    ['[{"urls":"turn:b","username":1,"credential":"x"}]', /"username" must be a string/],
  ];
  for (const [text, pattern] of cases) {
    const result = parseIceServers(text);
    assert.equal(result.ok, false, text);
    assert.match(result.error, pattern, text);
  }
});

test('names are trimmed to what the relay accepts', () => {
  assert.equal(cleanName('  Ann   Lee '), 'Ann Lee');
  assert.equal(cleanName('a\u0007b'), 'ab');
  assert.equal(cleanName('x'.repeat(50)).length, 32);
  assert.equal(cleanName(undefined), '');
});
