'use strict';

import { parseAddress, checkRoom } from './address.js';
import { pickEngine } from './engine/index.js';
import { createTransport } from './transport/index.js';
import { invoke, isTauriAvailable, errorText } from './transport/tauri.js';
import { LocalMedia, resumeAudio, audioIsSuspended } from './call/media.js';
import { CallSession } from './call/session.js';
import {
  cleanName, loadSettings, saveSettings, parseIceServers, rememberHost, saveName,
} from './settings.js';
import * as home from './view/home.js';
import * as callView from './view/call.js';
import { showBanner, clearBanner, bannerMessage, bannerKey } from './view/status.js';
import { applyLanguage, msg, onLanguageChange, t } from './i18n/index.js';
import { describeError } from './i18n/backend.js';
import { createDevices } from './devices.js';
import { normalizePasscode } from './passcode.js';
import { createMic } from './mic.js';

// The call lifecycle: hostRoom, joinRoom, hangup, and what happens in between (mute, devices,
// levels). Views only draw; this module decides.

// How often levels are read for the meters and rings while the window is visible; the view
// draws only changes big enough to see.
const LEVEL_INTERVAL_MS = 100;
const AUDIO_SETTINGS = ['echoCancellation', 'noiseSuppression', 'autoGainControl', 'testTone'];

const app = {
  appMode: isTauriAvailable(),
  screen: 'home',
  busy: false,
  settings: loadSettings(),
  // Settings given for this run only (tone=1, --test-tone), layered over the saved ones.
  overrides: {},
  name: '',
  engine: null,
  media: null,
  session: null,
  hosting: null,
  levelTimer: null,
  cleanups: [],
  joinPressedAt: null,
  lastStats: {},
  // The last call's socket closing; a new join waits for it.
  leaving: Promise.resolve(),
};

const LEAVE_WAIT_MS = 3000;

let onReturnHome = () => {};

// The own card's words come from here; the view redraws the rest.
onLanguageChange(() => renderCall());

const devices = createDevices({ app, effectiveSettings, renderCall });
const mic = createMic({
  getCall: () => (app.session && app.media ? { session: app.session, media: app.media } : null),
  renderCall,
});

export function setReturnHomeListener(fn) {
  onReturnHome = fn;
}

export function effectiveSettings() {
  return { ...app.settings, ...app.overrides };
}

export function setOverrides(overrides) {
  app.overrides = { ...app.overrides, ...overrides };
}

function requireName(name) {
  const clean = cleanName(name);
  if (!clean) {
    home.showNameError(t('home.nameMissing'));
    return null;
  }
  app.name = clean;
  saveName(clean);
  return clean;
}

function setBusy(busy, labelKey) {
  app.busy = busy;
  home.setHomeBusy(busy, labelKey);
}

export async function hostRoom({ name, key = '', room = '', port = null }) {
  if (app.busy || app.screen !== 'home') return false;
  const who = requireName(name);
  if (!who) return false;
  clearBanner();
  setBusy(true, 'home.starting');
  let hosted;
  try {
    const passcode = normalizePasscode(key);
    hosted = await invoke('host_room', { name: who, port, key: passcode || null, room: room || null });
  } catch (err) {
    setBusy(false);
    showBanner(errorText(err), 'error');
    return false;
  }
  app.hosting = {
    port: hosted.port,
    room: hosted.room,
    key: hosted.key || '',
    address: hosted.addresses?.[0] ?? `127.0.0.1:${hosted.port}`,
    addresses: hosted.addresses ?? [],
    phone: hosted.phone ?? null,
  };
  setBusy(false);
  // The host talks through its own relay like everyone else.
  return joinRoom({ address: `127.0.0.1:${hosted.port}`, room: hosted.room, key: hosted.key, name: who });
}

async function stopHosting() {
  if (!app.hosting) return;
  app.hosting = null;
  try {
    await invoke('stop_hosting');
  } catch (err) {
    console.warn('stop_hosting failed', errorText(err));
  }
}

