'use strict';

import { rateQuality } from '../call/stats.js';
import { peerLabels } from './roster.js';
import { applyStatic, onLanguageChange, t } from '../i18n/index.js';
import { showPhonePanel, hidePhonePanel } from './phone.js';
import { DEFAULT_ROOM } from '../protocol.js';
import { resetLevels, showLevels, tileLevels } from './levels.js';

// The call screen: participant tiles (state, speaking ring, volume, quality), your mic meter, mute,
// device pickers, duration, the share box when hosting, and leave.

const callScreen = document.getElementById('call-screen');
const callTitle = document.getElementById('call-title');
const callRoom = document.getElementById('call-room');
const callDuration = document.getElementById('call-duration');
const callCount = document.getElementById('call-count');
const share = document.getElementById('share');
const shareAddress = document.getElementById('share-address');
const shareKey = document.getElementById('share-key');
const shareKeyValue = document.getElementById('share-key-value');
const shareMore = document.getElementById('share-more');
const copyButton = document.getElementById('copy-address');
const copyStatus = document.getElementById('copy-status');
const participantList = document.getElementById('participants');
const alone = document.getElementById('alone');
const announcer = document.getElementById('announcer');
const template = document.getElementById('participant-template');
const muteButton = document.getElementById('mute-button');
const muteLabel = document.getElementById('mute-label');
const inputDevice = document.getElementById('input-device');
const outputField = document.getElementById('output-device-field');
const outputDevice = document.getElementById('output-device');
const leaveButton = document.getElementById('leave-button');
const controls = document.querySelector('.controls');
const devicesToggle = document.getElementById('devices-toggle');

const STATE_TEXTS = {
  new: 'call.state.connecting',
  connecting: 'call.state.connecting',
  connected: 'call.state.connected',
  disconnected: 'call.state.reconnecting',
  failed: 'call.state.failed',
  closed: 'call.state.left',
};

const tiles = new Map();
let durationTimer = null;
let durationStart = null;
let shownSeconds = -1;
let handlers = null;
let copyTimer = null;
// The last of what each draw was given, to draw it again in another language.
const last = { call: null, participants: null, stats: null, devices: null, muted: false, copied: '' };

onLanguageChange(() => {
  if (last.call) showCall(last.call);
  if (last.participants) renderParticipants(last.participants, { quiet: true });
  if (last.stats) updateQuality(last.stats);
  if (last.devices) renderDevices(last.devices);
  setMuted(last.muted);
  if (copyStatus.textContent && last.copied) copyStatus.textContent = t(last.copied);
});

export function initCall(callbacks) {
  handlers = callbacks;
  muteButton.addEventListener('click', () => handlers.onToggleMute());
  leaveButton.addEventListener('click', () => handlers.onLeave());
  inputDevice.addEventListener('change', () => handlers.onInputDevice(inputDevice.value));
  outputDevice.addEventListener('change', () => handlers.onOutputDevice(outputDevice.value));
  copyButton.addEventListener('click', () => copyShareAddress());
  // On narrow screens the device pickers fold away so the call controls stay one compact bar.
  devicesToggle.addEventListener('click', () => {
    const open = devicesToggle.getAttribute('aria-expanded') !== 'true';
    devicesToggle.setAttribute('aria-expanded', String(open));
    controls.classList.toggle('show-devices', open);
  });
  // A hidden window draws nothing; the clock catches up the moment it is shown again.
  document.addEventListener('visibilitychange', () => {
    if (durationStart === null) return;
    if (document.hidden) {
      clearTimeout(durationTimer);
      durationTimer = null;
    } else if (durationTimer === null) {
      tickDuration();
    }
  });
}

// Writes only what differs: an unchanged value written again still costs a style recalc.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

async function copyShareAddress() {
  const text = shareAddress.textContent;
  clearTimeout(copyTimer);
  try {
    await navigator.clipboard.writeText(text);
    last.copied = 'call.copied';
    copyStatus.textContent = t(last.copied);
  } catch {
    // Clipboard access can be refused; selecting the text lets people copy it themselves.
    const range = document.createRange();
    range.selectNodeContents(shareAddress);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
    last.copied = 'call.copyManual';
    copyStatus.textContent = t(last.copied);
  }
  copyTimer = setTimeout(() => { copyStatus.textContent = ''; }, 3000);
}

