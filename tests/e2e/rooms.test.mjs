// "Rooms on your network" needs the app (mDNS): a page in a browser cannot listen for rooms, so
// the section stays out of sight there and joining by IP (or from the serving host) remains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay, useBrowser } from './lib/harness.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

test('a browser page shows no "Rooms on your network" section', { timeout: 30000 }, async () => {
  await withRelay(browser, {}, async ({ open }) => {
    const page = await open({});
    const shown = await page.evaluate(() => {
      const section = document.getElementById('lan-rooms');
      return { hidden: section.hidden, visible: section.offsetParent !== null };
    });
    assert.deepEqual(shown, { hidden: true, visible: false });
    assert.equal(await page.evaluate(() => document.getElementById('join-card').offsetParent !== null), true,
      'join by IP stays');
  });
});
