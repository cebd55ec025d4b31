'use strict';

import { parseIceServers } from '../settings.js';
import { isTalkKey, keyLabel } from '../talk.js';
import { shortcutSupport } from '../talk-keys.js';

// The settings dialog. It edits a copy of the settings and hands back the new ones on Save.

const openButton = document.getElementById('open-settings');
const dialog = document.getElementById('settings-dialog');
const form = document.getElementById('settings-form');
const echo = document.getElementById('set-echo');
const noise = document.getElementById('set-noise');
const gain = document.getElementById('set-gain');
const tone = document.getElementById('set-tone');
const lowLatency = document.getElementById('set-low-latency');
const nativeField = document.getElementById('native-field');
const native = document.getElementById('set-native');
const ice = document.getElementById('set-ice');
const iceError = document.getElementById('set-ice-error');
const cancelButton = document.getElementById('settings-cancel');
const appInfo = document.getElementById('app-info');
const talkModes = [...document.querySelectorAll('input[name="talk-mode"]')];
const talkKeyName = document.getElementById('set-talk-key-name');
const talkKeyButton = document.getElementById('set-talk-key');
const talkCapture = document.getElementById('set-talk-capture');
const talkGlobal = document.getElementById('set-talk-global');

let current = null;
let onSave = null;
let talkKey = '';
let capturing = false;

export function initSettings({ appMode, getSettings, saveSettings, info }) {
  nativeField.hidden = !appMode;
  onSave = saveSettings;
  if (info) appInfo.textContent = info;
  openButton.addEventListener('click', () => openSettings(getSettings()));
  cancelButton.addEventListener('click', () => dialog.close());
  ice.addEventListener('input', () => showIceError(''));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  dialog.addEventListener('close', () => {
    stopCapture('');
    openButton.focus();
  });
  talkKeyButton.addEventListener('click', () => (capturing ? stopCapture('') : startCapture()));
  // Capture phase: the key goes to the capture, not to the dialog (Escape would close it).
  dialog.addEventListener('keydown', captureKey, true);
  dialog.addEventListener('cancel', (ev) => {
    if (capturing) ev.preventDefault();
  });
}

function startCapture() {
  capturing = true;
  talkKeyButton.setAttribute('aria-pressed', 'true');
  talkKeyButton.textContent = 'Press a key…';
  talkCapture.textContent = 'Press the key to use. Escape cancels.';
}

function stopCapture(message) {
  capturing = false;
  talkKeyButton.removeAttribute('aria-pressed');
  talkKeyButton.textContent = 'Change key';
  talkCapture.textContent = message;
}

function captureKey(ev) {
  if (!capturing) return;
  ev.preventDefault();
  ev.stopPropagation();
  if (ev.repeat) return;
  if (ev.code === 'Escape') {
    stopCapture('Kept the key.');
    return;
  }
  if (!isTalkKey(ev.code)) {
    talkCapture.textContent = `${ev.key} cannot be the talk key; press another one. Escape cancels.`;
    return;
  }
  talkKey = ev.code;
  talkKeyName.textContent = keyLabel(talkKey);
  stopCapture(`The key is now ${keyLabel(talkKey)}.`);
  talkKeyButton.focus();
}

// Says in plain words when the key works only while the window is focused.
async function describeShortcut() {
  const support = await shortcutSupport();
  talkGlobal.textContent = support.global
    ? 'The key also works while another program is in front. During a call no other program receives it.'
    : `Works only while Tincan is focused: ${support.reason}`;
}

export function setAppInfo(text) {
  appInfo.textContent = text;
}

function showIceError(message) {
  iceError.textContent = message;
  ice.setAttribute('aria-invalid', message ? 'true' : 'false');
}

export function openSettings(settings) {
  current = settings;
  echo.checked = settings.echoCancellation;
  noise.checked = settings.noiseSuppression;
  gain.checked = settings.autoGainControl;
  tone.checked = settings.testTone;
  lowLatency.checked = settings.lowLatency;
  native.checked = settings.forceNative;
  ice.value = settings.iceServers;
  for (const radio of talkModes) radio.checked = radio.value === settings.talkMode;
  talkKey = settings.talkKey;
  talkKeyName.textContent = keyLabel(talkKey);
  stopCapture('');
  describeShortcut();
  showIceError('');
  dialog.showModal();
}

function submit() {
  const parsed = parseIceServers(ice.value);
  if (!parsed.ok) {
    showIceError(parsed.error);
    ice.focus();
    return;
  }
  const next = {
    ...current,
    echoCancellation: echo.checked,
    noiseSuppression: noise.checked,
    autoGainControl: gain.checked,
    testTone: tone.checked,
    lowLatency: lowLatency.checked,
    forceNative: native.checked,
    talkMode: talkModes.find((radio) => radio.checked)?.value ?? 'open',
    talkKey,
    // Stored pretty-printed so it reads well when the dialog opens again.
    iceServers: parsed.servers.length ? JSON.stringify(parsed.servers, null, 1).replace(/\n\s*/g, ' ') : '',
  };
  dialog.close();
  onSave(next, current);
}

export function closeSettings() {
  if (dialog.open) dialog.close();
}