export async function joinRoom({ address, room = '', key = '', name }) {
  if (app.busy || app.screen !== 'home') return false;
  const who = requireName(name);
  if (!who) return false;
  const target = parseAddress(address);
  if (!target.ok) {
    home.showAddressError(target.error);
    return false;
  }
  const roomError = checkRoom(room);
  if (roomError) {
    home.showRoomError(roomError);
    return false;
  }
  clearBanner();
  home.showHomeError('');
  app.joinPressedAt = performance.now();
  setBusy(true, 'home.connecting');
  const settings = effectiveSettings();
  try {
    await app.leaving;
    app.engine = await pickEngine({ forceNative: settings.forceNative });
    // Audio first: ICE then gathers candidates with the real LAN addresses.
    const mediaOptions = { settings, deviceId: settings.inputDeviceId || null, tone: settings.testTone };
    app.media = app.engine.handlesMedia
      ? await app.engine.openLocalMedia(mediaOptions)
      : await LocalMedia.open(mediaOptions);
    mic.prepare(settings, app.media);
    const ice = parseIceServers(settings.iceServers);
    const transport = createTransport({ address: target.address, room, name: who, key: normalizePasscode(key) });
    app.session = new CallSession({
      transport,
      engine: app.engine,
      localMedia: app.media,
      rtcConfig: { iceServers: ice.ok ? ice.servers : [], lowLatency: settings.lowLatency },
    });
    watchSession(app.session);
    await app.session.start();
  } catch (err) {
    await hangup({ message: describeError(err), kind: 'error' });
    return false;
  }
  if (!app.hosting) rememberHost({ address: target.address, room });
  enterCall(target.address);
  return true;
}

function watchSession(session) {
  app.cleanups.push(
    session.on('change', () => renderCall()),
    session.on('status', ({ kind, message }) => showBanner(message, kind)),
    session.on('stats', (stats) => {
      app.lastStats = stats;
      callView.updateQuality(stats);
    }),
    session.on('ended', ({ message }) => hangup({ message, kind: 'error' })),
  );
}

function enterCall(address) {
  app.screen = 'call';
  setBusy(false);
  home.hideHome();
  const hosting = app.hosting;
  callView.showCall({
    room: app.session.room,
    address,
    hosting: Boolean(hosting),
    shareInfo: hosting ? { address: hosting.address, addresses: hosting.addresses, key: hosting.key, phone: hosting.phone } : null,
  });
  callView.setMuted(app.media.muted);
  callView.startDuration(app.session.startedAt ?? Date.now());
  renderCall();
  watchLevels();
  app.cleanups.push(mic.watch());
  devices.watch();
  devices.refresh();
  // The native engine tells what it had to do without (no microphone, a missing plugin).
  if (app.media.notice) showBanner(app.media.notice, 'warn');
  callView.focusCallTitle();
  if (audioIsSuspended()) {
    showBanner(msg('call.autoplay'), 'warn');
  }
}

function renderCall() {
  if (!app.session) return;
  const snap = app.session.snapshot();
  const source = app.media?.isTone ? t('call.toneSource') : app.media?.track?.label || t('call.microphone');
  callView.renderParticipants({
    selfName: app.name,
    selfSource: source,
    ...mic.selfState(snap.muted),
    muted: snap.muted,
    peers: snap.peers,
  });
  devices.applyOutput();
}

// Nobody sees the meters of a hidden window: stop reading levels until it is shown again.
function watchLevels() {
  const sync = () => {
    clearInterval(app.levelTimer);
    app.levelTimer = document.hidden ? null : setInterval(updateLevels, LEVEL_INTERVAL_MS);
    if (!document.hidden) updateLevels();
  };
  sync();
  document.addEventListener('visibilitychange', sync);
  app.cleanups.push(() => document.removeEventListener('visibilitychange', sync));
}

function updateLevels() {
  if (!app.session || !app.media) return;
  const peers = new Map();
  for (const peer of app.session.peers.values()) peers.set(String(peer.id), peer.level());
  callView.updateLevels({ self: app.media.level(), peers, muted: app.media.muted });
}

export function toggleMute() {
  mic.toggle();
}

export function setPeerVolume(id, volume) {
  const peer = [...(app.session?.peers.values() ?? [])].find((p) => String(p.id) === String(id));
  peer?.setVolume(volume);
}

