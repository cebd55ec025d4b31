// The page in Korean, driven in Chromium like a person would: the system language picks it, every
// screen and error message reads in Korean, and Settings switches language at once and keeps it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRelay, useBrowser } from './lib/harness.mjs';
import { joinServed, waitForConnectedPeers, waitForScreen, waitForBanner } from './lib/call.mjs';

let browser;
useBrowser((launched) => { browser = launched; });

// Words that stay as they are in a Korean interface: the product's name, technical terms and
// units, operating systems, the name of the English language, and the people in the test.
const KEPT = [
  'Tincan', 'IPv4', 'IPv6', 'IP', 'LAN', 'ICE', 'JSON', 'TURN', 'STUN', 'HTTP', 'https', 'http',
  'localhost', 'kbps', 'Hz', 'ms', 'Ctrl', 'Esc', 'Windows', 'macOS', 'WebRTC', 'X11', 'Wayland',
  'Chrome', 'Safari', 'SHA', 'QR', 'English', 'Ann', 'Bob',
  // The default room's name on the wire, shown as the room field's placeholder.
  'lobby',
];

// Every piece of text a person can see or hear in the page: visible text nodes, and the
// placeholders, labels and tooltips of visible elements. Addresses, passcodes and key names
// (<code>, <kbd>, inputs' values) are data, not words of the interface.
function visibleTexts(page) {
  return page.evaluate(() => {
    const texts = [];
    const shown = (el) => el.checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true }) ?? true;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      const text = node.textContent.trim();
      if (!text || !el || el.closest('code, kbd, script, style, template')) continue;
      // Hidden for the eye but read out: screen-reader text counts too.
      if (!shown(el) && !el.closest('.visually-hidden')) continue;
      texts.push(text);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
      if (!shown(el) || el.closest('template')) continue;
      for (const attr of ['placeholder', 'aria-label', 'title']) {
        const value = el.getAttribute(attr);
        if (value) texts.push(value);
      }
    }
    return texts;
  });
}

// What is left of a text once kept words, quoted literals ("urls", "-") and example JSON are
// taken out: any Latin word left is English that was not translated.
function englishIn(texts, extra = []) {
  const kept = new RegExp(`(?<![A-Za-z])(?:${[...KEPT, ...extra].join('|')})(?![A-Za-z])`, 'g');
  return texts.filter((text) => /[A-Za-z]{2,}/.test(text
    .replace(/\[\{.*?\}\]/g, '')
    .replace(/\[[0-9a-f:]+\]/gi, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/"[^"]*"/g, '')
    .replace(/\b[a-z]+:\/\/\S*/g, '')
    .replace(kept, '')));
}

async function assertKorean(page, where, extra) {
  const left = englishIn(await visibleTexts(page), extra);
  assert.deepEqual(left, [], `English left on ${where}`);
}

