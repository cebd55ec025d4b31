// The catalogues: the same keys and placeholders in English and Korean, every key the page asks
// for exists, and languages and plurals are picked per language. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/relay.mjs';
import {
  CATALOGUES, applyLanguage, pickLanguage, t, msg,
} from '../../ui/js/i18n/index.js';

const { en, ko } = CATALOGUES;

function forms(entry) {
  return typeof entry === 'object' ? Object.values(entry) : [entry];
}

function placeholders(entry) {
  const names = new Set();
  for (const text of forms(entry)) for (const [, name] of text.matchAll(/\{(\w+)\}/g)) names.add(name);
  return [...names].sort();
}

test('both catalogues have the same keys with the same placeholders', () => {
  assert.deepEqual(Object.keys(ko).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en)) {
    assert.deepEqual(placeholders(ko[key]), placeholders(en[key]), key);
    for (const text of [...forms(en[key]), ...forms(ko[key])]) {
      assert.equal(typeof text, 'string', key);
      assert.ok(text.trim().length > 0, `${key} is empty`);
    }
    if (typeof en[key] === 'object') {
      assert.ok('other' in en[key] && 'other' in ko[key], `${key} has an "other" form`);
    }
  }
});

// Entries that read the same in Korean: the product name, and arrangements of values or units.
const SAME_IN_KOREAN = new Set([
  'app.title', 'home.recentWithRoom', 'call.deviceN', 'call.percent', 'backend.bad-input',
  'settings.appInfo',
]);

test('every Korean entry is Korean, written politely in the same style', () => {
  for (const [key, entry] of Object.entries(ko)) {
    if (SAME_IN_KOREAN.has(key)) continue;
    for (const text of forms(entry)) {
      assert.match(text, /[\uAC00-\uD7A3]|^[{}\w–%.]+$/, `${key} has no Hangul: ${text}`);
      // 해요체 throughout: no 합니다/습니다 endings mixed in.
      assert.doesNotMatch(text, /(?:합니다|습니다|십시오)[.!?]?$/, `${key} mixes in 합니다체`);
    }
  }
});

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'i18n' ? [] : sourceFiles(full);
    return entry.name.endsWith('.js') ? [full] : [];
  });
}

test('every key the page uses is in the catalogue', () => {
  const used = new Set();
  const html = readFileSync(path.join(ROOT, 'ui/index.html'), 'utf8');
  for (const [, key] of html.matchAll(/data-i18n="([^"]+)"/g)) used.add(key);
  for (const [, pairs] of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
    for (const pair of pairs.split(/\s+/)) used.add(pair.split(':')[1]);
  }
  for (const file of sourceFiles(path.join(ROOT, 'ui/js'))) {
    const code = readFileSync(file, 'utf8');
    for (const [, key] of code.matchAll(/\b(?:t|msg|LocalizedError|setAppInfo|setHomeBusy|setBusy)\(\s*'([a-z][\w.-]+)'/g)) used.add(key);
    for (const [, key] of code.matchAll(/'((?:call|session|home|settings|talk|media|engine|rooms)\.[\w.-]+)'/g)) used.add(key);
  }
  assert.ok(used.size > 150, `found ${used.size} keys in use`);
  const missing = [...used].filter((key) => !Object.hasOwn(en, key));
  assert.deepEqual(missing, []);
});

test('the system language picks a catalogue, English when none fits', () => {
  assert.equal(pickLanguage(['ko_KR.UTF-8']), 'ko');
  assert.equal(pickLanguage(['ko-KR', 'en-US']), 'ko');
  assert.equal(pickLanguage(['fr-FR', 'ko']), 'ko');
  assert.equal(pickLanguage(['en-GB', 'ko-KR']), 'en');
  assert.equal(pickLanguage(['C']), 'en');
  assert.equal(pickLanguage(['fr_FR.UTF-8', 'de']), 'en');
  assert.equal(pickLanguage([]), 'en');
});

test('plurals and numbers follow the language', () => {
  applyLanguage('en');
  assert.equal(t('call.people', { count: 1 }), '1 person');
  assert.equal(t('call.people', { count: 3 }), '3 people');
  assert.equal(t('call.quality.rate', { kbps: 1234 }), '1,234 kbps');
  const later = msg('call.people', { count: 2 });
  applyLanguage('ko');
  assert.equal(t('call.people', { count: 1 }), '1명');
  assert.equal(t('call.people', { count: 3 }), '3명');
  assert.equal(t('call.quality.loss', { pct: 2.5 }), '손실 2.5%');
  // A msg() reads in the language current when it is shown.
  assert.equal(String(later), '2명');
  // Korean keeps its own word order: the value sits inside the sentence, not after it.
  assert.equal(t('session.retrying', { seconds: 4, attempt: 2 }).startsWith('호스트와의 연결이 끊어졌어요. 4초 후에'), true);
  applyLanguage('en');
});

test('every error code the app backend sends has its sentence', async () => {
  const read = (file) => readFileSync(path.join(ROOT, 'src-tauri/src', file), 'utf8');
  const errors = read('error.rs');
  const codes = [...errors.matchAll(/Self::\w+(?:\s*\{\s*\.\.\s*\}|\(_\))?\s*=>\s*"([a-z-]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 12, `found ${codes.length} codes`);
  const kebab = (name) => name.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase());
  const causeBody = /pub enum Cause \{([\s\S]*?)\n\}/.exec(errors)[1];
  const causes = [...causeBody.matchAll(/^ {4}([A-Z]\w+)/gm)].map((m) => kebab(m[1])).filter((c) => c !== 'other');
  assert.ok(causes.length >= 6, `found ${causes.length} causes`);
  const shortcuts = [...read('shortcut.rs').matchAll(/\(\s*"([a-z-]+)",/g)].map((m) => m[1]);
  assert.deepEqual(shortcuts.sort(), ['no-display', 'taken', 'wayland']);
  const wanted = [
    ...codes.map((code) => `backend.${code}`),
    ...causes.map((cause) => `backend.unreachable.${cause}`),
    ...shortcuts.map((code) => `backend.shortcut.${code}`),
  ];
  assert.deepEqual(wanted.filter((key) => !Object.hasOwn(en, key)), []);

  const { backendMsg } = await import('../../ui/js/i18n/backend.js');
  const lost = {
    code: 'gave-up',
    message: 'Lost the connection to the host and could not reconnect: …',
    params: {
      reason: {
        code: 'unreachable',
        message: '…',
        params: { address: '10.0.0.2:47800', url: 'ws://10.0.0.2:47800/ws/lobby', reason: 'connection refused', cause: { cause: 'refused' } },
      },
    },
  };
  applyLanguage('ko');
  assert.equal(
    String(backendMsg(lost)),
    '호스트와의 연결이 끊어졌고 다시 연결하지 못했어요: 10.0.0.2:47800에 연결하지 못했어요(시도한 주소: ws://10.0.0.2:47800/ws/lobby): 연결이 거부됨',
  );
  // A port is a port, not a number to group.
  assert.match(String(backendMsg({ code: 'already-hosting', message: '', params: { port: 47800 } })), /47800번 포트/);
  applyLanguage('en');
  assert.equal(backendMsg({ code: 'from-a-newer-app', message: 'x' }), null);
});
