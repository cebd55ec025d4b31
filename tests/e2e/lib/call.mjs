// Actions a participant takes through the real UI, and reads through the page's test hook.

export async function joinServed(page, { name, key = '', room = '' } = {}) {
  await page.fill('#name-input', name);
  if (key) await page.fill('#join-key', key);
  if (room) {
    await page.click('.more summary');
    await page.fill('#join-room', room);
  }
  await page.click('#join-served-button');
}

export async function joinAddress(page, { name, address }) {
  await page.fill('#name-input', name);
  await page.fill('#join-address', address);
  await page.click('#join-button');
}

export function state(page) {
  return page.evaluate(() => window.tincan.state());
}

export function stats(page) {
  return page.evaluate(() => window.tincan.stats());
}

export async function waitForScreen(page, screen, timeout = 15000) {
  await page.waitForFunction((s) => window.tincan.state().screen === s, screen, { timeout });
}

// Waits until this page sees exactly `count` peers, all with a connected peer connection.
export async function waitForConnectedPeers(page, count, timeout = 30000) {
  await page.waitForFunction((n) => {
    const { peers } = window.tincan.state();
    return peers.length === n && peers.every((p) => p.connectionState === 'connected');
  }, count, { timeout, polling: 100 });
}

export async function bannerText(page) {
  return (await page.textContent('#banner-text')) ?? '';
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Inbound audio from the peer with this name, measured over a window: packets, and the energy and
// duration deltas that give the mean level heard (sqrt(energy / duration) is the RMS amplitude).
export async function measureInbound(page, peerName, windowMs = 2000) {
  const pick = async () => (await stats(page)).find((s) => s.name === peerName);
  const before = await pick();
  await sleep(windowMs);
  const after = await pick();
  if (!before || !after) throw new Error(`no stats for ${peerName}`);
  const energy = after.totalAudioEnergy - before.totalAudioEnergy;
  const duration = after.totalSamplesDuration - before.totalSamplesDuration;
  return {
    packets: after.packetsReceived - before.packetsReceived,
    energy,
    duration,
    rms: duration > 0 ? Math.sqrt(Math.max(0, energy) / duration) : 0,
    totalPackets: after.packetsReceived,
    totalEnergy: after.totalAudioEnergy,
  };
}

// Waits for the status banner to show text matching `pattern` (case-insensitive).
export async function waitForBanner(page, pattern, timeout = 10000) {
  await page.waitForFunction((source) => {
    const el = document.getElementById('banner');
    return !el.hidden && new RegExp(source, 'i').test(document.getElementById('banner-text').textContent);
  }, pattern.source, { timeout });
}