export function showCall(call) {
  const { room, address, hosting, shareInfo } = call;
  last.call = call;
  callScreen.hidden = false;
  callTitle.textContent = t(hosting ? 'call.hostingTitle' : 'call.title');
  const roomLabel = room && room !== DEFAULT_ROOM ? t('call.room', { room }) : t('call.mainRoom');
  callRoom.textContent = hosting ? roomLabel : t('call.roomOn', { room: roomLabel, address });
  leaveButton.textContent = t(hosting ? 'call.end' : 'call.leave');
  leaveButton.setAttribute('aria-label', t(hosting ? 'call.endLabel' : 'call.leaveLabel'));
  share.hidden = !shareInfo;
  if (shareInfo) {
    shareAddress.textContent = shareInfo.address;
    shareKey.hidden = !shareInfo.key;
    shareKeyValue.textContent = shareInfo.key || '';
    // The first address is the best guess; a machine on several networks has others that work
    // for people on those networks.
    const others = (shareInfo.addresses ?? []).filter((a) => a !== shareInfo.address);
    shareMore.hidden = others.length === 0;
    shareMore.textContent = others.length ? t('call.alsoAt', { addresses: others.join(', ') }) : '';
  }
  showPhonePanel(shareInfo?.phone ?? null);
}

export function hideCall() {
  callScreen.hidden = true;
}

function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

// The clock wakes just after each whole second of the call, so it neither drifts nor skips a
// second, and draws only when the shown second changes.
function tickDuration() {
  const ms = Math.max(0, Date.now() - durationStart);
  const seconds = Math.floor(ms / 1000);
  if (seconds !== shownSeconds) {
    shownSeconds = seconds;
    callDuration.textContent = formatDuration(ms);
    callDuration.setAttribute('datetime', `PT${seconds}S`);
  }
  durationTimer = document.hidden ? null : setTimeout(tickDuration, 1000 - (ms % 1000) + 15);
}

export function startDuration(startedAt) {
  stopDuration();
  durationStart = startedAt;
  tickDuration();
}

export function stopDuration() {
  clearTimeout(durationTimer);
  durationTimer = null;
  durationStart = null;
  shownSeconds = -1;
  callDuration.textContent = '0:00';
  callDuration.removeAttribute('datetime');
}

function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

function createTile(id, self) {
  const node = template.content.firstElementChild.cloneNode(true);
  applyStatic(node);
  const tile = {
    node,
    avatar: node.querySelector('.avatar'),
    initials: node.querySelector('.initials'),
    name: node.querySelector('.p-name'),
    state: node.querySelector('.p-state'),
    quality: node.querySelector('.p-quality'),
    dot: node.querySelector('.q-dot'),
    qualityText: node.querySelector('.q-text'),
    safety: node.querySelector('.p-safety'),
    safetyCode: node.querySelector('.p-safety-code'),
    volume: node.querySelector('.p-volume'),
    volumeLabel: node.querySelector('.p-volume-label'),
    slider: node.querySelector('input[type="range"]'),
    ...tileLevels(),
  };
  node.dataset.id = String(id);
  if (self) {
    node.classList.add('self');
    tile.volume.remove();
  } else {
    tile.slider.addEventListener('input', () => handlers.onVolume(id, Number(tile.slider.value) / 100));
  }
  return tile;
}

// Keeps one tile per participant, updating in place so sliders keep focus while states change.
export function renderParticipants(given, { quiet = false } = {}) {
  const { selfName, selfSource, selfState = '', selfDataState = '', muted, peers } = given;
  last.participants = given;
  const wanted = new Set(['self', ...peers.map((p) => String(p.id))]);
  const news = [];
  for (const [key, tile] of tiles) {
    if (!wanted.has(key)) {
      news.push(t('call.peerLeft', { name: tile.name.textContent }));
      tile.node.remove();
      tiles.delete(key);
    }
  }
  const guest = t('call.guest');
  const labels = peerLabels(selfName || guest, t('call.you', { name: selfName || guest }), peers, guest);
  // Screen-reader users cannot see tiles come and go; tell them (not on the first render).
  const firstRender = tiles.size === 0;
  for (const p of peers) {
    if (!firstRender && !tiles.has(String(p.id))) news.push(t('call.peerJoined', { name: labels.get(String(p.id)) }));
  }
  if (news.length && !quiet) announcer.textContent = news.join(' ');
  const rows = [{ id: 'self', name: selfName, self: true, source: selfSource, stateText: selfState, dataState: selfDataState }, ...peers];
  let previous = null;
  for (const row of rows) {
    const key = String(row.id);
    let tile = tiles.get(key);
    if (!tile) {
      tile = createTile(row.id, row.self);
      tiles.set(key, tile);
    }
    const place = previous ? previous.nextSibling : participantList.firstChild;
    if (tile.node !== place) participantList.insertBefore(tile.node, place);
    previous = tile.node;
    updateTile(tile, row, muted, labels.get(key));
  }
  if (alone.hidden !== peers.length > 0) alone.hidden = peers.length > 0;
  const people = peers.length + 1;
  setText(callCount, people === 1 ? t('call.justYou') : t('call.people', { count: people }));
}

