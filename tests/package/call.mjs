// The far end of a call with the installed app: headless Chromium loads the UI from a static server
// on 127.0.0.1, joins the app's room by IP through the real "Join by IP" form, and checks that the
// app is in the room and that its test tone arrives (inbound packets and audio energy rising).
// Run by tests/package/deb.sh inside scripts/netns-run.sh, with the app already hosting on the X
// display in $DISPLAY. With a screenshot path, the whole display (the app's window, mid-call) is
// saved there once the tone is heard, and the page as the peer sees it next to it (NAME-peer.png).
//
//   node tests/package/call.mjs 10.99.0.1:47900 Deb [screenshot.png]
import { execFileSync } from 'node:child_process';
import { serveUi } from '../e2e/lib/static.mjs';
import { launchBrowser, openParticipant } from '../e2e/lib/browser.mjs';
import {
  joinAddress, waitForScreen, waitForConnectedPeers, measureInbound, state, sleep,
} from '../e2e/lib/call.mjs';

const [address, hostName, shot] = process.argv.slice(2);
if (!address || !hostName) {
  console.error('usage: node tests/package/call.mjs HOST:PORT HOST_NAME [screenshot.png]');
  process.exit(2);
}

const step = (text) => console.log(`call: ${text}`);

async function main() {
  const ui = await serveUi();
  const browser = await launchBrowser();
  let page;
  try {
    page = await openParticipant(browser, `${ui.origin}/?name=Peer`);
    await joinAddress(page, { name: 'Peer', address });
    await waitForScreen(page, 'call', 20000);
    step(`joined ${address} from ${ui.origin}`);

    // The app, hosting, is already in the room: the welcome lists it, so it shows as a peer.
    await page.waitForFunction((name) => window.tincan.state().peers.some((p) => p.name === name),
      hostName, { timeout: 20000, polling: 100 });
    step(`${hostName} is a participant in the room`);

    await waitForConnectedPeers(page, 1, 45000);
    step(`the peer connection to ${hostName} is connected`);

    // Give the jitter buffer a moment, then measure what arrives over two seconds.
    await sleep(1000);
    const heard = await measureInbound(page, hostName, 2000);
    step(`from ${hostName} in 2 s: ${heard.packets} packets, rms ${heard.rms.toFixed(3)}, ` +
      `${heard.totalPackets} packets in all`);
    if (heard.packets < 50) throw new Error(`too few audio packets from ${hostName}: ${heard.packets} in 2 s (50 packets/s expected)`);
    if (!(heard.rms > 0.05)) throw new Error(`the test tone from ${hostName} is not heard: rms ${heard.rms}`);
    step(`the test tone from ${hostName} is heard`);
    if (shot) {
      execFileSync('import', ['-window', 'root', shot]);
      await page.screenshot({ path: shot.replace(/\.png$/, '-peer.png') });
      step(`screenshots saved: ${shot}, ${shot.replace(/\.png$/, '-peer.png')}`);
    }
  } catch (err) {
    if (page) {
      console.error(`call: page state: ${JSON.stringify(await state(page).catch(() => null))}`);
      console.error(`call: page log:\n${page.logs.slice(-30).join('\n')}`);
      if (page.errors.length) console.error(`call: page errors:\n${page.errors.join('\n')}`);
    }
    throw err;
  } finally {
    await browser.close().catch(() => {});
    await ui.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(`call: FAIL: ${err.message}`);
  process.exit(1);
});
