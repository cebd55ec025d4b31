// Display names: the UI's cleanName makes names the relay accepts (same rule on both sides),
// and the roster tells apart people who show the same name. No browser needed; the agreement
// test runs the real relay on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { cleanName } from '../../ui/js/settings.js';
import { MAX_NAME_CHARS } from '../../ui/js/protocol.js';
import { peerLabels } from '../../ui/js/view/roster.js';
import { RELAY_BIN, ROOT } from './lib/relay.mjs';

// Names built to fool a reader, and ordinary ones that must survive untouched.
const TRICKY = [
  'Ann\u202e (you)',
  'A\u200bnn',
  'An\u2028n',
  'An\u2029n',
  '\ufeffAnn',
  'Ann\u2066x\u2069',
  'a\u0301\u0302\u0303\u0304',
  'e\u0301'.repeat(12),
  'Z\u0351\u0352\u0353\u0354\u0355\u0356 o\u0357\u0358\u0359',
  '\u0300\u0301\u0302 leading marks',
  'x'.repeat(40),
  '😀'.repeat(40),
  '  spaced \t out  ',
  'tab\there',
  'nul\u0000byte',
];
const PLAIN = ['Ann', 'Zoe\u0301', 'Nguy\u1ec5n Th\u1ecb', '\u0928\u092e\u0938\u094d\u0924\u0947', '李小龙', 'Ann-Marie O\'Neil'];

test('hidden characters are removed and combining marks capped', () => {
  assert.equal(cleanName('Ann\u202e (you)'), 'Ann (you)');
  assert.equal(cleanName('A\u200bnn'), 'Ann');
  assert.equal(cleanName('An\u2028n'), 'Ann');
  assert.equal(cleanName('a\u0301\u0302\u0303\u0304'), 'a\u0301\u0302');
  const piled = cleanName('e\u0301'.repeat(12));
  assert.equal([...piled].filter((c) => /\p{M}/u.test(c)).length, 8);
  for (const name of PLAIN) assert.equal(cleanName(name), name);
});

test('the length is counted in characters, never splitting one', () => {
  const emoji = cleanName('😀'.repeat(40));
  assert.equal([...emoji].length, MAX_NAME_CHARS);
  assert.ok(emoji.isWellFormed());
});

test('people who show the same name get a piece of their id', () => {
  const peers = [
    { id: 'aaaaaaaa1111', name: 'Ann' },
    { id: 'bbbbbbbb2222', name: 'Ann (you)' },
    { id: 'cccccccc3333', name: 'Bo' },
    { id: 'dddddddd4444', name: 'bo' },
    { id: 'eeeeeeee5555', name: 'Cy' },
    { id: 'ffffffff6666', name: 'Dee (YOU)' },
  ];
  const labels = peerLabels('Ann', 'Ann (you)', peers);
  assert.equal(labels.get('aaaaaaaa1111'), 'Ann · 1111');
  assert.equal(labels.get('bbbbbbbb2222'), 'Ann (you) · 2222');
  assert.equal(labels.get('cccccccc3333'), 'Bo · 3333');
  assert.equal(labels.get('dddddddd4444'), 'bo · 4444');
  assert.equal(labels.get('eeeeeeee5555'), 'Cy');
  assert.equal(labels.get('ffffffff6666'), 'Dee (YOU) · 6666');
  // Full-width letters look the same and fold the same.
  const wide = peerLabels('Bo', 'Bo (you)', [{ id: 'x1234', name: 'Ｂｏ' }]);
  assert.equal(wide.get('x1234'), 'Ｂｏ · 1234');
});

async function startRelay() {
  const child = spawn(RELAY_BIN, ['--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    new Promise((_, reject) => setTimeout(() => reject(new Error('relay did not start in 10 s')), 10000).unref()),
  ]);
  lines.on('line', () => {});
  const port = Number(/:(\d+)\/ws$/.exec(first)[1]);
  return { child, port };
}

// The HTTP status the relay answers a join with this name: 101 accepted, 400 refused.
function joinStatus(port, name) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      agent: false,
      port,
      path: `/ws/lobby?name=${encodeURIComponent(name)}`,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

test('the relay accepts every name cleanName makes, and refuses the tricky originals', {
  skip: existsSync(RELAY_BIN) ? false : `${RELAY_BIN} is missing; run cargo build -p tincan-relay`,
}, async () => {
  const { child, port } = await startRelay();
  try {
    for (const name of [...TRICKY, ...PLAIN]) {
      assert.equal(await joinStatus(port, cleanName(name)), 101, `cleaned ${JSON.stringify(name)}`);
    }
    for (const name of TRICKY.slice(0, 10)) {
      assert.equal(await joinStatus(port, name), 400, `raw ${JSON.stringify(name)}`);
    }
    for (const name of PLAIN) assert.equal(await joinStatus(port, name), 101, name);
  } finally {
    child.kill('SIGKILL');
  }
});
