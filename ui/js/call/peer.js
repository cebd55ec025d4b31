'use strict';

import { summarizeStats, addTotals } from './stats.js';
import { connectionIdentity, withConnectionSessionId } from './identity.js';
import { safetyCode } from './safety.js';
import { descriptionProblem, candidateInitProblem, CandidateBudget } from './limits.js';

// One remote participant: a peer connection negotiated with the "perfect negotiation" scheme, so
// either side may renegotiate (ICE restart, new tracks) at any time and offer collisions resolve
// themselves: the impolite side ignores a colliding offer, the polite side rolls back and answers.
//
// The connection itself may be replaced during the call. The native engine can neither restart ICE
// nor roll back in place: it rebuilds its connection, with a new DTLS session, and a browser's
// connection cannot follow (it keeps its DTLS session with the one that is gone). So a description
// from another connection than the one ours negotiated with (see connectionIdentity) makes this
// side open a fresh connection too, and the two fresh ones negotiate like any others. A browser
// keeps its identity for its connection's whole life, so between browsers ICE restarts stay
// restarts.

const OFFER_WAIT_MS = 4000;
const DISCONNECTED_GRACE_MS = 3000;
// A connection that was up and is not back this long after the last description went either way
// is tried again: a restart made while the network was gone gathered no addresses (a native
// connection never gathers again), or a negotiation got stuck. The polite side waits longer, so
// the two ends do not start over at the same moment and it only steps in if the other does not.
const RECOVERY_RETRY_MS = 10000;
const POLITE_RECOVERY_RETRY_MS = 15000;
// A far side that changes its identity again and again within seconds is looping, not recovering:
// past this many replacements in a window, descriptions are applied as they come and the recovery
// retry gets its turn later.
const MAX_REPLACEMENTS = 8;
const REPLACEMENT_WINDOW_MS = 60000;

export class Peer {
  #send;
  #onChange;
  #engine;
  #rtcConfig;
  #localMedia;
  #queue = Promise.resolve();
  #makingOffer = false;
  #ignoreOffer = false;
  #answerPending = false;
  #applyingRemote = false;
  #awaitingOffer;
  #offerTimer = null;
  #graceTimer = null;
  #recoveryTimer = null;
  #lastSignalAt = 0;
  // Our identity in the last description sent, and when the last offer/answer exchange completed:
  // when the native engine rebuilds for a restart, ours changes too, and a new far side in the
  // answer is expected, not a sign to replace.
  #sentIdentity = null;
  #negotiatedLocal = null;
  #replacedAt = [];
  #lastStats = null;
  #latestOwn = null;
  #carried = null;
  #closed = false;
  #candidates = new CandidateBudget();

