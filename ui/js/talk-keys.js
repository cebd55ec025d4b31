'use strict';

import { invoke, isTauriAvailable, errorText } from './transport/tauri.js';
import { CATALOGUES, t } from './i18n/index.js';

// Feeds the talk key to the hold (talk.js) from two sources: the window's own key events, which
// work everywhere, and in the app a global shortcut, which works while another program has focus.

// The backend's event for the global shortcut: { pressed: bool }.
const SHORTCUT_EVENT = 'talk-key';

function typingInto(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || target.matches('input:not([type="range"]):not([type="checkbox"]):not([type="radio"]), textarea, select'));
}

/**
 * Starts listening for `key` (a KeyboardEvent.code) while a call runs. Returns a function that
 * stops everything and lets go of the key.
 */
export function watchTalkKeys({ key, talk, onShortcutStatus = () => {} }) {
  const onDown = (ev) => {
    if (ev.code !== key || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    // Typing the key into a field is typing, and a dialog has the keyboard to itself.
    if (typingInto(ev.target) || document.querySelector('dialog[open]')) return;
    ev.preventDefault();
    // Auto-repeat sends keydown after keydown; the hold began with the first.
    if (!ev.repeat) talk.press('window');
  };
  const onUp = (ev) => {
    if (ev.code === key) talk.release('window');
  };
  // A key released while another window had focus never sends keyup here.
  const onBlur = () => talk.release('window');
  const onHidden = () => {
    if (document.hidden) talk.release('window');
  };
  document.addEventListener('keydown', onDown);
  document.addEventListener('keyup', onUp);
  window.addEventListener('blur', onBlur);
  document.addEventListener('visibilitychange', onHidden);

  let stopped = false;
  let unlisten = null;
  if (isTauriAvailable()) {
    startShortcut(key, talk, () => stopped, (off) => {
      unlisten = off;
    }).then((status) => {
      if (status && !stopped) onShortcutStatus(localStatus(status));
    }, (err) => onShortcutStatus({ global: false, reason: errorText(err) }));
  }

  return () => {
    stopped = true;
    document.removeEventListener('keydown', onDown);
    document.removeEventListener('keyup', onUp);
    window.removeEventListener('blur', onBlur);
    document.removeEventListener('visibilitychange', onHidden);
    unlisten?.();
    if (isTauriAvailable()) invoke('talk_shortcut', { key: null }).catch(() => {});
    talk.releaseAll();
  };
}

async function startShortcut(key, talk, isStopped, keepUnlisten) {
  const off = await window.__TAURI__.event.listen(SHORTCUT_EVENT, ({ payload }) => {
    if (payload?.pressed) talk.press('global');
    else talk.release('global');
  });
  // The call may have ended while the listener was being set up: take nothing from the system.
  if (isStopped()) {
    off();
    return null;
  }
  keepUnlisten(off);
  return invoke('talk_shortcut', { key });
}

// The backend names why a shortcut cannot work by a code (src-tauri/src/shortcut.rs); the page
// says it in its language, with the backend's English as the fallback.
function localStatus(status) {
  const key = `backend.shortcut.${status?.reasonCode}`;
  if (status?.global || !Object.hasOwn(CATALOGUES.en, key)) return status;
  return { ...status, reason: t(key, { reason: status.detail ?? '' }) };
}

/** Whether a global shortcut can work here, before any call: { global, reason }. */
export async function shortcutSupport() {
  if (!isTauriAvailable()) return { global: false, reason: t('talk.webPage') };
  try {
    return localStatus(await invoke('talk_shortcut_support'));
  } catch (err) {
    return { global: false, reason: errorText(err) };
  }
}
