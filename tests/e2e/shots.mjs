// Screenshots of the home and call screens at desktop and phone widths, light and dark.
// Run inside the network namespace: scripts/netns-run.sh node tests/e2e/shots.mjs [OUT_DIR]
// TINCAN_LOCALE=ko-KR takes them as a browser set to that language shows them.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startRelay } from './lib/relay.mjs';
import { launchBrowser, openParticipant } from './lib/browser.mjs';
import { joinServed, waitForConnectedPeers, waitForScreen, sleep } from './lib/call.mjs';

const out = process.argv[2] || '/tmp/ui-shots';
const SIZES = { desktop: { width: 1100, height: 720 }, phone: { width: 360, height: 740 } };
const SCHEMES = ['light', 'dark'];
const locale = process.env.TINCAN_LOCALE || undefined;

async function shootAll(page, screen) {
  for (const [sizeName, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      await sleep(300);
      const file = path.join(out, `${screen}-${sizeName}-${colorScheme}.png`);
      // Full page, so what lies below the fold (recent hosts, long participant lists) is seen too.
      await page.screenshot({ path: file, fullPage: sizeName === 'phone' });
      console.log(file);
    }
  }
}

await mkdir(out, { recursive: true });
const relay = await startRelay({ key: 'tea4two' });
const browser = await launchBrowser();
try {
  const me = await openParticipant(browser, relay.page({ tone: '1' }), { locale });
  // A remembered host makes the home screen look as it does after the first call.
  await me.evaluate(() => localStorage.setItem('tincan.recentHosts', JSON.stringify([
    { address: '192.168.1.23:47800', room: '', at: Date.now() - 3600e3 },
    { address: '[fe80::1c2b:3aff:fe4d:9e10]:47800', room: 'studio', at: Date.now() - 86400e3 * 2 },
  ])));
  await me.reload();
  await me.fill('#name-input', 'Ann');
  await shootAll(me, 'home');

  await joinServed(me, { name: 'Ann', key: 'tea4two' });
  await waitForScreen(me, 'call');
  const others = [];
  for (const name of ['Bob', 'Chloé Martin', 'Dev']) {
    const page = await openParticipant(browser, relay.page({ tone: name === 'Bob' ? '1' : '0' }), { locale });
    await joinServed(page, { name, key: 'tea4two' });
    others.push(page);
  }
  await waitForConnectedPeers(me, 3);
  await others[2].click('#mute-button');
  await sleep(2500);
  await shootAll(me, 'call');
  await me.setViewportSize(SIZES.desktop);
  await me.click('#open-settings');
  for (const colorScheme of SCHEMES) {
    await me.emulateMedia({ colorScheme });
    await sleep(200);
    const file = path.join(out, `settings-desktop-${colorScheme}.png`);
    await me.screenshot({ path: file });
    console.log(file);
  }
} finally {
  await browser.close();
  await relay.stop();
}
