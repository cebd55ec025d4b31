'use strict';

// CPU time of processes and threads, read from /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import os from 'node:os';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Processes from /proc: pid -> {ppid, comm, ticks}, ticks being utime + stime.
function readStat(file) {
  const text = readFileSync(file, 'utf8');
  // comm is in parentheses and may itself hold spaces or parentheses.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  return { ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) };
}

export function processTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      table.set(Number(entry), readStat(`/proc/${entry}/stat`));
    } catch {
      // Ended while we looked.
    }
  }
  return table;
}

export function descendantsOf(pid, table = processTable()) {
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const [child, info] of table) {
      if (info.ppid === parent) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

// Playwright starts Chromium as a child of this process; its helpers are Chromium's children.
export function chromiumPid(appRoot) {
  const table = processTable();
  const ours = descendantsOf(process.pid, table).filter((pid) => pid !== appRoot);
  return ours.find((pid) => table.get(pid).ppid === process.pid && /^chrom/.test(table.get(pid).comm)) ?? null;
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function ticksOf(pid) {
  try {
    return readStat(`/proc/${pid}/stat`).ticks;
  } catch {
    return null;
  }
}

function threadTicks(pid) {
  const threads = new Map();
  let entries = [];
  try {
    entries = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of entries) {
    try {
      threads.set(tid, readStat(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // Thread ended.
    }
  }
  return threads;
}

function systemTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  return { busy: fields.reduce((a, b) => a + b, 0) - idle, total: fields.reduce((a, b) => a + b, 0) };
}

// The processes to watch, found by walking the app's and Chromium's process trees.
function exePath(pid) {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

export function findProcesses(appRoot, browserPid, appBinary, helpers) {
  const table = processTable();
  const appTree = descendantsOf(appRoot, table);
  const byComm = (prefix) => appTree.filter((pid) => table.get(pid)?.comm.startsWith(prefix));
  const binary = realpathSync(appBinary);
  const app = appTree.filter((pid) => exePath(pid) === binary);
  const web = byComm('WebKitWebProces');
  const network = byComm('WebKitNetworkPr');
  if (app.length !== 1) throw new Error(`expected one app process under ${appRoot}, found ${app.length}`);
  if (web.length < 1) throw new Error('no WebKitWebProcess under the app');
  const chromium = browserPid ? [browserPid, ...descendantsOf(browserPid, table)] : [];
  // Chromium rewrites its command line into one string; look for the flag anywhere in it.
  const renderers = chromium.filter((pid) => cmdline(pid).join(' ').includes('--type=renderer'));
  return {
    groups: {
      app,
      WebKitWebProcess: web,
      WebKitNetworkProcess: network,
      chromium,
      'chromium renderers': renderers,
      ...helpers,
    },
    appPid: app[0],
    webPid: web[0],
  };
}

function sumTicks(pids) {
  const per = new Map();
  for (const pid of pids) {
    const t = ticksOf(pid);
    if (t !== null) per.set(pid, t);
  }
  return per;
}

export async function sample({ groups, appPid, webPid }, seconds, threadsShown) {
  const before = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, sumTicks(pids)]));
  const threadsBefore = { app: threadTicks(appPid), WebKitWebProcess: threadTicks(webPid) };
  const sysBefore = systemTicks();
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const sysAfter = systemTicks();
  const result = {};
  for (const [name, pids] of Object.entries(groups)) {
    const after = sumTicks(pids);
    let ticks = 0;
    let lost = 0;
    for (const [pid, t] of before[name]) {
      if (after.has(pid)) ticks += after.get(pid) - t;
      else lost += 1;
    }
    result[name] = { pct: (ticks / TICKS / elapsed) * 100, processes: pids.length, lost };
  }
  const threads = {};
  for (const [name, pid] of [['app', appPid], ['WebKitWebProcess', webPid]]) {
    const after = threadTicks(pid);
    const byName = new Map();
    for (const [tid, info] of after) {
      const start = threadsBefore[name].get(tid)?.ticks ?? null;
      // A thread born during the window is counted from zero, which is where it began.
      const used = info.ticks - (start ?? 0);
      byName.set(info.comm, (byName.get(info.comm) ?? 0) + used);
    }
    threads[name] = [...byName].sort((a, b) => b[1] - a[1]).slice(0, threadsShown)
      .map(([comm, t]) => ({ comm, pct: (t / TICKS / elapsed) * 100 }));
  }
  const cores = os.cpus().length;
  const machine = ((sysAfter.busy - sysBefore.busy) / (sysAfter.total - sysBefore.total)) * 100 * cores;
  return { elapsed, result, threads, machine, cores };
}
