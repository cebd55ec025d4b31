//! The native audio engine, driven by the web UI on Linux, where WebKitGTK has no WebRTC.
//!
//! Each command is one RTCPeerConnection method (or one piece of local media) on one engine
//! peer, so the negotiation logic stays in JavaScript, once, for both engines. Engine events
//! (candidates, state changes, levels, device changes) reach the window as `engine` events with
//! the browser's event names.

use crate::commands::MAIN_WINDOW;
use crate::error::{Error, Result};
use crate::state::AppState;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, Runtime, State};
use tincan_engine::{
    AudioDevice, AudioLevel, DspSettings, Engine, EngineConfig, EngineStatus, IceCandidateInit,
    IceServer, InputSelection, LatencyMode, OutputSelection, Peer, PeerStats, SessionDescription,
};

/// The event every engine event is emitted under.
pub const ENGINE_EVENT: &str = "engine";

/// The running engine, if the UI started one.
#[derive(Default)]
pub struct EngineHost {
    engine: Mutex<Option<Arc<Engine>>>,
}

impl EngineHost {
    fn current(&self) -> Result<Arc<Engine>> {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(Error::EngineNotStarted)
    }

    fn peer(&self, id: &str) -> Result<Peer> {
        self.current()?
            .peer(id)
            .ok_or_else(|| Error::Engine(format!("no call with peer {id:?}")))
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Engine>>> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands over the running engine, leaving none.
    pub fn take(&self) -> Option<Arc<Engine>> {
        self.slot().take()
    }

    /// Installs a new engine, returning the one it replaces, if `still_wanted` says (under the
    /// lock) that the page that asked for it is still there; otherwise hands it back.
    fn install(
        &self,
        engine: Arc<Engine>,
        still_wanted: impl FnOnce() -> bool,
    ) -> Result<Option<Arc<Engine>>, Arc<Engine>> {
        let mut slot = self.slot();
        if !still_wanted() {
            return Err(engine);
        }
        Ok(slot.replace(engine))
    }

    /// Stops the engine, if one runs; used when the app exits.
    pub fn shut_down(&self) {
        if let Some(engine) = self.take() {
            engine.shutdown();
        }
    }
}

impl From<tincan_engine::EngineError> for Error {
    fn from(error: tincan_engine::EngineError) -> Self {
        Error::Engine(error.to_string())
    }
}

/// How the UI wants the local audio set up.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineOptions {
    /// `"default"`, `"test-tone"`, `"none"` or a device id.
    #[serde(default)]
    input: InputSelection,
    /// `"default"`, `"none"` or a device id.
    #[serde(default)]
    output: OutputSelection,
    /// Echo cancellation, noise suppression and gain control.
    #[serde(default)]
    dsp: DspSettings,
    /// STUN/TURN servers, in the browser's shape.
    #[serde(default)]
    ice_servers: Vec<IceServer>,
    /// `"standard"` or `"low"`; a running engine keeps its mode until the next call.
    #[serde(default)]
    latency: LatencyMode,
}

/// Starts the engine (or reconfigures the running one) and reports what it runs with.
#[tauri::command]
pub async fn engine_start<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, EngineHost>,
    state: State<'_, AppState>,
    options: EngineOptions,
) -> Result<EngineStatus> {
    let page = state.page();
    if let Ok(engine) = host.current() {
        engine.set_input(options.input)?;
        engine.set_output(options.output)?;
        engine.set_dsp(options.dsp)?;
        engine.set_ice_servers(&options.ice_servers)?;
        return Ok(engine.status());
    }
    let config = EngineConfig {
        input: options.input,
        output: options.output,
        dsp: options.dsp,
        ice_servers: options.ice_servers,
        timing: options.latency.timing(),
        level_events: true,
        // The page draws levels at 10 Hz; more events would only cost the web view time.
        level_interval: std::time::Duration::from_millis(100),
        ..EngineConfig::default()
    };
    // Building the pipeline probes devices and plugins, which can block for a moment.
    let (engine, mut events) = tauri::async_runtime::spawn_blocking(move || Engine::new(config))
        .await
        .map_err(|e| Error::Engine(e.to_string()))??;
    let status = engine.status();
    let engine = Arc::new(engine);
    // A page that was reloaded while the engine started must not leave the microphone open.
    match host.install(engine, || state.page() == page) {
        Ok(Some(old)) => old.shutdown(),
        Ok(None) => {}
        Err(orphan) => {
            tauri::async_runtime::spawn_blocking(move || orphan.shutdown());
            return Err(Error::PageGone);
        }
    }
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.recv().await {
            let _ = app.emit_to(MAIN_WINDOW, ENGINE_EVENT, &event);
        }
    });
    Ok(status)
}

