//! Tincan, the desktop app: a Tauri shell around the web UI that hosts the signaling relay,
//! holds the signaling socket for the webview, and sets the webview up for voice calls.

mod address;
mod cli;
mod commands;
mod discovery;
#[cfg(target_os = "linux")]
mod engine;
mod error;
mod host;
mod locale;
mod log;
mod page;
mod phone;
mod shortcut;
mod signal;
mod state;
mod webview;

use tauri::{Builder, Manager, RunEvent, Runtime};

pub use address::DEFAULT_PORT;
pub use cli::LaunchOptions;
pub use commands::{MAIN_WINDOW, SIGNAL_EVENT};
pub use error::Error;
pub use page::page_loading;
pub use signal::CONNECT_TIMEOUT;

/// Everything but the runtime: plugins, state, permissions and commands. Tests pass
/// `tauri::test::mock_builder()`.
pub fn app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    #[cfg(target_os = "linux")]
    let builder = builder.plugin(engine::init());
    builder
        .plugin(tauri_plugin_opener::init())
        .plugin(webview::links())
        .plugin(page::lifecycle())
        .manage(state::AppState::default())
        .manage(discovery::RoomBrowser::default())
        .on_page_load(discovery::stop_on_page_load)
        // The talk key while another program has focus (push-to-talk).
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .manage(shortcut::TalkShortcut::default())
        .on_permission_request(webview::answer_permission)
        .invoke_handler(handler())
}

/// The app's own commands. On Linux, where the web view has no WebRTC, the page also drives the
/// native engine through the `engine` plugin's commands.
fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::launch_options,
        commands::app_info,
        commands::host_room,
        commands::stop_hosting,
        commands::join_room,
        commands::send_signal,
        commands::leave_room,
        commands::open_log_folder,
        discovery::browse_rooms,
        discovery::stop_browsing,
        discovery::verify_room,
        shortcut::talk_shortcut_support,
        shortcut::talk_shortcut,
    ]
}

/// Runs the app: reads the command line (exiting on `--version`, `--help` or bad arguments
/// before any window opens), then opens the main window.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let launch = LaunchOptions::from_env();
    discovery::enable_unless_turned_off();
    let built = app(tauri::Builder::default())
        .manage(launch)
        .setup(|app| {
            // Here, once Tauri knows the app's log folder; nothing logs before this.
            log::init(app.handle());
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                webview::configure(&window)?;
            }
            // So that the first Join does not wait for the engine's start-up work.
            #[cfg(target_os = "linux")]
            std::thread::spawn(|| {
                if let Err(error) = tincan_engine::Engine::prepare() {
                    tracing::warn!("audio engine not prepared: {error}");
                }
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if termination().await {
                    // Quit through the event loop, so the exit handler ends the call politely.
                    handle.exit(0);
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(error) => {
            eprintln!("tincan: cannot start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            let state = handle.state::<state::AppState>();
            tauri::async_runtime::block_on(state.shut_down());
            // Here rather than in the plugin's own exit hook, which Tauri runs first: the others
            // should read that the host ended the call before the audio stops.
            #[cfg(target_os = "linux")]
            handle.state::<engine::EngineHost>().shut_down();
        }
    });
}

/// Waits for SIGTERM (logout, `kill`) or SIGINT (Ctrl+C in a terminal); false if they cannot
/// be watched.
#[cfg(unix)]
async fn termination() -> bool {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return false;
    };
    tokio::select! {
        _ = term.recv() => true,
        _ = int.recv() => true,
    }
}

/// Waits for Ctrl+C in a console.
#[cfg(not(unix))]
async fn termination() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}
