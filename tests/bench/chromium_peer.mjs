// One Chromium participant for the mouth-to-ear benchmark: opens the UI served by a relay (whose
// query string joins the call at load), gives the page the one gesture browsers want before they
// play sound, and stays in the call until it gets SIGTERM. Real microphone and speaker: whatever
// PulseAudio server PULSE_SERVER names.
//
//   PULSE_SERVER=unix:/path/native node tests/bench/chromium_peer.mjs URL
//
// Prints one JSON object per line on stdout: {"event": "loaded"|"in-call"|"connected"|"error", ...}.
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/lib/browser.mjs';

const url = process.argv[2];
if (!url) {
  console.error('usage: chromium_peer.mjs URL');
  process.exit(2);
}

// The e2e tests' flags without the fake capture device, so the microphone is PulseAudio's
// default source; the fake UI still grants the permission prompt. `--headless` is left to
// playwright, which is told below.
const args = [
  ...CHROMIUM_ARGS.filter((a) => a !== '--use-fake-device-for-media-stream' && a !== '--headless'),
  // The relay is reached on the namespace's address, which browsers do not count as a secure
  // context; without this the page has no getUserMedia.
  `--unsafely-treat-insecure-origin-as-secure=${new URL(url).origin}`,
];
const headless = process.env.TINCAN_BENCH_HEADFUL !== '1';

function emit(event, extra = {}) {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...extra })}\n`);
}

let browser;
let page;
async function shutdown(code) {
  await browser?.close().catch(() => {});
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));

try {
  // Playwright mutes headless Chromium by default, which plays silence into PulseAudio.
  browser = await chromium.launch({ executablePath: CHROMIUM, args, headless, env: process.env, ignoreDefaultArgs: ['--mute-audio'] });
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') console.error(`page ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => console.error(`page error: ${err}`));
  await page.goto(url);
  await page.waitForFunction(() => typeof window.tincan?.state === 'function', null, { timeout: 30000 });
  // One click on an empty corner: the gesture that lets the page play what it receives.
  await page.mouse.click(3, 3);
  emit('loaded');
  await page.waitForFunction(() => window.tincan.state().callState === 'in-call', null, { timeout: 30000, polling: 50 });
  emit('in-call');
  await page.waitForFunction(
    () => window.tincan.state().peers.some((p) => p.connectionState === 'connected'),
    null,
    { timeout: 0, polling: 50 },
  );
  // Again once the other person's audio is there: the page retries playback it was refused.
  await page.mouse.click(3, 3);
  const state = await page.evaluate(() => window.tincan.state());
  emit('connected', { joinPressedAt: state.joinPressedAt ?? null });
  // Stay in the call until told to go; a line of the page's own view now and then, for the log.
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const seen = await page.evaluate(async () => ({
      selfLevel: window.tincan.state().selfLevel,
      activated: navigator.userActivation?.hasBeenActive,
      peers: (await window.tincan.stats()).map((s) => ({
        packetsReceived: s.packetsReceived,
        packetsLost: s.packetsLost,
        audioLevel: s.audioLevel,
        jitterMs: s.jitterMs,
        // Averages since the call started: the receiver's buffer and what it aimed for.
        bufferMs: s.jitterBufferEmittedCount ? (s.jitterBufferDelay / s.jitterBufferEmittedCount) * 1000 : null,
        targetMs: s.jitterBufferEmittedCount ? (s.jitterBufferTargetDelay / s.jitterBufferEmittedCount) * 1000 : null,
      })),
    }));
    console.error(`page: ${JSON.stringify(seen)}`);
  }
} catch (err) {
  // What the page shows says more than a timeout does.
  const state = await page?.evaluate(() => window.tincan?.state()).catch(() => null);
  const shown = state ? ` (screen ${state.screen}, call ${state.callState}, banner ${JSON.stringify(state.banner)})` : '';
  emit('error', { message: `${err.message || err}${shown}`.split('\n')[0] });
  await shutdown(1);
}
