'use strict';

// When a connection that was up stays down, and how often it may be replaced by a fresh one.

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

/** Tries again, every while, until the connection is back or the peer stops. */
export class RecoveryTimer {
  #timer = null;
  #stopped = false;
  #wait;
  #isUp;
  #quietFor;
  #recover;

  /**
   * isUp(): whether the connection is connected; quietFor(): milliseconds since the last
   * description either way; recover(): the next attempt.
   */
  constructor({ polite, isUp, quietFor, recover }) {
    this.#wait = polite ? POLITE_RECOVERY_RETRY_MS : RECOVERY_RETRY_MS;
    this.#isUp = isUp;
    this.#quietFor = quietFor;
    this.#recover = recover;
  }

  arm(delay = this.#wait) {
    if (this.#timer !== null || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#stopped || this.#isUp()) return;
      // A negotiation still going on (perhaps started by the far side) gets its time first.
      const quiet = this.#quietFor();
      if (quiet < this.#wait) {
        this.arm(this.#wait - quiet);
        return;
      }
      this.#recover();
      this.arm();
    }, delay);
  }

  /** The connection is back. */
  cancel() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  stop() {
    this.#stopped = true;
    this.cancel();
  }
}

/** How many times a connection may be replaced: a handful in a minute. */
export class ReplacementBudget {
  #at = [];

  /** Takes one replacement, or returns a reason to refuse it. */
  take(now = performance.now()) {
    this.#at = this.#at.filter((at) => now - at < REPLACEMENT_WINDOW_MS);
    if (this.#at.length >= MAX_REPLACEMENTS) {
      return `${MAX_REPLACEMENTS} replacements within ${REPLACEMENT_WINDOW_MS / 1000} s`;
    }
    this.#at.push(now);
    return null;
  }
}