export function chooseInputDevice(deviceId) {
  return devices.chooseInput(deviceId);
}

export function chooseOutputDevice(deviceId) {
  return devices.chooseOutput(deviceId);
}

export function updateSettings(next, previous) {
  const before = effectiveSettings();
  // Saving in the dialog turns a run-only choice (tone=1) into a saved one.
  app.overrides = {};
  app.settings = next;
  saveSettings(next);
  if (before.language !== next.language) applyLanguage(next.language);
  if (app.screen !== 'call') return;
  if (before.talkMode !== next.talkMode || before.talkKey !== next.talkKey) mic.change(next);
  if (AUDIO_SETTINGS.some((key) => before[key] !== next[key])) devices.reopenMedia();
  const nextCall = ['iceServers', 'forceNative', 'lowLatency'];
  if (nextCall.some((key) => previous[key] !== next[key])) {
    showBanner(msg('call.nextCall'), 'info');
  }
}

// Resumes audio the browser held back for want of a user gesture.
export async function wakeAudio() {
  const running = await resumeAudio();
  for (const peer of app.session?.peers.values() ?? []) peer.resumePlayback();
  if (running && bannerKey() === 'call.autoplay') clearBanner();
}

/**
 * Undoes everything a call set up: stops the tracks, closes every connection and the signaling
 * socket, stops hosting, clears timers and listeners, and brings back the home screen. `message`
 * is shown there (e.g. why the call ended).
 */
export async function hangup({ message = '', kind = 'info' } = {}) {
  clearInterval(app.levelTimer);
  app.levelTimer = null;
  for (const cleanup of app.cleanups.splice(0)) cleanup();
  const session = app.session;
  app.session = null;
  if (session) {
    // Never let a backend that does not answer keep the user from the home screen.
    app.leaving = Promise.race([session.close(), new Promise((resolve) => setTimeout(resolve, LEAVE_WAIT_MS))]);
  }
  app.media?.close();
  app.media = null;
  mic.reset();
  app.engine = null;
  app.lastStats = {};
  await stopHosting();
  const wasInCall = app.screen === 'call';
  callView.resetCall();
  app.screen = 'home';
  setBusy(false);
  home.showHome();
  if (wasInCall) home.focusHomeTitle();
  if (message) showBanner(message, kind);
  onReturnHome();
}

function describeTrack(track) {
  if (!track || typeof track.getSettings !== 'function') return null;
  const { deviceId, echoCancellation, noiseSuppression, autoGainControl } = track.getSettings();
  return { label: track.label, deviceId, echoCancellation, noiseSuppression, autoGainControl };
}

export function snapshot() {
  const session = app.session?.snapshot() ?? null;
  return {
    screen: app.screen,
    mode: app.appMode ? 'app' : 'browser',
    busy: app.busy,
    name: app.name,
    engine: app.engine?.name ?? null,
    hosting: app.hosting ? { address: app.hosting.address, room: app.hosting.room, key: app.hosting.key, phone: app.hosting.phone } : null,
    muted: Boolean(app.media?.muted),
    ...mic.snapshot(),
    tone: Boolean(app.media?.isTone),
    microphone: describeTrack(app.media?.track),
    selfLevel: app.media ? app.media.level() : 0,
    // Wall-clock milliseconds of the last Join/Host press, for timing from outside the page.
    joinPressedAt: app.joinPressedAt === null ? null : performance.timeOrigin + app.joinPressedAt,
    banner: bannerMessage(),
    selfId: session?.selfId ?? null,
    room: session?.room ?? null,
    callState: session?.state ?? null,
    // Wall-clock milliseconds of the relay's welcome.
    welcomedAt: session?.startedAt ?? null,
    peers: session?.peers ?? [],
  };
}

export async function collectStats() {
  const peers = [...(app.session?.peers.values() ?? [])];
  return Promise.all(peers.map(async (peer) => {
    let summary = null;
    try {
      summary = await peer.stats({ remember: false });
    } catch {
      // Closing connections have no stats.
    }
    return { id: peer.id, name: peer.name, connectionState: peer.connectionState, ...summary };
  }));
}
