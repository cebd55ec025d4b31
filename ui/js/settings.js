'use strict';

// What the app remembers between runs (localStorage): the user's name, recent hosts and the
// settings. Validation lives here too and is pure, so it can be unit-tested without a browser.

import { DEFAULT_TALK_KEY, isTalkKey, isTalkMode } from './talk.js';
import { isLanguageChoice, t } from './i18n/index.js';
import { MAX_COMBINING_RUN, MAX_COMBINING_TOTAL, MAX_NAME_CHARS } from './protocol.js';

const SETTINGS_KEY = 'tincan.settings';
const NAME_KEY = 'tincan.name';
const RECENT_KEY = 'tincan.recentHosts';
const RECENT_LIMIT = 6;

export const DEFAULT_SETTINGS = Object.freeze({
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  // Empty on purpose: a LAN call must never wait on a STUN server it cannot reach.
  iceServers: '',
  testTone: false,
  forceNative: false,
  lowLatency: false,
  inputDeviceId: '',
  outputDeviceId: '',
  // Open mic, push-to-talk or push-to-mute (talk.js), and the key held for it.
  talkMode: 'open',
  talkKey: DEFAULT_TALK_KEY,
  // 'system' follows the system's language; 'en' or 'ko' picks one.
  language: 'system',
});

const ICE_SCHEMES = /^(stun|stuns|turn|turns):[^\s]+$/i;

/**
 * Checks the ICE servers text: empty, or a JSON array shaped like RTCIceServer entries, e.g.
 * [{"urls":"stun:stun.example.org:3478"},{"urls":"turn:turn.example.org","username":"u","credential":"p"}].
 * Returns {ok: true, servers} or {ok: false, error}.
 */
export function parseIceServers(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return { ok: true, servers: [] };
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { ok: false, error: t('ice.notJson', { detail: err.message }) };
  }
  if (!Array.isArray(value)) return { ok: false, error: t('ice.notList') };
  const servers = [];
  for (const [index, entry] of value.entries()) {
    const n = String(index + 1);
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      return { ok: false, error: t('ice.notObject', { n }) };
    }
    const urls = typeof entry.urls === 'string' ? [entry.urls] : entry.urls;
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
      return { ok: false, error: t('ice.noUrls', { n }) };
    }
    const badUrl = urls.find((u) => !ICE_SCHEMES.test(u));
    if (badUrl !== undefined) {
      return { ok: false, error: t('ice.badUrl', { n, url: badUrl }) };
    }
    const isTurn = urls.some((u) => /^turns?:/i.test(u));
    const server = { urls: entry.urls };
    for (const field of ['username', 'credential']) {
      if (entry[field] === undefined) continue;
      if (typeof entry[field] !== 'string') return { ok: false, error: t('ice.notString', { n, field }) };
      server[field] = entry[field];
    }
    if (isTurn && (server.username === undefined || server.credential === undefined)) {
      return { ok: false, error: t('ice.turnNeeds', { n }) };
    }
    servers.push(server);
  }
  return { ok: true, servers };
}

// Control, format and line/paragraph separator characters: invisible, or able to reorder or
// hide text (U+202E, U+200B), so "Ann (you)" could be faked. The relay refuses them.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const MARK = /^\p{M}$/u;

/**
 * Makes a display name the relay accepts (docs/PROTOCOL.md, "Display names"): drops hidden
 * characters and combining marks past the limits, collapses whitespace, trims, and keeps at
 * most MAX_NAME_CHARS characters (code points, as the relay counts them).
 */
export function cleanName(name) {
  const text = String(name ?? '').replace(HIDDEN, '').replace(/\s+/g, ' ').trim();
  const kept = [];
  let run = 0;
  let total = 0;
  for (const char of text) {
    if (MARK.test(char)) {
      if (run >= MAX_COMBINING_RUN || total >= MAX_COMBINING_TOTAL) continue;
      run += 1;
      total += 1;
    } else {
      run = 0;
    }
    kept.push(char);
    if (kept.length === MAX_NAME_CHARS) break;
  }
  return kept.join('').trim();
}

function read(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (err) {
    // Private windows and full disks refuse storage; the app still works, it just forgets.
    console.warn('could not save', key, err);
  }
}

export function loadSettings() {
  const stored = read(SETTINGS_KEY, {});
  const settings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS)) {
    if (typeof stored?.[key] === typeof DEFAULT_SETTINGS[key]) settings[key] = stored[key];
  }
  if (!isTalkMode(settings.talkMode)) settings.talkMode = DEFAULT_SETTINGS.talkMode;
  if (!isTalkKey(settings.talkKey)) settings.talkKey = DEFAULT_SETTINGS.talkKey;
  if (!isLanguageChoice(settings.language)) settings.language = DEFAULT_SETTINGS.language;
  return settings;
}

export function saveSettings(settings) {
  write(SETTINGS_KEY, settings);
}

export function loadName() {
  return cleanName(read(NAME_KEY, ''));
}

export function saveName(name) {
  write(NAME_KEY, cleanName(name));
}

export function loadRecentHosts() {
  const list = read(RECENT_KEY, []);
  return Array.isArray(list) ? list.filter((h) => h && typeof h.address === 'string').slice(0, RECENT_LIMIT) : [];
}

// Most recent first, one entry per address and room.
export function rememberHost({ address, room }) {
  const entry = { address, room: room || '', at: Date.now() };
  const rest = loadRecentHosts().filter((h) => h.address !== address || (h.room || '') !== entry.room);
  write(RECENT_KEY, [entry, ...rest].slice(0, RECENT_LIMIT));
}

export function forgetHost({ address, room }) {
  write(RECENT_KEY, loadRecentHosts().filter((h) => h.address !== address || (h.room || '') !== (room || '')));
}
