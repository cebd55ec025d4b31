'use strict';

// Starting what a measured call needs: a virtual display, a profile per app, a sound server, the
// web UI, and stopping all of it.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every process we start leads a group of its own, so ending it ends its helpers too.
export const started = [];

export function start(command, args, { env = process.env, log = null } = {}) {
  const child = spawn(command, args, { env, stdio: ['ignore', log ?? 'ignore', log ?? 'ignore'], detached: true });
  started.push(child);
  return child;
}

export async function stopGroup(child, grace = 3000) {
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

export async function startXvfb() {
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
export function profileEnv(base, display) {
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
export async function startPulse(base, env) {
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
export async function serveUi(dir) {
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

export async function waitForPort(host, port, timeoutMs) {
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
