#!/usr/bin/env node
// What a call costs in CPU: the real desktop app hosts (`tincan --host --test-tone`) under a
// virtual display, Chromium pages join it with the web UI, and the CPU time of the app, its
// WebKitWebProcess and Chromium is read from /proc over a window, first with two people in the
// call, then with four. Prints numbers; it judges nothing.
//
//   node tests/bench/cpu/call_cpu.mjs                        # re-runs itself in a network namespace
//   node tests/bench/cpu/call_cpu.mjs --seconds 30 --sizes 2,4 --shot artifacts/cpu
//   node tests/bench/cpu/call_cpu.mjs --app /tmp/tincan-old  # another build of the app
//
// Options:
//   --seconds N    sampling window, default 30
//   --warmup N     seconds to wait after everyone is connected, default 5
//   --sizes 2,4    people in the call, the app included
//   --app PATH     the app binary, default target/release/tincan
//   --ui DIR       the web UI the Chromium pages load, default ui/ (e.g. an older copy made with
//                  `git archive HEAD ui | tar -x -C /tmp/old`, to compare)
//   --shot DIR     a screenshot of the virtual display per call size
//   --profile DIR  a JavaScript CPU profile of each page over the window (open it in DevTools),
//                  and each page's busiest functions
//   --threads N    busiest threads shown for the app and its WebKitWebProcess, default 6
//   --no-pulse     no private PulseAudio for the app to play into
//   --json         a JSON line per call size as well
//
// Percentages are of one core (100 % = one core busy). The app embeds ui/ when it is built: a
// binary older than the last change under ui/ measures the older UI, which is said in the output,
// while the Chromium pages load ui/ as it is on disk. WebKit draws in software here, as the
// virtual display has no GL (WEBKIT_DISABLE_COMPOSITING_MODE=1, as in tests/app). On a machine
// busy with other work a process that renders frames gets fewer of them, so its CPU reads lower:
// the output gives the whole machine's load and warns when it was saturated.
import { spawn, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  existsSync, mkdtempSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync,
  statSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../e2e/lib/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NETNS_ADDR = '10.99.0.1';
const PORT = 47800;
const NAMES = ['Bob', 'Cat', 'Dan', 'Eve', 'Fay', 'Gus', 'Hal'];
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function parseArgs(argv) {
  const opts = {
    seconds: 30, warmup: 5, sizes: [2, 4], app: path.join(ROOT, 'target/release/tincan'),
    shot: null, pulse: true, threads: 6, json: false, ui: path.join(ROOT, 'ui'), profile: null,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    if (arg === '--seconds') opts.seconds = Number(value());
    else if (arg === '--warmup') opts.warmup = Number(value());
    else if (arg === '--sizes') opts.sizes = value().split(',').map(Number);
    else if (arg === '--app') opts.app = path.resolve(value());
    else if (arg === '--shot') opts.shot = path.resolve(value());
    else if (arg === '--no-pulse') opts.pulse = false;
    else if (arg === '--threads') opts.threads = Number(value());
    else if (arg === '--json') opts.json = true;
    else if (arg === '--ui') opts.ui = path.resolve(value());
    else if (arg === '--profile') opts.profile = path.resolve(value());
    else throw new Error(`unknown option ${arg}`);
  }
  if (!(opts.seconds > 0) || opts.sizes.some((n) => !(n >= 2 && n <= NAMES.length + 1))) {
    throw new Error('--seconds must be positive and --sizes between 2 and 8');
  }
  opts.sizes.sort((a, b) => a - b);
  return opts;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function inNamespace() {
  const out = execFileSync('ip', ['-br', 'addr'], { encoding: 'utf8' });
  return out.includes(` ${NETNS_ADDR}/`);
}

// WebRTC needs non-loopback addresses, and nothing may leave the machine: run in a namespace.
function reexecInNamespace() {
  const script = path.join(ROOT, 'scripts/netns-run.sh');
  const child = spawn(script, [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// Every process we start leads a group of its own, so ending it ends its helpers too.
const started = [];

function start(command, args, { env = process.env, log = null } = {}) {
  const child = spawn(command, args, { env, stdio: ['ignore', log ?? 'ignore', log ?? 'ignore'], detached: true });
  started.push(child);
  return child;
}

async function stopGroup(child, grace = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = sleep(grace).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

async function startXvfb() {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true,
  });
  started.push(xvfb);
  const display = await new Promise((resolve, reject) => {
    let text = '';
    xvfb.stdio[3].on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    xvfb.once('exit', () => reject(new Error('Xvfb did not start')));
  });
  return { xvfb, display };
}

// A home and XDG dirs of its own, so saved names, recent hosts and WebKit data never mix with
// anyone else's; compositing in software, as the virtual display has no GL.
function profileEnv(base, display) {
  const dirs = {};
  for (const name of ['home', 'data', 'config', 'cache', 'run']) {
    dirs[name] = path.join(base, name);
    mkdirSync(dirs[name], { recursive: true, mode: 0o700 });
  }
  return {
    ...process.env,
    DISPLAY: display,
    HOME: dirs.home,
    XDG_DATA_HOME: dirs.data,
    XDG_CONFIG_HOME: dirs.config,
    XDG_CACHE_HOME: dirs.cache,
    XDG_RUNTIME_DIR: dirs.run,
    WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    LIBGL_ALWAYS_SOFTWARE: '1',
    NO_AT_BRIDGE: '1',
  };
}

// The app plays what it hears; without a sound server it would have nowhere to play it to.
async function startPulse(base, env) {
  const dir = path.join(base, 'pulse');
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'native');
  const pulse = start('pulseaudio', [
    '-n', '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '--disable-shm=yes',
    '-L', `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
    '-L', 'module-null-sink sink_name=speaker rate=48000 channels=2',
    '-L', 'module-null-source source_name=microphone rate=48000 channels=1',
    '-L', 'module-always-sink',
  ], { env });
  for (let i = 0; i < 50 && !existsSync(socket); i += 1) await sleep(100);
  if (!existsSync(socket)) throw new Error('pulseaudio did not start');
  return { pulse, server: `unix:${socket}` };
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

// The web UI for the Chromium pages, from a directory of our choosing; they join the app by its
// address, so the server need not be a relay.
async function serveUi(dir) {
  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    const file = path.normalize(path.join(dir, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(dir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

async function waitForPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

// Processes from /proc: pid -> {ppid, comm, ticks}, ticks being utime + stime.
function readStat(file) {
  const text = readFileSync(file, 'utf8');
  // comm is in parentheses and may itself hold spaces or parentheses.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  return { ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) };
}

function processTable() {
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

function descendantsOf(pid, table = processTable()) {
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
function chromiumPid(appRoot) {
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

function findProcesses(appRoot, browserPid, appBinary, helpers) {
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

async function sample({ groups, appPid, webPid }, seconds, threadsShown) {
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

// What the web UI itself does in each Chromium page: main-thread time spent on tasks, script,
// style and layout from the DevTools protocol, and DOM mutations counted in the page. (Counting
// animation frames would need a requestAnimationFrame loop, which itself makes a frame every
// vsync.)
async function startPageCounters(pages, profile) {
  const sessions = [];
  for (const page of pages) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    await page.evaluate(() => {
      const counts = { mutations: 0, start: performance.now() };
      new MutationObserver((records) => { counts.mutations += records.length; })
        .observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
      window.__cpuCounts = counts;
    });
    sessions.push({ page, cdp, before: await metrics(cdp) });
  }
  return sessions;
}

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

// Self time per function from a DevTools CPU profile, busiest first.
function busiestFunctions(profile, count) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = (profile.endTime - profile.startTime) || 1;
  return [...self].filter(([key]) => key !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([key, us]) => `${key} ${((us / total) * 100).toFixed(2)} %`);
}

async function readPageCounters(sessions, profile, label) {
  const rows = [];
  for (const [i, { page, cdp, before }] of sessions.entries()) {
    const after = await metrics(cdp);
    let busiest = null;
    if (profile) {
      const { profile: taken } = await cdp.send('Profiler.stop');
      mkdirSync(profile, { recursive: true });
      writeFileSync(path.join(profile, `${label}-${NAMES[i]}.cpuprofile`), JSON.stringify(taken));
      busiest = busiestFunctions(taken, 8);
    }
    const counts = await page.evaluate(() => {
      const c = window.__cpuCounts;
      return {
        mutations: c.mutations,
        seconds: (performance.now() - c.start) / 1000,
        visibility: document.visibilityState,
      };
    });
    const seconds = after.Timestamp - before.Timestamp;
    const delta = (key) => (after[key] ?? 0) - (before[key] ?? 0);
    rows.push({
      task: (delta('TaskDuration') / seconds) * 100,
      script: (delta('ScriptDuration') / seconds) * 100,
      style: (delta('RecalcStyleDuration') / seconds) * 100,
      layout: (delta('LayoutDuration') / seconds) * 100,
      styleCount: delta('RecalcStyleCount') / seconds,
      layoutCount: delta('LayoutCount') / seconds,
      mutations: counts.mutations / counts.seconds,
      visibility: counts.visibility,
      busiest,
    });
    await cdp.send('Performance.disable').catch(() => {});
    await cdp.detach().catch(() => {});
  }
  return rows;
}

async function openPeer(browser, origin, name) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, colorScheme: 'light' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`${origin}/?name=${name}&tone=1`);
  await page.waitForFunction(() => typeof window.tincan?.state === 'function', null, { timeout: 20000 });
  await page.fill('#join-address', `${NETNS_ADDR}:${PORT}`);
  await page.click('#join-button');
  page.errorsSeen = errors;
  return page;
}

async function waitConnected(pages, others, timeoutMs = 45000) {
  await Promise.all(pages.map((page) => page.waitForFunction((n) => {
    const { peers } = window.tincan.state();
    return peers.length === n && peers.every((p) => p.connectionState === 'connected');
  }, others, { timeout: timeoutMs, polling: 250 })));
}

function screenshot(display, file) {
  try {
    execFileSync('import', ['-display', display, '-window', 'root', file], { stdio: 'ignore', timeout: 20000 });
    return true;
  } catch {
    return false;
  }
}

// The newest change under ui/, to tell whether the app binary can contain it.
function newestUiChange() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'ui'));
  return newest;
}

function unmountUnder(dir) {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((line) => line.split(' ')[1]).filter((point) => point?.startsWith(dir));
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Not mounted any more.
    }
  }
}

const pct = (v) => `${v.toFixed(1).padStart(6)} %`;

function report(size, measured, pageRows, opts) {
  const { result, threads, machine, cores, elapsed } = measured;
  console.log(`\n== ${size} people (app + ${size - 1} Chromium page${size > 2 ? 's' : ''}), ${elapsed.toFixed(1)} s ==`);
  console.log(`app (tincan)           ${pct(result.app.pct)}`);
  console.log(`WebKitWebProcess       ${pct(result.WebKitWebProcess.pct)}`);
  console.log(`app + WebKitWebProcess ${pct(result.app.pct + result.WebKitWebProcess.pct)}`);
  console.log(`WebKitNetworkProcess   ${pct(result.WebKitNetworkProcess.pct)}`);
  console.log(`Chromium, all          ${pct(result.chromium.pct)}  (${result.chromium.processes} processes; ${pct((result.chromium.pct) / (size - 1)).trim()} per page)`);
  console.log(`Chromium renderers     ${pct(result['chromium renderers'].pct)}`);
  console.log(`X server (Xvfb)        ${pct(result['X server (Xvfb)'].pct)}`);
  if (result.PulseAudio.processes) console.log(`PulseAudio             ${pct(result.PulseAudio.pct)}`);
  const ours = ['app', 'WebKitWebProcess', 'WebKitNetworkProcess', 'chromium', 'X server (Xvfb)', 'PulseAudio']
    .reduce((sum, k) => sum + result[k].pct, 0);
  console.log(`machine, all processes ${pct(machine)}  of ${cores * 100} % (${pct(Math.max(0, machine - ours)).trim()} not part of this call)`);
  if (machine > cores * 90) {
    console.log('  warning: the machine was saturated; processes that draw frames get fewer of them, so these numbers are less reliable');
  }
  for (const [name, rows] of Object.entries(threads)) {
    console.log(`  busiest ${name} threads: ${rows.map((r) => `${r.comm} ${r.pct.toFixed(1)}`).join(', ')}`);
  }
  for (const [i, row] of pageRows.entries()) {
    console.log(`  page ${NAMES[i]} (${row.visibility}): main thread ${row.task.toFixed(1)} % (script ${row.script.toFixed(1)}, style ${row.style.toFixed(2)}, layout ${row.layout.toFixed(2)}),`
      + ` ${row.styleCount.toFixed(1)} style recalcs/s, ${row.layoutCount.toFixed(1)} layouts/s, ${row.mutations.toFixed(1)} DOM mutations/s`);
    if (row.busiest) console.log(`    busiest functions (self time, % of the window): ${row.busiest.join('; ')}`);
  }
  const lost = Object.entries(result).filter(([, r]) => r.lost).map(([k, r]) => `${k}: ${r.lost}`);
  if (lost.length) console.log(`  processes that ended during the window: ${lost.join(', ')}`);
  if (opts.json) console.log(JSON.stringify({ size, ...measured, pages: pageRows }));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(opts.app)) throw new Error(`${opts.app} is missing; build it with cargo build --release -p tincan`);
  const appTime = statSync(opts.app).mtimeMs;
  const uiTime = newestUiChange();
  console.log(`Chromium pages load ${opts.ui}`);
  console.log(`app: ${opts.app} (built ${new Date(appTime).toISOString()})`);
  if (uiTime > appTime) {
    console.log(`note: ui/ changed after this binary was built (${new Date(uiTime).toISOString()}); the app shows the UI it was built with, the Chromium pages the UI on disk`);
  }
  console.log(`window ${opts.seconds} s after ${opts.warmup} s of warm-up; % of one core; ${os.cpus().length} cores; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const base = mkdtempSync(path.join(os.tmpdir(), 'tincan-cpu-'));
  let browser = null;
  let site = null;
  const pages = [];
  try {
    const { xvfb, display } = await startXvfb();
    // What the app draws, the X server puts on the screen, and what it plays goes through the
    // sound server: both work for the app, so both are shown.
    const helpers = { 'X server (Xvfb)': [xvfb.pid], PulseAudio: [] };
    const env = profileEnv(path.join(base, 'app'), display);
    if (opts.pulse) {
      const { pulse, server } = await startPulse(base, env);
      helpers.PulseAudio.push(pulse.pid);
      env.PULSE_SERVER = server;
    }
    const appLog = path.join(base, 'app.log');
    const logFd = openSync(appLog, 'a');
    // A private session bus: services the web view starts on it end with it.
    const appRoot = start('dbus-run-session', ['--', opts.app, '--host', '--port', String(PORT), '--test-tone', '--name', 'Ann'],
      { env, log: logFd });
    await waitForPort(NETNS_ADDR, PORT, 30000);

    site = await serveUi(opts.ui);
    browser = await launchBrowser();
    const browserPid = chromiumPid(appRoot.pid);
    if (!browserPid) console.log('note: Chromium\'s process was not found; its CPU is not measured');

    for (const size of opts.sizes) {
      while (pages.length < size - 1) pages.push(await openPeer(browser, site.origin, NAMES[pages.length]));
      await waitConnected(pages, size - 1);
      await sleep(opts.warmup * 1000);
      if (opts.shot) {
        mkdirSync(opts.shot, { recursive: true });
        const file = path.join(opts.shot, `call-${size}.png`);
        if (screenshot(display, file)) console.log(`\nscreenshot: ${file}`);
      }
      const procs = findProcesses(appRoot.pid, browserPid, opts.app, helpers);
      const counters = await startPageCounters(pages, opts.profile);
      const measured = await sample(procs, opts.seconds, opts.threads);
      const pageRows = await readPageCounters(counters, opts.profile, `call-${size}`);
      report(size, measured, pageRows, opts);
      const gone = ['app', 'WebKitWebProcess', 'X server (Xvfb)'].filter((k) => measured.result[k].lost);
      if (gone.length) throw new Error(`${gone.join(', ')} ended during the window; the numbers above are void`);
      // Everyone must still be in the call, or the numbers describe something else.
      await waitConnected(pages, size - 1, 5000).catch(() => console.log('  warning: not every page was still connected at the end'));
    }
    for (const page of pages) {
      if (page.errorsSeen.length) console.log(`page errors: ${page.errorsSeen.join('; ')}`);
    }
  } catch (err) {
    const log = path.join(base, 'app.log');
    if (existsSync(log)) console.error(`--- app log (last lines) ---\n${readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')}`);
    throw err;
  } finally {
    await Promise.all(pages.map((p) => p.context().close().catch(() => {})));
    await browser?.close().catch(() => {});
    await site?.close().catch(() => {});
    for (const child of started.reverse()) await stopGroup(child);
    unmountUnder(base);
    rmSync(base, { recursive: true, force: true });
  }
}

if (!inNamespace()) {
  reexecInNamespace();
} else {
  // Ctrl+C must not leave an app, a display or a sound server behind.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const child of started) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      process.exit(130);
    });
  }
  main().then(() => process.exit(0), (err) => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
}
