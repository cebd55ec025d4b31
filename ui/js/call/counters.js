'use strict';

import { summarizeStats, addTotals } from './stats.js';

// The figures of one participant across the connections that replaced each other during a call:
// totals (packets, bytes, losses) go on from where the closed connection left them, and rates are
// measured between two polls of the same connection.
export class Counters {
  #previous = null;
  #latest = null;
  #carried = null;

  /** A fresh connection: no previous poll to measure rates against. */
  reset() {
    this.#previous = null;
    this.#latest = null;
  }

  /** The connection is about to close: its totals carry over to the next one. */
  carry() {
    if (this.#latest) this.#carried = addTotals(this.#carried ?? {}, this.#latest);
  }

  // The periodic poll remembers each summary for the next rate; one-off reads (the test hook) do
  // not, so they cannot shorten the poll's measuring interval. `isCurrent` says, after the await,
  // whether the connection is still the one in use.
  async read(pc, isCurrent, { remember }) {
    const carried = this.#carried;
    const report = await pc.getStats();
    const current = isCurrent();
    const own = summarizeStats(report, current ? this.#previous : null);
    const summary = addTotals({ ...own }, carried ?? {});
    if (current) {
      this.#latest = own;
      if (remember) this.#previous = own;
    }
    return { summary, current };
  }
}
