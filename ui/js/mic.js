'use strict';

import * as callView from './view/call.js';
import { showBanner } from './view/status.js';
import { msg } from './i18n/index.js';
import { createTalk, selfLabel } from './talk.js';
import { watchTalkKeys } from './talk-keys.js';

// Who decides whether the others hear us during a call: the Mute button, the M key, and the
// push-to-talk hold (talk.js) fed by the talk key (talk-keys.js). Every path ends in the same
// session.setMuted, so the others see the person muted or talking whichever was used.

/** `getCall()` gives the running { session, media } or null; `renderCall()` redraws the own card. */
export function createMic({ getCall, renderCall }) {
  // The hold while a call runs, and the mode and key it was started with.
  let talk = null;
  let talkKey = '';
  let stopTalkKeys = null;
  // What the global shortcut said when the call started: { global, reason }.
  let shortcut = null;

  function setMuted(muted) {
    const call = getCall();
    if (!call || call.media.muted === muted) return false;
    call.session.setMuted(muted);
    callView.setMuted(muted);
    return true;
  }

  function toggle() {
    const call = getCall();
    if (!call) return;
    const muted = !call.media.muted;
    setMuted(muted);
    showBanner(msg(muted ? 'call.mutedNote' : 'call.liveNote'), 'info');
  }

  function onKey(ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    if (ev.key !== 'm' && ev.key !== 'M') return;
    // The talk key wins when someone chose M for it.
    if (talk && talk.mode !== 'open' && ev.code === talkKey) return;
    const target = ev.target;
    // Typing an "m" into a field must not mute.
    if (target instanceof HTMLElement && (target.isContentEditable || target.matches('input:not([type="range"]):not([type="checkbox"]), textarea, select'))) return;
    if (document.querySelector('dialog[open]')) return;
    ev.preventDefault();
    toggle();
  }

  function noteShortcut(status) {
    shortcut = status;
    if (status && !status.global && getCall()) {
      showBanner(msg('talk.focusOnly', { reason: status.reason }), 'warn');
    }
  }

  function listenForTalkKey() {
    stopTalkKeys?.();
    stopTalkKeys = null;
    if (talk.mode === 'open') return;
    stopTalkKeys = watchTalkKeys({ key: talkKey, talk, onShortcutStatus: noteShortcut });
  }

  return {
    /** A call is being set up: in push-to-talk the mic is shut before anyone can hear it. */
    prepare({ talkMode, talkKey: key }, media) {
      talk = createTalk({ mode: talkMode, onChange: setMuted });
      talkKey = key;
      if (talk.initialMuted) media.setMuted(true);
    },

    /** The call is on screen: listen for M and the talk key. Returns what stops listening. */
    watch() {
      listenForTalkKey();
      document.addEventListener('keydown', onKey);
      return () => {
        stopTalkKeys?.();
        stopTalkKeys = null;
        document.removeEventListener('keydown', onKey);
      };
    },

    toggle,

    /** Settings changed the mode or key during a call. */
    change({ talkMode, talkKey: key }) {
      if (!talk) return;
      talk.setMode(talkMode);
      talkKey = key;
      listenForTalkKey();
      if (!setMuted(talk.initialMuted)) renderCall();
    },

    /** The own card's state line and its look. */
    selfState(muted) {
      const mode = talk?.mode ?? 'open';
      const talking = mode !== 'open' && !muted;
      return {
        selfState: selfLabel(mode, talkKey, muted),
        selfDataState: mode === 'open' ? '' : talking ? 'talking' : mode === 'push-to-talk' ? 'waiting' : 'muted',
      };
    },

    snapshot() {
      return {
        talkMode: talk?.mode ?? null,
        talkHeld: Boolean(talk?.held),
        talkHolders: talk?.holders ?? [],
        shortcut,
      };
    },

    reset() {
      talk = null;
      shortcut = null;
    },
  };
}
