// Drives the real desktop app (target/debug/tincan) through tauri-driver and WebKitWebDriver, with a
// minimal W3C WebDriver client. Needs a display (run under xvfb-run) and `cargo build -p tincan`.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './relay.mjs';

export const APP_BIN = process.env.TINCAN_APP_BIN || path.join(ROOT, 'target/debug/tincan');
const DRIVER_BIN = process.env.TAURI_DRIVER || path.join(os.homedir(), '.cargo/bin/tauri-driver');

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The driver starts WebKitWebDriver, which starts the app: find them all to stop them by pid.
function descendants(pid) {
  let children = [];
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n').map((l) => Number(l.trim())).filter(Boolean);
  } catch {
    // No children.
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

// Lazily unmounts what a portal may have mounted inside the profile, so removing it cannot hang.
async function unmountUnder(dir) {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n')
    .map((line) => line.split(' ')[1]).filter((point) => point?.startsWith(dir));
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Not mounted any more.
    }
  }
}

export async function launchApp({ args = [] } = {}) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tincan-app-'));
  await mkdir(path.join(profile, 'run'), { mode: 0o700 });
  const env = {
    ...process.env,
    WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    XDG_RUNTIME_DIR: path.join(profile, 'run'),
    XDG_DATA_HOME: path.join(profile, 'data'),
    XDG_CONFIG_HOME: path.join(profile, 'config'),
    XDG_CACHE_HOME: path.join(profile, 'cache'),
  };
  const port = await freePort();
  const nativePort = await freePort();
  // A private session bus: the web view activates services on it (such as the document portal,
  // which mounts a file system in the profile), and they end with it.
  const driver = spawn('dbus-run-session', ['--', DRIVER_BIN, '--port', String(port), '--native-port', String(nativePort)],
    { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;

  async function call(method, url, body, timeoutMs = 60000) {
    const response = await fetch(base + url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${url}: ${JSON.stringify(json.value)}`);
    return json.value;
  }

  // tauri-driver answers at once; the WebKitWebDriver behind it needs a moment.
  let session = null;
  for (let attempt = 0; attempt < 60 && !session; attempt += 1) {
    try {
      const created = await call('POST', '/session', {
        capabilities: { alwaysMatch: { 'tauri:options': { application: APP_BIN, args } } },
      });
      session = created.sessionId;
    } catch {
      await sleep(500);
    }
  }
  if (!session) {
    driver.kill();
    throw new Error('could not start the app through tauri-driver');
  }
  const at = (suffix) => `/session/${session}${suffix}`;

  const app = {
    // Runs an async function body in the app's page and returns its value.
    async evaluate(body, ...args) {
      const script = `const done = arguments[arguments.length - 1];
        (async (...args) => { ${body} })(...Array.from(arguments).slice(0, -1))
          .then((v) => done({ ok: v }), (e) => done({ err: String(e && e.message || e) }));`;
      const result = await call('POST', at('/execute/async'), { script, args });
      if (result && 'err' in result) throw new Error(result.err);
      return result?.ok;
    },
    state() {
      return app.evaluate('return window.tincan.state();');
    },
    stats() {
      return app.evaluate('return await window.tincan.stats();');
    },
    async waitFor(body, { timeout = 30000, what = body } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const value = await app.evaluate(body).catch(() => undefined);
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`app: timed out waiting for ${what}`);
        await sleep(200);
      }
    },
    async find(css) {
      const found = await call('POST', at('/element'), { using: 'css selector', value: css });
      return Object.values(found)[0];
    },
    // Real WebDriver input: the element is scrolled into view and clicked like a user would.
    async click(css) {
      await call('POST', at(`/element/${await app.find(css)}/click`), {});
    },
    async type(css, text) {
      const element = await app.find(css);
      await call('POST', at(`/element/${element}/clear`), {});
      await call('POST', at(`/element/${element}/value`), { text });
    },
    async screenshot() {
      return Buffer.from(await call('GET', at('/screenshot')), 'base64');
    },
    async close() {
      // Deleting the session quits the app; whatever does not go by itself is stopped.
      const tree = descendants(driver.pid);
      await call('DELETE', at(''), undefined, 10000).catch(() => {});
      const exited = new Promise((resolve) => driver.once('exit', resolve));
      driver.kill();
      await Promise.race([exited, sleep(5000)]);
      for (const pid of tree.reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await unmountUnder(profile);
      await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => {});
    },
  };
  await app.waitFor('return typeof window.tincan?.state === "function";', { what: 'the UI to start' });
  return app;
}
