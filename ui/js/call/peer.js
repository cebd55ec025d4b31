'use strict';

import { summarizeStats } from './stats.js';

// One remote participant: a peer connection negotiated with the "perfect negotiation" scheme, so
// either side may renegotiate (ICE restart, new tracks) at any time and offer collisions resolve
// themselves: the impolite side ignores a colliding offer, the polite side rolls back and answers.

const OFFER_WAIT_MS = 4000;
const DISCONNECTED_GRACE_MS = 3000;

export class Peer {
  #send;
  #onChange;
  #queue = Promise.resolve();
  #makingOffer = false;
  #ignoreOffer = false;
  #answerPending = false;
  #awaitingOffer;
  #offerTimer = null;
  #graceTimer = null;
  #lastStats = null;
  #closed = false;

  constructor({ id, name, polite, initiator, engine, rtcConfig, localMedia, send, onChange }) {
    this.id = id;
    this.name = name || 'Guest';
    this.polite = polite;
    this.initiator = initiator;
    this.joinedAt = performance.now();
    this.connectedAt = null;
    this.volume = 1;
    this.sinkId = '';
    this.remoteMuted = false;
    this.restarts = 0;
    this.quality = null;
    this.#send = send;
    this.#onChange = onChange;
    // The protocol has the newcomer make the first offer; the others wait for it so the first
    // exchange is collision-free, and only step in if it never comes.
    this.#awaitingOffer = !initiator;

    this.pc = engine.createPeerConnection(rtcConfig);
    this.audio = null;
    if (!engine.handlesMedia) this.#attachMedia(localMedia);
    this.#wireEvents();

    if (this.#awaitingOffer) {
      this.#offerTimer = setTimeout(() => {
        this.#awaitingOffer = false;
        if (!this.pc.remoteDescription) this.#negotiate();
      }, OFFER_WAIT_MS);
    }
  }

  #attachMedia(localMedia) {
    if (localMedia?.track) this.pc.addTrack(localMedia.track, localMedia.stream);
    // Playing through an element (even one outside the document) is what makes the browser decode
    // and mix the remote audio; it also carries the per-participant volume and output device.
    this.audio = new Audio();
    this.audio.autoplay = true;
    this.pc.addEventListener('track', ({ track, streams }) => {
      if (track.kind !== 'audio') return;
      this.audio.srcObject = streams[0] ?? new MediaStream([track]);
      this.audio.volume = this.volume;
      this.audio.play().catch(() => {
        // Autoplay without a user gesture may be refused; main.js retries on the next click.
      });
      this.#onChange(this);
    });
  }

  #wireEvents() {
    const pc = this.pc;
    pc.onnegotiationneeded = () => {
      if (this.#awaitingOffer) return;
      this.#negotiate();
    };
    pc.onicecandidate = ({ candidate }) => {
      // A null candidate only marks the end of gathering; the protocol has no message for it.
      if (!candidate || !candidate.candidate) return;
      const json = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate;
      this.#send({
        type: 'candidate',
        to: this.id,
        candidate: { candidate: json.candidate, sdpMid: json.sdpMid, sdpMLineIndex: json.sdpMLineIndex },
      });
    };
    pc.onconnectionstatechange = () => this.#handleConnectionState();
  }

  #handleConnectionState() {
    if (this.#closed) return;
    const state = this.pc.connectionState;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    if (state === 'connected' && this.connectedAt === null) this.connectedAt = performance.now();
    if (state === 'failed') {
      this.#restartIce();
    } else if (state === 'disconnected') {
      // Brief disconnections often heal by themselves; restart only if this one does not.
      this.#graceTimer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected') this.#restartIce();
      }, DISCONNECTED_GRACE_MS);
    }
    this.#onChange(this);
  }

  #restartIce() {
    if (this.#closed || typeof this.pc.restartIce !== 'function') return;
    this.restarts += 1;
    this.#awaitingOffer = false;
    this.pc.restartIce();
  }

  async #negotiate() {
    if (this.#closed) return;
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      const { type, sdp } = this.pc.localDescription;
      this.#send({ type, sdp, to: this.id });
    } catch (err) {
      console.warn(`could not make an offer to ${this.id}`, err);
    } finally {
      this.#makingOffer = false;
    }
  }

  // Signaling messages are handled strictly in arrival order: a candidate must not overtake the
  // description it belongs to.
  handleSignal(msg) {
    this.#queue = this.#queue.then(() => this.#process(msg)).catch((err) => {
      console.warn(`signaling with ${this.id} failed`, err);
    });
    return this.#queue;
  }

  async #process(msg) {
    if (this.#closed) return;
    if (msg.type === 'offer' || msg.type === 'answer') {
      await this.#handleDescription({ type: msg.type, sdp: msg.sdp });
    } else if (msg.type === 'candidate') {
      await this.#handleCandidate(msg.candidate);
    }
  }

  async #handleDescription(description) {
    if (typeof description.sdp !== 'string') return;
    const pc = this.pc;
    const readyForOffer = !this.#makingOffer && (pc.signalingState === 'stable' || this.#answerPending);
    const collision = description.type === 'offer' && !readyForOffer;
    this.#ignoreOffer = !this.polite && collision;
    if (this.#ignoreOffer) return;
    // An answer with no offer outstanding is stale (e.g. from before a rollback).
    if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return;

    this.#answerPending = description.type === 'answer';
    try {
      await pc.setRemoteDescription(description);
    } finally {
      this.#answerPending = false;
    }
    if (description.type === 'offer') {
      this.#awaitingOffer = false;
      clearTimeout(this.#offerTimer);
      await pc.setLocalDescription();
      const { type, sdp } = pc.localDescription;
      this.#send({ type, sdp, to: this.id });
    }
    this.#onChange(this);
  }

  async #handleCandidate(candidate) {
    if (!candidate || typeof candidate.candidate !== 'string') return;
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates of an offer we chose to ignore are expected to fail.
      if (!this.#ignoreOffer) console.warn(`bad candidate from ${this.id}`, err);
    }
  }

  // Replaces what this peer hears from us (another microphone, or the test tone) without
  // renegotiating.
  async replaceTrack(track) {
    const sender = this.pc.getSenders?.().find((s) => s.track?.kind === 'audio' || s.track === null);
    if (sender) await sender.replaceTrack(track);
  }

  setVolume(volume) {
    this.volume = volume;
    if (this.audio) this.audio.volume = volume;
    // The native engine plays audio itself and takes the volume on its connection object.
    else if (typeof this.pc.setVolume === 'function') this.pc.setVolume(volume);
  }

  async setOutputDevice(deviceId) {
    this.sinkId = deviceId || '';
    if (this.audio && typeof this.audio.setSinkId === 'function') await this.audio.setSinkId(this.sinkId);
  }

  resumePlayback() {
    if (this.audio?.srcObject && this.audio.paused) this.audio.play().catch(() => {});
  }

  // How loud this participant is right now, 0..1 linear, from the last received packets: cheap
  // enough to poll several times a second, unlike getStats.
  level() {
    const receiver = this.pc.getReceivers?.().find((r) => r.track?.kind === 'audio');
    const [source] = receiver?.getSynchronizationSources?.() ?? [];
    // The browser drops a source ten seconds after its last packet; until then a muted peer still
    // sends silence, which reads as level 0.
    if (source) return source.audioLevel ?? 0;
    return this.quality?.audioLevel ?? 0;
  }

  get connectionState() {
    return this.pc.connectionState;
  }

  // The periodic poll remembers each summary for the next rate; one-off reads (the test hook) do
  // not, so they cannot shorten the poll's measuring interval.
  async stats({ remember = true } = {}) {
    const report = await this.pc.getStats();
    const summary = summarizeStats(report, this.#lastStats);
    if (remember) {
      this.#lastStats = summary;
      this.quality = summary;
    }
    return summary;
  }

  snapshot() {
    return {
      id: this.id,
      name: this.name,
      polite: this.polite,
      connectionState: this.pc.connectionState,
      iceConnectionState: this.pc.iceConnectionState ?? null,
      signalingState: this.pc.signalingState,
      restarts: this.restarts,
      volume: this.volume,
      muted: this.remoteMuted,
      // Wall-clock milliseconds, comparable across pages on one machine.
      connectedAt: this.connectedAt === null ? null : performance.timeOrigin + this.connectedAt,
    };
  }

  close() {
    this.#closed = true;
    clearTimeout(this.#offerTimer);
    clearTimeout(this.#graceTimer);
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    try {
      this.pc.close();
    } catch {
      // Already closed.
    }
    if (this.audio) {
      this.audio.pause();
      this.audio.srcObject = null;
    }
  }
}
