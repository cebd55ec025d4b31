'use strict';

import { Emitter } from '../emitter.js';
import { Peer } from './peer.js';
import * as i18n from '../i18n/index.js';
import { backendMsg } from '../i18n/backend.js';
import { CLOSE, ERROR, PROTOCOL_VERSION, isRefusal } from '../protocol.js';

// A call: the signaling transport plus a full mesh of peer connections, one per other participant.
// Events: 'change' (participants or their states changed), 'status' ({kind, message}) for banners,
// 'stats' (per-peer quality summaries, once a second), 'ended' ({message}) when the call is over
// for a reason other than leaving.

const WELCOME_TIMEOUT_MS = 8000;
const STATS_INTERVAL_MS = 1000;

// Words for the relay's refusals that end the connection, by error code.
const ERROR_TEXTS = {
  [ERROR.BAD_KEY]: 'session.badKey',
  [ERROR.ROOM_FULL]: 'session.roomFull',
  [ERROR.VERSION_MISMATCH]: 'session.versionMismatch',
  [ERROR.RELAY_FULL]: 'session.relayFull',
  [ERROR.TOO_MANY_ATTEMPTS]: 'session.tooManyAttempts',
};

// What the relay's close codes mean, for when the close arrives without its error message.
const CLOSE_TEXTS = {
  [CLOSE.HOST_ENDED]: 'session.hostEnded',
  [CLOSE.BAD_KEY]: ERROR_TEXTS[ERROR.BAD_KEY],
  [CLOSE.ROOM_FULL]: ERROR_TEXTS[ERROR.ROOM_FULL],
  [CLOSE.VERSION_MISMATCH]: ERROR_TEXTS[ERROR.VERSION_MISMATCH],
  [CLOSE.RELAY_FULL]: ERROR_TEXTS[ERROR.RELAY_FULL],
};

// The relay says how long to wait in its own (English) words, docs/PROTOCOL.md; the number
// and whose wrong passcodes they were are taken from them.
function waitText(message) {
  const found = /(from your address|on this relay)?; try again in (\d+) s/.exec(message);
  if (!found) return i18n.msg('session.waitOther', { reason: message });
  const key = found[1] === 'on this relay' ? 'session.waitRelay' : 'session.waitAddress';
  return i18n.msg(key, { seconds: Number(found[2]) });
}

/** Words for a relay `error` frame: a msg() (String() reads it in the current language). */
export function describeServerError(msg) {
  if (msg?.code === ERROR.TOO_MANY_ATTEMPTS && msg.message) return waitText(msg.message);
  if (ERROR_TEXTS[msg?.code]) return i18n.msg(ERROR_TEXTS[msg.code]);
  return i18n.msg('session.refused', { reason: msg?.message || msg?.code || i18n.msg('session.noReason') });
}

/** Words for the end of the signaling connection: a msg(). */
export function describeClose({ code, reason, error }) {
  // The app backend gives its own error when it ended the connection, and a refusal by the
  // relay's error code instead of the close code.
  const own = backendMsg(error);
  if (own) return own;
  if (typeof code === 'string') return describeServerError({ code, message: reason });
  if (CLOSE_TEXTS[code]) return i18n.msg(CLOSE_TEXTS[code]);
  return reason ? i18n.msg('session.lostWhy', { reason }) : i18n.msg('session.lost');
}

// An Error whose message reads in the current language and follows later switches.
function failure(text) {
  const error = new Error(String(text));
  error.text = text;
  return error;
}

export class CallSession extends Emitter {
  #transport;
  #engine;
  #media;
  #rtcConfig;
  #offs = [];
  #statsTimer = null;
  #welcome = null;
  #fatalError = null;
  #done = false;
  #closing = Promise.resolve();

  constructor({ transport, engine, localMedia, rtcConfig }) {
    super();
    this.#transport = transport;
    this.#engine = engine;
    this.#media = localMedia;
    this.#rtcConfig = rtcConfig;
    this.peers = new Map();
    this.selfId = null;
    this.room = null;
    this.state = 'connecting';
    this.startedAt = null;
    this.reconnects = 0;
  }

