//! The plugin's commands, called by the page as `plugin:engine|<name>`.
//!
//! Tauri runs a plain command on the window's thread and an `async` one on its async runtime.
//! Whatever builds or tears down pipeline elements can wait on GStreamer's threads for seconds,
//! so it runs under `spawn_blocking`, never on the window's thread. The few commands that stay
//! plain are quick and must keep the order the page sent them in: a quick press and release of
//! the talk key is two `set_muted` calls that must not swap, and a `start` right after `stop`
//! must find the old engine gone.

use super::EngineHost;
use crate::error::{Error, Result};
use crate::state::AppState;
use serde::Deserialize;
use std::sync::Arc;
use tauri::{ipc::Channel, State};
use tincan_engine::{
    AudioDevice, DspSettings, Engine, EngineConfig, EngineEvent, EngineStatus, IceCandidateInit,
    IceServer, InputSelection, LatencyMode, OutputSelection, PeerStats, SessionDescription,
};

/// Runs pipeline work on a thread meant for blocking, so that it holds up neither the window
/// nor the async runtime's workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| Error::Engine(e.to_string()))?
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

/// Starts the engine (or reconfigures the running one) and reports what it runs with; its
/// events go to `events` from now on.
#[tauri::command]
pub async fn start(
    host: State<'_, EngineHost>,
    state: State<'_, AppState>,
    options: EngineOptions,
    events: Channel<EngineEvent>,
) -> Result<EngineStatus> {
    let page = state.page();
    if let Ok(engine) = host.current() {
        host.attach(events);
        return blocking(move || {
            engine.set_input(options.input)?;
            engine.set_output(options.output)?;
            engine.set_dsp(options.dsp)?;
            engine.set_ice_servers(&options.ice_servers)?;
            Ok(engine.status())
        })
        .await;
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
    // Building the pipeline probes devices and plugins.
    let (engine, receiver) = blocking(move || Ok(Engine::new(config)?)).await?;
    let status = engine.status();
    let engine = Arc::new(engine);
    // A page that was reloaded while the engine started must not leave the microphone open.
    let slot = EngineHost::forward(receiver, events);
    match host.install(engine, slot, || state.page() == page) {
        Ok(Some(old)) => {
            tauri::async_runtime::spawn_blocking(move || old.shutdown());
        }
        Ok(None) => {}
        Err(orphan) => {
            tauri::async_runtime::spawn_blocking(move || orphan.shutdown());
            return Err(Error::PageGone);
        }
    }
    Ok(status)
}

/// Stops the engine and every call it carries. The engine is let go of at once, in order with
/// the page's other commands; stopping its pipeline finishes in the background.
#[tauri::command]
pub fn stop(host: State<'_, EngineHost>) {
    if let Some(engine) = host.take() {
        tauri::async_runtime::spawn_blocking(move || engine.shutdown());
    }
}

/// Every audio device present now.
#[tauri::command]
pub async fn devices(host: State<'_, EngineHost>) -> Result<Vec<AudioDevice>> {
    let engine = host.current()?;
    blocking(move || Ok(engine.list_devices())).await
}

/// Creates the connection to one remote peer (`new RTCPeerConnection()` plus the audio track).
#[tauri::command]
pub async fn add_peer(host: State<'_, EngineHost>, peer_id: String) -> Result<()> {
    let engine = host.current()?;
    blocking(move || {
        engine.add_peer(&peer_id)?;
        Ok(())
    })
    .await
}

/// Closes one peer connection; the others go on.
#[tauri::command]
pub async fn close_peer(host: State<'_, EngineHost>, peer_id: String) -> Result<()> {
    let engine = host.current()?;
    blocking(move || {
        engine.remove_peer(&peer_id);
        Ok(())
    })
    .await
}

/// `createOffer()`.
#[tauri::command]
pub async fn create_offer(
    host: State<'_, EngineHost>,
    peer_id: String,
) -> Result<SessionDescription> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.create_offer().await?)
}

/// `createAnswer()`.
#[tauri::command]
pub async fn create_answer(
    host: State<'_, EngineHost>,
    peer_id: String,
) -> Result<SessionDescription> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.create_answer().await?)
}

/// `setLocalDescription(description?)`; returns the new `localDescription`.
#[tauri::command]
pub async fn set_local_description(
    host: State<'_, EngineHost>,
    peer_id: String,
    description: Option<SessionDescription>,
) -> Result<SessionDescription> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.set_local_description(description).await?)
}

/// `setRemoteDescription(description)`.
#[tauri::command]
pub async fn set_remote_description(
    host: State<'_, EngineHost>,
    peer_id: String,
    description: SessionDescription,
) -> Result<()> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.set_remote_description(description).await?)
}

/// `addIceCandidate(candidate?)`: queued to the connection's own thread, so it returns at once.
#[tauri::command]
pub fn add_ice_candidate(
    host: State<'_, EngineHost>,
    peer_id: String,
    candidate: Option<IceCandidateInit>,
) -> Result<()> {
    Ok(host.peer(&peer_id)?.add_ice_candidate(candidate)?)
}

/// `restartIce()`, which rebuilds the connection.
#[tauri::command]
pub async fn restart_ice(host: State<'_, EngineHost>, peer_id: String) -> Result<()> {
    let peer = host.peer(&peer_id)?;
    blocking(move || Ok(peer.restart_ice()?)).await
}

/// The numbers `getStats()` would give for one connection.
#[tauri::command]
pub async fn stats(host: State<'_, EngineHost>, peer_id: String) -> Result<PeerStats> {
    let peer = host.peer(&peer_id)?;
    Ok(peer.stats().await?)
}

/// Mutes or unmutes what every peer hears from us.
#[tauri::command]
pub fn set_muted(host: State<'_, EngineHost>, muted: bool) -> Result<()> {
    host.current()?.set_muted(muted);
    Ok(())
}

/// How loud one peer is played, 0.0 ..= 2.0.
#[tauri::command]
pub fn set_peer_volume(host: State<'_, EngineHost>, peer_id: String, volume: f64) -> Result<()> {
    if !(0.0..=2.0).contains(&volume) {
        return Err(Error::BadInput(format!(
            "volume {volume} is outside 0 to 2"
        )));
    }
    Ok(host.current()?.set_peer_volume(&peer_id, volume)?)
}

/// Switches where calls are played.
#[tauri::command]
pub async fn set_output(
    host: State<'_, EngineHost>,
    output: OutputSelection,
) -> Result<EngineStatus> {
    let engine = host.current()?;
    blocking(move || {
        engine.set_output(output)?;
        Ok(engine.status())
    })
    .await
}
