'use strict';

import { generatePasscode } from '../passcode.js';

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

export function initHome({ appMode, servedHost, onHost, onJoin, onJoinServed, onNameChange }) {
  hostApp.hidden = !appMode;
  hostBrowser.hidden = appMode;
  if (!appMode) {
    hostTitle.textContent = 'This host';
    if (servedHost) {
      servedText.textContent = 'This page is served by the host at ';
      const address = document.createElement('span');
      address.className = 'served-address';
      address.textContent = servedHost;
      servedText.append(address, '.');
      joinAddress.value = servedHost;
    } else {
      servedText.textContent = 'Open this page from a host (http://ADDRESS:47800/) to join its call, or join by IP.';
      joinServedButton.hidden = true;
    }
    modeNote.textContent = 'Browser mode';
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
    if (room && room !== 'lobby') joinMore.open = true;
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

export function setHomeBusy(busy, label = '') {
  for (const button of busyButtons) button.disabled = busy;
  hostButton.textContent = busy && label ? label : 'Host';
  joinButton.textContent = busy && label ? label : 'Join';
}

function describeWhen(at) {
  const minutes = Math.round((Date.now() - at) / 60000);
  if (!Number.isFinite(minutes) || minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return days === 1 ? 'yesterday' : `${days} days ago`;
  return new Date(at).toLocaleDateString();
}

export function renderRecent(hosts, { onPick, onForget }) {
  recentList.replaceChildren();
  recent.hidden = hosts.length === 0;
  for (const host of hosts) {
    const item = document.createElement('li');
    item.className = 'recent-item';
    const join = document.createElement('button');
    join.type = 'button';
    join.className = 'recent-join';
    const label = host.room && host.room !== 'lobby' ? `${host.address} · ${host.room}` : host.address;
    join.setAttribute('aria-label', `Join ${label}`);
    const address = document.createElement('span');
    address.className = 'recent-address';
    address.textContent = host.address;
    if (label !== host.address) {
      const roomName = document.createElement('span');
      roomName.className = 'recent-room';
      roomName.textContent = `room ${host.room}`;
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
    forget.setAttribute('aria-label', `Forget ${label}`);
    forget.addEventListener('click', () => onForget(host));
    item.append(join, forget);
    recentList.append(item);
  }
}
