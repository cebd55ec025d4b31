'use strict';

import * as callView from './view/call.js';
import { showBanner } from './view/status.js';
import { saveSettings } from './settings.js';
import { errorText } from './transport/tauri.js';
import { msg } from './i18n/index.js';
import { describeError } from './i18n/backend.js';

// Microphone and speaker choice during a call, from the browser or from the native engine when it
// does the audio. Works on the call state object of app.js.

export function createDevices({ app, effectiveSettings, renderCall }) {
  function watchDevices() {
    const onDevices = () => refreshDevices();
    if (app.engine.onDeviceChange) {
      app.cleanups.push(app.engine.onDeviceChange(onDevices));
    } else if (navigator.mediaDevices?.addEventListener) {
      navigator.mediaDevices.addEventListener('devicechange', onDevices);
      app.cleanups.push(() => navigator.mediaDevices.removeEventListener('devicechange', onDevices));
    }
    if (app.engine.onWarning) app.cleanups.push(app.engine.onWarning((message) => showBanner(message, 'warn')));
  }

  // Devices come from the browser, or from the native engine when it does the audio.
  async function listDevices() {
    if (app.engine?.listDevices) return app.engine.listDevices();
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    return navigator.mediaDevices.enumerateDevices();
  }

  function canPickOutput() {
    if (app.engine?.handlesMedia) return typeof app.media?.setOutput === 'function';
    return typeof HTMLMediaElement.prototype.setSinkId === 'function';
  }

  async function refreshDevices() {
    if (!app.media) return;
    try {
      const devices = await listDevices();
      if (!app.media) return;
      callView.renderDevices({
        inputs: devices.filter((d) => d.kind === 'audioinput'),
        outputs: devices.filter((d) => d.kind === 'audiooutput'),
        inputId: app.media.deviceId,
        outputId: app.settings.outputDeviceId,
        canPickOutput: canPickOutput(),
        tone: app.media.isTone,
      });
    } catch (err) {
      console.warn('could not list devices', err);
    }
  }

  async function chooseInput(deviceId) {
    app.settings = { ...app.settings, inputDeviceId: deviceId };
    saveSettings(app.settings);
    await reopenMedia();
  }

  async function reopenMedia() {
    if (!app.media || !app.session) return;
    const settings = effectiveSettings();
    try {
      const track = await app.media.reopen({
        settings,
        deviceId: settings.inputDeviceId || null,
        tone: settings.testTone,
      });
      // A native engine swaps its own source; browser connections get the new track.
      if (!app.engine?.handlesMedia) await app.session.replaceTrack(track);
      renderCall();
      if (app.media.notice) showBanner(app.media.notice, 'warn');
    } catch (err) {
      showBanner(describeError(err), 'error');
    }
    refreshDevices();
  }

  async function chooseOutput(deviceId) {
    app.settings = { ...app.settings, outputDeviceId: deviceId };
    saveSettings(app.settings);
    if (app.engine?.handlesMedia && app.media?.setOutput) {
      try {
        await app.media.setOutput(deviceId);
      } catch (err) {
        showBanner(msg('call.speakerFailed', { reason: errorText(err) }), 'error');
      }
      return;
    }
    applyOutputDevice();
  }

  function applyOutputDevice() {
    if (app.engine?.handlesMedia) return;
    const sinkId = app.settings.outputDeviceId || '';
    for (const peer of app.session?.peers.values() ?? []) {
      if (peer.sinkId === sinkId) continue;
      peer.setOutputDevice(sinkId).catch((err) => {
        showBanner(msg('call.speakerFailed', { reason: err.message }), 'error');
      });
    }
  }

  return {
    watch: watchDevices,
    refresh: refreshDevices,
    reopenMedia,
    chooseInput,
    chooseOutput,
    applyOutput: applyOutputDevice,
  };
}
