'use strict';

// A minimal event emitter: transports and calls hand plain data to listeners, and every `on`
// returns its own undo so teardown code can drop listeners without keeping references around.
export class Emitter {
  #listeners = new Map();

  on(event, fn) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    return () => this.#listeners.get(event)?.delete(fn);
  }

  emit(event, data) {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) {
      try {
        fn(data);
      } catch (err) {
        console.error(`listener for "${event}" failed`, err);
      }
    }
  }

  clearListeners() {
    this.#listeners.clear();
  }
}
