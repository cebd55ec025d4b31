'use strict';
// The three servers under test: installing them when missing, starting one on a free loopback
// port, stopping it, and reading its memory, CPU time and open files from /proc.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { deps, matchboxBinary, relayBinary, root, tools, work } from './paths.mjs';

/// Versions compared against; pinned so that runs on different days compare the same code.
export const PEERJS_VERSION = '1.0.2';
export const MATCHBOX_VERSION = '0.15.0';

function run(command, args, options = {}) {
  console.error(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status})`);
}

/// Builds the relay in release mode and installs the peers when they are missing.
export function prepare({ kinds, skipBuild = false }) {
  mkdirSync(work, { recursive: true });
  if (kinds.includes('tincan') && !skipBuild) {
    run('cargo', ['build', '--release', '-p', 'tincan-relay']);
  }
  if (!existsSync(path.join(deps, 'node_modules', 'peer')) || !existsSync(path.join(deps, 'node_modules', 'ws'))) {
    mkdirSync(deps, { recursive: true });
    run('npm', ['install', '--prefix', deps, '--no-audit', '--no-fund', `peer@${PEERJS_VERSION}`, 'ws@8']);
  }
  if (kinds.includes('matchbox') && !existsSync(matchboxBinary)) {
    run('cargo', ['install', 'matchbox_server', '--version', MATCHBOX_VERSION, '--locked', '--root', tools]);
  }
}

/// A free TCP port on 127.0.0.1 (asked of the kernel, then released for the server to take).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/// The command line that starts each kind of server on `port`.
function commandFor(kind, port, { maxConnections, unlimited = true, tincanArgs = [], binary }) {
  switch (kind) {
    case 'tincan': {
      const args = ['--listen', `127.0.0.1:${port}`];
      if (unlimited) {
        args.push('--max-connections', String(maxConnections));
        // The per-connection rate limit protects a real host; here it would cap the load.
        args.push('--rate', '1e9', '--burst', '4294967295');
      }
      return [binary ?? relayBinary, [...args, ...tincanArgs]];
    }
    case 'peerjs':
      return [process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), 'peerjs-server.mjs'), String(port), String(maxConnections)]];
    case 'matchbox':
      return [matchboxBinary, [`127.0.0.1:${port}`]];
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

/// Starts a server and resolves once its port accepts connections. Options: `port` (default: a
/// free one), `maxConnections`, `unlimited` (false runs Tincan's relay with its default limits),
/// `tincanArgs` (extra flags) and `binary` (another build of the relay).
export async function startServer(kind, options = {}) {
  const port = options.port ?? (await freePort());
  const [command, args] = commandFor(kind, port, { maxConnections: 20000, ...options });
  const log = openSync(path.join(work, `${kind}.log`), 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', log, log],
    // Info-level logging would be a per-connection cost that only one of them pays.
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 15000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${kind} exited at start; see ${path.join(work, `${kind}.log`)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not open port ${port} within 15 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    kind,
    port,
    pid: child.pid,
    exited,
    /// Stops the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit.
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      const outcome = await exited;
      clearTimeout(timer);
      return outcome;
    },
  };
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/// Resident memory of a process in KiB.
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]);
}

/// Threads of a process.
export function threads(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(status)[1]);
}

/// User and system CPU time of a process (all its threads, living and ended), in seconds.
export function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/// User plus system CPU time of a process, in seconds.
export function cpuSeconds(pid) {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/// Open file descriptors of a process.
export function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}
