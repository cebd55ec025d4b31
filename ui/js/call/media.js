'use strict';

import { LocalizedError, t } from '../i18n/index.js';

// The local audio: a microphone (getUserMedia with the user's processing choices) or, for
// "test my audio", a steady 440 Hz tone. Opened before any peer connection so ICE gathers host
// candidates with real addresses instead of mDNS names.

const TONE_HZ = 440;
const TONE_GAIN = 0.25;

let sharedContext = null;

// One AudioContext for the page: browsers cap how many may exist, and it has to be resumed after a
// user gesture when the call was started without one (e.g. from a link with join=1).
export function audioContext() {
  if (!sharedContext || sharedContext.state === 'closed') sharedContext = new AudioContext();
  return sharedContext;
}

export async function resumeAudio() {
  if (sharedContext && sharedContext.state === 'suspended') {
    try {
      await sharedContext.resume();
    } catch (err) {
      console.warn('could not resume audio', err);
    }
  }
  return !sharedContext || sharedContext.state === 'running';
}

export function audioIsSuspended() {
  return Boolean(sharedContext && sharedContext.state === 'suspended');
}

// Turns an RMS amplitude into 0..1 on a decibel scale (-60 dBFS and below read as silence), which
// tracks how loud speech sounds better than the raw amplitude does.
export function levelFromAmplitude(amplitude) {
  if (!(amplitude > 0)) return 0;
  const db = 20 * Math.log10(amplitude);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

// Which sentence says why the microphone could not be opened.
function mediaErrorText(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return ['media.denied', {}];
    case 'NotFoundError':
    case 'OverconstrainedError':
      return ['media.notFound', {}];
    case 'NotReadableError':
    case 'AbortError':
      return ['media.busy', {}];
    default:
      return ['media.other', { reason: err?.message || String(err) }];
  }
}

export function describeMediaError(err) {
  return t(...mediaErrorText(err));
}

function micConstraints(settings, deviceId) {
  const audio = {
    echoCancellation: settings.echoCancellation,
    noiseSuppression: settings.noiseSuppression,
    autoGainControl: settings.autoGainControl,
  };
  if (deviceId) audio.deviceId = { exact: deviceId };
  return { audio, video: false };
}

async function captureMic(settings, deviceId) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new LocalizedError('media.insecure');
  }
  try {
    return await navigator.mediaDevices.getUserMedia(micConstraints(settings, deviceId));
  } catch (err) {
    // A remembered device may have been unplugged; fall back to the default one.
    if (deviceId && (err.name === 'OverconstrainedError' || err.name === 'NotFoundError')) {
      return captureMic(settings, null);
    }
    throw new LocalizedError(...mediaErrorText(err));
  }
}

function createTone() {
  const ctx = audioContext();
  const osc = new OscillatorNode(ctx, { type: 'sine', frequency: TONE_HZ });
  const gain = new GainNode(ctx, { gain: TONE_GAIN });
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  return {
    stream: dest.stream,
    stop() {
      osc.stop();
      osc.disconnect();
      gain.disconnect();
    },
  };
}

export class LocalMedia {
  #meter = null;
  #source = null;
  #samples = null;
  #tone = null;

  constructor() {
    this.stream = null;
    this.track = null;
    this.muted = false;
    this.isTone = false;
  }

  static async open({ settings, deviceId = null, tone = false }) {
    const media = new LocalMedia();
    await media.#acquire({ settings, deviceId, tone });
    return media;
  }

  async #acquire({ settings, deviceId, tone }) {
    let stream;
    let toneSource = null;
    if (tone) {
      toneSource = createTone();
      stream = toneSource.stream;
    } else {
      stream = await captureMic(settings, deviceId);
    }
    this.#release();
    this.#tone = toneSource;
    this.stream = stream;
    this.track = stream.getAudioTracks()[0];
    this.isTone = tone;
    this.track.enabled = !this.muted;
    this.#attachMeter();
  }

  #attachMeter() {
    try {
      const ctx = audioContext();
      this.#source = ctx.createMediaStreamSource(this.stream);
      this.#meter = new AnalyserNode(ctx, { fftSize: 1024 });
      this.#samples = new Float32Array(this.#meter.fftSize);
      this.#source.connect(this.#meter);
    } catch (err) {
      console.warn('no level meter for the microphone', err);
    }
  }

  // The level of what the microphone picks up, shown even while muted so people notice when they
  // talk into a muted mic.
  level() {
    if (!this.#meter) return 0;
    this.#meter.getFloatTimeDomainData(this.#samples);
    let sum = 0;
    for (const s of this.#samples) sum += s * s;
    return levelFromAmplitude(Math.sqrt(sum / this.#samples.length));
  }

  setMuted(muted) {
    this.muted = muted;
    // A disabled track keeps the connection and sends silence, so unmuting is instant.
    if (this.track) this.track.enabled = !muted;
  }

  get deviceId() {
    return this.isTone ? null : this.track?.getSettings?.().deviceId ?? null;
  }

  // Swaps the source (another microphone, new processing settings, or the tone) in place; the
  // caller hands the new track to every connection with replaceTrack, so no renegotiation is needed.
  async reopen({ settings, deviceId = null, tone = false }) {
    await this.#acquire({ settings, deviceId, tone });
    return this.track;
  }

  #release() {
    this.#source?.disconnect();
    this.#meter?.disconnect();
    this.#source = null;
    this.#meter = null;
    this.#tone?.stop();
    this.#tone = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
  }

  close() {
    this.#release();
    this.stream = null;
    this.track = null;
  }
}
