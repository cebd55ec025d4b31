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

// Opens a page for one participant. Page errors are collected so tests can show them on failure.
export async function openParticipant(browser, url, { viewport = { width: 1100, height: 720 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.errors = [];
  page.logs = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  page.on('console', (msg) => page.logs.push(`${msg.type()}: ${msg.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => typeof window.tincan?.state === 'function');
  return page;
}

export async function closeAll(browser) {
  await browser?.close().catch(() => {});
}
