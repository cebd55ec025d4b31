// A phone joins the real app's call from its browser: the app hosts (native engine), shows a link,
// a QR code and its certificate's fingerprint; a phone-sized Chromium (360x740, touch) opens the
// https link, sees the same fingerprint, joins, and audio flows both ways. `run.sh --with-app` runs
// it; TINCAN_SHOTS=DIR also saves the phone page and the host's window there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { launchApp } from './lib/app.mjs';
import { CHROMIUM, CHROMIUM_ARGS, loadApp } from './lib/browser.mjs';
import { waitForConnectedPeers, measureInbound, sleep } from './lib/call.mjs';

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

// Nothing wider than the screen: a page a phone has to scroll sideways is broken.
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > width + 0.5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`);
    return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
  });
}

test('a phone-sized browser opens the host’s https link and joins the app’s call', { timeout: 150000 }, async () => {
  const app = await launchApp({ args: ['--test-tone'] });
  // Only here: the certificate is the host's own, which a person accepts once on the phone.
  const browser = await chromium.launch({
    executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'], headless: true,
  });
  let page;
  try {
    await app.type('#name-input', 'Ann');
    await app.type('#host-key', 'maple river torch');
    await app.click('#host-button');
    const hosting = await app.waitFor(
      'const s = window.tincan.state(); return s.screen === "call" ? s.hosting : (s.banner ? { error: s.banner } : null);',
      { what: 'hosting to start' },
    );
    assert.equal(hosting.error, undefined, `hosting failed: ${hosting.error}`);
    const { phone } = hosting;
    assert.ok(phone, 'hosting offers joining from a phone');
    assert.equal(phone.url, `https://${hosting.address}/#room=lobby&key=maple-river-torch`);
    assert.match(phone.fingerprint, /^([0-9A-F]{4} ){15}[0-9A-F]{4}$/);

    // The host's panel shows what it returned: the link, a drawn QR code, the fingerprint.
    const panel = await app.evaluate(`const p = document.getElementById('phone-join');
      return { hidden: p.hidden, link: document.getElementById('phone-link').textContent,
        print: document.getElementById('phone-fingerprint').textContent,
        qr: p.querySelector('.qr path').getAttribute('d').length,
        qrWidth: p.querySelector('.qr svg').getBoundingClientRect().width };`);
    assert.equal(panel.hidden, false);
    assert.equal(panel.link, phone.url);
    assert.equal(panel.print.replace(/\s+/g, ''), phone.fingerprint.replaceAll(' ', ''));
    assert.ok(panel.qr > 500 && panel.qrWidth >= 150, `a QR code is drawn (${panel.qr} path chars, ${panel.qrWidth}px)`);

    const context = await browser.newContext({ ...PHONE, colorScheme: 'light' });
    page = await context.newPage();
    page.errors = [];
    page.logs = [];
    page.on('pageerror', (err) => page.errors.push(String(err)));
    page.on('console', (msg) => page.logs.push(`${msg.type()}: ${msg.text()}`));
    await loadApp(page, `${phone.url}&tone=1`);
    assert.equal(await page.evaluate(() => location.protocol), 'https:');
    assert.equal(await page.evaluate(() => window.isSecureContext), true, 'a secure page, so the microphone may be used');

    // The page shows the certificate it came with: the same as the host's.
    await page.locator('#served-certificate').waitFor({ state: 'visible' });
    const served = await page.textContent('#served-certificate .fingerprint');
    assert.equal(served.replace(/\s+/g, ''), phone.fingerprint.replaceAll(' ', ''), 'the phone shows the host’s fingerprint');
    assert.equal(await page.inputValue('#join-key'), 'maple-river-torch', 'the passcode came with the link');
    assert.doesNotMatch(await page.evaluate(() => location.href), /key=/, 'and left the address bar at once');
    const home = await overflow(page);
    assert.ok(home.scroll <= home.width && home.wide.length === 0, `home fits 360 px: ${JSON.stringify(home)}`);
    if (process.env.TINCAN_SHOTS) {
      await page.fill('#name-input', 'Bob');
      await page.screenshot({ path: path.join(process.env.TINCAN_SHOTS, 'phone.png') });
    }

    await page.fill('#name-input', 'Bob');
    await page.tap('#join-served-button');
    await waitForConnectedPeers(page, 1, 30000);
    await app.waitFor('const s = window.tincan.state(); return s.peers.length === 1 && s.peers[0].connectionState === "connected";',
      { what: 'the app to connect' });
    assert.equal((await app.state()).engine, 'native');

    await sleep(500);
    const fromApp = await measureInbound(page, 'Ann', 2000);
    assert.ok(fromApp.packets > 40 && fromApp.rms > 0.01, `the phone hears the app (packets ${fromApp.packets}, rms ${fromApp.rms})`);
    const before = (await app.stats())[0];
    await sleep(2000);
    const after = (await app.stats())[0];
    const appPackets = after.packetsReceived - before.packetsReceived;
    assert.ok(appPackets > 40 && after.audioLevel > 0, `the app hears the phone (packets ${appPackets}, level ${after.audioLevel})`);
    console.log(`phone hears app: ${fromApp.packets} packets, rms ${fromApp.rms.toFixed(3)}; app hears phone: ${appPackets} packets, level ${after.audioLevel}`);

    const call = await overflow(page);
    assert.ok(call.scroll <= call.width && call.wide.length === 0, `the call fits 360 px: ${JSON.stringify(call)}`);
    if (process.env.TINCAN_SHOTS) {
      await page.screenshot({ path: path.join(process.env.TINCAN_SHOTS, 'phone-call.png') });
      await writeFile(path.join(process.env.TINCAN_SHOTS, 'host-phone.png'), await app.screenshot());
    }
    assert.deepEqual(page.errors, [], 'no uncaught errors in the phone page');
  } catch (err) {
    if (page) console.error(`--- phone console (last 30) ---\n${page.logs.slice(-30).join('\n')}`);
    throw err;
  } finally {
    await browser.close();
    await app.close();
  }
});
