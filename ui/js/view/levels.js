'use strict';

// The levels on the call screen: the own microphone's meter and each participant's speaking ring.

const micMeter = document.getElementById('mic-meter');
const micMeterFill = document.getElementById('mic-meter-fill');

const SPEAKING_LEVEL = 0.04;
// Levels are drawn in steps the eye can tell apart: the mic meter in 40 (a few pixels each at its
// width), the ring's spread in 10 (half a pixel each). A level that stays within a step redraws
// nothing, so a steady voice or tone costs no frames at all.
const METER_STEPS = 40;
const RING_STEPS = 10;
// A reading must move this far past the step shown before it is redrawn, or noise on a step's
// edge would flip it back and forth on every poll.
const HYSTERESIS = 0.75;
// Levels fall back gradually (per poll) rather than at once, like a VU meter: a meter that drops
// to nothing between syllables flickers, and every flicker is a frame.
const RELEASE = 0.55;
// The speaking highlight stays on through short pauses between words.
const SPEAKING_HOLD_MS = 400;

// The mic meter: its smoothed level, the step and mute look it shows, and those it is to show at
// the next frame.
const meter = { level: 0, step: 0, muted: false, wantStep: 0, wantMuted: false };
let levelFrame = 0;
let shownTiles = new Map();

/** The level fields of a new tile: what its ring shows, and what it is to show next. */
export function tileLevels() {
  return { speaking: false, speakingUntil: 0, wantSpeaking: false, level: 0, ringStep: 0, wantRing: 0 };
}

// The step to show for a 0..1 level, given the step shown now.
function levelStep(level, steps, current) {
  if (!(level > 0)) return 0;
  const exact = Math.min(1, level) * steps;
  if (Math.abs(exact - current) < HYSTERESIS) return current;
  return Math.round(exact);
}

// Instant rise, gradual fall.
function ballistic(previous, level) {
  const next = Math.max(level, previous * RELEASE);
  return next < 0.001 ? 0 : next;
}

// Takes 0..1 levels, which drive the speaking rings and the mic meter. Only a change by a visible
// step asks for an animation frame (there are none while the window is hidden), so a quiet or
// steady call draws nothing and wakes no rendering at all.
export function showLevels({ self, peers, muted }, tiles) {
  shownTiles = tiles;
  const now = performance.now();
  meter.level = ballistic(meter.level, self);
  meter.wantStep = levelStep(meter.level, METER_STEPS, meter.wantStep);
  meter.wantMuted = muted;
  let changed = meter.wantStep !== meter.step || meter.wantMuted !== meter.muted;
  for (const [key, tile] of tiles) {
    const heard = key === 'self' ? (muted ? 0 : self) : peers.get(key) ?? 0;
    tile.level = ballistic(tile.level, heard);
    // Ring size follows loudness on a square-root curve so quiet speech still shows.
    tile.wantRing = levelStep(Math.sqrt(tile.level), RING_STEPS, tile.wantRing);
    if (heard > SPEAKING_LEVEL) tile.speakingUntil = now + SPEAKING_HOLD_MS;
    // Muting is shown at once, not after the hold.
    tile.wantSpeaking = heard > SPEAKING_LEVEL || (now < tile.speakingUntil && !(key === 'self' && muted));
    changed ||= tile.wantRing !== tile.ringStep || tile.wantSpeaking !== tile.speaking;
  }
  if (changed && !levelFrame) levelFrame = requestAnimationFrame(drawLevels);
}

function drawLevels() {
  levelFrame = 0;
  const tiles = shownTiles;
  if (meter.wantStep !== meter.step) {
    meter.step = meter.wantStep;
    micMeterFill.style.transform = `scaleX(${meter.step / METER_STEPS})`;
    micMeter.setAttribute('aria-valuenow', String(Math.round((meter.step / METER_STEPS) * 100)));
  }
  if (meter.wantMuted !== meter.muted) {
    meter.muted = meter.wantMuted;
    micMeter.dataset.muted = String(meter.muted);
  }
  for (const tile of tiles.values()) {
    if (tile.wantRing !== tile.ringStep) {
      tile.ringStep = tile.wantRing;
      // On the avatar, the only element that uses it, so no other element's style is recomputed.
      tile.avatar.style.setProperty('--level', String(tile.ringStep / RING_STEPS));
    }
    if (tile.wantSpeaking !== tile.speaking) {
      tile.speaking = tile.wantSpeaking;
      tile.node.dataset.speaking = String(tile.speaking);
    }
  }
}

export function resetLevels() {
  cancelAnimationFrame(levelFrame);
  levelFrame = 0;
  shownTiles = new Map();
  Object.assign(meter, { level: 0, step: 0, muted: false, wantStep: 0, wantMuted: false });
  micMeterFill.style.transform = 'scaleX(0)';
  micMeter.setAttribute('aria-valuenow', '0');
  micMeter.dataset.muted = 'false';
}
