// One relay and a set of participant pages for a test; everything is closed afterwards, and the
// pages must have thrown nothing.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay } from './relay.mjs';
import { launchBrowser, openParticipant } from './browser.mjs';

export async function withRelay(browser, options, fn) {
  const relay = await startRelay(options);
  const pages = [];
  const open = async (params, openOptions) => {
    const page = await openParticipant(browser, relay.page(params), openOptions);
    pages.push(page);
    return page;
  };
  let current = relay;
  try {
    await fn({
      relay,
      open,
      // Tests that restart the relay hand the new one over so it is stopped too.
      replaceRelay: (next) => { current = next; },
    });
    for (const page of pages) assert.deepEqual(page.errors, [], 'no uncaught errors in the page');
  } catch (err) {
    for (const [i, page] of pages.entries()) {
      console.error(`--- page ${i} console (last 15) ---\n${page.logs.slice(-15).join('\n')}`);
      console.error(`    state: ${await describe(page)}`);
    }
    console.error(`--- relay log (last 40 lines) ---\n${current.stderr().split('\n').slice(-40).join('\n')}`);
    throw err;
  } finally {
    await Promise.all(pages.map((p) => p.context().close().catch(() => {})));
    await relay.stop();
    if (current !== relay) await current.stop();
  }
}

// Who a page is and how far each of its connections got, for the log of a failed test.
async function describe(page) {
  try {
    const s = await page.evaluate(() => window.tincan.state());
    const peers = s.peers.map((p) => `${p.name ?? p.id}:${p.connectionState}`).join(' ');
    return `${s.screen} ${s.selfId ?? '-'} [${peers}]${s.banner ? ` banner: ${JSON.stringify(s.banner)}` : ''}`;
  } catch (err) {
    return `unreadable (${err.message.split('\n')[0]})`;
  }
}

// One Chromium for every test of a file: launched before the first test, closed after the last.
export function useBrowser(onLaunch) {
  let browser = null;
  before(async () => {
    browser = await launchBrowser();
    onLaunch(browser);
  });
  after(async () => {
    await browser?.close();
  });
}
