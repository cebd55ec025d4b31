// Starts a real tincan-relay serving the UI, on a free port, for one test.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RELAY_BIN = process.env.TINCAN_RELAY_BIN || path.join(ROOT, 'target/debug/tincan-relay');

// Relays still running when the test process ends (a test timed out mid-way) are killed with it.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRelay({ key, maxPeers, port = 0, args = [] } = {}) {
  if (!existsSync(RELAY_BIN)) throw new Error(`${RELAY_BIN} is missing; run cargo build -p tincan-relay`);
  // Every page of a test comes from one address, where on a LAN each person has their own: the
  // per-address cap (32 connections, a browser opens about 6 per page) would turn away the pages
  // of an eight-person mesh. Announcing the room on the test network is left to the tests of it.
  const argv = ['--listen', `0.0.0.0:${port}`, '--ui', 'ui', '--max-connections-per-address', '1024',
    '--no-announce', ...args];
  if (key) argv.push('--key', key);
  if (maxPeers) argv.push('--max-peers', String(maxPeers));
  const child = spawn(RELAY_BIN, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));

  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    exited.then(({ code }) => {
      throw new Error(`relay exited with ${code}: ${Buffer.concat(stderr).toString()}`);
    }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('relay did not start in 10 s')), 10000)),
  ]);
  // Keep draining stdout so the relay never blocks on a full pipe.
  lines.on('line', () => {});
  const match = /^listening on ws:\/\/(.+):(\d+)\/ws$/.exec(first);
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line from the relay: ${first}`);
  }
  const boundPort = Number(match[2]);
  const origin = `http://127.0.0.1:${boundPort}`;

  return {
    port: boundPort,
    origin,
    child,
    exited,
    stderr: () => Buffer.concat(stderr).toString(),
    page(params = {}) {
      const query = new URLSearchParams(params).toString();
      return `${origin}/${query ? `?${query}` : ''}`;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
