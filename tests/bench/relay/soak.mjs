#!/usr/bin/env node
'use strict';
// A bounded soak of Tincan's relay with its default limits: 8 peers in two rooms join, exchange
// offers, answers and candidates, and leave, in a loop; the relay is stopped (SIGTERM) at a third
// of the time and killed (SIGKILL) at two thirds, and restarted on the same port each time. The
// relay's RSS, open files and threads are printed every 10 s and at the end. Prints numbers; it
// is not a pass/fail test, but it exits non-zero when peers could not rejoin a restarted relay
// or when open files did not return to their baseline.
//
// node tests/bench/relay/soak.mjs [--minutes 10] [--seconds S] [--peers 8]

import { parseArgs } from 'node:util';
import { connect } from './adapters.mjs';
import { payload } from './load.mjs';
import { fdCount, freePort, prepare, rssKiB, startServer, threads } from './servers.mjs';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seconds: { type: 'string' },
    peers: { type: 'string', default: '8' },
    every: { type: 'string', default: '10' },
    'skip-build': { type: 'boolean', default: false },
  },
});
const duration = (opts.seconds ? Number(opts.seconds) : Number(opts.minutes) * 60) * 1000;
const peerCount = Number(opts.peers);
const every = Number(opts.every) * 1000;
if (!(duration > 0) || !(peerCount > 1) || !(every > 0)) {
  console.error('usage: node tests/bench/relay/soak.mjs [--minutes 10 | --seconds S] [--peers 8] [--every 10]');
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (lo, hi) => lo + Math.random() * (hi - lo);
/// An SDP-sized body (browsers' audio offers are 2-4 KB).
const SDP = `v=0\r\n${'a=candidate-and-codec-lines-of-a-real-offer\r\n'.repeat(70)}`;

const stats = { joins: 0, leaves: 0, joinFailures: 0, signals: 0, offers: 0, answers: 0, errors: {}, relayCloses: 0 };
let running = true;

/// One peer: join, offer to everyone there, answer offers, trickle candidates, leave, repeat.
async function peerLoop(index, port) {
  const room = `soak-${index % 2}`;
  const source = `127.0.2.${index + 1}`;
  let backoff = 100;
  while (running) {
    let client;
    try {
      client = await connect('tincan', port, { room, source });
    } catch {
      stats.joinFailures += 1;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 2000);
      continue;
    }
    backoff = 100;
    stats.joins += 1;
    const others = new Set(client.joined.peers.map((peer) => peer.id));
    const raw = (message) => client.ws.send(JSON.stringify(message));
    for (const id of others) {
      raw({ type: 'offer', sdp: SDP, to: id });
      stats.offers += 1;
    }
    let closedByRelay = false;
    const gone = new Promise((resolve) => {
      client.onClose = () => {
        closedByRelay = true;
        resolve();
      };
    });
    client.onSignal = () => {
      stats.signals += 1;
    };
    client.onEvent = (msg) => {
      if (msg.type === 'peer-joined') others.add(msg.id);
      else if (msg.type === 'peer-left') others.delete(msg.id);
      else if (msg.type === 'offer') {
        stats.signals += 1;
        raw({ type: 'answer', sdp: SDP, to: msg.from });
        stats.answers += 1;
      } else if (msg.type === 'answer') stats.signals += 1;
      else if (msg.type === 'error') stats.errors[msg.code] = (stats.errors[msg.code] ?? 0) + 1;
    };
    const trickle = setInterval(() => {
      for (const id of others) client.send(id, payload(stats.signals));
    }, 250);
    await Promise.race([gone, sleep(between(2000, 8000))]);
    clearInterval(trickle);
    if (closedByRelay) {
      stats.relayCloses += 1;
      await sleep(between(100, 500));
      continue;
    }
    await client.close();
    stats.leaves += 1;
    await sleep(between(200, 1000));
  }
}

function sample(relay) {
  try {
    return { rss: rssKiB(relay.pid), fds: fdCount(relay.pid), threads: threads(relay.pid) };
  } catch {
    return null;
  }
}