  constructor({ id, name, room, polite, initiator, engine, rtcConfig, localMedia, send, onChange }) {
    this.id = id;
    this.room = room ?? '';
    this.safetyCode = null;
    this.name = name || 'Guest';
    this.polite = polite;
    this.initiator = initiator;
    this.joinedAt = performance.now();
    this.connectedAt = null;
    this.volume = 1;
    this.sinkId = '';
    this.remoteMuted = false;
    this.restarts = 0;
    this.replacements = 0;
    this.quality = null;
    this.#send = send;
    this.#onChange = onChange;
    this.#engine = engine;
    this.#rtcConfig = rtcConfig;
    this.#localMedia = localMedia;
    // The protocol has the newcomer make the first offer; the others wait for it so the first
    // exchange is collision-free, and only step in if it never comes.
    this.#awaitingOffer = !initiator;

    this.audio = null;
    if (!engine.handlesMedia) {
      // Playing through an element (even one outside the document) is what makes the browser
      // decode and mix the remote audio; it also carries the per-participant volume and output
      // device, and outlives the connections it plays.
      this.audio = new Audio();
      this.audio.autoplay = true;
    }
    this.#openConnection();

    if (this.#awaitingOffer) {
      this.#offerTimer = setTimeout(() => {
        this.#awaitingOffer = false;
        if (!this.pc.remoteDescription) this.#negotiate();
      }, OFFER_WAIT_MS);
    }
  }

  #openConnection() {
    const pc = this.#engine.createPeerConnection(this.#rtcConfig);
    this.pc = pc;
    this.#candidates.reset();
    this.#lastStats = null;
    this.#latestOwn = null;
    this.#sentIdentity = null;
    this.#negotiatedLocal = null;
    if (this.audio) this.#attachMedia(pc);
    // The native engine plays audio itself and takes the volume on its connection object.
    else if (this.volume !== 1 && typeof pc.setVolume === 'function') pc.setVolume(this.volume);
    this.#wireEvents(pc);
  }

  #attachMedia(pc) {
    // The media's current track: a replaceTrack since the call started (another microphone, the
    // test tone) is what a new connection must send too.
    const track = this.#localMedia?.track;
    if (track) pc.addTrack(track, ...(this.#localMedia.stream ? [this.#localMedia.stream] : []));
    pc.addEventListener('track', ({ track: remote, streams }) => {
      if (pc !== this.pc || remote.kind !== 'audio') return;
      this.audio.srcObject = streams[0] ?? new MediaStream([remote]);
      this.audio.volume = this.volume;
      this.audio.play().catch(() => {
        // Autoplay without a user gesture may be refused; main.js retries on the next click.
      });
      this.#onChange(this);
    });
  }

  // Every handler checks it still speaks for the current connection: a replaced one may have
  // events in flight.
  #wireEvents(pc) {
    pc.onnegotiationneeded = () => {
      // While an offer is applied and answered, that exchange is the negotiation; the native
      // engine announces one when it rebuilds for a restarting offer, and a second offer made then
      // would cross the answer.
      if (pc !== this.pc || this.#awaitingOffer || this.#applyingRemote) return;
      this.#negotiate();
    };
    pc.onicecandidate = ({ candidate }) => {
      // A null candidate only marks the end of gathering; the protocol has no message for it.
      if (pc !== this.pc || !candidate || !candidate.candidate) return;
      const json = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate;
      this.#send({
        type: 'candidate',
        to: this.id,
        candidate: { candidate: json.candidate, sdpMid: json.sdpMid, sdpMLineIndex: json.sdpMLineIndex },
      });
    };
    pc.onconnectionstatechange = () => {
      if (pc === this.pc) this.#handleConnectionState();
    };
  }

  #unwire(pc) {
    pc.onnegotiationneeded = null;
    pc.onicecandidate = null;
    pc.onconnectionstatechange = null;
    try {
      pc.close();
    } catch {
      // Already closed.
    }
  }

  #handleConnectionState() {
    if (this.#closed) return;
    const state = this.pc.connectionState;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    if (state === 'connected') {
      if (this.connectedAt === null) this.connectedAt = performance.now();
      this.#updateSafetyCode();
      clearTimeout(this.#recoveryTimer);
      this.#recoveryTimer = null;
    } else if (this.connectedAt !== null) {
      this.#armRecovery();
    }
    if (state === 'failed') {
      // A code is only worth comparing for a connection that works.
      this.safetyCode = null;
      this.#restartIce('the connection failed');
    } else if (state === 'disconnected') {
      // Brief disconnections often heal by themselves; restart only if this one does not.
      this.#graceTimer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected') this.#restartIce('the connection dropped');
      }, DISCONNECTED_GRACE_MS);
    }
    this.#onChange(this);
  }

  // The native engine restarts ICE by rebuilding its connection in place, which may race calls
  // still in flight on it; a fresh connection object is the same thing to the far side and leaves
  // the old one alone. Each of its connections is named by its ICE credentials
  // (withConnectionSessionId).
  get #rebuildsToRestart() {
    return this.#engine.name === 'native';
  }

  #restartIce(why = 'the connection dropped') {
    if (this.#closed) return;
    if (this.#rebuildsToRestart && this.#startOver(`restarting ICE: ${why}`)) return;
    if (typeof this.pc.restartIce !== 'function') return;
    console.info(`restarting ICE with ${this.id}: ${why}`);
    this.restarts += 1;
    this.#awaitingOffer = false;
    this.pc.restartIce();
  }

  // A fresh connection that offers at once. Returns false when the replacement rate says no.
  #startOver(reason) {
    if (!this.#replaceConnection(reason)) return false;
    this.restarts += 1;
    this.#awaitingOffer = false;
    this.#negotiate();
    return true;
  }

  #armRecovery(delay = this.polite ? POLITE_RECOVERY_RETRY_MS : RECOVERY_RETRY_MS) {
    if (this.#recoveryTimer !== null || this.#closed) return;
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = null;
      if (this.#closed || this.pc.connectionState === 'connected') return;
      // A negotiation still going on (perhaps started by the far side) gets its time first.
      const wait = this.polite ? POLITE_RECOVERY_RETRY_MS : RECOVERY_RETRY_MS;
      const quiet = performance.now() - this.#lastSignalAt;
      if (quiet < wait) {
        this.#armRecovery(wait - quiet);
        return;
      }
      this.#recover();
      this.#armRecovery();
    }, delay);
  }

  // A connection that stayed down after restarting: restart again where that can produce an offer,
  // else (an offer of ours went unanswered) start over on a fresh connection.
  #recover() {
    if (this.pc.signalingState === 'stable') {
      this.#restartIce('still down after restarting');
      return;
    }
    this.#startOver('still down, with an offer unanswered');
  }

  // Closes the connection (not the peer) and opens a fresh one from the same engine and settings.
  // Returns false when the replacement rate says this is a loop.
  #replaceConnection(reason) {
    const now = performance.now();
    this.#replacedAt = this.#replacedAt.filter((at) => now - at < REPLACEMENT_WINDOW_MS);
    if (this.#replacedAt.length >= MAX_REPLACEMENTS) {
      console.warn(`not replacing the connection to ${this.id} (${reason}): ${MAX_REPLACEMENTS} replacements within ${REPLACEMENT_WINDOW_MS / 1000} s`);
      return false;
    }
    this.#replacedAt.push(now);
    this.replacements += 1;
    console.info(`replacing the connection to ${this.id}: ${reason}`);
    const old = this.pc;
    this.#carryCounters();
    clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    clearTimeout(this.#offerTimer);
    this.#makingOffer = false;
    this.#ignoreOffer = false;
    this.#unwire(old);
    this.#openConnection();
    if (this.connectedAt !== null) this.#armRecovery();
    this.#onChange(this);
    return true;
  }

  #carryCounters() {
    const last = this.#latestOwn;
    if (!last) return;
    this.#carried = addTotals(this.#carried ?? {}, last);
  }

  async #negotiate() {
    const pc = this.pc;
    if (this.#closed || this.#makingOffer) return;
    try {
      this.#makingOffer = true;
      await pc.setLocalDescription();
      if (pc === this.pc) this.#sendLocalDescription();
    } catch (err) {
      if (pc === this.pc) console.warn(`could not make an offer to ${this.id}`, err);
    } finally {
      if (pc === this.pc) this.#makingOffer = false;
    }
  }

  #sendLocalDescription() {
    const { type, sdp } = this.pc.localDescription;
    const sent = this.#rebuildsToRestart ? withConnectionSessionId(sdp) : sdp;
    this.#sentIdentity = connectionIdentity(sent);
    this.#lastSignalAt = performance.now();
    this.#send({ type, sdp: sent, to: this.id });
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

  // Whether a description comes from another connection than the one ours negotiated with.
  #fromNewConnection(description) {
    const applied = this.pc.remoteDescription;
    if (!applied) return false;
    const incoming = connectionIdentity(description.sdp);
    const current = connectionIdentity(applied.sdp);
    if (!incoming || !current || incoming === current) return false;
    // An answer to an offer from our own rebuilt connection (the native engine's ICE restart)
    // comes from a far side that started over as well: that pair is new on both ends already.
    return !(description.type === 'answer' && this.#negotiatedLocal !== null
      && this.#sentIdentity !== this.#negotiatedLocal);
  }

  async #handleDescription(description) {
    const problem = descriptionProblem(description.sdp);
    if (problem) {
      console.warn(`ignoring a description from ${this.id}: ${problem}`);
      return;
    }
    this.#lastSignalAt = performance.now();
    let pc = this.pc;
    const readyForOffer = !this.#makingOffer && (pc.signalingState === 'stable' || this.#answerPending);
    const collision = description.type === 'offer' && !readyForOffer;
    this.#ignoreOffer = !this.polite && collision;
    if (this.#ignoreOffer) return;
    // An answer with no offer outstanding is stale (e.g. from before a rollback).
    if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return;

    if (this.#fromNewConnection(description)
      && this.#replaceConnection(`its ${description.type} comes from a new connection`)) {
      pc = this.pc;
      if (description.type === 'answer') {
        // The answer belongs to an offer from the connection just closed; the fresh one offers.
        this.#awaitingOffer = false;
        await this.#negotiate();
        this.#onChange(this);
        return;
      }
    }

    this.#answerPending = description.type === 'answer';
    this.#applyingRemote = description.type === 'offer';
    try {
      await pc.setRemoteDescription(description);
      this.#candidates.reset();
      if (description.type === 'offer') {
        this.#awaitingOffer = false;
        clearTimeout(this.#offerTimer);
        await pc.setLocalDescription();
        if (pc === this.pc) this.#sendLocalDescription();
      }
    } finally {
      this.#answerPending = false;
      this.#applyingRemote = false;
    }
    this.#negotiatedLocal = this.#sentIdentity;
    this.#onChange(this);
  }

  async #handleCandidate(candidate) {
    if (!candidate || typeof candidate.candidate !== 'string') return;
    // An empty one only marks the end of candidates.
    if (candidate.candidate !== '') {
      const problem = candidateInitProblem(candidate) ?? (this.#candidates.take() ? null : 'too many candidates');
      if (problem) {
        if (this.#candidates.refused <= 1) console.warn(`ignoring a candidate from ${this.id}: ${problem}`);
        return;
      }
    }
    const pc = this.pc;
    try {
      await pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates of an offer we chose to ignore are expected to fail, and so are those of a
      // connection replaced (ours or theirs) before its description reached the fresh one.
      if (!this.#ignoreOffer && pc === this.pc && pc.remoteDescription) {
        console.warn(`bad candidate from ${this.id}`, err);
      }
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
    const pc = this.pc;
    const carried = this.#carried;
    const report = await pc.getStats();
    const current = pc === this.pc;
    const own = summarizeStats(report, current ? this.#lastStats : null);
    const summary = addTotals({ ...own }, carried ?? {});
    if (current) {
      this.#latestOwn = own;
      if (remember) {
        this.#lastStats = own;
        this.quality = summary;
      }
    }
    return summary;
  }

  // Recomputed on every (re)connection: a replaced connection has certificates of its own.
  async #updateSafetyCode() {
    const pc = this.pc;
    const code = await safetyCode(pc.localDescription?.sdp, pc.remoteDescription?.sdp, this.room)
      .catch(() => null);
    if (this.#closed || pc !== this.pc || code === this.safetyCode) return;
    this.safetyCode = code;
    this.#onChange(this);
  }

  snapshot() {
    return {
      id: this.id,
      name: this.name,
      safetyCode: this.safetyCode,
      polite: this.polite,
      connectionState: this.pc.connectionState,
      iceConnectionState: this.pc.iceConnectionState ?? null,
      signalingState: this.pc.signalingState,
      restarts: this.restarts,
      replacements: this.replacements,
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
    clearTimeout(this.#recoveryTimer);
    this.#unwire(this.pc);
    if (this.audio) {
      this.audio.pause();
      this.audio.srcObject = null;
    }
  }
}
