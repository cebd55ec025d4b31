'use strict';

import { Counters } from './counters.js';
import { Playout } from './playout.js';
import { RecoveryTimer, ReplacementBudget } from './recovery.js';
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

export class Peer {
  #send;
  #onChange;
  #engine;
  #rtcConfig;
  #localMedia;
  #queue = Promise.resolve();
  #makingOffer = false;
  #ignoreOffer = false;
  #applyingRemote = false;
  #awaitingOffer;
  #offerTimer = null;
  #graceTimer = null;
  #recovery;
  #lastSignalAt = 0;
  // Our identity in the last description sent, and when the last offer/answer exchange completed:
  // when the native engine rebuilds for a restart, ours changes too, and a new far side in the
  // answer is expected, not a sign to replace.
  #sentIdentity = null;
  #negotiatedLocal = null;
  #replacements = new ReplacementBudget();
  #counters = new Counters();
  #playout;
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

    this.#playout = new Playout(engine);
    this.#recovery = new RecoveryTimer({
      polite,
      isUp: () => this.pc.connectionState === 'connected',
      quietFor: () => performance.now() - this.#lastSignalAt,
      recover: () => this.#recover(),
    });
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
    this.#counters.reset();
    this.#sentIdentity = null;
    this.#negotiatedLocal = null;
    if (this.#playout.inPage) {
      // The media's current track: a replaceTrack since the call started (another microphone, the
      // test tone) is what a new connection must send too.
      const track = this.#localMedia?.track;
      if (track) pc.addTrack(track, ...(this.#localMedia.stream ? [this.#localMedia.stream] : []));
    }
    this.#playout.attach(pc, { isCurrent: () => pc === this.pc, onTrack: () => this.#onChange(this) });
    this.#wireEvents(pc);
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
      this.#recovery.cancel();
    } else if (this.connectedAt !== null) {
      this.#recovery.arm();
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
    const refused = this.#replacements.take();
    if (refused) {
      console.warn(`not replacing the connection to ${this.id} (${reason}): ${refused}`);
      return false;
    }
    this.replacements += 1;
    console.info(`replacing the connection to ${this.id}: ${reason}`);
    const old = this.pc;
    this.#counters.carry();
    clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    clearTimeout(this.#offerTimer);
    this.#makingOffer = false;
    this.#ignoreOffer = false;
    this.#unwire(old);
    this.#openConnection();
    if (this.connectedAt !== null) this.#recovery.arm();
    this.#onChange(this);
    return true;
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
    // Descriptions are applied one at a time (handleSignal), so none of ours is half applied here.
    const readyForOffer = !this.#makingOffer && pc.signalingState === 'stable';
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

  get volume() {
    return this.#playout.volume;
  }

  get sinkId() {
    return this.#playout.sinkId;
  }

  setVolume(volume) {
    this.#playout.setVolume(volume, this.pc);
  }

  setOutputDevice(deviceId) {
    return this.#playout.setOutputDevice(deviceId);
  }

  resumePlayback() {
    this.#playout.resume();
  }

  /** How loud this participant is right now, 0..1 linear. */
  level() {
    return this.#playout.level(this.pc, this.quality?.audioLevel);
  }

  get connectionState() {
    return this.pc.connectionState;
  }

  // One-off reads (the test hook) pass remember: false, so they cannot shorten the periodic poll's
  // measuring interval.
  async stats({ remember = true } = {}) {
    const pc = this.pc;
    const { summary, current } = await this.#counters.read(pc, () => pc === this.pc, { remember });
    if (current && remember) this.quality = summary;
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
    this.#recovery.stop();
    this.#unwire(this.pc);
    this.#playout.stop();
  }
}
