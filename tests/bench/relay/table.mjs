'use strict';
// The benchmark's summary: one row per figure, the median over runs for each server with its
// spread, and Tincan's ratio to the best of the other servers.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/// The rows: label, how to read the figure from one run, decimals, whether lower is better,
/// and the goal for Tincan's ratio to the best peer.
function rows(rates, parts) {
  const list = [];
  if (parts.has('idle')) {
    list.push({ label: 'idle memory, KiB/conn', get: (r) => r.idle.kibPerConn, digits: 1, lower: true, goal: 0.5 });
  }
  if (parts.has('relay')) relayRows(list, rates);
  if (parts.has('churn')) {
    list.push(
      { label: 'churn, join+leave cycles/s', get: (r) => r.churn.cyclesPerSec, digits: 0, lower: false },
      { label: 'CPU per join+leave, us', get: (r) => r.churn.cpuUsPerCycle, digits: 0, lower: true },
    );
  }
  return list;
}

function relayRows(list, rates) {
  for (const [i, rate] of rates.entries()) {
    list.push({ label: `CPU per msg @${rate / 1000}k/s, us`, get: (r) => r.relay[i].cpuUsPerMsg, digits: 1, lower: true, goal: 0.5 });
  }
  for (const [i, rate] of rates.entries()) {
    list.push({ label: `  of which system @${rate / 1000}k/s`, get: (r) => r.relay[i].systemUsPerMsg, digits: 1, lower: true });
  }
  const counted = (r, i) => r.relay[i].perf ?? NaN;
  for (const [i, rate] of rates.entries()) {
    list.push({ label: `k instr. per msg @${rate / 1000}k/s`, get: (r) => (counted(r, i).userInstructions + counted(r, i).kernelInstructions) / 1000, digits: 1, lower: true, optional: true });
    list.push({ label: `  of which user`, get: (r) => counted(r, i).userInstructions / 1000, digits: 1, lower: true, optional: true });
    list.push({ label: `ctx switches per msg @${rate / 1000}k/s`, get: (r) => counted(r, i).switches, digits: 2, lower: true, optional: true });
  }
  for (const [i, rate] of rates.entries()) {
    list.push({ label: `p99 round trip @${rate / 1000}k/s, ms`, get: (r) => r.relay[i].rtt.p99, digits: 2, lower: true, goal: 1 });
  }
  for (const [i, rate] of rates.entries()) {
    list.push({ label: `p50 round trip @${rate / 1000}k/s, ms`, get: (r) => r.relay[i].rtt.p50, digits: 2, lower: true });
  }
}

const pad = (text, width, right = false) => (right ? String(text).padStart(width) : String(text).padEnd(width));

/// Prints the table to stdout.
export function printTable(report) {
  const kinds = Object.keys(report.results);
  // The other servers; extra builds of Tincan's relay are not peers.
  const peers = kinds.filter((kind) => kind !== 'tincan' && !(kind in (report.variants ?? {})));
  const runs = report.settings.runs;
  const header = ['figure', ...kinds, ...(kinds.includes('tincan') && peers.length ? ['tincan / best peer', 'goal'] : [])];
  const widths = [32, ...kinds.map(() => 22), 18, 8];
  const lines = [header.map((h, i) => pad(h, widths[i], i > 0)).join(' ')];
  const parts = new Set(report.settings.parts);
  for (const row of rows(report.settings.rates, parts)) {
    if (row.optional && !kinds.some((kind) => report.results[kind].map(row.get).some(Number.isFinite))) continue;
    const values = {};
    const cells = [pad(row.label, widths[0])];
    for (const [i, kind] of kinds.entries()) {
      const xs = report.results[kind].map(row.get).filter(Number.isFinite);
      values[kind] = xs.length ? median(xs) : NaN;
      const spread = xs.length > 1 ? ` (${Math.min(...xs).toFixed(row.digits)}-${Math.max(...xs).toFixed(row.digits)})` : '';
      cells.push(pad(`${values[kind].toFixed(row.digits)}${spread}`, widths[i + 1], true));
    }
    if (kinds.includes('tincan') && peers.length) {
      const best = row.lower ? Math.min(...peers.map((k) => values[k])) : Math.max(...peers.map((k) => values[k]));
      const ratio = values.tincan / best;
      cells.push(pad(Number.isFinite(ratio) ? ratio.toFixed(2) : '-', widths.at(-2), true));
      const met = row.goal === undefined ? '' : (ratio <= row.goal ? 'met' : 'missed') + ` <=${row.goal}`;
      cells.push(pad(met, widths.at(-1) + 4, true));
    }
    lines.push(cells.join(' '));
  }
  console.log(`\nRelay benchmark: median of ${runs} run(s) (min-max), ${report.settings.conns} idle conns, ` +
    `${report.settings.seconds} s per rate, ${report.settings.pairs} pairs + 1 probe pair`);
  console.log(lines.join('\n'));
  const frames = Object.entries(report.frames).map(([k, n]) => `${k} ${n} B`).join(', ');
  console.log(`\nframe sizes (client to server): ${frames}`);
  const each = (get) => kinds.map((kind) => `${kind} ${get(report.results[kind])}`).join(', ');
  if (parts.has('relay')) {
    console.log('achieved rates (msg/s, median): ' + each((runs) =>
      report.settings.rates.map((_, i) => median(runs.map((r) => r.relay[i].achieved)).toFixed(0)).join('/')));
    console.log('load generator CPU at the top rate (cores): ' + each((runs) =>
      median(runs.map((r) => r.relay.at(-1).loadCores)).toFixed(2)));
  }
  if (parts.has('idle')) {
    console.log('RSS before the idle conns / after they all closed (MiB, median): ' + each((runs) =>
      `${(median(runs.map((r) => r.idle.beforeKiB)) / 1024).toFixed(1)} / ${(median(runs.map((r) => r.idle.closedKiB)) / 1024).toFixed(1)}`));
  }
  const m = report.machine;
  console.log(`machine: ${m.cpus} x ${m.model}, ${m.memGiB.toFixed(0)} GiB, Linux ${m.kernel}, node ${m.node}, ` +
    `load average at the end ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
}
