// Real Chromium with a fake microphone, one isolated context per participant.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.TINCAN_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// Loads the UI and waits for it to start. A Chromium that has just started in a fresh network
// namespace may see the interfaces settle and abort in-flight requests (ERR_NETWORK_CHANGED);
// that is not the page's fault, so such a load is tried again.
export async function loadApp(page, url) {
  page.logs ??= [];
  for (let attempt = 1; ; attempt += 1) {
    let onChange;
    const changed = new Promise((resolve) => { onChange = resolve; });
    const watch = (req) => {
      if (req.failure()?.errorText.includes('ERR_NETWORK_CHANGED')) onChange('network changed');
    };
    page.on('requestfailed', watch);
    let outcome;
    try {
      await page.goto(url);
      outcome = await Promise.race([
        page.waitForFunction(() => typeof window.tincan?.state === 'function', null, { timeout: 20000 }).then(() => 'ok'),
        changed,
      ]);
    } catch (err) {
      if (!String(err).includes('ERR_NETWORK_CHANGED')) {
        err.message += `\npage did not start; its log:\n${page.logs.join('\n')}`;
        throw err;
      }
      outcome = 'network changed';
    } finally {
      page.off('requestfailed', watch);
    }
    if (outcome === 'ok') return;
    if (attempt === 3) throw new Error(`page did not start:\n${page.logs.join('\n')}`);
    page.logs.push(`loading again after ${outcome}`);
  }
}

// Opens a page for one participant. Page errors are collected so tests can show them on failure.
export async function openParticipant(browser, url, { viewport = { width: 1100, height: 720 }, colorScheme = 'light', locale } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, locale });
  const page = await context.newPage();
  page.errors = [];
  page.logs = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  page.on('console', (msg) => page.logs.push(`${msg.type()}: ${msg.text()}`));
  page.on('requestfailed', (req) => page.logs.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  await loadApp(page, url);
  return page;
}

export async function closeAll(browser) {
  await browser?.close().catch(() => {});
}
