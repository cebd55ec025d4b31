'use strict';

// Joining from a phone: on the host, a panel with the https link, its QR code and the
// certificate's fingerprint; on a page opened over https, the fingerprint of the certificate it
// was served with, to compare with the host's panel.


import { onLanguageChange, t } from '../i18n/index.js';

// Modules of light border around the code, as the QR standard asks for.
const QUIET_ZONE = 4;
const SVG = 'http://www.w3.org/2000/svg';

const panel = document.getElementById('phone-join');
let copyTimer = null;
// What the panel shows, drawn again in the new words when the language changes.
let shown = null;
onLanguageChange(() => { if (shown) showPhonePanel(shown); });

function element(tag, { className, text, id } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (id) node.id = id;
  return node;
}

// The code as one path: each run of dark modules in a row is one rectangle.
export function qrSvg({ size, modules }) {
  const side = size + 2 * QUIET_ZONE;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${side} ${side}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(side));
  background.setAttribute('height', String(side));
  background.setAttribute('class', 'qr-light');
  const parts = [];
  for (let y = 0; y < size; y += 1) {
    let x = 0;
    while (x < size) {
      if (modules[y * size + x] !== '1') {
        x += 1;
        continue;
      }
      const start = x;
      while (x < size && modules[y * size + x] === '1') x += 1;
      parts.push(`M${start + QUIET_ZONE} ${y + QUIET_ZONE}h${x - start}v1h${start - x}z`);
    }
  }
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', parts.join(''));
  path.setAttribute('class', 'qr-dark');
  svg.append(background, path);
  return svg;
}

// Groups of four, one line of four groups at a time, so the eye keeps its place.
function fingerprintBlock(fingerprint) {
  const block = element('code', { className: 'fingerprint' });
  const groups = fingerprint.split(' ');
  for (let i = 0; i < groups.length; i += 4) {
    block.append(element('span', { className: 'fingerprint-line', text: groups.slice(i, i + 4).join(' ') }));
  }
  return block;
}

async function copyLink(link, status) {
  clearTimeout(copyTimer);
  try {
    await navigator.clipboard.writeText(link.textContent);
    status.textContent = t('call.copied');
  } catch {
    const range = document.createRange();
    range.selectNodeContents(link);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
    status.textContent = t('call.copyManual');
  }
  copyTimer = setTimeout(() => { status.textContent = ''; }, 3000);
}

// The host's panel; `phone` is what hosting returned (`null` hides the panel).
export function showPhonePanel(phone) {
  shown = phone;
  clearTimeout(copyTimer);
  panel.replaceChildren();
  panel.hidden = !phone;
  if (!phone) return;
  const title = element('h2', { text: t('phone.panelTitle'), id: 'phone-join-title' });
  const figure = element('div', { className: 'qr' });
  const svg = qrSvg(phone.qr);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('phone.qrLabel'));
  figure.append(svg);

  const body = element('div', { className: 'phone-join-body' });
  const link = element('code', { className: 'phone-link', text: phone.url, id: 'phone-link' });
  const copy = element('button', { className: 'button small', text: t('phone.copy'), id: 'copy-phone-link' });
  copy.type = 'button';
  const status = element('span', { className: 'copy-status' });
  status.setAttribute('aria-live', 'polite');
  copy.addEventListener('click', () => copyLink(link, status));
  const linkRow = element('p', { className: 'phone-link-row' });
  linkRow.append(link, copy, status);
  const passcode = /[#&]key=/.test(phone.url) ? element('p', { className: 'field-hint', text: t('phone.passcodeInLink') }) : null;
  const warning = element('div', { className: 'phone-warning' });
  warning.append(element('h3', { text: t('phone.warningTitle') }), element('p', { text: t('phone.warning') }));
  const print = element('div', { className: 'phone-fingerprint' });
  const printBlock = fingerprintBlock(phone.fingerprint);
  printBlock.id = 'phone-fingerprint';
  print.append(element('span', { className: 'fingerprint-label', text: t('phone.fingerprint') }), printBlock);
  const checks = element('div', { className: 'phone-checks' });
  checks.append(warning, print);
  body.append(element('p', { text: t('phone.scan') }), linkRow, ...(passcode ? [passcode] : []), checks);

  // Open at first; the host may fold it away once everyone is in.
  const fold = element('details');
  fold.open = true;
  const summary = element('summary');
  summary.append(title);
  const grid = element('div', { className: 'phone-join-grid' });
  grid.append(figure, body);
  fold.append(summary, grid);
  panel.setAttribute('aria-labelledby', title.id);
  panel.append(fold);
}

export function hidePhonePanel() {
  showPhonePanel(null);
}

// On a page served over https: ask the host which certificate served it and show its
// fingerprint above the join card. Plain http pages have none to show.
export async function showServedCertificate() {
  if (location.protocol !== 'https:') return;
  let sha256;
  try {
    const response = await fetch('/certificate', { cache: 'no-store' });
    if (!response.ok) return;
    ({ sha256 } = await response.json());
  } catch {
    return;
  }
  if (typeof sha256 !== 'string' || !sha256) return;
  drawServedCertificate(sha256);
  onLanguageChange(() => drawServedCertificate(sha256));
}

function drawServedCertificate(sha256) {
  const card = element('section', { className: 'card served-certificate', id: 'served-certificate' });
  const title = element('h2', { text: t('phone.pageTitle'), id: 'served-certificate-title' });
  card.setAttribute('aria-labelledby', title.id);
  const label = element('span', { className: 'fingerprint-label', text: t('phone.fingerprint') });
  card.append(title, label, fingerprintBlock(sha256), element('p', { className: 'field-hint', text: t('phone.pageCompare') }));
  const drawn = document.getElementById(card.id);
  if (drawn) {
    drawn.replaceWith(card);
  } else {
    document.querySelector('#home-screen .home-grid').before(card);
  }
}
