// Keyboard use, labels, and the app's strict content security policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import { ROOT } from './lib/relay.mjs';
import { serveUi } from './lib/static.mjs';
import { loadApp } from './lib/browser.mjs';
import {
  joinServed, joinAddress, waitForConnectedPeers, waitForScreen, state,
} from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

// Form controls without a label (or aria-label) among the visible ones.
function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.offsetParent !== null || el.closest('dialog[open]'))
    .filter((el) => {
      if (el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
      return el.tagName !== 'BUTTON' || el.textContent.trim() === '';
    })
    .map((el) => el.id || el.outerHTML.slice(0, 80)));
}

test('a keyboard alone can join, mute, open settings and leave', { timeout: 60000 }, async () => {
  await withRelayIn(browser, {}, async ({ open }) => {
    const other = await open({ tone: '1' });
    await joinServed(other, { name: 'Bob' });
    await waitForScreen(other, 'call');

    const page = await open({ tone: '1' });
    assert.deepEqual(await unlabelled(page), [], 'every control on the home screen is labelled');
    // The first Tab reaches the skip link, the next ones the settings button and the name field.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    let guard = 0;
    while (await page.evaluate(() => document.activeElement.id) !== 'name-input' && guard++ < 10) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.type('Kim');
    // Focus shows: the name field has a visible outline while focused from the keyboard.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid');
    guard = 0;
    while (await page.evaluate(() => document.activeElement.id) !== 'join-served-button' && guard++ < 10) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await waitForConnectedPeers(page, 1);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'call-title', 'focus moves to the call');
    assert.deepEqual(await unlabelled(page), [], 'every control on the call screen is labelled');

    await page.keyboard.press('m');
    assert.equal((await state(page)).muted, true);
    await page.keyboard.press('Shift+M');
    assert.equal((await state(page)).muted, false);

    await page.focus('#open-settings');
    await page.keyboard.press('Enter');
    assert.equal(await page.isVisible('#settings-dialog'), true);
    assert.deepEqual(await unlabelled(page), [], 'every control in settings is labelled');
    // "m" typed into the ICE field must not mute.
    await page.focus('#set-ice');
    await page.keyboard.type('m');
    assert.equal((await state(page)).muted, false);
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#settings-dialog'), false);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'open-settings', 'focus returns');

    await page.focus('#leave-button');
    await page.keyboard.press('Enter');
    await waitForScreen(page, 'home');
    await waitForConnectedPeers(other, 0);
  });
});

test('the UI runs under the app\'s strict CSP without a single violation', { timeout: 60000 }, async () => {
  const html = await readFile(path.join(ROOT, 'ui/index.html'), 'utf8');
  assert.doesNotMatch(html, /\sstyle=/i, 'no inline style attributes');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline scripts');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no external resources');

  await withRelayIn(browser, {}, async ({ relay }) => {
    // The policy of src-tauri/tauri.conf.json; in a browser the signaling socket needs connect-src.
    const policy = [
      "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
      "font-src 'self' data:", "media-src 'self' blob: mediastream:",
      `connect-src 'self' ws://127.0.0.1:${relay.port}`,
      "object-src 'none'", "base-uri 'self'", "form-action 'none'", "frame-ancestors 'none'",
    ].join('; ');
    const site = await serveUi({ 'content-security-policy': policy });
    const pages = [];
    try {
      for (const name of ['Ann', 'Bob']) {
        const context = await browser.newContext();
        await context.addInitScript(() => {
          window.cspViolations = [];
          document.addEventListener('securitypolicyviolation', (e) => {
            window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
          });
        });
        const page = await context.newPage();
        page.errors = [];
        page.on('pageerror', (err) => page.errors.push(String(err)));
        pages.push(page);
        await loadApp(page, `${site.origin}/?tone=1`);
        await joinAddress(page, { name, address: `127.0.0.1:${relay.port}` });
        await waitForScreen(page, 'call');
      }
      await waitForConnectedPeers(pages[0], 1);
      await pages[0].click('#mute-button');
      await pages[0].click('#open-settings');
      await pages[0].click('#settings-cancel');
      await pages[1].waitForFunction(() => document.querySelector('.participant:not(.self) .q-text').textContent.includes('kbps'));
      for (const page of pages) {
        assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no CSP violations');
        assert.deepEqual(page.errors, [], 'no uncaught errors');
      }
      // The policy is really enforced: an inline style attribute set from markup is refused.
      const blocked = await pages[0].evaluate(async () => {
        const div = document.createElement('div');
        div.innerHTML = '<p style="color: red">x</p>';
        document.body.append(div);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return window.cspViolations.some((v) => v.startsWith('style-src'));
      });
      assert.equal(blocked, true, 'the test policy is in force');
    } finally {
      for (const page of pages) await page.context().close();
      await site.close();
    }
  });
});
