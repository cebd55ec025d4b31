'use strict';

// The banner under the top bar: one place where status and errors are put into words and
// announced to screen readers.

const banner = document.getElementById('banner');
const bannerText = document.getElementById('banner-text');
const bannerClose = document.getElementById('banner-close');

let hideTimer = null;

bannerClose.addEventListener('click', () => clearBanner());

// kind: 'info' | 'ok' | 'warn' | 'error'. Errors stay until dismissed; the rest fade after a while
// unless `sticky` is set.
export function showBanner(message, kind = 'info', { sticky = kind === 'error' || kind === 'warn' } = {}) {
  clearTimeout(hideTimer);
  banner.dataset.kind = kind;
  // Errors interrupt; progress notes wait their turn.
  banner.setAttribute('aria-live', kind === 'error' ? 'assertive' : 'polite');
  bannerText.textContent = message;
  banner.hidden = false;
  if (!sticky) hideTimer = setTimeout(clearBanner, 6000);
}

export function clearBanner() {
  clearTimeout(hideTimer);
  hideTimer = null;
  banner.hidden = true;
  bannerText.textContent = '';
  delete banner.dataset.kind;
}

export function bannerMessage() {
  return banner.hidden ? '' : bannerText.textContent;
}
