'use strict';

// What we hear of one participant: its volume, its output device and how loud it is now. In a
// browser the sound plays through an audio element, which outlives the connections it plays; the
// native engine plays the sound itself and takes the volume on its connection object.
export class Playout {
  #audio = null;
  volume = 1;
  sinkId = '';

  constructor({ handlesMedia }) {
    if (!handlesMedia) {
      // Playing through an element (even one outside the document) is what makes the browser
      // decode and mix the remote audio.
      this.#audio = new Audio();
      this.#audio.autoplay = true;
    }
  }

  /** Whether the page plays this participant (and so must hand tracks over). */
  get inPage() {
    return this.#audio !== null;
  }

  /** A fresh connection: the page plays what it receives; the engine takes the volume. */
  attach(pc, { isCurrent, onTrack }) {
    if (!this.#audio) {
      if (this.volume !== 1 && typeof pc.setVolume === 'function') pc.setVolume(this.volume);
      return;
    }
    pc.addEventListener('track', ({ track, streams }) => {
      if (!isCurrent() || track.kind !== 'audio') return;
      this.#audio.srcObject = streams[0] ?? new MediaStream([track]);
      this.#audio.volume = this.volume;
      this.#audio.play().catch(() => {
        // Autoplay without a user gesture may be refused; main.js retries on the next click.
      });
      onTrack();
    });
  }

  setVolume(volume, pc) {
    this.volume = volume;
    if (this.#audio) this.#audio.volume = volume;
    else if (typeof pc.setVolume === 'function') pc.setVolume(volume);
  }

  async setOutputDevice(deviceId) {
    this.sinkId = deviceId || '';
    if (this.#audio && typeof this.#audio.setSinkId === 'function') await this.#audio.setSinkId(this.sinkId);
  }

  resume() {
    if (this.#audio?.srcObject && this.#audio.paused) this.#audio.play().catch(() => {});
  }

  // 0..1 linear, from the last received packets: cheap enough to poll several times a second,
  // unlike getStats. `fallback` is the last stats summary's level.
  level(pc, fallback) {
    const receiver = pc.getReceivers?.().find((r) => r.track?.kind === 'audio');
    const [source] = receiver?.getSynchronizationSources?.() ?? [];
    // The browser drops a source ten seconds after its last packet; until then a muted peer still
    // sends silence, which reads as level 0.
    if (source) return source.audioLevel ?? 0;
    return fallback ?? 0;
  }

  stop() {
    if (!this.#audio) return;
    this.#audio.pause();
    this.#audio.srcObject = null;
  }
}
