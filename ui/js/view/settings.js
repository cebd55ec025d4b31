'use strict';

import { parseIceServers } from '../settings.js';

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

let current = null;
let onSave = null;

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
  dialog.addEventListener('close', () => openButton.focus());
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
    // Stored pretty-printed so it reads well when the dialog opens again.
    iceServers: parsed.servers.length ? JSON.stringify(parsed.servers, null, 1).replace(/\n\s*/g, ' ') : '',
  };
  dialog.close();
  onSave(next, current);
}

export function closeSettings() {
  if (dialog.open) dialog.close();
}
