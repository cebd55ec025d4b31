'use strict';

import { msg, t } from '../i18n/index.js';

// The app backend's native audio engine (GStreamer webrtcbin), for web views without WebRTC,
// such as Debian's and Ubuntu's WebKitGTK. Each connection is an object with the parts of
// RTCPeerConnection the call logic uses, so perfect negotiation runs unchanged on top of it; the
// backend captures the microphone once for every peer and plays what it hears itself. Its commands
// are the app's `engine` plugin, granted on Linux only.

export const name = 'native';
export const handlesMedia = true;

// Levels at or below this many dBFS read as silence, as in the browser engine's meters.
const FLOOR_DB = -60;

const connections = new Map();
const levels = new Map();
const deviceListeners = new Set();
const warningListeners = new Set();
let nextId = 0;

function tauri() {
  return window.__TAURI__;
}

function invoke(command, args) {
  return tauri().core.invoke(command, args);
}

export function isAvailable() {
  return typeof tauri()?.core?.invoke === 'function' && typeof tauri()?.core?.Channel === 'function';
}

function levelFromDb(db) {
  if (!(db > FLOOR_DB)) return 0;
  return Math.min(1, (db - FLOOR_DB) / -FLOOR_DB);
}

// A channel handed to the engine at each start: every peer's events, the levels and the device
// changes come through it, in the order the engine sent them. A fresh one each time, because a
// channel counts its messages and the backend's side of it starts counting anew.
function eventChannel() {
  const events = new (tauri().core.Channel)();
  events.onmessage = route;
  return events;
}

function route(event) {
  switch (event?.type) {
    case 'level':
      levels.set(event.peerId ?? '', levelFromDb(event.level?.rmsDb));
      break;
    case 'devicechange':
      for (const fn of deviceListeners) fn(event.devices ?? []);
      break;
    case 'warning':
      for (const fn of warningListeners) fn(describeWarning(event.message));
      break;
    default:
      connections.get(event?.peerId)?.handleEvent(event);
  }
}

function iceServersFrom(settings) {
  try {
    const servers = JSON.parse(settings?.iceServers || '[]');
    return Array.isArray(servers) ? servers : [];
  } catch {
    return [];
  }
}

function engineOptions({ settings = {}, deviceId = null, tone = false }) {
  return {
    input: tone ? 'test-tone' : deviceId || 'default',
    output: settings.outputDeviceId || 'default',
    dsp: {
      echoCancellation: settings.echoCancellation !== false,
      noiseSuppression: settings.noiseSuppression !== false,
      autoGainControl: settings.autoGainControl !== false,
    },
    iceServers: iceServersFrom(settings),
    latency: settings.lowLatency ? 'low' : 'standard',
  };
}

// The engine words its warnings in English (GStreamer's own); the one every Linux user without
// the DSP plugin meets is said in the page's language.
function describeWarning(message) {
  if (/^webrtcdsp is not installed/.test(String(message))) return msg('engine.noDsp');
  return msg('engine.warning', { message: String(message ?? '') });
}

// What a person without a microphone, or without a plugin, needs to know before the call starts.
function describeStatus(status, tone) {
  const notes = [];
  if (status.noAudioDevice && !tone) {
    notes.push(t('engine.noDevice'));
  } else if (status.input === 'silence' && !tone) {
    notes.push(t('engine.noMic'));
  }
  for (const missing of status.missing ?? []) {
    notes.push(t('engine.missingPlugin', { element: missing.element, package: missing.package }));
  }
  return notes.join(' ');
}

class NativeMedia {
  constructor(status, options) {
    this.track = null;
    this.stream = null;
    this.muted = false;
    this.status = status;
    this.isTone = Boolean(options.tone);
    this.deviceId = options.tone ? null : options.deviceId || null;
    this.notice = describeStatus(status, options.tone);
  }

  level() {
    return levels.get('') ?? 0;
  }

  setMuted(muted) {
    this.muted = muted;
    invoke('plugin:engine|set_muted', { muted }).catch((err) => console.warn('could not mute', err));
  }

  async reopen(options) {
    this.status = await invoke('plugin:engine|start', { options: engineOptions(options), events: eventChannel() });
    this.isTone = Boolean(options.tone);
    this.deviceId = options.tone ? null : options.deviceId || null;
    this.notice = describeStatus(this.status, options.tone);
    return null;
  }

  async setOutput(deviceId) {
    this.status = await invoke('plugin:engine|set_output', { output: deviceId || 'default' });
  }

  close() {
    levels.clear();
    invoke('plugin:engine|stop').catch((err) => console.warn('could not stop the audio engine', err));
  }
}

export async function openLocalMedia(options) {
  const status = await invoke('plugin:engine|start', {
    options: engineOptions(options),
    events: eventChannel(),
  });
  const media = new NativeMedia(status, options);
  media.setMuted(false);
  return media;
}

export async function listDevices() {
  const devices = await invoke('plugin:engine|devices');
  return devices.map((d) => ({ deviceId: d.deviceId, label: d.label, kind: d.kind, isDefault: d.isDefault }));
}

export function onDeviceChange(fn) {
  deviceListeners.add(fn);
  return () => deviceListeners.delete(fn);
}

export function onWarning(fn) {
  warningListeners.add(fn);
  return () => warningListeners.delete(fn);
}

// The next signaling state after a description is applied, known as soon as the call returns;
// the backend's own state events may arrive a moment later, too late for perfect negotiation.
function nextSignalingState(side, type) {
  if (type === 'rollback' || type === 'answer') return 'stable';
  if (type === 'pranswer') return side === 'local' ? 'have-local-pranswer' : 'have-remote-pranswer';
  return side === 'local' ? 'have-local-offer' : 'have-remote-offer';
}