  // Resolves once the relay has welcomed us; rejects with a sentence for the user.
  async start() {
    const welcomed = new Promise((resolve, reject) => {
      this.#welcome = { resolve, reject };
    });
    // Awaited only once the socket is open; a failure before that is reported by connect().
    welcomed.catch(() => {});
    this.#offs.push(
      this.#transport.on('message', (msg) => this.#handleMessage(msg)),
      this.#transport.on('close', (info) => this.#handleClose(info)),
      this.#transport.on('open', (info) => this.#handleOpen(info)),
    );
    await this.#transport.connect();
    const timer = setTimeout(() => {
      this.#welcome?.reject(new i18n.LocalizedError('session.noWelcome'));
    }, WELCOME_TIMEOUT_MS);
    try {
      await welcomed;
    } finally {
      clearTimeout(timer);
    }
    this.#statsTimer = setInterval(() => this.#pollStats(), STATS_INTERVAL_MS);
  }

  #send(obj) {
    // In the old two-person shape a peer has no id; an unaddressed message reaches everyone else.
    if (obj.to === null || obj.to === undefined) delete obj.to;
    this.#transport.send(obj);
  }

  #handleOpen({ reconnected }) {
    if (reconnected) {
      this.state = 'rejoining';
      this.emit('status', { kind: 'info', message: i18n.msg('session.reconnected') });
    }
  }

  #handleMessage(msg) {
    if (this.#done || typeof msg.type !== 'string') return;
    switch (msg.type) {
      case 'welcome':
        this.#handleWelcome(msg);
        break;
      case 'peer-joined':
        if (msg.id !== undefined && msg.id !== this.selfId) {
          this.#addPeer(msg.id, msg.name, false);
          // Unmuted is what everyone assumes; only a muted state needs telling.
          if (this.#media?.muted) this.#send({ type: 'mute', muted: true, to: msg.id });
        }
        break;
      case 'peer-left':
        this.#removePeer(msg.id);
        break;
      case 'offer':
      case 'answer':
      case 'candidate':
        this.#routeSignal(msg);
        break;
      case 'error':
        this.#handleError(msg);
        break;
      case 'mute':
        this.#handleMute(msg);
        break;
      default:
        // Newer peers may send kinds of message this version does not know; they are optional.
        break;
    }
  }

  #handleWelcome(msg) {
    if (msg.protocol !== undefined && msg.protocol !== PROTOCOL_VERSION) {
      this.#fail(i18n.msg('session.protocol', { theirs: String(msg.protocol), ours: String(PROTOCOL_VERSION) }));
      return;
    }
    const rejoin = this.selfId !== null;
    // Set before any peer is made: each takes the room into its safety code.
    this.room = msg.room ?? this.room;
    const listed = (Array.isArray(msg.peers) ? msg.peers : [])
      .filter((p) => p && p.id !== undefined && p.id !== msg.id);
    if (rejoin && msg.id === this.selfId) {
      // The relay let this reconnect take over our old connection: the others never saw us
      // leave, so the calls with them go on. Only who came or went meanwhile changes.
      const present = new Set(listed.map((p) => String(p.id)));
      for (const id of [...this.peers.keys()]) {
        if (!present.has(String(id))) this.#removePeer(id);
      }
      // Someone who arrived meanwhile offered to our old connection; that offer may be lost,
      // and its sender (the newcomer, impolite) offers again when the connection stays down.
      for (const p of listed) {
        if (!this.peers.has(p.id)) this.#addPeer(p.id, p.name, false);
      }
    } else {
      // A new id: everyone else sees us as a newcomer and the old connections cannot be
      // matched up again, so rebuild them all.
      for (const peer of this.peers.values()) peer.close();
      this.peers.clear();
      this.selfId = msg.id;
      for (const p of listed) this.#addPeer(p.id, p.name, true);
    }
    this.state = 'in-call';
    if (this.#media?.muted && this.peers.size) this.#send({ type: 'mute', muted: true });
    if (this.startedAt === null) this.startedAt = Date.now();
    if (rejoin) {
      this.reconnects += 1;
      this.emit('status', { kind: 'ok', message: i18n.msg('session.back') });
    }
    this.#welcome?.resolve();
    this.#welcome = null;
    this.emit('change');
  }

  #addPeer(id, name, initiator) {
    this.peers.get(id)?.close();
    const peer = new Peer({
      id,
      name,
      room: this.room,
      initiator,
      // docs/PROTOCOL.md: the newcomer is the impolite side of perfect negotiation. Both ends know
      // who that was from the relay's welcome / peer-joined order, so they always agree.
      polite: !initiator,
      engine: this.#engine,
      rtcConfig: this.#rtcConfig,
      localMedia: this.#media,
      send: (obj) => this.#send(obj),
      onChange: () => this.emit('change'),
    });
    this.peers.set(id, peer);
    this.emit('change');
    return peer;
  }

  #removePeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.close();
    this.peers.delete(id);
    this.emit('change');
  }

  #routeSignal(msg) {
    let peer = this.peers.get(msg.from);
    if (!peer && msg.from === undefined) {
      // The older shape: no ids at all, only ever two people in a room.
      if (this.peers.size === 1) [peer] = this.peers.values();
      else if (this.peers.size === 0 && msg.type === 'offer') peer = this.#addPeer(null, 'Guest', false);
    }
    if (!peer && msg.type === 'offer' && msg.from !== undefined && msg.from !== this.selfId) {
      // An offer can overtake the relay's peer-joined notice; accept it rather than drop it.
      peer = this.#addPeer(msg.from, msg.name, false);
    }
    if (peer) peer.handleSignal(msg);
  }

  // A courtesy message between Tincan peers (the relay forwards any type): shows who is muted.
  #handleMute(msg) {
    const peer = this.peers.get(msg.from);
    if (!peer || typeof msg.muted !== 'boolean') return;
    peer.remoteMuted = msg.muted;
    this.emit('change');
  }

  #handleError(msg) {
    if (isRefusal(msg.code)) {
      // The relay closes the socket right after these; remember why for the close handler.
      this.#fatalError = describeServerError(msg);
      if (this.#welcome) this.#welcome.reject(failure(this.#fatalError));
      else this.#fail(this.#fatalError);
      return;
    }
    console.warn(`relay reported ${msg.code}: ${msg.message}`);
  }

  #handleClose(info) {
    if (this.#done) return;
    if (info.willRetry && this.selfId !== null) {
      this.state = 'reconnecting';
      const seconds = Math.max(1, Math.round((info.delayMs ?? 0) / 1000));
      this.emit('status', {
        kind: 'warn',
        message: i18n.msg('session.retrying', { seconds, attempt: info.attempt ?? 1 }),
      });
      return;
    }
    if (info.willRetry) return;
    const message = this.#fatalError ?? describeClose(info);
    if (this.#welcome) this.#welcome.reject(failure(message));
    else this.#fail(message);
  }

  #fail(message) {
    if (this.#done) return;
    this.#welcome?.reject(failure(message));
    this.#welcome = null;
    this.close();
    this.emit('ended', { message });
  }

  async #pollStats() {
    const results = {};
    await Promise.all([...this.peers.values()].map(async (peer) => {
      try {
        results[peer.id] = await peer.stats();
      } catch {
        // A connection closing mid-poll has nothing to report.
      }
    }));
    if (!this.#done) this.emit('stats', results);
  }

  setMuted(muted) {
    this.#media?.setMuted(muted);
    if (this.peers.size) this.#send({ type: 'mute', muted });
    this.emit('change');
  }

  async replaceTrack(track) {
    await Promise.all([...this.peers.values()].map((peer) => peer.replaceTrack(track)));
  }

  snapshot() {
    return {
      state: this.state,
      selfId: this.selfId,
      room: this.room,
      startedAt: this.startedAt,
      reconnects: this.reconnects,
      muted: Boolean(this.#media?.muted),
      peers: [...this.peers.values()].map((peer) => peer.snapshot()),
    };
  }

  // Leaves the call: closes every connection and the signaling socket. Safe to call twice; the
  // promise settles when the socket is closed.
  close() {
    if (this.#done) return this.#closing;
    this.#done = true;
    this.state = 'ended';
    clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    for (const off of this.#offs) off();
    this.#offs = [];
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.#closing = this.#transport.close() ?? Promise.resolve();
    this.#welcome?.reject(new i18n.LocalizedError('call.leftNote'));
    this.#welcome = null;
    return this.#closing;
  }
}
