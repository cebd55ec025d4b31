//! The main window's page and what it owns: the hosted relay, the signaling session and, on
//! Linux, the native engine with the microphone. When another page starts loading (a reload, a
//! navigation), nothing on screen knows that call any more, so it is ended: the others see this
//! peer leave (or the host end the call) and the microphone closes.

use tauri::{
    plugin::TauriPlugin,
    webview::{PageLoadEvent, PageLoadPayload},
    AppHandle, Manager, Runtime, Webview,
};

use crate::{commands::MAIN_WINDOW, state::AppState};

/// Stops the webview's own context menu on the page (Back, Reload, ...) while keeping it in
/// text fields, where people cut, copy and paste.
const NO_PAGE_MENU: &str = r#"document.addEventListener('contextmenu', (ev) => {
  const t = ev.target;
  if (t instanceof Element && t.closest('input, textarea, [contenteditable="true"]')) return;
  ev.preventDefault();
}, true);"#;

/// Ends the previous page's call whenever a page of the main window starts loading. Release
/// builds also leave out the page's context menu, whose Reload and Back only lose the call;
/// debug builds keep it for the inspector.
pub fn lifecycle<R: Runtime>() -> TauriPlugin<R> {
    let builder = tauri::plugin::Builder::new("page").on_page_load(on_page_load);
    let builder = if cfg!(debug_assertions) {
        builder
    } else {
        builder.js_init_script(NO_PAGE_MENU.to_owned())
    };
    builder.build()
}

fn on_page_load<R: Runtime>(webview: &Webview<R>, payload: &PageLoadPayload<'_>) {
    if webview.label() == MAIN_WINDOW && payload.event() == PageLoadEvent::Started {
        page_loading(webview.app_handle());
    }
}

/// Ends whatever the main window's previous page started, as a new page starts loading. Returns
/// at once; the relay and the session end in the background, and the next `host_room` or
/// `join_room` waits for that.
pub fn page_loading<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let leftovers = state.new_page();
    #[cfg(target_os = "linux")]
    if let Some(engine) = app.state::<crate::engine::EngineHost>().take() {
        tracing::info!("a new page closes the audio engine the previous one left running");
        // Stopping the pipeline waits for its threads; not on the window's thread.
        tauri::async_runtime::spawn_blocking(move || engine.shutdown());
    }
    if !leftovers.is_empty() {
        tracing::info!("a new page ends the call the previous one left running");
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        leftovers.end().await;
        app.state::<AppState>().ended();
    });
}
