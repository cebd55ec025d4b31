'use strict';

import { onLanguageChange } from '../i18n/index.js';

// The banner under the top bar: one place where status and errors are put into words and
// announced to screen readers.

const banner = document.getElementById('banner');
const bannerText = document.getElementById('banner-text');
const bannerClose = document.getElementById('banner-close');

let hideTimer = null;
// What the banner says, kept as given: a msg() reads again in a newly chosen language.
let shown = null;

bannerClose.addEventListener('click', () => clearBanner());
onLanguageChange(() => {
  if (shown !== null && !banner.hidden) bannerText.textContent = String(shown);
});

// kind: 'info' | 'ok' | 'warn' | 'error'. Errors stay until dismissed; the rest fade after a while
// unless `sticky` is set. `message` is a string or a msg() from i18n.
export function showBanner(message, kind = 'info', { sticky = kind === 'error' || kind === 'warn' } = {}) {
  clearTimeout(hideTimer);
  banner.dataset.kind = kind;
  // Errors interrupt; progress notes wait their turn.
  banner.setAttribute('aria-live', kind === 'error' ? 'assertive' : 'polite');
  shown = message;
  bannerText.textContent = String(message);
  banner.hidden = false;
  if (!sticky) hideTimer = setTimeout(clearBanner, 6000);
}

export function clearBanner() {
  clearTimeout(hideTimer);
  hideTimer = null;
  banner.hidden = true;
  bannerText.textContent = '';
  shown = null;
  delete banner.dataset.kind;
}

export function bannerMessage() {
  return banner.hidden ? '' : bannerText.textContent;
}

/** The catalogue key of the banner shown, when it was given one. */
export function bannerKey() {
  return banner.hidden ? '' : shown?.key ?? '';
}
