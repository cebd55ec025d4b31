'use strict';

// The page's words in English and Korean. Every sentence a person sees is a whole entry in a
// catalogue (en.js, ko.js) with named {placeholders}, so each language keeps its own word order;
// counts pick their plural form and numbers their digits through Intl, per language.
//
//   t(key, params)         the text in the current language
//   msg(key, params)       the same, kept as a key: it reads in whatever language is current
//                          when it is shown, so a banner follows a language switch
//   LocalizedError         an Error whose message is a msg()
//   applyLanguage(choice)  'system' | 'en' | 'ko'; redraws the static page and tells listeners

import en from './en.js';
import ko from './ko.js';

export const CATALOGUES = Object.freeze({ en, ko });
export const LANGUAGE_CHOICES = Object.freeze(['system', 'en', 'ko']);
const FALLBACK = 'en';

let language = FALLBACK;
let systemTags = [];
const listeners = new Set();

export function isLanguageChoice(choice) {
  return LANGUAGE_CHOICES.includes(choice);
}

/** The first supported language among BCP 47 tags or POSIX locales ("ko_KR.UTF-8"). */
export function pickLanguage(tags) {
  for (const tag of tags ?? []) {
    const base = String(tag ?? '').toLowerCase().split(/[-_.@]/)[0];
    if (Object.hasOwn(CATALOGUES, base)) return base;
  }
  return FALLBACK;
}

/** What the system prefers: the app's locale from the backend first, then the web view's. */
export function setSystemLocales(tags) {
  systemTags = tags.filter(Boolean);
}

function browserTags() {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? [...navigator.languages] : [navigator.language];
}

export function resolveLanguage(choice) {
  if (choice === 'en' || choice === 'ko') return choice;
  return pickLanguage([...systemTags, ...browserTags()]);
}

export function currentLanguage() {
  return language;
}

function formatValue(value) {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(value);
  }
  return String(value ?? '');
}

function entry(key) {
  const text = CATALOGUES[language][key] ?? CATALOGUES[FALLBACK][key];
  if (text === undefined) {
    console.warn('missing text', key);
    return key;
  }
  return text;
}

export function t(key, params = {}) {
  let text = entry(key);
  if (typeof text === 'object') {
    const form = new Intl.PluralRules(language).select(Number(params.count ?? 0));
    text = text[form] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (
    Object.hasOwn(params, name) ? formatValue(params[name]) : whole
  ));
}

/** Like t(), with DOM nodes standing for some placeholders: a list for `append`. */
export function tNodes(key, params, nodes) {
  const marks = Object.fromEntries(Object.keys(nodes).map((name) => [name, `\u0000${name}\u0000`]));
  return t(key, { ...params, ...marks }).split('\u0000')
    .map((part, index) => (index % 2 ? nodes[part] : part))
    .filter((part) => part !== '');
}

/** Text kept as its key: `String(m)` reads it in the current language. */
export function msg(key, params = {}) {
  return Object.freeze({ key, params, toString: () => t(key, params) });
}

export function isMsg(value) {
  return typeof value?.key === 'string' && typeof value?.toString === 'function' && 'params' in value;
}

/** An error whose message is a catalogue entry; `text` keeps the key for later redraws. */
export class LocalizedError extends Error {
  constructor(key, params = {}) {
    super(t(key, params));
    this.text = msg(key, params);
  }
}

/** What to show for a thrown error: its msg() when it has one, else its message. */
export function errorMessage(err) {
  if (err?.text && isMsg(err.text)) return err.text;
  return err?.message || String(err);
}

// Static elements name their text in `data-i18n` and attributes in `data-i18n-attr`
// ("placeholder:key aria-label:key").
export function applyStatic(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) {
    const text = t(node.dataset.i18n);
    if (node.textContent !== text) node.textContent = text;
  }
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.trim().split(/\s+/)) {
      const [attr, key] = pair.split(':');
      node.setAttribute(attr, t(key));
    }
  }
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Switches the page to a choice at once: static text, `<html lang>`, then every listener. */
export function applyLanguage(choice) {
  language = resolveLanguage(choice);
  if (typeof document !== 'undefined') {
    document.documentElement.lang = language;
    document.title = t('app.title');
    applyStatic(document);
  }
  for (const fn of listeners) fn(language);
  return language;
}
