'use strict';

// "Rooms on your network": the rooms the app hears announced on the LAN (mDNS), live, each
// joined with one click. Only in the app: a page in a browser cannot listen for them. The list
// runs while the home screen shows and stops when it hides.

import { invoke, errorText } from '../transport/tauri.js';
import { onLanguageChange, t } from '../i18n/index.js';
import { MAX_ROOM_CHARS } from '../protocol.js';

const homeScreen = document.getElementById('home-screen');
const section = document.getElementById('lan-rooms');
const list = document.getElementById('lan-rooms-list');
const searching = document.getElementById('lan-rooms-searching');
const hint = document.getElementById('lan-rooms-hint');
const failure = document.getElementById('lan-rooms-error');

// How long an empty list waits before saying what may hide rooms.
const HINT_AFTER_MS = 8000;

const rooms = new Map(); // id -> room, as the backend sends it
let channel = null;
let hintTimer = null;
let joinListed = null;
let askingFor = '';
let failed = null; // why the list could not start, to say again in another language // the id whose passcode form is open, kept across redraws
// Start and stop reach the backend in the order they were asked: a quick leave-and-return to the
// home screen must not end with the new list stopped by the old stop.
let backend = Promise.resolve();

function inOrder(command, args) {
  const call = backend.then(() => invoke(command, args));
  backend = call.catch(() => {});
  return call;
}

export function initRooms({ appMode, onJoin }) {
  section.hidden = !appMode;
  if (!appMode) return;
  joinListed = onJoin;
  onLanguageChange(() => {
    if (rooms.size) render();
    if (failed) failure.textContent = errorText(failed);
  });
  new MutationObserver(followHome).observe(homeScreen, { attributes: true, attributeFilter: ['hidden'] });
  followHome();
}

function followHome() {
  if (homeScreen.hidden) stopBrowsing();
  else if (!channel) startBrowsing();
}

async function startBrowsing() {
  const api = window.__TAURI__?.core;
  if (!api?.Channel) return;
  const mine = new api.Channel();
  mine.onmessage = (event) => {
    // Events for a list this page no longer wants (stopped, or replaced) are dropped.
    if (mine === channel) applyEvent(event);
  };
  channel = mine;
  rooms.clear();
  render();
  failure.textContent = '';
  failed = null;
  try {
    await inOrder('browse_rooms', { rooms: mine });
  } catch (err) {
    if (mine !== channel) return;
    channel = null;
    failed = err;
    failure.textContent = errorText(err);
  }
}

function stopBrowsing() {
  if (!channel) return;
  channel = null;
  clearTimeout(hintTimer);
  hintTimer = null;
  inOrder('stop_browsing').catch((err) => console.warn('stop_browsing failed', errorText(err)));
}

// Each event is the room itself plus `type`: found, updated or lost.
function applyEvent(event) {
  if (typeof event?.id !== 'string') return;
  const { type, ...room } = event;
  if (type === 'lost') rooms.delete(room.id);
  else rooms.set(room.id, room);
  render();
}

// The backend lists IPv4 first, then routable IPv6, then link-local IPv6.
function addressOf(room) {
  return room.addresses?.[0] ?? '';
}

function sortedRooms() {
  return [...rooms.values()].sort((a, b) => (
    a.host.localeCompare(b.host) || a.room.localeCompare(b.room) || a.id.localeCompare(b.id)
  ));
}

function render() {
  const shown = sortedRooms();
  // A count update must not wipe a passcode being typed.
  const typing = list.querySelector('.lan-room-key input');
  const typed = typing?.value ?? '';
  const focused = typing !== null && document.activeElement === typing;
  list.replaceChildren(...shown.map(renderRoom));
  const again = list.querySelector('.lan-room-key input');
  if (again) {
    again.value = typed;
    if (focused) again.focus();
  }
  list.hidden = shown.length === 0;
  searching.hidden = shown.length > 0;
  if (shown.length > 0) {
    clearTimeout(hintTimer);
    hintTimer = null;
    hint.hidden = true;
  } else if (channel && !hintTimer && hint.hidden) {
    hintTimer = setTimeout(() => {
      hintTimer = null;
      if (rooms.size === 0 && channel) hint.hidden = false;
    }, HINT_AFTER_MS);
  }
}

function peopleText(count) {
  return count === 0 ? t('rooms.nobody') : t('rooms.people', { count });
}

function renderRoom(room) {
  const item = document.createElement('li');
  item.className = 'lan-room';
  item.dataset.id = room.id;
  const join = document.createElement('button');
  join.type = 'button';
  join.className = 'lan-room-join';
  const host = room.host || t('rooms.someone');
  const label = t(room.keyRequired ? 'rooms.joinLabelKey' : 'rooms.joinLabel', {
    host, room: room.room, people: peopleText(room.people),
  });
  join.setAttribute('aria-label', label);
  const names = document.createElement('span');
  names.className = 'lan-room-names';
  const hostName = document.createElement('span');
  hostName.className = 'lan-room-host';
  hostName.textContent = host;
  const roomName = document.createElement('span');
  roomName.className = 'lan-room-room';
  roomName.textContent = room.room;
  names.append(hostName, roomName);
  const people = document.createElement('span');
  people.className = 'lan-room-people';
  people.textContent = peopleText(room.people);
  join.append(names, people);
  if (room.keyRequired) join.append(lockIcon());
  const compatible = room.version === 1;
  join.disabled = !compatible;
  if (!compatible) join.title = t('rooms.otherVersion');
  join.addEventListener('click', () => pick(room));
  item.append(join);
  if (askingFor === room.id) item.append(passcodeForm(room));
  return item;
}

function lockIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'lan-room-lock');
  svg.setAttribute('aria-hidden', 'true');
  const body = document.createElementNS(ns, 'rect');
  for (const [k, v] of Object.entries({ x: 5, y: 11, width: 14, height: 10, rx: 2 })) body.setAttribute(k, v);
  const shackle = document.createElementNS(ns, 'path');
  shackle.setAttribute('d', 'M8 11V8a4 4 0 0 1 8 0v3');
  svg.append(body, shackle);
  return svg;
}

function pick(room) {
  if (room.keyRequired) {
    askingFor = askingFor === room.id ? '' : room.id;
    render();
    list.querySelector(`[data-id="${CSS.escape(room.id)}"] input`)?.focus();
    return;
  }
  joinRoomFromList(room, '');
}

// A host that vanished without a goodbye stays listed until asked; a failed join asks.
async function joinRoomFromList(room, key) {
  const joined = await joinListed?.({ address: addressOf(room), room: room.room, key });
  if (joined === false && channel) {
    invoke('verify_room', { id: room.id }).catch((err) => console.warn('verify_room failed', errorText(err)));
  }
}

function passcodeForm(room) {
  const form = document.createElement('form');
  form.className = 'lan-room-key';
  form.noValidate = true;
  const label = document.createElement('label');
  const inputId = 'lan-room-key-input';
  label.htmlFor = inputId;
  label.textContent = t('home.passcode');
  const input = document.createElement('input');
  input.id = inputId;
  input.type = 'password';
  input.autocomplete = 'off';
  input.maxLength = MAX_ROOM_CHARS;
  input.required = true;
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.className = 'button small primary';
  submit.textContent = t('home.join');
  form.append(label, input, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!input.value) {
      input.focus();
      return;
    }
    askingFor = '';
    joinRoomFromList(room, input.value);
  });
  return form;
}
