'use strict';

import { generatePasscode } from '../passcode.js';
import { DEFAULT_PORT } from '../address.js';
import { currentLanguage, onLanguageChange, t, tNodes } from '../i18n/index.js';
import { DEFAULT_ROOM } from '../protocol.js';

// The home screen: name, hosting (app) or the host this page came from (browser), join by IP,
// recent hosts.

const homeScreen = document.getElementById('home-screen');
const homeTitle = document.getElementById('home-title');
const nameInput = document.getElementById('name-input');
const nameError = document.getElementById('name-error');
const hostApp = document.getElementById('host-app');
const hostBrowser = document.getElementById('host-browser');
const hostForm = document.getElementById('host-form');
const hostKey = document.getElementById('host-key');
const hostButton = document.getElementById('host-button');
const newWords = document.getElementById('new-words');
const servedText = document.getElementById('served-text');
const joinServedButton = document.getElementById('join-served-button');
const joinForm = document.getElementById('join-form');
const joinAddress = document.getElementById('join-address');
const joinAddressError = document.getElementById('join-address-error');
const joinKey = document.getElementById('join-key');
const joinRoom = document.getElementById('join-room');
const joinRoomError = document.getElementById('join-room-error');
const joinMore = joinRoom.closest('details');
const joinButton = document.getElementById('join-button');
const recent = document.getElementById('recent');
const recentList = document.getElementById('recent-list');
const homeError = document.getElementById('home-error');
const modeNote = document.getElementById('mode-note');
const hostTitle = document.getElementById('host-title');

const busyButtons = [hostButton, joinButton, joinServedButton];
// What is drawn from state rather than from the catalogue alone, kept to draw it again in another
// language: the mode, the busy label's key, the recent hosts.
const shown = { appMode: true, servedHost: '', busyKey: '', recent: null };

onLanguageChange(() => {
  describeMode();
  setHomeBusy(Boolean(shown.busyKey), shown.busyKey);
  if (shown.recent) renderRecent(...shown.recent);
});

function describeMode() {
  if (shown.appMode) return;
  hostTitle.textContent = t('home.thisHost');
  modeNote.textContent = t('top.browserMode');
  if (shown.servedHost) {
    const address = document.createElement('span');
    address.className = 'served-address';
    address.textContent = shown.servedHost;
    servedText.replaceChildren(...tNodes('home.servedBy', {}, { address }));
  } else {
    servedText.textContent = t('home.servedNone', { port: String(DEFAULT_PORT) });
  }
}

export function initHome({ appMode, servedHost, onHost, onJoin, onJoinServed, onNameChange }) {
  hostApp.hidden = !appMode;
  hostBrowser.hidden = appMode;
  Object.assign(shown, { appMode, servedHost });
  if (!appMode) {
    if (servedHost) joinAddress.value = servedHost;
    else joinServedButton.hidden = true;
    describeMode();
  }

  if (appMode) offerPasscode();
  newWords.addEventListener('click', () => {
    offerPasscode();
    hostKey.focus();
  });
  hostForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onHost({ key: hostKey.value.trim() });
  });
  joinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onJoin({ address: joinAddress.value, key: joinKey.value, room: joinRoom.value.trim() });
  });
  joinServedButton.addEventListener('click', () => {
    onJoinServed({ key: joinKey.value, room: joinRoom.value.trim() });
  });
  nameInput.addEventListener('change', () => onNameChange(nameInput.value));
  nameInput.addEventListener('input', () => showNameError(''));
  joinAddress.addEventListener('input', () => showAddressError(''));
  joinRoom.addEventListener('input', () => showRoomError(''));
}

// A strong passcode by default; people may change it, or clear it for an open call.
function offerPasscode() {
  try {
    hostKey.value = generatePasscode();
  } catch (err) {
    hostKey.value = '';
    console.warn(err.message);
  }
}

export function showHome() {
  homeScreen.hidden = false;
}

export function focusHomeTitle() {
  homeTitle.focus();
}

export function hideHome() {
  homeScreen.hidden = true;
}

export function getName() {
  return nameInput.value;
}

export function setName(name) {
  nameInput.value = name;
}

export function fillJoinForm({ address, key, room }) {
  if (address !== undefined) joinAddress.value = address;
  if (key !== undefined) joinKey.value = key;
  if (room !== undefined) {
    joinRoom.value = room;
    // Show a non-default room rather than hide it behind "More options".
    if (room && room !== DEFAULT_ROOM) joinMore.open = true;
  }
}

export function showNameError(message) {
  nameError.textContent = message;
  nameInput.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (message) nameInput.focus();
}

export function showAddressError(message) {
  joinAddressError.textContent = message;
  joinAddress.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (message) joinAddress.focus();
}

export function showRoomError(message) {
  joinRoomError.textContent = message;
  joinRoom.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (message) {
    joinMore.open = true;
    joinRoom.focus();
  }
}

export function showHomeError(message) {
  homeError.textContent = message || '';
}

// `labelKey` names what the pressed buttons say meanwhile ('home.connecting').
export function setHomeBusy(busy, labelKey = '') {
  shown.busyKey = busy ? labelKey : '';
  for (const button of busyButtons) button.disabled = busy;
  hostButton.textContent = busy && labelKey ? t(labelKey) : t('home.host');
  joinButton.textContent = busy && labelKey ? t(labelKey) : t('home.join');
}

function describeWhen(at) {
  const minutes = Math.round((Date.now() - at) / 60000);
  if (!Number.isFinite(minutes) || minutes < 1) return t('home.justNow');
  const ago = new Intl.RelativeTimeFormat(currentLanguage(), { numeric: 'auto', style: 'short' });
  if (minutes < 60) return ago.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 24) return ago.format(-hours, 'hour');
  const days = Math.round(hours / 24);
  if (days < 7) return ago.format(-days, 'day');
  return new Date(at).toLocaleDateString(currentLanguage());
}

export function renderRecent(hosts, handlers) {
  const { onPick, onForget } = handlers;
  shown.recent = [hosts, handlers];
  recentList.replaceChildren();
  recent.hidden = hosts.length === 0;
  for (const host of hosts) {
    const item = document.createElement('li');
    item.className = 'recent-item';
    const join = document.createElement('button');
    join.type = 'button';
    join.className = 'recent-join';
    const label = host.room && host.room !== DEFAULT_ROOM
      ? t('home.recentWithRoom', { address: host.address, room: host.room })
      : host.address;
    join.setAttribute('aria-label', t('home.recentJoin', { host: label }));
    const address = document.createElement('span');
    address.className = 'recent-address';
    address.textContent = host.address;
    if (label !== host.address) {
      const roomName = document.createElement('span');
      roomName.className = 'recent-room';
      roomName.textContent = t('home.recentRoom', { room: host.room });
      address.append(roomName);
    }
    const when = document.createElement('span');
    when.className = 'recent-when';
    when.textContent = describeWhen(host.at);
    join.append(address, when);
    join.addEventListener('click', () => onPick(host));
    const forget = document.createElement('button');
    forget.type = 'button';
    forget.className = 'recent-forget';
    forget.textContent = '×';
    forget.setAttribute('aria-label', t('home.recentForget', { host: label }));
    forget.addEventListener('click', () => onForget(host));
    item.append(join, forget);
    recentList.append(item);
  }
}
