// The call's roster in a real page: someone calling themselves "Ann (you)" next to Ann, with a
// hidden character typed in, is shown with a piece of their peer id. Run inside
// scripts/netns-run.sh (see run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay as withRelayIn, useBrowser } from './lib/harness.mjs';
import { joinServed, waitForScreen } from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

const withRelay = (options, fn) => withRelayIn(browser, options, fn);

const OTHER_NAMES = '.participant:not(.self) .p-name';

test('a look-alike of "Ann (you)" gets an id suffix in the roster', { timeout: 60000 }, async () => {
  await withRelay({}, async ({ open }) => {
    const ann = await open();
    const mimic = await open();
    await joinServed(ann, { name: 'Ann' });
    await waitForScreen(ann, 'call');
    // A zero width space, which the page drops before joining.
    await joinServed(mimic, { name: 'Ann\u200b (you)' });
    await waitForScreen(mimic, 'call');

    await ann.waitForFunction((selector) => document.querySelectorAll(selector).length === 1, OTHER_NAMES, { timeout: 15000 });
    const seenByAnn = await ann.locator(OTHER_NAMES).textContent();
    assert.match(seenByAnn, /^Ann \(you\) · [0-9a-f]{4}$/);
    assert.equal(await ann.locator('.participant.self .p-name').textContent(), 'Ann (you)');

    // The mimic sees Ann's name as it is: nothing else in the call looks like it.
    await mimic.waitForFunction((selector) => document.querySelectorAll(selector).length === 1, OTHER_NAMES, { timeout: 15000 });
    assert.equal(await mimic.locator(OTHER_NAMES).textContent(), 'Ann');
  });
});
