'use strict';

import { DEFAULT_PORT } from './address.js';
import { invoke, isTauriAvailable, errorText } from './transport/tauri.js';
import {
  loadName, loadRecentHosts, forgetHost, saveName, cleanName,
} from './settings.js';
import * as app from './app.js';
import * as home from './view/home.js';
import { initCall } from './view/call.js';
import { initRooms } from './view/rooms.js';
import { initSettings, setAppInfo } from './view/settings.js';
import { showBanner } from './view/status.js';
import { showServedCertificate } from './view/phone.js';
import { pickEngine } from './engine/index.js';
import {
  applyLanguage, currentLanguage, errorMessage, msg, setSystemLocales, t,
} from './i18n/index.js';

// Start-up: decide between app and browser mode, wire the screens to the call lifecycle, and act
// on the launch options (app) or query parameters (browser).

const appMode = isTauriAvailable();
// Loaded from a relay's --ui port, this page's own host is the relay to join.
const servedHost = !appMode && /^https?:$/.test(location.protocol) && location.host ? location.host : '';

function refreshRecent() {
  home.renderRecent(loadRecentHosts(), {
    onPick: (host) => {
      home.fillJoinForm({ address: host.address, room: host.room || '' });
      app.joinRoom({ address: host.address, room: host.room, key: '', name: home.getName() });
    },
    onForget: (host) => {
      forgetHost(host);
      refreshRecent();
    },
  });
}

function installTestHook() {
  // Read-only view of the call for automated tests and diagnosis; actions still go through the UI.
  Object.defineProperty(window, 'tincan', {
    value: Object.freeze({
      state: () => ({ ...app.snapshot(), language: currentLanguage() }),
      stats: () => app.collectStats(),
    }),
    enumerable: false,
  });
}

function wireScreens() {
  home.initHome({
    appMode,
    servedHost,
    onHost: ({ key }) => app.hostRoom({ name: home.getName(), key }),
    onJoin: ({ address, key, room }) => app.joinRoom({ address, key, room, name: home.getName() }),
    onJoinServed: ({ key, room }) => app.joinRoom({ address: servedHost, key, room, name: home.getName() }),
    onNameChange: (name) => {
      const clean = cleanName(name);
      if (clean) saveName(clean);
    },
  });
  initRooms({
    appMode,
    onJoin: ({ address, room, key }) => {
      home.fillJoinForm({ address, room, key });
      return app.joinRoom({ address, room, key, name: home.getName() });
    },
  });
  initCall({
    onToggleMute: () => app.toggleMute(),
    onLeave: () => app.hangup({ message: msg('call.leftNote'), kind: 'info' }),
    onVolume: (id, volume) => app.setPeerVolume(id, volume),
    onInputDevice: (id) => app.chooseInputDevice(id),
    onOutputDevice: (id) => app.chooseOutputDevice(id),
  });
  initSettings({
    appMode,
    getSettings: () => app.effectiveSettings(),
    saveSettings: (next, previous) => app.updateSettings(next, previous),
    applyLanguage: (choice) => applyLanguage(choice),
    openLogFolder: appMode
      ? () => invoke('open_log_folder').catch((err) => { throw errorText(err); })
      : null,
  });
  // Browsers hold back sound until the page gets a gesture; any click or key counts.
  const wake = () => app.wakeAudio();
  document.addEventListener('pointerdown', wake, { passive: true });
  document.addEventListener('keydown', wake);
}

async function startFromLaunchOptions() {
  try {
    const info = await invoke('app_info');
    setAppInfo('settings.appInfo', { version: info.version, platform: info.platform });
    followSystemLocale(info.locale);
  } catch (err) {
    console.warn('app_info failed', errorText(err));
  }
  let options;
  try {
    options = await invoke('launch_options');
  } catch (err) {
    showBanner(msg('start.optionsFailed', { reason: errorText(err) }), 'error');
    return;
  }
  if (!options) return;
  if (options.testTone) app.setOverrides({ testTone: true });
  if (options.forceNative) app.setOverrides({ forceNative: true });
  if (options.lowLatency) app.setOverrides({ lowLatency: true });
  if (options.name) home.setName(cleanName(options.name));
  const name = home.getName() || t('home.guest');
  if (options.join) home.fillJoinForm({ address: options.join, room: options.room || '', key: options.key || '' });
  // A reloaded page starts at home: the call the first page started has ended, and starting
  // it again unasked would open the microphone behind the person's back.
  if (options.firstPage === false) return;
  if (options.host) {
    await app.hostRoom({ name, key: options.key || '', room: options.room || '', port: options.port ?? null });
  } else if (options.join) {
    await app.joinRoom({ address: options.join, room: options.room || '', key: options.key || '', name });
  }
}

// Options in the page's address: `?name=&room=&join=1&tone=1&low-latency=1`, and the passcode
// as `#key=`. The part after `#` never reaches the host's server or its logs; it is removed from
// the address bar at once (as is `?key=` from older links) so the passcode does not stay in the
// browser's history. Other options may stand after `#` as well.
function takePageOptions() {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const get = (name) => fragment.get(name) ?? query.get(name);
  const key = get('key') ?? '';
  if (query.has('key') || fragment.has('key')) {
    query.delete('key');
    fragment.delete('key');
    const search = query.toString();
    const hash = fragment.toString();
    history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}${hash ? `#${hash}` : ''}`);
  }
  return { get, key };
}

async function startFromQuery() {
  const { get, key } = takePageOptions();
  if (get('tone') === '1') app.setOverrides({ testTone: true });
  if (get('low-latency') === '1') app.setOverrides({ lowLatency: true });
  const name = get('name');
  if (name !== null) home.setName(cleanName(name));
  const room = get('room') || '';
  home.fillJoinForm({ room, key });
  if (get('join') === '1') {
    if (!servedHost) {
      showBanner(msg('start.joinNeedsHost', { port: String(DEFAULT_PORT) }), 'error');
      return;
    }
    await app.joinRoom({ address: servedHost, room, key, name: home.getName() || t('home.guest') });
  }
}

// Say at once when calls cannot work here, rather than only after pressing Join.
async function checkEngine() {
  if (typeof window.RTCPeerConnection === 'function') return;
  try {
    await pickEngine();
  } catch (err) {
    showBanner(errorMessage(err), 'error');
  }
}

// The app's backend reads the system locale (LANG and the like) where the web view may not
// follow it; a page in a browser has only the browser's languages.
function followSystemLocale(locale) {
  if (typeof locale !== 'string' || !locale) return;
  setSystemLocales([locale]);
  const { language } = app.effectiveSettings();
  if (language === 'system') applyLanguage(language);
}

function start() {
  installTestHook();
  applyLanguage(app.effectiveSettings().language);
  home.setName(loadName());
  wireScreens();
  refreshRecent();
  app.setReturnHomeListener(refreshRecent);
  window.addEventListener('storage', refreshRecent);
  checkEngine();
  if (appMode) startFromLaunchOptions();
  else {
    startFromQuery();
    showServedCertificate();
  }
}

start();