function updateTile(tile, row, muted, label) {
  const name = row.name || t('call.guest');
  setText(tile.initials, initials(name));
  if (row.self) {
    setText(tile.name, t('call.you', { name }));
    setText(tile.state, row.stateText || t(muted ? 'call.mutedState' : 'call.micOn'));
    setAttr(tile.state, 'data-state', row.dataState || (muted ? 'muted' : 'connected'));
    setAttr(tile.node, 'data-muted', String(muted));
    setText(tile.qualityText, row.source);
    if (!tile.dot.hidden) tile.dot.hidden = true;
    return;
  }
  const shown = label ?? name;
  setText(tile.name, shown);
  const connected = row.connectionState === 'connected';
  // A muted peer is still connected; muted is the more useful thing to show.
  const stateKey = connected && row.muted ? 'call.mutedState' : STATE_TEXTS[row.connectionState];
  setText(tile.state, stateKey ? t(stateKey) : row.connectionState);
  setAttr(tile.state, 'data-state', connected && row.muted ? 'muted' : row.connectionState);
  setAttr(tile.node, 'data-muted', String(Boolean(row.muted)));
  setText(tile.safetyCode, row.safetyCode ?? '');
  if (tile.safety.hidden !== !row.safetyCode) tile.safety.hidden = !row.safetyCode;
  setText(tile.volumeLabel, t('call.volumeFor', { name: shown }));
  const percent = String(Math.round(row.volume * 100));
  setAttr(tile.slider, 'aria-valuetext', t('call.percent', { value: percent }));
  if (document.activeElement !== tile.slider && tile.slider.value !== percent) tile.slider.value = percent;
}

// Called a few times a second with 0..1 levels of the own microphone and of each participant.
export function updateLevels(levels) {
  showLevels(levels, tiles);
}

function formatQuality(summary) {
  if (!summary) return t('call.quality.measuring');
  const parts = [];
  parts.push(summary.rttMs != null ? t('call.quality.rtt', { ms: Math.round(summary.rttMs) }) : t('call.quality.rttNone'));
  const loss = summary.lossPct != null ? Number(summary.lossPct.toFixed(summary.lossPct < 10 ? 1 : 0)) : null;
  parts.push(loss !== null ? t('call.quality.loss', { pct: loss }) : t('call.quality.lossNone'));
  parts.push(summary.inKbps != null ? t('call.quality.rate', { kbps: Math.round(summary.inKbps) }) : t('call.quality.rateNone'));
  return parts.join(' · ');
}

export function updateQuality(statsById) {
  last.stats = statsById;
  for (const [key, tile] of tiles) {
    if (key === 'self') continue;
    const summary = statsById[key];
    setText(tile.qualityText, formatQuality(summary));
    const quality = rateQuality(summary);
    setAttr(tile.dot, 'data-quality', quality);
    setAttr(tile.quality, 'title', t('call.quality.title', { quality: t(`call.quality.${quality}`) }));
  }
}

export function setMuted(muted) {
  muteButton.setAttribute('aria-pressed', String(muted));
  last.muted = muted;
  setText(muteLabel, t(muted ? 'call.unmute' : 'call.mute'));
}

function fillSelect(select, devices, selectedId, fallbackLabel) {
  select.replaceChildren();
  devices.forEach((device, index) => {
    const option = document.createElement('option');
    option.value = device.deviceId;
    option.textContent = device.label || t('call.deviceN', { device: fallbackLabel, n: index + 1 });
    select.append(option);
  });
  if (devices.some((d) => d.deviceId === selectedId)) select.value = selectedId;
}

export function renderDevices(given) {
  const { inputs, outputs, inputId, outputId, canPickOutput, tone } = given;
  last.devices = given;
  if (tone) {
    fillSelect(inputDevice, [{ deviceId: '', label: t('call.testToneDevice') }], '', t('call.testTone'));
    inputDevice.disabled = true;
  } else {
    fillSelect(inputDevice, inputs, inputId, t('call.microphone'));
    inputDevice.disabled = inputs.length === 0;
  }
  outputField.hidden = !canPickOutput || outputs.length === 0;
  if (canPickOutput) fillSelect(outputDevice, outputs, outputId, t('call.speaker'));
}

// Moving focus to the heading tells screen readers the screen changed, without putting a
// dangerous button (Leave) under the next Enter press.
export function focusCallTitle() {
  callTitle.focus();
}

export function resetCall() {
  stopDuration();
  for (const tile of tiles.values()) tile.node.remove();
  tiles.clear();
  announcer.textContent = '';
  devicesToggle.setAttribute('aria-expanded', 'false');
  controls.classList.remove('show-devices');
  setMuted(false);
  resetLevels();
  share.hidden = true;
  hidePhonePanel();
  copyStatus.textContent = '';
  Object.assign(last, { call: null, participants: null, stats: null, devices: null, copied: '' });
  clearTimeout(copyTimer);
  hideCall();
}
