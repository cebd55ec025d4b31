#!/usr/bin/env node
'use strict';
// The relay benchmark, side by side: Tincan's relay, the PeerJS server and matchbox_server under
// the same load from the same generator, all on 127.0.0.1. Prints a table with ratios against
// the best of the other two. See docs/BENCHMARKS.md.
//
// node tests/bench/relay/run.mjs [--runs 3] [--servers tincan,peerjs,matchbox] [--quick]

import { fork, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { kinds, sampleFrame } from './adapters.mjs';
import { payload } from './load.mjs';
import { work } from './paths.mjs';
import { cpuSeconds, cpuTimes, prepare, rssKiB, startServer } from './servers.mjs';
import { printTable } from './table.mjs';

const { values: opts } = parseArgs({
  options: {
    servers: { type: 'string', default: kinds.join(',') },
    runs: { type: 'string', default: '3' },
    conns: { type: 'string', default: '2000' },
    rates: { type: 'string', default: '1000,2000,4000' },
    seconds: { type: 'string', default: '10' },
    pairs: { type: 'string', default: '8' },
    'probe-ms': { type: 'string', default: '10' },
    'churn-pool': { type: 'string', default: '32' },
    'churn-seconds': { type: 'string', default: '10' },
    'tincan-args': { type: 'string', default: '' },
    'tincan-bin': { type: 'string' },
    variant: { type: 'string', multiple: true, default: [] },
    only: { type: 'string', default: 'idle,relay,churn' },
    'skip-build': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    nice: { type: 'string', default: '-10' },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`usage: node tests/bench/relay/run.mjs [options]
  --servers LIST       which servers (default ${kinds.join(',')})
  --runs N             rounds over all servers (default 3); the table shows medians
  --conns N            idle connections for the memory figure (default 2000)
  --rates LIST         relayed messages per second (default 1000,2000,4000)
  --seconds S          measuring window per rate (default 10)
  --pairs N            sender/receiver pairs carrying the load (default 8)
  --probe-ms MS        one round-trip probe every MS ms during the load (default 10)
  --churn-pool N       clients joining and leaving in a loop (default 32)
  --churn-seconds S    measuring window for churn (default 10)
  --tincan-args "..."  extra flags for tincan-relay
  --tincan-bin PATH    another build of tincan-relay (implies --skip-build)
  --variant NAME=PATH  also measure this build of tincan-relay, as column NAME (repeatable)
  --only LIST          which parts: idle,relay,churn (default all)
  --skip-build         do not run cargo build first
  --quick              1 run, 500 conns, 3 s windows (to check the harness)
  --nice N             scheduling priority of the servers and the generator (default -10,
                       where permitted) so that other work on the machine disturbs them less
  --perf               also count the server's context switches per message with \`perf stat\``);
  process.exit(0);
}

if (opts.quick) {
  Object.assign(opts, { runs: '1', conns: '500', seconds: '3', 'churn-seconds': '3' });
}
/// Extra builds of Tincan's relay, measured like the others under their own names.
const variants = new Map(
  opts.variant.map((spec) => {
    const at = spec.indexOf('=');
    if (at < 1) throw new Error(`--variant wants NAME=PATH, got ${spec}`);
    return [spec.slice(0, at), spec.slice(at + 1)];
  }),
);
const servers = [...opts.servers.split(','), ...variants.keys()];
const kindOf = (label) => (variants.has(label) ? 'tincan' : label);
for (const label of servers) {
  if (!kinds.includes(kindOf(label))) throw new Error(`unknown server ${label}`);
}
const runs = Number(opts.runs);
const conns = Number(opts.conns);
const rates = opts.rates.split(',').map(Number);
const seconds = Number(opts.seconds);
const pairs = Number(opts.pairs);
const probeMs = Number(opts['probe-ms']);
const tincanArgs = opts['tincan-args'].split(' ').filter(Boolean);
const parts = new Set(opts.only.split(','));
const priority = Number(opts.nice);

/// Raises a process's priority when permitted (root); otherwise leaves it as it is.
function prioritise(pid) {
  try {
    os.setPriority(pid, priority);
  } catch {
    // Not permitted: measure at the normal priority.
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// A load generator child process and a promise-returning way to call it.
function spawnLoad() {
  const child = fork(path.join(path.dirname(new URL(import.meta.url).pathname), 'load.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  prioritise(child.pid);
  const waiting = new Map();
  let next = 0;
  child.on('message', ({ id, result, error }) => {
    const call = waiting.get(id);
    waiting.delete(id);
    if (error) call.reject(new Error(error));
    else call.resolve(result);
  });
  child.on('exit', (code) => {
    for (const call of waiting.values()) call.reject(new Error(`load generator exited (${code})`));
    waiting.clear();
  });
  return {
    call(cmd, args = {}) {
      next += 1;
      const id = next;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    stop() {
      child.disconnect();
    },
  };
}

/// RSS growth per idle connection, and what is left after they all close.
async function idleMemory(server) {
  const load = spawnLoad();
  try {
    // One-time costs (runtime threads, allocator arenas, JIT) belong to the baseline.
    await load.call('openIdle', { kind: server.kind, port: server.port, count: 64 });
    await load.call('closeIdle');
    await sleep(1000);
    const before = rssKiB(server.pid);
    const opened = await load.call('openIdle', { kind: server.kind, port: server.port, count: conns });
    await sleep(2000);
    const after = rssKiB(server.pid);
    await load.call('closeIdle');
    await sleep(2000);
    const closed = rssKiB(server.pid);
    if (opened.failed) console.error(`  ${server.kind}: ${opened.failed} joins failed: ${opened.firstError}`);
    return {
      kibPerConn: (after - before) / opened.opened,
      beforeKiB: before,
      afterKiB: after,
      closedKiB: closed,
      opened: opened.opened,
      failed: opened.failed,
    };
  } finally {
    load.stop();
  }
}

/// Counts a process's context switches (and, where the CPU exposes them, its instructions) with
/// `perf stat` until `stop()` is called; resolves to the counts, or null without perf.
function perfCounters(pid) {
  const events = 'instructions:u,instructions:k,context-switches';
  const child = spawn('perf', ['stat', '-x', ',', '-e', events, '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr.on('data', (chunk) => {
    text += chunk;
  });
  const done = new Promise((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', () => {
      const counts = {};
      for (const line of text.split('\n')) {
        const [value, , event] = line.split(',');
        if (event && Number.isFinite(Number(value))) counts[event] = Number(value);
      }
      resolve(Object.keys(counts).length ? counts : null);
    });
  });
  return { stop: () => (child.kill('SIGINT'), done) };
}

/// Server CPU per relayed message and the probe's round trip at each rate.
async function relayRates(server) {
  const load = spawnLoad();
  const probe = spawnLoad();
  const results = [];
  try {
    await load.call('setupPump', { kind: server.kind, port: server.port, pairs });
    await probe.call('setupProbe', { kind: server.kind, port: server.port });
    const probeRate = 2000 / probeMs;
    for (const rate of rates) {
      await load.call('pumpAt', { rate: Math.max(0, rate - probeRate) });
      await sleep(1000);
      await probe.call('startProbe', { intervalMs: probeMs });
      const [a0, b0] = [await load.call('counts'), await probe.call('counts')];
      const cpu0 = cpuTimes(server.pid);
      const t0 = performance.now();
      const client0 = await load.call('cpu');
      const counters = opts.perf ? perfCounters(server.pid) : null;
      await sleep(seconds * 1000);
      const counted = counters ? await counters.stop() : null;
      const [a1, b1] = [await load.call('counts'), await probe.call('counts')];
      const cpu1 = cpuTimes(server.pid);
      const elapsed = (performance.now() - t0) / 1000;
      const client1 = await load.call('cpu');
      const rtt = await probe.call('stopProbe');
      await load.call('pumpAt', { rate: 0 });
      const relayed = a1.delivered - a0.delivered + (b1.probe - b0.probe);
      results.push({
        rate,
        achieved: relayed / elapsed,
        cpuUsPerMsg: ((cpu1.user + cpu1.system - cpu0.user - cpu0.system) * 1e6) / relayed,
        // On loopback the kernel's TCP work for both ends of a send is charged to the sender.
        systemUsPerMsg: ((cpu1.system - cpu0.system) * 1e6) / relayed,
        serverCores: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed,
        loadCores: (client1.user + client1.system - client0.user - client0.system) / 1e6 / elapsed,
        rtt,
        perf: counted && {
          userInstructions: counted['instructions:u'] / relayed,
          kernelInstructions: counted['instructions:k'] / relayed,
          switches: counted['context-switches'] / relayed,
        },
      });
      await sleep(500);
    }
  } finally {
    await load.call('closePump').catch(() => {});
    await probe.call('closeProbe').catch(() => {});
    load.stop();
    probe.stop();
  }
  return results;
}

/// Join+leave cycles per second that a pool of clients sustains, and server CPU per cycle.
async function churn(server) {
  const load = spawnLoad();
  try {
    await load.call('startChurn', { kind: server.kind, port: server.port, pool: Number(opts['churn-pool']) });
    await sleep(1000);
    const c0 = await load.call('counts');
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    await sleep(Number(opts['churn-seconds']) * 1000);
    const c1 = await load.call('counts');
    const cpu1 = cpuSeconds(server.pid);
    const elapsed = (performance.now() - t0) / 1000;
    const stopped = await load.call('stopChurn');
    const cycles = c1.cycles - c0.cycles;
    if (stopped.failed) console.error(`  ${server.kind}: ${stopped.failed} churn joins failed: ${stopped.firstError}`);
    return {
      cyclesPerSec: cycles / elapsed,
      cpuUsPerCycle: ((cpu1 - cpu0) * 1e6) / cycles,
      serverCores: (cpu1 - cpu0) / elapsed,
      failed: stopped.failed,
    };
  } finally {
    load.stop();
  }
}

async function measure(label) {
  const kind = kindOf(label);
  const server = await startServer(kind, {
    maxConnections: conns + 1000,
    tincanArgs,
    binary: variants.get(label) ?? (kind === 'tincan' ? opts['tincan-bin'] : undefined),
  });
  prioritise(server.pid);
  const result = {};
  try {
    if (parts.has('idle')) {
      console.error(`  ${kind}: pid ${server.pid}, port ${server.port}: idle memory (${conns} conns)`);
      result.idle = await idleMemory(server);
      console.error(`  ${kind}: ${result.idle.kibPerConn.toFixed(1)} KiB/conn`);
    }
    if (parts.has('relay')) {
      console.error(`  ${kind}: relaying at ${rates.join(', ')} msg/s`);
      result.relay = await relayRates(server);
      for (const r of result.relay) {
        console.error(
          `  ${kind}: ${r.rate}/s -> ${r.achieved.toFixed(0)}/s, ${r.cpuUsPerMsg.toFixed(1)} us/msg ` +
            `(system ${r.systemUsPerMsg.toFixed(1)}), ` +
            `p99 ${r.rtt.p99?.toFixed(2)} ms (n ${r.rtt.n}), load ${r.loadCores.toFixed(2)} cores` +
            (r.perf ? `, ${r.perf.switches.toFixed(2)} context switches per msg` : '') +
            (r.perf?.userInstructions
              ? `, ${(r.perf.userInstructions / 1000).toFixed(1)}k user + ` +
                `${(r.perf.kernelInstructions / 1000).toFixed(1)}k kernel instructions per msg`
              : ''),
        );
      }
    }
    if (parts.has('churn')) {
      console.error(`  ${kind}: churn`);
      result.churn = await churn(server);
      console.error(
        `  ${kind}: ${result.churn.cyclesPerSec.toFixed(0)} cycles/s, ${result.churn.cpuUsPerCycle.toFixed(0)} us/cycle`,
      );
    }
    result.rssEndKiB = rssKiB(server.pid);
    return result;
  } finally {
    await server.stop();
  }
}

async function main() {
  prioritise(process.pid);
  prepare({ kinds: servers.map(kindOf), skipBuild: opts['skip-build'] || Boolean(opts['tincan-bin']) });
  const results = Object.fromEntries(servers.map((kind) => [kind, []]));
  for (let round = 0; round < runs; round += 1) {
    // Rotate the order so that no server always runs first (or right after a build).
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    console.error(`round ${round + 1}/${runs}: ${order.join(', ')}`);
    for (const kind of order) results[kind].push(await measure(kind));
  }
  const frames = Object.fromEntries(
    servers.map((label) => [label, Buffer.byteLength(sampleFrame(kindOf(label), payload(123456)))]),
  );
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGiB: os.totalmem() / 2 ** 30,
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg(),
  };
  const report = { when: new Date().toISOString(), machine, variants: Object.fromEntries(variants), settings: { nice: priority, runs, conns, rates, seconds, pairs, probeMs, churnPool: Number(opts['churn-pool']), parts: [...parts] }, frames, results };
  const file = path.join(work, 'results.json');
  writeFileSync(file, JSON.stringify(report, null, 2));
  printTable(report);
  console.log(`\nall samples: ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
