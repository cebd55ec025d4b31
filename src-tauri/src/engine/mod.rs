//! The native audio engine, driven by the web UI on Linux, where WebKitGTK has no WebRTC.
//!
//! It is the app's `engine` plugin, so its commands (`plugin:engine|start`, ...) have their own
//! permissions, granted to the main window on Linux only (`capabilities/engine.json`); elsewhere
//! the plugin is not registered and the web view's own WebRTC is used. Each command is one
//! RTCPeerConnection method (or one piece of local media) on one engine peer, so the negotiation
//! logic stays in JavaScript, once, for both engines. Engine events (candidates, state changes,
//! levels, device changes) reach the page through the `ipc::Channel` it hands to `start`, with
//! the browser's event names.

mod commands;

use crate::error::{Error, Result};
use std::sync::{Arc, Mutex, MutexGuard};
use tauri::{
    ipc::Channel,
    plugin::{Builder, TauriPlugin},
    Manager, Runtime,
};
use tincan_engine::{Engine, EngineEvent, Peer};
use tokio::sync::mpsc::UnboundedReceiver;

/// The plugin: its commands and the running engine they share.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    // The same names, without the prefix, are listed for the permissions in build.rs.
    Builder::new("engine")
        .invoke_handler(tauri::generate_handler![
            commands::start,
            commands::stop,
            commands::devices,
            commands::add_peer,
            commands::close_peer,
            commands::create_offer,
            commands::create_answer,
            commands::set_local_description,
            commands::set_remote_description,
            commands::add_ice_candidate,
            commands::restart_ice,
            commands::stats,
            commands::set_muted,
            commands::set_peer_volume,
            commands::set_output,
        ])
        .setup(|app, _| {
            app.manage(EngineHost::default());
            Ok(())
        })
        .build()
}

/// The running engine, if the UI started one.
#[derive(Default)]
pub struct EngineHost {
    engine: Mutex<Option<Arc<Engine>>>,
    /// Where the running engine's events go: the channel of the page that last started it.
    /// Each engine has its own slot, emptied when the engine is let go of, so an old engine
    /// that takes a while to stop says nothing to the next page.
    events: Mutex<Arc<EventSlot>>,
}

type EventSlot = Mutex<Option<Channel<EngineEvent>>>;

fn set(slot: &EventSlot, channel: Option<Channel<EngineEvent>>) {
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = channel;
}

impl EngineHost {
    fn current(&self) -> Result<Arc<Engine>> {
        self.slot().clone().ok_or(Error::EngineNotStarted)
    }

    fn peer(&self, id: &str) -> Result<Peer> {
        self.current()?
            .peer(id)
            .ok_or_else(|| Error::Engine(format!("no call with peer {id:?}")))
    }

    fn slot(&self) -> MutexGuard<'_, Option<Arc<Engine>>> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands over the running engine, leaving none; its events go nowhere from now on.
    pub fn take(&self) -> Option<Arc<Engine>> {
        let engine = self.slot().take();
        set(&self.event_slot(), None);
        engine
    }

    fn event_slot(&self) -> Arc<EventSlot> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Installs a new engine, returning the one it replaces, if `still_wanted` says (under the
    /// lock) that the page that asked for it is still there; otherwise hands it back.
    /// Its events go to `events` (see [`EngineHost::forward`]).
    fn install(
        &self,
        engine: Arc<Engine>,
        events: Arc<EventSlot>,
        still_wanted: impl FnOnce() -> bool,
    ) -> Result<Option<Arc<Engine>>, Arc<Engine>> {
        let mut slot = self.slot();
        if !still_wanted() {
            set(&events, None);
            return Err(engine);
        }
        let old = std::mem::replace(
            &mut *self.events.lock().unwrap_or_else(|e| e.into_inner()),
            events,
        );
        set(&old, None);
        Ok(slot.replace(engine))
    }

    /// Sends the running engine's events to this page's channel from now on.
    fn attach(&self, channel: Channel<EngineEvent>) {
        set(&self.event_slot(), Some(channel));
    }

    /// Passes a new engine's events to whichever channel its slot holds when each one comes,
    /// starting with `channel`; the slot is handed to [`EngineHost::install`].
    fn forward(
        mut events: UnboundedReceiver<EngineEvent>,
        channel: Channel<EngineEvent>,
    ) -> Arc<EventSlot> {
        let slot = Arc::new(Mutex::new(Some(channel)));
        let sink = slot.clone();
        tauri::async_runtime::spawn(async move {
            while let Some(event) = events.recv().await {
                let channel = sink.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some(channel) = channel {
                    // A page that is gone cannot take it; the next page attaches its own.
                    let _ = channel.send(event);
                }
            }
        });
        slot
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
