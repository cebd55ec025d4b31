'use strict';

// The app backend's errors arrive as { code, message, params } (src-tauri/src/error.rs): the
// code picks the sentence here, the English message stays the fallback for a code this page
// does not know (a newer backend, or a plain string from elsewhere).

import { CATALOGUES, errorMessage, msg } from './index.js';

function known(key) {
  return Object.hasOwn(CATALOGUES.en, key);
}

// Ports read as typed, never "47,800": only counts are formatted as numbers. An error inside an
// error (the last failure before giving up) is worded too.
function plain(params) {
  const out = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    if (typeof value === 'number' && name !== 'count') out[name] = String(value);
    else if (typeof value?.code === 'string') out[name] = backendMsg(value) ?? String(value.message ?? '');
    else out[name] = value;
  }
  return out;
}

/** A msg() for a backend error or close reason, or null when it carries no known code. */
export function backendMsg(err) {
  const code = err?.code;
  if (typeof code !== 'string' || !known(`backend.${code}`)) return null;
  const params = plain(err.params);
  // A nested cause ({ cause: 'refused' }) says the reason in its own words.
  const cause = err.params?.cause;
  if (cause && typeof cause.cause === 'string' && known(`backend.${code}.${cause.cause}`)) {
    params.reason = msg(`backend.${code}.${cause.cause}`, plain(cause));
  }
  return msg(`backend.${code}`, params);
}

/** What to show for anything thrown or rejected: a backend error, a LocalizedError, an Error. */
export function describeError(err) {
  return backendMsg(err) ?? errorMessage(err);
}