class NativePeerConnection extends EventTarget {
  #ready;
  // Candidates gathered while setLocalDescription is in flight wait until the caller has sent the
  // description: a candidate that overtakes its offer is dropped by the other side.
  #applyingLocal = 0;
  #heldCandidates = [];

  constructor() {
    super();
    this.peerId = `native-${++nextId}`;
    this.signalingState = 'stable';
    this.connectionState = 'new';
    this.iceConnectionState = 'new';
    this.localDescription = null;
    this.remoteDescription = null;
    this.onicecandidate = null;
    this.onconnectionstatechange = null;
    this.onnegotiationneeded = null;
    this.onsignalingstatechange = null;
    connections.set(this.peerId, this);
    this.#ready = invoke('plugin:engine|add_peer', { peerId: this.peerId });
    this.#ready.catch((err) => {
      console.warn('the audio engine could not create a connection', err);
      this.#setConnectionState('failed');
    });
  }

  async #call(command, args = {}) {
    await this.#ready;
    return invoke(command, { peerId: this.peerId, ...args });
  }

  #fire(type, init = {}) {
    const event = Object.assign(new Event(type), init);
    this[`on${type}`]?.(event);
    this.dispatchEvent(event);
  }

  #setConnectionState(state) {
    if (this.connectionState === state || this.connectionState === 'closed') return;
    this.connectionState = state;
    this.iceConnectionState = state;
    this.#fire('connectionstatechange');
  }

  #setSignalingState(state) {
    if (this.signalingState === state) return;
    this.signalingState = state;
    this.#fire('signalingstatechange');
  }

  handleEvent(event) {
    if (this.connectionState === 'closed') return;
    switch (event.type) {
      case 'icecandidate':
        if (this.#applyingLocal > 0) this.#heldCandidates.push(event.candidate ?? null);
        else this.#fire('icecandidate', { candidate: event.candidate ?? null });
        break;
      case 'connectionstatechange':
        this.#setConnectionState(event.state);
        break;
      case 'negotiationneeded':
        this.#fire('negotiationneeded');
        break;
      default:
        break;
    }
  }

  createOffer() {
    return this.#call('plugin:engine|create_offer');
  }

  createAnswer() {
    return this.#call('plugin:engine|create_answer');
  }

  async setLocalDescription(description) {
    const init = description ? { type: description.type, sdp: description.sdp ?? '' } : null;
    this.#applyingLocal += 1;
    try {
      const applied = await this.#call('plugin:engine|set_local_description', { description: init });
      this.localDescription = applied.type === 'rollback' ? null : applied;
      this.#setSignalingState(nextSignalingState('local', applied.type));
    } finally {
      this.#applyingLocal -= 1;
      // A macrotask runs after the caller's continuation, which sends the description.
      setTimeout(() => this.#releaseCandidates(), 0);
    }
  }

  #releaseCandidates() {
    if (this.#applyingLocal > 0 || this.connectionState === 'closed') return;
    const held = this.#heldCandidates.splice(0);
    for (const candidate of held) this.#fire('icecandidate', { candidate });
  }

  async setRemoteDescription(description) {
    const init = { type: description.type, sdp: description.sdp ?? '' };
    await this.#call('plugin:engine|set_remote_description', { description: init });
    this.remoteDescription = init.type === 'rollback' ? null : init;
    this.#setSignalingState(nextSignalingState('remote', init.type));
  }

  async addIceCandidate(candidate) {
    const init = candidate?.candidate
      ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null }
      : null;
    await this.#call('plugin:engine|add_ice_candidate', { candidate: init });
  }

  restartIce() {
    this.#call('plugin:engine|restart_ice').catch((err) => console.warn('ICE restart failed', err));
  }

  // Shaped like an RTCStatsReport, with the entries the quality view reads.
  async getStats() {
    const s = await this.#call('plugin:engine|stats');
    const entries = [
      {
        id: 'inbound-audio', type: 'inbound-rtp', kind: 'audio',
        packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived, packetsLost: s.packetsLost,
        jitter: s.jitter, audioLevel: s.audioLevel, totalAudioEnergy: s.totalAudioEnergy,
        totalSamplesDuration: s.totalSamplesDuration,
      },
      { id: 'outbound-audio', type: 'outbound-rtp', kind: 'audio', packetsSent: s.packetsSent, bytesSent: s.bytesSent },
      {
        id: 'remote-inbound-audio', type: 'remote-inbound-rtp', kind: 'audio',
        roundTripTime: s.roundTripTime, fractionLost: s.fractionLost,
      },
    ];
    return new Map(entries.map((entry) => [entry.id, { timestamp: performance.now(), ...entry }]));
  }

  // Lets the speaking indicator read the live level the way it does from a browser receiver.
  getReceivers() {
    const peerId = this.peerId;
    return [{
      track: { kind: 'audio' },
      getSynchronizationSources: () => [{ audioLevel: levels.get(peerId) ?? 0 }],
    }];
  }

  setVolume(volume) {
    // The slider goes to 1; the engine takes up to 2 for quiet microphones.
    const clamped = Math.max(0, Math.min(2, Number(volume) || 0));
    this.#call('plugin:engine|set_peer_volume', { volume: clamped }).catch((err) => console.warn('could not set the volume', err));
  }

  close() {
    if (this.connectionState === 'closed') return;
    this.connectionState = 'closed';
    this.iceConnectionState = 'closed';
    this.signalingState = 'closed';
    connections.delete(this.peerId);
    levels.delete(this.peerId);
    this.#call('plugin:engine|close_peer').catch(() => {
      // The engine may already be stopped.
    });
  }
}

export function createPeerConnection() {
  return new NativePeerConnection();
}
