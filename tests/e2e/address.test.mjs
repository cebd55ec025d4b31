// Unit tests of the join field's address parser; no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress, formatAddress, relayUrl, DEFAULT_PORT } from '../../ui/js/address.js';

function ok(input, host, port) {
  const result = parseAddress(input);
  assert.equal(result.ok, true, `${input}: ${result.error}`);
  assert.equal(result.host, host, input);
  assert.equal(result.port, port, input);
  return result;
}

function bad(input, pattern) {
  const result = parseAddress(input);
  assert.equal(result.ok, false, `${input} should be refused`);
  assert.equal(typeof result.error, 'string');
  assert.ok(result.error.length > 10, 'the error is a sentence');
  if (pattern) assert.match(result.error, pattern, input);
}

test('a bare IPv4 address gets the default port', () => {
  assert.equal(DEFAULT_PORT, 47800);
  const r = ok('192.168.1.23', '192.168.1.23', 47800);
  assert.equal(r.address, '192.168.1.23:47800');
});

test('host:port', () => {
  ok('10.0.0.5:9000', '10.0.0.5', 9000);
  ok('  10.0.0.5:1  ', '10.0.0.5', 1);
  ok('10.0.0.5:65535', '10.0.0.5', 65535);
  ok('my-laptop.local:47801', 'my-laptop.local', 47801);
  ok('Studio-PC', 'studio-pc', 47800);
  ok('localhost', 'localhost', 47800);
});

test('IPv6 in brackets, with and without a port', () => {
  const r = ok('[fe80::1]:47801', 'fe80::1', 47801);
  assert.equal(r.address, '[fe80::1]:47801');
  ok('[::1]', '::1', 47800);
  ok('[2001:db8:0:0:0:0:0:1]:5000', '2001:db8:0:0:0:0:0:1', 5000);
  ok('[::ffff:192.168.1.2]:80', '::ffff:192.168.1.2', 80);
  ok('[fe80::1%eth0]:47800', 'fe80::1%eth0', 47800);
  ok('[::]:47800', '::', 47800);
});

test('a bare IPv6 address is accepted without a port', () => {
  ok('fe80::abcd:1', 'fe80::abcd:1', 47800);
  ok('2001:DB8::1', '2001:db8::1', 47800);
});

test('pasted links keep only the address', () => {
  ok('http://192.168.1.23:47800/', '192.168.1.23', 47800);
  ok('ws://10.1.2.3:5000/ws/lobby?v=1', '10.1.2.3', 5000);
  ok('https://[fe80::2]:47800/?name=Ann', 'fe80::2', 47800);
  ok('192.168.1.23:47800/', '192.168.1.23', 47800);
});

test('bad input gets a clear message', () => {
  bad('', /Enter the host's address/);
  bad('   ', /Enter the host's address/);
  bad('192.168.1.23:', /port is missing/);
  bad('192.168.1.23:0', /1 to 65535/);
  bad('192.168.1.23:65536', /1 to 65535/);
  bad('192.168.1.23:http', /not a port/);
  bad('192.168.1.256', /not a valid IPv4/);
  bad('192.168.1', /not a valid IPv4/);
  bad('1.2.3.4.5', /not a valid IPv4/);
  bad(':47800', /missing before/);
  bad('bad_host!', /not a valid host name/);
  bad('192.168.1.23 47800', /no spaces/);
  bad('[fe80::1', /closing "\]"/);
  bad('[fe80::1]47800', /After "\]"/);
  bad('[192.168.1.1]:80', /not a valid IPv6/);
  bad('[1::2::3]', /not a valid IPv6/);
  bad('fe80::1:47800:zz', /brackets/);
  bad('1:2:3:4:5:6:7:8:9', /brackets/);
  bad('ftp://host', /not a link/);
  bad('user@host', /only the host's address/);
  bad(null);
});

test('formatAddress brackets IPv6 only', () => {
  assert.equal(formatAddress('10.0.0.1', 1), '10.0.0.1:1');
  assert.equal(formatAddress('::1', 2), '[::1]:2');
});

test('relayUrl builds the protocol URL', () => {
  const target = { host: '10.0.0.1', port: 47800 };
  assert.equal(relayUrl(target, { room: 'lobby', name: 'Ann Lee', key: 'k&1' }),
    'ws://10.0.0.1:47800/ws/lobby?name=Ann+Lee&key=k%261&v=1');
  assert.equal(relayUrl({ host: '::1', port: 5 }, {}), 'ws://[::1]:5/ws?v=1');
  assert.equal(relayUrl(target, { room: 'a b' }), 'ws://10.0.0.1:47800/ws/a%20b?v=1');
});

test('checkRoom follows the relay rules', async () => {
  const { checkRoom } = await import('../../ui/js/address.js');
  assert.equal(checkRoom(''), '');
  assert.equal(checkRoom('lobby'), '');
  assert.equal(checkRoom('team_2-b'), '');
  assert.equal(checkRoom('x'.repeat(64)), '');
  assert.match(checkRoom('x'.repeat(65)), /at most 64/);
  assert.match(checkRoom('two words'), /letters, digits/);
  assert.match(checkRoom('café'), /letters, digits/);
});