/// Stops the engine and every call it carries.
#[tauri::command]
pub fn engine_stop(host: State<'_, EngineHost>) {
    host.shut_down();
}

/// What the engine runs with: devices, input, processing, missing plugins.
#[tauri::command]
pub fn engine_status(host: State<'_, EngineHost>) -> Result<EngineStatus> {
    Ok(host.current()?.status())
}

/// Every audio device present now.
#[tauri::command]
pub fn engine_devices(host: State<'_, EngineHost>) -> Result<Vec<AudioDevice>> {
    Ok(host.current()?.list_devices())
}

/// Creates the connection to one remote peer (`new RTCPeerConnection()` plus the audio track).
#[tauri::command]
pub fn engine_add_peer(host: State<'_, EngineHost>, peer_id: String) -> Result<()> {
    host.current()?.add_peer(&peer_id)?;
    Ok(())
}

/// Closes one peer connection; the others go on.
#[tauri::command]
pub fn engine_close_peer(host: State<'_, EngineHost>, peer_id: String) -> Result<()> {
    host.current()?.remove_peer(&peer_id);
    Ok(())
}

/// `createOffer()`.
#[tauri::command]
pub async fn engine_create_offer(
    host: State<'_, EngineHost>,
    peer_id: String,
) -> Result<SessionDescription> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.create_offer().await?)
}

/// `createAnswer()`.
#[tauri::command]
pub async fn engine_create_answer(
    host: State<'_, EngineHost>,
    peer_id: String,
) -> Result<SessionDescription> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.create_answer().await?)
}

/// `setLocalDescription(description?)`; returns the new `localDescription`.
#[tauri::command]
pub async fn engine_set_local_description(
    host: State<'_, EngineHost>,
    peer_id: String,
    description: Option<SessionDescription>,
) -> Result<SessionDescription> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.set_local_description(description).await?)
}

/// `setRemoteDescription(description)`.
#[tauri::command]
pub async fn engine_set_remote_description(
    host: State<'_, EngineHost>,
    peer_id: String,
    description: SessionDescription,
) -> Result<()> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.set_remote_description(description).await?)
}

/// `addIceCandidate(candidate?)`.
#[tauri::command]
pub fn engine_add_ice_candidate(
    host: State<'_, EngineHost>,
    peer_id: String,
    candidate: Option<IceCandidateInit>,
) -> Result<()> {
    Ok(host.peer(&peer_id)?.add_ice_candidate(candidate)?)
}

/// `restartIce()`.
#[tauri::command]
pub fn engine_restart_ice(host: State<'_, EngineHost>, peer_id: String) -> Result<()> {
    Ok(host.peer(&peer_id)?.restart_ice()?)
}

/// The numbers `getStats()` would give for one connection.
#[tauri::command]
pub async fn engine_stats(host: State<'_, EngineHost>, peer_id: String) -> Result<PeerStats> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.stats().await?)
}

/// Mutes or unmutes what every peer hears from us.
#[tauri::command]
pub fn engine_set_muted(host: State<'_, EngineHost>, muted: bool) -> Result<()> {
    host.current()?.set_muted(muted);
    Ok(())
}

/// How loud one peer is played, 0.0 ..= 2.0.
#[tauri::command]
pub fn engine_set_peer_volume(
    host: State<'_, EngineHost>,
    peer_id: String,
    volume: f64,
) -> Result<()> {
    if !(0.0..=2.0).contains(&volume) {
        return Err(Error::BadInput(format!(
            "volume {volume} is outside 0 to 2"
        )));
    }
    Ok(host.current()?.set_peer_volume(&peer_id, volume)?)
}

/// The latest level of our own input, before mute.
#[tauri::command]
pub fn engine_input_level(host: State<'_, EngineHost>) -> Result<Option<AudioLevel>> {
    Ok(host.current()?.input_level())
}

/// Switches what is captured: a device, the test tone or silence.
#[tauri::command]
pub fn engine_set_input(
    host: State<'_, EngineHost>,
    input: InputSelection,
) -> Result<EngineStatus> {
    let engine = host.current()?;
    engine.set_input(input)?;
    Ok(engine.status())
}

/// Switches where calls are played.
#[tauri::command]
pub fn engine_set_output(
    host: State<'_, EngineHost>,
    output: OutputSelection,
) -> Result<EngineStatus> {
    let engine = host.current()?;
    engine.set_output(output)?;
    Ok(engine.status())
}
