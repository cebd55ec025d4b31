'use strict';

// How people are labelled in the call's roster. Display names are chosen freely, so two
// people (or someone imitating "Ann (you)") may show the same text; those get a short piece
// of their peer id after the name, which the relay assigns and nobody can choose.

import { CATALOGUES } from '../i18n/index.js';

const SUFFIX_CHARS = 4;
// What marks the own tile in every language ("(you)", "(나)"): a peer may not end its name so.
const SELF_MARKS = Object.values(CATALOGUES).map((words) => sameKey(words['call.you'].replace('{name}', '')));

// Folds the differences a reader cannot see: compatibility forms, case, spacing.
function sameKey(text) {
  return String(text).normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Labels for the other participants: Map of peer id to the text to show. `selfLabel` is what
 * the user's own tile says (e.g. "Ann (you)"), so a peer calling itself that is marked too.
 * `guest` is what a peer without a name is called.
 */
export function peerLabels(selfName, selfLabel, peers, guest = 'Guest') {
  const counts = new Map();
  const count = (key) => counts.set(key, (counts.get(key) ?? 0) + 1);
  count(sameKey(selfName));
  count(sameKey(selfLabel));
  for (const peer of peers) count(sameKey(peer.name || guest));
  const labels = new Map();
  for (const peer of peers) {
    const name = peer.name || guest;
    // "(you)" belongs to the user's own tile only.
    const clash = counts.get(sameKey(name)) > 1 || SELF_MARKS.some((mark) => sameKey(name).endsWith(mark));
    labels.set(String(peer.id), clash ? `${name} · ${String(peer.id).slice(-SUFFIX_CHARS)}` : name);
  }
  return labels;
}