test('the page follows a Korean system, shows every screen and error in Korean, and switches at once', { timeout: 90000 }, async () => {
  await withRelay(browser, { key: 'maple-river-torch' }, async ({ open }) => {
    const ann = await open({}, { locale: 'ko-KR' });
    assert.equal(await ann.getAttribute('html', 'lang'), 'ko');
    assert.equal(await ann.textContent('#home-title'), '같은 네트워크의 누구와도 대화하세요');
    // The passcode field's example is three words of the English word list by design.
    await assertKorean(ann, 'the home screen', ['maple', 'river', 'torch']);

    // Mistakes on the home screen.
    await ann.click('#join-served-button');
    assert.match(await ann.textContent('#name-error'), /이름을 입력해 주세요/);
    await ann.fill('#name-input', 'Ann');
    await ann.fill('#join-address', '999.1.2.3');
    await ann.click('#join-button');
    assert.match(await ann.textContent('#join-address-error'), /올바른 IPv4 주소가 아니에요/);
    await ann.click('.more summary');
    await ann.fill('#join-room', 'two words');
    await ann.fill('#join-address', '127.0.0.1');
    await ann.click('#join-button');
    assert.match(await ann.textContent('#join-room-error'), /방 이름에는/);
    await assertKorean(ann, 'the home screen with its errors', ['maple', 'river', 'torch']);
    await ann.fill('#join-room', '');

    // A refusal from the relay, in a banner.
    await joinServed(ann, { name: 'Ann', key: 'wrong-words-here' });
    await waitForBanner(ann, /암호가 틀렸어요/);
    await assertKorean(ann, 'the wrong-passcode banner', ['maple', 'river', 'torch']);

    // Settings, with an ICE error.
    await ann.click('#open-settings');
    await ann.fill('#set-ice', '[{"urls":"turn:turn.example.org"}]');
    await ann.click('#settings-save');
    assert.match(await ann.textContent('#set-ice-error'), /TURN 서버에는/);
    await assertKorean(ann, 'the settings dialog', ['turn', 'example', 'org', 'maple', 'river', 'torch']);
    await ann.fill('#set-ice', '');
    await ann.click('#settings-cancel');

    // A call of two.
    const bob = await open({}, { locale: 'ko-KR' });
    await joinServed(ann, { name: 'Ann', key: 'maple river torch' });
    await joinServed(bob, { name: 'Bob', key: 'maple river torch' });
    await waitForConnectedPeers(ann, 1);
    await ann.waitForFunction(() => !document.querySelector('.participant:not(.self) .p-safety').hidden);
    assert.equal(await ann.textContent('#call-count'), '2명');
    assert.equal(await ann.textContent('.participant.self .p-name'), 'Ann (나)');
    await ann.click('#mute-button');
    await waitForBanner(ann, /음소거했어요/);
    // Initials and the fake microphone's name are data.
    await assertKorean(ann, 'the call screen', ['AN', 'BO', 'Fake Default Audio Input']);

    // English from Settings, at once and without a reload: static text, drawn text, the banner.
    await ann.click('#open-settings');
    await ann.selectOption('#set-language', 'en');
    assert.equal(await ann.getAttribute('html', 'lang'), 'en');
    assert.equal(await ann.textContent('#settings-title'), 'Settings');
    await ann.click('#settings-save');
    assert.equal(await ann.textContent('#call-title'), 'In call');
    assert.equal(await ann.textContent('#call-count'), '2 people');
    assert.equal(await ann.textContent('#mute-label'), 'Unmute');
    assert.equal(await ann.textContent('.participant.self .p-name'), 'Ann (you)');

    // Picking a language and cancelling puts the saved one back.
    await ann.click('#open-settings');
    await ann.selectOption('#set-language', 'ko');
    assert.equal(await ann.textContent('#call-title'), '통화 중');
    await ann.click('#settings-cancel');
    assert.equal(await ann.textContent('#call-title'), 'In call');

    // Remembered: a reload stays English on a Korean system, and "System" goes back to Korean.
    await ann.click('#leave-button');
    await waitForScreen(ann, 'home');
    await ann.reload();
    await ann.waitForFunction(() => window.tincan);
    assert.equal(await ann.getAttribute('html', 'lang'), 'en');
    assert.equal(await ann.textContent('#home-title'), 'Talk to anyone on your network');
    await ann.click('#open-settings');
    assert.equal(await ann.inputValue('#set-language'), 'en');
    await ann.selectOption('#set-language', 'system');
    await ann.click('#settings-save');
    assert.equal(await ann.getAttribute('html', 'lang'), 'ko');
    assert.equal(await ann.textContent('#home-title'), '같은 네트워크의 누구와도 대화하세요');
  });
});

test('an English system gets English, and 360 px of Korean fits without sideways scrolling', { timeout: 60000 }, async () => {
  await withRelay(browser, {}, async ({ open }) => {
    const en = await open({}, { locale: 'en-US' });
    assert.equal(await en.getAttribute('html', 'lang'), 'en');
    assert.equal(await en.textContent('#home-title'), 'Talk to anyone on your network');

    const phone = await open({}, { locale: 'ko-KR', viewport: { width: 360, height: 740 } });
    const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(await overflow(), 0, 'the home screen fits');
    await joinServed(phone, { name: 'Ann' });
    await waitForScreen(phone, 'call');
    assert.equal(await overflow(), 0, 'the call screen fits');
    await phone.click('#open-settings');
    assert.equal(await overflow(), 0, 'the settings dialog fits');
  });
});
