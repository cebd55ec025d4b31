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
import {
  existsSync, mkdtempSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync,
  statSync, writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../e2e/lib/browser.mjs';
import { serveUi, start, started, startPulse, startXvfb, stopGroup, profileEnv, waitForPort } from './launch.mjs';
import { chromiumPid, findProcesses, sample } from './procfs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NETNS_ADDR = '10.99.0.1';
const PORT = 47800;
const NAMES = ['Bob', 'Cat', 'Dan', 'Eve', 'Fay', 'Gus', 'Hal'];

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
