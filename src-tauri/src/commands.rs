//! The commands the webview invokes (`window.__TAURI__.core.invoke`); argument names arrive in
//! camelCase.

use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::{
    address::{self, HostAddress, DEFAULT_ROOM},
    cli::LaunchOptions,
    error::Error,
    host::{HostInfo, Hosting},
    phone::PhoneServing,
    signal::{Session, SignalEvent, Target},
    state::AppState,
};

/// The event that carries [`SignalEvent`]s to the main window.
pub const SIGNAL_EVENT: &str = "signal";

/// The window the app's UI lives in.
pub const MAIN_WINDOW: &str = "main";

/// What `app_info` returns.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    version: String,
    platform: &'static str,
    /// The system locale from the environment (`ko_KR.UTF-8`), for the page's language.
    locale: Option<String>,
}

/// What `launch_options` returns: the command line, and whether the asking page is the window's
/// first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageStart {
    #[serde(flatten)]
    options: LaunchOptions,
    /// False after a reload: hosting or joining at start was the first page's to do, and a
    /// reloaded page starts at the home screen.
    first_page: bool,
}

/// How the app was started (command-line options).
#[tauri::command]
pub fn launch_options<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> PageStart {
    let options = app
        .try_state::<LaunchOptions>()
        .map(|s| s.inner().clone())
        .unwrap_or_default();
    // The first page load makes generation 1; without page loads (tests) it stays 0.
    PageStart {
        options,
        first_page: state.page() <= 1,
    }
}

/// The app's version, the operating system it runs on and the system's language.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>) -> AppInfo {
    AppInfo {
        version: app.package_info().version.to_string(),
        platform: std::env::consts::OS,
        locale: crate::locale::system_locale(),
    }
}

/// Starts the in-process relay on every IPv4 interface and returns what to share.
#[tauri::command]
pub async fn host_room<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: Option<String>,
    port: Option<u16>,
    key: Option<String>,
    room: Option<String>,
) -> Result<HostInfo, Error> {
    let host_name = check_name(name.as_deref())?;
    let room = room
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_ROOM.to_owned());
    address::check_room(&room)?;
    let page = state.page();
    state.settled().await;
    if state.page() != page {
        return Err(Error::PageGone);
    }
    if let Some(running) = state.hosting().as_ref().filter(|h| h.is_running()) {
        return Err(Error::AlreadyHosting {
            port: running.info().port,
        });
    }
    let phones = PhoneServing::prepare(&app, &host_name);
    let mut hosting = Hosting::start(port, room, key, phones).await?;
    hosting.announce(&host_name);
    let info = hosting.info().clone();
    if let Err((error, extra)) = state.keep_hosting(page, hosting) {
        extra.stop().await;
        return Err(error);
    }
    Ok(info)
}

/// Stops the in-process relay; everyone in the call gets 1001 "host ended the call".
#[tauri::command]
pub async fn stop_hosting(state: State<'_, AppState>) -> Result<(), Error> {
    let hosting = state.hosting().take();
    if let Some(hosting) = hosting {
        hosting.stop().await;
    }
    Ok(())
}

/// Opens the signaling socket to a room; resolves once it is open. A room already joined is
/// left first (its `closed` is emitted before the new `open`).
#[tauri::command]
pub async fn join_room<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    address: String,
    room: Option<String>,
    name: Option<String>,
    key: Option<String>,
) -> Result<(), Error> {
    let address = HostAddress::parse(&address)?;
    let room = room
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_ROOM.to_owned());
    address::check_room(&room)?;
    let name = check_name(name.as_deref())?;
    let page = state.page();
    state.settled().await;
    if state.page() != page {
        return Err(Error::PageGone);
    }
    let previous = state.session().take();
    if let Some(previous) = previous {
        previous.leave().await;
    }
    let target = Target::new(&address, &room, &name, key.as_deref());
    let emit = Arc::new(move |event: SignalEvent| {
        if let Err(error) = app.emit_to(MAIN_WINDOW, SIGNAL_EVENT, &event) {
            tracing::warn!("could not pass a signal event to the window: {error}");
        }
    });
    let session = Session::open(target, emit).await?;
    match state.keep_session(page, session) {
        Ok(Some(replaced)) => {
            // A concurrent join finished first; the later one wins, as if it had left first.
            replaced.leave().await;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(orphan) => {
            orphan.leave().await;
            Err(Error::PageGone)
        }
    }
}

/// Sends one text frame to the relay.
#[tauri::command]
pub async fn send_signal(state: State<'_, AppState>, text: String) -> Result<(), Error> {
    let sender = state
        .session()
        .as_ref()
        .map(Session::sender)
        .ok_or(Error::NotConnected)?;
    sender.send(text).await
}

/// Closes the signaling socket without reconnecting; resolves after `closed` is emitted.
#[tauri::command]
pub async fn leave_room(state: State<'_, AppState>) -> Result<(), Error> {
    let session = state.session().take();
    if let Some(session) = session {
        session.leave().await;
    }
    Ok(())
}

/// Shows the app's log folder (made if missing) in the system's file manager.
#[tauri::command]
pub async fn open_log_folder<R: Runtime>(app: AppHandle<R>) -> Result<(), Error> {
    let dir = crate::log::log_dir(&app).map_err(|reason| Error::OpenLogFolder {
        path: String::new(),
        reason,
    })?;
    crate::log::open_folder(&app, dir).await
}

fn check_name(name: Option<&str>) -> Result<String, Error> {
    tincan_relay::protocol::clean_name(name)
        .map_err(|reason| Error::BadInput(format!("That name cannot be used: {reason}")))
}