async function main() {
  prepare({ kinds: ['tincan'], skipBuild: opts['skip-build'] });
  const port = await freePort();
  let relay = await startServer('tincan', { port, unlimited: false });
  let incarnation = 1;
  const baseline = sample(relay);
  const history = [{ incarnation, samples: [] }];
  console.log(`soak: ${(duration / 60000).toFixed(1)} min, ${peerCount} peers, relay pid ${relay.pid} on 127.0.0.1:${port}`);
  console.log(`baseline: RSS ${(baseline.rss / 1024).toFixed(1)} MiB, ${baseline.fds} fds, ${baseline.threads} threads`);
  console.log('    t  relay     pid  RSS MiB  fds  thr   joins  leaves  signals  join-fail  errors');
  const started = Date.now();
  const loops = Array.from({ length: peerCount }, (_, i) => peerLoop(i, port));
  const restarts = [
    { at: duration / 3, signal: 'SIGTERM' },
    { at: (2 * duration) / 3, signal: 'SIGKILL' },
  ];
  let nextReport = every;
  while (Date.now() - started < duration) {
    const elapsed = Date.now() - started;
    if (restarts.length && elapsed >= restarts[0].at) {
      const { signal } = restarts.shift();
      const outcome = await relay.stop(signal);
      console.log(`${(elapsed / 1000).toFixed(0).padStart(5)}  relay stopped with ${signal} (exit ${outcome.code ?? outcome.signal}); restarting`);
      await sleep(1000);
      relay = await startServer('tincan', { port, unlimited: false });
      incarnation += 1;
      history.push({ incarnation, samples: [] });
    }
    if (elapsed >= nextReport) {
      nextReport += every;
      const s = sample(relay);
      if (s) history.at(-1).samples.push(s);
      const errors = Object.entries(stats.errors).map(([k, v]) => `${k}:${v}`).join(' ') || '-';
      console.log(
        `${(elapsed / 1000).toFixed(0).padStart(5)}  ${String(incarnation).padStart(5)} ${String(relay.pid).padStart(7)}` +
          `  ${s ? (s.rss / 1024).toFixed(1).padStart(7) : '      -'}  ${s ? String(s.fds).padStart(3) : '  -'}` +
          `  ${s ? String(s.threads).padStart(3) : '  -'}  ${String(stats.joins).padStart(6)}  ${String(stats.leaves).padStart(6)}` +
          `  ${String(stats.signals).padStart(7)}  ${String(stats.joinFailures).padStart(9)}  ${errors}`,
      );
    }
    await sleep(250);
  }
  running = false;
  await Promise.all(loops);
  // Let the relay notice the last leaves and release their sockets.
  await sleep(3000);
  const end = sample(relay);
  await relay.stop();

  console.log('\nper relay run: RSS MiB first/peak/last sample, fds peak');
  for (const { incarnation: n, samples } of history) {
    if (!samples.length) continue;
    const rss = samples.map((s) => s.rss / 1024);
    console.log(`  run ${n}: ${rss[0].toFixed(1)} / ${Math.max(...rss).toFixed(1)} / ${rss.at(-1).toFixed(1)} MiB,` +
      ` fds peak ${Math.max(...samples.map((s) => s.fds))}, ${samples.length} samples`);
  }
  console.log(`end, all peers gone: RSS ${(end.rss / 1024).toFixed(1)} MiB, ${end.fds} fds (baseline ${baseline.fds}), ${end.threads} threads`);
  console.log(`totals: ${stats.joins} joins, ${stats.leaves} leaves, ${stats.offers} offers, ${stats.answers} answers, ` +
    `${stats.signals} signals received, ${stats.relayCloses} closed by the relay going away, ${stats.joinFailures} failed joins ` +
    `(while it was down), errors ${JSON.stringify(stats.errors)}`);
  const rejoined = history.slice(1).every(({ samples }) => samples.length > 0);
  if (end.fds !== baseline.fds || !rejoined) {
    console.log('soak: FAILED (open files did not return to the baseline, or the relay did not come back)');
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
