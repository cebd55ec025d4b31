'use strict';

import { parseIceServers } from '../settings.js';
import { isTalkKey, keyLabel } from '../talk.js';
import { shortcutSupport } from '../talk-keys.js';
import { onLanguageChange, t } from '../i18n/index.js';

// The settings dialog. It edits a copy of the settings and hands back the new ones on Save. The
// language is shown at once when picked, and put back if the dialog is closed without saving.

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
const languageSelect = document.getElementById('set-language');
const logFolderField = document.getElementById('log-folder-field');
const logFolderButton = document.getElementById('open-log-folder');
const logFolderError = document.getElementById('log-folder-error');

let current = null;
let onSave = null;
let talkKey = '';
let capturing = false;
let saved = false;
let previewLanguage = () => {};
// The note under the key button as [key, params], to say again in another language.
let captureNote = null;
let appInfoText = null;

// `openLogFolder` only in the app: a page in a browser has no backend, and its logs are the
// browser's console.
export function initSettings({ appMode, getSettings, saveSettings, info, applyLanguage, openLogFolder }) {
  nativeField.hidden = !appMode;
  logFolderField.hidden = !(appMode && openLogFolder);
  logFolderButton.addEventListener('click', async () => {
    logFolderError.textContent = '';
    logFolderButton.disabled = true;
    try {
      await openLogFolder();
    } catch (err) {
      logFolderError.textContent = String(err);
    } finally {
      logFolderButton.disabled = false;
    }
  });
  onSave = saveSettings;
  previewLanguage = applyLanguage;
  languageSelect.addEventListener('change', () => previewLanguage(languageSelect.value));
  onLanguageChange(() => {
    talkKeyButton.textContent = t(capturing ? 'settings.pressKey' : 'settings.changeKey');
    talkCapture.textContent = captureNote ? t(...captureNote) : '';
    if (talkKey) talkKeyName.textContent = keyLabel(talkKey);
    if (appInfoText) appInfo.textContent = t(...appInfoText);
    if (dialog.open) describeShortcut();
  });
  if (info) appInfo.textContent = info;
  openButton.addEventListener('click', () => openSettings(getSettings()));
  cancelButton.addEventListener('click', () => {
    // The dialog's close event comes a task later; the saved language is back before the click returns.
    restoreLanguage();
    dialog.close();
  });
  ice.addEventListener('input', () => showIceError(''));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  dialog.addEventListener('close', () => {
    restoreLanguage();
    stopCapture(null);
    openButton.focus();
  });
  talkKeyButton.addEventListener('click', () => (capturing ? stopCapture(null) : startCapture()));
  // Capture phase: the key goes to the capture, not to the dialog (Escape would close it).
  dialog.addEventListener('keydown', captureKey, true);
  dialog.addEventListener('cancel', (ev) => {
    if (capturing) ev.preventDefault();
  });
}

// A language picked but not saved is only a preview.
function restoreLanguage() {
  if (saved || !current || languageSelect.value === current.language) return;
  languageSelect.value = current.language;
  previewLanguage(current.language);
}

function startCapture() {
  capturing = true;
  talkKeyButton.setAttribute('aria-pressed', 'true');
  talkKeyButton.textContent = t('settings.pressKey');
  note(['settings.pressKeyHint', {}]);
}

function note(text) {
  captureNote = text;
  talkCapture.textContent = text ? t(...text) : '';
}

function stopCapture(text) {
  capturing = false;
  talkKeyButton.removeAttribute('aria-pressed');
  talkKeyButton.textContent = t('settings.changeKey');
  note(text);
}

function captureKey(ev) {
  if (!capturing) return;
  ev.preventDefault();
  ev.stopPropagation();
  if (ev.repeat) return;
  if (ev.code === 'Escape') {
    stopCapture(['settings.keptKey', {}]);
    return;
  }
  if (!isTalkKey(ev.code)) {
    note(['settings.refusedKey', { key: ev.key }]);
    return;
  }
  talkKey = ev.code;
  talkKeyName.textContent = keyLabel(talkKey);
  stopCapture(['settings.newKey', { key: keyLabel(talkKey) }]);
  talkKeyButton.focus();
}

// Says in plain words when the key works only while the window is focused.
async function describeShortcut() {
  const support = await shortcutSupport();
  talkGlobal.textContent = support.global
    ? t('settings.globalYes')
    : t('settings.globalNo', { reason: support.reason });
}

/** The version line: a catalogue key and its values. */
export function setAppInfo(key, params) {
  appInfoText = [key, params];
  appInfo.textContent = t(key, params);
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
  languageSelect.value = settings.language;
  saved = false;
  for (const radio of talkModes) radio.checked = radio.value === settings.talkMode;
  talkKey = settings.talkKey;
  talkKeyName.textContent = keyLabel(talkKey);
  stopCapture(null);
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
    language: languageSelect.value,
    // Stored pretty-printed so it reads well when the dialog opens again.
    iceServers: parsed.servers.length ? JSON.stringify(parsed.servers, null, 1).replace(/\n\s*/g, ' ') : '',
  };
  saved = true;
  dialog.close();
  onSave(next, current);
}

export function closeSettings() {
  if (dialog.open) dialog.close();
}
